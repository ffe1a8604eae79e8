/* hp-body.c: the one linear pass over a cable body: paragraphs, section headings, page breaks. */
#include "hp-internal.h"

#include <string.h>

enum { C_NONE, C_NL, C_PILCROW, C_DIGIT, C_DASH };

/* the bytes the scan stops at; everything else is skipped in the tight loop */
static const guchar byte_class[256] = {
  ['\n'] = C_NL, [0xC2] = C_PILCROW, ['-'] = C_DASH,
  ['0'] = C_DIGIT, ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT, ['4'] = C_DIGIT,
  ['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT, ['8'] = C_DIGIT, ['9'] = C_DIGIT,
};

typedef struct {
  HpBody     *body;
  const char *t;
  gsize       from;
  gsize       to;
  const char *origin;
  gsize       origin_len;
  int         last_number;
} BodyScan;

/* ---- classification words (shared with the header) ---- */

static const struct {
  const char *word;
  const char *name;
} class_words[] = {
  { "SENSITIVE BUT UNCLASSIFIED", "SENSITIVE BUT UNCLASSIFIED" },
  { "LIMITED OFFICIAL USE", "LIMITED OFFICIAL USE" },
  { "UNCLASSIFIED", "UNCLASSIFIED" },
  { "CONFIDENTIAL", "CONFIDENTIAL" },
  { "TOP SECRET", "TOP SECRET" },
  { "SECRET", "SECRET" },
  { "UNCLAS", "UNCLASSIFIED" },
};

/* Matches w at p letter by letter, allowing one space between letters (the spaced
 * form) and a doubled first letter ("SS E C R E T"). */
static const char *
match_spaced (const char *p, const char *end, const char *w)
{
  gboolean first = TRUE;

  if (p < end && p + 1 < end && hp_upper (p[0]) == w[0] && hp_upper (p[1]) == w[0]
      && w[1] != w[0])
    p++;
  for (; *w; w++)
    {
      if (*w == ' ')
        {
          if (p >= end || *p != ' ')
            return NULL;
          while (p < end && *p == ' ')
            p++;
          first = TRUE;
          continue;
        }
      if (!first && p < end && *p == ' ' && p + 1 < end && hp_is_alpha (p[1]))
        p++;
      if (p >= end || hp_upper (*p) != *w)
        return NULL;
      p++;
      first = FALSE;
    }
  if (p < end && hp_is_alpha (*p))
    return NULL;
  return p;
}

const char *
hp_match_class (const char *p, const char *end, const char **after)
{
  for (guint i = 0; i < G_N_ELEMENTS (class_words); i++)
    {
      const char *q = match_spaced (p, end, class_words[i].word);
      if (q)
        {
          /* "S E C R E T" must not be read from "SECRETARY" nor "SECRET ARY" */
          if (after)
            *after = q;
          return class_words[i].name;
        }
    }
  return NULL;
}

gboolean
hp_is_class_only (const char *p, const char *e)
{
  const char *after;

  while (p < e && hp_is_space (*p))
    p++;
  while (e > p && hp_is_space (e[-1]))
    e--;
  if (p == e || !hp_match_class (p, e, &after))
    return FALSE;
  return hp_is_blank_range (after, e);
}

/* ---- paragraphs ---- */

/* "C", "SBU", "S//NF", "U//FOUO": classification and control words only, so "(Iran)" is no marking */
static gboolean
marking_ok (const char *m)
{
  static const char *const words[] = { "U", "C", "S", "TS", "SBU", "NF", "FOUO", "LOU", "REL", "NOFORN",
                                       "ORCON", "PROPIN", "EXDIS", "NODIS", "LIMDIS", "OC", "PR", "SI", NULL };

  while (*m)
    {
      const char *e = strchr (m, '/');
      gsize n = e ? (gsize) (e - m) : strlen (m);
      gboolean hit = n == 0;
      for (guint i = 0; words[i] && !hit; i++)
        hit = strlen (words[i]) == n && memcmp (words[i], m, n) == 0;
      if (!hit)
        return FALSE;
      m += n;
      if (*m == '/')
        m++;
    }
  return TRUE;
}

static char *
read_marking (const char *p, const char *end, const char **after)
{
  const char *q;
  char buf[24];
  gsize n = 0;

  if (p >= end || *p != '(')
    return NULL;
  for (q = p + 1; q < end && q - p < 24 && *q != ')'; q++)
    if (!hp_is_alpha (*q) && *q != '/' && *q != ' ')
      return NULL;
  if (q >= end || *q != ')')
    return NULL;
  for (const char *r = p + 1; r < q && n + 1 < sizeof buf; r++)
    if (*r != ' ')
      buf[n++] = hp_upper (*r);
  buf[n] = '\0';
  if (n == 0 || !marking_ok (buf))
    return NULL;
  *after = q + 1;
  return g_strndup (buf, n);
}

/* A paragraph number at p ("1." / "1 ." then whitespace), with its marking. */
static gboolean
try_para (BodyScan *bs, gsize start, gsize p, gboolean pilcrow)
{
  const char *t = bs->t, *end = t + bs->to, *q = t + p, *after;
  int n = 0, digits = 0;
  char *marking;
  HpPara para;

  while (q < end && hp_is_digit (*q) && digits < 4)
    n = n * 10 + (*q++ - '0'), digits++;
  if (digits == 0 || digits > 3 || n == 0)
    return FALSE;
  while (q < end && *q == ' ')
    q++;
  if (q >= end || *q != '.')
    return FALSE;
  q++;
  if (q < end && !hp_is_space (*q) && *q != '(')
    return FALSE;
  after = q;
  while (after < end && hp_is_space (*after) && after - q < 6)
    after++;
  marking = read_marking (after, end, &after);
  if (!pilcrow)
    {
      /* without the pilcrow only the next number in sequence is a paragraph */
      if (n != bs->last_number + 1 || (!marking && (after >= end || !hp_is_upper (*after))))
        {
          g_free (marking);
          return FALSE;
        }
    }
  para.start = start;
  para.end = 0;
  para.number = n;
  para.marking = marking;
  g_array_append_val (bs->body->paras, para);
  bs->last_number = n;
  return TRUE;
}

/* ---- page breaks ---- */

static gsize
skip_digits (const char *t, gsize i, gsize to, gsize *count)
{
  gsize s = i;
  while (i < to && hp_is_digit (t[i]))
    i++;
  *count = i - s;
  return i;
}

/* The start of the origin words that end just before i (skipping markup), or i. */
static gsize
origin_before (BodyScan *bs, gsize i)
{
  const char *t = bs->t;
  gsize p = i, lo = bs->from;

  while (p > lo && (t[p - 1] == ' ' || t[p - 1] == ']'))
    p--;
  if (bs->origin && p - lo >= bs->origin_len
      && memcmp (t + p - bs->origin_len, bs->origin, bs->origin_len) == 0)
    p -= bs->origin_len;
  else
    {
      gsize q = p;
      int words = 0;
      while (q > lo && words < 4)
        {
          gsize w = q;
          while (w > lo && hp_is_upper (t[w - 1]))
            w--;
          if (w == q || (w > lo && hp_is_alpha (t[w - 1])))
            break;
          if (w > lo && t[w - 1] == '[')
            {
              /* "[LOC MOSCOW  ]": the word was the markup's type */
              p = w - 1;
              break;
            }
          p = w;
          words++;
          q = w;
          if (q > lo && t[q - 1] == ' ' && q - 1 > lo && hp_is_upper (t[q - 2]))
            q--;
          else
            break;
        }
      if (words == 0)
        return i;
    }
  for (gsize k = 5; k <= 6; k++)
    if (p >= lo + k && hp_markup_open_len (t + p - k, t + bs->to) == k)
      return p - k;
  return p;
}

static void
add_break (BodyScan *bs, gsize start, gsize end)
{
  const char *t = bs->t;
  HpRange r;
  GArray *breaks = bs->body->breaks;

  /* old telegrams repeat the classification on the line before "PAGE 02 ..." */
  if (start > bs->from && (start == bs->from || t[start - 1] == '\n'))
    {
      const char *ls = hp_line_start (t + start - 1, t + bs->from);
      if (ls < t + start - 1 && hp_is_class_only (ls, t + start - 1))
        {
          while (hp_is_space (*ls))
            ls++;
          start = ls - t;
        }
    }
  if (breaks->len > 0 && g_array_index (breaks, HpRange, breaks->len - 1).end > start)
    return;
  r.start = start;
  r.end = end;
  g_array_append_val (breaks, r);
}

/* "MOSCOW 00002734 002 OF 003" (the number zero-padded to 8 digits). */
static gboolean
try_break_padded (BodyScan *bs, gsize i, gsize after_num)
{
  const char *t = bs->t;
  gsize j = after_num, n, start;

  if (j >= bs->to || t[j] != ' ')
    return FALSE;
  while (j < bs->to && t[j] == ' ' && j - after_num < 4)
    j++;
  j = skip_digits (t, j, bs->to, &n);
  if (n == 0 || n > 3)
    return FALSE;
  if (j < bs->to && t[j] == '.')
    {
      j = skip_digits (t, j + 1, bs->to, &n);
      if (n == 0)
        return FALSE;
    }
  if (j + 4 > bs->to || memcmp (t + j, " OF ", 4) != 0)
    return FALSE;
  j = skip_digits (t, j + 4, bs->to, &n);
  if (n == 0 || n > 3)
    return FALSE;
  start = origin_before (bs, i);
  if (start == i && !(i == bs->from || t[i - 1] == '\n'))
    return FALSE;
  add_break (bs, start, j);
  return TRUE;
}

/* "PAGE 02 STATE 015113 182333Z" and "PAGE 02 HARARE 06677 01 OF 03 291400Z". */
static gboolean
try_break_page (BodyScan *bs, gsize i, gsize after_num)
{
  const char *t = bs->t;
  gsize j = after_num, n, end, w;

  if (i < bs->from + 5 || memcmp (t + i - 5, "PAGE ", 5) != 0)
    return FALSE;
  if (i > bs->from + 5 && !hp_is_space (t[i - 6]))
    return FALSE;
  while (j < bs->to && t[j] == ' ')
    j++;
  w = j;
  while (j < bs->to && (hp_is_upper (t[j]) || (t[j] == ' ' && j + 1 < bs->to && hp_is_upper (t[j + 1]))))
    j++;
  if (j == w)
    return FALSE;
  while (j < bs->to && t[j] == ' ')
    j++;
  j = skip_digits (t, j, bs->to, &n);
  if (n < 3)
    return FALSE;
  end = j;
  /* optional "01 OF 03" */
  {
    gsize k = j, m;
    while (k < bs->to && t[k] == ' ')
      k++;
    k = skip_digits (t, k, bs->to, &m);
    if (m > 0 && k + 4 <= bs->to && memcmp (t + k, " OF ", 4) == 0)
      {
        k = skip_digits (t, k + 4, bs->to, &m);
        if (m > 0)
          end = j = k;
      }
  }
  /* optional date-time group */
  {
    gsize k = j, m;
    while (k < bs->to && t[k] == ' ')
      k++;
    k = skip_digits (t, k, bs->to, &m);
    if (m == 6 && k < bs->to && t[k] == 'Z')
      end = k + 1;
  }
  add_break (bs, i - 5, end);
  return TRUE;
}

/* ---- section headings ---- */

static char *
clean_title (HpScratch *scratch, const char *t, gsize s, gsize e)
{
  HpClean c;
  char *title;

  hp_clean_init (&c, scratch, HP_SLOT_TITLE, t, s, e, NULL, 0);
  title = hp_normalize_value (c.s->str, c.s->len);
  hp_clean_clear (&c);
  return title;
}

static gboolean
has_letter (const char *s)
{
  for (; *s; s++)
    if (hp_is_alpha (*s) || (guchar) *s >= 0x80)
      return TRUE;
  return FALSE;
}

static void
try_section (BodyScan *bs, gsize i, gsize k)
{
  const char *t = bs->t, *begin = t + bs->from, *end = t + bs->to;
  const char *ls = hp_line_start (t + i, begin), *le = hp_line_end (t + k, end);
  gsize ts, te, run = k - i;
  glong len;
  char *title;
  HpSection sec;

  if (hp_is_blank_range (ls, t + i))
    {
      const char *ple, *pls;
      if (!hp_is_blank_range (t + k, le))
        return;
      if (ls == begin)
        return;
      ple = ls - 1;
      pls = hp_line_start (ple, begin);
      if (hp_is_blank_range (pls, ple))
        return;
      ts = pls - t;
      te = ple - t;
    }
  else
    {
      /* the tokenized form: "Summary ------- ¶1 ." on one line */
      const char *q = t + k;
      while (q < le && *q == ' ')
        q++;
      if (q < le && !((guchar) q[0] == 0xC2 && q + 1 < le && (guchar) q[1] == 0xB6) && !hp_is_digit (*q))
        return;
      ts = ls - t;
      te = i;
    }
  while (ts < te && hp_is_space (t[ts]))
    ts++;
  /* a page header line is no title */
  if (bs->body->breaks->len > 0 && g_array_index (bs->body->breaks, HpRange, bs->body->breaks->len - 1).end > ts)
    return;
  /* the raw title is at least as long as the clean one, and at most 4 bytes a character longer
   * plus its markup: reject the plain mismatches before copying anything */
  if ((glong) (te - ts) < (glong) run - 3 - (glong) run / 4 || te - ts > 4 * (run + 3 + run / 4) + 256)
    return;
  title = clean_title (bs->body->scratch, t, ts, te);
  len = g_utf8_strlen (title, -1);
  if (len == 0 || len > 120 || !has_letter (title)
      || ABS (len - (glong) run) > 3 + (glong) run / 4
      || (bs->body->sections->len > 0
          && g_array_index (bs->body->sections, HpSection, bs->body->sections->len - 1).end > ts))
    {
      g_free (title);
      return;
    }
  sec.start = ts;
  sec.end = k;
  sec.title = title;
  g_array_append_val (bs->body->sections, sec);
}

/* ---- the pass ---- */

static void
at_line_start (BodyScan *bs, gsize p)
{
  const char *t = bs->t;
  gsize q = p;

  while (q < bs->to && hp_is_blank (t[q]))
    q++;
  if (q < bs->to && hp_is_digit (t[q]))
    try_para (bs, q, q, FALSE);
}

void
hp_body_scan (HpBody *body, const char *text, gsize from, gsize to, const char *origin, HpScratch *scratch)
{
  BodyScan bs = { body, text, from, to, origin, origin ? strlen (origin) : 0, 0 };
  const guchar *t = (const guchar *) text;
  gsize i = from;

  body->scratch = scratch;
  /* sized for a typical cable, so growing them rarely reallocates */
  body->paras = g_array_sized_new (FALSE, FALSE, sizeof (HpPara), 32);
  body->sections = g_array_sized_new (FALSE, FALSE, sizeof (HpSection), 16);
  body->breaks = g_array_sized_new (FALSE, FALSE, sizeof (HpRange), 16);
  at_line_start (&bs, from);
  while (i < to)
    {
      guchar cls = byte_class[t[i]];

      if (G_LIKELY (cls == C_NONE))
        {
          i++;
          continue;
        }
      switch (cls)
        {
        case C_NL:
          at_line_start (&bs, i + 1);
          i++;
          break;
        case C_PILCROW:
          if (i + 1 < to && t[i + 1] == 0xB6)
            {
              gsize q = i + 2;
              while (q < to && t[q] == ' ')
                q++;
              if (q < to && hp_is_digit (t[q]))
                try_para (&bs, i, q, TRUE);
            }
          i++;
          break;
        case C_DIGIT:
          if (i > from && hp_is_digit (t[i - 1]))
            {
              i++;
              break;
            }
          {
            gsize n, j = skip_digits (text, i, to, &n);
            if (n == 8)
              try_break_padded (&bs, i, j);
            else if (n == 2)
              try_break_page (&bs, i, j);
            i = j;
          }
          break;
        case C_DASH:
          {
            gsize k = i, dashes = 0;
            while (k < to && (t[k] == '-' || (t[k] == ' ' && k + 1 < to && t[k + 1] == '-')))
              dashes += t[k++] == '-';
            if (dashes >= 3)
              try_section (&bs, i, k);
            i = k;
          }
          break;
        default:
          i++;
        }
    }
}

void
hp_body_clear (HpBody *body)
{
  if (body->paras)
    {
      for (guint i = 0; i < body->paras->len; i++)
        g_free (g_array_index (body->paras, HpPara, i).marking);
      g_array_unref (body->paras);
    }
  if (body->sections)
    {
      for (guint i = 0; i < body->sections->len; i++)
        g_free (g_array_index (body->sections, HpSection, i).title);
      g_array_unref (body->sections);
    }
  if (body->breaks)
    g_array_unref (body->breaks);
  memset (body, 0, sizeof *body);
}
