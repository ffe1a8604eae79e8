/* sum-doc.c: what earlier stages left on a document, as hints for the text analysis. */
#include "sum-doc.h"

#include <string.h>

static int
range_cmp (gconstpointer x, gconstpointer y)
{
  const SumRange *a = x, *b = y;
  return a->start < b->start ? -1 : a->start > b->start ? 1 : 0;
}

/* The cable body is the longest <pre> when html-strip kept markup spans. */
void
sum_layers_collect (SumLayers *ly, const QuarryDocument *doc)
{
  const char *l_header = g_intern_static_string ("header");
  const char *l_page_break = g_intern_static_string ("page-break");
  const char *l_paragraph = g_intern_static_string ("paragraph");
  const char *l_entity = g_intern_static_string ("entity");
  const char *l_markup = g_intern_static_string ("markup");
  const char *pre = g_intern_static_string ("pre");
  ly->headers = g_array_new (FALSE, FALSE, sizeof (SumRange));
  ly->page_breaks = g_array_new (FALSE, FALSE, sizeof (SumRange));
  ly->paragraphs = g_array_new (FALSE, FALSE, sizeof (SumRange));
  ly->entities = g_array_new (FALSE, FALSE, sizeof (SumRange));
  memset (&ly->hints, 0, sizeof ly->hints);
  guint n = quarry_document_get_n_spans (doc);
  for (guint i = 0; i < n; i++)
    {
      const QuarrySpan *sp = quarry_document_peek_span (doc, i);
      SumRange r = { sp->start, sp->end };
      if (sp->layer == l_header)
        g_array_append_val (ly->headers, r);
      else if (sp->layer == l_page_break)
        g_array_append_val (ly->page_breaks, r);
      else if (sp->layer == l_paragraph)
        g_array_append_val (ly->paragraphs, r);
      else if (sp->layer == l_entity)
        g_array_append_val (ly->entities, r);
      else if (sp->layer == l_markup && sp->label == pre
               && (!ly->hints.has_region || r.end - r.start > ly->hints.region.end - ly->hints.region.start))
        {
          ly->hints.has_region = TRUE;
          ly->hints.region = r;
        }
    }
  g_array_sort (ly->page_breaks, range_cmp);
  g_array_sort (ly->entities, range_cmp);
  /* a header outside the chosen <pre> means the cable is elsewhere: trust the header */
  for (guint i = 0; i < ly->headers->len && ly->hints.has_region; i++)
    {
      SumRange *h = &g_array_index (ly->headers, SumRange, i);
      if (h->end < ly->hints.region.start || h->start > ly->hints.region.end)
        ly->hints.has_region = FALSE;
    }
  ly->hints.headers = (SumRange *) ly->headers->data;
  ly->hints.n_headers = ly->headers->len;
  ly->hints.page_breaks = (SumRange *) ly->page_breaks->data;
  ly->hints.n_page_breaks = ly->page_breaks->len;
  ly->hints.paragraphs = (SumRange *) ly->paragraphs->data;
  ly->hints.n_paragraphs = ly->paragraphs->len;
}

void
sum_layers_clear (SumLayers *ly)
{
  g_array_free (ly->headers, TRUE);
  g_array_free (ly->page_breaks, TRUE);
  g_array_free (ly->paragraphs, TRUE);
  g_array_free (ly->entities, TRUE);
}

const char *
sum_layers_subject (const QuarryDocument *doc, const SumAnalysis *a, gsize *len)
{
  json_object *subj = quarry_document_lookup_field (doc, "header", "subject");
  if (subj && json_object_is_type (subj, json_type_string))
    {
      *len = (gsize) json_object_get_string_len (subj);
      return json_object_get_string (subj);
    }
  *len = a->subject.end - a->subject.start;
  return *len ? a->text + a->subject.start : NULL;
}
