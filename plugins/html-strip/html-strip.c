/* html-strip.c: the html-strip stage: HTML to text through one edit batch, markup spans, page fields. */
#include <stdio.h>
#include <string.h>

#include <quarry/quarry.h>

#include "tokenizer.h"
#include "tags.h"

#define MAX_DEPTH 512          /* like browsers: deeper elements are not nested further */
#define MAX_DIAGNOSTICS 10     /* per code; then one summary */

/* What options say about an element (TagInfo.options). */
enum {
  OPT_SELECT = 1 << 0,   /* named by content-selector */
  OPT_DROP   = 1 << 1,   /* named by drop-elements */
  OPT_META   = 1 << 2,   /* named by meta-table */
  OPT_MARKUP = 1 << 3,   /* kept as a markup span */
  OPT_ATTRS  = 1 << 4,   /* a selector naming it tests id or class */
};

typedef struct {
  char *tag;    /* NULL: any element */
  char *id;     /* NULL: any id */
  char *klass;  /* NULL: any class */
} Selector;

typedef struct {
  TagTable  *tags;
  GPtrArray *select;      /* Selector*: content-selector */
  GPtrArray *drop;        /* drop-elements */
  GPtrArray *meta;        /* meta-table */
  gboolean   any_attrs;   /* a selector without tag name: every start tag needs its attributes */
  gboolean   collapse;
} Strip;

static const QuarryOption strip_options[] = {
  { "content-selector", QUARRY_OPTION_STRING_LIST, "",
    "elements whose text is the document (selectors: tag, tag.class, tag#id, .class, #id); "
    "when one matches, text outside them is dropped, when none does the whole document is kept" },
  { "drop-elements", QUARRY_OPTION_STRING_LIST, "head;script;style;noscript;template",
    "elements dropped with all their content (same selectors)" },
  { "meta-table", QUARRY_OPTION_STRING_LIST, "",
    "tables whose header/value cells become fields.page (keys lower-cased with '_', dates as ISO 8601); "
    "their text is left out of the text (same selectors)" },
  { "markup-elements", QUARRY_OPTION_STRING_LIST, "a;pre;td;th;h1;h2;h3;h4;h5;h6;title",
    "elements kept as `markup` spans (label: the element, attrs: its attributes) over the text they wrap" },
  { "collapse-whitespace", QUARRY_OPTION_BOOL, "true",
    "collapse whitespace outside <pre> the way a browser renders it; false keeps it as written" },
  { NULL }
};

static const char *const strip_provides[] = { "layer:markup", "field:page", NULL };

/* ---- set-up ---- */

static void
selector_free (gpointer data)
{
  Selector *s = data;

  g_free (s->tag);
  g_free (s->id);
  g_free (s->klass);
  g_free (s);
}

/* Parses "tag", "tag.class", "tag#id", ".class", "#id" (and "tag#id.class"). */
static Selector *
selector_parse (const char *text, GError **error)
{
  Selector *s = g_new0 (Selector, 1);
  const char *p = text, *q;

  for (q = p; *q != '\0' && *q != '.' && *q != '#'; q++)
    ;
  if (q > p)
    s->tag = g_ascii_strdown (p, q - p);
  while (*q != '\0')
    {
      char kind = *q++;
      const char *v = q;
      while (*q != '\0' && *q != '.' && *q != '#')
        q++;
      if (q == v)
        break;
      if (kind == '#' && s->id == NULL)
        s->id = g_strndup (v, q - v);
      else if (kind == '.' && s->klass == NULL)
        s->klass = g_strndup (v, q - v);
      else
        {
          q = v;  /* a second id or class: not supported */
          break;
        }
    }
  if (*q != '\0' || (s->tag == NULL && s->id == NULL && s->klass == NULL) ||
      (s->tag != NULL && strpbrk (s->tag, " \t\n/<>=\"'") != NULL))
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   "\"%s\" is not a selector this stage understands; use tag, tag.class, tag#id, .class or #id",
                   text);
      selector_free (s);
      return NULL;
    }
  return s;
}

static gboolean
add_selectors (Strip *st, GPtrArray **out, const char *const *list, guint32 flag, const char *option,
               GError **error)
{
  *out = g_ptr_array_new_with_free_func (selector_free);
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autofree char *item = g_strstrip (g_strdup (list[i]));
      GError *local = NULL;
      Selector *s;

      if (item[0] == '\0')
        continue;
      s = selector_parse (item, &local);
      if (s == NULL)
        {
          g_propagate_prefixed_error (error, local, "option %s: ", option);
          return FALSE;
        }
      if (s->tag != NULL)
        {
          TagInfo *info = tag_table_add (st->tags, s->tag, strlen (s->tag));
          info->options |= flag;
          if (s->id != NULL || s->klass != NULL)
            info->options |= OPT_ATTRS;
        }
      else
        st->any_attrs = TRUE;
      g_ptr_array_add (*out, s);
    }
  return TRUE;
}

static void
strip_free (gpointer data)
{
  Strip *st = data;

  if (st == NULL)
    return;
  tag_table_free (st->tags);
  if (st->select != NULL)
    g_ptr_array_unref (st->select);
  if (st->drop != NULL)
    g_ptr_array_unref (st->drop);
  if (st->meta != NULL)
    g_ptr_array_unref (st->meta);
  g_free (st);
}

static gboolean
strip_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  Strip *st = g_new0 (Strip, 1);
  const char *const *markup = quarry_stage_get_strv (stage, "markup-elements");

  st->tags = tag_table_new ();
  st->collapse = quarry_stage_get_bool (stage, "collapse-whitespace");
  if (!add_selectors (st, &st->select, quarry_stage_get_strv (stage, "content-selector"), OPT_SELECT,
                      "content-selector", error) ||
      !add_selectors (st, &st->drop, quarry_stage_get_strv (stage, "drop-elements"), OPT_DROP,
                      "drop-elements", error) ||
      !add_selectors (st, &st->meta, quarry_stage_get_strv (stage, "meta-table"), OPT_META,
                      "meta-table", error))
    {
      strip_free (st);
      return FALSE;
    }
  for (guint i = 0; markup[i] != NULL; i++)
    {
      g_autofree char *name = g_strstrip (g_ascii_strdown (markup[i], -1));
      if (name[0] == '\0')
        continue;
      if (strlen (name) > 255 || strpbrk (name, " \t\n/<>=\"'.#") != NULL)
        {
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                       "option markup-elements: \"%s\" is not an element name", name);
          strip_free (st);
          return FALSE;
        }
      tag_table_add (st->tags, name, strlen (name))->options |= OPT_MARKUP;
    }
  *state = st;
  return TRUE;
}

static void
strip_teardown (gpointer state)
{
  strip_free (state);
}

/* ---- the walk over one document ---- */

enum { ROLE_NONE, ROLE_SELECT, ROLE_DROP, ROLE_META };

typedef struct {
  guint16 id;
  guint8  role;
  guint32 flags;
  guint32 hash;   /* of the name, to match end tags of unknown elements */
  gint    span;   /* index into Walk.spans, or -1 */
} Open;

typedef struct {
  const char  *label;
  gsize        start;
  gsize        end;
  gboolean     started;
  json_object *attrs;
} PendingSpan;

typedef struct {
  QuarryDiagnosticLevel level;
  const char           *code;
  gssize                offset;
  char                 *message;
} PendingDiag;

typedef struct {
  gboolean header;
  char    *text;
} MetaCell;

typedef struct {
  const Strip    *st;
  const char     *text;
  gsize           len;
  gboolean        xhtml;
  gboolean        use_selection;
  gboolean        selected_any;
  HtmlTokenizer  *tok;
  QuarryEdits    *edits;

  Open            stack[MAX_DEPTH];
  guint           depth;
  guint16        *counts;          /* open elements per tag id */
  guint16         unknown[64];     /* open unknown elements per name-hash bucket */
  gint            select_level;    /* stack index of the selected element, or -1 */
  gint            drop_level;
  gint            meta_level;
  guint           pre_depth;
  guint           foreign_depth;
  gboolean        too_deep_reported;

  /* the text being written: content is kept, the gaps between become separators */
  gsize           keep_end;        /* end of the last content kept */
  gboolean        at_start;        /* nothing kept yet */
  gboolean        last_nl;         /* the last content ended a line (<br>) */
  guint           breaks;          /* line breaks due before the next content */
  gboolean        tab;             /* a tab due (between table cells) */
  gboolean        space;           /* a space due (collapsed whitespace) */
  gboolean        skip_lf;         /* drop a newline right after <pre> */

  GArray         *spans;           /* PendingSpan */
  GArray         *unstarted;       /* indices of open spans still without content */

  GPtrArray      *rows;            /* GPtrArray of MetaCell*, the meta table being read */
  GString        *cell;
  gboolean        in_cell;
  gboolean        cell_header;
  gboolean        meta_done;
  json_object    *page;

  const TagInfo  *want_info;       /* looked up by walk_want_attrs for the coming start tag */
  gboolean        want_valid;

  GArray         *diags;           /* PendingDiag */
  GHashTable     *diag_counts;     /* code -> count */
} Walk;

static inline gboolean
content_active (const Walk *w)
{
  return (!w->use_selection || w->select_level >= 0) && w->drop_level < 0 && w->meta_level < 0;
}

static void
walk_diagnose (Walk *w, QuarryDiagnosticLevel level, const char *code, gssize offset, const char *fmt, ...)
  G_GNUC_PRINTF (5, 6);

static void
walk_diagnose (Walk *w, QuarryDiagnosticLevel level, const char *code, gssize offset, const char *fmt, ...)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (w->diag_counts, code)) + 1;
  PendingDiag d;
  va_list ap;

  g_hash_table_insert (w->diag_counts, (gpointer) code, GUINT_TO_POINTER (n));
  if (n > MAX_DIAGNOSTICS)
    return;
  va_start (ap, fmt);
  d.level = level;
  d.code = code;
  d.offset = offset;
  d.message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_array_append_val (w->diags, d);
}

/* Tokenizer errors that mean something was repaired become diagnostics. */
static void
walk_on_error (gpointer data, const char *code, gsize offset)
{
  Walk *w = data;

  if (g_str_equal (code, "eof-in-tag"))
    walk_diagnose (w, QUARRY_DIAGNOSTIC_WARNING, "truncated-tag", offset,
                   "the tag at text byte %" G_GSIZE_FORMAT " is cut off by the end of the document and was "
                   "dropped; end it with '>'", offset);
  else if (g_str_equal (code, "eof-in-comment"))
    walk_diagnose (w, QUARRY_DIAGNOSTIC_WARNING, "unclosed-comment", offset,
                   "the comment opened at text byte %" G_GSIZE_FORMAT " is never closed, so the rest of "
                   "the document (%" G_GSIZE_FORMAT " bytes) was read as a comment and dropped; close it with '-->'",
                   offset, w->len - offset);
  else if (g_str_equal (code, "eof-in-doctype") || g_str_equal (code, "eof-in-cdata") ||
           g_str_equal (code, "eof-in-script-html-comment-like-text"))
    walk_diagnose (w, QUARRY_DIAGNOSTIC_WARNING, "unclosed-markup", offset,
                   "markup opened at text byte %" G_GSIZE_FORMAT " runs to the end of the document (%s); "
                   "close it", offset, code);
  else if (g_str_equal (code, "missing-semicolon-after-character-reference"))
    {
      gsize e = offset + 1;
      while (e < w->len && e < offset + 34 && (g_ascii_isalnum (w->text[e]) || w->text[e] == '#'))
        e++;
      walk_diagnose (w, QUARRY_DIAGNOSTIC_INFO, "charref-no-semicolon", offset,
                     "the character reference '%.*s' at text byte %" G_GSIZE_FORMAT " has no ';' and was "
                     "decoded as the HTML standard says; write '&amp;' for a literal '&'",
                     (int) (e - offset), w->text + offset, offset);
    }
  else if (g_str_equal (code, "null-character-reference") ||
           g_str_equal (code, "character-reference-outside-unicode-range") ||
           g_str_equal (code, "invalid-character-reference"))
    walk_diagnose (w, QUARRY_DIAGNOSTIC_WARNING, "bad-charref", offset,
                   "the numeric character reference at text byte %" G_GSIZE_FORMAT " names no allowed "
                   "character (%s); it was replaced as the HTML standard says", offset, code);
}

/* ---- writing text ---- */

/* Keeps input [start, end) as content (replaced by repl when not NULL): the gap
 * since the last content becomes the separator that is due. */
static void
walk_content (Walk *w, gsize start, gsize end, const char *repl, gsize repl_len)
{
  char sep[2];
  gsize n = 0;

  if (!w->at_start)
    {
      if (w->breaks > 0)
        {
          n = w->breaks;
          sep[0] = sep[1] = '\n';
        }
      else if (w->tab)
        sep[n++] = '\t';
      else if (w->space && !w->last_nl)
        sep[n++] = ' ';
    }
  if (start != w->keep_end || n > 0)
    {
      /* no edit when the gap already is the separator (the usual single space) */
      if (start - w->keep_end != n || (n > 0 && w->text[w->keep_end] != sep[0]) ||
          (n > 1 && w->text[w->keep_end + 1] != sep[1]))
        quarry_edits_replace (w->edits, w->keep_end, start, sep, n);
    }
  if (repl != NULL)
    quarry_edits_replace (w->edits, start, end, repl, repl_len);
  for (guint i = 0; i < w->unstarted->len; i++)
    {
      PendingSpan *sp = &g_array_index (w->spans, PendingSpan, g_array_index (w->unstarted, gint, i));
      sp->start = start;
      sp->started = TRUE;
    }
  g_array_set_size (w->unstarted, 0);
  w->keep_end = end;
  w->at_start = FALSE;
  w->breaks = 0;
  w->tab = w->space = w->last_nl = FALSE;
}

static inline void
walk_break (Walk *w, guint n)
{
  if (content_active (w))
    w->breaks = MAX (w->breaks, n);
}

static inline gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r';
}

/* Text outside <pre>: words are content, whitespace runs become one space. */
static void
walk_collapse (Walk *w, gsize start, gsize end)
{
  const guchar *t = (const guchar *) w->text;
  gsize p = start;

  while (p < end)
    {
      gsize q = p;
      if (is_space (t[p]))
        {
          while (q < end && is_space (t[q]))
            q++;
          w->space = TRUE;
        }
      else
        {
          while (q < end && !is_space (t[q]))
            q++;
          walk_content (w, p, q, NULL, 0);
        }
      p = q;
    }
}

static void
meta_add_text (Walk *w, const char *s, gsize n)
{
  if (w->meta_level >= 0 && w->in_cell)
    g_string_append_len (w->cell, s, n);
}

static void
walk_text (Walk *w, const HtmlToken *t)
{
  gsize start = t->start;

  if (w->skip_lf)
    {
      w->skip_lf = FALSE;
      if (t->type == HTML_TOKEN_TEXT && w->text[start] == '\n')
        start++;
      else if (t->type == HTML_TOKEN_REPLACE && t->len == 1 && t->data[0] == '\n')
        return;
    }
  if (!content_active (w))
    {
      if (t->type == HTML_TOKEN_TEXT)
        meta_add_text (w, w->text + start, t->end - start);
      else
        meta_add_text (w, t->data, t->len);
      return;
    }
  if (t->type == HTML_TOKEN_TEXT)
    {
      if (start >= t->end)
        return;
      if (w->pre_depth > 0 || !w->st->collapse)
        walk_content (w, start, t->end, NULL, 0);
      else
        walk_collapse (w, start, t->end);
    }
  else if (w->pre_depth == 0 && w->st->collapse && t->len == 1 && is_space ((guchar) t->data[0]))
    w->space = TRUE;  /* &#10; and the like outside <pre> are whitespace too */
  else
    walk_content (w, t->start, t->end, t->data, t->len);
}

/* ---- meta tables ---- */

static void
meta_cell_free (gpointer data)
{
  MetaCell *c = data;

  g_free (c->text);
  g_free (c);
}

static void
meta_finish_cell (Walk *w)
{
  MetaCell *c;
  GPtrArray *row;
  GString *clean;
  gboolean space = FALSE;

  if (!w->in_cell)
    return;
  w->in_cell = FALSE;
  if (w->rows->len == 0)
    g_ptr_array_add (w->rows, g_ptr_array_new_with_free_func (meta_cell_free));
  row = g_ptr_array_index (w->rows, w->rows->len - 1);
  clean = g_string_sized_new (w->cell->len);
  for (gsize i = 0; i < w->cell->len; i++)
    {
      if (is_space ((guchar) w->cell->str[i]))
        space = TRUE;
      else
        {
          if (space && clean->len > 0)
            g_string_append_c (clean, ' ');
          space = FALSE;
          g_string_append_c (clean, w->cell->str[i]);
        }
    }
  c = g_new (MetaCell, 1);
  c->header = w->cell_header;
  c->text = g_string_free (clean, FALSE);
  g_ptr_array_add (row, c);
}

/* "Reference ID" -> "reference_id" */
static char *
meta_key (const char *label)
{
  GString *k = g_string_new (NULL);
  gboolean sep = FALSE;

  for (const char *p = label; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          if (sep && k->len > 0)
            g_string_append_c (k, '_');
          sep = FALSE;
          g_string_append_c (k, g_ascii_tolower (*p));
        }
      else
        sep = TRUE;
    }
  return g_string_free (k, FALSE);
}

/* "2009-11-05 17:05" -> "2009-11-05T17:05"; NULL if the value is no such date. */
static char *
meta_iso_date (const char *v)
{
  int y, mo, d, h = -1, mi = -1, s = -1, n = 0;
  gsize len = strlen (v);

  if (len == 10 && sscanf (v, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10)
    ;
  else if (len == 16 && sscanf (v, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 && n == 16)
    ;
  else if (len == 19 &&
           sscanf (v, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) == 6 && n == 19)
    ;
  else
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (v[i]) && v[i] != '-' && v[i] != ':' && v[i] != ' ' && v[i] != 'T')
      return NULL;
  if (!g_date_valid_dmy (d, mo, y) || h > 23 || mi > 59 || s > 59)
    return NULL;
  if (h < 0)
    return g_strdup_printf ("%04d-%02d-%02d", y, mo, d);
  if (s < 0)
    return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d", y, mo, d, h, mi);
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, s);
}

static void
meta_set (Walk *w, const char *label, const char *value)
{
  g_autofree char *key = meta_key (label);
  g_autofree char *iso = meta_iso_date (value);

  if (key[0] == '\0')
    return;
  if (w->page == NULL)
    w->page = json_object_new_object ();
  json_object_object_add (w->page, key, json_object_new_string (iso != NULL ? iso : value));
}

/* A header row over a value row, or rows of header + value cells. */
static void
meta_finish_table (Walk *w, gsize offset)
{
  GPtrArray *first;
  gboolean header_row = TRUE;
  guint before = w->page != NULL ? json_object_object_length (w->page) : 0;

  meta_finish_cell (w);
  w->meta_done = TRUE;
  if (w->rows->len == 0)
    return;
  first = g_ptr_array_index (w->rows, 0);
  for (guint i = 0; i < first->len; i++)
    if (!((MetaCell *) g_ptr_array_index (first, i))->header)
      header_row = FALSE;
  if (header_row && first->len > 0 && w->rows->len >= 2)
    {
      GPtrArray *values = g_ptr_array_index (w->rows, 1);
      for (guint i = 0; i < MIN (first->len, values->len); i++)
        meta_set (w, ((MetaCell *) g_ptr_array_index (first, i))->text,
                  ((MetaCell *) g_ptr_array_index (values, i))->text);
      if (values->len != first->len)
        walk_diagnose (w, QUARRY_DIAGNOSTIC_WARNING, "meta-table-shape", offset,
                       "the meta table ending at text byte %" G_GSIZE_FORMAT " has %u headers but %u values; "
                       "only the pairs were read", offset, first->len, values->len);
    }
  else
    for (guint r = 0; r < w->rows->len; r++)
      {
        GPtrArray *row = g_ptr_array_index (w->rows, r);
        if (row->len >= 2)
          meta_set (w, ((MetaCell *) g_ptr_array_index (row, 0))->text,
                    ((MetaCell *) g_ptr_array_index (row, 1))->text);
      }
  if ((guint) (w->page != NULL ? json_object_object_length (w->page) : 0) == before)
    walk_diagnose (w, QUARRY_DIAGNOSTIC_WARNING, "meta-table-empty", offset,
                   "the meta table ending at text byte %" G_GSIZE_FORMAT " gave no field: it needs a row of "
                   "<th> over a row of <td>, or rows of name and value cells", offset);
}

/* ---- elements ---- */

static gboolean
class_has (const char *list, gsize len, const char *klass)
{
  gsize k = strlen (klass), i = 0;

  while (i < len)
    {
      gsize j;
      while (i < len && is_space ((guchar) list[i]))
        i++;
      j = i;
      while (j < len && !is_space ((guchar) list[j]))
        j++;
      if (j - i == k && memcmp (list + i, klass, k) == 0)
        return TRUE;
      i = j;
    }
  return FALSE;
}

static gboolean
selector_matches (const GPtrArray *sels, const HtmlToken *t)
{
  for (guint i = 0; i < sels->len; i++)
    {
      const Selector *s = g_ptr_array_index (sels, i);
      gboolean ok = TRUE;

      if (s->tag != NULL && (strlen (s->tag) != t->len || memcmp (s->tag, t->data, t->len) != 0))
        continue;
      if (s->id != NULL || s->klass != NULL)
        {
          gboolean id_ok = s->id == NULL, class_ok = s->klass == NULL;
          for (guint a = 0; a < t->n_attrs; a++)
            {
              const HtmlAttr *at = &t->attrs[a];
              if (s->id != NULL && at->name_len == 2 && memcmp (at->name, "id", 2) == 0)
                id_ok = at->value_len == strlen (s->id) && memcmp (at->value, s->id, at->value_len) == 0;
              else if (s->klass != NULL && at->name_len == 5 && memcmp (at->name, "class", 5) == 0)
                class_ok = class_has (at->value, at->value_len, s->klass);
            }
          ok = id_ok && class_ok;
        }
      if (ok)
        return TRUE;
    }
  return FALSE;
}

static gboolean
walk_want_attrs (gpointer data, const char *name, gsize len)
{
  Walk *w = data;
  const TagInfo *info;

  info = tag_table_lookup (w->st->tags, name, len);
  w->want_info = info;
  w->want_valid = TRUE;
  if (w->st->any_attrs)
    return TRUE;
  if (info == NULL)
    return FALSE;
  return (info->options & OPT_ATTRS) || ((info->options & OPT_MARKUP) && content_active (w));
}

static inline guint32
name_hash (const char *name, gsize len)
{
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) name[i]) * 16777619u;
  return h;
}

/* Closes the element on top of the stack. */
static void
walk_pop (Walk *w)
{
  Open *e = &w->stack[--w->depth];
  gboolean active = content_active (w);

  if (e->id != TAG_ID_UNKNOWN)
    w->counts[e->id]--;
  else
    w->unknown[e->hash & 63]--;
  if (e->span >= 0)
    {
      PendingSpan *sp = &g_array_index (w->spans, PendingSpan, e->span);
      if (sp->started)
        sp->end = w->keep_end;
      else
        {
          /* no content: an empty span where the element was */
          sp->start = sp->end = w->keep_end;
          sp->started = TRUE;
          for (guint i = w->unstarted->len; i-- > 0;)
            if (g_array_index (w->unstarted, gint, i) == e->span)
              {
                g_array_remove_index (w->unstarted, i);
                break;
              }
        }
    }
  if (active)
    {
      if (e->flags & TAG_BLOCK2)
        w->breaks = MAX (w->breaks, 2);
      else if (e->flags & (TAG_BLOCK | TAG_ROW))
        w->breaks = MAX (w->breaks, 1);
      else if ((e->flags & TAG_CELL) && w->breaks == 0)
        w->tab = TRUE;
      if ((e->flags & TAG_PRE) && w->pre_depth > 0)
        w->pre_depth--;
    }
  if (w->meta_level >= 0 && (e->flags & TAG_CELL))
    meta_finish_cell (w);
  if (e->flags & TAG_FOREIGN)
    {
      w->foreign_depth--;
      html_tokenizer_set_cdata_allowed (w->tok, w->xhtml || w->foreign_depth > 0);
    }
  if ((gint) w->depth == w->select_level)
    {
      w->select_level = -1;
      w->breaks = MAX (w->breaks, 2);
    }
  if ((gint) w->depth == w->drop_level)
    w->drop_level = -1;
  if ((gint) w->depth == w->meta_level)
    {
      w->meta_level = -1;
      meta_finish_table (w, w->keep_end);
    }
}

/* Closes elements down to and including the nearest with id, unless an element
 * with one of the stop flags comes first. */
static void
walk_close_to (Walk *w, guint16 id, guint32 stop_flags)
{
  if (w->counts[id] == 0)
    return;
  for (guint i = w->depth; i-- > 0;)
    {
      if (w->stack[i].id == id)
        {
          while (w->depth > i)
            walk_pop (w);
          return;
        }
      if (w->stack[i].flags & stop_flags)
        return;
    }
}

/* The end tags the tree builder implies before a start tag. */
static void
walk_implied_ends (Walk *w, guint16 id, guint32 flags)
{
  if (w->counts[TAG_ID_HEAD] > 0 && !(flags & TAG_HEAD_OK))
    walk_close_to (w, TAG_ID_HEAD, 0);
  if (flags & TAG_CLOSES_P)
    walk_close_to (w, TAG_ID_P, TAG_SCOPE);
  switch (id)
    {
    case TAG_ID_LI:
      walk_close_to (w, TAG_ID_LI, TAG_SCOPE | TAG_LIST);
      break;
    case TAG_ID_DT:
    case TAG_ID_DD:
      walk_close_to (w, TAG_ID_DT, TAG_SCOPE | TAG_LIST);
      walk_close_to (w, TAG_ID_DD, TAG_SCOPE | TAG_LIST);
      break;
    case TAG_ID_TD:
    case TAG_ID_TH:
      walk_close_to (w, TAG_ID_TD, TAG_ROW | TAG_BLOCK);
      walk_close_to (w, TAG_ID_TH, TAG_ROW | TAG_BLOCK);
      break;
    case TAG_ID_TR:
      walk_close_to (w, TAG_ID_TR, TAG_BLOCK);
      break;
    case TAG_ID_OPTION:
      walk_close_to (w, TAG_ID_OPTION, TAG_SCOPE);
      break;
    default:
      break;
    }
}

static json_object *
attrs_to_json (const HtmlToken *t)
{
  json_object *o;

  if (t->n_attrs == 0)
    return NULL;
  o = json_object_new_object ();
  for (guint i = 0; i < t->n_attrs; i++)
    {
      char key[64];
      const HtmlAttr *a = &t->attrs[i];
      g_autofree char *longkey = NULL;
      const char *k = key;
      if (a->name_len < sizeof key)
        {
          memcpy (key, a->name, a->name_len);
          key[a->name_len] = '\0';
        }
      else
        k = longkey = g_strndup (a->name, a->name_len);
      json_object_object_add (o, k, json_object_new_string_len (a->value, (int) a->value_len));
    }
  return o;
}

/* Outside the selected elements (with a content-selector) and outside a meta
 * table no text is kept and no element is open: only the start tags of
 * selected elements and meta tables matter, so nesting is not tracked there. */
static inline gboolean
walk_scanning (const Walk *w)
{
  return w->use_selection && w->select_level < 0 && w->meta_level < 0;
}

/* The role an element takes from the options, if any. */
static guint8
walk_role (Walk *w, const TagInfo *info, const HtmlToken *t)
{
  guint32 opt = info != NULL ? info->options : 0;
  gboolean any = w->st->any_attrs;

  if (w->use_selection && w->select_level < 0 && ((opt & OPT_SELECT) || any) &&
      selector_matches (w->st->select, t))
    return ROLE_SELECT;
  if (w->drop_level < 0 && ((opt & OPT_DROP) || any) && selector_matches (w->st->drop, t))
    return ROLE_DROP;
  if (w->meta_level < 0 && !w->meta_done && ((opt & OPT_META) || any) && selector_matches (w->st->meta, t))
    return ROLE_META;
  return ROLE_NONE;
}

static void
walk_start_tag (Walk *w, const HtmlToken *t)
{
  /* the tokenizer asked walk_want_attrs about this very tag when it read its name */
  const TagInfo *info = w->want_valid ? w->want_info : tag_table_lookup (w->st->tags, t->data, t->len);
  guint16 id = info != NULL ? info->id : TAG_ID_UNKNOWN;
  guint32 flags = info != NULL ? info->flags : 0;
  HtmlInitialState state = info != NULL ? (HtmlInitialState) info->content : HTML_STATE_DATA;
  gboolean is_void = (flags & TAG_VOID) || (t->self_closing && (w->xhtml || w->foreign_depth > 0));
  Open *e;

  w->want_valid = FALSE;
  w->skip_lf = FALSE;
  if (state != HTML_STATE_DATA && w->foreign_depth == 0 && !(t->self_closing && w->xhtml))
    html_tokenizer_set_state (w->tok, state);
  if (id == TAG_ID_HTML || id == TAG_ID_BODY)
    return;
  if (walk_scanning (w) && walk_role (w, info, t) == ROLE_NONE)
    return;  /* outside the selection only selected elements and meta tables matter */
  walk_implied_ends (w, id, flags);
  if (flags & TAG_BR)
    {
      if (content_active (w))
        {
          walk_content (w, t->start, t->end, "\n", 1);
          w->last_nl = TRUE;
        }
      return;
    }
  if (is_void)
    {
      if (flags & TAG_BLOCK)
        walk_break (w, 1);
      return;
    }
  if (w->depth >= MAX_DEPTH)
    {
      if (!w->too_deep_reported)
        walk_diagnose (w, QUARRY_DIAGNOSTIC_WARNING, "too-deep", t->start,
                       "elements are nested deeper than %d at text byte %" G_GSIZE_FORMAT
                       "; deeper ones are read as siblings, as browsers do", MAX_DEPTH, t->start);
      w->too_deep_reported = TRUE;
      return;
    }

  e = &w->stack[w->depth];
  e->id = id;
  e->flags = flags;
  e->hash = id == TAG_ID_UNKNOWN ? name_hash (t->data, t->len) : 0;
  e->span = -1;
  e->role = walk_role (w, info, t);
  if (id != TAG_ID_UNKNOWN)
    w->counts[id]++;
  else
    w->unknown[e->hash & 63]++;
  switch (e->role)
    {
    case ROLE_SELECT:
      w->select_level = (gint) w->depth;
      w->selected_any = TRUE;
      w->breaks = MAX (w->breaks, 2);
      break;
    case ROLE_DROP:
      w->drop_level = (gint) w->depth;
      break;
    case ROLE_META:
      w->meta_level = (gint) w->depth;
      g_ptr_array_set_size (w->rows, 0);
      break;
    default:
      break;
    }
  w->depth++;

  if (flags & TAG_FOREIGN)
    {
      w->foreign_depth++;
      html_tokenizer_set_cdata_allowed (w->tok, TRUE);
    }
  if (w->meta_level >= 0)
    {
      if (flags & TAG_ROW)
        {
          meta_finish_cell (w);
          g_ptr_array_add (w->rows, g_ptr_array_new_with_free_func (meta_cell_free));
        }
      else if (flags & TAG_CELL)
        {
          meta_finish_cell (w);
          w->in_cell = TRUE;
          w->cell_header = id == TAG_ID_TH;
          g_string_truncate (w->cell, 0);
        }
    }
  if (!content_active (w))
    return;
  if (flags & TAG_BLOCK2)
    walk_break (w, 2);
  else if (flags & (TAG_BLOCK | TAG_ROW))
    walk_break (w, 1);
  if (flags & TAG_PRE)
    {
      w->pre_depth++;
      w->skip_lf = (flags & TAG_SKIP_LF) != 0;
    }
  if (info != NULL && (info->options & OPT_MARKUP))
    {
      PendingSpan sp = { info->name, 0, 0, FALSE, attrs_to_json (t) };
      e->span = (gint) w->spans->len;
      g_array_append_val (w->spans, sp);
      g_array_append_val (w->unstarted, e->span);
    }
}

static void
walk_end_tag (Walk *w, const HtmlToken *t)
{
  const TagInfo *info = tag_table_lookup (w->st->tags, t->data, t->len);
  guint16 id = info != NULL ? info->id : TAG_ID_UNKNOWN;

  w->skip_lf = FALSE;
  if (id == TAG_ID_HTML || id == TAG_ID_BODY)
    return;
  if (info != NULL && (info->flags & TAG_BR))
    {
      /* </br> is read as <br>, as browsers do */
      if (content_active (w))
        {
          walk_content (w, t->start, t->end, "\n", 1);
          w->last_nl = TRUE;
        }
      return;
    }
  if (id == TAG_ID_P && w->counts[TAG_ID_P] == 0)
    {
      walk_break (w, 2);  /* a stray </p> is an empty paragraph */
      return;
    }
  if (id != TAG_ID_UNKNOWN)
    {
      walk_close_to (w, id, 0);
      return;
    }
  {
    guint32 h = name_hash (t->data, t->len);
    if (w->unknown[h & 63] == 0)
      return;
    for (guint i = w->depth; i-- > 0;)
      if (w->stack[i].id == TAG_ID_UNKNOWN && w->stack[i].hash == h)
        {
          while (w->depth > i)
            walk_pop (w);
          return;
        }
  }
}

/* ---- one pass ---- */

static void
walk_init (Walk *w, const Strip *st, const char *text, gsize len, gboolean xhtml, gboolean use_selection)
{
  memset (w, 0, sizeof *w);
  w->st = st;
  w->text = text;
  w->len = len;
  w->xhtml = xhtml;
  w->use_selection = use_selection;
  w->tok = html_tokenizer_new (text, len);
  html_tokenizer_set_error_func (w->tok, walk_on_error, w);
  html_tokenizer_set_want_attrs_func (w->tok, walk_want_attrs, w);
  html_tokenizer_set_cdata_allowed (w->tok, xhtml);
  w->edits = quarry_edits_new ();
  w->counts = g_new0 (guint16, tag_table_n_ids (st->tags));
  w->select_level = w->drop_level = w->meta_level = -1;
  w->at_start = TRUE;
  w->spans = g_array_new (FALSE, FALSE, sizeof (PendingSpan));
  w->unstarted = g_array_new (FALSE, FALSE, sizeof (gint));
  w->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  w->cell = g_string_new (NULL);
  w->diags = g_array_new (FALSE, FALSE, sizeof (PendingDiag));
  w->diag_counts = g_hash_table_new (g_str_hash, g_str_equal);
}

static void
walk_clear (Walk *w)
{
  html_tokenizer_free (w->tok);
  quarry_edits_free (w->edits);
  g_free (w->counts);
  for (guint i = 0; i < w->spans->len; i++)
    {
      PendingSpan *sp = &g_array_index (w->spans, PendingSpan, i);
      if (sp->attrs != NULL)
        json_object_put (sp->attrs);
    }
  g_array_unref (w->spans);
  g_array_unref (w->unstarted);
  g_ptr_array_unref (w->rows);
  g_string_free (w->cell, TRUE);
  for (guint i = 0; i < w->diags->len; i++)
    g_free (g_array_index (w->diags, PendingDiag, i).message);
  g_array_unref (w->diags);
  g_hash_table_unref (w->diag_counts);
  if (w->page != NULL)
    json_object_put (w->page);
}

/* Where no text is kept (dropped regions, outside the selection) the tokenizer need not report it. */
static inline void
walk_update_skip (Walk *w)
{
  html_tokenizer_set_skip_text (w->tok, !content_active (w) && !(w->meta_level >= 0 && w->in_cell) && !w->skip_lf);
  html_tokenizer_set_skip_end_tags (w->tok, walk_scanning (w) && w->depth == 0);
}

static void
walk_run (Walk *w)
{
  const HtmlToken *t;

  walk_update_skip (w);
  while ((t = html_tokenizer_next (w->tok)) != NULL)
    {
      switch (t->type)
        {
        case HTML_TOKEN_TEXT:
        case HTML_TOKEN_REPLACE:
          walk_text (w, t);
          break;
        case HTML_TOKEN_START_TAG:
          walk_start_tag (w, t);
          walk_update_skip (w);
          break;
        case HTML_TOKEN_END_TAG:
          walk_end_tag (w, t);
          walk_update_skip (w);
          break;
        case HTML_TOKEN_COMMENT:
        case HTML_TOKEN_DOCTYPE:
          w->skip_lf = FALSE;
          break;
        case HTML_TOKEN_EOF:
          while (w->depth > 0)
            walk_pop (w);
          break;
        }
    }
  /* whatever follows the last content goes */
  if (w->keep_end < w->len)
    quarry_edits_replace (w->edits, w->keep_end, w->len, NULL, 0);
}

/* Hands the walk's results to the document: diagnostics, spans, then the edits. */
static gboolean
walk_commit (Walk *w, QuarryDocument *doc, GError **error)
{
  GHashTableIter it;
  gpointer code, count;

  for (guint i = 0; i < w->diags->len; i++)
    {
      PendingDiag *d = &g_array_index (w->diags, PendingDiag, i);
      quarry_document_diagnose (doc, d->level, d->code, d->offset, "%s", d->message);
    }
  g_hash_table_iter_init (&it, w->diag_counts);
  while (g_hash_table_iter_next (&it, &code, &count))
    if (GPOINTER_TO_UINT (count) > MAX_DIAGNOSTICS)
      quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_INFO, code, QUARRY_NO_OFFSET,
                                "%u problems of this kind in all; only the first %d are listed",
                                GPOINTER_TO_UINT (count), MAX_DIAGNOSTICS);
  for (guint i = 0; i < w->spans->len; i++)
    {
      PendingSpan *sp = &g_array_index (w->spans, PendingSpan, i);
      if (quarry_document_add_span (doc, "markup", sp->label, sp->start, MAX (sp->start, sp->end),
                                    sp->attrs, error) < 0)
        {
          sp->attrs = NULL;  /* freed by the document */
          return FALSE;
        }
      sp->attrs = NULL;
    }
  if (w->page != NULL)
    {
      json_object *page = quarry_document_get_fields (doc, "page");
      json_object_object_foreach (w->page, key, val)
        json_object_object_add (page, key, json_object_get (val));
    }
  return quarry_document_apply_edits (doc, w->edits, error);
}

static gboolean
strip_process (gpointer state, QuarryDocument *doc, GError **error)
{
  const Strip *st = state;
  const char *media = quarry_document_get_media_type (doc);
  gboolean xhtml = g_str_equal (media, "application/xhtml+xml");
  gsize len;
  const char *text;
  Walk w;
  gboolean ok;

  if (!xhtml && !g_str_equal (media, "text/html"))
    return TRUE;  /* not HTML: left as it is */
  text = quarry_document_get_text (doc, &len);
  walk_init (&w, st, text, len, xhtml, st->select->len > 0);
  walk_run (&w);
  if (w.use_selection && !w.selected_any)
    {
      /* nothing matched content-selector: the whole document is the text */
      walk_clear (&w);
      walk_init (&w, st, text, len, xhtml, FALSE);
      walk_run (&w);
    }
  ok = walk_commit (&w, doc, error);
  walk_clear (&w);
  if (!ok && error != NULL && *error != NULL)
    g_prefix_error (error, "html-strip could not edit the document: ");
  return ok;
}

QUARRY_PLUGIN_DEFINE (
  .name = "html-strip",
  .version = "1.0.0",
  .description = "HTML to text: every character reference, markup kept as `markup` spans, page meta table to fields.page",
  .options = strip_options,
  .provides = strip_provides,
  .setup = strip_setup,
  .process = strip_process,
  .teardown = strip_teardown);
