/* output.c: the record sink of `quarry run`: batches of whole lines, checked writes, a torn tail cut off. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

/* one write() per batch: large enough to cost nothing, small enough to stream */
#define BATCH_BYTES (1 << 20)

struct _QuarryOutput {
  int      fd;
  char    *name;
  gboolean own_fd;
  gboolean regular;     /* a regular file: a torn tail can be cut off, fsync means something */
  off_t    offset;      /* where the next batch starts in the file (regular files) */
  GString *batch;
  GArray  *ends;        /* gsize: where each record of the batch ends */
  guint64  records;     /* written whole */
  char    *error;
};

gsize
quarry_write_all (int fd, const void *data, gsize len)
{
  const char *p = data;
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = write (fd, p + done, MIN (len - done, (gsize) G_MAXSSIZE));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;  /* a signal (SIGTERM while the reader is slow): nothing was lost, go on */
          return done;
        }
      if (n == 0)
        {
          errno = EIO;
          return done;
        }
      done += n;
    }
  return done;
}

QuarryOutput *
quarry_output_new (int fd, const char *name, gboolean own_fd)
{
  QuarryOutput *out = g_new0 (QuarryOutput, 1);
  struct stat st;

  out->fd = fd;
  out->name = g_strdup (name);
  out->own_fd = own_fd;
  out->regular = fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
  if (out->regular)
    {
      /* with O_APPEND (a shell's >>) every write lands at the end, wherever the offset is */
      out->offset = (fcntl (fd, F_GETFL) & O_APPEND) ? st.st_size : lseek (fd, 0, SEEK_CUR);
      out->regular = out->offset >= 0;
    }
  out->batch = g_string_sized_new (BATCH_BYTES + BATCH_BYTES / 4);
  out->ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  return out;
}

static void
fail (QuarryOutput *out, const char *what, int err)
{
  if (out->error == NULL)
    out->error = g_strdup_printf ("cannot %s %s: %s (errno %d)", what, out->name, g_strerror (err), err);
}

gboolean
quarry_output_flush (QuarryOutput *out)
{
  gsize n;
  guint whole = 0;

  if (out->error != NULL)
    return FALSE;
  if (out->batch->len == 0)
    return TRUE;
  n = quarry_write_all (out->fd, out->batch->str, out->batch->len);
  if (n == out->batch->len)
    {
      out->records += out->ends->len;
      out->offset += n;
      g_string_truncate (out->batch, 0);
      g_array_set_size (out->ends, 0);
      return TRUE;
    }

  /* a short write: count the records that made it whole, and cut a torn one off */
  {
    int err = errno;
    gsize keep = 0;
    while (whole < out->ends->len && g_array_index (out->ends, gsize, whole) <= n)
      keep = g_array_index (out->ends, gsize, whole++);
    out->records += whole;
    fail (out, "write", err);
    if (keep < n)
      {
        if (!out->regular || ftruncate (out->fd, out->offset + keep) != 0)
          {
            char *more = g_strdup_printf ("%s; the last record in it is cut short (%" G_GSIZE_FORMAT " of its bytes were written)",
                                          out->error, n - keep);
            g_free (out->error);
            out->error = more;
          }
      }
    out->offset += keep;
  }
  g_string_truncate (out->batch, 0);
  g_array_set_size (out->ends, 0);
  return FALSE;
}

gboolean
quarry_output_append (QuarryOutput *out, const char *line, gsize len)
{
  gsize end;

  if (out->error != NULL)
    return FALSE;
  g_string_append_len (out->batch, line, len);
  end = out->batch->len;
  g_array_append_val (out->ends, end);
  return TRUE;
}

gboolean
quarry_output_batch_full (const QuarryOutput *out)
{
  return out->batch->len >= BATCH_BYTES;
}

guint64
quarry_output_get_records (const QuarryOutput *out)
{
  return out->records;
}

const char *
quarry_output_get_error (const QuarryOutput *out)
{
  return out->error;
}

gboolean
quarry_output_close (QuarryOutput *out, char **error_message)
{
  gboolean ok;

  quarry_output_flush (out);
  /* a full disk can show only here (delayed allocation, network file systems) */
  if (out->error == NULL && out->regular && fsync (out->fd) != 0)
    fail (out, "sync", errno);
  if (out->own_fd && close (out->fd) != 0)
    fail (out, "close", errno);
  ok = out->error == NULL;
  if (error_message != NULL)
    *error_message = g_steal_pointer (&out->error);
  g_free (out->error);
  g_free (out->name);
  g_string_free (out->batch, TRUE);
  g_array_unref (out->ends);
  g_free (out);
  return ok;
}
