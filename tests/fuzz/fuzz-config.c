/* fuzz-config.c: libFuzzer harness for the config parser: any text either gives a config
 * or an error with a message; a config's canonical text parses again to the same config
 * (same canonical text, same hash). Uses the build tree's plugins. */
#include "config.h"

#include <quarry/quarry.h>
#include "registry.h"
#include "quarry-config.h"
#include "fuzz-common.h"

static QuarryRegistry *registry;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  registry = fuzz_registry_new ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  QuarryConfig *cfg = quarry_config_new_from_data ((const char *) data, size, "fuzz.ini", "/nonexistent",
                                                   registry, NULL, &error);

  if (cfg == NULL)
    {
      FUZZ_CHECK (error != NULL && error->message[0] != '\0', "config refused without a message");
      FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL), "error message is not valid UTF-8");
      g_error_free (error);
      return 0;
    }
  FUZZ_CHECK (error == NULL, "config made and an error set");
  {
    const char *canon = quarry_config_get_canonical (cfg);
    QuarryConfig *again = quarry_config_new_from_data (canon, -1, "canonical.ini", "/nonexistent", registry, NULL, &error);
    FUZZ_CHECK (again != NULL, "the canonical text does not parse: %s\n%s", error ? error->message : "?", canon);
    FUZZ_CHECK (strcmp (quarry_config_get_canonical (again), canon) == 0, "the canonical text changes when read again:\n%s\n---\n%s",
                canon, quarry_config_get_canonical (again));
    FUZZ_CHECK (strcmp (quarry_config_get_hash (again), quarry_config_get_hash (cfg)) == 0, "hash changes");
    quarry_config_free (again);
  }
  quarry_config_free (cfg);
  return 0;
}
