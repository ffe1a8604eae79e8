/* fuzz-document.c: libFuzzer harness for the document model and the record writer: random
 * edit batches checked against a byte-level reference, spans, attributes, diagnostics,
 * entities; then the record and the dead letter must be valid JSON Lines that give back
 * the text, the span texts and the source bytes. */
#include "config.h"

#include <quarry/quarry.h>
#include "writer.h"
#include "fuzz-common.h"

typedef struct {
  gsize start, end, seq;
  const char *text;
  gsize len;
} RefEdit;

static int
ref_cmp (const void *a, const void *b)
{
  const RefEdit *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static gboolean
boundary (const char *t, gsize len, gsize p)
{
  return p == len || ((guchar) t[p] & 0xC0) != 0x80;
}

/* The reference: is the batch valid, and the text it gives. */
static char *
ref_apply (const char *text, gsize len, RefEdit *e, guint n, gsize *out_len)
{
  GString *s;
  gsize at = 0;

  qsort (e, n, sizeof *e, ref_cmp);
  for (guint i = 0; i < n; i++)
    {
      if (e[i].start > e[i].end || e[i].end > len)
        return NULL;
      if (i > 0 && e[i].start < e[i - 1].end)
        return NULL;
      if (!boundary (text, len, e[i].start) || !boundary (text, len, e[i].end))
        return NULL;
      if (e[i].len > 0 && (!g_utf8_validate_len (e[i].text, e[i].len, NULL) || memchr (e[i].text, 0, e[i].len)))
        return NULL;
    }
  s = g_string_sized_new (len + 16);
  for (guint i = 0; i < n; i++)
    {
      g_string_append_len (s, text + at, e[i].start - at);
      g_string_append_len (s, e[i].text, e[i].len);
      at = e[i].end;
    }
  g_string_append_len (s, text + at, len - at);
  *out_len = s->len;
  return g_string_free (s, FALSE);
}

static void
check_spans (QuarryDocument *doc)
{
  gsize len, slen;
  const char *text = quarry_document_get_text (doc, &len);

  quarry_document_get_source (doc, &slen);
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_peek_span (doc, i);
      gsize s0, s1;
      FUZZ_CHECK (sp->start <= sp->end && sp->end <= len, "span %u [%zu,%zu) outside %zu bytes", i, sp->start, sp->end, len);
      FUZZ_CHECK (boundary (text, len, sp->start) && boundary (text, len, sp->end), "span %u splits a character", i);
      quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
      FUZZ_CHECK (s0 <= s1 && s1 <= slen, "span %u maps to source [%zu,%zu) of %zu bytes", i, s0, s1, slen);
    }
}

/* Code points of the UTF-8 string s (valid). */
static gsize
cp_len (const char *s, gsize len)
{
  return g_utf8_strlen (s, len);
}

static void
check_output (QuarryDocument *doc)
{
  g_autoptr(GString) out = g_string_new (NULL);
  json_object *rec, *v, *spans;
  const char *text;
  gsize text_len, src_len;
  const char *src = quarry_document_get_source (doc, &src_len);

  quarry_writer_append_record (out, doc, NULL);
  rec = fuzz_check_record (out->str, out->len, "id");
  FUZZ_CHECK (json_object_object_get_ex (rec, "text", &v), "no text");
  text = json_object_get_string (v);
  text_len = json_object_get_string_len (v);
  {
    gsize dlen;
    const char *dtext = quarry_document_get_text (doc, &dlen);
    FUZZ_CHECK (dlen == text_len && memcmp (dtext, text, dlen) == 0, "record text differs from the document text");
  }
  FUZZ_CHECK (json_object_object_get_ex (rec, "spans", &spans) && json_object_is_type (spans, json_type_array), "no spans array");
  FUZZ_CHECK (json_object_array_length (spans) == quarry_document_get_n_spans (doc), "span count differs");
  for (size_t i = 0; i < json_object_array_length (spans); i++)
    {
      json_object *sp = json_object_array_get_idx (spans, i), *a, *b, *src_r;
      FUZZ_CHECK (json_object_object_get_ex (sp, "start", &a) && json_object_object_get_ex (sp, "end", &b), "span without offsets");
      int64_t s = json_object_get_int64 (a), e = json_object_get_int64 (b);
      FUZZ_CHECK (0 <= s && s <= e && (gsize) e <= cp_len (text, text_len), "span offsets [%lld,%lld) outside the text",
                  (long long) s, (long long) e);
      FUZZ_CHECK (json_object_object_get_ex (sp, "source", &src_r) && json_object_array_length (src_r) == 2, "span without source");
      int64_t s0 = json_object_get_int64 (json_object_array_get_idx (src_r, 0));
      int64_t s1 = json_object_get_int64 (json_object_array_get_idx (src_r, 1));
      FUZZ_CHECK (0 <= s0 && s0 <= s1 && (gsize) s1 <= src_len, "span source outside the source");
    }
  json_object_put (rec);

  /* the dead letter gives back the source bytes exactly */
  g_string_truncate (out, 0);
  quarry_writer_append_dead_letter (out, doc, "fuzz", NULL);
  rec = fuzz_check_record (out->str, out->len, "id");
  if (json_object_object_get_ex (rec, "content", &v))
    FUZZ_CHECK ((gsize) json_object_get_string_len (v) == src_len && memcmp (json_object_get_string (v), src, src_len) == 0,
                "dead letter content differs from the source");
  else
    {
      gsize n;
      g_autofree guchar *raw = NULL;
      FUZZ_CHECK (json_object_object_get_ex (rec, "content_base64", &v), "dead letter without content");
      raw = g_base64_decode (json_object_get_string (v), &n);
      FUZZ_CHECK (n == src_len && memcmp (raw, src, n) == 0, "dead letter base64 differs from the source");
    }
  json_object_put (rec);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  FuzzReader r = { data, size };
  size_t src_len;
  const char *src = fuzz_bytes (&r, fuzz_u16 (&r) % 512, &src_len);
  g_autoptr(QuarryDocument) doc = quarry_document_new ("fuzz", src, src_len, "text/plain");
  guint ops = 0;

  {
    gsize len;
    const char *text = quarry_document_get_text (doc, &len);
    FUZZ_CHECK (g_utf8_validate_len (text, len, NULL) && memchr (text, 0, len) == NULL, "repaired text is not valid UTF-8");
  }

  while (r.left > 0 && ops++ < 64)
    {
      gsize len;
      const char *text = quarry_document_get_text (doc, &len);
      unsigned op = fuzz_byte (&r) % 7;

      if (op == 0)
        {
          guint n = 1 + fuzz_byte (&r) % 4;
          RefEdit e[4];
          g_autoptr(QuarryEdits) edits = quarry_edits_new ();
          g_autofree char *before = g_strndup (text, len);
          g_autofree char *expect = NULL;
          gsize expect_len = 0, after_len;
          GError *error = NULL;
          gboolean ok;

          for (guint i = 0; i < n; i++)
            {
              e[i].start = fuzz_u16 (&r) % (len + 2);
              e[i].end = e[i].start + fuzz_byte (&r) % 8;
              e[i].text = fuzz_bytes (&r, fuzz_byte (&r) % 6, &e[i].len);
              e[i].seq = i;
              quarry_edits_replace (edits, e[i].start, e[i].end, e[i].len ? e[i].text : NULL, e[i].len);
            }
          expect = ref_apply (before, len, e, n, &expect_len);
          ok = quarry_document_apply_edits (doc, edits, &error);
          text = quarry_document_get_text (doc, &after_len);
          if (expect == NULL)
            {
              FUZZ_CHECK (!ok && error != NULL, "an invalid batch was applied");
              FUZZ_CHECK (after_len == len && memcmp (text, before, len) == 0, "a refused batch changed the text");
              g_error_free (error);
            }
          else
            {
              FUZZ_CHECK (ok, "a valid batch was refused: %s", error ? error->message : "?");
              FUZZ_CHECK (after_len == expect_len && memcmp (text, expect, expect_len) == 0, "text differs from the reference");
            }
          check_spans (doc);
        }
      else if (op == 1)
        {
          gsize s = fuzz_u16 (&r) % (len + 2), e = s + fuzz_u16 (&r) % 64;
          gboolean valid = e <= len && boundary (text, len, s) && boundary (text, len, e);
          GError *error = NULL;
          gint idx = quarry_document_add_span (doc, (fuzz_byte (&r) & 1) ? "entity" : "markup",
                                               (fuzz_byte (&r) & 1) ? "PER" : NULL, s, e, NULL, &error);
          FUZZ_CHECK ((idx >= 0) == valid, "add_span [%zu,%zu) of %zu bytes: %d", s, e, len, idx);
          if (error)
            g_error_free (error);
        }
      else if (op == 2 && quarry_document_get_n_spans (doc) > 0)
        {
          guint idx = fuzz_byte (&r) % quarry_document_get_n_spans (doc);
          size_t vlen;
          const char *v = fuzz_bytes (&r, fuzz_byte (&r) % 12, &vlen);
          static const char *const keys[] = { "entity", "kb_id", "value" };
          quarry_document_span_set_attr (doc, idx, keys[fuzz_byte (&r) % 3], json_object_new_string_len (v, (int) vlen));
        }
      else if (op == 3)
        {
          size_t mlen;
          const char *m = fuzz_bytes (&r, fuzz_byte (&r) % 24, &mlen);
          gssize off = (fuzz_byte (&r) & 1) ? (gssize) (fuzz_u16 (&r) % (len + 1)) : QUARRY_NO_OFFSET;
          if (off >= 0 && !boundary (text, len, off))
            off = QUARRY_NO_OFFSET;
          quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "fuzz", off, "message %.*s", (int) mlen, m);
        }
      else if (op == 4)
        {
          gsize b = fuzz_u16 (&r) % (len + 1);
          while (!boundary (text, len, b))
            b--;
          FUZZ_CHECK (quarry_document_char_offset (doc, b) == cp_len (text, b), "char offset of byte %zu", b);
        }
      else if (op == 5)
        {
          size_t vlen;
          const char *v = fuzz_bytes (&r, fuzz_byte (&r) % 16, &vlen);
          json_object_object_add (quarry_document_get_fields (doc, "fuzz"), "value",
                                  json_object_new_string_len (v, (int) vlen));
        }
      else if (op == 6)
        {
          size_t nlen;
          const char *nm = fuzz_bytes (&r, fuzz_byte (&r) % 16, &nlen);
          g_autofree char *name = g_strndup (nm, nlen);
          quarry_document_add_entity (doc, "fuzz:1", name, "PER", NULL, fuzz_byte (&r));
        }
    }
  check_spans (doc);
  check_output (doc);
  return 0;
}
