/* entity-spot.c: the entity-spot stage plugin: descriptor, options, set-up and tear-down. */
#include "config.h"

#include <quarry/plugin.h>
#include <string.h>

#include "es-spot.h"

#ifndef ENTITY_LINK_KB_DEFAULT
#define ENTITY_LINK_KB_DEFAULT "kb.sqlite"
#endif
#ifndef ENTITY_SPOT_DATA_DIR
#define ENTITY_SPOT_DATA_DIR "data"
#endif

static const char *const mode_choices[] = { "fill", "replace", "off", NULL };

static const QuarryOption options[] = {
  { "mode", QUARRY_OPTION_ENUM, "fill",
    "fill: spot documents that have no entity spans yet (inline tags win); replace: spot every document; off: nothing",
    mode_choices },
  { "kb", QUARRY_OPTION_PATH, ENTITY_LINK_KB_DEFAULT,
    "entity-link's knowledge base, whose aliases are the gazetteer; $QUARRY_ENTITY_LINK_KB replaces the default" },
  { "aliases", QUARRY_OPTION_PATH_LIST, NULL,
    "extra alias TSV files in entity-link's format (';'-separated; relative to the config file)" },
  { "cues", QUARRY_OPTION_PATH, ENTITY_SPOT_DATA_DIR "/cues.txt",
    "titles and roles that come before a person's name, one a line" },
  { "heads", QUARRY_OPTION_PATH, ENTITY_SPOT_DATA_DIR "/heads.txt",
    "words that make organization and place names (WORD<TAB>prefix|suffix|connector|place|alone)" },
  { "non-names", QUARRY_OPTION_PATH, ENTITY_SPOT_DATA_DIR "/non-names.txt",
    "capitalized words that are never part of a name (months, weekdays, 'The'), one a line" },
  { "common-words", QUARRY_OPTION_PATH, ENTITY_SPOT_DATA_DIR "/common-words.txt",
    "common lower-case words (tell a capitalized word from a name), one a line" },
  { "use-header", QUARRY_OPTION_BOOL, "true",
    "take people's names from fields.header (signers, classified_by) when header-parse ran" },
  { NULL }
};

static const char *const provides[] = { "layer:entity", NULL };

/* A built-in default names an installed file; a build tree points elsewhere through
 * the environment ($QUARRY_ENTITY_LINK_KB as for entity-link, $QUARRY_ENTITY_SPOT_DATA
 * for the folder of the data files). */
static char *
resolve (const QuarryStage *stage, const char *key, const char *def, const char *env_name, gboolean folder)
{
  const char *path = quarry_stage_get_string (stage, key);
  const char *env = g_getenv (env_name);
  if (env && *env && (!path || !strcmp (path, def)))
    return folder ? g_build_filename (env, strrchr (def, '/') + 1, NULL) : g_strdup (env);
  return g_strdup (path ? path : def);
}

typedef struct {
  EsSpotter  spotter;
  EsLexicon *lex;
} SpotState;

static gboolean
spot_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  g_autofree char *kb = resolve (stage, "kb", ENTITY_LINK_KB_DEFAULT, "QUARRY_ENTITY_LINK_KB", FALSE);
  g_autofree char *cues = resolve (stage, "cues", ENTITY_SPOT_DATA_DIR "/cues.txt", "QUARRY_ENTITY_SPOT_DATA", TRUE);
  g_autofree char *heads = resolve (stage, "heads", ENTITY_SPOT_DATA_DIR "/heads.txt", "QUARRY_ENTITY_SPOT_DATA", TRUE);
  g_autofree char *non = resolve (stage, "non-names", ENTITY_SPOT_DATA_DIR "/non-names.txt", "QUARRY_ENTITY_SPOT_DATA", TRUE);
  g_autofree char *common = resolve (stage, "common-words", ENTITY_SPOT_DATA_DIR "/common-words.txt",
                                     "QUARRY_ENTITY_SPOT_DATA", TRUE);
  const char *mode = quarry_stage_get_string (stage, "mode");
  g_autoptr (GError) local = NULL;
  gint64 t0 = g_get_monotonic_time ();

  SpotState *st = g_new0 (SpotState, 1);
  EsMode m = !g_strcmp0 (mode, "replace") ? ES_MODE_REPLACE
           : !g_strcmp0 (mode, "off") ? ES_MODE_OFF : ES_MODE_FILL;
  if (m != ES_MODE_OFF)
    {
      EsLexiconFiles files = { kb, quarry_stage_get_strv (stage, "aliases"), cues, heads, non, common };
      st->lex = es_lexicon_new (&files, &local);
      if (!st->lex)
        {
          g_set_error (error, QUARRY_PLUGIN_ERROR, QUARRY_PLUGIN_ERROR_SETUP, "%s", local->message);
          g_free (st);
          return FALSE;
        }
      guint n_aliases, n_cues, n_words, n_nodes, n_skipped;
      es_lexicon_stats (st->lex, &n_aliases, &n_cues, &n_words, &n_nodes, &n_skipped);
      quarry_stage_log (stage, G_LOG_LEVEL_INFO,
                        "gazetteer from %s: %u alias keys (%u written forms cannot occur in text), "
                        "%u cues, %u words, %u trie nodes, built in %.1f ms",
                        kb, n_aliases, n_skipped, n_cues, n_words, n_nodes,
                        (g_get_monotonic_time () - t0) / 1e3);
      /* what was loaded decides the output as much as the options do */
      static const char *const sums[] = { "kb_sha256", "cues_sha256", "heads_sha256",
                                          "non_names_sha256", "common_words_sha256" };
      for (guint i = 0; i < G_N_ELEMENTS (sums); i++)
        quarry_stage_set_provenance (stage, sums[i], es_lexicon_checksum (st->lex, sums[i]));
    }
  es_spotter_init (&st->spotter, st->lex, m, quarry_stage_get_bool (stage, "use-header"));
  *state = st;
  return TRUE;
}

static gboolean
spot_process (gpointer state, QuarryDocument *doc, GError **error)
{
  SpotState *st = state;
  return es_spot_document (&st->spotter, doc, error);
}

static void
spot_teardown (gpointer state)
{
  SpotState *st = state;
  es_spotter_clear (&st->spotter);
  es_lexicon_free (st->lex);
  g_free (st);
}

QUARRY_PLUGIN_DEFINE (
  .name = "entity-spot",
  .version = "1.0.0",
  .description = "entity mentions (PER, LOC, ORG, MISC) in plain text: gazetteer, title cues, header names, patterns",
  .options = options,
  .provides = provides,
  .setup = spot_setup,
  .process = spot_process,
  .teardown = spot_teardown);
