/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Questions about the past (`events` with filters, `history`, `who --at`), answered from the
 * event log on disk by one thread of their own, so that the loop never waits for a file: the
 * loop queues a request and holds its client (server.h); the thread opens the log's files,
 * runs the query (logquery.h) and hands the answer back through an eventfd; the loop sends
 * it. At most SHMW_HISTORY_QUEUE requests wait; more are answered "busy".
 */
#ifndef SHMW_HISTORY_H
#define SHMW_HISTORY_H
#include "logquery.h"

#define SHMW_HISTORY_QUEUE 16

struct shmw_history;
struct shmw_conn;

/* Starts the thread for the log at path. NULL with the reason in err. */
struct shmw_history *shmw_history_open(const char *path, char *err, size_t errlen);
/* Queues q for c (held until answered). -EBUSY when the queue is full, -ENOMEM. */
int shmw_history_submit(struct shmw_history *h, struct shmw_conn *c, const struct shmw_lq *q);
/* Stops the thread (a query running is cancelled) and lets go of the clients it held, before
 * the server closes. */
void shmw_history_close(struct shmw_history *h);
#endif
