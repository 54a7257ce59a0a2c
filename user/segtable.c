// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's segment table per IPC namespace (see segtable.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>
#include "segtable.h"

#define MAX_NS 64

static struct {
	uint32_t ns;
	uint32_t pid;
} known[MAX_NS];
static size_t nknown;

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

static uint32_t ns_of_path(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

uint32_t shmw_ns_self(void)
{
	static uint32_t self;

	if (!self)
		self = ns_of_path("/proc/self/ns/ipc");
	return self;
}

void shmw_ns_note(uint32_t ns, uint32_t pid)
{
	size_t i;

	if (!ns || ns == shmw_ns_self())
		return;
	for (i = 0; i < nknown; i++) {
		if (known[i].ns == ns) {
			known[i].pid = pid;
			return;
		}
	}
	if (nknown < MAX_NS) {
		known[nknown].ns = ns;
		known[nknown].pid = pid;
		nknown++;
	}
}

static void ns_forget(size_t i)
{
	known[i] = known[--nknown];
}

size_t shmw_ns_known(uint32_t *out, size_t max)
{
	size_t n = 0;

	if (max)
		out[n++] = shmw_ns_self();
	for (size_t i = 0; i < nknown && n < max; i++)
		out[n++] = known[i].ns;
	return n;
}

/* Opens an fd for namespace ns through a pid we saw in it, checking it is still there. */
static int ns_open(uint32_t ns)
{
	char path[64];
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < nknown; i++) {
		if (known[i].ns != ns)
			continue;
		snprintf(path, sizeof(path), "/proc/%u/ns/ipc", known[i].pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && (uint32_t)st.st_ino == ns)
			return fd;
		if (fd >= 0)
			close(fd);
		ns_forget(i); /* that process is gone or moved */
		return -ENOENT;
	}
	return -ENOENT;
}

/* Runs fn in namespace ns. setns(CLONE_NEWIPC) is allowed in a single-threaded process;
 * an fd opened inside keeps showing that namespace after we return (KERNEL-FACTS 5). */
static int in_ns(uint32_t ns, int (*fn)(void *), void *arg)
{
	int self_fd, ns_fd, ret, back;

	if (ns == shmw_ns_self())
		return fn(arg);
	ns_fd = ns_open(ns);
	if (ns_fd < 0)
		return ns_fd;
	self_fd = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		ret = -errno;
		close(ns_fd);
		return ret;
	}
	if (setns(ns_fd, CLONE_NEWIPC)) {
		ret = -errno;
		goto out;
	}
	ret = fn(arg);
	back = setns(self_fd, CLONE_NEWIPC);
	if (back) {
		/* Staying in another namespace would make every later answer wrong. */
		perror("shmwatchd: cannot return to our IPC namespace");
		abort();
	}
out:
	close(self_fd);
	close(ns_fd);
	return ret;
}

struct read_args {
	uint32_t ns;
	struct shmw_kseg *v;
	size_t n, cap;
	int32_t only; /* -1: all */
};

static int read_table(void *p)
{
	struct read_args *a = p;
	char line[512];
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	bool header = true;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct shmw_kseg k;

		if (header) {
			header = false;
			continue;
		}
		if (shmw_kseg_parse(line, &k))
			continue;
		if (a->only >= 0 && k.shmid != a->only)
			continue;
		k.ns = a->ns;
		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 64;
			struct shmw_kseg *nv = realloc(a->v, cap * sizeof(*nv));

			if (!nv) {
				fclose(f);
				return -ENOMEM;
			}
			a->v = nv;
			a->cap = cap;
		}
		a->v[a->n++] = k;
	}
	fclose(f);
	return 0;
}

int shmw_segtable_read(uint32_t ns, struct shmw_kseg **out, size_t *n)
{
	struct read_args a = {.ns = ns, .only = -1};
	int ret = in_ns(ns, read_table, &a);

	if (ret) {
		free(a.v);
		return ret;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

struct stat_args {
	int32_t shmid;
	struct shmw_kseg *k;
};

static int stat_one(void *p)
{
	struct stat_args *a = p;
	struct shmid_ds ds;

	/* IPC_STAT answers for segments marked for destruction too, until the last detach. */
	if (shmctl(a->shmid, IPC_STAT, &ds) < 0)
		return errno == EINVAL || errno == EIDRM ? -ENOENT : -errno;
	a->k->shmid = a->shmid;
	a->k->key = (uint32_t)ds.shm_perm.__key;
	a->k->perms = ds.shm_perm.mode & 07777;
	a->k->size = ds.shm_segsz;
	a->k->cpid = ds.shm_cpid;
	a->k->lpid = ds.shm_lpid;
	a->k->nattch = (int64_t)ds.shm_nattch;
	a->k->uid = ds.shm_perm.uid;
	a->k->gid = ds.shm_perm.gid;
	a->k->cuid = ds.shm_perm.cuid;
	a->k->cgid = ds.shm_perm.cgid;
	a->k->atime = ds.shm_atime;
	a->k->dtime = ds.shm_dtime;
	a->k->ctime = ds.shm_ctime;
	return 0;
}

int shmw_segtable_find(uint32_t ns, int32_t shmid, struct shmw_kseg *out)
{
	struct stat_args a = {.shmid = shmid, .k = out};

	memset(out, 0, sizeof(*out));
	out->ns = ns;
	return in_ns(ns, stat_one, &a);
}
