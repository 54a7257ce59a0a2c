// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The client socket (see server.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "jsonproto.h"
#include "log.h"
#include "loop.h"
#include "server.h"

#define ANSWER_LIMIT (64u << 20) /* a huge `ls` is still answered */
#define TOTAL_LIMIT  (64u << 20) /* all clients' unsent bytes together */
#define FOLLOW_LIMIT (4u << 20)	 /* a follower this far behind is dropped */

struct shmw_conn {
	struct shmw_watch w;
	struct shmw_server *srv;
	struct ucred cred;
	char in[SHMW_REQ_MAX + 1];
	size_t inlen;
	char *out;
	size_t outlen, outoff, outcap;
	bool follow;
	bool privileged;
	bool dead;
	uint64_t window_start; /* rate limit: requests in the current second */
	uint32_t window_count;
	bool discarding; /* skipping the rest of an over-long line */
	struct shmw_conn *next, **pprev;
};

struct shmw_server {
	struct shmw_watch w;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	shmw_request_fn fn;
	void *ctx;
	struct shmw_conn *conns;
	uint32_t nconns, max_conns;
	uint64_t dropped;
	uint64_t pending; /* unsent bytes over all clients */
	gid_t admin_gid;
	bool reap_needed;
};

#define RATE_PER_SEC 200 /* requests a client may make per second */

static void conn_io(struct shmw_watch *w, uint32_t events);

static void conn_kill(struct shmw_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	c->srv->reap_needed = true;
	shmw_loop_del(&c->w);
}

static void conn_flush(struct shmw_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->w.fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			conn_kill(c); /* EPIPE, ECONNRESET: the client went away */
			return;
		}
		c->outoff += (size_t)n;
		c->srv->pending -= (size_t)n;
	}
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (!c->dead)
		shmw_loop_mod(&c->w, EPOLLIN | EPOLLRDHUP | (c->outlen ? EPOLLOUT : 0));
}

void shmw_conn_send(struct shmw_conn *c, const char *data, size_t len)
{
	size_t limit = c->follow ? FOLLOW_LIMIT : ANSWER_LIMIT;
	size_t pending = c->outlen - c->outoff;

	if (c->dead)
		return;
	if (pending + len > limit || c->srv->pending + len > TOTAL_LIMIT) {
		log_warn("client pid %d fell %zu bytes behind: dropping it", (int)c->cred.pid,
			 pending);
		c->srv->dropped++;
		conn_kill(c);
		return;
	}
	if (c->outoff && c->outlen + len > c->outcap) {
		memmove(c->out, c->out + c->outoff, pending);
		c->outlen = pending;
		c->outoff = 0;
	}
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		char *n;

		while (cap < c->outlen + len)
			cap *= 2;
		n = realloc(c->out, cap);
		if (!n) {
			conn_kill(c);
			return;
		}
		c->out = n;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	c->srv->pending += len;
	conn_flush(c);
}

void shmw_conn_follow(struct shmw_conn *c)
{
	c->follow = true;
}

uid_t shmw_conn_uid(const struct shmw_conn *c)
{
	return c->cred.uid;
}

bool shmw_conn_privileged(const struct shmw_conn *c)
{
	return c->privileged;
}

bool shmw_conn_rate_limited(struct shmw_conn *c)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec;
	if (now != c->window_start) {
		c->window_start = now;
		c->window_count = 0;
	}
	return ++c->window_count > RATE_PER_SEC;
}

void shmw_server_set_admin_group(struct shmw_server *s, gid_t gid)
{
	s->admin_gid = gid;
}

/* Is the client in the admin group? SO_PEERCRED has only the primary group; the others are
 * in the client's /proc status (one file, read once per connection). */
static bool in_group(const struct ucred *cred, gid_t gid)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	if (gid == (gid_t)-1)
		return false;
	if (cred->gid == gid)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cred->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7))
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if ((gid_t)g == gid) {
				found = true;
				break;
			}
		}
	}
	fclose(f);
	return found;
}

static void reply_error(struct shmw_conn *c, const char *code, const char *msg)
{
	char *line = shmw_error_line(code, msg);

	if (line) {
		shmw_conn_send(c, line, strlen(line));
		free(line);
	}
}

/* Splits the input into lines and hands each to the request handler. */
static void conn_lines(struct shmw_conn *c)
{
	size_t start = 0;

	for (size_t i = 0; i < c->inlen && !c->dead; i++) {
		if (c->in[i] != '\n')
			continue;
		if (c->discarding)
			c->discarding = false;
		else
			c->srv->fn(c->srv->ctx, c, c->in + start, i - start);
		start = i + 1;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	if (c->inlen >= SHMW_REQ_MAX) {
		/* No newline within the limit: answer once, skip to the next newline. */
		if (!c->discarding)
			reply_error(c, "bad_request", "request longer than 4096 bytes");
		c->discarding = true;
		c->inlen = 0;
	}
}

static void conn_io(struct shmw_watch *w, uint32_t events)
{
	struct shmw_conn *c = w->ctx;

	if (c->dead)
		return;
	if (events & EPOLLOUT)
		conn_flush(c);
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		for (int rounds = 0; rounds < 16 && !c->dead; rounds++) {
			ssize_t n =
			    recv(w->fd, c->in + c->inlen, SHMW_REQ_MAX - c->inlen, MSG_DONTWAIT);

			if (n > 0) {
				c->inlen += (size_t)n;
				conn_lines(c);
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0 && errno == EINTR)
				continue;
			/* EOF: a follower or a client that sent its request and shut down its
			 * write side still gets what is queued. */
			if (n == 0 && c->outlen > c->outoff && !(events & (EPOLLHUP | EPOLLERR))) {
				shmw_loop_mod(&c->w, EPOLLOUT);
				return;
			}
			conn_kill(c);
			return;
		}
	}
}

static void accept_ready(struct shmw_watch *w, uint32_t events)
{
	struct shmw_server *s = w->ctx;
	(void)events;

	for (;;) {
		socklen_t len = sizeof(struct ucred);
		struct shmw_conn *c;
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (s->nconns >= s->max_conns) {
			static const char busy[] =
			    "{\"ok\":false,\"code\":\"busy\",\"error\":\"too many clients\"}\n";

			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			s->dropped++;
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->w.fd = fd;
		c->w.fn = conn_io;
		c->w.ctx = c;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len)) {
			close(fd);
			free(c);
			continue;
		}
		c->privileged = c->cred.uid == 0 || in_group(&c->cred, s->admin_gid);
		if (shmw_loop_add(&c->w, EPOLLIN | EPOLLRDHUP)) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->pprev = &c->next;
		c->pprev = &s->conns;
		s->conns = c;
		s->nconns++;
	}
}

void shmw_server_reap(struct shmw_server *s)
{
	struct shmw_conn *c, *next;

	if (!s->reap_needed)
		return;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (!c->dead)
			continue;
		*c->pprev = c->next;
		if (c->next)
			c->next->pprev = c->pprev;
		s->pending -= c->outlen - c->outoff;
		close(c->w.fd);
		free(c->out);
		free(c);
		s->nconns--;
	}
	s->reap_needed = false;
}

void shmw_server_broadcast(struct shmw_server *s, const char *line, size_t len, uint32_t audience)
{
	for (struct shmw_conn *c = s->conns; c; c = c->next)
		if (c->follow && !c->dead && (c->privileged || c->cred.uid == audience))
			shmw_conn_send(c, line, len);
}

uint32_t shmw_server_nclients(const struct shmw_server *s)
{
	return s->nconns;
}

uint64_t shmw_server_dropped(const struct shmw_server *s)
{
	return s->dropped;
}

/* Is a daemon answering on path? Returns its pid, 0 if nobody answers. A daemon that was
 * just killed may still hold its socket while the kernel tears down its BPF programs:
 * connecting works then, but nothing answers. So ask, and wait a little. */
static pid_t running_daemon(const struct sockaddr_un *addr)
{
	static const char req[] = "{\"cmd\":\"status\"}\n";
	struct timeval tv = {.tv_sec = 2};
	struct ucred cred = {0};
	socklen_t len = sizeof(cred);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid = 0;
	char c;

	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == sizeof(req) - 1 &&
	    recv(fd, &c, 1, 0) == 1)
		pid = cred.pid ? cred.pid : -1;
	else if (cred.pid)
		log_warn("pid %d holds %s but does not answer: taking the socket over",
			 (int)cred.pid, addr->sun_path);
	close(fd);
	return pid;
}

static int mkdir_p(char *dir)
{
	char *slash;

	if (!*dir || mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return -ENOENT;
	*slash = 0;
	if (mkdir_p(dir)) {
		*slash = '/';
		return -errno;
	}
	*slash = '/';
	return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

struct shmw_server *shmw_server_open(const char *path, bool make_dir, uint32_t max_clients,
				     shmw_request_fn fn, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct shmw_server *s;
	char dir[sizeof(addr.sun_path)];
	struct stat st;
	mode_t old_umask;
	pid_t other;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "socket path too long (max %zu bytes): %s",
			 sizeof(addr.sun_path) - 1, path);
		return NULL;
	}
	strcpy(addr.sun_path, path);
	other = running_daemon(&addr);
	if (other) {
		snprintf(err, errlen, "another shmwatchd (pid %d) already serves %s", (int)other,
			 path);
		errno = EADDRINUSE;
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	/* Only the default directory is made: a mistyped --socket fails, naming the directory. */
	ret = make_dir ? mkdir_p(dirname(dir)) : 0;
	if (ret) {
		snprintf(err, errlen, "cannot create the directory of %s: %s", path,
			 strerror(-ret));
		return NULL;
	}
	if (!make_dir && stat(dirname(dir), &st) < 0 && errno == ENOENT) {
		snprintf(err, errlen, "cannot listen on %s: directory %s does not exist (only the "
			 "default directory is created)", path, dir);
		errno = ENOENT;
		return NULL;
	}
	/* Only a socket may be replaced: a mistyped --socket must not delete a file. */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket: not replacing it", path);
		errno = EEXIST;
		return NULL;
	}
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale %s: %s", path, strerror(errno));
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	/* The socket is born with its final mode, no window in which it is wider. Anyone may
	 * connect; what each client sees is decided from SO_PEERCRED (root and the admin group
	 * everything, others their own processes). The directory is root's, mode 0755. */
	old_umask = umask(0111);
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret || listen(fd, 512)) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	strcpy(s->path, path);
	s->fn = fn;
	s->ctx = ctx;
	s->max_conns = max_clients;
	s->admin_gid = (gid_t)-1;
	s->w.fd = fd;
	s->w.fn = accept_ready;
	s->w.ctx = s;
	if (shmw_loop_add(&s->w, EPOLLIN)) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		close(fd);
		free(s);
		return NULL;
	}
	return s;
}

void shmw_server_close(struct shmw_server *s)
{
	if (!s)
		return;
	for (struct shmw_conn *c = s->conns; c; c = c->next)
		conn_kill(c);
	shmw_server_reap(s);
	shmw_loop_del(&s->w);
	close(s->w.fd);
	unlink(s->path);
	free(s);
}
