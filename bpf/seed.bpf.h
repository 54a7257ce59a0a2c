/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 8: learning what exists from the kernel (uses every layer before it): the walk of
 * every task's VMAs (start-up, verify, and walks user space asks for), and the list of IPC
 * namespaces with a process in each.
 *
 * The walk stages its counts per VMA beside each holding's live count (hold_stage) and
 * installs them when it reaches the next task, if nothing changed the mm meanwhile: the mm's
 * change counter is the same as when its walk began and no call on it is in flight. Otherwise
 * the staged counts are dropped and user space walks that process again.
 */
#ifndef SHMW_SEED_BPF_H
#define SHMW_SEED_BPF_H

struct seed_state {
	__u64 task; /* task being walked */
	__u64 mm;
	__u64 changes; /* the mm's change counter when its walk began */
	__u64 wgen;    /* this walk's staging generation */
	__u64 lo, hi;  /* span of the SysV VMAs seen */
	__u32 inflight;
	__u32 busy;	/* a stage failed: do not install */
	__u32 dontcopy; /* one of them is VM_DONTCOPY */
	__u32 pad;
	struct who who;
	struct acc_seg a; /* the VMA at hand (off the stack: see struct each_ctx) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct seed_state);
} seed_heap SEC(".maps");

/* The walked task shares a record's mm with its maker (owner). Its own function: its entry is
 * built off the stack of the install that follows. */
static __noinline void seed_sharer(struct seed_state *st, __u32 owner)
{
	struct shmw_sharer sh = {
	    .mm = st->mm, .since = bpf_ktime_get_boot_ns(), .uid = st->who.uid, .owner = owner};

	__builtin_memcpy(sh.comm, st->who.comm, SHMW_COMM_LEN);
	sharer_put(st->who.tgid, &sh);
}

/* Installs the walked counts when nothing changed the mm during the walk. Global: the
 * iterator calls it from two places. */
__noinline int seed_finish(struct seed_state *st)
{
	struct each_ctx c = {.kind = EACH_INSTALL, .cause = SHMW_CAUSE_SEED, .quiet = 1};
	struct shmw_mm *rec;
	__u64 mm; /* map keys on the stack: 6.1 refuses pointers into st */
	__u32 tgid;
	bool raced;

	if (!st || !st->mm)
		return 0;
	mm = st->mm;
	tgid = st->who.tgid;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec)
		goto done; /* no SysV VMA, and no record: nothing held, nothing to say */
	raced = st->busy || st->inflight || rec->changes != st->changes || rec->inflight;
	if (!mm_lock(rec)) {
		stat_inc(SHMW_STAT_SEED_RETRY);
		goto done; /* what it staged is dropped by the next walk's install */
	}
	c.mm = mm;
	c.actor = tgid;
	if (raced) {
		stat_inc(SHMW_STAT_SEED_RETRY);
		c.kind = EACH_DISCARD;
		mm_each(rec, &c);
		rec->nidle = 0; /* the idle entries went with what it staged */
		mm_unlock(rec);
		goto done; /* the record stays unseeded or stale: user space walks this pid again */
	}
	if ((rec->flags & SHMW_MM_SEEDED) && rec->tgid != tgid && !(rec->flags & SHMW_MM_EXITING) &&
	    !bpf_map_lookup_elem(&sharers, &tgid)) {
		/* Another process already walked this mm: this one shares it (a vfork child
		 * from before we started). */
		seed_sharer(st, rec->tgid);
	}
	c.wgen = st->wgen;
	mm_each(rec, &c);
	rec->nidle = 0; /* the install dropped the idle entries (0 wanted, 0 held) */
	rec->lo = st->lo;
	rec->hi = st->hi;
	if (st->dontcopy)
		mm_flag(rec, SHMW_MM_DONTCOPY);
	else
		mm_unflag(rec, SHMW_MM_DONTCOPY);
	mm_unflag(rec, SHMW_MM_RESCAN | SHMW_MM_OVERFLOW);
	mm_flag(rec, SHMW_MM_SEEDED);
	rec->version = next_version();
	mm_unlock(rec);
	/* It holds nothing: forget it, unless processes share it (user space knows them, and
	 * hears when they leave only while the record exists). */
	if (!rec->nsegs && !rec->inflight && !rec->nsharers)
		bpf_map_delete_elem(&mms, &mm);
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
	struct shmw_mm *rec;
	__u32 zero = 0;
	__u64 mm;

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
		st->mm = task_mm(task);
		who_task(&st->who, task);
		mm = st->mm;
		rec = bpf_map_lookup_elem(&mms, &mm);
		st->changes = rec ? rec->changes : 0;
		st->inflight = rec ? rec->inflight : 0;
		st->wgen = next_version();
		st->lo = ~0ULL;
		st->hi = 0;
		st->dontcopy = 0;
		st->busy = 0;
	}
	if (!seg_of_vma(&st->a, vma_plain(vma)))
		return 0;
	if (vma->vm_start < st->lo)
		st->lo = vma->vm_start;
	if (vma->vm_end > st->hi)
		st->hi = vma->vm_end;
	if (vma->vm_flags & VM_DONTCOPY)
		st->dontcopy = 1;
	mm = st->mm;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec)
		rec = mm_create(mm, &st->who, 0);
	if (hold_stage(rec, mm, &st->a, st->wgen))
		st->busy = 1;
	return 0;
}

/* Every process (thread group leader) with its IPC namespace: the namespaces that exist, and
 * a way into each (user space keeps one per namespace). ns_only, when set, keeps one namespace's.
 */
__u32 ns_only = 0;

SEC("iter/task")
int ns_walk(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct shmw_ns_row row;

	if (!task || task->pid != task->tgid)
		return 0;
	row.ns = task_ipc_ns(task);
	row.pid = task->tgid;
	if (!row.ns || (ns_only && row.ns != ns_only))
		return 0;
	bpf_seq_write(ctx->meta->seq, &row, sizeof(row));
	return 0;
}

#endif
