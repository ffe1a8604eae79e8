/* es-lexicon.h: entity-spot's read-only data: the tokenizer, the word table and the token trie of aliases and cues. */
#pragma once

#include <glib.h>
#include "el-kb.h"
#include "el-map.h"

G_BEGIN_DECLS

#define ES_LEXICON_ERROR (es_lexicon_error_quark ())
typedef enum {
  ES_LEXICON_ERROR_FILE,    /* a data file is missing, unreadable or not UTF-8 */
  ES_LEXICON_ERROR_LINE,    /* a bad line in a data file */
} EsLexiconError;

GQuark es_lexicon_error_quark (void);

/* ---- tokens ---- */

/* How a word is joined to the word before it (the bytes between them). */
typedef enum {
  ES_GAP_SPACE = 0,      /* spaces, at most one line break, or "." after a short word ("St. Petersburg") */
  ES_GAP_POSSESSIVE = 1, /* "’s " / "'s ": "People's Republic" */
  ES_GAP_BREAK = 2,      /* anything else: a mention never spans it */
} EsGap;

/* Flags of a word in the text. */
enum {
  ES_T_CAP = 1 << 0,        /* first character upper case */
  ES_T_UPPER = 1 << 1,      /* no lower-case letter, at least one upper-case one */
  ES_T_CAPS_LINE = 1 << 2,  /* on an all-capitals line: case says nothing there */
  ES_T_TAGS_LINE = 1 << 3,  /* on the TAGS line: country codes count */
  ES_T_BLOCKED = 1 << 4,    /* inside a page-break line or an existing entity span */
  ES_T_POSSESSIVE = 1 << 5, /* followed by a possessive 's (not part of the word) */
};

/* A word: letters and digits, joined by inner '.', '-', '&' and apostrophes; a
 * possessive is left out, a final '.' kept only for initials and dotted
 * abbreviations ("M.", "U.S."). Offsets are bytes of the text. */
typedef struct {
  guint32 start, end;    /* documents are below 4 GiB (es_spot_document checks) */
  guint64 hash;          /* of the word's key (es_key_hash), 0 when not yet computed */
  gint32  word;          /* the lexicon's word, -1 if not in it */
  guint32 root;          /* trie node the word leads to from the root, 0 if none */
  guint16 wflags;        /* ES_W_* of the word */
  guint8  gap;           /* EsGap to the previous word */
  guint8  flags;         /* ES_T_* */
} EsToken;

/* The next word at or after p (before end); FALSE when there is none. */
gboolean es_next_token (const char *p, const char *end, const char *base, EsToken *tok);

/* How next joins prev (two words of the same text). */
EsGap es_gap (const char *base, const EsToken *prev, const EsToken *next);

/* The matching key of a word (entity-link's key: case folded, accents, periods and
 * apostrophes dropped) into out. */
void es_token_key (const char *s, gsize len, GString *out);

/* ---- the lexicon ---- */

/* Flags of a word in the word table. */
enum {
  ES_W_COMMON = 1 << 0,     /* a common lower-case English word (common-words list) */
  ES_W_NON_NAME = 1 << 1,   /* never part of a name even when capitalized (months, "The") */
  ES_W_ORG_SUFFIX = 1 << 2, /* "... Party", "... Bank" */
  ES_W_ORG_PREFIX = 1 << 3, /* "Ministry of ...", "Bank of ..." */
  ES_W_CONNECTOR = 1 << 4,  /* "of", "and", "for": inside an organization name */
  ES_W_ADJECTIVE = 1 << 5,  /* a country adjective or demonym alone ("Russian") */
  ES_W_PLACE = 1 << 6,      /* "... Province", "... Valley": capitalized words before it name a place */
  ES_W_ALONE = 1 << 7,      /* "Senate", "Parliament": an organization by itself when capitalized */
};

/* What a trie node ends: aliases and/or cues with that key, in their written forms. */
typedef struct {
  GPtrArray  *alias_forms;  /* (nullable) written forms of aliases with this key */
  GPtrArray  *cue_forms;    /* (nullable) written forms of cues */
  const char *label;        /* interned PER/LOC/ORG/MISC of the best hit outside TAGS lines, or NULL */
  const char *tags_label;   /* the same on a TAGS line (country and organization tag codes count) */
  guint       n_words;
  gboolean    acronym_only; /* every reading outside TAGS lines is an acronym ("WHO") */
} EsTerm;

typedef struct _EsLexicon EsLexicon;

typedef struct {
  const char        *kb_path;       /* the entity-link knowledge base */
  const char *const *alias_files;   /* (nullable) extra alias TSV files (entity-link's format) */
  const char        *cues_path;     /* titles and roles before a name */
  const char        *heads_path;    /* words that make organization and place names */
  const char        *non_names_path;/* capitalized words that are never names */
  const char        *common_words_path; /* lower-case common words (wamerican) */
} EsLexiconFiles;

EsLexicon *es_lexicon_new (const EsLexiconFiles *files, GError **error);
void       es_lexicon_free (EsLexicon *lex);

/* The hash of a word key (64-bit FNV-1a, never 0): the lexicon's tables compare
 * words by it, so two keys with one hash would be one word; es_lexicon_new() checks
 * that no two words of its data share one. */
guint64 es_key_hash (const char *key, gsize len);

/* A word of the finished lexicon by the hash of its key: what a text word needs, in
 * 16 bytes. The tables are open-addressed (linear probing, at most two thirds full). */
typedef struct {
  guint64 hash;             /* 0: empty */
  guint32 word_flags;       /* word << 8 | ES_W_* flags */
  guint32 root;             /* trie node the word leads to from the root, 0 if none */
} EsSlot;

typedef struct {
  EsSlot *slots;
  guint   mask;
} EsTable;

/* The slot of hash in t, NULL if none. Inline: the word pass asks it once per word. */
static inline const EsSlot *
es_table_find (const EsTable *t, guint64 hash)
{
  if (!t->slots)
    return NULL;
  for (guint i = (guint) (hash ^ (hash >> 29)) & t->mask;; i = (i + 1) & t->mask)
    {
      const EsSlot *s = &t->slots[i];
      if (s->hash == hash)
        return s;
      if (s->hash == 0)
        return NULL;
    }
}

/* The word tables, for the word pass (es-spot.c) that looks each word up as it finds
 * it: all words but the plain common ones; the few a lower-case word in mixed text can
 * need (inside aliases, lower-case cues, connectors: a table that stays in the cache),
 * with the bit set of their first two bytes (bit first << 8 | second, ASCII folded to
 * lower case) that turns most lower-case words away before any probe. */
const EsTable *es_lexicon_table_all (const EsLexicon *lex);
const EsTable *es_lexicon_table_small (const EsLexicon *lex);
const guint8  *es_lexicon_small_pairs (const EsLexicon *lex);

/* Whether the word of a looked-up token is a common word (ES_W_COMMON). */
gboolean es_lexicon_is_common (const EsLexicon *lex, const EsToken *tok);

/* The child of node by word across gap, 0 if none; node 0 is the root (gap ignored). */
guint32 es_lexicon_step (const EsLexicon *lex, guint32 node, gint32 word, EsGap gap);
/* (nullable) what node ends. */
const EsTerm *es_lexicon_term (const EsLexicon *lex, guint32 node);

/* Provenance: SHA-256 sums of what was loaded ("kb_sha256" over the KB and alias files
 * as entity-link computes it, then one per data file). */
const char *es_lexicon_checksum (const EsLexicon *lex, const char *what);

/* Counts for the set-up log. */
void es_lexicon_stats (const EsLexicon *lex, guint *n_aliases, guint *n_cues, guint *n_words,
                       guint *n_nodes, guint *n_skipped);

G_END_DECLS
