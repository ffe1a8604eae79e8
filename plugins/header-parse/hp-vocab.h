/* hp-vocab.h: header-parse's word lists loaded from data files: the TAGS vocabulary and the origin spellings. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HP_VOCAB_ERROR (hp_vocab_error_quark ())
GQuark hp_vocab_error_quark (void);

typedef enum {
  HP_VOCAB_ERROR_READ,    /* the file cannot be read */
  HP_VOCAB_ERROR_SYNTAX,  /* a line is not KEY or KEY<TAB>VALUE */
  HP_VOCAB_ERROR_EMPTY,   /* no entries */
} HpVocabError;

/* A set of keys, each with a value (the key itself when the line has none). Keys are
 * looked up in capitals with spaces and hyphens removed, so "La Paz", "LAPAZ" and
 * "LA PAZ" are one key. Read-only once loaded: safe to share between threads. */
typedef struct _HpVocab HpVocab;

/* Loads a UTF-8 text file: one entry a line, KEY or KEY<TAB>VALUE; '#' starts a comment line. */
HpVocab    *hp_vocab_load (const char *path, GError **error);
void        hp_vocab_free (HpVocab *vocab);

/* SHA-256 of the file's bytes, for the stage's provenance. */
const char *hp_vocab_checksum (const HpVocab *vocab);
guint       hp_vocab_size (const HpVocab *vocab);
/* The most words a key was written with ("BANDAR SERI BEGAWAN": 3). */
guint       hp_vocab_max_words (const HpVocab *vocab);

/* The value of the key written at [p, p + n), or NULL. vocab may be NULL (then NULL). */
const char *hp_vocab_lookup (const HpVocab *vocab, const char *p, gsize n);

G_END_DECLS
