/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-difftest: the workload of the differential random tester (tests/e2e/t_difftest.sh). It
 * generates random programs of System V shared memory operations and runs them in a population
 * of processes spread over several IPC namespaces for a while, then stops every process where
 * it is, holding what it holds, so that the scenario can compare what shmwatch says with the
 * kernel. It only generates and runs; the checking is the scenario's.
 *
 *   shmw-difftest [--ready FILE] [--pids FILE] [--seconds S] [--procs N] [--namespaces K]
 *		   [--nap MIN-MAX] [--seed X] [--ops OP,...] [--no-ops OP,...] [--trace FILE]
 *
 * About N (default 50) program flows run at once for S (default 20) seconds, each sleeping
 * MIN-MAX ms (default 5-40) between operations; a fork, vfork, spawn or clone only happens
 * while fewer than N run, an exit only while more than N/2 do. K (default 3) namespaces other
 * than ours are kept for the whole run by a keeper process inside each (the second one with
 * kernel.shm_rmid_forced=1); workers make more with unshare. The workers start spread over
 * ours and the kept ones.
 * A process in a namespace a worker made never leaves it (no unshare, no setns), nor does one
 * whose address space a clone(CLONE_VM) sibling may share: so whoever holds a segment of such a
 * namespace is in it, and every namespace of ours that lives has a process in it, the way in
 * for shmw-oracle (which reads /proc/PID/ns).
 *
 * Operations, picked at random with fixed weights (OPS below; --ops runs only those named,
 * --no-ops all but those, to find which ones a failure needs): shmget (IPC_PRIVATE or a key,
 * sizes in pages, SHM_HUGETLB when huge pages are configured), shmget of an existing key,
 * shmget with kernel.shm_next_id set to an old shmid (reuse, in private namespaces), shmat
 * (anywhere, SHM_RDONLY, at a fixed address, at a fixed address with SHM_REMAP over what is
 * there), shmdt, IPC_RMID, SHM_LOCK/SHM_UNLOCK, IPC_SET, fork, vfork+exec, vfork+_exit, a
 * vfork child that attaches or detaches in the parent's address space, posix_spawn,
 * clone(CLONE_VM) siblings (which park, exit, exec, attach or detach), threads that attach,
 * a thread that takes the program over while the main thread exits, exec of this program
 * (the program goes on in the new image), exit, unshare(CLONE_NEWIPC) (with
 * shm_rmid_forced=1 in some new namespaces, or set later), setns into another of our
 * namespaces, mremap (move, grow, shrink, duplicate with old size 0), and on part of an
 * attachment mprotect, munmap, mmap(MAP_FIXED), MADV_DONTFORK/MADV_DOFORK, mlock/munlock.
 * The calls that act on attachments pick them from the kernel's own list, /proc/thread-self/
 * maps, so that shared address spaces (threads, siblings, vfork children) and everything the
 * kernel did are accounted for; a call the kernel refuses (a segment removed meanwhile, a
 * read-only attachment made writable) is counted as failed and the program goes on.
 *
 * Replay: each flow draws from its own xorshift stream; the first ones come from the seed,
 * every new process or program image gets a stream drawn from its parent's. --seed X runs the
 * same programs again, but not the same interleaving: which of them take a population slot,
 * and what each call finds (segments others removed, ids) depend on timing, and after the
 * first difference the programs differ too.
 *
 * Our segments only: in our namespace (which other sessions share) segments get keys 0x5344TTxx
 * (TT: this run's tag), and before using a shmid from there a worker checks (IPC_STAT) that it
 * is one of ours (same creator pid and size): ids are recycled. Every segment has a size no other
 * of ours has for a long while (a number of pages less a serial number of bytes), so that a
 * mapping's size tells which namespace it is from (shmw-oracle needs that: maps do not say).
 *
 * Progress lines go to FILE (appended, one write(2) each), all of them starting with the
 * supervisor's pid, never a worker's (the test harness kills every pid of a progress file when
 * it cleans up, and thousands of short-lived pids would be reused by then):
 *   SUP start
 *   SUP seed X                          the seed (--seed X replays the programs)
 *   SUP hugetlb yes|no                  whether SHM_HUGETLB is used (huge pages configured)
 *   SUP ns INUM KIND FORCED PID         a namespace: root (ours), kept, new (a worker's
 *                                       unshare); FORCED 1 with shm_rmid_forced=1; PID was in it
 *   SUP nsforced INUM                   shm_rmid_forced set to 1 later in namespace INUM
 *   SUP shmid ID NS KEY SIZE CPID CTIME a segment a worker created (KEY as 0x%08x; CTIME the
 *                                       kernel's shm_ctime then)
 *   SUP stats OP=OK/FAILED...           calls made and failed, per operation
 *   SUP procs N                         processes started (fork, vfork, spawn, clone)
 *   SUP ready PARKED                    every flow has stopped: their pids, and the keepers',
 *                                       are in the --pids FILE, one a line
 *   SUP exiting                         on SIGUSR1 or SIGTERM: it removes the segments it
 *                                       created in our namespace, then exits, and every worker
 *                                       with it (they watch a pipe only the supervisor writes)
 *   SUP unparked PID state S ...        flows not stopped 60 s after the deadline: each of our
 *                                       processes not parked, its state and wait channel; then
 *   PID error TEXT                      something failed that should not; exit 1
 * --trace FILE: one line per call, "PID TID OP RESULT DETAIL" (RESULT ok or the errno's name;
 * DETAIL the namespace, shmid, addresses...), to tie a mismatch to the calls behind it.
 * Workers are this program run again as "shmw-difftest --worker OUTFD LIFEFD SHAREDFD STREAM"
 * (exec, vfork+exec, posix_spawn, a sibling's exec); what they share (population, namespaces,
 * segments, counters) is in a memfd mapping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SHM_HUGETLB
#define SHM_HUGETLB 04000
#endif

#define MAX_SEGS      16384 /* ring of recent segments to pick from (the file has them all) */
#define MAX_NS	      1024  /* ring of namespaces */
#define MAX_PARKED    8192
#define MAX_KEEPERS   8
#define MAX_THREADS   4	 /* threads of one process, the program's own included */
#define MAX_NEW_NS    6	 /* new namespaces alive at once (the daemon keeps 64 in all) */
#define MAX_NS_SEGS   48 /* segments of a namespace (ours, in our namespace) before shmget stops */
#define ARENA_PAGES   48 /* where fixed-address attachments go */
#define ROOT_KEY_BASE 0x53440000u /* | the run's tag << 8 | 0-255 */
#define NS_KEY_BASE   0x4400u

static int out_fd = STDOUT_FILENO;

#define HELPER_NAME "shmw-difftest"
#include "report.h"
#include "population.h"

/* The operations and their weights (per mille of the total, roughly). */
#define OPS(X)                                                                                     \
	X(create, 45)                                                                              \
	X(create_reuse, 8)                                                                         \
	X(open_key, 8)                                                                             \
	X(attach, 100)                                                                             \
	X(attach_ro, 30)                                                                           \
	X(attach_fixed, 10)                                                                        \
	X(attach_remap, 30)                                                                        \
	X(detach, 90)                                                                              \
	X(rmid, 35)                                                                                \
	X(lock, 8)                                                                                 \
	X(ipc_set, 10)                                                                             \
	X(fork, 40)                                                                                \
	X(vfork_exec, 10)                                                                          \
	X(vfork_exit, 6)                                                                           \
	X(vfork_shm, 10)                                                                           \
	X(spawn, 10)                                                                               \
	X(clone_vm, 15)                                                                            \
	X(thread_attach, 12)                                                                       \
	X(thread_takeover, 6)                                                                      \
	X(exec, 20)                                                                                \
	X(exit, 40)                                                                                \
	X(unshare, 10)                                                                             \
	X(rmid_forced, 3)                                                                          \
	X(setns, 20)                                                                               \
	X(mremap_move, 12)                                                                         \
	X(mremap_grow, 8)                                                                          \
	X(mremap_shrink, 8)                                                                        \
	X(mremap_dup, 8)                                                                           \
	X(mprotect, 35)                                                                            \
	X(munmap, 20)                                                                              \
	X(map_fixed, 8)                                                                            \
	X(dontfork, 12)                                                                            \
	X(dofork, 10)                                                                              \
	X(mlock, 6)

#define OP_ENUM(name, w) OP_##name,
enum op { OPS(OP_ENUM) NOPS };
#define OP_NAME(name, w) #name,
static const char *const op_names[NOPS] = {OPS(OP_NAME)};
#define OP_WEIGHT(name, w) w,
static const int op_weights[NOPS] = {OPS(OP_WEIGHT)};

struct segrec {
	uint64_t seq; /* ring position + 1 once written; 0 while being written */
	uint64_t ns;
	int shmid;
	uint32_t key;
	uint64_t size;
	int cpid;
	int64_t ctime;
};

struct nsrec {
	uint64_t seq;
	uint64_t inum;
	int pid; /* a process that was in it: the way in (checked by inode before use) */
	int kind;
};

enum { NS_ROOT, NS_KEPT, NS_NEW };

struct shared {
	struct shmw_pop pop;
	int supervisor;
	uint64_t root_ns;
	int hugetlb;
	uint32_t root_keys; /* ROOT_KEY_BASE | this run's tag << 8: our keys in our namespace */
	long huge_size;
	int nap_min, nap_max;
	int trace_fd;	  /* --trace: one line per call, or -1 */
	int weight[NOPS]; /* of each operation: op_weights, less what --ops and --no-ops leave out
			   */
	int total_weight;
	int create_lock;
	uint32_t uniq; /* serial number of segments, for their sizes */
	long ok[NOPS], failed[NOPS];
	long procs;
	uint64_t seg_seq;
	struct segrec seg[MAX_SEGS];
	uint64_t ns_seq;
	struct nsrec ns[MAX_NS];
	int nkeepers;
	int keeper[MAX_KEEPERS];
	int nparked;
	int parked_pid[MAX_PARKED];
};

static struct shared *sh;
static int shared_fd = -1;
static long page;
static char self_exe[PATH_MAX];

/* This process (shared by its threads, which take turns running the program). */
static uint64_t cur_ns;
static char *arena;
static size_t arena_len;
static int threads_alive = 1;
static int mm_shared; /* a clone(CLONE_VM) sibling may use our address space */

/* argv of a new worker image, built before vfork/posix_spawn (a vfork child may not build). */
static char arg_out[16], arg_life[16], arg_shared[16], arg_stream[24];
static char *worker_argv[] = {"shmw-difftest", "--worker", arg_out, arg_life,
			      arg_shared,      arg_stream, NULL};

static void set_stream_arg(uint64_t stream)
{
	snprintf(arg_stream, sizeof(arg_stream), "%" PRIx64, stream);
}

/* ---- progress lines, counters ---------------------------------------------------------- */

/* A line in the supervisor's name (see the header). */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay_as(sh->supervisor, fmt, ap);
	va_end(ap);
}

static const char *errname(int err)
{
	const char *s = err ? strerrorname_np(err) : NULL;

	return s ? s : "failed";
}

static int gettid_raw(void)
{
	return (int)syscall(SYS_gettid);
}

/* What the call was about, for --trace (set before done). */
static char what[160];
#define WHAT(...) snprintf(what, sizeof(what), __VA_ARGS__)

static void done(enum op op, int ok)
{
	int err = errno;

	__atomic_add_fetch(ok ? &sh->ok[op] : &sh->failed[op], 1, __ATOMIC_RELAXED);
	if (sh->trace_fd >= 0) {
		char buf[320];
		int n = snprintf(buf, sizeof(buf), "%d %d %s %s %s\n", getpid(), gettid_raw(),
				 op_names[op], ok ? "ok" : errname(err), what);

		if (n > (int)sizeof(buf) - 1)
			n = sizeof(buf) - 1;
		if (write(sh->trace_fd, buf, n) != n)
			_exit(3);
	}
	what[0] = 0;
}

static void count_proc(void)
{
	__atomic_add_fetch(&sh->procs, 1, __ATOMIC_RELAXED);
}

static uint64_t ns_self(void)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/ipc", &st) < 0)
		die("stat /proc/thread-self/ns/ipc: %s", strerror(errno));
	return (uint64_t)st.st_ino;
}

/* unshare and setns act on the calling thread: only when it is the process's one thread, and when
 * no sibling shares its address space (which could hold a namespace's segments from outside it). */
static int single_threaded(void)
{
	return __atomic_load_n(&threads_alive, __ATOMIC_SEQ_CST) == 1 && gettid_raw() == getpid() &&
	       !mm_shared;
}

static void lock_create(void)
{
	while (__atomic_exchange_n(&sh->create_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void unlock_create(void)
{
	__atomic_store_n(&sh->create_lock, 0, __ATOMIC_RELEASE);
}

static int write_sysctl(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), len, rc;

	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	rc = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return rc;
}

/* The life pipe misbehaved (population.h): say so, in the supervisor's name, and stop. */
static void pop_trouble(const char *what, int err)
{
	note("trouble %d: %s: %s", getpid(), what, errname(err));
	_exit(4);
}

/* A fatal signal: say which, in the supervisor's name (async-signal-safe: digits by hand),
 * then die of it. A flow that dies unnoticed would otherwise be found only as missing. */
static void put_num(char *buf, int *n, long v)
{
	char d[24];
	int k = 0;

	do
		d[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < (int)sizeof(d));
	while (k)
		buf[(*n)++] = d[--k];
}

static void on_fatal(int sig)
{
	char buf[96];
	int n = 0;
	static const char died[] = " died ";
	static const char signal_[] = " signal ";

	put_num(buf, &n, sh->supervisor);
	memcpy(buf + n, died, sizeof(died) - 1);
	n += sizeof(died) - 1;
	put_num(buf, &n, (long)syscall(SYS_getpid));
	memcpy(buf + n, signal_, sizeof(signal_) - 1);
	n += sizeof(signal_) - 1;
	put_num(buf, &n, sig);
	buf[n++] = '\n';
	if (write(out_fd, buf, n) != n) {
		/* nothing more to do */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_fatal(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS,  SIGILL,  SIGFPE,  SIGABRT,	 SIGSYS,
				   SIGTRAP, SIGTERM, SIGHUP,  SIGINT,  SIGUSR1,	 SIGUSR2,
				   SIGPIPE, SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_fatal);
}

/* ---- the namespace and segment rings ------------------------------------------------------ */

/* Record s of the namespaces: ours and the kept ones (the first 1 + MAX_KEEPERS at most) keep
 * their slots; the workers' new ones take turns in the others. */
static struct nsrec *ns_slot(uint64_t s)
{
	uint64_t fixed = 1 + MAX_KEEPERS;

	return &sh->ns[s < fixed ? s : fixed + (s - fixed) % (MAX_NS - fixed)];
}

static void add_ns(uint64_t inum, int pid, int kind, int forced)
{
	static const char *const kinds[] = {"root", "kept", "new"};
	uint64_t s = __atomic_fetch_add(&sh->ns_seq, 1, __ATOMIC_RELAXED);
	struct nsrec *r = ns_slot(s);

	__atomic_store_n(&r->seq, 0, __ATOMIC_RELEASE);
	r->inum = inum;
	r->pid = pid;
	r->kind = kind;
	__atomic_store_n(&r->seq, s + 1, __ATOMIC_RELEASE);
	note("ns %" PRIu64 " %s %d %d", inum, kinds[kind], forced, pid);
}

static int get_ns(uint64_t s, struct nsrec *out)
{
	const struct nsrec *r = ns_slot(s);

	if (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) != s + 1)
		return 0;
	*out = *r;
	return __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) == s + 1;
}

/* An fd for namespace r (through its pid, when that pid is still in it), or -1. */
static int open_ns(const struct nsrec *r)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", r->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != r->inum) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether we are in a namespace a worker made. Nobody leaves those (unshare, setns): so whoever
 * holds one of their segments is in it, and a namespace that lives has a process in it, through
 * which the oracle (and shmwatchd) can read its segments. Ours and the kept ones may be left. */
static int in_new_ns(void)
{
	struct nsrec r;

	for (uint64_t s = 0; s <= (uint64_t)sh->nkeepers; s++)
		if (get_ns(s, &r) && r.inum == cur_ns)
			return 0;
	return 1;
}

/* How many of the recent new namespaces still have their process in them. */
static int new_ns_alive(void)
{
	uint64_t n = __atomic_load_n(&sh->ns_seq, __ATOMIC_ACQUIRE);
	int alive = 0;

	for (uint64_t k = 0; k < 32 && k < n; k++) {
		struct nsrec r;
		int fd;

		if (!get_ns(n - 1 - k, &r) || r.kind != NS_NEW)
			continue;
		fd = open_ns(&r);
		if (fd >= 0) {
			alive++;
			close(fd);
		}
	}
	return alive;
}

static void add_seg(int shmid, uint32_t key, uint64_t size, int64_t ctime)
{
	uint64_t s = __atomic_fetch_add(&sh->seg_seq, 1, __ATOMIC_RELAXED);
	struct segrec *r = &sh->seg[s % MAX_SEGS];

	__atomic_store_n(&r->seq, 0, __ATOMIC_RELEASE);
	r->ns = cur_ns;
	r->shmid = shmid;
	r->key = key;
	r->size = size;
	r->cpid = getpid();
	r->ctime = ctime;
	__atomic_store_n(&r->seq, s + 1, __ATOMIC_RELEASE);
	note("shmid %d %" PRIu64 " 0x%08x %" PRIu64 " %d %" PRId64, shmid, cur_ns, key, size,
	     getpid(), ctime);
}

static int get_seg(uint64_t s, struct segrec *out)
{
	const struct segrec *r = &sh->seg[s % MAX_SEGS];

	if (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) != s + 1)
		return 0;
	*out = *r;
	return __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) == s + 1;
}

/* Is there a segment under r's shmid, and one we may use? In our namespace, which others
 * share, only the segment we made (ids are recycled); in the others any: they are all ours. */
static int still_ours(const struct segrec *r)
{
	struct shmid_ds ds;

	if (shmctl(r->shmid, IPC_STAT, &ds) < 0)
		return 0;
	return r->ns != sh->root_ns || (ds.shm_cpid == r->cpid && ds.shm_segsz == r->size);
}

/* A segment of our current namespace that still exists, mostly a recent one; now and then one
 * that may be gone (a call the kernel refuses), except in our namespace, where that id may be
 * another session's segment by now. */
static int pick_seg(struct segrec *out)
{
	uint64_t n = __atomic_load_n(&sh->seg_seq, __ATOMIC_ACQUIRE);
	uint64_t span = n < MAX_SEGS ? n : MAX_SEGS;
	int any = rnd(8) == 0 && cur_ns != sh->root_ns;

	for (int tries = 0; n && tries < 16; tries++) {
		uint64_t back =
		    rnd(4) ? rnd(span < 128 ? (uint32_t)span : 128) : rnd((uint32_t)span);

		if (get_seg(n - 1 - back, out) && out->ns == cur_ns && (any || still_ours(out)))
			return 1;
	}
	for (uint64_t back = 0; back < span && back < 512; back++)
		if (get_seg(n - 1 - back, out) && out->ns == cur_ns && still_ours(out))
			return 1;
	return 0;
}

/* Our segments in the current namespace, as the kernel lists them. */
static int ns_seg_count(void)
{
	char buf[4096];
	int fd = open("/proc/sysvipc/shm", O_RDONLY | O_CLOEXEC), n = 0,
	    root = cur_ns == sh->root_ns;
	size_t have = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	while ((r = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *line = buf, *nl;

		have += (size_t)r;
		buf[have] = 0;
		while ((nl = strchr(line, '\n'))) {
			char *end;
			long long key = strtoll(line, &end, 10);

			*nl = 0;
			/* The header has no number; in ours, this run's keys only. */
			if (end != line && (!root || ((uint32_t)key >> 8) == (sh->root_keys >> 8)))
				n++;
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
	}
	close(fd);
	return n;
}

/* ---- this address space, from the kernel --------------------------------------------------- */

struct mline {
	uintptr_t start, end;
	uint64_t off;
	unsigned long inode;
	char perms[5];
	int sysv; /* a SysV segment's mapping */
	int anon; /* no file, no name */
};

#define MAX_VMAS 256
static struct mline vmas[MAX_VMAS];
static int nvmas;

static int parse_mline(char *line, struct mline *m)
{
	char *p = line, *name;

	m->start = strtoul(p, &p, 16);
	if (*p++ != '-')
		return -1;
	m->end = strtoul(p, &p, 16);
	if (*p++ != ' ' || strlen(p) < 5)
		return -1;
	memcpy(m->perms, p, 4);
	m->perms[4] = 0;
	p += 5;
	m->off = strtoull(p, &p, 16);
	while (*p == ' ')
		p++;
	p = strchr(p, ' '); /* device */
	if (!p)
		return -1;
	m->inode = strtoul(p, &p, 10);
	while (*p == ' ')
		p++;
	name = p;
	m->sysv = strncmp(name, "/SYSV", 5) == 0;
	m->anon = !*name && m->inode == 0;
	return 0;
}

/* Calls fn for each mapping of this address space; no allocation (threads and forks run it). */
static void for_each_map(void (*fn)(const struct mline *, void *), void *ctx)
{
	static char buf[32768];
	int fd = open("/proc/thread-self/maps", O_RDONLY | O_CLOEXEC);
	size_t have = 0;
	ssize_t r;

	if (fd < 0)
		return;
	while ((r = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		char *line = buf, *nl;

		have += (size_t)r;
		buf[have] = 0;
		while ((nl = strchr(line, '\n'))) {
			struct mline m;

			*nl = 0;
			if (parse_mline(line, &m) == 0)
				fn(&m, ctx);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer: not one of ours */
	}
	close(fd);
}

static void collect_sysv(const struct mline *m, void *ctx)
{
	(void)ctx;
	if (m->sysv && nvmas < MAX_VMAS)
		vmas[nvmas++] = *m;
}

/* A random SysV mapping of this address space, or NULL. */
static const struct mline *pick_vma(void)
{
	nvmas = 0;
	for_each_map(collect_sysv, NULL);
	return nvmas ? &vmas[rnd(nvmas)] : NULL;
}

/* A random run of whole pages inside v. */
static void sub_range(const struct mline *v, char **addr, size_t *len)
{
	size_t pages = (v->end - v->start) / page;
	size_t first = rnd((uint32_t)pages);
	size_t n = 1 + rnd((uint32_t)(pages - first));

	*addr = (char *)v->start + first * page;
	*len = n * page;
}

struct range_check {
	uintptr_t lo, hi;
	int ok;
};

/* Only our own things may be mapped over: SysV mappings, and the arena's reserved pages. */
static void check_range(const struct mline *m, void *ctx)
{
	struct range_check *c = ctx;

	if (m->end <= c->lo || m->start >= c->hi)
		return;
	if (m->sysv)
		return;
	if (m->anon && strcmp(m->perms, "---p") == 0 && m->start >= (uintptr_t)arena &&
	    m->end <= (uintptr_t)arena + arena_len)
		return;
	c->ok = 0;
}

static int only_ours(char *addr, size_t len)
{
	struct range_check c = {(uintptr_t)addr, (uintptr_t)addr + len, 1};

	for_each_map(check_range, &c);
	return c.ok;
}

static size_t page_round(uint64_t n)
{
	return (size_t)((n + page - 1) / page * page);
}

/* ---- segments -------------------------------------------------------------------------------- */

/* how: 0 a new segment, 1 a new one under an old shmid (shm_next_id), 2 shmget of a key. */
static void op_create(enum op op, int how)
{
	int root = cur_ns == sh->root_ns, flags = IPC_CREAT | IPC_EXCL | 0640, id, reuse = -1;
	uint32_t key, uniq;
	uint64_t size;
	struct shmid_ds ds;

	if (how == 2) {
		struct segrec r;

		if (root) {
			if (!pick_seg(&r) || !r.key)
				return;
			key = r.key;
		} else {
			key = NS_KEY_BASE + rnd(16);
		}
		id = shmget((key_t)key, 0, 0);
		WHAT("ns=%" PRIu64 " key=0x%08x -> %d", cur_ns, key, id);
		done(op, id >= 0);
		return;
	}
	if ((how == 1 && root) || ns_seg_count() >= MAX_NS_SEGS)
		return;
	uniq = __atomic_fetch_add(&sh->uniq, 1, __ATOMIC_RELAXED);
	/* A size none of our recent segments has, nor (likely) anyone else's: whole pages less
	 * 1 to page - 1 bytes, by serial number. */
	size =
	    (uint64_t)(1 + rnd(8) + 8 * ((uniq / (page - 1)) % 4)) * page - 1 - uniq % (page - 1);
	if (root)
		key = sh->root_keys | rnd(256);
	else
		key = rnd(3) == 0 ? IPC_PRIVATE : NS_KEY_BASE + rnd(16);
	if (sh->hugetlb && rnd(8) == 0) {
		/* The file of a huge page segment has whole huge pages: its own key tells it. */
		flags |= SHM_HUGETLB;
		size = (uint64_t)sh->huge_size * (1 + rnd(2));
		key = root ? sh->root_keys | rnd(256) : 0x48000000u | (uniq & 0xffffff);
	}
	/* One shmget at a time: shm_next_id is for the next one made in that namespace. */
	lock_create();
	if (how == 1) {
		/* A shmid of this namespace that is free again and whose last segment was made
		 * 2 s ago or more: a new segment under it has another shm_ctime (the generation
		 * that tells them apart has whole seconds). */
		uint64_t n = __atomic_load_n(&sh->seg_seq, __ATOMIC_ACQUIRE);
		uint64_t span = n < MAX_SEGS ? n : MAX_SEGS;
		struct segrec r, o;
		struct shmid_ds ds;

		for (int tries = 0; span && tries < 16 && reuse < 0; tries++) {
			int64_t newest = 0;

			if (!get_seg(n - 1 - rnd((uint32_t)span), &r) || r.ns != cur_ns ||
			    shmctl(r.shmid, IPC_STAT, &ds) == 0)
				continue;
			for (uint64_t b = 0; b < span; b++)
				if (get_seg(n - 1 - b, &o) && o.ns == cur_ns &&
				    o.shmid == r.shmid && o.ctime > newest)
					newest = o.ctime;
			if (newest && newest + 2 <= (int64_t)time(NULL) &&
			    write_sysctl("/proc/sys/kernel/shm_next_id", r.shmid) == 0)
				reuse = r.shmid;
		}
		if (reuse < 0) {
			unlock_create();
			return;
		}
	}
	id = shmget((key_t)key, size, flags);
	WHAT("ns=%" PRIu64 " key=0x%08x size=%" PRIu64 " next_id=%d -> %d", cur_ns, key, size,
	     reuse, id);
	if (id >= 0 && shmctl(id, IPC_STAT, &ds) == 0)
		add_seg(id, key, size, (int64_t)ds.shm_ctime);
	else if (id >= 0)
		add_seg(id, key, size, (int64_t)time(NULL));
	unlock_create();
	done(op, id >= 0);
}

static void op_attach(enum op op)
{
	struct segrec r;
	struct shmid_ds ds;
	int flags = op == OP_attach_ro ? SHM_RDONLY : 0, locked = 0;
	char *addr = NULL, *a;
	size_t len;

	if (!pick_seg(&r))
		return;
	if (op == OP_attach_fixed || op == OP_attach_remap) {
		/* The size of the segment under that id now (a record may be older than a reuse of
		 * its id), read with shmget held off: no segment can take the id meanwhile. With
		 * SHM_REMAP, the range that size covers is replaced whatever it holds. */
		lock_create();
		locked = 1;
		if (shmctl(r.shmid, IPC_STAT, &ds) < 0) {
			unlock_create();
			return;
		}
		len = sh->hugetlb
			  ? (ds.shm_segsz + sh->huge_size - 1) / sh->huge_size * sh->huge_size
			  : page_round(ds.shm_segsz);
		if (!arena || len > arena_len) {
			unlock_create();
			return;
		}
		/* A fixed address: a free one (found by mapping and unmapping it), or in the arena,
		 * where shmat without SHM_REMAP finds something mapped (EINVAL) but in holes. */
		if (op == OP_attach_fixed && rnd(2)) {
			addr = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (addr == MAP_FAILED || munmap(addr, len) < 0) {
				unlock_create();
				return;
			}
		} else {
			addr = arena + rnd((uint32_t)((arena_len - len) / page + 1)) * page;
		}
		if (op == OP_attach_remap) {
			if (!only_ours(addr, len)) {
				unlock_create();
				return;
			}
			flags |= SHM_REMAP | (rnd(4) == 0 ? SHM_RDONLY : 0);
		}
	}
	a = shmat(r.shmid, addr, flags);
	if (locked)
		unlock_create();
	WHAT("ns=%" PRIu64 " id=%d at=%p flags=%#x -> %p", cur_ns, r.shmid, addr, flags, a);
	done(op, a != (char *)-1);
}

static void op_detach(void)
{
	const struct mline *v = pick_vma();
	uintptr_t base;

	if (!v)
		return;
	/* shmdt takes the attach address: where the piece would start at offset 0. */
	base = rnd(8) ? v->start - v->off : v->start;
	WHAT("%#lx (vma %#lx-%#lx off %#" PRIx64 " id %lu)", (unsigned long)base,
	     (unsigned long)v->start, (unsigned long)v->end, v->off, v->inode);
	done(OP_detach, shmdt((void *)base) == 0);
}

static void op_ctl(enum op op)
{
	static const unsigned short modes[] = {0600, 0640, 0660, 0604};
	struct segrec r;
	struct shmid_ds ds;
	int rc;

	if (!pick_seg(&r))
		return;
	if (op == OP_rmid) {
		rc = shmctl(r.shmid, IPC_RMID, NULL);
	} else if (op == OP_lock) {
		rc = shmctl(r.shmid, rnd(2) ? SHM_LOCK : SHM_UNLOCK, NULL);
	} else {
		rc = shmctl(r.shmid, IPC_STAT, &ds);
		if (rc == 0) {
			ds.shm_perm.mode = modes[rnd(4)];
			rc = shmctl(r.shmid, IPC_SET, &ds);
		}
	}
	WHAT("ns=%" PRIu64 " id=%d", cur_ns, r.shmid);
	done(op, rc == 0);
}

/* ---- processes ------------------------------------------------------------------------------ */

static void worker_loop(void) __attribute__((noreturn));

static void op_fork(void)
{
	uint64_t stream;
	pid_t c;

	if (!take_slot())
		return;
	stream = mix_seed(rnd64());
	c = fork();
	if (c < 0) {
		give_slot();
		done(OP_fork, 0);
		return;
	}
	if (c == 0) {
		/* Only the calling thread goes on in the child. */
		rng = stream;
		threads_alive = 1;
		mm_shared = 0;
		return;
	}
	WHAT("child %d", c);
	count_proc();
	done(OP_fork, 1);
}

/* The vfork child: it shares our memory until it execs or exits, so system calls and atomics
 * only. kind: 0 exec a worker, 1 _exit, 2 shmat (shmid >= 0) or shmdt (base) in the parent's
 * address space, then _exit. In its own function so that vfork clobbers nothing of the
 * caller's. */
static __attribute__((noinline)) pid_t vfork_child(enum op op, int kind, long shmid, long flags,
						   uintptr_t base)
{
	pid_t c = vfork();

	if (c != 0)
		return c;
	if (kind == 0) {
		execv(self_exe, worker_argv);
		__atomic_sub_fetch(&pop->alive, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->failed[op], 1, __ATOMIC_RELAXED);
		_exit(127);
	}
	if (shmid >= 0)
		syscall(SYS_shmat, shmid, 0L, flags);
	else if (base)
		syscall(SYS_shmdt, base);
	_exit(0);
}

static void op_vfork(enum op op, int kind)
{
	struct segrec r;
	const struct mline *v = NULL;
	long shmid = -1, flags = 0;
	uintptr_t base = 0;
	pid_t c;

	if (kind == 2) {
		if (rnd(2) && pick_seg(&r)) {
			shmid = r.shmid;
			flags = rnd(3) == 0 ? SHM_RDONLY : 0;
		} else if ((v = pick_vma())) {
			base = v->start - v->off;
		} else {
			return;
		}
	}
	if (kind == 0) {
		if (!take_slot())
			return;
		set_stream_arg(mix_seed(rnd64()));
	}
	c = vfork_child(op, kind, shmid, flags, base);
	WHAT("%s id=%ld base=%#lx child %d",
	     kind == 0	 ? "exec"
	     : kind == 1 ? "_exit"
			 : "shm",
	     shmid, (unsigned long)base, c);
	if (c < 0) {
		if (kind == 0)
			give_slot();
		done(op, 0);
		return;
	}
	count_proc();
	done(op, 1);
}

extern char **environ;

static void op_spawn(void)
{
	pid_t c;
	int rc;

	if (!take_slot())
		return;
	set_stream_arg(mix_seed(rnd64()));
	rc = posix_spawn(&c, self_exe, NULL, NULL, worker_argv, environ);
	if (rc) {
		give_slot();
		done(OP_spawn, 0);
		return;
	}
	count_proc();
	WHAT("child %d", c);
	done(OP_spawn, 1);
}

/* A clone(CLONE_VM) sibling: another process in our address space. It has no TLS of its own,
 * so it makes raw system calls only; what it needs is in its block, at the bottom of its
 * stack. */
enum { SIB_PARK, SIB_EXIT, SIB_EXEC, SIB_ATTACH, SIB_DETACH };

struct sibling {
	int mode;
	long shmid, flags;
	uintptr_t base;
	long delay_ms;
	char exe[PATH_MAX];
	char stream[24];
	char *argv[8];
};

#define SIB_STACK (64 * 1024)

static void record_parked(int pid)
{
	int i = __atomic_fetch_add(&sh->nparked, 1, __ATOMIC_RELAXED);

	if (i < MAX_PARKED)
		__atomic_store_n(&sh->parked_pid[i], pid, __ATOMIC_RELEASE);
}

static int64_t raw_now_ms(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits ms, or exits with the supervisor. */
static void raw_nap(long ms)
{
	struct pollfd p = {.fd = life_fd, .events = POLLIN};
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	if (syscall(SYS_ppoll, &p, 1L, &t, NULL, 0L) > 0)
		syscall(SYS_exit_group, 0L);
}

static int sibling_main(void *arg)
{
	struct sibling *s = arg;
	char c;

	switch (s->mode) {
	case SIB_EXEC:
		syscall(SYS_execve, s->exe, s->argv, environ);
		__atomic_sub_fetch(&pop->alive, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->failed[OP_clone_vm], 1, __ATOMIC_RELAXED);
		syscall(SYS_exit_group, 127L);
		break;
	case SIB_ATTACH:
		syscall(SYS_shmat, s->shmid, 0L, s->flags);
		break;
	case SIB_DETACH:
		syscall(SYS_shmdt, s->base);
		break;
	}
	/* It lives a while (or exits at once: SIB_EXIT), then leaves its place in the population to
	 * others: idle siblings would fill it. Or the deadline comes first, and it stops there. */
	for (int64_t end = raw_now_ms() + s->delay_ms; raw_now_ms() < pop->deadline_ms;) {
		if (raw_now_ms() >= end) {
			__atomic_sub_fetch(&pop->alive, 1, __ATOMIC_RELAXED);
			syscall(SYS_exit_group, 0L);
		}
		raw_nap(10);
	}
	record_parked((int)syscall(SYS_getpid));
	__atomic_add_fetch(&pop->parked, 1, __ATOMIC_SEQ_CST);
	while (syscall(SYS_read, life_fd, &c, 1L) > 0)
		;
	syscall(SYS_exit_group, 0L);
	return 0;
}

static void op_clone_vm(void)
{
	char *stack;
	struct sibling *s;
	struct segrec r;
	const struct mline *v;
	pid_t c;

	if (!take_slot())
		return;
	stack = mmap(NULL, SIB_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		give_slot();
		done(OP_clone_vm, 0);
		return;
	}
	s = (struct sibling *)stack;
	s->mode = (int)rnd(5);
	if (s->mode == SIB_ATTACH) {
		if (pick_seg(&r)) {
			s->shmid = r.shmid;
			s->flags = rnd(3) == 0 ? SHM_RDONLY : 0;
		} else {
			s->mode = SIB_PARK;
		}
	} else if (s->mode == SIB_DETACH) {
		if ((v = pick_vma()))
			s->base = v->start - v->off;
		else
			s->mode = SIB_PARK;
	}
	s->delay_ms = s->mode == SIB_EXIT ? 1 + rnd(200) : 100 + rnd(3000);
	memcpy(s->exe, self_exe, sizeof(s->exe));
	snprintf(s->stream, sizeof(s->stream), "%" PRIx64, mix_seed(rnd64()));
	for (int i = 0; i < 6; i++)
		s->argv[i] = worker_argv[i];
	s->argv[5] = s->stream;
	s->argv[6] = NULL;
	/* The stack grows down from the top of the mapping, away from the block. */
	c = clone(sibling_main, stack + SIB_STACK, CLONE_VM | SIGCHLD, s);
	if (c < 0) {
		give_slot();
		munmap(stack, SIB_STACK);
		done(OP_clone_vm, 0);
		return;
	}
	mm_shared = 1;
	count_proc();
	WHAT("sibling %d mode %d id=%ld base=%#lx", c, s->mode, s->shmid, (unsigned long)s->base);
	done(OP_clone_vm, 1);
}

/* An attaching thread: shmat, then either end or block until the supervisor goes. The
 * argument packs the shmid, SHM_RDONLY and whether it stays. */
static void *attacher_main(void *arg)
{
	uintptr_t a = (uintptr_t)arg;
	int shmid = (int)(a >> 2), ro = (int)(a & 1), stay = (int)((a >> 1) & 1);

	shmat(shmid, NULL, ro ? SHM_RDONLY : 0);
	if (!stay) {
		__atomic_sub_fetch(&threads_alive, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	wait_end();
}

/* A thread that takes the program over: the one that ran it exits (the main thread with a
 * bare SYS_exit, so the process goes on without its leader). */
static void *flow_main(void *arg)
{
	(void)arg;
	worker_loop();
}

static int start_thread(void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t at;
	pthread_t t;
	int rc;

	if (__atomic_add_fetch(&threads_alive, 1, __ATOMIC_SEQ_CST) > MAX_THREADS) {
		__atomic_sub_fetch(&threads_alive, 1, __ATOMIC_SEQ_CST);
		return -EAGAIN;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, stack);
	rc = pthread_create(&t, &at, fn, arg);
	pthread_attr_destroy(&at);
	if (rc)
		__atomic_sub_fetch(&threads_alive, 1, __ATOMIC_SEQ_CST);
	return -rc;
}

static void op_thread(enum op op)
{
	struct segrec r;
	int rc;

	if (op == OP_thread_attach) {
		if (!pick_seg(&r))
			return;
		rc = start_thread(
		    attacher_main,
		    (void *)(((uintptr_t)r.shmid << 2) | (rnd(2) << 1) | (rnd(4) == 0)), 64 * 1024);
		WHAT("ns=%" PRIu64 " id=%d", cur_ns, r.shmid);
		if (rc != -EAGAIN)
			done(op, rc == 0);
		return;
	}
	rng = mix_seed(rnd64()); /* the new thread's stream (this one ends) */
	rc = start_thread(flow_main, NULL, 256 * 1024);
	if (rc == -EAGAIN)
		return;
	WHAT("%s exits", gettid_raw() == getpid() ? "the main thread" : "the thread");
	done(op, rc == 0);
	if (rc)
		return;
	__atomic_sub_fetch(&threads_alive, 1, __ATOMIC_SEQ_CST);
	if (gettid_raw() == getpid())
		syscall(SYS_exit, 0L);
	pthread_exit(NULL);
}

static void op_exec(void)
{
	set_stream_arg(mix_seed(rnd64()));
	WHAT("stream %s", arg_stream);
	done(OP_exec, 1); /* counted before: the new image cannot */
	execv(self_exe, worker_argv);
	__atomic_sub_fetch(&sh->ok[OP_exec], 1, __ATOMIC_RELAXED);
	done(OP_exec, 0);
}

static void op_exit(void)
{
	if (!may_exit())
		return;
	done(OP_exit, 1);
	_exit(0);
}

/* ---- namespaces ----------------------------------------------------------------------------- */

static void op_unshare(void)
{
	int forced;

	if (!single_threaded() || in_new_ns() || new_ns_alive() >= MAX_NEW_NS)
		return;
	if (unshare(CLONE_NEWIPC) < 0) {
		done(OP_unshare, 0);
		return;
	}
	cur_ns = ns_self();
	forced = rnd(3) == 0 && write_sysctl("/proc/sys/kernel/shm_rmid_forced", 1) == 0;
	add_ns(cur_ns, getpid(), NS_NEW, forced);
	WHAT("ns=%" PRIu64 " forced=%d", cur_ns, forced);
	done(OP_unshare, 1);
}

/* shm_rmid_forced=1 later in a namespace a worker made: its orphans go at once. Not in the
 * kept ones, two of which keep the rule it changes (the other has it from the start). */
static void op_rmid_forced(void)
{
	if (!in_new_ns())
		return;
	if (write_sysctl("/proc/sys/kernel/shm_rmid_forced", 1) < 0) {
		done(OP_rmid_forced, 0);
		return;
	}
	note("nsforced %" PRIu64, cur_ns);
	WHAT("ns=%" PRIu64, cur_ns);
	done(OP_rmid_forced, 1);
}

static void op_setns(void)
{
	uint64_t n = __atomic_load_n(&sh->ns_seq, __ATOMIC_ACQUIRE);
	uint64_t span = n < MAX_NS ? n : MAX_NS;
	struct nsrec r;
	int fd, rc;

	if (!single_threaded() || in_new_ns() || !span)
		return;
	/* The first records (ours, the kept ones) or a recent new one. */
	if (!get_ns(rnd(2) ? rnd((uint32_t)(1 + sh->nkeepers)) : n - 1 - rnd(span < 32 ? span : 32),
		    &r) ||
	    r.inum == cur_ns)
		return;
	fd = open_ns(&r);
	if (fd < 0)
		return;
	rc = setns(fd, CLONE_NEWIPC);
	close(fd);
	if (rc == 0)
		cur_ns = ns_self();
	WHAT("ns=%" PRIu64, r.inum);
	done(OP_setns, rc == 0);
}

/* ---- address space -------------------------------------------------------------------------- */

static void op_mremap(enum op op)
{
	const struct mline *v = pick_vma();
	size_t len, grow;
	char *a, *to, *m;

	if (!v)
		return;
	len = v->end - v->start;
	switch (op) {
	case OP_mremap_move:
		sub_range(v, &a, &len);
		to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to == MAP_FAILED) {
			done(op, 0);
			return;
		}
		m = mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (m == MAP_FAILED)
			munmap(to, len);
		break;
	case OP_mremap_grow:
		grow = (1 + rnd(4)) * page;
		m = mremap((void *)v->start, len, len + grow, MREMAP_MAYMOVE);
		break;
	case OP_mremap_shrink:
		if (len < 2 * (size_t)page)
			return;
		m = mremap((void *)v->start, len,
			   len - (1 + rnd((uint32_t)(len / page - 1))) * page, 0);
		break;
	default: /* old size 0: a second mapping of the same pages */
		m = mremap((void *)v->start, 0, len, MREMAP_MAYMOVE);
		break;
	}
	WHAT("vma %#lx-%#lx id %lu: %p+%zu -> %p", (unsigned long)v->start, (unsigned long)v->end,
	     v->inode, op == OP_mremap_move ? (void *)a : (void *)v->start, len, (void *)m);
	done(op, m != MAP_FAILED);
}

static void op_part(enum op op)
{
	static const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
	const struct mline *v = pick_vma();
	char *a;
	size_t len;
	int rc;

	if (!v)
		return;
	sub_range(v, &a, &len);
	switch (op) {
	case OP_mprotect:
		rc = mprotect(a, len, prots[rnd(3)]);
		break;
	case OP_munmap:
		rc = munmap(a, len);
		break;
	case OP_map_fixed:
		rc = mmap(a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
			     MAP_FAILED
			 ? -1
			 : 0;
		break;
	case OP_dontfork:
		rc = madvise(a, len, MADV_DONTFORK);
		break;
	case OP_dofork:
		rc = madvise(a, len, MADV_DOFORK);
		break;
	default:
		rc = rnd(2) ? mlock(a, len) : munlock(a, len);
		break;
	}
	WHAT("vma %#lx-%#lx id %lu: %p+%zu", (unsigned long)v->start, (unsigned long)v->end,
	     v->inode, (void *)a, len);
	done(op, rc == 0);
}

/* ---- the program -------------------------------------------------------------------------- */

static enum op pick_op(void)
{
	int r = (int)rnd((uint32_t)sh->total_weight);

	for (int i = 0; i < NOPS; i++) {
		if (r < sh->weight[i])
			return (enum op)i;
		r -= sh->weight[i];
	}
	return OP_attach;
}

/* --ops LIST (only these) or --no-ops LIST (all but these): comma-separated names. */
static void choose_ops(char *list, int only)
{
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		int i;

		for (i = 0; i < NOPS && strcmp(op_names[i], name); i++)
			;
		if (i == NOPS)
			die("no operation '%s'", name);
		if (only)
			sh->weight[i] = -op_weights[i]; /* chosen: made positive below */
		else
			sh->weight[i] = 0;
	}
	for (int i = 0; i < NOPS; i++)
		sh->weight[i] = only ? (sh->weight[i] < 0 ? -sh->weight[i] : 0) : sh->weight[i];
}

static void step(enum op op)
{
	switch (op) {
	case OP_create:
		op_create(op, 0);
		break;
	case OP_create_reuse:
		op_create(op, 1);
		break;
	case OP_open_key:
		op_create(op, 2);
		break;
	case OP_attach:
	case OP_attach_ro:
	case OP_attach_fixed:
	case OP_attach_remap:
		op_attach(op);
		break;
	case OP_detach:
		op_detach();
		break;
	case OP_rmid:
	case OP_lock:
	case OP_ipc_set:
		op_ctl(op);
		break;
	case OP_fork:
		op_fork();
		break;
	case OP_vfork_exec:
		op_vfork(op, 0);
		break;
	case OP_vfork_exit:
		op_vfork(op, 1);
		break;
	case OP_vfork_shm:
		op_vfork(op, 2);
		break;
	case OP_spawn:
		op_spawn();
		break;
	case OP_clone_vm:
		op_clone_vm();
		break;
	case OP_thread_attach:
	case OP_thread_takeover:
		op_thread(op);
		break;
	case OP_exec:
		op_exec();
		break;
	case OP_exit:
		op_exit();
		break;
	case OP_unshare:
		op_unshare();
		break;
	case OP_rmid_forced:
		op_rmid_forced();
		break;
	case OP_setns:
		op_setns();
		break;
	case OP_mremap_move:
	case OP_mremap_grow:
	case OP_mremap_shrink:
	case OP_mremap_dup:
		op_mremap(op);
		break;
	default:
		op_part(op);
		break;
	}
}

static void worker_loop(void)
{
	while (now_ms() < pop->deadline_ms) {
		step(pick_op());
		nap(sh->nap_min + (int)rnd((uint32_t)(sh->nap_max - sh->nap_min + 1)));
	}
	/* Stop here, holding what we hold, until the supervisor goes. */
	record_parked(getpid());
	park();
}

/* What every worker image sets up before its program: the shared mapping, its arena. */
static void map_shared(void)
{
	ssize_t n;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	pop = &sh->pop;
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		die("readlink /proc/self/exe: %s", strerror(errno));
	self_exe[n] = 0;
	snprintf(arg_out, sizeof(arg_out), "%d", out_fd);
	snprintf(arg_life, sizeof(arg_life), "%d", life_fd);
	snprintf(arg_shared, sizeof(arg_shared), "%d", shared_fd);
}

static __attribute__((noreturn)) void start_program(void)
{
	catch_fatal();
	arena_len = (size_t)ARENA_PAGES * page;
	arena = mmap(NULL, arena_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		arena = NULL;
	cur_ns = ns_self();
	worker_loop();
}

/* ---- the supervisor -------------------------------------------------------------------------- */

static long huge_pages(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "re");
	long n = 0;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

static long huge_page_size(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* A keeper: the first process of a kept namespace, in it from start to end. */
static __attribute__((noreturn)) void keeper(int forced)
{
	if (unshare(CLONE_NEWIPC) < 0)
		die("unshare(CLONE_NEWIPC): %s", strerror(errno));
	cur_ns = ns_self();
	if (forced && write_sysctl("/proc/sys/kernel/shm_rmid_forced", 1) < 0)
		die("shm_rmid_forced: %s", strerror(errno));
	add_ns(cur_ns, getpid(), NS_KEPT, forced);
	wait_end();
}

/* At the end: our segments in our namespace go (the others go with their namespaces). */
static void remove_ours(const char *ready)
{
	FILE *f = fopen(ready, "re");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct segrec r = {0};
		unsigned long long ns, size;
		unsigned key;
		int sup, cpid;

		if (sscanf(line, "%d shmid %d %llu 0x%x %llu %d", &sup, &r.shmid, &ns, &key, &size,
			   &cpid) != 6 ||
		    ns != sh->root_ns)
			continue;
		r.ns = ns;
		r.size = size;
		r.cpid = cpid;
		if (still_ours(&r))
			shmctl(r.shmid, IPC_RMID, NULL);
	}
	fclose(f);
}

static void write_pids(const char *path)
{
	FILE *f = fopen(path, "we");
	int n = __atomic_load_n(&sh->nparked, __ATOMIC_ACQUIRE);

	if (!f)
		die("open %s: %s", path, strerror(errno));
	if (n > MAX_PARKED)
		die("%d flows parked, more than the %d this program can list", n, MAX_PARKED);
	for (int i = 0; i < n; i++)
		fprintf(f, "%d\n", __atomic_load_n(&sh->parked_pid[i], __ATOMIC_ACQUIRE));
	for (int i = 0; i < sh->nkeepers; i++)
		fprintf(f, "%d\n", sh->keeper[i]);
	if (fclose(f))
		die("write %s: %s", path, strerror(errno));
}

/* When flows do not park: which of our processes (all of them descend from us: we are their
 * subreaper) did not, in what state, and where the kernel has them wait. */
static void report_unparked(void)
{
	int n = __atomic_load_n(&sh->nparked, __ATOMIC_ACQUIRE);
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (n > MAX_PARKED)
		n = MAX_PARKED;
	while (d && (de = readdir(d))) {
		char path[64], buf[512], wchan[64] = "?", *p;
		int pid = atoi(de->d_name), ppid = 0, threads = 0, parked = 0, fd;
		ssize_t len;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		p = strrchr(buf, ')');
		if (!p || strncmp(buf + strlen(de->d_name) + 2, "shmw-difftest", 13) ||
		    sscanf(p + 2,
			   "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %d",
			   &ppid, &threads) != 2)
			continue;
		for (int i = 0; i < n && !parked; i++)
			parked = __atomic_load_n(&sh->parked_pid[i], __ATOMIC_ACQUIRE) == pid;
		for (int i = 0; i < sh->nkeepers && !parked; i++)
			parked = sh->keeper[i] == pid;
		if (parked || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			len = read(fd, wchan, sizeof(wchan) - 1);
			wchan[len > 0 ? len : 0] = 0;
			close(fd);
		}
		say("unparked %d state %c ppid %d threads %d wchan %s", pid, p[2], ppid, threads,
		    wchan);
	}
	if (d)
		closedir(d);
}

static void print_stats(void)
{
	char buf[2048];
	int n = 0;

	for (int i = 0; i < NOPS && n < (int)sizeof(buf) - 64; i++)
		if (sh->weight[i])
			n += snprintf(buf + n, sizeof(buf) - n, " %s=%ld/%ld", op_names[i],
				      sh->ok[i], sh->failed[i]);
	say("stats%s", buf);
	say("procs %ld", sh->procs);
}

int main(int argc, char **argv)
{
	long seconds = 20, procs = 50, nkeep = 3;
	const char *ready = NULL, *pids = NULL;
	uint64_t seed = 0;
	int life[2], i = 1, parked, left = 0, sig;
	sigset_t set;

	page = sysconf(_SC_PAGESIZE);
	if (argc == 6 && strcmp(argv[1], "--worker") == 0) {
		out_fd = atoi(argv[2]);
		life_fd = atoi(argv[3]);
		shared_fd = atoi(argv[4]);
		map_shared();
		rng = strtoull(argv[5], NULL, 16);
		if (!rng)
			rng = 1;
		start_program();
	}
	if (i + 1 < argc && strcmp(argv[i], "--ready") == 0) {
		ready = argv[i + 1];
		out_fd = open(ready, O_WRONLY | O_CREAT | O_APPEND, 0644); /* workers write too */
		if (out_fd < 0) {
			fprintf(stderr, "shmw-difftest: open %s: %s\n", ready, strerror(errno));
			return 1;
		}
		i += 2;
	}
	say("start");
	shared_fd = memfd_create("shmw-difftest", 0); /* inherited across exec on purpose */
	if (shared_fd < 0 || ftruncate(shared_fd, sizeof(struct shared)) < 0)
		die("memfd: %s", strerror(errno));
	/* The read end stays open in every worker (and across exec); the write end only here. */
	if (pipe(life) < 0 || fcntl(life[1], F_SETFD, FD_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	life_fd = life[0];
	map_shared();
	sh->supervisor = getpid();
	sh->nap_min = 5;
	sh->nap_max = 40;
	memcpy(sh->weight, op_weights, sizeof(sh->weight));
	sh->trace_fd = -1;
	for (; i < argc; i += 2) {
		if (i + 1 >= argc)
			die("option %s needs a value", argv[i]);
		if (!strcmp(argv[i], "--seconds"))
			seconds = parse_num(argv[i + 1], 1, 86400, "seconds");
		else if (!strcmp(argv[i], "--procs"))
			procs = parse_num(argv[i + 1], 2, 2000, "process count");
		else if (!strcmp(argv[i], "--namespaces"))
			nkeep = parse_num(argv[i + 1], 0, MAX_KEEPERS, "namespace count");
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--pids"))
			pids = argv[i + 1];
		else if (!strcmp(argv[i], "--trace")) {
			/* Not close-on-exec: every worker image writes to it. */
			sh->trace_fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (sh->trace_fd < 0)
				die("open %s: %s", argv[i + 1], strerror(errno));
		} else if (!strcmp(argv[i], "--ops"))
			choose_ops(argv[i + 1], 1);
		else if (!strcmp(argv[i], "--no-ops"))
			choose_ops(argv[i + 1], 0);
		else if (!strcmp(argv[i], "--nap")) {
			char *dash = strchr(argv[i + 1], '-');

			if (!dash)
				die("--nap wants MIN-MAX (ms)");
			*dash = 0;
			sh->nap_min = (int)parse_num(argv[i + 1], 0, 10000, "nap minimum");
			sh->nap_max = (int)parse_num(dash + 1, sh->nap_min, 10000, "nap maximum");
		} else
			die("unknown option %s", argv[i]);
	}
	for (int k = 0; k < NOPS; k++)
		sh->total_weight += sh->weight[k];
	if (!sh->total_weight)
		die("no operation left to run");
	if (!seed)
		seed = mix_seed(((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL));
	say("seed %" PRIu64, seed);
	/* Our keys in our namespace: this run's, so that another run's (one that was killed before
	 * it removed its segments) neither count nor collide. */
	sh->root_keys = ROOT_KEY_BASE | (uint32_t)(mix_seed(seed ^ (uint64_t)getpid()) & 0xff) << 8;
	sh->huge_size = huge_page_size();
	sh->hugetlb = huge_pages() > 0 && sh->huge_size > 0;
	say("hugetlb %s", sh->hugetlb ? "yes" : "no");
	sh->root_ns = cur_ns = ns_self();
	add_ns(cur_ns, getpid(), NS_ROOT, 0);

	/* Orphaned workers come back to us, and nobody stays a zombie (SIGCHLD ignored: the
	 * kernel reaps them; the disposition survives exec). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	signal(SIGCHLD, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));

	/* The kept namespaces, each recorded before any worker starts. */
	for (long k = 0; k < nkeep; k++) {
		uint64_t want = __atomic_load_n(&sh->ns_seq, __ATOMIC_ACQUIRE) + 1;
		pid_t c = fork();
		int64_t until = now_ms() + 5000;

		if (c < 0)
			die("fork: %s", strerror(errno));
		if (c == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			close(life[1]);
			keeper(k == 1);
		}
		sh->keeper[sh->nkeepers++] = c;
		while (__atomic_load_n(&sh->ns_seq, __ATOMIC_ACQUIRE) < want)
			if (now_ms() > until)
				die("keeper %d did not make its namespace", c);
			else
				usleep(1000);
	}

	pop->max_procs = (int)procs;
	pop->deadline_ms = now_ms() + seconds * 1000;
	pop->alive = (int)procs;
	for (long k = 0; k < procs; k++) {
		pid_t c = fork();

		if (c < 0) {
			give_slot();
			say("error fork: %s", strerror(errno));
			continue;
		}
		if (c == 0) {
			struct nsrec r;

			sigprocmask(SIG_UNBLOCK, &set, NULL);
			close(life[1]);
			rng = mix_seed(seed + (uint64_t)k);
			/* Spread over our namespace and the kept ones. */
			if (k % (nkeep + 1) && get_ns((uint64_t)(k % (nkeep + 1)), &r)) {
				int fd = open_ns(&r);

				if (fd < 0 || setns(fd, CLONE_NEWIPC) < 0)
					die("setns into kept namespace %" PRIu64 ": %s", r.inum,
					    strerror(errno));
				close(fd);
			}
			start_program();
		}
		count_proc();
	}
	parked = wait_parked(60000, &left);
	print_stats();
	if (parked < 0) {
		report_unparked();
		if (pids)
			write_pids(pids);
		if (ready)
			remove_ours(ready);
		die("%d flows did not stop 60 s after the deadline", left);
	}
	if (pids)
		write_pids(pids);
	say("ready %d", parked);
	while (sigwait(&set, &sig) != 0)
		;
	say("exiting");
	if (ready)
		remove_ours(ready);
	return 0;
}
