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
#include "alert_exec.h"
#include "alerts.h"
#include "daemon.h"
#include "eventlog.h"
#include "log.h"
#include "metrics.h"
#include "replay.h"
#include "rescan.h"
#include "report.h"
#include "seed.h"
#include "segtable.h"
#include "server.h"
#include "timefmt.h"

#define SEED_RETRIES 5
/* Event log lines are written in batches of up to this many bytes, flushed at the end of each
 * ring-buffer drain and of each tick (so none waits while the daemon sleeps). */
#define LOG_BATCH    (64 * 1024)
#define RECONCILE_NS (2 * SHMW_NS_PER_SEC) /* how often the kernel's segment tables are read */

static void reconcile(struct shmw_daemon *d, bool startup);

static void publish_event(struct shmw_daemon *d, const struct shmw_event *ev)
{
	shmw_publish_event(&d->pub, ev);
}

/* Has the periodic pass walk this process again. */
static void queue_walk(struct shmw_daemon *d, uint32_t pid)
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

static struct shmw_actor actor_of(const struct shmw_event *ev)
{
	struct shmw_actor a = {.pid = ev->pid, .uid = ev->uid};

	memcpy(a.comm, ev->comm, SHMW_COMM_LEN);
	return a;
}

/* The kernel's view of one segment now; NULL when it no longer exists. */
static const struct shmw_kseg *kernel_view(uint32_t ns, uint32_t shmid, struct shmw_kseg *k)
{
	return shmw_segtable_find(ns, (int32_t)shmid, k) == 0 ? k : NULL;
}

/* The segment as a lifecycle event describes it: the BPF side read it from the kernel when it
 * acted, in the ring's order; the kernel's table may already say otherwise. */
static void kseg_of_event(const struct shmw_event *ev, struct shmw_kseg *k)
{
	memset(k, 0, sizeof(*k));
	k->ns = ev->ns;
	k->shmid = (int32_t)ev->shmid;
	k->key = ev->key;
	k->size = ev->size;
	k->ctime = ev->gen;
	if (ev->type == SHMW_EV_CREATE) {
		k->perms = ev->aux;
		k->uid = k->cuid = ev->uid;
		k->cpid = (int32_t)ev->pid;
	}
}

/* What a destroy record says released the segment. */
static const char *destroy_cause(const struct shmw_event *ev)
{
	if (ev->flags & SHMW_EVF_REUSED)
		return "vanished"; /* seen gone only when its shmid came back */
	if (ev->cause == SHMW_CAUSE_SHMCTL)
		return "rmid"; /* IPC_RMID of a segment nothing mapped */
	return NULL;	       /* the detach's own cause: shmdt, exit, exec, munmap, ... */
}

void shmw_daemon_on_life(void *ctx, enum shmw_life_event ev, const struct shmw_lseg *s,
			 const struct shmw_life_info *info)
{
	struct shmw_daemon *d = ctx;
	struct shmw_alert a;

	if (ev == SHMW_LIFE_DESTROY && info->unseen &&
	    shmw_bpf_forget_seg(&d->bpf, s->ns, s->shmid, s->size, s->key,
				s->generation / (int64_t)SHMW_NS_PER_SEC))
		log_debug("segment %d of IPC namespace %u freed unseen: its BPF entry dropped",
			  s->shmid, s->ns);
	shmw_alert_format(&a, &d->state, ev, s, info);
	shmw_publish_alert(&d->pub, &a);
	shmw_alert_free(&a);
}

/* The lifecycle records (create, rmid, destroy) and the last release of a segment. */
static void lifecycle_event(struct shmw_daemon *d, const struct shmw_event *ev)
{
	struct shmw_actor by = actor_of(ev);
	uint64_t when = shmw_boot_to_real(ev->ts);
	struct shmw_kseg k;

	switch (ev->type) {
	case SHMW_EV_CREATE:
		kseg_of_event(ev, &k);
		shmw_life_created(&d->life, ev->ns, &k, &by, when);
		break;
	case SHMW_EV_RMID:
		kseg_of_event(ev, &k);
		shmw_life_rmid(&d->life, ev->ns, &k, &by, ev->aux, when);
		break;
	case SHMW_EV_DESTROY:
		shmw_life_destroyed(&d->life, ev->ns, (int32_t)ev->shmid, ev->cause,
				    destroy_cause(ev), (ev->flags & SHMW_EVF_REUSED) ? NULL : &by,
				    when);
		break;
	case SHMW_EV_DETACH:
		if (!shmw_state_seg(&d->state, ev->ns, ev->shmid)) /* others still hold it */
			shmw_life_released(&d->life, ev->ns, (int32_t)ev->shmid, when);
		break;
	}
}

/* A holder event naming another process than the one we know for its address space (only
 * after lost events: a lost owner change, or a lost exit whose mm address came back for
 * another process). Applying it renames the address space; the log says so first, as an
 * owner line, so that read process by process it never shows one process's holdings
 * passing to another without a word. */
static void renamed(struct shmw_daemon *d, const struct shmw_event *ev)
{
	const struct shmw_mmst *m = shmw_state_mm(&d->state, ev->mm);
	struct shmw_event own;

	if (!m || m->tgid == ev->pid || ev->version <= m->version || ev->version <= d->state.floor)
		return;
	memset(&own, 0, sizeof(own));
	own.ts = ev->ts;
	own.type = SHMW_EV_OWNER;
	own.cause = SHMW_CAUSE_RESYNC;
	own.mm = ev->mm;
	own.pid = ev->pid;
	own.uid = ev->uid;
	own.actor = m->tgid;
	memcpy(own.comm, ev->comm, SHMW_COMM_LEN);
	publish_event(d, &own);
	/* As an owner line does when replayed: the new owner is no sharer any more. */
	{
		const struct shmw_sharerst *sh = shmw_state_sharer(&d->state, ev->pid);

		if (sh) {
			struct shmw_event un = own;

			un.type = SHMW_EV_UNSHARE;
			un.mm = sh->mm;
			un.actor = ev->pid;
			shmw_state_apply(&d->state, &un);
		}
	}
}

/* Publishes a holder change applied to the state (from an event or a walk) and what it means
 * for the segment's lifecycle. */
static void report_change(struct shmw_daemon *d, const struct shmw_event *ev, enum shmw_change chg)
{
	if (chg == SHMW_CHG_ATTACH || chg == SHMW_CHG_DETACH || chg == SHMW_CHG_VMAS) {
		struct shmw_event as = *ev;

		/* The line says what changed in our state, which after lost events may differ
		 * from what the kernel saw: a split (vmas) of a holding whose attach was lost
		 * is, here, the attach. The log replays to the same holders only this way. */
		as.type = chg == SHMW_CHG_ATTACH   ? SHMW_EV_ATTACH
			  : chg == SHMW_CHG_DETACH ? SHMW_EV_DETACH
						   : SHMW_EV_VMAS;
		publish_event(d, &as);
	} else {
		publish_event(d, ev);
	}
	if (chg == SHMW_CHG_DETACH)
		lifecycle_event(d, ev);
	else if (chg == SHMW_CHG_ATTACH)
		shmw_life_held(&d->life, ev->ns, (int32_t)ev->shmid, ev->nvma);
}

struct rescan_ctx {
	struct shmw_daemon *d;
	const struct shmw_event *req;
};

/* A difference a walk on request found: reported with the cause and version of the request. */
static void on_rescan_change(void *p, enum shmw_change chg, const struct shmw_mmst *mm,
			     const struct shmw_mm_seg *seg, uint32_t sharer)
{
	struct rescan_ctx *c = p;
	struct shmw_event ev;

	shmw_event_from_change(&ev, chg, mm, seg, sharer, c->req->cause, c->req->ts);
	if (!ev.actor)
		ev.actor = c->req->actor;
	ev.version = c->req->version;
	report_change(c->d, &ev, chg);
}

/* The BPF side could not count a change itself (rescan.h): the mm is walked, and what the walk
 * found is applied to the state. */
static void rescan(struct shmw_daemon *d, const struct shmw_event *ev)
{
	const struct shmw_mmst *m = shmw_state_mm(&d->state, ev->mm);
	struct rescan_ctx c = {.d = d, .req = ev};
	struct shmw_rescan r;

	/* A walk installed after this request was made has seen its change: the state is
	 * synced to it already (a burst of calls costs one walk). */
	if (m && m->version > ev->version)
		return;
	shmw_rescan(&d->bpf, ev, &r);
	d->rescans += r.walked;
	if (r.again) {
		log_info("pid %u (%.16s): kept changing while walked; walking it again later",
			 ev->pid, ev->comm);
		queue_walk(d, r.again);
	}
	if (r.apply)
		shmw_state_sync_mm(&d->state, ev->mm, r.rec, ev->cause, ev->ts, on_rescan_change,
				   &c);
	shmw_rescan_free(&r);
}

/* Why the BPF side could not keep an address space's counts (shmw_event.aux of an overflow
 * record: the counter it bumped). */
static const char *incomplete_why(uint32_t stat)
{
	switch (stat) {
	case SHMW_STAT_MAP_FULL:
		return "a BPF map is full";
	case SHMW_STAT_BUSY:
		return "its record was busy on another CPU";
	case SHMW_STAT_SEED_RETRY:
		return "it changed before its first walk";
	default:
		return "a walk could not count it";
	}
}

static void on_event(struct shmw_daemon *d, const struct shmw_event *ev)
{
	enum shmw_change chg;

	d->events++;
	/* Every record names a process in the namespace it acted from: a way in. */
	if (ev->task_ns && ev->actor)
		shmw_ns_note(ev->task_ns, ev->actor);
	switch (ev->type) {
	case SHMW_EV_CREATE:
	case SHMW_EV_RMID:
	case SHMW_EV_DESTROY:
		lifecycle_event(d, ev);
		return;
	case SHMW_EV_RESCAN:
		rescan(d, ev);
		return;
	case SHMW_EV_OVERFLOW:
		/* The mm holds more than BPF could count, or we never saw it gain a VMA. */
		log_info("pid %u (%.16s): counts incomplete after %s (%s), walking it again",
			 ev->pid, ev->comm, shmw_cause_name(ev->cause), incomplete_why(ev->aux));
		queue_walk(d, ev->pid);
		return;
	case SHMW_EV_OWNER:
		if (!shmw_state_mm(&d->state, ev->mm)) {
			struct shmw_event un = *ev;

			/* A sharer took over an address space that holds nothing: BPF forgot
			 * the sharer, so must we (and say so), or it would stay listed. */
			un.type = SHMW_EV_UNSHARE;
			un.actor = ev->pid;
			if (shmw_state_apply(&d->state, &un) == SHMW_CHG_UNSHARE)
				publish_event(d, &un);
			return;
		}
		break;
	case SHMW_EV_ATTACH:
	case SHMW_EV_DETACH:
	case SHMW_EV_VMAS:
		renamed(d, ev);
		break;
	default:
		break;
	}
	chg = shmw_state_apply(&d->state, ev);
	if (chg != SHMW_CHG_NONE)
		report_change(d, ev, chg);
}

int shmw_daemon_on_sample(void *ctx, void *data, size_t size)
{
	struct shmw_daemon *d = ctx;

	if (size >= sizeof(struct shmw_event))
		on_event(d, data);
	/* A storm of events must not starve clients and the timer: stop after this one, epoll
	 * says when there is more (the ring buffer's poll is level-triggered). Only after it:
	 * libbpf has already consumed the record it hands us, so a record refused with an
	 * error would be gone, silently. */
	if (d->drain_budget && --d->drain_budget == 0)
		return -EAGAIN;
	return 0;
}

/* Records one turn of the loop takes. 16384 kept a client waiting over 3 s during a storm
 * under qemu's emulation (t_limits on 6.1 and 6.12); each turn costs one epoll_wait. */
#define DRAIN_BUDGET 1024

void shmw_daemon_drain(struct shmw_daemon *d)
{
	int n;

	d->drain_budget = DRAIN_BUDGET;
	n = shmw_bpf_consume(&d->bpf);
	d->life.behind = n == -EAGAIN; /* the budget ran out: records are left */
	if (n < 0 && n != -EAGAIN)
		log_warn("ring buffer: %s", strerror(-n));
	shmw_eventlog_flush(d->pub.log);
}

struct sync_ctx {
	struct shmw_daemon *d;
	uint32_t cause;
	uint64_t ts;
	uint64_t changes;
	json_object *diffs; /* verify: each difference, as published */
};

static void on_change(void *p, enum shmw_change chg, const struct shmw_mmst *mm,
		      const struct shmw_mm_seg *seg, uint32_t sharer)
{
	struct sync_ctx *c = p;
	struct shmw_event ev;

	shmw_event_from_change(&ev, chg, mm, seg, sharer, c->cause, c->ts);
	if (!mm && sharer) {
		/* A sharer of an mm that holds nothing: the line still names the mm it shares
		 * (on unshare, called before the sharer is forgotten), or a replay could not
		 * match its later unshare. */
		const struct shmw_sharerst *sh = shmw_state_sharer(&c->d->state, sharer);

		if (sh)
			ev.mm = sh->mm;
	}
	publish_event(c->d, &ev);
	if (c->diffs)
		json_object_array_add(c->diffs, shmw_report_event(&ev));
	c->changes++;
}

/* Makes the state equal to the BPF maps, publishing each difference with `cause`. At start-up
 * (startup) the holdings new to the state are kept as got by `cause` when the line says so,
 * not as the walk recorded them (seed, a few ms earlier): the next daemon replays the line,
 * and a holder that stays must read back the same. Later, a holding found by a resync keeps
 * what BPF knew of it (shmat, and when: only its ring record was lost). */
static int sync_from_maps(struct shmw_daemon *d, uint32_t cause, uint64_t *changes,
			  json_object *diffs, bool startup)
{
	struct sync_ctx c = {
	    .d = d, .cause = cause, .ts = shmw_clock_ns(CLOCK_BOOTTIME), .diffs = diffs};
	struct shmw_snapshot s;
	int ret;

	/* Events already in the ring are older than the snapshot: apply them first. */
	shmw_daemon_drain(d);
	ret = shmw_snapshot_take(&d->bpf, &s);
	if (ret)
		return ret;
	d->seed_pending = s.unseeded;
	/* Unseeded, waiting for a walk whose tries all raced (BPF asks once per pending walk:
	 * rescan_once), or counts BPF could not keep (its overflow record may be among the lost
	 * ones): the next tick walks them again. */
	for (size_t i = 0; i < s.n; i++)
		if ((!(s.recs[i].flags & SHMW_MM_SEEDED) ||
		     (s.recs[i].flags & (SHMW_MM_RESCAN | SHMW_MM_OVERFLOW))) &&
		    s.recs[i].tgid)
			queue_walk(d, s.recs[i].tgid);
	shmw_state_sync(&d->state, s.keys, s.recs, s.n, s.sharer_tgids, s.sharers, s.nsharers,
			s.version, startup ? cause : 0, c.ts, on_change, &c);
	shmw_snapshot_free(&s);
	if (changes)
		*changes = c.changes;
	return 0;
}

/* Start-up phases at debug level, in ms since the daemon started (docs/design.md, "Start-up"). */
static void seed_phase(const struct shmw_daemon *d, const char *what)
{
	log_debug("start-up: %s after %.1f ms", what,
		  (double)(shmw_mono_ns() - d->started_mono) / SHMW_NS_PER_MS);
}

/* A process in namespace ns now, from a walk of the tasks in the kernel (not a scan of /proc):
 * the segment tables' way in when the process we knew there has gone. */
static uint32_t find_in_ns(void *ctx, uint32_t ns)
{
	struct shmw_daemon *d = ctx;
	struct shmw_ns_row *rows;
	uint32_t pid = 0;
	size_t n;

	if (shmw_bpf_ns_walk(&d->bpf, ns, &rows, &n))
		return 0;
	if (n)
		pid = rows[0].pid;
	free(rows);
	return pid;
}

/* Every IPC namespace a process is in now, each with a way in. */
static void learn_namespaces(struct shmw_daemon *d)
{
	struct shmw_ns_row *rows;
	size_t n;
	int ret = shmw_bpf_ns_walk(&d->bpf, 0, &rows, &n);

	if (ret) {
		log_warn("cannot list the IPC namespaces: %s", strerror(-ret));
		return;
	}
	for (size_t i = 0; i < n; i++)
		shmw_ns_note(rows[i].ns, rows[i].pid);
	free(rows);
}

/* The name of a live process, for segments found in the kernel's table (their creator). */
static bool comm_of(void *ctx, uint32_t pid, char *buf)
{
	(void)ctx;
	return shmw_proc_comm(pid, buf, SHMW_COMM_LEN) == 0;
}

/* The segments of a kernel table as the BPF side's segment entries (seed.h). */
static void seed_bpf_segs(struct shmw_daemon *d, uint32_t ns, const struct shmw_kseg *v, size_t n)
{
	size_t full = shmw_bpf_seed_segs(&d->bpf, ns, v, n);

	if (full)
		log_warn("%zu segments of IPC namespace %u not known to BPF: raise --max-segments "
			 "(a shmget of one may then be logged as a create)",
			 full, ns);
}

int shmw_daemon_seed(struct shmw_daemon *d)
{
	uint32_t cause = SHMW_CAUSE_SEED;
	int ret;
	long replayed = 0;

	/* Every path that publishes from here on flushes when it is done (drain, tick, verify,
	 * this seed): a write per line was most of a busy daemon's time. */
	shmw_eventlog_buffer(d->pub.log, LOG_BATCH);
	shmw_ns_set_finder(find_in_ns, d);
	d->life.comm_of = comm_of;
	shmw_bpf_set_realtime_offset(&d->bpf, shmw_realtime_offset());
	learn_namespaces(d);
	seed_phase(d, "IPC namespaces listed");
	ret = shmw_seed_all(&d->bpf, SEED_RETRIES);
	seed_phase(d, "every task walked");
	if (ret < 0) {
		log_err("start-up walk failed: %s", strerror(-ret));
		return ret;
	}
	if (ret > 0)
		log_warn("%d address spaces kept changing during the start-up walk; will walk "
			 "them again",
			 ret);
	/* What the previous daemon logged is what it knew: start from that, and log only what
	 * changed while nobody watched, as resync (holders) or create/destroy (segments). */
	if (strcmp(d->opts.log_path, "-") != 0)
		replayed = shmw_replay_file(d->opts.log_path, &d->state, &d->life);
	if (replayed < 0)
		log_warn("cannot replay %s: %s", d->opts.log_path, strerror((int)-replayed));
	if (replayed > 0) {
		cause = SHMW_CAUSE_RESYNC;
		log_info("replayed %ld events from %s", replayed, d->opts.log_path);
	}
	seed_phase(d, "event log replayed");
	/* Segments first, then who holds them: a segment's create line comes before its
	 * holders' attach lines. */
	reconcile(d, true);
	seed_phase(d, "reconciled with /proc/sysvipc/shm");
	ret = sync_from_maps(d, cause, NULL, NULL, true);
	if (ret)
		return ret;
	seed_phase(d, "state read from the maps");
	shmw_bpf_stats(&d->bpf, d->bpf_stats);
	shmw_eventlog_flush(d->pub.log);
	return 0;
}

static bool listed(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Reads every known namespace's segment table into the lifecycle registry. */
static void reconcile(struct shmw_daemon *d, bool startup)
{
	uint64_t now = shmw_now_real();
	uint32_t *nss, *held, *grown;
	size_t nns = shmw_ns_list(&nss), nheld = shmw_life_namespaces(&d->life, &held);

	if (!nss || !held) {
		free(nss);
		free(held);
		return;
	}
	/* Also the namespaces we have segments of but no process in that we know. */
	grown = realloc(nss, (nns + nheld) * sizeof(*nss));
	if (grown) {
		nss = grown;
		for (size_t i = 0; i < nheld; i++)
			if (!listed(nss, nns, held[i]))
				nss[nns++] = held[i];
	}
	free(held);
	for (size_t i = 0; i < nns; i++) {
		struct shmw_kseg *v;
		size_t n;
		int ret = shmw_segtable_read(nss[i], &v, &n);

		if (ret == 0) {
			if (startup)
				seed_bpf_segs(d, nss[i], v, n);
			shmw_life_reconcile(&d->life, nss[i], v, n, startup, now);
			free(v);
		} else if (ret == -ENOENT && !shmw_state_ns_held(&d->state, nss[i])) {
			/* No process in that namespace (the finder looked) and nothing holding its
			 * segments from elsewhere: nothing keeps it, and the kernel has freed it
			 * with its segments (an nsfs bind mount could keep it, unreachable:
			 * docs/design.md). */
			shmw_life_reconcile(&d->life, nss[i], NULL, 0, startup, now);
			log_debug("IPC namespace %u is gone: %zu BPF segment entries dropped",
				  nss[i], shmw_bpf_forget_ns(&d->bpf, nss[i]));
			shmw_ns_forget(nss[i]);
		}
	}
	free(nss);
	d->reconciles++;
}

/* Segments marked for destruction are few and are what the linger alert is about: look at
 * each on every tick. */
static void refresh_dest(struct shmw_daemon *d, uint64_t now)
{
	size_t n = shmw_life_marked(&d->life, NULL, 0);
	struct shmw_lseg_id *ids;
	struct shmw_kseg k;

	if (!n || !(ids = malloc(n * sizeof(*ids))))
		return;
	n = shmw_life_marked(&d->life, ids, n);
	for (size_t i = 0; i < n; i++)
		shmw_life_update(&d->life, ids[i].ns, ids[i].shmid,
				 kernel_view(ids[i].ns, (uint32_t)ids[i].shmid, &k), now);
	free(ids);
}

/* A pass that repairs everything: walk, then sync, publishing what differed as `resync`. */
static void resync(struct shmw_daemon *d, bool walk_all, const char *why, json_object *diffs)
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
	ret = sync_from_maps(d, SHMW_CAUSE_RESYNC, &changes, diffs, false);
	if (ret) {
		log_err("resync failed: %s", strerror(-ret));
		return;
	}
	d->resync_passes++;
	if (changes)
		d->resyncs++; /* a pass that repaired something */
	if (changes)
		log_warn("resync (%s): %llu differences repaired", why,
			 (unsigned long long)changes);
	else
		log_info("resync (%s): state was exact", why);
}

static void verify_tick(struct shmw_daemon *d);

static void tick(struct shmw_daemon *d)
{
	uint64_t now[SHMW_STAT_MAX], mono = shmw_mono_ns(), real = shmw_now_real();
	bool lost, map_full;

	shmw_daemon_drain(d);
	shmw_bpf_set_realtime_offset(&d->bpf, shmw_realtime_offset());
	/* Not while records are left in the ring: the kernel's table would be ahead of them. */
	if (mono - d->last_reconcile >= RECONCILE_NS && !d->life.behind) {
		d->last_reconcile = mono;
		reconcile(d, false);
	} else {
		refresh_dest(d, real);
	}
	shmw_life_tick(&d->life, real);
	if (d->pub.hooks)
		shmw_hooks_reap(d->pub.hooks); /* enforces their timeouts */
	if (d->opts.verify_interval &&
	    mono - d->last_verify >= (uint64_t)d->opts.verify_interval * SHMW_NS_PER_SEC) {
		d->last_verify = mono;
		verify_tick(d);
	}
	if (d->opts.metrics_file &&
	    mono - d->last_metrics >= (uint64_t)d->opts.metrics_interval * SHMW_NS_PER_SEC) {
		char *text = shmw_daemon_metrics(d);
		int ret = text ? shmw_metrics_write_file(d->opts.metrics_file, text) : -ENOMEM;

		d->last_metrics = mono;
		shmw_metrics_file_result(d->opts.metrics_file, ret);
		free(text);
	}
	if (shmw_bpf_stats(&d->bpf, now))
		return;
	lost = now[SHMW_STAT_LOST] > d->bpf_stats[SHMW_STAT_LOST];
	if (now[SHMW_STAT_SHARERS_LATE] > d->bpf_stats[SHMW_STAT_SHARERS_LATE]) {
		/* Sharers of a dying mm BPF could not end in time: their unshare events were
		 * never sent. Rare (many CLONE_VM siblings in exec at once): say so, resync. */
		log_warn(
		    "%llu sharers of ended address spaces not told: resyncing from the BPF maps",
		    (unsigned long long)(now[SHMW_STAT_SHARERS_LATE] -
					 d->bpf_stats[SHMW_STAT_SHARERS_LATE]));
		lost = true;
	}
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
		resync(d, true, map_full ? "map full" : "requested", NULL);
	} else if (d->nresync_pids) {
		resync(d, false, "incomplete address spaces", NULL);
	} else if (lost) {
		resync(d, false, "lost events", NULL);
	}
}

void shmw_daemon_tick(struct shmw_daemon *d)
{
	tick(d);
	/* Lifecycle alerts and resync lines, and a bound on how long any line waits. */
	shmw_eventlog_flush(d->pub.log);
}

char *shmw_daemon_metrics(struct shmw_daemon *d)
{
	struct shmw_metrics m = {0};
	uint64_t st[SHMW_STAT_MAX] = {0}, now = shmw_now_real();
	struct shmw_life_totals lt;

	shmw_daemon_drain(d);
	shmw_bpf_stats(&d->bpf, st);
	shmw_life_totals(&d->life, &lt);
	m.segments[SHMW_MS_ACTIVE] = lt.segments[0];
	m.segments[SHMW_MS_DEST] = lt.segments[1];
	m.segment_bytes[SHMW_MS_ACTIVE] = lt.bytes[0];
	m.segment_bytes[SHMW_MS_DEST] = lt.bytes[1];
	m.lingering = lt.lingering;
	if (lt.lingering && now > lt.lingering_since)
		m.lingering_oldest_s = (double)(now - lt.lingering_since) / SHMW_NS_PER_SEC;
	m.orphans = lt.orphans;
	m.attachments = d->state.nholdings;
	m.holder_processes = shmw_state_nholders(&d->state);
	shmw_bpf_map_entries(&d->bpf, m.map_entries);
	m.map_max_entries[SHMW_MM_MMS] = d->opts.max_mms;
	m.map_max_entries[SHMW_MM_HOLDS] = d->opts.max_holdings;
	m.map_max_entries[SHMW_MM_SEGS] = d->opts.max_segs;
	m.map_max_entries[SHMW_MM_SHARERS] = d->opts.max_sharers;
	m.clients = d->pub.server ? shmw_server_nclients(d->pub.server) : 0;
	{
		struct shmw_server_stats ss;

		shmw_server_stats(d->pub.server, &ss);
		m.clients_dropped[SHMW_MD_REFUSED] = ss.refused;
		m.clients_dropped[SHMW_MD_TIMEOUT] = ss.timed_out;
		m.clients_dropped[SHMW_MD_BEHIND] = ss.behind;
		m.client_unsent_bytes[SHMW_MC_ADMIN] = ss.unsent_admin;
		m.client_unsent_bytes[SHMW_MC_USER] = ss.unsent_users;
	}
	memcpy(m.events, d->pub.counts, sizeof(m.events));
	m.events_lost = st[SHMW_STAT_LOST];
	m.resyncs = d->resyncs;
	m.rescans = d->rescans;
	m.map_full = st[SHMW_STAT_MAP_FULL];
	m.mm_incomplete = st[SHMW_STAT_OVERFLOW] + st[SHMW_STAT_BUSY];
	m.namespaces = 1 + shmw_ns_count();
	m.alerts[SHMW_MA_LINGER] = d->pub.counts[SHMW_ME_LINGER];
	m.alerts[SHMW_MA_LINGER_END] = d->pub.counts[SHMW_ME_LINGER_END];
	m.alerts[SHMW_MA_ORPHAN] = d->pub.counts[SHMW_ME_ORPHAN];
	if (d->pub.hooks)
		shmw_hooks_stats(d->pub.hooks, &m.hooks);
	m.log_errors = shmw_eventlog_errors(d->pub.log);
	m.log_cuts = shmw_eventlog_cuts(d->pub.log);
	m.start_time_s = (double)d->started_real / SHMW_NS_PER_SEC;
	m.version = SHMW_VERSION;
	m.mode = d->bpf.mode;
	return shmw_metrics_render(&m);
}

/* VMAs of a segment the state accounts for: the kernel's nattch when exact. */
static int64_t traced_nattch(const struct shmw_state *st, uint32_t ns, int32_t shmid)
{
	const struct shmw_seg *seg = shmw_state_seg(st, ns, (uint32_t)shmid);
	int64_t n = 0;

	for (uint32_t i = 0; seg && i < seg->nmms; i++) {
		const struct shmw_mm_seg *slot = shmw_mm_seg_of(seg->mms[i], ns, (uint32_t)shmid);

		n += slot ? slot->nvma : 0;
	}
	return n;
}

/* Segments whose nattch differs from what the state accounts for; adds them to diffs. */
static size_t nattch_mismatches(struct shmw_daemon *d, json_object *diffs)
{
	uint32_t *nss;
	size_t nns = shmw_ns_list(&nss), bad = 0;

	for (size_t i = 0; i < nns; i++) {
		struct shmw_kseg *v;
		size_t n;

		if (shmw_segtable_read(nss[i], &v, &n))
			continue;
		for (size_t j = 0; j < n; j++) {
			int64_t traced = traced_nattch(&d->state, nss[i], v[j].shmid);
			json_object *o;

			if (traced == v[j].nattch)
				continue;
			bad++;
			if (!diffs)
				continue;
			o = json_object_new_object();
			/* What the kernel-side per-segment map says, for diagnosis. */
			json_object_object_add(o, "bpf",
					       json_object_new_int64(shmw_bpf_seg_nvma(
						   &d->bpf, nss[i], (uint32_t)v[j].shmid)));
			json_object_object_add(o, "event", json_object_new_string("nattch"));
			json_object_object_add(o, "ns", json_object_new_uint64(nss[i]));
			json_object_object_add(o, "shmid", json_object_new_int64(v[j].shmid));
			json_object_object_add(o, "kernel", json_object_new_int64(v[j].nattch));
			json_object_object_add(o, "traced", json_object_new_int64(traced));
			json_object_array_add(diffs, o);
		}
		free(v);
	}
	free(nss);
	return bad;
}

json_object *shmw_daemon_verify(struct shmw_daemon *d)
{
	json_object *o = json_object_new_object(), *diffs = json_object_new_array();
	size_t n;

	/* A fresh walk of every task: what it finds different is repaired and published. */
	resync(d, true, "verify", diffs);
	/* nattch moves with every attach: a mismatch must persist to count. */
	for (int tries = 0; tries < 10 && nattch_mismatches(d, NULL); tries++) {
		struct timespec pause = {0, 20 * SHMW_NS_PER_MS};

		nanosleep(&pause, NULL);
		shmw_daemon_drain(d);
	}
	nattch_mismatches(d, diffs);
	shmw_eventlog_flush(d->pub.log); /* the repairs are in the log before the answer */
	n = json_object_array_length(diffs);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "exact", json_object_new_boolean(n == 0));
	json_object_object_add(o, "differences", diffs);
	return o;
}

static void verify_tick(struct shmw_daemon *d)
{
	json_object *o = shmw_daemon_verify(d);
	json_object *diffs = json_object_object_get(o, "differences");

	if (json_object_array_length(diffs))
		log_warn("periodic verify: %zu differences with the kernel (repaired where the "
			 "walk could)",
			 json_object_array_length(diffs));
	json_object_put(o);
}
