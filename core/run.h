/* run.h: `quarry run`: streams inputs through a pipeline on N threads or worker processes, writes whole records in input order. */
#pragma once

#include "input.h"
#include "pipeline.h"

G_BEGIN_DECLS

typedef enum {
  QUARRY_ISOLATION_THREADS,    /* stages run in threads of this process (the default) */
  QUARRY_ISOLATION_PROCESSES,  /* stages run in worker processes: a crash or a hang costs one document */
} QuarryIsolation;

/* What a run wrote, for a shard's manifest. */
typedef struct {
  guint64      documents;         /* documents in (those --resume skipped included) */
  guint64      records;           /* records in the output */
  guint64      dead_letters;      /* records in the dead-letter file */
  char        *first_id;          /* (nullable) the first document's id, in input order */
  char        *last_id;           /* (nullable) the last written document's id */
} QuarryRunResult;

void quarry_run_result_clear (QuarryRunResult *result);

typedef struct {
  guint        jobs;              /* workers; with threads, 1 runs on the calling thread */
  QuarryIsolation isolation;
  guint        document_timeout_ms; /* 0: none; needs processes */
  int          out_fd;            /* output records (not closed by quarry_run) */
  const char  *out_name;          /* for messages */
  gboolean     resume;            /* continue where out_fd's file ends (it must be readable) */
  const char  *dead_letter_path;  /* opened on the first dead letter; an older one is replaced */
  const char  *report_path;       /* NULL: no report file */
  gboolean     quiet;             /* no summary line */
  gboolean     progress;          /* progress line on stderr */
  gint64       total_bytes;       /* input size for the ETA, or -1 if unknown */
  QuarryRunResult *result;        /* (nullable) filled at the end of the run */
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
