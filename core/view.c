/* view.c: `quarry view`: records and run reports as one self-contained HTML page. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "view.h"

/* ---- escaping: every byte of a record reaches the page through one of these ---- */

static void
put_escaped (GString *out, const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    switch (s[i])
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\'': g_string_append (out, "&#39;"); break;
      case '\0': g_string_append (out, "\xEF\xBF\xBD"); break;  /* U+FFFD: a NUL is no text */
      default: g_string_append_c (out, s[i]);
      }
}

static void
put_esc (GString *out, const char *s)
{
  if (s != NULL)
    put_escaped (out, s, strlen (s));
}

static void G_GNUC_PRINTF (2, 3)
put_escf (GString *out, const char *format, ...)
{
  va_list ap;
  g_autofree char *s = NULL;

  va_start (ap, format);
  s = g_strdup_vprintf (format, ap);
  va_end (ap);
  put_esc (out, s);
}

/* A JSON value as the page shows it: strings as they are, arrays of strings joined,
 * anything else as compact JSON. */
static void
put_value (GString *out, json_object *v)
{
  if (v == NULL)
    g_string_append (out, "<i>null</i>");
  else if (json_object_is_type (v, json_type_string))
    put_esc (out, json_object_get_string (v));
  else if (json_object_is_type (v, json_type_array))
    {
      for (gsize i = 0; i < json_object_array_length (v); i++)
        {
          json_object *e = json_object_array_get_idx (v, i);
          if (i > 0)
            g_string_append (out, json_object_is_type (e, json_type_object) ? "<br>" : ", ");
          put_value (out, e);
        }
    }
  else if (json_object_is_type (v, json_type_object))
    {
      gboolean first = TRUE;
      json_object_object_foreach (v, key, val)
        {
          g_string_append (out, first ? "<i>" : "; <i>");
          put_esc (out, key);
          g_string_append (out, "</i> ");
          put_value (out, val);
          first = FALSE;
        }
    }
  else
    put_esc (out, json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static const char *
get_str (json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_string) ? json_object_get_string (v) : NULL;
}

static gboolean
get_int (json_object *o, const char *key, gint64 *value)
{
  json_object *v;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_int))
    return FALSE;
  *value = json_object_get_int64 (v);
  return TRUE;
}

static double
get_double (json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex (o, key, &v) && (json_object_is_type (v, json_type_double) || json_object_is_type (v, json_type_int))
         ? json_object_get_double (v) : 0.0;
}

/* ---- the page ---- */

static const char page_style[] =
  "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2327;background:#f6f7f7}"
  "header.top{background:#23282d;color:#fff;padding:.6em 1.2em}header.top h1{font-size:1.1em;margin:0}"
  "main{padding:1em 1.2em}section.rec,section.report{background:#fff;border:1px solid #dcdcde;border-radius:6px;margin:0 0 1.5em;padding:1em 1.2em}"
  "h2{font-size:1.15em;margin:.1em 0 .6em}h3{font-size:1em;margin:.8em 0 .4em}"
  "table{border-collapse:collapse;font-size:.92em}td,th{border:1px solid #dcdcde;padding:.2em .5em;text-align:left;vertical-align:top}"
  "th{background:#f0f0f1;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}"
  ".cols{display:flex;gap:1.2em;align-items:flex-start}.cols>.text{flex:1;min-width:0}"
  "pre.text{white-space:pre-wrap;word-wrap:break-word;font:14px/2.3 ui-monospace,monospace;margin:0}"
  "aside.ents{width:17em;flex:none;font-size:.9em;max-height:80vh;overflow:auto;position:sticky;top:.5em}"
  "aside.ents ol{padding-left:2.4em;margin:0}aside.ents li{margin:.1em 0}aside.ents .c{color:#646970}"
  "mark{position:relative;background:none;color:inherit;border-radius:3px;padding:0 1px;outline:none}"
  "mark::after{content:attr(data-label);font:600 9px/1 system-ui,sans-serif;vertical-align:super;margin-left:1px;opacity:.85}"
  "mark:hover::before,mark:focus::before{content:attr(data-tip);position:absolute;left:0;top:100%;z-index:9;white-space:pre;"
  "background:#23282d;color:#fff;font:12px/1.35 system-ui,sans-serif;padding:.3em .5em;border-radius:4px;margin-top:2px}"
  "mark:focus{box-shadow:0 0 0 2px #2271b1}mark.hl{box-shadow:0 0 0 2px #d63638}"
  ".lab{display:inline-block;font:600 10px/1.5 system-ui,sans-serif;padding:0 .35em;border-radius:3px}"
  ".sum{background:#fcf9e8;border-left:3px solid #dba617;padding:.4em .7em;margin:.4em 0 .8em}"
  "span.s{background:#fcf3c5}span.u{padding-bottom:var(--d);border-bottom:2px solid var(--c)}"
  ".legend span{margin-right:1em}.warn{color:#b32d2e}details{margin:.6em 0}"
  "svg text{font:12px system-ui,sans-serif}";

/* Mentions get the colour of their label: the four CoNLL labels fixed, others from a
 * small palette by a hash of the label, so a label keeps its colour across pages. */
static const char *const palette[] = { "#72aee6", "#8fd694", "#f2a65a", "#c792ea", "#f08d8d", "#7fd1c7", "#e3c567", "#b0b8c1" };

static const char *
label_colour (const char *label)
{
  static const struct { const char *label, *colour; } fixed[] = {
    { "PER", "#f5b7b1" }, { "LOC", "#aed6f1" }, { "ORG", "#abebc6" }, { "MISC", "#f9e79f" },
  };
  if (label == NULL)
    return "#d5d8dc";
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    if (strcmp (label, fixed[i].label) == 0)
      return fixed[i].colour;
  return palette[g_str_hash (label) % G_N_ELEMENTS (palette)];
}

/* Underline colours of the other layers, by their place in --layers. */
static const char *const layer_colours[] = { "#2271b1", "#d63638", "#00a32a", "#996800", "#8c5fc1", "#3c434a" };

/* One click on an entity in the list marks all its mentions and jumps to the first. */
static const char page_script[] =
  "document.addEventListener('click',function(e){var a=e.target.closest('a[data-ent]');if(!a)return;"
  "var s=a.closest('section');s.querySelectorAll('mark.hl').forEach(function(m){m.classList.remove('hl')});"
  "s.querySelectorAll('mark').forEach(function(m){if(m.dataset.ent===a.dataset.ent)m.classList.add('hl')});});";

static void
page_begin (GString *out, const char *title)
{
  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
                        "<meta name=\"generator\" content=\"quarry view " PACKAGE_VERSION "\">\n<title>");
  put_esc (out, title);
  g_string_append_printf (out, "</title>\n<style>%s</style>\n</head>\n<body>\n<header class=\"top\"><h1>", page_style);
  put_esc (out, title);
  g_string_append (out, "</h1></header>\n<main>\n");
}

static void
page_end (GString *out)
{
  g_string_append_printf (out, "</main>\n<script>%s</script>\n</body>\n</html>\n", page_script);
}

/* ---- a record's text with its spans drawn ---- */

typedef struct {
  gint64      start, end;      /* code points */
  guint       layer;           /* index in the chosen layers; the summary's is n_layers */
  gboolean    whole;           /* drawn as one element (the first layer), never split */
  guint       order;           /* place in the record, for ties */
  json_object *span;           /* the record's span (NULL for a summary sentence) */
  guint       mention;         /* for whole spans: the element's number */
} Draw;

typedef struct {
  const char *rid;             /* the record's number in the page, for element ids */
  char      **layers;
  guint       n_layers;
  json_object *entities;       /* the record's entities, by id */
} DrawCtx;

/* Nesting order of the spans open over a stretch of text: the one that starts first
 * outside, then the longer, a whole span outside a piece with the same range. Pieces
 * never cross a whole span (split_pieces), so whole spans are never closed early. */
static gint
draw_nest_cmp (gconstpointer a, gconstpointer b)
{
  const Draw *x = *(Draw *const *) a, *y = *(Draw *const *) b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end > y->end ? -1 : 1;
  if (x->whole != y->whole)
    return x->whole ? -1 : 1;
  if (x->layer != y->layer)
    return x->layer < y->layer ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gint
draw_start_cmp (gconstpointer a, gconstpointer b)
{
  const Draw *x = a, *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end > y->end ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static gint
gint64_cmp (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

/* The text of a tooltip: label, entity, knowledge-base id and every attribute. */
static char *
mention_tip (const DrawCtx *c, const Draw *d)
{
  GString *tip = g_string_new (NULL);
  const char *label = get_str (d->span, "label");
  const char *ent;
  json_object *attrs, *e = NULL;

  g_string_append_printf (tip, "%s%s%s", c->layers[d->layer], label ? " " : "", label ? label : "");
  if (json_object_object_get_ex (d->span, "attrs", &attrs) && json_object_is_type (attrs, json_type_object))
    {
      if ((ent = get_str (attrs, "entity")) != NULL && c->entities != NULL)
        json_object_object_get_ex (c->entities, ent, &e);
      if (e != NULL)
        {
          const char *name = get_str (e, "name"), *kb = get_str (e, "kb_id");
          g_string_append_printf (tip, "\nentity %s%s%s%s", ent, name ? " (" : "", name ? name : "", name ? ")" : "");
          g_string_append_printf (tip, "\nKB id %s", kb ? kb : "none (not linked)");
        }
      json_object_object_foreach (attrs, key, val)
        {
          if (strcmp (key, "entity") == 0 && e != NULL)
            continue;
          g_string_append_printf (tip, "\n%s: %s", key, json_object_is_type (val, json_type_string)
                                  ? json_object_get_string (val)
                                  : json_object_to_json_string_ext (val, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        }
    }
  g_string_append_printf (tip, "\n[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")", d->start, d->end);
  return g_string_free (tip, FALSE);
}

static void
open_element (GString *out, const DrawCtx *c, const Draw *d)
{
  if (d->layer == c->n_layers)
    {
      g_string_append (out, "<span class=\"s\">");
      return;
    }
  if (d->whole)
    {
      const char *label = get_str (d->span, "label");
      json_object *attrs;
      const char *ent = json_object_object_get_ex (d->span, "attrs", &attrs) ? get_str (attrs, "entity") : NULL;
      g_autofree char *tip = mention_tip (c, d);

      g_string_append_printf (out, "<mark id=\"m%s-%u\" tabindex=\"0\" data-layer=\"", c->rid, d->mention);
      put_esc (out, c->layers[d->layer]);
      g_string_append (out, "\" data-label=\"");
      put_esc (out, label);
      g_string_append (out, "\" data-ent=\"");
      put_esc (out, ent);
      g_string_append (out, "\" data-tip=\"");
      put_esc (out, tip);
      g_string_append_printf (out, "\" style=\"background:%s\">", label_colour (label));
      return;
    }
  {
    const char *label = get_str (d->span, "label");
    g_string_append_printf (out, "<span class=\"u\" style=\"--c:%s;--d:%upx\" title=\"",
                            layer_colours[d->layer % G_N_ELEMENTS (layer_colours)], 2 + 4 * d->layer);
    put_esc (out, c->layers[d->layer]);
    if (label != NULL)
      {
        g_string_append_c (out, ' ');
        put_esc (out, label);
      }
    g_string_append (out, "\">");
  }
}

static void
close_element (GString *out, const DrawCtx *c, const Draw *d)
{
  g_string_append (out, d->whole && d->layer < c->n_layers ? "</mark>" : "</span>");
}

static gint
gint64_cmp (gconstpointer a, gconstpointer b);

/* A whole span's range, in two sorted lists for split_pieces. */
typedef struct {
  gint64 start, end;
} Range;

static gint
range_start_cmp (gconstpointer a, gconstpointer b)
{
  const Range *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

static gint
range_end_cmp (gconstpointer a, gconstpointer b)
{
  const Range *x = a, *y = b;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* The first index of sorted whose key (start or end) is > pos. */
static guint
range_upper (GArray *sorted, gint64 pos, gboolean by_end)
{
  guint lo = 0, hi = sorted->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const Range *r = &g_array_index (sorted, Range, mid);
      if ((by_end ? r->end : r->start) <= pos)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Cuts every span that is not drawn whole where a whole span it crosses starts or ends,
 * so that no piece crosses a whole span: elements must nest, spans need not. A span
 * that contains a whole span, or lies inside one, stays in one piece. The cost is the
 * number of whole-span ends inside each span, not whole spans times spans. */
static void
split_pieces (GArray *draws)
{
  g_autoptr(GArray) by_start = g_array_new (FALSE, FALSE, sizeof (Range));
  g_autoptr(GArray) by_end = NULL;
  g_autoptr(GArray) cuts = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = draws->len;

  for (guint i = 0; i < n; i++)
    {
      const Draw *d = &g_array_index (draws, Draw, i);
      if (d->whole)
        {
          Range r = { d->start, d->end };
          g_array_append_val (by_start, r);
        }
    }
  if (by_start->len == 0)
    return;
  by_end = g_array_sized_new (FALSE, FALSE, sizeof (Range), by_start->len);
  g_array_append_vals (by_end, by_start->data, by_start->len);
  g_array_sort (by_start, range_start_cmp);
  g_array_sort (by_end, range_end_cmp);
  for (guint i = 0; i < n; i++)
    {
      Draw d = g_array_index (draws, Draw, i);
      gint64 from;

      if (d.whole)
        continue;
      g_array_set_size (cuts, 0);
      /* whole spans that start inside d and end after it */
      for (guint k = range_upper (by_start, d.start, FALSE); k < by_start->len; k++)
        {
          const Range *w = &g_array_index (by_start, Range, k);
          if (w->start >= d.end)
            break;
          if (w->end > d.end)
            g_array_append_val (cuts, w->start);
        }
      /* whole spans that end inside d and start before it */
      for (guint k = range_upper (by_end, d.start, TRUE); k < by_end->len; k++)
        {
          const Range *w = &g_array_index (by_end, Range, k);
          if (w->end >= d.end)
            break;
          if (w->start < d.start)
            g_array_append_val (cuts, w->end);
        }
      if (cuts->len == 0)
        continue;
      g_array_sort (cuts, gint64_cmp);
      from = d.start;
      for (guint k = 0; k <= cuts->len; k++)
        {
          gint64 to = k < cuts->len ? g_array_index (cuts, gint64, k) : d.end;
          Draw piece = d;
          if (to <= from)
            continue;
          piece.start = from;
          piece.end = to;
          if (from == d.start)
            g_array_index (draws, Draw, i) = piece;
          else
            g_array_append_val (draws, piece);
          from = to;
        }
    }
}

/* Writes text [0, n_cp) with the spans drawn. offs[i] is the byte offset of code point i. */
static void
draw_text (GString *out, const DrawCtx *c, const char *text, const gsize *offs, gint64 n_cp, GArray *draws)
{
  g_autoptr(GArray) bounds = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) active = g_ptr_array_new ();
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  gint64 zero = 0, pos;
  guint next = 0;

  split_pieces (draws);
  g_array_sort (draws, draw_start_cmp);
  g_array_append_val (bounds, zero);
  g_array_append_val (bounds, n_cp);
  for (guint i = 0; i < draws->len; i++)
    {
      Draw *d = &g_array_index (draws, Draw, i);
      g_array_append_val (bounds, d->start);
      g_array_append_val (bounds, d->end);
    }
  g_array_sort (bounds, gint64_cmp);
  g_string_append (out, "<pre class=\"text\">");
  for (guint b = 0; b + 1 < bounds->len; b++)
    {
      gint64 end;
      guint keep = 0;

      pos = g_array_index (bounds, gint64, b);
      end = g_array_index (bounds, gint64, b + 1);
      if (end == pos)
        continue;
      /* the spans over [pos, end): drop the ended, add the started, in nesting order */
      for (guint i = 0; i < active->len;)
        if (((Draw *) active->pdata[i])->end <= pos)
          g_ptr_array_remove_index (active, i);
        else
          i++;
      while (next < draws->len && g_array_index (draws, Draw, next).start <= pos)
        {
          Draw *d = &g_array_index (draws, Draw, next++);
          if (d->end > pos)
            g_ptr_array_add (active, d);
        }
      g_ptr_array_sort (active, draw_nest_cmp);
      while (keep < stack->len && keep < active->len && stack->pdata[keep] == active->pdata[keep])
        keep++;
      while (stack->len > keep)
        {
          close_element (out, c, stack->pdata[stack->len - 1]);
          g_ptr_array_remove_index (stack, stack->len - 1);
        }
      for (guint i = keep; i < active->len; i++)
        {
          open_element (out, c, active->pdata[i]);
          g_ptr_array_add (stack, active->pdata[i]);
        }
      put_escaped (out, text + offs[pos], offs[end] - offs[pos]);
    }
  while (stack->len > 0)
    {
      close_element (out, c, stack->pdata[stack->len - 1]);
      g_ptr_array_remove_index (stack, stack->len - 1);
    }
  g_string_append (out, "</pre>\n");
}

/* ---- one record ---- */

/* Reads start and end (code points) of a span object; FALSE when missing or outside. */
static gboolean
span_range (json_object *s, gint64 n_cp, gint64 *start, gint64 *end)
{
  return get_int (s, "start", start) && get_int (s, "end", end) && *start >= 0 && *start <= *end && *end <= n_cp;
}

static void
put_header_table (GString *out, json_object *rec)
{
  json_object *fields, *header;

  if (!json_object_object_get_ex (rec, "fields", &fields) || !json_object_object_get_ex (fields, "header", &header)
      || !json_object_is_type (header, json_type_object) || json_object_object_length (header) == 0)
    {
      g_string_append (out, "<p><i>No header fields.</i></p>\n");
      return;
    }
  g_string_append (out, "<table class=\"hdr\">\n");
  json_object_object_foreach (header, key, val)
    {
      g_string_append (out, "<tr><th>");
      put_esc (out, key);
      g_string_append (out, "</th><td>");
      put_value (out, val);
      g_string_append (out, "</td></tr>\n");
    }
  g_string_append (out, "</table>\n");
}

static void
put_diagnostics (GString *out, json_object *rec)
{
  json_object *diags;
  gsize n;

  if (!json_object_object_get_ex (rec, "diagnostics", &diags) || !json_object_is_type (diags, json_type_array)
      || (n = json_object_array_length (diags)) == 0)
    return;
  g_string_append_printf (out, "<details><summary>Diagnostics (%zu)</summary>\n<table>\n"
                               "<tr><th>level</th><th>stage</th><th>code</th><th>message</th></tr>\n", n);
  for (gsize i = 0; i < n; i++)
    {
      json_object *d = json_object_array_get_idx (diags, i);
      g_string_append (out, "<tr><td>");
      put_esc (out, get_str (d, "level"));
      g_string_append (out, "</td><td>");
      put_esc (out, get_str (d, "stage"));
      g_string_append (out, "</td><td>");
      put_esc (out, get_str (d, "code"));
      g_string_append (out, "</td><td>");
      put_esc (out, get_str (d, "message"));
      g_string_append (out, "</td></tr>\n");
    }
  g_string_append (out, "</table></details>\n");
}

/* The entity list beside the text: one line per entity (or per label and text, for
 * mentions no stage linked), its mention count, a link to its first mention. */
typedef struct {
  char   *key, *name, *label;
  guint   count, first;
} EntRow;

static void
ent_row_free (gpointer p)
{
  EntRow *r = p;
  g_free (r->key);
  g_free (r->name);
  g_free (r->label);
  g_free (r);
}

static gint
ent_row_cmp (gconstpointer a, gconstpointer b)
{
  const EntRow *x = *(EntRow *const *) a, *y = *(EntRow *const *) b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return x->first < y->first ? -1 : x->first > y->first;
}

static void
put_entity_list (GString *out, const DrawCtx *c, GArray *draws, const char *text, const gsize *offs)
{
  g_autoptr(GHashTable) rows = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (ent_row_free);
  guint mentions = 0;

  for (guint i = 0; i < draws->len; i++)
    {
      const Draw *d = &g_array_index (draws, Draw, i);
      const char *label, *ent = NULL;
      json_object *attrs, *e = NULL;
      g_autofree char *key = NULL, *mtext = NULL;
      EntRow *r;

      if (!d->whole || d->layer != 0)
        continue;
      mentions++;
      label = get_str (d->span, "label");
      if (json_object_object_get_ex (d->span, "attrs", &attrs))
        ent = get_str (attrs, "entity");
      mtext = g_strndup (text + offs[d->start], offs[d->end] - offs[d->start]);
      key = ent != NULL ? g_strconcat ("e:", ent, NULL) : g_strconcat ("t:", label ? label : "", "\n", mtext, NULL);
      r = g_hash_table_lookup (rows, key);
      if (r == NULL)
        {
          r = g_new0 (EntRow, 1);
          r->key = g_steal_pointer (&key);
          if (ent != NULL && c->entities != NULL)
            json_object_object_get_ex (c->entities, ent, &e);
          r->name = g_strdup (e != NULL && get_str (e, "name") ? get_str (e, "name") : mtext);
          r->label = g_strdup (label);
          r->first = d->mention;
          g_hash_table_insert (rows, r->key, r);
          g_ptr_array_add (list, r);
        }
      r->count++;
    }
  g_ptr_array_sort (list, ent_row_cmp);
  g_string_append_printf (out, "<aside class=\"ents\"><h3>%s (%u, %u mentions)</h3>\n<ol>\n",
                          strcmp (c->layers[0], "entity") == 0 ? "Entities" : c->layers[0], list->len, mentions);
  for (guint i = 0; i < list->len; i++)
    {
      const EntRow *r = list->pdata[i];
      g_string_append_printf (out, "<li><a href=\"#m%s-%u\" data-ent=\"", c->rid, r->first);
      put_esc (out, g_str_has_prefix (r->key, "e:") ? r->key + 2 : "");
      g_string_append (out, "\">");
      put_esc (out, r->name);
      g_string_append (out, "</a> ");
      if (r->label != NULL)
        {
          g_string_append_printf (out, "<span class=\"lab\" style=\"background:%s\">", label_colour (r->label));
          put_esc (out, r->label);
          g_string_append (out, "</span> ");
        }
      g_string_append_printf (out, "<span class=\"c\">&times;%u</span></li>\n", r->count);
    }
  g_string_append (out, "</ol></aside>\n");
}

/* Renders one record; FALSE with error when the record cannot be drawn (no text, text
 * not valid UTF-8). Spans that do not fit the text are counted and left out. */
static gboolean
put_record (GString *out, json_object *rec, guint index, char **layers, GError **error)
{
  DrawCtx c = { .layers = layers, .n_layers = g_strv_length (layers) };
  g_autofree char *rid = g_strdup_printf ("%u", index);
  g_autofree gsize *offs = NULL;
  g_autoptr(GArray) draws = g_array_new (FALSE, FALSE, sizeof (Draw));
  json_object *spans, *summary, *ents, *sentences;
  const char *text = get_str (rec, "text"), *id = get_str (rec, "id"), *p;
  gint64 n_cp = 0;
  guint bad = 0, order = 0, mention = 0;
  gsize len;

  c.rid = rid;
  if (text == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "has no \"text\" string: not a Quarry output record");
      return FALSE;
    }
  len = json_object_get_string_len (json_object_object_get (rec, "text"));
  if (!g_utf8_validate_len (text, len, NULL))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "its text is not valid UTF-8");
      return FALSE;
    }
  offs = g_new (gsize, len + 1);
  for (p = text; p < text + len; p = g_utf8_next_char (p))
    offs[n_cp++] = p - text;
  offs[n_cp] = len;

  /* entities by id, for the tooltips and the list */
  if (json_object_object_get_ex (rec, "entities", &ents) && json_object_is_type (ents, json_type_array))
    {
      c.entities = json_object_new_object ();
      for (gsize i = 0; i < json_object_array_length (ents); i++)
        {
          json_object *e = json_object_array_get_idx (ents, i);
          const char *eid = get_str (e, "id");
          if (eid != NULL)
            json_object_object_add (c.entities, eid, json_object_get (e));
        }
    }

  if (json_object_object_get_ex (rec, "spans", &spans) && json_object_is_type (spans, json_type_array))
    for (gsize i = 0; i < json_object_array_length (spans); i++)
      {
        json_object *s = json_object_array_get_idx (spans, i);
        const char *layer = get_str (s, "layer");
        Draw d = { .span = s, .order = order++ };
        guint li;

        for (li = 0; li < c.n_layers; li++)
          if (g_strcmp0 (layer, layers[li]) == 0)
            break;
        if (li == c.n_layers)
          continue;
        if (!span_range (s, n_cp, &d.start, &d.end))
          {
            bad++;
            continue;
          }
        if (d.start == d.end)
          continue;  /* nothing to draw */
        d.layer = li;
        d.whole = li == 0;
        g_array_append_val (draws, d);
      }
  /* a whole span that crosses another (starts inside it, ends after it) is drawn in
   * pieces instead: elements nest, spans need not */
  g_array_sort (draws, draw_start_cmp);
  {
    gint64 open_end[64];
    guint depth = 0;
    for (guint i = 0; i < draws->len; i++)
      {
        Draw *d = &g_array_index (draws, Draw, i);
        if (!d->whole)
          continue;
        while (depth > 0 && open_end[depth - 1] <= d->start)
          depth--;
        if ((depth > 0 && d->end > open_end[depth - 1]) || depth == G_N_ELEMENTS (open_end))
          {
            d->whole = FALSE;
            continue;
          }
        open_end[depth++] = d->end;
        d->mention = mention++;
      }
  }
  /* the summary's sentences, highlighted */
  if (json_object_object_get_ex (rec, "summary", &summary) && json_object_is_type (summary, json_type_object)
      && json_object_object_get_ex (summary, "sentences", &sentences) && json_object_is_type (sentences, json_type_array))
    for (gsize i = 0; i < json_object_array_length (sentences); i++)
      {
        Draw d = { .layer = c.n_layers, .order = order++ };
        if (!span_range (json_object_array_get_idx (sentences, i), n_cp, &d.start, &d.end))
          bad++;
        else if (d.start < d.end)
          g_array_append_val (draws, d);
      }

  g_string_append_printf (out, "<section class=\"rec\" id=\"r%s\">\n<h2>", rid);
  put_esc (out, id != NULL ? id : "(no id)");
  g_string_append (out, "</h2>\n");
  put_header_table (out, rec);
  if (summary != NULL && json_object_is_type (summary, json_type_object) && get_str (summary, "text") != NULL)
    {
      g_string_append (out, "<h3>Summary");
      if (get_str (summary, "method") != NULL)
        put_escf (out, " (%s%s%s)", get_str (summary, "method"), get_str (summary, "form") ? ", " : "",
                  get_str (summary, "form") ? get_str (summary, "form") : "");
      g_string_append (out, "</h3>\n<div class=\"sum\">");
      put_esc (out, get_str (summary, "text"));
      g_string_append (out, "</div>\n");
    }
  if (bad > 0)
    g_string_append_printf (out, "<p class=\"warn\">%u span%s outside the text (0..%" G_GINT64_FORMAT " code points) not drawn.</p>\n",
                            bad, bad == 1 ? "" : "s", n_cp);
  g_string_append (out, "<p class=\"legend\">");
  for (guint i = 0; i < c.n_layers; i++)
    {
      if (i == 0)
        g_string_append (out, "<span><mark data-label=\"\" style=\"background:#d5d8dc\">");
      else
        g_string_append_printf (out, "<span><span class=\"u\" style=\"--c:%s;--d:2px\">",
                                layer_colours[i % G_N_ELEMENTS (layer_colours)]);
      put_esc (out, layers[i]);
      g_string_append (out, i == 0 ? "</mark></span>" : "</span></span>");
    }
  g_string_append (out, "<span><span class=\"s\">summary sentence</span></span></p>\n");
  g_string_append (out, "<div class=\"cols\"><div class=\"text\">\n");
  draw_text (out, &c, text, offs, n_cp, draws);
  g_string_append (out, "</div>\n");
  put_entity_list (out, &c, draws, text, offs);
  g_string_append (out, "</div>\n");
  put_diagnostics (out, rec);
  g_string_append (out, "</section>\n");
  if (c.entities != NULL)
    json_object_put (c.entities);
  if (bad > 0)
    g_printerr ("quarry view: record '%s': %u span%s outside its text left out\n", id ? id : "?", bad, bad == 1 ? "" : "s");
  return TRUE;
}

/* ---- the run report ---- */

static void
put_report (GString *out, json_object *r, const char *path)
{
  json_object *docs, *stages, *reasons;
  double total = 0;
  gsize n = 0;
  const int bar_w = 420, row_h = 22, name_w = 120;

  g_string_append (out, "<section class=\"report\">\n<h2>Run report: ");
  put_esc (out, path);
  g_string_append (out, "</h2>\n<table>\n");
  if (json_object_object_get_ex (r, "documents", &docs) && json_object_is_type (docs, json_type_object))
    {
      json_object_object_foreach (docs, key, val)
        {
          g_string_append (out, "<tr><th>documents ");
          put_esc (out, key);
          g_string_append (out, "</th><td class=\"n\">");
          put_value (out, val);
          g_string_append (out, "</td></tr>\n");
        }
    }
  {
    static const char *const keys[] = { "shards", "bytes_in", "jobs", "isolation", "wall_seconds", "longest_shard_wall_seconds", "cpu_seconds", "mb_per_second",
                                        "documents_per_second", "peak_rss_kb", "workers_replaced", "interrupted", "config_hash" };
    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        json_object *v;
        if (!json_object_object_get_ex (r, keys[i], &v))
          continue;
        g_string_append_printf (out, "<tr><th>%s</th><td class=\"n\">", keys[i]);
        if (json_object_is_type (v, json_type_double))
          g_string_append_printf (out, "%.3f", json_object_get_double (v));
        else
          put_value (out, v);
        g_string_append (out, "</td></tr>\n");
      }
  }
  g_string_append (out, "</table>\n");

  if (json_object_object_get_ex (r, "stages", &stages) && json_object_is_type (stages, json_type_array)
      && (n = json_object_array_length (stages)) > 0)
    {
      double max = 0;
      for (gsize i = 0; i < n; i++)
        {
          double s = get_double (json_object_array_get_idx (stages, i), "seconds");
          total += s;
          max = MAX (max, s);
        }
      g_string_append_printf (out, "<h3>Time per stage (%.3f s in all stages)</h3>\n"
                                   "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" height=\"%zu\" "
                                   "aria-label=\"time per stage\">\n",
                              total, name_w + bar_w + 230, n * row_h + 4);
      for (gsize i = 0; i < n; i++)
        {
          json_object *s = json_object_array_get_idx (stages, i);
          double secs = get_double (s, "seconds");
          int w = max > 0 ? (int) (bar_w * secs / max + 0.5) : 0;
          gint64 docs_n = 0;
          get_int (s, "documents", &docs_n);
          g_string_append_printf (out, "<g class=\"stage\"><text x=\"0\" y=\"%zu\">", i * row_h + 15);
          put_esc (out, get_str (s, "name"));
          g_string_append_printf (out, "</text><rect x=\"%d\" y=\"%zu\" width=\"%d\" height=\"%d\" fill=\"#2271b1\"><title>",
                                  name_w, i * row_h + 3, MAX (w, 1), row_h - 6);
          put_escf (out, "%s: %.6f s, %" G_GINT64_FORMAT " documents, %.1f MB/s", get_str (s, "name") ? get_str (s, "name") : "?",
                    secs, docs_n, get_double (s, "mb_per_second"));
          g_string_append_printf (out, "</title></rect><text x=\"%d\" y=\"%zu\">%.1f ms (%.0f%%), %.1f MB/s</text></g>\n",
                                  name_w + w + 6, i * row_h + 15, secs * 1e3, total > 0 ? 100 * secs / total : 0,
                                  get_double (s, "mb_per_second"));
        }
      g_string_append (out, "</svg>\n");
    }

  g_string_append (out, "<h3>Dead letters by reason</h3>\n");
  if (json_object_object_get_ex (r, "dead_letter_reasons", &reasons) && json_object_is_type (reasons, json_type_array))
    {
      if (json_object_array_length (reasons) == 0)
        g_string_append (out, "<p>None: every document is in the output.</p>\n");
      else
        {
          g_string_append (out, "<table>\n<tr><th>stage</th><th>code</th><th>documents</th><th>for example</th></tr>\n");
          for (gsize i = 0; i < json_object_array_length (reasons); i++)
            {
              json_object *d = json_object_array_get_idx (reasons, i);
              gint64 count = 0;
              get_int (d, "count", &count);
              g_string_append (out, "<tr><td>");
              put_esc (out, get_str (d, "stage"));
              g_string_append (out, "</td><td>");
              put_esc (out, get_str (d, "code"));
              g_string_append_printf (out, "</td><td class=\"n\">%" G_GINT64_FORMAT "</td><td>", count);
              put_esc (out, get_str (d, "example"));
              g_string_append (out, "</td></tr>\n");
            }
          g_string_append (out, "</table>\n");
        }
    }
  else
    g_string_append (out, "<p><i>This report does not group its dead letters (made by an older Quarry).</i></p>\n");
  g_string_append (out, "</section>\n");
}

/* ---- reading the records: a line at a time, parsed only when wanted ---- */

/* The id of a record line the writer made ({"id":"...",...) without parsing the line;
 * NULL when the line starts otherwise or the id has escapes (then it is parsed). */
static char *
quick_id (const char *line, gsize len)
{
  static const char prefix[] = "{\"id\":\"";
  const char *s, *e;

  if (len < sizeof prefix || memcmp (line, prefix, sizeof prefix - 1) != 0)
    return NULL;
  s = line + sizeof prefix - 1;
  for (e = s; e < line + len && *e != '"'; e++)
    if (*e == '\\')
      return NULL;
  return e < line + len ? g_strndup (s, e - s) : NULL;
}

int
quarry_view (const QuarryViewOptions *opt)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) found = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto(GStrv) layers = NULL;
  g_autofree char *title = NULL;
  guint shown = 0, n_ids = opt->ids ? g_strv_length (opt->ids) : 0;
  guint limit = opt->limit > 0 ? (guint) opt->limit : (n_ids > 0 ? G_MAXUINT : 20);
  gboolean more = FALSE;

  if (opt->records == NULL && opt->report == NULL)
    {
      g_printerr ("quarry view: give a records file (JSON Lines, - for stdin), --report REPORT.json, or both\n");
      return 1;
    }
  layers = g_strsplit (opt->layers != NULL ? opt->layers : "entity", ",", -1);
  for (guint i = 0; layers[i] != NULL; i++)
    {
      g_strstrip (layers[i]);
      if (layers[i][0] == '\0')
        {
          g_printerr ("quarry view: --layers '%s' has an empty layer name; give names separated by commas, "
                      "e.g. --layers entity,paragraph\n", opt->layers);
          return 1;
        }
    }
  for (guint i = 0; i < n_ids; i++)
    g_hash_table_add (wanted, opt->ids[i]);

  title = g_strdup_printf ("quarry view: %s%s%s", opt->records ? opt->records : "",
                           opt->records && opt->report ? ", " : "", opt->report ? opt->report : "");
  page_begin (out, title);

  if (opt->report != NULL)
    {
      GError *error = NULL;
      g_autofree char *data = NULL;
      json_object *r;

      if (!g_file_get_contents (opt->report, &data, NULL, &error))
        {
          g_printerr ("quarry view: cannot read the report: %s\n", error->message);
          g_error_free (error);
          return 1;
        }
      r = json_tokener_parse (data);
      if (r == NULL || !json_object_is_type (r, json_type_object) || !json_object_object_get_ex (r, "documents", NULL))
        {
          g_printerr ("quarry view: %s is not a run report (quarry run --report FILE writes one)\n", opt->report);
          json_object_put (r);
          return 1;
        }
      put_report (out, r, opt->report);
      json_object_put (r);
    }

  if (opt->records != NULL)
    {
      gboolean std = strcmp (opt->records, "-") == 0;
      FILE *f = std ? stdin : fopen (opt->records, "re");
      char *line = NULL;
      size_t cap = 0;
      ssize_t got;
      guint64 lineno = 0;
      int status = 0;

      if (f == NULL)
        {
          g_printerr ("quarry view: cannot open %s: %s\n", opt->records, g_strerror (errno));
          return 1;
        }
      while ((got = getline (&line, &cap, f)) > 0)
        {
          g_autofree char *qid = NULL;
          json_object *rec;
          GError *error = NULL;
          const char *id;

          lineno++;
          while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
          if (got == 0)
            continue;
          if (shown >= limit)
            {
              more = TRUE;
              break;
            }
          if (n_ids > 0 && (qid = quick_id (line, got)) != NULL
              && (!g_hash_table_contains (wanted, qid) || g_hash_table_contains (found, qid)))
            continue;
          rec = json_tokener_parse (line);
          if (rec == NULL || !json_object_is_type (rec, json_type_object))
            {
              g_printerr ("quarry view: %s:%" G_GUINT64_FORMAT ": not a JSON object; is this a Quarry output file "
                          "(JSON Lines, one record a line)?\n", opt->records, lineno);
              json_object_put (rec);
              status = 1;
              break;
            }
          id = get_str (rec, "id");
          if (n_ids > 0 && (id == NULL || !g_hash_table_contains (wanted, id) || g_hash_table_contains (found, id)))
            {
              json_object_put (rec);
              continue;
            }
          if (!put_record (out, rec, shown, layers, &error))
            {
              g_printerr ("quarry view: %s:%" G_GUINT64_FORMAT ": record '%s' %s\n", opt->records, lineno,
                          id ? id : "?", error->message);
              g_error_free (error);
              json_object_put (rec);
              status = 1;
              break;
            }
          if (n_ids > 0)
            g_hash_table_add (found, g_hash_table_lookup (wanted, id));  /* the caller's copy: outlives rec */
          shown++;
          json_object_put (rec);
          if (n_ids > 0 && g_hash_table_size (found) == g_hash_table_size (wanted))
            break;
        }
      if (got < 0 && ferror (f))
        {
          g_printerr ("quarry view: cannot read %s: %s\n", opt->records, g_strerror (errno));
          status = 1;
        }
      free (line);
      if (!std)
        fclose (f);
      if (status != 0)
        return status;
      if (n_ids > 0 && g_hash_table_size (found) < g_hash_table_size (wanted))
        {
          g_autoptr(GString) missing = g_string_new (NULL);
          for (guint i = 0; i < n_ids; i++)
            if (!g_hash_table_contains (found, opt->ids[i]))
              {
                g_string_append_printf (missing, "%s'%s'", missing->len ? ", " : "", opt->ids[i]);
                g_hash_table_add (found, opt->ids[i]);  /* named once */
              }
          g_printerr ("quarry view: no record with id %s in %s; nothing written\n", missing->str, opt->records);
          return 1;
        }
      if (shown == 0)
        g_string_append (out, "<p><i>No records.</i></p>\n");
      if (more)
        g_printerr ("quarry view: showing the first %u records of %s; --limit N shows more, or name records by id\n",
                    shown, opt->records);
    }
  page_end (out);

  if (opt->output == NULL || strcmp (opt->output, "-") == 0)
    {
      if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
        {
          g_printerr ("quarry view: cannot write the page to stdout: %s\n", g_strerror (errno));
          return 5;
        }
    }
  else
    {
      GError *error = NULL;
      if (!g_file_set_contents (opt->output, out->str, out->len, &error))
        {
          g_printerr ("quarry view: cannot write %s: %s\n", opt->output, error->message);
          g_error_free (error);
          return 5;
        }
    }
  return 0;
}
