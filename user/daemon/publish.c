// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event lines and alerts to their channels (see publish.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "alert_exec.h"
#include "eventlog.h"
#include "evline.h"
#include "log.h"
#include "publish.h"
#include "report.h"
#include "server.h"

int shmw_publish_init(struct shmw_publisher *p, uint32_t recent)
{
	if (!recent)
		return 0;
	p->recent.lines = calloc(recent, sizeof(char *));
	p->recent.audience = calloc(recent, sizeof(uint32_t));
	if (!p->recent.lines || !p->recent.audience) {
		shmw_publish_fini(p);
		return -ENOMEM;
	}
	p->recent.cap = recent;
	return 0;
}

void shmw_publish_fini(struct shmw_publisher *p)
{
	struct shmw_recent *r = &p->recent;

	for (uint32_t i = 0; i < r->count; i++)
		free(r->lines[(r->head + i) % r->cap]);
	free(r->lines);
	free(r->audience);
	memset(r, 0, sizeof(*r));
}

static void recent_push(struct shmw_recent *r, const char *line, uint32_t audience)
{
	char *copy;

	if (!r->cap)
		return;
	copy = strdup(line);
	if (!copy)
		return;
	if (r->count == r->cap) {
		free(r->lines[r->head]);
		r->lines[r->head] = copy;
		r->audience[r->head] = audience;
		r->head = (r->head + 1) % r->cap;
	} else {
		r->lines[(r->head + r->count) % r->cap] = copy;
		r->audience[(r->head + r->count) % r->cap] = audience;
		r->count++;
	}
}

void shmw_publish_line(struct shmw_publisher *p, const char *event, const char *line,
		       uint32_t audience)
{
	int idx = shmw_metrics_event_index(event);
	size_t len = strlen(line);
	char stack[SHMW_EVLINE_MAX + 1], *nl;

	if (idx >= 0)
		p->counts[idx]++;
	p->lines++;
	shmw_eventlog_write(p->log, line, len);
	recent_push(&p->recent, line, audience);
	if (!p->server)
		return;
	nl = len < sizeof(stack) ? stack : malloc(len + 1);
	if (!nl)
		return;
	memcpy(nl, line, len);
	nl[len] = '\n';
	shmw_server_broadcast(p->server, nl, len + 1, audience);
	if (nl != stack)
		free(nl);
}

void shmw_publish_event(struct shmw_publisher *p, const struct shmw_event *ev)
{
	/* What a resync found is counted as such, not as live attaches and detaches. */
	const char *name = ev->cause == SHMW_CAUSE_RESYNC ? "resync" : shmw_event_name(ev->type);
	char line[SHMW_EVLINE_MAX];
	json_object *o;

	/* The hot path: no json-c object per event (evline.h). */
	if (shmw_evline_format(line, sizeof(line), ev)) {
		shmw_publish_line(p, name, line, ev->uid);
		return;
	}
	o = shmw_report_event(ev);
	shmw_publish_line(p, name,
			  json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE),
			  ev->uid);
	json_object_put(o);
}

/* Reports what shmw_hooks_run() did with an alert. Drops come in floods (thousands of
 * segments lingering at once): counted (shmwatch_alert_hooks_dropped_total) and logged at most
 * once a minute. One daemon, one hook runner: the limit is kept here. */
static void hook_result(const struct shmw_publisher *p, const struct shmw_alert *a, int ret)
{
	static struct shmw_log_limit drops;
	uint64_t skipped;

	if (ret == -EBUSY) {
		if (shmw_log_limited(&drops, &skipped))
			log_warn(
			    "--alert-exec: every hook slot is taken and the queue is full "
			    "(--alert-queue %u): alert for shmid %d dropped (%llu more dropped "
			    "before; counted in shmwatch_alert_hooks_dropped_total, logged at "
			    "most once a minute)",
			    p->alert_queue, a->shmid, (unsigned long long)skipped);
		return;
	}
	if (ret < 0)
		log_warn("--alert-exec for shmid %d not run: %s", a->shmid, strerror(-ret));
}

void shmw_publish_alert(struct shmw_publisher *p, const struct shmw_alert *a)
{
	shmw_publish_line(p, a->event, a->line, a->admins_only ? SHMW_AUDIENCE_ADMIN : a->uid);
	if (a->prio)
		shmw_log_fields(a->prio, a->msg, a->fields);
	if (a->env[0] && p->hooks)
		hook_result(p, a, shmw_hooks_run(p->hooks, a->line, strlen(a->line), a->env));
}
