/* el-link.c: mentions to entities: cleaning, knowledge-base linking, in-document coreference. */
#include "el-link.h"
#include "el-map.h"
#include "el-normalize.h"

#include <string.h>

/* Labels (interned by the document), KB types and relations (interned by the KB) are
 * compared by pointer against these. */
static const char *I_PER, *I_MISC, *I_NAME, *I_ADJECTIVE, *I_DEMONYM, *I_TAG_CODE;

static void
intern_names (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      I_PER = g_intern_static_string ("PER");
      I_MISC = g_intern_static_string ("MISC");
      I_NAME = g_intern_static_string ("name");
      I_ADJECTIVE = g_intern_static_string ("adjective");
      I_DEMONYM = g_intern_static_string ("demonym");
      I_TAG_CODE = g_intern_static_string ("tag-code");
      g_once_init_leave (&done, 1);
    }
}

ElContext *
el_context_new (const char *kb_path, const char *const *alias_files,
                gboolean use_tags, gsize max_mention_bytes, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  ElContext *ctx = g_new0 (ElContext, 1);

  intern_names ();

  ctx->kb = el_kb_new ();
  ctx->entity_layer = g_intern_static_string ("entity");
  ctx->key_entity = g_intern_static_string ("entity");
  ctx->key_relation = g_intern_static_string ("relation");
  ctx->key_candidates = g_intern_static_string ("candidates");
  ctx->key_parts = g_intern_static_string ("parts");
  ctx->use_tags = use_tags;
  ctx->max_mention_bytes = max_mention_bytes;
  if (!el_kb_load_sqlite (ctx->kb, kb_path, error))
    goto fail;
  for (guint i = 0; alias_files && alias_files[i]; i++)
    if (!el_kb_load_tsv (ctx->kb, alias_files[i], error))
      goto fail;
  ctx->kb_sha256 = el_kb_checksum (ctx->kb);
  ctx->n_entries = el_kb_n_entries (ctx->kb);
  ctx->n_alias_keys = el_kb_n_aliases (ctx->kb);
  ctx->setup_seconds = (g_get_monotonic_time () - t0) / 1e6;
  return ctx;

fail:
  el_context_free (ctx);
  return NULL;
}

void
el_context_free (ElContext *ctx)
{
  if (!ctx)
    return;
  el_kb_free (ctx->kb);
  g_free (ctx->kb_sha256);
  g_free (ctx);
}

/* ---- per-document state ---- */

typedef struct {
  guint          span;
  gsize          start, end;
  const char    *label;
  const char    *display;        /* in Doc.strings */
  const char    *key;            /* matching key, in Doc.strings */
  const char    *acronym_key;    /* (nullable) in Doc.strings */
  gboolean       possessive;
  gboolean       has_lower;      /* display has a lower-case letter (not all caps) */
  guint          ntokens;
  const GArray  *hits;           /* (nullable) KB hits of the key */
  const ElHit   *link;           /* (nullable) the chosen hit */
  GString       *why;            /* (nullable) how an ambiguity was decided */
  gboolean       by_default;     /* ambiguity decided by priority alone */
  GPtrArray     *parts;          /* (nullable) ElEntry* of a compound "Georgian-Russian" */
  gint           cluster;        /* -1: not linked (empty or oversized mention) */
} Mention;

typedef struct {
  const ElEntry *kb;
  const char    *label;
  gint           best;           /* index of the mention that names the cluster */
  gsize          first;
  guint          count;
  const char    *id;             /* the string of id_obj */
  json_object   *id_obj;
  gint           alias_of;       /* >= 0: merged into that cluster (same id) */
} Cluster;

/* What a document says about one KB entry; an array indexed by entry, so no hashing. */
typedef struct {
  guint8 linked : 1;             /* an unambiguous mention (or a compound's part) names it */
  guint8 tagged : 1;             /* its code is in TAGS */
  gint   cluster;                /* + 1 */
} EntryState;

typedef struct {
  const ElContext *ctx;
  QuarryDocument  *doc;
  const char      *text;
  GArray          *mentions;     /* Mention */
  GArray          *clusters;     /* Cluster */
  ElMap            by_key;       /* "label\x1fkey" -> cluster index + 1 (keys in .strings) */
  guint           *seen;         /* open addressing over the raw mentions: index + 1, 0 = empty */
  guint            seen_mask;
  ElMap            surnames;     /* surname key -> GArray of cluster indices (full-name PER) */
  EntryState      *entries;      /* by ElEntry.index */
  GPtrArray       *linked;       /* ElEntry* that unambiguous mentions link to, each once */
  ElMap            resolved;     /* "label\x1fkey" -> Mention index + 1: decided once per name */
  ElMap            ids;          /* entity id -> cluster index + 1 */
  guint            n_seen;       /* size of seen */
  GArray          *mismatches;   /* Mismatch: label disagreements, one diagnostic per entity and label */
  GStringChunk    *strings;
  GString         *scratch;
  GString         *clean;
  GString         *keybuf;
  json_object     *relations[16];/* shared json strings of relation names */
  const char      *relation_names[16];
} Doc;

typedef struct {
  gint        cluster;
  const char *label;
  guint       first;             /* mention index */
  guint       count;
  gboolean    kb;                /* against the KB type (else: joined a person/place/org by name) */
} Mismatch;

static void
mention_clear (gpointer data)
{
  Mention *m = data;
  if (m->why)
    g_string_free (m->why, TRUE);
  if (m->parts)
    g_ptr_array_unref (m->parts);
}

static void
cluster_clear (gpointer data)
{
  Cluster *c = data;
  json_object_put (c->id_obj);
}

static const char *
excerpt (const Doc *d, const Mention *m, char *buf, gsize size)
{
  gsize n = MIN (m->end - m->start, size - 4);
  const char *s = d->text + m->start;
  const char *stop = s + n;
  if (n < m->end - m->start)
    {
      /* do not cut a character in two */
      while (stop > s && ((guchar) *stop & 0xC0) == 0x80)
        stop--;
    }
  gsize k = stop - s;
  memcpy (buf, s, k);
  if (k < m->end - m->start)
    memcpy (buf + k, "...", 4);
  else
    buf[k] = '\0';
  return buf;
}

static gboolean
is_per (const char *label)
{
  return label == I_PER;
}

static gboolean
is_name_relation (const char *relation)
{
  return relation != I_ADJECTIVE && relation != I_DEMONYM;
}

/* ---- step 1: clean each mention and look it up ---- */

static const GArray *
lookup (Doc *d, const char *key)
{
  return *key ? el_kb_lookup (d->ctx->kb, key) : NULL;
}

/* "Georgian-Russian": every part a country adjective -> the parts, no link. */
static GPtrArray *
compound_parts (Doc *d, const char *key)
{
  if (!strchr (key, '-') || strchr (key, ' '))
    return NULL;
  g_auto (GStrv) parts = g_strsplit (key, "-", -1);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; parts[i]; i++)
    {
      const GArray *hits = lookup (d, parts[i]);
      if (!hits || hits->len != 1 || is_name_relation (g_array_index (hits, ElHit, 0).relation))
        {
          g_ptr_array_unref (out);
          return NULL;
        }
      g_ptr_array_add (out, (gpointer) g_array_index (hits, ElHit, 0).entry);
    }
  return out;
}

static gboolean
has_lower (const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    if ((guchar) *p < 0x80 ? g_ascii_islower (*p) : g_unichar_islower (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

static void
mention_prepare (Doc *d, Mention *m)
{
  char buf[96];
  gsize len = m->end - m->start;

  m->cluster = -1;
  if (len > d->ctx->max_mention_bytes)
    {
      quarry_document_diagnose (d->doc, QUARRY_DIAGNOSTIC_WARNING, "mention-too-long", m->start,
                                "entity mention '%s' is %" G_GSIZE_FORMAT " bytes, more than "
                                "max-mention-bytes (%" G_GSIZE_FORMAT "); it is left unlinked "
                                "(attrs.entity null). Check the tagger output, or raise max-mention-bytes",
                                excerpt (d, m, buf, 48), len, d->ctx->max_mention_bytes);
      return;
    }

  ElCleanInfo info = { 0 };
  el_clean_mention_into (d->text + m->start, len, d->clean, &info, TRUE);
  if (is_per (m->label))
    el_strip_titles (d->clean);
  m->display = g_string_chunk_insert_len (d->strings, d->clean->str, d->clean->len);
  m->has_lower = has_lower (m->display);
  el_normalize_key (d->clean->str, d->clean->len, d->scratch);
  m->key = g_string_chunk_insert_len (d->strings, d->scratch->str, d->scratch->len);
  m->possessive = info.possessive;
  if (info.acronym)
    {
      el_normalize_key (info.acronym, strlen (info.acronym), d->scratch);
      if (d->scratch->len)
        m->acronym_key = g_string_chunk_insert_len (d->strings, d->scratch->str, d->scratch->len);
    }
  el_clean_info_clear (&info);

  if (*m->key == '\0')
    {
      quarry_document_diagnose (d->doc, QUARRY_DIAGNOSTIC_WARNING, "empty-mention", m->start,
                                "entity mention '%s' (%s) has no letters or digits; it is left "
                                "unlinked (attrs.entity null). Check the tagger output",
                                excerpt (d, m, buf, 48), m->label ? m->label : "no label");
      return;
    }
  m->cluster = -2;  /* to be clustered */
  m->ntokens = el_key_tokens (m->key);
  m->hits = lookup (d, m->key);
  if (!m->hits && m->acronym_key)
    m->hits = lookup (d, m->acronym_key);
  if (!m->hits && g_str_has_prefix (m->key, "the "))
    m->hits = lookup (d, m->key + 4);
  if (!m->hits)
    m->parts = compound_parts (d, m->key);
}

static guint
raw_hash (const char *label, const char *p, gsize len)
{
  guint h = 2166136261u ^ GPOINTER_TO_UINT (label);
  for (gsize i = 0; i < len; i++)
    h = (h ^ (guchar) p[i]) * 16777619u;
  return h;
}

/* Cables repeat names ("Lavrov" 16 times): the same label and text are prepared once.
 * A small open-addressing table over the document's own bytes: no copies, no GLib hashing. */
static void
mention_prepare_cached (Doc *d, Mention *m, guint index)
{
  gsize len = m->end - m->start;
  const char *raw = d->text + m->start;
  if (len > d->ctx->max_mention_bytes)
    {
      mention_prepare (d, m);
      return;
    }
  guint slot = raw_hash (m->label, raw, len) & d->seen_mask;
  for (; d->seen[slot]; slot = (slot + 1) & d->seen_mask)
    {
      const Mention *o = &g_array_index (d->mentions, Mention, d->seen[slot] - 1);
      if (o->label != m->label || o->end - o->start != len || memcmp (d->text + o->start, raw, len))
        continue;
      m->display = o->display;
      m->key = o->key;
      m->acronym_key = o->acronym_key;
      m->possessive = o->possessive;
      m->has_lower = o->has_lower;
      m->ntokens = o->ntokens;
      m->hits = o->hits;
      m->parts = o->parts ? g_ptr_array_ref (o->parts) : NULL;
      m->cluster = -2;
      return;
    }
  mention_prepare (d, m);
  if (m->cluster == -2)
    d->seen[slot] = index + 1;
}

/* "[PER Michael Jordan ] ... [PER Jordan ]": the surname of a person of this document is
 * that person, not the country of the same name; a KB person entry would still count. */
static void
people_first (Doc *d)
{
  gboolean any = FALSE;
  for (guint i = 0; i < d->mentions->len && !any; i++)
    {
      const Mention *m = &g_array_index (d->mentions, Mention, i);
      any = m->cluster == -2 && m->hits && m->ntokens == 1 && is_per (m->label);
    }
  if (!any)
    return;  /* the common case: no one-word person name is also in the KB */

  g_autoptr (GHashTable) surnames = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < d->mentions->len; i++)
    {
      const Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster == -2 && is_per (m->label) && m->ntokens >= 2)
        g_hash_table_add (surnames, (gpointer) el_key_last_token (m->key));
    }
  if (g_hash_table_size (surnames) == 0)
    return;
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster != -2 || !m->hits || !is_per (m->label) || m->ntokens != 1 ||
          !g_hash_table_contains (surnames, m->key))
        continue;
      gboolean person = FALSE;
      for (guint h = 0; h < m->hits->len; h++)
        person |= g_array_index (m->hits, ElHit, h).entry->type == g_intern_static_string ("PER");
      if (!person)
        m->hits = NULL;
    }
}

/* ---- step 2: context for ambiguous names ---- */

static void
collect_tags (Doc *d)
{
  json_object *tags = quarry_document_lookup_field (d->doc, "header", "tags");
  if (!d->ctx->use_tags || !tags || !json_object_is_type (tags, json_type_array))
    return;
  for (size_t i = 0; i < json_object_array_length (tags); i++)
    {
      const char *tag = json_object_get_string (json_object_array_get_idx (tags, i));
      if (!tag)
        continue;
      el_normalize_key (tag, strlen (tag), d->scratch);
      const GArray *hits = lookup (d, d->scratch->str);
      const ElEntry *only = NULL;
      guint n_codes = 0;
      for (guint h = 0; hits && h < hits->len; h++)
        {
          const ElHit *hit = &g_array_index (hits, ElHit, h);
          if (hit->relation == I_TAG_CODE)
            {
              only = hit->entry;
              n_codes++;
            }
        }
      if (n_codes == 0 && hits && hits->len == 1)
        only = g_array_index (hits, ElHit, 0).entry, n_codes = 1;
      if (n_codes == 1)
        d->entries[only->index].tagged = TRUE;
    }
}

static void
mark_linked (Doc *d, const ElEntry *e)
{
  if (!d->entries[e->index].linked)
    {
      d->entries[e->index].linked = TRUE;
      g_ptr_array_add (d->linked, (gpointer) e);
    }
}

static gboolean
is_linked (const Doc *d, const ElEntry *e)
{
  return d->entries[e->index].linked;
}

static gboolean
is_tagged (const Doc *d, const ElEntry *e)
{
  return d->entries[e->index].tagged;
}

static void
collect_linked (Doc *d)
{
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->hits && m->hits->len == 1)
        {
          m->link = &g_array_index (m->hits, ElHit, 0);
          mark_linked (d, m->link->entry);
        }
      for (guint p = 0; m->parts && p < m->parts->len; p++)
        mark_linked (d, m->parts->pdata[p]);
    }
}

static gboolean
is_government (const ElEntry *e)
{
  return e->kind && (!strcmp (e->kind, "government") || !strcmp (e->kind, "agency"));
}

static gboolean
sibling_linked (const Doc *d, const ElEntry *e)
{
  if (!e->parent || is_government (e))
    return FALSE;
  for (guint i = 0; i < d->linked->len; i++)
    {
      const ElEntry *o = d->linked->pdata[i];
      if (o != e && o->parent == e->parent && !is_government (o))
        return TRUE;
    }
  return FALSE;
}

/* A mentioned place (or government) inside e: Tbilisi for the country Georgia. */
static const ElEntry *
child_linked (const Doc *d, const ElEntry *e)
{
  for (guint i = 0; i < d->linked->len; i++)
    {
      const ElEntry *o = d->linked->pdata[i];
      if (o->parent == e)
        return o;
    }
  return NULL;
}

/* Evidence that the document means e; with why, the reasons are appended to it
 * (only wanted for the reading chosen, so the scores are computed without them first). */
#define REASON(...) (why ? g_string_append_printf (why, __VA_ARGS__) : (void) 0)
static int
evidence (const Doc *d, const Mention *m, const ElEntry *e, GString *why)
{
  int score = 0;
  if (is_tagged (d, e))
    score += 3, REASON ("%sits code is in TAGS", why->len ? ", " : "");
  if (is_linked (d, e))
    score += 2, REASON ("%sanother mention names it", why->len ? ", " : "");
  if (is_government (e) && e->parent && is_tagged (d, e->parent))
    score += 2, REASON ("%s%s is in TAGS", why->len ? ", " : "", e->parent->name);
  if (is_government (e) && e->parent && is_linked (d, e->parent))
    score += 1, REASON ("%s%s is mentioned", why->len ? ", " : "", e->parent->name);
  const ElEntry *child = child_linked (d, e);
  if (child)
    score += 2, REASON ("%s%s, in it, is mentioned", why->len ? ", " : "", child->name);
  if (sibling_linked (d, e))
    score += 2, REASON ("%sanother place in %s is mentioned", why->len ? ", " : "", e->parent->name);
  if (m->label && m->label != I_MISC && m->label == e->type)
    score += 1, REASON ("%sthe mention is tagged %s", why->len ? ", " : "", m->label);
  return score;
}
#undef REASON

static void
diagnose_ambiguity (Doc *d, Mention *m)
{
  char buf[96];
  g_autoptr (GString) list = g_string_new (NULL);
  for (guint h = 0; h < m->hits->len; h++)
    {
      const ElEntry *e = g_array_index (m->hits, ElHit, h).entry;
      g_string_append_printf (list, "%s%s (%s%s%s)", h ? ", " : "", e->id, e->name,
                              e->kind ? ", " : "", e->kind ? e->kind : "");
    }
  if (m->by_default)
    quarry_document_diagnose (d->doc, QUARRY_DIAGNOSTIC_WARNING, "ambiguous-link", m->start,
                              "'%s' matches %u knowledge-base entries: %s; nothing in the document "
                              "decides, so the most common reading %s was chosen (attrs.candidates "
                              "lists all). A TAGS code or another mention of the place decides it",
                              excerpt (d, m, buf, 64), m->hits->len, list->str, m->link->entry->id);
  else
    quarry_document_diagnose (d->doc, QUARRY_DIAGNOSTIC_INFO, "ambiguous-link", m->start,
                              "'%s' matches %u knowledge-base entries: %s; chose %s because %s "
                              "(attrs.candidates lists all)",
                              excerpt (d, m, buf, 64), m->hits->len, list->str,
                              m->link->entry->id, m->why->str);
}

static void
resolve_ambiguous (Doc *d, Mention *m, guint index)
{
  /* the label is evidence too, so the decision is per name and label */
  g_string_assign (d->keybuf, m->label ? m->label : "");
  g_string_append_c (d->keybuf, '\x1f');
  g_string_append (d->keybuf, m->key);
  gpointer done = el_map_lookup (&d->resolved, d->keybuf->str, d->keybuf->len);
  if (done)
    {
      /* decided for an earlier mention of the same name: same answer, no second diagnostic */
      const Mention *first = &g_array_index (d->mentions, Mention, GPOINTER_TO_UINT (done) - 1);
      m->link = first->link;
      m->by_default = first->by_default;
      return;
    }
  *el_map_slot (&d->resolved, g_string_chunk_insert_len (d->strings, d->keybuf->str, d->keybuf->len),
                d->keybuf->len) = GUINT_TO_POINTER (index + 1);

  int best_score = -1;
  guint n_best = 0;

  for (guint h = 0; h < m->hits->len; h++)
    {
      const ElHit *hit = &g_array_index (m->hits, ElHit, h);
      int s = evidence (d, m, hit->entry, NULL);
      if (s > best_score)
        best_score = s, n_best = 1, m->link = hit;
      else if (s == best_score)
        n_best++;
    }
  /* hits are sorted by priority, so on a tie the first best is the most common reading */
  m->by_default = n_best > 1 || best_score <= 0;
  if (!m->by_default)
    {
      m->why = g_string_new (NULL);
      evidence (d, m, m->link->entry, m->why);
    }
  diagnose_ambiguity (d, m);
}

/* ---- step 3: clusters ---- */

static const char *
cluster_key (Doc *d, const char *ns, const char *key)
{
  g_string_assign (d->keybuf, ns);
  g_string_append_c (d->keybuf, '\x1f');
  g_string_append (d->keybuf, key);
  return d->keybuf->str;
}

static gint
cluster_get (Doc *d, const char *ns, const char *key, const char *label, const ElEntry *kb, gsize first)
{
  cluster_key (d, ns, key);
  gpointer v = el_map_lookup (&d->by_key, d->keybuf->str, d->keybuf->len);
  if (v)
    return GPOINTER_TO_INT (v) - 1;
  Cluster c = { .kb = kb, .label = label, .best = -1, .first = first, .alias_of = -1 };
  g_array_append_val (d->clusters, c);
  *el_map_slot (&d->by_key, g_string_chunk_insert_len (d->strings, d->keybuf->str, d->keybuf->len),
                d->keybuf->len) = GINT_TO_POINTER (d->clusters->len);
  return d->clusters->len - 1;
}

static gint
cluster_find (Doc *d, const char *ns, const char *key)
{
  cluster_key (d, ns, key);
  return GPOINTER_TO_INT (el_map_lookup (&d->by_key, d->keybuf->str, d->keybuf->len)) - 1;
}

static void
cluster_alias (Doc *d, const char *ns, const char *key, gint cluster)
{
  cluster_key (d, ns, key);
  if (!el_map_lookup (&d->by_key, d->keybuf->str, d->keybuf->len))
    *el_map_slot (&d->by_key, g_string_chunk_insert_len (d->strings, d->keybuf->str, d->keybuf->len),
                  d->keybuf->len) = GINT_TO_POINTER (cluster + 1);
}

/* Label disagreements are gathered and reported once per entity and label. */
static void
mismatch_add (Doc *d, guint mention, gboolean kb)
{
  const Mention *m = &g_array_index (d->mentions, Mention, mention);
  for (guint i = 0; i < d->mismatches->len; i++)
    {
      Mismatch *x = &g_array_index (d->mismatches, Mismatch, i);
      if (x->cluster == m->cluster && x->label == m->label && x->kb == kb)
        {
          x->count++;
          return;
        }
    }
  Mismatch x = { m->cluster, m->label, mention, 1, kb };
  g_array_append_val (d->mismatches, x);
}

static void
assign (Doc *d, Mention *m, gint cluster)
{
  m->cluster = cluster;
}

static void
cluster_kb_links (Doc *d)
{
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster != -2 || !m->link)
        continue;
      const ElEntry *e = m->link->entry;
      if (!d->entries[e->index].cluster)
        {
          Cluster c = { .kb = e, .label = e->type, .best = -1, .first = m->start, .alias_of = -1 };
          g_array_append_val (d->clusters, c);
          d->entries[e->index].cluster = d->clusters->len;
        }
      assign (d, m, d->entries[e->index].cluster - 1);
    }
}

static void
surname_add (Doc *d, const char *surname, gint cluster)
{
  GArray **slot = (GArray **) el_map_slot (&d->surnames, surname, strlen (surname));  /* in .strings */
  GArray *list = *slot;
  if (!list)
    {
      list = g_array_new (FALSE, FALSE, sizeof (gint));
      *slot = list;
    }
  for (guint i = 0; i < list->len; i++)
    if (g_array_index (list, gint, i) == cluster)
      return;
  g_array_append_val (list, cluster);
}

/* Full names ("David Miliband") and KB-linked people index their surnames. */
static void
cluster_full_names (Doc *d)
{
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster == -2 && is_per (m->label) && m->ntokens >= 2)
        assign (d, m, cluster_get (d, "PER", m->key, m->label, NULL, m->start));
      if (m->cluster >= 0 && m->ntokens >= 2 &&
          is_per (g_array_index (d->clusters, Cluster, m->cluster).label))
        surname_add (d, el_key_last_token (m->key), m->cluster);
    }
}

static const char *
cluster_name (const Doc *d, gint c)
{
  const Cluster *cl = &g_array_index (d->clusters, Cluster, c);
  if (cl->kb)
    return cl->kb->name;
  for (guint i = 0; i < d->mentions->len; i++)
    {
      const Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster == c)
        return m->display;
    }
  return "?";
}

typedef struct {
  const char *key;
  guint       first;   /* mention index */
  guint       count;
  GArray     *list;    /* the full-name clusters */
} SharedSurname;

static void
diagnose_shared_surname (Doc *d, const SharedSurname *x)
{
  char buf[96];
  const Mention *m = &g_array_index (d->mentions, Mention, x->first);
  g_autoptr (GString) names = g_string_new (NULL);
  for (guint k = 0; k < x->list->len; k++)
    g_string_append_printf (names, "%s%s", k ? (k + 1 == x->list->len ? " and " : ", ") : "",
                            cluster_name (d, g_array_index (x->list, gint, k)));
  g_autofree char *times = x->count > 1 ? g_strdup_printf (" (%u mentions)", x->count) : g_strdup ("");
  quarry_document_diagnose (d->doc, QUARRY_DIAGNOSTIC_WARNING, "ambiguous-surname", m->start,
                            "'%s'%s could be %s (all named in this document); it is kept as an "
                            "entity of its own, not merged. Write the full name in the text, "
                            "or link it with an alias file, to merge it",
                            excerpt (d, m, buf, 64), times, names->str);
}

/* "Miliband", "MILIBAND", "Miliband’s" -> the one full name with that surname. */
static void
cluster_surnames (Doc *d, gboolean misc)
{
  g_autoptr (GArray) shared = g_array_new (FALSE, FALSE, sizeof (SharedSurname));
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster != -2 || m->ntokens != 1 ||
          (misc ? m->label != I_MISC : !is_per (m->label)))
        continue;
      GArray *list = el_map_lookup (&d->surnames, m->key, strlen (m->key));
      if (!list)
        continue;
      if (list->len == 1)
        {
          assign (d, m, g_array_index (list, gint, 0));
          if (misc)
            mismatch_add (d, i, FALSE);
          continue;
        }
      /* shared by two people: not merged, reported once per surname */
      guint k;
      for (k = 0; k < shared->len; k++)
        if (!strcmp (g_array_index (shared, SharedSurname, k).key, m->key))
          break;
      if (k < shared->len)
        g_array_index (shared, SharedSurname, k).count++;
      else
        {
          SharedSurname x = { m->key, i, 1, list };
          g_array_append_val (shared, x);
        }
    }
  for (guint k = 0; k < shared->len; k++)
    diagnose_shared_surname (d, &g_array_index (shared, SharedSurname, k));
}

/* Everything else by label and key; a "Name ( ACR" mention also answers to ACR. */
static void
cluster_rest (Doc *d, gboolean misc)
{
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < d->mentions->len; i++)
      {
        Mention *m = &g_array_index (d->mentions, Mention, i);
        const char *label = m->label ? m->label : "";
        if (m->cluster != -2 || (pass == 0) != (m->acronym_key != NULL) ||
            (misc != (m->label == I_MISC)))
          continue;
        assign (d, m, cluster_get (d, label, m->key, m->label, NULL, m->start));
        if (m->acronym_key)
          cluster_alias (d, label, m->acronym_key, m->cluster);
      }
}

/* A MISC mention whose key is exactly a non-MISC entity's name joins it. */
static void
cluster_misc_exact (Doc *d)
{
  static const char *const labels[] = { "PER", "LOC", "ORG" };
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster != -2 || m->label != I_MISC)
        continue;
      gint found = -1;
      guint n = 0;
      for (gsize l = 0; l < G_N_ELEMENTS (labels); l++)
        {
          gint c = cluster_find (d, labels[l], m->key);
          if (c >= 0)
            found = c, n++;
        }
      if (n != 1)
        continue;
      assign (d, m, found);
      mismatch_add (d, i, FALSE);
    }
}

/* ---- step 4: names, ids, output ---- */

/* The longest full name for a person; a mixed-case form over an all-caps one; then the first. */
static gboolean
better_name (const Mention *a, const Mention *b, gboolean person)
{
  if (person && a->ntokens != b->ntokens)
    return a->ntokens > b->ntokens;
  if (a->has_lower != b->has_lower)
    return a->has_lower;
  if (a->possessive != b->possessive)
    return !a->possessive;
  return FALSE;
}

static void
name_clusters (Doc *d)
{
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster < 0)
        continue;
      Cluster *c = &g_array_index (d->clusters, Cluster, m->cluster);
      c->count++;
      c->first = MIN (c->first, m->start);
      if (c->best < 0 || better_name (m, &g_array_index (d->mentions, Mention, c->best), is_per (c->label)))
        c->best = i;
    }

  for (guint i = 0; i < d->clusters->len; i++)
    {
      Cluster *c = &g_array_index (d->clusters, Cluster, i);
      if (c->count == 0)
        continue;
      if (c->kb)
        c->id_obj = json_object_new_string (c->kb->id);
      else
        {
          const Mention *b = &g_array_index (d->mentions, Mention, c->best);
          el_slug_into (b->display, b->key, d->scratch);
          g_string_assign (d->keybuf, c->label && *c->label ? c->label : "ENTITY");
          g_string_append_c (d->keybuf, ':');
          g_string_append_len (d->keybuf, d->scratch->str, d->scratch->len);
          c->id_obj = json_object_new_string_len (d->keybuf->str, d->keybuf->len);
        }
      c->id = json_object_get_string (c->id_obj);
      /* same label and name (or same KB entry) is the same entity */
      gsize id_len = json_object_get_string_len (c->id_obj);
      gpointer prev = el_map_lookup (&d->ids, c->id, id_len);
      if (prev)
        {
          Cluster *p = &g_array_index (d->clusters, Cluster, GPOINTER_TO_INT (prev) - 1);
          c->alias_of = GPOINTER_TO_INT (prev) - 1;
          p->count += c->count;
          p->first = MIN (p->first, c->first);
          continue;
        }
      *el_map_slot (&d->ids, c->id, id_len) = GINT_TO_POINTER (i + 1);
    }
}

static const Cluster *
final_cluster (const Doc *d, gint index)
{
  const Cluster *c = &g_array_index (d->clusters, Cluster, index);
  return c->alias_of >= 0 ? &g_array_index (d->clusters, Cluster, c->alias_of) : c;
}

static gboolean
kb_label_mismatch (const Mention *m)
{
  return m->link && m->label && m->label != m->link->entry->type && is_name_relation (m->link->relation);
}

static void
diagnose_mismatches (Doc *d)
{
  char buf[96];
  for (guint i = 0; i < d->mismatches->len; i++)
    {
      const Mismatch *x = &g_array_index (d->mismatches, Mismatch, i);
      const Mention *m = &g_array_index (d->mentions, Mention, x->first);
      const Cluster *c = final_cluster (d, x->cluster);
      g_autofree char *times = x->count > 1 ? g_strdup_printf (" (%u mentions)", x->count) : g_strdup ("");
      if (x->kb)
        quarry_document_diagnose (d->doc, QUARRY_DIAGNOSTIC_INFO, "label-mismatch", m->start,
                                  "'%s'%s is tagged %s but the knowledge base has %s (%s) as %s; "
                                  "linked anyway: the span label is kept, the entity is labelled %s",
                                  excerpt (d, m, buf, 64), times, m->label, c->kb->id, c->kb->name,
                                  c->kb->type, c->kb->type);
      else
        quarry_document_diagnose (d->doc, QUARRY_DIAGNOSTIC_INFO, "label-mismatch", m->start,
                                  "'%s'%s is tagged %s but names %s (%s) of this document; "
                                  "linked to it, the span label is kept",
                                  excerpt (d, m, buf, 64), times, m->label,
                                  c->kb ? c->kb->name : g_array_index (d->mentions, Mention, c->best).display,
                                  c->label);
    }
}

static json_object *
relation_json (Doc *d, const char *relation)
{
  guint i;
  for (i = 0; i < G_N_ELEMENTS (d->relations) && d->relation_names[i]; i++)
    if (d->relation_names[i] == relation)
      return json_object_get (d->relations[i]);
  if (i == G_N_ELEMENTS (d->relations))
    return json_object_new_string (relation);
  d->relation_names[i] = relation;
  d->relations[i] = json_object_new_string (relation);
  return json_object_get (d->relations[i]);
}

/* Attributes go in with quarry_document_span_set_attr: no json-c object per span
 * (ABI 1.1); a re-run replaces the values of the keys it sets. */
static void
write_span (Doc *d, const Mention *m)
{
  if (m->cluster < 0)
    {
      quarry_document_span_set_attr (d->doc, m->span, d->ctx->key_entity, NULL);
      return;
    }
  const Cluster *c = final_cluster (d, m->cluster);
  quarry_document_span_set_attr (d->doc, m->span, d->ctx->key_entity, json_object_get (c->id_obj));
  if (m->link && m->link->relation != I_NAME)
    quarry_document_span_set_attr (d->doc, m->span, d->ctx->key_relation, relation_json (d, m->link->relation));
  if (m->link && m->hits->len > 1)
    {
      json_object *cands = json_object_new_array_ext (m->hits->len);
      for (guint h = 0; h < m->hits->len; h++)
        json_object_array_add (cands, json_object_new_string (g_array_index (m->hits, ElHit, h).entry->id));
      quarry_document_span_set_attr (d->doc, m->span, d->ctx->key_candidates, cands);
    }
  if (m->parts)
    {
      json_object *parts = json_object_new_array_ext (m->parts->len);
      for (guint p = 0; p < m->parts->len; p++)
        json_object_array_add (parts, json_object_new_string (((const ElEntry *) m->parts->pdata[p])->id));
      quarry_document_span_set_attr (d->doc, m->span, d->ctx->key_parts, parts);
    }
}

static gint
cluster_order (gconstpointer a, gconstpointer b)
{
  const Cluster *x = *(Cluster *const *) a, *y = *(Cluster *const *) b;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  return strcmp (x->id, y->id);
}

/* The top-level entities, in order of first mention, as records (ABI 1.1): no json-c
 * objects. The list is this stage's: a re-run replaces it. */
static void
write_entities (Doc *d)
{
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  for (guint i = 0; i < d->clusters->len; i++)
    {
      Cluster *c = &g_array_index (d->clusters, Cluster, i);
      if (c->count && c->alias_of < 0)
        g_ptr_array_add (order, c);
    }
  g_ptr_array_sort (order, cluster_order);

  /* none found is an empty list, not a missing one */
  quarry_document_set_entities (d->doc, order->len ? NULL : json_object_new_array ());
  for (guint i = 0; i < order->len; i++)
    {
      const Cluster *c = order->pdata[i];
      const Mention *b = &g_array_index (d->mentions, Mention, c->best);
      quarry_document_add_entity (d->doc, c->id, c->kb ? c->kb->name : b->display, c->label,
                                  c->kb ? c->id : NULL, c->count);
    }
}

static void
collect_mentions (Doc *d)
{
  guint n = quarry_document_get_n_spans (d->doc), k = 0;
  for (guint i = 0; i < n; i++)
    k += quarry_document_peek_span (d->doc, i)->layer == d->ctx->entity_layer;
  g_array_set_size (d->mentions, k);
  k = 0;
  for (guint i = 0; i < n; i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (d->doc, i);
      if (s->layer != d->ctx->entity_layer)
        continue;
      g_array_index (d->mentions, Mention, k++) =
        (Mention) { .span = i, .start = s->start, .end = s->end, .label = s->label };
    }
  /* the repeat table: at most half full */
  guint size = 16;
  while (size < 2 * k)
    size *= 2;
  if (size > d->n_seen)
    {
      g_free (d->seen);
      d->seen = g_new (guint, size);
      d->n_seen = size;
    }
  memset (d->seen, 0, size * sizeof (guint));
  d->seen_mask = size - 1;
}

/* ---- per-document workspaces ----
 * The tables and arrays of a document are kept for the next one in the worker's
 * workspace (the stage's per-worker state): made afresh, a cable's 171 mentions
 * cost a 32 KB allocation (and its consolidation on free) plus five hash tables. */

struct _ElWorker {
  const ElContext *ctx;
  Doc             *kept;  /* nullable */
};

static Doc *
doc_new (const ElContext *ctx)
{
  Doc *d = g_new0 (Doc, 1);
  d->ctx = ctx;
  d->mentions = g_array_new (FALSE, TRUE, sizeof (Mention));
  d->clusters = g_array_new (FALSE, TRUE, sizeof (Cluster));
  g_array_set_clear_func (d->mentions, mention_clear);
  g_array_set_clear_func (d->clusters, cluster_clear);
  el_map_init (&d->by_key);
  el_map_init (&d->surnames);
  d->entries = g_new0 (EntryState, ctx->n_entries);
  d->linked = g_ptr_array_new ();
  el_map_init (&d->resolved);
  el_map_init (&d->ids);
  d->mismatches = g_array_new (FALSE, FALSE, sizeof (Mismatch));
  d->strings = g_string_chunk_new (4096);
  d->scratch = g_string_sized_new (128);
  d->clean = g_string_sized_new (128);
  d->keybuf = g_string_sized_new (128);
  return d;
}

static void
doc_free (Doc *d)
{
  g_array_unref (d->mentions);
  g_array_unref (d->clusters);
  el_map_destroy (&d->by_key);
  g_free (d->seen);
  el_map_destroy (&d->surnames);  /* empty: doc_reset ran */
  g_free (d->entries);
  g_ptr_array_unref (d->linked);
  el_map_destroy (&d->resolved);
  el_map_destroy (&d->ids);
  g_array_unref (d->mismatches);
  g_string_chunk_free (d->strings);
  g_string_free (d->scratch, TRUE);
  g_string_free (d->clean, TRUE);
  g_string_free (d->keybuf, TRUE);
  g_free (d);
}

/* Back to the state doc_new left it in, keeping the memory. */
static void
doc_reset (Doc *d)
{
  g_array_set_size (d->mentions, 0);
  g_array_set_size (d->clusters, 0);
  el_map_clear (&d->by_key);
  for (guint i = 0; i < el_map_capacity (&d->surnames); i++)
    if (d->surnames.slots[i].hash)
      g_array_unref (d->surnames.slots[i].value);
  el_map_clear (&d->surnames);
  if (d->ctx->n_entries > 0)  /* an empty KB: no array (memset on NULL is undefined) */
    memset (d->entries, 0, d->ctx->n_entries * sizeof (EntryState));
  g_ptr_array_set_size (d->linked, 0);
  el_map_clear (&d->resolved);
  el_map_clear (&d->ids);
  g_array_set_size (d->mismatches, 0);
  g_string_chunk_clear (d->strings);
  for (guint i = 0; i < G_N_ELEMENTS (d->relations) && d->relation_names[i]; i++)
    {
      json_object_put (d->relations[i]);
      d->relations[i] = NULL;
      d->relation_names[i] = NULL;
    }
  d->doc = NULL;
  d->text = NULL;
}

ElWorker *
el_worker_new (const ElContext *ctx)
{
  ElWorker *w = g_new0 (ElWorker, 1);
  w->ctx = ctx;
  return w;
}

void
el_worker_free (ElWorker *w)
{
  if (!w)
    return;
  if (w->kept)
    doc_free (w->kept);
  g_free (w);
}

const ElContext *
el_worker_get_context (const ElWorker *w)
{
  return w->ctx;
}

static Doc *
doc_acquire (const ElContext *ctx, ElWorker *w)
{
  Doc *d = w ? g_steal_pointer (&w->kept) : NULL;
  return d ? d : doc_new (ctx);
}

static void
doc_release (ElWorker *w, Doc *d)
{
  /* a workspace grown by a huge document is not kept: each worker would hold one */
  gboolean keep = w && d->mentions->len <= 4096;
  doc_reset (d);
  if (!keep)
    {
      doc_free (d);
      return;
    }
  w->kept = d;
}

gboolean
el_context_process (const ElContext *ctx, ElWorker *w, QuarryDocument *doc, GError **error)
{
  Doc *d;

  g_return_val_if_fail (w == NULL || w->ctx == ctx, FALSE);
  d = doc_acquire (ctx, w);
  d->doc = doc;
  d->text = quarry_document_get_text (doc, NULL);

  collect_mentions (d);
  for (guint i = 0; i < d->mentions->len; i++)
    mention_prepare_cached (d, &g_array_index (d->mentions, Mention, i), i);
  people_first (d);
  collect_tags (d);
  collect_linked (d);
  for (guint i = 0; i < d->mentions->len; i++)
    {
      Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster == -2 && m->hits && m->hits->len > 1)
        resolve_ambiguous (d, m, i);
    }

  cluster_kb_links (d);
  cluster_full_names (d);
  cluster_surnames (d, FALSE);
  cluster_rest (d, FALSE);
  cluster_surnames (d, TRUE);
  cluster_misc_exact (d);
  cluster_rest (d, TRUE);
  name_clusters (d);

  for (guint i = 0; i < d->mentions->len; i++)
    {
      const Mention *m = &g_array_index (d->mentions, Mention, i);
      if (m->cluster >= 0 && kb_label_mismatch (m))
        mismatch_add (d, i, TRUE);
      write_span (d, m);
    }
  diagnose_mismatches (d);
  write_entities (d);
  doc_release (w, d);
  return TRUE;
}
