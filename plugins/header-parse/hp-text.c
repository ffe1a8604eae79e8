/* hp-text.c: small text helpers for header-parse: a markup-free copy with an offset map, character tests. */
#include "hp-text.h"

#include <string.h>

gsize
hp_markup_open_len (const char *p, const char *end)
{
  static const char *const opens[] = { "[PER ", "[LOC ", "[ORG ", "[MISC " };

  if (p >= end || *p != '[')
    return 0;
  for (guint i = 0; i < G_N_ELEMENTS (opens); i++)
    {
      gsize n = strlen (opens[i]);
      if ((gsize) (end - p) >= n && memcmp (p, opens[i], n) == 0)
        return n;
    }
  return 0;
}

static void
clean_add_run (HpClean *clean, const char *text, gsize o, gsize n)
{
  HpRun run = { clean->s->len, o };

  if (n == 0)
    return;
  g_array_append_val (clean->runs, run);
  g_string_append_len (clean->s, text + o, n);
}

/* The next byte at or after p (< end) that may start markup, close it or be a pilcrow:
 * memchr runs over the long plain stretches. */
static const char *
next_special (const char *p, const char *end, guint depth)
{
  const char *a = memchr (p, '[', end - p);
  const char *b = memchr (p, 0xC2, (a ? a : end) - p);
  const char *best = b ? b : a;

  if (depth > 0)
    {
      const char *c = memchr (p, ']', (best ? best : end) - p);
      if (c)
        best = c;
    }
  return best ? best : end;
}

struct _HpScratch {
  GString *s[HP_CLEAN_SLOTS];
  GArray  *runs[HP_CLEAN_SLOTS];
};

HpScratch *
hp_scratch_new (void)
{
  return g_new0 (HpScratch, 1);
}

void
hp_scratch_free (HpScratch *sc)
{
  if (!sc)
    return;
  for (guint i = 0; i < HP_CLEAN_SLOTS; i++)
    {
      if (sc->s[i])
        g_string_free (sc->s[i], TRUE);
      if (sc->runs[i])
        g_array_unref (sc->runs[i]);
    }
  g_free (sc);
}

void
hp_clean_init (HpClean *clean, HpScratch *sc, int slot, const char *text, gsize from, gsize to,
               const HpRange *skip, guint n_skip)
{
  guint depth = 0, k = 0;
  gsize i = from, run_start = from;

  clean->slot = slot;
  if (sc && slot >= 0 && slot < HP_CLEAN_SLOTS)
    {
      if (!sc->s[slot])
        {
          sc->s[slot] = g_string_sized_new (4096);
          sc->runs[slot] = g_array_sized_new (FALSE, FALSE, sizeof (HpRun), 64);
        }
      clean->s = sc->s[slot];
      clean->runs = sc->runs[slot];
      g_string_truncate (clean->s, 0);
      g_array_set_size (clean->runs, 0);
    }
  else
    {
      clean->slot = -1;
      clean->s = g_string_sized_new (to - from + 1);
      clean->runs = g_array_sized_new (FALSE, FALSE, sizeof (HpRun), 16);
    }
  while (i < to)
    {
      gsize seg_end = to, cut = 0;
      const char *q;

      while (k < n_skip && skip[k].end <= i)
        k++;
      if (k < n_skip && skip[k].start <= i)
        {
          /* a skipped range (a page-break line) */
          gsize s0 = skip[k].start;
          clean_add_run (clean, text, run_start, i - run_start);
          i = MIN (skip[k].end, to);
          /* a whole line goes with its line end, so no blank line is left where a wrapped
           * value (a subject, a TAGS line) went on to the next page */
          if (s0 > 0 && text[s0 - 1] == '\n')
            {
              gsize j = i;
              while (j < to && hp_is_blank (text[j]))
                j++;
              if (j < to && text[j] == '\n')
                i = j + 1;
            }
          run_start = i;
          continue;
        }
      if (k < n_skip && skip[k].start < to)
        seg_end = skip[k].start;
      q = next_special (text + i, text + seg_end, depth);
      i = q - text;
      if (i >= seg_end)
        continue;
      if (*q == '[')
        {
          cut = hp_markup_open_len (q, text + to);
          if (cut)
            depth++;
        }
      else if (*q == ']')
        {
          /* the close is "  ]": keep one space so "[LOC X  ] 0001" still reads "X 0001" */
          if (depth > 0 && i >= run_start + 2 && q[-1] == ' ' && q[-2] == ' ')
            {
              HpRun run;
              depth--;
              clean_add_run (clean, text, run_start, i - 2 - run_start);
              run.c = clean->s->len;
              run.o = i - 2;
              g_array_append_val (clean->runs, run);
              g_string_append_c (clean->s, ' ');
              i++;
              run_start = i;
              continue;
            }
        }
      else if (i + 1 < to && (guchar) q[1] == 0xB6)
        cut = 2;  /* pilcrow of the paragraph anchors */
      if (cut == 0)
        {
          i++;
          continue;
        }
      clean_add_run (clean, text, run_start, i - run_start);
      i += cut;
      run_start = i;
    }
  clean_add_run (clean, text, run_start, to - run_start);
  if (clean->runs->len == 0)
    {
      HpRun run = { 0, from };
      g_array_append_val (clean->runs, run);
    }
}

void
hp_clean_clear (HpClean *clean)
{
  if (clean->slot < 0)
    {
      if (clean->s)
        g_string_free (clean->s, TRUE);
      if (clean->runs)
        g_array_unref (clean->runs);
    }
  clean->s = NULL;
  clean->runs = NULL;
}

gsize
hp_clean_orig (const HpClean *clean, gsize offset)
{
  const HpRun *runs = (const HpRun *) clean->runs->data;
  guint lo = 0, hi = clean->runs->len;

  /* the last run starting at or before offset */
  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;
      if (runs[mid].c <= offset)
        lo = mid;
      else
        hi = mid;
    }
  if (offset < runs[lo].c)
    return runs[lo].o;
  return runs[lo].o + (offset - runs[lo].c);
}

gboolean
hp_has_prefix_ci (const char *p, const char *end, const char *w)
{
  for (; *w; w++, p++)
    if (p >= end || hp_upper (*p) != hp_upper (*w))
      return FALSE;
  return TRUE;
}

const char *
hp_line_end (const char *p, const char *end)
{
  const char *nl = memchr (p, '\n', end - p);
  return nl ? nl : end;
}

const char *
hp_line_start (const char *p, const char *begin)
{
  while (p > begin && p[-1] != '\n')
    p--;
  return p;
}

gboolean
hp_is_blank_range (const char *p, const char *e)
{
  for (; p < e; p++)
    if (!hp_is_space (*p))
      return FALSE;
  return TRUE;
}
