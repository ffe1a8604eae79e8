/* fuzz-jsonl.c: libFuzzer harness for the JSON Lines reader: every line that is not blank
 * gives exactly one item (a document, or one that could not be read, with its reason and
 * its bytes), never a silent loss; ids and reasons are strings. */
#include "config.h"

#include <unistd.h>
#include "input.h"
#include "fuzz-common.h"

static char *path;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *dir = g_dir_make_tmp ("quarry-fuzz-XXXXXX", NULL);
  FUZZ_CHECK (dir != NULL, "no temp folder");
  path = g_build_filename (dir, "fuzz.jsonl", NULL);
  return 0;
}

/* Lines that hold something besides ASCII white space (a UTF-8 BOM at the start of the
 * file counts as white space). */
static guint
count_records (const uint8_t *data, size_t size)
{
  guint n = 0;
  gboolean content = FALSE;
  size_t i = 0;

  if (size >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  for (; i < size; i++)
    {
      if (data[i] == '\n')
        {
          n += content;
          content = FALSE;
        }
      else if (!g_ascii_isspace (data[i]))
        content = TRUE;
    }
  return n + content;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *args[] = { path, NULL };
  QuarryInput *in;
  QuarryInputItem item;
  guint items = 0, expect;

  FUZZ_CHECK (g_file_set_contents (path, (const char *) data, size, NULL), "cannot write %s", path);
  expect = count_records (data, size);
  in = quarry_input_new (args);
  while (quarry_input_next (in, &item))
    {
      items++;
      FUZZ_CHECK (item.id != NULL, "an item without an id");
      FUZZ_CHECK (item.error != NULL || item.bytes != NULL, "a document without bytes");
      if (item.error == NULL)
        FUZZ_CHECK (item.bytes[item.length] == '\0', "bytes not NUL-terminated");
      quarry_input_item_clear (&item);
    }
  quarry_input_free (in);
  FUZZ_CHECK (items == expect, "%u lines with content gave %u items", expect, items);
  return 0;
}
