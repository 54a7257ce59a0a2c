// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the daemon does with what the kernel tells it: applies ring-buffer events to the
 * state and publishes them; seeds at start; notices losses and repairs from the BPF maps,
 * walking processes again where the maps themselves may be incomplete (see daemon.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "daemon.h"
#include "eventlog.h"
#include "log.h"
#include "report.h"
#include "seed.h"
#include "segtable.h"
#include "server.h"

#define SEED_RETRIES 5

static uint64_t now_boot(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void recent_push(struct shmw_recent *r, const char *line)
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
		r->head = (r->head + 1) % r->cap;
	} else {
		r->lines[(r->head + r->count) % r->cap] = copy;
		r->count++;
	}
}

void shmw_daemon_publish(struct shmw_daemon *d, const char *line)
{
	size_t len = strlen(line);
	char *nl;

	d->logged++;
	shmw_eventlog_write(d->log, line, len);
	recent_push(&d->recent, line);
	if (!d->server)
		return;
	nl = malloc(len + 1);
	if (!nl)
		return;
	memcpy(nl, line, len);
	nl[len] = '\n';
	shmw_server_broadcast(d->server, nl, len + 1);
	free(nl);
}

static void publish_event(struct shmw_daemon *d, const struct shmw_event *ev)
{
	json_object *o = shmw_report_event(ev);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	shmw_daemon_publish(d, s);
	json_object_put(o);
}

static void queue_pid_walk(struct shmw_daemon *d, uint32_t pid)
{
	for (size_t i = 0; i < d->nresync_pids; i++)
		if (d->resync_pids[i] == pid)
			return;
	if (d->nresync_pids == d->cap_resync_pids) {
		size_t cap = d->cap_resync_pids ? d->cap_resync_pids * 2 : 16;
		uint32_t *n = realloc(d->resync_pids, cap * sizeof(*n));

		if (!n) {
			d->resync_full = true;
			return;
		}
		d->resync_pids = n;
		d->cap_resync_pids = cap;
	}
	d->resync_pids[d->nresync_pids++] = pid;
}

int shmw_daemon_on_sample(void *ctx, void *data, size_t size)
{
	struct shmw_daemon *d = ctx;
	const struct shmw_event *ev = data;

	if (size < sizeof(*ev))
		return 0;
	d->events++;
	switch (ev->type) {
	case SHMW_EV_RMID:
		shmw_ns_note(ev->ns, ev->pid);
		if (ev->version > d->state.floor)
			publish_event(d, ev);
		return 0;
	case SHMW_EV_OVERFLOW:
		/* The mm holds more than BPF could count, or we never saw it gain a VMA. */
		log_info("pid %u (%.16s): counts incomplete, walking it again", ev->pid, ev->comm);
		queue_pid_walk(d, ev->pid);
		return 0;
	default:
		break;
	}
	if (shmw_state_apply(&d->state, ev) == SHMW_CHG_NONE)
		return 0;
	if (ev->ns)
		shmw_ns_note(ev->ns, ev->pid);
	publish_event(d, ev);
	return 0;
}

void shmw_daemon_drain(struct shmw_daemon *d)
{
	int n = ring_buffer__consume(d->bpf.rb);

	if (n < 0)
		log_warn("ring buffer: %s", strerror(-n));
}

struct sync_ctx {
	struct shmw_daemon *d;
	uint32_t cause;
	uint64_t ts;
	uint64_t changes;
};

static void on_change(void *p, enum shmw_change chg, const struct shmw_mmst *mm,
		      const struct shmw_mm_seg *seg, uint32_t sharer)
{
	struct sync_ctx *c = p;
	struct shmw_event ev;

	shmw_event_from_change(&ev, chg, mm, seg, sharer, c->cause, c->ts);
	if (seg)
		shmw_ns_note(seg->ns, ev.pid);
	publish_event(c->d, &ev);
	c->changes++;
}

/* Makes the state equal to the BPF maps, publishing each difference with `cause`. */
static int sync_from_maps(struct shmw_daemon *d, uint32_t cause, uint64_t *changes)
{
	struct sync_ctx c = {.d = d, .cause = cause, .ts = now_boot()};
	struct shmw_snapshot s;
	int ret;

	/* Events already in the ring are older than the snapshot: apply them first. */
	shmw_daemon_drain(d);
	ret = shmw_snapshot_take(&d->bpf, &s);
	if (ret)
		return ret;
	d->seed_pending = s.unseeded;
	for (size_t i = 0; s.unseeded && i < s.n; i++)
		if (!(s.recs[i].flags & SHMW_MM_SEEDED) && s.recs[i].tgid)
			queue_pid_walk(d, s.recs[i].tgid);
	shmw_state_sync(&d->state, s.keys, s.recs, s.n, s.sharer_tgids, s.sharers, s.nsharers,
			s.version, on_change, &c);
	shmw_snapshot_free(&s);
	if (changes)
		*changes = c.changes;
	return 0;
}

int shmw_daemon_seed(struct shmw_daemon *d)
{
	int ret = shmw_seed_all(&d->bpf, SEED_RETRIES);

	if (ret < 0) {
		log_err("start-up walk failed: %s", strerror(-ret));
		return ret;
	}
	if (ret > 0)
		log_warn("%d address spaces kept changing during the start-up walk; will walk "
			 "them again",
			 ret);
	ret = sync_from_maps(d, SHMW_CAUSE_SEED, NULL);
	if (ret)
		return ret;
	shmw_bpf_stats(&d->bpf, d->bpf_stats);
	return 0;
}

/* A pass that repairs everything: walk, then sync, publishing what differed as `resync`. */
static void resync(struct shmw_daemon *d, bool walk_all, const char *why)
{
	uint64_t changes = 0;
	int ret = 0;

	if (walk_all)
		ret = shmw_seed_all(&d->bpf, SEED_RETRIES);
	else if (d->nresync_pids)
		ret = shmw_seed_pids(&d->bpf, d->resync_pids, d->nresync_pids);
	d->nresync_pids = 0;
	if (ret < 0)
		log_warn("resync walk failed: %s", strerror(-ret));
	ret = sync_from_maps(d, SHMW_CAUSE_RESYNC, &changes);
	if (ret) {
		log_err("resync failed: %s", strerror(-ret));
		return;
	}
	d->resyncs++;
	if (changes)
		log_warn("resync (%s): %llu differences repaired", why,
			 (unsigned long long)changes);
	else
		log_info("resync (%s): state was exact", why);
}

void shmw_daemon_tick(struct shmw_daemon *d)
{
	uint64_t now[SHMW_STAT_MAX];
	bool lost, map_full;

	shmw_daemon_drain(d);
	if (shmw_bpf_stats(&d->bpf, now))
		return;
	lost = now[SHMW_STAT_LOST] > d->bpf_stats[SHMW_STAT_LOST];
	map_full = now[SHMW_STAT_MAP_FULL] > d->bpf_stats[SHMW_STAT_MAP_FULL];
	if (lost)
		log_warn("%llu events lost (ring buffer full): resyncing from the BPF maps",
			 (unsigned long long)(now[SHMW_STAT_LOST] - d->bpf_stats[SHMW_STAT_LOST]));
	if (map_full) {
		log_warn("BPF map full (%llu failed updates): walking every process again; raise "
			 "--max-holders/--max-sharers",
			 (unsigned long long)(now[SHMW_STAT_MAP_FULL] -
					      d->bpf_stats[SHMW_STAT_MAP_FULL]));
		d->resync_full = true;
	}
	memcpy(d->bpf_stats, now, sizeof(now));
	if (d->resync_full) {
		d->resync_full = false;
		resync(d, true, map_full ? "map full" : "requested");
	} else if (d->nresync_pids) {
		resync(d, false, "incomplete address spaces");
	} else if (lost) {
		resync(d, false, "lost events");
	}
}
