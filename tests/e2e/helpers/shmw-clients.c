/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-clients: raw protocol clients for the end-to-end tests of shmwatchd's limits.
 *
 *   shmw-clients many SOCK N [REQUEST]
 *	Opens N connections (all of them first), then sends REQUEST (default a status request)
 *	on each, then reads one answer line from each (10 s in all). Prints
 *	"connected C ok O busy B error E closed X timeout T" (E: other ok:false answers; X: the
 *	connection ended without an answer; T: no answer in time). Raises its own RLIMIT_NOFILE
 *	to the hard limit first.
 *   shmw-clients lines SOCK
 *	Sends each line of stdin (any length) on one connection and prints the answer line to it
 *	(5 s each), or "<closed>" / "<timeout>" (and then exits 1).
 *   shmw-clients flood SOCK N [REQUEST]
 *	Sends N copies of REQUEST on one connection at once, then reads N answers (10 s).
 *	Prints "ok O busy B other X missing M", then "again ok|busy|..." for one more request sent
 *	1.2 s later (the rate limit is per second: the connection must be usable again).
 *   shmw-clients idle SOCK N SECONDS
 *	Opens N connections and sends nothing. After SECONDS prints "connected C refused R
 *	closed X open O" (R: answered busy and closed by the daemon; X: closed without a word),
 *	then holds the open ones; on SIGUSR1 prints "closed K" (of those, how many the daemon has
 *	closed since) and exits. Raises its own RLIMIT_NOFILE to the hard limit first.
 *   shmw-clients hog SOCK CONNS N [REQUEST]
 *	Opens CONNS connections and sends N copies of REQUEST on each, never reading an answer.
 *	Prints "sent CONNS" and then waits; on SIGUSR1 prints "closed K" (connections the daemon
 *	has closed) and exits. SIGTERM ends it.
 *
 * Exit 0, or 1 on failure (connect, usage: 2).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define STATUS_REQ "{\"cmd\":\"status\"}"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct timeval tv = {10, 0};
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "shmw-clients: socket path too long\n");
		exit(2);
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A full listen backlog makes connect wait: bounded by the send timeout. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static char *with_newline(const char *req)
{
	size_t n = strlen(req);
	char *s = malloc(n + 2);

	if (!s)
		exit(1);
	memcpy(s, req, n);
	s[n] = '\n';
	s[n + 1] = 0;
	return s;
}

/* A growing line buffer per connection. */
struct lbuf {
	char *b;
	size_t len, cap;
};

/* Reads what is there; returns 1 when a whole line is in, 0 when not yet, -1 on EOF/error. */
static int read_some(int fd, struct lbuf *l)
{
	for (;;) {
		ssize_t n;

		if (l->len + 4096 > l->cap) {
			l->cap = l->cap ? l->cap * 2 : 8192;
			l->b = realloc(l->b, l->cap);
			if (!l->b)
				exit(1);
		}
		if (memchr(l->b, '\n', l->len))
			return 1;
		n = recv(fd, l->b + l->len, l->cap - l->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			l->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return memchr(l->b, '\n', l->len) ? 1 : -1;
	}
}

/* Takes the first line out of l into out (NUL-terminated, no newline). */
static void take_line(struct lbuf *l, char **out)
{
	char *nl = memchr(l->b, '\n', l->len);
	size_t n = (size_t)(nl - l->b);

	*out = malloc(n + 1);
	if (!*out)
		exit(1);
	memcpy(*out, l->b, n);
	(*out)[n] = 0;
	memmove(l->b, nl + 1, l->len - n - 1);
	l->len -= n + 1;
}

enum kind { K_OK, K_BUSY, K_ERROR };

static enum kind classify(const char *line)
{
	if (strstr(line, "\"ok\":true"))
		return K_OK;
	if (strstr(line, "\"code\":\"busy\""))
		return K_BUSY;
	return K_ERROR;
}

static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int cmd_many(const char *path, int n, const char *req)
{
	int *fds = calloc((size_t)n, sizeof(int));
	struct lbuf *bufs = calloc((size_t)n, sizeof(struct lbuf));
	struct pollfd *pfd = calloc((size_t)n, sizeof(struct pollfd));
	char *line = with_newline(req);
	int connected = 0, ok = 0, busy = 0, error = 0, closed = 0, pending = 0;
	long long deadline;

	if (!fds || !bufs || !pfd)
		return 1;
	raise_nofile();
	for (int i = 0; i < n; i++) {
		fds[i] = connect_to(path);
		if (fds[i] < 0) {
			fprintf(stderr, "shmw-clients: connect %d: %s\n", i, strerror(errno));
			continue;
		}
		connected++;
	}
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		/* A connection the daemon refused may already be closed: still read its answer. */
		(void)send_all(fds[i], line, strlen(line));
		pending++;
	}
	deadline = now_ms() + 10000;
	while (pending > 0 && now_ms() < deadline) {
		int m = 0;

		for (int i = 0; i < n; i++) {
			if (fds[i] < 0)
				continue;
			pfd[m].fd = fds[i];
			pfd[m].events = POLLIN;
			pfd[m].revents = 0;
			m++;
		}
		if (poll(pfd, (nfds_t)m, 200) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int r;
			char *ans;

			if (fds[i] < 0)
				continue;
			r = read_some(fds[i], &bufs[i]);
			if (r == 0)
				continue;
			if (r > 0) {
				take_line(&bufs[i], &ans);
				switch (classify(ans)) {
				case K_OK:
					ok++;
					break;
				case K_BUSY:
					busy++;
					break;
				default:
					error++;
					fprintf(stderr, "shmw-clients: answer: %s\n", ans);
				}
				free(ans);
			} else {
				closed++;
			}
			close(fds[i]);
			fds[i] = -1;
			pending--;
		}
	}
	printf("connected %d ok %d busy %d error %d closed %d timeout %d\n", connected, ok, busy,
	       error, closed, pending);
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		free(bufs[i].b);
	}
	free(fds);
	free(bufs);
	free(pfd);
	free(line);
	return fflush(stdout) ? 1 : 0;
}

static int read_answer(int fd, struct lbuf *l, int timeout_ms, char **ans)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = read_some(fd, l);

		if (r > 0) {
			take_line(l, ans);
			return 0;
		}
		if (r < 0)
			return -1;
		if (now_ms() >= deadline)
			return -2;
		poll(&p, 1, (int)(deadline - now_ms()));
	}
}

static int cmd_lines(const char *path)
{
	int fd = connect_to(path);
	struct lbuf l = {0};
	char *in = NULL, *ans;
	size_t cap = 0;
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "shmw-clients: connect: %s\n", strerror(errno));
		return 1;
	}
	while ((n = getline(&in, &cap, stdin)) > 0) {
		int r;

		if (in[n - 1] != '\n') {
			in = realloc(in, (size_t)n + 2);
			in[n++] = '\n';
			in[n] = 0;
		}
		if (send_all(fd, in, (size_t)n) < 0)
			r = -1;
		else
			r = read_answer(fd, &l, 5000, &ans);
		if (r < 0) {
			printf(r == -1 ? "<closed>\n" : "<timeout>\n");
			free(in);
			free(l.b);
			close(fd);
			fflush(stdout);
			return 1;
		}
		printf("%s\n", ans);
		fflush(stdout);
		free(ans);
	}
	free(in);
	free(l.b);
	close(fd);
	return fflush(stdout) ? 1 : 0;
}

static int cmd_flood(const char *path, int n, const char *req)
{
	int fd = connect_to(path);
	char *line = with_newline(req), *all, *ans;
	size_t len = strlen(line);
	struct lbuf l = {0};
	int ok = 0, busy = 0, other = 0, got = 0;
	long long deadline;

	if (fd < 0) {
		fprintf(stderr, "shmw-clients: connect: %s\n", strerror(errno));
		return 1;
	}
	all = malloc(len * (size_t)n + 1);
	if (!all)
		return 1;
	for (int i = 0; i < n; i++)
		memcpy(all + len * (size_t)i, line, len);
	/* Write and read at once, so that neither side's buffers fill up. */
	{
		size_t off = 0, total = len * (size_t)n;

		deadline = now_ms() + 10000;
		while ((off < total || got < n) && now_ms() < deadline) {
			struct pollfd p = {.fd = fd,
					   .events = POLLIN | (off < total ? POLLOUT : 0)};

			poll(&p, 1, 100);
			if (off < total && (p.revents & POLLOUT)) {
				ssize_t w =
				    send(fd, all + off, total - off, MSG_NOSIGNAL | MSG_DONTWAIT);

				if (w > 0)
					off += (size_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EINTR)
					break;
			}
			for (;;) {
				int r = read_some(fd, &l);

				if (r <= 0) {
					if (r < 0)
						deadline = 0;
					break;
				}
				take_line(&l, &ans);
				switch (classify(ans)) {
				case K_OK:
					ok++;
					break;
				case K_BUSY:
					busy++;
					break;
				default:
					other++;
					fprintf(stderr, "shmw-clients: answer: %s\n", ans);
				}
				free(ans);
				got++;
			}
		}
	}
	printf("ok %d busy %d other %d missing %d\n", ok, busy, other, n - got);
	usleep(1200 * 1000);
	if (send_all(fd, line, len) < 0 || read_answer(fd, &l, 5000, &ans) < 0) {
		printf("again none\n");
	} else {
		printf("again %s\n", classify(ans) == K_OK     ? "ok"
				     : classify(ans) == K_BUSY ? "busy"
							       : ans);
		free(ans);
	}
	free(all);
	free(line);
	free(l.b);
	close(fd);
	return fflush(stdout) ? 1 : 0;
}

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

static int cmd_idle(const char *path, int n, int seconds)
{
	int *fds = calloc((size_t)n, sizeof(int));
	struct lbuf *bufs = calloc((size_t)n, sizeof(struct lbuf));
	int connected = 0, refused = 0, closed = 0, open = 0, later = 0;
	long long deadline;

	if (!fds || !bufs)
		return 1;
	raise_nofile();
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < n; i++) {
		fds[i] = connect_to(path);
		if (fds[i] < 0)
			fprintf(stderr, "shmw-clients: connect %d: %s\n", i, strerror(errno));
		else
			connected++;
	}
	deadline = now_ms() + seconds * 1000LL;
	while (now_ms() < deadline)
		usleep(20000);
	for (int i = 0; i < n; i++) {
		char *ans;
		int r;

		if (fds[i] < 0)
			continue;
		r = read_some(fds[i], &bufs[i]);
		if (r == 0) {
			open++;
			continue;
		}
		if (r > 0) {
			take_line(&bufs[i], &ans);
			if (classify(ans) == K_BUSY)
				refused++;
			else
				fprintf(stderr, "shmw-clients: idle answer: %s\n", ans);
			free(ans);
		} else {
			closed++;
		}
		close(fds[i]);
		fds[i] = -1;
	}
	printf("connected %d refused %d closed %d open %d\n", connected, refused, closed, open);
	fflush(stdout);
	while (!usr1)
		pause();
	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLRDHUP};

		if (fds[i] < 0)
			continue;
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLIN)))
			later++;
		close(fds[i]);
	}
	printf("closed %d\n", later);
	for (int i = 0; i < n; i++)
		free(bufs[i].b);
	free(fds);
	free(bufs);
	return fflush(stdout) ? 1 : 0;
}

static int cmd_hog(const char *path, int conns, int n, const char *req)
{
	int *fds = calloc((size_t)conns, sizeof(int));
	char *line = with_newline(req);
	size_t len = strlen(line);
	int closed = 0;

	if (!fds)
		return 1;
	raise_nofile();
	signal(SIGUSR1, on_usr1);
	for (int c = 0; c < conns; c++) {
		int buf = 4096;

		fds[c] = connect_to(path);
		if (fds[c] < 0) {
			fprintf(stderr, "shmw-clients: connect: %s\n", strerror(errno));
			return 1;
		}
		/* Small receive buffer: the answers pile up in the daemon, not in our socket. */
		setsockopt(fds[c], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	}
	for (int i = 0; i < n; i++)
		for (int c = 0; c < conns; c++)
			if (fds[c] >= 0 && send_all(fds[c], line, len) < 0) {
				close(fds[c]);
				fds[c] = -1;
			}
	printf("sent %d\n", conns);
	fflush(stdout);
	while (!usr1)
		pause();
	for (int c = 0; c < conns; c++) {
		struct pollfd p = {.fd = fds[c], .events = POLLRDHUP};

		if (fds[c] < 0 || (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP))))
			closed++;
	}
	printf("closed %d\n", closed);
	for (int c = 0; c < conns; c++)
		if (fds[c] >= 0)
			close(fds[c]);
	free(fds);
	free(line);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "many"))
		return cmd_many(argv[2], atoi(argv[3]), argc > 4 ? argv[4] : STATUS_REQ);
	if (argc == 3 && !strcmp(argv[1], "lines"))
		return cmd_lines(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "flood"))
		return cmd_flood(argv[2], atoi(argv[3]), argc > 4 ? argv[4] : STATUS_REQ);
	if (argc == 5 && !strcmp(argv[1], "idle"))
		return cmd_idle(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc >= 5 && !strcmp(argv[1], "hog"))
		return cmd_hog(argv[2], atoi(argv[3]), atoi(argv[4]),
			       argc > 5 ? argv[5] : STATUS_REQ);
	fprintf(stderr, "usage: shmw-clients many SOCK N [REQ] | lines SOCK | flood SOCK N [REQ] | "
			"idle SOCK N SECONDS | hog SOCK CONNS N [REQ]\n");
	return 2;
}
