/* es-spot.c: entity-spot's per-document work: one pass over the words, candidates from each source, one resolution. */
#include "es-spot.h"

#include <stdlib.h>
#include <string.h>

/* Bounds that keep every pass linear whatever the text (a 10 MB run of one name). */
#define MAX_NAME_WORDS 4     /* a name after a cue */
#define MAX_CUE_CHAIN 4      /* "Deputy Foreign Minister" + "Ambassador" ... */
#define MAX_PATTERN_NAME 3   /* "Mikhail Gorbachev" without a cue */
#define MAX_ORG_LEFT 5       /* "Russian Central Bank" */
#define MAX_ORG_RIGHT 8      /* "Ministry of Foreign Affairs and Trade" */

typedef enum {
  SRC_GAZETTEER,
  SRC_CUE,
  SRC_HEADER,
  SRC_PROPAGATED,
  SRC_PATTERN,
} Source;

static const char *const source_names[] = { "gazetteer", "cue", "header", "propagated", "pattern" };

/* Who wins an overlap: the tier, then the longer mention, then the earlier one. */
enum {
  TIER_WEAK = 0,       /* a capitalized name with no cue, and its propagations */
  TIER_GAZETTEER = 1,  /* the KB's aliases and the organization patterns */
  TIER_PERSON = 2,     /* the propagated names of cue and header people */
  TIER_STRONG = 3,     /* a name after a cue, a header name */
};

typedef struct {
  guint        first, last;   /* token indices, inclusive */
  const char  *label;
  guint8       source;
  guint8       tier;
} Cand;

typedef struct {
  guint64 *keys;     /* the hashes of the keys of the name's words */
  guint    n_keys;
  guint8   tier;     /* of its propagated mentions */
  guint8   source;   /* of its full-name mentions (header) or SRC_PROPAGATED */
} Person;

/* An index entry: a person by the hash of their first word or surname. */
typedef struct {
  guint64 hash;
  guint   person;
  gboolean surname;
} PersonKey;

typedef struct {
  const EsLexicon *lex;
  const char      *text;
  gsize            len;
  EsToken         *toks;     /* the buffer of the scratch below */
  guint            n_toks, cap_toks;
  struct _Scratch *work;
  Cand            *cands;    /* the buffer of the scratch below (a GArray append is a call) */
  guint            n_cands, cap_cands;
  GArray          *people;   /* Person */
  GArray          *person_keys; /* PersonKey, sorted by hash before propagation */
  GString         *scratch;
  const char      *PER, *LOC, *ORG, *MISC;
  const EsTable   *all, *small;  /* the lexicon's word tables (es_lexicon_table_all, _small) */
  const guint8    *pairs;        /* es_lexicon_small_pairs */
} Doc;

#define TOK(d, i) (&(d)->toks[(i)])

static inline guint32
wflags (const Doc *d, const EsToken *t)
{
  (void) d;
  return t->wflags;
}

static inline gboolean
common (const Doc *d, const EsToken *t)
{
  return es_lexicon_is_common (d->lex, t);
}

/* Whether the word alone is an alias (a place, an organization). */
static gboolean
is_alias_word (const Doc *d, const EsToken *t)
{
  const EsTerm *term = es_lexicon_term (d->lex, t->root);
  return term && term->alias_forms;
}

static inline void
add_cand (Doc *d, guint first, guint last, const char *label, Source source, guint tier)
{
  if (G_UNLIKELY (d->n_cands == d->cap_cands))
    {
      d->cap_cands = MAX (64, d->cap_cands * 2);
      d->cands = g_renew (Cand, d->cands, d->cap_cands);
    }
  d->cands[d->n_cands++] = (Cand) { first, last, label, (guint8) source, (guint8) tier };
}

/* ---- words and lines ---- */

typedef struct {
  gsize start, end;
} Range;

static int
range_cmp (const void *a, const void *b)
{
  const Range *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

/* Byte kinds of the word pass: one table load tells a byte's role (the text is
 * NUL-terminated and holds no other NUL, so the NUL ends every loop: no bounds test). */
enum {
  K_LOWER = 1 << 0,
  K_UPPER = 1 << 1,
  K_DIGIT = 1 << 2,
  K_JOIN = 1 << 3,   /* '.', '-', '&', '\'': join two runs of letters into one word */
  K_HIGH = 1 << 4,   /* a byte of a multi-byte character: the general path */
  K_END = 1 << 5,    /* the NUL after the text */
  K_ALNUM = K_LOWER | K_UPPER | K_DIGIT,
};

static const guint8 kinds[256] = {
  [0] = K_END,
  ['a' ... 'z'] = K_LOWER,
  ['A' ... 'Z'] = K_UPPER,
  ['0' ... '9'] = K_DIGIT,
  ['.'] = K_JOIN, ['-'] = K_JOIN, ['&'] = K_JOIN, ['\''] = K_JOIN,
  [0x80 ... 0xff] = K_HIGH,
};

/* A letter's count in one add: lower case in the low half, upper case in the high
 * (a document is below 4 GiB, so neither half overflows) */
#define CASE_COUNT(c) ((c) >= 'a' && (c) <= 'z' ? 1 : (c) >= 'A' && (c) <= 'Z' ? G_GUINT64_CONSTANT (1) << 32 : 0)
#define CASE_COUNT4(c) CASE_COUNT (c), CASE_COUNT ((c) + 1), CASE_COUNT ((c) + 2), CASE_COUNT ((c) + 3)
#define CASE_COUNT16(c) CASE_COUNT4 (c), CASE_COUNT4 ((c) + 4), CASE_COUNT4 ((c) + 8), CASE_COUNT4 ((c) + 12)
static const guint64 case_counts[128] = {
  CASE_COUNT16 (0), CASE_COUNT16 (16), CASE_COUNT16 (32), CASE_COUNT16 (48),
  CASE_COUNT16 (64), CASE_COUNT16 (80), CASE_COUNT16 (96), CASE_COUNT16 (112),
};

#define FNV_BASIS G_GUINT64_CONSTANT (14695981039346656037)
#define FNV_PRIME G_GUINT64_CONSTANT (1099511628211)

/* The hash of a word's key (es_key_hash of es_token_key), computed once. */
static guint64
token_hash (const Doc *d, const EsToken *t)
{
  if (t->hash)
    return t->hash;
  es_token_key (d->text + t->start, t->end - t->start, d->scratch);
  return es_key_hash (d->scratch->str, d->scratch->len);
}

/* Looks the word up: its lexicon word, trie root and flags. small: a lower-case word
 * in mixed text, looked up only among the few words it can need. */
static inline void
lookup_word (const Doc *d, EsToken *tok, gboolean small)
{
  const guchar *s = (const guchar *) d->text + tok->start;
  gsize len = tok->end - tok->start;

  if (kinds[s[0]] & kinds[s[len - 1]] & K_DIGIT)
    return;                     /* a number ("002734", "1.4"): no word of the lexicon */
  if (small && len > 1 && !((kinds[s[0]] | kinds[s[1]]) & K_HIGH) && s[1] != '\'' && s[1] != '.')
    {
      /* most lower-case words start as no small word does: turned away by one bit ("'"
       * and "." are dropped from keys, so such a second byte says nothing) */
      guint pair = (s[0] | ((kinds[s[0]] & K_UPPER) << 4)) << 8 | (s[1] | ((kinds[s[1]] & K_UPPER) << 4));
      if (!(d->pairs[pair >> 3] & (1 << (pair & 7))))
        return;
    }
  tok->hash = token_hash (d, tok);
  const EsSlot *slot = es_table_find (small ? d->small : d->all, tok->hash);
  if (slot)
    {
      tok->word = (gint32) (slot->word_flags >> 8);
      tok->root = slot->root;
      tok->wflags = (guint16) (slot->word_flags & 0xff);
    }
}

/* Flags of the words of one line, once the line is complete. */
static void
finish_line (Doc *d, guint first, guint end, guint upper, guint lower)
{
  if (first >= end)
    return;
  guint8 flags = 0;
  /* a line of capitals (older cables, header lines): case tells nothing there */
  if (upper >= 2 && lower * 20 <= upper)
    flags |= ES_T_CAPS_LINE;
  const EsToken *t0 = TOK (d, first);
  if (t0->end - t0->start == 4 && !memcmp (d->text + t0->start, "TAGS", 4))
    {
      gsize ls = t0->start;
      while (ls > 0 && d->text[ls - 1] != '\n' && g_ascii_isspace (d->text[ls - 1]))
        ls--;
      if (ls == 0 || d->text[ls - 1] == '\n')
        flags |= ES_T_TAGS_LINE;
    }
  if (!flags)
    return;
  for (guint i = first; i < end; i++)
    {
      EsToken *t = TOK (d, i);
      t->flags |= flags;
      /* a word of a line of capitals is looked up among all words, whatever its case:
       * the pass looked a lower-case one up among the few of mixed text */
      if ((flags & ES_T_CAPS_LINE) && !(t->flags & ES_T_CAP))
        {
          t->word = -1;
          t->root = 0;
          t->wflags = 0;
          lookup_word (d, t, FALSE);
        }
    }
}

/* The next word at or after p, for ASCII text in one pass: the same word as
 * es_next_token() gives, with its key's hash and its letter counts. FALSE (and nothing
 * read) when a byte outside ASCII is in the way: the caller takes the general path.
 * *more is FALSE at the end of the text. */
static inline gboolean
fast_token (const char *text, const char *p, EsToken *tok, guint *u_out, guint *l_out, gboolean *more)
{
  const guchar *q = (const guchar *) p;
  guint k;
  while (!((k = kinds[*q]) & (K_ALNUM | K_HIGH | K_END)))
    q++;
  *more = !(k & K_END);
  if (!(k & K_ALNUM))
    return FALSE;
  const guchar *start = q;
  guint64 h = FNV_BASIS, counts = 0;
  gboolean inner_dot = FALSE, possessive = FALSE;
  for (;; q++)
    {
      guchar c = *q;
      k = kinds[c];
      if (G_LIKELY (k & K_ALNUM))
        {
          /* bit 0x20 folds 'A'-'Z' to 'a'-'z' and leaves digits as they are */
          h = (h ^ (c | 0x20)) * FNV_PRIME;
          counts += case_counts[c];
          continue;
        }
      if (!(k & K_JOIN))
        {
          if (k & K_HIGH)
            return FALSE;
          break;
        }
      guint k1 = kinds[q[1]];
      if (k1 & K_HIGH)
        return FALSE;
      if (!(k1 & K_ALNUM))
        break;
      if (c == '\'' && (q[1] | 0x20) == 's')
        {
          guint k2 = kinds[q[2]];
          if (k2 & K_HIGH)
            return FALSE;
          if (!(k2 & K_ALNUM))
            {
              possessive = TRUE;
              break;
            }
        }
      if (c == '.')
        inner_dot = TRUE;
      else if (c != '\'')
        h = (h ^ c) * FNV_PRIME;
    }
  /* initials and dotted abbreviations keep their final period: "M.", "U.S." */
  if (*q == '.' && (inner_dot || (q - start == 1 && (kinds[*start] & K_UPPER))))
    q++;
  tok->start = (guint32) ((const char *) start - text);
  tok->end = (guint32) ((const char *) q - text);
  guint u = (guint) (counts >> 32), l = (guint) counts;
  tok->hash = h ? h : 1;
  tok->word = -1;
  tok->root = 0;
  tok->wflags = 0;
  tok->gap = ES_GAP_BREAK;
  tok->flags = (possessive ? ES_T_POSSESSIVE : 0) | ((kinds[*start] & K_UPPER) ? ES_T_CAP : 0) |
               (u > 0 && l == 0 ? ES_T_UPPER : 0);
  *u_out = u;
  *l_out = l;
  return TRUE;
}

/* The general path: any UTF-8. */
static gboolean
slow_token (const char *text, const char *p, const char *end, EsToken *tok, guint *u_out, guint *l_out)
{
  if (!es_next_token (p, end, text, tok))
    return FALSE;
  const char *s = text + tok->start, *e = text + tok->end;
  guint u = 0, l = 0;
  gboolean cap;
  for (const char *q = s; q < e; q = g_utf8_next_char (q))
    {
      if ((guchar) *q < 0x80)
        {
          u += g_ascii_isupper (*q);
          l += g_ascii_islower (*q);
          continue;
        }
      gunichar x = g_utf8_get_char (q);
      u += g_unichar_isupper (x) || g_unichar_istitle (x);
      l += g_unichar_islower (x);
    }
  if ((guchar) *s < 0x80)
    cap = g_ascii_isupper (*s);
  else
    {
      gunichar c = g_utf8_get_char (s);
      cap = g_unichar_isupper (c) || g_unichar_istitle (c);
    }
  if (cap)
    tok->flags |= ES_T_CAP;
  if (u > 0 && l == 0)
    tok->flags |= ES_T_UPPER;
  *u_out = u;
  *l_out = l;
  return TRUE;
}

/* The word pass: each word found, joined to the one before, looked up, once. */
static void
tokenize (Doc *d, const Range *blocked, guint n_blocked)
{
  const char *text = d->text, *end = text + d->len;
  const char *p = text;
  guint line_first = 0, upper = 0, lower = 0, b = 0;

  /* about one word in six bytes of cable text */
  guint want = (guint) MIN (d->len / 6 + 64, 1u << 20);
  if (d->cap_toks < want)
    {
      d->cap_toks = want;
      d->toks = g_renew (EsToken, d->toks, d->cap_toks);
    }
  d->n_toks = 0;

  for (;;)
    {
      guint u, l;
      gboolean more;
      guint n = d->n_toks;
      if (n == d->cap_toks)
        {
          d->cap_toks *= 2;
          d->toks = g_renew (EsToken, d->toks, d->cap_toks);
        }
      /* made in place: no copy of the word per word */
      EsToken *tok = &d->toks[n];
      if (!fast_token (text, p, tok, &u, &l, &more) &&
          (!more || !slow_token (text, p, end, tok, &u, &l)))
        break;
      if (n > 0)
        {
          EsToken *prev = TOK (d, n - 1);
          /* one space: the common gap, decided at once */
          gboolean one_space = tok->start == prev->end + 1 && text[prev->end] == ' ';
          if (one_space && !(prev->flags & ES_T_POSSESSIVE))
            tok->gap = ES_GAP_SPACE;
          else
            tok->gap = es_gap (text, prev, tok);
          if (!one_space && memchr (text + prev->end, '\n', tok->start - prev->end))
            {
              finish_line (d, line_first, n, upper, lower);
              line_first = n;
              upper = lower = 0;
            }
        }
      upper += u;
      lower += l;
      while (b < n_blocked && blocked[b].end <= tok->start)
        b++;
      if (b < n_blocked && blocked[b].start < tok->end)
        tok->flags |= ES_T_BLOCKED;
      /* a lower-case word in mixed text can only continue an alias or be a connector
       * or a lower-case cue: the small table answers that (finish_line looks the
       * words of a line of capitals up again) */
      lookup_word (d, tok, !(tok->flags & ES_T_CAP));
      d->n_toks = n + 1;
      p = text + tok->end;
    }
  finish_line (d, line_first, d->n_toks, upper, lower);
}

/* ---- written forms: case rules ---- */

/* The next letter or digit at or after *p (advancing past it), 0 at end. */
static inline gunichar
next_alnum (const char **p, const char *end)
{
  while (*p < end)
    {
      guchar b = (guchar) **p;
      if (b < 0x80)
        {
          (*p)++;
          if (g_ascii_isalnum (b))
            return b;
          continue;
        }
      gunichar c = g_utf8_get_char (*p);
      *p = g_utf8_next_char (*p);
      if (g_unichar_isalnum (c))
        return c;
    }
  return 0;
}

typedef enum { CASE_EXACT, CASE_ANY, CASE_UPPER } CaseRule;

/* Letters and digits of text [s, e) against form's, under rule. */
static gboolean
form_equal (const char *s, const char *e, const char *form, CaseRule rule, guint *n_letters)
{
  const char *f = form, *fe = form + strlen (form);
  guint n = 0;
  for (;;)
    {
      gunichar a = next_alnum (&s, e), b = next_alnum (&f, fe);
      if (!a || !b)
        {
          *n_letters = n;
          return a == b;
        }
      n++;
      if (a == b)
        continue;
      if (a < 0x80 && b < 0x80)
        {
          /* ASCII folds as GLib's Unicode tables do, without the calls; both are
           * letters or digits, so equal but for bit 0x20 means one letter in two cases */
          if (rule == CASE_ANY && (a | 0x20) == (b | 0x20))
            continue;
          if (rule == CASE_UPPER && b >= 'a' && b <= 'z' && a == b - ('a' - 'A'))
            continue;
          return FALSE;
        }
      if (rule == CASE_ANY && g_unichar_tolower (a) == g_unichar_tolower (b))
        continue;
      if (rule == CASE_UPPER && a == g_unichar_toupper (b))
        continue;
      return FALSE;
    }
}

/* Exact case; any case on a line of capitals; a name of four or more letters
 * written in capitals in mixed text ("talks on MIDDLE EAST security"). */
static gboolean
forms_match (const GPtrArray *forms, const char *s, const char *e, gboolean caps_line)
{
  guint n;
  if (!forms)
    return FALSE;
  for (guint i = 0; i < forms->len; i++)
    {
      const char *f = forms->pdata[i];
      /* written as the form is, byte for byte (most matches): equal under every rule */
      gsize fl = strlen (f);
      if ((gsize) (e - s) == fl && !memcmp (s, f, fl))
        return TRUE;
      if (form_equal (s, e, f, caps_line ? CASE_ANY : CASE_EXACT, &n))
        return TRUE;
      if (!caps_line && form_equal (s, e, f, CASE_UPPER, &n) && n >= 4)
        return TRUE;
    }
  return FALSE;
}

/* ---- cues, the gazetteer ---- */

/* The longest cue starting at token i: its last token, or -1. */
static gint
cue_at (const Doc *d, guint i)
{
  const EsToken *t = TOK (d, i);
  if (t->flags & ES_T_BLOCKED)
    return -1;
  guint32 node = t->root;
  gint best = -1;
  for (guint j = i; node; )
    {
      const EsTerm *term = es_lexicon_term (d->lex, node);
      if (term && term->cue_forms &&
          forms_match (term->cue_forms, d->text + t->start, d->text + TOK (d, j)->end,
                       (t->flags & ES_T_CAPS_LINE) != 0))
        best = j;
      if (++j >= d->n_toks)
        break;
      const EsToken *n = TOK (d, j);
      if ((n->flags & ES_T_BLOCKED) || n->gap == ES_GAP_BREAK)
        break;
      node = es_lexicon_step (d->lex, node, n->word, n->gap);
    }
  return best;
}

/* "XXXXXXXXXXXX": a name the publisher blacked out, no name */
static gboolean
is_redacted (const Doc *d, const EsToken *t)
{
  const char *s = d->text + t->start;
  guint n = t->end - t->start;
  if (n < 3)
    return FALSE;
  for (guint i = 1; i < n; i++)
    if (s[i] != s[0])
      return FALSE;
  return TRUE;
}

/* Lower-case parts of names: "Abu Musab al-Zarqawi", "Osama bin Laden", "Hugo de Groot".
 * The Arabic article is hyphenated to the name that follows; the others stand alone. */
static gboolean
name_particle (const Doc *d, const EsToken *t, gboolean *alone)
{
  static const char *const particles[] = { "bin", "ibn", "bint", "de", "da", "del", "della", "di",
                                           "du", "van", "von", "der", "den", "dos", "das", NULL };
  const char *s = d->text + t->start;
  guint n = t->end - t->start;
  if (n > 3 && (s[0] == 'a' || s[0] == 'e') && s[1] == 'l' && s[2] == '-' && g_ascii_isupper (s[3]))
    {
      *alone = FALSE;
      return TRUE;
    }
  for (guint i = 0; particles[i]; i++)
    if (strlen (particles[i]) == n && !memcmp (particles[i], s, n))
      {
        *alone = TRUE;
        return TRUE;
      }
  return FALSE;
}

/* "Turkish-speaking", "Minister-delegate": a word with a lower-case part after a hyphen
 * describes; names capitalize their parts ("Jean-Pierre", "Al-Ali") */
static gboolean
has_lower_part (const Doc *d, const EsToken *t)
{
  const char *s = d->text + t->start, *e = d->text + t->end;
  for (const char *q = s; q + 1 < e; q++)
    if (*q == '-' && g_ascii_islower (q[1]))
      return TRUE;
  return FALSE;
}

static gboolean
name_word (const Doc *d, const EsToken *t)
{
  if ((t->flags & ES_T_BLOCKED) || is_redacted (d, t) || has_lower_part (d, t))
    return FALSE;
  guint32 f = wflags (d, t);
  if (f & (ES_W_NON_NAME | ES_W_CONNECTOR | ES_W_ORG_SUFFIX | ES_W_ORG_PREFIX))
    return FALSE;
  if (t->flags & ES_T_CAPS_LINE)
    {
      /* all words are capitals there: only uncommon ones that name no place, and no
       * derived noun or adjective the word list lacks ("INCOMPREHENSION") */
      static const char *const suffixes[] = { "TION", "SION", "MENT", "NESS", "ISM", "ABLE", "IBLE",
                                              "ICAL", "IOUS", NULL };
      guint n = t->end - t->start;
      for (guint i = 0; suffixes[i]; i++)
        {
          guint k = strlen (suffixes[i]);
          if (n > k + 3 && !memcmp (d->text + t->end - k, suffixes[i], k))
            return FALSE;
        }
      return !common (d, t) && !is_alias_word (d, t);
    }
  return (t->flags & ES_T_CAP) != 0;
}

static void person_add (Doc *d, guint first, guint last, guint tier, Source source);

/* A cue ends at token c: the name after it, if any. */
static void
name_after_cue (Doc *d, guint c)
{
  guint k = c + 1;
  for (guint chain = 0; chain < MAX_CUE_CHAIN && k < d->n_toks; chain++)
    {
      const EsToken *t = TOK (d, k);
      if (t->gap != ES_GAP_SPACE || TOK (d, k - 1)->flags & ES_T_POSSESSIVE)
        return;
      gint next = cue_at (d, k);
      if (next < 0)
        break;
      k = next + 1;            /* "Deputy Foreign Minister": cues chain */
    }
  guint first = k, last = k;
  for (; last < d->n_toks && last < first + MAX_NAME_WORDS; last++)
    {
      const EsToken *t = TOK (d, last);
      gboolean alone;
      if (last > first && t->gap == ES_GAP_SPACE && !(TOK (d, last - 1)->flags & ES_T_POSSESSIVE) &&
          !(t->flags & ES_T_CAPS_LINE) && name_particle (d, t, &alone))
        {
          if (!alone)
            continue;                /* "al-Zarqawi" is a name word itself */
          if (last + 1 < d->n_toks && TOK (d, last + 1)->gap == ES_GAP_SPACE && name_word (d, TOK (d, last + 1)))
            continue;                /* "bin" only before a name word */
          break;
        }
      if (t->gap != ES_GAP_SPACE || !name_word (d, t) ||
          (last > first && TOK (d, last - 1)->flags & ES_T_POSSESSIVE) ||
          (last > first && cue_at (d, last) >= 0))   /* "President Medvedev Prime Minister Putin" */
        break;
    }
  if (last == first)
    return;
  add_cand (d, first, last - 1, d->PER, SRC_CUE, TIER_STRONG);
  person_add (d, first, last - 1, TIER_PERSON, SRC_PROPAGATED);
}

static void
gazetteer_and_cues (Doc *d)
{
  guint n = d->n_toks;
  for (guint i = 0; i < n; i++)
    {
      const EsToken *t = TOK (d, i);
      if (t->flags & ES_T_BLOCKED)
        continue;
      guint32 node = t->root;
      if (!node)
        continue;
      gboolean caps = (t->flags & ES_T_CAPS_LINE) != 0;
      gboolean tags = (t->flags & ES_T_TAGS_LINE) != 0;
      gint best = -1, cue = -1;
      const char *label = NULL;
      for (guint j = i; node; )
        {
          const EsTerm *term = es_lexicon_term (d->lex, node);
          if (term)
            {
              const char *l = tags ? term->tags_label : term->label;
              const char *s = d->text + t->start, *e = d->text + TOK (d, j)->end;
              /* on a line of capitals "WHO" is the word, not the organization */
              if (l && caps && !tags && j == i && term->acronym_only && common (d, t))
                l = NULL;
              if (l && forms_match (term->alias_forms, s, e, caps))
                best = j, label = l;
              if (term->cue_forms && forms_match (term->cue_forms, s, e, caps))
                cue = j;
            }
          if (++j >= n)
            break;
          const EsToken *nt = TOK (d, j);
          if ((nt->flags & ES_T_BLOCKED) || nt->gap == ES_GAP_BREAK)
            break;
          node = es_lexicon_step (d->lex, node, nt->word, nt->gap);
        }
      if (best >= 0)
        add_cand (d, i, best, label, SRC_GAZETTEER, TIER_GAZETTEER);
      if (cue >= 0)
        name_after_cue (d, cue);
    }
}

/* ---- people: header names, propagation ---- */

static void
person_register (Doc *d, guint64 *keys, guint n_keys, guint tier, Source source)
{
  if (n_keys == 0)
    {
      g_free (keys);
      return;
    }
  Person p = { keys, n_keys, (guint8) tier, (guint8) source };
  g_array_append_val (d->people, p);
  PersonKey k = { keys[0], d->people->len - 1, FALSE };
  g_array_append_val (d->person_keys, k);
  /* the surname: the last word, if it can stand alone (not an initial) */
  if (n_keys > 1 && keys[n_keys - 1] != 0)
    {
      PersonKey l = { keys[n_keys - 1], d->people->len - 1, TRUE };
      g_array_append_val (d->person_keys, l);
    }
}

static void
person_add (Doc *d, guint first, guint last, guint tier, Source source)
{
  guint n = last - first + 1;
  guint64 *keys = g_new (guint64, n);
  for (guint i = 0; i < n; i++)
    {
      const EsToken *t = TOK (d, first + i);
      keys[i] = t->hash;
    }
  /* an initial ("M.") is no surname */
  if (TOK (d, last)->end - TOK (d, last)->start < 3)
    keys[n - 1] = n > 1 ? 0 : keys[n - 1];
  person_register (d, keys, n, tier, source);
}

static void
person_from_string (Doc *d, const char *name)
{
  const char *end = name + strlen (name), *p = name;
  EsToken tok;
  GArray *keys = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint last_len = 0;
  while (es_next_token (p, end, name, &tok))
    {
      es_token_key (name + tok.start, tok.end - tok.start, d->scratch);
      if (d->scratch->len)
        {
          guint64 h = es_key_hash (d->scratch->str, d->scratch->len);
          g_array_append_val (keys, h);
          last_len = tok.end - tok.start;
        }
      p = name + tok.end;
    }
  guint n = keys->len;
  guint64 *k = (guint64 *) g_array_free (keys, FALSE);
  if (n > 1 && last_len < 3)
    k[n - 1] = 0;
  person_register (d, k, n, TIER_PERSON, SRC_HEADER);
}

/* Names the header gives: the signers and the classifying officer. */
static void
header_people (Doc *d, QuarryDocument *doc)
{
  json_object *signers = quarry_document_lookup_field (doc, "header", "signers");
  json_object *classified = quarry_document_lookup_field (doc, "header", "classified_by");
  if (signers && json_object_is_type (signers, json_type_array))
    for (gsize i = 0; i < json_object_array_length (signers); i++)
      {
        json_object *s = json_object_array_get_idx (signers, i);
        if (json_object_is_type (s, json_type_string))
          person_from_string (d, json_object_get_string (s));
      }
  if (classified && json_object_is_type (classified, json_type_array))
    for (gsize i = 0; i < json_object_array_length (classified); i++)
      {
        json_object *name = NULL;
        if (json_object_object_get_ex (json_object_array_get_idx (classified, i), "name", &name) &&
            json_object_is_type (name, json_type_string))
          person_from_string (d, json_object_get_string (name));
      }
}

static int
person_key_cmp (const void *a, const void *b)
{
  const PersonKey *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  return x->person < y->person ? -1 : x->person > y->person ? 1 : 0;
}

/* The first index entry of hash, or -1. */
static gint
person_key_find (const Doc *d, guint64 hash)
{
  guint lo = 0, hi = d->person_keys->len;
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (g_array_index (d->person_keys, PersonKey, mid).hash < hash)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < d->person_keys->len && g_array_index (d->person_keys, PersonKey, lo).hash == hash ? (gint) lo : -1;
}

/* Every known person's full name and surname, wherever they are. */
static void
propagate (Doc *d)
{
  if (d->people->len == 0)
    return;
  if (d->person_keys->len > 1)  /* qsort must not get the NULL of an empty GArray */
    qsort (d->person_keys->data, d->person_keys->len, sizeof (PersonKey), person_key_cmp);
  /* a bit per hash bucket: most capitalized words are nobody's name, known without a search */
  guint64 filter[64] = { 0 };
  for (guint k = 0; k < d->person_keys->len; k++)
    {
      guint64 h = g_array_index (d->person_keys, PersonKey, k).hash;
      filter[(h >> 6) & 63] |= G_GUINT64_CONSTANT (1) << (h & 63);
    }
  guint n = d->n_toks;
  for (guint i = 0; i < n; i++)
    {
      const EsToken *t = TOK (d, i);
      if ((t->flags & (ES_T_BLOCKED | ES_T_CAP)) != ES_T_CAP || (t->wflags & ES_W_NON_NAME))
        continue;
      if (!(filter[(t->hash >> 6) & 63] & (G_GUINT64_CONSTANT (1) << (t->hash & 63))))
        continue;
      gint k0 = person_key_find (d, t->hash);
      if (k0 < 0)
        continue;
      /* the longest full name starting here, else the strongest person with this surname */
      guint best_last = i, best_tier = 0, best_source = SRC_PROPAGATED;
      gboolean full = FALSE, sur = FALSE;
      for (guint k = k0; k < d->person_keys->len; k++)
        {
          const PersonKey *pk = &g_array_index (d->person_keys, PersonKey, k);
          if (pk->hash != t->hash)
            break;
          const Person *x = &g_array_index (d->people, Person, pk->person);
          if (pk->surname)
            {
              if (!full && (!sur || x->tier > best_tier))
                {
                  sur = TRUE;
                  best_tier = x->tier;
                  best_source = SRC_PROPAGATED;
                }
              continue;
            }
          guint m = 1;
          for (; m < x->n_keys && i + m < n; m++)
            {
              const EsToken *u = TOK (d, i + m);
              if (u->gap != ES_GAP_SPACE || (u->flags & (ES_T_BLOCKED | ES_T_CAP)) != ES_T_CAP ||
                  u->hash != x->keys[m])
                break;
            }
          if (m < x->n_keys)
            continue;
          guint tier = x->source == SRC_HEADER ? TIER_STRONG : x->tier;
          if (!full || i + m - 1 > best_last || (i + m - 1 == best_last && tier > best_tier))
            {
              full = TRUE;
              best_last = i + m - 1;
              best_tier = tier;
              best_source = x->source;
            }
        }
      if (!full && !sur)
        continue;
      add_cand (d, i, best_last, d->PER, best_source, best_tier);
      i = best_last;
    }
}

/* ---- patterns: organizations, names without a cue ---- */

static gboolean
org_word (const Doc *d, const EsToken *t)
{
  return (t->flags & (ES_T_CAP | ES_T_BLOCKED | ES_T_CAPS_LINE)) == ES_T_CAP &&
         !(wflags (d, t) & ES_W_NON_NAME);
}

/* After token h: connectors and capitalized words ("of Foreign Affairs and Trade").
 * "the" only after another connector ("Party of the Regions"), "and" only straight
 * before a capitalized word ("Affairs and Trade", not "Affairs and the Party"). */
static guint
org_right (const Doc *d, guint h)
{
  guint last = h, k = h + 1, n = d->n_toks;
  guint64 and_ = es_key_hash ("and", 3), the = es_key_hash ("the", 3);
  gboolean after_connector = FALSE;
  while (k < n && k <= h + MAX_ORG_RIGHT)
    {
      const EsToken *t = TOK (d, k);
      if (t->gap != ES_GAP_SPACE || (t->flags & ES_T_BLOCKED) || TOK (d, k - 1)->flags & ES_T_POSSESSIVE)
        break;
      if (!(t->flags & ES_T_CAP) && (wflags (d, t) & ES_W_CONNECTOR))
        {
          if ((t->hash == the && !after_connector) || (t->hash == and_ && (after_connector || k == h + 1)))
            break;
          if (t->hash == and_ && (k + 1 >= n || !org_word (d, TOK (d, k + 1))))
            break;
          after_connector = TRUE;
          k++;
          continue;
        }
      if (!org_word (d, t) || k == h + 1)   /* a head is followed by a connector first */
        break;
      after_connector = FALSE;
      last = k++;
    }
  return last;
}

/* An acronym no list knows, in mixed-case text: three to six capitals ("MFA", "CBK",
 * "SOUTHCOM"); cables write organizations so. Not a cue ("DCM"), a marking ("SBU"), a
 * roman number, a redaction or a word of the lexicon. */
static gboolean
is_acronym (const Doc *d, const EsToken *t)
{
  guint n = t->end - t->start;
  const char *s = d->text + t->start;
  if (n < 3 || n > 8 || (t->flags & (ES_T_UPPER | ES_T_CAPS_LINE | ES_T_BLOCKED)) != ES_T_UPPER ||
      t->root || (t->wflags & (ES_W_NON_NAME | ES_W_CONNECTOR)) || is_redacted (d, t) || common (d, t))
    return FALSE;
  guint letters = 0;
  gboolean roman = TRUE;
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isalpha (s[i]))
        return FALSE;
      letters++;
      roman = roman && strchr ("IVXLCDM", s[i]);
    }
  return letters >= 3 && letters <= 6 && !roman;
}

static void
patterns (Doc *d)
{
  guint n = d->n_toks;
  for (guint i = 0; i < n; i++)
    {
      const EsToken *t = TOK (d, i);
      if (!org_word (d, t))
        continue;
      guint32 f = wflags (d, t);
      if (f & (ES_W_ORG_SUFFIX | ES_W_ORG_PREFIX | ES_W_PLACE | ES_W_ALONE))
        {
          guint first = i;
          if (f & (ES_W_ORG_SUFFIX | ES_W_PLACE))
            while (first > 0 && first + MAX_ORG_LEFT > i)
              {
                const EsToken *l = TOK (d, first - 1), *r = TOK (d, first);
                if (r->gap != ES_GAP_SPACE || !org_word (d, l) || (l->flags & ES_T_POSSESSIVE))
                  break;
                /* a common word that opens a sentence is not a name ("Yesterday Party ...") */
                if (l->gap == ES_GAP_BREAK && common (d, l) && !(wflags (d, l) & ES_W_ADJECTIVE))
                  break;
                first--;
              }
          guint last = (f & (ES_W_ORG_SUFFIX | ES_W_ORG_PREFIX)) ? org_right (d, i) : i;
          if (first < i && (f & ES_W_PLACE) && last == i)
            add_cand (d, first, last, d->LOC, SRC_PATTERN, TIER_GAZETTEER);
          else if ((first < i && (f & ES_W_ORG_SUFFIX)) || (last > i && (f & ES_W_ORG_PREFIX)) ||
                   (f & ES_W_ALONE))
            add_cand (d, first, last, d->ORG, SRC_PATTERN, TIER_GAZETTEER);
          continue;
        }
      if (is_acronym (d, t))
        {
          add_cand (d, i, i, d->ORG, SRC_PATTERN, TIER_GAZETTEER);
          continue;
        }
      /* two or three capitalized words that are no common word, place, title or
       * organization word: a person's name ("met with Mikhail Gorbachev") */
      guint last = i;
      while (last < n)
        {
          const EsToken *u = TOK (d, last);
          guint32 uf = wflags (d, u);
          if ((last > i && u->gap != ES_GAP_SPACE) ||
              (u->flags & (ES_T_CAP | ES_T_UPPER | ES_T_BLOCKED | ES_T_CAPS_LINE)) != ES_T_CAP ||
              (uf & (ES_W_NON_NAME | ES_W_ORG_SUFFIX | ES_W_ORG_PREFIX | ES_W_ADJECTIVE)) ||
              u->root || common (d, u) || has_lower_part (d, u))
            break;
          last++;
          if (u->flags & ES_T_POSSESSIVE)
            break;
        }
      if (last - i >= 2 && last - i <= MAX_PATTERN_NAME)
        {
          add_cand (d, i, last - 1, d->PER, SRC_PATTERN, TIER_WEAK);
          person_add (d, i, last - 1, TIER_WEAK, SRC_PROPAGATED);
        }
      if (last > i)
        i = last - 1;
    }
}

/* ---- resolution ---- */

static int
cand_cmp (const void *a, const void *b)
{
  const Cand *x = a, *y = b;
  if (x->tier != y->tier)
    return x->tier > y->tier ? -1 : 1;
  guint lx = x->last - x->first, ly = y->last - y->first;
  if (lx != ly)
    return lx > ly ? -1 : 1;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  /* the same words twice: the original finding before its propagated copy */
  static const guint8 rank[] = { [SRC_HEADER] = 0, [SRC_CUE] = 1, [SRC_GAZETTEER] = 2,
                                 [SRC_PATTERN] = 3, [SRC_PROPAGATED] = 4 };
  return rank[x->source] < rank[y->source] ? -1 : rank[x->source] > rank[y->source] ? 1 : 0;
}

static int
cand_pos_cmp (const void *a, const void *b)
{
  const Cand *x = a, *y = b;
  return x->first < y->first ? -1 : x->first > y->first ? 1 : 0;
}

/* ---- work buffers ---- */

typedef struct _Scratch {
  EsToken *toks;
  guint    cap_toks;
  Cand    *cands;
  guint    cap_cands, n_cands;
  GArray  *people, *person_keys, *kept, *blocked, *existing;
  GArray  *sorted;
  GString *scratch;
  guint32 *count;
  gsize    cap_count;
} Scratch;

/* A document this large gives its buffers back to the system, not to the pool. */
#define KEEP_MAX_WORDS (1u << 18)

static Scratch *
scratch_new (void)
{
  Scratch *w = g_new0 (Scratch, 1);
  w->people = g_array_new (FALSE, FALSE, sizeof (Person));
  w->person_keys = g_array_new (FALSE, FALSE, sizeof (PersonKey));
  w->kept = g_array_new (FALSE, FALSE, sizeof (Cand));
  w->sorted = g_array_new (FALSE, FALSE, sizeof (Cand));
  w->blocked = g_array_new (FALSE, FALSE, sizeof (Range));
  w->existing = g_array_new (FALSE, FALSE, sizeof (QuarrySpan));
  w->scratch = g_string_new (NULL);
  return w;
}

static void
scratch_free (gpointer p)
{
  Scratch *w = p;
  g_free (w->toks);
  g_free (w->cands);
  g_array_unref (w->people);
  g_array_unref (w->person_keys);
  g_array_unref (w->kept);
  g_array_unref (w->sorted);
  g_array_unref (w->blocked);
  g_array_unref (w->existing);
  g_string_free (w->scratch, TRUE);
  g_free (w->count);
  g_free (w);
}

void
es_spotter_init (EsSpotter *sp, const EsLexicon *lex, EsMode mode, gboolean use_header)
{
  sp->lex = lex;
  sp->mode = mode;
  sp->use_header = use_header;
  g_mutex_init (&sp->pool_lock);
  sp->pool = g_ptr_array_new_with_free_func (scratch_free);
}

void
es_spotter_clear (EsSpotter *sp)
{
  if (!sp->pool)
    return;
  g_ptr_array_unref (sp->pool);
  sp->pool = NULL;
  g_mutex_clear (&sp->pool_lock);
}

static Scratch *
scratch_take (EsSpotter *sp)
{
  Scratch *w = NULL;
  g_mutex_lock (&sp->pool_lock);
  if (sp->pool->len)
    w = g_ptr_array_steal_index_fast (sp->pool, sp->pool->len - 1);
  g_mutex_unlock (&sp->pool_lock);
  return w ? w : scratch_new ();
}

static void
scratch_give (EsSpotter *sp, Scratch *w)
{
  if (w->cap_toks > KEEP_MAX_WORDS || w->n_cands > KEEP_MAX_WORDS || w->kept->len > KEEP_MAX_WORDS)
    {
      scratch_free (w);
      return;
    }
  w->n_cands = 0;
  g_array_set_size (w->people, 0);
  g_array_set_size (w->person_keys, 0);
  g_array_set_size (w->kept, 0);
  g_array_set_size (w->sorted, 0);
  g_array_set_size (w->blocked, 0);
  g_array_set_size (w->existing, 0);
  g_mutex_lock (&sp->pool_lock);
  g_ptr_array_add (sp->pool, w);
  g_mutex_unlock (&sp->pool_lock);
}

static int
span_start_cmp (const void *a, const void *b)
{
  const QuarrySpan *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

gboolean
es_spot_document (EsSpotter *sp, QuarryDocument *doc, GError **error)
{
  if (sp->mode == ES_MODE_OFF)
    return TRUE;

  const char *ENTITY = g_intern_static_string ("entity");
  const char *PAGE_BREAK = g_intern_static_string ("page-break");
  /* interned names go back to the document as they are: it knows them by address */
  const char *SPOTTED_BY = g_intern_static_string ("spotted_by");
  Doc d = { 0 };
  d.lex = sp->lex;
  d.text = quarry_document_get_text (doc, &d.len);
  d.PER = g_intern_static_string ("PER");
  d.LOC = g_intern_static_string ("LOC");
  d.ORG = g_intern_static_string ("ORG");
  d.MISC = g_intern_static_string ("MISC");
  d.all = es_lexicon_table_all (sp->lex);
  d.small = es_lexicon_table_small (sp->lex);
  d.pairs = es_lexicon_small_pairs (sp->lex);
  if (d.len >= G_MAXUINT32)
    {
      /* words keep 32-bit offsets: four gigabytes of text is no document to spot */
      quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "document-too-large", QUARRY_NO_OFFSET,
                                "the text has %" G_GSIZE_FORMAT " bytes, more than entity-spot reads "
                                "(4 GiB): no mentions were spotted; split the document", d.len);
      return TRUE;
    }

  /* what no mention may touch: page-break lines; the entity spans already there */
  Scratch *w = scratch_take (sp);
  GArray *blocked = w->blocked, *existing = w->existing;
  guint n_spans = quarry_document_get_n_spans (doc);
  for (guint i = 0; i < n_spans; i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (doc, i);
      if (s->layer == PAGE_BREAK)
        {
          Range r = { s->start, s->end };
          g_array_append_val (blocked, r);
        }
      else if (s->layer == ENTITY)
        g_array_append_val (existing, *s);
    }
  /* fill: a document that carries entity markup (the tagged seed) was annotated whole
   * by its tagger: what it left untagged it judged no entity, under conventions of its
   * own (it tags "Russia’s" as MISC, skips some TAGS codes). Mixing our guesses in would
   * give one document two annotators, so it is left as it is. */
  if (sp->mode == ES_MODE_FILL && existing->len > 0)
    {
      scratch_give (sp, w);
      return TRUE;
    }
  /* an empty GArray has no data: qsort must not see NULL (UBSan says so) */
  if (blocked->len > 1)
    qsort (blocked->data, blocked->len, sizeof (Range), range_cmp);
  /* overlapping ranges: keep each end the furthest so far, the scan stays monotone */
  for (guint i = 1; i < blocked->len; i++)
    {
      Range *a = &g_array_index (blocked, Range, i - 1), *b = &g_array_index (blocked, Range, i);
      if (b->end < a->end)
        b->end = a->end;
    }

  /* about one word in seven bytes of cable text */
  d.work = w;
  d.toks = w->toks;
  d.cap_toks = w->cap_toks;
  d.cands = w->cands;
  d.cap_cands = w->cap_cands;
  d.people = w->people;
  d.person_keys = w->person_keys;
  d.scratch = w->scratch;

  tokenize (&d, (const Range *) blocked->data, blocked->len);
  gazetteer_and_cues (&d);
  if (sp->use_header)
    header_people (&d, doc);
  patterns (&d);
  propagate (&d);

  /* one mention per word. Candidates that overlap nothing else (most) are kept; each
   * group of overlapping ones is settled alone, best first (cand_cmp): the same result
   * as settling all at once, as groups do not touch. Candidates in word order by a
   * counting sort: no comparison sort of the whole list. */
  GArray *kept = w->kept;
  guint n_c = d.n_cands;
  w->cands = d.cands;
  w->cap_cands = d.cap_cands;
  w->n_cands = n_c;
  if (w->cap_count < d.n_toks + 1)
    {
      w->cap_count = d.n_toks + 1;
      w->count = g_renew (guint32, w->count, w->cap_count);
    }
  memset (w->count, 0, (d.n_toks + 1) * sizeof (guint32));
  for (guint i = 0; i < n_c; i++)
    w->count[d.cands[i].first + 1]++;
  for (guint i = 1; i <= d.n_toks; i++)
    w->count[i] += w->count[i - 1];
  g_array_set_size (w->sorted, n_c);
  for (guint i = 0; i < n_c; i++)
    {
      const Cand *c = &d.cands[i];
      g_array_index (w->sorted, Cand, w->count[c->first]++) = *c;
    }
  Cand *sorted = (Cand *) (void *) w->sorted->data;
  /* at most every candidate is kept: written in place, no append per mention */
  g_array_set_size (kept, n_c);
  Cand *kv = (Cand *) (void *) kept->data;
  guint n_kept = 0;
  for (guint a = 0; a < n_c;)
    {
      guint b = a + 1, reach = sorted[a].last;
      while (b < n_c && sorted[b].first <= reach)
        reach = MAX (reach, sorted[b].last), b++;
      if (b == a + 1)
        {
          kv[n_kept++] = sorted[a];
          a = b;
          continue;
        }
      /* a group: best first, each kept if its words are still free */
      qsort (sorted + a, b - a, sizeof (Cand), cand_cmp);
      guint kept0 = n_kept;
      for (guint i = a; i < b; i++)
        {
          gboolean free_ = TRUE;
          for (guint k = kept0; free_ && k < n_kept; k++)
            {
              const Cand *o = &kv[k];
              free_ = sorted[i].last < o->first || sorted[i].first > o->last;
            }
          if (free_)
            kv[n_kept++] = sorted[i];
        }
      qsort (kv + kept0, n_kept - kept0, sizeof (Cand), cand_pos_cmp);
      a = b;
    }
  g_array_set_size (kept, n_kept);

  if (existing->len > 1)
    qsort (existing->data, existing->len, sizeof (QuarrySpan), span_start_cmp);
  gboolean ok = TRUE;
  guint ex = 0;
  /* one value per source, shared by the document's spans: no allocation per mention */
  json_object *by[G_N_ELEMENTS (source_names)] = { NULL };
  for (guint i = 0; ok && i < kept->len; i++)
    {
      const Cand *c = &g_array_index (kept, Cand, i);
      gsize s = TOK (&d, c->first)->start, e = TOK (&d, c->last)->end;
      /* replace: a mention already there as it is is not added twice (both lists by start) */
      gboolean dup = FALSE;
      while (ex < existing->len && g_array_index (existing, QuarrySpan, ex).start < s)
        ex++;
      for (guint k = ex; !dup && k < existing->len && g_array_index (existing, QuarrySpan, k).start == s; k++)
        {
          const QuarrySpan *x = &g_array_index (existing, QuarrySpan, k);
          dup = x->end == e && x->label == c->label;
        }
      if (dup)
        continue;
      gint idx = quarry_document_add_span (doc, ENTITY, c->label, s, e, NULL, error);
      if (idx < 0)
        ok = FALSE;
      else
        {
          if (!by[c->source])
            by[c->source] = json_object_new_string (source_names[c->source]);
          quarry_document_span_set_attr (doc, idx, SPOTTED_BY, json_object_get (by[c->source]));
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (by); i++)
    json_object_put (by[i]);

  for (guint i = 0; i < d.people->len; i++)
    g_free (g_array_index (d.people, Person, i).keys);
  w->toks = d.toks;
  w->cap_toks = d.cap_toks;
  scratch_give (sp, w);
  return ok;
}
