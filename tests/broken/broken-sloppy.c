/* broken-sloppy.c: a plugin with an author's mistakes that do not stop a run: an error set on success, a GLib critical from a call into the core. */
#include <quarry/quarry.h>

static const QuarryOption options[] = {
  { .name = "mistake", .type = QUARRY_OPTION_ENUM, .default_value = "error-on-success",
    .help = "which mistake to make", .choices = (const char *const[]) { "error-on-success", "critical", NULL } },
  QUARRY_OPTION_END
};

static gboolean
sloppy_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  *state = GINT_TO_POINTER (g_str_equal (quarry_stage_get_string (stage, "mistake"), "critical"));
  return TRUE;
}

static gboolean
sloppy_process (gpointer state, QuarryDocument *doc, GError **error)
{
  if (GPOINTER_TO_INT (state))
    {
      /* a span with no layer: the core's g_return_val_if_fail refuses it */
      quarry_document_add_span (doc, NULL, "x", 0, 0, NULL, NULL);
      return TRUE;
    }
  g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS, "a leftover error from a retry that worked");
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-sloppy",
  .version = "1.0.0",
  .options = options,
  .setup = sloppy_setup,
  .process = sloppy_process);
