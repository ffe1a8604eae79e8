/* worker.c: runs documents in worker processes forked after set-up, so a stage that crashes or hangs loses one document, not the run.
 *
 * Why fork after set-up: stages are set up once in the parent (a knowledge base
 * opened, tables built) and every worker inherits that state copy-on-write, with no
 * protocol for options or plugin state and no second set-up cost per worker. A
 * replacement worker is forked from the same parent, whose pipeline never runs a
 * document, so it starts from the same clean state. The parent must be
 * single-threaded when it forks (the process run loop starts no threads; a plugin
 * whose set-up starts threads needs --isolation=threads).
 *
 * Who owns which fd, for worker i:
 *   request pipe  parent -> worker   the parent holds the write end (to_fd), the worker the read end
 *   result pipe   worker -> parent   the worker holds the write end, the parent the read end (from_fd, non-blocking)
 * Both are close-on-exec, and a worker closes every other worker's ends right
 * after fork: otherwise a dead worker's result pipe would stay open in its siblings
 * and the parent would never see it end.
 *
 * The protocol: a worker holds at most two documents, the one it runs and the next,
 * already in its pipe (only when both fit in the pipe, so the parent's write never
 * blocks while the worker blocks on its result); it answers in order.
 *   request  ReqHead {seq, content length, JSON Lines line, meta length, flags}, meta, content
 *            meta: NUL-terminated strings: the id, the media type and the path (each
 *            if its flag says so), then the input's warnings ("code\nmessage")
 *   result   ResHead {seq, line length, flags (dead, failed)}, the line (record or dead letter, with its newline)
 * Each message is one writev(), so the reader wakes once for it.
 * The line is made by the same code as in thread mode (quarry_job_process), so the
 * output is the same bytes in both modes. Stage counters live in shared memory
 * (pipeline.c), and each worker has a QuarryStageMark slot in a shared mapping where
 * it writes the stage it is entering: a relaxed store per stage, no message.
 *
 * What happens on each failure:
 *   the worker dies (signal, abort, exit, OOM kill)  the parent sees its result pipe
 *       end, reaps it, reads the stage from its mark and dead-letters the document
 *       it held: "crashed: SIGSEGV in stage X". A new worker is forked for the next job.
 *   the worker overruns --document-timeout or the stage's timeout-ms  the parent
 *       kills it (SIGKILL) and dead-letters the document: "timed out after N ms in stage X".
 *   the document queued behind the one that crashed or timed out  not to blame:
 *       sent again, to the next worker free.
 *   the worker died before it read a request (write fails with EPIPE)  it is
 *       reaped and the request sent again to a new worker; the document is not blamed.
 *   fork fails  the document is dead-lettered with the reason; the run goes on.
 *   the parent dies  the workers get EOF on their request pipe (and SIGKILL from
 *       PR_SET_PDEATHSIG on Linux) and exit.
 *   SIGINT/SIGTERM to a worker (a terminal sends SIGINT to the whole group)  the
 *       worker passes it to the parent, which stops the run in order; the worker
 *       finishes its document.
 * Workers end with _exit(): the stdio buffers they inherited are the parent's. */
#define _GNU_SOURCE  /* F_SETPIPE_SZ */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "document-private.h"
#include "output.h"
#include "worker.h"
#include "writer.h"

typedef struct {
  guint64 seq;
  guint64 length;
  guint64 line;
  guint32 meta_len;
  guint32 flags;
} ReqHead;

enum { REQ_MEDIA = 1, REQ_PATH = 2 };

enum { RES_DEAD = 1, RES_FAILED = 2 };

#define PIPE_BYTES (1 << 20)

typedef struct {
  guint64 seq;
  guint64 length;
  guint32 flags;
  guint32 pad;
} ResHead;

/* Jobs a worker holds at most: the one it runs and the next, already in its pipe,
 * so it never waits for the parent between documents. */
#define DEPTH 2

typedef struct {
  pid_t      pid;        /* 0: no process */
  int        to_fd;
  int        from_fd;
  gsize      pipe_bytes; /* what the request pipe holds without blocking */
  QuarryJob *jobs[DEPTH];/* held, in order: jobs[0] is the one it runs */
  guint      n_jobs;
  gint64     head_ns;    /* when jobs[0] became the one it runs */
  ResHead    head;       /* the result being read */
  gsize      head_got;
} Worker;

struct _QuarryWorkers {
  QuarryPipeline  *pipeline;
  Worker          *w;
  guint            n;
  QuarryStageMark *marks;         /* shared, one per worker */
  guint            doc_timeout_ms;
  guint           *stage_timeout_ms;
  guint            n_stages;
  GQueue           retry;         /* jobs queued behind one that crashed: not to blame, sent again */
  guint64          replaced;
  gboolean         quiet;
};

void
quarry_job_process (QuarryPipeline *pipeline, QuarryPipelineWorker *worker, QuarryJob *job, QuarryStageMark *mark)
{
  const char *prov = quarry_pipeline_get_provenance_text (pipeline);
  QuarryInputItem *it = &job->item;
  QuarryDocument *doc;
  g_autofree char *reason = NULL;

  job->line = g_string_sized_new (it->length + it->length / 4 + 512);
  doc = quarry_document_new_take (it->id, g_steal_pointer (&it->bytes), it->length,
                                  it->media_type != NULL ? it->media_type : "application/octet-stream");
  it->length = 0;
  quarry_input_item_annotate (it, doc);
  if (it->error != NULL)
    {
      quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_ERROR, "input-error", QUARRY_NO_OFFSET, "%s", it->error);
      quarry_writer_append_dead_letter (job->line, doc, it->error, prov);
      job->dead = TRUE;
    }
  else
    {
      QuarryResult res = quarry_pipeline_process_worker (pipeline, worker, doc, &reason, mark);
      if (mark != NULL)
        {
          guint n;
          quarry_pipeline_get_stats (pipeline, &n);
          __atomic_store_n (&mark->stage, (gint) n, __ATOMIC_RELEASE);  /* the writer's turn */
        }
      switch (res)
        {
        case QUARRY_RESULT_OK:
          quarry_writer_append_record_full (job->line, doc, prov,
                                            quarry_config_get_span_stages (quarry_pipeline_get_config (pipeline)));
          break;
        case QUARRY_RESULT_FAILED:
          job->failed = TRUE;
          G_GNUC_FALLTHROUGH;
        case QUARRY_RESULT_DROPPED:
          quarry_writer_append_dead_letter (job->line, doc, reason, prov);
          job->dead = TRUE;
          break;
        }
    }
  g_string_append_c (job->line, '\n');
  quarry_document_free (doc);
}

/* ---- the worker's side ---- */

/* read() until len bytes or the end; retries on EINTR. Returns the bytes read. */
static gsize
read_all (int fd, void *data, gsize len)
{
  char *p = data;
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = read (fd, p + done, MIN (len - done, (gsize) G_MAXSSIZE));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  return done;
}

/* writev() until every byte is out (EINTR, short writes): one write, so the reader
 * wakes once for a head and its body, not once for each. */
static gboolean
writev_all (int fd, struct iovec *iov, int n)
{
  while (n > 0)
    {
      ssize_t w = writev (fd, iov, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      while (n > 0 && (gsize) w >= iov->iov_len)
        {
          w -= iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (char *) iov->iov_base + w;
          iov->iov_len -= w;
        }
    }
  return TRUE;
}

/* the run's process, set in a worker right after fork */
static pid_t parent_pid;

static void
forward_signal (int sig)
{
  int saved = errno;

  /* only to our parent: once it is gone getppid() is init, which must never get it */
  if (getppid () == parent_pid)
    kill (parent_pid, sig);
  errno = saved;
}

static void G_GNUC_NORETURN
worker_main (QuarryWorkers *ws, guint index, int req_fd, int res_fd)
{
  QuarryStageMark *mark = &ws->marks[index];
  QuarryPipelineWorker *worker;
  GError *error = NULL;
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_DFL);  /* the parent is gone: nothing to report to */

  /* this process's own worker state; the parent set one up and tore it down before
   * forking any, so a failure here is the machine's (memory), not the plugin's */
  worker = quarry_pipeline_worker_new (ws->pipeline, &error);
  if (worker == NULL)
    {
      g_printerr ("quarry: worker process %d: %s\n", (int) getpid (), error->message);
      _exit (125);
    }

  for (;;)
    {
      QuarryJob job = { 0 };
      ReqHead h;
      ResHead r = { 0 };
      gsize got = read_all (req_fd, &h, sizeof h);

      if (got == 0)
        {
          /* the parent closed the pipe: the run is over. The worker's own state is
           * torn down here; the stages' state belongs to the parent, which tears it
           * down (a knowledge base connection is not to be closed from a fork). */
          quarry_pipeline_worker_free (worker);
          _exit (0);
        }
      if (got != sizeof h)
        _exit (125);
      __atomic_store_n (&mark->stage, -1, __ATOMIC_RELEASE);
      job.seq = h.seq;
      job.item.line = h.line;
      {
        g_autofree char *meta = g_malloc (h.meta_len + 1);
        const char *p = meta, *end = meta + h.meta_len;
        if (read_all (req_fd, meta, h.meta_len) != h.meta_len)
          _exit (125);
        meta[h.meta_len] = '\0';
        job.item.id = g_strdup (p);
        p += strlen (p) + 1;
        if ((h.flags & REQ_MEDIA) && p < end)
          {
            job.item.media_type = g_strdup (p);
            p += strlen (p) + 1;
          }
        if ((h.flags & REQ_PATH) && p < end)
          {
            job.item.path = g_strdup (p);
            p += strlen (p) + 1;
          }
        for (; p < end; p += strlen (p) + 1)
          {
            if (job.item.warnings == NULL)
              job.item.warnings = g_ptr_array_new_with_free_func (g_free);
            g_ptr_array_add (job.item.warnings, g_strdup (p));
          }
      }
      job.item.bytes = g_malloc (h.length + 1);
      if (read_all (req_fd, job.item.bytes, h.length) != h.length)
        _exit (125);
      job.item.bytes[h.length] = '\0';
      job.item.length = h.length;

      quarry_job_process (ws->pipeline, worker, &job, mark);

      r.seq = job.seq;
      r.length = job.line->len;
      r.flags = (job.dead ? RES_DEAD : 0) | (job.failed ? RES_FAILED : 0);
      {
        struct iovec iov[2] = { { &r, sizeof r }, { job.line->str, job.line->len } };
        if (!writev_all (res_fd, iov, 2))
          _exit (125);
      }
      g_string_free (job.line, TRUE);
      quarry_input_item_clear (&job.item);
    }
}

/* ---- the parent's side ---- */

QuarryWorkers *
quarry_workers_new (QuarryPipeline *pipeline, guint n, guint doc_timeout_ms, gboolean quiet)
{
  QuarryWorkers *ws = g_new0 (QuarryWorkers, 1);
  const QuarryConfig *cfg = quarry_pipeline_get_config (pipeline);

  ws->pipeline = pipeline;
  ws->n = MAX (n, 1);
  ws->w = g_new0 (Worker, ws->n);
  ws->marks = mmap (NULL, ws->n * sizeof (QuarryStageMark), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (ws->marks == MAP_FAILED)
    g_error ("cannot map %u worker slots: %s", ws->n, g_strerror (errno));
  ws->doc_timeout_ms = doc_timeout_ms;
  ws->n_stages = quarry_config_get_n_stages (cfg);
  ws->stage_timeout_ms = g_new0 (guint, MAX (ws->n_stages, 1));
  for (guint i = 0; i < ws->n_stages; i++)
    ws->stage_timeout_ms[i] = quarry_stage_get_int (quarry_config_get_stage (cfg, i), "timeout-ms");
  ws->quiet = quiet;
  return ws;
}

static gboolean
make_pipe (int fds[2])
{
  if (pipe (fds) != 0)
    return FALSE;
  fcntl (fds[0], F_SETFD, FD_CLOEXEC);
  fcntl (fds[1], F_SETFD, FD_CLOEXEC);
  return TRUE;
}

static gboolean
spawn (QuarryWorkers *ws, guint i, char **why)
{
  Worker *w = &ws->w[i];
  int req[2], res[2];
  pid_t pid, self;

  if (!make_pipe (req))
    {
      *why = g_strdup_printf ("cannot make a pipe: %s", g_strerror (errno));
      return FALSE;
    }
  if (!make_pipe (res))
    {
      *why = g_strdup_printf ("cannot make a pipe: %s", g_strerror (errno));
      close (req[0]);
      close (req[1]);
      return FALSE;
    }
#ifdef F_SETPIPE_SZ
  /* a whole document per pipe fill, not 64 KB: a handful of wake-ups per document
   * instead of one per 64 KB each way (fails harmlessly above the system's limit) */
  fcntl (req[1], F_SETPIPE_SZ, PIPE_BYTES);
  fcntl (res[1], F_SETPIPE_SZ, PIPE_BYTES);
#endif
  fflush (NULL);  /* a plugin that calls exit() in a worker must not write the parent's buffers again */
  self = getpid ();  /* before fork: in the child, getppid() is already 1 if the parent died */
  pid = fork ();
  if (pid < 0)
    {
      *why = g_strdup_printf ("cannot start a worker process: %s", g_strerror (errno));
      close (req[0]); close (req[1]); close (res[0]); close (res[1]);
      return FALSE;
    }
  if (pid == 0)
    {
      parent_pid = self;
      close (req[1]);
      close (res[0]);
      for (guint j = 0; j < ws->n; j++)
        if (j != i && ws->w[j].pid > 0)
          {
            close (ws->w[j].to_fd);
            close (ws->w[j].from_fd);
          }
#ifdef __linux__
      prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
      if (getppid () != self)
        _exit (0);  /* the parent died before the line above */
      worker_main (ws, i, req[0], res[1]);
    }
  close (req[0]);
  close (res[1]);
  fcntl (res[0], F_SETFL, fcntl (res[0], F_GETFL) | O_NONBLOCK);
  w->pipe_bytes = 65536;  /* Linux's default */
#ifdef F_GETPIPE_SZ
  {
    int sz = fcntl (req[1], F_GETPIPE_SZ);
    if (sz > 0)
      w->pipe_bytes = sz;
  }
#endif
  __atomic_store_n (&ws->marks[i].stage, -1, __ATOMIC_RELEASE);
  w->pid = pid;
  w->to_fd = req[1];
  w->from_fd = res[0];
  w->head_got = 0;
  return TRUE;
}

static const char *
stage_name (QuarryWorkers *ws, gint stage)
{
  guint n;
  const QuarryStageStats *st = quarry_pipeline_get_stats (ws->pipeline, &n);

  if (stage < 0)
    return "input";
  if ((guint) stage >= n)
    return "output";
  return st[stage].name;  /* interned */
}

static char *
describe_status (int status)
{
  if (WIFSIGNALED (status))
    {
      /* the names a plugin's failure shows as; sigabbrev_np is glibc-only */
      static const struct { int sig; const char *name; } names[] = {
        { SIGSEGV, "SIGSEGV" }, { SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
        { SIGILL, "SIGILL" }, { SIGKILL, "SIGKILL" }, { SIGTERM, "SIGTERM" }, { SIGINT, "SIGINT" },
        { SIGPIPE, "SIGPIPE" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
        { SIGTRAP, "SIGTRAP" }, { SIGHUP, "SIGHUP" }, { SIGQUIT, "SIGQUIT" }, { SIGALRM, "SIGALRM" },
      };
      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        if (names[k].sig == WTERMSIG (status))
          return g_strdup (names[k].name);
      return g_strdup_printf ("signal %d", WTERMSIG (status));
    }
  if (WIFEXITED (status))
    return g_strdup_printf ("exit status %d", WEXITSTATUS (status));
  return g_strdup_printf ("wait status %d", status);
}

/* The job a worker held goes to the dead-letter output, built here from the bytes the parent kept. */
static void
dead_letter (QuarryWorkers *ws, QuarryJob *job, gint stage, const char *code, const char *reason)
{
  QuarryInputItem *it = &job->item;
  QuarryDocument *doc = quarry_document_new_take (it->id, g_steal_pointer (&it->bytes), it->length,
                                                  it->media_type != NULL ? it->media_type : "application/octet-stream");

  it->length = 0;
  if (job->line != NULL)
    g_string_free (job->line, TRUE);  /* what came of a result cut short */
  quarry_input_item_annotate (it, doc);  /* as the worker did: the input's warnings */
  quarry_document_set_stage (doc, stage_name (ws, stage));
  quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_ERROR, code, QUARRY_NO_OFFSET, "%s", reason);
  job->line = g_string_new (NULL);
  quarry_writer_append_dead_letter (job->line, doc, reason, quarry_pipeline_get_provenance_text (ws->pipeline));
  g_string_append_c (job->line, '\n');
  quarry_document_free (doc);
  job->dead = TRUE;
  /* a crash is the stage failing: on-error=fail stops the run as for any failure */
  if (stage >= 0 && (guint) stage < ws->n_stages
      && quarry_stage_get_on_error (quarry_config_get_stage (quarry_pipeline_get_config (ws->pipeline), stage)) == QUARRY_ON_ERROR_FAIL)
    job->failed = TRUE;
  job->done = TRUE;
}

/* The request's meta block (see the top of the file). */
static GString *
request_meta (const QuarryInputItem *it, guint32 *flags)
{
  GString *meta = g_string_new (it->id);

  *flags = 0;
  g_string_append_c (meta, '\0');
  if (it->media_type != NULL)
    {
      g_string_append_len (meta, it->media_type, strlen (it->media_type) + 1);
      *flags |= REQ_MEDIA;
    }
  if (it->path != NULL)
    {
      g_string_append_len (meta, it->path, strlen (it->path) + 1);
      *flags |= REQ_PATH;
    }
  for (guint i = 0; it->warnings != NULL && i < it->warnings->len; i++)
    g_string_append_len (meta, it->warnings->pdata[i], strlen (it->warnings->pdata[i]) + 1);
  return meta;
}

static gsize
request_bytes (const QuarryJob *job)
{
  guint32 flags;
  g_autoptr(GString) meta = request_meta (&job->item, &flags);

  return sizeof (ReqHead) + meta->len + job->item.length;
}

static gboolean
send_request (Worker *w, QuarryJob *job)
{
  const QuarryInputItem *it = &job->item;
  guint32 flags;
  g_autoptr(GString) meta = request_meta (it, &flags);
  ReqHead h = { job->seq, it->length, it->line, meta->len, flags };
  struct iovec iov[3] = { { &h, sizeof h }, { meta->str, meta->len }, { it->bytes, it->length } };

  return writev_all (w->to_fd, iov, 3);
}

static void worker_lost (QuarryWorkers *ws, guint i, guint timeout_ms);

/* Gives job to worker i, starting a process if it has none. A worker that died
 * before reading it is replaced once; the document is not to blame. FALSE with
 * *why if no worker could take it. */
static gboolean
give (QuarryWorkers *ws, guint i, QuarryJob *job, char **why)
{
  Worker *w = &ws->w[i];

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_clear_pointer (why, g_free);
      if (w->pid == 0 && !spawn (ws, i, why))
        return FALSE;
      if (send_request (w, job))
        {
          if (w->n_jobs == 0)
            w->head_ns = quarry_pipeline_now_ns ();
          w->jobs[w->n_jobs++] = job;
          return TRUE;
        }
      *why = g_strdup_printf ("cannot send the document to worker %d: %s", (int) w->pid, g_strerror (errno));
      worker_lost (ws, i, 0);  /* the next attempt gets a new worker with no job */
    }
  return FALSE;
}

static void
no_worker (QuarryWorkers *ws, QuarryJob *job, const char *why)
{
  if (!ws->quiet)
    g_printerr ("quarry: %s; document %s is dead-lettered\n", why, job->item.id);
  dead_letter (ws, job, -1, "no-worker", why);
}

/* Reaps worker i (killing it first if it overran timeout_ms, or if it still runs)
 * and dead-letters the job it was running; the job queued behind it goes to a new worker. */
static void
worker_lost (QuarryWorkers *ws, guint i, guint timeout_ms)
{
  Worker *w = &ws->w[i];
  pid_t pid = w->pid;
  gint stage = __atomic_load_n (&ws->marks[i].stage, __ATOMIC_ACQUIRE);
  int status = 0;
  pid_t r;

  if (timeout_ms > 0)
    kill (pid, SIGKILL);
  while ((r = waitpid (pid, &status, timeout_ms > 0 ? 0 : WNOHANG)) < 0 && errno == EINTR)
    ;
  if (r == 0)
    {
      /* its result pipe ended but it runs on: it closed the pipe itself */
      kill (pid, SIGKILL);
      while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    }
  close (w->to_fd);
  close (w->from_fd);
  w->pid = 0;
  w->head_got = 0;
  if (w->n_jobs == 0)
    return;

  {
    QuarryJob *job = w->jobs[0];
    g_autofree char *how = describe_status (status);
    g_autofree char *reason = timeout_ms > 0
      ? g_strdup_printf ("timed out after %u ms in stage %s", timeout_ms, stage_name (ws, stage))
      : g_strdup_printf ("crashed: %s in stage %s", how, stage_name (ws, stage));
    if (!ws->quiet)
      g_printerr ("quarry: worker %d %s on document %s (%s); the document is dead-lettered, a new worker takes the next one\n",
                  (int) pid, reason, job->item.id, job->item.origin != NULL ? job->item.origin : "no file");
    dead_letter (ws, job, stage, timeout_ms > 0 ? "timed-out" : "worker-crashed", reason);
  }
  for (guint k = 1; k < w->n_jobs; k++)
    g_queue_push_tail (&ws->retry, w->jobs[k]);
  w->n_jobs = 0;
  ws->replaced++;
}

/* The worker to give job to: an idle one first; else one running a document, if
 * both requests fit in its pipe (a write that blocks while the worker blocks on its
 * result would hang both); -1 if none. */
static gint
choose (QuarryWorkers *ws, QuarryJob *job)
{
  gint best = -1;

  for (guint i = 0; i < ws->n; i++)
    {
      Worker *w = &ws->w[i];
      if (w->n_jobs == 0)
        return i;
      if (best < 0 && w->n_jobs == 1 && DEPTH > 1
          && request_bytes (w->jobs[0]) + request_bytes (job) <= w->pipe_bytes)
        best = i;
    }
  return best;
}

static gboolean
place (QuarryWorkers *ws, QuarryJob *job)
{
  g_autofree char *why = NULL;
  gint i = choose (ws, job);

  if (i < 0)
    return FALSE;
  if (!give (ws, i, job, &why))
    no_worker (ws, job, why != NULL ? why : "no worker process");
  return TRUE;
}

static void
place_retries (QuarryWorkers *ws)
{
  while (!g_queue_is_empty (&ws->retry) && place (ws, g_queue_peek_head (&ws->retry)))
    g_queue_pop_head (&ws->retry);
}

gboolean
quarry_workers_submit (QuarryWorkers *ws, QuarryJob *job)
{
  place_retries (ws);
  if (!g_queue_is_empty (&ws->retry))
    return FALSE;
  return place (ws, job);
}

guint64
quarry_workers_get_replaced (const QuarryWorkers *ws)
{
  return ws->replaced;
}

/* Reads what worker i has sent; FALSE if its pipe ended (it died). */
static gboolean
read_result (QuarryWorkers *ws, guint i)
{
  Worker *w = &ws->w[i];

  for (;;)
    {
      QuarryJob *job = w->n_jobs > 0 ? w->jobs[0] : NULL;
      ssize_t n;

      if (w->head_got < sizeof w->head)
        n = read (w->from_fd, (char *) &w->head + w->head_got, sizeof w->head - w->head_got);
      else
        {
          gsize want = w->head.length - job->line->len;
          if (want == 0)
            {
              job->dead = (w->head.flags & RES_DEAD) != 0;
              job->failed = (w->head.flags & RES_FAILED) != 0;
              job->done = TRUE;
              memmove (w->jobs, w->jobs + 1, (DEPTH - 1) * sizeof w->jobs[0]);
              w->n_jobs--;
              w->head_ns = quarry_pipeline_now_ns ();  /* it goes straight on to the next */
              w->head_got = 0;
              continue;
            }
          n = read (w->from_fd, job->line->str + job->line->len, want);
          if (n > 0)
            {
              job->line->len += n;
              job->line->str[job->line->len] = '\0';
              continue;
            }
        }
      if (n > 0)
        {
          w->head_got += n;
          if (w->head_got == sizeof w->head)
            {
              if (job == NULL || w->head.seq != job->seq)
                return FALSE;  /* not what it was asked: treat it as broken */
              job->line = g_string_sized_new (w->head.length + 1);
            }
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return TRUE;
      return FALSE;
    }
}

/* The limit job's worker i has overrun at now, or 0; *deadline lowered to its next one. */
static guint
overrun (QuarryWorkers *ws, guint i, gint64 now, gint64 *deadline)
{
  Worker *w = &ws->w[i];
  gint stage = __atomic_load_n (&ws->marks[i].stage, __ATOMIC_ACQUIRE);
  guint hit = 0;

  if (ws->doc_timeout_ms > 0)
    {
      gint64 d = w->head_ns + (gint64) ws->doc_timeout_ms * 1000000;
      if (now >= d)
        hit = ws->doc_timeout_ms;
      *deadline = MIN (*deadline, d);
    }
  if (stage >= 0 && (guint) stage < ws->n_stages && ws->stage_timeout_ms[stage] > 0)
    {
      gint64 d = __atomic_load_n (&ws->marks[i].started_ns, __ATOMIC_RELAXED) + (gint64) ws->stage_timeout_ms[stage] * 1000000;
      if (now >= d && hit == 0)
        hit = ws->stage_timeout_ms[stage];
      *deadline = MIN (*deadline, d);
    }
  return hit;
}

void
quarry_workers_wait (QuarryWorkers *ws, int timeout_ms)
{
  g_autofree struct pollfd *fds = g_new (struct pollfd, ws->n);
  g_autofree guint *which = g_new (guint, ws->n);
  gint64 now = quarry_pipeline_now_ns (), deadline = G_MAXINT64;
  guint nfds = 0;
  int r;

  for (guint i = 0; i < ws->n; i++)
    {
      if (ws->w[i].pid == 0)
        continue;
      if (ws->w[i].n_jobs > 0)
        overrun (ws, i, now, &deadline);
      /* idle workers too: one that dies between documents is reaped at once */
      fds[nfds].fd = ws->w[i].from_fd;
      fds[nfds].events = POLLIN;
      fds[nfds].revents = 0;
      which[nfds++] = i;
    }
  if (deadline != G_MAXINT64)
    timeout_ms = (int) MIN ((gint64) timeout_ms, MAX ((gint64) 0, (deadline - now + 999999) / 1000000));
  r = poll (fds, nfds, timeout_ms);
  if (r < 0 && errno != EINTR)
    g_error ("poll on %u workers failed: %s", nfds, g_strerror (errno));
  for (guint k = 0; r > 0 && k < nfds; k++)
    if (fds[k].revents != 0 && ws->w[which[k]].pid != 0 && !read_result (ws, which[k]))
      worker_lost (ws, which[k], 0);

  now = quarry_pipeline_now_ns ();
  for (guint i = 0; i < ws->n; i++)
    if (ws->w[i].n_jobs > 0)
      {
        guint hit = overrun (ws, i, now, &deadline);
        if (hit == 0)
          continue;
        /* a result that came in since the poll is not a timeout */
        if (!read_result (ws, i))
          worker_lost (ws, i, 0);
        else if (ws->w[i].n_jobs > 0 && (hit = overrun (ws, i, now, &deadline)) > 0)
          worker_lost (ws, i, hit);
      }
  place_retries (ws);
}

void
quarry_workers_free (QuarryWorkers *ws)
{
  if (ws == NULL)
    return;
  for (guint i = 0; i < ws->n; i++)
    if (ws->w[i].pid != 0)
      {
        close (ws->w[i].to_fd);  /* an idle worker reads the end and exits */
        if (ws->w[i].n_jobs > 0)
          kill (ws->w[i].pid, SIGKILL);
      }
  for (guint i = 0; i < ws->n; i++)
    if (ws->w[i].pid != 0)
      {
        while (waitpid (ws->w[i].pid, NULL, 0) < 0 && errno == EINTR)
          ;
        close (ws->w[i].from_fd);
        for (guint k = 0; k < ws->w[i].n_jobs; k++)
          if (ws->w[i].jobs[k]->line != NULL)
            {
              g_string_free (ws->w[i].jobs[k]->line, TRUE);
              ws->w[i].jobs[k]->line = NULL;
            }
      }
  g_queue_clear (&ws->retry);  /* the run loop owns the jobs */
  munmap (ws->marks, ws->n * sizeof (QuarryStageMark));
  g_free (ws->stage_timeout_ms);
  g_free (ws->w);
  g_free (ws);
}
