/* input.c: walks files and folders in a stable order and reads JSON Lines records, one document at a time. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "input.h"

typedef struct {
  char   *dir;    /* path to open */
  char   *rel;    /* the same, relative to the argument ("" for the argument itself) */
  GStrv   names;  /* sorted */
  guint   next;
  dev_t   dev;
  ino_t   ino;
} DirFrame;

/* ---- outputs that must not touch the inputs ---- */

typedef struct {
  gboolean exists;
  dev_t    dev;
  ino_t    ino;
  char    *name;  /* when it does not exist: its name in the folder dev:ino */
} FileId;

static gboolean
file_id (const char *path, FileId *id)
{
  GStatBuf st;
  g_autofree char *dir = NULL;

  memset (id, 0, sizeof *id);
  if (g_stat (path, &st) == 0)
    {
      id->exists = TRUE;
      id->dev = st.st_dev;
      id->ino = st.st_ino;
      return TRUE;
    }
  dir = g_path_get_dirname (path);
  if (g_stat (dir, &st) != 0)
    return FALSE;
  id->dev = st.st_dev;
  id->ino = st.st_ino;
  id->name = g_path_get_basename (path);
  return TRUE;
}

gboolean
quarry_input_same_file (const char *a, const char *b)
{
  FileId x, y;
  gboolean same = FALSE;

  if (file_id (a, &x) && file_id (b, &y))
    same = x.exists == y.exists && x.dev == y.dev && x.ino == y.ino &&
           (x.exists || g_strcmp0 (x.name, y.name) == 0);
  else
    same = g_str_equal (a, b);
  g_free (x.name);
  g_free (y.name);
  return same;
}

struct _QuarryInput {
  GStrv       args;
  guint       next_arg;
  GArray     *dirs;       /* DirFrame stack */
  GHashTable *dirs_seen;  /* "dev:ino" of every folder walked -> its path */
  GHashTable *ids;        /* id -> where it was first seen */
  GArray     *excluded;   /* FileId of the outputs: never read as input */
  gint64      max_bytes;
  gboolean  (*stop_requested) (void);
  gboolean    stopped;

  /* the open JSON Lines stream */
  int         fd;         /* -1: none */
  gboolean    fd_is_stdin;
  char       *stream_name;  /* for messages */
  char       *stream_rel;   /* for fields.input.path */
  guint64     line_no;
  char       *buf;
  gsize       buf_pos, buf_len;
  gboolean    buf_eof;
  GString    *line;
  guint64     buf_offset;   /* file offset of buf[0] */

  /* --shard: a walk reads only its units [unit_lo, unit_hi) (a unit is a file, a
   * JSON Lines file whole, or an input that cannot be read); one JSON Lines file
   * is split by bytes instead: the lines that start in [range_lo, range_hi) */
  gboolean    by_units, by_bytes;
  gboolean    counting;     /* a pass that only counts units: nothing read, no warnings */
  guint64     unit, unit_lo, unit_hi;
  guint64     range_lo, range_hi;
};

#define READ_CHUNK (64 * 1024)

static gboolean next_item (QuarryInput *in, QuarryInputItem *item);
static gboolean is_jsonl_name (const char *name);

void
quarry_input_item_clear (QuarryInputItem *item)
{
  g_free (item->id);
  g_free (item->bytes);
  g_free (item->media_type);
  g_free (item->error);
  g_free (item->origin);
  g_free (item->path);
  if (item->warnings != NULL)
    g_ptr_array_unref (item->warnings);
  memset (item, 0, sizeof *item);
}

static void G_GNUC_PRINTF (3, 4)
item_warn (QuarryInputItem *item, const char *code, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (item->warnings == NULL)
    item->warnings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (item->warnings, g_strconcat (code, "\n", msg, NULL));
}

void
quarry_input_item_annotate (const QuarryInputItem *item, QuarryDocument *doc)
{
  if (item->path != NULL)
    {
      json_object *f = quarry_document_get_fields (doc, "input");
      json_object_object_add (f, "path", json_object_new_string (item->path));
      if (item->line > 0)
        json_object_object_add (f, "line", json_object_new_int64 ((gint64) item->line));
    }
  for (guint i = 0; item->warnings != NULL && i < item->warnings->len; i++)
    {
      const char *w = item->warnings->pdata[i];
      const char *nl = strchr (w, '\n');
      g_autofree char *code = g_strndup (w, nl - w);
      quarry_document_diagnose (doc, QUARRY_DIAGNOSTIC_WARNING, code, QUARRY_NO_OFFSET, "%s", nl + 1);
    }
}

QuarryInput *
quarry_input_new (const char *const *args)
{
  QuarryInput *in = g_new0 (QuarryInput, 1);

  in->args = g_strdupv ((char **) args);
  in->dirs = g_array_new (FALSE, FALSE, sizeof (DirFrame));
  in->dirs_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  in->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  in->excluded = g_array_new (FALSE, FALSE, sizeof (FileId));
  in->max_bytes = QUARRY_INPUT_DEFAULT_MAX_BYTES;
  in->fd = -1;
  in->line = g_string_new (NULL);
  return in;
}

void
quarry_input_set_max_bytes (QuarryInput *in, gint64 max_bytes)
{
  in->max_bytes = max_bytes > 0 ? max_bytes : G_MAXINT64;
}

void
quarry_input_set_shard (QuarryInput *in, guint k, guint n, QuarryInputShard *shard)
{
  GStatBuf st;

  g_return_if_fail (k >= 1 && k <= n);
  memset (shard, 0, sizeof *shard);
  if (in->args[0] != NULL && in->args[1] == NULL && !g_str_equal (in->args[0], "-") && is_jsonl_name (in->args[0])
      && g_stat (in->args[0], &st) == 0 && S_ISREG (st.st_mode))
    {
      /* one JSON Lines file: byte ranges, as Hadoop splits text input, so that
       * no shard parses more than its share */
      guint64 size = st.st_size;
      in->by_bytes = TRUE;
      in->range_lo = size / n * (k - 1) + size % n * (k - 1) / n;
      in->range_hi = size / n * k + size % n * k / n;
      shard->by_bytes = TRUE;
      shard->first = in->range_lo;
      shard->end = in->range_hi;
      shard->total = size;
      return;
    }
  /* a walk: count its units with the same walk, reading nothing, then take a
   * contiguous block of them (sizes differ by at most one) */
  {
    QuarryInput *count = quarry_input_new ((const char *const *) in->args);
    QuarryInputItem item = { 0 };
    guint64 total;

    g_array_append_vals (count->excluded, in->excluded->data, in->excluded->len);
    for (guint i = 0; i < count->excluded->len; i++)
      g_array_index (count->excluded, FileId, i).name = g_strdup (g_array_index (in->excluded, FileId, i).name);
    count->counting = TRUE;
    count->max_bytes = in->max_bytes;
    while (next_item (count, &item))
      quarry_input_item_clear (&item);
    total = count->unit;
    quarry_input_free (count);
    in->by_units = TRUE;
    in->unit_lo = total / n * (k - 1) + total % n * (k - 1) / n;
    in->unit_hi = total / n * k + total % n * k / n;
    shard->first = in->unit_lo;
    shard->end = in->unit_hi;
    shard->total = total;
  }
}

void
quarry_input_set_stop_check (QuarryInput *in, gboolean (*stop_requested) (void))
{
  in->stop_requested = stop_requested;
}

gboolean
quarry_input_was_stopped (QuarryInput *in)
{
  return in->stopped;
}

static void
close_stream (QuarryInput *in)
{
  if (in->fd >= 0 && !in->fd_is_stdin)
    close (in->fd);
  in->fd = -1;
  g_clear_pointer (&in->stream_name, g_free);
  g_clear_pointer (&in->stream_rel, g_free);
  g_clear_pointer (&in->buf, g_free);
  in->buf_pos = in->buf_len = 0;
  in->buf_eof = FALSE;
}

static void
pop_dir (QuarryInput *in)
{
  DirFrame *f = &g_array_index (in->dirs, DirFrame, in->dirs->len - 1);

  g_free (f->dir);
  g_free (f->rel);
  g_strfreev (f->names);
  g_array_set_size (in->dirs, in->dirs->len - 1);
}

void
quarry_input_free (QuarryInput *in)
{
  if (in == NULL)
    return;
  close_stream (in);
  while (in->dirs->len > 0)
    pop_dir (in);
  g_array_unref (in->dirs);
  g_hash_table_unref (in->dirs_seen);
  g_hash_table_unref (in->ids);
  for (guint i = 0; i < in->excluded->len; i++)
    g_free (g_array_index (in->excluded, FileId, i).name);
  g_array_unref (in->excluded);
  g_string_free (in->line, TRUE);
  g_strfreev (in->args);
  g_free (in);
}

static gboolean
has_suffix_ci (const char *name, const char *suffix)
{
  gsize n = strlen (name), s = strlen (suffix);
  return n >= s && g_ascii_strcasecmp (name + n - s, suffix) == 0;
}

static gboolean
is_jsonl_name (const char *name)
{
  return has_suffix_ci (name, ".jsonl") || has_suffix_ci (name, ".ndjson");
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

/* RFC 2045 token characters */
static gboolean
is_token_char (char c)
{
  return c > 0x20 && c < 0x7F && strchr ("()<>@,;:\\\"/[]?=", c) == NULL;
}

static const char *
skip_token (const char *p)
{
  while (is_token_char (*p))
    p++;
  return p;
}

gboolean
quarry_input_parse_media_type (const char *text, char **essence, char **charset)
{
  const char *p = text, *t0, *t1;
  g_autofree char *cs = NULL;

  *essence = NULL;
  *charset = NULL;
  while (*p == ' ' || *p == '\t')
    p++;
  t0 = p;
  p = skip_token (p);
  if (p == t0 || *p != '/')
    return FALSE;
  p = skip_token (p + 1);
  if (p[-1] == '/')
    return FALSE;
  t1 = p;
  for (;;)
    {
      const char *n0, *n1;
      g_autoptr(GString) value = g_string_new (NULL);

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        break;
      if (*p != ';')
        return FALSE;
      p++;
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        break;  /* a trailing ';' is harmless */
      n0 = p;
      p = skip_token (p);
      n1 = p;
      if (n0 == n1 || *p != '=')
        return FALSE;
      p++;
      if (*p == '"')
        {
          for (p++; *p != '"'; p++)
            {
              if (*p == '\\' && p[1] != '\0')
                p++;
              else if (*p == '\0')
                return FALSE;
              g_string_append_c (value, *p);
            }
          p++;
        }
      else
        {
          const char *v0 = p;
          p = skip_token (p);
          if (p == v0)
            return FALSE;
          g_string_append_len (value, v0, p - v0);
        }
      if (n1 - n0 == 7 && g_ascii_strncasecmp (n0, "charset", 7) == 0)
        {
          g_free (cs);
          cs = g_ascii_strdown (value->str, -1);
        }
    }
  *essence = g_ascii_strdown (t0, t1 - t0);
  *charset = g_steal_pointer (&cs);
  return TRUE;
}

/* name with each byte that is not part of valid UTF-8 written as \xNN */
static char *
make_valid_utf8 (const char *name, gboolean *changed)
{
  GString *s = g_string_new (NULL);
  const char *p = name, *end = name + strlen (name), *bad;

  *changed = FALSE;
  while (!g_utf8_validate_len (p, end - p, &bad))
    {
      g_string_append_len (s, p, bad - p);
      g_string_append_printf (s, "\\x%02X", (guchar) *bad);
      p = bad + 1;
      *changed = TRUE;
    }
  g_string_append_len (s, p, end - p);
  return g_string_free (s, FALSE);
}

static char *
hex_bytes (const char *s)
{
  GString *h = g_string_new (NULL);

  for (const guchar *p = (const guchar *) s; *p; p++)
    g_string_append_printf (h, "%s%02X", h->len ? " " : "", *p);
  return g_string_free (h, FALSE);
}

/* Sets item's id and path from the file's name, valid UTF-8 whatever the bytes. */
static void
set_file_identity (QuarryInputItem *item, const char *fs_path, const char *rel)
{
  g_autofree char *base = g_path_get_basename (fs_path);
  char *dot = strrchr (base, '.');
  gboolean bad_name = FALSE, bad_rel = FALSE;

  if (dot != NULL && dot != base)
    *dot = '\0';
  item->id = make_valid_utf8 (base, &bad_name);
  item->path = make_valid_utf8 (rel, &bad_rel);
  item->origin = g_strdup (fs_path);
  if (bad_name || bad_rel)
    {
      g_autofree char *hex = hex_bytes (rel);
      item_warn (item, "invalid-file-name",
                 "the file name %s is not valid UTF-8 (raw bytes: %s); its id and path show each invalid byte as \\xNN; rename the file to keep its name",
                 item->path, hex);
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static char *
join_rel (const char *rel, const char *name)
{
  return rel[0] != '\0' ? g_build_filename (rel, name, NULL) : g_strdup (name);
}

/* Opens a folder for the walk, unless it was walked already (a link loop, or two
 * links to one folder): each real file is read once. */
static gboolean
push_dir (QuarryInput *in, const char *dir, const char *rel, QuarryInputItem *item)
{
  GError *error = NULL;
  GDir *d;
  GPtrArray *names;
  GStatBuf st;
  DirFrame f;
  const char *n;
  char *key;

  if (g_stat (dir, &st) != 0)
    {
      set_file_identity (item, dir, rel[0] ? rel : dir);
      item->error = g_strdup_printf ("cannot read folder %s: %s; check its permissions", dir, g_strerror (errno));
      return FALSE;
    }
  key = g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, (guint64) st.st_dev, (guint64) st.st_ino);
  if (g_hash_table_contains (in->dirs_seen, key))
    {
      gboolean loop = FALSE;
      for (guint i = 0; i < in->dirs->len && !loop; i++)
        {
          DirFrame *a = &g_array_index (in->dirs, DirFrame, i);
          loop = a->dev == st.st_dev && a->ino == st.st_ino;
        }
      if (in->counting)
        ;
      else if (loop)
        g_printerr ("quarry: warning: %s leads back to %s, a folder that contains it (a link loop); not followed\n",
                    dir, (const char *) g_hash_table_lookup (in->dirs_seen, key));
      else
        g_printerr ("quarry: warning: %s is the folder %s, read already; not read twice\n",
                    dir, (const char *) g_hash_table_lookup (in->dirs_seen, key));
      g_free (key);
      return TRUE;
    }
  d = g_dir_open (dir, 0, &error);
  if (d == NULL)
    {
      set_file_identity (item, dir, rel[0] ? rel : dir);
      item->error = g_strdup_printf ("cannot read folder %s: %s; check its permissions", dir, error->message);
      g_error_free (error);
      g_free (key);
      return FALSE;
    }
  g_hash_table_insert (in->dirs_seen, key, g_strdup (dir));
  names = g_ptr_array_new ();
  while ((n = g_dir_read_name (d)) != NULL)
    if (n[0] != '.')
      g_ptr_array_add (names, g_strdup (n));
  g_dir_close (d);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  f.dir = g_strdup (dir);
  f.rel = g_strdup (rel);
  f.names = (GStrv) g_ptr_array_free (names, FALSE);
  f.next = 0;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  g_array_append_val (in->dirs, f);
  return TRUE;
}

/* open(2) for reading, retried when a signal interrupts it (opening a FIFO waits
 * for a writer) unless a stop was asked for: then -1 and in->stopped set. */
static int
open_retrying (QuarryInput *in, const char *path)
{
  for (;;)
    {
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 || errno != EINTR)
        return fd;
      if (in->stop_requested != NULL && in->stop_requested ())
        {
          in->stopped = TRUE;
          errno = EINTR;
          return -1;
        }
    }
}

/* Moves the open stream to the first line that starts at or after range_lo, and
 * counts the lines before it so that fields.input.line and FILE:LINE ids are
 * those of the whole file. The bytes before are scanned for newlines only,
 * never parsed. FALSE with errno on a read error. */
static gboolean
seek_shard_start (QuarryInput *in)
{
  g_autofree char *chunk = NULL;
  guint64 pos = 0, lines = 0, start;
  gboolean found = FALSE;

  if (in->range_lo == 0)
    return TRUE;
  chunk = g_malloc (16 * READ_CHUNK);
  /* the first line that starts at or after range_lo follows the first newline at or after range_lo - 1 */
  start = G_MAXUINT64;
  while (!found)
    {
      gssize r = pread (in->fd, chunk, 16 * READ_CHUNK, (off_t) pos);
      const char *p, *end;
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return FALSE;
      if (r == 0)
        break;
      end = chunk + r;
      p = chunk;
      while (p < end && (p = memchr (p, '\n', end - p)) != NULL)
        {
          guint64 at = pos + (p - chunk);
          lines++;
          p++;
          if (at + 1 >= in->range_lo)
            {
              start = at + 1;
              found = TRUE;
              break;
            }
        }
      pos += r;
    }
  if (!found)
    {
      /* no line starts in the range or after it: nothing to read */
      in->range_hi = 0;
      return TRUE;
    }
  if (lseek (in->fd, (off_t) start, SEEK_SET) < 0)
    return FALSE;
  in->buf_offset = start;
  in->line_no = lines;
  return TRUE;
}

static gboolean
open_stream (QuarryInput *in, const char *path, const char *rel, QuarryInputItem *item)
{
  if (g_str_equal (path, "-"))
    {
      in->fd = STDIN_FILENO;
      in->fd_is_stdin = TRUE;
    }
  else
    {
      in->fd = open_retrying (in, path);
      in->fd_is_stdin = FALSE;
      if (in->fd < 0 && in->stopped)
        return TRUE;  /* a clean stop, not a document */
      if (in->fd < 0)
        {
          set_file_identity (item, path, rel);
          item->error = g_strdup_printf ("cannot open %s: %s", path, g_strerror (errno));
          return FALSE;
        }
    }
  in->stream_name = g_strdup (g_str_equal (path, "-") ? "<stdin>" : path);
  {
    gboolean bad;
    in->stream_rel = make_valid_utf8 (rel, &bad);
  }
  in->line_no = 0;
  in->buf = g_malloc (READ_CHUNK);
  in->buf_pos = in->buf_len = 0;
  in->buf_offset = 0;
  in->buf_eof = FALSE;
  if (in->by_bytes && !seek_shard_start (in))
    {
      set_file_identity (item, path, rel);
      item->error = g_strdup_printf ("cannot read %s: %s", path, g_strerror (errno));
      close_stream (in);
      return FALSE;
    }
  return TRUE;
}

/* read(2), retried when a signal interrupts it unless a stop was asked for:
 * then -1 with errno EINTR and in->stopped set. */
static gssize
read_retrying (QuarryInput *in, int fd, void *buf, gsize n)
{
  for (;;)
    {
      gssize r = read (fd, buf, n);
      if (r >= 0 || errno != EINTR)
        return r;
      if (in->stop_requested != NULL && in->stop_requested ())
        {
          in->stopped = TRUE;
          errno = EINTR;
          return -1;
        }
    }
}

typedef enum { LINE_OK, LINE_EOF, LINE_ERROR } LineResult;

/* The next line of the stream into in->line (without its newline). A line longer
 * than the limit is consumed but not kept: *too_long is set, *length counts it. */
static LineResult
read_line (QuarryInput *in, gboolean *too_long, guint64 *length)
{
  g_string_truncate (in->line, 0);
  *too_long = FALSE;
  *length = 0;
  /* a byte-split shard owns the lines that start in its range, wherever they end */
  if (in->by_bytes && in->buf_offset + in->buf_pos >= in->range_hi)
    return LINE_EOF;
  for (;;)
    {
      if (in->buf_pos == in->buf_len)
        {
          gssize r;
          if (in->buf_eof)
            return *length > 0 ? LINE_OK : LINE_EOF;
          r = read_retrying (in, in->fd, in->buf, READ_CHUNK);
          if (r < 0)
            return LINE_ERROR;
          in->buf_offset += in->buf_len;
          in->buf_pos = 0;
          in->buf_len = r;
          if (r == 0)
            {
              in->buf_eof = TRUE;
              continue;
            }
        }
      {
        const char *start = in->buf + in->buf_pos;
        gsize avail = in->buf_len - in->buf_pos;
        const char *nl = memchr (start, '\n', avail);
        gsize take = nl != NULL ? (gsize) (nl - start) : avail;

        if (!*too_long && *length + take > (guint64) in->max_bytes)
          {
            *too_long = TRUE;
            g_string_truncate (in->line, 0);
          }
        if (!*too_long)
          g_string_append_len (in->line, start, take);
        *length += take;
        in->buf_pos += take + (nl != NULL);
        if (nl != NULL)
          return LINE_OK;
      }
    }
}

/* The whole of fd, up to the limit (then *too_long and nothing kept). */
static gboolean
read_all (QuarryInput *in, int fd, gsize size_hint, char **bytes, gsize *length, gboolean *too_long, int *err)
{
  gsize cap = MAX (size_hint + 1, 4096), len = 0;
  char *buf = g_malloc (cap);

  *too_long = FALSE;
  for (;;)
    {
      gssize r;
      if (cap - len < 2)
        {
          cap *= 2;
          buf = g_realloc (buf, cap);
        }
      r = read_retrying (in, fd, buf + len, cap - len - 1);
      if (r < 0)
        {
          *err = errno;
          g_free (buf);
          return FALSE;
        }
      if (r == 0)
        break;
      len += r;
      if ((guint64) len > (guint64) in->max_bytes)
        {
          /* keep reading (a stream must be drained) but keep nothing */
          *too_long = TRUE;
          *length = len;
          while ((r = read_retrying (in, fd, buf, cap - 1)) > 0)
            *length += r;
          g_free (buf);
          if (r < 0)
            {
              *err = errno;
              return FALSE;
            }
          *bytes = NULL;
          return TRUE;
        }
    }
  buf[len] = '\0';
  *bytes = buf;
  *length = len;
  return TRUE;
}

static char *
format_size (guint64 n)
{
  return g_format_size_full (n, G_FORMAT_SIZE_LONG_FORMAT);
}

/* A file that starts with a UTF-16 or UTF-32 byte order mark is converted to UTF-8;
 * source offsets then count bytes of the converted text. */
static void
convert_unicode_bom (QuarryInputItem *item)
{
  static const struct { const char *bom; gsize n; const char *charset; } boms[] = {
    { "\xFF\xFE\0\0", 4, "UTF-32LE" }, { "\0\0\xFE\xFF", 4, "UTF-32BE" },
    { "\xFF\xFE", 2, "UTF-16LE" }, { "\xFE\xFF", 2, "UTF-16BE" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (boms); i++)
    if (item->length >= boms[i].n && memcmp (item->bytes, boms[i].bom, boms[i].n) == 0)
      {
        GError *error = NULL;
        gsize written = 0;
        char *utf8 = g_convert (item->bytes + boms[i].n, item->length - boms[i].n, "UTF-8", boms[i].charset,
                                NULL, &written, &error);
        if (utf8 == NULL)
          {
            item->error = g_strdup_printf ("%s starts with a %s byte order mark but is not valid %s (%s); convert it to UTF-8 (iconv -f %s -t UTF-8) and run it again",
                                           item->origin, boms[i].charset, boms[i].charset, error->message, boms[i].charset);
            g_error_free (error);
            return;
          }
        item_warn (item, "converted-charset",
                   "the file is %s (it starts with a byte order mark); it was converted to UTF-8 and source offsets count bytes of the converted text",
                   boms[i].charset);
        g_free (item->bytes);
        item->bytes = utf8;
        item->length = written;
        return;
      }
}

static void
read_file_item (QuarryInput *in, const char *path, const char *rel, QuarryInputItem *item)
{
  GStatBuf st;
  int fd, err = 0;
  gboolean too_long;

  set_file_identity (item, path, rel);
  fd = open_retrying (in, path);
  if (fd < 0 && in->stopped)
    return;
  if (fd < 0)
    {
      err = errno;
      item->error = g_strdup_printf ("cannot read %s: %s%s", path, g_strerror (err),
                                     err == EACCES ? "; check its permissions" : "");
      return;
    }
  if (fstat (fd, &st) != 0)
    memset (&st, 0, sizeof st);  /* read it as a stream */
  if (S_ISREG (st.st_mode) && (guint64) st.st_size > (guint64) in->max_bytes)
    {
      g_autofree char *size = format_size (st.st_size), *max = format_size (in->max_bytes);
      close (fd);
      item->error = g_strdup_printf ("too large: %s is %s, over the limit of %s; raise it with --max-document-bytes, or split the file",
                                     path, size, max);
      return;
    }
  if (!read_all (in, fd, S_ISREG (st.st_mode) ? (gsize) st.st_size : 0, &item->bytes, &item->length, &too_long, &err))
    {
      close (fd);
      if (in->stopped)
        return;
      item->error = g_strdup_printf ("cannot read %s: %s", path, g_strerror (err));
      return;
    }
  close (fd);
  if (too_long)
    {
      g_autofree char *size = format_size (item->length), *max = format_size (in->max_bytes);
      item->error = g_strdup_printf ("too large: %s gave %s, over the limit of %s; raise it with --max-document-bytes",
                                     path, size, max);
      item->length = 0;
      return;
    }
  convert_unicode_bom (item);
  if (item->error == NULL)
    item->media_type = g_strdup (quarry_input_guess_media_type (path, item->bytes, item->length));
}

/* Whitespace as JSON knows it */
static gboolean
only_json_space (const char *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
      return FALSE;
  return TRUE;
}

static void
keep_raw_line (QuarryInputItem *item, const char *line, gsize len)
{
  item->bytes = g_malloc (len + 1);
  memcpy (item->bytes, line, len);
  item->bytes[len] = '\0';
  item->length = len;
}

/* The record's media_type: the essence, with the charset checked. */
static void
set_record_media_type (QuarryInputItem *item, const char *declared)
{
  g_autofree char *essence = NULL, *charset = NULL;

  if (!quarry_input_parse_media_type (declared, &essence, &charset))
    {
      item_warn (item, "bad-media-type",
                 "media_type '%s' is not TYPE/SUBTYPE[; NAME=VALUE]; the type was guessed from the content instead",
                 declared);
      item->media_type = g_strdup (quarry_input_guess_media_type (NULL, item->bytes, item->length));
      return;
    }
  /* a JSON string is Unicode text already: its charset can only agree with that */
  if (charset != NULL && !g_str_equal (charset, "utf-8") && !g_str_equal (charset, "utf8") &&
      !g_str_equal (charset, "us-ascii") && !g_str_equal (charset, "ascii"))
    item_warn (item, "charset-ignored",
               "media_type '%s' declares charset %s, but a JSON Lines content is Unicode text already: it was read as such; decode the text before writing it into JSON",
               declared, charset);
  item->media_type = g_steal_pointer (&essence);
}

/* Parses one JSON Lines record into item; TRUE if the line held a record (or an error). */
static gboolean
parse_record (QuarryInput *in, const char *line, gsize len, QuarryInputItem *item)
{
  json_tokener *tok;
  json_object *obj, *v;
  enum json_tokener_error jerr;
  gsize i = 0, end;

  /* a UTF-8 byte order mark before the first record is not part of it */
  if (in->line_no == 1 && len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0)
    {
      line += 3;
      len -= 3;
    }
  while (i < len && g_ascii_isspace (line[i]))
    i++;
  if (i == len)
    return FALSE;  /* blank line */

  item->origin = g_strdup_printf ("%s:%" G_GUINT64_FORMAT, in->stream_name, in->line_no);
  item->path = g_strdup (in->stream_rel);
  item->line = in->line_no;
  tok = json_tokener_new_ex (64);
  obj = json_tokener_parse_ex (tok, line, (int) MIN (len, (gsize) G_MAXINT));
  jerr = json_tokener_get_error (tok);
  end = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);

  if (obj == NULL || jerr != json_tokener_success || !json_object_is_type (obj, json_type_object))
    {
      item->id = g_strdup (item->origin);
      keep_raw_line (item, line, len);
      item->error = g_strdup_printf ("%s: not a JSON object (%s); each line must be {\"id\": ..., \"content\": ..., \"media_type\": ...}",
                                     item->origin,
                                     obj != NULL ? "another JSON value"
                                     : jerr == json_tokener_continue ? "the record is cut short"
                                     : json_tokener_error_desc (jerr));
      if (obj != NULL)
        json_object_put (obj);
      return TRUE;
    }
  if (end < len && !only_json_space (line + end, len - end))
    {
      /* a second record or garbage after the first: neither may be lost silently */
      item->id = g_strdup (item->origin);
      keep_raw_line (item, line, len);
      item->error = g_strdup_printf ("%s: the line goes on after its record (at byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                                     "); put each record on a line of its own, with nothing after it",
                                     item->origin, end, len);
      json_object_put (obj);
      return TRUE;
    }
  if (json_object_object_get_ex (obj, "id", &v) && !json_object_is_type (v, json_type_null))
    {
      gboolean bad;
      item->id = make_valid_utf8 (json_object_get_string (v), &bad);
      if (bad)
        {
          g_autofree char *hex = hex_bytes (json_object_get_string (v));
          item_warn (item, "invalid-id", "the record's id is not valid UTF-8 (raw bytes: %s); each invalid byte is shown as \\xNN", hex);
        }
    }
  else
    {
      item->id = g_strdup (item->origin);
      item_warn (item, "no-id", "the record has no \"id\"; it was given the id %s (file:line)", item->origin);
    }
  if (!json_object_object_get_ex (obj, "content", &v) || !json_object_is_type (v, json_type_string))
    {
      keep_raw_line (item, line, len);
      item->error = g_strdup_printf ("%s: record '%s' has no \"content\" string; add the document text as \"content\"",
                                     item->origin, item->id);
      json_object_put (obj);
      return TRUE;
    }
  /* the content whole, escaped NULs included */
  keep_raw_line (item, json_object_get_string (v), json_object_get_string_len (v));
  if (json_object_object_get_ex (obj, "media_type", &v) && json_object_is_type (v, json_type_string))
    set_record_media_type (item, json_object_get_string (v));
  else
    item->media_type = g_strdup (quarry_input_guess_media_type (NULL, item->bytes, item->length));
  json_object_put (obj);
  return TRUE;
}

/* The next record of the open stream: TRUE with item filled, FALSE at its end. */
static gboolean
next_record (QuarryInput *in, QuarryInputItem *item)
{
  for (;;)
    {
      gboolean too_long;
      guint64 length;
      LineResult r = read_line (in, &too_long, &length);

      if (r == LINE_EOF)
        {
          close_stream (in);
          return FALSE;
        }
      if (r == LINE_ERROR)
        {
          int err = errno;
          if (in->stopped)
            {
              close_stream (in);
              return FALSE;
            }
          item->id = g_strdup (in->stream_name);
          item->origin = g_strdup (in->stream_name);
          item->path = g_strdup (in->stream_rel);
          item->error = g_strdup_printf ("read error in %s after line %" G_GUINT64_FORMAT ": %s",
                                         in->stream_name, in->line_no, g_strerror (err));
          close_stream (in);
          return TRUE;
        }
      in->line_no++;
      if (too_long)
        {
          g_autofree char *size = format_size (length), *max = format_size (in->max_bytes);
          item->origin = g_strdup_printf ("%s:%" G_GUINT64_FORMAT, in->stream_name, in->line_no);
          item->id = g_strdup (item->origin);
          item->path = g_strdup (in->stream_rel);
          item->line = in->line_no;
          item->error = g_strdup_printf ("too large: the record on %s is %s, over the limit of %s; it was not kept; raise the limit with --max-document-bytes",
                                         item->origin, size, max);
          return TRUE;
        }
      if (parse_record (in, in->line->str, in->line->len, item))
        return TRUE;
    }
}

static gboolean is_excluded (QuarryInput *in, const DirFrame *f, const char *name, const GStatBuf *st);
static void check_duplicate (QuarryInput *in, QuarryInputItem *item);

/* Counts one unit of the walk; TRUE if it is to be read (it is this shard's). */
static gboolean
take_unit (QuarryInput *in)
{
  guint64 u = in->unit++;

  if (in->counting)
    return FALSE;
  return !in->by_units || (u >= in->unit_lo && u < in->unit_hi);
}

/* For an input that could not be read (item holds the error): counts it as a
 * unit, and drops it when it is another shard's. */
static gboolean
keep_unit (QuarryInput *in, QuarryInputItem *item)
{
  if (take_unit (in))
    return TRUE;
  quarry_input_item_clear (item);
  return FALSE;
}

/* A file of an earlier shard is not read, but its id (from its name) is
 * recorded, so that a duplicate-id warning is the same as in one process. */
static void
note_skipped_id (QuarryInput *in, const char *path, const char *rel, const GStatBuf *st)
{
  QuarryInputItem tmp = { 0 };

  if (in->counting || !in->by_units || in->unit > in->unit_lo || (guint64) st->st_size > (guint64) in->max_bytes)
    return;
  set_file_identity (&tmp, path, rel);
  g_clear_pointer (&tmp.warnings, g_ptr_array_unref);
  check_duplicate (in, &tmp);
  quarry_input_item_clear (&tmp);
}

/* A file met in a folder (frame: where, name: its name there) or named as an
 * argument (frame NULL); in a walk only regular files are read. */
static gboolean
take_path (QuarryInput *in, const char *path, const char *rel, const DirFrame *frame, const char *name,
           QuarryInputItem *item)
{
  gboolean in_walk = frame != NULL;

  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int err = errno;
      if (!take_unit (in))
        return FALSE;
      set_file_identity (item, path, rel);
      item->error = g_strdup_printf ("cannot read %s: %s%s", path, g_strerror (err),
                                     err == ELOOP ? " (a symbolic link that leads to itself)"
                                     : err == ENOENT && g_file_test (path, G_FILE_TEST_IS_SYMLINK) ? " (a broken symbolic link)" : "");
      return TRUE;
    }
  if (S_ISDIR (st.st_mode))
    return !push_dir (in, path, rel, item) && keep_unit (in, item);
  if (!S_ISREG (st.st_mode) && in_walk)
    {
      if (!in->counting)
        g_printerr ("quarry: warning: %s is not a regular file (%s); skipped: a folder walk reads only regular files (name it as an argument to read it as a stream)\n",
                  path, S_ISFIFO (st.st_mode) ? "a FIFO" : S_ISSOCK (st.st_mode) ? "a socket"
                  : S_ISCHR (st.st_mode) ? "a character device" : S_ISBLK (st.st_mode) ? "a block device" : "a special file");
      return FALSE;
    }
  if (in_walk && is_excluded (in, frame, name, &st))
    {
      if (!in->counting)
        g_printerr ("quarry: warning: %s is an output of this run; not read as input\n", path);
      return FALSE;
    }
  if (is_jsonl_name (path))
    return take_unit (in) && !open_stream (in, path, rel, item);
  if (!take_unit (in))
    {
      note_skipped_id (in, path, rel, &st);
      return FALSE;
    }
  read_file_item (in, path, rel, item);
  return !in->stopped;
}

/* Records the id; a second document with the same id gets a warning naming the first. */
static void
check_duplicate (QuarryInput *in, QuarryInputItem *item)
{
  const char *first;
  g_autofree char *here = NULL;

  if (item->id == NULL || item->error != NULL)
    return;
  here = item->line > 0 ? g_strdup_printf ("%s:%" G_GUINT64_FORMAT, item->path, item->line) : g_strdup (item->path);
  first = g_hash_table_lookup (in->ids, item->id);
  if (first != NULL)
    {
      item_warn (item, "duplicate-id", "the id '%s' was used before, by %s; this document is %s: give each document its own id",
                 item->id, first, here);
      return;
    }
  g_hash_table_insert (in->ids, g_strdup (item->id), g_steal_pointer (&here));
}

static gboolean
next_item (QuarryInput *in, QuarryInputItem *item)
{
  for (;;)
    {
      if (in->stopped)
        return FALSE;
      if (in->by_units && in->unit >= in->unit_hi && in->fd < 0)
        return FALSE;  /* the rest is other shards' */
      if (in->fd >= 0)
        {
          if (next_record (in, item))
            return TRUE;
          continue;
        }

      if (in->dirs->len > 0)
        {
          DirFrame *f = &g_array_index (in->dirs, DirFrame, in->dirs->len - 1);
          g_autofree char *path = NULL, *rel = NULL;
          const char *name;

          if (f->names[f->next] == NULL)
            {
              pop_dir (in);
              continue;
            }
          name = f->names[f->next++];
          path = g_build_filename (f->dir, name, NULL);
          rel = join_rel (f->rel, name);
          if (take_path (in, path, rel, f, name, item))
            return TRUE;
          continue;
        }

      if (in->args == NULL || in->args[in->next_arg] == NULL)
        return FALSE;
      {
        const char *arg = in->args[in->next_arg++];
        g_autofree char *base = NULL;

        if (g_str_equal (arg, "-"))
          {
            if (take_unit (in))
              open_stream (in, arg, "-", item);
            continue;
          }
        if (g_file_test (arg, G_FILE_TEST_IS_DIR))
          {
            if (!push_dir (in, arg, "", item) && keep_unit (in, item))
              return TRUE;
            continue;
          }
        base = g_path_get_basename (arg);
        if (take_path (in, arg, base, NULL, NULL, item))
          return TRUE;
      }
    }
}

gboolean
quarry_input_next (QuarryInput *in, QuarryInputItem *item)
{
  memset (item, 0, sizeof *item);
  if (!next_item (in, item))
    {
      quarry_input_item_clear (item);
      return FALSE;
    }
  check_duplicate (in, item);
  return TRUE;
}

/* Whether the existing file path lies in the folder dir_st at any depth, through
 * entries the walk would read (not hidden). */
static gboolean
inside_folder (const char *path, const GStatBuf *dir_st)
{
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  char *up = g_path_get_dirname (abs), *base = g_path_get_basename (abs);
  gboolean inside = FALSE;

  for (;;)
    {
      GStatBuf st;
      char *next;
      if (base[0] == '.')
        break;  /* the walk skips hidden entries */
      if (g_stat (up, &st) == 0 && st.st_dev == dir_st->st_dev && st.st_ino == dir_st->st_ino)
        {
          inside = TRUE;
          break;
        }
      next = g_path_get_dirname (up);
      if (g_str_equal (next, up))
        {
          g_free (next);
          break;
        }
      g_free (base);
      base = g_path_get_basename (up);
      g_free (up);
      up = next;
    }
  g_free (up);
  g_free (base);
  return inside;
}

gboolean
quarry_input_check_output (const char *const *args, const char *path, const char *what, GError **error)
{
  GStatBuf st, out_st;

  if (path == NULL || g_str_equal (path, "-"))
    return TRUE;
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    {
      if (g_str_equal (args[i], "-") || g_stat (args[i], &st) != 0)
        continue;
      if (!S_ISDIR (st.st_mode) && quarry_input_same_file (path, args[i]))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                       "the %s %s is the input %s: writing it would destroy the input; write the %s to another file",
                       what, path, args[i], what);
          return FALSE;
        }
      /* an output that does not exist yet may be inside an input folder (the walk
       * skips it); an existing file there is an input */
      if (S_ISDIR (st.st_mode) && g_stat (path, &out_st) == 0 && S_ISREG (out_st.st_mode) && inside_folder (path, &st))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                       "the %s %s is a file of the input folder %s: writing it would destroy that input; write the %s outside the folder, or remove the file",
                       what, path, args[i], what);
          return FALSE;
        }
    }
  return TRUE;
}

void
quarry_input_exclude (QuarryInput *in, const char *path)
{
  FileId id;

  if (path == NULL || g_str_equal (path, "-") || !file_id (path, &id))
    return;
  g_array_append_val (in->excluded, id);
}

/* Whether the file name in the folder frame (stat st) is an excluded output. */
static gboolean
is_excluded (QuarryInput *in, const DirFrame *f, const char *name, const GStatBuf *st)
{
  for (guint i = 0; i < in->excluded->len; i++)
    {
      const FileId *x = &g_array_index (in->excluded, FileId, i);
      if (x->exists ? x->dev == st->st_dev && x->ino == st->st_ino
                    : x->dev == f->dev && x->ino == f->ino && g_str_equal (x->name, name))
        return TRUE;
    }
  return FALSE;
}

static gint64
tree_bytes (const char *path, GHashTable *seen)
{
  GStatBuf st;
  gint64 total = 0;

  if (g_stat (path, &st) != 0)
    return 0;
  if (!S_ISDIR (st.st_mode))
    return S_ISREG (st.st_mode) ? st.st_size : 0;
  /* each folder once, as the walk reads it */
  if (!g_hash_table_add (seen, g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                                                (guint64) st.st_dev, (guint64) st.st_ino)))
    return 0;
  {
    GDir *d = g_dir_open (path, 0, NULL);
    const char *n;
    while (d != NULL && (n = g_dir_read_name (d)) != NULL)
      if (n[0] != '.')
        {
          g_autofree char *child = g_build_filename (path, n, NULL);
          total += tree_bytes (child, seen);
        }
    if (d != NULL)
      g_dir_close (d);
  }
  return total;
}

gint64
quarry_input_total_bytes (const char *const *args)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 total = 0;

  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    {
      if (g_str_equal (args[i], "-"))
        return -1;
      total += tree_bytes (args[i], seen);
    }
  return total;
}
