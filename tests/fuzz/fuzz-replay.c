/* fuzz-replay.c: runs a fuzz harness without libFuzzer over files and folders of inputs
 * (the seed corpus and the regression inputs of past findings), so `make check` replays
 * them with any compiler, and under the sanitizers in CI. Prints TAP. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
collect (const char *path, GPtrArray *files)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  if (dir == NULL)
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (names, cmp_str);
  for (guint i = 0; i < names->len; i++)
    collect (names->pdata[i], files);
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);
  /* options (the test runner's --tap, -k) are ignored: the output is always TAP */
  for (int i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      collect (argv[i], files);
  if (files->len == 0)
    {
      /* the harness's seeds and regression inputs, and whatever else the build names */
      g_auto(GStrv) dirs = g_strsplit (FUZZ_REPLAY_INPUTS, ":", -1);
      for (guint i = 0; dirs[i] != NULL; i++)
        if (g_file_test (dirs[i], G_FILE_TEST_EXISTS))
          collect (dirs[i], files);
    }
  g_ptr_array_sort (files, cmp_str);
  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *data = NULL;
      gsize len;
      GError *error = NULL;

      if (!g_file_get_contents (files->pdata[i], &data, &len, &error))
        {
          printf ("not ok %u %s # cannot read: %s\n", i + 1, (char *) files->pdata[i], error->message);
          g_error_free (error);
          continue;
        }
      LLVMFuzzerTestOneInput ((const uint8_t *) data, len);  /* a failed check aborts */
      printf ("ok %u %s\n", i + 1, (char *) files->pdata[i]);
      fflush (stdout);
    }
  return 0;
}
