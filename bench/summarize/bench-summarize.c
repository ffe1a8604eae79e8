/* bench-summarize.c: quality (ROUGE against the cables' own summaries, with lead-N and ots) and speed of summarize. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"
#include "sum-doc.h"
#include "sum-rank.h"
#include "sum-rouge.h"
#include "sum-text.h"

/* Usage:
 *   bench-summarize segment FILE            print the sentences and the explicit summary of a text file
 *   bench-summarize quality DIR [options]   ROUGE of this stage, lead-N and ots over DIR/\*.txt
 *   bench-summarize speed DIR [ROUNDS]      MB/s of segmentation + ranking, one core
 * quality options: --no-ots, --stemmer=NAME (a Snowball algorithm or none), --half=0|1 (every other document), --set=NAME=VALUE (a SumRankParams weight),
 *   --per-doc (one line per document), --pipeline=STAGES with --plugins=DIR: DIR is then the corpus
 *   (*.html, searched recursively) and each page goes through those stages (e.g.
 *   "html-strip;header-parse;tag-decode;entity-link") before this stage's analysis, with their spans as hints */

#define MAX_SENTENCE_BYTES 4096  /* as the plugin's default */

typedef struct {
  char  *name;
  char  *text;
  gsize  len;
} Doc;

static GPtrArray *
load_dir (const char *dir)
{
  GPtrArray *docs = g_ptr_array_new ();
  GDir *d = g_dir_open (dir, 0, NULL);
  if (!d)
    {
      g_printerr ("cannot open %s\n", dir);
      exit (2);
    }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while ((n = g_dir_read_name (d)))
    if (g_str_has_suffix (n, ".txt"))
      g_ptr_array_add (names, g_strdup (n));
  g_dir_close (d);
  for (guint i = 0; i < names->len; i++)
    {
      Doc *doc = g_new0 (Doc, 1);
      doc->name = g_strdup (g_ptr_array_index (names, i));
      char *path = g_build_filename (dir, doc->name, NULL);
      if (!g_file_get_contents (path, &doc->text, &doc->len, NULL))
        exit (2);
      g_free (path);
      g_ptr_array_add (docs, doc);
    }
  g_ptr_array_unref (names);
  return docs;
}

static void
load_html_rec (const char *dir, GPtrArray *docs)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  if (!d)
    return;
  const char *n;
  while ((n = g_dir_read_name (d)))
    {
      char *path = g_build_filename (dir, n, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        load_html_rec (path, docs);
      else if (g_str_has_suffix (n, ".html"))
        {
          Doc *doc = g_new0 (Doc, 1);
          doc->name = g_strndup (n, strlen (n) - 5);
          if (!g_file_get_contents (path, &doc->text, &doc->len, NULL))
            exit (2);
          g_ptr_array_add (docs, doc);
        }
      g_free (path);
    }
  g_dir_close (d);
}

static QuarryPipeline *
pipeline_open (const char *stages, const char *plugins)
{
  QuarryRegistry *reg = quarry_registry_new ();  /* kept: the plugins must stay loaded */
  quarry_registry_add_path (reg, plugins);
  char *ini = g_strdup_printf ("[pipeline]\nstages = %s\n%s", stages,
                               strstr (stages, "tag-decode") ? "[tag-decode]\ndetokenize = true\n" : "");
  GError *error = NULL;
  QuarryConfig *cfg = quarry_config_new_from_data (ini, -1, "<bench>", ".", reg, NULL, &error);
  QuarryPipeline *p = cfg ? quarry_pipeline_new (cfg, &error) : NULL;
  if (!p)
    {
      g_printerr ("pipeline %s: %s\n", stages, error->message);
      exit (2);
    }
  g_free (ini);
  return p;
}

static int
name_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((Doc *) *(Doc **) a)->name, ((Doc *) *(Doc **) b)->name);
}

static int
cmd_segment (const char *file)
{
  char *text;
  gsize len;
  if (!g_file_get_contents (file, &text, &len, NULL))
    return 2;
  SumAnalysis *a = sum_analysis_new (text, len, NULL);
  GString *s = g_string_new (NULL);
  char *subject = g_strndup (text + a->subject.start, a->subject.end - a->subject.start);
  char *subject_esc = g_strescape (subject, "\xe2\x80\x99\xe2\x80\x9c\xe2\x80\x9d");
  printf ("body [%zu, %zu) subject \"%s\" explicit %s [%zu, %zu) sentences %u..+%u paragraphs %u\n",
          a->body_start, a->body_end, subject_esc,
          sum_explicit_form_to_string (a->explicit_form), a->explicit_range.start, a->explicit_range.end,
          a->explicit_first, a->explicit_count, a->n_paragraphs);
  for (guint i = 0; i < a->sentences->len; i++)
    {
      SumSentence *st = &g_array_index (a->sentences, SumSentence, i);
      g_string_truncate (s, 0);
      sum_analysis_append_sentence (a, i, s);
      printf ("%3u p%-2u %c%c %s\n", i, st->paragraph, (st->flags & SUM_SENTENCE_EXPLICIT) ? 'S' : ' ',
              (st->flags & SUM_SENTENCE_PARA_FIRST) ? 'F' : ' ', s->str);
    }
  g_string_free (s, TRUE);
  g_free (subject);
  g_free (subject_esc);
  sum_analysis_free (a);
  g_free (text);
  return 0;
}

static SumRougeText *
rouge_of (const SumAnalysis *a, const guint *idx, guint n)
{
  SumRougeText *t = sum_rouge_text_new ();
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      g_string_truncate (s, 0);
      sum_analysis_append_sentence (a, idx[i], s);
      sum_rouge_text_add_sentence (t, s->str, (gssize) s->len);
    }
  g_string_free (s, TRUE);
  return t;
}

/* ots on the same candidate sentences, one a line (so it keeps our sentences whole). */
static SumRougeText *
ots_run (const SumAnalysis *a, const guint *cand, guint n_cand, guint k, double *seconds, gsize *bytes)
{
  GString *in = g_string_new (NULL);
  for (guint i = 0; i < n_cand; i++)
    {
      sum_analysis_append_sentence (a, cand[i], in);
      g_string_append_c (in, '\n');
    }
  char *path = NULL;
  int fd = g_file_open_tmp ("sumbench-XXXXXX.txt", &path, NULL);
  if (fd < 0 || write (fd, in->str, in->len) != (gssize) in->len)
    exit (2);
  close (fd);
  int ratio = (int) MAX (1, floor (100.0 * k / n_cand));
  char *r = g_strdup_printf ("--ratio=%d", ratio);
  const char *argv[] = { "ots", r, path, NULL };
  char *out = NULL;
  int status;
  gint64 t0 = g_get_monotonic_time ();
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                     NULL, &status, NULL))
    {
      g_printerr ("cannot run ots\n");
      exit (2);
    }
  *seconds += (g_get_monotonic_time () - t0) / 1e6;
  *bytes += in->len;
  SumRougeText *t = sum_rouge_text_new ();
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  guint taken = 0;
  for (guint i = 0; lines[i] && taken < k; i++)
    {
      char *l = g_strstrip (lines[i]);
      if (!*l)
        continue;
      sum_rouge_text_add_sentence (t, l, -1);
      taken++;
    }
  g_unlink (path);
  g_free (path);
  g_free (r);
  g_free (out);
  g_string_free (in, TRUE);
  return t;
}

typedef struct {
  double r1, r2, rl;
} Triple;

static void
add_scores (Triple *acc, const SumRougeText *cand, const SumRougeText *ref)
{
  acc->r1 += sum_rouge_n (cand, ref, 1).f1;
  acc->r2 += sum_rouge_n (cand, ref, 2).f1;
  acc->rl += sum_rouge_l (cand, ref).f1;
}

static gboolean
set_param (SumRankParams *p, const char *kv)
{
  static const struct {
    const char *name;
    gsize       off;
  } fields[] = {
    { "centrality", G_STRUCT_OFFSET (SumRankParams, centrality) },
    { "position", G_STRUCT_OFFSET (SumRankParams, position) },
    { "first", G_STRUCT_OFFSET (SumRankParams, first) },
    { "subject", G_STRUCT_OFFSET (SumRankParams, subject) },
    { "entity", G_STRUCT_OFFSET (SumRankParams, entity) },
    { "redundancy", G_STRUCT_OFFSET (SumRankParams, redundancy) },
    { "damping", G_STRUCT_OFFSET (SumRankParams, damping) },
  };
  const char *eq = strchr (kv, '=');
  if (!eq)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (strlen (fields[i].name) == (gsize) (eq - kv) && strncmp (kv, fields[i].name, eq - kv) == 0)
      {
        G_STRUCT_MEMBER (double, p, fields[i].off) = g_ascii_strtod (eq + 1, NULL);
        return TRUE;
      }
  return FALSE;
}

static void
doc_done (SumAnalysis *a, QuarryDocument *qd, SumLayers *ly)
{
  sum_analysis_free (a);
  if (qd)
    {
      sum_layers_clear (ly);
      quarry_document_free (qd);
    }
}

static int
cmd_quality (const char *dir, int argc, char **argv)
{
  gboolean use_ots = TRUE, per_doc = FALSE;
  const char *stages = NULL, *plugins = NULL, *stemmer = "english";
  int half = -1;
  SumRankParams params;
  sum_rank_params_default (&params);
  for (int i = 0; i < argc; i++)
    {
      if (strcmp (argv[i], "--no-ots") == 0)
        use_ots = FALSE;
      else if (strcmp (argv[i], "--per-doc") == 0)
        per_doc = TRUE;
      else if (g_str_has_prefix (argv[i], "--stemmer="))
        stemmer = argv[i] + 10;
      else if (g_str_has_prefix (argv[i], "--pipeline="))
        stages = argv[i] + 11;
      else if (g_str_has_prefix (argv[i], "--plugins="))
        plugins = argv[i] + 10;
      else if (g_str_has_prefix (argv[i], "--half="))
        half = atoi (argv[i] + 7);
      else if (!(g_str_has_prefix (argv[i], "--set=") && set_param (&params, argv[i] + 6)))
        {
          g_printerr ("unknown option %s\n", argv[i]);
          return 2;
        }
    }
  GPtrArray *docs;
  QuarryPipeline *pipe = NULL;
  if (stages)
    {
      docs = g_ptr_array_new ();
      load_html_rec (dir, docs);
      pipe = pipeline_open (stages, plugins ? plugins : ".");
    }
  else
    docs = load_dir (dir);
  g_ptr_array_sort (docs, name_cmp);
  SumRanker *ranker = sum_ranker_new (stemmer, NULL, NULL);
  SumTermCache *cache = sum_term_cache_new (ranker);  /* kept across documents, as a worker's */
  Triple mine = { 0 }, lead = { 0 }, ots = { 0 };
  guint used = 0, with_summary = 0, ref_sentences = 0;
  double ots_seconds = 0;
  gsize ots_bytes = 0;
  for (guint d = 0; d < docs->len; d++)
    {
      Doc *doc = g_ptr_array_index (docs, d);
      QuarryDocument *qd = NULL;
      SumLayers ly = { 0 };
      SumAnalysis *a;
      SumRankContext ctx = { 0 };
      if (pipe)
        {
          char *reason = NULL;
          qd = quarry_document_new (doc->name, doc->text, doc->len, "text/html");
          if (quarry_pipeline_process (pipe, qd, &reason) != QUARRY_RESULT_OK)
            {
              g_printerr ("%s: %s\n", doc->name, reason);
              exit (2);
            }
          gsize len;
          const char *text = quarry_document_get_text (qd, &len);
          sum_layers_collect (&ly, qd);
          a = sum_analysis_new (text, len, &ly.hints);
          ctx.subject = sum_layers_subject (qd, a, &ctx.subject_len);
          ctx.entities = (const SumRange *) ly.entities->data;
          ctx.n_entities = ly.entities->len;
        }
      else
        {
          a = sum_analysis_new (doc->text, doc->len, NULL);
          ctx.subject = a->text + a->subject.start;
          ctx.subject_len = a->subject.end - a->subject.start;
        }
      if (a->explicit_form == SUM_EXPLICIT_NONE)
        {
          doc_done (a, qd, &ly);
          continue;
        }
      with_summary++;
      if (half >= 0 && (int) (with_summary % 2) != half)
        {
          doc_done (a, qd, &ly);
          continue;
        }
      GArray *cand = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint i = 0; i < a->sentences->len; i++)
        {
          SumSentence *st = &g_array_index (a->sentences, SumSentence, i);
          if (!(st->flags & SUM_SENTENCE_EXPLICIT) && st->end - st->start <= MAX_SENTENCE_BYTES)
            g_array_append_val (cand, i);
        }
      guint k = a->explicit_count;
      if (cand->len <= k)
        {
          /* nothing to choose: every method would return the whole rest */
          g_array_free (cand, TRUE);
          doc_done (a, qd, &ly);
          continue;
        }
      used++;
      ref_sentences += k;
      guint *ref_idx = g_new (guint, k);
      for (guint i = 0; i < k; i++)
        ref_idx[i] = a->explicit_first + i;
      SumRougeText *ref = rouge_of (a, ref_idx, k);

      double *scores = g_new (double, cand->len);
      GArray *chosen = g_array_new (FALSE, FALSE, sizeof (guint));
      sum_ranker_rank (ranker, cache, &params, a, (guint *) cand->data, cand->len, &ctx, k, scores, chosen);
      for (guint i = 0; i < chosen->len; i++)
        g_array_index (chosen, guint, i) = g_array_index (cand, guint, g_array_index (chosen, guint, i));
      SumRougeText *m = rouge_of (a, (guint *) chosen->data, chosen->len);
      SumRougeText *l = rouge_of (a, (guint *) cand->data, k);
      Triple dm = { 0 }, dl = { 0 };
      add_scores (&dm, m, ref);
      add_scores (&dl, l, ref);
      mine.r1 += dm.r1, mine.r2 += dm.r2, mine.rl += dm.rl;
      lead.r1 += dl.r1, lead.r2 += dl.r2, lead.rl += dl.rl;
      if (use_ots)
        {
          SumRougeText *o = ots_run (a, (guint *) cand->data, cand->len, k, &ots_seconds, &ots_bytes);
          add_scores (&ots, o, ref);
          sum_rouge_text_free (o);
        }
      if (per_doc)
        printf ("%-28s k=%-2u n=%-3u mine %.3f %.3f  lead %.3f %.3f\n", doc->name, k, cand->len, dm.r1, dm.rl, dl.r1,
                dl.rl);
      sum_rouge_text_free (m);
      sum_rouge_text_free (l);
      sum_rouge_text_free (ref);
      g_free (ref_idx);
      g_free (scores);
      g_array_free (chosen, TRUE);
      g_array_free (cand, TRUE);
      doc_done (a, qd, &ly);
    }
  printf ("input: %s\n", stages ? stages : "text files");
  printf ("documents: %u (of %u with an explicit summary, %u in all); reference sentences: %u (mean %.2f)\n",
          used, with_summary, docs->len, ref_sentences, used ? (double) ref_sentences / used : 0.0);
  printf ("| method | ROUGE-1 F1 | ROUGE-2 F1 | ROUGE-L F1 |\n|---|---|---|---|\n");
  printf ("| summarize (this stage) | %.4f | %.4f | %.4f |\n", mine.r1 / used, mine.r2 / used, mine.rl / used);
  printf ("| lead-N | %.4f | %.4f | %.4f |\n", lead.r1 / used, lead.r2 / used, lead.rl / used);
  if (use_ots)
    {
      printf ("| ots | %.4f | %.4f | %.4f |\n", ots.r1 / used, ots.r2 / used, ots.rl / used);
      printf ("ots: %.2f MB/s (process time incl. start-up, %zu bytes)\n", ots_bytes / 1e6 / ots_seconds, ots_bytes);
    }
  sum_term_cache_free (cache);
  sum_ranker_free (ranker);
  return 0;
}

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
double_cmp (gconstpointer x, gconstpointer y)
{
  double a = *(const double *) x, b = *(const double *) y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/* Each round goes over every document once; the machine may be busy with other
 * work, so the best and the median round are reported (CPU time of this thread). */
static int
cmd_speed (const char *dir, int rounds)
{
  GPtrArray *docs = load_dir (dir);
  SumRanker *ranker = sum_ranker_new ("english", NULL, NULL);
  SumTermCache *cache = sum_term_cache_new (ranker);  /* kept across documents, as a worker's */
  gsize bytes = 0;
  guint sentences = 0;
  double *secs = g_new (double, MAX (rounds, 1));
  for (int r = 0; r < rounds; r++)
    {
      double c0 = cpu_seconds ();
      bytes = 0;
      sentences = 0;
      for (guint d = 0; d < docs->len; d++)
        {
          Doc *doc = g_ptr_array_index (docs, d);
          SumAnalysis *a = sum_analysis_new (doc->text, doc->len, NULL);
          GArray *cand = g_array_new (FALSE, FALSE, sizeof (guint));
          for (guint i = 0; i < a->sentences->len; i++)
            if (!(g_array_index (a->sentences, SumSentence, i).flags & SUM_SENTENCE_EXPLICIT))
              g_array_append_val (cand, i);
          SumRankContext ctx = { a->text + a->subject.start, a->subject.end - a->subject.start, NULL, 0 };
          double *scores = g_new (double, MAX (cand->len, 1u));
          GArray *chosen = g_array_new (FALSE, FALSE, sizeof (guint));
          sum_ranker_rank (ranker, cache, NULL, a, (guint *) cand->data, cand->len, &ctx, 4, scores, chosen);
          GString *text = g_string_new (NULL);
          for (guint i = 0; i < chosen->len; i++)
            sum_analysis_append_sentence (a, g_array_index (cand, guint, g_array_index (chosen, guint, i)), text);
          sentences += a->sentences->len;
          bytes += doc->len;
          g_string_free (text, TRUE);
          g_array_free (chosen, TRUE);
          g_free (scores);
          g_array_free (cand, TRUE);
          sum_analysis_free (a);
        }
      secs[r] = cpu_seconds () - c0;
    }
  double first = secs[0];
  qsort (secs, rounds, sizeof (double), double_cmp);
  printf ("%u documents (%.1f MB, %u sentences), %d rounds: best %.1f MB/s, median %.1f MB/s, first round "
          "(cold stem cache) %.1f MB/s on one core (CPU time; segmentation + explicit detection + LexRank "
          "ranking of every document)\n",
          docs->len, bytes / 1e6, sentences, rounds, bytes / 1e6 / secs[0], bytes / 1e6 / secs[rounds / 2],
          bytes / 1e6 / first);
  g_free (secs);
  sum_term_cache_free (cache);
  sum_ranker_free (ranker);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc >= 3 && strcmp (argv[1], "segment") == 0)
    return cmd_segment (argv[2]);
  if (argc >= 3 && strcmp (argv[1], "quality") == 0)
    return cmd_quality (argv[2], argc - 3, argv + 3);
  if (argc >= 3 && strcmp (argv[1], "speed") == 0)
    return cmd_speed (argv[2], argc > 3 ? atoi (argv[3]) : 5);
  g_printerr ("usage: %s segment FILE | quality DIR [--no-ots] [--half=0|1] [--set=NAME=VALUE] | speed DIR [ROUNDS]\n",
              argv[0]);
  return 2;
}
