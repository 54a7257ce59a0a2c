/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 7: process life (uses every layer before it): fork copies or walks what the child
 * inherited, vfork and clone(CLONE_VM) make sharers, exec and exit end them, exit_mmap ends an
 * address space and everything it held, and a named process's uid or name changing is told.
 *
 * Order of the tracepoints (docs/design.md, "Process events"): sched_process_fork fires after
 * dup_mmap and before the child first runs; exit_mmap after the mm's VMAs were closed (nattch
 * already lower), in the context of the mm's last user, which need not be its maker (a
 * CLONE_VM sibling); sched_process_exit before exit_mm from 6.16 on, after it before.
 */
#ifndef SHMW_PROCS_BPF_H
#define SHMW_PROCS_BPF_H

/* Sharers that left before their exec event, passed over before one is promoted. */
#define HEIR_TRIES 4

/* ctx of the sharer searches: mm (and the leaving owner) in, a sharer of it out. */
struct heir_ctx {
	__u64 mm;
	__u32 owner; /* 0: any sharer of mm */
	__u32 heir;
};

static long find_heir_cb(struct bpf_map *map, __u32 *tgid, struct shmw_sharer *sh,
			 struct heir_ctx *c)
{
	if ((c->mm && sh->mm == c->mm) || (!c->mm && c->owner && sh->owner == c->owner)) {
		c->heir = *tgid;
		c->mm = sh->mm;
		return 1;
	}
	return 0;
}

static long set_owner_cb(struct bpf_map *map, __u32 *tgid, struct shmw_sharer *sh,
			 struct heir_ctx *c)
{
	if (sh->mm == c->mm)
		sh->owner = c->heir;
	return 0;
}

/* A sharer leaves its mm (exec or exit): it no longer uses what the mm holds. */
static __always_inline void sharer_leaves(struct shmw_sharer *sh, __u32 tgid, __u32 cause)
{
	__u64 mm = sh->mm;
	struct shmw_mm *rec = bpf_map_lookup_elem(&mms, &mm);
	struct draft *d = draft(DRAFT_REC);

	if (d) {
		d->w.tgid = tgid;
		d->w.uid = sh->uid;
		__builtin_memcpy(d->w.comm, sh->comm, SHMW_COMM_LEN);
	}
	/* Gone from the map before the record's version moves: a snapshot user space takes in
	 * between then has neither the sharer nor the new version, and applies this event after
	 * it. The other order let a snapshot keep the sharer at the new version, and the event,
	 * no newer than that, was dropped as old (a sharer that stayed for good). */
	sharer_del(tgid, mm);
	if (d && rec) { /* user space knows the sharers of the mms that have a record */
		rec->version = next_version();
		who_rec(&d->w, rec);
		emit(TC(SHMW_EV_UNSHARE, cause), mm, &d->w, NULL, tgid);
	}
}

extern struct task_struct *bpf_task_from_pid(s32 pid) __weak __ksym; /* 6.2+ */
extern void bpf_task_release(struct task_struct *p) __weak __ksym;

/*
 * Whether the sharer tgid still uses mm. A vfork parent resumes once its child's exec has
 * switched to the new mm (exec_mm_release), before the child's sched_process_exec: a parent
 * that exits in between must not hand its mm to that child. Asked of the task where the kernel
 * lets us (6.2+); before, the sharer is trusted (docs/design.md, "Process events").
 */
static __always_inline bool still_shares(__u32 tgid, __u64 mm)
{
	struct task_struct *t;
	__u64 tm;

	if (!shmw_ksym_exists(bpf_task_from_pid))
		return true;
	t = bpf_task_from_pid(tgid);
	if (!t)
		return false;
	tm = task_mm(t);
	bpf_task_release(t);
	return !tm || tm == mm; /* no mm: a group leader gone while its threads run */
}

/*
 * The process that made mm leaves while others still use it: the first sharer found takes its
 * place (no longer a sharer), and the rest are told it is their owner now. Returns the heir's
 * tgid (0: nobody shares mm) and its entry as it was in *out.
 */
static __always_inline __u32 promote_heir(__u64 mm, __u32 owner, struct shmw_sharer *out)
{
	struct heir_ctx c = {.mm = mm, .owner = owner};
	struct shmw_sharer *sh = NULL;
	__u32 *left;
	int i;

	if (!owns_sharers(owner))
		return 0; /* the common exit: it made nothing others share */
	for (i = 0; i < HEIR_TRIES; i++) {
		c.mm = mm;
		c.heir = 0;
		bpf_for_each_map_elem(&sharers, find_heir_cb, &c, 0);
		if (!c.heir)
			return 0;
		sh = bpf_map_lookup_elem(&sharers, &c.heir);
		if (!sh)
			return 0;
		if (still_shares(c.heir, c.mm))
			break;
		/* It left already: its exec (or exit) event is yet to come, and will find
		 * nothing to end. */
		sharer_leaves(sh, c.heir, SHMW_CAUSE_EXEC);
		sh = NULL;
	}
	if (!sh)
		return 0; /* HEIR_TRIES sharers in a row had left: the mm waits for exit_mmap */
	*out = *sh;
	sharer_del(c.heir, c.mm);
	bpf_for_each_map_elem(&sharers, set_owner_cb, &c, 0);
	/* The counts follow: what the old owner has left (a process makes one mm at a time) is the
	 * heir's now. Counted here, not in the callback: a counter the verifier follows through
	 * every iteration makes the program too complex to load. */
	left = bpf_map_lookup_elem(&owners, &owner);
	if (left) {
		__u32 n = *left;

		bpf_map_delete_elem(&owners, &owner);
		if (n)
			bpf_map_update_elem(&owners, &c.heir, &n, BPF_ANY);
	}
	return c.heir;
}

/* The named process of rec leaves (cause: exit or exec) while heir still uses the mm: heir holds
 * on. */
static __always_inline void hand_over(struct shmw_mm *rec, __u64 mm, __u32 heir,
				      const struct shmw_sharer *sh, __u32 tgid, __u32 cause)
{
	struct draft *d = draft(DRAFT_REC);

	rec->tgid = heir;
	rec->uid = sh->uid;
	__builtin_memcpy(rec->comm, sh->comm, SHMW_COMM_LEN);
	rec->version = next_version();
	if (!d || !(rec->flags & SHMW_MM_SEEDED))
		return;
	who_rec(&d->w, rec);
	emit(TC(SHMW_EV_OWNER, cause), mm, &d->w, NULL, tgid);
}

/* The tgid that made mm, as a sharer of it (parent_tgid) knows it. */
static __always_inline __u32 owner_of(__u32 parent_tgid, __u64 mm)
{
	struct shmw_sharer *psh = bpf_map_lookup_elem(&sharers, &parent_tgid);

	return psh && psh->mm == mm && psh->owner ? psh->owner : parent_tgid;
}

/* Fork's walk of the child (6.7+): it has not run yet, so its VMAs are exactly what it
 * inherited. Counts are staged per VMA under wgen (the caller installs them, as the seeding
 * walk does). Returns 0, or -1 when the walk could not run or a stage failed. */
static __noinline int fork_walk(struct task_struct *child, __u64 cmm, struct shmw_mm *crec,
				__u64 wgen)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	int ret = 0;
	struct acc_seg a;

	if (!have_vma_iter())
		return -1;
	if (bpf_iter_task_vma_new(&it, child, 0))
		ret = -1;
	while ((vma = bpf_iter_task_vma_next(&it))) {
		if (seg_of_vma(&a, vma_plain(vma)) && hold_stage(crec, cmm, &a, wgen))
			ret = -1;
	}
	bpf_iter_task_vma_destroy(&it);
	return ret;
}

/*
 * A vfork child or clone(CLONE_VM) sibling (ctgid): no new attachment, but a process of its own
 * that shares the mm is a sharer, whether the mm holds anything yet or not: what it attaches
 * is the mm's, named by the mm's maker. Its own function, off the child path's stack.
 */
static __noinline int fork_sharer(struct task_struct *parent, __u32 ctgid, __u64 pmm)
{
	__u32 ptgid = parent->tgid;
	struct shmw_sharer sh = {};
	struct shmw_mm *prec;
	struct draft *d;

	sh.mm = pmm;
	sh.since = bpf_ktime_get_boot_ns();
	sh.uid = task_euid(parent);
	sh.owner = owner_of(ptgid, pmm);
	leader_comm(sh.comm, parent);
	prec = bpf_map_lookup_elem(&mms, &pmm);
	if (sharer_put(ctgid, &sh) || !prec || !(prec->flags & SHMW_MM_SEEDED))
		return 0;
	prec->version = next_version();
	d = draft(DRAFT_REC);
	if (!d)
		return 0;
	who_rec(&d->w, prec);
	emit(TC(SHMW_EV_SHARE, SHMW_CAUSE_FORK), pmm, &d->w, NULL, ctgid);
	return 0;
}

/* A child with an mm of its own: it holds what it inherited, copied from the parent's counts
 * when they are exact, else walked. */
static __noinline int fork_child(struct task_struct *parent, struct task_struct *child, __u64 pmm,
				 __u64 cmm, struct shmw_mm *prec)
{
	struct each_ctx c = {.mm = pmm, .mm2 = cmm, .kind = EACH_COPY, .cause = SHMW_CAUSE_FORK};
	struct shmw_mm *crec;
	struct draft *d;

	c.actor = parent->tgid;
	d = draft(DRAFT_REC);
	if (!d)
		return 0;
	who_task(&d->w, child);
	if (prec &&
	    (prec->flags & (SHMW_MM_SEEDED | SHMW_MM_RESCAN | SHMW_MM_DONTCOPY |
			    SHMW_MM_OVERFLOW)) == SHMW_MM_SEEDED &&
	    !prec->inflight && mm_lock(prec)) {
		/* The parent's counts are exact and nothing is changing them (dup_mmap ran
		 * under its mmap lock), and it maps no VMA fork skips: the child has them all.
		 * O(what it holds), not O(its VMAs). */
		crec = prec->nsegs ? mm_create(cmm, &d->w, SHMW_MM_SEEDED) : NULL;
		if (crec) {
			crec->lo = prec->lo;
			crec->hi = prec->hi;
			mm_each(prec, &c);
		}
		mm_unlock(prec);
		if (crec && c.failed)
			mm_incomplete(crec, cmm, SHMW_CAUSE_FORK, SHMW_STAT_MAP_FULL);
		return 0;
	}
	if (!have_vma_iter()) {
		/* We cannot walk the child here: user space does, before it is reported. */
		crec = mm_create(cmm, &d->w, 0);
		if (crec)
			request_rescan(crec, cmm, SHMW_CAUSE_FORK, c.actor);
		return 0;
	}
	crec = mm_create(cmm, &d->w, SHMW_MM_SEEDED);
	if (!crec)
		return 0;
	c.mm = cmm;
	c.kind = EACH_INSTALL;
	c.wgen = next_version();
	if (fork_walk(child, cmm, crec, c.wgen) || !mm_lock(crec)) {
		mm_incomplete(crec, cmm, SHMW_CAUSE_FORK, SHMW_STAT_OVERFLOW);
		return 0;
	}
	mm_each(crec, &c);
	mm_unlock(crec);
	if (!crec->nsegs && !(crec->flags & SHMW_MM_OVERFLOW))
		bpf_map_delete_elem(&mms, &cmm); /* it inherited nothing */
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u64 pmm = task_mm(parent), cmm = task_mm(child);
	struct shmw_mm *prec;

	if (fentry_mode && cmm && cmm != pmm)
		return fentry_adopt(parent, child, cmm); /* dup_mmap already counted */
	if (!pmm)
		return 0;
	if (cmm == pmm)
		return child->tgid == parent->tgid ? 0 : fork_sharer(parent, child->tgid, pmm);
	prec = bpf_map_lookup_elem(&mms, &pmm);
	if (!cmm || fentry_mode || (!prec && !seeding))
		return 0; /* a parent without a record holds nothing: nor does the child */
	return fork_child(parent, child, pmm, cmm, prec);
}

/*
 * The maker of mm leaves it (exit) while others may still use it: the first sharer found holds
 * on and is named for it; with none, the record waits for exit_mmap (EXITING).
 */
static __always_inline void maker_leaves(__u64 mm, __u32 tgid)
{
	struct shmw_mm *rec = bpf_map_lookup_elem(&mms, &mm);
	struct shmw_sharer sh;
	__u32 heir;

	heir = promote_heir(mm, tgid, &sh);
	if (!rec || rec->tgid != tgid)
		return;
	if (heir)
		hand_over(rec, mm, heir, &sh, tgid, SHMW_CAUSE_EXIT);
	else
		mm_flag(rec, SHMW_MM_EXITING);
}

/*
 * The maker tgid left an mm it no longer has in hand (exec switched it to a new one; an exit
 * before 6.16 already dropped it): the mm is found through its sharers, which name tgid as
 * their owner, and the first one still using it holds on. Its own function, off the callers'
 * stacks.
 */
static __noinline int maker_gone(__u32 tgid, __u32 cause)
{
	struct shmw_sharer hsh;
	struct shmw_mm *rec;
	__u32 heir;

	heir = promote_heir(0, tgid, &hsh);
	if (!heir)
		return 0;
	rec = bpf_map_lookup_elem(&mms, &hsh.mm);
	if (rec && rec->tgid == tgid)
		hand_over(rec, hsh.mm, heir, &hsh, tgid, cause);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	struct shmw_sharer *sh;

	/* A vfork child or CLONE_VM sibling that execs leaves the shared mm. */
	sh = bpf_map_lookup_elem(&sharers, &tgid);
	if (sh) {
		sharer_leaves(sh, tgid, SHMW_CAUSE_EXEC);
		return 0;
	}
	/* The maker of an mm that CLONE_VM siblings still use leaves it too (exec_mmap switched
	 * it to its new mm; the siblings keep the old one alive): one of them holds on. */
	if (owns_sharers(tgid))
		maker_gone(tgid, SHMW_CAUSE_EXEC);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	__u64 mm = task_mm(task);
	__u32 tgid = task->tgid;
	struct shmw_sharer *sh;

	/* Only the last thread of a group counts (group_dead; not always the leader). */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	sh = bpf_map_lookup_elem(&sharers, &tgid);
	if (sh) {
		sharer_leaves(sh, tgid, SHMW_CAUSE_EXIT);
		return 0;
	}
	if (mm) {
		maker_leaves(mm, tgid);
		return 0;
	}
	/* Before 6.16 this tracepoint comes after exit_mm(): task->mm is NULL, and the mm this
	 * process made is found through its sharers, which name it as their owner. */
	return maker_gone(tgid, SHMW_CAUSE_EXIT);
}

/*
 * Sharers still listed for an mm that is going left it already: the last user runs exit_mmap
 * after every other one dropped the mm, so they are inside an exec (past the switch of mms) or
 * an exit. Their own events come later and find no record to name (user space, told of the
 * sharer, would keep it for good, and for the next mm at this address): end them now, while
 * the record is there. More than SHARERS_AT_EXIT: counted, and user space resyncs.
 */
#define SHARERS_AT_EXIT 8

static __noinline int end_sharers(__u64 mm)
{
	struct heir_ctx c = {};
	struct shmw_sharer *sh;
	int i;

	for (i = 0; i <= SHARERS_AT_EXIT; i++) {
		c.mm = mm;
		c.owner = 0;
		c.heir = 0;
		bpf_for_each_map_elem(&sharers, find_heir_cb, &c, 0);
		if (!c.heir)
			return 0;
		if (i == SHARERS_AT_EXIT)
			break;
		sh = bpf_map_lookup_elem(&sharers, &c.heir);
		if (!sh)
			return 0;
		sharer_leaves(sh, c.heir, SHMW_CAUSE_EXIT);
	}
	stat_inc(SHMW_STAT_SHARERS_LATE);
	return 0;
}

SEC("tp_btf/exit_mmap")
int BPF_PROG(on_exit_mmap, struct mm_struct *mm_ptr)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 mm = ptr_val(mm_ptr), cur_mm = task_mm(cur);
	struct each_ctx c = {.mm = mm, .kind = EACH_DROP};
	struct shmw_mm *rec;

	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec)
		return 0;
	/* exec: the old mm is dropped by the exec'ing task, which already has its new mm. */
	c.cause = (cur_mm && cur_mm != mm && (__u32)cur->tgid == rec->tgid) ? SHMW_CAUSE_EXEC
									    : SHMW_CAUSE_EXIT;
	c.actor = rec->tgid;
	if (rec->nsharers)
		end_sharers(mm);
	/* Nothing else can use a dying mm; a walk user space asked for may still be installing. */
	mm_lock(rec);
	mm_each(rec, &c);
	bpf_map_delete_elem(&mms, &mm);
	return 0;
}

/* ---- who a process is: its uid and name, followed while it holds or shares ---- */

/* The current process's uid or name changed: if it is named for an mm, or shares one, say so
 * (and remember it), so that answers show it and decide access by what it is now. */
static __always_inline void ident_changed(struct task_struct *task, const char *newcomm,
					  __u32 cause)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 mm = task_mm(task);
	struct shmw_sharer *sh;
	struct shmw_mm *rec;
	struct draft *d = draft(DRAFT_REC);

	if (!d)
		return;
	d->w.tgid = tgid;
	d->w.uid = task_euid(task);
	if (newcomm)
		bpf_probe_read_kernel_str(d->w.comm, SHMW_COMM_LEN, newcomm);
	else
		leader_comm(d->w.comm, task);
	sh = bpf_map_lookup_elem(&sharers, &tgid);
	if (sh && sh->mm != mm)
		return; /* exec: it is leaving the mm it shared (on_exec says so) */
	if (sh) {
		sh->uid = d->w.uid;
		__builtin_memcpy(sh->comm, d->w.comm, SHMW_COMM_LEN);
		d->e.flags = SHMW_EVF_SHARER;
		emit(TC(SHMW_EV_IDENT, cause), sh->mm, &d->w, &d->e, tgid);
		return;
	}
	rec = mm ? bpf_map_lookup_elem(&mms, &mm) : NULL;
	if (!rec || rec->tgid != tgid)
		return;
	rec->uid = d->w.uid;
	__builtin_memcpy(rec->comm, d->w.comm, SHMW_COMM_LEN);
	rec->version = next_version();
	d->w.version = rec->version;
	if (rec->flags & SHMW_MM_SEEDED)
		emit(TC(SHMW_EV_IDENT, cause), mm, &d->w, &d->e, tgid);
}

static __always_inline int setuid_exit(long ret)
{
	if (ret == 0)
		ident_changed(bpf_get_current_task_btf(), NULL, SHMW_CAUSE_SETUID);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_setuid")
int exit_setuid(struct trace_event_raw_sys_exit *ctx)
{
	return setuid_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_setreuid")
int exit_setreuid(struct trace_event_raw_sys_exit *ctx)
{
	return setuid_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_setresuid")
int exit_setresuid(struct trace_event_raw_sys_exit *ctx)
{
	return setuid_exit(ctx->ret);
}

/* prctl(PR_SET_NAME), a write to /proc/PID/comm, exec: the new name, before the kernel copies
 * it. Only a group leader's name names a process. */
SEC("tp_btf/task_rename")
int BPF_PROG(on_rename, struct task_struct *task, const char *comm)
{
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	ident_changed(task, comm, SHMW_CAUSE_RENAME);
	return 0;
}

#endif
