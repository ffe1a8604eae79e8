/* entities.h: the HTML standard's named character references and numeric reference rules. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;      /* without the leading '&', with the ';' if the entry has one */
  guint8      name_len;
  const char *utf8;      /* the replacement characters, UTF-8 */
  guint8      utf8_len;
} HtmlEntity;

/* Sorted by name (byte order); generated into entities-table.c. */
extern const HtmlEntity html_entity_table[];
extern const unsigned html_entity_count;
extern const unsigned html_entity_max_len;

/* Longest named reference that is a prefix of s[0, avail) (s points just past
 * the '&'). Returns the entry, or NULL when no name matches. */
const HtmlEntity *html_entity_match (const char *s, gsize avail);

/* The entry named exactly name[0, len), or NULL. */
const HtmlEntity *html_entity_lookup (const char *name, gsize len);

/* The code point a numeric reference &#value; stands for, with the standard's
 * replacements (NUL, surrogates, > U+10FFFF -> U+FFFD; C1 controls -> Windows-1252).
 * *error is set to TRUE if the standard calls the reference a parse error. */
gunichar html_numeric_ref_value (guint64 value, gboolean *error);

/* Writes c as UTF-8 into out (>= 4 bytes); returns the length. */
gsize html_utf8_encode (gunichar c, char *out);

G_END_DECLS
