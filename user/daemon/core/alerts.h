/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Lifecycle events and the alerts (docs/protocol.md, "Lifecycle events"), formatted for each
 * channel: the JSON line of the event log and its followers, a readable line with structured
 * fields for journald or syslog, the environment of the --alert-exec hook. Formatting only:
 * the daemon publishes (daemon/publish.h).
 */
#ifndef SHMW_ALERTS_H
#define SHMW_ALERTS_H
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "lifecycle.h"
#include "state.h"

/* One lifecycle event as its channels get it. */
struct shmw_alert {
	const char *event; /* as in the log: "create", "rmid", "destroy", "linger", ... */
	int32_t shmid;
	json_object *obj; /* the line's object */
	const char *line; /* obj as one line of text (owned by obj) */
	/* Who may see the line: an alert names other users' processes (admins only); a lifecycle
	 * event concerns whoever acted, or the segment's owner (uid). */
	bool admins_only;
	uint32_t uid;
	/* For the journal: alerts at warning priority with fields, the end of a linger at info;
	 * 0: the line alone. */
	int prio;
	char msg[1024];
	const char *fields[7]; /* "SHMID=5", ..., NULL-terminated */
	char field_buf[6][320];
	/* For --alert-exec (linger, linger_end and orphan): "SHMWATCH_EVENT=linger", ...,
	 * NULL-terminated; env[0] NULL: no hook. */
	const char *env[6];
	char env_buf[5][64];
};

/* Formats one event of the lifecycle (shmw_life_cb's arguments); holders are named from st.
 * Free with shmw_alert_free. */
void shmw_alert_format(struct shmw_alert *a, const struct shmw_state *st, enum shmw_life_event ev,
		       const struct shmw_lseg *s, const struct shmw_life_info *info);
void shmw_alert_free(struct shmw_alert *a);
/* A lingering segment as in the `linger` event (for the `lingering` answer too). */
json_object *shmw_alerts_linger_json(const struct shmw_state *st, const struct shmw_lseg *s,
				     uint64_t now);
/* An orphan as in the `orphan` event. */
json_object *shmw_alerts_orphan_json(const struct shmw_lseg *s, uint64_t now);
#endif
