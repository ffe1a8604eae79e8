/* test-pipeline.c: stage order, error policies, set-up failures, the writer, and the quarry command end to end. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "document-private.h"
#include "harness.h"

static const char *const two_stages =
  "[pipeline]\nstages = one:test-replace;two:test-replace\n"
  "[one]\nfind = a\nreplace = b\n"
  "[two]\nfind = b\nreplace = c\n";

static void
test_order (void)
{
  g_autoptr(QuarryHarness) p = quarry_harness_new (two_stages);
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, "o", "abc", -1, NULL);
  const QuarryStageStats *st;
  guint n;

  /* a->b then b->c; the other order would give "bcc" */
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "ccc");
  st = quarry_pipeline_get_stats (quarry_harness_get_pipeline (p), &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (st[0].name, ==, "one");
  g_assert_cmpuint (st[1].documents, ==, 1);
  g_assert_cmpuint (st[1].bytes_in, ==, 3);
}

static QuarryResult
run_policy (const char *policy, const char *id, QuarryDocument **out, char **reason)
{
  g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = test-replace;test-needs\n"
                                          "[test-replace]\nfail-id = bad\non-error = %s\n", policy);
  g_autoptr(QuarryHarness) p = quarry_harness_new (ini);
  QuarryDocument *doc = quarry_document_new (id, "banana", 6, NULL);
  QuarryResult r = quarry_pipeline_process (quarry_harness_get_pipeline (p), doc, reason);

  *out = doc;
  return r;
}

static void
test_policies (void)
{
  QuarryDocument *doc;
  char *reason = NULL;

  /* a good document is untouched by the policy */
  g_assert_cmpint (run_policy ("fail", "good", &doc, &reason), ==, QUARRY_RESULT_OK);
  g_assert_cmpstr (quarry_document_get_text (doc, NULL), ==, "bAnAnA");
  quarry_document_free (doc);

  /* skip: recorded as an error diagnostic, the next stage still runs */
  g_assert_cmpint (run_policy ("skip", "bad", &doc, &reason), ==, QUARRY_RESULT_OK);
  g_assert_null (reason);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "stage-failed"), ==, 1);
  g_assert_cmpint (quarry_document_count_diagnostics (doc, QUARRY_DIAGNOSTIC_ERROR), ==, 1);
  g_assert_nonnull (quarry_document_lookup_field (doc, "needs", "replaced"));
  quarry_document_free (doc);

  /* drop: dead letter, with the stage and the plugin's reason */
  g_assert_cmpint (run_policy ("drop", "bad", &doc, &reason), ==, QUARRY_RESULT_DROPPED);
  g_assert_nonnull (strstr (reason, "stage 'test-replace' (plugin test-replace 1.0.0) failed: asked to fail on bad"));
  g_assert_null (quarry_document_lookup_field (doc, "needs", "replaced"));
  g_assert_cmpstr (quarry_document_get_stage (doc), ==, "test-replace");
  g_clear_pointer (&reason, g_free);
  quarry_document_free (doc);

  g_assert_cmpint (run_policy ("fail", "bad", &doc, &reason), ==, QUARRY_RESULT_FAILED);
  g_assert_nonnull (reason);
  g_clear_pointer (&reason, g_free);
  quarry_document_free (doc);
}

static void
test_setup_failure (void)
{
  GError *error = NULL;
  QuarryHarness *p;

  /* test-replace refuses an empty find; broken-setup's failure is checked through the command */
  /* the failing stage comes second: the first is torn down, the third never set up */
  p = quarry_harness_try_new ("[pipeline]\nstages = a:test-replace;test-replace;c:test-replace\n[test-replace]\nfind =\n", &error);
  g_assert_null (p);
  g_assert_error (error, QUARRY_PIPELINE_ERROR, QUARRY_PIPELINE_ERROR_SETUP);
  g_assert_nonnull (strstr (error->message, "stage 'test-replace' (plugin test-replace 1.0.0) could not set up: option find must not be empty"));
  g_clear_error (&error);
}

/* The reference: RFC 8259 escaping byte by byte, as the writer promises it. */
static void
escape_slowly (GString *out, const char *s, gsize len)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = s[i];
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

/* The writer escapes eight bytes at a time where it can: every byte value at every
 * position of the block, long runs, and appends to a string that is not empty; what it
 * writes is valid UTF-8 whatever it is given. */
static void
test_writer_json_string (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (8);
  static const char pool[] = "abc \"\\\n\t\x01\x1f\x7f\xc3\xa9\xe2\x80\x9c\xed\xa0\xf0\x9f\x98\xf4\x90\xc0\xe0";

  for (int round = 0; round < 3000; round++)
    {
      gsize len = g_rand_int_range (r, 0, round < 2900 ? 40 : 20000);
      g_autofree char *s = g_malloc (len + 1);
      g_autoptr(GString) got = g_string_new ("prefix"), want = g_string_new ("prefix");
      for (gsize i = 0; i < len; i++)
        s[i] = round % 3 == 0 ? (char) g_rand_int_range (r, 1, 256)
                              : pool[g_rand_int_range (r, 0, sizeof pool - 1)];
      s[len] = '\0';
      quarry_writer_append_json_string (got, s, len);
      {
        /* the contract: invalid UTF-8 is written as U+FFFD (random bytes and cut pool
         * characters make plenty); valid text byte for byte */
        g_autofree char *valid = g_utf8_make_valid (s, len);
        escape_slowly (want, valid, strlen (valid));
        g_assert_true (g_utf8_validate (got->str, got->len, NULL));
      }
      g_assert_cmpstr (got->str, ==, want->str);
      g_assert_cmpuint (got->len, ==, strlen (got->str));
    }
}

static json_object *
random_value (GRand *r)
{
  switch (g_rand_int_range (r, 0, 4))
    {
    case 0: return NULL;
    case 1: return json_object_new_int (g_rand_int_range (r, -5, 5));
    case 2:
      {
        json_object *a = json_object_new_array ();
        json_object_array_add (a, json_object_new_string ("x\"y"));
        return a;
      }
    default: return json_object_new_string (g_rand_boolean (r) ? "é" : "LOC:Tbilisi");
    }
}

/* Attributes set with quarry_document_span_set_attr (held as pairs, sometimes turned into
 * the object half-way by a reader) and entities added as records write the same bytes as
 * the same calls made on json-c objects. */
static void
test_writer_light_forms (void)
{
  static const char *const keys[] = { "entity", "relation", "parts", "candidates" };
  g_autoptr(GRand) r = g_rand_new_with_seed (20261128);

  for (int round = 0; round < 200; round++)
    {
      const char *text = "Tbilisi and Moscow, “Lavrov”";
      g_autoptr(QuarryDocument) a = quarry_document_new ("r", text, strlen (text), NULL);
      g_autoptr(QuarryDocument) b = quarry_document_new ("r", text, strlen (text), NULL);
      g_autoptr(GString) wa = g_string_new (NULL), wb = g_string_new (NULL);
      guint n_spans = g_rand_int_range (r, 0, 6);

      for (guint i = 0; i < n_spans; i++)
        {
          gsize start = g_rand_int_range (r, 0, 8), end = start + g_rand_int_range (r, 0, 8);
          gboolean given = g_rand_int_range (r, 0, 4) == 0;
          quarry_document_add_span (a, "entity", "LOC", start, end,
                                    given ? json_tokener_parse ("{\"given\":true}") : NULL, NULL);
          quarry_document_add_span (b, "entity", "LOC", start, end,
                                    given ? json_tokener_parse ("{\"given\":true}") : NULL, NULL);
        }
      for (int op = 0; n_spans > 0 && op < 12; op++)
        {
          guint i = g_rand_int_range (r, 0, n_spans);
          const char *key = keys[g_rand_int_range (r, 0, G_N_ELEMENTS (keys))];
          json_object *v = random_value (r);
          json_object_object_add (quarry_document_span_attrs (a, i), key, v ? json_object_get (v) : NULL);
          quarry_document_span_set_attr (b, i, key, v);
          if (g_rand_int_range (r, 0, 5) == 0)
            g_assert_nonnull (quarry_document_get_span (b, g_rand_int_range (r, 0, n_spans)));
        }
      /* spans given no attribute at all stay without "attrs" in a: match that in b */
      for (guint i = 0; i < n_spans; i++)
        if (quarry_document_peek_span (a, i)->attrs == NULL)
          g_assert_null (quarry_document_get_span (b, i)->attrs);

      guint n_entities = g_rand_int_range (r, 0, 4);
      json_object *list = n_entities ? json_object_new_array () : NULL;
      for (guint k = 0; k < n_entities; k++)
        {
          g_autofree char *id = g_strdup_printf ("PER:%u\t“q”", k);
          gboolean kb = g_rand_boolean (r);
          json_object *e = json_object_new_object ();
          json_object_object_add (e, "id", json_object_new_string (id));
          json_object_object_add (e, "name", json_object_new_string ("N\\"));
          json_object_object_add (e, "label", k ? json_object_new_string ("PER") : NULL);
          json_object_object_add (e, "kb_id", kb ? json_object_new_string (id) : NULL);
          json_object_object_add (e, "mentions", json_object_new_int (k + 1));
          json_object_array_add (list, e);
          quarry_document_add_entity (b, id, "N\\", k ? "PER" : NULL, kb ? id : NULL, k + 1);
        }
      quarry_document_set_entities (a, list);

      quarry_writer_append_record (wa, a, NULL);
      quarry_writer_append_record (wb, b, NULL);
      g_assert_cmpstr (wb->str, ==, wa->str);
      /* and once b is read as JSON */
      quarry_document_get_entities (b);
      for (guint i = 0; i < n_spans; i++)
        quarry_document_get_span (b, i);
      g_string_truncate (wb, 0);
      quarry_writer_append_record (wb, b, NULL);
      g_assert_cmpstr (wb->str, ==, wa->str);
    }
}

static void
test_writer_record (void)
{
  g_autoptr(QuarryHarness) p = quarry_harness_new ("[pipeline]\nstages = test-replace\n[test-replace]\nfind = é\nreplace = \"e\"\n");
  /* multi-byte text before the spans: offsets in the output count code points */
  g_autoptr(QuarryDocument) doc = quarry_harness_run (p, "w\"1", "“né”\tx", -1, NULL);
  g_autoptr(GString) a = g_string_new (NULL), b = g_string_new (NULL);
  json_object *rec, *spans, *s, *v;

  quarry_writer_append_record (a, doc, quarry_pipeline_get_provenance_text (quarry_harness_get_pipeline (p)));
  quarry_writer_append_record (b, doc, quarry_pipeline_get_provenance_text (quarry_harness_get_pipeline (p)));
  g_assert_cmpstr (a->str, ==, b->str);
  g_assert_true (g_str_has_prefix (a->str, "{\"id\":\"w\\\"1\",\"text\":\"“n\\\"e\\\"”\\tx\",\"fields\":"));

  rec = json_tokener_parse (a->str);
  g_assert_nonnull (rec);
  g_assert_true (json_object_object_get_ex (rec, "spans", &spans));
  s = json_object_array_get_idx (spans, 0);
  json_object_object_get_ex (s, "start", &v);
  g_assert_cmpint (json_object_get_int (v), ==, 2);
  json_object_object_get_ex (s, "end", &v);
  g_assert_cmpint (json_object_get_int (v), ==, 5);
  json_object_object_get_ex (s, "source", &v);
  /* “ is 3 bytes, n 1: é is source bytes [4, 6) */
  g_assert_cmpint (json_object_get_int (json_object_array_get_idx (v, 0)), ==, 4);
  g_assert_cmpint (json_object_get_int (json_object_array_get_idx (v, 1)), ==, 6);
  g_assert_true (json_object_object_get_ex (rec, "provenance", &v));
  g_assert_true (json_object_object_get_ex (v, "config_hash", &v));
  g_assert_cmpuint (strlen (json_object_get_string (v)), ==, 64);
  {
    /* keys in the fixed order of DESIGN.md */
    static const char *const order[] = { "id", "text", "fields", "spans", "entities", "summary", "diagnostics", "provenance" };
    guint i = 0;
    json_object_object_foreach (rec, key, val)
      {
        (void) val;
        g_assert_cmpuint (i, <, G_N_ELEMENTS (order));
        g_assert_cmpstr (key, ==, order[i++]);
      }
    g_assert_cmpuint (i, ==, G_N_ELEMENTS (order));
  }
  json_object_put (rec);
}

/* A field a stage cut in the middle of a character: the record is valid UTF-8, says
 * so in a diagnostic of stage output, and writing it again gives the same bytes. */
static void
test_writer_invalid_utf8 (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("d", "text", 4, "text/plain");
  g_autoptr(GString) a = g_string_new (NULL), b = g_string_new (NULL);
  json_object *rec, *v, *d;

  /* "é" twice, the second cut after its first byte; a NUL kept as \u0000 */
  json_object_object_add (quarry_document_get_fields (doc, "cut"), "subject",
                          json_object_new_string_len ("\xC3\xA9\xC3\0x", 5));
  quarry_writer_append_record (a, doc, NULL);
  quarry_writer_append_record (b, doc, NULL);
  g_assert_cmpstr (a->str, ==, b->str);
  g_assert_true (g_utf8_validate (a->str, a->len, NULL));
  g_assert_nonnull (strstr (a->str, "\"subject\":\"\xC3\xA9\xEF\xBF\xBD\\u0000x\""));
  rec = json_tokener_parse (a->str);
  g_assert_nonnull (rec);
  g_assert_true (json_object_object_get_ex (rec, "diagnostics", &v));
  g_assert_cmpuint (json_object_array_length (v), ==, 1);
  d = json_object_array_get_idx (v, 0);
  g_assert_true (json_object_object_get_ex (d, "stage", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "output");
  g_assert_true (json_object_object_get_ex (d, "code", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "invalid-utf8-output");
  g_assert_true (json_object_object_get_ex (d, "message", &v));
  g_assert_true (g_str_has_prefix (json_object_get_string (v), "1 bytes in the record's strings"));
  json_object_put (rec);
  g_assert_cmpuint (quarry_document_get_n_diagnostics (doc), ==, 0);  /* the document is unchanged */
}

static void
test_writer_dead_letter (void)
{
  g_autoptr(QuarryDocument) doc = quarry_document_new ("bin", "a\0b\xFF", 4, "application/octet-stream");
  g_autoptr(GString) s = g_string_new (NULL);
  json_object *rec, *v;
  g_autofree guchar *raw = NULL;
  gsize len;

  quarry_writer_append_dead_letter (s, doc, "could not read", NULL);
  rec = json_tokener_parse (s->str);
  g_assert_nonnull (rec);
  /* not text: the original bytes come back exactly, base64-encoded */
  g_assert_false (json_object_object_get_ex (rec, "content", NULL));
  g_assert_true (json_object_object_get_ex (rec, "content_base64", &v));
  raw = g_base64_decode (json_object_get_string (v), &len);
  g_assert_cmpmem (raw, len, "a\0b\xFF", 4);
  json_object_object_get_ex (rec, "reason", &v);
  g_assert_cmpstr (json_object_get_string (v), ==, "could not read");
  json_object_put (rec);
}

/* ---- the quarry command ---- */

typedef struct {
  char *dir;
  char *quarry;
} Cli;

static void
cli_setup (Cli *c, gconstpointer data)
{
  GError *error = NULL;

  c->dir = g_dir_make_tmp ("quarry-cli-XXXXXX", &error);
  g_assert_no_error (error);
  c->quarry = g_test_build_filename (G_TEST_BUILT, "..", "quarry", NULL);
}

static void
cli_teardown (Cli *c, gconstpointer data)
{
  harness_remove_tree (c->dir);
  g_free (c->dir);
  g_free (c->quarry);
}

static void
put (const Cli *c, const char *name, const char *content)
{
  harness_put_file (c->dir, name, content, -1);
}

static char *
slurp (const Cli *c, const char *name)
{
  return harness_slurp (c->dir, name, NULL);
}

/* Runs quarry with args (NULL-terminated) in the test folder; returns the exit code. */
static int
run_quarry (const Cli *c, const char *stdin_text, char **out, char **err, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;
  const char *a;
  gint status = 0;
  GError *error = NULL;
  g_autofree char *o = NULL, *e = NULL;

  g_ptr_array_add (argv, c->quarry);
  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  if (stdin_text != NULL)
    {
      g_autofree char *in = g_build_filename (c->dir, "stdin.txt", NULL);
      g_autofree char *cmd = NULL;
      g_autofree char *joined = NULL;
      g_file_set_contents (in, stdin_text, -1, NULL);
      /* keep it simple: a shell redirect */
      for (guint i = 0; i + 1 < argv->len; i++)
        {
          g_autofree char *q = g_shell_quote (argv->pdata[i]);
          char *t = joined ? g_strconcat (joined, " ", q, NULL) : g_strdup (q);
          g_free (joined);
          joined = t;
        }
      cmd = g_strdup_printf ("cd %s && %s < %s", c->dir, joined, in);
      g_spawn_sync (NULL, (char *[]) { (char *) "/bin/sh", (char *) "-c", cmd, NULL }, NULL, 0, NULL, NULL,
                    &o, &e, &status, &error);
    }
  else
    g_spawn_sync (c->dir, (char **) argv->pdata, NULL, 0, NULL, NULL, &o, &e, &status, &error);
  g_assert_no_error (error);
  if (out != NULL)
    *out = g_steal_pointer (&o);
  if (err != NULL)
    *err = g_steal_pointer (&e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static const char *const cli_ini =
  "[pipeline]\nstages = test-replace;test-needs\n[test-replace]\nfind = a\nreplace = A\nfail-id = bad\non-error = drop\n";

static guint
count_lines (const char *s)
{
  guint n = 0;

  for (; s != NULL && *s; s++)
    n += *s == '\n';
  return n;
}

static void
test_cli_run_accounting (Cli *c, gconstpointer data)
{
  g_autofree char *err = NULL, *out = NULL, *dead = NULL, *rep_path = NULL;
  json_object *rep, *v;
  int code;

  put (c, "p.ini", cli_ini);
  put (c, "in/b/good2.txt", "banana");
  put (c, "in/a/good1.html", "<p>a</p>");
  put (c, "in/bad.txt", "a bad one");
  put (c, "in/records.jsonl",
       "{\"id\": \"r1\", \"content\": \"alpha\", \"media_type\": \"text/plain\"}\n"
       "\n"
       "{\"id\": \"r2\", \"content\": \n"
       "{\"id\": \"r3\"}\n");
  code = run_quarry (c, NULL, NULL, &err, "run", "-q", "-c", "p.ini", "-o", "out.jsonl", "--report", "rep.json", "-j", "2", "in", NULL);
  g_assert_cmpint (code, ==, 2);  /* finished, some dead letters */
  out = slurp (c, "out.jsonl");
  dead = slurp (c, "out.jsonl.dead.jsonl");
  /* 2 good files + r1 out; bad (stage), the broken line and the record without content dead */
  g_assert_cmpuint (count_lines (out), ==, 3);
  g_assert_cmpuint (count_lines (dead), ==, 3);
  /* sorted walk: in/a/good1, in/b/good2, in/records.jsonl's r1 */
  g_assert_true (g_str_has_prefix (out, "{\"id\":\"good1\""));
  g_assert_nonnull (strstr (dead, "\"id\":\"bad\",\"stage\":\"test-replace\""));
  g_assert_nonnull (strstr (dead, "records.jsonl:3: not a JSON object (the record is cut short)"));
  g_assert_nonnull (strstr (dead, "has no \\\"content\\\" string"));
  g_assert_nonnull (strstr (dead, "\"content\":\"a bad one\""));

  rep_path = g_build_filename (c->dir, "rep.json", NULL);
  rep = json_object_from_file (rep_path);
  g_assert_nonnull (rep);
  json_object_object_get_ex (rep, "documents", &v);
  json_object_object_get_ex (v, "in", &v);
  g_assert_cmpint (json_object_get_int (v), ==, 6);
  json_object_object_get_ex (rep, "stages", &v);
  g_assert_cmpuint (json_object_array_length (v), ==, 2);
  json_object_put (rep);
}

static void
test_cli_deterministic (Cli *c, gconstpointer data)
{
  g_autofree char *a = NULL, *b = NULL, *d = NULL;

  put (c, "p.ini", "[pipeline]\nstages = test-replace;test-needs\n[test-replace]\nfind = a\n");
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/doc%02u.txt", i);
      g_autofree char *body = g_strnfill (1 + (i * 7919) % 3000, 'a' + i % 3);
      put (c, name, body);
    }
  g_assert_cmpint (run_quarry (c, NULL, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "j1.jsonl", "-j", "1", "in", NULL), ==, 0);
  g_assert_cmpint (run_quarry (c, NULL, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "j2.jsonl", "-j", "2", "in", NULL), ==, 0);
  g_assert_cmpint (run_quarry (c, NULL, NULL, NULL, "run", "-q", "-c", "p.ini", "-o", "j7.jsonl", "-j", "7", "in", NULL), ==, 0);
  a = slurp (c, "j1.jsonl");
  b = slurp (c, "j2.jsonl");
  d = slurp (c, "j7.jsonl");
  g_assert_cmpuint (count_lines (a), ==, 60);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, ==, d);
}

static void
test_cli_stdin (Cli *c, gconstpointer data)
{
  g_autofree char *out = NULL;

  put (c, "p.ini", "[pipeline]\nstages = test-replace\n");
  g_assert_cmpint (run_quarry (c, "{\"id\":\"s1\",\"content\":\"a\\u00e9\"}\n", &out, NULL,
                               "run", "-q", "-c", "p.ini", "-", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "{\"id\":\"s1\",\"text\":\"Aé\""));
}

/* Two stages writing the same layer: each span knows its stage, each stage counts
 * only its own (test-replace places them with quarry_edits_get_new_range). Expected
 * by hand: banana -(a->A)-> bAnAnA -(n->NN)-> bANNANNA. */
static const char *const two_replacers =
  "[pipeline]\nstages = one:test-replace;two:test-replace\n[two]\nfind = n\nreplace = NN\n";

static void
test_span_stages (void)
{
  static const struct { const char *stage; gsize start, end; const char *text; } want[] = {
    { "one", 1, 2, "A" }, { "one", 4, 5, "A" }, { "one", 7, 8, "A" }, { "two", 2, 4, "NN" }, { "two", 5, 7, "NN" },
  };
  g_autoptr(QuarryHarness) h = quarry_harness_new (two_replacers);
  g_autoptr(QuarryDocument) doc = quarry_document_new ("s", "banana", 6, NULL);
  const char *text;
  json_object *count;

  g_assert_cmpint (quarry_pipeline_process (quarry_harness_get_pipeline (h), doc, NULL), ==, QUARRY_RESULT_OK);
  text = quarry_document_get_text (doc, NULL);
  g_assert_cmpstr (text, ==, "bANNANNA");
  g_assert_cmpuint (quarry_document_get_n_spans (doc), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const QuarrySpan *sp = quarry_document_get_span (doc, i);
      g_assert_cmpstr (quarry_document_get_span_stage (doc, i), ==, want[i].stage);
      g_assert_cmpuint (sp->start, ==, want[i].start);
      g_assert_cmpuint (sp->end, ==, want[i].end);
      g_assert_cmpint (strncmp (text + sp->start, want[i].text, sp->end - sp->start), ==, 0);
    }
  count = quarry_document_lookup_field (doc, "replace", "count");
  g_assert_nonnull (count);
  g_assert_cmpint (json_object_get_int (count), ==, 2);  /* the last stage's own two, not all five */
}

/* The output shows each span's stage only when the config asks. */
static void
test_cli_span_stages (Cli *c, gconstpointer data)
{
  g_autofree char *plain = NULL, *with = NULL, *err = NULL;
  g_autofree char *asked = NULL;

  put (c, "p.ini", two_replacers);
  asked = g_strdup_printf ("[pipeline]\nspan-stages = true\n%s", two_replacers + strlen ("[pipeline]\n"));
  put (c, "s.ini", asked);
  put (c, "bad.ini", "[pipeline]\nspan-stages = maybe\nstages = test-replace\n");
  g_assert_cmpint (run_quarry (c, "{\"id\":\"s\",\"content\":\"banana\"}\n", &plain, NULL,
                               "run", "-q", "-c", "p.ini", "-", NULL), ==, 0);
  g_assert_null (strstr (plain, "\"stage\""));
  g_assert_cmpint (run_quarry (c, "{\"id\":\"s\",\"content\":\"banana\"}\n", &with, NULL,
                               "run", "-q", "-c", "s.ini", "-", NULL), ==, 0);
  g_assert_nonnull (strstr (with, "{\"layer\":\"replaced\",\"label\":\"r\",\"start\":1,\"end\":2,\"source\":[1,2],\"stage\":\"one\"}"));
  g_assert_nonnull (strstr (with, "{\"layer\":\"replaced\",\"label\":\"r\",\"start\":2,\"end\":4,\"source\":[2,3],\"stage\":\"two\"}"));
  g_assert_cmpint (run_quarry (c, NULL, NULL, &err, "validate", "bad.ini", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "bad.ini:2: [pipeline] span-stages = 'maybe' is not a boolean"));
}

static void
test_cli_stage_fail (Cli *c, gconstpointer data)
{
  g_autofree char *err = NULL;

  put (c, "p.ini", "[pipeline]\nstages = test-replace\n[test-replace]\nfail-id = bad\non-error = fail\n");
  put (c, "in/bad.txt", "x");
  put (c, "in/good.txt", "x");
  g_assert_cmpint (run_quarry (c, NULL, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", "1", "in", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "1 dead-lettered"));
  /* the stage, the document and the reason, not only the counts; the same from a worker process */
  g_assert_nonnull (strstr (err, "document bad: stage 'test-replace' (plugin test-replace 1.0.0) failed: asked to fail on bad;"
                                 " that stage's on-error = fail stops the run"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_quarry (c, NULL, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "-j", "1",
                               "--isolation=processes", "in", NULL), ==, 3);
  g_assert_nonnull (strstr (err, "document bad: stage 'test-replace' (plugin test-replace 1.0.0) failed: asked to fail on bad;"));
}

static void
test_cli_interrupt (Cli *c, gconstpointer data)
{
  g_autofree char *err = NULL, *out = NULL, *report = NULL;
  g_auto(GStrv) lines = NULL;

  put (c, "p.ini", "[pipeline]\nstages = test-replace\n[test-replace]\nsignal-id = d05\n");
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("in/d%02u.txt", i);
      put (c, name, "banana");
    }
  /* SIGTERM arrives while d05 is in flight: it is finished and written, nothing after it is taken
   * (threads at -j 1 hold one document; worker processes are tested in test-run) */
  g_assert_cmpint (run_quarry (c, NULL, NULL, &err, "run", "-c", "p.ini", "-o", "o.jsonl", "--report", "r.json",
                               "-j", "1", "--isolation=threads", "in", NULL), ==, 4);
  g_assert_nonnull (strstr (err, "interrupted"));
  out = slurp (c, "o.jsonl");
  g_assert_true (g_str_has_suffix (out, "}\n"));
  lines = g_strsplit (out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 7);  /* d00..d05 and the empty tail */
  for (guint i = 0; i < 6; i++)
    {
      json_object *rec = json_tokener_parse (lines[i]);
      g_assert_nonnull (rec);
      json_object_put (rec);
    }
  report = slurp (c, "r.json");
  g_assert_nonnull (strstr (report, "\"interrupted\": true"));
}

static void
test_cli_errors (Cli *c, gconstpointer data)
{
  g_autofree char *err = NULL, *out = NULL;

  put (c, "typo.ini", "[pipeline]\nstages = test-replace\n[test-replace]\nfnd = x\n");
  g_assert_cmpint (run_quarry (c, NULL, NULL, &err, "validate", "typo.ini", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "typo.ini:4: unknown key 'fnd' in [test-replace]"));
  g_assert_nonnull (strstr (err, "did you mean 'find'?"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_quarry (c, NULL, NULL, &err, "run", "-c", "typo.ini", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "no input"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_quarry (c, NULL, NULL, &err, "frobnicate", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "unknown command"));
  g_clear_pointer (&err, g_free);

  put (c, "ok.ini", "[pipeline]\nstages = test-replace\n");
  g_assert_cmpint (run_quarry (c, NULL, &out, NULL, "config", "ok.ini", "--set", "test-replace.find=q", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "# sha256 "));
  g_assert_nonnull (strstr (out, "find=q\n"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run_quarry (c, NULL, &out, NULL, "inspect", "test-replace", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "test-replace 1.0.0"));
  g_assert_nonnull (strstr (out, "[fast | slow]"));
  g_assert_nonnull (strstr (out, "layer:replaced"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run_quarry (c, NULL, &out, NULL, "--version", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "quarry " QUARRY_VERSION));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/order", test_order);
  g_test_add_func ("/pipeline/policies", test_policies);
  g_test_add_func ("/pipeline/setup-failure", test_setup_failure);
  g_test_add_func ("/pipeline/span-stages", test_span_stages);
  g_test_add ("/cli/span-stages", Cli, NULL, cli_setup, test_cli_span_stages, cli_teardown);
  g_test_add_func ("/writer/record", test_writer_record);
  g_test_add_func ("/writer/light-forms", test_writer_light_forms);
  g_test_add_func ("/writer/json-string", test_writer_json_string);
  g_test_add_func ("/writer/dead-letter", test_writer_dead_letter);
  g_test_add_func ("/writer/invalid-utf8", test_writer_invalid_utf8);
  g_test_add ("/cli/run-accounting", Cli, NULL, cli_setup, test_cli_run_accounting, cli_teardown);
  g_test_add ("/cli/deterministic", Cli, NULL, cli_setup, test_cli_deterministic, cli_teardown);
  g_test_add ("/cli/stdin", Cli, NULL, cli_setup, test_cli_stdin, cli_teardown);
  g_test_add ("/cli/stage-fail", Cli, NULL, cli_setup, test_cli_stage_fail, cli_teardown);
  g_test_add ("/cli/interrupt", Cli, NULL, cli_setup, test_cli_interrupt, cli_teardown);
  g_test_add ("/cli/errors", Cli, NULL, cli_setup, test_cli_errors, cli_teardown);
  return g_test_run ();
}
