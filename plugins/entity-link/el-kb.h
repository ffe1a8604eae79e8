/* el-kb.h: the in-memory knowledge base: entries and a hash of normalized aliases. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define EL_KB_SCHEMA_VERSION 1

#define EL_KB_ERROR (el_kb_error_quark ())
typedef enum {
  EL_KB_ERROR_MISSING,   /* the file does not exist or cannot be opened */
  EL_KB_ERROR_CORRUPT,   /* not an SQLite file, or not a Quarry knowledge base */
  EL_KB_ERROR_TSV,       /* a bad line in an alias TSV file */
  EL_KB_ERROR_WRITE,     /* writing a knowledge base failed */
} ElKbError;

GQuark el_kb_error_quark (void);

typedef struct _ElEntry ElEntry;
struct _ElEntry {
  char          *id;        /* stable: "iso:RU", "iso:US-GA", "org:nato", "gov:RU" */
  char          *name;      /* canonical display name */
  const char    *type;      /* interned PER, LOC, ORG or MISC */
  char          *kind;      /* (nullable) country, subdivision, organization, government, ... */
  char          *parent_id; /* (nullable) */
  char          *code;      /* (nullable) e.g. the ISO 3166 code */
  const ElEntry *parent;    /* resolved by el_kb_finish() */
  guint          index;     /* 0 .. n_entries-1 in id order, set by el_kb_finish() */
};

typedef struct {
  const ElEntry *entry;
  const char    *relation;  /* interned: name, short-form, tag-code, adjective, ... */
  int            priority;  /* higher wins when the context does not decide */
} ElHit;

typedef struct _ElKb ElKb;

ElKb *el_kb_new (void);
void  el_kb_free (ElKb *kb);

/* Adds or updates an entry (non-NULL arguments replace old values). The name
 * is not made an alias: callers add the aliases they mean. */
ElEntry *el_kb_add_entry (ElKb *kb, const char *id, const char *name, const char *type,
                          const char *kind, const char *parent_id, const char *code);
ElEntry *el_kb_get_entry (const ElKb *kb, const char *id);

/* Adds alias -> entry; the same entry under one key keeps the best priority.
 * priority < 0 takes the relation's default. */
void el_kb_add_alias (ElKb *kb, const char *alias, ElEntry *entry, const char *relation, int priority);
int  el_relation_default_priority (const char *relation);

/* Resolves parents; FALSE if an entry names a parent that does not exist. */
gboolean el_kb_finish (ElKb *kb, const char *what, GError **error);

/* (transfer none) the hits of a normalized key, best first, or NULL. */
const GArray *el_kb_lookup (const ElKb *kb, const char *key);

guint el_kb_n_entries (const ElKb *kb);
guint el_kb_n_aliases (const ElKb *kb);

/* Entries sorted by id, and every (alias text, hit) for writing a KB. */
GPtrArray *el_kb_sorted_entries (const ElKb *kb);
typedef void (*ElKbAliasFunc) (const char *alias, const ElHit *hit, gpointer user_data);
void el_kb_foreach_alias (const ElKb *kb, ElKbAliasFunc func, gpointer user_data);

/* SHA-256 (hex, g_free) of the KB's content: entries and aliases in a fixed order, so
 * the same data gives the same sum however it was loaded (SQLite file, TSV files). */
char *el_kb_checksum (const ElKb *kb);

/* Loading. */
gboolean el_kb_load_sqlite (ElKb *kb, const char *path, GError **error);
gboolean el_kb_load_tsv (ElKb *kb, const char *path, GError **error);
gboolean el_kb_load_tsv_data (ElKb *kb, const char *data, gsize len, const char *name, GError **error);

/* Writing (quarry-kb): a new SQLite file at path, replaced atomically. */
gboolean el_kb_write_sqlite (const ElKb *kb, const char *path, const char *built_from, GError **error);

gboolean el_is_entity_type (const char *type);

G_END_DECLS
