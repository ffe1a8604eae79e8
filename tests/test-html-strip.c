/* test-html-strip.c: the html-strip stage on the seed, corpus pages, small cases and bad input. */
#include <string.h>

#include <glib.h>
#include <json-c/json.h>

#include "harness.h"
#include "document-private.h"

/* json-c has no autoptr cleanup of its own */

/* How the cables config sets the stage up for WikiLeaks pages. */
#define CABLES_INI \
  "[pipeline]\nstages = html-strip\n" \
  "[html-strip]\ncontent-selector = pre\nmeta-table = table.cable\n"
#define GENERIC_INI "[pipeline]\nstages = html-strip\n"

static QuarryHarness *cables_pipeline;
static QuarryHarness *generic_pipeline;

static QuarryHarness *
cables (void)
{
  if (cables_pipeline == NULL)
    cables_pipeline = quarry_harness_new (CABLES_INI);
  return cables_pipeline;
}

static QuarryHarness *
generic (void)
{
  if (generic_pipeline == NULL)
    generic_pipeline = quarry_harness_new (GENERIC_INI);
  return generic_pipeline;
}

/* Runs html through the generic stage and returns its text (transfer full). */
static char *
strip_text (QuarryHarness *p, const char *html, gssize len, QuarryDocument **out)
{
  QuarryDocument *doc = quarry_harness_run (p, "t", html, len, "text/html");
  char *text = g_strdup (quarry_document_get_text (doc, NULL));

  if (out != NULL)
    *out = doc;
  else
    quarry_document_free (doc);
  return text;
}

static void
assert_strip (const char *html, const char *expected)
{
  g_autofree char *text = strip_text (generic (), html, -1, NULL);

  g_assert_cmpstr (text, ==, expected);
}

/* ---- pages: exact expected records, and offsets checked against the source ---- */

/* Every markup span must trace to the right source bytes. */
static void
check_spans_against_source (QuarryDocument *doc, const char *src, gsize src_len, guint *n_anchors)
{
  const char *text = quarry_document_get_text (doc, NULL);
  const char *markup = g_intern_string ("markup");

  *n_anchors = 0;
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_get_span (doc, i);
      gsize s0, s1;

      if (sp->layer != markup)
        continue;
      quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
      g_assert_cmpuint (s1, <=, src_len);
      if (g_str_equal (sp->label, "pre"))
        {
          /* the span starts right after <pre> and ends right at </pre> */
          g_assert_cmpuint (s0, >=, 5);
          g_assert_true (strncmp (src + s0 - 5, "<pre>", 5) == 0);
          g_assert_true (strncmp (src + s1, "</pre>", 6) == 0);
        }
      else if (g_str_equal (sp->label, "a") && sp->attrs != NULL &&
               !json_object_object_get_ex (sp->attrs, "id", NULL))
        {
          /* a link (TAGS lines link each tag): its text is copied from the source as it is */
          g_assert_true (json_object_object_get_ex (sp->attrs, "href", NULL));
          g_assert_cmpuint (s1 - s0, ==, sp->end - sp->start);
          g_assert_true (strncmp (src + s0, text + sp->start, s1 - s0) == 0);
          g_assert_true (strncmp (src + s1, "</a>", 4) == 0);
        }
      else if (g_str_equal (sp->label, "a") && sp->attrs != NULL)
        {
          json_object *id, *href;
          g_autofree char *want_href = NULL;
          const char *after = text + sp->end;

          g_assert_true (json_object_object_get_ex (sp->attrs, "id", &id));
          g_assert_true (json_object_object_get_ex (sp->attrs, "href", &href));
          want_href = g_strconcat ("#", json_object_get_string (id), NULL);
          g_assert_cmpstr (json_object_get_string (href), ==, want_href);
          g_assert_true (g_str_has_prefix (json_object_get_string (id), "par"));
          /* a paragraph anchor wraps the pilcrow, copied byte for byte, and is followed by its number */
          g_assert_cmpuint (sp->end - sp->start, ==, 2);
          g_assert_true (strncmp (text + sp->start, "\xC2\xB6", 2) == 0);
          g_assert_cmpuint (s1 - s0, ==, 2);
          g_assert_true (strncmp (src + s0, "\xC2\xB6", 2) == 0);
          g_assert_true (strncmp (src + s1, "</a>", 4) == 0);
          g_assert_true (g_str_has_prefix (after, json_object_get_string (id) + 3));
          (*n_anchors)++;
        }
    }
}

/* Each line break of the text comes from a newline or a &#x000A; of the source. */
static void
check_newlines_against_source (QuarryDocument *doc, const char *src)
{
  gsize len;
  const char *text = quarry_document_get_text (doc, &len);
  guint n = 0;

  for (gsize i = 0; i < len; i++)
    {
      gsize s0, s1;
      if (text[i] != '\n')
        continue;
      quarry_document_source_range (doc, i, i + 1, &s0, &s1);
      if (s1 - s0 == 1)
        g_assert_cmpint (src[s0], ==, '\n');
      else if (s1 - s0 == 8 && strncmp (src + s0, "&#x000A;", 8) == 0)
        n++;
      else
        /* a separator between the two <pre> blocks: it stands for the markup between them */
        g_assert_true (memchr (src + s0, '<', s1 - s0) != NULL);
    }
  g_test_message ("%u newlines decoded from &#x000A;", n);
}

static void
test_page (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strconcat (name, ".html", NULL);
  g_autofree char *expected_file = g_strconcat (name, ".expected.json", NULL);
  g_autofree char *path = harness_data_path ("html-strip", file, NULL);
  g_autofree char *expected = harness_data_path ("html-strip", expected_file, NULL);
  gsize len;
  g_autofree char *src = quarry_test_read_file (path, &len);
  QuarryDocument *doc = quarry_harness_run (cables (), name, src, len, "text/html");
  g_autoptr(json_object) rec = quarry_test_record (doc);
  guint anchors;

  check_spans_against_source (doc, src, len, &anchors);
  g_assert_cmpuint (anchors, >, 0);
  check_newlines_against_source (doc, src);
  /* nothing of the site's navigation or help text is left */
  g_assert_null (strstr (quarry_document_get_text (doc, NULL), "Browse latest releases"));
  g_assert_null (strstr (quarry_document_get_text (doc, NULL), "Understanding cables"));
  g_assert_null (strstr (quarry_document_get_text (doc, NULL), "<"));
  quarry_assert_golden_json (rec, expected);
  quarry_document_free (doc);
}

/* fields.page from the meta table: the five fields, dates in ISO 8601. */
static void
test_page_fields (void)
{
  g_autofree char *path = harness_data_path ("html-strip", "09MOSCOW2734.html", NULL);
  gsize len;
  g_autofree char *src = quarry_test_read_file (path, &len);
  QuarryDocument *doc = quarry_harness_run (cables (), "09MOSCOW2734", src, len, "text/html");

  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "page", "reference_id")), ==, "09MOSCOW2734");
  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "page", "created")), ==, "2009-11-05T17:05");
  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "page", "released")), ==, "2010-12-01T23:11");
  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "page", "classification")), ==, "CONFIDENTIAL");
  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "page", "origin")), ==, "Embassy Moscow");
  /* the routing header, a blank line, then the body */
  g_assert_true (g_str_has_prefix (quarry_document_get_text (doc, NULL), "VZCZCXRO0259\nPP RUEHBC"));
  g_assert_nonnull (strstr (quarry_document_get_text (doc, NULL),
                            "RUEHXD/MOSCOW POLITICAL COLLECTIVE PRIORITY\n\nC O N F I D E N T I A L SECTION 01 OF 03"));
  g_assert_true (g_str_has_suffix (quarry_document_get_text (doc, NULL), "assist him. Beyrle"));
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, NULL), ==, 0);
  quarry_document_free (doc);
}

/* Raw '&' in a cable body (an encoding accident of the source) stays as written. */
static void
test_page_raw_ampersand (void)
{
  g_autofree char *path = harness_data_path ("html-strip", "06SKOPJE105.html", NULL);
  gsize len;
  g_autofree char *src = quarry_test_read_file (path, &len);
  QuarryDocument *doc = quarry_harness_run (cables (), "06SKOPJE105", src, len, "text/html");

  g_assert_nonnull (strstr (quarry_document_get_text (doc, NULL), "a &one-stop shop window8"));
  quarry_document_free (doc);
}

/* ---- small cases ---- */

static void
test_char_refs (void)
{
  assert_strip ("&amp; &lt;&gt; &quot;&apos; &nbsp;|", "& <> \"' \xC2\xA0|");
  assert_strip ("&notin; &notit; &amp &copy2010", "\xE2\x88\x89 \xC2\xACit; & \xC2\xA9" "2010");
  assert_strip ("&#65;&#x42;&#X43; &#x80; &#0; &#x110000; &#xD800; &#99999999999999999999;",
                "ABC \xE2\x82\xAC \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD");
  assert_strip ("&NotNestedGreaterGreater; &fjlig; &unknown; &#; &#x; &",
                "\xE2\xAA\xA2\xCC\xB8 fj &unknown; &#; &#x; &");
  assert_strip ("<a title='&copy=x&amp;y'>t</a>", "t");
}

static void
test_char_ref_source (void)
{
  QuarryDocument *doc;
  g_autofree char *text = strip_text (generic (), "<p>x&amp;y</p>", -1, &doc);
  gsize s0, s1;

  g_assert_cmpstr (text, ==, "x&y");
  quarry_document_source_range (doc, 1, 2, &s0, &s1);
  g_assert_cmpuint (s0, ==, 4);
  g_assert_cmpuint (s1, ==, 9);
  quarry_document_source_range (doc, 2, 3, &s0, &s1);
  g_assert_cmpuint (s0, ==, 9);
  g_assert_cmpuint (s1, ==, 10);
  quarry_document_free (doc);
}

static void
test_blocks_and_whitespace (void)
{
  assert_strip ("<p>one\n  two </p><p> three<br>four</p>", "one two\n\nthree\nfour");
  assert_strip ("<ul><li>a<li>b</ul>after", "a\nb\nafter");
  assert_strip ("<table><tr><th>k<th>v<tr><td>x<td> y </td></tr><tr><td>z</table>", "k\tv\nx\ty\nz");
  assert_strip ("  lead <b>bold</b>  <i>it</i>  trail  ", "lead bold it trail");
  assert_strip ("<div>a</div><div>b</div>", "a\nb");
  assert_strip ("<h1>T</h1>text", "T\n\ntext");
  assert_strip ("x&#10;&#10;y", "x y");
  assert_strip ("<pre>\n  keep   this\n\n</pre>x", "  keep   this\n\n\nx");
  assert_strip ("<pre>a\r\nb\rc</pre>", "a\nb\nc");
  assert_strip ("a</p>b", "a\n\nb");
  assert_strip ("a</br>b", "a\nb");
}

static void
test_dropped_and_raw_text (void)
{
  assert_strip ("<html><head><title>T</title><style>p{x:1}</style></head><body>a<script>if (a<b) x='</p>';</script>b</body></html>",
                "ab");
  assert_strip ("<textarea>\n<b>not a tag</b> &amp;</textarea>", "<b>not a tag</b> &");
  assert_strip ("<script><!--<script>x</script>-->still</script>after", "after");
  assert_strip ("<!DOCTYPE html><!-- comment --><p>a<?php x ?>b</p>", "ab");
  assert_strip ("<head><meta charset=utf-8><p>implied body", "implied body");
  assert_strip ("<svg><desc>d &amp; <i>e</i></desc><![CDATA[x<y]]></svg>", "d & ex<y");
  assert_strip ("<p><![CDATA[x]]>y</p>", "y");
}

static void
test_xhtml (void)
{
  QuarryDocument *doc = quarry_harness_run (generic (), "x", "<p><![CDATA[a<b]]></p><div/>c<script/>d", -1,
                                     "application/xhtml+xml");

  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "a<b\n\ncd");
  quarry_document_free (doc);
}

static void
test_not_html (void)
{
  const char *in = "<p>plain &amp; simple</p>";
  QuarryDocument *doc = quarry_harness_run (generic (), "x", in, -1, "text/plain");

  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, in);
  g_assert_cmpuint (quarry_document_get_n_spans (doc), ==, 0);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, NULL), ==, 0);
  quarry_document_free (doc);
}

static void
test_markup_spans (void)
{
  QuarryDocument *doc = quarry_harness_run (generic (), "x",
                                     "<p>See <a href=\"/x?a=1&amp;b=2\" id=l1>the <b>link</b></a>.<a name=top></a></p>"
                                     "<table><tr><td> cell </td></tr></table>", -1, "text/html");
  g_autoptr(json_object) spans = quarry_test_spans (doc, "markup");
  g_autoptr(json_object) expected = json_tokener_parse (
    "[{\"label\":\"a\",\"start\":4,\"end\":12,\"text\":\"the link\",\"source\":[38,49],"
    "  \"attrs\":{\"href\":\"/x?a=1&b=2\",\"id\":\"l1\"}},"
    " {\"label\":\"a\",\"start\":13,\"end\":13,\"text\":\"\",\"source\":[58,58],\"attrs\":{\"name\":\"top\"}},"
    " {\"label\":\"td\",\"start\":15,\"end\":19,\"text\":\"cell\",\"source\":[94,98]}]");

  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "See the link.\n\ncell");
  quarry_assert_json_equal (spans, expected, "markup spans");
  quarry_document_free (doc);
}

static void
test_selectors (void)
{
  g_autoptr(QuarryHarness) p = quarry_harness_new (
    "[pipeline]\nstages = html-strip\n[html-strip]\n"
    "content-selector = div#main;article\ndrop-elements = .ad;nav;script\nmarkup-elements = h2\n");
  const char *html = "<nav>menu</nav><div id=main class=x><h2>Title</h2><p>Body <span class='ad big'>buy!</span>text</p>"
                     "<div id=main>nested</div></div><footer>f</footer><article>second</article>";
  g_autofree char *text = strip_text (p, html, -1, NULL);
  g_autofree char *fallback = strip_text (p, "<p>no match here</p><nav>x</nav>", -1, NULL);

  g_assert_cmpstr (text, ==, "Title\n\nBody text\n\nnested\n\nsecond");
  g_assert_cmpstr (fallback, ==, "no match here");
}

static void
test_meta_table_vertical (void)
{
  g_autoptr(QuarryHarness) p = quarry_harness_new (
    "[pipeline]\nstages = html-strip\n[html-strip]\nmeta-table = table#meta\n");
  QuarryDocument *doc = quarry_harness_run (p, "x",
                                     "<table id=meta><tr><th>Published At<td>2011-02-03"
                                     "<tr><th>Author:</th><td> A.  N. Other </td></table><p>body</p>", -1, "text/html");

  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "body");
  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "page", "published_at")), ==, "2011-02-03");
  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "page", "author")), ==, "A. N. Other");
  quarry_document_free (doc);
}

static void
test_bad_options (void)
{
  GError *error = NULL;
  QuarryHarness *p = quarry_harness_try_new (
    "[pipeline]\nstages = html-strip\n[html-strip]\ncontent-selector = div[x=1]\n", &error);

  g_assert_null (p);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "div[x=1]"));
  g_clear_error (&error);
  p = quarry_harness_try_new ("[pipeline]\nstages = html-strip\n[html-strip]\nmarkup-elements = a b\n", &error);
  g_assert_null (p);
  g_assert_nonnull (error);
  g_clear_error (&error);
}

/* ---- bad input ---- */

static const QuarryDiagnostic *
find_diagnostic (QuarryDocument *doc, const char *code)
{
  for (guint i = 0; i < quarry_document_get_n_diagnostics (doc); i++)
    if (g_str_equal (quarry_document_get_diagnostic (doc, i)->code, code))
      return quarry_document_get_diagnostic (doc, i);
  return NULL;
}

static void
test_truncated_tag (void)
{
  QuarryDocument *doc;
  g_autofree char *text = strip_text (generic (), "<p>Hello <b class='x", -1, &doc);
  const QuarryDiagnostic *d = find_diagnostic (doc, "truncated-tag");

  g_assert_cmpstr (text, ==, "Hello");
  g_assert_nonnull (d);
  g_assert_cmpstr (d->stage, ==, "html-strip");
  g_assert_cmpint (d->source_offset, ==, 9);
  g_assert_cmpint (d->level, ==, QUARRY_DIAGNOSTIC_WARNING);
  quarry_document_free (doc);
}

static void
test_lt_amp_in_text (void)
{
  assert_strip ("a < b && c > d; 1<2 x<-y <3 &&& &;", "a < b && c > d; 1<2 x<-y <3 &&& &;");
  assert_strip ("if a<b then", "if a");  /* "<b then" is a tag cut off by the end: dropped, as browsers do */
}

static void
test_charref_no_semicolon (void)
{
  QuarryDocument *doc;
  g_autofree char *text = strip_text (generic (), "<p>a &micro-trafficking net</p>", -1, &doc);
  const QuarryDiagnostic *d = find_diagnostic (doc, "charref-no-semicolon");

  /* decoded as browsers do, and said so, pointing at the '&' */
  g_assert_cmpstr (text, ==, "a \xC2\xB5-trafficking net");
  g_assert_nonnull (d);
  g_assert_cmpint (d->source_offset, ==, 5);
  g_assert_cmpint (d->level, ==, QUARRY_DIAGNOSTIC_INFO);
  g_assert_nonnull (strstr (d->message, "'&micro'"));
  quarry_document_free (doc);
}

static void
test_unclosed_comment (void)
{
  QuarryDocument *doc;
  g_autofree char *text = strip_text (generic (), "<p>before</p><!-- never closed <p>after</p>", -1, &doc);
  const QuarryDiagnostic *d = find_diagnostic (doc, "unclosed-comment");

  g_assert_cmpstr (text, ==, "before");
  g_assert_nonnull (d);
  g_assert_cmpint (d->source_offset, ==, 13);
  quarry_document_free (doc);
}

static void
test_invalid_utf8 (void)
{
  static const char in[] = "<p>caf\xE9 ok &amp; \xF0\x9F\x98\x80 \xC0\xAF</p>";
  QuarryDocument *doc;
  g_autofree char *text = strip_text (generic (), in, sizeof in - 1, &doc);
  const QuarryDiagnostic *d = find_diagnostic (doc, "invalid-utf8");
  gsize s0, s1;

  g_assert_cmpstr (text, ==, "caf\xEF\xBF\xBD ok & \xF0\x9F\x98\x80 \xEF\xBF\xBD\xEF\xBF\xBD");
  g_assert_nonnull (d);
  g_assert_cmpstr (d->stage, ==, "input");
  g_assert_cmpint (d->source_offset, ==, 6);
  /* the replacement character still traces to the bad byte */
  quarry_document_source_range (doc, 3, 6, &s0, &s1);
  g_assert_cmpuint (s0, ==, 6);
  g_assert_cmpuint (s1, ==, 7);
  quarry_document_free (doc);
}

static void
test_nul_bytes (void)
{
  static const char in[] = "<p>a\0b</p><a hr\0ef='x'>y</a>&#0;";
  QuarryDocument *doc;
  g_autofree char *text = strip_text (generic (), in, sizeof in - 1, &doc);

  g_assert_cmpstr (text, ==, "a\xEF\xBF\xBD" "b\n\ny\xEF\xBF\xBD");
  g_assert_nonnull (find_diagnostic (doc, "nul-byte"));
  g_assert_nonnull (find_diagnostic (doc, "bad-charref"));
  quarry_document_free (doc);
}

/* Pathological shapes: each must finish (linear time) and keep the text right. */
static void
test_pathological (void)
{
  GString *s = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append (s, "<div>");
  g_string_append (s, "deep");
  for (int i = 0; i < 100000; i++)
    g_string_append (s, "</x></div>");
  text = strip_text (generic (), s->str, s->len, NULL);
  g_assert_cmpstr (text, ==, "deep");
  g_clear_pointer (&text, g_free);

  g_string_truncate (s, 0);
  for (int i = 0; i < 100000; i++)
    g_string_append (s, "&&amp<a<");
  text = strip_text (generic (), s->str, s->len, NULL);
  g_assert_true (g_str_has_prefix (text, "&&"));
  g_clear_pointer (&text, g_free);

  g_string_truncate (s, 0);
  g_string_append (s, "<p ");
  for (int i = 0; i < 50000; i++)
    g_string_append_printf (s, "a%d=1 a%d=2 ", i % 1000, i);
  g_string_append (s, ">x");
  text = strip_text (generic (), s->str, s->len, NULL);
  g_assert_cmpstr (text, ==, "x");
  g_clear_pointer (&text, g_free);
  g_string_free (s, TRUE);
}

/* Random markup soup (fixed seed): the stage never fails, spans stay in the text
 * and on character boundaries, and every span traces into the source. */
static void
test_random_soup (void)
{
  static const char *pieces[] = {
    "<p>", "</p>", "<a href='x'>", "<a id=par1 href=#par1>", "</a>", "<pre>", "</pre>", "&amp;", "&", "&#x",
    "&#x000A;", "<!--", "-->", "<script>", "</script>", "<", ">", "text ", "\n", "  ", "\xC3\xA9", "\xE2\x80\x9C",
    "<table class=cable><tr><th>Created</th>", "<td>2009-11-05 17:05", "</td>", "</tr>", "<br/>", "'", "\"", "=",
    "<![CDATA[", "]]>", "<title>", "</title>", "<!DOCTYPE html>", "\r\n", "&notin", ";", "<svg>", "</svg>",
    "<div class=x>", "</div>", "<textarea>", "</textarea>", "<li>", "<td>", "</b>", "<?", "</", "<x y=\"",
    "\xFF", "\0", "<head>", "<style>", "</style>", "<code>", "</code>",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20101128);
  QuarryHarness *pipelines[] = { generic (), cables () };

  for (int doc_i = 0; doc_i < 400; doc_i++)
    {
      GString *s = g_string_new (NULL);
      int n = g_rand_int_range (rand, 0, 120);
      for (int k = 0; k < n; k++)
        {
          const char *piece = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];
          g_string_append_len (s, piece, piece[0] == '\0' ? 1 : (gssize) strlen (piece));
        }
      for (guint p = 0; p < G_N_ELEMENTS (pipelines); p++)
        {
          QuarryDocument *doc = quarry_harness_run (pipelines[p], "soup", s->str, s->len,
                                             doc_i % 7 == 0 ? "application/xhtml+xml" : "text/html");
          gsize len;
          const char *text = quarry_document_get_text (doc, &len);
          g_assert_true (g_utf8_validate_len (text, len, NULL));
          for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
            {
              const QuarrySpan *sp = quarry_document_get_span (doc, i);
              gsize s0, s1;
              g_assert_cmpuint (sp->start, <=, sp->end);
              g_assert_cmpuint (sp->end, <=, len);
              quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
              g_assert_cmpuint (s0, <=, s1);
              g_assert_cmpuint (s1, <=, s->len);
            }
          quarry_document_free (doc);
        }
      g_string_free (s, TRUE);
    }
}

/* A 20 MB document in one piece: no quadratic step (the run would not end) and exact text. */
static void
test_large_document (void)
{
  const char *unit = "<div class='row'><p>word &amp; more</p><!-- c --><script>var x = 1;</script></div>\n";
  gsize n = 20 * 1000 * 1000 / strlen (unit);
  GString *s = g_string_sized_new (n * strlen (unit) + 1);
  QuarryDocument *doc;
  gsize len;
  const char *text;

  for (gsize i = 0; i < n; i++)
    g_string_append (s, unit);
  doc = quarry_harness_run (generic (), "big", s->str, s->len, "text/html");
  text = quarry_document_get_text (doc, &len);
  g_assert_cmpuint (len, ==, n * strlen ("word & more") + (n - 1) * 2);
  g_assert_true (g_str_has_prefix (text, "word & more\n\nword & more\n\n"));
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, NULL), ==, 0);
  quarry_document_free (doc);
  g_string_free (s, TRUE);
}

int
main (int argc, char **argv)
{
  static const char *pages[] = {
    "seed-09MOSCOW2734-tagged", "09MOSCOW2734", "79TEHRAN8980", "04RANGOON1100",
    "06SKOPJE105", "08OSLO406", "10KABUL571",
  };
  int ret;

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *path = g_strconcat ("/html-strip/page/", pages[i], NULL);
      g_test_add_data_func (path, pages[i], test_page);
    }
  g_test_add_func ("/html-strip/page/fields", test_page_fields);
  g_test_add_func ("/html-strip/page/raw-ampersand", test_page_raw_ampersand);
  g_test_add_func ("/html-strip/char-refs", test_char_refs);
  g_test_add_func ("/html-strip/char-ref-source", test_char_ref_source);
  g_test_add_func ("/html-strip/blocks-and-whitespace", test_blocks_and_whitespace);
  g_test_add_func ("/html-strip/dropped-and-raw-text", test_dropped_and_raw_text);
  g_test_add_func ("/html-strip/xhtml", test_xhtml);
  g_test_add_func ("/html-strip/not-html", test_not_html);
  g_test_add_func ("/html-strip/markup-spans", test_markup_spans);
  g_test_add_func ("/html-strip/selectors", test_selectors);
  g_test_add_func ("/html-strip/meta-table-vertical", test_meta_table_vertical);
  g_test_add_func ("/html-strip/bad-options", test_bad_options);
  g_test_add_func ("/html-strip/bad/truncated-tag", test_truncated_tag);
  g_test_add_func ("/html-strip/bad/lt-amp-in-text", test_lt_amp_in_text);
  g_test_add_func ("/html-strip/bad/unclosed-comment", test_unclosed_comment);
  g_test_add_func ("/html-strip/bad/charref-no-semicolon", test_charref_no_semicolon);
  g_test_add_func ("/html-strip/bad/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/html-strip/bad/nul-bytes", test_nul_bytes);
  g_test_add_func ("/html-strip/bad/pathological", test_pathological);
  g_test_add_func ("/html-strip/bad/random-soup", test_random_soup);
  g_test_add_func ("/html-strip/bad/large-document", test_large_document);
  ret = g_test_run ();
  g_clear_pointer (&cables_pipeline, quarry_harness_free);
  g_clear_pointer (&generic_pipeline, quarry_harness_free);
  return ret;
}
