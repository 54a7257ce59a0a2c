// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* uid -> user name. getpwuid_r can be slow (NSS: LDAP, sssd, systemd-userdb) and the daemon
 * asks for the same few uids over and over, so answers are cached.
 *
 * The cache is direct-mapped (slot = uid % CACHE_SLOTS): a colliding uid evicts the old one,
 * which costs one more lookup later and nothing else. The header promises that a returned
 * string lives until shmw_user_cache_clear(), so eviction cannot free names; they are instead
 * interned in a pool that only the clear empties. The pool holds one copy per distinct name,
 * so uids fighting over a slot do not make it grow: it is bounded by the number of distinct
 * users seen. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonproto.h" /* SHMW_CONTAINER_MAX */
#include "procinfo.h"

#define CACHE_SLOTS  256
#define POOL_BUCKETS 256
#define PWBUF_MAX    (1 << 20) /* give up growing the getpwuid_r buffer past this */

struct slot {
	bool used;
	uint32_t uid;
	const char *name; /* in the pool */
};

struct pooled {
	struct pooled *next;
	char name[];
};

/* The daemon may look names up from more than one thread; lookups are rare enough after the
 * first that one lock is no contention. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot cache[CACHE_SLOTS];
static struct pooled *pool[POOL_BUCKETS];

/* Only when the pool cannot allocate (ENOMEM): callers still get the decimal uid rather than
 * NULL, but the next such failure overwrites it, so it does not live as long as promised. */
static char fallback[16];

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The pooled copy of name, adding it if new; NULL on ENOMEM. */
static const char *intern(const char *name)
{
	struct pooled **head = &pool[hash(name) % POOL_BUCKETS];
	size_t n = strlen(name);
	struct pooled *p;

	for (p = *head; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p->name;
	p = malloc(sizeof(*p) + n + 1);
	if (!p)
		return NULL;
	memcpy(p->name, name, n + 1);
	p->next = *head;
	*head = p;
	return p->name;
}

#ifdef SHMW_STATIC
/* The static build (make static: the qemu guests and the container image) reads /etc/passwd
 * and /etc/group itself: glibc's NSS in a static binary loads the shared NSS modules of the
 * glibc it was linked with, which an image has not (and the linker warns). Files only: users
 * and groups of LDAP, sssd or systemd-userdb show as numbers there (docs/fleet.md, "The
 * image"). */
#ifndef PW_FILE /* tests/unit/test_procinfo_files.c points them elsewhere */
#define PW_FILE "/etc/passwd"
#define GR_FILE "/etc/group"
#endif

/* Reads path's entries (passwd, or group when group) until one has id, or name when name
 * is set: 1 found (its name in out, its id in *idout), 0 not (or no file), -errno when the
 * file cannot be read or an entry is longer than PWBUF_MAX. */
static int scan_file(const char *path, uint32_t id, const char *name, char *out, size_t outlen,
		     uint32_t *idout, bool group)
{
	size_t len = 1024;
	char *buf = malloc(len);
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f || !buf) {
		r = f ? -ENOMEM : (errno == ENOENT ? 0 : -errno);
		goto out;
	}
	for (;;) {
		struct passwd pw, *pres = NULL;
		struct group gr, *gres = NULL;
		int e = group ? fgetgrent_r(f, &gr, buf, len, &gres)
			      : fgetpwent_r(f, &pw, buf, len, &pres);

		if (e == ERANGE && len < PWBUF_MAX) {
			char *nb = realloc(buf, len * 2);

			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			len *= 2;
			continue; /* the same entry again: glibc rewinds to its start */
		}
		if (e == ENOENT)
			break; /* end of file */
		if (e) {
			r = -e;
			break;
		}
		if (group ? (name ? !strcmp(gr.gr_name, name) : gr.gr_gid == id)
			  : (name ? !strcmp(pw.pw_name, name) : pw.pw_uid == id)) {
			if (out)
				snprintf(out, outlen, "%s", group ? gr.gr_name : pw.pw_name);
			if (idout)
				*idout = group ? gr.gr_gid : pw.pw_uid;
			r = 1;
			break;
		}
	}
out:
	if (f)
		fclose(f);
	free(buf);
	return r;
}

static int lookup(uint32_t uid, char *out, size_t outlen)
{
	return scan_file(PW_FILE, uid, NULL, out, outlen, NULL, false);
}

int shmw_group_gid(const char *name, uint32_t *gid)
{
	return scan_file(GR_FILE, 0, name, NULL, 0, gid, true);
}
#else
int shmw_group_gid(const char *name, uint32_t *gid)
{
	struct group *g;

	errno = 0;
	g = getgrnam(name);
	if (!g)
		return errno && errno != ENOENT && errno != ESRCH ? -errno : 0;
	*gid = g->gr_gid;
	return 1;
}

/* Looks uid up in the passwd database. Returns 1 with the name in out, 0 when there is no
 * entry, -errno when the lookup itself failed (NSS down, out of memory). */
static int lookup(uint32_t uid, char *out, size_t outlen)
{
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = hint > 0 ? (size_t)hint : 1024;
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	int r;

	for (;;) {
		char *nb = realloc(buf, len);

		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		r = getpwuid_r((uid_t)uid, &pw, buf, len, &res);
		if (r != ERANGE || len >= PWBUF_MAX)
			break;
		len *= 2;
	}
	if (r == 0 && res) {
		snprintf(out, outlen, "%s", res->pw_name);
		r = 1;
	} else if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM) {
		/* getpwuid_r(3): these mean "not found" on various NSS modules. */
		r = 0;
	} else {
		r = -r;
	}
	free(buf);
	return r;
}
#endif

const char *shmw_user_name(uint32_t uid)
{
	struct slot *s = &cache[uid % CACHE_SLOTS];
	char name[256];
	const char *ret;
	int r;

	pthread_mutex_lock(&lock);
	if (s->used && s->uid == uid) {
		ret = s->name;
		goto out;
	}
	/* Looked up under the lock: slower for a concurrent caller, but simple and the same
	 * uid is not looked up twice at once. */
	r = lookup(uid, name, sizeof(name));
	if (r <= 0 || !name[0])
		snprintf(name, sizeof(name), "%u", uid);
	ret = intern(name);
	if (!ret) {
		snprintf(fallback, sizeof(fallback), "%u", uid);
		ret = fallback;
		goto out;
	}
	/* A failed lookup (r < 0) is not cached: the decimal uid is right for now, but the
	 * name should appear once NSS is back. */
	if (r >= 0) {
		s->used = true;
		s->uid = uid;
		s->name = ret;
	}
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

void shmw_user_cache_clear(void)
{
	pthread_mutex_lock(&lock);
	memset(cache, 0, sizeof(cache));
	for (size_t i = 0; i < POOL_BUCKETS; i++) {
		struct pooled *p = pool[i];

		while (p) {
			struct pooled *next = p->next;

			free(p);
			p = next;
		}
		pool[i] = NULL;
	}
	pthread_mutex_unlock(&lock);
}

int shmw_proc_exe(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

int shmw_proc_comm(uint32_t pid, char *buf, size_t len)
{
	char path[64], line[64];
	ssize_t n;

	memset(buf, 0, len);
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	n = read_small(path, line, sizeof(line));
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	memcpy(buf, line, strnlen(line, len - 1));
	return 0;
}

int shmw_proc_cmdline(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = read_small(path, buf, len);
	if (n < 0)
		return (int)n;
	while (n > 0 && buf[n - 1] == 0)
		n--;
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
		else if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return 0;
}

int shmw_proc_cgroup(uint32_t pid, char *buf, size_t len)
{
	char path[64], tmp[4096];
	char *line, *save;
	ssize_t n;

	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	n = read_small(path, tmp, sizeof(tmp));
	if (n < 0)
		return (int)n;
	tmp[n] = 0;
	for (line = strtok_r(tmp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* cgroup v2 is the "0::" line; with v1 only, keep the first. */
		if (!strncmp(line, "0::", 3) || !buf[0])
			snprintf(buf, len, "%s", !strncmp(line, "0::", 3) ? line + 3 : line);
		if (!strncmp(line, "0::", 3))
			break;
	}
	return 0;
}

static bool is_id(const char *p)
{
	for (int i = 0; i < SHMW_CONTAINER_MAX; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

int shmw_container_id(const char *cgroup, char *id, size_t len)
{
	/* The id is the last 64-hex run that is a whole path component, or a component's
	 * "<prefix>-<id>.scope"/"<prefix>-<id>" form. */
	const char *best = NULL;

	if (len)
		id[0] = 0;
	for (const char *p = cgroup; *p; p++) {
		bool starts = p == cgroup || p[-1] == '/' || p[-1] == '-' || p[-1] == ':';
		const char *e = p + SHMW_CONTAINER_MAX;

		if (!starts || strnlen(p, SHMW_CONTAINER_MAX) < SHMW_CONTAINER_MAX || !is_id(p))
			continue;
		if (*e && *e != '/' && strncmp(e, ".scope", 6) != 0)
			continue;
		best = p;
	}
	if (!best || len < SHMW_CONTAINER_MAX + 1)
		return 0;
	memcpy(id, best, SHMW_CONTAINER_MAX);
	id[SHMW_CONTAINER_MAX] = 0;
	return 1;
}

uint32_t shmw_proc_nspid(uint32_t pid)
{
	char path[64], line[256];
	uint32_t nspid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (p = line + 6;; p = end) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p)
				break;
			nspid = (uint32_t)v;
		}
		break;
	}
	fclose(f);
	return nspid;
}

/* Interned cgroup paths with their container id, counted by the procx using them. */
struct cgroup_ent {
	struct cgroup_ent *next;
	uint32_t refs;
	uint32_t hash;
	char container[SHMW_CONTAINER_MAX + 1];
	char path[];
};

#define CG_BUCKETS 1024
static struct cgroup_ent *cgroups[CG_BUCKETS];

static const char *cgroup_get(const char *path, const char **container)
{
	uint32_t h = hash(path);
	struct cgroup_ent **head = &cgroups[h % CG_BUCKETS], *e;
	size_t n = strlen(path);

	for (e = *head; e; e = e->next) {
		if (e->hash == h && strcmp(e->path, path) == 0) {
			e->refs++;
			*container = e->container;
			return e->path;
		}
	}
	e = malloc(sizeof(*e) + n + 1);
	if (!e) {
		*container = "";
		return "";
	}
	e->refs = 1;
	e->hash = h;
	memcpy(e->path, path, n + 1);
	shmw_container_id(path, e->container, sizeof(e->container));
	e->next = *head;
	*head = e;
	*container = e->container;
	return e->path;
}

static void cgroup_put(const char *path)
{
	struct cgroup_ent *e, **pp;

	if (!path || !path[0])
		return; /* "" is never interned */
	e = (struct cgroup_ent *)(path - offsetof(struct cgroup_ent, path));
	if (--e->refs)
		return;
	for (pp = &cgroups[e->hash % CG_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	free(e);
}

const struct shmw_procx *shmw_procx_get(uint32_t pid, struct shmw_procx *x)
{
	char cg[256];

	if (x->cgroup)
		return x;
	shmw_proc_cgroup(pid, cg, sizeof(cg));
	x->cgroup = cgroup_get(cg, &x->container);
	x->nspid = shmw_proc_nspid(pid);
	return x;
}

void shmw_procx_release(struct shmw_procx *x)
{
	cgroup_put(x->cgroup);
	memset(x, 0, sizeof(*x));
}
