/* el-link.h: the entity-link stage proper: set-up context and per-document linking. */
#pragma once

#include <quarry/document.h>
#include "el-kb.h"

G_BEGIN_DECLS

typedef struct {
  ElKb       *kb;
  const char *entity_layer;      /* interned "entity" */
  gboolean    use_tags;          /* fields.header.tags as context */
  gsize       max_mention_bytes;
  guint       n_entries;         /* for the set-up report */
  guint       n_alias_keys;
  double      setup_seconds;
} ElContext;

/* Loads the knowledge base at kb_path, then each alias TSV file (NULL-terminated,
 * may be NULL). The error names the file that failed. */
ElContext *el_context_new (const char *kb_path, const char *const *alias_files,
                           gboolean use_tags, gsize max_mention_bytes, GError **error);
void       el_context_free (ElContext *ctx);

/* Links the entity spans of doc; ctx is only read, so threads may share it. */
gboolean   el_context_process (const ElContext *ctx, QuarryDocument *doc, GError **error);

G_END_DECLS
