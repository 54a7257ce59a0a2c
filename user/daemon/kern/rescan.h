/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Walks of one address space that the BPF side asks for (SHMW_EV_RESCAN) when it cannot count
 * a change itself: kernels without the open-coded VMA iterator (before 6.7) for munmap,
 * mremap, mmap(MAP_FIXED), mprotect and the other splitters, shmdt and fork. The walk only
 * finds: the daemon applies what it found to its state and reports the changes.
 */
#ifndef SHMW_RESCAN_H
#define SHMW_RESCAN_H
#include <stdbool.h>
#include <stdint.h>
#include "loader.h"
#include "seed.h"

/* What a walk of one mm found. */
struct shmw_rescan {
	bool walked; /* the mm was walked (the daemon counts these: status "rescans") */
	/* rec is what the mm holds now (NULL: its record is gone); false: nothing to apply (the
	 * mm asked about is gone and another address space got its address, or it changed
	 * again while walked: the later walk's events follow). */
	bool apply;
	const struct shmw_snap_mm *rec;
	uint32_t again; /* it kept changing while walked: the pid to walk again later; 0: none */
	struct shmw_mm_one one; /* rec's storage */
};

/* Walks the mm of ev at once (again while the walk raced with a change) and reads its
 * record into *out. Free with shmw_rescan_free. */
void shmw_rescan(struct shmw_bpf *b, const struct shmw_event *ev, struct shmw_rescan *out);
void shmw_rescan_free(struct shmw_rescan *r);
#endif
