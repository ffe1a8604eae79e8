/* quarry-kb.c: builds, extends and queries entity-link knowledge bases (SQLite). */
#include "el-kb.h"
#include "el-normalize.h"

#include <json-c/json.h>
#include <locale.h>
#include <string.h>

static const char usage_text[] =
  "Commands:\n"
  "  build -o KB [--iso-codes DIR] [--subdivisions CC,...] [--base KB0] [FILE.tsv...]\n"
  "      write a new knowledge base KB from ISO 3166 (Debian iso-codes JSON in DIR),\n"
  "      an existing knowledge base KB0 and alias TSV files, in that order\n"
  "  add KB FILE.tsv...\n"
  "      add the entries and aliases of TSV files to KB (rewritten in place)\n"
  "  lookup KB NAME...\n"
  "      print the entries NAME matches, best first\n"
  "\n"
  "TSV lines: alias<TAB>entity<TAB>relation[<TAB>name<TAB>type<TAB>kind<TAB>parent<TAB>priority]\n"
  "(see plugins/entity-link/README.md).";

static const char *
json_str (json_object *obj, const char *key)
{
  json_object *v = NULL;
  return json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_string)
         ? json_object_get_string (v) : NULL;
}

static json_object *
read_iso_list (const char *dir, const char *file, const char *member, GError **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  json_object *root = json_object_from_file (path);
  json_object *list = NULL;
  if (!root || !json_object_object_get_ex (root, member, &list) ||
      !json_object_is_type (list, json_type_array))
    {
      g_set_error (error, EL_KB_ERROR, EL_KB_ERROR_MISSING,
                   "%s: cannot read the '%s' list (%s); install Debian's iso-codes package "
                   "or pass --iso-codes DIR", path, member, root ? "no such member" : json_util_get_last_err ());
      json_object_put (root);
      return NULL;
    }
  json_object_get (list);
  json_object_put (root);
  return list;
}

static gboolean
import_countries (ElKb *kb, const char *dir, GError **error)
{
  json_object *list = read_iso_list (dir, "iso_3166-1.json", "3166-1", error);
  if (!list)
    return FALSE;
  for (size_t i = 0; i < json_object_array_length (list); i++)
    {
      json_object *c = json_object_array_get_idx (list, i);
      const char *a2 = json_str (c, "alpha_2"), *name = json_str (c, "name");
      const char *common = json_str (c, "common_name"), *official = json_str (c, "official_name");
      const char *a3 = json_str (c, "alpha_3");
      if (!a2 || !name)
        continue;
      g_autofree char *id = g_strdup_printf ("iso:%s", a2);
      ElEntry *e = el_kb_add_entry (kb, id, common ? common : name, "LOC", "country", NULL, a2);
      el_kb_add_alias (kb, name, e, "name", -1);
      if (common)
        el_kb_add_alias (kb, common, e, "common-name", -1);
      if (official)
        el_kb_add_alias (kb, official, e, "official-name", -1);
      if (a3)
        el_kb_add_alias (kb, a3, e, "alpha-3", -1);
    }
  json_object_put (list);
  return TRUE;
}

/* Subdivisions (US states, ...) of the given countries; their names rank just
 * below country names, so "Georgia" stays visibly ambiguous. */
static gboolean
import_subdivisions (ElKb *kb, const char *dir, const char *countries, GError **error)
{
  g_auto (GStrv) wanted = g_strsplit (countries, ",", -1);
  json_object *list = read_iso_list (dir, "iso_3166-2.json", "3166-2", error);
  if (!list)
    return FALSE;
  for (size_t i = 0; i < json_object_array_length (list); i++)
    {
      json_object *s = json_object_array_get_idx (list, i);
      const char *code = json_str (s, "code"), *name = json_str (s, "name"), *type = json_str (s, "type");
      if (!code || !name || !strchr (code, '-'))
        continue;
      g_autofree char *cc = g_strndup (code, strchr (code, '-') - code);
      if (!g_strv_contains ((const char *const *) wanted, cc))
        continue;
      g_autofree char *id = g_strdup_printf ("iso:%s", code);
      g_autofree char *parent = g_strdup_printf ("iso:%s", cc);
      g_autofree char *kind = type ? g_ascii_strdown (type, -1) : g_strdup ("subdivision");
      if (!el_kb_get_entry (kb, parent))
        continue;
      ElEntry *e = el_kb_add_entry (kb, id, name, "LOC", kind, parent, code);
      el_kb_add_alias (kb, name, e, "name", 90);
    }
  json_object_put (list);
  return TRUE;
}

static int
cmd_build (int argc, char **argv, gboolean add_mode)
{
  g_autofree char *out = NULL, *iso = NULL, *base = NULL;
  g_autofree char *subdivisions = g_strdup ("US");
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "knowledge base to write", "KB" },
    { "iso-codes", 0, 0, G_OPTION_ARG_FILENAME, &iso, "folder of iso_3166-1.json and iso_3166-2.json", "DIR" },
    { "subdivisions", 0, 0, G_OPTION_ARG_STRING, &subdivisions, "countries whose subdivisions to import (default US)", "CC,..." },
    { "base", 0, 0, G_OPTION_ARG_FILENAME, &base, "start from this knowledge base", "KB0" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE.tsv..." },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (add_mode ? "add KB FILE.tsv..." : "build -o KB [FILE.tsv...]");
  g_autoptr (GError) error = NULL;
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, usage_text);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("quarry-kb: %s\n", error->message);
      return 2;
    }
  guint n_files = files ? g_strv_length (files) : 0;
  guint first = 0;
  if (add_mode)
    {
      if (n_files < 2)
        {
          g_printerr ("quarry-kb add: give the knowledge base and at least one TSV file\n");
          return 2;
        }
      out = g_strdup (files[0]);
      base = g_strdup (files[0]);
      first = 1;
    }
  if (!out)
    {
      g_printerr ("quarry-kb build: say where to write with -o KB\n");
      return 2;
    }

  g_autoptr (GString) from = g_string_new (NULL);
  ElKb *kb = el_kb_new ();
  gboolean ok = TRUE;
  if (ok && iso)
    {
      ok = import_countries (kb, iso, &error) &&
           import_subdivisions (kb, iso, subdivisions, &error) &&
           el_kb_finish (kb, iso, &error);
      g_string_append_printf (from, "iso-codes:%s/iso_3166-1.json,iso_3166-2.json(%s) ", iso, subdivisions);
    }
  if (ok && base)
    {
      ok = el_kb_load_sqlite (kb, base, &error);
      g_string_append_printf (from, "%s ", base);
    }
  for (guint i = first; ok && i < n_files; i++)
    {
      ok = el_kb_load_tsv (kb, files[i], &error);
      g_autofree char *bn = g_path_get_basename (files[i]);
      g_string_append_printf (from, "%s ", bn);
    }
  if (ok)
    ok = el_kb_write_sqlite (kb, out, g_strstrip (from->str), &error);
  if (ok)
    g_print ("quarry-kb: wrote %s: %u entries, %u alias keys\n", out, el_kb_n_entries (kb), el_kb_n_aliases (kb));
  else
    g_printerr ("quarry-kb: %s\n", error->message);
  el_kb_free (kb);
  return ok ? 0 : 1;
}

static int
cmd_lookup (int argc, char **argv)
{
  if (argc < 4)
    {
      g_printerr ("quarry-kb lookup: give the knowledge base and at least one name\n");
      return 2;
    }
  g_autoptr (GError) error = NULL;
  ElKb *kb = el_kb_new ();
  if (!el_kb_load_sqlite (kb, argv[2], &error))
    {
      g_printerr ("quarry-kb: %s\n", error->message);
      el_kb_free (kb);
      return 1;
    }
  g_autoptr (GString) key = g_string_new (NULL);
  int status = 0;
  for (int i = 3; i < argc; i++)
    {
      el_normalize_key (argv[i], strlen (argv[i]), key);
      const GArray *hits = el_kb_lookup (kb, key->str);
      g_print ("%s (key \"%s\"):%s\n", argv[i], key->str, hits ? "" : " no match");
      if (!hits)
        status = 1;
      for (guint h = 0; hits && h < hits->len; h++)
        {
          const ElHit *hit = &g_array_index (hits, ElHit, h);
          g_print ("  %s\t%s\t%s\t%s\t%s\t%d\n", hit->entry->id, hit->entry->name, hit->entry->type,
                   hit->entry->kind ? hit->entry->kind : "-", hit->relation, hit->priority);
        }
    }
  el_kb_free (kb);
  return status;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc >= 2 && !strcmp (argv[1], "build"))
    return cmd_build (argc - 1, argv + 1, FALSE);
  if (argc >= 2 && !strcmp (argv[1], "add"))
    return cmd_build (argc - 1, argv + 1, TRUE);
  if (argc >= 2 && !strcmp (argv[1], "lookup"))
    return cmd_lookup (argc, argv);
  g_printerr ("usage: quarry-kb COMMAND ...\n%s\n", usage_text);
  return argc >= 2 && (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h")) ? 0 : 2;
}
