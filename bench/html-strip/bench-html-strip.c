/* bench-html-strip.c: single-core throughput of the html-strip stage alone on a set of HTML pages.
 *
 * Loads every page into memory, then REPS times: makes a document of each page
 * (not timed), runs the stage on it (timed, process only) and frees it.
 * Prints MB/s of input per repetition and the best and median.
 * Usage: bench-html-strip [-n REPS] [-c CONFIG.ini] FILE|DIR...
 * Without -c the stage runs as the cables config sets it up. Plugins come from
 * $QUARRY_PLUGIN_PATH (run.sh points it at the build tree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "pipeline.h"
#include "registry.h"

static const char default_config[] =
  "[pipeline]\n"
  "stages = html-strip\n"
  "[html-strip]\n"
  "content-selector = pre\n"
  "meta-table = table.cable\n";

typedef struct {
  char *name;
  char *data;
  gsize len;
} Page;

static void
add_path (GArray *pages, const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *n;
      while (dir != NULL && (n = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (path, n, NULL));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint i = 0; i < names->len; i++)
        add_path (pages, g_ptr_array_index (names, i));
      return;
    }
  if (g_str_has_suffix (path, ".html") || g_str_has_suffix (path, ".htm"))
    {
      Page p = { g_strdup (path), NULL, 0 };
      g_autoptr(GError) error = NULL;
      if (!g_file_get_contents (path, &p.data, &p.len, &error))
        g_error ("%s", error->message);
      g_array_append_val (pages, p);
    }
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  int reps = 20;
  const char *config_file = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GArray) pages = g_array_new (FALSE, FALSE, sizeof (Page));
  g_autoptr(QuarryRegistry) reg = quarry_registry_new ();
  g_autoptr(GError) error = NULL;
  QuarryConfig *cfg;
  QuarryPipeline *pipeline;
  gsize total = 0;
  double *mbs;
  int i;

  for (i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "-n") == 0 && i + 1 < argc)
        reps = atoi (argv[++i]);
      else if (strcmp (argv[i], "-c") == 0 && i + 1 < argc)
        config_file = argv[++i];
      else
        add_path (pages, argv[i]);
    }
  if (pages->len == 0 || reps < 1)
    {
      fprintf (stderr, "usage: bench-html-strip [-n REPS] [-c CONFIG.ini] FILE|DIR...\n");
      return 1;
    }
  if (config_file != NULL)
    {
      if (!g_file_get_contents (config_file, &config, NULL, &error))
        g_error ("%s", error->message);
    }
  else
    config = g_strdup (default_config);
  cfg = quarry_config_new_from_data (config, -1, config_file ? config_file : "<bench>", ".", reg, NULL, &error);
  if (cfg == NULL)
    g_error ("%s", error->message);
  pipeline = quarry_pipeline_new (cfg, &error);
  if (pipeline == NULL)
    g_error ("%s", error->message);

  for (guint p = 0; p < pages->len; p++)
    total += g_array_index (pages, Page, p).len;
  mbs = g_new (double, reps);
  printf ("html-strip: %u pages, %.1f MB, %d repetitions\n", pages->len, total / 1e6, reps);
  for (int r = 0; r < reps; r++)
    {
      gint64 ns = 0;
      for (guint p = 0; p < pages->len; p++)
        {
          const Page *pg = &g_array_index (pages, Page, p);
          QuarryDocument *doc = quarry_document_new (pg->name, pg->data, pg->len, "text/html");
          g_autofree char *reason = NULL;
          struct timespec t0, t1;
          clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t0);
          if (quarry_pipeline_process (pipeline, doc, &reason) != QUARRY_RESULT_OK)
            g_error ("%s: %s", pg->name, reason);
          clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t1);
          ns += (t1.tv_sec - t0.tv_sec) * G_GINT64_CONSTANT (1000000000) + (t1.tv_nsec - t0.tv_nsec);
          quarry_document_free (doc);
        }
      mbs[r] = total / 1e6 / (ns / 1e9);
      printf ("  run %2d: %7.1f MB/s\n", r + 1, mbs[r]);
    }
  qsort (mbs, reps, sizeof (double), cmp_double);
  printf ("html-strip: best %.1f MB/s, median %.1f MB/s (CPU time of process() on one thread)\n",
          mbs[reps - 1], mbs[reps / 2]);
  g_free (mbs);
  quarry_pipeline_free (pipeline);
  for (guint p = 0; p < pages->len; p++)
    {
      g_free (g_array_index (pages, Page, p).name);
      g_free (g_array_index (pages, Page, p).data);
    }
  return 0;
}
