/* decoder.h: the tag-decode engine: inline `[LABEL text  ]` entity markup to entity spans, and detokenization. */
#pragma once

#include <quarry/quarry.h>

G_BEGIN_DECLS

/* The default label set and the longest entity text (bytes) a tag may hold. */
#define TAG_DEFAULT_LABELS "PER;LOC;ORG;MISC"
#define TAG_DEFAULT_MAX_LENGTH 256
/* Longer tokens after '[' are never labels; bounds the work per '['. */
#define TAG_MAX_LABEL_LENGTH 32

typedef struct _TagDecoder TagDecoder;

/* labels: the configured entity types (each 1..32 bytes of [A-Za-z0-9_-]);
 * max_length: the longest entity text in bytes; detokenize: undo the tagger's
 * tokenization after decoding. Returns NULL with error (QUARRY_PLUGIN_ERROR_SETUP)
 * on a bad value. */
TagDecoder *tag_decoder_new (const char *const *labels, gsize max_length, gboolean detokenize,
                             GError **error);
void tag_decoder_free (TagDecoder *dec);

/* Decodes every well-formed tag of doc's text into an `entity` span, leaves
 * everything else as text with a diagnostic, then detokenizes if asked. A tag that
 * runs across a span of doc's `page-break` layer (header-parse's, when it ran
 * before) is left as text.
 * Read-only on dec, so safe on several threads. FALSE only if an edit batch
 * was refused (a bug). */
gboolean tag_decoder_process (const TagDecoder *dec, QuarryDocument *doc, GError **error);

/* A growing array of offsets with an inline push (GArray's append is a call per element). */
typedef struct {
  gsize *v;
  gsize  len;
  gsize  cap;
} TagOffsets;

static inline void
tag_offsets_push (TagOffsets *o, gsize x)
{
  if (G_UNLIKELY (o->len == o->cap))
    {
      o->cap = MAX (64, o->cap * 2);
      o->v = g_renew (gsize, o->v, o->cap);
    }
  o->v[o->len++] = x;
}

static inline void
tag_offsets_clear (TagOffsets *o)
{
  g_free (o->v);
  o->v = NULL;
  o->len = o->cap = 0;
}

/* Appends to spaces the offset of every space that the tagger's tokenization put
 * between a word and punctuation, in increasing order.
 * text[length] must be NUL (document texts are) and text holds no other NUL. */
void tag_detokenize_scan (const char *text, gsize length, TagOffsets *spaces);

/* Adds to edits the deletion of every space that the tagger's tokenization put
 * between a word and punctuation (`visit , he` -> `visit, he`, `( C )` -> `(C)`).
 * Returns the number of spaces deleted. */
guint tag_detokenize_collect (const char *text, gsize length, QuarryEdits *edits);

/* The entity markup around text: "[" label " " text "  ]" (for re-encoding). */
#define TAG_OPEN_PREFIX "["
#define TAG_CLOSE "  ]"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TagDecoder, tag_decoder_free)

G_END_DECLS
