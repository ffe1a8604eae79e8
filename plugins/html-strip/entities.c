/* entities.c: lookups in the named character reference table; numeric reference rules. */
#include "entities.h"

#include <string.h>

/* Narrows [*lo, *hi) (names sharing a k-byte prefix) to those whose byte k is c. */
static gboolean
entity_narrow (unsigned *lo, unsigned *hi, unsigned k, guchar c)
{
  unsigned a = *lo, b = *hi;

  /* lower bound: first name with byte k >= c (names shorter than k+1 sort first) */
  while (a < b)
    {
      unsigned mid = a + (b - a) / 2;
      const HtmlEntity *e = &html_entity_table[mid];
      if (e->name_len <= k || (guchar) e->name[k] < c)
        a = mid + 1;
      else
        b = mid;
    }
  *lo = a;
  b = *hi;
  /* upper bound: first name with byte k > c */
  while (a < b)
    {
      unsigned mid = a + (b - a) / 2;
      if ((guchar) html_entity_table[mid].name[k] <= c)
        a = mid + 1;
      else
        b = mid;
    }
  *hi = a;
  return *lo < *hi;
}

/* [first_lo[c], first_hi[c]): the names starting with byte c; built once. */
static guint16 first_lo[256], first_hi[256];

static void
first_index_build (void)
{
  for (unsigned i = 0; i < html_entity_count; i++)
    {
      guchar c = (guchar) html_entity_table[i].name[0];
      if (first_hi[c] == 0)
        first_lo[c] = (guint16) i;
      first_hi[c] = (guint16) (i + 1);
    }
}

const HtmlEntity *
html_entity_match (const char *s, gsize avail)
{
  static gsize built = 0;
  unsigned lo, hi;
  const HtmlEntity *best = NULL;
  gsize max = MIN (avail, html_entity_max_len);

  if (g_once_init_enter (&built))
    {
      first_index_build ();
      g_once_init_leave (&built, 1);
    }
  if (max == 0)
    return NULL;
  lo = first_lo[(guchar) s[0]];
  hi = first_hi[(guchar) s[0]];
  if (lo >= hi)
    return NULL;
  if (html_entity_table[lo].name_len == 1)
    best = &html_entity_table[lo];
  /* walk the sorted table like a trie: after k bytes, [lo, hi) share the prefix;
   * an exact name of length k sorts first in that range */
  for (gsize k = 1; k < max; k++)
    {
      if (!entity_narrow (&lo, &hi, k, (guchar) s[k]))
        break;
      if (html_entity_table[lo].name_len == k + 1)
        best = &html_entity_table[lo];
    }
  return best;
}

const HtmlEntity *
html_entity_lookup (const char *name, gsize len)
{
  const HtmlEntity *e = html_entity_match (name, len);

  return e != NULL && e->name_len == len ? e : NULL;
}

/* The standard's table for numeric references to C1 controls (0x80..0x9F). */
static const guint16 c1_replacements[32] = {
  0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
  0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

gunichar
html_numeric_ref_value (guint64 value, gboolean *error)
{
  *error = FALSE;
  if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
    {
      *error = TRUE;
      return 0xFFFD;
    }
  if ((value >= 0xFDD0 && value <= 0xFDEF) || (value & 0xFFFE) == 0xFFFE)
    *error = TRUE;  /* noncharacter: an error, but kept */
  else if (value >= 0x80 && value <= 0x9F)
    {
      *error = TRUE;
      return c1_replacements[value - 0x80];
    }
  else if (value == 0x0D || (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0C) ||
           (value >= 0x7F && value < 0xA0))
    *error = TRUE;
  return (gunichar) value;
}

gsize
html_utf8_encode (gunichar c, char *out)
{
  if (c < 0x80)
    {
      out[0] = (char) c;
      return 1;
    }
  if (c < 0x800)
    {
      out[0] = (char) (0xC0 | (c >> 6));
      out[1] = (char) (0x80 | (c & 0x3F));
      return 2;
    }
  if (c < 0x10000)
    {
      out[0] = (char) (0xE0 | (c >> 12));
      out[1] = (char) (0x80 | ((c >> 6) & 0x3F));
      out[2] = (char) (0x80 | (c & 0x3F));
      return 3;
    }
  out[0] = (char) (0xF0 | (c >> 18));
  out[1] = (char) (0x80 | ((c >> 12) & 0x3F));
  out[2] = (char) (0x80 | ((c >> 6) & 0x3F));
  out[3] = (char) (0x80 | (c & 0x3F));
  return 4;
}
