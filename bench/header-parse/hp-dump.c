/* hp-dump.c: runs the header-parse scanner over text files: fields as JSON Lines, or a throughput benchmark. */
#include "hp-scan.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* CPU time of this thread: the machine may be shared, wall time would not say what one core does */
static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
meta_free (gpointer data)
{
  if (data)
    json_object_put (data);
}

/* usage: hp-dump [--bench N] FILE.txt [FILE.meta.json] ...  (a .json after a .txt is its page meta) */
int
main (int argc, char **argv)
{
  int rounds = 0, first = 1;
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  GArray *lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *metas = g_ptr_array_new_with_free_func (meta_free);

  HpInput base = { 0 };
  const char *dir = g_getenv ("QUARRY_HEADER_PARSE_DATA");
  GError *error = NULL;
  char *tags_path, *origins_path;

  /* the vocabularies the stage loads at set-up: the source tree's, or $QUARRY_HEADER_PARSE_DATA */
  if (!dir || !*dir)
    dir = HEADER_PARSE_SRC_DATA;
  tags_path = g_build_filename (dir, "tags.txt", NULL);
  origins_path = g_build_filename (dir, "origins.txt", NULL);
  if (!(base.tags = hp_vocab_load (tags_path, &error)) || !(base.origins = hp_vocab_load (origins_path, &error)))
    {
      fprintf (stderr, "hp-dump: %s (set $QUARRY_HEADER_PARSE_DATA to the folder of tags.txt and origins.txt)\n",
               error->message);
      return 1;
    }
  base.scratch = hp_scratch_new ();  /* reused across documents, as a worker's is in the stage */
  g_free (tags_path);
  g_free (origins_path);
  if (argc > 2 && strcmp (argv[1], "--bench") == 0)
    rounds = atoi (argv[2]), first = 3;
  for (int i = first; i < argc; i++)
    {
      char *data;
      gsize len;
      if (g_str_has_suffix (argv[i], ".json"))
        {
          if (metas->len + 1 == texts->len)
            g_ptr_array_add (metas, json_object_from_file (argv[i]));
          continue;
        }
      if (metas->len < texts->len)
        g_ptr_array_add (metas, NULL);
      if (!g_file_get_contents (argv[i], &data, &len, NULL))
        {
          fprintf (stderr, "cannot read %s\n", argv[i]);
          return 1;
        }
      g_ptr_array_add (texts, data);
      g_array_append_val (lens, len);
      {
        char *base = g_path_get_basename (argv[i]);
        char *dot = strrchr (base, '.');
        if (dot)
          *dot = '\0';
        g_ptr_array_add (names, base);
      }
    }
  if (metas->len < texts->len)
    g_ptr_array_add (metas, NULL);
  if (rounds > 0)
    {
      gsize total = 0;
      gint64 t0 = g_get_monotonic_time (), t1;
      double c0 = cpu_seconds (), c1;
      for (int r = 0; r < rounds; r++)
        for (guint i = 0; i < texts->len; i++)
          {
            HpResult *res = hp_parse (texts->pdata[i], g_array_index (lens, gsize, i), &base);
            total += g_array_index (lens, gsize, i);
            hp_result_free (res);
          }
      t1 = g_get_monotonic_time ();
      c1 = cpu_seconds ();
      printf ("%u documents x %d rounds, %.1f MB: %.3f s CPU, %.1f MB/s per core (wall %.3f s)\n",
              texts->len, rounds, total / 1e6, c1 - c0, total / 1e6 / (c1 - c0), (t1 - t0) / 1e6);
      return 0;
    }
  for (guint i = 0; i < texts->len; i++)
    {
      HpInput in = base;
      json_object *meta = metas->pdata[i], *v, *out = json_object_new_object (), *spans = json_object_new_array ();
      HpResult *res;
      if (meta && json_object_object_get_ex (meta, "reference_id", &v))
        in.reference_id = json_object_get_string (v);
      if (meta && json_object_object_get_ex (meta, "created", &v))
        in.created = json_object_get_string (v);
      res = hp_parse (texts->pdata[i], g_array_index (lens, gsize, i), &in);
      json_object_object_add (out, "id", json_object_new_string (names->pdata[i]));
      json_object_object_add (out, "fields", json_object_get (res->fields));
      for (guint k = 0; k < res->spans->len; k++)
        {
          HpSpan *s = &g_array_index (res->spans, HpSpan, k);
          json_object *o = json_object_new_object ();
          const char *t = texts->pdata[i];
          json_object_object_add (o, "layer", json_object_new_string (s->layer));
          if (s->label)
            json_object_object_add (o, "label", json_object_new_string (s->label));
          {
            char *all = g_strndup (t + s->start, s->end - s->start);
            char *cut = g_utf8_substring (all, 0, MIN (g_utf8_strlen (all, -1), 60));
            json_object_object_add (o, "text", json_object_new_string (cut));
            g_free (cut);
            g_free (all);
          }
          if (s->attrs)
            json_object_object_add (o, "attrs", json_object_get (s->attrs));
          json_object_array_add (spans, o);
        }
      json_object_object_add (out, "spans", spans);
      {
        json_object *d = json_object_new_array ();
        for (guint k = 0; k < res->diags->len; k++)
          {
            HpDiag *dg = &g_array_index (res->diags, HpDiag, k);
            json_object_array_add (d, json_object_new_string (dg->code));
          }
        json_object_object_add (out, "diagnostics", d);
      }
      puts (json_object_to_json_string_ext (out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
      json_object_put (out);
      hp_result_free (res);
    }
  return 0;
}
