// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Segment lifecycle and the linger/orphan alerts (see lifecycle.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "lifecycle.h"

struct seg_id {
	uint32_t ns;
	int32_t shmid;
};

_Static_assert(offsetof(struct shmw_lseg, shmid) == offsetof(struct shmw_lseg, ns) + 4,
	       "ns and shmid form the hash key together");

void shmw_life_init(struct shmw_life *l, const struct shmw_life_opts *o, shmw_life_cb cb, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->opts = *o;
	l->cb = cb;
	l->ctx = ctx;
}

struct shmw_lseg *shmw_life_find(const struct shmw_life *l, uint32_t ns, int32_t shmid)
{
	struct seg_id id = {ns, shmid};
	struct shmw_lseg *s = NULL;

	HASH_FIND(hh, l->segs, &id, sizeof(id), s);
	return s;
}

static void emit(struct shmw_life *l, enum shmw_life_event ev, const struct shmw_lseg *s,
		 const struct shmw_life_info *info)
{
	if (l->cb)
		l->cb(l->ctx, ev, s, info);
}

/* The kernel's view of a live segment, into ours. Marking seen first here (not at rmid)
 * means it was marked before we started or while we missed it: its time is unknown, so the
 * linger clock starts now. */
static void absorb(struct shmw_lseg *s, const struct shmw_kseg *k, uint64_t now)
{
	if (k->key)
		s->key = k->key;
	s->size = k->size;
	s->perms = k->perms & 0777;
	s->locked = (k->perms & SHMW_SHM_LOCKED) != 0;
	s->uid = k->uid;
	s->cpid = k->cpid;
	s->lpid = k->lpid;
	s->never_attached = k->atime == 0 && k->dtime == 0 && k->nattch == 0;
	s->nattch = k->nattch;
	s->absorbed = now;
	if ((k->perms & SHMW_SHM_DEST) && !s->dest) {
		s->dest = true;
		s->dest_since = now;
	}
	if (k->nattch > 0)
		s->unheld_since = 0;
	else if (!s->unheld_since) {
		/* The kernel knows when it was last detached (or created, if never attached). */
		int64_t t = k->dtime > k->ctime ? k->dtime : k->ctime;

		s->unheld_since = t > 0 ? (uint64_t)t * SHMW_NS_PER_SEC : now;
		if (s->unheld_since > now)
			s->unheld_since = now;
	}
	if (k->nattch > 0)
		s->orphan_reported = false;
}

/* A segment new to us. Its generation is when it was made, in ns: the event's time when BPF saw
 * it made (by != NULL), else the kernel's shm_ctime, which has whole seconds only. */
static struct shmw_lseg *create(struct shmw_life *l, uint32_t ns, const struct shmw_kseg *k,
				const struct shmw_actor *by, const char *cause, uint64_t now)
{
	struct shmw_lseg *s = calloc(1, sizeof(*s));
	struct shmw_life_info info = {.cause_name = cause, .by = by, .now = now};

	if (!s)
		abort(); /* wrong answers are worse than no daemon */
	s->ns = ns;
	s->shmid = k->shmid;
	s->generation = by ? (int64_t)now : k->ctime * (int64_t)SHMW_NS_PER_SEC;
	s->created = by ? now : (uint64_t)(k->ctime > 0 ? k->ctime : 0) * SHMW_NS_PER_SEC;
	if (by) {
		s->creator_known = true;
		s->creator = *by;
		/* Seen created: unheld since now, more precisely than the kernel's seconds. */
		if (k->nattch == 0)
			s->unheld_since = now;
	} else {
		s->creator.pid = (uint32_t)k->cpid;
		s->creator.uid = k->cuid;
		/* Found in the kernel's table: its creator is named if it still runs. */
		if (l->comm_of && k->cpid > 0 &&
		    l->comm_of(l->ctx, (uint32_t)k->cpid, s->creator.comm))
			s->creator_known = true;
	}
	absorb(s, k, now);
	HASH_ADD(hh, l->segs, ns, sizeof(struct seg_id), s);
	l->created++;
	emit(l, SHMW_LIFE_CREATE, s, &info);
	return s;
}

static void destroy_as(struct shmw_life *l, struct shmw_lseg *s, struct shmw_life_info *info)
{
	info->reason = "destroyed";
	if (s->lingering)
		emit(l, SHMW_LIFE_LINGER_END, s, info);
	emit(l, SHMW_LIFE_DESTROY, s, info);
	HASH_DELETE(hh, l->segs, s);
	l->destroyed++;
	free(s);
}

static void destroy(struct shmw_life *l, struct shmw_lseg *s, uint32_t cause,
		    const char *cause_name, const struct shmw_actor *by, uint64_t now)
{
	struct shmw_life_info info = {
	    .cause = cause, .cause_name = cause_name, .by = by, .now = now};

	destroy_as(l, s, &info);
}

/* A kernel view of (ns, shmid): another segment under an old id (whose end we missed)?
 * shm_ctime alone does not tell: IPC_SET (a chmod or chown) updates it too. A segment keeps
 * its creator pid and size for life, and its key until marked; a new ctime with any of those
 * different is another segment. */
/* Whether shm_ctime (seconds of the kernel's coarse clock) is s's making: its generation is when
 * we saw it made (ns, a moment after) or the ctime itself. */
static bool made_then(const struct shmw_lseg *s, int64_t ctime)
{
	int64_t sec = s->generation / (int64_t)SHMW_NS_PER_SEC;

	return ctime == sec || ctime + 1 == sec;
}

static bool reused(const struct shmw_lseg *s, const struct shmw_kseg *k)
{
	if (made_then(s, k->ctime))
		return false;
	return k->cpid != s->cpid || k->size != s->size || (k->key && k->key != s->key);
}

static struct shmw_lseg *follow(struct shmw_life *l, uint32_t ns, int32_t shmid,
				const struct shmw_kseg *k, uint64_t now)
{
	struct shmw_lseg *s = shmw_life_find(l, ns, shmid);

	if (s && k && reused(s, k)) {
		destroy(l, s, 0, "vanished", NULL, now);
		s = NULL;
	}
	return s;
}

/* Made within the last 2 s (ctime has whole seconds): a reconcile does not call it found. */
static bool fresh(const struct shmw_kseg *k, uint64_t now)
{
	return (uint64_t)k->ctime + 2 > now / 1000000000ull;
}

void shmw_life_reconcile(struct shmw_life *l, uint32_t ns, const struct shmw_kseg *k, size_t n,
			 bool startup, uint64_t now)
{
	struct shmw_lseg *s, *tmp;
	uint64_t pass = ++l->pass;

	for (size_t i = 0; i < n; i++) {
		s = follow(l, ns, k[i].shmid, &k[i], now);
		if (s)
			absorb(s, &k[i], now);
		else if (!startup && fresh(&k[i], now))
			continue; /* its shmget's event is likely on the way: found next pass if not
				   */
		else
			s = create(l, ns, &k[i], NULL, startup ? "seed" : "found", now);
		s->seen = pass;
		s->missing_since = 0;
	}
	HASH_ITER(hh, l->segs, s, tmp)
	{
		if (s->ns != ns || s->seen == pass)
			continue;
		/* shmctl(IPC_RMID) removes a segment nobody holds before its sys_exit reports it:
		 * a reconcile in between would call it vanished. Wait for that event a little
		 * (shmw_life_tick ends the wait). */
		if (startup)
			destroy(l, s, 0, "vanished", NULL, now);
		else if (!s->missing_since)
			s->missing_since = now;
	}
}

void shmw_life_created(struct shmw_life *l, uint32_t ns, const struct shmw_kseg *k,
		       const struct shmw_actor *by, uint64_t now)
{
	struct shmw_lseg *s = shmw_life_find(l, ns, k->shmid);

	/* BPF tells a segment it saw made: one we still had under this shmid is gone (BPF says
	 * so first when it saw that; otherwise it went where nothing could see it). */
	if (s)
		destroy(l, s, 0, "vanished", NULL, now);
	create(l, ns, k, by, "shmget", now);
}

void shmw_life_rmid(struct shmw_life *l, uint32_t ns, const struct shmw_kseg *k,
		    const struct shmw_actor *by, uint32_t holders, uint64_t now)
{
	struct shmw_lseg *s = shmw_life_find(l, ns, k->shmid);
	struct shmw_life_info info = {.by = by, .now = now};

	if (!s)
		s = create(l, ns, k, NULL, "found", now);
	/* Another IPC_RMID of a marked segment (the kernel takes it) is logged, but the linger
	 * clock and the remover the alerts name stay the first one's. */
	if (!s->dest || !s->rmid_known) {
		s->dest_since = now;
		s->remover = *by;
		s->holders_at_rmid = holders;
	}
	s->dest = true;
	s->rmid_known = true;
	s->missing_since = 0;
	emit(l, SHMW_LIFE_RMID, s, &info);
}

void shmw_life_destroyed(struct shmw_life *l, uint32_t ns, int32_t shmid, uint32_t cause,
			 const char *cause_name, const struct shmw_actor *by, uint64_t now)
{
	struct shmw_lseg *s = shmw_life_find(l, ns, shmid);

	if (s)
		destroy(l, s, cause, cause_name, by, now);
}

void shmw_life_released(struct shmw_life *l, uint32_t ns, int32_t shmid, uint64_t now)
{
	struct shmw_lseg *s = shmw_life_find(l, ns, shmid);

	if (!s)
		return;
	s->nattch = 0;
	if (!s->unheld_since)
		s->unheld_since = now; /* the kernel's dtime has whole seconds only */
}

void shmw_life_restore(struct shmw_life *l, const struct shmw_lseg *from)
{
	struct shmw_lseg *s = shmw_life_find(l, from->ns, from->shmid);

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			abort();
		*s = *from;
		HASH_ADD(hh, l->segs, ns, sizeof(struct seg_id), s);
		return;
	}
	{
		UT_hash_handle hh = s->hh;

		*s = *from;
		s->hh = hh;
	}
}

void shmw_life_forget(struct shmw_life *l, uint32_t ns, int32_t shmid)
{
	struct shmw_lseg *s = shmw_life_find(l, ns, shmid);

	if (s) {
		HASH_DELETE(hh, l->segs, s);
		free(s);
	}
}

void shmw_life_held(struct shmw_life *l, uint32_t ns, int32_t shmid, int64_t nattch)
{
	struct shmw_lseg *s = shmw_life_find(l, ns, shmid);

	if (!s || nattch <= 0)
		return;
	s->nattch = nattch;
	s->unheld_since = 0;
	s->orphan_reported = false;
}

void shmw_life_update(struct shmw_life *l, uint32_t ns, int32_t shmid, const struct shmw_kseg *k,
		      uint64_t now)
{
	struct shmw_lseg *s = follow(l, ns, shmid, k, now);

	if (!s)
		return;
	if (k) {
		absorb(s, k, now);
		s->missing_since = 0;
	} else if (!s->missing_since) {
		/* Its destroy event may be in the ring still (BPF reports an exit's before the
		 * kernel frees it): the same wait as a reconcile's (shmw_life_tick). */
		s->missing_since = now;
	}
}

/* How long a segment the kernel no longer lists waits for its IPC_RMID event. */
#define VANISH_GRACE_NS (500ull * 1000000ull)

void shmw_life_tick(struct shmw_life *l, uint64_t now)
{
	struct shmw_lseg *s, *tmp;

	HASH_ITER(hh, l->segs, s, tmp)
	{
		struct shmw_life_info info = {.now = now};

		if (s->missing_since) {
			if (!l->behind && now >= s->missing_since &&
			    now - s->missing_since >= VANISH_GRACE_NS) {
				info.cause_name = "vanished";
				info.unseen = true;
				destroy_as(l, s, &info);
			}
			continue;
		}
		if (s->dest && s->nattch > 0 && l->opts.linger_after) {
			/* now may have been read before an rmid we applied since: not yet (the same
			 * below). */
			if (!s->lingering && now >= s->dest_since &&
			    now - s->dest_since >= l->opts.linger_after) {
				s->lingering = true;
				s->repeats = 0;
				s->next_alert = now;
			}
			if (s->lingering && now >= s->next_alert) {
				s->repeats++; /* this alert is number repeats - 1 */
				emit(l, SHMW_LIFE_LINGER, s, &info);
				l->lingers++;
				s->next_alert =
				    l->opts.realert ? now + l->opts.realert : UINT64_MAX;
			}
		} else if (s->lingering) {
			/* Nobody holds it any more, yet the kernel still lists it. */
			info.reason = "released";
			emit(l, SHMW_LIFE_LINGER_END, s, &info);
			s->lingering = false;
		}
		/* Not before a reconcile has read the kernel's table since it was released: the
		 * alert names the last user (lpid), which only that table has. */
		if (!s->dest && s->nattch == 0 && s->unheld_since && l->opts.orphan_after &&
		    !s->orphan_reported && now >= s->unheld_since &&
		    s->absorbed >= s->unheld_since &&
		    now - s->unheld_since >= l->opts.orphan_after) {
			s->orphan_reported = true;
			emit(l, SHMW_LIFE_ORPHAN, s, &info);
			l->orphans++;
		}
	}
}

static size_t collect(const struct shmw_life *l, bool lingering, const struct shmw_lseg **out,
		      size_t max)
{
	const struct shmw_lseg *s, *tmp;
	size_t n = 0;

	HASH_ITER(hh, l->segs, s, tmp)
	{
		bool want = lingering ? s->lingering : (s->orphan_reported && !s->dest);

		if (!want)
			continue;
		if (n < max)
			out[n] = s;
		n++;
	}
	return n;
}

size_t shmw_life_lingering(const struct shmw_life *l, const struct shmw_lseg **out, size_t max)
{
	return collect(l, true, out, max);
}

size_t shmw_life_orphans(const struct shmw_life *l, const struct shmw_lseg **out, size_t max)
{
	return collect(l, false, out, max);
}

void shmw_life_clear(struct shmw_life *l)
{
	struct shmw_lseg *s, *tmp;

	HASH_ITER(hh, l->segs, s, tmp)
	{
		HASH_DELETE(hh, l->segs, s);
		free(s);
	}
}

size_t shmw_life_marked(const struct shmw_life *l, struct shmw_lseg_id *out, size_t max)
{
	const struct shmw_lseg *s, *tmp;
	size_t n = 0;

	HASH_ITER(hh, l->segs, s, tmp)
	{
		if (!s->dest)
			continue;
		if (n < max)
			out[n] = (struct shmw_lseg_id){s->ns, s->shmid};
		n++;
	}
	return n;
}

size_t shmw_life_namespaces(const struct shmw_life *l, uint32_t **out)
{
	const struct shmw_lseg *s, *tmp;
	size_t n = 0;

	*out = malloc((HASH_COUNT(l->segs) + 1) * sizeof(**out));
	if (!*out)
		return 0;
	/* Namespaces are few: a linear look for each segment. */
	HASH_ITER(hh, l->segs, s, tmp)
	{
		size_t i;

		for (i = 0; i < n && (*out)[i] != s->ns; i++)
			;
		if (i == n)
			(*out)[n++] = s->ns;
	}
	return n;
}

void shmw_life_totals(const struct shmw_life *l, struct shmw_life_totals *t)
{
	const struct shmw_lseg *s, *tmp;

	memset(t, 0, sizeof(*t));
	HASH_ITER(hh, l->segs, s, tmp)
	{
		t->segments[s->dest]++;
		t->bytes[s->dest] += s->size;
		if (s->lingering) {
			t->lingering++;
			if (t->lingering == 1 || s->dest_since < t->lingering_since)
				t->lingering_since = s->dest_since;
		}
		if (s->orphan_reported && !s->dest)
			t->orphans++;
	}
}
