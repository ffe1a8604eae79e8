/* broken-setup.c: a plugin whose setup always fails, to test set-up error reporting. */
#include <quarry/quarry.h>

static gboolean
setup_fails (QuarryStage *stage, gpointer *state, GError **error)
{
  g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "cannot open /nonexistent/kb.sqlite: No such file");
  return FALSE;
}

static gboolean
never_runs (gpointer state, QuarryDocument *doc, GError **error)
{
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-setup",
  .version = "1.0.0",
  .setup = setup_fails,
  .process = never_runs);
