/* test-sdk.c: tests of what a plugin author gets: the test kit (quarry/testing.h), whose assertions
 * pass on the right document and fail, saying what was expected and found, on a wrong one; and
 * `quarry new-plugin`. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "harness.h"

/* test-replace with find = a, replace = XY: "banana" becomes "bXYnXYnXY", three spans
 * "XY" of layer replaced, label r, and fields.replace.count = 3 (expectations by hand). */
#define REPLACE_INI "[pipeline]\nstages = test-replace\n[test-replace]\nfind = a\nreplace = XY\n"

static QuarryDocument *
banana (void)
{
  g_autoptr(QuarryHarness) h = quarry_harness_new (REPLACE_INI);

  return quarry_harness_run (h, "banana", "banana", -1, NULL);
}

static void
test_passing (void)
{
  g_autoptr(QuarryDocument) doc = banana ();
  g_autoptr(QuarryHarness) h1 = quarry_harness_new_for_plugin ("test-replace", "find", "n", "replace", "N", NULL);
  g_autoptr(QuarryDocument) doc1 = quarry_harness_run (h1, "b", "banana", -1, NULL);
  g_autoptr(json_object) spans = quarry_test_spans (doc, "replaced");
  g_autoptr(json_object) want = json_tokener_parse (
    "[{\"label\": \"r\", \"start\": 1, \"end\": 3, \"text\": \"XY\", \"source\": [1, 2]},"
    " {\"label\": \"r\", \"start\": 4, \"end\": 6, \"text\": \"XY\", \"source\": [3, 4]},"
    " {\"label\": \"r\", \"start\": 7, \"end\": 9, \"text\": \"XY\", \"source\": [5, 6]}]");

  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "bXYnXYnXY");
  quarry_assert_span (doc, "replaced", "r", "XY");
  quarry_assert_span (doc, "replaced", NULL, "XY");
  quarry_assert_layer (doc, "replaced", "r", "XY", "r", "XY", "r", "XY", NULL);
  quarry_assert_n_spans (doc, "replaced", 3);
  quarry_assert_n_spans (doc, "no-such-layer", 0);
  quarry_assert_field (doc, "replace.count", "3");
  quarry_assert_field (doc, "replace.nothing", NULL);
  quarry_assert_no_diagnostic (doc, NULL, NULL);
  quarry_assert_json_equal (spans, want, "the replaced spans");
  g_assert_cmpstr (quarry_document_get_text (doc1, NULL), ==, "baNaNa");
  quarry_assert_layer (doc1, "replaced", "r", "N", "r", "N", NULL);
}

/* Each failing assertion runs in a subprocess; its message must name what was expected
 * and what was found. */
static void
test_failing (gconstpointer data)
{
  const char *which = data;

  if (g_test_subprocess ())
    {
      g_autoptr(QuarryDocument) doc = banana ();

      if (g_str_equal (which, "span"))
        quarry_assert_span (doc, "replaced", "r", "XYZ");
      else if (g_str_equal (which, "layer"))
        quarry_assert_layer (doc, "replaced", "r", "XY", "q", "XY", NULL);
      else if (g_str_equal (which, "n-spans"))
        quarry_assert_n_spans (doc, "replaced", 2);
      else if (g_str_equal (which, "field"))
        quarry_assert_field (doc, "replace.count", "4");
      else if (g_str_equal (which, "diagnostic"))
        quarry_assert_diagnostic (doc, "test-replace", "no-such-code");
      else if (g_str_equal (which, "json"))
        {
          g_autoptr(json_object) spans = quarry_test_spans (doc, "replaced");
          g_autoptr(json_object) want = json_tokener_parse ("[{\"label\": \"r\", \"start\": 1, \"end\": 4}]");
          quarry_assert_json_equal (spans, want, "the spans");
        }
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  if (g_str_equal (which, "span"))
    g_test_trap_assert_stderr ("*expected a span r \"XYZ\" in layer 'replaced' of document banana; layer 'replaced' "
                               "holds 3 spans:*r \"XY\"*");
  else if (g_str_equal (which, "layer"))
    g_test_trap_assert_stderr ("*layer 'replaced' of document banana differs at span 1; expected 2 spans:*q \"XY\"*"
                               "holds 3 spans*");
  else if (g_str_equal (which, "n-spans"))
    g_test_trap_assert_stderr ("*expected 2 spans in layer 'replaced' of document banana; layer 'replaced' holds 3*");
  else if (g_str_equal (which, "field"))
    g_test_trap_assert_stderr ("*field replace.count of document banana: expected 4, found 3*");
  else if (g_str_equal (which, "diagnostic"))
    g_test_trap_assert_stderr ("*expected a diagnostic no-such-code from stage test-replace in document banana; it has 0*");
  else if (g_str_equal (which, "json"))
    g_test_trap_assert_stderr ("*the spans differs from the expected JSON at [0].end*");
}

/* A golden file is read, never written, unless QUARRY_TEST_UPDATE_GOLDEN=1; a mismatch
 * shows a line diff with the expected and the actual line. */
static void
test_golden (void)
{
  g_autofree char *dir = NULL, *path = NULL, *jpath = NULL, *after = NULL;

  if (g_test_subprocess ())
    {
      path = g_build_filename (g_getenv ("QUARRY_TEST_GOLDEN_DIR"), "expected.txt", NULL);
      quarry_assert_golden_text ("one\ntwo\n3\nfour\nfive\n", path);
      return;
    }
  dir = g_dir_make_tmp ("quarry-golden-XXXXXX", NULL);
  path = g_build_filename (dir, "expected.txt", NULL);
  jpath = g_build_filename (dir, "expected.json", NULL);
  harness_put_file (dir, "expected.txt", "one\ntwo\nthree\nfour\nfive\n", -1);
  g_setenv ("QUARRY_TEST_GOLDEN_DIR", dir, TRUE);
  g_unsetenv ("QUARRY_TEST_UPDATE_GOLDEN");
  g_unsetenv ("QUARRY_TEST_UPDATE");
  quarry_assert_golden_text ("one\ntwo\nthree\nfour\nfive\n", path);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*the text differs from *expected.txt*\n two\n-three\n+3\n four*");
  after = harness_slurp (dir, "expected.txt", NULL);
  g_assert_cmpstr (after, ==, "one\ntwo\nthree\nfour\nfive\n");

  /* asked to: a differing file is rewritten, a missing one written */
  g_setenv ("QUARRY_TEST_UPDATE_GOLDEN", "1", TRUE);
  quarry_assert_golden_text ("one\nTWO\n", path);
  g_clear_pointer (&after, g_free);
  after = harness_slurp (dir, "expected.txt", NULL);
  g_assert_cmpstr (after, ==, "one\nTWO\n");
  {
    g_autoptr(json_object) v = json_tokener_parse ("{\"a\": [1, 2]}");
    g_autoptr(json_object) back = NULL;
    quarry_assert_golden_json (v, jpath);
    back = json_object_from_file (jpath);
    g_assert_true (json_object_equal (v, back));
  }
  g_unsetenv ("QUARRY_TEST_UPDATE_GOLDEN");
  harness_remove_tree (dir);
}

/* A missing golden file fails (and says how to make it) instead of being written. */
static void
test_golden_missing (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(json_object) v = json_tokener_parse ("[1]");
      g_unsetenv ("QUARRY_TEST_UPDATE_GOLDEN");
      g_unsetenv ("QUARRY_TEST_UPDATE");
      quarry_assert_golden_json (v, "/nonexistent/quarry-golden.json");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*cannot read the expected JSON /nonexistent/quarry-golden.json*QUARRY_TEST_UPDATE_GOLDEN=1*");
  g_assert_false (g_file_test ("/nonexistent/quarry-golden.json", G_FILE_TEST_EXISTS));
}

/* A stage whose plugin is not in the test's folders is an error naming the folders, even
 * when an installed copy exists: the kit never searches the installed folder. */
static void
test_plugin_folders (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(QuarryHarness) h = quarry_harness_new ("[pipeline]\nstages = no-such-plugin\n");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*could not be made: *no plugin named 'no-such-plugin' in*");
  g_test_trap_assert_stderr_unmatched ("*" QUARRY_PLUGIN_DIR "*");
}

/* Without QUARRY_PLUGIN_PATH and without a named folder the kit refuses to guess. */
static void
test_no_folder (void)
{
  if (g_test_subprocess ())
    {
      g_unsetenv ("QUARRY_PLUGIN_PATH");
      quarry_harness_new (REPLACE_INI);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*the test names no plugin folder: set QUARRY_PLUGIN_PATH*");
}

/* Runs the quarry command with args (NULL-terminated); returns its exit status. */
static int
run_quarry (char **out, char **err, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *template = g_test_build_filename (G_TEST_DIST, "..", "examples", "plugin-template", NULL);
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "QUARRY_TEMPLATE_DIR", template, TRUE);
  GError *error = NULL;
  const char *a;
  int status;
  va_list ap;

  g_ptr_array_add (argv, g_test_build_filename (G_TEST_BUILT, "..", "quarry", NULL));
  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* new-plugin writes a renamed copy of every template file, refuses a name that is not a
 * plugin name and never writes into an existing folder. */
static void
test_new_plugin (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("quarry-new-plugin-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "date-spot", NULL);
  g_autofree char *out = NULL, *err = NULL, *src = NULL, *mk = NULL, *test = NULL, *again = NULL;
  static const char *const bad[] = { "Date", "date_spot", "d\xc3\xa5te", "date-", "date--spot", "1date", "date.spot", "" };

  g_assert_cmpint (run_quarry (&out, &err, "new-plugin", "date-spot", dir, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "wrote plugin date-spot into"));
  src = harness_slurp (dir, "date-spot.c", NULL);
  test = harness_slurp (dir, "test-date-spot.c", NULL);
  mk = harness_slurp (dir, "Makefile.am", NULL);
  g_assert_nonnull (src);
  g_assert_nonnull (test);
  g_assert_nonnull (mk);
  g_assert_nonnull (strstr (src, ".name = \"date-spot\""));
  g_assert_nonnull (strstr (src, "date_spot_process"));
  g_assert_nonnull (strstr (src, "} DateSpot;"));
  g_assert_nonnull (strstr (test, "quarry_harness_new_for_plugin (\"date-spot\""));
  g_assert_nonnull (strstr (mk, "plugin_LTLIBRARIES = date-spot.la"));
  g_assert_nonnull (strstr (mk, "date_spot_la_SOURCES = date-spot.c"));
  for (const char *const *f = (const char *const[]) { "README.md", "Makefile", "configure.ac", NULL }; *f; f++)
    {
      g_autofree char *text = harness_slurp (dir, *f, NULL);
      g_assert_nonnull (text);
      g_assert_null (strstr (text, "my-stage"));
      g_assert_null (strstr (text, "my_stage"));
    }
  {
    g_autofree char *old = g_build_filename (dir, "my-stage.c", NULL);
    g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  }

  /* an existing folder is refused and left as it was */
  harness_put_file (dir, "date-spot.c", "mine", -1);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_quarry (NULL, &err, "new-plugin", "date-spot", dir, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "never overwritten"));
  again = harness_slurp (dir, "date-spot.c", NULL);
  g_assert_cmpstr (again, ==, "mine");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *where = g_build_filename (tmp, "x", NULL);
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (run_quarry (NULL, &err, "new-plugin", bad[i], where, NULL), ==, 1);
      g_assert_nonnull (strstr (err, "is not a plugin name"));
      g_assert_false (g_file_test (where, G_FILE_TEST_EXISTS));
    }
  harness_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  static const char *const failing[] = { "span", "layer", "n-spans", "field", "diagnostic", "json" };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/testing/passing", test_passing);
  for (guint i = 0; i < G_N_ELEMENTS (failing); i++)
    {
      g_autofree char *path = g_strdup_printf ("/testing/failing/%s", failing[i]);
      g_test_add_data_func (path, failing[i], test_failing);
    }
  g_test_add_func ("/testing/golden", test_golden);
  g_test_add_func ("/testing/golden-missing", test_golden_missing);
  g_test_add_func ("/testing/plugin-folders", test_plugin_folders);
  g_test_add_func ("/testing/no-folder", test_no_folder);
  g_test_add_func ("/new-plugin/write", test_new_plugin);
  return g_test_run ();
}
