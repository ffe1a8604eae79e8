/* test-entity-spot.c: tests of the entity-spot plugin (being written). */
#include "config.h"
#include "harness.h"

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  return g_test_run ();
}
