/* el-normalize.h: mention and alias normalization shared by the entity-link plugin and quarry-kb. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What el_clean_mention() found and removed. */
typedef struct {
  gboolean possessive;   /* a trailing 's / ’s / s’ was removed */
  gboolean trimmed;      /* stray quotes or punctuation were removed at an edge */
  char    *acronym;      /* (nullable) "MEPP" from "Middle East Peace Process ( MEPP" */
} ElCleanInfo;

void  el_clean_info_clear (ElCleanInfo *info);

/* The display form of a mention: whitespace collapsed, stray quotes and
 * punctuation at the edges removed, a swallowed "( ACRONYM" split off, a
 * possessive removed. Invalid UTF-8 is replaced. Returns (transfer full). */
char *el_clean_mention (const char *text, gsize len, ElCleanInfo *info);
/* The same into out (replaced), without allocating in the common case;
 * valid_utf8: the caller vouches for text (a document's text), no check. */
void  el_clean_mention_into (const char *text, gsize len, GString *out, ElCleanInfo *info,
                             gboolean valid_utf8);

/* Removes leading titles from a person's display form ("Deputy Prime Minister Igor
 * Shuvalov" -> "Igor Shuvalov"), never the last word. TRUE if any went. */
gboolean el_strip_titles (GString *display);

/* The matching key: case-folded, accents removed, periods and apostrophes
 * dropped, other punctuation and whitespace runs folded into one space, dashes
 * unified to '-'. Replaces the contents of out. Linear in len. */
void  el_normalize_key (const char *text, gsize len, GString *out);

/* Number of space-separated tokens in a key. */
guint el_key_tokens (const char *key);

/* The last token of a key (a pointer into key). */
const char *el_key_last_token (const char *key);

/* A stable id part from a name: ASCII lower-case letters and digits, other runs
 * as '-', at most 64 characters, else (or if nothing is left) "h" + 16 hex digits
 * of a hash of the key. Returns (transfer full). */
char *el_slug (const char *name, const char *key);
void  el_slug_into (const char *name, const char *key, GString *out);

G_END_DECLS
