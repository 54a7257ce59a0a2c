// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Mounting tracefs and bpffs when missing (see mounts.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "mounts.h"

#define TRACEFS_MAGIC_	0x74726163
#define BPF_FS_MAGIC_	0xcafe4a11
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

static const char *tracefs_path = "/sys/kernel/tracing";

const char *shmw_tracefs(void)
{
	return tracefs_path;
}

static int is_fs(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

static int ensure(const char *path, const char *type, long magic, char *err, size_t errlen)
{
	if (is_fs(path, magic))
		return 0;
	if (mount(type, path, type, 0, NULL) && errno != EBUSY) {
		int e = errno;

		snprintf(err, errlen, "cannot mount %s at %s: %s", type, path, strerror(e));
		return -e;
	}
	return 0;
}

int shmw_ensure_mounts(char *err, size_t errlen)
{
	int ret;

	/* Syscall tracepoints are attached by id, read from tracefs. */
	if (!is_fs(tracefs_path, TRACEFS_MAGIC_) && is_fs(DEBUGFS_TRACING, TRACEFS_MAGIC_))
		tracefs_path = DEBUGFS_TRACING;
	else {
		ret = ensure(tracefs_path, "tracefs", TRACEFS_MAGIC_, err, errlen);
		if (ret)
			return ret;
	}
	/* Not needed to run, but bpftool and admins expect it; failure is not fatal. */
	(void)ensure("/sys/fs/bpf", "bpf", BPF_FS_MAGIC_, err, errlen);
	err[0] = 0;
	return 0;
}
