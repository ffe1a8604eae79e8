/* tokenizer.h: an HTML-standard tokenizer over a byte buffer, pulled one token at a time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HTML_TOKEN_EOF,
  HTML_TOKEN_TEXT,       /* input [start, end) is text, verbatim */
  HTML_TOKEN_REPLACE,    /* input [start, end) stands for the text data[0, len): a character
                            reference, a CR or CRLF (-> LF), or a NUL (-> U+FFFD) */
  HTML_TOKEN_START_TAG,
  HTML_TOKEN_END_TAG,
  HTML_TOKEN_COMMENT,    /* data: the comment text */
  HTML_TOKEN_DOCTYPE,    /* data: the name (if has_name) */
} HtmlTokenType;

/* The tokenizer states a consumer may switch to (after a start tag, as a tree builder would). */
typedef enum {
  HTML_STATE_DATA,
  HTML_STATE_RCDATA,
  HTML_STATE_RAWTEXT,
  HTML_STATE_SCRIPT_DATA,
  HTML_STATE_PLAINTEXT,
  HTML_STATE_CDATA_SECTION,
} HtmlInitialState;

typedef struct {
  const char *name;
  gsize       name_len;
  const char *value;     /* character references decoded */
  gsize       value_len;
} HtmlAttr;

/* A token; every pointer in it is valid until the next html_tokenizer_next(). */
typedef struct {
  HtmlTokenType   type;
  gsize           start;        /* first input byte of the token */
  gsize           end;          /* one past its last input byte */
  const char     *data;         /* TEXT: the input bytes; REPLACE: the replacement; tags: the
                                   lower-case name; COMMENT: the text; DOCTYPE: the name */
  gsize           len;
  const HtmlAttr *attrs;        /* tags: attributes, duplicates removed (first wins) */
  guint           n_attrs;
  gboolean        self_closing;
  /* DOCTYPE only */
  gboolean        has_name, has_public, has_system, force_quirks;
  const char     *public_id;
  gsize           public_len;
  const char     *system_id;
  gsize           system_len;
  char            repl[8];      /* storage behind data for short REPLACE tokens */
} HtmlToken;

/* Called on each parse error with the standard's error code and the input offset. */
typedef void (*HtmlErrorFunc) (gpointer user_data, const char *code, gsize offset);

/* Asked once per start tag, when its name is read: does the consumer need the
 * attributes? When not, they are skipped without being copied. */
typedef gboolean (*HtmlWantAttrsFunc) (gpointer user_data, const char *name, gsize len);

typedef struct _HtmlTokenizer HtmlTokenizer;

/* input must stay valid and unchanged while the tokenizer is used, and
 * input[length] must be readable: when it is a NUL (as in GLib strings and the
 * document's text) ordinary tags are read on a faster path. */
HtmlTokenizer *html_tokenizer_new (const char *input, gsize length);
void html_tokenizer_free (HtmlTokenizer *tok);

/* Reuses a tokenizer (and its buffers) on another input. */
void html_tokenizer_reset (HtmlTokenizer *tok, const char *input, gsize length);

void html_tokenizer_set_error_func (HtmlTokenizer *tok, HtmlErrorFunc func, gpointer user_data);

void html_tokenizer_set_want_attrs_func (HtmlTokenizer *tok, HtmlWantAttrsFunc func, gpointer user_data);

/* Switches state, as the tree builder does after <script>, <style>, <title>, ...
 * Called right after a start tag, it makes that tag the one whose end tag ends
 * the RCDATA, RAWTEXT or script data. */
void html_tokenizer_set_state (HtmlTokenizer *tok, HtmlInitialState state);

/* The name an end tag must have to close RCDATA/RAWTEXT/script data, for
 * starting in such a state. */
void html_tokenizer_set_last_start_tag (HtmlTokenizer *tok, const char *name, gsize len);

/* While skip is set, text and character references are not reported (tags,
 * comments and doctypes still are, and markup is read exactly as without it):
 * for consumers that drop text in some regions. */
void html_tokenizer_set_skip_text (HtmlTokenizer *tok, gboolean skip);

/* While skip is set, end tags are read but not reported. */
void html_tokenizer_set_skip_end_tags (HtmlTokenizer *tok, gboolean skip);

/* Whether <![CDATA[ opens a CDATA section (in foreign content, XHTML) or a bogus comment. */
void html_tokenizer_set_cdata_allowed (HtmlTokenizer *tok, gboolean allowed);

/* Returns the next token (valid until the next call), or NULL once
 * HTML_TOKEN_EOF has been returned. */
const HtmlToken *html_tokenizer_next (HtmlTokenizer *tok);

/* The appropriate state for the content of a start tag named name (scripting off):
 * RCDATA for title/textarea, RAWTEXT for style/xmp/iframe/noembed/noframes,
 * SCRIPT_DATA for script, PLAINTEXT for plaintext, DATA otherwise. */
HtmlInitialState html_state_for_tag (const char *name, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HtmlTokenizer, html_tokenizer_free)

G_END_DECLS
