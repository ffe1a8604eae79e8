/* ex-reply.c: the exec stage's JSON Lines protocol: the request line for a document, and a reply checked whole before it is applied. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ex-reply.h"

#define QUOTE_BYTES 160

/* A JSON string of p[0, n), appended; counts the code points on the way (the text is
 * valid UTF-8: the document guarantees it). Non-ASCII goes out as it is. */
static void
escape_append (GString *s, const char *p, gsize n, gsize *n_chars)
{
  static const char hex[] = "0123456789abcdef";
  gsize run = 0, chars = 0;

  g_string_append_c (s, '"');
  for (gsize i = 0; i < n; i++)
    {
      guchar c = (guchar) p[i];
      chars += (c & 0xC0) != 0x80;
      if (G_LIKELY (c >= 0x20 && c != '"' && c != '\\'))
        continue;
      g_string_append_len (s, p + run, i - run);
      run = i + 1;
      switch (c)
        {
        case '"':  g_string_append_len (s, "\\\"", 2); break;
        case '\\': g_string_append_len (s, "\\\\", 2); break;
        case '\n': g_string_append_len (s, "\\n", 2); break;
        case '\r': g_string_append_len (s, "\\r", 2); break;
        case '\t': g_string_append_len (s, "\\t", 2); break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            g_string_append_len (s, u, 6);
          }
        }
    }
  g_string_append_len (s, p + run, n - run);
  g_string_append_c (s, '"');
  if (n_chars != NULL)
    *n_chars = chars;
}

void
ex_request_build (GString *req, QuarryDocument *doc, const char *const *send_fields,
                  const char *const *send_layers, ExText *text)
{
  const char *id = quarry_document_get_id (doc);
  json_object *fields = quarry_document_get_fields (doc, NULL);
  guint n_spans, n_sent = 0;

  memset (text, 0, sizeof *text);
  text->text = quarry_document_get_text (doc, &text->len);
  g_string_append_len (req, "{\"id\":", 6);
  escape_append (req, id, strlen (id), NULL);
  g_string_append_len (req, ",\"text\":", 8);
  escape_append (req, text->text, text->len, &text->n_chars);

  g_string_append_len (req, ",\"fields\":{", 11);
  for (guint i = 0, n = 0; send_fields[i] != NULL; i++)
    {
      json_object *ns;
      /* only what is there: asking for a namespace must not create it */
      if (!json_object_object_get_ex (fields, send_fields[i], &ns))
        continue;
      if (n++ > 0)
        g_string_append_c (req, ',');
      escape_append (req, send_fields[i], strlen (send_fields[i]), NULL);
      g_string_append_c (req, ':');
      g_string_append (req, json_object_to_json_string_ext (ns, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
  g_string_append_len (req, "},\"spans\":[", 11);
  n_spans = send_layers[0] != NULL ? quarry_document_get_n_spans (doc) : 0;
  for (guint i = 0; i < n_spans; i++)
    {
      const QuarrySpan *sp = quarry_document_peek_span (doc, i);
      gboolean wanted = FALSE;
      for (guint l = 0; send_layers[l] != NULL && !wanted; l++)
        wanted = sp->layer == send_layers[l];  /* both interned */
      if (!wanted)
        continue;
      sp = quarry_document_get_span (doc, i);
      if (n_sent++ > 0)
        g_string_append_c (req, ',');
      g_string_append_len (req, "{\"layer\":", 9);
      escape_append (req, sp->layer, strlen (sp->layer), NULL);
      g_string_append_len (req, ",\"label\":", 9);
      if (sp->label != NULL)
        escape_append (req, sp->label, strlen (sp->label), NULL);
      else
        g_string_append_len (req, "null", 4);
      g_string_append_printf (req, ",\"start\":%" G_GSIZE_FORMAT ",\"end\":%" G_GSIZE_FORMAT ",\"attrs\":%s}",
                              quarry_document_char_offset (doc, sp->start),
                              quarry_document_char_offset (doc, sp->end),
                              sp->attrs != NULL
                                ? json_object_to_json_string_ext (sp->attrs, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                                : "{}");
    }
  g_string_append_len (req, "]}\n", 3);
}

void
ex_text_clear (ExText *text)
{
  g_clear_pointer (&text->byte_at, g_free);
}

/* The byte offset of code point cp (<= n_chars). */
static gsize
text_byte (ExText *t, gsize cp)
{
  if (t->n_chars == t->len)
    return cp;  /* ASCII */
  if (t->byte_at == NULL)
    {
      gsize k = 0;
      t->byte_at = g_new (gsize, t->n_chars + 1);
      for (gsize i = 0; i < t->len; i++)
        if (((guchar) t->text[i] & 0xC0) != 0x80)
          t->byte_at[k++] = i;
      t->byte_at[k] = t->len;
    }
  return t->byte_at[cp];
}

char *
ex_quote (const char *line, gsize len)
{
  const char *end;

  if (len <= QUOTE_BYTES)
    return g_strndup (line, len);
  /* cut before a character that would be split (the line need not be valid UTF-8) */
  end = line + QUOTE_BYTES;
  while (end > line && ((guchar) *end & 0xC0) == 0x80)
    end--;
  return g_strdup_printf ("%.*s... (%" G_GSIZE_FORMAT " bytes)", (int) (end - line), line, len);
}

typedef struct {
  const char  *layer, *label;
  gsize        start, end;
  json_object *attrs;
} PendingSpan;

typedef struct {
  gsize       start, end;
  const char *text;
  gsize       len;
  guint       seq;
} PendingEdit;

typedef struct {
  QuarryDiagnosticLevel level;
  const char           *code, *message;
  gssize                offset;
} PendingDiag;

static int
edit_cmp (const void *a, const void *b)
{
  const PendingEdit *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end < y->end ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A member that must be a non-negative integer code-point offset within the text. */
static char *
read_offset (json_object *o, const char *where, const char *key, const ExText *t, gsize *out)
{
  json_object *v;
  gint64 x;

  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_int))
    return g_strdup_printf ("%s: '%s' must be an integer (a code-point offset)", where, key);
  x = json_object_get_int64 (v);
  if (x < 0 || (guint64) x > t->n_chars)
    return g_strdup_printf ("%s: %s %" G_GINT64_FORMAT " is outside the text (0..%" G_GSIZE_FORMAT " code points)",
                            where, key, x, t->n_chars);
  *out = (gsize) x;
  return NULL;
}

/* A member that must be a string (optional ones may be absent or null: *out NULL). */
static char *
read_string (json_object *o, const char *where, const char *key, gboolean optional, const char **out, gsize *len)
{
  json_object *v = NULL;

  *out = NULL;
  if (!json_object_object_get_ex (o, key, &v) || json_object_is_type (v, json_type_null))
    return optional ? NULL : g_strdup_printf ("%s: '%s' is missing", where, key);
  if (!json_object_is_type (v, json_type_string))
    return g_strdup_printf ("%s: '%s' must be a string", where, key);
  *out = json_object_get_string (v);
  if (len != NULL)
    *len = json_object_get_string_len (v);
  if ((gsize) json_object_get_string_len (v) != strlen (*out))
    return g_strdup_printf ("%s: '%s' holds a NUL character", where, key);
  if (!g_utf8_validate (*out, -1, NULL))
    return g_strdup_printf ("%s: '%s' is not valid UTF-8", where, key);
  return NULL;
}

/* Only these keys in an object of the reply: a misspelt key would be lost silently. */
static char *
check_keys (json_object *o, const char *where, const char *const *allowed)
{
  json_object_object_foreach (o, key, val)
    {
      gboolean ok = FALSE;
      (void) val;
      for (guint i = 0; allowed[i] != NULL && !ok; i++)
        ok = g_str_equal (key, allowed[i]);
      if (!ok)
        {
          g_autofree char *list = g_strjoinv (", ", (char **) allowed);
          return g_strdup_printf ("%s: unknown key '%s' (known: %s)", where, key, list);
        }
    }
  return NULL;
}

static json_object *
array_member (json_object *reply, const char *key, char **why)
{
  json_object *v;
  if (!json_object_object_get_ex (reply, key, &v) || json_object_is_type (v, json_type_null))
    return NULL;
  if (!json_object_is_type (v, json_type_array))
    *why = g_strdup_printf ("'%s' must be an array", key);
  return v;
}

/* Checks the whole reply; fills the pending lists. Returns the problem, or NULL. */
static char *
check_reply (QuarryDocument *doc, const ExDeclared *decl, ExText *t, json_object *reply,
             GArray *spans, GArray *edits, GArray *diags, json_object **fields_out)
{
  static const char *const top_keys[] = { "id", "spans", "fields", "edits", "diagnostics", NULL };
  static const char *const span_keys[] = { "layer", "label", "start", "end", "attrs", NULL };
  static const char *const edit_keys[] = { "start", "end", "text", NULL };
  static const char *const diag_keys[] = { "level", "code", "message", "start", NULL };
  char *why = NULL;
  json_object *arr, *v;

  if (!json_object_is_type (reply, json_type_object))
    return g_strdup ("the reply must be a JSON object");
  if ((why = check_keys (reply, "reply", top_keys)) != NULL)
    return why;
  if (json_object_object_get_ex (reply, "id", &v) && !json_object_is_type (v, json_type_null) &&
      (!json_object_is_type (v, json_type_string) || !g_str_equal (json_object_get_string (v), quarry_document_get_id (doc))))
    return g_strdup_printf ("'id' %s is not the id of the document sent ('%s'): the replies are out of step",
                            json_object_to_json_string (v), quarry_document_get_id (doc));

  if ((arr = array_member (reply, "spans", &why)) != NULL && why == NULL)
    for (gsize i = 0; i < json_object_array_length (arr); i++)
      {
        json_object *o = json_object_array_get_idx (arr, i);
        g_autofree char *where = g_strdup_printf ("spans[%" G_GSIZE_FORMAT "]", i);
        PendingSpan ps = { 0 };
        if (!json_object_is_type (o, json_type_object))
          return g_strdup_printf ("%s must be an object", where);
        if ((why = check_keys (o, where, span_keys)) != NULL ||
            (why = read_string (o, where, "layer", FALSE, &ps.layer, NULL)) != NULL ||
            (why = read_string (o, where, "label", TRUE, &ps.label, NULL)) != NULL ||
            (why = read_offset (o, where, "start", t, &ps.start)) != NULL ||
            (why = read_offset (o, where, "end", t, &ps.end)) != NULL)
          return why;
        if (ps.end < ps.start)
          return g_strdup_printf ("%s: end %" G_GSIZE_FORMAT " is before start %" G_GSIZE_FORMAT, where, ps.end, ps.start);
        if (!g_hash_table_contains (decl->layers, ps.layer))
          return g_strdup_printf ("%s: layer '%s' is not declared; add 'layer:%s' to the stage's provides",
                                  where, ps.layer, ps.layer);
        if (json_object_object_get_ex (o, "attrs", &ps.attrs) && !json_object_is_type (ps.attrs, json_type_null) &&
            !json_object_is_type (ps.attrs, json_type_object))
          return g_strdup_printf ("%s: 'attrs' must be an object", where);
        if (ps.attrs != NULL && json_object_is_type (ps.attrs, json_type_null))
          ps.attrs = NULL;
        ps.start = text_byte (t, ps.start);
        ps.end = text_byte (t, ps.end);
        g_array_append_val (spans, ps);
      }
  if (why != NULL)
    return why;

  if (json_object_object_get_ex (reply, "fields", &v) && !json_object_is_type (v, json_type_null))
    {
      if (!json_object_is_type (v, json_type_object))
        return g_strdup ("'fields' must be an object of namespaces");
      json_object_object_foreach (v, ns, members)
        {
          if (!g_hash_table_contains (decl->namespaces, ns))
            return g_strdup_printf ("fields: namespace '%s' is not declared; add 'field:%s' to the stage's provides", ns, ns);
          if (!json_object_is_type (members, json_type_object))
            return g_strdup_printf ("fields.%s must be an object", ns);
        }
      *fields_out = v;
    }

  if ((arr = array_member (reply, "edits", &why)) != NULL && why == NULL)
    {
      for (gsize i = 0; i < json_object_array_length (arr); i++)
        {
          json_object *o = json_object_array_get_idx (arr, i);
          g_autofree char *where = g_strdup_printf ("edits[%" G_GSIZE_FORMAT "]", i);
          PendingEdit pe = { 0 };
          if (!json_object_is_type (o, json_type_object))
            return g_strdup_printf ("%s must be an object", where);
          if ((why = check_keys (o, where, edit_keys)) != NULL ||
              (why = read_offset (o, where, "start", t, &pe.start)) != NULL ||
              (why = read_offset (o, where, "end", t, &pe.end)) != NULL ||
              (why = read_string (o, where, "text", FALSE, &pe.text, &pe.len)) != NULL)
            return why;
          if (pe.end < pe.start)
            return g_strdup_printf ("%s: end %" G_GSIZE_FORMAT " is before start %" G_GSIZE_FORMAT, where, pe.end, pe.start);
          pe.seq = i;
          g_array_append_val (edits, pe);
        }
      /* the document's own rule (core/document.c): sorted, no edit starts before the last ends */
      g_array_sort (edits, edit_cmp);
      for (guint i = 1; i < edits->len; i++)
        {
          PendingEdit *a = &g_array_index (edits, PendingEdit, i - 1), *b = &g_array_index (edits, PendingEdit, i);
          if (b->start < a->end)
            return g_strdup_printf ("edits[%u] [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT ") and edits[%u] [%" G_GSIZE_FORMAT
                                    ", %" G_GSIZE_FORMAT ") overlap", a->seq, a->start, a->end, b->seq, b->start, b->end);
        }
      for (guint i = 0; i < edits->len; i++)
        {
          PendingEdit *e = &g_array_index (edits, PendingEdit, i);
          e->start = text_byte (t, e->start);
          e->end = text_byte (t, e->end);
        }
    }
  if (why != NULL)
    return why;

  if ((arr = array_member (reply, "diagnostics", &why)) != NULL && why == NULL)
    for (gsize i = 0; i < json_object_array_length (arr); i++)
      {
        json_object *o = json_object_array_get_idx (arr, i);
        g_autofree char *where = g_strdup_printf ("diagnostics[%" G_GSIZE_FORMAT "]", i);
        PendingDiag pd = { 0 };
        const char *level;
        if (!json_object_is_type (o, json_type_object))
          return g_strdup_printf ("%s must be an object", where);
        if ((why = check_keys (o, where, diag_keys)) != NULL ||
            (why = read_string (o, where, "level", FALSE, &level, NULL)) != NULL ||
            (why = read_string (o, where, "code", FALSE, &pd.code, NULL)) != NULL ||
            (why = read_string (o, where, "message", FALSE, &pd.message, NULL)) != NULL)
          return why;
        if (g_str_equal (level, "info"))
          pd.level = QUARRY_DIAGNOSTIC_INFO;
        else if (g_str_equal (level, "warning"))
          pd.level = QUARRY_DIAGNOSTIC_WARNING;
        else if (g_str_equal (level, "error"))
          pd.level = QUARRY_DIAGNOSTIC_ERROR;
        else
          return g_strdup_printf ("%s: level '%s' is not info, warning or error", where, level);
        if (pd.code[0] == '\0')
          return g_strdup_printf ("%s: 'code' is empty", where);
        pd.offset = QUARRY_NO_OFFSET;
        if (json_object_object_get_ex (o, "start", &v))
          {
            gsize cp;
            if ((why = read_offset (o, where, "start", t, &cp)) != NULL)
              return why;
            pd.offset = (gssize) text_byte (t, cp);
          }
        g_array_append_val (diags, pd);
      }
  return why;
}

gboolean
ex_reply_apply (QuarryDocument *doc, const ExDeclared *decl, ExText *text,
                const char *line, gsize line_len, GError **error)
{
  json_tokener *tok;
  json_object *reply, *fields = NULL;
  g_autoptr(GArray) spans = NULL, edits = NULL, diags = NULL;
  g_autofree char *why = NULL;
  gsize end = line_len;

  /* a CRLF line end is a line end */
  if (end > 0 && line[end - 1] == '\r')
    end--;
  if (memchr (line, '\0', end) != NULL)
    why = g_strdup ("the reply holds a NUL byte");
  else
    {
      tok = json_tokener_new_ex (64);
      reply = json_tokener_parse_ex (tok, line, (int) MIN (end, (gsize) G_MAXINT));
      if (reply == NULL || json_tokener_get_error (tok) != json_tokener_success)
        why = g_strdup_printf ("the reply is not a JSON value (%s)",
                               json_tokener_error_desc (json_tokener_get_error (tok) == json_tokener_continue
                                                        ? json_tokener_error_parse_eof : json_tokener_get_error (tok)));
      else
        {
          gsize used = json_tokener_get_parse_end (tok);
          while (used < end && g_ascii_isspace (line[used]))
            used++;
          if (used < end)
            why = g_strdup_printf ("the reply goes on after its JSON value, at byte %" G_GSIZE_FORMAT, used);
        }
      json_tokener_free (tok);
      if (why != NULL)
        {
          json_object_put (reply);
          reply = NULL;
        }
    }
  if (why == NULL)
    {
      spans = g_array_new (FALSE, FALSE, sizeof (PendingSpan));
      edits = g_array_new (FALSE, FALSE, sizeof (PendingEdit));
      diags = g_array_new (FALSE, FALSE, sizeof (PendingDiag));
      why = check_reply (doc, decl, text, reply, spans, edits, diags, &fields);
    }
  if (why != NULL)
    {
      g_autofree char *quote = ex_quote (line, line_len);
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS,
                   "bad reply from the co-process: %s; nothing of it was applied; the reply: %s", why, quote);
      json_object_put (reply);
      return FALSE;
    }

  /* all checked: apply. Spans first, at the offsets of the text as sent; the edits then move them. */
  for (guint i = 0; i < spans->len; i++)
    {
      PendingSpan *ps = &g_array_index (spans, PendingSpan, i);
      if (quarry_document_add_span (doc, ps->layer, ps->label, ps->start, ps->end,
                                    ps->attrs ? json_object_get (ps->attrs) : NULL, error) < 0)
        g_return_val_if_reached ((json_object_put (reply), FALSE));  /* checked above */
    }
  if (fields != NULL)
    {
      json_object_object_foreach (fields, ns, members)
        {
          json_object *dst = quarry_document_get_fields (doc, ns);
          json_object_object_foreach (members, key, val)
            json_object_object_add (dst, key, json_object_get (val));
        }
    }
  for (guint i = 0; i < diags->len; i++)
    {
      PendingDiag *pd = &g_array_index (diags, PendingDiag, i);
      quarry_document_diagnose (doc, pd->level, pd->code, pd->offset, "%s", pd->message);
    }
  if (edits->len > 0)
    {
      g_autoptr(QuarryEdits) batch = quarry_edits_new ();
      /* in the order the co-process gave them: two insertions at one offset keep it */
      g_array_sort (edits, edit_cmp);
      for (guint i = 0; i < edits->len; i++)
        {
          PendingEdit *pe = &g_array_index (edits, PendingEdit, i);
          quarry_edits_replace (batch, pe->start, pe->end, pe->text, pe->len);
        }
      if (!quarry_document_apply_edits (doc, batch, error))
        g_return_val_if_reached ((json_object_put (reply), FALSE));  /* checked above */
    }
  json_object_put (reply);
  return TRUE;
}
