/* registry.c: finds stage plugin modules on the search path, loads them with libltdl, checks their descriptors. */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ltdl.h>

#include "registry.h"

struct _QuarryRegistry {
  GPtrArray  *paths;     /* char*, in search order */
  GPtrArray  *plugins;   /* QuarryPlugin* */
  GPtrArray  *failures;  /* QuarryLoadFailure* */
  GHashTable *by_name;   /* name -> QuarryPlugin* (borrowed) */
  GHashTable *seen;      /* module stems already tried, per folder */
  gboolean    scanned;
  gboolean    env_added;
  gboolean    no_installed;  /* tests: never fall back on the installed plugin folder */
};

G_DEFINE_QUARK (quarry-registry-error-quark, quarry_registry_error)
G_DEFINE_QUARK (quarry-plugin-error-quark, quarry_plugin_error)

static GMutex ltdl_lock;
static guint ltdl_users;

static void
plugin_free (gpointer data)
{
  QuarryPlugin *p = data;

  if (p->handle != NULL)
    lt_dlclose (p->handle);
  g_free (p->file);
  g_free (p);
}

static void
failure_free (gpointer data)
{
  QuarryLoadFailure *f = data;

  g_free (f->file);
  g_free (f->reason);
  g_free (f->hint);
  g_free (f);
}

const char *
quarry_option_type_to_string (QuarryOptionType type)
{
  switch (type)
    {
    case QUARRY_OPTION_STRING: return "string";
    case QUARRY_OPTION_INT: return "int";
    case QUARRY_OPTION_DOUBLE: return "double";
    case QUARRY_OPTION_BOOL: return "bool";
    case QUARRY_OPTION_ENUM: return "enum";
    case QUARRY_OPTION_STRING_LIST: return "list";
    case QUARRY_OPTION_PATH: return "path";
    case QUARRY_OPTION_PATH_LIST: return "path list";
    default: return "unknown";
    }
}

QuarryRegistry *
quarry_registry_new (void)
{
  QuarryRegistry *reg = g_new0 (QuarryRegistry, 1);

  g_mutex_lock (&ltdl_lock);
  if (ltdl_users++ == 0)
    lt_dlinit ();
  g_mutex_unlock (&ltdl_lock);

  reg->paths = g_ptr_array_new_with_free_func (g_free);
  reg->plugins = g_ptr_array_new_with_free_func (plugin_free);
  reg->failures = g_ptr_array_new_with_free_func (failure_free);
  reg->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  reg->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return reg;
}

void
quarry_registry_free (QuarryRegistry *reg)
{
  if (reg == NULL)
    return;
  g_hash_table_unref (reg->by_name);
  g_hash_table_unref (reg->seen);
  g_ptr_array_unref (reg->plugins);
  g_ptr_array_unref (reg->failures);
  g_ptr_array_unref (reg->paths);
  g_free (reg);

  g_mutex_lock (&ltdl_lock);
  if (--ltdl_users == 0)
    lt_dlexit ();
  g_mutex_unlock (&ltdl_lock);
}

void
quarry_registry_add_path (QuarryRegistry *reg, const char *dir)
{
  g_return_if_fail (dir != NULL);
  for (guint i = 0; i < reg->paths->len; i++)
    if (g_str_equal (reg->paths->pdata[i], dir))
      return;
  g_ptr_array_add (reg->paths, g_strdup (dir));
}

static void
add_env_paths (QuarryRegistry *reg)
{
  const char *env;

  if (reg->env_added)
    return;
  reg->env_added = TRUE;
  env = g_getenv ("QUARRY_PLUGIN_PATH");
  if (env != NULL)
    {
      g_auto(GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; dirs[i] != NULL; i++)
        if (dirs[i][0] != '\0')
          quarry_registry_add_path (reg, dirs[i]);
    }
  if (!reg->no_installed)
    quarry_registry_add_path (reg, QUARRY_PLUGIN_DIR);
}

void
quarry_registry_set_search_installed (QuarryRegistry *reg, gboolean search)
{
  g_return_if_fail (!reg->env_added);
  reg->no_installed = !search;
}

const GPtrArray *
quarry_registry_get_paths (QuarryRegistry *reg)
{
  add_env_paths (reg);
  return reg->paths;
}

const GPtrArray *
quarry_registry_get_failures (QuarryRegistry *reg)
{
  return reg->failures;
}

static void
add_failure (QuarryRegistry *reg, const char *file, const GError *error, const char *hint)
{
  QuarryLoadFailure *f = g_new0 (QuarryLoadFailure, 1);

  f->file = g_strdup (file);
  f->reason = g_strdup (error->message);
  f->hint = g_strdup (hint);
  g_ptr_array_add (reg->failures, f);
}

static gboolean
strv_well_formed (const char *const *v)
{
  guint n = 0;

  if (v == NULL)
    return TRUE;
  for (; v[n] != NULL; n++)
    if (n > 256)
      return FALSE;
  return TRUE;
}

/* A requires/provides entry: layer:NAME, field:NAME, entities or summary. */
static gboolean
need_well_formed (const char *s)
{
  const char *name;

  if (g_str_equal (s, "entities") || g_str_equal (s, "summary"))
    return TRUE;
  if (g_str_has_prefix (s, "layer:"))
    name = s + 6;
  else if (g_str_has_prefix (s, "field:"))
    name = s + 6;
  else
    return FALSE;
  if (!g_ascii_isalnum (*name))
    return FALSE;
  for (; *name != '\0'; name++)
    if (!(g_ascii_isalnum (*name) || *name == '-' || *name == '_' || *name == '.'))
      return FALSE;
  return TRUE;
}

static void
check_needs (GString *bad, const char *field, const char *const *v)
{
  for (guint i = 0; v != NULL && v[i] != NULL; i++)
    if (!need_well_formed (v[i]))
      {
        g_autofree char *shown = g_strescape (v[i], NULL);
        g_string_append_printf (bad, "%s.%s[%u] '%s' is not layer:NAME, field:NAME, entities or summary",
                                bad->len ? "; " : "", field, i, shown);
      }
}

gboolean
quarry_option_parse_bool (const char *raw, gboolean *value)
{
  if (g_ascii_strcasecmp (raw, "true") == 0 || g_ascii_strcasecmp (raw, "yes") == 0 ||
      g_str_equal (raw, "1") || g_ascii_strcasecmp (raw, "on") == 0)
    *value = TRUE;
  else if (g_ascii_strcasecmp (raw, "false") == 0 || g_ascii_strcasecmp (raw, "no") == 0 ||
           g_str_equal (raw, "0") || g_ascii_strcasecmp (raw, "off") == 0)
    *value = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* What is wrong with one row of a plugin's own option table, or NULL: a default
 * that does not parse as its type or lies outside its range, an enum without
 * choices. (A config then never gets blamed for the plugin's default.) */
static char *
option_problem (const QuarryOption *o)
{
  const char *def = o->default_value;
  char *end = NULL;

  if ((guint) o->type > QUARRY_OPTION_PATH_LIST)
    return g_strdup_printf ("option '%s' has an unknown type %u", o->name, (guint) o->type);
  if (o->type == QUARRY_OPTION_ENUM && (o->choices == NULL || o->choices[0] == NULL))
    return g_strdup_printf ("option '%s' is an enum without choices", o->name);
  if ((o->type == QUARRY_OPTION_INT || o->type == QUARRY_OPTION_DOUBLE) && o->min > o->max)
    return g_strdup_printf ("option '%s' has min %g above max %g (set min < max, or both 0 for no range)",
                            o->name, o->min, o->max);
  if (def == NULL)
    return NULL;
  switch (o->type)
    {
    case QUARRY_OPTION_INT:
      {
        gint64 v;
        errno = 0;
        v = g_ascii_strtoll (def, &end, 10);
        if (def[0] == '\0' || *end != '\0' || errno != 0)
          return g_strdup_printf ("option '%s' default '%s' is not a whole number", o->name, def);
        if (o->min < o->max && (v < o->min || v > o->max))
          return g_strdup_printf ("option '%s' default %s is outside %.0f..%.0f", o->name, def, o->min, o->max);
        return NULL;
      }
    case QUARRY_OPTION_DOUBLE:
      {
        double v;
        errno = 0;
        v = g_ascii_strtod (def, &end);
        if (def[0] == '\0' || *end != '\0' || errno != 0 || !isfinite (v))
          return g_strdup_printf ("option '%s' default '%s' is not a number", o->name, def);
        if (o->min < o->max && (v < o->min || v > o->max))
          return g_strdup_printf ("option '%s' default %s is outside %g..%g", o->name, def, o->min, o->max);
        return NULL;
      }
    case QUARRY_OPTION_BOOL:
      {
        gboolean b;
        if (!quarry_option_parse_bool (def, &b))
          return g_strdup_printf ("option '%s' default '%s' is not true or false", o->name, def);
        return NULL;
      }
    case QUARRY_OPTION_ENUM:
      for (guint i = 0; o->choices[i] != NULL; i++)
        if (g_str_equal (def, o->choices[i]))
          return NULL;
      return g_strdup_printf ("option '%s' default '%s' is not one of its choices", o->name, def);
    default:
      return NULL;
    }
}

gboolean
quarry_descriptor_check (const QuarryPluginDescriptor *desc, const char *file, GError **error)
{
  /* the ABI version is read before anything else in the struct */
  if (desc->abi_major != QUARRY_PLUGIN_ABI_MAJOR)
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_ABI,
                   "%s: built for plugin ABI %u.%u, but this Quarry (%s) provides ABI %d.%d",
                   file, desc->abi_major, desc->abi_minor, QUARRY_VERSION,
                   QUARRY_PLUGIN_ABI_MAJOR, QUARRY_PLUGIN_ABI_MINOR);
      return FALSE;
    }
  if (desc->abi_minor > QUARRY_PLUGIN_ABI_MINOR)
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_ABI,
                   "%s: needs plugin ABI %u.%u, newer than this Quarry's (%s) %d.%d: upgrade Quarry, or build the "
                   "plugin for ABI %d.%d (QUARRY_PLUGIN_ABI_REQUIRED_MINOR %d) if it uses nothing newer",
                   file, desc->abi_major, desc->abi_minor, QUARRY_VERSION,
                   QUARRY_PLUGIN_ABI_MAJOR, QUARRY_PLUGIN_ABI_MINOR, QUARRY_PLUGIN_ABI_MAJOR,
                   QUARRY_PLUGIN_ABI_MINOR, QUARRY_PLUGIN_ABI_MINOR);
      return FALSE;
    }
  /* the 1.0 fields at least; a later one is read only when the size holds it too */
  if (desc->struct_size < G_STRUCT_OFFSET (QuarryPluginDescriptor, worker_setup))
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                   "%s: descriptor is %" G_GSIZE_FORMAT " bytes, smaller than ABI %d.0 requires",
                   file, desc->struct_size, QUARRY_PLUGIN_ABI_MAJOR);
      return FALSE;
    }
  {
    g_autoptr(GString) missing = g_string_new (NULL);
    if (desc->name == NULL || desc->name[0] == '\0')
      g_string_append (missing, "a name (.name)");
    if (desc->version == NULL || desc->version[0] == '\0')
      g_string_append_printf (missing, "%sa version (.version)", missing->len ? ", " : "");
    if (desc->process == NULL)
      g_string_append_printf (missing, "%sa process callback (.process)", missing->len ? ", " : "");
    if (missing->len > 0)
      {
        g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                     "%s: the descriptor%s%s%s lacks %s", file, desc->name != NULL ? " of plugin '" : "",
                     desc->name != NULL ? desc->name : "", desc->name != NULL ? "'" : "", missing->str);
        return FALSE;
      }
  }
  /* the reserved tail of an older descriptor is zero: a callback there is a plugin
   * that uses 1.2 but declares less, which the host would silently not call */
  if (desc->abi_minor < 2 && desc->struct_size >= G_STRUCT_OFFSET (QuarryPluginDescriptor, reserved)
      && (desc->worker_setup != NULL || desc->worker_teardown != NULL))
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                   "%s: plugin '%s' sets worker_setup or worker_teardown, which need plugin ABI 1.2, but declares "
                   "ABI %u.%u; require 1.2 (QUARRY_PLUGIN_ABI_REQUIRED_MINOR)", file, desc->name, desc->abi_major,
                   desc->abi_minor);
      return FALSE;
    }
  if (QUARRY_DESCRIPTOR_HAS_1_2 (desc) && desc->worker_teardown != NULL && desc->worker_setup == NULL)
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                   "%s: plugin '%s' has a worker_teardown but no worker_setup; set both or neither", file, desc->name);
      return FALSE;
    }
  for (const char *c = desc->name; *c != '\0'; c++)
    if (!(g_ascii_isalnum (*c) || *c == '-' || *c == '_'))
      {
        g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                     "%s: plugin name '%s' may only hold letters, digits, '-' and '_'", file, desc->name);
        return FALSE;
      }
  if (!strv_well_formed (desc->requires) || !strv_well_formed (desc->provides))
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                   "%s: plugin '%s': requires/provides lists are not NULL-terminated", file, desc->name);
      return FALSE;
    }
  {
    /* every bad entry at once: an author fixes them in one go */
    g_autoptr(GString) bad = g_string_new (NULL);
    check_needs (bad, "requires", desc->requires);
    check_needs (bad, "provides", desc->provides);
    if (desc->options != NULL)
      for (guint i = 0; desc->options[i].name != NULL; i++)
        {
          g_autofree char *why = NULL;
          if (i > 256)
            {
              g_string_append_printf (bad, "%sthe option table has no end row (QUARRY_OPTION_END)", bad->len ? "; " : "");
              break;
            }
          why = option_problem (&desc->options[i]);
          if (why != NULL)
            g_string_append_printf (bad, "%s%s", bad->len ? "; " : "", why);
        }
    if (bad->len > 0)
      {
        g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID, "%s: plugin '%s': %s", file,
                     desc->name, bad->str);
        return FALSE;
      }
  }
  return TRUE;
}

/* The shared object a libtool .la file names (its dlname), where it would be found. */
static char *
la_to_so (const char *la)
{
  g_autofree char *data = NULL, *dir = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (la, &data, NULL, NULL))
    return NULL;
  dir = g_path_get_dirname (la);
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "dlname='"))
      {
        g_autofree char *name = g_strndup (lines[i] + 8, strcspn (lines[i] + 8, "'"));
        char *in_libs = g_build_filename (dir, ".libs", name, NULL);
        if (name[0] == '\0')
          {
            g_free (in_libs);
            return NULL;
          }
        if (g_file_test (in_libs, G_FILE_TEST_EXISTS))
          return in_libs;
        g_free (in_libs);
        return g_build_filename (dir, name, NULL);
      }
  return NULL;
}

/* Where an ELF table of n entries of size each, at offset, ends; G_MAXUINT64 on overflow. */
static guint64
table_end (guint64 offset, guint64 n, guint64 size)
{
  if (n != 0 && size > (G_MAXUINT64 - offset) / n)
    return G_MAXUINT64;
  return offset + n * size;
}

/* The dynamic loader maps a module's segments as the program headers say and
 * touches them: a file cut short (an interrupted copy or build, a full disk)
 * then dies with SIGBUS inside dlopen, so the core checks the file first. NULL
 * if the file is whole as far as its headers tell; otherwise why not. Files
 * that are not ELF of this machine are left to the loader, which refuses them
 * cleanly. */
static char *
truncated_module_reason (const char *so)
{
  union { Elf32_Ehdr e32; Elf64_Ehdr e64; unsigned char ident[EI_NIDENT]; } h;
  struct stat st;
  guint64 size, need;
  gboolean is64;
  guint64 phoff, phnum, phentsize, shoff, shnum, shentsize;
  gssize got;
  int fd = open (so, O_RDONLY | O_CLOEXEC);
  char *why = NULL;

  if (fd < 0)
    return NULL;  /* the loader says why */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    goto out;
  size = st.st_size;
  if (size == 0)
    {
      why = g_strdup_printf ("%s is empty (0 bytes), not a module", so);
      goto out;
    }
  got = pread (fd, &h, sizeof h, 0);
  if (got < EI_NIDENT || memcmp (h.ident, ELFMAG, SELFMAG) != 0)
    goto out;
  is64 = h.ident[EI_CLASS] == ELFCLASS64;
  if ((is64 && sizeof (void *) != 8) || (!is64 && sizeof (void *) != 4))
    goto out;
  if ((gsize) got < (is64 ? sizeof h.e64 : sizeof h.e32))
    {
      why = g_strdup_printf ("%s is cut short: %" G_GUINT64_FORMAT " bytes, less than an ELF header", so, size);
      goto out;
    }
  phoff = is64 ? h.e64.e_phoff : h.e32.e_phoff;
  phnum = is64 ? h.e64.e_phnum : h.e32.e_phnum;
  phentsize = is64 ? h.e64.e_phentsize : h.e32.e_phentsize;
  shoff = is64 ? h.e64.e_shoff : h.e32.e_shoff;
  shnum = is64 ? h.e64.e_shnum : h.e32.e_shnum;
  shentsize = is64 ? h.e64.e_shentsize : h.e32.e_shentsize;
  need = MAX (table_end (phoff, phnum, phentsize), table_end (shoff, shnum, shentsize));
  if (need > size)
    {
      why = g_strdup_printf ("%s is cut short: %" G_GUINT64_FORMAT " bytes, but its ELF headers describe %" G_GUINT64_FORMAT,
                             so, size, need);
      goto out;
    }
  if (phentsize != (is64 ? sizeof (Elf64_Phdr) : sizeof (Elf32_Phdr)))
    goto out;
  for (guint64 i = 0; i < phnum; i++)
    {
      union { Elf32_Phdr p32; Elf64_Phdr p64; } ph;
      guint64 off, filesz;
      if (pread (fd, &ph, phentsize, phoff + i * phentsize) != (gssize) phentsize)
        goto out;
      off = is64 ? ph.p64.p_offset : ph.p32.p_offset;
      filesz = is64 ? ph.p64.p_filesz : ph.p32.p_filesz;
      if (table_end (off, 1, filesz) > size)
        {
          why = g_strdup_printf ("%s is cut short: %" G_GUINT64_FORMAT " bytes, but its segment %" G_GUINT64_FORMAT
                                 " needs %" G_GUINT64_FORMAT, so, size, i, table_end (off, 1, filesz));
          goto out;
        }
    }
out:
  close (fd);
  return why;
}

/* libltdl reports most failures as "file not found"; ask the system loader
 * for the real reason (missing library, undefined symbol, not an ELF file). */
static char *
loader_reason (const char *file, const char *lt_reason)
{
  g_autofree char *so = g_str_has_suffix (file, ".la") ? la_to_so (file) : g_strdup (file);
  void *h;

  if (so == NULL)
    return g_strdup_printf ("%s (not a libtool library with a loadable module)", lt_reason);
  if (!g_file_test (so, G_FILE_TEST_EXISTS))
    return g_strdup_printf ("%s does not exist", so);
  h = dlopen (so, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return g_strdup (dlerror ());
  dlclose (h);
  return g_strdup (lt_reason);
}

const QuarryPlugin *
quarry_registry_load_file (QuarryRegistry *reg, const char *file, GError **error)
{
  lt_dladvise advise;
  lt_dlhandle handle;
  const QuarryPluginDescriptor *desc;
  QuarryPlugin *plugin, *prev;
  GError *local = NULL;
  void *bound = NULL;

  {
    g_autofree char *so = g_str_has_suffix (file, ".la") ? la_to_so (file) : g_strdup (file);
    g_autofree char *why = so != NULL ? truncated_module_reason (so) : NULL;
    if (why != NULL)
      {
        g_set_error (&local, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_LOAD, "%s: cannot load: %s", file, why);
        add_failure (reg, file, local,
                     "rebuild or reinstall the module (a copy or build that did not finish, or a full disk, leaves it cut short), or remove it from the plugin path");
        g_propagate_error (error, local);
        return NULL;
      }
    /* libltdl binds lazily and has no advice for RTLD_NOW, so a plugin calling a
     * function nothing defines would load, pass inspect and validate, and kill the
     * run at its first document (exit 127). Binding every symbol now, with the same
     * file, refuses it here with the symbol's name; the handle stays open until
     * libltdl has its own, so the module is bound once. */
    if (so != NULL && g_file_test (so, G_FILE_TEST_EXISTS))
      {
        bound = dlopen (so, RTLD_NOW | RTLD_LOCAL);
        if (bound == NULL)
          {
            const char *dl_why = dlerror ();
            g_set_error (&local, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_LOAD, "%s: cannot load: %s", file,
                         dl_why != NULL ? dl_why : "the dynamic loader gave no reason");
            add_failure (reg, file, local,
                         dl_why != NULL && strstr (dl_why, "undefined symbol") != NULL
                         ? "the plugin uses a function or variable that neither it nor its libraries define: fix the "
                           "name, or link the library that has it (build with -Wl,-z,defs to catch this at link time)"
                         : "check that the libraries it links to are installed (ldd FILE) and that it was built for this system");
            g_propagate_error (error, local);
            return NULL;
          }
      }
  }
  lt_dladvise_init (&advise);
  lt_dladvise_ext (&advise);
  lt_dladvise_local (&advise);
  handle = lt_dlopenadvise (file, advise);
  lt_dladvise_destroy (&advise);
  if (bound != NULL)
    dlclose (bound);
  if (handle == NULL)
    {
      const char *lt_why = lt_dlerror ();
      g_autofree char *why = loader_reason (file, lt_why != NULL ? lt_why : "unknown loader error");
      g_set_error (&local, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_LOAD,
                   "%s: cannot load: %s", file, why);
      add_failure (reg, file, local,
                   "check that the libraries it links to are installed (ldd FILE) and that it was built for this system");
      g_propagate_error (error, local);
      return NULL;
    }
  desc = lt_dlsym (handle, QUARRY_PLUGIN_SYMBOL);
  if (desc == NULL)
    {
      g_set_error (&local, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_NO_SYMBOL,
                   "%s: not a Quarry plugin: it has no '%s' symbol", file, QUARRY_PLUGIN_SYMBOL);
      add_failure (reg, file, local,
                   "define the descriptor with QUARRY_PLUGIN_DEFINE() and export it, or move the file out of the plugin path");
      lt_dlclose (handle);
      g_propagate_error (error, local);
      return NULL;
    }
  if (!quarry_descriptor_check (desc, file, &local))
    {
      add_failure (reg, file, local,
                   local->code == QUARRY_REGISTRY_ERROR_ABI
                   ? "rebuild the plugin against this Quarry's headers (pkg-config --cflags quarry)"
                   : "fix the plugin's descriptor and rebuild it");
      lt_dlclose (handle);
      g_propagate_error (error, local);
      return NULL;
    }
  prev = g_hash_table_lookup (reg->by_name, desc->name);
  if (prev != NULL)
    {
      /* the first one on the path wins; the handle is the same if it is the same file */
      if (prev->handle != handle)
        {
          g_set_error (&local, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                       "%s: plugin '%s' is already loaded from %s, which comes first on the path",
                       file, desc->name, prev->file);
          add_failure (reg, file, local, "remove one of the two copies, or reorder QUARRY_PLUGIN_PATH");
          g_propagate_error (error, local);
        }
      lt_dlclose (handle);
      return prev->handle != handle ? NULL : prev;
    }
  plugin = g_new0 (QuarryPlugin, 1);
  plugin->desc = desc;
  plugin->file = g_strdup (file);
  plugin->handle = handle;
  g_ptr_array_add (reg->plugins, plugin);
  g_hash_table_insert (reg->by_name, (gpointer) desc->name, plugin);
  return plugin;
}

static int
compare_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Module files in dir: NAME.la, or NAME.so where there is no NAME.la. */
static void
scan_dir (QuarryRegistry *reg, const char *dir, gboolean descend)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_str);  /* a stable order whatever the file system */

  for (guint i = 0; i < names->len; i++)
    {
      const char *n = names->pdata[i];
      g_autofree char *path = g_build_filename (dir, n, NULL);
      g_autofree char *stem = NULL;
      g_autofree char *key = NULL;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (descend && n[0] != '.')
            scan_dir (reg, path, FALSE);
          continue;
        }
      if (g_str_has_suffix (n, ".la"))
        stem = g_strndup (n, strlen (n) - 3);
      else if (g_str_has_suffix (n, ".so"))
        stem = g_strndup (n, strlen (n) - 3);
      else
        continue;
      key = g_build_filename (dir, stem, NULL);
      if (g_str_has_suffix (n, ".so"))
        {
          g_autofree char *la = g_strconcat (key, ".la", NULL);
          if (g_file_test (la, G_FILE_TEST_EXISTS))
            continue;  /* the .la names it */
        }
      if (g_hash_table_contains (reg->seen, key))
        continue;
      g_hash_table_add (reg->seen, g_steal_pointer (&key));
      quarry_registry_load_file (reg, path, NULL);
    }
}

void
quarry_registry_scan (QuarryRegistry *reg)
{
  if (reg->scanned)
    return;
  reg->scanned = TRUE;
  add_env_paths (reg);
  for (guint i = 0; i < reg->paths->len; i++)
    scan_dir (reg, reg->paths->pdata[i], TRUE);
}

const QuarryPlugin *
quarry_registry_lookup (QuarryRegistry *reg, const char *name, GError **error)
{
  QuarryPlugin *p;
  g_autoptr(GString) msg = NULL;

  quarry_registry_scan (reg);
  p = g_hash_table_lookup (reg->by_name, name);
  if (p != NULL)
    return p;

  msg = g_string_new (NULL);
  g_string_append_printf (msg, "no plugin named '%s' in", name);
  for (guint i = 0; i < reg->paths->len; i++)
    g_string_append_printf (msg, "%s %s", i ? "," : "", (const char *) reg->paths->pdata[i]);
  for (guint i = 0; i < reg->failures->len; i++)
    {
      QuarryLoadFailure *f = reg->failures->pdata[i];
      g_autofree char *base = g_path_get_basename (f->file);
      if (g_str_has_prefix (base, name) && (base[strlen (name)] == '.' || base[strlen (name)] == '\0'))
        g_string_append_printf (msg, " (%s failed to load: %s)", f->file, f->reason);
    }
  g_string_append (msg, "; run 'quarry inspect' to list the plugins found, or add a folder with --plugin-path or QUARRY_PLUGIN_PATH");
  g_set_error_literal (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_NOT_FOUND, msg->str);
  return NULL;
}

static int
compare_plugins (gconstpointer a, gconstpointer b)
{
  const QuarryPlugin *x = *(QuarryPlugin *const *) a, *y = *(QuarryPlugin *const *) b;

  return strcmp (x->desc->name, y->desc->name);
}

GPtrArray *
quarry_registry_list (QuarryRegistry *reg)
{
  GPtrArray *out;

  quarry_registry_scan (reg);
  out = g_ptr_array_new ();
  for (guint i = 0; i < reg->plugins->len; i++)
    g_ptr_array_add (out, reg->plugins->pdata[i]);
  g_ptr_array_sort (out, compare_plugins);
  return out;
}
