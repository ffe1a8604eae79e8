/* tags.c: HTML element properties and an open-addressing name -> TagInfo table. */
#include "tags.h"
#include "tokenizer.h"

#include <string.h>

struct _TagTable {
  TagInfo  *slots;   /* power-of-two size; name == NULL is empty */
  guint     mask;
  guint     n;
  guint     next_id;
};

static const struct {
  const char *name;
  guint16     id;
  guint32     flags;
} builtin[] = {
  { "p", TAG_ID_P, TAG_BLOCK2 | TAG_CLOSES_P },
  { "li", TAG_ID_LI, TAG_BLOCK | TAG_CLOSES_P },
  { "dt", TAG_ID_DT, TAG_BLOCK | TAG_CLOSES_P },
  { "dd", TAG_ID_DD, TAG_BLOCK | TAG_CLOSES_P },
  { "td", TAG_ID_TD, TAG_CELL | TAG_SCOPE },
  { "th", TAG_ID_TH, TAG_CELL | TAG_SCOPE },
  { "tr", TAG_ID_TR, TAG_ROW },
  { "option", TAG_ID_OPTION, TAG_BLOCK },
  { "head", TAG_ID_HEAD, TAG_HEAD_OK },
  { "body", TAG_ID_BODY, 0 },
  { "html", TAG_ID_HTML, TAG_SCOPE | TAG_HEAD_OK },
  { "table", TAG_ID_TABLE, TAG_BLOCK | TAG_SCOPE | TAG_CLOSES_P },
  /* void elements */
  { "area", 0, TAG_VOID }, { "base", 0, TAG_VOID | TAG_HEAD_OK }, { "br", 0, TAG_VOID | TAG_BR },
  { "col", 0, TAG_VOID }, { "embed", 0, TAG_VOID }, { "hr", 0, TAG_VOID | TAG_BLOCK | TAG_CLOSES_P },
  { "img", 0, TAG_VOID }, { "input", 0, TAG_VOID }, { "link", 0, TAG_VOID | TAG_HEAD_OK },
  { "meta", 0, TAG_VOID | TAG_HEAD_OK }, { "source", 0, TAG_VOID }, { "track", 0, TAG_VOID },
  { "wbr", 0, TAG_VOID }, { "param", 0, TAG_VOID }, { "keygen", 0, TAG_VOID },
  { "basefont", 0, TAG_VOID | TAG_HEAD_OK }, { "bgsound", 0, TAG_VOID | TAG_HEAD_OK },
  { "frame", 0, TAG_VOID },
  /* head content */
  { "title", 0, TAG_HEAD_OK }, { "style", 0, TAG_HEAD_OK }, { "script", 0, TAG_HEAD_OK },
  { "noscript", 0, TAG_HEAD_OK }, { "template", 0, TAG_HEAD_OK | TAG_SCOPE },
  /* blocks */
  { "address", 0, TAG_BLOCK | TAG_CLOSES_P }, { "article", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "aside", 0, TAG_BLOCK | TAG_CLOSES_P }, { "blockquote", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "center", 0, TAG_BLOCK | TAG_CLOSES_P }, { "details", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "dialog", 0, TAG_BLOCK | TAG_CLOSES_P }, { "dir", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_LIST },
  { "div", 0, TAG_BLOCK | TAG_CLOSES_P }, { "dl", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "fieldset", 0, TAG_BLOCK | TAG_CLOSES_P }, { "figcaption", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "figure", 0, TAG_BLOCK | TAG_CLOSES_P }, { "footer", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "form", 0, TAG_BLOCK | TAG_CLOSES_P }, { "header", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "hgroup", 0, TAG_BLOCK | TAG_CLOSES_P }, { "main", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "menu", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_LIST }, { "nav", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "ol", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_LIST }, { "ul", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_LIST },
  { "section", 0, TAG_BLOCK | TAG_CLOSES_P }, { "summary", 0, TAG_BLOCK | TAG_CLOSES_P },
  { "pre", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_PRE | TAG_SKIP_LF },
  { "listing", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_PRE | TAG_SKIP_LF },
  { "xmp", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_PRE }, { "plaintext", 0, TAG_BLOCK | TAG_CLOSES_P | TAG_PRE },
  { "textarea", 0, TAG_PRE | TAG_SKIP_LF },
  { "h1", 0, TAG_BLOCK2 | TAG_CLOSES_P }, { "h2", 0, TAG_BLOCK2 | TAG_CLOSES_P },
  { "h3", 0, TAG_BLOCK2 | TAG_CLOSES_P }, { "h4", 0, TAG_BLOCK2 | TAG_CLOSES_P },
  { "h5", 0, TAG_BLOCK2 | TAG_CLOSES_P }, { "h6", 0, TAG_BLOCK2 | TAG_CLOSES_P },
  { "caption", 0, TAG_BLOCK | TAG_SCOPE }, { "thead", 0, 0 }, { "tbody", 0, 0 }, { "tfoot", 0, 0 },
  { "legend", 0, TAG_BLOCK }, { "button", 0, TAG_SCOPE }, { "object", 0, TAG_SCOPE },
  { "applet", 0, TAG_SCOPE }, { "marquee", 0, TAG_SCOPE },
  { "svg", 0, TAG_FOREIGN | TAG_SCOPE }, { "math", 0, TAG_FOREIGN | TAG_SCOPE },
  /* common inline elements, so they have ids */
  { "a", 0, 0 }, { "b", 0, 0 }, { "i", 0, 0 }, { "em", 0, 0 }, { "strong", 0, 0 }, { "span", 0, 0 },
  { "code", 0, 0 }, { "small", 0, 0 }, { "sub", 0, 0 }, { "sup", 0, 0 }, { "u", 0, 0 }, { "font", 0, 0 },
  { "abbr", 0, 0 }, { "cite", 0, 0 }, { "q", 0, 0 }, { "s", 0, 0 }, { "tt", 0, 0 }, { "label", 0, 0 },
  { "select", 0, 0 }, { "iframe", 0, 0 }, { "noembed", 0, 0 }, { "noframes", 0, 0 },
};

static inline guint32
name_hash (const char *name, gsize len)
{
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) name[i]) * 16777619u;
  return h;
}

TagTable *
tag_table_new (void)
{
  TagTable *t = g_new0 (TagTable, 1);

  t->mask = 511;
  t->slots = g_new0 (TagInfo, t->mask + 1);
  t->next_id = TAG_ID_FIRST_OTHER;
  for (guint i = 0; i < G_N_ELEMENTS (builtin); i++)
    {
      TagInfo *e = tag_table_add (t, builtin[i].name, strlen (builtin[i].name));
      if (builtin[i].id != 0)
        e->id = builtin[i].id;
      e->flags = builtin[i].flags;
      e->content = (guint8) html_state_for_tag (builtin[i].name, strlen (builtin[i].name));
    }
  return t;
}

void
tag_table_free (TagTable *table)
{
  if (table == NULL)
    return;
  for (guint i = 0; i <= table->mask; i++)
    g_free ((char *) table->slots[i].name);
  g_free (table->slots);
  g_free (table);
}

static inline gboolean
same_name (const char *a, const char *b, gsize len)
{
  /* tag names are short: a loop beats a call to memcmp */
  for (gsize i = 0; i < len; i++)
    if (a[i] != b[i])
      return FALSE;
  return TRUE;
}

static inline TagInfo *
find_slot (const TagTable *t, const char *name, gsize len)
{
  guint i = name_hash (name, len) & t->mask;

  for (;;)
    {
      TagInfo *e = &t->slots[i];
      if (e->name == NULL || (e->len == len && same_name (e->name, name, len)))
        return e;
      i = (i + 1) & t->mask;
    }
}

TagInfo *
tag_table_add (TagTable *t, const char *name, gsize len)
{
  TagInfo *e;

  g_return_val_if_fail (len > 0 && len < 256, NULL);
  e = find_slot (t, name, len);
  if (e->name != NULL)
    return e;
  if (t->n + 1 > (t->mask + 1) / 2)
    {
      /* keep the table at most half full */
      TagInfo *old = t->slots;
      guint old_size = t->mask + 1;
      t->mask = t->mask * 2 + 1;
      t->slots = g_new0 (TagInfo, t->mask + 1);
      for (guint i = 0; i < old_size; i++)
        if (old[i].name != NULL)
          *find_slot (t, old[i].name, old[i].len) = old[i];
      g_free (old);
      e = find_slot (t, name, len);
    }
  e->name = g_strndup (name, len);
  e->len = (guint8) len;
  e->id = (guint16) t->next_id++;
  t->n++;
  return e;
}

const TagInfo *
tag_table_lookup (const TagTable *t, const char *name, gsize len)
{
  const TagInfo *e;

  if (len == 0 || len >= 256)
    return NULL;
  e = find_slot (t, name, len);
  return e->name != NULL ? e : NULL;
}

guint
tag_table_n_ids (const TagTable *t)
{
  return t->next_id;
}
