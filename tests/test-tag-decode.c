/* test-tag-decode.c: tests of the tag-decode plugin: the seed, malformed markup, detokenization, round trips. */
#include "config.h"

#include <string.h>

#include "decoder.h"
#include "document-private.h"
#include "harness.h"


static const char *const default_labels[] = { "PER", "LOC", "ORG", "MISC", NULL };

/* ---- helpers ---- */

/* Pipelines by INI text, kept until exit: diagnostics name their stage with the pipeline's string. */
static GHashTable *pipelines;

static QuarryHarness *
pipeline_for (const char *ini)
{
  QuarryHarness *p = g_hash_table_lookup (pipelines, ini);

  if (p == NULL)
    {
      p = quarry_harness_new (ini);
      g_hash_table_insert (pipelines, g_strdup (ini), p);
    }
  return p;
}

static QuarryDocument *
run_ini (const char *ini, const char *data, gssize length, const char *media_type)
{
  return quarry_harness_run (pipeline_for (ini), "test", data, length, media_type);
}

#define INI_PLAIN "[pipeline]\nstages = tag-decode\n"
#define INI_DETOK "[pipeline]\nstages = tag-decode\n[tag-decode]\ndetokenize = true\n"
/* header-parse first, as in the cables config: its page-break lines are the ones a tag must not cross */
#define INI_HP_FIRST "[pipeline]\nstages = header-parse;tag-decode\n"

/* Runs the engine directly on text (no pipeline), for cases that need spans put in beforehand. */
static void
decode_direct (QuarryDocument *doc, gboolean detokenize)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TagDecoder) dec = tag_decoder_new (default_labels, TAG_DEFAULT_MAX_LENGTH, detokenize, &error);

  g_assert_no_error (error);
  g_assert_true (tag_decoder_process (dec, doc, &error));
  g_assert_no_error (error);
}

static char *
span_text (QuarryDocument *doc, const QuarrySpan *sp)
{
  const char *text = quarry_document_get_text (doc, NULL);

  return g_strndup (text + sp->start, sp->end - sp->start);
}

/* Puts the markup back around every entity span: "[" label " " text "  ]". */
static char *
reencode (QuarryDocument *doc)
{
  gsize len, pos = 0;
  const char *text = quarry_document_get_text (doc, &len);
  const char *layer = g_intern_static_string ("entity");
  GString *out = g_string_sized_new (len + 64);

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_get_span (doc, i);

      if (sp->layer != layer)
        continue;
      g_assert_cmpuint (sp->start, >=, pos);
      g_string_append_len (out, text + pos, sp->start - pos);
      g_string_append_printf (out, "[%s ", sp->label);
      g_string_append_len (out, text + sp->start, sp->end - sp->start);
      g_string_append (out, TAG_CLOSE);
      pos = sp->end;
    }
  g_string_append_len (out, text + pos, len - pos);
  return g_string_free (out, FALSE);
}

/* Every entity span maps to source bytes that the markup `[LABEL ` and `  ]` enclose exactly,
 * and its text is those bytes (detokenized: the same bytes without some spaces). */
static void
assert_entity_sources (QuarryDocument *doc, gboolean detokenized)
{
  gsize src_len;
  const char *src = quarry_document_get_source (doc, &src_len);

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_get_span (doc, i);
      g_autofree char *t = NULL, *open = NULL, *inner = NULL;
      gsize s0, s1, lab;

      if (strcmp (sp->layer, "entity") != 0)
        continue;
      quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
      open = g_strdup_printf ("[%s ", sp->label);
      lab = strlen (open);
      g_assert_cmpuint (s0, >=, lab);
      g_assert_cmpuint (s1 + 3, <=, src_len);
      g_assert_true (memcmp (src + s0 - lab, open, lab) == 0);
      g_assert_true (memcmp (src + s1, TAG_CLOSE, 3) == 0);
      t = span_text (doc, sp);
      inner = g_strndup (src + s0, s1 - s0);
      if (detokenized)
        {
          g_autoptr(GString) a = g_string_new (t), b = g_string_new (inner);
          g_string_replace (a, " ", "", 0);
          g_string_replace (b, " ", "", 0);
          g_assert_cmpstr (a->str, ==, b->str);
        }
      else
        g_assert_cmpstr (t, ==, inner);
    }
}

static guint
count_layer (QuarryDocument *doc, const char *layer)
{
  guint n = 0;

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    n += strcmp (quarry_document_get_span (doc, i)->layer, layer) == 0;
  return n;
}

/* The entity spans as "LABEL:text|LABEL:text". */
static char *
entity_summary (QuarryDocument *doc)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_get_span (doc, i);
      g_autofree char *t = NULL;

      if (strcmp (sp->layer, "entity") != 0)
        continue;
      t = span_text (doc, sp);
      g_string_append_printf (s, "%s%s:%s", s->len ? "|" : "", sp->label, t);
    }
  return g_string_free (s, FALSE);
}

/* The diagnostic codes of stage (NULL: all) as "code@source,code@source". */
static char *
diagnostic_summary_of (QuarryDocument *doc, const char *stage)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < quarry_document_get_n_diagnostics (doc); i++)
    {
      const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, i);

      if (stage != NULL && g_strcmp0 (d->stage, stage) != 0)
        continue;
      g_string_append_printf (s, "%s%s@%" G_GSSIZE_FORMAT, s->len ? "," : "", d->code, d->source_offset);
    }
  return g_string_free (s, FALSE);
}

static char *
diagnostic_summary (QuarryDocument *doc)
{
  return diagnostic_summary_of (doc, NULL);
}

static guint
count_char (const char *s, char c)
{
  guint n = 0;

  for (; *s != '\0'; s++)
    n += *s == c;
  return n;
}

/* ---- the seed ---- */

typedef struct {
  char  *label;
  char  *text;
  gsize  start;  /* bytes of the raw seed */
  gsize  end;
} Expected;

static void
expected_free (gpointer p)
{
  Expected *e = p;

  g_free (e->label);
  g_free (e->text);
  g_free (e);
}

/* Every tag of the raw seed, found by a regular expression (independently of the decoder). */
static GPtrArray *
seed_expected_tags (const char *seed)
{
  g_autoptr(GRegex) re = g_regex_new ("\\[(PER|LOC|ORG|MISC) ([^\\[\\]]+?)  \\]", 0, 0, NULL);
  g_autoptr(GMatchInfo) mi = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (expected_free);

  g_regex_match (re, seed, 0, &mi);
  while (g_match_info_matches (mi))
    {
      Expected *e = g_new0 (Expected, 1);
      gint s, t;

      e->label = g_match_info_fetch (mi, 1);
      e->text = g_match_info_fetch (mi, 2);
      g_match_info_fetch_pos (mi, 2, &s, &t);
      e->start = s;
      e->end = t;
      g_ptr_array_add (out, e);
      g_match_info_next (mi, NULL);
    }
  return out;
}

static char *
read_seed (gsize *len)
{
  g_autofree char *path = harness_shared_path ("seed/09MOSCOW2734-tagged.html");

  if (path == NULL)
    return NULL;
  return quarry_test_read_file (path, len);
}

/* Checks every entity span of doc against the tags of the raw seed: label, source range, and
 * text (exactly the tag's text, or with spaces removed when detokenized). */
static void
assert_seed_entities (QuarryDocument *doc, const char *seed, gboolean detokenized)
{
  g_autoptr(GPtrArray) want = seed_expected_tags (seed);
  guint k = 0;

  g_assert_cmpuint (want->len, ==, 171);
  g_assert_cmpuint (count_layer (doc, "entity"), ==, 171);
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_get_span (doc, i);
      const Expected *e;
      g_autofree char *t = NULL;
      gsize s0, s1;

      if (strcmp (sp->layer, "entity") != 0)
        continue;
      e = want->pdata[k++];
      t = span_text (doc, sp);
      g_assert_cmpstr (sp->label, ==, e->label);
      quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
      g_assert_cmpuint (s0, ==, e->start);
      g_assert_cmpuint (s1, ==, e->end);
      if (!detokenized)
        g_assert_cmpstr (t, ==, e->text);
      else
        {
          g_autoptr(GString) a = g_string_new (t), b = g_string_new (e->text);
          g_string_replace (a, " ", "", 0);
          g_string_replace (b, " ", "", 0);
          g_assert_cmpstr (a->str, ==, b->str);
        }
    }
}

static void
test_seed_plain (void)
{
  gsize len;
  g_autofree char *seed = read_seed (&len);
  g_autoptr(QuarryDocument) doc = NULL;
  g_autoptr(GRegex) markup = NULL;
  g_autofree char *want_text = NULL;

  if (seed == NULL)
    {
      g_test_skip ("the seed is not in QUARRY_SHARED_DIR");
      return;
    }
  doc = run_ini (INI_PLAIN, seed, len, "text/plain");
  assert_seed_entities (doc, seed, FALSE);

  /* the text is the seed without the markup, and nothing else changed */
  markup = g_regex_new ("\\[(?:PER|LOC|ORG|MISC) ([^\\[\\]]+?)  \\]", 0, 0, NULL);
  want_text = g_regex_replace (markup, seed, len, 0, "\\1", 0, NULL);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, want_text);
  g_assert_cmpuint (quarry_document_get_n_diagnostics (doc), ==, 0);
}

static void
test_seed_roundtrip (void)
{
  gsize len;
  g_autofree char *seed = read_seed (&len);
  g_autoptr(QuarryDocument) doc = NULL;
  g_autofree char *back = NULL;

  if (seed == NULL)
    {
      g_test_skip ("the seed is not in QUARRY_SHARED_DIR");
      return;
    }
  doc = run_ini (INI_PLAIN, seed, len, "text/plain");
  back = reencode (doc);
  g_assert_cmpuint (strlen (back), ==, len);
  g_assert_true (memcmp (back, seed, len) == 0);
}

static void
test_seed_detokenized (void)
{
  gsize len;
  g_autofree char *seed = read_seed (&len);
  g_autoptr(QuarryDocument) doc = NULL;
  const char *text;
  g_autoptr(GString) squeezed = NULL, seed_squeezed = NULL;
  g_autoptr(GRegex) markup = NULL;
  g_autofree char *plain = NULL;
  const char *expect[] = {
    "Miliband’s November 1-2 visit, he put an end to the “period of standoff,” but",
    ">1. \n(C) During Foreign Secretary",
    "for reasons 1.4 (b) and (d).",
    "hailed this as a “reset,” it comes",
    "the Middle East Peace Process (MEPP).",
    "(NPT), Afghanistan, and",
    "FM Lavrov -- START Follow-on, Iran, Afghanistan,",
    "too early for a new treaty; he urged",
    "cultural relations (especially in 2011) to make",
    "U.S. strategic offensive weapons",
    "slapping them around the face.” The diplomats",
  };

  if (seed == NULL)
    {
      g_test_skip ("the seed is not in QUARRY_SHARED_DIR");
      return;
    }
  doc = run_ini (INI_DETOK, seed, len, "text/plain");
  assert_seed_entities (doc, seed, TRUE);
  text = quarry_document_get_text (doc, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    if (strstr (text, expect[i]) == NULL)
      g_test_fail_printf ("detokenized seed lacks \"%s\"", expect[i]);
  g_assert_null (strstr (text, " , "));
  g_assert_null (strstr (text, "( "));
  g_assert_null (strstr (text, " )"));

  /* only spaces went: the text without spaces is the decoded seed without spaces */
  markup = g_regex_new ("\\[(?:PER|LOC|ORG|MISC) ([^\\[\\]]+?)  \\]", 0, 0, NULL);
  plain = g_regex_replace (markup, seed, len, 0, "\\1", 0, NULL);
  squeezed = g_string_new (text);
  seed_squeezed = g_string_new (plain);
  g_string_replace (squeezed, " ", "", 0);
  g_string_replace (seed_squeezed, " ", "", 0);
  g_assert_cmpstr (squeezed->str, ==, seed_squeezed->str);
  /* the line structure is kept */
  g_assert_cmpuint (count_char (text, '\n'), ==, count_char (seed, '\n'));
  g_assert_cmpuint (quarry_document_get_n_diagnostics (doc), ==, 0);
}

/* Through html-strip first, as in the default pipeline: the source ranges are still the tag texts in the raw file. */
static void
test_seed_html (void)
{
  gsize len;
  g_autofree char *seed = read_seed (&len);
  g_autoptr(QuarryHarness) p = NULL;
  const char *ini[] = {
    "[pipeline]\nstages = html-strip;tag-decode\n",
    "[pipeline]\nstages = html-strip;tag-decode\n[tag-decode]\ndetokenize = true\n",
  };

  if (seed == NULL)
    {
      g_test_skip ("the seed is not in QUARRY_SHARED_DIR");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (ini); i++)
    {
      g_autoptr(QuarryDocument) doc = NULL;
      const char *text;

      p = quarry_harness_new (ini[i]);
      doc = quarry_harness_run (p, "09MOSCOW2734", seed, len, "text/html");
      assert_seed_entities (doc, seed, i == 1);
      text = quarry_document_get_text (doc, NULL);
      g_assert_null (strstr (text, "<a "));
      g_assert_null (strstr (text, "[PER"));
      g_assert_cmpuint (quarry_test_count_diagnostics (doc, "unclosed-tag") + quarry_test_count_diagnostics (doc, "bracket-text"),
                        ==, 0);
      g_clear_pointer (&p, quarry_harness_free);
    }
}

/* header-parse's spans (and fields) come out the same whether it runs before or after tag-decode. */
static void
test_seed_header_order (void)
{
  gsize len;
  g_autofree char *seed = read_seed (&len);
  const char *layers[] = { "header", "paragraph", "section", "page-break" };
  const char *detok[] = { "false", "true" };

  if (seed == NULL)
    {
      g_test_skip ("the seed is not in QUARRY_SHARED_DIR");
      return;
    }
  for (guint k = 0; k < G_N_ELEMENTS (detok); k++)
    {
      g_autofree char *ini_before = g_strdup_printf ("[pipeline]\nstages = html-strip;header-parse;tag-decode\n"
                                                     "[tag-decode]\ndetokenize = %s\n", detok[k]);
      g_autofree char *ini_after = g_strdup_printf ("[pipeline]\nstages = html-strip;tag-decode;header-parse\n"
                                                    "[tag-decode]\ndetokenize = %s\n", detok[k]);
      g_autoptr(QuarryHarness) before = quarry_harness_new (ini_before);
      g_autoptr(QuarryHarness) after = NULL;
      g_autoptr(QuarryDocument) a = NULL, b = NULL;
      g_autoptr(json_object) ra = NULL, rb = NULL;
      json_object *fa, *fb;
      guint total = 0;

      after = quarry_harness_new (ini_after);
      a = quarry_harness_run (before, "09MOSCOW2734", seed, len, "text/html");
      b = quarry_harness_run (after, "09MOSCOW2734", seed, len, "text/html");
      g_assert_cmpstr (quarry_document_get_text (a, NULL), ==, quarry_document_get_text (b, NULL));
      for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
        {
          g_autoptr(json_object) sa = quarry_test_spans (a, layers[i]);
          g_autoptr(json_object) sb = quarry_test_spans (b, layers[i]);

          quarry_assert_json_equal (sa, sb, layers[i]);
          total += json_object_array_length (sa);
        }
      g_assert_cmpuint (total, >=, 1 + 12 + 2);  /* the header, 12 paragraphs, 2 page breaks */
      ra = quarry_test_record (a);
      rb = quarry_test_record (b);
      g_assert_true (json_object_object_get_ex (ra, "fields", &fa));
      g_assert_true (json_object_object_get_ex (rb, "fields", &fb));
      quarry_assert_json_equal (fa, fb, "fields");
      assert_seed_entities (a, seed, k == 1);
      assert_seed_entities (b, seed, k == 1);
    }
}

/* ---- malformed markup: left as text, diagnosed ---- */

typedef struct {
  const char *name;
  const char *input;
  const char *text;      /* the text after decoding */
  const char *entities;  /* LABEL:text|... */
  const char *codes;     /* code@source-byte,... */
} Case;

static const Case cases[] = {
  { "plain", "FM [PER Lavrov  ] -- START", "FM Lavrov -- START", "PER:Lavrov", "" },
  { "multiword", "[LOC Middle East Peace Process ( MEPP  ] )", "Middle East Peace Process ( MEPP )",
    "LOC:Middle East Peace Process ( MEPP", "" },
  { "quote-inside", "the “Period of [LOC Standoff”  ] --", "the “Period of Standoff” --", "LOC:Standoff”", "" },
  { "adjacent", "[PER a  ][LOC b  ]", "ab", "PER:a|LOC:b", "" },
  { "at-edges", "[MISC Russian  ]", "Russian", "MISC:Russian", "" },
  { "bracket-in-text", "a [ b ] c [PER X  ]", "a [ b ] c X", "PER:X", "bracket-text@2" },
  { "sic", "he sed [sic] so [PER Bob  ]", "he sed [sic] so Bob", "PER:Bob", "bracket-text@7" },
  { "redaction", "met [NAME REMOVED] today", "met [NAME REMOVED] today", "", "bracket-text@4" },
  { "redaction-in-tag", "[PER Bob [NAME REMOVED] Smith  ] said", "Bob [NAME REMOVED] Smith said",
    "PER:Bob [NAME REMOVED] Smith", "bracket-text@9" },
  { "lower-case-bracket", "the [the U.S.] and [PER Bob  ]", "the [the U.S.] and Bob", "PER:Bob", "bracket-text@4" },
  { "unknown-label", "[GPE Moscow  ] and [PER Bob  ]", "[GPE Moscow  ] and Bob", "PER:Bob", "unknown-label@0" },
  { "unclosed-end", "x [PER Bob said", "x [PER Bob said", "", "unclosed-tag@2" },
  { "unclosed-before-tag", "[PER Bob said [LOC Moscow  ] .", "[PER Bob said Moscow .", "LOC:Moscow",
    "unclosed-tag@0" },
  { "one-space-close", "[PER Bob ] and [LOC Rome  ]", "[PER Bob ] and Rome", "LOC:Rome", "unclosed-tag@0" },
  { "empty", "[PER  ] x", "[PER  ] x", "", "malformed-tag@0" },
  { "blank-edge", "[PER  Bob  ] x [PER Al   ]", "[PER  Bob  ] x [PER Al   ]", "",
    "malformed-tag@0,malformed-tag@15" },
  { "unmatched-close", "Bob  ] said", "Bob  ] said", "", "unmatched-close@3" },
  { "across-paragraph", "[ORG British\n\nCouncil  ]", "[ORG British\n\nCouncil  ]", "", "tag-across-paragraph@0" },
  { "across-line", "[ORG British\nCouncil  ]", "British\nCouncil", "ORG:British\nCouncil", "" },
  { "section-is-no-page-break", "[ORG SECTION 01 OF 03  ]", "SECTION 01 OF 03", "ORG:SECTION 01 OF 03", "" },
  { "nested", "[ORG University of [LOC Moscow  ] staff  ] x", "[ORG University of Moscow staff  ] x",
    "LOC:Moscow", "nested-tag@0" },
  { "double-open", "[[PER Bob  ]", "[Bob", "PER:Bob", "bracket-text@0" },
  { "double-close", "[PER Bob  ]  ]", "Bob  ]", "PER:Bob", "unmatched-close@11" },
  { "label-no-space", "[PER]x  ]", "[PER]x  ]", "", "bracket-text@0,unmatched-close@6" },
  { "utf8", "„[PER Łukasz Żółw  ]“", "„Łukasz Żółw“", "PER:Łukasz Żółw", "" },
  { "bracket-at-end", "text [", "text [", "", "bracket-text@5" },
};

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(QuarryDocument) doc = run_ini (INI_PLAIN, c->input, -1, NULL);
  g_autofree char *ents = entity_summary (doc);
  g_autofree char *codes = diagnostic_summary (doc);
  g_autofree char *back = reencode (doc);

  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, c->text);
  g_assert_cmpstr (ents, ==, c->entities);
  g_assert_cmpstr (codes, ==, c->codes);
  /* whatever the input, nothing is lost */
  g_assert_cmpstr (back, ==, c->input);
  for (guint i = 0; i < quarry_document_get_n_diagnostics (doc); i++)
    {
      const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, i);
      g_assert_cmpstr (d->stage, ==, "tag-decode");
      g_assert_nonnull (strstr (d->message, "source byte"));
    }
}

/* ---- page-break lines: header-parse's layer, when it ran before ---- */

typedef struct {
  const char *name;
  const char *input;
  const char *page_break;  /* the line header-parse must find, as it reads after decoding */
  const char *text;        /* the text after decoding, header-parse first */
  const char *entities;
  const char *codes;       /* tag-decode's diagnostics */
} BreakCase;

static const BreakCase break_cases[] = {
  { "inline", "[ORG British MOSCOW 00002734 002 OF 003 Council  ] x", "MOSCOW 00002734 002 OF 003",
    "[ORG British MOSCOW 00002734 002 OF 003 Council  ] x", "", "tag-across-page-break@0" },
  { "own-line", "[ORG British\nMOSCOW 00002734 002 OF 003\nCouncil  ] x", "MOSCOW 00002734 002 OF 003",
    "[ORG British\nMOSCOW 00002734 002 OF 003\nCouncil  ] x", "", "tag-across-page-break@0" },
  { "tagged-origin", "[ORG British [LOC MOSCOW  ] 00002734 002 OF 003 Council  ] x",
    "MOSCOW 00002734 002 OF 003",
    "[ORG British MOSCOW 00002734 002 OF 003 Council  ] x", "LOC:MOSCOW", "tag-across-page-break@0" },
  /* a mention on the page-break line lies inside it: decoded */
  { "origin-only", "He said\n[LOC MOSCOW  ] 00002734 002 OF 003\nthat [PER Bob  ] came.",
    "MOSCOW 00002734 002 OF 003",
    "He said\nMOSCOW 00002734 002 OF 003\nthat Bob came.", "LOC:MOSCOW|PER:Bob", "" },
  /* an old telegram's page header, with the classification repeated on the line before */
  { "telegram", "[ORG British\nUNCLASSIFIED\nPAGE 02 ROME 01059 01 OF 04 281501Z\nCouncil  ] x",
    "UNCLASSIFIED\nPAGE 02 ROME 01059 01 OF 04 281501Z",
    "[ORG British\nUNCLASSIFIED\nPAGE 02 ROME 01059 01 OF 04 281501Z\nCouncil  ] x", "", "tag-across-page-break@0" },
};

static void
test_break_case (gconstpointer data)
{
  const BreakCase *c = data;
  g_autoptr(QuarryDocument) doc = run_ini (INI_HP_FIRST, c->input, -1, NULL);
  g_autoptr(QuarryDocument) alone = run_ini (INI_PLAIN, c->input, -1, NULL);
  g_autofree char *ents = entity_summary (doc);
  g_autofree char *codes = diagnostic_summary_of (doc, "tag-decode");
  g_autofree char *back = reencode (doc), *back_alone = reencode (alone);

  /* the case is about the line header-parse finds, so it must find it */
  quarry_assert_n_spans (doc, "page-break", 1);
  quarry_assert_span (doc, "page-break", NULL, c->page_break);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, c->text);
  g_assert_cmpstr (ents, ==, c->entities);
  g_assert_cmpstr (codes, ==, c->codes);
  g_assert_cmpstr (back, ==, c->input);
  /* without a page-break layer nothing is known of page breaks: the tags are decoded as
   * the tagger wrote them (a tag over another is left as text, as nested) */
  g_assert_cmpuint (quarry_test_count_diagnostics (alone, "tag-across-page-break"), ==, 0);
  g_assert_cmpstr (back_alone, ==, c->input);
}

/* A numeric character reference `&#x000A;` / `&#10;` as its character (pages write line
 * breaks inside <pre> that way). */
static gboolean
numeric_ref (const GMatchInfo *mi, GString *out, gpointer data)
{
  g_autofree char *hex = g_match_info_fetch (mi, 1), *dec = g_match_info_fetch (mi, 2);
  gunichar c = (gunichar) (*hex ? g_ascii_strtoull (hex, NULL, 16) : g_ascii_strtoull (dec, NULL, 10));

  (void) data;
  g_string_append_unichar (out, c);
  return FALSE;
}

/* Every corpus page and the seed through the cables config (header-parse before this stage):
 * no entity crosses or holds a page-break line (one may lie on it: the tagged origin), and
 * each page-break line reads as its source bytes without the tagger's markup (and with
 * numeric character references decoded), so neither
 * the decoding nor the detokenizer changed it. */
static void
test_corpus_page_breaks (void)
{
  g_autoptr(GPtrArray) pages = harness_shared_files ("corpus/cables", ".html");
  g_autofree char *seed = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  g_autoptr(GRegex) markup = g_regex_new ("\\[(?:PER|LOC|ORG|MISC) |  \\]", 0, 0, NULL);
  g_autoptr(GRegex) ref = g_regex_new ("&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));", 0, 0, NULL);
  const char *l_break = g_intern_static_string ("page-break"), *l_entity = g_intern_static_string ("entity");
  QuarryHarness *p;
  guint n_breaks = 0, n_on_line = 0;

  if (pages == NULL || seed == NULL)
    {
      g_test_skip ("../shared (corpus and seed) is not there");
      return;
    }
  g_ptr_array_add (pages, g_steal_pointer (&seed));
  p = harness_pipeline_from_config ("cables.ini");
  for (guint i = 0; i < pages->len; i++)
    {
      gsize len, src_len;
      g_autofree char *html = quarry_test_read_file (pages->pdata[i], &len);
      g_autofree char *id = g_path_get_basename (pages->pdata[i]);
      g_autoptr(QuarryDocument) doc = quarry_harness_run (p, id, html, (gssize) len, "text/html");
      const char *src = quarry_document_get_source (doc, &src_len);
      guint n = quarry_document_get_n_spans (doc);

      for (guint b = 0; b < n; b++)
        {
          const QuarrySpan *br = quarry_document_peek_span (doc, b);
          g_autofree char *line = NULL, *want = NULL, *plain = NULL;
          gsize s0, s1;

          if (br->layer != l_break)
            continue;
          n_breaks++;
          line = span_text (doc, br);
          quarry_document_source_range (doc, br->start, br->end, &s0, &s1);
          plain = g_regex_replace_eval (ref, src + s0, s1 - s0, 0, 0, numeric_ref, NULL, NULL);
          want = g_regex_replace_literal (markup, plain, -1, 0, "", 0, NULL);
          if (strcmp (line, want) != 0)
            g_error ("%s: the page-break line \"%s\" reads \"%s\" in the source", id, line, want);
          for (guint e = 0; e < n; e++)
            {
              const QuarrySpan *en = quarry_document_peek_span (doc, e);

              if (en->layer != l_entity || en->end <= br->start || en->start >= br->end)
                continue;
              if (en->start < br->start || en->end > br->end)
                g_error ("%s: the entity [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") crosses the page-break "
                         "line [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ")", id, en->start, en->end, br->start, br->end);
              n_on_line++;
            }
        }
    }
  g_test_message ("%u pages, %u page-break lines, %u entities on one", pages->len, n_breaks, n_on_line);
  /* not vacuous: lines were checked, and the seed's tagged origins lie on its two */
  g_assert_cmpuint (n_breaks, >, 0);
  g_assert_cmpuint (n_on_line, ==, 2);
  quarry_harness_free (p);
}

/* The source offset of a diagnostic points into the original bytes even after html-strip-like edits. */
static void
test_diagnostic_source_offset (void)
{
  const char *in = "<p>x</p> [GPE Moscow  ]";
  g_autoptr(QuarryDocument) doc = quarry_document_new ("t", in, strlen (in), NULL);
  g_autoptr(QuarryEdits) e = quarry_edits_new ();
  const QuarryDiagnostic *d;

  /* what html-strip would do: drop the tags */
  quarry_edits_replace (e, 0, 3, NULL, 0);
  quarry_edits_replace (e, 4, 8, NULL, 0);
  g_assert_true (quarry_document_apply_edits (doc, e, NULL));
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "x [GPE Moscow  ]");
  decode_direct (doc, FALSE);
  g_assert_cmpuint (quarry_document_get_n_diagnostics (doc), ==, 1);
  d = quarry_document_get_diagnostic (doc, 0);
  g_assert_cmpstr (d->code, ==, "unknown-label");
  g_assert_cmpint (d->source_offset, ==, 9);
  g_assert_nonnull (strstr (d->message, "source byte 9"));
}

/* Many stray brackets: the first 20 are listed, then a count. */
static void
test_diagnostic_cap (void)
{
  g_autoptr(GString) in = g_string_new (NULL);
  g_autoptr(QuarryDocument) doc = NULL;
  const QuarryDiagnostic *last;

  for (guint i = 0; i < 50; i++)
    g_string_append (in, "a [ b ");
  doc = run_ini (INI_PLAIN, in->str, in->len, NULL);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "bracket-text"), ==, 21);
  last = quarry_document_get_diagnostic (doc, 20);
  g_assert_cmpint (last->source_offset, ==, -1);
  g_assert_nonnull (strstr (last->message, "50 "));
}

/* A tag longer than max-length is taken for a lost close. */
static void
test_max_length (void)
{
  g_autoptr(GString) in = g_string_new ("[ORG ");
  g_autoptr(QuarryDocument) doc = NULL, doc2 = NULL;

  for (guint i = 0; i < 20; i++)
    g_string_append (in, "word word ");
  g_string_append (in, "end  ]");
  doc = run_ini ("[pipeline]\nstages = tag-decode\n[tag-decode]\nmax-length = 100\n", in->str, in->len, NULL);
  g_assert_cmpuint (count_layer (doc, "entity"), ==, 0);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "tag-too-long"), ==, 1);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, in->str);

  doc2 = run_ini (INI_PLAIN, in->str, in->len, NULL);
  g_assert_cmpuint (count_layer (doc2, "entity"), ==, 1);
  g_assert_cmpuint (quarry_document_get_n_diagnostics (doc2), ==, 0);
}

/* An open far from everything expires, so a later stray close is not taken for its end. */
static void
test_expired_outer (void)
{
  g_autoptr(GString) in = g_string_new ("[ORG x [LOC y  ] ");
  g_autoptr(QuarryDocument) doc = NULL;
  g_autofree char *codes = NULL, *want = NULL;

  for (guint i = 0; i < 40; i++)
    g_string_append (in, "filler text ");
  g_string_append (in, "z  ]");
  doc = run_ini (INI_PLAIN, in->str, in->len, NULL);
  codes = diagnostic_summary (doc);
  want = g_strdup_printf ("unclosed-tag@0,unmatched-close@%" G_GSIZE_FORMAT, in->len - 3);
  g_assert_cmpstr (codes, ==, want);
  g_assert_cmpuint (count_layer (doc, "entity"), ==, 1);
}

static void
test_labels_option (void)
{
  g_autoptr(QuarryDocument) doc =
    run_ini ("[pipeline]\nstages = tag-decode\n[tag-decode]\nlabels = GPE;person\n",
             "[GPE Moscow  ] [person Bob  ] [PER Al  ]", -1, NULL);
  g_autofree char *ents = entity_summary (doc);
  g_autofree char *codes = diagnostic_summary (doc);

  g_assert_cmpstr (ents, ==, "GPE:Moscow|person:Bob");
  g_assert_cmpstr (codes, ==, "unknown-label@30");
}

static void
test_labels_bad (void)
{
  const char *bad[] = {
    "[pipeline]\nstages = tag-decode\n[tag-decode]\nlabels = PER;L OC\n",
    "[pipeline]\nstages = tag-decode\n[tag-decode]\nlabels = \n",
    "[pipeline]\nstages = tag-decode\n[tag-decode]\nlabels = A[B\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QuarryHarness) p = quarry_harness_try_new (bad[i], &error);

      g_assert_null (p);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "labels"));
    }
}

/* ---- detokenization ---- */

typedef struct {
  const char *in;
  const char *out;
} Detok;

static const Detok detoks[] = {
  { "visit , he", "visit, he" },
  { "( C )", "(C)" },
  { "1 .", "1." },
  { "“ reset , ”", "“reset,”" },
  { "1.4 ( b ) and ( d ) .", "1.4 (b) and (d)." },
  { "treaty ; he", "treaty; he" },
  { "why ? No !", "why? No!" },
  { "Iran : talks", "Iran: talks" },
  { "15 % of $ 100", "15% of $100" },
  { "the “ sphere ” .", "the “sphere”." },
  { "( “ quoted ” )", "(“quoted”)" },
  { "( especially in 2011 ) to", "(especially in 2011) to" },
  { "of 2011 ) to", "of 2011 ) to" },
  /* conservative: these stay */
  { "he said ... then", "he said ... then" },
  { "the U.S. .", "the U.S. ." },
  { "at 10 : 30", "at 10 : 30" },
  { "50 percent %x", "50 percent %x" },
  { "a ,b", "a ,b" },
  { "see .NET", "see .NET" },
  { "a  , b", "a  , b" },
  { "a\n, b", "a\n, b" },
  { "line .\nnext", "line.\nnext" },
  { "$ x", "$ x" },
  { "word( b", "word( b" },
  { "Lavrov -- START", "Lavrov -- START" },
  { "( )", "()" },
  { "it ’s", "it ’s" },
  { "a \" b \" c", "a \" b \" c" },
  { "end ,", "end," },
  { ", x", ", x" },
  { "x (", "x (" },
  { "", "" },
  /* seen in raw cables (the corpus after html-strip): left alone, or only fixed where a reader would */
  { "Business environment ) the government", "Business environment ) the government" },
  { "FOR REASON 1.4 (b and d ) \n", "FOR REASON 1.4 (b and d) \n" },
  { "need it first . . . give me", "need it first . . . give me" },
  { "love him “ - but that", "love him “ - but that" },
  { "NICARAGUA . OVERALL", "NICARAGUA. OVERALL" },
  { "Halifax , Nova Scotia", "Halifax, Nova Scotia" },
  { "reasons 1.4 ( b, d)", "reasons 1.4 (b, d)" },
  { "( [ x", "( [ x" },
};

static void
test_detokenize_rules (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (detoks); i++)
    {
      g_autoptr(QuarryDocument) doc = quarry_document_new ("t", detoks[i].in, strlen (detoks[i].in), NULL);
      g_autoptr(QuarryEdits) e = quarry_edits_new ();
      g_autoptr(GError) error = NULL;

      tag_detokenize_collect (quarry_document_get_text (doc, NULL), strlen (detoks[i].in), e);
      g_assert_true (quarry_document_apply_edits (doc, e, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, detoks[i].out);
    }
}

/* Spans of other stages (and the entities) move with detokenization. */
static void
test_detokenize_spans (void)
{
  const char *in = "1 . ( C ) He met [PER Lavrov  ] , [LOC Iran  ] ( [ORG NPT  ] ) .\nNext line .";
  g_autoptr(QuarryDocument) doc = quarry_document_new ("t", in, strlen (in), NULL);
  const char *para_end = strchr (in, '\n');
  g_autofree char *ents = NULL, *para = NULL;
  gsize s0, s1;

  /* a paragraph span over the first line, as header-parse would add before tag-decode */
  g_assert_cmpint (quarry_document_add_span (doc, "paragraph", "1", 0, para_end - in, NULL, NULL), ==, 0);
  decode_direct (doc, TRUE);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "1. (C) He met Lavrov, Iran (NPT).\nNext line.");
  ents = entity_summary (doc);
  g_assert_cmpstr (ents, ==, "PER:Lavrov|LOC:Iran|ORG:NPT");
  para = span_text (doc, quarry_document_get_span (doc, 0));
  g_assert_cmpstr (para, ==, "1. (C) He met Lavrov, Iran (NPT).");
  /* the paragraph still maps to the whole first line of the source */
  quarry_document_source_range (doc, quarry_document_get_span (doc, 0)->start,
                                quarry_document_get_span (doc, 0)->end, &s0, &s1);
  g_assert_cmpuint (s0, ==, 0);
  g_assert_cmpuint (s1, ==, (gsize) (para_end - in));
}

/* Detokenization through the pipeline, compared with an expected record (data-driven). */
static void
test_data_file (gconstpointer data)
{
  const char *name = data;
  g_autofree char *in_name = g_strconcat (name, ".txt", NULL);
  g_autofree char *out_name = g_strconcat (name, ".json", NULL);
  g_autofree char *in_path = harness_data_path ("tag-decode", in_name, NULL);
  g_autofree char *out_path = harness_data_path ("tag-decode", out_name, NULL);
  gsize len;
  g_autofree char *in = quarry_test_read_file (in_path, &len);
  g_autoptr(QuarryDocument) doc = run_ini (g_str_has_suffix (name, "-detok") ? INI_DETOK : INI_PLAIN, in, len, NULL);
  g_autoptr(json_object) rec = quarry_test_record (doc);

  quarry_assert_golden_json (rec, out_path);
}

/* ---- property tests: random documents ---- */

static const char *const words[] = {
  "Lavrov", "Moscow", "the", "visit", ",", ".", "(", ")", "“", "”", "Miliband’s", "--", "1.4", "Żółw",
  "U.S.", "NATO", "a", "of", ";", "EU", "\n", "%", "$", "reset", "OF", "002",
};
static const char *const junk[] = {
  "[", "]", "  ]", "[sic]", "[NAME REMOVED]", "[FOO x  ]", "[PER  ]", "[PER x", "[ORG ", "[[", "]]", " ",
  "\n\n", "[LOC a\n\nb  ]", "MOSCOW 00002734 002 OF 003",
};

/* A fixed seed, so every run tests the same documents (g_test_rand_* changes with --seed,
 * which is random by default). */
static GRand *rng;

static gint32
rand_range (gint32 begin, gint32 end)
{
  return g_rand_int_range (rng, begin, end);
}

static void
random_words (GString *s, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, words[rand_range (0, G_N_ELEMENTS (words))]);
    }
}

/* Where the parts of a random document start, in it and in its decoding. */
typedef struct {
  GArray  *bounds;      /* gsize: offsets in the document between parts (outside any tag) */
  GArray  *dec_bounds;  /* gsize: the same places in the decoded text */
  GString *decoded;     /* the document without its markup */
} Parts;

static void
parts_mark (Parts *parts, const GString *doc)
{
  if (parts == NULL)
    return;
  g_array_append_val (parts->bounds, doc->len);
  g_array_append_val (parts->dec_bounds, parts->decoded->len);
}

/* A random document of plain text and well-formed tags; wanted gets LABEL:text|...;
 * parts (nullable, only without junk) gets the part boundaries. */
static void
random_document_parts (GString *doc, GString *wanted, gboolean with_junk, Parts *parts)
{
  guint n_parts = rand_range (0, 40);

  parts_mark (parts, doc);
  for (guint i = 0; i < n_parts; i++)
    {
      guint kind = rand_range (0, with_junk ? 3 : 2);
      gsize from = doc->len;

      if (kind == 0)
        {
          random_words (doc, rand_range (1, 8));
          g_string_append_c (doc, ' ');
          if (parts != NULL)
            g_string_append_len (parts->decoded, doc->str + from, doc->len - from);
        }
      else if (kind == 1)
        {
          const char *label = default_labels[rand_range (0, 4)];
          gsize start;
          guint n = rand_range (1, 5);

          g_string_append_printf (doc, "[%s ", label);
          start = doc->len;
          /* entity text: words without blanks or a newline at its edges, no page-break line */
          for (guint w = 0; w < n; w++)
            {
              const char *word;
              do
                word = words[rand_range (0, G_N_ELEMENTS (words))];
              while (strcmp (word, "\n") == 0 || strcmp (word, "OF") == 0);
              if (w > 0)
                g_string_append_c (doc, rand_range (0, 2) ? ' ' : '\n');
              g_string_append (doc, word);
            }
          if (wanted != NULL)
            g_string_append_printf (wanted, "%s%s:%.*s", wanted->len ? "|" : "", label,
                                    (int) (doc->len - start), doc->str + start);
          if (parts != NULL)
            g_string_append_len (parts->decoded, doc->str + start, doc->len - start);
          g_string_append (doc, TAG_CLOSE);
          if (rand_range (0, 2))
            {
              g_string_append_c (doc, ' ');
              if (parts != NULL)
                g_string_append_c (parts->decoded, ' ');
            }
        }
      else
        g_string_append (doc, junk[rand_range (0, G_N_ELEMENTS (junk))]);
      parts_mark (parts, doc);
    }
}

static void
random_document (GString *doc, GString *wanted, gboolean with_junk)
{
  random_document_parts (doc, wanted, with_junk, NULL);
}

static char *
without_spaces (const char *s, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    if (s[i] != ' ')
      g_string_append_c (out, s[i]);
  return g_string_free (out, FALSE);
}

/* Spans another stage put on the text before tag-decode (between parts: outside tags, or
 * around whole tags) cover the same text after decoding and detokenizing. */
static void
test_random_other_spans (void)
{
  g_rand_set_seed (rng, 1104);
  for (guint round = 0; round < 500; round++)
    {
      Parts parts = { g_array_new (FALSE, FALSE, sizeof (gsize)), g_array_new (FALSE, FALSE, sizeof (gsize)),
                      g_string_new (NULL) };
      g_autoptr(GString) in = g_string_new (NULL);
      gboolean detok = round % 2 == 1;
      g_autoptr(QuarryDocument) doc = NULL;
      guint n_spans = 0, first[8], last[8];

      random_document_parts (in, NULL, FALSE, &parts);
      doc = quarry_document_new ("t", in->str, in->len, NULL);
      for (guint k = 0; k < 8 && parts.bounds->len > 0; k++)
        {
          guint a = rand_range (0, parts.bounds->len), b = rand_range (0, parts.bounds->len);
          first[k] = MIN (a, b);
          last[k] = MAX (a, b);
          g_assert_cmpint (quarry_document_add_span (doc, "other", NULL, g_array_index (parts.bounds, gsize, first[k]),
                                                     g_array_index (parts.bounds, gsize, last[k]), NULL, NULL),
                           ==, (gint) k);
          n_spans++;
        }
      decode_direct (doc, detok);
      for (guint k = 0; k < n_spans; k++)
        {
          const QuarrySpan *sp = quarry_document_get_span (doc, k);
          gsize d0 = g_array_index (parts.dec_bounds, gsize, first[k]);
          gsize d1 = g_array_index (parts.dec_bounds, gsize, last[k]);
          gsize s0, s1;
          g_autofree char *got = NULL, *want = NULL;
          const char *text = quarry_document_get_text (doc, NULL);

          g_assert_cmpstr (sp->layer, ==, "other");
          if (detok)
            {
              got = without_spaces (text + sp->start, sp->end - sp->start);
              want = without_spaces (parts.decoded->str + d0, d1 - d0);
            }
          else
            {
              got = g_strndup (text + sp->start, sp->end - sp->start);
              want = g_strndup (parts.decoded->str + d0, d1 - d0);
            }
          g_assert_cmpstr (got, ==, want);
          /* and it still traces to (inside) the source range it was put on */
          quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
          if (sp->end > sp->start)
            {
              g_assert_cmpuint (s0, >=, g_array_index (parts.bounds, gsize, first[k]));
              g_assert_cmpuint (s1, <=, g_array_index (parts.bounds, gsize, last[k]));
            }
        }
      g_array_unref (parts.bounds);
      g_array_unref (parts.dec_bounds);
      g_string_free (parts.decoded, TRUE);
    }
}

static void
test_random_wellformed (void)
{
  g_rand_set_seed (rng, 20091104);
  QuarryHarness *p = pipeline_for (INI_PLAIN);

  for (guint round = 0; round < 1000; round++)
    {
      g_autoptr(GString) in = g_string_new (NULL), wanted = g_string_new (NULL);
      g_autoptr(QuarryDocument) doc = NULL;
      g_autofree char *back = NULL, *ents = NULL;

      random_document (in, wanted, FALSE);
      doc = quarry_harness_run (p, "random", in->str, in->len, NULL);
      back = reencode (doc);
      ents = entity_summary (doc);
      g_assert_cmpstr (back, ==, in->str);
      g_assert_cmpstr (ents, ==, wanted->str);
      g_assert_cmpuint (quarry_document_count_diagnostics (doc, QUARRY_DIAGNOSTIC_WARNING), ==, 0);
    }
}

/* With junk mixed in, whatever is not decoded stays text: the round trip is still exact,
 * and detokenizing then only ever deletes spaces. */
static void
test_random_junk (void)
{
  g_rand_set_seed (rng, 2734);
  QuarryHarness *p = pipeline_for (INI_PLAIN);
  QuarryHarness *pd = pipeline_for (INI_DETOK);

  for (guint round = 0; round < 1000; round++)
    {
      g_autoptr(GString) in = g_string_new (NULL);
      g_autoptr(QuarryDocument) doc = NULL, docd = NULL;
      g_autofree char *back = NULL;
      g_autoptr(GString) plain = NULL, detok = NULL;

      random_document (in, NULL, TRUE);
      doc = quarry_harness_run (p, "random", in->str, in->len, NULL);
      back = reencode (doc);
      g_assert_cmpstr (back, ==, in->str);
      assert_entity_sources (doc, FALSE);

      docd = quarry_harness_run (pd, "random", in->str, in->len, NULL);
      assert_entity_sources (docd, TRUE);
      g_assert_cmpuint (count_layer (docd, "entity"), ==, count_layer (doc, "entity"));
      plain = g_string_new (quarry_document_get_text (doc, NULL));
      detok = g_string_new (quarry_document_get_text (docd, NULL));
      g_string_replace (plain, " ", "", 0);
      g_string_replace (detok, " ", "", 0);
      g_assert_cmpstr (detok->str, ==, plain->str);
    }
}

/* Random strings over the characters the decoder and the detokenizer care about. */
static void
test_random_bytes (void)
{
  static const char *const atoms[] = {
    "[", "]", " ", "  ]", "\n", "PER", "LOC", "ORG", "MISC", "FOO", "x", "Ab", "(", ")", ",", ".",
    "“", "”", "’", " OF ", "002", "00002734", "%", "$", "1", "[PER ", "[LOC ", "\t",
  };
  QuarryHarness *p = pipeline_for (INI_PLAIN);
  QuarryHarness *pd = pipeline_for (INI_DETOK);

  g_rand_set_seed (rng, 415);
  for (guint round = 0; round < 3000; round++)
    {
      g_autoptr(GString) in = g_string_new (NULL);
      g_autoptr(QuarryDocument) doc = NULL, docd = NULL;
      g_autofree char *back = NULL;
      guint n = rand_range (0, 60);

      for (guint i = 0; i < n; i++)
        g_string_append (in, atoms[rand_range (0, G_N_ELEMENTS (atoms))]);
      doc = quarry_harness_run (p, "bytes", in->str, in->len, NULL);
      back = reencode (doc);
      g_assert_cmpstr (back, ==, in->str);
      assert_entity_sources (doc, FALSE);
      docd = quarry_harness_run (pd, "bytes", in->str, in->len, NULL);
      assert_entity_sources (docd, TRUE);
      g_assert_cmpuint (count_layer (docd, "entity"), ==, count_layer (doc, "entity"));
    }
}

/* One decoder, several threads at once on different documents: the same results as one by one. */
typedef struct {
  const TagDecoder *dec;
  GPtrArray        *inputs;
  GPtrArray        *outputs;  /* the re-encoded text of each, or NULL if wrong */
  guint             first;
} Worker;

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;

  for (guint i = w->first; i < w->inputs->len; i += 4)
    {
      const char *in = w->inputs->pdata[i];
      g_autoptr(QuarryDocument) doc = quarry_document_new ("t", in, strlen (in), NULL);

      if (tag_decoder_process (w->dec, doc, NULL))
        w->outputs->pdata[i] = entity_summary (doc);
    }
  return NULL;
}

static void
test_threads (void)
{
  g_rand_set_seed (rng, 3);
  g_autoptr(TagDecoder) dec = tag_decoder_new (default_labels, TAG_DEFAULT_MAX_LENGTH, TRUE, NULL);
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) outputs = g_ptr_array_new_with_free_func (g_free);
  Worker workers[4];
  GThread *threads[4];

  for (guint i = 0; i < 200; i++)
    {
      GString *in = g_string_new (NULL), *wanted = g_string_new (NULL);
      random_document (in, wanted, FALSE);
      g_ptr_array_add (inputs, g_string_free (in, FALSE));
      g_string_free (wanted, TRUE);
    }
  g_ptr_array_set_size (outputs, inputs->len);
  for (guint t = 0; t < 4; t++)
    {
      workers[t] = (Worker) { dec, inputs, outputs, t };
      threads[t] = g_thread_new ("tag-decode", worker_run, &workers[t]);
    }
  for (guint t = 0; t < 4; t++)
    g_thread_join (threads[t]);
  for (guint i = 0; i < inputs->len; i++)
    {
      const char *in = inputs->pdata[i];
      g_autoptr(QuarryDocument) doc = quarry_document_new ("t", in, strlen (in), NULL);
      g_autofree char *want = NULL;

      decode_direct (doc, TRUE);
      want = entity_summary (doc);
      g_assert_cmpstr (outputs->pdata[i], ==, want);
    }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  rng = g_rand_new_with_seed (1);
  pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) quarry_harness_free);

  g_test_add_func ("/tag-decode/seed/plain", test_seed_plain);
  g_test_add_func ("/tag-decode/seed/roundtrip", test_seed_roundtrip);
  g_test_add_func ("/tag-decode/seed/detokenized", test_seed_detokenized);
  g_test_add_func ("/tag-decode/seed/html", test_seed_html);
  g_test_add_func ("/tag-decode/seed/header-parse-order", test_seed_header_order);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tag-decode/markup/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_case);
    }
  for (guint i = 0; i < G_N_ELEMENTS (break_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tag-decode/page-break/%s", break_cases[i].name);
      g_test_add_data_func (path, &break_cases[i], test_break_case);
    }
  g_test_add_func ("/tag-decode/page-break/corpus", test_corpus_page_breaks);
  g_test_add_func ("/tag-decode/diagnostics/source-offset", test_diagnostic_source_offset);
  g_test_add_func ("/tag-decode/diagnostics/cap", test_diagnostic_cap);
  g_test_add_func ("/tag-decode/options/max-length", test_max_length);
  g_test_add_func ("/tag-decode/options/expired-outer", test_expired_outer);
  g_test_add_func ("/tag-decode/options/labels", test_labels_option);
  g_test_add_func ("/tag-decode/options/labels-bad", test_labels_bad);
  g_test_add_func ("/tag-decode/detokenize/rules", test_detokenize_rules);
  g_test_add_func ("/tag-decode/detokenize/spans", test_detokenize_spans);
  g_test_add_data_func ("/tag-decode/data/malformed", "malformed", test_data_file);
  g_test_add_data_func ("/tag-decode/data/tokenized-detok", "tokenized-detok", test_data_file);
  g_test_add_func ("/tag-decode/random/well-formed", test_random_wellformed);
  g_test_add_func ("/tag-decode/random/junk", test_random_junk);
  g_test_add_func ("/tag-decode/random/bytes", test_random_bytes);
  g_test_add_func ("/tag-decode/random/other-spans", test_random_other_spans);
  g_test_add_func ("/tag-decode/threads", test_threads);
  status = g_test_run ();
  g_hash_table_destroy (pipelines);
  g_rand_free (rng);
  return status;
}
