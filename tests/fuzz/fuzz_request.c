// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: the request parser, the daemon's only input from other local users.
 *
 *   - shmw_request_parse on arbitrary bytes, in a buffer of exactly that size (ASan sees any
 *     read past the line), with error buffers of every small size;
 *   - a request that parses lies in its documented ranges, and shmw_request_format of it parses
 *     back to the same request (and formats to the same bytes again);
 *   - a rejection has a reason, and shmw_error_line of that reason, and of arbitrary messages,
 *     is one line of strict JSON (valid UTF-8) that carries the message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "jsonproto.h"

static bool req_equal(const struct shmw_request *a, const struct shmw_request *b)
{
	return a->cmd == b->cmd && a->shmid == b->shmid && a->has_ns == b->has_ns &&
	       a->ns == b->ns && a->pid == b->pid && a->last == b->last && a->follow == b->follow &&
	       strcmp(a->container, b->container) == 0 && a->all_ns == b->all_ns &&
	       a->has_key == b->has_key && a->key == b->key && strcmp(a->user, b->user) == 0 &&
	       strcmp(a->comm, b->comm) == 0 && a->has_shmid == b->has_shmid &&
	       a->has_pid == b->has_pid && strcmp(a->event, b->event) == 0 &&
	       a->since == b->since && a->until == b->until && a->has_at == b->has_at &&
	       a->at == b->at;
}

static void check_ranges(const struct shmw_request *r)
{
	FUZZ_CHECK(strcmp(shmw_cmd_name(r->cmd), "unknown") != 0, "cmd %d", (int)r->cmd);
	FUZZ_CHECK(r->shmid >= 0, "shmid %d", r->shmid);
	FUZZ_CHECK(r->pid >= 0, "pid %d", r->pid);
	FUZZ_CHECK(r->last <= SHMW_EVENTS_LAST_MAX, "last %u", r->last);
	FUZZ_CHECK(!r->has_ns || r->ns >= 1, "ns %u", r->ns);
	FUZZ_CHECK(r->has_ns || r->ns == 0, "ns %u without has_ns", r->ns);
	bool past = r->cmd == SHMW_CMD_EVENTS || r->cmd == SHMW_CMD_HISTORY;

	if (r->cmd == SHMW_CMD_PS)
		FUZZ_CHECK((r->pid >= 1) != (r->comm[0] != '\0'), "ps with pid %d and comm '%s'",
			   r->pid, r->comm);
	else if (r->cmd == SHMW_CMD_EVENTS)
		FUZZ_CHECK(r->has_pid ? r->pid >= 1 : r->pid == 0, "events with pid %d", r->pid);
	else
		FUZZ_CHECK(r->pid == 0, "pid %d with cmd %s", r->pid, shmw_cmd_name(r->cmd));
	FUZZ_CHECK(memchr(r->container, '\0', sizeof(r->container)), "container not terminated");
	FUZZ_CHECK(strspn(r->container, "0123456789abcdef") == strlen(r->container),
		   "container '%s' is not lower-case hex", r->container);
	FUZZ_CHECK(memchr(r->event, '\0', sizeof(r->event)), "event not terminated");
	FUZZ_CHECK(strspn(r->event, "abcdefghijklmnopqrstuvwxyz_") == strlen(r->event),
		   "event '%s' is not an event name", r->event);
	if (r->cmd != SHMW_CMD_WHO && r->cmd != SHMW_CMD_HISTORY && !r->has_shmid)
		FUZZ_CHECK(r->shmid == 0, "shmid with cmd %s", shmw_cmd_name(r->cmd));
	/* Issue 15's fields: each with its commands only, names without control bytes. */
	FUZZ_CHECK(memchr(r->user, '\0', sizeof(r->user)) && memchr(r->comm, '\0', sizeof(r->comm)),
		   "user or comm not terminated");
	for (const char *p = r->user; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in user");
	for (const char *p = r->comm; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in comm");
	FUZZ_CHECK(!r->comm[0] || r->cmd == SHMW_CMD_PS, "comm with cmd %s", shmw_cmd_name(r->cmd));
	FUZZ_CHECK(!r->user[0] || r->cmd == SHMW_CMD_LS, "user with cmd %s", shmw_cmd_name(r->cmd));
	/* who by key (never with at: a key names a live segment), or events' key filter */
	FUZZ_CHECK(!r->has_key || (r->cmd == SHMW_CMD_WHO && r->shmid == 0 && !r->has_at) ||
		       r->cmd == SHMW_CMD_EVENTS,
		   "key with cmd %s", shmw_cmd_name(r->cmd));
	FUZZ_CHECK(r->has_key || r->key == 0, "key %u without has_key", r->key);
	FUZZ_CHECK(!r->all_ns || r->cmd == SHMW_CMD_WHO || r->cmd == SHMW_CMD_LS,
		   "all_ns with cmd %s", shmw_cmd_name(r->cmd));
	FUZZ_CHECK(!(r->all_ns && r->has_ns), "all_ns and ns");
	if (r->cmd != SHMW_CMD_EVENTS)
		FUZZ_CHECK(
		    (r->cmd == SHMW_CMD_WHO || !r->has_key) &&
			(r->cmd == SHMW_CMD_PS || !r->has_pid) && !r->event[0] &&
			(r->cmd == SHMW_CMD_HISTORY || r->cmd == SHMW_CMD_WHO || !r->has_shmid),
		    "events filters with cmd %s", shmw_cmd_name(r->cmd));
	if (r->cmd != SHMW_CMD_WHO && r->cmd != SHMW_CMD_LS && !past)
		FUZZ_CHECK(!r->has_ns, "ns with cmd %s", shmw_cmd_name(r->cmd));
	if (r->cmd != SHMW_CMD_WHO && r->cmd != SHMW_CMD_LS)
		FUZZ_CHECK(!r->container[0], "container with cmd %s", shmw_cmd_name(r->cmd));
	if (!past)
		FUZZ_CHECK(r->last == 0 && !r->since && !r->until,
			   "events or history fields with cmd %s", shmw_cmd_name(r->cmd));
	if (r->cmd != SHMW_CMD_EVENTS)
		FUZZ_CHECK(!r->follow, "follow with cmd %s", shmw_cmd_name(r->cmd));
	if (r->cmd != SHMW_CMD_WHO)
		FUZZ_CHECK(!r->has_at && !r->at, "at with cmd %s", shmw_cmd_name(r->cmd));
	FUZZ_CHECK(r->since % 1000 == 0 && r->until % 1000 == 0 && r->at % 1000 == 0 &&
		       r->since <= INT64_MAX && r->until <= INT64_MAX && r->at <= INT64_MAX,
		   "times not in whole microseconds up to INT64_MAX");
}

/* shmw_error_line(code, msg) is one line of strict JSON {"ok":false,"code":..,"error":..}. */
static void check_error_line(const char *code, const char *msg)
{
	char *line = shmw_error_line(code, msg);
	size_t len;
	json_object *obj, *v;

	FUZZ_CHECK(line, "shmw_error_line returned NULL");
	len = strlen(line);
	FUZZ_CHECK(len > 0 && line[len - 1] == '\n', "error line does not end with a newline");
	obj = fuzz_json_parse(line, len);
	FUZZ_CHECK(obj, "error line is not strict JSON: %s", line);
	FUZZ_CHECK(json_object_object_length(obj) == 3, "error line has %d members",
		   json_object_object_length(obj));
	v = fuzz_json_member(obj, "ok", json_type_boolean);
	FUZZ_CHECK(!json_object_get_boolean(v), "ok is true");
	v = fuzz_json_member(obj, "code", json_type_string);
	FUZZ_CHECK(strcmp(json_object_get_string(v), code) == 0, "code changed");
	v = fuzz_json_member(obj, "error", json_type_string);
	/* A message that is valid UTF-8 travels unchanged; others may have bytes replaced. */
	if (fuzz_utf8_valid(msg, strlen(msg)))
		FUZZ_CHECK(strcmp(json_object_get_string(v), msg) == 0, "message changed: %s",
			   json_object_get_string(v));
	json_object_put(obj);
	free(line);
}

static void check_round_trip(const struct shmw_request *req)
{
	struct shmw_request again;
	char err[256] = "";
	char *line, *line2;
	size_t len;

	line = shmw_request_format(req);
	FUZZ_CHECK(line, "shmw_request_format failed for cmd %s", shmw_cmd_name(req->cmd));
	len = strlen(line);
	FUZZ_CHECK(len > 0 && line[len - 1] == '\n' && !memchr(line, '\n', len - 1),
		   "formatted request is not one line: %s", line);
	FUZZ_CHECK(len <= SHMW_REQ_MAX, "formatted request has %zu bytes", len);
	memset(&again, 0xa5, sizeof(again));
	FUZZ_CHECK(shmw_request_parse(line, len, &again, err, sizeof(err)) == 0,
		   "formatted request does not parse: %s -> %s", line, err);
	FUZZ_CHECK(req_equal(req, &again), "round trip changed the request: %s", line);
	line2 = shmw_request_format(&again);
	FUZZ_CHECK(line2 && strcmp(line, line2) == 0, "format is not stable: %s / %s", line,
		   line2 ? line2 : "(null)");
	free(line2);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmw_request req, req2;
	char err[256];
	char *buf, *msg, *small;
	size_t smalllen;
	int r, r2;

	/* Exactly size bytes, not NUL-terminated: the parser must honour len. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	memset(err, 0, sizeof(err));
	memset(&req, 0, sizeof(req));
	r = shmw_request_parse(buf, size, &req, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -1, "parse returned %d", r);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)), "error message not terminated");
	if (r == 0) {
		check_ranges(&req);
		check_round_trip(&req);
	} else {
		FUZZ_CHECK(err[0], "rejected without a reason");
		check_error_line("bad_request", err);
	}

	/* The same answer without an error buffer and with tiny ones (seterr bounds). */
	memset(&req2, 0, sizeof(req2));
	r2 = shmw_request_parse(buf, size, &req2, NULL, 0);
	FUZZ_CHECK(r2 == r, "parse result depends on the error buffer");
	FUZZ_CHECK(r != 0 || req_equal(&req, &req2), "parse result depends on the error buffer");
	smalllen = size ? data[0] % 8 : 0;
	small = malloc(smalllen ? smalllen : 1);
	if (small) {
		r2 = shmw_request_parse(buf, size, &req2, small, smalllen);
		FUZZ_CHECK(r2 == r, "parse result depends on the error buffer size");
		FUZZ_CHECK(r == 0 || smalllen == 0 || memchr(small, '\0', smalllen),
			   "short error message not terminated");
		free(small);
	}
	free(buf);

	/* Arbitrary bytes as an error message (cut at the first NUL, as a C string is). */
	msg = malloc(size + 1);
	if (!msg)
		return 0;
	memcpy(msg, data, size);
	msg[size] = '\0';
	check_error_line("bad_request", msg);
	free(msg);
	return 0;
}
