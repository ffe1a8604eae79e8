/* testing.h: the plugin test kit: run a plugin in a pipeline inside a g_test and assert on what it made. */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <quarry/quarry.h>

G_BEGIN_DECLS

/**
 * SECTION:testing
 * @title: Test kit
 * @short_description: build a pipeline in a test, run documents, assert on the result
 *
 * `#include <quarry/testing.h>` and link with `pkg-config --cflags --libs quarry-testing`.
 * A #QuarryHarness is a pipeline made from INI text (or from one plugin and its
 * options) for a g_test program. Plugins are loaded only from the folders the test
 * names with quarry_test_add_plugin_path() and from `$QUARRY_PLUGIN_PATH`, never from
 * the installed plugin folder, so a test always runs the module it was built with.
 * Every failure (a config error, a stage that fails to set up, a document that is
 * dropped, an assertion) fails the test with what was expected and what was found.
 *
 * Golden files are compared, never written, unless `QUARRY_TEST_UPDATE_GOLDEN=1` is in
 * the environment; a mismatch prints a line diff.
 */

/**
 * QuarryHarness:
 *
 * A pipeline for a test. Free it with quarry_harness_free().
 */
typedef struct _QuarryHarness QuarryHarness;

QUARRY_API void quarry_test_add_plugin_path (const char *dir);

QUARRY_API QuarryHarness *quarry_harness_new (const char *ini);
QUARRY_API QuarryHarness *quarry_harness_try_new (const char *ini, GError **error);
QUARRY_API QuarryHarness *quarry_harness_new_from_file (const char *path);
QUARRY_API QuarryHarness *quarry_harness_new_for_plugin (const char *plugin,
                                                        const char *first_key,
                                                        ...);
QUARRY_API void quarry_harness_free (QuarryHarness *harness);

QUARRY_API QuarryDocument *quarry_harness_run (QuarryHarness *harness,
                                               const char    *id,
                                               const char    *data,
                                               gssize         length,
                                               const char    *media_type);
QUARRY_API QuarryDocument *quarry_harness_run_file (QuarryHarness *harness,
                                                    const char    *path,
                                                    const char    *media_type);

QUARRY_API json_object *quarry_test_record (QuarryDocument *doc);
QUARRY_API json_object *quarry_test_spans (QuarryDocument *doc, const char *layer);
QUARRY_API char *quarry_test_span_text (QuarryDocument *doc, guint index);
QUARRY_API guint quarry_test_count_diagnostics (QuarryDocument *doc, const char *code);
QUARRY_API char *quarry_test_read_file (const char *path, gsize *length);

/**
 * quarry_assert_span:
 * @doc: a #QuarryDocument
 * @layer: the layer
 * @label: (nullable): the span's label, or %NULL for any
 * @text: the text the span covers
 *
 * Asserts that @layer holds a span labelled @label over exactly @text. On failure
 * the message lists the spans the layer does hold.
 */
#define quarry_assert_span(doc, layer, label, text) \
  quarry_test_assert_span_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (doc), (layer), (label), (text))

/**
 * quarry_assert_layer:
 * @doc: a #QuarryDocument
 * @layer: the layer
 * @...: pairs of label and covered text, in output order, then %NULL
 *
 * Asserts that @layer holds exactly these spans, in this order. On failure the
 * message shows both lists and the first place they differ.
 */
#define quarry_assert_layer(doc, layer, ...) \
  quarry_test_assert_layer_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (doc), (layer), __VA_ARGS__)

/**
 * quarry_assert_n_spans:
 * @doc: a #QuarryDocument
 * @layer: the layer
 * @n: the number of spans expected in @layer
 *
 * Asserts how many spans @layer holds.
 */
#define quarry_assert_n_spans(doc, layer, n) \
  quarry_test_assert_n_spans_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (doc), (layer), (n))

/**
 * quarry_assert_field:
 * @doc: a #QuarryDocument
 * @path: a dotted path into the fields, `"header.subject"`, `"page.refs[0]"`
 * @json: the expected value as JSON text (`"\"MOSCOW\""`, `"3"`, `"null"`), or
 *   %NULL to assert that the field is absent
 *
 * Asserts the value of one field, compared as JSON values.
 */
#define quarry_assert_field(doc, path, json) \
  quarry_test_assert_field_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (doc), (path), (json))

/**
 * quarry_assert_diagnostic:
 * @doc: a #QuarryDocument
 * @stage: (nullable): the stage that reported it, or %NULL for any
 * @code: the diagnostic's code
 *
 * Asserts that the document carries a diagnostic with @code (from @stage). On
 * failure the message lists the diagnostics it does carry.
 */
#define quarry_assert_diagnostic(doc, stage, code) \
  quarry_test_assert_diagnostic_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (doc), (stage), (code), TRUE)

/**
 * quarry_assert_no_diagnostic:
 * @doc: a #QuarryDocument
 * @stage: (nullable): the stage, or %NULL for any
 * @code: (nullable): the code, or %NULL for any
 *
 * Asserts that the document carries no diagnostic with @code (from @stage).
 */
#define quarry_assert_no_diagnostic(doc, stage, code) \
  quarry_test_assert_diagnostic_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (doc), (stage), (code), FALSE)

/**
 * quarry_assert_json_equal:
 * @actual: a json_object
 * @expected: a json_object
 * @what: what is compared, for the message
 *
 * Asserts two JSON values are equal; on failure names the first path where they
 * differ (`.spans[3].start`) and shows a line diff.
 */
#define quarry_assert_json_equal(actual, expected, what) \
  quarry_test_assert_json_equal_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (actual), (expected), (what))

/**
 * quarry_assert_golden_json:
 * @actual: a json_object
 * @path: the expected file
 *
 * Asserts that @actual equals the JSON in @path. With `QUARRY_TEST_UPDATE_GOLDEN=1`
 * in the environment a differing or missing @path is rewritten instead (review it
 * with `git diff`); otherwise the file is never written.
 */
#define quarry_assert_golden_json(actual, path) \
  quarry_test_assert_golden_json_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (actual), (path))

/**
 * quarry_assert_golden_text:
 * @actual: a NUL-terminated string
 * @path: the expected file
 *
 * Asserts that @actual equals the bytes of @path, with a line diff on failure.
 * `QUARRY_TEST_UPDATE_GOLDEN=1` rewrites @path, as for quarry_assert_golden_json().
 */
#define quarry_assert_golden_text(actual, path) \
  quarry_test_assert_golden_text_impl (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, (actual), (path))

QUARRY_API void quarry_test_assert_span_impl (const char *domain, const char *file, int line, const char *func,
                                              QuarryDocument *doc, const char *layer, const char *label,
                                              const char *text);
QUARRY_API void quarry_test_assert_layer_impl (const char *domain, const char *file, int line, const char *func,
                                               QuarryDocument *doc, const char *layer, ...) G_GNUC_NULL_TERMINATED;
QUARRY_API void quarry_test_assert_n_spans_impl (const char *domain, const char *file, int line, const char *func,
                                                 QuarryDocument *doc, const char *layer, guint n);
QUARRY_API void quarry_test_assert_field_impl (const char *domain, const char *file, int line, const char *func,
                                               QuarryDocument *doc, const char *path, const char *json);
QUARRY_API void quarry_test_assert_diagnostic_impl (const char *domain, const char *file, int line, const char *func,
                                                    QuarryDocument *doc, const char *stage, const char *code,
                                                    gboolean present);
QUARRY_API void quarry_test_assert_json_equal_impl (const char *domain, const char *file, int line, const char *func,
                                                    json_object *actual, json_object *expected, const char *what);
QUARRY_API void quarry_test_assert_golden_json_impl (const char *domain, const char *file, int line,
                                                     const char *func, json_object *actual, const char *path);
QUARRY_API void quarry_test_assert_golden_text_impl (const char *domain, const char *file, int line,
                                                     const char *func, const char *actual, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryHarness, quarry_harness_free)
/* g_autoptr(json_object) in tests: json-c has no cleanup function of its own */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

G_END_DECLS
