/* document-private.h: parts of the document only the host (core, writer, tests) uses. */
#pragma once

#include <quarry/document.h>

G_BEGIN_DECLS

typedef struct {
  QuarryDiagnosticLevel level;
  const char           *stage;          /* interned */
  const char           *code;           /* interned */
  char                 *message;
  gssize                source_offset;  /* -1 for none */
} QuarryDiagnostic;

/* One piece of the source map: text bytes [t0, next t0) come from source [s0, s1).
 * A copied piece maps byte for byte (its text length is s1 - s0); any other maps as a whole. */
typedef struct {
  gsize    t0;
  gsize    s0;
  gsize    s1;
  gboolean copied;
} QuarryMapPiece;

/* The stage that diagnostics are attributed to from now on: an interned or static
 * string, since diagnostics keep the pointer for the document's lifetime. */
QUARRY_API void quarry_document_set_stage (QuarryDocument *doc, const char *stage);
QUARRY_API const char *quarry_document_get_stage (const QuarryDocument *doc);

QUARRY_API guint quarry_document_get_n_diagnostics (const QuarryDocument *doc);
QUARRY_API const QuarryDiagnostic *quarry_document_get_diagnostic (const QuarryDocument *doc, guint index);

/* The source map, for tests. */
QUARRY_API const QuarryMapPiece *quarry_document_get_map (const QuarryDocument *doc, guint *n_pieces);

/* An entity added with quarry_document_add_entity() and not yet asked for as JSON;
 * the strings belong to the document. */
typedef struct {
  const char *id;
  const char *name;
  const char *label;  /* nullable */
  const char *kb_id;  /* nullable */
  guint64     mentions;
} QuarryEntityRecord;

/* For the writer, which reads the light forms without turning them into json-c objects.
 * quarry_document_span_next_attr walks the attributes a span holds outside its attrs
 * object, in the order they were first set: start with *cursor = 0; NULL at the end. */
QUARRY_API const char *quarry_document_span_next_attr (const QuarryDocument *doc, guint index,
                                                       guint *cursor, json_object **value);
QUARRY_API const QuarryEntityRecord *quarry_document_get_entity_records (const QuarryDocument *doc, guint *n);

QUARRY_API const char *quarry_diagnostic_level_to_string (QuarryDiagnosticLevel level);

G_END_DECLS
