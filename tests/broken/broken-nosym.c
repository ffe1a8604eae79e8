/* broken-nosym.c: a loadable module without the descriptor symbol: not a Quarry plugin. */
#include <gmodule.h>

G_MODULE_EXPORT int broken_nosym_answer (void);

int
broken_nosym_answer (void)
{
  return 42;
}
