// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * shmw-bench: the timers of the benchmark (bench/run.sh drives them). All times are
 * CLOCK_MONOTONIC nanoseconds.
 *
 *   shmw-bench run NAME REPS CMD [NAME REPS CMD]...
 *	Runs the commands alternately (round robin, each spread evenly over the rounds), REPS
 *	times each after one untimed warm-up run (none when REPS < 5), stdin and output on
 *	/dev/null. CMD runs through /bin/sh -c when it has shell syntax in it, else it is split on
 *	blanks and executed directly. One line per command:
 *	  NAME RUNS MEDIAN P10 P90 MIN MAX CPU_MEDIAN NONZERO_EXITS
 *   shmw-bench query SOCKET SHMID NS COUNT [SECONDS [rows]]
 *	COUNT `who` requests (with "rows": as `shmwatch who` asks) on one connection (shmw_client_roundtrip: from the send to the
 *	answer's newline), after 20 warm-up requests, or fewer (at least 100) when they take
 *	longer than SECONDS (default 5); NS 0 sends none. Prints
 *	  P50 P90 P99 MAX BYTES REQUESTS   then   CONNECT_P50
 *	(the last: connect + one request + close, up to 200 times in a fifth of SECONDS).
 *	A new connection is opened (untimed) every 150 requests: shmwatchd answers "busy" to
 *	more than 200 requests a second on one connection.
 *   shmw-bench holders SOCKET SHMID NS      the holders' pids, sorted, one a line
 *   shmw-bench status SOCKET FIELD...       those fields of the status answer, on one line
 *   shmw-bench ready SOCKET OUT LOG TIMEOUT_MS DAEMON [ARG...]
 *	Becomes the daemon (exec, so $! is its pid) with stdout and stderr appended to LOG, after
 *	leaving behind a detached poller that writes to OUT the nanoseconds from the execve to
 *	the first successful `status` answer ("fail REASON" if the daemon died or TIMEOUT_MS
 *	passed). The daemon gets SIGTERM if the process that started us dies.
 *   shmw-bench loop KIND OPS ROUNDS PROCS [VMAS [PAUSE_MS]]
 *	KIND shmat: shmat+shmdt of a segment of its own; fork: fork + _exit + waitpid; forkhold:
 *	the same while holding one segment (the child inherits it). PROCS processes (pinned to
 *	CPU 0, 1, ...) run ROUNDS rounds of OPS operations each; VMAS pads every process to that
 *	many extra VMAs first; PAUSE_MS sleeps between rounds (bursts a consumer can keep up
 *	with). Prints "round WALL CPU" per round: the mean over the processes of the wall-clock
 *	and of the CPU time (user + system of the process and of its reaped children: the BPF
 *	programs that run in their context count, being preempted does not) per operation, in
 *	ns; then "wall NS" for the whole loop, pauses included. Its segments use the keys
 *	0x5348ff00 + i and are removed on exit, SIGINT, SIGTERM and SIGHUP.
 *
 * Exit status 0, 1 on failure, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define LOOP_KEY 0x5348ff00
#define PER_CONN 150 /* requests per connection: the daemon allows 200 a second on each */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

static int usage(void)
{
	fputs("usage: shmw-bench run NAME REPS CMD...\n"
	      "       shmw-bench query SOCKET SHMID NS COUNT [SECONDS [rows]]\n"
	      "       shmw-bench holders SOCKET SHMID NS\n"
	      "       shmw-bench status SOCKET FIELD...\n"
	      "       shmw-bench ready SOCKET OUT LOG TIMEOUT_MS DAEMON [ARG...]\n"
	      "       shmw-bench loop shmat|fork|forkhold OPS ROUNDS PROCS [VMAS [PAUSE_MS]]\n",
	      stderr);
	return 2;
}

/* ---- run ------------------------------------------------------------------------------------ */

struct spec {
	const char *name;
	int reps;
	char **argv;
	uint64_t *wall, *cpu;
	int done, nonzero;
};

static char **split_cmd(const char *cmd)
{
	static char *sh[] = {"/bin/sh", "-c", NULL, NULL};
	char **argv, *copy, *tok, *save;
	size_t n = 0;

	if (strpbrk(cmd, "|&;<>()$*?[]\"'\\`~{}=")) {
		char **v = malloc(sizeof(sh));

		memcpy(v, sh, sizeof(sh));
		v[2] = (char *)cmd;
		return v;
	}
	argv = calloc(strlen(cmd) / 2 + 2, sizeof(*argv));
	copy = strdup(cmd);
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		argv[n++] = tok;
	return argv;
}

/* One run; returns its wall time, sets *cpu (user + system of the command and its children). */
static int run_once(struct spec *s, uint64_t *wall, uint64_t *cpu)
{
	struct rusage ru;
	uint64_t t0, t1;
	int status;
	pid_t p;

	t0 = now_ns();
	p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(s->argv[0], s->argv);
		_exit(127);
	}
	if (wait4(p, &status, 0, &ru) != p)
		return -1;
	t1 = now_ns();
	*wall = t1 - t0;
	*cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		return -2;
	if (WEXITSTATUS(status) != 0)
		s->nonzero++;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	int n = argc / 3, maxreps = 0;
	struct spec *s;

	if (argc < 3 || argc % 3)
		return usage();
	s = calloc((size_t)n, sizeof(*s));
	for (int i = 0; i < n; i++) {
		s[i].name = argv[3 * i];
		s[i].reps = atoi(argv[3 * i + 1]);
		s[i].argv = split_cmd(argv[3 * i + 2]);
		if (s[i].reps < 1)
			return usage();
		s[i].wall = calloc((size_t)s[i].reps, sizeof(uint64_t));
		s[i].cpu = calloc((size_t)s[i].reps, sizeof(uint64_t));
		if (s[i].reps > maxreps)
			maxreps = s[i].reps;
	}
	for (int i = 0; i < n; i++) {
		uint64_t w, c;

		if (s[i].reps >= 5 && run_once(&s[i], &w, &c) < 0) {
			fprintf(stderr, "shmw-bench: cannot run %s: %s\n", s[i].name,
				argv[3 * i + 2]);
			return 1;
		}
		s[i].nonzero = 0;
	}
	/* Round r runs command i when its share of the rounds so far grows: evenly spread. */
	for (int r = 0; r < maxreps; r++) {
		for (int i = 0; i < n; i++) {
			int want = (int)((long)(r + 1) * s[i].reps / maxreps);

			while (s[i].done < want) {
				if (run_once(&s[i], &s[i].wall[s[i].done], &s[i].cpu[s[i].done])) {
					fprintf(stderr, "shmw-bench: cannot run %s: %s\n",
						s[i].name, argv[3 * i + 2]);
					return 1;
				}
				s[i].done++;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		size_t k = (size_t)s[i].done;

		qsort(s[i].wall, k, sizeof(uint64_t), cmp_u64);
		qsort(s[i].cpu, k, sizeof(uint64_t), cmp_u64);
		printf("%s %zu %llu %llu %llu %llu %llu %llu %d\n", s[i].name, k,
		       (unsigned long long)pct(s[i].wall, k, 50),
		       (unsigned long long)pct(s[i].wall, k, 10),
		       (unsigned long long)pct(s[i].wall, k, 90), (unsigned long long)s[i].wall[0],
		       (unsigned long long)s[i].wall[k - 1],
		       (unsigned long long)pct(s[i].cpu, k, 50), s[i].nonzero);
	}
	return 0;
}

/* ---- client requests ------------------------------------------------------------------------ */

static struct shmw_client *connect_or_die(const char *path)
{
	struct shmw_client *c;
	char err[256];

	if (shmw_client_connect(path, SHMW_CLIENT_TIMEOUT_MS, &c, err, sizeof(err))) {
		fprintf(stderr, "shmw-bench: %s: %s\n", path, err);
		exit(1);
	}
	return c;
}

static struct shmw_request who_req(const char *shmid, const char *ns)
{
	struct shmw_request r = {.cmd = SHMW_CMD_WHO};

	r.shmid = (int32_t)strtol(shmid, NULL, 10);
	r.ns = (uint32_t)strtoul(ns, NULL, 10);
	r.has_ns = r.ns != 0;
	return r;
}

static int cmd_query(int argc, char **argv)
{
	struct shmw_request req;
	struct shmw_client *c;
	uint64_t *rtt, cn[200], t_end;
	char err[256], *raw = NULL;
	json_object *obj;
	long count, n = 0, ncn = 0;
	double budget = 5;

	if (argc < 4 || argc > 6 || (argc == 6 && strcmp(argv[5], "rows")))
		return usage();
	req = who_req(argv[1], argv[2]);
	req.rows = argc == 6;
	count = strtol(argv[3], NULL, 10);
	if (argc == 5)
		budget = strtod(argv[4], NULL);
	if (count < 1 || budget <= 0)
		return usage();
	rtt = calloc((size_t)count, sizeof(*rtt));
	c = connect_or_die(argv[0]);
	if (shmw_client_call(c, &req, &obj, &raw, err, sizeof(err))) {
		fprintf(stderr, "shmw-bench: who: %s\n", err);
		return 1;
	}
	json_object_put(obj);
	/* COUNT requests, or fewer (at least 100) when they take more than the time budget. */
	t_end = now_ns() + (uint64_t)(budget * 1e9);
	for (long i = 0; n < count && (n < 100 || now_ns() < t_end); i++) {
		uint64_t t;

		/* shmwatchd answers "busy" past 200 requests a second on one connection: start
		 * a new one (outside the timed part) well before that. */
		if (i > 0 && i % PER_CONN == 0) {
			shmw_client_close(c);
			c = connect_or_die(argv[0]);
		}
		if (shmw_client_roundtrip(c, &req, &t, err, sizeof(err))) {
			fprintf(stderr, "shmw-bench: who: %s\n", err);
			return 1;
		}
		if (i >= 20)
			rtt[n++] = t;
	}
	shmw_client_close(c);
	t_end = now_ns() + (uint64_t)(budget * 1e9 / 5);
	while (ncn < 200 && (ncn < 20 || now_ns() < t_end)) {
		uint64_t t0 = now_ns(), t;

		c = connect_or_die(argv[0]);
		if (shmw_client_roundtrip(c, &req, &t, err, sizeof(err))) {
			fprintf(stderr, "shmw-bench: who: %s\n", err);
			return 1;
		}
		shmw_client_close(c);
		cn[ncn++] = now_ns() - t0;
	}
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_u64);
	qsort(cn, (size_t)ncn, sizeof(*cn), cmp_u64);
	printf("%llu %llu %llu %llu %zu %ld\n%llu\n", (unsigned long long)pct(rtt, (size_t)n, 50),
	       (unsigned long long)pct(rtt, (size_t)n, 90),
	       (unsigned long long)pct(rtt, (size_t)n, 99), (unsigned long long)rtt[n - 1],
	       strlen(raw) + 1, n, (unsigned long long)pct(cn, (size_t)ncn, 50));
	free(raw);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int cmd_holders(int argc, char **argv)
{
	struct shmw_request req;
	struct shmw_client *c;
	json_object *obj, *hs, *ok;
	char err[256];
	size_t n;
	int *pids;

	if (argc != 3)
		return usage();
	req = who_req(argv[1], argv[2]);
	c = connect_or_die(argv[0]);
	if (shmw_client_call(c, &req, &obj, NULL, err, sizeof(err))) {
		fprintf(stderr, "shmw-bench: who: %s\n", err);
		return 1;
	}
	if (!json_object_object_get_ex(obj, "ok", &ok) || !json_object_get_boolean(ok) ||
	    !json_object_object_get_ex(obj, "holders", &hs) ||
	    !json_object_is_type(hs, json_type_array)) {
		fprintf(stderr, "shmw-bench: who: %s\n", json_object_to_json_string(obj));
		return 1;
	}
	n = json_object_array_length(hs);
	pids = calloc(n + 1, sizeof(*pids));
	for (size_t i = 0; i < n; i++) {
		json_object *pid;

		if (!json_object_object_get_ex(json_object_array_get_idx(hs, i), "pid", &pid))
			return 1;
		pids[i] = json_object_get_int(pid);
	}
	qsort(pids, n, sizeof(*pids), cmp_int);
	for (size_t i = 0; i < n; i++)
		printf("%d\n", pids[i]);
	json_object_put(obj);
	shmw_client_close(c);
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	struct shmw_request req = {.cmd = SHMW_CMD_STATUS};
	struct shmw_client *c;
	json_object *obj, *v;
	char err[256];

	if (argc < 2)
		return usage();
	c = connect_or_die(argv[0]);
	if (shmw_client_call(c, &req, &obj, NULL, err, sizeof(err))) {
		fprintf(stderr, "shmw-bench: status: %s\n", err);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (!json_object_object_get_ex(obj, argv[i], &v)) {
			fprintf(stderr, "shmw-bench: status has no field %s\n", argv[i]);
			return 1;
		}
		printf("%s%s", i > 1 ? " " : "", json_object_get_string(v));
	}
	putchar('\n');
	json_object_put(obj);
	shmw_client_close(c);
	return 0;
}

/* ---- ready ---------------------------------------------------------------------------------- */

static bool status_ok(const char *path)
{
	struct shmw_request req = {.cmd = SHMW_CMD_STATUS};
	struct shmw_client *c;
	uint64_t t;
	bool ok;

	if (shmw_client_connect(path, 1000, &c, NULL, 0))
		return false;
	ok = shmw_client_roundtrip(c, &req, &t, NULL, 0) == 0;
	shmw_client_close(c);
	return ok;
}

static bool alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool a = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		a = p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return a;
}

static int cmd_ready(int argc, char **argv)
{
	const char *sock, *out, *log;
	int tp[2], fd;
	long timeout_ms;
	pid_t self = getpid(), p;

	if (argc < 5)
		return usage();
	sock = argv[0];
	out = argv[1];
	log = argv[2];
	timeout_ms = strtol(argv[3], NULL, 10);
	if (pipe2(tp, O_CLOEXEC))
		return 1;
	p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		/* The poller, detached (its parent becomes the daemon, which must not reap it). */
		uint64_t t0, deadline;
		FILE *f;

		if (fork() != 0)
			_exit(0);
		close(tp[1]);
		setsid();
		f = fopen(out, "w");
		if (!f)
			_exit(1);
		if (read(tp[0], &t0, sizeof(t0)) != sizeof(t0)) {
			fprintf(f, "fail the daemon did not start\n");
			_exit(1);
		}
		deadline = t0 + (uint64_t)timeout_ms * 1000000ull;
		for (;;) {
			uint64_t t;

			if (status_ok(sock)) {
				t = now_ns();
				fprintf(f, "%llu\n", (unsigned long long)(t - t0));
				break;
			}
			if (!alive(self)) {
				fprintf(f, "fail the daemon exited\n");
				break;
			}
			if (now_ns() > deadline) {
				fprintf(f, "fail not ready after %ld ms\n", timeout_ms);
				break;
			}
			usleep(200);
		}
		fclose(f);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	close(tp[0]);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(log);
		return 1;
	}
	dup2(fd, 1);
	dup2(fd, 2);
	/* The daemon stops (SIGTERM) if whoever started us dies without stopping it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	{
		uint64_t t0 = now_ns();

		if (write(tp[1], &t0, sizeof(t0)) != sizeof(t0))
			return 1;
	}
	execv(argv[4], argv + 4);
	perror(argv[4]);
	return 1;
}

/* ---- loop ----------------------------------------------------------------------------------- */

static int loop_seg = -1;

static void loop_cleanup(void)
{
	if (loop_seg >= 0)
		shmctl(loop_seg, IPC_RMID, NULL);
	loop_seg = -1;
}

static void loop_signal(int sig)
{
	loop_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int loop_segment(int i)
{
	/* One of 128 key pairs, by pid: another bench running at the same time (a second work
	 * tree on the machine) removes "left over" segments with its own key, not ours. */
	key_t key = (key_t)(LOOP_KEY + (((unsigned)getpid() & 0x7f) << 1) + (unsigned)i);
	int id = shmget(key, 4096, 0600);

	if (id >= 0) /* left over by a killed run */
		shmctl(id, IPC_RMID, NULL);
	loop_seg = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	if (loop_seg < 0)
		perror("shmget");
	return loop_seg;
}

static void pad_vmas(long n)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *base;

	if (n <= 0)
		return;
	base = mmap(NULL, (size_t)(2 * n * pg), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return;
	for (long i = 0; i < n; i++)
		munmap(base + (2 * i + 1) * pg, (size_t)pg);
}

/* User + system time of this process and of its children reaped so far. */
static uint64_t cpu_ns(void)
{
	struct rusage self, kids;
	uint64_t us;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	us = (uint64_t)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
			kids.ru_stime.tv_sec) *
		 1000000ull +
	     (uint64_t)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
			kids.ru_stime.tv_usec);
	return us * 1000ull;
}

/* One worker: writes ROUNDS pairs (wall ns/op, CPU ns/op) to wfd. */
static int worker(const char *kind, long ops, int rounds, int idx, long vmas, long pause_ms,
		  int startfd, int wfd)
{
	cpu_set_t set;
	char go;
	void *p;

	CPU_ZERO(&set);
	CPU_SET(idx % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
	sched_setaffinity(0, sizeof(set), &set);
	pad_vmas(vmas);
	if (strcmp(kind, "fork") && loop_segment(idx) < 0)
		return 1;
	if (!strcmp(kind, "forkhold") && shmat(loop_seg, NULL, 0) == (void *)-1) {
		perror("shmat");
		return 1;
	}
	if (read(startfd, &go, 1) != 1)
		return 1;
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns(), c0 = cpu_ns(), v[2];

		if (!strcmp(kind, "shmat")) {
			for (long i = 0; i < ops; i++) {
				p = shmat(loop_seg, NULL, 0);
				if (p == (void *)-1 || shmdt(p)) {
					perror("shmat/shmdt");
					return 1;
				}
			}
		} else {
			for (long i = 0; i < ops; i++) {
				pid_t c = fork();

				if (c == 0)
					_exit(0);
				if (c < 0 || waitpid(c, NULL, 0) != c) {
					perror("fork");
					return 1;
				}
			}
		}
		v[0] = (now_ns() - t0) / (uint64_t)ops;
		v[1] = (cpu_ns() - c0) / (uint64_t)ops;
		if (write(wfd, v, sizeof(v)) != sizeof(v))
			return 1;
		if (pause_ms > 0 && r + 1 < rounds)
			usleep((useconds_t)(pause_ms * 1000));
	}
	return 0;
}

static int cmd_loop(int argc, char **argv)
{
	const char *kind;
	long ops, vmas = 0, pause_ms = 0;
	int rounds, procs, sp[2], rfd[64], rc = 0;
	uint64_t *vals, t0, wall;
	pid_t pids[64];

	if (argc < 4 || argc > 6)
		return usage();
	kind = argv[0];
	ops = strtol(argv[1], NULL, 10);
	rounds = atoi(argv[2]);
	procs = atoi(argv[3]);
	if (argc >= 5)
		vmas = strtol(argv[4], NULL, 10);
	if (argc >= 6)
		pause_ms = strtol(argv[5], NULL, 10);
	if ((strcmp(kind, "shmat") && strcmp(kind, "fork") && strcmp(kind, "forkhold")) ||
	    ops < 1 || rounds < 1 || procs < 1 || procs > 64)
		return usage();
	signal(SIGINT, loop_signal);
	signal(SIGTERM, loop_signal);
	signal(SIGHUP, loop_signal);
	if (pipe(sp))
		return 1;
	for (int i = 0; i < procs; i++) {
		int wp[2];

		/* One result pipe per worker, so the values of each stay in round order. */
		if (pipe(wp))
			return 1;
		pids[i] = fork();
		if (pids[i] < 0)
			return 1;
		if (pids[i] == 0) {
			int r;

			close(sp[1]);
			close(wp[0]);
			r = worker(kind, ops, rounds, i, vmas, pause_ms, sp[0], wp[1]);
			loop_cleanup();
			_exit(r);
		}
		close(wp[1]);
		rfd[i] = wp[0];
	}
	close(sp[0]);
	usleep(100000); /* let every worker create its segment and pad itself */
	t0 = now_ns();
	for (int i = 0; i < procs; i++)
		if (write(sp[1], "g", 1) != 1)
			return 1;
	vals = calloc((size_t)rounds * (size_t)procs * 2, sizeof(*vals));
	for (int i = 0; i < procs; i++)
		for (int r = 0; r < rounds; r++) {
			uint64_t v[2];

			if (read(rfd[i], v, sizeof(v)) != sizeof(v)) {
				rc = 1;
				break;
			}
			memcpy(&vals[((size_t)r * (size_t)procs + (size_t)i) * 2], v, sizeof(v));
		}
	wall = now_ns() - t0;
	for (int i = 0; i < procs; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			rc = 1;
	}
	if (rc) {
		fprintf(stderr, "shmw-bench: loop %s failed\n", kind);
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		uint64_t sum[2] = {0, 0};

		for (int i = 0; i < procs; i++)
			for (int j = 0; j < 2; j++)
				sum[j] +=
				    vals[((size_t)r * (size_t)procs + (size_t)i) * 2 + (size_t)j];
		printf("round %llu %llu\n", (unsigned long long)(sum[0] / (uint64_t)procs),
		       (unsigned long long)(sum[1] / (uint64_t)procs));
	}
	printf("wall %llu\n", (unsigned long long)wall);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "query"))
		return cmd_query(argc - 2, argv + 2);
	if (!strcmp(argv[1], "holders"))
		return cmd_holders(argc - 2, argv + 2);
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 2, argv + 2);
	if (!strcmp(argv[1], "ready"))
		return cmd_ready(argc - 2, argv + 2);
	if (!strcmp(argv[1], "loop"))
		return cmd_loop(argc - 2, argv + 2);
	return usage();
}
