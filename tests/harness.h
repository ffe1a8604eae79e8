/* harness.h: the one helper plugin tests share: build a pipeline from INI text with
 * the plugins of the build tree, run documents through it, compare with expected JSON. */
#pragma once

#include <quarry/quarry.h>
#include "pipeline.h"
#include "writer.h"

G_BEGIN_DECLS

/* A pipeline from INI text (plugins found via $QUARRY_PLUGIN_PATH, which `make check`
 * points at the build tree). Fails the test on any error, and when a stage's plugin
 * comes from elsewhere (an installed copy standing in for a missing build-tree one). */
QuarryPipeline *harness_pipeline_new (const char *ini);

/* Like harness_pipeline_new() but returns NULL and sets error (for tests of config and
 * set-up errors; a pipeline a test needs is made with harness_pipeline_new(), so that its
 * failure fails the test and never skips it). */
QuarryPipeline *harness_pipeline_try_new (const char *ini, GError **error);

/* The pipeline of configs/NAME in the source tree (e.g. "cables.ini"), with the plugins
 * of the build tree. Fails the test on any error. */
QuarryPipeline *harness_pipeline_from_config (const char *name);

/* Runs one document through the pipeline and asserts it came out OK (not dropped).
 * length -1: data is NUL-terminated. media_type NULL: text/plain. */
QuarryDocument *harness_run (QuarryPipeline *pipeline, const char *id,
                             const char *data, gssize length, const char *media_type);

/* Reads a file of the test data: harness_data_path ("html-strip", "seed.html", NULL)
 * is tests/data/html-strip/seed.html in the source tree. Returns (transfer full). */
char *harness_data_path (const char *first, ...) G_GNUC_NULL_TERMINATED;
char *harness_read_file (const char *path, gsize *length);

/* Path of a file under ../shared (the corpus, seed, html5lib tests), from
 * $QUARRY_SHARED_DIR; NULL (and the test is skipped by the caller) if absent. */
char *harness_shared_path (const char *relative);

/* The files under a folder of ../shared (subfolders too) whose names end in suffix, as
 * full paths in sorted order; NULL (and the test is skipped by the caller) if the folder
 * is absent.
 * (transfer full) */
GPtrArray *harness_shared_files (const char *relative_dir, const char *suffix);

/* The output record of doc (as `quarry run` writes it, without provenance), parsed.
 * (transfer full) */
json_object *harness_record (QuarryDocument *doc);

/* Asserts that actual equals the JSON in expected_path (compared as JSON values,
 * reported as a readable diff on failure). With QUARRY_TEST_UPDATE=1 in the
 * environment it writes actual there instead (then review the diff with git). */
void harness_assert_json_file (json_object *actual, const char *expected_path);

/* Asserts two JSON values are equal; what names the thing compared. */
void harness_assert_json_equal (json_object *actual, json_object *expected, const char *what);

/* The spans of layer (in output order) as a JSON array of {"label","start","end","text","source","attrs"}
 * where start/end are code points, text is the covered text and source [b, e) bytes. (transfer full) */
json_object *harness_spans (QuarryDocument *doc, const char *layer);

/* Counts diagnostics of doc with this code (NULL: any). */
guint harness_count_diagnostics (QuarryDocument *doc, const char *code);

/* Temporary folders for tests that run the quarry command. */
/* Removes dir and everything in it: links are removed, never followed; folders a test
 * made unreadable are opened first. */
void harness_remove_tree (const char *dir);
/* Writes len bytes of content (-1: NUL-terminated) to dir/name, making the folders on the way. */
void harness_put_file (const char *dir, const char *name, const char *content, gssize len);
/* (transfer full) (nullable): the contents of dir/name (length in *len if not NULL), NULL if unreadable. */
char *harness_slurp (const char *dir, const char *name, gsize *len);

G_END_DECLS
