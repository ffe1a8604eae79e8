/* writer.h: documents to JSON Lines records, and dead-letter records. Host-only. */
#pragma once

#include <quarry/document.h>

G_BEGIN_DECLS

/* Appends one output record (no trailing newline) to out:
 * {"id","text","fields","spans","entities","summary","diagnostics","provenance"}
 * with offsets in code points and source ranges in bytes. provenance is the
 * provenance object already serialized (quarry_pipeline_get_provenance_text()), or
 * NULL: a shared json_object must not be serialized from several threads at once,
 * since json-c keeps the text in the object. */
QUARRY_API void quarry_writer_append_record (GString *out, QuarryDocument *doc, const char *provenance);
/* The same; span_stages adds each span's "stage" (the config's [pipeline] span-stages). */
QUARRY_API void quarry_writer_append_record_full (GString *out, QuarryDocument *doc, const char *provenance,
                                                  gboolean span_stages);

/* Appends one dead-letter record: {"id","stage","reason","media_type","content" or
 * "content_base64","diagnostics","provenance"}, enough to re-run the document. */
QUARRY_API void quarry_writer_append_dead_letter (GString *out, const QuarryDocument *doc, const char *reason,
                                                  const char *provenance);

/* Appends s as a JSON string literal. */
QUARRY_API void quarry_writer_append_json_string (GString *out, const char *s, gsize len);

G_END_DECLS
