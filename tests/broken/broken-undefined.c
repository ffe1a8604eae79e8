/* broken-undefined.c: a module that needs a data symbol no library defines: the dynamic loader refuses it. */
#include <quarry/quarry.h>

extern int quarry_test_symbol_that_does_not_exist;

static gboolean
undefined_process (gpointer state, QuarryDocument *doc, GError **error)
{
  return quarry_test_symbol_that_does_not_exist == 1;
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-undefined",
  .version = "1.0.0",
  .process = undefined_process);
