/* harness.c: shared helper for plugin tests: pipelines from INI text, documents through them, JSON comparison. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gstdio.h>

#include "document-private.h"
#include "harness.h"

/* The registry must outlive the pipelines' plugins: one per process. Tests load the
 * build tree's plugins only, from $QUARRY_PLUGIN_PATH, which `make check` points there;
 * without it the registry would take the installed ones. */
static QuarryRegistry *
shared_registry (void)
{
  static QuarryRegistry *shared;

  if (shared == NULL)
    {
      const char *path = g_getenv ("QUARRY_PLUGIN_PATH");
      if (path == NULL || *path == '\0')
        g_error ("QUARRY_PLUGIN_PATH is not set, so the tests would load the installed plugins; run them "
                 "with `make check`, or set it to BUILD/plugins:BUILD/tests/plugins");
      shared = quarry_registry_new ();
    }
  return shared;
}

/* Whether file lies in one of the $QUARRY_PLUGIN_PATH folders (or their subfolders). */
static gboolean
in_plugin_path (const char *file)
{
  g_auto(GStrv) dirs = g_strsplit (g_getenv ("QUARRY_PLUGIN_PATH"), G_SEARCHPATH_SEPARATOR_S, -1);

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *prefix = g_str_has_suffix (dirs[i], G_DIR_SEPARATOR_S)
                                ? g_strdup (dirs[i]) : g_strconcat (dirs[i], G_DIR_SEPARATOR_S, NULL);
      if (dirs[i][0] != '\0' && g_str_has_prefix (file, prefix))
        return TRUE;
    }
  return FALSE;
}

/* The registry also searches the installed plugin folder: when a build-tree module is
 * missing or does not load, an installed copy of the same name would stand in for it
 * unseen. A test that ran on it would test the wrong code, so that is a failure. */
static void
assert_build_tree_plugins (QuarryPipeline *p)
{
  const QuarryConfig *cfg = quarry_pipeline_get_config (p);
  const GPtrArray *failures = quarry_registry_get_failures (shared_registry ());

  for (guint i = 0; i < quarry_config_get_n_stages (cfg); i++)
    {
      const QuarryStage *stage = quarry_config_get_stage (cfg, i);
      const QuarryPlugin *plugin = quarry_stage_get_plugin (stage);
      g_autoptr(GString) why = NULL;

      if (in_plugin_path (plugin->file))
        continue;
      why = g_string_new (NULL);
      for (guint k = 0; k < failures->len; k++)
        {
          const QuarryLoadFailure *f = failures->pdata[k];
          if (in_plugin_path (f->file))
            g_string_append_printf (why, "; %s did not load: %s", f->file, f->reason);
        }
      g_error ("stage '%s' runs %s, which is not in the build tree (QUARRY_PLUGIN_PATH=%s)%s; "
               "build the plugin (make) or fix what keeps it from loading",
               quarry_stage_get_name (stage), plugin->file, g_getenv ("QUARRY_PLUGIN_PATH"), why->str);
    }
}

QuarryPipeline *
harness_pipeline_try_new (const char *ini, GError **error)
{
  g_autofree char *base = g_test_build_filename (G_TEST_DIST, "data", NULL);
  QuarryConfig *cfg;
  QuarryPipeline *p;

  cfg = quarry_config_new_from_data (ini, -1, "<test config>", base, shared_registry (), NULL, error);
  if (cfg == NULL)
    return NULL;
  p = quarry_pipeline_new (cfg, error);
  if (p != NULL)
    assert_build_tree_plugins (p);
  return p;
}

QuarryPipeline *
harness_pipeline_from_config (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "configs", name, NULL);
  GError *error = NULL;
  QuarryConfig *cfg = quarry_config_new_from_file (path, shared_registry (), NULL, &error);
  QuarryPipeline *p = cfg != NULL ? quarry_pipeline_new (cfg, &error) : NULL;

  g_assert_no_error (error);
  g_assert_nonnull (p);
  assert_build_tree_plugins (p);
  return p;
}

QuarryPipeline *
harness_pipeline_new (const char *ini)
{
  GError *error = NULL;
  QuarryPipeline *p = harness_pipeline_try_new (ini, &error);

  g_assert_no_error (error);
  g_assert_nonnull (p);
  return p;
}

QuarryDocument *
harness_run (QuarryPipeline *pipeline, const char *id, const char *data, gssize length, const char *media_type)
{
  QuarryDocument *doc;
  g_autofree char *reason = NULL;
  QuarryResult r;

  if (length < 0)
    length = strlen (data);
  doc = quarry_document_new (id, data, length, media_type);
  r = quarry_pipeline_process (pipeline, doc, &reason);
  if (r != QUARRY_RESULT_OK)
    g_error ("document %s was not processed: %s", id, reason);
  return doc;
}

char *
harness_data_path (const char *first, ...)
{
  va_list ap;
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *p;
  g_autofree char *rel = NULL;

  g_ptr_array_add (parts, (gpointer) "data");
  va_start (ap, first);
  for (p = first; p != NULL; p = va_arg (ap, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  rel = g_build_filenamev ((char **) parts->pdata);
  return g_test_build_filename (G_TEST_DIST, rel, NULL);
}

char *
harness_read_file (const char *path, gsize *length)
{
  GError *error = NULL;
  char *data = NULL;

  if (!g_file_get_contents (path, &data, length, &error))
    g_error ("cannot read test data %s: %s", path, error->message);
  return data;
}

char *
harness_shared_path (const char *relative)
{
  const char *dir = g_getenv ("QUARRY_SHARED_DIR");
  char *path;

  if (dir == NULL)
    return NULL;
  path = g_build_filename (dir, relative, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_free (path);
      return NULL;
    }
  return path;
}

static gint
path_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
add_files (const char *dir, const char *suffix, GPtrArray *files)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        add_files (path, suffix, files);
      else if (g_str_has_suffix (name, suffix))
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
}

GPtrArray *
harness_shared_files (const char *relative_dir, const char *suffix)
{
  g_autofree char *dir = harness_shared_path (relative_dir);
  GPtrArray *files;

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    return NULL;
  files = g_ptr_array_new_with_free_func (g_free);
  add_files (dir, suffix, files);
  g_ptr_array_sort (files, path_cmp);
  return files;
}

json_object *
harness_record (QuarryDocument *doc)
{
  g_autoptr(GString) s = g_string_new (NULL);
  json_object *obj;

  quarry_writer_append_record (s, doc, NULL);
  obj = json_tokener_parse (s->str);
  g_assert_nonnull (obj);
  json_object_object_del (obj, "provenance");
  return obj;
}

static char *
pretty (json_object *obj)
{
  return g_strdup (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
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
            if (!json_object_object_get_ex (b, k, &vb) || first_difference (va, vb, path))
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
harness_assert_json_equal (json_object *actual, json_object *expected, const char *what)
{
  g_autoptr(GString) path = g_string_new ("");

  if (json_object_equal (actual, expected))
    return;
  first_difference (actual, expected, path);
  {
    g_autofree char *a = pretty (actual), *e = pretty (expected);
    g_test_message ("actual %s:\n%s\nexpected:\n%s", what, a, e);
    g_test_fail_printf ("%s differs from expected at %s", what, path->len ? path->str : "(top)");
  }
}

void
harness_assert_json_file (json_object *actual, const char *expected_path)
{
  json_object *expected;

  if (g_strcmp0 (g_getenv ("QUARRY_TEST_UPDATE"), "1") == 0)
    {
      g_autofree char *p = pretty (actual);
      g_autofree char *text = g_strconcat (p, "\n", NULL);
      GError *error = NULL;
      /* the update is written to the source tree on purpose: review it with git diff */
      g_file_set_contents (expected_path, text, -1, &error);
      g_assert_no_error (error);
      g_test_message ("updated %s", expected_path);
      return;
    }
  expected = json_object_from_file (expected_path);
  if (expected == NULL)
    {
      g_test_fail_printf ("cannot read expected JSON %s: %s (QUARRY_TEST_UPDATE=1 writes it)",
                          expected_path, json_util_get_last_err ());
      return;
    }
  harness_assert_json_equal (actual, expected, expected_path);
  json_object_put (expected);
}

json_object *
harness_spans (QuarryDocument *doc, const char *layer)
{
  json_object *rec = harness_record (doc);
  json_object *spans, *out = json_object_new_array ();
  gsize len;
  const char *text = quarry_document_get_text (doc, &len);

  json_object_object_get_ex (rec, "spans", &spans);
  for (gsize i = 0; i < json_object_array_length (spans); i++)
    {
      json_object *s = json_object_array_get_idx (spans, i), *v;
      json_object *o;
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

guint
harness_count_diagnostics (QuarryDocument *doc, const char *code)
{
  guint n = 0;

  for (guint i = 0; i < quarry_document_get_n_diagnostics (doc); i++)
    if (code == NULL || g_strcmp0 (quarry_document_get_diagnostic (doc, i)->code, code) == 0)
      n++;
  return n;
}

void
harness_remove_tree (const char *dir)
{
  GDir *d;
  const char *n;

  g_chmod (dir, 0755);
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, n, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        harness_remove_tree (p);
      else
        g_unlink (p);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
}

void
harness_put_file (const char *dir, const char *name, const char *content, gssize len)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (p);
  GError *error = NULL;

  g_mkdir_with_parents (parent, 0755);
  g_file_set_contents (p, content, len, &error);
  g_assert_no_error (error);
}

char *
harness_slurp (const char *dir, const char *name, gsize *len)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  char *data = NULL;

  if (!g_file_get_contents (p, &data, len, NULL))
    return NULL;
  return data;
}
