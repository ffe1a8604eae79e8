/* test-bad-input.c: the quarry command against hostile and broken input: each case checks the exit code, the message, and in = out + dead-lettered. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "harness.h"

typedef struct {
  char *dir;
  char *quarry;
} Fx;

typedef struct {
  int        code;
  char      *out;    /* stdout */
  char      *err;    /* stderr */
  GPtrArray *recs;   /* json_object* of the output file, in order */
  GPtrArray *dead;   /* json_object* of the dead-letter file */
} Result;

static void
fx_setup (Fx *f, gconstpointer data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("quarry-bad-XXXXXX", &error);
  g_assert_no_error (error);
  f->quarry = g_test_build_filename (G_TEST_BUILT, "..", "quarry", NULL);
}

static void
fx_teardown (Fx *f, gconstpointer data)
{
  harness_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->quarry);
}

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
  if (r->recs != NULL)
    g_ptr_array_unref (r->recs);
  if (r->dead != NULL)
    g_ptr_array_unref (r->dead);
  memset (r, 0, sizeof *r);
}

static char *
path_in (const Fx *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static void
put_len (const Fx *f, const char *name, const char *content, gssize len)
{
  harness_put_file (f->dir, name, content, len);
}

static void
put (const Fx *f, const char *name, const char *content)
{
  put_len (f, name, content, -1);
}

static void
link_at (const Fx *f, const char *target, const char *name)
{
  g_autofree char *p = path_in (f, name);
  g_assert_cmpint (symlink (target, p), ==, 0);
}

static char *
slurp (const Fx *f, const char *name, gsize *len)
{
  return harness_slurp (f->dir, name, len);
}

static gboolean
exists (const Fx *f, const char *name)
{
  g_autofree char *p = path_in (f, name);
  return g_file_test (p, G_FILE_TEST_EXISTS);
}

static void
json_put (gpointer obj)
{
  json_object_put (obj);
}

/* Each line of a JSON Lines file: valid UTF-8 (GLib's check) and one whole JSON
 * object (json-c, strict, UTF-8 checked), nothing after it. */
static GPtrArray *
read_records (const Fx *f, const char *name)
{
  GPtrArray *recs = g_ptr_array_new_with_free_func (json_put);
  gsize len = 0;
  g_autofree char *data = slurp (f, name, &len);
  const char *p = data, *end = data + len;

  if (data == NULL)
    return recs;
  g_assert_true (len == 0 || data[len - 1] == '\n');  /* whole lines only */
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      json_tokener *tok = json_tokener_new ();
      json_object *obj;

      g_assert_nonnull (nl);
      g_assert_true (g_utf8_validate_len (p, nl - p, NULL));
      json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
      obj = json_tokener_parse_ex (tok, p, nl - p);
      g_assert_cmpint (json_tokener_get_error (tok), ==, json_tokener_success);
      g_assert_cmpuint (json_tokener_get_parse_end (tok), ==, (gsize) (nl - p));
      g_assert_true (json_object_is_type (obj, json_type_object));
      json_tokener_free (tok);
      g_ptr_array_add (recs, obj);
      p = nl + 1;
    }
  return recs;
}

/* Runs quarry with argv (NULL-terminated) in the fixture folder, under a time
 * limit so a run that blocks fails instead of hanging the suite. */
static int
spawn_quarry (const Fx *f, const char *stdin_file, char **out, char **err, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *o = NULL, *e = NULL;
  GError *error = NULL;
  gint status = 0;

  if (stdin_file != NULL)
    {
      g_autoptr(GString) cmd = g_string_new ("exec timeout -k 10 120");
      g_autofree char *q = g_shell_quote (f->quarry), *in = g_shell_quote (stdin_file);
      g_string_append_printf (cmd, " %s", q);
      for (guint i = 0; args[i] != NULL; i++)
        {
          g_autofree char *a = g_shell_quote (args[i]);
          g_string_append_printf (cmd, " %s", a);
        }
      g_string_append_printf (cmd, " < %s", in);
      g_spawn_sync (f->dir, (char *[]) { (char *) "/bin/sh", (char *) "-c", cmd->str, NULL }, NULL, 0, NULL, NULL,
                    &o, &e, &status, &error);
    }
  else
    {
      g_ptr_array_add (argv, (gpointer) "timeout");
      g_ptr_array_add (argv, (gpointer) "-k");
      g_ptr_array_add (argv, (gpointer) "10");
      g_ptr_array_add (argv, (gpointer) "120");
      g_ptr_array_add (argv, f->quarry);
      for (guint i = 0; args[i] != NULL; i++)
        g_ptr_array_add (argv, (gpointer) args[i]);
      g_ptr_array_add (argv, NULL);
      g_spawn_sync (f->dir, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e, &status, &error);
    }
  g_assert_no_error (error);
  /* a sanitizer build reports here: any finding fails the case */
  g_assert_null (strstr (e, "runtime error:"));
  g_assert_null (strstr (e, "LeakSanitizer"));
  g_assert_null (strstr (e, "AddressSanitizer"));
  if (out != NULL)
    *out = g_steal_pointer (&o);
  if (err != NULL)
    *err = g_steal_pointer (&e);
  g_assert_true (WIFEXITED (status));  /* no crash, no time-out kill */
  g_assert_cmpint (WEXITSTATUS (status), !=, 124);
  return WEXITSTATUS (status);
}

static int
quarry (const Fx *f, char **out, char **err, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *a;
  va_list ap;

  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return spawn_quarry (f, NULL, out, err, (const char *const *) args->pdata);
}

/* `quarry run -q -o out.jsonl --report rep.json [extra...] -- inputs`: the records
 * of both files are read back whole, and the report's in = out + dead-lettered
 * must match the lines written. */
static void
run_inputs (const Fx *f, Result *r, const char *stdin_file, const char *const *extra, const char *const *inputs)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *rep_path = path_in (f, "rep.json");
  json_object *rep, *docs, *v;

  memset (r, 0, sizeof *r);
  g_unlink (rep_path);
  for (const char *const *a = (const char *const[]) { "run", "-q", "-o", "out.jsonl", "--report", "rep.json", NULL }; *a; a++)
    g_ptr_array_add (args, (gpointer) *a);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) extra[i]);
  for (guint i = 0; inputs[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) inputs[i]);
  g_ptr_array_add (args, NULL);
  r->code = spawn_quarry (f, stdin_file, &r->out, &r->err, (const char *const *) args->pdata);
  r->recs = read_records (f, "out.jsonl");
  r->dead = read_records (f, "out.jsonl.dead.jsonl");

  rep = json_object_from_file (rep_path);
  g_assert_nonnull (rep);
  g_assert_true (json_object_object_get_ex (rep, "documents", &docs));
  g_assert_true (json_object_object_get_ex (docs, "out", &v));
  g_assert_cmpint (json_object_get_int64 (v), ==, r->recs->len);
  g_assert_true (json_object_object_get_ex (docs, "dead_lettered", &v));
  g_assert_cmpint (json_object_get_int64 (v), ==, r->dead->len);
  g_assert_true (json_object_object_get_ex (docs, "in", &v));
  g_assert_cmpint (json_object_get_int64 (v), ==, r->recs->len + r->dead->len);
  json_object_put (rep);
}

#define INPUTS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define EXTRA(...) ((const char *const[]) { __VA_ARGS__, NULL })

static const char *
str_at (json_object *obj, const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (obj == NULL || !json_object_object_get_ex (obj, parts[i], &obj))
      return NULL;
  return obj != NULL ? json_object_get_string (obj) : NULL;
}

/* The first diagnostic of rec with this code, or NULL. */
static json_object *
find_diag (json_object *rec, const char *code)
{
  json_object *diags;

  if (!json_object_object_get_ex (rec, "diagnostics", &diags))
    return NULL;
  for (gsize i = 0; i < json_object_array_length (diags); i++)
    {
      json_object *d = json_object_array_get_idx (diags, i);
      if (g_strcmp0 (str_at (d, "code"), code) == 0)
        return d;
    }
  return NULL;
}

static guint
count_substr (const char *hay, const char *needle)
{
  guint n = 0;

  for (const char *p = hay; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

static const char *const replace_ini =
  "[pipeline]\nstages = test-replace\n[test-replace]\nfind = a\nreplace = A\nfail-id = fail-me\non-error = drop\n";

/* ---- the walk ---- */

static void
test_symlink_loops (Fx *f, gconstpointer data)
{
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "in/a.txt", "one");
  put (f, "in/sub/b.txt", "two");
  link_at (f, ".", "in/self");      /* a link to its own folder */
  link_at (f, "..", "in/sub/up");   /* and one to its parent: two loops */
  link_at (f, "sub", "in/zsub");    /* a second way into a folder: read once */
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 2);  /* each real file once */
  g_assert_cmpuint (r.dead->len, ==, 0);
  g_assert_cmpstr (str_at (r.recs->pdata[0], "fields.input.path"), ==, "a.txt");
  g_assert_cmpstr (str_at (r.recs->pdata[1], "fields.input.path"), ==, "sub/b.txt");
  g_assert_cmpuint (count_substr (r.err, "(a link loop); not followed"), ==, 2);
  g_assert_nonnull (strstr (r.err, "in/zsub is the folder in/sub, read already"));
  result_clear (&r);
}

static void
test_fifo_in_folder (Fx *f, gconstpointer data)
{
  g_autofree char *fifo = path_in (f, "in/pipe.txt");
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "in/a.txt", "one");
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  /* nobody ever writes the FIFO: reading it would block the run until the time limit */
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 1);
  g_assert_nonnull (strstr (r.err, "in/pipe.txt is not a regular file (a FIFO); skipped"));
  result_clear (&r);
}

/* Writes text into the FIFO once a reader opens it, from a thread. */
typedef struct {
  char *path;
  char *text;
} FifoFeed;

static gpointer
feed_fifo (gpointer data)
{
  FifoFeed *ff = data;
  int fd = open (ff->path, O_WRONLY);

  if (fd >= 0)
    {
      gsize n = strlen (ff->text);
      g_assert_cmpint (write (fd, ff->text, n), ==, (gssize) n);
      close (fd);
    }
  return NULL;
}

static void
test_fifo_argument (Fx *f, gconstpointer data)
{
  FifoFeed doc = { path_in (f, "doc.txt"), g_strdup ("a streamed document") };
  FifoFeed recs = { path_in (f, "recs.jsonl"), g_strdup ("{\"id\":\"r1\",\"content\":\"alpha\"}\n{\"id\":\"r2\",\"content\":\"beta\"}\n") };
  GThread *t1, *t2;
  Result r;

  put (f, "p.ini", replace_ini);
  g_assert_cmpint (mkfifo (doc.path, 0644), ==, 0);
  g_assert_cmpint (mkfifo (recs.path, 0644), ==, 0);
  t1 = g_thread_new ("feed-doc", feed_fifo, &doc);
  t2 = g_thread_new ("feed-recs", feed_fifo, &recs);
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("doc.txt", "recs.jsonl"));
  g_thread_join (t1);
  g_thread_join (t2);
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 3);  /* the whole stream as one document, then two records */
  g_assert_cmpstr (str_at (r.recs->pdata[0], "id"), ==, "doc");
  g_assert_cmpstr (str_at (r.recs->pdata[0], "text"), ==, "A streAmed document");
  g_assert_cmpstr (str_at (r.recs->pdata[1], "id"), ==, "r1");
  g_assert_cmpstr (str_at (r.recs->pdata[2], "text"), ==, "betA");
  result_clear (&r);
  g_free (doc.path);
  g_free (doc.text);
  g_free (recs.path);
  g_free (recs.text);
}

static void
test_folder_named_jsonl (Fx *f, gconstpointer data)
{
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "x.jsonl/a.txt", "one");
  put (f, "x.jsonl/b.html", "<p>two</p>");
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("x.jsonl"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 2);
  g_assert_cmpstr (str_at (r.recs->pdata[0], "id"), ==, "a");
  g_assert_cmpstr (str_at (r.recs->pdata[1], "id"), ==, "b");
  result_clear (&r);
}

static void
test_same_name_two_folders (Fx *f, gconstpointer data)
{
  json_object *d;
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "in/a/x.txt", "first");
  put (f, "in/b/x.txt", "second");
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 2);
  g_assert_cmpstr (str_at (r.recs->pdata[0], "id"), ==, "x");
  g_assert_cmpstr (str_at (r.recs->pdata[1], "id"), ==, "x");
  g_assert_cmpstr (str_at (r.recs->pdata[0], "fields.input.path"), ==, "a/x.txt");
  g_assert_cmpstr (str_at (r.recs->pdata[1], "fields.input.path"), ==, "b/x.txt");
  g_assert_null (find_diag (r.recs->pdata[0], "duplicate-id"));
  d = find_diag (r.recs->pdata[1], "duplicate-id");
  g_assert_nonnull (d);
  g_assert_cmpstr (str_at (d, "level"), ==, "warning");
  g_assert_nonnull (strstr (str_at (d, "message"), "used before, by a/x.txt"));
  result_clear (&r);
}

static void
test_invalid_utf8_file_name (Fx *f, gconstpointer data)
{
  json_object *d;
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "in/caf\xE9.txt", "latin-1 name");  /* "café" in Latin-1: 0xE9 alone is not UTF-8 */
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 1);
  g_assert_cmpstr (str_at (r.recs->pdata[0], "id"), ==, "caf\\xE9");
  g_assert_cmpstr (str_at (r.recs->pdata[0], "fields.input.path"), ==, "caf\\xE9.txt");
  d = find_diag (r.recs->pdata[0], "invalid-file-name");
  g_assert_nonnull (d);
  g_assert_nonnull (strstr (str_at (d, "message"), "63 61 66 E9 2E 74 78 74"));  /* the raw bytes */
  result_clear (&r);
}

static void
test_unreadable (Fx *f, gconstpointer data)
{
  g_autofree char *locked = path_in (f, "in/locked.txt");
  Result r;
  guint expect_dead;

  put (f, "p.ini", replace_ini);
  put (f, "in/good.txt", "fine");
  put (f, "in/locked.txt", "secret");
  link_at (f, "loop.txt", "in/loop.txt");       /* a link to itself: ELOOP, even for root */
  link_at (f, "nowhere.txt", "in/dangling.txt"); /* a broken link */
  g_chmod (locked, 0);
  if (geteuid () == 0)
    {
      g_test_message ("running as root: chmod 000 does not stop root reading in/locked.txt; only the link cases fail to read");
      expect_dead = 2;
    }
  else
    expect_dead = 3;
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in", "missing.txt"));
  g_assert_cmpint (r.code, ==, 2);
  g_assert_cmpuint (r.dead->len, ==, expect_dead + 1);
  g_assert_cmpuint (r.recs->len + r.dead->len, ==, 5);
  for (guint i = 0; i < r.dead->len; i++)
    {
      const char *reason = str_at (r.dead->pdata[i], "reason");
      const char *id = str_at (r.dead->pdata[i], "id");
      g_assert_cmpstr (str_at (r.dead->pdata[i], "stage"), ==, "input");
      if (g_str_equal (id, "loop"))
        g_assert_nonnull (strstr (reason, "a symbolic link that leads to itself"));
      else if (g_str_equal (id, "dangling"))
        g_assert_nonnull (strstr (reason, "a broken symbolic link"));
      else if (g_str_equal (id, "locked"))
        g_assert_nonnull (strstr (reason, "check its permissions"));
      else
        {
          g_assert_cmpstr (id, ==, "missing");
          g_assert_nonnull (strstr (reason, "cannot read missing.txt: No such file or directory"));
        }
    }
  result_clear (&r);
}

/* ---- outputs that would destroy inputs ---- */

static void
test_output_is_input (Fx *f, gconstpointer data)
{
  g_autofree char *err = NULL, *a = NULL;

  put (f, "p.ini", replace_ini);
  put (f, "in/a.txt", "precious");
  link_at (f, "in/a.txt", "alias.txt");

  g_assert_cmpint (quarry (f, NULL, &err, "run", "-q", "-c", "p.ini", "-o", "in/a.txt", "in/a.txt", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "the output in/a.txt is the input in/a.txt"));
  g_clear_pointer (&err, g_free);
  /* through a symbolic link: the same device and inode */
  g_assert_cmpint (quarry (f, NULL, &err, "run", "-q", "-c", "p.ini", "-o", "alias.txt", "in/a.txt", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "the output alias.txt is the input in/a.txt"));
  g_clear_pointer (&err, g_free);
  /* an existing file of an input folder is an input too */
  g_assert_cmpint (quarry (f, NULL, &err, "run", "-q", "-c", "p.ini", "-o", "in/a.txt", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "is a file of the input folder in"));
  g_clear_pointer (&err, g_free);
  /* the dead-letter file equal to the output, also through a link */
  g_assert_cmpint (quarry (f, NULL, &err, "run", "-q", "-c", "p.ini", "-o", "o.jsonl", "--dead-letter", "o.jsonl", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "the dead-letter file o.jsonl is also the output"));
  g_clear_pointer (&err, g_free);
  link_at (f, "o.jsonl", "o-link.jsonl");  /* dangling until o.jsonl exists */
  put (f, "o.jsonl", "");
  g_assert_cmpint (quarry (f, NULL, &err, "run", "-q", "-c", "p.ini", "-o", "o.jsonl", "--dead-letter", "o-link.jsonl", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "is also the output"));

  /* refused before anything was written */
  a = slurp (f, "in/a.txt", NULL);
  g_assert_cmpstr (a, ==, "precious");
  g_clear_pointer (&a, g_free);
  a = slurp (f, "o.jsonl", NULL);
  g_assert_cmpstr (a, ==, "");
}

static void
test_output_inside_input_folder (Fx *f, gconstpointer data)
{
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "in/a.txt", "one");
  put (f, "in/fail-me.txt", "dead");
  /* the output and its dead-letter file are created in the folder being walked */
  memset (&r, 0, sizeof r);
  r.code = quarry (f, NULL, &r.err, "run", "-q", "-c", "p.ini", "-o", "in/out.jsonl", "in", NULL);
  g_assert_cmpint (r.code, ==, 2);
  g_assert_nonnull (strstr (r.err, "in/out.jsonl is an output of this run; not read as input"));
  /* the dead-letter file appears when the walk may have listed the folder already:
   * whether it is met and skipped, or not met, the counts below hold */
  r.recs = read_records (f, "in/out.jsonl");
  r.dead = read_records (f, "in/out.jsonl.dead.jsonl");
  g_assert_cmpuint (r.recs->len, ==, 1);
  g_assert_cmpuint (r.dead->len, ==, 1);
  result_clear (&r);
}

/* ---- stdin and signals ---- */

/* Waits for pid; one that has not ended after a minute is killed, and that fails
 * the case (a run that hangs after SIGINT is the bug). */
static int
wait_or_kill (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  int status = 0;

  while (waitpid (pid, &status, WNOHANG) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          g_error ("quarry did not stop within a minute of SIGINT");
        }
      g_usleep (20000);
    }
  return status;
}

static char *
read_all_fd (int fd)
{
  GString *s = g_string_new (NULL);
  char buf[4096];
  gssize n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (s, buf, n);
  close (fd);
  return g_string_free (s, FALSE);
}

static void
test_sigint_on_stdin (Fx *f, gconstpointer data)
{
  const char *record = "{\"id\":\"s1\",\"content\":\"alpha\"}\n";
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) recs = NULL;
  char *argv[] = { f->quarry, (char *) "run", (char *) "-j", (char *) "4", (char *) "-c", (char *) "p.ini", (char *) "-o", (char *) "out.jsonl", (char *) "-", NULL };
  GError *error = NULL;
  GPid pid;
  int in_fd, err_fd, status, pending = 1;
  gint64 deadline;

  put (f, "p.ini", replace_ini);
  g_spawn_async_with_pipes (f->dir, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &in_fd, NULL, &err_fd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (in_fd, record, strlen (record)), ==, (gssize) strlen (record));
  /* once the record has left the pipe, quarry is in its run loop (its handlers set)
   * and goes back to waiting on stdin */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (ioctl (in_fd, FIONREAD, &pending) == 0 && pending > 0 && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  g_assert_cmpint (pending, ==, 0);
  g_usleep (200000);
  g_assert_cmpint (kill (pid, SIGINT), ==, 0);
  status = wait_or_kill (pid);
  close (in_fd);  /* stdin was open all along: the stop did not come from its end */
  err = read_all_fd (err_fd);
  g_spawn_close_pid (pid);
  g_assert_null (strstr (err, "runtime error:"));
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 4);
  g_assert_nonnull (strstr (err, "1 documents in, 1 out, 0 dead-lettered"));
  g_assert_nonnull (strstr (err, "interrupted"));
  g_assert_null (strstr (err, "Interrupted system call"));
  recs = read_records (f, "out.jsonl");
  g_assert_cmpuint (recs->len, ==, 1);
  g_assert_false (exists (f, "out.jsonl.dead.jsonl"));  /* no invented document */
}

/* SIGINT while quarry waits for a writer to open a FIFO named as an argument:
 * a clean stop, no document made up from the interrupted open. With worker
 * threads: the signal must reach the thread that waits. */
static void
test_sigint_on_fifo (Fx *f, gconstpointer data)
{
  g_autofree char *fifo = path_in (f, "later.txt");
  g_autofree char *wchan_path = NULL, *err = NULL;
  char *argv[] = { f->quarry, (char *) "run", (char *) "-j", (char *) "4", (char *) "-c", (char *) "p.ini", (char *) "-o", (char *) "out.jsonl", (char *) "later.txt", NULL };
  GError *error = NULL;
  GPid pid;
  int err_fd, status;
  gint64 deadline;
  gboolean waiting = FALSE;

  put (f, "p.ini", replace_ini);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  g_spawn_async_with_pipes (f->dir, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL, NULL, &err_fd, &error);
  g_assert_no_error (error);
  /* the kernel says where the process sleeps: in the FIFO's open, waiting for a writer */
  wchan_path = g_strdup_printf ("/proc/%d/wchan", (int) pid);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!waiting && g_get_monotonic_time () < deadline)
    {
      g_autofree char *wchan = NULL;
      if (g_file_get_contents (wchan_path, &wchan, NULL, NULL))
        waiting = strstr (wchan, "partner") != NULL || strstr (wchan, "fifo") != NULL;
      if (!waiting)
        g_usleep (20000);
    }
  if (!waiting)
    {
      /* no wchan (a restricted /proc): let the open go through instead (without
       * blocking: if quarry is gone there is no reader, and the case fails below) */
      int fd = open (fifo, O_WRONLY | O_NONBLOCK);
      g_test_message ("cannot see where quarry waits (/proc/PID/wchan); checked the stream read instead");
      g_assert_cmpint (fd, >=, 0);
      g_usleep (300000);
      kill (pid, SIGINT);
      close (fd);
    }
  else
    g_assert_cmpint (kill (pid, SIGINT), ==, 0);
  status = wait_or_kill (pid);
  err = read_all_fd (err_fd);
  g_spawn_close_pid (pid);
  g_assert_null (strstr (err, "runtime error:"));
  g_assert_true (WIFEXITED (status));
  if (waiting)
    {
      g_assert_cmpint (WEXITSTATUS (status), ==, 4);
      g_assert_nonnull (strstr (err, "0 documents in, 0 out, 0 dead-lettered"));
      g_assert_false (exists (f, "out.jsonl.dead.jsonl"));
    }
  g_assert_null (strstr (err, "Interrupted system call"));
}

/* ---- JSON Lines ---- */

static void
test_jsonl_lines (Fx *f, gconstpointer data)
{
  json_object *d, *v;
  Result r;
  guint found = 0;

  put (f, "p.ini", replace_ini);
  put (f, "r.jsonl",
       "\xEF\xBB\xBF{\"id\":\"bom\",\"content\":\"after a BOM\"}\n"            /* 1: the BOM is skipped */
       "{\"id\":\"two-a\",\"content\":\"x\"}{\"id\":\"two-b\",\"content\":\"y\"}\n" /* 2: two objects */
       "{\"id\":\"junk\",\"content\":\"x\"} trailing junk\n"                      /* 3: garbage after */
       "{\"id\":\"cut\",\"content\":\"x\n"                                      /* 4: cut short */
       "{\"content\":\"no id here\"}\n"                                         /* 5: missing id */
       "{\"id\":\"bom\",\"content\":\"same id again\"}\n"                       /* 6: duplicate id */
       "{\"id\":\"nul\",\"content\":\"a\\u0000b\"}\n"                           /* 7: escaped NUL, kept */
       "{\"id\":\"fail-me\",\"content\":\"a\\u0000b\\u00e9\"}\n"                /* 8: dead, content whole */
       "{\"id\":\"nocontent\"}\n"                                               /* 9: no content */
       "[1,2]\n"                                                                /* 10: not an object */
       "\n   \n");                                                              /* blank lines: nothing */
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("r.jsonl"));
  g_assert_cmpint (r.code, ==, 2);
  g_assert_cmpuint (r.recs->len, ==, 4);
  g_assert_cmpuint (r.dead->len, ==, 6);

  g_assert_cmpstr (str_at (r.recs->pdata[0], "id"), ==, "bom");
  g_assert_cmpstr (str_at (r.recs->pdata[0], "text"), ==, "After A BOM");
  g_assert_cmpstr (str_at (r.recs->pdata[1], "id"), ==, "r.jsonl:5");
  g_assert_nonnull (find_diag (r.recs->pdata[1], "no-id"));
  g_assert_cmpstr (str_at (r.recs->pdata[2], "id"), ==, "bom");
  d = find_diag (r.recs->pdata[2], "duplicate-id");
  g_assert_nonnull (d);
  g_assert_nonnull (strstr (str_at (d, "message"), "by r.jsonl:1"));
  g_assert_cmpstr (str_at (r.recs->pdata[3], "id"), ==, "nul");
  g_assert_nonnull (find_diag (r.recs->pdata[3], "nul-byte"));
  g_assert_true (json_object_object_get_ex (r.recs->pdata[3], "fields", &v));
  g_assert_true (json_object_object_get_ex (v, "input", &v));
  g_assert_true (json_object_object_get_ex (v, "line", &v));
  g_assert_cmpint (json_object_get_int (v), ==, 7);

  for (guint i = 0; i < r.dead->len; i++)
    {
      json_object *rec = r.dead->pdata[i];
      const char *reason = str_at (rec, "reason");
      const char *id = str_at (rec, "id");
      if (g_str_equal (id, "r.jsonl:2"))
        {
          g_assert_nonnull (strstr (reason, "the line goes on after its record (at byte 28 of 56)"));
          /* the whole line is kept, both objects */
          g_assert_cmpstr (str_at (rec, "content"), ==, "{\"id\":\"two-a\",\"content\":\"x\"}{\"id\":\"two-b\",\"content\":\"y\"}");
          found |= 1;
        }
      else if (g_str_equal (id, "r.jsonl:3"))
        {
          g_assert_nonnull (strstr (reason, "the line goes on after its record"));
          found |= 2;
        }
      else if (g_str_equal (id, "r.jsonl:4"))
        {
          g_assert_nonnull (strstr (reason, "the record is cut short"));
          found |= 4;
        }
      else if (g_str_equal (id, "fail-me"))
        {
          g_assert_true (json_object_object_get_ex (rec, "content", &v));
          g_assert_cmpmem (json_object_get_string (v), json_object_get_string_len (v), "a\0b\xC3\xA9", 5);
          found |= 8;
        }
      else if (g_str_equal (id, "nocontent"))
        {
          g_assert_nonnull (strstr (reason, "has no \"content\" string"));
          found |= 16;
        }
      else
        {
          g_assert_cmpstr (id, ==, "r.jsonl:10");
          g_assert_nonnull (strstr (reason, "not a JSON object (another JSON value)"));
          found |= 32;
        }
    }
  g_assert_cmpuint (found, ==, 63);
  result_clear (&r);
}

static void
test_media_type_parameters (Fx *f, gconstpointer data)
{
  Result r;
  json_object *d;

  put (f, "p.ini", "[pipeline]\nstages = html-strip\n");
  put (f, "m.jsonl",
       "{\"id\":\"u\",\"content\":\"<p>caf\\u00e9 &amp; tea</p>\",\"media_type\":\"text/html; charset=utf-8\"}\n"
       "{\"id\":\"q\",\"content\":\"<p>one</p>\",\"media_type\":\"Text/HTML ; Charset=\\\"UTF-8\\\"\"}\n"
       "{\"id\":\"l\",\"content\":\"<p>two</p>\",\"media_type\":\"text/html; charset=iso-8859-1\"}\n"
       "{\"id\":\"b\",\"content\":\"<p>three</p>\",\"media_type\":\"text/html;;=\"}\n");
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("m.jsonl"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 4);
  /* recognized as HTML: stripped */
  g_assert_cmpstr (str_at (r.recs->pdata[0], "text"), ==, "café & tea");
  g_assert_null (find_diag (r.recs->pdata[0], "charset-ignored"));
  g_assert_cmpstr (str_at (r.recs->pdata[1], "text"), ==, "one");
  g_assert_cmpstr (str_at (r.recs->pdata[2], "text"), ==, "two");
  d = find_diag (r.recs->pdata[2], "charset-ignored");
  g_assert_nonnull (d);
  g_assert_nonnull (strstr (str_at (d, "message"), "charset iso-8859-1"));
  /* not a media type: guessed from the content, and said so */
  g_assert_cmpstr (str_at (r.recs->pdata[3], "text"), ==, "three");
  g_assert_nonnull (find_diag (r.recs->pdata[3], "bad-media-type"));
  result_clear (&r);
}

/* ---- sizes and shapes of documents ---- */

static void
test_max_document_bytes (Fx *f, gconstpointer data)
{
  g_autofree char *big = g_strnfill (3000, 'x');
  g_autofree char *line = g_strdup_printf ("{\"id\":\"small\",\"content\":\"a\"}\n{\"id\":\"huge\",\"content\":\"%s\"}\n{\"id\":\"after\",\"content\":\"a\"}\n", big);
  g_autofree char *err = NULL;
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "in/big.txt", big);
  put (f, "in/ok.txt", "fine");
  put (f, "in/z.jsonl", line);
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini", "--max-document-bytes", "2K"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 2);
  g_assert_cmpuint (r.recs->len, ==, 3);  /* ok, small, after */
  g_assert_cmpuint (r.dead->len, ==, 2);
  g_assert_cmpstr (str_at (r.dead->pdata[0], "id"), ==, "big");
  g_assert_nonnull (strstr (str_at (r.dead->pdata[0], "reason"), "too large: in/big.txt is 3.0"));
  /* (GLib puts a no-break space before the unit in a UTF-8 locale) */
  g_assert_nonnull (strstr (str_at (r.dead->pdata[0], "reason"), "(3000 bytes), over the limit of 2.0"));
  g_assert_nonnull (strstr (str_at (r.dead->pdata[0], "reason"), "(2048 bytes); raise it with --max-document-bytes"));
  g_assert_cmpstr (str_at (r.dead->pdata[1], "id"), ==, "in/z.jsonl:2");
  g_assert_nonnull (strstr (str_at (r.dead->pdata[1], "reason"), "too large"));
  g_assert_nonnull (strstr (str_at (r.dead->pdata[1], "reason"), "--max-document-bytes"));
  g_assert_cmpstr (str_at (r.recs->pdata[2], "id"), ==, "after");
  result_clear (&r);

  g_assert_cmpint (quarry (f, NULL, &err, "run", "-c", "p.ini", "--max-document-bytes", "lots", "in", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "--max-document-bytes 'lots' is not a size"));
}

static void
test_empty_binary_utf16 (Fx *f, gconstpointer data)
{
  static const char binary[] = "\x7F" "ELF\x02\x01\x00\x00\xFF\xFE\x00\x80\x81\x00garbage\xC3";
  static const char utf16[] = "\xFF\xFE" "c\0a\0f\0\xE9\0 \0=\0 \0\x3D\xD8\x00\xDE";  /* "café = 😀" */
  static const char utf16_odd[] = "\xFE\xFF" "\0c\0";  /* odd length: not UTF-16 */
  Result r;

  put (f, "p.ini", replace_ini);
  put_len (f, "in/a-empty.txt", "", 0);
  put_len (f, "in/b-binary.bin", binary, sizeof binary - 1);
  put_len (f, "in/c-utf16.txt", utf16, sizeof utf16 - 1);
  put_len (f, "in/d-odd.txt", utf16_odd, sizeof utf16_odd - 1);
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 2);
  g_assert_cmpuint (r.recs->len, ==, 3);
  g_assert_cmpuint (r.dead->len, ==, 1);
  g_assert_cmpstr (str_at (r.recs->pdata[0], "text"), ==, "");
  /* binary: out, each NUL and broken byte replaced and reported */
  g_assert_nonnull (find_diag (r.recs->pdata[1], "nul-byte"));
  g_assert_nonnull (find_diag (r.recs->pdata[1], "invalid-utf8"));
  /* UTF-16 with a BOM: converted, and said so */
  g_assert_cmpstr (str_at (r.recs->pdata[2], "text"), ==, "cAfé = \xF0\x9F\x98\x80");
  g_assert_nonnull (find_diag (r.recs->pdata[2], "converted-charset"));
  g_assert_nonnull (strstr (str_at (r.dead->pdata[0], "reason"), "starts with a UTF-16BE byte order mark but is not valid UTF-16BE"));
  g_assert_nonnull (strstr (str_at (r.dead->pdata[0], "reason"), "iconv -f UTF-16BE -t UTF-8"));
  g_assert_nonnull (str_at (r.dead->pdata[0], "content_base64"));  /* the bytes kept, not UTF-8 */
  result_clear (&r);
}

static void
test_huge_document (Fx *f, gconstpointer data)
{
  const gsize size = 100 * 1000 * 1000;
  g_autofree char *path = path_in (f, "in/huge.txt");
  g_autofree char *body = g_malloc (size);
  Result r;

  /* 100 MB, made here and deleted with the folder; one 'a' at each end */
  memset (body, 'b', size);
  body[0] = body[size - 1] = 'a';
  put_len (f, "in/huge.txt", body, size);
  g_clear_pointer (&body, g_free);
  put (f, "p.ini", replace_ini);
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 1);
  {
    json_object *t;
    const char *s;
    g_assert_true (json_object_object_get_ex (r.recs->pdata[0], "text", &t));
    g_assert_cmpuint (json_object_get_string_len (t), ==, size);
    s = json_object_get_string (t);
    g_assert_true (s[0] == 'A' && s[size - 1] == 'A' && s[size / 2] == 'b');
  }
  result_clear (&r);
  g_unlink (path);
}

static void
test_markup_extremes (Fx *f, gconstpointer data)
{
  const guint depth = 1000000;
  GString *nested = g_string_sized_new (depth * 11 + 64);
  Result r;

  put (f, "p.ini", "[pipeline]\nstages = html-strip\n");
  g_string_append (nested, "<html><body>");
  for (guint i = 0; i < depth; i++)
    g_string_append (nested, "<div>");
  g_string_append (nested, "deep");
  for (guint i = 0; i < depth; i++)
    g_string_append (nested, "</div>");
  g_string_append (nested, "</body></html>");
  put_len (f, "in/a-nested.html", nested->str, nested->len);
  g_string_free (nested, TRUE);
  put (f, "in/b-unclosed.html", "<p>open <b>bold <i>italic <!-- a comment never closed");
  put (f, "in/c-unclosed-tag.html", "<p>text then <a href=\"x");
  put (f, "in/d-script.html", "<p>before</p><script>var never = 'closed';");
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 4);
  g_assert_nonnull (strstr (str_at (r.recs->pdata[0], "text"), "deep"));
  g_assert_null (strchr (str_at (r.recs->pdata[0], "text"), '<'));
  g_assert_nonnull (strstr (str_at (r.recs->pdata[1], "text"), "open bold italic"));
  g_assert_nonnull (strstr (str_at (r.recs->pdata[2], "text"), "text then"));
  g_assert_nonnull (strstr (str_at (r.recs->pdata[3], "text"), "before"));
  g_assert_null (strstr (str_at (r.recs->pdata[3], "text"), "never"));
  result_clear (&r);
}

/* A SUBJECT of thousands of 'é': wherever a stage cuts a field, the record the
 * core writes is valid UTF-8 (read_records checks every line twice). */
static void
test_long_subject_utf8 (Fx *f, gconstpointer data)
{
  Result r;

  put (f, "p.ini", "[pipeline]\nstages = header-parse\n");
  for (guint shift = 0; shift < 2; shift++)
    {
      g_autoptr(GString) t = g_string_new ("UNCLAS MOSCOW 002734");
      g_autofree char *name = g_strdup_printf ("in/subject%u.txt", shift);
      if (shift)
        g_string_append_c (t, 'X');  /* moves every later byte: a byte limit falls mid-character one way or the other */
      g_string_append (t, "\n\nSIPDIS\n\nE.O. 12958: N/A\nTAGS: PREL, RS\nSUBJECT: ");
      for (guint i = 0; i < 9000; i++)
        g_string_append (t, "\xC3\xA9");
      g_string_append (t, "\n\n1. (U) Summary text.\n");
      put (f, name, t->str);
    }
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini"), INPUTS ("in"));
  g_assert_cmpuint (r.recs->len + r.dead->len, ==, 2);
  for (guint i = 0; i < r.recs->len; i++)
    {
      const char *subject = str_at (r.recs->pdata[i], "fields.header.subject");
      g_assert_nonnull (subject);
      g_assert_true (g_str_has_prefix (subject, "\xC3\xA9\xC3\xA9"));
      /* and header-parse itself cuts at a character boundary: nothing for the writer to
       * repair, no span that splits a character */
      {
        json_object *diags = NULL;
        g_assert_true (json_object_object_get_ex (r.recs->pdata[i], "diagnostics", &diags));
        for (size_t k = 0; k < json_object_array_length (diags); k++)
          {
            json_object *d = json_object_array_get_idx (diags, k), *level = NULL;
            g_assert_true (json_object_object_get_ex (d, "level", &level));
            if (!g_str_equal (json_object_get_string (level), "info"))
              g_test_fail_printf ("subject%u: unexpected diagnostic %s", i, json_object_to_json_string (d));
          }
      }
    }
  result_clear (&r);
}

/* ---- plugins ---- */

static void
test_truncated_module (Fx *f, gconstpointer data)
{
  g_autofree char *broken = g_test_build_filename (G_TEST_BUILT, "broken", NULL);
  g_autofree char *out = NULL, *err = NULL;
  Result r;

  put (f, "p.ini", replace_ini);
  put (f, "t.ini", "[pipeline]\nstages = broken-truncated\n");
  put (f, "in/a.txt", "one");
  /* the folder holds a truncated and an empty module: each command survives them */
  g_assert_cmpint (quarry (f, &out, NULL, "inspect", "-P", broken, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "broken-truncated.so: cannot load:"));
  g_assert_nonnull (strstr (out, "is cut short"));
  g_assert_nonnull (strstr (out, "broken-empty.so is empty (0 bytes)"));
  g_assert_nonnull (strstr (out, "test-replace"));  /* the rest load */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (quarry (f, &out, NULL, "validate", "-P", broken, "p.ini", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (quarry (f, NULL, &err, "validate", "-P", broken, "t.ini", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "broken-truncated.so failed to load"));
  g_assert_nonnull (strstr (err, "is cut short"));
  run_inputs (f, &r, NULL, EXTRA ("-c", "p.ini", "-P", broken), INPUTS ("in"));
  g_assert_cmpint (r.code, ==, 0);
  g_assert_cmpuint (r.recs->len, ==, 1);
  result_clear (&r);
}

static void
test_thread_limit (Fx *f, gconstpointer data)
{
  g_autofree char *err = NULL, *cmd = NULL, *q = NULL;
  g_autoptr(GPtrArray) recs = NULL;
  gint status;
  GError *error = NULL;

#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("AddressSanitizer reserves terabytes of address space: a ulimit -v run cannot start at all");
  return;
#endif
  put (f, "p.ini", replace_ini);
  put (f, "in/a.txt", "one");
  put (f, "in/b.txt", "two");
  /* 400 MB of address space cannot hold 500 thread stacks */
  q = g_shell_quote (f->quarry);
  cmd = g_strdup_printf ("ulimit -v 400000 && exec timeout -k 10 120 %s run -q -c p.ini -j 500 -o out.jsonl in", q);
  g_spawn_sync (f->dir, (char *[]) { (char *) "/bin/sh", (char *) "-c", cmd, NULL }, NULL, 0, NULL, NULL,
                NULL, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_nonnull (strstr (err, "cannot start worker thread"));
  g_assert_nonnull (strstr (err, "lower -j"));
  recs = read_records (f, "out.jsonl");
  g_assert_cmpuint (recs->len, ==, 2);
}

/* ---- config mistakes: every kind, each with file:line or the file ---- */

typedef struct {
  const char *name;
  const char *ini;
  const char *message;
} ConfigCase;

static const ConfigCase config_cases[] = {
  { "syntax", "[pipeline\nstages = test-replace\n", "c.ini: not a valid config file" },
  { "no-pipeline", "[test-replace]\nfind = a\n", "c.ini: no [pipeline] group" },
  { "no-stages", "[pipeline]\ndescription = x\n", "c.ini:1: [pipeline] has no stages" },
  { "empty-stages", "[pipeline]\nstages = ;\n", "[pipeline] stages" },
  { "empty-label", "[pipeline]\nstages = :test-replace;test-needs\n", "c.ini:2: stage ':test-replace' has an empty or invalid name" },
  { "bad-label", "[pipeline]\nstages = a b:test-replace\n", "c.ini:2: stage 'a b:test-replace' has an empty or invalid name" },
  { "empty-plugin", "[pipeline]\nstages = a:\n", "c.ini:2: stage 'a:' names no plugin" },
  { "unknown-plugin", "[pipeline]\nstages = test-replac\n", "c.ini:2: stage 'test-replac': no plugin named 'test-replac'" },
  { "twice", "[pipeline]\nstages = test-replace;test-replace\n", "c.ini:2: stage 'test-replace' appears twice" },
  { "unknown-pipeline-key", "[pipeline]\nstages = test-replace\nstage = x\n", "c.ini:3: unknown key 'stage' in [pipeline]; did you mean 'stages'?" },
  { "unknown-group", "[pipeline]\nstages = test-replace\n[test-replaced]\nfind = a\n", "c.ini:3: group [test-replaced] is not a stage of this pipeline; did you mean 'test-replace'?" },
  { "unknown-key", "[pipeline]\nstages = test-replace\n[test-replace]\nfnd = a\n", "c.ini:4: unknown key 'fnd' in [test-replace]" },
  { "not-int", "[pipeline]\nstages = test-replace\n[test-replace]\ncount = many\n", "c.ini:4: [test-replace] count = 'many' is not a whole number" },
  { "int-range", "[pipeline]\nstages = test-replace\n[test-replace]\ncount = 11\n", "c.ini:4: [test-replace] count = 11 is out of range" },
  { "not-double", "[pipeline]\nstages = test-replace\n[test-replace]\nratio = half\n", "c.ini:4: [test-replace] ratio = 'half' is not a number" },
  { "double-range", "[pipeline]\nstages = test-replace\n[test-replace]\nratio = 2\n", "c.ini:4: [test-replace] ratio = 2 is out of range" },
  { "not-bool", "[pipeline]\nstages = test-replace\n[test-replace]\nflag = maybe\n", "c.ini:4: [test-replace] flag = 'maybe' is not a boolean" },
  { "bad-enum", "[pipeline]\nstages = test-replace\n[test-replace]\nmode = fsat\n", "c.ini:4: [test-replace] mode = 'fsat' is not an allowed value; did you mean 'fast'?" },
  { "bad-on-error", "[pipeline]\nstages = test-replace\n[test-replace]\non-error = ignore\n", "c.ini:4: [test-replace] on-error = 'ignore' is not an allowed value" },
  { "requirement", "[pipeline]\nstages = test-needs\n", "c.ini:2: stage 'test-needs' requires 'layer:replaced', which no earlier stage provides; put a stage of test-replace before it" },
  { "duplicate-key", "[pipeline]\nstages = test-replace\n[test-replace]\nfind = a\nfind = b\n", "c.ini:5: key 'find' appears twice in [test-replace] (first on line 4)" },
  { "duplicate-group", "[pipeline]\nstages = test-replace\n[test-replace]\nfind = a\n[test-replace]\nreplace = b\n", "c.ini:5: group [test-replace] appears twice (first on line 3)" },
  { "duplicate-pipeline", "[pipeline]\nstages = test-replace\n[pipeline]\ndescription = again\n", "c.ini:3: group [pipeline] appears twice" },
  { "not-utf8", "[pipeline]\nstages = test-replace\ndescription = caf\xE9\n", "c.ini: not a text file in UTF-8" },
};

static void
test_config_mistakes (Fx *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_cases); i++)
    {
      const ConfigCase *c = &config_cases[i];
      g_autofree char *err = NULL, *err2 = NULL;

      g_test_message ("config case %s", c->name);
      put (f, "c.ini", c->ini);
      g_assert_cmpint (quarry (f, NULL, &err, "validate", "c.ini", NULL), ==, 1);
      if (strstr (err, c->message) == NULL)
        g_error ("config case %s: expected '%s' in: %s", c->name, c->message, err);
      /* run refuses it the same way, before reading or writing anything (every
       * fourth case: each spawn costs, and run and validate share the loader) */
      if (i % 4 != 0)
        continue;
      put (f, "in/a.txt", "one");
      g_assert_cmpint (quarry (f, NULL, &err2, "run", "-c", "c.ini", "-o", "out.jsonl", "in", NULL), ==, 1);
      g_assert_nonnull (strstr (err2, c->message));
      g_assert_false (exists (f, "out.jsonl"));
    }
  {
    g_autofree char *err = NULL;
    put (f, "ok.ini", "[pipeline]\nstages = test-replace\n");
    g_assert_cmpint (quarry (f, NULL, &err, "validate", "ok.ini", "--set", "test-replace.count", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "--set 'test-replace.count': expected STAGE.KEY=VALUE"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (quarry (f, NULL, &err, "validate", "ok.ini", "--set", "test-replace.count=0", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "--set test-replace.count: [test-replace] count = 0 is out of range"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (quarry (f, NULL, &err, "validate", "absent.ini", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "cannot read config"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* a FIFO reader that goes away must not kill the test with SIGPIPE */
  signal (SIGPIPE, SIG_IGN);
  g_test_add ("/bad-input/symlink-loops", Fx, NULL, fx_setup, test_symlink_loops, fx_teardown);
  g_test_add ("/bad-input/fifo-in-folder", Fx, NULL, fx_setup, test_fifo_in_folder, fx_teardown);
  g_test_add ("/bad-input/fifo-argument", Fx, NULL, fx_setup, test_fifo_argument, fx_teardown);
  g_test_add ("/bad-input/folder-named-jsonl", Fx, NULL, fx_setup, test_folder_named_jsonl, fx_teardown);
  g_test_add ("/bad-input/same-name-two-folders", Fx, NULL, fx_setup, test_same_name_two_folders, fx_teardown);
  g_test_add ("/bad-input/invalid-utf8-file-name", Fx, NULL, fx_setup, test_invalid_utf8_file_name, fx_teardown);
  g_test_add ("/bad-input/unreadable", Fx, NULL, fx_setup, test_unreadable, fx_teardown);
  g_test_add ("/bad-input/output-is-input", Fx, NULL, fx_setup, test_output_is_input, fx_teardown);
  g_test_add ("/bad-input/output-inside-input-folder", Fx, NULL, fx_setup, test_output_inside_input_folder, fx_teardown);
  g_test_add ("/bad-input/sigint-on-stdin", Fx, NULL, fx_setup, test_sigint_on_stdin, fx_teardown);
  g_test_add ("/bad-input/sigint-on-fifo", Fx, NULL, fx_setup, test_sigint_on_fifo, fx_teardown);
  g_test_add ("/bad-input/jsonl-lines", Fx, NULL, fx_setup, test_jsonl_lines, fx_teardown);
  g_test_add ("/bad-input/media-type-parameters", Fx, NULL, fx_setup, test_media_type_parameters, fx_teardown);
  g_test_add ("/bad-input/max-document-bytes", Fx, NULL, fx_setup, test_max_document_bytes, fx_teardown);
  g_test_add ("/bad-input/empty-binary-utf16", Fx, NULL, fx_setup, test_empty_binary_utf16, fx_teardown);
  g_test_add ("/bad-input/huge-document", Fx, NULL, fx_setup, test_huge_document, fx_teardown);
  g_test_add ("/bad-input/markup-extremes", Fx, NULL, fx_setup, test_markup_extremes, fx_teardown);
  g_test_add ("/bad-input/long-subject-utf8", Fx, NULL, fx_setup, test_long_subject_utf8, fx_teardown);
  g_test_add ("/bad-input/truncated-module", Fx, NULL, fx_setup, test_truncated_module, fx_teardown);
  g_test_add ("/bad-input/thread-limit", Fx, NULL, fx_setup, test_thread_limit, fx_teardown);
  g_test_add ("/bad-input/config-mistakes", Fx, NULL, fx_setup, test_config_mistakes, fx_teardown);
  return g_test_run ();
}
