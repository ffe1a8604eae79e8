/* fuzz-stage.c: libFuzzer harness for stage plugins: any bytes through a pipeline
 * (FUZZ_STAGES: a stage list, or @NAME.ini for a config of configs/; one binary per plugin) end processed or dropped with a reason; spans stay
 * inside the text on character boundaries and map into the source; the record is one line
 * of valid JSON whose span offsets fit the text. The first input byte picks the media type. */
#include "config.h"

#include <quarry/quarry.h>
#include "registry.h"
#include "quarry-config.h"
#include "pipeline.h"
#include "writer.h"
#include "fuzz-common.h"

static QuarryPipeline *pipeline;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  static QuarryRegistry *reg;  /* kept: the plugins live as long as it does */
  GError *error = NULL;
  QuarryConfig *cfg;

  g_setenv ("QUARRY_ENTITY_LINK_KB", FUZZ_BUILDDIR "/plugins/entity-link/kb.sqlite", FALSE);
  g_setenv ("QUARRY_ENTITY_SPOT_DATA", FUZZ_SRCDIR "/plugins/entity-spot/data", FALSE);
  g_setenv ("QUARRY_HEADER_PARSE_DATA", FUZZ_SRCDIR "/plugins/header-parse/data", FALSE);
  reg = fuzz_registry_new ();
  if (FUZZ_STAGES[0] == '@')  /* a whole config of configs/ */
    {
      g_autofree char *file = g_build_filename (FUZZ_SRCDIR, "configs", FUZZ_STAGES + 1, NULL);
      cfg = quarry_config_new_from_file (file, reg, NULL, &error);
    }
  else
    {
      g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = %s\n", FUZZ_STAGES);
      cfg = quarry_config_new_from_data (ini, -1, "fuzz.ini", FUZZ_SRCDIR "/configs", reg, NULL, &error);
    }
  FUZZ_CHECK (cfg != NULL, "config: %s", error ? error->message : "?");
  fuzz_check_build_tree (cfg);
  pipeline = quarry_pipeline_new (cfg, &error);
  FUZZ_CHECK (pipeline != NULL, "set-up: %s", error ? error->message : "?");
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const media[] = { "text/html", "text/plain" };
  g_autoptr(QuarryDocument) doc = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  QuarryResult r;
  gsize len, slen;
  const char *text;
  json_object *rec;

  if (size == 0)
    return 0;
  doc = quarry_document_new ("fuzz", data + 1, size - 1, media[data[0] & 1]);
  r = quarry_pipeline_process (pipeline, doc, &reason);
  FUZZ_CHECK (r == QUARRY_RESULT_OK || reason != NULL, "a document dropped without a reason");

  text = quarry_document_get_text (doc, &len);
  quarry_document_get_source (doc, &slen);
  FUZZ_CHECK (g_utf8_validate_len (text, len, NULL), "text is not valid UTF-8");
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *sp = quarry_document_peek_span (doc, i);
      gsize s0, s1;
      FUZZ_CHECK (sp->start <= sp->end && sp->end <= len, "span %u [%zu,%zu) of layer %s outside the text (%zu bytes)",
                  i, sp->start, sp->end, sp->layer, len);
      quarry_document_source_range (doc, sp->start, sp->end, &s0, &s1);
      FUZZ_CHECK (s0 <= s1 && s1 <= slen, "span %u maps outside the source", i);
    }
  quarry_writer_append_record (out, doc, quarry_pipeline_get_provenance_text (pipeline));
  rec = fuzz_check_record (out->str, out->len, "id");
  json_object_put (rec);
  return 0;
}
