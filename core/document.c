/* document.c: the document model: source, text, batched edits, source map, spans, fields, diagnostics. */
#include "config.h"

#include <string.h>

#include "document-private.h"

/* Past this many repairs of one kind in a document, only a count is reported. */
#define MAX_REPAIR_DIAGNOSTICS 20

typedef struct {
  gsize byte;
  gsize cp;
} CpMark;

/* One attribute of a span kept outside json-c: building a json-c object costs a
 * 16-bucket hash table, which a stage setting one or two attributes on each of
 * hundreds of spans pays per span. The object is made only if someone asks for it. */
typedef struct {
  const char  *key;    /* interned */
  json_object *value;  /* owned; NULL is JSON null (or moved into the object) */
  guint        next;   /* index + 1 of the span's next pair, 0 at the end */
} AttrPair;

struct _QuarryDocument {
  char        *id;
  const char  *media_type;  /* interned */
  char        *source;
  gsize        source_len;
  char        *text;
  gsize        text_len;
  GArray      *map;         /* QuarryMapPiece, sorted by t0, no empty pieces */
  GArray      *spans;       /* QuarrySpan */
  GArray      *span_stages; /* const char *, by span: the stage that added it (interned or static) */
  json_object *fields;
  json_object *entities;
  json_object *summary;
  GArray      *diagnostics; /* QuarryDiagnostic */
  const char  *stage;
  GArray      *cp_index;    /* CpMark every CP_STEP bytes, built lazily, dropped on edit */
  CpMark       cp_last[2];  /* recent char_offset answers (valid with cp_index) */
  guint        cp_next;     /* the slot of cp_last to replace next */
  const char  *interned[64];/* layer/label/code/key strings by hash: spares g_intern_string's global lock */
  const char  *interned_by_ptr[32]; /* the same strings by address: a caller passing them back is answered at once */
  /* attributes set one by one (quarry_document_span_set_attr), not yet a json-c object */
  AttrPair    *pairs;
  guint        n_pairs, cap_pairs;
  guint       *pair_head;   /* by span index: index + 1 of its first pair, 0 for none */
  guint        n_pair_head;
  /* entities added with quarry_document_add_entity, not yet a json-c array */
  QuarryEntityRecord *entity_recs;
  guint        n_entity_recs, cap_entity_recs;
  GStringChunk *strings;    /* their strings (nullable until the first) */
};

#define CP_STEP 1024

typedef struct {
  gsize start;
  gsize end;
  gsize text_off;  /* into QuarryEdits.buf */
  gsize text_len;
  guint seq;
} Edit;

/* Plain arrays grown inline: stages add an edit per tag or entity, so this is hot. */
struct _QuarryEdits {
  Edit  *v;
  guint  len, cap;
  char  *buf;       /* all replacement texts, back to back */
  gsize  buf_len, buf_cap;
  gsize *new_start; /* by seq: where each replacement lands, made by quarry_edits_get_new_range */
  guint  n_new;     /* the batch's length when new_start was made */
};

G_DEFINE_QUARK (quarry-document-error-quark, quarry_document_error)

const char *
quarry_version (void)
{
  return PACKAGE_VERSION;
}

const char *
quarry_diagnostic_level_to_string (QuarryDiagnosticLevel level)
{
  switch (level)
    {
    case QUARRY_DIAGNOSTIC_INFO: return "info";
    case QUARRY_DIAGNOSTIC_WARNING: return "warning";
    case QUARRY_DIAGNOSTIC_ERROR: return "error";
    default: return "unknown";
    }
}

static void
diagnostic_clear (gpointer data)
{
  QuarryDiagnostic *d = data;
  g_free (d->message);
}

static void
span_clear (gpointer data)
{
  QuarrySpan *s = data;
  if (s->attrs != NULL)
    json_object_put (s->attrs);
}

/* Length of the maximal invalid subpart at p (WHATWG "maximal subpart"),
 * or 0 if a valid non-NUL character starts there. */
static gsize
invalid_utf8_run (const guchar *p, gsize avail)
{
  guchar c = p[0];
  guint need;
  guchar lo = 0x80, hi = 0xBF;

  if (c == 0)
    return 1;
  if (c < 0x80)
    return 0;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF)
    {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    }
  else if (c >= 0xF0 && c <= 0xF4)
    {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
  else
    return 1;

  for (guint i = 1; i <= need; i++)
    {
      if (i >= avail || p[i] < lo || p[i] > hi)
        return i;
      lo = 0x80;
      hi = 0xBF;
    }
  return 0;
}

/* Whether n bytes are valid UTF-8 without NUL: what g_utf8_validate_len and a
 * memchr for NUL said, in one pass that skips ASCII eight bytes at a time (every
 * document's bytes go through it; GLib's validator goes a byte at a time). */
static gboolean
is_clean_utf8 (const guchar *p, gsize n)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 high = G_GUINT64_CONSTANT (0x8080808080808080);
  gsize i = 0;

  while (i < n)
    {
      for (; i + 8 <= n; i += 8)
        {
          guint64 x;
          memcpy (&x, p + i, 8);
          if ((x | ((x - ones) & ~x)) & high)  /* a byte >= 0x80, or a zero byte */
            break;
        }
      if (i >= n)
        break;
      if (p[i] != 0 && p[i] < 0x80)
        {
          i++;
          continue;
        }
      if (invalid_utf8_run (p + i, n - i) != 0)
        return FALSE;
      i += g_utf8_skip[p[i]];
    }
  return TRUE;
}

static gboolean apply_edits (QuarryDocument *doc, const QuarryEdits *edits, gboolean check_boundaries,
                             GError **error);

/* Replaces invalid UTF-8 and NUL bytes by U+FFFD through the edit API. */
static void
repair_text (QuarryDocument *doc)
{
  const guchar *p = (const guchar *) doc->text;
  gsize n = doc->text_len, i = 0;
  guint n_bad = 0, n_nul = 0;
  g_autoptr(QuarryEdits) edits = NULL;

  if (is_clean_utf8 (p, n))
    return;

  edits = quarry_edits_new ();
  while (i < n)
    {
      const char *end;
      gsize bad;

      /* skip the valid stretch quickly */
      if (g_utf8_validate_len ((const char *) p + i, n - i, &end))
        {
          const char *nul = memchr (p + i, 0, n - i);
          if (nul == NULL)
            break;
          end = nul;
        }
      else
        {
          const char *nul = memchr (p + i, 0, (const guchar *) end - (p + i));
          if (nul != NULL)
            end = nul;
        }
      i = (const guchar *) end - p;
      if (i >= n)
        break;
      bad = invalid_utf8_run (p + i, n - i);
      if (bad == 0)
        bad = 1;  /* cannot happen; keeps the loop moving */
      quarry_edits_replace (edits, i, i + bad, "\xEF\xBF\xBD", 3);
      if (p[i] == 0)
        {
          if (++n_nul <= MAX_REPAIR_DIAGNOSTICS)
            quarry_document_diagnose_source (doc, QUARRY_DIAGNOSTIC_WARNING, "nul-byte", i,
                                             "NUL byte at source byte %" G_GSIZE_FORMAT
                                             " replaced by U+FFFD; the input is probably binary or UTF-16",
                                             i);
        }
      else if (++n_bad <= MAX_REPAIR_DIAGNOSTICS)
        quarry_document_diagnose_source (doc, QUARRY_DIAGNOSTIC_WARNING, "invalid-utf8", i,
                                         "invalid UTF-8 (byte 0x%02X) at source byte %" G_GSIZE_FORMAT
                                         " replaced by U+FFFD; convert the input to UTF-8 (e.g. iconv) to keep the character",
                                         p[i], i);
      i += bad;
    }
  if (n_bad > MAX_REPAIR_DIAGNOSTICS)
    quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "invalid-utf8", QUARRY_NO_OFFSET,
                              "%u invalid UTF-8 sequences in all were replaced by U+FFFD (only the first %d are listed)",
                              n_bad, MAX_REPAIR_DIAGNOSTICS);
  if (n_nul > MAX_REPAIR_DIAGNOSTICS)
    quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "nul-byte", QUARRY_NO_OFFSET,
                              "%u NUL bytes in all were replaced by U+FFFD (only the first %d are listed)",
                              n_nul, MAX_REPAIR_DIAGNOSTICS);

  /* cannot fail: the edits are sorted, disjoint and valid UTF-8 */
  if (!apply_edits (doc, edits, FALSE, NULL))
    g_assert_not_reached ();
}

QuarryDocument *
quarry_document_new_take (const char *id, void *source, gsize length, const char *media_type)
{
  QuarryDocument *doc = g_new0 (QuarryDocument, 1);
  QuarryMapPiece whole = { 0, 0, 0, TRUE };

  doc->id = g_strdup (id != NULL ? id : "");
  doc->media_type = g_intern_string (media_type != NULL ? media_type : "text/plain");
  /* no bytes at all (an input that could not be read) is an empty source */
  doc->source = source != NULL ? source : g_malloc0 (1);
  doc->source_len = source != NULL ? length : 0;
  length = doc->source_len;
  whole.s1 = length;
  doc->text = g_malloc (length + 1);
  if (length > 0)
    memcpy (doc->text, source, length);
  doc->text[length] = '\0';
  doc->text_len = length;
  doc->map = g_array_new (FALSE, FALSE, sizeof (QuarryMapPiece));
  if (length > 0)
    g_array_append_val (doc->map, whole);
  doc->spans = g_array_new (FALSE, FALSE, sizeof (QuarrySpan));
  g_array_set_clear_func (doc->spans, span_clear);
  doc->span_stages = g_array_new (FALSE, FALSE, sizeof (const char *));
  doc->fields = json_object_new_object ();
  doc->diagnostics = g_array_new (FALSE, FALSE, sizeof (QuarryDiagnostic));
  g_array_set_clear_func (doc->diagnostics, diagnostic_clear);
  doc->stage = "input";

  repair_text (doc);
  return doc;
}

QuarryDocument *
quarry_document_new (const char *id, const void *source, gsize length, const char *media_type)
{
  char *copy = g_malloc (length + 1);

  if (length > 0)
    memcpy (copy, source, length);
  copy[length] = '\0';
  return quarry_document_new_take (id, copy, length, media_type);
}

void
quarry_document_free (QuarryDocument *doc)
{
  if (doc == NULL)
    return;
  g_free (doc->id);
  g_free (doc->source);
  g_free (doc->text);
  g_array_unref (doc->map);
  g_array_unref (doc->spans);
  g_array_unref (doc->span_stages);
  json_object_put (doc->fields);
  for (guint i = 0; i < doc->n_pairs; i++)
    if (doc->pairs[i].value != NULL)
      json_object_put (doc->pairs[i].value);
  g_free (doc->pairs);
  g_free (doc->pair_head);
  g_free (doc->entity_recs);
  if (doc->strings != NULL)
    g_string_chunk_free (doc->strings);
  if (doc->entities != NULL)
    json_object_put (doc->entities);
  if (doc->summary != NULL)
    json_object_put (doc->summary);
  g_array_unref (doc->diagnostics);
  if (doc->cp_index != NULL)
    g_array_unref (doc->cp_index);
  g_free (doc);
}

const char *
quarry_document_get_id (const QuarryDocument *doc)
{
  return doc->id;
}

const char *
quarry_document_get_media_type (const QuarryDocument *doc)
{
  return doc->media_type;
}

const char *
quarry_document_get_source (const QuarryDocument *doc, gsize *length)
{
  if (length != NULL)
    *length = doc->source_len;
  return doc->source;
}

const char *
quarry_document_get_text (const QuarryDocument *doc, gsize *length)
{
  if (length != NULL)
    *length = doc->text_len;
  return doc->text;
}

/* Code points in n bytes of valid UTF-8: the bytes that are not continuation
 * bytes (10xxxxxx), eight at a time. */
static gsize
count_cps (const char *p, gsize n)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  gsize cont = 0, i = 0;

  for (; i + 8 <= n; i += 8)
    {
      guint64 x;
      memcpy (&x, p + i, 8);
      /* bit 7 set and bit 6 clear marks a continuation byte */
      /* one 0/1 per byte; the multiply adds the eight bytes into the top one
       * (__builtin_popcountll is a libgcc call without -mpopcnt) */
      cont += (((x >> 7) & ~(x >> 6) & ones) * ones) >> 56;
    }
  for (; i < n; i++)
    cont += ((guchar) p[i] & 0xC0) == 0x80;
  return n - cont;
}

gsize
quarry_document_char_offset (QuarryDocument *doc, gsize byte_offset)
{
  const CpMark *m;
  gsize cp;

  byte_offset = MIN (byte_offset, doc->text_len);
  if (doc->cp_index == NULL)
    {
      CpMark mark = { 0, 0 };
      doc->cp_index = g_array_sized_new (FALSE, FALSE, sizeof (CpMark), doc->text_len / CP_STEP + 1);
      g_array_append_val (doc->cp_index, mark);
      for (gsize b = CP_STEP; b < doc->text_len; b += CP_STEP)
        {
          /* marks sit on character starts so counting from them is exact */
          gsize at = b;
          while (at < doc->text_len && ((guchar) doc->text[at] & 0xC0) == 0x80)
            at++;
          mark.cp += count_cps (doc->text + mark.byte, at - mark.byte);
          mark.byte = at;
          g_array_append_val (doc->cp_index, mark);
        }
      memset (doc->cp_last, 0, sizeof doc->cp_last);
    }
  m = &g_array_index (doc->cp_index, CpMark, MIN (byte_offset / CP_STEP, doc->cp_index->len - 1));
  if (m->byte > byte_offset)
    m--;
  /* callers mostly ask in increasing order, often two interleaved sequences (the
   * writer asks for each span's start, then its end): count on from the nearest
   * earlier answer, and replace that one with this */
  guint slot = doc->cp_next;
  for (guint k = 0; k < G_N_ELEMENTS (doc->cp_last); k++)
    if (doc->cp_last[k].byte <= byte_offset && doc->cp_last[k].byte > m->byte)
      m = &doc->cp_last[k], slot = k;
  cp = m->cp + count_cps (doc->text + m->byte, byte_offset - m->byte);
  if (slot == doc->cp_next)
    doc->cp_next = (doc->cp_next + 1) % G_N_ELEMENTS (doc->cp_last);
  doc->cp_last[slot].byte = byte_offset;
  doc->cp_last[slot].cp = cp;
  return cp;
}

/* ---- source map ---- */

static inline gsize
piece_t1 (const QuarryDocument *doc, guint i)
{
  return i + 1 < doc->map->len ? g_array_index (doc->map, QuarryMapPiece, i + 1).t0 : doc->text_len;
}

/* Index of the last piece with t0 <= p (the map is non-empty). */
static guint
find_piece (const GArray *map, gsize p)
{
  guint lo = 0, hi = map->len;

  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;
      if (g_array_index (map, QuarryMapPiece, mid).t0 <= p)
        lo = mid;
      else
        hi = mid;
    }
  return lo;
}

/* find_piece, starting from the piece a previous lookup ended on: apply_edits
 * walks the text forward, so the answer is usually that piece or the next. */
static guint
find_piece_hint (const GArray *map, guint *hint, gsize p)
{
  const QuarryMapPiece *pc = (const QuarryMapPiece *) map->data;
  guint i = *hint;

  if (i < map->len && pc[i].t0 <= p)
    {
      for (guint k = 0; k < 4; k++, i++)
        if (i + 1 >= map->len || pc[i + 1].t0 > p)
          return *hint = i;
    }
  return *hint = find_piece (map, p);
}

/* Source offset where text position p starts. */
static gsize
map_start_at (const QuarryDocument *doc, gsize p, guint *hint)
{
  const QuarryMapPiece *pc;
  guint i;

  if (doc->map->len == 0)
    return 0;
  if (p >= doc->text_len)
    return g_array_index (doc->map, QuarryMapPiece, doc->map->len - 1).s1;
  i = find_piece_hint (doc->map, hint, p);
  pc = &g_array_index (doc->map, QuarryMapPiece, i);
  return pc->copied ? pc->s0 + (p - pc->t0) : pc->s0;
}

/* Source offset where text ending at position p ends. */
static gsize
map_end_at (const QuarryDocument *doc, gsize p, guint *hint)
{
  const QuarryMapPiece *pc;
  guint i;

  if (doc->map->len == 0)
    return 0;
  if (p == 0)
    return g_array_index (doc->map, QuarryMapPiece, 0).s0;
  i = find_piece_hint (doc->map, hint, p - 1);
  pc = &g_array_index (doc->map, QuarryMapPiece, i);
  return pc->copied ? pc->s0 + (p - pc->t0) : pc->s1;
}

static gsize
map_start (const QuarryDocument *doc, gsize p)
{
  guint hint = G_MAXUINT;
  return map_start_at (doc, p, &hint);
}

static gsize
map_end (const QuarryDocument *doc, gsize p)
{
  guint hint = G_MAXUINT;
  return map_end_at (doc, p, &hint);
}

void
quarry_document_source_range (const QuarryDocument *doc, gsize start, gsize end,
                              gsize *source_start, gsize *source_end)
{
  gsize s, e;

  start = MIN (start, doc->text_len);
  end = CLAMP (end, start, doc->text_len);
  s = map_start (doc, start);
  e = start == end ? s : map_end (doc, end);
  if (e < s)
    e = s;
  if (source_start != NULL)
    *source_start = s;
  if (source_end != NULL)
    *source_end = e;
}

const QuarryMapPiece *
quarry_document_get_map (const QuarryDocument *doc, guint *n_pieces)
{
  *n_pieces = doc->map->len;
  return (const QuarryMapPiece *) doc->map->data;
}

/* ---- edits ---- */

QuarryEdits *
quarry_edits_new (void)
{
  return g_new0 (QuarryEdits, 1);
}

void
quarry_edits_free (QuarryEdits *edits)
{
  if (edits == NULL)
    return;
  g_free (edits->v);
  g_free (edits->buf);
  g_free (edits->new_start);
  g_free (edits);
}

void
quarry_edits_replace (QuarryEdits *edits, gsize start, gsize end, const char *text, gssize length)
{
  Edit e;

  g_return_if_fail (edits != NULL);
  if (text == NULL)
    length = 0;
  else if (length < 0)
    length = strlen (text);
  if (G_UNLIKELY (edits->len == edits->cap))
    {
      edits->cap = MAX (64, edits->cap * 2);
      edits->v = g_renew (Edit, edits->v, edits->cap);
    }
  if (length > 0 && G_UNLIKELY (edits->buf_len + length > edits->buf_cap))
    {
      edits->buf_cap = MAX (edits->buf_len + length, MAX ((gsize) 1024, edits->buf_cap * 2));
      edits->buf = g_realloc (edits->buf, edits->buf_cap);
    }
  e.start = start;
  e.end = end;
  e.text_off = edits->buf_len;
  e.text_len = length;
  e.seq = edits->len;
  if (length > 0)
    {
      memcpy (edits->buf + edits->buf_len, text, length);
      edits->buf_len += length;
    }
  edits->v[edits->len++] = e;
}

guint
quarry_edits_count (const QuarryEdits *edits)
{
  return edits->len;
}

static int
edit_cmp (gconstpointer a, gconstpointer b)
{
  const Edit *x = a, *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

gboolean
quarry_edits_get_new_range (QuarryEdits *edits, guint index, gsize *start, gsize *end)
{
  g_return_val_if_fail (edits != NULL, FALSE);
  if (index >= edits->len)
    return FALSE;
  if (edits->new_start == NULL || edits->n_new != edits->len)
    {
      /* in the order apply_edits applies them; each lands where it starts plus
       * the growth of the text from the edits before it */
      g_autofree Edit *e = g_memdup2 (edits->v, edits->len * sizeof (Edit));
      gssize growth = 0;

      qsort (e, edits->len, sizeof (Edit), edit_cmp);
      g_free (edits->new_start);
      edits->new_start = g_new (gsize, edits->len);
      for (guint i = 0; i < edits->len; i++)
        {
          edits->new_start[e[i].seq] = e[i].start + growth;
          growth += (gssize) e[i].text_len - (gssize) (e[i].end - e[i].start);
        }
      edits->n_new = edits->len;
    }
  if (start != NULL)
    *start = edits->new_start[index];
  if (end != NULL)
    *end = edits->new_start[index] + edits->v[index].text_len;
  return TRUE;
}

static inline gboolean
is_char_boundary (const char *text, gsize len, gsize p)
{
  return p == len || ((guchar) text[p] & 0xC0) != 0x80;
}

/* Checks the batch and sorts it into `out` (a copy when edits were not in order). */
static gboolean
check_edits (const QuarryDocument *doc, const QuarryEdits *edits, gboolean check_boundaries,
             const Edit **out, Edit **copy, GError **error)
{
  const Edit *e = edits->v;
  guint n = edits->len;
  gboolean sorted = TRUE;

  for (guint i = 1; i < n && sorted; i++)
    if (edit_cmp (&e[i - 1], &e[i]) > 0)
      sorted = FALSE;
  if (!sorted)
    {
      *copy = g_memdup2 (e, sizeof (Edit) * n);
      qsort (*copy, n, sizeof (Edit), edit_cmp);
      e = *copy;
    }
  *out = e;

  for (guint i = 0; i < n; i++)
    {
      if (e[i].start > e[i].end || e[i].end > doc->text_len)
        {
          g_set_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_EDIT,
                       "edit [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") is outside the text (%" G_GSIZE_FORMAT " bytes)",
                       e[i].start, e[i].end, doc->text_len);
          return FALSE;
        }
      if (i > 0 && e[i].start < e[i - 1].end)
        {
          g_set_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_EDIT,
                       "edits [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") and [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") overlap",
                       e[i - 1].start, e[i - 1].end, e[i].start, e[i].end);
          return FALSE;
        }
      if (check_boundaries &&
          (!is_char_boundary (doc->text, doc->text_len, e[i].start) ||
           !is_char_boundary (doc->text, doc->text_len, e[i].end)))
        {
          g_set_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_EDIT,
                       "edit [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") splits a UTF-8 character",
                       e[i].start, e[i].end);
          return FALSE;
        }
      if (e[i].text_len > 0)
        {
          const char *t = edits->buf + e[i].text_off;
          if (!g_utf8_validate_len (t, e[i].text_len, NULL) || memchr (t, 0, e[i].text_len) != NULL)
            {
              g_set_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_EDIT,
                           "replacement for [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") is not valid UTF-8 text",
                           e[i].start, e[i].end);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static void
map_push (GArray *map, gsize t0, gsize s0, gsize s1, gboolean copied)
{
  QuarryMapPiece *pc = (QuarryMapPiece *) map->data;

  if (map->len > 0)
    {
      QuarryMapPiece *last = &pc[map->len - 1];
      /* merge byte-for-byte pieces that continue each other */
      if (copied && last->copied && last->s1 == s0 && last->t0 + (last->s1 - last->s0) == t0)
        {
          last->s1 = s1;
          return;
        }
    }
  /* apply_edits reserves room for every piece it can make (old pieces + 2 per edit + 1),
   * so this writes in place instead of calling into g_array_append_vals per piece */
  pc[map->len].t0 = t0;
  pc[map->len].s0 = s0;
  pc[map->len].s1 = s1;
  pc[map->len].copied = copied;
  map->len++;
}

/* Appends to `out` the pieces of the old map that cover old text [a, b), shifted by delta. */
static void
map_copy_range (const QuarryDocument *doc, GArray *out, gsize a, gsize b, gssize delta, guint *hint)
{
  guint i;

  if (a >= b)
    return;
  for (i = find_piece_hint (doc->map, hint, a); i < doc->map->len; i++)
    {
      const QuarryMapPiece *pc = &g_array_index (doc->map, QuarryMapPiece, i);
      gsize t1 = piece_t1 (doc, i);
      gsize lo = MAX (a, pc->t0), hi = MIN (b, t1);

      if (pc->t0 >= b)
        break;
      if (lo >= hi)
        continue;
      if (pc->copied)
        map_push (out, lo + delta, pc->s0 + (lo - pc->t0), pc->s0 + (hi - pc->t0), TRUE);
      else
        map_push (out, lo + delta, pc->s0, pc->s1, FALSE);
    }
}

/* check_boundaries is FALSE only while repairing text that is not yet valid UTF-8 */
static gboolean
apply_edits (QuarryDocument *doc, const QuarryEdits *edits, gboolean check_boundaries, GError **error)
{
  const Edit *e;
  g_autofree Edit *sorted_copy = NULL;
  g_autofree gssize *cum = NULL;
  guint n;
  gsize new_len, pos, w;
  char *text;
  GArray *map;
  guint hint = 0;  /* map piece of the last lookup: the pass moves forward */

  g_return_val_if_fail (doc != NULL && edits != NULL, FALSE);
  n = edits->len;
  if (n == 0)
    return TRUE;
  if (!check_edits (doc, edits, check_boundaries, &e, &sorted_copy, error))
    return FALSE;

  /* cum[i]: growth of the text from edits[0..i) */
  cum = g_new (gssize, n + 1);
  cum[0] = 0;
  for (guint i = 0; i < n; i++)
    cum[i + 1] = cum[i] + (gssize) e[i].text_len - (gssize) (e[i].end - e[i].start);
  new_len = doc->text_len + cum[n];

  /* new text and map in one pass */
  text = g_malloc (new_len + 1);
  /* each edit splits at most one piece and adds one: the new map never outgrows this */
  map = g_array_sized_new (FALSE, FALSE, sizeof (QuarryMapPiece), doc->map->len + 2 * n + 1);
  pos = 0;
  w = 0;
  for (guint i = 0; i < n; i++)
    {
      gsize gap = e[i].start - pos;
      memcpy (text + w, doc->text + pos, gap);
      map_copy_range (doc, map, pos, e[i].start, cum[i], &hint);
      w += gap;
      if (e[i].text_len > 0)
        {
          gsize s0, s1;
          memcpy (text + w, edits->buf + e[i].text_off, e[i].text_len);
          s0 = map_start_at (doc, e[i].start, &hint);
          s1 = e[i].start == e[i].end ? s0 : MAX (s0, map_end_at (doc, e[i].end, &hint));
          map_push (map, w, s0, s1, FALSE);
          w += e[i].text_len;
        }
      pos = e[i].end;
    }
  memcpy (text + w, doc->text + pos, doc->text_len - pos);
  map_copy_range (doc, map, pos, doc->text_len, cum[n], &hint);
  w += doc->text_len - pos;
  g_assert (w == new_len);
  text[new_len] = '\0';

  /* move spans */
  for (guint s = 0; s < doc->spans->len; s++)
    {
      QuarrySpan *sp = &g_array_index (doc->spans, QuarrySpan, s);
      guint lo, hi;
      gsize ns, ne;

      /* start: k = number of edits with end <= start; inserted text at start stays outside */
      lo = 0; hi = n;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (e[mid].end <= sp->start) lo = mid + 1; else hi = mid;
        }
      ns = (lo < n && e[lo].start < sp->start ? e[lo].start : sp->start) + cum[lo];

      /* end: j = number of edits with start < end; a boundary inside a replacement snaps to its end */
      lo = 0; hi = n;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (e[mid].start < sp->end) lo = mid + 1; else hi = mid;
        }
      ne = (lo > 0 && e[lo - 1].end > sp->end ? e[lo - 1].end : sp->end) + cum[lo];

      sp->start = ns;
      sp->end = MAX (ne, ns);
    }

  if (doc->cp_index != NULL)
    {
      g_array_unref (doc->cp_index);
      doc->cp_index = NULL;
    }
  g_free (doc->text);
  doc->text = text;
  doc->text_len = new_len;
  g_array_unref (doc->map);
  doc->map = map;
  return TRUE;
}

gboolean
quarry_document_apply_edits (QuarryDocument *doc, const QuarryEdits *edits, GError **error)
{
  return apply_edits (doc, edits, TRUE, error);
}

/* ---- spans ---- */

/* g_intern_string takes a global lock; stages add many spans and attributes with the
 * same few layers, labels and keys, so a small per-document cache (direct-mapped by a
 * hash of the text, checked by content since a caller may reuse its buffer) answers
 * most calls. A pipeline uses a few dozen such strings, which a ring of recent ones
 * kept missing. */
static const char *
doc_intern (QuarryDocument *doc, const char *s)
{
  const char *r;
  guint h = 5381;
  /* the top bits of a multiplicative hash of the address: neighbouring literals differ */
  guint ph = (guint) (((guint64) (guintptr) s * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> 59);

  /* an interned string given back (a stage that interned its layer and labels once):
   * no hash, no compare. Safe by address alone: interned strings are never freed or
   * changed, so no other buffer can sit at that address. */
  if (doc->interned_by_ptr[ph] == s)
    return s;
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    h = h * 33 + *p;
  h = (h ^ (h >> 6)) % G_N_ELEMENTS (doc->interned);
  r = doc->interned[h];
  if (r == NULL || (r != s && strcmp (r, s) != 0))
    {
      r = g_intern_string (s);
      doc->interned[h] = r;
    }
  if (r == s)
    doc->interned_by_ptr[ph] = r;
  return r;
}

gint
quarry_document_add_span (QuarryDocument *doc, const char *layer, const char *label,
                          gsize start, gsize end, json_object *attrs, GError **error)
{
  QuarrySpan sp;

  g_return_val_if_fail (doc != NULL && layer != NULL, -1);
  if (start > end || end > doc->text_len ||
      !is_char_boundary (doc->text, doc->text_len, start) ||
      !is_char_boundary (doc->text, doc->text_len, end))
    {
      g_set_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_SPAN,
                   "span %s [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") is outside the text (%" G_GSIZE_FORMAT
                   " bytes) or splits a UTF-8 character", layer, start, end, doc->text_len);
      if (attrs != NULL)
        json_object_put (attrs);
      return -1;
    }
  if (doc->spans->len >= G_MAXINT)
    {
      g_set_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_SPAN, "too many spans");
      if (attrs != NULL)
        json_object_put (attrs);
      return -1;
    }
  sp.layer = doc_intern (doc, layer);
  sp.label = label != NULL ? doc_intern (doc, label) : NULL;
  sp.start = start;
  sp.end = end;
  sp.attrs = attrs;
  g_array_append_val (doc->spans, sp);
  g_array_append_val (doc->span_stages, doc->stage);
  return (gint) doc->spans->len - 1;
}

const char *
quarry_document_get_span_stage (const QuarryDocument *doc, guint index)
{
  g_return_val_if_fail (index < doc->spans->len, NULL);
  return g_array_index (doc->span_stages, const char *, index);
}

guint
quarry_document_get_n_spans (const QuarryDocument *doc)
{
  return doc->spans->len;
}

/* The span's pairs become its attrs object; the pairs' values move into it. */
static void
span_materialize (QuarryDocument *doc, guint index)
{
  QuarrySpan *sp = &g_array_index (doc->spans, QuarrySpan, index);
  guint k;

  if (index >= doc->n_pair_head || doc->pair_head[index] == 0)
    return;
  g_assert (sp->attrs == NULL);
  sp->attrs = json_object_new_object ();
  for (k = doc->pair_head[index]; k != 0; k = doc->pairs[k - 1].next)
    {
      AttrPair *p = &doc->pairs[k - 1];
      /* keys are interned (they live as long as the process) and distinct in a chain */
      json_object_object_add_ex (sp->attrs, p->key, p->value,
                                 JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY);
      p->value = NULL;
    }
  doc->pair_head[index] = 0;
}

const QuarrySpan *
quarry_document_get_span (const QuarryDocument *doc, guint index)
{
  g_return_val_if_fail (index < doc->spans->len, NULL);
  /* the attrs member must show every attribute: a reader gets the object built */
  span_materialize ((QuarryDocument *) doc, index);
  return &g_array_index (doc->spans, QuarrySpan, index);
}

const QuarrySpan *
quarry_document_peek_span (const QuarryDocument *doc, guint index)
{
  g_return_val_if_fail (index < doc->spans->len, NULL);
  return &g_array_index (doc->spans, QuarrySpan, index);
}

json_object *
quarry_document_span_attrs (QuarryDocument *doc, guint index)
{
  QuarrySpan *sp;

  g_return_val_if_fail (index < doc->spans->len, NULL);
  span_materialize (doc, index);
  sp = &g_array_index (doc->spans, QuarrySpan, index);
  if (sp->attrs == NULL)
    sp->attrs = json_object_new_object ();
  return sp->attrs;
}

void
quarry_document_span_set_attr (QuarryDocument *doc, guint index, const char *key, json_object *value)
{
  QuarrySpan *sp;
  guint k, last = 0;

  g_return_if_fail (doc != NULL && key != NULL);
  if (index >= doc->spans->len)
    {
      g_critical ("quarry_document_span_set_attr: no span %u (the document has %u)", index, doc->spans->len);
      if (value != NULL)
        json_object_put (value);
      return;
    }
  sp = &g_array_index (doc->spans, QuarrySpan, index);
  if (sp->attrs != NULL)
    {
      json_object_object_add (sp->attrs, key, value);
      return;
    }
  key = doc_intern (doc, key);
  if (index >= doc->n_pair_head)
    {
      guint n = MAX (doc->spans->len, 2 * doc->n_pair_head);
      doc->pair_head = g_renew (guint, doc->pair_head, n);
      memset (doc->pair_head + doc->n_pair_head, 0, (n - doc->n_pair_head) * sizeof (guint));
      doc->n_pair_head = n;
    }
  for (k = doc->pair_head[index]; k != 0; last = k, k = doc->pairs[k - 1].next)
    if (doc->pairs[k - 1].key == key)
      {
        /* replaced in place: the key keeps its position, as json-c does */
        if (doc->pairs[k - 1].value != NULL)
          json_object_put (doc->pairs[k - 1].value);
        doc->pairs[k - 1].value = value;
        return;
      }
  if (doc->n_pairs == G_MAXUINT - 1)
    g_error ("quarry_document_span_set_attr: too many attributes");
  if (doc->n_pairs == doc->cap_pairs)
    {
      doc->cap_pairs = MAX (64, 2 * doc->cap_pairs);
      doc->pairs = g_renew (AttrPair, doc->pairs, doc->cap_pairs);
    }
  doc->pairs[doc->n_pairs++] = (AttrPair) { key, value, 0 };
  if (last == 0)
    doc->pair_head[index] = doc->n_pairs;
  else
    doc->pairs[last - 1].next = doc->n_pairs;
}

gboolean
quarry_document_span_get_attr (const QuarryDocument *doc, guint index, const char *key, json_object **value)
{
  const QuarrySpan *sp;

  if (value != NULL)
    *value = NULL;
  g_return_val_if_fail (doc != NULL && key != NULL && index < doc->spans->len, FALSE);
  sp = &g_array_index (doc->spans, QuarrySpan, index);
  if (sp->attrs != NULL)
    return json_object_object_get_ex (sp->attrs, key, value);
  for (guint k = index < doc->n_pair_head ? doc->pair_head[index] : 0; k != 0; k = doc->pairs[k - 1].next)
    if (doc->pairs[k - 1].key == key || strcmp (doc->pairs[k - 1].key, key) == 0)
      {
        if (value != NULL)
          *value = doc->pairs[k - 1].value;
        return TRUE;
      }
  return FALSE;
}

const char *
quarry_document_span_next_attr (const QuarryDocument *doc, guint index, guint *cursor, json_object **value)
{
  guint k = *cursor == 0 ? (index < doc->n_pair_head ? doc->pair_head[index] : 0)
                         : doc->pairs[*cursor - 1].next;

  if (k == 0)
    return NULL;
  *cursor = k;
  *value = doc->pairs[k - 1].value;
  return doc->pairs[k - 1].key;
}

/* ---- fields and results ---- */

json_object *
quarry_document_get_fields (QuarryDocument *doc, const char *ns)
{
  json_object *obj;

  if (ns == NULL)
    return doc->fields;
  if (json_object_object_get_ex (doc->fields, ns, &obj) && json_object_is_type (obj, json_type_object))
    return obj;
  obj = json_object_new_object ();
  json_object_object_add (doc->fields, ns, obj);
  return obj;
}

json_object *
quarry_document_lookup_field (const QuarryDocument *doc, const char *ns, const char *key)
{
  json_object *obj, *val;

  if (!json_object_object_get_ex (doc->fields, ns, &obj) || !json_object_is_type (obj, json_type_object))
    return NULL;
  if (!json_object_object_get_ex (obj, key, &val))
    return NULL;
  return val;
}

static json_object *
entity_json (const QuarryEntityRecord *r)
{
  const guint flags = JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY;
  json_object *e = json_object_new_object ();

  json_object_object_add_ex (e, "id", json_object_new_string (r->id), flags);
  json_object_object_add_ex (e, "name", json_object_new_string (r->name), flags);
  json_object_object_add_ex (e, "label", r->label != NULL ? json_object_new_string (r->label) : NULL, flags);
  json_object_object_add_ex (e, "kb_id", r->kb_id != NULL ? json_object_new_string (r->kb_id) : NULL, flags);
  json_object_object_add_ex (e, "mentions", json_object_new_int64 (r->mentions), flags);
  return e;
}

static void
entities_clear_records (QuarryDocument *doc)
{
  doc->n_entity_recs = 0;
  if (doc->strings != NULL)
    g_string_chunk_clear (doc->strings);
}

void
quarry_document_set_entities (QuarryDocument *doc, json_object *entities)
{
  entities_clear_records (doc);
  if (doc->entities != NULL)
    json_object_put (doc->entities);
  doc->entities = entities;
}

json_object *
quarry_document_get_entities (const QuarryDocument *doc)
{
  QuarryDocument *d = (QuarryDocument *) doc;

  /* records added one by one become the array the caller may change */
  if (d->n_entity_recs > 0)
    {
      json_object *list = json_object_new_array_ext (d->n_entity_recs);
      for (guint i = 0; i < d->n_entity_recs; i++)
        json_object_array_add (list, entity_json (&d->entity_recs[i]));
      entities_clear_records (d);
      d->entities = list;
    }
  return d->entities;
}

static const char *
doc_strdup (QuarryDocument *doc, const char *s)
{
  if (s == NULL)
    return NULL;
  if (doc->strings == NULL)
    doc->strings = g_string_chunk_new (1024);
  return g_string_chunk_insert (doc->strings, s);
}

void
quarry_document_add_entity (QuarryDocument *doc, const char *id, const char *name,
                            const char *label, const char *kb_id, guint64 mentions)
{
  QuarryEntityRecord r;

  g_return_if_fail (doc != NULL && id != NULL && name != NULL);
  if (doc->entities != NULL)
    {
      r = (QuarryEntityRecord) { id, name, label, kb_id, mentions };
      if (json_object_is_type (doc->entities, json_type_array))
        json_object_array_add (doc->entities, entity_json (&r));
      else
        g_critical ("quarry_document_add_entity: the document's entities are not a JSON array");
      return;
    }
  if (doc->n_entity_recs == doc->cap_entity_recs)
    {
      doc->cap_entity_recs = MAX (16, 2 * doc->cap_entity_recs);
      doc->entity_recs = g_renew (QuarryEntityRecord, doc->entity_recs, doc->cap_entity_recs);
    }
  doc->entity_recs[doc->n_entity_recs++] = (QuarryEntityRecord) {
    doc_strdup (doc, id), doc_strdup (doc, name), doc_strdup (doc, label), doc_strdup (doc, kb_id), mentions
  };
}

const QuarryEntityRecord *
quarry_document_get_entity_records (const QuarryDocument *doc, guint *n)
{
  *n = doc->n_entity_recs;
  return doc->entity_recs;
}

void
quarry_document_set_summary (QuarryDocument *doc, json_object *summary)
{
  if (doc->summary != NULL)
    json_object_put (doc->summary);
  doc->summary = summary;
}

json_object *
quarry_document_get_summary (const QuarryDocument *doc)
{
  return doc->summary;
}

/* ---- diagnostics ---- */

static void
add_diagnostic (QuarryDocument *doc, QuarryDiagnosticLevel level, const char *code,
                gssize source_offset, char *message)
{
  QuarryDiagnostic d;

  d.level = level;
  d.stage = doc->stage;
  d.code = doc_intern (doc, code != NULL ? code : "unspecified");
  d.message = message;
  d.source_offset = source_offset;
  g_array_append_val (doc->diagnostics, d);
}

/* A diagnostic's message: formatted on the stack first (vasprintf starts at 100
 * bytes and grows, a realloc or two for a typical message), copied once. */
static char *
format_message (const char *format, va_list ap)
{
  char buf[512];
  va_list again;
  int n;

  va_copy (again, ap);
  n = g_vsnprintf (buf, sizeof buf, format, ap);
  if (n >= 0 && (gsize) n < sizeof buf)
    {
      va_end (again);
      return g_strndup (buf, n);
    }
  {
    char *msg = g_strdup_vprintf (format, again);
    va_end (again);
    return msg;
  }
}

void
quarry_document_diagnose (QuarryDocument *doc, QuarryDiagnosticLevel level, const char *code,
                          gssize offset, const char *format, ...)
{
  va_list ap;
  char *msg;
  gssize src = -1;

  va_start (ap, format);
  msg = format_message (format, ap);
  va_end (ap);
  if (offset >= 0)
    src = (gssize) map_start (doc, MIN ((gsize) offset, doc->text_len));
  add_diagnostic (doc, level, code, src, msg);
}

void
quarry_document_diagnose_source (QuarryDocument *doc, QuarryDiagnosticLevel level, const char *code,
                                 gssize source_offset, const char *format, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, format);
  msg = format_message (format, ap);
  va_end (ap);
  if (source_offset > (gssize) doc->source_len)
    source_offset = doc->source_len;
  add_diagnostic (doc, level, code, source_offset < 0 ? -1 : source_offset, msg);
}

guint
quarry_document_count_diagnostics (const QuarryDocument *doc, QuarryDiagnosticLevel min_level)
{
  guint n = 0;

  for (guint i = 0; i < doc->diagnostics->len; i++)
    if (g_array_index (doc->diagnostics, QuarryDiagnostic, i).level >= min_level)
      n++;
  return n;
}

guint
quarry_document_get_n_diagnostics (const QuarryDocument *doc)
{
  return doc->diagnostics->len;
}

const QuarryDiagnostic *
quarry_document_get_diagnostic (const QuarryDocument *doc, guint index)
{
  g_return_val_if_fail (index < doc->diagnostics->len, NULL);
  return &g_array_index (doc->diagnostics, QuarryDiagnostic, index);
}

void
quarry_document_set_stage (QuarryDocument *doc, const char *stage)
{
  doc->stage = stage;
}

const char *
quarry_document_get_stage (const QuarryDocument *doc)
{
  return doc->stage;
}
