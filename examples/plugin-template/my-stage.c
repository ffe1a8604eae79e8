/* my-stage.c: a Quarry stage plugin: marks every match of a regular expression as a span of layer "my-stage". */
#include <quarry/quarry.h>

/* What set-up makes from the options. process() only reads it, from several threads
 * at once: a compiled GRegex may be matched from any number of threads. */
typedef struct {
  GRegex *regex;
  char   *label;
  gint64  max_matches;
} MyStage;

/* The options, checked by the host against the config before set-up; `quarry inspect
 * my-stage` prints this table. Designated initializers compile clean under -Wextra. */
static const QuarryOption options[] = {
  { .name = "pattern", .type = QUARRY_OPTION_STRING,
    .default_value = "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}",
    .help = "regular expression (PCRE syntax) to mark; the default finds e-mail addresses" },
  { .name = "label", .type = QUARRY_OPTION_STRING, .default_value = "MATCH", .help = "label of the spans" },
  { .name = "ignore-case", .type = QUARRY_OPTION_BOOL, .default_value = "false",
    .help = "match without regard to case" },
  { .name = "max-matches", .type = QUARRY_OPTION_INT, .default_value = "10000",
    .help = "most spans per document; the rest are counted in a warning", .min = 1, .max = 1000000 },
  { NULL }
};

static const char *const provides[] = { "layer:my-stage", "field:my-stage", NULL };

static void
my_stage_teardown (gpointer state)
{
  MyStage *self = state;

  g_clear_pointer (&self->regex, g_regex_unref);
  g_free (self->label);
  g_free (self);
}

static gboolean
my_stage_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  MyStage *self = g_new0 (MyStage, 1);
  const char *pattern = quarry_stage_get_string (stage, "pattern");
  GRegexCompileFlags flags = G_REGEX_OPTIMIZE;
  GError *local = NULL;

  if (quarry_stage_get_bool (stage, "ignore-case"))
    flags |= G_REGEX_CASELESS;
  self->regex = g_regex_new (pattern, flags, 0, &local);
  if (self->regex == NULL)
    {
      /* say what is wrong, where, and how to fix it; free what was made */
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   "option pattern '%s' is not a regular expression: %s; fix it in the [%s] group",
                   pattern, local->message, quarry_stage_get_name (stage));
      g_error_free (local);
      my_stage_teardown (self);
      return FALSE;
    }
  self->label = g_strdup (quarry_stage_get_string (stage, "label"));
  self->max_matches = quarry_stage_get_int (stage, "max-matches");
  *state = self;
  return TRUE;
}

static gboolean
my_stage_process (gpointer state, QuarryDocument *doc, GError **error)
{
  MyStage *self = state;
  gsize len;
  const char *text = quarry_document_get_text (doc, &len);
  g_autoptr(GMatchInfo) match = NULL;
  gint64 found = 0, dropped = 0;

  /* offsets are byte offsets into the current text; empty matches mark nothing */
  g_regex_match_full (self->regex, text, len, 0, 0, &match, NULL);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      gint start, end;

      g_match_info_fetch_pos (match, 0, &start, &end);
      if (start == end)
        continue;
      if (found == self->max_matches)
        {
          dropped++;
          continue;
        }
      if (quarry_document_add_span (doc, "my-stage", self->label, start, end, NULL, error) < 0)
        return FALSE;
      found++;
    }
  if (dropped > 0)
    quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "too-many-matches", QUARRY_NO_OFFSET,
                              "%" G_GINT64_FORMAT " more matches than max-matches = %" G_GINT64_FORMAT
                              " were not marked; raise max-matches to mark them", dropped, self->max_matches);
  json_object_object_add (quarry_document_get_fields (doc, "my-stage"), "count", json_object_new_int64 (found));
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (.name = "my-stage", .version = "1.0.0",
                      .description = "marks every match of a regular expression (e-mail addresses by default)",
                      .options = options, .provides = provides,
                      .setup = my_stage_setup, .process = my_stage_process, .teardown = my_stage_teardown);
