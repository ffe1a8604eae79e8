/* test-worker.c: a test plugin with per-worker state (ABI 1.2): logs each worker's set-up and tear-down, checks no two documents share one. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <quarry/quarry.h>

#define WORKER_MAGIC 0x51574b52u

typedef struct {
  char     *log;
  gboolean  fail_worker;
} Stage;

typedef struct {
  guint32       magic;
  const Stage  *stage;
  gint          busy;   /* set while a document runs: a second one at once is the bug this finds */
  guint         docs;
} Worker;

static const QuarryOption options[] = {
  { .name = "log", .type = QUARRY_OPTION_PATH, .help = "file each worker set-up and tear-down is appended to" },
  { .name = "fail-worker", .type = QUARRY_OPTION_BOOL, .default_value = "false",
    .help = "make every worker set-up fail" },
  { NULL }
};

static const char *const provides[] = { "field:worker", NULL };

/* One line per event, written at once with O_APPEND so lines from threads and
 * processes never mix: "EVENT PID THREAD DOCS". */
static void
log_event (const Stage *s, const char *event, guint docs)
{
  g_autofree char *line = NULL;
  int fd;

  if (s->log == NULL)
    return;
  line = g_strdup_printf ("%s %d %lu %u\n", event, (int) getpid (), (unsigned long) pthread_self (), docs);
  fd = open (s->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    g_error ("test-worker: cannot open %s: %s", s->log, g_strerror (errno));
  if (write (fd, line, strlen (line)) != (gssize) strlen (line))
    g_error ("test-worker: cannot write %s: %s", s->log, g_strerror (errno));
  close (fd);
}

static gboolean
worker_stage_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  Stage *s = g_new0 (Stage, 1);

  s->log = g_strdup (quarry_stage_get_string (stage, "log"));
  s->fail_worker = quarry_stage_get_bool (stage, "fail-worker");
  *state = s;
  return TRUE;
}

static void
worker_stage_teardown (gpointer state)
{
  Stage *s = state;

  g_free (s->log);
  g_free (s);
}

static gboolean
worker_setup (gpointer state, gpointer *worker_state, GError **error)
{
  const Stage *s = state;
  Worker *w;

  if (s->fail_worker)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "asked to fail (fail-worker = true)");
      return FALSE;
    }
  w = g_new0 (Worker, 1);
  w->magic = WORKER_MAGIC;
  w->stage = s;
  log_event (s, "setup", 0);
  *worker_state = w;
  return TRUE;
}

static void
worker_teardown (gpointer state, gpointer worker_state)
{
  Worker *w = worker_state;

  g_assert (w->magic == WORKER_MAGIC && w->stage == state);
  log_event (w->stage, "teardown", w->docs);
  w->magic = 0;
  g_free (w);
}

static gboolean
worker_process (gpointer worker_state, QuarryDocument *doc, GError **error)
{
  Worker *w = worker_state;
  json_object *f;

  if (w == NULL || w->magic != WORKER_MAGIC)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS, "process was not given a worker state");
      return FALSE;
    }
  if (__atomic_exchange_n (&w->busy, 1, __ATOMIC_ACQ_REL))
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS, "two documents at once in one worker state");
      return FALSE;
    }
  g_usleep (2000);  /* long enough for a second document to run into this one if the host shared it */
  f = quarry_document_get_fields (doc, "worker");
  json_object_object_add (f, "docs_before", json_object_new_int64 (w->docs));
  w->docs++;
  __atomic_store_n (&w->busy, 0, __ATOMIC_RELEASE);
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (
  .name = "test-worker",
  .version = "1.0.0",
  .description = "test plugin: per-worker state, logged",
  .options = options,
  .provides = provides,
  .setup = worker_stage_setup,
  .process = worker_process,
  .teardown = worker_stage_teardown,
  .worker_setup = worker_setup,
  .worker_teardown = worker_teardown);
