/* test-config.c: the plugin registry (broken modules on purpose) and config checking, messages included. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "harness.h"

static QuarryRegistry *registry;

static char *
broken_dir (void)
{
  return g_test_build_filename (G_TEST_BUILT, "broken", NULL);
}

static const QuarryLoadFailure *
find_failure (QuarryRegistry *reg, const char *file_part)
{
  const GPtrArray *f = quarry_registry_get_failures (reg);

  for (guint i = 0; i < f->len; i++)
    if (strstr (((QuarryLoadFailure *) f->pdata[i])->file, file_part) != NULL)
      return f->pdata[i];
  return NULL;
}

static void
test_registry_failures (void)
{
  g_autoptr(QuarryRegistry) reg = quarry_registry_new ();
  g_autofree char *dir = broken_dir ();
  const QuarryLoadFailure *f;
  GError *error = NULL;

  quarry_registry_add_path (reg, dir);
  quarry_registry_scan (reg);

  f = find_failure (reg, "broken-abi");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "ABI 99.0"));
  {
    g_autofree char *host = g_strdup_printf ("provides ABI %d.%d", QUARRY_PLUGIN_ABI_MAJOR, QUARRY_PLUGIN_ABI_MINOR);
    g_assert_nonnull (strstr (f->reason, host));
  }
  g_assert_nonnull (strstr (f->hint, "rebuild"));

  f = find_failure (reg, "broken-nosym");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "no 'quarry_plugin_descriptor' symbol"));

  f = find_failure (reg, "broken-undefined");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "cannot load"));
  g_assert_nonnull (strstr (f->reason, "quarry_test_symbol_that_does_not_exist"));

  /* a function nothing defines: lazy binding let it load and die at its first
   * document; bound at load, the loader's message names the symbol */
  f = find_failure (reg, "broken-lazy");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "undefined symbol: quarry_document_frobnicate"));
  g_assert_nonnull (strstr (f->hint, "-Wl,-z,defs"));

  /* the plugin's own tables are blamed on the plugin, every bad entry at once */
  f = find_failure (reg, "broken-options");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "plugin 'broken-options': "));
  {
    static const char *const expected[] = {
      "requires[1] 'layers:entity' is not layer:NAME, field:NAME, entities or summary",
      "requires[2] 'entity' is not layer:NAME",
      "requires[3] 'field:' is not layer:NAME",
      "option 'limit' default 50 is outside 1..10",
      "option 'ratio' default 'half' is not a number",
      "option 'mode' default 'slow' is not one of its choices",
      "option 'flag' default 'maybe' is not true or false",
      "option 'span' has min 1 above max 0",
    };
    for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
      g_assert_nonnull (strstr (f->reason, expected[i]));
    g_assert_null (strstr (f->reason, "'fine'"));
    g_assert_null (strstr (f->reason, "requires[0]"));
    g_assert_nonnull (strstr (f->hint, "fix the plugin's descriptor"));
  }

  f = find_failure (reg, "not-a-module");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "cannot load"));

  /* cut short or empty: refused from its headers before dlopen (which died with SIGBUS) */
  f = find_failure (reg, "broken-truncated");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "is cut short"));
  g_assert_nonnull (strstr (f->hint, "rebuild or reinstall"));
  f = find_failure (reg, "broken-empty");
  g_assert_nonnull (f);
  g_assert_nonnull (strstr (f->reason, "is empty (0 bytes)"));

  /* the rest keep working: the good plugins on the path load, as does broken-setup (its set-up fails later) */
  g_assert_nonnull (quarry_registry_lookup (reg, "test-replace", &error));
  g_assert_no_error (error);
  g_assert_nonnull (quarry_registry_lookup (reg, "broken-setup", &error));
  g_assert_no_error (error);

  /* looking up a plugin that failed names the failure */
  g_assert_null (quarry_registry_lookup (reg, "broken-abi", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "failed to load"));
  g_clear_error (&error);
}

static void
test_registry_explicit_file (void)
{
  g_autoptr(QuarryRegistry) reg = quarry_registry_new ();
  g_autofree char *dir = broken_dir ();
  g_autofree char *file = g_build_filename (dir, "broken-abi.la", NULL);
  GError *error = NULL;

  g_assert_null (quarry_registry_load_file (reg, file, &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_ABI);
  g_clear_error (&error);
  g_assert_null (quarry_registry_load_file (reg, "/nonexistent/plugin.so", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_LOAD);
  g_clear_error (&error);
}

static void
test_descriptor_check (void)
{
  QuarryPluginDescriptor d = { 0 };
  GError *error = NULL;

  d.abi_major = QUARRY_PLUGIN_ABI_MAJOR;
  d.abi_minor = QUARRY_PLUGIN_ABI_MINOR + 1;
  d.struct_size = sizeof d;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_ABI);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_clear_error (&error);

  d.abi_minor = 0;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID);
  g_clear_error (&error);

  d.name = "bad name!";
  d.version = "1";
  d.process = (QuarryPluginProcessFunc) 1;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID);
  g_clear_error (&error);

  d.name = "good";
  d.struct_size = 8;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID);
  g_clear_error (&error);

  d.struct_size = sizeof d;
  g_assert_true (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_no_error (error);

  /* what is missing, by name */
  d.version = NULL;
  d.process = NULL;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_cmpstr (error->message, ==, "x.so: the descriptor of plugin 'good' lacks a version (.version), "
                                       "a process callback (.process)");
  g_clear_error (&error);
  d.name = NULL;
  d.version = "1";
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_cmpstr (error->message, ==, "x.so: the descriptor lacks a name (.name), a process callback (.process)");
  g_clear_error (&error);
  d.name = "good";
  d.process = (QuarryPluginProcessFunc) 1;

  /* a 1.1 descriptor loads (its reserved tail is zero); one that declares 1.1 but
   * sets a 1.2 callback is refused rather than having it silently not called */
  d.abi_minor = 1;
  g_assert_true (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_no_error (error);
  d.worker_setup = (QuarryPluginWorkerSetupFunc) 1;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "which need plugin ABI 1.2, but declares ABI 1.1"));
  g_clear_error (&error);
  d.abi_minor = 2;
  g_assert_true (quarry_descriptor_check (&d, "x.so", &error));
  d.worker_setup = NULL;
  d.worker_teardown = (QuarryPluginWorkerTeardownFunc) 1;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_nonnull (strstr (error->message, "has a worker_teardown but no worker_setup"));
  g_clear_error (&error);

  /* a descriptor that ends before the 1.2 fields (its size says so) loads, and they are not read */
  d.struct_size = G_STRUCT_OFFSET (QuarryPluginDescriptor, worker_setup);
  g_assert_true (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_no_error (error);
  g_assert_false (QUARRY_DESCRIPTOR_HAS_1_2 (&d));
  d.struct_size = G_STRUCT_OFFSET (QuarryPluginDescriptor, worker_setup) - 1;
  g_assert_false (quarry_descriptor_check (&d, "x.so", &error));
  g_assert_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID);
  g_clear_error (&error);
}

/* ---- ABI discipline ---- */

/* the compile-time checks, against hand-written versions */
G_STATIC_ASSERT (QUARRY_CHECK_VERSION (0, 2, 0));
G_STATIC_ASSERT (QUARRY_CHECK_VERSION (QUARRY_MAJOR_VERSION, QUARRY_MINOR_VERSION, QUARRY_MICRO_VERSION));
G_STATIC_ASSERT (!QUARRY_CHECK_VERSION (QUARRY_MAJOR_VERSION, QUARRY_MINOR_VERSION, QUARRY_MICRO_VERSION + 1));
G_STATIC_ASSERT (!QUARRY_CHECK_VERSION (QUARRY_MAJOR_VERSION, QUARRY_MINOR_VERSION + 1, 0));
G_STATIC_ASSERT (!QUARRY_CHECK_VERSION (QUARRY_MAJOR_VERSION + 1, 0, 0));
G_STATIC_ASSERT (QUARRY_PLUGIN_ABI_CHECK (1, 0) && QUARRY_PLUGIN_ABI_CHECK (1, 2));
G_STATIC_ASSERT (!QUARRY_PLUGIN_ABI_CHECK (1, QUARRY_PLUGIN_ABI_MINOR + 1) && !QUARRY_PLUGIN_ABI_CHECK (2, 0));
/* what this file does not define defaults to the headers' own minor */
G_STATIC_ASSERT (QUARRY_PLUGIN_ABI_REQUIRED_MINOR == QUARRY_PLUGIN_ABI_MINOR);

static void
test_abi_declared (void)
{
  g_autoptr(QuarryRegistry) reg = quarry_registry_new ();
  GError *error = NULL;
  const QuarryPlugin *needs, *worker;

  /* test-needs declares it needs only 1.0 and loads; test-worker uses 1.2 and says so */
  needs = quarry_registry_lookup (reg, "test-needs", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (needs->desc->abi_minor, ==, 0);
  worker = quarry_registry_lookup (reg, "test-worker", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (worker->desc->abi_minor, ==, 2);
}

/* pkg-config --variable=plugin_abi quarry, from the build tree's quarry.pc */
static void
test_abi_pkg_config (void)
{
  g_autofree char *top = g_test_build_filename (G_TEST_BUILT, "..", NULL);
  g_autofree char *out = NULL, *err = NULL, *want = NULL;
  const char *argv[] = { "pkg-config", "--variable=plugin_abi", "quarry", NULL };
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "PKG_CONFIG_PATH", top, TRUE);
  gint status = 0;
  GError *error = NULL;

  g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  want = g_strdup_printf ("%d.%d\n", QUARRY_PLUGIN_ABI_MAJOR, QUARRY_PLUGIN_ABI_MINOR);
  g_assert_cmpstr (out, ==, want);
}

/* ---- config ---- */

static QuarryConfig *
load (const char *ini, const char *const *overrides, GError **error)
{
  return quarry_config_new_from_data (ini, -1, "t.ini", "/base", registry, overrides, error);
}

/* Asserts the config fails with code and a message holding every needle. */
static void
assert_config_error (const char *ini, const char *const *overrides, gint code, ...)
{
  GError *error = NULL;
  QuarryConfig *cfg = load (ini, overrides, &error);
  va_list ap;
  const char *needle;

  g_assert_null (cfg);
  g_assert_error (error, QUARRY_CONFIG_ERROR, code);
  va_start (ap, code);
  while ((needle = va_arg (ap, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_test_fail_printf ("message «%s» lacks «%s»", error->message, needle);
  va_end (ap);
  g_error_free (error);
}

static const char *const good_ini =
  "# a comment\n"
  "[pipeline]\n"
  "stages = test-replace;test-needs\n"
  "\n"
  "[test-replace]\n"
  "find = x\n"
  "count = 3\n"
  "file = kb/aliases.tsv\n"
  "files = a.tsv; /abs/b.tsv ;; ../c.tsv\n";

static void
test_config_ok (void)
{
  GError *error = NULL;
  g_autoptr(QuarryConfig) cfg = load (good_ini, NULL, &error);
  QuarryStage *st;

  g_assert_no_error (error);
  g_assert_cmpuint (quarry_config_get_n_stages (cfg), ==, 2);
  st = quarry_config_get_stage (cfg, 0);
  g_assert_cmpstr (quarry_stage_get_name (st), ==, "test-replace");
  g_assert_cmpstr (quarry_stage_get_string (st, "find"), ==, "x");
  g_assert_cmpstr (quarry_stage_get_string (st, "replace"), ==, "A");  /* default */
  g_assert_cmpint (quarry_stage_get_int (st, "count"), ==, 3);
  g_assert_cmpfloat (quarry_stage_get_double (st, "ratio"), ==, 0.5);
  g_assert_false (quarry_stage_get_bool (st, "flag"));
  g_assert_cmpstr (quarry_stage_get_strv (st, "words")[1], ==, "y");
  g_assert_cmpstr (quarry_stage_get_string (st, "file"), ==, "/base/kb/aliases.tsv");
  {
    /* each relative name against the config's folder, empty items dropped */
    const char *const *files = quarry_stage_get_strv (st, "files");
    g_assert_cmpuint (g_strv_length ((char **) files), ==, 3);
    g_assert_cmpstr (files[0], ==, "/base/a.tsv");
    g_assert_cmpstr (files[1], ==, "/abs/b.tsv");
    g_assert_cmpstr (files[2], ==, "/c.tsv");
  }
  g_assert_null (quarry_stage_get_string (st, "fail-id"));
  g_assert_cmpint (quarry_stage_get_on_error (st), ==, QUARRY_ON_ERROR_SKIP);
  g_assert_cmpuint (strlen (quarry_config_get_hash (cfg)), ==, 64);
  g_assert_nonnull (strstr (quarry_config_get_canonical (cfg), "[test-replace]\non-error=skip\nfind=x\nreplace=A\n"));
}

static void
test_config_unknown_key (void)
{
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\nfind=x\nrepalce=y\n", NULL,
                       QUARRY_CONFIG_ERROR_UNKNOWN_KEY, "t.ini:5", "'repalce'", "did you mean 'replace'?", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace\nstage=x\n", NULL,
                       QUARRY_CONFIG_ERROR_UNKNOWN_KEY, "t.ini:3", "did you mean 'stages'?", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\nzzzzzzzzzz=1\n", NULL,
                       QUARRY_CONFIG_ERROR_UNKNOWN_KEY, "valid: on-error, find", NULL);
}

static void
test_config_unknown_group (void)
{
  assert_config_error ("[pipeline]\nstages=test-replace\n\n[test-replac]\nfind=x\n", NULL,
                       QUARRY_CONFIG_ERROR_UNKNOWN_GROUP, "t.ini:4", "[test-replac]", "did you mean 'test-replace'?", NULL);
}

static void
test_config_unknown_plugin (void)
{
  assert_config_error ("[pipeline]\nstages=test-replase\n", NULL,
                       QUARRY_CONFIG_ERROR_UNKNOWN_PLUGIN, "t.ini:2", "no plugin named 'test-replase'",
                       "did you mean 'test-replace'?", NULL);
}

static void
test_config_bad_values (void)
{
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\ncount=three\n", NULL,
                       QUARRY_CONFIG_ERROR_BAD_VALUE, "t.ini:4", "not a whole number", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\ncount=11\n", NULL,
                       QUARRY_CONFIG_ERROR_BAD_VALUE, "out of range", "from 1 to 10", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\nratio=1.5\n", NULL,
                       QUARRY_CONFIG_ERROR_BAD_VALUE, "out of range", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\nflag=maybe\n", NULL,
                       QUARRY_CONFIG_ERROR_BAD_VALUE, "not a boolean", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\nmode=slwo\n", NULL,
                       QUARRY_CONFIG_ERROR_BAD_VALUE, "did you mean 'slow'?", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace\n[test-replace]\non-error=explode\n", NULL,
                       QUARRY_CONFIG_ERROR_BAD_VALUE, "'explode' is not an allowed value", "skip, drop, fail", NULL);
}

static void
test_config_structure (void)
{
  assert_config_error ("[test-replace]\nfind=x\n", NULL, QUARRY_CONFIG_ERROR_NO_PIPELINE, "no [pipeline]", NULL);
  assert_config_error ("[pipeline]\nstages=\n", NULL, QUARRY_CONFIG_ERROR_NO_PIPELINE, "no stages", NULL);
  assert_config_error ("[pipeline]\nstages=test-replace;test-replace\n", NULL, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                       "appears twice", "a:test-replace", NULL);
  assert_config_error ("[pipeline\nstages=x\n", NULL, QUARRY_CONFIG_ERROR_PARSE, "t.ini", NULL);
  /* an empty label used to drop the stage silently; a label that is no group name
   * made a canonical text that could not be read back (found by fuzz-config) */
  assert_config_error ("[pipeline]\nstages = :test-replace;test-needs\n", NULL, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                       "t.ini:2:", "':test-replace' has an empty or invalid name", NULL);
  assert_config_error ("[pipeline]\nstages = a[:test-replace\n", NULL, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                       "'a[:test-replace' has an empty or invalid name", "NAME:PLUGIN", NULL);
  assert_config_error ("[pipeline]\nstages = a:\n", NULL, QUARRY_CONFIG_ERROR_NO_PIPELINE, "'a:' names no plugin", NULL);
  assert_config_error ("[pipeline]\nstages = test-replace\n# caf\xff\n", NULL, QUARRY_CONFIG_ERROR_PARSE,
                       "t.ini:3: not valid UTF-8", "save the config as UTF-8", NULL);
}

static void
test_config_requirement (void)
{
  assert_config_error ("[pipeline]\nstages=test-needs;test-replace\n", NULL, QUARRY_CONFIG_ERROR_REQUIREMENT,
                       "stage 'test-needs' requires 'layer:replaced'", "put a stage of test-replace before it", NULL);
  /* every unmet requirement at once */
  assert_config_error ("[pipeline]\nstages=a:test-needs;b:test-needs;test-replace\n", NULL, QUARRY_CONFIG_ERROR_REQUIREMENT,
                       "t.ini:2: stage 'a' requires 'layer:replaced', which no earlier stage provides; put a stage of "
                       "test-replace before it; stage 'b' requires 'layer:replaced'", NULL);
}

static void
test_config_override (void)
{
  const char *const sets[] = { "test-replace.find=zz", "test-replace.count=2", NULL };
  const char *const bad[] = { "find=zz", NULL };
  const char *const typo[] = { "test-replace.fnd=zz", NULL };
  GError *error = NULL;
  g_autoptr(QuarryConfig) cfg = load (good_ini, sets, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (quarry_stage_get_string (quarry_config_get_stage (cfg, 0), "find"), ==, "zz");
  g_assert_cmpint (quarry_stage_get_int (quarry_config_get_stage (cfg, 0), "count"), ==, 2);
  assert_config_error (good_ini, bad, QUARRY_CONFIG_ERROR_BAD_OVERRIDE, "STAGE.KEY=VALUE", NULL);
  assert_config_error (good_ini, typo, QUARRY_CONFIG_ERROR_UNKNOWN_KEY, "--set test-replace.fnd", "did you mean 'find'?", NULL);
}

static void
test_config_hash (void)
{
  g_autoptr(QuarryConfig) a = load (good_ini, NULL, NULL);
  /* same meaning, other spelling: keys reordered, spaces, a default written out */
  g_autoptr(QuarryConfig) b = load ("[pipeline]\nstages = test-replace ; test-needs\n[test-replace]\n"
                                    "files = ./a.tsv ;/abs/b.tsv;kb/../../c.tsv\n"
                                    "file=kb/aliases.tsv\ncount = 3\nreplace = A\nfind = x\n", NULL, NULL);
  const char *const sets[] = { "test-replace.count=4", NULL };
  g_autoptr(QuarryConfig) c = load (good_ini, sets, NULL);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_nonnull (c);
  g_assert_cmpstr (quarry_config_get_canonical (a), ==, quarry_config_get_canonical (b));
  g_assert_cmpstr (quarry_config_get_hash (a), ==, quarry_config_get_hash (b));
  g_assert_cmpstr (quarry_config_get_hash (a), !=, quarry_config_get_hash (c));

  {
    /* a --set path was typed in a shell: relative to the current folder, not the config's */
    const char *const paths[] = { "test-replace.file=x.tsv", "test-replace.files=y.tsv;/z.tsv", NULL };
    g_autoptr(QuarryConfig) d = load (good_ini, paths, NULL);
    g_autofree char *cwd = g_get_current_dir ();
    g_autofree char *x = g_build_filename (cwd, "x.tsv", NULL), *y = g_build_filename (cwd, "y.tsv", NULL);
    QuarryStage *st = quarry_config_get_stage (d, 0);
    g_assert_cmpstr (quarry_stage_get_string (st, "file"), ==, x);
    g_assert_cmpstr (quarry_stage_get_strv (st, "files")[0], ==, y);
    g_assert_cmpstr (quarry_stage_get_strv (st, "files")[1], ==, "/z.tsv");
  }
}

static void
test_config_named_stages (void)
{
  GError *error = NULL;
  g_autoptr(QuarryConfig) cfg = load ("[pipeline]\nstages=one:test-replace;two:test-replace\n[two]\nfind=b\n", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (quarry_stage_get_name (quarry_config_get_stage (cfg, 1)), ==, "two");
  g_assert_cmpstr (quarry_stage_get_string (quarry_config_get_stage (cfg, 1), "find"), ==, "b");
  g_assert_cmpstr (quarry_stage_get_string (quarry_config_get_stage (cfg, 0), "find"), ==, "a");
}

static void
test_config_file_errors (void)
{
  GError *error = NULL;
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "quarry-test-binary.ini", NULL);

  g_assert_null (quarry_config_new_from_file ("/nonexistent/q.ini", registry, NULL, &error));
  g_assert_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "/nonexistent/q.ini"));
  g_clear_error (&error);

  g_file_set_contents (path, "[pipeline]\nstages=\xFF\n", -1, NULL);
  g_assert_null (quarry_config_new_from_file (path, registry, NULL, &error));
  g_assert_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  registry = quarry_registry_new ();
  g_test_add_func ("/registry/failures", test_registry_failures);
  g_test_add_func ("/registry/explicit-file", test_registry_explicit_file);
  g_test_add_func ("/registry/descriptor-check", test_descriptor_check);
  g_test_add_func ("/abi/declared", test_abi_declared);
  g_test_add_func ("/abi/pkg-config", test_abi_pkg_config);
  g_test_add_func ("/config/ok", test_config_ok);
  g_test_add_func ("/config/unknown-key", test_config_unknown_key);
  g_test_add_func ("/config/unknown-group", test_config_unknown_group);
  g_test_add_func ("/config/unknown-plugin", test_config_unknown_plugin);
  g_test_add_func ("/config/bad-values", test_config_bad_values);
  g_test_add_func ("/config/structure", test_config_structure);
  g_test_add_func ("/config/requirement", test_config_requirement);
  g_test_add_func ("/config/override", test_config_override);
  g_test_add_func ("/config/hash", test_config_hash);
  g_test_add_func ("/config/named-stages", test_config_named_stages);
  g_test_add_func ("/config/file-errors", test_config_file_errors);
  ret = g_test_run ();
  quarry_registry_free (registry);
  return ret;
}
