/* bench-entity-spot.c: throughput (CPU time of one thread) of the entity-spot stage on cable pages, and its set-up cost. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <time.h>

#include "quarry-config.h"
#include "pipeline.h"
#include "registry.h"
#include "es-spot.h"

/* What the stages before entity-spot leave on a cable page: the text, the header
 * fields and the page-break lines. Made once per file, outside the timing. */
typedef struct {
  char        *text;
  gsize        len;
  json_object *header;
  GArray      *breaks;  /* gsize[2] */
} Input;

static const char prep_ini[] =
  "[pipeline]\nstages = html-strip;header-parse\n"
  "[html-strip]\ncontent-selector = pre\nmeta-table = table.cable\n";

static QuarryDocument *
input_document (const Input *in)
{
  QuarryDocument *doc = quarry_document_new ("bench", in->text, in->len, NULL);
  for (guint i = 0; i < in->breaks->len; i++)
    {
      const gsize *b = &g_array_index (in->breaks, gsize, i * 2);
      quarry_document_add_span (doc, "page-break", NULL, b[0], b[1], NULL, NULL);
    }
  if (in->header)
    {
      json_object *copy = NULL;
      json_object_deep_copy (in->header, &copy, NULL);
      json_object_object_add (quarry_document_get_fields (doc, NULL), "header", copy);
    }
  return doc;
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000) + ts.tv_nsec / 1000;
}

int
main (int argc, char **argv)
{
  g_autofree char *data_dir = NULL, *kb = NULL;
  double seconds = 3.0;
  int rounds = 0;
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "kb", 0, 0, G_OPTION_ARG_FILENAME, &kb, "knowledge base (default $QUARRY_ENTITY_LINK_KB)", "KB" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "entity-spot data folder (default $QUARRY_ENTITY_SPOT_DATA)", "DIR" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "CPU seconds to run (default 3)", "S" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "run the pages N times instead (a fixed amount of work, for counting instructions with perf stat)", "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "PAGE.html..." },
    { NULL }
  };
  g_autoptr (GOptionContext) octx = g_option_context_new ("PAGE.html... - time the entity-spot stage");
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error) || !files)
    {
      g_printerr ("%s\nusage: bench-entity-spot [--kb KB] [--data DIR] PAGE.html...\n",
                  error ? error->message : "no input");
      return 2;
    }
  if (!kb)
    kb = g_strdup (g_getenv ("QUARRY_ENTITY_LINK_KB"));
  if (!data_dir)
    data_dir = g_strdup (g_getenv ("QUARRY_ENTITY_SPOT_DATA"));
  if (!kb || !data_dir)
    {
      g_printerr ("bench-entity-spot: give --kb and --data (or set QUARRY_ENTITY_LINK_KB and QUARRY_ENTITY_SPOT_DATA)\n");
      return 2;
    }

  /* set-up: the whole gazetteer, timed */
  g_autofree char *cues = g_build_filename (data_dir, "cues.txt", NULL);
  g_autofree char *heads = g_build_filename (data_dir, "heads.txt", NULL);
  g_autofree char *non = g_build_filename (data_dir, "non-names.txt", NULL);
  g_autofree char *common = g_build_filename (data_dir, "common-words.txt", NULL);
  EsLexiconFiles lf = { kb, NULL, cues, heads, non, common };
  gint64 t0 = thread_cpu_us ();
  EsLexicon *lex = es_lexicon_new (&lf, &error);
  if (!lex)
    {
      g_printerr ("bench-entity-spot: %s\n", error->message);
      return 1;
    }
  guint n_aliases, n_cues, n_words, n_nodes, n_skipped;
  es_lexicon_stats (lex, &n_aliases, &n_cues, &n_words, &n_nodes, &n_skipped);
  g_print ("set-up: %u alias keys, %u cues, %u words, %u trie nodes in %.1f ms of CPU time\n",
           n_aliases, n_cues, n_words, n_nodes, (thread_cpu_us () - t0) / 1e3);
  EsSpotter sp;
  es_spotter_init (&sp, lex, ES_MODE_FILL, TRUE);

  /* the inputs, through html-strip and header-parse once */
  QuarryRegistry *reg = quarry_registry_new ();
  QuarryConfig *cfg = quarry_config_new_from_data (prep_ini, -1, "<bench>", ".", reg, NULL, &error);
  QuarryPipeline *prep = cfg ? quarry_pipeline_new (cfg, &error) : NULL;
  if (!prep)
    {
      g_printerr ("bench-entity-spot: %s (set QUARRY_PLUGIN_PATH to the build's plugins)\n", error->message);
      return 1;
    }
  guint n_inputs = g_strv_length (files);
  Input *inputs = g_new0 (Input, n_inputs);
  gsize bytes_per_round = 0;
  const char *PAGE_BREAK = g_intern_static_string ("page-break");
  for (guint i = 0; i < n_inputs; i++)
    {
      g_autofree char *raw = NULL;
      gsize len = 0;
      if (!g_file_get_contents (files[i], &raw, &len, &error))
        g_error ("%s", error->message);
      g_autoptr (QuarryDocument) doc = quarry_document_new ("prep", raw, len, "text/html");
      g_autofree char *reason = NULL;
      if (quarry_pipeline_process (prep, doc, &reason) != QUARRY_RESULT_OK)
        g_error ("%s: %s", files[i], reason);
      const char *text = quarry_document_get_text (doc, &inputs[i].len);
      inputs[i].text = g_strndup (text, inputs[i].len);
      json_object *h = NULL;
      json_object *fields = quarry_document_get_fields (doc, NULL);
      if (json_object_object_get_ex (fields, "header", &h))
        json_object_deep_copy (h, &inputs[i].header, NULL);
      inputs[i].breaks = g_array_new (FALSE, FALSE, sizeof (gsize) * 2);
      for (guint k = 0; k < quarry_document_get_n_spans (doc); k++)
        {
          const QuarrySpan *s = quarry_document_peek_span (doc, k);
          if (s->layer == PAGE_BREAK)
            {
              gsize b[2] = { s->start, s->end };
              g_array_append_val (inputs[i].breaks, b);
            }
        }
      bytes_per_round += inputs[i].len;
    }
  quarry_pipeline_free (prep);
  quarry_registry_free (reg);

  /* documents are made outside the timed part: only the stage's work is measured */
  gint64 busy = 0;
  guint64 bytes = 0, docs = 0, mentions = 0;
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) quarry_document_free);
  for (int r = 0; rounds > 0 ? r < rounds : busy < seconds * 1e6; r++)
    {
      for (guint i = 0; i < n_inputs; i++)
        g_ptr_array_add (batch, input_document (&inputs[i]));
      gint64 c0 = thread_cpu_us ();
      for (guint i = 0; i < batch->len; i++)
        if (!es_spot_document (&sp, batch->pdata[i], &error))
          g_error ("%s", error->message);
      busy += thread_cpu_us () - c0;
      for (guint i = 0; i < batch->len; i++)
        {
          QuarryDocument *doc = batch->pdata[i];
          for (guint k = 0; k < quarry_document_get_n_spans (doc); k++)
            mentions += quarry_document_peek_span (doc, k)->layer == g_intern_static_string ("entity");
        }
      bytes += bytes_per_round;
      docs += batch->len;
      g_ptr_array_set_size (batch, 0);
    }
  g_ptr_array_unref (batch);

  double s = MAX (busy, 1) / 1e6;
  docs = MAX (docs, 1);
  g_print ("process: %" G_GUINT64_FORMAT " documents, %.1f MB of text, %" G_GUINT64_FORMAT
           " mentions spotted, in %.2f s of CPU time: %.1f MB/s, %.1f us/document (one thread)\n",
           docs, bytes / 1e6, mentions, s, bytes / 1e6 / s, s * 1e6 / docs);

  for (guint i = 0; i < n_inputs; i++)
    {
      g_free (inputs[i].text);
      json_object_put (inputs[i].header);
      g_array_unref (inputs[i].breaks);
    }
  g_free (inputs);
  es_spotter_clear (&sp);
  es_lexicon_free (lex);
  return 0;
}
