/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One segment as the kernel describes it (a line of /proc/sysvipc/shm, or shmctl IPC_STAT):
 * what lifecycle and reports compare the tracer's view with. Reading the tables, in every IPC
 * namespace, is the kernel layer's (kern/segtable.h).
 */
#ifndef SHMW_KSEG_H
#define SHMW_KSEG_H
#include <stdint.h>

#define SHMW_SHM_DEST	01000 /* perms bit: marked for destruction */
#define SHMW_SHM_LOCKED 02000 /* perms bit: SHM_LOCK, pages pinned */

struct shmw_kseg {
	uint32_t ns;
	int32_t shmid;
	uint32_t key; /* 0 once marked for destruction */
	uint32_t perms;
	uint64_t size;
	int32_t cpid, lpid;
	int64_t nattch;
	uint32_t uid, gid, cuid, cgid;
	int64_t atime, dtime, ctime;
	uint64_t rss, swap;
};

/* Parses one data line of /proc/sysvipc/shm. Returns 0 or -EINVAL. */
int shmw_kseg_parse(const char *line, struct shmw_kseg *out);
/* A segment's status from its mode bits: "active", "dest", "locked" or "dest,locked". */
const char *shmw_kseg_status(uint32_t perms);
#endif
