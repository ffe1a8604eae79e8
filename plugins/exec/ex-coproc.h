/* ex-coproc.h: one co-process of the exec stage: start it, send a line and read one back with a deadline, end it. */
#pragma once

#include <quarry/plugin.h>

G_BEGIN_DECLS

typedef struct {
  GPid     pid;
  int      in_fd;    /* its stdin (our end, non-blocking) */
  int      out_fd;   /* its stdout (our end, non-blocking) */
  int      err_fd;   /* its stderr (our end, non-blocking), -1 once it ended */
  GString *rbuf;     /* stdout bytes read but not yet taken as a reply */
  GString *ebuf;     /* the last, unfinished stderr line */
  guint64  n_docs;   /* documents it answered */
} ExCoproc;

/* How an exchange went wrong. */
typedef enum {
  EX_EXCHANGE_OK,
  EX_EXCHANGE_DIED,      /* stdout ended or stdin closed: it exited or closed its pipes */
  EX_EXCHANGE_TIMEOUT,   /* no whole reply before the deadline */
  EX_EXCHANGE_TOO_LONG,  /* a reply longer than the limit without a newline */
  EX_EXCHANGE_IO,        /* a read, write or poll failed for another reason */
} ExExchangeStatus;

/* Starts argv (argv[0] the file to run, argv[1..] its argv, ARGV_ZERO style) in
 * workdir (nullable) with envp, its three standard streams piped to us. */
ExCoproc *ex_coproc_spawn (char **argv, char **envp, const char *workdir, GError **error);

/* Writes req (one line, with its newline) and reads one line back, within timeout_ms
 * (0: no limit), draining stderr to stage's log meanwhile. On EX_EXCHANGE_OK *line
 * points at the reply in cp->rbuf (NUL in place of its newline; valid until the next
 * exchange) and *trailing says how many bytes came after it. On failure *detail says
 * what (a read/write error). SIGPIPE is held off while writing. */
ExExchangeStatus ex_coproc_exchange (ExCoproc *cp, const QuarryStage *stage,
                                     const char *req, gsize req_len, guint timeout_ms, gsize max_reply,
                                     char **line, gsize *line_len, gsize *trailing, char **detail);

/* Drops the reply of the last exchange from cp->rbuf. */
void ex_coproc_consume (ExCoproc *cp, gsize line_len);

/* Kills it (SIGKILL), reaps it, logs what it still had on stderr and frees it.
 * Returns (transfer full) how it ended: "exited with status 1", "was killed by signal 11 (Segmentation fault)". */
char *ex_coproc_kill (ExCoproc *cp, const QuarryStage *stage);

/* Ends co-processes politely: closes their stdin so each sees the end of input and
 * exits, waits up to grace_ms for all of them together, kills what is left, logs
 * their last stderr lines and frees them. */
void ex_coproc_close_all (GPtrArray *cps, const QuarryStage *stage, guint grace_ms);

G_END_DECLS
