/* test-run.c: the run loop's faults: stages that crash or hang, outputs that fail, interruption, --resume. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "harness.h"

static void
json_put (gpointer obj)
{
  json_object_put (obj);
}

typedef struct {
  char       *dir;
  char       *quarry;
  char       *broken;     /* the test-only broken plugins, added with -P */
  const char *jobs;       /* -j */
  const char *isolation;  /* --isolation=... (a later one in a test's arguments wins) */
} Run;

static void
run_setup (Run *r, gconstpointer data)
{
  GError *error = NULL;

  r->dir = g_dir_make_tmp ("quarry-run-XXXXXX", &error);
  g_assert_no_error (error);
  r->quarry = g_test_build_filename (G_TEST_BUILT, "..", "quarry", NULL);
  r->broken = g_test_build_filename (G_TEST_BUILT, "broken", NULL);
  /* data: "2" runs -j 2 with worker processes, "t2" with threads */
  r->jobs = data == NULL ? "2" : ((const char *) data)[0] == 't' ? (const char *) data + 1 : data;
  r->isolation = data != NULL && ((const char *) data)[0] == 't' ? "--isolation=threads" : "--isolation=processes";
}

static void
run_teardown (Run *r, gconstpointer data)
{
  harness_remove_tree (r->dir);
  g_free (r->dir);
  g_free (r->quarry);
  g_free (r->broken);
}

static void
put (const Run *r, const char *name, const char *content)
{
  harness_put_file (r->dir, name, content, -1);
}

static char *
slurp (const Run *r, const char *name)
{
  return harness_slurp (r->dir, name, NULL);
}

static gboolean
exists (const Run *r, const char *name)
{
  g_autofree char *p = g_build_filename (r->dir, name, NULL);
  return g_file_test (p, G_FILE_TEST_EXISTS);
}

/* argv for quarry: the binary, the broken plugins' folder, then args (NULL-terminated). */
static GPtrArray *
quarry_argv (const Run *r, va_list ap)
{
  GPtrArray *argv = g_ptr_array_new ();
  const char *a;

  g_ptr_array_add (argv, r->quarry);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  /* after the command: its options parser takes -P */
  g_ptr_array_insert (argv, 2, (gpointer) "-P");
  g_ptr_array_insert (argv, 3, r->broken);
  g_ptr_array_insert (argv, 4, (gpointer) r->isolation);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* RLIMIT_FSIZE for the child, so the output "fills the disk" part way (0: none). */
static rlim_t file_size_limit;

static void
child_setup (gpointer data)
{
  if (file_size_limit > 0)
    {
      struct rlimit rl = { file_size_limit, file_size_limit };
      signal (SIGXFSZ, SIG_IGN);  /* a write past the limit then fails with EFBIG, as on a full disk */
      setrlimit (RLIMIT_FSIZE, &rl);
    }
}

/* Runs quarry in the test folder; returns its exit code (128 + signal if killed). */
static int
run_quarry (const Run *r, char **out, char **err, ...)
{
  va_list ap;
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *o = NULL, *e = NULL;
  GError *error = NULL;
  gint status = 0;

  va_start (ap, err);
  argv = quarry_argv (r, ap);
  va_end (ap);
  g_spawn_sync (r->dir, (char **) argv->pdata, NULL, 0, child_setup, NULL, &o, &e, &status, &error);
  g_assert_no_error (error);
  if (g_test_verbose ())
    g_printerr ("%s", e);
  if (out != NULL)
    *out = g_steal_pointer (&o);
  if (err != NULL)
    *err = g_steal_pointer (&e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* The lines of text, each checked to be one whole JSON object. (transfer full) */
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
      json_object *rec = json_tokener_parse (lines[i]);
      if (rec == NULL || !json_object_is_type (rec, json_type_object))
        g_error ("line %u is not a whole JSON object: %.80s", i + 1, lines[i]);
      g_ptr_array_add (recs, rec);
    }
  return recs;
}

static const char *
str_field (json_object *rec, const char *key)
{
  json_object *v;

  if (!json_object_object_get_ex (rec, key, &v))
    return NULL;
  return json_object_get_string (v);
}

static json_object *
report_documents (const Run *r, const char *name)
{
  g_autofree char *p = g_build_filename (r->dir, name, NULL);
  json_object *rep = json_object_from_file (p), *docs, *copy;

  g_assert_nonnull (rep);
  g_assert_true (json_object_object_get_ex (rep, "documents", &docs));
  copy = json_object_get (docs);
  json_object_put (rep);
  return copy;
}

static gint64
doc_count (json_object *docs, const char *key)
{
  json_object *v;

  g_assert_true (json_object_object_get_ex (docs, key, &v));
  return json_object_get_int64 (v);
}

/* Seven small documents d0..d6, each "banana". */
static void
put_seven (const Run *r)
{
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%u.txt", i);
      put (r, name, "banana");
    }
}

/* The crash rows: one document's stage dies; it alone is dead-lettered, naming the
 * stage and the signal, the other six are out, whole, exit 2. */
static void
check_crash (Run *r, const char *plugin, const char *signame, const char *jobs)
{
  g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = test-replace;%s\n[%s]\nid = d3\n", plugin, plugin);
  g_autofree char *err = NULL, *out = NULL, *dead = NULL, *reason = NULL;
  g_autoptr(GPtrArray) outs = NULL, deads = NULL;
  json_object *docs;

  put (r, "p.ini", ini);
  put_seven (r);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "--report", "r.json",
                               "-j", jobs, "in", NULL), ==, 2);
  reason = g_strdup_printf ("crashed: %s in stage %s", signame, plugin);
  g_assert_nonnull (strstr (err, reason));  /* the message as it happens */
  g_assert_nonnull (strstr (err, "7 documents in, 6 out, 1 dead-lettered"));

  out = slurp (r, "o.jsonl");
  dead = slurp (r, "o.jsonl.dead.jsonl");
  outs = records (out);
  deads = records (dead);
  g_assert_cmpuint (outs->len, ==, 6);
  g_assert_cmpuint (deads->len, ==, 1);
  for (guint i = 0, d = 0; i < outs->len; i++, d++)
    {
      g_autofree char *id = g_strdup_printf ("d%u", d == 3 ? ++d : d);
      g_assert_cmpstr (str_field (outs->pdata[i], "id"), ==, id);
      g_assert_cmpstr (str_field (outs->pdata[i], "text"), ==, "bAnAnA");  /* test-replace's a -> A */
    }
  g_assert_cmpstr (str_field (deads->pdata[0], "id"), ==, "d3");
  g_assert_cmpstr (str_field (deads->pdata[0], "stage"), ==, plugin);
  g_assert_cmpstr (str_field (deads->pdata[0], "reason"), ==, reason);
  g_assert_cmpstr (str_field (deads->pdata[0], "content"), ==, "banana");  /* the original bytes, to re-run */

  docs = report_documents (r, "r.json");
  g_assert_cmpint (doc_count (docs, "in"), ==, 7);
  g_assert_cmpint (doc_count (docs, "in"), ==, doc_count (docs, "out") + doc_count (docs, "dead_lettered"));
  json_object_put (docs);
}

static void
test_crash_segv (Run *r, gconstpointer data)
{
  check_crash (r, "broken-crash", "SIGSEGV", r->jobs);
}

static void
test_crash_abort (Run *r, gconstpointer data)
{
  check_crash (r, "broken-abort", "SIGABRT", r->jobs);
}

/* Every document crashes: all dead-lettered, none lost, each worker replaced. */
static void
test_crash_every (Run *r, gconstpointer data)
{
  const char *jobs = r->jobs;
  g_autofree char *err = NULL, *dead = NULL, *out = NULL;
  g_autoptr(GPtrArray) deads = NULL;

  put (r, "p.ini", "[pipeline]\nstages = broken-crash\n");
  put_seven (r);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, "in", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "7 documents in, 0 out, 7 dead-lettered"));
  out = slurp (r, "o.jsonl");
  g_assert_cmpstr (out, ==, "");
  dead = slurp (r, "o.jsonl.dead.jsonl");
  deads = records (dead);
  g_assert_cmpuint (deads->len, ==, 7);
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *id = g_strdup_printf ("d%u", i);
      g_assert_cmpstr (str_field (deads->pdata[i], "id"), ==, id);  /* in input order */
      g_assert_cmpstr (str_field (deads->pdata[i], "reason"), ==, "crashed: SIGSEGV in stage broken-crash");
    }
}

/* With threads a crash ends the run, but what is in the output is whole records
 * (one write per batch of whole records), so --resume can finish it. */
static void
test_crash_threads (Run *r, gconstpointer data)
{
  g_autofree char *body = g_strnfill (100000, 'x');
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GPtrArray) outs = NULL;

  put (r, "p.ini", "[pipeline]\nstages = test-replace;broken-crash\n[broken-crash]\nid = d30\n");
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%02u.txt", i);
      put (r, name, body);
    }
  g_assert_cmpint (run_quarry (r, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "o.jsonl", "-j", r->jobs,
                               "in", NULL), ==, 128 + SIGSEGV);
  out = slurp (r, "o.jsonl");
  outs = records (out);  /* whole lines only */
  g_assert_cmpuint (outs->len, >, 0);  /* 1 MB batches: some were written before d30 */
  g_assert_cmpuint (outs->len, <, 30);
  for (guint i = 0; i < outs->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("d%02u", i);
      g_assert_cmpstr (str_field (outs->pdata[i], "id"), ==, id);
    }
}

/* A stage that hangs: --document-timeout, or the stage's own timeout-ms. */
static void
check_timeout (Run *r, const char *jobs, const char *ini, const char *limit_arg, const char *reason)
{
  g_autofree char *err = NULL, *dead = NULL, *out = NULL;
  g_autoptr(GPtrArray) outs = NULL, deads = NULL;
  gint64 t0 = g_get_monotonic_time ();

  put (r, "p.ini", ini);
  put_seven (r);
  if (limit_arg != NULL)
    g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, limit_arg, "in", NULL), ==, 2);
  else
    g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, "in", NULL), ==, 2);
  /* the sleeper would take 60 s: the limit cut it short */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 30 * G_USEC_PER_SEC);
  g_assert_nonnull (strstr (err, reason));
  out = slurp (r, "o.jsonl");
  dead = slurp (r, "o.jsonl.dead.jsonl");
  outs = records (out);
  deads = records (dead);
  g_assert_cmpuint (outs->len, ==, 6);
  g_assert_cmpuint (deads->len, ==, 1);
  g_assert_cmpstr (str_field (deads->pdata[0], "id"), ==, "d3");
  g_assert_cmpstr (str_field (deads->pdata[0], "stage"), ==, "broken-sleep");
  g_assert_cmpstr (str_field (deads->pdata[0], "reason"), ==, reason);
}

static void
test_timeout_document (Run *r, gconstpointer data)
{
  check_timeout (r, r->jobs, "[pipeline]\nstages = test-replace;broken-sleep\n[broken-sleep]\nid = d3\n",
                 "--document-timeout=300", "timed out after 300 ms in stage broken-sleep");
}

static void
test_timeout_stage (Run *r, gconstpointer data)
{
  check_timeout (r, r->jobs, "[pipeline]\nstages = test-replace;broken-sleep\n[broken-sleep]\nid = d3\ntimeout-ms = 200\n",
                 NULL, "timed out after 200 ms in stage broken-sleep");
}

/* Threads cannot be stopped: a time limit with threads is refused, not ignored. */
static void
test_timeout_threads (Run *r, gconstpointer data)
{
  g_autofree char *err = NULL;

  put (r, "p.ini", "[pipeline]\nstages = test-replace\n");
  put_seven (r);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "--isolation=threads",
                               "--document-timeout=100", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--document-timeout 100 needs --isolation=processes"));
  g_assert_false (exists (r, "o.jsonl"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "--isolation=fibers", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--isolation fibers is not known"));
}

/* Varied documents (replacements, a dropped one, an unreadable JSON Lines line). */
static void
put_mixed (const Run *r, guint n)
{
  GString *jsonl = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/doc%03u.txt", i);
      g_autofree char *body = g_strnfill (1 + (i * 7919) % 5000, "abc"[i % 3]);
      put (r, name, body);
    }
  for (guint i = 0; i < 5; i++)
    g_string_append_printf (jsonl, "{\"id\": \"j%u\", \"content\": \"a\\u00e9 %u\"}\n", i, i);
  g_string_append (jsonl, "{\"id\": \"broken\", \"content\": \n");
  put (r, "in/z.jsonl", jsonl->str);
  g_string_free (jsonl, TRUE);
}

static const char *const mixed_ini =
  "[pipeline]\nstages = test-replace;test-needs\n[test-replace]\nfail-id = doc007\non-error = drop\n";

/* The two isolation modes write the same bytes, at every -j. */
static void
test_same_bytes (Run *r, gconstpointer data)
{
  g_autofree char *ref = NULL, *ref_dead = NULL;
  const char *const modes[] = { "threads", "processes" };
  const char *const jobs[] = { "1", "2", "5" };

  put (r, "p.ini", mixed_ini);
  put_mixed (r, 50);
  g_assert_cmpint (run_quarry (r, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "ref.jsonl", "-j", "1",
                               "--isolation=threads", "in", NULL), ==, 2);
  ref = slurp (r, "ref.jsonl");
  ref_dead = slurp (r, "ref.jsonl.dead.jsonl");
  {
    g_autoptr(GPtrArray) outs = records (ref), deads = records (ref_dead);
    g_assert_cmpuint (outs->len, ==, 50 - 1 + 5);
    g_assert_cmpuint (deads->len, ==, 2);  /* doc007 and the cut JSON Lines line */
  }
  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    for (guint j = 0; j < G_N_ELEMENTS (jobs); j++)
      {
        g_autofree char *iso = g_strdup_printf ("--isolation=%s", modes[m]);
        g_autofree char *out = NULL, *dead = NULL;
        g_assert_cmpint (run_quarry (r, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs[j], iso,
                                     "in", NULL), ==, 2);
        out = slurp (r, "o.jsonl");
        dead = slurp (r, "o.jsonl.dead.jsonl");
        g_assert_cmpstr (out, ==, ref);
        g_assert_cmpstr (dead, ==, ref_dead);
      }
}

/* -o /dev/full: exit 5, the file and errno named, the summary says nothing was written. */
static void
test_output_full (Run *r, gconstpointer data)
{
  g_autofree char *err = NULL;

  g_assert_true (g_file_test ("/dev/full", G_FILE_TEST_EXISTS));  /* Linux and the BSDs have it */
  put (r, "p.ini", "[pipeline]\nstages = test-replace\n");
  put_seven (r);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "/dev/full", "--report", "r.json", "in", NULL), ==, 5);
  g_assert_nonnull (strstr (err, "cannot write /dev/full: No space left on device (errno 28)"));
  g_assert_nonnull (strstr (err, "0 records were written whole"));
  g_assert_nonnull (strstr (err, "7 documents in, 0 out, 0 dead-lettered; 7 not written"));
}

/* The file system fills part way (a file size limit stands in for it): only whole
 * records are left, as many as the message says. */
static void
test_output_fills (Run *r, gconstpointer data)
{
  const char *jobs = r->jobs;
  g_autofree char *err = NULL, *out = NULL, *says = NULL;
  g_autoptr(GPtrArray) outs = NULL;
  g_autofree char *body = g_strnfill (30000, 'x');
  GMatchInfo *mi = NULL;
  g_autoptr(GRegex) re = g_regex_new ("; (\\d+) records were written whole", 0, 0, NULL);

  put (r, "p.ini", "[pipeline]\nstages = test-replace\n");
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%03u.txt", i);
      put (r, name, body);
    }
  /* 200 records of ~31 KB: 6 MB; the limit falls inside the third 1 MB batch, mid-record */
  file_size_limit = 2500000;
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, "in", NULL), ==, 5);
  file_size_limit = 0;
  g_assert_nonnull (strstr (err, "cannot write o.jsonl: File too large (errno 27)"));
  out = slurp (r, "o.jsonl");
  outs = records (out);  /* every line whole */
  g_assert_cmpuint (outs->len, >, 0);
  g_assert_true (g_regex_match (re, err, 0, &mi));
  says = g_match_info_fetch (mi, 1);
  g_match_info_free (mi);
  g_assert_cmpuint (g_ascii_strtoull (says, NULL, 10), ==, outs->len);
  {
    /* the run stopped taking documents at the failure: in = out + not written */
    g_autoptr(GRegex) sum = g_regex_new ("(\\d+) documents in, (\\d+) out, 0 dead-lettered; (\\d+) not written", 0, 0, NULL);
    g_autofree char *in = NULL, *o = NULL, *lost = NULL;
    g_assert_true (g_regex_match (sum, err, 0, &mi));
    in = g_match_info_fetch (mi, 1);
    o = g_match_info_fetch (mi, 2);
    lost = g_match_info_fetch (mi, 3);
    g_match_info_free (mi);
    g_assert_cmpuint (g_ascii_strtoull (o, NULL, 10), ==, outs->len);
    g_assert_cmpuint (g_ascii_strtoull (in, NULL, 10), ==, outs->len + g_ascii_strtoull (lost, NULL, 10));
    g_assert_cmpuint (g_ascii_strtoull (lost, NULL, 10), >, 0);
  }
  for (guint i = 0; i < outs->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("d%03u", i);
      g_assert_cmpstr (str_field (outs->pdata[i], "id"), ==, id);
    }
}

/* A rerun whose documents all succeed removes the earlier run's dead letters. */
static void
test_rerun_dead_letters (Run *r, gconstpointer data)
{
  const char *jobs = r->jobs;
  g_autofree char *err = NULL;

  put (r, "bad.ini", "[pipeline]\nstages = test-replace\n[test-replace]\nfail-id = d2\non-error = drop\n");
  put (r, "good.ini", "[pipeline]\nstages = test-replace\n");
  put_seven (r);
  g_assert_cmpint (run_quarry (r, NULL, NULL, "run", "-q", "-c", "bad.ini", "-o", "o.jsonl", "-j", jobs, "in", NULL), ==, 2);
  g_assert_true (exists (r, "o.jsonl.dead.jsonl"));
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "good.ini", "-o", "o.jsonl", "-j", jobs, "in", NULL), ==, 0);
  g_assert_false (exists (r, "o.jsonl.dead.jsonl"));
  g_assert_nonnull (strstr (err, "7 documents in, 7 out, 0 dead-lettered;"));
  /* and one with dead letters replaces the file rather than adding to it */
  g_assert_cmpint (run_quarry (r, NULL, NULL, "run", "-q", "-c", "bad.ini", "-o", "o.jsonl", "-j", jobs, "in", NULL), ==, 2);
  g_assert_cmpint (run_quarry (r, NULL, NULL, "run", "-q", "-c", "bad.ini", "-o", "o.jsonl", "-j", jobs, "in", NULL), ==, 2);
  {
    g_autofree char *dead = slurp (r, "o.jsonl.dead.jsonl");
    g_autoptr(GPtrArray) deads = records (dead);
    g_assert_cmpuint (deads->len, ==, 1);
  }
}

/* SIGTERM while d05 is in flight in a worker process: the worker passes it on,
 * the run stops taking documents, finishes those in flight, exit 4. */
static void
test_interrupt (Run *r, gconstpointer data)
{
  const char *jobs = r->jobs;
  g_autofree char *err = NULL, *out = NULL;
  g_autoptr(GPtrArray) outs = NULL;
  json_object *docs;

  put (r, "p.ini", "[pipeline]\nstages = test-replace\n[test-replace]\nsignal-id = d05\n");
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%02u.txt", i);
      put (r, name, "banana");
    }
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "--report", "r.json",
                               "-j", jobs, "in", NULL), ==, 4);
  g_assert_nonnull (strstr (err, "interrupted"));
  out = slurp (r, "o.jsonl");
  outs = records (out);
  /* d05 and what was read before the signal; never the whole input */
  g_assert_cmpuint (outs->len, >=, 6);
  g_assert_cmpuint (outs->len, <, 40);
  for (guint i = 0; i < outs->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("d%02u", i);
      g_assert_cmpstr (str_field (outs->pdata[i], "id"), ==, id);
    }
  docs = report_documents (r, "r.json");
  g_assert_cmpint (doc_count (docs, "in"), ==, outs->len);
  g_assert_cmpint (doc_count (docs, "out"), ==, outs->len);
  json_object_put (docs);
}

/* Spawns quarry without waiting; stdout/stderr to pipes when asked. Returns its pid. */
static GPid
start_quarry (const Run *r, int *out_fd, int *err_fd, ...)
{
  va_list ap;
  g_autoptr(GPtrArray) argv = NULL;
  GError *error = NULL;
  GPid pid;

  va_start (ap, err_fd);
  argv = quarry_argv (r, ap);
  va_end (ap);
  g_spawn_async_with_pipes (r->dir, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                            NULL, out_fd, err_fd, &error);
  g_assert_no_error (error);
  return pid;
}

static int
wait_quarry (GPid pid)
{
  int status;

  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  g_spawn_close_pid (pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static char *
read_fd (int fd, guint chunk, guint pause_ms, GPid signal_pid, gsize signal_after)
{
  GString *s = g_string_new (NULL);
  g_autofree char *buf = g_malloc (chunk);
  gboolean signalled = FALSE;
  ssize_t n;

  while ((n = read (fd, buf, chunk)) != 0)
    {
      if (n < 0)
        {
          g_assert_cmpint (errno, ==, EINTR);
          continue;
        }
      g_string_append_len (s, buf, n);
      if (signal_pid > 0 && !signalled && s->len >= signal_after)
        {
          /* three SIGTERMs, while the output is a slow pipe */
          for (guint k = 0; k < 3; k++)
            {
              kill (signal_pid, SIGTERM);
              g_usleep (5000);
            }
          signalled = TRUE;
        }
      if (pause_ms > 0)
        g_usleep (pause_ms * 1000);
    }
  close (fd);
  return g_string_free (s, FALSE);
}

static void
test_sigterm_slow_pipe (Run *r, gconstpointer data)
{
  const char *jobs = r->jobs;
  g_autofree char *body = g_strnfill (20000, 'x')  /* no 'a': test-replace adds no span */;
  g_autofree char *out = NULL, *err = NULL, *says = NULL;
  g_autoptr(GPtrArray) outs = NULL;
  g_autoptr(GRegex) re = g_regex_new ("quarry: (\\d+) documents in, (\\d+) out, 0 dead-lettered;", 0, 0, NULL);
  GMatchInfo *mi = NULL;
  int out_fd, err_fd;
  GPid pid;
  json_object *docs;

  put (r, "p.ini", "[pipeline]\nstages = test-replace\n");
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%03u.txt", i);
      put (r, name, body);
    }
  pid = start_quarry (r, &out_fd, &err_fd, "run", "-c", "p.ini", "--report", "r.json", "-j", jobs, "in", NULL);
  out = read_fd (out_fd, 16384, 2, pid, 100000);
  err = read_fd (err_fd, 4096, 0, 0, 0);
  g_assert_cmpint (wait_quarry (pid), ==, 4);
  g_assert_nonnull (strstr (err, "interrupted"));
  outs = records (out);  /* whole records only */
  g_assert_cmpuint (outs->len, <, 200);
  for (guint i = 0; i < outs->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("d%03u", i);
      g_assert_cmpstr (str_field (outs->pdata[i], "id"), ==, id);
    }
  /* the summary is true: what it says came out is what came out, and in = out */
  g_assert_true (g_regex_match (re, err, 0, &mi));
  says = g_match_info_fetch (mi, 2);
  g_assert_cmpuint (g_ascii_strtoull (says, NULL, 10), ==, outs->len);
  g_free (says);
  says = g_match_info_fetch (mi, 1);
  g_assert_cmpuint (g_ascii_strtoull (says, NULL, 10), ==, outs->len);
  g_match_info_free (mi);
  docs = report_documents (r, "r.json");
  g_assert_cmpint (doc_count (docs, "out"), ==, outs->len);
  json_object_put (docs);
}

/* kill -9 mid-run, a torn last line, then --resume: the same bytes as a run never stopped. */
static void
test_resume (Run *r, gconstpointer data)
{
  const char *jobs = r->jobs;
  g_autofree char *body = g_strnfill (100000, 'b');
  g_autofree char *ref = NULL, *ref_dead = NULL, *out = NULL, *dead = NULL, *err = NULL, *path = NULL;
  g_autofree char *before = NULL;
  gint64 t0;
  GPid pid;

  /* d20 hangs until the time limit: the interrupted run is always killed before it */
  put (r, "p.ini", "[pipeline]\nstages = test-replace;broken-sleep\n[test-replace]\nfail-id = d03\non-error = drop\n"
                   "[broken-sleep]\nid = d20\n");
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%02u.txt", i);
      put (r, name, body);
    }
  put (r, "in/z.jsonl", "{\"id\": \"z1\", \"content\": \"abc\"}\n{\"id\": \"z2\", \"content\": \n{\"id\": \"z3\", \"content\": \"a\"}\n");
  g_assert_cmpint (run_quarry (r, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "ref.jsonl", "-j", jobs,
                               "--document-timeout=1000", "in", NULL), ==, 2);
  ref = slurp (r, "ref.jsonl");
  ref_dead = slurp (r, "ref.jsonl.dead.jsonl");
  {
    g_autoptr(GPtrArray) outs = records (ref), deads = records (ref_dead);
    g_assert_cmpuint (outs->len, ==, 38 + 2);
    g_assert_cmpuint (deads->len, ==, 3);  /* d03, d20 and z2 */
  }

  /* the interrupted run: killed once some records are on disk (d00..d10 fill the first 1 MB batch) */
  path = g_build_filename (r->dir, "o.jsonl", NULL);
  pid = start_quarry (r, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, "--document-timeout=1000",
                      "in", NULL);
  t0 = g_get_monotonic_time ();
  for (;;)
    {
      GStatBuf st;
      if (g_stat (path, &st) == 0 && st.st_size > 0)
        break;
      g_assert_cmpint (g_get_monotonic_time () - t0, <, 60 * G_USEC_PER_SEC);
      g_usleep (2000);
    }
  kill (pid, SIGKILL);
  g_assert_cmpint (wait_quarry (pid), ==, 128 + SIGKILL);
  before = slurp (r, "o.jsonl");
  g_assert_cmpuint (strlen (before), <, strlen (ref));  /* it was stopped part way */
  g_assert_true (g_str_has_prefix (ref, before));
  {
    /* and a torn last record, as a crash in the middle of a write leaves */
    g_autofree char *torn = g_strconcat (before, "{\"id\":\"d3", NULL);
    g_file_set_contents (path, torn, -1, NULL);
  }

  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, "--document-timeout=1000",
                               "--resume", "in", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "(a record cut short) are dropped"));
  g_assert_nonnull (strstr (err, "43 documents in, 40 out, 3 dead-lettered"));
  g_assert_nonnull (strstr (err, "of them written by the earlier run"));
  out = slurp (r, "o.jsonl");
  dead = slurp (r, "o.jsonl.dead.jsonl");
  g_assert_cmpstr (out, ==, ref);
  g_assert_cmpstr (dead, ==, ref_dead);

  /* resuming a finished run runs nothing and changes nothing */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, "--resume", "in", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "43 documents in, 40 out, 3 dead-lettered to o.jsonl.dead.jsonl (43 of them written by the earlier run)"));
  g_clear_pointer (&out, g_free);
  out = slurp (r, "o.jsonl");
  g_assert_cmpstr (out, ==, ref);

  /* another config: refused, nothing touched */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "--set", "test-replace.replace=B", "-o", "o.jsonl",
                               "-j", jobs, "--resume", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "cannot resume: o.jsonl:1 was written with another config (config_hash "));
  g_clear_pointer (&out, g_free);
  out = slurp (r, "o.jsonl");
  g_assert_cmpstr (out, ==, ref);

  /* other inputs: refused, naming the record and the document */
  g_clear_pointer (&err, g_free);
  put (r, "in/d00a.txt", "new");
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", jobs, "--resume", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "cannot resume: o.jsonl:2 is the record {\"id\":\"d01\", but the next input document is 'd00a'"));
  g_clear_pointer (&out, g_free);
  out = slurp (r, "o.jsonl");
  g_assert_cmpstr (out, ==, ref);

  /* and --resume needs a file */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "--resume", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--resume continues the output file of an earlier run; name it with -o OUT"));
}

/* Per-worker state (ABI 1.2): every worker thread or process sets up its own, on
 * the thread that uses it, and tears it down there at the end; no state ever
 * holds two documents at once (test-worker fails the document if one does). */
static void
test_worker_state (Run *r, gconstpointer data)
{
  g_autofree char *err = NULL, *out = NULL, *log = NULL;
  g_autoptr(GPtrArray) outs = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) set_up = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint setups = 0, teardowns = 0, docs = 0, busy = 0;
  gboolean processes = g_str_equal (r->isolation, "--isolation=processes");

  put (r, "p.ini", "[pipeline]\nstages = test-worker\n[test-worker]\nlog = w.log\n");
  for (guint i = 0; i < 24; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%02u.txt", i);
      put (r, name, "banana");
    }
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", r->jobs, "in", NULL), ==, 0);
  out = slurp (r, "o.jsonl");
  outs = records (out);
  g_assert_cmpuint (outs->len, ==, 24);

  log = slurp (r, "w.log");
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], " ", -1);
      g_autofree char *who = NULL;
      g_assert_cmpuint (g_strv_length (f), ==, 4);
      who = g_strdup_printf ("%s %s", f[1], f[2]);
      if (g_str_equal (f[0], "setup"))
        {
          g_assert_false (g_hash_table_contains (set_up, who));
          g_hash_table_add (set_up, g_steal_pointer (&who));
          setups++;
        }
      else
        {
          g_assert_cmpstr (f[0], ==, "teardown");
          /* torn down by the thread (in the process) that set it up, once */
          g_assert_true (g_hash_table_remove (set_up, who));
          teardowns++;
          docs += atoi (f[3]);
          busy += atoi (f[3]) > 0;
        }
    }
  g_assert_cmpuint (g_hash_table_size (set_up), ==, 0);
  g_assert_cmpuint (setups, ==, teardowns);
  g_assert_cmpuint (docs, ==, 24);  /* every document ran with a worker state, each counted once */
  /* the main thread's first (it runs the documents itself with one thread), then
   * one per thread, or one per worker process forked (at most -j) */
  if (processes)
    {
      g_assert_cmpuint (setups, <=, (guint) atoi (r->jobs) + 1);
      g_assert_cmpuint (setups, >=, 2);
    }
  else
    g_assert_cmpuint (setups, ==, atoi (r->jobs) == 1 ? 1 : (guint) atoi (r->jobs) + 1);
  if (processes || atoi (r->jobs) == 1)
    g_assert_cmpuint (busy, >=, 1);
  /* what a worker state saw: within one worker, its documents count up from 0 */
  {
    guint zeros = 0;
    for (guint i = 0; i < outs->len; i++)
      {
        json_object *fields, *w, *n;
        g_assert_true (json_object_object_get_ex (outs->pdata[i], "fields", &fields));
        g_assert_true (json_object_object_get_ex (fields, "worker", &w));
        g_assert_true (json_object_object_get_ex (w, "docs_before", &n));
        zeros += json_object_get_int64 (n) == 0;
      }
    g_assert_cmpuint (zeros, ==, busy);
  }
}

/* An author's mistakes that do not stop a run are still told: an error set with a
 * TRUE return (a warning diagnostic naming the stage; the error is freed, which
 * the sanitizer and valgrind runs check), and a GLib critical from a call into the
 * core (its message names the stage and the document). */
static void
test_sloppy (Run *r, gconstpointer data)
{
  g_autofree char *err = NULL, *out = NULL;
  g_autoptr(GPtrArray) outs = NULL;

  put (r, "p.ini", "[pipeline]\nstages = broken-sloppy\n");
  put (r, "c.ini", "[pipeline]\nstages = broken-sloppy\n[broken-sloppy]\nmistake = critical\n");
  put_seven (r);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", r->jobs, "in", NULL), ==, 0);
  out = slurp (r, "o.jsonl");
  outs = records (out);
  g_assert_cmpuint (outs->len, ==, 7);
  for (guint i = 0; i < outs->len; i++)
    {
      json_object *diags, *d;
      g_assert_true (json_object_object_get_ex (outs->pdata[i], "diagnostics", &diags));
      g_assert_cmpuint (json_object_array_length (diags), ==, 1);
      d = json_object_array_get_idx (diags, 0);
      g_assert_cmpstr (str_field (d, "code"), ==, "error-ignored");
      g_assert_cmpstr (str_field (d, "level"), ==, "warning");
      g_assert_cmpstr (str_field (d, "stage"), ==, "broken-sloppy");
      g_assert_cmpstr (str_field (d, "message"), ==,
                       "stage 'broken-sloppy' (plugin broken-sloppy 1.0.0) returned success but set an error, which is "
                       "ignored: a leftover error from a retry that worked (a plugin bug: return FALSE to fail, or clear the error)");
    }

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "c.ini", "-o", "c.jsonl", "-j", r->jobs, "in", NULL), ==, 0);
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *what = g_strdup_printf ("in stage 'broken-sloppy' (plugin broken-sloppy 1.0.0) on document d%u: "
                                               "quarry_document_add_span: assertion", i);
      g_assert_nonnull (strstr (err, what));
    }
}

/* A plugin calling a function nothing defines is refused at load, naming the
 * symbol, by validate and by run before any document (lazily bound it passed
 * validate and died at the first document with exit 127). */
static void
test_unresolved_symbol (Run *r, gconstpointer data)
{
  g_autofree char *err = NULL, *err2 = NULL;

  g_autofree char *out = NULL;
  const char *argv[] = { r->quarry, "validate", "-P", r->broken, "p.ini", NULL };
  gint status = 0;
  GError *error = NULL;

  put (r, "p.ini", "[pipeline]\nstages = broken-lazy\n");
  put_seven (r);
  /* run_quarry adds --isolation, which validate does not take */
  g_spawn_sync (r->dir, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_nonnull (strstr (err, "undefined symbol: quarry_document_frobnicate"));
  g_assert_cmpint (run_quarry (r, NULL, &err2, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", r->jobs, "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err2, "undefined symbol: quarry_document_frobnicate"));
  g_assert_false (exists (r, "o.jsonl"));
}

/* A worker set-up that fails stops the run before any document, naming the stage. */
static void
test_worker_setup_fails (Run *r, gconstpointer data)
{
  g_autofree char *err = NULL, *out = NULL;

  put (r, "p.ini", "[pipeline]\nstages = test-worker\n[test-worker]\nfail-worker = true\n");
  put_seven (r);
  g_assert_cmpint (run_quarry (r, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", r->jobs, "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "stage 'test-worker' (plugin test-worker 1.0.0) could not set up a worker: "
                                 "asked to fail (fail-worker = true)"));
  g_assert_null (strstr (err, "documents in"));
  out = exists (r, "o.jsonl") ? slurp (r, "o.jsonl") : g_strdup ("");
  g_assert_cmpstr (out, ==, "");
}

int
main (int argc, char **argv)
{
  const char *asan = g_getenv ("ASAN_OPTIONS");
  static const char *const jobs[] = { "1", "2" }, *const threads[] = { "t1", "t2" };

  /* under AddressSanitizer a worker's SIGSEGV must stay a signal, as in a plain build */
  g_setenv ("ASAN_OPTIONS", asan != NULL && asan[0] ? g_strconcat (asan, ":handle_segv=0", NULL) : "handle_segv=0", TRUE);
  g_test_init (&argc, &argv, NULL);
  for (guint j = 0; j < G_N_ELEMENTS (jobs); j++)
    {
#define ADD(path, fn, data) \
      { g_autofree char *p = g_strdup_printf ("/run/%s/%s", path, data); \
        g_test_add (p, Run, data, run_setup, fn, run_teardown); }
      /* worker processes */
      ADD ("crash/segv", test_crash_segv, jobs[j]);
      ADD ("crash/abort", test_crash_abort, jobs[j]);
      ADD ("crash/every-document", test_crash_every, jobs[j]);
      ADD ("timeout/document", test_timeout_document, jobs[j]);
      ADD ("timeout/stage", test_timeout_stage, jobs[j]);
      ADD ("interrupt", test_interrupt, jobs[j]);
      ADD ("resume", test_resume, jobs[j]);
      /* the output and the signals in both modes: the two loops differ */
      ADD ("output/fills", test_output_fills, jobs[j]);
      ADD ("output/fills", test_output_fills, threads[j]);
      ADD ("crash/whole-records", test_crash_threads, threads[j]);
      ADD ("rerun/dead-letters", test_rerun_dead_letters, jobs[j]);
      ADD ("rerun/dead-letters", test_rerun_dead_letters, threads[j]);
      ADD ("interrupt/slow-pipe", test_sigterm_slow_pipe, jobs[j]);
      ADD ("interrupt/slow-pipe", test_sigterm_slow_pipe, threads[j]);
      ADD ("sloppy-plugin", test_sloppy, jobs[j]);
      ADD ("sloppy-plugin", test_sloppy, threads[j]);
      ADD ("worker-state", test_worker_state, jobs[j]);
      ADD ("worker-state", test_worker_state, threads[j]);
      ADD ("worker-state/setup-fails", test_worker_setup_fails, jobs[j]);
      ADD ("worker-state/setup-fails", test_worker_setup_fails, threads[j]);
#undef ADD
    }
  g_test_add ("/run/unresolved-symbol", Run, NULL, run_setup, test_unresolved_symbol, run_teardown);
  g_test_add ("/run/timeout/threads-refused", Run, NULL, run_setup, test_timeout_threads, run_teardown);
  g_test_add ("/run/same-bytes", Run, NULL, run_setup, test_same_bytes, run_teardown);
  g_test_add ("/run/output/dev-full", Run, NULL, run_setup, test_output_full, run_teardown);
  return g_test_run ();
}
