/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-nsexec: runs a command in the IPC namespace of a process, as `nsenter --ipc -t PID`
 * does, for scenarios that ask shmwatch from inside a container's namespace (busybox in the
 * guests of make test-kernels may lack nsenter).
 *
 *   shmw-nsexec PID CMD ARG...
 *
 * Exits 125 when it cannot enter the namespace (with the reason on stderr), else execs CMD.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64], *end;
	unsigned long pid;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: shmw-nsexec PID CMD ARG...\n");
		return 125;
	}
	errno = 0;
	pid = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || pid == 0 || pid > 0x7fffffff) {
		fprintf(stderr, "shmw-nsexec: bad pid: %s\n", argv[1]);
		return 125;
	}
	snprintf(path, sizeof(path), "/proc/%lu/ns/ipc", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWIPC)) {
		fprintf(stderr, "shmw-nsexec: %s: %s\n", path, strerror(errno));
		return 125;
	}
	close(fd);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "shmw-nsexec: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
