/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Walks of one address space that the BPF side asks for (SHMW_EV_RESCAN) when it cannot count
 * a change itself: kernels without the open-coded VMA iterator (before 6.7) for munmap,
 * mremap, mmap(MAP_FIXED), mprotect and the other splitters, shmdt and fork.
 */
#ifndef SHMW_RESCAN_H
#define SHMW_RESCAN_H
#include "daemon.h"

/* Walks the mm of ev at once (again while the walk raced with a change), then makes the
 * state's entry for it equal to the BPF record, publishing each difference with ev's cause. */
void shmw_rescan(struct shmw_daemon *d, const struct shmw_event *ev);
#endif
