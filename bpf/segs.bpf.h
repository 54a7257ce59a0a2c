/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 3: segments (uses common.bpf.h and vma.bpf.h's struct acc_seg).
 *
 * Every segment BPF knows of has an entry in the segs map, held or not, from its creation (or
 * first sight) until the kernel frees it: its size, key, generation (shm_ctime at creation),
 * its kernel identity (the segment's shm file), whether IPC_RMID marked it, and how many
 * address spaces and VMAs hold it. The lifecycle records (create, rmid, destroy) are sent from
 * here, in the same ring as the attachments and in the kernel's order: a segment is destroyed
 * by IPC_RMID when nothing maps it, else by the detach that drops the last VMA of a marked one
 * (docs/design.md, "Lifecycle").
 *
 * Whether the kernel still has a segment is read from the kernel itself: its namespace's IDR
 * (ipc_ids.ipcs_idr, an xarray) at the segment's index, as ipc_obtain_object_idr does.
 */
#ifndef SHMW_SEGS_BPF_H
#define SHMW_SEGS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct shmw_seg_key);
	__type(value, struct shmw_seg_val);
} segs SEC(".maps");

/* The kernel's view of one segment, read from its shmid_kernel. */
struct kseg {
	__u64 file;
	__u64 igen; /* the file inode's i_generation */
	__u64 size;
	__s64 ctime;
	__u32 mode;
	__u32 cpid; /* creator, as a pid of the initial pid namespace */
	__u32 key;
	__u32 found;
};

/*
 * Whether entry v is of the segment whose shm file is at file, whose inode has generation igen
 * (0: not read, or a hugetlb segment's). The address alone is no identity: once the kernel
 * frees a segment where we cannot see it (kernel.shm_rmid_forced at its creator's exit, its
 * namespace's end) the next shm file is often allocated at the same address, by a segment under
 * the same shmid (kernel.shm_next_id, ids that restart at 0 in a new namespace). The inode
 * number is no help: newseg sets it to the shmid. shmem gives each inode a random
 * i_generation.
 */
static __always_inline bool seg_is(const struct shmw_seg_val *v, __u64 file, __u64 igen)
{
	return v->file == file && (!v->igen || !igen || v->igen == igen);
}

/* The i_generation of a shm file's inode (a VMA's, as acc_seg has it). Its own frame: inline,
 * its reads' temporaries grew seg_ensure's frame past 32 bytes, and 6.1's 512-byte bound of the
 * deepest call chain (on_vma_call's, through seg_ensure) with it. */
static __noinline __u64 file_igen(__u64 file)
{
	return file ? BPF_CORE_READ((struct file *)file, f_inode, i_generation) : 0;
}

/* What the segment functions read of the kernel and build, per CPU (see struct draft). */
struct seg_tmp {
	struct kseg ks;
	struct shmw_seg_val init;
};

enum { TMP_ENSURE, TMP_RELEASED, TMP_CALL, TMP_N };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TMP_N);
	__type(key, __u32);
	__type(value, struct seg_tmp);
} seg_tmps SEC(".maps");

static __always_inline struct seg_tmp *seg_tmp(__u32 s)
{
	struct seg_tmp *t = bpf_map_lookup_elem(&seg_tmps, &s);

	if (t)
		__builtin_memset(t, 0, sizeof(*t));
	return t;
}

#define IPC_SHM_IDS   2
#define XA_CHUNK_MASK 63
#define XA_MAX_LEVELS 5 /* 6 bits a level: 30 bits of index, more than ipcmni_extend's 24 */

static __always_inline bool xa_is_node(__u64 e)
{
	return (e & 3) == 2 && e > 4096;
}

/* What a lockless reader meets where a concurrent change moved the entry at index 0 up to the
 * head (xas_shrink leaves it in the old root's first slot): start again from the head. */
#define XA_RETRY_ENTRY ((256ULL << 2) | 2)

/* One walk of an xarray to idx: the entry, XA_RETRY_ENTRY, or 0 (absent, or another internal
 * entry). */
static __always_inline __u64 xa_walk(struct idr *idr, __u32 idx)
{
	__u64 e = (__u64)BPF_CORE_READ(idr, idr_rt.xa_head);
	int i;

	if (!xa_is_node(e))
		return idx == 0 ? e : 0;
	for (i = 0; i < XA_MAX_LEVELS; i++) {
		struct xa_node *n = (struct xa_node *)(e - 2);
		__u32 shift = BPF_CORE_READ(n, shift);
		void *slot = NULL;

		if (shift > 30 || (i == 0 && (idx >> shift) > XA_CHUNK_MASK))
			return 0;
		bpf_probe_read_kernel(&slot, sizeof(slot),
				      &n->slots[(idx >> shift) & XA_CHUNK_MASK]);
		e = (__u64)slot;
		if (!xa_is_node(e))
			break;
	}
	return e == XA_RETRY_ENTRY || (e & 3) != 2 ? e : 0;
}

/*
 * idr_find(): the entry at idx of an xarray, or 0 (absent). Read without the lock, as the
 * kernel's xa_load reads it: a walk that meets a retry entry (another CPU shrank the tree to
 * the entry at index 0 under us) starts again; taken for "absent", that segment would look
 * gone. Walks written out, not a loop around the loop: that one took the verifier 20k
 * instructions more in every program.
 */
static __always_inline __u64 xa_load(struct idr *idr, __u32 idx)
{
	__u64 e = xa_walk(idr, idx);

	if (e == XA_RETRY_ENTRY)
		e = xa_walk(idr, idx);
	if (e == XA_RETRY_ENTRY)
		e = xa_walk(idr, idx);
	return e == XA_RETRY_ENTRY ? 0 : e;
}

/*
 * The segment shmid of the namespace at nsptr as the kernel has it now; returns 1 (k filled) or
 * 0 (no such segment). The index is the id's low 15 bits, or 24 with ipcmni_extend: both are
 * tried, and the entry must carry the whole id (its sequence number too). Global: verified
 * once.
 */
__noinline int kseg_find(__u64 nsptr, __u32 shmid, struct kseg *k)
{
	struct ipc_namespace *ns = (struct ipc_namespace *)nsptr;
	struct shmid_kernel *shp;
	struct idr *idr;
	__u64 p;

	if (!k)
		return 0;
	k->found = 0;
	if (!ns)
		return 0;
	idr = &ns->ids[IPC_SHM_IDS].ipcs_idr;
	p = xa_load(idr, shmid & 0x7fff);
	if (p && BPF_CORE_READ((struct kern_ipc_perm *)p, id) != (int)shmid)
		p = 0;
	if (!p && (shmid & 0xffffff) != (shmid & 0x7fff)) {
		p = xa_load(idr, shmid & 0xffffff);
		if (p && BPF_CORE_READ((struct kern_ipc_perm *)p, id) != (int)shmid)
			p = 0;
	}
	if (!p)
		return 0;
	shp = (struct shmid_kernel *)p; /* shm_perm is its first member */
	if (BPF_CORE_READ(shp, shm_perm.deleted))
		return 0; /* ipc_rmid ran: it is going */
	k->file = (__u64)BPF_CORE_READ(shp, shm_file);
	k->igen = BPF_CORE_READ(shp, shm_file, f_inode, i_generation);
	k->size = BPF_CORE_READ(shp, shm_segsz);
	k->ctime = BPF_CORE_READ(shp, shm_ctim);
	k->mode = BPF_CORE_READ(shp, shm_perm.mode);
	k->key = BPF_CORE_READ(shp, shm_perm.key);
	k->cpid = BPF_CORE_READ(shp, shm_cprid, numbers[0].nr);
	k->found = 1;
	return 1;
}

static __always_inline __u64 current_ipc_nsptr(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();

	return (__u64)BPF_CORE_READ(cur, nsproxy, ipc_ns);
}

/* kernel.shm_rmid_forced of a namespace: then the last detach frees a segment unmarked. */
static __always_inline bool rmid_forced(__u64 nsptr)
{
	struct ipc_namespace *ns = (struct ipc_namespace *)nsptr;

	return ns && BPF_CORE_READ(ns, shm_rmid_forced);
}

static __always_inline void ev_seg_of_val(struct ev_seg *e, const struct shmw_seg_key *k,
					  const struct shmw_seg_val *v)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->ns = k->ns;
	e->shmid = k->shmid;
	e->size = v->size;
	e->key = v->key;
	e->gen = v->ctime;
}

/*
 * The kernel freed the segment of entry v (k) and we saw it: send destroy, naming what
 * released it (w, NULL for the current process) and why (cause, flags), and forget it.
 */
static __always_inline void seg_destroyed(struct shmw_seg_key *k, struct shmw_seg_val *v,
					  __u32 cause, const struct who *w, __u32 flags)
{
	struct draft *d = draft(DRAFT_DESTROY);

	if (d) {
		ev_seg_of_val(&d->e, k, v);
		d->e.flags = flags;
		if (w) {
			d->w = *w;
			d->w.version = 0; /* a record of its own, not of the holder's mm */
		}
		emit(TC(SHMW_EV_DESTROY, cause), 0, w ? &d->w : NULL, &d->e,
		     w ? w->tgid : current_tgid());
	}
	bpf_map_delete_elem(&segs, k);
}

/* A segment's entry from what the kernel says of it now (kseg_find), or zeroed. */
static __always_inline void seg_val_init(struct shmw_seg_val *v, const struct kseg *ks, __u64 nsptr)
{
	__builtin_memset(v, 0, sizeof(*v));
	v->nsptr = nsptr;
	if (!ks->found)
		return;
	v->file = ks->file;
	v->igen = ks->igen;
	v->size = ks->size;
	v->ctime = ks->ctime;
	v->key = ks->key;
	if (ks->mode & SHM_DEST)
		v->flags = SHMW_SEG_DEST;
}

/*
 * The entry of segment a (as a VMA or a lookup showed it), created if new to us. When the
 * entry names another segment under the same shmid (the old one was freed where we could not
 * see it: kernel.shm_rmid_forced at its creator's exit, its namespace's end), the old one is
 * reported destroyed first. Returns 0, or -1 only when the map is full (counted). Global:
 * verified once (and so it returns a number: look the entry up after).
 */
__noinline int seg_ensure(struct acc_seg *a)
{
	struct shmw_seg_key k;
	struct seg_tmp *t = seg_tmp(TMP_ENSURE);
	struct shmw_seg_val *v;

	if (!a || !t)
		return -1;
	k.ns = a->ns;
	k.shmid = a->shmid;
	v = bpf_map_lookup_elem(&segs, &k);
	if (v && a->file && v->file && !seg_is(v, a->file, file_igen(a->file))) {
		seg_destroyed(&k, v, SHMW_CAUSE_NONE, NULL, SHMW_EVF_REUSED);
		v = NULL;
	}
	if (v) {
		if (!v->file && a->file) {
			v->file = a->file;
			v->igen = file_igen(a->file);
			v->nsptr = a->nsptr;
		}
		return 0;
	}
	/* First sight of it (it predates us, or our entry went with a map failure). */
	kseg_find(a->nsptr, a->shmid, &t->ks);
	seg_val_init(&t->init, &t->ks, a->nsptr);
	if (!t->ks.found) {
		t->init.file = a->file;
		t->init.igen = file_igen(a->file);
		t->init.size = a->size;
		t->init.key = a->key;
	}
	if (bpf_map_update_elem(&segs, &k, &t->init, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&segs, &k)) {
		stat_inc(SHMW_STAT_MAP_FULL);
		return -1;
	}
	return 0;
}

/*
 * Adds dvma VMAs and dmms address spaces to segment a's counts; fills a's size and key where
 * it has none, and *gen. Returns the entry (NULL: map full).
 */
static __always_inline struct shmw_seg_val *seg_adjust(struct acc_seg *a, int dvma, int dmms,
						       __s64 *gen)
{
	struct shmw_seg_key k = {.ns = a->ns, .shmid = a->shmid};
	struct shmw_seg_val *v;

	if (seg_ensure(a))
		return NULL;
	v = bpf_map_lookup_elem(&segs, &k);
	if (!v)
		return NULL;
	if (!a->size) {
		a->size = v->size;
		a->key = v->key;
	}
	*gen = v->ctime;
	if (dvma)
		__sync_fetch_and_add(&v->nvma, dvma);
	if (dmms)
		__sync_fetch_and_add(&v->nmms, dmms);
	return v;
}

/*
 * After a detach of segment a left no VMA of it that we count: did the kernel free it? Only a
 * marked one (or any, under kernel.shm_rmid_forced) can have been, and the kernel itself says
 * whether it has it still. w (NULL: the current process) released it, for cause.
 */
static __always_inline void seg_released(struct acc_seg *a, __u32 cause, const struct who *w)
{
	struct shmw_seg_key k = {.ns = a->ns, .shmid = a->shmid};
	struct shmw_seg_val *v = bpf_map_lookup_elem(&segs, &k);
	struct seg_tmp *t;
	__u32 flags = 0;

	if (!v || v->nvma > 0)
		return;
	if (!(v->flags & SHMW_SEG_DEST)) {
		if (!rmid_forced(v->nsptr))
			return;
		flags = SHMW_EVF_RMID_FORCED;
	}
	t = seg_tmp(TMP_RELEASED);
	if (!t || (kseg_find(v->nsptr, a->shmid, &t->ks) &&
		   (!v->file || seg_is(v, t->ks.file, t->ks.igen))))
		return; /* still there: another VMA we did not count, or an shmat racing us */
	seg_destroyed(&k, v, cause, w, flags);
}

#endif
