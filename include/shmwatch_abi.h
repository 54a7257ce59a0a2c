/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one ABI shared by the BPF programs (bpf/) and user space (user/).
 * Fixed-width types only, no pointers: kernel addresses travel as __u64
 * cookies. Every struct that crosses the boundary has a size assertion.
 */
#ifndef SHMWATCH_ABI_H
#define SHMWATCH_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SHMW_COMM_LEN 16

/* What changed (shmw_event.type). */
enum shmw_event_type {
	SHMW_EV_ATTACH = 1,   /* an mm gained its first VMA of a segment */
	SHMW_EV_DETACH = 2,   /* an mm lost its last VMA of a segment */
	SHMW_EV_VMAS = 3,     /* VMA count changed, holder unchanged (split, 2nd shmat) */
	SHMW_EV_RMID = 4,     /* shmctl(IPC_RMID) succeeded; aux = address spaces holding it */
	SHMW_EV_OWNER = 5,    /* the pid named for an mm changed (CLONE_VM sibling took over) */
	SHMW_EV_SHARE = 6,    /* another process started using a holder's mm (vfork, CLONE_VM) */
	SHMW_EV_UNSHARE = 7,  /* ... and stopped (exec or exit) */
	SHMW_EV_OVERFLOW = 8, /* BPF could not keep an mm's counts (a map full, a busy record):
			       * user space walks the mm again */
	SHMW_EV_CREATE = 9,   /* shmget created a segment; aux = its mode, gen = its shm_ctime */
	SHMW_EV_RESCAN = 10,  /* BPF could not count a change (no VMA iterator, before 6.7): user
			       * space walks the mm now and logs what differs with this cause */
	SHMW_EV_DESTROY = 11, /* the kernel freed a segment; cause: what released it (shmdt,
			       * exit, ..., shmctl for IPC_RMID of an unheld one), actor: who */
	SHMW_EV_IDENT = 12,   /* a named or sharing process changed uid or name: pid, uid, comm */
	SHMW_EV_TYPE_MAX
};

/* Why it changed (shmw_event.cause). */
enum shmw_cause {
	SHMW_CAUSE_NONE = 0,
	SHMW_CAUSE_SHMAT = 1,
	SHMW_CAUSE_SHMDT = 2,
	SHMW_CAUSE_FORK = 3,
	SHMW_CAUSE_EXEC = 4,
	SHMW_CAUSE_EXIT = 5,
	SHMW_CAUSE_MUNMAP = 6, /* munmap, mremap, mmap(MAP_FIXED) over it */
	SHMW_CAUSE_SPLIT = 7,  /* mprotect, madvise, mlock, mbind, ... cut a VMA */
	SHMW_CAUSE_SHMCTL = 8,
	SHMW_CAUSE_SEED = 9,	/* found by the start-up walk */
	SHMW_CAUSE_RESYNC = 10, /* found different by a resync walk */
	SHMW_CAUSE_MREMAP = 11,
	SHMW_CAUSE_SHMGET = 12,
	SHMW_CAUSE_SETUID = 13, /* IDENT: the setuid family */
	SHMW_CAUSE_RENAME = 14, /* IDENT: prctl(PR_SET_NAME), /proc/PID/comm */
	SHMW_CAUSE_MAX
};

/* shmw_event.flags */
#define SHMW_EVF_RMID_FORCED 0x1 /* DESTROY: kernel.shm_rmid_forced, not IPC_RMID, freed it */
#define SHMW_EVF_REUSED	     0x2 /* DESTROY: found gone only when its shmid came back */
#define SHMW_EVF_SHARER	     0x4 /* IDENT: pid is a sharer of mm, not the process named for it */

/* One ring-buffer record. Holder fields describe the mm after the change. */
struct shmw_event {
	__u64 ts;      /* bpf_ktime_get_boot_ns() */
	__u64 version; /* global change counter: orders events against map snapshots */
	__u64 mm;      /* holder address space cookie (struct mm_struct address) */
	__u64 size;    /* segment size in bytes */
	__u64 since;   /* boot ns when this mm first held the segment */
	__s64 gen;     /* the segment's shm_ctime at creation (seconds), when known, else 0 */
	__u32 type;    /* enum shmw_event_type */
	__u32 cause;   /* enum shmw_cause */
	__u32 ns;      /* IPC namespace inode number of the segment */
	__u32 shmid;
	__u32 key;     /* key the segment was created with (from the SYSV%08x name) */
	__u32 nvma;    /* VMAs of this segment in this mm after the change */
	__u32 pid;     /* tgid named for the mm (or the actor, for lifecycle events) */
	__u32 actor;   /* tgid whose action caused it (fork parent, remover, sharer) */
	__u32 uid;     /* effective uid of pid */
	__u32 how;     /* enum shmw_cause: how the holder first got the attachment */
	__u32 aux;     /* RMID: holders; CREATE: mode */
	__u32 flags;   /* SHMW_EVF_* */
	__u32 task_ns; /* IPC namespace of the actor (a way into that namespace) */
	__u32 pad;
	char comm[SHMW_COMM_LEN];
};
_Static_assert(sizeof(struct shmw_event) == 120, "shmw_event layout is ABI");

/*
 * An address space's holdings: one entry of the holds map per (mm, segment), found by key,
 * and listed per mm in the mm_list map at (mm, 0..nsegs-1) for the walks over everything an mm
 * holds (exit, fork, a walk's install). No fixed number of segments per mm: maps only.
 */
struct shmw_hold_key {
	__u64 mm;
	__u32 ns;
	__u32 shmid;
};
_Static_assert(sizeof(struct shmw_hold_key) == 16, "shmw_hold_key layout is ABI");

struct shmw_hold {
	__u64 since; /* boot ns when this mm first held the segment */
	__u64 wgen;  /* the walk that counted wcount (a walk stages its counts here) */
	__u32 nvma;  /* VMAs of the segment in the mm; 0: staged by a walk, not held */
	__u32 how;   /* enum shmw_cause: how the holder first got the attachment */
	__u32 idx;   /* position in the mm's list */
	__u32 wcount;
};
_Static_assert(sizeof(struct shmw_hold) == 32, "shmw_hold layout is ABI");

struct shmw_list_key {
	__u64 mm;
	__u32 idx;
	__u32 pad;
};
_Static_assert(sizeof(struct shmw_list_key) == 16, "shmw_list_key layout is ABI");

struct shmw_list_val {
	__u32 ns;
	__u32 shmid;
};
_Static_assert(sizeof(struct shmw_list_val) == 8, "shmw_list_val layout is ABI");

/* shmw_mm.flags */
#define SHMW_MM_SEEDED	 0x1  /* counts are exact (walked, or created by fork) */
#define SHMW_MM_OVERFLOW 0x2  /* counts incomplete (a map was full, the record busy): walk it */
#define SHMW_MM_EXITING	 0x4  /* named pid has exited; mm still alive */
#define SHMW_MM_RESCAN	 0x8  /* counts stale until the walk user space was asked for */
#define SHMW_MM_DONTCOPY 0x10 /* may map SysV VMAs that fork does not copy (MADV_DONTFORK) */
#define SHMW_MM_FORKING	 0x20 /* fentry mode: counted by fork's dup_mmap, child has no pid yet */

/* Value of the mms map, keyed by mm cookie: the process named for one address space and the
 * bookkeeping of its holdings (in holds and mm_list). */
struct shmw_mm {
	__u64 version;	/* version of the last change */
	__u64 changes;	/* bumped by every change; seeding walks compare it */
	__u64 lo, hi;	/* every SysV VMA lies in [lo, hi) while SEEDED and not RESCAN; kept
			 * only where BPF cannot walk ranges (no VMA iterator) */
	__u64 born;	/* version when the record was made: an mm_struct address is reused */
	__u32 inflight; /* VMA-changing syscalls between enter and exit */
	__u32 flags;
	__u32 tgid;	/* pid named for this mm: the process that made it, while it uses it */
	__u32 uid;	/* its effective uid */
	__u32 nsharers; /* sharers map entries naming this mm: at 0 an exit skips a search */
	__u32 nsegs;	/* length of its list in mm_list */
	__u32 lock;	/* 1 while a program changes its holdings (holds.bpf.h) */
	__u32 nidle;	/* holdings kept at 0 VMAs for the next attach (holds.bpf.h) */
	char comm[SHMW_COMM_LEN];
};
_Static_assert(sizeof(struct shmw_mm) == 88, "shmw_mm layout is ABI");

/* Key and value of the segs map: every segment BPF knows of, held or not, until the kernel
 * frees it. */
struct shmw_seg_key {
	__u32 ns;
	__u32 shmid;
};
_Static_assert(sizeof(struct shmw_seg_key) == 8, "shmw_seg_key layout is ABI");

/* shmw_seg_val.flags */
#define SHMW_SEG_DEST 0x1 /* IPC_RMID seen (or found marked): the last detach frees it */

struct shmw_seg_val {
	__u64 size;
	__u64 file;  /* the segment's shm file: the kernel's own identity of it; 0 until known */
	__u64 nsptr; /* its struct ipc_namespace, to look it up in the kernel again */
	__s64 ctime; /* shm_ctime at creation: the generation users see */
	__u32 key;
	__s32 nmms; /* address spaces holding it */
	__s32 nvma; /* their VMAs of it: the kernel's nattch when exact */
	__u32 flags;
	__u64 igen; /* its shm file inode's i_generation (random for each inode: the inode number
		     * is the shmid), with file (an address the kernel reuses once it frees the
		     * segment); 0 until known or for hugetlb segments */
};
_Static_assert(sizeof(struct shmw_seg_val) == 56, "shmw_seg_val layout is ABI");

/* Value of the sharers map, keyed by tgid: processes using an mm they did not create (vfork
 * children, clone(CLONE_VM) siblings), whether or not the mm holds anything yet. */
struct shmw_sharer {
	__u64 mm;
	__u64 since;
	__u32 uid;
	__u32 owner; /* the tgid that made the mm (named for it while it lives) */
	char comm[SHMW_COMM_LEN];
};
_Static_assert(sizeof(struct shmw_sharer) == 40, "shmw_sharer layout is ABI");

/* Indexes into the per-CPU stats array. */
enum shmw_stat {
	SHMW_STAT_EVENTS = 0,	/* records submitted */
	SHMW_STAT_LOST,		/* ring buffer full: record dropped */
	SHMW_STAT_MAP_FULL,	/* a map update failed (full): counts incomplete until a walk */
	SHMW_STAT_OVERFLOW,	/* an mm's counts could not be kept (map full, busy, miscount) */
	SHMW_STAT_WALK_LIMIT,	/* a VMA walk hit its iteration bound */
	SHMW_STAT_SEED_RETRY,	/* seeding walk raced with a change */
	SHMW_STAT_RESCAN,	/* walks of one mm asked of user space (SHMW_EV_RESCAN) */
	SHMW_STAT_BUSY,		/* an mm's record was being changed on another CPU: walk it */
	SHMW_STAT_SHARERS_LATE, /* a dying mm had more sharers still listed than exit_mmap ends */
	SHMW_STAT_MAX
};

/* What the namespace iterator (bpf/seed.bpf.h ns_walk) writes per process. */
struct shmw_ns_row {
	__u32 ns;  /* IPC namespace inode */
	__u32 pid; /* a process in it */
};
_Static_assert(sizeof(struct shmw_ns_row) == 8, "shmw_ns_row layout is ABI");

/* The attach cookie of the one program on the syscalls that can change VMAs (bpf/calls.bpf.h
 * on_vma_call), set by the loader per tracepoint: which call, at its entry or (| SHMW_CALL_EXIT)
 * its exit. */
enum shmw_call {
	SHMW_CALL_SPLIT = 0, /* mprotect, pkey_mprotect, mlock, mlock2, munlock, mbind, mseal */
	SHMW_CALL_MUNMAP,
	SHMW_CALL_MREMAP,
	SHMW_CALL_MMAP,
	SHMW_CALL_MADVISE,
	SHMW_CALL_REMAP_FILE_PAGES,
	SHMW_CALL_SHMDT,
	SHMW_CALL_SHMAT,
};
#define SHMW_CALL_EXIT 0x100

#endif /* SHMWATCH_ABI_H */
