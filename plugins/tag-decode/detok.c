/* detok.c: undoes a tagger's tokenization by deleting the single spaces it put around punctuation. */
#include "config.h"

#include <string.h>

#include "decoder.h"

/* Byte classes. A "closer" is punctuation that sits against the word before it
 * (`visit ,` -> `visit,`), an "opener" against the word after it (`( C` -> `(C`).
 * Only a single space between a lone punctuation token and a non-blank is ever
 * deleted, never a newline and never a space between two words, so a reader's
 * text is never glued together. */
enum {
  B_SPACE = 1 << 0,
  B_CLOSER = 1 << 1,  /* , . ; : ! ? ) % */
  B_OPENER = 1 << 2,  /* ( $ */
  B_FOLLOW = 1 << 3,  /* may stand right after a closer: , . ; : ! ? ) " */
  B_LEAD = 1 << 4,    /* 0xE2: first byte of the curly quotes “ ” */
};

static const guint8 byte_class[256] = {
  [' '] = B_SPACE, ['\t'] = B_SPACE, ['\n'] = B_SPACE, ['\r'] = B_SPACE, ['\f'] = B_SPACE, ['\v'] = B_SPACE,
  [','] = B_CLOSER | B_FOLLOW, ['.'] = B_CLOSER | B_FOLLOW, [';'] = B_CLOSER | B_FOLLOW,
  [':'] = B_CLOSER | B_FOLLOW, ['!'] = B_CLOSER | B_FOLLOW, ['?'] = B_CLOSER | B_FOLLOW,
  [')'] = B_CLOSER | B_FOLLOW, ['%'] = B_CLOSER, ['"'] = B_FOLLOW,
  ['('] = B_OPENER, ['$'] = B_OPENER,
  [0xE2] = B_LEAD,
};

/* How many '(' are remembered, and how far back (bytes) a ')' may close one. */
#define PAREN_DEPTH 8
#define PAREN_REACH 400

/* The bytes that start a closer or an opener (0xE2: the curly quotes), for strcspn. */
static const char TRIGGERS[] = ",.;:!?)%($\xE2";

static inline gboolean
blank (const guchar *t, gsize n, gsize i)
{
  return i >= n || (byte_class[t[i]] & B_SPACE);
}

/* 3 if a right double quote ” (E2 80 9D) or right single quote ’ (E2 80 99) starts at i. */
static inline gsize
right_quote_at (const guchar *t, gsize n, gsize i)
{
  return i + 2 < n && t[i] == 0xE2 && t[i + 1] == 0x80 && (t[i + 2] == 0x9D || t[i + 2] == 0x99) ? 3 : 0;
}

/* Whether a closer token [i, j) stands alone on its right: a blank, the end, or more closing punctuation. */
static inline gboolean
closer_alone (const guchar *t, gsize n, gsize i, gsize j)
{
  if (blank (t, n, j))
    return TRUE;
  if (t[i] == '.' && t[j] == '.')
    return FALSE;  /* an ellipsis `...` keeps its space */
  return (byte_class[t[j]] & B_FOLLOW) || right_quote_at (t, n, j) > 0;
}

/* Whether the space before a closer token [i, j) goes: `word ,` with one space. */
static inline gboolean
closer_takes_space (const guchar *t, gsize n, gsize i, gsize j)
{
  guchar before;

  if (i < 2 || t[i - 1] != ' ' || blank (t, n, i - 2) || !closer_alone (t, n, i, j))
    return FALSE;
  before = t[i - 2];
  switch (t[i])
    {
    case '%': return g_ascii_isdigit (before);          /* `15 %` */
    case ':': return !g_ascii_isdigit (before);          /* `10 : 30` is not a label */
    case '.':
      /* `U.S. .` keeps its space, and so does a spaced ellipsis `first . . . give` */
      return before != '.' && !(j + 1 < n && t[j] == ' ' && t[j + 1] == '.');
    default: return TRUE;
    }
}

/* Whether an opener token [i, j) stands alone on its left. */
static inline gboolean
opener_alone (const guchar *t, gsize i)
{
  if (i == 0 || (byte_class[t[i - 1]] & B_SPACE) || t[i - 1] == '(')
    return TRUE;
  return i >= 3 && t[i - 3] == 0xE2 && t[i - 2] == 0x80 && t[i - 1] == 0x9C;  /* after “ */
}

/* Whether the space after an opener token [i, j) goes: `( word` with one space. */
static inline gboolean
opener_takes_space (const guchar *t, gsize n, gsize i, gsize j)
{
  if (j + 1 >= n || t[j] != ' ' || blank (t, n, j + 1) || !opener_alone (t, i))
    return FALSE;
  if (t[i] == '$')
    return g_ascii_isdigit (t[j + 1]);  /* `$ 100` */
  /* `( b` and `“ reset`, but not `him “ - but` (a quote used the other way round) */
  return !g_ascii_ispunct (t[j + 1]) || t[j + 1] == '(' || t[j + 1] == '$';
}

void
tag_detokenize_scan (const char *text, gsize n, TagOffsets *spaces)
{
  const guchar *t = (const guchar *) text;
  gsize last = G_MAXSIZE;  /* the last space deleted: `( )` must not delete it twice */
  /* the '(' not yet closed: a ')' only sits against the word before it when it closes
   * one nearby; raw cables use ` ) ` as a dash (`Business environment ) the government`) */
  gsize parens[PAREN_DEPTH];
  guint depth = 0;

  for (gsize i = 0; i < n; i++)
    {
      guint8 cls;
      gsize len = 1;
      gboolean closer, opener;

      /* skip to the next punctuation: strcspn scans 16 bytes at a time in glibc */
      i += strcspn (text + i, TRIGGERS);
      if (i >= n)
        break;
      cls = byte_class[t[i]];
      if (cls & B_LEAD)
        {
          if (i + 2 >= n || t[i + 1] != 0x80 || (t[i + 2] != 0x9C && t[i + 2] != 0x9D))
            continue;
          len = 3;
          closer = t[i + 2] == 0x9D;  /* ” */
          opener = !closer;           /* “ */
        }
      else
        {
          closer = (cls & B_CLOSER) != 0;
          opener = (cls & B_OPENER) != 0;
        }
      if (t[i] == '(')
        {
          if (depth == PAREN_DEPTH)
            memmove (parens, parens + 1, sizeof (gsize) * --depth);
          parens[depth++] = i;
        }
      else if (t[i] == ')')
        {
          gboolean closes = depth > 0 && i - parens[depth - 1] <= PAREN_REACH;
          if (depth > 0)
            depth--;
          if (!closes)
            closer = FALSE;
        }
      if (closer && closer_takes_space (t, n, i, i + len) && last != i - 1)
        {
          last = i - 1;
          tag_offsets_push (spaces, last);
        }
      if (opener && opener_takes_space (t, n, i, i + len))
        {
          last = i + len;
          tag_offsets_push (spaces, last);
        }
      i += len - 1;
    }
}

guint
tag_detokenize_collect (const char *text, gsize n, QuarryEdits *edits)
{
  TagOffsets spaces = { 0 };
  guint n_spaces;

  tag_detokenize_scan (text, n, &spaces);
  for (gsize i = 0; i < spaces.len; i++)
    quarry_edits_replace (edits, spaces.v[i], spaces.v[i] + 1, NULL, 0);
  n_spaces = spaces.len;
  tag_offsets_clear (&spaces);
  return n_spaces;
}
