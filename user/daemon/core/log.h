/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's diagnostic log: stderr, or journald when started by systemd. Every message and
 * field value is escaped on the way out (escape.h): one line of valid UTF-8 without control
 * bytes, whatever a process name or a path held. */
#ifndef SHMW_LOG_H
#define SHMW_LOG_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

/* verbosity: the highest level printed (LOG_INFO by default, LOG_DEBUG with -v). */
void shmw_log_init(const char *ident, int verbosity);
void shmw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void shmw_vlog(int level, const char *fmt, va_list ap);
int shmw_log_level(void);
/* msg with structured fields ("SHMID=5", NULL-terminated; names are A-Z, 0-9 and '_', not
 * starting with '_'; at most 32 fields; invalid ones are dropped): journald fields when stderr
 * is the journal, otherwise appended to the stderr line as SHMID=5 (values with spaces or
 * quotes are quoted). msg is not a format string. */
void shmw_log_fields(int level, const char *msg, const char *const *fields);

/* A message that can come in floods (thousands of clients refused, of alerts dropped): logged
 * at most once per interval. shmw_log_limited() says whether to log now; *skipped gets how many
 * calls were not logged since the last one that was (the message can say so). */
struct shmw_log_limit {
	uint64_t next_ns; /* CLOCK_MONOTONIC; 0: log the next one */
	uint64_t skipped;
};
#define SHMW_LOG_LIMIT_S 60
bool shmw_log_limited(struct shmw_log_limit *l, uint64_t *skipped);

/* Text of several lines from a trusted source (libbpf's verifier log): one entry per line. */
void shmw_log_lines(int level, const char *text);
struct iovec;
/* Tests: entries go to sendv as they would to the journal (NULL: back to stderr). */
void shmw_log_journal_for_tests(int (*sendv)(const struct iovec *iov, int n));

#define log_err(...)   shmw_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  shmw_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  shmw_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) shmw_log(LOG_DEBUG, __VA_ARGS__)
#endif
