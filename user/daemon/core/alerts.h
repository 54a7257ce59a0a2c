/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Lifecycle events to their channels: the JSON Lines event log (and followers), journald or
 * syslog at warning priority for alerts, and the --alert-exec hook.
 */
#ifndef SHMW_ALERTS_H
#define SHMW_ALERTS_H
#include <json-c/json.h>
#include "lifecycle.h"

struct shmw_daemon;

/* shmw_life_cb; ctx is the daemon. */
void shmw_alerts_on_life(void *ctx, enum shmw_life_event ev, const struct shmw_lseg *seg,
			 const struct shmw_life_info *info);
/* A lingering segment as in the `linger` event (for the `lingering` answer too). */
json_object *shmw_alerts_linger_json(struct shmw_daemon *d, const struct shmw_lseg *s,
				     uint64_t now);
/* An orphan as in the `orphan` event. */
json_object *shmw_alerts_orphan_json(const struct shmw_lseg *s, uint64_t now);
#endif
