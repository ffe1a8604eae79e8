/* shard.h: `quarry run --shard K/N` manifests and `quarry merge`: one corpus split over many processes or machines, merged back byte for byte. */
#pragma once

#include <glib.h>

#include "input.h"
#include "pipeline.h"
#include "run.h"

G_BEGIN_DECLS

/* The manifest's version: a merge refuses manifests of another. */
#define QUARRY_SHARD_MANIFEST_FORMAT 1

/* Parses "K/N" (1 <= K <= N). FALSE with a message in error naming the value and the fix. */
gboolean quarry_shard_parse (const char *text, guint *k, guint *n, GError **error);

/* The manifest beside an output: OUT.shard.json (transfer full). */
char *quarry_shard_manifest_path (const char *output);

/* Writes the manifest of shard k/n beside output (to a temporary file, then
 * renamed): what merge checks order and completeness with. dead_letter and
 * report are the files the run wrote (NULL: none). */
gboolean quarry_shard_write_manifest (const char *output, guint k, guint n, const QuarryInputShard *shard,
                                      QuarryPipeline *pipeline, const char *const *inputs,
                                      const QuarryRunResult *result, const char *dead_letter,
                                      const char *report, GError **error);

/* `quarry merge`: checks the shards' manifests (same n, config, version and
 * inputs; every shard once; none truncated) and concatenates their outputs,
 * dead letters and reports in shard order into out, dead_letter and report
 * (written to temporary files, renamed at the end: on a refusal nothing is
 * written). Returns an exit code of `quarry run`: 0, 1 (refused) or 5 (I/O). */
int quarry_shard_merge (const char *out, const char *const *shards, const char *dead_letter,
                        const char *report, gboolean quiet);

G_END_DECLS
