/* plugin.h: the stage plugin ABI: the descriptor a module exports, its options, host services. */
#pragma once

#include <glib.h>
#include <quarry/version.h>
#include <quarry/document.h>

G_BEGIN_DECLS

/**
 * QuarryStage:
 *
 * The host's handle on one configured stage of a pipeline: its name, its
 * resolved options and its log. Given to a plugin's setup callback; valid until
 * its teardown callback returns, so a plugin may keep it in its state.
 */
typedef struct _QuarryStage QuarryStage;

/**
 * QuarryOptionType:
 * @QUARRY_OPTION_STRING: any UTF-8 string
 * @QUARRY_OPTION_INT: a 64-bit integer; range checked when @min < @max
 * @QUARRY_OPTION_DOUBLE: a number; range checked when @min < @max
 * @QUARRY_OPTION_BOOL: true/false
 * @QUARRY_OPTION_ENUM: one of @choices
 * @QUARRY_OPTION_STRING_LIST: a ';'-separated list of strings
 * @QUARRY_OPTION_PATH: a file name; relative names are resolved against the config file's folder
 * @QUARRY_OPTION_PATH_LIST: a ';'-separated list of file names, each resolved as for
 *   %QUARRY_OPTION_PATH; read with quarry_stage_get_strv() (since ABI 1.1)
 */
typedef enum {
  QUARRY_OPTION_STRING,
  QUARRY_OPTION_INT,
  QUARRY_OPTION_DOUBLE,
  QUARRY_OPTION_BOOL,
  QUARRY_OPTION_ENUM,
  QUARRY_OPTION_STRING_LIST,
  QUARRY_OPTION_PATH,
  QUARRY_OPTION_PATH_LIST,
} QuarryOptionType;

/**
 * QuarryOption:
 * @name: key in the stage's config group (lower-case, '-' separated)
 * @type: value type
 * @default_value: (nullable): default as config text; %NULL means "unset"
 * @help: one line for `quarry inspect`
 * @choices: (nullable): %NULL-terminated allowed values for %QUARRY_OPTION_ENUM
 * @min: lower bound for numbers (checked when @min < @max)
 * @max: upper bound for numbers
 *
 * One row of a plugin's option table. The table ends with a row whose @name is
 * %NULL (QUARRY_OPTION_END). The host checks the table itself when it loads the
 * plugin (every default parses as its type and lies within @min..@max, every
 * enum has choices) and a config against it before calling setup. Write rows
 * with designated initializers, which compile clean under `-Wall -Wextra`:
 * |[
 * static const QuarryOption options[] = {
 *   { .name = "limit", .type = QUARRY_OPTION_INT, .default_value = "5",
 *     .help = "at most this many", .min = 1, .max = 10 },
 *   QUARRY_OPTION_END
 * };
 * ]|
 */
typedef struct {
  const char        *name;
  QuarryOptionType   type;
  const char        *default_value;
  const char        *help;
  const char *const *choices;
  double             min;
  double             max;
  gpointer           reserved[2];
} QuarryOption;

/**
 * QUARRY_OPTION_END:
 *
 * The row that ends an option table (a header-only macro: any host reads it).
 */
#define QUARRY_OPTION_END { .name = NULL }

/**
 * QuarryPluginSetupFunc:
 * @stage: the configured stage; read options with quarry_stage_get_*()
 * @state: (out): the plugin's per-pipeline state, passed to process and teardown
 *
 * Called once per pipeline before any document. On failure, free what was made,
 * set @error and return %FALSE; teardown is then not called.
 */
typedef gboolean (*QuarryPluginSetupFunc) (QuarryStage *stage, gpointer *state, GError **error);

/**
 * QuarryPluginProcessFunc:
 *
 * Processes one document. Called from several threads at once on different
 * documents, so @state must be treated as read-only (or guarded); a stage with
 * a worker_setup callback is given its worker's own state instead, which it may
 * change freely (see #QuarryPluginWorkerSetupFunc).
 * Problems in the input are diagnostics on @doc (and a %TRUE return); return
 * %FALSE with @error only when the stage could not do its work on @doc, and the
 * stage's `on-error` policy decides what happens next.
 */
typedef gboolean (*QuarryPluginProcessFunc) (gpointer state, QuarryDocument *doc, GError **error);

/** QuarryPluginTeardownFunc: frees @state. */
typedef void (*QuarryPluginTeardownFunc) (gpointer state);

/**
 * QuarryPluginWorkerSetupFunc:
 * @state: the stage's state, as its setup made it; shared by every worker, so
 *   read-only here as in process
 * @worker_state: (out): this worker's own state (scratch buffers, caches, a
 *   database connection); it may keep @state in it
 * @error: set on failure
 *
 * Makes the state of one worker: each worker thread gets its own, and under
 * `--isolation=processes` each worker process makes its own after it is
 * forked. When a stage has this callback, its process callback is given the
 * worker state in place of @state, and no other worker ever sees it at the
 * same time, so process may change it without a lock.
 *
 * Called on the thread (or in the process) that will use the worker state,
 * after the stage's setup and before that worker's first document. A worker
 * that processes no document may still be set up and torn down. On failure,
 * free what was made, set @error and return %FALSE: the run stops before any
 * document is read (the host sets up one worker before it starts any), and
 * worker_teardown is not called for it.
 *
 * Since: ABI 1.2
 */
typedef gboolean (*QuarryPluginWorkerSetupFunc) (gpointer state, gpointer *worker_state, GError **error);

/**
 * QuarryPluginWorkerTeardownFunc:
 * @state: the stage's state
 * @worker_state: what worker_setup made
 *
 * Frees @worker_state, on the worker's thread (or in its process) after its
 * last document and before the stage's teardown. A worker process that crashed
 * or was killed for a timeout is not torn down.
 *
 * Since: ABI 1.2
 */
typedef void (*QuarryPluginWorkerTeardownFunc) (gpointer state, gpointer worker_state);

/**
 * QuarryPluginDescriptor:
 * @abi_major: %QUARRY_PLUGIN_ABI_MAJOR the plugin was built against; read first
 * @abi_minor: %QUARRY_PLUGIN_ABI_MINOR the plugin was built against
 * @struct_size: sizeof (QuarryPluginDescriptor) when built; fields past it are absent
 * @name: the stage plugin name used in configs ("html-strip")
 * @version: the plugin's own version ("1.0.0"), recorded in output provenance
 * @description: one line
 * @options: (nullable): the option table, ended by a row with a %NULL name
 * @requires: (nullable): %NULL-terminated things an earlier stage must provide:
 *   `layer:NAME`, `field:NAME`, `entities` or `summary` (checked at load)
 * @provides: (nullable): %NULL-terminated things this stage provides, same syntax
 * @setup: (nullable): see #QuarryPluginSetupFunc
 * @process: see #QuarryPluginProcessFunc
 * @teardown: (nullable): see #QuarryPluginTeardownFunc
 * @worker_setup: (nullable): see #QuarryPluginWorkerSetupFunc (since ABI 1.2;
 *   read only from a plugin whose @abi_minor is 2 or more)
 * @worker_teardown: (nullable): see #QuarryPluginWorkerTeardownFunc (since ABI 1.2)
 *
 * The one symbol a plugin module exports, named %QUARRY_PLUGIN_SYMBOL. Define it
 * with QUARRY_PLUGIN_DEFINE(). New fields are only ever appended, taken from
 * @reserved so that the struct keeps its size; the host reads a field only
 * from a plugin whose @abi_minor says it is there.
 */
typedef struct {
  guint32                   abi_major;
  guint32                   abi_minor;
  gsize                     struct_size;
  const char               *name;
  const char               *version;
  const char               *description;
  const QuarryOption       *options;
  const char *const        *requires;
  const char *const        *provides;
  QuarryPluginSetupFunc     setup;
  QuarryPluginProcessFunc   process;
  QuarryPluginTeardownFunc  teardown;
  /* since ABI 1.2 */
  QuarryPluginWorkerSetupFunc    worker_setup;
  QuarryPluginWorkerTeardownFunc worker_teardown;
  gpointer                  reserved[6];
} QuarryPluginDescriptor;

#define QUARRY_PLUGIN_SYMBOL "quarry_plugin_descriptor"

/**
 * QUARRY_PLUGIN_DEFINE:
 *
 * Defines and exports the descriptor, filling in the ABI fields (the minor is
 * the one the plugin requires, QUARRY_PLUGIN_ABI_REQUIRED_MINOR):
 * |[
 * QUARRY_PLUGIN_DEFINE (
 *   .name = "html-strip", .version = "1.0.0", .description = "HTML to text",
 *   .options = options, .provides = provides,
 *   .setup = strip_setup, .process = strip_process, .teardown = strip_teardown);
 * ]|
 */
#define QUARRY_PLUGIN_DEFINE(...)                                           \
  QUARRY_API extern const QuarryPluginDescriptor quarry_plugin_descriptor;  \
  const QuarryPluginDescriptor quarry_plugin_descriptor = {                 \
    .abi_major = QUARRY_PLUGIN_ABI_MAJOR,                                   \
    .abi_minor = QUARRY_PLUGIN_ABI_REQUIRED_MINOR,                          \
    .struct_size = sizeof (QuarryPluginDescriptor),                         \
    __VA_ARGS__                                                             \
  }

#define QUARRY_PLUGIN_ERROR (quarry_plugin_error_quark ())

/**
 * QuarryPluginError:
 * @QUARRY_PLUGIN_ERROR_SETUP: a plugin could not set up (bad option value, missing file)
 * @QUARRY_PLUGIN_ERROR_PROCESS: a plugin could not process a document
 */
typedef enum {
  QUARRY_PLUGIN_ERROR_SETUP,
  QUARRY_PLUGIN_ERROR_PROCESS,
} QuarryPluginError;

QUARRY_API GQuark quarry_plugin_error_quark (void);

/* ---- host services for plugins ---- */

/** Returns: (transfer none): the stage name (the plugin name, or the config group naming it). */
QUARRY_API const char *quarry_stage_get_name (const QuarryStage *stage);

/**
 * quarry_stage_get_string:
 * Returns: (transfer none) (nullable): the resolved value of option @key
 * (STRING, ENUM or PATH; a PATH is absolute), or %NULL if unset.
 */
QUARRY_API const char *quarry_stage_get_string (const QuarryStage *stage, const char *key);
QUARRY_API gint64 quarry_stage_get_int (const QuarryStage *stage, const char *key);
QUARRY_API double quarry_stage_get_double (const QuarryStage *stage, const char *key);
QUARRY_API gboolean quarry_stage_get_bool (const QuarryStage *stage, const char *key);
/** Returns: (transfer none) (array zero-terminated=1): a STRING_LIST or PATH_LIST option; never %NULL. */
QUARRY_API const char *const *quarry_stage_get_strv (const QuarryStage *stage, const char *key);

/**
 * quarry_stage_set_provenance:
 * @key: a name for it ("kb_sha256")
 * @value: its value; copied
 *
 * Records something other than the options that decides what this stage
 * writes: the checksum of a data file or knowledge base it loaded, a model
 * version. Call it from set-up; every output record then carries it in
 * `provenance.stages[i].data.@key`, so a run can be audited and two runs with
 * the same config but different data told apart. Setting a key again replaces it.
 *
 * Since: ABI 1.1
 */
QUARRY_API QUARRY_AVAILABLE_IN_ABI_1_1
void quarry_stage_set_provenance (QuarryStage *stage, const char *key, const char *value);

/**
 * quarry_stage_log:
 *
 * Logs a message that names the stage. Use for set-up and configuration
 * messages; problems in a document belong in quarry_document_diagnose().
 */
QUARRY_API void quarry_stage_log (const QuarryStage *stage, GLogLevelFlags level,
                                  const char *format, ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
