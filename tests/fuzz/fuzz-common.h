/* fuzz-common.h: what every libFuzzer harness shares: a byte reader over the input, and the
 * output checks (a record is one line of valid UTF-8 that json-c parses as an object). */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <json-c/json.h>
#include <quarry/quarry.h>
#include "registry.h"
#include "quarry-config.h"

/* Reads the fuzzer's bytes as a stream of small decisions. */
typedef struct {
  const uint8_t *p;
  size_t         left;
} FuzzReader;

static inline unsigned
fuzz_byte (FuzzReader *r)
{
  if (r->left == 0)
    return 0;
  r->left--;
  return *r->p++;
}

static inline unsigned
fuzz_u16 (FuzzReader *r)
{
  unsigned a = fuzz_byte (r);
  return a | (fuzz_byte (r) << 8);
}

/* Takes up to max bytes as a string (not NUL-terminated in the input; *len set). */
static inline const char *
fuzz_bytes (FuzzReader *r, size_t max, size_t *len)
{
  const char *s = (const char *) r->p;
  *len = MIN (max, r->left);
  r->p += *len;
  r->left -= *len;
  return s;
}

#define FUZZ_CHECK(cond, ...)                                              \
  do {                                                                     \
    if (!(cond))                                                           \
      {                                                                    \
        fprintf (stderr, "fuzz check failed: %s: ", #cond);                \
        fprintf (stderr, __VA_ARGS__);                                     \
        fputc ('\n', stderr);                                              \
        abort ();                                                          \
      }                                                                    \
  } while (0)

/* A record as the writer makes it: one line, valid UTF-8, a JSON object with the given
 * first key. Returns the parsed object (the caller puts it). */
static inline json_object *
fuzz_check_record (const char *line, size_t len, const char *first_key)
{
  json_tokener *tok;
  json_object *obj;
  enum json_tokener_error jerr;

  FUZZ_CHECK (g_utf8_validate_len (line, len, NULL), "record is not valid UTF-8: %.*s", (int) MIN (len, 400), line);
  FUZZ_CHECK (memchr (line, '\n', len) == NULL, "record holds a newline");
  FUZZ_CHECK (memchr (line, '\0', len) == NULL, "record holds a NUL byte");
  tok = json_tokener_new_ex (JSON_TOKENER_DEFAULT_DEPTH);
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  obj = json_tokener_parse_ex (tok, line, (int) len);
  jerr = json_tokener_get_error (tok);
  FUZZ_CHECK (obj != NULL && jerr == json_tokener_success, "record is not JSON (%s): %.*s",
              json_tokener_error_desc (jerr), (int) MIN (len, 400), line);
  FUZZ_CHECK (json_tokener_get_parse_end (tok) == len, "record has bytes after the JSON object");
  json_tokener_free (tok);
  FUZZ_CHECK (json_object_is_type (obj, json_type_object), "record is not an object");
  if (first_key != NULL)
    {
      struct json_object_iterator it = json_object_iter_begin (obj);
      FUZZ_CHECK (strcmp (json_object_iter_peek_name (&it), first_key) == 0, "first key is not %s", first_key);
    }
  return obj;
}

/* A registry of the build tree's plugins, never the installed plugin folder (as the test
 * kit's): a build-tree module that does not load is a failure. The registry is kept for
 * the process: plugins live as long. */
static inline QuarryRegistry *
fuzz_registry_new (void)
{
  QuarryRegistry *reg = quarry_registry_new ();
  const char *tree = FUZZ_BUILDDIR "/plugins/";
  const GPtrArray *failures;

  quarry_registry_set_search_installed (reg, FALSE);
  quarry_registry_add_path (reg, FUZZ_BUILDDIR "/plugins");
  quarry_registry_scan (reg);
  failures = quarry_registry_get_failures (reg);
  for (guint i = 0; i < failures->len; i++)
    {
      const QuarryLoadFailure *f = failures->pdata[i];
      FUZZ_CHECK (!g_str_has_prefix (f->file, tree), "the build-tree plugin %s did not load: %s", f->file, f->reason);
    }
  return reg;
}

/* Every stage of cfg runs a build-tree plugin, not an installed one. */
static inline void
fuzz_check_build_tree (const QuarryConfig *cfg)
{
  for (guint i = 0; i < quarry_config_get_n_stages (cfg); i++)
    {
      const QuarryPlugin *plugin = quarry_stage_get_plugin (quarry_config_get_stage (cfg, i));
      FUZZ_CHECK (g_str_has_prefix (plugin->file, FUZZ_BUILDDIR "/plugins/"),
                  "stage %u runs %s, which is not in the build tree", i, plugin->file);
    }
}
