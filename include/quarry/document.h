/* document.h: the shared document a pipeline passes from stage to stage. */
#pragma once

#include <glib.h>
#include <json-c/json.h>
#include <quarry/version.h>

G_BEGIN_DECLS

/**
 * QuarryDocument:
 *
 * One input document. It owns:
 *  - its id and the original source bytes (never changed) with their media type;
 *  - the current text: valid UTF-8 without NUL bytes, changed only through
 *    quarry_document_apply_edits(), which keeps every span and the source map right;
 *  - spans in named layers, fields (a JSON object, one member per stage namespace),
 *    the top-level `entities` and `summary` results, and diagnostics.
 *
 * All offsets a plugin passes or reads are byte offsets into the current text.
 * The writer converts them to code points on output, and maps them to source bytes.
 *
 * A document is used by one thread at a time; different documents may be
 * processed on different threads at once.
 */
typedef struct _QuarryDocument QuarryDocument;

/**
 * QuarryEdits:
 *
 * A batch of "replace bytes [start, end) of the current text with S" edits,
 * collected by a stage and applied at once with quarry_document_apply_edits().
 * Edits are given against the text as it was before the batch; they must not
 * overlap (two insertions at one offset are fine and keep the order they were added in).
 */
typedef struct _QuarryEdits QuarryEdits;

/**
 * QuarrySpan:
 * @layer: interned layer name ("markup", "entity", ...): compare with == against g_intern_string()
 * @label: interned label within the layer ("p", "PER", ...), or %NULL
 * @start: byte offset into the current text
 * @end: byte offset into the current text, >= @start
 * @attrs: (nullable): a JSON object of attributes, owned by the document
 *
 * An annotation over the current text. Read-only for plugins: set attributes
 * with quarry_document_span_set_attr() (cheapest) or quarry_document_span_attrs().
 * A span from quarry_document_get_span() always shows all its attributes in @attrs;
 * one from quarry_document_peek_span() may show none (see there).
 */
typedef struct {
  const char  *layer;
  const char  *label;
  gsize        start;
  gsize        end;
  json_object *attrs;
} QuarrySpan;

/**
 * QuarryDiagnosticLevel:
 * @QUARRY_DIAGNOSTIC_INFO: something worth knowing, nothing was changed
 * @QUARRY_DIAGNOSTIC_WARNING: the input was repaired or a value could not be read
 * @QUARRY_DIAGNOSTIC_ERROR: a stage failed on this document
 */
typedef enum {
  QUARRY_DIAGNOSTIC_INFO,
  QUARRY_DIAGNOSTIC_WARNING,
  QUARRY_DIAGNOSTIC_ERROR,
} QuarryDiagnosticLevel;

/**
 * QUARRY_NO_OFFSET:
 *
 * Passed as the offset of a diagnostic that concerns no particular place.
 */
#define QUARRY_NO_OFFSET ((gssize) -1)

#define QUARRY_DOCUMENT_ERROR (quarry_document_error_quark ())

/**
 * QuarryDocumentError:
 * @QUARRY_DOCUMENT_ERROR_BAD_EDIT: an edit batch had overlapping or out-of-range edits,
 *   or replacement text that is not valid UTF-8
 * @QUARRY_DOCUMENT_ERROR_BAD_SPAN: a span was out of range or did not fall on character boundaries
 */
typedef enum {
  QUARRY_DOCUMENT_ERROR_BAD_EDIT,
  QUARRY_DOCUMENT_ERROR_BAD_SPAN,
} QuarryDocumentError;

QUARRY_API GQuark quarry_document_error_quark (void);

/* ---- creating (hosts and tests; plugins receive documents) ---- */

/**
 * quarry_document_new:
 * @id: the document id
 * @source: (array length=length): the original bytes; copied
 * @length: number of bytes in @source
 * @media_type: (nullable): e.g. "text/html"; %NULL means "text/plain"
 *
 * Makes a document whose text is @source, with invalid UTF-8 sequences and NUL
 * bytes replaced by U+FFFD (each repair is an edit, so the source map holds, and
 * is reported as a warning diagnostic of stage "input" with its byte offset).
 *
 * Returns: (transfer full): a new document; free with quarry_document_free()
 */
QUARRY_API QuarryDocument *quarry_document_new (const char *id,
                                                const void *source,
                                                gsize       length,
                                                const char *media_type);

/**
 * quarry_document_new_take:
 * Like quarry_document_new() but takes ownership of @source (g_malloc'ed).
 */
QUARRY_API QuarryDocument *quarry_document_new_take (const char *id,
                                                     void       *source,
                                                     gsize       length,
                                                     const char *media_type);

QUARRY_API void quarry_document_free (QuarryDocument *doc);

/* ---- reading ---- */

/** Returns: (transfer none): the document id. */
QUARRY_API const char *quarry_document_get_id (const QuarryDocument *doc);

/** Returns: (transfer none): the media type of the source ("text/html", "text/plain", ...). */
QUARRY_API const char *quarry_document_get_media_type (const QuarryDocument *doc);

/**
 * quarry_document_get_source:
 * @length: (out) (optional): the number of bytes
 *
 * Returns: (transfer none): the original bytes, never changed (NUL-terminated
 * for convenience; the source itself may contain NULs).
 */
QUARRY_API const char *quarry_document_get_source (const QuarryDocument *doc, gsize *length);

/**
 * quarry_document_get_text:
 * @length: (out) (optional): the number of bytes
 *
 * Returns: (transfer none): the current text, valid UTF-8 and NUL-terminated.
 * The pointer is invalidated by quarry_document_apply_edits().
 */
QUARRY_API const char *quarry_document_get_text (const QuarryDocument *doc, gsize *length);

/**
 * quarry_document_source_range:
 * @start: byte offset in the current text
 * @end: byte offset in the current text, >= @start
 * @source_start: (out): first source byte the range comes from
 * @source_end: (out): one past the last source byte
 *
 * Traces a range of the current text back to the source bytes it came from.
 * Text that replaced markup (a decoded `&amp;`) maps to the whole markup.
 */
QUARRY_API void quarry_document_source_range (const QuarryDocument *doc,
                                              gsize start, gsize end,
                                              gsize *source_start, gsize *source_end);

/**
 * quarry_document_char_offset:
 * @byte_offset: a byte offset in the current text (on a character boundary)
 *
 * Converts a byte offset of the current text to the code-point offset that the
 * output uses (`text[start:end]` in Python). Cheap to call many times: the
 * document keeps a sparse index, rebuilt after edits. A stage that writes
 * offsets into JSON results (not spans, which the writer converts itself) uses
 * this, and must then be the last stage that edits the text.
 *
 * Returns: the code-point offset
 */
QUARRY_API gsize quarry_document_char_offset (QuarryDocument *doc, gsize byte_offset);

/* ---- editing the text ---- */

/** Returns: (transfer full): an empty edit batch; free with quarry_edits_free(). */
QUARRY_API QuarryEdits *quarry_edits_new (void);
QUARRY_API void quarry_edits_free (QuarryEdits *edits);

/**
 * quarry_edits_replace:
 * @start: first byte to replace, in the text before the batch
 * @end: one past the last byte to replace (== @start to insert)
 * @text: (nullable): the replacement; %NULL or "" deletes
 * @length: bytes of @text, or -1 if NUL-terminated
 *
 * Adds one edit to the batch. Edits may be added in any order; the text is copied.
 */
QUARRY_API void quarry_edits_replace (QuarryEdits *edits, gsize start, gsize end,
                                      const char *text, gssize length);

/** Returns: the number of edits in the batch. */
QUARRY_API guint quarry_edits_count (const QuarryEdits *edits);

/**
 * quarry_document_apply_edits:
 *
 * Applies every edit of @edits at once. Spans move with the text: a span
 * boundary inside a replaced range snaps to the edge of the replacement, and
 * text inserted exactly at a span boundary stays outside the span. The source map
 * is extended so that the new text still traces to the source.
 *
 * The batch is left untouched and can be freed after.
 *
 * Returns: %FALSE with @error set (%QUARRY_DOCUMENT_ERROR_BAD_EDIT) if edits
 * overlap, fall outside the text or split a UTF-8 character, or a replacement
 * is not valid UTF-8; the document is then unchanged.
 */
QUARRY_API gboolean quarry_document_apply_edits (QuarryDocument    *doc,
                                                 const QuarryEdits *edits,
                                                 GError           **error);

/**
 * quarry_edits_get_new_range:
 * @edits: a batch that quarry_document_apply_edits() applied
 * @index: the edit, by the order it was added to the batch (0 for the first)
 * @start: (out) (optional): where its replacement starts in the text after the batch
 * @end: (out) (optional): where its replacement ends (@start plus its length)
 *
 * Where one edit's replacement text is after the batch, so that a stage marks
 * what it wrote without redoing the shift arithmetic of the edits before it.
 * Several insertions at one offset come out in the order they were added. The
 * first call after the batch grew computes every range at once (the batch's
 * size times its logarithm); later calls look one up.
 *
 * Returns: %FALSE if @index is not an edit of the batch.
 *
 * Since: ABI 1.2
 */
QUARRY_API QUARRY_AVAILABLE_IN_ABI_1_2
gboolean quarry_edits_get_new_range (QuarryEdits *edits, guint index, gsize *start, gsize *end);

/* ---- spans ---- */

/**
 * quarry_document_add_span:
 * @layer: layer name; interned by the document
 * @label: (nullable): label; interned by the document
 * @attrs: (nullable) (transfer full): a JSON object of attributes
 *
 * Returns: the index of the new span, valid until the document is freed
 * (spans are never removed or reordered while stages run), or -1 with @error
 * set (%QUARRY_DOCUMENT_ERROR_BAD_SPAN) if the range is out of the text or
 * splits a UTF-8 character; @attrs is then freed.
 */
QUARRY_API gint quarry_document_add_span (QuarryDocument *doc,
                                          const char     *layer,
                                          const char     *label,
                                          gsize           start,
                                          gsize           end,
                                          json_object    *attrs,
                                          GError        **error);

/** Returns: the number of spans in all layers. */
QUARRY_API guint quarry_document_get_n_spans (const QuarryDocument *doc);

/**
 * quarry_document_get_span_stage:
 * @index: a span's index
 *
 * Which stage added span @index, so that two stages writing the same layer can
 * be told apart. The output shows it as the span's `"stage"` only when the
 * config asks (`span-stages = true` in `[pipeline]`).
 *
 * Returns: (transfer none): the stage's name (its config name, as in
 * diagnostics), or "input" for a span made while the document was read.
 *
 * Since: ABI 1.2
 */
QUARRY_API QUARRY_AVAILABLE_IN_ABI_1_2
const char *quarry_document_get_span_stage (const QuarryDocument *doc, guint index);

/**
 * quarry_document_get_span:
 * Returns: (transfer none): span @index; the pointer is valid until the next
 * quarry_document_add_span() or quarry_document_apply_edits().
 */
QUARRY_API const QuarrySpan *quarry_document_get_span (const QuarryDocument *doc, guint index);

/**
 * quarry_document_peek_span:
 *
 * Like quarry_document_get_span() for reading a span's layer, label and offsets,
 * but cheaper when stages set attributes with quarry_document_span_set_attr():
 * those are kept outside any JSON object until someone asks for it, and
 * quarry_document_get_span() builds that object so that @attrs shows them all;
 * this function does not, so @attrs of its result may be %NULL although the span
 * has attributes.
 * Read single attributes with quarry_document_span_get_attr(). Use it to scan
 * layers; use quarry_document_get_span() to read @attrs.
 *
 * Returns: (transfer none): span @index, valid as for quarry_document_get_span().
 * Since: ABI 1.1
 */
QUARRY_API QUARRY_AVAILABLE_IN_ABI_1_1
const QuarrySpan *quarry_document_peek_span (const QuarryDocument *doc, guint index);

/**
 * quarry_document_span_attrs:
 * Returns: (transfer none): the attribute object of span @index, created empty if
 * it had none, holding every attribute set so far (also those set with
 * quarry_document_span_set_attr()). Changes to it are the span's attributes.
 */
QUARRY_API json_object *quarry_document_span_attrs (QuarryDocument *doc, guint index);

/**
 * quarry_document_span_set_attr:
 * @index: a span index
 * @key: the attribute name; interned (kept for the life of the process), so keys
 *   should come from a small fixed set, as an attribute schema does
 * @value: (transfer full) (nullable): the value; %NULL is JSON null
 *
 * Sets attribute @key of span @index to @value, replacing any value it had
 * (the key keeps its place in the output). The cheap way to set attributes: no
 * JSON object is built per span unless a reader asks for one. The output is the
 * same as setting the member on quarry_document_span_attrs(): attributes appear
 * in the order their keys were first set. An @index out of range is a
 * programming error (a critical warning; @value is freed).
 *
 * Since: ABI 1.1
 */
QUARRY_API QUARRY_AVAILABLE_IN_ABI_1_1
void quarry_document_span_set_attr (QuarryDocument *doc, guint index,
                                    const char *key, json_object *value);

/**
 * quarry_document_span_get_attr:
 * @value: (out) (optional) (transfer none) (nullable): the value, owned by the document;
 *   %NULL for JSON null
 *
 * Reads one attribute, wherever it is kept, without building the attrs object.
 *
 * Returns: whether span @index has attribute @key (JSON null counts as having it).
 * Since: ABI 1.1
 */
QUARRY_API QUARRY_AVAILABLE_IN_ABI_1_1
gboolean quarry_document_span_get_attr (const QuarryDocument *doc, guint index,
                                        const char *key, json_object **value);

/* ---- fields and results ---- */

/**
 * quarry_document_get_fields:
 * @ns: (nullable): a namespace ("header", "page", ...)
 *
 * Returns: (transfer none): with @ns %NULL, the fields object itself; else its
 * member @ns, created as an empty object if missing. Add to it with json-c.
 */
QUARRY_API json_object *quarry_document_get_fields (QuarryDocument *doc, const char *ns);

/**
 * quarry_document_lookup_field:
 * @ns: namespace
 * @key: member of the namespace
 *
 * Returns: (transfer none) (nullable): fields.@ns.@key, or %NULL.
 */
QUARRY_API json_object *quarry_document_lookup_field (const QuarryDocument *doc,
                                                      const char *ns, const char *key);

/**
 * quarry_document_set_entities:
 * @entities: (transfer full) (nullable): a JSON array for the top-level `entities`
 *
 * Replaces the whole list, also the entities added with quarry_document_add_entity().
 */
QUARRY_API void quarry_document_set_entities (QuarryDocument *doc, json_object *entities);

/**
 * quarry_document_get_entities:
 * Returns: (transfer none) (nullable): the top-level `entities`, including those
 * added with quarry_document_add_entity() (the array is built when asked for);
 * changes to it are the document's entities.
 */
QUARRY_API json_object *quarry_document_get_entities (const QuarryDocument *doc);

/**
 * quarry_document_add_entity:
 * @id: the entity id, stable across documents and runs
 * @name: its canonical name
 * @label: (nullable): its type ("PER", "LOC", ...)
 * @kb_id: (nullable): its knowledge-base id
 * @mentions: how many mentions in the document name it
 *
 * Appends `{"id", "name", "label", "kb_id", "mentions"}` to the top-level
 * `entities`, the record the output contract gives an entity. The strings are
 * copied. Cheaper than building the JSON object: the document keeps the record
 * as it is until quarry_document_get_entities() is called.
 *
 * Since: ABI 1.1
 */
QUARRY_API QUARRY_AVAILABLE_IN_ABI_1_1
void quarry_document_add_entity (QuarryDocument *doc, const char *id, const char *name,
                                 const char *label, const char *kb_id, guint64 mentions);

/**
 * quarry_document_set_summary:
 * @summary: (transfer full) (nullable): a JSON object for the top-level `summary`
 */
QUARRY_API void quarry_document_set_summary (QuarryDocument *doc, json_object *summary);
/** Returns: (transfer none) (nullable): the top-level `summary`. */
QUARRY_API json_object *quarry_document_get_summary (const QuarryDocument *doc);

/* ---- diagnostics ---- */

/**
 * quarry_document_diagnose:
 * @level: how serious
 * @code: a short stable machine-readable code ("invalid-utf8", "unclosed-tag")
 * @offset: byte offset in the current text it concerns, or %QUARRY_NO_OFFSET
 * @format: printf-style message: say what, where and how to fix
 *
 * Records a diagnostic. The stage name is filled in by the host; the text
 * offset is mapped to a source byte offset at once.
 */
QUARRY_API void quarry_document_diagnose (QuarryDocument       *doc,
                                          QuarryDiagnosticLevel level,
                                          const char           *code,
                                          gssize                offset,
                                          const char           *format,
                                          ...) G_GNUC_PRINTF (5, 6);

/**
 * quarry_document_diagnose_source:
 * Like quarry_document_diagnose() but @source_offset is a byte offset into the source.
 */
QUARRY_API void quarry_document_diagnose_source (QuarryDocument       *doc,
                                                 QuarryDiagnosticLevel level,
                                                 const char           *code,
                                                 gssize                source_offset,
                                                 const char           *format,
                                                 ...) G_GNUC_PRINTF (5, 6);

/** Returns: the number of diagnostics recorded so far at @level or above. */
QUARRY_API guint quarry_document_count_diagnostics (const QuarryDocument *doc,
                                                    QuarryDiagnosticLevel min_level);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryDocument, quarry_document_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuarryEdits, quarry_edits_free)

G_END_DECLS
