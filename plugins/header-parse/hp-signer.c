/* hp-signer.c: the signers at the end of a cable or fragment: tables of closing lines and of the ways a signature is written. */
#include "hp-internal.h"

#include <string.h>

/* ---- words and lines ---- */

static const char *const not_names[] = {
  "END", "COMMENT", "SUMMARY", "TEXT", "NOTE", "MINIMIZE", "CONSIDERED", "CLASSIFIED",
  "UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "SIPDIS", "NOFORN", "ACTION", "REQUEST",
  "THANKS", "THANK", "CLEARED", "PLEASE", "VISIT", "WEBSITE", "ADVISE", "SECTION", "BT",
  "NNNN", "UNCLAS", "REF", "TAGS", "SUBJECT", "PARA", "THE", "AND", "FOR", "OF", "TO",
  "IN", "IS", "ON", "AT", "WITH", "CABLE", "MESSAGE", "APPROVED", "THIS",
};

static gboolean
name_word_ok (const char *w, gsize n)
{
  char buf[32];
  gsize k = 0;

  if (n == 0 || n >= sizeof buf || !hp_is_alpha (w[0]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      char c = w[i];
      if (!hp_is_alpha (c) && c != '.' && c != '-' && c != '\'')
        return FALSE;
      if (c != '.')
        buf[k++] = hp_upper (c);
    }
  buf[k] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (not_names); i++)
    if (strcmp (buf, not_names[i]) == 0)
      return FALSE;
  return TRUE;
}

/* 1 to 3 words that could be a name; *all_caps / *capitalized describe them. */
static gboolean
name_like (const char *p, const char *e, gboolean *all_caps, gboolean *capitalized)
{
  int words = 0;

  *all_caps = TRUE;
  *capitalized = TRUE;
  if (e - p > 40)
    return FALSE;
  while (p < e)
    {
      const char *w = p;
      while (p < e && *p != ' ')
        p++;
      if (!name_word_ok (w, p - w))
        return FALSE;
      if (!hp_is_upper (w[0]))
        *capitalized = FALSE;
      for (const char *c = w; c < p; c++)
        if (*c >= 'a' && *c <= 'z')
          *all_caps = FALSE;
      words++;
      while (p < e && *p == ' ')
        p++;
    }
  return words >= 1 && words <= 3;
}

static gboolean
has_lower (const char *p, const char *e)
{
  for (; p < e; p++)
    if (*p >= 'a' && *p <= 'z')
      return TRUE;
  return FALSE;
}

/* "END COMMENT", "End note.", "END TEXT": the marker that closes a comment or quoted text. */
static gsize
end_marker_len (const char *p, const char *e)
{
  static const char *const what[] = { "COMMENT", "NOTE", "SUMMARY", "TEXT", "CABLE TEXT", "QUOTE", NULL };
  const char *q;

  if (!hp_has_prefix_ci (p, e, "END "))
    return 0;
  for (guint i = 0; what[i]; i++)
    {
      q = p + 4;
      while (q < e && *q == ' ')
        q++;
      if (hp_has_prefix_ci (q, e, what[i]))
        {
          q += strlen (what[i]);
          if (q < e && hp_is_alpha (*q))
            continue;
          while (q < e && (*q == '.' || *q == ' '))
            q++;
          return q - p;
        }
    }
  return 0;
}

/* ---- lines that close a cable after its signature ---- */

static gboolean closing_line (const char *p, const char *e);

typedef gboolean (*LineTest) (const char *p, const char *e);

static gboolean
closing_class (const char *p, const char *e)
{
  const char *after;

  if (hp_is_class_only (p, e))
    return TRUE;
  /* "SECRET//NOFORN", "UNCLASSIFIED//FOR OFFICIAL USE ONLY" */
  return hp_match_class (p, e, &after) != NULL && after < e && *after == '/' && !has_lower (after, e);
}

static gboolean
closing_note (const char *p, const char *e)
{
  /* "NOTE BY OC/T: NOT PASSED ABOVE.": the telegram office's note */
  return hp_has_prefix_ci (p, e, "NOTE BY OC") || hp_has_prefix_ci (p, e, "NOTE BY OCT");
}

static gboolean
closing_prosign (const char *p, const char *e)
{
  /* "NNNN", "BT", "SELECT ...", "End Cable Text" */
  if (e - p >= 2 && *p == '#' && hp_is_digit (p[1]))
    {
      /* "#2734": the telegram's sequence number */
      const char *q = p + 1;
      while (q < e && hp_is_digit (*q))
        q++;
      if (q == e)
        return TRUE;
    }
  return (e - p == 4 && memcmp (p, "NNNN", 4) == 0) || (e - p == 2 && memcmp (p, "BT", 2) == 0)
         || (e - p >= 6 && hp_has_prefix_ci (p, e, "SELECT ")) || hp_has_prefix_ci (p, e, "END CABLE TEXT");
}

static gboolean
closing_url (const char *p, const char *e)
{
  /* the embassy website notice some posts append, also its wrapped tail ("gov.gov/wiki/Portal:Turkey\"") */
  if (g_strstr_len (p, e - p, "http") && !g_strstr_len (p, e - p, ". "))
    {
      /* "...Portal:Unit ed_Kingdom LEBARON": a signature glued on is no part of the notice */
      const char *w = e, *pw;
      while (w > p && w[-1] != ' ')
        w--;
      pw = w > p ? w - 1 : p;
      while (pw > p && pw[-1] != ' ')
        pw--;
      if (e - w >= 3 && !has_lower (w, e) && hp_is_upper (*w) && (memchr (pw, '_', w - pw) || memchr (pw, '/', w - pw)))
        return FALSE;
      return TRUE;
    }
  return !memchr (p, ' ', e - p) && memchr (p, '/', e - p) && (g_strstr_len (p, e - p, ".gov") || g_strstr_len (p, e - p, "Portal"));
}

static gboolean
closing_mail_stamp (const char *p, const char *e)
{
  /* "Zenaida X Toledo 07/30/2008 04:04:14 PM From DB/Inbox: TRANS": a mail system's trailer */
  if (!memchr (p, '/', e - p))
    return FALSE;
  return g_strstr_len (p, e - p, "DB/Inbox") != NULL || g_strstr_len (p, e - p, " PM From ") != NULL
         || g_strstr_len (p, e - p, " AM From ") != NULL;
}

static gboolean
closing_punct (const char *p, const char *e)
{
  for (const char *q = p; q < e; q++)
    if (hp_is_alpha (*q) || hp_is_digit (*q) || (guchar) *q >= 0x80)
      return FALSE;
  return TRUE;
}

static const struct {
  const char *name;
  LineTest    test;
} closing_lines[] = {
  { "classification", closing_class },
  { "telegram-note", closing_note },
  { "prosign", closing_prosign },
  { "website", closing_url },
  { "mail-stamp", closing_mail_stamp },
  { "rule", closing_punct },
};

static gboolean
closing_line (const char *p, const char *e)
{
  for (guint i = 0; i < G_N_ELEMENTS (closing_lines); i++)
    if (closing_lines[i].test (p, e))
      return TRUE;
  return FALSE;
}

/* ---- the ways a signature is written on the last line ---- */

typedef struct {
  const char *b;            /* the tail copy */
  const char *ls, *le;      /* the last line, trimmed (a trailing period and date stamp removed) */
  gboolean    had_period;
  const char *ps, *pe;      /* the line before it, trimmed (ps == pe: blank or none) */
  gboolean    prev_open;    /* the line before ends nothing a name could continue */
} SignerLine;

typedef gboolean (*SignerRule) (const SignerLine *l, const char **s, const char **e);

static void read_line (SignerLine *l, const char *b, const char *ls, const char *le);

/* "BEYRLE", "Burns", "curran" on a line of their own */
static gboolean
rule_own_line (const SignerLine *l, const char **s, const char **e)
{
  gboolean caps, capd;
  const char *pe = l->pe;

  if (!name_like (l->ls, l->le, &caps, &capd))
    return FALSE;
  /* the line before must end a sentence or be open, unless the name stands out by its case */
  if (caps && !l->prev_open && l->ps < l->pe)
    {
      /* "RICE" above "GATES": two signers, the line above them open */
      gboolean pcaps, pcapd;
      SignerLine p;
      read_line (&p, l->b, l->ps, l->pe);
      if (name_like (p.ls, p.le, &pcaps, &pcapd) && pcaps && !p.had_period && p.prev_open)
        {
          *s = l->ls, *e = l->le;
          return TRUE;
        }
    }
  if ((l->prev_open && (capd || !l->had_period))
      || (capd && pe > l->ps && (strchr (".!?:\"”)", pe[-1]) || pe[-1] == '\x9d'))
      || (caps && has_lower (l->ps, pe))
      || (capd && !caps && !has_lower (l->ps, pe)))
    {
      *s = l->ls, *e = l->le;
      return TRUE;
    }
  return FALSE;
}

/* "END TEXT HEFFERN", "END COMMENT. THORNE": the name after a closing marker */
static gboolean
rule_after_end_marker (const SignerLine *l, const char **s, const char **e)
{
  gboolean caps, capd;

  /* the marker starts the line or a word in it; the last one counts */
  for (const char *p = l->le - 4; p >= l->ls; p--)
    {
      gsize m;
      if ((p > l->ls && p[-1] != ' ') || !(m = end_marker_len (p, l->le)))
        continue;
      if (p + m >= l->le || !name_like (p + m, l->le, &caps, &capd) || !(caps || capd))
        return FALSE;
      *s = p + m, *e = l->le;
      return TRUE;
    }
  return FALSE;
}

/* "... to assist him. Beyrle", "...Portal:Unit ed_Kingdom LEBARON": the name glued to
 * the last sentence or to the website notice */
static gboolean
rule_glued (const SignerLine *l, const char **s, const char **e)
{
  const char *q = l->le, *ls = l->ls;
  int words = 0;
  gboolean caps, capd;

  while (q > ls && words < 3)
    {
      const char *w = q;
      while (w > ls && w[-1] != ' ')
        w--;
      if (w == ls)
        break;
      words++;
      q = w - 1;
      while (q > ls && q[-1] == ' ')
        q--;
      if (q > ls && (strchr (".!?\"/", q[-1]) != NULL || ((guchar) q[-1] == 0x9d && q - ls >= 3)
                     || (q - ls >= 3 && (memcmp (q - 3, "cfm", 3) == 0 || memcmp (q - 3, "htm", 3) == 0))))
        {
          if (name_like (w, l->le, &caps, &capd) && capd)
            {
              *s = w, *e = l->le;
              return TRUE;
            }
          return FALSE;
        }
      {
        /* the word before is a URL's tail */
        const char *pw = q;
        while (pw > ls && pw[-1] != ' ')
          pw--;
        if (q > pw && (memchr (pw, '_', q - pw) || memchr (pw, '/', q - pw)) && name_like (w, l->le, &caps, &capd) && caps)
          {
            *s = w, *e = l->le;
            return TRUE;
          }
      }
    }
  return FALSE;
}

/* "... END COMMENT THORNE": a name in capitals after mixed-case text */
static gboolean
rule_caps_after_text (const SignerLine *l, const char **s, const char **e)
{
  const char *w = l->le, *before;
  gboolean caps, capd;

  if (l->had_period)
    return FALSE;
  while (w > l->ls && w[-1] != ' ')
    w--;
  before = w;
  while (before > l->ls && before[-1] == ' ')
    before--;
  if (l->le - w >= 4 && name_like (w, l->le, &caps, &capd) && caps && has_lower (l->ls, w)
      && before > l->ls && before[-1] != ':')
    {
      *s = w, *e = l->le;
      return TRUE;
    }
  return FALSE;
}

static const struct {
  const char *name;
  SignerRule  rule;
} signer_rules[] = {
  { "own-line", rule_own_line },
  { "after-end-marker", rule_after_end_marker },
  { "glued", rule_glued },
  { "caps-after-text", rule_caps_after_text },
};

/* ---- the search ---- */

/* The last line before *e that is not a closing line, trimmed; FALSE if none. */
static gboolean
last_line (const char *b, const char **e, const char **ls, const char **le)
{
  const char *end = *e;

  for (int guard = 0; guard < 12; guard++)
    {
      while (end > b && hp_is_space (end[-1]))
        end--;
      if (end == b)
        return FALSE;
      *le = end;
      *ls = hp_line_start (end - 1, b);
      while (*ls < *le && hp_is_space (**ls))
        (*ls)++;
      if (!closing_line (*ls, *le))
        {
          *e = end;
          return TRUE;
        }
      end = hp_line_start (end - 1, b);
    }
  return FALSE;
}

static void
read_line (SignerLine *l, const char *b, const char *ls, const char *le)
{
  const char *pe = ls, *ps;

  l->b = b;
  l->ls = ls;
  l->le = le;
  /* a trailing date stamp some pages carry: "DANILOVICH 2005-05-06" */
  if (le - ls > 11 && hp_is_digit (le[-1]) && le[-3] == '-' && le[-6] == '-' && le[-11] == ' ')
    {
      le -= 11;
      while (le > ls && le[-1] == ' ')
        le--;
      l->le = le;
    }
  l->had_period = l->le > ls && l->le[-1] == '.';
  if (l->had_period)
    l->le--;
  while (pe > b && hp_is_blank (pe[-1]))
    pe--;
  if (pe > b && pe[-1] == '\n')
    pe--;
  ps = hp_line_start (pe, b);
  while (pe > ps && hp_is_space (pe[-1]))
    pe--;
  while (ps < pe && hp_is_space (*ps))
    ps++;
  l->ps = ps;
  l->pe = pe;
  /* open: nothing before, a blank line, a closing line, a website, or the end of a comment */
  l->prev_open = ls == b || pe == ps || closing_line (ps, pe) || g_strstr_len (ps, pe - ps, "http") != NULL
                 || (pe - ps >= 11 && end_marker_len (ps, pe) == (gsize) (pe - ps))
                 || (pe - ps > 12 && (hp_has_prefix_ci (pe - 11, pe, "END COMMENT") || hp_has_prefix_ci (pe - 8, pe, "END NOTE")
                                      || hp_has_prefix_ci (pe - 8, pe, "END TEXT")));
}

gboolean
hp_only_closing_lines (const char *p, const char *e)
{
  while (p < e)
    {
      const char *le = hp_line_end (p, e), *s = p, *t = le;
      while (s < t && hp_is_space (*s))
        s++;
      while (t > s && hp_is_space (t[-1]))
        t--;
      if (s < t && !closing_line (s, t))
        return FALSE;
      p = le < e ? le + 1 : e;
    }
  return TRUE;
}

static gboolean
add_name (GPtrArray *names, const char *s, const char *e)
{
  char *n = g_strndup (s, e - s);
  const char *sp = strchr (n, ' ');

  /* "KUBISKE KUBISKE": typed twice */
  if (sp && strlen (sp + 1) == (gsize) (sp - n) && memcmp (n, sp + 1, sp - n) == 0)
    n[sp - n] = '\0';
  g_ptr_array_insert (names, 0, n);
  return TRUE;
}

GPtrArray *
hp_find_signers (const char *text, gsize from, gsize to, const HpBody *body, gsize *start, gsize *end)
{
  gsize tail = to - from > 1536 ? to - 1536 : from;
  HpClean c;
  const char *b, *e, *ls, *le, *cs = NULL, *ce = NULL;
  GPtrArray *names = NULL;
  SignerLine l;

  if (to <= from)
    return NULL;
  hp_clean_init (&c, body ? body->scratch : NULL, HP_SLOT_TAIL, text, tail, to, body ? (const HpRange *) body->breaks->data : NULL,
                 body ? body->breaks->len : 0);
  b = c.s->str;
  e = b + c.s->len;
  if (!last_line (b, &e, &ls, &le))
    goto out;
  read_line (&l, b, ls, le);
  for (guint i = 0; i < G_N_ELEMENTS (signer_rules) && !cs; i++)
    if (signer_rules[i].rule (&l, &cs, &ce))
      {
        names = g_ptr_array_new_with_free_func (g_free);
        add_name (names, cs, ce);
        /* several signers, one a line in capitals ("RICE" above "GATES"), each line its own */
        if (i == 0)
          for (int more = 0; more < 2; more++)
            {
              gboolean caps, capd;
              SignerLine p;
              if (l.ps == l.pe || !name_like (l.ps, l.pe, &caps, &capd) || !caps || !(ce - cs > 0 && !has_lower (cs, ce)))
                break;
              read_line (&p, b, l.ps, l.pe);
              if (!p.prev_open || p.had_period)
                break;
              add_name (names, p.ls, p.le);
              cs = p.ls;
              l = p;
            }
      }
  if (names)
    {
      *start = hp_clean_orig (&c, cs - b);
      *end = hp_clean_orig (&c, ce - b - 1) + 1;
    }
out:
  hp_clean_clear (&c);
  return names;
}
