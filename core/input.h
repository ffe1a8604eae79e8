/* input.h: turns command-line inputs (files, folders, JSON Lines, stdin) into a stream of documents. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _QuarryInput QuarryInput;

/* One input document, or one that could not be read (error set, bytes may hold
 * the raw record so nothing is lost). */
typedef struct {
  char  *id;
  char  *bytes;       /* g_malloc'ed, NUL-terminated */
  gsize  length;
  char  *media_type;  /* NULL: unknown/not applicable */
  char  *error;       /* NULL when the document was read */
  char  *origin;      /* file (and line) it came from, for messages */
} QuarryInputItem;

void quarry_input_item_clear (QuarryInputItem *item);

/* args: files, folders (walked recursively in sorted order; hidden entries skipped),
 * "-" for JSON Lines on stdin. A file named *.jsonl or *.ndjson is read as JSON Lines. */
QuarryInput *quarry_input_new (const char *const *args);
void quarry_input_free (QuarryInput *in);

/* Fills item with the next document; FALSE at the end. */
gboolean quarry_input_next (QuarryInput *in, QuarryInputItem *item);

/* Total size in bytes of the files args name (folders walked), for a progress ETA;
 * -1 if unknown (stdin). Costs a stat per file: call it only when progress is shown. */
gint64 quarry_input_total_bytes (const char *const *args);

/* The media type of a file from its name, or failing that from its first bytes. */
const char *quarry_input_guess_media_type (const char *name, const char *bytes, gsize length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryInput, quarry_input_free)

G_END_DECLS
