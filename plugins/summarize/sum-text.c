/* sum-text.c: cable-aware layout, sentence segmentation and explicit-summary detection over plain text. */
#include "sum-text.h"

#include <string.h>

/* The text is first cut into "units" by marks: excluded pieces that either end
 * a sentence (headings, underlines, paragraph numbers and markings, summary
 * labels) or do not (page-break lines, which may fall inside a sentence; they come
 * from the hints only, header-parse being their one parser). Then
 * each unit is split at sentence ends. Every step is one pass over the text or
 * over the marks, so the whole analysis is linear (plus a sort of the marks). */

typedef enum {
  MARK_GAP,   /* excluded; a sentence continues across it */
  MARK_CUT,   /* excluded; ends the sentence */
  MARK_PARA,  /* excluded; ends the sentence and the paragraph */
} MarkKind;

typedef struct {
  gsize    start;
  gsize    end;
  MarkKind kind;
} Mark;

typedef enum {
  LINE_BLANK,
  LINE_TEXT,
  LINE_UNDERLINE,
  LINE_PAGE_BREAK,
  LINE_HEADING,
  LINE_SKIP,      /* SIPDIS and the like */
} LineKind;

typedef struct {
  gsize    start;   /* first byte of the line */
  gsize    end;     /* the '\n' or the body end */
  gsize    tstart;  /* trimmed */
  gsize    tend;
  LineKind kind;
} Line;

typedef struct {
  const char *text;
  gsize       len;
  gsize       body_start;
  gsize       body_end;
  GArray     *lines;    /* Line */
  GArray     *marks;    /* Mark */
  GArray     *gaps;     /* SumRange, sorted, inside the body */
  GArray     *starts;   /* gsize: paragraph content starts (after number and marking) */
  /* explicit summary clues */
  gssize      heading_summary_end;   /* end of a "Summary" heading, or -1 */
  gssize      heading_next;          /* start of the heading after it, or -1 */
  gssize      label_start;           /* text after a "Summary:" label, or -1 */
  gsize       label_para_end;        /* end of the paragraph holding the label */
  GArray     *end_markers;          /* SumRange of "End Summary." */
  GArray     *headings;             /* SumRange of every heading, in order */
} Scan;

/* ---- characters ---- */

/* Byte classes for the tight scanning loops. */
enum {
  B_TERM = 1,    /* . ? ! */
  B_E = 2,       /* e E */
  B_LINE = 4,    /* bytes scan_text_line looks at: 0xC2 (pilcrow) - = _ */
};

static const guchar byte_class[256] = {
  ['.'] = B_TERM, ['?'] = B_TERM, ['!'] = B_TERM,
  ['e'] = B_E, ['E'] = B_E,
  [0xC2] = B_LINE, ['-'] = B_LINE, ['='] = B_LINE, ['_'] = B_LINE,
};

static inline gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline gboolean
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static inline gboolean
is_alpha_ascii (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* U+00A0 (no-break space) counts as space too: html-strip may leave it. */
static gsize
space_len (const char *t, gsize p, gsize end)
{
  if (p < end && is_space (t[p]))
    return 1;
  if (p + 1 < end && (guchar) t[p] == 0xC2 && (guchar) t[p + 1] == 0xA0)
    return 2;
  return 0;
}

static gunichar
char_at (const char *t, gsize p, gsize end)
{
  if ((guchar) t[p] < 0x80)
    return (gunichar) t[p];
  gunichar c = g_utf8_get_char_validated (t + p, (gssize) (end - p));
  return (c == (gunichar) -1 || c == (gunichar) -2) ? 0xFFFD : c;
}

static gsize
char_len (const char *t, gsize p)
{
  guchar c = (guchar) t[p];
  if (c < 0x80)
    return 1;
  if (c >= 0xF0)
    return 4;
  if (c >= 0xE0)
    return 3;
  return 2;
}

static gboolean
is_word_char (const char *t, gsize p, gsize end)
{
  if ((guchar) t[p] < 0x80)
    return g_ascii_isalnum (t[p]);
  return g_unichar_isalnum (char_at (t, p, end));
}

/* ---- lines ---- */

static gboolean
line_is_underline (const char *t, gsize s, gsize e)
{
  gsize n = 0;
  for (gsize p = s; p < e; p++)
    {
      if (t[p] == '-' || t[p] == '=' || t[p] == '_' || t[p] == '*')
        n++;
      else if (!is_space (t[p]))
        return FALSE;
    }
  return n >= 3;
}

static gboolean
span_equals_ci (const char *t, gsize s, gsize e, const char *word)
{
  gsize n = strlen (word);
  return e - s == n && g_ascii_strncasecmp (t + s, word, n) == 0;
}

static guint
count_words (const char *t, gsize s, gsize e)
{
  guint n = 0;
  gboolean in = FALSE;
  for (gsize p = s; p < e; p++)
    {
      gboolean sp = is_space (t[p]);
      if (!sp && !in)
        n++;
      in = !sp;
    }
  return n;
}

static void
scan_lines (Scan *sc)
{
  const char *t = sc->text;
  gsize p = sc->body_start;
  while (p < sc->body_end)
    {
      const char *nl = memchr (t + p, '\n', sc->body_end - p);
      gsize e = nl ? (gsize) (nl - t) : sc->body_end;
      Line l = { p, e, p, e, LINE_TEXT };
      gsize k;
      while (l.tstart < l.tend && (k = space_len (t, l.tstart, l.tend)) > 0)
        l.tstart += k;
      while (l.tend > l.tstart && is_space (t[l.tend - 1]))
        l.tend--;
      if (l.tstart == l.tend)
        l.kind = LINE_BLANK;
      else if (line_is_underline (t, l.tstart, l.tend))
        l.kind = LINE_UNDERLINE;
      else if (span_equals_ci (t, l.tstart, l.tend, "SIPDIS") || span_equals_ci (t, l.tstart, l.tend, "NOFORN"))
        l.kind = LINE_SKIP;
      g_array_append_val (sc->lines, l);
      p = nl ? e + 1 : sc->body_end;
    }
}

/* ---- header (when no stage marked it) ---- */

static const char *const header_keys[] = {
  "UNCLAS", "C O N F", "S E C R E T", "CONFIDENTIAL", "SECRET", "LIMITED OFFICIAL", "SENSITIVE",
  "SIPDIS", "NOFORN", "E.O.", "EO ", "E O ", "DECL", "TAGS", "SUBJECT", "SUBJ", "REF", "Classified By",
  "CLASSIFIED BY", "Reason", "PASS ", "DEPT ", "DEPARTMENT ", "EXDIS", "NODIS", "CORRECTED", "SECTION", "STATE FOR", "DEPT FOR",
  "FOR ", "ROME FOR", "USEU", "(U)", NULL
};

static gboolean
starts_with_ci (const char *t, gsize s, gsize e, const char *key)
{
  gsize n = strlen (key);
  return e - s >= n && g_ascii_strncasecmp (t + s, key, n) == 0;
}

static gsize find_in_line (const char *t, gsize s, gsize e, const char *key);

static gboolean
is_upper_line (const char *t, gsize s, gsize e)
{
  for (gsize p = s; p < e; p++)
    if (t[p] >= 'a' && t[p] <= 'z')
      return FALSE;
  return TRUE;
}

static const char *const section_words[] = {
  "SUMMARY", "BEGIN SUMMARY", "COMMENT", "BACKGROUND", "INTRODUCTION", "ACTION REQUEST", "OVERVIEW", NULL
};

/* A line that starts with a header key ("TAGS", "SUBJECT", "REF", a lettered reference). */
static gboolean
is_header_key (const char *t, gsize s, gsize e)
{
  if (e - s > 2 && (guchar) t[s] == 0xC2 && (guchar) t[s + 1] == 0xB6 && !is_digit (t[s + 2]))
    s += 2;  /* "¶B. OTTAWA 808": WikiLeaks puts a pilcrow before lettered references too */
  for (guint i = 0; header_keys[i]; i++)
    if (starts_with_ci (t, s, e, header_keys[i]))
      return TRUE;
  return FALSE;
}

static gboolean
is_header_line (const char *t, gsize s, gsize e)
{
  if (is_header_key (t, s, e))
    return TRUE;
  /* "LONDON FOR TSOU", "TRIPOLI 00000686 001.2 OF 002", "S/CT MARC NORMAN", "C O R R E C T E D COPY":
   * before the body, a short upper-case line that is not a paragraph or a section heading
   * is routing or header */
  for (guint i = 0; section_words[i]; i++)
    if (starts_with_ci (t, s, e, section_words[i]))
      return FALSE;
  if (e - s < 100 && is_upper_line (t, s, e) && t[e - 1] != '.' && !is_digit (t[s])
      && !((guchar) t[s] == 0xC2 && (guchar) t[s + 1] == 0xB6))
    return TRUE;
  return FALSE;
}

static gsize
find_in_line (const char *t, gsize s, gsize e, const char *key)
{
  gsize n = strlen (key);
  for (gsize p = s; p + n <= e; p++)
    if (g_ascii_strncasecmp (t + p, key, n) == 0)
      return p;
  return G_MAXSIZE;
}

static gsize skip_line_spaces (const char *t, gsize p, gsize end);
static gsize match_number (const char *t, gsize p, gsize end, gboolean need_pilcrow);

/* The first paragraph may follow the header on its line: "... REASON: 1.4 (b), (d) 1. (C) Summary: ..." */
static gsize
inline_first_paragraph (const char *t, gsize s, gsize e)
{
  for (gsize p = s + 1; p + 4 < e; p++)
    {
      if ((guchar) t[p] == 0xC2 && (guchar) t[p + 1] == 0xB6 && is_digit (t[skip_line_spaces (t, p + 2, e)]))
        return p;
      if (t[p] == '1' && t[p - 1] == ' ' && !is_digit (t[p + 1]))
        {
          gsize q = p + 1;
          if (t[q] == ' ')
            q++;
          if (q + 2 < e && t[q] == '.' && t[q + 1] == ' ' && t[q + 2] == '(')
            return p;
        }
    }
  return G_MAXSIZE;
}

/* Header lines start with a known key or continue the one before (no blank
 * line between and the one before did not end with a full stop). A line or
 * two before the first (a date, a title) is part of it. */
static gsize
detect_header (const char *t, gsize start, gsize end, SumRange *subject)
{
  gsize p = start, header_end = start, limit = MIN (end, start + 8192);
  gboolean open = FALSE, any = FALSE, subj_open = FALSE;
  guint lead = 0;
  while (p < limit)
    {
      const char *nl = memchr (t + p, '\n', end - p);
      gsize e = nl ? (gsize) (nl - t) : end;
      gsize s = p, te = e;
      while (s < te && is_space (t[s]))
        s++;
      while (te > s && is_space (t[te - 1]))
        te--;
      if (s == te)
        {
          open = FALSE;
          subj_open = FALSE;
        }
      else if (line_is_underline (t, s, te))
        break;  /* a section heading: the body has begun */
      else if (match_number (t, s, te, FALSE) != s && is_digit (t[skip_line_spaces (t, s + ((guchar) t[s] == 0xC2 ? 2 : 0), te)]))
        break;  /* "¶1." / "1. (C)": the first paragraph */
      else if (is_header_line (t, s, te) || open || (!any && lead < 2 && te - s < 80))
        {
          if (!any && !is_header_line (t, s, te))
            {
              lead++;
              p = nl ? e + 1 : end;
              continue;
            }
          any = TRUE;
          header_end = te;
          gsize para = inline_first_paragraph (t, s, te);
          if (para != G_MAXSIZE)
            {
              header_end = para;
              break;
            }
          gsize sj = find_in_line (t, s, te, "SUBJECT:");
          if (sj == G_MAXSIZE)
            sj = find_in_line (t, s, MIN (te, s + 4), "SUBJ");
          if (sj != G_MAXSIZE)
            {
              gsize c = sj;
              while (c < te && t[c] != ':' && !is_space (t[c]))
                c++;
              if (c < te && t[c] == ':')
                c++;
              while (c < te && is_space (t[c]))
                c++;
              gsize ce = find_in_line (t, c, te, "Classified By");
              subject->start = c;
              subject->end = ce == G_MAXSIZE ? te : ce;
              subj_open = ce == G_MAXSIZE;
            }
          else if (subj_open && !is_header_key (t, s, te))
            subject->end = te;
          else
            subj_open = FALSE;
          open = t[te - 1] != '.';
        }
      else
        break;
      p = nl ? e + 1 : end;
    }
  return header_end;
}

/* ---- paragraph numbers and markings ---- */

static gsize
skip_spaces (const char *t, gsize p, gsize end)
{
  gsize k;
  while (p < end && (k = space_len (t, p, end)) > 0)
    p += k;
  return p;
}

static gsize
skip_line_spaces (const char *t, gsize p, gsize end)
{
  while (p < end && (t[p] == ' ' || t[p] == '\t'))
    p++;
  return p;
}

static gboolean
marking_word (const char *t, gsize s, gsize e)
{
  static const char *const words[] = { "SBU", "LOU", "FOUO", "TS", "U", "C", "S", NULL };
  for (guint i = 0; words[i]; i++)
    {
      gsize n = strlen (words[i]);
      if (e - s >= n && g_ascii_strncasecmp (t + s, words[i], n) == 0
          && (e - s == n || !is_alpha_ascii (t[s + n])))
        return TRUE;
    }
  return FALSE;
}

/* A classification marking at @p: "(C)", "( SBU )", "(S/NF)", "(C - ENTIRE TEXT)",
 * "(S//Rel NATO, ISAF)", or "C)" without its opening parenthesis. Returns its end or @p. */
static gsize
match_marking (const char *t, gsize p, gsize end)
{
  gsize q = p;
  gboolean open = q < end && t[q] == '(';
  if (open)
    q = skip_line_spaces (t, q + 1, end);
  gsize ws = q;
  while (q < end && q - ws <= 40 && (is_alpha_ascii (t[q]) || t[q] == '/' || t[q] == ' ' || t[q] == ','
                                     || t[q] == '-'))
    q++;
  if (q >= end || t[q] != ')' || q == ws)
    return p;
  gsize we = q;
  while (we > ws && t[we - 1] == ' ')
    we--;
  if (!marking_word (t, ws, we))
    return p;
  if (!open && we - ws > 6)
    return p;
  return q + 1;
}

/* "¶12." / "¶3 ." / "12." / "4)" at @p: returns the end of the number and its
 * dot, or @p. With @need_pilcrow the "¶" must be there. */
static gsize
match_number (const char *t, gsize p, gsize end, gboolean need_pilcrow)
{
  gsize q = p;
  gboolean pilcrow = q + 1 < end && (guchar) t[q] == 0xC2 && (guchar) t[q + 1] == 0xB6;
  if (pilcrow)
    q = skip_line_spaces (t, q + 2, end);
  else if (need_pilcrow)
    return p;
  gsize ds = q;
  while (q < end && is_digit (t[q]) && q - ds < 3)
    q++;
  if (q == ds || (q < end && is_digit (t[q])))
    return pilcrow ? p + 2 : p;
  if (q < end && is_alpha_ascii (t[q]) && q + 1 < end && (t[q + 1] == '.' || t[q + 1] == ')'))
    q++;  /* "5a." */
  gsize d = skip_line_spaces (t, q, end);
  if (d < end && (t[d] == '.' || t[d] == ')'))
    q = d + 1;
  else if (!pilcrow)
    return p;
  if (q < end && !is_space (t[q]) && t[q] != '(' && !(pilcrow && q == d))
    return pilcrow ? p + 2 : p;
  return q;
}

/* Skips markings (possibly several, "(S)(Summary continued)" keeps the second) and spaces. */
static gsize
skip_markings (const char *t, gsize p, gsize end)
{
  for (int i = 0; i < 3; i++)
    {
      gsize q = skip_spaces (t, p, end);
      gsize m = match_marking (t, q, end);
      if (m == q)
        return q;
      p = m;
    }
  return skip_spaces (t, p, end);
}

static void
add_mark (Scan *sc, gsize s, gsize e, MarkKind kind)
{
  Mark m = { s, e, kind };
  g_array_append_val (sc->marks, m);
}

static void
add_para_start (Scan *sc, gsize mark_start, gsize content)
{
  add_mark (sc, mark_start, content, MARK_PARA);
  g_array_append_val (sc->starts, content);
}

static gsize end_marker_at (Scan *sc, gsize p);

/* ---- headings and lines ---- */

static gboolean
ends_sentence_like (const char *t, gsize e)
{
  char c = t[e - 1];
  return c == '.' || c == '?' || c == '!' || c == ';' || c == ',' || c == '"'
         || ((guchar) c == 0x9D && e >= 3 && (guchar) t[e - 3] == 0xE2);
}

static gboolean
looks_like_heading (const Scan *sc, gsize s, gsize e)
{
  if (e <= s || e - s > 100 || count_words (sc->text, s, e) > 12)
    return FALSE;
  if (match_number (sc->text, s, e, FALSE) != s || match_number (sc->text, s, e, TRUE) != s)
    return FALSE;
  return TRUE;
}

static void
add_heading (Scan *sc, gsize s, gsize e)
{
  SumRange r = { s, e };
  add_mark (sc, s, e, MARK_PARA);
  g_array_append_val (sc->headings, r);
}

static const Line *
line_at (const Scan *sc, gssize i)
{
  if (i < 0 || (guint) i >= sc->lines->len)
    return NULL;
  return &g_array_index (sc->lines, Line, i);
}

static gboolean
line_is_edge (const Line *l)
{
  return !l || l->kind == LINE_BLANK || l->kind == LINE_UNDERLINE || l->kind == LINE_HEADING;
}

static void
classify_headings (Scan *sc)
{
  for (guint i = 0; i < sc->lines->len; i++)
    {
      Line *l = &g_array_index (sc->lines, Line, i);
      if (l->kind != LINE_TEXT)
        continue;
      const Line *next = line_at (sc, i + 1);
      const Line *prev = line_at (sc, (gssize) i - 1);
      /* a heading stands alone above its underline; a wrapped paragraph's last line does not */
      gboolean under = next && next->kind == LINE_UNDERLINE
                       && (line_is_edge (prev) || !ends_sentence_like (sc->text, l->tend));
      gboolean alone = line_is_edge (prev) && (!next || next->kind == LINE_BLANK)
                       && !ends_sentence_like (sc->text, l->tend) && l->tend - l->tstart <= 100
                       && count_words (sc->text, l->tstart, l->tend) <= 10;
      if ((under || alone) && looks_like_heading (sc, l->tstart, l->tend))
        l->kind = LINE_HEADING;
    }
}

/* Inside a text line: "¶N." anywhere, an inline underline run ("Summary ------- ¶1 ."
 * in one line, as tokenized text has it), bullets and lettered items. */
static void
scan_text_line (Scan *sc, const Line *l, gboolean para_edge)
{
  const char *t = sc->text;
  gsize seg = l->tstart;   /* where the current piece of the line began */
  gsize p = l->tstart;

  /* a paragraph number at the line start */
  gsize n = match_number (t, p, l->tend, FALSE);
  if (n != p)
    {
      gsize c = skip_markings (t, n, sc->body_end);
      if (para_edge || match_marking (t, skip_spaces (t, n, l->tend), l->tend) != skip_spaces (t, n, l->tend))
        {
          add_para_start (sc, p, c);
          p = seg = c;
        }
    }
  else if (para_edge)
    {
      gsize c = skip_markings (t, p, l->tend);
      if (c != p)
        add_para_start (sc, p, c);
      else
        g_array_append_val (sc->starts, p);
      p = seg = c;
    }
  /* bullets and lettered items end the sentence before them */
  if (p == l->tstart || p == seg)
    {
      gsize b = p;
      if (b + 2 < l->tend && t[b] == '-' && t[b + 1] == '-')
        b += 2;
      else if (b + 1 < l->tend && (t[b] == '-' || t[b] == '*') && t[b + 1] == ' ')
        b += 1;
      else if (b + 2 < l->tend && g_ascii_isalpha (t[b]) && (t[b + 1] == ')' || t[b + 1] == '.') && t[b + 2] == ' '
               && (para_edge || g_ascii_islower (t[b])))
        b += 2;
      else if (b + 3 < l->tend && t[b] == '(' && g_ascii_isalnum (t[b + 1]) && t[b + 2] == ')' && t[b + 3] == ' ')
        b += 3;
      if (b != p)
        {
          add_mark (sc, p, skip_spaces (t, b, l->tend), MARK_CUT);
          p = skip_spaces (t, b, l->tend);
        }
    }
  while (p < l->tend)
    {
      while (p < l->tend && !(byte_class[(guchar) t[p]] & (B_LINE | B_E)))
        p++;
      if (p >= l->tend)
        break;
      guchar c = (guchar) t[p];
      if (c == 'e' || c == 'E')
        {
          gsize w = end_marker_at (sc, p);
          p = w == p ? p + 1 : w;
          continue;
        }
      if (c == 0xC2 && p + 1 < l->tend && (guchar) t[p + 1] == 0xB6)
        {
          gsize e = match_number (t, p, l->tend, TRUE);
          gsize ce = skip_markings (t, e, sc->body_end);  /* tokenized text puts "( C )" on the next line */
          add_para_start (sc, p, ce);
          p = seg = ce;
          continue;
        }
      if ((c == '-' || c == '=' || c == '_') && p + 3 < l->tend && t[p + 1] == (char) c && t[p + 2] == (char) c
          && t[p + 3] == (char) c)
        {
          gsize e = p;
          while (e < l->tend && t[e] == (char) c)
            e++;
          /* the text of the line before the run is the heading */
          gsize hs = seg;
          gsize he = p;
          while (he > hs && is_space (t[he - 1]))
            he--;
          if (he > hs && looks_like_heading (sc, hs, he))
            add_heading (sc, hs, he);
          add_mark (sc, p, e, MARK_PARA);
          p = seg = skip_spaces (t, e, l->tend);
          continue;
        }
      p++;
    }
}

static void
scan_layout (Scan *sc)
{
  classify_headings (sc);
  gboolean edge = TRUE;
  for (guint i = 0; i < sc->lines->len; i++)
    {
      Line *l = &g_array_index (sc->lines, Line, i);
      switch (l->kind)
        {
        case LINE_BLANK:
        case LINE_UNDERLINE:
          add_mark (sc, l->start, l->end, MARK_PARA);
          edge = TRUE;
          break;
        case LINE_HEADING:
          if (end_marker_at (sc, l->tstart) != l->tstart)
            {
              edge = TRUE;  /* "END SUMMARY" alone on its line */
              break;
            }
          add_heading (sc, l->tstart, l->tend);
          add_mark (sc, l->start, l->end, MARK_PARA);
          edge = TRUE;
          break;
        case LINE_SKIP:
          add_mark (sc, l->start, l->end, MARK_CUT);
          break;
        case LINE_PAGE_BREAK:
          break;
        case LINE_TEXT:
          scan_text_line (sc, l, edge);
          edge = FALSE;
          break;
        }
    }
}

/* ---- explicit summary markers ---- */

static gboolean
word_at_ci (const char *t, gsize p, gsize end, const char *w, gsize *after)
{
  gsize n = strlen (w);
  if (end - p < n || g_ascii_strncasecmp (t + p, w, n) != 0)
    return FALSE;
  if (p + n < end && g_ascii_isalnum (t[p + n]))
    return FALSE;
  *after = p + n;
  return TRUE;
}

/* "Summary", "Summary and Comment", "Begin Summary", "Introduction and Summary",
 * "Summary continued", "Summary and comment con't": returns the end or @p. */
static gsize
match_summary_words (const char *t, gsize p, gsize end, gboolean *continued)
{
  gsize q = p, a;
  *continued = FALSE;
  if (word_at_ci (t, q, end, "begin", &a) || word_at_ci (t, q, end, "executive", &a))
    q = skip_line_spaces (t, a, end);
  else if (word_at_ci (t, q, end, "introduction", &a))
    {
      q = skip_line_spaces (t, a, end);
      if (!word_at_ci (t, q, end, "and", &a))
        return p;
      q = skip_line_spaces (t, a, end);
    }
  if (!word_at_ci (t, q, end, "summary", &a))
    return p;
  q = a;
  gsize r = skip_line_spaces (t, q, end);
  if (word_at_ci (t, r, end, "and", &a))
    {
      gsize w = skip_line_spaces (t, a, end);
      static const char *const tails[] = { "comment", "comments", "recommendation", "recommendations", "action request",
                                           "analysis", "introduction", "background", "outlook", "objectives", NULL };
      for (guint i = 0; tails[i]; i++)
        if (word_at_ci (t, w, end, tails[i], &a))
          {
            q = a;
            break;
          }
      r = skip_line_spaces (t, q, end);
    }
  /* "Summary continued", "SUMMARY (CONT'D):", "Summary, cont'd.", "Summary and comment con’t." */
  gsize c = r;
  if (c < end && (t[c] == ',' || t[c] == '('))
    c = skip_line_spaces (t, c + 1, end);
  static const char *const conts[] = { "continued", "cont'd", "con't", "cont\xe2\x80\x99" "d", "con\xe2\x80\x99" "t",
                                       "cont.", "cont", NULL };
  for (guint i = 0; conts[i]; i++)
    {
      gsize n = strlen (conts[i]);
      if (end - c >= n && g_ascii_strncasecmp (t + c, conts[i], n) == 0)
        {
          *continued = TRUE;
          q = c + n;
          if (q < end && t[q] == ')')
            q++;
          break;
        }
    }
  return q;
}

/* A label at a paragraph start: "Summary:", "SUMMARY.", "(Summary continued)",
 * "Summary and Comment:", "BEGIN SUMMARY". Returns the end of the label or @p. */
static gsize
match_summary_label (const char *t, gsize p, gsize end, gboolean *continued)
{
  gsize q = p;
  gboolean paren = q < end && t[q] == '(';
  if (paren)
    q++;
  gsize w = match_summary_words (t, q, end, continued);
  if (w == q)
    return p;
  q = skip_line_spaces (t, w, end);
  if (paren && q < end && t[q] == ')')
    q = skip_line_spaces (t, q + 1, end);
  if (q < end && (t[q] == ':' || t[q] == '.' || t[q] == '-'))
    q++;
  else if (!(paren || *continued || starts_with_ci (t, p, end, "begin")))
    return p;
  return skip_spaces (t, q, end);
}

static void
find_labels (Scan *sc)
{
  const char *t = sc->text;
  sc->label_start = -1;
  for (guint i = 0; i < sc->starts->len; i++)
    {
      gsize s = g_array_index (sc->starts, gsize, i);
      gboolean cont;
      gsize e = match_summary_label (t, s, sc->body_end, &cont);
      if (e == s)
        continue;
      e = skip_markings (t, e, sc->body_end);
      add_mark (sc, s, e, MARK_CUT);
      if (sc->label_start < 0 && !cont)
        sc->label_start = (gssize) e;
    }
  sc->heading_summary_end = -1;
  sc->heading_next = -1;
  for (guint i = 0; i < sc->headings->len; i++)
    {
      SumRange *h = &g_array_index (sc->headings, SumRange, i);
      gboolean cont;
      gsize e = match_summary_words (t, h->start, h->end, &cont);
      if (e != h->start && skip_spaces (t, e, h->end) >= h->end - (t[h->end - 1] == ':' ? 1 : 0) && !cont
          && sc->heading_summary_end < 0)
        {
          sc->heading_summary_end = (gssize) h->end;
          if (i + 1 < sc->headings->len)
            sc->heading_next = (gssize) g_array_index (sc->headings, SumRange, i + 1).start;
        }
    }
}

/* "End Summary.", "END SUMMARY AND COMMENT.", "(End Summary)", "End of summary";
 * also "End Comment." and "END INTRODUCTION.", which are not sentences either.
 * Called at each 'e'/'E' of a text line; returns the marker's end, or @p. */
static gsize
end_marker_at (Scan *sc, gsize p)
{
  const char *t = sc->text;
  gsize end = sc->body_end, a;
  if (p + 3 >= end || (p > sc->body_start && g_ascii_isalnum (t[p - 1])))
    return p;
  if (!word_at_ci (t, p, end, "end", &a) || a >= end || !is_space (t[a]))
    return p;
  gsize q = skip_spaces (t, a, end);  /* "End \nsummary." happens */
  if (word_at_ci (t, q, end, "of", &a))
    q = skip_spaces (t, a, end);
  gboolean cont, summary = FALSE;
  gsize w = match_summary_words (t, q, end, &cont);
  if (w != q)
    summary = TRUE;
  else if (word_at_ci (t, q, end, "comment", &w) || word_at_ci (t, q, end, "introduction", &w)
           || word_at_ci (t, q, end, "note", &w) || word_at_ci (t, q, end, "background", &w))
    ;
  else
    return p;
  gsize ms = p;
  if (ms > sc->body_start && t[ms - 1] == '(')
    ms--;
  w = skip_line_spaces (t, w, end);
  if (w < end && (t[w] == '.' || t[w] == ',' || t[w] == ':' || t[w] == ';'))
    w++;
  if (w < end && t[w] == ')')
    w++;
  else if (w + 1 < end && t[w] == ' ' && t[w + 1] == ')')
    w += 2;
  if (w < end && (t[w] == '.' || t[w] == ','))
    w++;
  add_mark (sc, ms, w, MARK_CUT);
  if (summary)
    {
      SumRange r = { ms, w };
      g_array_append_val (sc->end_markers, r);
    }
  return w;
}

/* ---- explicit summary ---- */

static gsize
para_end_after (const Scan *sc, const GArray *marks, gsize pos)
{
  /* binary search for the first mark after pos, then the next paragraph mark */
  guint lo = 0, hi = marks->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (g_array_index (marks, Mark, mid).start > pos)
        hi = mid;
      else
        lo = mid + 1;
    }
  for (guint i = lo; i < marks->len; i++)
    {
      const Mark *m = &g_array_index (marks, Mark, i);
      if (m->kind == MARK_PARA && m->start > pos)
        return m->start;
    }
  return sc->body_end;
}

static gsize
first_content (const Scan *sc, const GArray *marks)
{
  gsize p = sc->body_start;
  for (guint i = 0; i < marks->len; i++)
    {
      const Mark *m = &g_array_index (marks, Mark, i);
      gsize q = skip_spaces (sc->text, p, sc->body_end);
      if (m->start > q)
        return q;
      p = MAX (p, m->end);
    }
  return skip_spaces (sc->text, p, sc->body_end);
}

static gssize
first_end_marker_after (const Scan *sc, gsize pos, gsize limit)
{
  for (guint i = 0; i < sc->end_markers->len; i++)
    {
      const SumRange *r = &g_array_index (sc->end_markers, SumRange, i);
      if (r->start >= pos && r->start <= limit)
        return (gssize) i;
    }
  return -1;
}

/* Paragraphs right after the summary that say "(Summary continued)" belong to it. */
static gsize
extend_continued (const Scan *sc, const GArray *marks, gsize end)
{
  guint i = 0;  /* starts are sorted: one pass */
  for (;;)
    {
      gsize next = G_MAXSIZE;
      for (; i < sc->starts->len; i++)
        {
          gsize s = g_array_index (sc->starts, gsize, i);
          if (s >= end)
            {
              next = s;
              break;
            }
        }
      gboolean cont;
      if (next == G_MAXSIZE || match_summary_label (sc->text, next, sc->body_end, &cont) == next || !cont)
        return end;
      end = para_end_after (sc, marks, next);
    }
}

static void
choose_explicit (const Scan *sc, const GArray *marks, SumAnalysis *a)
{
  gsize body_len = sc->body_end - sc->body_start;
  gsize early = sc->body_start + MAX (body_len / 2, (gsize) 4096);
  gsize start = 0, end = 0;
  SumExplicitForm form = SUM_EXPLICIT_NONE;

  if (sc->heading_summary_end >= 0 && (gsize) sc->heading_summary_end < early)
    {
      form = SUM_EXPLICIT_HEADING;
      start = (gsize) sc->heading_summary_end;
      gsize limit = sc->heading_next >= 0 ? (gsize) sc->heading_next : sc->body_end;
      gssize m = first_end_marker_after (sc, start, limit);
      if (m >= 0)
        end = g_array_index (sc->end_markers, SumRange, m).start;
      else
        end = limit;
    }
  else if (sc->label_start >= 0 && (gsize) sc->label_start < early)
    {
      form = SUM_EXPLICIT_LABEL;
      start = (gsize) sc->label_start;
      gsize pe = para_end_after (sc, marks, start);
      gssize m = first_end_marker_after (sc, start, start + MAX (body_len / 2, (gsize) 8192));
      if (m >= 0)
        end = g_array_index (sc->end_markers, SumRange, m).start;
      else
        end = extend_continued (sc, marks, pe);
    }
  else if (sc->end_markers->len > 0)
    {
      const SumRange *r = &g_array_index (sc->end_markers, SumRange, 0);
      if (r->start < early)
        {
          form = SUM_EXPLICIT_END_ONLY;
          start = first_content (sc, marks);
          end = r->start;
        }
    }
  if (form == SUM_EXPLICIT_NONE || end <= start)
    return;
  a->explicit_form = form;
  a->explicit_range.start = start;
  a->explicit_range.end = end;
}

/* ---- marks to units ---- */

static int
mark_cmp (gconstpointer x, gconstpointer y)
{
  const Mark *a = x, *b = y;
  if (a->start != b->start)
    return a->start < b->start ? -1 : 1;
  if (a->end != b->end)
    return a->end < b->end ? -1 : 1;
  return (int) a->kind - (int) b->kind;
}

/* Sorted, overlapping marks merged (the stronger kind wins). */
static GArray *
merge_marks (Scan *sc)
{
  for (guint i = 0; i < sc->gaps->len; i++)
    {
      SumRange *g = &g_array_index (sc->gaps, SumRange, i);
      add_mark (sc, g->start, g->end, MARK_GAP);
    }
  g_array_sort (sc->marks, mark_cmp);
  GArray *out = g_array_sized_new (FALSE, FALSE, sizeof (Mark), sc->marks->len);
  for (guint i = 0; i < sc->marks->len; i++)
    {
      Mark m = g_array_index (sc->marks, Mark, i);
      if (out->len > 0)
        {
          Mark *last = &g_array_index (out, Mark, out->len - 1);
          if (m.start < last->end || (m.start == last->end && m.start == m.end))
            {
              last->end = MAX (last->end, m.end);
              last->kind = MAX (last->kind, m.kind);
              continue;
            }
        }
      g_array_append_val (out, m);
    }
  return out;
}

/* ---- sentence ends ---- */

static const char *const strong_abbrevs[] = {
  "mr", "mrs", "ms", "dr", "amb", "gen", "lt", "col", "maj", "sgt", "capt", "cpt", "adm", "sen", "rep", "gov",
  "pres", "prof", "rev", "hon", "messrs", "mmes", "st", "mt", "ft", "no", "nos", "vol", "fig", "para", "paras",
  "e.g", "i.e", "cf", "vs", "v", "dep", "amb", "ambs", "min", "sec", "asst", "dept", "approx", "ca", "gens",
  "brig", "cmdr", "cdr", "insp", "supt", "atty", "sr", "jr", "rt", NULL
};

static const char *const weak_abbrevs[] = {
  "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "etc", "inc", "co",
  "corp", "ltd", "bros", "govt", "est", "al", "a.m", "p.m", NULL
};

static const char *const starters[] = {
  "the", "a", "an", "he", "she", "it", "they", "we", "i", "in", "on", "at", "this", "that", "these", "those",
  "there", "his", "her", "its", "their", "our", "but", "and", "however", "as", "if", "when", "while", "after",
  "before", "according", "for", "with", "to", "of", "by", "from", "so", "also", "both", "one", "some",
  "many", "most", "such", "what", "who", "no", "not", "all", "each", "since", "although", "other",
  "post", "embassy", "we", "you", "itself", NULL
};

static gboolean
in_list_ci (const char *const *list, const char *t, gsize s, gsize e)
{
  char c = g_ascii_tolower (t[s]);
  for (guint i = 0; list[i]; i++)
    if (list[i][0] == c && span_equals_ci (t, s, e, list[i]))
      return TRUE;
  return FALSE;
}

typedef enum {
  ABBREV_NONE,
  ABBREV_WEAK,    /* may end a sentence: "U.S.", "Nov.", "Susan M." */
  ABBREV_STRONG,  /* never ends one: "Amb.", "Mr.", "St." */
} AbbrevKind;

/* The word before the '.' at @dot, from the last space (bounded: words are short). */
static AbbrevKind
abbrev_before (const char *t, gsize lo, gsize dot)
{
  gsize s = dot;
  while (s > lo && !is_space (t[s - 1]) && t[s - 1] != '(' && t[s - 1] != '"' && dot - s < 24)
    s--;
  if (s == dot || dot - s >= 24)
    return ABBREV_NONE;
  if (dot - s > 6 && memchr (t + s, '.', dot - s) == NULL)
    return ABBREV_NONE;  /* longer than any listed abbreviation: most sentence ends */
  if (in_list_ci (strong_abbrevs, t, s, dot))
    return ABBREV_STRONG;
  if (in_list_ci (weak_abbrevs, t, s, dot))
    return ABBREV_WEAK;
  /* initials and initialisms: "M", "U.S", "U.N", "D.C" (pieces of one or two letters) */
  gsize piece = 0;
  for (gsize p = s; p < dot; p++)
    {
      if (t[p] == '.')
        {
          if (piece == 0 || piece > 2)
            return ABBREV_NONE;
          piece = 0;
        }
      else if (is_alpha_ascii (t[p]))
        piece++;
      else
        return ABBREV_NONE;
    }
  if (piece == 0 || piece > 2)
    return ABBREV_NONE;
  if (piece == 2 && memchr (t + s, '.', dot - s) == NULL)
    return ABBREV_NONE;  /* a two-letter word ("is.") is not an abbreviation */
  if (piece == 1 && dot - s == 1 && !g_ascii_isupper (t[s]))
    return ABBREV_NONE;
  return ABBREV_WEAK;
}

static gboolean
is_closer (const char *t, gsize p, gsize end, gsize *len)
{
  char c = t[p];
  if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '.')
    {
      *len = 1;
      return TRUE;
    }
  if (p + 2 < end && (guchar) c == 0xE2 && (guchar) t[p + 1] == 0x80
      && ((guchar) t[p + 2] == 0x9D || (guchar) t[p + 2] == 0x99))
    {
      *len = 3;
      return TRUE;
    }
  if (p + 1 < end && (guchar) c == 0xC2 && (guchar) t[p + 1] == 0xBB)
    {
      *len = 2;
      return TRUE;
    }
  return FALSE;
}

typedef struct {
  const char     *t;
  gsize           end;
  const SumRange *gaps;
  guint           n_gaps;
  guint           gi;      /* first gap not yet passed */
} Cursor;

/* Skips spaces and page-break gaps from @p. */
static gsize
cursor_skip (Cursor *c, gsize p)
{
  for (;;)
    {
      gsize k;
      while (p < c->end && (k = space_len (c->t, p, c->end)) > 0)
        p += k;
      while (c->gi < c->n_gaps && c->gaps[c->gi].end <= p)
        c->gi++;
      if (p < c->end && c->gi < c->n_gaps && c->gaps[c->gi].start <= p)
        {
          p = c->gaps[c->gi].end;
          continue;
        }
      return p;
    }
}

/* Is there a sentence end at terminator @p (not yet past closers)? Sets *after. */
static gboolean
sentence_end_at (Cursor *c, gsize s, gsize p, gsize *after)
{
  const char *t = c->t;
  char term = t[p];
  gsize q = p + 1, k;
  while (q < c->end && is_closer (t, q, c->end, &k))
    q += k;
  *after = q;
  if (q < c->end && !space_len (t, q, c->end))
    {
      gboolean gap_next = FALSE;
      for (guint g = c->gi; g < c->n_gaps && c->gaps[g].start <= q; g++)
        if (c->gaps[g].start == q)
          gap_next = TRUE;
      if (!gap_next)
        return FALSE;
    }
  guint gi = c->gi;
  gsize n = cursor_skip (c, q);
  c->gi = gi;
  if (n >= c->end)
    return TRUE;
  gunichar next = char_at (t, n, c->end);
  if (g_unichar_islower (next))
    return FALSE;
  if (term != '.')
    return TRUE;
  AbbrevKind ab = abbrev_before (t, s, p);
  if (ab == ABBREV_STRONG)
    return FALSE;
  if (ab == ABBREV_WEAK)
    {
      /* "the U.S. The statement": an end only if a usual sentence opener follows */
      gsize we = n;
      while (we < c->end && is_alpha_ascii (t[we]))
        we++;
      return we > n && in_list_ci (starters, t, n, we);
    }
  return TRUE;
}

static void
emit_sentence (SumAnalysis *a, Cursor *c, gsize s, gsize e, guint para, gboolean *first, guint *gfirst)
{
  const char *t = c->t;
  /* "-- item" and "* item" inside a paragraph: the bullet is no part of the sentence */
  while (s + 1 < e && (t[s] == '-' || t[s] == '*') && (t[s + 1] == '-' || t[s + 1] == ' '))
    {
      while (s < e && (t[s] == '-' || t[s] == '*'))
        s++;
      while (s < e && is_space (t[s]))
        s++;
    }
  /* a marking that opens a sentence inside a paragraph ("A. (U) WHAT IS ...") is no part of it */
  if (s < e && t[s] == '(')
    {
      gsize m = match_marking (t, s, e);
      if (m != s)
        s = skip_spaces (t, m, e);
    }
  while (*gfirst < c->n_gaps && c->gaps[*gfirst].end <= s)
    (*gfirst)++;
  guint gl = *gfirst;  /* one past the last gap inside */
  while (gl < c->n_gaps && c->gaps[gl].start < e)
    gl++;
  for (;;)
    {
      while (e > s && is_space (t[e - 1]))
        e--;
      /* page-break text at the end belongs to no sentence */
      if (gl > *gfirst && c->gaps[gl - 1].end >= e && c->gaps[gl - 1].start < e)
        {
          e = MAX (s, c->gaps[gl - 1].start);
          gl--;
          continue;
        }
      break;
    }
  gboolean word = FALSE;
  for (gsize p = s; p < e && !word; p += char_len (t, p))
    word = is_word_char (t, p, e);
  if (!word)
    return;
  SumSentence st = { s, e, a->gaps->len, 0, para, *first ? SUM_SENTENCE_PARA_FIRST : 0 };
  for (guint g = *gfirst; g < gl; g++)
    if (c->gaps[g].start > s && c->gaps[g].end < e)
      {
        g_array_append_val (a->gaps, c->gaps[g]);
        st.n_gaps++;
      }
  g_array_append_val (a->sentences, st);
  *first = FALSE;
}

static void
segment_unit (SumAnalysis *a, const char *t, gsize us, gsize ue, const SumRange *gaps, guint n_gaps, guint para,
              gboolean *first)
{
  Cursor c = { t, ue, gaps, n_gaps, 0 };
  guint gfirst = 0;
  gsize s = cursor_skip (&c, us);
  gsize p = s;
  while (p < ue)
    {
      while (c.gi < n_gaps && gaps[c.gi].end <= p)
        c.gi++;
      if (c.gi < n_gaps && gaps[c.gi].start <= p)
        {
          p = gaps[c.gi].end;
          continue;
        }
      gsize lim = c.gi < n_gaps ? MIN (gaps[c.gi].start, ue) : ue;
      while (p < lim && !(byte_class[(guchar) t[p]] & B_TERM))
        p++;
      if (p >= lim)
        continue;
      gsize after;
      if (sentence_end_at (&c, s, p, &after))
        {
          emit_sentence (a, &c, s, after, para, first, &gfirst);
          s = p = cursor_skip (&c, after);
          continue;
        }
      p++;
    }
  if (s < ue)
    emit_sentence (a, &c, s, ue, para, first, &gfirst);
}

static void
segment_all (SumAnalysis *a, const Scan *sc, const GArray *marks)
{
  GArray *unit_gaps = g_array_new (FALSE, FALSE, sizeof (SumRange));
  gsize us = sc->body_start;
  guint para = 0;
  gboolean first = TRUE;
  for (guint i = 0; i <= marks->len; i++)
    {
      const Mark *m = i < marks->len ? &g_array_index (marks, Mark, i) : NULL;
      if (m && m->kind == MARK_GAP)
        {
          SumRange g = { m->start, m->end };
          g_array_append_val (unit_gaps, g);
          continue;
        }
      gsize ue = m ? m->start : sc->body_end;
      if (ue > us)
        segment_unit (a, sc->text, us, ue, (SumRange *) unit_gaps->data, unit_gaps->len, para, &first);
      g_array_set_size (unit_gaps, 0);
      if (m && m->kind == MARK_PARA && !first)
        {
          para++;
          first = TRUE;
        }
      if (m)
        us = MAX (us, m->end);
    }
  a->n_paragraphs = para + (first ? 0 : 1);
  g_array_free (unit_gaps, TRUE);
}

/* A signature ("Beyrle") closing the body is not a sentence. */
static void
drop_signature (SumAnalysis *a)
{
  if (a->sentences->len < 2)
    return;
  SumSentence *s = &g_array_index (a->sentences, SumSentence, a->sentences->len - 1);
  if (count_words (a->text, s->start, s->end) <= 3 && !ends_sentence_like (a->text, s->end)
      && a->text[s->end - 1] != ')')
    g_array_set_size (a->sentences, a->sentences->len - 1);
}

static void
flag_explicit (SumAnalysis *a)
{
  if (a->explicit_form == SUM_EXPLICIT_NONE)
    return;
  a->explicit_first = G_MAXUINT;
  for (guint i = 0; i < a->sentences->len; i++)
    {
      SumSentence *s = &g_array_index (a->sentences, SumSentence, i);
      if (s->start >= a->explicit_range.start && s->end <= a->explicit_range.end)
        {
          s->flags |= SUM_SENTENCE_EXPLICIT;
          if (a->explicit_first == G_MAXUINT)
            a->explicit_first = i;
          a->explicit_count = i + 1 - a->explicit_first;
        }
    }
  if (a->explicit_first == G_MAXUINT)
    {
      a->explicit_first = 0;
      a->explicit_form = SUM_EXPLICIT_NONE;
    }
}

/* ---- hints ---- */

static int
range_cmp (gconstpointer x, gconstpointer y)
{
  const SumRange *a = x, *b = y;
  return a->start < b->start ? -1 : a->start > b->start ? 1 : 0;
}

static void
apply_hints (Scan *sc, SumAnalysis *a, const SumHints *h)
{
  gsize rs = 0, re = sc->len;
  if (h && h->has_region && h->region.start < h->region.end && h->region.end <= sc->len)
    {
      rs = h->region.start;
      re = h->region.end;
    }
  sc->body_start = rs;
  sc->body_end = re;
  gboolean header_known = FALSE;
  for (guint i = 0; h && i < h->n_headers; i++)
    if (h->headers[i].end <= re && h->headers[i].end > sc->body_start && h->headers[i].start < rs + (re - rs) / 2)
      {
        sc->body_start = h->headers[i].end;
        header_known = TRUE;
      }
  if (!header_known)
    sc->body_start = detect_header (sc->text, rs, re, &a->subject);
  /* paragraphs from header-parse: the text after the last one is the signature or page furniture */
  for (guint i = 0; h && i < h->n_paragraphs; i++)
    {
      gsize s = h->paragraphs[i].start;
      if (s >= sc->body_start && s < sc->body_end)
        {
          gsize n = match_number (sc->text, s, sc->body_end, FALSE);
          if (n == s)
            n = match_number (sc->text, s, sc->body_end, TRUE);
          add_para_start (sc, s, skip_markings (sc->text, n, sc->body_end));
        }
    }
  for (guint i = 0; h && i < h->n_page_breaks; i++)
    {
      SumRange r = h->page_breaks[i];
      r.start = MAX (r.start, sc->body_start);
      r.end = MIN (r.end, sc->body_end);
      if (r.start < r.end)
        g_array_append_val (sc->gaps, r);
    }
}

static void
lines_in_gaps (Scan *sc)
{
  g_array_sort (sc->gaps, range_cmp);
  guint g = 0;
  for (guint i = 0; i < sc->lines->len; i++)
    {
      Line *l = &g_array_index (sc->lines, Line, i);
      while (g < sc->gaps->len && g_array_index (sc->gaps, SumRange, g).end < l->tend)
        g++;
      if (g < sc->gaps->len && l->kind == LINE_TEXT)
        {
          SumRange *r = &g_array_index (sc->gaps, SumRange, g);
          if (r->start <= l->tstart && r->end >= l->tend)
            l->kind = LINE_PAGE_BREAK;
        }
    }
}

static int
gsize_cmp (gconstpointer x, gconstpointer y)
{
  gsize a = *(const gsize *) x, b = *(const gsize *) y;
  return a < b ? -1 : a > b ? 1 : 0;
}

SumAnalysis *
sum_analysis_new (const char *text, gsize len, const SumHints *hints)
{
  SumAnalysis *a = g_new0 (SumAnalysis, 1);
  a->text = text;
  a->len = len;
  a->sentences = g_array_new (FALSE, FALSE, sizeof (SumSentence));
  a->gaps = g_array_new (FALSE, FALSE, sizeof (SumRange));

  Scan sc = { .text = text, .len = len };
  sc.lines = g_array_new (FALSE, FALSE, sizeof (Line));
  sc.marks = g_array_new (FALSE, FALSE, sizeof (Mark));
  sc.gaps = g_array_new (FALSE, FALSE, sizeof (SumRange));
  sc.starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  sc.end_markers = g_array_new (FALSE, FALSE, sizeof (SumRange));
  sc.headings = g_array_new (FALSE, FALSE, sizeof (SumRange));

  apply_hints (&sc, a, hints);
  a->body_start = sc.body_start;
  a->body_end = sc.body_end;
  scan_lines (&sc);
  lines_in_gaps (&sc);
  scan_layout (&sc);
  g_array_sort (sc.starts, gsize_cmp);
  find_labels (&sc);
  GArray *marks = merge_marks (&sc);
  choose_explicit (&sc, marks, a);
  segment_all (a, &sc, marks);
  drop_signature (a);
  flag_explicit (a);

  g_array_free (marks, TRUE);
  g_array_free (sc.lines, TRUE);
  g_array_free (sc.marks, TRUE);
  g_array_free (sc.gaps, TRUE);
  g_array_free (sc.starts, TRUE);
  g_array_free (sc.end_markers, TRUE);
  g_array_free (sc.headings, TRUE);
  return a;
}

void
sum_analysis_free (SumAnalysis *a)
{
  if (!a)
    return;
  g_array_free (a->sentences, TRUE);
  g_array_free (a->gaps, TRUE);
  g_free (a);
}

static void
append_collapsed (GString *out, const char *t, gsize s, gsize e)
{
  gboolean space = out->len > 0 && out->str[out->len - 1] == ' ';
  for (gsize p = s; p < e;)
    {
      gsize k = space_len (t, p, e);
      if (k)
        {
          if (!space && out->len > 0)
            g_string_append_c (out, ' ');
          space = TRUE;
          p += k;
          continue;
        }
      g_string_append_c (out, t[p]);
      space = FALSE;
      p++;
    }
}

void
sum_analysis_append_sentence (const SumAnalysis *a, guint index, GString *out)
{
  const SumSentence *s = &g_array_index (a->sentences, SumSentence, index);
  gsize p = s->start;
  for (guint g = 0; g < s->n_gaps; g++)
    {
      const SumRange *r = &g_array_index (a->gaps, SumRange, s->first_gap + g);
      append_collapsed (out, a->text, p, r->start);
      if (out->len > 0 && out->str[out->len - 1] != ' ')
        g_string_append_c (out, ' ');
      p = r->end;
    }
  append_collapsed (out, a->text, p, s->end);
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
}

const char *
sum_explicit_form_to_string (SumExplicitForm form)
{
  switch (form)
    {
    case SUM_EXPLICIT_HEADING:
      return "heading";
    case SUM_EXPLICIT_LABEL:
      return "label";
    case SUM_EXPLICIT_END_ONLY:
      return "end-marker";
    case SUM_EXPLICIT_NONE:
    default:
      return "none";
    }
}
