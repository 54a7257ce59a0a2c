// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The diagnostic log (user/daemon/core/log.c): what reaches stderr and the journal is escaped. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

static char out[8192];

/* Runs fn with stderr going to a file; out gets what it wrote. */
static const char *captured(void (*fn)(void))
{
	char path[] = "/tmp/shmw-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	if (fd < 0 || saved < 0)
		return "(cannot capture stderr)";
	unlink(path);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static void hostile_message(void)
{
	log_warn("held by pid 5 (%s, user %s)", "a\nshmwatchd: warning: fake\033[2J\r", "u\377");
}

static void hostile_fields(void)
{
	const char *fields[] = {"SHMID=5",	   "HOLDER_COMM=a\nb\033[31m",
				"HOLDER_USER=x y", "QUOTED=a\"b\\c",
				"EMPTY=",	   NULL};

	shmw_log_fields(LOG_WARNING, "alert\x9b", fields);
}

static void verifier_text(void)
{
	shmw_log_lines(LOG_INFO, "libbpf: -- BEGIN --\n0: (b7) r0 = 0\n\n1: (95) exit\033\n");
}

static void test_stderr(void)
{
	CHECK_STR("message: one line, control bytes and invalid UTF-8 escaped",
		  captured(hostile_message),
		  "shmwatchd: warning: held by pid 5 (a\\nshmwatchd: warning: fake\\x1b[2J\\r, "
		  "user u\\xff)\n");
	CHECK_STR("fields: values escaped, quoted when they have a space or a quote",
		  captured(hostile_fields),
		  "shmwatchd: warning: alert\\x9b SHMID=5 HOLDER_COMM=a\\nb\\x1b[31m "
		  "HOLDER_USER=\"x y\" QUOTED=\"a\\\"b\\\\c\" EMPTY=\"\"\n");
	CHECK_STR("trusted text of several lines: a line each, escaped", captured(verifier_text),
		  "shmwatchd: info: libbpf: -- BEGIN --\n"
		  "shmwatchd: info: 0: (b7) r0 = 0\n"
		  "shmwatchd: info: 1: (95) exit\\x1b\n");
}

static char journal[16][512];
static int njournal;
static int journal_rc;

static int fake_sendv(const struct iovec *iov, int n)
{
	njournal = 0;
	for (int i = 0; i < n && i < 16; i++) {
		size_t len = iov[i].iov_len < 511 ? iov[i].iov_len : 511;

		memcpy(journal[i], iov[i].iov_base, len);
		journal[i][len] = '\0';
		njournal++;
	}
	return journal_rc;
}

static const char *jfield(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < njournal; i++)
		if (!strncmp(journal[i], name, n) && journal[i][n] == '=')
			return journal[i] + n + 1;
	return "(missing)";
}

static void test_journal(void)
{
	shmw_log_journal_for_tests(fake_sendv);
	journal_rc = 0;
	CHECK_STR("journal: nothing on stderr", captured(hostile_fields), "");
	CHECK_STR("journal: MESSAGE escaped", jfield("MESSAGE"), "alert\\x9b");
	CHECK_STR("journal: PRIORITY", jfield("PRIORITY"), "4");
	CHECK_STR("journal: a plain field as it is", jfield("SHMID"), "5");
	CHECK_STR("journal: HOLDER_COMM escaped", jfield("HOLDER_COMM"), "a\\nb\\x1b[31m");
	CHECK_STR("journal: a space needs no quotes there", jfield("HOLDER_USER"), "x y");
	CHECK_STR("journal: a backslash doubled", jfield("QUOTED"), "a\"b\\\\c");
	captured(hostile_message);
	CHECK_STR("journal: the message's newline, ESC, CR and 0xff escaped", jfield("MESSAGE"),
		  "held by pid 5 (a\\nshmwatchd: warning: fake\\x1b[2J\\r, user u\\xff)");
	journal_rc = -1;
	CHECK_STR("journal refusing the entry: stderr instead, escaped the same",
		  captured(hostile_message),
		  "shmwatchd: warning: held by pid 5 (a\\nshmwatchd: warning: fake\\x1b[2J\\r, "
		  "user u\\xff)\n");
	shmw_log_journal_for_tests(NULL);
}

int main(void)
{
	shmw_log_init("shmwatchd", LOG_INFO);
	test_stderr();
	test_journal();
	return CHECK_DONE();
}
