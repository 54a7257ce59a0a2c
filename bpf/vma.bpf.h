/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 2: recognising and counting SysV shared memory VMAs (uses common.bpf.h).
 *
 * A VMA is SysV shm when vm_file->f_op->mmap == shm_mmap (docs/design.md, "Recognising SysV
 * VMAs"): that holds for plain, SHM_RDONLY, split and SHM_HUGETLB attachments and for nothing
 * else; the "SYSV" name prefix does not (a /dev/shm file may be called that). The shmid, the IPC
 * namespace and the segment's own file (its kernel identity) come from the shm_file_data behind
 * vm_file->private_data.
 */
#ifndef SHMW_VMA_BPF_H
#define SHMW_VMA_BPF_H

/* Open-coded VMA iterator kfuncs (6.7+); declared here since vmlinux.h has no prototypes. */
extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __weak __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __weak __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __weak __ksym;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __weak __ksym; /* 6.2+ */

/*
 * libbpf 1.2's bpf_ksym_exists(), which 1.1 lacks: a weak ksym the kernel does not have is
 * relocated to 0, so the verifier drops the branch that calls it (left in, libbpf 1.1's
 * "call #0" fails to load on 6.1). The assertion catches a ksym that is not __weak.
 */
#define shmw_ksym_exists(sym)                                                                      \
	({                                                                                         \
		_Static_assert(!__builtin_constant_p(!!sym), #sym " should be marked as __weak");  \
		!!sym;                                                                             \
	})

/* Whether VMA ranges can be walked here; otherwise user space is asked to walk the mm
 * (SHMW_EV_RESCAN). no_vma_iter forces that path on newer kernels, to test it. */
static __always_inline bool have_vma_iter(void)
{
	return !no_vma_iter && shmw_ksym_exists(bpf_iter_task_vma_new);
}

/*
 * The VMA as an untrusted pointer (where the kernel has bpf_rdonly_cast): loads through it stay
 * direct (exception-handled) loads, but the verifier no longer asks, at each visit of each load
 * of a pointer field from a trusted VMA, whether the kernel declares that field trusted: four
 * searches by name through the whole kernel BTF (btf_nested_type_is_trusted), a third of the
 * load time on 6.18. Nothing loaded from it goes to a kfunc: trust buys us nothing. The verifier
 * turns the call into a move.
 */
static __always_inline struct vm_area_struct *vma_plain(struct vm_area_struct *vma)
{
	if (!shmw_ksym_exists(bpf_rdonly_cast))
		return vma;
	return bpf_rdonly_cast(vma, bpf_core_type_id_kernel(struct vm_area_struct));
}

/* One segment as a walk or a lookup saw it, and how many VMAs of it (a signed delta for the
 * callers that count what a call will remove). */
struct acc_seg {
	__u64 size;
	__u64 file;  /* the segment's shm file (shm_file_data.file): its kernel identity */
	__u64 nsptr; /* its struct ipc_namespace */
	__u32 ns;
	__u32 shmid;
	__u32 key;
	__u32 n;
};

/* Distinct segments one walk of a range counts. A call that reaches more (munmap of a wide
 * range over a process holding hundreds) is not counted by BPF: the mm is flagged and user
 * space walks it with the iterator program, which has no such bound (seed.bpf.h). */
#define ACC_SEGS 64

/* Per-segment VMA counts over a walk. Lives in map memory: counters kept on the stack inside
 * an iterator loop make the verifier give up. */
struct shmw_acc {
	__u32 nsegs;
	__u32 overflow; /* more distinct segments than slots, or ACC_BUSY */
	struct acc_seg segs[ACC_SEGS];
};

/* acc.overflow when the walk could not run (the mmap lock was taken: the open-coded iterator
 * only trylocks): the counts are unknown, not just incomplete, so nothing is applied from them
 * and user space walks the mm instead. */
#define ACC_BUSY 2

/* Readers look only below nsegs, and a slot is written whole when added: no need to clear
 * the (large) slot array. */
static __always_inline void acc_reset(struct shmw_acc *acc)
{
	acc->nsegs = 0;
	acc->overflow = 0;
}

/* Lower-case hex digit value without branches (a branch per digit multiplies the verifier's
 * states): digits are 0x30-0x39, letters 0x61-0x66. */
static __always_inline __u32 hexval(char c)
{
	return (c & 0xf) + 9 * ((c >> 6) & 1);
}

/* The key a segment was created with: its file is named "SYSV%08x" (ipc/shm.c newseg). */
static __always_inline __u32 shm_key_parse(const void *name)
{
	char buf[12] = {};
	__u32 key = 0;
	int i;

	if (bpf_probe_read_kernel(buf, sizeof(buf), name))
		return 0;
#pragma unroll
	for (i = 4; i < 12; i++)
		key = (key << 4) | hexval(buf[i]);
	return key;
}

/* The same as a global function, with the name's address as a number, for the walks: the
 * verifier checks the eight digits once, not at each walk's call site (a tenth of
 * on_vma_call's load time). Not for callers already deep in global calls (seg_of_file): a
 * frame more takes their chains past the verifier's eight. */
__noinline __u32 shm_key_at(__u64 name)
{
	return shm_key_parse((const void *)name);
}

/* Whether a file is a SysV shm segment's. */
static __always_inline bool is_shm_file(__u64 file_addr)
{
	struct file *file = (struct file *)file_addr;

	return file && (__u64)BPF_CORE_READ(file, f_op, mmap) == shm_mmap_addr;
}

/*
 * Fills s from a VMA's file if it maps a SysV segment; returns 1 if so. All probe reads: the
 * file comes as a number (global functions cannot take the trusted VMA pointer on older
 * kernels). Global: the verifier checks it once.
 */
__noinline int seg_of_file(struct acc_seg *s, __u64 file_addr)
{
	struct file *file = (struct file *)file_addr;
	struct shm_file_data *sfd;

	if (!s || !file)
		return 0;
	if ((__u64)BPF_CORE_READ(file, f_op, mmap) != shm_mmap_addr)
		return 0;
	sfd = (struct shm_file_data *)BPF_CORE_READ(file, private_data);
	s->ns = BPF_CORE_READ(sfd, ns, ns.inum);
	s->nsptr = (__u64)BPF_CORE_READ(sfd, ns);
	s->shmid = BPF_CORE_READ(sfd, id);
	s->file = (__u64)BPF_CORE_READ(sfd, file);
	s->size = BPF_CORE_READ(file, f_inode, i_size);
	s->key = shm_key_parse(BPF_CORE_READ(file, f_path.dentry, d_name.name));
	s->n = 1;
	return 1;
}

/*
 * Adds d VMAs of segment s to acc; returns 1. Global, so that the verifier checks it once
 * instead of once per loop state of every caller (load time fell from seconds to
 * milliseconds).
 */
__noinline int acc_add(struct shmw_acc *acc, const struct acc_seg *s, int d)
{
	int i;

	if (!acc || !s)
		return 0;
	/* Find first, add after the loop: the loop body stays small for the verifier. */
	for (i = 0; i < ACC_SEGS; i++) {
		if (i >= acc->nsegs)
			break;
		if (acc->segs[i].ns == s->ns && acc->segs[i].shmid == s->shmid) {
			acc->segs[i].n += d;
			return 1;
		}
	}
	/* Not found: append at nsegs. Reading the index from memory, not the loop variable,
	 * lets the verifier treat every way out of the loop as one state. */
	i = acc->nsegs;
	if (i < 0 || i >= ACC_SEGS) {
		acc->overflow = 1;
		return 1;
	}
	acc->segs[i] = *s;
	acc->segs[i].n = d;
	acc->nsegs = i + 1;
	return 1;
}

/* Adds d VMAs of a file's segment to acc if it is a SysV shm file; returns 1 if it was. */
__noinline int acc_file_add(struct shmw_acc *acc, __u64 file_addr, int d)
{
	struct acc_seg s = {};

	if (!acc || !seg_of_file(&s, file_addr))
		return 0;
	return acc_add(acc, &s, d);
}

/*
 * The segment a VMA of the open-coded iterator maps (6.7+ only): what the verifier lets us load
 * directly there is loaded directly (a few ns, where a probe read costs tens): these walks run
 * in the syscalls being traced, and a fork's walk passes every VMA of the child here.
 * private_data is void *, which loads differently across kernels: it is probe-read.
 */
static __always_inline int seg_of_vma(struct acc_seg *s, struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file; /* vma: vma_plain's */
	struct shm_file_data *sfd;

	if (!file || (__u64)file->f_op->mmap != shm_mmap_addr)
		return 0;
	sfd = (struct shm_file_data *)BPF_CORE_READ(file, private_data);
	if (shmw_ksym_exists(bpf_rdonly_cast)) {
		/* The number made a pointer the verifier lets us load through directly: four
		 * probe reads fewer in every attach, detach and walk of a SysV VMA. */
		sfd = bpf_rdonly_cast(sfd, bpf_core_type_id_kernel(struct shm_file_data));
		s->ns = sfd->ns->ns.inum;
		s->nsptr = (__u64)sfd->ns;
		s->shmid = sfd->id;
		s->file = (__u64)sfd->file;
	} else {
		s->ns = BPF_CORE_READ(sfd, ns, ns.inum);
		s->nsptr = (__u64)BPF_CORE_READ(sfd, ns);
		s->shmid = BPF_CORE_READ(sfd, id);
		s->file = (__u64)BPF_CORE_READ(sfd, file);
	}
	s->size = file->f_inode->i_size;
	/* A number for the global function: one probe read for the last hop. */
	s->key = shm_key_at((__u64)BPF_CORE_READ(file->f_path.dentry, d_name.name));
	s->n = 1;
	return 1;
}

static __always_inline int acc_vma_walk(struct shmw_acc *acc, struct vm_area_struct *vma)
{
	struct acc_seg s;

	if (!seg_of_vma(&s, vma))
		return 0;
	return acc_add(acc, &s, 1);
}
/*
 * Counts SysV VMAs intersecting [*lo, *hi) and widens the range to cover them whole, so that
 * after a split every piece is still inside it. skip: NULL, or {lo, hi, inside} with lo, hi a
 * range walked already (mremap's source, when this is its destination): a VMA that reaches into
 * it was counted there, and is not counted twice (the two ranges, widened, can meet); inside 1:
 * only VMAs within [*lo, *hi) count, and the range is not widened.
 */
static __noinline void walk_range(struct task_struct *task, struct shmw_acc *acc, __u64 *lo,
				  __u64 *hi, const __u64 *skip)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;

	if (!have_vma_iter())
		return;
	if (bpf_iter_task_vma_new(&it, task, *lo))
		acc->overflow = ACC_BUSY;
	while ((vma = bpf_iter_task_vma_next(&it))) {
		__u64 start, end;

		vma = vma_plain(vma);
		start = vma->vm_start;
		end = vma->vm_end;

		if (start >= *hi)
			break;
		if (skip &&
		    ((start < skip[1] && end > skip[0]) || (skip[2] && (start < *lo || end > *hi))))
			continue;
		if (acc_vma_walk(acc, vma)) {
			if (start < *lo)
				*lo = start;
			if (end > *hi)
				*hi = end;
		}
	}
	bpf_iter_task_vma_destroy(&it);
}

/*
 * Where shmdt(addr) can reach, as ksys_shmdt decides it: from addr to addr plus the size of the
 * segment of the first SysV VMA at or after addr whose offset in the segment is its distance
 * from addr, or to that VMA's end if it ends beyond (an attachment grown by mremap maps offsets
 * past the segment's end: the kernel removes that first VMA whatever its end). That VMA need not
 * start at addr (its first pages unmapped), nor be the first VMA after it. Returns addr + 1
 * when there is none (shmdt fails: EINVAL).
 */
static __noinline __u64 shmdt_reach(struct task_struct *task, __u64 addr)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	__u64 hi = addr + 1;

	if (!have_vma_iter())
		return hi;
	bpf_iter_task_vma_new(&it, task, addr);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		struct file *file;
		__u64 start;

		vma = vma_plain(vma);
		start = vma->vm_start;
		file = vma->vm_file;
		if (start < addr || !file || (__u64)file->f_op->mmap != shm_mmap_addr ||
		    (start - addr) / SHMW_PAGE != vma->vm_pgoff)
			continue;
		hi = addr + ((file->f_inode->i_size + SHMW_PAGE - 1) & PAGE_MASK_4K);
		if (vma->vm_end > hi)
			hi = vma->vm_end;
		break;
	}
	bpf_iter_task_vma_destroy(&it);
	return hi;
}

/* Counts every SysV VMA of task. */
static __always_inline void walk_task(struct task_struct *task, struct shmw_acc *acc)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;

	if (!have_vma_iter())
		return;
	if (bpf_iter_task_vma_new(&it, task, 0))
		acc->overflow = ACC_BUSY;
	while ((vma = bpf_iter_task_vma_next(&it)))
		acc_vma_walk(acc, vma_plain(vma));
	bpf_iter_task_vma_destroy(&it);
}

/* What vma_hit_cb saw of the one VMA bpf_find_vma found (its context must be on the stack). */
struct vma_hit {
	__u64 file;
	__u64 start;
	__u64 end;
	__u64 pgoff;
};

static long vma_hit_cb(struct task_struct *task, struct vm_area_struct *vma, struct vma_hit *hit)
{
	hit->file = (__u64)BPF_CORE_READ(vma, vm_file);
	hit->start = BPF_CORE_READ(vma, vm_start);
	hit->end = BPF_CORE_READ(vma, vm_end);
	hit->pgoff = BPF_CORE_READ(vma, vm_pgoff);
	return 0;
}

/* What shm_hit_cb read of the VMA at an address (its context must be on the stack). */
struct shm_hit {
	struct vma_hit vma;
	struct acc_seg seg;
	__u32 shm; /* 1: a SysV VMA */
	__u32 pad;
};

static long shm_hit_cb(struct task_struct *task, struct vm_area_struct *vma, struct shm_hit *h)
{
	vma = vma_plain(vma);
	h->vma.start = vma->vm_start;
	h->vma.end = vma->vm_end;
	h->vma.file = (__u64)vma->vm_file;
	h->vma.pgoff = vma->vm_pgoff;
	h->shm = seg_of_vma(&h->seg, vma);
	return 0;
}

/*
 * Counts the VMA containing addr into acc (shmat's exit, which knows the address): one
 * bpf_find_vma lookup, no iterator, the VMA read with direct loads. Returns 0, -ENOENT
 * (nothing mapped there) or -EBUSY (the mmap lock was taken: unknown); *hit gets the VMA's
 * bounds.
 */
static __noinline long find_shm_at(struct task_struct *task, __u64 addr, struct shmw_acc *acc,
				   struct vma_hit *hit)
{
	struct shm_hit h = {};
	long err;

	err = bpf_find_vma(task, addr, shm_hit_cb, &h, 0);
	if (err)
		return err;
	*hit = h.vma;
	if (h.shm)
		acc_add(acc, &h.seg, 1);
	return 0;
}

/*
 * Counting a call exactly without the iterator: bpf_find_vma finds only the VMA containing an
 * address, so the VMAs of a range are followed from its start, each one's end being the next
 * probe, and a hole is crossed a page at a time. A count that needs more than PROBE_MAX probes
 * (a long chain, a wide hole) gives up and the caller asks user space for a walk instead.
 * Each probe takes the mmap lock with a trylock: -EBUSY (another thread holds it for writing)
 * gives up too. These run in the calling task, at its sys_enter or sys_exit.
 */
#define PROBE_MAX 32

static __always_inline long probe(__u64 addr, struct vma_hit *hit)
{
	return bpf_find_vma(bpf_get_current_task_btf(), addr, vma_hit_cb, hit, 0);
}

/*
 * What munmap of [lo, hi) does to the SysV VMAs there, as signed counts per segment in acc:
 * -1 for a VMA inside the range, +1 for one the range cuts in two, nothing for one it only
 * trims. Returns 0, -EBUSY or -E2BIG (see above). Global: the verifier checks the loop once.
 */
__noinline int count_unmap(struct shmw_acc *acc, __u64 lo, __u64 hi)
{
	struct vma_hit hit = {};
	__u64 p = lo;
	long err;
	int i;

	if (!acc)
		return 0;
	for (i = 0; i < PROBE_MAX; i++) {
		if (p >= hi)
			return 0;
		err = probe(p, &hit);
		if (err == -SHMW_ENOENT) {
			p += SHMW_PAGE;
			continue;
		}
		if (err)
			return err;
		if (hit.start < lo && hit.end > hi)
			acc_file_add(acc, hit.file, 1);
		else if (hit.start >= lo && hit.end <= hi)
			acc_file_add(acc, hit.file, -1);
		p = hit.end;
	}
	return p >= hi ? 0 : -SHMW_E2BIG;
}

/* shmdt's test of a VMA (ipc/shm.c ksys_shmdt): its offset is its distance from addr. */
static __always_inline bool shmdt_matches(struct vma_hit *hit, __u64 addr)
{
	return hit->start >= addr && (hit->start - addr) / SHMW_PAGE == hit->pgoff;
}

/* count_shmdt's walk, one probe a step of bpf_loop. */
struct shmdt_walk {
	struct shmw_acc *acc;
	__u64 addr;
	__u64 p;     /* the next address to probe */
	__u64 limit; /* no VMA that matters starts at or beyond it */
	__u64 file;  /* the first match's file, once found */
	long err;
	__u32 done;
};

static long shmdt_step(__u32 i, struct shmdt_walk *w)
{
	struct shm_hit h = {};
	long err;

	if (w->p >= w->limit) {
		w->done = 1;
		return 1;
	}
	/* The VMA and its segment read with direct loads in the callback: shmdt is half of
	 * every attach cycle, and the probe reads of a file's segment were a quarter of its
	 * cost. */
	err = bpf_find_vma(bpf_get_current_task_btf(), w->p, shm_hit_cb, &h, 0);
	if (err == -SHMW_ENOENT) {
		w->p += SHMW_PAGE;
		return 0;
	}
	if (err) {
		w->err = err;
		return 1;
	}
	if (!w->file) {
		if (h.shm && shmdt_matches(&h.vma, w->addr)) {
			w->file = h.vma.file;
			w->limit = w->addr + ((h.seg.size + SHMW_PAGE - 1) & ~(SHMW_PAGE - 1));
			acc_add(w->acc, &h.seg, -1);
		}
	} else {
		if (h.vma.end > w->limit) {
			w->done = 1; /* and every later VMA ends beyond it too */
			return 1;
		}
		if (h.vma.file == w->file && shmdt_matches(&h.vma, w->addr))
			acc_add(w->acc, &h.seg, -1);
	}
	w->p = h.vma.end;
	return 0;
}

/*
 * What shmdt(addr) removes, as -1 per VMA in acc. ksys_shmdt (6.1 as today) takes the first
 * SysV VMA from addr on that matches, then every later VMA of the same file that matches and
 * ends within the segment's size of addr. SysV VMAs all lie in [span_lo, span_hi): the search
 * for the first one starts no lower and ends there. Returns as count_unmap. The steps run in
 * bpf_loop: the verifier checks one step, where a bounded loop had it check every iteration
 * with every state (most of the programs' load time).
 */
__noinline int count_shmdt(struct shmw_acc *acc, __u64 addr, __u64 span_lo, __u64 span_hi)
{
	struct shmdt_walk w = {
	    .acc = acc, .addr = addr, .p = addr > span_lo ? addr : span_lo, .limit = span_hi};

	if (!acc)
		return 0;
	bpf_loop(PROBE_MAX, shmdt_step, &w, 0);
	if (w.err)
		return w.err;
	return w.done || w.p >= w.limit ? 0 : -SHMW_E2BIG;
}

/*
 * A call that only changes flags on a range (mprotect, madvise, mlock, mbind, ...) can cut a
 * VMA at the range's two ends and nowhere else, and before 6.7 (the only kernels that count
 * this way: no VMA iterator) SysV VMAs never merge back (shm_vm_ops has a close op:
 * is_mergeable_vma; 6.7 merges when no VMA goes). So: before the call, note the SysV VMA strictly
 * containing each end; after it, each such end that is now where a VMA of that file starts is one
 * more VMA. Probing the after-state covers calls that failed half-way.
 */
struct split_ends {
	__u64 at[2];
	__u64 file[2]; /* the SysV VMA strictly containing at[k] before the call, or 0 */
};

/* Before the call. Returns 0 or -EBUSY. Global: called from every splitting syscall. */
__noinline int split_before(struct split_ends *se)
{
	struct vma_hit hit = {};
	long err;
	int k;

	if (!se)
		return 0;
	se->file[0] = 0;
	se->file[1] = 0;
	for (k = 0; k < 2; k++) {
		if (k == 1 && se->at[1] == se->at[0])
			break;
		err = probe(se->at[k], &hit);
		if (err == -SHMW_ENOENT)
			continue;
		if (err)
			return err;
		if (hit.start < se->at[k] && is_shm_file(hit.file))
			se->file[k] = hit.file;
	}
	return 0;
}

/* After the call: the new VMAs, +1 each, into acc. Returns 0, or an error: walk instead. */
__noinline int split_after(struct split_ends *se, struct shmw_acc *acc)
{
	struct vma_hit hit = {};
	long err;
	int k;

	if (!se || !acc)
		return 0;
	for (k = 0; k < 2; k++) {
		if (!se->file[k])
			continue;
		err = probe(se->at[k], &hit);
		if (err)
			return err; /* busy, or the VMA is gone: not ours to explain */
		if (hit.start == se->at[k] && hit.file == se->file[k])
			acc_file_add(acc, hit.file, 1);
	}
	return 0;
}

#endif
