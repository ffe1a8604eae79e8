/* registry.c: finds stage plugin modules on the search path, loads them with libltdl, checks their descriptors. */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
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
                   "%s: built for plugin ABI %u.%u, newer than this Quarry's %d.%d",
                   file, desc->abi_major, desc->abi_minor,
                   QUARRY_PLUGIN_ABI_MAJOR, QUARRY_PLUGIN_ABI_MINOR);
      return FALSE;
    }
  if (desc->struct_size < G_STRUCT_OFFSET (QuarryPluginDescriptor, reserved))
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                   "%s: descriptor is %" G_GSIZE_FORMAT " bytes, smaller than ABI %d.0 requires",
                   file, desc->struct_size, QUARRY_PLUGIN_ABI_MAJOR);
      return FALSE;
    }
  if (desc->name == NULL || desc->name[0] == '\0' || desc->version == NULL || desc->process == NULL)
    {
      g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                   "%s: descriptor lacks a name, a version or a process callback", file);
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
                   "%s: requires/provides lists are not NULL-terminated", file);
      return FALSE;
    }
  if (desc->options != NULL)
    for (guint i = 0; desc->options[i].name != NULL; i++)
      {
        const QuarryOption *o = &desc->options[i];
        if (i > 256 || (guint) o->type > QUARRY_OPTION_PATH_LIST ||
            (o->type == QUARRY_OPTION_ENUM && o->choices == NULL))
          {
            g_set_error (error, QUARRY_REGISTRY_ERROR, QUARRY_REGISTRY_ERROR_INVALID,
                         "%s: option table entry %u ('%s') is malformed (unknown type, enum without choices, or no end row)",
                         file, i, o->name);
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
  }
  lt_dladvise_init (&advise);
  lt_dladvise_ext (&advise);
  lt_dladvise_local (&advise);
  handle = lt_dlopenadvise (file, advise);
  lt_dladvise_destroy (&advise);
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
