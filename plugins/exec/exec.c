/* exec.c: the exec stage plugin: a stage written in any language, as a co-process per worker speaking JSON Lines. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ex-coproc.h"
#include "ex-reply.h"

/* The protocol, for `quarry inspect exec`: the option table is what it prints. */
static const QuarryOption options[] = {
  { "command", QUARRY_OPTION_STRING_LIST, NULL,
    "the program and its arguments (';'-separated, no shell), started once per worker and kept running. "
    "Protocol, one JSON object per line each way: quarry writes {\"id\", \"text\", \"fields\", \"spans\"} on its stdin "
    "and reads one reply line from its stdout, which may hold any of {\"spans\": [{\"layer\", \"label\", \"start\", \"end\", \"attrs\"}], "
    "\"fields\": {\"NAMESPACE\": {...}}, \"edits\": [{\"start\", \"end\", \"text\"}], "
    "\"diagnostics\": [{\"level\": \"info|warning|error\", \"code\", \"message\", \"start\"}], \"id\"} ({} for nothing). "
    "Offsets count code points of the text as sent (Python's text[start:end]); edits are applied last, so the reply's spans move "
    "with them. A reply that is not one JSON object, has an offset outside the text, overlapping edits, or a layer or namespace "
    "not in provides is a stage error (on-error) and nothing of it is applied. stderr lines go to the log. "
    "End of stdin means the run is over: exit" },
  { "provides", QUARRY_OPTION_STRING_LIST, NULL,
    "what the command adds, as a C plugin declares it (layer:NAME, field:NAMESPACE): later stages may require it, "
    "and a reply may write only these layers and namespaces" },
  { "requires", QUARRY_OPTION_STRING_LIST, NULL,
    "what an earlier stage must provide (layer:NAME, field:NAMESPACE, ...), checked with the chain order" },
  { "send-layers", QUARRY_OPTION_STRING_LIST, NULL,
    "the span layers sent in the request's spans (default none)" },
  { "send-fields", QUARRY_OPTION_STRING_LIST, NULL,
    "the field namespaces sent in the request's fields (default none)" },
  { "reply-timeout-ms", QUARRY_OPTION_INT, "30000",
    "longest wait for one reply, in milliseconds; a co-process that overruns it is killed and the document goes to on-error "
    "(0: no limit). Works in threads and worker processes alike; timeout-ms, unlike it, replaces the whole worker",
    NULL, 0, 86400000 },
  { "restarts", QUARRY_OPTION_INT, "3",
    "how many times a co-process that died, timed out or broke the protocol is replaced; after that every later document "
    "fails (on-error). Counted per worker process with --isolation=processes",
    NULL, 0, 1000000 },
  { "environment", QUARRY_OPTION_STRING_LIST, NULL,
    "NAME=VALUE pairs set for the command, on top of quarry's own environment" },
  { "working-directory", QUARRY_OPTION_PATH, NULL,
    "the folder the command runs in (relative to the config file); the command and its script are found from there "
    "(default: quarry's current folder)" },
  { NULL }
};

typedef struct {
  const QuarryStage *stage;
  char             **spawn_argv;   /* the resolved file, then the command's argv */
  char             **envp;
  char              *workdir;
  const char       **send_layers;  /* interned */
  const char *const *send_fields;
  ExDeclared         decl;
  guint              timeout_ms;
  guint              restarts;

  /* Co-processes not working on a document. A document borrows one (or starts one,
   * lazily: a worker process forked after set-up must start its own, never inherit
   * ours) and gives it back after its reply, so N workers use at most N co-processes
   * and one co-process never has two documents at once. */
  GMutex             lock;
  GPtrArray         *idle;
  guint              deaths;       /* co-processes lost so far (under lock) */
} ExecState;

/* The SHA-256 of a file, or NULL with error. */
static char *
file_sha256 (const char *path, GError **error)
{
  g_autoptr(GMappedFile) map = g_mapped_file_new (path, FALSE, error);
  if (map == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (map),
                                      g_mapped_file_get_length (map));
}

/* A name relative to the working directory, as the child will see it. */
static char *
in_workdir (const char *workdir, const char *name)
{
  if (g_path_is_absolute (name))
    return g_strdup (name);
  if (workdir != NULL)
    return g_build_filename (workdir, name, NULL);
  return g_canonicalize_filename (name, NULL);
}

/* The file argv0 runs: a name with a '/' from the working directory, else through PATH
 * (the command's PATH if environment sets one), as execvp would. */
static char *
resolve_program (const char *argv0, const char *workdir, char **envp)
{
  const char *path;
  g_auto(GStrv) dirs = NULL;

  if (strchr (argv0, '/') != NULL)
    {
      g_autofree char *p = in_workdir (workdir, argv0);
      return g_file_test (p, G_FILE_TEST_IS_REGULAR) && access (p, X_OK) == 0 ? g_steal_pointer (&p) : NULL;
    }
  path = g_environ_getenv (envp, "PATH");
  dirs = g_strsplit (path ? path : "/usr/local/bin:/usr/bin:/bin", ":", -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *p = in_workdir (workdir, dirs[i][0] ? dirs[i] : ".");
      g_autofree char *f = g_build_filename (p, argv0, NULL);
      if (g_file_test (f, G_FILE_TEST_IS_REGULAR) && access (f, X_OK) == 0)
        return g_steal_pointer (&f);
    }
  return NULL;
}

static void
exec_state_free (ExecState *st)
{
  if (st->idle != NULL)
    {
      ex_coproc_close_all (st->idle, st->stage, 1000);
      g_ptr_array_unref (st->idle);
    }
  g_mutex_clear (&st->lock);
  g_strfreev (st->spawn_argv);
  g_strfreev (st->envp);
  g_free (st->workdir);
  g_free (st->send_layers);
  g_clear_pointer (&st->decl.layers, g_hash_table_unref);
  g_clear_pointer (&st->decl.namespaces, g_hash_table_unref);
  g_free (st);
}

static gboolean
exec_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  const char *const *command = quarry_stage_get_strv (stage, "command");
  const char *const *provides = quarry_stage_get_strv (stage, "provides");
  const char *const *layers = quarry_stage_get_strv (stage, "send-layers");
  const char *const *env = quarry_stage_get_strv (stage, "environment");
  const char *workdir = quarry_stage_get_string (stage, "working-directory");
  g_autofree char *file = NULL, *sum = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);
  GError *local = NULL;
  ExecState *st;
  guint n;

  if (command[0] == NULL || command[0][0] == '\0')
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   "no command: set 'command' to the program and its arguments, ';'-separated "
                   "(command = python3;my_stage.py)");
      return FALSE;
    }
  if (workdir != NULL && !g_file_test (workdir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   "working-directory %s is not a folder; name an existing one (relative names are "
                   "relative to the config file)", workdir);
      return FALSE;
    }

  st = g_new0 (ExecState, 1);
  st->stage = stage;
  g_mutex_init (&st->lock);
  st->workdir = g_strdup (workdir);
  st->timeout_ms = (guint) quarry_stage_get_int (stage, "reply-timeout-ms");
  st->restarts = (guint) quarry_stage_get_int (stage, "restarts");
  st->envp = g_get_environ ();
  for (guint i = 0; env[i] != NULL; i++)
    {
      const char *eq = strchr (env[i], '=');
      g_autofree char *name = eq ? g_strndup (env[i], eq - env[i]) : NULL;
      if (eq == NULL || eq == env[i])
        {
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                       "environment entry '%s' is not NAME=VALUE; write it as NAME=VALUE "
                       "(entries are ';'-separated)", env[i]);
          exec_state_free (st);
          return FALSE;
        }
      st->envp = g_environ_setenv (st->envp, name, eq + 1, TRUE);
    }

  file = resolve_program (command[0], workdir, st->envp);
  if (file == NULL)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP,
                   strchr (command[0], '/') ? "command '%s' is not an executable file (from %s); check the name and its x bit"
                                            : "command '%s' is not found in PATH (from %s); install it or give its full path",
                   command[0], workdir ? workdir : "the current folder");
      exec_state_free (st);
      return FALSE;
    }
  n = g_strv_length ((char **) command);
  st->spawn_argv = g_new0 (char *, n + 2);
  st->spawn_argv[0] = g_strdup (file);
  for (guint i = 0; i < n; i++)
    st->spawn_argv[i + 1] = g_strdup (command[i]);

  /* what runs decides the output: the argv, the program's bytes and its script's */
  for (guint i = 0; i < n; i++)
    {
      /* quoted only where a shell would need it, so the usual command reads as typed */
      gboolean plain = command[i][0] != '\0' && strspn (command[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                         "0123456789_./=:,+@%-") == strlen (command[i]);
      g_autofree char *q = plain ? g_strdup (command[i]) : g_shell_quote (command[i]);
      g_string_append_printf (shown, "%s%s", i ? " " : "", q);
    }
  quarry_stage_set_provenance (stage, "command", shown->str);
  if ((sum = file_sha256 (file, &local)) == NULL)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "cannot read command %s: %s", file, local->message);
      g_error_free (local);
      exec_state_free (st);
      return FALSE;
    }
  quarry_stage_set_provenance (stage, "executable", file);
  quarry_stage_set_provenance (stage, "executable_sha256", sum);
  /* the script: the first argument that is not an option (python3 -u stage.py) */
  for (guint i = 1; i < n; i++)
    {
      g_autofree char *script = NULL;
      if (command[i][0] == '-')
        continue;
      script = in_workdir (workdir, command[i]);
      if (g_file_test (script, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *ssum = file_sha256 (script, &local);
          if (ssum == NULL)
            {
              g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "cannot read script %s: %s",
                           script, local->message);
              g_error_free (local);
              exec_state_free (st);
              return FALSE;
            }
          quarry_stage_set_provenance (stage, "script", command[i]);
          quarry_stage_set_provenance (stage, "script_sha256", ssum);
        }
      break;
    }

  st->decl.layers = g_hash_table_new (g_str_hash, g_str_equal);
  st->decl.namespaces = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; provides[i] != NULL; i++)
    {
      /* the strings live as long as the stage */
      if (g_str_has_prefix (provides[i], "layer:") && provides[i][6])
        g_hash_table_add (st->decl.layers, (gpointer) (provides[i] + 6));
      else if (g_str_has_prefix (provides[i], "field:") && provides[i][6])
        g_hash_table_add (st->decl.namespaces, (gpointer) (provides[i] + 6));
    }
  n = g_strv_length ((char **) layers);
  st->send_layers = g_new0 (const char *, n + 1);
  for (guint i = 0; i < n; i++)
    st->send_layers[i] = g_intern_string (layers[i]);
  st->send_fields = quarry_stage_get_strv (stage, "send-fields");
  st->idle = g_ptr_array_new ();
  *state = st;
  return TRUE;
}

/* Counts a lost co-process and says what happens next, for the document's error. */
static char *
count_death (ExecState *st)
{
  guint deaths;

  g_mutex_lock (&st->lock);
  deaths = ++st->deaths;
  g_mutex_unlock (&st->lock);
  if (deaths <= st->restarts)
    return g_strdup_printf ("a new one takes the next document (restart %u of %u)", deaths, st->restarts);
  return g_strdup_printf ("no restarts left (restarts = %u): every later document of this worker fails; "
                          "fix the command or raise restarts", st->restarts);
}

/* An idle co-process, or a new one; NULL with error when none may be started. */
static ExCoproc *
borrow (ExecState *st, GError **error)
{
  ExCoproc *cp = NULL;
  guint deaths;
  GError *local = NULL;

  g_mutex_lock (&st->lock);
  if (st->idle->len > 0)
    cp = g_ptr_array_steal_index_fast (st->idle, st->idle->len - 1);
  deaths = st->deaths;
  g_mutex_unlock (&st->lock);
  if (cp != NULL)
    return cp;
  if (deaths > st->restarts)
    {
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS,
                   "the co-process '%s' was lost %u times and restarts = %u: not started again; "
                   "see the log for its stderr, fix the command or raise restarts",
                   st->spawn_argv[1], deaths, st->restarts);
      return NULL;
    }
  cp = ex_coproc_spawn (st->spawn_argv, st->envp, st->workdir, &local);
  if (cp == NULL)
    {
      g_autofree char *next = count_death (st);
      g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS,
                   "cannot start the co-process '%s': %s; %s", st->spawn_argv[1], local->message, next);
      g_error_free (local);
    }
  return cp;
}

static void
give_back (ExecState *st, ExCoproc *cp)
{
  g_mutex_lock (&st->lock);
  g_ptr_array_add (st->idle, cp);
  g_mutex_unlock (&st->lock);
}

static gboolean
exec_process (gpointer state, QuarryDocument *doc, GError **error)
{
  ExecState *st = state;
  g_autoptr(GString) req = NULL;
  ExText text;
  ExCoproc *cp;
  ExExchangeStatus status;
  char *line = NULL, *detail = NULL;
  gsize line_len = 0, trailing = 0, max_reply, text_len;
  gboolean ok;

  quarry_document_get_text (doc, &text_len);
  req = g_string_sized_new (text_len + text_len / 8 + 256);
  ex_request_build (req, doc, st->send_fields, st->send_layers, &text);
  if ((cp = borrow (st, error)) == NULL)
    return FALSE;

  /* a reply is at most about as long as the JSON of every character of the text
   * as a span with attributes, and never less than 64 MiB */
  max_reply = MAX ((gsize) 64 << 20, req->len * 16);
  status = ex_coproc_exchange (cp, st->stage, req->str, req->len, st->timeout_ms, max_reply,
                               &line, &line_len, &trailing, &detail);
  if (status == EX_EXCHANGE_OK && trailing > 0)
    {
      /* a second line for one request: which reply is whose is lost */
      g_autofree char *quote = ex_quote (line, line_len);
      detail = g_strdup_printf ("it wrote more than one line for one document (%" G_GSIZE_FORMAT
                                " bytes after the reply %s)", trailing, quote);
      status = EX_EXCHANGE_IO;
    }
  if (status != EX_EXCHANGE_OK)
    {
      GPid pid = cp->pid;
      guint64 n_docs = cp->n_docs;
      g_autofree char *how = ex_coproc_kill (cp, st->stage);
      g_autofree char *next = count_death (st);
      switch (status)
        {
        case EX_EXCHANGE_TIMEOUT:
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS,
                       "co-process %d gave no reply within %u ms (reply-timeout-ms): killed; %s",
                       (int) pid, st->timeout_ms, next);
          break;
        case EX_EXCHANGE_DIED:
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS,
                       "co-process %d %s before it replied (after %" G_GUINT64_FORMAT " documents); "
                       "its stderr is in the log; %s", (int) pid, how, n_docs, next);
          break;
        case EX_EXCHANGE_TOO_LONG:
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS,
                       "co-process %d wrote more than %" G_GSIZE_FORMAT " bytes without a newline: killed; "
                       "a reply is one line; %s", (int) pid, max_reply, next);
          break;
        default:
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_PROCESS,
                       "co-process %d: %s: killed; %s", (int) pid, detail, next);
          break;
        }
      g_free (detail);
      ex_text_clear (&text);
      return FALSE;
    }

  /* a bad reply is this document's error; the co-process keeps its place (one line
   * per request still holds) */
  ok = ex_reply_apply (doc, &st->decl, &text, line, line_len, error);
  ex_coproc_consume (cp, line_len);
  give_back (st, cp);
  ex_text_clear (&text);
  return ok;
}

static void
exec_teardown (gpointer state)
{
  exec_state_free (state);
}

QUARRY_PLUGIN_DEFINE (
  .name = "exec",
  .version = "1.0.0",
  .description = "a stage written in any language: runs a command per worker as a co-process that answers "
                 "one JSON line per document (see the command option for the protocol)",
  .options = options,
  .setup = exec_setup,
  .process = exec_process,
  .teardown = exec_teardown);
