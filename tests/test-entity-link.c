/* test-entity-link.c: tests of the entity-link plugin: cleaning, KB, coreference, linking, bad input. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "document-private.h"
#include "harness.h"
#include "el-link.h"
#include "el-map.h"
#include "el-normalize.h"

static ElContext *shared_ctx;

/* The knowledge base the build made from iso-codes and plugins/entity-link/data. */
static const ElContext *
ctx_default (void)
{
  if (!shared_ctx)
    {
      g_autoptr (GError) error = NULL;
      shared_ctx = el_context_new (ENTITY_LINK_BUILD_KB, NULL, TRUE, 256, &error);
      g_assert_no_error (error);
    }
  return shared_ctx;
}

/* A workspace kept from one document to the next, as a worker's is in a run, so that
 * what one document leaves in it is seen by the next test (the single-threaded tests). */
static ElWorker *shared_worker;

static ElWorker *
worker_default (void)
{
  if (!shared_worker)
    shared_worker = el_worker_new (ctx_default ());
  return shared_worker;
}

/* A text/plain document from "[PER David Miliband ] met ..." markup: the test's own
 * tiny reader (not tag-decode), so the rules are tested without other plugins. */
static QuarryDocument *
doc_from_tagged (const char *id, const char *tagged, const char *const *tags)
{
  static const char *const labels[] = { "PER ", "LOC ", "ORG ", "MISC ", "GPE " };
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (gsize) * 3);
  /* repair first, as the document would, so the offsets stay right */
  g_autofree char *valid = g_utf8_make_valid (tagged, -1);
  const char *p = valid;

  while (*p)
    {
      gsize li = G_N_ELEMENTS (labels);
      const char *close = NULL;
      if (*p == '[')
        for (li = 0; li < G_N_ELEMENTS (labels); li++)
          if (g_str_has_prefix (p + 1, labels[li]) && (close = strchr (p, ']')))
            break;
      if (li == G_N_ELEMENTS (labels) || !close)
        {
          g_string_append_c (text, *p++);
          continue;
        }
      const char *s = p + 1 + strlen (labels[li]), *e = close;
      while (e > s && e[-1] == ' ')
        e--;
      gsize span[3] = { li, text->len, text->len + (e - s) };
      g_string_append_len (text, s, e - s);
      g_array_append_val (spans, span);
      p = close + 1;
    }

  QuarryDocument *doc = quarry_document_new (id, text->str, text->len, NULL);
  for (guint i = 0; i < spans->len; i++)
    {
      gsize *span = &g_array_index (spans, gsize, i * 3);
      g_autofree char *label = g_strndup (labels[span[0]], strlen (labels[span[0]]) - 1);
      g_autoptr (GError) error = NULL;
      g_assert_cmpint (quarry_document_add_span (doc, "entity", label, span[1], span[2], NULL, &error), >=, 0);
      g_assert_no_error (error);
    }
  if (tags)
    {
      json_object *list = json_object_new_array ();
      for (guint i = 0; tags[i]; i++)
        json_object_array_add (list, json_object_new_string (tags[i]));
      json_object_object_add (quarry_document_get_fields (doc, "header"), "tags", list);
    }
  quarry_document_set_stage (doc, "entity-link");
  return doc;
}

static QuarryDocument *
link_tagged (const ElContext *ctx, const char *tagged, const char *const *tags)
{
  QuarryDocument *doc = doc_from_tagged ("test", tagged, tags);
  g_autoptr (GError) error = NULL;
  g_assert_true (el_context_process (ctx ? ctx : ctx_default (), ctx ? NULL : worker_default (), doc, &error));
  g_assert_no_error (error);
  return doc;
}

/* The n-th entity span's attrs (spans are in document order here). */
static json_object *
span_attrs (QuarryDocument *doc, guint n)
{
  guint seen = 0;
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *s = quarry_document_get_span (doc, i);
      if (strcmp (s->layer, "entity") == 0 && seen++ == n)
        return s->attrs;
    }
  g_assert_not_reached ();
}

static const char *
attr_str (json_object *attrs, const char *key)
{
  json_object *v = NULL;
  if (!attrs || !json_object_object_get_ex (attrs, key, &v) || !v)
    return NULL;
  return json_object_get_string (v);
}

static const char *
span_entity (QuarryDocument *doc, guint n)
{
  return attr_str (span_attrs (doc, n), "entity");
}

static json_object *
entity_by_id (QuarryDocument *doc, const char *id)
{
  json_object *list = quarry_document_get_entities (doc);
  g_assert_nonnull (list);
  for (size_t i = 0; i < json_object_array_length (list); i++)
    {
      json_object *e = json_object_array_get_idx (list, i);
      if (g_strcmp0 (attr_str (e, "id"), id) == 0)
        return e;
    }
  return NULL;
}

static void
assert_entity (QuarryDocument *doc, const char *id, const char *name, const char *label,
               const char *kb_id, int mentions)
{
  json_object *e = entity_by_id (doc, id);
  json_object *m = NULL;
  if (!e)
    g_error ("no entity %s in %s", id, json_object_to_json_string (quarry_document_get_entities (doc)));
  g_assert_cmpstr (attr_str (e, "name"), ==, name);
  g_assert_cmpstr (attr_str (e, "label"), ==, label);
  g_assert_cmpstr (attr_str (e, "kb_id"), ==, kb_id);
  g_assert_true (json_object_object_get_ex (e, "mentions", &m));
  g_assert_cmpint (json_object_get_int (m), ==, mentions);
}

static guint
n_entities (QuarryDocument *doc)
{
  return json_object_array_length (quarry_document_get_entities (doc));
}

/* ---- cleaning and keys ---- */

static void
test_clean (void)
{
  static const struct { const char *in, *out, *acronym; gboolean possessive; } cases[] = {
    { "Miliband’s", "Miliband", NULL, TRUE },
    { "Miliband's", "Miliband", NULL, TRUE },
    { "Russians’", "Russians", NULL, TRUE },
    { "Standoff”", "Standoff", NULL, FALSE },
    { "“reset , ”", "reset", NULL, FALSE },
    { "Middle East Peace Process ( MEPP", "Middle East Peace Process", "MEPP", FALSE },
    { "Non-Proliferation Treaty (NPT)", "Non-Proliferation Treaty", "NPT", FALSE },
    { "Treaty (NPT) review", "Treaty (NPT) review", NULL, FALSE },
    { "  David \t Miliband\n", "David Miliband", NULL, FALSE },
    { "U.S.", "U.S.", NULL, FALSE },
    { "Russia.", "Russia", NULL, FALSE },
    { "St.", "St.", NULL, FALSE },
    { "British Council’s", "British Council", NULL, TRUE },
    { "’s", "", NULL, TRUE },
    { "”", "", NULL, FALSE },
    { "", "", NULL, FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ElCleanInfo info = { 0 };
      g_autofree char *out = el_clean_mention (cases[i].in, strlen (cases[i].in), &info);
      g_assert_cmpstr (out, ==, cases[i].out);
      g_assert_cmpstr (info.acronym, ==, cases[i].acronym);
      g_assert_cmpint (info.possessive, ==, cases[i].possessive);
      el_clean_info_clear (&info);
    }
}

static void
test_key (void)
{
  static const char *const cases[][2] = {
    { "MILIBAND", "miliband" }, { "U.S.", "us" }, { "US", "us" },
    { "Côte d’Ivoire", "cote divoire" }, { "Guinea – Bissau", "guinea-bissau" },
    { "Korea, Republic of", "korea republic of" }, { "Al-Qaida", "al-qaida" },
    { "  St. Petersburg ", "st petersburg" }, { "AT&T", "at&t" }, { "ÅLAND", "aland" },
    { "—", "" }, { "", "" },
  };
  g_autoptr (GString) key = g_string_new (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      el_normalize_key (cases[i][0], strlen (cases[i][0]), key);
      g_assert_cmpstr (key->str, ==, cases[i][1]);
    }
  /* stray bytes are separators, never a crash */
  el_normalize_key ("Lav\xffrov\xc3", 9, key);
  g_assert_cmpstr (key->str, ==, "lav rov");
}

static void
test_slug (void)
{
  g_autofree char *a = el_slug ("Sergey Lavrov", "sergey lavrov");
  g_autofree char *b = el_slug ("Aleksadr Litvenenko’s", "aleksadr litvenenkos");
  g_autofree char *c = el_slug ("Сергей Лавров", "сергей лавров");
  g_autofree char *c2 = el_slug ("Сергей Лавров", "сергей лавров");
  g_autofree char *d = el_slug ("Михаил Горбачёв", "михаил горбачев");
  g_assert_cmpstr (a, ==, "sergey-lavrov");
  g_assert_cmpstr (b, ==, "aleksadr-litvenenkos");
  g_assert_cmpint (strlen (c), ==, 17);
  g_assert_true (c[0] == 'h');
  g_assert_cmpstr (c, ==, c2);
  g_assert_cmpstr (c, !=, d);
}

/* ---- the knowledge base ---- */

static void
test_kb_default (void)
{
  static const char *const cases[][3] = {
    { "Russia", "iso:RU", "short-form" }, { "Russian Federation", "iso:RU", "name" },
    { "russian", "iso:RU", "adjective" }, { "Russians", "iso:RU", "demonym" },
    { "British", "iso:GB", "adjective" }, { "U.K.", "iso:GB", "short-form" },
    { "RS", "iso:RU", "tag-code" }, { "GG", "iso:GE", "tag-code" },
    { "IAEA", "org:iaea", "acronym" }, { "NATO", "org:nato", "name" },
    { "USG", "gov:US", "acronym" }, { "HMG", "gov:GB", "acronym" },
    { "Iran, Islamic Republic of", "iso:IR", "name" }, { "Iran", "iso:IR", "common-name" },
    { "Alabama", "iso:US-AL", "name" },
  };
  const ElContext *ctx = ctx_default ();
  g_autoptr (GString) key = g_string_new (NULL);

  g_assert_cmpuint (ctx->n_entries, >, 400);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      el_normalize_key (cases[i][0], strlen (cases[i][0]), key);
      const GArray *hits = el_kb_lookup (ctx->kb, key->str);
      g_assert_nonnull (hits);
      const ElHit *top = &g_array_index (hits, ElHit, 0);
      g_assert_cmpstr (top->entry->id, ==, cases[i][1]);
      g_assert_cmpstr (top->relation, ==, cases[i][2]);
    }
  /* Georgia: the country first, the US state kept as a candidate */
  el_normalize_key ("Georgia", 7, key);
  const GArray *hits = el_kb_lookup (ctx->kb, key->str);
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpstr (g_array_index (hits, ElHit, 0).entry->id, ==, "iso:GE");
  g_assert_cmpstr (g_array_index (hits, ElHit, 1).entry->id, ==, "iso:US-GA");
  g_assert_cmpstr (g_array_index (hits, ElHit, 1).entry->parent->id, ==, "iso:US");
}

static char *
write_temp (const char *name, const char *data, gssize len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("entity-link-XXXXXX", &error);
  g_assert_no_error (error);
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, data, len, &error));
  g_assert_no_error (error);
  return path;
}

static void
remove_temp (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_unlink (path);
  g_rmdir (dir);
}

static void
assert_setup_error (const char *kb, const char *const *aliases, gint code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  ElContext *ctx = el_context_new (kb, aliases, TRUE, 256, &error);
  g_assert_null (ctx);
  g_assert_error (error, EL_KB_ERROR, code);
  if (!strstr (error->message, needle))
    g_error ("'%s' not in the error: %s", needle, error->message);
}

static void
test_kb_missing (void)
{
  assert_setup_error ("/nonexistent/entity-link/kb.sqlite", NULL, EL_KB_ERROR_MISSING,
                      "/nonexistent/entity-link/kb.sqlite");
  const char *const aliases[] = { "/nonexistent/aliases.tsv", NULL };
  assert_setup_error (ENTITY_LINK_BUILD_KB, aliases, EL_KB_ERROR_MISSING, "/nonexistent/aliases.tsv");
}

static void
test_kb_corrupt (void)
{
  /* garbage, a truncated copy of a real KB, and an SQLite file that is no KB */
  g_autofree char *garbage = write_temp ("garbage.sqlite", "this is not a database\n", -1);
  assert_setup_error (garbage, NULL, EL_KB_ERROR_CORRUPT, garbage);
  remove_temp (garbage);

  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (ENTITY_LINK_BUILD_KB, &data, &len, NULL));
  g_autofree char *truncated = write_temp ("truncated.sqlite", data, MIN (len, 3000));
  assert_setup_error (truncated, NULL, EL_KB_ERROR_CORRUPT, truncated);
  remove_temp (truncated);

  memset (data + 100, 0x5a, MIN (len - 100, 8000));  /* header kept, schema pages trashed */
  g_autofree char *trashed = write_temp ("trashed.sqlite", data, len);
  assert_setup_error (trashed, NULL, EL_KB_ERROR_CORRUPT, trashed);
  remove_temp (trashed);

  g_autofree char *empty = write_temp ("empty.sqlite", "", 0);
  assert_setup_error (empty, NULL, EL_KB_ERROR_CORRUPT, "schema version");
  remove_temp (empty);
}

static void
test_kb_tsv_errors (void)
{
  static const char *const cases[][2] = {
    { "Lavrov\tper:lavrov\talias\n", "tsv:1: entity per:lavrov is not in the knowledge base" },
    { "# c\n\nLavrov\tper:lavrov\tname\tSergey Lavrov\tPERSON\n", "tsv:3: type 'PERSON'" },
    { "Lavrov\tper:lavrov\n", "tsv:1: expected 3 to 8" },
    { "Lavrov\tper:lavrov\tname\tSergey Lavrov\tPER\t\t\tlots\n", "tsv:1: priority 'lots'" },
    { "Lavrov\tper:lavrov\tname\tSergey Lavrov\tPER\t\tper:nobody\n", "names parent per:nobody" },
    { "La\xffvrov\tper:lavrov\tname\tSergey Lavrov\tPER\n", "not valid UTF-8" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_temp ("x.tsv", cases[i][0], -1);
      const char *const aliases[] = { path, NULL };
      assert_setup_error (ENTITY_LINK_BUILD_KB, aliases, i == 4 ? EL_KB_ERROR_CORRUPT : EL_KB_ERROR_TSV,
                          cases[i][1]);
      remove_temp (path);
    }
}

/* A user's own KB: written by the same code quarry-kb uses, read back, extended by a TSV. */
static void
test_kb_user (void)
{
  g_autoptr (GError) error = NULL;
  ElKb *kb = el_kb_new ();
  const char *tsv = "Acme Corporation\tco:acme\tname\tAcme Corporation\tORG\tcompany\n"
                    "ACME\tco:acme\tacronym\n";
  g_assert_true (el_kb_load_tsv_data (kb, tsv, strlen (tsv), "user.tsv", &error));
  g_assert_no_error (error);
  g_autofree char *path = write_temp ("user.sqlite", "", 0);
  g_assert_true (el_kb_write_sqlite (kb, path, "user.tsv", &error));
  g_assert_no_error (error);
  el_kb_free (kb);

  g_autofree char *extra = write_temp ("extra.tsv",
      "Sergey Lavrov\tper:sergey-lavrov\tname\tSergey Lavrov\tPER\tperson\n"
      "Lavrov\tper:sergey-lavrov\tsurname\n"
      "Acme Corp\tco:acme\talias\n", -1);
  const char *const aliases[] = { extra, NULL };
  ElContext *ctx = el_context_new (path, aliases, TRUE, 256, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ctx->n_entries, ==, 2);

  g_autoptr (QuarryDocument) doc = link_tagged (ctx, "[ORG Acme Corp ] and [ORG ACME ] hired [PER Lavrov ] .", NULL);
  g_assert_cmpstr (span_entity (doc, 0), ==, "co:acme");
  g_assert_cmpstr (span_entity (doc, 1), ==, "co:acme");
  g_assert_cmpstr (span_entity (doc, 2), ==, "per:sergey-lavrov");
  g_assert_cmpstr (attr_str (span_attrs (doc, 2), "relation"), ==, "surname");
  assert_entity (doc, "co:acme", "Acme Corporation", "ORG", "co:acme", 2);
  assert_entity (doc, "per:sergey-lavrov", "Sergey Lavrov", "PER", "per:sergey-lavrov", 1);
  el_context_free (ctx);
  remove_temp (path);
  remove_temp (extra);
}

/* A knowledge base with no entries at all is valid: nothing links to it, coreference
 * still works, over several documents (the reused workspace included). */
static void
test_kb_empty (void)
{
  g_autoptr (GError) error = NULL;
  ElKb *kb = el_kb_new ();
  g_autofree char *path = write_temp ("none.sqlite", "", 0);
  g_assert_true (el_kb_write_sqlite (kb, path, "nothing", &error));
  g_assert_no_error (error);
  el_kb_free (kb);

  ElContext *ctx = el_context_new (path, NULL, TRUE, 256, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ctx->n_entries, ==, 0);
  for (int round = 0; round < 3; round++)
    {
      g_autoptr (QuarryDocument) doc = link_tagged (ctx, "[PER Sergey Lavrov ] met [PER Lavrov ] in [LOC Russia ] .", NULL);
      g_assert_cmpstr (span_entity (doc, 0), ==, span_entity (doc, 1));
      assert_entity (doc, "LOC:russia", "Russia", "LOC", NULL, 1);
      g_assert_cmpuint (n_entities (doc), ==, 2);
    }
  el_context_free (ctx);
  remove_temp (path);
}

/* The KB's checksum is of its content: the same data through another file gives the
 * same sum, an alias file changes it; and it is in every record's provenance. */
static void
test_kb_checksum (void)
{
  g_autoptr (GError) error = NULL;
  const ElContext *ctx = ctx_default ();
  g_assert_cmpuint (strlen (ctx->kb_sha256), ==, 64);

  /* written to a new SQLite file (another byte layout) and read back: the same sum */
  g_autofree char *copy = write_temp ("copy.sqlite", "", 0);
  g_assert_true (el_kb_write_sqlite (ctx->kb, copy, "test", &error));
  g_assert_no_error (error);
  ElContext *again = el_context_new (copy, NULL, TRUE, 256, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->kb_sha256, ==, ctx->kb_sha256);
  el_context_free (again);

  /* one more alias: another sum */
  g_autofree char *extra = write_temp ("one.tsv", "Moskva\tcity:ru-moscow\talias\n", -1);
  const char *const aliases[] = { extra, NULL };
  ElContext *more = el_context_new (copy, aliases, TRUE, 256, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (more->kb_sha256, !=, ctx->kb_sha256);

  /* the pipeline writes it into the provenance of the stage */
  g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = tag-decode;entity-link\n"
                                          "[entity-link]\nkb = %s\naliases = %s\n", copy, extra);
  g_autoptr (QuarryHarness) p = quarry_harness_new (ini);
  json_object *prov = quarry_pipeline_get_provenance (quarry_harness_get_pipeline (p)), *stages, *data, *sum;
  g_assert_true (json_object_object_get_ex (prov, "stages", &stages));
  g_assert_true (json_object_object_get_ex (json_object_array_get_idx (stages, 1), "data", &data));
  g_assert_true (json_object_object_get_ex (data, "kb_sha256", &sum));
  g_assert_cmpstr (json_object_get_string (sum), ==, more->kb_sha256);
  g_assert_false (json_object_object_get_ex (json_object_array_get_idx (stages, 0), "data", NULL));
  el_context_free (more);
  remove_temp (copy);
  remove_temp (extra);
}

/* ---- the rules, on small documents ---- */

static void
test_coref_surname (void)
{
  g_autoptr (QuarryDocument) doc = link_tagged (NULL,
      "SUBJECT: [PER MILIBAND ] VISIT . [PER Miliband’s ] trip . [PER David Miliband ] met "
      "[PER Lavrov ] ; [MISC Miliband’s ] call ; [PER Sergey Lavrov ] agreed .", NULL);
  g_assert_cmpuint (n_entities (doc), ==, 2);
  assert_entity (doc, "PER:david-miliband", "David Miliband", "PER", NULL, 4);
  assert_entity (doc, "PER:sergey-lavrov", "Sergey Lavrov", "PER", NULL, 2);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpstr (span_entity (doc, i), ==, i == 3 || i == 5 ? "PER:sergey-lavrov" : "PER:david-miliband");
  /* the MISC possessive joined the person: reported, its label kept */
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "label-mismatch"), ==, 1);
  g_assert_cmpstr (quarry_document_get_span (doc, 4)->label, ==, "MISC");
  /* order: by first mention */
  json_object *first = json_object_array_get_idx (quarry_document_get_entities (doc), 0);
  g_assert_cmpstr (attr_str (first, "id"), ==, "PER:david-miliband");
}

static void
test_coref_titles (void)
{
  g_autoptr (QuarryDocument) doc = link_tagged (NULL,
      "[PER Deputy Prime Minister Igor Shuvalov ] told [PER Shuvalov ] ; [PER President Medvedev ] and "
      "[PER Medvedev ] ; [PER FM Lavrov ] ; [PER Mr. Smith ]", NULL);
  assert_entity (doc, "PER:igor-shuvalov", "Igor Shuvalov", "PER", NULL, 2);
  assert_entity (doc, "PER:medvedev", "Medvedev", "PER", NULL, 2);
  assert_entity (doc, "PER:lavrov", "Lavrov", "PER", NULL, 1);
  assert_entity (doc, "PER:smith", "Smith", "PER", NULL, 1);
  /* a title alone is a name, not nothing */
  g_autoptr (QuarryDocument) lone = link_tagged (NULL, "[PER President ]", NULL);
  assert_entity (lone, "PER:president", "President", "PER", NULL, 1);
}

/* A person's surname that is also a country: the person of the document wins. */
static void
test_coref_people_first (void)
{
  g_autoptr (QuarryDocument) doc = link_tagged (NULL,
      "[PER Michael Jordan ] played ; [PER Jordan ] scored in [LOC Jordan ] .", NULL);
  assert_entity (doc, "PER:michael-jordan", "Michael Jordan", "PER", NULL, 2);
  assert_entity (doc, "iso:JO", "Jordan", "LOC", "iso:JO", 1);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "label-mismatch"), ==, 0);
  /* with no such person, a PER-tagged country name is linked and the disagreement reported */
  g_autoptr (QuarryDocument) alone = link_tagged (NULL, "[PER Jordan ] scored", NULL);
  assert_entity (alone, "iso:JO", "Jordan", "LOC", "iso:JO", 1);
  g_assert_cmpuint (quarry_test_count_diagnostics (alone, "label-mismatch"), ==, 1);
}

static void
test_coref_shared_surname (void)
{
  g_autoptr (QuarryDocument) doc = link_tagged (NULL,
      "[PER John Smith ] and [PER Jane Smith ] arrived . [PER Smith ] spoke ; [PER SMITH ] left .", NULL);
  g_assert_cmpuint (n_entities (doc), ==, 3);
  assert_entity (doc, "PER:john-smith", "John Smith", "PER", NULL, 1);
  assert_entity (doc, "PER:jane-smith", "Jane Smith", "PER", NULL, 1);
  assert_entity (doc, "PER:smith", "Smith", "PER", NULL, 2);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "ambiguous-surname"), ==, 1);  /* once per surname */
  const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, 0);
  g_assert_cmpstr (d->code, ==, "ambiguous-surname");
  g_assert_cmpint (d->level, ==, QUARRY_DIAGNOSTIC_WARNING);
  g_assert_nonnull (strstr (d->message, "'Smith' (2 mentions) could be John Smith and Jane Smith"));
}

static void
test_coref_unlinked (void)
{
  /* same label and name merge; another label stays apart; an unknown single name stands alone */
  g_autoptr (QuarryDocument) doc = link_tagged (NULL,
      "[LOC MOSCOW ] 002734 ... [LOC Moscow ] ; [ORG Foo Bar Council ( FBC ] and the [ORG FBC ] ; "
      "[PER Gorbachev ] ; [LOC Standoff” ] ; [ORG TNK-BP ] ; [ORG TNK-BP ]", NULL);
  assert_entity (doc, "city:ru-moscow", "Moscow", "LOC", "city:ru-moscow", 2);
  assert_entity (doc, "ORG:foo-bar-council", "Foo Bar Council", "ORG", NULL, 2);
  assert_entity (doc, "PER:gorbachev", "Gorbachev", "PER", NULL, 1);
  assert_entity (doc, "LOC:standoff", "Standoff", "LOC", NULL, 1);
  assert_entity (doc, "ORG:tnk-bp", "TNK-BP", "ORG", NULL, 2);
  g_assert_cmpuint (n_entities (doc), ==, 5);
  /* an all-caps first mention does not name the entity when a mixed-case one exists */
  g_autoptr (QuarryDocument) doc2 = link_tagged (NULL, "[ORG ACME WIDGETS ] and [ORG Acme Widgets ]", NULL);
  assert_entity (doc2, "ORG:acme-widgets", "Acme Widgets", "ORG", NULL, 2);
}

static void
test_link_demonyms (void)
{
  g_autoptr (QuarryDocument) doc = link_tagged (NULL,
      "[MISC Russian ] FM ; [MISC British ] diplomats ; the [MISC Russians ] ; [LOC Russia ] ; "
      "[MISC Russia’s ] economy ; [LOC UK ] ; [MISC Afghan ] government", NULL);
  assert_entity (doc, "iso:RU", "Russia", "LOC", "iso:RU", 4);
  assert_entity (doc, "iso:GB", "United Kingdom", "LOC", "iso:GB", 2);
  assert_entity (doc, "iso:AF", "Afghanistan", "LOC", "iso:AF", 1);
  g_assert_cmpstr (attr_str (span_attrs (doc, 0), "relation"), ==, "adjective");
  g_assert_cmpstr (attr_str (span_attrs (doc, 2), "relation"), ==, "demonym");
  g_assert_cmpstr (attr_str (span_attrs (doc, 3), "relation"), ==, "short-form");
  g_assert_cmpstr (attr_str (span_attrs (doc, 5), "relation"), ==, "short-form");
  /* a demonym tagged MISC is expected; "Russia’s" tagged MISC names the country: reported */
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "label-mismatch"), ==, 1);
}

static void
test_link_acronyms (void)
{
  g_autoptr (QuarryDocument) doc = link_tagged (NULL,
      "[LOC U.S. ] and [LOC US ] ; [ORG IAEA ] ; [ORG NATO ] ; [ORG USG ] ; [ORG HMG ] ; "
      "[ORG EU ] ; [ORG UNSC ] ; [ORG FSB ] ; [LOC Middle East Peace Process ( MEPP ] ; [MISC MEPP ]", NULL);
  assert_entity (doc, "iso:US", "United States", "LOC", "iso:US", 2);
  assert_entity (doc, "org:iaea", "International Atomic Energy Agency", "ORG", "org:iaea", 1);
  assert_entity (doc, "org:nato", "NATO", "ORG", "org:nato", 1);
  assert_entity (doc, "gov:US", "Government of United States", "ORG", "gov:US", 1);
  assert_entity (doc, "gov:GB", "Government of United Kingdom", "ORG", "gov:GB", 1);
  assert_entity (doc, "org:eu", "European Union", "ORG", "org:eu", 1);
  assert_entity (doc, "org:unsc", "UN Security Council", "ORG", "org:unsc", 1);
  assert_entity (doc, "agency:ru-fsb", "Federal Security Service (FSB)", "ORG", "agency:ru-fsb", 1);
  assert_entity (doc, "process:mepp", "Middle East Peace Process", "MISC", "process:mepp", 2);
  g_assert_cmpstr (attr_str (span_attrs (doc, 2), "relation"), ==, "acronym");
  /* LOC "Middle East Peace Process" vs a MISC KB entry: linked, reported, label kept */
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "label-mismatch"), ==, 1);
  g_assert_cmpstr (quarry_document_get_span (doc, 9)->label, ==, "LOC");
}

static void
test_label_mismatch (void)
{
  g_autoptr (QuarryDocument) doc = link_tagged (NULL, "the [ORG NPT ] and the [MISC NPT ]", NULL);
  assert_entity (doc, "treaty:npt", "Nuclear Non-Proliferation Treaty", "MISC", "treaty:npt", 2);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "label-mismatch"), ==, 1);
  const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, 0);
  g_assert_cmpint (d->level, ==, QUARRY_DIAGNOSTIC_INFO);
  g_assert_nonnull (strstr (d->message, "tagged ORG"));
  g_assert_cmpint (d->source_offset, ==, 4);
  g_assert_cmpstr (quarry_document_get_span (doc, 0)->label, ==, "ORG");
}

/* ---- ambiguity ---- */

static const char *
candidates (QuarryDocument *doc, guint n)
{
  json_object *c = NULL;
  if (!json_object_object_get_ex (span_attrs (doc, n), "candidates", &c))
    return NULL;
  return json_object_to_json_string_ext (c, JSON_C_TO_STRING_PLAIN);
}

static void
test_georgia (void)
{
  const ElContext *ctx = ctx_default ();

  /* nothing decides: the country, with a warning and both candidates */
  g_autoptr (QuarryDocument) a = link_tagged (ctx, "He visited [LOC Georgia ] .", NULL);
  g_assert_cmpstr (span_entity (a, 0), ==, "iso:GE");
  g_assert_cmpstr (candidates (a, 0), ==, "[\"iso:GE\",\"iso:US-GA\"]");
  g_assert_cmpuint (quarry_test_count_diagnostics (a, "ambiguous-link"), ==, 1);
  g_assert_cmpint (quarry_document_get_diagnostic (a, 0)->level, ==, QUARRY_DIAGNOSTIC_WARNING);

  /* US states around it: the state */
  g_autoptr (QuarryDocument) b = link_tagged (ctx, "from [LOC Alabama ] to [LOC Georgia ] and [LOC Florida ]", NULL);
  g_assert_cmpstr (span_entity (b, 1), ==, "iso:US-GA");
  assert_entity (b, "iso:US-GA", "Georgia", "LOC", "iso:US-GA", 1);
  g_assert_cmpint (quarry_document_get_diagnostic (b, 0)->level, ==, QUARRY_DIAGNOSTIC_INFO);
  g_assert_nonnull (strstr (quarry_document_get_diagnostic (b, 0)->message, "another place in United States"));

  /* TAGS GG: the country, even next to a US state */
  const char *const tags[] = { "PREL", "GG", NULL };
  g_autoptr (QuarryDocument) c = link_tagged (ctx, "[LOC Georgia ] and [LOC Alabama ]", tags);
  g_assert_cmpstr (span_entity (c, 0), ==, "iso:GE");
  g_assert_nonnull (strstr (quarry_document_get_diagnostic (c, 0)->message, "TAGS"));

  /* the same with use-tags off: the state */
  g_autoptr (GError) error = NULL;
  ElContext *notags = el_context_new (ENTITY_LINK_BUILD_KB, NULL, FALSE, 256, &error);
  g_assert_no_error (error);
  g_autoptr (QuarryDocument) d = link_tagged (notags, "[LOC Georgia ] and [LOC Alabama ]", tags);
  g_assert_cmpstr (span_entity (d, 0), ==, "iso:US-GA");
  el_context_free (notags);

  /* a city of the country: Tbilisi */
  g_autoptr (QuarryDocument) t = link_tagged (ctx, "in [LOC Tbilisi ] , [LOC Georgia ] and [LOC Alabama ]", NULL);
  g_assert_cmpstr (span_entity (t, 1), ==, "iso:GE");  /* +2 Tbilisi +1 label vs +2 Alabama +1 label: tie */
  g_autoptr (QuarryDocument) t2 = link_tagged (ctx, "in [LOC Tbilisi ] , [LOC Georgia ]", NULL);
  g_assert_cmpstr (span_entity (t2, 1), ==, "iso:GE");
  g_assert_nonnull (strstr (quarry_document_get_diagnostic (t2, 0)->message, "Tbilisi, in it, is mentioned"));
  g_assert_cmpint (quarry_document_get_diagnostic (t2, 0)->level, ==, QUARRY_DIAGNOSTIC_INFO);

  /* "Georgian-Russian war": the compound's parts point at the country */
  g_autoptr (QuarryDocument) e = link_tagged (ctx, "the [MISC Georgian-Russian ] war ; [LOC Georgia ] and [LOC U.S. ]", NULL);
  g_assert_cmpstr (span_entity (e, 1), ==, "iso:GE");
  g_assert_cmpstr (span_entity (e, 0), ==, "MISC:georgian-russian");
  json_object *parts = NULL;
  g_assert_true (json_object_object_get_ex (span_attrs (e, 0), "parts", &parts));
  g_assert_cmpstr (json_object_to_json_string_ext (parts, JSON_C_TO_STRING_PLAIN), ==, "[\"iso:GE\",\"iso:RU\"]");
}

static void
test_government_acronyms (void)
{
  const ElContext *ctx = ctx_default ();
  const char *const ro[] = { "PGOV", "RO", NULL };
  g_autoptr (QuarryDocument) a = link_tagged (ctx, "the [ORG GOR ] said", ro);
  g_assert_cmpstr (span_entity (a, 0), ==, "gov:RO");
  g_autoptr (QuarryDocument) b = link_tagged (ctx, "the [ORG GOR ] said", NULL);
  g_assert_cmpstr (span_entity (b, 0), ==, "gov:RU");  /* the most common reading */
  g_assert_cmpuint (quarry_test_count_diagnostics (b, "ambiguous-link"), ==, 1);
  g_autoptr (QuarryDocument) c = link_tagged (ctx, "[LOC Iraq ] : the [ORG GOI ] said", NULL);
  g_assert_cmpstr (span_entity (c, 1), ==, "gov:IQ");
  /* the label alone can decide: AU is the African Union (ORG) or Austria's TAGS code (LOC) */
  g_autoptr (QuarryDocument) au = link_tagged (ctx, "the [LOC AU ] and the [ORG AU ]", NULL);
  g_assert_cmpstr (span_entity (au, 0), ==, "iso:AT");
  g_assert_cmpstr (span_entity (au, 1), ==, "org:au");
  g_assert_nonnull (strstr (quarry_document_get_diagnostic (au, 0)->message, "the mention is tagged LOC"));
  g_autoptr (QuarryDocument) d = link_tagged (ctx, "in [LOC Washington ] the [ORG USG ]", NULL);
  g_assert_cmpstr (span_entity (d, 0), ==, "iso:US-DC");
  assert_entity (d, "iso:US-DC", "Washington, D.C.", "LOC", "iso:US-DC", 1);
}

/* ---- ids ---- */

static void
test_ids_stable (void)
{
  const char *text = "[PER Sergey Lavrov ] met [PER Lavrov ] of [LOC Russia ] in [LOC Zhukovka ] .";
  g_autoptr (QuarryDocument) a = link_tagged (NULL, text, NULL);
  g_autoptr (QuarryDocument) b = link_tagged (NULL, "[LOC Zhukovka ] ; later [PER Sergey Lavrov ]", NULL);
  g_autoptr (QuarryDocument) c = link_tagged (NULL, text, NULL);
  assert_entity (a, "PER:sergey-lavrov", "Sergey Lavrov", "PER", NULL, 2);
  assert_entity (b, "PER:sergey-lavrov", "Sergey Lavrov", "PER", NULL, 1);
  assert_entity (a, "LOC:zhukovka", "Zhukovka", "LOC", NULL, 1);
  assert_entity (b, "LOC:zhukovka", "Zhukovka", "LOC", NULL, 1);
  json_object *ra = quarry_test_record (a);
  json_object *rc = quarry_test_record (c);
  quarry_assert_json_equal (ra, rc, "the same document twice");
  json_object_put (ra);
  json_object_put (rc);
}

/* ---- bad input ---- */

static void
test_bad_empty (void)
{
  g_autoptr (QuarryDocument) doc = quarry_document_new ("t", "x ” y", 7, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (quarry_document_add_span (doc, "entity", "PER", 2, 5, NULL, &error), ==, 0);
  g_assert_cmpint (quarry_document_add_span (doc, "entity", "LOC", 1, 1, NULL, &error), ==, 1);
  g_assert_true (el_context_process (ctx_default (), worker_default (), doc, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_entities (doc), ==, 0);
  json_object *v = NULL;
  g_assert_true (json_object_object_get_ex (span_attrs (doc, 0), "entity", &v));
  g_assert_null (v);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "empty-mention"), ==, 2);

  /* no entity spans at all: an empty list */
  g_autoptr (QuarryDocument) none = quarry_document_new ("t", "nothing here", 12, NULL);
  g_assert_true (el_context_process (ctx_default (), worker_default (), none, &error));
  g_assert_cmpuint (n_entities (none), ==, 0);
}

static void
test_bad_long (void)
{
  g_autoptr (GString) text = g_string_new ("[PER ");
  for (int i = 0; i < 1024; i++)
    g_string_append (text, "Abcdefghi ");
  g_string_append (text, "]");
  g_autoptr (QuarryDocument) a = link_tagged (NULL, text->str, NULL);
  g_assert_cmpuint (n_entities (a), ==, 0);
  g_assert_cmpuint (quarry_test_count_diagnostics (a, "mention-too-long"), ==, 1);

  /* allowed by the option: an entity with a hashed id, no crash */
  g_autoptr (GError) error = NULL;
  ElContext *big = el_context_new (ENTITY_LINK_BUILD_KB, NULL, TRUE, 65536, &error);
  g_assert_no_error (error);
  g_autoptr (QuarryDocument) b = link_tagged (big, text->str, NULL);
  g_assert_cmpuint (n_entities (b), ==, 1);
  g_assert_true (g_str_has_prefix (span_entity (b, 0), "PER:h"));
  g_assert_cmpuint (strlen (span_entity (b, 0)), ==, 4 + 17);
  el_context_free (big);
}

static void
test_bad_utf8 (void)
{
  /* invalid bytes become U+FFFD (as a document repairs them); such a mention stands alone */
  static const char text[] = "[PER Lav\xffrov ] ; [LOC Rus\xc3sia ] ; [PER \xcc\x81\xcc\x81 ] ; [LOC \xef\xbf\xbd ] ; [MISC \xe2\x80\x99s ]";
  g_autoptr (QuarryDocument) doc = link_tagged (NULL, text, NULL);
  g_assert_cmpuint (n_entities (doc), ==, 2);
  g_assert_true (g_str_has_prefix (span_entity (doc, 0), "PER:h"));  /* no ASCII slug: hashed */
  g_assert_true (g_str_has_prefix (span_entity (doc, 1), "LOC:h"));
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "empty-mention"), ==, 3);

  /* straight into the cleaner: bytes the document would never hold */
  ElCleanInfo info = { 0 };
  g_autofree char *out = el_clean_mention ("Lav\xffrov\0’s", 11, &info);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  el_clean_info_clear (&info);
}

/* ---- the seed: hand-checked entity list (tests/data/entity-link/README.md) ---- */

static void
check_seed_spans (QuarryDocument *doc)
{
  guint n = 0;
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *s = quarry_document_get_span (doc, i);
      if (strcmp (s->layer, "entity"))
        continue;
      n++;
      g_assert_nonnull (attr_str (s->attrs, "entity"));
      g_assert_nonnull (entity_by_id (doc, attr_str (s->attrs, "entity")));
    }
  g_assert_cmpuint (n, ==, 171);
}

/* GOR, Georgia and Washington are ambiguous (only Washington has no context); five label
 * disagreements: MISC Miliband’s, ORG NPT, LOC MEPP, ORG FMCT, MISC Russia’s. */
static void
check_seed_diagnostics (QuarryDocument *doc)
{
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "ambiguous-link"), ==, 3);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "label-mismatch"), ==, 5);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "ambiguous-surname"), ==, 0);
  g_assert_cmpuint (quarry_test_count_diagnostics (doc, "empty-mention"), ==, 0);
  for (guint i = 0; i < quarry_document_get_n_diagnostics (doc); i++)
    {
      const QuarryDiagnostic *d = quarry_document_get_diagnostic (doc, i);
      if (g_strcmp0 (d->stage, "entity-link") == 0 && d->level >= QUARRY_DIAGNOSTIC_WARNING)
        g_assert_nonnull (strstr (d->message, "'Washington'"));
    }
}

static void
test_seed_own_reader (void)
{
  g_autofree char *path = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  if (!path)
    {
      g_test_skip ("../shared is not there");
      return;
    }
  g_autofree char *seed = quarry_test_read_file (path, NULL);
  const char *const tags[] = { "PREL", "PGOV", "ETRD", "SENV", "IR", "AF", "UK", "RS", NULL };
  g_autoptr (QuarryDocument) doc = link_tagged (NULL, seed, tags);
  g_autofree char *expected = harness_data_path ("entity-link", "seed-entities.json", NULL);
  quarry_assert_golden_json (quarry_document_get_entities (doc), expected);
  check_seed_spans (doc);
  check_seed_diagnostics (doc);
}

/* The seed through the real stages: tag-decode alone, and the default cables chain. */
static void
test_seed_pipeline (void)
{
  static const char *const chains[] = { "tag-decode;entity-link", "html-strip;header-parse;tag-decode;entity-link" };
  g_autofree char *path = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  guint ran = 0;

  if (!path)
    {
      g_test_skip ("../shared is not there");
      return;
    }
  gsize len = 0;
  g_autofree char *seed = quarry_test_read_file (path, &len);
  for (gsize c = 0; c < G_N_ELEMENTS (chains); c++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = %s\n[entity-link]\nkb = %s\n",
                                              chains[c], ENTITY_LINK_BUILD_KB);
      g_autoptr (QuarryHarness) pipeline = quarry_harness_try_new (ini, &error);
      /* every stage of the chain is built with this one: a chain that cannot be set up fails */
      g_assert_no_error (error);
      g_assert_nonnull (pipeline);
      g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline, "09MOSCOW2734", seed, len, "text/html");
      g_autofree char *expected = harness_data_path ("entity-link", "seed-entities.json", NULL);
      quarry_assert_golden_json (quarry_document_get_entities (doc), expected);
      check_seed_spans (doc);
      check_seed_diagnostics (doc);
      ran++;
    }
  g_assert_cmpuint (ran, ==, G_N_ELEMENTS (chains));
}

/* ---- threads: one context, several documents at once ---- */

typedef struct {
  const char *tagged;
  char       *json;   /* the record, as JSON text */
} ThreadJob;

static gpointer
thread_run (gpointer data)
{
  ThreadJob *job = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (QuarryDocument) doc = doc_from_tagged ("t", job->tagged, NULL);
  if (!el_context_process (ctx_default (), NULL, doc, &error))
    return NULL;
  json_object *rec = quarry_test_record (doc);
  job->json = g_strdup (json_object_to_json_string_ext (rec, JSON_C_TO_STRING_PLAIN));
  json_object_put (rec);
  return job;
}

static void
test_threads (void)
{
  static const char *const texts[] = {
    "[PER David Miliband ] and [PER Miliband ] in [LOC Georgia ] with [LOC Alabama ]",
    "[ORG GOR ] ; [LOC Russia ] ; [MISC Russian ] ; [PER Sergey Lavrov ] ; [PER Lavrov ]",
    "[LOC Washington ] ; [ORG NPT ] ; [MISC Georgian-Russian ] ; [LOC Georgia ]",
    "[PER John Smith ] [PER Jane Smith ] [PER Smith ] [ORG Foo ( F ] [ORG F ]",
  };
  const ElContext *ctx = ctx_default ();
  ThreadJob jobs[32];
  GThread *threads[32];
  char *serial[G_N_ELEMENTS (texts)] = { NULL };

  g_assert_nonnull (ctx);
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      ThreadJob job = { texts[i], NULL };
      thread_run (&job);
      serial[i] = job.json;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i] = (ThreadJob) { texts[i % G_N_ELEMENTS (texts)], NULL };
      threads[i] = g_thread_new ("link", thread_run, &jobs[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_assert_nonnull (g_thread_join (threads[i]));
      g_assert_cmpstr (jobs[i].json, ==, serial[i % G_N_ELEMENTS (texts)]);
      g_free (jobs[i].json);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    g_free (serial[i]);
}

/* ---- the quarry-kb command ---- */

static char *
run_kb (int *status, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) QUARRY_KB_BIN);
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, status, &error));
  g_assert_no_error (error);
  return g_strconcat (out, err, NULL);
}

static void
test_quarry_kb (void)
{
  int status = 0;
  g_autofree char *tsv = write_temp ("people.tsv",
      "# people\nSergey Lavrov\tper:sergey-lavrov\tname\tSergey Lavrov\tPER\tperson\tiso:RU\n"
      "Lavrov\tper:sergey-lavrov\tsurname\n", -1);
  g_autofree char *more = write_temp ("more.tsv", "S. Lavrov\tper:sergey-lavrov\talias\n", -1);
  g_autofree char *bad = write_temp ("bad.tsv", "Lavrov\tper:nobody\talias\n", -1);
  g_autofree char *dir = g_path_get_dirname (tsv);
  g_autofree char *kb = g_build_filename (dir, "my.sqlite", NULL);

  /* the default KB plus a user's file */
  g_autofree char *o1 = run_kb (&status, "build", "-o", kb, "--base", ENTITY_LINK_BUILD_KB, tsv, NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree char *count = g_strdup_printf ("%u entries", ctx_default ()->n_entries + 1);
  g_assert_nonnull (strstr (o1, count));
  g_autofree char *o2 = run_kb (&status, "add", kb, more, NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree char *o3 = run_kb (&status, "lookup", kb, "S. LAVROV", "Georgia", NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (o3, "per:sergey-lavrov\tSergey Lavrov\tPER\tperson\talias\t90"));
  g_assert_nonnull (strstr (o3, "iso:US-GA\tGeorgia\tLOC\tstate\tname\t90"));

  /* errors name the file and line, and leave the KB as it was */
  g_autofree char *o4 = run_kb (&status, "add", kb, bad, NULL);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_autofree char *where = g_strdup_printf ("%s:1: entity per:nobody", bad);
  g_assert_nonnull (strstr (o4, where));
  g_autofree char *o5 = run_kb (&status, "lookup", kb, "Lavrov", NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_autofree char *o6 = run_kb (&status, "lookup", "/nonexistent.sqlite", "x", NULL);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (o6, "/nonexistent.sqlite does not exist"));
  g_autofree char *o7 = run_kb (&status, "frobnicate", NULL);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (o7, "usage"));

  /* and the plugin reads what it wrote */
  g_autoptr (GError) error = NULL;
  ElContext *ctx = el_context_new (kb, NULL, TRUE, 256, &error);
  g_assert_no_error (error);
  g_autoptr (QuarryDocument) doc = link_tagged (ctx, "[PER S. Lavrov ] in [LOC Moscow ]", NULL);
  g_assert_cmpstr (span_entity (doc, 0), ==, "per:sergey-lavrov");
  g_assert_cmpstr (span_entity (doc, 1), ==, "city:ru-moscow");
  el_context_free (ctx);
  g_unlink (kb);
  remove_temp (more);
  remove_temp (bad);
  remove_temp (tsv);
}

/* The seed through the default config, configs/cables.ini, as `quarry run` would do it. */
static void
test_seed_cables_config (void)
{
  g_autofree char *path = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  g_autofree char *config = g_test_build_filename (G_TEST_DIST, "..", "configs", "cables.ini", NULL);
  g_autofree char *kb = g_strdup_printf ("entity-link.kb=%s", ENTITY_LINK_BUILD_KB);
  const char *const overrides[] = { kb, NULL };
  g_autoptr (GError) error = NULL;

  if (!path)
    {
      g_test_skip ("../shared is not there");
      return;
    }
  QuarryConfig *cfg = quarry_config_new_from_file (config, quarry_test_registry (), overrides, &error);
  g_assert_no_error (error);  /* a chain that cannot be set up fails the test */
  QuarryHarness *pipeline = quarry_harness_new_for_config (cfg);
  gsize len = 0;
  g_autofree char *seed = quarry_test_read_file (path, &len);
  g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline, "09MOSCOW2734", seed, len, "text/html");
  g_autofree char *expected = harness_data_path ("entity-link", "seed-entities.json", NULL);
  quarry_assert_golden_json (quarry_document_get_entities (doc), expected);
  check_seed_spans (doc);
  check_seed_diagnostics (doc);
  quarry_harness_free (pipeline);
}

/* ---- the plugin through the host ---- */

static void
test_plugin_setup_errors (void)
{
  g_autofree char *extra = g_strdup_printf ("kb = %s\naliases = /nonexistent/more.tsv\n", ENTITY_LINK_BUILD_KB);
  const char *const cases[][2] = {
    { "kb = /nonexistent/kb.sqlite\n", "/nonexistent/kb.sqlite" },
    { extra, "/nonexistent/more.tsv" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      const char *group = cases[i][0];
      g_autofree char *ini = g_strdup_printf ("[pipeline]\nstages = tag-decode;entity-link\n[entity-link]\n%s", group);
      g_autoptr (QuarryHarness) p = quarry_harness_try_new (ini, &error);
      g_assert_null (p);
      g_assert_nonnull (error);
      if (!strstr (error->message, "entity-link") && !strstr (error->message, "tag-decode"))
        g_error ("unexpected: %s", error->message);
      if (!strstr (error->message, cases[i][1]))
        g_error ("'%s' not in the error: %s", cases[i][1], error->message);
    }
}

/* The string map against GHashTable: random keys (prefixes of each other, embedded
 * NUL bytes), lookups of absent keys, clearing and reuse, and the shrink after a
 * huge round. */
static void
test_map (void)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (7);
  g_autoptr (GStringChunk) chunk = g_string_chunk_new (4096);
  ElMap map;

  el_map_init (&map);
  g_assert_null (el_map_lookup (&map, "x", 1));
  for (int round = 0; round < 6; round++)
    {
      guint n = round == 3 ? 20000 : g_rand_int_range (r, 0, 300);
      g_autoptr (GHashTable) ref = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                          (GDestroyNotify) g_bytes_unref, NULL);
      for (guint i = 0; i < n; i++)
        {
          char buf[12];
          gsize len = g_rand_int_range (r, 0, sizeof buf);
          for (gsize k = 0; k < len; k++)
            buf[k] = "ab\0c"[g_rand_int_range (r, 0, 4)];
          const char *key = g_string_chunk_insert_len (chunk, buf, len);
          gpointer *slot = el_map_slot (&map, key, len);
          GBytes *b = g_bytes_new (buf, len);
          gpointer want = g_hash_table_lookup (ref, b);
          g_assert_true (*slot == want);
          if (!want)
            {
              *slot = GUINT_TO_POINTER (i + 1);
              g_hash_table_insert (ref, g_bytes_ref (b), *slot);
            }
          g_bytes_unref (b);
        }
      g_assert_cmpuint (map.n, ==, g_hash_table_size (ref));
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, ref);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          gsize len;
          const char *data = g_bytes_get_data (k, &len);
          g_assert_true (el_map_lookup (&map, data, len) == v);
        }
      g_assert_null (el_map_lookup (&map, "abcabcabcabcz", 13));
      el_map_clear (&map);
      g_assert_cmpuint (map.n, ==, 0);
      g_assert_null (el_map_lookup (&map, "", 0));
      if (round == 3)
        g_assert_null (map.slots);  /* the huge round's table was let go */
    }
  el_map_destroy (&map);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/entity-link/normalize/clean", test_clean);
  g_test_add_func ("/entity-link/map", test_map);
  g_test_add_func ("/entity-link/normalize/key", test_key);
  g_test_add_func ("/entity-link/normalize/slug", test_slug);
  g_test_add_func ("/entity-link/kb/default", test_kb_default);
  g_test_add_func ("/entity-link/kb/missing", test_kb_missing);
  g_test_add_func ("/entity-link/kb/corrupt", test_kb_corrupt);
  g_test_add_func ("/entity-link/kb/tsv-errors", test_kb_tsv_errors);
  g_test_add_func ("/entity-link/kb/user", test_kb_user);
  g_test_add_func ("/entity-link/kb/checksum", test_kb_checksum);
  g_test_add_func ("/entity-link/kb/empty", test_kb_empty);
  g_test_add_func ("/entity-link/coref/surname", test_coref_surname);
  g_test_add_func ("/entity-link/coref/shared-surname", test_coref_shared_surname);
  g_test_add_func ("/entity-link/coref/titles", test_coref_titles);
  g_test_add_func ("/entity-link/coref/people-first", test_coref_people_first);
  g_test_add_func ("/entity-link/coref/unlinked", test_coref_unlinked);
  g_test_add_func ("/entity-link/link/demonyms", test_link_demonyms);
  g_test_add_func ("/entity-link/link/acronyms", test_link_acronyms);
  g_test_add_func ("/entity-link/link/label-mismatch", test_label_mismatch);
  g_test_add_func ("/entity-link/ambiguity/georgia", test_georgia);
  g_test_add_func ("/entity-link/ambiguity/governments", test_government_acronyms);
  g_test_add_func ("/entity-link/ids/stable", test_ids_stable);
  g_test_add_func ("/entity-link/bad/empty-mention", test_bad_empty);
  g_test_add_func ("/entity-link/bad/long-mention", test_bad_long);
  g_test_add_func ("/entity-link/bad/utf8", test_bad_utf8);
  g_test_add_func ("/entity-link/seed/own-reader", test_seed_own_reader);
  g_test_add_func ("/entity-link/seed/pipeline", test_seed_pipeline);
  g_test_add_func ("/entity-link/seed/cables-config", test_seed_cables_config);
  g_test_add_func ("/entity-link/plugin/setup-errors", test_plugin_setup_errors);
  g_test_add_func ("/entity-link/threads", test_threads);
  g_test_add_func ("/entity-link/quarry-kb", test_quarry_kb);
  int status = g_test_run ();
  el_worker_free (shared_worker);
  el_context_free (shared_ctx);
  return status;
}
