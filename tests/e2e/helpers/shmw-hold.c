/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-hold: the workload driver of the end-to-end tests. It runs a list of operations on
 * SysV shared memory given in argv, in order, then blocks until SIGUSR1 (then exit(0)) or until
 * it is killed.
 *
 *   shmw-hold [--ready FILE] OP...
 *
 * Progress goes to FILE (appended, one write(2) per line, so the processes that share it do not
 * mix lines) or to stdout. Every line starts with the pid of the process that wrote it:
 *   PID start                    first line of every shmw-hold image (also after exec of itself)
 *   PID shmid ID NS KEY SIZE     after create/use (NS: IPC namespace inode, KEY as 0x%08x)
 *   PID attach ADDR              after attach;  PID detach ADDR after detach
 *   PID child CPID               fork: the parent's line; the child writes "CPID forked PPID"
 *   PID sibling SPID             clone-vm: the original's line
 *   PID vfork-child CPID         written by the vfork child itself before it blocks;
 *   PID vfork-done CPID          written by the parent once the child has exited
 *   PID threads N                threads started;  PID thread-exited N  (N left)
 *   PID ns INUM SINCE            after unshare-ipc (SINCE: the realtime clock just before it, as
 *                                2026-11-28T09:03:57.123456Z: a namespace inode is reused once
 *                                the namespace is gone, and the log's lines from before SINCE
 *                                are an earlier namespace's);  PID next-id N after next-id
 *   PID rmid-forced N            after rmid-forced;  PID name NAME after name
 *   PID uids R E S               after setresuid: the real, effective and saved uid
 *   PID at-ms TIME               after at-ms: the realtime clock then (s.nanoseconds)
 *   PID split ADDR LEN WHAT      after mprotect-half, mprotect-page, munmap-page, dofork-half
 *                                and the other calls on pages of the last attachment below
 *   PID refused WHAT ERRNO       mseal-page, uring-madvise-page: the kernel refused the call
 *                                (ERRNO as ENOSYS, EPERM...); the ops go on
 *   PID moved OLD NEW            after mremap-move, mremap-page, mremap-page-to, mremap-grow
 *   PID rmid ID                  after rmid;  PID rmid-all N  after rmid-all
 *   PID locked ID                after lock;  PID unlocked ID after unlock
 *   PID signalled PID2           after signal
 *   PID clock TIME               after clock: the realtime clock then (s.nanoseconds)
 *   PID vfork-attached ADDR      written by a vfork-attach child after its shmat
 *   PID sibling-attached ADDR    clone-vm-attach: the original's line once the sibling attached
 *   PID fanout-child CPID        fanout: the parent's line for each child; the child's own
 *                                first line is "CPID fanned-out K PPID" (K: its index, 0..N-1)
 *   PID fanned N                 fanout: the parent forked all N children
 *   PID set-mode MODE            after set-mode (MODE as %04o)
 *   PID exec PATH                just before execve
 *   PID paused N                 pause number N (1, 2, ...) is waiting for SIGUSR1
 *   PID ready                    all ops done; waiting for SIGUSR1 (then exit 0) or a kill
 *   PID exiting                  just before exit(0) (exit op, or SIGUSR1 while ready)
 *   PID error TEXT               an op failed; the process exits 1
 *
 * Ops (one after the other with no pause between them, unless "pause"; a number written N+i
 * is N plus the index of the fanout child that runs it, N itself outside fanout):
 *   create KEY SIZE   shmget(KEY, SIZE, IPC_CREAT|IPC_EXCL|0640); KEY may be "private"
 *   create-many N SIZE  N times: shmget(IPC_PRIVATE, SIZE) and shmat it ("shmid" and "attach"
 *                     lines for each); the last one is the current segment
 *   use SHMID         operate on an existing segment
 *   attach [ro]       shmat (SHM_RDONLY with "ro"); pushes the address
 *   detach            shmdt the last pushed address (pops it)
 *   rmid              shmctl(IPC_RMID) on the current segment
 *   rmid-all          shmctl(IPC_RMID) on every segment this process created (those already
 *                     gone are skipped)
 *   lock, unlock      shmctl(SHM_LOCK), shmctl(SHM_UNLOCK) on the current segment
 *   signal PID        send SIGUSR1 to PID (a paused shmw-hold goes on at once: two processes'
 *                     calls back to back)
 *   clock             write the realtime clock
 *   vfork-attach      vfork; the child shmat's the current segment (into the parent's address
 *                     space, which it shares), writes "vfork-child", blocks until SIGUSR1, then
 *                     _exit(0); the parent keeps the attachment (pushed) and goes on
 *   vfork-attach-exec PATH ARGS...  the same, but the child execs PATH after SIGUSR1; the parent
 *                     writes "PID vfork-exec CPID" and goes on to "ready" (the rest of argv is
 *                     the child's)
 *   clone-vm-attach   clone(CLONE_VM|SIGCHLD) a sibling that shmat's the current segment (into
 *                     the shared address space) and blocks (SIGUSR1: exit_group 0); the original
 *                     keeps the attachment (pushed) and goes on
 *   clone-vm-attach-exec PATH ARGS...  the same, but the sibling execs PATH after SIGUSR1; the
 *                     original goes on to "ready" (the rest of argv is the sibling's)
 *   join-ipc PID      setns into the IPC namespace of PID
 *   fanout N          fork N children; each runs the ops that follow (with its own index for
 *                     N+i), the parent runs none of them: it waits for SIGUSR1, then exits
 *   set-mode MODE     shmctl(IPC_SET) of the current segment with permissions MODE (octal, 0600):
 *                     the kernel sets shm_ctime to now
 *   fork              fork; the child keeps what it inherited and blocks (SIGUSR1: exit 0)
 *   dontfork          madvise(MADV_DONTFORK) on the whole last attachment
 *   dofork-half       madvise(MADV_DOFORK) on the first half of it (splits the VMA)
 *   threads N         start N threads that block
 *   thread-exit       the newest running thread calls pthread_exit; the main thread joins it
 *   leader-exit       the main thread calls SYS_exit (the other threads keep the process)
 *   vfork             vfork; the child writes its line and blocks until SIGUSR1, then _exit(0)
 *   exec PATH ARGS... execve(PATH, [PATH, ARGS...]) (takes the rest of argv)
 *   vfork-exec PATH ARGS...  vfork, and the child execs PATH (like posix_spawn); the parent
 *                     writes "PID vfork-exec CPID" and goes on to "ready" (the rest of argv is
 *                     the child's)
 *   vfork-exec-exit PATH ARGS...  the same, but the parent writes "exiting" and exits (0) as
 *                     soon as it resumes: the child may still be inside its exec (its mm
 *                     switched, its exec event not yet fired)
 *   vfork-exec-exec PATH ARGS...  the same, but the parent writes "exec PATH" and execs PATH
 *                     ARGS too as soon as it resumes: its old address space ends in its exec,
 *                     maybe before the child's exec event
 *   churn N           N children at once, each: shmat, mprotect of page 0 if it is an even one,
 *                     fork a grandchild that exits, shmdt if its number divides by 3, exit.
 *                     Writes "PID churn-child CPID" for each, "PID churned N FAILED" at the end
 *   storm N           N pairs of shmat+shmdt of the current segment, as fast as it can (to
 *                     overflow a small ring buffer); writes "PID stormed N" after them
 *   blink MS          forever (until killed): shmat the current segment, fork a child that
 *                     exits at once every 4th time, shmdt, sleep MS ms: a steady trickle of
 *                     events (the runner's noise load, tests/e2e/noise.sh)
 *   reserve BYTES     find BYTES of free address space: the attachments that follow go side
 *                     by side from its start (a run), as one call can reach them all
 *   mprotect-run      mprotect(PROT_READ) from the middle of the run's first attachment to the
 *                     middle of its last (splits both ends)
 *   munmap-run        munmap the whole run (its attachments are popped)
 *   mprotect-half     mprotect(PROT_READ) the first half (in pages) of the last attachment
 *   mprotect-page N   mprotect(PROT_READ) page N of it
 *   munmap-page N     munmap page N of it
 *   mremap-move       move the last attachment to a new address (mremap MAYMOVE|FIXED)
 *   mremap-page N     move page N of the last attachment alone to a new address (cuts it)
 *   mremap-page-to N M  move page N of the last attachment onto its page M (MREMAP_FIXED:
 *                     what is at page M, mapped or not, is replaced)
 *   mremap-grow N     grow the last attachment by N pages (mremap MAYMOVE: it may move), past
 *                     the segment's end: pages there fault, but the VMA maps them
 *   mlock-page N, munlock-page N, mbind-page N (MPOL_BIND to node 0), mbind-all,
 *   home-node-page N (set_mempolicy_home_node to node 0: needs a bind policy, mbind-all),
 *   mseal-page N (refused before 6.10), mmap-fixed-page N (an anonymous MAP_FIXED mapping over
 *                     it), mmap-fixed-all (over the whole attachment, which is popped)
 *                     the call on page N of the last attachment (or all of it)
 *   madvise-half ADVICE, madvise-page N ADVICE   madvise (random, sequential, normal,
 *                     dontdump, dodump, willneed, dontneed) on the first half or on page N
 *   uring-madvise-page N ADVICE   the same through io_uring (IORING_OP_MADVISE): no madvise
 *                     syscall (refused where io_uring is switched off)
 *   remap-page N PGOFF  remap_file_pages: page N of the last attachment shows page PGOFF of
 *                     the segment (an mmap(MAP_FIXED) of the segment's file by the kernel)
 *   clone-vm          clone(CLONE_VM|SIGCHLD) a sibling that blocks (SIGUSR1: exit_group 0)
 *   unshare-ipc       unshare(CLONE_NEWIPC)
 *   next-id N         write N to /proc/sys/kernel/shm_next_id (refused in the root namespace)
 *   rmid-forced N     write N to /proc/sys/kernel/shm_rmid_forced (refused in the root namespace)
 *   name NAME         prctl(PR_SET_NAME, NAME): the comm the kernel (and shmwatch) reports
 *   setresuid R E S   setresuid(R, E, S): real, effective and saved uid (-1 keeps one); writes
 *                     "PID uids R E S" with the uids it has after
 *   at-ms N           sleep until the realtime clock is N ms (0-999) past a whole second, so
 *                     that the next op happens late (or early) in a second: shm_ctime, shm_dtime
 *                     are whole seconds
 *   pause             wait for SIGUSR1, then go on with the next op
 *   exit              exit(0) now
 *
 * SIGCHLD is ignored (children never linger as zombies); that disposition survives exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define ROOT_IPC_NS 4026531839UL /* 0xEFFFFFFF, PROC_IPC_INIT_INO */
/* mseal(2), 6.10: newer than the C library headers we build with (x86_64 number). */
#ifndef SYS_mseal
#define NR_MSEAL 462
#else
#define NR_MSEAL SYS_mseal
#endif

static int out_fd = STDOUT_FILENO;

#define HELPER_NAME "shmw-hold"
#include "report.h"
static int cur_shmid = -1;
static size_t cur_size;
/* Attachments, a stack (detach pops): as many as the kernel allows (create-many). */
static void **attach_addr;
static size_t *attach_len;
static int nattach, cap_attach;
/* Segments this process created (rmid-all). */
static int *created;
static int ncreated, cap_created;
/* fanout: this child's index, for N+i arguments (0 outside fanout). */
static long fan_index;
/* Written by a vfork-attach child or a clone-vm-attach sibling, which share our memory. */
static void *volatile shared_addr;
static volatile int shared_done;
/* reserve: attachments go side by side from run_next; the run starts at run_first. */
static char *run_next;
static int run_first = -1;
static long page_size;
static sigset_t usr1_set;

static pthread_t threads[MAX_THREADS];
static int thread_pipe[MAX_THREADS][2];
static int nthreads;

static const char *need_arg(int i, int argc, char **argv, const char *op)
{
	if (i >= argc)
		die("op %s needs an argument", op);
	return argv[i];
}

static unsigned long ipc_ns_inum(void)
{
	struct stat st;

	if (stat("/proc/self/ns/ipc", &st) < 0)
		die("stat /proc/self/ns/ipc: %s", strerror(errno));
	return (unsigned long)st.st_ino;
}

/* Waits for SIGUSR1 (blocked in every thread since start-up). */
static void wait_usr1(void)
{
	int sig;

	while (sigwait(&usr1_set, &sig) != 0)
		;
}

/* Writes N to a per-IPC-namespace sysctl (the callers refuse the root namespace). */
static void write_sysctl(const char *path, long n)
{
	char buf[32];
	int fd, len;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	len = snprintf(buf, sizeof(buf), "%ld\n", n);
	if (write(fd, buf, len) != len)
		die("write %s: %s", path, strerror(errno));
	close(fd);
}

static void report_segment(void)
{
	struct shmid_ds ds;

	if (shmctl(cur_shmid, IPC_STAT, &ds) < 0)
		die("shmctl(%d, IPC_STAT): %s", cur_shmid, strerror(errno));
	cur_size = ds.shm_segsz;
	say("shmid %d %lu 0x%08x %zu", cur_shmid, ipc_ns_inum(), (unsigned)ds.shm_perm.__key,
	    cur_size);
}

static void need_attach(const char *op)
{
	if (nattach == 0)
		die("op %s needs an attachment", op);
}

static void *xgrow(void *p, int *cap, size_t elem)
{
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(p, (size_t)*cap * elem);
	if (!p)
		die("out of memory");
	return p;
}

/* Pushes an attachment of the current segment at A. */
static void push_attach(void *a)
{
	if (nattach == cap_attach) {
		int cap = cap_attach;

		attach_addr = xgrow(attach_addr, &cap, sizeof(*attach_addr));
		attach_len = xgrow(attach_len, &cap_attach, sizeof(*attach_len));
	}
	attach_addr[nattach] = a;
	attach_len[nattach++] = (cur_size + page_size - 1) / page_size * page_size;
}

static void create_segment(key_t key, long size)
{
	cur_shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0640);
	if (cur_shmid < 0)
		die("shmget(0x%08x, %ld): %s", (unsigned)key, size, strerror(errno));
	if (ncreated == cap_created)
		created = xgrow(created, &cap_created, sizeof(*created));
	created[ncreated++] = cur_shmid;
}

/* NUMBER, or NUMBER+i: plus this fanout child's index. */
static long parse_num_i(const char *s, long min, long max, const char *what)
{
	size_t n = strlen(s);
	char buf[64];
	long v;

	if (n < 3 || strcmp(s + n - 2, "+i") != 0)
		return parse_num(s, min, max, what);
	if (n - 2 >= sizeof(buf))
		die("bad %s '%s'", what, s);
	memcpy(buf, s, n - 2);
	buf[n - 2] = 0;
	v = parse_num(buf, min, max, what);
	if (v > max - fan_index)
		die("%s '%s' is out of range for child %ld", what, s, fan_index);
	return v + fan_index;
}

/* vfork-attach(-exec): the child attaches the current segment into the address space it
 * shares with us; argv (when not NULL) is what it execs once told to go on. */
static __attribute__((noinline)) void do_vfork_attach(char **argv)
{
	pid_t c;

	shared_addr = NULL;
	c = vfork();
	if (c < 0)
		die("vfork: %s", strerror(errno));
	if (c == 0) {
		/* Shares our memory and stack: system calls and say() only, then exec or _exit. */
		siginfo_t si;
		void *a = shmat(cur_shmid, NULL, 0);

		if (a == (void *)-1) {
			say("error vfork child: shmat(%d) failed", cur_shmid);
			_exit(1);
		}
		shared_addr = a;
		say("vfork-attached %p", a);
		say("vfork-child %ld", (long)syscall(SYS_getpid));
		while (syscall(SYS_rt_sigtimedwait, &usr1_set, &si, NULL, 8) != SIGUSR1)
			;
		if (argv)
			execv(argv[0], argv);
		_exit(argv ? 127 : 0);
	}
	/* Resumed: the child has exec'd or exited; its attachment stays in our address space. */
	if (!shared_addr)
		die("vfork-attach: the child could not attach");
	push_attach(shared_addr);
	if (argv) {
		say("vfork-exec %ld", (long)c);
	} else {
		if (waitpid(c, NULL, 0) < 0 && errno != ECHILD)
			die("waitpid: %s", strerror(errno));
		say("vfork-done %ld", (long)c);
	}
}

struct sibling_arg {
	int shmid;
	char **argv; /* exec after SIGUSR1, or NULL: exit_group(0) */
};

/* The clone-vm-attach sibling: same address space, no TLS of its own, so raw system calls. */
static int sibling_attach_main(void *arg)
{
	struct sibling_arg *sa = arg;
	long a = syscall(SYS_shmat, sa->shmid, NULL, 0);

	shared_addr = (void *)a;
	shared_done = 1;
	for (;;) {
		siginfo_t si;

		if (syscall(SYS_rt_sigtimedwait, &usr1_set, &si, NULL, 8) != SIGUSR1)
			continue;
		if (sa->argv)
			syscall(SYS_execve, sa->argv[0], sa->argv, environ);
		syscall(SYS_exit_group, sa->argv ? 127 : 0);
	}
	return 0;
}

static void do_clone_vm_attach(char **argv)
{
	static struct sibling_arg sa;
	size_t stack_len = 64 * 1024;
	char *stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	struct timespec ms = {0, 1000000};
	pid_t c;

	if (stack == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (cur_shmid < 0)
		die("clone-vm-attach: no segment (create or use first)");
	sa.shmid = cur_shmid;
	sa.argv = argv;
	shared_done = 0;
	c = clone(sibling_attach_main, stack + stack_len, CLONE_VM | SIGCHLD, &sa);
	if (c < 0)
		die("clone: %s", strerror(errno));
	say("sibling %ld", (long)c);
	for (int k = 0; !shared_done; k++) {
		if (k == 10000)
			die("clone-vm-attach: the sibling did not attach in 10 s");
		nanosleep(&ms, NULL);
	}
	if (shared_addr == (void *)-1)
		die("clone-vm-attach: the sibling's shmat(%d) failed", cur_shmid);
	push_attach(shared_addr);
	say("sibling-attached %p", shared_addr);
}

/* fanout: returns in each child (which runs the ops that follow); the parent never returns. */
static void do_fanout(long n)
{
	for (long k = 0; k < n; k++) {
		pid_t c = fork();

		if (c < 0)
			die("fork: %s", strerror(errno));
		if (c == 0) {
			fan_index = k;
			say("fanned-out %ld %ld", k, (long)getppid());
			return;
		}
		say("fanout-child %ld", (long)c);
	}
	say("fanned %ld", n);
	wait_usr1();
	say("exiting");
	exit(0);
}

static void *thread_main(void *arg)
{
	int fd = *(int *)arg;
	char c;

	/* Blocks until thread-exit writes a byte (or the process dies). */
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	pthread_exit(NULL);
}

/* The CLONE_VM sibling: same address space, no TLS of its own, so raw system calls only. */
static int sibling_main(void *arg)
{
	(void)arg;
	for (;;) {
		siginfo_t si;

		if (syscall(SYS_rt_sigtimedwait, &usr1_set, &si, NULL, 8) == SIGUSR1)
			syscall(SYS_exit_group, 0);
	}
	return 0;
}

/* madvise advice by name (madvise-half, madvise-page, uring-madvise-page): some cut a SysV
 * VMA (they change its flags), some never do. */
static const struct {
	const char *name;
	int advice;
} advices[] = {
    {"random", MADV_RANDOM},	 {"sequential", MADV_SEQUENTIAL}, {"normal", MADV_NORMAL},
    {"dontdump", MADV_DONTDUMP}, {"dodump", MADV_DODUMP},	  {"willneed", MADV_WILLNEED},
    {"dontneed", MADV_DONTNEED},
};

static int advice_of(const char *name)
{
	for (size_t i = 0; i < sizeof(advices) / sizeof(advices[0]); i++)
		if (strcmp(name, advices[i].name) == 0)
			return advices[i].advice;
	die("unknown madvise advice '%s'", name);
}

/* madvise through io_uring (IORING_OP_MADVISE): the kernel runs it without the madvise
 * syscall. One ring, one request, torn down again. Returns 0 or -errno. */
static int uring_madvise(void *p, size_t n, int advice)
{
	struct io_uring_params prm;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqe;
	size_t sqlen, cqlen, sqelen;
	char *sq = MAP_FAILED, *cq = MAP_FAILED;
	unsigned *tail;
	int fd, rc;

	memset(&prm, 0, sizeof(prm));
	fd = (int)syscall(SYS_io_uring_setup, 1, &prm);
	if (fd < 0)
		return -errno;
	sqlen = prm.sq_off.array + prm.sq_entries * sizeof(unsigned);
	cqlen = prm.cq_off.cqes + prm.cq_entries * sizeof(struct io_uring_cqe);
	sqelen = prm.sq_entries * sizeof(struct io_uring_sqe);
	sq = mmap(NULL, sqlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	cq = mmap(NULL, cqlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_CQ_RING);
	sqes = mmap(NULL, sqelen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		    IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		die("io_uring mmap: %s", strerror(errno));
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_MADVISE;
	sqes[0].addr = (uintptr_t)p;
	sqes[0].len = (unsigned)n;
	sqes[0].fadvise_advice = (unsigned)advice;
	((unsigned *)(sq + prm.sq_off.array))[0] = 0;
	tail = (unsigned *)(sq + prm.sq_off.tail);
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		die("io_uring_enter: %s", strerror(errno));
	cqe = (struct io_uring_cqe *)(cq + prm.cq_off.cqes);
	rc =
	    cqe[*(unsigned *)(cq + prm.cq_off.head) & *(unsigned *)(cq + prm.cq_off.ring_mask)].res;
	munmap(sqes, sqelen);
	munmap(cq, cqlen);
	munmap(sq, sqlen);
	close(fd);
	return rc;
}

/* One call on pages first_page.. (npages) of the last attachment; arg: madvise's advice,
 * remap_file_pages' pgoff. Returns 0 or -1 with errno. */
static int cut(const char *what, char *p, size_t n, long arg)
{
	unsigned long node0 = 1;

	if (strcmp(what, "mprotect") == 0)
		return mprotect(p, n, PROT_READ);
	if (strcmp(what, "munmap") == 0)
		return munmap(p, n);
	if (strcmp(what, "dofork") == 0)
		return madvise(p, n, MADV_DOFORK);
	if (strcmp(what, "dontfork") == 0)
		return madvise(p, n, MADV_DONTFORK);
	if (strcmp(what, "madvise") == 0)
		return madvise(p, n, (int)arg);
	/* Raw syscalls: under ASan mlock and munlock do nothing (it does not support them), and
	 * the point here is what the kernel does. */
	if (strcmp(what, "mlock") == 0)
		return (int)syscall(SYS_mlock, p, n);
	if (strcmp(what, "munlock") == 0)
		return (int)syscall(SYS_munlock, p, n);
	if (strcmp(what, "mbind") == 0) /* node 0 exists everywhere */
		return (int)syscall(SYS_mbind, p, n, MPOL_BIND, &node0, 2, 0);
	if (strcmp(what, "home-node") == 0)
		return (int)syscall(SYS_set_mempolicy_home_node, p, n, 0, 0);
	if (strcmp(what, "mseal") == 0)
		return (int)syscall(NR_MSEAL, p, n, 0);
	if (strcmp(what, "remap") == 0)
		return remap_file_pages(p, n, 0, (size_t)arg, 0);
	if (strcmp(what, "mmap-fixed") == 0)
		return mmap(p, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			    -1, 0) == MAP_FAILED
			   ? -1
			   : 0;
	if (strcmp(what, "uring-madvise") == 0) {
		int rc = uring_madvise(p, n, (int)arg);

		errno = -rc;
		return rc ? -1 : 0;
	}
	die("cut: unknown call %s", what);
}

/* Runs `what` on pages first_page.. of the last attachment and says "split ADDR LEN WHAT".
 * A call the kernel may refuse (may_refuse: mseal before 6.10, io_uring switched off) says
 * "refused WHAT ERRNO" instead and the ops go on: the scenario then proves what the kernel
 * did. */
static void split_range(const char *what, size_t first_page, size_t npages, long arg,
			bool may_refuse)
{
	char *a = attach_addr[nattach - 1];
	size_t len = attach_len[nattach - 1];
	size_t off = first_page * page_size, n = npages * page_size;

	if (off + n > len || n == 0)
		die("%s: pages %zu+%zu outside the %zu-byte attachment", what, first_page, npages,
		    len);
	if (cut(what, a + off, n, arg) < 0) {
		if (may_refuse) {
			say("refused %s %s", what, strerrorname_np(errno));
			return;
		}
		die("%s: %s", what, strerror(errno));
	}
	say("split %p %zu %s", (void *)(a + off), n, what);
}

/* The ops "CALL-page N" that run one call on page N of the last attachment (see cut). */
static bool page_op(const char *op)
{
	static const char *const calls[] = {"mlock",	 "munlock", "mbind",
					    "home-node", "mseal",   "mmap-fixed"};
	size_t len = strlen(op);

	if (len < 6 || strcmp(op + len - 5, "-page") != 0)
		return false;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (strlen(calls[i]) == len - 5 && strncmp(op, calls[i], len - 5) == 0)
			return true;
	return false;
}

/* vfork-exec: the child execs argv[0] with argv; the parent resumes once it has. */
static __attribute__((noinline)) void do_vfork_exec(char **argv, int then)
{
	pid_t c = vfork();

	if (c < 0)
		die("vfork: %s", strerror(errno));
	if (c == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	say("vfork-exec %ld", (long)c);
	if (then == 1) {
		say("exiting"); /* then at once: the child may still be inside its exec */
		_exit(0);
	}
	if (then == 2) {
		say("exec %s", argv[0]);
		execv(argv[0], argv);
		die("execv %s: %s", argv[0], strerror(errno));
	}
}

/* One churn child: see the op list. Exits 0 when every step worked. */
static void churn_child(long k)
{
	char *a = shmat(cur_shmid, NULL, 0);
	pid_t g;

	if (a == (void *)-1)
		_exit(1);
	if (k % 2 == 0 && cur_size > (size_t)page_size && mprotect(a, page_size, PROT_READ) < 0)
		_exit(2);
	g = fork();
	if (g < 0)
		_exit(3);
	if (g == 0)
		_exit(0);
	if (waitpid(g, NULL, 0) < 0)
		_exit(4);
	if (k % 3 == 0 && shmdt(a) < 0)
		_exit(5);
	_exit(0);
}

static void do_churn(long n)
{
	long failed = 0, left = n;

	if (cur_shmid < 0)
		die("churn: no segment (create or use first)");
	signal(SIGCHLD, SIG_DFL); /* to collect the exit statuses */
	for (long k = 0; k < n; k++) {
		pid_t c = fork();

		if (c < 0)
			die("fork: %s", strerror(errno));
		if (c == 0)
			churn_child(k);
		say("churn-child %ld", (long)c);
	}
	while (left > 0) {
		int status;

		if (wait(&status) < 0) {
			if (errno == EINTR)
				continue;
			die("wait: %s", strerror(errno));
		}
		left--;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	signal(SIGCHLD, SIG_IGN);
	say("churned %ld %ld", n, failed);
}

/* In its own function so that vfork cannot clobber main's variables. */
static __attribute__((noinline)) void do_vfork(void)
{
	int status;
	pid_t c = vfork();

	if (c < 0)
		die("vfork: %s", strerror(errno));
	if (c == 0) {
		/* Shares our memory and stack: system calls only, then _exit. */
		siginfo_t si;

		say("vfork-child %ld", (long)syscall(SYS_getpid));
		while (syscall(SYS_rt_sigtimedwait, &usr1_set, &si, NULL, 8) != SIGUSR1)
			;
		_exit(0);
	}
	/* SIGCHLD is ignored, so waitpid waits for the exit, then says ECHILD. */
	if (waitpid(c, &status, 0) < 0 && errno != ECHILD)
		die("waitpid: %s", strerror(errno));
	say("vfork-done %ld", (long)c);
}

int main(int argc, char **argv)
{
	int i = 1, npause = 0;

	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (i + 1 < argc && strcmp(argv[i], "--ready") == 0) {
		out_fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			fprintf(stderr, "shmw-hold: open %s: %s\n", argv[i + 1], strerror(errno));
			return 1;
		}
		i += 2;
	}
	sigemptyset(&usr1_set);
	sigaddset(&usr1_set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &usr1_set, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	/* Children (fork, clone-vm, vfork) are reaped by the kernel: none stays a zombie. */
	signal(SIGCHLD, SIG_IGN);
	say("start");

	for (; i < argc; i++) {
		const char *op = argv[i];

		if (strcmp(op, "create") == 0) {
			const char *k = need_arg(++i, argc, argv, op);
			long size = parse_num_i(need_arg(++i, argc, argv, op), 1, LONG_MAX, "size");
			key_t key = strcmp(k, "private") == 0
					? IPC_PRIVATE
					: (key_t)(uint32_t)parse_num_i(k, 0, 0xffffffffL, "key");

			create_segment(key, size);
			report_segment();
		} else if (strcmp(op, "create-many") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 1, 1000000, "count");
			long size = parse_num_i(need_arg(++i, argc, argv, op), 1, LONG_MAX, "size");

			for (long k = 0; k < n; k++) {
				void *a;

				create_segment(IPC_PRIVATE, size);
				report_segment();
				a = shmat(cur_shmid, NULL, 0);
				if (a == (void *)-1)
					die("shmat(%d): %s", cur_shmid, strerror(errno));
				push_attach(a);
				say("attach %p", a);
			}
		} else if (strcmp(op, "use") == 0) {
			cur_shmid =
			    (int)parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "shmid");
			report_segment();
		} else if (strcmp(op, "attach") == 0) {
			int ro = i + 1 < argc && strcmp(argv[i + 1], "ro") == 0;
			void *a;

			if (ro)
				i++;
			if (cur_shmid < 0)
				die("attach: no segment (create or use first)");
			a = shmat(cur_shmid, run_next, ro ? SHM_RDONLY : 0);
			if (a == (void *)-1)
				die("shmat(%d): %s", cur_shmid, strerror(errno));
			push_attach(a);
			if (run_next)
				run_next += attach_len[nattach - 1];
			say("attach %p", a);
		} else if (strcmp(op, "reserve") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 1, INT_MAX, "bytes");
			void *r =
			    mmap(NULL, (size_t)n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			/* Find room, then free it for the attachments to come (nothing else maps
			 * in between: this process is single-threaded here). */
			if (r == MAP_FAILED || munmap(r, (size_t)n) < 0)
				die("reserve: %s", strerror(errno));
			run_next = r;
			run_first = nattach;
			say("reserve %p %ld", r, n);
		} else if (strcmp(op, "mprotect-run") == 0 || strcmp(op, "munmap-run") == 0) {
			char *lo, *hi;
			int rc;

			if (run_first < 0 || run_first >= nattach)
				die("%s: no attachments after reserve", op);
			lo = (char *)attach_addr[run_first];
			hi = (char *)attach_addr[nattach - 1] + attach_len[nattach - 1];
			if (op[1] == 'p') {
				/* From the middle of the first to the middle of the last: every
				 * segment of the run at once, the two ends split. */
				lo += attach_len[run_first] / page_size / 2 * page_size;
				hi -= attach_len[nattach - 1] / page_size / 2 * page_size;
				rc = mprotect(lo, (size_t)(hi - lo), PROT_READ);
			} else {
				rc = munmap(lo, (size_t)(hi - lo));
				nattach = run_first;
				run_first = -1;
				run_next = NULL;
			}
			if (rc < 0)
				die("%s: %s", op, strerror(errno));
			say("split %p %zu %s", (void *)lo, (size_t)(hi - lo), op);
		} else if (strcmp(op, "detach") == 0) {
			need_attach(op);
			if (shmdt(attach_addr[nattach - 1]) < 0)
				die("shmdt(%p): %s", attach_addr[nattach - 1], strerror(errno));
			say("detach %p", attach_addr[--nattach]);
		} else if (strcmp(op, "rmid") == 0) {
			if (shmctl(cur_shmid, IPC_RMID, NULL) < 0)
				die("shmctl(%d, IPC_RMID): %s", cur_shmid, strerror(errno));
			say("rmid %d", cur_shmid);
		} else if (strcmp(op, "rmid-all") == 0) {
			int n = 0;

			for (int k = 0; k < ncreated; k++) {
				if (shmctl(created[k], IPC_RMID, NULL) == 0)
					n++;
				else if (errno != EINVAL && errno != EIDRM)
					die("shmctl(%d, IPC_RMID): %s", created[k],
					    strerror(errno));
			}
			say("rmid-all %d", n);
		} else if (strcmp(op, "lock") == 0 || strcmp(op, "unlock") == 0) {
			int lock = op[0] == 'l';

			if (shmctl(cur_shmid, lock ? SHM_LOCK : SHM_UNLOCK, NULL) < 0)
				die("shmctl(%d, %s): %s", cur_shmid,
				    lock ? "SHM_LOCK" : "SHM_UNLOCK", strerror(errno));
			say("%s %d", lock ? "locked" : "unlocked", cur_shmid);
		} else if (strcmp(op, "signal") == 0) {
			long pid = parse_num(need_arg(++i, argc, argv, op), 2, INT_MAX, "pid");

			if (kill((pid_t)pid, SIGUSR1) < 0)
				die("kill(%ld, SIGUSR1): %s", pid, strerror(errno));
			say("signalled %ld", pid);
		} else if (strcmp(op, "clock") == 0) {
			struct timespec now;

			clock_gettime(CLOCK_REALTIME, &now);
			say("clock %lld.%09ld", (long long)now.tv_sec, now.tv_nsec);
		} else if (strcmp(op, "vfork-attach") == 0) {
			if (cur_shmid < 0)
				die("vfork-attach: no segment (create or use first)");
			do_vfork_attach(NULL);
		} else if (strcmp(op, "vfork-attach-exec") == 0) {
			need_arg(i + 1, argc, argv, op);
			if (cur_shmid < 0)
				die("vfork-attach-exec: no segment (create or use first)");
			do_vfork_attach(&argv[i + 1]);
			i = argc;
		} else if (strcmp(op, "clone-vm-attach") == 0) {
			do_clone_vm_attach(NULL);
		} else if (strcmp(op, "clone-vm-attach-exec") == 0) {
			need_arg(i + 1, argc, argv, op);
			do_clone_vm_attach(&argv[i + 1]);
			i = argc;
		} else if (strcmp(op, "join-ipc") == 0) {
			long pid = parse_num(need_arg(++i, argc, argv, op), 1, INT_MAX, "pid");
			char path[64];
			int fd;

			snprintf(path, sizeof(path), "/proc/%ld/ns/ipc", pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				die("open %s: %s", path, strerror(errno));
			if (setns(fd, CLONE_NEWIPC) < 0)
				die("setns(%s): %s", path, strerror(errno));
			close(fd);
			say("ns %lu", ipc_ns_inum());
		} else if (strcmp(op, "fanout") == 0) {
			do_fanout(parse_num(need_arg(++i, argc, argv, op), 1, 100000, "count"));
		} else if (strcmp(op, "set-mode") == 0) {
			long mode = parse_num(need_arg(++i, argc, argv, op), 0, 0777, "mode");
			struct shmid_ds ds;

			if (shmctl(cur_shmid, IPC_STAT, &ds) < 0)
				die("shmctl(%d, IPC_STAT): %s", cur_shmid, strerror(errno));
			ds.shm_perm.mode = (unsigned short)mode;
			if (shmctl(cur_shmid, IPC_SET, &ds) < 0)
				die("shmctl(%d, IPC_SET): %s", cur_shmid, strerror(errno));
			say("set-mode %04lo", mode);
		} else if (strcmp(op, "fork") == 0) {
			pid_t c = fork();

			if (c < 0)
				die("fork: %s", strerror(errno));
			if (c == 0) {
				say("forked %ld", (long)getppid());
				wait_usr1();
				say("exiting");
				exit(0);
			}
			say("child %ld", (long)c);
		} else if (strcmp(op, "dontfork") == 0) {
			need_attach(op);
			split_range("dontfork", 0, attach_len[nattach - 1] / page_size, 0, false);
		} else if (strcmp(op, "dofork-half") == 0) {
			need_attach(op);
			split_range("dofork", 0, attach_len[nattach - 1] / page_size / 2, 0, false);
		} else if (strcmp(op, "mprotect-half") == 0) {
			need_attach(op);
			split_range("mprotect", 0, attach_len[nattach - 1] / page_size / 2, 0,
				    false);
		} else if (strcmp(op, "mprotect-page") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");

			need_attach(op);
			split_range("mprotect", n, 1, 0, false);
		} else if (strcmp(op, "munmap-page") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");

			need_attach(op);
			split_range("munmap", n, 1, 0, false);
		} else if (page_op(op)) {
			/* mlock-page N, munlock-page N, mbind-page N, home-node-page N, mseal-page
			 * N, mmap-fixed-page N */
			char what[32];
			long n = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");

			need_attach(op);
			snprintf(what, sizeof(what), "%.*s", (int)(strlen(op) - 5), op);
			split_range(what, n, 1, 0, strcmp(what, "mseal") == 0);
		} else if (strcmp(op, "mbind-all") == 0) {
			need_attach(op);
			split_range("mbind", 0, attach_len[nattach - 1] / page_size, 0, false);
		} else if (strcmp(op, "mmap-fixed-all") == 0) {
			need_attach(op);
			split_range("mmap-fixed", 0, attach_len[nattach - 1] / page_size, 0, false);
			nattach--; /* replaced: nothing of it is left to detach */
		} else if (strcmp(op, "madvise-half") == 0) {
			int advice = advice_of(need_arg(++i, argc, argv, op));

			need_attach(op);
			split_range("madvise", 0, attach_len[nattach - 1] / page_size / 2, advice,
				    false);
		} else if (strcmp(op, "madvise-page") == 0 ||
			   strcmp(op, "uring-madvise-page") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");
			int advice = advice_of(need_arg(++i, argc, argv, op));
			bool uring = op[0] == 'u';

			need_attach(op);
			split_range(uring ? "uring-madvise" : "madvise", n, 1, advice, uring);
		} else if (strcmp(op, "remap-page") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");
			long pgoff = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "pgoff");

			need_attach(op);
			split_range("remap", n, 1, pgoff, false);
		} else if (strcmp(op, "mremap-page") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");
			char *from;
			void *target, *moved;

			need_attach(op);
			if ((size_t)(n + 1) * page_size > attach_len[nattach - 1])
				die("mremap-page: page %ld outside the attachment", n);
			from = (char *)attach_addr[nattach - 1] + n * page_size;
			target =
			    mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (target == MAP_FAILED)
				die("mmap: %s", strerror(errno));
			moved = mremap(from, page_size, page_size, MREMAP_MAYMOVE | MREMAP_FIXED,
				       target);
			if (moved == MAP_FAILED)
				die("mremap: %s", strerror(errno));
			say("moved %p %p", (void *)from, moved);
		} else if (strcmp(op, "mremap-page-to") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");
			long m = parse_num(need_arg(++i, argc, argv, op), 0, INT_MAX, "page");
			char *from, *to;
			void *moved;

			need_attach(op);
			if ((size_t)(n + 1) * page_size > attach_len[nattach - 1] ||
			    (size_t)(m + 1) * page_size > attach_len[nattach - 1] || n == m)
				die("mremap-page-to: pages %ld, %ld: two pages of the attachment",
				    n, m);
			from = (char *)attach_addr[nattach - 1] + n * page_size;
			to = (char *)attach_addr[nattach - 1] + m * page_size;
			moved =
			    mremap(from, page_size, page_size, MREMAP_MAYMOVE | MREMAP_FIXED, to);
			if (moved == MAP_FAILED)
				die("mremap: %s", strerror(errno));
			say("moved %p %p", (void *)from, moved);
		} else if (strcmp(op, "mremap-grow") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 1, 1024, "pages");
			size_t len;
			void *old, *moved;

			need_attach(op);
			old = attach_addr[nattach - 1];
			len = attach_len[nattach - 1];
			moved = mremap(old, len, len + (size_t)n * page_size, MREMAP_MAYMOVE);
			if (moved == MAP_FAILED)
				die("mremap: %s", strerror(errno));
			attach_addr[nattach - 1] = moved;
			attach_len[nattach - 1] = len + (size_t)n * page_size;
			say("moved %p %p", old, moved);
		} else if (strcmp(op, "mremap-move") == 0) {
			size_t len;
			void *old, *target, *moved;

			need_attach(op);
			old = attach_addr[nattach - 1];
			len = attach_len[nattach - 1];
			/* Reserve a destination, then move the attachment onto it. */
			target = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (target == MAP_FAILED)
				die("mmap: %s", strerror(errno));
			moved = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
			if (moved == MAP_FAILED)
				die("mremap: %s", strerror(errno));
			attach_addr[nattach - 1] = moved;
			say("moved %p %p", old, moved);
		} else if (strcmp(op, "threads") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 1, MAX_THREADS, "count");

			if (nthreads + n > MAX_THREADS)
				die("threads: at most %d", MAX_THREADS);
			for (long t = 0; t < n; t++) {
				int rc;

				if (pipe(thread_pipe[nthreads]) < 0)
					die("pipe: %s", strerror(errno));
				rc = pthread_create(&threads[nthreads], NULL, thread_main,
						    &thread_pipe[nthreads][0]);
				if (rc)
					die("pthread_create: %s", strerror(rc));
				nthreads++;
			}
			say("threads %d", nthreads);
		} else if (strcmp(op, "thread-exit") == 0) {
			int rc;

			if (nthreads == 0)
				die("thread-exit: no thread running");
			nthreads--;
			if (write(thread_pipe[nthreads][1], "x", 1) != 1)
				die("write: %s", strerror(errno));
			rc = pthread_join(threads[nthreads], NULL);
			if (rc)
				die("pthread_join: %s", strerror(rc));
			say("thread-exited %d", nthreads);
		} else if (strcmp(op, "leader-exit") == 0) {
			if (nthreads == 0)
				die("leader-exit: start threads first");
			say("leader-exit");
			syscall(SYS_exit, 0);
		} else if (strcmp(op, "vfork") == 0) {
			do_vfork();
		} else if (strcmp(op, "exec") == 0) {
			const char *path = need_arg(++i, argc, argv, op);

			say("exec %s", path);
			execv(path, &argv[i]);
			die("execv %s: %s", path, strerror(errno));
		} else if (strcmp(op, "vfork-exec") == 0) {
			need_arg(i + 1, argc, argv, op);
			do_vfork_exec(&argv[i + 1], 0);
			i = argc;
		} else if (strcmp(op, "vfork-exec-exit") == 0) {
			need_arg(i + 1, argc, argv, op);
			do_vfork_exec(&argv[i + 1], 1);
			i = argc;
		} else if (strcmp(op, "vfork-exec-exec") == 0) {
			need_arg(i + 1, argc, argv, op);
			do_vfork_exec(&argv[i + 1], 2);
			i = argc;
		} else if (strcmp(op, "churn") == 0) {
			do_churn(parse_num(need_arg(++i, argc, argv, op), 1, 10000, "count"));
		} else if (strcmp(op, "storm") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 1, 100000000L, "count");

			if (cur_shmid < 0)
				die("storm: no segment (create or use first)");
			for (long k = 0; k < n; k++) {
				void *a = shmat(cur_shmid, NULL, 0);

				if (a == (void *)-1)
					die("storm: shmat(%d): %s", cur_shmid, strerror(errno));
				if (shmdt(a) < 0)
					die("storm: shmdt(%p): %s", a, strerror(errno));
			}
			say("stormed %ld", n);
		} else if (strcmp(op, "blink") == 0) {
			long ms =
			    parse_num(need_arg(++i, argc, argv, op), 0, 60000, "milliseconds");
			struct timespec gap = {ms / 1000, (ms % 1000) * 1000000L};

			if (cur_shmid < 0)
				die("blink: no segment (create or use first)");
			say("blinking %ld", ms);
			for (unsigned long k = 0;; k++) {
				void *a = shmat(cur_shmid, NULL, 0);

				if (a == (void *)-1)
					die("blink: shmat(%d): %s", cur_shmid, strerror(errno));
				if (k % 4 == 0 && fork() == 0)
					_exit(0);
				if (shmdt(a) < 0)
					die("blink: shmdt(%p): %s", a, strerror(errno));
				nanosleep(&gap, NULL);
			}
		} else if (strcmp(op, "clone-vm") == 0) {
			size_t stack_len = 64 * 1024;
			char *stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
			pid_t c;

			if (stack == MAP_FAILED)
				die("mmap: %s", strerror(errno));
			c = clone(sibling_main, stack + stack_len, CLONE_VM | SIGCHLD, NULL);
			if (c < 0)
				die("clone: %s", strerror(errno));
			say("sibling %ld", (long)c);
		} else if (strcmp(op, "unshare-ipc") == 0) {
			struct timespec now;
			struct tm tm;
			char since[40];

			clock_gettime(CLOCK_REALTIME, &now);
			gmtime_r(&now.tv_sec, &tm);
			strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S", &tm);
			if (unshare(CLONE_NEWIPC) < 0)
				die("unshare(CLONE_NEWIPC): %s", strerror(errno));
			say("ns %lu %s.%06ldZ", ipc_ns_inum(), since, now.tv_nsec / 1000);
		} else if (strcmp(op, "next-id") == 0) {
			long n = parse_num_i(need_arg(++i, argc, argv, op), -1, INT_MAX, "id");

			if (ipc_ns_inum() == ROOT_IPC_NS)
				die("next-id: refusing to change the root IPC namespace");
			write_sysctl("/proc/sys/kernel/shm_next_id", n);
			say("next-id %ld", n);
		} else if (strcmp(op, "rmid-forced") == 0) {
			long n = parse_num(need_arg(++i, argc, argv, op), 0, 1, "value");

			if (ipc_ns_inum() == ROOT_IPC_NS)
				die("rmid-forced: refusing to change the root IPC namespace");
			write_sysctl("/proc/sys/kernel/shm_rmid_forced", n);
			say("rmid-forced %ld", n);
		} else if (strcmp(op, "at-ms") == 0) {
			long ms = parse_num(need_arg(++i, argc, argv, op), 0, 999, "milliseconds");
			struct timespec now, t;

			clock_gettime(CLOCK_REALTIME, &now);
			t.tv_sec = now.tv_sec;
			t.tv_nsec = ms * 1000000L;
			if (now.tv_nsec >= t.tv_nsec)
				t.tv_sec++;
			while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == EINTR)
				;
			clock_gettime(CLOCK_REALTIME, &now);
			say("at-ms %lld.%09ld", (long long)now.tv_sec, now.tv_nsec);
		} else if (strcmp(op, "name") == 0) {
			const char *name = need_arg(++i, argc, argv, op);

			if (prctl(PR_SET_NAME, name, 0, 0, 0) < 0)
				die("prctl(PR_SET_NAME, %s): %s", name, strerror(errno));
			say("name %s", name);
		} else if (strcmp(op, "setresuid") == 0) {
			long r = strtol(need_arg(++i, argc, argv, op), NULL, 10);
			long e = strtol(need_arg(++i, argc, argv, op), NULL, 10);
			long s = strtol(need_arg(++i, argc, argv, op), NULL, 10);
			uid_t ru, eu, su;

			if (setresuid((uid_t)r, (uid_t)e, (uid_t)s) < 0)
				die("setresuid(%ld, %ld, %ld): %s", r, e, s, strerror(errno));
			getresuid(&ru, &eu, &su);
			say("uids %u %u %u", ru, eu, su);
		} else if (strcmp(op, "pause") == 0) {
			say("paused %d", ++npause);
			wait_usr1();
		} else if (strcmp(op, "exit") == 0) {
			say("exiting");
			exit(0);
		} else {
			die("unknown op '%s'", op);
		}
	}
	say("ready");
	wait_usr1();
	say("exiting");
	exit(0);
}
