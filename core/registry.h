/* registry.h: finds, loads and checks stage plugin modules (libltdl). Host-only. */
#pragma once

#include <quarry/plugin.h>

G_BEGIN_DECLS

typedef struct _QuarryRegistry QuarryRegistry;

/* A loaded plugin: its descriptor and the module file it came from. */
typedef struct {
  const QuarryPluginDescriptor *desc;
  char                         *file;
  gpointer                      handle;  /* lt_dlhandle */
} QuarryPlugin;

/* A module that could not be used: which file, why, and what to do. */
typedef struct {
  char *file;
  char *reason;
  char *hint;
} QuarryLoadFailure;

#define QUARRY_REGISTRY_ERROR (quarry_registry_error_quark ())
typedef enum {
  QUARRY_REGISTRY_ERROR_LOAD,       /* the dynamic loader refused the file */
  QUARRY_REGISTRY_ERROR_NO_SYMBOL,  /* not a Quarry plugin */
  QUARRY_REGISTRY_ERROR_ABI,        /* built for another ABI */
  QUARRY_REGISTRY_ERROR_INVALID,    /* descriptor incomplete or malformed */
  QUARRY_REGISTRY_ERROR_NOT_FOUND,  /* no plugin of that name */
} QuarryRegistryError;

QUARRY_API GQuark quarry_registry_error_quark (void);

QUARRY_API QuarryRegistry *quarry_registry_new (void);
QUARRY_API void quarry_registry_free (QuarryRegistry *reg);

/* Folders searched, in order: those added here, then $QUARRY_PLUGIN_PATH
 * (':'-separated), then the installed plugin folder. Each folder and its
 * immediate subfolders are scanned for modules. */
QUARRY_API void quarry_registry_add_path (QuarryRegistry *reg, const char *dir);

/* search FALSE: leave the installed plugin folder out of the search (the test kit:
 * a test must run the plugins it names, never an installed copy). Call before the
 * first scan or lookup. */
QUARRY_API void quarry_registry_set_search_installed (QuarryRegistry *reg, gboolean search);

/* Loads every module found (once; later calls do nothing). */
QUARRY_API void quarry_registry_scan (QuarryRegistry *reg);

/* Loads one module file; on failure also records it among the failures. */
QUARRY_API const QuarryPlugin *quarry_registry_load_file (QuarryRegistry *reg, const char *file, GError **error);

/* Scans if needed. Returns NULL with an error naming the folders searched and
 * any failure of a file of that name. */
QUARRY_API const QuarryPlugin *quarry_registry_lookup (QuarryRegistry *reg, const char *name, GError **error);

/* (transfer container) QuarryPlugin*, sorted by name. */
QUARRY_API GPtrArray *quarry_registry_list (QuarryRegistry *reg);
/* (transfer none) QuarryLoadFailure*, in the order met. */
QUARRY_API const GPtrArray *quarry_registry_get_failures (QuarryRegistry *reg);
/* (transfer none) the folders searched, in order. */
QUARRY_API const GPtrArray *quarry_registry_get_paths (QuarryRegistry *reg);

/* Whether a checked descriptor holds the ABI 1.2 fields (worker_setup, worker_teardown):
 * its minor says so, and it is big enough to hold them. */
#define QUARRY_DESCRIPTOR_HAS_1_2(d) \
  ((d)->abi_minor >= 2 && (d)->struct_size >= G_STRUCT_OFFSET (QuarryPluginDescriptor, reserved))

/* Checks a descriptor as the loader does (ABI first); exposed for tests. */
QUARRY_API gboolean quarry_descriptor_check (const QuarryPluginDescriptor *desc, const char *file, GError **error);

QUARRY_API const char *quarry_option_type_to_string (QuarryOptionType type);

/* true/yes/on/1 or false/no/off/0 (case-insensitive); FALSE if raw is neither. */
QUARRY_API gboolean quarry_option_parse_bool (const char *raw, gboolean *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryRegistry, quarry_registry_free)

G_END_DECLS
