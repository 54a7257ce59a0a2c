// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * shmw-floor: attaches bench/floor.bpf.c's empty programs, prints "attached", and keeps them
 * attached until SIGTERM or SIGINT. bench/run.sh runs the event-cost loops under it to show
 * what merely hooking those tracepoints costs.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bench/floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct floor *skel;
	int err;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	skel = floor__open_and_load();
	if (!skel) {
		fprintf(stderr, "shmw-floor: cannot load the empty programs\n");
		return 1;
	}
	err = floor__attach(skel);
	if (err) {
		fprintf(stderr, "shmw-floor: cannot attach: %d\n", err);
		floor__destroy(skel);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	floor__destroy(skel);
	return 0;
}
