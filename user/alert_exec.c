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

#include <errno.h>
#include <fcntl.h>
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

struct shmw_hooks {
	char *cmd;
	uint64_t timeout_ns;
	unsigned max_running;
	struct shmw_hook_stats st;
	struct hook slots[];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct shmw_hooks *shmw_hooks_new(const char *cmd, unsigned timeout_s, unsigned max_running)
{
	struct shmw_hooks *h;

	if (!cmd || !*cmd || max_running < 1 || max_running > SHMW_HOOKS_MAX_RUNNING) {
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
	h->timeout_ns = (uint64_t)timeout_s * 1000000000u;
	h->max_running = max_running;
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
		err = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
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

int shmw_hooks_run(struct shmw_hooks *h, const char *json, size_t len, const char *const *env)
{
	struct hook *slot = NULL;
	char **envp;
	pid_t pid;
	int mfd, err;

	if (!h || (!json && len))
		return -EINVAL;
	if (!env_valid(env))
		return -EINVAL;
	shmw_hooks_reap(h);
	for (unsigned i = 0; i < h->max_running && !slot; i++)
		if (!h->slots[i].pid)
			slot = &h->slots[i];
	if (!slot) {
		h->st.refused++;
		return -EBUSY;
	}
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
	slot->deadline_ns = h->timeout_ns ? mono_ns() + h->timeout_ns : 0;
	h->st.started++;
	h->st.running++;
	return 0;
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

	if (!h || !h->st.running)
		return;
	now = mono_ns();
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
	free(h->cmd);
	free(h);
}
