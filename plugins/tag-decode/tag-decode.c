/* tag-decode.c: the tag-decode stage plugin: inline `[LABEL text  ]` entity markup to entity spans. */
#include "config.h"

#include "decoder.h"

static const QuarryOption tag_options[] = {
  { "labels", QUARRY_OPTION_STRING_LIST, TAG_DEFAULT_LABELS,
    "entity types decoded from `[LABEL text  ]`; a tag with another label stays text (with a diagnostic)" },
  { "detokenize", QUARRY_OPTION_BOOL, "false",
    "after decoding, undo the tagger's tokenization (`visit , he` -> `visit, he`, `( C )` -> `(C)`); spans move with the text" },
  { "max-length", QUARRY_OPTION_INT, G_STRINGIFY (TAG_DEFAULT_MAX_LENGTH),
    "longest entity text in bytes; a longer `[LABEL ... ]` is taken for a lost `  ]` and left as text",
    NULL, 1, 1 << 20 },
  { NULL }
};

static const char *const tag_provides[] = { "layer:entity", NULL };

static gboolean
tag_setup (QuarryStage *stage, gpointer *state, GError **error)
{
  TagDecoder *dec = tag_decoder_new (quarry_stage_get_strv (stage, "labels"),
                                     (gsize) quarry_stage_get_int (stage, "max-length"),
                                     quarry_stage_get_bool (stage, "detokenize"), error);

  if (dec == NULL)
    return FALSE;
  *state = dec;
  return TRUE;
}

static gboolean
tag_process (gpointer state, QuarryDocument *doc, GError **error)
{
  return tag_decoder_process (state, doc, error);
}

static void
tag_teardown (gpointer state)
{
  tag_decoder_free (state);
}

QUARRY_PLUGIN_DEFINE (
  .name = "tag-decode",
  .version = "1.1.0",
  .description = "inline `[LABEL text  ]` entity markup to entity spans, losslessly (optionally detokenized)",
  .options = tag_options,
  .provides = tag_provides,
  .setup = tag_setup,
  .process = tag_process,
  .teardown = tag_teardown);
