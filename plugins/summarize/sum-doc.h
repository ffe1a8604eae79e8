/* sum-doc.h: what earlier stages left on a document, as hints for the text analysis. */
#pragma once

#include <quarry/quarry.h>
#include "sum-text.h"

G_BEGIN_DECLS

typedef struct {
  GArray  *headers;      /* SumRange */
  GArray  *page_breaks;  /* SumRange, sorted */
  GArray  *paragraphs;   /* SumRange */
  GArray  *entities;     /* SumRange, sorted */
  SumHints hints;        /* points into the arrays above */
} SumLayers;

/* Reads the header, page-break, paragraph, entity and markup <pre> spans of @doc. */
void sum_layers_collect (SumLayers *layers, const QuarryDocument *doc);
void sum_layers_clear (SumLayers *layers);

/* The subject: fields.header.subject if header-parse set it, else what the analysis found. */
const char *sum_layers_subject (const QuarryDocument *doc, const SumAnalysis *a, gsize *len);

G_END_DECLS
