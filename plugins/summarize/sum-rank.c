/* sum-rank.c: extractive sentence ranking (LexRank centrality with position, subject and entity features). */
#include "sum-rank.h"
#include "sum-stopwords.h"

#include <libstemmer.h>
#include <math.h>
#include <string.h>

/* Why this method: a cable body is a few dozen sentences about one subject, and
 * the sentences that state the subject are the ones most of the others echo.
 * LexRank (Erkan & Radev 2004; TextRank with cosine-weighted edges) finds those
 * by eigenvector centrality on the sentence-similarity graph, with stems (Snowball)
 * and tf-idf so that "negotiations"/"negotiating" meet and common words do not
 * dominate. Cables add strong cues of their own that a graph alone misses: writers
 * lead each numbered paragraph with its point, put the important paragraphs first,
 * and say in the SUBJECT line what the cable is about. The score is a weighted sum
 * of the four, tuned on the corpus benchmark (bench/summarize), and near-duplicate
 * sentences are skipped when picking (maximal marginal relevance).
 *
 * The graph is never built: with unit-length sentence vectors x_i, the
 * similarity matrix is X X^T, so one power-iteration step is two sparse passes
 * (u = X^T w, then x_i . u) and the whole ranking is linear in the text. */

G_DEFINE_QUARK (sum-rank-error-quark, sum_rank_error)

struct _SumRanker {
  char       *stemmer;    /* NULL: none */
  GHashTable *stop;       /* owned strings */
};

void
sum_rank_params_default (SumRankParams *p)
{
  p->centrality = 1.0;
  p->position = 1.0;
  p->first = 0.5;
  p->subject = 1.0;
  p->entity = 0.2;
  p->redundancy = 0.5;
  p->damping = 0.85;
}

SumRanker *
sum_ranker_new (const char *stemmer, const char *const *stop_words, GError **error)
{
  if (stemmer && *stemmer && g_strcmp0 (stemmer, "none") != 0)
    {
      struct sb_stemmer *s = sb_stemmer_new (stemmer, NULL);
      if (!s)
        {
          g_set_error (error, sum_rank_error_quark (), 0,
                       "no Snowball stemmer named '%s' (try english, porter, or none)", stemmer);
          return NULL;
        }
      sb_stemmer_delete (s);
    }
  SumRanker *r = g_new0 (SumRanker, 1);
  r->stemmer = (stemmer && *stemmer && g_strcmp0 (stemmer, "none") != 0) ? g_strdup (stemmer) : NULL;
  r->stop = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *const *list = stop_words ? stop_words : sum_stopwords_english;
  for (guint i = 0; list[i]; i++)
    g_hash_table_add (r->stop, g_utf8_strdown (list[i], -1));
  return r;
}

void
sum_ranker_free (SumRanker *r)
{
  if (!r)
    return;
  g_free (r->stemmer);
  g_hash_table_unref (r->stop);
  g_free (r);
}

/* ---- per-document vocabulary: word -> stem -> term id ---- */

typedef struct {
  const SumRanker   *ranker;
  struct sb_stemmer *stem;
  GHashTable        *word_ids;  /* word (in chunk) -> id + 1 */
  GHashTable        *stem_ids;  /* stem (in chunk) -> id + 1 */
  GStringChunk      *chunk;
  guint              n_terms;
} Vocab;

static void
vocab_init (Vocab *v, const SumRanker *r)
{
  v->ranker = r;
  v->stem = r->stemmer ? sb_stemmer_new (r->stemmer, NULL) : NULL;
  v->word_ids = g_hash_table_new (g_str_hash, g_str_equal);
  v->stem_ids = g_hash_table_new (g_str_hash, g_str_equal);
  v->chunk = g_string_chunk_new (4096);
  v->n_terms = 0;
}

static void
vocab_clear (Vocab *v)
{
  if (v->stem)
    sb_stemmer_delete (v->stem);
  g_hash_table_unref (v->word_ids);
  g_hash_table_unref (v->stem_ids);
  g_string_chunk_free (v->chunk);
}

/* G_MAXUINT for a stop word or a number. */
static guint
vocab_id (Vocab *v, const char *w, gsize len)
{
  gpointer id = g_hash_table_lookup (v->word_ids, w);
  if (id)
    return GPOINTER_TO_UINT (id) - 1;
  guint out;
  gboolean digits = TRUE;
  for (gsize i = 0; i < len && digits; i++)
    digits = w[i] >= '0' && w[i] <= '9';
  if (digits || g_hash_table_contains (v->ranker->stop, w))
    out = G_MAXUINT;
  else
    {
      const char *s = w;
      if (v->stem)
        {
          const sb_symbol *st = sb_stemmer_stem (v->stem, (const sb_symbol *) w, (int) len);
          if (st)
            s = (const char *) st;
        }
      gpointer sid = g_hash_table_lookup (v->stem_ids, s);
      if (sid)
        out = GPOINTER_TO_UINT (sid) - 1;
      else
        {
          out = v->n_terms++;
          g_hash_table_insert (v->stem_ids, g_string_chunk_insert (v->chunk, s), GUINT_TO_POINTER (out + 1));
        }
    }
  g_hash_table_insert (v->word_ids, g_string_chunk_insert (v->chunk, w), GUINT_TO_POINTER (out + 1));
  return out;
}

/* Words: runs of ASCII letters and digits and of non-ASCII letters; punctuation
 * (including the typographic quotes and dashes, U+2000..U+206F) separates. */
static void
tokens_of (Vocab *v, const char *t, gsize s, gsize e, GArray *ids, guint *n_words)
{
  char buf[64];
  gsize n = 0;
  gboolean too_long = FALSE;
  for (gsize p = s; p <= e;)
    {
      guchar c = p < e ? (guchar) t[p] : ' ';
      gsize k = 1;
      gboolean word;
      if (c < 0x80)
        word = g_ascii_isalnum (c);
      else
        {
          k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
          if (p + k > e)
            k = e - p;
          word = !(c == 0xE2 && p + 1 < e && (guchar) t[p + 1] <= 0x81) && c != 0xC2;
        }
      if (word)
        {
          if (n + k < sizeof buf)
            {
              for (gsize i = 0; i < k; i++)
                buf[n++] = (char) g_ascii_tolower (t[p + i]);
            }
          else
            too_long = TRUE;
        }
      else if (n > 0)
        {
          buf[n] = '\0';
          (*n_words)++;
          if (n >= 2 && !too_long)
            {
              guint id = vocab_id (v, buf, n);
              if (id != G_MAXUINT)
                g_array_append_val (ids, id);
            }
          n = 0;
          too_long = FALSE;
        }
      if (p == e)
        break;
      p += k;
    }
}

static void
sentence_tokens (Vocab *v, const SumAnalysis *a, guint index, GArray *ids, guint *n_words)
{
  const SumSentence *s = &g_array_index (a->sentences, SumSentence, index);
  gsize p = s->start;
  for (guint g = 0; g < s->n_gaps; g++)
    {
      const SumRange *r = &g_array_index (a->gaps, SumRange, s->first_gap + g);
      tokens_of (v, a->text, p, r->start, ids, n_words);
      p = r->end;
    }
  tokens_of (v, a->text, p, s->end, ids, n_words);
}

/* ---- sparse unit vectors ---- */

typedef struct {
  guint  term;
  double w;
} Entry;

typedef struct {
  GArray *entries;   /* Entry, all sentences one after the other */
  guint  *offset;    /* n + 1 */
  guint  *words;     /* words per sentence (stop words included) */
  double *df;        /* per term */
  guint   n;
  guint   n_terms;
} Matrix;

static void
matrix_build (Matrix *m, Vocab *v, const SumAnalysis *a, const guint *cand, guint n)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *tf = g_array_new (FALSE, FALSE, sizeof (Entry));
  guint *stamp = NULL, *slot = NULL;
  guint cap = 0;
  m->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  m->offset = g_new0 (guint, n + 1);
  m->words = g_new0 (guint, n);
  m->n = n;
  for (guint i = 0; i < n; i++)
    {
      g_array_set_size (ids, 0);
      sentence_tokens (v, a, cand[i], ids, &m->words[i]);
      if (v->n_terms > cap)
        {
          guint old = cap;
          cap = MAX (v->n_terms, cap * 2);
          stamp = g_renew (guint, stamp, cap);
          slot = g_renew (guint, slot, cap);
          memset (stamp + old, 0xff, (cap - old) * sizeof (guint));
        }
      g_array_set_size (tf, 0);
      for (guint j = 0; j < ids->len; j++)
        {
          guint id = g_array_index (ids, guint, j);
          if (stamp[id] != i)
            {
              stamp[id] = i;
              slot[id] = tf->len;
              Entry e = { id, 0 };
              g_array_append_val (tf, e);
            }
          g_array_index (tf, Entry, slot[id]).w += 1;
        }
      m->offset[i] = m->entries->len;
      g_array_append_vals (m->entries, tf->data, tf->len);
    }
  m->offset[n] = m->entries->len;
  m->n_terms = v->n_terms;
  m->df = g_new0 (double, MAX (m->n_terms, 1));
  for (guint k = 0; k < m->entries->len; k++)
    m->df[g_array_index (m->entries, Entry, k).term] += 1;
  /* tf-idf, then unit length */
  for (guint i = 0; i < n; i++)
    {
      double norm = 0;
      for (guint k = m->offset[i]; k < m->offset[i + 1]; k++)
        {
          Entry *e = &g_array_index (m->entries, Entry, k);
          e->w *= log (1.0 + n / m->df[e->term]);
          norm += e->w * e->w;
        }
      norm = sqrt (norm);
      for (guint k = m->offset[i]; norm > 0 && k < m->offset[i + 1]; k++)
        g_array_index (m->entries, Entry, k).w /= norm;
    }
  g_free (stamp);
  g_free (slot);
  g_array_free (ids, TRUE);
  g_array_free (tf, TRUE);
}

static void
matrix_clear (Matrix *m)
{
  g_array_free (m->entries, TRUE);
  g_free (m->offset);
  g_free (m->words);
  g_free (m->df);
}

static double
row_dot (const Matrix *m, guint i, const double *dense)
{
  double s = 0;
  for (guint k = m->offset[i]; k < m->offset[i + 1]; k++)
    {
      const Entry *e = &g_array_index (m->entries, Entry, k);
      s += e->w * dense[e->term];
    }
  return s;
}

static void
row_scatter (const Matrix *m, guint i, double f, double *dense)
{
  for (guint k = m->offset[i]; k < m->offset[i + 1]; k++)
    {
      const Entry *e = &g_array_index (m->entries, Entry, k);
      dense[e->term] += f * e->w;
    }
}

/* LexRank by power iteration without forming X X^T (see the top of the file). */
static void
lexrank (const Matrix *m, double damping, double *out)
{
  guint n = m->n;
  double *dense = g_new0 (double, MAX (m->n_terms, 1));
  double *deg = g_new (double, n);
  double *w = g_new (double, n);
  for (guint i = 0; i < n; i++)
    row_scatter (m, i, 1.0, dense);
  for (guint i = 0; i < n; i++)
    {
      gboolean empty = m->offset[i] == m->offset[i + 1];
      deg[i] = empty ? 0 : row_dot (m, i, dense) - 1.0;  /* minus the self-loop */
      if (deg[i] < 1e-9)
        deg[i] = 0;
      out[i] = 1.0 / n;
    }
  for (guint it = 0; it < 100; it++)
    {
      memset (dense, 0, MAX (m->n_terms, 1) * sizeof (double));
      double dangling = 0;
      for (guint i = 0; i < n; i++)
        {
          w[i] = deg[i] > 0 ? out[i] / deg[i] : 0;
          if (deg[i] == 0)
            dangling += out[i];
          else
            row_scatter (m, i, w[i], dense);
        }
      double delta = 0;
      for (guint i = 0; i < n; i++)
        {
          double in = deg[i] > 0 ? row_dot (m, i, dense) - w[i] : 0;
          double p = (1 - damping) / n + damping * (in + dangling / n);
          delta += fabs (p - out[i]);
          out[i] = p;
        }
      if (delta < 1e-7)
        break;
    }
  g_free (dense);
  g_free (deg);
  g_free (w);
}

/* The SUBJECT line as a unit tf-idf vector over the sentences' terms (dense). */
static void
subject_vector (const Matrix *m, Vocab *v, const SumRankContext *ctx, double *q)
{
  if (!ctx || !ctx->subject || ctx->subject_len == 0)
    return;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  guint nw = 0;
  tokens_of (v, ctx->subject, 0, ctx->subject_len, ids, &nw);
  double norm = 0;
  for (guint j = 0; j < ids->len; j++)
    {
      guint id = g_array_index (ids, guint, j);
      if (id < m->n_terms && q[id] == 0)
        {
          q[id] = log (1.0 + m->n / m->df[id]);
          norm += q[id] * q[id];
        }
    }
  norm = sqrt (norm);
  for (guint j = 0; j < m->n_terms && norm > 0; j++)
    q[j] /= norm;
  g_array_free (ids, TRUE);
}

static double
cosine (const Matrix *m, guint i, guint j, double *scratch)
{
  row_scatter (m, j, 1.0, scratch);
  double s = row_dot (m, i, scratch);
  row_scatter (m, j, -1.0, scratch);
  return s;
}

static void
count_entities (const SumAnalysis *a, const guint *cand, guint n, const SumRankContext *ctx, double *out)
{
  guint e = 0;
  for (guint i = 0; i < n; i++)
    {
      const SumSentence *s = &g_array_index (a->sentences, SumSentence, cand[i]);
      out[i] = 0;
      while (ctx && e < ctx->n_entities && ctx->entities[e].start < s->start)
        e++;
      for (guint k = e; ctx && k < ctx->n_entities && ctx->entities[k].start < s->end; k++)
        out[i] += 1;
    }
}

typedef struct {
  guint  index;
  double score;
} Ranked;

static int
ranked_cmp (gconstpointer x, gconstpointer y)
{
  const Ranked *a = x, *b = y;
  if (a->score != b->score)
    return a->score > b->score ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

static int
guint_cmp (gconstpointer x, gconstpointer y)
{
  guint a = *(const guint *) x, b = *(const guint *) y;
  return a < b ? -1 : a > b ? 1 : 0;
}

void
sum_ranker_rank (const SumRanker *r, const SumRankParams *params, const SumAnalysis *a, const guint *cand, guint n,
                 const SumRankContext *ctx, guint k, double *scores, GArray *chosen)
{
  g_array_set_size (chosen, 0);
  if (n == 0)
    return;
  SumRankParams def;
  if (!params)
    {
      sum_rank_params_default (&def);
      params = &def;
    }
  Vocab v;
  vocab_init (&v, r);
  Matrix m;
  matrix_build (&m, &v, a, cand, n);
  double *cent = g_new (double, n);
  double *ents = g_new (double, n);
  double *q = g_new0 (double, MAX (m.n_terms, 1));
  subject_vector (&m, &v, ctx, q);
  lexrank (&m, params->damping, cent);
  count_entities (a, cand, n, ctx, ents);

  guint para0 = g_array_index (a->sentences, SumSentence, cand[0]).paragraph;
  Ranked *rk = g_new (Ranked, n);
  for (guint i = 0; i < n; i++)
    {
      const SumSentence *s = &g_array_index (a->sentences, SumSentence, cand[i]);
      double pos = 1.0 - (double) i / n;
      guint para = s->paragraph - para0;
      double ppos = 1.0 / (1.0 + para);
      double score = params->centrality * cent[i] * n
                     + params->position * 0.5 * (pos + ppos)
                     + params->first * ((s->flags & SUM_SENTENCE_PARA_FIRST) ? 1.0 : 0.0)
                     + params->subject * row_dot (&m, i, q)
                     + params->entity * MIN (ents[i], 4.0) / 4.0;
      /* a fragment ("End Comment.", a heading the layout missed) says little */
      guint words = m.words[i];
      if (words < 6)
        score *= words / 6.0;
      scores[i] = score;
      rk[i].index = i;
      rk[i].score = score;
    }
  qsort (rk, n, sizeof (Ranked), ranked_cmp);

  double *scratch = g_new0 (double, MAX (m.n_terms, 1));
  for (int pass = 0; pass < 2 && chosen->len < k; pass++)
    for (guint x = 0; x < n && chosen->len < k; x++)
      {
        guint i = rk[x].index;
        gboolean skip = FALSE;
        for (guint c = 0; c < chosen->len && !skip; c++)
          {
            guint j = g_array_index (chosen, guint, c);
            if (j == i || (pass == 0 && cosine (&m, i, j, scratch) > params->redundancy))
              skip = TRUE;
          }
        if (!skip)
          g_array_append_val (chosen, i);
      }
  g_array_sort (chosen, guint_cmp);

  g_free (scratch);
  g_free (rk);
  g_free (cent);
  g_free (ents);
  g_free (q);
  matrix_clear (&m);
  vocab_clear (&v);
}
