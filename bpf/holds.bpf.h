/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 4: address spaces and what they hold (uses common, vma and segs).
 *
 * nattch counts VMAs, and VMAs belong to an address space (mm), not to a process: the unit of
 * state is the mm. mms[mm] names it (the process that made it, while that process uses it) and
 * keeps its bookkeeping; holds[(mm, segment)] says how many VMAs of the segment it maps and
 * since when; mm_list[(mm, 0..nsegs-1)] lists its holdings for the operations on all of them
 * (exit, fork, a walk's install). Maps only: no fixed number of segments per mm.
 *
 * Every change of an mm's holdings is made under its record's lock (a word taken with
 * compare-and-swap; tracing programs may not use bpf_spin_lock), so that the list and the
 * counts stay consistent when two threads of one process change them at once. A program that
 * finds the lock taken does not wait: it flags the mm and user space walks it again, which is
 * exact (docs/design.md, "Staying exact").
 *
 * Processes that use an mm they did not make (vfork children, clone(CLONE_VM) siblings) are
 * sharers (sharers[tgid]): whatever they attach is the mm's, named by its maker while it lives.
 */
#ifndef SHMW_HOLDS_BPF_H
#define SHMW_HOLDS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct shmw_mm);
} mms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shmw_hold_key);
	__type(value, struct shmw_hold);
} holds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shmw_list_key);
	__type(value, struct shmw_list_val);
} mm_list SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct shmw_sharer);
} sharers SEC(".maps");

/* Entries of the sharers map, kept by every insertion and deletion: at 0 an exit need not
 * search the map. shmw_mm.nsharers does the same per mm. */
__u64 nsharers_all = 0;

/* Sharers per owner (the tgid that made the mm they share): the exit of a process that made no
 * mm others share, and a record made for an mm nobody shares, skip a search of the sharers map
 * (a search visits every bucket: tens of microseconds). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
} owners SEC(".maps");

static __always_inline void owners_add(__u32 owner, int d)
{
	__u32 *n = bpf_map_lookup_elem(&owners, &owner), one = 1;

	if (d > 0) {
		if (n)
			__sync_fetch_and_add(n, 1);
		else if (bpf_map_update_elem(&owners, &owner, &one, BPF_NOEXIST) &&
			 (n = bpf_map_lookup_elem(&owners, &owner)))
			__sync_fetch_and_add(n, 1);
		return;
	}
	if (n && __sync_fetch_and_sub(n, 1) <= 1)
		bpf_map_delete_elem(&owners, &owner);
}

static __always_inline bool owns_sharers(__u32 owner)
{
	return bpf_map_lookup_elem(&owners, &owner) != NULL;
}

static __always_inline void mm_sharers_add(__u64 mm, int d)
{
	struct shmw_mm *rec = bpf_map_lookup_elem(&mms, &mm);

	if (!rec)
		return;
	if (d > 0)
		__sync_fetch_and_add(&rec->nsharers, 1);
	else if (rec->nsharers) /* a count too high only costs a search; never go below 0 */
		__sync_fetch_and_sub(&rec->nsharers, 1);
}

/* Records tgid as a user of sh->mm. Returns 0, or -1 when the map is full. */
static __always_inline int sharer_put(__u32 tgid, struct shmw_sharer *sh)
{
	struct shmw_sharer *old = bpf_map_lookup_elem(&sharers, &tgid);
	__u32 oldowner;
	__u64 oldmm;

	if (old) {
		oldmm = old->mm;
		oldowner = old->owner;
		if (bpf_map_update_elem(&sharers, &tgid, sh, BPF_ANY))
			return -1;
		if (oldmm != sh->mm) {
			mm_sharers_add(oldmm, -1);
			mm_sharers_add(sh->mm, 1);
		}
		if (oldowner != sh->owner) {
			owners_add(oldowner, -1);
			owners_add(sh->owner, 1);
		}
		return 0;
	}
	if (bpf_map_update_elem(&sharers, &tgid, sh, BPF_NOEXIST)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return -1;
	}
	__sync_fetch_and_add(&nsharers_all, 1);
	mm_sharers_add(sh->mm, 1);
	owners_add(sh->owner, 1);
	return 0;
}

static __always_inline void sharer_del(__u32 tgid, __u64 mm)
{
	struct shmw_sharer *sh = bpf_map_lookup_elem(&sharers, &tgid);
	__u32 owner = sh ? sh->owner : 0;

	if (bpf_map_delete_elem(&sharers, &tgid))
		return;
	__sync_fetch_and_sub(&nsharers_all, 1);
	mm_sharers_add(mm, -1);
	if (owner)
		owners_add(owner, -1);
}

static __always_inline void mark_changed(struct shmw_mm *rec)
{
	__sync_fetch_and_add(&rec->changes, 1);
}

static __always_inline void mm_flag(struct shmw_mm *rec, __u32 f)
{
	__sync_fetch_and_or(&rec->flags, f);
}

static __always_inline void mm_unflag(struct shmw_mm *rec, __u32 f)
{
	__sync_fetch_and_and(&rec->flags, ~f);
}

#define MM_LOCK_TRIES 256

static __always_inline bool mm_trylock(struct shmw_mm *rec)
{
	return __sync_val_compare_and_swap(&rec->lock, 0, 1) == 0;
}

/* mm_lock's wait: one try a step of bpf_loop. */
struct mm_spin {
	struct shmw_mm *rec;
	int got;
};

static long mm_spin_step(__u32 i, struct mm_spin *s)
{
	if (__sync_val_compare_and_swap(&s->rec->lock, 0, 1))
		return 0;
	s->got = 1;
	return 1;
}

/* The lock, waiting a little for another CPU's change of the same mm (a microsecond or so:
 * one holding; a walk's install of a big mm takes longer, and then the caller gives up). Global:
 * verified once; the retries in bpf_loop, whose step the verifier checks once where a loop of
 * MM_LOCK_TRIES had it check each try (a tenth of the load time of each program using it). */
__noinline int mm_lock(struct shmw_mm *rec)
{
	struct mm_spin s = {.rec = rec};

	if (!rec)
		return 0;
	if (mm_trylock(rec))
		return 1;
	bpf_loop(MM_LOCK_TRIES, mm_spin_step, &s, 0);
	return s.got;
}

static __always_inline void mm_unlock(struct shmw_mm *rec)
{
	__sync_lock_test_and_set(&rec->lock, 0);
}

/* Who a record's events name, with the version of its last change. */
static __always_inline void who_rec(struct who *w, const struct shmw_mm *rec)
{
	w->version = rec->version;
	w->tgid = rec->tgid;
	w->uid = rec->uid;
	__builtin_memcpy(w->comm, rec->comm, SHMW_COMM_LEN);
}

/*
 * Who to name for mm when the current process changes it: itself, unless it shares mm with the
 * process that made it (a vfork child attaching before its exec): then that maker, read from
 * the task itself when it is our parent (its uid and name now), else as the fork saw it.
 */
static __always_inline void who_for_mm(struct who *w, __u64 mm)
{
	struct task_struct *cur = bpf_get_current_task_btf(), *parent;
	__u32 tgid = current_tgid();
	struct shmw_sharer *sh = bpf_map_lookup_elem(&sharers, &tgid);

	if (!sh || sh->mm != mm || !sh->owner || sh->owner == tgid) {
		who_task(w, cur);
		return;
	}
	parent = BPF_CORE_READ(cur, real_parent);
	if (BPF_CORE_READ(parent, tgid) == sh->owner && task_mm(parent) == mm) {
		who_task(w, parent);
		return;
	}
	w->version = 0;
	w->tgid = sh->owner;
	w->uid = sh->uid;
	__builtin_memcpy(w->comm, sh->comm, SHMW_COMM_LEN);
}

/* mm_create's search for the sharers of a new record's mm. */
struct new_rec_ctx {
	__u64 mm;
	__u32 n;
	__u32 tell; /* the record counts exactly: report each sharer */
	struct who w;
};

static long new_rec_sharer_cb(struct bpf_map *map, __u32 *tgid, struct shmw_sharer *sh,
			      struct new_rec_ctx *c)
{
	if (sh->mm != c->mm)
		return 0;
	c->n++;
	if (c->tell)
		emit(TC(SHMW_EV_SHARE, SHMW_CAUSE_FORK), c->mm, &c->w, NULL, *tgid);
	return 0;
}

/*
 * The record of an mm that has none, naming w. NULL when the map is full (counted). Sharers of
 * the mm from before it held anything (a vfork child about to attach) are counted into it, and
 * reported when it counts exactly, so that user space lists them with what it holds.
 */
static __noinline struct shmw_mm *mm_create(__u64 mm, const struct who *w, __u32 flags)
{
	struct new_rec_ctx c = {.mm = mm};
	struct shmw_mm init = {};
	struct shmw_mm *rec;

	init.born = next_version();
	init.version = init.born;
	init.tgid = w->tgid;
	init.uid = w->uid;
	init.flags = flags;
	__builtin_memcpy(init.comm, w->comm, SHMW_COMM_LEN);
	if (bpf_map_update_elem(&mms, &mm, &init, BPF_NOEXIST) && !bpf_map_lookup_elem(&mms, &mm)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return NULL;
	}
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec || !owns_sharers(w->tgid))
		return rec; /* its maker has no sharers: the common case */
	c.tell = (flags & SHMW_MM_SEEDED) != 0;
	who_rec(&c.w, rec);
	bpf_for_each_map_elem(&sharers, new_rec_sharer_cb, &c, 0);
	if (c.n)
		__sync_fetch_and_add(&rec->nsharers, c.n);
	return rec;
}

/* The record of mm, made for the current process if it has none. */
static __always_inline struct shmw_mm *mm_get(__u64 mm, __u32 flags)
{
	struct shmw_mm *rec = bpf_map_lookup_elem(&mms, &mm);
	struct draft *d;

	if (rec)
		return rec;
	d = draft(DRAFT_REC);
	if (!d)
		return NULL;
	who_for_mm(&d->w, mm);
	return mm_create(mm, &d->w, flags);
}

/*
 * BPF could not keep mm's counts (a map full, the record busy on another CPU, a count that went
 * below zero): flag it, and ask user space to walk it (an overflow record).
 */
static __always_inline void mm_incomplete(struct shmw_mm *rec, __u64 mm, __u32 cause, __u32 stat)
{
	struct draft *d = draft(DRAFT_REC);

	mm_flag(rec, SHMW_MM_OVERFLOW);
	stat_inc(stat);
	rec->version = next_version();
	if (!d)
		return;
	who_rec(&d->w, rec);
	d->e.aux = stat; /* why, for the daemon's log */
	emit(TC(SHMW_EV_OVERFLOW, cause), mm, &d->w, &d->e, current_tgid());
}

/*
 * The mm changed in a way we could not count (no VMA iterator: before 6.7): its counts are
 * stale until user space, told by this event, has walked it with the iter/task_vma program.
 */
static void request_rescan(struct shmw_mm *rec, __u64 mm, __u32 cause, __u32 actor)
{
	struct draft *d = draft(DRAFT_REC);

	mm_flag(rec, SHMW_MM_RESCAN);
	rec->version = next_version();
	stat_inc(SHMW_STAT_RESCAN);
	if (!d)
		return;
	who_rec(&d->w, rec);
	emit(TC(SHMW_EV_RESCAN, cause), mm, &d->w, NULL, actor);
}

/* A walk is pending already (its request is in the ring, or the daemon retries it on its tick):
 * one request covers any number of later changes, and a process that changes faster than it
 * can be walked does not flood the ring with requests. */
static __always_inline void rescan_once(struct shmw_mm *rec, __u64 mm, __u32 cause, __u32 actor)
{
	if (!(rec->flags & SHMW_MM_RESCAN))
		request_rescan(rec, mm, cause, actor);
}

/* Appends segment key to rec's list and makes its holds entry (nvma 0). Lock held. */
static __noinline struct shmw_hold *hold_add(struct shmw_mm *rec, struct shmw_hold_key *key,
					     __u32 how)
{
	struct shmw_list_key lk = {.mm = key->mm, .idx = rec->nsegs};
	struct shmw_list_val lv = {.ns = key->ns, .shmid = key->shmid};
	struct shmw_hold h = {.since = bpf_ktime_get_boot_ns(), .how = how, .idx = rec->nsegs};

	if (bpf_map_update_elem(&mm_list, &lk, &lv, BPF_ANY)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return NULL;
	}
	if (bpf_map_update_elem(&holds, key, &h, BPF_NOEXIST)) {
		bpf_map_delete_elem(&mm_list, &lk);
		stat_inc(SHMW_STAT_MAP_FULL);
		return NULL;
	}
	rec->nsegs++;
	return bpf_map_lookup_elem(&holds, key);
}

/* Removes holding key (at list position idx) from rec: the last of the list takes its place.
 * Lock held. */
static __noinline void hold_del(struct shmw_mm *rec, struct shmw_hold_key *key, __u32 idx)
{
	struct shmw_list_key lk = {.mm = key->mm};
	struct shmw_list_val *lv;
	__u32 last = rec->nsegs ? rec->nsegs - 1 : 0;

	if (idx < last) {
		lk.idx = last;
		lv = bpf_map_lookup_elem(&mm_list, &lk);
		if (lv) {
			struct shmw_hold_key moved = {
			    .mm = key->mm, .ns = lv->ns, .shmid = lv->shmid};
			struct shmw_list_key to = {.mm = key->mm, .idx = idx};
			struct shmw_hold *mh = bpf_map_lookup_elem(&holds, &moved);

			bpf_map_update_elem(&mm_list, &to, lv, BPF_ANY);
			if (mh)
				mh->idx = idx;
		}
	}
	lk.idx = last;
	bpf_map_delete_elem(&mm_list, &lk);
	bpf_map_delete_elem(&holds, key);
	if (rec->nsegs)
		rec->nsegs--;
}

static __always_inline void ev_seg_of_hold(struct ev_seg *e, const struct acc_seg *a,
					   const struct shmw_hold *h, __s64 gen)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->size = a->size;
	e->key = a->key;
	e->ns = a->ns;
	e->shmid = a->shmid;
	e->since = h->since;
	e->nvma = h->nvma;
	e->how = h->how;
	e->gen = gen;
}

/* What a change of holdings is about: the mm, why, and who acted. */
struct hold_op {
	__u64 mm;
	__u32 cause;
	__u32 actor;
	__u32 quiet; /* no reports: user space syncs from the maps (a walk it asked for) */
	__u32 keep;  /* a detach may keep the holding's entry for the next attach */
};

/* Holdings an mm keeps at 0 VMAs: a process that attaches and detaches the same segments in a
 * loop then inserts and deletes no map entry per call. A walk's install drops them. */
#define MAX_IDLE 8

/*
 * Sets holding h (of segment a, in rec, at list position h->idx) to now VMAs and reports it
 * when the record counts exactly (SEEDED): attach, vmas or detach, then destroy when that
 * detach left a marked segment with no VMA and the kernel has freed it. A holding at 0 leaves
 * the list (h is then gone). Lock held. Global: called in loops.
 */
__noinline int hold_set(struct shmw_mm *rec, struct shmw_hold *h, struct acc_seg *a, __u32 now,
			struct hold_op *op)
{
	struct draft *d = draft(DRAFT_HOLD);
	struct shmw_hold_key key;
	__s64 gen = 0;
	__u32 old, type;

	if (!rec || !h || !a || !op || !d)
		return 0;
	old = h->nvma;
	if (old == now)
		return 0;
	if (!old) {
		h->since = bpf_ktime_get_boot_ns();
		h->how = op->cause;
		if (rec->nidle) /* an idle entry back in use (a count, not a list: a hint) */
			rec->nidle--;
	}
	h->nvma = now;
	seg_adjust(a, (int)now - (int)old, (!old && now) - (old && !now), &gen);
	rec->version = next_version();
	type = !old ? SHMW_EV_ATTACH : !now ? SHMW_EV_DETACH : SHMW_EV_VMAS;
	who_rec(&d->w, rec);
	if ((rec->flags & SHMW_MM_SEEDED) && !op->quiet) {
		ev_seg_of_hold(&d->e, a, h, gen);
		emit(TC(type, op->cause), op->mm, &d->w, &d->e, op->actor);
	}
	if (!now && op->keep && rec->nidle < MAX_IDLE) {
		rec->nidle++; /* kept idle: the list and the entry stay */
	} else if (!now) {
		key.mm = op->mm;
		key.ns = a->ns;
		key.shmid = a->shmid;
		hold_del(rec, &key, h->idx);
	}
	if (now < old)
		seg_released(a, op->cause, &d->w);
	return 0;
}

/*
 * Applies "rec's mm maps delta more VMAs of segment a" (a: as a walk or lookup saw it) and
 * reports it. Returns 0, or -1 when it could not (the record busy, a map full, a count below
 * zero): the mm is then flagged and walked again by user space. Global: called in loops.
 */
__noinline int hold_apply(struct shmw_mm *rec, struct acc_seg *a, int delta, struct hold_op *op)
{
	struct shmw_hold_key key;
	struct shmw_hold *h;
	__u32 now, stat = 0;
	int ret = 0;

	if (!rec || !a || !op || !delta)
		return 0;
	op->keep = 1; /* a live call: a detach keeps the entry for the next attach */
	if (!mm_lock(rec)) {
		mm_incomplete(rec, op->mm, op->cause, SHMW_STAT_BUSY);
		return -1;
	}
	mark_changed(rec);
	key.mm = op->mm;
	key.ns = a->ns;
	key.shmid = a->shmid;
	h = bpf_map_lookup_elem(&holds, &key);
	if (!h && delta > 0)
		h = hold_add(rec, &key, op->cause);
	if (!h) {
		stat = delta > 0 ? SHMW_STAT_MAP_FULL : SHMW_STAT_OVERFLOW;
		goto out;
	}
	if (delta < 0 && (__u32)-delta > h->nvma) {
		/* We counted fewer than the kernel removed: our count was wrong. */
		stat = SHMW_STAT_OVERFLOW;
		now = 0;
	} else {
		now = h->nvma + delta;
	}
	hold_set(rec, h, a, now, op);
out:
	mm_unlock(rec);
	if (stat) {
		mm_incomplete(rec, op->mm, op->cause, stat);
		ret = -1;
	}
	return ret;
}

/* ---- operations on all of an mm's holdings (bpf_loop over its list) ---- */

enum each_kind {
	EACH_DROP = 1, /* the address space is gone: detach everything (exit_mmap) */
	EACH_COPY,     /* fork without a walk: the child (mm2) gets what the parent holds */
	EACH_INSTALL,  /* a walk staged counts (wgen): make them the holdings */
	EACH_DISCARD,  /* a walk raced: forget the holdings it staged */
	EACH_ADOPT,    /* fentry mode: report a forked child's holdings, counted by dup_mmap */
};

struct each_ctx {
	__u64 mm;
	__u64 mm2;  /* EACH_COPY: the child's mm */
	__u64 wgen; /* EACH_INSTALL */
	__u32 kind;
	__u32 n;     /* the list's length when the loop began */
	__u32 cause; /* what the reports say */
	__u32 actor;
	__u32 failed; /* EACH_COPY: the child's counts are incomplete */
	__u32 quiet;  /* hold_op.quiet */
};

/* What each_one works with per holding, per CPU rather than on the stack: the chain from a walk
 * through the loop to emit() must fit 512 bytes. Loops do not nest. */
struct each_tmp {
	struct acc_seg a;
	struct hold_op op;
	struct shmw_hold_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct each_tmp);
} each_tmps SEC(".maps");

static __always_inline struct each_tmp *each_tmp(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&each_tmps, &zero);
}

/* The holding at list position idx of mm, and its segment (a: ns and shmid only; seg_ensure fills
 * the rest from the segs map). */
static __always_inline struct shmw_hold *hold_at(__u64 mm, __u32 idx, struct acc_seg *a)
{
	struct shmw_list_key lk = {.mm = mm, .idx = idx};
	struct shmw_list_val *lv = bpf_map_lookup_elem(&mm_list, &lk);
	struct shmw_hold_key key;

	if (!lv)
		return NULL;
	__builtin_memset(a, 0, sizeof(*a));
	a->ns = lv->ns;
	a->shmid = lv->shmid;
	key.mm = mm;
	key.ns = lv->ns;
	key.shmid = lv->shmid;
	return bpf_map_lookup_elem(&holds, &key);
}

/* EACH_ADOPT's report of one holding. Global: its draft stays off each_cb's stack. */
__noinline int adopt_one(struct shmw_mm *rec, struct shmw_hold *h, struct acc_seg *a,
			 struct each_ctx *c)
{
	struct draft *d = draft(DRAFT_HOLD);
	__s64 gen = 0;

	if (!rec || !h || !a || !c || !d)
		return 0;
	seg_adjust(a, 0, 0, &gen); /* its size, key and generation */
	rec->version = next_version();
	who_rec(&d->w, rec);
	ev_seg_of_hold(&d->e, a, h, gen);
	emit(TC(SHMW_EV_ATTACH, c->cause), c->mm, &d->w, &d->e, c->actor);
	return 0;
}

/* One holding of an each loop (see enum each_kind). Global: its frame stays off the loop's. */
__noinline int each_one(struct shmw_mm *rec, struct shmw_hold *h, __u32 idx, struct each_ctx *c)
{
	struct each_tmp *t = each_tmp();
	__u64 mm2;
	struct shmw_hold_key *key;
	struct hold_op *op;
	struct shmw_mm *crec;
	struct shmw_hold *ch;
	struct acc_seg *a;
	__u32 want;

	if (!rec || !h || !c || !t)
		return 1;
	a = &t->a;
	op = &t->op;
	key = &t->key;
	op->mm = c->mm;
	op->cause = c->cause;
	op->actor = c->actor;
	op->quiet = c->quiet;
	op->keep = 0;
	key->mm = c->mm;
	key->ns = a->ns;
	key->shmid = a->shmid;
	switch (c->kind) {
	case EACH_DROP:
		if (h->nvma)
			hold_set(rec, h, a, 0, op);
		else /* idle, or staged by a walk */
			hold_del(rec, key, idx);
		return 0;
	case EACH_INSTALL:
		want = h->wgen == c->wgen ? h->wcount : 0;
		if (want != h->nvma)
			hold_set(rec, h, a, want, op);
		else if (!want) /* staged and not found again, never held */
			hold_del(rec, key, idx);
		return 0;
	case EACH_DISCARD:
		if (!h->nvma)
			hold_del(rec, key, idx);
		return 0;
	case EACH_ADOPT:
		if (h->nvma)
			adopt_one(rec, h, a, c);
		return 0;
	case EACH_COPY:
		if (!h->nvma)
			return 0;
		want = h->nvma;
		mm2 = c->mm2; /* a map key on the stack: 6.1 refuses one in c's memory */
		crec = bpf_map_lookup_elem(&mms, &mm2);
		if (!crec)
			return 1;
		key->mm = c->mm2;
		ch = hold_add(crec, key, c->cause);
		if (!ch) {
			c->failed = 1;
			return 1;
		}
		op->mm = c->mm2;
		hold_set(crec, ch, a, want, op);
		return 0;
	}
	return 1;
}

static long each_cb(__u32 i, struct each_ctx *c)
{
	struct each_tmp *t;
	struct shmw_mm *rec;
	struct shmw_hold *h;
	__u32 idx;

	/* Loops that remove go from the end: a removal moves the last entry into its place,
	 * and every entry after idx has been seen already. */
	idx = (c->kind == EACH_COPY || c->kind == EACH_ADOPT) ? i : c->n - 1 - i;
	rec = bpf_map_lookup_elem(&mms, &c->mm);
	if (!rec)
		return 1;
	t = each_tmp();
	if (!t)
		return 1;
	h = hold_at(c->mm, idx, &t->a);
	if (!h)
		return 0;
	return each_one(rec, h, idx, c) ? 1 : 0;
}

/* Runs kind over rec's holdings. Lock held (and the child's too, for EACH_COPY). */
static __always_inline int mm_each(struct shmw_mm *rec, struct each_ctx *c)
{
	c->n = rec->nsegs;
	if (!c->n)
		return 0;
	return bpf_loop(c->n, each_cb, c, 0);
}

/*
 * Counts one more VMA of segment a into rec's holdings for the walk wgen (the seeding
 * iterator, or fork's walk of its child): staged beside the live count, made the holdings by
 * EACH_INSTALL at the walk's end if nothing changed the mm meanwhile. Returns 0, or -1 when it
 * cannot (busy, map full): the walk is then not installed. Global: called per VMA.
 */
__noinline int hold_stage(struct shmw_mm *rec, __u64 mm, struct acc_seg *a, __u64 wgen)
{
	struct shmw_hold_key key;
	struct shmw_hold *h;
	__s64 gen;
	int ret = 0;

	if (!rec || !a)
		return -1;
	key.mm = mm;
	key.ns = a->ns;
	key.shmid = a->shmid;
	h = bpf_map_lookup_elem(&holds, &key);
	if (!h) {
		if (!mm_lock(rec))
			return -1;
		h = hold_add(rec, &key, SHMW_CAUSE_SEED);
		mm_unlock(rec);
		if (!h)
			return -1;
		/* The segment's entry, with its identity from the VMA, for the install. */
		seg_adjust(a, 0, 0, &gen);
	}
	if (h->wgen != wgen) {
		h->wgen = wgen;
		h->wcount = 0;
	}
	h->wcount++;
	return ret;
}

#endif
