/* config.c: reads a pipeline config (GKeyFile), checks it against the plugins' option tables, resolves and hashes it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quarry-config.h"

#define CORE_KEY_ON_ERROR "on-error"
#define CORE_KEY_TIMEOUT_MS "timeout-ms"

typedef struct {
  const QuarryOption *opt;  /* NULL for core keys */
  char               *text; /* resolved value as text (NULL: unset) */
  gint64              i;
  double              d;
  gboolean            b;
  GStrv               strv;
} Value;

struct _QuarryStage {
  char               *name;
  const QuarryPlugin *plugin;
  QuarryOnError       on_error;
  GHashTable         *values;  /* option name -> Value* */
  json_object        *data;    /* (nullable) what set-up recorded for the provenance */
};

struct _QuarryConfig {
  char      *name;
  GPtrArray *stages;  /* QuarryStage* */
  char      *canonical;
  char      *hash;
  gboolean   span_stages;  /* [pipeline] span-stages: each span's stage in the output */
};

G_DEFINE_QUARK (quarry-config-error-quark, quarry_config_error)

static const char *const on_error_choices[] = { "skip", "drop", "fail", NULL };
static const QuarryOption on_error_option = {
  CORE_KEY_ON_ERROR, QUARRY_OPTION_ENUM, "skip",
  "what to do when the stage fails on a document: skip (record it, go on), drop (dead-letter the document), fail (stop the run)",
  on_error_choices, 0, 0, { NULL, NULL }
};
/* enforced by the run loop's worker processes (core/worker.c) */
static const QuarryOption timeout_ms_option = {
  CORE_KEY_TIMEOUT_MS, QUARRY_OPTION_INT, "0",
  "longest time the stage may take on one document, in milliseconds; a worker that overruns it is replaced and the document dead-lettered (0: no limit)",
  NULL, 0, 86400000, { NULL, NULL }
};
/* the keys every stage has, before its plugin's own */
static const QuarryOption *const core_options[] = { &on_error_option, &timeout_ms_option };

static const char *const pipeline_keys[] = { "stages", "description", "span-stages", NULL };

static void
value_free (gpointer data)
{
  Value *v = data;

  g_free (v->text);
  g_strfreev (v->strv);
  g_free (v);
}

static void
stage_free (gpointer data)
{
  QuarryStage *s = data;

  g_free (s->name);
  g_hash_table_unref (s->values);
  if (s->data != NULL)
    json_object_put (s->data);
  g_free (s);
}

void
quarry_config_free (QuarryConfig *cfg)
{
  if (cfg == NULL)
    return;
  g_free (cfg->name);
  g_ptr_array_unref (cfg->stages);
  g_free (cfg->canonical);
  g_free (cfg->hash);
  g_free (cfg);
}

/* ---- messages ---- */

static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diag = row[0];
      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint up = row[j];
          guint cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;
          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diag + cost);
          diag = up;
        }
    }
  return row[lb];
}

/* The closest of candidates to word, if close enough to be a likely typo. */
static const char *
closest (const char *word, GPtrArray *candidates)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;

  for (guint i = 0; i < candidates->len; i++)
    {
      guint d = edit_distance (word, candidates->pdata[i]);
      if (d < best_d)
        {
          best_d = d;
          best = candidates->pdata[i];
        }
    }
  if (best != NULL && best_d <= MAX (2u, (guint) strlen (word) / 3))
    return best;
  return NULL;
}

static char *
did_you_mean (const char *word, GPtrArray *candidates)
{
  const char *c = closest (word, candidates);
  g_autoptr(GString) s = g_string_new (NULL);

  if (c != NULL)
    return g_strdup_printf ("; did you mean '%s'?", c);
  if (candidates->len == 0)
    return g_strdup ("");
  g_string_append (s, "; valid: ");
  for (guint i = 0; i < candidates->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", (const char *) candidates->pdata[i]);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Line (1-based) of `[group]` or of `key` inside it in the raw text; 0 if not found. */
static guint
find_line (const char *data, const char *group, const char *key)
{
  guint line = 0;
  gboolean in_group = FALSE;
  const char *p = data;

  while (*p != '\0')
    {
      const char *eol = strchr (p, '\n');
      gsize len = eol ? (gsize) (eol - p) : strlen (p);
      g_autofree char *l = g_strstrip (g_strndup (p, len));

      line++;
      if (l[0] == '[')
        {
          g_autofree char *want = g_strdup_printf ("[%s]", group);
          in_group = g_str_equal (l, want);
          if (in_group && key == NULL)
            return line;
        }
      else if (in_group && key != NULL && l[0] != '#' && l[0] != ';')
        {
          const char *eq = strchr (l, '=');
          if (eq != NULL)
            {
              g_autofree char *k = g_strstrip (g_strndup (l, eq - l));
              if (g_str_equal (k, key))
                return line;
            }
        }
      if (eol == NULL)
        break;
      p = eol + 1;
    }
  return 0;
}

typedef struct {
  const char *name;   /* display name of the file */
  const char *data;   /* raw text, for line numbers */
  GHashTable *overridden;  /* "group\nkey" of --set values */
} Ctx;

/* "FILE:LINE: " or "--set GROUP.KEY: " or "FILE: " */
static char *
where (const Ctx *ctx, const char *group, const char *key)
{
  guint line;

  if (group != NULL && key != NULL)
    {
      g_autofree char *k = g_strdup_printf ("%s\n%s", group, key);
      if (g_hash_table_contains (ctx->overridden, k))
        return g_strdup_printf ("--set %s.%s", group, key);
    }
  line = group != NULL ? find_line (ctx->data, group, key) : 0;
  if (line > 0)
    return g_strdup_printf ("%s:%u", ctx->name, line);
  return g_strdup (ctx->name);
}

/* GKeyFile keeps the last of two equal keys and merges two equal groups without a
 * word: in a config that hides a mistake, so both are errors. */
static gboolean
check_repeats (const Ctx *ctx, GError **error)
{
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = NULL;
  const char *p = ctx->data;
  guint line = 0;

  while (*p != '\0')
    {
      const char *eol = strchr (p, '\n');
      gsize len = eol ? (gsize) (eol - p) : strlen (p);
      g_autofree char *l = g_strstrip (g_strndup (p, len));
      const char *eq;

      line++;
      if (l[0] == '[' && l[strlen (l) - 1] == ']')
        {
          g_free (group);
          group = g_strndup (l + 1, strlen (l) - 2);
          if (g_hash_table_contains (groups, group))
            {
              g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE,
                           "%s:%u: group [%s] appears twice (first on line %u); merge the two into one",
                           ctx->name, line, group, GPOINTER_TO_UINT (g_hash_table_lookup (groups, group)));
              return FALSE;
            }
          g_hash_table_insert (groups, g_strdup (group), GUINT_TO_POINTER (line));
        }
      else if (group != NULL && l[0] != '#' && l[0] != ';' && (eq = strchr (l, '=')) != NULL)
        {
          g_autofree char *k = g_strstrip (g_strndup (l, eq - l));
          g_autofree char *gk = g_strdup_printf ("%s\n%s", group, k);
          if (g_hash_table_contains (keys, gk))
            {
              g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE,
                           "%s:%u: key '%s' appears twice in [%s] (first on line %u); keep one of them",
                           ctx->name, line, k, group, GPOINTER_TO_UINT (g_hash_table_lookup (keys, gk)));
              return FALSE;
            }
          g_hash_table_insert (keys, g_steal_pointer (&gk), GUINT_TO_POINTER (line));
        }
      if (eol == NULL)
        break;
      p = eol + 1;
    }
  return TRUE;
}

/* ---- values ---- */

static gboolean
parse_value (const Ctx *ctx, const char *group, const QuarryOption *opt, const char *raw,
             const char *base_dir, Value *v, GError **error)
{
  g_autofree char *at = where (ctx, group, opt->name);
  char *end = NULL;

  switch (opt->type)
    {
    case QUARRY_OPTION_STRING:
      v->text = g_strdup (raw);
      return TRUE;

    case QUARRY_OPTION_PATH:
      if (raw[0] == '\0' || g_path_is_absolute (raw) || base_dir == NULL)
        v->text = g_strdup (raw);
      else
        v->text = g_canonicalize_filename (raw, base_dir);
      return TRUE;

    case QUARRY_OPTION_INT:
      errno = 0;
      v->i = g_ascii_strtoll (raw, &end, 10);
      if (raw[0] == '\0' || *end != '\0' || errno != 0)
        {
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_VALUE,
                       "%s: [%s] %s = '%s' is not a whole number; write e.g. %s = %s",
                       at, group, opt->name, raw, opt->name,
                       opt->default_value ? opt->default_value : "3");
          return FALSE;
        }
      if (opt->min < opt->max && (v->i < opt->min || v->i > opt->max))
        {
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_VALUE,
                       "%s: [%s] %s = %s is out of range; use a value from %.0f to %.0f",
                       at, group, opt->name, raw, opt->min, opt->max);
          return FALSE;
        }
      v->d = v->i;
      v->text = g_strdup_printf ("%" G_GINT64_FORMAT, v->i);
      return TRUE;

    case QUARRY_OPTION_DOUBLE:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        errno = 0;
        v->d = g_ascii_strtod (raw, &end);
        if (raw[0] == '\0' || *end != '\0' || errno != 0 || !isfinite (v->d))
          {
            g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_VALUE,
                         "%s: [%s] %s = '%s' is not a number; write e.g. %s = %s",
                         at, group, opt->name, raw, opt->name,
                         opt->default_value ? opt->default_value : "0.5");
            return FALSE;
          }
        if (opt->min < opt->max && (v->d < opt->min || v->d > opt->max))
          {
            g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_VALUE,
                         "%s: [%s] %s = %s is out of range; use a value from %g to %g",
                         at, group, opt->name, raw, opt->min, opt->max);
            return FALSE;
          }
        v->text = g_strdup (g_ascii_dtostr (buf, sizeof buf, v->d));
        return TRUE;
      }

    case QUARRY_OPTION_BOOL:
      if (!quarry_option_parse_bool (raw, &v->b))
        {
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_VALUE,
                       "%s: [%s] %s = '%s' is not a boolean; write true or false",
                       at, group, opt->name, raw);
          return FALSE;
        }
      v->i = v->b;
      v->text = g_strdup (v->b ? "true" : "false");
      return TRUE;

    case QUARRY_OPTION_ENUM:
      for (guint i = 0; opt->choices[i] != NULL; i++)
        if (g_str_equal (raw, opt->choices[i]))
          {
            v->i = i;
            v->text = g_strdup (raw);
            return TRUE;
          }
      {
        g_autoptr(GPtrArray) c = g_ptr_array_new ();
        g_autofree char *hint = NULL;
        for (guint i = 0; opt->choices[i] != NULL; i++)
          g_ptr_array_add (c, (gpointer) opt->choices[i]);
        hint = did_you_mean (raw, c);
        g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_VALUE,
                     "%s: [%s] %s = '%s' is not an allowed value%s",
                     at, group, opt->name, raw, hint);
        return FALSE;
      }

    case QUARRY_OPTION_STRING_LIST:
    case QUARRY_OPTION_PATH_LIST:
      {
        g_auto(GStrv) parts = g_strsplit (raw, ";", -1);
        g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
        for (guint i = 0; parts[i] != NULL; i++)
          {
            char *s = g_strstrip (parts[i]);
            if (s[0] == '\0')
              continue;
            if (opt->type == QUARRY_OPTION_PATH_LIST && !g_path_is_absolute (s) && base_dir != NULL)
              {
                g_autofree char *path = g_canonicalize_filename (s, base_dir);
                g_strv_builder_add (b, path);
              }
            else
              g_strv_builder_add (b, s);
          }
        v->strv = g_strv_builder_end (b);
        v->text = g_strjoinv (";", v->strv);
        return TRUE;
      }
    }
  g_assert_not_reached ();
}

/* ---- loading ---- */

/* A stage name is also the name of its config group. */
static gboolean
valid_stage_name (const char *name)
{
  if (name[0] == '\0')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static void
split_stage_entry (const char *entry, char **label, char **plugin)
{
  const char *colon = strchr (entry, ':');

  if (colon != NULL)
    {
      *label = g_strstrip (g_strndup (entry, colon - entry));
      *plugin = g_strstrip (g_strdup (colon + 1));
    }
  else
    {
      *label = g_strstrip (g_strdup (entry));
      *plugin = g_strdup (*label);
    }
}

static gboolean
apply_overrides (GKeyFile *kf, const char *const *overrides, GHashTable *overridden, GError **error)
{
  if (overrides == NULL)
    return TRUE;
  for (guint i = 0; overrides[i] != NULL; i++)
    {
      const char *o = overrides[i];
      const char *eq = strchr (o, '=');
      const char *dot = strchr (o, '.');
      g_autofree char *group = NULL, *key = NULL;

      if (eq == NULL || dot == NULL || dot > eq || dot == o || eq == dot + 1)
        {
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_OVERRIDE,
                       "--set '%s': expected STAGE.KEY=VALUE, e.g. --set summarize.sentences=5", o);
          return FALSE;
        }
      group = g_strndup (o, dot - o);
      key = g_strndup (dot + 1, eq - dot - 1);
      g_key_file_set_value (kf, group, key, eq + 1);
      g_hash_table_add (overridden, g_strdup_printf ("%s\n%s", group, key));
    }
  return TRUE;
}

static gboolean
requirement_met (GHashTable *provided, const char *req)
{
  return g_hash_table_contains (provided, req);
}

static char *
who_provides (QuarryRegistry *reg, const char *req)
{
  g_autoptr(GPtrArray) all = quarry_registry_list (reg);
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < all->len; i++)
    {
      const QuarryPlugin *p = all->pdata[i];
      if (p->desc->provides == NULL)
        continue;
      for (guint j = 0; p->desc->provides[j] != NULL; j++)
        if (g_str_equal (p->desc->provides[j], req))
          g_string_append_printf (s, "%s%s", s->len ? ", " : "", p->desc->name);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* A stage's `requires` or `provides` option, when its plugin's table has one as a
 * string list: the plugin lets the config declare them (NULL otherwise). */
static const char *const *
declared_list (QuarryStage *st, const char *key)
{
  const QuarryOption *opts = st->plugin->desc->options;

  for (guint i = 0; opts != NULL && opts[i].name != NULL; i++)
    if (g_str_equal (opts[i].name, key) && opts[i].type == QUARRY_OPTION_STRING_LIST)
      return quarry_stage_get_strv (st, key);
  return NULL;
}

static gboolean
load_stage (const Ctx *ctx, GKeyFile *kf, QuarryStage *stage, const char *base_dir, GError **error)
{
  const QuarryOption *opts = stage->plugin->desc->options;
  g_auto(GStrv) keys = NULL;

  /* every key present must be known */
  if (g_key_file_has_group (kf, stage->name))
    {
      keys = g_key_file_get_keys (kf, stage->name, NULL, NULL);
      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        {
          gboolean known = g_str_equal (keys[k], CORE_KEY_ON_ERROR) || g_str_equal (keys[k], CORE_KEY_TIMEOUT_MS);
          for (guint i = 0; !known && opts != NULL && opts[i].name != NULL; i++)
            known = g_str_equal (keys[k], opts[i].name);
          if (!known)
            {
              g_autoptr(GPtrArray) names = g_ptr_array_new ();
              g_autofree char *hint = NULL, *at = where (ctx, stage->name, keys[k]);
              g_ptr_array_add (names, (gpointer) CORE_KEY_ON_ERROR);
              for (guint i = 0; opts != NULL && opts[i].name != NULL; i++)
                g_ptr_array_add (names, (gpointer) opts[i].name);
              g_ptr_array_add (names, (gpointer) CORE_KEY_TIMEOUT_MS);
              hint = did_you_mean (keys[k], names);
              g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_UNKNOWN_KEY,
                           "%s: unknown key '%s' in [%s] (plugin %s)%s; 'quarry inspect %s' lists its options",
                           at, keys[k], stage->name, stage->plugin->desc->name, hint, stage->plugin->desc->name);
              return FALSE;
            }
        }
    }

  /* resolve: core keys first, then the plugin's table in its order */
  for (gint i = -(gint) G_N_ELEMENTS (core_options); i < 0 || (opts != NULL && opts[i].name != NULL); i++)
    {
      const QuarryOption *opt = i < 0 ? core_options[G_N_ELEMENTS (core_options) + i] : &opts[i];
      g_autofree char *raw = g_key_file_get_value (kf, stage->name, opt->name, NULL);
      Value *v = g_new0 (Value, 1);

      v->opt = opt;
      if (raw == NULL && opt->default_value != NULL)
        raw = g_strdup (opt->default_value);
      if (raw != NULL)
        {
          g_strstrip (raw);
          g_autofree char *okey = g_strdup_printf ("%s\n%s", stage->name, opt->name);
          g_autofree char *cwd = NULL;
          const char *dir = NULL;
          /* defaults are relative to nothing (plugins give absolute defaults); a --set
           * value was typed in a shell, so it is relative to the current folder */
          if (g_hash_table_contains (ctx->overridden, okey))
            dir = cwd = g_get_current_dir ();
          else if (g_key_file_has_key (kf, stage->name, opt->name, NULL))
            dir = base_dir;
          if (!parse_value (ctx, stage->name, opt, raw, dir, v, error))
            {
              value_free (v);
              return FALSE;
            }
        }
      else if (opt->type == QUARRY_OPTION_STRING_LIST || opt->type == QUARRY_OPTION_PATH_LIST)
        v->strv = g_new0 (char *, 1);
      if (opt == &on_error_option)
        stage->on_error = (QuarryOnError) v->i;
      g_hash_table_insert (stage->values, (gpointer) opt->name, v);
    }
  return TRUE;
}

static void
build_canonical (QuarryConfig *cfg)
{
  GString *s = g_string_new ("[pipeline]\nstages=");

  for (guint i = 0; i < cfg->stages->len; i++)
    {
      QuarryStage *st = cfg->stages->pdata[i];
      g_string_append_printf (s, "%s%s", i ? ";" : "", st->name);
      if (!g_str_equal (st->name, st->plugin->desc->name))
        g_string_append_printf (s, ":%s", st->plugin->desc->name);
    }
  g_string_append_c (s, '\n');
  /* only when set, as timeout-ms: older configs keep their hash */
  if (cfg->span_stages)
    g_string_append (s, "span-stages=true\n");
  for (guint i = 0; i < cfg->stages->len; i++)
    {
      QuarryStage *st = cfg->stages->pdata[i];
      const QuarryOption *opts = st->plugin->desc->options;
      Value *v = g_hash_table_lookup (st->values, CORE_KEY_ON_ERROR);

      g_string_append_printf (s, "\n[%s]\n%s=%s\n", st->name, CORE_KEY_ON_ERROR, v->text);
      /* only when set: a limit added in 0.3 must not change the hash of every older config */
      v = g_hash_table_lookup (st->values, CORE_KEY_TIMEOUT_MS);
      if (v->i != 0)
        g_string_append_printf (s, "%s=%" G_GINT64_FORMAT "\n", CORE_KEY_TIMEOUT_MS, v->i);
      for (guint j = 0; opts != NULL && opts[j].name != NULL; j++)
        {
          v = g_hash_table_lookup (st->values, opts[j].name);
          if (v->text != NULL)
            g_string_append_printf (s, "%s=%s\n", opts[j].name, v->text);
          else
            g_string_append_printf (s, "# %s is unset\n", opts[j].name);
        }
    }
  cfg->canonical = g_string_free (s, FALSE);
  cfg->hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, cfg->canonical, -1);
}

QuarryConfig *
quarry_config_new_from_data (const char *data, gssize length, const char *name, const char *base_dir,
                             QuarryRegistry *reg, const char *const *overrides, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GHashTable) overridden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) provided = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) labels = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(QuarryConfig) cfg = NULL;
  g_auto(GStrv) entries = NULL, groups = NULL, pkeys = NULL;
  g_autofree char *text = NULL;
  GError *local = NULL;
  gboolean span_stages = FALSE;
  g_autoptr(GString) unmet = NULL;
  Ctx ctx;

  if (name == NULL)
    name = "<config>";
  if (length < 0)
    length = strlen (data);
  {
    /* GKeyFile would stop at a NUL and quote invalid bytes into its messages */
    const char *bad = NULL;
    if (!g_utf8_validate_len (data, length, &bad))
      {
        guint line = 1;
        for (const char *p = data; p < bad; p++)
          line += *p == '\n';
        g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE,
                     "%s:%u: %s (byte %" G_GSIZE_FORMAT "); save the config as UTF-8 text", name, line,
                     *bad == '\0' ? "a NUL byte" : "not valid UTF-8", (gsize) (bad - data));
        return NULL;
      }
  }
  text = g_strndup (data, length);
  ctx.name = name;
  ctx.data = text;
  ctx.overridden = overridden;

  if (!g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE,
                   "%s: not a valid config file: %s; see the README's config reference", name, local->message);
      g_error_free (local);
      return NULL;
    }
  if (!check_repeats (&ctx, error))
    return NULL;
  if (!apply_overrides (kf, overrides, overridden, error))
    return NULL;

  if (!g_key_file_has_group (kf, "pipeline"))
    {
      g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                   "%s: no [pipeline] group; start the file with [pipeline] and stages = html-strip;...", name);
      return NULL;
    }
  pkeys = g_key_file_get_keys (kf, "pipeline", NULL, NULL);
  for (guint k = 0; pkeys[k] != NULL; k++)
    if (!g_strv_contains (pipeline_keys, pkeys[k]))
      {
        g_autoptr(GPtrArray) c = g_ptr_array_new ();
        g_autofree char *hint = NULL, *at = where (&ctx, "pipeline", pkeys[k]);
        for (guint i = 0; pipeline_keys[i] != NULL; i++)
          g_ptr_array_add (c, (gpointer) pipeline_keys[i]);
        hint = did_you_mean (pkeys[k], c);
        g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_UNKNOWN_KEY,
                     "%s: unknown key '%s' in [pipeline]%s", at, pkeys[k], hint);
        return NULL;
      }
  entries = g_key_file_get_string_list (kf, "pipeline", "stages", NULL, NULL);
  if (entries == NULL || entries[0] == NULL)
    {
      g_autofree char *at = where (&ctx, "pipeline", NULL);
      g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                   "%s: [pipeline] has no stages; add e.g. stages = html-strip;header-parse", at);
      return NULL;
    }

  if (g_key_file_has_key (kf, "pipeline", "span-stages", NULL))
    {
      g_autofree char *raw = g_key_file_get_value (kf, "pipeline", "span-stages", NULL);
      if (raw == NULL || !quarry_option_parse_bool (g_strstrip (raw), &span_stages))
        {
          g_autofree char *at = where (&ctx, "pipeline", "span-stages");
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_BAD_VALUE,
                       "%s: [pipeline] span-stages = '%s' is not a boolean; write true or false", at,
                       raw != NULL ? raw : "");
          return NULL;
        }
    }

  cfg = g_new0 (QuarryConfig, 1);
  cfg->name = g_strdup (name);
  cfg->span_stages = span_stages;
  cfg->stages = g_ptr_array_new_with_free_func (stage_free);

  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_autofree char *label = NULL, *pname = NULL;
      const QuarryPlugin *plugin;
      QuarryStage *stage;

      split_stage_entry (entries[i], &label, &pname);
      if (label[0] == '\0' && pname[0] == '\0' && strchr (entries[i], ':') == NULL)
        continue;  /* "a;;b" or a trailing ';' */
      if (!valid_stage_name (label) || pname[0] == '\0')
        {
          /* the label names a config group: it must be one GKeyFile can write back */
          g_autofree char *at = where (&ctx, "pipeline", "stages");
          g_autofree char *entry = g_strstrip (g_strdup (entries[i]));
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                       "%s: stage '%s' %s; write PLUGIN or NAME:PLUGIN, a NAME of letters, digits, '-', '_' or '.'",
                       at, entry, pname[0] == '\0' ? "names no plugin" : "has an empty or invalid name");
          return NULL;
        }
      if (g_hash_table_contains (labels, label) || g_str_equal (label, "pipeline"))
        {
          g_autofree char *at = where (&ctx, "pipeline", "stages");
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                       "%s: stage '%s' appears twice; to run a plugin twice give each a name: stages = a:%s;b:%s",
                       at, label, pname, pname);
          return NULL;
        }
      plugin = quarry_registry_lookup (reg, pname, &local);
      if (plugin == NULL)
        {
          g_autoptr(GPtrArray) all = quarry_registry_list (reg);
          g_autoptr(GPtrArray) names = g_ptr_array_new ();
          g_autofree char *at = where (&ctx, "pipeline", "stages");
          const char *near;
          for (guint j = 0; j < all->len; j++)
            g_ptr_array_add (names, (gpointer) ((QuarryPlugin *) all->pdata[j])->desc->name);
          near = closest (pname, names);
          g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_UNKNOWN_PLUGIN,
                       "%s: stage '%s': %s%s%s%s", at, label, local->message,
                       near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
          g_clear_error (&local);
          return NULL;
        }
      stage = g_new0 (QuarryStage, 1);
      stage->name = g_steal_pointer (&label);
      stage->plugin = plugin;
      stage->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, value_free);
      g_ptr_array_add (cfg->stages, stage);
      g_hash_table_add (labels, stage->name);
    }
  if (cfg->stages->len == 0)
    {
      g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_NO_PIPELINE,
                   "%s: [pipeline] stages is empty; name at least one stage", name);
      return NULL;
    }

  /* every other group must be a stage */
  groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    if (!g_str_equal (groups[g], "pipeline") && !g_hash_table_contains (labels, groups[g]))
      {
        g_autoptr(GPtrArray) c = g_ptr_array_new ();
        g_autofree char *hint = NULL, *at = where (&ctx, groups[g], NULL);
        g_ptr_array_add (c, (gpointer) "pipeline");
        for (guint i = 0; i < cfg->stages->len; i++)
          g_ptr_array_add (c, ((QuarryStage *) cfg->stages->pdata[i])->name);
        hint = did_you_mean (groups[g], c);
        g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_UNKNOWN_GROUP,
                     "%s: group [%s] is not a stage of this pipeline%s (or add it to [pipeline] stages)",
                     at, groups[g], hint);
        return NULL;
      }

  for (guint i = 0; i < cfg->stages->len; i++)
    {
      QuarryStage *st = cfg->stages->pdata[i];
      const QuarryPluginDescriptor *d = st->plugin->desc;

      const char *const *reqs[2], *const *provs[2];

      if (!load_stage (&ctx, kf, st, base_dir, error))
        return NULL;
      /* the descriptor's lists, then the stage's own when its plugin takes them as
       * options (exec: what a co-process adds is known only from its config); every
       * unmet requirement of the pipeline in one message, not the first alone */
      reqs[0] = d->requires;
      reqs[1] = declared_list (st, "requires");
      provs[0] = d->provides;
      provs[1] = declared_list (st, "provides");
      for (guint k = 0; k < 2; k++)
        for (guint r = 0; reqs[k] != NULL && reqs[k][r] != NULL; r++)
          if (!requirement_met (provided, reqs[k][r]))
            {
              g_autofree char *by = who_provides (reg, reqs[k][r]);
              if (unmet == NULL)
                {
                  g_autofree char *at = where (&ctx, "pipeline", "stages");
                  unmet = g_string_new (at);
                  g_string_append (unmet, ": ");
                }
              else
                g_string_append (unmet, "; ");
              g_string_append_printf (unmet, "stage '%s' requires '%s', which no earlier stage provides; %s%s%s",
                                      st->name, reqs[k][r], by[0] ? "put a stage of " : "no plugin found provides it",
                                      by, by[0] ? " before it" : "");
            }
      for (guint k = 0; k < 2; k++)
        for (guint p = 0; provs[k] != NULL && provs[k][p] != NULL; p++)
          g_hash_table_add (provided, (gpointer) provs[k][p]);
    }
  if (unmet != NULL)
    {
      g_set_error_literal (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_REQUIREMENT, unmet->str);
      return NULL;
    }

  build_canonical (cfg);
  return g_steal_pointer (&cfg);
}

QuarryConfig *
quarry_config_new_from_file (const char *path, QuarryRegistry *reg, const char *const *overrides, GError **error)
{
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  gsize len;
  GError *local = NULL;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE,
                   "cannot read config: %s", local->message);
      g_error_free (local);
      return NULL;
    }
  if (!g_utf8_validate_len (data, len, NULL) || memchr (data, 0, len) != NULL)
    {
      g_set_error (error, QUARRY_CONFIG_ERROR, QUARRY_CONFIG_ERROR_PARSE,
                   "%s: not a text file in UTF-8; save the config as UTF-8 text", path);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  {
    g_autofree char *abs = g_canonicalize_filename (dir, NULL);
    return quarry_config_new_from_data (data, len, path, abs, reg, overrides, error);
  }
}

guint
quarry_config_get_n_stages (const QuarryConfig *cfg)
{
  return cfg->stages->len;
}

QuarryStage *
quarry_config_get_stage (const QuarryConfig *cfg, guint index)
{
  g_return_val_if_fail (index < cfg->stages->len, NULL);
  return cfg->stages->pdata[index];
}

gboolean
quarry_config_get_span_stages (const QuarryConfig *cfg)
{
  return cfg->span_stages;
}

const char *
quarry_config_get_canonical (const QuarryConfig *cfg)
{
  return cfg->canonical;
}

const char *
quarry_config_get_hash (const QuarryConfig *cfg)
{
  return cfg->hash;
}

const char *
quarry_config_get_name (const QuarryConfig *cfg)
{
  return cfg->name;
}

/* ---- stage accessors ---- */

const char *
quarry_stage_get_name (const QuarryStage *stage)
{
  return stage->name;
}

void
quarry_stage_set_provenance (QuarryStage *stage, const char *key, const char *value)
{
  g_return_if_fail (stage != NULL && key != NULL && value != NULL);
  if (stage->data == NULL)
    stage->data = json_object_new_object ();
  json_object_object_add (stage->data, key, json_object_new_string (value));
}

json_object *
quarry_stage_get_provenance (const QuarryStage *stage)
{
  return stage->data;
}

const QuarryPlugin *
quarry_stage_get_plugin (const QuarryStage *stage)
{
  return stage->plugin;
}

QuarryOnError
quarry_stage_get_on_error (const QuarryStage *stage)
{
  return stage->on_error;
}

static const Value *
lookup_value (const QuarryStage *stage, const char *key)
{
  const Value *v = g_hash_table_lookup (stage->values, key);

  if (v == NULL)
    g_critical ("stage %s (plugin %s) asked for option '%s', which is not in its option table",
                stage->name, stage->plugin->desc->name, key);
  return v;
}

const char *
quarry_stage_get_string (const QuarryStage *stage, const char *key)
{
  const Value *v = lookup_value (stage, key);
  return v != NULL ? v->text : NULL;
}

gint64
quarry_stage_get_int (const QuarryStage *stage, const char *key)
{
  const Value *v = lookup_value (stage, key);
  return v != NULL ? v->i : 0;
}

double
quarry_stage_get_double (const QuarryStage *stage, const char *key)
{
  const Value *v = lookup_value (stage, key);
  return v != NULL ? v->d : 0.0;
}

gboolean
quarry_stage_get_bool (const QuarryStage *stage, const char *key)
{
  const Value *v = lookup_value (stage, key);
  return v != NULL && v->b;
}

const char *const *
quarry_stage_get_strv (const QuarryStage *stage, const char *key)
{
  static const char *const empty[] = { NULL };
  const Value *v = lookup_value (stage, key);
  return v != NULL && v->strv != NULL ? (const char *const *) v->strv : empty;
}

void
quarry_stage_log (const QuarryStage *stage, GLogLevelFlags level, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_log_structured ("quarry", level, "QUARRY_STAGE", stage->name, "MESSAGE", "%s: %s", stage->name, msg);
}
