/* view.h: `quarry view`: records and run reports as one self-contained HTML page. */
#pragma once

#include <glib.h>

typedef struct {
  const char *records;  /* JSON Lines of records, "-" for stdin, or NULL */
  const char *report;   /* a run report (quarry run --report), or NULL */
  const char *output;   /* the page; NULL or "-" for stdout */
  const char *layers;   /* comma-separated layers to draw, the first drawn whole; NULL: "entity" */
  char      **ids;      /* records to show (NULL-terminated), or NULL */
  int         limit;    /* without ids, the first N records (0: 20) */
} QuarryViewOptions;

/* Writes the page; returns the exit code (0, 1 bad input or a missing id, 5 output not
 * written). Nothing is written unless every record asked for was found and drawn. */
int quarry_view (const QuarryViewOptions *opt);
