/* test-document.c: the document model: UTF-8 repair, edits against a reference model, spans, offsets, fields. */
#include "config.h"

#include <string.h>

#include "document-private.h"
#include "harness.h"

static void
test_new_plain (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("d1", "hello", 5, NULL);
  gsize len;

  g_assert_cmpstr (quarry_document_get_id (doc), ==, "d1");
  g_assert_cmpstr (quarry_document_get_media_type (doc), ==, "text/plain");
  g_assert_cmpstr (quarry_document_get_text (doc, &len), ==, "hello");
  g_assert_cmpuint (len, ==, 5);
  g_assert_cmpuint (quarry_document_get_n_diagnostics (doc), ==, 0);
}

static void
test_utf8_repair (void)
{
  /* an invalid byte, a truncated 3-byte sequence, a NUL, and an overlong encoding */
  static const char src[] = "a\xFF" "b\xE2\x82" "c\0d\xC0\xAF" "e";
  g_autoptr(QuarryDocument) doc = quarry_document_new ("bad", src, sizeof src - 1, NULL);
  const QuarryDiagnostic *d;
  gsize s0, s1, len;
  const char *text = quarry_document_get_text (doc, &len);

  g_assert_true (g_utf8_validate (text, len, NULL));
  g_assert_cmpstr (text, ==, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d\xEF\xBF\xBD\xEF\xBF\xBD" "e");
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "invalid-utf8"), ==, 4);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "nul-byte"), ==, 1);
  d = quarry_document_get_diagnostic (doc, 0);
  g_assert_cmpstr (d->stage, ==, "input");
  g_assert_cmpint (d->source_offset, ==, 1);
  g_assert_cmpint (d->level, ==, QUARRY_DIAGNOSTIC_WARNING);
  /* the truncated sequence is one maximal subpart: two source bytes, one U+FFFD */
  quarry_document_source_range (doc, 5, 8, &s0, &s1);
  g_assert_cmpuint (s0, ==, 3);
  g_assert_cmpuint (s1, ==, 5);
  /* the 'e' still points at its byte */
  quarry_document_source_range (doc, len - 1, len, &s0, &s1);
  g_assert_cmpuint (s0, ==, sizeof src - 2);
  g_assert_cmpuint (s1, ==, sizeof src - 1);
}

static void
test_many_repairs_capped (void)
{
  g_autofree char *src = g_malloc (1000);
  g_autoptr(QuarryDocument) doc = NULL;

  memset (src, 0xFF, 1000);
  doc = quarry_document_new ("binary", src, 1000, NULL);
  /* 20 listed, then one that counts them all */
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "invalid-utf8"), ==, 21);
  g_assert_nonnull (strstr (quarry_document_get_diagnostic (doc, 20)->message, "1000"));
}

static void
test_empty (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("empty", "", 0, "text/html");
  g_autoptr(QuarryEdits) e = quarry_edits_new ();
  GError *error = NULL;
  gsize s0, s1;

  quarry_edits_replace (e, 0, 0, "x", 1);
  g_assert_true (quarry_document_apply_edits (doc, e, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "x");
  quarry_document_source_range (doc, 0, 1, &s0, &s1);
  g_assert_cmpuint (s0, ==, 0);
  g_assert_cmpuint (s1, ==, 0);
}

static void
test_edit_basic (void)
{
  static const char src[] = "<p>a &amp; b</p>";
  g_autoptr(QuarryDocument) doc = quarry_document_new ("e", src, sizeof src - 1, "text/html");
  g_autoptr(QuarryEdits) e = quarry_edits_new ();
  GError *error = NULL;
  gint span;
  gsize s0, s1;

  span = quarry_document_add_span (doc, "markup", "p", 0, sizeof src - 1, NULL, &error);
  g_assert_no_error (error);
  /* given out of order on purpose */
  quarry_edits_replace (e, 12, 16, NULL, 0);
  quarry_edits_replace (e, 5, 10, "&", -1);
  quarry_edits_replace (e, 0, 3, "", 0);
  g_assert_cmpuint (quarry_edits_count (e), ==, 3);
  g_assert_true (quarry_document_apply_edits (doc, e, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "a & b");

  /* the span moved with the text: it lost the deleted tags */
  g_assert_cmpuint (quarry_document_get_span (doc, span)->start, ==, 0);
  g_assert_cmpuint (quarry_document_get_span (doc, span)->end, ==, 5);
  /* '&' traces back to the whole reference */
  quarry_document_source_range (doc, 2, 3, &s0, &s1);
  g_assert_cmpuint (s0, ==, 5);
  g_assert_cmpuint (s1, ==, 10);
  /* 'b' to its byte */
  quarry_document_source_range (doc, 4, 5, &s0, &s1);
  g_assert_cmpuint (s0, ==, 11);
  g_assert_cmpuint (s1, ==, 12);
}

static void
test_edit_errors (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("e", "h\xC3\xA9llo", 6, NULL);
  GError *error = NULL;
  struct { gsize a, b, c, d; const char *text; gssize len; } cases[] = {
    { 0, 3, 2, 4, "", 0 },             /* overlap */
    { 0, 2, 99, 99, "", 0 },           /* the second is out of range */
    { 2, 3, 5, 5, "", 0 },             /* splits é */
    { 0, 1, 5, 5, "\xFF", 1 },         /* invalid replacement */
    { 0, 1, 5, 5, "a\0b", 3 },         /* NUL in replacement */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QuarryEdits) e = quarry_edits_new ();
      quarry_edits_replace (e, cases[i].a, cases[i].b, "", 0);
      quarry_edits_replace (e, cases[i].c, cases[i].d, cases[i].text, cases[i].len);
      g_assert_false (quarry_document_apply_edits (doc, e, &error));
      g_assert_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_EDIT);
      g_clear_error (&error);
      /* the document is unchanged */
      g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "h\xC3\xA9llo");
    }
  g_assert_cmpint (quarry_document_add_span (doc, "x", NULL, 2, 4, json_object_new_object (), &error), ==, -1);
  g_assert_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_SPAN);
  g_clear_error (&error);
  g_assert_cmpint (quarry_document_add_span (doc, "x", NULL, 3, 2, NULL, &error), ==, -1);
  g_assert_error (error, QUARRY_DOCUMENT_ERROR, QUARRY_DOCUMENT_ERROR_BAD_SPAN);
  g_clear_error (&error);
}

static void
test_insertions_at_boundaries (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("i", "abc", 3, NULL);
  g_autoptr(QuarryEdits) e = quarry_edits_new ();
  gint whole, empty;
  const QuarrySpan *s;

  whole = quarry_document_add_span (doc, "l", NULL, 0, 3, NULL, NULL);
  empty = quarry_document_add_span (doc, "l", NULL, 1, 1, NULL, NULL);
  quarry_edits_replace (e, 0, 0, "[", 1);
  quarry_edits_replace (e, 1, 1, "<", 1);
  quarry_edits_replace (e, 1, 1, ">", 1);  /* two insertions at one place keep their order */
  quarry_edits_replace (e, 3, 3, "]", 1);
  g_assert_true (quarry_document_apply_edits (doc, e, NULL));
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "[a<>bc]");
  /* inserted text at a boundary stays outside the span */
  s = quarry_document_get_span (doc, whole);
  g_assert_cmpuint (s->start, ==, 1);
  g_assert_cmpuint (s->end, ==, 6);
  s = quarry_document_get_span (doc, empty);
  g_assert_cmpuint (s->start, ==, s->end);
}

/* ---- a reference model of the edit semantics, checked on random batches ---- */

typedef struct {
  gsize lo, hi;  /* source range the byte came from */
} Cell;

typedef struct {
  gsize start, end;
} ModelSpan;

typedef struct {
  gsize a, b;
  char *text;
  guint index;      /* its number in the batch */
  gsize new_start;  /* where the model put its text */
} ModelEdit;

static int
model_edit_cmp (gconstpointer x, gconstpointer y)
{
  const ModelEdit *p = x, *q = y;
  return p->a < q->a ? -1 : p->a > q->a;
}

static const char *const pieces[] = { "a", "b", " ", "\n", "\xC3\xA9", "\xE2\x80\x9C", "\xF0\x9F\x98\x80", "<", "&" };

static GString *
random_text (guint max_chars)
{
  GString *s = g_string_new (NULL);
  guint n = g_test_rand_int_range (0, max_chars);

  for (guint i = 0; i < n; i++)
    g_string_append (s, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
  return s;
}

/* A random char boundary in text, 0..len */
static gsize
random_boundary (const GString *t)
{
  gsize p = g_test_rand_int_range (0, t->len + 1);
  while (p < t->len && ((guchar) t->str[p] & 0xC0) == 0x80)
    p++;
  return p;
}

static void
model_apply_one (GString *text, GArray *cells, GArray *spans, const ModelEdit *e)
{
  gsize L = strlen (e->text), removed = e->b - e->a;
  Cell c;

  if (e->a < e->b)
    {
      c.lo = g_array_index (cells, Cell, e->a).lo;
      c.hi = g_array_index (cells, Cell, e->b - 1).hi;
    }
  else if (e->a < cells->len)
    c.lo = c.hi = g_array_index (cells, Cell, e->a).lo;
  else
    c.lo = c.hi = cells->len ? g_array_index (cells, Cell, cells->len - 1).hi : 0;

  for (guint i = 0; i < spans->len; i++)
    {
      ModelSpan *s = &g_array_index (spans, ModelSpan, i);
      gsize st = s->start, en = s->end;

      if (st > e->a || (st == e->a && e->a == e->b))
        st = st < e->b ? e->a : st + L - removed;
      if (en > e->a)
        en = en < e->b ? e->a + L : en + L - removed;
      s->start = st;
      s->end = en;
    }
  g_string_erase (text, e->a, removed);
  g_string_insert (text, e->a, e->text);
  g_array_remove_range (cells, e->a, removed);
  for (gsize k = 0; k < L; k++)
    g_array_insert_val (cells, e->a + k, c);
}

static void
test_edit_random_model (void)
{
  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(GString) text = random_text (60);
      g_autoptr(QuarryDocument) doc = quarry_document_new ("r", text->str, text->len, NULL);
      g_autoptr(GArray) cells = g_array_new (FALSE, FALSE, sizeof (Cell));
      g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (ModelSpan));

      for (gsize i = 0; i < text->len; i++)
        {
          Cell c = { i, i + 1 };
          g_array_append_val (cells, c);
        }
      for (guint batch = 0; batch < 4; batch++)
        {
          g_autoptr(QuarryEdits) edits = quarry_edits_new ();
          g_autoptr(GArray) me = g_array_new (FALSE, FALSE, sizeof (ModelEdit));
          guint n_spans = g_test_rand_int_range (0, 4), n_edits = g_test_rand_int_range (0, 6);
          gsize pos = 0;
          GError *error = NULL;

          for (guint i = 0; i < n_spans; i++)
            {
              gsize a = random_boundary (text), b = random_boundary (text);
              ModelSpan s = { MIN (a, b), MAX (a, b) };
              g_assert_cmpint (quarry_document_add_span (doc, "s", NULL, s.start, s.end, NULL, &error), ==, spans->len);
              g_assert_no_error (error);
              g_array_append_val (spans, s);
            }
          /* disjoint edits in increasing order, added to the batch in reverse */
          for (guint i = 0; i < n_edits && pos <= text->len; i++)
            {
              ModelEdit e;
              g_autoptr(GString) rep = random_text (4);
              gsize a = random_boundary (text), b;
              if (a < pos)
                a = pos;
              b = g_test_rand_bit () ? a : random_boundary (text);
              if (b < a)
                b = a;
              e.a = a;
              e.b = b;
              e.text = g_strdup (rep->str);
              e.index = n_edits;  /* set below, when added to the batch */
              e.new_start = 0;
              g_array_append_val (me, e);
              pos = b + 1;
              while (pos < text->len && ((guchar) text->str[pos] & 0xC0) == 0x80)
                pos++;
            }
          for (guint i = me->len; i-- > 0;)
            {
              ModelEdit *x = &g_array_index (me, ModelEdit, i);
              x->index = quarry_edits_count (edits);
              quarry_edits_replace (edits, x->a, x->b, x->text, -1);
            }
          g_assert_true (quarry_document_apply_edits (doc, edits, &error));
          g_assert_no_error (error);

          /* the model applies them one at a time from the end */
          g_array_sort (me, model_edit_cmp);
          for (guint i = me->len; i-- > 0;)
            {
              ModelEdit *x = &g_array_index (me, ModelEdit, i);
              model_apply_one (text, cells, spans, x);
              /* the text of the edits after it moves with this one */
              x->new_start = x->a;
              for (guint j = i + 1; j < me->len; j++)
                g_array_index (me, ModelEdit, j).new_start += strlen (x->text) - (x->b - x->a);
            }
          /* each replacement's new range, as the model placed it, holding its text */
          for (guint i = 0; i < me->len; i++)
            {
              ModelEdit *x = &g_array_index (me, ModelEdit, i);
              gsize s = 0, e = 0;
              g_assert_true (quarry_edits_get_new_range (edits, x->index, &s, &e));
              g_assert_cmpuint (s, ==, x->new_start);
              g_assert_cmpuint (e, ==, x->new_start + strlen (x->text));
              g_assert_cmpint (memcmp (text->str + s, x->text, e - s), ==, 0);
            }
          g_assert_false (quarry_edits_get_new_range (edits, me->len, NULL, NULL));
          for (guint i = 0; i < me->len; i++)
            g_free (g_array_index (me, ModelEdit, i).text);
          for (guint i = 0; i < spans->len; i++)
            {
              ModelSpan *s = &g_array_index (spans, ModelSpan, i);
              if (s->end < s->start)
                s->end = s->start;
            }

          g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, text->str);
          for (guint i = 0; i < spans->len; i++)
            {
              const QuarrySpan *qs = quarry_document_get_span (doc, i);
              g_assert_cmpuint (qs->start, ==, g_array_index (spans, ModelSpan, i).start);
              g_assert_cmpuint (qs->end, ==, g_array_index (spans, ModelSpan, i).end);
            }
          /* every non-empty range traces to the model's source range */
          for (guint k = 0; k < 20 && text->len > 0; k++)
            {
              gsize a = random_boundary (text), b = random_boundary (text), s0, s1;
              if (a > b) { gsize t = a; a = b; b = t; }
              if (a == b)
                continue;
              quarry_document_source_range (doc, a, b, &s0, &s1);
              g_assert_cmpuint (s0, ==, g_array_index (cells, Cell, a).lo);
              g_assert_cmpuint (s1, ==, g_array_index (cells, Cell, b - 1).hi);
            }
        }
    }
}

static void
test_char_offset (void)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(QuarryDocument) doc = NULL;
  g_autoptr(QuarryEdits) e = quarry_edits_new ();

  for (guint i = 0; i < 20000; i++)
    g_string_append (s, pieces[(i * 7) % G_N_ELEMENTS (pieces)]);
  doc = quarry_document_new ("cp", s->str, s->len, NULL);
  for (guint k = 0; k < 500; k++)
    {
      gsize p = random_boundary (s);
      g_assert_cmpuint (quarry_document_char_offset (doc, p), ==, g_utf8_pointer_to_offset (s->str, s->str + p));
    }
  /* the index is rebuilt after an edit */
  quarry_edits_replace (e, 0, 0, "\xE2\x80\x9C\xE2\x80\x9C", -1);
  g_assert_true (quarry_document_apply_edits (doc, e, NULL));
  g_assert_cmpuint (quarry_document_char_offset (doc, 6 + s->len), ==, 2 + g_utf8_strlen (s->str, s->len));
}

static void
test_fields_and_results (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("f", "x", 1, NULL);
  json_object *ns = quarry_document_get_fields (doc, "header");

  json_object_object_add (ns, "subject", json_object_new_string ("S"));
  g_assert_true (quarry_document_get_fields (doc, "header") == ns);
  g_assert_cmpstr (json_object_get_string (quarry_document_lookup_field (doc, "header", "subject")), ==, "S");
  g_assert_null (quarry_document_lookup_field (doc, "header", "nope"));
  g_assert_null (quarry_document_lookup_field (doc, "nope", "subject"));
  quarry_document_set_summary (doc, json_object_new_object ());
  quarry_document_set_summary (doc, json_object_new_string ("replaced"));
  g_assert_cmpstr (json_object_get_string (quarry_document_get_summary (doc)), ==, "replaced");
  quarry_document_set_entities (doc, json_object_new_array ());
  g_assert_nonnull (quarry_document_get_entities (doc));
}

/* Random bytes around valid characters (ASCII runs, 2-4 byte characters, overlongs,
 * surrogates, stray continuations, NULs, cut sequences): a document reports repairs
 * exactly when GLib finds the bytes invalid or they hold a NUL, and its text is then
 * valid UTF-8 without NUL. */
static void
test_utf8_random (void)
{
  static const char *const chunks[] = {
    "plain ascii text ", "abcdefgh", "\xC3\xA9", "\xE2\x80\x9C", "\xF0\x9F\x98\x80", "\xC0\xAF",
    "\xED\xA0\x80", "\x80", "\xBF", "\xF4\x90\x80\x80", "\xE2\x80", "\xF0\x9F", "\xC2", "\xFF",
    "\xEF\xBB\xBF", "\xF4\x8F\xBF\xBF", "\xE0\xA0\x80", "\xE0\x9F\xBF",
  };
  g_autoptr(GRand) r = g_rand_new_with_seed (42);

  for (int round = 0; round < 4000; round++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      guint n = g_rand_int_range (r, 0, 12);
      for (guint k = 0; k < n; k++)
        {
          if (g_rand_int_range (r, 0, 25) == 0)
            g_string_append_c (s, '\0');
          else
            {
              guint which = g_rand_int_range (r, 0, G_N_ELEMENTS (chunks));
              /* mostly valid chunks, so whole valid documents are common */
              if (round % 2 == 0 && which > 4 && which != 14 && which != 15 && which != 16)
                which = g_rand_int_range (r, 0, 5);
              g_string_append (s, chunks[which]);
            }
        }
      gboolean clean = g_utf8_validate_len (s->str, s->len, NULL) && memchr (s->str, 0, s->len) == NULL;
      g_autoptr(QuarryDocument) doc = quarry_document_new ("r", s->str, s->len, NULL);
      gsize len;
      const char *text = quarry_document_get_text (doc, &len);
      g_assert_cmpuint (quarry_document_get_n_diagnostics (doc) == 0, ==, clean);
      g_assert_true (g_utf8_validate_len (text, len, NULL));
      g_assert_null (memchr (text, 0, len));
      if (clean)
        g_assert_cmpmem (text, len, s->str, s->len);
    }
}

static const char *
attr_string (const QuarryDocument *doc, guint index, const char *key)
{
  json_object *v = NULL;
  if (!quarry_document_span_get_attr (doc, index, key, &v))
    return "(missing)";
  return v != NULL ? json_object_get_string (v) : "(null)";
}

/* Attributes set one by one live outside json-c until a reader asks for the object. */
static void
test_span_set_attr (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("a", "one two three", 13, NULL);
  g_autoptr(QuarryEdits) e = quarry_edits_new ();
  const QuarrySpan *sp;
  json_object *obj;
  const char *key;
  guint cursor = 0;

  g_assert_cmpint (quarry_document_add_span (doc, "entity", "PER", 0, 3, NULL, NULL), ==, 0);
  g_assert_cmpint (quarry_document_add_span (doc, "entity", "LOC", 4, 7, NULL, NULL), ==, 1);
  g_assert_cmpint (quarry_document_add_span (doc, "entity", "ORG", 8, 13,
                                             json_tokener_parse ("{\"given\":1}"), NULL), ==, 2);

  /* a key buffer the caller reuses: the document keeps its own copy */
  char buf[16];
  g_strlcpy (buf, "entity", sizeof buf);
  quarry_document_span_set_attr (doc, 0, buf, json_object_new_string ("a"));
  g_strlcpy (buf, "nothing", sizeof buf);
  quarry_document_span_set_attr (doc, 0, "relation", json_object_new_string ("r"));
  quarry_document_span_set_attr (doc, 0, "entity", json_object_new_string ("b"));  /* replaced in place */
  quarry_document_span_set_attr (doc, 1, "entity", NULL);
  quarry_document_span_set_attr (doc, 2, "entity", json_object_new_string ("c"));  /* into the given object */

  g_assert_cmpstr (attr_string (doc, 0, "entity"), ==, "b");
  g_assert_cmpstr (attr_string (doc, 0, "relation"), ==, "r");
  g_assert_cmpstr (attr_string (doc, 0, "parts"), ==, "(missing)");
  g_assert_cmpstr (attr_string (doc, 1, "entity"), ==, "(null)");
  g_assert_cmpstr (attr_string (doc, 2, "given"), ==, "1");
  g_assert_cmpstr (attr_string (doc, 2, "entity"), ==, "c");
  g_assert_false (quarry_document_span_get_attr (doc, 1, "relation", NULL));

  /* the writer's walk: first-set order, the replaced value in its first place */
  key = quarry_document_span_next_attr (doc, 0, &cursor, &obj);
  g_assert_cmpstr (key, ==, "entity");
  g_assert_cmpstr (json_object_get_string (obj), ==, "b");
  key = quarry_document_span_next_attr (doc, 0, &cursor, &obj);
  g_assert_cmpstr (key, ==, "relation");
  g_assert_null (quarry_document_span_next_attr (doc, 0, &cursor, &obj));

  /* the spans move with an edit; their attributes stay with them */
  quarry_edits_replace (e, 0, 0, "«", -1);
  g_assert_true (quarry_document_apply_edits (doc, e, NULL));
  g_assert_cmpstr (attr_string (doc, 0, "entity"), ==, "b");

  /* peeking does not build the object; getting does, with every attribute in order */
  g_assert_null (quarry_document_peek_span (doc, 0)->attrs);
  g_assert_cmpuint (quarry_document_peek_span (doc, 0)->start, ==, 2);
  sp = quarry_document_get_span (doc, 0);
  g_assert_nonnull (sp->attrs);
  g_assert_cmpstr (json_object_to_json_string_ext (sp->attrs, JSON_C_TO_STRING_PLAIN), ==,
                   "{\"entity\":\"b\",\"relation\":\"r\"}");
  cursor = 0;
  g_assert_null (quarry_document_span_next_attr (doc, 0, &cursor, &obj));
  /* from now on set_attr writes into that object */
  quarry_document_span_set_attr (doc, 0, "relation", json_object_new_string ("s"));
  quarry_document_span_set_attr (doc, 0, "parts", json_object_new_array ());
  g_assert_cmpstr (json_object_to_json_string_ext (sp->attrs, JSON_C_TO_STRING_PLAIN), ==,
                   "{\"entity\":\"b\",\"relation\":\"s\",\"parts\":[]}");
  g_assert_cmpstr (attr_string (doc, 0, "relation"), ==, "s");

  /* quarry_document_span_attrs () shows the pairs too, null included */
  obj = quarry_document_span_attrs (doc, 1);
  g_assert_cmpstr (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN), ==, "{\"entity\":null}");
  g_assert_true (quarry_document_get_span (doc, 1)->attrs == obj);
  /* a span added later starts without attributes, after the pair table has grown */
  g_assert_cmpint (quarry_document_add_span (doc, "entity", NULL, 2, 5, NULL, NULL), ==, 3);
  g_assert_false (quarry_document_span_get_attr (doc, 3, "entity", NULL));
  quarry_document_span_set_attr (doc, 3, "entity", json_object_new_int (7));
  g_assert_cmpstr (attr_string (doc, 3, "entity"), ==, "7");
}

static void
test_span_set_attr_out_of_range (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(QuarryDocument) doc = quarry_document_new ("a", "x", 1, NULL);
      quarry_document_span_set_attr (doc, 7, "entity", json_object_new_string ("leaks if not freed"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*no span 7 (the document has 0)*");
}

/* Messages are formatted on the stack when short and on the heap when not; offsets
 * into the text map to the source. */
static void
test_diagnostics (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("d", "<b>x</b>", 8, "text/html");
  g_autoptr(QuarryEdits) e = quarry_edits_new ();
  g_autofree char *longer = g_strnfill (3000, 'y');
  const QuarryDiagnostic *d;

  quarry_edits_replace (e, 0, 3, "", 0);
  g_assert_true (quarry_document_apply_edits (doc, e, NULL));
  quarry_document_set_stage (doc, "test");
  quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_INFO, "short", 0, "%s %d", "short", 7);
  quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "long", QUARRY_NO_OFFSET, "<%s>", longer);
  for (guint n = 505; n < 515; n++)  /* around the stack buffer's size */
    quarry_document_diagnose_source (doc, QUARRY_DIAGNOSTIC_ERROR, "edge", 99, "%.*s", (int) n, longer);
  g_assert_cmpuint (quarry_document_get_n_diagnostics (doc), ==, 12);
  d = quarry_document_get_diagnostic (doc, 0);
  g_assert_cmpstr (d->message, ==, "short 7");
  g_assert_cmpstr (d->stage, ==, "test");
  g_assert_cmpint (d->source_offset, ==, 3);  /* text byte 0 is source byte 3, after "<b>" */
  d = quarry_document_get_diagnostic (doc, 1);
  g_assert_cmpuint (strlen (d->message), ==, 3002);
  g_assert_cmpint (d->source_offset, ==, -1);
  for (guint n = 505; n < 515; n++)
    {
      d = quarry_document_get_diagnostic (doc, 2 + n - 505);
      g_assert_cmpuint (strlen (d->message), ==, n);
      g_assert_cmpint (d->source_offset, ==, 8);  /* clamped to the source */
    }
  g_assert_cmpuint (quarry_document_count_diagnostics (doc, QUARRY_DIAGNOSTIC_WARNING), ==, 11);
}

static void
test_entity_records (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("e", "x", 1, NULL);
  json_object *list;
  guint n;
  char id[16];

  g_assert_null (quarry_document_get_entities (doc));
  g_strlcpy (id, "LOC:x", sizeof id);
  quarry_document_add_entity (doc, id, "X", "LOC", NULL, 2);
  g_strlcpy (id, "reused", sizeof id);  /* copied */
  quarry_document_add_entity (doc, "kb:1", "One", NULL, "kb:1", 1);
  g_assert_nonnull (quarry_document_get_entity_records (doc, &n));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (quarry_document_get_entity_records (doc, &n)[0].id, ==, "LOC:x");

  /* asked for as JSON: built once, the records are gone, later ones append to it */
  list = quarry_document_get_entities (doc);
  g_assert_cmpstr (json_object_to_json_string_ext (list, JSON_C_TO_STRING_PLAIN), ==,
                   "[{\"id\":\"LOC:x\",\"name\":\"X\",\"label\":\"LOC\",\"kb_id\":null,\"mentions\":2},"
                   "{\"id\":\"kb:1\",\"name\":\"One\",\"label\":null,\"kb_id\":\"kb:1\",\"mentions\":1}]");
  quarry_document_get_entity_records (doc, &n);
  g_assert_cmpuint (n, ==, 0);
  quarry_document_add_entity (doc, "PER:z", "Z", "PER", NULL, 3);
  g_assert_true (quarry_document_get_entities (doc) == list);
  g_assert_cmpuint (json_object_array_length (list), ==, 3);

  /* set_entities replaces everything, records included */
  quarry_document_set_entities (doc, NULL);
  quarry_document_add_entity (doc, "PER:y", "Y", "PER", NULL, 1);
  quarry_document_set_entities (doc, json_object_new_array ());
  quarry_document_get_entity_records (doc, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpuint (json_object_array_length (quarry_document_get_entities (doc)), ==, 0);
}

/* Layers, labels and keys come back interned, whether the caller passed an interned
 * string (known by its address), a literal or a buffer it then reuses. */
static void
test_span_interned_names (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("d", "abc def", 7, NULL);
  const char *entity = g_intern_string ("entity");
  char buf[16];

  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (quarry_document_add_span (doc, entity, g_intern_static_string ("PER"), 0, 3, NULL, NULL),
                       ==, 2 * i);
      /* the same address with other contents each time: read by content, never by address */
      g_snprintf (buf, sizeof buf, "layer-%u", i);
      g_assert_cmpint (quarry_document_add_span (doc, buf, buf, 4, 7, NULL, NULL), ==, 2 * i + 1);
      quarry_document_span_set_attr (doc, 2 * i + 1, buf, json_object_new_int (i));
    }
  for (guint i = 0; i < 3; i++)
    {
      const QuarrySpan *a = quarry_document_peek_span (doc, 2 * i), *b = quarry_document_peek_span (doc, 2 * i + 1);
      g_autofree char *want = g_strdup_printf ("layer-%u", i);
      json_object *v = NULL;

      g_assert_true (a->layer == entity);
      g_assert_true (a->label == g_intern_string ("PER"));
      g_assert_cmpstr (b->layer, ==, want);
      g_assert_true (b->layer == g_intern_string (want));
      g_assert_true (b->label == b->layer);
      g_assert_true (quarry_document_span_get_attr (doc, 2 * i + 1, want, &v));
      g_assert_cmpint (json_object_get_int (v), ==, i);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/document/new/plain", test_new_plain);
  g_test_add_func ("/document/new/utf8-repair", test_utf8_repair);
  g_test_add_func ("/document/new/utf8-random", test_utf8_random);
  g_test_add_func ("/document/new/repairs-capped", test_many_repairs_capped);
  g_test_add_func ("/document/new/empty", test_empty);
  g_test_add_func ("/document/edits/basic", test_edit_basic);
  g_test_add_func ("/document/edits/errors", test_edit_errors);
  g_test_add_func ("/document/edits/insert-at-boundaries", test_insertions_at_boundaries);
  g_test_add_func ("/document/edits/random-model", test_edit_random_model);
  g_test_add_func ("/document/char-offset", test_char_offset);
  g_test_add_func ("/document/fields", test_fields_and_results);
  g_test_add_func ("/document/spans/set-attr", test_span_set_attr);
  g_test_add_func ("/document/spans/set-attr-out-of-range", test_span_set_attr_out_of_range);
  g_test_add_func ("/document/spans/interned-names", test_span_interned_names);
  g_test_add_func ("/document/entities/records", test_entity_records);
  g_test_add_func ("/document/diagnostics", test_diagnostics);
  return g_test_run ();
}
