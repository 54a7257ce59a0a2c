/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Answering client requests (docs/protocol.md) from the daemon's state. */
#ifndef SHMW_REQUESTS_H
#define SHMW_REQUESTS_H
#include <stddef.h>

struct shmw_conn;

/* shmw_request_fn for the server; ctx is the struct shmw_daemon. */
void shmw_requests_handle(void *ctx, struct shmw_conn *c, const char *line, size_t len);
#endif
