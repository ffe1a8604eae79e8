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
  GPtrArray *keys;   /* char*: the keys of the name's words */
  guint8     tier;   /* of its propagated mentions */
  guint8     source; /* of its full-name mentions (header) or SRC_PROPAGATED */
} Person;

typedef struct {
  const EsSpotter *sp;
  const EsLexicon *lex;
  const char      *text;
  gsize            len;
  GArray          *toks;     /* EsToken */
  GArray          *cands;    /* Cand */
  GPtrArray       *people;   /* Person* */
  GHashTable      *by_first; /* key -> GPtrArray of Person* (full names) */
  GHashTable      *by_last;  /* key -> GPtrArray of Person* (surnames) */
  GString         *scratch;
  const char      *PER, *LOC, *ORG, *MISC;
} Doc;

#define TOK(d, i) (&g_array_index ((d)->toks, EsToken, (i)))

static const EsWord *
word_of (const Doc *d, const EsToken *t)
{
  return es_lexicon_word (d->lex, t->word);
}

static guint32
wflags (const Doc *d, const EsToken *t)
{
  const EsWord *w = word_of (d, t);
  return w ? w->flags : 0;
}

static void
add_cand (Doc *d, guint first, guint last, const char *label, Source source, guint tier)
{
  Cand c = { first, last, label, (guint8) source, (guint8) tier };
  g_array_append_val (d->cands, c);
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
  for (guint i = first; i < end; i++)
    TOK (d, i)->flags |= flags;
}

static void
tokenize (Doc *d, const Range *blocked, guint n_blocked)
{
  const char *text = d->text, *end = text + d->len;
  const char *p = text;
  EsToken tok;
  guint line_first = 0, upper = 0, lower = 0, b = 0;

  while (es_next_token (p, end, text, &tok))
    {
      guint n = d->toks->len;
      if (n > 0)
        {
          EsToken *prev = TOK (d, n - 1);
          tok.gap = es_gap (text, prev, &tok);
          if (memchr (text + prev->end, '\n', tok.start - prev->end))
            {
              finish_line (d, line_first, n, upper, lower);
              line_first = n;
              upper = lower = 0;
            }
        }
      const char *s = text + tok.start, *e = text + tok.end;
      guint u = 0, l = 0;
      for (const char *q = s; q < e; q++)
        {
          u += g_ascii_isupper (*q);
          l += g_ascii_islower (*q);
        }
      gboolean cap;
      if ((guchar) *s < 0x80)
        cap = g_ascii_isupper (*s);
      else
        {
          gunichar c = g_utf8_get_char (s);
          cap = g_unichar_isupper (c) || g_unichar_istitle (c);
          /* letters outside ASCII count too for the line's case */
          for (const char *q = s; q < e; q = g_utf8_next_char (q))
            if ((guchar) *q >= 0x80)
              {
                gunichar x = g_utf8_get_char (q);
                u += g_unichar_isupper (x);
                l += g_unichar_islower (x);
              }
        }
      if (cap)
        tok.flags |= ES_T_CAP;
      if (u > 0 && l == 0)
        tok.flags |= ES_T_UPPER;
      upper += u;
      lower += l;
      while (b < n_blocked && blocked[b].end <= tok.start)
        b++;
      if (b < n_blocked && blocked[b].start < tok.end)
        tok.flags |= ES_T_BLOCKED;
      tok.word = es_lexicon_find_word (d->lex, s, e - s, d->scratch);
      g_array_append_val (d->toks, tok);
      p = e;
    }
  finish_line (d, line_first, d->toks->len, upper, lower);
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
  guint32 node = es_lexicon_step (d->lex, 0, t->word, ES_GAP_SPACE);
  gint best = -1;
  for (guint j = i; node; )
    {
      const EsTerm *term = es_lexicon_term (d->lex, node);
      if (term && term->cue_forms &&
          forms_match (term->cue_forms, d->text + t->start, d->text + TOK (d, j)->end,
                       (t->flags & ES_T_CAPS_LINE) != 0))
        best = j;
      if (++j >= d->toks->len)
        break;
      const EsToken *n = TOK (d, j);
      if ((n->flags & ES_T_BLOCKED) || n->gap == ES_GAP_BREAK)
        break;
      node = es_lexicon_step (d->lex, node, n->word, n->gap);
    }
  return best;
}

static gboolean
name_word (const Doc *d, const EsToken *t)
{
  if (t->flags & ES_T_BLOCKED)
    return FALSE;
  guint32 f = wflags (d, t);
  if (f & (ES_W_NON_NAME | ES_W_CONNECTOR | ES_W_ORG_SUFFIX | ES_W_ORG_PREFIX))
    return FALSE;
  if (t->flags & ES_T_CAPS_LINE)
    {
      /* all words are capitals there: only uncommon ones that name no place */
      const EsWord *w = word_of (d, t);
      const EsTerm *term = w ? es_lexicon_term (d->lex, w->root) : NULL;
      return !(f & ES_W_COMMON) && !(term && term->alias_forms);
    }
  return (t->flags & ES_T_CAP) != 0;
}

static void person_add (Doc *d, guint first, guint last, guint tier, Source source);

/* A cue ends at token c: the name after it, if any. */
static void
name_after_cue (Doc *d, guint c)
{
  guint k = c + 1;
  for (guint chain = 0; chain < MAX_CUE_CHAIN && k < d->toks->len; chain++)
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
  for (; last < d->toks->len && last < first + MAX_NAME_WORDS; last++)
    {
      const EsToken *t = TOK (d, last);
      if (t->gap != ES_GAP_SPACE || !name_word (d, t) ||
          (last > first && TOK (d, last - 1)->flags & ES_T_POSSESSIVE))
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
  guint n = d->toks->len;
  for (guint i = 0; i < n; i++)
    {
      const EsToken *t = TOK (d, i);
      if (t->flags & ES_T_BLOCKED)
        continue;
      guint32 node = es_lexicon_step (d->lex, 0, t->word, ES_GAP_SPACE);
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
person_free (gpointer p)
{
  Person *x = p;
  g_ptr_array_unref (x->keys);
  g_free (x);
}

static void
index_person (GHashTable *table, const char *key, Person *p)
{
  GPtrArray *list = g_hash_table_lookup (table, key);
  if (!list)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (table, g_strdup (key), list);
    }
  for (guint i = 0; i < list->len; i++)
    {
      Person *q = list->pdata[i];
      if (q->keys->len == p->keys->len && q->tier >= p->tier)
        {
          gboolean same = TRUE;
          for (guint k = 0; same && k < q->keys->len; k++)
            same = !strcmp (q->keys->pdata[k], p->keys->pdata[k]);
          if (same)
            return;
        }
    }
  g_ptr_array_add (list, p);
}

static void
person_register (Doc *d, GPtrArray *keys, guint tier, Source source)
{
  if (keys->len == 0)
    {
      g_ptr_array_unref (keys);
      return;
    }
  Person *p = g_new0 (Person, 1);
  p->keys = keys;
  p->tier = (guint8) tier;
  p->source = (guint8) source;
  g_ptr_array_add (d->people, p);
  index_person (d->by_first, keys->pdata[0], p);
  /* the surname: the last word, if it can stand alone (not an initial) */
  const char *last = keys->pdata[keys->len - 1];
  if (strlen (last) >= 3)
    index_person (d->by_last, last, p);
}

static void
person_add (Doc *d, guint first, guint last, guint tier, Source source)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = first; i <= last; i++)
    {
      const EsToken *t = TOK (d, i);
      es_token_key (d->text + t->start, t->end - t->start, d->scratch);
      g_ptr_array_add (keys, g_strdup (d->scratch->str));
    }
  person_register (d, keys, tier, source);
}

static void
person_from_string (Doc *d, const char *name)
{
  const char *end = name + strlen (name), *p = name;
  EsToken tok;
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  while (es_next_token (p, end, name, &tok))
    {
      es_token_key (name + tok.start, tok.end - tok.start, d->scratch);
      if (d->scratch->len)
        g_ptr_array_add (keys, g_strdup (d->scratch->str));
      p = name + tok.end;
    }
  person_register (d, keys, TIER_PERSON, SRC_HEADER);
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

/* Every known person's full name and surname, wherever they are. */
static void
propagate (Doc *d)
{
  if (d->people->len == 0)
    return;
  guint n = d->toks->len;
  for (guint i = 0; i < n; i++)
    {
      const EsToken *t = TOK (d, i);
      if ((t->flags & (ES_T_BLOCKED | ES_T_CAP)) != ES_T_CAP || (wflags (d, t) & ES_W_NON_NAME))
        continue;
      es_token_key (d->text + t->start, t->end - t->start, d->scratch);
      GPtrArray *full = g_hash_table_lookup (d->by_first, d->scratch->str);
      GPtrArray *sur = g_hash_table_lookup (d->by_last, d->scratch->str);
      if (!full && !sur)
        continue;
      guint best_last = 0, best_tier = 0, best_source = 0;
      gboolean found = FALSE;
      for (guint p = 0; full && p < full->len; p++)
        {
          const Person *x = full->pdata[p];
          guint k = 1;
          for (; k < x->keys->len && i + k < n; k++)
            {
              const EsToken *u = TOK (d, i + k);
              if (u->gap != ES_GAP_SPACE || (u->flags & (ES_T_BLOCKED | ES_T_CAP)) != ES_T_CAP)
                break;
              es_token_key (d->text + u->start, u->end - u->start, d->scratch);
              if (strcmp (d->scratch->str, x->keys->pdata[k]))
                break;
            }
          if (k == x->keys->len && (!found || i + k - 1 > best_last || x->tier > best_tier))
            {
              found = TRUE;
              best_last = i + k - 1;
              best_tier = x->tier == TIER_PERSON && x->source == SRC_HEADER ? TIER_STRONG : x->tier;
              best_source = x->source;
            }
        }
      if (found && best_last > i)
        {
          add_cand (d, i, best_last, d->PER, best_source, best_tier);
          i = best_last;
          continue;
        }
      /* a surname alone: the strongest person who has it */
      guint tier = found ? best_tier : 0, source = found ? best_source : SRC_PROPAGATED;
      for (guint p = 0; sur && p < sur->len; p++)
        {
          const Person *x = sur->pdata[p];
          if (!found || x->tier > tier)
            {
              found = TRUE;
              tier = x->tier;
              source = x->keys->len == 1 ? x->source : SRC_PROPAGATED;
            }
        }
      if (found)
        add_cand (d, i, i, d->PER, source, source == SRC_HEADER ? TIER_STRONG : tier);
    }
}

/* ---- patterns: organizations, names without a cue ---- */

static gboolean
org_word (const Doc *d, const EsToken *t)
{
  return (t->flags & (ES_T_CAP | ES_T_BLOCKED | ES_T_CAPS_LINE)) == ES_T_CAP &&
         !(wflags (d, t) & ES_W_NON_NAME);
}

/* After token h: connectors and capitalized words ("of Foreign Affairs and Trade"). */
static guint
org_right (const Doc *d, guint h)
{
  guint last = h, k = h + 1, n = d->toks->len;
  while (k < n && k <= h + MAX_ORG_RIGHT)
    {
      const EsToken *t = TOK (d, k);
      if (t->gap != ES_GAP_SPACE || (t->flags & ES_T_BLOCKED) || TOK (d, k - 1)->flags & ES_T_POSSESSIVE)
        break;
      if (!(t->flags & ES_T_CAP) && (wflags (d, t) & ES_W_CONNECTOR))
        {
          k++;
          continue;
        }
      if (!org_word (d, t))
        break;
      last = k++;
    }
  return last;
}

static void
patterns (Doc *d)
{
  guint n = d->toks->len;
  for (guint i = 0; i < n; i++)
    {
      const EsToken *t = TOK (d, i);
      if (!org_word (d, t))
        continue;
      guint32 f = wflags (d, t);
      if (f & (ES_W_ORG_SUFFIX | ES_W_ORG_PREFIX))
        {
          guint first = i;
          if (f & ES_W_ORG_SUFFIX)
            while (first > 0 && first + MAX_ORG_LEFT > i)
              {
                const EsToken *l = TOK (d, first - 1), *r = TOK (d, first);
                if (r->gap != ES_GAP_SPACE || !org_word (d, l) || (l->flags & ES_T_POSSESSIVE))
                  break;
                /* a common word that opens a sentence is not a name ("Yesterday Party ...") */
                if (l->gap == ES_GAP_BREAK && (wflags (d, l) & ES_W_COMMON) && !(wflags (d, l) & ES_W_ADJECTIVE))
                  break;
                first--;
              }
          guint last = org_right (d, i);
          if ((first < i && (f & ES_W_ORG_SUFFIX)) || (last > i && (f & ES_W_ORG_PREFIX)))
            add_cand (d, first, last, d->ORG, SRC_PATTERN, TIER_GAZETTEER);
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
              (uf & (ES_W_COMMON | ES_W_NON_NAME | ES_W_ORG_SUFFIX | ES_W_ORG_PREFIX | ES_W_ADJECTIVE)) ||
              (word_of (d, u) && word_of (d, u)->root))
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
  return x->source < y->source ? -1 : x->source > y->source ? 1 : 0;
}

static int
cand_pos_cmp (const void *a, const void *b)
{
  const Cand *x = a, *y = b;
  return x->first < y->first ? -1 : x->first > y->first ? 1 : 0;
}

static int
span_start_cmp (const void *a, const void *b)
{
  const QuarrySpan *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

gboolean
es_spot_document (const EsSpotter *sp, QuarryDocument *doc, GError **error)
{
  if (sp->mode == ES_MODE_OFF)
    return TRUE;

  const char *ENTITY = g_intern_static_string ("entity");
  const char *PAGE_BREAK = g_intern_static_string ("page-break");
  Doc d = { 0 };
  d.sp = sp;
  d.lex = sp->lex;
  d.text = quarry_document_get_text (doc, &d.len);
  d.PER = g_intern_static_string ("PER");
  d.LOC = g_intern_static_string ("LOC");
  d.ORG = g_intern_static_string ("ORG");
  d.MISC = g_intern_static_string ("MISC");

  /* what no mention may touch: page-break lines, and (fill) the entity spans already there */
  g_autoptr (GArray) blocked = g_array_new (FALSE, FALSE, sizeof (Range));
  g_autoptr (GArray) existing = g_array_new (FALSE, FALSE, sizeof (QuarrySpan));
  guint n_spans = quarry_document_get_n_spans (doc);
  for (guint i = 0; i < n_spans; i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (doc, i);
      if (s->layer == PAGE_BREAK || (s->layer == ENTITY && sp->mode == ES_MODE_FILL))
        {
          Range r = { s->start, s->end };
          g_array_append_val (blocked, r);
        }
      else if (s->layer == ENTITY)
        g_array_append_val (existing, *s);
    }
  qsort (blocked->data, blocked->len, sizeof (Range), range_cmp);
  /* overlapping ranges: keep each end the furthest so far, the scan stays monotone */
  for (guint i = 1; i < blocked->len; i++)
    {
      Range *a = &g_array_index (blocked, Range, i - 1), *b = &g_array_index (blocked, Range, i);
      if (b->end < a->end)
        b->end = a->end;
    }

  d.toks = g_array_new (FALSE, FALSE, sizeof (EsToken));
  d.cands = g_array_new (FALSE, FALSE, sizeof (Cand));
  d.people = g_ptr_array_new_with_free_func (person_free);
  d.by_first = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  d.by_last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  d.scratch = g_string_new (NULL);

  tokenize (&d, (const Range *) blocked->data, blocked->len);
  gazetteer_and_cues (&d);
  if (sp->use_header)
    header_people (&d, doc);
  patterns (&d);
  propagate (&d);

  /* one mention per word: the best candidates first */
  qsort (d.cands->data, d.cands->len, sizeof (Cand), cand_cmp);
  guint8 *taken = g_malloc0 (d.toks->len + 1);
  g_autoptr (GArray) kept = g_array_new (FALSE, FALSE, sizeof (Cand));
  for (guint i = 0; i < d.cands->len; i++)
    {
      const Cand *c = &g_array_index (d.cands, Cand, i);
      gboolean free_ = TRUE;
      for (guint k = c->first; free_ && k <= c->last; k++)
        free_ = !taken[k];
      if (!free_)
        continue;
      memset (taken + c->first, 1, c->last - c->first + 1);
      g_array_append_val (kept, *c);
    }
  g_free (taken);
  qsort (kept->data, kept->len, sizeof (Cand), cand_pos_cmp);

  qsort (existing->data, existing->len, sizeof (QuarrySpan), span_start_cmp);
  gboolean ok = TRUE;
  guint ex = 0;
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
      gint idx = quarry_document_add_span (doc, "entity", c->label, s, e, NULL, error);
      if (idx < 0)
        ok = FALSE;
      else
        quarry_document_span_set_attr (doc, idx, "spotted_by",
                                       json_object_new_string (source_names[c->source]));
    }

  g_string_free (d.scratch, TRUE);
  g_hash_table_unref (d.by_first);
  g_hash_table_unref (d.by_last);
  g_ptr_array_unref (d.people);
  g_array_unref (d.cands);
  g_array_unref (d.toks);
  return ok;
}
