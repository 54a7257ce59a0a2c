/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The --alert-exec hook: `/bin/sh -c CMD` per alert, with the alert JSON on its stdin, run
 * without ever blocking the daemon's event loop.
 *
 * Each hook runs in a new process group with the default signal mask and dispositions, stdin
 * a memfd holding the alert, stdout /dev/null, stderr the daemon's own (so "sh: 1: mail: not
 * found" reaches the journal next to the daemon's messages), and no other file descriptor.
 * At most max_running hooks run at once; alerts that come while they all run wait in a FIFO
 * queue of at most max_queued alerts and SHMW_HOOKS_QUEUE_BYTES bytes (their JSON and
 * environment), and start as slots free up (on shmw_hooks_reap()). An alert that finds the
 * queue full is dropped and counted, never run later. A hook still running timeout_s seconds
 * after it started is killed with its whole process group (a hook that escapes its group with
 * setsid/setpgid escapes that kill too).
 *
 * Not thread-safe: one event loop owns a struct shmw_hooks.
 */
#ifndef SHMW_ALERT_EXEC_H
#define SHMW_ALERT_EXEC_H
#include <stddef.h>
#include <stdint.h>
#include "metrics.h"

#define SHMW_HOOKS_RUNNING     8	  /* hooks the daemon runs at once */
#define SHMW_HOOKS_MAX_RUNNING 1024	  /* upper bound for max_running */
#define SHMW_HOOKS_MAX_QUEUED  (1u << 20) /* upper bound for max_queued */
#define SHMW_HOOKS_QUEUE_MIB   16	  /* waiting alerts hold at most this much memory */
#define SHMW_HOOKS_QUEUE_BYTES ((size_t)SHMW_HOOKS_QUEUE_MIB << 20)
#define SHMW_HOOK_QUEUED       1 /* shmw_hooks_run(): waits for a free slot */

struct shmw_hooks;

/* cmd is copied. timeout_s 0 means no time limit. max_running 1..SHMW_HOOKS_MAX_RUNNING;
 * max_queued 0..SHMW_HOOKS_MAX_QUEUED (0: no queue, an alert that finds every slot taken is
 * dropped). NULL with errno EINVAL (empty cmd, a number out of range) or ENOMEM. */
struct shmw_hooks *shmw_hooks_new(const char *cmd, unsigned timeout_s, unsigned max_running,
				  unsigned max_queued);

/*
 * Starts one hook with json (len bytes, no terminator needed) on stdin. env is NULL or a
 * NULL-terminated list of "KEY=VALUE" strings added to the daemon's environment (replacing a
 * variable of the same name). Returns once the hook has been exec'd (a few ms at most, however
 * long the hook runs), with 0; SHMW_HOOK_QUEUED when every slot is taken and the alert (json
 * and env copied) waits for one; or -EBUSY (every slot taken and the queue full, or no memory
 * to queue it: dropped, counted), -EINVAL (an env entry without
 * '=' or with an empty name; not counted), or another -errno when the process could not be
 * created (counted as a spawn error). Reaps finished hooks first, so a slot freed since the
 * last shmw_hooks_reap() is used (by the oldest waiting alert first).
 */
int shmw_hooks_run(struct shmw_hooks *h, const char *json, size_t len, const char *const *env);

/*
 * Collects the exit status of finished hooks and kills (SIGKILL to the process group) those
 * past their timeout; the killed ones are collected on a later call. Then starts waiting
 * alerts in the slots that are free. Waits only for our own
 * pids, with WNOHANG, so it never blocks and never takes the status of another child of the
 * daemon. Call it on SIGCHLD and on every tick (the tick bounds how late a timeout kill is).
 */
void shmw_hooks_reap(struct shmw_hooks *h);

/* The counters (struct shmw_hook_stats, defined with the metrics that show them). */
void shmw_hooks_stats(const struct shmw_hooks *h, struct shmw_hook_stats *st);

/* Kills every hook still running (with its group), waits for them, drops the alerts still
 * waiting, frees h. NULL is a no-op. */
void shmw_hooks_free(struct shmw_hooks *h);
#endif
