/* test-replace.c: a test plugin: replaces every occurrence of a string through the edit API and marks it. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <quarry/quarry.h>

typedef struct {
  char *find;
  char *replace;
  char *fail_id;
  char *signal_id;
} Replace;

static const QuarryOption options[] = {
  { "find", QUARRY_OPTION_STRING, "a", "text to find" },
  { "replace", QUARRY_OPTION_STRING, "A", "replacement" },
  { "fail-id", QUARRY_OPTION_STRING, NULL, "fail on the document with this id" },
  { "signal-id", QUARRY_OPTION_STRING, NULL, "send SIGTERM to this process on the document with this id" },
  { "count", QUARRY_OPTION_INT, "1", "unused number, for type checks", NULL, 1, 10 },
  { "ratio", QUARRY_OPTION_DOUBLE, "0.5", "unused number, for type checks", NULL, 0, 1 },
  { "flag", QUARRY_OPTION_BOOL, "false", "unused flag, for type checks" },
  { "mode", QUARRY_OPTION_ENUM, "fast", "unused choice", (const char *const[]) { "fast", "slow", NULL } },
  { "words", QUARRY_OPTION_STRING_LIST, "x;y", "unused list" },
  { "file", QUARRY_OPTION_PATH, NULL, "unused path" },
  { "files", QUARRY_OPTION_PATH_LIST, NULL, "unused paths" },
  { NULL }
};

static const char *const provides[] = { "layer:replaced", NULL };

static gboolean
replace_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  Replace *r = g_new0 (Replace, 1);

  r->find = g_strdup (quarry_stage_get_string (stage, "find"));
  r->replace = g_strdup (quarry_stage_get_string (stage, "replace"));
  r->fail_id = g_strdup (quarry_stage_get_string (stage, "fail-id"));
  r->signal_id = g_strdup (quarry_stage_get_string (stage, "signal-id"));
  if (r->find == NULL || r->find[0] == '\0')
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "option find must not be empty");
      g_free (r->find);
      g_free (r->replace);
      g_free (r->fail_id);
      g_free (r->signal_id);
      g_free (r);
      return FALSE;
    }
  *state = r;
  return TRUE;
}

static gboolean
replace_process (gpointer state, QuarryDocument *doc, GError **error)
{
  Replace *r = state;
  g_autoptr(QuarryEdits) edits = quarry_edits_new ();
  gsize len, flen = strlen (r->find), rlen = strlen (r->replace);
  const char *text = quarry_document_get_text (doc, &len);
  const char *p = text;
  guint n = 0;

  if (r->signal_id != NULL && g_str_equal (r->signal_id, quarry_document_get_id (doc)))
    kill (getpid (), SIGTERM);  /* as if the user stopped the run while this document was in flight */
  if (r->fail_id != NULL && g_str_equal (r->fail_id, quarry_document_get_id (doc)))
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS, "asked to fail on %s", r->fail_id);
      return FALSE;
    }
  while ((p = strstr (p, r->find)) != NULL)
    {
      gsize at = p - text;
      quarry_edits_replace (edits, at, at + flen, r->replace, rlen);
      p += flen;
    }
  if (!quarry_document_apply_edits (doc, edits, error))
    return FALSE;
  /* each replacement where it landed: the batch knows the shifts */
  for (guint i = 0; i < quarry_edits_count (edits); i++)
    {
      gsize s, e;
      quarry_edits_get_new_range (edits, i, &s, &e);
      if (quarry_document_add_span (doc, "replaced", "r", s, e, NULL, error) < 0)
        return FALSE;
      n++;
    }
  /* its own spans only: an earlier stage's spans are not replacements */
  json_object_object_add (quarry_document_get_fields (doc, "replace"), "count", json_object_new_int (n));
  return TRUE;
}

static void
replace_teardown (gpointer state)
{
  Replace *r = state;

  g_free (r->find);
  g_free (r->replace);
  g_free (r->fail_id);
  g_free (r->signal_id);
  g_free (r);
}

QUARRY_PLUGIN_DEFINE (
  .name = "test-replace",
  .version = "1.0.0",
  .description = "test plugin: replaces a string through the edit API",
  .options = options,
  .provides = provides,
  .setup = replace_setup,
  .process = replace_process,
  .teardown = replace_teardown);
