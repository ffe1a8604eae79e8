/* es-spot.h: entity-spot's per-document work: words, gazetteer, cues, header names, patterns, propagation. */
#pragma once

#include <quarry/quarry.h>
#include "es-lexicon.h"

G_BEGIN_DECLS

typedef enum {
  ES_MODE_FILL,     /* add mentions only where no entity span is yet */
  ES_MODE_REPLACE,  /* spot the whole text, whatever spans are there */
  ES_MODE_OFF,      /* do nothing */
} EsMode;

typedef struct {
  const EsLexicon *lex;   /* read-only after set-up: shared by every thread */
  EsMode           mode;
  gboolean         use_header;
  /* per-document work buffers, kept warm between documents; taken and given back
   * under the lock, so each is used by one thread at a time */
  GMutex           pool_lock;
  GPtrArray       *pool;
} EsSpotter;

void es_spotter_init (EsSpotter *sp, const EsLexicon *lex, EsMode mode, gboolean use_header);
void es_spotter_clear (EsSpotter *sp);

/* Adds `entity` spans (with attrs.spotted_by) to doc. Any thread. */
gboolean es_spot_document (EsSpotter *sp, QuarryDocument *doc, GError **error);

G_END_DECLS
