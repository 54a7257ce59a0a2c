// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * shmw-farm: the benchmark's workload. Creates 16 System V segments with realistic (8-digit)
 * shmids, starts a farm of processes that hold them, writes what it built to a file and blocks
 * until told to stop.
 *
 *   shmw-farm [-n PROCS] [--one] [--host-ns] [-o FILE]
 *
 * default    PROCS processes (default 1000); the first half are holders, the others hold
 *            nothing. Every holder attaches (shmat) segment 0, two of the segments 2..15, and
 *            holder 0 also segment 1, which nobody else holds.
 * --one      PROCS holders of exactly one segment each, made cheaply: 16 leaders each attach
 *            one segment and fork the others, which inherit their attachment (shmwatch: how
 *            "fork"). Segment 1 has a single holder; the rest are spread over the other 15.
 * --host-ns  the segments go in our own IPC namespace (bench/run.sh's default: a database on
 *            a host) instead of a private one made for the farm.
 *
 * FILE (default stdout), written once everything is attached, then renamed into place:
 *   ns INUM                       the farm's IPC namespace (inode of /proc/PID/ns/ipc)
 *   seg K SHMID KEY SIZE NHOLDERS one per segment, K = 0..15
 *   holder PID K [K...]           one per holder: the segments it holds
 *   idle PID                      one per process that holds nothing
 *   ready                         last line
 *
 * Stop: SIGTERM, SIGINT or SIGHUP, or the death of the process that started us (then SIGTERM
 * through PR_SET_PDEATHSIG). A clean stop closes the pipe the farm's processes block reading,
 * waits for them and removes the segments. If this process is killed outright, they still read
 * EOF and exit; a private namespace then goes away with its segments, and in the host namespace
 * the next farm (or bench/run.sh's cleanup) removes segments left with our keys.
 * Exit status: 0 after a clean stop, 1 if the farm could not be built, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#define NSEG	  16
#define SEQ_SHIFT 15 /* ipc ids: (seq << 15) | index, as the kernel hands them out */

static int shmids[NSEG];
static size_t sizes[NSEG];
static sigset_t oldmask;
static int go_rd = -1, go_wr = -1, ready_rd = -1, ready_wr = -1;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Realistic ids: the kernel's sequence number has moved on, as on a machine that has been up a
 * long while, so shmids are 8-digit numbers (32768000, 33980417, ...) that grep cannot confuse
 * with the other numbers lsof prints, and that the host namespace (whose ids are small on a
 * test machine) does not have. */
static int make_segment(int k)
{
	int want = ((1000 + 37 * k) << SEQ_SHIFT) | k, fd, id;
	key_t key = (key_t)(0x53480000u | (unsigned)k * 0x101u);
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", want);

	fd = open("/proc/sys/kernel/shm_next_id", O_WRONLY);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		die("shm_next_id");
	close(fd);
	sizes[k] = (size_t)(k + 1) << 20;
	id = shmget(key, 0, 0);
	if (id >= 0) /* left over by a farm that was killed (--host-ns) */
		shmctl(id, IPC_RMID, NULL);
	id = shmget(key, sizes[k], IPC_CREAT | IPC_EXCL | 0640);
	if (id < 0)
		die("shmget");
	return id;
}

static void remove_segments(void)
{
	for (int k = 0; k < NSEG; k++)
		if (shmids[k] > 0)
			shmctl(shmids[k], IPC_RMID, NULL);
}

/* Holder i of the default farm: segment 0, two of 2..15, and (holder 0) segment 1. */
static int mixed_segments(int i, int *segs)
{
	int n = 0, a = 2 + i % 14, b = 2 + (i * 5 + 1) % 14;

	if (b == a)
		b = 2 + (a - 2 + 1) % 14;
	segs[n++] = 0;
	if (i == 0)
		segs[n++] = 1;
	segs[n++] = a;
	segs[n++] = b;
	return n;
}

static void report_ready(char c)
{
	if (write(ready_wr, &c, 1) != 1)
		_exit(1);
}

/* Farm processes block here until the farm's master goes away (EOF on the go pipe). */
static void block_until_eof(void)
{
	char c;

	while (read(go_rd, &c, 1) < 0 && errno == EINTR)
		;
}

static void child_setup(const char *name)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	prctl(PR_SET_NAME, name);
	close(go_wr);
	close(ready_rd);
}

static bool attach(int k)
{
	return shmat(shmids[k], NULL, 0) != (void *)-1;
}

static void reap_all(void)
{
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

/* A leader of --one: attach segment k, fork nkids children that inherit it, then block; at EOF
 * wait for the children. Writes "PID" lines for itself and each child to the pids pipe. */
static void leader(int k, int nkids, int pids_wr)
{
	char line[32];
	int n;

	child_setup("farm-leader");
	if (!attach(k)) {
		report_ready('E');
		_exit(1);
	}
	for (int j = 0; j < nkids; j++) {
		pid_t p = fork();

		if (p < 0) {
			report_ready('E');
			break;
		}
		if (p == 0) {
			prctl(PR_SET_NAME, "farm-holder");
			close(pids_wr);
			report_ready('.');
			block_until_eof();
			_exit(0);
		}
		n = snprintf(line, sizeof(line), "%d %d\n", (int)p, k);
		if (write(pids_wr, line, (size_t)n) != n)
			_exit(1);
	}
	n = snprintf(line, sizeof(line), "%d %d\n", (int)getpid(), k);
	if (write(pids_wr, line, (size_t)n) != n)
		_exit(1);
	close(pids_wr);
	report_ready('.');
	block_until_eof();
	reap_all();
	_exit(0);
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs("usage: shmw-farm [-n PROCS] [--one] [--host-ns] [-o FILE]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"procs", required_argument, NULL, 'n'}, {"one", no_argument, NULL, '1'},
	    {"host-ns", no_argument, NULL, 'H'},     {"out", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},	     {0},
	};
	int procs = 1000, nholders, c, pfd[2], nready = 0, holders_of[NSEG] = {0};
	const char *out = NULL;
	bool one = false, host_ns = false;
	char tmp[4096];
	struct sigaction sa;
	struct stat st;
	sigset_t mask;
	FILE *f;

	while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			procs = atoi(optarg);
			break;
		case '1':
			one = true;
			break;
		case 'H':
			host_ns = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || procs < 2 || procs > 1000000 || (one && procs < NSEG)) {
		usage(stderr);
		return 2;
	}

	/* Signals are blocked until the farm is built, then waited for with sigsuspend. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);

	/* Whoever started us (bench/run.sh) dying any way stops the farm the clean way. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 1;
	if (!host_ns && unshare(CLONE_NEWIPC))
		die("unshare(CLONE_NEWIPC)");
	if (stat("/proc/self/ns/ipc", &st))
		die("/proc/self/ns/ipc");
	for (int k = 0; k < NSEG; k++)
		shmids[k] = make_segment(k);
	if (pipe2(pfd, O_CLOEXEC))
		die("pipe");
	go_rd = pfd[0];
	go_wr = pfd[1];
	if (pipe2(pfd, O_CLOEXEC))
		die("pipe");
	ready_rd = pfd[0];
	ready_wr = pfd[1];

	snprintf(tmp, sizeof(tmp), "%s.tmp", out ? out : "");
	f = out ? fopen(tmp, "w") : stdout;
	if (!f)
		die(tmp);
	fprintf(f, "ns %lu\n", (unsigned long)st.st_ino);

	if (!one) {
		/* The lines go to a buffer file first: segment counts must precede them. */
		FILE *body = tmpfile();

		if (!body)
			die("tmpfile");
		nholders = procs / 2;
		for (int i = 0; i < procs; i++) {
			int segs[4], n = i < nholders ? mixed_segments(i, segs) : 0;
			pid_t p = fork();

			if (p < 0) {
				perror("fork");
				goto fail;
			}
			if (p == 0) {
				/* No stdio here: the parent's buffers must not be flushed twice. */
				child_setup(n ? "farm-holder" : "farm-idle");
				for (int j = 0; j < n; j++)
					if (!attach(segs[j])) {
						report_ready('E');
						_exit(1);
					}
				report_ready('.');
				block_until_eof();
				_exit(0);
			}
			if (n) {
				fprintf(body, "holder %d", (int)p);
				for (int j = 0; j < n; j++) {
					fprintf(body, " %d", segs[j]);
					holders_of[segs[j]]++;
				}
				fputc('\n', body);
			} else {
				fprintf(body, "idle %d\n", (int)p);
			}
		}
		for (int k = 0; k < NSEG; k++)
			fprintf(f, "seg %d %d 0x%08x %zu %d\n", k, shmids[k],
				0x53480000u | (unsigned)k * 0x101u, sizes[k], holders_of[k]);
		rewind(body);
		while ((c = getc(body)) != EOF)
			putc(c, f);
		fclose(body);
	} else {
		/* Leader of segment 1 alone; the other 15 leaders share the rest. */
		int rest = procs - NSEG, pp[2];
		FILE *pids;
		char line[64];

		if (pipe(pp))
			die("pipe");
		for (int k = 0; k < NSEG; k++) {
			int kids = k == 1 ? 0 : rest / 15 + ((k ? k - 1 : 0) < rest % 15);
			pid_t p;

			holders_of[k] = 1 + kids;
			p = fork();
			if (p < 0) {
				perror("fork");
				goto fail;
			}
			if (p == 0) {
				close(pp[0]);
				leader(k, kids, pp[1]);
			}
		}
		close(pp[1]);
		for (int k = 0; k < NSEG; k++)
			fprintf(f, "seg %d %d 0x%08x %zu %d\n", k, shmids[k],
				0x53480000u | (unsigned)k * 0x101u, sizes[k], holders_of[k]);
		pids = fdopen(pp[0], "r");
		while (pids && fgets(line, sizeof(line), pids))
			fprintf(f, "holder %s", line);
		if (pids)
			fclose(pids);
	}

	/* Every process reports once it holds what it should (an 'E' if it could not). */
	close(ready_wr);
	ready_wr = -1;
	while (nready < procs) {
		char buf[4096];
		ssize_t r = read(ready_rd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "shmw-farm: %d of %d processes ready, the others died\n",
				nready, procs);
			goto fail;
		}
		for (ssize_t j = 0; j < r; j++)
			if (buf[j] == 'E') {
				fprintf(stderr,
					"shmw-farm: a farm process could not attach or fork\n");
				goto fail;
			}
		nready += (int)r;
	}
	fputs("ready\n", f);
	if (fflush(f) || (out && (fclose(f) || rename(tmp, out))))
		die(out ? out : "stdout");

	while (!stop)
		sigsuspend(&oldmask);
	close(go_wr);
	reap_all();
	remove_segments();
	return 0;

fail:
	close(go_wr);
	reap_all();
	remove_segments();
	if (out)
		unlink(tmp);
	return 1;
}
