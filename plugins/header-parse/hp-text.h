/* hp-text.h: small text helpers for header-parse: a markup-free copy with an offset map, character tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gsize start;
  gsize end;
} HpRange;

/* A copy of text[from, to) without inline `[TYPE ` / `  ]` entity markup, without
 * pilcrows and without the skipped ranges, that can map its offsets back. */
typedef struct {
  GString *s;
  GArray  *runs;   /* HpRun: copied runs, in order */
  int      slot;   /* the scratch buffer it borrows, or -1 */
} HpClean;

/* Slots of scratch buffers, one per copy that can be alive at the same time. */
enum { HP_SLOT_HEAD, HP_SLOT_ZONE, HP_SLOT_TAIL, HP_SLOT_TITLE, HP_CLEAN_SLOTS };

/* Buffers the copies reuse from one document to the next: fresh multi-kilobyte
 * buffers per document cost more in malloc than the copying does. One per worker
 * (the stage's worker state), used by one document at a time. */
typedef struct _HpScratch HpScratch;
HpScratch *hp_scratch_new (void);
void       hp_scratch_free (HpScratch *scratch);

typedef struct {
  gsize c;  /* offset in the copy */
  gsize o;  /* offset in the original text */
} HpRun;

/* scratch (nullable) and slot (one of HP_SLOT_*): reuse that buffer (the copy is then
 * valid until the next use of that slot); with no scratch or a slot of -1, a copy of its own. */
void  hp_clean_init (HpClean *clean, HpScratch *scratch, int slot, const char *text, gsize from, gsize to,
                     const HpRange *skip, guint n_skip);
void  hp_clean_clear (HpClean *clean);
gsize hp_clean_orig (const HpClean *clean, gsize offset);

/* Length of inline entity markup opening at p ("[PER ", "[LOC ", "[ORG ", "[MISC "), or 0. */
gsize hp_markup_open_len (const char *p, const char *end);

static inline gboolean
hp_is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static inline gboolean
hp_is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

static inline gboolean
hp_is_upper (char c)
{
  return c >= 'A' && c <= 'Z';
}

static inline gboolean
hp_is_alpha (char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline char
hp_upper (char c)
{
  return c >= 'a' && c <= 'z' ? c - 32 : c;
}

static inline gboolean
hp_is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* Case-insensitive compare of p (bounded by end) with the ASCII word w. */
gboolean hp_has_prefix_ci (const char *p, const char *end, const char *w);

/* The end of the line that p is in (the '\n' or end), and its start. */
const char *hp_line_end (const char *p, const char *end);
const char *hp_line_start (const char *p, const char *begin);

/* TRUE if [p, e) is only whitespace. */
gboolean hp_is_blank_range (const char *p, const char *e);

G_END_DECLS
