/* output.h: writes records to a file descriptor as whole lines only, with every write checked. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _QuarryOutput QuarryOutput;

/* Writes to fd (taken: closed by quarry_output_close() when own_fd) under name, for
 * messages. Records are kept in a batch and written with one write() per batch. */
QuarryOutput *quarry_output_new (int fd, const char *name, gboolean own_fd);

/* Adds one whole record to the batch: line holds it with its trailing newline.
 * FALSE once a write has failed (the record is then not counted). Nothing is
 * written until quarry_output_flush(): the caller chooses the order in which
 * several outputs reach their files. */
gboolean quarry_output_append (QuarryOutput *out, const char *line, gsize len);

/* TRUE when the batch is big enough to be written. */
gboolean quarry_output_batch_full (const QuarryOutput *out);

/* Writes the batch. On failure the file is cut back to its last whole record
 * (when it is a regular file), the error is kept, and later calls do nothing. */
gboolean quarry_output_flush (QuarryOutput *out);

/* Flushes, fsyncs a regular file, closes the fd if owned; frees out. FALSE if any
 * write, fsync or close failed (the message is in *error_message, transfer full). */
gboolean quarry_output_close (QuarryOutput *out, char **error_message);

/* Records written whole so far (including the ones the batch is holding only once flushed). */
guint64 quarry_output_get_records (const QuarryOutput *out);

/* (nullable) "cannot write NAME: strerror (errno N)" once something failed. */
const char *quarry_output_get_error (const QuarryOutput *out);

/* write() until every byte is out, retrying on EINTR and short writes. Returns the
 * number of bytes written; less than len means failure, with errno set. */
gsize quarry_write_all (int fd, const void *data, gsize len);

G_END_DECLS
