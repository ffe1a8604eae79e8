/* run.h: `quarry run`: streams inputs through a pipeline on N threads, writes records in input order. */
#pragma once

#include <stdio.h>

#include "input.h"
#include "pipeline.h"

G_BEGIN_DECLS

typedef struct {
  guint        jobs;              /* worker threads; 1 runs on the calling thread */
  FILE        *out;               /* output records */
  const char  *dead_letter_path;  /* opened on the first dead letter */
  const char  *report_path;       /* NULL: no report file */
  gboolean     quiet;             /* no summary line */
  gboolean     progress;          /* progress line on stderr */
  gint64       total_bytes;       /* input size for the ETA, or -1 if unknown */
} QuarryRunOptions;

/* Exit codes of `quarry run` (documented in the README and --help). */
enum {
  QUARRY_EXIT_OK = 0,           /* every document is in the output */
  QUARRY_EXIT_USAGE = 1,        /* bad command line, config, plugin or set-up */
  QUARRY_EXIT_DEAD_LETTERS = 2, /* the run finished, some documents are in the dead-letter output */
  QUARRY_EXIT_STAGE_FAILED = 3, /* a stage with on-error=fail stopped the run */
  QUARRY_EXIT_INTERRUPTED = 4,  /* SIGINT/SIGTERM: in-flight documents finished, output flushed */
  QUARRY_EXIT_IO = 5,           /* the output could not be written */
};

/* Returns one of the exit codes above. */
int quarry_run (QuarryPipeline *pipeline, QuarryInput *input, const QuarryRunOptions *options);

/* Asks a running quarry_run() to stop taking documents (async-signal-safe). */
void quarry_run_request_stop (void);

/* TRUE once a stop was asked for (by a signal or quarry_run_request_stop()). */
gboolean quarry_run_stop_requested (void);

G_END_DECLS
