/* sum-rank.h: extractive sentence ranking (LexRank centrality with position, subject and entity features). */
#pragma once

#include <glib.h>
#include "sum-text.h"

G_BEGIN_DECLS

/* Weights of the features; see sum-rank.c for why these. */
typedef struct {
  double centrality;   /* LexRank (continuous TextRank) score, scaled so the mean is 1 */
  double position;     /* earlier in the body scores higher */
  double first;        /* first sentence of its paragraph (cable paragraphs lead with their point) */
  double subject;      /* cosine with the SUBJECT line */
  double entity;       /* named entities in the sentence */
  double redundancy;   /* skip a sentence whose cosine with a chosen one exceeds this */
  double damping;      /* LexRank damping factor */
} SumRankParams;

void sum_rank_params_default (SumRankParams *params);

typedef struct _SumRanker SumRanker;

/* stemmer: a Snowball algorithm name ("english") or NULL / "none" for no stemming.
 * stop_words: NULL for the built-in English list, else words to use instead.
 * The ranker is read-only after creation: one may serve several threads. */
SumRanker *sum_ranker_new (const char *stemmer, const char *const *stop_words, GError **error);
void sum_ranker_free (SumRanker *ranker);

/* A worker's cache of words to terms for ranker (which must outlive it), kept from
 * one document to the next; used by one sum_ranker_rank() at a time. */
typedef struct _SumTermCache SumTermCache;
SumTermCache *sum_term_cache_new (const SumRanker *ranker);
void sum_term_cache_free (SumTermCache *cache);

typedef struct {
  const char     *subject;      /* nullable */
  gsize           subject_len;
  const SumRange *entities;     /* sorted by start; nullable */
  guint           n_entities;
} SumRankContext;

/* Scores the candidate sentences cand[0..n) of @a (indices into a->sentences, in
 * text order) into scores[0..n), and puts into @chosen (guint, positions in cand,
 * ascending) the best @k that are not redundant. cache (nullable): the caller's
 * worker cache for ranker; without one a fresh cache is made and freed. */
void sum_ranker_rank (const SumRanker *ranker, SumTermCache *cache, const SumRankParams *params,
                      const SumAnalysis *a, const guint *cand, guint n, const SumRankContext *ctx, guint k,
                      double *scores, GArray *chosen);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SumRanker, sum_ranker_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SumTermCache, sum_term_cache_free)

G_END_DECLS
