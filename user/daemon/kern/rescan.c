// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Walks of one address space on the BPF side's request (see rescan.h). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "log.h"
#include "report.h"
#include "rescan.h"
#include "seed.h"

/* A walk races only with a change to the same mm: a few tries suffice for a process that
 * pauses; one that never does is left to the periodic pass. */
#define RESCAN_TRIES 4

/* Reads the record of mm; true while it still waits for an exact walk. */
static bool stale(struct shmw_bpf *b, uint64_t mm, struct shmw_mm_one *one, bool *present)
{
	*present = shmw_mm_read(b, mm, one) == 0;
	return *present &&
	       (!(one->rec.flags & SHMW_MM_SEEDED) || (one->rec.flags & SHMW_MM_RESCAN));
}

struct rescan_ctx {
	struct shmw_daemon *d;
	const struct shmw_event *req;
};

static void on_change(void *p, enum shmw_change chg, const struct shmw_mmst *mm,
		      const struct shmw_mm_seg *seg, uint32_t sharer)
{
	struct rescan_ctx *c = p;
	struct shmw_event ev;

	shmw_event_from_change(&ev, chg, mm, seg, sharer, c->req->cause, c->req->ts);
	if (!ev.actor)
		ev.actor = c->req->actor;
	ev.version = c->req->version;
	shmw_daemon_report(c->d, &ev, chg);
}

void shmw_rescan(struct shmw_daemon *d, const struct shmw_event *ev)
{
	/* The process named for the mm first (for fork: the child), then the one that acted. */
	const uint32_t pids[2] = {ev->pid, ev->actor ? ev->actor : ev->pid};
	struct rescan_ctx c = {.d = d, .req = ev};
	struct shmw_mmst *m = NULL;
	struct shmw_mm_one one = {0};
	bool present;
	int i;

	/* A walk installed after this request was made has seen its change: the state is
	 * synced to it already (a burst of calls costs one walk). */
	HASH_FIND(hh, d->state.mms, &ev->mm, sizeof(ev->mm), m);
	if (m && m->version > ev->version)
		goto out;
	/* The mm asked about is gone (its exit_mmap events follow) and another process's
	 * address space got its address: nothing to walk. */
	if (shmw_mm_read(&d->bpf, ev->mm, &one) == 0 && one.rec.born > ev->version)
		goto out;
	d->rescans++;
	for (i = 0; i < RESCAN_TRIES && stale(&d->bpf, ev->mm, &one, &present); i++) {
		int ret = shmw_bpf_walk(&d->bpf, (pid_t)pids[i % 2]);

		/* ENOENT/ESRCH: that process is gone; the other may still use the mm. */
		if (ret && ret != -ENOENT && ret != -ESRCH)
			log_warn("rescan of pid %u: %s", pids[i % 2], strerror(-ret));
	}
	if (i == RESCAN_TRIES && stale(&d->bpf, ev->mm, &one, &present)) {
		log_info("pid %u (%.16s): kept changing while walked; walking it again later",
			 ev->pid, ev->comm);
		shmw_daemon_queue_walk(d, one.rec.tgid ? one.rec.tgid : ev->pid);
	}
	if (present && one.rec.born > ev->version)
		goto out; /* the same, while we walked */
	shmw_state_sync_mm(&d->state, ev->mm, present ? &one.rec : NULL, ev->cause, ev->ts,
			   on_change, &c);
out:
	shmw_mm_one_free(&one);
}
