/* el-map.h: a small open-addressing map from byte strings to pointers, for the hot
 * lookups of entity-link (the knowledge base, and the per-document tables). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Keys are not copied: they must outlive the map (or its next el_map_clear).
 * Unlike GHashTable, clearing keeps the memory (a reused per-document table does not
 * shrink and regrow each time), keys carry their length (no strlen, no strcmp on a
 * hash mismatch) and there is no function-pointer call per probe. */
typedef struct {
  guint32     hash;   /* 0: empty slot */
  guint32     len;
  const char *key;
  gpointer    value;
} ElMapSlot;

typedef struct {
  ElMapSlot *slots;
  guint      mask;    /* capacity - 1 */
  guint      n;
} ElMap;

void     el_map_init (ElMap *map);
void     el_map_clear (ElMap *map);
void     el_map_destroy (ElMap *map);

guint32  el_map_hash (const char *key, gsize len);

/* NULL if absent; values should not be NULL. */
gpointer el_map_lookup (const ElMap *map, const char *key, gsize len);

/* The value slot of key, added (holding NULL) if absent: *value == NULL tells a new key. */
gpointer *el_map_slot (ElMap *map, const char *key, gsize len);

/* For iterating: slots with hash != 0 are used. */
static inline guint
el_map_capacity (const ElMap *map)
{
  return map->slots ? map->mask + 1 : 0;
}

G_END_DECLS
