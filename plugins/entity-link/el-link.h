/* el-link.h: the entity-link stage proper: set-up context and per-document linking. */
#pragma once

#include <quarry/document.h>
#include "el-kb.h"

G_BEGIN_DECLS

/* A worker's workspace: the tables and arrays of one document, kept for the next. */
typedef struct _ElWorker ElWorker;

typedef struct {
  ElKb       *kb;
  const char *entity_layer;      /* interned "entity" */
  const char *key_entity;        /* interned attribute names */
  const char *key_relation;
  const char *key_candidates;
  const char *key_parts;
  gboolean    use_tags;          /* fields.header.tags as context */
  gsize       max_mention_bytes;
  guint       n_entries;         /* for the set-up report */
  guint       n_alias_keys;
  double      setup_seconds;
  char       *kb_sha256;         /* el_kb_checksum() after every file was loaded */
} ElContext;

/* Loads the knowledge base at kb_path, then each alias TSV file (NULL-terminated,
 * may be NULL). The error names the file that failed. */
ElContext *el_context_new (const char *kb_path, const char *const *alias_files,
                           gboolean use_tags, gsize max_mention_bytes, GError **error);
void       el_context_free (ElContext *ctx);

ElWorker  *el_worker_new (const ElContext *ctx);
void       el_worker_free (ElWorker *worker);
const ElContext *el_worker_get_context (const ElWorker *worker);

/* Links the entity spans of doc. Threads may share ctx: it is only read. worker
 * (nullable) is the caller's workspace, used by one call at a time; without one,
 * a fresh workspace is made and freed. */
gboolean   el_context_process (const ElContext *ctx, ElWorker *worker, QuarryDocument *doc, GError **error);

G_END_DECLS
