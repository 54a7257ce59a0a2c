// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One segment as the kernel describes it (see kseg.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "kseg.h"

int shmw_kseg_parse(const char *line, struct shmw_kseg *k)
{
	long long key;
	unsigned perms;
	int n;

	memset(k, 0, sizeof(*k));
	/* key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap */
	n = sscanf(line,
		   "%lld %" SCNd32 " %o %" SCNu64 " %" SCNd32 " %" SCNd32 " %" SCNd64 " %" SCNu32
		   " %" SCNu32 " %" SCNu32 " %" SCNu32 " %" SCNd64 " %" SCNd64 " %" SCNd64
		   " %" SCNu64 " %" SCNu64,
		   &key, &k->shmid, &perms, &k->size, &k->cpid, &k->lpid, &k->nattch, &k->uid,
		   &k->gid, &k->cuid, &k->cgid, &k->atime, &k->dtime, &k->ctime, &k->rss, &k->swap);
	if (n < 14 || k->shmid < 0)
		return -EINVAL;
	k->key = (uint32_t)key; /* printed as a signed int */
	k->perms = perms;
	return 0;
}

const char *shmw_kseg_status(uint32_t perms)
{
	/* As ipcs -m and lsipc -m name them; "active" when neither. */
	switch (perms & (SHMW_SHM_DEST | SHMW_SHM_LOCKED)) {
	case SHMW_SHM_DEST | SHMW_SHM_LOCKED:
		return "dest,locked";
	case SHMW_SHM_DEST:
		return "dest";
	case SHMW_SHM_LOCKED:
		return "locked";
	default:
		return "active";
	}
}
