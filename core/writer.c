/* writer.c: serializes documents to JSON Lines records with a fixed key order and code-point offsets. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "document-private.h"
#include "writer.h"

/* Bytes that need escaping in a JSON string: controls, '"' and '\\'. */
static const guint8 needs_escape[256] = {
  1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
  0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,
  0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};

/* Room for n more bytes (and the NUL) without changing the length. */
static inline void
reserve (GString *out, gsize n)
{
  if (G_UNLIKELY (out->len + n >= out->allocated_len))
    {
      gsize len = out->len;
      g_string_set_size (out, len + n);  /* grows the buffer */
      out->len = len;
    }
}

/* Appends n bytes: GString's own append is a call with checks per literal, which
 * was a fifth of writing a record with hundreds of spans. */
static inline void
put (GString *out, const char *s, gsize n)
{
  reserve (out, n);
  memcpy (out->str + out->len, s, n);
  out->len += n;
  out->str[out->len] = '\0';
}

#define PUT(out, literal) put ((out), "" literal, sizeof (literal) - 1)

/* The length of the valid UTF-8 sequence at p (a lead byte >= 0x80), or 0. */
static inline gsize
utf8_sequence (const guchar *p, const guchar *end)
{
  guchar c = p[0], lo = 0x80, hi = 0xBF;
  gsize n;

  if (c < 0xC2)
    return 0;
  else if (c < 0xE0)
    n = 2;
  else if (c < 0xF0)
    {
      n = 3;
      if (c == 0xE0)
        lo = 0xA0;  /* no overlong forms */
      else if (c == 0xED)
        hi = 0x9F;  /* no surrogates */
    }
  else if (c < 0xF5)
    {
      n = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;  /* nothing above U+10FFFF */
    }
  else
    return 0;
  if ((gsize) (end - p) < n || p[1] < lo || p[1] > hi)
    return 0;
  for (gsize i = 2; i < n; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  return n;
}

/* Appends s as a JSON string; every byte that is not part of valid UTF-8 is
 * written as U+FFFD, so a record is valid whatever a stage left in a string (a
 * field cut mid-character, bytes from a file name). Returns how many there were. */
static guint
append_string (GString *out, const char *s, gsize len)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) s, *end = p + len;
  guint bad = 0;

  /* Written straight into the string's buffer, a chunk at a time: a chunk of n
   * input bytes needs at most 6n output bytes (\u00XX; a character that starts in
   * the chunk and ends after it takes no more than its bytes). This loop is the
   * writer's hot path (every document's whole text goes through it). */
  reserve (out, 1);
  out->str[out->len++] = '"';
  while (p < end)
    {
      gsize n = MIN ((gsize) (end - p), 4096);
      char *w;

      reserve (out, 6 * n + 1);
      w = out->str + out->len;
      for (const guchar *stop = p + n; p < stop;)
        {
          /* eight bytes at a time while none needs escaping or checking (no byte
           * < 0x20 or >= 0x80, '"' or '\\'): most text; the byte loop alone ran at
           * about a byte a cycle */
          if (stop - p >= 8)
            {
              const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
              const guint64 high = G_GUINT64_CONSTANT (0x8080808080808080);
              guint64 x, q, b;
              memcpy (&x, p, 8);
              q = x ^ (ones * '"');
              b = x ^ (ones * '\\');
              if (!((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high))
                {
                  memcpy (w, p, 8);
                  w += 8;
                  p += 8;
                  continue;
                }
            }
          /* a block with something to escape or check (or the tail): byte by byte */
          for (const guchar *bstop = p + MIN ((gsize) (stop - p), 8); p < bstop;)
            {
              guchar c = *p;
              if (c >= 0x80)
                {
                  gsize k = utf8_sequence (p, end);
                  if (G_LIKELY (k > 0))
                    {
                      memcpy (w, p, k);
                      w += k;
                      p += k;
                    }
                  else
                    {
                      memcpy (w, "\xEF\xBF\xBD", 3);
                      w += 3;
                      p++;
                      bad++;
                    }
                  continue;
                }
              p++;
              if (G_LIKELY (!needs_escape[c]))
                {
                  *w++ = c;
                  continue;
                }
              *w++ = '\\';
              switch (c)
                {
                case '"': *w++ = '"'; break;
                case '\\': *w++ = '\\'; break;
                case '\n': *w++ = 'n'; break;
                case '\r': *w++ = 'r'; break;
                case '\t': *w++ = 't'; break;
                case '\b': *w++ = 'b'; break;
                case '\f': *w++ = 'f'; break;
                default:
                  *w++ = 'u'; *w++ = '0'; *w++ = '0';
                  *w++ = hex[c >> 4]; *w++ = hex[c & 15];
                  break;
                }
            }
        }
      out->len = w - out->str;
    }
  reserve (out, 1);
  out->str[out->len++] = '"';
  out->str[out->len] = '\0';
  return bad;
}

void
quarry_writer_append_json_string (GString *out, const char *s, gsize len)
{
  append_string (out, s, len);
}

static void append_uint (GString *out, guint64 v);

/* Serializes a JSON value ourselves rather than with json_object_to_json_string:
 * json-c keeps the text inside the object, so two threads writing records that
 * share an object (a plugin's constant attrs, say) would race on it. */
static void
append_json (GString *out, json_object *obj, guint *bad)
{
  switch (json_object_get_type (obj))
    {
    case json_type_null:
      g_string_append (out, "null");
      break;
    case json_type_boolean:
      g_string_append (out, json_object_get_boolean (obj) ? "true" : "false");
      break;
    case json_type_int:
      if (json_object_get_int64 (obj) < 0)
        g_string_append_printf (out, "%" G_GINT64_FORMAT, json_object_get_int64 (obj));
      else
        append_uint (out, json_object_get_uint64 (obj));
      break;
    case json_type_double:
      {
        double d = json_object_get_double (obj);
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        if (!isfinite (d))
          {
            g_string_append (out, "null");  /* JSON has no NaN or infinity */
            break;
          }
        /* the shortest of %.15g..%.17g that reads back exactly */
        for (int prec = 15; prec <= 17; prec++)
          {
            g_ascii_formatd (buf, sizeof buf, prec == 15 ? "%.15g" : prec == 16 ? "%.16g" : "%.17g", d);
            if (g_ascii_strtod (buf, NULL) == d)
              break;
          }
        g_string_append (out, buf);
        if (strpbrk (buf, ".eE") == NULL)
          g_string_append (out, ".0");  /* stays a double when read back */
        break;
      }
    case json_type_string:
      *bad += append_string (out, json_object_get_string (obj), json_object_get_string_len (obj));
      break;
    case json_type_array:
      {
        gsize n = json_object_array_length (obj);
        g_string_append_c (out, '[');
        for (gsize i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            append_json (out, json_object_array_get_idx (obj, i), bad);
          }
        g_string_append_c (out, ']');
        break;
      }
    case json_type_object:
      {
        gboolean first = TRUE;
        g_string_append_c (out, '{');
        json_object_object_foreach (obj, key, val)
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            *bad += append_string (out, key, strlen (key));
            g_string_append_c (out, ':');
            append_json (out, val, bad);
          }
        g_string_append_c (out, '}');
        break;
      }
    }
}

static void
append_uint (GString *out, guint64 v)
{
  char buf[24];
  int i = sizeof buf;

  do
    buf[--i] = '0' + v % 10;
  while ((v /= 10) != 0);
  put (out, buf + i, sizeof buf - i);
}

typedef struct {
  const QuarrySpan *span;
  guint             index;
} SpanRef;

static int
span_ref_cmp (const void *a, const void *b)
{
  const SpanRef *x = a, *y = b;
  int c;

  if (x->span->start != y->span->start)
    return x->span->start < y->span->start ? -1 : 1;
  if (x->span->end != y->span->end)
    return x->span->end > y->span->end ? -1 : 1;  /* outer spans first */
  if (x->span->layer != y->span->layer && (c = strcmp (x->span->layer, y->span->layer)) != 0)
    return c;
  if (x->span->label != y->span->label)
    {
      if (x->span->label == NULL)
        return -1;
      if (y->span->label == NULL)
        return 1;
      if ((c = strcmp (x->span->label, y->span->label)) != 0)
        return c;
    }
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Attributes set with quarry_document_span_set_attr, written as the object they stand for. */
static void
append_attr_pairs (GString *out, const QuarryDocument *doc, guint index, guint *bad)
{
  guint cursor = 0;
  json_object *value;
  const char *key;

  for (gboolean first = TRUE; (key = quarry_document_span_next_attr (doc, index, &cursor, &value)); first = FALSE)
    {
      if (first)
        PUT (out, ",\"attrs\":{");
      else
        put (out, ",", 1);
      *bad += append_string (out, key, strlen (key));
      put (out, ":", 1);
      append_json (out, value, bad);
    }
  if (cursor != 0)
    put (out, "}", 1);
}

static void
append_string_or_null (GString *out, const char *s, guint *bad)
{
  if (s != NULL)
    *bad += append_string (out, s, strlen (s));
  else
    g_string_append (out, "null");
}

/* Entities added with quarry_document_add_entity, in the contract's key order. */
static void
append_entity_records (GString *out, const QuarryDocument *doc, guint *bad)
{
  guint n;
  const QuarryEntityRecord *r = quarry_document_get_entity_records (doc, &n);

  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      g_string_append (out, i ? ",{\"id\":" : "{\"id\":");
      append_string_or_null (out, r[i].id, bad);
      g_string_append (out, ",\"name\":");
      append_string_or_null (out, r[i].name, bad);
      g_string_append (out, ",\"label\":");
      append_string_or_null (out, r[i].label, bad);
      g_string_append (out, ",\"kb_id\":");
      append_string_or_null (out, r[i].kb_id, bad);
      g_string_append (out, ",\"mentions\":");
      append_uint (out, r[i].mentions);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

/* `{"layer":"entity","label":"PER","start":` escaped once per layer and label in a
 * record, not per span: layers and labels are interned, so the pair of pointers is
 * the key of a small direct-mapped table. */
typedef struct {
  const char *layer, *label;
  char       *text;
  gsize       len;
} SpanHead;

typedef struct {
  SpanHead slot[32];
  GString *scratch;
} SpanHeads;

static void
append_span_head (GString *out, SpanHeads *heads, const QuarrySpan *sp, guint *bad)
{
  guintptr h = ((guintptr) sp->layer >> 4) * 31 + ((guintptr) sp->label >> 4);
  SpanHead *e = &heads->slot[(h ^ (h >> 7)) % G_N_ELEMENTS (heads->slot)];

  if (e->text == NULL || e->layer != sp->layer || e->label != sp->label)
    {
      GString *t = heads->scratch;
      g_string_assign (t, "{\"layer\":");
      *bad += append_string (t, sp->layer, strlen (sp->layer));
      g_string_append (t, ",\"label\":");
      if (sp->label != NULL)
        *bad += append_string (t, sp->label, strlen (sp->label));
      else
        g_string_append (t, "null");
      g_string_append (t, ",\"start\":");
      g_free (e->text);
      e->text = g_strndup (t->str, t->len);
      e->len = t->len;
      e->layer = sp->layer;
      e->label = sp->label;
    }
  put (out, e->text, e->len);
}

static void
span_heads_clear (SpanHeads *heads)
{
  for (guint i = 0; i < G_N_ELEMENTS (heads->slot); i++)
    g_free (heads->slot[i].text);
  g_string_free (heads->scratch, TRUE);
}

static void
append_spans (GString *out, QuarryDocument *doc, gboolean span_stages, guint *bad)
{
  SpanHeads heads = { .scratch = g_string_new (NULL) };
  guint n = quarry_document_get_n_spans (doc);
  g_autofree SpanRef *refs = g_new (SpanRef, n);

  for (guint i = 0; i < n; i++)
    {
      refs[i].span = quarry_document_peek_span (doc, i);  /* attrs held as pairs are read below */
      refs[i].index = i;
    }
  if (n > 1)
    qsort (refs, n, sizeof (SpanRef), span_ref_cmp);

  put (out, "[", 1);
  for (guint i = 0; i < n; i++)
    {
      const QuarrySpan *sp = refs[i].span;
      gsize s0, s1;

      quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
      if (i > 0)
        put (out, ",", 1);
      append_span_head (out, &heads, sp, bad);
      append_uint (out, quarry_document_char_offset (doc, sp->start));
      PUT (out, ",\"end\":");
      append_uint (out, quarry_document_char_offset (doc, sp->end));
      PUT (out, ",\"source\":[");
      append_uint (out, s0);
      put (out, ",", 1);
      append_uint (out, s1);
      put (out, "]", 1);
      if (span_stages)
        {
          const char *st = quarry_document_get_span_stage (doc, refs[i].index);
          PUT (out, ",\"stage\":");
          *bad += append_string (out, st, strlen (st));
        }
      if (sp->attrs != NULL)
        {
          PUT (out, ",\"attrs\":");
          append_json (out, sp->attrs, bad);
        }
      else
        append_attr_pairs (out, doc, refs[i].index, bad);
      put (out, "}", 1);
    }
  put (out, "]", 1);
  span_heads_clear (&heads);
}

static void
append_diagnostics (GString *out, const QuarryDocument *doc, guint *bad)
{
  guint n = quarry_document_get_n_diagnostics (doc);

  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, i);
      const char *level = quarry_diagnostic_level_to_string (d->level);

      g_string_append (out, i ? ",{\"level\":" : "{\"level\":");
      *bad += append_string (out, level, strlen (level));
      g_string_append (out, ",\"stage\":");
      *bad += append_string (out, d->stage, strlen (d->stage));
      g_string_append (out, ",\"code\":");
      *bad += append_string (out, d->code, strlen (d->code));
      g_string_append (out, ",\"message\":");
      *bad += append_string (out, d->message, strlen (d->message));
      g_string_append (out, ",\"source\":");
      if (d->source_offset >= 0)
        append_uint (out, d->source_offset);
      else
        g_string_append (out, "null");
      g_string_append_c (out, '}');
    }
  if (*bad > 0)
    {
      /* written, not added to the document: writing a record changes nothing */
      g_string_append (out, n ? ",{\"level\":\"warning\"" : "{\"level\":\"warning\"");
      g_string_append_printf (out, ",\"stage\":\"output\",\"code\":\"invalid-utf8-output\",\"message\":\"%u bytes in the record's strings"
                              " (a field cut mid-character, say) were not valid UTF-8 and were written as U+FFFD\",\"source\":null}", *bad);
    }
  g_string_append_c (out, ']');
}

void
quarry_writer_append_record (GString *out, QuarryDocument *doc, const char *provenance)
{
  quarry_writer_append_record_full (out, doc, provenance, FALSE);
}

void
quarry_writer_append_record_full (GString *out, QuarryDocument *doc, const char *provenance, gboolean span_stages)
{
  const char *id = quarry_document_get_id (doc);
  guint n_records;
  json_object *entities;
  gsize len;
  const char *text = quarry_document_get_text (doc, &len);
  guint n_bad = 0, *bad = &n_bad;

  /* entities added one by one are written from their records, not built into json-c */
  quarry_document_get_entity_records (doc, &n_records);
  entities = n_records > 0 ? NULL : quarry_document_get_entities (doc);
  g_string_append (out, "{\"id\":");
  *bad += append_string (out, id, strlen (id));
  g_string_append (out, ",\"text\":");
  *bad += append_string (out, text, len);
  g_string_append (out, ",\"fields\":");
  append_json (out, quarry_document_get_fields (doc, NULL), bad);
  g_string_append (out, ",\"spans\":");
  append_spans (out, doc, span_stages, bad);
  g_string_append (out, ",\"entities\":");
  if (entities != NULL)
    append_json (out, entities, bad);
  else
    append_entity_records (out, doc, bad);
  g_string_append (out, ",\"summary\":");
  append_json (out, quarry_document_get_summary (doc), bad);
  g_string_append (out, ",\"diagnostics\":");
  append_diagnostics (out, doc, bad);
  g_string_append (out, ",\"provenance\":");
  g_string_append (out, provenance != NULL ? provenance : "null");
  g_string_append_c (out, '}');
}

/* Valid UTF-8, NUL bytes allowed (GLib's validator stops at them). */
static gboolean
valid_utf8_with_nul (const char *s, gsize len)
{
  const char *end = s + len;

  while (s < end)
    {
      const char *nul = memchr (s, 0, end - s);
      const char *stop = nul != NULL ? nul : end;
      if (!g_utf8_validate_len (s, stop - s, NULL))
        return FALSE;
      s = nul != NULL ? nul + 1 : end;
    }
  return TRUE;
}

void
quarry_writer_append_dead_letter (GString *out, const QuarryDocument *doc, const char *reason,
                                  const char *provenance)
{
  const char *id = quarry_document_get_id (doc);
  const char *stage = quarry_document_get_stage (doc);
  const char *mt = quarry_document_get_media_type (doc);
  gsize len;
  const char *src = quarry_document_get_source (doc, &len);
  guint n_bad = 0, *bad = &n_bad;  /* the content itself is kept whole below, as base64 if need be */

  g_string_append (out, "{\"id\":");
  *bad += append_string (out, id, strlen (id));
  g_string_append (out, ",\"stage\":");
  *bad += append_string (out, stage, strlen (stage));
  g_string_append (out, ",\"reason\":");
  *bad += append_string (out, reason, strlen (reason));
  g_string_append (out, ",\"media_type\":");
  *bad += append_string (out, mt, strlen (mt));
  /* the original bytes, so the document can be re-run once the cause is fixed; a
   * NUL is written as \u0000, which a JSON Lines reader gives back */
  if (valid_utf8_with_nul (src, len))
    {
      g_string_append (out, ",\"content\":");
      *bad += append_string (out, src, len);
    }
  else
    {
      g_autofree char *b64 = g_base64_encode ((const guchar *) src, len);
      g_string_append (out, ",\"content_base64\":");
      *bad += append_string (out, b64, strlen (b64));
    }
  g_string_append (out, ",\"diagnostics\":");
  append_diagnostics (out, doc, bad);
  g_string_append (out, ",\"provenance\":");
  g_string_append (out, provenance != NULL ? provenance : "null");
  g_string_append_c (out, '}');
}
