/* test-view.c: `quarry view`: every mention one element with the span's text, text
 * escaped once, elements nested, missing ids refused, reports drawn. The expected text
 * of each mark is cut from the record's text by code points here, not by the program. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <glib.h>
#include <json-c/json.h>

#include "harness.h"

typedef struct {
  char *dir, *quarry;
} View;

static void
view_setup (View *v, gconstpointer data)
{
  GError *error = NULL;

  v->dir = g_dir_make_tmp ("quarry-view-XXXXXX", &error);
  g_assert_no_error (error);
  v->quarry = g_test_build_filename (G_TEST_BUILT, "..", "quarry", NULL);
}

static void
view_teardown (View *v, gconstpointer data)
{
  harness_remove_tree (v->dir);
  g_free (v->dir);
  g_free (v->quarry);
}

static gboolean
exists (const View *v, const char *name)
{
  g_autofree char *p = g_build_filename (v->dir, name, NULL);
  return g_file_test (p, G_FILE_TEST_EXISTS);
}

/* Runs `quarry view ARGS...` in the test folder; returns the exit code. */
static int
run_view (const View *v, char **err, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *e = NULL;
  GError *error = NULL;
  const char *a;
  va_list ap;
  int status = 0;

  g_ptr_array_add (argv, v->quarry);
  g_ptr_array_add (argv, (gpointer) "view");
  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (v->dir, (char **) argv->pdata, NULL, 0, NULL, NULL, NULL, &e, &status, &error);
  g_assert_no_error (error);
  if (g_test_verbose ())
    g_printerr ("%s", e);
  if (err != NULL)
    *err = g_steal_pointer (&e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* A record line: text and spans [layer, label, start, end] in code points. */
static char *
record (const char *id, const char *text, const char *spans_json)
{
  json_object *r = json_object_new_object ();
  char *line;

  json_object_object_add (r, "id", json_object_new_string (id));
  json_object_object_add (r, "text", json_object_new_string (text));
  json_object_object_add (r, "spans", json_tokener_parse (spans_json));
  line = g_strdup_printf ("%s\n", json_object_to_json_string_ext (r, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (r);
  return line;
}

/* The characters [start, end) of text, counted in code points. */
static char *
cp_slice (const char *text, glong start, glong end)
{
  const char *s = g_utf8_offset_to_pointer (text, start), *e = g_utf8_offset_to_pointer (text, end);
  return g_strndup (s, e - s);
}

/* HTML text back to characters: the five escapes the page uses. */
static char *
unescape (const char *s, gsize n)
{
  GString *o = g_string_new (NULL);
  static const struct { const char *esc; char c; } map[] = {
    { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' },
  };

  for (gsize i = 0; i < n;)
    {
      guint k;
      for (k = 0; k < G_N_ELEMENTS (map); k++)
        if (strncmp (s + i, map[k].esc, strlen (map[k].esc)) == 0)
          break;
      if (k < G_N_ELEMENTS (map))
        {
          g_string_append_c (o, map[k].c);
          i += strlen (map[k].esc);
        }
      else
        g_string_append_c (o, s[i++]);
    }
  return g_string_free (o, FALSE);
}

/* Checks that the tags of page between its <pre class="text"> elements nest properly
 * (every closing tag closes the innermost open one), and counts the <mark> elements. */
static guint
check_nesting (const char *page)
{
  const char *p = page;
  guint marks = 0;

  while ((p = strstr (p, "<pre class=\"text\">")) != NULL)
    {
      const char *end = strstr (p, "</pre>");
      g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func (g_free);
      g_assert_nonnull (end);
      for (p += strlen ("<pre class=\"text\">"); p < end; p++)
        {
          if (*p != '<')
            continue;
          if (p[1] == '/')
            {
              const char *q = strchr (p, '>');
              g_autofree char *name = g_strndup (p + 2, q - p - 2);
              g_assert_cmpuint (stack->len, >, 0);
              g_assert_cmpstr (name, ==, stack->pdata[stack->len - 1]);
              g_ptr_array_remove_index (stack, stack->len - 1);
            }
          else
            {
              gsize n = strcspn (p + 1, " >");
              g_ptr_array_add (stack, g_strndup (p + 1, n));
              if (g_str_has_prefix (p, "<mark "))
                marks++;
            }
        }
      g_assert_cmpuint (stack->len, ==, 0);
      p = end;
    }
  return marks;
}

/* The text inside the element that starts at the first `<mark id="ID"`, tags removed. */
static char *
mark_text (const char *page, const char *id)
{
  g_autofree char *needle = g_strdup_printf ("<mark id=\"%s\"", id);
  const char *p = strstr (page, needle);
  g_autoptr(GString) raw = g_string_new (NULL);
  int depth = 0;

  g_assert_nonnull (p);
  g_assert_null (strstr (p + 1, needle));  /* one element per mention */
  for (;;)
    {
      if (*p == '<')
        {
          const char *q = strchr (p, '>');
          if (g_str_has_prefix (p, "<mark"))
            depth++;
          else if (g_str_has_prefix (p, "</mark>") && --depth == 0)
            break;
          p = q + 1;
          continue;
        }
      g_string_append_c (raw, *p++);
    }
  return unescape (raw->str, raw->len);
}

/* Every entity mention of one record (shown as record 0) is one mark whose text is the
 * span's text, even with non-ASCII before it and markup characters inside. */
static void
test_mentions (View *v, gconstpointer data)
{
  const char *text = "Le ministère: \"Ministry of Foreign Affairs of Russia\" said <script>alert('x')</script> & left for Москва.\n"
                     "Lavrov's visit <b>ended</b>.";
  const char *spans = "[{\"layer\":\"entity\",\"label\":\"ORG\",\"start\":15,\"end\":52,\"attrs\":{\"entity\":\"e1\"}},"
                      "{\"layer\":\"entity\",\"label\":\"LOC\",\"start\":46,\"end\":52,\"attrs\":{\"entity\":\"e2\",\"spotted_by\":\"gazetteer\"}},"
                      "{\"layer\":\"entity\",\"label\":\"LOC\",\"start\":98,\"end\":104},"
                      "{\"layer\":\"entity\",\"label\":\"PER\",\"start\":106,\"end\":112},"
                      "{\"layer\":\"sentence\",\"start\":0,\"end\":105}]";
  g_autofree char *line = record ("r<1>&\"x\"", text, spans);
  g_autofree char *page = NULL, *err = NULL;
  static const glong expect[][2] = { { 15, 52 }, { 46, 52 }, { 98, 104 }, { 106, 112 } };

  harness_put_file (v->dir, "r.jsonl", line, -1);
  g_assert_cmpint (run_view (v, &err, "-o", "v.html", "r.jsonl", NULL), ==, 0);
  page = harness_slurp (v->dir, "v.html", NULL);
  g_assert_true (g_utf8_validate (page, -1, NULL));
  g_assert_cmpuint (check_nesting (page), ==, G_N_ELEMENTS (expect));
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      g_autofree char *id = g_strdup_printf ("m0-%u", i);
      g_autofree char *want = cp_slice (text, expect[i][0], expect[i][1]);
      g_autofree char *got = mark_text (page, id);
      g_assert_cmpstr (got, ==, want);
    }
  /* the record's markup is text: no element of its own, one script in all (the page's) */
  g_assert_nonnull (strstr (page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; left"));
  g_assert_null (strstr (page, "<b>"));
  g_assert_nonnull (strstr (page, "<h2>r&lt;1&gt;&amp;&quot;x&quot;</h2>"));
  g_assert_nonnull (strstr (page, "<script>"));
  g_assert_null (strstr (strstr (page, "<script>") + 1, "<script"));
  /* the tooltip names how the mention was found; the list counts mentions */
  g_assert_nonnull (strstr (page, "spotted_by: gazetteer"));
  g_assert_nonnull (strstr (page, "(4, 4 mentions)"));
  /* nothing from outside: no URL the browser would fetch */
  g_assert_null (strstr (page, "src=\"http"));
  g_assert_null (strstr (page, "href=\"http"));
}

/* Spans of different layers that cross: the first layer's elements stay whole, the
 * others are drawn in pieces, and the tags nest. Two entity spans that cross each
 * other: the later one is drawn in pieces, not as a mark. */
static void
test_overlap (View *v, gconstpointer data)
{
  const char *text = "Alpha Beta Gamma Delta Epsilon";
  const char *spans = "[{\"layer\":\"entity\",\"label\":\"ORG\",\"start\":6,\"end\":16},"
                      "{\"layer\":\"sentence\",\"start\":0,\"end\":11},"
                      "{\"layer\":\"sentence\",\"start\":11,\"end\":30},"
                      "{\"layer\":\"paragraph\",\"start\":8,\"end\":25},"
                      "{\"layer\":\"entity\",\"label\":\"PER\",\"start\":17,\"end\":30},"
                      "{\"layer\":\"entity\",\"label\":\"LOC\",\"start\":23,\"end\":30},"
                      "{\"layer\":\"entity\",\"label\":\"MISC\",\"start\":20,\"end\":26}]";
  g_autofree char *line = record ("ov", text, spans);
  g_autofree char *page = NULL, *a = NULL, *b = NULL, *c = NULL;

  harness_put_file (v->dir, "r.jsonl", line, -1);
  g_assert_cmpint (run_view (v, NULL, "-o", "v.html", "--layers", "entity,sentence,paragraph", "r.jsonl", NULL), ==, 0);
  page = harness_slurp (v->dir, "v.html", NULL);
  /* MISC [20,26) and LOC [23,30) both lie inside PER [17,30) but cross each other: the
   * one that starts later (LOC) is drawn in pieces, the other three are marks */
  g_assert_cmpuint (check_nesting (page), ==, 3);
  a = mark_text (page, "m0-0");
  b = mark_text (page, "m0-1");
  c = mark_text (page, "m0-2");
  g_assert_cmpstr (a, ==, "Beta Gamma");
  g_assert_cmpstr (b, ==, "Delta Epsilon");
  g_assert_cmpstr (c, ==, "ta Eps");
  /* the sentence that ends inside the ORG mention is cut into pieces inside and before it */
  g_assert_nonnull (strstr (page, "title=\"sentence\""));
  g_assert_nonnull (strstr (page, "title=\"paragraph\""));
}

static void
test_missing_id (View *v, gconstpointer data)
{
  g_autofree char *l1 = record ("a", "one", "[]"), *l2 = record ("b", "two", "[]");
  g_autofree char *both = g_strconcat (l1, l2, NULL), *err = NULL, *page = NULL;

  harness_put_file (v->dir, "r.jsonl", both, -1);
  g_assert_cmpint (run_view (v, &err, "-o", "v.html", "r.jsonl", "b", "nope", "a", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "'nope'"));
  g_assert_null (strstr (err, "'a'"));
  g_assert_false (exists (v, "v.html"));
  /* by id: only those, in file order */
  g_assert_cmpint (run_view (v, NULL, "-o", "v.html", "r.jsonl", "b", NULL), ==, 0);
  page = harness_slurp (v->dir, "v.html", NULL);
  g_assert_nonnull (strstr (page, "<h2>b</h2>"));
  g_assert_null (strstr (page, "<h2>a</h2>"));
}

static void
test_limit (View *v, gconstpointer data)
{
  g_autoptr(GString) all = g_string_new (NULL);
  g_autofree char *page = NULL, *err = NULL;

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("d%d", i);
      g_autofree char *l = record (id, "text", "[]");
      g_string_append (all, l);
      if (i == 2)
        g_string_append (all, "\n");  /* an empty line is no record */
    }
  harness_put_file (v->dir, "r.jsonl", all->str, -1);
  g_assert_cmpint (run_view (v, &err, "-o", "v.html", "--limit", "3", "r.jsonl", NULL), ==, 0);
  page = harness_slurp (v->dir, "v.html", NULL);
  g_assert_nonnull (strstr (page, "<h2>d2</h2>"));
  g_assert_null (strstr (page, "<h2>d3</h2>"));
  g_assert_nonnull (strstr (err, "first 3 records"));
}

/* Bad input: a line that is not JSON names its line; spans outside the text are left
 * out with a warning; an empty layer name is refused. */
static void
test_bad_input (View *v, gconstpointer data)
{
  g_autofree char *ok = record ("a", "short", "[{\"layer\":\"entity\",\"label\":\"LOC\",\"start\":2,\"end\":40}]");
  g_autofree char *bad = g_strconcat (ok, "{\"id\":\"b\",\"text\":\"x\"\n", NULL);
  g_autofree char *err = NULL, *err2 = NULL, *err3 = NULL, *page = NULL;

  harness_put_file (v->dir, "bad.jsonl", bad, -1);
  g_assert_cmpint (run_view (v, &err, "-o", "v.html", "bad.jsonl", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "bad.jsonl:2:"));
  g_assert_false (exists (v, "v.html"));

  harness_put_file (v->dir, "ok.jsonl", ok, -1);
  g_assert_cmpint (run_view (v, &err2, "-o", "v.html", "ok.jsonl", NULL), ==, 0);
  g_assert_nonnull (strstr (err2, "1 span outside its text"));
  page = harness_slurp (v->dir, "v.html", NULL);
  g_assert_cmpuint (check_nesting (page), ==, 0);
  g_assert_nonnull (strstr (page, "1 span outside the text"));

  g_assert_cmpint (run_view (v, &err3, "--layers", "entity,,x", "ok.jsonl", NULL), ==, 1);
  g_assert_nonnull (strstr (err3, "empty layer name"));
}

/* A run report: one bar per stage, sized by time, and the dead letters grouped. */
static void
test_report (View *v, gconstpointer data)
{
  const char *report =
    "{\"documents\":{\"in\":7,\"out\":5,\"dead_lettered\":2,\"not_written\":0},\"wall_seconds\":0.5,"
    "\"stages\":[{\"name\":\"html-strip\",\"documents\":7,\"seconds\":0.1,\"mb_per_second\":200},"
    "{\"name\":\"a<b>\",\"documents\":6,\"seconds\":0.4,\"mb_per_second\":50}],"
    "\"dead_letter_reasons\":[{\"stage\":\"crash\",\"code\":\"stage-crashed\",\"count\":2,"
    "\"example\":\"crashed: SIGSEGV in stage crash\"}]}";
  g_autofree char *page = NULL;

  harness_put_file (v->dir, "r.json", report, -1);
  g_assert_cmpint (run_view (v, NULL, "-o", "v.html", "--report", "r.json", NULL), ==, 0);
  page = harness_slurp (v->dir, "v.html", NULL);
  /* the longest stage gets the whole bar (420 px), the other a quarter */
  g_assert_nonnull (strstr (page, "width=\"420\""));
  g_assert_nonnull (strstr (page, "width=\"105\""));
  g_assert_nonnull (strstr (page, "a&lt;b&gt;"));
  g_assert_nonnull (strstr (page, "<td>stage-crashed</td><td class=\"n\">2</td>"));
  g_assert_nonnull (strstr (page, "crashed: SIGSEGV in stage crash"));

  harness_put_file (v->dir, "r.json", "[1,2]", -1);
  g_assert_cmpint (run_view (v, NULL, "-o", "w.html", "--report", "r.json", NULL), ==, 1);
  g_assert_false (exists (v, "w.html"));
}

/* A real run: the report quarry run writes groups its dead letters, and the view of its
 * records marks every entity span with the span's text. */
static void
test_run_report (View *v, gconstpointer data)
{
  g_autofree char *plugins = g_test_build_filename (G_TEST_BUILT, "..", "plugins", NULL);
  g_autofree char *page = NULL, *out = NULL;
  const char *ini = "[pipeline]\nstages = tag-decode\n";
  const char *argv[] = { v->quarry, "run", "-q", "-P", plugins, "-c", "p.ini", "-o", "o.jsonl", "--report", "r.json",
                         "--max-document-bytes", "200", "in", NULL };
  GError *error = NULL;
  g_autoptr(GString) big = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  json_object *rep, *reasons;
  int status;

  harness_put_file (v->dir, "p.ini", ini, -1);
  {
    g_autofree char *in = g_build_filename (v->dir, "in", NULL);
    g_mkdir (in, 0755);
  }
  harness_put_file (v->dir, "in/a.txt", "[PER Sergey Lavrov  ] met [PER Miliband  ] in [LOC Москва  ].", -1);
  for (int i = 0; i < 30; i++)
    g_string_append (big, "too long ");
  harness_put_file (v->dir, "in/b.txt", big->str, -1);
  harness_put_file (v->dir, "in/c.txt", big->str, -1);
  g_spawn_sync (v->dir, (char **) argv, NULL, 0, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  {
    g_autofree char *rp = g_build_filename (v->dir, "r.json", NULL);
    rep = json_object_from_file (rp);
  }
  g_assert_nonnull (rep);
  g_assert_true (json_object_object_get_ex (rep, "dead_letter_reasons", &reasons));
  g_assert_cmpuint (json_object_array_length (reasons), ==, 1);
  g_assert_cmpint (json_object_get_int (json_object_object_get (json_object_array_get_idx (reasons, 0), "count")), ==, 2);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (json_object_array_get_idx (reasons, 0), "stage")), ==, "input");
  json_object_put (rep);

  g_assert_cmpint (run_view (v, NULL, "-o", "v.html", "o.jsonl", NULL), ==, 0);
  page = harness_slurp (v->dir, "v.html", NULL);
  out = harness_slurp (v->dir, "o.jsonl", NULL);
  lines = g_strsplit (out, "\n", -1);
  {
    json_object *rec = json_tokener_parse (lines[0]), *spans;
    const char *text = json_object_get_string (json_object_object_get (rec, "text"));
    guint k = 0;
    g_assert_true (json_object_object_get_ex (rec, "spans", &spans));
    for (gsize i = 0; i < json_object_array_length (spans); i++)
      {
        json_object *s = json_object_array_get_idx (spans, i);
        g_autofree char *id = NULL, *want = NULL, *got = NULL;
        if (strcmp (json_object_get_string (json_object_object_get (s, "layer")), "entity") != 0)
          continue;
        id = g_strdup_printf ("m0-%u", k++);
        want = cp_slice (text, json_object_get_int (json_object_object_get (s, "start")),
                         json_object_get_int (json_object_object_get (s, "end")));
        got = mark_text (page, id);
        g_assert_cmpstr (got, ==, want);
      }
    g_assert_cmpuint (k, ==, 3);
    g_assert_cmpuint (check_nesting (page), ==, 3);
    json_object_put (rec);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, View, NULL, view_setup, fn, view_teardown)
  ADD ("/view/mentions", test_mentions);
  ADD ("/view/overlap", test_overlap);
  ADD ("/view/missing-id", test_missing_id);
  ADD ("/view/limit", test_limit);
  ADD ("/view/bad-input", test_bad_input);
  ADD ("/view/report", test_report);
  ADD ("/view/run-report", test_run_report);
  return g_test_run ();
}
