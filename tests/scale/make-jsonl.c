/* make-jsonl.c: writes one large JSON Lines file from a folder of documents repeated R times with distinct ids, for the scale-out tests. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "writer.h"

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every regular file under dir (not hidden), sorted by path. */
static void
add_files (const char *dir, GPtrArray *files)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *n;

  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    {
      char *p = g_build_filename (dir, n, NULL);
      if (n[0] == '.')
        g_free (p);
      else if (g_file_test (p, G_FILE_TEST_IS_DIR))
        {
          add_files (p, files);
          g_free (p);
        }
      else if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, p);
      else
        g_free (p);
    }
  if (d != NULL)
    g_dir_close (d);
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) line = g_string_new (NULL);
  guint64 min_bytes, written = 0;
  FILE *out;

  if (argc != 4 || !g_ascii_string_to_unsigned (argv[3], 10, 1, G_MAXUINT64, &min_bytes, NULL))
    {
      g_printerr ("usage: make-jsonl FOLDER OUT.jsonl MIN_BYTES\n"
                  "  writes the documents of FOLDER as JSON Lines records, again and again (ids ID-rN), until OUT holds MIN_BYTES\n");
      return 1;
    }
  add_files (argv[1], files);
  g_ptr_array_sort (files, compare_paths);
  if (files->len == 0)
    {
      g_printerr ("make-jsonl: no documents in %s\n", argv[1]);
      return 1;
    }
  /* the contents, escaped once: each round only changes the id */
  for (guint i = 0; i < files->len; i++)
    {
      gsize len;
      char *data;
      GString *esc = g_string_new (NULL);
      if (!g_file_get_contents (files->pdata[i], &data, &len, NULL))
        {
          g_printerr ("make-jsonl: cannot read %s\n", (char *) files->pdata[i]);
          return 1;
        }
      quarry_writer_append_json_string (esc, data, len);
      g_free (data);
      g_ptr_array_add (contents, g_string_free (esc, FALSE));
    }
  out = fopen (argv[2], "w");
  if (out == NULL)
    {
      g_printerr ("make-jsonl: cannot write %s\n", argv[2]);
      return 1;
    }
  for (guint round = 1; written < min_bytes; round++)
    for (guint i = 0; i < files->len && written < min_bytes; i++)
      {
        g_autofree char *base = g_path_get_basename (files->pdata[i]), *id = NULL;
        char *dot = strrchr (base, '.');
        if (dot != NULL)
          *dot = '\0';
        id = g_strdup_printf ("%s-r%u", base, round);
        g_string_assign (line, "{\"id\": ");
        quarry_writer_append_json_string (line, id, strlen (id));
        g_string_append (line, ", \"media_type\": \"text/html\", \"content\": ");
        g_string_append (line, contents->pdata[i]);
        g_string_append (line, "}\n");
        if (fwrite (line->str, 1, line->len, out) != line->len)
          {
            g_printerr ("make-jsonl: cannot write %s\n", argv[2]);
            return 1;
          }
        written += line->len;
      }
  if (fclose (out) != 0)
    {
      g_printerr ("make-jsonl: cannot write %s\n", argv[2]);
      return 1;
    }
  return 0;
}
