/* run.c: the run loop: reads inputs, hands documents to worker threads, writes records back in input order. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "document-private.h"
#include "run.h"
#include "writer.h"

typedef struct {
  guint64          seq;
  QuarryInputItem  item;
  GString         *line;
  gsize            bytes;
  gboolean         dead;
  gboolean         failed;
  gboolean         done;
} Job;

typedef struct {
  QuarryPipeline *pipeline;
  GAsyncQueue    *todo;
  GMutex          lock;
  GCond           cond;
  Job           **ring;
  guint           cap;
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

/* Runs one job through the pipeline and serializes its record or dead letter. */
static void
process_job (QuarryPipeline *pipeline, Job *job)
{
  const char *prov = quarry_pipeline_get_provenance_text (pipeline);
  QuarryInputItem *it = &job->item;
  QuarryDocument *doc;
  g_autofree char *reason = NULL;

  job->line = g_string_sized_new (it->length + it->length / 4 + 512);
  job->bytes = it->length;
  doc = quarry_document_new_take (it->id, g_steal_pointer (&it->bytes), it->length,
                                  it->media_type != NULL ? it->media_type : "application/octet-stream");
  it->length = 0;
  quarry_input_item_annotate (it, doc);
  if (it->error != NULL)
    {
      quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_ERROR, "input-error", QUARRY_NO_OFFSET, "%s", it->error);
      quarry_writer_append_dead_letter (job->line, doc, it->error, prov);
      job->dead = TRUE;
    }
  else
    {
      switch (quarry_pipeline_process (pipeline, doc, &reason))
        {
        case QUARRY_RESULT_OK:
          quarry_writer_append_record (job->line, doc, prov);
          break;
        case QUARRY_RESULT_FAILED:
          job->failed = TRUE;
          G_GNUC_FALLTHROUGH;
        case QUARRY_RESULT_DROPPED:
          quarry_writer_append_dead_letter (job->line, doc, reason, prov);
          job->dead = TRUE;
          break;
        }
    }
  g_string_append_c (job->line, '\n');
  quarry_document_free (doc);
}

static gpointer
worker (gpointer data)
{
  Shared *sh = data;
  Job *job;

  /* the queue hands out jobs; a job pointing at the queue itself means "stop" */
  while ((job = g_async_queue_pop (sh->todo)) != (gpointer) sh->todo)
    {
      process_job (sh->pipeline, job);
      g_mutex_lock (&sh->lock);
      job->done = TRUE;
      g_cond_broadcast (&sh->cond);
      g_mutex_unlock (&sh->lock);
    }
  return NULL;
}

typedef struct {
  guint64 in, out, dead, bytes;
  gboolean failed, io_error;
  FILE *dead_file;
  gint64 t_start, last_progress;
} Tally;

static void
write_job (const QuarryRunOptions *opt, Tally *t, Job *job)
{
  FILE *f = opt->out;

  t->bytes += job->bytes;
  if (job->dead)
    {
      if (t->dead_file == NULL)
        {
          t->dead_file = fopen (opt->dead_letter_path, "wb");
          if (t->dead_file == NULL)
            {
              g_printerr ("quarry: cannot open dead-letter file %s: %s; documents that failed are lost: fix the path with --dead-letter\n",
                          opt->dead_letter_path, g_strerror (errno));
              t->io_error = TRUE;
            }
        }
      f = t->dead_file;
      t->dead++;
      t->failed |= job->failed;
    }
  else
    t->out++;
  if (f != NULL && fwrite (job->line->str, 1, job->line->len, f) != job->line->len)
    t->io_error = TRUE;
  g_string_free (job->line, TRUE);
  quarry_input_item_clear (&job->item);
  g_free (job);
}

static void
show_progress (const QuarryRunOptions *opt, Tally *t, gboolean final)
{
  gint64 now = g_get_monotonic_time ();
  double secs, mb;

  if (!opt->progress || (!final && now - t->last_progress < 200000))
    return;
  t->last_progress = now;
  secs = MAX ((now - t->t_start) / 1e6, 1e-6);
  mb = t->bytes / 1e6;
  g_printerr ("\r\033[K%" G_GUINT64_FORMAT " documents (%" G_GUINT64_FORMAT " dead-lettered), %.1f MB, %.1f MB/s, %.0f docs/s",
              t->out + t->dead, t->dead, mb, mb / secs, (t->out + t->dead) / secs);
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
write_report (QuarryPipeline *pipeline, const QuarryRunOptions *opt, const Tally *t, double wall, double cpu,
              glong maxrss_kb, gboolean interrupted)
{
  json_object *r = json_object_new_object ();
  json_object *docs = json_object_new_object ();
  json_object *stages = json_object_new_array ();
  const QuarryStageStats *st;
  guint n;

  json_object_object_add (docs, "in", json_object_new_int64 (t->in));
  json_object_object_add (docs, "out", json_object_new_int64 (t->out));
  json_object_object_add (docs, "dead_lettered", json_object_new_int64 (t->dead));
  json_object_object_add (r, "documents", docs);
  json_object_object_add (r, "bytes_in", json_object_new_int64 (t->bytes));
  json_object_object_add (r, "jobs", json_object_new_int (opt->jobs));
  json_object_object_add (r, "wall_seconds", json_object_new_double (wall));
  json_object_object_add (r, "cpu_seconds", json_object_new_double (cpu));
  json_object_object_add (r, "mb_per_second", json_object_new_double (wall > 0 ? t->bytes / 1e6 / wall : 0));
  json_object_object_add (r, "documents_per_second", json_object_new_double (wall > 0 ? (t->out + t->dead) / wall : 0));
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
  if (json_object_to_file_ext (opt->report_path, r, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE) != 0)
    g_printerr ("quarry: cannot write report %s: %s\n", opt->report_path, json_util_get_last_err ());
  json_object_put (r);
}

int
quarry_run (QuarryPipeline *pipeline, QuarryInput *input, const QuarryRunOptions *opt)
{
  Shared sh = { 0 };
  Tally t = { 0 };
  GPtrArray *threads = g_ptr_array_new ();
  guint64 next_seq = 0, written = 0;
  gboolean eof = FALSE, interrupted = FALSE, inline_jobs;
  struct sigaction sa, old_int, old_term;
  sigset_t stop_signals, old_mask;
  struct rusage ru;
  double wall, cpu;
  int code;

  stop_requested = 0;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_int);
  sigaction (SIGTERM, &sa, &old_term);

  t.t_start = g_get_monotonic_time ();
  sh.pipeline = pipeline;
  /* bounded in flight: memory does not grow with the corpus */
  sh.cap = opt->jobs <= 1 ? 1 : opt->jobs * 4;
  sh.ring = g_new0 (Job *, sh.cap);
  sh.todo = g_async_queue_new ();
  g_mutex_init (&sh.lock);
  g_cond_init (&sh.cond);
  /* SIGINT/SIGTERM go to this thread, which may be waiting in a read of the input
   * (stdin, a FIFO): taken by a worker, they would leave that read waiting */
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
  inline_jobs = threads->len == 0;

  for (;;)
    {
      Job *job;

      while (!eof && !stop_requested && !t.failed && next_seq - written < sh.cap)
        {
          job = g_new0 (Job, 1);
          if (!quarry_input_next (input, &job->item))
            {
              g_free (job);
              eof = TRUE;
              break;
            }
          job->seq = next_seq++;
          t.in++;
          if (inline_jobs)
            {
              process_job (pipeline, job);
              job->done = TRUE;
            }
          else
            g_async_queue_push (sh.todo, job);
          sh.ring[job->seq % sh.cap] = job;
        }
      if (written == next_seq)
        break;

      g_mutex_lock (&sh.lock);
      while (!(job = sh.ring[written % sh.cap])->done)
        g_cond_wait (&sh.cond, &sh.lock);
      sh.ring[written % sh.cap] = NULL;
      g_mutex_unlock (&sh.lock);
      write_job (opt, &t, job);
      written++;
      show_progress (opt, &t, FALSE);
    }
  interrupted = stop_requested && (!eof || quarry_input_was_stopped (input));

  for (guint i = 0; i < threads->len; i++)
    g_async_queue_push (sh.todo, sh.todo);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  g_ptr_array_unref (threads);
  g_async_queue_unref (sh.todo);
  g_mutex_clear (&sh.lock);
  g_cond_clear (&sh.cond);
  g_free (sh.ring);
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);

  if (fflush (opt->out) != 0 || ferror (opt->out))
    t.io_error = TRUE;
  if (t.dead_file != NULL && fclose (t.dead_file) != 0)
    t.io_error = TRUE;

  show_progress (opt, &t, TRUE);
  wall = (g_get_monotonic_time () - t.t_start) / 1e6;
  getrusage (RUSAGE_SELF, &ru);
  cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  if (opt->report_path != NULL)
    write_report (pipeline, opt, &t, wall, cpu, ru.ru_maxrss, interrupted);

  if (!opt->quiet)
    g_printerr ("quarry: %" G_GUINT64_FORMAT " documents in, %" G_GUINT64_FORMAT " out, %" G_GUINT64_FORMAT
                " dead-lettered%s%s; %.1f MB in %.2f s (%.1f MB/s)%s\n",
                t.in, t.out, t.dead, t.dead ? " to " : "", t.dead ? opt->dead_letter_path : "",
                t.bytes / 1e6, wall, wall > 0 ? t.bytes / 1e6 / wall : 0.0,
                interrupted ? "; interrupted: stopped taking documents" : "");

  if (t.io_error)
    code = QUARRY_EXIT_IO;
  else if (t.failed)
    code = QUARRY_EXIT_STAGE_FAILED;
  else if (interrupted)
    code = QUARRY_EXIT_INTERRUPTED;
  else if (t.dead > 0)
    code = QUARRY_EXIT_DEAD_LETTERS;
  else
    code = QUARRY_EXIT_OK;
  return code;
}
