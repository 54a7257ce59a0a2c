// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's one event loop (see loop.h). */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "loop.h"

static int epfd = -1;

int shmw_loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -errno : 0;
}

int shmw_loop_add(struct shmw_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

int shmw_loop_mod(struct shmw_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) ? -errno : 0;
}

void shmw_loop_del(struct shmw_watch *w)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int shmw_loop_once(int timeout_ms)
{
	struct epoll_event evs[64];
	int n = epoll_wait(epfd, evs, 64, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct shmw_watch *w = evs[i].data.ptr;

		w->fn(w, evs[i].events);
	}
	return 0;
}

void shmw_loop_fini(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}
