/* broken-lazy.c: a module that calls a function no library defines; bound lazily, it would load and die at its first document. */
#include <quarry/quarry.h>

extern void quarry_document_frobnicate (QuarryDocument *doc);

static gboolean
lazy_process (gpointer state, QuarryDocument *doc, GError **error)
{
  quarry_document_frobnicate (doc);
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-lazy",
  .version = "1.0.0",
  .process = lazy_process);
