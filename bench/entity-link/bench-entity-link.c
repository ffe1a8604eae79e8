/* bench-entity-link.c: throughput of the entity-link stage and the set-up cost of its knowledge base. */
#include <glib.h>
#include <locale.h>
#include <string.h>
#include <time.h>

#include "el-link.h"

#ifndef ENTITY_LINK_BUILD_KB
#define ENTITY_LINK_BUILD_KB "plugins/entity-link/kb.sqlite"
#endif

typedef struct {
  char   *text;
  gsize   len;
  GArray *spans;  /* gsize[3]: label index, start, end */
} Input;

static const char *const labels[] = { "PER", "LOC", "ORG", "MISC" };

/* "[PER David Miliband  ]" markup to text + spans, as tag-decode would give them
 * (the bench measures entity-link alone, so it does its own decoding). */
static Input
input_read (const char *path)
{
  g_autofree char *raw = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &raw, NULL, &error))
    g_error ("%s", error->message);
  g_autofree char *valid = g_utf8_make_valid (raw, -1);
  GString *text = g_string_new (NULL);
  Input in = { .spans = g_array_new (FALSE, FALSE, sizeof (gsize) * 3) };

  for (const char *p = valid; *p;)
    {
      gsize li = G_N_ELEMENTS (labels);
      const char *close = NULL;
      if (*p == '[')
        for (li = 0; li < G_N_ELEMENTS (labels); li++)
          if (g_str_has_prefix (p + 1, labels[li]) && p[1 + strlen (labels[li])] == ' ' &&
              (close = strchr (p, ']')))
            break;
      if (li == G_N_ELEMENTS (labels) || !close)
        {
          g_string_append_c (text, *p++);
          continue;
        }
      const char *s = p + 2 + strlen (labels[li]), *e = close;
      while (e > s && e[-1] == ' ')
        e--;
      gsize span[3] = { li, text->len, text->len + (e - s) };
      g_string_append_len (text, s, e - s);
      g_array_append_val (in.spans, span);
      p = close + 1;
    }
  in.len = text->len;
  in.text = g_string_free (text, FALSE);
  return in;
}

static QuarryDocument *
input_document (const Input *in)
{
  QuarryDocument *doc = quarry_document_new ("bench", in->text, in->len, NULL);
  for (guint i = 0; i < in->spans->len; i++)
    {
      const gsize *s = &g_array_index (in->spans, gsize, i * 3);
      quarry_document_add_span (doc, "entity", labels[s[0]], s[1], s[2], NULL, NULL);
    }
  return doc;
}

/* CPU time of this thread: the machine may be shared, wall time would count the waits. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000) + ts.tv_nsec / 1000;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  g_autofree char *kb = g_strdup (ENTITY_LINK_BUILD_KB);
  double seconds = 2.0;
  int setups = 5;
  gint64 max_docs = 0;
  int thrash_mb = 0;
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "kb", 0, 0, G_OPTION_ARG_FILENAME, &kb, "knowledge base", "KB" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "how long to run (default 2)", "S" },
    { "setups", 0, 0, G_OPTION_ARG_INT, &setups, "set-ups to time (default 5)", "N" },
    { "documents", 0, 0, G_OPTION_ARG_INT64, &max_docs, "stop after N documents (for instruction counts)", "N" },
    { "thrash", 0, 0, G_OPTION_ARG_INT, &thrash_mb, "write MB of memory between documents (untimed), as the other stages of a pipeline would, so the caches start cold", "MB" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "TAGGED-FILE..." },
    { NULL }
  };
  g_autoptr (GOptionContext) octx = g_option_context_new ("TAGGED-FILE... - time the entity-link stage");
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error) || !files)
    {
      g_printerr ("%s\nusage: bench-entity-link [--kb KB] TAGGED-FILE...\n", error ? error->message : "no input");
      return 2;
    }

  /* set-up: load the KB into the hash table, several times */
  ElContext *ctx = NULL;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  for (int i = 0; i < MAX (setups, 1); i++)
    {
      el_context_free (ctx);
      ctx = el_context_new (kb, NULL, TRUE, 256, &error);
      if (!ctx)
        {
          g_printerr ("bench-entity-link: %s\n", error->message);
          return 1;
        }
      double ms = ctx->setup_seconds * 1e3;
      g_array_append_val (times, ms);
    }
  g_array_sort (times, cmp_double);
  g_print ("set-up: knowledge base %s: %u entries, %u alias keys; median %.2f ms, min %.2f ms (%d runs)\n",
           kb, ctx->n_entries, ctx->n_alias_keys, g_array_index (times, double, times->len / 2),
           g_array_index (times, double, 0), times->len);

  guint n_inputs = g_strv_length (files);
  Input *inputs = g_new0 (Input, n_inputs);
  gsize bytes_per_round = 0, mentions_per_round = 0;
  for (guint i = 0; i < n_inputs; i++)
    {
      inputs[i] = input_read (files[i]);
      bytes_per_round += inputs[i].len;
      mentions_per_round += inputs[i].spans->len;
    }

  /* documents are made outside the timed part: only process() is measured */
  gint64 busy = 0, wall = 0;
  guint64 bytes = 0, mentions = 0, docs = 0;
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) quarry_document_free);
  ElWorker *worker = el_worker_new (ctx);  /* one workspace reused, as a run's worker does */
  char *thrash = thrash_mb > 0 ? g_malloc ((gsize) thrash_mb << 20) : NULL;
  while (max_docs > 0 ? docs < (guint64) max_docs : busy < seconds * 1e6)
    {
      for (int r = 0; r < 20; r++)
        for (guint i = 0; i < n_inputs; i++)
          g_ptr_array_add (batch, input_document (&inputs[i]));
      if (thrash_mb <= 0)
        {
          gint64 t0 = thread_cpu_us (), w0 = g_get_monotonic_time ();
          for (guint i = 0; i < batch->len; i++)
            el_context_process (ctx, worker, batch->pdata[i], NULL);
          busy += thread_cpu_us () - t0;
          wall += g_get_monotonic_time () - w0;
        }
      else
        for (guint i = 0; i < batch->len; i++)
          {
            memset (thrash, (int) i, (gsize) thrash_mb << 20);
            gint64 t0 = thread_cpu_us (), w0 = g_get_monotonic_time ();
            el_context_process (ctx, worker, batch->pdata[i], NULL);
            busy += thread_cpu_us () - t0;
            wall += g_get_monotonic_time () - w0;
          }
      bytes += 20 * bytes_per_round;
      mentions += 20 * mentions_per_round;
      docs += batch->len;
      g_ptr_array_set_size (batch, 0);
    }
  g_ptr_array_unref (batch);
  el_worker_free (worker);
  g_free (thrash);

  double s = busy / 1e6;
  g_print ("process: %" G_GUINT64_FORMAT " documents, %.1f MB of text, %" G_GUINT64_FORMAT
           " mentions in %.2f s of CPU time: %.1f MB/s, %.2f M mentions/s, %.1f us/document "
           "(one thread; %.1f MB/s by wall clock)\n",
           docs, bytes / 1e6, mentions, s, bytes / 1e6 / s, mentions / 1e6 / s, s * 1e6 / docs,
           bytes / 1e6 / (wall / 1e6));

  for (guint i = 0; i < n_inputs; i++)
    {
      g_free (inputs[i].text);
      g_array_unref (inputs[i].spans);
    }
  g_free (inputs);
  el_context_free (ctx);
  return 0;
}
