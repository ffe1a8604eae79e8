/* es-lexicon.c: entity-spot's set-up: data files and the KB's aliases compiled into one word table and token trie. */
#include "es-lexicon.h"
#include "el-normalize.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (es-lexicon-error-quark, es_lexicon_error)

/* ---- the tokenizer (shared by text and data, so both split alike) ---- */

static inline gboolean
is_apostrophe (gunichar c)
{
  return c == '\'' || c == 0x2019 || c == 0x2018 || c == 0x02BC;
}

/* Characters that join two runs of letters into one word. */
static inline gboolean
is_joiner (gunichar c)
{
  return c == '.' || c == '-' || c == '&' || c == 0x2010 || c == 0x2011 || is_apostrophe (c);
}

static inline gunichar
char_at (const char *p, const char *end, gsize *clen)
{
  guchar b = (guchar) *p;
  if (b < 0x80)
    {
      *clen = 1;
      return b;
    }
  gunichar c = g_utf8_get_char_validated (p, end - p);
  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      *clen = 1;                 /* a stray byte (not in a document's text): a separator */
      return 0xFFFD;
    }
  *clen = g_utf8_next_char (p) - p;
  return c;
}

static inline gboolean
is_word_char (gunichar c)
{
  if (c < 0x80)
    return g_ascii_isalnum (c);
  return c != 0xFFFD && (g_unichar_isalnum (c) || g_unichar_ismark (c));
}

gboolean
es_next_token (const char *p, const char *end, const char *base, EsToken *tok)
{
  gsize clen;
  gunichar c;

  /* ASCII non-word bytes are the common case between words */
  while (p < end)
    {
      guchar b = (guchar) *p;
      if (b < 0x80)
        {
          if (g_ascii_isalnum (b))
            break;
          p++;
          continue;
        }
      c = char_at (p, end, &clen);
      if (is_word_char (c))
        break;
      p += clen;
    }
  if (p >= end)
    return FALSE;

  const char *start = p;
  gboolean inner_dot = FALSE, possessive = FALSE;
  guint n_chars = 0;
  for (;;)
    {
      while (p < end)
        {
          guchar b = (guchar) *p;
          if (b < 0x80)
            {
              if (!g_ascii_isalnum (b))
                break;
              p++;
            }
          else
            {
              c = char_at (p, end, &clen);
              if (!is_word_char (c))
                break;
              p += clen;
            }
          n_chars++;
        }
      if (p >= end)
        break;
      c = char_at (p, end, &clen);
      if (!is_joiner (c) || p + clen >= end)
        break;
      gsize nlen;
      gunichar next = char_at (p + clen, end, &nlen);
      if (!is_word_char (next))
        break;
      if (is_apostrophe (c) && (next == 's' || next == 'S'))
        {
          /* "Miliband’s": the possessive is not part of the name; "People's" joins
           * the next word through the gap (ES_GAP_POSSESSIVE) where an alias has it */
          const char *after = p + clen + nlen;
          gsize alen = 0;
          if (after >= end || !is_word_char (char_at (after, end, &alen)))
            {
              possessive = TRUE;
              break;
            }
        }
      if (c == '.')
        inner_dot = TRUE;
      p += clen;
    }
  /* initials and dotted abbreviations keep their final period: "M.", "U.S." */
  if (p < end && *p == '.' && (inner_dot || (n_chars == 1 && g_ascii_isupper (*start))))
    p++;

  tok->start = (guint32) (start - base);
  tok->end = (guint32) (p - base);
  tok->hash = 0;
  tok->word = -1;
  tok->root = 0;
  tok->wflags = 0;
  tok->gap = ES_GAP_BREAK;
  tok->flags = possessive ? ES_T_POSSESSIVE : 0;
  return TRUE;
}

EsGap
es_gap (const char *base, const EsToken *prev, const EsToken *next)
{
  const char *p = base + prev->end, *e = base + next->start;
  guint newlines = 0;

  if (prev->flags & ES_T_POSSESSIVE)
    {
      /* "’s" or "'s" then spaces */
      if (*p == '\'')
        p++;
      else if (e - p >= 3 && !memcmp (p, "\xe2\x80\x99", 3))
        p += 3;
      if (p < e && (*p == 's' || *p == 'S'))
        p++;
      if (p == base + prev->end || p >= e || (*p != ' ' && *p != '\t'))
        return ES_GAP_BREAK;
      for (; p < e; p++)
        if (*p != ' ' && *p != '\t')
          return ES_GAP_BREAK;
      return ES_GAP_POSSESSIVE;
    }
  if (p < e && *p == '.' && prev->end - prev->start <= 3 && base[prev->end - 1] != '.')
    p++;                         /* "St. Petersburg", "Mr. Smith" */
  if (p == e)
    return ES_GAP_BREAK;         /* a joiner that did not join ("U.S.-Russia") */
  for (; p < e; p++)
    {
      if (*p == '\n')
        {
          if (++newlines > 1)
            return ES_GAP_BREAK;
        }
      else if (*p != ' ' && *p != '\t' && *p != '\r')
        return ES_GAP_BREAK;
    }
  return ES_GAP_SPACE;
}

void
es_token_key (const char *s, gsize len, GString *out)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) s[i] >= 0x80)
      {
        el_normalize_key (s, len, out);
        return;
      }
  g_string_truncate (out, 0);
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];
      if (c == '.' || c == '\'')
        continue;
      g_string_append_c (out, g_ascii_tolower (c));
    }
}

/* ---- the lexicon ---- */

typedef struct {
  guint64 key;     /* node << 34 | gap << 32 | word; 0 = empty (node 0 never has gap bits) */
  guint32 child;
} EsEdge;

/* A word while the lexicon is built. */
typedef struct {
  char    *key;
  guint32  flags;
  guint32  root;            /* trie node reached from the root by this word, 0 if none */
  gboolean small;           /* a lower-case word in mixed text may need it */
  gboolean lower_root;      /* some form starts with it in lower case ("journalist") */
} EsWord;

struct _EsLexicon {
  ElMap       word_index;   /* key -> word index + 1 */
  GPtrArray  *words;        /* EsWord* */
  GPtrArray  *terms;        /* per node: EsTerm* or NULL; node 0 is the root */
  EsEdge     *edges;
  guint       edge_mask, n_edges;
  GHashTable *checksums;    /* what -> hex */
  EsTable     all, small, common; /* the words by hash: all but the plain common words;
                                   * the few a lower-case word can need; the plain common words */
  guint8      small_pairs[8192];  /* bit (first byte << 8 | second byte): some small word starts so */
  GString    *plain_keys;   /* while built: the keys of the plain common words, each ending in '\0' */
  GArray     *plain_offs;   /* guint32: where each starts in plain_keys */
  guint       n_aliases, n_cues, n_skipped, n_words;
};

static void
term_free (gpointer p)
{
  EsTerm *t = p;
  if (!t)
    return;
  if (t->alias_forms)
    g_ptr_array_unref (t->alias_forms);
  if (t->cue_forms)
    g_ptr_array_unref (t->cue_forms);
  g_free (t);
}

static void
word_free (gpointer p)
{
  EsWord *w = p;
  g_free (w->key);
  g_free (w);
}

void
es_lexicon_free (EsLexicon *lex)
{
  if (!lex)
    return;
  el_map_destroy (&lex->word_index);
  g_ptr_array_unref (lex->words);
  g_ptr_array_unref (lex->terms);
  g_free (lex->edges);
  g_free (lex->all.slots);
  g_free (lex->small.slots);
  g_free (lex->common.slots);
  if (lex->plain_keys)
    g_string_free (lex->plain_keys, TRUE);
  if (lex->plain_offs)
    g_array_unref (lex->plain_offs);
  g_hash_table_unref (lex->checksums);
  g_free (lex);
}

static gint32
word_add (EsLexicon *lex, const char *key, gsize len)
{
  gpointer v = el_map_lookup (&lex->word_index, key, len);
  if (v)
    return GPOINTER_TO_INT (v) - 1;
  EsWord *w = g_new0 (EsWord, 1);
  w->key = g_strndup (key, len);
  g_ptr_array_add (lex->words, w);
  gint32 index = lex->words->len - 1;
  /* the map keeps the key pointer: the word's own copy */
  *el_map_slot (&lex->word_index, w->key, len) = GINT_TO_POINTER (index + 1);
  return index;
}

guint64
es_key_hash (const char *key, gsize len)
{
  guint64 h = G_GUINT64_CONSTANT (14695981039346656037);
  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) key[i]) * G_GUINT64_CONSTANT (1099511628211);
  return h ? h : 1;
}

const EsTable *
es_lexicon_table_all (const EsLexicon *lex)
{
  return &lex->all;
}

const EsTable *
es_lexicon_table_small (const EsLexicon *lex)
{
  return &lex->small;
}

const guint8 *
es_lexicon_small_pairs (const EsLexicon *lex)
{
  return lex->small_pairs;
}

static inline guint64
edge_key (guint32 node, gint32 word, EsGap gap)
{
  return ((guint64) node << 34) | ((guint64) gap << 32) | (guint32) word;
}

static inline guint
edge_hash (guint64 k)
{
  k ^= k >> 33;
  k *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  k ^= k >> 33;
  return (guint) k;
}

guint32
es_lexicon_step (const EsLexicon *lex, guint32 node, gint32 word, EsGap gap)
{
  if (word < 0 || node == 0 || !lex->edges)
    return 0;
  guint64 k = edge_key (node, word, gap);
  for (guint i = edge_hash (k) & lex->edge_mask;; i = (i + 1) & lex->edge_mask)
    {
      if (lex->edges[i].key == k)
        return lex->edges[i].child;
      if (lex->edges[i].key == 0)
        return 0;
    }
}

static void
edges_grow (EsLexicon *lex)
{
  guint cap = lex->edges ? (lex->edge_mask + 1) * 2 : 1024;
  EsEdge *old = lex->edges;
  guint old_cap = old ? lex->edge_mask + 1 : 0;
  lex->edges = g_new0 (EsEdge, cap);
  lex->edge_mask = cap - 1;
  for (guint i = 0; i < old_cap; i++)
    if (old[i].key)
      {
        guint j = edge_hash (old[i].key) & lex->edge_mask;
        while (lex->edges[j].key)
          j = (j + 1) & lex->edge_mask;
        lex->edges[j] = old[i];
      }
  g_free (old);
}

static guint32
new_node (EsLexicon *lex)
{
  g_ptr_array_add (lex->terms, NULL);
  return lex->terms->len - 1;
}

static guint32
step_or_add (EsLexicon *lex, guint32 node, gint32 word, EsGap gap)
{
  guint32 child = node ? es_lexicon_step (lex, node, word, gap) : ((EsWord *) lex->words->pdata[word])->root;
  if (child)
    return child;
  child = new_node (lex);
  if (node == 0)
    {
      ((EsWord *) lex->words->pdata[word])->root = child;
      return child;
    }
  if (!lex->edges || (lex->n_edges + 1) * 2 > lex->edge_mask + 1)
    edges_grow (lex);
  guint64 k = edge_key (node, word, gap);
  guint i = edge_hash (k) & lex->edge_mask;
  while (lex->edges[i].key)
    i = (i + 1) & lex->edge_mask;
  lex->edges[i].key = k;
  lex->edges[i].child = child;
  lex->n_edges++;
  return child;
}

const EsTerm *
es_lexicon_term (const EsLexicon *lex, guint32 node)
{
  return node && node < lex->terms->len ? lex->terms->pdata[node] : NULL;
}

/* Inserts a written form; returns its terminal node, 0 if it cannot be matched in text
 * (no word, or a gap a mention never spans: "Middle East Peace Process (MEPP)"). */
static guint32
insert_form (EsLexicon *lex, const char *form, guint *n_words, GString *scratch)
{
  const char *end = form + strlen (form), *p = form;
  EsToken tok, prev = { 0 };
  guint32 node = 0;
  guint n = 0;

  while (es_next_token (p, end, form, &tok))
    {
      EsGap gap = n ? es_gap (form, &prev, &tok) : ES_GAP_SPACE;
      if (gap == ES_GAP_BREAK)
        return 0;
      es_token_key (form + tok.start, tok.end - tok.start, scratch);
      if (scratch->len == 0)
        return 0;
      gint32 w = word_add (lex, scratch->str, scratch->len);
      /* a lower-case text word is looked up in the small table only: the words it can be */
      gunichar c0 = g_utf8_get_char (form + tok.start);
      gboolean lower = !(g_unichar_isupper (c0) || g_unichar_istitle (c0));
      if (n > 0 || lower)
        ((EsWord *) lex->words->pdata[w])->small = TRUE;
      if (n == 0 && lower)
        ((EsWord *) lex->words->pdata[w])->lower_root = TRUE;
      node = step_or_add (lex, node, w, gap);
      n++;
      prev = tok;
      p = form + tok.end;
    }
  /* trailing text the tokenizer left ("Foo (") would never be matched either */
  for (; p < end; p++)
    if (!g_ascii_isspace (*p) && *p != '.')
      return 0;
  *n_words = n;
  return node;
}

static EsTerm *
term_at (EsLexicon *lex, guint32 node, guint n_words)
{
  EsTerm *t = lex->terms->pdata[node];
  if (!t)
    {
      t = g_new0 (EsTerm, 1);
      t->n_words = n_words;
      lex->terms->pdata[node] = t;
    }
  return t;
}

static void
add_form (GPtrArray **forms, const char *form)
{
  if (!*forms)
    *forms = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < (*forms)->len; i++)
    if (!strcmp ((*forms)->pdata[i], form))
      return;
  g_ptr_array_add (*forms, g_strdup (form));
}

/* Country codes (TAGS) and alpha-3 codes are words elsewhere ("IN", "AND", "PER"). */
static gboolean
is_code_relation (const char *relation)
{
  return !strcmp (relation, "tag-code") || !strcmp (relation, "alpha-3");
}

static const char *
hit_label (const ElHit *hit)
{
  /* CoNLL: "Russian", "Russians" are MISC, whatever they name */
  if (!strcmp (hit->relation, "adjective") || !strcmp (hit->relation, "demonym"))
    return g_intern_static_string ("MISC");
  return hit->entry->type;
}

typedef struct {
  EsLexicon  *lex;
  const ElKb *kb;
  GString    *scratch;
  GString    *key;
} AliasCtx;

static void
add_alias (const char *alias, const ElHit *hit, gpointer user_data)
{
  AliasCtx *ctx = user_data;
  guint n_words = 0;
  (void) hit;
  guint32 node = insert_form (ctx->lex, alias, &n_words, ctx->scratch);
  if (!node)
    {
      ctx->lex->n_skipped++;
      return;
    }
  EsTerm *t = term_at (ctx->lex, node, n_words);
  gboolean first = t->alias_forms == NULL;
  add_form (&t->alias_forms, alias);
  if (!first)
    return;
  ctx->lex->n_aliases++;
  /* the labels come from every reading of the key, best first, as entity-link sees them */
  el_normalize_key (alias, strlen (alias), ctx->key);
  const GArray *hits = el_kb_lookup (ctx->kb, ctx->key->str);
  for (guint i = 0; hits && i < hits->len; i++)
    {
      const ElHit *h = &g_array_index (hits, ElHit, i);
      if (!t->tags_label)
        t->tags_label = hit_label (h);
      if (!t->label && !is_code_relation (h->relation))
        t->label = hit_label (h);
    }
  t->acronym_only = t->label != NULL;
  for (guint i = 0; hits && i < hits->len; i++)
    {
      const ElHit *h = &g_array_index (hits, ElHit, i);
      if (!is_code_relation (h->relation) && strcmp (h->relation, "acronym"))
        t->acronym_only = FALSE;
    }
  if (n_words == 1 && t->label == g_intern_static_string ("MISC"))
    {
      const ElHit *h = &g_array_index (hits, ElHit, 0);
      if (!strcmp (h->relation, "adjective") || !strcmp (h->relation, "demonym"))
        {
          es_token_key (alias, strlen (alias), ctx->scratch);
          gint32 w = word_add (ctx->lex, ctx->scratch->str, ctx->scratch->len);
          ((EsWord *) ctx->lex->words->pdata[w])->flags |= ES_W_ADJECTIVE;
        }
    }
}

/* Reads a UTF-8 list file: one entry a line, '#' comments and empty lines skipped;
 * calls func (line, lineno) for each; records the file's SHA-256 as what. */
typedef gboolean (*LineFunc) (EsLexicon *lex, char *line, guint lineno, const char *path,
                              GString *scratch, GError **error);

static gboolean
read_list (EsLexicon *lex, const char *path, const char *what, const char *sum_key,
           LineFunc func, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;

  if (!path || !*path)
    {
      g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_FILE,
                   "no %s file given: set the option or install the plugin's data", what);
      return FALSE;
    }
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_FILE,
                   "%s %s: %s (check the path, or reinstall the plugin's data)", what, path, local->message);
      return FALSE;
    }
  const char *bad = NULL;
  if (!g_utf8_validate_len (data, len, &bad))
    {
      guint line = 1;
      for (const char *p = data; p < bad; p++)
        line += *p == '\n';
      g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_FILE,
                   "%s %s:%u: not valid UTF-8 (byte %" G_GSIZE_FORMAT "): convert the file to UTF-8",
                   what, path, line, (gsize) (bad - data));
      return FALSE;
    }
  g_hash_table_insert (lex->checksums, g_strdup (sum_key),
                       g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len));

  g_autoptr (GString) scratch = g_string_new (NULL);
  char *p = data, *end = data + len;
  guint lineno = 0;
  while (p < end)
    {
      char *nl = memchr (p, '\n', end - p);
      char *le = nl ? nl : end;
      lineno++;
      *le = '\0';
      if (le > p && le[-1] == '\r')
        le[-1] = '\0';
      char *line = g_strstrip (p);
      if (*line && *line != '#' && !func (lex, line, lineno, path, scratch, error))
        return FALSE;
      p = le + 1;
    }
  return TRUE;
}

static gboolean G_GNUC_PRINTF (4, 5)
line_fail (GError **error, const char *path, guint lineno, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_LINE, "%s:%u: %s", path, lineno, msg);
  return FALSE;
}

static gboolean
cue_line (EsLexicon *lex, char *line, guint lineno, const char *path, GString *scratch, GError **error)
{
  guint n_words = 0;
  guint32 node = insert_form (lex, line, &n_words, scratch);
  if (!node)
    return line_fail (error, path, lineno,
                      "cue '%s' is not words separated by spaces: write it as it appears before a name", line);
  EsTerm *t = term_at (lex, node, n_words);
  if (!t->cue_forms)
    lex->n_cues++;
  add_form (&t->cue_forms, line);
  return TRUE;
}

/* One word a line, flagged with flag. */
static gboolean
flag_word (EsLexicon *lex, const char *line, guint lineno, const char *path, GString *scratch,
           guint32 flag, GError **error)
{
  EsToken tok;
  const char *end = line + strlen (line);
  if (!es_next_token (line, end, line, &tok) || tok.start != 0 || tok.end != (gsize) (end - line))
    return line_fail (error, path, lineno, "'%s' is not one word: give one word a line", line);
  es_token_key (line, end - line, scratch);
  gint32 w = word_add (lex, scratch->str, scratch->len);
  ((EsWord *) lex->words->pdata[w])->flags |= flag;
  return TRUE;
}

static gboolean
common_line (EsLexicon *lex, char *line, guint lineno, const char *path, GString *scratch, GError **error)
{
  /* a word the list cannot hold as one token ("o'clock" is fine, "ad hoc" is not) is
   * simply not a common word for us: the list is data, not a contract */
  EsToken tok;
  const char *key = line, *end = line;
  gsize len;
  (void) lineno; (void) path; (void) error;
  /* most lines are plain lower-case ASCII: one word, its own key, no tokenizer needed */
  while (*end >= 'a' && *end <= 'z')
    end++;
  if (*end == '\0')
    len = end - line;
  else
    {
      end += strlen (end);
      if (!es_next_token (line, end, line, &tok) || tok.start != 0 || tok.end != (gsize) (end - line))
        return TRUE;
      es_token_key (line, end - line, scratch);
      key = scratch->str;
      len = scratch->len;
    }
  /* the list is read last: a word no other list has is a plain common word, the most
   * of them; it needs no word of its own (an allocation, a map entry), only its key */
  gpointer v = el_map_lookup (&lex->word_index, key, len);
  if (v)
    {
      ((EsWord *) lex->words->pdata[GPOINTER_TO_INT (v) - 1])->flags |= ES_W_COMMON;
      return TRUE;
    }
  guint32 off = (guint32) lex->plain_keys->len;
  g_array_append_val (lex->plain_offs, off);
  g_string_append_len (lex->plain_keys, key, len);
  g_string_append_c (lex->plain_keys, '\0');
  return TRUE;
}

static gboolean
non_name_line (EsLexicon *lex, char *line, guint lineno, const char *path, GString *scratch, GError **error)
{
  return flag_word (lex, line, lineno, path, scratch, ES_W_NON_NAME, error);
}

/* "Party<TAB>suffix", "Ministry<TAB>prefix,suffix", "of<TAB>connector", "Province<TAB>place",
 * "Senate<TAB>alone" */
static gboolean
org_line (EsLexicon *lex, char *line, guint lineno, const char *path, GString *scratch, GError **error)
{
  char *tab = strchr (line, '\t');
  if (!tab)
    return line_fail (error, path, lineno,
                      "'%s': expected WORD<TAB>ROLES (prefix, suffix, connector, place, alone; comma-separated)", line);
  *tab = '\0';
  guint32 flags = 0;
  g_auto (GStrv) roles = g_strsplit (g_strstrip (tab + 1), ",", -1);
  for (guint i = 0; roles[i]; i++)
    {
      const char *r = g_strstrip (roles[i]);
      if (!strcmp (r, "prefix"))
        flags |= ES_W_ORG_PREFIX;
      else if (!strcmp (r, "suffix"))
        flags |= ES_W_ORG_SUFFIX;
      else if (!strcmp (r, "connector"))
        flags |= ES_W_CONNECTOR;
      else if (!strcmp (r, "place"))
        flags |= ES_W_PLACE;
      else if (!strcmp (r, "alone"))
        flags |= ES_W_ALONE;
      else
        return line_fail (error, path, lineno,
                          "unknown role '%s': use prefix, suffix, connector, place or alone", r);
    }
  return flag_word (lex, g_strstrip (line), lineno, path, scratch, flags, error);
}

static EsSlot *
table_slot (EsTable *t, guint64 hash)
{
  guint i = (guint) (hash ^ (hash >> 29)) & t->mask;
  while (t->slots[i].hash && t->slots[i].hash != hash)
    i = (i + 1) & t->mask;
  return &t->slots[i];
}

static void
table_init (EsTable *t, guint n)
{
  guint cap = 16;
  while (cap < n + n / 2)       /* at most two thirds full: probes stay short, the table small */
    cap *= 2;
  t->slots = g_new0 (EsSlot, cap);
  t->mask = cap - 1;
}

/* The finished word tables, by hash, with what a text word needs inline. The 60,000
 * plain common words (only ES_W_COMMON) have a table of their own, asked only when a
 * rule needs to know: the table of the others stays small enough for the cache. */
static gboolean
tables_build (EsLexicon *lex, GError **error)
{
  guint n_small = 0, n_common = 0;
  for (guint i = 0; i < lex->words->len; i++)
    {
      const EsWord *w = lex->words->pdata[i];
      n_small += w->small || (w->flags & ES_W_CONNECTOR);
      n_common += w->flags == ES_W_COMMON && !w->root && !w->small;
    }
  table_init (&lex->all, lex->words->len - n_common);
  table_init (&lex->small, n_small);
  table_init (&lex->common, n_common + lex->plain_offs->len);
  for (guint i = 0; i < lex->words->len; i++)
    {
      const EsWord *w = lex->words->pdata[i];
      guint64 h = es_key_hash (w->key, strlen (w->key));
      gboolean plain = w->flags == ES_W_COMMON && !w->root && !w->small;
      EsSlot *slot = table_slot (plain ? &lex->common : &lex->all, h);
      const EsSlot *other = es_table_find (plain ? &lex->all : &lex->common, h);
      if (slot->hash || other)
        {
          const EsWord *o = lex->words->pdata[(slot->hash ? slot : other)->word_flags >> 8];
          g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_LINE,
                       "the words '%s' and '%s' have the same 64-bit hash: remove one of them from the data",
                       o->key, w->key);
          return FALSE;
        }
      if (i >= (1u << 24) || w->flags > 0xff)
        {
          g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_LINE,
                       "more than 16 million words: the lexicon cannot hold them");
          return FALSE;
        }
      *slot = (EsSlot) { h, i << 8 | w->flags, w->root };
      if (w->small || (w->flags & ES_W_CONNECTOR))
        {
          /* a lower-case word in mixed text starts only what is written in lower case:
           * "the" and "new" start no walk ("The Hague", "New York" are capitalized) */
          EsSlot *ss = table_slot (&lex->small, h);
          *ss = *slot;
          if (!w->lower_root)
            ss->root = 0;
          guint pair = (guchar) w->key[0] << 8 | (guchar) w->key[1];
          lex->small_pairs[pair >> 3] |= 1 << (pair & 7);
        }
    }
  /* the plain common words no other list has, by key alone. In the common table, root
   * tells where a slot's word is (it is never read there otherwise): 0 in words, 1 in
   * plain_keys. The same key twice is one word, as word_add() makes it. */
  guint n_plain = 0;
  for (guint i = 0; i < lex->plain_offs->len; i++)
    {
      const char *key = lex->plain_keys->str + g_array_index (lex->plain_offs, guint32, i);
      guint64 h = es_key_hash (key, strlen (key));
      EsSlot *slot = table_slot (&lex->common, h);
      const EsSlot *other = slot->hash ? slot : es_table_find (&lex->all, h);
      if (other)
        {
          const char *o = other->root == 1 && other == slot
                            ? lex->plain_keys->str + g_array_index (lex->plain_offs, guint32, other->word_flags >> 8)
                            : ((const EsWord *) lex->words->pdata[other->word_flags >> 8])->key;
          if (other == slot && other->root == 1 && !strcmp (o, key))
            continue;
          g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_LINE,
                       "the words '%s' and '%s' have the same 64-bit hash: remove one of them from the data",
                       o, key);
          return FALSE;
        }
      if (i >= (1u << 24))
        {
          g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_LINE,
                       "more than 16 million words: the lexicon cannot hold them");
          return FALSE;
        }
      *slot = (EsSlot) { h, i << 8 | ES_W_COMMON, 1 };
      n_plain++;
    }
  lex->n_words = lex->words->len + n_plain;
  return TRUE;
}

gboolean
es_lexicon_is_common (const EsLexicon *lex, const EsToken *tok)
{
  if (tok->word >= 0)
    return (tok->wflags & ES_W_COMMON) != 0;
  return tok->hash && es_table_find (&lex->common, tok->hash) != NULL;
}

EsLexicon *
es_lexicon_new (const EsLexiconFiles *files, GError **error)
{
  g_autoptr (GError) local = NULL;
  EsLexicon *lex = g_new0 (EsLexicon, 1);
  el_map_init (&lex->word_index);
  lex->words = g_ptr_array_new_with_free_func (word_free);
  lex->terms = g_ptr_array_new_with_free_func (term_free);
  lex->checksums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lex->plain_keys = g_string_new (NULL);
  lex->plain_offs = g_array_new (FALSE, FALSE, sizeof (guint32));
  new_node (lex);                /* the root */

  /* the aliases: entity-link's KB and alias files, loaded by entity-link's own code */
  ElKb *kb = el_kb_new ();
  gboolean ok = el_kb_load_sqlite (kb, files->kb_path, &local);
  for (guint i = 0; ok && files->alias_files && files->alias_files[i]; i++)
    ok = el_kb_load_tsv (kb, files->alias_files[i], &local);
  if (!ok)
    {
      g_set_error (error, ES_LEXICON_ERROR, ES_LEXICON_ERROR_FILE, "%s", local->message);
      el_kb_free (kb);
      es_lexicon_free (lex);
      return NULL;
    }
  g_hash_table_insert (lex->checksums, g_strdup ("kb_sha256"), el_kb_checksum (kb));
  AliasCtx actx = { lex, kb, g_string_new (NULL), g_string_new (NULL) };
  el_kb_foreach_alias (kb, add_alias, &actx);
  g_string_free (actx.scratch, TRUE);
  g_string_free (actx.key, TRUE);
  el_kb_free (kb);

  if (!read_list (lex, files->cues_path, "cue list", "cues_sha256", cue_line, error) ||
      !read_list (lex, files->heads_path, "name-head list", "heads_sha256", org_line, error) ||
      !read_list (lex, files->non_names_path, "non-name list", "non_names_sha256", non_name_line, error) ||
      !read_list (lex, files->common_words_path, "common-word list", "common_words_sha256", common_line, error) ||
      !tables_build (lex, error))
    {
      es_lexicon_free (lex);
      return NULL;
    }
  /* the tables hold what the text needs: the build's words can go (megabytes) */
  g_ptr_array_set_size (lex->words, 0);
  el_map_destroy (&lex->word_index);
  g_string_free (lex->plain_keys, TRUE);
  lex->plain_keys = NULL;
  g_array_unref (lex->plain_offs);
  lex->plain_offs = NULL;
  return lex;
}

const char *
es_lexicon_checksum (const EsLexicon *lex, const char *what)
{
  return g_hash_table_lookup (lex->checksums, what);
}

void
es_lexicon_stats (const EsLexicon *lex, guint *n_aliases, guint *n_cues, guint *n_words,
                  guint *n_nodes, guint *n_skipped)
{
  *n_aliases = lex->n_aliases;
  *n_cues = lex->n_cues;
  *n_words = lex->n_words;
  *n_nodes = lex->terms->len;
  *n_skipped = lex->n_skipped;
}
