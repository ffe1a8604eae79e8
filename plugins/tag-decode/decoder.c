/* decoder.c: one memchr pass over '[' and ']' turns `[LABEL text  ]` tags into entity spans; the rest is diagnosed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "decoder.h"

/* Past this many diagnostics of one code in a document, only a count is reported. */
#define MAX_DIAGNOSTICS_PER_CODE 20

typedef struct {
  const char *name;  /* interned */
  gsize       len;
} Label;

struct _TagDecoder {
  Label      *labels;
  guint       n_labels;
  char       *labels_text;  /* "PER;LOC;ORG;MISC", for messages */
  gsize       max_length;
  gboolean    detokenize;
  const char *layer;        /* interned "entity" */
  const char *page_break;   /* interned "page-break" */
};

typedef enum {
  CODE_BRACKET_TEXT,
  CODE_UNKNOWN_LABEL,
  CODE_UNCLOSED,
  CODE_MALFORMED,
  CODE_TOO_LONG,
  CODE_ACROSS_PARAGRAPH,
  CODE_ACROSS_PAGE_BREAK,
  CODE_NESTED,
  CODE_UNMATCHED_CLOSE,
  N_CODES
} Code;

static const struct {
  const char           *code;
  QuarryDiagnosticLevel level;
} code_info[N_CODES] = {
  [CODE_BRACKET_TEXT] = { "bracket-text", QUARRY_DIAGNOSTIC_INFO },
  [CODE_UNKNOWN_LABEL] = { "unknown-label", QUARRY_DIAGNOSTIC_WARNING },
  [CODE_UNCLOSED] = { "unclosed-tag", QUARRY_DIAGNOSTIC_WARNING },
  [CODE_MALFORMED] = { "malformed-tag", QUARRY_DIAGNOSTIC_WARNING },
  [CODE_TOO_LONG] = { "tag-too-long", QUARRY_DIAGNOSTIC_WARNING },
  [CODE_ACROSS_PARAGRAPH] = { "tag-across-paragraph", QUARRY_DIAGNOSTIC_WARNING },
  [CODE_ACROSS_PAGE_BREAK] = { "tag-across-page-break", QUARRY_DIAGNOSTIC_WARNING },
  [CODE_NESTED] = { "nested-tag", QUARRY_DIAGNOSTIC_WARNING },
  [CODE_UNMATCHED_CLOSE] = { "unmatched-close", QUARRY_DIAGNOSTIC_WARNING },
};

/* An opening `[LABEL ` waiting for its `  ]`. */
typedef struct {
  gboolean     set;
  gsize        open;   /* the '[' */
  gsize        inner;  /* first byte of the entity text */
  gsize        label_len;
  const Label *label;  /* NULL: looks like a label but is not configured */
} Open;

/* [start, end) of the text before decoding: a deletion of markup, or a page-break line. */
typedef struct {
  gsize start;
  gsize end;
} Range;

typedef struct {
  const TagDecoder *dec;
  QuarryDocument   *doc;
  const char       *t;
  gsize             n;
  QuarryEdits      *edits;  /* the markup deletions go here, or into cuts when detokenizing */
  gboolean          detokenize;
  TagOffsets        cuts;     /* when detokenizing: start, end of each markup deletion, in text order */
  Range             pending;  /* the last deletion, not yet in edits: adjacent ones are merged */
  TagOffsets        breaks;   /* start, end of each page-break line (an earlier stage's layer), sorted, disjoint */
  guint             counts[N_CODES];
  Open              cur;    /* the innermost open tag */
  Open              outer;  /* a configured tag that another one opened inside */
} Scan;

/* ---- set-up ---- */

static gboolean
label_char (guchar c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

static gboolean
label_valid (const char *s)
{
  gsize n = strlen (s);

  if (n == 0 || n > TAG_MAX_LABEL_LENGTH)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!label_char (s[i]))
      return FALSE;
  return TRUE;
}

TagDecoder *
tag_decoder_new (const char *const *labels, gsize max_length, gboolean detokenize, GError **error)
{
  g_autoptr(TagDecoder) dec = g_new0 (TagDecoder, 1);
  GPtrArray *names = g_ptr_array_new ();
  guint n = labels != NULL ? g_strv_length ((char **) labels) : 0;

  dec->labels = g_new0 (Label, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      const char *l = labels[i];
      gboolean dup = FALSE;

      if (!label_valid (l))
        {
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                       "label \"%s\" is not 1 to %d characters of A-Z, a-z, 0-9, '_' or '-'; "
                       "fix the `labels` option (e.g. PER;LOC;ORG;MISC)", l, TAG_MAX_LABEL_LENGTH);
          g_ptr_array_free (names, TRUE);
          return NULL;
        }
      for (guint j = 0; j < dec->n_labels; j++)
        dup |= strcmp (dec->labels[j].name, l) == 0;
      if (dup)
        continue;
      dec->labels[dec->n_labels].name = g_intern_string (l);
      dec->labels[dec->n_labels].len = strlen (l);
      dec->n_labels++;
      g_ptr_array_add (names, (gpointer) l);
    }
  if (dec->n_labels == 0)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   "the `labels` option is empty, so no tag could ever be decoded; "
                   "give at least one label (e.g. PER;LOC;ORG;MISC)");
      g_ptr_array_free (names, TRUE);
      return NULL;
    }
  if (max_length == 0)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   "`max-length` must be at least 1 byte (default %d)", TAG_DEFAULT_MAX_LENGTH);
      g_ptr_array_free (names, TRUE);
      return NULL;
    }
  g_ptr_array_add (names, NULL);
  dec->labels_text = g_strjoinv (";", (char **) names->pdata);
  g_ptr_array_free (names, TRUE);
  dec->max_length = max_length;
  dec->detokenize = detokenize;
  dec->layer = g_intern_static_string ("entity");
  dec->page_break = g_intern_static_string ("page-break");
  return g_steal_pointer (&dec);
}

void
tag_decoder_free (TagDecoder *dec)
{
  if (dec == NULL)
    return;
  g_free (dec->labels);
  g_free (dec->labels_text);
  g_free (dec);
}

/* ---- diagnostics ---- */

static gsize
scan_source (const Scan *s, gsize offset)
{
  gsize src;

  quarry_document_source_range (s->doc, offset, offset, &src, NULL);
  return src;
}

static void scan_diagnose (Scan *s, Code code, gsize offset, const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
scan_diagnose (Scan *s, Code code, gsize offset, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  if (++s->counts[code] > MAX_DIAGNOSTICS_PER_CODE)
    return;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  quarry_document_diagnose (s->doc, code_info[code].level, code_info[code].code, (gssize) offset, "%s", msg);
}

static void
scan_summarize (Scan *s)
{
  for (guint c = 0; c < N_CODES; c++)
    if (s->counts[c] > MAX_DIAGNOSTICS_PER_CODE)
      quarry_document_diagnose (s->doc, code_info[c].level, code_info[c].code, QUARRY_NO_OFFSET,
                                "%u %s diagnostics in all (only the first %d are listed)",
                                s->counts[c], code_info[c].code, MAX_DIAGNOSTICS_PER_CODE);
}

/* ---- what is inside a tag ---- */

static inline gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Whether [a, b) holds a newline (so maybe a blank line): a loop, not a call, over a
 * short entity text. */
static inline gboolean
has_newline (const char *t, gsize a, gsize b)
{
  for (gsize i = a; i < b; i++)
    if (G_UNLIKELY (t[i] == '\n'))
      return TRUE;
  return FALSE;
}

/* Whether [a, b) holds a blank line (a newline, blanks, a newline). */
static gboolean
has_blank_line (const char *t, gsize a, gsize b)
{
  const char *p = t + a, *end = t + b;

  while (p < end && (p = memchr (p, '\n', end - p)) != NULL)
    {
      const char *q = p + 1;
      while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
        q++;
      if (q < end && *q == '\n')
        return TRUE;
      p = q;
    }
  return FALSE;
}

/* ---- page-break lines ---- */

static int
range_cmp (gconstpointer x, gconstpointer y)
{
  const Range *a = x, *b = y;

  return a->start < b->start ? -1 : a->start > b->start ? 1 : 0;
}

/* Reads the page-break lines that header-parse (or another earlier stage) left as the
 * `page-break` layer; without one, no tag is taken for running across a page break.
 * Sorted and merged, so that one binary search answers for each tag. */
static void
scan_collect_breaks (Scan *s)
{
  guint n = quarry_document_get_n_spans (s->doc);
  Range *r;
  gsize k = 0;

  for (guint i = 0; i < n; i++)
    {
      const QuarrySpan *sp = quarry_document_peek_span (s->doc, i);

      if (sp->layer == s->dec->page_break && sp->end > sp->start)
        {
          tag_offsets_push (&s->breaks, sp->start);
          tag_offsets_push (&s->breaks, sp->end);
        }
    }
  if (s->breaks.len == 0)
    return;
  r = (Range *) s->breaks.v;  /* pairs of offsets, laid out as Range */
  qsort (r, s->breaks.len / 2, sizeof (Range), range_cmp);
  for (gsize i = 1; i < s->breaks.len / 2; i++)
    if (r[i].start <= r[k].end)
      r[k].end = MAX (r[k].end, r[i].end);
    else
      r[++k] = r[i];
  s->breaks.len = 2 * (k + 1);
}

/* The page-break line that the entity text [a, b) runs across, or NULL. A text that lies
 * inside the line does not run across it: the tagger marks the origin on the line
 * (`[LOC MOSCOW  ] 00002734 002 OF 003`) and that mention is decoded. */
static const Range *
scan_break_across (const Scan *s, gsize a, gsize b)
{
  const Range *r = (const Range *) s->breaks.v;
  gsize lo = 0, hi = s->breaks.len / 2;

  /* the first line that ends after a (the lines are disjoint, so their ends are sorted too) */
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      if (r[mid].end <= a)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == s->breaks.len / 2 || r[lo].start >= b || (r[lo].start <= a && b <= r[lo].end))
    return NULL;
  return &r[lo];
}

/* ---- opening and closing ---- */

/* memcmp () == 0 for labels, which are a few bytes: no call. */
static inline gboolean
same_bytes (const char *a, const char *b, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (a[i] != b[i])
      return FALSE;
  return TRUE;
}

/* Reads `[LABEL ` at o. FALSE if the '[' is ordinary text: not followed by a
 * label-like token and a space. A token that is not a configured label counts only when
 * it is upper case (`[NAME REMOVED]`), so `[the U.S.]` stays plain text. */
static gboolean
scan_parse_open (const Scan *s, gsize o, Open *op)
{
  const char *t = s->t;
  gsize i = o + 1, lim = MIN (s->n, o + 2 + TAG_MAX_LABEL_LENGTH);
  gsize len;

  while (i < lim && label_char (t[i]))
    i++;
  len = i - (o + 1);
  if (len == 0 || len > TAG_MAX_LABEL_LENGTH || i >= s->n || t[i] != ' ')
    return FALSE;
  op->set = TRUE;
  op->open = o;
  op->inner = i + 1;
  op->label_len = len;
  op->label = NULL;
  for (guint k = 0; k < s->dec->n_labels; k++)
    if (s->dec->labels[k].len == len && same_bytes (s->dec->labels[k].name, t + o + 1, len))
      {
        op->label = &s->dec->labels[k];
        return TRUE;
      }
  if (!g_ascii_isupper (t[o + 1]))
    return FALSE;
  for (gsize k = o + 2; k < i; k++)
    if (g_ascii_islower (t[k]))
      return FALSE;
  return TRUE;
}

static void
scan_bracket_text (Scan *s, gsize o)
{
  scan_diagnose (s, CODE_BRACKET_TEXT, o,
                 "'[' at source byte %" G_GSIZE_FORMAT " is ordinary text, not entity markup "
                 "(a tag is `[LABEL text  ]`, LABEL one of %s); left as text",
                 scan_source (s, o), s->dec->labels_text);
}

/* An open that never found its close. */
static void
scan_drop_unclosed (Scan *s, Open *op, const char *why)
{
  if (!op->set)
    return;
  if (op->label == NULL)
    scan_bracket_text (s, op->open);
  else
    scan_diagnose (s, CODE_UNCLOSED, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " is not closed by `  ]` %s; "
                   "left as text; close it with two spaces and `]`, or remove the `[%s `",
                   op->label->name, scan_source (s, op->open), why, op->label->name);
  op->set = FALSE;
}

/* Deletes [start, end) of the text; deletions come in text order. Adjacent ones
 * (`  ]` and the space after it) become one edit: the core then has fewer
 * edits to apply, and spans move the same. */
static inline void
scan_delete (Scan *s, gsize start, gsize end)
{
  if (s->pending.end == start && s->pending.end > s->pending.start)
    {
      s->pending.end = end;
      return;
    }
  if (s->pending.end > s->pending.start)
    quarry_edits_replace (s->edits, s->pending.start, s->pending.end, NULL, 0);
  s->pending.start = start;
  s->pending.end = end;
}

static void
scan_flush (Scan *s)
{
  if (s->pending.end > s->pending.start)
    quarry_edits_replace (s->edits, s->pending.start, s->pending.end, NULL, 0);
  s->pending.start = s->pending.end = 0;
}

static void
scan_emit (Scan *s, const Open *op, gsize inner_end, gsize close_end)
{
  g_autoptr(GError) error = NULL;

  /* the span goes in before the edits so that the core moves it with the text */
  if (quarry_document_add_span (s->doc, s->dec->layer, op->label->name, op->inner, inner_end, NULL,
                                &error) < 0)
    g_warning ("tag-decode: %s", error->message);  /* cannot happen: the bounds are ASCII */
  if (s->detokenize)
    {
      tag_offsets_push (&s->cuts, op->open);
      tag_offsets_push (&s->cuts, op->inner);
      tag_offsets_push (&s->cuts, inner_end);
      tag_offsets_push (&s->cuts, close_end);
    }
  else
    {
      scan_delete (s, op->open, op->inner);
      scan_delete (s, inner_end, close_end);
    }
}

/* The text of a configured tag closed at c (the ']'): decode it or say why not. */
static void
scan_close_known (Scan *s, const Open *op, gsize c)
{
  const char *t = s->t, *name = op->label->name;
  gsize inner_end = c - 2, src;
  const Range *brk;

  /* the common case first, without looking up source offsets for messages */
  if (G_LIKELY (inner_end > op->inner && inner_end - op->inner <= s->dec->max_length &&
                !is_space (t[op->inner]) && !is_space (t[inner_end - 1]) &&
                !has_newline (t, op->inner, inner_end) &&
                (s->breaks.len == 0 || scan_break_across (s, op->inner, inner_end) == NULL)))
    {
      scan_emit (s, op, inner_end, c + 1);
      return;
    }

  src = scan_source (s, op->open);
  if (inner_end <= op->inner)
    scan_diagnose (s, CODE_MALFORMED, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " has no text; left as text; "
                   "a tag is `[%s text  ]`", name, src, name);
  else if (inner_end - op->inner > s->dec->max_length)
    scan_diagnose (s, CODE_TOO_LONG, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " runs %" G_GSIZE_FORMAT
                   " bytes to the `  ]` at source byte %" G_GSIZE_FORMAT ", more than max-length (%"
                   G_GSIZE_FORMAT "): probably a lost `  ]`; left as text; raise tag-decode's "
                   "`max-length` if entities this long are real",
                   name, src, inner_end - op->inner, scan_source (s, inner_end), s->dec->max_length);
  else if (is_space (t[op->inner]) || is_space (t[inner_end - 1]))
    scan_diagnose (s, CODE_MALFORMED, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " has blanks at the edge of "
                   "its text; left as text; the tagger writes exactly one space after the label "
                   "and two before `]`", name, src);
  else if (has_blank_line (t, op->inner, inner_end))
    scan_diagnose (s, CODE_ACROSS_PARAGRAPH, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " runs over a blank line to "
                   "its `  ]` at source byte %" G_GSIZE_FORMAT "; left as text; an entity never "
                   "spans paragraphs, so a `  ]` is probably missing before the blank line",
                   name, src, scan_source (s, inner_end));
  else if ((brk = scan_break_across (s, op->inner, inner_end)) != NULL)
    scan_diagnose (s, CODE_ACROSS_PAGE_BREAK, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " runs across the page-break "
                   "line at source byte %" G_GSIZE_FORMAT "; left as text; move the page-break line "
                   "out of the tag", name, src, scan_source (s, brk->start));
  else
    scan_emit (s, op, inner_end, c + 1);
}

static void
scan_close_unknown (Scan *s, const Open *op, gsize c)
{
  if (c - 2 <= op->inner || c - 2 - op->inner > s->dec->max_length)
    {
      scan_bracket_text (s, op->open);
      return;
    }
  scan_diagnose (s, CODE_UNKNOWN_LABEL, op->open,
                 "`[%.*s ` at source byte %" G_GSIZE_FORMAT " looks like an entity tag but %.*s is "
                 "not a configured label (%s); left as text; add it to tag-decode's `labels` "
                 "option to decode it",
                 (int) op->label_len, s->t + op->open + 1, scan_source (s, op->open),
                 (int) op->label_len, s->t + op->open + 1, s->dec->labels_text);
}

/* A `  ]` after a tag that enclosed another one. */
static void
scan_close_outer (Scan *s, Open *op, gsize c)
{
  const Range *brk = scan_break_across (s, op->inner, c - 2);
  const char *name = op->label->name;

  if (brk != NULL)
    scan_diagnose (s, CODE_ACROSS_PAGE_BREAK, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " runs across the page-break "
                   "line at source byte %" G_GSIZE_FORMAT " to the `  ]` at source byte %"
                   G_GSIZE_FORMAT "; left as text (tags inside it were decoded); move the page-break "
                   "line out of the tag", name, scan_source (s, op->open), scan_source (s, brk->start),
                   scan_source (s, c - 2));
  else
    scan_diagnose (s, CODE_NESTED, op->open,
                   "entity tag `[%s ` at source byte %" G_GSIZE_FORMAT " encloses another tag before "
                   "its `  ]` at source byte %" G_GSIZE_FORMAT "; tags do not nest, so the inner "
                   "tag was decoded and this one left as text; remove one of the two",
                   name, scan_source (s, op->open), scan_source (s, c - 2));
  op->set = FALSE;
}

static inline gboolean
scan_expired (const Scan *s, const Open *op, gsize pos)
{
  return op->set && pos > op->inner + s->dec->max_length + 2;
}

static void
scan_on_open (Scan *s, gsize o)
{
  Open op;

  if (scan_expired (s, &s->outer, o))
    scan_drop_unclosed (s, &s->outer, "within max-length bytes");
  if (!scan_parse_open (s, o, &op))
    {
      scan_bracket_text (s, o);
      return;
    }
  if (op.label == NULL)
    {
      /* inside a configured tag an unconfigured one is just text (`[PER Bob [NAME REMOVED]  ]`) */
      if (s->cur.set && s->cur.label != NULL && !scan_expired (s, &s->cur, o))
        {
          scan_bracket_text (s, o);
          return;
        }
      scan_drop_unclosed (s, &s->cur, "before the next tag");
      s->cur = op;
      return;
    }
  if (s->cur.set && s->cur.label != NULL && !scan_expired (s, &s->cur, o))
    {
      scan_drop_unclosed (s, &s->outer, "before the next tag");
      s->outer = s->cur;
    }
  else
    scan_drop_unclosed (s, &s->cur, scan_expired (s, &s->cur, o) ? "within max-length bytes" : "before the next tag");
  s->cur = op;
}

static void
scan_on_close (Scan *s, gsize c)
{
  if (c < 2 || s->t[c - 1] != ' ' || s->t[c - 2] != ' ')
    return;  /* a plain ']' */
  if (scan_expired (s, &s->outer, c))
    scan_drop_unclosed (s, &s->outer, "within max-length bytes");
  if (s->cur.set)
    {
      if (s->cur.label != NULL)
        scan_close_known (s, &s->cur, c);
      else
        scan_close_unknown (s, &s->cur, c);
      s->cur.set = FALSE;
    }
  else if (s->outer.set)
    scan_close_outer (s, &s->outer, c);
  else
    scan_diagnose (s, CODE_UNMATCHED_CLOSE, c - 2,
                   "`  ]` at source byte %" G_GSIZE_FORMAT " closes no entity tag; left as text; "
                   "an opening `[LABEL ` is probably missing or malformed",
                   scan_source (s, c - 2));
}

static void
scan_run (Scan *s)
{
  const char *t = s->t, *end = t + s->n;
  const char *ob = memchr (t, '[', s->n), *cb = memchr (t, ']', s->n);

  while (ob != NULL || cb != NULL)
    {
      if (ob != NULL && (cb == NULL || ob < cb))
        {
          scan_on_open (s, ob - t);
          ob = memchr (ob + 1, '[', end - (ob + 1));
        }
      else
        {
          scan_on_close (s, cb - t);
          cb = memchr (cb + 1, ']', end - (cb + 1));
        }
    }
  scan_drop_unclosed (s, &s->cur, "before the end of the text");
  scan_drop_unclosed (s, &s->outer, "before the end of the text");
  scan_summarize (s);
}

/* Detokenizes in the same edit batch as the decoding, so the core copies the text and
 * moves the spans once: the detokenizer reads the decoded text built here by hand, and
 * each space it deletes is mapped back to its offset in the text before decoding. */
static void
scan_add_detokenized (Scan *s)
{
  const Range *cut = (const Range *) s->cuts.v;  /* pairs of offsets, laid out as Range */
  gsize n_cuts = s->cuts.len / 2, ci = 0;
  g_autofree char *buf = NULL;
  g_autofree gsize *seg_dec = NULL;  /* segment k starts at seg_dec[k] in buf */
  g_autofree gsize *seg_src = NULL;  /* ... and at seg_src[k] in the text */
  TagOffsets spaces = { 0 };
  gsize w = 0, pos = 0, seg = 0;

  if (n_cuts == 0)
    {
      /* no tags (raw text): nothing to build or map */
      tag_detokenize_scan (s->t, s->n, &spaces);
      for (gsize i = 0; i < spaces.len; i++)
        scan_delete (s, spaces.v[i], spaces.v[i] + 1);
      tag_offsets_clear (&spaces);
      return;
    }
  buf = g_malloc (s->n + 1);
  seg_dec = g_new (gsize, n_cuts + 1);
  seg_src = g_new (gsize, n_cuts + 1);

  for (gsize k = 0; k <= n_cuts; k++)
    {
      gsize upto = k < n_cuts ? cut[k].start : s->n;
      seg_dec[k] = w;
      seg_src[k] = pos;
      memcpy (buf + w, s->t + pos, upto - pos);
      w += upto - pos;
      if (k < n_cuts)
        pos = cut[k].end;
    }
  buf[w] = '\0';
  tag_detokenize_scan (buf, w, &spaces);

  /* merge the two sorted lists of deletions */
  for (gsize i = 0; i < spaces.len; i++)
    {
      gsize d = spaces.v[i], src;

      while (seg < n_cuts && seg_dec[seg + 1] <= d)
        seg++;
      src = seg_src[seg] + (d - seg_dec[seg]);
      for (; ci < n_cuts && cut[ci].start < src; ci++)
        scan_delete (s, cut[ci].start, cut[ci].end);
      scan_delete (s, src, src + 1);
    }
  for (; ci < n_cuts; ci++)
    scan_delete (s, cut[ci].start, cut[ci].end);
  tag_offsets_clear (&spaces);
}

gboolean
tag_decoder_process (const TagDecoder *dec, QuarryDocument *doc, GError **error)
{
  Scan s = { 0 };
  g_autoptr(QuarryEdits) edits = quarry_edits_new ();

  s.dec = dec;
  s.doc = doc;
  s.t = quarry_document_get_text (doc, &s.n);
  s.edits = edits;
  s.detokenize = dec->detokenize;
  scan_collect_breaks (&s);
  scan_run (&s);
  if (dec->detokenize)
    scan_add_detokenized (&s);
  scan_flush (&s);
  tag_offsets_clear (&s.cuts);
  tag_offsets_clear (&s.breaks);
  return quarry_document_apply_edits (doc, edits, error);
}
