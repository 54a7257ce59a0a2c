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
/* Distinct segments one address space can hold (SAP instances attach dozens); beyond this an
 * address space is tracked for its first SHMW_MM_SEGS segments and flagged as overflowed. */
#define SHMW_MM_SEGS 64

/* What changed (shmw_event.type). */
enum shmw_event_type {
	SHMW_EV_ATTACH = 1,  /* an mm gained its first VMA of a segment */
	SHMW_EV_DETACH = 2,  /* an mm lost its last VMA of a segment */
	SHMW_EV_VMAS = 3,    /* VMA count changed, holder unchanged (split, 2nd shmat) */
	SHMW_EV_RMID = 4,    /* shmctl(IPC_RMID) succeeded */
	SHMW_EV_OWNER = 5,   /* the pid named for an mm changed (CLONE_VM sibling took over) */
	SHMW_EV_SHARE = 6,   /* another process started using a holder's mm (vfork, CLONE_VM) */
	SHMW_EV_UNSHARE = 7, /* ... and stopped (exec or exit) */
	SHMW_EV_OVERFLOW =
	    8,		    /* an mm holds more than SHMW_MM_SEGS segments: user space resyncs it */
	SHMW_EV_SHMGET = 9, /* shmget returned shmid (created, or found by key); nvma = shmflg */
	SHMW_EV_RESCAN = 10, /* BPF could not count a change (no VMA iterator, before 6.7): user
			      * space walks the mm now and logs what differs with this cause */
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
	SHMW_CAUSE_MAX
};

/* One ring-buffer record. Holder fields describe the mm after the change. */
struct shmw_event {
	__u64 ts;      /* bpf_ktime_get_boot_ns() */
	__u64 version; /* global change counter: orders events against map snapshots */
	__u64 mm;      /* holder address space cookie (struct mm_struct address) */
	__u64 size;    /* segment size in bytes */
	__u64 since;   /* boot ns when this mm first held the segment */
	__u32 type;    /* enum shmw_event_type */
	__u32 cause;   /* enum shmw_cause */
	__u32 ns;      /* IPC namespace inode number */
	__u32 shmid;
	__u32 key;   /* key the segment was created with (from the SYSV%08x name) */
	__u32 nvma;  /* VMAs of this segment in this mm after the change */
	__u32 pid;   /* tgid named for the mm (or the actor, for RMID) */
	__u32 actor; /* tgid whose action caused it (fork parent, remover, sharer) */
	__u32 uid;
	__u32 how; /* enum shmw_cause: how the holder first got the attachment */
	char comm[SHMW_COMM_LEN];
};
_Static_assert(sizeof(struct shmw_event) == 96, "shmw_event layout is ABI");

/* One segment as held by one mm (a slot of struct shmw_mm or shmw_mm_big). Its size and key
 * are the segment's, not the holder's: they live once, in the segs map (struct shmw_seg_val). */
struct shmw_mm_slot {
	__u64 since; /* boot ns when this mm first held the segment */
	__u32 ns;
	__u32 shmid;
	__u32 nvma; /* 0 = free slot */
	__u32 how;  /* enum shmw_cause: how the holder first got the attachment */
};
_Static_assert(sizeof(struct shmw_mm_slot) == 24, "shmw_mm_slot layout is ABI");

/* Slots inline in every record: nearly every holder holds 1-4 segments. An mm that needs more
 * gets a struct shmw_mm_big (mms_big map, same key) for slots SHMW_MM_INLINE..SHMW_MM_SEGS-1,
 * and SHMW_MM_BIG; it keeps it until its record goes or a walk finds it holds fewer again. */
#define SHMW_MM_INLINE 4

/* shmw_mm.flags */
#define SHMW_MM_SEEDED	 0x1  /* counts are exact (walked, or created by fork) */
#define SHMW_MM_OVERFLOW 0x2  /* more segments than slots: counts incomplete */
#define SHMW_MM_EXITING	 0x4  /* named pid has exited; mm still alive */
#define SHMW_MM_RESCAN	 0x8  /* counts stale until the walk user space was asked for */
#define SHMW_MM_DONTCOPY 0x10 /* may map SysV VMAs that fork does not copy (MADV_DONTFORK) */
#define SHMW_MM_FORKING	 0x20 /* fentry mode: counted by fork's dup_mmap, child has no pid yet */
#define SHMW_MM_BIG	 0x40 /* slots beyond SHMW_MM_INLINE are in mms_big[mm] */

/* Value of the mms map, keyed by mm cookie: the live attachers of one address space. */
struct shmw_mm {
	__u64 version;	/* version of the last change */
	__u64 changes;	/* bumped by every change; seeding walks compare it */
	__u32 inflight; /* VMA-changing syscalls between enter and exit */
	__u32 flags;
	__u32 tgid; /* pid named for this mm */
	__u32 uid;
	char comm[SHMW_COMM_LEN];
	/* Every SysV VMA of the mm lies in [lo, hi) while SEEDED and not RESCAN; kept only
	 * where BPF cannot walk ranges, to ask for walks only when a call reaches one. */
	__u64 lo, hi;
	__u64 born;	/* version when the record was made: an mm_struct address is reused */
	__u32 nsharers; /* sharers map entries naming this mm: at 0 an exit skips a search */
	__u32 pad;
	struct shmw_mm_slot segs[SHMW_MM_INLINE];
};
_Static_assert(sizeof(struct shmw_mm) == 80 + SHMW_MM_INLINE * 24, "shmw_mm layout is ABI");

/* Value of the mms_big map, keyed by mm cookie: slots SHMW_MM_INLINE.. of an SHMW_MM_BIG mm. */
struct shmw_mm_big {
	struct shmw_mm_slot segs[SHMW_MM_SEGS - SHMW_MM_INLINE];
};
_Static_assert(sizeof(struct shmw_mm_big) == (SHMW_MM_SEGS - SHMW_MM_INLINE) * 24,
	       "shmw_mm_big layout is ABI");

/* Key and value of the segs map: the attachers of one segment, summed over address spaces. */
struct shmw_seg_key {
	__u32 ns;
	__u32 shmid;
};
_Static_assert(sizeof(struct shmw_seg_key) == 8, "shmw_seg_key layout is ABI");

struct shmw_seg_val {
	__u64 size;
	__u32 key;
	__s32 nmms; /* address spaces holding it */
	__s32 nvma; /* their VMAs of it: the kernel's nattch when exact */
	__u32 pad;
};
_Static_assert(sizeof(struct shmw_seg_val) == 24, "shmw_seg_val layout is ABI");

/* Value of the sharers map, keyed by tgid: processes using an mm they did not create. */
struct shmw_sharer {
	__u64 mm;
	__u64 since;
	__u32 uid;
	__u32 pad;
	char comm[SHMW_COMM_LEN];
};
_Static_assert(sizeof(struct shmw_sharer) == 40, "shmw_sharer layout is ABI");

/* Indexes into the per-CPU stats array. */
enum shmw_stat {
	SHMW_STAT_EVENTS = 0, /* records submitted */
	SHMW_STAT_LOST,	      /* ring buffer full: record dropped */
	SHMW_STAT_MAP_FULL,   /* mms/sharers/scratch update failed */
	SHMW_STAT_OVERFLOW,   /* mm ran out of segment slots */
	SHMW_STAT_WALK_LIMIT, /* a VMA walk hit its iteration bound */
	SHMW_STAT_SEED_RETRY, /* seeding walk raced with a change */
	SHMW_STAT_RESCAN,     /* walks of one mm asked of user space (SHMW_EV_RESCAN) */
	SHMW_STAT_MAX
};

/* Seed walk verdicts the iterator reports per mm (shmw_seed_result.status). */
struct shmw_seed_result {
	__u64 mm;
	__u32 tgid;
	__u32 ok; /* 1: counts installed exactly; 0: raced, walk again */
};
_Static_assert(sizeof(struct shmw_seed_result) == 16, "shmw_seed_result layout is ABI");

/* The attach cookie of the one program on the syscalls that can change VMAs (bpf/shmwatch.bpf.c
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
