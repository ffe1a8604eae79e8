/* test-summarize.c: tests of the summarize plugin: segmentation, explicit summaries, extractive ranking, ROUGE, bad input. */
#include "config.h"

#include <string.h>

#include "document-private.h"
#include "harness.h"
#include "sum-rank.h"
#include "sum-rouge.h"
#include "sum-text.h"


/* Pipelines by INI text, kept until exit (diagnostics keep the stage name). */
static GHashTable *pipelines;

static QuarryDocument *
run_ini (const char *ini, const char *text)
{
  QuarryHarness *p = g_hash_table_lookup (pipelines, ini);
  if (!p)
    {
      p = quarry_harness_new (ini);
      g_hash_table_insert (pipelines, g_strdup (ini), p);
    }
  return quarry_harness_run (p, "test", text, -1, NULL);
}

/* header-parse first: the page-break layer this stage requires */
#define INI "[pipeline]\nstages = header-parse;summarize\n"
#define INI_SET_ASIDE "[pipeline]\nstages = header-parse;summarize\n[summarize]\nprefer-explicit = false\nsentences = 2\n"

static char *
read_data (const char *name, gsize *len)
{
  g_autofree char *path = harness_data_path ("summarize", name, NULL);
  return quarry_test_read_file (path, len);
}

/* The sentences of text as the summary writes them (page breaks out, spaces collapsed). */
static GPtrArray *
sentences_of (const char *text, gsize len, const SumHints *hints, SumAnalysis **out)
{
  SumAnalysis *a = sum_analysis_new (text, len, hints);
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < a->sentences->len; i++)
    {
      GString *s = g_string_new (NULL);
      sum_analysis_append_sentence (a, i, s);
      g_ptr_array_add (list, g_string_free (s, FALSE));
    }
  if (out)
    *out = a;
  else
    sum_analysis_free (a);
  return list;
}

static void
assert_sentences (GPtrArray *got, const char *const *want)
{
  guint n = g_strv_length ((char **) want);
  for (guint i = 0; i < MIN (n, got->len); i++)
    g_assert_cmpstr (g_ptr_array_index (got, i), ==, want[i]);
  g_assert_cmpuint (got->len, ==, n);
}

static const char *
summary_text (QuarryDocument *doc)
{
  json_object *s = quarry_document_get_summary (doc), *t;
  g_assert_nonnull (s);
  g_assert_true (json_object_object_get_ex (s, "text", &t));
  return json_object_get_string (t);
}

static const char *
summary_method (QuarryDocument *doc)
{
  json_object *t;
  g_assert_true (json_object_object_get_ex (quarry_document_get_summary (doc), "method", &t));
  return json_object_get_string (t);
}

static guint
summary_n_sentences (QuarryDocument *doc)
{
  json_object *t;
  g_assert_true (json_object_object_get_ex (quarry_document_get_summary (doc), "sentences", &t));
  return (guint) json_object_array_length (t);
}

/* Where the given page-break lines are in text, as the hints header-parse's `page-break`
 * layer gives in a pipeline (the analysis has no page-break parser of its own). */
static GArray *
page_breaks_at (const char *text, const char *const *lines)
{
  GArray *r = g_array_new (FALSE, FALSE, sizeof (SumRange));
  for (guint i = 0; lines[i]; i++)
    for (const char *p = strstr (text, lines[i]); p; p = strstr (p + 1, lines[i]))
      {
        SumRange x = { (gsize) (p - text), (gsize) (p - text) + strlen (lines[i]) };
        g_array_append_val (r, x);
      }
  return r;
}

/* 09MOSCOW2734's page-break lines, written out by hand */
static const char *const moscow_breaks[] = { "MOSCOW 00002734 002 OF 003", "MOSCOW 00002734 003 OF 003", NULL };

/* The diagnostics of one stage (header-parse, which runs first, has its own say on these texts). */
static guint
stage_diagnostics (QuarryDocument *doc, const char *stage)
{
  guint n = 0;
  for (guint i = 0; i < quarry_document_get_n_diagnostics (doc); i++)
    n += g_strcmp0 (quarry_document_get_diagnostic (doc, i)->stage, stage) == 0;
  return n;
}

/* Collapses each run of white space (U+00A0 too) to one space and trims: how the summary writes text. */
static char *
collapse_space (const char *s, gsize len)
{
  GString *out = g_string_new (NULL);
  for (gsize i = 0; i < len;)
    {
      gsize k = g_ascii_isspace (s[i]) ? 1 : (i + 1 < len && (guchar) s[i] == 0xC2 && (guchar) s[i + 1] == 0xA0) ? 2 : 0;
      if (k)
        {
          if (out->len && out->str[out->len - 1] != ' ')
            g_string_append_c (out, ' ');
          i += k;
          continue;
        }
      g_string_append_c (out, s[i++]);
    }
  while (out->len && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/* The sentence spans of doc as the summary writes them: attrs.text for one cut by a
 * page break, else its text with white space collapsed. */
static GPtrArray *
sentence_texts (QuarryDocument *doc)
{
  g_autoptr (json_object) spans = quarry_test_spans (doc, "sentence");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i < json_object_array_length (spans); i++)
    {
      json_object *sp = json_object_array_get_idx (spans, i), *attrs, *t;
      if (json_object_object_get_ex (sp, "attrs", &attrs) && json_object_object_get_ex (attrs, "text", &t))
        g_ptr_array_add (got, g_strdup (json_object_get_string (t)));
      else
        {
          g_assert_true (json_object_object_get_ex (sp, "text", &t));
          g_ptr_array_add (got, collapse_space (json_object_get_string (t), json_object_get_string_len (t)));
        }
    }
  return got;
}

/* ---- segmentation ---- */

/* Every boundary of the seed: the expected file holds one sentence a line, checked by hand.
 * First with the page breaks as hints, then through header-parse, their one producer. */
static void
check_seed_file (const char *input)
{
  gsize len;
  g_autofree char *text = read_data (input, &len);
  g_autofree char *want = read_data ("seed-09MOSCOW2734.sentences", NULL);
  g_auto (GStrv) lines = g_strsplit (g_strchomp (want), "\n", -1);
  g_autoptr (GArray) breaks = page_breaks_at (text, moscow_breaks);
  SumHints hints = { .page_breaks = (const SumRange *) breaks->data, .n_page_breaks = breaks->len };
  g_assert_cmpuint (breaks->len, ==, 2);
  g_autoptr (GPtrArray) got = sentences_of (text, len, &hints, NULL);
  assert_sentences (got, (const char *const *) lines);

  QuarryDocument *doc = run_ini (INI, text);
  g_autoptr (GPtrArray) piped = sentence_texts (doc);
  assert_sentences (piped, (const char *const *) lines);
  quarry_document_free (doc);
}

static void
test_segment_seed (void)
{
  /* the seed as summarize sees it in the cables pipeline (html-strip, tag-decode with detokenize) */
  check_seed_file ("seed-09MOSCOW2734.txt");
}

static void
test_segment_corpus_layout (void)
{
  /* the same cable from the corpus page: wrapped in blank lines, underlined headings, page-break lines */
  check_seed_file ("corpus-09MOSCOW2734.txt");
}

static void
test_segment_abbreviations (void)
{
  const char *text =
    "1. (C) Amb. Smith met Susan M. Elliott in St. Petersburg on Nov. 1 at 10 a.m. to discuss U.S. trade. "
    "The talks, e.g. on tariffs, went well. The U.S. The E.U. and Gen. Petraeus agreed? Yes! He left "
    "for the U.S. After that, nothing happened.\n";
  const char *want[] = {
    "Amb. Smith met Susan M. Elliott in St. Petersburg on Nov. 1 at 10 a.m. to discuss U.S. trade.",
    "The talks, e.g. on tariffs, went well.",
    "The U.S.",
    "The E.U. and Gen. Petraeus agreed?",
    "Yes!",
    "He left for the U.S.",
    "After that, nothing happened.",
    NULL
  };
  g_autoptr (GPtrArray) got = sentences_of (text, strlen (text), NULL, NULL);
  assert_sentences (got, want);
}

static void
test_segment_markings_and_numbers (void)
{
  const char *text =
    "¶1. (C) First point. Second point.\n\n"
    "2 . ( SBU ) Spaced marking here.\n\n"
    "3. (S/NF) Secret, no foreign.\n\n"
    "4. (C - ENTIRE TEXT) Old style.\n"
    "¶5. (S//Rel NATO, ISAF) Released to allies.\n\n"
    "Section Title\n"
    "-------------\n\n"
    "6. (U) After the heading. -- A bullet item. -- Another.\n"
    "-- A line bullet\n"
    "(A) Lettered item. (U) Marked inside.\n";
  const char *want[] = {
    "First point.", "Second point.", "Spaced marking here.", "Secret, no foreign.", "Old style.",
    "Released to allies.", "After the heading.", "A bullet item.", "Another.", "A line bullet",
    "Lettered item.", "Marked inside.", NULL
  };
  SumAnalysis *a;
  g_autoptr (GPtrArray) got = sentences_of (text, strlen (text), NULL, &a);
  assert_sentences (got, want);
  /* paragraphs: 1, 2, 3, 4, 5, heading, 6 (bullets stay in their paragraph) */
  g_assert_cmpuint (g_array_index (a->sentences, SumSentence, 1).paragraph, ==, 0);
  g_assert_cmpuint (g_array_index (a->sentences, SumSentence, 2).paragraph, ==, 1);
  g_assert_cmpuint (g_array_index (a->sentences, SumSentence, 10).paragraph,
                    ==, g_array_index (a->sentences, SumSentence, 6).paragraph);
  g_assert_cmpuint (g_array_index (a->sentences, SumSentence, 6).paragraph,
                    ==, g_array_index (a->sentences, SumSentence, 5).paragraph + 1);
  g_assert_true (g_array_index (a->sentences, SumSentence, 0).flags & SUM_SENTENCE_PARA_FIRST);
  g_assert_false (g_array_index (a->sentences, SumSentence, 1).flags & SUM_SENTENCE_PARA_FIRST);
  sum_analysis_free (a);
}

static void
test_segment_page_break (void)
{
  /* a page break on its own line and one inline (tokenized text has no line breaks) */
  const char *text =
    "1. (C) The Russian press added that\nMOSCOW 00002734 003 OF 003\nMiliband was in Moscow. "
    "Next sentence here, and that MOSCOW 00002734 002 OF 003 one goes on. Last.\n";
  g_autoptr (GArray) breaks = page_breaks_at (text, moscow_breaks);
  SumHints hints = { .page_breaks = (const SumRange *) breaks->data, .n_page_breaks = breaks->len };
  const char *want[] = {
    "The Russian press added that Miliband was in Moscow.",
    "Next sentence here, and that one goes on.",
    "Last.",
    NULL
  };
  SumAnalysis *a;
  g_autoptr (GPtrArray) got = sentences_of (text, strlen (text), &hints, &a);
  assert_sentences (got, want);
  /* the span runs over the page break; the gap says what to leave out */
  const SumSentence *s0 = &g_array_index (a->sentences, SumSentence, 0);
  g_assert_cmpuint (s0->n_gaps, ==, 1);
  const SumRange *g = &g_array_index (a->gaps, SumRange, s0->first_gap);
  g_assert_cmpint (strncmp (text + g->start, "MOSCOW 00002734 003 OF 003", g->end - g->start), ==, 0);
  g_assert_cmpuint (g->end - g->start, ==, strlen ("MOSCOW 00002734 003 OF 003"));
  sum_analysis_free (a);
}

static void
test_segment_hints (void)
{
  /* header and page-break spans from header-parse win over the plugin's own guesses */
  const char *text = "SOMETHING ODD. Not a header line. Body one. Body PAGE TWO two.\n";
  const char *hs = strstr (text, "Body one");
  const char *pb = strstr (text, "PAGE TWO");
  SumRange header = { 0, (gsize) (hs - text) };
  SumRange page = { (gsize) (pb - text), (gsize) (pb - text) + 8 };
  SumHints hints = { .headers = &header, .n_headers = 1, .page_breaks = &page, .n_page_breaks = 1 };
  const char *want[] = { "Body one.", "Body two.", NULL };
  g_autoptr (GPtrArray) got = sentences_of (text, strlen (text), &hints, NULL);
  assert_sentences (got, want);
}

static void
test_segment_header_detection (void)
{
  const char *text =
    "Tuesday, 22 December 2009, 03:40\n"
    "S E C R E T SECTION 01 OF 04 DAMASCUS 000880\n"
    "NOFORN\nSIPDIS\nDEPARTMENT FOR NEA/FO\n"
    "EO 12958 DECL: 12/20/2029\nTAGS PREL, IR\n"
    "SUBJECT: SYRIAN-IRANIAN SHOW OF SOLIDARITY\n"
    "OVER IRAQ\n\n"
    "REF: A. DAMASCUS 1\n     \xc2\xb6" "B. DAMASCUS 2\n"
    "Classified By: CDA Chuck Hunter for reasons 1.4 b and d.\n"
    "\xc2\xb6" "1. (S/NF) The first sentence. The second.\n";
  SumAnalysis *a;
  const char *want[] = { "The first sentence.", "The second.", NULL };
  g_autoptr (GPtrArray) got = sentences_of (text, strlen (text), NULL, &a);
  assert_sentences (got, want);
  g_autofree char *subject = g_strndup (text + a->subject.start, a->subject.end - a->subject.start);
  g_assert_cmpstr (subject, ==, "SYRIAN-IRANIAN SHOW OF SOLIDARITY\nOVER IRAQ");
  sum_analysis_free (a);
}

/* The seed page through the stages that run before this one in the cables pipeline: the
 * header, paragraph and page-break spans of header-parse are used, and the sentences are
 * the same hand-checked ones. */
static void
test_segment_seed_pipeline (void)
{
  g_autofree char *seed = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  if (!seed || !g_file_test (seed, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("shared seed not found");
      return;
    }
  QuarryHarness *p = quarry_harness_new ("[pipeline]\nstages = html-strip;header-parse;tag-decode;summarize\n"
                                            "[html-strip]\ncontent-selector = pre\n"
                                            "[tag-decode]\ndetokenize = true\n");
  gsize len;
  g_autofree char *html = quarry_test_read_file (seed, &len);
  QuarryDocument *doc = quarry_harness_run (p, "seed", html, (gssize) len, "text/html");
  g_autofree char *want = read_data ("seed-09MOSCOW2734.sentences", NULL);
  g_auto (GStrv) lines = g_strsplit (g_strchomp (want), "\n", -1);
  /* a sentence cut by a page break says its text without it */
  GPtrArray *got = sentence_texts (doc);
  assert_sentences (got, (const char *const *) lines);
  g_assert_cmpstr (summary_method (doc), ==, "explicit");
  g_assert_cmpuint (summary_n_sentences (doc), ==, 4);
  g_ptr_array_unref (got);
  quarry_document_free (doc);
  quarry_harness_free (p);
}

/* ---- explicit summaries, one test per form ---- */

typedef struct {
  const char *name;
  const char *text;
  const char *summary;   /* NULL: none expected */
  const char *form;
} ExplicitCase;

static const ExplicitCase explicit_cases[] = {
  { "heading-end",
    "SUBJECT: TEST\n\nClassified By: X for reasons 1.4 (b).\n\nSummary\n-------\n\n"
    "\xc2\xb6" "1. (C) Alpha met Beta. They agreed. End Summary.\n\nNext\n----\n\n"
    "\xc2\xb6" "2. (C) Body text here. More body.\n",
    "Alpha met Beta. They agreed.", "heading" },
  { "heading-no-end",
    "SUBJECT: TEST\n\n-------\nSummary\n-------\n\n1. (C) Alpha met Beta.\n\n2. (C) They agreed.\n\n"
    "Details\n-------\n\n3. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "heading" },
  { "heading-tokenized",
    "SUBJECT: TEST Classified By: X for reasons 1.4 ( b ) . \nSummary ------- ¶1 . \n( C ) Alpha met Beta . \n"
    "They agreed . \nEnd Summary . \nNext ---- ¶2 . \n( C ) Body text here . \n",
    "Alpha met Beta . They agreed .", "heading" },
  { "label-colon",
    "SUBJECT: TEST\n\n1. (C) Summary: Alpha met Beta. They agreed. End Summary.\n\n2. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "label" },
  { "label-no-end",
    "SUBJECT: TEST\n\n1. (SBU) SUMMARY. Alpha met Beta. They agreed.\n\n2. (SBU) Body text here.\n",
    "Alpha met Beta. They agreed.", "label" },
  { "label-continued",
    "SUBJECT: TEST\n\n1. (C) Summary: Alpha met Beta.\n\n2. (C) Summary continued: They agreed.\n\n"
    "3. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "label" },
  { "label-marking-after",
    "SUBJECT: TEST\n\n1. Summary and comment. (C) Alpha met Beta. They agreed. End summary and comment.\n\n"
    "2. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "label" },
  { "begin-summary",
    "SUBJECT: TEST\n\n1. (S//Rel NATO, ISAF) BEGIN SUMMARY. Alpha met Beta.\n\n2. (C) They agreed. END SUMMARY.\n\n"
    "3. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "label" },
  { "summary-and-comment-heading",
    "SUBJECT: TEST\n\nSUMMARY AND COMMENT\n\n1. (C) Alpha met Beta. They agreed. END SUMMARY AND COMMENT.\n\n"
    "2. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "heading" },
  { "end-only",
    "SUBJECT: TEST\n\nClassified By: X.\n\n1. (C) Alpha met Beta.\n\n2. (C) They agreed. End Summary.\n\n"
    "3. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "end-marker" },
  { "end-only-wrapped",
    "SUBJECT: TEST\n\n1. (C) Alpha met Beta. They agreed. End\nsummary.\n\n3. (C) Body text here.\n",
    "Alpha met Beta. They agreed.", "end-marker" },
  { "none",
    "SUBJECT: TEST\n\n1. (C) Alpha met Beta. They agreed.\n\n2. (C) Body text here about the summary of talks.\n",
    NULL, NULL },
};

static void
test_explicit (gconstpointer data)
{
  const ExplicitCase *c = data;
  QuarryDocument *doc = run_ini (INI, c->text);
  json_object *form;
  if (c->summary)
    {
      g_assert_cmpstr (summary_method (doc), ==, "explicit");
      g_assert_cmpstr (summary_text (doc), ==, c->summary);
      g_assert_true (json_object_object_get_ex (quarry_document_get_summary (doc), "form", &form));
      g_assert_cmpstr (json_object_get_string (form), ==, c->form);
    }
  else
    g_assert_cmpstr (summary_method (doc), ==, "extractive");
  g_assert_cmpuint (stage_diagnostics (doc, "summarize"), ==, 0);
  quarry_document_free (doc);
}

static void
test_explicit_seed (void)
{
  /* the seed, end to end through the plugin; compared with the reviewed record */
  g_autofree char *text = read_data ("seed-09MOSCOW2734.txt", NULL);
  QuarryDocument *doc = run_ini (INI, text);
  g_autoptr (json_object) got = json_object_new_object ();
  json_object_object_add (got, "summary", json_object_get (quarry_document_get_summary (doc)));
  json_object_object_add (got, "sentences", quarry_test_spans (doc, "sentence"));
  g_autofree char *path = harness_data_path ("summarize", "seed-09MOSCOW2734.expected.json", NULL);
  quarry_assert_golden_json (got, path);
  g_assert_cmpuint (summary_n_sentences (doc), ==, 4);
  quarry_document_free (doc);
}

/* ---- extractive ---- */

/* Two sentences carry the subject (and each other's words); the rest is small talk.
 * Neither topic sentence comes first, so lead-N would miss them. */
static const char *clear_doc =
  "SUBJECT: NILE DAM FINANCING AGREED\n\n"
  "1. (U) The ambassador arrived in Cairo on Monday morning.\n\n"
  "2. (U) The weather was mild and traffic was light downtown. "
  "Egypt and Ethiopia agreed on financing for the Nile dam, the water minister said. "
  "Lunch was served at the residence.\n\n"
  "3. (U) Guests admired the garden and its old trees. "
  "The Nile dam financing gives Ethiopia loans for the dam and gives Egypt a say over Nile water. "
  "The band played until late.\n";

static void
test_extractive_clear (void)
{
  const char *ini = "[pipeline]\nstages = header-parse;summarize\n[summarize]\nsentences = 2\n";
  QuarryDocument *doc = run_ini (ini, clear_doc);
  g_assert_cmpstr (summary_method (doc), ==, "extractive");
  g_assert_cmpstr (summary_text (doc), ==,
                   "Egypt and Ethiopia agreed on financing for the Nile dam, the water minister said. "
                   "The Nile dam financing gives Ethiopia loans for the dam and gives Egypt a say over Nile water.");
  /* scores are numbers, sentences in document order */
  json_object *list, *e0, *e1, *v;
  g_assert_true (json_object_object_get_ex (quarry_document_get_summary (doc), "sentences", &list));
  e0 = json_object_array_get_idx (list, 0);
  e1 = json_object_array_get_idx (list, 1);
  g_assert_true (json_object_object_get_ex (e0, "score", &v));
  g_assert_true (json_object_is_type (v, json_type_double));
  g_assert_true (json_object_object_get_ex (e0, "end", &v));
  gint64 end0 = json_object_get_int64 (v);
  g_assert_true (json_object_object_get_ex (e1, "start", &v));
  g_assert_cmpint (json_object_get_int64 (v), >, end0);
  quarry_document_free (doc);
}

static void
test_extractive_ratio (void)
{
  const char *ini = "[pipeline]\nstages = header-parse;summarize\n[summarize]\nsentences = 0\nratio = 0.25\n";
  QuarryDocument *doc = run_ini (ini, clear_doc);
  /* 7 body sentences: ceil (0.25 * 7) = 2 */
  g_assert_cmpuint (summary_n_sentences (doc), ==, 2);
  quarry_document_free (doc);
}

static void
test_extractive_set_aside (void)
{
  /* prefer-explicit = false: the cable's summary is set aside, the rest summarized */
  const char *text =
    "SUBJECT: NILE DAM FINANCING\n\n1. (C) Summary: The Nile dam financing was agreed. End Summary.\n\n"
    "2. (U) Egypt and Ethiopia agreed on financing for the Nile dam, the minister said. "
    "Lunch was served.\n\n3. (U) The Nile dam financing gives Ethiopia loans for the dam. The band played.\n";
  QuarryDocument *doc = run_ini (INI_SET_ASIDE, text);
  g_assert_cmpstr (summary_method (doc), ==, "extractive");
  g_assert_null (strstr (summary_text (doc), "was agreed"));
  g_assert_cmpstr (summary_text (doc), ==,
                   "Egypt and Ethiopia agreed on financing for the Nile dam, the minister said. "
                   "The Nile dam financing gives Ethiopia loans for the dam.");
  quarry_document_free (doc);
}

static void
test_offsets_code_points (void)
{
  /* summary start/end count code points of the output text */
  const char *text = "1. (C) Caf\xc3\xa9 “talks” began. Summary: none here.\n\n2. (C) Ça va très bien, merci.\n";
  QuarryDocument *doc = run_ini ("[pipeline]\nstages = header-parse;summarize\n[summarize]\nsentences = 3\n", text);
  g_autoptr (json_object) rec = quarry_test_record (doc);
  json_object *t, *s, *list;
  g_assert_true (json_object_object_get_ex (rec, "text", &t));
  g_assert_true (json_object_object_get_ex (rec, "summary", &s));
  g_assert_true (json_object_object_get_ex (s, "sentences", &list));
  const char *out = json_object_get_string (t);
  GString *joined = g_string_new (NULL);
  for (gsize i = 0; i < json_object_array_length (list); i++)
    {
      json_object *e = json_object_array_get_idx (list, i), *v;
      g_assert_true (json_object_object_get_ex (e, "start", &v));
      glong start = (glong) json_object_get_int64 (v);
      g_assert_true (json_object_object_get_ex (e, "end", &v));
      glong end = (glong) json_object_get_int64 (v);
      g_autofree char *piece = g_utf8_substring (out, start, end);
      if (joined->len)
        g_string_append_c (joined, ' ');
      g_string_append (joined, piece);
    }
  g_assert_cmpstr (joined->str, ==, summary_text (doc));
  g_assert_cmpstr (joined->str, ==, "Café “talks” began. Summary: none here. Ça va très bien, merci.");
  g_string_free (joined, TRUE);
  quarry_document_free (doc);
}

static void
test_sentence_spans (void)
{
  const char *text = "1. (C) One here.\nMOSCOW 00002734 002 OF 003\nstill one. Two.\n";
  QuarryDocument *doc = run_ini (INI, text);
  g_autoptr (json_object) spans = quarry_test_spans (doc, "sentence");
  g_assert_cmpuint (json_object_array_length (spans), ==, 2);
  json_object *s0 = json_object_array_get_idx (spans, 0), *attrs, *v;
  g_assert_true (json_object_object_get_ex (s0, "attrs", &attrs));
  g_assert_true (json_object_object_get_ex (attrs, "text", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "One here. still one.");
  quarry_document_free (doc);
}

/* ---- bad input: never a crash, an empty summary and a diagnostic ---- */

static void
check_empty (const char *text, const char *code)
{
  QuarryDocument *doc = run_ini (INI, text);
  g_assert_cmpstr (summary_text (doc), ==, "");
  g_assert_cmpuint (summary_n_sentences (doc), ==, 0);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "no-sentences"), ==, 1);
  if (code)
    g_assert_cmpuint (quarry_test_count_diagnostics (doc, code), ==, 1);
  quarry_document_free (doc);
}

static void
test_bad_empty (void)
{
  check_empty ("", NULL);
  check_empty ("   \n\n\t \n", NULL);
}

static void
test_bad_only_markings (void)
{
  check_empty ("1. (C)\n\n2. ( SBU )\n\n\xc2\xb6" "3. (S//NF)\n\n(U)\n", NULL);
  check_empty ("------\n======\n", NULL);
}

static void
test_bad_huge_sentence (void)
{
  /* one 1 MB "sentence": no punctuation at all */
  GString *s = g_string_sized_new (1 << 20);
  while (s->len < (1 << 20))
    g_string_append (s, "word and more words ");
  check_empty (s->str, "sentence-too-long");
  g_autoptr (GPtrArray) got = sentences_of (s->str, s->len, NULL, NULL);
  g_assert_cmpuint (got->len, ==, 1);
  g_string_free (s, TRUE);
}

static void
test_bad_pathological (void)
{
  /* many dots, page-break look-alikes and pilcrows: still linear and whole */
  GString *s = g_string_new ("1. (C) ");
  for (int i = 0; i < 20000; i++)
    g_string_append (s, "A. B. U.S. ¶ 1 OF 2 X 12345678 001 OF 003 ... ");
  g_autoptr (GPtrArray) got = sentences_of (s->str, s->len, NULL, NULL);
  g_assert_cmpuint (got->len, >, 0);
  QuarryDocument *doc = run_ini (INI, s->str);
  g_assert_nonnull (quarry_document_get_summary (doc));
  quarry_document_free (doc);
  g_string_free (s, TRUE);
}

static void
test_bad_options (void)
{
  g_autoptr (GError) error = NULL;
  QuarryHarness *p = quarry_harness_try_new ("[pipeline]\nstages = header-parse;summarize\n[summarize]\nstemmer = klingon\n",
                                                &error);
  g_assert_null (p);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "klingon"));
}

static void
test_stop_words_file (void)
{
  g_autofree char *path = harness_data_path ("summarize", "stop-words.txt", NULL);
  g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = header-parse;summarize\n[summarize]\nsentences = 1\nstop-words = %s\n",
                                          path);
  QuarryDocument *doc = run_ini (ini, clear_doc);
  g_assert_cmpuint (summary_n_sentences (doc), ==, 1);
  quarry_document_free (doc);
}

/* ---- ROUGE, hand-computed ---- */

static SumRougeText *
rouge_text (const char *const *sentences)
{
  SumRougeText *t = sum_rouge_text_new ();
  for (guint i = 0; sentences[i]; i++)
    sum_rouge_text_add_sentence (t, sentences[i], -1);
  return t;
}

#define EPS 1e-9

static void
test_rouge_n (void)
{
  const char *c[] = { "the cat sat on the mat", NULL };
  const char *r[] = { "The cat is on the mat.", NULL };
  g_autoptr (SumRougeText) cand = rouge_text (c);
  g_autoptr (SumRougeText) ref = rouge_text (r);
  /* unigrams: the x2, cat, on, mat shared: 5 of 6 each way */
  SumRougeScore s1 = sum_rouge_n (cand, ref, 1);
  g_assert_cmpfloat_with_epsilon (s1.recall, 5.0 / 6, EPS);
  g_assert_cmpfloat_with_epsilon (s1.precision, 5.0 / 6, EPS);
  g_assert_cmpfloat_with_epsilon (s1.f1, 5.0 / 6, EPS);
  /* bigrams: "the cat", "on the", "the mat" of 5 each way */
  SumRougeScore s2 = sum_rouge_n (cand, ref, 2);
  g_assert_cmpfloat_with_epsilon (s2.recall, 0.6, EPS);
  g_assert_cmpfloat_with_epsilon (s2.f1, 0.6, EPS);
}

static void
test_rouge_n_clipped (void)
{
  /* a candidate word counts at most as often as the reference has it */
  const char *c[] = { "the the the the", NULL };
  const char *r[] = { "the cat", NULL };
  g_autoptr (SumRougeText) cand = rouge_text (c);
  g_autoptr (SumRougeText) ref = rouge_text (r);
  SumRougeScore s = sum_rouge_n (cand, ref, 1);
  g_assert_cmpfloat_with_epsilon (s.recall, 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (s.precision, 0.25, EPS);
  g_assert_cmpfloat_with_epsilon (s.f1, 1.0 / 3, EPS);
  /* bigrams cross sentence ends: the summary is one token stream */
  const char *c2[] = { "a b", "c d", NULL };
  const char *r2[] = { "b c", NULL };
  g_autoptr (SumRougeText) cand2 = rouge_text (c2);
  g_autoptr (SumRougeText) ref2 = rouge_text (r2);
  g_assert_cmpfloat_with_epsilon (sum_rouge_n (cand2, ref2, 2).recall, 1.0, EPS);
}

static void
test_rouge_l_sentence (void)
{
  /* Lin 2004 section 3.1: S1 "police killed the gunman", S2 "police kill the gunman",
   * S3 "the gunman kill police": LCS with S2 is 3 (police the gunman), with S3 is 2 */
  const char *r[] = { "police killed the gunman", NULL };
  const char *c2[] = { "police kill the gunman", NULL };
  const char *c3[] = { "the gunman kill police", NULL };
  g_autoptr (SumRougeText) ref = rouge_text (r);
  g_autoptr (SumRougeText) s2 = rouge_text (c2);
  g_autoptr (SumRougeText) s3 = rouge_text (c3);
  g_assert_cmpfloat_with_epsilon (sum_rouge_l (s2, ref).f1, 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (sum_rouge_l (s3, ref).f1, 0.5, EPS);
}

static void
test_rouge_l_union (void)
{
  /* Lin 2004 section 3.2: r = w1..w5, c1 = w1 w2 w6 w7 w8, c2 = w1 w3 w8 w9 w5:
   * LCS(r, c1) = w1 w2, LCS(r, c2) = w1 w3 w5, union = w1 w2 w3 w5 = 4 */
  const char *r[] = { "w1 w2 w3 w4 w5", NULL };
  const char *c[] = { "w1 w2 w6 w7 w8", "w1 w3 w8 w9 w5", NULL };
  g_autoptr (SumRougeText) ref = rouge_text (r);
  g_autoptr (SumRougeText) cand = rouge_text (c);
  g_assert_cmpuint (sum_rouge_union_lcs (cand, ref, 0), ==, 4);
  SumRougeScore s = sum_rouge_l (cand, ref);
  g_assert_cmpfloat_with_epsilon (s.recall, 4.0 / 5, EPS);
  g_assert_cmpfloat_with_epsilon (s.precision, 4.0 / 10, EPS);
  g_assert_cmpfloat_with_epsilon (s.f1, 2 * 0.8 * 0.4 / 1.2, EPS);
}

static void
test_rouge_edges (void)
{
  const char *none[] = { NULL };
  const char *punct[] = { "-- ... !", NULL };
  const char *r[] = { "Hello, World!", NULL };
  const char *c[] = { "hello world", NULL };
  g_autoptr (SumRougeText) empty = rouge_text (none);
  g_autoptr (SumRougeText) dots = rouge_text (punct);
  g_autoptr (SumRougeText) ref = rouge_text (r);
  g_autoptr (SumRougeText) cand = rouge_text (c);
  g_assert_cmpuint (sum_rouge_text_n_tokens (dots), ==, 0);
  g_assert_cmpfloat (sum_rouge_n (empty, ref, 1).f1, ==, 0.0);
  g_assert_cmpfloat (sum_rouge_l (empty, ref).f1, ==, 0.0);
  g_assert_cmpfloat_with_epsilon (sum_rouge_n (cand, ref, 1).f1, 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (sum_rouge_l (cand, ref).f1, 1.0, EPS);
}

/* ---- page breaks: header-parse's layer, the one place they are found ---- */

/* Without a stage that provides the page-break layer, a config error that says what to add. */
static void
test_requires_page_breaks (void)
{
  g_autoptr (GError) error = NULL;
  QuarryHarness *p = quarry_harness_try_new ("[pipeline]\nstages = summarize\n", &error);
  g_assert_null (p);
  g_assert_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_REQUIREMENT);
  g_assert_nonnull (strstr (error->message, "layer:page-break"));
  g_assert_nonnull (strstr (error->message, "header-parse"));
}

/* Every corpus page and the seed through the cables config: each sentence either misses
 * every page-break span or holds it whole, and then its text (attrs.text) is the sentence
 * without them, recomputed here from the spans; no summary sentence is other than a
 * sentence, and no summary text holds a page-break line. */
static void
check_page_break_readers (QuarryDocument *doc, guint *n_breaks, guint *n_cut)
{
  const char *l_break = g_intern_static_string ("page-break"), *l_sentence = g_intern_static_string ("sentence");
  gsize len;
  const char *text = quarry_document_get_text (doc, &len);
  g_autoptr (GArray) breaks = g_array_new (FALSE, FALSE, sizeof (SumRange));
  g_autoptr (GHashTable) sentences = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *id = quarry_document_get_id (doc);

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_peek_span (doc, i);
      SumRange r = { sp->start, sp->end };
      if (sp->layer == l_break)
        g_array_append_val (breaks, r);
    }
  *n_breaks += breaks->len;
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_get_span (doc, i);
      if (sp->layer != l_sentence)
        continue;
      g_autoptr (GString) want = g_string_new (NULL);
      gsize p = sp->start;
      guint inside = 0;
      for (guint b = 0; b < breaks->len; b++)
        {
          const SumRange *r = &g_array_index (breaks, SumRange, b);
          if (r->end <= sp->start || r->start >= sp->end)
            continue;
          if (!(r->start > sp->start && r->end < sp->end))
            g_error ("%s: sentence [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") crosses the page break [%"
                     G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ")", id, sp->start, sp->end, r->start, r->end);
          g_string_append_len (want, text + p, r->start - p);
          g_string_append_c (want, ' ');
          p = r->end;
          inside++;
        }
      g_string_append_len (want, text + p, sp->end - p);
      json_object *t = NULL;
      gboolean has_text = sp->attrs && json_object_object_get_ex (sp->attrs, "text", &t);
      if (inside > 0)
        {
          g_autofree char *w = collapse_space (want->str, want->len);
          g_assert_true (has_text);
          g_assert_cmpstr (json_object_get_string (t), ==, w);
          (*n_cut)++;
        }
      else
        g_assert_false (has_text);
      g_hash_table_add (sentences, g_strdup_printf ("%" G_GSIZE_FORMAT ":%" G_GSIZE_FORMAT,
                                                    quarry_document_char_offset (doc, sp->start),
                                                    quarry_document_char_offset (doc, sp->end)));
    }

  json_object *list, *summary_text;
  g_assert_true (json_object_object_get_ex (quarry_document_get_summary (doc), "sentences", &list));
  g_assert_true (json_object_object_get_ex (quarry_document_get_summary (doc), "text", &summary_text));
  for (gsize i = 0; i < json_object_array_length (list); i++)
    {
      json_object *e = json_object_array_get_idx (list, i);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                                              json_object_get_int64 (json_object_object_get (e, "start")),
                                              json_object_get_int64 (json_object_object_get (e, "end")));
      if (!g_hash_table_contains (sentences, key))
        g_error ("%s: summary sentence %s is no sentence span", id, key);
    }
  for (guint b = 0; b < breaks->len; b++)
    {
      const SumRange *r = &g_array_index (breaks, SumRange, b);
      g_autofree char *line = collapse_space (text + r->start, r->end - r->start);
      if (strstr (json_object_get_string (summary_text), line) != NULL)
        g_error ("%s: the summary holds the page-break line \"%s\"", id, line);
    }
}

static void
test_corpus_page_breaks (void)
{
  g_autoptr (GPtrArray) pages = harness_shared_files ("corpus/cables", ".html");
  g_autofree char *seed = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  if (!pages || !seed)
    {
      g_test_skip ("../shared (corpus and seed) is not there");
      return;
    }
  g_ptr_array_add (pages, g_steal_pointer (&seed));
  QuarryHarness *p = harness_pipeline_from_config ("cables.ini");
  guint n_breaks = 0, n_cut = 0;
  for (guint i = 0; i < pages->len; i++)
    {
      gsize len;
      g_autofree char *html = quarry_test_read_file (pages->pdata[i], &len);
      g_autofree char *id = g_path_get_basename (pages->pdata[i]);
      QuarryDocument *doc = quarry_harness_run (p, id, html, (gssize) len, "text/html");
      check_page_break_readers (doc, &n_breaks, &n_cut);
      quarry_document_free (doc);
    }
  g_test_message ("%u pages, %u page-break spans, %u sentences cut by one", pages->len, n_breaks, n_cut);
  /* the corpus has multi-page cables with breaks inside sentences: the checks above ran */
  g_assert_cmpuint (pages->len, ==, 416);
  g_assert_cmpuint (n_breaks, >, 0);
  g_assert_cmpuint (n_cut, >, 0);
  quarry_harness_free (p);
}

static void
free_pipeline (gpointer p)
{
  quarry_harness_free (p);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_pipeline);

  g_test_add_func ("/summarize/segment/seed", test_segment_seed);
  g_test_add_func ("/summarize/segment/corpus-layout", test_segment_corpus_layout);
  g_test_add_func ("/summarize/segment/seed-pipeline", test_segment_seed_pipeline);
  g_test_add_func ("/summarize/segment/abbreviations", test_segment_abbreviations);
  g_test_add_func ("/summarize/segment/markings-and-numbers", test_segment_markings_and_numbers);
  g_test_add_func ("/summarize/segment/page-break", test_segment_page_break);
  g_test_add_func ("/summarize/segment/hints", test_segment_hints);
  g_test_add_func ("/summarize/segment/header-detection", test_segment_header_detection);
  for (guint i = 0; i < G_N_ELEMENTS (explicit_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/summarize/explicit/%s", explicit_cases[i].name);
      g_test_add_data_func (path, &explicit_cases[i], test_explicit);
    }
  g_test_add_func ("/summarize/explicit/seed", test_explicit_seed);
  g_test_add_func ("/summarize/extractive/clear", test_extractive_clear);
  g_test_add_func ("/summarize/extractive/ratio", test_extractive_ratio);
  g_test_add_func ("/summarize/extractive/set-aside", test_extractive_set_aside);
  g_test_add_func ("/summarize/output/code-points", test_offsets_code_points);
  g_test_add_func ("/summarize/output/sentence-spans", test_sentence_spans);
  g_test_add_func ("/summarize/bad/empty", test_bad_empty);
  g_test_add_func ("/summarize/bad/only-markings", test_bad_only_markings);
  g_test_add_func ("/summarize/bad/huge-sentence", test_bad_huge_sentence);
  g_test_add_func ("/summarize/bad/pathological", test_bad_pathological);
  g_test_add_func ("/summarize/bad/options", test_bad_options);
  g_test_add_func ("/summarize/options/stop-words", test_stop_words_file);
  g_test_add_func ("/summarize/page-break/requires", test_requires_page_breaks);
  g_test_add_func ("/summarize/page-break/corpus", test_corpus_page_breaks);
  g_test_add_func ("/summarize/rouge/n", test_rouge_n);
  g_test_add_func ("/summarize/rouge/n-clipped", test_rouge_n_clipped);
  g_test_add_func ("/summarize/rouge/l-sentence", test_rouge_l_sentence);
  g_test_add_func ("/summarize/rouge/l-union", test_rouge_l_union);
  g_test_add_func ("/summarize/rouge/edges", test_rouge_edges);

  int ret = g_test_run ();
  g_hash_table_unref (pipelines);
  return ret;
}
