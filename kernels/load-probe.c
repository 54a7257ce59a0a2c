// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * load-probe: which of shmwatchd's BPF programs does this kernel's verifier accept? Opens the
 * daemon's own skeleton (same object as the build) and loads each program alone (with the maps
 * and the subprograms it calls), each with its own 16 MiB verifier log, then all together:
 *
 *   load/enter_munmap: ok
 *   load/on_fork: failed: Invalid argument (EINVAL), log 2345 bytes
 *     | <the last lines of the verifier log>
 *   load/all: failed: ...
 *
 * Exit 0 when everything loads. Nothing is attached. -n LINES: verifier lines shown per failure
 * (default 25). Part of the static test build only (make static, make test-kernels).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "shmwatch.skel.h"

#define LOG_SIZE (16u << 20)

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static const char *errname(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case ESRCH:
		return "ESRCH";
	case ENOSPC:
		return "ENOSPC";
	case E2BIG:
		return "E2BIG";
	case ENOTSUP:
		return "ENOTSUP";
	default:
		return "?";
	}
}

/* The last n lines of log. */
static void tail(const char *log, int n)
{
	size_t len = strlen(log);
	const char *p;
	int lines = 0;

	while (len && (log[len - 1] == '\n'))
		len--;
	p = log + len;
	while (p > log && lines <= n) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	while (p < log + len) {
		const char *nl = memchr(p, '\n', (size_t)(log + len - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(log + len - p);

		printf("  | %.*s\n", (int)l, p);
		p += l + 1;
	}
}

/* Loads program number only (with the maps), or every program when only < 0; 0 or -errno.
 * A single program's verifier log goes to logbuf. */
static int load(int only, char *logbuf)
{
	struct shmwatch *skel = shmwatch__open();
	struct bpf_program *prog;
	int i = 0, ret;

	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj)
	{
		bool on = only < 0 || i == only;

		bpf_program__set_autoload(prog, on);
		if (on && only >= 0)
			bpf_program__set_log_buf(prog, logbuf, LOG_SIZE);
		i++;
	}
	logbuf[0] = 0;
	ret = shmwatch__load(skel);
	shmwatch__destroy(skel);
	return ret;
}

int main(int argc, char **argv)
{
	struct shmwatch *skel;
	struct bpf_program *prog;
	char *logbuf = malloc(LOG_SIZE);
	int nlines = 25, nprogs = 0, bad = 0, ret;
	char names[64][64];

	if (argc > 2 && !strcmp(argv[1], "-n"))
		nlines = atoi(argv[2]);
	if (!logbuf)
		return 2;
	libbpf_set_print(quiet);
	skel = shmwatch__open();
	if (!skel) {
		printf("load/open: failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (nprogs < 64)
			snprintf(names[nprogs++], sizeof(names[0]), "%s", bpf_program__name(prog));
	}
	shmwatch__destroy(skel);
	for (int i = 0; i < nprogs; i++) {
		ret = load(i, logbuf);
		if (!ret) {
			printf("load/%s: ok\n", names[i]);
			continue;
		}
		bad++;
		printf("load/%s: failed: %s (%s), log %zu bytes\n", names[i], strerror(-ret),
		       errname(-ret), strlen(logbuf));
		tail(logbuf, nlines);
	}
	ret = load(-1, logbuf);
	if (ret)
		printf("load/all: failed: %s (%s)\n", strerror(-ret), errname(-ret));
	else
		printf("load/all: ok\n");
	free(logbuf);
	return bad || ret ? 1 : 0;
}
