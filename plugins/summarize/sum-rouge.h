/* sum-rouge.h: ROUGE-N and ROUGE-L (Lin 2004) for scoring summaries against a reference. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double recall;
  double precision;
  double f1;
} SumRougeScore;

/* A summary as a list of sentences of tokens: lower-cased runs of letters and digits. */
typedef struct _SumRougeText SumRougeText;

SumRougeText *sum_rouge_text_new (void);
void sum_rouge_text_free (SumRougeText *text);
void sum_rouge_text_add_sentence (SumRougeText *text, const char *sentence, gssize length);
guint sum_rouge_text_n_tokens (const SumRougeText *text);

/* ROUGE-N (Lin 2004, eq. 1): clipped n-gram co-occurrence over the whole summary;
 * recall over the reference's n-grams, precision over the candidate's. */
SumRougeScore sum_rouge_n (const SumRougeText *candidate, const SumRougeText *reference, guint n);

/* Summary-level ROUGE-L (Lin 2004, section 3.2, eqs. 5-7 with beta = 1): for each
 * reference sentence, the union LCS with every candidate sentence; summed and
 * divided by the reference's and the candidate's word counts. */
SumRougeScore sum_rouge_l (const SumRougeText *candidate, const SumRougeText *reference);

/* The union-LCS length of one reference sentence against candidate sentences (for tests). */
guint sum_rouge_union_lcs (const SumRougeText *candidate, const SumRougeText *reference, guint ref_sentence);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SumRougeText, sum_rouge_text_free)

G_END_DECLS
