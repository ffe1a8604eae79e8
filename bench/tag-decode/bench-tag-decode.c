/* bench-tag-decode.c: throughput of the tag-decode stage alone (MB/s on one core) over files replicated to a size. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "decoder.h"

static const char *const labels[] = { "PER", "LOC", "ORG", "MISC", NULL };

/* CPU time of this thread: on a shared machine wall time also counts other processes. */
static gint64
thread_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
main (int argc, char **argv)
{
  gboolean detokenize = FALSE, concat = FALSE, dry = FALSE;
  gint mb = 200;
  g_auto(GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "detokenize", 'd', 0, G_OPTION_ARG_NONE, &detokenize, "also detokenize", NULL },
    { "concat", 'c', 0, G_OPTION_ARG_NONE, &concat, "one document of all the text instead of one per file", NULL },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry, "make the documents but do not decode (overhead baseline)", NULL },
    { "mb", 'm', 0, G_OPTION_ARG_INT, &mb, "megabytes of text to process (default 200)", "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE..." },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("FILE... - time tag-decode on the files' text");
  g_autoptr(GError) error = NULL;
  g_autoptr(TagDecoder) dec = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint64 target, done = 0, docs = 0, spans = 0, diags = 0;
  gint64 ns = 0, wall = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || files == NULL)
    {
      fprintf (stderr, "%s\n", error != NULL ? error->message : "give at least one FILE");
      return 2;
    }
  dec = tag_decoder_new (labels, TAG_DEFAULT_MAX_LENGTH, detokenize, &error);
  g_assert_no_error (error);
  for (guint i = 0; files[i] != NULL; i++)
    {
      char *data;
      gsize len;
      if (!g_file_get_contents (files[i], &data, &len, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      g_ptr_array_add (texts, data);
      g_array_append_val (lens, len);
    }
  target = (guint64) mb << 20;

  if (concat)
    {
      /* the files replicated into one document */
      GString *all = g_string_sized_new (target + 1);
      while (all->len < target)
        for (guint i = 0; i < texts->len; i++)
          g_string_append_len (all, texts->pdata[i], g_array_index (lens, gsize, i));
      g_ptr_array_set_size (texts, 0);
      g_array_set_size (lens, 0);
      g_array_append_val (lens, all->len);
      g_ptr_array_add (texts, g_string_free (all, FALSE));
    }

  while (done < target)
    for (guint i = 0; i < texts->len && done < target; i++)
      {
        gsize len = g_array_index (lens, gsize, i);
        QuarryDocument *doc = quarry_document_new ("bench", texts->pdata[i], len, "text/plain");
        gint64 t0 = thread_ns (), w0 = g_get_monotonic_time ();
        if (!dry && !tag_decoder_process (dec, doc, &error))
          g_error ("%s", error->message);
        ns += thread_ns () - t0;
        wall += g_get_monotonic_time () - w0;
        spans += quarry_document_get_n_spans (doc);
        diags += quarry_document_count_diagnostics (doc, QUARRY_DIAGNOSTIC_INFO);
        done += len;
        docs++;
        quarry_document_free (doc);
      }

  printf ("tag-decode%s: %" G_GUINT64_FORMAT " documents, %.1f MB, %" G_GUINT64_FORMAT " entities, %"
          G_GUINT64_FORMAT " diagnostics, %.3f s CPU: %.0f MB/s (wall %.0f MB/s)\n",
          detokenize ? " (detokenize)" : "", docs, done / 1048576.0, spans, diags, ns / 1e9,
          done / 1048576.0 / (ns / 1e9), done / 1048576.0 / (wall / 1e6));
  return 0;
}
