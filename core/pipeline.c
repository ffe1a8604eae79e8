/* pipeline.c: sets up the configured stages once and runs each document through them with its error policy. */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <time.h>

#include "document-private.h"
#include "pipeline.h"

typedef struct {
  QuarryStage *stage;
  const char  *name;   /* interned: diagnostics keep it after the pipeline is gone */
  gpointer     state;
  gboolean     set_up;
  /* the ABI 1.2 worker callbacks, NULL for an older plugin or one without them */
  QuarryPluginWorkerSetupFunc    worker_setup;
  QuarryPluginWorkerTeardownFunc worker_teardown;
} StageRun;

struct _QuarryPipeline {
  QuarryConfig     *cfg;
  StageRun         *runs;
  QuarryStageStats *stats;
  guint             n;
  gboolean          has_workers;  /* a stage has worker callbacks */
  json_object      *provenance;
  char             *provenance_text;
  /* workers for quarry_pipeline_process(), which callers share across threads */
  GMutex            idle_lock;
  GPtrArray        *idle;
};

struct _QuarryPipelineWorker {
  QuarryPipeline *pipeline;
  gpointer       *states;  /* one per stage: the worker state, or the stage's own */
  gboolean       *set_up;
};

G_DEFINE_QUARK (quarry-pipeline-error-quark, quarry_pipeline_error)

/* What this thread runs now, for the log handler: a GLib critical from a plugin's
 * call into the core (a g_return_if_fail) then names the stage and the document. */
typedef struct {
  const char                   *stage;
  const QuarryPluginDescriptor *desc;
  QuarryDocument               *doc;
} Running;

static __thread const Running *running;

static void
log_in_stage (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  const Running *r = running;

  if (r == NULL)
    {
      g_log_default_handler (domain, level, message, data);
      return;
    }
  {
    g_autofree char *m = g_strdup_printf ("in stage '%s' (plugin %s %s) on document %s: %s", r->stage, r->desc->name,
                                          r->desc->version, quarry_document_get_id (r->doc), message);
    g_log_default_handler (domain, level, m, data);
  }
}

static void
install_log_handler (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      /* the core and plugins log with no domain; GLib's own checks with "GLib" */
      GLogLevelFlags levels = G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL;
      g_log_set_handler (NULL, levels, log_in_stage, NULL);
      g_log_set_handler ("GLib", levels, log_in_stage, NULL);
      g_once_init_leave (&done, 1);
    }
}

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
teardown_all (QuarryPipeline *p)
{
  /* in reverse, so a stage never outlives what it was set up after */
  for (guint i = p->n; i-- > 0;)
    {
      StageRun *r = &p->runs[i];
      const QuarryPluginDescriptor *d;

      if (!r->set_up)
        continue;  /* set-up failed here, or never got this far */
      d = quarry_stage_get_plugin (r->stage)->desc;
      if (d->teardown != NULL)
        d->teardown (r->state);
      r->set_up = FALSE;
    }
}

static json_object *
build_provenance (const QuarryPipeline *p)
{
  json_object *prov = json_object_new_object ();
  json_object *stages = json_object_new_array ();

  json_object_object_add (prov, "quarry", json_object_new_string (QUARRY_VERSION));
  json_object_object_add (prov, "plugin_abi",
                          json_object_new_string (G_STRINGIFY (QUARRY_PLUGIN_ABI_MAJOR) "." G_STRINGIFY (QUARRY_PLUGIN_ABI_MINOR)));
  json_object_object_add (prov, "config_hash", json_object_new_string (quarry_config_get_hash (p->cfg)));
  for (guint i = 0; i < p->n; i++)
    {
      const QuarryPluginDescriptor *d = quarry_stage_get_plugin (p->runs[i].stage)->desc;
      json_object *s = json_object_new_object ();
      json_object_object_add (s, "name", json_object_new_string (quarry_stage_get_name (p->runs[i].stage)));
      json_object_object_add (s, "plugin", json_object_new_string (d->name));
      json_object_object_add (s, "version", json_object_new_string (d->version));
      if (quarry_stage_get_provenance (p->runs[i].stage) != NULL)
        json_object_object_add (s, "data", json_object_get (quarry_stage_get_provenance (p->runs[i].stage)));
      json_object_array_add (stages, s);
    }
  json_object_object_add (prov, "stages", stages);
  return prov;
}

QuarryPipeline *
quarry_pipeline_new (QuarryConfig *cfg, GError **error)
{
  QuarryPipeline *p;

  g_return_val_if_fail (cfg != NULL, NULL);
  install_log_handler ();
  p = g_new0 (QuarryPipeline, 1);
  p->cfg = cfg;
  p->n = quarry_config_get_n_stages (cfg);
  p->runs = g_new0 (StageRun, p->n);
  /* shared memory: worker processes forked after set-up count into the same
   * counters (the adds are atomic, which holds across processes too) */
  p->stats = mmap (NULL, MAX (p->n, 1) * sizeof (QuarryStageStats), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p->stats == MAP_FAILED)
    g_error ("cannot map %u stage counters: %s", p->n, g_strerror (errno));

  for (guint i = 0; i < p->n; i++)
    {
      StageRun *r = &p->runs[i];
      const QuarryPluginDescriptor *d;
      GError *local = NULL;

      r->stage = quarry_config_get_stage (cfg, i);
      r->name = g_intern_string (quarry_stage_get_name (r->stage));
      d = quarry_stage_get_plugin (r->stage)->desc;
      p->stats[i].name = r->name;
      if (d->setup != NULL && !d->setup (r->stage, &r->state, &local))
        {
          g_set_error (error, QUARRY_PIPELINE_ERROR, QUARRY_PIPELINE_ERROR_SETUP,
                       "stage '%s' (plugin %s %s) could not set up: %s",
                       quarry_stage_get_name (r->stage), d->name, d->version,
                       local != NULL ? local->message : "its setup failed without saying why");
          g_clear_error (&local);
          quarry_pipeline_free (p);
          return NULL;
        }
      r->set_up = TRUE;
      if (QUARRY_DESCRIPTOR_HAS_1_2 (d))
        {
          r->worker_setup = d->worker_setup;
          r->worker_teardown = d->worker_teardown;
          p->has_workers |= r->worker_setup != NULL;
        }
    }
  g_mutex_init (&p->idle_lock);
  p->idle = g_ptr_array_new ();
  p->provenance = build_provenance (p);
  p->provenance_text = g_strdup (json_object_to_json_string_ext (p->provenance, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
  return p;
}

void
quarry_pipeline_free (QuarryPipeline *p)
{
  if (p == NULL)
    return;
  if (p->idle != NULL)
    {
      for (guint i = 0; i < p->idle->len; i++)
        quarry_pipeline_worker_free (p->idle->pdata[i]);
      g_ptr_array_unref (p->idle);
      g_mutex_clear (&p->idle_lock);
    }
  teardown_all (p);
  if (p->provenance != NULL)
    json_object_put (p->provenance);
  g_free (p->provenance_text);
  g_free (p->runs);
  munmap (p->stats, MAX (p->n, 1) * sizeof (QuarryStageStats));
  quarry_config_free (p->cfg);
  g_free (p);
}

const QuarryConfig *
quarry_pipeline_get_config (const QuarryPipeline *p)
{
  return p->cfg;
}

json_object *
quarry_pipeline_get_provenance (const QuarryPipeline *p)
{
  return p->provenance;
}

const char *
quarry_pipeline_get_provenance_text (const QuarryPipeline *p)
{
  return p->provenance_text;
}

const QuarryStageStats *
quarry_pipeline_get_stats (QuarryPipeline *p, guint *n_stages)
{
  *n_stages = p->n;
  return p->stats;
}

QuarryPipelineWorker *
quarry_pipeline_worker_new (QuarryPipeline *p, GError **error)
{
  QuarryPipelineWorker *w = g_new0 (QuarryPipelineWorker, 1);

  w->pipeline = p;
  w->states = g_new0 (gpointer, MAX (p->n, 1));
  w->set_up = g_new0 (gboolean, MAX (p->n, 1));
  for (guint i = 0; i < p->n; i++)
    {
      StageRun *r = &p->runs[i];
      GError *local = NULL;

      w->states[i] = r->state;
      if (r->worker_setup == NULL)
        continue;
      w->states[i] = NULL;
      if (!r->worker_setup (r->state, &w->states[i], &local))
        {
          const QuarryPluginDescriptor *d = quarry_stage_get_plugin (r->stage)->desc;
          g_set_error (error, QUARRY_PIPELINE_ERROR, QUARRY_PIPELINE_ERROR_SETUP,
                       "stage '%s' (plugin %s %s) could not set up a worker: %s", r->name, d->name, d->version,
                       local != NULL ? local->message : "its worker_setup failed without saying why");
          g_clear_error (&local);
          quarry_pipeline_worker_free (w);
          return NULL;
        }
      g_clear_error (&local);
      w->set_up[i] = TRUE;
    }
  return w;
}

void
quarry_pipeline_worker_free (QuarryPipelineWorker *w)
{
  if (w == NULL)
    return;
  /* in reverse, as the stages themselves */
  for (guint i = w->pipeline->n; i-- > 0;)
    {
      StageRun *r = &w->pipeline->runs[i];
      if (w->set_up[i] && r->worker_teardown != NULL)
        r->worker_teardown (r->state, w->states[i]);
    }
  g_free (w->states);
  g_free (w->set_up);
  g_free (w);
}

QuarryResult
quarry_pipeline_process (QuarryPipeline *p, QuarryDocument *doc, char **reason)
{
  return quarry_pipeline_process_marked (p, doc, reason, NULL);
}

QuarryResult
quarry_pipeline_process_marked (QuarryPipeline *p, QuarryDocument *doc, char **reason, QuarryStageMark *mark)
{
  QuarryPipelineWorker *w = NULL;
  QuarryResult res;

  if (p->has_workers)
    {
      GError *error = NULL;

      /* a worker no other caller is using: the last one given back, or a new one */
      g_mutex_lock (&p->idle_lock);
      if (p->idle->len > 0)
        w = g_ptr_array_steal_index_fast (p->idle, p->idle->len - 1);
      g_mutex_unlock (&p->idle_lock);
      if (w == NULL && (w = quarry_pipeline_worker_new (p, &error)) == NULL)
        {
          quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_ERROR, "stage-failed", QUARRY_NO_OFFSET, "%s",
                                    error->message);
          if (reason != NULL)
            *reason = g_strdup (error->message);
          g_error_free (error);
          return QUARRY_RESULT_FAILED;
        }
    }
  res = quarry_pipeline_process_worker (p, w, doc, reason, mark);
  if (w != NULL)
    {
      g_mutex_lock (&p->idle_lock);
      g_ptr_array_add (p->idle, w);
      g_mutex_unlock (&p->idle_lock);
    }
  return res;
}

QuarryResult
quarry_pipeline_process_worker (QuarryPipeline *p, QuarryPipelineWorker *w, QuarryDocument *doc, char **reason,
                                QuarryStageMark *mark)
{
  g_return_val_if_fail (w != NULL || !p->has_workers, QUARRY_RESULT_FAILED);
  g_return_val_if_fail (w == NULL || w->pipeline == p, QUARRY_RESULT_FAILED);

  for (guint i = 0; i < p->n; i++)
    {
      StageRun *r = &p->runs[i];
      const QuarryPluginDescriptor *d = quarry_stage_get_plugin (r->stage)->desc;
      const char *name = r->name;
      GError *local = NULL;
      gsize len;
      gint64 t0;
      gboolean ok;

      quarry_document_get_text (doc, &len);
      quarry_document_set_stage (doc, name);
      t0 = now_ns ();
      if (mark != NULL)
        {
          /* the time first: a reader that sees the new stage sees its start */
          __atomic_store_n (&mark->started_ns, t0, __ATOMIC_RELAXED);
          __atomic_store_n (&mark->stage, (gint) i, __ATOMIC_RELEASE);
        }
      {
        Running now = { name, d, doc };
        running = &now;
        ok = d->process (w != NULL ? w->states[i] : r->state, doc, &local);
        running = NULL;
      }
      __atomic_fetch_add (&p->stats[i].nanoseconds, now_ns () - t0, __ATOMIC_RELAXED);
      __atomic_fetch_add (&p->stats[i].documents, 1, __ATOMIC_RELAXED);
      __atomic_fetch_add (&p->stats[i].bytes_in, len, __ATOMIC_RELAXED);
      if (ok)
        {
          if (local != NULL)
            {
              /* a plugin mistake: said it worked but set an error. The document goes on;
               * the author learns of it from the record rather than never */
              quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, "error-ignored", QUARRY_NO_OFFSET,
                                        "stage '%s' (plugin %s %s) returned success but set an error, which is "
                                        "ignored: %s (a plugin bug: return FALSE to fail, or clear the error)",
                                        name, d->name, d->version, local->message);
              g_clear_error (&local);
            }
          continue;
        }

      __atomic_fetch_add (&p->stats[i].errors, 1, __ATOMIC_RELAXED);
      {
        g_autofree char *why = g_strdup_printf ("stage '%s' (plugin %s %s) failed: %s", name, d->name, d->version,
                                                local != NULL ? local->message : "it returned failure without saying why");
        g_clear_error (&local);
        quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_ERROR, "stage-failed", QUARRY_NO_OFFSET, "%s", why);
        switch (quarry_stage_get_on_error (r->stage))
          {
          case QUARRY_ON_ERROR_SKIP:
            continue;
          case QUARRY_ON_ERROR_DROP:
            if (reason != NULL)
              *reason = g_steal_pointer (&why);
            return QUARRY_RESULT_DROPPED;  /* the stage stays set: the dead letter names it */
          case QUARRY_ON_ERROR_FAIL:
          default:
            if (reason != NULL)
              *reason = g_steal_pointer (&why);
            return QUARRY_RESULT_FAILED;
          }
      }
    }
  quarry_document_set_stage (doc, "output");
  return QUARRY_RESULT_OK;
}

gint64
quarry_pipeline_now_ns (void)
{
  return now_ns ();
}
