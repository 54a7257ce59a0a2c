/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-chaos: a population of processes that attach, detach, split (mprotect), fork, exec,
 * vfork+exec and exit at random on some SysV segments for a while, then stop where they are,
 * each keeping what it holds, so that a test can compare shmwatch with the kernel.
 *
 *   shmw-chaos [--ready FILE] [--seconds S] [--procs N] [--seed X] SHMID...
 *
 * S (default 20) seconds of churn by about N (default 200) processes at a time (never more
 * than N; forks stop at N, exits stop at N/2). Each process sleeps 1-15 ms between steps.
 * Progress lines go to FILE (appended, one write each) or stdout, as shmw-hold writes them:
 *   PID start                    the supervisor (this process) started
 *   PID seed X                   the random seed (pass it back with --seed to repeat a run)
 *   PID stats K=V...             what the workers did (forks, execs, vforks, exits, attaches,
 *                                detaches, splits, failures: steps that failed)
 *   PID ready PARKED             every worker has stopped (PARKED of them, holding what they
 *                                hold); the supervisor then waits for SIGUSR1 or SIGTERM
 *   PID exiting                  on SIGUSR1/SIGTERM: the supervisor exits, and with it every
 *                                worker (they watch a pipe only the supervisor can write)
 *   PID error TEXT               something failed; exit 1
 * Worker pids are never written: the test harness kills every pid in a progress file when it
 * cleans up, and thousands of short-lived pids would have been reused by then. Workers find
 * their end through the pipe even when the supervisor is killed with SIGKILL.
 *
 * Workers are this program run again as "shmw-chaos --worker LIFEFD SHAREDFD" (after exec and
 * vfork+exec); what they share (segments, deadline, counters) is in a memfd mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEGS   16
#define MAX_ATTACH 6

static int out_fd = STDOUT_FILENO;

#define HELPER_NAME "shmw-chaos"
#include "report.h"
#include "population.h"

struct shared {
	struct shmw_pop pop;
	int nsegs;
	int shmid[MAX_SEGS];
	size_t size[MAX_SEGS];
	long forks, execs, vforks, exits, attaches, detaches, splits, failures;
};

static struct shared *sh;
static int shared_fd = -1;
static long page_size;

static struct {
	char *addr;
	size_t len;
	int split;
} att[MAX_ATTACH];
static int natt;

/* argv for exec'ing a worker, built before any vfork (the child may not allocate). */
static char arg_life[16], arg_shared[16];
static char *worker_argv[] = {"shmw-chaos", "--worker", arg_life, arg_shared, NULL};
static char self_exe[PATH_MAX]; /* our binary's path: exec'd workers keep the comm shmw-chaos */

static void pop_trouble(const char *what, int err)
{
	die("%s: %s", what, strerror(err));
}

static void count(long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static void do_attach(void)
{
	int s = rnd(sh->nsegs);
	int ro = rnd(4) == 0;
	char *a;

	if (natt == MAX_ATTACH)
		return;
	a = shmat(sh->shmid[s], NULL, ro ? SHM_RDONLY : 0);
	if (a == (char *)-1) {
		count(&sh->failures);
		return;
	}
	att[natt].addr = a;
	att[natt].len = (sh->size[s] + page_size - 1) / page_size * page_size;
	att[natt].split = 0;
	natt++;
	count(&sh->attaches);
}

static void do_detach(void)
{
	int i;

	if (!natt)
		return;
	i = rnd(natt);
	if (shmdt(att[i].addr) < 0) {
		count(&sh->failures);
		return;
	}
	att[i] = att[--natt];
	count(&sh->detaches);
}

/* mprotect(PROT_NONE) of the first page: one VMA becomes two (differs from RO and RW). */
static void do_split(void)
{
	int i;

	if (!natt)
		return;
	i = rnd(natt);
	if (att[i].split || att[i].len < 2 * (size_t)page_size)
		return;
	if (mprotect(att[i].addr, page_size, PROT_NONE) < 0) {
		count(&sh->failures);
		return;
	}
	att[i].split = 1;
	count(&sh->splits);
}

static void do_fork(void)
{
	pid_t c;

	if (!take_slot())
		return;
	c = fork();
	if (c < 0) {
		give_slot();
		count(&sh->failures);
		return;
	}
	if (c == 0) {
		rng ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL;
		return; /* the child goes on with what it inherited */
	}
	count(&sh->forks);
}

static void do_exec(void)
{
	count(&sh->execs);
	execv(self_exe, worker_argv);
	count(&sh->failures);
	give_slot();
	_exit(127);
}

static __attribute__((noinline)) void do_vfork_exec(void)
{
	pid_t c;

	if (!take_slot())
		return;
	c = vfork();
	if (c < 0) {
		give_slot();
		count(&sh->failures);
		return;
	}
	if (c == 0) {
		/* Shares our memory until it execs: system calls and atomics only. */
		execv(self_exe, worker_argv);
		__atomic_sub_fetch(&pop->alive, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&sh->failures, 1, __ATOMIC_RELAXED);
		_exit(127);
	}
	count(&sh->vforks);
}

static void worker_loop(void)
{
	while (now_ms() < pop->deadline_ms) {
		uint32_t r = rnd(1000);

		if (r < 300)
			do_attach();
		else if (r < 550)
			do_detach();
		else if (r < 610)
			do_split();
		else if (r < 730)
			do_fork();
		else if (r < 790)
			do_exec();
		else if (r < 830)
			do_vfork_exec();
		else if (r < 930) {
			if (may_exit()) {
				count(&sh->exits);
				_exit(0);
			}
		}
		nap(1 + (int)rnd(15));
	}
	/* Stop here, holding what we hold, until the supervisor goes. */
	park();
}

static void map_shared(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, shared_fd, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	pop = &sh->pop;
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	if (n <= 0)
		die("readlink /proc/self/exe: %s", strerror(errno));
	self_exe[n] = 0;
	snprintf(arg_life, sizeof(arg_life), "%d", life_fd);
	snprintf(arg_shared, sizeof(arg_shared), "%d", shared_fd);
}

int main(int argc, char **argv)
{
	long seconds = 20, procs = 200;
	uint64_t seed = 0;
	int life[2], i = 1, parked, left = 0;
	sigset_t set;
	int sig;

	page_size = sysconf(_SC_PAGESIZE);
	if (argc == 4 && strcmp(argv[1], "--worker") == 0) {
		life_fd = atoi(argv[2]);
		shared_fd = atoi(argv[3]);
		out_fd = STDERR_FILENO;
		map_shared();
		rng = ((uint64_t)getpid() << 32) ^ (uint64_t)now_ms() ^ 0x5DEECE66DULL;
		worker_loop();
		return 0;
	}
	if (i + 1 < argc && strcmp(argv[i], "--ready") == 0) {
		out_fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			fprintf(stderr, "shmw-chaos: open %s: %s\n", argv[i + 1], strerror(errno));
			return 1;
		}
		i += 2;
	}
	say("start");
	for (; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			die("option %s needs a value", argv[i]);
		if (!strcmp(argv[i], "--seconds"))
			seconds = parse_num(argv[i + 1], 1, 3600, "seconds");
		else if (!strcmp(argv[i], "--procs"))
			procs = parse_num(argv[i + 1], 2, 5000, "process count");
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else
			die("unknown option %s", argv[i]);
	}
	if (i >= argc)
		die("usage: shmw-chaos [--ready FILE] [--seconds S] [--procs N] [--seed X] "
		    "SHMID...");
	if (!seed)
		seed = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	say("seed %llu", (unsigned long long)seed);
	rng = seed;

	shared_fd = memfd_create("shmw-chaos", 0); /* inherited across exec on purpose */
	if (shared_fd < 0 || ftruncate(shared_fd, sizeof(struct shared)) < 0)
		die("memfd: %s", strerror(errno));
	/* The read end stays open in every worker (and across exec); the write end only here. */
	if (pipe(life) < 0 || fcntl(life[1], F_SETFD, FD_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	life_fd = life[0];
	map_shared();
	for (; i < argc; i++) {
		struct shmid_ds ds;
		int id = (int)parse_num(argv[i], 0, INT_MAX, "shmid");

		if (sh->nsegs == MAX_SEGS)
			die("at most %d segments", MAX_SEGS);
		if (shmctl(id, IPC_STAT, &ds) < 0)
			die("shmctl(%d, IPC_STAT): %s", id, strerror(errno));
		sh->shmid[sh->nsegs] = id;
		sh->size[sh->nsegs++] = ds.shm_segsz;
	}
	pop->max_procs = (int)procs;
	pop->deadline_ms = now_ms() + seconds * 1000;

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

	pop->alive = (int)procs;
	for (long k = 0; k < procs; k++) {
		pid_t c = fork();

		if (c < 0) {
			give_slot();
			say("error fork: %s", strerror(errno));
			continue;
		}
		if (c == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			close(life[1]);
			if (out_fd != STDOUT_FILENO)
				close(out_fd);
			out_fd = STDERR_FILENO;
			rng ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL;
			worker_loop();
		}
	}
	/* Wait for the deadline, then for every worker to stop. */
	parked = wait_parked(30000, &left);
	if (parked < 0)
		die("%d workers did not stop 30 s after the deadline", left);
	say("stats forks=%ld execs=%ld vforks=%ld exits=%ld attaches=%ld detaches=%ld splits=%ld "
	    "failures=%ld",
	    sh->forks, sh->execs, sh->vforks, sh->exits, sh->attaches, sh->detaches, sh->splits,
	    sh->failures);
	say("ready %d", parked);
	while (sigwait(&set, &sig) != 0)
		;
	say("exiting");
	return 0;
}
