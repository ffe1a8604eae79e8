/* hp-scan.c: the cable header: routing block, classification line, labelled fields; ties in the body scan. */
#include "hp-internal.h"

#include <stdlib.h>
#include <string.h>

#define HP_HEAD_MAX 16384  /* a header never runs longer than this; keeps the worst case linear */

typedef enum { L_EO, L_TAGS, L_SUBJ, L_REF, L_CLASSBY, L_N } LabelKind;

typedef struct {
  gboolean found;
  gsize    label;   /* offset of the label in the zone copy */
  gsize    value;   /* offset of its value */
  gsize    end;     /* end of the value (next label or zone end) */
} Label;

typedef struct {
  const char  *t;
  gsize        rs, re;
  const HpInput *in;
  HpResult    *res;
  json_object *f;
  json_object *routing;
  int          year, month, day;   /* the cable's date, 0 if unknown */
  gboolean     date_inferred;
  const char  *class_name;         /* from the classification line */
  char        *origin;
  char        *number;
  gsize        hdr_start, hdr_end; /* header span, original offsets */
  gboolean     have_hdr;
  gsize        ref_s, ref_e;
  char        *de_number;          /* from the routing DE line */
  const char  *class_caveat;       /* "NOFORN" of "SECRET//NOFORN", owned by the class line */
  int          max_ref_year;       /* the latest year a reference gives explicitly */       /* the REF value in the zone copy, read once the year is known */
} Ctx;

/* ---- small helpers ---- */

static void
diag (Ctx *c, gboolean warning, const char *code, gssize offset, const char *fmt, ...) G_GNUC_PRINTF (5, 6);

static void
diag (Ctx *c, gboolean warning, const char *code, gssize offset, const char *fmt, ...)
{
  HpDiag d = { warning, code, offset, NULL };
  va_list ap;

  va_start (ap, fmt);
  d.message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_array_append_val (c->res->diags, d);
}

static void
add_span (Ctx *c, const char *layer, char *label, gsize start, gsize end, json_object *attrs)
{
  HpSpan s = { layer, label, start, end, attrs };
  g_array_append_val (c->res->spans, s);
}

static void
mark_header (Ctx *c, gsize start, gsize end)
{
  if (end <= start)
    return;
  if (!c->have_hdr)
    {
      c->hdr_start = start;
      c->hdr_end = end;
      c->have_hdr = TRUE;
      return;
    }
  c->hdr_start = MIN (c->hdr_start, start);
  c->hdr_end = MAX (c->hdr_end, end);
}

static gboolean
is_close_punct (const char *p)
{
  return *p == ',' || *p == '.' || *p == ';' || *p == ':' || *p == ')' || *p == '!' || *p == '?';
}

/* One line, whitespace collapsed, tokenization undone ("A , B" -> "A, B", "( b )" -> "(b)"). */
char *
hp_normalize_value (const char *s, gsize n)
{
  GString *out = g_string_sized_new (n);
  const char *p = s, *end = s + n;
  gboolean pending_space = FALSE;

  while (p < end)
    {
      gboolean nbsp = (guchar) p[0] == 0xC2 && p + 1 < end && (guchar) p[1] == 0xA0;
      if (hp_is_space (*p) || nbsp)
        {
          pending_space = out->len > 0;
          p += nbsp ? 2 : 1;
          continue;
        }
      if (pending_space)
        {
          gboolean glue = is_close_punct (p) && !(p + 1 < end && *p == '.' && hp_is_alpha (p[1]));
          if (out->len > 0 && out->str[out->len - 1] == '(')
            glue = TRUE;
          /* "1.4 (b)" keeps its space; only a lone punctuation token is glued back */
          if (*p == ':' && p + 1 < end && !hp_is_space (p[1]))
            glue = FALSE;
          if (!glue)
            g_string_append_c (out, ' ');
          pending_space = FALSE;
        }
      g_string_append_c (out, *p);
      p++;
    }
  return g_string_free (out, FALSE);
}

static int
days_in_month (int y, int m)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return days[m - 1];
}

static int
expand_year (int yy, int pivot_year)
{
  int y;
  if (pivot_year <= 0)
    return yy >= 60 ? 1900 + yy : 2000 + yy;
  y = 2000 + yy;
  if (y > pivot_year + 50)
    y -= 100;
  return y;
}

/* "11/04/2019", "1/29/19", "2035/02/12", "2009-11-04" (a trailing period is fine). */
gboolean
hp_parse_date (const char *s, gsize n, int pivot_year, int *year, int *month, int *day)
{
  int v[3] = { 0, 0, 0 }, len[3] = { 0, 0, 0 }, k = 0;
  char sep = 0;
  const char *p = s, *end = s + n;
  int y, m, d;

  while (p < end && k < 3)
    {
      if (hp_is_digit (*p))
        {
          if (len[k] >= 4)
            return FALSE;
          v[k] = v[k] * 10 + (*p - '0');
          len[k]++;
          p++;
        }
      else if ((*p == '/' || *p == '-') && len[k] > 0 && k < 2 && (!sep || sep == *p))
        {
          sep = *p;
          k++;
          p++;
        }
      else
        break;
    }
  if (k != 2 || len[2] == 0)
    return FALSE;
  while (p < end && (*p == '.' || *p == ',' || hp_is_space (*p)))
    p++;
  if (p != end)
    return FALSE;
  if (len[0] == 4)
    y = v[0], m = v[1], d = v[2];
  else if (len[2] == 4 || len[2] == 2)
    {
      m = v[0], d = v[1];
      y = len[2] == 4 ? v[2] : expand_year (v[2], pivot_year);
      if (len[0] > 2 || len[1] > 2)
        return FALSE;
    }
  else
    return FALSE;
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > days_in_month (y, m))
    return FALSE;
  *year = y, *month = m, *day = d;
  return TRUE;
}

static json_object *
json_iso_date (int y, int m, int d)
{
  char buf[16];
  g_snprintf (buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return json_object_new_string (buf);
}

static int
month_from_name (const char *p, const char *end)
{
  static const char *const names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
  for (int i = 0; i < 12; i++)
    if (hp_has_prefix_ci (p, end, names[i]))
      return i + 1;
  return 0;
}

/* ---- lines of a copy ---- */

typedef struct {
  const char *s;   /* start, after leading blanks */
  const char *e;   /* end, before trailing blanks */
  const char *ls;  /* raw line start */
  const char *le;  /* raw line end */
} Line;

static gboolean
next_line (const char **cursor, const char *end, Line *line)
{
  const char *p = *cursor;
  if (p >= end)
    return FALSE;
  line->ls = p;
  line->le = hp_line_end (p, end);
  *cursor = line->le < end ? line->le + 1 : end;
  line->s = line->ls;
  line->e = line->le;
  while (line->s < line->e && hp_is_space (*line->s))
    line->s++;
  while (line->e > line->s && hp_is_space (line->e[-1]))
    line->e--;
  return TRUE;
}

/* ---- the routing block ---- */

/* "RUEHC/SECSTATE WASHDC PRIORITY 5314" -> "SECSTATE WASHDC" */
static char *
clean_recipient (const char *p, const char *e)
{
  static const char *const prec[] = { " NIACT IMMEDIATE", " IMMEDIATE", " PRIORITY", " ROUTINE", " FLASH" };
  const char *slash;
  gboolean changed = TRUE;

  while (p < e && hp_is_space (*p))
    p++;
  slash = memchr (p, '/', e - p);

  if (slash && slash - p <= 9 && slash > p)
    {
      const char *q;
      for (q = p; q < slash && (hp_is_upper (*q) || hp_is_digit (*q)); q++)
        ;
      if (q == slash)
        p = slash + 1;
    }
  while (changed && e > p)
    {
      changed = FALSE;
      while (e > p && hp_is_space (e[-1]))
        e--;
      if (e > p && hp_is_digit (e[-1]))
        {
          const char *q = e;
          while (q > p && hp_is_digit (q[-1]))
            q--;
          if (q > p && q[-1] == ' ')
            e = q, changed = TRUE;
        }
      for (guint i = 0; i < G_N_ELEMENTS (prec); i++)
        {
          gsize n = strlen (prec[i]);
          if ((gsize) (e - p) > n && memcmp (e - n, prec[i], n) == 0)
            {
              e -= n;
              changed = TRUE;
              break;
            }
        }
    }
  if (e <= p)
    return NULL;
  return hp_normalize_value (p, e - p);
}

static void
add_recipient (json_object **list, const char *p, const char *e)
{
  char *r = clean_recipient (p, e);
  if (!r)
    return;
  if (!*list)
    *list = json_object_new_array ();
  json_object_array_add (*list, json_object_new_string (r));
  g_free (r);
}

/* "P 051741Z NOV 09", "P R 151635Z JAN 09", "291359Z Nov 00": the date-time group. */
static gboolean
parse_dtg_line (const char *p, const char *e, char *prec, const char **dtg_s, const char **dtg_e,
                int *y, int *m, int *d)
{
  const char *q = p;
  int day, yy, mon;

  *prec = 0;
  while (q + 1 < e && hp_is_upper (q[0]) && q[1] == ' ')
    {
      if (!*prec)
        *prec = q[0];
      q += 2;
    }
  if (e - q < 14)
    return FALSE;
  for (int i = 0; i < 6; i++)
    if (!hp_is_digit (q[i]))
      return FALSE;
  if (q[6] != 'Z' || q[7] != ' ')
    return FALSE;
  mon = month_from_name (q + 8, e);
  if (!mon || q[11] != ' ' || !hp_is_digit (q[12]) || !hp_is_digit (q[13]))
    return FALSE;
  if (q + 14 < e && hp_is_digit (q[14]))
    return FALSE;
  day = (q[0] - '0') * 10 + (q[1] - '0');
  yy = (q[12] - '0') * 10 + (q[13] - '0');
  *y = expand_year (yy, 0);
  if (day < 1 || day > days_in_month (*y, mon))
    return FALSE;
  *m = mon;
  *d = day;
  *dtg_s = q;
  *dtg_e = q + 14;
  return TRUE;
}

/* "Thursday, 05 November 2009, 15:18" */
static gboolean
parse_day_line (const char *p, const char *e, int *y, int *m, int *d)
{
  const char *q = memchr (p, ',', e - p);
  int day = 0, year = 0, mon;

  if (!q || q - p < 6 || q - p > 9 || !hp_has_prefix_ci (q - 3, e, "day"))
    return FALSE;
  q++;
  while (q < e && *q == ' ')
    q++;
  while (q < e && hp_is_digit (*q))
    day = day * 10 + (*q++ - '0');
  if (q >= e || *q != ' ')
    return FALSE;
  mon = month_from_name (q + 1, e);
  while (q < e && *q != ',' && !hp_is_digit (q[0] == ' ' ? q[1] : 'x'))
    q++;
  if (q < e && *q == ' ')
    q++;
  while (q < e && hp_is_digit (*q))
    year = year * 10 + (*q++ - '0');
  if (!mon || year < 1900 || year > 2199 || day < 1 || day > days_in_month (year, mon))
    return FALSE;
  *y = year, *m = mon, *d = day;
  return TRUE;
}

typedef enum { R_NONE, R_TO, R_INFO } RoutingState;

/* A continuation line of TO/INFO: addressees only, in the form the list began with; a
 * caveat line or a "LABEL:" line (the body glued on without a blank line) ends the list. */
static gboolean
recipient_line (const char *p, const char *e)
{
  gboolean only_x;

  if ((e - p == 2 && memcmp (p, "BT", 2) == 0) || memchr (p, ':', e - p) || hp_has_prefix_ci (p, e, "SIPDIS")
      || hp_has_prefix_ci (p, e, "NOFORN") || hp_has_prefix_ci (p, e, "E.O"))
    return FALSE;
  only_x = TRUE;
  for (const char *q = p; q < e; q++)
    {
      if (*q >= 'a' && *q <= 'z')
        return FALSE;
      only_x &= *q == 'X';
    }
  /* a redaction line ("XXXXXXXXXXXX") is no addressee; lines with and without routing
   * indicators mix ("ALL NATO POST COLLECTIVE" among "RUEHGB/AMEMBASSY BAGHDAD") */
  return !only_x;
}

static const char *
zny_class (const char *p, const char *e)
{
  if (e - p < 9 || memcmp (p, "ZNY ", 4) != 0)
    return NULL;
  switch (p[4])
    {
    case 'C': return "CONFIDENTIAL";
    case 'S': return "SECRET";
    case 'U': case 'E': return "UNCLASSIFIED";
    default: return NULL;
    }
}

/* Reads the routing lines of head[0, stop); returns the classification its ZNY line gives. */
static const char *
parse_routing (Ctx *c, const HpClean *head, gsize stop)
{
  const char *b = head->s->str, *end = b + stop, *cur = b;
  json_object *to = NULL, *info = NULL;
  RoutingState st = R_NONE;
  gboolean seen_fm = FALSE, any = FALSE;
  const char *zny = NULL;
  Line ln;
  char prec;
  int y, m, d;

  c->routing = json_object_new_object ();
  while (next_line (&cur, end, &ln))
    {
      const char *ds, *de;
      gboolean routing_line = TRUE;

      if (ln.s == ln.e)
        {
          st = R_NONE;
          continue;
        }
      if (ln.e - ln.s >= 5 && memcmp (ln.s, "VZCZC", 5) == 0)
        {
          const char *q = ln.s;
          while (q < ln.e && *q != ' ')
            q++;
          json_object_object_add (c->routing, "transmission_id", json_object_new_string_len (ln.s, q - ln.s));
        }
      else if (parse_dtg_line (ln.s, ln.e, &prec, &ds, &de, &y, &m, &d))
        {
          static const struct { char c; const char *name; } precs[] = {
            { 'Z', "FLASH" }, { 'O', "IMMEDIATE" }, { 'P', "PRIORITY" }, { 'R', "ROUTINE" } };
          if (prec)
            {
              for (guint i = 0; i < G_N_ELEMENTS (precs); i++)
                if (precs[i].c == prec)
                  json_object_object_add (c->routing, "precedence", json_object_new_string (precs[i].name));
              json_object_object_add (c->routing, "dtg", json_object_new_string_len (ds, de - ds));
            }
          else
            routing_line = FALSE;  /* the page's own date line, not the telegram's */
          if (!c->year)
            c->year = y, c->month = m, c->day = d;
        }
      else if (parse_day_line (ln.s, ln.e, &y, &m, &d))
        {
          routing_line = FALSE;
          if (!c->year)
            c->year = y, c->month = m, c->day = d;
        }
      else if (zny_class (ln.s, ln.e))
        zny = zny_class (ln.s, ln.e);
      else if (ln.e - ln.s > 3 && memcmp (ln.s, "FM ", 3) == 0)
        {
          char *v = hp_normalize_value (ln.s + 3, ln.e - ln.s - 3);
          json_object_object_add (c->routing, "from", json_object_new_string (v));
          g_free (v);
          seen_fm = TRUE;
          st = R_NONE;
        }
      else if (seen_fm && ln.e - ln.s >= 2 && memcmp (ln.s, "TO", 2) == 0 && (ln.e - ln.s == 2 || ln.s[2] == ' '))
        {
          const char *q = ln.s + 2;
          while (q < ln.e && *q == ' ')
            q++;
          st = R_TO;
          /* "TO PAGE 02 STATE 015113 182333Z": a page header fell in */
          if (!(ln.e - q > 7 && memcmp (q, "PAGE ", 5) == 0 && hp_is_digit (q[5])))
            add_recipient (&to, q, ln.e);
        }
      else if (seen_fm && ln.e - ln.s > 5 && memcmp (ln.s, "INFO ", 5) == 0)
        {
          const char *q = ln.s + 5;
          while (q < ln.e && *q == ' ')
            q++;
          st = R_INFO;
          add_recipient (&info, q, ln.e);
        }
      else if (st != R_NONE && recipient_line (ln.s, ln.e))
        add_recipient (st == R_TO ? &to : &info, ln.s, ln.e);
      else if (ln.e - ln.s >= 3 && memcmp (ln.s, "DE ", 3) == 0)
        {
          /* "DE RUEHMO #2734/01 3091741": the telegram's sequence number */
          const char *h = memchr (ln.s, '#', ln.e - ln.s), *q;
          if (h && !c->de_number)
            {
              for (q = h + 1; q < ln.e && hp_is_digit (*q); q++)
                ;
              if (q > h + 1)
                c->de_number = g_strndup (h + 1, q - h - 1);
            }
        }
      else if (ln.e - ln.s > 3 && ln.s[0] == ln.s[1] && hp_is_upper (ln.s[0]) && ln.s[2] == ' ')
        ;  /* "PP RUEHBC ...": the precedence prosigns and routing indicators */
      else
        {
          routing_line = FALSE;
          st = R_NONE;
        }
      if (routing_line)
        {
          any = TRUE;
          mark_header (c, hp_clean_orig (head, ln.s - b), hp_clean_orig (head, ln.e - b - 1) + 1);
        }
    }
  if (to)
    json_object_object_add (c->routing, "to", to);
  if (info)
    json_object_object_add (c->routing, "info", info);
  if (!any || json_object_object_length (c->routing) == 0)
    {
      json_object_put (c->routing);
      c->routing = NULL;
    }
  return zny;
}

/* ---- the classification line ---- */

typedef struct {
  const char *name;
  gsize       line_start;  /* in the head copy */
  gsize       end;         /* after the reference number (or the class word) */
  int         sec_index, sec_total;
  char       *origin;
  char       *number;
  char       *slash_caveat;  /* "NOFORN" of "SECRET//NOFORN" */
} ClassLine;

static gboolean
read_int (const char **pp, const char *e, int *v)
{
  const char *p = *pp;
  int n = 0, k = 0;
  while (p < e && hp_is_digit (*p) && k < 4)
    n = n * 10 + (*p++ - '0'), k++;
  if (k == 0)
    return FALSE;
  *v = n;
  *pp = p;
  return TRUE;
}

static gboolean
parse_class_line (const Line *ln, ClassLine *cl)
{
  const char *after, *p, *e = ln->e, *words_s, *words_e = NULL;
  const char *name = hp_match_class (ln->s, e, &after);

  if (!name)
    return FALSE;
  memset (cl, 0, sizeof *cl);
  cl->name = name;
  cl->end = 0;
  p = after;
  while (p + 1 < e && p[0] == '/' && p[1] == '/')
    {
      /* "SECRET//NOFORN STATE 012345" */
      const char *w = p + 2;
      p = w;
      while (p < e && hp_is_upper (*p))
        p++;
      if (p > w && !cl->slash_caveat)
        cl->slash_caveat = g_strndup (w, p - w);
    }
  while (p < e && (*p == ' ' || *p == '/'))
    p++;
  if (hp_has_prefix_ci (p, e, "SECTION "))
    {
      const char *q = p + 8;
      int a, b;
      while (q < e && *q == ' ')
        q++;
      if (read_int (&q, e, &a))
        {
          while (q < e && *q == ' ')
            q++;
          if (hp_has_prefix_ci (q, e, "OF "))
            {
              q += 3;
              while (q < e && *q == ' ')
                q++;
              if (read_int (&q, e, &b) && a >= 1 && b >= a)
                {
                  cl->sec_index = a;
                  cl->sec_total = b;
                  p = q;
                  while (p < e && *p == ' ')
                    p++;
                }
            }
        }
    }
  /* origin words, then the number */
  words_s = p;
  for (int words = 0; p < e && words < 5; words++)
    {
      const char *w = p;
      while (p < e && (hp_is_alpha (*p) || *p == '-'))
        p++;
      if (p == w)
        break;
      words_e = p;
      if (p < e && *p != ' ')
        break;
      while (p < e && *p == ' ')
        p++;
      if (p < e && hp_is_digit (*p))
        {
          const char *n = p;
          while (p < e && hp_is_digit (*p))
            p++;
          if (p - n >= 3 && p - n <= 7 && (p == e || !hp_is_alpha (*p)))
            {
              char *o = hp_normalize_value (words_s, words_e - words_s);
              cl->origin = g_ascii_strup (o, -1);
              g_free (o);
              cl->number = g_strndup (n, p - n);
              cl->end = p - ln->ls;  /* relative; fixed by the caller */
              return TRUE;
            }
          break;
        }
    }
  cl->end = after - ln->ls;
  return TRUE;
}

static void
class_line_clear (ClassLine *cl)
{
  g_free (cl->origin);
  g_free (cl->number);
  g_free (cl->slash_caveat);
  memset (cl, 0, sizeof *cl);
}

/* the first line whose start reads as a label or a paragraph: the header has begun */
static gboolean
line_starts_fields (const Line *ln)
{
  const char *p = ln->s, *e = ln->e;
  if (hp_has_prefix_ci (p, e, "E.O.") || hp_has_prefix_ci (p, e, "EO 1") || hp_has_prefix_ci (p, e, "TAGS")
      || hp_has_prefix_ci (p, e, "SUBJ") || hp_has_prefix_ci (p, e, "CLASSIFIED BY"))
    return TRUE;
  return e - p > 3 && hp_is_digit (p[0]) && p[1] == '.' && p[2] == ' ' && p[3] == '(';
}

static gboolean
find_class_line (const HpClean *head, ClassLine *out)
{
  const char *b = head->s->str, *end = b + head->s->len, *cur = b;
  ClassLine weak = { 0 };
  gboolean have_weak = FALSE;
  Line ln;

  for (int n = 0; n < 200 && next_line (&cur, end, &ln); n++)
    {
      ClassLine cl;
      if (ln.s == ln.e)
        continue;
      if (parse_class_line (&ln, &cl))
        {
          cl.line_start = ln.s - b;
          cl.end += ln.ls - b;
          if (cl.origin)
            {
              if (have_weak)
                class_line_clear (&weak);
              *out = cl;
              return TRUE;
            }
          if (!have_weak)
            {
              /* a lone classification line, good only if nothing stronger follows */
              const char *q = cur;
              Line nx;
              if (!(next_line (&q, end, &nx) && hp_has_prefix_ci (nx.s, nx.e, "PAGE ")))
                {
                  weak = cl;
                  have_weak = TRUE;
                  continue;
                }
            }
          class_line_clear (&cl);
          continue;
        }
      if (line_starts_fields (&ln))
        break;
    }
  if (have_weak)
    {
      *out = weak;
      return TRUE;
    }
  return FALSE;
}

/* ---- labels ---- */

static gboolean
word_is (const char *p, const char *end, const char *const *words, gsize *len, gboolean *exact_upper)
{
  for (guint i = 0; words[i]; i++)
    {
      gsize n = strlen (words[i]);
      if ((gsize) (end - p) >= n && hp_has_prefix_ci (p, end, words[i])
          && (p + n == end || !(hp_is_alpha (p[n]) || hp_is_digit (p[n]))))
        {
          *len = n;
          *exact_upper = memcmp (p, words[i], n) == 0;
          return TRUE;
        }
    }
  return FALSE;
}

static const char *const tags_words[] = { "TAGS", "TAG", "TAGSS", "TGAS", "TAFS", "TAGES", "TAQS", "TASG", "TAS",
                                          "TABS", "TGS", "TAGD", "TAHS", "TSGS", NULL };
/* the misspellings that are also words ("tabs on ...", "TGS denied ..."): without a colon or a
 * dash, a label only before codes in capitals */
static const char *const tags_words_loose[] = { "TAS", "TABS", "TGS", "TAG", NULL };
static const char *const subj_words[] = { "SUBJECT", "SUBJ", "SUBJEC", "SUBJET", "SUJECT", "SUBECT", "SUBJECTS", NULL };
static const char *const ref_words[] = { "REF(S)", "REFTEL(S)", "REFTELS", "REFTEL", "REFERENCES", "REFERENCE",
                                         "REFS", "REF", NULL };

static gboolean
has_lower_in (const char *p, const char *e)
{
  for (; p < e; p++)
    if (*p >= 'a' && *p <= 'z')
      return TRUE;
  return FALSE;
}

/* Is there a label at p? Labels with a colon count anywhere; without, at a line start
 * or when written in capitals (the tokenized one-line header). */
static gboolean
match_label (const char *p, const char *end, gboolean line_start, char prev_end, LabelKind *kind, const char **value)
{
  gsize n;
  gboolean upper;
  const char *q;

  if (hp_upper (*p) == 'E')
    {
      if (!line_start && prev_end == ',')
        return FALSE;  /* "Classified By: DCM X, E.O. 12958, reason 1.4 (b)" */
      static const char *const eo[] = { "E.O.", "E. O.", "E.0.", "E.O", "EO", NULL };
      for (guint i = 0; eo[i]; i++)
        if (hp_has_prefix_ci (p, end, eo[i]))
          {
            q = p + strlen (eo[i]);
            if (q < end && hp_is_alpha (*q))
              continue;
            while (q < end && (*q == ' ' || *q == ':' || *q == '.'))
              q++;
            if ((end - q >= 5 && hp_is_digit (q[0]) && hp_is_digit (q[1]) && hp_is_digit (q[2])
                 && hp_is_digit (q[3]) && hp_is_digit (q[4]))
                || hp_has_prefix_ci (q, end, "N/A") || hp_has_prefix_ci (q, end, "DECL"))
              {
                *kind = L_EO;
                *value = q;
                return TRUE;
              }
          }
      return FALSE;
    }
  if (hp_upper (*p) == 'C')
    {
      if (!hp_has_prefix_ci (p, end, "CLASSIFIED"))
        return FALSE;
      q = p + 10;
      if (q >= end || *q != ' ')
        return FALSE;
      while (q < end && *q == ' ')
        q++;
      if (!hp_has_prefix_ci (q, end, "BY") || (q + 2 < end && hp_is_alpha (q[2])))
        return FALSE;
      q += 2;
      while (q < end && *q == ' ')
        q++;
      if (q < end && *q == ':')
        q++;
      else if (!line_start && !(prev_end == '.' || prev_end == ')'))
        return FALSE;  /* "... CLASSIFIED BY ..." inside a subject is not the label */
      while (q < end && (*q == ' ' || *q == ':'))
        q++;
      *kind = L_CLASSBY;
      *value = q;
      return TRUE;
    }
  /* each list's words share their first letter */
  if (hp_upper (*p) == 'T' && word_is (p, end, tags_words, &n, &upper))
    *kind = L_TAGS;
  else if (hp_upper (*p) == 'S' && word_is (p, end, subj_words, &n, &upper))
    *kind = L_SUBJ;
  else if (hp_upper (*p) == 'R' && word_is (p, end, ref_words, &n, &upper))
    *kind = L_REF;
  else
    return FALSE;
  q = p + n;
  while (q < end && *q == ' ')
    q++;
  /* "TAGS:", "SUBJECT -", "REF --" */
  if (q < end && (*q == ':' || (*q == '-' && (q + 1 >= end || q[1] == ' ' || q[1] == '-'))))
    {
      while (q < end && (*q == ':' || *q == '-'))
        q++;
      while (q < end && *q == ' ')
        q++;
      *value = q;
      return TRUE;
    }
  if (q >= end || *q == '\n')
    return FALSE;
  if (*kind == L_TAGS && word_is (p, end, tags_words_loose, &n, &upper))
    {
      /* "TAG PTER, PGOV": a code of 2 to 4 capitals follows, and nothing in lower case */
      const char *w = q, *le = hp_line_end (q, end);
      while (w < le && hp_is_upper (*w))
        w++;
      if (!upper || !line_start || w - q < 2 || w - q > 4 || (w < le && *w != ' ' && *w != ',') || has_lower_in (q, le))
        return FALSE;
    }
  if (*kind == L_REF)
    {
      /* "REF" without a colon: only at a line start, in capitals */
      if (!line_start || !upper)
        return FALSE;
    }
  else if (!line_start && !(upper && n >= 4))
    return FALSE;
  *value = q;
  return TRUE;
}

static gsize marking_len (const char *p, const char *e);

/* the last non-space character before p */
static char
last_char (const char *b, const char *p)
{
  while (p > b && hp_is_space (p[-1]))
    p--;
  return p > b ? p[-1] : '\n';
}

static void
find_labels (const char *b, gsize n, Label labels[L_N])
{
  const char *end = b + n;
  gboolean line_start = TRUE;
  gsize order[L_N];
  guint found = 0;

  memset (labels, 0, sizeof (Label) * L_N);
  for (const char *p = b; p < end; p++)
    {
      char prev = p > b ? p[-1] : '\n';
      LabelKind kind;
      const char *value;

      if (prev == '\n')
        line_start = TRUE;
      if (hp_is_space (*p))
        continue;
      if ((p == b || hp_is_space (prev) || prev == '(' || prev == ')' || prev == ';')
          && strchr ("ECTSRectsr", *p) != NULL && match_label (p, end, line_start, last_char (b, p), &kind, &value)
          && !labels[kind].found)
        {
          labels[kind].found = TRUE;
          labels[kind].label = p - b;
          labels[kind].value = value - b;
          order[found++] = kind;
          p = value - 1;
        }
      else if (line_start && *p == '(' && marking_len (p, end))
        {
          /* "(U) Classified by ...": a marking keeps the line start */
          p += marking_len (p, end) - 1;
          continue;
        }
      line_start = FALSE;
    }
  /* a value runs to the next label */
  for (guint i = 0; i < found; i++)
    labels[order[i]].end = i + 1 < found ? labels[order[i + 1]].label : n;
}

/* The end of the value at [s, e) at its first blank line. */
static gsize
cut_at_blank_line (const char *b, gsize s, gsize e)
{
  const char *p = b + s, *end = b + e;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *q;
      if (!nl)
        break;
      q = nl + 1;
      while (q < end && hp_is_blank (*q))
        q++;
      if (q < end && *q == '\n')
        return nl - b;
      /* a line of dashes or stars ends a value too */
      if (q < end && (*q == '-' || *q == '*' || *q == '='))
        {
          const char *le = hp_line_end (q, end);
          gboolean rule = TRUE;
          for (const char *r = q; r < le; r++)
            if (*r != '-' && *r != '*' && *r != '=' && !hp_is_blank (*r))
              rule = FALSE;
          if (rule)
            return nl - b;
        }
      p = q;
    }
  return e;
}

static gsize
trim_end (const char *b, gsize s, gsize e)
{
  while (e > s && hp_is_space (b[e - 1]))
    e--;
  return e;
}

/* ---- E.O. and DECL ---- */

static gboolean
date_like (const char *p, const char *e)
{
  int slashes = 0;
  if (p >= e || !hp_is_digit (*p))
    return FALSE;
  for (; p < e; p++)
    slashes += *p == '/' || *p == '-';
  return slashes >= 1;
}

static void
parse_eo (Ctx *c, const HpClean *z, gsize s, gsize e)
{
  const char *b = z->s->str, *p = b + s, *end;
  const char *le = hp_line_end (p, b + e);
  gboolean seen_keyword = FALSE;

  end = le;
  while (end > p && hp_is_space (end[-1]))
    end--;
  if (p < end && hp_is_digit (*p))
    {
      const char *q = p;
      while (q < end && hp_is_digit (*q))
        q++;
      json_object_object_add (c->f, "executive_order", json_object_new_string_len (p, q - p));
      p = q;
    }
  for (;;)
    {
      static const char *const kw[] = { "DECLASSIFY ON", "DECLASSIFY", "DECLL", "DECL", "GDS", "DNG", NULL };
      gboolean hit = FALSE;
      while (p < end && (*p == ' ' || *p == ':' || *p == ',' || *p == '.'))
        p++;
      for (guint i = 0; kw[i]; i++)
        if (hp_has_prefix_ci (p, end, kw[i]) && (p + strlen (kw[i]) == end || !hp_is_alpha (p[strlen (kw[i])])))
          {
            p += strlen (kw[i]);
            hit = seen_keyword = TRUE;
            break;
          }
      if (!hit)
        break;
    }
  if (p >= end)
    return;
  if (hp_has_prefix_ci (p, end, "N/A") || hp_has_prefix_ci (p, end, "NA ") || (end - p == 2 && hp_has_prefix_ci (p, end, "NA")))
    {
      json_object_object_add (c->f, "decl_na", json_object_new_boolean (TRUE));
      return;
    }
  {
    /* the first token that looks like a date is the declassification date */
    const char *q = p;
    while (q < end)
      {
        const char *w = q, *we;
        while (q < end && !hp_is_space (*q))
          q++;
        we = q;
        while (we > w && (we[-1] == '.' || we[-1] == ',' || we[-1] == ';'))
          we--;
        if (date_like (w, we))
          {
            int y, m, d;
            if (hp_parse_date (w, we - w, c->year, &y, &m, &d))
              json_object_object_add (c->f, "decl_date", json_iso_date (y, m, d));
            else
              diag (c, TRUE, "bad-date", hp_clean_orig (z, w - b),
                    "the declassification date '%.*s' on the E.O. line is not a valid date "
                    "(expected MM/DD/YYYY); decl_date left out", (int) (we - w), w);
            return;
          }
        while (q < end && hp_is_space (*q))
          q++;
      }
  }
  {
    char *v = hp_normalize_value (p, end - p);
    json_object *reasons = json_object_new_array ();
    char **parts = g_strsplit_set (v, ",;", -1);
    for (char **r = parts; *r; r++)
      {
        char *x = g_strstrip (*r);
        if (*x)
          json_object_array_add (reasons, json_object_new_string (x));
      }
    if (json_object_array_length (reasons) > 0)
      {
        json_object_object_add (c->f, "decl_reasons", reasons);
        if (!seen_keyword && hp_is_digit (*p))
          diag (c, TRUE, "bad-date", hp_clean_orig (z, p - b),
                "the E.O. line carries '%s' where a declassification date was expected", v);
      }
    else
      json_object_put (reasons);
    g_strfreev (parts);
    g_free (v);
  }
}

/* ---- TAGS ---- */

/* The kind of a known code ("country", "subject", ...) or NULL. */
static const char *
tag_kind (const Ctx *c, const char *p, gsize n)
{
  return c->in ? hp_vocab_lookup (c->in->tags, p, n) : NULL;
}

/* Splits a glued tag ("ECONEFIN", "PRELIR", "KDEMAF") into known codes: parts of 2 to 6
 * letters, at most one of them a two-letter code (a country, "EU") and at least one longer, the
 * fewest parts winning. Writes the part ends into cuts; returns how many parts, or 0. */
static guint
tag_split (const Ctx *c, const char *w, gsize n, gsize cuts[8])
{
  /* best[i]: fewest parts for w[0, i), with from[i] the last cut and two[i] the country parts */
  guint best[33], two[33];
  gsize from[33];

  if (n < 4 || n > 32)
    return 0;
  for (gsize i = 0; i <= n; i++)
    best[i] = G_MAXUINT, two[i] = 0, from[i] = 0;
  best[0] = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (best[i] == G_MAXUINT)
        continue;
      for (gsize k = 2; k <= 6 && i + k <= n; k++)
        {
          const char *kind = tag_kind (c, w + i, k);
          guint t = two[i] + (k == 2);
          if (!kind || t > 1)
            continue;
          if (best[i] + 1 < best[i + k])
            best[i + k] = best[i] + 1, from[i + k] = i, two[i + k] = t;
        }
    }
  if (best[n] == G_MAXUINT || best[n] < 2 || best[n] > 8 || (best[n] == two[n]))
    return 0;
  for (gsize i = n, k = best[n]; k > 0; i = from[i])
    cuts[--k] = i;
  return best[n];
}

/* A word a TAGS line uses as a code: known, an acronym of two or three capitals (a
 * country, "GOI"), or known codes glued. */
static gboolean
tag_code_like (const Ctx *c, const char *w)
{
  gsize n = strlen (w), cuts[8];

  if (tag_kind (c, w, n) || ((n == 2 || n == 3) && hp_is_upper (w[0]) && hp_is_upper (w[1]) && hp_is_upper (w[n - 1])))
    return TRUE;
  return tag_split (c, w, n, cuts) > 0;
}

/* Adds a tag unless it is there already (a TAGS line has a few dozen at most: a scan is cheapest). */
static void
tags_add (json_object *tags, const char *tag, gsize n)
{
  gsize len = json_object_array_length (tags);

  if (n == 0)
    return;
  for (gsize i = 0; i < len; i++)
    {
      json_object *t = json_object_array_get_idx (tags, i);
      if ((gsize) json_object_get_string_len (t) == n && memcmp (json_object_get_string (t), tag, n) == 0)
        return;
    }
  json_object_array_add (tags, json_object_new_string_len (tag, n));
}

/* One tag as written; a glued one ("ECONEFIN") becomes its codes. */
static void
tags_add_mended (const Ctx *c, json_object *tags, const char *tag)
{
  gsize n = strlen (tag), cuts[8];
  guint parts = tag_kind (c, tag, n) ? 0 : tag_split (c, tag, n, cuts);

  if (parts == 0)
    {
      tags_add (tags, tag, n);
      return;
    }
  for (guint i = 0, s = 0; i < parts; s = cuts[i++])
    tags_add (tags, tag + s, cuts[i] - s);
}

/* Words that are never a tag: a label repeated inside the line, and what is left of an
 * old telegram's page header ("UNCLASSIFIED PAGE 02 ROME 01059 01 OF 04 281501Z") when the
 * body scan did not take the whole line. */
static gboolean
tag_junk (const Ctx *c, const char *w)
{
  gsize n = strlen (w), len;
  gboolean upper;
  const char *after;

  while (n > 0 && w[n - 1] == ':')
    n--;
  if (*w == 'T' && word_is (w, w + n, tags_words, &len, &upper) && len == n)
    return TRUE;
  if (strchr ("SCUTL", *w) && hp_match_class (w, w + n, &after) && after == w + n)
    return TRUE;
  if (strcmp (w, "PAGE") == 0 || strcmp (w, "OF") == 0)
    return TRUE;
  for (const char *p = w; *p; p++)
    if (hp_is_digit (*p))
      return !tag_kind (c, w, n);  /* "G8" is an organization; "01059" a page number */
  return FALSE;
}

/* Splits v at the separators outside parentheses: "," and ";" when the line has them,
 * else spaces too ("TAGS: PGOV PREL PM"). */
static GPtrArray *
tag_items (const char *v, gboolean commas)
{
  GPtrArray *items = g_ptr_array_new_full (32, g_free);
  GString *cur = g_string_sized_new (64);
  int depth = 0;

  for (const char *p = v;; p++)
    {
      gboolean sep = *p == '\0' || (depth == 0 && (*p == ',' || *p == ';' || (!commas && *p == ' ')));
      if (*p == '(')
        depth++;  /* a person tag: "OVIP (STEINBERG, JAMES B.)" keeps its comma */
      else if (*p == ')' && depth > 0)
        depth--;
      if (!sep)
        {
          g_string_append_c (cur, *p);
          continue;
        }
      g_strstrip (cur->str);
      cur->len = strlen (cur->str);
      while (cur->len > 0 && (cur->str[cur->len - 1] == '.' || cur->str[cur->len - 1] == ':'))
        g_string_truncate (cur, cur->len - 1);
      if (cur->len > 0)
        g_ptr_array_add (items, g_strdup (cur->str));
      g_string_truncate (cur, 0);
      if (*p == '\0')
        break;
    }
  g_string_free (cur, TRUE);
  return items;
}

static void
parse_tags (Ctx *c, const char *s, gsize n)
{
  char *v = hp_normalize_value (s, n);
  char *up = g_ascii_strup (v, -1);
  gboolean commas = FALSE;
  json_object *tags = json_object_new_array ();
  GPtrArray *items;
  GString *run = g_string_new (NULL);
  int depth = 0;

  /* a comma inside "(CLINTON, HILLARY)" does not make the line comma-separated */
  for (const char *p = up; *p; p++)
    {
      depth += *p == '(' ? 1 : *p == ')' && depth > 0 ? -1 : 0;
      commas |= depth == 0 && (*p == ',' || *p == ';');
    }
  items = tag_items (up, commas);

  for (guint i = 0; i <= items->len; i++)
    {
      const char *item = i < items->len ? items->pdata[i] : NULL;
      g_auto (GStrv) words = NULL;
      GString *kept;
      gboolean codes = TRUE;

      if (item && *item == '(' && (run->len > 0 || json_object_array_length (tags) > 0))
        {
          /* "(CLINTON, HILLARY)": the person of the tag before it; "(PLEASE PASS TO FAA)"
           * after a code is a note, not a tag */
          if (run->len > 0)
            g_string_append_printf (run, " %s", item);
          else
            {
              guint last = json_object_array_length (tags) - 1;
              const char *prev = json_object_get_string (json_object_array_get_idx (tags, last));
              if (strcmp (prev, "OVIP") == 0 || strchr (item, ','))
                {
                  g_autofree char *joined = g_strdup_printf ("%s %s", prev, item);
                  json_object_array_put_idx (tags, last, json_object_new_string (joined));
                }
            }
          continue;
        }
      if (item && strchr (item, '('))
        {
          /* "OVIP (CLINTON, HILLARY)" in a comma list: whole; "TU (PLEASE PASS TO FAA)": the code */
          const char *open = strchr (item, '(');
          gsize head = open - item;
          if (run->len > 0)
            tags_add (tags, run->str, run->len), g_string_truncate (run, 0);
          while (head > 0 && item[head - 1] == ' ')
            head--;
          if (head > 0 && !strchr (open, ',') && !(head == 4 && memcmp (item, "OVIP", 4) == 0))
            tags_add (tags, item, head);
          else
            tags_add (tags, item, strlen (item));
          continue;
        }
      /* the item's words without junk; free text ("MEDIA REACTION REPORT") stays one tag,
       * codes ("PGOV PREL" between commas, "ECONEFIN") become one tag each */
      if (!item)
        words = g_new0 (char *, 1);
      else if (!strchr (item, ' '))
        {
          /* the common case, one code: no split */
          words = g_new0 (char *, 2);
          words[0] = g_strdup (item);
        }
      else
        words = g_strsplit (item, " ", -1);
      kept = g_string_new (NULL);
      if (words[0] && !words[1] && strchr (words[0], '/'))
        {
          /* "PREL/PGOV/ECON/EG": codes between slashes */
          g_auto (GStrv) parts = g_strsplit (words[0], "/", -1);
          gboolean all = TRUE;
          for (char **q = parts; *q; q++)
            all &= **q != '\0' && tag_code_like (c, *q);
          if (all)
            {
              g_strfreev (words);
              words = g_steal_pointer (&parts);
            }
        }
      for (char **w = words; *w; w++)
        {
          if (!**w || tag_junk (c, *w))
            {
              **w = '\0';  /* read once: the loop below skips it */
              continue;
            }
          codes &= tag_code_like (c, *w);
          if (kept->len)
            g_string_append_c (kept, ' ');
          g_string_append (kept, *w);
        }
      if (kept->len == 0 && item)
        {
          g_string_free (kept, TRUE);
          continue;
        }
      if (!commas && kept->len > 0 && !codes)
        {
          /* space-separated: consecutive words that are no codes make one free-text tag */
          if (run->len)
            g_string_append_c (run, ' ');
          g_string_append_len (run, kept->str, kept->len);
          g_string_free (kept, TRUE);
          continue;
        }
      if (run->len > 0)
        {
          tags_add (tags, run->str, run->len);
          g_string_truncate (run, 0);
        }
      if (codes)
        for (char **w = words; *w; w++)
          {
            if (**w)
              tags_add_mended (c, tags, *w);
          }
      else
        tags_add (tags, kept->str, kept->len);
      g_string_free (kept, TRUE);
    }
  if (json_object_array_length (tags) > 0)
    json_object_object_add (c->f, "tags", tags);
  else
    json_object_put (tags);
  g_string_free (run, TRUE);
  g_ptr_array_unref (items);
  g_free (up);
  g_free (v);
}

/* ---- SUBJECT ---- */

/* "(C)", "(SBU)", "(S/NF)", "(C/REL NATO)", "(U//FOUO)" at [p, e)? Returns its length.
 * Every part between slashes is a classification or control word. */
static gsize
marking_len (const char *p, const char *e)
{
  static const char *const parts[] = { "U", "C", "S", "TS", "SBU", "NF", "NOFORN", "FOUO", "LOU", "REL", "ORCON",
                                       "PROPIN", "EXDIS", "NODIS", "LIMDIS", "OC", "PR", "SI", NULL };
  const char *q = p + 1, *end;

  if (p >= e || *p != '(')
    return 0;
  for (end = q; end < e && end - p <= 24 && *end != ')' && *end != '\n'; end++)
    ;
  if (end >= e || *end != ')' || end == q)
    return 0;
  while (q < end)
    {
      const char *w = q;
      gboolean hit = FALSE;
      while (q < end && hp_is_alpha (*q))
        q++;
      if (q == w)
        /* not a word: "(C - ENTIRE TEXT)" is a marking and free words, anything else
         * ("(1)", "(C-3)", "(c-ne9-01257)") is none (and q must move on, or this never ends) */
        return *q == '-' && w > p + 2 && w[-1] == ' ' && w[1] == ' ' ? (gsize) (end - p + 1) : 0;
      for (guint i = 0; parts[i] && !hit; i++)
        hit = strlen (parts[i]) == (gsize) (q - w) && hp_has_prefix_ci (w, q, parts[i]);
      /* "REL NATO", "REL UK AND AUS": the countries after REL are free */
      if (!hit && !(w > p + 1 && w[-1] == ' '))
        return 0;
      while (q < end && (*q == '/' || *q == ' '))
        q++;
    }
  return end - p + 1;
}

/* Lines that start something after a subject: a paragraph number, a summary, an action
 * request, a classification or a rule ("1.", "(C) Summary:", "This is an action request"). */
static const char *const subject_stops[] = {
  "SUMMARY", "SUMMARY:", "THIS IS AN ACTION", "ACTION REQUEST", "ACTION MESSAGE", "BEGIN SUMMARY",
  "INTRODUCTION", "BACKGROUND", "INFORMATION MEMO", "PASS TO", "SIPDIS", "DEPT FOR", "DEPARTMENT FOR",
  NULL
};

static gboolean
subject_stop_line (const char *p, const char *e)
{
  gsize m;

  if ((m = marking_len (p, e)))
    {
      /* "(C) SUMMARY": a marked line is a paragraph, unless the marking is all of it */
      p += m;
      while (p < e && *p == ' ')
        p++;
      return p < e;
    }
  if (p < e && hp_is_digit (*p))
    {
      const char *q = p;
      while (q < e && hp_is_digit (*q))
        q++;
      if (q < e && (*q == '.' || *q == ')') && q - p <= 2 && (q + 1 == e || q[1] == ' ' || q[1] == '('))
        return TRUE;
    }
  if (hp_is_class_only (p, e))
    return TRUE;
  for (guint i = 0; subject_stops[i]; i++)
    {
      gsize k = strlen (subject_stops[i]);
      if (hp_has_prefix_ci (p, e, subject_stops[i]) && (p + k == e || !hp_is_alpha (p[k])))
        return TRUE;
    }
  return FALSE;
}

/* The subject ends at the first line after its first that starts something else. */
static gsize
subject_cut (const char *s, gsize n)
{
  const char *e = s + n, *p = memchr (s, '\n', n);

  while (p && p < e)
    {
      const char *ls = p + 1, *le = hp_line_end (ls, e);
      while (ls < le && hp_is_blank (*ls))
        ls++;
      if (ls < le && subject_stop_line (ls, le))
        return p - s;
      p = le < e ? le : NULL;
    }
  return n;
}

static void
parse_subject (Ctx *c, const char *s, gsize n)
{
  char *v = hp_normalize_value (s, subject_cut (s, n));
  char *p = v, *e = v + strlen (v);
  gsize m;

  if ((m = marking_len (p, e)))
    {
      /* "(C) MEDVEDEV ...": the marking is kept apart */
      char mark[32];
      gsize k = 0;
      for (const char *q = p + 1; q < p + m - 1 && k + 1 < sizeof mark; q++)
        mark[k++] = hp_upper (*q);
      mark[k] = '\0';
      json_object_object_add (c->f, "subject_marking", json_object_new_string (mark));
      p += m;
      while (*p == ' ')
        p++;
    }
  while (e > p && (e[-1] == ' '))
    e--;
  if (e > p && e[-1] == ')')
    {
      char *o = e - 1;
      while (o > p && *o != '(')
        o--;
      if (*o == '(' && marking_len (o, e) == (gsize) (e - o) && o > p && o[-1] == ' ')
        e = o;
    }
  while (e > p && (e[-1] == ' '))
    e--;
  if (e > p)
    json_object_object_add (c->f, "subject", json_object_new_string_len (p, e - p));
  g_free (v);
}

/* ---- REF ---- */

/* A bullet "A." "A)" "(A)" "A-" "A:" at p (a word start); returns its length. */
static gsize
bullet_len (const char *p, const char *e, char letter)
{
  if (e - p >= 3 && p[0] == '(' && hp_upper (p[1]) == letter && p[2] == ')' && (p + 3 == e || hp_is_space (p[3])))
    return 3;
  /* "A)SECSTATE" may be glued; "E-MAIL" is no bullet */
  if (e - p >= 2 && hp_upper (p[0]) == letter && (p[1] == '.' || p[1] == ')' || p[1] == '-' || p[1] == ':')
      && (p + 2 == e || hp_is_space (p[2]) || (p[1] == ')' && (hp_is_upper (p[2]) || hp_is_digit (p[2])))))
    return 2;
  return 0;
}

/* Words that stand before a number without being an origin: "PARA 3", "IIR 6 832",
 * "FEBRUARY 17", "E-MAIL OF 3/23". */
static const char *const not_origins[] = {
  "A", "AN", "AND", "OR", "OF", "THE", "FROM", "DATED", "ON", "IN", "AT", "BY", "TO", "FOR", "VIA", "NO",
  "NR", "NUMBER", "PARA", "PARAS", "PARAGRAPH", "PARAGRAPHS", "PAGE", "PAGES", "SECTION", "ITEM", "ANNEX",
  "IIR", "TD", "EMAIL", "E-MAIL", "MEMO", "MEMCON", "TELCON", "FAX", "LETTER", "REPORT", "SEPTEL", "CABLE",
  "TELEGRAM", "DTG", "MSG", "MESSAGE", "PREVIOUS", "AND", "JAN", "JANUARY", "FEB", "FEBRUARY", "MAR",
  "MARCH", "APR", "APRIL", "MAY", "JUN", "JUNE", "JUL", "JULY", "AUG", "AUGUST", "SEP", "SEPT",
  "SEPTEMBER", "OCT", "OCTOBER", "NOV", "NOVEMBER", "DEC", "DECEMBER", "REF", "REFS", "REFTEL", "REFTELS",
  "EO", "E.O", "RES", "RESOLUTION", "UNSCR", "LAW", "ARTICLE", "DECREE", "ACT", "CHAPTER", "ROOM", "TEL",
  "PHONE", "POSTS", "POST", "NOTE", "YEAR", "FY", "VOL", "ISSUE",
};

static gboolean
origin_word (const char *w, gsize n)
{
  char buf[24];

  if (n < 3 || n >= sizeof buf || !hp_is_alpha (w[0]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      if (!hp_is_alpha (w[i]) && w[i] != '-')
        return FALSE;
      buf[i] = hp_upper (w[i]);
    }
  buf[n] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (not_origins); i++)
    if (strcmp (buf, not_origins[i]) == 0)
      return FALSE;
  return TRUE;
}

typedef struct {
  const char *s;  /* the word, without the punctuation around it */
  gsize       n;
} RefWord;

static gboolean
all_digits (const RefWord *w)
{
  if (w->n == 0)
    return FALSE;
  for (gsize i = 0; i < w->n; i++)
    if (!hp_is_digit (w->s[i]))
      return FALSE;
  return TRUE;
}

/* A written year before the origin: "05", "2005" (also "'05"). */
static int
ref_year (const RefWord *w)
{
  const char *s = w->s;
  gsize n = w->n;

  if (n == 3 && s[0] == '\'')
    s++, n--;
  if (n == 2 && hp_is_digit (s[0]) && hp_is_digit (s[1]))
    return (s[0] - '0') * 10 + (s[1] - '0');
  if (n == 4 && (memcmp (s, "19", 2) == 0 || memcmp (s, "20", 2) == 0) && hp_is_digit (s[2]) && hp_is_digit (s[3]))
    return (s[2] - '0') * 10 + (s[3] - '0');
  return -1;
}

typedef struct {
  char  *id;         /* "05LAPAZ2910", or "LAPAZ2910" when no year is known */
  gboolean inferred; /* the year was not written */
  guint  first, last;  /* the words it spans */
} CableRef;

/* Splits s into words (at spaces, and at "/" and "," that are not inside a number). */
static GArray *
ref_split_words (const char *s)
{
  GArray *words = g_array_new (FALSE, FALSE, sizeof (RefWord));
  const char *p = s;

  while (*p)
    {
      RefWord w;
      while (*p == ' ' || *p == ',' || *p == ';' || *p == '(' || *p == ')')
        p++;
      if (!*p)
        break;
      w.s = p;
      while (*p && *p != ' ' && *p != ',' && *p != ';' && *p != '(' && *p != ')')
        p++;
      w.n = p - w.s;
      while (w.n > 0 && (w.s[w.n - 1] == '.' || w.s[w.n - 1] == ':'))
        w.n--;
      if (w.n > 0)
        g_array_append_val (words, w);
    }
  return words;
}

/* The cable references in an item's words: [YEAR] ORIGIN NUMBER, the origin one word in
 * capitals or a known spelling of several ("LA PAZ", "USUN NEW YORK"); also the id form
 * "06LAPAZ2910". Anything else (e-mails, memos, IIRs, meetings) gives none. */
static GArray *
find_cable_refs (const Ctx *c, GArray *words)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (CableRef));
  const RefWord *w = (const RefWord *) words->data;
  const HpVocab *origins = c->in ? c->in->origins : NULL;
  guint maxw = MAX (1, hp_vocab_max_words (origins));

  for (guint i = 0; i < words->len; i++)
    {
      CableRef r = { NULL, FALSE, i, i };
      GString *origin = NULL;
      const char *num;
      gsize nn;
      int yy = -1;
      guint first = i;

      if (w[i].n >= 5 && hp_is_digit (w[i].s[0]) && hp_is_digit (w[i].s[1]) && hp_is_upper (w[i].s[2])
          && hp_is_digit (w[i].s[w[i].n - 1]))
        {
          /* "06LAPAZ2910" */
          gsize k = 2;
          while (k < w[i].n && hp_is_upper (w[i].s[k]))
            k++;
          while (k < w[i].n && hp_is_digit (w[i].s[k]))
            k++;
          if (k == w[i].n)
            {
              r.id = g_strndup (w[i].s, w[i].n);
              g_array_append_val (out, r);
            }
          continue;
        }
      if (!all_digits (&w[i]) || w[i].n > 7 || i == 0)
        continue;
      /* the number must end its word: "3/4/06" and "U-0011-06" are no cable numbers */
      if (w[i].s[w[i].n] == '/' || w[i].s[w[i].n] == '-')
        continue;
      if (w[i].s > w[0].s && (w[i].s[-1] == '/' || w[i].s[-1] == '-'))
        continue;
      /* the origin: the longest known spelling ending before the number, else one word */
      for (guint k = MIN (maxw, i); k >= 1 && !origin; k--)
        {
          const char *val;
          const char *os = w[i - k].s, *oe = w[i - 1].s + w[i - 1].n;
          gboolean words_ok = TRUE;
          for (guint j = i - k; j < i; j++)
            words_ok &= hp_is_alpha (w[j].s[0]);
          if (!words_ok || (gsize) (oe - os) > 48)
            continue;
          if ((val = hp_vocab_lookup (origins, os, oe - os)))
            {
              origin = g_string_new (val);
              first = i - k;
            }
        }
      if (!origin)
        {
          if (!origin_word (w[i - 1].s, w[i - 1].n))
            continue;
          origin = g_string_new (NULL);
          for (gsize k = 0; k < w[i - 1].n; k++)
            if (w[i - 1].s[k] != '-')
              g_string_append_c (origin, hp_upper (w[i - 1].s[k]));
          first = i - 1;
        }
      if (first > 0)
        yy = ref_year (&w[first - 1]);
      if (yy >= 0)
        first--;
      else if (i + 1 < words->len && w[i + 1].n == 4 && ref_year (&w[i + 1]) >= 0
               && (i + 2 == words->len || !hp_is_alpha (w[i + 2].s[0])))
        {
          /* "MOSCOW 03242 2008": the year after the number */
          yy = ref_year (&w[i + 1]);
          r.last = i + 1;
        }
      num = w[i].s, nn = w[i].n;
      while (nn > 1 && *num == '0')
        num++, nn--;
      if (yy < 0 && c->year > 0)
        yy = c->year % 100;
      r.inferred = !(first < i - 1 && ref_year (&w[first]) >= 0) && r.last == i;
      if (yy >= 0)
        r.id = g_strdup_printf ("%02d%s%.*s", yy, origin->str, (int) nn, num);
      else
        r.id = g_strdup_printf ("%s%.*s", origin->str, (int) nn, num);
      r.first = first;
      g_string_free (origin, TRUE);
      g_array_append_val (out, r);
    }
  return out;
}

static void
add_ref_entry (json_object *refs, char letter, const char *text, gsize n, const CableRef *r)
{
  json_object *ref = json_object_new_object ();

  if (letter)
    {
      char b[2] = { letter, 0 };
      json_object_object_add (ref, "bullet", json_object_new_string (b));
    }
  else
    json_object_object_add (ref, "bullet", NULL);
  json_object_object_add (ref, "id", r ? json_object_new_string (r->id) : NULL);
  json_object_object_add (ref, "text", json_object_new_string_len (text, n));
  if (r && r->inferred)
    json_object_object_add (ref, "year_inferred", json_object_new_boolean (TRUE));
  json_object_array_add (refs, ref);
}

/* One item of the REF block (a bullet's text, or a part between ";"): one entry per cable
 * it names, or one with a null id for a reference that is no cable. */
static void
add_reference (Ctx *c, json_object *refs, char letter, const char *s, gsize n)
{
  char *text = hp_normalize_value (s, n);
  gsize len = strlen (text);
  char **parts;

  while (len > 0 && (text[len - 1] == ',' || text[len - 1] == ';' || text[len - 1] == ' '))
    text[--len] = '\0';
  parts = g_strsplit (text, ";", -1);
  for (char **part = parts; *part; part++)
    {
      char *t = g_strstrip (*part);
      GArray *words, *found;

      if (!*t)
        continue;
      words = ref_split_words (t);
      found = find_cable_refs (c, words);
      if (found->len == 0)
        add_ref_entry (refs, letter, t, strlen (t), NULL);
      else if (found->len == 1)
        add_ref_entry (refs, letter, t, strlen (t), &g_array_index (found, CableRef, 0));
      else
        for (guint k = 0; k < found->len; k++)
          {
            /* "STATE 1234 AND MOSCOW 567": each cable with its own words */
            CableRef *r = &g_array_index (found, CableRef, k);
            const RefWord *a = &g_array_index (words, RefWord, r->first), *b = &g_array_index (words, RefWord, r->last);
            add_ref_entry (refs, letter, a->s, b->s + b->n - a->s, r);
          }
      for (guint k = 0; k < found->len; k++)
        g_free (g_array_index (found, CableRef, k).id);
      g_array_unref (found);
      g_array_unref (words);
    }
  g_strfreev (parts);
  g_free (text);
}

/* Does the line at p go on a REF block after a blank line: a bullet, a year, or an
 * origin in capitals and a number ("B. STATE 1234", "05 PARIS 88", "MOSCOW 1234")? */
static gboolean
ref_line_goes_on (const char *p, const char *e)
{
  const char *q = p;

  if (p < e && *p == '(' && p + 2 < e && hp_is_alpha (p[1]) && p[2] == ')')
    return TRUE;
  if (e - p >= 2 && hp_is_upper (p[0]) && strchr (".):-", p[1]) && (p + 2 == e || !hp_is_alpha (p[2])))
    return TRUE;
  if (e - p >= 3 && hp_is_digit (p[0]) && hp_is_digit (p[1]) && (p[2] == ' ' || (hp_is_digit (p[2]) && e - p >= 5 && p[4] == ' ')))
    return TRUE;
  while (q < e && (hp_is_upper (*q) || *q == ' ' || *q == '-'))
    q++;
  return q > p + 2 && q < e && q[-1] == ' ' && hp_is_digit (*q);
}

/* The end of the REF block at [s, e): at a blank line not followed by more references. */
static gsize
ref_block_end (const char *b, gsize s, gsize e)
{
  const char *p = b + s, *end = b + e;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p), *q;
      gboolean blank = FALSE;
      if (!nl)
        break;
      q = nl + 1;
      for (;;)
        {
          const char *r = q;
          while (r < end && hp_is_blank (*r))
            r++;
          if (r < end && *r == '\n')
            {
              blank = TRUE;
              q = r + 1;
              continue;
            }
          q = r;
          break;
        }
      if (blank && q < end && !ref_line_goes_on (q, hp_line_end (q, end)))
        return nl - b;
      p = q;
    }
  return e;
}

static void
parse_refs (Ctx *c, const char *s, gsize n)
{
  const char *e = s + n, *p = s, *item = s;
  char letter = 0, next = 'A';
  json_object *refs = json_object_new_array ();

  while (p < e && hp_is_space (*p))
    p++;
  item = p;
  for (; p < e; p++)
    {
      gsize bl;
      if (!(p == s || hp_is_space (p[-1]) || p[-1] == ';' || p[-1] == ','))
        continue;
      if (letter && (bl = bullet_len (p, e, letter)) && hp_is_blank_range (item, p))
        {
          /* "A. A) SECSTATE 52920": the same bullet written twice */
          item = p + bl;
          p += bl - 1;
          continue;
        }
      if ((bl = bullet_len (p, e, next)))
        {
          if (letter || !hp_is_blank_range (item, p))
            add_reference (c, refs, letter, item, p - item);
          letter = next++;
          item = p + bl;
          p += bl - 1;
        }
    }
  add_reference (c, refs, letter, item, e - item);
  if (json_object_array_length (refs) > 0)
    json_object_object_add (c->f, "references", refs);
  else
    json_object_put (refs);
}

/* ---- Classified By ---- */

static const char *const title_words[] = {
  "ambassador", "amb", "charge", "chargé", "d'affaires", "d’affaires", "affaires", "a.i", "ai", "acting",
  "dcm", "a/dcm", "cda", "deputy", "chief", "of", "mission", "political", "pol", "politcal", "econ",
  "economic", "pol/econ", "p/e", "polecon", "polcouns", "poloff", "econoff", "counselor", "counsellor",
  "minister", "minister-counselor", "mc", "director", "dir", "officer", "section", "head", "unit",
  "internal", "external", "affairs", "for", "the", "and", "principal", "consul", "general", "cg",
  "assistant", "secretary", "under", "das", "a/s", "pdas", "special", "envoy", "representative",
  "coordinator", "management", "public", "diplomacy", "regional", "security", "defense", "attache",
  "military", "political-military", "pol-mil", "polmil", "polmilcouns", "embassy", "consulate", "u.s.",
  "us", "department", "state", "office", "labor", "refugee", "narcotics", "nas", "rso", "intelligence",
  "research", "inr", "isn", "executive", "staff", "senior", "advisor", "adviser", "team", "leader",
  "prt", "usaid", "legal", "economics", "politico-military", "pol/mil", "polecon", "rpo", "-",
  "minister-counsellor", "counselor,", "polchief", "econchief", "pao", "dao", "chargé", "charg",
  "interim", "temporary", "d'", "d’", "a/polcouns", "a/dcm,", "secstate", "ops", "dep", "a/s", "eur", "nea",
  "bureau", "division", "desk", "chief,", "eap", "wha", "sca", "af", "isn", "drl", "iip", "ecopol", "poloff,",
  "adcm", "econcouns", "polcouns,", "conoff", "congen", "depsec", "econchief", "polchief,", "pol/mil", "polmiloff", "econ/pol", "pol-econ", "econ-pol",
  "political/economic", "economic/political", "civilian", "designate", "ambassador-designate", "scientific",
  "science", "environment", "technology", "health", "commercial", "agricultural", "financial", "treasury",
  "attache", "attaché", "liaison", "spokesman", "mgmt", "ds", "pas", "psa", "acting,", "a.i.,", "deputy,",
};

/* The title words as a set, made once for every thread: the list is long and the names of
 * every Classified By line are looked up in it word by word. */
static GHashTable *
title_word_set (void)
{
  static GHashTable *set;

  if (g_once_init_enter (&set))
    {
      GHashTable *t = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < G_N_ELEMENTS (title_words); i++)
        g_hash_table_add (t, (gpointer) title_words[i]);
      g_once_init_leave (&set, t);
    }
  return set;
}

static gboolean
title_word (const char *w)
{
  gsize n = strlen (w);
  char low[40];

  if (strchr (w, '/'))
    return TRUE;
  {
    /* run-together office titles: "EconMinCouns", "PolMilCouns" */
    int caps = 0;
    for (const char *c = w + 1; *c; c++)
      caps += hp_is_upper (*c) && c[-1] >= 'a' && c[-1] <= 'z';
    if (n >= 8 && caps >= 2)
      return TRUE;
  }
  if (n >= sizeof low)
    return FALSE;
  for (gsize i = 0; i <= n; i++)
    low[i] = w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i];
  while (n > 0 && (low[n - 1] == '.' || low[n - 1] == ',' || low[n - 1] == ';' || low[n - 1] == ':'))
    low[--n] = '\0';
  return g_hash_table_contains (title_word_set (), low);
}

static void
reason_add (json_object *list, const char *r)
{
  for (gsize i = 0; i < json_object_array_length (list); i++)
    if (strcmp (json_object_get_string (json_object_array_get_idx (list, i)), r) == 0)
      return;
  json_object_array_add (list, json_object_new_string (r));
}

static gboolean
reason_base_at (const char *p, const char *s)
{
  return p[0] == '1' && (p[1] == '.' || p[1] == '/') && hp_is_digit (p[2]) && !hp_is_digit (p[3])
         && (p == s || !hp_is_digit (p[-1]));
}

/* The reasons "1.4 (b) and (d)" -> ["1.4(b)", "1.4(d)"]; reading stops at the first
 * word that is not part of a reason list, so body text glued on is not read. */
static json_object *
parse_reasons (const char *s)
{
  json_object *list = json_object_new_array ();
  const char *p = s;

  while (*p)
    {
      char base[4];
      const char *q;
      gboolean any = FALSE, stop = FALSE;

      if (!reason_base_at (p, s))
        {
          p++;
          continue;
        }
      base[0] = '1', base[1] = '.', base[2] = p[2], base[3] = '\0';
      q = p + 3;
      while (*q && !stop)
        {
          if (reason_base_at (q, s))
            break;
          if (hp_is_alpha (*q))
            {
              const char *w = q;
              while (hp_is_alpha (*q))
                q++;
              if (q - w == 1 && g_ascii_tolower (*w) >= 'a' && g_ascii_tolower (*w) <= 'h')
                {
                  char r[8];
                  g_snprintf (r, sizeof r, "%s(%c)", base, g_ascii_tolower (*w));
                  reason_add (list, r);
                  any = TRUE;
                }
              else if (!((q - w == 3 && g_ascii_strncasecmp (w, "and", 3) == 0)
                         || (q - w == 2 && g_ascii_strncasecmp (w, "or", 2) == 0)))
                stop = TRUE;
              continue;
            }
          if (strchr (" (),/&.;:-", *q) == NULL)
            stop = TRUE;
          else
            q++;
        }
      if (!any)
        reason_add (list, base);
      if (stop)
        break;
      p = q;
    }
  return list;
}

/* Where the reasons begin: "for reasons 1.4 (b)", "Reason: 1.5", a bare "1.4"; found on a
 * copy without spaces so that wrapped words ("r eason") still count. */
static const char *
find_reasons_start (const char *v)
{
  static const char *const keys[] = { "forrea", "reason", "reaon", "reasno", "1.4", "1.5", "1.6", "1/4", "1/5",
                                      "e.o.", "eo12958", "12958", NULL };

  for (const char *p = v; *p; p++)
    {
      if (*p == ' ')
        continue;
      for (guint k = 0; keys[k]; k++)
        {
          const char *q = p, *w = keys[k];
          while (*w && *q)
            {
              if (*q == ' ')
                {
                  q++;
                  continue;
                }
              if (hp_upper (*q) != hp_upper (*w))
                break;
              q++;
              w++;
            }
          if (!*w)
            return p;
        }
    }
  return NULL;
}

static gboolean
acronym_token (const char *w)
{
  gsize n = strlen (w);
  if (n < 1 || n > 6)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!hp_is_upper (w[i]))
      return FALSE;
  return TRUE;
}

static gboolean
has_two_letters (const char *s)
{
  int n = 0;
  for (; *s; s++)
    n += hp_is_alpha (*s) || (guchar) *s >= 0x80;
  return n >= 2;
}

/* "Jr.", "SR", "III" after a name (w has n bytes, punctuation included). */
static gboolean
name_suffix (const char *w, gsize n)
{
  static const char *const suffixes[] = { "JR", "SR", "II", "III", "IV", NULL };
  char buf[8];
  gsize k = 0;

  for (gsize i = 0; i < n && k + 1 < sizeof buf; i++)
    if (hp_is_alpha (w[i]))
      buf[k++] = hp_upper (w[i]);
    else if (w[i] != '.' && w[i] != ',' && w[i] != ' ')
      return FALSE;
  buf[k] = '\0';
  for (guint i = 0; suffixes[i]; i++)
    if (strcmp (buf, suffixes[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The comma that ends a name written first, skipping the one before a suffix. */
static const char *
name_comma (const char *who)
{
  const char *comma = strchr (who, ',');

  while (comma)
    {
      const char *w = comma + 1, *we;
      while (*w == ' ')
        w++;
      we = w;
      while (*we && *we != ' ' && *we != ',')
        we++;
      if (!name_suffix (w, we - w))
        return comma;
      comma = strchr (we, ',');
      if (!comma)
        return we;
    }
  return who + strlen (who);
}

/* Typing and OCR slips in a name: a zero among letters is the letter O ("LEE 0. COLDREN"). */
static void
name_fix_ocr (char *name)
{
  for (char *p = name; *p; p++)
    {
      gboolean word_start = p == name || p[-1] == ' ';
      if (*p != '0')
        continue;
      if ((word_start && p[1] == '.') || (p > name && hp_is_alpha (p[-1])) || hp_is_alpha (p[1]))
        *p = hp_is_upper (p[1]) || (p > name && hp_is_upper (p[-1])) || p[1] == '.' ? 'O' : 'o';
    }
}

static void
parse_classified_by (Ctx *c, const char *s, gsize n)
{
  char *v = hp_normalize_value (s, n);
  /* "Reasons 1.\n4 (b)" wraps: glue "1. 4" back */
  char *fixed = g_strdup (v);
  const char *rs;
  char *who, *end;
  json_object *obj = json_object_new_object ();
  char **tok;
  GString *title = g_string_new (NULL), *name = g_string_new (NULL);
  guint i = 0, ntok;

  for (char *p = fixed; *p; p++)
    if (p[0] == '1' && p[1] == '.' && p[2] == ' ' && hp_is_digit (p[3]) && !hp_is_digit (p[4]))
      memmove (p + 2, p + 3, strlen (p + 3) + 1);
  {
    /* "Classified By: Classified By: ..." */
    const char *q = fixed;
    while (hp_has_prefix_ci (q, q + strlen (q), "CLASSIFIED BY"))
      {
        q += 13;
        while (*q == ' ' || *q == ':')
          q++;
      }
    memmove (fixed, q, strlen (q) + 1);
  }
  rs = find_reasons_start (fixed);
  who = g_strndup (fixed, rs ? (gsize) (rs - fixed) : strlen (fixed));
  if (!rs)
    {
      /* no reasons: the name ends with its sentence ("... Ambassador X. Summary: ...") */
      for (char *p = who; *p; p++)
        if (p[0] == '.' && p[1] == ' ' && p - who >= 3 && hp_is_alpha (p[-1]) && hp_is_alpha (p[-2])
            && hp_is_alpha (p[-3]) && !name_suffix (p - 3, 4))
          {
            *p = '\0';
            break;
          }
    }
  /* drop "for" and punctuation before the reasons */
  end = who + strlen (who);
  for (;;)
    {
      while (end > who && (end[-1] == ' ' || end[-1] == ',' || end[-1] == ';' || end[-1] == ':' || end[-1] == '.'))
        {
          if (end[-1] == '.' && end - who >= 4 && end[-4] == ' ' && name_suffix (end - 3, 3))
            break;  /* "Jr." */
          end--;
        }
      if (end - who >= 4 && (g_ascii_strncasecmp (end - 4, " for", 4) == 0 || g_ascii_strncasecmp (end - 4, " per", 4) == 0))
        end -= 4;
      else if (end - who == 3 && g_ascii_strncasecmp (who, "for", 3) == 0)
        end = who;
      else
        break;
    }
  *end = '\0';
  tok = g_strsplit (who, " ", -1);
  ntok = g_strv_length (tok);
  if (ntok > 0 && !title_word (tok[0]) && strchr (who, ','))
    {
      /* "Richard Olson, Ambassador", "Robert Ford, Jr., Ambassador": the name first */
      const char *comma = name_comma (who);
      g_string_append_len (name, who, comma - who);
      if (*comma)
        g_string_append (title, comma + 1);
    }
  else
    {
      for (; i < ntok && (title_word (tok[i]) || (acronym_token (tok[i]) && i + 1 < ntok && title_word (tok[i + 1]))); i++)
        {
          if (title->len)
            g_string_append_c (title, ' ');
          g_string_append (title, tok[i]);
        }
      {
        /* "Assistant Secretary for European and Eurasian Affairs Daniel Fried": a name has
         * at most four words; what stands before them belongs to the title */
        guint stop = i, keep;
        while (stop < ntok && !strchr (tok[stop], ',') && !strchr (tok[stop], ';'))
          stop++;
        if (stop < ntok)
          stop++;
        keep = i;
        if (stop - i > 4)
          {
            keep = stop;
            while (keep > i && stop - keep < 4 && hp_is_upper (tok[keep - 1][0]) && !title_word (tok[keep - 1]))
              keep--;
            if (stop - keep < 2)
              keep = i;
          }
        for (; i < keep; i++)
          {
            if (title->len)
              g_string_append_c (title, ' ');
            g_string_append (title, tok[i]);
          }
      }
      for (; i < ntok; i++)
        {
          gsize tl = strlen (tok[i]);
          if (name->len)
            g_string_append_c (name, ' ');
          if (tl > 0 && (tok[i][tl - 1] == ',' || tok[i][tl - 1] == ';'))
            {
              /* "Robert S. Ford, Jr.," keeps its suffix */
              if (i + 1 < ntok && name_suffix (tok[i + 1], strlen (tok[i + 1])))
                {
                  g_string_append_printf (name, "%s %s", tok[i], tok[i + 1]);
                  break;
                }
              g_string_append_len (name, tok[i], tl - 1);
              break;
            }
          g_string_append (name, tok[i]);
        }
    }
  g_strstrip (name->str);
  name->len = strlen (name->str);
  while (name->len > 0 && (name->str[name->len - 1] == ',' || name->str[name->len - 1] == '.' || name->str[name->len - 1] == ';')
         && !(name->len >= 2 && hp_is_upper (name->str[name->len - 2]) && (name->len == 2 || name->str[name->len - 3] == ' '))
         && !(name->str[name->len - 1] == '.' && name->len >= 4 && name->str[name->len - 4] == ' '
              && name_suffix (name->str + name->len - 3, 3)))
    g_string_truncate (name, name->len - 1);
  g_strstrip (title->str);
  title->len = strlen (title->str);
  while (title->len > 0 && strchr (",;- ", title->str[title->len - 1]))
    g_string_truncate (title, title->len - 1);
  if (name->len == 1 || (name->len > 0 && !has_two_letters (name->str)))
    g_string_truncate (name, 0);
  name_fix_ocr (name->str);
  if (name->len)
    json_object_object_add (obj, "name", json_object_new_string (name->str));
  if (title->len)
    json_object_object_add (obj, "title", json_object_new_string (title->str));
  if (rs)
    {
      json_object *reasons = parse_reasons (rs);
      if (json_object_array_length (reasons) > 0)
        json_object_object_add (obj, "reasons", reasons);
      else
        json_object_put (reasons);
    }
  if (json_object_object_length (obj) > 0)
    {
      json_object *list = json_object_new_array ();
      json_object_array_add (list, obj);
      json_object_object_add (c->f, "classified_by", list);
    }
  else
    json_object_put (obj);
  g_strfreev (tok);
  g_string_free (title, TRUE);
  g_string_free (name, TRUE);
  g_free (who);
  g_free (fixed);
  g_free (v);
}

/* ---- caveats between the classification line and the first label ---- */

static void
parse_caveats (Ctx *c, const char *s, gsize n, gboolean *sbu)
{
  static const char *const words[] = { "NOFORN", "NODIS", "EXDIS", "LIMDIS", "STADIS", "ORCON", "PROPIN",
                                       "NOCONTRACT", "FOUO", "EFTO", "ROGER", "CHEROKEE", NULL };
  const char *p = s, *e = s + n;
  json_object *caveats = NULL;
  gboolean sipdis = FALSE;

  if (c->class_caveat)
    {
      caveats = json_object_new_array ();
      json_object_array_add (caveats, json_object_new_string (c->class_caveat));
    }

  while (p < e)
    {
      const char *w = p;
      while (p < e && hp_is_alpha (*p))
        p++;
      if (p > w)
        {
          gsize len = p - w;
          if (len == 6 && memcmp (w, "SIPDIS", 6) == 0)
            sipdis = TRUE;
          else if (len == 6 && g_ascii_strncasecmp (w, "SIPDIS", 6) == 0)
            sipdis = TRUE;
          else if (len == 9 && memcmp (w, "SENSITIVE", 9) == 0)
            *sbu = TRUE;
          else
            for (guint i = 0; words[i]; i++)
              if (strlen (words[i]) == len && memcmp (w, words[i], len) == 0)
                {
                  gboolean dup = FALSE;
                  if (!caveats)
                    caveats = json_object_new_array ();
                  for (gsize k = 0; k < json_object_array_length (caveats); k++)
                    dup |= strcmp (json_object_get_string (json_object_array_get_idx (caveats, k)), words[i]) == 0;
                  if (!dup)
                    json_object_array_add (caveats, json_object_new_string (words[i]));
                }
        }
      while (p < e && !hp_is_alpha (*p))
        p++;
    }
  if (caveats)
    json_object_object_add (c->f, "caveats", caveats);
  if (sipdis)
    json_object_object_add (c->f, "sipdis", json_object_new_boolean (TRUE));
}

/* ---- FM line -> origin ---- */

static char *
origin_from_routing (json_object *routing)
{
  static const char *const prefixes[] = { "AMEMBASSY ", "AMCONSUL ", "USMISSION ", "AMEMB ", "USLO ", "USOFFICE ", NULL };
  json_object *fm;
  const char *s;

  if (!routing || !json_object_object_get_ex (routing, "from", &fm))
    return NULL;
  s = json_object_get_string (fm);
  if (g_str_has_prefix (s, "SECSTATE"))
    return g_strdup ("STATE");
  for (guint i = 0; prefixes[i]; i++)
    if (g_str_has_prefix (s, prefixes[i]))
      return g_strdup (s + strlen (prefixes[i]));
  return NULL;
}

/* ---- putting it together ---- */

static void
set_date_from_created (Ctx *c)
{
  int y, m, d;
  if (c->year || !c->in || !c->in->created)
    return;
  if (strlen (c->in->created) >= 10 && hp_parse_date (c->in->created, 10, 0, &y, &m, &d))
    c->year = y, c->month = m, c->day = d;
}

static void
emit_body_spans (Ctx *c, HpBody *body, gsize hs, gsize signer_start)
{
  const char *t = c->t;
  guint si = 0;

  for (guint i = 0; i < body->paras->len; i++)
    {
      HpPara *p = &g_array_index (body->paras, HpPara, i);
      gsize end = c->re;
      json_object *attrs;

      if (p->start < hs)
        continue;
      if (i + 1 < body->paras->len)
        end = g_array_index (body->paras, HpPara, i + 1).start;
      while (si < body->sections->len && g_array_index (body->sections, HpSection, si).start <= p->start)
        si++;
      if (si < body->sections->len)
        end = MIN (end, g_array_index (body->sections, HpSection, si).start);
      if (signer_start > p->start)
        end = MIN (end, signer_start);
      while (end > p->start && hp_is_space (t[end - 1]))
        end--;
      attrs = json_object_new_object ();
      json_object_object_add (attrs, "number", json_object_new_int (p->number));
      if (p->marking)
        json_object_object_add (attrs, "marking", json_object_new_string (p->marking));
      {
        char label[12];
        g_snprintf (label, sizeof label, "%d", p->number);
        add_span (c, "paragraph", g_strdup (label), p->start, end, attrs);
      }
    }
  for (guint i = 0; i < body->sections->len; i++)
    {
      HpSection *s = &g_array_index (body->sections, HpSection, i);
      json_object *attrs;
      if (s->start < hs)
        continue;
      attrs = json_object_new_object ();
      json_object_object_add (attrs, "title", json_object_new_string (s->title));
      add_span (c, "section", NULL, s->start, s->end, attrs);
    }
  for (guint i = 0; i < body->breaks->len; i++)
    {
      HpRange *r = &g_array_index (body->breaks, HpRange, i);
      add_span (c, "page-break", NULL, r->start, r->end, NULL);
    }
}

static void
set_reference_id (Ctx *c)
{
  if (c->in && c->in->reference_id && *c->in->reference_id)
    {
      json_object_object_add (c->f, "reference_id", json_object_new_string (c->in->reference_id));
      return;
    }
  if (c->origin && c->number && c->year)
    {
      const char *n = c->number;
      GString *o = g_string_new (NULL);
      char *id;
      while (*n == '0' && n[1])
        n++;
      for (const char *p = c->origin; *p; p++)
        if (*p != ' ')
          g_string_append_c (o, *p);
      id = g_strdup_printf ("%02d%s%s", c->year % 100, o->str, n);
      json_object_object_add (c->f, "reference_id", json_object_new_string (id));
      json_object_object_add (c->f, "reference_id_inferred", json_object_new_boolean (TRUE));
      g_free (id);
      g_string_free (o, TRUE);
    }
}

static void
parse_fields (Ctx *c, const HpClean *z, gsize zone_len, gboolean *sbu)
{
  const char *b = z->s->str;
  Label labels[L_N];
  gsize first = zone_len;

  find_labels (b, zone_len, labels);
  for (int k = 0; k < L_N; k++)
    if (labels[k].found)
      first = MIN (first, labels[k].label);
  parse_caveats (c, b, first, sbu);
  for (int k = 0; k < L_N; k++)
    {
      Label *l = &labels[k];
      gsize e;
      if (!l->found)
        continue;
      e = l->end;
      if (k == L_TAGS || k == L_SUBJ || k == L_CLASSBY)
        e = cut_at_blank_line (b, l->value, e);
      if (k == L_EO)
        e = MIN (e, (gsize) (hp_line_end (b + l->value, b + e) - b));
      e = trim_end (b, l->value, e);
      if (e <= l->value)
        {
          static const char *const names[] = { "E.O.", "TAGS", "SUBJECT", "REF", "Classified By" };
          diag (c, TRUE, "empty-field", hp_clean_orig (z, l->label),
                "the %s label has no value; the field is left out", names[k]);
          mark_header (c, hp_clean_orig (z, l->label), hp_clean_orig (z, l->value - 1) + 1);
          continue;
        }
      mark_header (c, hp_clean_orig (z, l->label), hp_clean_orig (z, e - 1) + 1);
      switch (k)
        {
        case L_EO: parse_eo (c, z, l->value, e); break;
        case L_TAGS: parse_tags (c, b + l->value, e - l->value); break;
        case L_SUBJ: parse_subject (c, b + l->value, e - l->value); break;
        case L_REF: c->ref_s = l->value, c->ref_e = trim_end (b, l->value, ref_block_end (b, l->value, e)); break;
        case L_CLASSBY: parse_classified_by (c, b + l->value, e - l->value); break;
        default: break;
        }
    }
}

/* "1. (U) CLASSIFIED BY ...", "1. CONFIDENTIAL - ENTIRE TEXT. CLASSIFIED BY: ...": the line
 * written inside the first paragraph, when the header has none of its own. */
static void
classified_by_in_para (Ctx *c, const HpBody *body, gsize from)
{
  HpClean p1;
  Label labels[L_N];
  gsize ps = 0, pe = c->re;
  guint i;

  for (i = 0; i < body->paras->len; i++)
    if (g_array_index (body->paras, HpPara, i).start >= from)
      break;
  if (i == body->paras->len)
    return;
  ps = g_array_index (body->paras, HpPara, i).start;
  if (i + 1 < body->paras->len)
    pe = g_array_index (body->paras, HpPara, i + 1).start;
  pe = MIN (pe, ps + 2048);
  /* most first paragraphs do not say it: look before copying */
  if (!g_strstr_len (c->t + ps, MIN (pe - ps, 240), "LASSIFIED") && !g_strstr_len (c->t + ps, MIN (pe - ps, 240), "lassified"))
    return;
  hp_clean_init (&p1, NULL, -1, c->t, ps, pe, (const HpRange *) body->breaks->data, body->breaks->len);
  find_labels (p1.s->str, p1.s->len, labels);
  if (labels[L_CLASSBY].found && labels[L_CLASSBY].label < 160)
    {
      const char *b = p1.s->str;
      gsize e = cut_at_blank_line (b, labels[L_CLASSBY].value, labels[L_CLASSBY].end);
      e = trim_end (b, labels[L_CLASSBY].value, e);
      if (e > labels[L_CLASSBY].value)
        parse_classified_by (c, b + labels[L_CLASSBY].value, e - labels[L_CLASSBY].value);
    }
  hp_clean_clear (&p1);
}

/* The latest year that a reference writes out ("08 STATE 123" -> 2008), or 0. */
static int
latest_ref_year (Ctx *c, const HpClean *zone)
{
  json_object *saved = c->f, *refs;
  int latest = 0;

  if (c->ref_e <= c->ref_s)
    return 0;
  c->f = json_object_new_object ();
  parse_refs (c, zone->s->str + c->ref_s, c->ref_e - c->ref_s);  /* c->year is 0: only written years give ids */
  if (json_object_object_get_ex (c->f, "references", &refs))
    for (gsize i = 0; i < json_object_array_length (refs); i++)
      {
        const char *id = json_object_get_string (json_object_object_get (json_object_array_get_idx (refs, i), "id"));
        if (id && hp_is_digit (id[0]) && hp_is_digit (id[1]))
          latest = MAX (latest, expand_year ((id[0] - '0') * 10 + (id[1] - '0'), 0));
      }
  json_object_put (c->f);
  c->f = saved;
  return latest;
}

/* The fields in a fixed order, whatever order they were found in. */
static json_object *
ordered (json_object *f)
{
  static const char *const order[] = {
    "classification", "caveats", "sipdis", "section", "origin", "reference_number", "reference_id",
    "reference_id_inferred", "date", "executive_order", "decl_date", "decl_reasons",
    "decl_na", "tags", "subject", "subject_marking", "references", "classified_by", "signers", "routing", NULL };
  json_object *out = json_object_new_object ();
  for (guint i = 0; order[i]; i++)
    {
      json_object *v;
      if (json_object_object_get_ex (f, order[i], &v))
        json_object_object_add (out, order[i], json_object_get (v));
    }
  json_object_put (f);
  return out;
}

/* The first paragraph or section heading at or after from, or limit. */
/* The last character boundary at or before p: a byte limit (HP_HEAD_MAX) must not
 * end a field in the middle of a character. */
static gsize
utf8_floor (const char *text, gsize from, gsize p)
{
  while (p > from && ((guchar) text[p] & 0xC0) == 0x80)
    p--;
  return p;
}

static gsize
first_layout_start (const HpBody *body, gsize from, gsize limit)
{
  gsize end = limit;

  for (guint i = 0; i < body->paras->len; i++)
    if (g_array_index (body->paras, HpPara, i).start >= from)
      {
        end = MIN (end, g_array_index (body->paras, HpPara, i).start);
        break;
      }
  for (guint i = 0; i < body->sections->len; i++)
    if (g_array_index (body->sections, HpSection, i).start >= from)
      {
        end = MIN (end, g_array_index (body->sections, HpSection, i).start);
        break;
      }
  return end;
}

/* The body scan read page-break origins as "the capitals before the number"; with the
 * origin known, a break starts at the origin itself ("UNSC MOSCOW 00002734 ..."). */
static void
fix_break_origins (HpBody *body, const char *text, const char *origin)
{
  gsize olen = strlen (origin);

  for (guint i = 0; i < body->breaks->len; i++)
    {
      HpRange *r = &g_array_index (body->breaks, HpRange, i);
      const char *hit;
      if (r->end - r->start <= olen || memcmp (text + r->start, "PAGE ", 5) == 0
          || memchr (text + r->start, '\n', r->end - r->start))
        continue;  /* "PAGE 02 STATE ..." and the old telegram's classification line stay whole */
      hit = g_strstr_len (text + r->start, MIN (r->end - r->start, olen + 24), origin);
      if (hit && (gsize) (hit - text) > r->start && hit[-1] == ' ')
        {
          gsize s = hit - text;
          for (gsize k = 5; k <= 6; k++)
            if (s >= r->start + k && hp_markup_open_len (text + s - k, text + r->end) == k)
              {
                s -= k;
                break;
              }
          r->start = s;
        }
    }
}

HpResult *
hp_parse (const char *text, gsize length, const HpInput *input)
{
  HpResult *res = g_new0 (HpResult, 1);
  Ctx c = { 0 };
  HpClean head = { 0 }, zone = { 0 };
  HpBody body = { 0 };
  ClassLine cl = { 0 };
  gboolean have_class, sbu = FALSE;
  gsize hs, hend, zs, head_end, signer_s = 0, signer_e = 0;
  const char *zny;
  GPtrArray *signers;

  res->spans = g_array_sized_new (FALSE, FALSE, sizeof (HpSpan), 64);
  res->diags = g_array_sized_new (FALSE, FALSE, sizeof (HpDiag), 4);
  c.t = text;
  c.in = input;
  c.res = res;
  c.f = json_object_new_object ();
  c.rs = input ? MIN (input->region_start, length) : 0;
  c.re = input && input->region_end ? MIN (input->region_end, length) : length;
  if (c.re < c.rs)
    c.re = c.rs;

  /* 1. the body: one linear pass (paragraphs, sections, page breaks) */
  hp_body_scan (&body, text, c.rs, c.re, NULL, input ? input->scratch : NULL);
  head_end = first_layout_start (&body, c.rs, utf8_floor (text, c.rs, MIN (c.re, c.rs + HP_HEAD_MAX)));

  /* 2. the part before the first paragraph, without markup: routing block and classification line */
  hp_clean_init (&head, body.scratch, HP_SLOT_HEAD, text, c.rs, head_end, NULL, 0);
  have_class = find_class_line (&head, &cl);
  zny = parse_routing (&c, &head, have_class ? cl.line_start : head.s->len);
  if (!c.routing && !have_class)
    zny = NULL;
  set_date_from_created (&c);
  if (have_class)
    {
      hs = hp_clean_orig (&head, cl.line_start);
      zs = hp_clean_orig (&head, cl.end > 0 ? cl.end - 1 : 0) + (cl.end > 0 ? 1 : 0);
      mark_header (&c, hs, zs);
      c.class_name = cl.name;
      c.class_caveat = cl.slash_caveat;
      c.origin = cl.origin ? g_strdup (cl.origin) : NULL;
      c.number = cl.number ? g_strdup (cl.number) : NULL;
    }
  else
    hs = zs = c.have_hdr ? c.hdr_end : c.rs;
  if (!c.origin)
    c.origin = origin_from_routing (c.routing);
  if (!c.number && c.de_number)
    c.number = g_strdup (c.de_number);
  if (c.origin)
    fix_break_origins (&body, text, c.origin);
  hend = first_layout_start (&body, zs, utf8_floor (text, zs, MIN (c.re, zs + HP_HEAD_MAX)));

  /* 3. the labelled fields, from a markup-free copy without page-break lines */
  hp_clean_init (&zone, body.scratch, HP_SLOT_ZONE, text, zs, MAX (zs, hend), (const HpRange *) body.breaks->data, body.breaks->len);
  parse_fields (&c, &zone, zone.s->len, &sbu);
  if (!json_object_object_get_ex (c.f, "classified_by", NULL))
    classified_by_in_para (&c, &body, zs);

  /* 4. classification, origin, number, dates */
  if (c.class_name)
    {
      const char *name = c.class_name;
      if (sbu && strcmp (name, "UNCLASSIFIED") == 0)
        name = "SENSITIVE BUT UNCLASSIFIED";
      json_object_object_add (c.f, "classification", json_object_new_string (name));
    }
  else if (zny)
    json_object_object_add (c.f, "classification", json_object_new_string (zny));
  if (have_class && cl.sec_total > 0)
    {
      json_object *sec = json_object_new_object ();
      json_object_object_add (sec, "index", json_object_new_int (cl.sec_index));
      json_object_object_add (sec, "total", json_object_new_int (cl.sec_total));
      json_object_object_add (c.f, "section", sec);
    }
  if (c.origin)
    json_object_object_add (c.f, "origin", json_object_new_string (c.origin));
  if (c.number)
    json_object_object_add (c.f, "reference_number", json_object_new_string (c.number));
  if (!c.year)
    {
      json_object *decl;
      int y, m, d;
      /* no date anywhere: the usual ten-year declassification gives the year only */
      if (json_object_object_get_ex (c.f, "decl_date", &decl)
          && hp_parse_date (json_object_get_string (decl), 10, 0, &y, &m, &d) && y - 10 >= 1960)
        {
          int latest = latest_ref_year (&c, &zone);
          c.year = y - 10;
          /* a 25-year declassification shows when the references are years older */
          if (latest > 0 && c.year > latest + 2 && y - 25 >= latest)
            c.year = y - 25;
          if (latest > c.year)
            c.year = latest;
          c.date_inferred = TRUE;
        }
    }
  set_reference_id (&c);
  if (c.ref_e > c.ref_s)
    parse_refs (&c, zone.s->str + c.ref_s, c.ref_e - c.ref_s);
  if (c.month)
    json_object_object_add (c.f, "date", json_iso_date (c.year, c.month, c.day));
  if (c.routing)
    json_object_object_add (c.f, "routing", json_object_get (c.routing));

  /* 5. the signer and the layout spans */
  /* a fragment without a header block is searched whole; a cable from the end of its header */
  {
    /* a fragment without a header block is searched whole (also when its only "header" is
     * the classification line that closes it); a cable from the end of its header */
    gsize from = c.have_hdr ? MAX (c.rs, c.hdr_end) : c.rs;
    if (c.have_hdr && from > c.rs && c.re - c.hdr_end < 512 && hp_only_closing_lines (text + c.hdr_start, text + c.re))
      from = c.rs;
    signers = hp_find_signers (text, from, c.re, &body, &signer_s, &signer_e);
  }
  if (signers)
    {
      json_object *list = json_object_new_array ();
      for (guint i = 0; i < signers->len; i++)
        json_object_array_add (list, json_object_new_string (signers->pdata[i]));
      json_object_object_add (c.f, "signers", list);
    }
  if (c.have_hdr)
    add_span (&c, "header", NULL, c.hdr_start, c.hdr_end, NULL);
  emit_body_spans (&c, &body, zs, signers ? signer_s : 0);
  if (signers)
    g_ptr_array_unref (signers);

  /* 6. what is missing */
  if (!c.have_hdr)
    diag (&c, TRUE, "no-header", -1,
          "no cable header found (no classification line, routing block or E.O./TAGS/SUBJECT "
          "labels in the first %d bytes); fields.header is empty", HP_HEAD_MAX);
  else
    {
      gboolean has_subj = json_object_object_get_ex (c.f, "subject", NULL);
      gboolean has_class = json_object_object_get_ex (c.f, "classification", NULL);
      if (!has_class)
        diag (&c, TRUE, "no-classification", c.hdr_start,
              "the header has no classification line (e.g. 'C O N F I D E N T I A L MOSCOW 002734'); "
              "classification left out");
      if (!has_subj && hend >= c.re && trim_end (text, c.hdr_end, c.re) <= c.hdr_end + 256)
        diag (&c, TRUE, "header-truncated", c.hdr_end,
              "the text ends inside the cable header (no SUBJECT and no body after it); "
              "the fields found so far are kept");
      else if (!has_subj)
        diag (&c, FALSE, "no-subject", c.hdr_start, "the header has no SUBJECT line");
    }
  res->fields = ordered (c.f);

  hp_body_clear (&body);
  hp_clean_clear (&zone);
  hp_clean_clear (&head);
  class_line_clear (&cl);
  if (c.routing)
    json_object_put (c.routing);
  g_free (c.origin);
  g_free (c.number);
  g_free (c.de_number);
  return res;
}

void
hp_result_free (HpResult *result)
{
  if (!result)
    return;
  for (guint i = 0; i < result->spans->len; i++)
    {
      HpSpan *s = &g_array_index (result->spans, HpSpan, i);
      g_free (s->label);
      if (s->attrs)
        json_object_put (s->attrs);
    }
  for (guint i = 0; i < result->diags->len; i++)
    g_free (g_array_index (result->diags, HpDiag, i).message);
  g_array_unref (result->spans);
  g_array_unref (result->diags);
  if (result->fields)
    json_object_put (result->fields);
  g_free (result);
}
