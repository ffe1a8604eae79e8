/* test-needs.c: a test plugin that requires the layer test-replace provides and counts its spans. */
/* it uses nothing newer than ABI 1.0, and says so: it loads on any 1.x host */
#define QUARRY_PLUGIN_ABI_REQUIRED_MINOR 0
#include <quarry/quarry.h>

static const char *const requires[] = { "layer:replaced", NULL };
static const char *const provides[] = { "field:needs", NULL };

static gboolean
needs_process (gpointer state, QuarryDocument *doc, GError **error)
{
  guint n = 0;
  const char *layer = g_intern_static_string ("replaced");

  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    if (quarry_document_get_span (doc, i)->layer == layer)
      n++;
  json_object_object_add (quarry_document_get_fields (doc, "needs"), "replaced", json_object_new_int (n));
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (
  .name = "test-needs",
  .version = "0.2.0",
  .description = "test plugin: requires layer:replaced",
  .requires = requires,
  .provides = provides,
  .process = needs_process);
