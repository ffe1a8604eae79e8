/* harness.c: what Quarry's own tests share beyond the test kit: test data, the shared corpus, temporary folders. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gstdio.h>

#include "harness.h"

QuarryHarness *
harness_pipeline_from_config (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "configs", name, NULL);

  return quarry_harness_new_from_file (path);
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
