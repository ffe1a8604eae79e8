/* entity-link.c: the entity-link stage plugin: descriptor, options, set-up and tear-down. */
#include <quarry/plugin.h>
#include "el-link.h"

#include <string.h>

#ifndef ENTITY_LINK_KB_DEFAULT
#define ENTITY_LINK_KB_DEFAULT "kb.sqlite"
#endif

static const QuarryOption options[] = {
  { "kb", QUARRY_OPTION_PATH, ENTITY_LINK_KB_DEFAULT,
    "knowledge base (SQLite, built with quarry-kb); $QUARRY_ENTITY_LINK_KB replaces the default" },
  { "aliases", QUARRY_OPTION_PATH_LIST, NULL,
    "extra alias TSV files (';'-separated; relative to the config file) loaded over the knowledge base" },
  { "use-tags", QUARRY_OPTION_BOOL, "true",
    "use the cable TAGS (fields.header.tags) as context for ambiguous names" },
  { "max-mention-bytes", QUARRY_OPTION_INT, "256",
    "longer mentions are left unlinked with a diagnostic", NULL, 16, 65536 },
  { NULL }
};

static const char *const requires[] = { "layer:entity", NULL };
static const char *const provides[] = { "entities", NULL };

/* The built-in default names the installed file; a build tree can point elsewhere. */
static const char *
resolve_kb_path (const QuarryStage *stage)
{
  const char *path = quarry_stage_get_string (stage, "kb");
  const char *env = g_getenv ("QUARRY_ENTITY_LINK_KB");
  if (env && *env && (!path || !strcmp (path, ENTITY_LINK_KB_DEFAULT)))
    return env;
  return path ? path : ENTITY_LINK_KB_DEFAULT;
}

static gboolean
link_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  const char *kb = resolve_kb_path (stage);
  g_autoptr (GError) local = NULL;
  ElContext *ctx = el_context_new (kb, quarry_stage_get_strv (stage, "aliases"),
                                   quarry_stage_get_bool (stage, "use-tags"),
                                   (gsize) quarry_stage_get_int (stage, "max-mention-bytes"), &local);
  if (!ctx)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "%s", local->message);
      return FALSE;
    }
  quarry_stage_log (stage, G_LOG_LEVEL_INFO,
                    "knowledge base %s: %u entries, %u alias keys, loaded in %.1f ms",
                    kb, ctx->n_entries, ctx->n_alias_keys, ctx->setup_seconds * 1e3);
  /* the KB decides the output as much as the options do (and $QUARRY_ENTITY_LINK_KB or
   * an alias file can change it without changing the config): its content goes into
   * every record's provenance */
  quarry_stage_set_provenance (stage, "kb_sha256", ctx->kb_sha256);
  *state = ctx;
  return TRUE;
}

static gboolean
link_worker_setup (gpointer state, gpointer *worker_state, GError **error)
{
  *worker_state = el_worker_new (state);
  return TRUE;
}

static void
link_worker_teardown (gpointer state, gpointer worker_state)
{
  el_worker_free (worker_state);
}

static gboolean
link_process (gpointer worker_state, QuarryDocument *doc, GError **error)
{
  ElWorker *w = worker_state;

  return el_context_process (el_worker_get_context (w), w, doc, error);
}

static void
link_teardown (gpointer state)
{
  el_context_free (state);
}

QUARRY_PLUGIN_DEFINE (
  .name = "entity-link",
  .version = "1.1.0",
  .description = "entity mentions to entities: in-document coreference and a knowledge base",
  .options = options,
  .requires = requires,
  .provides = provides,
  .setup = link_setup,
  .process = link_process,
  .teardown = link_teardown,
  .worker_setup = link_worker_setup,
  .worker_teardown = link_worker_teardown);
