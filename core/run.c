/* run.c: the run loop: reads inputs, hands documents to worker processes or threads, writes whole records back in input order. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "document-private.h"
#include "output.h"
#include "run.h"
#include "worker.h"
#include "writer.h"

typedef QuarryJob Job;

typedef struct {
  QuarryPipeline *pipeline;
  GAsyncQueue    *todo;
  GMutex          lock;
  GCond           cond;
  Job           **ring;
  guint           cap;
  guint           started;  /* worker threads that have set up their worker (or failed to) */
  guint           usable;   /* of them, those that did and take jobs */
} Shared;

static volatile sig_atomic_t stop_requested;

void
quarry_run_request_stop (void)
{
  stop_requested = 1;
}

gboolean
quarry_run_stop_requested (void)
{
  return stop_requested != 0;
}

static void
on_signal (int sig)
{
  quarry_run_request_stop ();
}

static gpointer
worker (gpointer data)
{
  Shared *sh = data;
  GError *error = NULL;
  QuarryPipelineWorker *w = quarry_pipeline_worker_new (sh->pipeline, &error);
  Job *job;

  /* the main thread set one up already, so this fails only for want of memory or
   * the like: this thread then takes no job, as one that could not be started */
  if (w == NULL)
    {
      g_printerr ("quarry: a worker thread stops: %s\n", error->message);
      g_error_free (error);
    }
  g_mutex_lock (&sh->lock);
  sh->started++;
  sh->usable += w != NULL;
  g_cond_broadcast (&sh->cond);
  g_mutex_unlock (&sh->lock);
  if (w == NULL)
    return NULL;

  /* the queue hands out jobs; a job pointing at the queue itself means "stop" */
  while ((job = g_async_queue_pop (sh->todo)) != (gpointer) sh->todo)
    {
      quarry_job_process (sh->pipeline, w, job, NULL);
      g_mutex_lock (&sh->lock);
      job->done = TRUE;
      g_cond_broadcast (&sh->cond);
      g_mutex_unlock (&sh->lock);
    }
  quarry_pipeline_worker_free (w);
  return NULL;
}

typedef struct {
  guint64 in, bytes, skipped_out, skipped_dead, lost, written, dead_seen;
  gboolean failed, io_error;
  QuarryOutput *out, *dead;
  gint64 t_start, last_progress;
  GHashTable *reasons;  /* "stage\ncode" -> DeadReason, for the report */
  char *first_id, *last_id;  /* of the documents written (or kept by --resume), in input order */
} Tally;

/* The dead letters of one stage and code, counted for the report. */
typedef struct {
  char   *stage, *code, *example;
  guint64 count;
} DeadReason;

static void
dead_reason_free (gpointer data)
{
  DeadReason *d = data;
  g_free (d->stage);
  g_free (d->code);
  g_free (d->example);
  g_free (d);
}

/* Counts a dead letter by its stage and the code of its first error diagnostic (the
 * record is read back: dead letters are few, and their line is the one fact). */
static void
count_dead_reason (Tally *t, const GString *line)
{
  json_object *rec = json_tokener_parse (line->str), *v, *diags;
  const char *stage = "?", *code = "?", *reason = "";
  g_autofree char *key = NULL;
  DeadReason *d;

  if (rec == NULL)
    return;
  if (json_object_object_get_ex (rec, "stage", &v) && json_object_is_type (v, json_type_string))
    stage = json_object_get_string (v);
  if (json_object_object_get_ex (rec, "reason", &v) && json_object_is_type (v, json_type_string))
    reason = json_object_get_string (v);
  if (json_object_object_get_ex (rec, "diagnostics", &diags) && json_object_is_type (diags, json_type_array))
    for (gsize i = 0; i < json_object_array_length (diags); i++)
      {
        json_object *dg = json_object_array_get_idx (diags, i), *lvl, *c;
        if (json_object_object_get_ex (dg, "level", &lvl) && g_strcmp0 (json_object_get_string (lvl), "error") == 0
            && json_object_object_get_ex (dg, "code", &c) && json_object_is_type (c, json_type_string))
          {
            code = json_object_get_string (c);
            break;
          }
      }
  if (t->reasons == NULL)
    t->reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, dead_reason_free);
  key = g_strconcat (stage, "\n", code, NULL);
  d = g_hash_table_lookup (t->reasons, key);
  if (d == NULL)
    {
      d = g_new0 (DeadReason, 1);
      d->stage = g_strdup (stage);
      d->code = g_strdup (code);
      d->example = g_strdup (reason);
      g_hash_table_insert (t->reasons, g_steal_pointer (&key), d);
    }
  d->count++;
  json_object_put (rec);
}

static gint
dead_reason_cmp (gconstpointer a, gconstpointer b)
{
  const DeadReason *x = *(DeadReason *const *) a, *y = *(DeadReason *const *) b;
  int c;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  c = strcmp (x->stage, y->stage);
  return c != 0 ? c : strcmp (x->code, y->code);
}

void
quarry_run_result_clear (QuarryRunResult *result)
{
  g_free (result->first_id);
  g_free (result->last_id);
  memset (result, 0, sizeof *result);
}

static void
tally_id (Tally *t, const char *id)
{
  if (t->first_id == NULL)
    t->first_id = g_strdup (id);
  g_free (t->last_id);
  t->last_id = g_strdup (id);
}

/* The dead-letter file is written before the output each time, so on disk it
 * always holds every dead letter of the documents before the output's last
 * record: what --resume relies on. */
static void
flush_outputs (Tally *t)
{
  if (t->dead != NULL && !quarry_output_flush (t->dead))
    t->io_error = TRUE;
  if (!quarry_output_flush (t->out))
    t->io_error = TRUE;
}

/* Why the run stops, from the failed document's dead letter (the same words in
 * thread and process mode, where only the line comes back from the worker). */
static void
say_failed (const QuarryRunOptions *opt, const Job *job)
{
  json_object *dl = json_tokener_parse (job->line->str), *v;
  const char *reason = NULL;

  if (dl != NULL && json_object_object_get_ex (dl, "reason", &v))
    reason = json_object_get_string (v);
  g_printerr ("quarry: document %s: %s; that stage's on-error = fail stops the run (the document is in %s;"
              " on-error = skip or drop lets the run go on)\n",
              job->item.id, reason != NULL ? reason : "a stage failed", opt->dead_letter_path);
  json_object_put (dl);
}

static void
write_job (const QuarryRunOptions *opt, Tally *t, Job *job)
{
  QuarryOutput *o = t->out;

  t->bytes += job->bytes;
  t->written++;
  tally_id (t, job->item.id != NULL ? job->item.id : "");
  if (job->dead)
    {
      t->dead_seen++;
      if (opt->report_path != NULL)
        count_dead_reason (t, job->line);
      if (t->dead == NULL && !t->io_error)
        {
          int fd = open (opt->dead_letter_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
          if (fd < 0)
            {
              g_printerr ("quarry: cannot open dead-letter file %s: %s; fix the path with --dead-letter\n",
                          opt->dead_letter_path, g_strerror (errno));
              t->io_error = TRUE;
            }
          else
            t->dead = quarry_output_new (fd, opt->dead_letter_path, TRUE);
        }
      o = t->dead;
      if (job->failed && !t->failed)
        say_failed (opt, job);
      t->failed |= job->failed;
    }
  if (o == NULL || !quarry_output_append (o, job->line->str, job->line->len))
    {
      t->io_error = TRUE;
      t->lost++;
    }
  else if (quarry_output_batch_full (o))
    flush_outputs (t);
  g_string_free (job->line, TRUE);
  quarry_input_item_clear (&job->item);
  g_free (job);
}

static void
show_progress (const QuarryRunOptions *opt, Tally *t, gboolean final)
{
  gint64 now = g_get_monotonic_time ();
  double secs, mb;
  guint64 done = t->skipped_out + t->skipped_dead + t->written;

  if (!opt->progress || (!final && now - t->last_progress < 200000))
    return;
  t->last_progress = now;
  secs = MAX ((now - t->t_start) / 1e6, 1e-6);
  mb = t->bytes / 1e6;
  g_printerr ("\r\033[K%" G_GUINT64_FORMAT " documents (%" G_GUINT64_FORMAT " dead-lettered), %.1f MB, %.1f MB/s, %.0f docs/s",
              done, t->dead_seen, mb, mb / secs, done / secs);
  if (opt->total_bytes > 0 && !final && t->bytes > 0)
    {
      /* JSON Lines inputs count their file size, content a little less: the ETA is an estimate */
      double left = MAX (0.0, (double) opt->total_bytes - (double) t->bytes) / (t->bytes / secs);
      g_printerr (", %.0f%%, ETA %d:%02d", MIN (100.0, 100.0 * t->bytes / opt->total_bytes),
                  (int) left / 60, (int) left % 60);
    }
  g_printerr ("%s", final ? "\n" : "");
}

static void
write_report (QuarryPipeline *pipeline, const QuarryRunOptions *opt, const Tally *t, guint64 out, guint64 dead,
              double wall, double cpu, glong maxrss_kb, gboolean interrupted, guint64 replaced)
{
  json_object *r = json_object_new_object ();
  json_object *docs = json_object_new_object ();
  json_object *stages = json_object_new_array ();
  const QuarryStageStats *st;
  guint n;

  json_object_object_add (docs, "in", json_object_new_int64 (t->in));
  json_object_object_add (docs, "out", json_object_new_int64 (out));
  json_object_object_add (docs, "dead_lettered", json_object_new_int64 (dead));
  json_object_object_add (docs, "not_written", json_object_new_int64 (t->in - out - dead));
  json_object_object_add (docs, "skipped_by_resume", json_object_new_int64 (t->skipped_out + t->skipped_dead));
  json_object_object_add (r, "documents", docs);
  json_object_object_add (r, "bytes_in", json_object_new_int64 (t->bytes));
  json_object_object_add (r, "jobs", json_object_new_int (opt->jobs));
  json_object_object_add (r, "isolation", json_object_new_string (opt->isolation == QUARRY_ISOLATION_THREADS ? "threads" : "processes"));
  json_object_object_add (r, "workers_replaced", json_object_new_int64 (replaced));
  json_object_object_add (r, "wall_seconds", json_object_new_double (wall));
  json_object_object_add (r, "cpu_seconds", json_object_new_double (cpu));
  json_object_object_add (r, "mb_per_second", json_object_new_double (wall > 0 ? t->bytes / 1e6 / wall : 0));
  json_object_object_add (r, "documents_per_second", json_object_new_double (wall > 0 ? t->written / wall : 0));
  json_object_object_add (r, "peak_rss_kb", json_object_new_int64 (maxrss_kb));
  json_object_object_add (r, "interrupted", json_object_new_boolean (interrupted));
  json_object_object_add (r, "config_hash",
                          json_object_new_string (quarry_config_get_hash (quarry_pipeline_get_config (pipeline))));
  st = quarry_pipeline_get_stats (pipeline, &n);
  for (guint i = 0; i < n; i++)
    {
      json_object *s = json_object_new_object ();
      double secs = st[i].nanoseconds / 1e9;
      json_object_object_add (s, "name", json_object_new_string (st[i].name));
      json_object_object_add (s, "documents", json_object_new_int64 (st[i].documents));
      json_object_object_add (s, "errors", json_object_new_int64 (st[i].errors));
      json_object_object_add (s, "bytes_in", json_object_new_int64 (st[i].bytes_in));
      json_object_object_add (s, "seconds", json_object_new_double (secs));
      json_object_object_add (s, "mean_ms", json_object_new_double (st[i].documents ? secs * 1e3 / st[i].documents : 0));
      json_object_object_add (s, "mb_per_second", json_object_new_double (secs > 0 ? st[i].bytes_in / 1e6 / secs : 0));
      json_object_array_add (stages, s);
    }
  json_object_object_add (r, "stages", stages);
  {
    /* the dead letters of this run by stage and error code, most frequent first, with
     * the first reason seen as an example */
    json_object *reasons = json_object_new_array ();
    g_autoptr(GPtrArray) list = g_ptr_array_new ();
    if (t->reasons != NULL)
      {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init (&it, t->reasons);
        while (g_hash_table_iter_next (&it, NULL, &v))
          g_ptr_array_add (list, v);
        g_ptr_array_sort (list, dead_reason_cmp);
      }
    for (guint i = 0; i < list->len; i++)
      {
        const DeadReason *d = list->pdata[i];
        json_object *o = json_object_new_object ();
        json_object_object_add (o, "stage", json_object_new_string (d->stage));
        json_object_object_add (o, "code", json_object_new_string (d->code));
        json_object_object_add (o, "count", json_object_new_int64 (d->count));
        json_object_object_add (o, "example", json_object_new_string (d->example));
        json_object_array_add (reasons, o);
      }
    json_object_object_add (r, "dead_letter_reasons", reasons);
  }
  if (json_object_to_file_ext (opt->report_path, r, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE) != 0)
    g_printerr ("quarry: cannot write report %s: %s\n", opt->report_path, json_util_get_last_err ());
  json_object_put (r);
}

/* ---- --resume: match the records an earlier run wrote against the inputs ---- */

/* A file an earlier run wrote, mapped, read a line at a time. */
typedef struct {
  GMappedFile *map;
  const char  *data;
  gsize        len;
  gsize        pos;   /* start of the first line not matched */
  guint64      line;  /* its number, from 1 */
} Earlier;

static gboolean
earlier_open (Earlier *e, int fd, const char *name, char **why)
{
  GError *error = NULL;
  struct stat st;

  memset (e, 0, sizeof *e);
  e->line = 1;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      *why = g_strdup_printf ("%s is not a regular file: --resume needs the output of the first run in a file (-o FILE)", name);
      return FALSE;
    }
  if (st.st_size == 0)
    return TRUE;
  e->map = g_mapped_file_new_from_fd (fd, FALSE, &error);
  if (e->map == NULL)
    {
      *why = g_strdup_printf ("cannot read %s to resume: %s", name, error->message);
      g_error_free (error);
      return FALSE;
    }
  e->data = g_mapped_file_get_contents (e->map);
  e->len = g_mapped_file_get_length (e->map);
  return TRUE;
}

/* The next whole line (with its newline); FALSE at the end or before a last line cut short. */
static gboolean
earlier_peek (const Earlier *e, const char **line, gsize *len)
{
  const char *nl;

  if (e->pos >= e->len)
    return FALSE;
  nl = memchr (e->data + e->pos, '\n', e->len - e->pos);
  if (nl == NULL)
    return FALSE;
  *line = e->data + e->pos;
  *len = nl + 1 - *line;
  return TRUE;
}

/* NULL if line is a record of this run's pipeline, else why not. */
static char *
provenance_mismatch (const char *line, gsize len, QuarryPipeline *pipeline)
{
  g_autofree char *tail = g_strdup_printf (",\"provenance\":%s}\n", quarry_pipeline_get_provenance_text (pipeline));
  gsize tl = strlen (tail);
  const char *ours = quarry_config_get_hash (quarry_pipeline_get_config (pipeline));
  g_autofree char *copy = NULL;
  json_object *rec, *prov, *hash;
  char *why;

  if (len >= tl && memcmp (line + len - tl, tail, tl) == 0)
    return NULL;
  copy = g_strndup (line, len);
  rec = json_tokener_parse (copy);
  if (rec == NULL || !json_object_object_get_ex (rec, "provenance", &prov)
      || !json_object_object_get_ex (prov, "config_hash", &hash))
    why = g_strdup ("is not a record of quarry run (no provenance)");
  else if (!g_str_equal (json_object_get_string (hash), ours))
    why = g_strdup_printf ("was written with another config (config_hash %s; this run's is %s)",
                           json_object_get_string (hash), ours);
  else
    why = g_strdup ("was written by other plugin versions or plugin data (its provenance differs from this run's)");
  if (rec != NULL)
    json_object_put (rec);
  return why;
}

/* Skips the input documents whose records are already in the output or the
 * dead-letter file, in order, and cuts both files after the last one matched (a
 * record cut short, or dead letters written ahead of the output, are dropped and
 * made again). *first gets the first document to run. Returns FALSE with a
 * message on stderr if the files do not belong to this command line. */
static gboolean
resume_skip (QuarryPipeline *pipeline, QuarryInput *input, const QuarryRunOptions *opt, Tally *t, Job **first)
{
  Earlier out, dead = { 0 };
  int dead_fd = open (opt->dead_letter_path, O_RDWR | O_CLOEXEC);
  g_autofree char *why = NULL;
  g_autoptr(GString) head = g_string_new (NULL);
  gboolean ok = TRUE;

  if (!earlier_open (&out, opt->out_fd, opt->out_name, &why)
      || (dead_fd >= 0 && !earlier_open (&dead, dead_fd, opt->dead_letter_path, &why)))
    {
      g_printerr ("quarry: %s\n", why);
      if (out.map != NULL)
        g_mapped_file_unref (out.map);
      if (dead_fd >= 0)
        close (dead_fd);
      return FALSE;
    }

  for (;;)
    {
      QuarryInputItem item;
      const char *line;
      gsize len;
      Earlier *e = NULL;

      if (!earlier_peek (&out, &line, &len) && !earlier_peek (&dead, &line, &len))
        break;  /* nothing more was written: the rest is to run */
      if (!quarry_input_next (input, &item))
        {
          if (earlier_peek (&out, &line, &len))
            {
              g_printerr ("quarry: cannot resume: %s has more records (from line %" G_GUINT64_FORMAT ") than there are input documents;"
                          " these are not the inputs of the first run: run again without --resume\n", opt->out_name, out.line);
              ok = FALSE;
            }
          break;
        }
      g_string_assign (head, "{\"id\":");
      quarry_writer_append_json_string (head, item.id, strlen (item.id));
      g_string_append_c (head, ',');
      if (earlier_peek (&out, &line, &len) && len > head->len && memcmp (line, head->str, head->len) == 0)
        e = &out;
      else if (earlier_peek (&dead, &line, &len) && len > head->len && memcmp (line, head->str, head->len) == 0)
        e = &dead;
      else if (earlier_peek (&out, &line, &len))
        {
          const char *comma = memchr (line, ',', MIN (len, 200));
          g_printerr ("quarry: cannot resume: %s:%" G_GUINT64_FORMAT " is the record %.*s, but the next input document is '%s' (%s);"
                      " these are not the inputs of the first run: run again without --resume\n",
                      opt->out_name, out.line, comma != NULL ? (int) (comma - line) + 0 : 40, line, item.id,
                      item.origin != NULL ? item.origin : "stdin");
          quarry_input_item_clear (&item);
          ok = FALSE;
          break;
        }
      if (e == NULL)
        {
          /* written by nobody: the first document to run */
          *first = g_new0 (Job, 1);
          (*first)->item = item;
          break;
        }
      g_clear_pointer (&why, g_free);
      why = provenance_mismatch (line, len, pipeline);
      if (why != NULL)
        {
          g_printerr ("quarry: cannot resume: %s:%" G_GUINT64_FORMAT " %s; run again without --resume (or with the first run's config)\n",
                      e == &out ? opt->out_name : opt->dead_letter_path, e->line, why);
          quarry_input_item_clear (&item);
          ok = FALSE;
          break;
        }
      e->pos += len;
      e->line++;
      tally_id (t, item.id);
      t->in++;
      t->bytes += item.length;
      if (e == &out)
        t->skipped_out++;
      else
        t->skipped_dead++;
      quarry_input_item_clear (&item);
    }

  if (ok)
    {
      if (out.len > out.pos && !opt->quiet)
        g_printerr ("quarry: resuming %s after its record %" G_GUINT64_FORMAT ": %" G_GSIZE_FORMAT " bytes after it (a record cut short) are dropped\n",
                    opt->out_name, out.line - 1, out.len - out.pos);
      if (ftruncate (opt->out_fd, out.pos) != 0 || lseek (opt->out_fd, out.pos, SEEK_SET) < 0)
        {
          g_printerr ("quarry: cannot cut %s to resume: %s\n", opt->out_name, g_strerror (errno));
          ok = FALSE;
        }
      if (ok && dead_fd >= 0)
        {
          if (ftruncate (dead_fd, dead.pos) != 0 || lseek (dead_fd, dead.pos, SEEK_SET) < 0)
            {
              g_printerr ("quarry: cannot cut %s to resume: %s\n", opt->dead_letter_path, g_strerror (errno));
              ok = FALSE;
            }
          else if (dead.pos > 0)
            {
              t->dead = quarry_output_new (dead_fd, opt->dead_letter_path, TRUE);
              dead_fd = -1;
            }
        }
    }
  if (out.map != NULL)
    g_mapped_file_unref (out.map);
  if (dead.map != NULL)
    g_mapped_file_unref (dead.map);
  if (dead_fd >= 0)
    close (dead_fd);
  if (!ok && *first != NULL)
    {
      quarry_input_item_clear (&(*first)->item);
      g_clear_pointer (first, g_free);
    }
  return ok;
}

/* ---- the loop ---- */

int
quarry_run (QuarryPipeline *pipeline, QuarryInput *input, const QuarryRunOptions *opt)
{
  Shared sh = { 0 };
  Tally t = { 0 };
  GPtrArray *threads = g_ptr_array_new ();
  QuarryWorkers *workers = NULL;
  GQueue pending = G_QUEUE_INIT;  /* jobs waiting for a worker process, in order */
  Job *first = NULL;
  guint64 next_seq = 0, written = 0, replaced = 0;
  gboolean eof = FALSE, interrupted = FALSE, inline_jobs = FALSE, processes = opt->isolation == QUARRY_ISOLATION_PROCESSES;
  struct sigaction sa, old_int, old_term, old_pipe;
  sigset_t stop_signals, old_mask;
  struct rusage ru, ru_children;
  double wall, cpu;
  int code;
  GError *werror = NULL;
  /* Set up before anything else, so a stage whose worker_setup cannot succeed stops
   * the run before any document is read. It runs the main thread's own documents;
   * with worker threads or processes (which make their own) it is torn down. */
  QuarryPipelineWorker *main_worker = quarry_pipeline_worker_new (pipeline, &werror);

  if (main_worker == NULL)
    {
      g_printerr ("quarry: %s\n", werror->message);
      g_error_free (werror);
      g_ptr_array_unref (threads);
      return QUARRY_EXIT_USAGE;
    }
  if (processes)
    g_clear_pointer (&main_worker, quarry_pipeline_worker_free);

  stop_requested = 0;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  /* no SA_RESTART: a read of stdin that waits must return to see the stop (input.c);
   * every read and write of the run loop retries EINTR itself */
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_int);
  sigaction (SIGTERM, &sa, &old_term);
  /* a reader that went away is a write error with a message, not a silent death */
  sa.sa_handler = SIG_IGN;
  sigaction (SIGPIPE, &sa, &old_pipe);

  t.t_start = g_get_monotonic_time ();
  t.out = quarry_output_new (opt->out_fd, opt->out_name, FALSE);
  if (opt->resume && !resume_skip (pipeline, input, opt, &t, &first))
    {
      quarry_output_close (t.out, NULL);
      if (t.dead != NULL)
        quarry_output_close (t.dead, NULL);
      g_ptr_array_unref (threads);
      quarry_pipeline_worker_free (main_worker);
      sigaction (SIGINT, &old_int, NULL);
      sigaction (SIGTERM, &old_term, NULL);
      sigaction (SIGPIPE, &old_pipe, NULL);
      g_free (t.first_id);
      g_free (t.last_id);
      return QUARRY_EXIT_USAGE;
    }
  if (!opt->resume)
    {
      /* an earlier run's dead letters must not pass for this one's, even if this one
       * stops before its first: the file there from now on is this run's */
      struct stat st;
      if (lstat (opt->dead_letter_path, &st) == 0 && S_ISREG (st.st_mode) && unlink (opt->dead_letter_path) != 0)
        g_printerr ("quarry: cannot remove the earlier run's dead-letter file %s: %s\n", opt->dead_letter_path,
                    g_strerror (errno));
    }
  sh.pipeline = pipeline;
  /* bounded in flight: memory does not grow with the corpus */
  sh.cap = !processes && opt->jobs <= 1 ? 1 : opt->jobs * 4;
  sh.ring = g_new0 (Job *, sh.cap);
  if (processes)
    workers = quarry_workers_new (pipeline, opt->jobs, opt->document_timeout_ms, opt->quiet);
  else
    {
      sh.todo = g_async_queue_new ();
      g_mutex_init (&sh.lock);
      g_cond_init (&sh.cond);
      /* SIGINT/SIGTERM go to this thread, which may be waiting in a read of the
       * input (stdin, a FIFO): taken by a worker, they would leave that read waiting */
      sigemptyset (&stop_signals);
      sigaddset (&stop_signals, SIGINT);
      sigaddset (&stop_signals, SIGTERM);
      pthread_sigmask (SIG_BLOCK, &stop_signals, &old_mask);
      if (opt->jobs > 1)
        for (guint i = 0; i < opt->jobs; i++)
          {
            GError *error = NULL;
            GThread *th = g_thread_try_new ("quarry-worker", worker, &sh, &error);
            if (th == NULL)
              {
                /* a thread or memory limit: go on with the workers there are, or none */
                g_printerr ("quarry: cannot start worker thread %u of %u: %s; running with %u%s (lower -j, or raise the limit: ulimit -u, ulimit -v)\n",
                            i + 1, opt->jobs, error->message, i, i == 0 ? ", on the main thread" : "");
                g_error_free (error);
                break;
              }
            g_ptr_array_add (threads, th);
          }
      pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
      /* each thread sets up its own worker first: wait for them, so that jobs go to
       * the queue only if a thread takes them */
      g_mutex_lock (&sh.lock);
      while (sh.started < threads->len)
        g_cond_wait (&sh.cond, &sh.lock);
      g_mutex_unlock (&sh.lock);
      inline_jobs = sh.usable == 0;
      if (!inline_jobs)
        g_clear_pointer (&main_worker, quarry_pipeline_worker_free);
    }

  for (;;)
    {
      Job *job;

      while (!eof && !stop_requested && !t.failed && !t.io_error && next_seq - written < sh.cap)
        {
          if (first != NULL)
            job = g_steal_pointer (&first);
          else
            {
              job = g_new0 (Job, 1);
              if (!quarry_input_next (input, &job->item))
                {
                  g_free (job);
                  eof = TRUE;
                  break;
                }
            }
          job->seq = next_seq++;
          job->bytes = job->item.length;
          t.in++;
          sh.ring[job->seq % sh.cap] = job;
          if (job->item.error != NULL || inline_jobs)
            {
              /* an input that could not be read needs no stage: dead-lettered here */
              quarry_job_process (pipeline, main_worker, job, NULL);
              job->done = TRUE;
            }
          else if (processes)
            g_queue_push_tail (&pending, job);
          else
            g_async_queue_push (sh.todo, job);
        }
      if (written == next_seq)
        break;

      job = sh.ring[written % sh.cap];
      if (processes)
        {
          while (!g_queue_is_empty (&pending) && quarry_workers_submit (workers, g_queue_peek_head (&pending)))
            g_queue_pop_head (&pending);
          while (!job->done)
            {
              quarry_workers_wait (workers, 200);
              while (!g_queue_is_empty (&pending) && quarry_workers_submit (workers, g_queue_peek_head (&pending)))
                g_queue_pop_head (&pending);
              show_progress (opt, &t, FALSE);
            }
        }
      else
        {
          g_mutex_lock (&sh.lock);
          while (!job->done)
            g_cond_wait (&sh.cond, &sh.lock);
          g_mutex_unlock (&sh.lock);
        }
      sh.ring[written % sh.cap] = NULL;
      write_job (opt, &t, job);
      written++;
      show_progress (opt, &t, FALSE);
    }
  interrupted = stop_requested && (!eof || quarry_input_was_stopped (input));

  if (processes)
    {
      replaced = quarry_workers_get_replaced (workers);
      quarry_workers_free (workers);
    }
  else
    {
      for (guint i = 0; i < threads->len; i++)
        g_async_queue_push (sh.todo, sh.todo);
      for (guint i = 0; i < threads->len; i++)
        g_thread_join (threads->pdata[i]);
      g_async_queue_unref (sh.todo);
      g_mutex_clear (&sh.lock);
      g_cond_clear (&sh.cond);
    }
  g_ptr_array_unref (threads);
  g_free (sh.ring);
  quarry_pipeline_worker_free (main_worker);

  /* the output last, as at every batch; then the messages, naming the file and errno */
  {
    g_autofree char *dead_err = NULL, *out_err = NULL;
    guint64 out_records, dead_records = t.skipped_dead;

    flush_outputs (&t);
    if (t.dead != NULL)
      {
        dead_records += quarry_output_get_records (t.dead);
        if (!quarry_output_close (t.dead, &dead_err))
          t.io_error = TRUE;
        t.dead = NULL;
      }
    out_records = t.skipped_out + quarry_output_get_records (t.out);
    if (!quarry_output_close (t.out, &out_err))
      t.io_error = TRUE;
    t.out = NULL;
    if (dead_err != NULL)
      g_printerr ("quarry: %s; %" G_GUINT64_FORMAT " dead letters were written whole, the file ends after the last of them\n",
                  dead_err, dead_records);
    if (out_err != NULL)
      g_printerr ("quarry: %s; %" G_GUINT64_FORMAT " records were written whole, the output ends after the last of them;"
                  " make room and run the same command with --resume to finish\n", out_err, out_records);

    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGTERM, &old_term, NULL);
    sigaction (SIGPIPE, &old_pipe, NULL);

    show_progress (opt, &t, TRUE);
    wall = (g_get_monotonic_time () - t.t_start) / 1e6;
    getrusage (RUSAGE_SELF, &ru);
    getrusage (RUSAGE_CHILDREN, &ru_children);  /* the workers, reaped by now */
    cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6
          + ru_children.ru_utime.tv_sec + ru_children.ru_utime.tv_usec / 1e6
          + ru_children.ru_stime.tv_sec + ru_children.ru_stime.tv_usec / 1e6;
    if (opt->report_path != NULL)
      write_report (pipeline, opt, &t, out_records, dead_records, wall, cpu, MAX (ru.ru_maxrss, ru_children.ru_maxrss),
                    interrupted, replaced);

    if (!opt->quiet)
      {
        guint64 skipped = t.skipped_out + t.skipped_dead, missing = t.in - out_records - dead_records;
        g_autofree char *resumed = skipped > 0 ? g_strdup_printf (" (%" G_GUINT64_FORMAT " of them written by the earlier run)", skipped)
                                               : g_strdup ("");
        g_autofree char *lost = missing > 0 ? g_strdup_printf ("; %" G_GUINT64_FORMAT " not written", missing) : g_strdup ("");
        g_printerr ("quarry: %" G_GUINT64_FORMAT " documents in, %" G_GUINT64_FORMAT " out, %" G_GUINT64_FORMAT
                    " dead-lettered%s%s%s%s; %.1f MB in %.2f s (%.1f MB/s)%s\n",
                    t.in, out_records, dead_records, dead_records ? " to " : "", dead_records ? opt->dead_letter_path : "",
                    resumed, lost, t.bytes / 1e6, wall, wall > 0 ? t.bytes / 1e6 / wall : 0.0,
                    interrupted ? "; interrupted: stopped taking documents" : "");
      }
    t.skipped_dead = dead_records;
    if (opt->result != NULL)
      {
        opt->result->documents = t.in;
        opt->result->records = out_records;
        opt->result->dead_letters = dead_records;
        opt->result->first_id = g_steal_pointer (&t.first_id);
        opt->result->last_id = g_steal_pointer (&t.last_id);
      }
    g_free (t.first_id);
    g_free (t.last_id);
  }
  g_clear_pointer (&t.reasons, g_hash_table_destroy);

  if (t.io_error)
    code = QUARRY_EXIT_IO;
  else if (t.failed)
    code = QUARRY_EXIT_STAGE_FAILED;
  else if (interrupted)
    code = QUARRY_EXIT_INTERRUPTED;
  else if (t.skipped_dead > 0)
    code = QUARRY_EXIT_DEAD_LETTERS;
  else
    code = QUARRY_EXIT_OK;
  return code;
}
