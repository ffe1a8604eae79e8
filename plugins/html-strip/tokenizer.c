/* tokenizer.c: the HTML standard's tokenizer state machine over an in-memory byte buffer. */
#include "tokenizer.h"
#include "entities.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef enum {
  S_DATA, S_RCDATA, S_RAWTEXT, S_SCRIPT, S_PLAINTEXT,
  S_TAG_OPEN, S_END_TAG_OPEN, S_TAG_NAME,
  S_RCDATA_LT, S_RCDATA_END_OPEN, S_RCDATA_END_NAME,
  S_RAWTEXT_LT, S_RAWTEXT_END_OPEN, S_RAWTEXT_END_NAME,
  S_SCRIPT_LT, S_SCRIPT_END_OPEN, S_SCRIPT_END_NAME,
  S_SCRIPT_ESC_START, S_SCRIPT_ESC_START_DASH, S_SCRIPT_ESC, S_SCRIPT_ESC_DASH,
  S_SCRIPT_ESC_DASH_DASH, S_SCRIPT_ESC_LT, S_SCRIPT_ESC_END_OPEN, S_SCRIPT_ESC_END_NAME,
  S_SCRIPT_DESC_START, S_SCRIPT_DESC, S_SCRIPT_DESC_DASH, S_SCRIPT_DESC_DASH_DASH,
  S_SCRIPT_DESC_LT, S_SCRIPT_DESC_END,
  S_BEFORE_ATTR_NAME, S_ATTR_NAME, S_AFTER_ATTR_NAME, S_BEFORE_ATTR_VALUE,
  S_ATTR_VALUE_DQ, S_ATTR_VALUE_SQ, S_ATTR_VALUE_UQ, S_AFTER_ATTR_VALUE_Q, S_SELF_CLOSING,
  S_BOGUS_COMMENT, S_MARKUP_DECL, S_COMMENT_START, S_COMMENT_START_DASH, S_COMMENT,
  S_COMMENT_LT, S_COMMENT_LT_BANG, S_COMMENT_LT_BANG_DASH, S_COMMENT_LT_BANG_DASH_DASH,
  S_COMMENT_END_DASH, S_COMMENT_END, S_COMMENT_END_BANG,
  S_DOCTYPE, S_BEFORE_DOCTYPE_NAME, S_DOCTYPE_NAME, S_AFTER_DOCTYPE_NAME,
  S_AFTER_DOCTYPE_PUBLIC_KW, S_BEFORE_DOCTYPE_PUBLIC_ID, S_DOCTYPE_PUBLIC_ID_DQ,
  S_DOCTYPE_PUBLIC_ID_SQ, S_AFTER_DOCTYPE_PUBLIC_ID, S_BETWEEN_DOCTYPE_IDS,
  S_AFTER_DOCTYPE_SYSTEM_KW, S_BEFORE_DOCTYPE_SYSTEM_ID, S_DOCTYPE_SYSTEM_ID_DQ,
  S_DOCTYPE_SYSTEM_ID_SQ, S_AFTER_DOCTYPE_SYSTEM_ID, S_BOGUS_DOCTYPE,
  S_CDATA, S_CDATA_BRACKET, S_CDATA_END,
  S_EOF_EMITTED,
} State;

typedef struct {
  char *data;
  gsize len;
  gsize cap;
} Buf;

typedef struct {
  gsize name_off, name_len, value_off, value_len;
  gboolean dropped;  /* a duplicate name: parsed, then discarded */
} RawAttr;

#define QUEUE_SIZE 4

struct _HtmlTokenizer {
  const guchar *in;
  gsize         len;
  gsize         pos;
  State         state;
  gboolean      cdata_allowed;

  /* the tag, comment or doctype being built */
  gsize         tok_start;
  gboolean      is_end_tag;
  gboolean      self_closing;
  Buf           name;
  Buf           attrbuf;
  RawAttr      *raw;
  guint         n_raw, cap_raw;
  HtmlAttr     *attrs;
  guint         cap_attrs;
  GHashTable   *attr_names;  /* only for tags with many attributes, to keep duplicate checks linear */
  Buf           comment;
  Buf           pub, sys;
  gboolean      has_name, has_pub, has_sys, force_quirks;
  Buf           tmp;         /* the temporary buffer of script double-escape states */
  Buf           last_start;
  gboolean      name_is_start;  /* name holds the start tag just emitted */

  /* a pending run of verbatim text */
  gboolean      text_open;
  gsize         text_start, text_end;

  HtmlToken     queue[QUEUE_SIZE];
  guint         q_head, q_len;

  HtmlErrorFunc error_func;
  gpointer      error_data;
  HtmlWantAttrsFunc want_attrs;
  gpointer      want_attrs_data;
  gboolean      skip_text;    /* text is not reported */
  gboolean      skip_end_tags;
  gboolean      nul_terminated;  /* in[len] == 0: the fast path's sentinel */
};

/* ---- character classes ---- */

enum { C_WS = 1, C_ALPHA = 2, C_UPPER = 4, C_DIGIT = 8, C_HEX = 16 };

static const guint8 cls[256] = {
  ['\t'] = C_WS, ['\n'] = C_WS, ['\f'] = C_WS, ['\r'] = C_WS, [' '] = C_WS,
  ['0'] = C_DIGIT | C_HEX, ['1'] = C_DIGIT | C_HEX, ['2'] = C_DIGIT | C_HEX, ['3'] = C_DIGIT | C_HEX,
  ['4'] = C_DIGIT | C_HEX, ['5'] = C_DIGIT | C_HEX, ['6'] = C_DIGIT | C_HEX, ['7'] = C_DIGIT | C_HEX,
  ['8'] = C_DIGIT | C_HEX, ['9'] = C_DIGIT | C_HEX,
#define U(c) [c] = C_ALPHA | C_UPPER
#define L(c) [c] = C_ALPHA
  [(int) 'A'] = C_ALPHA | C_UPPER | C_HEX, [(int) 'B'] = C_ALPHA | C_UPPER | C_HEX,
  [(int) 'C'] = C_ALPHA | C_UPPER | C_HEX, [(int) 'D'] = C_ALPHA | C_UPPER | C_HEX,
  [(int) 'E'] = C_ALPHA | C_UPPER | C_HEX, [(int) 'F'] = C_ALPHA | C_UPPER | C_HEX,
  U('G'), U('H'), U('I'), U('J'), U('K'), U('L'), U('M'), U('N'), U('O'), U('P'), U('Q'),
  U('R'), U('S'), U('T'), U('U'), U('V'), U('W'), U('X'), U('Y'), U('Z'),
  [(int) 'a'] = C_ALPHA | C_HEX, [(int) 'b'] = C_ALPHA | C_HEX, [(int) 'c'] = C_ALPHA | C_HEX,
  [(int) 'd'] = C_ALPHA | C_HEX, [(int) 'e'] = C_ALPHA | C_HEX, [(int) 'f'] = C_ALPHA | C_HEX,
  L('g'), L('h'), L('i'), L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'),
  L('r'), L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef U
#undef L
};

#define IS_WS(c) (cls[(guchar) (c)] & C_WS)
#define IS_ALPHA(c) (cls[(guchar) (c)] & C_ALPHA)
#define IS_UPPER(c) (cls[(guchar) (c)] & C_UPPER)
#define IS_ALNUM(c) (cls[(guchar) (c)] & (C_ALPHA | C_DIGIT))
#define LOWER(c) ((guchar) ((c) | (IS_UPPER (c) ? 0x20 : 0)))

/* Bytes that end an ordinary run in a state: tag and attribute names. */
static const guint8 stop_tag_name[256] = {
  ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1, ['/'] = 1, ['>'] = 1, [0] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
  ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
  ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
  ['Y'] = 1, ['Z'] = 1,
};
static const guint8 stop_attr_name[256] = {
  ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1, ['/'] = 1, ['>'] = 1, [0] = 1,
  ['='] = 1, ['"'] = 1, ['\''] = 1, ['<'] = 1,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
  ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
  ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
  ['Y'] = 1, ['Z'] = 1,
};
static const guint8 stop_attr_uq[256] = {
  ['\t'] = 1, ['\n'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1, ['&'] = 1, ['>'] = 1, [0] = 1,
  ['"'] = 1, ['\''] = 1, ['<'] = 1, ['='] = 1, ['`'] = 1,
};

/* First index >= pos in [pos, len) holding a, b, c or d; len if none. */
static inline gsize
scan4 (const guchar *in, gsize pos, gsize len, guchar a, guchar b, guchar c, guchar d)
{
#ifdef __SSE2__
  const __m128i va = _mm_set1_epi8 ((char) a), vb = _mm_set1_epi8 ((char) b);
  const __m128i vc = _mm_set1_epi8 ((char) c), vd = _mm_set1_epi8 ((char) d);

  while (pos + 16 <= len)
    {
      __m128i x = _mm_loadu_si128 ((const __m128i *) (in + pos));
      __m128i m = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (x, va), _mm_cmpeq_epi8 (x, vb)),
                                _mm_or_si128 (_mm_cmpeq_epi8 (x, vc), _mm_cmpeq_epi8 (x, vd)));
      int bits = _mm_movemask_epi8 (m);
      if (bits != 0)
        return pos + (gsize) __builtin_ctz ((unsigned) bits);
      pos += 16;
    }
#endif
  for (; pos < len; pos++)
    {
      guchar x = in[pos];
      if (x == a || x == b || x == c || x == d)
        return pos;
    }
  return len;
}

static inline gsize
scan_table (const guchar *in, gsize pos, gsize len, const guint8 *stop)
{
  while (pos < len && !stop[in[pos]])
    pos++;
  return pos;
}

/* ---- buffers ---- */

static void
buf_grow (Buf *b, gsize need)
{
  gsize cap = b->cap ? b->cap : 64;

  while (cap < b->len + need)
    cap *= 2;
  b->data = g_realloc (b->data, cap);
  b->cap = cap;
}

static inline void
buf_add (Buf *b, const void *p, gsize n)
{
  if (n == 0)
    return;
  if (G_UNLIKELY (b->len + n > b->cap))
    buf_grow (b, n);
  if (n <= 16)
    {
      /* names and short values: a call to memcpy costs more than the copy */
      const guchar *src = p;
      char *dst = b->data + b->len;
      for (gsize i = 0; i < n; i++)
        dst[i] = (char) src[i];
    }
  else
    memcpy (b->data + b->len, p, n);
  b->len += n;
}

static inline void
buf_addc (Buf *b, guchar c)
{
  if (G_UNLIKELY (b->len + 1 > b->cap))
    buf_grow (b, 1);
  b->data[b->len++] = (char) c;
}

static inline void
buf_add_fffd (Buf *b)
{
  buf_add (b, "\xEF\xBF\xBD", 3);
}

/* Appends the ordinary bytes [from, to) of the input, lower-casing ASCII letters if asked. */
static inline void
buf_add_lower (Buf *b, const guchar *p, gsize n)
{
  if (G_UNLIKELY (b->len + n > b->cap))
    buf_grow (b, n);
  for (gsize i = 0; i < n; i++)
    b->data[b->len + i] = (char) LOWER (p[i]);
  b->len += n;
}

static void
buf_free (Buf *b)
{
  g_free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ---- life cycle ---- */

HtmlTokenizer *
html_tokenizer_new (const char *input, gsize length)
{
  HtmlTokenizer *tok = g_new0 (HtmlTokenizer, 1);

  html_tokenizer_reset (tok, input, length);
  return tok;
}

void
html_tokenizer_reset (HtmlTokenizer *tok, const char *input, gsize length)
{
  tok->in = (const guchar *) input;
  tok->len = length;
  tok->nul_terminated = input != NULL && input[length] == '\0';
  tok->pos = 0;
  tok->state = S_DATA;
  tok->cdata_allowed = FALSE;
  tok->skip_text = FALSE;
  tok->skip_end_tags = FALSE;
  tok->text_open = FALSE;
  tok->q_head = tok->q_len = 0;
  tok->last_start.len = 0;
  tok->name_is_start = FALSE;
}

void
html_tokenizer_free (HtmlTokenizer *tok)
{
  if (tok == NULL)
    return;
  buf_free (&tok->name);
  buf_free (&tok->attrbuf);
  buf_free (&tok->comment);
  buf_free (&tok->pub);
  buf_free (&tok->sys);
  buf_free (&tok->tmp);
  buf_free (&tok->last_start);
  g_free (tok->raw);
  g_free (tok->attrs);
  if (tok->attr_names != NULL)
    g_hash_table_unref (tok->attr_names);
  g_free (tok);
}

void
html_tokenizer_set_error_func (HtmlTokenizer *tok, HtmlErrorFunc func, gpointer user_data)
{
  tok->error_func = func;
  tok->error_data = user_data;
}

void
html_tokenizer_set_want_attrs_func (HtmlTokenizer *tok, HtmlWantAttrsFunc func, gpointer user_data)
{
  tok->want_attrs = func;
  tok->want_attrs_data = user_data;
}

void
html_tokenizer_set_state (HtmlTokenizer *tok, HtmlInitialState state)
{
  static const State map[] = { S_DATA, S_RCDATA, S_RAWTEXT, S_SCRIPT, S_PLAINTEXT, S_CDATA };

  if (tok->name_is_start)
    {
      tok->last_start.len = 0;
      buf_add (&tok->last_start, tok->name.data, tok->name.len);
    }
  tok->state = map[state];
}

void
html_tokenizer_set_last_start_tag (HtmlTokenizer *tok, const char *name, gsize len)
{
  tok->last_start.len = 0;
  buf_add (&tok->last_start, name, len);
}

void
html_tokenizer_set_skip_text (HtmlTokenizer *tok, gboolean skip)
{
  tok->skip_text = skip;
}

void
html_tokenizer_set_skip_end_tags (HtmlTokenizer *tok, gboolean skip)
{
  tok->skip_end_tags = skip;
}

void
html_tokenizer_set_cdata_allowed (HtmlTokenizer *tok, gboolean allowed)
{
  tok->cdata_allowed = allowed;
}

HtmlInitialState
html_state_for_tag (const char *name, gsize len)
{
#define IS(s) (len == sizeof (s) - 1 && memcmp (name, s, len) == 0)
  switch (len)
    {
    case 5:
      if (IS ("title")) return HTML_STATE_RCDATA;
      if (IS ("style")) return HTML_STATE_RAWTEXT;
      break;
    case 3:
      if (IS ("xmp")) return HTML_STATE_RAWTEXT;
      break;
    case 6:
      if (IS ("script")) return HTML_STATE_SCRIPT_DATA;
      if (IS ("iframe")) return HTML_STATE_RAWTEXT;
      break;
    case 7:
      if (IS ("noembed")) return HTML_STATE_RAWTEXT;
      break;
    case 8:
      if (IS ("textarea")) return HTML_STATE_RCDATA;
      if (IS ("noframes")) return HTML_STATE_RAWTEXT;
      break;
    case 9:
      if (IS ("plaintext")) return HTML_STATE_PLAINTEXT;
      break;
    default:
      break;
    }
  return HTML_STATE_DATA;
#undef IS
}

/* ---- emitting ---- */

static inline void
error (HtmlTokenizer *tok, const char *code, gsize offset)
{
  if (tok->error_func != NULL)
    tok->error_func (tok->error_data, code, offset);
}

static inline HtmlToken *
queue_push (HtmlTokenizer *tok)
{
  HtmlToken *t = &tok->queue[(tok->q_head + tok->q_len) % QUEUE_SIZE];

  g_assert (tok->q_len < QUEUE_SIZE);
  tok->q_len++;
  return t;
}

static inline void
flush_text (HtmlTokenizer *tok)
{
  HtmlToken *t;

  if (!tok->text_open)
    return;
  tok->text_open = FALSE;
  t = queue_push (tok);
  t->type = HTML_TOKEN_TEXT;
  t->start = tok->text_start;
  t->end = tok->text_end;
}

/* Input bytes [at, at + n) are text as they are. */
static inline void
emit_verbatim (HtmlTokenizer *tok, gsize at, gsize n)
{
  if (n == 0 || tok->skip_text)
    return;
  if (tok->text_open && tok->text_end == at)
    {
      tok->text_end += n;
      return;
    }
  flush_text (tok);
  tok->text_open = TRUE;
  tok->text_start = at;
  tok->text_end = at + n;
}

/* Input bytes [start, end) stand for the text s[0, n) (n <= 8). */
static void
emit_replace (HtmlTokenizer *tok, gsize start, gsize end, const char *s, gsize n)
{
  HtmlToken *t;

  if (tok->skip_text)
    return;
  flush_text (tok);
  t = queue_push (tok);
  t->type = HTML_TOKEN_REPLACE;
  t->start = start;
  t->end = end;
  memcpy (t->repl, s, n);
  t->len = n;
}

/* Emits the character at pos as text (CR and CRLF become LF; NUL becomes U+FFFD
 * when nul_fffd) and moves past it. */
static inline void
emit_char (HtmlTokenizer *tok, gboolean nul_fffd)
{
  gsize p = tok->pos;
  guchar c = tok->in[p];

  if (c == '\r')
    {
      gsize e = p + 1 < tok->len && tok->in[p + 1] == '\n' ? p + 2 : p + 1;
      emit_replace (tok, p, e, "\n", 1);
      tok->pos = e;
    }
  else if (c == 0 && nul_fffd)
    {
      error (tok, "unexpected-null-character", p);
      emit_replace (tok, p, p + 1, "\xEF\xBF\xBD", 3);
      tok->pos = p + 1;
    }
  else
    {
      emit_verbatim (tok, p, 1);
      tok->pos = p + 1;
    }
}

/* Appends the character at pos to b (CR/CRLF -> LF, NUL -> U+FFFD) and moves past it. */
static inline void
take_char (HtmlTokenizer *tok, Buf *b)
{
  guchar c = tok->in[tok->pos];

  if (c == '\r')
    {
      buf_addc (b, '\n');
      tok->pos += tok->pos + 1 < tok->len && tok->in[tok->pos + 1] == '\n' ? 2 : 1;
      return;
    }
  if (c == 0)
    {
      error (tok, "unexpected-null-character", tok->pos);
      buf_add_fffd (b);
    }
  else
    buf_addc (b, c);
  tok->pos++;
}

static void
emit_eof (HtmlTokenizer *tok)
{
  HtmlToken *t;

  flush_text (tok);
  t = queue_push (tok);
  t->type = HTML_TOKEN_EOF;
  t->start = t->end = tok->len;
  tok->state = S_EOF_EMITTED;
}

static void
start_tag (HtmlTokenizer *tok, gboolean end_tag)
{
  tok->name_is_start = FALSE;
  tok->is_end_tag = end_tag;
  tok->self_closing = FALSE;
  tok->name.len = 0;
  tok->attrbuf.len = 0;
  tok->n_raw = 0;
  if (tok->attr_names != NULL)
    g_hash_table_remove_all (tok->attr_names);
}

static void
emit_tag (HtmlTokenizer *tok)
{
  HtmlToken *t;
  guint n = 0;

  flush_text (tok);
  if (tok->is_end_tag && tok->skip_end_tags)
    {
      tok->state = S_DATA;
      return;
    }
  if (tok->cap_attrs < tok->n_raw)
    {
      tok->cap_attrs = MAX (tok->n_raw, 8);
      tok->attrs = g_renew (HtmlAttr, tok->attrs, tok->cap_attrs);
    }
  for (guint i = 0; i < tok->n_raw; i++)
    {
      const RawAttr *r = &tok->raw[i];
      if (r->dropped)
        continue;
      tok->attrs[n].name = tok->attrbuf.data + r->name_off;
      tok->attrs[n].name_len = r->name_len;
      tok->attrs[n].value = tok->attrbuf.data + r->value_off;
      tok->attrs[n].value_len = r->value_len;
      n++;
    }
  if (tok->is_end_tag)
    {
      if (tok->n_raw > 0)
        error (tok, "end-tag-with-attributes", tok->tok_start);
      if (tok->self_closing)
        error (tok, "end-tag-with-trailing-solidus", tok->tok_start);
    }
  /* the last start tag's name is copied only if the consumer switches state for it */
  tok->name_is_start = !tok->is_end_tag;
  t = queue_push (tok);
  t->type = tok->is_end_tag ? HTML_TOKEN_END_TAG : HTML_TOKEN_START_TAG;
  t->start = tok->tok_start;
  t->end = tok->pos;
  t->data = tok->name.data;
  t->len = tok->name.len;
  t->attrs = tok->attrs;
  t->n_attrs = n;
  t->self_closing = tok->self_closing;
  tok->state = S_DATA;
}

static void
start_comment (HtmlTokenizer *tok)
{
  tok->comment.len = 0;
}

static void
emit_comment (HtmlTokenizer *tok)
{
  HtmlToken *t;

  flush_text (tok);
  t = queue_push (tok);
  t->type = HTML_TOKEN_COMMENT;
  t->start = tok->tok_start;
  t->end = tok->pos;
  t->data = tok->comment.data != NULL ? tok->comment.data : "";
  t->len = tok->comment.len;
}

static void
start_doctype (HtmlTokenizer *tok)
{
  tok->name_is_start = FALSE;
  tok->name.len = 0;
  tok->pub.len = 0;
  tok->sys.len = 0;
  tok->has_name = tok->has_pub = tok->has_sys = tok->force_quirks = FALSE;
}

static void
emit_doctype (HtmlTokenizer *tok)
{
  HtmlToken *t;

  flush_text (tok);
  t = queue_push (tok);
  t->type = HTML_TOKEN_DOCTYPE;
  t->start = tok->tok_start;
  t->end = tok->pos;
  t->data = tok->name.data != NULL ? tok->name.data : "";
  t->len = tok->name.len;
  t->has_name = tok->has_name;
  t->has_public = tok->has_pub;
  t->has_system = tok->has_sys;
  t->force_quirks = tok->force_quirks;
  t->public_id = tok->pub.data != NULL ? tok->pub.data : "";
  t->public_len = tok->pub.len;
  t->system_id = tok->sys.data != NULL ? tok->sys.data : "";
  t->system_len = tok->sys.len;
}

/* ---- attributes ---- */

static void
attr_start (HtmlTokenizer *tok)
{
  RawAttr *r;

  if (tok->n_raw == tok->cap_raw)
    {
      tok->cap_raw = tok->cap_raw ? tok->cap_raw * 2 : 8;
      tok->raw = g_renew (RawAttr, tok->raw, tok->cap_raw);
    }
  r = &tok->raw[tok->n_raw++];
  r->name_off = tok->attrbuf.len;
  r->name_len = 0;
  r->value_off = tok->attrbuf.len;
  r->value_len = 0;
  r->dropped = FALSE;
}

#define ATTR_HASH_FROM 16

/* Called when the current attribute's name is complete: drops it if a duplicate. */
static void
attr_name_done (HtmlTokenizer *tok)
{
  RawAttr *r = &tok->raw[tok->n_raw - 1];
  const char *name;

  r->name_len = tok->attrbuf.len - r->name_off;
  r->value_off = tok->attrbuf.len;
  name = tok->attrbuf.data + r->name_off;
  if (tok->n_raw <= ATTR_HASH_FROM)
    {
      for (guint i = 0; i + 1 < tok->n_raw; i++)
        if (!tok->raw[i].dropped && tok->raw[i].name_len == r->name_len &&
            memcmp (tok->attrbuf.data + tok->raw[i].name_off, name, r->name_len) == 0)
          {
            r->dropped = TRUE;
            break;
          }
    }
  else
    {
      /* many attributes: a set of names keeps this linear */
      char *key;
      if (tok->attr_names == NULL)
        tok->attr_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      if (g_hash_table_size (tok->attr_names) == 0)
        for (guint i = 0; i + 1 < tok->n_raw; i++)
          if (!tok->raw[i].dropped)
            g_hash_table_add (tok->attr_names,
                              g_strndup (tok->attrbuf.data + tok->raw[i].name_off, tok->raw[i].name_len));
      key = g_strndup (name, r->name_len);
      if (g_hash_table_contains (tok->attr_names, key))
        {
          r->dropped = TRUE;
          g_free (key);
        }
      else
        g_hash_table_add (tok->attr_names, key);
    }
  if (r->dropped)
    error (tok, "duplicate-attribute", tok->pos);
}

static inline void
attr_value_done (HtmlTokenizer *tok)
{
  RawAttr *r = &tok->raw[tok->n_raw - 1];

  r->value_len = tok->attrbuf.len - r->value_off;
}

/* ---- character references ---- */

/* At '&' (tok->pos). Decodes the reference into the attribute value (in_attr) or
 * emits it as text, and moves past what it consumed. */
static void
char_ref (HtmlTokenizer *tok, gboolean in_attr)
{
  const guchar *in = tok->in;
  gsize amp = tok->pos, p = amp + 1, len = tok->len;

  if (p < len && IS_ALNUM (in[p]))
    {
      const HtmlEntity *e = html_entity_match ((const char *) in + p, len - p);
      if (e != NULL)
        {
          gsize end = p + e->name_len;
          gboolean semi = e->name[e->name_len - 1] == ';';
          if (in_attr && !semi && end < len && (in[end] == '=' || IS_ALNUM (in[end])))
            {
              /* historical: &copy=... in attribute values stays as written */
              buf_add (&tok->attrbuf, in + amp, end - amp);
              tok->pos = end;
              return;
            }
          if (!semi)
            error (tok, "missing-semicolon-after-character-reference", amp);
          if (in_attr)
            buf_add (&tok->attrbuf, e->utf8, e->utf8_len);
          else
            emit_replace (tok, amp, end, e->utf8, e->utf8_len);
          tok->pos = end;
          return;
        }
      /* ambiguous ampersand: the '&' and the alphanumerics are text */
      while (p < len && IS_ALNUM (in[p]))
        p++;
      if (p < len && in[p] == ';')
        error (tok, "unknown-named-character-reference", p);
    }
  else if (p < len && in[p] == '#')
    {
      gboolean hex = p + 1 < len && (in[p + 1] == 'x' || in[p + 1] == 'X');
      gsize d = p + (hex ? 2 : 1), q = d;
      guint64 value = 0;
      gboolean err;
      gunichar c;
      char utf8[4];
      gsize n;

      if (hex)
        while (q < len && (cls[in[q]] & C_HEX))
          {
            guchar x = in[q++];
            value = value * 16 + (x <= '9' ? x - '0' : (x | 0x20) - 'a' + 10);
            if (value > 0x10FFFF)
              value = 0x110000;  /* saturate: stays out of range, never overflows */
          }
      else
        while (q < len && (cls[in[q]] & C_DIGIT))
          {
            value = value * 10 + (in[q++] - '0');
            if (value > 0x10FFFF)
              value = 0x110000;
          }
      if (q == d)
        {
          error (tok, "absence-of-digits-in-numeric-character-reference", q);
          p = d;  /* "&#" or "&#x" are text */
        }
      else
        {
          if (q < len && in[q] == ';')
            q++;
          else
            error (tok, "missing-semicolon-after-character-reference", amp);
          c = html_numeric_ref_value (value, &err);
          if (err)
            error (tok, value == 0 ? "null-character-reference" :
                   value > 0x10FFFF ? "character-reference-outside-unicode-range" :
                   "invalid-character-reference", amp);
          n = html_utf8_encode (c, utf8);
          if (in_attr)
            for (gsize i = 0; i < n; i++)
              buf_addc (&tok->attrbuf, (guchar) utf8[i]);
          else
            emit_replace (tok, amp, q, utf8, n);
          tok->pos = q;
          return;
        }
    }
  /* not a reference: the bytes are text as written */
  if (in_attr)
    buf_add (&tok->attrbuf, in + amp, p - amp);
  else
    emit_verbatim (tok, amp, p - amp);
  tok->pos = p;
}


/* ---- the fast path for ordinary tags ---- */

/* Per byte, for the fast path: 0 ordinary, 1 upper-case letter, 2 ends a name
 * (whitespace, '/', '>', '='), 3 anything the slow path must see. */
static const guint8 fast_name_cls[256] = {
  ['\t'] = 2, ['\n'] = 2, ['\f'] = 2, ['\r'] = 2, [' '] = 2, ['/'] = 2, ['>'] = 2, ['='] = 2,
  [0] = 3, ['"'] = 3, ['\''] = 3, ['<'] = 3,
  ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
  ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
  ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
  ['Y'] = 1, ['Z'] = 1,
};

static inline gsize
fast_skip_ws (const guchar *in, gsize q)
{
  while (IS_WS (in[q]))  /* stops at the final NUL */
    q++;
  return q;
}

/* Reads a whole ordinary tag starting at tok->pos (just past "<" or "</", at a
 * letter) in straight-line code and emits it. Returns FALSE, having changed
 * nothing, when the tag holds anything unusual (EOF, NUL, character references
 * in stored values, stray quotes, ...): the state machine then reads it. */
static gboolean
fast_tag (HtmlTokenizer *tok, gboolean end_tag)
{
  const guchar *in = tok->in;
  const gsize len = tok->len;
  gsize q = tok->pos, name_start = q;
  gboolean store;

  if (!tok->nul_terminated)
    return FALSE;
  start_tag (tok, end_tag);
  /* the input ends in a NUL (class 3), so these loops need no bounds checks */
  while (fast_name_cls[in[q]] == 0)
    q++;
  if (fast_name_cls[in[q]] == 1)
    {
      /* an upper-case tag name: lower-case it while copying */
      while (fast_name_cls[in[q]] <= 1)
        q++;
      if (q >= len || fast_name_cls[in[q]] != 2 || in[q] == '=')
        return FALSE;
      buf_add_lower (&tok->name, in + name_start, q - name_start);
    }
  else
    {
      if (q >= len || fast_name_cls[in[q]] != 2 || in[q] == '=')
        return FALSE;
      buf_add (&tok->name, in + name_start, q - name_start);
    }

  store = !end_tag && (tok->want_attrs == NULL ||
                       tok->want_attrs (tok->want_attrs_data, tok->name.data, tok->name.len));
  for (;;)
    {
      gsize a0, a1;
      q = fast_skip_ws (in, q);
      if (G_UNLIKELY (q >= len))
        return FALSE;
      if (in[q] == '>')
        {
          tok->pos = q + 1;
          emit_tag (tok);
          return TRUE;
        }
      if (in[q] == '/')
        {
          if (q + 1 < len && in[q + 1] == '>')
            {
              tok->self_closing = TRUE;
              tok->pos = q + 2;
              emit_tag (tok);
              return TRUE;
            }
          return FALSE;
        }
      /* an attribute name */
      a0 = q;
      while (fast_name_cls[in[q]] <= 1)
        q++;
      if (q == a0 || q >= len || fast_name_cls[in[q]] == 3)
        return FALSE;
      a1 = q;
      if (store)
        {
          attr_start (tok);
          buf_add_lower (&tok->attrbuf, in + a0, a1 - a0);
          attr_name_done (tok);
        }
      q = fast_skip_ws (in, q);
      if (q >= len || in[q] != '=')
        continue;
      q = fast_skip_ws (in, q + 1);
      if (q >= len)
        return FALSE;
      if (in[q] == '"' || in[q] == '\'')
        {
          guchar quote = in[q];
          gsize v0 = ++q;
          const guchar *e = memchr (in + q, quote, len - q);
          if (e == NULL)
            return FALSE;
          q = (gsize) (e - in);
          if (store)
            {
              /* references, NUL and CR in values need the slow path */
              for (gsize i = v0; i < q; i++)
                if (in[i] == '&' || in[i] == '\r' || in[i] == 0)
                  return FALSE;
              buf_add (&tok->attrbuf, in + v0, q - v0);
              attr_value_done (tok);
            }
          q++;
          if (q < len && !IS_WS (in[q]) && in[q] != '>' && in[q] != '/')
            return FALSE;
        }
      else
        {
          gsize v0 = q;
          if (in[q] == '>')
            return FALSE;
          q = scan_table (in, q, len, stop_attr_uq);
          if (q >= len || (!IS_WS (in[q]) && in[q] != '>'))
            return FALSE;
          if (store)
            {
              buf_add (&tok->attrbuf, in + v0, q - v0);
              attr_value_done (tok);
            }
        }
    }
}

/* ---- helpers for the end-tag states of RCDATA, RAWTEXT and script data ---- */

static inline gboolean
appropriate_end_tag (const HtmlTokenizer *tok)
{
  return tok->last_start.len > 0 && tok->name.len == tok->last_start.len &&
         memcmp (tok->name.data, tok->last_start.data, tok->name.len) == 0;
}

/* Shared body of the "... end tag name" states. Returns TRUE if it changed state. */
static gboolean
end_tag_name_step (HtmlTokenizer *tok, State fallback)
{
  gsize p = tok->pos;

  if (p < tok->len)
    {
      guchar c = tok->in[p];
      if (IS_WS (c) && appropriate_end_tag (tok))
        {
          tok->pos++;
          tok->state = S_BEFORE_ATTR_NAME;
          return TRUE;
        }
      if (c == '/' && appropriate_end_tag (tok))
        {
          tok->pos++;
          tok->state = S_SELF_CLOSING;
          return TRUE;
        }
      if (c == '>' && appropriate_end_tag (tok))
        {
          tok->pos++;
          emit_tag (tok);
          return TRUE;
        }
      if (IS_ALPHA (c))
        {
          buf_addc (&tok->name, LOWER (c));
          tok->pos++;
          return FALSE;
        }
    }
  /* not an end tag after all: "</" and the letters are text */
  emit_verbatim (tok, tok->tok_start, tok->pos - tok->tok_start);
  tok->state = fallback;
  return TRUE;
}

static inline gboolean
tmp_is_script (const HtmlTokenizer *tok)
{
  return tok->tmp.len == 6 && memcmp (tok->tmp.data, "script", 6) == 0;
}

static inline gboolean
starts_with_ci (const HtmlTokenizer *tok, const char *word)
{
  gsize n = strlen (word);

  if (tok->pos + n > tok->len)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (LOWER (tok->in[tok->pos + i]) != (guchar) word[i])
      return FALSE;
  return TRUE;
}

/* ---- the state machine ---- */

/* Runs the machine until at least one token is queued. */
static void
run (HtmlTokenizer *tok)
{
  const guchar *in = tok->in;
  const gsize len = tok->len;

  while (tok->q_len == 0)
    {
      gsize p = tok->pos;
      int c = p < len ? in[p] : -1;

      switch (tok->state)
        {
        case S_DATA:
          {
            gsize q;
            if (tok->skip_text)
              {
                const guchar *lt = memchr (in + p, '<', len - p);
                q = lt != NULL ? (gsize) (lt - in) : len;
              }
            else
              {
                q = scan4 (in, p, len, '<', '&', '\r', 0);
                emit_verbatim (tok, p, q - p);
              }
            tok->pos = q;
            if (q >= len)
              emit_eof (tok);
            else if (in[q] == '<')
              {
                tok->tok_start = q;
                /* ordinary tags straight from here, without the trip through the states */
                if (q + 1 < len && IS_ALPHA (in[q + 1]))
                  {
                    tok->pos = q + 1;
                    if (fast_tag (tok, FALSE))
                      break;
                  }
                else if (q + 2 < len && in[q + 1] == '/' && IS_ALPHA (in[q + 2]))
                  {
                    tok->pos = q + 2;
                    if (fast_tag (tok, TRUE))
                      break;
                  }
                tok->pos = q + 1;
                tok->state = S_TAG_OPEN;
              }
            else if (in[q] == '&')
              char_ref (tok, FALSE);
            else
              {
                if (in[q] == 0)
                  error (tok, "unexpected-null-character", q);
                emit_char (tok, FALSE);
              }
          }
          break;

        case S_RCDATA:
          {
            gsize q = scan4 (in, p, len, '<', '&', '\r', 0);
            emit_verbatim (tok, p, q - p);
            tok->pos = q;
            if (q >= len)
              emit_eof (tok);
            else if (in[q] == '<')
              {
                tok->tok_start = q;
                tok->pos = q + 1;
                tok->state = S_RCDATA_LT;
              }
            else if (in[q] == '&')
              char_ref (tok, FALSE);
            else
              emit_char (tok, TRUE);
          }
          break;

        case S_RAWTEXT:
        case S_SCRIPT:
        case S_PLAINTEXT:
          {
            guchar lt = tok->state == S_PLAINTEXT ? 0 : '<';
            gsize q = scan4 (in, p, len, lt, '\r', 0, 0);
            emit_verbatim (tok, p, q - p);
            tok->pos = q;
            if (q >= len)
              emit_eof (tok);
            else if (in[q] == '<' && lt == '<')
              {
                tok->tok_start = q;
                tok->pos = q + 1;
                tok->state = tok->state == S_RAWTEXT ? S_RAWTEXT_LT : S_SCRIPT_LT;
              }
            else
              emit_char (tok, TRUE);
          }
          break;

        case S_TAG_OPEN:
          if (c == '!')
            {
              tok->pos++;
              tok->state = S_MARKUP_DECL;
            }
          else if (c == '/')
            {
              tok->pos++;
              tok->state = S_END_TAG_OPEN;
            }
          else if (c >= 0 && IS_ALPHA (c))
            {
              if (!fast_tag (tok, FALSE))
                {
                  start_tag (tok, FALSE);
                  tok->state = S_TAG_NAME;
                }
            }
          else if (c == '?')
            {
              error (tok, "unexpected-question-mark-instead-of-tag-name", p);
              start_comment (tok);
              tok->state = S_BOGUS_COMMENT;
            }
          else
            {
              error (tok, c < 0 ? "eof-before-tag-name" : "invalid-first-character-of-tag-name", p);
              emit_verbatim (tok, tok->tok_start, 1);
              tok->state = S_DATA;
            }
          break;

        case S_END_TAG_OPEN:
          if (c >= 0 && IS_ALPHA (c))
            {
              if (!fast_tag (tok, TRUE))
                {
                  start_tag (tok, TRUE);
                  tok->state = S_TAG_NAME;
                }
            }
          else if (c == '>')
            {
              error (tok, "missing-end-tag-name", p);
              tok->pos++;
              tok->state = S_DATA;
            }
          else if (c < 0)
            {
              error (tok, "eof-before-tag-name", p);
              emit_verbatim (tok, tok->tok_start, 2);
              emit_eof (tok);
            }
          else
            {
              error (tok, "invalid-first-character-of-tag-name", p);
              start_comment (tok);
              tok->state = S_BOGUS_COMMENT;
            }
          break;

        case S_TAG_NAME:
          {
            gsize q = scan_table (in, p, len, stop_tag_name);
            buf_add (&tok->name, in + p, q - p);
            tok->pos = q;
            if (q >= len)
              {
                error (tok, "eof-in-tag", tok->tok_start);
                emit_eof (tok);
                break;
              }
            c = in[q];
            tok->pos = q + 1;
            if (IS_WS (c))
              tok->state = S_BEFORE_ATTR_NAME;
            else if (c == '/')
              tok->state = S_SELF_CLOSING;
            else if (c == '>')
              emit_tag (tok);
            else if (c == 0)
              {
                error (tok, "unexpected-null-character", q);
                buf_add_fffd (&tok->name);
              }
            else
              buf_addc (&tok->name, LOWER (c));
          }
          break;

        case S_RCDATA_LT:
        case S_RAWTEXT_LT:
          if (c == '/')
            {
              tok->pos++;
              tok->state = tok->state == S_RCDATA_LT ? S_RCDATA_END_OPEN : S_RAWTEXT_END_OPEN;
            }
          else
            {
              emit_verbatim (tok, tok->tok_start, 1);
              tok->state = tok->state == S_RCDATA_LT ? S_RCDATA : S_RAWTEXT;
            }
          break;

        case S_RCDATA_END_OPEN:
        case S_RAWTEXT_END_OPEN:
        case S_SCRIPT_END_OPEN:
        case S_SCRIPT_ESC_END_OPEN:
          {
            static const State name_state[] = {
              [S_RCDATA_END_OPEN] = S_RCDATA_END_NAME, [S_RAWTEXT_END_OPEN] = S_RAWTEXT_END_NAME,
              [S_SCRIPT_END_OPEN] = S_SCRIPT_END_NAME, [S_SCRIPT_ESC_END_OPEN] = S_SCRIPT_ESC_END_NAME,
            };
            static const State back[] = {
              [S_RCDATA_END_OPEN] = S_RCDATA, [S_RAWTEXT_END_OPEN] = S_RAWTEXT,
              [S_SCRIPT_END_OPEN] = S_SCRIPT, [S_SCRIPT_ESC_END_OPEN] = S_SCRIPT_ESC,
            };
            if (c >= 0 && IS_ALPHA (c))
              {
                start_tag (tok, TRUE);
                tok->state = name_state[tok->state];
              }
            else
              {
                emit_verbatim (tok, tok->tok_start, 2);
                tok->state = back[tok->state];
              }
          }
          break;

        case S_RCDATA_END_NAME:
          while (!end_tag_name_step (tok, S_RCDATA))
            ;
          break;
        case S_RAWTEXT_END_NAME:
          while (!end_tag_name_step (tok, S_RAWTEXT))
            ;
          break;
        case S_SCRIPT_END_NAME:
          while (!end_tag_name_step (tok, S_SCRIPT))
            ;
          break;
        case S_SCRIPT_ESC_END_NAME:
          while (!end_tag_name_step (tok, S_SCRIPT_ESC))
            ;
          break;

        case S_SCRIPT_LT:
          if (c == '/')
            {
              tok->pos++;
              tok->state = S_SCRIPT_END_OPEN;
            }
          else if (c == '!')
            {
              emit_verbatim (tok, tok->tok_start, 2);
              tok->pos++;
              tok->state = S_SCRIPT_ESC_START;
            }
          else
            {
              emit_verbatim (tok, tok->tok_start, 1);
              tok->state = S_SCRIPT;
            }
          break;

        case S_SCRIPT_ESC_START:
        case S_SCRIPT_ESC_START_DASH:
          if (c == '-')
            {
              emit_verbatim (tok, p, 1);
              tok->pos++;
              tok->state = tok->state == S_SCRIPT_ESC_START ? S_SCRIPT_ESC_START_DASH : S_SCRIPT_ESC_DASH_DASH;
            }
          else
            tok->state = S_SCRIPT;
          break;

        case S_SCRIPT_ESC:
        case S_SCRIPT_ESC_DASH:
        case S_SCRIPT_ESC_DASH_DASH:
          if (c < 0)
            {
              error (tok, "eof-in-script-html-comment-like-text", p);
              emit_eof (tok);
            }
          else if (c == '-')
            {
              emit_verbatim (tok, p, 1);
              tok->pos++;
              tok->state = tok->state == S_SCRIPT_ESC ? S_SCRIPT_ESC_DASH : S_SCRIPT_ESC_DASH_DASH;
            }
          else if (c == '<')
            {
              tok->tok_start = p;
              tok->pos++;
              tok->state = S_SCRIPT_ESC_LT;
            }
          else if (c == '>' && tok->state == S_SCRIPT_ESC_DASH_DASH)
            {
              emit_verbatim (tok, p, 1);
              tok->pos++;
              tok->state = S_SCRIPT;
            }
          else
            {
              tok->state = S_SCRIPT_ESC;
              emit_char (tok, TRUE);
            }
          break;

        case S_SCRIPT_ESC_LT:
          if (c == '/')
            {
              tok->pos++;
              tok->state = S_SCRIPT_ESC_END_OPEN;
            }
          else if (c >= 0 && IS_ALPHA (c))
            {
              tok->tmp.len = 0;
              emit_verbatim (tok, tok->tok_start, 1);
              tok->state = S_SCRIPT_DESC_START;
            }
          else
            {
              emit_verbatim (tok, tok->tok_start, 1);
              tok->state = S_SCRIPT_ESC;
            }
          break;

        case S_SCRIPT_DESC_START:
        case S_SCRIPT_DESC_END:
          if (c >= 0 && (IS_WS (c) || c == '/' || c == '>'))
            {
              gboolean script = tmp_is_script (tok);
              if (tok->state == S_SCRIPT_DESC_START)
                tok->state = script ? S_SCRIPT_DESC : S_SCRIPT_ESC;
              else
                tok->state = script ? S_SCRIPT_ESC : S_SCRIPT_DESC;
              emit_char (tok, TRUE);
            }
          else if (c >= 0 && IS_ALPHA (c))
            {
              buf_addc (&tok->tmp, LOWER (c));
              emit_verbatim (tok, p, 1);
              tok->pos++;
            }
          else
            tok->state = tok->state == S_SCRIPT_DESC_START ? S_SCRIPT_ESC : S_SCRIPT_DESC;
          break;

        case S_SCRIPT_DESC:
        case S_SCRIPT_DESC_DASH:
        case S_SCRIPT_DESC_DASH_DASH:
          if (c < 0)
            {
              error (tok, "eof-in-script-html-comment-like-text", p);
              emit_eof (tok);
            }
          else if (c == '-')
            {
              emit_verbatim (tok, p, 1);
              tok->pos++;
              tok->state = tok->state == S_SCRIPT_DESC ? S_SCRIPT_DESC_DASH : S_SCRIPT_DESC_DASH_DASH;
            }
          else if (c == '<')
            {
              emit_verbatim (tok, p, 1);
              tok->pos++;
              tok->state = S_SCRIPT_DESC_LT;
            }
          else if (c == '>' && tok->state == S_SCRIPT_DESC_DASH_DASH)
            {
              emit_verbatim (tok, p, 1);
              tok->pos++;
              tok->state = S_SCRIPT;
            }
          else
            {
              tok->state = S_SCRIPT_DESC;
              emit_char (tok, TRUE);
            }
          break;

        case S_SCRIPT_DESC_LT:
          if (c == '/')
            {
              tok->tmp.len = 0;
              emit_verbatim (tok, p, 1);
              tok->pos++;
              tok->state = S_SCRIPT_DESC_END;
            }
          else
            tok->state = S_SCRIPT_DESC;
          break;

        case S_BEFORE_ATTR_NAME:
          while (p < len && IS_WS (in[p]))
            p++;
          tok->pos = p;
          c = p < len ? in[p] : -1;
          if (c < 0 || c == '/' || c == '>')
            tok->state = S_AFTER_ATTR_NAME;
          else
            {
              attr_start (tok);
              if (c == '=')
                {
                  error (tok, "unexpected-equals-sign-before-attribute-name", p);
                  buf_addc (&tok->attrbuf, '=');
                  tok->pos++;
                }
              tok->state = S_ATTR_NAME;
            }
          break;

        case S_ATTR_NAME:
          {
            gsize q = scan_table (in, p, len, stop_attr_name);
            buf_add (&tok->attrbuf, in + p, q - p);
            tok->pos = q;
            c = q < len ? in[q] : -1;
            if (c < 0 || IS_WS (c) || c == '/' || c == '>')
              {
                attr_name_done (tok);
                tok->state = S_AFTER_ATTR_NAME;
              }
            else if (c == '=')
              {
                attr_name_done (tok);
                tok->pos++;
                tok->state = S_BEFORE_ATTR_VALUE;
              }
            else
              {
                tok->pos++;
                if (IS_UPPER (c))
                  buf_addc (&tok->attrbuf, LOWER (c));
                else if (c == 0)
                  {
                    error (tok, "unexpected-null-character", q);
                    buf_add_fffd (&tok->attrbuf);
                  }
                else
                  {
                    error (tok, "unexpected-character-in-attribute-name", q);
                    buf_addc (&tok->attrbuf, c);
                  }
              }
          }
          break;

        case S_AFTER_ATTR_NAME:
          while (p < len && IS_WS (in[p]))
            p++;
          tok->pos = p;
          c = p < len ? in[p] : -1;
          if (c < 0)
            {
              error (tok, "eof-in-tag", tok->tok_start);
              emit_eof (tok);
            }
          else if (c == '/')
            {
              tok->pos++;
              tok->state = S_SELF_CLOSING;
            }
          else if (c == '=')
            {
              tok->pos++;
              tok->state = S_BEFORE_ATTR_VALUE;
            }
          else if (c == '>')
            {
              tok->pos++;
              emit_tag (tok);
            }
          else
            {
              attr_start (tok);
              tok->state = S_ATTR_NAME;
            }
          break;

        case S_BEFORE_ATTR_VALUE:
          while (p < len && IS_WS (in[p]))
            p++;
          tok->pos = p;
          c = p < len ? in[p] : -1;
          if (c == '"')
            {
              tok->pos++;
              tok->state = S_ATTR_VALUE_DQ;
            }
          else if (c == '\'')
            {
              tok->pos++;
              tok->state = S_ATTR_VALUE_SQ;
            }
          else if (c == '>')
            {
              error (tok, "missing-attribute-value", p);
              attr_value_done (tok);
              tok->pos++;
              emit_tag (tok);
            }
          else
            tok->state = S_ATTR_VALUE_UQ;
          break;

        case S_ATTR_VALUE_DQ:
        case S_ATTR_VALUE_SQ:
          {
            guchar quote = tok->state == S_ATTR_VALUE_DQ ? '"' : '\'';
            gsize q = p;
            while (q < len && in[q] != quote && in[q] != '&' && in[q] != '\r' && in[q] != 0)
              q++;
            buf_add (&tok->attrbuf, in + p, q - p);
            tok->pos = q;
            if (q >= len)
              {
                error (tok, "eof-in-tag", tok->tok_start);
                emit_eof (tok);
              }
            else if (in[q] == quote)
              {
                attr_value_done (tok);
                tok->pos++;
                tok->state = S_AFTER_ATTR_VALUE_Q;
              }
            else if (in[q] == '&')
              char_ref (tok, TRUE);
            else
              take_char (tok, &tok->attrbuf);
          }
          break;

        case S_ATTR_VALUE_UQ:
          {
            gsize q = scan_table (in, p, len, stop_attr_uq);
            buf_add (&tok->attrbuf, in + p, q - p);
            tok->pos = q;
            c = q < len ? in[q] : -1;
            if (c < 0)
              {
                error (tok, "eof-in-tag", tok->tok_start);
                emit_eof (tok);
              }
            else if (IS_WS (c))
              {
                attr_value_done (tok);
                tok->pos++;
                tok->state = S_BEFORE_ATTR_NAME;
              }
            else if (c == '&')
              char_ref (tok, TRUE);
            else if (c == '>')
              {
                attr_value_done (tok);
                tok->pos++;
                emit_tag (tok);
              }
            else if (c == 0)
              take_char (tok, &tok->attrbuf);
            else
              {
                error (tok, "unexpected-character-in-unquoted-attribute-value", q);
                buf_addc (&tok->attrbuf, c);
                tok->pos++;
              }
          }
          break;

        case S_AFTER_ATTR_VALUE_Q:
          if (c < 0)
            {
              error (tok, "eof-in-tag", tok->tok_start);
              emit_eof (tok);
            }
          else if (IS_WS (c))
            {
              tok->pos++;
              tok->state = S_BEFORE_ATTR_NAME;
            }
          else if (c == '/')
            {
              tok->pos++;
              tok->state = S_SELF_CLOSING;
            }
          else if (c == '>')
            {
              tok->pos++;
              emit_tag (tok);
            }
          else
            {
              error (tok, "missing-whitespace-between-attributes", p);
              tok->state = S_BEFORE_ATTR_NAME;
            }
          break;

        case S_SELF_CLOSING:
          if (c == '>')
            {
              tok->self_closing = TRUE;
              tok->pos++;
              emit_tag (tok);
            }
          else if (c < 0)
            {
              error (tok, "eof-in-tag", tok->tok_start);
              emit_eof (tok);
            }
          else
            {
              error (tok, "unexpected-solidus-in-tag", p);
              tok->state = S_BEFORE_ATTR_NAME;
            }
          break;

        case S_BOGUS_COMMENT:
          {
            gsize q = scan4 (in, p, len, '>', '\r', 0, '>');
            buf_add (&tok->comment, in + p, q - p);
            tok->pos = q;
            if (q >= len)
              {
                emit_comment (tok);
                emit_eof (tok);
              }
            else if (in[q] == '>')
              {
                tok->pos++;
                emit_comment (tok);
                tok->state = S_DATA;
              }
            else
              take_char (tok, &tok->comment);
          }
          break;

        case S_MARKUP_DECL:
          if (p + 1 < len && in[p] == '-' && in[p + 1] == '-')
            {
              tok->pos += 2;
              start_comment (tok);
              tok->state = S_COMMENT_START;
            }
          else if (starts_with_ci (tok, "doctype"))
            {
              tok->pos += 7;
              tok->state = S_DOCTYPE;
            }
          else if (p + 7 <= len && memcmp (in + p, "[CDATA[", 7) == 0)
            {
              tok->pos += 7;
              if (tok->cdata_allowed)
                tok->state = S_CDATA;
              else
                {
                  error (tok, "cdata-in-html-content", p);
                  start_comment (tok);
                  buf_add (&tok->comment, "[CDATA[", 7);
                  tok->state = S_BOGUS_COMMENT;
                }
            }
          else
            {
              error (tok, "incorrectly-opened-comment", p);
              start_comment (tok);
              tok->state = S_BOGUS_COMMENT;
            }
          break;

        case S_COMMENT_START:
          if (c == '-')
            {
              tok->pos++;
              tok->state = S_COMMENT_START_DASH;
            }
          else if (c == '>')
            {
              error (tok, "abrupt-closing-of-empty-comment", p);
              tok->pos++;
              emit_comment (tok);
              tok->state = S_DATA;
            }
          else
            tok->state = S_COMMENT;
          break;

        case S_COMMENT_START_DASH:
          if (c == '-')
            {
              tok->pos++;
              tok->state = S_COMMENT_END;
            }
          else if (c == '>')
            {
              error (tok, "abrupt-closing-of-empty-comment", p);
              tok->pos++;
              emit_comment (tok);
              tok->state = S_DATA;
            }
          else if (c < 0)
            {
              error (tok, "eof-in-comment", tok->tok_start);
              emit_comment (tok);
              emit_eof (tok);
            }
          else
            {
              buf_addc (&tok->comment, '-');
              tok->state = S_COMMENT;
            }
          break;

        case S_COMMENT:
          {
            gsize q = scan4 (in, p, len, '<', '-', '\r', 0);
            buf_add (&tok->comment, in + p, q - p);
            tok->pos = q;
            if (q >= len)
              {
                error (tok, "eof-in-comment", tok->tok_start);
                emit_comment (tok);
                emit_eof (tok);
              }
            else if (in[q] == '<')
              {
                buf_addc (&tok->comment, '<');
                tok->pos++;
                tok->state = S_COMMENT_LT;
              }
            else if (in[q] == '-')
              {
                tok->pos++;
                tok->state = S_COMMENT_END_DASH;
              }
            else
              take_char (tok, &tok->comment);
          }
          break;

        case S_COMMENT_LT:
          if (c == '!')
            {
              buf_addc (&tok->comment, '!');
              tok->pos++;
              tok->state = S_COMMENT_LT_BANG;
            }
          else if (c == '<')
            {
              buf_addc (&tok->comment, '<');
              tok->pos++;
            }
          else
            tok->state = S_COMMENT;
          break;

        case S_COMMENT_LT_BANG:
          if (c == '-')
            {
              tok->pos++;
              tok->state = S_COMMENT_LT_BANG_DASH;
            }
          else
            tok->state = S_COMMENT;
          break;

        case S_COMMENT_LT_BANG_DASH:
          if (c == '-')
            {
              tok->pos++;
              tok->state = S_COMMENT_LT_BANG_DASH_DASH;
            }
          else
            tok->state = S_COMMENT_END_DASH;
          break;

        case S_COMMENT_LT_BANG_DASH_DASH:
          if (c != '>' && c >= 0)
            error (tok, "nested-comment", p);
          tok->state = S_COMMENT_END;
          break;

        case S_COMMENT_END_DASH:
          if (c == '-')
            {
              tok->pos++;
              tok->state = S_COMMENT_END;
            }
          else if (c < 0)
            {
              error (tok, "eof-in-comment", tok->tok_start);
              emit_comment (tok);
              emit_eof (tok);
            }
          else
            {
              buf_addc (&tok->comment, '-');
              tok->state = S_COMMENT;
            }
          break;

        case S_COMMENT_END:
          if (c == '>')
            {
              tok->pos++;
              emit_comment (tok);
              tok->state = S_DATA;
            }
          else if (c == '!')
            {
              tok->pos++;
              tok->state = S_COMMENT_END_BANG;
            }
          else if (c == '-')
            {
              buf_addc (&tok->comment, '-');
              tok->pos++;
            }
          else if (c < 0)
            {
              error (tok, "eof-in-comment", tok->tok_start);
              emit_comment (tok);
              emit_eof (tok);
            }
          else
            {
              buf_add (&tok->comment, "--", 2);
              tok->state = S_COMMENT;
            }
          break;

        case S_COMMENT_END_BANG:
          if (c == '-')
            {
              buf_add (&tok->comment, "--!", 3);
              tok->pos++;
              tok->state = S_COMMENT_END_DASH;
            }
          else if (c == '>')
            {
              error (tok, "incorrectly-closed-comment", p);
              tok->pos++;
              emit_comment (tok);
              tok->state = S_DATA;
            }
          else if (c < 0)
            {
              error (tok, "eof-in-comment", tok->tok_start);
              emit_comment (tok);
              emit_eof (tok);
            }
          else
            {
              buf_add (&tok->comment, "--!", 3);
              tok->state = S_COMMENT;
            }
          break;

        case S_DOCTYPE:
          start_doctype (tok);
          if (c >= 0 && IS_WS (c))
            tok->pos++;
          else if (c < 0)
            {
              error (tok, "eof-in-doctype", tok->tok_start);
              tok->force_quirks = TRUE;
              emit_doctype (tok);
              emit_eof (tok);
              break;
            }
          else if (c != '>')
            error (tok, "missing-whitespace-before-doctype-name", p);
          tok->state = S_BEFORE_DOCTYPE_NAME;
          break;

        case S_BEFORE_DOCTYPE_NAME:
          while (p < len && IS_WS (in[p]))
            p++;
          tok->pos = p;
          c = p < len ? in[p] : -1;
          if (c < 0)
            {
              error (tok, "eof-in-doctype", tok->tok_start);
              tok->force_quirks = TRUE;
              emit_doctype (tok);
              emit_eof (tok);
            }
          else if (c == '>')
            {
              error (tok, "missing-doctype-name", p);
              tok->force_quirks = TRUE;
              tok->pos++;
              emit_doctype (tok);
              tok->state = S_DATA;
            }
          else
            {
              tok->has_name = TRUE;
              tok->state = S_DOCTYPE_NAME;
            }
          break;

        case S_DOCTYPE_NAME:
          if (c < 0)
            {
              error (tok, "eof-in-doctype", tok->tok_start);
              tok->force_quirks = TRUE;
              emit_doctype (tok);
              emit_eof (tok);
            }
          else if (IS_WS (c))
            {
              tok->pos++;
              tok->state = S_AFTER_DOCTYPE_NAME;
            }
          else if (c == '>')
            {
              tok->pos++;
              emit_doctype (tok);
              tok->state = S_DATA;
            }
          else if (c == 0)
            take_char (tok, &tok->name);
          else
            {
              buf_addc (&tok->name, LOWER (c));
              tok->pos++;
            }
          break;

        case S_AFTER_DOCTYPE_NAME:
          while (p < len && IS_WS (in[p]))
            p++;
          tok->pos = p;
          c = p < len ? in[p] : -1;
          if (c < 0)
            {
              error (tok, "eof-in-doctype", tok->tok_start);
              tok->force_quirks = TRUE;
              emit_doctype (tok);
              emit_eof (tok);
            }
          else if (c == '>')
            {
              tok->pos++;
              emit_doctype (tok);
              tok->state = S_DATA;
            }
          else if (starts_with_ci (tok, "public"))
            {
              tok->pos += 6;
              tok->state = S_AFTER_DOCTYPE_PUBLIC_KW;
            }
          else if (starts_with_ci (tok, "system"))
            {
              tok->pos += 6;
              tok->state = S_AFTER_DOCTYPE_SYSTEM_KW;
            }
          else
            {
              error (tok, "invalid-character-sequence-after-doctype-name", p);
              tok->force_quirks = TRUE;
              tok->state = S_BOGUS_DOCTYPE;
            }
          break;

        case S_AFTER_DOCTYPE_PUBLIC_KW:
        case S_BEFORE_DOCTYPE_PUBLIC_ID:
        case S_AFTER_DOCTYPE_SYSTEM_KW:
        case S_BEFORE_DOCTYPE_SYSTEM_ID:
          {
            gboolean public = tok->state == S_AFTER_DOCTYPE_PUBLIC_KW || tok->state == S_BEFORE_DOCTYPE_PUBLIC_ID;
            gboolean keyword = tok->state == S_AFTER_DOCTYPE_PUBLIC_KW || tok->state == S_AFTER_DOCTYPE_SYSTEM_KW;
            if (c >= 0 && IS_WS (c))
              {
                tok->pos++;
                tok->state = public ? S_BEFORE_DOCTYPE_PUBLIC_ID : S_BEFORE_DOCTYPE_SYSTEM_ID;
              }
            else if (c == '"' || c == '\'')
              {
                if (keyword)
                  error (tok, public ? "missing-whitespace-after-doctype-public-keyword"
                                     : "missing-whitespace-after-doctype-system-keyword", p);
                tok->pos++;
                if (public)
                  {
                    tok->has_pub = TRUE;
                    tok->state = c == '"' ? S_DOCTYPE_PUBLIC_ID_DQ : S_DOCTYPE_PUBLIC_ID_SQ;
                  }
                else
                  {
                    tok->has_sys = TRUE;
                    tok->state = c == '"' ? S_DOCTYPE_SYSTEM_ID_DQ : S_DOCTYPE_SYSTEM_ID_SQ;
                  }
              }
            else if (c == '>')
              {
                error (tok, public ? "missing-doctype-public-identifier" : "missing-doctype-system-identifier", p);
                tok->force_quirks = TRUE;
                tok->pos++;
                emit_doctype (tok);
                tok->state = S_DATA;
              }
            else if (c < 0)
              {
                error (tok, "eof-in-doctype", tok->tok_start);
                tok->force_quirks = TRUE;
                emit_doctype (tok);
                emit_eof (tok);
              }
            else
              {
                error (tok, public ? "missing-quote-before-doctype-public-identifier"
                                   : "missing-quote-before-doctype-system-identifier", p);
                tok->force_quirks = TRUE;
                tok->state = S_BOGUS_DOCTYPE;
              }
          }
          break;

        case S_DOCTYPE_PUBLIC_ID_DQ:
        case S_DOCTYPE_PUBLIC_ID_SQ:
        case S_DOCTYPE_SYSTEM_ID_DQ:
        case S_DOCTYPE_SYSTEM_ID_SQ:
          {
            gboolean public = tok->state == S_DOCTYPE_PUBLIC_ID_DQ || tok->state == S_DOCTYPE_PUBLIC_ID_SQ;
            guchar quote = tok->state == S_DOCTYPE_PUBLIC_ID_DQ || tok->state == S_DOCTYPE_SYSTEM_ID_DQ ? '"' : '\'';
            Buf *b = public ? &tok->pub : &tok->sys;
            if (c < 0)
              {
                error (tok, "eof-in-doctype", tok->tok_start);
                tok->force_quirks = TRUE;
                emit_doctype (tok);
                emit_eof (tok);
              }
            else if (c == quote)
              {
                tok->pos++;
                tok->state = public ? S_AFTER_DOCTYPE_PUBLIC_ID : S_AFTER_DOCTYPE_SYSTEM_ID;
              }
            else if (c == '>')
              {
                error (tok, public ? "abrupt-doctype-public-identifier" : "abrupt-doctype-system-identifier", p);
                tok->force_quirks = TRUE;
                tok->pos++;
                emit_doctype (tok);
                tok->state = S_DATA;
              }
            else
              take_char (tok, b);
          }
          break;

        case S_AFTER_DOCTYPE_PUBLIC_ID:
        case S_BETWEEN_DOCTYPE_IDS:
          {
            gboolean after = tok->state == S_AFTER_DOCTYPE_PUBLIC_ID;
            if (c >= 0 && IS_WS (c))
              {
                tok->pos++;
                tok->state = S_BETWEEN_DOCTYPE_IDS;
              }
            else if (c == '>')
              {
                tok->pos++;
                emit_doctype (tok);
                tok->state = S_DATA;
              }
            else if (c == '"' || c == '\'')
              {
                if (after)
                  error (tok, "missing-whitespace-between-doctype-public-and-system-identifiers", p);
                tok->has_sys = TRUE;
                tok->pos++;
                tok->state = c == '"' ? S_DOCTYPE_SYSTEM_ID_DQ : S_DOCTYPE_SYSTEM_ID_SQ;
              }
            else if (c < 0)
              {
                error (tok, "eof-in-doctype", tok->tok_start);
                tok->force_quirks = TRUE;
                emit_doctype (tok);
                emit_eof (tok);
              }
            else
              {
                error (tok, "missing-quote-before-doctype-system-identifier", p);
                tok->force_quirks = TRUE;
                tok->state = S_BOGUS_DOCTYPE;
              }
          }
          break;

        case S_AFTER_DOCTYPE_SYSTEM_ID:
          while (p < len && IS_WS (in[p]))
            p++;
          tok->pos = p;
          c = p < len ? in[p] : -1;
          if (c < 0)
            {
              error (tok, "eof-in-doctype", tok->tok_start);
              tok->force_quirks = TRUE;
              emit_doctype (tok);
              emit_eof (tok);
            }
          else if (c == '>')
            {
              tok->pos++;
              emit_doctype (tok);
              tok->state = S_DATA;
            }
          else
            {
              error (tok, "unexpected-character-after-doctype-system-identifier", p);
              tok->state = S_BOGUS_DOCTYPE;
            }
          break;

        case S_BOGUS_DOCTYPE:
          {
            const guchar *gt = memchr (in + p, '>', len - p);
            if (gt == NULL)
              {
                tok->pos = len;
                emit_doctype (tok);
                emit_eof (tok);
              }
            else
              {
                tok->pos = (gsize) (gt - in) + 1;
                emit_doctype (tok);
                tok->state = S_DATA;
              }
          }
          break;

        case S_CDATA:
          {
            gsize q = scan4 (in, p, len, ']', '\r', ']', ']');
            emit_verbatim (tok, p, q - p);
            tok->pos = q;
            if (q >= len)
              {
                error (tok, "eof-in-cdata", tok->tok_start);
                emit_eof (tok);
              }
            else if (in[q] == ']')
              {
                tok->pos++;
                tok->state = S_CDATA_BRACKET;
              }
            else
              emit_char (tok, FALSE);
          }
          break;

        case S_CDATA_BRACKET:
          if (c == ']')
            {
              tok->pos++;
              tok->state = S_CDATA_END;
            }
          else
            {
              emit_verbatim (tok, p - 1, 1);
              tok->state = S_CDATA;
            }
          break;

        case S_CDATA_END:
          if (c == ']')
            {
              emit_verbatim (tok, p - 2, 1);
              tok->pos++;
            }
          else if (c == '>')
            {
              tok->pos++;
              tok->state = S_DATA;
            }
          else
            {
              emit_verbatim (tok, p - 2, 2);
              tok->state = S_CDATA;
            }
          break;

        case S_EOF_EMITTED:
          g_assert_not_reached ();
        }
    }
}

const HtmlToken *
html_tokenizer_next (HtmlTokenizer *tok)
{
  HtmlToken *t;

  if (tok->q_len == 0)
    {
      if (tok->state == S_EOF_EMITTED)
        return NULL;
      run (tok);
    }
  t = &tok->queue[tok->q_head];
  tok->q_head = (tok->q_head + 1) % QUEUE_SIZE;
  tok->q_len--;
  if (t->type == HTML_TOKEN_TEXT)
    {
      t->data = (const char *) tok->in + t->start;
      t->len = t->end - t->start;
    }
  else if (t->type == HTML_TOKEN_REPLACE)
    t->data = t->repl;
  return t;
}
