/* broken-sleep.c: a test plugin whose process sleeps on one document, to test time limits. */
#include <unistd.h>
#include <quarry/quarry.h>

typedef struct {
  char *id;
  gint64 ms;
} Sleep;

static const QuarryOption options[] = {
  { "id", QUARRY_OPTION_STRING, NULL, "sleep on the document with this id (unset: on every document)" },
  { "ms", QUARRY_OPTION_INT, "60000", "how long to sleep, in milliseconds", NULL, 0, 3600000 },
  { NULL }
};

static gboolean
sleep_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  Sleep *s = g_new0 (Sleep, 1);

  s->id = g_strdup (quarry_stage_get_string (stage, "id"));
  s->ms = quarry_stage_get_int (stage, "ms");
  *state = s;
  return TRUE;
}

static gboolean
sleep_process (gpointer state, QuarryDocument *doc, GError **error)
{
  Sleep *s = state;

  if (s->id == NULL || g_str_equal (s->id, quarry_document_get_id (doc)))
    g_usleep (s->ms * 1000);
  return TRUE;
}

static void
sleep_teardown (gpointer state)
{
  Sleep *s = state;

  g_free (s->id);
  g_free (s);
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-sleep",
  .version = "1.0.0",
  .description = "test plugin: sleeps in process (a stage that hangs)",
  .options = options,
  .setup = sleep_setup,
  .process = sleep_process,
  .teardown = sleep_teardown);
