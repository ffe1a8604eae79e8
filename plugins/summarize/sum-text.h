/* sum-text.h: cable-aware layout, sentence segmentation and explicit-summary detection over plain text. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gsize start;
  gsize end;
} SumRange;

/* What earlier stages already know (byte ranges into the text, sorted or not;
 * any list may be empty). The analysis prefers these over its own guesses. */
typedef struct {
  const SumRange *headers;
  guint           n_headers;
  const SumRange *page_breaks;    /* the only page breaks known: no guesses of its own */
  guint           n_page_breaks;
  const SumRange *paragraphs;
  guint           n_paragraphs;
  gboolean        has_region;   /* only look inside region (e.g. the cable's <pre>) */
  SumRange        region;
} SumHints;

typedef enum {
  SUM_SENTENCE_EXPLICIT = 1 << 0,  /* inside the cable's own summary */
  SUM_SENTENCE_PARA_FIRST = 1 << 1,  /* first sentence of its paragraph */
} SumSentenceFlags;

typedef struct {
  gsize start;       /* trimmed byte range; page-break text may lie inside (see gaps) */
  gsize end;
  guint first_gap;   /* SumAnalysis.gaps[first_gap .. first_gap + n_gaps) lie inside */
  guint n_gaps;
  guint paragraph;   /* index of the paragraph (block) it belongs to */
  guint flags;       /* SumSentenceFlags */
} SumSentence;

typedef enum {
  SUM_EXPLICIT_NONE = 0,
  SUM_EXPLICIT_HEADING,     /* a "Summary" section heading */
  SUM_EXPLICIT_LABEL,       /* "1. (C) Summary: ..." / "BEGIN SUMMARY" */
  SUM_EXPLICIT_END_ONLY,    /* only "End Summary." closes text from the body start */
} SumExplicitForm;

typedef struct {
  const char     *text;
  gsize           len;
  gsize           body_start;   /* after the header */
  gsize           body_end;
  SumRange        subject;      /* the SUBJECT line's text, or empty */
  GArray         *sentences;    /* SumSentence, in text order */
  GArray         *gaps;         /* SumRange: page-break text inside sentences */
  guint           n_paragraphs;
  SumExplicitForm explicit_form;
  SumRange        explicit_range;  /* the summary text (labels and end marker outside) */
  guint           explicit_first;  /* its sentences */
  guint           explicit_count;
} SumAnalysis;

SumAnalysis *sum_analysis_new (const char *text, gsize len, const SumHints *hints);
void sum_analysis_free (SumAnalysis *analysis);

/* Appends the text of sentence @index with page-break text left out and each
 * run of white space made one space. */
void sum_analysis_append_sentence (const SumAnalysis *analysis, guint index, GString *out);

const char *sum_explicit_form_to_string (SumExplicitForm form);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SumAnalysis, sum_analysis_free)

G_END_DECLS
