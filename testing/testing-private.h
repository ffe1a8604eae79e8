/* testing-private.h: the test kit's hooks for Quarry's own tests (core-private types). */
#pragma once

#include <quarry/testing.h>
#include "pipeline.h"

G_BEGIN_DECLS

/* The one registry of the test process: the named folders and $QUARRY_PLUGIN_PATH,
 * never the installed plugin folder. */
QUARRY_API QuarryRegistry *quarry_test_registry (void);

/* Fails the test when a stage of pipeline runs a module from outside those folders. */
QUARRY_API void quarry_test_check_plugins (QuarryPipeline *pipeline);

/* A harness around cfg (transfer full), made with quarry_test_registry(): for a
 * config with overrides. Fails the test if set-up fails. */
QUARRY_API QuarryHarness *quarry_harness_new_for_config (QuarryConfig *cfg);

/* (transfer none) the harness's pipeline. */
QUARRY_API QuarryPipeline *quarry_harness_get_pipeline (QuarryHarness *harness);

G_END_DECLS
