/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The last step of every event's path: its line to the event log, the recent lines (`events
 * -n`) and the followers (`events -f`); an alert also to the journal and the --alert-exec
 * hook. Nothing here decides what happened: the daemon hands over what it formatted.
 */
#ifndef SHMW_PUBLISH_H
#define SHMW_PUBLISH_H
#include <stdint.h>
#include "alerts.h"
#include "metrics.h"
#include "shmwatch_abi.h"

struct shmw_eventlog;
struct shmw_server;
struct shmw_hooks;

/* Recent event lines, for `shmwatch events -n N`. */
struct shmw_recent {
	char **lines;
	uint32_t *audience; /* per line: the uid it concerns (SHMW_AUDIENCE_ADMIN: admins only) */
	uint32_t cap, head, count;
};

struct shmw_publisher {
	struct shmw_eventlog *log;
	struct shmw_server *server; /* NULL: no followers */
	struct shmw_hooks *hooks;   /* --alert-exec, or NULL */
	uint32_t alert_queue;	    /* --alert-queue, for the message when it is full */
	struct shmw_recent recent;
	uint64_t lines;			  /* lines published */
	uint64_t counts[SHMW_ME_NEVENTS]; /* of them, by event (enum shmw_metrics_event) */
};

/* Room for n recent lines (0: none kept). Returns 0 or -ENOMEM. */
int shmw_publish_init(struct shmw_publisher *p, uint32_t recent);
/* Frees the recent lines (the log, server and hooks are their owner's). */
void shmw_publish_fini(struct shmw_publisher *p);
/* One line (no newline), counted under event. audience: the uid whose process or segment it
 * concerns (non-admin clients see only their own), or SHMW_AUDIENCE_ADMIN. */
void shmw_publish_line(struct shmw_publisher *p, const char *event, const char *line,
		       uint32_t audience);
/* A holder event as its line (docs/protocol.md "event"); a resync's as "resync". */
void shmw_publish_event(struct shmw_publisher *p, const struct shmw_event *ev);
/* A lifecycle event or alert as shmw_alert_format() made it. */
void shmw_publish_alert(struct shmw_publisher *p, const struct shmw_alert *a);
#endif
