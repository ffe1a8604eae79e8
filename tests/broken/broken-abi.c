/* broken-abi.c: a test module whose descriptor claims a future ABI major: the loader must refuse it. */
#include <quarry/quarry.h>

static gboolean
never_called (gpointer state, QuarryDocument *doc, GError **error)
{
  g_error ("a plugin with the wrong ABI must never run");
  return FALSE;
}

QUARRY_API extern const QuarryPluginDescriptor quarry_plugin_descriptor;
const QuarryPluginDescriptor quarry_plugin_descriptor = {
  .abi_major = QUARRY_PLUGIN_ABI_MAJOR + 98,
  .abi_minor = 0,
  .struct_size = sizeof (QuarryPluginDescriptor),
  .name = "broken-abi",
  .version = "9.9.9",
  .process = never_called,
};
