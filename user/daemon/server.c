// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The client socket (see server.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>
#include "jsonproto.h"
#include "log.h"
#include "loop.h"
#include "server.h"
#include "timefmt.h"

/*
 * What one client may cost (shmwatchd(8), "Limits"). Two classes, each with its own budget, so
 * that users other than root and the admin group, whatever they do, never take what root needs
 * to be answered:
 * - root and the admin group: an answer of up to 64 MiB (a huge `ls` is still answered), 64 MiB
 *   of unsent bytes over all of them;
 * - every other user: an answer of up to 16 MiB, 16 MiB over all of them, at most
 *   max_per_user connections per uid, and never the last admin_reserve connections.
 * A follower (`events -f`) this far behind is dropped. Unsent bytes are counted as the buffer
 * capacity that holds them, which is the memory they cost.
 */
#define ADMIN_ANSWER_LIMIT SHMW_ANSWER_MAX
#define ADMIN_TOTAL_LIMIT  ADMIN_ANSWER_LIMIT
#define USER_ANSWER_LIMIT  (16u << 20)
#define USER_TOTAL_LIMIT   USER_ANSWER_LIMIT
#define FOLLOW_LIMIT	   (4u << 20)
#define BUF_KEEP	   (64u << 10) /* a drained buffer bigger than this is freed */
#define ACCEPT_BATCH	   64	       /* connections taken per wakeup: others get their turn */
#define FD_HEADROOM	   256	       /* descriptors besides clients: BPF, log, hooks */
#define TICK_NS		   (250 * SHMW_NS_PER_MS)

struct shmw_conn {
	struct shmw_watch w;
	struct shmw_server *srv;
	struct ucred cred;
	char in[SHMW_REQ_MAX + 1];
	size_t inlen;
	char *out;
	size_t outlen, outoff, outcap;
	uint64_t last_ns; /* CLOCK_MONOTONIC_COARSE: connected, last request, last bytes sent */
	bool follow;
	bool privileged;
	/* The class whose limits and budget this connection counts against, as decided at
	 * connect; kept apart from privileged, which decides what it may see. */
	bool admin_class;
	bool dead;
	bool paused;	       /* answers unsent: not reading requests (epoll waits for EPOLLOUT) */
	bool discarding;       /* skipping the rest of an over-long line */
	bool held;	       /* an answer is being made elsewhere (shmw_conn_hold) */
	uint64_t window_start; /* rate limit: requests in the current second */
	uint32_t window_count;
	struct shmw_conn *next, **pprev;
};

/* Connections per uid, for the users other than root and the admin group. */
struct user_conns {
	uid_t uid;
	uint32_t n;
	UT_hash_handle hh;
};

struct shmw_server {
	struct shmw_watch w;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	shmw_request_fn fn;
	void *ctx;
	struct shmw_conn *conns;
	struct user_conns *users;
	uint32_t nconns, nuser_conns; /* all; those of other users than root and the admins */
	uint32_t max_conns, max_per_user, reserve;
	uint64_t timeout_ns;
	uint64_t admin_bytes, user_bytes; /* buffer capacity of each class */
	uint64_t refused, timed_out, behind;
	uint64_t next_tick;
	int spare_fd; /* given up to take a connection out of the backlog at EMFILE */
	gid_t admin_gid;
	bool reap_needed;
	struct shmw_log_limit log_per_user, log_total, log_behind, log_timeout, log_nofile;
};

static uint64_t coarse_ns(void)
{
	return shmw_clock_ns(CLOCK_MONOTONIC_COARSE);
}

static void conn_io(struct shmw_watch *w, uint32_t events);

static void conn_kill(struct shmw_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	c->srv->reap_needed = true;
	shmw_loop_del(&c->w);
}

static uint64_t *class_bytes(struct shmw_conn *c)
{
	return c->admin_class ? &c->srv->admin_bytes : &c->srv->user_bytes;
}

/* Waits for the client to read (paused) or to ask (not paused). */
static void set_paused(struct shmw_conn *c, bool paused)
{
	if (c->dead || c->paused == paused)
		return;
	c->paused = paused;
	shmw_loop_mod(&c->w, paused ? EPOLLOUT : EPOLLIN | EPOLLRDHUP);
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
		c->last_ns = coarse_ns();
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->outcap > BUF_KEEP) {
			/* A big answer went out: its memory goes back, not kept for the next. */
			*class_bytes(c) -= c->outcap;
			free(c->out);
			c->out = NULL;
			c->outcap = 0;
		}
	}
	set_paused(c, c->outlen > c->outoff);
}

static void drop_behind(struct shmw_conn *c, size_t pending, const char *why)
{
	uint64_t skipped;

	if (shmw_log_limited(&c->srv->log_behind, &skipped))
		log_warn("client pid %d (uid %u) fell behind: dropping it (%zu bytes unsent, %s; "
			 "counted in clients_dropped, logged at most once a minute; %llu since the "
			 "last message)",
			 (int)c->cred.pid, (unsigned)c->cred.uid, pending, why,
			 (unsigned long long)skipped);
	c->srv->behind++;
	conn_kill(c);
}

void shmw_conn_send(struct shmw_conn *c, const char *data, size_t len)
{
	size_t limit = c->follow	? FOLLOW_LIMIT
		       : c->admin_class ? ADMIN_ANSWER_LIMIT
					: USER_ANSWER_LIMIT;
	uint64_t total = c->admin_class ? ADMIN_TOTAL_LIMIT : USER_TOTAL_LIMIT;
	size_t pending = c->outlen - c->outoff;
	uint64_t *bytes = class_bytes(c);

	if (c->dead)
		return;
	if (pending + len > limit) {
		char why[64];

		snprintf(why, sizeof(why), "%s past %zu MiB",
			 c->follow ? "a follower" : "an answer", limit >> 20);
		drop_behind(c, pending, why);
		return;
	}
	if (c->outoff && c->outlen + len > c->outcap) {
		memmove(c->out, c->out + c->outoff, pending);
		c->outlen = pending;
		c->outoff = 0;
	}
	if (c->outlen + len > c->outcap) {
		size_t need = c->outlen + len, cap = c->outcap ? c->outcap : 4096;
		char *n;

		/* Doubling while small; beyond, what is needed in 64 KiB steps (such buffers are
		 * mmap'd, and grow in place). */
		while (cap < need && cap < BUF_KEEP)
			cap *= 2;
		if (cap < need)
			cap = (need + BUF_KEEP - 1) / BUF_KEEP * BUF_KEEP;
		if (*bytes - c->outcap + cap > total) {
			char why[80];

			snprintf(why, sizeof(why), "%s clients hold %llu MiB",
				 c->admin_class ? "root's and the admin group's" : "other users'",
				 (unsigned long long)(total >> 20));
			drop_behind(c, pending, why);
			return;
		}
		n = realloc(c->out, cap);
		if (!n) {
			conn_kill(c);
			return;
		}
		*bytes += cap - c->outcap;
		c->out = n;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	conn_flush(c);
}

void shmw_conn_hold(struct shmw_conn *c)
{
	c->held = true;
	/* Neither its next request nor its timeout while the answer is made: only a hang-up
	 * (always reported) is noticed. */
	if (!c->dead)
		shmw_loop_mod(&c->w, 0);
}

void shmw_conn_release(struct shmw_conn *c)
{
	c->held = false;
	if (c->dead) {
		c->srv->reap_needed = true;
		return;
	}
	c->last_ns = coarse_ns();
	c->paused = false;
	shmw_loop_mod(&c->w, EPOLLIN | EPOLLRDHUP);
}

void shmw_conn_follow(struct shmw_conn *c)
{
	c->follow = true;
}

uid_t shmw_conn_uid(const struct shmw_conn *c)
{
	return c->cred.uid;
}

pid_t shmw_conn_pid(const struct shmw_conn *c)
{
	return c->cred.pid;
}

bool shmw_conn_privileged(const struct shmw_conn *c)
{
	return c->privileged;
}

bool shmw_conn_rate_limited(struct shmw_conn *c)
{
	uint64_t now = shmw_mono_ns() / SHMW_NS_PER_SEC;

	if (now != c->window_start) {
		c->window_start = now;
		c->window_count = 0;
	}
	return ++c->window_count > SHMW_CONN_RATE;
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

/*
 * Reads at most one request line and hands it over. One per turn of the loop: a client that
 * sends hundreds at once waits its turn like every other client (the rest stays in its socket,
 * and epoll says so again). Lines are taken with MSG_PEEK first, so that no byte past the
 * newline leaves the socket.
 */
static void conn_read(struct shmw_conn *c)
{
	for (int rounds = 0; rounds < 4 && !c->dead; rounds++) {
		char *at = c->in + c->inlen, *nl;
		ssize_t n = recv(c->w.fd, at, SHMW_REQ_MAX - c->inlen, MSG_PEEK | MSG_DONTWAIT);
		size_t take;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		/* EOF (nothing is unsent, or it would not be reading), or an error. */
		if (n <= 0) {
			conn_kill(c);
			return;
		}
		nl = memchr(at, '\n', (size_t)n);
		take = nl ? (size_t)(nl - at) + 1 : (size_t)n;
		if (recv(c->w.fd, at, take, MSG_DONTWAIT) != (ssize_t)take) {
			conn_kill(c);
			return;
		}
		if (c->discarding) {
			/* The rest of an over-long line, answered already. */
			c->discarding = !nl;
			c->inlen = 0;
			continue;
		}
		c->inlen += take;
		if (nl) {
			size_t len = c->inlen - 1;

			c->inlen = 0;
			c->last_ns = coarse_ns();
			c->srv->fn(c->srv->ctx, c, c->in, len);
			return;
		}
		if (c->inlen >= SHMW_REQ_MAX) {
			/* No newline within the limit: answer once, skip to the next newline. */
			c->inlen = 0;
			c->discarding = true;
			reply_error(c, "bad_request", "request longer than 4096 bytes");
			return;
		}
	}
}

static void conn_io(struct shmw_watch *w, uint32_t events)
{
	struct shmw_conn *c = w->ctx;

	if (c->dead)
		return;
	if (c->outlen > c->outoff)
		conn_flush(c);
	if (c->dead)
		return;
	/* The client hung up (a half-closed socket shows as EPOLLRDHUP and is read to its end:
	 * it may have sent its request and shut down its write side). */
	if (events & (EPOLLHUP | EPOLLERR)) {
		conn_kill(c);
		return;
	}
	if (!c->paused)
		conn_read(c);
}

static struct user_conns *user_of(struct shmw_server *s, uid_t uid)
{
	struct user_conns *u = NULL;

	HASH_FIND(hh, s->users, &uid, sizeof(uid), u);
	return u;
}

/* Answers busy (answer: the reason for the client) and closes; counted, and logged (what:
 * the reason for the operator) at most once a minute per reason. */
static void refuse(struct shmw_server *s, int fd, struct shmw_log_limit *l, const char *answer,
		   const char *what)
{
	char *line = shmw_error_line("busy", answer);
	uint64_t skipped;

	if (line)
		(void)!send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	free(line);
	close(fd);
	s->refused++;
	if (shmw_log_limited(l, &skipped))
		log_warn("%s: refusing connections (counted in clients_refused, logged at most "
			 "once a minute; %llu since the last message)",
			 what, (unsigned long long)skipped);
}

/* Out of descriptors: the spare one makes room to take the next connection off the backlog
 * and refuse it, instead of leaving it there for epoll to report again at once. */
static void refuse_nofile(struct shmw_server *s)
{
	uint64_t skipped;
	int fd;

	if (s->spare_fd < 0)
		return;
	close(s->spare_fd);
	s->spare_fd = -1;
	fd = accept4(s->w.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		static const char busy[] = "{\"ok\":false,\"code\":\"busy\",\"error\":\"the daemon "
					   "is out of file descriptors\"}\n";

		(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		s->refused++;
	}
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (shmw_log_limited(&s->log_nofile, &skipped))
		log_warn("out of file descriptors (RLIMIT_NOFILE): refusing clients (%llu more "
			 "since the last message)",
			 (unsigned long long)skipped);
}

static void accept_ready(struct shmw_watch *w, uint32_t events)
{
	struct shmw_server *s = w->ctx;
	(void)events;

	for (int batch = 0; batch < ACCEPT_BATCH; batch++) {
		socklen_t len = sizeof(struct ucred);
		struct user_conns *u = NULL;
		struct ucred cred;
		struct shmw_conn *c;
		bool privileged;
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				refuse_nofile(s);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
			close(fd);
			continue;
		}
		privileged = cred.uid == 0 || in_group(&cred, s->admin_gid);
		if (s->nconns >= s->max_conns) {
			refuse(s, fd, &s->log_total, "too many clients", "--max-clients reached");
			continue;
		}
		if (!privileged && s->nuser_conns >= s->max_conns - s->reserve) {
			refuse(s, fd, &s->log_total,
			       "too many clients (the rest are kept for root and the admin group)",
			       "users other than root and the admin group hold --max-clients less "
			       "--admin-reserve connections");
			continue;
		}
		if (!privileged) {
			u = user_of(s, cred.uid);
			if (u && u->n >= s->max_per_user) {
				char answer[96], what[96];

				snprintf(answer, sizeof(answer),
					 "too many connections from uid %u (--max-clients-per-user "
					 "%u)",
					 (unsigned)cred.uid, s->max_per_user);
				snprintf(what, sizeof(what),
					 "uid %u holds --max-clients-per-user %u connections",
					 (unsigned)cred.uid, s->max_per_user);
				refuse(s, fd, &s->log_per_user, answer, what);
				continue;
			}
		}
		if (!u && !privileged) {
			u = calloc(1, sizeof(*u));
			if (!u) {
				close(fd);
				continue;
			}
			u->uid = cred.uid;
			HASH_ADD(hh, s->users, uid, sizeof(u->uid), u);
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			if (u && !u->n) {
				HASH_DEL(s->users, u);
				free(u);
			}
			close(fd);
			continue;
		}
		c->srv = s;
		c->cred = cred;
		c->privileged = privileged;
		c->admin_class = privileged;
		c->last_ns = coarse_ns();
		c->w.fd = fd;
		c->w.fn = conn_io;
		c->w.ctx = c;
		if (shmw_loop_add(&c->w, EPOLLIN | EPOLLRDHUP)) {
			if (u && !u->n) {
				HASH_DEL(s->users, u);
				free(u);
			}
			close(fd);
			free(c);
			continue;
		}
		if (u)
			u->n++;
		c->next = s->conns;
		if (s->conns)
			s->conns->pprev = &c->next;
		c->pprev = &s->conns;
		s->conns = c;
		s->nconns++;
		s->nuser_conns += !privileged;
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
		if (c->held) {
			/* Freed once its holder lets go (shmw_conn_release). */
			continue;
		}
		*c->pprev = c->next;
		if (c->next)
			c->next->pprev = c->pprev;
		*class_bytes(c) -= c->outcap;
		if (!c->admin_class) {
			struct user_conns *u = user_of(s, c->cred.uid);

			if (u && --u->n == 0) {
				HASH_DEL(s->users, u);
				free(u);
			}
			s->nuser_conns--;
		}
		close(c->w.fd);
		free(c->out);
		free(c);
		s->nconns--;
	}
	s->reap_needed = false;
}

void shmw_server_tick(struct shmw_server *s)
{
	uint64_t now = coarse_ns(), n = 0, skipped;

	if (!s || now < s->next_tick)
		return;
	s->next_tick = now + TICK_NS;
	/* A connection that asks nothing, or does not read what it asked for, holds a slot and
	 * memory: closed after the timeout. Followers wait by design (and are bounded in bytes). */
	for (struct shmw_conn *c = s->conns; c; c = c->next) {
		if (c->dead || c->follow || c->held || now - c->last_ns <= s->timeout_ns)
			continue;
		conn_kill(c);
		s->timed_out++;
		n++;
	}
	if (n && shmw_log_limited(&s->log_timeout, &skipped))
		log_info("closed %llu client connections that sent no request or read no answer "
			 "for --client-timeout (%llu more before since the last message)",
			 (unsigned long long)n, (unsigned long long)skipped);
	shmw_server_reap(s);
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
	return s->refused + s->timed_out + s->behind;
}

void shmw_server_stats(const struct shmw_server *s, struct shmw_server_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s)
		return;
	st->clients = s->nconns;
	st->refused = s->refused;
	st->timed_out = s->timed_out;
	st->behind = s->behind;
	st->unsent_admin = s->admin_bytes;
	st->unsent_users = s->user_bytes;
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

/* Room for every client and what the daemon holds besides: the soft RLIMIT_NOFILE raised
 * toward the hard one (systemd starts services with 1024 soft). Returns the clients that fit. */
static uint32_t fit_nofile(uint32_t max_clients)
{
	struct rlimit r;
	rlim_t want = (rlim_t)max_clients + FD_HEADROOM;

	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= want)
		return max_clients;
	r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max > want ? want : r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= want)
		return max_clients;
	log_warn("RLIMIT_NOFILE is %llu: room for %llu clients, not --max-clients %u; raise it "
		 "(LimitNOFILE=)",
		 (unsigned long long)r.rlim_cur,
		 (unsigned long long)(r.rlim_cur > FD_HEADROOM ? r.rlim_cur - FD_HEADROOM : 1),
		 max_clients);
	return r.rlim_cur > FD_HEADROOM + 1 ? (uint32_t)(r.rlim_cur - FD_HEADROOM) : 1;
}

struct shmw_server *shmw_server_open(const char *path, const struct shmw_server_opts *o,
				     shmw_request_fn fn, void *ctx, char *err, size_t errlen)
{
	bool make_dir = o->make_dir;
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
		snprintf(err, errlen,
			 "cannot listen on %s: directory %s does not exist (only the "
			 "default directory is created)",
			 path, dir);
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
	s->max_conns = fit_nofile(o->max_clients);
	s->reserve = o->admin_reserve < s->max_conns ? o->admin_reserve : s->max_conns - 1;
	s->max_per_user = o->max_per_user ? o->max_per_user : 1;
	s->timeout_ns = (uint64_t)(o->timeout_s ? o->timeout_s : 1) * SHMW_NS_PER_SEC;
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->admin_gid = (gid_t)-1;
	s->w.fd = fd;
	s->w.fn = accept_ready;
	s->w.ctx = s;
	if (shmw_loop_add(&s->w, EPOLLIN)) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		close(fd);
		if (s->spare_fd >= 0)
			close(s->spare_fd);
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
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	unlink(s->path);
	free(s);
}
