/* summarize.c: the summarize stage: sentences, and the cable's own summary or an extractive one. */
#include <quarry/quarry.h>
#include <math.h>
#include <string.h>

#include "sum-doc.h"
#include "sum-rank.h"
#include "sum-text.h"

typedef struct {
  SumRanker    *ranker;
  SumRankParams params;
  gboolean      prefer_explicit;
  gint64        sentences;
  double        ratio;
  gint64        max_sentence_bytes;
} Summarize;

/* A worker's own: the stage's settings and its cache of words to terms. */
typedef struct {
  const Summarize *s;
  SumTermCache    *cache;
} SumWorker;

static const QuarryOption options[] = {
  { "prefer-explicit", QUARRY_OPTION_BOOL, "true",
    "use the cable's own summary when it has one; false: set it aside and write an extractive summary of the rest" },
  { "sentences", QUARRY_OPTION_INT, "4",
    "sentences in an extractive summary (0: use ratio)", NULL, 0, 10000 },
  { "ratio", QUARRY_OPTION_DOUBLE, "0.2",
    "share of the body's sentences in an extractive summary, when sentences = 0", NULL, 0, 1 },
  { "stemmer", QUARRY_OPTION_STRING, "english",
    "Snowball stemmer for comparing sentences (english, porter, ... or none)" },
  { "stop-words", QUARRY_OPTION_PATH, NULL,
    "file of stop words, one a line ('#' starts a comment); unset: the built-in English list" },
  { "max-sentence-bytes", QUARRY_OPTION_INT, "4096",
    "longer \"sentences\" (tables, run-on junk) are never put in a summary", NULL, 64, 1 << 30 },
  { NULL }
};

/* page-break lines cut through sentences; header-parse is the one stage that finds them */
static const char *const requires[] = { "layer:page-break", NULL };
static const char *const provides[] = { "layer:sentence", "summary", NULL };

static char **
read_stop_words (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  if (!g_file_get_contents (path, &data, NULL, error))
    return NULL;
  GPtrArray *words = g_ptr_array_new ();
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *w = g_strstrip (lines[i]);
      if (*w && *w != '#')
        g_ptr_array_add (words, g_strdup (w));
    }
  g_ptr_array_add (words, NULL);
  return (char **) g_ptr_array_free (words, FALSE);
}

static gboolean
summarize_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  Summarize *s = g_new0 (Summarize, 1);
  s->prefer_explicit = quarry_stage_get_bool (stage, "prefer-explicit");
  s->sentences = quarry_stage_get_int (stage, "sentences");
  s->ratio = quarry_stage_get_double (stage, "ratio");
  s->max_sentence_bytes = quarry_stage_get_int (stage, "max-sentence-bytes");
  sum_rank_params_default (&s->params);
  g_auto (GStrv) stop = NULL;
  const char *stop_path = quarry_stage_get_string (stage, "stop-words");
  if (stop_path && !(stop = read_stop_words (stop_path, error)))
    {
      g_free (s);
      return FALSE;
    }
  GError *err = NULL;
  s->ranker = sum_ranker_new (quarry_stage_get_string (stage, "stemmer"), (const char *const *) stop, &err);
  if (!s->ranker)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "option stemmer: %s", err->message);
      g_error_free (err);
      g_free (s);
      return FALSE;
    }
  *state = s;
  return TRUE;
}

static void
summarize_teardown (gpointer state)
{
  Summarize *s = state;
  sum_ranker_free (s->ranker);
  g_free (s);
}

static gboolean
add_sentence_spans (QuarryDocument *doc, const SumAnalysis *a, GError **error)
{
  GString *buf = g_string_new (NULL);
  for (guint i = 0; i < a->sentences->len; i++)
    {
      const SumSentence *st = &g_array_index (a->sentences, SumSentence, i);
      /* attributes only where they say something: a json-c object per sentence
       * would cost more than finding the sentence */
      json_object *attrs = NULL;
      if (st->flags & SUM_SENTENCE_EXPLICIT)
        {
          attrs = json_object_new_object ();
          json_object_object_add (attrs, "summary", json_object_new_boolean (TRUE));
        }
      if (st->n_gaps > 0)
        {
          if (!attrs)
            attrs = json_object_new_object ();
          /* cut by a page break: the sentence without the page-break text */
          g_string_truncate (buf, 0);
          sum_analysis_append_sentence (a, i, buf);
          json_object_object_add (attrs, "text", json_object_new_string_len (buf->str, (int) buf->len));
        }
      if (quarry_document_add_span (doc, "sentence", NULL, st->start, st->end, attrs, error) < 0)
        {
          g_string_free (buf, TRUE);
          return FALSE;
        }
    }
  g_string_free (buf, TRUE);
  return TRUE;
}

static json_object *
summary_new (const char *method)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "method", json_object_new_string (method));
  return o;
}

/* Adds the chosen sentences (indices into a->sentences) as the summary text and its list. */
static void
summary_fill (json_object *o, QuarryDocument *doc, const SumAnalysis *a, const guint *idx, const double *score,
              guint n)
{
  GString *text = g_string_new (NULL);
  json_object *list = json_object_new_array ();
  for (guint i = 0; i < n; i++)
    {
      const SumSentence *st = &g_array_index (a->sentences, SumSentence, idx[i]);
      if (text->len > 0)
        g_string_append_c (text, ' ');
      sum_analysis_append_sentence (a, idx[i], text);
      json_object *e = json_object_new_object ();
      json_object_object_add (e, "start", json_object_new_int64 ((gint64) quarry_document_char_offset (doc, st->start)));
      json_object_object_add (e, "end", json_object_new_int64 ((gint64) quarry_document_char_offset (doc, st->end)));
      /* scores rounded so that output is the same on every machine */
      json_object_object_add (e, "score", score ? json_object_new_double (round (score[i] * 1e4) / 1e4) : NULL);
      json_object_array_add (list, e);
    }
  json_object_object_add (o, "text", json_object_new_string_len (text->str, (int) text->len));
  json_object_object_add (o, "sentences", list);
  g_string_free (text, TRUE);
}

static guint
summary_length (const Summarize *s, guint n_body)
{
  if (s->sentences > 0)
    return (guint) MIN ((gint64) n_body, s->sentences);
  guint k = (guint) ceil (s->ratio * n_body);
  return MIN (MAX (k, 1u), n_body);
}

static void
summarize_explicit (QuarryDocument *doc, const SumAnalysis *a, json_object *o)
{
  guint *idx = g_new (guint, a->explicit_count);
  for (guint i = 0; i < a->explicit_count; i++)
    idx[i] = a->explicit_first + i;
  json_object_object_add (o, "form", json_object_new_string (sum_explicit_form_to_string (a->explicit_form)));
  summary_fill (o, doc, a, idx, NULL, a->explicit_count);
  g_free (idx);
}

static void
summarize_extract (const Summarize *s, SumTermCache *cache, QuarryDocument *doc, const SumAnalysis *a, const SumLayers *ly,
                   json_object *o)
{
  GArray *cand = g_array_new (FALSE, FALSE, sizeof (guint));
  guint too_long = 0;
  for (guint i = 0; i < a->sentences->len; i++)
    {
      const SumSentence *st = &g_array_index (a->sentences, SumSentence, i);
      if (st->flags & SUM_SENTENCE_EXPLICIT)
        continue;  /* set aside */
      if ((gint64) (st->end - st->start) > s->max_sentence_bytes)
        {
          if (too_long++ == 0)
            quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "sentence-too-long", (gssize) st->start,
                                      "a sentence of %" G_GSIZE_FORMAT " bytes (over max-sentence-bytes = %" G_GINT64_FORMAT
                                      ") is left out of the summary: the text has no sentence punctuation here; "
                                      "raise max-sentence-bytes if it is real prose",
                                      st->end - st->start, s->max_sentence_bytes);
          continue;
        }
      g_array_append_val (cand, i);
    }
  SumRankContext ctx = { 0 };
  ctx.subject = sum_layers_subject (doc, a, &ctx.subject_len);
  ctx.entities = (const SumRange *) ly->entities->data;
  ctx.n_entities = ly->entities->len;

  guint k = cand->len ? summary_length (s, cand->len) : 0;
  double *scores = g_new0 (double, MAX (cand->len, 1u));
  GArray *chosen = g_array_new (FALSE, FALSE, sizeof (guint));
  sum_ranker_rank (s->ranker, cache, &s->params, a, (guint *) cand->data, cand->len, &ctx, k, scores, chosen);
  guint *idx = g_new (guint, MAX (chosen->len, 1u));
  double *sc = g_new (double, MAX (chosen->len, 1u));
  for (guint i = 0; i < chosen->len; i++)
    {
      guint c = g_array_index (chosen, guint, i);
      idx[i] = g_array_index (cand, guint, c);
      sc[i] = scores[c];
    }
  summary_fill (o, doc, a, idx, sc, chosen->len);
  if (chosen->len == 0)
    quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "no-sentences", QUARRY_NO_OFFSET,
                              "no sentence to summarize (%u found in the body, %u left after the cable's own "
                              "summary and over-long ones): the summary is empty; check that the text is prose",
                              a->sentences->len, cand->len);
  g_free (idx);
  g_free (sc);
  g_free (scores);
  g_array_free (chosen, TRUE);
  g_array_free (cand, TRUE);
}

static gboolean
summarize_worker_setup (gpointer state, gpointer *worker_state, GError **error)
{
  const Summarize *s = state;
  SumWorker *w = g_new0 (SumWorker, 1);

  w->s = s;
  w->cache = sum_term_cache_new (s->ranker);
  *worker_state = w;
  return TRUE;
}

static void
summarize_worker_teardown (gpointer state, gpointer worker_state)
{
  SumWorker *w = worker_state;

  sum_term_cache_free (w->cache);
  g_free (w);
}

static gboolean
summarize_process (gpointer worker_state, QuarryDocument *doc, GError **error)
{
  SumWorker *w = worker_state;
  const Summarize *s = w->s;
  gsize len;
  const char *text = quarry_document_get_text (doc, &len);
  SumLayers ly;
  sum_layers_collect (&ly, doc);
  SumAnalysis *a = sum_analysis_new (text, len, &ly.hints);
  gboolean ok = add_sentence_spans (doc, a, error);
  if (ok)
    {
      json_object *o;
      if (a->explicit_form != SUM_EXPLICIT_NONE && s->prefer_explicit)
        {
          o = summary_new ("explicit");
          summarize_explicit (doc, a, o);
        }
      else
        {
          o = summary_new ("extractive");
          summarize_extract (s, w->cache, doc, a, &ly, o);
        }
      quarry_document_set_summary (doc, o);
    }
  sum_analysis_free (a);
  sum_layers_clear (&ly);
  return ok;
}

QUARRY_PLUGIN_DEFINE (
  .name = "summarize",
  .version = "1.1.0",
  .description = "sentences, and the cable's own summary or an extractive (LexRank + cable cues) one",
  .options = options,
  .requires = requires,
  .provides = provides,
  .setup = summarize_setup,
  .process = summarize_process,
  .teardown = summarize_teardown,
  .worker_setup = summarize_worker_setup,
  .worker_teardown = summarize_worker_teardown);
