/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Client requests on the wire (docs/protocol.md): parse and build, with bounds. */
#ifndef SHMW_JSONPROTO_H
#define SHMW_JSONPROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the daemon listens unless told otherwise (shmwatchd --socket, shmwatch --socket or
 * ). */
#define SHMW_DEFAULT_SOCKET  "/run/shmwatch/shmwatchd.sock"
#define SHMW_REQ_MAX	     4096	 /* bytes in one request line, newline included */
#define SHMW_ANSWER_MAX	     (64u << 20) /* bytes in one answer line, newline excluded */
#define SHMW_EVENTS_LAST_MAX 10000
#define SHMW_CONTAINER_MAX   64 /* a container id: 64 hex digits (a request may give a prefix) */
#define SHMW_USER_MAX	     64 /* ls "user": a user name or a uid in decimal */
#define SHMW_COMM_MAX	     15 /* ps "comm": TASK_COMM_LEN - 1 */

enum shmw_cmd {
	SHMW_CMD_WHO = 1,
	SHMW_CMD_PS,
	SHMW_CMD_LS,
	SHMW_CMD_STATUS,
	SHMW_CMD_EVENTS,
	SHMW_CMD_LINGERING, /* segments marked for destruction and still held */
	SHMW_CMD_ORPHANS,   /* segments nobody has held for --orphan-after */
	SHMW_CMD_METRICS,   /* the Prometheus exposition */
	SHMW_CMD_VERIFY,    /* compare the state with the kernel now */
	SHMW_CMD_HISTORY,   /* one segment's life, from the event log on disk */
};
#define SHMW_EVENT_NAME_MAX 15 /* longest event name in a request ("linger_end") */

struct shmw_request {
	enum shmw_cmd cmd;
	int32_t shmid; /* who: 0..INT32_MAX */
	bool has_ns;
	uint32_t ns;   /* who: IPC namespace inode number */
	int32_t pid;   /* ps: 1..INT32_MAX */
	uint32_t last; /* events: 0..SHMW_EVENTS_LAST_MAX */
	bool follow;   /* events */
	bool rows;     /* who: holders as rows of the table's columns (docs/protocol.md) */
	bool lines;    /* who: those rows as text lines after the answer (docs/protocol.md) */
	/* who, ls: only holders in containers whose id starts so ("": all) */
	char container[SHMW_CONTAINER_MAX + 1];
	/* who, ls: every IPC namespace; without it and without ns, the caller's */
	bool all_ns;
	bool has_key;		      /* who: by key instead of shmid; events: lines of that key */
	uint32_t key;		      /* the key, as the kernel's 32 bits */
	char user[SHMW_USER_MAX + 1]; /* ls: segments owned by this name or decimal uid ("": all) */
	char comm[SHMW_COMM_MAX + 1]; /* ps: every process of this comm instead of pid */
	/* events, history: read the event log on disk (docs/protocol.md); events does when any
	 * of these (or key, or ns) is given */
	bool has_shmid, has_pid;
	char event[SHMW_EVENT_NAME_MAX + 1]; /* "": any */
	uint64_t since, until;		     /* CLOCK_REALTIME ns, 0: no bound */
	bool has_at;			     /* who --at */
	uint64_t at;
};

/* An events request that asks the log on disk rather than the recent lines in memory. */
static inline bool shmw_request_on_disk(const struct shmw_request *r)
{
	return r->cmd == SHMW_CMD_HISTORY || (r->cmd == SHMW_CMD_WHO && r->has_at) ||
	       (r->cmd == SHMW_CMD_EVENTS && (r->has_shmid || r->has_ns || r->has_key ||
					      r->has_pid || r->event[0] || r->since || r->until));
}

/* Parses one request line (without or with its trailing newline). Returns 0, or -1 with a
 * human-readable reason in err (e.g. "shmid must be an integer from 0 to 2147483647"). Unknown
 * fields are rejected, so typos do not pass silently. */
int shmw_request_parse(const char *line, size_t len, struct shmw_request *req, char *err,
		       size_t errlen);
/* One line of JSON, newline-terminated, for the client; caller frees. NULL on ENOMEM. */
char *shmw_request_format(const struct shmw_request *req);
/* {"ok":false,"code":code,"error":msg}\n ; caller frees. */
char *shmw_error_line(const char *code, const char *msg);
const char *shmw_cmd_name(enum shmw_cmd cmd);
/* The command of that name (the client's command words are the wire's), or 0. */
enum shmw_cmd shmw_cmd_by_name(const char *name);
/* Every command's name in order, joined by ", " ("who, ps, ls, ..."), cut to len - 1 bytes. */
void shmw_cmd_names(char *buf, size_t len);

struct json_object;
/* A JSON string of s (NULL: ""), each byte that does not begin a valid UTF-8 sequence replaced
 * by U+FFFD. JSON text must be UTF-8 (RFC 8259) and json-c copies bytes as they are, so any
 * text we did not write ourselves (comm, names, messages quoting a client) goes through this.
 * NULL on ENOMEM. */
struct json_object *shmw_json_string(const char *s);

/*
 * Answers written as text directly, for answers with one entry per holder: building json-c
 * trees cost ~2.5 us per holder, more than everything else in the answer. The output is
 * byte for byte what json-c writes with JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE
 * (tests/unit/test_jsonproto.c and test_report.c check that), so clients see no difference.
 * oom is sticky: write everything, check it once at the end.
 */
struct shmw_jbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Makes room for n more bytes; false (and oom set) without memory. */
bool shmw_jbuf_reserve(struct shmw_jbuf *b, size_t n);
void shmw_jbuf_free(struct shmw_jbuf *b);

static inline void shmw_jbuf_raw(struct shmw_jbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n && !shmw_jbuf_reserve(b, n))
		return;
	__builtin_memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* A string literal. */
#define shmw_jbuf_lit(b, lit) shmw_jbuf_raw((b), "" lit, sizeof(lit) - 1)

void shmw_jbuf_u64(struct shmw_jbuf *b, uint64_t v);
void shmw_jbuf_i64(struct shmw_jbuf *b, int64_t v);
/* s as a JSON string, quoted, cleaned as shmw_json_string cleans it (NULL: ""). */
void shmw_jbuf_str(struct shmw_jbuf *b, const char *s);
/* s as a value of a text row (docs/protocol.md, who "lines"): bytes as they are but for
 * backslash and control bytes, written \xHH, and bytes that begin no valid UTF-8 sequence,
 * written as U+FFFD (as shmw_jbuf_str cleans them). NULL: "". */
void shmw_jbuf_tsv(struct shmw_jbuf *b, const char *s);
/* CLOCK_REALTIME ns as a quoted RFC 3339 time, exactly as shmw_fmt_rfc3339 writes it. */
void shmw_jbuf_time(struct shmw_jbuf *b, uint64_t real_ns);
/* The same without the quotes. */
void shmw_jbuf_time_bare(struct shmw_jbuf *b, uint64_t real_ns);
/* The quoted time (29 bytes) into t, NUL-terminated. */
void shmw_fmt_time_quoted(char t[30], uint64_t real_ns);
#endif
