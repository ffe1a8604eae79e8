/* test-my-stage.c: tests of the my-stage plugin with Quarry's test kit (quarry/testing.h). */
#include <string.h>
#include <quarry/testing.h>

/* Every expectation is written by hand from the input text, never saved from a run. */
static void
test_default_pattern (void)
{
  g_autoptr(QuarryHarness) h = quarry_harness_new_for_plugin ("my-stage", NULL);
  g_autoptr(QuarryDocument) doc = quarry_harness_run (h, "mail", "Write to ann@example.org or\nbob.smith@mail.example.com, not to @nobody.", -1, NULL);

  quarry_assert_layer (doc, "my-stage", "MATCH", "ann@example.org", "MATCH", "bob.smith@mail.example.com", NULL);
  quarry_assert_field (doc, "my-stage.count", "2");
  quarry_assert_no_diagnostic (doc, "my-stage", NULL);
}

static void
test_options (void)
{
  g_autoptr(QuarryHarness) h = quarry_harness_new_for_plugin ("my-stage", "pattern", "moscow|kyiv", "label", "CITY",
                                                              "ignore-case", "true", "max-matches", "2", NULL);
  g_autoptr(QuarryDocument) doc = quarry_harness_run (h, "cities", "MOSCOW, Kyiv and moscow again", -1, NULL);

  quarry_assert_span (doc, "my-stage", "CITY", "Kyiv");
  quarry_assert_n_spans (doc, "my-stage", 2);
  quarry_assert_field (doc, "my-stage.count", "2");
  quarry_assert_diagnostic (doc, "my-stage", "too-many-matches");
}

/* Spans count in code points in the output even when the text is not ASCII. */
static void
test_code_points (void)
{
  g_autoptr(QuarryHarness) h = quarry_harness_new ("[pipeline]\nstages = my-stage\n[my-stage]\npattern = é+\n");
  g_autoptr(QuarryDocument) doc = quarry_harness_run (h, "utf8", "caf\xc3\xa9 \xc3\xa9\xc3\xa9t\xc3\xa9", -1, NULL);
  g_autoptr(json_object) expected = json_tokener_parse (
    "[{\"label\": \"MATCH\", \"start\": 3, \"end\": 4, \"text\": \"\xc3\xa9\", \"source\": [3, 5]},"
    " {\"label\": \"MATCH\", \"start\": 5, \"end\": 7, \"text\": \"\xc3\xa9\xc3\xa9\", \"source\": [6, 10]},"
    " {\"label\": \"MATCH\", \"start\": 8, \"end\": 9, \"text\": \"\xc3\xa9\", \"source\": [11, 13]}]");
  g_autoptr(json_object) spans = quarry_test_spans (doc, "my-stage");

  quarry_assert_json_equal (spans, expected, "the my-stage spans");
}

static void
test_bad_pattern (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QuarryHarness) h = quarry_harness_try_new ("[pipeline]\nstages = my-stage\n[my-stage]\npattern = (unclosed\n",
                                                       &error);

  g_assert_null (h);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "option pattern '(unclosed' is not a regular expression"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/my-stage/default-pattern", test_default_pattern);
  g_test_add_func ("/my-stage/options", test_options);
  g_test_add_func ("/my-stage/code-points", test_code_points);
  g_test_add_func ("/my-stage/bad-pattern", test_bad_pattern);
  return g_test_run ();
}
