/* harness.h: what Quarry's own tests share beyond the test kit: test data, the shared
 * corpus, configs/, temporary folders. */
#pragma once

#include <quarry/quarry.h>
#include <quarry/testing.h>
#include "pipeline.h"
#include "testing-private.h"
#include "writer.h"

G_BEGIN_DECLS

/* Pipelines, documents through them, records, spans, diagnostics and JSON comparison
 * come from the installed test kit (quarry/testing.h), the same one plugin authors use;
 * testing-private.h gives Quarry's own tests the pipeline inside a harness. */

/* The pipeline of configs/NAME in the source tree (e.g. "cables.ini"), with the plugins
 * of the build tree. Fails the test on any error. */
QuarryHarness *harness_pipeline_from_config (const char *name);

/* The path of a file of the test data: harness_data_path ("html-strip", "seed.html", NULL)
 * is tests/data/html-strip/seed.html in the source tree (read it with
 * quarry_test_read_file()). Returns (transfer full). */
char *harness_data_path (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* Path of a file under ../shared (the corpus, seed, html5lib tests), from
 * $QUARRY_SHARED_DIR; NULL (and the test is skipped by the caller) if absent. */
char *harness_shared_path (const char *relative);

/* The files under a folder of ../shared (subfolders too) whose names end in suffix, as
 * full paths in sorted order; NULL (and the test is skipped by the caller) if the folder
 * is absent.
 * (transfer full) */
GPtrArray *harness_shared_files (const char *relative_dir, const char *suffix);

/* Temporary folders for tests that run the quarry command. */
/* Removes dir and everything in it: links are removed, never followed; folders a test
 * made unreadable are opened first. */
void harness_remove_tree (const char *dir);
/* Writes len bytes of content (-1: NUL-terminated) to dir/name, making the folders on the way. */
void harness_put_file (const char *dir, const char *name, const char *content, gssize len);
/* (transfer full) (nullable): the contents of dir/name (length in *len if not NULL), NULL if unreadable. */
char *harness_slurp (const char *dir, const char *name, gsize *len);

G_END_DECLS
