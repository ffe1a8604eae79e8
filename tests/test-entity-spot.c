/* test-entity-spot.c: tests of the entity-spot plugin: hand-annotated cases, header names, modes, bad input, the seed. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "document-private.h"
#include "harness.h"
#include "es-spot.h"


#define INI_SPOT "[pipeline]\nstages = entity-spot\n"

/* ---- helpers ---- */

static GHashTable *pipelines;

static QuarryHarness *
pipeline_for (const char *ini)
{
  QuarryHarness *p = g_hash_table_lookup (pipelines, ini);
  if (p == NULL)
    {
      p = quarry_harness_new (ini);
      g_hash_table_insert (pipelines, g_strdup (ini), p);
    }
  return p;
}

typedef struct {
  gsize start, end;
  char *label;
  char *source;   /* (nullable) the expected spotted_by */
} Mention;

static void
mention_clear (gpointer p)
{
  Mention *m = p;
  g_free (m->label);
  g_free (m->source);
}

/* "[LOC/gazetteer Moscow]" markup (written by hand) to text and expected mentions. */
static char *
parse_case (const char *marked, GArray *expected)
{
  GString *text = g_string_new (NULL);
  for (const char *p = marked; *p;)
    {
      if (*p == '[' && g_ascii_isupper (p[1]))
        {
          const char *sp = strchr (p, ' '), *close = strchr (p, ']');
          g_assert_nonnull (sp);
          g_assert_nonnull (close);
          g_autofree char *head = g_strndup (p + 1, sp - p - 1);
          char *slash = strchr (head, '/');
          Mention m = { text->len, 0, NULL, NULL };
          if (slash)
            {
              *slash = '\0';
              m.source = g_strdup (slash + 1);
            }
          m.label = g_strdup (head);
          g_string_append_len (text, sp + 1, close - sp - 1);
          m.end = text->len;
          g_array_append_val (expected, m);
          p = close + 1;
          continue;
        }
      g_string_append_c (text, *p++);
    }
  return g_string_free (text, FALSE);
}

/* "start-end LABEL/source 'text'" lines: the same form for both sides of a comparison. */
static char *
describe_spans (QuarryDocument *doc)
{
  GString *out = g_string_new (NULL);
  const char *text = quarry_document_get_text (doc, NULL);
  const char *ENTITY = g_intern_static_string ("entity");
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (doc, i);
      if (s->layer != ENTITY)
        continue;
      json_object *by = NULL;
      g_assert_true (quarry_document_span_get_attr (doc, i, "spotted_by", &by));
      g_string_append_printf (out, "%" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT " %s/%s '%.*s'\n",
                              s->start, s->end, s->label, json_object_get_string (by),
                              (int) (s->end - s->start), text + s->start);
    }
  return g_string_free (out, FALSE);
}

static char *
describe_expected (const char *text, GArray *expected, QuarryDocument *doc)
{
  GString *out = g_string_new (NULL);
  const char *ENTITY = g_intern_static_string ("entity");
  for (guint i = 0; i < expected->len; i++)
    {
      const Mention *m = &g_array_index (expected, Mention, i);
      const char *source = m->source;
      /* no source written: accept the one the program gave that mention */
      for (guint k = 0; !source && k < quarry_document_get_n_spans (doc); k++)
        {
          const QuarrySpan *s = quarry_document_peek_span (doc, k);
          json_object *by = NULL;
          if (s->layer == ENTITY && s->start == m->start && s->end == m->end &&
              quarry_document_span_get_attr (doc, k, "spotted_by", &by))
            source = json_object_get_string (by);
        }
      g_string_append_printf (out, "%" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT " %s/%s '%.*s'\n",
                              m->start, m->end, m->label, source ? source : "?",
                              (int) (m->end - m->start), text + m->start);
    }
  return g_string_free (out, FALSE);
}

/* ---- hand-annotated cases ---- */

static void
test_cases (void)
{
  g_autofree char *path = harness_data_path ("entity-spot", "cases.txt", NULL);
  g_autofree char *data = quarry_test_read_file (path, NULL);
  g_auto (GStrv) paras = g_strsplit (data, "\n\n", -1);
  guint n_cases = 0;

  for (guint i = 0; paras[i]; i++)
    {
      /* drop comment lines; what is left is the case */
      g_auto (GStrv) lines = g_strsplit (paras[i], "\n", -1);
      g_autoptr (GString) body = g_string_new (NULL);
      for (guint l = 0; lines[l]; l++)
        if (lines[l][0] != '#' && lines[l][0])
          g_string_append_printf (body, "%s%s", body->len ? "\n" : "", lines[l]);
      if (!body->len)
        continue;
      g_autoptr (GArray) expected = g_array_new (FALSE, FALSE, sizeof (Mention));
      g_array_set_clear_func (expected, mention_clear);
      g_autofree char *text = parse_case (body->str, expected);
      g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline_for (INI_SPOT), "case", text, -1, NULL);
      g_autofree char *got = describe_spans (doc);
      g_autofree char *want = describe_expected (text, expected, doc);
      if (strcmp (got, want))
        g_test_message ("case:\n%s\nexpected:\n%sgot:\n%s", text, want, got);
      g_assert_cmpstr (got, ==, want);
      n_cases++;
    }
  g_assert_cmpuint (n_cases, >=, 10);
}

/* ---- names from the header fields ---- */

static QuarryDocument *
doc_with_header (const char *text, const char *const *signers, const char *classified_by)
{
  QuarryDocument *doc = quarry_document_new ("hdr", text, strlen (text), NULL);
  json_object *header = quarry_document_get_fields (doc, "header");
  if (signers)
    {
      json_object *list = json_object_new_array ();
      for (guint i = 0; signers[i]; i++)
        json_object_array_add (list, json_object_new_string (signers[i]));
      json_object_object_add (header, "signers", list);
    }
  if (classified_by)
    {
      json_object *list = json_object_new_array (), *o = json_object_new_object ();
      json_object_object_add (o, "name", json_object_new_string (classified_by));
      json_object_array_add (list, o);
      json_object_object_add (header, "classified_by", list);
    }
  return doc;
}

static void
test_header_names (void)
{
  static const char text[] =
    "Classified By: Political MC Susan M. Elliott for reasons 1.4 (b) and (d).\n"
    "Elliott met them.\nBEYRLE\n";      /* the signature: a line of its own */
  const char *const signers[] = { "Beyrle", NULL };
  g_autoptr (QuarryDocument) doc = doc_with_header (text, signers, "Susan M. Elliott");
  QuarryResult r = quarry_pipeline_process (quarry_harness_get_pipeline (pipeline_for (INI_SPOT)), doc, NULL);
  g_assert_cmpint (r, ==, QUARRY_RESULT_OK);
  g_autofree char *got = describe_spans (doc);
  g_assert_cmpstr (got, ==,
                   "28-44 PER/header 'Susan M. Elliott'\n"
                   "74-81 PER/propagated 'Elliott'\n"
                   "92-98 PER/header 'BEYRLE'\n");

  /* use-header = false: the header is not read */
  g_autoptr (QuarryDocument) off = doc_with_header (text, signers, "Susan M. Elliott");
  r = quarry_pipeline_process (quarry_harness_get_pipeline (pipeline_for (INI_SPOT "[entity-spot]\nuse-header = false\n")), off, NULL);
  g_assert_cmpint (r, ==, QUARRY_RESULT_OK);
  g_autofree char *none = describe_spans (off);
  g_assert_cmpstr (none, ==, "");
}

/* ---- page breaks: no mention inside or across one ---- */

static void
test_page_break (void)
{
  static const char text[] = "talks on the Middle\nMOSCOW 00002734 002 OF 003\nEast in Moscow";
  g_autoptr (QuarryDocument) doc = quarry_document_new ("pb", text, strlen (text), NULL);
  const char *pb = strstr (text, "MOSCOW");
  g_assert_cmpint (quarry_document_add_span (doc, "page-break", NULL, pb - text, pb - text + 26, NULL, NULL), >=, 0);
  g_assert_cmpint (quarry_pipeline_process (quarry_harness_get_pipeline (pipeline_for (INI_SPOT)), doc, NULL), ==, QUARRY_RESULT_OK);
  g_autofree char *got = describe_spans (doc);
  g_assert_cmpstr (got, ==, "55-61 LOC/gazetteer 'Moscow'\n");
}

/* ---- modes ---- */

static void
test_modes (void)
{
  static const char text[] = "Lavrov went to Moscow and Paris.";
  /* fill: a document with an entity span (inline markup) is left as it is */
  for (guint mode = 0; mode < 3; mode++)
    {
      static const char *const inis[] = {
        INI_SPOT, INI_SPOT "[entity-spot]\nmode = replace\n", INI_SPOT "[entity-spot]\nmode = off\n" };
      g_autoptr (QuarryDocument) doc = quarry_document_new ("m", text, strlen (text), NULL);
      g_assert_cmpint (quarry_document_add_span (doc, "entity", "LOC", 15, 21, NULL, NULL), >=, 0);
      g_assert_cmpint (quarry_pipeline_process (quarry_harness_get_pipeline (pipeline_for (inis[mode])), doc, NULL), ==, QUARRY_RESULT_OK);
      guint n = 0;
      for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
        n += !strcmp (quarry_document_peek_span (doc, i)->layer, "entity");
      /* replace: Paris is added, Moscow not twice */
      g_assert_cmpuint (n, ==, mode == 1 ? 2 : 1);
    }
  /* fill on a document without entity spans spots it; off does nothing */
  g_autoptr (QuarryDocument) plain = quarry_harness_run (pipeline_for (INI_SPOT), "p", text, -1, NULL);
  g_autofree char *got = describe_spans (plain);
  g_assert_cmpstr (got, ==, "15-21 LOC/gazetteer 'Moscow'\n26-31 LOC/gazetteer 'Paris'\n");
  g_autoptr (QuarryDocument) off = quarry_harness_run (pipeline_for (INI_SPOT "[entity-spot]\nmode = off\n"), "o", text, -1, NULL);
  g_assert_cmpuint (quarry_document_get_n_spans (off), ==, 0);
}

/* ---- provenance: the checksums of what was loaded ---- */

static void
test_provenance (void)
{
  json_object *prov = quarry_pipeline_get_provenance (quarry_harness_get_pipeline (pipeline_for (INI_SPOT)));
  json_object *stages = NULL, *data = NULL;
  g_assert_true (json_object_object_get_ex (prov, "stages", &stages));
  g_assert_true (json_object_object_get_ex (json_object_array_get_idx (stages, 0), "data", &data));
  static const char *const keys[] = { "kb_sha256", "cues_sha256", "heads_sha256", "non_names_sha256",
                                      "common_words_sha256" };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      json_object *v = NULL;
      g_assert_true (json_object_object_get_ex (data, keys[i], &v));
      const char *hex = json_object_get_string (v);
      g_assert_cmpuint (strlen (hex), ==, 64);
      for (const char *c = hex; *c; c++)
        g_assert_true (g_ascii_isxdigit (*c));
    }
  /* the cue list's sum is the file's own */
  g_autofree char *cues = g_build_filename (g_getenv ("QUARRY_ENTITY_SPOT_DATA"), "cues.txt", NULL);
  gsize len = 0;
  g_autofree char *bytes = quarry_test_read_file (cues, &len);
  g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes, len);
  json_object *v = NULL;
  json_object_object_get_ex (data, "cues_sha256", &v);
  g_assert_cmpstr (json_object_get_string (v), ==, sum);
}

/* ---- bad input ---- */

/* 10 MB of one name: linear work, and every mention found (the oracle: the count written). */
static void
test_repeated_name (void)
{
  static const char head[] = "Foreign Minister Sergey Lavrov arrived. ";
  static const char unit[] = "Lavrov ";
  gsize target = 10 << 20, n = (target - strlen (head)) / strlen (unit);
  GString *text = g_string_sized_new (target + 64);
  g_string_append (text, head);
  for (gsize i = 0; i < n; i++)
    g_string_append (text, unit);
  g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline_for (INI_SPOT), "big", text->str, text->len, NULL);
  g_string_free (text, TRUE);
  guint per = 0;
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    per += !strcmp (quarry_document_peek_span (doc, i)->label, "PER");
  /* "Sergey Lavrov" after the cue, then each "Lavrov" */
  g_assert_cmpuint (per, ==, n + 1);

  /* the same name with no cue: two capitalized words make a name, a run of them does not */
  GString *run = g_string_new (NULL);
  for (gsize i = 0; i < (1 << 20) / 7; i++)
    g_string_append (run, unit);
  g_autoptr (QuarryDocument) doc2 = quarry_harness_run (pipeline_for (INI_SPOT), "run", run->str, run->len, NULL);
  g_string_free (run, TRUE);
  g_assert_cmpuint (quarry_document_get_n_spans (doc2), ==, 0);
}

/* Only capital letters: words of random capitals, one endless word, single letters. */
static void
test_capitals (void)
{
  GRand *rand = g_rand_new_with_seed (13);
  GString *text = g_string_new (NULL);
  for (guint i = 0; i < 200000; i++)
    {
      guint len = g_rand_int_range (rand, 1, 9);
      for (guint k = 0; k < len; k++)
        g_string_append_c (text, 'A' + g_rand_int_range (rand, 0, 26));
      g_string_append_c (text, i % 13 == 12 ? '\n' : ' ');
    }
  g_rand_free (rand);
  g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline_for (INI_SPOT), "caps", text->str, text->len, NULL);
  /* every span is a whole word of the text (checked against the bytes) */
  const char *t = quarry_document_get_text (doc, NULL);
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (doc, i);
      g_assert_cmpuint (s->end, >, s->start);
      g_assert_true (s->start == 0 || t[s->start - 1] == ' ' || t[s->start - 1] == '\n');
      g_assert_true (t[s->end] == ' ' || t[s->end] == '\n');
      for (gsize k = s->start; k < s->end; k++)
        g_assert_true (g_ascii_isupper (t[k]) || t[k] == ' ' || t[k] == '\n');
    }
  g_string_free (text, TRUE);

  GString *one = g_string_new (NULL);
  for (guint i = 0; i < (1 << 20); i++)
    g_string_append_c (one, 'A' + i % 26);
  g_autoptr (QuarryDocument) doc2 = quarry_harness_run (pipeline_for (INI_SPOT), "one", one->str, one->len, NULL);
  g_assert_cmpuint (quarry_document_get_n_spans (doc2), ==, 0);
  g_string_free (one, TRUE);
}

static char *
write_temp (const char *name, const char *data, gssize len)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (g_get_tmp_dir (), name, NULL);
  g_assert_true (g_file_set_contents (path, data, len, &error));
  g_assert_no_error (error);
  return path;
}

static char *
setup_error (const char *group)
{
  g_autofree char *ini = g_strdup_printf (INI_SPOT "[entity-spot]\n%s\n", group);
  GError *error = NULL;
  QuarryHarness *p = quarry_harness_try_new (ini, &error);
  g_assert_null (p);
  g_assert_nonnull (error);
  char *msg = g_strdup (error->message);
  g_error_free (error);
  return msg;
}

static void
test_alias_files (void)
{
  g_autofree char *tag = g_strdup_printf ("es-%d", (int) getpid ());
  /* duplicates and empty lines: fine, one mention */
  static const char dup[] =
    "# people of this test\n\n"
    "Zorgan Pelletier\tper:zp\tname\tZorgan Pelletier\tPER\tperson\n"
    "\n"
    "Zorgan Pelletier\tper:zp\tname\tZorgan Pelletier\tPER\tperson\n"
    "Pelletier Bank\torg:pb\tname\tPelletier Bank\tORG\n"
    "Pelletier Bank\torg:pb\tname\n";
  g_autofree char *dup_name = g_strconcat (tag, "-dup.tsv", NULL);
  g_autofree char *dup_path = write_temp (dup_name, dup, -1);
  g_autofree char *ini = g_strdup_printf (INI_SPOT "[entity-spot]\naliases = %s\n", dup_path);
  g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline_for (ini), "a", "Zorgan Pelletier met the Pelletier Bank.", -1, NULL);
  g_autofree char *got = describe_spans (doc);
  g_assert_cmpstr (got, ==, "0-16 PER/gazetteer 'Zorgan Pelletier'\n25-39 ORG/gazetteer 'Pelletier Bank'\n");

  /* invalid UTF-8: a set-up error that names the file */
  g_autofree char *bad_name = g_strconcat (tag, "-bad.tsv", NULL);
  g_autofree char *bad_path = write_temp (bad_name, "Zorgan\xff\tper:z\tname\tZ\tPER\n", -1);
  g_autofree char *g1 = g_strdup_printf ("aliases = %s", bad_path);
  g_autofree char *m1 = setup_error (g1);
  g_assert_nonnull (strstr (m1, bad_path));
  g_assert_nonnull (strstr (m1, "UTF-8"));

  /* a line of the wrong shape: file and line */
  g_autofree char *short_name = g_strconcat (tag, "-short.tsv", NULL);
  g_autofree char *short_path = write_temp (short_name, "# x\nZorgan\tper:z\n", -1);
  g_autofree char *g2 = g_strdup_printf ("aliases = %s", short_path);
  g_autofree char *m2 = setup_error (g2);
  g_assert_nonnull (strstr (m2, short_path));
  g_assert_nonnull (strstr (m2, ":2"));

  /* a data file: invalid UTF-8 with its line; a missing one with its path */
  g_autofree char *cue_name = g_strconcat (tag, "-cues.txt", NULL);
  g_autofree char *cue_path = write_temp (cue_name, "# cues\nPresident\nMinis\xc3ter\n", -1);
  g_autofree char *g3 = g_strdup_printf ("cues = %s", cue_path);
  g_autofree char *m3 = setup_error (g3);
  g_assert_nonnull (strstr (m3, cue_path));
  g_assert_nonnull (strstr (m3, ":3: not valid UTF-8"));
  g_autofree char *m4 = setup_error ("common-words = /nonexistent/common-words.txt");
  g_assert_nonnull (strstr (m4, "/nonexistent/common-words.txt"));
  g_autofree char *heads_name = g_strconcat (tag, "-heads.txt", NULL);
  g_autofree char *heads_path = write_temp (heads_name, "Party\tsufix\n", -1);
  g_autofree char *g5 = g_strdup_printf ("heads = %s", heads_path);
  g_autofree char *m5 = setup_error (g5);
  g_assert_nonnull (strstr (m5, ":1: unknown role 'sufix'"));

  const char *const made[] = { dup_path, bad_path, short_path, cue_path, heads_path };
  for (guint i = 0; i < G_N_ELEMENTS (made); i++)
    g_unlink (made[i]);
}

/* The common-word list decides what is no name: a word in it twice is one word, a
 * word that another list has too ("of", a connector) keeps both roles. */
static void
test_common_words (void)
{
  static const char text[] = "They met Quentin Farrowby in Paris.";
  g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline_for (INI_SPOT), "a", text, -1, NULL);
  g_autofree char *got = describe_spans (doc);
  g_assert_cmpstr (got, ==, "9-25 PER/pattern 'Quentin Farrowby'\n29-34 LOC/gazetteer 'Paris'\n");

  g_autofree char *name = g_strdup_printf ("es-%d-common.txt", (int) getpid ());
  g_autofree char *path = write_temp (name, "# test\nquentin\nof\nquentin\n", -1);
  g_autofree char *ini = g_strdup_printf (INI_SPOT "[entity-spot]\ncommon-words = %s\n", path);
  g_autoptr (QuarryDocument) doc2 = quarry_harness_run (pipeline_for (ini), "a", text, -1, NULL);
  g_autofree char *got2 = describe_spans (doc2);
  g_assert_cmpstr (got2, ==, "29-34 LOC/gazetteer 'Paris'\n");
  g_autoptr (QuarryDocument) doc3 = quarry_harness_run (pipeline_for (ini), "b", "the Ministry of Foreign Affairs", -1, NULL);
  g_autofree char *got3 = describe_spans (doc3);
  g_assert_cmpstr (got3, ==, "4-31 ORG/pattern 'Ministry of Foreign Affairs'\n");
  g_unlink (path);
}

/* ---- threads: one pipeline, documents on several threads at once ---- */

typedef struct {
  QuarryHarness *pipeline;
  const char     *text;
  char           *result;
} ThreadJob;

static gpointer
spot_thread (gpointer data)
{
  ThreadJob *job = data;
  GString *all = g_string_new (NULL);
  for (guint i = 0; i < 50; i++)
    {
      QuarryDocument *doc = quarry_document_new ("t", job->text, strlen (job->text), NULL);
      g_assert_cmpint (quarry_pipeline_process (quarry_harness_get_pipeline (job->pipeline), doc, NULL), ==, QUARRY_RESULT_OK);
      g_autofree char *got = describe_spans (doc);
      if (i == 0)
        g_string_append (all, got);
      else
        g_assert_cmpstr (got, ==, all->str);
      quarry_document_free (doc);
    }
  job->result = g_string_free (all, FALSE);
  return NULL;
}

static void
test_threads (void)
{
  /* texts of different lengths, so the threads' buffers from the pool change hands */
  static const char *const texts[] = {
    "Foreign Minister Sergey Lavrov met the Ministry of Foreign Affairs in Moscow; Lavrov left.",
    "TAGS PREL, RS\nAmbassador Beyrle went to Tbilisi and Georgia with the U.S. delegation.",
    "He also met Mikhail Gorbachev and later Gorbachev again in Helmand Province.",
    "The GOR told the USG nothing new about NATO, the EU or the OSCE in Vienna.",
  };
  QuarryHarness *p = pipeline_for (INI_SPOT);
  ThreadJob jobs[8];
  GThread *threads[8];
  for (guint i = 0; i < 8; i++)
    {
      jobs[i] = (ThreadJob) { p, texts[i % 4], NULL };
      threads[i] = g_thread_new ("spot", spot_thread, &jobs[i]);
    }
  for (guint i = 0; i < 8; i++)
    g_thread_join (threads[i]);
  /* each text gives the same spans on every thread as alone */
  for (guint i = 0; i < 8; i++)
    {
      g_autoptr (QuarryDocument) doc = quarry_harness_run (p, "alone", texts[i % 4], -1, NULL);
      g_autofree char *alone = describe_spans (doc);
      g_assert_cmpstr (jobs[i].result, ==, alone);
      g_assert_cmpstr (jobs[i].result, !=, "");
      g_free (jobs[i].result);
    }
}

/* ---- the seed: the raw page scored against the tagged seed's own tags ---- */

static GHashTable *
mention_counts (QuarryDocument *doc)
{
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *text = quarry_document_get_text (doc, NULL);
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    {
      const QuarrySpan *s = quarry_document_peek_span (doc, i);
      if (strcmp (s->layer, "entity"))
        continue;
      char *key = g_strdup_printf ("%s\t%.*s", s->label, (int) (s->end - s->start), text + s->start);
      g_hash_table_insert (counts, key, GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1));
    }
  return counts;
}

static void
test_seed_check (void)
{
  g_autofree char *raw_path = harness_shared_path ("corpus/cables/2009/11/09MOSCOW2734.html");
  g_autofree char *seed_path = harness_shared_path ("seed/09MOSCOW2734-tagged.html");
  if (!raw_path || !seed_path)
    {
      g_test_skip ("../shared is not there");
      return;
    }
  gsize raw_len = 0, seed_len = 0;
  g_autofree char *raw = quarry_test_read_file (raw_path, &raw_len);
  g_autofree char *seed = quarry_test_read_file (seed_path, &seed_len);
  static const char ini[] =
    "[pipeline]\nstages = html-strip;header-parse;tag-decode;entity-spot;entity-link\n"
    "[html-strip]\ncontent-selector = pre\nmeta-table = table.cable\n[tag-decode]\ndetokenize = true\n";
  g_autoptr (QuarryDocument) gold_doc = quarry_harness_run (pipeline_for (ini), "seed", seed, seed_len, "text/html");
  g_autoptr (QuarryDocument) doc = quarry_harness_run (pipeline_for (ini), "raw", raw, raw_len, "text/html");
  g_autoptr (GHashTable) gold = mention_counts (gold_doc);
  g_autoptr (GHashTable) got = mention_counts (doc);

  /* the tagged seed keeps its 171 tags (fill) */
  guint n_gold = 0, n_got = 0, tp = 0, loc_gold = 0, loc_tp = 0;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, gold);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      guint g = GPOINTER_TO_UINT (v), p = GPOINTER_TO_UINT (g_hash_table_lookup (got, k));
      n_gold += g;
      tp += MIN (g, p);
      if (g_str_has_prefix (k, "LOC\t"))
        loc_gold += g, loc_tp += MIN (g, p);
    }
  g_hash_table_iter_init (&it, got);
  while (g_hash_table_iter_next (&it, &k, &v))
    n_got += GPOINTER_TO_UINT (v);
  g_assert_cmpuint (n_gold, ==, 171);
  double precision = (double) tp / n_got, recall = (double) tp / n_gold;
  double f1 = 2 * precision * recall / (precision + recall);
  g_test_message ("seed check: %u tags, %u spotted, %u the same: P %.3f R %.3f F1 %.3f; LOC recall %.3f",
                  n_gold, n_got, tp, precision, recall, f1, (double) loc_tp / loc_gold);
  /* a floor below today's numbers (F1 0.81, LOC recall 0.93): a regression guard */
  g_assert_cmpfloat (f1, >=, 0.78);
  g_assert_cmpfloat ((double) loc_tp / loc_gold, >=, 0.90);

  /* entity-link links the spotted mentions as it links tags: every span has an entity */
  guint n_entity = 0;
  for (guint i = 0; i < quarry_document_get_n_spans (doc); i++)
    if (!strcmp (quarry_document_peek_span (doc, i)->layer, "entity"))
      {
        json_object *e = NULL;
        g_assert_true (quarry_document_span_get_attr (doc, i, "entity", &e));
        g_assert_nonnull (e);
        n_entity++;
      }
  g_assert_cmpuint (n_entity, ==, n_got);
  g_assert_cmpuint (json_object_array_length (quarry_document_get_entities (doc)), >, 40);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  pipelines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) quarry_harness_free);

  g_test_add_func ("/entity-spot/cases", test_cases);
  g_test_add_func ("/entity-spot/header-names", test_header_names);
  g_test_add_func ("/entity-spot/page-break", test_page_break);
  g_test_add_func ("/entity-spot/modes", test_modes);
  g_test_add_func ("/entity-spot/provenance", test_provenance);
  g_test_add_func ("/entity-spot/threads", test_threads);
  g_test_add_func ("/entity-spot/bad-input/repeated-name", test_repeated_name);
  g_test_add_func ("/entity-spot/bad-input/capitals", test_capitals);
  g_test_add_func ("/entity-spot/bad-input/alias-files", test_alias_files);
  g_test_add_func ("/entity-spot/common-words", test_common_words);
  g_test_add_func ("/entity-spot/seed-check", test_seed_check);

  int rc = g_test_run ();
  g_hash_table_unref (pipelines);
  return rc;
}
