/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What shmw-hold and shmw-chaos share: the "PID WORD ..." lines they report to their scenario
 * on out_fd, the fatal path (stderr and an "error" line) and number arguments. Included once by
 * each, after it defines HELPER_NAME and `static int out_fd`.
 */
#ifndef SHMW_HELPER_REPORT_H
#define SHMW_HELPER_REPORT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One "PID WORD ..." line on out_fd, in the name of pid. */
static void vsay_as(long pid, const char *fmt, va_list ap)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%ld ", pid);

	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(out_fd, buf, n) != n)
		_exit(3);
}

/* The pid from the kernel, not a library cache: vfork children report too. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay_as((long)syscall(SYS_getpid), fmt, ap);
	va_end(ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, HELPER_NAME ": %s\n", buf);
	say("error %s", buf);
	exit(1);
}

static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		die("bad %s '%s'", what, s);
	return v;
}

#endif
