// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * shmwatch kernel side: the live map of SysV shared memory attachers.
 *
 * The unit of state is an address space (mm): nattch counts VMAs, and VMAs belong to an
 * mm, not to a process (KERNEL-FACTS 1, 3). mms[mm] holds, per segment, how many VMAs of it
 * the mm maps. Every change is applied here first and then sent to user space as an event
 * carrying the post-change count and a global version, so user space can merge events with
 * map snapshots and recover from lost events by re-reading the maps.
 *
 * Counting without fentry (refused on our 6.18 hosts): a syscall that can add, remove or cut
 * SysV VMAs counts them per segment in its address range at sys_enter and again at sys_exit;
 * the difference is what it did. The range is widened to whole SysV VMAs at enter, so pieces
 * of a split VMA stay inside it. fork walks the child's VMAs (it is not running yet), and
 * exit_mmap drops an mm's holdings when the address space really goes (KERNEL-FACTS 3).
 *
 * State that predates us is learned by the iter/task_vma program below: per mm it compares
 * the mm's change counter before and after its walk and installs the counts only when no
 * change raced with it; user space walks the others again.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "shmwatch_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by user space before load. */
const volatile __u64 shm_mmap_addr = 0; /* &shm_mmap, from /proc/kallsyms */
const volatile __u32 no_vma_iter = 0;	/* 1: ask user space for walks even where we can walk */

#include "vma.bpf.h"

#define IPC_RMID     0
#define IPC_64	     0x0100
#define SHM_REMAP    040000
#define MAP_FIXED    0x10
#define MREMAP_FIXED 2
#define PAGE_MASK_4K (~4095ULL)
#define MAX_ERRNO    4095
#define EBUSY	     16
#define VM_DONTCOPY  0x00020000

/* 1 while user space walks all tasks: then every touched mm must be tracked. */
volatile __u32 seeding = 1;
__u64 version_counter = 0;

/* Waking the daemon for each record costs the traced process IPIs (the daemon is usually
 * caught up and asleep, and the ring buffer wakes it whenever it is): wake it at most once per
 * WAKE_NS. The daemon, once it has read records, looks again within a few ms on its own
 * (shmwatchd.c FOLLOWUP_MS), so no record waits longer than that. */
#define WAKE_NS 1000000ULL
__u64 last_wakeup = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct shmw_mm);
} mms SEC(".maps");

/* Slots of the few mms that hold more than SHMW_MM_INLINE segments (SHMW_MM_BIG): kept apart,
 * so that the record of every other holder stays small. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct shmw_mm_big);
} mms_big SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct shmw_sharer);
} sharers SEC(".maps");

/* Per segment: how many address spaces hold it and with how many VMAs. Derived from mms by
 * the same updates, so "who holds X" and nattch are answerable kernel-side by segment. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shmw_seg_key);
	__type(value, struct shmw_seg_val);
} segs SEC(".maps");

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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
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

/* Zeroed templates and per-CPU scratch: these structs do not fit the 512-byte stack. */
struct scratch {
	struct shmw_mm mm;
	struct shmw_mm_big big;
	struct range_op op;
	struct shmw_acc acc;
	struct shmw_acc before; /* range_exit: the op's before count, unpacked */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0: always zero, a template; 1: scratch */
	__type(key, __u32);
	__type(value, struct scratch);
} heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SHMW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct scratch *zero_scratch(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&heap, &k);
}

static __always_inline struct scratch *cpu_scratch(void)
{
	__u32 k = 1;

	return bpf_map_lookup_elem(&heap, &k);
}

/* A kernel address as a plain number: BTF pointers stay pointers to the verifier even when
 * cast, and cannot be passed where a scalar is expected. */
static __always_inline __u64 ptr_val(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

static __always_inline __u64 current_mm(struct task_struct *task)
{
	return (__u64)BPF_CORE_READ(task, mm);
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline __u64 next_version(void)
{
	return __sync_fetch_and_add(&version_counter, 1) + 1;
}

static __always_inline void mark_changed(struct shmw_mm *rec)
{
	__sync_fetch_and_add(&rec->changes, 1);
}

/* Creates the record for an mm that has none. */
static struct shmw_mm *mm_create(__u64 mm, __u32 tgid, __u32 uid, __u32 flags)
{
	struct scratch *z = zero_scratch();
	struct shmw_mm *rec;

	if (!z)
		return NULL;
	if (bpf_map_update_elem(&mms, &mm, &z->mm, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&mms, &mm)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return NULL;
	}
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec)
		return NULL;
	if (!rec->tgid) {
		rec->born = next_version();
		rec->tgid = tgid;
		rec->uid = uid;
		rec->flags = flags;
		bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	}
	return rec;
}

static __always_inline void fill_comm_from_task(char *dst, struct task_struct *task)
{
	bpf_probe_read_kernel_str(dst, SHMW_COMM_LEN, BPF_CORE_READ(task, group_leader, comm));
}

#define TC(type, cause) ((type) | ((cause) << 16))

/* What an event says of a segment: the holder's slot (since, nvma, how) with the segment's
 * own size and key, which records do not keep (they are in the segs map). */
struct ev_seg {
	__u64 size;
	__u64 since;
	__u32 ns;
	__u32 shmid;
	__u32 key;
	__u32 nvma;
	__u32 how;
	__u32 pad;
};

static __always_inline void ev_seg_of(struct ev_seg *e, const struct shmw_mm_slot *s,
				      const struct acc_seg *a)
{
	e->size = a->size;
	e->key = a->key;
	e->since = s->since;
	e->ns = s->ns;
	e->shmid = s->shmid;
	e->nvma = s->nvma;
	e->how = s->how;
	e->pad = 0;
}

/* Sends one event. The version is the record's (callers bump it with the change), or a new
 * one for events that belong to no record. */
static void emit(__u32 tc, __u64 mm, struct shmw_mm *rec, struct ev_seg *seg, __u32 actor)
{
	struct shmw_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(SHMW_STAT_LOST);
		return;
	}
	e->ts = bpf_ktime_get_boot_ns();
	e->version = rec ? rec->version : next_version();
	e->mm = mm;
	e->type = tc & 0xffff;
	e->cause = tc >> 16;
	e->actor = actor;
	if (seg) {
		e->size = seg->size;
		e->since = seg->since;
		e->ns = seg->ns;
		e->shmid = seg->shmid;
		e->key = seg->key;
		e->nvma = seg->nvma;
		e->how = seg->how;
	} else {
		e->size = 0;
		e->since = 0;
		e->ns = 0;
		e->shmid = 0;
		e->key = 0;
		e->nvma = 0;
		e->how = 0;
	}
	if (rec) {
		e->pid = rec->tgid;
		e->uid = rec->uid;
		__builtin_memcpy(e->comm, rec->comm, SHMW_COMM_LEN);
	} else {
		e->pid = actor;
		e->uid = bpf_get_current_uid_gid();
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	if (e->ts - last_wakeup >= WAKE_NS) {
		last_wakeup = e->ts;
		/* Forced: the default wakes only a consumer that has read everything before this
		 * record, and one sent without a wakeup may be unread (the daemon asleep): then
		 * no later record would wake it, and the ring filled until its next tick. */
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	} else {
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
	stat_inc(SHMW_STAT_EVENTS);
}

/* Index of the slot of a segment in an mm record (0..SHMW_MM_SEGS-1: inline, then mms_big),
 * or of a free one; -1 when all are taken. grow: an mm whose inline slots are taken may get
 * its mms_big record now (only to add a segment). Plain loops: tracking a "first free"
 * variable in one loop would give the verifier a different state per iteration (quadratic
 * load time). Global, so that its caller sees one unknown index instead of one path per slot. */
__noinline int mm_slot(struct shmw_mm *rec, __u64 mm, __u32 ns, __u32 shmid, int grow)
{
	struct shmw_mm_big *big = NULL;
	struct scratch *z;
	int i;

	if (!rec)
		return -1;
	for (i = 0; i < SHMW_MM_INLINE; i++) {
		struct shmw_mm_slot *s = &rec->segs[i];

		if (s->nvma && s->ns == ns && s->shmid == shmid)
			return i;
	}
	if (rec->flags & SHMW_MM_BIG) {
		big = bpf_map_lookup_elem(&mms_big, &mm);
		if (big) {
			for (i = 0; i < SHMW_MM_SEGS - SHMW_MM_INLINE; i++) {
				struct shmw_mm_slot *s = &big->segs[i];

				if (s->nvma && s->ns == ns && s->shmid == shmid)
					return SHMW_MM_INLINE + i;
			}
		}
	}
	for (i = 0; i < SHMW_MM_INLINE; i++)
		if (!rec->segs[i].nvma)
			return i;
	if (big) {
		for (i = 0; i < SHMW_MM_SEGS - SHMW_MM_INLINE; i++)
			if (!big->segs[i].nvma)
				return SHMW_MM_INLINE + i;
		return -1;
	}
	if (!grow || (rec->flags & SHMW_MM_BIG))
		return -1; /* (BIG without its record: a map failure; user space walks) */
	z = zero_scratch();
	if (!z || bpf_map_update_elem(&mms_big, &mm, &z->big, BPF_NOEXIST)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return -1;
	}
	rec->flags |= SHMW_MM_BIG;
	return SHMW_MM_INLINE;
}

/* Slot i of an mm record (see mm_slot), or NULL. */
static __always_inline struct shmw_mm_slot *slot_at(struct shmw_mm *rec, __u64 mm, int i)
{
	struct shmw_mm_big *big;

	if (i >= 0 && i < SHMW_MM_INLINE)
		return &rec->segs[i];
	if (i < SHMW_MM_INLINE || i >= SHMW_MM_SEGS || !(rec->flags & SHMW_MM_BIG))
		return NULL;
	big = bpf_map_lookup_elem(&mms_big, &mm);
	return big ? &big->segs[i - SHMW_MM_INLINE] : NULL;
}

/*
 * Adds dvma VMAs and dmms address spaces to the segs entry of segment a (ns, shmid; size and
 * key to create it with). A size of 0 in a means unknown: a is then given the entry's size and
 * key, for the event the caller sends. Global: called in loops.
 */
__noinline int seg_adjust(struct acc_seg *a, int dvma, int dmms)
{
	struct shmw_seg_key k;
	struct shmw_seg_val *v;

	if (!a)
		return 0;
	k.ns = a->ns;
	k.shmid = a->shmid;
	v = bpf_map_lookup_elem(&segs, &k);
	if (!v) {
		struct shmw_seg_val init = {.size = a->size, .key = a->key};

		if (dvma <= 0 && dmms <= 0)
			return 0;
		if (bpf_map_update_elem(&segs, &k, &init, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&segs, &k)) {
			stat_inc(SHMW_STAT_MAP_FULL);
			return -1;
		}
		v = bpf_map_lookup_elem(&segs, &k);
		if (!v)
			return -1;
	}
	if (!a->size) {
		a->size = v->size;
		a->key = v->key;
	}
	if (!dvma && !dmms)
		return 0;
	__sync_fetch_and_add(&v->nvma, dvma);
	__sync_fetch_and_add(&v->nmms, dmms);
	if (v->nmms <= 0 && v->nvma <= 0)
		bpf_map_delete_elem(&segs, &k);
	return 0;
}

/* The segment of slot s, to look up or adjust in segs. */
static __always_inline void acc_of_slot(struct acc_seg *a, const struct shmw_mm_slot *s)
{
	a->size = 0;
	a->key = 0;
	a->ns = s->ns;
	a->shmid = s->shmid;
	a->n = s->nvma;
}

/*
 * Applies "this mm now maps n VMAs of segment a" (delta relative to what it had), emits the
 * event. Returns 0, or -1 when the record had no room (user space then walks the mm).
 */
/* Global (verified once, not per call site): called in loops. */
__noinline int mm_apply(struct shmw_mm *rec, struct acc_seg *a, __u64 mm, int delta, __u32 cause)
{
	__u32 actor = current_tgid();
	struct shmw_mm_slot *s;
	struct ev_seg e;
	__u32 old, now, type;
	int idx;

	if (!rec || !a || !delta)
		return 0;
	idx = mm_slot(rec, mm, a->ns, a->shmid, delta > 0);
	s = slot_at(rec, mm, idx);
	if (!s) {
		rec->flags |= SHMW_MM_OVERFLOW;
		stat_inc(SHMW_STAT_OVERFLOW);
		rec->version = next_version();
		emit(TC(SHMW_EV_OVERFLOW, cause), mm, rec, NULL, actor);
		return -1;
	}
	old = s->nvma;
	if (delta < 0 && (__u32)-delta > old) {
		/* We counted fewer than the kernel removed: our count was wrong. */
		rec->flags |= SHMW_MM_OVERFLOW;
		stat_inc(SHMW_STAT_OVERFLOW);
		now = 0;
	} else {
		now = old + delta;
	}
	if (!old) {
		s->ns = a->ns;
		s->shmid = a->shmid;
		s->since = bpf_ktime_get_boot_ns();
		s->how = cause;
	}
	s->nvma = now;
	seg_adjust(a, (int)now - (int)old, (!old && now) - (old && !now));
	rec->version = next_version();
	type = !old ? SHMW_EV_ATTACH : !now ? SHMW_EV_DETACH : SHMW_EV_VMAS;
	if (rec->flags & SHMW_MM_SEEDED) {
		ev_seg_of(&e, s, a);
		emit(TC(type, cause), mm, rec, &e, actor);
	}
	return 0;
}

/* Starts this thread's syscall record (zeroed, of the given kind) for its sys_exit. */
static __always_inline struct range_op *op_start(__u32 tid, __u32 kind)
{
	struct scratch *z = zero_scratch();
	struct range_op *op;

	if (!z)
		return NULL;
	if (bpf_map_update_elem(&ops, &tid, &z->op, BPF_ANY)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return NULL;
	}
	op = bpf_map_lookup_elem(&ops, &tid);
	if (op)
		op->kind = kind;
	return op;
}

/*
 * The mm changed in a way we could not count (no VMA iterator: before 6.7): its counts are
 * stale until user space, told by this event, has walked it with the iter/task_vma program.
 */
static void request_rescan(struct shmw_mm *rec, __u64 mm, __u32 cause, __u32 actor)
{
	rec->flags |= SHMW_MM_RESCAN;
	rec->version = next_version();
	stat_inc(SHMW_STAT_RESCAN);
	emit(TC(SHMW_EV_RESCAN, cause), mm, rec, NULL, actor);
}

/* A walk is pending already (its request is in the ring, or the daemon retries it on its tick):
 * one request covers any number of later changes, and a process that changes faster than it
 * can be walked does not flood the ring with requests. */
static __always_inline void rescan_once(struct shmw_mm *rec, __u64 mm, __u32 cause, __u32 actor)
{
	if (!(rec->flags & SHMW_MM_RESCAN))
		request_rescan(rec, mm, cause, actor);
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

/* ---- syscalls that add, remove or cut VMAs in a range ---- */

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

/* What enter_range read of a call: its range(s) and how to count it. */
struct range_args {
	__u64 start, len;
	__u64 start2, len2; /* mremap's destination (MREMAP_FIXED), or 0 */
	__u64 newlen;	    /* mremap's new length */
	__u32 cause;
	__u32 flags; /* RE_* */
};

/* shmdt with the iterator: the range is the attach's size from addr, learnt from the VMA at addr
 * by the walk. Global: verified once with whatever arguments, not once per kind of call (each
 * constant cause would be a path of its own through the walks). */
__noinline int range_enter(struct range_args *ra)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mm = current_mm(task);
	__u64 start, len, start2, len2, newlen;
	__u32 cause, flags;
	struct scratch *sc;
	struct shmw_mm *rec;
	struct range_op *op;
	__u32 tid = current_tid();
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
	if (!have_vma_iter()) {
		/* We cannot walk the range. A call that may reach a SysV VMA of an mm whose
		 * counts are exact is counted by probes; else (and when probing cannot tell)
		 * sys_exit asks for a walk, for an mm that holds something (or, while seeding,
		 * any mm). shmdt may detach pieces beyond any range we could name. */
		if (rec && cause != SHMW_CAUSE_SHMDT &&
		    !may_reach(rec, start & PAGE_MASK_4K, hi, start2 & PAGE_MASK_4K, hi2))
			return 0;
		if (!rec)
			rec = mm_create(mm, current_tgid(), bpf_get_current_uid_gid(), 0);
		if (!rec)
			return 0;
		sc = cpu_scratch();
		if (!sc)
			return 0;
		op = op_start(tid, OP_RANGE);
		if (!op)
			return 0;
		op->cause = cause;
		op->mm = mm;
		op->lo = start & PAGE_MASK_4K;
		op->hi = hi;
		if (flags & RE_DONTFORK)
			rec->flags |= SHMW_MM_DONTCOPY; /* a walk clears it if none is left */
		switch (exact_enter(op, rec, &sc->acc, flags)) {
		case 0:
			bpf_map_delete_elem(&ops, &tid);
			return 0;
		case 1:
			if (op->exact & EXACT_DELTA)
				op_keep_before(op, &sc->acc, tid);
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
	/* Count into per-CPU scratch first: most calls reach no SysV VMA and then leave no
	 * record at all. The ranges live in scratch memory too (counters kept on the stack
	 * across the iterator loop trouble the verifier). */
	sc = cpu_scratch();
	if (!sc)
		return 0;
	shmdt = cause == SHMW_CAUSE_SHMDT;
	acc_reset(&sc->acc);
	sc->op.lo = start & PAGE_MASK_4K;
	sc->op.hi = shmdt ? sc->op.lo + 1 : hi;
	sc->op.lo2 = hi2 ? start2 & PAGE_MASK_4K : 0;
	sc->op.hi2 = hi2;
	walk_range(task, &sc->acc, &sc->op.lo, &sc->op.hi, shmdt ? start & PAGE_MASK_4K : 0);
	if (sc->op.hi2)
		walk_range(task, &sc->acc, &sc->op.lo2, &sc->op.hi2, 0);
	if (!sc->acc.nsegs && sc->acc.overflow != ACC_BUSY)
		return 0; /* no SysV VMA in reach: this call cannot change what the mm holds */
	if (!rec) {
		/* Seeding, or an mm we never saw gain a VMA: walk it again later. */
		rec = mm_create(mm, current_tgid(), bpf_get_current_uid_gid(), 0);
		if (!rec)
			return 0;
		if (!seeding) {
			stat_inc(SHMW_STAT_SEED_RETRY);
			rec->version = next_version();
			emit(TC(SHMW_EV_OVERFLOW, cause), mm, rec, NULL, current_tgid());
		}
	}
	op = op_start(tid, OP_RANGE);
	if (!op)
		return 0;
	op->cause = cause;
	op->mm = mm;
	op->lo = sc->op.lo;
	op->hi = sc->op.hi;
	op->lo2 = sc->op.lo2;
	op->hi2 = sc->op.hi2;
	op->len2 = newlen;
	op_keep_before(op, &sc->acc, tid);
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
	for (i = 0; i < SHMW_MM_SEGS; i++) {
		if (i >= acc->nsegs)
			break;
		if (acc->segs[i].ns == ns && acc->segs[i].shmid == shmid)
			return acc->segs[i].n;
	}
	return -1;
}

/* Applies after - before for every segment either side saw. */
__noinline int apply_diff(struct shmw_mm *rec, struct shmw_acc *before, struct shmw_acc *after,
			  __u64 mm, __u32 cause)
{
	int i, n;

	if (!rec || !before || !after)
		return 0;
	if (before->overflow == ACC_BUSY || after->overflow == ACC_BUSY)
		goto walk; /* one side is unknown: a diff would be wrong */
	for (i = 0; i < SHMW_MM_SEGS; i++) {
		struct acc_seg *a = &after->segs[i];

		if (i >= after->nsegs)
			break;
		n = acc_count(before, a->ns, a->shmid);
		mm_apply(rec, a, mm, (int)a->n - (n < 0 ? 0 : n), cause);
	}
	for (i = 0; i < SHMW_MM_SEGS; i++) {
		struct acc_seg *b = &before->segs[i];

		if (i >= before->nsegs)
			break;
		if (acc_count(after, b->ns, b->shmid) < 0)
			mm_apply(rec, b, mm, -(int)b->n, cause);
	}
walk:
	if (before->overflow || after->overflow) {
		rec->flags |= SHMW_MM_OVERFLOW;
		stat_inc(SHMW_STAT_OVERFLOW);
		rec->version = next_version();
		emit(TC(SHMW_EV_OVERFLOW, cause), mm, rec, NULL, current_tgid());
	}
	return 0;
}

/* Applies the signed counts in acc (exact_enter, split_after). Global: a loop. */
__noinline int apply_deltas(struct shmw_mm *rec, struct shmw_acc *acc, __u64 mm, __u32 cause)
{
	int i;

	if (!rec || !acc)
		return 0;
	for (i = 0; i < SHMW_MM_SEGS; i++) {
		if (i >= acc->nsegs)
			break;
		mm_apply(rec, &acc->segs[i], mm, (int)acc->segs[i].n, cause);
	}
	if (acc->overflow) {
		rec->flags |= SHMW_MM_OVERFLOW;
		stat_inc(SHMW_STAT_OVERFLOW);
		rec->version = next_version();
		emit(TC(SHMW_EV_OVERFLOW, cause), mm, rec, NULL, current_tgid());
	}
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
	struct vma_hit hit = {};
	__u64 mm;

	if (!op || !rec || !before || !acc)
		return 0;
	mm = op->mm;
	/* Enter's own mark_changed is in op->changes: anything else means another call. */
	if (rec->changes != op->changes)
		return -1;
	if (op->exact == EXACT_SPLIT) {
		acc_reset(acc);
		if (split_after(&op->ends, acc))
			return -1;
		apply_deltas(rec, acc, mm, op->cause);
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
	apply_deltas(rec, before, mm, op->cause);
	return 0;
}

static void op_finish(struct shmw_mm *rec)
{
	__sync_fetch_and_sub(&rec->inflight, 1);
	mark_changed(rec);
}

static int range_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = current_tid();
	struct scratch *sc = cpu_scratch();
	struct shmw_acc *before;
	struct range_op *op;
	struct shmw_mm *rec;
	__u64 lo, hi, lo2, hi2;

	op = bpf_map_lookup_elem(&ops, &tid);
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
	if (op->cause == SHMW_CAUSE_MREMAP && ret > 0 && (unsigned long)ret < -MAX_ERRNO) {
		/* Where the mapping went: overlapping the old range, or elsewhere. */
		__u64 nlo = (__u64)ret, nhi = ((__u64)ret + op->len2 + 4095) & PAGE_MASK_4K;

		if (nlo < hi && nhi > lo) {
			lo = nlo < lo ? nlo : lo;
			hi = nhi > hi ? nhi : hi;
		} else if (!(hi2 && nlo >= lo2 && nhi <= hi2)) {
			lo2 = nlo;
			hi2 = nhi;
		}
	}
	walk_range(task, &sc->acc, &lo, &hi, 0);
	if (hi2)
		walk_range(task, &sc->acc, &lo2, &hi2, 0);
	before = op_before(op, &sc->before, tid);
	if (before) {
		apply_diff(rec, before, &sc->acc, op->mm, op->cause);
	} else {
		/* The spilled count is gone (cannot happen but by a map failure): recount. */
		stat_inc(SHMW_STAT_OVERFLOW);
		rec->flags |= SHMW_MM_OVERFLOW;
		rec->version = next_version();
		emit(TC(SHMW_EV_OVERFLOW, op->cause), op->mm, rec, NULL, current_tgid());
	}
	op_finish(rec);
out:
	if (op->big)
		bpf_map_delete_elem(&ops_big, &tid);
	bpf_map_delete_elem(&ops, &tid);
	return 0;
}

/* ---- shmat ---- */

/* flags: shmat's third argument. */
static __always_inline int shmat_enter(__u64 addr, __u64 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mm = current_mm(task);
	__u32 tid = current_tid();
	struct shmw_mm *rec;
	struct range_op *op;

	if (!mm)
		return 0;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec) {
		if (!seeding)
			return 0; /* exit creates the record; no walk can race with us */
		rec = mm_create(mm, current_tgid(), bpf_get_current_uid_gid(), 0);
		if (!rec)
			return 0;
	}
	op = op_start(tid, OP_SHMAT);
	if (!op)
		return 0;
	op->mm = mm;
	op->remap = (flags & SHM_REMAP) && addr;
	__sync_fetch_and_add(&rec->inflight, 1);
	mark_changed(rec);
	return 0;
}

static __always_inline int shmat_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = current_tid(), tgid = current_tgid();
	struct scratch *sc = cpu_scratch();
	__u64 mm = current_mm(task);
	struct range_op *op;
	struct shmw_mm *rec;
	struct vma_hit hit = {};
	bool remap = false;

	op = bpf_map_lookup_elem(&ops, &tid);
	if (op && op->kind == OP_SHMAT)
		remap = op->remap;
	if (ret < 0 && ret >= -MAX_ERRNO)
		goto out;
	if (!sc || !mm)
		goto out;
	acc_reset(&sc->acc);
	/* The one VMA at the address shmat returned: a lookup, not a walk. */
	if (find_shm_at(task, (__u64)ret, &sc->acc, &hit) == -EBUSY) {
		/* The mmap lock was busy: we cannot tell what is there now. */
		rec = bpf_map_lookup_elem(&mms, &mm);
		if (!rec)
			rec = mm_create(mm, tgid, bpf_get_current_uid_gid(), 0);
		if (rec)
			request_rescan(rec, mm, SHMW_CAUSE_SHMAT, tgid);
		goto out;
	}
	if (!sc->acc.nsegs)
		goto out; /* already unmapped again by another thread */
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec) {
		/* No record after seeding means the mm held nothing: the count is exact. */
		rec = mm_create(mm, tgid, bpf_get_current_uid_gid(), seeding ? 0 : SHMW_MM_SEEDED);
		if (!rec)
			goto out;
	}
	sc->acc.segs[0].n = 1;
	mm_apply(rec, &sc->acc.segs[0], mm, 1, SHMW_CAUSE_SHMAT);
	if (!have_vma_iter())
		span_add(rec, hit.start, hit.end);
	if (remap) {
		/* SHM_REMAP may have replaced other SysV VMAs: have user space walk the mm. */
		rec->flags |= SHMW_MM_OVERFLOW;
		rec->version = next_version();
		emit(TC(SHMW_EV_OVERFLOW, SHMW_CAUSE_SHMAT), mm, rec, NULL, tgid);
	}
out:
	if (op) {
		if (op->kind == OP_SHMAT) {
			rec = bpf_map_lookup_elem(&mms, &op->mm);
			if (rec)
				op_finish(rec);
		}
		bpf_map_delete_elem(&ops, &tid);
	}
	return 0;
}

/* ---- the program on every VMA-changing syscall ---- */

#define MADV_DONTFORK 10

/*
 * Every syscall that can add, remove or cut SysV VMAs, at its entry and its exit: one program,
 * attached by the loader to each call's two tracepoints with a cookie that names the call
 * (SHMW_CALL_*; user/loader.c). One program is verified once, and the functions it shares
 * (counting, applying) once for all: start-up time is mostly verification.
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
SEC("tracepoint/syscalls/sys_enter_munmap")
int on_vma_call(struct trace_event_raw_sys_exit *ctx)
{
	struct range_args ra = {.cause = SHMW_CAUSE_SPLIT};
	__u64 call = bpf_get_attach_cookie(ctx);
	__u64 a[6];

	if (call & SHMW_CALL_EXIT) {
		if (call == (SHMW_CALL_SHMAT | SHMW_CALL_EXIT))
			return shmat_exit(ctx->ret);
		return range_exit(ctx->ret);
	}
	if (call == SHMW_CALL_SHMDT) {
		/* shmdt removes the VMAs of the segment attached at addr within its size. With
		 * the iterator, one walk learns the size from the VMA at addr and counts the
		 * range; without it, probes follow the attachment's pieces (count_shmdt). Its
		 * one argument is where exit records have ret: no probe read. */
		ra.start = (__u64)ctx->ret & PAGE_MASK_4K;
		ra.len = 4096;
		ra.cause = SHMW_CAUSE_SHMDT;
		return range_enter(&ra);
	}
	if (bpf_probe_read_kernel(a, sizeof(a), (void *)ctx + 16))
		return 0;
	ra.start = a[0];
	ra.len = a[1];
	switch (call) {
	case SHMW_CALL_SHMAT:
		return shmat_enter(a[1], a[2]);
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
	return range_enter(&ra);
}

/* ---- shmctl, shmget ---- */

SEC("tracepoint/syscalls/sys_enter_shmctl")
int enter_shmctl(struct trace_event_raw_sys_enter *ctx)
{
	struct range_op *op;

	if ((ctx->args[1] & ~IPC_64) != IPC_RMID)
		return 0;
	op = op_start(current_tid(), OP_RMID);
	if (!op)
		return 0;
	op->shmid = ctx->args[0];
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_shmctl")
int exit_shmctl(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = current_tid();
	struct ev_seg seg = {};
	struct range_op *op;

	op = bpf_map_lookup_elem(&ops, &tid);
	if (!op)
		return 0;
	if (op->kind == OP_RMID && ctx->ret == 0) {
		seg.shmid = op->shmid;
		seg.ns = BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum);
		emit(TC(SHMW_EV_RMID, SHMW_CAUSE_SHMCTL), 0, NULL, &seg, current_tgid());
	}
	bpf_map_delete_elem(&ops, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_shmget")
int enter_shmget(struct trace_event_raw_sys_enter *ctx)
{
	struct range_op *op = op_start(current_tid(), OP_SHMGET);

	if (!op)
		return 0;
	op->lo = (__u32)ctx->args[0]; /* key */
	op->hi = ctx->args[1];	      /* size */
	op->shmid = ctx->args[2];     /* shmflg */
	return 0;
}

/* Segment creation for the lifecycle log: user space tells a new shmid from a lookup. */
SEC("tracepoint/syscalls/sys_exit_shmget")
int exit_shmget(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = current_tid();
	struct ev_seg seg = {};
	struct range_op *op;

	op = bpf_map_lookup_elem(&ops, &tid);
	if (!op)
		return 0;
	if (op->kind == OP_SHMGET && ctx->ret >= 0) {
		seg.shmid = ctx->ret;
		seg.ns = BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum);
		seg.key = op->lo;
		seg.size = op->hi;
		seg.nvma = op->shmid & 0777;
		emit(TC(SHMW_EV_SHMGET, SHMW_CAUSE_NONE), 0, NULL, &seg, current_tgid());
	}
	bpf_map_delete_elem(&ops, &tid);
	return 0;
}

#include "fentry.bpf.h"

/* ---- process life: fork, exec, exit, and the end of an address space ---- */

/* Entries of the sharers map, kept by every insertion and deletion below: at 0 an exit
 * without an mm need not search the map. shmw_mm.nsharers does the same per mm. */
__u64 nsharers_all = 0;

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
	__u64 oldmm;

	if (old) {
		oldmm = old->mm;
		if (bpf_map_update_elem(&sharers, &tgid, sh, BPF_ANY))
			return -1;
		if (oldmm != sh->mm) {
			mm_sharers_add(oldmm, -1);
			mm_sharers_add(sh->mm, 1);
		}
		return 0;
	}
	if (bpf_map_update_elem(&sharers, &tgid, sh, BPF_NOEXIST)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return -1;
	}
	__sync_fetch_and_add(&nsharers_all, 1);
	mm_sharers_add(sh->mm, 1);
	return 0;
}

static __always_inline void sharer_del(__u32 tgid, __u64 mm)
{
	if (bpf_map_delete_elem(&sharers, &tgid))
		return;
	__sync_fetch_and_sub(&nsharers_all, 1);
	mm_sharers_add(mm, -1);
}

static long find_sharer_cb(struct bpf_map *map, __u32 *tgid, struct shmw_sharer *sh, __u64 *ctx)
{
	/* ctx[0]: mm to match in; ctx[1]: tgid found out */
	if (sh->mm == ctx[0]) {
		ctx[1] = *tgid;
		return 1;
	}
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u64 pmm = current_mm(parent), cmm = current_mm(child);
	__u32 ctgid = child->tgid, ptgid = parent->tgid;
	struct scratch *sc;
	struct shmw_mm *prec, *crec;
	struct shmw_mm_big *pbig;
	int i;

	if (fentry_mode && cmm && cmm != pmm)
		return fentry_adopt(parent, child, cmm); /* dup_mmap already counted */
	if (!pmm)
		return 0;
	prec = bpf_map_lookup_elem(&mms, &pmm);
	if (!prec && !seeding)
		return 0;
	if (cmm == pmm) {
		/* Thread, vfork child or CLONE_VM sibling: no new attachment (KERNEL-FACTS 3). */
		struct shmw_sharer sh = {};

		if (!prec || ctgid == ptgid)
			return 0;
		sh.mm = pmm;
		sh.since = bpf_ktime_get_boot_ns();
		sh.uid = bpf_get_current_uid_gid();
		fill_comm_from_task(sh.comm, parent);
		if (sharer_put(ctgid, &sh))
			return 0;
		if (prec->flags & SHMW_MM_SEEDED)
			prec->version = next_version();
		emit(TC(SHMW_EV_SHARE, SHMW_CAUSE_FORK), pmm, prec, NULL, ctgid);
		return 0;
	}
	if (!cmm || fentry_mode)
		return 0;
	if (!have_vma_iter() && prec &&
	    (prec->flags & (SHMW_MM_SEEDED | SHMW_MM_RESCAN | SHMW_MM_DONTCOPY |
			    SHMW_MM_OVERFLOW)) == SHMW_MM_SEEDED &&
	    !prec->inflight) {
		/* The parent's counts are exact and nothing is changing them (dup_mmap ran
		 * under its mmap lock), and it maps no VMA fork skips: the child has them all. */
		sc = cpu_scratch();
		if (!sc)
			return 0;
		acc_reset(&sc->acc);
		for (i = 0; i < SHMW_MM_INLINE; i++)
			acc_of_slot(&sc->acc.segs[i], &prec->segs[i]);
		pbig = NULL;
		if (prec->flags & SHMW_MM_BIG)
			pbig = bpf_map_lookup_elem(&mms_big, &pmm);
		if (pbig) {
			for (i = 0; i < SHMW_MM_SEGS - SHMW_MM_INLINE; i++)
				acc_of_slot(&sc->acc.segs[SHMW_MM_INLINE + i], &pbig->segs[i]);
		} else {
			for (i = SHMW_MM_INLINE; i < SHMW_MM_SEGS; i++)
				sc->acc.segs[i].n = 0;
		}
		crec = mm_create(cmm, ctgid, bpf_get_current_uid_gid(), SHMW_MM_SEEDED);
		if (!crec)
			return 0;
		fill_comm_from_task(crec->comm, parent);
		crec->lo = prec->lo;
		crec->hi = prec->hi;
		for (i = 0; i < SHMW_MM_SEGS; i++)
			if (sc->acc.segs[i].n)
				mm_apply(crec, &sc->acc.segs[i], cmm, sc->acc.segs[i].n,
					 SHMW_CAUSE_FORK);
		return 0;
	}
	if (!have_vma_iter()) {
		/* We cannot walk the child here: user space does, before it is reported. */
		crec = mm_create(cmm, ctgid, bpf_get_current_uid_gid(), 0);
		if (!crec)
			return 0;
		fill_comm_from_task(crec->comm, parent);
		request_rescan(crec, cmm, SHMW_CAUSE_FORK, ptgid);
		return 0;
	}
	/* dup_mmap is done and the child has not run: its VMAs are exactly what it inherited. */
	sc = cpu_scratch();
	if (!sc)
		return 0;
	acc_reset(&sc->acc);
	walk_task(child, &sc->acc);
	if (!sc->acc.nsegs && !sc->acc.overflow)
		return 0;
	crec = mm_create(cmm, ctgid, bpf_get_current_uid_gid(), SHMW_MM_SEEDED);
	if (!crec)
		return 0;
	fill_comm_from_task(crec->comm, parent);
	for (i = 0; i < SHMW_MM_SEGS; i++) {
		if (i >= sc->acc.nsegs)
			break;
		mm_apply(crec, &sc->acc.segs[i], cmm, sc->acc.segs[i].n, SHMW_CAUSE_FORK);
	}
	if (sc->acc.overflow) {
		crec->flags |= SHMW_MM_OVERFLOW;
		crec->version = next_version();
		emit(TC(SHMW_EV_OVERFLOW, SHMW_CAUSE_FORK), cmm, crec, NULL, ptgid);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	__u64 mm;
	__u32 tgid = p->tgid;
	struct shmw_sharer *sh;
	struct shmw_mm *rec;

	/* A vfork child or CLONE_VM sibling that execs leaves the shared mm. */
	sh = bpf_map_lookup_elem(&sharers, &tgid);
	if (!sh)
		return 0;
	/* Always said, record or not: user space may know the sharer from before. */
	mm = sh->mm;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (rec)
		rec->version = next_version();
	emit(TC(SHMW_EV_UNSHARE, SHMW_CAUSE_EXEC), mm, rec, NULL, tgid);
	sharer_del(tgid, mm);
	return 0;
}

/* ctx of owned_sharer_cb: the exiting tgid in, a sharer of an mm named for it out. */
struct owned_ctx {
	__u64 mm;
	__u32 tgid;
	__u32 heir;
};

static long owned_sharer_cb(struct bpf_map *map, __u32 *tgid, struct shmw_sharer *sh,
			    struct owned_ctx *c)
{
	__u64 mm = sh->mm;
	struct shmw_mm *rec = bpf_map_lookup_elem(&mms, &mm);

	if (rec && rec->tgid == c->tgid) {
		c->mm = mm;
		c->heir = *tgid;
		return 1;
	}
	return 0;
}

/* The named process of rec leaves while heir still uses the mm: heir holds on. */
static __always_inline void hand_over(struct shmw_mm *rec, __u64 mm, __u32 heir, __u32 tgid)
{
	struct shmw_sharer *sh = bpf_map_lookup_elem(&sharers, &heir);

	if (!sh)
		return;
	rec->tgid = heir;
	rec->uid = sh->uid;
	__builtin_memcpy(rec->comm, sh->comm, SHMW_COMM_LEN);
	rec->version = next_version();
	if (rec->flags & SHMW_MM_SEEDED)
		emit(TC(SHMW_EV_OWNER, SHMW_CAUSE_EXIT), mm, rec, NULL, tgid);
	sharer_del(heir, mm);
}

/* A sharer leaves its mm: it no longer uses what the mm holds. */
static __always_inline void sharer_exit(struct shmw_sharer *sh, __u32 tgid)
{
	__u64 mm = sh->mm;
	struct shmw_mm *rec = bpf_map_lookup_elem(&mms, &mm);

	if (rec)
		rec->version = next_version();
	/* Always said, record or not: user space may know the sharer from before. */
	emit(TC(SHMW_EV_UNSHARE, SHMW_CAUSE_EXIT), mm, rec, NULL, tgid);
	sharer_del(tgid, mm);
}

/*
 * Before 6.16 this tracepoint comes after exit_mm(): task->mm is NULL, and the mm is found
 * through the sharers map instead (only a process that shares an mm, or whose mm is shared,
 * has something to do here: the address space itself goes at exit_mmap).
 */
static __always_inline int exit_without_mm(__u32 tgid)
{
	struct owned_ctx c = {.tgid = tgid};
	struct shmw_sharer *sh;
	struct shmw_mm *rec;

	sh = bpf_map_lookup_elem(&sharers, &tgid);
	if (sh) {
		sharer_exit(sh, tgid);
		return 0;
	}
	if (!nsharers_all)
		return 0; /* the common exit: no process shares an mm */
	bpf_for_each_map_elem(&sharers, owned_sharer_cb, &c, 0);
	if (!c.heir)
		return 0;
	rec = bpf_map_lookup_elem(&mms, &c.mm);
	if (rec)
		hand_over(rec, c.mm, c.heir, tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	__u64 mm = current_mm(task);
	__u32 tgid = task->tgid;
	struct shmw_sharer *sh;
	struct shmw_mm *rec;
	__u64 cb[2];

	if (!mm) {
		if (BPF_CORE_READ(task, signal, live.counter) != 0)
			return 0;
		return exit_without_mm(tgid);
	}
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec)
		return 0; /* the one lookup a process holding nothing pays */
	/* Only the last thread of a group counts (group_dead; not always the leader). */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (rec->tgid != tgid) {
		sh = bpf_map_lookup_elem(&sharers, &tgid);
		if (sh)
			sharer_exit(sh, tgid);
		return 0;
	}
	/* The named process leaves; if a sibling shares the mm, it holds on (KERNEL-FACTS 3). */
	cb[0] = mm;
	cb[1] = 0;
	if (rec->nsharers)
		bpf_for_each_map_elem(&sharers, find_sharer_cb, cb, 0);
	if (cb[1])
		hand_over(rec, mm, cb[1], tgid);
	else
		rec->flags |= SHMW_MM_EXITING;
	return 0;
}

/* The address space is going: its slot s is no longer held. Global: called in a loop. */
__noinline int drop_slot(struct shmw_mm *rec, struct shmw_mm_slot *s, __u64 mm, __u32 cause)
{
	struct acc_seg a;
	struct ev_seg e;

	if (!rec || !s || !s->nvma)
		return 0;
	acc_of_slot(&a, s);
	seg_adjust(&a, -(int)s->nvma, -1);
	s->nvma = 0;
	rec->version = next_version();
	if (rec->flags & SHMW_MM_SEEDED) {
		ev_seg_of(&e, s, &a);
		emit(TC(SHMW_EV_DETACH, cause), mm, rec, &e, rec->tgid);
	}
	return 0;
}

/* Forgets slot s of a record (a walk replaces it, or the record goes): the segment's counts
 * lose it. Global: called in loops. */
__noinline int slot_clear(struct shmw_mm_slot *s)
{
	struct acc_seg a;

	if (!s || !s->nvma)
		return 0;
	acc_of_slot(&a, s);
	seg_adjust(&a, -(int)s->nvma, -1);
	s->nvma = 0;
	return 0;
}

SEC("tp_btf/exit_mmap")
int BPF_PROG(on_exit_mmap, struct mm_struct *mm_ptr)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 mm = ptr_val(mm_ptr), cur_mm = current_mm(cur);
	struct shmw_mm_big *big;
	struct shmw_mm *rec;
	__u32 cause;
	int i;

	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec)
		return 0;
	/* exec: the old mm is dropped by the exec'ing task, which already has its new mm. */
	cause = (cur_mm && cur_mm != mm && (__u32)cur->tgid == rec->tgid) ? SHMW_CAUSE_EXEC
									  : SHMW_CAUSE_EXIT;
	for (i = 0; i < SHMW_MM_INLINE; i++)
		drop_slot(rec, &rec->segs[i], mm, cause);
	if (rec->flags & SHMW_MM_BIG) {
		big = bpf_map_lookup_elem(&mms_big, &mm);
		for (i = 0; big && i < SHMW_MM_SEGS - SHMW_MM_INLINE; i++)
			drop_slot(rec, &big->segs[i], mm, cause);
		bpf_map_delete_elem(&mms_big, &mm);
	}
	bpf_map_delete_elem(&mms, &mm);
	return 0;
}

/* ---- seeding: learn what existed before we attached ---- */

struct seed_state {
	__u64 task; /* task being walked */
	__u64 mm;
	__u64 changes; /* the mm's change counter when its walk began */
	__u32 tgid;
	__u32 uid;
	__u32 inflight;
	__u32 pad;
	__u64 lo, hi;	/* span of the SysV VMAs seen */
	__u64 dontcopy; /* one of them is VM_DONTCOPY */
	char comm[SHMW_COMM_LEN];
	struct shmw_acc acc;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seed_state);
} seed_heap SEC(".maps");

static long drop_sharer_cb(struct bpf_map *map, __u32 *tgid, struct shmw_sharer *sh, __u64 *mm)
{
	if (sh->mm == *mm && !bpf_map_delete_elem(map, tgid))
		__sync_fetch_and_sub(&nsharers_all, 1);
	return 0;
}

/* Makes slot s hold entry i of the walked counts (none: s is freed). Global: in loops. */
__noinline int seed_slot(struct shmw_mm_slot *s, struct seed_state *st, int i, __u64 now)
{
	struct acc_seg *a;
	bool known;

	if (!s || !st || i < 0 || i >= SHMW_MM_SEGS)
		return 0;
	if (i >= st->acc.nsegs) {
		slot_clear(s);
		return 0;
	}
	a = &st->acc.segs[i];
	/* Keep since/how for a holder we already knew. */
	known = s->nvma && s->ns == a->ns && s->shmid == a->shmid;
	slot_clear(s);
	if (!known) {
		s->since = now;
		s->how = SHMW_CAUSE_SEED;
	}
	s->ns = a->ns;
	s->shmid = a->shmid;
	s->nvma = a->n;
	seg_adjust(a, (int)a->n, 1);
	return 0;
}

/* Installs the walked counts when nothing changed the mm during the walk. Global: the
 * iterator calls it from two places. */
__noinline int seed_finish(struct seed_state *st)
{
	struct shmw_mm_big *big = NULL;
	struct scratch *z;
	struct shmw_mm *rec;
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 mm; /* map keys on the stack: 6.1 refuses pointers into st */
	__u32 tgid;
	bool raced;
	int i;

	if (!st || !st->mm)
		return 0;
	mm = st->mm;
	tgid = st->tgid;
	rec = bpf_map_lookup_elem(&mms, &mm);
	raced =
	    st->inflight || (rec ? rec->changes : 0) != st->changes || (rec ? rec->inflight : 0);
	if (raced) {
		stat_inc(SHMW_STAT_SEED_RETRY);
		goto done; /* the record stays unseeded; user space walks this pid again */
	}
	if (!st->acc.nsegs) {
		if (rec) {
			for (i = 0; i < SHMW_MM_INLINE; i++)
				slot_clear(&rec->segs[i]);
			if (rec->flags & SHMW_MM_BIG) {
				big = bpf_map_lookup_elem(&mms_big, &mm);
				for (i = 0; big && i < SHMW_MM_SEGS - SHMW_MM_INLINE; i++)
					slot_clear(&big->segs[i]);
				bpf_map_delete_elem(&mms_big, &mm);
			}
			/* Its sharers go with it: on_exit looks them up only through the record. */
			__u64 gone = mm; /* the callback context must be on the stack */

			bpf_for_each_map_elem(&sharers, drop_sharer_cb, &gone, 0);
			bpf_map_delete_elem(&mms, &mm);
		}
		goto done;
	}
	if (!rec) {
		rec = mm_create(mm, tgid, st->uid, 0);
		if (!rec)
			goto done;
		__builtin_memcpy(rec->comm, st->comm, SHMW_COMM_LEN);
	} else if ((rec->flags & SHMW_MM_SEEDED) && rec->tgid != st->tgid &&
		   !(rec->flags & SHMW_MM_EXITING)) {
		/* Another process already walked this mm: this one shares it. */
		struct shmw_sharer sh = {.mm = mm, .since = now, .uid = st->uid};

		__builtin_memcpy(sh.comm, st->comm, SHMW_COMM_LEN);
		sharer_put(tgid, &sh);
	}
	for (i = 0; i < SHMW_MM_INLINE; i++)
		seed_slot(&rec->segs[i], st, i, now);
	if (rec->flags & SHMW_MM_BIG)
		big = bpf_map_lookup_elem(&mms_big, &mm);
	if (!big && st->acc.nsegs > SHMW_MM_INLINE) {
		z = zero_scratch();
		if (z && !bpf_map_update_elem(&mms_big, &mm, &z->big, BPF_NOEXIST))
			big = bpf_map_lookup_elem(&mms_big, &mm);
		if (!big)
			stat_inc(SHMW_STAT_MAP_FULL);
	}
	if (big) {
		for (i = 0; i < SHMW_MM_SEGS - SHMW_MM_INLINE; i++)
			seed_slot(&big->segs[i], st, SHMW_MM_INLINE + i, now);
		rec->flags |= SHMW_MM_BIG;
		/* It holds few again: its slots fit the record. */
		if (st->acc.nsegs <= SHMW_MM_INLINE) {
			bpf_map_delete_elem(&mms_big, &mm);
			rec->flags &= ~SHMW_MM_BIG;
		}
	} else {
		rec->flags &= ~SHMW_MM_BIG;
	}
	/* More segments than slots: keep what fits, visible and flagged, rather than nothing. */
	if (st->acc.overflow || (!big && st->acc.nsegs > SHMW_MM_INLINE)) {
		rec->flags |= SHMW_MM_OVERFLOW;
		stat_inc(SHMW_STAT_OVERFLOW);
	} else {
		rec->flags &= ~SHMW_MM_OVERFLOW;
	}
	rec->lo = st->lo;
	rec->hi = st->hi;
	if (st->dontcopy)
		rec->flags |= SHMW_MM_DONTCOPY;
	else
		rec->flags &= ~SHMW_MM_DONTCOPY;
	rec->flags |= SHMW_MM_SEEDED;
	rec->flags &= ~SHMW_MM_RESCAN;
	rec->version = next_version();
done:
	st->mm = 0;
	st->task = 0;
	return 0;
}

SEC("iter/task_vma")
int seed_walk(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct seed_state *st;
	__u32 zero = 0;
	struct shmw_mm *rec;

	st = bpf_map_lookup_elem(&seed_heap, &zero);
	if (!st)
		return 0;
	if (!task || !vma) {
		seed_finish(st);
		return 0;
	}
	if (ptr_val(task) != st->task) {
		seed_finish(st);
		st->task = ptr_val(task);
		st->mm = current_mm(task);
		st->tgid = task->tgid;
		st->uid = task->cred->uid.val;
		fill_comm_from_task(st->comm, task);
		rec = bpf_map_lookup_elem(&mms, &st->mm);
		st->changes = rec ? rec->changes : 0;
		st->inflight = rec ? rec->inflight : 0;
		st->lo = ~0ULL;
		st->hi = 0;
		st->dontcopy = 0;
		acc_reset(&st->acc);
	}
	if (acc_vma(&st->acc, vma)) {
		if (vma->vm_start < st->lo)
			st->lo = vma->vm_start;
		if (vma->vm_end > st->hi)
			st->hi = vma->vm_end;
		if (vma->vm_flags & VM_DONTCOPY)
			st->dontcopy = 1;
	}
	return 0;
}
