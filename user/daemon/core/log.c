// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's diagnostic log. On a terminal or a pipe: "ident: level: message" on stderr.
 * Under systemd with stderr connected to the journal, the journal's native protocol instead, so
 * journald records the real priority (a plain stderr line would all be LOG_INFO) and structured
 * fields such as SHMID=5 become searchable (journalctl SHMID=5).
 *
 * Messages and field values carry text other users chose (process names, command lines, paths):
 * both are escaped here, on every path out (escape.h), so a line for people is always one line
 * of valid UTF-8 without control bytes, whoever formatted it. */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Without this, sd-journal.h turns sd_journal_sendv into a macro for the _with_location
 * variant, which would add CODE_FILE=log.c to every entry: useless, every entry comes from
 * here. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "escape.h"
#include "log.h"
#include "timefmt.h"

#define MSG_MAX	       2048			/* longer messages are cut, and end in "..." */
#define ESC_MAX	       (MSG_MAX * SHMW_ESC_MAX) /* the same, escaped */
#define FIELDS_MAX     32			/* structured fields per entry; more are dropped */
#define JOURNAL_SOCKET "/run/systemd/journal/socket" /* what sd_journal_sendv sends to */

/* log.o is a common object: the client and the unit tests link it too, without -lsystemd
 * (Makefile). A direct call to sd_journal_sendv would not link there, and a weak reference
 * would not do either: gcc on Debian links with --as-needed, which drops -lsystemd from the
 * daemon unless some other object references it strongly, leaving the weak symbol NULL
 * without a word. So libsystemd is resolved at run time, and only when stderr really is the
 * journal; the prototype still comes from sd-journal.h, so a signature change fails to
 * compile. If libsystemd cannot be loaded we stay on stderr, which journald also captures. */
typedef __typeof__(sd_journal_sendv) sendv_fn;

static struct {
	char ident[32];
	int verbosity;
	sendv_fn *journal_sendv; /* non-NULL: stderr is the journal */
} g = {
    .ident = "shmwatchd",
    .verbosity = LOG_INFO,
};

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
		return "emergency";
	case LOG_ALERT:
		return "alert";
	case LOG_CRIT:
		return "critical";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/* systemd sets JOURNAL_STREAM="DEV:INODE" of the stream it connected to stdout/stderr. It is
 * inherited by children and survives redirections, so it only counts when our fd 2 is still
 * that very stream (sd_journal_stream_fd(3), systemd.exec(5)). */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (!env || !*env)
		return false;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno || end == env || *end != ':')
		return false;
	env = end + 1;
	ino = strtoull(env, &end, 10);
	if (errno || end == env || *end != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static sendv_fn *load_journal_sendv(void)
{
#ifdef SHMW_STATIC
	/* The static build has no libsystemd (kernels/sd-stub.c), and dlopen in a static binary
	 * needs the shared glibc it was linked with: stderr it is, with the fields as KEY=value
	 * (what a container's runtime collects anyway). */
	return NULL;
#else
	/* Already loaded (and reference-counted) when the daemon links -lsystemd. Never
	 * dlclose'd: the daemon logs until it exits. */
	void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return NULL;
	return (sendv_fn *)dlsym(lib, "sd_journal_sendv");
#endif
}

void shmw_log_init(const char *ident, int verbosity)
{
	if (ident && *ident)
		snprintf(g.ident, sizeof(g.ident), "%s", ident);
	g.verbosity = verbosity;
	/* sd_journal_sendv reports success when journald's socket does not exist ("fail
	 * silently if the journal is not available"), which would swallow every message, so
	 * the socket must be there too. */
	g.journal_sendv =
	    stderr_is_journal() && access(JOURNAL_SOCKET, F_OK) == 0 ? load_journal_sendv() : NULL;
}

int shmw_log_level(void)
{
	return g.verbosity;
}

/* Formats into buf (always terminated), marking a cut message with "...". */
static void format_msg(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	if (n < 0) {
		snprintf(buf, len, "(bad log format \"%s\")", fmt);
		return;
	}
	if ((size_t)n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	/* Callers sometimes end with '\n' out of printf habit; the line gets its own. */
	n = (int)strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
}

/* A structured field is "NAME=value" with NAME as journald accepts it: uppercase letters,
 * digits and '_', not starting with '_' (reserved for trusted fields), at most 64 bytes. */
static bool field_ok(const char *f)
{
	const char *eq = f ? strchr(f, '=') : NULL;

	if (!eq || eq == f || eq - f > 64 || f[0] == '_')
		return false;
	for (const char *p = f; p < eq; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/* Appends s to buf at *pos, never past len - 1, keeping buf terminated. */
static void append(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
	if (*pos + 1 >= len)
		return;
	if (n > len - 1 - *pos)
		n = len - 1 - *pos;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

/* " KEY=value", the value escaped, and quoted when it would not read back as one word. */
static void append_field(char *buf, size_t len, size_t *pos, const char *field)
{
	const char *eq = strchr(field, '=');
	const char *v = eq + 1;
	bool quote = *v == '\0' || strpbrk(v, " \"") != NULL;
	char esc[ESC_MAX + 1];

	shmw_escape(esc, sizeof(esc), v, strlen(v), quote ? SHMW_ESC_QUOTE : 0);
	append(buf, len, pos, " ", 1);
	append(buf, len, pos, field, (size_t)(v - field));
	if (quote)
		append(buf, len, pos, "\"", 1);
	append(buf, len, pos, esc, strlen(esc));
	if (quote)
		append(buf, len, pos, "\"", 1);
}

/* One write(2) for the whole line, so lines from several threads or processes sharing stderr
 * do not interleave mid-line. */
static void write_stderr(int level, const char *msg, const char *const *fields)
{
	char line[ESC_MAX + 1024];
	size_t pos = 0, off = 0;
	int n;

	n = snprintf(line, sizeof(line), "%s: %s: %s", g.ident, level_name(level), msg);
	pos = n < 0 ? 0 : ((size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	line[pos] = '\0';
	for (int i = 0; fields && fields[i] && i < FIELDS_MAX; i++)
		if (field_ok(fields[i]))
			append_field(line, sizeof(line), &pos, fields[i]);
	/* Room for the newline even when the line was cut. */
	if (pos >= sizeof(line) - 1)
		pos = sizeof(line) - 2;
	line[pos++] = '\n';
	while (off < pos) {
		ssize_t w = write(STDERR_FILENO, line + off, pos - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report it */
		off += (size_t)w;
	}
}

/* Returns 0, or < 0 when the journal did not take the entry (the caller falls back). msg is
 * escaped already; field values are escaped here (a journal field may hold any bytes, but
 * journalctl shows them to people). */
static int write_journal(int level, const char *msg, const char *const *fields)
{
	struct iovec iov[3 + FIELDS_MAX];
	char message[sizeof("MESSAGE=") + ESC_MAX], priority[32], ident[sizeof(g.ident) + 32];
	char *esc[FIELDS_MAX] = {NULL};
	int n = 0, nesc = 0, ret;

	snprintf(message, sizeof(message), "MESSAGE=%s", msg);
	snprintf(priority, sizeof(priority), "PRIORITY=%d", level);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", g.ident);
	iov[n++] = (struct iovec){message, strlen(message)};
	iov[n++] = (struct iovec){priority, strlen(priority)};
	iov[n++] = (struct iovec){ident, strlen(ident)};
	for (int i = 0; fields && fields[i] && i < FIELDS_MAX; i++) {
		const char *f = fields[i], *v;
		size_t name, vlen, need;

		/* Our own fields are set above; a caller's MESSAGE= would duplicate them. */
		if (!field_ok(f) || strncmp(f, "MESSAGE=", 8) == 0 ||
		    strncmp(f, "PRIORITY=", 9) == 0 || strncmp(f, "SYSLOG_IDENTIFIER=", 18) == 0)
			continue;
		v = strchr(f, '=') + 1;
		vlen = strlen(v);
		if (!shmw_escape_needed(v, vlen, 0)) {
			iov[n++] = (struct iovec){(void *)f, strlen(f)};
			continue;
		}
		name = (size_t)(v - f);
		need = shmw_escape(NULL, 0, v, vlen, 0);
		esc[nesc] = malloc(name + need + 1);
		if (!esc[nesc])
			continue; /* a field less, rather than a raw one */
		memcpy(esc[nesc], f, name);
		shmw_escape(esc[nesc] + name, need + 1, v, vlen, 0);
		iov[n++] = (struct iovec){esc[nesc], name + need};
		nesc++;
	}
	ret = g.journal_sendv(iov, n);
	for (int i = 0; i < nesc; i++)
		free(esc[i]);
	return ret;
}

static void emit(int level, const char *msg, const char *const *fields)
{
	char esc[ESC_MAX + 1];

	shmw_escape(esc, sizeof(esc), msg, strlen(msg), 0);
	if (g.journal_sendv && write_journal(level, esc, fields) >= 0)
		return;
	write_stderr(level, esc, fields);
}

void shmw_vlog(int level, const char *fmt, va_list ap)
{
	char msg[MSG_MAX];
	int saved = errno; /* callers log and then look at errno, or use %m */

	if (level > g.verbosity)
		return;
	format_msg(msg, sizeof(msg), fmt, ap);
	emit(level, msg, NULL);
	errno = saved;
}

void shmw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shmw_vlog(level, fmt, ap);
	va_end(ap);
}

void shmw_log_fields(int level, const char *msg, const char *const *fields)
{
	int saved = errno;

	if (level > g.verbosity)
		return;
	emit(level, msg ? msg : "", fields);
	errno = saved;
}

void shmw_log_lines(int level, const char *text)
{
	int saved = errno;

	if (level > g.verbosity || !text)
		return;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		char msg[MSG_MAX];

		if (n) {
			if (n >= sizeof(msg)) {
				memcpy(msg, text, sizeof(msg) - 4);
				memcpy(msg + sizeof(msg) - 4, "...", 4);
			} else {
				memcpy(msg, text, n);
				msg[n] = '\0';
			}
			emit(level, msg, NULL);
		}
		text += n + (nl != NULL);
	}
	errno = saved;
}

void shmw_log_journal_for_tests(int (*sendv)(const struct iovec *iov, int n))
{
	g.journal_sendv = sendv;
}

bool shmw_log_limited(struct shmw_log_limit *l, uint64_t *skipped)
{
	uint64_t now = shmw_mono_ns();

	if (l->next_ns && now < l->next_ns) {
		l->skipped++;
		return false;
	}
	l->next_ns = now + SHMW_LOG_LIMIT_S * SHMW_NS_PER_SEC;
	if (skipped)
		*skipped = l->skipped;
	l->skipped = 0;
	return true;
}
