// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Talking to shmwatchd: see client.h and docs/protocol.md. */
#include "client.h"
#include "timefmt.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF_INITIAL (64u << 10)
#define READ_MAX    (16u << 10)
/* Room for the longest accepted line, its newline and one more read's worth of the next. */
#define BUF_LIMIT (SHMW_CLIENT_LINE_MAX + 1 + BUF_INITIAL)

struct shmw_client {
	int fd;
	int timeout_ms;
	char *buf; /* bytes received and not yet returned: buf[start, len) */
	size_t cap;
	size_t start;
	size_t len;
	size_t scanned; /* buf[start, start + scanned) holds no newline: don't search it again */
};

/* Writes the reason and returns status, keeping errno intact for the caller. */
static int fail(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return status;
}

const char *shmw_client_socket_path(const char *opt)
{
	const char *env;

	if (opt)
		return opt;
	env = getenv(SHMW_SOCKET_ENV);
	return env && *env ? env : SHMW_DEFAULT_SOCKET;
}

static uint64_t mono_ms(void)
{
	return shmw_mono_ns() / SHMW_NS_PER_MS;
}

/* SO_SNDTIMEO also bounds connect() on AF_UNIX: the kernel waits for room in the listener's
 * backlog for that long (unix_stream_connect uses the send timeout). */
static int set_send_timeout(int fd, int timeout_ms)
{
	struct timeval tv = {
	    .tv_sec = timeout_ms / 1000,
	    .tv_usec = (timeout_ms % 1000) * 1000,
	};

	if (timeout_ms <= 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int fill_addr(struct sockaddr_un *sun, const char *path, char *err, size_t errlen)
{
	size_t n = path ? strlen(path) : 0;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0)
		return fail(err, errlen, SHMW_CLIENT_EPATH, "socket path is empty");
	/* sun_path needs the terminating NUL too, or other programs would not find the name. */
	if (n >= sizeof(sun->sun_path))
		return fail(err, errlen, SHMW_CLIENT_EPATH,
			    "socket path is too long (%zu bytes, at most %zu): %s", n,
			    sizeof(sun->sun_path) - 1, path);
	memcpy(sun->sun_path, path, n + 1);
	return 0;
}

int shmw_client_connect(const char *path, int timeout_ms, struct shmw_client **out, char *err,
			size_t errlen)
{
	struct sockaddr_un sun;
	struct shmw_client *c;
	int ret, saved;

	*out = NULL;
	ret = fill_addr(&sun, path, err, errlen);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return fail(err, errlen, SHMW_CLIENT_ESYS, "out of memory");
	c->timeout_ms = timeout_ms;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = fail(err, errlen, SHMW_CLIENT_ECONNECT, "socket: %m");
		goto out_free;
	}
	if (set_send_timeout(c->fd, timeout_ms)) {
		ret = fail(err, errlen, SHMW_CLIENT_ESYS, "setsockopt(SO_SNDTIMEO): %m");
		goto out_close;
	}
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun))) {
		if (errno == EAGAIN)
			ret = fail(err, errlen, SHMW_CLIENT_ECONNECT,
				   "connection not accepted within %d ms (daemon overloaded?)",
				   timeout_ms);
		else
			ret = fail(err, errlen, SHMW_CLIENT_ECONNECT, "%m");
		goto out_close;
	}
	*out = c;
	return 0;

out_close:
	saved = errno;
	close(c->fd);
	errno = saved;
out_free:
	free(c);
	return ret;
}

void shmw_client_close(struct shmw_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

int shmw_client_fd(const struct shmw_client *c)
{
	return c->fd;
}

static int send_all(struct shmw_client *c, const char *p, size_t n, char *err, size_t errlen)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: a daemon that went away must be an error here, not a SIGPIPE. */
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return fail(err, errlen, SHMW_CLIENT_ETIMEDOUT,
					    "request not taken within %d ms", c->timeout_ms);
			if (errno == EPIPE || errno == ECONNRESET)
				return fail(err, errlen, SHMW_CLIENT_EHANGUP,
					    "connection closed by shmwatchd");
			return fail(err, errlen, SHMW_CLIENT_ESYS, "send: %m");
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int shmw_client_send(struct shmw_client *c, const struct shmw_request *req, char *err,
		     size_t errlen)
{
	char *line = shmw_request_format(req);
	int ret;

	if (!line)
		return fail(err, errlen, SHMW_CLIENT_ESYS, "cannot format request: %m");
	ret = send_all(c, line, strlen(line), err, errlen);
	free(line);
	return ret;
}

/* Makes room for at least one more read; the buffer never exceeds BUF_LIMIT. */
static int make_room(struct shmw_client *c, char *err, size_t errlen)
{
	size_t ncap;
	char *nbuf;

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->len - c->start);
		c->len -= c->start;
		c->start = 0;
	}
	if (c->cap - c->len >= BUF_INITIAL / 4)
		return 0;
	ncap = c->cap ? c->cap * 2 : BUF_INITIAL;
	if (ncap > BUF_LIMIT)
		ncap = BUF_LIMIT;
	if (ncap <= c->cap) /* cannot happen: the line-length check comes first */
		return fail(err, errlen, SHMW_CLIENT_EPROTO, "answer line too long");
	nbuf = realloc(c->buf, ncap);
	if (!nbuf)
		return fail(err, errlen, SHMW_CLIENT_ESYS, "out of memory reading answer");
	c->buf = nbuf;
	c->cap = ncap;
	return 0;
}

/* Waits until the socket is readable or the deadline (0: none) passes. */
static int wait_readable(struct shmw_client *c, uint64_t deadline, int timeout_ms, char *err,
			 size_t errlen)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};

	for (;;) {
		int wait = -1, n;

		if (deadline) {
			uint64_t now = mono_ms();

			if (now >= deadline)
				return fail(err, errlen, SHMW_CLIENT_ETIMEDOUT,
					    "no answer within %d ms", timeout_ms);
			wait = (int)(deadline - now);
		}
		n = poll(&pfd, 1, wait);
		if (n > 0)
			return 0; /* POLLIN, POLLHUP or POLLERR: read() tells which */
		if (n < 0 && errno != EINTR)
			return fail(err, errlen, SHMW_CLIENT_ESYS, "poll: %m");
	}
}

static uint64_t deadline_of(int timeout_ms)
{
	return timeout_ms > 0 ? mono_ms() + (uint64_t)timeout_ms : 0;
}

/* Receives until buf holds a whole line; returns it in place (NUL-terminated, no newline). The
 * deadline (0: none) is absolute; timeout_ms only words the message. */
static int read_line_until(struct shmw_client *c, uint64_t deadline, int timeout_ms, char **line,
			   size_t *linelen, char *err, size_t errlen)
{
	for (;;) {
		size_t pending = c->len - c->start;
		char *nl = pending > c->scanned
			       ? memchr(c->buf + c->start + c->scanned, '\n', pending - c->scanned)
			       : NULL;
		ssize_t n;
		int ret;

		if (nl) {
			*line = c->buf + c->start;
			*linelen = (size_t)(nl - *line);
			/* A whole line may come in one read: its length is checked here too. */
			if (*linelen > SHMW_CLIENT_LINE_MAX)
				break;
			*nl = '\0';
			c->start += *linelen + 1;
			c->scanned = 0;
			return 0;
		}
		c->scanned = pending;
		if (pending > SHMW_CLIENT_LINE_MAX)
			break;
		ret = make_room(c, err, errlen);
		if (!ret)
			ret = wait_readable(c, deadline, timeout_ms, err, errlen);
		if (ret)
			return ret;
		/* At most READ_MAX at a time: lines are taken from the front as they come, so
		 * the buffer's first pages serve again instead of new ones being faulted in. */
		n = read(c->fd, c->buf + c->len,
			 c->cap - c->len < READ_MAX ? c->cap - c->len : READ_MAX);
		if (n > 0) {
			c->len += (size_t)n;
		} else if (n == 0) {
			if (pending == 0)
				return SHMW_CLIENT_EOF;
			return fail(err, errlen, SHMW_CLIENT_EHANGUP,
				    "connection closed in the middle of an answer");
		} else if (errno == ECONNRESET) {
			return fail(err, errlen, SHMW_CLIENT_EHANGUP,
				    "connection reset by shmwatchd");
		} else if (errno != EINTR && errno != EAGAIN) {
			return fail(err, errlen, SHMW_CLIENT_ESYS, "read: %m");
		}
	}
	return fail(err, errlen, SHMW_CLIENT_EPROTO, "answer line longer than %u bytes",
		    SHMW_CLIENT_LINE_MAX);
}

static int read_line(struct shmw_client *c, int timeout_ms, char **line, size_t *linelen, char *err,
		     size_t errlen)
{
	return read_line_until(c, deadline_of(timeout_ms), timeout_ms, line, linelen, err, errlen);
}

uint64_t shmw_client_deadline(const struct shmw_client *c)
{
	return deadline_of(c->timeout_ms);
}

int shmw_client_read_text(struct shmw_client *c, uint64_t deadline, char **line, size_t *len,
			  char *err, size_t errlen)
{
	int ret = read_line_until(c, deadline, c->timeout_ms, line, len, err, errlen);

	if (ret == SHMW_CLIENT_EOF)
		return fail(err, errlen, SHMW_CLIENT_EHANGUP,
			    "connection closed in the middle of an answer");
	return ret;
}

static int parse_object(const char *line, size_t len, json_object **obj, char *err, size_t errlen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end;

	*obj = NULL;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	tok = json_tokener_new();
	if (!tok)
		return fail(err, errlen, SHMW_CLIENT_ESYS, "out of memory parsing answer");
	*obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* Trailing bytes after the object mean the line is not one object: refuse it. */
	while (end < len && (line[end] == ' ' || line[end] == '\t'))
		end++;
	if (!*obj || jerr != json_tokener_success || end != len ||
	    !json_object_is_type(*obj, json_type_object)) {
		json_object_put(*obj);
		*obj = NULL;
		return fail(err, errlen, SHMW_CLIENT_EPROTO, "answer is not a JSON object: %.80s%s",
			    line, len > 80 ? "..." : "");
	}
	return 0;
}

static int copy_raw(const char *line, size_t len, char **raw, char *err, size_t errlen)
{
	if (!raw)
		return 0;
	*raw = malloc(len + 1);
	if (!*raw)
		return fail(err, errlen, SHMW_CLIENT_ESYS, "out of memory reading answer");
	memcpy(*raw, line, len + 1);
	return 0;
}

int shmw_client_read(struct shmw_client *c, int timeout_ms, json_object **obj, char **raw,
		     char *err, size_t errlen)
{
	char *line;
	size_t len;
	int ret;

	*obj = NULL;
	if (raw)
		*raw = NULL;
	ret = read_line(c, timeout_ms, &line, &len, err, errlen);
	if (ret)
		return ret;
	ret = parse_object(line, len, obj, err, errlen);
	if (ret)
		return ret;
	ret = copy_raw(line, len, raw, err, errlen);
	if (ret) {
		json_object_put(*obj);
		*obj = NULL;
	}
	return ret;
}

static bool has_bool_ok(json_object *obj, bool *ok)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, "ok", &v) || !json_object_is_type(v, json_type_boolean))
		return false;
	*ok = json_object_get_boolean(v);
	return true;
}

int shmw_client_call(struct shmw_client *c, const struct shmw_request *req, json_object **obj,
		     char **raw, char *err, size_t errlen)
{
	bool ok;
	int ret;

	*obj = NULL;
	if (raw)
		*raw = NULL;
	ret = shmw_client_send(c, req, err, errlen);
	if (ret)
		return ret;
	ret = shmw_client_read(c, c->timeout_ms, obj, raw, err, errlen);
	if (ret == SHMW_CLIENT_EOF)
		return fail(err, errlen, SHMW_CLIENT_EHANGUP,
			    "connection closed by shmwatchd before it answered");
	if (ret)
		return ret;
	if (!has_bool_ok(*obj, &ok)) {
		json_object_put(*obj);
		*obj = NULL;
		if (raw) {
			free(*raw);
			*raw = NULL;
		}
		return fail(err, errlen, SHMW_CLIENT_EPROTO, "answer has no boolean \"ok\"");
	}
	return 0;
}

int shmw_client_roundtrip(struct shmw_client *c, const struct shmw_request *req, uint64_t *rtt_ns,
			  char *err, size_t errlen)
{
	char *reqline = shmw_request_format(req);
	json_object *obj;
	uint64_t t0, t1;
	size_t len;
	char *line;
	bool ok;
	int ret;

	if (!reqline)
		return fail(err, errlen, SHMW_CLIENT_ESYS, "cannot format request: %m");
	/* Formatting stays outside the measurement, like parsing below. */
	t0 = shmw_mono_ns();
	ret = send_all(c, reqline, strlen(reqline), err, errlen);
	free(reqline);
	if (!ret)
		ret = read_line(c, c->timeout_ms, &line, &len, err, errlen);
	t1 = shmw_mono_ns();
	if (ret == SHMW_CLIENT_EOF)
		return fail(err, errlen, SHMW_CLIENT_EHANGUP,
			    "connection closed by shmwatchd before it answered");
	if (ret)
		return ret;
	ret = parse_object(line, len, &obj, err, errlen);
	if (ret)
		return ret;
	if (!has_bool_ok(obj, &ok) || !ok) {
		json_object_put(obj);
		return fail(err, errlen, SHMW_CLIENT_EPROTO, "answer is not \"ok\":true: %.80s",
			    line);
	}
	json_object_put(obj);
	*rtt_ns = t1 - t0;
	return 0;
}
