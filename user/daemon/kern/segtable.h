/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's own table of segments (/proc/sysvipc/shm, shmctl IPC_STAT) per IPC namespace:
 * status, nattch and segments nobody holds. Not a scan of processes: O(segments).
 * Other namespaces are entered with setns through a process known to live there; we keep a
 * pid, never an fd, so we never keep a namespace (and its segments) alive.
 */
#ifndef SHMW_SEGTABLE_H
#define SHMW_SEGTABLE_H
#include <stddef.h>
#include <stdint.h>
#include "kseg.h"

/* Our own IPC namespace's inode number. */
uint32_t shmw_ns_self(void);
/* Remembers that pid is in namespace ns (from an event: the acting process's namespace). */
void shmw_ns_note(uint32_t ns, uint32_t pid);
/* Who names a process in ns when the one we know has gone (0: none is). */
void shmw_ns_set_finder(uint32_t (*find)(void *ctx, uint32_t ns), void *ctx);
/* The namespaces we know, ours first, in a malloc'd array; returns the count. */
size_t shmw_ns_list(uint32_t **out);
/* Forgets a namespace the kernel has freed. */
void shmw_ns_forget(uint32_t ns);
/* How many namespaces are known besides ours. */
size_t shmw_ns_count(void);
void shmw_ns_clear(void);

/* All segments of a namespace; *out is malloc'd. Returns 0, -ENOENT if we know no way into
 * that namespace any more, or -errno. */
int shmw_segtable_read(uint32_t ns, struct shmw_kseg **out, size_t *n);
/* One segment. Returns 0, -ENOENT (no such segment or namespace), or -errno. */
int shmw_segtable_find(uint32_t ns, int32_t shmid, struct shmw_kseg *out);
#endif
