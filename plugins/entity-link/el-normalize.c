/* el-normalize.c: mention cleaning and alias keys (shared by the plugin and quarry-kb). */
#include "el-normalize.h"

#include <string.h>

void
el_clean_info_clear (ElCleanInfo *info)
{
  g_clear_pointer (&info->acronym, g_free);
  info->possessive = FALSE;
  info->trimmed = FALSE;
}

static gboolean
is_quote (gunichar c)
{
  switch (c)
    {
    case '"': case '\'': case '`':
    case 0x2018: case 0x2019: case 0x201A: case 0x201B:
    case 0x201C: case 0x201D: case 0x201E: case 0x201F:
    case 0x00AB: case 0x00BB: case 0x2039: case 0x203A: case 0x02BC:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
is_apostrophe (gunichar c)
{
  return c == '\'' || c == 0x2019 || c == 0x2018 || c == 0x02BC || c == '`';
}

static gboolean
is_dash (gunichar c)
{
  return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

/* Stray characters a tagger may swallow at the edges of a mention. */
static gboolean
is_edge_junk (gunichar c, gboolean leading)
{
  if (is_quote (c) || is_dash (c))
    return TRUE;
  switch (c)
    {
    case ',': case ';': case ':': case '!': case '?': case '*': case '/':
    case '[': case ']': case '{': case '}': case '(': case ')': case 0x2022:
    case 0x00B6: case 0x00A7: case '|': case '\\':
      return TRUE;
    case '.':
      return leading;
    default:
      return FALSE;
    }
}

static gboolean
is_space (gunichar c)
{
  if (c < 0x80)
    return c == ' ' || (c >= '\t' && c <= '\r');
  return g_unichar_isspace (c) || c == 0x00A0 || c == 0x200B || c == 0xFEFF;
}

/* Whitespace runs to one space, ends trimmed; into out. */
static void
collapse_space (const char *s, gsize len, GString *out)
{
  const char *p = s, *end = s + len;
  gboolean pending = FALSE;

  g_string_truncate (out, 0);
  while (p < end)
    {
      guchar b = (guchar) *p;
      if (b < 0x80)
        {
          if (b == ' ' || (b >= '\t' && b <= '\r'))
            pending = out->len > 0;
          else
            {
              if (pending)
                g_string_append_c (out, ' ');
              pending = FALSE;
              g_string_append_c (out, (char) b);
            }
          p++;
          continue;
        }
      const char *next = g_utf8_next_char (p);
      if (is_space (g_utf8_get_char (p)))
        pending = out->len > 0;
      else
        {
          if (pending)
            g_string_append_c (out, ' ');
          pending = FALSE;
          g_string_append_len (out, p, next - p);
        }
      p = next;
    }
}

static gunichar
last_char (const GString *s)
{
  return s->len ? g_utf8_get_char (g_utf8_find_prev_char (s->str, s->str + s->len)) : 0;
}

static void
drop_last_char (GString *s)
{
  g_string_truncate (s, g_utf8_find_prev_char (s->str, s->str + s->len) - s->str);
}

static void
trim_spaces (GString *s)
{
  while (s->len && s->str[s->len - 1] == ' ')
    g_string_truncate (s, s->len - 1);
  gsize i = 0;
  while (i < s->len && s->str[i] == ' ')
    i++;
  g_string_erase (s, 0, i);
}

/* Removes junk at both edges; TRUE if anything went. */
static gboolean
strip_edges (GString *s)
{
  gboolean changed = FALSE;

  for (;;)
    {
      trim_spaces (s);
      if (s->len == 0)
        break;
      gunichar first = g_utf8_get_char (s->str);
      if (is_edge_junk (first, TRUE))
        {
          g_string_erase (s, 0, g_utf8_next_char (s->str) - s->str);
          changed = TRUE;
          continue;
        }
      if (is_edge_junk (last_char (s), FALSE))
        {
          drop_last_char (s);
          changed = TRUE;
          continue;
        }
      break;
    }
  return changed;
}

/* "Middle East Peace Process ( MEPP" or "... (MEPP)": split off the acronym. */
static void
split_parenthetical (GString *s, ElCleanInfo *info)
{
  const char *open = strchr (s->str, '(');
  if (!open || open == s->str)
    return;
  const char *close = strchr (open, ')');
  if (close && close[1] != '\0' && strspn (close + 1, " ") != strlen (close + 1))
    return;  /* "(X) more words": not a trailing acronym */
  gsize inner_start = open + 1 - s->str;
  gsize inner_end = close ? (gsize) (close - s->str) : s->len;
  g_autofree char *inner = g_strstrip (g_strndup (s->str + inner_start, inner_end - inner_start));
  if (*inner == '\0' || strchr (inner, ' ') || strlen (inner) > 16)
    return;
  g_free (info->acronym);
  info->acronym = g_steal_pointer (&inner);
  g_string_truncate (s, open - s->str);
  trim_spaces (s);
  info->trimmed = TRUE;
}

static void
strip_possessive (GString *s, ElCleanInfo *info)
{
  if (s->len < 2)
    return;
  gunichar last = last_char (s);
  if (last == 's' || last == 'S')
    {
      GString tmp = *s;
      tmp.len = g_utf8_find_prev_char (s->str, s->str + s->len) - s->str;
      if (tmp.len > 0 && is_apostrophe (last_char (&tmp)) && tmp.len > 1)
        {
          drop_last_char (s);
          drop_last_char (s);
          info->possessive = TRUE;
        }
    }
  else if (is_apostrophe (last) && s->len > 2)
    {
      GString tmp = *s;
      drop_last_char (&tmp);
      gunichar before = last_char (&tmp);
      if (before == 's' || before == 'S')
        {
          drop_last_char (s);
          info->possessive = TRUE;
        }
    }
}

/* "Russia." -> "Russia", but "U.S." and "St." keep their period. */
static void
strip_final_period (GString *s)
{
  if (s->len < 2 || s->str[s->len - 1] != '.')
    return;
  const char *token = strrchr (s->str, ' ');
  token = token ? token + 1 : s->str;
  gsize token_len = s->str + s->len - 1 - token;
  if (token_len >= 4 && memchr (token, '.', token_len) == NULL)
    g_string_truncate (s, s->len - 1);
}

/* Most mentions ("Lavrov", "Igor Shuvalov", "TNK-BP") need no cleaning at all. */
static gboolean
is_clean (const char *t, gsize len)
{
  if (len == 0 || !g_ascii_isalnum (t[0]) || !g_ascii_isalnum (t[len - 1]))
    return FALSE;
  for (gsize i = 1; i + 1 < len; i++)
    {
      char c = t[i];
      if (g_ascii_isalnum (c) || c == '-' || c == '.' || c == '&')
        continue;
      if (c != ' ' || t[i + 1] == ' ')
        return FALSE;
    }
  return TRUE;
}

void
el_clean_mention_into (const char *text, gsize len, GString *out, ElCleanInfo *info, gboolean valid_utf8)
{
  g_autofree char *valid = NULL;

  if (is_clean (text, len))
    {
      g_string_truncate (out, 0);
      g_string_append_len (out, text, len);
      return;
    }

  /* a document's text is valid UTF-8 (the document sees to it); anything else is repaired */
  if (!valid_utf8 && !g_utf8_validate_len (text, len, NULL))
    {
      valid = g_utf8_make_valid (text, len);
      text = valid;
      len = strlen (valid);
    }
  collapse_space (text, len, out);
  strip_possessive (out, info);     /* first, so a lone "’s" does not lose its quote as junk */
  info->trimmed = strip_edges (out);
  split_parenthetical (out, info);
  strip_possessive (out, info);
  if (strip_edges (out))
    info->trimmed = TRUE;
  strip_final_period (out);
}

char *
el_clean_mention (const char *text, gsize len, ElCleanInfo *info)
{
  GString *out = g_string_sized_new (len + 1);
  el_clean_mention_into (text, len, out, info, FALSE);
  return g_string_free (out, FALSE);
}

/* Base letter of an accented character, lower-cased. */
static gunichar
fold_char (gunichar c)
{
  if (c >= 0x80)
    {
      gunichar buf[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
      gsize n = g_unichar_fully_decompose (c, FALSE, buf, G_N_ELEMENTS (buf));
      if (n > 1)
        c = buf[0];
    }
  return g_unichar_tolower (c);
}

void
el_normalize_key (const char *text, gsize len, GString *out)
{
  const char *p = text, *end = text + len;
  gboolean pending_space = FALSE, after_dash = FALSE;

  g_string_truncate (out, 0);
  while (p < end)
    {
      gunichar c;
      if ((guchar) *p < 0x80)
        {
          c = (guchar) *p++;
          if (g_ascii_isalnum (c))
            {
              if (pending_space)
                g_string_append_c (out, ' ');
              pending_space = after_dash = FALSE;
              g_string_append_c (out, g_ascii_tolower ((char) c));
              continue;
            }
        }
      else
        {
          c = g_utf8_get_char_validated (p, end - p);
          if (c == (gunichar) -1 || c == (gunichar) -2)
            {
              p++;                   /* a stray byte: treat as a separator */
              pending_space = out->len > 0;
              continue;
            }
          p = g_utf8_next_char (p);
        }

      if (c == '.' || is_apostrophe (c) ||
          (c >= 0x80 && g_unichar_type (c) == G_UNICODE_NON_SPACING_MARK))
        continue;                    /* "U.S." == "US", "d'Ivoire" == "dIvoire" */
      if (is_dash (c))
        {
          if (out->len > 0 && !after_dash)
            g_string_append_c (out, '-');
          after_dash = out->len > 0;
          pending_space = FALSE;
          continue;
        }
      if (!g_unichar_isalnum (c) && c != '&')
        {
          pending_space = out->len > 0 && !after_dash;
          continue;
        }
      if (pending_space)
        g_string_append_c (out, ' ');
      pending_space = after_dash = FALSE;
      if (c < 0x80)
        g_string_append_c (out, g_ascii_tolower ((char) c));
      else
        g_string_append_unichar (out, fold_char (c));
    }
  while (out->len && out->str[out->len - 1] == '-')
    g_string_truncate (out, out->len - 1);
}

guint
el_key_tokens (const char *key)
{
  guint n = *key ? 1 : 0;
  for (const char *p = key; *p; p++)
    if (*p == ' ')
      n++;
  return n;
}

const char *
el_key_last_token (const char *key)
{
  const char *sp = strrchr (key, ' ');
  return sp ? sp + 1 : key;
}

static gboolean
is_ascii (const char *s)
{
  for (; *s; s++)
    if ((guchar) *s >= 0x80)
      return FALSE;
  return TRUE;
}

void
el_slug_into (const char *name, const char *key, GString *out)
{
  g_autofree char *converted = is_ascii (name) ? NULL : g_str_to_ascii (name, "C");
  const char *ascii = converted ? converted : name;

  g_string_truncate (out, 0);

  for (const char *p = ascii; *p; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (out, g_ascii_tolower (*p));
      else if (*p == '\'' || *p == '.')
        continue;
      else if (out->len && out->str[out->len - 1] != '-')
        g_string_append_c (out, '-');
    }
  while (out->len && out->str[out->len - 1] == '-')
    g_string_truncate (out, out->len - 1);

  /* '?' from untransliterable letters means the slug would merge distinct names */
  if (out->len == 0 || out->len > 64 || (converted && strchr (ascii, '?')))
    {
      g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA1, key, -1);
      g_string_printf (out, "h%.16s", sum);
    }
}

char *
el_slug (const char *name, const char *key)
{
  GString *out = g_string_new (NULL);
  el_slug_into (name, key, out);
  return g_string_free (out, FALSE);
}

/* Titles that head a person mention ("President Medvedev", "FM Lavrov", "Deputy Prime
 * Minister Shuvalov"); compared case-insensitively, with or without a final period. */
static const char *const titles[] = {
  "president", "vice", "pm", "fm", "dfm", "prime", "foreign", "deputy", "first", "minister",
  "ambassador", "amb", "charge", "dcm", "secretary", "undersecretary", "mr", "mrs", "ms",
  "dr", "gen", "general", "col", "colonel", "lt", "adm", "admiral", "capt", "captain",
  "senator", "sen", "rep", "congressman", "governor", "gov", "mayor", "chairman", "speaker",
  "king", "queen", "prince", "sheikh", "shaykh", "emir", "judge", "justice", "prof",
  "professor", "patriarch", "cardinal", "archbishop", "bishop", "father", "sir", "lord",
  "lady", "dame", "presidential", "special", "envoy", "advisor", "adviser", "mp", "polcouns",
};

static gboolean
is_title (const char *word, gsize len)
{
  if (len && word[len - 1] == '.')
    len--;
  if (len < 2 || len > 14)
    return FALSE;
  char first = g_ascii_tolower (word[0]);
  for (gsize i = 0; i < G_N_ELEMENTS (titles); i++)
    if (titles[i][0] == first && strlen (titles[i]) == len &&
        g_ascii_strncasecmp (word, titles[i], len) == 0)
      return TRUE;
  return FALSE;
}

gboolean
el_strip_titles (GString *display)
{
  gboolean stripped = FALSE;
  for (;;)
    {
      const char *sp = strchr (display->str, ' ');
      if (!sp || !is_title (display->str, sp - display->str))
        return stripped;
      g_string_erase (display, 0, sp + 1 - display->str);
      stripped = TRUE;
    }
}
