/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-oracle: what the kernel says about SysV shared memory, for the end-to-end tests.
 *
 *   shmw-oracle holders SHMID [--ns INUM] [--vmas]
 *	pids (sorted) whose address space maps the segment; with --vmas "PID NVMAS GROUP" where
 *	GROUP is the smallest pid sharing that address space (kcmp KCMP_VM).
 *   shmw-oracle seg SHMID [--ns INUM]
 *	"KEY NATTCH PERMS SIZE" from /proc/sysvipc/shm of that namespace: KEY unsigned decimal,
 *	PERMS the kernel's mode in octal (%04o: 1640 = 0640 + SHM_DEST). Exit 1 if absent.
 *   shmw-oracle ps PID
 *	"NS SHMID NVMAS" for every segment PID maps. Exit 1 if PID does not exist (a zombie
 *	exists and holds nothing).
 *   shmw-oracle all
 *	"NS SHMID KEY NATTCH PERMS SIZE HOLDERS" for every segment of every visible namespace.
 *   shmw-oracle dump [--ns INUM]... [--seg NS:SHMID]...
 *	the segments of these namespaces and these segments, in one pass over /proc: "ns INUM"
 *	for every namespace some process is in, "seg NS SHMID KEY NATTCH PERMS SIZE CPID" for
 *	each segment, "map NS SHMID PID VMAS GROUP" for each process that maps one (GROUP as in
 *	holders --vmas).
 *   shmw-oracle rmid SHMID [--key KEY]
 *	IPC_RMID in our own namespace; with --key only if the segment still has that key (ids are
 *	recycled). Exit 0 if removed or absent.
 *   shmw-oracle file PATH
 *	"MODE INODE SIZE" of a file (lstat: MODE its permission bits, %04o). Exit 1 if absent.
 *   shmw-oracle alive PID
 *	exit 0 if PID exists and is not a zombie, 1 otherwise.
 *   shmw-oracle fds
 *	the file descriptors open in this process (as exec'd: what its parent left it), in
 *	ascending order on one line ("0 1 2"). For --alert-exec hooks: `exec shmw-oracle fds`.
 *   shmw-oracle col SHMID COLUMN [--ns INUM]
 *	one column (by its name in the header: cpid, ctime, ...) of SHMID's row of
 *	/proc/sysvipc/shm in that namespace. Exit 1 if absent.
 *   shmw-oracle ksecs
 *	the kernel's coarse realtime seconds, the clock of shm_ctime (a tick behind `date`).
 *
 * Namespaces default to our own. Exit 4 when a mapping cannot be attributed (see below), 3 on
 * usage errors, 2 on system errors.
 *
 * Method. A SysV mapping in /proc/PID/maps has the shmid as its inode and /SYSV%08x (the key the
 * segment was created with) as its name. Every segment of every namespace lives on the same
 * internal shmem mount, so the device column is the same for all of them and maps alone cannot
 * say which namespace a mapping belongs to, and a process keeps attachments from the namespace
 * it left. So each mapping is attributed by its identity: candidate segments are those, in every
 * IPC namespace some process in /proc is in (the tables are read with setns into that
 * namespace), with the same id, the same size (stat of /proc/PID/map_files/START-END gives the
 * segment file's size), and the same key as the name (a segment whose key now reads 0 - marked
 * for destruction or IPC_PRIVATE - accepts any name). One candidate: attributed. None: it
 * belongs to a namespace no process is in any more; ignored. Several (a container's shmid 0
 * and ours, both IPC_PRIVATE and of one size): the file the mapping is (name_to_handle_at of
 * map_files: shmem encodes the inode's random generation with its number, the shmid) is looked
 * for in every process's maps, and the candidate whose namespace one of the processes mapping
 * that same file is in, if only one is, is the segment (holders do not all leave the namespace
 * of what they hold; a foreign segment's holders are in its own); none, while one of them lives
 * in a namespace made after the oracle read the tables: that namespace's segment. Still several:
 * the oracle says it cannot tell (exit 4). So what this proves is "the address space maps a
 * segment with this id, size and key, held from that namespace", which identifies it unless two
 * namespaces have segments equal in all three and processes in both map that file.
 *
 * A process whose main thread has exited has an empty /proc/PID/maps; another thread's
 * (/proc/TID/maps and map_files) are read instead. It has no /proc/PID/ns either: its namespace is
 * found, and entered, through one of its threads.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_HANDLE 64

#ifndef KCMP_VM
#define KCMP_VM 1
#endif

struct seg {
	unsigned long ns;
	int id;
	uint32_t key;
	unsigned long nattch;
	unsigned perms;
	unsigned long long size;
	int cpid;
	int holders; /* processes mapping it */
	int wanted;  /* dump: asked for */
};

struct nsinfo {
	unsigned long inum;
	char path[64]; /* /proc/PID/ns/ipc of a process in it, or /proc/PID/task/TID/ns/ipc */
	int pid;       /* that process */
	int read;      /* its table was read */
};

struct mapping {
	int pid;
	int seg; /* index in segs */
};

static struct seg *segs;
static size_t nsegs, capsegs;
static struct nsinfo *nss;
static size_t nnss, capnss;
static unsigned long self_ns;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "shmw-oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static void fail_sys(const char *what)
{
	fprintf(stderr, "shmw-oracle: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long parse_long(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "shmw-oracle: bad %s '%s'\n", what, s);
		exit(3);
	}
	return v;
}

static int is_pid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static unsigned long ns_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return (unsigned long)st.st_ino;
}

static void add_namespace(unsigned long ino, const char *path, int pid)
{
	for (size_t i = 0; i < nnss; i++)
		if (nss[i].inum == ino)
			return;
	if (nnss == capnss)
		nss = xrealloc(nss, sizeof(*nss) * (capnss *= 2));
	nss[nnss].inum = ino;
	snprintf(nss[nnss].path, sizeof(nss[nnss].path), "%s", path);
	nss[nnss].pid = pid;
	nss[nnss].read = 0;
	nnss++;
}

/* Every IPC namespace some process is in, with a way in: /proc/PID/ns/ipc, or a thread's when
 * the process's main thread has exited (its ns links are gone then, the process is not). */
static void collect_namespaces(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		fail_sys("opendir /proc");
	self_ns = ns_of("/proc/self/ns/ipc");
	if (!self_ns)
		fail_sys("stat /proc/self/ns/ipc");
	nss = xrealloc(nss, sizeof(*nss) * (capnss = 8));
	add_namespace(self_ns, "/proc/self/ns/ipc", getpid());
	while ((de = readdir(d))) {
		char path[64];
		unsigned long ino;
		DIR *t;
		struct dirent *te;

		if (!is_pid_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/ipc", atoi(de->d_name));
		ino = ns_of(path);
		if (ino) {
			add_namespace(ino, path, atoi(de->d_name));
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%d/task", atoi(de->d_name));
		t = opendir(path);
		while (t && (te = readdir(t))) {
			if (!is_pid_name(te->d_name))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/ns/ipc", atoi(de->d_name),
				 atoi(te->d_name));
			ino = ns_of(path);
			if (ino)
				add_namespace(ino, path, atoi(de->d_name));
		}
		if (t)
			closedir(t);
	}
	closedir(d);
}

/* Opens /proc/sysvipc/shm as seen from namespace ns (the fd keeps showing it after setns back). */
static FILE *open_table(const struct nsinfo *ns)
{
	int target, self;
	struct stat st;
	FILE *f;

	if (ns->inum == self_ns)
		return fopen("/proc/sysvipc/shm", "re");
	target = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return NULL; /* that process is gone: so may be its namespace */
	if (fstat(target, &st) < 0 || (unsigned long)st.st_ino != ns->inum) {
		close(target);
		return NULL;
	}
	self = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		fail_sys("open /proc/self/ns/ipc");
	if (setns(target, CLONE_NEWIPC) < 0)
		fail_sys("setns");
	f = fopen("/proc/sysvipc/shm", "re");
	if (setns(self, CLONE_NEWIPC) < 0)
		fail_sys("setns back");
	close(target);
	close(self);
	return f;
}

static void read_tables(void)
{
	for (size_t n = 0; n < nnss; n++) {
		FILE *f = open_table(&nss[n]);
		char line[512];

		if (!f)
			continue;
		nss[n].read = 1;
		if (!fgets(line, sizeof(line), f)) { /* header */
			fclose(f);
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			long key;
			int id;
			unsigned perms;
			unsigned long long size;
			unsigned long cpid, lpid, nattch;

			if (sscanf(line, "%ld %d %o %llu %lu %lu %lu", &key, &id, &perms, &size,
				   &cpid, &lpid, &nattch) != 7)
				continue;
			if (nsegs == capsegs)
				segs = xrealloc(segs, sizeof(*segs) *
							  (capsegs = capsegs ? capsegs * 2 : 32));
			segs[nsegs++] = (struct seg){.ns = nss[n].inum,
						     .id = id,
						     .key = (uint32_t)key,
						     .nattch = nattch,
						     .perms = perms,
						     .size = size,
						     .cpid = (int)cpid};
		}
		fclose(f);
	}
}

static unsigned long want_ns(int argc, char **argv, int *i)
{
	if (*i + 1 < argc && strcmp(argv[*i], "--ns") == 0) {
		unsigned long v = (unsigned long)parse_long(argv[*i + 1], 1, LONG_MAX, "ns");

		*i += 2;
		return v;
	}
	return self_ns;
}

static struct seg *find_seg(unsigned long ns, int id)
{
	for (size_t i = 0; i < nsegs; i++)
		if (segs[i].ns == ns && segs[i].id == id)
			return &segs[i];
	return NULL;
}

/* Reads the maps of pid into buf: the main thread's, or another thread's when that is empty. */
static char *read_maps(const char *path)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	{
		char chunk[8192];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			buf = xrealloc(buf, len + n + 1);
			memcpy(buf + len, chunk, n);
			len += n;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* The maps of pid, and in base the /proc directory they came from: /proc/PID, or /proc/TID of
 * another thread when the main thread has exited (its maps are then empty). */
static char *maps_of(int pid, char *base, size_t baselen)
{
	char path[160];
	char *m;
	DIR *d;
	struct dirent *de;

	snprintf(base, baselen, "/proc/%d", pid);
	snprintf(path, sizeof(path), "%s/maps", base);
	m = read_maps(path);
	if (m && *m)
		return m;
	free(m);
	m = NULL;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return NULL;
	while (!m && (de = readdir(d))) {
		if (!is_pid_name(de->d_name))
			continue;
		/* /proc/TID (not listed, but there) has map_files; /proc/PID/task/TID does not. */
		snprintf(base, baselen, "/proc/%d", atoi(de->d_name));
		snprintf(path, sizeof(path), "%s/maps", base);
		m = read_maps(path);
		if (m && !*m) {
			free(m);
			m = NULL;
		}
	}
	closedir(d);
	return m;
}

/* One SysV mapping's file: the segment's inode, as a file handle (shmem encodes the inode's
 * generation, a random number, with its number, which is the shmid and so not unique). */
struct fhandle {
	unsigned int len;
	int type;
	unsigned char b[MAX_HANDLE];
};

static int handle_of(const char *path, struct fhandle *h)
{
	struct {
		struct file_handle fh;
		unsigned char b[MAX_HANDLE];
	} buf;
	int mnt;

	buf.fh.handle_bytes = MAX_HANDLE;
	if (name_to_handle_at(AT_FDCWD, path, &buf.fh, &mnt, AT_SYMLINK_FOLLOW) < 0)
		return -1;
	h->len = buf.fh.handle_bytes;
	h->type = buf.fh.handle_type;
	memcpy(h->b, buf.fh.f_handle, h->len);
	return 0;
}

static int same_handle(const struct fhandle *a, const struct fhandle *b)
{
	return a->len == b->len && a->type == b->type && memcmp(a->b, b->b, a->len) == 0;
}

/* What the scan of every process found for one ambiguous shmid: each distinct segment file
 * mapping that id, and the IPC namespaces of the processes that map it. */
struct idfile {
	struct fhandle h;
	unsigned long *nss;
	size_t nnss;
};

struct idscan {
	int id;
	struct idfile *files;
	size_t nfiles;
};

/* The IPC namespace of pid: /proc/PID/ns/ipc, or a thread's when the main thread has exited. */
static unsigned long ns_of_pid(int pid)
{
	char path[64];
	unsigned long ns;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", pid);
	ns = ns_of(path);
	if (ns)
		return ns;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && !ns && (de = readdir(d))) {
		if (!is_pid_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/ns/ipc", pid, atoi(de->d_name));
		ns = ns_of(path);
	}
	if (d)
		closedir(d);
	return ns;
}

static struct idscan *scans;
static size_t nscans;

static void note_file(struct idscan *sc, const struct fhandle *h, unsigned long ns)
{
	struct idfile *f = NULL;

	for (size_t i = 0; i < sc->nfiles; i++)
		if (same_handle(&sc->files[i].h, h))
			f = &sc->files[i];
	if (!f) {
		sc->files = xrealloc(sc->files, sizeof(*sc->files) * (sc->nfiles + 1));
		f = &sc->files[sc->nfiles++];
		*f = (struct idfile){*h, NULL, 0};
	}
	for (size_t i = 0; i < f->nnss; i++)
		if (f->nss[i] == ns)
			return;
	f->nss = xrealloc(f->nss, sizeof(*f->nss) * (f->nnss + 1));
	f->nss[f->nnss++] = ns;
}

/* Every process's mappings of id: which file each is, and where its process lives. */
static struct idscan *scan_id(int id)
{
	struct idscan *sc;
	DIR *d;
	struct dirent *de;

	for (size_t i = 0; i < nscans; i++)
		if (scans[i].id == id)
			return &scans[i];
	scans = xrealloc(scans, sizeof(*scans) * (nscans + 1));
	sc = &scans[nscans++];
	*sc = (struct idscan){id, NULL, 0};
	d = opendir("/proc");
	if (!d)
		fail_sys("opendir /proc");
	while ((de = readdir(d))) {
		char base[96], path[256], *m, *line, *save = NULL;
		unsigned long ns;

		if (!is_pid_name(de->d_name))
			continue;
		ns = ns_of_pid(atoi(de->d_name));
		m = ns ? maps_of(atoi(de->d_name), base, sizeof(base)) : NULL;
		if (!m)
			continue;
		for (line = strtok_r(m, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char range[64], perms[8], off[32], dev[16], name[PATH_MAX];
			unsigned long inode;
			struct fhandle h;

			name[0] = 0;
			if (sscanf(line, "%63s %7s %31s %15s %lu %4095s", range, perms, off, dev,
				   &inode, name) < 6 ||
			    strncmp(name, "/SYSV", 5) != 0 || (long)inode != id)
				continue;
			snprintf(path, sizeof(path), "%s/map_files/%s", base, range);
			if (handle_of(path, &h) == 0)
				note_file(sc, &h, ns);
		}
		free(m);
	}
	closedir(d);
	return sc;
}

static int table_read(unsigned long ns)
{
	for (size_t i = 0; i < nnss; i++)
		if (nss[i].inum == ns)
			return nss[i].read;
	return 0; /* a namespace made after we looked */
}

/* A mapping that matches several segments (same id, size and key in different namespaces):
 * the segment is the one whose namespace some process mapping the same file lives in, when
 * exactly one candidate's namespace is such. Holders do not usually all leave the namespace of
 * a segment they hold, and a foreign segment's holders are in its own. When none is, and one of
 * those processes lives in a namespace whose table was not read (made since, or its process
 * gone), the file is a segment of that namespace: none of the candidates. Returns the index,
 * -1 (none) or -2 (still ambiguous). */
static int resolve(const char *path, int id, const int *cand, size_t ncand)
{
	struct fhandle h;
	struct idscan *sc;
	int found = -2, unread = 0;

	if (handle_of(path, &h) < 0)
		return -2;
	sc = scan_id(id);
	for (size_t i = 0; i < sc->nfiles; i++) {
		if (!same_handle(&sc->files[i].h, &h))
			continue;
		for (size_t n = 0; n < sc->files[i].nnss; n++)
			unread |= !table_read(sc->files[i].nss[n]);
		for (size_t c = 0; c < ncand; c++)
			for (size_t n = 0; n < sc->files[i].nnss; n++)
				if (segs[cand[c]].ns == sc->files[i].nss[n]) {
					if (found >= 0 && found != cand[c])
						return -2;
					found = cand[c];
				}
	}
	return found == -2 && unread ? -1 : found;
}

/* dump: the shmids asked for, sorted, so that scans skip other mappings without a stat. */
static int *want_ids;
static size_t nwant_ids;

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

static int id_wanted(int id)
{
	return !want_ids || bsearch(&id, want_ids, nwant_ids, sizeof(int), by_int) != NULL;
}

/* The segment a mapping belongs to: index, -1 for none, -2 for several. */
static int attribute(int pid, const char *base, const char *range, int id, uint32_t name_key,
		     int *ambiguous)
{
	char path[256];
	struct stat st;
	int *cand = NULL, found;
	size_t ncand = 0;

	snprintf(path, sizeof(path), "%s/map_files/%s", base, range);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return -1; /* unmapped or exited meanwhile */
		fail_sys(path);
	}
	if ((int)st.st_ino != id) {
		fprintf(stderr, "shmw-oracle: %s: inode %lu, maps said %d\n", path,
			(unsigned long)st.st_ino, id);
		exit(2);
	}
	for (size_t i = 0; i < nsegs; i++) {
		if (segs[i].id != id || segs[i].size != (unsigned long long)st.st_size)
			continue;
		if (segs[i].key != 0 && segs[i].key != name_key)
			continue;
		cand = xrealloc(cand, sizeof(*cand) * (ncand + 1));
		cand[ncand++] = (int)i;
	}
	if (ncand > 1 && want_ids) {
		/* dump: a mapping of none of the segments asked for is not ours to judge. */
		int any = 0;

		for (size_t c = 0; c < ncand; c++)
			any |= segs[cand[c]].wanted;
		if (!any) {
			free(cand);
			return -1;
		}
	}
	found = ncand ? cand[0] : -1;
	if (ncand > 1 && (found = resolve(path, id, cand, ncand)) == -2) {
		fprintf(stderr,
			"shmw-oracle: pid %d (namespace %lu) maps id %d key 0x%08x size %llu, "
			"which matches a segment in namespace %lu, one in %lu (%zu in all), and "
			"no process in just one of them maps that file: cannot attribute\n",
			pid, ns_of_pid(pid), id, name_key, segs[cand[0]].size, segs[cand[0]].ns,
			segs[cand[1]].ns, ncand);
		*ambiguous = 1;
	}
	free(cand);
	return found;
}

/* Counts, for one pid, its VMAs per segment: counts[seg index]; only_id >= 0 looks at that id
 * only, else the ids dump asked for (all without dump). Returns 0, or -1 if the pid has no maps. */
static int scan_pid(int pid, int only_id, int *counts, int *ambiguous, int *tid)
{
	char base[96];
	char *m = maps_of(pid, base, sizeof(base)), *line, *save = NULL;

	if (!m)
		return -1;
	if (tid)
		*tid = atoi(base + strlen("/proc/"));
	for (line = strtok_r(m, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char range[64], perms[8], off[32], dev[16], name[PATH_MAX];
		unsigned long inode;
		unsigned key;
		int s;

		name[0] = 0;
		if (sscanf(line, "%63s %7s %31s %15s %lu %4095s", range, perms, off, dev, &inode,
			   name) < 6)
			continue;
		if (strncmp(name, "/SYSV", 5) != 0 || sscanf(name + 5, "%8x", &key) != 1)
			continue;
		if (only_id >= 0 ? (long)inode != only_id : !id_wanted((int)inode))
			continue;
		s = attribute(pid, base, range, (int)inode, key, ambiguous);
		if (s >= 0)
			counts[s]++;
	}
	free(m);
	return 0;
}

static int kcmp_vm(int a, int b)
{
	return (int)syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0);
}

static int cmd_holders(int id, unsigned long ns, int with_vmas)
{
	struct seg *target = find_seg(ns, id);
	int idx, ambiguous = 0, n = 0;
	int *counts;
	int *pids = NULL, *vmas = NULL, *tids = NULL;
	DIR *d;
	struct dirent *de;

	if (!target)
		return 0; /* no such segment: nobody can hold it */
	counts = calloc(nsegs + 1, sizeof(int));
	idx = (int)(target - segs);
	d = opendir("/proc");
	if (!d || !counts)
		fail_sys("opendir /proc");
	while ((de = readdir(d))) {
		int pid, tid;

		if (!is_pid_name(de->d_name))
			continue;
		pid = atoi(de->d_name);
		memset(counts, 0, sizeof(int) * (nsegs + 1));
		if (scan_pid(pid, id, counts, &ambiguous, &tid) < 0 || counts[idx] == 0)
			continue;
		pids = xrealloc(pids, sizeof(int) * (n + 1));
		vmas = xrealloc(vmas, sizeof(int) * (n + 1));
		tids = xrealloc(tids, sizeof(int) * (n + 1));
		tids[n] = tid;
		pids[n] = pid;
		vmas[n++] = counts[idx];
	}
	closedir(d);
	/* Sort by pid (insertion sort: a handful of holders). */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			int t = pids[j];

			pids[j] = pids[j - 1];
			pids[j - 1] = t;
			t = vmas[j];
			vmas[j] = vmas[j - 1];
			vmas[j - 1] = t;
			t = tids[j];
			tids[j] = tids[j - 1];
			tids[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		int group = pids[i];

		if (!with_vmas) {
			printf("%d\n", pids[i]);
			continue;
		}
		for (int j = 0; j < i; j++) {
			/* The threads whose maps were read: a zombie main thread has no mm. */
			int r = kcmp_vm(tids[j], tids[i]);

			if (r < 0 && errno == ENOSYS)
				fail_sys("kcmp");
			if (r == 0) {
				group = pids[j];
				break;
			}
		}
		printf("%d %d %d\n", pids[i], vmas[i], group);
	}
	free(counts);
	free(pids);
	free(vmas);
	free(tids);
	return ambiguous ? 4 : 0;
}

static int cmd_seg(int id, unsigned long ns)
{
	struct seg *s = find_seg(ns, id);

	if (!s)
		return 1;
	printf("%u %lu %04o %llu\n", s->key, s->nattch, s->perms, s->size);
	return 0;
}

static int cmd_ps(int pid)
{
	int *counts;
	int ambiguous = 0;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (access(path, F_OK) < 0)
		return 1;
	counts = calloc(nsegs + 1, sizeof(int));
	if (!counts)
		fail_sys("calloc");
	/* No maps: a zombie or a process without an address space, which holds nothing. */
	scan_pid(pid, -1, counts, &ambiguous, NULL);
	for (size_t i = 0; i < nsegs; i++)
		if (counts[i])
			printf("%lu %d %d\n", segs[i].ns, segs[i].id, counts[i]);
	free(counts);
	return ambiguous ? 4 : 0;
}

static int cmd_all(void)
{
	int *counts = calloc(nsegs + 1, sizeof(int));
	int ambiguous = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d || !counts)
		fail_sys("opendir /proc");
	while ((de = readdir(d))) {
		if (!is_pid_name(de->d_name))
			continue;
		memset(counts, 0, sizeof(int) * (nsegs + 1));
		if (scan_pid(atoi(de->d_name), -1, counts, &ambiguous, NULL) < 0)
			continue;
		for (size_t i = 0; i < nsegs; i++)
			if (counts[i])
				segs[i].holders++;
	}
	closedir(d);
	for (size_t i = 0; i < nsegs; i++)
		printf("%lu %d %u %lu %04o %llu %d\n", segs[i].ns, segs[i].id, segs[i].key,
		       segs[i].nattch, segs[i].perms, segs[i].size, segs[i].holders);
	free(counts);
	return ambiguous ? 4 : 0;
}

/* col: one column of SHMID's row of /proc/sysvipc/shm in namespace ns (by the header's name). */
static int cmd_col(int id, unsigned long ns, const char *col)
{
	char line[1024], *tok, *save = NULL;
	int want = -1, idcol = -1, n = 0, ret = 1;
	FILE *f = NULL;

	for (size_t i = 0; i < nnss && !f; i++)
		if (nss[i].inum == ns)
			f = open_table(&nss[i]);
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return 1;
	}
	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), n++) {
		if (strcmp(tok, col) == 0)
			want = n;
		if (strcmp(tok, "shmid") == 0)
			idcol = n;
	}
	if (want < 0 || idcol < 0) {
		fprintf(stderr, "shmw-oracle: no column '%s' in /proc/sysvipc/shm\n", col);
		fclose(f);
		exit(3);
	}
	while (ret && fgets(line, sizeof(line), f)) {
		char *cols[64];
		int nc = 0;

		save = NULL;
		for (tok = strtok_r(line, " \t\n", &save); tok && nc < 64;
		     tok = strtok_r(NULL, " \t\n", &save))
			cols[nc++] = tok;
		if (nc > want && nc > idcol && atoi(cols[idcol]) == id) {
			printf("%s\n", cols[want]);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* ksecs: the kernel's coarse realtime seconds, the clock shm_ctime, shm_atime and shm_dtime are
 * read from (ktime_get_real_seconds): the sem_ctime of a semaphore set made for it. It runs up
 * to a tick behind the fine clock `date` reads. A semaphore, not a segment: shmwatch does not
 * see it. */
static int cmd_ksecs(void)
{
	struct semid_ds ds;
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

	if (id < 0)
		fail_sys("semget");
	if (semctl(id, 0, IPC_STAT, &ds) < 0) {
		semctl(id, 0, IPC_RMID);
		fail_sys("semctl IPC_STAT");
	}
	semctl(id, 0, IPC_RMID);
	printf("%lld\n", (long long)ds.sem_ctime);
	return 0;
}

static int cmd_rmid(int id, int check_key, uint32_t key)
{
	struct shmid_ds ds;

	if (shmctl(id, IPC_STAT, &ds) < 0) {
		if (errno == EINVAL || errno == EIDRM)
			return 0;
		fail_sys("shmctl IPC_STAT");
	}
	if (check_key && (uint32_t)ds.shm_perm.__key != key)
		return 0; /* a different segment now has this id, or it is already removed */
	if (shmctl(id, IPC_RMID, NULL) < 0 && errno != EINVAL && errno != EIDRM)
		fail_sys("shmctl IPC_RMID");
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fds[1024], n = 0;

	if (!d) {
		perror("/proc/self/fd");
		return 2;
	}
	while ((e = readdir(d)) && n < 1024) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd != dirfd(d))
			fds[n++] = fd;
	}
	closedir(d);
	qsort(fds, (size_t)n, sizeof(fds[0]), cmp_int);
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? " " : "", fds[i]);
	printf("\n");
	return fflush(stdout) ? 2 : 0;
}

struct dump_map {
	int pid, tid, seg, vmas, group;
};

static void usage(void) __attribute__((noreturn));

static int cmd_dump(int argc, char **argv)
{
	struct dump_map *maps = NULL;
	size_t nmaps = 0;
	int *counts = calloc(nsegs + 1, sizeof(int)), ambiguous = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d || !counts)
		fail_sys("opendir /proc");
	for (int i = 2; i < argc; i += 2) {
		unsigned long ns;
		int id;
		char *colon;

		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--ns") == 0) {
			ns = (unsigned long)parse_long(argv[i + 1], 1, LONG_MAX, "ns");
			for (size_t s = 0; s < nsegs; s++)
				if (segs[s].ns == ns)
					segs[s].wanted = 1;
		} else if (strcmp(argv[i], "--seg") == 0 && (colon = strchr(argv[i + 1], ':'))) {
			*colon = 0;
			ns = (unsigned long)parse_long(argv[i + 1], 1, LONG_MAX, "ns");
			id = (int)parse_long(colon + 1, 0, INT_MAX, "shmid");
			for (size_t s = 0; s < nsegs; s++)
				if (segs[s].ns == ns && segs[s].id == id)
					segs[s].wanted = 1;
		} else {
			usage();
		}
	}
	want_ids = xrealloc(NULL, sizeof(int) * (nsegs + 1));
	for (size_t s = 0; s < nsegs; s++)
		if (segs[s].wanted)
			want_ids[nwant_ids++] = segs[s].id;
	qsort(want_ids, nwant_ids, sizeof(int), by_int);
	while ((de = readdir(d))) {
		int pid, tid;

		if (!is_pid_name(de->d_name))
			continue;
		pid = atoi(de->d_name);
		memset(counts, 0, sizeof(int) * (nsegs + 1));
		if (scan_pid(pid, -1, counts, &ambiguous, &tid) < 0)
			continue;
		for (size_t s = 0; s < nsegs; s++) {
			if (!counts[s] || !segs[s].wanted)
				continue;
			maps = xrealloc(maps, sizeof(*maps) * (nmaps + 1));
			maps[nmaps++] = (struct dump_map){pid, tid, (int)s, counts[s], pid};
		}
	}
	closedir(d);
	/* The group: the smallest pid with the same address space (kcmp of the threads whose
	 * maps were read: a zombie main thread has no mm). Processes sharing an mm map the
	 * same segments, so comparing with the holders of the same segment is enough. */
	for (size_t i = 0; i < nmaps; i++)
		for (size_t j = 0; j < nmaps; j++) {
			int r;

			if (maps[j].seg != maps[i].seg || maps[j].pid >= maps[i].group)
				continue;
			r = kcmp_vm(maps[j].tid, maps[i].tid);
			if (r < 0 && errno == ENOSYS)
				fail_sys("kcmp");
			if (r == 0)
				maps[i].group = maps[j].pid;
		}
	for (size_t n = 0; n < nnss; n++)
		printf("ns %lu\n", nss[n].inum);
	for (size_t s = 0; s < nsegs; s++)
		if (segs[s].wanted)
			printf("seg %lu %d %u %lu %04o %llu %d\n", segs[s].ns, segs[s].id,
			       segs[s].key, segs[s].nattch, segs[s].perms, segs[s].size,
			       segs[s].cpid);
	for (size_t i = 0; i < nmaps; i++)
		printf("map %lu %d %d %d %d\n", segs[maps[i].seg].ns, segs[maps[i].seg].id,
		       maps[i].pid, maps[i].vmas, maps[i].group);
	free(maps);
	free(counts);
	free(want_ids);
	want_ids = NULL;
	return ambiguous ? 4 : 0;
}

static int cmd_alive(int pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 1;
	return (p[2] == 'Z' || p[2] == 'X' || p[2] == 'x') ? 1 : 0;
}

/* file PATH: "MODE INODE SIZE" (MODE the permission bits, %04o); exit 1 if there is none. */
static int cmd_file(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 1 : 2;
	printf("%04o %lu %lld\n", (unsigned)(st.st_mode & 07777), (unsigned long)st.st_ino,
	       (long long)st.st_size);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: shmw-oracle holders SHMID [--ns INUM] [--vmas]\n"
			"       shmw-oracle seg SHMID [--ns INUM]\n"
			"       shmw-oracle ps PID | all | alive PID | fds\n"
			"       shmw-oracle dump [--ns INUM]... [--seg NS:SHMID]...\n"
			"       shmw-oracle rmid SHMID [--key KEY]\n"
			"       shmw-oracle file PATH\n"
			"       shmw-oracle col SHMID COLUMN [--ns INUM] | ksecs\n");
	exit(3);
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i = 2;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "rmid") == 0) {
		int id, check_key = 0;
		uint32_t key = 0;

		if (argc != 3 && argc != 5)
			usage();
		id = (int)parse_long(argv[2], 0, INT_MAX, "shmid");
		if (argc == 5) {
			if (strcmp(argv[3], "--key") != 0)
				usage();
			key = (uint32_t)parse_long(argv[4], 0, 0xffffffffL, "key");
			check_key = 1;
		}
		return cmd_rmid(id, check_key, key);
	}
	if (strcmp(cmd, "fds") == 0) {
		if (argc != 2)
			usage();
		return cmd_fds();
	}
	if (strcmp(cmd, "file") == 0) {
		if (argc != 3)
			usage();
		return cmd_file(argv[2]);
	}
	if (strcmp(cmd, "alive") == 0) {
		if (argc != 3)
			usage();
		return cmd_alive((int)parse_long(argv[2], 1, INT_MAX, "pid"));
	}
	collect_namespaces();
	if (strcmp(cmd, "ksecs") == 0) {
		if (argc != 2)
			usage();
		return cmd_ksecs();
	}
	if (strcmp(cmd, "col") == 0) {
		unsigned long ns = self_ns;

		if (argc != 4 && !(argc == 6 && strcmp(argv[4], "--ns") == 0))
			usage();
		i = 4;
		if (argc == 6)
			ns = want_ns(argc, argv, &i);
		return cmd_col((int)parse_long(argv[2], 0, INT_MAX, "shmid"), ns, argv[3]);
	}
	read_tables();
	if (strcmp(cmd, "holders") == 0 || strcmp(cmd, "seg") == 0) {
		int id, with_vmas = 0;
		unsigned long ns = self_ns;

		if (argc < 3)
			usage();
		id = (int)parse_long(argv[2], 0, INT_MAX, "shmid");
		for (i = 3; i < argc;) {
			if (strcmp(argv[i], "--ns") == 0 && i + 1 < argc) {
				ns = want_ns(argc, argv, &i);
			} else if (strcmp(argv[i], "--vmas") == 0 && cmd[0] == 'h') {
				with_vmas = 1;
				i++;
			} else {
				usage();
			}
		}
		return cmd[0] == 'h' ? cmd_holders(id, ns, with_vmas) : cmd_seg(id, ns);
	}
	if (strcmp(cmd, "ps") == 0) {
		if (argc != 3)
			usage();
		return cmd_ps((int)parse_long(argv[2], 1, INT_MAX, "pid"));
	}
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc, argv);
	if (strcmp(cmd, "all") == 0) {
		if (argc != 2)
			usage();
		return cmd_all();
	}
	usage();
	return 3;
}
