/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 5: fentry mode (uses common, vma, segs and holds): count where the kernel itself
 * counts (ipc/shm.c), VMA for VMA.
 *
 * The kernel changes a segment's nattch in three places, and only there:
 *   shm_mmap  +1  shmat (and remap_file_pages) maps the segment; counted when it returned 0
 *                 (on failure it undid its own +1)
 *   shm_open  +1  vm_ops->open: a VMA was copied: fork's dup_mmap, a split, mremap's copy_vma
 *   shm_close -1  vm_ops->close: a VMA went: munmap, shmdt, a mapping over it, exit, exec
 * so the holdings of vma->vm_mm follow nattch exactly and no syscall has to be recounted: the
 * range tracepoint programs are not loaded in this mode (user/daemon/kern/loader.c). All three are
 * counted at fexit, once the kernel has counted (and, at the last shm_close of a removed segment,
 * destroyed it): the destroy check after a detach then sees the kernel's truth.
 *
 * Why something changed is not in these functions' arguments: a VMA of another mm than
 * current's is a fork (open: dup_mmap runs in the parent) or the end of an address space
 * (close: exit_mmap after exit_mm or exec_mmap); otherwise the syscall current is in tells.
 *
 * fork: dup_mmap counts into a record that has no process yet (SHMW_MM_FORKING: user space
 * skips it); sched_process_fork, which fires before the child first runs, gives it the child's
 * pid and sends its attach events (fentry_adopt, called from on_fork in procs.bpf.h).
 */
#ifndef SHMW_FENTRY_BPF_H
#define SHMW_FENTRY_BPF_H

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl) that change SysV VMAs. */
#define NR_mmap	      9
#define NR_munmap     11
#define NR_mremap     25
#define NR_shmat      30
#define NR_execve     59
#define NR_exit	      60
#define NR_shmdt      67
#define NR_exit_group 231
#define NR_execveat   322

/* The syscall current is in, or -1 where we cannot tell (other architectures). */
static __always_inline long syscall_nr(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	return BPF_CORE_READ(regs, orig_ax);
#else
	return -1;
#endif
}

/* Why a VMA of mm went (delta -1) or came (+1). */
static __always_inline __u32 fentry_cause(struct task_struct *task, __u64 mm, __u64 cur,
					  struct shmw_mm *rec, int delta)
{
	if (mm != cur) {
		if (delta > 0)
			return SHMW_CAUSE_FORK;
		/* exec: the old mm is dropped by the exec'ing task, which has its new mm (as
		 * on_exit_mmap decides); exit: current->mm is already NULL. */
		return (cur && rec && (__u32)task->tgid == rec->tgid) ? SHMW_CAUSE_EXEC
								      : SHMW_CAUSE_EXIT;
	}
	switch (syscall_nr(task)) {
	case NR_shmat:
		return delta > 0 ? SHMW_CAUSE_SHMAT : SHMW_CAUSE_MUNMAP; /* SHM_REMAP */
	case NR_shmdt:
		return SHMW_CAUSE_SHMDT;
	case NR_munmap:
	case NR_mmap:
		return SHMW_CAUSE_MUNMAP;
	case NR_mremap:
		return SHMW_CAUSE_MREMAP;
	case NR_execve:
	case NR_execveat:
		return SHMW_CAUSE_EXEC;
	case NR_exit:
	case NR_exit_group:
		return SHMW_CAUSE_EXIT;
	default:
		/* mprotect, madvise, mlock, mbind, mseal, remap_file_pages, ...: they cut VMAs */
		return delta > 0 ? SHMW_CAUSE_SPLIT : SHMW_CAUSE_MUNMAP;
	}
}

/* Applies delta (+1/-1) VMAs of vma's segment to vma's mm. from_mmap: shm_mmap's +1. */
static __always_inline int fentry_count(struct vm_area_struct *vma, int delta, bool from_mmap)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mm = ptr_val(vma->vm_mm), cur = task_mm(task);
	struct hold_op op = {.mm = mm, .actor = current_tgid()};
	struct acc_seg a = {};
	struct shmw_mm *rec;

	if (!mm || !seg_of_file(&a, ptr_val(vma->vm_file)))
		return 0;
	rec = bpf_map_lookup_elem(&mms, &mm);
	if (!rec) {
		if (mm != cur) {
			struct who none = {};

			/* A close in an mm we do not track: it held nothing we count. */
			if (delta < 0)
				return 0;
			/* dup_mmap: the child has no pid yet; on_fork adopts the record. */
			rec = mm_create(mm, &none, SHMW_MM_FORKING);
		} else if (from_mmap && !seeding) {
			/* No record after seeding means the mm held nothing: the count is exact. */
			rec = mm_get(mm, SHMW_MM_SEEDED);
		} else {
			/* Seeding (the walk installs the counts), or an mm we never saw gain a
			 * VMA: walk it (again). */
			rec = mm_get(mm, 0);
			if (rec && !seeding)
				mm_incomplete(rec, mm, SHMW_CAUSE_RESYNC, SHMW_STAT_SEED_RETRY);
		}
		if (!rec)
			return 0;
	}
	if (!(rec->flags & (SHMW_MM_SEEDED | SHMW_MM_FORKING))) {
		mark_changed(rec);
		return 0; /* not counted yet: a walk of it is pending and installs the counts */
	}
	op.cause = (rec->flags & SHMW_MM_FORKING) ? SHMW_CAUSE_FORK
						  : fentry_cause(task, mm, cur, rec, delta);
	hold_apply(rec, &a, delta, &op);
	return 0;
}

SEC("?fexit/shm_mmap")
int BPF_PROG(fx_shm_mmap, struct file *file, struct vm_area_struct *vma, int ret)
{
	if (ret)
		return 0; /* shm_mmap undid its own +1 */
	return fentry_count(vma, 1, true);
}

SEC("?fexit/shm_open")
int BPF_PROG(fx_shm_open, struct vm_area_struct *vma)
{
	return fentry_count(vma, 1, false);
}

SEC("?fexit/shm_close")
int BPF_PROG(fx_shm_close, struct vm_area_struct *vma)
{
	/* Kernels before "ipc/shm: call underlying open/close vm_ops" (6.2) undo a failed
	 * shm_mmap with shm_close() itself, before vm_ops is set to shm's: that -1 matches
	 * no +1 of ours. Every other call comes through vm_ops->close. (The VMA and its file
	 * outlive the call: remove_vma frees them after close returns.) */
	if ((__u64)BPF_CORE_READ(vma, vm_ops, close) != shm_close_addr)
		return 0;
	return fentry_count(vma, -1, false);
}

/* sched_process_fork in fentry mode: the child's record, counted by dup_mmap, gets its pid. */
static __noinline int fentry_adopt(struct task_struct *parent, struct task_struct *child, __u64 cmm)
{
	struct each_ctx c = {.mm = cmm, .kind = EACH_ADOPT, .cause = SHMW_CAUSE_FORK};
	struct shmw_mm *rec;
	struct who w;

	rec = bpf_map_lookup_elem(&mms, &cmm);
	if (!rec || !(rec->flags & SHMW_MM_FORKING))
		return 0; /* it inherited no SysV VMA */
	who_task(&w, child);
	rec->tgid = w.tgid;
	rec->uid = w.uid;
	__builtin_memcpy(rec->comm, w.comm, SHMW_COMM_LEN);
	mm_unflag(rec, SHMW_MM_FORKING);
	mm_flag(rec, SHMW_MM_SEEDED);
	c.actor = BPF_CORE_READ(parent, tgid);
	if (!mm_lock(rec)) {
		mm_incomplete(rec, cmm, SHMW_CAUSE_FORK, SHMW_STAT_BUSY);
		return 0;
	}
	mm_each(rec, &c);
	mm_unlock(rec);
	if (rec->flags & SHMW_MM_OVERFLOW)
		mm_incomplete(rec, cmm, SHMW_CAUSE_FORK, SHMW_STAT_OVERFLOW);
	return 0;
}

#endif
