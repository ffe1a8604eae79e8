/* test-scale.c: `quarry run --shard K/N` and `quarry merge`: shards merged are byte for byte one process's output, and bad shards are refused. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "harness.h"

typedef struct {
  char *dir;
  char *quarry;
} Scale;

static void
scale_setup (Scale *s, gconstpointer data)
{
  GError *error = NULL;

  s->dir = g_dir_make_tmp ("quarry-scale-XXXXXX", &error);
  g_assert_no_error (error);
  s->quarry = g_test_build_filename (G_TEST_BUILT, "..", "quarry", NULL);
}

static void
scale_teardown (Scale *s, gconstpointer data)
{
  harness_remove_tree (s->dir);
  g_free (s->dir);
  g_free (s->quarry);
}

static void
put (const Scale *s, const char *name, const char *content)
{
  harness_put_file (s->dir, name, content, -1);
}

static char *
slurp (const Scale *s, const char *name)
{
  return harness_slurp (s->dir, name, NULL);
}

static gboolean
exists (const Scale *s, const char *name)
{
  g_autofree char *p = g_build_filename (s->dir, name, NULL);
  return g_file_test (p, G_FILE_TEST_EXISTS);
}

/* Runs quarry with argv (NULL-terminated) in the test folder; its exit code. */
static int
quarry_v (const Scale *s, char **err, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *e = NULL;
  GError *error = NULL;
  gint status = 0;

  g_ptr_array_add (argv, s->quarry);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (s->dir, (char **) argv->pdata, NULL, 0, NULL, NULL, NULL, &e, &status, &error);
  g_assert_no_error (error);
  if (g_test_verbose ())
    g_printerr ("%s", e);
  if (err != NULL)
    *err = g_steal_pointer (&e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

#define QUARRY(s, err, ...) quarry_v ((s), (err), (const char *const[]) { __VA_ARGS__, NULL })

static void
json_put (gpointer obj)
{
  json_object_put (obj);
}

/* The records of a JSON Lines text, each checked to be a whole JSON object. */
static GPtrArray *
records (const char *text)
{
  GPtrArray *recs = g_ptr_array_new_with_free_func (json_put);
  g_auto(GStrv) lines = NULL;
  guint n;

  if (text == NULL)
    return recs;
  g_assert_true (text[0] == '\0' || g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  for (guint i = 0; i + 1 < n; i++)
    {
      json_object *o = json_tokener_parse (lines[i]);
      g_assert_nonnull (o);
      g_assert_true (json_object_is_type (o, json_type_object));
      g_ptr_array_add (recs, o);
    }
  return recs;
}

static const char *
rec_id (json_object *rec)
{
  json_object *v;
  g_assert_true (json_object_object_get_ex (rec, "id", &v));
  return json_object_get_string (v);
}

static gint64
manifest_int (json_object *m, const char *key)
{
  json_object *v;
  g_assert_true (json_object_object_get_ex (m, key, &v));
  return json_object_get_int64 (v);
}

static const char *
manifest_str (json_object *m, const char *key)
{
  json_object *v;
  g_assert_true (json_object_object_get_ex (m, key, &v));
  return json_object_get_string (v);
}

/* The config of these tests: a quick stage that dead-letters one document. */
static void
put_config (const Scale *s)
{
  put (s, "p.ini", "[pipeline]\nstages = test-replace\n[test-replace]\nfail-id = f07\non-error = drop\n");
}

/* Runs every shard of n of inputs (-j alternating 1 and 2), checks each manifest
 * against its own output and against the split rule, merges them named in
 * reverse order, and checks the merge is ref (and ref_dead) byte for byte.
 * total: the number of units (by_bytes: bytes) the split must find. */
static void
check_shards (const Scale *s, const char *input, guint n, guint64 total, gboolean by_bytes,
              const char *ref, const char *ref_dead)
{
  g_autoptr(GPtrArray) merge_args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *merged = NULL, *merged_dead = NULL;
  guint64 next_first = 0, docs = 0;
  int want_code = ref_dead != NULL ? 2 : 0, code;

  for (guint k = 1; k <= n; k++)
    {
      g_autofree char *spec = g_strdup_printf ("%u/%u", k, n), *out = g_strdup_printf ("s%u.jsonl", k);
      g_autofree char *man = g_strdup_printf ("s%u.jsonl.shard.json", k), *dead_name = g_strdup_printf ("s%u.jsonl.dead.jsonl", k);
      g_autofree char *text = NULL, *dead = NULL, *mpath = g_build_filename (s->dir, man, NULL);
      g_autoptr(GPtrArray) outs = NULL, deads = NULL;
      json_object *m;
      guint64 first, end, lo, hi;

      code = QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "-j", k % 2 ? "1" : "2", "--shard", spec, "-o", out, input);
      g_assert_cmpint (code, ==, exists (s, dead_name) ? 2 : 0);
      m = json_object_from_file (mpath);
      g_assert_nonnull (m);
      g_assert_cmpint (manifest_int (m, "shard"), ==, k);
      g_assert_cmpint (manifest_int (m, "shards"), ==, n);
      g_assert_cmpstr (manifest_str (m, "split"), ==, by_bytes ? "bytes" : "files");
      g_assert_cmpint (manifest_int (m, "total"), ==, total);
      /* the split rule, computed here: contiguous blocks of total/n, rounded down */
      first = manifest_int (m, "first");
      end = manifest_int (m, "end");
      lo = total * (k - 1) / n;
      hi = total * k / n;
      g_assert_cmpuint (first, ==, lo);
      g_assert_cmpuint (end, ==, hi);
      g_assert_cmpuint (first, ==, next_first);
      next_first = end;
      if (!by_bytes)
        g_assert_cmpuint (end - first, <=, total / n + 1);
      /* the counts and ids it names are those of its files */
      text = slurp (s, out);
      dead = slurp (s, dead_name);
      outs = records (text);
      deads = records (dead);
      g_assert_cmpint (manifest_int (m, "records"), ==, outs->len);
      g_assert_cmpint (manifest_int (m, "dead_letters"), ==, deads->len);
      g_assert_cmpint (manifest_int (m, "documents"), ==, outs->len + deads->len);
      docs += outs->len + deads->len;
      if (outs->len + deads->len == 0)
        {
          json_object *v;
          g_assert_true (json_object_object_get_ex (m, "first_id", &v) && v == NULL);
        }
      else if (deads->len == 0)
        {
          g_assert_cmpstr (manifest_str (m, "first_id"), ==, rec_id (outs->pdata[0]));
          g_assert_cmpstr (manifest_str (m, "last_id"), ==, rec_id (outs->pdata[outs->len - 1]));
        }
      json_object_put (m);
      g_ptr_array_add (merge_args, g_steal_pointer (&out));
    }
  g_assert_cmpuint (next_first, ==, total);

  /* named in any order: merge puts them in shard order */
  {
    g_autoptr(GPtrArray) argv = g_ptr_array_new ();
    g_ptr_array_add (argv, (gpointer) "merge");
    g_ptr_array_add (argv, (gpointer) "-q");
    g_ptr_array_add (argv, (gpointer) "m.jsonl");
    for (guint i = merge_args->len; i > 0; i--)
      g_ptr_array_add (argv, merge_args->pdata[i - 1]);
    g_ptr_array_add (argv, NULL);
    g_assert_cmpint (quarry_v (s, NULL, (const char *const *) argv->pdata), ==, want_code);
  }
  merged = slurp (s, "m.jsonl");
  merged_dead = slurp (s, "m.jsonl.dead.jsonl");
  g_assert_cmpstr (merged, ==, ref);
  g_assert_cmpstr (merged_dead, ==, ref_dead);
  {
    g_autoptr(GPtrArray) a = records (ref), b = records (ref_dead);
    g_assert_cmpuint (docs, ==, a->len + b->len);
  }
  /* the next n starts clean */
  for (guint k = 1; k <= n; k++)
    {
      g_autofree char *o = g_strdup_printf ("%s/s%u.jsonl", s->dir, k), *m = g_strconcat (o, ".shard.json", NULL);
      g_autofree char *d = g_strconcat (o, ".dead.jsonl", NULL);
      g_unlink (o);
      g_unlink (m);
      g_unlink (d);
    }
}

/* A folder with subfolders, a hidden file, a broken link (a document that cannot be
 * read: a dead letter), a document the stage fails on, two files with one id (the
 * warning must name the first even across shards) and a JSON Lines file (one unit). */
static guint
put_folder (const Scale *s)
{
  static const char *const files[] = {
    "in/a/f01.txt", "in/a/f02.html", "in/a/dup.txt", "in/b/c/f04.txt", "in/b/c/f05.txt", "in/b/dup.txt",
    "in/b/f07.txt", "in/f08.txt", "in/f09.txt", "in/f10.txt", "in/g/f11.txt", "in/g/f12.txt",
  };
  g_autofree char *link = g_build_filename (s->dir, "in", "g", "gone.txt", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *body = g_strdup_printf ("document %u: a cat, a bat and a rat%s", i, i % 3 ? " and more a's" : "");
      put (s, files[i], body);
    }
  put (s, "in/.hidden.txt", "never read");
  put (s, "in/z.jsonl", "{\"id\": \"z1\", \"content\": \"abc\"}\n{\"id\": \"z2\", \"content\": \"a\"}\n");
  g_assert_cmpint (symlink ("nowhere.txt", link), ==, 0);
  /* 12 files, the link and the JSON Lines file; the hidden file is not one */
  return G_N_ELEMENTS (files) + 2;
}

static void
test_folder (Scale *s, gconstpointer data)
{
  g_autofree char *ref = NULL, *ref_dead = NULL;
  guint units;

  put_config (s);
  units = put_folder (s);
  g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "-j", "1", "-o", "ref.jsonl", "in"), ==, 2);
  ref = slurp (s, "ref.jsonl");
  ref_dead = slurp (s, "ref.jsonl.dead.jsonl");
  {
    g_autoptr(GPtrArray) outs = records (ref), deads = records (ref_dead);
    g_assert_cmpuint (outs->len, ==, 12 - 1 + 2);  /* f07 failed, z.jsonl holds 2 */
    g_assert_cmpuint (deads->len, ==, 2);         /* f07 and the broken link */
    g_assert_nonnull (strstr (ref, "duplicate-id"));
  }
  for (guint n = 1; n <= 5; n++)
    check_shards (s, "in", n, units, FALSE, ref, ref_dead);
  /* more shards than inputs: some are empty, the merge is the same */
  check_shards (s, "in", units + 3, units, FALSE, ref, ref_dead);
}

/* One JSON Lines file: a byte order mark, blank lines, a record without id, a line
 * that is not JSON, records of very different sizes, no newline at the end. Each
 * record's fields.input.line must be its line in the whole file, as written here. */
static void
test_jsonl (Scale *s, gconstpointer data)
{
  g_autoptr(GString) file = g_string_new ("\xEF\xBB\xBF");
  g_autoptr(GHashTable) line_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *ref = NULL, *ref_dead = NULL, *path = NULL;
  guint line = 0, records_n = 0;

  put_config (s);
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *id = g_strdup_printf ("r%02u", i), *body = g_strnfill ((i * 7919) % 3000 + 1, 'a' + i % 26);
      line++;
      if (i % 9 == 4)
        {
          g_string_append (file, "\n");  /* a blank line */
          line++;
        }
      if (i % 11 == 5)
        {
          g_string_append_printf (file, "{\"content\": \"no id %u\"}\n", i);
          g_hash_table_insert (line_of, g_strdup_printf ("in.jsonl:%u", line), GUINT_TO_POINTER (line));
          records_n++;
          line++;
        }
      if (i % 13 == 6)
        {
          g_string_append (file, "{not json\n");
          line++;
        }
      g_string_append_printf (file, "{\"id\": \"%s\", \"content\": \"%s\"}%s", id, body, i == 39 ? "" : "\n");
      g_hash_table_insert (line_of, g_steal_pointer (&id), GUINT_TO_POINTER (line));
      records_n++;
    }
  harness_put_file (s->dir, "in.jsonl", file->str, file->len);

  g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "-j", "1", "-o", "ref.jsonl", "in.jsonl"), ==, 2);
  ref = slurp (s, "ref.jsonl");
  ref_dead = slurp (s, "ref.jsonl.dead.jsonl");
  {
    g_autoptr(GPtrArray) outs = records (ref), deads = records (ref_dead);
    g_assert_cmpuint (outs->len, ==, records_n);
    g_assert_cmpuint (deads->len, ==, 3);  /* the lines that are not JSON: i = 6, 19, 32 */
  }
  for (guint n = 1; n <= 5; n++)
    {
      g_autofree char *merged = NULL;
      check_shards (s, "in.jsonl", n, file->len, TRUE, ref, ref_dead);
      /* the merged records carry their line in the whole file */
      merged = slurp (s, "m.jsonl");
      {
        g_autoptr(GPtrArray) recs = records (merged);
        for (guint i = 0; i < recs->len; i++)
          {
            json_object *f, *in, *l;
            g_assert_true (json_object_object_get_ex (recs->pdata[i], "fields", &f));
            g_assert_true (json_object_object_get_ex (f, "input", &in));
            g_assert_true (json_object_object_get_ex (in, "line", &l));
            g_assert_cmpint (json_object_get_int64 (l), ==,
                             GPOINTER_TO_UINT (g_hash_table_lookup (line_of, rec_id (recs->pdata[i]))));
          }
      }
    }
  /* more shards than lines: most shards own no line start */
  check_shards (s, "in.jsonl", 120, file->len, TRUE, ref, ref_dead);
}

/* A shard run again gives the same bytes (an engine's retry is safe), and --resume
 * finishes a shard whose output was cut short. */
static void
test_rerun (Scale *s, gconstpointer data)
{
  g_autofree char *first = NULL, *again = NULL, *resumed = NULL, *err = NULL, *manifest = NULL;
  g_autofree char *path = NULL;

  put_config (s);
  put_folder (s);
  g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "--shard", "2/3", "-o", "s.jsonl", "in"), ==, 2);
  first = slurp (s, "s.jsonl");
  manifest = slurp (s, "s.jsonl.shard.json");
  g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "-j", "2", "--shard", "2/3", "-o", "s.jsonl", "in"), ==, 2);
  again = slurp (s, "s.jsonl");
  g_assert_cmpstr (first, ==, again);
  {
    g_autofree char *m2 = slurp (s, "s.jsonl.shard.json");
    g_assert_cmpstr (manifest, ==, m2);
  }
  /* cut in the middle of its second record, then resumed */
  path = g_build_filename (s->dir, "s.jsonl", NULL);
  {
    const char *second = strchr (first, '\n') + 1;
    g_assert_cmpint (truncate (path, (second - first) + 10), ==, 0);
  }
  g_assert_cmpint (QUARRY (s, &err, "run", "-c", "p.ini", "--shard", "2/3", "--resume", "-o", "s.jsonl", "in"), ==, 2);
  g_assert_nonnull (strstr (err, "(a record cut short) are dropped"));
  resumed = slurp (s, "s.jsonl");
  g_assert_cmpstr (resumed, ==, first);
  {
    g_autofree char *m3 = slurp (s, "s.jsonl.shard.json");
    g_assert_cmpstr (manifest, ==, m3);
  }
}

/* --shard values that are not K/N with 1 <= K <= N: exit 1, a message, nothing written. */
static void
test_bad_shard (Scale *s, gconstpointer data)
{
  static const struct { const char *value, *message; } cases[] = {
    { "5/4", "--shard 5/4: shards are counted from 1 to 4" },
    { "0/4", "--shard 0/4: shards are counted from 1 to 4" },
    { "0/0", "--shard 0/0: the number of shards N must be at least 1" },
    { "x", "--shard 'x' is not K/N" },
    { "1/", "--shard '1/' is not K/N" },
    { "/4", "--shard '/4' is not K/N" },
    { "-1/4", "--shard '-1/4' is not K/N" },
    { "1/4/2", "--shard '1/4/2' is not K/N" },
    { " 1/4", "--shard ' 1/4' is not K/N" },
  };

  put_config (s);
  put_folder (s);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      g_assert_cmpint (QUARRY (s, &err, "run", "-c", "p.ini", "--shard", cases[i].value, "-o", "o.jsonl", "in"), ==, 1);
      g_assert_nonnull (strstr (err, cases[i].message));
      g_assert_false (exists (s, "o.jsonl"));
      g_assert_false (exists (s, "o.jsonl.shard.json"));
    }
  {
    g_autofree char *err = NULL;
    g_assert_cmpint (QUARRY (s, &err, "run", "-c", "p.ini", "--shard", "1/2", "in"), ==, 1);
    g_assert_nonnull (strstr (err, "name the output with -o OUT"));
  }
  {
    g_autofree char *err = NULL;
    g_assert_cmpint (QUARRY (s, &err, "run", "-c", "p.ini", "--shard", "1/2", "-o", "o.jsonl", "-"), ==, 1);
    g_assert_nonnull (strstr (err, "--shard cannot split stdin"));
    g_assert_false (exists (s, "o.jsonl"));
  }
}

/* Asserts that merging args fails with exit 1 and message, and writes nothing. */
static void
check_refused (const Scale *s, const char *const *args, const char *message)
{
  g_autofree char *err = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_assert_cmpint (quarry_v (s, &err, args), ==, 1);
  if (strstr (err, message) == NULL)
    g_error ("expected '%s' in: %s", message, err);
  g_assert_false (exists (s, "m.jsonl"));
  g_assert_false (exists (s, "m.jsonl.dead.jsonl"));
  d = g_dir_open (s->dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    g_assert_false (g_str_has_prefix (name, "m.jsonl"));  /* no temporary file left either */
}

static void
copy_file (const Scale *s, const char *from, const char *to)
{
  gsize len;
  g_autofree char *data = harness_slurp (s->dir, from, &len);
  g_assert_nonnull (data);
  harness_put_file (s->dir, to, data, len);
}

static void
test_merge_refusals (Scale *s, gconstpointer data)
{
  put_config (s);
  put_folder (s);
  for (guint k = 1; k <= 3; k++)
    {
      g_autofree char *spec = g_strdup_printf ("%u/3", k), *out = g_strdup_printf ("s%u.jsonl", k);
      QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "--shard", spec, "-o", out, "in");
    }
  g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "--set", "test-replace.replace=B", "--shard", "2/3",
                           "-o", "other.jsonl", "in"), ==, 2);  /* f07 is in it */
  g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "--shard", "2/4", "-o", "four.jsonl", "in"), ==, 2);

  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "s2.jsonl", "s2.jsonl", "s3.jsonl", NULL },
                 "s2.jsonl and s2.jsonl are the same file: a shard merged with itself");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "s2.jsonl", "./s1.jsonl", "s3.jsonl", NULL },
                 "s1.jsonl and ./s1.jsonl are the same file");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "other.jsonl", "s3.jsonl", NULL },
                 "shards s1.jsonl and other.jsonl differ in the config (config_hash)");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "four.jsonl", "s3.jsonl", NULL },
                 "shards s1.jsonl and four.jsonl differ in the number of shards (3 against 4)");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "s3.jsonl", NULL },
                 "shard 2/3 is missing (2 of 3 named)");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s3.jsonl", NULL },
                 "shards 1/3, 2/3 are missing (1 of 3 named)");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "s2.jsonl", "nothere.jsonl", NULL },
                 "nothere.jsonl: no such shard output");
  check_refused (s, (const char *const[]) { "merge", "s2.jsonl", "s1.jsonl", "s2.jsonl", "s3.jsonl", NULL },
                 "the merged file s2.jsonl is a file of shard s2.jsonl");

  /* a copy of a shard beside the original: both are 2/3 */
  copy_file (s, "s2.jsonl", "copy.jsonl");
  copy_file (s, "s2.jsonl.shard.json", "copy.jsonl.shard.json");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "s2.jsonl", "copy.jsonl", "s3.jsonl", NULL },
                 "s2.jsonl and copy.jsonl are both shard 2/3");

  /* a shard without its manifest (its run did not finish) */
  copy_file (s, "s2.jsonl", "bare.jsonl");
  check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "bare.jsonl", "s3.jsonl", NULL },
                 "bare.jsonl has no manifest bare.jsonl.shard.json");

  /* truncated: a last line cut short, and a whole record missing */
  {
    g_autofree char *text = slurp (s, "s3.jsonl");
    gsize len = strlen (text);
    const char *last;
    g_assert_cmpuint (len, >, 10);
    harness_put_file (s->dir, "cut.jsonl", text, len - 5);
    copy_file (s, "s3.jsonl.shard.json", "cut.jsonl.shard.json");
    check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "s2.jsonl", "cut.jsonl", NULL },
                   "shard cut.jsonl (3/3) is truncated: its output cut.jsonl ends in a line cut short");
    for (last = text + len - 1; last > text && last[-1] != '\n'; last--)
      ;
    harness_put_file (s->dir, "short.jsonl", text, last - text);
    copy_file (s, "s3.jsonl.shard.json", "short.jsonl.shard.json");
    check_refused (s, (const char *const[]) { "merge", "m.jsonl", "s1.jsonl", "s2.jsonl", "short.jsonl", NULL },
                   "shard short.jsonl (3/3) is truncated: its output short.jsonl holds");
  }

  /* and the same shards merge when named right */
  g_assert_cmpint (QUARRY (s, NULL, "merge", "-q", "m.jsonl", "s1.jsonl", "s2.jsonl", "s3.jsonl"), ==, 2);
  g_assert_true (exists (s, "m.jsonl"));
}

/* The shards' run reports merge into one whose counts add up. */
static void
test_merge_reports (Scale *s, gconstpointer data)
{
  json_object *r, *docs, *v;
  g_autofree char *path = NULL, *err = NULL;

  put_config (s);
  put_folder (s);
  QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "--shard", "1/2", "-o", "s1.jsonl", "--report", "s1.report.json", "in");
  QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "--shard", "2/2", "-o", "s2.jsonl", "in");
  g_assert_cmpint (QUARRY (s, &err, "merge", "--report", "m.report.json", "m.jsonl", "s1.jsonl", "s2.jsonl"), ==, 1);
  g_assert_nonnull (strstr (err, "shard s2.jsonl (2/2) was run without --report"));
  QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "--shard", "2/2", "-o", "s2.jsonl", "--report", "s2.report.json", "in");
  g_assert_cmpint (QUARRY (s, NULL, "merge", "-q", "--report", "m.report.json", "m.jsonl", "s1.jsonl", "s2.jsonl"), ==, 2);
  path = g_build_filename (s->dir, "m.report.json", NULL);
  r = json_object_from_file (path);
  g_assert_nonnull (r);
  g_assert_true (json_object_object_get_ex (r, "documents", &docs));
  /* 13 files and the 2 records of z.jsonl; f07 and the broken link dead-lettered */
  g_assert_cmpint (manifest_int (docs, "in"), ==, 15);
  g_assert_cmpint (manifest_int (docs, "out"), ==, 13);
  g_assert_cmpint (manifest_int (docs, "dead_lettered"), ==, 2);
  g_assert_cmpint (manifest_int (r, "shards"), ==, 2);
  g_assert_true (json_object_object_get_ex (r, "per_shard", &v));
  g_assert_cmpuint (json_object_array_length (v), ==, 2);
  /* the dead letters by stage and code: as one process counts them */
  {
    g_autofree char *one_path = g_build_filename (s->dir, "one.report.json", NULL);
    json_object *one, *a, *b;
    QUARRY (s, NULL, "run", "-q", "-c", "p.ini", "-j", "1", "-o", "one.jsonl", "--report", "one.report.json", "in");
    one = json_object_from_file (one_path);
    g_assert_nonnull (one);
    g_assert_true (json_object_object_get_ex (one, "dead_letter_reasons", &a));
    g_assert_true (json_object_object_get_ex (r, "dead_letter_reasons", &b));
    g_assert_cmpuint (json_object_array_length (a), ==, 2);
    g_assert_cmpstr (json_object_to_json_string (b), ==, json_object_to_json_string (a));
    json_object_put (one);
  }
  json_object_put (r);
}

/* The default pipeline over a part of the shared corpus: the real stages, the same bytes. */
static void
test_corpus (Scale *s, gconstpointer data)
{
  g_autofree char *corpus = harness_shared_path ("corpus/cables/2006");
  g_autofree char *ref = NULL, *merged = NULL;

  if (corpus == NULL || !g_file_test (corpus, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no shared corpus (../shared or $QUARRY_SHARED_DIR)");
      return;
    }
  g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-j", "1", "-o", "ref.jsonl", corpus), ==, 0);
  for (guint k = 1; k <= 3; k++)
    {
      g_autofree char *spec = g_strdup_printf ("%u/3", k), *out = g_strdup_printf ("s%u.jsonl", k);
      g_assert_cmpint (QUARRY (s, NULL, "run", "-q", "-j", "2", "--shard", spec, "-o", out, corpus), ==, 0);
    }
  g_assert_cmpint (QUARRY (s, NULL, "merge", "-q", "m.jsonl", "s2.jsonl", "s3.jsonl", "s1.jsonl"), ==, 0);
  ref = slurp (s, "ref.jsonl");
  merged = slurp (s, "m.jsonl");
  g_assert_cmpuint (strlen (ref), >, 0);
  g_assert_cmpstr (merged, ==, ref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/scale/folder", Scale, NULL, scale_setup, test_folder, scale_teardown);
  g_test_add ("/scale/jsonl", Scale, NULL, scale_setup, test_jsonl, scale_teardown);
  g_test_add ("/scale/rerun-and-resume", Scale, NULL, scale_setup, test_rerun, scale_teardown);
  g_test_add ("/scale/bad-shard", Scale, NULL, scale_setup, test_bad_shard, scale_teardown);
  g_test_add ("/scale/merge-refusals", Scale, NULL, scale_setup, test_merge_refusals, scale_teardown);
  g_test_add ("/scale/merge-reports", Scale, NULL, scale_setup, test_merge_reports, scale_teardown);
  g_test_add ("/scale/corpus", Scale, NULL, scale_setup, test_corpus, scale_teardown);
  return g_test_run ();
}
