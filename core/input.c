/* input.c: walks files and folders in a stable order and reads JSON Lines records, one document at a time. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "input.h"

typedef struct {
  char   *dir;
  GStrv   names;  /* sorted */
  guint   next;
} DirFrame;

struct _QuarryInput {
  GStrv   args;
  guint   next_arg;
  GArray *dirs;       /* DirFrame stack */
  FILE   *jsonl;      /* open JSON Lines stream, or NULL */
  char   *jsonl_name;
  guint64 jsonl_line;
  gboolean jsonl_is_stdin;
  char   *line;
  size_t  line_cap;
};

void
quarry_input_item_clear (QuarryInputItem *item)
{
  g_free (item->id);
  g_free (item->bytes);
  g_free (item->media_type);
  g_free (item->error);
  g_free (item->origin);
  memset (item, 0, sizeof *item);
}

QuarryInput *
quarry_input_new (const char *const *args)
{
  QuarryInput *in = g_new0 (QuarryInput, 1);

  in->args = g_strdupv ((char **) args);
  in->dirs = g_array_new (FALSE, FALSE, sizeof (DirFrame));
  return in;
}

static void
close_jsonl (QuarryInput *in)
{
  if (in->jsonl != NULL && !in->jsonl_is_stdin)
    fclose (in->jsonl);
  in->jsonl = NULL;
  g_clear_pointer (&in->jsonl_name, g_free);
}

void
quarry_input_free (QuarryInput *in)
{
  if (in == NULL)
    return;
  close_jsonl (in);
  for (guint i = 0; i < in->dirs->len; i++)
    {
      DirFrame *f = &g_array_index (in->dirs, DirFrame, i);
      g_free (f->dir);
      g_strfreev (f->names);
    }
  g_array_unref (in->dirs);
  g_strfreev (in->args);
  free (in->line);
  g_free (in);
}

static gboolean
has_suffix_ci (const char *name, const char *suffix)
{
  gsize n = strlen (name), s = strlen (suffix);
  return n >= s && g_ascii_strcasecmp (name + n - s, suffix) == 0;
}

const char *
quarry_input_guess_media_type (const char *name, const char *bytes, gsize length)
{
  gsize i = 0;

  if (name != NULL)
    {
      if (has_suffix_ci (name, ".html") || has_suffix_ci (name, ".htm"))
        return "text/html";
      if (has_suffix_ci (name, ".xhtml"))
        return "application/xhtml+xml";
      if (has_suffix_ci (name, ".txt") || has_suffix_ci (name, ".text"))
        return "text/plain";
    }
  /* sniff: skip a BOM and white space, look for markup */
  if (length >= 3 && memcmp (bytes, "\xEF\xBB\xBF", 3) == 0)
    i = 3;
  while (i < length && g_ascii_isspace (bytes[i]))
    i++;
  if (i < length && bytes[i] == '<')
    {
      const char *p = bytes + i + 1;
      gsize rest = length - i - 1;
      static const char *const starts[] = { "!doctype html", "html", "head", "body", "!--", "code", "pre", "p>", "div", "table", "?xml", NULL };
      for (guint k = 0; starts[k] != NULL; k++)
        {
          gsize l = strlen (starts[k]);
          if (rest >= l && g_ascii_strncasecmp (p, starts[k], l) == 0)
            return "text/html";
        }
    }
  return "text/plain";
}

static char *
file_stem (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return base;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static gboolean
push_dir (QuarryInput *in, const char *dir, QuarryInputItem *item)
{
  GError *error = NULL;
  GDir *d = g_dir_open (dir, 0, &error);
  GPtrArray *names;
  DirFrame f;
  const char *n;

  if (d == NULL)
    {
      item->id = g_strdup (dir);
      item->origin = g_strdup (dir);
      item->error = g_strdup_printf ("cannot read folder %s: %s; check its permissions", dir, error->message);
      g_error_free (error);
      return FALSE;
    }
  names = g_ptr_array_new ();
  while ((n = g_dir_read_name (d)) != NULL)
    if (n[0] != '.')
      g_ptr_array_add (names, g_strdup (n));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  f.dir = g_strdup (dir);
  f.names = (GStrv) g_ptr_array_free (names, FALSE);
  f.next = 0;
  g_array_append_val (in->dirs, f);
  return TRUE;
}

static gboolean
open_jsonl (QuarryInput *in, const char *path, QuarryInputItem *item)
{
  if (g_str_equal (path, "-"))
    {
      in->jsonl = stdin;
      in->jsonl_is_stdin = TRUE;
    }
  else
    {
      in->jsonl = fopen (path, "rb");
      in->jsonl_is_stdin = FALSE;
      if (in->jsonl == NULL)
        {
          item->id = file_stem (path);
          item->origin = g_strdup (path);
          item->error = g_strdup_printf ("cannot open %s: %s", path, g_strerror (errno));
          return FALSE;
        }
    }
  in->jsonl_name = g_strdup (g_str_equal (path, "-") ? "<stdin>" : path);
  in->jsonl_line = 0;
  return TRUE;
}

static void
read_file_item (const char *path, QuarryInputItem *item)
{
  GError *error = NULL;

  item->id = file_stem (path);
  item->origin = g_strdup (path);
  if (!g_file_get_contents (path, &item->bytes, &item->length, &error))
    {
      item->error = g_strdup_printf ("cannot read %s: %s", path, error->message);
      g_error_free (error);
      return;
    }
  item->media_type = g_strdup (quarry_input_guess_media_type (path, item->bytes, item->length));
}

/* Parses one JSON Lines record into item; TRUE if the line held a record (or an error). */
static gboolean
parse_record (QuarryInput *in, const char *line, gsize len, QuarryInputItem *item)
{
  json_tokener *tok;
  json_object *obj, *v;
  enum json_tokener_error jerr;
  gsize i = 0;

  while (i < len && g_ascii_isspace (line[i]))
    i++;
  if (i == len)
    return FALSE;  /* blank line */

  item->origin = g_strdup_printf ("%s:%" G_GUINT64_FORMAT, in->jsonl_name, in->jsonl_line);
  tok = json_tokener_new_ex (64);
  obj = json_tokener_parse_ex (tok, line, (int) MIN (len, (gsize) G_MAXINT));
  jerr = json_tokener_get_error (tok);
  json_tokener_free (tok);

  if (obj == NULL || jerr != json_tokener_success || !json_object_is_type (obj, json_type_object))
    {
      item->id = g_strdup (item->origin);
      item->bytes = g_strndup (line, len);
      item->length = strlen (item->bytes);
      item->error = g_strdup_printf ("%s: not a JSON object (%s); each line must be {\"id\": ..., \"content\": ..., \"media_type\": ...}",
                                     item->origin,
                                     obj != NULL ? "another JSON value"
                                     : jerr == json_tokener_continue ? "the record is cut short"
                                     : json_tokener_error_desc (jerr));
      if (obj != NULL)
        json_object_put (obj);
      return TRUE;
    }
  if (json_object_object_get_ex (obj, "id", &v) && !json_object_is_type (v, json_type_null))
    item->id = g_strdup (json_object_get_string (v));
  else
    item->id = g_strdup_printf ("%s", item->origin);
  if (!json_object_object_get_ex (obj, "content", &v) || !json_object_is_type (v, json_type_string))
    {
      item->bytes = g_strndup (line, len);
      item->length = strlen (item->bytes);
      item->error = g_strdup_printf ("%s: record '%s' has no \"content\" string; add the document text as \"content\"",
                                     item->origin, item->id);
      json_object_put (obj);
      return TRUE;
    }
  item->length = json_object_get_string_len (v);
  item->bytes = g_malloc (item->length + 1);
  memcpy (item->bytes, json_object_get_string (v), item->length);
  item->bytes[item->length] = '\0';
  if (json_object_object_get_ex (obj, "media_type", &v) && json_object_is_type (v, json_type_string))
    item->media_type = g_strdup (json_object_get_string (v));
  else
    item->media_type = g_strdup (quarry_input_guess_media_type (NULL, item->bytes, item->length));
  json_object_put (obj);
  return TRUE;
}

gboolean
quarry_input_next (QuarryInput *in, QuarryInputItem *item)
{
  memset (item, 0, sizeof *item);
  for (;;)
    {
      if (in->jsonl != NULL)
        {
          ssize_t n = getline (&in->line, &in->line_cap, in->jsonl);
          if (n < 0)
            {
              gboolean failed = ferror (in->jsonl);
              g_autofree char *name = g_strdup (in->jsonl_name);
              close_jsonl (in);
              if (failed)
                {
                  item->id = g_strdup (name);
                  item->origin = g_strdup (name);
                  item->error = g_strdup_printf ("read error in %s: %s", name, g_strerror (errno));
                  return TRUE;
                }
              continue;
            }
          in->jsonl_line++;
          if (parse_record (in, in->line, n, item))
            return TRUE;
          continue;
        }

      if (in->dirs->len > 0)
        {
          DirFrame *f = &g_array_index (in->dirs, DirFrame, in->dirs->len - 1);
          g_autofree char *path = NULL;

          if (f->names[f->next] == NULL)
            {
              g_free (f->dir);
              g_strfreev (f->names);
              g_array_set_size (in->dirs, in->dirs->len - 1);
              continue;
            }
          path = g_build_filename (f->dir, f->names[f->next++], NULL);
          if (g_file_test (path, G_FILE_TEST_IS_DIR))
            {
              if (!push_dir (in, path, item))
                return TRUE;
              continue;
            }
          if (has_suffix_ci (path, ".jsonl") || has_suffix_ci (path, ".ndjson"))
            {
              if (!open_jsonl (in, path, item))
                return TRUE;
              continue;
            }
          read_file_item (path, item);
          return TRUE;
        }

      if (in->args == NULL || in->args[in->next_arg] == NULL)
        return FALSE;
      {
        const char *arg = in->args[in->next_arg++];
        if (g_str_equal (arg, "-") || has_suffix_ci (arg, ".jsonl") || has_suffix_ci (arg, ".ndjson"))
          {
            if (!open_jsonl (in, arg, item))
              return TRUE;
            continue;
          }
        if (g_file_test (arg, G_FILE_TEST_IS_DIR))
          {
            if (!push_dir (in, arg, item))
              return TRUE;
            continue;
          }
        read_file_item (arg, item);
        return TRUE;
      }
    }
}

static gint64
tree_bytes (const char *path)
{
  GStatBuf st;
  gint64 total = 0;

  if (g_stat (path, &st) != 0)
    return 0;
  if (!S_ISDIR (st.st_mode))
    return st.st_size;
  {
    GDir *d = g_dir_open (path, 0, NULL);
    const char *n;
    while (d != NULL && (n = g_dir_read_name (d)) != NULL)
      if (n[0] != '.')
        {
          g_autofree char *child = g_build_filename (path, n, NULL);
          total += tree_bytes (child);
        }
    if (d != NULL)
      g_dir_close (d);
  }
  return total;
}

gint64
quarry_input_total_bytes (const char *const *args)
{
  gint64 total = 0;

  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    {
      if (g_str_equal (args[i], "-"))
        return -1;
      total += tree_bytes (args[i]);
    }
  return total;
}
