// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's segment table per IPC namespace (see segtable.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>
#include "segtable.h"

/*
 * The IPC namespaces we know, each with a process last seen in it: our way in (setns through
 * /proc/PID/ns/ipc). No bound but memory: a node runs a namespace per pod. We keep a pid, never
 * an fd, so we never keep a namespace (and its segments) alive. When that process has gone
 * the finder (the daemon's: a BPF walk of the tasks, not a scan of /proc) names another.
 */
struct ns_entry {
	uint32_t ns;
	uint32_t pid;
	UT_hash_handle hh;
};

static struct ns_entry *known;
static uint32_t (*finder)(void *ctx, uint32_t ns);
static void *finder_ctx;

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
	struct ns_entry *e = NULL;

	if (!ns || !pid || ns == shmw_ns_self())
		return;
	HASH_FIND(hh, known, &ns, sizeof(ns), e);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return; /* the finder finds a way in when it is needed */
		e->ns = ns;
		HASH_ADD(hh, known, ns, sizeof(e->ns), e);
	}
	e->pid = pid;
}

void shmw_ns_set_finder(uint32_t (*find)(void *ctx, uint32_t ns), void *ctx)
{
	finder = find;
	finder_ctx = ctx;
}

size_t shmw_ns_list(uint32_t **out)
{
	size_t n = 1 + HASH_COUNT(known), i = 0;
	struct ns_entry *e, *tmp;

	*out = malloc(n * sizeof(**out));
	if (!*out)
		return 0;
	(*out)[i++] = shmw_ns_self();
	HASH_ITER(hh, known, e, tmp)
	{
		(*out)[i++] = e->ns;
	}
	return i;
}

void shmw_ns_forget(uint32_t ns)
{
	struct ns_entry *e = NULL;

	HASH_FIND(hh, known, &ns, sizeof(ns), e);
	if (e) {
		HASH_DELETE(hh, known, e);
		free(e);
	}
}

void shmw_ns_clear(void)
{
	struct ns_entry *e, *tmp;

	HASH_ITER(hh, known, e, tmp)
	{
		HASH_DELETE(hh, known, e);
		free(e);
	}
}

/* An fd of namespace ns through pid, if pid is still in it. */
static int ns_open_pid(uint32_t ns, uint32_t pid)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/ns/ipc", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && (uint32_t)st.st_ino == ns)
		return fd;
	if (fd >= 0)
		close(fd);
	return -ENOENT;
}

/* Opens an fd for namespace ns through a process in it: the one we saw last, else one the
 * finder names. -ENOENT: no process is in it (it may live on through attachments of
 * processes elsewhere: the caller decides whether it is gone). */
static int ns_open(uint32_t ns)
{
	struct ns_entry *e = NULL;
	uint32_t pid;
	int fd;

	HASH_FIND(hh, known, &ns, sizeof(ns), e);
	if (e) {
		fd = ns_open_pid(ns, e->pid);
		if (fd >= 0)
			return fd;
	}
	pid = finder ? finder(finder_ctx, ns) : 0;
	if (!pid)
		return -ENOENT;
	shmw_ns_note(ns, pid);
	return ns_open_pid(ns, pid);
}

/* Runs fn in namespace ns. setns(CLONE_NEWIPC) is allowed in a single-threaded process;
 * an fd opened inside keeps showing that namespace after we return (docs/design.md, "IPC
 * namespaces"). */
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

size_t shmw_ns_count(void)
{
	return HASH_COUNT(known);
}
