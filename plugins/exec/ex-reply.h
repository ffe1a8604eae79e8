/* ex-reply.h: the exec stage's JSON Lines protocol: the request line for a document, and a reply checked whole before it is applied. */
#pragma once

#include <quarry/plugin.h>

G_BEGIN_DECLS

/* What a co-process may write, from the stage's `provides`. */
typedef struct {
  GHashTable *layers;      /* "date" for provides = layer:date */
  GHashTable *namespaces;  /* "dates" for provides = field:dates */
} ExDeclared;

/* The text as it was sent, for code point <-> byte offsets. */
typedef struct {
  const char *text;
  gsize       len;      /* bytes */
  gsize       n_chars;  /* code points */
  gsize      *byte_at;  /* byte offset of each code point (n_chars + 1), built when needed; NULL for ASCII */
} ExText;

/* Appends the request line for doc (with its newline) to req: id, text, the fields of
 * send_fields' namespaces and the spans of send_layers' layers (interned names), offsets
 * in code points. Fills text. */
void ex_request_build (GString *req, QuarryDocument *doc, const char *const *send_fields,
                       const char *const *send_layers, ExText *text);

/* Checks the whole reply line against doc (its text as sent) and what the stage
 * declared, then applies it: spans, fields, diagnostics, then the edits (spans and
 * source map move with them). Nothing is applied unless all of it is right; the
 * error then says what is wrong and quotes the line, shortened. */
gboolean ex_reply_apply (QuarryDocument *doc, const ExDeclared *decl, ExText *text,
                         const char *line, gsize line_len, GError **error);

/* The first bytes of line, cut on a character boundary, for messages. (transfer full) */
char *ex_quote (const char *line, gsize len);

void ex_text_clear (ExText *text);

G_END_DECLS
