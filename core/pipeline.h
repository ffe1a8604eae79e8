/* pipeline.h: set up the configured stages and run documents through them. Host-only. */
#pragma once

#include "quarry-config.h"

G_BEGIN_DECLS

#define QUARRY_PIPELINE_ERROR (quarry_pipeline_error_quark ())
typedef enum {
  QUARRY_PIPELINE_ERROR_SETUP,  /* a stage's setup failed */
  QUARRY_PIPELINE_ERROR_STAGE,  /* a stage with on-error=fail failed on a document */
} QuarryPipelineError;

QUARRY_API GQuark quarry_pipeline_error_quark (void);

typedef enum {
  QUARRY_RESULT_OK,       /* goes to the output (possibly with error diagnostics) */
  QUARRY_RESULT_DROPPED,  /* goes to the dead-letter output */
  QUARRY_RESULT_FAILED,   /* the run must stop; the document goes to the dead-letter output */
} QuarryResult;

/* Per-stage counters, filled while documents run (thread- and fork-safe). */
typedef struct {
  const char *name;
  guint64     documents;
  guint64     errors;
  guint64     bytes_in;     /* text bytes the stage was given */
  gint64      nanoseconds;  /* time spent in process */
} QuarryStageStats;

typedef struct _QuarryPipeline QuarryPipeline;

/* Takes ownership of cfg; calls every stage's setup (and tears down what was
 * set up if one fails). */
QUARRY_API QuarryPipeline *quarry_pipeline_new (QuarryConfig *cfg, GError **error);
QUARRY_API void quarry_pipeline_free (QuarryPipeline *pipeline);

QUARRY_API const QuarryConfig *quarry_pipeline_get_config (const QuarryPipeline *pipeline);

/* {"quarry": version, "config_hash": ..., "stages": [{"name","plugin","version"}]}
 * (transfer none) */
QUARRY_API json_object *quarry_pipeline_get_provenance (const QuarryPipeline *pipeline);
/* The same, serialized once (records are written from several threads). (transfer none) */
QUARRY_API const char *quarry_pipeline_get_provenance_text (const QuarryPipeline *pipeline);

/* The per-worker state of every stage that has ABI 1.2 worker callbacks: one
 * per worker thread or process, used by one thread at a time. _new calls each
 * stage's worker_setup in order (NULL with an error naming the stage if one
 * fails, having torn down the others); _free calls worker_teardown in reverse. */
typedef struct _QuarryPipelineWorker QuarryPipelineWorker;
QUARRY_API QuarryPipelineWorker *quarry_pipeline_worker_new (QuarryPipeline *pipeline, GError **error);
QUARRY_API void quarry_pipeline_worker_free (QuarryPipelineWorker *worker);

/* Runs doc through every stage. Safe to call from several threads on different
 * documents (each call borrows a worker kept by the pipeline, making one when
 * none is free). For DROPPED and FAILED, *reason (transfer full) says which
 * stage and why. */
QUARRY_API QuarryResult quarry_pipeline_process (QuarryPipeline *pipeline, QuarryDocument *doc, char **reason);

/* Where quarry_pipeline_process_marked() shows which stage it is in: written before
 * each stage's process, read by another process (shared memory) to name the stage
 * a worker died or overran its time in. */
typedef struct {
  gint   stage;       /* index of the stage being run; -1 before the first */
  gint64 started_ns;  /* CLOCK_MONOTONIC when that stage was entered */
} QuarryStageMark;

/* The same as quarry_pipeline_process(), also updating mark (nullable). */
QUARRY_API QuarryResult quarry_pipeline_process_marked (QuarryPipeline *pipeline, QuarryDocument *doc, char **reason,
                                                        QuarryStageMark *mark);

/* The same, run with the caller's worker (which may be NULL only when no stage
 * has worker callbacks): what the run loop's threads and processes use. */
QUARRY_API QuarryResult quarry_pipeline_process_worker (QuarryPipeline *pipeline, QuarryPipelineWorker *worker,
                                                        QuarryDocument *doc, char **reason, QuarryStageMark *mark);

/* CLOCK_MONOTONIC in nanoseconds: the clock of QuarryStageMark (the same in every process). */
QUARRY_API gint64 quarry_pipeline_now_ns (void);

/* (transfer none) one entry per stage, in order. Kept in memory shared with worker
 * processes forked after quarry_pipeline_new(), so their counts show here. */
QUARRY_API const QuarryStageStats *quarry_pipeline_get_stats (QuarryPipeline *pipeline, guint *n_stages);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryPipeline, quarry_pipeline_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryPipelineWorker, quarry_pipeline_worker_free)

G_END_DECLS
