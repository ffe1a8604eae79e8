/* test-header-parse.c: tests of the header-parse plugin: data-driven header fields and layout, classes of header variants, vocabularies, seed vs raw page, bad input. */
#include "config.h"

#include <string.h>

#include "harness.h"
#include "hp-scan.h"


#define INI_HP "[pipeline]\nstages = header-parse\n"
#define INI_HTML "[pipeline]\nstages = html-strip;header-parse\n[html-strip]\nmeta-table = table.cable\n"
#define INI_HTML_TAGS "[pipeline]\nstages = html-strip;tag-decode;header-parse\n[html-strip]\nmeta-table = table.cable\n"
#define INI_NO_SPANS "[pipeline]\nstages = header-parse\n[header-parse]\nlayout-spans = false\n"

/* Pipelines by INI text, kept until exit (diagnostics point at their stage names). */
static GHashTable *pipelines;

static QuarryDocument *
run_ini (const char *ini, const char *id, const char *data, gssize length, const char *media_type)
{
  QuarryHarness *p = g_hash_table_lookup (pipelines, ini);

  if (p == NULL)
    {
      p = quarry_harness_new (ini);
      g_hash_table_insert (pipelines, g_strdup (ini), p);
    }
  return quarry_harness_run (p, id, data, length, media_type);
}

static json_object *
header_of (QuarryDocument *doc)
{
  json_object *h = quarry_document_get_fields (doc, "header");
  return json_object_get (h);
}

/* The layout spans in a form easy to check by eye: paragraph numbers with markings,
 * section titles, page-break lines and the first and last words of the header. */
static json_object *
layout_of (QuarryDocument *doc)
{
  json_object *out = json_object_new_object ();
  json_object *paras = json_object_new_array (), *secs = json_object_new_array ();
  json_object *breaks = json_object_new_array ();
  const char *text = quarry_document_get_text (doc, NULL);
  const char *hl = g_intern_static_string ("header"), *pl = g_intern_static_string ("paragraph");
  const char *sl = g_intern_static_string ("section"), *bl = g_intern_static_string ("page-break");

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *s = quarry_document_get_span (doc, i);
      g_autofree char *covered = g_strndup (text + s->start, s->end - s->start);
      json_object *v;

      if (s->layer == hl)
        {
          g_autofree char *head = g_utf8_substring (covered, 0, MIN (g_utf8_strlen (covered, -1), 24));
          g_autofree char *tail = g_utf8_substring (covered, MAX (g_utf8_strlen (covered, -1) - 24, 0),
                                                    g_utf8_strlen (covered, -1));
          json_object_object_add (out, "header_starts", json_object_new_string (head));
          json_object_object_add (out, "header_ends", json_object_new_string (tail));
        }
      else if (s->layer == pl)
        {
          json_object *marking = NULL;
          g_autofree char *p = NULL;
          json_object_object_get_ex (s->attrs, "marking", &marking);
          p = g_strdup_printf ("%s%s%s", s->label, marking ? " " : "", marking ? json_object_get_string (marking) : "");
          json_object_array_add (paras, json_object_new_string (p));
          /* a paragraph starts at its number and ends before the next one */
          g_assert_true (strstr (covered, s->label) != NULL);
          g_assert_false (g_ascii_isspace (covered[strlen (covered) - 1]));
        }
      else if (s->layer == sl && json_object_object_get_ex (s->attrs, "title", &v))
        json_object_array_add (secs, json_object_get (v));
      else if (s->layer == bl)
        json_object_array_add (breaks, json_object_new_string (covered));
    }
  json_object_object_add (out, "paragraphs", paras);
  json_object_object_add (out, "sections", secs);
  json_object_object_add (out, "page_breaks", breaks);
  return out;
}

static json_object *
diagnostic_codes (QuarryDocument *doc)
{
  g_autoptr(json_object) rec = quarry_test_record (doc);
  json_object *diags, *codes = json_object_new_array ();

  if (json_object_object_get_ex (rec, "diagnostics", &diags))
    for (gsize i = 0; i < json_object_array_length (diags); i++)
      {
        json_object *d = json_object_array_get_idx (diags, i), *code;
        if (json_object_object_get_ex (d, "code", &code))
          json_object_array_add (codes, json_object_get (code));
      }
  return codes;
}

/* ---- data-driven: NAME.txt and NAME.json side by side ---- */

static void
test_data_file (gconstpointer data)
{
  const char *name = data;
  g_autofree char *txt = harness_data_path ("header-parse", name, NULL);
  g_autofree char *stem = g_strndup (name, strlen (name) - 4);
  g_autofree char *json_name = g_strconcat (stem, ".json", NULL);
  g_autofree char *expected = harness_data_path ("header-parse", json_name, NULL);
  gsize len;
  g_autofree char *input = quarry_test_read_file (txt, &len);
  g_autoptr(QuarryDocument) doc = run_ini (INI_HP, stem, input, len, "text/plain");
  g_autoptr(json_object) actual = json_object_new_object ();

  json_object_object_add (actual, "header", header_of (doc));
  json_object_object_add (actual, "layout", layout_of (doc));
  json_object_object_add (actual, "diagnostics", diagnostic_codes (doc));
  quarry_assert_golden_json (actual, expected);
}

/* ---- the seed and the raw page give the same fields ---- */

static json_object *
run_page (const char *ini, const char *path, const char *id)
{
  gsize len;
  g_autofree char *input = quarry_test_read_file (path, &len);
  g_autoptr(QuarryDocument) doc = run_ini (ini, id, input, len, "text/html");
  json_object *h = header_of (doc);

  g_assert_cmpuint (quarry_test_count_diagnostics (doc, NULL), ==, 0);
  return h;
}

/* What the seed cannot have: the telegram routing block, and the date only it carries. */
static void
drop_routing (json_object *h)
{
  json_object_object_del (h, "routing");
  json_object_object_del (h, "date");
  json_object_object_del (h, "reference_id_inferred");
}

static void
test_seed_equals_raw (void)
{
  g_autofree char *seed = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  g_autofree char *raw = harness_data_path ("header-parse", "pages", "09MOSCOW2734.html", NULL);
  g_autoptr(json_object) hs = NULL, hr = NULL, ht = NULL;
  json_object *v;

  if (!seed)
    {
      g_test_skip ("no shared seed");
      return;
    }
  hs = run_page (INI_HTML, seed, "seed");
  hr = run_page (INI_HTML, raw, "raw");
  /* the raw page has a meta table and a routing block */
  g_assert_true (json_object_object_get_ex (hr, "routing", &v));
  g_assert_cmpstr (json_object_get_string (json_object_object_get (hr, "date")), ==, "2009-11-05");
  g_assert_false (json_object_object_get_ex (hr, "reference_id_inferred", NULL));
  /* the seed's reference id had to be inferred (from the declassification date) */
  g_assert_true (json_object_get_boolean (json_object_object_get (hs, "reference_id_inferred")));
  drop_routing (hs);
  drop_routing (hr);
  quarry_assert_json_equal (hs, hr, "fields.header of the seed vs the raw page");

  /* before or after tag-decode: the same fields */
  ht = run_page (INI_HTML_TAGS, seed, "seed-decoded");
  drop_routing (ht);
  quarry_assert_json_equal (ht, hs, "fields.header after tag-decode vs before");
}

/* The seed's layout spans through html-strip: 12 paragraphs, 5 sections, 2 page breaks. */
static void
test_seed_layout (void)
{
  g_autofree char *seed = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  gsize len;
  g_autofree char *input = NULL;
  g_autoptr(QuarryDocument) doc = NULL;
  g_autoptr(json_object) paras = NULL, secs = NULL, breaks = NULL;

  if (!seed)
    {
      g_test_skip ("no shared seed");
      return;
    }
  input = quarry_test_read_file (seed, &len);
  doc = run_ini (INI_HTML, "seed", input, len, "text/html");
  paras = quarry_test_spans (doc, "paragraph");
  secs = quarry_test_spans (doc, "section");
  breaks = quarry_test_spans (doc, "page-break");
  g_assert_cmpuint (json_object_array_length (paras), ==, 12);
  g_assert_cmpuint (json_object_array_length (secs), ==, 5);
  g_assert_cmpuint (json_object_array_length (breaks), ==, 2);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (json_object_array_get_idx (breaks, 0), "text")),
                   ==, "[LOC MOSCOW  ] 00002734 002 OF 003");
  g_assert_cmpint (json_object_get_int (json_object_object_get (
                     json_object_object_get (json_object_array_get_idx (paras, 11), "attrs"), "number")), ==, 12);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, NULL), ==, 0);
}

/* ---- bad input ---- */

static QuarryDocument *
run_text (const char *text)
{
  return run_ini (INI_HP, "bad", text, -1, "text/plain");
}

static void
test_bad_no_header (void)
{
  g_autoptr(QuarryDocument) doc = run_text ("Just some prose. Nothing here looks like a cable.\n\nThe end.\n");
  json_object *h = quarry_document_get_fields (doc, "header");

  g_assert_cmpint (json_object_object_length (h), ==, 0);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "no-header"), ==, 1);
}

static void
test_bad_empty (void)
{
  g_autoptr(QuarryDocument) doc = run_text ("");

  g_assert_cmpint (json_object_object_length (quarry_document_get_fields (doc, "header")), ==, 0);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "no-header"), ==, 1);
}

static void
test_bad_truncated (void)
{
  g_autoptr(QuarryDocument) doc = run_text ("C O N F I D E N T I A L SECTION 01 OF 03 MOSCOW 002734\n\nSIPDIS\n\nE.O. 12958: DECL: 11/04/2019\nTAGS: PREL, PG");
  json_object *h = quarry_document_get_fields (doc, "header"), *v;

  g_assert_cmpstr (json_object_get_string (json_object_object_get (h, "classification")), ==, "CONFIDENTIAL");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (h, "decl_date")), ==, "2019-11-04");
  g_assert_false (json_object_object_get_ex (h, "subject", &v));
  g_assert_false (json_object_object_get_ex (h, "signers", &v));
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "header-truncated"), ==, 1);

  {
    /* cut inside the label itself */
    g_autoptr(QuarryDocument) d2 = run_text ("S E C R E T STA");
    h = quarry_document_get_fields (d2, "header");
    g_assert_cmpstr (json_object_get_string (json_object_object_get (h, "classification")), ==, "SECRET");
    g_assert_false (json_object_object_get_ex (h, "origin", &v));
    g_assert_cmpuint (quarry_test_count_diagnostics (d2, "header-truncated"), ==, 1);
  }
  {
    g_autoptr(QuarryDocument) d3 = run_text ("UNCLAS ROME 000123\nSUBJECT:");
    h = quarry_document_get_fields (d3, "header");
    g_assert_false (json_object_object_get_ex (h, "subject", &v));
    g_assert_cmpuint (quarry_test_count_diagnostics (d3, "empty-field"), ==, 1);
  }
}

static void
test_bad_dates (void)
{
  static const char *const garbage[] = { "99/99/9999", "13/45/2019", "02/30/2011", "1/2/345678", "00/00/0000" };

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autofree char *text = g_strdup_printf ("C O N F I D E N T I A L PARIS 000482\n\nE.O. 12958: DECL: %s\n"
                                               "TAGS: PREL\nSUBJECT: DATES\n\n1. (C) Text.\n", garbage[i]);
      g_autoptr(QuarryDocument) doc = run_text (text);
      json_object *h = quarry_document_get_fields (doc, "header"), *v;

      g_assert_false (json_object_object_get_ex (h, "decl_date", &v));
      g_assert_false (json_object_object_get_ex (h, "reference_id", &v));  /* no year to build it from */
      g_assert_cmpstr (json_object_get_string (json_object_object_get (h, "executive_order")), ==, "12958");
      g_assert_cmpuint (quarry_test_count_diagnostics (doc, "bad-date"), ==, 1);
    }
}

/* Whatever the bytes, the stage finishes and its spans are in range (the document checks them). */
static void
test_bad_noise (void)
{
  GRand *r = g_rand_new_with_seed (4);
  static const char *const pieces[] = { "C O N F I D E N T I A L ", "SECTION 01 OF ", "MOSCOW ", "002734", "\n",
                                        "E.O. 12958: DECL: ", "11/04/", "TAGS ", "SUBJECT: ", "REF: A. ", "B) ",
                                        "Classified By: ", "1.4 (b)", "¶1. (C) ", "-------", "[LOC ", "  ]",
                                        "MOSCOW 00002734 002 OF 003", "PAGE 02 ", "VZCZC", "FM AMEMBASSY X\n",
                                        "TO ", "INFO ", " ", "Beyrle", ".", "(", ")", "0000000000" };

  for (int round = 0; round < 200; round++)
    {
      GString *s = g_string_new (NULL);
      int n = g_rand_int_range (r, 0, 60);
      for (int i = 0; i < n; i++)
        g_string_append (s, pieces[g_rand_int_range (r, 0, G_N_ELEMENTS (pieces))]);
      {
        g_autoptr(QuarryDocument) doc = run_text (s->str);
        g_assert_nonnull (quarry_document_get_fields (doc, "header"));
      }
      g_string_free (s, TRUE);
    }
  g_rand_free (r);
}

/* ---- options ---- */

static void
test_option_no_spans (void)
{
  g_autofree char *path = harness_data_path ("header-parse", "variant-spaced-section.txt", NULL);
  gsize len;
  g_autofree char *input = quarry_test_read_file (path, &len);
  g_autoptr(QuarryDocument) doc = run_ini (INI_NO_SPANS, "x", input, len, NULL);

  g_assert_cmpuint (quarry_document_get_n_spans (doc), ==, 0);
  g_assert_true (json_object_object_get_ex (quarry_document_get_fields (doc, "header"), "subject", NULL));
}

/* ---- the value helpers ---- */

static void
test_normalize (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "ISSUES , MILIBAND", "ISSUES, MILIBAND" },
    { "  RUSSIA:  MOVING\nBEYOND  ", "RUSSIA: MOVING BEYOND" },
    { "1.4 ( b ) and ( d ) .", "1.4 (b) and (d)." },
    { "U.S. - EU", "U.S. - EU" },
    { "A :B", "A :B" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *v = hp_normalize_value (cases[i].in, strlen (cases[i].in));
      g_assert_cmpstr (v, ==, cases[i].out);
    }
}

static void
test_dates (void)
{
  static const struct { const char *in; int pivot, y, m, d; } good[] = {
    { "11/04/2019", 0, 2019, 11, 4 }, { "1/5/2020", 0, 2020, 1, 5 }, { "11/29/10", 2000, 2010, 11, 29 },
    { "8/29/85", 1979, 1985, 8, 29 }, { "2035/02/12", 0, 2035, 2, 12 }, { "2009-11-04", 0, 2009, 11, 4 },
    { "02/29/2012.", 0, 2012, 2, 29 },
  };
  static const char *const bad[] = { "13/01/2019", "02/29/2011", "1/2", "x/y/z", "11/04/2019/1", "11-04/2019", "" };
  int y, m, d;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_assert_true (hp_parse_date (good[i].in, strlen (good[i].in), good[i].pivot, &y, &m, &d));
      g_assert_cmpint (y, ==, good[i].y);
      g_assert_cmpint (m, ==, good[i].m);
      g_assert_cmpint (d, ==, good[i].d);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (hp_parse_date (bad[i], strlen (bad[i]), 0, &y, &m, &d));
}

/* ---- the classes of header variants (classes/NAME.cases): each case alone and inside a cable ---- */

typedef struct {
  char    *path;      /* "/header-parse/class/tags/glued-codes/fragment" */
  char    *input;
  gboolean tail;      /* at: tail: the fragment ends the cable, in place of its signature */
  gboolean in_cable;  /* this run places it inside a cable */
  char    *expect;    /* JSON text */
  char    *cable;     /* JSON text or NULL: keys replaced inside the cable */
} ClassCase;

/* A cable around the fragment: the routing block dates it 5 November 2009 (so references
 * without a year are 2009's), a classification line, an E.O. line, body text, a signature. */
static char *
cable_around (const ClassCase *k)
{
  return g_strdup_printf ("VZCZCXRO1234\nPP RUEHWEB\nDE RUEHMO #1234/01 3091741\nZNY CCCCC ZZH\n"
                          "P 051741Z NOV 09\nFM AMEMBASSY MOSCOW\nTO RUEHC/SECSTATE WASHDC PRIORITY 5314\nBT\n"
                          "C O N F I D E N T I A L MOSCOW 001234\n\nSIPDIS\n\nE.O. 12958: DECL: 11/05/2019\n%s\n"
                          "The Minister received the delegation on Monday and said little of note.\n\n%s\n",
                          k->tail ? "" : k->input, k->tail ? k->input : "BEYRLE");
}

/* fields.header[KEY], or for "KEY.SUB" the SUB of each element of that array (null where absent) */
static json_object *
project (json_object *header, const char *key)
{
  g_auto (GStrv) parts = g_strsplit (key, ".", 2);
  json_object *v, *out;

  if (!json_object_object_get_ex (header, parts[0], &v))
    return NULL;
  if (!parts[1])
    return json_object_get (v);
  g_assert_true (json_object_is_type (v, json_type_array));
  out = json_object_new_array ();
  for (gsize i = 0; i < json_object_array_length (v); i++)
    {
      json_object *sub = NULL;
      json_object_object_get_ex (json_object_array_get_idx (v, i), parts[1], &sub);
      json_object_array_add (out, json_object_get (sub));
    }
  return out;
}

static void
test_class_case (gconstpointer data)
{
  const ClassCase *k = data;
  g_autofree char *ini_path = g_build_filename (g_getenv ("QUARRY_CONFIG_DIR"), "cables.ini", NULL);
  g_autofree char *ini = quarry_test_read_file (ini_path, NULL);
  g_autofree char *text = k->in_cable ? cable_around (k) : g_strdup (k->input);
  g_autoptr(QuarryDocument) doc = run_ini (ini, "case", text, -1, "text/plain");
  json_object *header = quarry_document_get_fields (doc, "header");
  g_autoptr(json_object) expect = json_tokener_parse (k->expect);
  g_autoptr(json_object) cable = k->cable ? json_tokener_parse (k->cable) : NULL;

  g_assert_nonnull (expect);
  if (k->in_cable && cable)
    {
      json_object_object_foreach (cable, ck, cv)
        json_object_object_add (expect, ck, json_object_get (cv));
    }
  json_object_object_foreach (expect, key, want)
    {
      g_autoptr(json_object) got = project (header, key);
      g_autofree char *what = g_strdup_printf ("%s: fields.header %s", k->path, key);
      quarry_assert_json_equal (got, want, what);
    }
}

static void
class_case_free (gpointer data)
{
  ClassCase *k = data;
  g_free (k->path);
  g_free (k->input);
  g_free (k->expect);
  g_free (k->cable);
  g_free (k);
}

/* Reads FILE.cases ("=== name [at: tail]", the text, "--- expect" JSON, optional "--- in cable" JSON). */
static void
add_class_cases (const char *file, GPtrArray *keep)
{
  g_autofree char *path = harness_data_path ("header-parse", "classes", file, NULL);
  g_autofree char *data = quarry_test_read_file (path, NULL);
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  g_autofree char *cls = g_strndup (file, strlen (file) - 6);
  GString *input = NULL, *expect = NULL, *cable = NULL, *cur = NULL;
  char *name = NULL;
  gboolean tail = FALSE;

  for (guint i = 0;; i++)
    {
      const char *l = lines[i];
      if (!l || g_str_has_prefix (l, "=== "))
        {
          if (name)
            {
              g_assert_true (expect && expect->len > 0);
              for (int mode = 0; mode < 2; mode++)
                {
                  ClassCase *k = g_new0 (ClassCase, 1);
                  k->path = g_strdup_printf ("/header-parse/class/%s/%s/%s", cls, name, mode ? "in-cable" : "fragment");
                  k->input = g_strdup (input->str);
                  k->tail = tail;
                  k->in_cable = mode;
                  k->expect = g_strdup (expect->str);
                  k->cable = cable ? g_strdup (cable->str) : NULL;
                  g_ptr_array_add (keep, k);
                  g_test_add_data_func (k->path, k, test_class_case);
                }
              g_free (name);
              g_string_free (input, TRUE);
              g_string_free (expect, TRUE);
              if (cable)
                g_string_free (cable, TRUE);
              name = NULL, input = expect = cable = NULL;
            }
          if (!l)
            break;
          {
            const char *at = strstr (l, " at: tail");
            name = g_strndup (l + 4, at ? (gsize) (at - l - 4) : strlen (l + 4));
            g_strstrip (name);
            tail = at != NULL;
            cur = input = g_string_new (NULL);
          }
          continue;
        }
      if (!name || (l[0] == '#' && cur != input))
        continue;
      if (strcmp (l, "--- expect") == 0)
        cur = expect = g_string_new (NULL);
      else if (strcmp (l, "--- in cable") == 0)
        cur = cable = g_string_new (NULL);
      else if (cur == input && !(l[0] == '\0' && lines[i + 1] && g_str_has_prefix (lines[i + 1], "===")))
        g_string_append_printf (cur, "%s\n", l);
      else if (cur != input)
        g_string_append (cur, l);
    }
}

/* ---- the vocabularies ---- */

static void
test_vocab_lookup (void)
{
  g_autofree char *path = harness_data_path ("header-parse", "vocab-small.tsv", NULL);
  g_autoptr(GError) error = NULL;
  HpVocab *v = hp_vocab_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (hp_vocab_size (v), ==, 3);
  g_assert_cmpuint (hp_vocab_max_words (v), ==, 3);
  /* spaces, hyphens and case do not matter; the first line of a key wins */
  g_assert_cmpstr (hp_vocab_lookup (v, "LA PAZ", 6), ==, "LAPAZ");
  g_assert_cmpstr (hp_vocab_lookup (v, "lapaz", 5), ==, "LAPAZ");
  g_assert_cmpstr (hp_vocab_lookup (v, "PORT-AU-PRINCE", 14), ==, "PORTAUPRINCE");
  g_assert_cmpstr (hp_vocab_lookup (v, "PREL", 4), ==, "subject");
  g_assert_null (hp_vocab_lookup (v, "PGOV", 4));
  g_assert_null (hp_vocab_lookup (NULL, "PREL", 4));
  /* the checksum is of the file's bytes (sha256sum of vocab-small.tsv) */
  g_assert_cmpstr (hp_vocab_checksum (v), ==, "6d790426395ea6b1e7de6100fa7ad16818c9ef798d2df5f8282543679c9f370d");
  hp_vocab_free (v);
}

static void
test_vocab_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = harness_data_path ("header-parse", "vocab-bad.tsv", NULL);

  g_assert_null (hp_vocab_load ("/nonexistent/tags.txt", &error));
  g_assert_error (error, HP_VOCAB_ERROR, HP_VOCAB_ERROR_READ);
  g_clear_error (&error);
  g_assert_null (hp_vocab_load (bad, &error));
  g_assert_error (error, HP_VOCAB_ERROR, HP_VOCAB_ERROR_SYNTAX);
  /* the message says where: FILE:LINE */
  g_assert_nonnull (strstr (error->message, "vocab-bad.tsv:3:"));
}

/* the tags option replaces the vocabulary: without ECON and EFIN a glued ECONEFIN stays whole;
 * a file that is missing fails the set-up with the option's name */
static void
test_option_tags (void)
{
  g_autofree char *small = harness_data_path ("header-parse", "vocab-small.tsv", NULL);
  g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = header-parse\n[header-parse]\ntags = %s\n", small);
  g_autoptr(QuarryDocument) doc = run_ini (ini, "x", "TAGS: PREL, ECONEFIN\n", -1, NULL);
  g_autoptr(QuarryDocument) with_default = run_ini (INI_HP, "x", "TAGS: PREL, ECONEFIN\n", -1, NULL);
  g_autoptr(json_object) want = json_tokener_parse ("[\"PREL\", \"ECONEFIN\"]");
  g_autoptr(json_object) want_default = json_tokener_parse ("[\"PREL\", \"ECON\", \"EFIN\"]");
  json_object *tags = NULL;
  g_autoptr(GError) error = NULL;
  QuarryHarness *p;

  g_assert_true (json_object_object_get_ex (quarry_document_get_fields (doc, "header"), "tags", &tags));
  quarry_assert_json_equal (tags, want, "tags with a vocabulary that lacks ECON");
  g_assert_true (json_object_object_get_ex (quarry_document_get_fields (with_default, "header"), "tags", &tags));
  quarry_assert_json_equal (tags, want_default, "tags with the default vocabulary");
  p = quarry_harness_try_new ("[pipeline]\nstages = header-parse\n[header-parse]\ntags = /nonexistent/tags.txt\n", &error);
  g_assert_null (p);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "'tags'"));
}

/* the record says which vocabularies made it: the SHA-256 of the files' bytes */
static void
test_provenance (void)
{
  g_autofree char *tags_path = g_build_filename (g_getenv ("QUARRY_HEADER_PARSE_DATA"), "tags.txt", NULL);
  g_autofree char *bytes = NULL;
  g_autofree char *sum = NULL;
  gsize len;
  QuarryHarness *p;
  json_object *prov, *stages, *pdata, *v;

  quarry_document_free (run_ini (INI_HP, "x", "TAGS: PREL\n", -1, NULL));  /* makes the pipeline */
  p = g_hash_table_lookup (pipelines, INI_HP);
  g_assert_true (g_file_get_contents (tags_path, &bytes, &len, NULL));
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes, len);
  prov = quarry_pipeline_get_provenance (quarry_harness_get_pipeline (p));
  g_assert_true (json_object_object_get_ex (prov, "stages", &stages));
  g_assert_true (json_object_object_get_ex (json_object_array_get_idx (stages, 0), "data", &pdata));
  g_assert_true (json_object_object_get_ex (pdata, "tags_sha256", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, sum);
  g_assert_true (json_object_object_get_ex (pdata, "origins_sha256", &v));
  g_assert_cmpuint (strlen (json_object_get_string (v)), ==, 64);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  GDir *d;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *cases = g_ptr_array_new_with_free_func (class_case_free);
  const char *entry;
  int rc;

  g_test_init (&argc, &argv, NULL);
  pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) quarry_harness_free);

  dir = harness_data_path ("header-parse", NULL);
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((entry = g_dir_read_name (d)))
    if (g_str_has_suffix (entry, ".txt"))
      g_ptr_array_add (names, g_strdup (entry));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);  /* a stable test order */
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *stem = g_strndup (name, strlen (name) - 4);
      g_autofree char *path = g_strdup_printf ("/header-parse/data/%s", stem);
      g_test_add_data_func (path, name, test_data_file);
    }
  {
    g_autofree char *cdir = harness_data_path ("header-parse", "classes", NULL);
    GDir *cd = g_dir_open (cdir, 0, NULL);
    GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
    g_assert_nonnull (cd);
    while ((entry = g_dir_read_name (cd)))
      if (g_str_has_suffix (entry, ".cases"))
        g_ptr_array_add (files, g_strdup (entry));
    g_dir_close (cd);
    g_ptr_array_sort (files, compare_names);
    for (guint i = 0; i < files->len; i++)
      add_class_cases (files->pdata[i], cases);
    g_ptr_array_unref (files);
  }
  g_test_add_func ("/header-parse/vocab/lookup", test_vocab_lookup);
  g_test_add_func ("/header-parse/vocab/errors", test_vocab_errors);
  g_test_add_func ("/header-parse/option/tags", test_option_tags);
  g_test_add_func ("/header-parse/provenance", test_provenance);
  g_test_add_func ("/header-parse/seed-equals-raw", test_seed_equals_raw);
  g_test_add_func ("/header-parse/seed-layout", test_seed_layout);
  g_test_add_func ("/header-parse/bad/no-header", test_bad_no_header);
  g_test_add_func ("/header-parse/bad/empty", test_bad_empty);
  g_test_add_func ("/header-parse/bad/truncated", test_bad_truncated);
  g_test_add_func ("/header-parse/bad/dates", test_bad_dates);
  g_test_add_func ("/header-parse/bad/noise", test_bad_noise);
  g_test_add_func ("/header-parse/option/no-spans", test_option_no_spans);
  g_test_add_func ("/header-parse/normalize", test_normalize);
  g_test_add_func ("/header-parse/dates", test_dates);
  rc = g_test_run ();
  g_ptr_array_unref (names);
  g_ptr_array_unref (cases);
  g_hash_table_unref (pipelines);
  return rc;
}
