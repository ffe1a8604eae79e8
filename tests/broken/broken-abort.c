/* broken-abort.c: a test plugin whose process calls abort() on one document, to test crash isolation. */
#include <stdlib.h>
#include <quarry/quarry.h>

static const QuarryOption options[] = {
  { "id", QUARRY_OPTION_STRING, NULL, "abort on the document with this id (unset: on every document)" },
  { NULL }
};

static gboolean
abort_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  *state = g_strdup (quarry_stage_get_string (stage, "id"));
  return TRUE;
}

static gboolean
abort_process (gpointer state, QuarryDocument *doc, GError **error)
{
  const char *id = state;

  if (id == NULL || g_str_equal (id, quarry_document_get_id (doc)))
    abort ();
  return TRUE;
}

static void
abort_teardown (gpointer state)
{
  g_free (state);
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-abort",
  .version = "1.0.0",
  .description = "test plugin: aborts in process",
  .options = options,
  .setup = abort_setup,
  .process = abort_process,
  .teardown = abort_teardown);
