/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's one event loop: epoll over fds, each with its handler. */
#ifndef SHMW_LOOP_H
#define SHMW_LOOP_H
#include <stdint.h>

struct shmw_watch {
	int fd;
	void (*fn)(struct shmw_watch *w, uint32_t events);
	void *ctx;
};

int shmw_loop_init(void);
int shmw_loop_add(struct shmw_watch *w, uint32_t events);
int shmw_loop_mod(struct shmw_watch *w, uint32_t events);
void shmw_loop_del(struct shmw_watch *w);
/* Waits up to timeout_ms and runs the handlers of ready fds. Returns 0 or -errno. */
int shmw_loop_once(int timeout_ms);
void shmw_loop_fini(void);
#endif
