/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Rebuilding the holder state from the event log: what the previous daemon knew when it
 * stopped or was killed. At start-up the daemon compares it with the kernel and logs only
 * what changed while nobody watched (as `resync`), instead of every holder again.
 */
#ifndef SHMW_REPLAY_H
#define SHMW_REPLAY_H
#include <stdbool.h>
#include <stddef.h>
#include "lifecycle.h"
#include "state.h"

/* Parses one event log line into a ring-buffer event; false for lines that are not holder
 * events (create, rmid, linger, ...) or are malformed. */
bool shmw_replay_line(const char *line, size_t len, struct shmw_event *ev);
/* Applies every holder event of the log at path to st, and every lifecycle line (create,
 * rmid, destroy) to life (NULL: not), in order, without reports. Returns the number of lines
 * applied (0 for a missing or empty log, or one that is not a regular file: a device or a FIFO
 * is never read), or -errno. Versions are reset afterwards, so events from the new daemon apply
 * on top. */
long shmw_replay_file(const char *path, struct shmw_state *st, struct shmw_life *life);
#endif
