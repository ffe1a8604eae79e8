/* worker.h: one document's job, and the worker processes that run jobs in isolation from the run loop. */
#pragma once

#include "input.h"
#include "pipeline.h"

G_BEGIN_DECLS

/* A document in flight: from the input to its finished line. */
typedef struct {
  guint64          seq;
  QuarryInputItem  item;
  GString         *line;    /* the record or dead letter, with its newline, once done */
  gsize            bytes;   /* input bytes, for the counters */
  gboolean         dead;    /* line is a dead letter */
  gboolean         failed;  /* a stage with on-error=fail failed: the run must stop */
  gboolean         done;
} QuarryJob;

/* Runs job through the pipeline with the caller's worker (or dead-letters it if the
 * input could not be read, when worker may be NULL) and serializes its line; mark
 * (nullable) shows the stage it is in. Frees the document, keeps job->item's id and origin. */
void quarry_job_process (QuarryPipeline *pipeline, QuarryPipelineWorker *worker, QuarryJob *job,
                         QuarryStageMark *mark);

typedef struct _QuarryWorkers QuarryWorkers;

/* Up to n worker processes, forked from this (single-threaded) process on demand
 * so they inherit the set-up pipeline. doc_timeout_ms: 0 for no limit; each stage's
 * timeout-ms also applies. quiet: no message for each worker replaced. */
QuarryWorkers *quarry_workers_new (QuarryPipeline *pipeline, guint n, guint doc_timeout_ms, gboolean quiet);

/* Hands job to an idle worker; FALSE if none is idle. A worker that cannot be
 * started dead-letters the job at once (it is then done). */
gboolean quarry_workers_submit (QuarryWorkers *workers, QuarryJob *job);

/* Waits up to timeout_ms (or less, for a time limit) for workers: finished jobs are
 * marked done; a worker that died or overran its time is replaced and its job
 * dead-lettered. Returns early on a signal. */
void quarry_workers_wait (QuarryWorkers *workers, int timeout_ms);

/* Workers replaced because they crashed or timed out. */
guint64 quarry_workers_get_replaced (const QuarryWorkers *workers);

/* Ends every worker (killing those still holding a job) and waits for them. */
void quarry_workers_free (QuarryWorkers *workers);

G_END_DECLS
