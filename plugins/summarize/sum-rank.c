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
  /* tuned on half of the corpus benchmark, checked on the other half (bench/summarize/RESULTS.md) */
  p->centrality = 1.0;
  p->position = 1.0;
  p->first = 1.0;
  p->subject = 3.0;
  p->entity = 0.2;
  p->redundancy = 0.7;
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

/* ---- words to terms ----
 * Stemming every word of every document was most of the time, and a cable
 * repeats the vocabulary of the last one. So each worker keeps a cache
 * word -> stem -> term (the stage's per-worker state: a worker's documents run
 * one at a time, so the cache needs no lock, and a stem is the same whoever
 * computes it, so output does not depend on which worker ran what). A
 * document's own dense term numbers come from a stamp per term. A cache is
 * emptied between documents when it grows too big. */

#define TERM_NONE G_MAXUINT32   /* a stop word or a number */
#define CACHE_MAX_WORDS (1u << 18)

typedef struct {
  guint32 hash;
  guint32 len;
  guint32 off;     /* into keys */
  guint32 term;    /* thread term, or TERM_NONE; the slot is empty when len == 0 */
} Slot;

struct _SumTermCache {
  const SumRanker   *ranker;
  struct sb_stemmer *stem;
  Slot              *slots;
  guint32            mask;
  guint32            used;
  GString           *keys;
  GHashTable        *stems;      /* stem (owned) -> term + 1 */
  GArray            *doc_stamp;  /* guint32 per thread term: the document that last saw it */
  GArray            *doc_id;     /* guint32 per thread term: its number in that document */
  guint32            doc;        /* the current document's stamp */
};
typedef SumTermCache TermCache;

void
sum_term_cache_free (SumTermCache *c)
{
  if (!c)
    return;
  if (c->stem)
    sb_stemmer_delete (c->stem);
  g_free (c->slots);
  g_string_free (c->keys, TRUE);
  g_hash_table_unref (c->stems);
  g_array_free (c->doc_stamp, TRUE);
  g_array_free (c->doc_id, TRUE);
  g_free (c);
}

static void
term_cache_reset (TermCache *c, const SumRanker *r)
{
  if (c->stem)
    sb_stemmer_delete (c->stem);
  c->stem = r->stemmer ? sb_stemmer_new (r->stemmer, NULL) : NULL;
  c->mask = 4095;
  g_free (c->slots);
  c->slots = g_new0 (Slot, c->mask + 1);
  c->used = 0;
  g_string_truncate (c->keys, 0);
  g_hash_table_remove_all (c->stems);
  g_array_set_size (c->doc_stamp, 0);
  g_array_set_size (c->doc_id, 0);
  c->doc = 0;
}

SumTermCache *
sum_term_cache_new (const SumRanker *r)
{
  TermCache *c = g_new0 (TermCache, 1);
  c->ranker = r;
  c->keys = g_string_new (NULL);
  c->stems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c->doc_stamp = g_array_new (FALSE, FALSE, sizeof (guint32));
  c->doc_id = g_array_new (FALSE, FALSE, sizeof (guint32));
  term_cache_reset (c, r);
  return c;
}

/* The cache, ready for the next document. */
static TermCache *
term_cache_next (TermCache *c, const SumRanker *r)
{
  if (c->used > CACHE_MAX_WORDS || c->doc == G_MAXUINT32 - 1)
    term_cache_reset (c, r);
  c->doc++;
  return c;
}

static void
term_cache_grow (TermCache *c)
{
  guint32 mask = c->mask * 2 + 1;
  Slot *slots = g_new0 (Slot, (gsize) mask + 1);
  for (guint32 i = 0; i <= c->mask; i++)
    if (c->slots[i].len)
      {
        guint32 j = c->slots[i].hash & mask;
        while (slots[j].len)
          j = (j + 1) & mask;
        slots[j] = c->slots[i];
      }
  g_free (c->slots);
  c->slots = slots;
  c->mask = mask;
}

typedef struct {
  const SumRanker *ranker;
  TermCache       *cache;
  guint            n_terms;   /* this document's terms */
} Vocab;

static void
vocab_init (Vocab *v, const SumRanker *r, TermCache *c)
{
  v->ranker = r;
  v->cache = term_cache_next (c, r);
  v->n_terms = 0;
}

static void
vocab_clear (Vocab *v)
{
  v->cache = NULL;
}

static guint32
term_new (TermCache *c, const SumRanker *r, const char *w, gsize len)
{
  gboolean digits = TRUE;
  for (gsize i = 0; i < len && digits; i++)
    digits = w[i] >= '0' && w[i] <= '9';
  if (digits || g_hash_table_contains (r->stop, w))
    return TERM_NONE;
  const char *s = w;
  if (c->stem)
    {
      const sb_symbol *st = sb_stemmer_stem (c->stem, (const sb_symbol *) w, (int) len);
      if (st)
        s = (const char *) st;
    }
  gpointer id = g_hash_table_lookup (c->stems, s);
  if (id)
    return GPOINTER_TO_UINT (id) - 1;
  guint32 term = c->doc_stamp->len;
  guint32 zero = 0;
  g_array_append_val (c->doc_stamp, zero);
  g_array_append_val (c->doc_id, zero);
  g_hash_table_insert (c->stems, g_strdup (s), GUINT_TO_POINTER (term + 1));
  return term;
}

/* The document's number for the word w (NUL-terminated, lower case, hash h), or G_MAXUINT. */
static guint
vocab_id (Vocab *v, const char *w, gsize len, guint32 h)
{
  TermCache *c = v->cache;
  guint32 j = h & c->mask;
  guint32 term = TERM_NONE;
  gboolean found = FALSE;
  for (; c->slots[j].len; j = (j + 1) & c->mask)
    {
      Slot *sl = &c->slots[j];
      if (sl->hash == h && sl->len == len && memcmp (c->keys->str + sl->off, w, len) == 0)
        {
          term = sl->term;
          found = TRUE;
          break;
        }
    }
  if (!found)
    {
      term = term_new (c, v->ranker, w, len);
      Slot sl = { h, (guint32) len, (guint32) c->keys->len, term };
      g_string_append_len (c->keys, w, (gssize) len);
      c->slots[j] = sl;
      if (++c->used * 10 > c->mask * 7)
        term_cache_grow (c);
    }
  if (term == TERM_NONE)
    return G_MAXUINT;
  guint32 *stamp = &g_array_index (c->doc_stamp, guint32, term);
  guint32 *id = &g_array_index (c->doc_id, guint32, term);
  if (*stamp != c->doc)
    {
      *stamp = c->doc;
      *id = v->n_terms++;
    }
  return *id;
}

static const gboolean ascii_word[128] = {
  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
  ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
  ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
  ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
  ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

/* Words: runs of ASCII letters and digits and of non-ASCII letters; punctuation
 * (including the typographic quotes and dashes, U+2000..U+206F) separates. */
static void
tokens_of (Vocab *v, const char *t, gsize s, gsize e, GArray *ids, guint *n_words)
{
  char buf[64];
  guint alloc = ids->len;
  gsize p = s;
  while (p < e)
    {
      /* separators */
      gsize k = 1;
      for (; p < e; p += k)
        {
          guchar c = (guchar) t[p];
          if (c < 0x80)
            {
              k = 1;
              if (ascii_word[c])
                break;
              continue;
            }
          k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
          if (p + k > e)
            k = e - p;
          if (!(c == 0xE2 && p + 1 < e && (guchar) t[p + 1] <= 0x81) && c != 0xC2)
            break;
        }
      if (p >= e)
        break;
      /* a word: lower-cased into buf, hashed (FNV-1a) on the way */
      gsize n = 0;
      guint32 h = 2166136261u;
      gboolean too_long = FALSE;
      while (p < e)
        {
          guchar c = (guchar) t[p];
          if (c < 0x80)
            {
              if (!ascii_word[c])
                break;
              if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
              if (n + 1 < sizeof buf)
                {
                  buf[n++] = (char) c;
                  h = (h ^ c) * 16777619u;
                }
              else
                too_long = TRUE;
              p++;
              continue;
            }
          k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
          if (p + k > e)
            k = e - p;
          if ((c == 0xE2 && p + 1 < e && (guchar) t[p + 1] <= 0x81) || c == 0xC2)
            break;
          if (n + k < sizeof buf)
            for (gsize i = 0; i < k; i++)
              {
                buf[n++] = t[p + i];
                h = (h ^ (guchar) t[p + i]) * 16777619u;
              }
          else
            too_long = TRUE;
          p += k;
        }
      buf[n] = '\0';
      (*n_words)++;
      if (n < 2 || too_long)
        continue;
      guint id = vocab_id (v, buf, n, h);
      if (id == G_MAXUINT)
        continue;
      /* g_array_append_val is a function call per word: grow by hand */
      if (ids->len == alloc)
        {
          guint used = ids->len;
          g_array_set_size (ids, MAX (16u, alloc * 2));
          alloc = ids->len;
          ids->len = used;
        }
      ((guint *) ids->data)[ids->len++] = id;
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
  double *df;        /* per term: document frequency, then idf */
  guint   n;
  guint   n_terms;
} Matrix;

static void
matrix_build (Matrix *m, Vocab *v, const SumAnalysis *a, const guint *cand, guint n)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
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
      /* the sentence's distinct terms go straight to the end of entries */
      guint base = m->entries->len;
      g_array_set_size (m->entries, base + ids->len);
      Entry *ent = (Entry *) m->entries->data;
      guint len = base;
      for (guint j = 0; j < ids->len; j++)
        {
          guint id = ((guint *) ids->data)[j];
          if (stamp[id] != i)
            {
              stamp[id] = i;
              slot[id] = len;
              ent[len].term = id;
              ent[len].w = 0;
              len++;
            }
          ent[slot[id]].w += 1;
        }
      g_array_set_size (m->entries, len);
      m->offset[i] = base;
    }
  m->offset[n] = m->entries->len;
  m->n_terms = v->n_terms;
  m->df = g_new0 (double, MAX (m->n_terms, 1));
  for (guint k = 0; k < m->entries->len; k++)
    m->df[g_array_index (m->entries, Entry, k).term] += 1;
  /* tf-idf, then unit length; df becomes idf */
  for (guint t = 0; t < m->n_terms; t++)
    if (m->df[t] > 0)
      m->df[t] = log (1.0 + n / m->df[t]);
  for (guint i = 0; i < n; i++)
    {
      double norm = 0;
      for (guint k = m->offset[i]; k < m->offset[i + 1]; k++)
        {
          Entry *e = &g_array_index (m->entries, Entry, k);
          e->w *= m->df[e->term];
          norm += e->w * e->w;
        }
      norm = sqrt (norm);
      for (guint k = m->offset[i]; norm > 0 && k < m->offset[i + 1]; k++)
        g_array_index (m->entries, Entry, k).w /= norm;
    }
  g_free (stamp);
  g_free (slot);
  g_array_free (ids, TRUE);
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
    }
  /* start from the degrees: on an undirected graph they are the walk's stationary
   * distribution, which the damped one stays close to, so few steps are needed */
  double total = 0;
  for (guint i = 0; i < n; i++)
    total += deg[i];
  for (guint i = 0; i < n; i++)
    out[i] = total > 0 ? 0.15 / n + 0.85 * deg[i] / total : 1.0 / n;
  for (guint it = 0; it < 30; it++)
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
      if (delta < 1e-4)
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
          q[id] = m->df[id];  /* the idf */
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
sum_ranker_rank (const SumRanker *r, SumTermCache *cache, const SumRankParams *params, const SumAnalysis *a,
                 const guint *cand, guint n, const SumRankContext *ctx, guint k, double *scores, GArray *chosen)
{
  g_autoptr (SumTermCache) own = NULL;

  g_array_set_size (chosen, 0);
  if (n == 0)
    return;
  g_return_if_fail (cache == NULL || cache->ranker == r);
  if (!cache)
    cache = own = sum_term_cache_new (r);
  SumRankParams def;
  if (!params)
    {
      sum_rank_params_default (&def);
      params = &def;
    }
  Vocab v;
  vocab_init (&v, r, cache);
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
