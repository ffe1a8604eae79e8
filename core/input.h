/* input.h: turns command-line inputs (files, folders, JSON Lines, stdin) into a stream of documents. */
#pragma once

#include <glib.h>
#include <quarry/document.h>

G_BEGIN_DECLS

typedef struct _QuarryInput QuarryInput;

/* One input document, or one that could not be read (error set, bytes may hold
 * the raw record so nothing is lost). */
typedef struct {
  char      *id;          /* valid UTF-8 */
  char      *bytes;       /* g_malloc'ed, NUL-terminated */
  gsize      length;
  char      *media_type;  /* NULL: unknown/not applicable */
  char      *error;       /* NULL when the document was read */
  char      *origin;      /* file (and line) it came from, for messages */
  char      *path;        /* the file, relative to the argument that named it (valid UTF-8) */
  guint64    line;        /* the line of a JSON Lines record; 0 for a whole file */
  GPtrArray *warnings;    /* (nullable) "code\nmessage" strings: warning diagnostics of stage input */
} QuarryInputItem;

void quarry_input_item_clear (QuarryInputItem *item);

/* Writes what the input knows about the item into doc: fields.input {"path",
 * "line"} and its warnings as diagnostics of stage "input". */
void quarry_input_item_annotate (const QuarryInputItem *item, QuarryDocument *doc);

/* The default of --max-document-bytes. */
#define QUARRY_INPUT_DEFAULT_MAX_BYTES (G_GINT64_CONSTANT (256) << 20)

/* args: files, folders (walked recursively in sorted order; hidden entries skipped;
 * only regular files are read, each folder once), "-" for JSON Lines on stdin. A
 * file named *.jsonl or *.ndjson is read as JSON Lines; a FIFO named as an
 * argument is read as a stream. */
QuarryInput *quarry_input_new (const char *const *args);
void quarry_input_free (QuarryInput *in);

/* Documents longer than max_bytes are not read: they come out as errors saying so
 * (<= 0: no limit). */
void quarry_input_set_max_bytes (QuarryInput *in, gint64 max_bytes);

/* What a shard holds: units [first, end) of total (files of the walk), or, for
 * one JSON Lines file, the lines that start in bytes [first, end) of total. */
typedef struct {
  gboolean by_bytes;
  guint64  first, end, total;
} QuarryInputShard;

/* Makes in read only shard k of n (1 <= k <= n): for one JSON Lines file, the
 * lines that start in the k-th of n equal byte ranges (line numbers stay those
 * of the whole file); otherwise the k-th of n contiguous blocks of the walk's
 * units, a unit being a file (a JSON Lines file whole) or an input that cannot
 * be read. Call before the first quarry_input_next(), after quarry_input_exclude()
 * and quarry_input_set_max_bytes(); not for stdin. */
void quarry_input_set_shard (QuarryInput *in, guint k, guint n, QuarryInputShard *shard);

/* Called when a read is interrupted by a signal: TRUE stops the input (the
 * read is not retried and quarry_input_next() returns FALSE). */
void quarry_input_set_stop_check (QuarryInput *in, gboolean (*stop_requested) (void));

/* Fills item with the next document; FALSE at the end (or after a stop). */
gboolean quarry_input_next (QuarryInput *in, QuarryInputItem *item);

/* TRUE if the input ended because the stop check said so, not at the end of the inputs. */
gboolean quarry_input_was_stopped (QuarryInput *in);

/* Checks that writing path (an output file) cannot destroy an input: path must
 * not be one of args, nor an existing file inside a folder of args (compared by
 * device and inode, so also through links). what names the file in the
 * message ("output", "dead-letter file"). FALSE with a message in error. */
gboolean quarry_input_check_output (const char *const *args, const char *path, const char *what, GError **error);

/* Files of this run's output: a folder walk that meets one skips it with a
 * warning (an output inside an input folder is never read back). */
void quarry_input_exclude (QuarryInput *in, const char *path);

/* TRUE if a and b name the same file, existing or not (device and inode of the
 * file, or of its folder and the same name). */
gboolean quarry_input_same_file (const char *a, const char *b);

/* Total size in bytes of the files args name (folders walked), for a progress ETA;
 * -1 if unknown (stdin). Costs a stat per file: call it only when progress is shown. */
gint64 quarry_input_total_bytes (const char *const *args);

/* The media type of a file from its name, or failing that from its first bytes. */
const char *quarry_input_guess_media_type (const char *name, const char *bytes, gsize length);

/* A media type's essence ("text/html", lower case) and its charset parameter
 * (NULL if none). FALSE if text is not TYPE/SUBTYPE[; NAME=VALUE]... */
gboolean quarry_input_parse_media_type (const char *text, char **essence, char **charset);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryInput, quarry_input_free)

G_END_DECLS
