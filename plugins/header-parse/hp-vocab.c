/* hp-vocab.c: header-parse's word lists: a data file of KEY[<TAB>VALUE] lines in a hash table, with its checksum. */
#include "hp-vocab.h"

#include <string.h>

G_DEFINE_QUARK (header-parse-vocab-error-quark, hp_vocab_error)

#define HP_VOCAB_KEY_MAX 64

struct _HpVocab {
  GHashTable *map;       /* normalized key -> value (both owned) */
  char       *checksum;
  guint       max_words;
};

/* Capitals, without spaces and hyphens, into buf; FALSE if it does not fit. */
static gboolean
normalize_key (const char *p, gsize n, char buf[HP_VOCAB_KEY_MAX])
{
  gsize k = 0;

  for (gsize i = 0; i < n; i++)
    {
      char c = p[i];
      if (c == ' ' || c == '-' || c == '\t')
        continue;
      if (k + 1 >= HP_VOCAB_KEY_MAX)
        return FALSE;
      buf[k++] = g_ascii_toupper (c);
    }
  buf[k] = '\0';
  return k > 0;
}

HpVocab *
hp_vocab_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  GError *local = NULL;
  HpVocab *v;
  guint lineno = 0;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, HP_VOCAB_ERROR, HP_VOCAB_ERROR_READ, "cannot read %s: %s", path, local->message);
      g_error_free (local);
      return NULL;
    }
  if (!g_utf8_validate (data, len, NULL))
    {
      g_set_error (error, HP_VOCAB_ERROR, HP_VOCAB_ERROR_SYNTAX, "%s is not UTF-8 text", path);
      return NULL;
    }
  v = g_new0 (HpVocab, 1);
  v->map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  v->checksum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
  for (char *line = data, *next; line && *line; line = next)
    {
      char *nl = strchr (line, '\n'), *tab, *key, *val;
      char buf[HP_VOCAB_KEY_MAX];
      guint words = 1;

      next = nl ? nl + 1 : NULL;
      if (nl)
        *nl = '\0';
      lineno++;
      g_strstrip (line);
      if (!*line || *line == '#')
        continue;
      tab = strchr (line, '\t');
      key = g_strstrip (tab ? g_strndup (line, tab - line) : g_strdup (line));
      val = tab ? g_strstrip (g_strdup (tab + 1)) : NULL;
      if (!*key || (val && (!*val || strchr (val, '\t'))) || !normalize_key (key, strlen (key), buf))
        {
          g_set_error (error, HP_VOCAB_ERROR, HP_VOCAB_ERROR_SYNTAX,
                       "%s:%u: expected KEY or KEY<TAB>VALUE (at most %d characters), got '%s'",
                       path, lineno, HP_VOCAB_KEY_MAX - 1, line);
          g_free (key);
          g_free (val);
          hp_vocab_free (v);
          return NULL;
        }
      for (const char *c = key; *c; c++)
        words += *c == ' ' && c[1] != ' ';
      v->max_words = MAX (v->max_words, words);
      /* the first line of a key wins: later ones are spellings already known */
      if (!g_hash_table_contains (v->map, buf))
        g_hash_table_insert (v->map, g_strdup (buf), val ? val : g_ascii_strup (buf, -1));
      else
        g_free (val);
      g_free (key);
    }
  if (g_hash_table_size (v->map) == 0)
    {
      g_set_error (error, HP_VOCAB_ERROR, HP_VOCAB_ERROR_EMPTY, "%s has no entries", path);
      hp_vocab_free (v);
      return NULL;
    }
  return v;
}

void
hp_vocab_free (HpVocab *vocab)
{
  if (!vocab)
    return;
  g_hash_table_unref (vocab->map);
  g_free (vocab->checksum);
  g_free (vocab);
}

const char *
hp_vocab_checksum (const HpVocab *vocab)
{
  return vocab->checksum;
}

guint
hp_vocab_size (const HpVocab *vocab)
{
  return g_hash_table_size (vocab->map);
}

guint
hp_vocab_max_words (const HpVocab *vocab)
{
  return vocab ? vocab->max_words : 0;
}

const char *
hp_vocab_lookup (const HpVocab *vocab, const char *p, gsize n)
{
  char buf[HP_VOCAB_KEY_MAX];

  if (!vocab || !normalize_key (p, n, buf))
    return NULL;
  return g_hash_table_lookup (vocab->map, buf);
}
