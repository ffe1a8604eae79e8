/* el-kb.c: the knowledge base in memory, loaded from SQLite and alias TSV files, written by quarry-kb. */
#include "el-kb.h"
#include "el-map.h"
#include "el-normalize.h"

#include <errno.h>
#include <stdarg.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (entity-link-kb-error-quark, el_kb_error)

typedef struct {
  char  *alias;
  ElHit  hit;
} AliasRecord;

struct _ElKb {
  GHashTable *entries;   /* id -> ElEntry* (owned) */
  GHashTable *aliases;   /* key -> GArray of ElHit (owned) */
  GHashTable *records;   /* "key\x1fentry\x1frelation" -> AliasRecord* (owned) */
  GString    *scratch;
  ElMap       index;     /* the aliases again, for lookups; built by el_kb_finish() */
  gboolean    indexed;   /* index matches aliases */
};

static void
entry_free (gpointer data)
{
  ElEntry *e = data;
  g_free (e->id);
  g_free (e->name);
  g_free (e->kind);
  g_free (e->parent_id);
  g_free (e->code);
  g_free (e);
}

static void
record_free (gpointer data)
{
  AliasRecord *r = data;
  g_free (r->alias);
  g_free (r);
}

ElKb *
el_kb_new (void)
{
  ElKb *kb = g_new0 (ElKb, 1);
  kb->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  kb->aliases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  kb->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, record_free);
  kb->scratch = g_string_new (NULL);
  el_map_init (&kb->index);
  return kb;
}

void
el_kb_free (ElKb *kb)
{
  if (!kb)
    return;
  el_map_destroy (&kb->index);
  g_hash_table_destroy (kb->aliases);
  g_hash_table_destroy (kb->records);
  g_hash_table_destroy (kb->entries);
  g_string_free (kb->scratch, TRUE);
  g_free (kb);
}

gboolean
el_is_entity_type (const char *type)
{
  return type && (!strcmp (type, "PER") || !strcmp (type, "LOC") ||
                  !strcmp (type, "ORG") || !strcmp (type, "MISC"));
}

static void
replace_str (char **field, const char *value)
{
  if (value && *value)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

ElEntry *
el_kb_add_entry (ElKb *kb, const char *id, const char *name, const char *type,
                 const char *kind, const char *parent_id, const char *code)
{
  ElEntry *e = g_hash_table_lookup (kb->entries, id);
  if (!e)
    {
      e = g_new0 (ElEntry, 1);
      e->id = g_strdup (id);
      e->name = g_strdup (name ? name : id);
      e->type = g_intern_string (el_is_entity_type (type) ? type : "MISC");
      g_hash_table_insert (kb->entries, e->id, e);
    }
  else
    {
      replace_str (&e->name, name);
      if (el_is_entity_type (type))
        e->type = g_intern_string (type);
    }
  replace_str (&e->kind, kind);
  replace_str (&e->parent_id, parent_id);
  replace_str (&e->code, code);
  return e;
}

ElEntry *
el_kb_get_entry (const ElKb *kb, const char *id)
{
  return g_hash_table_lookup (kb->entries, id);
}

int
el_relation_default_priority (const char *relation)
{
  static const struct { const char *relation; int priority; } table[] = {
    { "name", 100 }, { "common-name", 100 }, { "short-form", 95 },
    { "official-name", 90 }, { "acronym", 90 }, { "alias", 90 },
    { "tag-code", 80 }, { "adjective", 70 }, { "demonym", 70 },
    { "alpha-3", 60 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (!strcmp (relation, table[i].relation))
      return table[i].priority;
  return 50;
}

void
el_kb_add_alias (ElKb *kb, const char *alias, ElEntry *entry, const char *relation, int priority)
{
  if (priority < 0)
    priority = el_relation_default_priority (relation);
  el_normalize_key (alias, strlen (alias), kb->scratch);
  if (kb->scratch->len == 0)
    return;
  kb->indexed = FALSE;

  /* g_strconcat, not a printf: this runs for every alias at every set-up */
  g_autofree char *rkey = g_strconcat (kb->scratch->str, "\x1f", entry->id, "\x1f", relation, NULL);
  AliasRecord *rec = g_hash_table_lookup (kb->records, rkey);
  if (rec)
    rec->hit.priority = MAX (rec->hit.priority, priority);
  else
    {
      rec = g_new0 (AliasRecord, 1);
      rec->alias = g_strdup (alias);
      rec->hit = (ElHit) { entry, g_intern_string (relation), priority };
      g_hash_table_insert (kb->records, g_steal_pointer (&rkey), rec);
    }

  GArray *hits = g_hash_table_lookup (kb->aliases, kb->scratch->str);
  if (!hits)
    {
      hits = g_array_sized_new (FALSE, FALSE, sizeof (ElHit), 1);
      g_hash_table_insert (kb->aliases, g_strdup (kb->scratch->str), hits);
    }
  for (guint i = 0; i < hits->len; i++)
    {
      ElHit *h = &g_array_index (hits, ElHit, i);
      if (h->entry == entry)
        {
          if (priority > h->priority)
            {
              h->priority = priority;
              h->relation = g_intern_string (relation);
            }
          return;
        }
    }
  ElHit hit = { entry, g_intern_string (relation), priority };
  g_array_append_val (hits, hit);
}

static gint
hit_cmp (gconstpointer a, gconstpointer b)
{
  const ElHit *x = a, *y = b;
  if (x->priority != y->priority)
    return y->priority - x->priority;
  return strcmp (x->entry->id, y->entry->id);
}

gboolean
el_kb_finish (ElKb *kb, const char *what, GError **error)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, kb->entries);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      ElEntry *e = value;
      e->parent = NULL;
      if (!e->parent_id)
        continue;
      e->parent = g_hash_table_lookup (kb->entries, e->parent_id);
      if (!e->parent)
        {
          g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_CORRUPT,
                       "%s: entry %s names parent %s, which is not in the knowledge base",
                       what, e->id, e->parent_id);
          return FALSE;
        }
    }
  g_autoptr (GPtrArray) sorted = el_kb_sorted_entries (kb);
  for (guint i = 0; i < sorted->len; i++)
    ((ElEntry *) sorted->pdata[i])->index = i;
  gpointer key;
  el_map_destroy (&kb->index);
  g_hash_table_iter_init (&it, kb->aliases);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      g_array_sort (value, hit_cmp);
      *el_map_slot (&kb->index, key, strlen (key)) = value;
    }
  kb->indexed = TRUE;
  return TRUE;
}

const GArray *
el_kb_lookup (const ElKb *kb, const char *key)
{
  /* the index is the fast path: per distinct mention in every document */
  if (kb->indexed)
    return el_map_lookup (&kb->index, key, strlen (key));
  return g_hash_table_lookup (kb->aliases, key);
}

guint
el_kb_n_entries (const ElKb *kb)
{
  return g_hash_table_size (kb->entries);
}

guint
el_kb_n_aliases (const ElKb *kb)
{
  return g_hash_table_size (kb->aliases);
}

static gint
entry_cmp (gconstpointer a, gconstpointer b)
{
  const ElEntry *x = *(ElEntry *const *) a, *y = *(ElEntry *const *) b;
  return strcmp (x->id, y->id);
}

GPtrArray *
el_kb_sorted_entries (const ElKb *kb)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, kb->entries);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (out, value);
  g_ptr_array_sort (out, entry_cmp);
  return out;
}

static gint
record_cmp (gconstpointer a, gconstpointer b)
{
  const AliasRecord *x = *(AliasRecord *const *) a, *y = *(AliasRecord *const *) b;
  int c = strcmp (x->hit.entry->id, y->hit.entry->id);
  if (c == 0)
    c = strcmp (x->hit.relation, y->hit.relation);
  if (c == 0)
    c = strcmp (x->alias, y->alias);
  return c;
}

void
el_kb_foreach_alias (const ElKb *kb, ElKbAliasFunc func, gpointer user_data)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, kb->records);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (all, value);
  g_ptr_array_sort (all, record_cmp);
  for (guint i = 0; i < all->len; i++)
    {
      const AliasRecord *r = all->pdata[i];
      func (r->alias, &r->hit, user_data);
    }
}

/* The fields go to the sum through a buffer: one g_checksum_update() a field was a
 * good part of the set-up (the digest is of the same bytes either way). */
typedef struct {
  GChecksum *sum;
  GString   *buf;
} SumBuf;

static void
checksum_field (SumBuf *sb, const char *s, char end)
{
  if (s)
    g_string_append (sb->buf, s);
  g_string_append_c (sb->buf, end);
  if (sb->buf->len >= 16384)
    {
      g_checksum_update (sb->sum, (const guchar *) sb->buf->str, sb->buf->len);
      g_string_truncate (sb->buf, 0);
    }
}

static void
checksum_alias (const char *alias, const ElHit *hit, gpointer user_data)
{
  char prio[16];
  g_snprintf (prio, sizeof prio, "%d", hit->priority);
  checksum_field (user_data, alias, '\t');
  checksum_field (user_data, hit->entry->id, '\t');
  checksum_field (user_data, hit->relation, '\t');
  checksum_field (user_data, prio, '\n');
}

char *
el_kb_checksum (const ElKb *kb)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GPtrArray) entries = el_kb_sorted_entries (kb);
  g_autoptr (GString) buf = g_string_sized_new (16384 + 256);
  SumBuf sb = { sum, buf };

  checksum_field (&sb, "quarry-kb entries", '\n');
  for (guint i = 0; i < entries->len; i++)
    {
      const ElEntry *e = entries->pdata[i];
      checksum_field (&sb, e->id, '\t');
      checksum_field (&sb, e->name, '\t');
      checksum_field (&sb, e->type, '\t');
      checksum_field (&sb, e->kind ? e->kind : "", '\t');
      checksum_field (&sb, e->parent_id ? e->parent_id : "", '\t');
      checksum_field (&sb, e->code ? e->code : "", '\n');
    }
  checksum_field (&sb, "aliases", '\n');
  el_kb_foreach_alias (kb, checksum_alias, &sb);
  g_checksum_update (sum, (const guchar *) buf->str, buf->len);
  return g_strdup (g_checksum_get_string (sum));
}

/* ---- SQLite ---- */

static gboolean
sqlite_fail (sqlite3 *db, const char *path, const char *doing, GError **error)
{
  int code = sqlite3_extended_errcode (db);
  int kind = (code == SQLITE_CANTOPEN) ? EL_KB_ERROR_MISSING : EL_KB_ERROR_CORRUPT;
  const char *msg = sqlite3_errmsg (db), *generic = sqlite3_errstr (code);
  g_set_error (error, EL_KB_ERROR, kind,
               "knowledge base %s: %s failed: %s%s%s%s; rebuild it with "
               "`quarry-kb build -o %s ...` or point the option `kb` at a valid file",
               path, doing, msg, strcmp (msg, generic) ? " (" : "",
               strcmp (msg, generic) ? generic : "", strcmp (msg, generic) ? ")" : "", path);
  return FALSE;
}

static const char *
column_text (sqlite3_stmt *st, int i)
{
  return (const char *) sqlite3_column_text (st, i);
}

static gboolean
check_schema (sqlite3 *db, const char *path, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL) != SQLITE_OK)
    return sqlite_fail (db, path, "reading the schema version (table meta)", error);
  int rc = sqlite3_step (st);
  int version = rc == SQLITE_ROW ? atoi (column_text (st, 0) ? column_text (st, 0) : "0") : 0;
  sqlite3_finalize (st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sqlite_fail (db, path, "reading the schema version (table meta)", error);
  if (version != EL_KB_SCHEMA_VERSION)
    {
      g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_CORRUPT,
                   "knowledge base %s has schema version %d, this plugin reads version %d; "
                   "rebuild it with `quarry-kb build`", path, version, EL_KB_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_entries (ElKb *kb, sqlite3 *db, const char *path, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db, "SELECT id, name, type, kind, parent, code FROM entity ORDER BY id",
                          -1, &st, NULL) != SQLITE_OK)
    return sqlite_fail (db, path, "reading table entity", error);
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      const char *id = column_text (st, 0), *name = column_text (st, 1), *type = column_text (st, 2);
      if (!id || !*id || !name || !el_is_entity_type (type))
        {
          g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_CORRUPT,
                       "knowledge base %s: entity row %s has no name or a type other than "
                       "PER, LOC, ORG, MISC; fix the row or rebuild the file", path, id ? id : "(null)");
          sqlite3_finalize (st);
          return FALSE;
        }
      el_kb_add_entry (kb, id, name, type, column_text (st, 3), column_text (st, 4), column_text (st, 5));
    }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    return sqlite_fail (db, path, "reading table entity", error);
  return TRUE;
}

static gboolean
load_aliases (ElKb *kb, sqlite3 *db, const char *path, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db, "SELECT alias, entity, relation, priority FROM alias ORDER BY rowid",
                          -1, &st, NULL) != SQLITE_OK)
    return sqlite_fail (db, path, "reading table alias", error);
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      const char *alias = column_text (st, 0), *id = column_text (st, 1), *rel = column_text (st, 2);
      ElEntry *e = id ? el_kb_get_entry (kb, id) : NULL;
      if (!alias || !e || !rel)
        {
          g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_CORRUPT,
                       "knowledge base %s: alias '%s' names entity %s, which is not in table entity; "
                       "fix the row or rebuild the file", path, alias ? alias : "(null)", id ? id : "(null)");
          sqlite3_finalize (st);
          return FALSE;
        }
      el_kb_add_alias (kb, alias, e, rel, sqlite3_column_int (st, 3));
    }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    return sqlite_fail (db, path, "reading table alias", error);
  return TRUE;
}

gboolean
el_kb_load_sqlite (ElKb *kb, const char *path, GError **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_MISSING,
                   "knowledge base %s does not exist or is not a file; build one with "
                   "`quarry-kb build -o %s` or point the option `kb` at an existing file",
                   path, path);
      return FALSE;
    }

  sqlite3 *db = NULL;
  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      gboolean ok = sqlite_fail (db, path, "opening", error);
      sqlite3_close (db);
      return ok;
    }
  gboolean ok = check_schema (db, path, error) &&
                load_entries (kb, db, path, error) &&
                load_aliases (kb, db, path, error) &&
                el_kb_finish (kb, path, error);
  sqlite3_close (db);
  return ok;
}

static const char schema_sql[] =
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
  "CREATE TABLE entity (\n"
  "  id TEXT PRIMARY KEY,\n"
  "  name TEXT NOT NULL,\n"
  "  type TEXT NOT NULL CHECK (type IN ('PER', 'LOC', 'ORG', 'MISC')),\n"
  "  kind TEXT,\n"
  "  parent TEXT REFERENCES entity (id),\n"
  "  code TEXT);\n"
  "CREATE TABLE alias (\n"
  "  alias TEXT NOT NULL,\n"
  "  norm TEXT NOT NULL,\n"
  "  entity TEXT NOT NULL REFERENCES entity (id),\n"
  "  relation TEXT NOT NULL,\n"
  "  priority INTEGER NOT NULL,\n"
  "  PRIMARY KEY (norm, entity, relation));\n"
  "CREATE INDEX alias_entity ON alias (entity);\n";

typedef struct {
  sqlite3      *db;
  sqlite3_stmt *st;
  GString      *key;
  gboolean      failed;
} AliasWriter;

static void
write_alias (const char *alias, const ElHit *hit, gpointer user_data)
{
  AliasWriter *w = user_data;
  if (w->failed)
    return;
  el_normalize_key (alias, strlen (alias), w->key);
  sqlite3_reset (w->st);
  sqlite3_bind_text (w->st, 1, alias, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (w->st, 2, w->key->str, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (w->st, 3, hit->entry->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (w->st, 4, hit->relation, -1, SQLITE_STATIC);
  sqlite3_bind_int (w->st, 5, hit->priority);
  if (sqlite3_step (w->st) != SQLITE_DONE)
    w->failed = TRUE;
}

static gboolean
write_entries (const ElKb *kb, sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db, "INSERT INTO entity VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
    return FALSE;
  g_autoptr (GPtrArray) entries = el_kb_sorted_entries (kb);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < entries->len; i++)
    {
      const ElEntry *e = entries->pdata[i];
      sqlite3_reset (st);
      sqlite3_bind_text (st, 1, e->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 2, e->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 3, e->type, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 4, e->kind, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 5, e->parent_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 6, e->code, -1, SQLITE_STATIC);
      ok = sqlite3_step (st) == SQLITE_DONE;
    }
  sqlite3_finalize (st);
  return ok;
}

static gboolean
write_meta (sqlite3 *db, const char *built_from)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db, "INSERT INTO meta VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
    return FALSE;
  g_autofree char *version = g_strdup_printf ("%d", EL_KB_SCHEMA_VERSION);
  const char *rows[][2] = { { "schema_version", version }, { "built_from", built_from ? built_from : "" } };
  gboolean ok = TRUE;
  for (gsize i = 0; ok && i < G_N_ELEMENTS (rows); i++)
    {
      sqlite3_reset (st);
      sqlite3_bind_text (st, 1, rows[i][0], -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 2, rows[i][1], -1, SQLITE_STATIC);
      ok = sqlite3_step (st) == SQLITE_DONE;
    }
  sqlite3_finalize (st);
  return ok;
}

gboolean
el_kb_write_sqlite (const ElKb *kb, const char *path, const char *built_from, GError **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.tmp-%d", path, (int) getpid ());
  sqlite3 *db = NULL;
  gboolean ok = FALSE;

  g_unlink (tmp);
  if (sqlite3_open_v2 (tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK &&
      sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
      sqlite3_exec (db, schema_sql, NULL, NULL, NULL) == SQLITE_OK &&
      write_meta (db, built_from) && write_entries (kb, db))
    {
      AliasWriter w = { db, NULL, g_string_new (NULL), FALSE };
      if (sqlite3_prepare_v2 (db, "INSERT INTO alias VALUES (?, ?, ?, ?, ?)", -1, &w.st, NULL) == SQLITE_OK)
        {
          el_kb_foreach_alias (kb, write_alias, &w);
          ok = !w.failed;
        }
      sqlite3_finalize (w.st);
      g_string_free (w.key, TRUE);
      ok = ok && sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    }
  if (!ok)
    g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_WRITE, "cannot write knowledge base %s: %s",
                 tmp, db ? sqlite3_errmsg (db) : "out of memory");
  sqlite3_close (db);
  if (ok && g_rename (tmp, path) != 0)
    {
      g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_WRITE, "cannot rename %s to %s: %s",
                   tmp, path, g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp);
  return ok;
}

/* ---- alias TSV files ----
 * alias <TAB> entity <TAB> relation [<TAB> name <TAB> type <TAB> kind <TAB> parent <TAB> priority]
 * '#' starts a comment line; empty trailing columns may be left out. */

typedef struct {
  char  *cols[8];
  guint  n;
  guint  line;
} TsvRow;

static void
tsv_row_clear (gpointer data)
{
  TsvRow *row = data;
  for (guint i = 0; i < row->n; i++)
    g_free (row->cols[i]);
}

static const char *
col (const TsvRow *row, guint i)
{
  return i < row->n && row->cols[i][0] ? row->cols[i] : NULL;
}

static gboolean tsv_fail (GError **error, const char *name, guint line, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
tsv_fail (GError **error, const char *name, guint line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_TSV,
               "%s:%u: %s (format: alias<TAB>entity<TAB>relation[<TAB>name<TAB>type<TAB>kind"
               "<TAB>parent<TAB>priority]; see plugins/entity-link/README.md)", name, line, what);
  return FALSE;
}

static gboolean
tsv_parse (const char *data, gsize len, const char *name, GArray *rows, GError **error)
{
  if (!g_utf8_validate_len (data, len, NULL))
    return tsv_fail (error, name, 0, "the file is not valid UTF-8");
  g_autofree char *copy = g_strndup (data, len);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      char *l = lines[i];
      gsize ll = strlen (l);
      if (ll && l[ll - 1] == '\r')
        l[--ll] = '\0';
      if (ll == 0 || l[0] == '#')
        continue;
      g_auto (GStrv) cols = g_strsplit (l, "\t", -1);
      guint n = g_strv_length (cols);
      if (n < 3 || n > 8)
        return tsv_fail (error, name, i + 1, "expected 3 to 8 tab-separated columns, found %u", n);
      TsvRow row = { .n = n, .line = i + 1 };
      for (guint c = 0; c < n; c++)
        row.cols[c] = g_strdup (g_strstrip (cols[c]));
      g_array_append_val (rows, row);
    }
  return TRUE;
}

static gboolean
tsv_define (ElKb *kb, const TsvRow *row, const char *name, GError **error)
{
  const char *id = col (row, 1), *ename = col (row, 3), *type = col (row, 4);
  if (!ename && !type && !col (row, 5) && !col (row, 6))
    return TRUE;
  if (type && !el_is_entity_type (type))
    return tsv_fail (error, name, row->line, "type '%s' is not PER, LOC, ORG or MISC", type);
  if (!el_kb_get_entry (kb, id) && (!ename || !type))
    return tsv_fail (error, name, row->line,
                     "entity %s is new: give its name and type in columns 4 and 5", id);
  gboolean is_new = el_kb_get_entry (kb, id) == NULL;
  ElEntry *e = el_kb_add_entry (kb, id, ename, type, col (row, 5), col (row, 6), NULL);
  if (is_new)
    el_kb_add_alias (kb, ename, e, "name", -1);
  return TRUE;
}

static gboolean
tsv_alias (ElKb *kb, const TsvRow *row, const char *name, GError **error)
{
  ElEntry *e = el_kb_get_entry (kb, col (row, 1));
  if (!e)
    return tsv_fail (error, name, row->line,
                     "entity %s is not in the knowledge base: define it (name and type) "
                     "in this file or in one loaded before it", col (row, 1));
  int priority = -1;
  if (col (row, 7))
    {
      char *end = NULL;
      gint64 p = g_ascii_strtoll (col (row, 7), &end, 10);
      if (*end || p < 0 || p > 1000)
        return tsv_fail (error, name, row->line, "priority '%s' is not a number from 0 to 1000",
                         col (row, 7));
      priority = (int) p;
    }
  el_kb_add_alias (kb, col (row, 0), e, col (row, 2) ? col (row, 2) : "alias", priority);
  return TRUE;
}

gboolean
el_kb_load_tsv_data (ElKb *kb, const char *data, gsize len, const char *name, GError **error)
{
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (TsvRow));
  g_array_set_clear_func (rows, tsv_row_clear);
  if (!tsv_parse (data, len, name, rows, error))
    return FALSE;

  for (guint i = 0; i < rows->len; i++)
    {
      const TsvRow *row = &g_array_index (rows, TsvRow, i);
      if (!col (row, 0) || !col (row, 1))
        return tsv_fail (error, name, row->line, "the alias and the entity id must not be empty");
      if (!tsv_define (kb, row, name, error))
        return FALSE;
    }
  /* aliases after all definitions, so a file may use an entity before defining it */
  for (guint i = 0; i < rows->len; i++)
    if (!tsv_alias (kb, &g_array_index (rows, TsvRow, i), name, error))
      return FALSE;
  return el_kb_finish (kb, name, error);
}

gboolean
el_kb_load_tsv (ElKb *kb, const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_MISSING, "alias file %s: %s", path, local->message);
      return FALSE;
    }
  return el_kb_load_tsv_data (kb, data, len, path, error);
}
