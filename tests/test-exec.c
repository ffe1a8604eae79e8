/* test-exec.c: the exec stage: offsets both ways, replies applied whole or not at all, co-processes that crash, hang, babble or leave, the Python example. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <json-c/json.h>

#include "harness.h"


/* tests/data/exec in the source tree: the test co-processes */
static char *
data_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "data", "exec", NULL);
}

static char *
example_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "..", "examples", "exec-python", NULL);
}

/* A pipeline of [stages] with an exec stage running tests/data/exec/SCRIPT through INTERP. */
static QuarryHarness *
scripted_pipeline (const char *stages, const char *extra)
{
  g_autofree char *dir = data_dir ();
  g_autofree char *ini = g_strdup_printf (
    "[pipeline]\nstages = %s\n[exec]\ncommand = python3;scripted.py\nworking-directory = %s\n"
    "provides = layer:word;field:probe\n%s", stages, dir, extra ? extra : "");
  return quarry_harness_new (ini);
}

static const char *
jstr (json_object *o, const char *key)
{
  json_object *v = NULL;
  g_assert_true (json_object_object_get_ex (o, key, &v));
  return json_object_get_string (v);
}

static gint64
jint (json_object *o, const char *key)
{
  json_object *v = NULL;
  g_assert_true (json_object_object_get_ex (o, key, &v));
  return json_object_get_int64 (v);
}

/* Spans of the co-process's layer land on the words Python found, with non-ASCII text before them. */
static void
test_offsets_spans (void)
{
  g_autoptr(QuarryHarness) p = scripted_pipeline ("exec", NULL);
  const char *text = "Визит в Москва: «Lavrov» said — ça va";
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, "span-1", text, -1, NULL);
  g_autoptr(json_object) spans = quarry_test_spans (doc, "word");

  g_assert_cmpuint (json_object_array_length (spans), ==, 2);
  g_assert_cmpstr (jstr (json_object_array_get_idx (spans, 0), "text"), ==, "Москва");
  g_assert_cmpstr (jstr (json_object_array_get_idx (spans, 1), "text"), ==, "Lavrov");
  /* code points: "Визит в " is 8 of them (15 bytes) */
  g_assert_cmpint (jint (json_object_array_get_idx (spans, 0), "start"), ==, 8);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, text);
}

/* An edit in the reply moves the reply's own span, and the source map still finds it. */
static void
test_offsets_edit (void)
{
  g_autoptr(QuarryHarness) p = scripted_pipeline ("exec", NULL);
  const char *text = "Café «talk» with Lavrov today";
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, "edit-1", text, -1, NULL);
  g_autoptr(json_object) spans = quarry_test_spans (doc, "word");
  json_object *s, *src;
  const char *at = strstr (text, "Lavrov");

  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "Cafe\xcc\x81 (accent) «talk» with Lavrov today");
  g_assert_cmpuint (json_object_array_length (spans), ==, 1);
  s = json_object_array_get_idx (spans, 0);
  g_assert_cmpstr (jstr (s, "text"), ==, "Lavrov");
  g_assert_true (json_object_object_get_ex (s, "source", &src));
  g_assert_cmpint (json_object_get_int64 (json_object_array_get_idx (src, 0)), ==, at - text);
  g_assert_cmpint (json_object_get_int64 (json_object_array_get_idx (src, 1)), ==, at - text + 6);
}

/* After an earlier stage's edits (html-strip decodes entities, drops tags), the spans it
 * sends (send-layers) arrive at the right code points: Python slices the same text. */
static void
test_offsets_request (void)
{
  g_autoptr(QuarryHarness) p = scripted_pipeline ("html-strip;exec", "send-layers = markup\n");
  const char *html = "<h1>R&eacute;sum&eacute;</h1><p>of <a href=\"#a\">Лавров</a> &amp; <a href=\"#b\">&laquo;Nov 4&raquo;</a></p>";
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, "echo-1", html, -1, "text/html");
  g_autoptr(json_object) words = quarry_test_spans (doc, "word");
  g_autoptr(json_object) markup = quarry_test_spans (doc, "markup");

  g_assert_cmpuint (json_object_array_length (markup), >=, 3);
  g_assert_cmpuint (json_object_array_length (words), ==, json_object_array_length (markup));
  for (gsize i = 0; i < json_object_array_length (words); i++)
    {
      json_object *w = json_object_array_get_idx (words, i), *attrs = NULL;
      g_assert_true (json_object_object_get_ex (w, "attrs", &attrs));
      /* what Python cut with text[start:end] is what the span covers */
      g_assert_cmpstr (jstr (attrs, "text"), ==, jstr (w, "text"));
    }
  g_assert_nonnull (strstr (quarry_document_get_text (doc, NULL), "of Лавров & «Nov 4»"));
}

/* Fields go into the declared namespace; a diagnostic lands at its offset. */
static void
test_fields (void)
{
  g_autoptr(QuarryHarness) p = scripted_pipeline ("exec", "send-fields = probe;page\n");
  const char *text = "«Ça» and Lavrov";
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, "fields-1", text, -1, NULL);
  json_object *chars = quarry_document_lookup_field (doc, "probe", "chars");
  json_object *seen = quarry_document_lookup_field (doc, "probe", "seen");
  g_autoptr(json_object) rec = quarry_test_record (doc);
  json_object *diags, *d;

  g_assert_nonnull (chars);
  g_assert_cmpint (json_object_get_int64 (chars), ==, g_utf8_strlen (text, -1));
  g_assert_cmpuint (json_object_array_length (seen), ==, 0);  /* no namespace was there to send */
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "probe-note"), ==, 1);
  g_assert_true (json_object_object_get_ex (rec, "diagnostics", &diags));
  d = json_object_array_get_idx (diags, json_object_array_length (diags) - 1);
  g_assert_cmpstr (jstr (d, "level"), ==, "warning");
  g_assert_cmpint (jint (d, "source"), ==, strstr (text, "Lavrov") - text);
}

/* Each bad reply is a stage error quoting the reply, and nothing of it is applied,
 * not even the good span it starts with; the co-process then answers the next document. */
static void
test_bad_reply (gconstpointer data)
{
  const char *kind = data;
  g_autoptr(QuarryHarness) p = scripted_pipeline ("exec", NULL);
  const char *text = "Дата: talk with Lavrov in Moscow";
  g_autofree char *id = g_strdup_printf ("%s-1", kind);
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, id, text, -1, NULL);
  g_autoptr(json_object) spans = quarry_test_spans (doc, "word");
  g_autoptr(json_object) rec = quarry_test_record (doc);
  g_autoptr(QuarryDocument) next = NULL;
  g_autoptr(json_object) next_spans = NULL;
  json_object *diags, *d;
  const char *msg;

  g_assert_cmpuint (json_object_array_length (spans), ==, 0);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, text);
  g_assert_null (quarry_document_lookup_field (doc, "other", "x"));
  g_assert_cmpuint (quarry_document_count_diagnostics (doc, QUARRY_DIAGNOSTIC_ERROR), ==, 1);
  g_assert_true (json_object_object_get_ex (rec, "diagnostics", &diags));
  d = json_object_array_get_idx (diags, 0);
  msg = jstr (d, "message");
  if (g_test_verbose ())
    g_printerr ("%s: %s\n", kind, msg);
  g_assert_nonnull (strstr (msg, "nothing of it was applied"));
  g_assert_nonnull (strstr (msg, g_str_equal (kind, "notjson") ? "{\"spans\": [" : "Lavrov"));

  next = quarry_harness_run (p, "span-2", "Москва, Lavrov", -1, NULL);
  next_spans = quarry_test_spans (next, "word");
  g_assert_cmpuint (json_object_array_length (next_spans), ==, 2);
}

/* provides and requires take part in the chain-order check like a C plugin's lists. */
static void
test_chain_order (void)
{
  g_autofree char *dir = data_dir ();
  g_autofree char *ok = g_strdup_printf (
    "[pipeline]\nstages = a:exec;b:exec\n[a]\ncommand = sh;garbage.sh\nworking-directory = %s\nprovides = layer:zzz\n"
    "[b]\ncommand = sh;garbage.sh\nworking-directory = %s\nrequires = layer:zzz\n", dir, dir);
  g_autofree char *bad = g_strdup_printf (
    "[pipeline]\nstages = a:exec;b:exec\n[a]\ncommand = sh;garbage.sh\nworking-directory = %s\n"
    "[b]\ncommand = sh;garbage.sh\nworking-directory = %s\nrequires = layer:zzz\n", dir, dir);
  g_autoptr(QuarryHarness) good = quarry_harness_new (ok);
  GError *error = NULL;
  QuarryHarness *p = quarry_harness_try_new (bad, &error);

  g_assert_null (p);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "stage 'b' requires 'layer:zzz'"));
  g_error_free (error);
}

static void
test_setup_errors (void)
{
  static const char *const cases[][2] = {
    { "command = quarry-no-such-program-7f3a\n", "not found in PATH" },
    { "command = ./no-such-file.sh\n", "is not an executable file" },
    { "command = sh;x.sh\nenvironment = NOEQUALS\n", "is not NAME=VALUE" },
    { "command = sh\nworking-directory = /nonexistent/quarry-exec\n", "is not a folder" },
    { "", "no command" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = exec\n[exec]\n%s", cases[i][0]);
      GError *error = NULL;
      QuarryHarness *p = quarry_harness_try_new (ini, &error);
      g_assert_null (p);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i][1]) == NULL)
        g_error ("case %u: '%s' not in: %s", i, cases[i][1], error->message);
      g_error_free (error);
    }
}

/* ---- the quarry command: a run of documents with a misbehaving co-process ---- */

typedef struct {
  char *dir, *quarry;
} Run;

static void
run_setup (Run *r, gconstpointer data)
{
  GError *error = NULL;
  r->dir = g_dir_make_tmp ("quarry-exec-XXXXXX", &error);
  g_assert_no_error (error);
  r->quarry = g_test_build_filename (G_TEST_BUILT, "..", "quarry", NULL);
}

static void
run_teardown (Run *r, gconstpointer data)
{
  harness_remove_tree (r->dir);
  g_free (r->dir);
  g_free (r->quarry);
}

/* Runs quarry with args (NULL-terminated) in r->dir; returns its exit code. */
static int
run_quarry (const Run *r, char **err, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *e = NULL;
  GError *error = NULL;
  const char *a;
  va_list ap;
  gint status = 0;

  g_ptr_array_add (argv, r->quarry);
  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (r->dir, (char **) argv->pdata, NULL, 0, NULL, NULL, NULL, &e, &status, &error);
  g_assert_no_error (error);
  if (g_test_verbose ())
    g_printerr ("%s", e);
  if (err != NULL)
    *err = g_steal_pointer (&e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* The ids of the records in r->dir/name, in order ("" per line without one). */
static GPtrArray *
ids_of (const Run *r, const char *name, GPtrArray **lines_out)
{
  g_autofree char *text = harness_slurp (r->dir, name, NULL);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  if (lines_out != NULL)
    *lines_out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      json_object *o, *v;
      if (lines[i][0] == '\0')
        continue;
      o = json_tokener_parse (lines[i]);
      g_assert_nonnull (o);
      g_ptr_array_add (ids, g_strdup (json_object_object_get_ex (o, "id", &v) ? json_object_get_string (v) : ""));
      if (lines_out != NULL)
        g_ptr_array_add (*lines_out, g_strdup (lines[i]));
      json_object_put (o);
    }
  return ids;
}

typedef struct {
  const char *script;
  const char *options;      /* extra lines of [exec] */
  const char *isolation;
  const char *jobs;
  const char *dead[11];     /* the ids dead-lettered, when known (-j 1); NULL-ended */
  gint        n_dead;       /* how many, when the ids are not known (-1: use dead) */
  const char *reason;       /* in every dead letter */
  gsize       big;          /* bytes of one large document d05, 0: none */
} Misbehave;

static void
test_misbehave (Run *r, gconstpointer data)
{
  const Misbehave *m = data;
  g_autofree char *dir = data_dir ();
  g_autofree char *ini = g_strdup_printf (
    "[pipeline]\nstages = exec\n[exec]\non-error = drop\ncommand = sh;%s\nworking-directory = %s\n%s",
    m->script, dir, m->options);
  g_autoptr(GPtrArray) out = NULL, dead = NULL, dead_lines = NULL;
  g_autofree char *err = NULL;
  guint expect_dead = 0;

  harness_put_file (r->dir, "p.ini", ini, -1);
  for (guint i = 1; i <= 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%02u.txt", i);
      g_autofree char *body = NULL;
      if (i == 5 && m->big > 0)
        {
          body = g_malloc (m->big + 1);
          memset (body, 'x', m->big);
          body[m->big] = '\0';
        }
      else
        body = g_strdup_printf ("Document %u, sent on Nov %u.\n", i, i);
      harness_put_file (r->dir, name, body, -1);
    }
  g_assert_cmpint (run_quarry (r, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "--dead-letter", "dead.jsonl",
                               "-j", m->jobs, m->isolation, "in", NULL), ==, 2);
  out = ids_of (r, "o.jsonl", NULL);
  dead = ids_of (r, "dead.jsonl", &dead_lines);
  /* every document ends in one of the two */
  g_assert_cmpuint (out->len + dead->len, ==, 10);
  if (m->n_dead >= 0)
    g_assert_cmpuint (dead->len, ==, m->n_dead);
  else
    {
      while (m->dead[expect_dead] != NULL)
        expect_dead++;
      g_assert_cmpuint (dead->len, ==, expect_dead);
      for (guint i = 0; i < expect_dead; i++)
        g_assert_cmpstr (dead->pdata[i], ==, m->dead[i]);
    }
  for (guint i = 0; i < dead_lines->len; i++)
    if (strstr (dead_lines->pdata[i], m->reason) == NULL)
      g_error ("'%s' not in the dead letter %s", m->reason, (char *) dead_lines->pdata[i]);
}

static const Misbehave crash_j1 = {
  "crash3.sh", "restarts = 5\n", "--isolation=threads", "1", { "d03", "d06", "d09", NULL }, -1,
  "was killed by signal 11"
};
static const Misbehave crash_j2 = {
  "crash3.sh", "restarts = 10\n", "--isolation=processes", "2", { NULL }, 0, "was killed by signal 11"
};
static const Misbehave hang_j1 = {
  "hang.sh", "restarts = 5\nreply-timeout-ms = 300\n", "--isolation=threads", "1",
  { "d02", "d04", "d06", "d08", "d10", NULL }, -1, "gave no reply within 300 ms"
};
static const Misbehave garbage_j2 = {
  "garbage.sh", "restarts = 0\n", "--isolation=threads", "2", { NULL }, 10, "the reply is not a JSON value"
};
static const Misbehave silent_j1 = {
  "silent.sh", "restarts = 2\n", "--isolation=threads", "1",
  { "d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08", "d09", "d10", NULL }, -1, "co-process"
};
static const Misbehave deaf_j1 = {
  "deaf.sh", "restarts = 10\nreply-timeout-ms = 300\n", "--isolation=threads", "1", { NULL }, 10,
  "gave no reply within 300 ms", 4 << 20
};

/* in a worker process SIGPIPE kills (core/worker.c): a write to a co-process that is gone must not */
static const Misbehave quit_processes = {
  "quit.sh", "restarts = 20\n", "--isolation=processes", "1", { NULL }, 10, "exited with status 3 before it replied",
  1 << 20
};

/* crash3 with -j 2 in processes: which documents a co-process gets depends on timing; the
 * count does not (each co-process dies on its own third) */
static void
test_crash_processes (Run *r, gconstpointer data)
{
  Misbehave m = crash_j2;
  m.n_dead = -2;  /* checked below instead */
  (void) data;
  {
    g_autofree char *dir = data_dir ();
    g_autofree char *ini = g_strdup_printf (
      "[pipeline]\nstages = exec\n[exec]\non-error = drop\ncommand = sh;%s\nworking-directory = %s\n%s",
      m.script, dir, m.options);
    g_autoptr(GPtrArray) out = NULL, dead = NULL;
    harness_put_file (r->dir, "p.ini", ini, -1);
    for (guint i = 1; i <= 10; i++)
      {
        g_autofree char *name = g_strdup_printf ("in/d%02u.txt", i);
        harness_put_file (r->dir, name, "text", -1);
      }
    g_assert_cmpint (run_quarry (r, NULL, "run", "-q", "-c", "p.ini", "-o", "o.jsonl", "--dead-letter", "dead.jsonl",
                                 "-j", m.jobs, m.isolation, "in", NULL), ==, 2);
    out = ids_of (r, "o.jsonl", NULL);
    dead = ids_of (r, "dead.jsonl", NULL);
    g_assert_cmpuint (out->len + dead->len, ==, 10);
    /* at most 2 co-processes at a time, each answering 2 of every 3: at least 2 die */
    g_assert_cmpuint (dead->len, >=, 2);
    g_assert_cmpuint (dead->len, <=, 4);
  }
}

/* The provenance names the command and the checksums of the program and the script. */
static void
test_provenance (Run *r, gconstpointer data)
{
  g_autofree char *dir = data_dir ();
  g_autofree char *ini = g_strdup_printf (
    "[pipeline]\nstages = exec\n[exec]\ncommand = sh;garbage.sh\nworking-directory = %s\n", dir);
  g_autofree char *script = g_build_filename (dir, "garbage.sh", NULL);
  g_autofree char *sh = g_find_program_in_path ("sh");
  g_autofree char *bytes = NULL, *sh_bytes = NULL, *sum = NULL, *sh_sum = NULL, *out = NULL;
  gsize len, sh_len;
  json_object *rec, *prov, *stages, *st, *d;

  g_assert_true (g_file_get_contents (script, &bytes, &len, NULL));
  g_assert_true (g_file_get_contents (sh, &sh_bytes, &sh_len, NULL));
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) bytes, len);
  sh_sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) sh_bytes, sh_len);
  harness_put_file (r->dir, "p.ini", ini, -1);
  harness_put_file (r->dir, "in/a.txt", "text", -1);
  g_assert_cmpint (run_quarry (r, NULL, "run", "-q", "-c", "p.ini", "-o", "o.jsonl", "in", NULL), ==, 0);
  out = harness_slurp (r->dir, "o.jsonl", NULL);
  rec = json_tokener_parse (out);
  g_assert_nonnull (rec);
  g_assert_true (json_object_object_get_ex (rec, "provenance", &prov));
  g_assert_true (json_object_object_get_ex (prov, "stages", &stages));
  st = json_object_array_get_idx (stages, 0);
  g_assert_true (json_object_object_get_ex (st, "data", &d));
  g_assert_cmpstr (jstr (d, "command"), ==, "sh garbage.sh");
  g_assert_cmpstr (jstr (d, "script"), ==, "garbage.sh");
  g_assert_cmpstr (jstr (d, "script_sha256"), ==, sum);
  g_assert_cmpstr (jstr (d, "executable_sha256"), ==, sh_sum);
  json_object_put (rec);
}

/* ---- the Python example ---- */

/* Dates in cable style land on the right text after html-strip's edits, with non-ASCII text before them. */
static void
test_example_dates (void)
{
  g_autofree char *dir = example_dir ();
  g_autofree char *ini = g_strdup_printf (
    "[pipeline]\nstages = html-strip;dates:exec\n[dates]\ncommand = python3;date_layer.py\n"
    "working-directory = %s\nprovides = layer:date\n", dir);
  g_autoptr(QuarryHarness) p = quarry_harness_new (ini);
  const char *html =
    "<p>Le ministre &eacute;tait &agrave; Москва on 4 November 2009 &amp; again on Nov 4;</p>"
    "<p>DATE: 2009 NOV 04. Ref: 11/04/2009, not 13/45/2009 nor Feb 30. (SBU) On <b>May 12</b>, 2008 he left.</p>";
  /* the date in the text, its ISO form, and the bytes of the page it comes from */
  static const char *const want[][3] = {
    { "4 November 2009", "2009-11-04", "4 November 2009" }, { "Nov 4", "--11-04", "Nov 4" },
    { "2009 NOV 04", "2009-11-04", "2009 NOV 04" }, { "11/04/2009", "2009-11-04", "11/04/2009" },
    { "May 12, 2008", "2008-05-12", "May 12</b>, 2008" },
  };
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, "dates", html, -1, "text/html");
  g_autoptr(json_object) spans = quarry_test_spans (doc, "date");

  g_assert_cmpuint (json_object_array_length (spans), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      json_object *s = json_object_array_get_idx (spans, i), *attrs, *src;
      const char *at = strstr (html, want[i][2]);
      g_assert_cmpstr (jstr (s, "text"), ==, want[i][0]);
      g_assert_true (json_object_object_get_ex (s, "attrs", &attrs));
      g_assert_cmpstr (jstr (attrs, "iso"), ==, want[i][1]);
      /* the source bytes of the span are the date as written in the page */
      g_assert_true (json_object_object_get_ex (s, "source", &src));
      g_assert_cmpint (json_object_get_int64 (json_object_array_get_idx (src, 0)), ==, at - html);
      g_assert_cmpint (json_object_get_int64 (json_object_array_get_idx (src, 1)), ==, at - html + strlen (want[i][2]));
    }
}

/* The example config over the sample cables: the same bytes at -j 1 and -j 4, threads or processes. */
static void
test_example_determinism (Run *r, gconstpointer data)
{
  g_autofree char *cfg = g_test_build_filename (G_TEST_DIST, "..", "examples", "exec-python", "cables-dates.ini", NULL);
  g_autofree char *samples = g_test_build_filename (G_TEST_DIST, "..", "samples", "cables", NULL);
  g_autofree char *ref = NULL, *other = NULL;
  gsize ref_len, other_len;
  static const char *const runs[][2] = { { "4", "--isolation=threads" }, { "4", "--isolation=processes" } };

  g_assert_cmpint (run_quarry (r, NULL, "run", "-q", "-c", cfg, "-o", "ref.jsonl", "-j", "1", samples, NULL), ==, 0);
  ref = harness_slurp (r->dir, "ref.jsonl", &ref_len);
  g_assert_nonnull (ref);
  /* the layer is there: every sample cable has a date line */
  g_assert_nonnull (strstr (ref, "\"layer\":\"date\""));
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_assert_cmpint (run_quarry (r, NULL, "run", "-q", "-c", cfg, "-o", "o.jsonl", "-j", runs[i][0], runs[i][1],
                                   samples, NULL), ==, 0);
      other = harness_slurp (r->dir, "o.jsonl", &other_len);
      g_assert_cmpuint (other_len, ==, ref_len);
      g_assert_true (memcmp (ref, other, ref_len) == 0);
      g_clear_pointer (&other, g_free);
    }
}

int
main (int argc, char **argv)
{
  static const char *const bad[] = { "pastend", "undeclared", "badlayer", "overlap", "typo", "wrongid", "notjson" };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/exec/offsets/spans", test_offsets_spans);
  g_test_add_func ("/exec/offsets/edit", test_offsets_edit);
  g_test_add_func ("/exec/offsets/request", test_offsets_request);
  g_test_add_func ("/exec/fields", test_fields);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = g_strdup_printf ("/exec/bad-reply/%s", bad[i]);
      g_test_add_data_func (path, bad[i], test_bad_reply);
    }
  g_test_add_func ("/exec/chain-order", test_chain_order);
  g_test_add_func ("/exec/setup-errors", test_setup_errors);
  g_test_add ("/exec/co-process/crash-3rd/j1", Run, &crash_j1, run_setup, test_misbehave, run_teardown);
  g_test_add ("/exec/co-process/crash-3rd/processes-j2", Run, NULL, run_setup, test_crash_processes, run_teardown);
  g_test_add ("/exec/co-process/hang", Run, &hang_j1, run_setup, test_misbehave, run_teardown);
  g_test_add ("/exec/co-process/garbage", Run, &garbage_j2, run_setup, test_misbehave, run_teardown);
  g_test_add ("/exec/co-process/silent-exit", Run, &silent_j1, run_setup, test_misbehave, run_teardown);
  g_test_add ("/exec/co-process/exits-at-once", Run, &quit_processes, run_setup, test_misbehave, run_teardown);
  g_test_add ("/exec/co-process/does-not-read", Run, &deaf_j1, run_setup, test_misbehave, run_teardown);
  g_test_add ("/exec/provenance", Run, NULL, run_setup, test_provenance, run_teardown);
  g_test_add_func ("/exec/example/dates", test_example_dates);
  g_test_add ("/exec/example/determinism", Run, NULL, run_setup, test_example_determinism, run_teardown);
  return g_test_run ();
}
