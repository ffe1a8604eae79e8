/* hp-internal.h: what the header-parse scanner's parts share. */
#pragma once

#include "hp-scan.h"
#include "hp-text.h"

G_BEGIN_DECLS

typedef struct {
  gsize start;       /* the pilcrow or the number */
  gsize end;         /* filled in once the next one is known */
  int   number;
  char *marking;     /* owned, nullable */
} HpPara;

typedef struct {
  gsize start;
  gsize end;
  char *title;       /* owned */
} HpSection;

/* The body scan's results, all offsets into the original text. */
typedef struct {
  GArray    *paras;     /* HpPara */
  GArray    *sections;  /* HpSection */
  GArray    *breaks;    /* HpRange: page-break lines */
  HpScratch *scratch;   /* borrowed, nullable: buffers for the copies made from the body */
} HpBody;

/* One linear pass over text[from, to): paragraphs, underlined section headings and
 * page-break lines. origin (nullable) is the cable's origin, to find page breaks exactly;
 * scratch (nullable) is kept in body for the copies made from it. */
void hp_body_scan (HpBody *body, const char *text, gsize from, gsize to, const char *origin,
                   HpScratch *scratch);
void hp_body_clear (HpBody *body);

/* The signers at the end of text[from, to) in the order written (owned strings), or NULL;
 * start and end get the place of them all. */
GPtrArray *hp_find_signers (const char *text, gsize from, gsize to, const HpBody *body,
                            gsize *start, gsize *end);

/* TRUE if [p, e) holds only lines that close a cable (classification, NNNN, BT, a website
 * notice, rules) or blank ones. */
gboolean hp_only_closing_lines (const char *p, const char *e);

/* TRUE if [p, e) (trimmed) is only a classification word, spaced or not. */
gboolean hp_is_class_only (const char *p, const char *e);

/* Matches a classification word at p (spaced "C O N F ..." or not, any case);
 * returns the normalized name and sets *after, or NULL. */
const char *hp_match_class (const char *p, const char *end, const char **after);

G_END_DECLS
