/* shard.c: the manifests `quarry run --shard K/N` writes beside its output, and `quarry merge`, which checks them and concatenates the shards. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "output.h"
#include "shard.h"

#define MERGE_ERROR (g_quark_from_static_string ("quarry-merge-error"))

gboolean
quarry_shard_parse (const char *text, guint *k, guint *n, GError **error)
{
  const char *slash = strchr (text, '/');
  guint64 kk = 0, nn = 0;
  g_autofree char *ks = NULL;

  if (slash != NULL)
    ks = g_strndup (text, slash - text);
  if (slash == NULL || !g_ascii_string_to_unsigned (ks, 10, 0, G_MAXUINT32, &kk, NULL)
      || !g_ascii_string_to_unsigned (slash + 1, 10, 0, G_MAXUINT32, &nn, NULL))
    {
      g_set_error (error, MERGE_ERROR, 1,
                   "--shard '%s' is not K/N; write e.g. --shard 3/8 for the third of 8 shards (counted from 1, as sbatch --array=1-8 and GNU parallel's {%%} count)",
                   text);
      return FALSE;
    }
  if (nn == 0)
    {
      g_set_error (error, MERGE_ERROR, 1, "--shard %s: the number of shards N must be at least 1; write K/N with 1 <= K <= N", text);
      return FALSE;
    }
  if (kk == 0 || kk > nn)
    {
      g_set_error (error, MERGE_ERROR, 1, "--shard %s: shards are counted from 1 to %" G_GUINT64_FORMAT " (1/%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "), so %" G_GUINT64_FORMAT " is not one of them",
                   text, nn, nn, nn, nn, kk);
      return FALSE;
    }
  *k = (guint) kk;
  *n = (guint) nn;
  return TRUE;
}

char *
quarry_shard_manifest_path (const char *output)
{
  return g_strconcat (output, ".shard.json", NULL);
}

/* file as the manifest names it: its name when it is beside the manifest (so a
 * folder of shards can be moved or copied back from another machine), else its
 * absolute path. */
static char *
path_for_manifest (const char *manifest, const char *file)
{
  g_autofree char *mdir = g_path_get_dirname (manifest), *fdir = g_path_get_dirname (file);
  g_autofree char *cm = g_canonicalize_filename (mdir, NULL), *cf = g_canonicalize_filename (fdir, NULL);

  if (g_str_equal (cm, cf))
    return g_path_get_basename (file);
  return g_canonicalize_filename (file, NULL);
}

/* The reverse: a path from a manifest, relative to the manifest's folder. */
static char *
path_from_manifest (const char *manifest, const char *name)
{
  g_autofree char *mdir = g_path_get_dirname (manifest);

  if (g_path_is_absolute (name))
    return g_strdup (name);
  return g_build_filename (mdir, name, NULL);
}

/* Writes text to path through a temporary file in its folder, synced, then renamed. */
static gboolean
write_file_atomically (const char *path, const char *text, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);
  gsize len = strlen (text);

  if (fd < 0)
    {
      g_set_error (error, MERGE_ERROR, 5, "cannot write %s: %s", tmp, g_strerror (errno));
      return FALSE;
    }
  if (quarry_write_all (fd, text, len) != len || fsync (fd) != 0)
    {
      int err = errno;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, MERGE_ERROR, 5, "cannot write %s: %s", tmp, g_strerror (err));
      return FALSE;
    }
  if (close (fd) != 0 || g_rename (tmp, path) != 0)
    {
      int err = errno;
      g_unlink (tmp);
      g_set_error (error, MERGE_ERROR, 5, "cannot write %s: %s", path, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

static json_object *
string_or_null (const char *s)
{
  return s != NULL ? json_object_new_string (s) : NULL;
}

gboolean
quarry_shard_write_manifest (const char *output, guint k, guint n, const QuarryInputShard *shard,
                             QuarryPipeline *pipeline, const char *const *inputs,
                             const QuarryRunResult *result, const char *dead_letter,
                             const char *report, GError **error)
{
  g_autofree char *path = quarry_shard_manifest_path (output);
  json_object *m = json_object_new_object ();
  json_object *in = json_object_new_array ();
  json_object *prov = json_tokener_parse (quarry_pipeline_get_provenance_text (pipeline));
  g_autofree char *out_name = path_for_manifest (path, output);
  g_autofree char *dead_name = result->dead_letters > 0 ? path_for_manifest (path, dead_letter) : NULL;
  g_autofree char *report_name = report != NULL ? path_for_manifest (path, report) : NULL;
  g_autofree char *text = NULL;
  gboolean ok;

  json_object_object_add (m, "format", json_object_new_int (QUARRY_SHARD_MANIFEST_FORMAT));
  json_object_object_add (m, "shard", json_object_new_int64 (k));
  json_object_object_add (m, "shards", json_object_new_int64 (n));
  json_object_object_add (m, "quarry", json_object_new_string (quarry_version ()));
  json_object_object_add (m, "config_hash",
                          json_object_new_string (quarry_config_get_hash (quarry_pipeline_get_config (pipeline))));
  json_object_object_add (m, "provenance", prov);
  for (guint i = 0; inputs[i] != NULL; i++)
    json_object_array_add (in, json_object_new_string (inputs[i]));
  json_object_object_add (m, "inputs", in);
  json_object_object_add (m, "split", json_object_new_string (shard->by_bytes ? "bytes" : "files"));
  json_object_object_add (m, "first", json_object_new_int64 ((gint64) shard->first));
  json_object_object_add (m, "end", json_object_new_int64 ((gint64) shard->end));
  json_object_object_add (m, "total", json_object_new_int64 ((gint64) shard->total));
  json_object_object_add (m, "documents", json_object_new_int64 ((gint64) result->documents));
  json_object_object_add (m, "first_id", string_or_null (result->first_id));
  json_object_object_add (m, "last_id", string_or_null (result->last_id));
  json_object_object_add (m, "records", json_object_new_int64 ((gint64) result->records));
  json_object_object_add (m, "dead_letters", json_object_new_int64 ((gint64) result->dead_letters));
  json_object_object_add (m, "output", json_object_new_string (out_name));
  json_object_object_add (m, "dead_letter", string_or_null (dead_name));
  json_object_object_add (m, "report", string_or_null (report_name));
  text = g_strconcat (json_object_to_json_string_ext (m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE), "\n", NULL);
  ok = write_file_atomically (path, text, error);
  json_object_put (m);
  return ok;
}

/* ---- quarry merge ---- */

typedef struct {
  const char  *path;       /* the shard's output, as named */
  char        *manifest;   /* its manifest's path */
  json_object *m;
  guint        k, n;
  GMappedFile *out, *dead;
  char        *dead_path, *report_path;  /* (nullable) resolved from the manifest */
} Shard;

static void
shard_clear (Shard *s)
{
  g_free (s->manifest);
  if (s->m != NULL)
    json_object_put (s->m);
  if (s->out != NULL)
    g_mapped_file_unref (s->out);
  if (s->dead != NULL)
    g_mapped_file_unref (s->dead);
  g_free (s->dead_path);
  g_free (s->report_path);
}

static const char *
m_str (json_object *m, const char *key)
{
  json_object *v;
  return json_object_object_get_ex (m, key, &v) && json_object_is_type (v, json_type_string) ? json_object_get_string (v) : NULL;
}

static gboolean
m_int (json_object *m, const char *key, gint64 *value)
{
  json_object *v;
  if (!json_object_object_get_ex (m, key, &v) || !json_object_is_type (v, json_type_int))
    return FALSE;
  *value = json_object_get_int64 (v);
  return TRUE;
}

static const char *
m_json (json_object *m, const char *key)
{
  json_object *v = NULL;
  json_object_object_get_ex (m, key, &v);
  return json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN);
}

static gint64
m_get (json_object *m, const char *key)
{
  gint64 v = 0;
  m_int (m, key, &v);
  return v;
}

/* Reads a shard's manifest and checks that it is one. */
static gboolean
shard_load (Shard *s, GError **error)
{
  static const char *const ints[] = { "format", "shard", "shards", "first", "end", "total", "documents", "records", "dead_letters" };
  static const char *const strs[] = { "quarry", "config_hash", "split", "output" };
  gint64 v;

  s->manifest = quarry_shard_manifest_path (s->path);
  if (!g_file_test (s->path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, MERGE_ERROR, 1, "%s: no such shard output (a file written by quarry run --shard K/N -o %s)", s->path, s->path);
      return FALSE;
    }
  if (!g_file_test (s->manifest, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MERGE_ERROR, 1,
                   "%s has no manifest %s: it is not the output of quarry run --shard, or its run did not finish; run that shard again",
                   s->path, s->manifest);
      return FALSE;
    }
  s->m = json_object_from_file (s->manifest);
  if (s->m == NULL || !json_object_is_type (s->m, json_type_object))
    {
      g_set_error (error, MERGE_ERROR, 1, "%s is not a shard manifest (not a JSON object); run that shard again", s->manifest);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (ints); i++)
    if (!m_int (s->m, ints[i], &v) || v < 0)
      {
        g_set_error (error, MERGE_ERROR, 1, "%s is not a shard manifest: \"%s\" is missing or not a count; run that shard again",
                     s->manifest, ints[i]);
        return FALSE;
      }
  for (guint i = 0; i < G_N_ELEMENTS (strs); i++)
    if (m_str (s->m, strs[i]) == NULL)
      {
        g_set_error (error, MERGE_ERROR, 1, "%s is not a shard manifest: \"%s\" is missing; run that shard again",
                     s->manifest, strs[i]);
        return FALSE;
      }
  if (m_get (s->m, "format") != QUARRY_SHARD_MANIFEST_FORMAT)
    {
      g_set_error (error, MERGE_ERROR, 1, "%s is a shard manifest of format %" G_GINT64_FORMAT ", this quarry reads format %d; merge with the quarry that ran the shards",
                   s->manifest, m_get (s->m, "format"), QUARRY_SHARD_MANIFEST_FORMAT);
      return FALSE;
    }
  s->k = (guint) m_get (s->m, "shard");
  s->n = (guint) m_get (s->m, "shards");
  if (s->k < 1 || s->k > s->n)
    {
      g_set_error (error, MERGE_ERROR, 1, "%s names shard %u/%u, which cannot be; run that shard again", s->manifest, s->k, s->n);
      return FALSE;
    }
  if (m_str (s->m, "dead_letter") != NULL)
    s->dead_path = path_from_manifest (s->manifest, m_str (s->m, "dead_letter"));
  if (m_str (s->m, "report") != NULL)
    s->report_path = path_from_manifest (s->manifest, m_str (s->m, "report"));
  return TRUE;
}

/* Maps a file of whole records and checks it holds the number the manifest says:
 * a shard cut short (a copy that stopped, a full disk) is named, never merged. */
static gboolean
check_records (const Shard *s, const char *file, const char *what, gint64 expected, GMappedFile **map, GError **error)
{
  GError *e = NULL;
  const char *data, *p, *end, *last = NULL;
  gsize len;
  gint64 lines = 0;

  *map = g_mapped_file_new (file, FALSE, &e);
  if (*map == NULL)
    {
      g_set_error (error, MERGE_ERROR, 1, "cannot read the %s of shard %s (%u/%u): %s", what, s->path, s->k, s->n, e->message);
      g_error_free (e);
      return FALSE;
    }
  data = g_mapped_file_get_contents (*map);
  len = g_mapped_file_get_length (*map);
  end = data + len;
  for (p = data; p < end && (p = memchr (p, '\n', end - p)) != NULL; p++)
    lines++;
  if (len > 0 && data[len - 1] != '\n')
    {
      g_set_error (error, MERGE_ERROR, 1,
                   "shard %s (%u/%u) is truncated: its %s %s ends in a line cut short (%" G_GINT64_FORMAT " whole records, its manifest says %" G_GINT64_FORMAT "); run that shard again",
                   s->path, s->k, s->n, what, file, lines, expected);
      return FALSE;
    }
  if (lines != expected)
    {
      g_set_error (error, MERGE_ERROR, 1,
                   "shard %s (%u/%u) is %s: its %s %s holds %" G_GINT64_FORMAT " records, its manifest says %" G_GINT64_FORMAT "; run that shard again",
                   s->path, s->k, s->n, lines < expected ? "truncated" : "not the one its manifest describes", what, file, lines, expected);
      return FALSE;
    }
  if (len > 0)
    {
      json_object *rec;
      g_autofree char *copy = NULL;
      for (last = end - 1; last > data && last[-1] != '\n'; last--)
        ;
      copy = g_strndup (last, end - last);
      rec = json_tokener_parse (copy);
      if (rec == NULL || !json_object_is_type (rec, json_type_object))
        {
          g_set_error (error, MERGE_ERROR, 1, "shard %s (%u/%u) is damaged: the last line of its %s %s is not a whole record; run that shard again",
                       s->path, s->k, s->n, what, file);
          if (rec != NULL)
            json_object_put (rec);
          return FALSE;
        }
      json_object_put (rec);
    }
  return TRUE;
}

static int
compare_shards (gconstpointer a, gconstpointer b)
{
  const Shard *x = a, *y = b;
  return x->k < y->k ? -1 : x->k > y->k;
}

/* Two shards of one run must agree on these. */
static gboolean
check_same_run (const Shard *a, const Shard *b, GError **error)
{
  static const struct { const char *key, *what, *fix; } keys[] = {
    { "shards", "the number of shards", "run every shard with the same N" },
    { "quarry", "the Quarry version", "run every shard with the same quarry" },
    { "config_hash", "the config (config_hash)", "run every shard with the same config" },
    { "provenance", "the plugins or their data (provenance)", "run every shard with the same plugins and data" },
    { "split", "the way the inputs were split", "run every shard on the same inputs" },
    { "total", "the size of the inputs (files, or bytes of the JSON Lines file)", "run every shard on the same inputs" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *va = g_strdup (m_json (a->m, keys[i].key));
      const char *vb = m_json (b->m, keys[i].key);
      if (!g_str_equal (va, vb))
        {
          g_set_error (error, MERGE_ERROR, 1,
                       "shards %s and %s differ in %s (%s against %s): they are not shards of one run; %s",
                       a->path, b->path, keys[i].what, va, vb, keys[i].fix);
          return FALSE;
        }
    }
  return TRUE;
}

/* dead_letter_reasons of the merged report: most frequent first, as quarry run sorts them */
static int
reason_cmp (const void *a, const void *b)
{
  json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b;
  gint64 cx = m_get (x, "count"), cy = m_get (y, "count");
  int c;

  if (cx != cy)
    return cx > cy ? -1 : 1;
  c = g_strcmp0 (m_str (x, "stage"), m_str (y, "stage"));
  return c != 0 ? c : g_strcmp0 (m_str (x, "code"), m_str (y, "code"));
}

/* Adds one shard's dead_letter_reasons into by_key ("stage\ncode" -> reason object); the
 * example kept is the first shard's. */
static void
add_reasons (json_object *by_key, json_object *rep)
{
  json_object *list;

  if (!json_object_object_get_ex (rep, "dead_letter_reasons", &list) || !json_object_is_type (list, json_type_array))
    return;
  for (gsize i = 0; i < json_object_array_length (list); i++)
    {
      json_object *src = json_object_array_get_idx (list, i), *dst;
      g_autofree char *key = g_strconcat (m_str (src, "stage") ? m_str (src, "stage") : "?", "\n",
                                          m_str (src, "code") ? m_str (src, "code") : "?", NULL);
      if (json_object_object_get_ex (by_key, key, &dst))
        json_object_object_add (dst, "count", json_object_new_int64 (m_get (dst, "count") + m_get (src, "count")));
      else
        json_object_object_add (by_key, key, json_object_get (src));
    }
}

static json_object *
merge_reports (Shard *shards, guint n, GError **error)
{
  json_object *reasons_by_key = json_object_new_object ();
  json_object *r = json_object_new_object (), *docs = json_object_new_object (), *per = json_object_new_array ();
  json_object *stages = NULL;
  static const char *const doc_keys[] = { "in", "out", "dead_lettered", "not_written", "skipped_by_resume" };
  gint64 sums[G_N_ELEMENTS (doc_keys)] = { 0 }, bytes = 0, replaced = 0, rss = 0;
  double wall = 0, cpu = 0;
  gboolean interrupted = FALSE;

  for (guint i = 0; i < n; i++)
    {
      json_object *rep = json_object_from_file (shards[i].report_path), *v, *d, *st;
      if (rep == NULL || !json_object_is_type (rep, json_type_object)
          || !json_object_object_get_ex (rep, "documents", &d) || !json_object_object_get_ex (rep, "stages", &st)
          || !json_object_is_type (st, json_type_array))
        {
          g_set_error (error, MERGE_ERROR, 1, "the run report %s of shard %s (%u/%u) is missing or not a run report; run that shard again",
                       shards[i].report_path, shards[i].path, shards[i].k, shards[i].n);
          if (rep != NULL)
            json_object_put (rep);
          json_object_put (r);
          json_object_put (docs);
          json_object_put (per);
          json_object_put (reasons_by_key);
          if (stages != NULL)
            json_object_put (stages);
          return NULL;
        }
      for (guint j = 0; j < G_N_ELEMENTS (doc_keys); j++)
        sums[j] += m_get (d, doc_keys[j]);
      bytes += m_get (rep, "bytes_in");
      replaced += m_get (rep, "workers_replaced");
      rss = MAX (rss, m_get (rep, "peak_rss_kb"));
      if (json_object_object_get_ex (rep, "wall_seconds", &v))
        wall = MAX (wall, json_object_get_double (v));
      if (json_object_object_get_ex (rep, "cpu_seconds", &v))
        cpu += json_object_get_double (v);
      if (json_object_object_get_ex (rep, "interrupted", &v))
        interrupted |= json_object_get_boolean (v);
      add_reasons (reasons_by_key, rep);
      /* per stage: counts and seconds add up; the rates are made again from them */
      if (stages == NULL)
        {
          stages = json_object_new_array ();
          for (gsize j = 0; j < json_object_array_length (st); j++)
            {
              json_object *s = json_object_new_object (), *name;
              json_object_object_get_ex (json_object_array_get_idx (st, j), "name", &name);
              json_object_object_add (s, "name", json_object_get (name));
              json_object_object_add (s, "documents", json_object_new_int64 (0));
              json_object_object_add (s, "errors", json_object_new_int64 (0));
              json_object_object_add (s, "bytes_in", json_object_new_int64 (0));
              json_object_object_add (s, "seconds", json_object_new_double (0));
              json_object_array_add (stages, s);
            }
        }
      for (gsize j = 0; j < json_object_array_length (st) && j < json_object_array_length (stages); j++)
        {
          json_object *src = json_object_array_get_idx (st, j), *dst = json_object_array_get_idx (stages, j), *sec;
          static const char *const counts[] = { "documents", "errors", "bytes_in" };
          for (guint c = 0; c < G_N_ELEMENTS (counts); c++)
            json_object_object_add (dst, counts[c], json_object_new_int64 (m_get (dst, counts[c]) + m_get (src, counts[c])));
          json_object_object_get_ex (dst, "seconds", &v);
          if (json_object_object_get_ex (src, "seconds", &sec))
            json_object_object_add (dst, "seconds", json_object_new_double (json_object_get_double (v) + json_object_get_double (sec)));
        }
      json_object_array_add (per, rep);
    }
  for (gsize j = 0; stages != NULL && j < json_object_array_length (stages); j++)
    {
      json_object *s = json_object_array_get_idx (stages, j), *v;
      double secs;
      gint64 docs_n = m_get (s, "documents");
      json_object_object_get_ex (s, "seconds", &v);
      secs = json_object_get_double (v);
      json_object_object_add (s, "mean_ms", json_object_new_double (docs_n ? secs * 1e3 / docs_n : 0));
      json_object_object_add (s, "mb_per_second", json_object_new_double (secs > 0 ? m_get (s, "bytes_in") / 1e6 / secs : 0));
    }
  for (guint j = 0; j < G_N_ELEMENTS (doc_keys); j++)
    json_object_object_add (docs, doc_keys[j], json_object_new_int64 (sums[j]));
  json_object_object_add (r, "shards", json_object_new_int64 (n));
  json_object_object_add (r, "documents", docs);
  json_object_object_add (r, "bytes_in", json_object_new_int64 (bytes));
  json_object_object_add (r, "workers_replaced", json_object_new_int64 (replaced));
  /* the shards may have run one after another or all at once: the longest is what is known */
  json_object_object_add (r, "longest_shard_wall_seconds", json_object_new_double (wall));
  json_object_object_add (r, "cpu_seconds", json_object_new_double (cpu));
  json_object_object_add (r, "peak_rss_kb", json_object_new_int64 (rss));
  json_object_object_add (r, "interrupted", json_object_new_boolean (interrupted));
  json_object_object_add (r, "config_hash", json_object_new_string (m_str (shards[0].m, "config_hash")));
  json_object_object_add (r, "stages", stages != NULL ? stages : json_object_new_array ());
  {
    json_object *reasons = json_object_new_array ();
    json_object_object_foreach (reasons_by_key, key, val)
      {
        (void) key;
        json_object_array_add (reasons, json_object_get (val));
      }
    json_object_array_sort (reasons, reason_cmp);
    json_object_object_add (r, "dead_letter_reasons", reasons);
    json_object_put (reasons_by_key);
  }
  json_object_object_add (r, "per_shard", per);
  return r;
}

/* A temporary file beside target, for a merged file renamed into place at the end. */
static int
open_temp (const char *target, char **tmp, GError **error)
{
  int fd;

  *tmp = g_strconcat (target, ".XXXXXX", NULL);
  fd = g_mkstemp_full (*tmp, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      g_set_error (error, MERGE_ERROR, 5, "cannot write beside %s: %s", target, g_strerror (errno));
      g_clear_pointer (tmp, g_free);
    }
  return fd;
}

/* Concatenates the mapped files (NULL ones skipped) into a new temporary file beside target. */
static gboolean
write_concat (const char *target, Shard *shards, guint n, gboolean dead, char **tmp, GError **error)
{
  int fd = open_temp (target, tmp, error);

  if (fd < 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      GMappedFile *map = dead ? shards[i].dead : shards[i].out;
      gsize len = map != NULL ? g_mapped_file_get_length (map) : 0;
      if (len > 0 && quarry_write_all (fd, g_mapped_file_get_contents (map), len) != len)
        {
          g_set_error (error, MERGE_ERROR, 5, "cannot write %s: %s; nothing was merged", *tmp, g_strerror (errno));
          close (fd);
          return FALSE;
        }
    }
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      g_set_error (error, MERGE_ERROR, 5, "cannot write %s: %s; nothing was merged", *tmp, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
merge_checked (const char *out, const char *const *paths, const char *dead_letter, const char *report,
               gboolean quiet, Shard *shards, guint n, int *code, GError **error)
{
  g_autofree char *tmp_out = NULL, *tmp_dead = NULL, *tmp_report = NULL;
  g_autoptr(GString) missing = g_string_new (NULL);
  json_object *merged_report = NULL;
  gint64 records = 0, dead = 0, docs = 0;
  gboolean any_dead = FALSE, all_reports = TRUE, any_report = FALSE, ok = FALSE;
  const char *const outputs[] = { out, dead_letter, report };

  *code = QUARRY_EXIT_USAGE;
  for (guint i = 0; i < n; i++)
    {
      shards[i].path = paths[i];
      if (!shard_load (&shards[i], error))
        return FALSE;
    }
  /* the same file named twice (also through a link or another path) */
  for (guint i = 0; i < n; i++)
    {
      for (guint j = 0; j < i; j++)
        if (quarry_input_same_file (shards[i].path, shards[j].path))
          {
            g_set_error (error, MERGE_ERROR, 1, "%s and %s are the same file: a shard merged with itself would be written twice; name each shard once",
                         shards[j].path, shards[i].path);
            return FALSE;
          }
      for (guint o = 0; o < G_N_ELEMENTS (outputs); o++)
        if (outputs[o] != NULL && (quarry_input_same_file (outputs[o], shards[i].path)
                                   || quarry_input_same_file (outputs[o], shards[i].manifest)
                                   || (shards[i].dead_path != NULL && quarry_input_same_file (outputs[o], shards[i].dead_path))
                                   || (shards[i].report_path != NULL && quarry_input_same_file (outputs[o], shards[i].report_path))))
          {
            g_set_error (error, MERGE_ERROR, 1, "the merged file %s is a file of shard %s: writing it would destroy the shard; merge into another file",
                         outputs[o], shards[i].path);
            return FALSE;
          }
    }
  for (guint i = 1; i < n; i++)
    if (!check_same_run (&shards[0], &shards[i], error))
      return FALSE;
  qsort (shards, n, sizeof *shards, compare_shards);
  for (guint i = 1; i < n; i++)
    if (shards[i].k == shards[i - 1].k)
      {
        g_set_error (error, MERGE_ERROR, 1, "%s and %s are both shard %u/%u (a shard run twice, or a copy): name one of them",
                     shards[i - 1].path, shards[i].path, shards[i].k, shards[i].n);
        return FALSE;
      }
  for (guint k = 1, i = 0; k <= shards[0].n; k++)
    {
      if (i < n && shards[i].k == k)
        i++;
      else
        g_string_append_printf (missing, "%s%u/%u", missing->len ? ", " : "", k, shards[0].n);
    }
  if (missing->len > 0)
    {
      g_set_error (error, MERGE_ERROR, 1, "shard%s %s %s missing (%u of %u named): run %s and name %s outputs too",
                   n + 1 < shards[0].n ? "s" : "", missing->str, n + 1 < shards[0].n ? "are" : "is", n, shards[0].n,
                   n + 1 < shards[0].n ? "them" : "it", n + 1 < shards[0].n ? "their" : "its");
      return FALSE;
    }
  /* the shards' ranges must tile the inputs: the same split, nothing between */
  for (guint i = 0; i < n; i++)
    {
      gint64 first = m_get (shards[i].m, "first"), end = m_get (shards[i].m, "end");
      gint64 want = i == 0 ? 0 : m_get (shards[i - 1].m, "end");
      if (first != want || end < first || (i + 1 == n && end != m_get (shards[i].m, "total")))
        {
          g_set_error (error, MERGE_ERROR, 1, "shard %s (%u/%u) covers %s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") of %" G_GINT64_FORMAT
                       ", which does not follow the shard before it; run it again with this quarry",
                       shards[i].path, shards[i].k, shards[i].n, m_str (shards[i].m, "split"), first, end, m_get (shards[i].m, "total"));
          return FALSE;
        }
      if (m_get (shards[i].m, "records") + m_get (shards[i].m, "dead_letters") != m_get (shards[i].m, "documents"))
        {
          g_set_error (error, MERGE_ERROR, 1, "shard %s (%u/%u) did not write every document (%" G_GINT64_FORMAT " in, %" G_GINT64_FORMAT " records, %" G_GINT64_FORMAT " dead letters); run it again",
                       shards[i].path, shards[i].k, shards[i].n, m_get (shards[i].m, "documents"),
                       m_get (shards[i].m, "records"), m_get (shards[i].m, "dead_letters"));
          return FALSE;
        }
    }
  for (guint i = 0; i < n; i++)
    {
      Shard *s = &shards[i];
      if (!check_records (s, s->path, "output", m_get (s->m, "records"), &s->out, error))
        return FALSE;
      if (m_get (s->m, "dead_letters") > 0)
        {
          if (s->dead_path == NULL)
            {
              g_set_error (error, MERGE_ERROR, 1, "%s names %" G_GINT64_FORMAT " dead letters but no dead-letter file; run that shard again",
                           s->manifest, m_get (s->m, "dead_letters"));
              return FALSE;
            }
          if (!check_records (s, s->dead_path, "dead-letter file", m_get (s->m, "dead_letters"), &s->dead, error))
            return FALSE;
          any_dead = TRUE;
        }
      records += m_get (s->m, "records");
      dead += m_get (s->m, "dead_letters");
      docs += m_get (s->m, "documents");
      any_report |= s->report_path != NULL;
      all_reports &= s->report_path != NULL;
    }
  if (report != NULL && !all_reports)
    {
      for (guint i = 0; i < n; i++)
        if (shards[i].report_path == NULL)
          {
            g_set_error (error, MERGE_ERROR, 1, "--report %s: shard %s (%u/%u) was run without --report, so there is no report to merge; run it again with --report, or merge without --report",
                         report, shards[i].path, shards[i].k, shards[i].n);
            return FALSE;
          }
    }
  if (report != NULL)
    {
      merged_report = merge_reports (shards, n, error);
      if (merged_report == NULL)
        return FALSE;
    }
  else if (any_report && !quiet)
    g_printerr ("quarry merge: note: the shards have run reports; name a file with --report to merge them\n");

  /* every check passed: write the merged files beside their targets, then rename them all */
  *code = QUARRY_EXIT_IO;
  if (!write_concat (out, shards, n, FALSE, &tmp_out, error))
    goto out;
  if (any_dead && !write_concat (dead_letter, shards, n, TRUE, &tmp_dead, error))
    goto out;
  if (merged_report != NULL)
    {
      int fd = open_temp (report, &tmp_report, error);
      const char *text;
      gsize len;
      if (fd < 0)
        goto out;
      text = json_object_to_json_string_ext (merged_report, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
      len = strlen (text);
      if (quarry_write_all (fd, text, len) != len || quarry_write_all (fd, "\n", 1) != 1 || fsync (fd) != 0)
        {
          g_set_error (error, MERGE_ERROR, 5, "cannot write %s: %s; nothing was merged", tmp_report, g_strerror (errno));
          close (fd);
          goto out;
        }
      close (fd);
    }
  if ((tmp_dead != NULL && g_rename (tmp_dead, dead_letter) != 0)
      || (tmp_report != NULL && g_rename (tmp_report, report) != 0)
      || g_rename (tmp_out, out) != 0)
    {
      g_set_error (error, MERGE_ERROR, 5, "cannot rename the merged files into place (%s): %s", out, g_strerror (errno));
      goto out;
    }
  g_clear_pointer (&tmp_out, g_free);
  g_clear_pointer (&tmp_dead, g_free);
  g_clear_pointer (&tmp_report, g_free);
  if (!any_dead)
    {
      /* the dead-letter file there is always this merge's, as after a run */
      GStatBuf st;
      if (g_lstat (dead_letter, &st) == 0 && S_ISREG (st.st_mode))
        g_unlink (dead_letter);
    }
  if (!quiet)
    g_printerr ("quarry merge: %u shards, %" G_GINT64_FORMAT " documents: %" G_GINT64_FORMAT " records to %s, %" G_GINT64_FORMAT " dead letters%s%s%s%s\n",
                n, docs, records, out, dead, any_dead ? " to " : "", any_dead ? dead_letter : "",
                report != NULL ? ", report " : "", report != NULL ? report : "");
  *code = any_dead ? QUARRY_EXIT_DEAD_LETTERS : QUARRY_EXIT_OK;
  ok = TRUE;

out:
  if (tmp_out != NULL)
    g_unlink (tmp_out);
  if (tmp_dead != NULL)
    g_unlink (tmp_dead);
  if (tmp_report != NULL)
    g_unlink (tmp_report);
  if (merged_report != NULL)
    json_object_put (merged_report);
  return ok;
}

int
quarry_shard_merge (const char *out, const char *const *paths, const char *dead_letter, const char *report, gboolean quiet)
{
  guint n = g_strv_length ((char **) paths);
  Shard *shards = g_new0 (Shard, n);
  GError *error = NULL;
  int code;

  if (!merge_checked (out, paths, dead_letter, report, quiet, shards, n, &code, &error))
    {
      g_printerr ("quarry merge: %s\n", error->message);
      g_error_free (error);
    }
  for (guint i = 0; i < n; i++)
    shard_clear (&shards[i]);
  g_free (shards);
  return code;
}
