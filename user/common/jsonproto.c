// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Client requests on the wire (docs/protocol.md). The parser is strict on purpose: the socket
 * is the daemon's only input from other users, and a typo such as "shmdi" should be an error
 * the user sees, not a request that silently means something else. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "errbuf.h"
#include "jsonproto.h"
#include "timefmt.h"

/* Nesting deeper than this is never a valid request; the limit keeps json-c from building deep
 * trees out of a hostile 4 KiB line. Nested values still get a type error ("must be an
 * integer") as long as they are shallower than this. */
#define REQ_MAX_DEPTH 8

enum field_id {
	F_CMD,
	F_SHMID,
	F_NS,
	F_PID,
	F_LAST,
	F_FOLLOW,
	F_CONTAINER,
	F_ROWS,
	F_LINES,
	F_ALL_NS,
	F_KEY,
	F_USER,
	F_COMM,
	F_EVENT,
	F_SINCE,
	F_UNTIL,
	F_AT,
	F_COUNT
};

struct field_spec {
	const char *name;
	json_type type; /* json_type_int or json_type_boolean; cmd is handled apart */
	int64_t min, max;
};

static const struct field_spec fields[F_COUNT] = {
    [F_CMD] = {"cmd", json_type_string, 0, 0},
    [F_SHMID] = {"shmid", json_type_int, 0, INT32_MAX},
    [F_NS] = {"ns", json_type_int, 1, UINT32_MAX},
    [F_PID] = {"pid", json_type_int, 1, INT32_MAX},
    [F_LAST] = {"last", json_type_int, 0, SHMW_EVENTS_LAST_MAX},
    [F_FOLLOW] = {"follow", json_type_boolean, 0, 1},
    [F_CONTAINER] = {"container", json_type_string, 1, SHMW_CONTAINER_MAX}, /* length */
    [F_ROWS] = {"rows", json_type_boolean, 0, 1},
    [F_LINES] = {"lines", json_type_boolean, 0, 1},
    [F_ALL_NS] = {"all_ns", json_type_boolean, 0, 1},
    [F_KEY] = {"key", json_type_int, 0, UINT32_MAX},
    [F_USER] = {"user", json_type_string, 1, SHMW_USER_MAX},	     /* length */
    [F_COMM] = {"comm", json_type_string, 1, SHMW_COMM_MAX},	     /* length */
    [F_EVENT] = {"event", json_type_string, 1, SHMW_EVENT_NAME_MAX}, /* length */
    [F_SINCE] = {"since", json_type_string, 1, 40},		     /* RFC 3339 */
    [F_UNTIL] = {"until", json_type_string, 1, 40},
    [F_AT] = {"at", json_type_string, 1, 40},
};

#define BIT(f) (1u << (f))

static const struct cmd_spec {
	enum shmw_cmd cmd;
	const char *name;
	unsigned allowed;  /* fields the command accepts, cmd included */
	unsigned required; /* fields it cannot do without */
	unsigned one_of;   /* exactly one of these (none: no such rule) */
} cmds[] = {
    /* who: shmid or key (one_of); ps: pid or comm. */
    {SHMW_CMD_WHO, "who",
     BIT(F_CMD) | BIT(F_SHMID) | BIT(F_KEY) | BIT(F_NS) | BIT(F_ALL_NS) | BIT(F_CONTAINER) |
	 BIT(F_ROWS) | BIT(F_LINES) | BIT(F_AT),
     BIT(F_CMD), BIT(F_SHMID) | BIT(F_KEY)},
    {SHMW_CMD_PS, "ps", BIT(F_CMD) | BIT(F_PID) | BIT(F_COMM), BIT(F_CMD),
     BIT(F_PID) | BIT(F_COMM)},
    {SHMW_CMD_LS, "ls", BIT(F_CMD) | BIT(F_NS) | BIT(F_ALL_NS) | BIT(F_CONTAINER) | BIT(F_USER),
     BIT(F_CMD), 0},
    {SHMW_CMD_STATUS, "status", BIT(F_CMD), BIT(F_CMD), 0},
    {SHMW_CMD_EVENTS, "events",
     BIT(F_CMD) | BIT(F_LAST) | BIT(F_FOLLOW) | BIT(F_SHMID) | BIT(F_NS) | BIT(F_KEY) | BIT(F_PID) |
	 BIT(F_EVENT) | BIT(F_SINCE) | BIT(F_UNTIL),
     BIT(F_CMD), 0},
    {SHMW_CMD_LINGERING, "lingering", BIT(F_CMD), BIT(F_CMD), 0},
    {SHMW_CMD_ORPHANS, "orphans", BIT(F_CMD), BIT(F_CMD), 0},
    {SHMW_CMD_METRICS, "metrics", BIT(F_CMD), BIT(F_CMD), 0},
    {SHMW_CMD_VERIFY, "verify", BIT(F_CMD), BIT(F_CMD), 0},
    {SHMW_CMD_HISTORY, "history",
     BIT(F_CMD) | BIT(F_SHMID) | BIT(F_NS) | BIT(F_LAST) | BIT(F_SINCE) | BIT(F_UNTIL),
     BIT(F_CMD) | BIT(F_SHMID), 0},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *shmw_cmd_name(enum shmw_cmd cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (cmds[i].cmd == cmd)
			return cmds[i].name;
	return "unknown";
}

static const struct cmd_spec *cmd_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

enum shmw_cmd shmw_cmd_by_name(const char *name)
{
	const struct cmd_spec *c = cmd_by_name(name);

	return c ? c->cmd : 0;
}

void shmw_cmd_names(char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cmds) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", cmds[i].name);
}

static const struct cmd_spec *cmd_by_id(enum shmw_cmd cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (cmds[i].cmd == cmd)
			return &cmds[i];
	return NULL;
}

static int field_by_name(const char *name)
{
	for (int i = 0; i < F_COUNT; i++)
		if (strcmp(fields[i].name, name) == 0)
			return i;
	return -1;
}

static int is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* json-c 0.16 in strict mode still accepts a few things that are not JSON and that matter for
 * a strict protocol: 'single-quoted' strings, raw control characters inside strings, "\u0000"
 * (which json-c silently cuts object keys at, so "shmid\u0000x" would become "shmid"), and
 * duplicate keys (the last one wins). This scan rejects the first three and counts the members
 * of the top-level object, so the caller can detect duplicates by comparing with the number of
 * keys json-c kept. It assumes nothing else about validity; json-c does the real parsing. */
static int prescan(const char *s, size_t len, size_t *members, char *err, size_t errlen)
{
	int depth = 0;
	int in_str = 0;

	*members = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (in_str) {
			if (c < 0x20) {
				shmw_seterr(
				    err, errlen,
				    "request is not valid JSON: control character in a string at "
				    "byte %zu",
				    i);
				return -1;
			}
			if (c == '\\') {
				if (i + 5 < len && s[i + 1] == 'u' &&
				    memcmp(s + i + 2, "0000", 4) == 0) {
					shmw_seterr(err, errlen,
						    "request contains a NUL character (\\u0000)");
					return -1;
				}
				i++; /* skip the escaped character, so \" does not end the string */
			} else if (c == '"') {
				in_str = 0;
			}
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			break;
		case '\'':
			shmw_seterr(err, errlen,
				    "request is not valid JSON: single-quoted string at byte %zu",
				    i);
			return -1;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ':':
			if (depth == 1)
				(*members)++;
			break;
		default:
			break;
		}
	}
	return 0;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int check_field(int id, struct json_object *val, int64_t *out, char *err, size_t errlen)
{
	const struct field_spec *f = &fields[id];

	if (f->type == json_type_string && id == F_EVENT) {
		const char *v = json_object_get_string(val);
		size_t n = v ? strlen(v) : 0;

		if (json_object_get_type(val) != json_type_string || n < 1 ||
		    n > SHMW_EVENT_NAME_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz_") != n) {
			shmw_seterr(err, errlen,
				    "field '%s' must be an event name (1 to %d of a-z, _)", f->name,
				    SHMW_EVENT_NAME_MAX);
			return -1;
		}
		*out = 1;
		return 0;
	}
	if (id == F_SINCE || id == F_UNTIL || id == F_AT) {
		/* A time: RFC 3339, as the client sends it (relative times are the client's). */
		const char *v = json_object_get_string(val);
		uint64_t t;

		if (json_object_get_type(val) != json_type_string || strlen(v) > (size_t)f->max ||
		    shmw_parse_rfc3339(v, &t) || t > INT64_MAX) {
			shmw_seterr(err, errlen, "field '%s' must be an RFC 3339 time (up to 2262)",
				    f->name);
			return -1;
		}
		/* Microseconds, as the log's times and as the request is formatted again. */
		*out = (int64_t)(t - t % SHMW_NS_PER_US);
		return 0;
	}
	if (f->type == json_type_string) {
		const char *v = json_object_get_string(val);
		size_t n = v ? strlen(v) : 0;
		bool ok = json_object_get_type(val) == json_type_string && n >= (size_t)f->min &&
			  n <= (size_t)f->max;

		if (id == F_CONTAINER) {
			/* A container id or its prefix: lower-case hex, as the runtimes print it.
			 */
			if (!ok || strspn(v, "0123456789abcdef") != n) {
				shmw_seterr(err, errlen,
					    "field '%s' must be 1 to 64 lower-case hex digits",
					    f->name);
				return -1;
			}
		} else if (!ok || !printable(v, n)) {
			/* user, comm: names, compared as they are; no control bytes. */
			shmw_seterr(err, errlen,
				    "field '%s' must be 1 to %lld bytes without control "
				    "characters",
				    f->name, (long long)f->max);
			return -1;
		}
		*out = 1;
		return 0;
	}
	if (f->type == json_type_boolean) {
		if (json_object_get_type(val) != json_type_boolean) {
			shmw_seterr(err, errlen, "field '%s' must be true or false", f->name);
			return -1;
		}
		*out = json_object_get_boolean(val) ? 1 : 0;
		return 0;
	}
	/* Doubles (1e3, 5.0, NaN) have json_type_double and fail here. Literals that overflow
	 * int64 are stored by json-c saturated (INT64_MIN/INT64_MAX, or as uint64, which
	 * json_object_get_int64 reports as INT64_MAX): every range below lies inside
	 * 0..UINT32_MAX, so the range check rejects those too. */
	if (json_object_get_type(val) != json_type_int) {
		shmw_seterr(err, errlen, "field '%s' must be an integer from %lld to %lld", f->name,
			    (long long)f->min, (long long)f->max);
		return -1;
	}
	int64_t v = json_object_get_int64(val);
	if (v < f->min || v > f->max) {
		shmw_seterr(err, errlen, "field '%s' must be an integer from %lld to %lld", f->name,
			    (long long)f->min, (long long)f->max);
		return -1;
	}
	*out = v;
	return 0;
}

/* A string field (checked already) into buf; "" when absent. */
static void copy_str(struct json_object *obj, const char *key, char *buf, size_t len)
{
	struct json_object *v;

	buf[0] = '\0';
	if (json_object_object_get_ex(obj, key, &v))
		snprintf(buf, len, "%s", json_object_get_string(v));
}

/* The checks after json-c has parsed the object: cmd, the field set, types and ranges. */
static int request_from_object(struct json_object *obj, struct shmw_request *req, char *err,
			       size_t errlen)
{
	struct json_object *cmdv;
	const struct cmd_spec *cmd;
	unsigned seen = 0;
	int64_t vals[F_COUNT] = {0};

	if (!json_object_object_get_ex(obj, "cmd", &cmdv)) {
		shmw_seterr(err, errlen, "missing field 'cmd'");
		return -1;
	}
	if (json_object_get_type(cmdv) != json_type_string) {
		shmw_seterr(err, errlen, "field 'cmd' must be a string");
		return -1;
	}
	cmd = cmd_by_name(json_object_get_string(cmdv));
	if (!cmd) {
		/* Bounded, so a 4 KiB name does not end up in the log and the answer. */
		shmw_seterr(
		    err, errlen,
		    "unknown cmd '%.32s' (want who, ps, ls, status, events, lingering, orphans, "
		    "metrics, verify or history)",
		    json_object_get_string(cmdv));
		return -1;
	}

	json_object_object_foreach(obj, key, val)
	{
		int id = field_by_name(key);

		if (id < 0) {
			shmw_seterr(err, errlen, "unknown field '%.64s'", key);
			return -1;
		}
		if (!(cmd->allowed & BIT(id))) {
			shmw_seterr(err, errlen, "field '%s' is not allowed with cmd '%s'", key,
				    cmd->name);
			return -1;
		}
		if (id != F_CMD && check_field(id, val, &vals[id], err, errlen) < 0)
			return -1;
		seen |= BIT(id);
	}
	for (int id = 0; id < F_COUNT; id++) {
		if ((cmd->required & BIT(id)) && !(seen & BIT(id))) {
			shmw_seterr(err, errlen, "cmd '%s' requires field '%s'", cmd->name,
				    fields[id].name);
			return -1;
		}
	}
	if (cmd->one_of && !(seen & cmd->one_of)) {
		/* Named by the first of them: older clients always send it. */
		for (int id = 0; id < F_COUNT; id++)
			if (cmd->one_of & BIT(id)) {
				shmw_seterr(err, errlen, "cmd '%s' requires field '%s'", cmd->name,
					    fields[id].name);
				return -1;
			}
	}
	if (__builtin_popcount(seen & cmd->one_of) > 1) {
		shmw_seterr(err, errlen, "cmd '%s' takes only one of the fields %s", cmd->name,
			    cmd->cmd == SHMW_CMD_WHO ? "'shmid' and 'key'" : "'pid' and 'comm'");
		return -1;
	}
	if ((seen & BIT(F_NS)) && (seen & BIT(F_ALL_NS)) && vals[F_ALL_NS]) {
		shmw_seterr(err, errlen, "fields 'ns' and 'all_ns' exclude each other");
		return -1;
	}
	if ((seen & BIT(F_AT)) && (seen & BIT(F_KEY))) {
		/* A key names a live segment; events with key finds the shmid it had. */
		shmw_seterr(err, errlen, "fields 'at' and 'key' exclude each other: ask by shmid");
		return -1;
	}

	memset(req, 0, sizeof(*req));
	req->cmd = cmd->cmd;
	req->shmid = (int32_t)vals[F_SHMID];
	req->has_ns = (seen & BIT(F_NS)) != 0;
	req->ns = (uint32_t)vals[F_NS];
	req->pid = (int32_t)vals[F_PID];
	req->last = (uint32_t)vals[F_LAST];
	req->follow = vals[F_FOLLOW] != 0;
	req->rows = vals[F_ROWS] != 0;
	req->lines = vals[F_LINES] != 0;
	req->all_ns = vals[F_ALL_NS] != 0;
	req->has_shmid = (seen & BIT(F_SHMID)) != 0;
	req->has_key = (seen & BIT(F_KEY)) != 0;
	req->key = (uint32_t)vals[F_KEY];
	req->has_pid = (seen & BIT(F_PID)) != 0;
	req->since = (uint64_t)vals[F_SINCE];
	req->until = (uint64_t)vals[F_UNTIL];
	req->has_at = (seen & BIT(F_AT)) != 0;
	req->at = (uint64_t)vals[F_AT];
	copy_str(obj, "container", req->container, sizeof(req->container));
	copy_str(obj, "user", req->user, sizeof(req->user));
	copy_str(obj, "comm", req->comm, sizeof(req->comm));
	copy_str(obj, "event", req->event, sizeof(req->event));
	return 0;
}

int shmw_request_parse(const char *line, size_t len, struct shmw_request *req, char *err,
		       size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t members, start = 0, end;
	int ret = -1;

	if (!line || !req) {
		shmw_seterr(err, errlen, "no request");
		return -1;
	}
	/* The limit counts the newline, so it applies the same with or without one. */
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len + 1 > SHMW_REQ_MAX) {
		shmw_seterr(err, errlen, "request is longer than %d bytes", SHMW_REQ_MAX);
		return -1;
	}
	if (memchr(line, '\0', len)) {
		shmw_seterr(err, errlen, "request contains a NUL byte");
		return -1;
	}
	while (start < len && is_json_space(line[start]))
		start++;
	if (start == len) {
		shmw_seterr(err, errlen, "empty request");
		return -1;
	}
	/* Checked before parsing: json-c cannot tell where a bare top-level number ends. */
	if (line[start] != '{') {
		shmw_seterr(err, errlen, "request must be a JSON object");
		return -1;
	}
	if (prescan(line + start, len - start, &members, err, errlen) < 0)
		return -1;

	tok = json_tokener_new_ex(REQ_MAX_DEPTH);
	if (!tok) {
		shmw_seterr(err, errlen, "out of memory");
		return -1;
	}
	/* ALLOW_TRAILING_CHARS so json-c stops after the object and we can tell trailing
	 * garbage apart from a syntax error inside the object (checked below). */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
					JSON_TOKENER_ALLOW_TRAILING_CHARS);
	obj = json_tokener_parse_ex(tok, line + start, (int)(len - start));
	if (!obj) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);

		if (jerr == json_tokener_continue)
			shmw_seterr(err, errlen,
				    "request is not valid JSON: unexpected end of input");
		else
			shmw_seterr(err, errlen, "request is not valid JSON: %s at byte %zu",
				    json_tokener_error_desc(jerr),
				    start + json_tokener_get_parse_end(tok));
		goto out;
	}
	for (end = start + json_tokener_get_parse_end(tok); end < len; end++) {
		if (!is_json_space(line[end])) {
			shmw_seterr(err, errlen,
				    "unexpected data after the JSON object at byte %zu", end);
			goto out;
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		shmw_seterr(err, errlen, "request must be a JSON object");
		goto out;
	}
	if ((size_t)json_object_object_length(obj) != members) {
		shmw_seterr(err, errlen, "request has a duplicate field");
		goto out;
	}
	ret = request_from_object(obj, req, err, errlen);
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return ret;
}

/* Serializes obj as one line; NULL (errno ENOMEM) when allocation fails. Takes obj. */
static char *object_line(struct json_object *obj)
{
	const char *s;
	size_t n;
	char *line = NULL;

	s = json_object_to_json_string_ext(obj,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s) {
		n = strlen(s);
		line = malloc(n + 2);
		if (line) {
			memcpy(line, s, n);
			line[n] = '\n';
			line[n + 1] = '\0';
		}
	}
	json_object_put(obj);
	if (!line)
		errno = ENOMEM;
	return line;
}

/* json_object_object_add owns val only when it succeeds (json-c 0.16 does not free it on
 * failure), so put it here when the add fails. val NULL means its allocation failed. */
static int add(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val)
		return -1;
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static int add_time(struct json_object *obj, const char *k, uint64_t real_ns)
{
	char t[40];

	if (shmw_fmt_rfc3339(t, sizeof(t), real_ns))
		return -1;
	return add(obj, k, json_object_new_string(t));
}

char *shmw_request_format(const struct shmw_request *req)
{
	const struct cmd_spec *cmd = req ? cmd_by_id(req->cmd) : NULL;
	struct json_object *obj;
	int bad = 0;

	if (!cmd) {
		errno = EINVAL;
		return NULL;
	}
	obj = json_object_new_object();
	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	bad |= add(obj, "cmd", json_object_new_string(cmd->name));
	switch (req->cmd) {
	case SHMW_CMD_WHO:
		if (req->has_key)
			bad |= add(obj, "key", json_object_new_int64(req->key));
		else
			bad |= add(obj, "shmid", json_object_new_int64(req->shmid));
		if (req->all_ns)
			bad |= add(obj, "all_ns", json_object_new_boolean(1));
		if (req->has_ns)
			bad |= add(obj, "ns", json_object_new_int64(req->ns));
		if (req->container[0])
			bad |= add(obj, "container", json_object_new_string(req->container));
		if (req->rows)
			bad |= add(obj, "rows", json_object_new_boolean(1));
		if (req->lines)
			bad |= add(obj, "lines", json_object_new_boolean(1));
		if (req->has_at)
			bad |= add_time(obj, "at", req->at);
		break;
	case SHMW_CMD_PS:
		if (req->comm[0])
			bad |= add(obj, "comm", json_object_new_string(req->comm));
		else
			bad |= add(obj, "pid", json_object_new_int64(req->pid));
		break;
	case SHMW_CMD_EVENTS:
	case SHMW_CMD_HISTORY:
		bad |= add(obj, "last", json_object_new_int64(req->last));
		if (req->cmd == SHMW_CMD_EVENTS)
			bad |= add(obj, "follow", json_object_new_boolean(req->follow));
		if (req->has_shmid || req->cmd == SHMW_CMD_HISTORY)
			bad |= add(obj, "shmid", json_object_new_int64(req->shmid));
		if (req->has_ns)
			bad |= add(obj, "ns", json_object_new_int64(req->ns));
		if (req->has_key)
			bad |= add(obj, "key", json_object_new_int64(req->key));
		if (req->has_pid)
			bad |= add(obj, "pid", json_object_new_int64(req->pid));
		if (req->event[0])
			bad |= add(obj, "event", json_object_new_string(req->event));
		if (req->since)
			bad |= add_time(obj, "since", req->since);
		if (req->until)
			bad |= add_time(obj, "until", req->until);
		break;
	case SHMW_CMD_LS:
		if (req->has_ns)
			bad |= add(obj, "ns", json_object_new_int64(req->ns));
		if (req->all_ns)
			bad |= add(obj, "all_ns", json_object_new_boolean(1));
		if (req->container[0])
			bad |= add(obj, "container", json_object_new_string(req->container));
		if (req->user[0])
			bad |= add(obj, "user", json_object_new_string(req->user));
		break;
	case SHMW_CMD_STATUS:
	case SHMW_CMD_LINGERING:
	case SHMW_CMD_ORPHANS:
	case SHMW_CMD_METRICS:
	case SHMW_CMD_VERIFY:
		break;
	}
	if (bad) {
		json_object_put(obj);
		errno = ENOMEM;
		return NULL;
	}
	return object_line(obj);
}

/* Length of the UTF-8 sequence at s (n bytes left), or 0 if none starts there. RFC 3629:
 * shortest form only, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

struct json_object *shmw_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, o, k;
	struct json_object *str;
	char *clean;

	while (i < n && (k = utf8_len(p + i, n - i)))
		i += k;
	if (i == n)
		return json_object_new_string((const char *)p);
	if (n > (INT_MAX - 1) / 3)
		return NULL;
	clean = malloc(n * 3 + 1);
	if (!clean)
		return NULL;
	memcpy(clean, p, i);
	o = i;
	while (i < n) {
		k = utf8_len(p + i, n - i);
		if (k) {
			memcpy(clean + o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(clean + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
		}
	}
	str = json_object_new_string_len(clean, (int)o);
	free(clean);
	return str;
}

char *shmw_error_line(const char *code, const char *msg)
{
	struct json_object *obj = json_object_new_object();
	int bad = 0;

	if (!obj) {
		errno = ENOMEM;
		return NULL;
	}
	bad |= add(obj, "ok", json_object_new_boolean(0));
	bad |= add(obj, "code", shmw_json_string(code ? code : "internal"));
	/* Parse errors quote the client's bytes cut at a byte count, which can split a
	 * character: without the cleaning the answer would not be UTF-8, so not JSON. */
	bad |= add(obj, "error", shmw_json_string(msg));
	if (bad) {
		json_object_put(obj);
		errno = ENOMEM;
		return NULL;
	}
	return object_line(obj);
}

/* ---- answers written directly (see jsonproto.h) ---- */

bool shmw_jbuf_reserve(struct shmw_jbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len >= n)
		return true;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void shmw_jbuf_free(struct shmw_jbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void shmw_jbuf_u64(struct shmw_jbuf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	shmw_jbuf_raw(b, tmp + sizeof(tmp) - n, n);
}

void shmw_jbuf_i64(struct shmw_jbuf *b, int64_t v)
{
	if (v < 0) {
		shmw_jbuf_lit(b, "-");
		shmw_jbuf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		shmw_jbuf_u64(b, (uint64_t)v);
	}
}

/* One byte as json-c escapes it (json_escape_str, with NOSLASHESCAPE): 0 when it is written
 * as it is. */
static const char *escape_of(unsigned char c, char tmp[7])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '\b':
		return "\\b";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\f':
		return "\\f";
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	default:
		if (c >= ' ')
			return NULL;
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[c >> 4];
		tmp[5] = hex[c & 0xf];
		tmp[6] = 0;
		return tmp;
	}
}

void shmw_jbuf_str(struct shmw_jbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, run = 0;
	char tmp[7];

	shmw_jbuf_lit(b, "\"");
	while (i < n) {
		const char *esc;
		size_t k;

		if (p[i] >= ' ' && p[i] < 0x80 && p[i] != '"' && p[i] != '\\') {
			i++;
			continue;
		}
		shmw_jbuf_raw(b, (const char *)p + run, i - run);
		k = utf8_len(p + i, n - i);
		if (!k) {
			shmw_jbuf_lit(b, "\xef\xbf\xbd"); /* U+FFFD, as shmw_json_string */
			k = 1;
		} else if (k > 1) {
			shmw_jbuf_raw(b, (const char *)p + i, k);
		} else {
			esc = escape_of(p[i], tmp);
			shmw_jbuf_raw(b, esc, strlen(esc));
		}
		i += k;
		run = i;
	}
	shmw_jbuf_raw(b, (const char *)p + run, i - run);
	shmw_jbuf_lit(b, "\"");
}

void shmw_jbuf_tsv(struct shmw_jbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, run = 0;

	/* Runs of 0 bytes are not written: b may have no buffer yet (no memcpy to NULL). */
	while (i < n) {
		size_t k;

		if (p[i] >= ' ' && p[i] < 0x80 && p[i] != '\\') {
			i++;
			continue;
		}
		if (i > run)
			shmw_jbuf_raw(b, (const char *)p + run, i - run);
		k = utf8_len(p + i, n - i);
		if (!k) {
			shmw_jbuf_lit(b, "\xef\xbf\xbd"); /* U+FFFD, as shmw_jbuf_str */
			k = 1;
		} else if (k > 1) {
			shmw_jbuf_raw(b, (const char *)p + i, k);
		} else {
			char esc[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 0xf]};

			shmw_jbuf_raw(b, esc, 4);
		}
		i += k;
		run = i;
	}
	if (i > run)
		shmw_jbuf_raw(b, (const char *)p + run, i - run);
}

/* n as exactly w digits at p. */
static void put_digits(char *p, uint32_t n, int w)
{
	while (w--) {
		p[w] = (char)('0' + n % 10);
		n /= 10;
	}
}

void shmw_fmt_time_quoted(char t[30], uint64_t real_ns)
{
	uint64_t sec = real_ns / SHMW_NS_PER_SEC, days = sec / 86400;
	uint32_t sod = (uint32_t)(sec % 86400),
		 usec = (uint32_t)(real_ns % SHMW_NS_PER_SEC / SHMW_NS_PER_US);
	/* Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted):
	 * gmtime_r and snprintf cost more than the rest of a holder's entry. */
	uint64_t z = days + 719468, era = z / 146097;
	uint32_t doe = (uint32_t)(z - era * 146097);
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	uint32_t m = mp < 10 ? mp + 3 : mp - 9;
	uint64_t y = yoe + era * 400 + (m <= 2);

	memcpy(t, "\"0000-00-00T00:00:00.000000Z\"", 30);
	put_digits(t + 1, (uint32_t)y, 4); /* years < 10000: uint64_t ns end in 2554 */
	put_digits(t + 6, m, 2);
	put_digits(t + 9, d, 2);
	put_digits(t + 12, sod / 3600, 2);
	put_digits(t + 15, sod / 60 % 60, 2);
	put_digits(t + 18, sod % 60, 2);
	put_digits(t + 21, usec, 6);
}

void shmw_jbuf_time(struct shmw_jbuf *b, uint64_t real_ns)
{
	char t[30];

	shmw_fmt_time_quoted(t, real_ns);
	shmw_jbuf_raw(b, t, 29);
}

void shmw_jbuf_time_bare(struct shmw_jbuf *b, uint64_t real_ns)
{
	char t[30];

	shmw_fmt_time_quoted(t, real_ns);
	shmw_jbuf_raw(b, t + 1, 27);
}
