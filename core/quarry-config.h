/* quarry-config.h: pipeline configs (GKeyFile): parse, check against plugin option tables, resolve, hash. Host-only. */
#pragma once

#include <quarry/plugin.h>
#include "registry.h"

G_BEGIN_DECLS

#define QUARRY_CONFIG_ERROR (quarry_config_error_quark ())
typedef enum {
  QUARRY_CONFIG_ERROR_PARSE,          /* not a valid key file / unreadable */
  QUARRY_CONFIG_ERROR_NO_PIPELINE,    /* [pipeline] or its stages missing/empty */
  QUARRY_CONFIG_ERROR_UNKNOWN_PLUGIN, /* a stage names no plugin found */
  QUARRY_CONFIG_ERROR_UNKNOWN_GROUP,
  QUARRY_CONFIG_ERROR_UNKNOWN_KEY,
  QUARRY_CONFIG_ERROR_BAD_VALUE,      /* wrong type, not an allowed value, out of range */
  QUARRY_CONFIG_ERROR_REQUIREMENT,    /* a stage's requirement is not provided earlier */
  QUARRY_CONFIG_ERROR_BAD_OVERRIDE,   /* --set not of the form stage.key=value */
} QuarryConfigError;

QUARRY_API GQuark quarry_config_error_quark (void);

typedef enum {
  QUARRY_ON_ERROR_SKIP,  /* record the error on the document and go on to the next stage */
  QUARRY_ON_ERROR_DROP,  /* send the document to the dead-letter output */
  QUARRY_ON_ERROR_FAIL,  /* stop the run */
} QuarryOnError;

typedef struct _QuarryConfig QuarryConfig;

/* overrides: NULL-terminated "stage.key=value" (or "pipeline.stages=..."). */
QUARRY_API QuarryConfig *quarry_config_new_from_file (const char *path, QuarryRegistry *reg,
                                                      const char *const *overrides, GError **error);
/* name: shown in messages (a file name); base_dir: for relative PATH options. */
QUARRY_API QuarryConfig *quarry_config_new_from_data (const char *data, gssize length, const char *name,
                                                      const char *base_dir, QuarryRegistry *reg,
                                                      const char *const *overrides, GError **error);
QUARRY_API void quarry_config_free (QuarryConfig *cfg);

QUARRY_API guint quarry_config_get_n_stages (const QuarryConfig *cfg);
QUARRY_API QuarryStage *quarry_config_get_stage (const QuarryConfig *cfg, guint index);

/* The resolved config (every option, defaults filled in) in a stable canonical
 * INI text, and the SHA-256 (hex) of that text. */
QUARRY_API const char *quarry_config_get_canonical (const QuarryConfig *cfg);
/* [pipeline] span-stages: write each span's stage in the output. */
QUARRY_API gboolean quarry_config_get_span_stages (const QuarryConfig *cfg);
QUARRY_API const char *quarry_config_get_hash (const QuarryConfig *cfg);
QUARRY_API const char *quarry_config_get_name (const QuarryConfig *cfg);

/* Stage accessors the host needs beyond the plugin-facing ones. */
QUARRY_API const QuarryPlugin *quarry_stage_get_plugin (const QuarryStage *stage);
QUARRY_API QuarryOnError quarry_stage_get_on_error (const QuarryStage *stage);
/* (transfer none) (nullable): what set-up recorded with quarry_stage_set_provenance(). */
QUARRY_API json_object *quarry_stage_get_provenance (const QuarryStage *stage);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryConfig, quarry_config_free)

G_END_DECLS
