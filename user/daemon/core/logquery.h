/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Questions about the past, answered from the event log on disk (logset.h): `events` with
 * filters, one segment's `history`, and `who --at` (its holders and status at a time, replayed
 * from its lines). Answers are written as one JSON line (docs/protocol.md). Runs in the
 * daemon's history thread (history.h), never in its loop.
 */
#ifndef SHMW_LOGQUERY_H
#define SHMW_LOGQUERY_H
#include <stdbool.h>
#include <stdint.h>
#include "jsonproto.h"
#include "logset.h"

/* Most bytes of lines in one answer: the rest is counted ("omitted"), never silently cut.
 * Below the server's smallest answer bound (16 MiB for users other than the admins). */
#define SHMW_LQ_BYTES_MAX (8u << 20)

enum shmw_lq_kind {
	SHMW_LQ_EVENTS,
	SHMW_LQ_HISTORY,
	SHMW_LQ_WHO_AT,
};

struct shmw_lq {
	enum shmw_lq_kind kind;
	bool has_shmid, has_ns, has_key, has_pid;
	uint32_t shmid, ns, key, pid;
	char event[16];	       /* "": any */
	uint64_t since, until; /* CLOCK_REALTIME ns; until 0: no bound */
	uint64_t at;	       /* who at */
	uint32_t last;	       /* events, history: the newest this many matching lines */
	bool all;	       /* an admin: every line; else only lines about uid */
	uint32_t uid;
	volatile int *cancel; /* set non-zero to stop early (may be NULL) */
};

/* What the query cost, for the answer and the benchmark. */
struct shmw_lq_stats {
	uint64_t lines, blocks, files;
	bool checkpoint; /* who --at started from a checkpoint */
};

/* Answers q from ls into out (one line, newline-terminated): an "ok":true answer, or an error
 * answer (no_such_segment, ambiguous). Returns 0, or -errno when reading failed (out holds
 * nothing then; -ECANCELED when cancelled). */
int shmw_lq_run(const struct shmw_logset *ls, const struct shmw_lq *q, struct shmw_jbuf *out,
		struct shmw_lq_stats *st);

/* Who may see a line: the uid it concerns, or UINT32_MAX for admins only (alerts, and lines
 * that name no uid). The same rule as the live `events` (publish.h). */
uint32_t shmw_lq_audience(const char *line, size_t len);
#endif
