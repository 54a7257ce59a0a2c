// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --alert-exec hook runner (user/daemon/alert_exec.c) with real /bin/sh commands. Waits poll
 * shmw_hooks_reap() with short sleeps and a bound, as the daemon's ticks would. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert_exec.h"
#include "check.h"

static char dir[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static const char *path(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* The whole file, NUL-terminated, or NULL; *len its size. */
static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "r");
	char *s = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			char *ns = realloc(s, cap + 65536);

			if (!ns) {
				free(s);
				fclose(f);
				return NULL;
			}
			s = ns;
			cap += 65536;
		}
		r = fread(s + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	s[n] = '\0';
	if (len)
		*len = n;
	return s;
}

static struct shmw_hook_stats stats(struct shmw_hooks *h)
{
	struct shmw_hook_stats st;

	shmw_hooks_stats(h, &st);
	return st;
}

/* Reaps until nothing runs, for at most max_ms. Returns the seconds it took. */
static double reap_all(struct shmw_hooks *h, unsigned max_ms)
{
	double t0 = now_s();

	for (;;) {
		shmw_hooks_reap(h);
		if ((stats(h).running == 0 && stats(h).queued == 0) ||
		    now_s() - t0 > max_ms / 1000.0)
			return now_s() - t0;
		sleep_ms(5);
	}
}

static void check_invariant(const char *name, struct shmw_hooks *h)
{
	struct shmw_hook_stats st = stats(h);

	CHECK(name, st.started == st.succeeded + st.failed + st.timed_out + st.running);
}

/* Our children, zombies included, as /proc sees them (field 4 of /proc/PID/stat is the
 * parent). Returns how many, the first max of them in pids. */
static int children(pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[300], buf[512], *rp;
		int ppid;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		buf[0] = '\0';
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		rp = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
		if (rp && sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == getpid()) {
			if (n < max)
				pids[n] = atoi(e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* 'Z' zombie, 'X' dead, 0 gone, else the state letter of /proc/PID/stat. */
static char proc_state(pid_t pid)
{
	char p[64], buf[512], *rp, st = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')))
		sscanf(rp + 1, " %c", &st);
	fclose(f);
	return st;
}

static bool wait_file(const char *p, unsigned max_ms)
{
	struct stat sb;

	for (unsigned t = 0; t < max_ms; t += 5) {
		if (stat(p, &sb) == 0 && sb.st_size > 0)
			return true;
		sleep_ms(5);
	}
	return false;
}

static void test_new(void)
{
	errno = 0;
	CHECK("new empty cmd", !shmw_hooks_new("", 1, 1, 0) && errno == EINVAL);
	CHECK("new NULL cmd", !shmw_hooks_new(NULL, 1, 1, 0) && errno == EINVAL);
	CHECK("new max_running 0", !shmw_hooks_new("true", 1, 0, 0) && errno == EINVAL);
	CHECK("new max_queued too big",
	      !shmw_hooks_new("true", 1, 1, SHMW_HOOKS_MAX_QUEUED + 1) && errno == EINVAL);
	CHECK("new max_running too big",
	      !shmw_hooks_new("true", 1, SHMW_HOOKS_MAX_RUNNING + 1, 0) && errno == EINVAL);
	shmw_hooks_free(NULL); /* no-op */
}

/* The alert reaches the hook's stdin whole; one that is larger than a pipe does too, without
 * the caller waiting for the hook to read it. */
static void test_stdin(void)
{
	static const char json[] = "{\"event\":\"linger\",\"shmid\":393216,\"comm\":\"a\\\"b\"}";
	char cmd[256];
	struct shmw_hooks *h;
	size_t biglen = 1 << 20, len = 0;
	char *big = malloc(biglen), *got;
	double t0, dt;

	snprintf(cmd, sizeof(cmd), "cat > %s", path("stdin"));
	h = shmw_hooks_new(cmd, 10, 4, 0);
	CHECK("stdin new", h != NULL);
	if (!h || !big) {
		free(big);
		shmw_hooks_free(h);
		return;
	}
	CHECK_INT("stdin run", shmw_hooks_run(h, json, strlen(json), NULL), 0);
	reap_all(h, 5000);
	got = slurp(path("stdin"), NULL);
	CHECK_STR("stdin content", got, json);
	free(got);
	CHECK_INT("stdin succeeded", stats(h).succeeded, 1);
	shmw_hooks_free(h);

	for (size_t i = 0; i < biglen; i++)
		big[i] = (char)('a' + i % 26);
	snprintf(cmd, sizeof(cmd), "sleep 0.3; cat > %s", path("big"));
	h = shmw_hooks_new(cmd, 10, 4, 0);
	t0 = now_s();
	CHECK_INT("big stdin run", h ? shmw_hooks_run(h, big, biglen, NULL) : -1, 0);
	dt = now_s() - t0;
	printf("     1 MiB alert: run() returned after %.1f ms\n", dt * 1e3);
	/* The reader sleeps 0.3 s first: returning well before that is not waiting for it (a fork
	 * and exec on a loaded machine can take tens of ms by themselves). */
	CHECK("big stdin run does not wait for the reader", dt < 0.2);
	reap_all(h, 5000);
	got = slurp(path("big"), &len);
	CHECK("big stdin content whole", got && len == biglen && !memcmp(got, big, biglen));
	free(got);
	free(big);
	shmw_hooks_free(h);
}

static void test_env(void)
{
	const char *env[] = {"SHMW_T_OVERRIDE=new", "SHMW_T_ADDED=a b=c", "SHMW_T_EMPTY=", NULL};
	const char *bad1[] = {"NOEQUALS", NULL};
	const char *bad2[] = {"=value", NULL};
	struct shmw_hooks *h;
	char cmd[512], *got;

	setenv("SHMW_T_OVERRIDE", "old", 1);
	setenv("SHMW_T_INHERIT", "kept", 1);
	snprintf(cmd, sizeof(cmd),
		 "printf '%%s|%%s|%%s|%%s|' \"$SHMW_T_OVERRIDE\" \"$SHMW_T_INHERIT\" "
		 "\"$SHMW_T_ADDED\" \"${SHMW_T_EMPTY-unset}\" > %s; "
		 "env | grep -c '^SHMW_T_OVERRIDE=' >> %s",
		 path("env"), path("env"));
	h = shmw_hooks_new(cmd, 10, 1, 0);
	CHECK("env new", h != NULL);
	if (!h)
		return;
	CHECK_INT("env run", shmw_hooks_run(h, "{}", 2, env), 0);
	reap_all(h, 5000);
	got = slurp(path("env"), NULL);
	CHECK_STR("env seen, overridden once, inherited", got, "new|kept|a b=c||1\n");
	free(got);
	CHECK_INT("env without '='", shmw_hooks_run(h, "{}", 2, bad1), -EINVAL);
	CHECK_INT("env with empty name", shmw_hooks_run(h, "{}", 2, bad2), -EINVAL);
	CHECK_INT("env errors start nothing", stats(h).started, 1);
	CHECK_INT("env errors are not spawn errors", stats(h).spawn_errors, 0);
	shmw_hooks_free(h);
	unsetenv("SHMW_T_OVERRIDE");
	unsetenv("SHMW_T_INHERIT");
}

/* The environment as exec gave the shell, before the shell tidied it (a shell passes on one
 * value per name): a variable set twice would reach getenv() in a C program as its first, the
 * daemon's, value. /proc/PID/environ of a shell that is still running shows it. */
static void test_env_raw(void)
{
	const char *env[] = {"SHMW_T_OVERRIDE=new", NULL};
	struct shmw_hooks *h = shmw_hooks_new("sleep 5; true", 10, 1, 0);
	size_t len = 0, set = 0;
	bool is_new = false;
	pid_t pid = 0;
	char p[64], *st;

	CHECK("env raw new", h != NULL);
	if (!h)
		return;
	setenv("SHMW_T_OVERRIDE", "old", 1);
	CHECK_INT("env raw run", shmw_hooks_run(h, "{}", 2, env), 0);
	unsetenv("SHMW_T_OVERRIDE");
	CHECK_INT("env raw one child", children(&pid, 1), 1);
	snprintf(p, sizeof(p), "/proc/%d/environ", (int)pid);
	/* Until the child has exec'd the shell, /proc shows the environment it was forked with:
	 * poll (bounded) for the one exec gave it. */
	for (int tries = 0; tries < 200; tries++) {
		set = 0;
		is_new = false;
		st = slurp(p, &len);
		for (size_t off = 0; st && off < len; off += strlen(st + off) + 1) {
			if (!strncmp(st + off, "SHMW_T_OVERRIDE=", 16)) {
				set++;
				is_new = !strcmp(st + off + 16, "new");
			}
		}
		free(st);
		if (set == 1 && is_new)
			break;
		usleep(10000);
	}
	CHECK_INT("env raw variable set once", set, 1);
	CHECK("env raw variable replaced", is_new);
	shmw_hooks_free(h);
}

/* The child as the daemon would leave it: signals blocked for a signalfd, SIGPIPE ignored,
 * fds open with and without O_CLOEXEC. `exec sleep` keeps exactly what the spawn gave the
 * shell, so /proc/PID of the sleeping hook shows it. */
static void test_child_setup(void)
{
	sigset_t block, old;
	struct sigaction ign = {.sa_handler = SIG_IGN}, oldpipe;
	int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	int leak2 = dup(2);
	struct shmw_hooks *h = shmw_hooks_new("exec sleep 5", 10, 1, 0);
	pid_t pid = 0;
	char p[64], buf[256], *st;
	DIR *d;
	struct dirent *e;
	int nfds = 0, others = 0;
	ssize_t n;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &oldpipe);
	CHECK("setup new", h != NULL && leak >= 0 && leak2 >= 0);
	if (!h)
		goto out;
	CHECK_INT("setup run", shmw_hooks_run(h, "{\"x\":1}", 7, NULL), 0);
	CHECK_INT("setup one child", children(&pid, 1), 1);
	/* Wait for the exec of sleep (until then /proc shows the shell) and for sleep to be in
	 * its nanosleep: between the two it opens files of its own for a moment (its libraries,
	 * the locale's files: fd 3), which a look too early takes for fds the spawn left open. */
	for (int i = 0; i < 400; i++) {
		bool asleep;

		snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
		st = slurp(p, NULL);
		asleep = st && !strcmp(st, "sleep\n");
		free(st);
		snprintf(p, sizeof(p), "/proc/%d/wchan", (int)pid);
		st = asleep ? slurp(p, NULL) : NULL;
		asleep = st && strstr(st, "nanosleep");
		free(st);
		if (asleep)
			break;
		sleep_ms(5);
	}

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	st = slurp(p, NULL);
	CHECK("setup signal mask empty", st && strstr(st, "\nSigBlk:\t0000000000000000\n"));
	{
		/* Bit n-1 stands for signal n. glibc's posix_spawn leaves its two internal
		 * signals (32 and 33, below its SIGRTMIN) ignored in the child; nothing else may
		 * be, SIGPIPE above all. */
		const char *ig = st ? strstr(st, "\nSigIgn:\t") : NULL;
		unsigned long long ign = ig ? strtoull(ig + 9, NULL, 16) : ~0ULL;

		CHECK("setup SIGPIPE not ignored", !(ign & (1ULL << (SIGPIPE - 1))));
		CHECK("setup no signal ignored but glibc's own",
		      (ign & ~((1ULL << 31) | (1ULL << 32))) == 0);
	}
	free(st);

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	st = slurp(p, NULL);
	{
		int pgrp = 0;
		char *rp = st ? strrchr(st, ')') : NULL;

		if (rp)
			sscanf(rp + 1, " %*c %*d %d", &pgrp);
		CHECK_INT("setup own process group", pgrp, pid);
		CHECK("setup not our process group", pgrp != getpgrp());
	}
	free(st);

	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	d = opendir(p);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		nfds++;
		if (strcmp(e->d_name, "0") && strcmp(e->d_name, "1") && strcmp(e->d_name, "2"))
			others++;
	}
	if (d)
		closedir(d);
	CHECK_INT("setup fds 0 1 2 only", nfds * 100 + others, 300);
	snprintf(p, sizeof(p), "/proc/%d/fd/0", (int)pid);
	n = readlink(p, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK("setup stdin is the memfd", !strncmp(buf, "/memfd:shmwatch-alert", 21));
	snprintf(p, sizeof(p), "/proc/%d/fd/1", (int)pid);
	n = readlink(p, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR("setup stdout is /dev/null", buf, "/dev/null");

	/* The caller's own mask and dispositions are untouched. */
	{
		sigset_t now;
		struct sigaction cur;

		sigprocmask(SIG_BLOCK, NULL, &now);
		sigaction(SIGPIPE, NULL, &cur);
		CHECK("setup caller mask kept", sigismember(&now, SIGCHLD) == 1);
		CHECK("setup caller SIGPIPE kept", cur.sa_handler == SIG_IGN);
	}
	{
		double t0 = now_s();

		shmw_hooks_free(h);
		CHECK("setup free kills at once", now_s() - t0 < 1.0);
	}
	CHECK_INT("setup free leaves no child", children(NULL, 0), 0);
out:
	sigaction(SIGPIPE, &oldpipe, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (leak >= 0)
		close(leak);
	if (leak2 >= 0)
		close(leak2);
}

static void test_exit_status(void)
{
	struct shmw_hooks *h = shmw_hooks_new("exit $SHMW_T_RC", 10, 4, 0);
	const char *ok[] = {"SHMW_T_RC=0", NULL};
	const char *three[] = {"SHMW_T_RC=3", NULL};
	struct shmw_hook_stats st;

	CHECK("status new", h != NULL);
	if (!h)
		return;
	CHECK_INT("status run 0", shmw_hooks_run(h, "{}", 2, ok), 0);
	CHECK_INT("status run 3", shmw_hooks_run(h, "{}", 2, three), 0);
	reap_all(h, 5000);
	st = stats(h);
	CHECK_INT("status succeeded", st.succeeded, 1);
	CHECK_INT("status non-zero exit counted", st.failed, 1);
	CHECK_INT("status nothing running", st.running, 0);
	shmw_hooks_free(h);

	/* Killed by a signal that is not our timeout kill. */
	h = shmw_hooks_new("kill -TERM $$; sleep 5", 10, 1, 0);
	CHECK_INT("status signal run", h ? shmw_hooks_run(h, "{}", 2, NULL) : -1, 0);
	reap_all(h, 5000);
	st = stats(h);
	CHECK_INT("status killed by signal is failed", st.failed, 1);
	CHECK_INT("status killed by signal is not timed out", st.timed_out, 0);
	check_invariant("status invariant", h);
	shmw_hooks_free(h);
	CHECK_INT("status no zombie", children(NULL, 0), 0);
}

/* A hook past its timeout dies with its whole group: the shell and its background child. */
static void test_timeout(void)
{
	char cmd[256], *got;
	struct shmw_hooks *h;
	struct shmw_hook_stats st;
	pid_t grandchild = 0;
	double dt, t0;
	char state = '?';

	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s; wait", path("grandchild"));
	h = shmw_hooks_new(cmd, 1, 1, 0);
	CHECK("timeout new", h != NULL);
	if (!h)
		return;
	t0 = now_s();
	CHECK_INT("timeout run", shmw_hooks_run(h, "{}", 2, NULL), 0);
	CHECK("timeout grandchild started", wait_file(path("grandchild"), 900));
	got = slurp(path("grandchild"), NULL);
	grandchild = got ? atoi(got) : 0;
	free(got);
	reap_all(h, 4000);
	dt = now_s() - t0;
	st = stats(h);
	printf("     timeout 1 s: reaped %.2f s after the start\n", dt);
	CHECK_INT("timeout counted", st.timed_out, 1);
	CHECK_INT("timeout not counted as failed", st.failed, 0);
	CHECK_INT("timeout nothing running", st.running, 0);
	/* Not before its timeout; within 2 s more (scaled by the load factor). */
	CHECK("timeout killed 1 s after the start, not before", dt >= 1.0);
	CHECK("timeout killed within 3 s of the start (scaled)",
	      dt < 1.0 + 2.0 * check_load_factor());
	/* The grandchild is init's now; it must be dead (gone, or a zombie init has yet to
	 * collect), not sleeping on. */
	for (int i = 0; i < 200 && grandchild > 0; i++) {
		state = proc_state(grandchild);
		if (state == 0 || state == 'Z' || state == 'X')
			break;
		sleep_ms(5);
	}
	CHECK("timeout killed the process group",
	      grandchild > 0 && (state == 0 || state == 'Z' || state == 'X'));
	check_invariant("timeout invariant", h);
	CHECK_INT("timeout no zombie", children(NULL, 0), 0);
	shmw_hooks_free(h);
}

/* run() returns at once however long the hook takes; without a queue, more than max_running
 * are dropped. */
static void test_busy(void)
{
	struct shmw_hooks *h = shmw_hooks_new("sleep 5", 0, 2, 0);
	struct shmw_hook_stats st;
	double t0, dt, worst = 0;
	int r[3];

	CHECK("busy new", h != NULL);
	if (!h)
		return;
	for (int i = 0; i < 3; i++) {
		t0 = now_s();
		r[i] = shmw_hooks_run(h, "{}", 2, NULL);
		dt = now_s() - t0;
		if (dt > worst)
			worst = dt;
	}
	printf("     sleep 5 hook: run() returned after %.1f ms at worst (load factor %.1f)\n",
	       worst * 1e3, check_load_factor());
	CHECK("busy run returns within 50 ms (scaled by the load factor)",
	      worst < 0.05 * check_load_factor());
	CHECK_INT("busy first runs", r[0], 0);
	CHECK_INT("busy second runs", r[1], 0);
	CHECK_INT("busy third dropped", r[2], -EBUSY);
	shmw_hooks_reap(h);
	st = stats(h);
	CHECK_INT("busy dropped counted", st.dropped, 1);
	CHECK_INT("busy started", st.started, 2);
	CHECK_INT("busy running", st.running, 2);
	CHECK_INT("busy children", children(NULL, 0), 2);
	t0 = now_s();
	shmw_hooks_free(h);
	CHECK("busy free is quick", now_s() - t0 < 1.0);
	CHECK_INT("busy free leaves no child", children(NULL, 0), 0);
}

/* Alerts that find every slot taken wait, in order, and run as slots free up; past
 * max_queued (or the queue's byte bound) they are dropped and counted. */
static void test_queue(void)
{
	char cmd[256], *got;
	struct shmw_hooks *h;
	struct shmw_hook_stats st;
	int r[5];

	snprintf(cmd, sizeof(cmd), "cat >%s.$SHMW_N; echo $SHMW_N >>%s; sleep 0.1", path("q"),
		 path("order"));
	h = shmw_hooks_new(cmd, 10, 1, 3);
	CHECK("queue new", h != NULL);
	if (!h)
		return;
	for (int i = 0; i < 5; i++) {
		char e[32], json[32];
		const char *env[] = {e, NULL};

		snprintf(e, sizeof(e), "SHMW_N=%d", i);
		snprintf(json, sizeof(json), "{\"n\":%d}", i);
		r[i] = shmw_hooks_run(h, json, strlen(json), env);
	}
	CHECK_INT("queue first runs", r[0], 0);
	CHECK_INT("queue second waits", r[1], SHMW_HOOK_QUEUED);
	CHECK_INT("queue fourth waits", r[3], SHMW_HOOK_QUEUED);
	CHECK_INT("queue fifth dropped", r[4], -EBUSY);
	st = stats(h);
	CHECK_INT("queue queued", st.queued, 3);
	CHECK_INT("queue dropped", st.dropped, 1);
	CHECK_INT("queue started", st.started, 1);
	reap_all(h, 10000);
	st = stats(h);
	CHECK_INT("queue all waiting ones ran", st.succeeded, 4);
	CHECK_INT("queue none left", st.queued, 0);
	check_invariant("queue invariant", h);
	got = slurp(path("order"), NULL);
	CHECK_STR("queue in order", got, "0\n1\n2\n3\n");
	free(got);
	got = slurp(path("q.3"), NULL);
	CHECK_STR("queue each its own alert and environment", got, "{\"n\":3}");
	free(got);
	CHECK("queue the dropped one never ran", access(path("q.4"), F_OK) < 0);
	shmw_hooks_free(h);

	/* The byte bound: two alerts of 9 MiB do not both fit in 16 MiB. */
	h = shmw_hooks_new("sleep 5", 0, 1, 100);
	if (h) {
		size_t n = 9u << 20;
		char *big = calloc(1, n);

		CHECK_INT("queue bytes: one runs", shmw_hooks_run(h, "{}", 2, NULL), 0);
		CHECK_INT("queue bytes: the first big one waits",
			  big ? shmw_hooks_run(h, big, n, NULL) : -1, SHMW_HOOK_QUEUED);
		CHECK_INT("queue bytes: the second does not fit",
			  big ? shmw_hooks_run(h, big, n, NULL) : -1, -EBUSY);
		CHECK_INT("queue bytes: a small one still fits", shmw_hooks_run(h, "{}", 2, NULL),
			  SHMW_HOOK_QUEUED);
		free(big);
		/* Freed with alerts waiting: no leak (ASan), no child left. */
		shmw_hooks_free(h);
		CHECK_INT("queue free leaves no child", children(NULL, 0), 0);
	}
}

/* A slot comes free when its hook ends, without a reap call in between. */
static void test_slot_reuse(void)
{
	struct shmw_hooks *h = shmw_hooks_new("true", 0, 1, 0);
	int ok = 0;

	CHECK("reuse new", h != NULL);
	if (!h)
		return;
	CHECK_INT("reuse first", shmw_hooks_run(h, "{}", 2, NULL), 0);
	for (int i = 0; i < 400 && !ok; i++) {
		sleep_ms(5);
		ok = shmw_hooks_run(h, "{}", 2, NULL) == 0;
	}
	CHECK("reuse second after the first ended", ok);
	reap_all(h, 5000);
	CHECK_INT("reuse both succeeded", stats(h).succeeded, 2);
	shmw_hooks_free(h);
}

/* Other children of the daemon keep their exit status for whoever waits for them. */
static void test_no_steal(void)
{
	struct shmw_hooks *h = shmw_hooks_new("true", 10, 2, 0);
	pid_t other = fork();
	int status = 0;
	pid_t r;

	if (other == 0)
		_exit(7);
	CHECK("steal setup", h != NULL && other > 0);
	if (!h || other <= 0)
		return;
	for (int i = 0; i < 400 && proc_state(other) != 'Z'; i++)
		sleep_ms(5);
	CHECK_INT("steal hook run", shmw_hooks_run(h, "{}", 2, NULL), 0);
	reap_all(h, 5000);
	CHECK_INT("steal hook reaped", stats(h).succeeded, 1);
	r = waitpid(other, &status, WNOHANG);
	CHECK("steal other child's status kept",
	      r == other && WIFEXITED(status) && WEXITSTATUS(status) == 7);
	shmw_hooks_free(h);
}

/* Someone else took our child's status (waitpid(-1) elsewhere): the slot must not leak. */
static void test_lost_status(void)
{
	struct shmw_hooks *h = shmw_hooks_new("true", 10, 1, 0);
	struct shmw_hook_stats st;
	pid_t r = 0;

	CHECK("lost new", h != NULL);
	if (!h)
		return;
	CHECK_INT("lost run", shmw_hooks_run(h, "{}", 2, NULL), 0);
	for (int i = 0; i < 400 && r <= 0; i++) {
		r = waitpid(-1, NULL, WNOHANG);
		if (r <= 0)
			sleep_ms(5);
	}
	shmw_hooks_reap(h);
	st = stats(h);
	CHECK_INT("lost slot freed", st.running, 0);
	CHECK_INT("lost counted as failed", st.failed, 1);
	CHECK_INT("lost run again", shmw_hooks_run(h, "{}", 2, NULL), 0);
	shmw_hooks_free(h);
}

int main(void)
{
	char cmd[128];

	/* A run() that blocks (on a pipe, say) must fail the test, not hang it. */
	alarm(60);
	snprintf(dir, sizeof(dir), "%s", "/tmp/shmw-hooks.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_new();
	test_stdin();
	test_env();
	test_env_raw();
	test_child_setup();
	test_exit_status();
	test_timeout();
	test_busy();
	test_queue();
	test_slot_reuse();
	test_no_steal();
	test_lost_status();
	CHECK_INT("no child left at the end", children(NULL, 0), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("     could not remove %s\n", dir);
	return CHECK_DONE();
}
