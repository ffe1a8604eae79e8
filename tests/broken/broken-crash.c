/* broken-crash.c: a test plugin whose process dereferences NULL on one document, to test crash isolation. */
#include <string.h>
#include <quarry/quarry.h>

static const QuarryOption options[] = {
  { "id", QUARRY_OPTION_STRING, NULL, "crash on the document with this id (unset: on every document)" },
  { NULL }
};

static gboolean
crash_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  *state = g_strdup (quarry_stage_get_string (stage, "id"));
  return TRUE;
}

/* no sanitizer here: the test wants the plain SIGSEGV a user's broken plugin gives */
__attribute__ ((no_sanitize_address, no_sanitize_undefined))
static gboolean
crash_process (gpointer state, QuarryDocument *doc, GError **error)
{
  const char *id = state;

  if (id == NULL || g_str_equal (id, quarry_document_get_id (doc)))
    {
      volatile int *volatile nowhere = NULL;  /* volatile both: the compiler may not drop the store */
      *nowhere = 42;
    }
  return TRUE;
}

static void
crash_teardown (gpointer state)
{
  g_free (state);
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-crash",
  .version = "1.0.0",
  .description = "test plugin: dereferences NULL in process",
  .options = options,
  .setup = crash_setup,
  .process = crash_process,
  .teardown = crash_teardown);
