/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Talking to shmwatchd (docs/protocol.md): connect to its AF_UNIX socket, send request lines,
 * read answer lines. No libbpf, no global state; one struct shmw_client per connection.
 *
 * Functions that can fail return 0 (or SHMW_CLIENT_EOF) or a negative SHMW_CLIENT_E* value and
 * write a human-readable reason into err (errlen bytes; err may be NULL).
 */
#ifndef SHMW_CLIENT_H
#define SHMW_CLIENT_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "jsonproto.h"

#define SHMW_SOCKET_ENV	       "SHMWATCH_SOCKET"
#define SHMW_CLIENT_TIMEOUT_S  5 /* the default of shmwatch --timeout */
#define SHMW_CLIENT_TIMEOUT_MS (SHMW_CLIENT_TIMEOUT_S * 1000)
#define SHMW_CLIENT_LINE_MAX   SHMW_ANSWER_MAX /* longest answer line accepted */

enum shmw_client_status {
	SHMW_CLIENT_EOF = 1, /* the daemon closed the connection between two lines */
	SHMW_CLIENT_OK = 0,
	SHMW_CLIENT_EPATH = -1,	    /* socket path empty or longer than sun_path allows */
	SHMW_CLIENT_ECONNECT = -2,  /* socket()/connect() failed; errno says why */
	SHMW_CLIENT_ETIMEDOUT = -3, /* no complete line within the timeout */
	SHMW_CLIENT_EHANGUP = -4,   /* connection closed or reset in the middle of an exchange */
	SHMW_CLIENT_EPROTO = -5, /* line too long, not JSON, or not an object with boolean "ok" */
	SHMW_CLIENT_ESYS = -6,	 /* anything else: out of memory, unexpected syscall error */
};

struct shmw_client;

/* The socket to use: opt if non-NULL, else $SHMWATCH_SOCKET if set and non-empty, else
 * SHMW_DEFAULT_SOCKET. Never NULL. */
const char *shmw_client_socket_path(const char *opt);

/*
 * Connects to path. timeout_ms bounds connect (a daemon whose listen backlog is full), every
 * send and every shmw_client_call() answer; <= 0 waits forever. Returns 0 and *out, or
 * SHMW_CLIENT_EPATH / SHMW_CLIENT_ECONNECT (errno kept from connect, e.g. ENOENT,
 * ECONNREFUSED, EACCES) / SHMW_CLIENT_ESYS.
 */
int shmw_client_connect(const char *path, int timeout_ms, struct shmw_client **out, char *err,
			size_t errlen);
void shmw_client_close(struct shmw_client *c);
int shmw_client_fd(const struct shmw_client *c);

/* Sends one request line (built by shmw_request_format()). */
int shmw_client_send(struct shmw_client *c, const struct shmw_request *req, char *err,
		     size_t errlen);

/*
 * Reads the next line, waiting at most timeout_ms (<= 0: forever; the deadline covers the
 * whole line, so a daemon trickling bytes cannot stall us). On 0, *obj is the line parsed as
 * a JSON object (json_object_put() it; "ok" is not required: streamed events have none) and,
 * if raw is non-NULL, *raw the line without its newline (free() it). Returns SHMW_CLIENT_EOF
 * on a clean hangup between lines. Lines longer than SHMW_CLIENT_LINE_MAX are refused with
 * SHMW_CLIENT_EPROTO. After any error other than EPROTO for a malformed (but bounded) line the
 * connection is out of step: close it. Used for `events -f` streams.
 */
int shmw_client_read(struct shmw_client *c, int timeout_ms, json_object **obj, char **raw,
		     char *err, size_t errlen);

/* One request, one answer, with the connection's timeout. A hangup instead of an answer is
 * SHMW_CLIENT_EHANGUP; an answer without a boolean "ok" is SHMW_CLIENT_EPROTO. An answer with
 * "ok":false is still 0 here: the caller reads its "code". */
int shmw_client_call(struct shmw_client *c, const struct shmw_request *req, json_object **obj,
		     char **raw, char *err, size_t errlen);

/*
 * For answers followed by text lines (who "lines", docs/protocol.md): the next line as it came,
 * without its newline, NUL-terminated, in place: valid (and writable) until the next read on c.
 * deadline is from shmw_client_deadline(), taken once for all the lines of an answer. A hangup
 * is SHMW_CLIENT_EHANGUP; lines longer than SHMW_CLIENT_LINE_MAX are SHMW_CLIENT_EPROTO.
 */
uint64_t shmw_client_deadline(const struct shmw_client *c);
int shmw_client_read_text(struct shmw_client *c, uint64_t deadline, char **line, size_t *len,
			  char *err, size_t errlen);

/*
 * For benchmarks: one request and its answer, timed with CLOCK_MONOTONIC from just before the
 * send to the arrival of the answer's newline (JSON parsing excluded). *rtt_ns is set on 0.
 * Returns SHMW_CLIENT_EPROTO also when the answer is "ok":false.
 */
int shmw_client_roundtrip(struct shmw_client *c, const struct shmw_request *req, uint64_t *rtt_ns,
			  char *err, size_t errlen);
#endif
