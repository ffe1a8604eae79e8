/* sum-rouge.c: ROUGE-N and ROUGE-L (Lin 2004) for scoring summaries against a reference. */
#include "sum-rouge.h"

#include <string.h>

struct _SumRougeText {
  GPtrArray *sentences;  /* GPtrArray of char* tokens */
  guint      n_tokens;
};

SumRougeText *
sum_rouge_text_new (void)
{
  SumRougeText *t = g_new0 (SumRougeText, 1);
  t->sentences = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  return t;
}

void
sum_rouge_text_free (SumRougeText *t)
{
  if (!t)
    return;
  g_ptr_array_unref (t->sentences);
  g_free (t);
}

/* Tokens as the ROUGE scripts make them: case folded, anything but letters and digits separates. */
void
sum_rouge_text_add_sentence (SumRougeText *t, const char *s, gssize length)
{
  gsize len = length < 0 ? strlen (s) : (gsize) length;
  GPtrArray *toks = g_ptr_array_new_with_free_func (g_free);
  const char *p = s, *end = s + len, *w = NULL;
  while (p <= end)
    {
      gunichar c = p < end ? g_utf8_get_char_validated (p, end - p) : 0;
      gboolean word = p < end && c != (gunichar) -1 && c != (gunichar) -2 && g_unichar_isalnum (c);
      if (word && !w)
        w = p;
      else if (!word && w)
        {
          g_ptr_array_add (toks, g_utf8_strdown (w, p - w));
          w = NULL;
        }
      if (p == end)
        break;
      const char *n = (c == (gunichar) -1 || c == (gunichar) -2) ? p + 1 : g_utf8_next_char (p);
      p = n > end ? end : n;
    }
  if (toks->len == 0)
    {
      g_ptr_array_unref (toks);
      return;
    }
  t->n_tokens += toks->len;
  g_ptr_array_add (t->sentences, toks);
}

guint
sum_rouge_text_n_tokens (const SumRougeText *t)
{
  return t->n_tokens;
}

static SumRougeScore
score_of (double hits, double ref_total, double cand_total)
{
  SumRougeScore s = { 0, 0, 0 };
  if (ref_total > 0)
    s.recall = hits / ref_total;
  if (cand_total > 0)
    s.precision = hits / cand_total;
  if (s.recall + s.precision > 0)
    s.f1 = 2 * s.recall * s.precision / (s.recall + s.precision);
  return s;
}

/* n-gram counts over the summary's token stream (the scripts join the sentences). */
static GHashTable *
count_ngrams (const SumRougeText *t, guint n, guint *total)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *all = g_ptr_array_new ();
  for (guint i = 0; i < t->sentences->len; i++)
    {
      GPtrArray *s = g_ptr_array_index (t->sentences, i);
      for (guint j = 0; j < s->len; j++)
        g_ptr_array_add (all, g_ptr_array_index (s, j));
    }
  *total = 0;
  GString *key = g_string_new (NULL);
  for (guint i = 0; n > 0 && i + n <= all->len; i++)
    {
      g_string_truncate (key, 0);
      for (guint k = 0; k < n; k++)
        {
          if (k)
            g_string_append_c (key, ' ');
          g_string_append (key, g_ptr_array_index (all, i + k));
        }
      gpointer old = g_hash_table_lookup (h, key->str);
      g_hash_table_replace (h, g_strdup (key->str), GUINT_TO_POINTER (GPOINTER_TO_UINT (old) + 1));
      (*total)++;
    }
  g_string_free (key, TRUE);
  g_ptr_array_unref (all);
  return h;
}

SumRougeScore
sum_rouge_n (const SumRougeText *cand, const SumRougeText *ref, guint n)
{
  guint ct, rt;
  GHashTable *c = count_ngrams (cand, n, &ct);
  GHashTable *r = count_ngrams (ref, n, &rt);
  double hits = 0;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, r);
  while (g_hash_table_iter_next (&it, &k, &v))
    hits += MIN (GPOINTER_TO_UINT (v), GPOINTER_TO_UINT (g_hash_table_lookup (c, k)));
  g_hash_table_unref (c);
  g_hash_table_unref (r);
  return score_of (hits, rt, ct);
}

/* Marks in hit[] the words of r on one LCS with c (standard DP, then a walk back). */
static void
lcs_mark (GPtrArray *r, GPtrArray *c, gboolean *hit)
{
  guint m = r->len, n = c->len;
  guint *d = g_new0 (guint, (gsize) (m + 1) * (n + 1));
#define D(i, j) d[(gsize) (i) * (n + 1) + (j)]
  for (guint i = 1; i <= m; i++)
    for (guint j = 1; j <= n; j++)
      if (strcmp (g_ptr_array_index (r, i - 1), g_ptr_array_index (c, j - 1)) == 0)
        D (i, j) = D (i - 1, j - 1) + 1;
      else
        D (i, j) = MAX (D (i - 1, j), D (i, j - 1));
  guint i = m, j = n;
  while (i > 0 && j > 0)
    {
      if (strcmp (g_ptr_array_index (r, i - 1), g_ptr_array_index (c, j - 1)) == 0)
        {
          hit[i - 1] = TRUE;
          i--;
          j--;
        }
      else if (D (i - 1, j) >= D (i, j - 1))
        i--;
      else
        j--;
    }
#undef D
  g_free (d);
}

guint
sum_rouge_union_lcs (const SumRougeText *cand, const SumRougeText *ref, guint ref_sentence)
{
  GPtrArray *r = g_ptr_array_index (ref->sentences, ref_sentence);
  gboolean *hit = g_new0 (gboolean, r->len);
  for (guint j = 0; j < cand->sentences->len; j++)
    lcs_mark (r, g_ptr_array_index (cand->sentences, j), hit);
  guint u = 0;
  for (guint i = 0; i < r->len; i++)
    u += hit[i] ? 1 : 0;
  g_free (hit);
  return u;
}

SumRougeScore
sum_rouge_l (const SumRougeText *cand, const SumRougeText *ref)
{
  double hits = 0;
  for (guint i = 0; i < ref->sentences->len; i++)
    hits += sum_rouge_union_lcs (cand, ref, i);
  return score_of (hits, ref->n_tokens, cand->n_tokens);
}
