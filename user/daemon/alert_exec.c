// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The --alert-exec hook runner: see alert_exec.h.
 *
 * posix_spawn rather than fork: glibc creates the child with CLONE_VM|CLONE_VFORK, so there is
 * no copy of the daemon's page tables, nothing but the spawn code runs in the child (fork in a
 * process with libbpf and json-c state would allow only async-signal-safe calls), and an exec
 * failure comes back as posix_spawn's error instead of a child that exits 127. posix_spawn
 * returns as soon as the child has exec'd, so a hook that runs for minutes costs the event
 * loop only that.
 */
#include "alert_exec.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SHELL "/bin/sh"

struct hook {
	pid_t pid;	      /* 0: free slot */
	bool killed;	      /* we sent the timeout SIGKILL */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0: no limit */
};

/* An alert waiting for a free slot: its JSON and its environment, copied. */
struct queued {
	struct queued *next;
	size_t bytes; /* all of it, for the queue's byte bound */
	size_t len;
	char **env; /* NULL-terminated, pointing into data */
	char data[];
};

struct shmw_hooks {
	char *cmd;
	uint64_t timeout_ns;
	unsigned max_running;
	unsigned max_queued;
	struct queued *qhead, **qtail;
	size_t qbytes;
	struct shmw_hook_stats st;
	struct hook slots[];
};

static void start_queued(struct shmw_hooks *h);

struct shmw_hooks *shmw_hooks_new(const char *cmd, unsigned timeout_s, unsigned max_running,
				  unsigned max_queued)
{
	struct shmw_hooks *h;

	if (!cmd || !*cmd || max_running < 1 || max_running > SHMW_HOOKS_MAX_RUNNING ||
	    max_queued > SHMW_HOOKS_MAX_QUEUED) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h) + max_running * sizeof(h->slots[0]));
	if (!h)
		return NULL;
	h->cmd = strdup(cmd);
	if (!h->cmd) {
		free(h);
		return NULL;
	}
	h->timeout_ns = (uint64_t)timeout_s * SHMW_NS_PER_SEC;
	h->max_running = max_running;
	h->max_queued = max_queued;
	h->qtail = &h->qhead;
	return h;
}

/* The length of the name in "NAME=VALUE" (the whole string when there is no '='). */
static size_t env_name_len(const char *e)
{
	return (size_t)(strchrnul(e, '=') - e);
}

static bool env_valid(const char *const *env)
{
	for (size_t i = 0; env && env[i]; i++)
		if (!strchr(env[i], '=') || env[i][0] == '=')
			return false;
	return true;
}

/* environ without the variables env sets, then env: a hook sees SHMW_* as the daemon gave
 * them even if the daemon itself was started with a variable of that name. The strings are
 * borrowed; only the array is allocated. */
static char **build_env(const char *const *env)
{
	size_t n = 0, m = 0, k = 0;
	char **out;

	while (environ && environ[n])
		n++;
	while (env && env[m])
		m++;
	out = calloc(n + m + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t len = env_name_len(environ[i]);
		bool replaced = false;

		for (size_t j = 0; j < m && !replaced; j++)
			replaced = env_name_len(env[j]) == len && !strncmp(env[j], environ[i], len);
		if (!replaced)
			out[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		out[k++] = (char *)env[j];
	return out;
}

/*
 * The alert as a memfd at offset 0. Not a pipe: a pipe holds 64 KiB, so a large alert (many
 * holders with long command lines) would block the daemon on write, or need a writer driven
 * by the event loop and a hook that reads. A memfd takes the whole alert now, never blocks, and
 * lets the hook read it at its own pace, or not at all. Kept above fd 2 so the dup2 onto 0 in
 * the child is a real dup2, which clears close-on-exec (dup2(0, 0) would leave it set).
 */
static int alert_memfd(const char *json, size_t len)
{
	int fd = memfd_create("shmwatch-alert", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, json + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			close(fd);
			return -err;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	if (fd < 3) {
		int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		int err = errno;

		close(fd);
		if (nfd < 0)
			return -err;
		fd = nfd;
	}
	return fd;
}

/*
 * Every descriptor above 2 closed in the child, those the daemon itself inherited from whatever
 * started it included (a shell's redirection leaves them without close-on-exec). glibc 2.34+
 * does it in the child (close_range(3, ~0U, 0), or a walk of /proc/self/fd where the kernel
 * lacks it). Elsewhere, every descriptor above 2 of the daemon is made close-on-exec first,
 * the same way: the daemon runs no program but its hooks (SHMW_NO_CLOSEFROM_NP tries that path).
 */
#if !defined(SHMW_NO_CLOSEFROM_NP) && defined(__GLIBC__) &&                                        \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
static int close_above_2(posix_spawn_file_actions_t *fa)
{
	return posix_spawn_file_actions_addclosefrom_np(fa, 3);
}
#else
#include <dirent.h>
#include <sys/syscall.h>
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
static int close_above_2(posix_spawn_file_actions_t *fa)
{
	DIR *d;
	struct dirent *e;

	(void)fa;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
#endif
	d = opendir("/proc/self/fd");
	if (!d)
		return errno;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	}
	closedir(d);
	return 0;
}
#endif

/*
 * The child's setup, done by posix_spawn between clone and exec:
 * - stdin the memfd, stdout /dev/null (a `tee`-like hook must not fill the journal with alert
 *   JSON), stderr inherited (the hook's own errors are what tells an operator why it fails);
 * - every other fd closed, whether or not it has O_CLOEXEC: the BPF maps, ring buffer, listening
 *   socket and client connections of the daemon are no business of a hook;
 * - a new process group, so a timeout kills the hook's pipeline and children too, and a Ctrl-C
 *   at a foreground daemon's terminal does not reach hooks (the daemon stops them itself);
 * - an empty signal mask (the daemon blocks SIGINT/SIGTERM/SIGHUP/SIGCHLD for its signalfd, and
 *   a blocked mask survives exec) and every signal at its default (exec resets handled signals
 *   but keeps ignored ones, and the daemon ignores SIGPIPE: a hook piping into `head` would not
 *   die the normal way). glibc leaves its two internal signals (32, 33) ignored all the same;
 *   programs linked with glibc install their own handlers for them, others do not use them.
 */
static int spawn(struct shmw_hooks *h, int mfd, char **envp, pid_t *pid)
{
	char *argv[] = {"sh", "-c", h->cmd, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int err;

	err = posix_spawn_file_actions_init(&fa);
	if (err)
		return err;
	err = posix_spawnattr_init(&at);
	if (err) {
		posix_spawn_file_actions_destroy(&fa);
		return err;
	}
	sigemptyset(&none);
	sigfillset(&all);
	err = posix_spawn_file_actions_adddup2(&fa, mfd, 0);
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!err)
		err = close_above_2(&fa);
	if (!err)
		err = posix_spawnattr_setsigmask(&at, &none);
	if (!err)
		err = posix_spawnattr_setsigdefault(&at, &all);
	if (!err)
		err = posix_spawnattr_setpgroup(&at, 0);
	if (!err)
		err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
							POSIX_SPAWN_SETPGROUP);
	if (!err)
		err = posix_spawn(pid, SHELL, &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return err;
}

static struct hook *free_slot(struct shmw_hooks *h)
{
	for (unsigned i = 0; i < h->max_running; i++)
		if (!h->slots[i].pid)
			return &h->slots[i];
	return NULL;
}

/* Starts one hook in slot. 0, or -errno (counted as a spawn error). */
static int start(struct shmw_hooks *h, struct hook *slot, const char *json, size_t len,
		 const char *const *env)
{
	char **envp;
	pid_t pid;
	int mfd, err;

	envp = build_env(env);
	if (!envp) {
		h->st.spawn_errors++;
		return -ENOMEM;
	}
	mfd = alert_memfd(json, len);
	if (mfd < 0) {
		free(envp);
		h->st.spawn_errors++;
		return mfd;
	}
	err = spawn(h, mfd, envp, &pid);
	close(mfd);
	free(envp);
	if (err) {
		h->st.spawn_errors++;
		return -err;
	}
	slot->pid = pid;
	slot->killed = false;
	slot->deadline_ns = h->timeout_ns ? shmw_mono_ns() + h->timeout_ns : 0;
	h->st.started++;
	h->st.running++;
	return 0;
}

/* A copy of the alert and its environment in one allocation, or NULL (ENOMEM). */
static struct queued *copy_alert(const char *json, size_t len, const char *const *env)
{
	size_t m = 0, strings = 0, bytes;
	struct queued *q;
	char *p;

	while (env && env[m])
		strings += strlen(env[m++]) + 1;
	bytes = sizeof(*q) + len + (m + 1) * sizeof(char *) + strings + sizeof(char *);
	q = malloc(bytes);
	if (!q)
		return NULL;
	q->next = NULL;
	q->bytes = bytes;
	q->len = len;
	if (len) /* json may be NULL then */
		memcpy(q->data, json, len);
	/* The pointer array after the JSON, aligned; the strings after it. */
	p = q->data + len;
	p += (sizeof(char *) - (uintptr_t)p % sizeof(char *)) % sizeof(char *);
	q->env = (char **)(void *)p;
	p = (char *)(q->env + m + 1);
	for (size_t i = 0; i < m; i++) {
		size_t n = strlen(env[i]) + 1;

		memcpy(p, env[i], n);
		q->env[i] = p;
		p += n;
	}
	q->env[m] = NULL;
	return q;
}

int shmw_hooks_run(struct shmw_hooks *h, const char *json, size_t len, const char *const *env)
{
	struct hook *slot;
	struct queued *q;

	if (!h || (!json && len))
		return -EINVAL;
	if (!env_valid(env))
		return -EINVAL;
	shmw_hooks_reap(h); /* frees slots, and starts what waited for them */
	slot = h->qhead ? NULL : free_slot(h);
	if (slot)
		return start(h, slot, json, len, env);
	/* Every slot taken (or alerts waiting already, which go first): wait in the queue, if
	 * it has room for one more alert and its bytes. */
	if (h->st.queued >= h->max_queued || h->qbytes + len > SHMW_HOOKS_QUEUE_BYTES) {
		h->st.dropped++;
		return -EBUSY;
	}
	q = copy_alert(json, len, env);
	if (!q) {
		h->st.dropped++;
		return -EBUSY;
	}
	*h->qtail = q;
	h->qtail = &q->next;
	h->qbytes += q->bytes;
	h->st.queued++;
	return SHMW_HOOK_QUEUED;
}

/* Starts waiting alerts, oldest first, while there are free slots. */
static void start_queued(struct shmw_hooks *h)
{
	struct hook *slot;

	while (h->qhead && (slot = free_slot(h))) {
		struct queued *q = h->qhead;

		h->qhead = q->next;
		if (!h->qhead)
			h->qtail = &h->qhead;
		h->qbytes -= q->bytes;
		h->st.queued--;
		/* A spawn error is counted; the alert is not tried again (the next may work). */
		start(h, slot, q->data, q->len, (const char *const *)q->env);
		free(q);
	}
}

/* A hook is over: count how it ended and free its slot. status < 0: it was reaped by someone
 * else (SIGCHLD set to SIG_IGN, or a waitpid(-1) elsewhere in the process), so how it ended is
 * lost; it is not known to have succeeded. */
static void finish(struct shmw_hooks *h, struct hook *k, int status, bool known)
{
	if (k->killed && (!known || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)))
		h->st.timed_out++;
	else if (known && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		h->st.succeeded++;
	else
		h->st.failed++;
	k->pid = 0;
	k->killed = false;
	h->st.running--;
}

void shmw_hooks_reap(struct shmw_hooks *h)
{
	uint64_t now;

	if (!h)
		return;
	if (!h->st.running) {
		start_queued(h);
		return;
	}
	now = shmw_mono_ns();
	for (unsigned i = 0; i < h->max_running; i++) {
		struct hook *k = &h->slots[i];
		int status = 0;
		pid_t r;

		if (!k->pid)
			continue;
		/* One pid at a time: waitpid(-1) would take the status of children that are not
		 * ours to collect. */
		do
			r = waitpid(k->pid, &status, WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == k->pid) {
			finish(h, k, status, true);
		} else if (r < 0) {
			finish(h, k, 0, false);
		} else if (!k->killed && k->deadline_ns && now >= k->deadline_ns) {
			/* Not yet reaped, so the pid (and the group id it names) cannot have been
			 * reused: the group is still this hook's. */
			kill(-k->pid, SIGKILL);
			k->killed = true;
		}
	}
	start_queued(h);
}

void shmw_hooks_stats(const struct shmw_hooks *h, struct shmw_hook_stats *st)
{
	if (h)
		*st = h->st;
	else
		memset(st, 0, sizeof(*st));
}

void shmw_hooks_free(struct shmw_hooks *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->max_running; i++) {
		pid_t pid = h->slots[i].pid;

		if (!pid)
			continue;
		kill(-pid, SIGKILL);
		/* Blocking is fine here: SIGKILL cannot be caught, and the daemon is stopping. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	while (h->qhead) {
		struct queued *q = h->qhead;

		h->qhead = q->next;
		free(q);
	}
	free(h->cmd);
	free(h);
}
