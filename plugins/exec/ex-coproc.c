/* ex-coproc.c: one co-process of the exec stage: start it, send a line and read one back with a deadline, end it. */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ex-coproc.h"

/* In the child, between fork and exec (async-signal-safe calls only): its own process
 * group, so a terminal's Ctrl-C reaches quarry (which then finishes its documents and
 * ends the co-processes) and not the co-process in the middle of a document; default
 * signal handling, whatever quarry's threads had blocked or ignored. */
static void
child_setup (gpointer data)
{
  sigset_t none;
  struct sigaction sa;

  setpgid (0, 0);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigaction (SIGPIPE, &sa, NULL);
}

ExCoproc *
ex_coproc_spawn (char **argv, char **envp, const char *workdir, GError **error)
{
  ExCoproc *cp = g_new0 (ExCoproc, 1);

  /* GLib closes every other descriptor in the child, so a co-process never holds
   * the pipes of another (it would keep that one's stdin open after we close it) */
  if (!g_spawn_async_with_pipes (workdir, argv, envp,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_FILE_AND_ARGV_ZERO,
                                 child_setup, NULL, &cp->pid, &cp->in_fd, &cp->out_fd, &cp->err_fd, error))
    {
      g_free (cp);
      return NULL;
    }
  g_unix_set_fd_nonblocking (cp->in_fd, TRUE, NULL);
  g_unix_set_fd_nonblocking (cp->out_fd, TRUE, NULL);
  g_unix_set_fd_nonblocking (cp->err_fd, TRUE, NULL);
  cp->rbuf = g_string_sized_new (4096);
  cp->ebuf = g_string_new (NULL);
  return cp;
}

/* Logs each whole line of cp->ebuf (all of it when flush), keeping the rest. */
static void
log_stderr (ExCoproc *cp, const QuarryStage *stage, gboolean flush)
{
  gsize start = 0;
  char *nl;

  while ((nl = memchr (cp->ebuf->str + start, '\n', cp->ebuf->len - start)) != NULL)
    {
      gsize n = nl - (cp->ebuf->str + start);
      if (n > 0 && cp->ebuf->str[start + n - 1] == '\r')
        n--;
      quarry_stage_log (stage, G_LOG_LEVEL_MESSAGE, "co-process %d: %.*s", (int) cp->pid, (int) n, cp->ebuf->str + start);
      start = nl + 1 - cp->ebuf->str;
    }
  g_string_erase (cp->ebuf, 0, start);
  if (flush && cp->ebuf->len > 0)
    {
      quarry_stage_log (stage, G_LOG_LEVEL_MESSAGE, "co-process %d: %s", (int) cp->pid, cp->ebuf->str);
      g_string_truncate (cp->ebuf, 0);
    }
}

/* Reads what stderr has now; returns FALSE once it ended. A line longer than 64 KiB is
 * logged in pieces rather than kept growing. */
static gboolean
read_stderr (ExCoproc *cp, const QuarryStage *stage)
{
  char buf[4096];
  ssize_t n;

  if (cp->err_fd < 0)
    return FALSE;
  while ((n = read (cp->err_fd, buf, sizeof buf)) > 0)
    {
      g_string_append_len (cp->ebuf, buf, n);
      log_stderr (cp, stage, cp->ebuf->len > 65536);
    }
  if (n == 0 || (errno != EAGAIN && errno != EINTR))
    {
      log_stderr (cp, stage, TRUE);
      close (cp->err_fd);
      cp->err_fd = -1;
      return FALSE;
    }
  return TRUE;
}

/* Writing to a co-process that went away raises SIGPIPE, which kills a worker process
 * (core/worker.c restores the default there): keep it pending on this thread while we
 * write, and take it back if our write raised it. */
typedef struct {
  gboolean active;
  sigset_t old;
  gboolean was_pending;
} PipeGuard;

static void
pipe_guard_enter (PipeGuard *g)
{
  sigset_t set, pending;
  struct sigaction now;

  /* ignored (the run loop of --isolation=threads ignores it): nothing to guard, and
   * one system call instead of three per document */
  g->active = sigaction (SIGPIPE, NULL, &now) != 0 || now.sa_handler != SIG_IGN;
  if (!g->active)
    return;
  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  sigpending (&pending);
  g->was_pending = sigismember (&pending, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &set, &g->old);
}

static void
pipe_guard_leave (PipeGuard *g, gboolean raised)
{
  if (!g->active)
    return;
  if (raised && !g->was_pending)
    {
      sigset_t set;
      struct timespec zero = { 0, 0 };
      sigemptyset (&set);
      sigaddset (&set, SIGPIPE);
      while (sigtimedwait (&set, NULL, &zero) < 0 && errno == EINTR)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &g->old, NULL);
}

ExExchangeStatus
ex_coproc_exchange (ExCoproc *cp, const QuarryStage *stage,
                    const char *req, gsize req_len, guint timeout_ms, gsize max_reply,
                    char **line, gsize *line_len, gsize *trailing, char **detail)
{
  gint64 deadline = timeout_ms > 0 ? g_get_monotonic_time () + (gint64) timeout_ms * 1000 : 0;
  gsize off = 0, scanned = 0;
  gboolean epipe = FALSE;
  ExExchangeStatus status = EX_EXCHANGE_OK;
  PipeGuard guard;
  char *nl = NULL;

  g_assert (cp->rbuf->len == 0);
  pipe_guard_enter (&guard);
  for (;;)
    {
      struct pollfd fds[3];
      nfds_t nfds = 0, out_i, err_i;
      int wait_ms = -1, r;

      /* write as much as the pipe takes: usually all of it at once */
      while (off < req_len)
        {
          ssize_t n = write (cp->in_fd, req + off, req_len - off);
          if (n > 0)
            off += n;
          else if (n < 0 && errno == EINTR)
            continue;
          else if (n < 0 && errno == EAGAIN)
            break;
          else
            {
              epipe = n < 0 && errno == EPIPE;
              if (!epipe)
                *detail = g_strdup_printf ("cannot write to its stdin: %s", g_strerror (errno));
              status = epipe ? EX_EXCHANGE_DIED : EX_EXCHANGE_IO;
              goto out;
            }
        }
      if (off == req_len && (nl = memchr (cp->rbuf->str + scanned, '\n', cp->rbuf->len - scanned)) != NULL)
        break;
      scanned = cp->rbuf->len;
      if (cp->rbuf->len > max_reply)
        {
          status = EX_EXCHANGE_TOO_LONG;
          goto out;
        }

      if (off < req_len)
        fds[nfds++] = (struct pollfd) { cp->in_fd, POLLOUT, 0 };
      out_i = nfds;
      fds[nfds++] = (struct pollfd) { cp->out_fd, POLLIN, 0 };
      err_i = nfds;
      if (cp->err_fd >= 0)
        fds[nfds++] = (struct pollfd) { cp->err_fd, POLLIN, 0 };
      if (deadline > 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();
          if (left <= 0)
            {
              status = EX_EXCHANGE_TIMEOUT;
              goto out;
            }
          wait_ms = (int) MIN ((left + 999) / 1000, G_MAXINT);
        }
      r = poll (fds, nfds, wait_ms);
      if (r < 0 && errno != EINTR)
        {
          *detail = g_strdup_printf ("poll failed: %s", g_strerror (errno));
          status = EX_EXCHANGE_IO;
          goto out;
        }
      if (r <= 0)
        continue;  /* EINTR or the deadline: checked at the top */

      if (err_i < nfds && fds[err_i].revents != 0)
        read_stderr (cp, stage);
      for (gboolean whole = fds[out_i].revents == 0; !whole;)
        {
          ssize_t n;
          g_string_set_size (cp->rbuf, cp->rbuf->len + 65536);
          n = read (cp->out_fd, cp->rbuf->str + cp->rbuf->len - 65536, 65536);
          g_string_set_size (cp->rbuf, cp->rbuf->len - 65536 + MAX (n, 0));
          /* a read that ends with a newline has the reply: no second read to see EAGAIN */
          if (n > 0)
            {
              whole = cp->rbuf->str[cp->rbuf->len - 1] == '\n';
              continue;
            }
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0 && errno == EAGAIN)
            break;
          if (n < 0)
            {
              *detail = g_strdup_printf ("cannot read its stdout: %s", g_strerror (errno));
              status = EX_EXCHANGE_IO;
              goto out;
            }
          /* its stdout ended: whatever it wrote before is no whole reply if there is no newline */
          if (off == req_len && memchr (cp->rbuf->str + scanned, '\n', cp->rbuf->len - scanned) != NULL)
            break;
          status = EX_EXCHANGE_DIED;
          goto out;
        }
    }

  *line = cp->rbuf->str;
  *line_len = nl - cp->rbuf->str;
  *nl = '\0';
  *trailing = cp->rbuf->len - *line_len - 1;
  cp->n_docs++;
out:
  pipe_guard_leave (&guard, epipe);
  return status;
}

void
ex_coproc_consume (ExCoproc *cp, gsize line_len)
{
  g_string_erase (cp->rbuf, 0, MIN (line_len + 1, cp->rbuf->len));
}

static char *
describe_status (int status)
{
  if (WIFEXITED (status))
    return g_strdup_printf ("exited with status %d", WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return g_strdup_printf ("was killed by signal %d (%s)", WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  return g_strdup_printf ("ended with wait status %d", status);
}

static void
coproc_free (ExCoproc *cp, const QuarryStage *stage)
{
  if (cp->in_fd >= 0)
    close (cp->in_fd);
  close (cp->out_fd);
  if (cp->err_fd >= 0)
    {
      /* what it wrote before it ended is all there now (unless a child of its own
       * still holds the pipe: then we take what is there and go) */
      read_stderr (cp, stage);
      if (cp->err_fd >= 0)
        close (cp->err_fd);
    }
  log_stderr (cp, stage, TRUE);
  g_string_free (cp->rbuf, TRUE);
  g_string_free (cp->ebuf, TRUE);
  g_free (cp);
}

char *
ex_coproc_kill (ExCoproc *cp, const QuarryStage *stage)
{
  int status = 0;
  char *how;

  kill (cp->pid, SIGKILL);
  while (waitpid (cp->pid, &status, 0) < 0 && errno == EINTR)
    ;
  how = describe_status (status);
  coproc_free (cp, stage);
  return how;
}

void
ex_coproc_close_all (GPtrArray *cps, const QuarryStage *stage, guint grace_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) grace_ms * 1000;
  g_autofree gboolean *done = g_new0 (gboolean, MAX (cps->len, 1));
  guint left = cps->len;

  for (guint i = 0; i < cps->len; i++)
    {
      ExCoproc *cp = cps->pdata[i];
      close (cp->in_fd);
      cp->in_fd = -1;
    }
  while (left > 0)
    {
      for (guint i = 0; i < cps->len; i++)
        {
          ExCoproc *cp = cps->pdata[i];
          int status;
          if (done[i])
            continue;
          read_stderr (cp, stage);
          if (waitpid (cp->pid, &status, WNOHANG) == cp->pid)
            {
              done[i] = TRUE;
              left--;
              if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
                {
                  g_autofree char *how = describe_status (status);
                  quarry_stage_log (stage, G_LOG_LEVEL_MESSAGE, "co-process %d %s at the end of the run",
                                    (int) cp->pid, how);
                }
              coproc_free (cp, stage);
            }
        }
      if (left == 0 || g_get_monotonic_time () >= deadline)
        break;
      g_usleep (2000);
    }
  for (guint i = 0; i < cps->len; i++)
    if (!done[i])
      {
        ExCoproc *cp = cps->pdata[i];
        GPid pid = cp->pid;
        g_autofree char *how = ex_coproc_kill (cp, stage);
        quarry_stage_log (stage, G_LOG_LEVEL_MESSAGE,
                          "co-process %d did not exit within %u ms of the end of its input: killed", (int) pid, grace_ms);
      }
  g_ptr_array_set_size (cps, 0);
}
