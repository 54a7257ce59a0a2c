// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Walks of one address space on the BPF side's request (see rescan.h). */
#include <errno.h>
#include <string.h>
#include "log.h"
#include "rescan.h"

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

void shmw_rescan(struct shmw_bpf *b, const struct shmw_event *ev, struct shmw_rescan *out)
{
	/* The process named for the mm first (for fork: the child), then the one that acted. */
	const uint32_t pids[2] = {ev->pid, ev->actor ? ev->actor : ev->pid};
	struct shmw_mm_one *one = &out->one;
	bool present;
	int i;

	memset(out, 0, sizeof(*out));
	/* The mm asked about is gone (its exit_mmap events follow) and another process's
	 * address space got its address: nothing to walk. */
	if (shmw_mm_read(b, ev->mm, one) == 0 && one->rec.born > ev->version)
		return;
	out->walked = true;
	for (i = 0; i < RESCAN_TRIES && stale(b, ev->mm, one, &present); i++) {
		int ret = shmw_bpf_walk(b, (pid_t)pids[i % 2]);

		/* ENOENT/ESRCH: that process is gone; the other may still use the mm. */
		if (ret && ret != -ENOENT && ret != -ESRCH)
			log_warn("rescan of pid %u: %s", pids[i % 2], strerror(-ret));
	}
	if (i == RESCAN_TRIES && stale(b, ev->mm, one, &present))
		out->again = one->rec.tgid ? one->rec.tgid : ev->pid;
	if (present && one->rec.born > ev->version)
		return; /* the same, while we walked */
	out->apply = true;
	out->rec = present ? &one->rec : NULL;
}

void shmw_rescan_free(struct shmw_rescan *r)
{
	shmw_mm_one_free(&r->one);
	memset(r, 0, sizeof(*r));
}
