/* test-html-strip-tokenizer.c: runs html-strip's tokenizer on the html5lib tokenizer test suite.
 *
 * Every test of every file is run and its token stream compared, with adjacent
 * character tokens merged as the suite specifies. Parse errors are reported
 * by the tokenizer but not compared (the suite's error positions count columns
 * of UTF-16 code units). Skipped, with the reason:
 *  - xmlViolation.test: tests the optional "XML violation" coercion mode, which
 *    this tokenizer does not have (it follows the standard's HTML tokenizer);
 *  - any test whose input or output holds a lone surrogate (doubleEscaped
 *    "\uD800" and the like): such text cannot be UTF-8, and the document the
 *    tokenizer works on is always valid UTF-8.
 * The suite is found through $QUARRY_SHARED_DIR; without it the tests are skipped. */
#include <string.h>

#include <glib.h>
#include <json-c/json.h>

#include "harness.h"
#include "../plugins/html-strip/tokenizer.h"
#include "../plugins/html-strip/entities.h"

/* json-c has no autoptr cleanup of its own */

/* Replaces \uXXXX escapes (doubleEscaped tests); FALSE if one is a lone surrogate. */
static gboolean
unescape (const char *s, gsize len, GString *out)
{
  gsize i = 0;

  while (i < len)
    {
      if (s[i] == '\\' && i + 5 < len + 0 && s[i + 1] == 'u')
        {
          char hex[5] = { s[i + 2], s[i + 3], s[i + 4], s[i + 5], 0 };
          gunichar c = (gunichar) g_ascii_strtoull (hex, NULL, 16);
          if (c >= 0xD800 && c <= 0xDFFF)
            {
              /* a pair is fine */
              if (c <= 0xDBFF && i + 11 < len + 0 && s[i + 6] == '\\' && s[i + 7] == 'u')
                {
                  char hex2[5] = { s[i + 8], s[i + 9], s[i + 10], s[i + 11], 0 };
                  gunichar lo = (gunichar) g_ascii_strtoull (hex2, NULL, 16);
                  if (lo >= 0xDC00 && lo <= 0xDFFF)
                    {
                      g_string_append_unichar (out, 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00));
                      i += 12;
                      continue;
                    }
                }
              return FALSE;
            }
          if (c == 0)
            g_string_append_c (out, '\0');
          else
            g_string_append_unichar (out, c);
          i += 6;
        }
      else
        g_string_append_c (out, s[i++]);
    }
  return TRUE;
}

/* Does a JSON-decoded string hold a lone surrogate? json-c decodes one to the
 * 3-byte form (ED A0..BF xx), which is not valid UTF-8. */
static gboolean
has_lone_surrogate (const char *s, gsize len)
{
  for (gsize i = 0; i + 1 < len; i++)
    if ((guchar) s[i] == 0xED && (guchar) s[i + 1] >= 0xA0 && (guchar) s[i + 1] <= 0xBF)
      return TRUE;
  return FALSE;
}

/* Deep-copies v, unescaping every string (doubleEscaped). */
static json_object *
unescape_json (json_object *v, gboolean *ok)
{
  switch (json_object_get_type (v))
    {
    case json_type_string:
      {
        GString *s = g_string_new (NULL);
        json_object *r;
        if (!unescape (json_object_get_string (v), json_object_get_string_len (v), s))
          *ok = FALSE;
        r = json_object_new_string_len (s->str, (int) s->len);
        g_string_free (s, TRUE);
        return r;
      }
    case json_type_array:
      {
        json_object *a = json_object_new_array ();
        for (size_t i = 0; i < json_object_array_length (v); i++)
          json_object_array_add (a, unescape_json (json_object_array_get_idx (v, i), ok));
        return a;
      }
    case json_type_object:
      {
        json_object *o = json_object_new_object ();
        json_object_object_foreach (v, key, val)
          json_object_object_add (o, key, unescape_json (val, ok));
        return o;
      }
    default:
      return json_object_get (v);
    }
}

static gboolean
json_has_bad_string (json_object *v)
{
  switch (json_object_get_type (v))
    {
    case json_type_string:
      return has_lone_surrogate (json_object_get_string (v), json_object_get_string_len (v));
    case json_type_array:
      for (size_t i = 0; i < json_object_array_length (v); i++)
        if (json_has_bad_string (json_object_array_get_idx (v, i)))
          return TRUE;
      return FALSE;
    case json_type_object:
      {
        json_object_object_foreach (v, key, val)
          {
            (void) key;
            if (json_has_bad_string (val))
              return TRUE;
          }
        return FALSE;
      }
    default:
      return FALSE;
    }
}

/* Appends a Character token, merging with a previous one. */
static void
add_chars (json_object *out, GString *pending, gboolean flush)
{
  if (flush && pending->len > 0)
    {
      json_object *t = json_object_new_array ();
      json_object_array_add (t, json_object_new_string ("Character"));
      json_object_array_add (t, json_object_new_string_len (pending->str, (int) pending->len));
      json_object_array_add (out, t);
      g_string_truncate (pending, 0);
    }
}

static json_object *
run_tokenizer (const char *input, gsize len, HtmlInitialState state, const char *last_start_tag)
{
  g_autoptr(HtmlTokenizer) tok = html_tokenizer_new (input, len);
  json_object *out = json_object_new_array ();
  GString *chars = g_string_new (NULL);
  const HtmlToken *tp;
  guint guard = 0;

  html_tokenizer_set_state (tok, state);
  if (last_start_tag != NULL)
    html_tokenizer_set_last_start_tag (tok, last_start_tag, strlen (last_start_tag));
  while ((tp = html_tokenizer_next (tok)) != NULL)
    {
      const HtmlToken t = *tp;
      json_object *a;

      g_assert_cmpuint (++guard, <=, 4 * len + 16);  /* never loops */
      g_assert_cmpuint (t.start, <=, t.end);
      g_assert_cmpuint (t.end, <=, len);
      switch (t.type)
        {
        case HTML_TOKEN_TEXT:
        case HTML_TOKEN_REPLACE:
          g_string_append_len (chars, t.data, t.len);
          continue;
        case HTML_TOKEN_EOF:
          add_chars (out, chars, TRUE);
          continue;
        case HTML_TOKEN_START_TAG:
        case HTML_TOKEN_END_TAG:
          add_chars (out, chars, TRUE);
          a = json_object_new_array ();
          json_object_array_add (a, json_object_new_string (t.type == HTML_TOKEN_START_TAG ? "StartTag" : "EndTag"));
          json_object_array_add (a, json_object_new_string_len (t.data, (int) t.len));
          if (t.type == HTML_TOKEN_START_TAG)
            {
              json_object *attrs = json_object_new_object ();
              for (guint i = 0; i < t.n_attrs; i++)
                {
                  g_autofree char *name = g_strndup (t.attrs[i].name, t.attrs[i].name_len);
                  json_object_object_add (attrs, name,
                                          json_object_new_string_len (t.attrs[i].value, (int) t.attrs[i].value_len));
                }
              json_object_array_add (a, attrs);
              if (t.self_closing)
                json_object_array_add (a, json_object_new_boolean (TRUE));
            }
          break;
        case HTML_TOKEN_COMMENT:
          add_chars (out, chars, TRUE);
          a = json_object_new_array ();
          json_object_array_add (a, json_object_new_string ("Comment"));
          json_object_array_add (a, json_object_new_string_len (t.data, (int) t.len));
          break;
        case HTML_TOKEN_DOCTYPE:
          add_chars (out, chars, TRUE);
          a = json_object_new_array ();
          json_object_array_add (a, json_object_new_string ("DOCTYPE"));
          json_object_array_add (a, t.has_name ? json_object_new_string_len (t.data, (int) t.len) : NULL);
          json_object_array_add (a, t.has_public ? json_object_new_string_len (t.public_id, (int) t.public_len) : NULL);
          json_object_array_add (a, t.has_system ? json_object_new_string_len (t.system_id, (int) t.system_len) : NULL);
          json_object_array_add (a, json_object_new_boolean (!t.force_quirks));
          break;
        default:
          g_assert_not_reached ();
        }
      json_object_array_add (out, a);
    }
  g_string_free (chars, TRUE);
  return out;
}

/* The suite's expected output with adjacent Character tokens merged. */
static json_object *
normalize_expected (json_object *output)
{
  json_object *out = json_object_new_array ();
  GString *chars = g_string_new (NULL);

  for (size_t i = 0; i < json_object_array_length (output); i++)
    {
      json_object *t = json_object_array_get_idx (output, i);
      const char *type = json_object_get_string (json_object_array_get_idx (t, 0));
      if (g_strcmp0 (type, "Character") == 0)
        {
          json_object *s = json_object_array_get_idx (t, 1);
          g_string_append_len (chars, json_object_get_string (s), json_object_get_string_len (s));
          continue;
        }
      add_chars (out, chars, TRUE);
      json_object_array_add (out, json_object_get (t));
    }
  add_chars (out, chars, TRUE);
  g_string_free (chars, TRUE);
  return out;
}

static gboolean
state_from_name (const char *name, HtmlInitialState *state)
{
  static const struct { const char *name; HtmlInitialState state; } names[] = {
    { "Data state", HTML_STATE_DATA },
    { "PLAINTEXT state", HTML_STATE_PLAINTEXT },
    { "RCDATA state", HTML_STATE_RCDATA },
    { "RAWTEXT state", HTML_STATE_RAWTEXT },
    { "Script data state", HTML_STATE_SCRIPT_DATA },
    { "CDATA section state", HTML_STATE_CDATA_SECTION },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (name, names[i].name) == 0)
      {
        *state = names[i].state;
        return TRUE;
      }
  return FALSE;
}

typedef struct {
  guint passed;
  guint failed;
  guint skipped;
} Counts;

static void
run_one (json_object *test, Counts *counts)
{
  json_object *input, *output, *states = NULL, *last = NULL, *dbl = NULL, *desc = NULL;
  g_autoptr(json_object) in_copy = NULL;
  g_autoptr(json_object) out_copy = NULL;
  g_autoptr(json_object) expected = NULL;
  gboolean ok = TRUE;

  g_assert_true (json_object_object_get_ex (test, "input", &input));
  g_assert_true (json_object_object_get_ex (test, "output", &output));
  json_object_object_get_ex (test, "initialStates", &states);
  json_object_object_get_ex (test, "lastStartTag", &last);
  json_object_object_get_ex (test, "doubleEscaped", &dbl);
  json_object_object_get_ex (test, "description", &desc);

  if (dbl != NULL && json_object_get_boolean (dbl))
    {
      in_copy = unescape_json (input, &ok);
      out_copy = unescape_json (output, &ok);
    }
  else
    {
      in_copy = json_object_get (input);
      out_copy = json_object_get (output);
    }
  if (!ok || json_has_bad_string (in_copy) || json_has_bad_string (out_copy))
    {
      counts->skipped++;
      g_test_message ("skipped (lone surrogate): %s", desc != NULL ? json_object_get_string (desc) : "?");
      return;
    }
  expected = normalize_expected (out_copy);

  for (size_t s = 0; s < (states != NULL ? json_object_array_length (states) : 1); s++)
    {
      HtmlInitialState state = HTML_STATE_DATA;
      g_autoptr(json_object) actual = NULL;

      if (states != NULL &&
          !state_from_name (json_object_get_string (json_object_array_get_idx (states, s)), &state))
        g_error ("unknown initial state %s", json_object_get_string (json_object_array_get_idx (states, s)));
      actual = run_tokenizer (json_object_get_string (in_copy), json_object_get_string_len (in_copy), state,
                              last != NULL ? json_object_get_string (last) : NULL);
      if (json_object_equal (actual, expected))
        counts->passed++;
      else
        {
          counts->failed++;
          g_test_message ("FAIL %s [%s]\n  input:    %s\n  expected: %s\n  actual:   %s",
                          desc != NULL ? json_object_get_string (desc) : "?",
                          states != NULL ? json_object_get_string (json_object_array_get_idx (states, s)) : "Data state",
                          json_object_to_json_string (in_copy),
                          json_object_to_json_string_ext (expected, JSON_C_TO_STRING_PLAIN),
                          json_object_to_json_string_ext (actual, JSON_C_TO_STRING_PLAIN));
        }
    }
}

static void
test_suite_file (gconstpointer data)
{
  const char *file = data;
  g_autofree char *rel = g_strconcat ("html5lib-tests/tokenizer/", file, NULL);
  g_autofree char *path = harness_shared_path (rel);
  json_object *root, *tests;
  Counts counts = { 0 };

  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("html5lib-tests not found under $QUARRY_SHARED_DIR");
      return;
    }
  root = json_object_from_file (path);
  g_assert_nonnull (root);
  g_assert_true (json_object_object_get_ex (root, "tests", &tests));
  for (size_t i = 0; i < json_object_array_length (tests); i++)
    run_one (json_object_array_get_idx (tests, i), &counts);
  json_object_put (root);
  g_test_message ("%s: %u passed, %u failed, %u skipped (lone surrogates)", file,
                  counts.passed, counts.failed, counts.skipped);
  g_assert_cmpuint (counts.failed, ==, 0);
  g_assert_cmpuint (counts.passed + counts.skipped, >, 0);
}

/* The table itself: every name of the standard, longest-prefix matching. */
static void
test_entity_table (void)
{
  const HtmlEntity *e;

  g_assert_cmpuint (html_entity_count, ==, 2231);
  for (guint i = 1; i < html_entity_count; i++)
    g_assert_cmpint (strcmp (html_entity_table[i - 1].name, html_entity_table[i].name), <, 0);
  for (guint i = 0; i < html_entity_count; i++)
    {
      e = html_entity_lookup (html_entity_table[i].name, html_entity_table[i].name_len);
      g_assert_true (e == &html_entity_table[i]);
    }
  e = html_entity_match ("notin;x", 7);
  g_assert_cmpstr (e->name, ==, "notin;");
  e = html_entity_match ("notit;", 6);
  g_assert_cmpstr (e->name, ==, "not");
  e = html_entity_match ("ampx", 4);
  g_assert_cmpstr (e->name, ==, "amp");
  g_assert_null (html_entity_match ("The", 3));
  g_assert_null (html_entity_match ("", 0));
  e = html_entity_lookup ("NotNestedGreaterGreater;", 24);
  g_assert_nonnull (e);
  g_assert_cmpstr (e->utf8, ==, "\xE2\xAA\xA2\xCC\xB8");
}

/* Numeric references: the standard's replacements. */
static void
test_numeric (void)
{
  gboolean err;

  g_assert_cmphex (html_numeric_ref_value (0x41, &err), ==, 0x41);
  g_assert_false (err);
  g_assert_cmphex (html_numeric_ref_value (0, &err), ==, 0xFFFD);
  g_assert_true (err);
  g_assert_cmphex (html_numeric_ref_value (0xD800, &err), ==, 0xFFFD);
  g_assert_cmphex (html_numeric_ref_value (0x110000, &err), ==, 0xFFFD);
  g_assert_cmphex (html_numeric_ref_value (0x80, &err), ==, 0x20AC);
  g_assert_cmphex (html_numeric_ref_value (0x9F, &err), ==, 0x178);
  g_assert_cmphex (html_numeric_ref_value (0x81, &err), ==, 0x81);
  g_assert_cmphex (html_numeric_ref_value (0xFFFE, &err), ==, 0xFFFE);
  g_assert_true (err);
}

/* Offsets: every byte of the input is covered by at most one token, in order. */
static void
test_offsets (void)
{
  const char *html = "<p class=x>a&amp;b\r\nc<!-- c --></p>&#x000A;<br/>&unknown;";
  g_autoptr(HtmlTokenizer) tok = html_tokenizer_new (html, strlen (html));
  const HtmlToken *tp;
  gsize last = 0;
  GString *text = g_string_new (NULL);

  while ((tp = html_tokenizer_next (tok)) != NULL)
    {
      const HtmlToken t = *tp;
      g_assert_cmpuint (t.start, >=, last);
      last = t.end;
      if (t.type == HTML_TOKEN_TEXT)
        g_assert_true (memcmp (t.data, html + t.start, t.len) == 0);
      if (t.type == HTML_TOKEN_TEXT || t.type == HTML_TOKEN_REPLACE)
        g_string_append_len (text, t.data, t.len);
      if (t.type == HTML_TOKEN_START_TAG && t.len == 1)
        {
          g_assert_cmpuint (t.start, ==, 0);
          g_assert_cmpuint (t.end, ==, 11);
          g_assert_cmpuint (t.n_attrs, ==, 1);
        }
    }
  g_assert_cmpstr (text->str, ==, "a&b\nc\n&unknown;");
  g_string_free (text, TRUE);
}

int
main (int argc, char **argv)
{
  static const char *files[] = {
    "test1.test", "test2.test", "test3.test", "test4.test", "contentModelFlags.test",
    "domjs.test", "entities.test", "escapeFlag.test", "namedEntities.test",
    "numericEntities.test", "pendingSpecChanges.test", "unicodeChars.test",
    "unicodeCharsProblematic.test",
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/html-strip/tokenizer/entity-table", test_entity_table);
  g_test_add_func ("/html-strip/tokenizer/numeric", test_numeric);
  g_test_add_func ("/html-strip/tokenizer/offsets", test_offsets);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *name = g_strndup (files[i], strlen (files[i]) - 5);
      g_autofree char *path = g_strconcat ("/html-strip/tokenizer/html5lib/", name, NULL);
      g_test_add_data_func (path, files[i], test_suite_file);
    }
  return g_test_run ();
}
