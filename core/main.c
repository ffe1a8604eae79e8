/* main.c: the `quarry` command: run, inspect, validate, config, view, new-plugin. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "pipeline.h"
#include "registry.h"
#include "run.h"
#include "view.h"
#include "shard.h"

static char **opt_plugin_path;

static const char *const summary_text =
  "Commands:\n"
  "  run [-c CONFIG] [-o OUT] [--dead-letter FILE] [--set K=V]... [-j N] [--report FILE] [--resume] [--shard K/N] INPUT...\n"
  "                         run a pipeline over files, folders, *.jsonl or - (JSON Lines on stdin)\n"
  "  inspect [PLUGIN]       list the plugins found (and those that failed to load), or one plugin's options\n"
  "  validate [CONFIG]      check a config against the plugins; exit 0 if it is valid\n"
  "  config [CONFIG]        print the resolved config (defaults filled in) and its SHA-256\n"
  "  merge OUT SHARD...     merge the outputs of quarry run --shard K/N into what one run would have written\n"
  "  view [-o OUT.html] [--layers L,...] [--limit N] [--report REPORT.json] RECORDS.jsonl [ID...]\n"
  "                         one self-contained HTML page showing records (text, spans, header, summary) or a run report\n"
  "  new-plugin NAME [DIR]  write a new plugin project NAME (source, test, both builds) into DIR (default ./NAME)\n"
  "\n"
  "Without -c/CONFIG the default config is used: $QUARRY_CONFIG_DIR/cables.ini, else the installed one.\n"
  "Plugins are searched in --plugin-path folders, then $QUARRY_PLUGIN_PATH, then " QUARRY_PLUGIN_DIR ".\n"
  "\n"
  "Exit codes: 0 done, every document in the output; 1 usage, config, plugin or set-up error;\n"
  "2 done, some documents in the dead-letter output; 3 a stage with on-error=fail stopped the run;\n"
  "4 interrupted (SIGINT/SIGTERM), in-flight documents finished and flushed; 5 output could not be written\n"
  "(the records before the failure are whole: make room and rerun with --resume).";

static QuarryRegistry *
make_registry (void)
{
  QuarryRegistry *reg = quarry_registry_new ();

  for (guint i = 0; opt_plugin_path != NULL && opt_plugin_path[i] != NULL; i++)
    quarry_registry_add_path (reg, opt_plugin_path[i]);
  return reg;
}

static char *
default_config_path (void)
{
  const char *dir = g_getenv ("QUARRY_CONFIG_DIR");

  return g_build_filename (dir != NULL && dir[0] != '\0' ? dir : QUARRY_CONFIG_DIR, "cables.ini", NULL);
}

static QuarryConfig *
load_config (QuarryRegistry *reg, const char *path, char **overrides)
{
  g_autofree char *def = NULL;
  GError *error = NULL;
  QuarryConfig *cfg;

  if (path == NULL)
    path = def = default_config_path ();
  cfg = quarry_config_new_from_file (path, reg, (const char *const *) overrides, &error);
  if (cfg == NULL)
    {
      g_printerr ("quarry: %s\n", error->message);
      g_error_free (error);
    }
  return cfg;
}

static gboolean
parse_options (GOptionContext *ctx, int *argc, char ***argv)
{
  GError *error = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("quarry: %s; see --help\n", error->message);
      g_error_free (error);
      return FALSE;
    }
  return TRUE;
}

static const GOptionEntry common_entries[] = {
  { "plugin-path", 'P', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_plugin_path, "Also search FOLDER for plugins (first)", "FOLDER" },
  { NULL }
};

/* ---- run ---- */

/* "300M", "2G", "1000000": bytes; 0 means no limit. */
static gboolean
parse_size (const char *text, gint64 *bytes)
{
  char *end = NULL;
  guint64 v;
  int shift = 0;

  errno = 0;
  v = g_ascii_strtoull (text, &end, 10);
  if (end == text || errno != 0)
    return FALSE;
  switch (g_ascii_toupper (*end))
    {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: break;
    }
  if (*end == 'B' || *end == 'b')
    end++;
  if (*end != '\0' || v > ((guint64) G_MAXINT64 >> shift))
    return FALSE;
  *bytes = (gint64) (v << shift);
  return TRUE;
}

/* Refuses, before anything is written, outputs that would overwrite an input or each other. */
static gboolean
check_outputs (const char *const *inputs, const char *output, const char *dead, const char *report, const char *manifest)
{
  const char *const files[] = { output, dead, report, manifest };
  const char *const what[] = { "output", "dead-letter file", "report", "shard manifest" };
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      if (files[i] == NULL || g_str_equal (files[i], "-"))
        continue;
      if (!quarry_input_check_output (inputs, files[i], what[i], &error))
        {
          g_printerr ("quarry run: %s\n", error->message);
          g_error_free (error);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (files[j] != NULL && !g_str_equal (files[j], "-") && quarry_input_same_file (files[i], files[j]))
          {
            g_printerr ("quarry run: the %s %s is also the %s: two writers would mix their records; give them different files\n",
                        what[i], files[i], what[j]);
            return FALSE;
          }
    }
  return TRUE;
}

static int
cmd_run (int argc, char **argv)
{
  g_autofree char *config = NULL, *output = NULL, *dead = NULL, *report = NULL, *max_bytes_text = NULL;
  g_autofree char *shard_text = NULL, *manifest = NULL;
  guint shard_k = 0, shard_n = 0;
  QuarryInputShard shard = { 0 };
  QuarryRunResult result = { 0 };
  g_auto(GStrv) sets = NULL;
  g_autofree char *isolation = NULL;
  gint jobs = 0, doc_timeout = 0;
  gint64 max_bytes = QUARRY_INPUT_DEFAULT_MAX_BYTES;
  gboolean quiet = FALSE, no_progress = FALSE, resume = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Pipeline config (default: cables.ini)", "CONFIG" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write JSON Lines here (default: stdout)", "OUT" },
    { "dead-letter", 0, 0, G_OPTION_ARG_FILENAME, &dead, "Write documents that failed here (default: OUT.dead.jsonl, or quarry-dead-letter.jsonl)", "FILE" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override an option: STAGE.KEY=VALUE (repeatable)", "K=V" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Workers, processes or threads (default: number of cores); output order never changes", "N" },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &report, "Write a JSON run report (counts, times, per-stage throughput)", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress or summary on stderr", NULL },
    { "no-progress", 0, 0, G_OPTION_ARG_NONE, &no_progress, "No progress line even on a terminal", NULL },
    { "isolation", 0, 0, G_OPTION_ARG_STRING, &isolation, "Run stages in worker processes (a crash or hang costs one document) or threads (default, unless a time limit is set)", "processes|threads" },
    { "document-timeout", 0, 0, G_OPTION_ARG_INT, &doc_timeout, "Dead-letter a document that takes longer than MS milliseconds (processes only)", "MS" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue an interrupted run: keep the records OUT holds, run the rest", NULL },
    { "max-document-bytes", 0, 0, G_OPTION_ARG_STRING, &max_bytes_text,
      "Dead-letter documents larger than this, unread (default 256M; suffixes K, M, G; 0: no limit)", "SIZE" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_text,
      "Run only shard K of N (1 <= K <= N): a contiguous share of the inputs; writes OUT.shard.json for quarry merge", "K/N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("INPUT... - run a pipeline");
  g_autoptr(QuarryRegistry) reg = NULL;
  g_autoptr(QuarryInput) input = NULL;
  QuarryPipeline *pipeline;
  QuarryConfig *cfg;
  QuarryRunOptions ro = { 0 };
  GError *error = NULL;
  int out_fd = STDOUT_FILENO;
  int code;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_main_entries (ctx, common_entries, NULL);
  g_option_context_set_description (ctx, summary_text);
  if (!parse_options (ctx, &argc, &argv))
    return QUARRY_EXIT_USAGE;
  if (argc < 2)
    {
      g_printerr ("quarry run: no input; name files, folders, *.jsonl, or - for JSON Lines on stdin (see quarry run --help)\n");
      return QUARRY_EXIT_USAGE;
    }
  if (jobs < 0 || jobs > 1024)
    {
      g_printerr ("quarry run: --jobs %d is out of range; use 1 to 1024\n", jobs);
      return QUARRY_EXIT_USAGE;
    }

  if (isolation != NULL && !g_str_equal (isolation, "processes") && !g_str_equal (isolation, "threads"))
    {
      g_printerr ("quarry run: --isolation %s is not known; use processes or threads\n", isolation);
      return QUARRY_EXIT_USAGE;
    }
  ro.isolation = isolation != NULL && g_str_equal (isolation, "processes") ? QUARRY_ISOLATION_PROCESSES : QUARRY_ISOLATION_THREADS;
  if (doc_timeout < 0 || (doc_timeout > 0 && isolation != NULL && ro.isolation == QUARRY_ISOLATION_THREADS))
    {
      g_printerr (doc_timeout < 0 ? "quarry run: --document-timeout %d is negative; give milliseconds, or 0 for no limit\n"
                                  : "quarry run: --document-timeout %d needs --isolation=processes: a thread cannot be stopped\n",
                  doc_timeout);
      return QUARRY_EXIT_USAGE;
    }
  if (resume && (output == NULL || g_str_equal (output, "-")))
    {
      g_printerr ("quarry run: --resume continues the output file of an earlier run; name it with -o OUT\n");
      return QUARRY_EXIT_USAGE;
    }
  if (max_bytes_text != NULL && !parse_size (max_bytes_text, &max_bytes))
    {
      g_printerr ("quarry run: --max-document-bytes '%s' is not a size; write e.g. 300M, 2G or 1000000\n", max_bytes_text);
      return QUARRY_EXIT_USAGE;
    }
  if (shard_text != NULL)
    {
      if (!quarry_shard_parse (shard_text, &shard_k, &shard_n, &error))
        {
          g_printerr ("quarry run: %s\n", error->message);
          g_error_free (error);
          return QUARRY_EXIT_USAGE;
        }
      if (output == NULL || g_str_equal (output, "-"))
        {
          g_printerr ("quarry run: --shard %s writes a manifest beside its output for quarry merge; name the output with -o OUT\n", shard_text);
          return QUARRY_EXIT_USAGE;
        }
      for (int i = 1; i < argc; i++)
        if (g_str_equal (argv[i], "-"))
          {
            g_printerr ("quarry run: --shard cannot split stdin (-): a stream has no size to share out; split it before Quarry (GNU parallel --pipe, Hadoop, Spark: see README, Scaling out) or name the files\n");
            return QUARRY_EXIT_USAGE;
          }
      manifest = quarry_shard_manifest_path (output);
    }
  if (dead == NULL)
    dead = output != NULL && !g_str_equal (output, "-") ? g_strconcat (output, ".dead.jsonl", NULL)
                                                        : g_strdup ("quarry-dead-letter.jsonl");
  if (!check_outputs ((const char *const *) argv + 1, output, dead, report, manifest))
    return QUARRY_EXIT_USAGE;

  reg = make_registry ();
  cfg = load_config (reg, config, sets);
  if (cfg == NULL)
    return QUARRY_EXIT_USAGE;
  pipeline = quarry_pipeline_new (cfg, &error);
  if (pipeline == NULL)
    {
      g_printerr ("quarry: %s\n", error->message);
      g_error_free (error);
      return QUARRY_EXIT_USAGE;
    }

  if (output != NULL && !g_str_equal (output, "-"))
    {
      /* --resume reads what the earlier run wrote before going on after it */
      out_fd = open (output, (resume ? O_RDWR : O_WRONLY | O_TRUNC) | O_CREAT | O_CLOEXEC, 0666);
      if (out_fd < 0)
        {
          g_printerr ("quarry: cannot write %s: %s\n", output, g_strerror (errno));
          quarry_pipeline_free (pipeline);
          return QUARRY_EXIT_USAGE;
        }
    }
  input = quarry_input_new ((const char *const *) argv + 1);
  quarry_input_set_max_bytes (input, max_bytes);
  quarry_input_set_stop_check (input, quarry_run_stop_requested);
  quarry_input_exclude (input, output);
  quarry_input_exclude (input, dead);
  quarry_input_exclude (input, report);
  if (manifest != NULL)
    {
      /* the manifest there is always this run's: an earlier one must not vouch for
       * an output this run is about to rewrite */
      if (g_unlink (manifest) != 0 && errno != ENOENT)
        g_printerr ("quarry: cannot remove the earlier run's manifest %s: %s\n", manifest, g_strerror (errno));
      quarry_input_exclude (input, manifest);
      quarry_input_set_shard (input, shard_k, shard_n, &shard);
      ro.result = &result;
    }
  ro.jobs = jobs > 0 ? (guint) jobs : g_get_num_processors ();
  ro.out_fd = out_fd;
  ro.out_name = out_fd == STDOUT_FILENO ? "<stdout>" : output;
  ro.resume = resume;
  ro.document_timeout_ms = doc_timeout;
  ro.dead_letter_path = dead;
  ro.report_path = report;
  ro.quiet = quiet;
  ro.progress = !quiet && !no_progress && isatty (STDERR_FILENO);
  ro.total_bytes = ro.progress ? quarry_input_total_bytes ((const char *const *) argv + 1) : -1;
  /* threads by default (worker processes cost about a fifth more CPU: bench/RESULTS.md);
   * a time limit needs processes, since a thread cannot be stopped */
  if (isolation == NULL && doc_timeout > 0)
    ro.isolation = QUARRY_ISOLATION_PROCESSES;
  for (guint i = 0; i < quarry_config_get_n_stages (cfg); i++)
    if (quarry_stage_get_int (quarry_config_get_stage (cfg, i), "timeout-ms") > 0)
      {
        if (isolation == NULL)
          ro.isolation = QUARRY_ISOLATION_PROCESSES;
        else if (ro.isolation == QUARRY_ISOLATION_THREADS)
          g_printerr ("quarry: warning: timeout-ms of stage '%s' is not enforced with --isolation=threads\n",
                      quarry_stage_get_name (quarry_config_get_stage (cfg, i)));
      }
  code = quarry_run (pipeline, input, &ro);
  /* a manifest only for a shard that wrote every document: merge takes no other */
  if (manifest != NULL && (code == QUARRY_EXIT_OK || code == QUARRY_EXIT_DEAD_LETTERS)
      && !quarry_shard_write_manifest (output, shard_k, shard_n, &shard, pipeline, (const char *const *) argv + 1,
                                       &result, dead, report, &error))
    {
      g_printerr ("quarry: %s\n", error->message);
      g_clear_error (&error);
      code = QUARRY_EXIT_IO;
    }
  quarry_run_result_clear (&result);
  /* quarry_run closed nothing: its output checked every write and synced the file */
  if (out_fd != STDOUT_FILENO && close (out_fd) != 0 && code != QUARRY_EXIT_IO)
    {
      g_printerr ("quarry: cannot close %s: %s\n", output, g_strerror (errno));
      code = QUARRY_EXIT_IO;
    }
  quarry_pipeline_free (pipeline);
  return code;
}

/* ---- merge ---- */

static int
cmd_merge (int argc, char **argv)
{
  g_autofree char *dead = NULL, *report = NULL;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "dead-letter", 0, 0, G_OPTION_ARG_FILENAME, &dead, "Write the shards' dead letters here (default: OUT.dead.jsonl)", "FILE" },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &report, "Merge the shards' run reports into FILE (each shard run with --report)", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary on stderr", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("OUT SHARD... - merge the outputs of quarry run --shard K/N, in shard order");

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, summary_text);
  if (!parse_options (ctx, &argc, &argv))
    return QUARRY_EXIT_USAGE;
  if (argc < 3)
    {
      g_printerr ("quarry merge: name the merged output and then every shard's output: quarry merge OUT SHARD... (see quarry merge --help)\n");
      return QUARRY_EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "-"))
    {
      g_printerr ("quarry merge: the merged output must be a file (it is written whole, then renamed into place); name it instead of -\n");
      return QUARRY_EXIT_USAGE;
    }
  if (dead == NULL)
    dead = g_strconcat (argv[1], ".dead.jsonl", NULL);
  return quarry_shard_merge (argv[1], (const char *const *) argv + 2, dead, report, quiet);
}

/* ---- inspect ---- */

static void
print_strv (const char *label, const char *const *v)
{
  g_print ("  %-9s", label);
  if (v == NULL || v[0] == NULL)
    g_print (" (nothing)");
  for (guint i = 0; v != NULL && v[i] != NULL; i++)
    g_print (" %s", v[i]);
  g_print ("\n");
}

static int
cmd_inspect (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("[PLUGIN] - list plugins, or show one plugin's options");
  g_autoptr(QuarryRegistry) reg = NULL;
  g_autoptr(GPtrArray) all = NULL;
  const GPtrArray *failures;

  g_option_context_add_main_entries (ctx, common_entries, NULL);
  g_option_context_set_description (ctx, summary_text);
  if (!parse_options (ctx, &argc, &argv))
    return QUARRY_EXIT_USAGE;
  reg = make_registry ();

  if (argc >= 2)
    {
      GError *error = NULL;
      const QuarryPlugin *p = quarry_registry_lookup (reg, argv[1], &error);
      const QuarryPluginDescriptor *d;
      if (p == NULL)
        {
          g_printerr ("quarry: %s\n", error->message);
          g_error_free (error);
          return QUARRY_EXIT_USAGE;
        }
      d = p->desc;
      g_print ("%s %s: %s\n  file      %s\n  abi       %u.%u\n", d->name, d->version,
               d->description ? d->description : "", p->file, d->abi_major, d->abi_minor);
      print_strv ("requires", d->requires);
      print_strv ("provides", d->provides);
      g_print ("\nOptions ([%s] group of a config, or --set %s.KEY=VALUE):\n", d->name, d->name);
      g_print ("  %-22s %-9s %-14s %s\n", "on-error", "enum", "skip",
               "skip | drop | fail: when the stage fails on a document, record it and go on, dead-letter the document, or stop the run");
      g_print ("  %-22s %-9s %-14s %s\n", "timeout-ms", "int", "0",
               "longest the stage may take on one document (ms); a worker that overruns it is replaced, the document dead-lettered (0: no limit)");
      for (guint i = 0; d->options != NULL && d->options[i].name != NULL; i++)
        {
          const QuarryOption *o = &d->options[i];
          g_print ("  %-22s %-9s %-14s %s", o->name, quarry_option_type_to_string (o->type),
                   o->default_value ? (o->default_value[0] ? o->default_value : "\"\"") : "(unset)",
                   o->help ? o->help : "");
          if (o->type == QUARRY_OPTION_ENUM)
            {
              g_print (" [");
              for (guint c = 0; o->choices[c] != NULL; c++)
                g_print ("%s%s", c ? " | " : "", o->choices[c]);
              g_print ("]");
            }
          if ((o->type == QUARRY_OPTION_INT || o->type == QUARRY_OPTION_DOUBLE) && o->min < o->max)
            g_print (" [%.15g..%.15g]", o->min, o->max);
          g_print ("\n");
        }
      return QUARRY_EXIT_OK;
    }

  all = quarry_registry_list (reg);
  g_print ("Plugins (%u):\n", all->len);
  for (guint i = 0; i < all->len; i++)
    {
      const QuarryPlugin *p = all->pdata[i];
      g_print ("  %-14s %-8s %s\n  %-14s %-8s %s\n", p->desc->name, p->desc->version,
               p->desc->description ? p->desc->description : "", "", "", p->file);
    }
  failures = quarry_registry_get_failures (reg);
  if (failures->len > 0)
    {
      g_print ("\nFailed to load (%u):\n", failures->len);
      for (guint i = 0; i < failures->len; i++)
        {
          const QuarryLoadFailure *f = failures->pdata[i];
          g_print ("  %s\n    why: %s\n    fix: %s\n", f->file, f->reason, f->hint);
        }
    }
  g_print ("\nSearched:");
  for (guint i = 0; i < quarry_registry_get_paths (reg)->len; i++)
    g_print (" %s", (const char *) quarry_registry_get_paths (reg)->pdata[i]);
  g_print ("\n");
  return QUARRY_EXIT_OK;
}

/* ---- validate / config ---- */

static int
cmd_config (int argc, char **argv, gboolean print)
{
  g_auto(GStrv) sets = NULL;
  GOptionEntry entries[] = {
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override an option: STAGE.KEY=VALUE", "K=V" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (print ? "[CONFIG] - print the resolved config and its hash"
                                                              : "[CONFIG] - check a config");
  g_autoptr(QuarryRegistry) reg = NULL;
  g_autoptr(QuarryConfig) cfg = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_main_entries (ctx, common_entries, NULL);
  g_option_context_set_description (ctx, summary_text);
  if (!parse_options (ctx, &argc, &argv))
    return QUARRY_EXIT_USAGE;
  reg = make_registry ();
  cfg = load_config (reg, argc >= 2 ? argv[1] : NULL, sets);
  if (cfg == NULL)
    return QUARRY_EXIT_USAGE;
  if (print)
    g_print ("# resolved from %s\n# sha256 %s\n%s", quarry_config_get_name (cfg), quarry_config_get_hash (cfg),
             quarry_config_get_canonical (cfg));
  else
    g_print ("%s: valid, %u stages, sha256 %s\n", quarry_config_get_name (cfg), quarry_config_get_n_stages (cfg),
             quarry_config_get_hash (cfg));
  return QUARRY_EXIT_OK;
}

/* ---- view ---- */

static int
cmd_view (int argc, char **argv)
{
  QuarryViewOptions v = { 0 };
  g_autofree char *output = NULL, *layers = NULL, *report = NULL;
  int limit = 0;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the page to FILE (default: stdout)", "FILE" },
    { "layers", 'l', 0, G_OPTION_ARG_STRING, &layers,
      "Span layers to draw, comma-separated; the first is drawn whole and listed (default: entity)", "L,..." },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "Without IDs, show the first N records (default 20)", "N" },
    { "report", 'r', 0, G_OPTION_ARG_FILENAME, &report, "Draw a run report (quarry run --report FILE)", "REPORT.json" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("[RECORDS.jsonl [ID...]] - show records or a run report as HTML");

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "Writes one HTML file with no outside resources: for each record its header fields, its summary\n"
    "with the sentences highlighted in the text, and the text with the spans of the chosen layers\n"
    "(hover or focus a mention for its entity, knowledge-base id and attributes; the list beside the\n"
    "text counts each entity's mentions). The records file is read a line at a time and only the\n"
    "records shown are kept, so a large output is fine. A missing ID is an error and nothing is\n"
    "written. RECORDS - reads standard input.");
  if (!parse_options (ctx, &argc, &argv))
    return QUARRY_EXIT_USAGE;
  if (limit < 0)
    {
      g_printerr ("quarry view: --limit %d: give a positive number of records\n", limit);
      return QUARRY_EXIT_USAGE;
    }
  v.records = argc >= 2 ? argv[1] : NULL;
  v.ids = argc >= 3 ? argv + 2 : NULL;
  v.output = output;
  v.layers = layers;
  v.report = report;
  v.limit = limit;
  return quarry_view (&v);
}

/* ---- new-plugin ---- */

/* A plugin name is also a config group, a file name and (with '_' for '-') a C
 * identifier, so it is stricter than a stage label. */
static gboolean
valid_plugin_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64 || !g_ascii_islower (name[0]) || name[len - 1] == '-')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || (*p == '-' && p[1] != '-')))
      return FALSE;
  return TRUE;
}

/* The template's own name in its spellings, and NAME's. */
static char *
rename_template (const char *text, const char *name)
{
  g_autofree char *ident = g_strdelimit (g_strdup (name), "-", '_');
  g_autofree char *upper = g_ascii_strup (ident, -1);
  g_autoptr(GString) camel = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (text);

  for (const char *p = name; *p; p++)
    if (*p != '-')
      g_string_append_c (camel, (p == name || p[-1] == '-') ? g_ascii_toupper (*p) : *p);
  g_string_replace (out, "my-stage", name, 0);
  g_string_replace (out, "my_stage", ident, 0);
  g_string_replace (out, "MY_STAGE", upper, 0);
  g_string_replace (out, "MyStage", camel->str, 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static int
cmd_new_plugin (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("NAME [DIR] - write a new plugin project from the template");
  const char *env = g_getenv ("QUARRY_TEMPLATE_DIR");
  const char *template = env != NULL && env[0] != '\0' ? env : QUARRY_TEMPLATE_DIR;
  const char *name, *entry;
  g_autofree char *dir = NULL;
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;

  g_option_context_set_description (ctx, "The plugin marks every match of a regular expression as a span of layer NAME;\n"
                                    "its README says how to build, test and install it and what to change.");
  if (!parse_options (ctx, &argc, &argv))
    return QUARRY_EXIT_USAGE;
  if (argc < 2 || argc > 3)
    {
      g_printerr ("quarry new-plugin: give a plugin name and optionally a folder: quarry new-plugin date-spot [DIR]\n");
      return QUARRY_EXIT_USAGE;
    }
  name = argv[1];
  if (!valid_plugin_name (name))
    {
      g_printerr ("quarry new-plugin: '%s' is not a plugin name: use lower-case letters, digits and single '-' "
                  "between them, starting with a letter (e.g. date-spot)\n", name);
      return QUARRY_EXIT_USAGE;
    }
  dir = g_strdup (argc == 3 ? argv[2] : name);
  d = g_dir_open (template, 0, &error);
  if (d == NULL)
    {
      g_printerr ("quarry new-plugin: cannot read the plugin template: %s; reinstall Quarry, or point "
                  "QUARRY_TEMPLATE_DIR at examples/plugin-template of its source\n", error->message);
      g_error_free (error);
      return QUARRY_EXIT_USAGE;
    }
  while ((entry = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (files, g_strdup (entry));
  /* made with mkdir, not mkdir -p, so that an existing folder is never written into */
  if (g_mkdir (dir, 0755) != 0)
    {
      int e = errno;
      g_printerr ("quarry new-plugin: cannot create %s: %s%s\n", dir, g_strerror (e),
                  e == EEXIST ? "; it is never overwritten: choose another folder, or remove it first" : "");
      return QUARRY_EXIT_USAGE;
    }
  for (guint i = 0; i < files->len; i++)
    {
      const char *base = files->pdata[i];
      g_autofree char *from = g_build_filename (template, base, NULL);
      g_autofree char *new_base = rename_template (base, name);
      g_autofree char *to = g_build_filename (dir, new_base, NULL);
      g_autofree char *text = NULL, *renamed = NULL;
      gsize len;

      if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!g_file_get_contents (from, &text, &len, &error) ||
          !g_file_set_contents (to, (renamed = rename_template (text, name)), -1, &error))
        {
          g_printerr ("quarry new-plugin: %s; %s is left incomplete: remove it and try again\n", error->message, dir);
          g_error_free (error);
          return QUARRY_EXIT_USAGE;
        }
    }
  g_print ("wrote plugin %s into %s/ (from %s)\n"
           "  build and test: make -C %s check    (or autoreconf -fi, then configure and make check in a build folder)\n"
           "  try it: quarry run --plugin-path %s -c CONFIG INPUT    (a config with stages = %s)\n"
           "  next: read %s/README.md\n", name, dir, template, dir, dir, name, dir);
  return QUARRY_EXIT_OK;
}

static void
usage (FILE *f)
{
  fprintf (f, "Usage: quarry COMMAND [OPTION...]\n\n%s\n\nquarry COMMAND --help shows a command's options.\n", summary_text);
}

int
main (int argc, char **argv)
{
  const char *cmd;

  setlocale (LC_ALL, "");
  /* Documents are allocated and freed at a high rate in sizes from kilobytes to
   * megabytes; glibc's defaults return that memory to the kernel after each one
   * (brk/munmap plus TLB shootdowns), which cost more than all the parsing. Keep
   * up to 64 MB for reuse instead: bounded, and far below the RSS budget. */
  mallopt (M_MMAP_THRESHOLD, 64 << 20);
  mallopt (M_TRIM_THRESHOLD, 128 << 20);
  if (argc < 2)
    {
      usage (stderr);
      return QUARRY_EXIT_USAGE;
    }
  cmd = argv[1];
  if (g_str_equal (cmd, "--version") || g_str_equal (cmd, "-V"))
    {
      g_print ("quarry %s (plugin ABI %d.%d)\n", quarry_version (), QUARRY_PLUGIN_ABI_MAJOR, QUARRY_PLUGIN_ABI_MINOR);
      return QUARRY_EXIT_OK;
    }
  if (g_str_equal (cmd, "--help") || g_str_equal (cmd, "-h") || g_str_equal (cmd, "help"))
    {
      usage (stdout);
      return QUARRY_EXIT_OK;
    }
  /* the command's own options parser sees "quarry COMMAND" as its program name */
  argv[1] = g_strdup_printf ("quarry %s", cmd);
  argv++;
  argc--;
  if (g_str_equal (cmd, "run"))
    return cmd_run (argc, argv);
  if (g_str_equal (cmd, "inspect"))
    return cmd_inspect (argc, argv);
  if (g_str_equal (cmd, "merge"))
    return cmd_merge (argc, argv);
  if (g_str_equal (cmd, "validate"))
    return cmd_config (argc, argv, FALSE);
  if (g_str_equal (cmd, "config"))
    return cmd_config (argc, argv, TRUE);
  if (g_str_equal (cmd, "view"))
    return cmd_view (argc, argv);
  if (g_str_equal (cmd, "new-plugin"))
    return cmd_new_plugin (argc, argv);
  g_printerr ("quarry: unknown command '%s'; commands are run, merge, inspect, validate, config, view, new-plugin (see quarry --help)\n", cmd);
  return QUARRY_EXIT_USAGE;
}
