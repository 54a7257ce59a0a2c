// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's mirror of the BPF maps (see state.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "state.h"

struct seg_id {
	uint32_t ns;
	uint32_t shmid;
};

_Static_assert(offsetof(struct shmw_seg, shmid) == offsetof(struct shmw_seg, ns) + 4,
	       "ns and shmid form the hash key together");

void shmw_state_init(struct shmw_state *st)
{
	memset(st, 0, sizeof(*st));
}

static struct shmw_seg *seg_find(const struct shmw_state *st, uint32_t ns, uint32_t shmid)
{
	struct shmw_seg *seg = NULL;
	struct seg_id id = {ns, shmid};

	HASH_FIND(hh, st->segs, &id, sizeof(id), seg);
	return seg;
}

static struct shmw_seg *seg_get(struct shmw_state *st, const struct shmw_mm_seg *slot)
{
	struct shmw_seg *seg = seg_find(st, slot->ns, slot->shmid);

	if (seg) {
		/* First seen in a snapshot that could not read its size (see seed.c). */
		if (!seg->size && slot->size) {
			seg->size = slot->size;
			seg->key = slot->key;
		}
		return seg;
	}
	seg = calloc(1, sizeof(*seg));
	if (!seg)
		abort(); /* the daemon cannot keep a correct answer without memory */
	seg->ns = slot->ns;
	seg->shmid = slot->shmid;
	seg->key = slot->key;
	seg->size = slot->size;
	HASH_ADD(hh, st->segs, ns, sizeof(struct seg_id), seg);
	return seg;
}

static void seg_add_mm(struct shmw_seg *seg, struct shmw_mmst *m)
{
	if (seg->nmms == seg->cap) {
		uint32_t cap = seg->cap ? seg->cap * 2 : 4;
		struct shmw_mmst **n = realloc(seg->mms, cap * sizeof(*n));

		if (!n)
			abort();
		seg->mms = n;
		seg->cap = cap;
	}
	seg->mms[seg->nmms++] = m;
}

static void seg_del_mm(struct shmw_state *st, struct shmw_seg *seg, struct shmw_mmst *m)
{
	uint32_t i;

	for (i = 0; i < seg->nmms; i++) {
		if (seg->mms[i] == m) {
			seg->mms[i] = seg->mms[--seg->nmms];
			break;
		}
	}
	if (!seg->nmms) {
		HASH_DELETE(hh, st->segs, seg);
		free(seg->mms);
		free(seg);
	}
}

static void pid_index(struct shmw_state *st, struct shmw_mmst *m)
{
	struct shmw_mmst *old = NULL;

	HASH_FIND(hh_pid, st->by_pid, &m->tgid, sizeof(m->tgid), old);
	if (old && old->version > m->version) {
		/* A snapshot may list the mm a pid left (kept alive by a CLONE_VM sibling) after
		 * the one it exec'd into: the later change wins. */
		m->pid_indexed = false;
		return;
	}
	if (old) {
		/* The pid moved to a new mm (exec): the old one waits for its exit_mmap. */
		HASH_DELETE(hh_pid, st->by_pid, old);
		old->pid_indexed = false;
	}
	HASH_ADD(hh_pid, st->by_pid, tgid, sizeof(m->tgid), m);
	m->pid_indexed = true;
}

static void pid_unindex(struct shmw_state *st, struct shmw_mmst *m)
{
	if (m->pid_indexed) {
		HASH_DELETE(hh_pid, st->by_pid, m);
		m->pid_indexed = false;
	}
}

static struct shmw_mmst *mm_find(const struct shmw_state *st, uint64_t mm)
{
	struct shmw_mmst *m = NULL;

	HASH_FIND(hh, st->mms, &mm, sizeof(mm), m);
	return m;
}

static struct shmw_mmst *mm_new(struct shmw_state *st, uint64_t mm, uint64_t version, uint32_t tgid,
				uint32_t uid, const char *comm)
{
	struct shmw_mmst *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->mm = mm;
	m->segs = &m->one;
	m->capsegs = 1;
	m->version = version;
	m->tgid = tgid;
	m->uid = uid;
	memcpy(m->comm, comm, SHMW_COMM_LEN);
	m->comm[SHMW_COMM_LEN - 1] = 0;
	HASH_ADD(hh, st->mms, mm, sizeof(m->mm), m);
	pid_index(st, m);
	return m;
}

static void mm_set_owner(struct shmw_state *st, struct shmw_mmst *m, uint32_t tgid, uint32_t uid,
			 const char *comm)
{
	if (m->tgid != tgid || !m->pid_indexed) {
		pid_unindex(st, m);
		if (m->tgid != tgid)
			shmw_procx_release(&m->x); /* describes the previous owner */
		m->tgid = tgid;
		pid_index(st, m);
	}
	m->uid = uid;
	memcpy(m->comm, comm, SHMW_COMM_LEN);
	m->comm[SHMW_COMM_LEN - 1] = 0;
}

static bool mm_empty(const struct shmw_mmst *m)
{
	return m->nsegs == 0;
}

static void mm_release(struct shmw_mmst *m)
{
	shmw_procx_release(&m->x);
	if (m->segs != &m->one)
		free(m->segs);
	free(m);
}

static void mm_free(struct shmw_state *st, struct shmw_mmst *m)
{
	pid_unindex(st, m);
	HASH_DELETE(hh, st->mms, m);
	mm_release(m);
}

const struct shmw_mm_seg *shmw_mm_seg_of(const struct shmw_mmst *m, uint32_t ns, uint32_t shmid)
{
	for (uint32_t i = 0; i < m->nsegs; i++)
		if (m->segs[i].ns == ns && m->segs[i].shmid == shmid)
			return &m->segs[i];
	return NULL;
}

/* Room for one more holding. */
static void mm_grow(struct shmw_mmst *m)
{
	uint32_t cap = m->capsegs * 2;
	struct shmw_mm_seg *n;

	if (m->nsegs < m->capsegs)
		return;
	n = malloc(cap * sizeof(*n));
	if (!n)
		abort();
	memcpy(n, m->segs, m->nsegs * sizeof(*n));
	if (m->segs != &m->one)
		free(m->segs);
	m->segs = n;
	m->capsegs = cap;
}

/* Sets what m holds of one segment (slot->nvma 0 removes it); returns the old VMA count. */
static int64_t mm_set_slot(struct shmw_state *st, struct shmw_mmst *m,
			   const struct shmw_mm_seg *slot)
{
	struct shmw_mm_seg *cur = (struct shmw_mm_seg *)shmw_mm_seg_of(m, slot->ns, slot->shmid);
	uint32_t old = cur ? cur->nvma : 0;

	if (!cur) {
		if (!slot->nvma)
			return 0;
		mm_grow(m);
		cur = &m->segs[m->nsegs++];
		seg_add_mm(seg_get(st, slot), m);
		st->nholdings++;
	}
	*cur = *slot;
	if (!slot->nvma) {
		struct shmw_seg *seg = seg_find(st, slot->ns, slot->shmid);
		size_t at = (size_t)(cur - m->segs);

		if (seg)
			seg_del_mm(st, seg, m);
		st->nholdings--;
		/* Kept in the order they came, as ps lists them. */
		memmove(cur, cur + 1, (m->nsegs - at - 1) * sizeof(*cur));
		m->nsegs--;
	}
	return old;
}

static enum shmw_change classify(uint32_t old, uint32_t now)
{
	if (!old && now)
		return SHMW_CHG_ATTACH;
	if (old && !now)
		return SHMW_CHG_DETACH;
	return old != now ? SHMW_CHG_VMAS : SHMW_CHG_NONE;
}

static struct shmw_sharerst *sharer_find(const struct shmw_state *st, uint32_t tgid)
{
	struct shmw_sharerst *sh = NULL;

	HASH_FIND(hh, st->sharers, &tgid, sizeof(tgid), sh);
	return sh;
}

static void sharer_del(struct shmw_state *st, struct shmw_sharerst *sh)
{
	shmw_procx_release(&sh->x);
	HASH_DELETE(hh, st->sharers, sh);
	free(sh);
}

static struct shmw_sharerst *sharer_set(struct shmw_state *st, uint32_t tgid, uint64_t mm,
					uint64_t since, uint32_t uid, const char *comm)
{
	struct shmw_sharerst *sh = sharer_find(st, tgid);

	if (!sh) {
		sh = calloc(1, sizeof(*sh));
		if (!sh)
			abort();
		sh->tgid = tgid;
		HASH_ADD(hh, st->sharers, tgid, sizeof(sh->tgid), sh);
	}
	sh->mm = mm;
	sh->since = since;
	sh->uid = uid;
	memcpy(sh->comm, comm, SHMW_COMM_LEN);
	sh->comm[SHMW_COMM_LEN - 1] = 0;
	return sh;
}

enum shmw_change shmw_state_apply(struct shmw_state *st, const struct shmw_event *ev)
{
	struct shmw_mmst *m;
	struct shmw_sharerst *sh;

	if (ev->version <= st->floor)
		return SHMW_CHG_NONE;
	switch (ev->type) {
	case SHMW_EV_ATTACH:
	case SHMW_EV_DETACH:
	case SHMW_EV_VMAS: {
		struct shmw_mm_seg slot = {
		    .size = ev->size,
		    .since = ev->since,
		    .ns = ev->ns,
		    .shmid = ev->shmid,
		    .key = ev->key,
		    .nvma = ev->nvma,
		    .how = ev->how,
		};
		int64_t old;

		m = mm_find(st, ev->mm);
		if (!m) {
			if (!ev->nvma)
				return SHMW_CHG_NONE;
			m = mm_new(st, ev->mm, ev->version, ev->pid, ev->uid, ev->comm);
		} else if (ev->version <= m->version) {
			return SHMW_CHG_NONE;
		} else if (ev->pid != m->tgid) {
			m->version = ev->version;
			mm_set_owner(st, m, ev->pid, ev->uid, ev->comm);
		}
		/* The event names the process that made ev->mm: a process has one mm, so an entry
		 * naming it as a sharer of another is stale (it exec'd, and that event was missed).
		 */
		sh = sharer_find(st, ev->pid);
		if (sh && sh->mm != ev->mm)
			sharer_del(st, sh);
		m->version = ev->version;
		old = mm_set_slot(st, m, &slot);
		if (mm_empty(m))
			mm_free(st, m);
		return classify((uint32_t)old, ev->nvma);
	}
	case SHMW_EV_OWNER:
		/* The heir is no longer a sharer, whether or not we keep the mm (one that holds
		 * nothing has no entry here): kept, it stayed a sharer of an mm that was to die,
		 * and of whatever process got that address next. */
		sh = sharer_find(st, ev->pid);
		if (sh && sh->mm == ev->mm)
			sharer_del(st, sh);
		m = mm_find(st, ev->mm);
		if (!m || ev->version <= m->version)
			return SHMW_CHG_NONE;
		m->version = ev->version;
		mm_set_owner(st, m, ev->pid, ev->uid, ev->comm);
		return SHMW_CHG_OWNER;
	case SHMW_EV_SHARE:
		sharer_set(st, ev->actor, ev->mm, ev->ts, ev->uid, ev->comm);
		return SHMW_CHG_SHARE;
	case SHMW_EV_UNSHARE:
		sh = sharer_find(st, ev->actor);
		if (!sh || sh->mm != ev->mm)
			return SHMW_CHG_NONE;
		sharer_del(st, sh);
		return SHMW_CHG_UNSHARE;
	case SHMW_EV_IDENT:
		/* A process we name changed uid or name: answers show it as it is now. */
		if (ev->flags & SHMW_EVF_SHARER) {
			sh = sharer_find(st, ev->pid);
			if (!sh || sh->mm != ev->mm)
				return SHMW_CHG_NONE;
			sh->uid = ev->uid;
			memcpy(sh->comm, ev->comm, SHMW_COMM_LEN);
			sh->comm[SHMW_COMM_LEN - 1] = 0;
			return SHMW_CHG_IDENT;
		}
		m = mm_find(st, ev->mm);
		if (!m || m->tgid != ev->pid || ev->version <= m->version)
			return SHMW_CHG_NONE;
		m->version = ev->version;
		m->uid = ev->uid;
		memcpy(m->comm, ev->comm, SHMW_COMM_LEN);
		m->comm[SHMW_COMM_LEN - 1] = 0;
		return SHMW_CHG_IDENT;
	default:
		return SHMW_CHG_NONE;
	}
}

/* Reports every holding of m as detached and forgets m. */
static void drop_mm(struct shmw_state *st, struct shmw_mmst *m, shmw_change_cb cb, void *ctx)
{
	while (m->nsegs) {
		struct shmw_mm_seg gone = m->segs[0];

		gone.nvma = 0;
		mm_set_slot(st, m, &gone);
		if (cb)
			cb(ctx, SHMW_CHG_DETACH, m, &gone, 0);
	}
	mm_free(st, m);
}

/*
 * Makes m (the state's entry for the mm keyed `key`, created if needed) equal to the seeded
 * record r. how != 0: holdings new to the state are reported as got by `how` at `since`
 * (a walk of one mm asked for by BPF: it knows the cause), not as the walk found them.
 */
static void sync_rec(struct shmw_state *st, uint64_t key, const struct shmw_snap_mm *r,
		     uint64_t gen, uint32_t how, uint64_t since, shmw_change_cb cb, void *ctx)
{
	struct shmw_mmst *m;
	bool any = false;
	uint32_t j;

	for (j = 0; j < r->nsegs; j++)
		any |= r->segs[j].nvma != 0;
	m = mm_find(st, key);
	if (m && m->tgid != r->tgid) {
		const struct shmw_sharerst *heir = sharer_find(st, r->tgid);

		if (heir && heir->mm == m->mm) {
			/* A process that shared the mm took it over (CLONE_VM sibling). */
			m->version = r->version;
			mm_set_owner(st, m, r->tgid, r->uid, r->comm);
			if (cb)
				cb(ctx, SHMW_CHG_OWNER, m, NULL, 0);
		} else {
			/* Another process's mm at a freed one's address: the old holder went
			 * (while nobody watched), the new one came. */
			drop_mm(st, m, cb, ctx);
			m = NULL;
		}
	}
	if (!m && !any)
		return;
	if (!m)
		m = mm_new(st, key, r->version, r->tgid, r->uid, r->comm);
	m->gen = gen;
	m->version = r->version;
	m->flags = r->flags;
	/* Segments we had and the snapshot has not: first, so that detaches come before the
	 * attaches of the same sync (a holder moving from one segment to another). */
	for (j = m->nsegs; j-- > 0;) {
		struct shmw_mm_seg gone = m->segs[j];
		bool present = false;

		for (uint32_t k = 0; k < r->nsegs; k++)
			present |= r->segs[k].nvma && r->segs[k].ns == gone.ns &&
				   r->segs[k].shmid == gone.shmid;
		if (present)
			continue;
		gone.nvma = 0;
		mm_set_slot(st, m, &gone);
		if (cb)
			cb(ctx, SHMW_CHG_DETACH, m, &gone, 0);
	}
	/* Segments the snapshot has. */
	for (j = 0; j < r->nsegs; j++) {
		const struct shmw_mm_seg *s = &r->segs[j], *prev;
		struct shmw_mm_seg keep;
		int64_t old;
		enum shmw_change c;

		if (!s->nvma)
			continue;
		/* Keep when and how we first saw the holding: the walk only knows now. */
		prev = shmw_mm_seg_of(m, s->ns, s->shmid);
		keep = *s;
		if (prev) {
			keep.since = prev->since;
			keep.how = prev->how;
		} else if (how) {
			keep.since = since;
			keep.how = how;
		}
		old = mm_set_slot(st, m, &keep);
		c = classify((uint32_t)old, s->nvma);
		if (c != SHMW_CHG_NONE && cb)
			cb(ctx, c, m, how ? &keep : s, 0);
	}
	if (mm_empty(m))
		mm_free(st, m);
}

void shmw_state_sync(struct shmw_state *st, const uint64_t *mm_keys,
		     const struct shmw_snap_mm *recs, size_t nrecs, const uint32_t *sharer_tgids,
		     const struct shmw_sharer *sharers, size_t nsharers, uint64_t version,
		     uint32_t how, uint64_t since, shmw_change_cb cb, void *ctx)
{
	uint64_t gen = ++st->gen;
	struct shmw_mmst *m, *tmp;
	struct shmw_sharerst *sh, *shtmp;
	size_t i;

	for (i = 0; i < nrecs; i++) {
		if (recs[i].flags & SHMW_MM_SEEDED)
			sync_rec(st, mm_keys[i], &recs[i], gen, how, since, cb, ctx);
	}
	HASH_ITER(hh, st->mms, m, tmp)
	{
		if (m->gen != gen)
			drop_mm(st, m, cb, ctx);
	}
	for (i = 0; i < nsharers; i++) {
		const struct shmw_sharer *s = &sharers[i];

		sh = sharer_find(st, sharer_tgids[i]);
		if (!sh || sh->mm != s->mm) {
			sh = sharer_set(st, sharer_tgids[i], s->mm, s->since, s->uid, s->comm);
			if (cb)
				cb(ctx, SHMW_CHG_SHARE, mm_find(st, s->mm), NULL, sh->tgid);
		}
		sh->gen = gen;
	}
	HASH_ITER(hh, st->sharers, sh, shtmp)
	{
		if (sh->gen == gen)
			continue;
		if (cb)
			cb(ctx, SHMW_CHG_UNSHARE, mm_find(st, sh->mm), NULL, sh->tgid);
		sharer_del(st, sh);
	}
	st->floor = version;
}

void shmw_state_sync_mm(struct shmw_state *st, uint64_t mm, const struct shmw_snap_mm *rec,
			uint32_t how, uint64_t since, shmw_change_cb cb, void *ctx)
{
	struct shmw_mmst *m;

	if (rec) {
		if (rec->flags & SHMW_MM_SEEDED)
			sync_rec(st, mm, rec, st->gen, how, since, cb, ctx);
		return;
	}
	m = mm_find(st, mm);
	if (m)
		drop_mm(st, m, cb, ctx);
}

struct shmw_seg *shmw_state_seg(const struct shmw_state *st, uint32_t ns, uint32_t shmid)
{
	return seg_find(st, ns, shmid);
}

size_t shmw_state_namespaces_of(const struct shmw_state *st, uint32_t shmid, uint32_t *ns,
				size_t max)
{
	const struct shmw_seg *seg, *tmp;
	size_t n = 0;

	/* O(segments held): namespaces are few and this only runs when no --ns was given. */
	HASH_ITER(hh, st->segs, seg, tmp)
	{
		if (seg->shmid != shmid)
			continue;
		if (n < max)
			ns[n] = seg->ns;
		n++;
	}
	return n;
}

struct shmw_mmst *shmw_state_mm_of_pid(const struct shmw_state *st, uint32_t pid,
				       const struct shmw_sharerst **sharer)
{
	struct shmw_mmst *m = NULL;
	const struct shmw_sharerst *sh;

	*sharer = NULL;
	HASH_FIND(hh_pid, st->by_pid, &pid, sizeof(pid), m);
	if (m)
		return m;
	sh = sharer_find(st, pid);
	if (!sh)
		return NULL;
	*sharer = sh;
	return mm_find(st, sh->mm);
}

size_t shmw_state_sharers_of(const struct shmw_state *st, uint64_t mm,
			     void (*cb)(void *ctx, const struct shmw_sharerst *sh), void *ctx)
{
	const struct shmw_sharerst *sh, *tmp;
	size_t n = 0;

	/* Sharers are few (vfork children between fork and exec, CLONE_VM siblings). */
	HASH_ITER(hh, st->sharers, sh, tmp)
	{
		if (sh->mm != mm)
			continue;
		n++;
		if (cb)
			cb(ctx, sh);
	}
	return n;
}

const struct shmw_mmst *shmw_state_mm(const struct shmw_state *st, uint64_t mm)
{
	return mm_find(st, mm);
}

const struct shmw_sharerst *shmw_state_sharer(const struct shmw_state *st, uint32_t tgid)
{
	return sharer_find(st, tgid);
}

bool shmw_state_ns_held(const struct shmw_state *st, uint32_t ns)
{
	const struct shmw_seg *seg, *tmp;

	HASH_ITER(hh, st->segs, seg, tmp)
	{
		if (seg->ns == ns)
			return true;
	}
	return false;
}

size_t shmw_state_nholders(const struct shmw_state *st)
{
	const struct shmw_sharerst *sh, *tmp;
	size_t n = HASH_CNT(hh, st->mms);

	HASH_ITER(hh, st->sharers, sh, tmp)
	{
		n += mm_find(st, sh->mm) != NULL;
	}
	return n;
}

size_t shmw_state_pids_of_comm(const struct shmw_state *st, const char *comm, uint32_t *pids,
			       size_t max)
{
	const struct shmw_sharerst *sh, *stmp;
	const struct shmw_mmst *m, *mtmp;
	size_t n = 0;

	HASH_ITER(hh, st->mms, m, mtmp)
	{
		if (m->pid_indexed && !strncmp(m->comm, comm, SHMW_COMM_LEN)) {
			if (n < max)
				pids[n] = m->tgid;
			n++;
		}
	}
	HASH_ITER(hh, st->sharers, sh, stmp)
	{
		if (mm_find(st, sh->mm) && !strncmp(sh->comm, comm, SHMW_COMM_LEN)) {
			if (n < max)
				pids[n] = sh->tgid;
			n++;
		}
	}
	return n;
}

size_t shmw_state_nmms(const struct shmw_state *st)
{
	return HASH_CNT(hh, st->mms);
}

size_t shmw_state_nsegs(const struct shmw_state *st)
{
	return HASH_CNT(hh, st->segs);
}

void shmw_state_clear(struct shmw_state *st)
{
	struct shmw_mmst *m, *mt;
	struct shmw_seg *seg, *st2;
	struct shmw_sharerst *sh, *sht;

	HASH_ITER(hh, st->segs, seg, st2)
	{
		HASH_DELETE(hh, st->segs, seg);
		free(seg->mms);
		free(seg);
	}
	HASH_CLEAR(hh_pid, st->by_pid);
	HASH_ITER(hh, st->mms, m, mt)
	{
		HASH_DELETE(hh, st->mms, m);
		mm_release(m);
	}
	HASH_ITER(hh, st->sharers, sh, sht)
	{
		HASH_DELETE(hh, st->sharers, sh);
		shmw_procx_release(&sh->x);
		free(sh);
	}
	memset(st, 0, sizeof(*st));
}
