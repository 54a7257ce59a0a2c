/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 6: the system calls (uses every layer before it).
 *
 * Counting without fentry (refused on some hosts): a syscall that can add, remove or cut SysV
 * VMAs counts them per segment in its address range at sys_enter and again at sys_exit; the
 * difference is what it did. The range is widened to whole SysV VMAs at enter, so pieces of a
 * split VMA stay inside it. shmat looks up the one VMA it made instead. Without the VMA
 * iterator (before 6.7) calls are counted by bpf_find_vma probes where they can be, and walked
 * by user space where they cannot (SHMW_EV_RESCAN).
 *
 * shmget and shmctl(IPC_RMID) drive the segment lifecycle (segs.bpf.h), in both modes.
 */
#ifndef SHMW_CALLS_BPF_H
#define SHMW_CALLS_BPF_H

enum op_kind { OP_RANGE = 1, OP_SHMAT, OP_RMID, OP_SHMGET };

/* Segments a call's "before" count keeps inline: a call reaches one or two. More spill to
 * ops_big, so the common record stays small (it is copied into the ops map per call). */
#define OP_SEGS 4

/* A syscall between its enter and exit, keyed by thread id. */
struct range_op {
	__u64 mm;
	__u64 lo, hi;	/* main range, widened to whole SysV VMAs */
	__u64 lo2, hi2; /* mremap destination (MREMAP_FIXED), or 0 */
	__u64 len2;	/* mremap new length */
	__u32 kind;
	__u32 cause;
	__u32 shmid;  /* OP_RMID */
	__u32 remap;  /* OP_SHMAT with SHM_REMAP: walk the mm again afterwards */
	__u32 rescan; /* no VMA iterator: ask user space to walk the mm at exit */
	__u32 big;    /* the before count is in ops_big (more than OP_SEGS segments) */
	__u32 exact;  /* no VMA iterator, counted by probes instead: EXACT_* */
	__u32 pad;
	__u64 changes; /* the record's change counter after enter (exact): another change
			* between enter and exit could be in what the probes saw */
	union {
		/* The VMA counts at enter (the iterator's walk, or EXACT_DELTA's signed
		 * counts): the head of a struct shmw_acc, OP_SEGS slots long. */
		struct {
			__u32 nsegs;
			__u32 overflow;
			struct acc_seg segs[OP_SEGS];
		};
		struct split_ends ends; /* EXACT_SPLIT, which keeps no counts */
	};
};

/* range_op.exact: how a call is counted without the iterator (vma.bpf.h). */
#define EXACT_SPLIT  1	  /* split_before at enter, split_after at exit */
#define EXACT_DELTA  2	  /* before holds the signed counts the call changes if it succeeds */
#define EXACT_NEWVMA 0x10 /* and on success a new mapping starts at lo */

/* range_enter flags: what a call does besides its cause. */
#define RE_UNMAP    1 /* replaces the range (remap_file_pages, though its cause is a split) */
#define RE_NEWVMA   2 /* maps something new at the range's start (MAP_FIXED, remap_file_pages) */
#define RE_DONTFORK 4 /* madvise(MADV_DONTFORK): fork may no longer copy what the mm holds */

/* Per thread (task storage: no hash insert and delete per call, freed with the task). Between
 * calls its kind is 0. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct range_op);
} ops SEC(".maps");

/* The before count of a call that reached more than OP_SEGS segments, keyed by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct shmw_acc);
} ops_big SEC(".maps");

/* Per-CPU scratch: these structs do not fit the 512-byte stack. */
struct scratch {
	struct range_op op;
	struct shmw_acc acc;
	struct shmw_acc before; /* range_exit: the op's before count, unpacked */
	struct hold_op hop; /* range_exit's, kept off its stack frame (the chain to emit is deep) */
	__u64 skip[3]; /* walk_range's skip of mremap's second walk: off the stack (6.1: 512) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} heap SEC(".maps");

static __always_inline struct scratch *cpu_scratch(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&heap, &k);
}

/* This thread's syscall record, if a call of ours is between its enter and exit. */
static __always_inline struct range_op *op_get(void)
{
	struct range_op *op = bpf_task_storage_get(&ops, bpf_get_current_task_btf(), 0, 0);

	return op && op->kind ? op : NULL;
}

/* Starts this thread's syscall record (of the given kind, the rest cleared) for its sys_exit. */
static __always_inline struct range_op *op_start(__u32 kind)
{
	struct range_op *op = bpf_task_storage_get(&ops, bpf_get_current_task_btf(), 0,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!op) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return NULL;
	}
	op->kind = kind;
	op->cause = 0;
	op->shmid = 0;
	op->remap = 0;
	op->rescan = 0;
	op->big = 0;
	op->exact = 0;
	op->lo2 = 0;
	op->hi2 = 0;
	op->len2 = 0;
	op->changes = 0;
	op->nsegs = 0;
	op->overflow = 0;
	return op;
}

/* The call is done with its record. */
static __always_inline void op_end(struct range_op *op)
{
	op->kind = 0;
}

/* Widens the record's span of SysV VMAs (shmw_mm.lo/hi) to cover [start, end). */
static __always_inline void span_add(struct shmw_mm *rec, __u64 start, __u64 end)
{
	if (rec->lo >= rec->hi) {
		rec->lo = start;
		rec->hi = end;
		return;
	}
	if (start < rec->lo)
		rec->lo = start;
	if (end > rec->hi)
		rec->hi = end;
}

/*
 * Without the iterator: whether a call on [lo, hi) and [lo2, hi2) may touch a SysV VMA of
 * the mm. Only a record whose counts and span are exact can say no, and only when no other
 * call on it is in flight (one could be moving a VMA outside the span right now).
 */
static __always_inline bool may_reach(struct shmw_mm *rec, __u64 lo, __u64 hi, __u64 lo2, __u64 hi2)
{
	if ((rec->flags & (SHMW_MM_SEEDED | SHMW_MM_RESCAN)) != SHMW_MM_SEEDED || rec->inflight)
		return true;
	return (lo < rec->hi && hi > rec->lo) || (hi2 && lo2 < rec->hi && hi2 > rec->lo);
}

/* ---- calls that add, remove or cut VMAs in a range ---- */

/* Keeps the counts at enter in the op: inline when they fit, else in ops_big. */
static __always_inline void op_keep_before(struct range_op *op, struct shmw_acc *acc, __u32 tid)
{
	int i;

	op->nsegs = acc->nsegs;
	op->overflow = acc->overflow;
	if (acc->nsegs > OP_SEGS) {
		op->big = 1;
		if (bpf_map_update_elem(&ops_big, &tid, acc, BPF_ANY)) {
			stat_inc(SHMW_STAT_MAP_FULL);
			op->overflow = 1; /* exit cannot diff: user space walks the mm */
			op->nsegs = 0;
		}
		return;
	}
	for (i = 0; i < OP_SEGS; i++) {
		if (i >= acc->nsegs)
			break;
		op->segs[i] = acc->segs[i];
	}
}

/* The counts at enter, as a whole struct shmw_acc (in scratch when they were inline). */
static __always_inline struct shmw_acc *op_before(struct range_op *op, struct shmw_acc *buf,
						  __u32 tid)
{
	int i;

	if (op->big)
		return bpf_map_lookup_elem(&ops_big, &tid);
	buf->nsegs = op->nsegs;
	buf->overflow = op->overflow;
	for (i = 0; i < OP_SEGS; i++) {
		if (i >= op->nsegs)
			break;
		buf->segs[i] = op->segs[i];
	}
	return buf;
}

/*
 * Without the iterator: counts what a call on [op->lo, op->hi) of an exact record will change,
 * by probes (vma.bpf.h), into acc (scratch) for the caller to keep in the op and range_exit to
 * apply. Returns 1 (counted), 0 (it reaches no SysV VMA: nothing to do) or -1 (cannot tell:
 * the call's exit asks user space for a walk). mremap is always walked: it moves VMAs,
 * possibly out of the record's span.
 */
__noinline int exact_enter(struct range_op *op, struct shmw_mm *rec, struct shmw_acc *acc,
			   __u32 flags)
{
	if (!op || !rec || !acc)
		return -1;
	/* Counts to add to must be exact, and no other call may be changing them meanwhile. */
	if ((rec->flags & (SHMW_MM_SEEDED | SHMW_MM_RESCAN | SHMW_MM_OVERFLOW)) != SHMW_MM_SEEDED ||
	    rec->inflight)
		return -1;
	if (op->cause == SHMW_CAUSE_MREMAP)
		return -1;
	acc_reset(acc);
	if (op->cause == SHMW_CAUSE_SHMDT) {
		if (count_shmdt(acc, op->lo, rec->lo, rec->hi))
			return -1;
		op->exact = EXACT_DELTA;
		return acc->nsegs ? 1 : 0;
	}
	if (op->cause == SHMW_CAUSE_SPLIT && !(flags & RE_UNMAP)) {
		op->ends.at[0] = op->lo;
		op->ends.at[1] = op->hi;
		if (split_before(&op->ends))
			return -1;
		op->exact = EXACT_SPLIT;
		return op->ends.file[0] || op->ends.file[1];
	}
	if (count_unmap(acc, op->lo, op->hi))
		return -1;
	op->exact = EXACT_DELTA | ((flags & RE_NEWVMA) ? EXACT_NEWVMA : 0);
	return acc->nsegs ? 1 : 0;
}

/*
 * With the iterator, a shmdt by an address space no other task uses (mm_users 1: no thread or
 * vfork child can change it meanwhile) is counted by probes as without it: one bpf_find_vma
 * for a whole attachment at enter and no walk at exit, instead of two range walks. Returns
 * true when it took the call (counted, or nothing of ours at addr).
 */
static __noinline bool shmdt_by_probes(__u64 addr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct scratch *sc = cpu_scratch();
	__u64 mm = task_mm(task);
	struct shmw_mm *rec;
	struct range_op *op;

	if (!have_vma_iter() || !mm)
		return false;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec)
		return false;
	if (!sc || BPF_CORE_READ(task, mm, mm_users.counter) != 1 ||
	    (rec->flags & (SHMW_MM_SEEDED | SHMW_MM_RESCAN | SHMW_MM_OVERFLOW)) != SHMW_MM_SEEDED ||
	    rec->inflight)
		return false;
	acc_reset(&sc->acc);
	/* The span (rec->lo, hi) is kept only without the iterator: search from addr up. */
	if (count_shmdt(&sc->acc, addr, addr, ~0ULL))
		return false; /* a long search or a busy lock: the walks count it */
	if (!sc->acc.nsegs)
		return true; /* no attachment at addr: shmdt fails and changes nothing */
	op = op_start(OP_RANGE);
	if (!op)
		return true;
	op->cause = SHMW_CAUSE_SHMDT;
	op->mm = mm;
	op->lo = addr;
	op->hi = addr + 1;
	op->exact = EXACT_DELTA;
	op_keep_before(op, &sc->acc, current_tid());
	__sync_fetch_and_add(&rec->inflight, 1);
	mark_changed(rec);
	op->changes = rec->changes;
	return true;
}

/* What on_vma_call read of a call: its range(s) and how to count it. */
struct range_args {
	__u64 start, len;
	__u64 start2, len2; /* mremap's destination (MREMAP_FIXED), or 0 */
	__u64 newlen;	    /* mremap's new length */
	__u32 cause;
	__u32 flags; /* RE_* */
};

/*
 * Without the iterator (before 6.7) we cannot walk the range. A call that may reach a SysV VMA
 * of an mm whose counts are exact is counted by probes; else (and when probing cannot tell)
 * sys_exit asks for a walk, for an mm that holds something (or, while seeding, any mm). shmdt
 * may detach pieces beyond any range we could name. Called beside range_enter, not under it:
 * the probes' call chain is deep, and 6.1 counts every frame of it (512 bytes in all).
 */
__noinline int range_enter_probes(struct range_args *ra)
{
	__u64 mm = task_mm(bpf_get_current_task_btf());
	struct scratch *sc = cpu_scratch();
	struct shmw_mm *rec;
	struct range_op *op;
	__u64 lo, hi;

	if (!mm || !ra || !sc)
		return 0;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec && !seeding)
		return 0; /* holds nothing: the fast path for nearly every process */
	lo = ra->start & PAGE_MASK_4K;
	hi = (ra->start + ra->len + 4095) & PAGE_MASK_4K;
	if (rec && ra->cause != SHMW_CAUSE_SHMDT &&
	    !may_reach(rec, lo, hi, ra->start2 & PAGE_MASK_4K,
		       ra->len2 ? (ra->start2 + ra->len2 + 4095) & PAGE_MASK_4K : 0))
		return 0;
	if (!rec)
		rec = mm_get(mm, 0);
	if (!rec)
		return 0;
	op = op_start(OP_RANGE);
	if (!op)
		return 0;
	op->cause = ra->cause;
	op->mm = mm;
	op->lo = lo;
	op->hi = hi;
	if (ra->flags & RE_DONTFORK)
		mm_flag(rec, SHMW_MM_DONTCOPY); /* a walk clears it if none is left */
	switch (exact_enter(op, rec, &sc->acc, ra->flags)) {
	case 0:
		op_end(op);
		return 0;
	case 1:
		if (op->exact & EXACT_DELTA)
			op_keep_before(op, &sc->acc, current_tid());
		break;
	default:
		op->exact = 0;
		op->rescan = 1;
	}
	__sync_fetch_and_add(&rec->inflight, 1);
	mark_changed(rec);
	op->changes = rec->changes;
	return 0;
}

/* shmdt with the iterator: the range is the attach's size from addr, learnt from the VMA shmdt
 * takes first (shmdt_reach). Global: verified once with whatever arguments, not once per kind of
 * call (each constant cause would be a path of its own through the walks). */
__noinline int range_enter(struct range_args *ra)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mm = task_mm(task);
	__u64 start, len, start2, len2, newlen;
	__u32 cause, flags;
	struct scratch *sc;
	struct shmw_mm *rec;
	struct range_op *op;
	__u64 hi, hi2;
	bool shmdt;

	if (!mm || !ra)
		return 0;
	start = ra->start;
	len = ra->len;
	start2 = ra->start2;
	len2 = ra->len2;
	newlen = ra->newlen;
	cause = ra->cause;
	flags = ra->flags;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec && !seeding)
		return 0; /* holds nothing: the fast path for nearly every process */

	hi = (start + len + 4095) & PAGE_MASK_4K;
	hi2 = len2 ? (start2 + len2 + 4095) & PAGE_MASK_4K : 0;
	if (rec && (flags & RE_DONTFORK))
		mm_flag(rec, SHMW_MM_DONTCOPY); /* a walk clears it if none is left */
	/* Count into per-CPU scratch first: most calls reach no SysV VMA and then leave no
	 * record at all. The ranges live in scratch memory too (counters kept on the stack
	 * across the iterator loop trouble the verifier). */
	sc = cpu_scratch();
	if (!sc)
		return 0;
	shmdt = cause == SHMW_CAUSE_SHMDT;
	/* What the end needs, kept in scratch across the walks: on the stack it made this frame
	 * the one that took on_vma_call's deepest chain past 6.1's 512 bytes. */
	sc->op.cause = cause;
	sc->op.mm = mm;
	sc->op.len2 = newlen;
	acc_reset(&sc->acc);
	sc->op.lo = start & PAGE_MASK_4K;
	sc->op.hi = shmdt ? shmdt_reach(task, sc->op.lo) : hi;
	sc->op.lo2 = hi2 ? start2 & PAGE_MASK_4K : 0;
	sc->op.hi2 = hi2;
	if (!shmdt) {
		/* From 6.7 a SysV VMA merges with its neighbour when only their boundary moves
		 * (no VMA goes, so no close op runs): a call can grow the VMA just before or after
		 * its range. Both walks count the neighbours too (docs/design.md). */
		sc->op.lo = sc->op.lo >= SHMW_PAGE ? sc->op.lo - SHMW_PAGE : 0;
		sc->op.hi += SHMW_PAGE;
		if (hi2) {
			sc->op.lo2 = sc->op.lo2 >= SHMW_PAGE ? sc->op.lo2 - SHMW_PAGE : 0;
			sc->op.hi2 += SHMW_PAGE;
		}
	}
	walk_range(task, &sc->acc, &sc->op.lo, &sc->op.hi, NULL);
	if (sc->op.hi2) {
		sc->skip[0] = sc->op.lo;
		sc->skip[1] = sc->op.hi;
		sc->skip[2] = 0;
		walk_range(task, &sc->acc, &sc->op.lo2, &sc->op.hi2, sc->skip);
	}
	if (!sc->acc.nsegs && sc->acc.overflow != ACC_BUSY)
		return 0; /* no SysV VMA in reach: this call cannot change what the mm holds */
	if (!rec) {
		/* Seeding, or an mm we never saw gain a VMA: walk it again later. */
		rec = mm_get(sc->op.mm, 0);
		if (!rec)
			return 0;
		if (!seeding)
			mm_incomplete(rec, sc->op.mm, sc->op.cause, SHMW_STAT_SEED_RETRY);
	}
	op = op_start(OP_RANGE);
	if (!op)
		return 0;
	op->cause = sc->op.cause;
	op->mm = sc->op.mm;
	op->lo = sc->op.lo;
	op->hi = sc->op.hi;
	op->lo2 = sc->op.lo2;
	op->hi2 = sc->op.hi2;
	op->len2 = sc->op.len2;
	op_keep_before(op, &sc->acc, current_tid());
	__sync_fetch_and_add(&rec->inflight, 1);
	mark_changed(rec);
	return 0;
}

/* VMAs of a segment in a walk result, or -1 if it saw none. Global: called in loops. */
__noinline int acc_count(struct shmw_acc *acc, __u32 ns, __u32 shmid)
{
	int i;

	if (!acc)
		return -1;
	for (i = 0; i < ACC_SEGS; i++) {
		if (i >= acc->nsegs)
			break;
		if (acc->segs[i].ns == ns && acc->segs[i].shmid == shmid)
			return acc->segs[i].n;
	}
	return -1;
}

/* Applies after - before for every segment either side saw. */
__noinline int apply_diff(struct shmw_mm *rec, struct shmw_acc *before, struct shmw_acc *after,
			  struct hold_op *op)
{
	int i, n;

	if (!rec || !before || !after || !op)
		return 0;
	if (before->overflow || after->overflow) {
		/* One side is unknown (ACC_BUSY) or incomplete: a diff would be wrong. */
		mm_incomplete(rec, op->mm, op->cause, SHMW_STAT_OVERFLOW);
		return 0;
	}
	for (i = 0; i < ACC_SEGS; i++) {
		struct acc_seg *a = &after->segs[i];

		if (i >= after->nsegs)
			break;
		n = acc_count(before, a->ns, a->shmid);
		hold_apply(rec, a, (int)a->n - (n < 0 ? 0 : n), op);
	}
	for (i = 0; i < ACC_SEGS; i++) {
		struct acc_seg *b = &before->segs[i];

		if (i >= before->nsegs)
			break;
		if (acc_count(after, b->ns, b->shmid) < 0)
			hold_apply(rec, b, -(int)b->n, op);
	}
	return 0;
}

/* Applies the signed counts in acc (exact_enter, split_after). Global: a loop. */
__noinline int apply_deltas(struct shmw_mm *rec, struct shmw_acc *acc, struct hold_op *op)
{
	int i;

	if (!rec || !acc || !op)
		return 0;
	for (i = 0; i < ACC_SEGS; i++) {
		if (i >= acc->nsegs)
			break;
		hold_apply(rec, &acc->segs[i], (int)acc->segs[i].n, op);
	}
	if (acc->overflow)
		mm_incomplete(rec, op->mm, op->cause, SHMW_STAT_OVERFLOW);
	return 0;
}

/*
 * sys_exit of a call exact_enter counted: applies what it did. before: EXACT_DELTA's counts
 * (op_before); acc: scratch for EXACT_SPLIT. Returns 0, or -1 when the counts cannot be
 * trusted (another change between enter and exit, a busy probe, a call that failed after
 * changing something): the caller asks for a walk.
 */
__noinline int exact_exit(struct range_op *op, struct shmw_mm *rec, struct shmw_acc *before,
			  struct shmw_acc *acc, long ret)
{
	bool failed = ret < 0 && ret >= -MAX_ERRNO;
	struct hold_op hop = {};
	struct vma_hit hit = {};

	if (!op || !rec || !before || !acc)
		return 0;
	hop.mm = op->mm;
	hop.cause = op->cause;
	hop.actor = current_tgid();
	/* Enter's own mark_changed is in op->changes: anything else means another call. */
	if (rec->changes != op->changes)
		return -1;
	if (op->exact == EXACT_SPLIT) {
		acc_reset(acc);
		if (split_after(&op->ends, acc))
			return -1;
		apply_deltas(rec, acc, &hop);
		return 0;
	}
	if (failed) {
		/* shmdt fails before it removes anything; munmap, mmap and remap_file_pages
		 * may fail after unmapping part of the range. */
		return op->cause == SHMW_CAUSE_SHMDT ? 0 : -1;
	}
	if (op->exact & EXACT_NEWVMA) {
		/* The new mapping is a SysV VMA when it maps a segment's file again. */
		if (probe(op->lo, &hit))
			return -1;
		if (hit.start == op->lo && acc_file_add(before, hit.file, 1))
			span_add(rec, hit.start, hit.end);
	}
	apply_deltas(rec, before, &hop);
	return 0;
}

static void op_finish(struct shmw_mm *rec)
{
	__sync_fetch_and_sub(&rec->inflight, 1);
	mark_changed(rec);
}

static __noinline int range_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = current_tid();
	struct scratch *sc = cpu_scratch();
	struct shmw_acc *before;
	struct range_op *op;
	struct shmw_mm *rec;
	__u64 lo, hi, lo2, hi2, fresh;

	op = op_get();
	if (!op)
		return 0;
	if (op->kind != OP_RANGE || !sc)
		goto out;
	rec = bpf_map_lookup_elem(&mms, &op->mm);
	if (!rec)
		goto out;
	if (op->rescan) {
		/* Flag first: a call entering between the two must not think the span exact.
		 * A failed shmdt changed nothing: an exact record needs no walk for it. */
		if (!(op->cause == SHMW_CAUSE_SHMDT && ret &&
		      (rec->flags & (SHMW_MM_SEEDED | SHMW_MM_RESCAN)) == SHMW_MM_SEEDED))
			rescan_once(rec, op->mm, op->cause, current_tgid());
		op_finish(rec);
		goto out;
	}
	if (op->exact) {
		/* A spilled count that is gone (a map failure) cannot be applied: walk. */
		before = &sc->before;
		if (op->exact & EXACT_DELTA)
			before = op_before(op, &sc->before, tid);
		if (!before || exact_exit(op, rec, before, &sc->acc, ret))
			rescan_once(rec, op->mm, op->cause, current_tgid());
		op_finish(rec);
		goto out;
	}
	acc_reset(&sc->acc);
	lo = op->lo;
	hi = op->hi;
	lo2 = op->lo2;
	hi2 = op->hi2;
	fresh = 0;
	if (op->cause == SHMW_CAUSE_MREMAP && ret > 0 && (unsigned long)ret < -MAX_ERRNO) {
		/* Where the mapping went: overlapping the old range, or elsewhere. */
		__u64 nlo = (__u64)ret, nhi = ((__u64)ret + op->len2 + 4095) & PAGE_MASK_4K;

		if (nlo < hi && nhi > lo) {
			lo = nlo < lo ? nlo : lo;
			hi = nhi > hi ? nhi : hi;
		} else if (!(hi2 && nlo >= lo2 && nhi <= hi2)) {
			/* A place enter did not walk: the moved VMA, if it is one of its own. One
			 * it grew instead (merged into, 6.7+) was there before, uncounted: not
			 * counted now either. */
			lo2 = nlo;
			hi2 = nhi;
			fresh = 1;
		}
	}
	walk_range(task, &sc->acc, &lo, &hi, NULL);
	if (hi2) {
		sc->skip[0] = lo;
		sc->skip[1] = hi;
		sc->skip[2] = fresh;
		walk_range(task, &sc->acc, &lo2, &hi2, sc->skip);
	}
	sc->hop.mm = op->mm;
	sc->hop.cause = op->cause;
	sc->hop.actor = current_tgid();
	sc->hop.quiet = 0;
	sc->hop.keep = 0;
	before = op_before(op, &sc->before, tid);
	if (before)
		apply_diff(rec, before, &sc->acc, &sc->hop);
	else /* the spilled count is gone (cannot happen but by a map failure): recount */
		mm_incomplete(rec, op->mm, op->cause, SHMW_STAT_OVERFLOW);
	op_finish(rec);
out:
	if (op->big)
		bpf_map_delete_elem(&ops_big, &tid);
	op_end(op);
	return 0;
}

/* ---- shmat ---- */

/* flags: shmat's third argument. */
static __noinline int shmat_enter(__u64 addr, __u64 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mm = task_mm(task);
	struct shmw_mm *rec;
	struct range_op *op;

	if (!mm)
		return 0;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec) {
		if (!seeding)
			return 0; /* exit creates the record; no walk can race with us */
		rec = mm_get(mm, 0);
		if (!rec)
			return 0;
	}
	op = op_start(OP_SHMAT);
	if (!op)
		return 0;
	op->mm = mm;
	op->remap = (flags & SHM_REMAP) && addr;
	__sync_fetch_and_add(&rec->inflight, 1);
	mark_changed(rec);
	return 0;
}

static __noinline int shmat_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = current_tgid();
	struct scratch *sc = cpu_scratch();
	__u64 mm = task_mm(task);
	struct hold_op hop = {.mm = mm, .cause = SHMW_CAUSE_SHMAT, .actor = tgid};
	struct range_op *op;
	struct shmw_mm *rec;
	struct vma_hit hit = {};
	bool remap = false;

	op = op_get();
	if (op && op->kind == OP_SHMAT)
		remap = op->remap;
	if (ret < 0 && ret >= -MAX_ERRNO)
		goto out;
	if (!sc || !mm)
		goto out;
	acc_reset(&sc->acc);
	/* The one VMA at the address shmat returned: a lookup, not a walk. */
	if (find_shm_at(task, (__u64)ret, &sc->acc, &hit) == -SHMW_EBUSY) {
		/* The mmap lock was busy: we cannot tell what is there now. */
		rec = mm_get(mm, 0);
		if (rec)
			request_rescan(rec, mm, SHMW_CAUSE_SHMAT, tgid);
		goto out;
	}
	if (!sc->acc.nsegs)
		goto out; /* already unmapped again by another thread */
	/* No record after seeding means the mm held nothing: the count is exact. */
	rec = mm_get(mm, seeding ? 0 : SHMW_MM_SEEDED);
	if (!rec)
		goto out;
	hold_apply(rec, &sc->acc.segs[0], 1, &hop);
	if (!have_vma_iter())
		span_add(rec, hit.start, hit.end);
	if (remap) /* SHM_REMAP may have replaced other SysV VMAs: have user space walk it */
		mm_incomplete(rec, mm, SHMW_CAUSE_SHMAT, SHMW_STAT_OVERFLOW);
out:
	if (op) {
		if (op->kind == OP_SHMAT) {
			rec = bpf_map_lookup_elem(&mms, &op->mm);
			if (rec)
				op_finish(rec);
		}
		op_end(op);
	}
	return 0;
}

/* ---- the program on every VMA-changing syscall ---- */

/*
 * Every syscall that can add, remove or cut SysV VMAs, at its entry and its exit: one program,
 * attached by the loader to each call's two tracepoints with a cookie that names the call
 * (SHMW_CALL_*; user/daemon/kern/loader.c). One program is verified once, and the functions it
 * shares (counting, applying) once for all: start-up time is mostly verification.
 *
 * Counted by range (range_enter, range_exit): munmap, mremap, mmap(MAP_FIXED), shmdt, madvise,
 * remap_file_pages and the calls that can only cut VMAs (change flags on part of one:
 * mprotect, pkey_mprotect, mlock, mlock2, munlock, mbind, mseal). shmat looks up the one VMA
 * it made instead.
 *
 * The kernel refuses to attach a program whose ctx loads reach beyond a tracepoint's record
 * (shmdt has one argument; an exit record has id and ret): only the 8 bytes at offset 16
 * (ret, or the first argument) are loaded from it; the arguments come in one probe read of the
 * six slots the kernel passes every syscall program (perf_call_bpf_enter). Slots past a call's
 * own arguments are read but never used.
 */
/* The size of segment shmid of the current IPC namespace, as far as we know it (0: unknown). */
static __always_inline __u64 seg_size(__u64 shmid)
{
	struct shmw_seg_key k = {.ns = task_ipc_ns(bpf_get_current_task_btf()), .shmid = shmid};
	struct shmw_seg_val *v = bpf_map_lookup_elem(&segs, &k);

	return v ? v->size : 0;
}

/* Whether this thread's shmat is being counted as a range (SHM_REMAP). */
static __always_inline bool shmat_by_range(void)
{
	struct range_op *op = op_get();

	return op && op->kind == OP_RANGE;
}

/* The entry half of on_vma_call: what the call will do, from its arguments. Its own function:
 * the exit half's longer call chain does not carry its frame. */
static __noinline int vma_call_enter(struct trace_event_raw_sys_exit *ctx, __u64 call)
{
	struct range_args ra = {.cause = SHMW_CAUSE_SPLIT};
	__u64 a[6];

	if (call == SHMW_CALL_SHMDT) {
		/* shmdt removes the VMAs of the segment attached at addr within its size. With
		 * the iterator, one walk learns the size from the VMA at addr and counts the
		 * range; without it, probes follow the attachment's pieces (count_shmdt). Its
		 * one argument is where exit records have ret: no probe read. */
		ra.start = (__u64)ctx->ret & PAGE_MASK_4K;
		ra.len = 4096;
		ra.cause = SHMW_CAUSE_SHMDT;
		if (shmdt_by_probes(ra.start))
			return 0;
		return have_vma_iter() ? range_enter(&ra) : range_enter_probes(&ra);
	}
	if (bpf_probe_read_kernel(a, sizeof(a), (void *)ctx + 16))
		return 0;
	ra.start = a[0];
	ra.len = a[1];
	switch (call) {
	case SHMW_CALL_SHMAT:
		/* SHM_REMAP at an address replaces what is mapped there: counted like munmap of the
		 * segment's size from there, with the new mapping found at the exit. */
		ra.len = (a[2] & SHM_REMAP) && a[1] ? seg_size(a[0]) : 0;
		if (!ra.len)
			return shmat_enter(a[1], a[2]);
		ra.start = a[1];
		ra.cause = SHMW_CAUSE_SHMAT;
		ra.flags = RE_NEWVMA;
		break;
	case SHMW_CALL_MMAP:
		/* Only MAP_FIXED can replace existing mappings (MAP_FIXED_NOREPLACE fails). */
		if (!(a[3] & MAP_FIXED))
			return 0;
		ra.cause = SHMW_CAUSE_MUNMAP;
		ra.flags = RE_NEWVMA;
		break;
	case SHMW_CALL_MUNMAP:
		ra.cause = SHMW_CAUSE_MUNMAP;
		break;
	case SHMW_CALL_MREMAP:
		ra.len = a[1] ? a[1] : 1;
		ra.cause = SHMW_CAUSE_MREMAP;
		ra.start2 = a[4];
		ra.len2 = (a[3] & MREMAP_FIXED) ? a[2] : 0;
		ra.newlen = a[2];
		break;
	case SHMW_CALL_REMAP_FILE_PAGES:
		/* Since 3.16 an emulation: mmap(MAP_FIXED) of the VMA's own file over [start,
		 * start + size), both rounded down to pages (mm/mmap.c), so what was there
		 * goes and one new VMA comes. Its cause stays a split. */
		ra.start = a[0] & PAGE_MASK_4K;
		ra.len = a[1] & PAGE_MASK_4K;
		ra.flags = RE_UNMAP | RE_NEWVMA;
		break;
	case SHMW_CALL_MADVISE:
		/* Most advice never cuts (MADV_DONTNEED, WILLNEED, ...): those are counted as
		 * splits that did not happen. MADV_DONTFORK makes fork skip the VMAs. */
		if (a[2] == MADV_DONTFORK)
			ra.flags = RE_DONTFORK;
		break;
	}
	return have_vma_iter() ? range_enter(&ra) : range_enter_probes(&ra);
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int on_vma_call(struct trace_event_raw_sys_exit *ctx)
{
	__u64 call = bpf_get_attach_cookie(ctx);

	if (call == (SHMW_CALL_SHMAT | SHMW_CALL_EXIT) && !shmat_by_range())
		return shmat_exit(ctx->ret);
	if (call & SHMW_CALL_EXIT)
		return range_exit(ctx->ret);
	return vma_call_enter(ctx, call);
}

/* ---- shmget and shmctl(IPC_RMID): the segment lifecycle ---- */

SEC("tracepoint/syscalls/sys_enter_shmctl")
int enter_shmctl(struct trace_event_raw_sys_enter *ctx)
{
	struct range_op *op;

	if ((ctx->args[1] & ~IPC_64) != IPC_RMID)
		return 0;
	op = op_start(OP_RMID);
	if (!op)
		return 0;
	op->shmid = ctx->args[0];
	return 0;
}

/*
 * IPC_RMID succeeded: the segment is marked, and freed at once if nothing maps it; the kernel
 * says which (it has it still, or not). rmid first, then destroy: the kernel's order.
 */
SEC("tracepoint/syscalls/sys_exit_shmctl")
int exit_shmctl(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct shmw_seg_key k;
	struct shmw_seg_val *v;
	struct range_op *op;
	struct kseg ks = {};
	struct ev_seg e = {};
	__u64 nsptr;

	op = op_get();
	if (!op)
		return 0;
	if (op->kind != OP_RMID || ctx->ret != 0)
		goto out;
	nsptr = current_ipc_nsptr();
	k.ns = task_ipc_ns(task);
	k.shmid = op->shmid;
	kseg_find(nsptr, k.shmid, &ks);
	v = bpf_map_lookup_elem(&segs, &k);
	if (v && v->file && ks.found && !seg_is(v, ks.file, ks.igen))
		v = NULL; /* our entry is of an older segment under that id (seg_ensure says so) */
	if (v) {
		__sync_fetch_and_or(&v->flags, SHMW_SEG_DEST);
		ev_seg_of_val(&e, &k, v);
		e.aux = v->nmms > 0 ? v->nmms : 0;
	} else {
		e.ns = k.ns;
		e.shmid = k.shmid;
		if (ks.found) {
			e.size = ks.size;
			e.gen = ks.ctime;
		}
	}
	emit(TC(SHMW_EV_RMID, SHMW_CAUSE_SHMCTL), 0, NULL, &e, current_tgid());
	if (!ks.found) {
		if (v && v->nvma > 0) {
			/* Gone, with VMAs we count: not by this call, which cannot free a mapped
			 * segment, but by a holder's last detach on another CPU between the call
			 * and its exit (exit_mmap reports after the kernel frees). That release
			 * reports the destroy (seg_released: marked, gone), in the kernel's order.
			 */
		} else if (v) {
			seg_destroyed(&k, v, SHMW_CAUSE_SHMCTL, NULL, 0);
		} else {
			emit(TC(SHMW_EV_DESTROY, SHMW_CAUSE_SHMCTL), 0, NULL, &e, current_tgid());
			bpf_map_delete_elem(&segs, &k);
		}
	} else if (!v) {
		/* A segment we had not seen, still held: know it from now on. */
		struct shmw_seg_val init;

		seg_val_init(&init, &ks, nsptr);
		init.flags |= SHMW_SEG_DEST;
		if (bpf_map_update_elem(&segs, &k, &init, BPF_ANY))
			stat_inc(SHMW_STAT_MAP_FULL);
	}
out:
	op_end(op);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_shmget")
int enter_shmget(struct trace_event_raw_sys_enter *ctx)
{
	op_start(OP_SHMGET);
	return 0;
}

/* The creator of a segment, from the kernel: shm_cprid is a struct pid of the creator's thread
 * (its tgid for a single-threaded creator); either names the current process. */
static __always_inline bool created_here(const struct kseg *ks)
{
	__u64 id = bpf_get_current_pid_tgid();
	__s64 now = (__s64)((bpf_ktime_get_boot_ns() + (__u64)realtime_offset) / 1000000000ULL);

	return (ks->cpid == (__u32)id || ks->cpid == id >> 32) && ks->ctime + 2 >= now;
}

/*
 * shmget returned a shmid: created by this call, or found by key. The kernel's entry for it
 * says which: an identity (its shm file) we have no entry for, made by this process just now.
 */
SEC("tracepoint/syscalls/sys_exit_shmget")
int exit_shmget(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct shmw_seg_val *v, init;
	struct shmw_seg_key k;
	struct range_op *op;
	struct kseg ks = {};
	struct ev_seg e;
	__u64 nsptr;
	bool isnew;

	op = op_get();
	if (!op)
		return 0;
	if (op->kind != OP_SHMGET || ctx->ret < 0)
		goto out;
	nsptr = current_ipc_nsptr();
	k.ns = task_ipc_ns(task);
	k.shmid = ctx->ret;
	if (!kseg_find(nsptr, k.shmid, &ks))
		goto out; /* removed already by another thread: its rmid says so */
	v = bpf_map_lookup_elem(&segs, &k);
	if (v && (v->file ? seg_is(v, ks.file, ks.igen) : v->ctime == ks.ctime)) {
		if (!v->file) { /* known from the kernel's table, now by identity too */
			v->file = ks.file;
			v->igen = ks.igen;
			v->nsptr = nsptr;
		}
		goto out; /* found by key */
	}
	isnew = created_here(&ks);
	if (v) /* another segment had this shmid, and its end escaped us */
		seg_destroyed(&k, v, SHMW_CAUSE_NONE, NULL, SHMW_EVF_REUSED);
	seg_val_init(&init, &ks, nsptr);
	if (bpf_map_update_elem(&segs, &k, &init, BPF_ANY))
		stat_inc(SHMW_STAT_MAP_FULL);
	if (isnew) {
		ev_seg_of_val(&e, &k, &init);
		e.aux = ks.mode & 0777;
		emit(TC(SHMW_EV_CREATE, SHMW_CAUSE_SHMGET), 0, NULL, &e, current_tgid());
	}
out:
	op_end(op);
	return 0;
}

#endif
