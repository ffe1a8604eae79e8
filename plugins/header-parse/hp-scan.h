/* hp-scan.h: the header-parse scanner: cable header fields and layout spans from text, no document needed. */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "hp-text.h"
#include "hp-vocab.h"

G_BEGIN_DECLS

/* What the caller knows beyond the text (all optional). */
typedef struct {
  gsize       region_start;   /* where the cable starts (e.g. the first <pre>); 0 for plain text */
  gsize       region_end;     /* where it ends; 0 means the end of the text */
  const char *reference_id;   /* fields.page.reference_id, or NULL */
  const char *created;        /* fields.page.created (ISO 8601), or NULL */
  const HpVocab *tags;        /* the TAGS vocabulary (data/tags.txt), or NULL: no glued tags are split */
  const HpVocab *origins;     /* multi-word origin spellings (data/origins.txt), or NULL */
  HpScratch     *scratch;     /* buffers reused from one call to the next, or NULL; one caller at a time */
} HpInput;

typedef struct {
  const char  *layer;   /* static string: "header", "paragraph", "section", "page-break" */
  char        *label;   /* owned, nullable */
  gsize        start;
  gsize        end;
  json_object *attrs;   /* owned, nullable */
} HpSpan;

typedef struct {
  gboolean     warning;  /* FALSE: info */
  const char  *code;     /* static */
  gssize       offset;   /* byte offset in the text, or -1 */
  char        *message;  /* owned */
} HpDiag;

typedef struct {
  json_object *fields;  /* the fields.header object (owned) */
  GArray      *spans;   /* HpSpan */
  GArray      *diags;   /* HpDiag */
} HpResult;

/* Parses text[0, length) (valid UTF-8). Linear in length; never fails. */
HpResult *hp_parse (const char *text, gsize length, const HpInput *input);
void hp_result_free (HpResult *result);

/* Value helpers, exposed for tests. */
char *hp_normalize_value (const char *s, gsize n);
gboolean hp_parse_date (const char *s, gsize n, int pivot_year, int *year, int *month, int *day);

G_END_DECLS
