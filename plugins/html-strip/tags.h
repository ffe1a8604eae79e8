/* tags.h: what html-strip knows about HTML elements, and a name -> id table it can extend. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Built-in properties of an element. */
enum {
  TAG_VOID        = 1 << 0,   /* no content, no end tag */
  TAG_BLOCK       = 1 << 1,   /* a line break before and after */
  TAG_BLOCK2      = 1 << 2,   /* a blank line before and after (p, h1-h6) */
  TAG_PRE         = 1 << 3,   /* whitespace kept as written */
  TAG_CELL        = 1 << 4,   /* td, th: a tab between cells */
  TAG_ROW         = 1 << 5,   /* tr */
  TAG_BR          = 1 << 6,   /* br: a line break in the text */
  TAG_CLOSES_P    = 1 << 7,   /* its start tag closes an open p */
  TAG_SCOPE       = 1 << 8,   /* implied end tags do not look past it (table, td, ...) */
  TAG_LIST        = 1 << 9,   /* ul, ol: the scope of li */
  TAG_HEAD_OK     = 1 << 10,  /* may stay inside head */
  TAG_FOREIGN     = 1 << 11,  /* svg, math: CDATA sections and self-closing tags are real */
  TAG_SKIP_LF     = 1 << 12,  /* pre, listing, textarea: a newline right after the start tag is dropped */
};

/* Ids of the elements the walker treats specially. */
enum {
  TAG_ID_UNKNOWN = 0,
  TAG_ID_P, TAG_ID_LI, TAG_ID_DT, TAG_ID_DD, TAG_ID_TD, TAG_ID_TH, TAG_ID_TR,
  TAG_ID_OPTION, TAG_ID_HEAD, TAG_ID_BODY, TAG_ID_HTML, TAG_ID_TABLE,
  TAG_ID_FIRST_OTHER,
};

typedef struct {
  const char *name;
  guint8      len;
  guint16     id;
  guint32     flags;     /* TAG_* */
  guint32     options;   /* set by the plugin from its options */
  guint8      content;   /* HtmlInitialState the tokenizer switches to for its content */
} TagInfo;

typedef struct _TagTable TagTable;

/* A table of the HTML elements; read-only once built. */
TagTable *tag_table_new (void);
void tag_table_free (TagTable *table);

/* The entry of name, added (as a plain inline element) if missing. Only while building. */
TagInfo *tag_table_add (TagTable *table, const char *name, gsize len);

/* The entry of name, or NULL. */
const TagInfo *tag_table_lookup (const TagTable *table, const char *name, gsize len);

/* Number of ids handed out so far (ids are 1 .. n-1). */
guint tag_table_n_ids (const TagTable *table);

G_END_DECLS
