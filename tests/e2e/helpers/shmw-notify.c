/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-notify: a stand-in for the service manager's end of sd_notify(3), for
 * tests/e2e/t_systemd.sh.
 *
 *   shmw-notify [--on-ready CMD] [--timeout SEC] PATH
 *
 * Binds an AF_UNIX SOCK_DGRAM socket at PATH (what NOTIFY_SOCKET names), prints "bound", then
 * one line per line of each datagram received:
 *	msg SEQ PID LINE      SEQ counts datagrams from 1, PID is the sender (SCM_CREDENTIALS)
 * The moment a datagram with a line READY=1 arrives, and before anything else is read, it runs
 * /bin/sh -c CMD and prints "on-ready SEQ STATUS" (STATUS: CMD's exit status, or 128 + the
 * signal that killed it): CMD sees the daemon exactly as it was when it declared itself ready.
 * Exits 0 after a datagram with STOPPING=1, 2 on errors or when SEC (default 60) pass. PATH is
 * removed at exit. Output is flushed line by line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *sock_path;

static void cleanup(void)
{
	if (sock_path)
		unlink(sock_path);
}

static void on_signal(int sig)
{
	(void)sig;
	cleanup();
	_exit(2);
}

static int run(const char *cmd)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fprintf(stderr, "usage: shmw-notify [--on-ready CMD] [--timeout SEC] PATH\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	const char *on_ready = NULL;
	long long deadline;
	unsigned long seq = 0;
	int fd, one = 1, timeout_s = 60;
	bool stopping = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--on-ready") && i + 1 < argc) {
			on_ready = argv[++i];
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout_s = atoi(argv[++i]);
		} else if (argv[i][0] == '-' || sock_path) {
			usage();
		} else {
			sock_path = argv[i];
		}
	}
	if (!sock_path || strlen(sock_path) >= sizeof(addr.sun_path) || timeout_s <= 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	strcpy(addr.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) {
		perror("shmw-notify: socket");
		return 2;
	}
	unlink(sock_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("shmw-notify: bind");
		return 2;
	}
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("bound\n");
	deadline = now_ms() + timeout_s * 1000LL;
	while (!stopping) {
		char buf[4096 + 1], cbuf[CMSG_SPACE(sizeof(struct ucred))];
		struct iovec iov = {buf, sizeof(buf) - 1};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		bool ready = false;
		struct cmsghdr *c;
		ssize_t n;
		pid_t pid = 0;
		char *line, *save;

		if (left <= 0) {
			fprintf(stderr, "shmw-notify: nothing more after %d s\n", timeout_s);
			return 2;
		}
		n = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR) {
			perror("shmw-notify: poll");
			return 2;
		}
		if (n <= 0)
			continue;
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("shmw-notify: recvmsg");
			return 2;
		}
		buf[n] = '\0';
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred cred;

				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
				pid = cred.pid;
			}
		}
		seq++;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			printf("msg %lu %d %s\n", seq, (int)pid, line);
			if (!strcmp(line, "READY=1"))
				ready = true;
			if (!strcmp(line, "STOPPING=1"))
				stopping = true;
		}
		if (ready && on_ready)
			printf("on-ready %lu %d\n", seq, run(on_ready));
	}
	return 0;
}
