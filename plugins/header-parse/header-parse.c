/* header-parse.c: the header-parse stage: cable header fields (fields.header) and layout spans. */
#include <string.h>

#include <quarry/quarry.h>

#include "hp-scan.h"

#ifndef HEADER_PARSE_DATA_DIR
#define HEADER_PARSE_DATA_DIR "data"
#endif
#define HP_TAGS_DEFAULT HEADER_PARSE_DATA_DIR "/tags.txt"
#define HP_ORIGINS_DEFAULT HEADER_PARSE_DATA_DIR "/origins.txt"

typedef struct {
  const char **region;     /* interned markup labels that hold the cable, NULL-terminated */
  gboolean     spans;
  gboolean     page_fields;
  HpVocab     *tags;
  HpVocab     *origins;
} HeaderParse;

/* A worker's own: the stage's settings and the buffers its documents reuse. */
typedef struct {
  const HeaderParse *hp;
  HpScratch         *scratch;
} HpWorker;

static const QuarryOption hp_options[] = {
  { "region-elements", QUARRY_OPTION_STRING_LIST, "pre",
    "markup spans (html-strip element names) that hold the cable: the header is looked for from the "
    "first of them to the end of the last; empty, or none in a document, means the whole text" },
  { "layout-spans", QUARRY_OPTION_BOOL, "true",
    "add the header, paragraph, section and page-break spans (false: fields.header only)" },
  { "page-fields", QUARRY_OPTION_BOOL, "true",
    "take reference_id and the cable date from fields.page (html-strip's meta table) when there is one" },
  { "tags", QUARRY_OPTION_PATH, HP_TAGS_DEFAULT,
    "the TAGS vocabulary (one code a line, a tab, its kind), used to split glued tags (ECONEFIN) and keep "
    "free-text tags whole; $QUARRY_HEADER_PARSE_DATA/tags.txt replaces the default" },
  { "origins", QUARRY_OPTION_PATH, HP_ORIGINS_DEFAULT,
    "origin spellings of more than one word (LA PAZ<TAB>LAPAZ) for the cable ids of references; "
    "$QUARRY_HEADER_PARSE_DATA/origins.txt replaces the default" },
  { NULL }
};

static const char *const hp_provides[] = {
  "field:header", "layer:header", "layer:paragraph", "layer:section", "layer:page-break", NULL
};

static void hp_teardown (gpointer state);

/* The option's file; the built-in default names the installed file, which a build tree
 * replaces with $QUARRY_HEADER_PARSE_DATA. */
static char *
hp_data_path (const QuarryStage *stage, const char *key, const char *def, const char *file)
{
  const char *path = quarry_stage_get_string (stage, key);
  const char *env = g_getenv ("QUARRY_HEADER_PARSE_DATA");

  if (env && *env && (!path || strcmp (path, def) == 0))
    return g_build_filename (env, file, NULL);
  return g_strdup (path ? path : def);
}

static HpVocab *
hp_load_vocab (QuarryStage *stage, const char *key, const char *def, const char *file, GError **error)
{
  g_autofree char *path = hp_data_path (stage, key, def, file);
  g_autofree char *prov = g_strconcat (key, "_sha256", NULL);
  GError *local = NULL;
  HpVocab *v = hp_vocab_load (path, &local);

  if (!v)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   "the %s file could not be loaded: %s; point the option '%s' at a file like "
                   "plugins/header-parse/data/%s of the Quarry sources", key, local->message, key, file);
      g_error_free (local);
      return NULL;
    }
  quarry_stage_log (stage, G_LOG_LEVEL_INFO, "%s: %u entries from %s", key, hp_vocab_size (v), path);
  /* the lists decide the output as much as the options do */
  quarry_stage_set_provenance (stage, prov, hp_vocab_checksum (v));
  return v;
}

static gboolean
hp_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  HeaderParse *hp = g_new0 (HeaderParse, 1);
  const char *const *names = quarry_stage_get_strv (stage, "region-elements");
  guint n = g_strv_length ((char **) names), k = 0;

  hp->region = g_new0 (const char *, n + 1);
  for (guint i = 0; i < n; i++)
    if (*names[i])
      {
        char *low = g_ascii_strdown (names[i], -1);
        hp->region[k++] = g_intern_string (low);
        g_free (low);
      }
  hp->spans = quarry_stage_get_bool (stage, "layout-spans");
  hp->page_fields = quarry_stage_get_bool (stage, "page-fields");
  hp->tags = hp_load_vocab (stage, "tags", HP_TAGS_DEFAULT, "tags.txt", error);
  hp->origins = hp->tags ? hp_load_vocab (stage, "origins", HP_ORIGINS_DEFAULT, "origins.txt", error) : NULL;
  if (!hp->origins)
    {
      hp_teardown (hp);
      return FALSE;
    }
  *state = hp;
  return TRUE;
}

static void
hp_teardown (gpointer state)
{
  HeaderParse *hp = state;

  g_free (hp->region);
  hp_vocab_free (hp->tags);
  hp_vocab_free (hp->origins);
  g_free (hp);
}

static gboolean
hp_region_label (const HeaderParse *hp, const char *label)
{
  for (guint i = 0; hp->region[i]; i++)
    if (hp->region[i] == label)
      return TRUE;
  return FALSE;
}

/* The cable's extent from html-strip's markup spans; FALSE if there are none. */
static gboolean
hp_find_region (const HeaderParse *hp, const QuarryDocument *doc, gsize *start, gsize *end)
{
  const char *markup = g_intern_static_string ("markup");
  guint n = quarry_document_get_n_spans (doc);
  gboolean found = FALSE;

  if (!hp->region[0])
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (doc, i);
      if (s->layer != markup || !s->label || !hp_region_label (hp, s->label))
        continue;
      if (!found)
        *start = s->start, *end = s->end;
      else
        *start = MIN (*start, s->start), *end = MAX (*end, s->end);
      found = TRUE;
    }
  return found;
}

static const char *
hp_page_string (const QuarryDocument *doc, const char *key)
{
  json_object *v = quarry_document_lookup_field (doc, "page", key);
  return v && json_object_is_type (v, json_type_string) ? json_object_get_string (v) : NULL;
}

static gboolean
hp_worker_setup (gpointer state, gpointer *worker_state, GError **error)
{
  HpWorker *w = g_new0 (HpWorker, 1);

  w->hp = state;
  w->scratch = hp_scratch_new ();
  *worker_state = w;
  return TRUE;
}

static void
hp_worker_teardown (gpointer state, gpointer worker_state)
{
  HpWorker *w = worker_state;

  hp_scratch_free (w->scratch);
  g_free (w);
}

static gboolean
hp_process (gpointer worker_state, QuarryDocument *doc, GError **error)
{
  HpWorker *w = worker_state;
  const HeaderParse *hp = w->hp;
  HpInput in = { 0 };
  gsize length;
  const char *text = quarry_document_get_text (doc, &length);
  HpResult *res;
  json_object *header;

  in.scratch = w->scratch;
  in.tags = hp->tags;
  in.origins = hp->origins;
  if (!hp_find_region (hp, doc, &in.region_start, &in.region_end))
    in.region_start = in.region_end = 0;
  if (hp->page_fields)
    {
      in.reference_id = hp_page_string (doc, "reference_id");
      in.created = hp_page_string (doc, "created");
    }
  res = hp_parse (text, length, &in);

  header = quarry_document_get_fields (doc, "header");
  json_object_object_foreach (res->fields, key, value)
    json_object_object_add (header, key, json_object_get (value));

  if (hp->spans)
    for (guint i = 0; i < res->spans->len; i++)
      {
        HpSpan *s = &g_array_index (res->spans, HpSpan, i);
        GError *err = NULL;
        /* the document takes the attrs, even on failure */
        if (quarry_document_add_span (doc, s->layer, s->label, s->start, s->end, s->attrs, &err) < 0)
          {
            quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "bad-span", s->start,
                                      "a %s span could not be added (%s); this is a header-parse bug, "
                                      "please report it with the document", s->layer, err->message);
            g_error_free (err);
          }
        s->attrs = NULL;
      }
  for (guint i = 0; i < res->diags->len; i++)
    {
      HpDiag *d = &g_array_index (res->diags, HpDiag, i);
      quarry_document_diagnose (doc, d->warning ? QUARRY_DIAGNOSTIC_WARNING : QUARRY_DIAGNOSTIC_INFO,
                                d->code, d->offset, "%s", d->message);
    }
  hp_result_free (res);
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (
  .name = "header-parse",
  .version = "1.1.0",
  .description = "cable header fields (classification, TAGS, SUBJECT, references, ...) and layout spans",
  .options = hp_options,
  .provides = hp_provides,
  .setup = hp_setup,
  .process = hp_process,
  .teardown = hp_teardown,
  .worker_setup = hp_worker_setup,
  .worker_teardown = hp_worker_teardown);
