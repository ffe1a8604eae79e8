/* broken-options.c: a plugin whose own tables are wrong: bad option defaults and ranges, malformed requires entries. */
#include <quarry/quarry.h>

static const QuarryOption options[] = {
  { .name = "fine", .type = QUARRY_OPTION_INT, .default_value = "5", .help = "a good row", .min = 1, .max = 10 },
  { .name = "limit", .type = QUARRY_OPTION_INT, .default_value = "50", .help = "outside its range", .min = 1, .max = 10 },
  { .name = "ratio", .type = QUARRY_OPTION_DOUBLE, .default_value = "half", .help = "not a number" },
  { .name = "mode", .type = QUARRY_OPTION_ENUM, .default_value = "slow", .help = "not a choice",
    .choices = (const char *const[]) { "fast", "quick", NULL } },
  { .name = "flag", .type = QUARRY_OPTION_BOOL, .default_value = "maybe", .help = "not a boolean" },
  { .name = "span", .type = QUARRY_OPTION_DOUBLE, .default_value = "0.5", .help = "min above max", .min = 1, .max = 0 },
  QUARRY_OPTION_END
};

static const char *const requires[] = { "layer:entity", "layers:entity", "entity", "field:", NULL };

static gboolean
options_process (gpointer state, QuarryDocument *doc, GError **error)
{
  return TRUE;
}

QUARRY_PLUGIN_DEFINE (
  .name = "broken-options",
  .version = "1.0.0",
  .options = options,
  .requires = requires,
  .process = options_process);
