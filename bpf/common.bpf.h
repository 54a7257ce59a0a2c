/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layer 1 of the BPF side (bpf/shmwatch.bpf.c includes the layers in order; each uses only
 * what comes before it): constants, the configuration user space sets before load, the ring
 * buffer and the one way records go into it, counters, and small helpers.
 */
#ifndef SHMW_COMMON_BPF_H
#define SHMW_COMMON_BPF_H

/* errno values and limits (asm-generic), and the kernel constants we test against. */
#define SHMW_ENOENT  2
#define SHMW_E2BIG   7
#define SHMW_EBUSY   16
#define MAX_ERRNO    4095
#define SHMW_PAGE    4096ULL
#define PAGE_MASK_4K (~(SHMW_PAGE - 1))

#define IPC_RMID      0
#define IPC_64	      0x0100
#define SHM_REMAP     040000
#define SHM_DEST      01000 /* kern_ipc_perm.mode: marked for destruction */
#define MAP_FIXED     0x10
#define MREMAP_FIXED  2
#define MADV_DONTFORK 10
#define VM_DONTCOPY   0x00020000

/* Set by user space before load. */
const volatile __u64 shm_mmap_addr = 0;	 /* &shm_mmap: what makes a VMA SysV (vma.bpf.h) */
const volatile __u64 shm_close_addr = 0; /* &shm_close (fentry mode) */
const volatile __u32 no_vma_iter = 0;	 /* 1: ask user space for walks even where we can walk */
const volatile __u32 fentry_mode = 0;	 /* 1: the fentry programs count (fentry.bpf.h) */

/* 1 while user space walks all tasks: then every touched mm must be tracked. */
volatile __u32 seeding = 1;
/* CLOCK_REALTIME - CLOCK_BOOTTIME in ns, kept by user space: BPF has no realtime clock, and
 * a segment's shm_ctime is realtime seconds. */
volatile __s64 realtime_offset = 0;
__u64 version_counter = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

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

static __always_inline __u64 next_version(void)
{
	return __sync_fetch_and_add(&version_counter, 1) + 1;
}

/* A kernel address as a plain number: BTF pointers stay pointers to the verifier even when
 * cast, and cannot be passed where a scalar is expected. */
static __always_inline __u64 ptr_val(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

static __always_inline __u64 task_mm(struct task_struct *task)
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

/* The uid shmwatch shows and decides access by: the effective one, as ps(1)'s USER column. */
static __always_inline __u32 task_euid(struct task_struct *task)
{
	return BPF_CORE_READ(task, cred, euid.val);
}

/* The IPC namespace a task is in (0 while it exits and has none). */
static __always_inline __u32 task_ipc_ns(struct task_struct *task)
{
	return BPF_CORE_READ(task, nsproxy, ipc_ns, ns.inum);
}

/* A process is named by its thread group leader's comm, as ps(1) shows it. */
static __always_inline void leader_comm(char *dst, struct task_struct *task)
{
	bpf_probe_read_kernel_str(dst, SHMW_COMM_LEN, BPF_CORE_READ(task, group_leader, comm));
}

/* Who an event names: a process as BPF last knew it. */
struct who {
	__u64 version; /* the record's, set with the change it reports; 0: a new one */
	__u32 tgid;
	__u32 uid;
	char comm[SHMW_COMM_LEN];
};

static __always_inline void who_task(struct who *w, struct task_struct *task)
{
	w->version = 0;
	w->tgid = BPF_CORE_READ(task, tgid);
	w->uid = task_euid(task);
	leader_comm(w->comm, task);
}

/* What an event says of a segment (and of one holder's hold on it). */
struct ev_seg {
	__u64 size;
	__u64 since;
	__s64 gen;
	__u32 ns;
	__u32 shmid;
	__u32 key;
	__u32 nvma;
	__u32 how;
	__u32 aux;
	__u32 flags;
	__u32 pad;
};

/*
 * Records being built, per CPU. The 512-byte stack holds one whole call chain (fork, each of
 * its holdings, apply, the destroy it causes, emit), and a record drafted on the stack of
 * each would not fit: each builder that can be active on one chain has a slot of its own.
 */
struct draft {
	struct who w;
	struct ev_seg e;
};

enum draft_slot {
	DRAFT_HOLD,    /* hold_set, adopt: attach, vmas, detach */
	DRAFT_DESTROY, /* seg_destroyed */
	DRAFT_REC,     /* records about an mm: overflow, rescan, owner, sharers, ident */
	DRAFT_CALL,    /* shmget, shmctl */
	DRAFT_N
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DRAFT_N);
	__type(key, __u32);
	__type(value, struct draft);
} drafts SEC(".maps");

/* A zeroed draft of slot s (NULL only if the map failed, which it cannot). */
static __always_inline struct draft *draft(__u32 s)
{
	struct draft *d = bpf_map_lookup_elem(&drafts, &s);

	if (d)
		__builtin_memset(d, 0, sizeof(*d));
	return d;
}

#define TC(type, cause) ((type) | ((cause) << 16))

/* Waking the daemon for each record costs the traced process IPIs (the daemon is usually
 * caught up and asleep, and the ring buffer wakes it whenever it is): wake it at most once per
 * WAKE_NS. The daemon, once it has read records, looks again within a few ms on its own, so no
 * record waits longer than that. */
#define WAKE_NS 1000000ULL
__u64 last_wakeup = 0;

/*
 * Sends one record: type and cause (TC), the address space it is about (0 for none), who it
 * names (NULL: the current process, with a new version), the segment (NULL: none) and the
 * acting process. A record's events carry the version it got with the change (w->version):
 * user space skips those a map snapshot already reflects.
 */
static __noinline void emit(__u32 tc, __u64 mm, const struct who *w, const struct ev_seg *seg,
			    __u32 actor)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct shmw_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(SHMW_STAT_LOST);
		return;
	}
	e->ts = bpf_ktime_get_boot_ns();
	e->version = w && w->version ? w->version : next_version();
	e->mm = mm;
	e->type = tc & 0xffff;
	e->cause = tc >> 16;
	e->actor = actor;
	e->task_ns = task_ipc_ns(cur);
	e->pad = 0;
	if (seg) {
		e->size = seg->size;
		e->since = seg->since;
		e->gen = seg->gen;
		e->ns = seg->ns;
		e->shmid = seg->shmid;
		e->key = seg->key;
		e->nvma = seg->nvma;
		e->how = seg->how;
		e->aux = seg->aux;
		e->flags = seg->flags;
	} else {
		e->size = 0;
		e->since = 0;
		e->gen = 0;
		e->ns = 0;
		e->shmid = 0;
		e->key = 0;
		e->nvma = 0;
		e->how = 0;
		e->aux = 0;
		e->flags = 0;
	}
	if (w) {
		e->pid = w->tgid;
		e->uid = w->uid;
		__builtin_memcpy(e->comm, w->comm, SHMW_COMM_LEN);
	} else {
		e->pid = current_tgid();
		e->uid = task_euid(cur);
		leader_comm(e->comm, cur);
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

#endif
