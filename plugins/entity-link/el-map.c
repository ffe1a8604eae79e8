/* el-map.c: open-addressing string map with linear probing (see el-map.h). */
#include "el-map.h"

#include <string.h>

#define MIN_CAPACITY 16

void
el_map_init (ElMap *map)
{
  map->slots = NULL;
  map->mask = 0;
  map->n = 0;
}

void
el_map_destroy (ElMap *map)
{
  g_free (map->slots);
  el_map_init (map);
}

void
el_map_clear (ElMap *map)
{
  if (map->slots == NULL)
    return;
  /* a table grown by one huge document is not kept at that size */
  if (map->mask + 1 > 4096)
    {
      el_map_destroy (map);
      return;
    }
  memset (map->slots, 0, (map->mask + 1) * sizeof (ElMapSlot));
  map->n = 0;
}

/* FNV-1a, never 0 (0 marks an empty slot). */
guint32
el_map_hash (const char *key, gsize len)
{
  guint32 h = 2166136261u;
  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) key[i]) * 16777619u;
  return h ? h : 1;
}

static ElMapSlot *
find (const ElMap *map, const char *key, gsize len, guint32 hash)
{
  for (guint i = hash & map->mask;; i = (i + 1) & map->mask)
    {
      ElMapSlot *s = &map->slots[i];
      if (s->hash == 0 || (s->hash == hash && s->len == len && (len == 0 || memcmp (s->key, key, len) == 0)))
        return s;
    }
}

gpointer
el_map_lookup (const ElMap *map, const char *key, gsize len)
{
  if (map->n == 0)
    return NULL;
  ElMapSlot *s = find (map, key, len, el_map_hash (key, len));
  return s->hash ? s->value : NULL;
}

static void
grow (ElMap *map)
{
  guint old_cap = el_map_capacity (map);
  ElMapSlot *old = map->slots;
  guint cap = old_cap ? 2 * old_cap : MIN_CAPACITY;

  map->slots = g_new0 (ElMapSlot, cap);
  map->mask = cap - 1;
  for (guint i = 0; i < old_cap; i++)
    if (old[i].hash)
      *find (map, old[i].key, old[i].len, old[i].hash) = old[i];
  g_free (old);
}

gpointer *
el_map_slot (ElMap *map, const char *key, gsize len)
{
  g_return_val_if_fail (len <= G_MAXUINT32, NULL);
  /* at most half full: probes stay short */
  if (2 * (map->n + 1) > el_map_capacity (map))
    grow (map);
  guint32 hash = el_map_hash (key, len);
  ElMapSlot *s = find (map, key, len, hash);
  if (s->hash == 0)
    {
      *s = (ElMapSlot) { hash, (guint32) len, key, NULL };
      map->n++;
    }
  return &s->value;
}
