/* testing.c: libquarry-testing, the installed plugin test kit (pipelines in g_test programs, assertions, golden files). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <quarry/testing.h>
#include "document-private.h"
#include "pipeline.h"
#include "writer.h"
#include "testing-private.h"

struct _QuarryHarness {
  QuarryPipeline *pipeline;
};

/* ---- where plugins come from ---- */

static GPtrArray *extra_paths;  /* char*, from quarry_test_add_plugin_path() */
static QuarryRegistry *shared;

/**
 * quarry_test_add_plugin_path:
 * @dir: a folder holding plugin modules (a build folder: `.libs/` is searched too)
 *
 * Adds a folder the test kit loads plugins from, before `$QUARRY_PLUGIN_PATH`. Call it
 * before the first quarry_harness_new(). The installed plugin folder is never
 * searched: a test that names no folder (and has no `$QUARRY_PLUGIN_PATH`) fails.
 */
void
quarry_test_add_plugin_path (const char *dir)
{
  g_return_if_fail (dir != NULL);
  if (shared != NULL)
    g_error ("quarry_test_add_plugin_path (\"%s\") after the first harness was made: the plugins are "
             "loaded already; add the folder before quarry_harness_new()", dir);
  if (extra_paths == NULL)
    extra_paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (extra_paths, g_strdup (dir));
}

/* The registry must outlive the pipelines' plugins: one per process, kept to the end. */
QuarryRegistry *
quarry_test_registry (void)
{
  if (shared == NULL)
    {
      const char *env = g_getenv ("QUARRY_PLUGIN_PATH");

      if ((extra_paths == NULL || extra_paths->len == 0) && (env == NULL || *env == '\0'))
        g_error ("the test names no plugin folder: set QUARRY_PLUGIN_PATH to the build folder of the "
                 "plugins under test (make check does it with AM_TESTS_ENVIRONMENT), or call "
                 "quarry_test_add_plugin_path(); the installed plugins are never used by tests");
      shared = quarry_registry_new ();
      quarry_registry_set_search_installed (shared, FALSE);
      for (guint i = 0; extra_paths != NULL && i < extra_paths->len; i++)
        quarry_registry_add_path (shared, extra_paths->pdata[i]);
    }
  return shared;
}

/* Whether file lies in one of the registry's folders (or their subfolders). */
static gboolean
in_test_paths (const char *file)
{
  const GPtrArray *dirs = quarry_registry_get_paths (quarry_test_registry ());

  for (guint i = 0; i < dirs->len; i++)
    {
      const char *d = dirs->pdata[i];
      g_autofree char *prefix = g_str_has_suffix (d, G_DIR_SEPARATOR_S) ? g_strdup (d)
                                : g_strconcat (d, G_DIR_SEPARATOR_S, NULL);
      if (d[0] != '\0' && g_str_has_prefix (file, prefix))
        return TRUE;
    }
  return FALSE;
}

/* A test that ran on a plugin from elsewhere would test the wrong code, so that is a
 * failure, with the reason the named folders' module did not load. */
void
quarry_test_check_plugins (QuarryPipeline *pipeline)
{
  const QuarryConfig *cfg = quarry_pipeline_get_config (pipeline);
  const GPtrArray *failures = quarry_registry_get_failures (quarry_test_registry ());

  for (guint i = 0; i < quarry_config_get_n_stages (cfg); i++)
    {
      const QuarryStage *stage = quarry_config_get_stage (cfg, i);
      const QuarryPlugin *plugin = quarry_stage_get_plugin (stage);
      g_autoptr(GString) why = NULL;

      if (in_test_paths (plugin->file))
        continue;
      why = g_string_new (NULL);
      for (guint k = 0; k < failures->len; k++)
        {
          const QuarryLoadFailure *f = failures->pdata[k];
          if (in_test_paths (f->file))
            g_string_append_printf (why, "; %s did not load: %s", f->file, f->reason);
        }
      g_error ("stage '%s' runs %s, which is not in the test's plugin folders (QUARRY_PLUGIN_PATH=%s)%s; "
               "build the plugin (make) or fix what keeps it from loading",
               quarry_stage_get_name (stage), plugin->file, g_getenv ("QUARRY_PLUGIN_PATH"), why->str);
    }
}

/* ---- harnesses ---- */

static QuarryHarness *
harness_wrap (QuarryConfig *cfg, GError **error)
{
  QuarryPipeline *p;
  QuarryHarness *h;

  if (cfg == NULL)
    return NULL;
  p = quarry_pipeline_new (cfg, error);
  if (p == NULL)
    return NULL;
  quarry_test_check_plugins (p);
  h = g_new0 (QuarryHarness, 1);
  h->pipeline = p;
  return h;
}

/**
 * quarry_harness_try_new:
 * @ini: a pipeline config as INI text
 * @error: return location for a #GError
 *
 * Like quarry_harness_new() but returns %NULL and sets @error, for tests of config
 * and set-up errors. A pipeline a test needs is made with quarry_harness_new(), so
 * that its failure fails the test and never skips it. Relative paths in options are
 * resolved against the test's source folder (g_test_get_dir (%G_TEST_DIST)).
 *
 * Returns: (transfer full) (nullable): the harness, or %NULL
 */
QuarryHarness *
quarry_harness_try_new (const char *ini, GError **error)
{
  const char *base = g_test_get_dir (G_TEST_DIST);

  g_return_val_if_fail (ini != NULL, NULL);
  return harness_wrap (quarry_config_new_from_data (ini, -1, "<test config>", base, quarry_test_registry (),
                                                    NULL, error), error);
}

static QuarryHarness *
must (QuarryHarness *h, GError *error, const char *what)
{
  if (h == NULL)
    g_error ("the test's pipeline (%s) could not be made: %s", what,
             error != NULL ? error->message : "no reason given");
  return h;
}

/**
 * quarry_harness_new:
 * @ini: a pipeline config as INI text (`[pipeline]\nstages = my-stage\n`)
 *
 * Makes a pipeline from @ini with the test's plugins and sets every stage up. Any
 * error (an unknown plugin, a bad option, a failed set-up) fails the test.
 *
 * Returns: (transfer full): the harness
 */
QuarryHarness *
quarry_harness_new (const char *ini)
{
  GError *error = NULL;
  QuarryHarness *h = quarry_harness_try_new (ini, &error);

  return must (h, error, "INI text");
}

/**
 * quarry_harness_new_from_file:
 * @path: a config file
 *
 * Like quarry_harness_new() with the config in @path (relative paths in it are
 * resolved against its folder).
 *
 * Returns: (transfer full): the harness
 */
QuarryHarness *
quarry_harness_new_from_file (const char *path)
{
  GError *error = NULL;
  QuarryConfig *cfg = quarry_config_new_from_file (path, quarry_test_registry (), NULL, &error);

  return must (harness_wrap (cfg, &error), error, path);
}

/**
 * quarry_harness_new_for_plugin:
 * @plugin: the plugin's name
 * @first_key: (nullable): the first option's name, then its value as config text,
 *   then more pairs, then %NULL
 * @...: the first option's value, then more name/value pairs, then %NULL
 *
 * A pipeline of one stage: `quarry_harness_new_for_plugin ("my-stage", "limit", "3", NULL)`.
 *
 * Returns: (transfer full): the harness
 */
QuarryHarness *
quarry_harness_new_for_plugin (const char *plugin, const char *first_key, ...)
{
  g_autoptr(GString) ini = g_string_new (NULL);
  va_list ap;

  g_return_val_if_fail (plugin != NULL, NULL);
  g_string_append_printf (ini, "[pipeline]\nstages = %s\n", plugin);
  if (first_key != NULL)
    {
      const char *key = first_key;

      g_string_append_printf (ini, "[%s]\n", plugin);
      va_start (ap, first_key);
      while (key != NULL)
        {
          const char *value = va_arg (ap, const char *);
          if (value == NULL)
            g_error ("quarry_harness_new_for_plugin (\"%s\"): option '%s' has no value (pass name, value, "
                     "..., NULL)", plugin, key);
          g_string_append_printf (ini, "%s = %s\n", key, value);
          key = va_arg (ap, const char *);
        }
      va_end (ap);
    }
  return quarry_harness_new (ini->str);
}

/**
 * quarry_harness_free:
 * @harness: (transfer full): a #QuarryHarness
 *
 * Tears the stages down and frees the harness.
 */
void
quarry_harness_free (QuarryHarness *harness)
{
  if (harness == NULL)
    return;
  quarry_pipeline_free (harness->pipeline);
  g_free (harness);
}

QuarryPipeline *
quarry_harness_get_pipeline (QuarryHarness *harness)
{
  return harness->pipeline;
}

QuarryHarness *
quarry_harness_new_for_config (QuarryConfig *cfg)
{
  GError *error = NULL;

  return must (harness_wrap (cfg, &error), error, quarry_config_get_name (cfg));
}

/**
 * quarry_harness_run:
 * @harness: a #QuarryHarness
 * @id: the document's id
 * @data: the input bytes
 * @length: the length of @data, or -1 if it is NUL-terminated
 * @media_type: (nullable): its media type (`text/html`); %NULL for `text/plain`
 *
 * Runs one document through every stage. A document the pipeline drops (a stage with
 * `on-error = drop` or `fail` that failed) fails the test with the stage's reason.
 *
 * Returns: (transfer full): the document; free it with quarry_document_free()
 */
QuarryDocument *
quarry_harness_run (QuarryHarness *harness, const char *id, const char *data, gssize length,
                    const char *media_type)
{
  QuarryDocument *doc;
  g_autofree char *reason = NULL;

  g_return_val_if_fail (harness != NULL && id != NULL && data != NULL, NULL);
  if (length < 0)
    length = strlen (data);
  doc = quarry_document_new (id, data, length, media_type);
  if (quarry_pipeline_process (harness->pipeline, doc, &reason) != QUARRY_RESULT_OK)
    g_error ("document %s was not processed: %s", id, reason);
  return doc;
}

/**
 * quarry_harness_run_file:
 * @harness: a #QuarryHarness
 * @path: an input file; the document's id is its name without the extension
 * @media_type: (nullable): its media type; %NULL for `text/plain`
 *
 * Runs the contents of @path through every stage, as quarry_harness_run().
 *
 * Returns: (transfer full): the document
 */
QuarryDocument *
quarry_harness_run_file (QuarryHarness *harness, const char *path, const char *media_type)
{
  gsize len;
  g_autofree char *data = quarry_test_read_file (path, &len);
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return quarry_harness_run (harness, base, data, len, media_type);
}

/**
 * quarry_test_read_file:
 * @path: a file of test data
 * @length: (out) (optional): its length
 *
 * Reads a file; a file that cannot be read fails the test.
 *
 * Returns: (transfer full): the contents, NUL-terminated
 */
char *
quarry_test_read_file (const char *path, gsize *length)
{
  GError *error = NULL;
  char *data = NULL;

  if (!g_file_get_contents (path, &data, length, &error))
    g_error ("cannot read test data %s: %s", path, error->message);
  return data;
}

/* ---- what a document holds ---- */

/**
 * quarry_test_record:
 * @doc: a processed #QuarryDocument
 *
 * The output record of @doc as `quarry run` writes it, without `provenance` (which
 * changes with every version).
 *
 * Returns: (transfer full): the record; free it with json_object_put()
 */
json_object *
quarry_test_record (QuarryDocument *doc)
{
  g_autoptr(GString) s = g_string_new (NULL);
  json_object *obj;

  quarry_writer_append_record (s, doc, NULL);
  obj = json_tokener_parse (s->str);
  if (obj == NULL)
    g_error ("the record of document %s is not valid JSON: %s", quarry_document_get_id (doc), s->str);
  json_object_object_del (obj, "provenance");
  return obj;
}

/**
 * quarry_test_span_text:
 * @doc: a #QuarryDocument
 * @index: a span index (quarry_document_get_span())
 *
 * Returns: (transfer full): the text the span covers
 */
char *
quarry_test_span_text (QuarryDocument *doc, guint index)
{
  gsize len;
  const char *text = quarry_document_get_text (doc, &len);
  const QuarrySpan *s = quarry_document_peek_span (doc, index);

  return g_strndup (text + s->start, s->end - s->start);
}

/**
 * quarry_test_spans:
 * @doc: a processed #QuarryDocument
 * @layer: a layer
 *
 * The spans of @layer as the output writes them (in output order), each as
 * `{"label", "start", "end", "text", "source", "attrs"}`: `start`/`end` count code
 * points, `text` is the covered text and `source` the `[begin, end)` source bytes.
 *
 * Returns: (transfer full): a JSON array
 */
json_object *
quarry_test_spans (QuarryDocument *doc, const char *layer)
{
  json_object *rec = quarry_test_record (doc);
  json_object *spans, *text_obj, *out = json_object_new_array ();
  const char *text;

  json_object_object_get_ex (rec, "spans", &spans);
  json_object_object_get_ex (rec, "text", &text_obj);
  text = json_object_get_string (text_obj);
  for (gsize i = 0; i < json_object_array_length (spans); i++)
    {
      json_object *s = json_object_array_get_idx (spans, i), *v, *o;
      gint64 cs, ce;
      const char *ps, *pe;

      json_object_object_get_ex (s, "layer", &v);
      if (g_strcmp0 (json_object_get_string (v), layer) != 0)
        continue;
      o = json_object_new_object ();
      json_object_object_get_ex (s, "label", &v);
      json_object_object_add (o, "label", json_object_get (v));
      json_object_object_get_ex (s, "start", &v);
      cs = json_object_get_int64 (v);
      json_object_object_add (o, "start", json_object_get (v));
      json_object_object_get_ex (s, "end", &v);
      ce = json_object_get_int64 (v);
      json_object_object_add (o, "end", json_object_get (v));
      ps = g_utf8_offset_to_pointer (text, cs);
      pe = g_utf8_offset_to_pointer (text, ce);
      json_object_object_add (o, "text", json_object_new_string_len (ps, pe - ps));
      json_object_object_get_ex (s, "source", &v);
      json_object_object_add (o, "source", json_object_get (v));
      if (json_object_object_get_ex (s, "attrs", &v))
        json_object_object_add (o, "attrs", json_object_get (v));
      json_object_array_add (out, o);
    }
  json_object_put (rec);
  return out;
}

/**
 * quarry_test_count_diagnostics:
 * @doc: a #QuarryDocument
 * @code: (nullable): a diagnostic code, or %NULL for any
 *
 * Returns: how many diagnostics of @doc have @code
 */
guint
quarry_test_count_diagnostics (QuarryDocument *doc, const char *code)
{
  guint n = 0;

  for (guint i = 0; i < quarry_document_get_n_diagnostics (doc); i++)
    if (code == NULL || g_strcmp0 (quarry_document_get_diagnostic (doc, i)->code, code) == 0)
      n++;
  return n;
}

/* ---- assertions ---- */

static char *
pretty (json_object *obj)
{
  return g_strdup (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A readable line diff of expected against actual: "-" lines only expected has, "+"
 * lines only actual has, two lines of context, at most max_lines lines. The longest
 * common subsequence is taken on what is left after the common head and tail. */
static void
append_line_diff (GString *out, const char *expected, const char *actual, guint max_lines)
{
  g_auto(GStrv) e = g_strsplit (expected, "\n", -1);
  g_auto(GStrv) a = g_strsplit (actual, "\n", -1);
  guint ne = g_strv_length (e), na = g_strv_length (a);
  guint head = 0, tail = 0, m, n, shown = 0;
  g_autofree guint *lcs = NULL;
  g_autoptr(GString) ops = g_string_new (NULL);  /* '=' '-' '+' per step */
  gboolean skipping = FALSE;  /* inside a run of unchanged lines that are not shown */
  guint i, j;

  while (head < ne && head < na && g_str_equal (e[head], a[head]))
    head++;
  while (tail < ne - head && tail < na - head && g_str_equal (e[ne - 1 - tail], a[na - 1 - tail]))
    tail++;
  m = ne - head - tail;
  n = na - head - tail;
  if ((guint64) (m + 1) * (n + 1) > 4000000)
    {
      /* too large to align: show the differing middle as a whole */
      for (i = 0; i < m && shown < max_lines; i++, shown++)
        g_string_append_printf (out, "-%s\n", e[head + i]);
      for (j = 0; j < n && shown < max_lines; j++, shown++)
        g_string_append_printf (out, "+%s\n", a[head + j]);
      return;
    }
  lcs = g_new0 (guint, (gsize) (m + 1) * (n + 1));
#define L(x, y) lcs[(gsize) (x) * (n + 1) + (y)]
  for (i = m; i-- > 0;)
    for (j = n; j-- > 0;)
      L (i, j) = g_str_equal (e[head + i], a[head + j]) ? L (i + 1, j + 1) + 1 : MAX (L (i + 1, j), L (i, j + 1));
  for (i = 0, j = 0; i < m || j < n;)
    {
      if (i < m && j < n && g_str_equal (e[head + i], a[head + j]))
        g_string_append_c (ops, '='), i++, j++;
      else if (i < m && (j == n || L (i + 1, j) >= L (i, j + 1)))
        g_string_append_c (ops, '-'), i++;
      else
        g_string_append_c (ops, '+'), j++;
    }
#undef L
  g_string_append_printf (out, "@@ from line %u @@\n", head + 1);
  for (guint c = head >= 2 ? head - 2 : 0; c < head; c++)
    g_string_append_printf (out, " %s\n", e[c]);
  for (guint k = 0, ie = head, ia = head; k < ops->len && shown < max_lines; k++)
    {
      char op = ops->str[k];
      gboolean near = FALSE;

      /* an unchanged line is shown only next to a change */
      for (guint d = (k >= 2 ? k - 2 : 0); op == '=' && d <= k + 2 && d < ops->len; d++)
        near |= ops->str[d] != '=';
      if (op == '=' && near)
        g_string_append_printf (out, " %s\n", e[ie]), shown++;
      else if (op == '=' && !skipping)
        g_string_append (out, " ...\n");
      else if (op == '-')
        g_string_append_printf (out, "-%s\n", e[ie]), shown++;
      else if (op == '+')
        g_string_append_printf (out, "+%s\n", a[ia]), shown++;
      skipping = op == '=' && !near;
      if (op != '+')
        ie++;
      if (op != '-')
        ia++;
    }
  if (shown >= max_lines)
    g_string_append_printf (out, "(diff cut after %u lines)\n", max_lines);
  else
    for (guint c = ne - tail; c < ne && c < ne - tail + 2; c++)
      if (c + 1 < ne || e[c][0] != '\0')  /* not the empty piece after a final newline */
        g_string_append_printf (out, " %s\n", e[c]);
}

static void
fail (const char *domain, const char *file, int line, const char *func, const char *message)
{
  g_assertion_message (domain, file, line, func, message);
}

/* Where two JSON values first differ, as a path like .spans[3].start */
static gboolean
first_difference (json_object *a, json_object *b, GString *path)
{
  if (json_object_get_type (a) != json_object_get_type (b))
    return TRUE;
  switch (json_object_get_type (a))
    {
    case json_type_object:
      {
        json_object_object_foreach (a, k, va)
          {
            json_object *vb;
            gsize len = path->len;
            g_string_append_printf (path, ".%s", k);
            if (!json_object_object_get_ex (b, k, &vb))
              {
                g_string_append (path, " (only actual has it)");
                return TRUE;
              }
            if (first_difference (va, vb, path))
              return TRUE;
            g_string_truncate (path, len);
          }
        {
          json_object_object_foreach (b, k2, vb2)
            {
              (void) vb2;
              if (!json_object_object_get_ex (a, k2, NULL))
                {
                  g_string_append_printf (path, ".%s (only expected has it)", k2);
                  return TRUE;
                }
            }
        }
        return FALSE;
      }
    case json_type_array:
      {
        gsize na = json_object_array_length (a), nb = json_object_array_length (b);
        for (gsize i = 0; i < MIN (na, nb); i++)
          {
            gsize len = path->len;
            g_string_append_printf (path, "[%" G_GSIZE_FORMAT "]", i);
            if (first_difference (json_object_array_get_idx (a, i), json_object_array_get_idx (b, i), path))
              return TRUE;
            g_string_truncate (path, len);
          }
        if (na != nb)
          {
            g_string_append_printf (path, " (length %" G_GSIZE_FORMAT " vs expected %" G_GSIZE_FORMAT ")", na, nb);
            return TRUE;
          }
        return FALSE;
      }
    default:
      return !json_object_equal (a, b);
    }
}

void
quarry_test_assert_json_equal_impl (const char *domain, const char *file, int line, const char *func,
                                    json_object *actual, json_object *expected, const char *what)
{
  g_autoptr(GString) path = NULL, msg = NULL;
  g_autofree char *a = NULL, *e = NULL;

  if (json_object_equal (actual, expected))
    return;
  path = g_string_new ("");
  first_difference (actual, expected, path);
  a = pretty (actual);
  e = pretty (expected);
  msg = g_string_new (NULL);
  g_string_append_printf (msg, "%s differs from the expected JSON at %s (- expected, + actual):\n",
                          what, path->len ? path->str : "(top)");
  append_line_diff (msg, e, a, 60);
  fail (domain, file, line, func, msg->str);
}

static gboolean
update_golden (void)
{
  /* QUARRY_TEST_UPDATE was this variable's name before the kit */
  return g_strcmp0 (g_getenv ("QUARRY_TEST_UPDATE_GOLDEN"), "1") == 0 ||
         g_strcmp0 (g_getenv ("QUARRY_TEST_UPDATE"), "1") == 0;
}

static void
write_golden (const char *path, const char *text)
{
  GError *error = NULL;

  /* written where the test reads it (the source tree) on purpose: review it with git diff */
  if (!g_file_set_contents (path, text, -1, &error))
    g_error ("QUARRY_TEST_UPDATE_GOLDEN=1: cannot write %s: %s", path, error->message);
  g_test_message ("updated %s", path);
}

void
quarry_test_assert_golden_json_impl (const char *domain, const char *file, int line, const char *func,
                                     json_object *actual, const char *path)
{
  json_object *expected = json_object_from_file (path);

  if (update_golden ())
    {
      if (expected == NULL || !json_object_equal (actual, expected))
        {
          g_autofree char *p = pretty (actual);
          g_autofree char *text = g_strconcat (p, "\n", NULL);
          write_golden (path, text);
        }
    }
  else if (expected == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("cannot read the expected JSON %s: %s (QUARRY_TEST_UPDATE_GOLDEN=1 "
                                              "writes it from this run; review it before committing)",
                                              path, json_util_get_last_err ());
      fail (domain, file, line, func, msg);
    }
  else
    quarry_test_assert_json_equal_impl (domain, file, line, func, actual, expected, path);
  json_object_put (expected);
}

void
quarry_test_assert_golden_text_impl (const char *domain, const char *file, int line, const char *func,
                                     const char *actual, const char *path)
{
  g_autofree char *expected = NULL;
  g_autoptr(GString) msg = NULL;
  gboolean readable = g_file_get_contents (path, &expected, NULL, NULL);

  if (readable && g_str_equal (expected, actual))
    return;
  if (update_golden ())
    {
      write_golden (path, actual);
      return;
    }
  msg = g_string_new (NULL);
  if (!readable)
    g_string_append_printf (msg, "cannot read the expected file %s (QUARRY_TEST_UPDATE_GOLDEN=1 writes it from "
                            "this run; review it before committing)", path);
  else
    {
      g_string_append_printf (msg, "the text differs from %s (- expected, + actual):\n", path);
      append_line_diff (msg, expected, actual, 60);
    }
  fail (domain, file, line, func, msg->str);
}

/* The spans of layer as "LABEL «text»" lines, for messages. */
static void
append_layer (GString *out, QuarryDocument *doc, const char *layer)
{
  json_object *spans = quarry_test_spans (doc, layer);
  gsize n = json_object_array_length (spans);

  g_string_append_printf (out, "layer '%s' holds %" G_GSIZE_FORMAT " span%s%s\n", layer, n, n == 1 ? "" : "s",
                          n ? ":" : "");
  for (gsize i = 0; i < n; i++)
    {
      json_object *s = json_object_array_get_idx (spans, i), *label, *text;
      json_object_object_get_ex (s, "label", &label);
      json_object_object_get_ex (s, "text", &text);
      g_string_append_printf (out, "  %s \"%s\"\n", json_object_get_string (label), json_object_get_string (text));
    }
  json_object_put (spans);
}

void
quarry_test_assert_span_impl (const char *domain, const char *file, int line, const char *func,
                              QuarryDocument *doc, const char *layer, const char *label, const char *text)
{
  g_autoptr(GString) msg = NULL;

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (doc, i);
      g_autofree char *covered = NULL;

      if (g_strcmp0 (s->layer, layer) != 0 || (label != NULL && g_strcmp0 (s->label, label) != 0))
        continue;
      covered = quarry_test_span_text (doc, i);
      if (g_str_equal (covered, text))
        return;
    }
  msg = g_string_new (NULL);
  g_string_append_printf (msg, "expected a span %s \"%s\" in layer '%s' of document %s; ", label ? label : "(any label)",
                          text, layer, quarry_document_get_id (doc));
  append_layer (msg, doc, layer);
  fail (domain, file, line, func, msg->str);
}

void
quarry_test_assert_layer_impl (const char *domain, const char *file, int line, const char *func,
                               QuarryDocument *doc, const char *layer, ...)
{
  json_object *spans = quarry_test_spans (doc, layer);
  gsize n = json_object_array_length (spans), k = 0;
  g_autoptr(GString) msg = g_string_new (NULL);
  g_autoptr(GString) want = g_string_new (NULL);
  const char *label;
  gssize differs = -1;
  va_list ap;

  va_start (ap, layer);
  while ((label = va_arg (ap, const char *)) != NULL)
    {
      const char *text = va_arg (ap, const char *);

      if (text == NULL)
        g_error ("quarry_assert_layer: label '%s' has no text (pass label, text, ..., NULL)", label);
      g_string_append_printf (want, "  %s \"%s\"\n", label, text);
      if (differs < 0)
        {
          json_object *s = k < n ? json_object_array_get_idx (spans, k) : NULL, *l, *t;
          if (s == NULL)
            differs = k;
          else
            {
              json_object_object_get_ex (s, "label", &l);
              json_object_object_get_ex (s, "text", &t);
              if (g_strcmp0 (json_object_get_string (l), label) != 0 || g_strcmp0 (json_object_get_string (t), text) != 0)
                differs = k;
            }
        }
      k++;
    }
  va_end (ap);
  if (differs < 0 && k != n)
    differs = k;
  json_object_put (spans);
  if (differs < 0)
    return;
  g_string_append_printf (msg, "layer '%s' of document %s differs at span %" G_GSSIZE_FORMAT "; expected %" G_GSIZE_FORMAT
                          " span%s:\n%s", layer, quarry_document_get_id (doc), differs, k, k == 1 ? "" : "s", want->str);
  append_layer (msg, doc, layer);
  fail (domain, file, line, func, msg->str);
}

void
quarry_test_assert_n_spans_impl (const char *domain, const char *file, int line, const char *func,
                                 QuarryDocument *doc, const char *layer, guint n)
{
  guint found = 0;
  g_autoptr(GString) msg = NULL;

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    if (g_strcmp0 (quarry_document_peek_span (doc, i)->layer, layer) == 0)
      found++;
  if (found == n)
    return;
  msg = g_string_new (NULL);
  g_string_append_printf (msg, "expected %u span%s in layer '%s' of document %s; ", n, n == 1 ? "" : "s", layer,
                          quarry_document_get_id (doc));
  append_layer (msg, doc, layer);
  fail (domain, file, line, func, msg->str);
}

/* Follows a path like header.refs[0].id through the fields; NULL if absent. */
static json_object *
field_at (json_object *fields, const char *path)
{
  json_object *cur = fields;
  const char *p = path;

  while (cur != NULL && *p != '\0')
    {
      if (*p == '.')
        p++;
      if (*p == '[')
        {
          char *end;
          guint64 idx = g_ascii_strtoull (p + 1, &end, 10);
          if (*end != ']' || !json_object_is_type (cur, json_type_array) || idx >= json_object_array_length (cur))
            return NULL;
          cur = json_object_array_get_idx (cur, idx);
          p = end + 1;
        }
      else
        {
          gsize len = strcspn (p, ".[");
          g_autofree char *key = g_strndup (p, len);
          if (!json_object_is_type (cur, json_type_object) || !json_object_object_get_ex (cur, key, &cur))
            return NULL;
          p += len;
        }
    }
  return cur;
}

void
quarry_test_assert_field_impl (const char *domain, const char *file, int line, const char *func,
                               QuarryDocument *doc, const char *path, const char *json)
{
  json_object *fields = quarry_document_get_fields (doc, NULL);
  json_object *found = field_at (fields, path);
  gboolean present = path[0] != '\0' && found != NULL;
  json_object *expected = NULL;
  g_autofree char *msg = NULL;
  const char *found_text;
  enum json_tokener_error jerr;

  /* a JSON null member is present, with the value null */
  if (path[0] != '\0' && found == NULL)
    {
      g_autofree char *parent = g_strdup (path);
      char *dot = strrchr (parent, '.');
      json_object *obj;
      if (dot != NULL && strchr (dot, '[') == NULL)
        {
          *dot = '\0';
          obj = field_at (fields, parent);
          present = obj != NULL && json_object_is_type (obj, json_type_object) &&
                    json_object_object_get_ex (obj, dot + 1, NULL);
        }
    }
  if (json == NULL)
    {
      if (!present)
        return;
      msg = g_strdup_printf ("expected no field %s in document %s, found %s", path, quarry_document_get_id (doc),
                             json_object_to_json_string (found));
      fail (domain, file, line, func, msg);
      return;
    }
  expected = json_tokener_parse_verbose (json, &jerr);
  if (jerr != json_tokener_success)
    g_error ("quarry_assert_field (%s): the expected value is not JSON: %s (write a string as \"\\\"text\\\"\")",
             path, json);
  if (present && json_object_equal (found, expected))
    {
      json_object_put (expected);
      return;
    }
  found_text = present ? json_object_to_json_string_ext (found, JSON_C_TO_STRING_NOSLASHESCAPE) : "(absent)";
  msg = g_strdup_printf ("field %s of document %s: expected %s, found %s", path, quarry_document_get_id (doc), json,
                         found_text);
  json_object_put (expected);
  fail (domain, file, line, func, msg);
}

void
quarry_test_assert_diagnostic_impl (const char *domain, const char *file, int line, const char *func,
                                    QuarryDocument *doc, const char *stage, const char *code, gboolean present)
{
  guint found = 0, n = quarry_document_get_n_diagnostics (doc);
  g_autoptr(GString) msg = NULL;

  for (guint i = 0; i < n; i++)
    {
      const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, i);
      if ((stage == NULL || g_strcmp0 (d->stage, stage) == 0) && (code == NULL || g_strcmp0 (d->code, code) == 0))
        found++;
    }
  if ((found > 0) == present)
    return;
  msg = g_string_new (NULL);
  g_string_append_printf (msg, "expected %s diagnostic %s%s%s in document %s; it has %u:\n", present ? "a" : "no",
                          code ? code : "(any code)", stage ? " from stage " : "", stage ? stage : "",
                          quarry_document_get_id (doc), n);
  for (guint i = 0; i < n; i++)
    {
      const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, i);
      static const char *const levels[] = { "info", "warning", "error" };
      g_string_append_printf (msg, "  %s %s %s: %s\n", levels[d->level], d->stage ? d->stage : "-", d->code, d->message);
    }
  fail (domain, file, line, func, msg->str);
}
