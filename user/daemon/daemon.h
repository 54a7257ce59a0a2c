/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's context, shared by its event handling, requests and server. */
#ifndef SHMW_DAEMON_H
#define SHMW_DAEMON_H
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "daemon_opts.h"
#include "lifecycle.h"
#include "loader.h"
#include "publish.h"
#include "state.h"

struct shmw_daemon {
	struct shmw_daemon_opts opts;
	struct shmw_bpf bpf;
	struct shmw_state state;
	struct shmw_life life;
	struct shmw_publisher pub; /* event log, recent lines, followers, journal, hooks */
	uint64_t started_real;	   /* CLOCK_REALTIME ns */
	uint64_t started_mono;	   /* CLOCK_MONOTONIC ns */
	uint64_t events;	   /* ring-buffer records read */
	uint32_t drain_budget;	   /* records one drain may take before the loop serves others */
	uint64_t resyncs;	   /* passes that found and repaired differences */
	uint64_t resync_passes;	   /* every walk-and-compare pass, verify included */
	uint64_t rescans;	   /* walks of one mm asked for by BPF (SHMW_EV_RESCAN) */
	uint64_t reconciles;   /* passes over the kernel's segment tables (tests wait on them) */
	uint64_t seed_pending; /* address spaces not yet walked exactly */
	uint64_t bpf_stats[SHMW_STAT_MAX]; /* last seen, to notice new losses */
	bool resync_full;		   /* pending: walk everything again */
	uint32_t *resync_pids;		   /* pending: walk these processes again */
	size_t nresync_pids, cap_resync_pids;
	uint64_t last_reconcile; /* CLOCK_MONOTONIC ns of the last kernel-table pass */
	uint64_t last_metrics;
	uint64_t last_verify;
	struct shmw_history *hist; /* events with filters, history, who --at (NULL: log is "-") */
	bool quit;
};

/* Ring-buffer callback. */
int shmw_daemon_on_sample(void *ctx, void *data, size_t size);
/* Drains the ring buffer now (before answering a query, so answers include every event). */
void shmw_daemon_drain(struct shmw_daemon *d);
/* Start-up: walk every task, take the snapshot, log what was found as `seed`. */
int shmw_daemon_seed(struct shmw_daemon *d);
/* Periodic: notice lost events and pending walks, repair, log `resync`. */
void shmw_daemon_tick(struct shmw_daemon *d);
/* Lifecycle callback (shmw_life_cb): each event and alert formatted, then published. */
void shmw_daemon_on_life(void *ctx, enum shmw_life_event ev, const struct shmw_lseg *s,
			 const struct shmw_life_info *info);
/* Compares the state with a fresh walk of every task and the kernel's nattch, repairs what
 * the walk shows, and answers {"ok","exact","differences":[...]}. */
json_object *shmw_daemon_verify(struct shmw_daemon *d);
/* The Prometheus exposition of the daemon's numbers now; caller frees. */
char *shmw_daemon_metrics(struct shmw_daemon *d);
#endif
