/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's mirror of the BPF maps: address spaces (mm) and what they hold, indexed by
 * segment so "who holds X" costs O(holders of X), and by pid for "ps". Pure logic: fed by
 * ring-buffer events and map snapshots, no syscalls, unit-tested on its own.
 */
#ifndef SHMW_STATE_H
#define SHMW_STATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>
#include "procinfo.h"
#include "shmwatch_abi.h"

struct shmw_mmst;

/* One segment as held by one mm: a BPF slot (struct shmw_mm_slot) with the segment's size and
 * key, which BPF keeps per segment (segs map) and sends in each event. */
struct shmw_mm_seg {
	uint64_t size;
	uint64_t since;
	uint32_t ns;
	uint32_t shmid;
	uint32_t key;
	uint32_t nvma; /* 0 = free slot */
	uint32_t how;
	uint32_t pad;
};

/* A segment some mm holds (segments nobody holds are the kernel's table, see kseg.h). */
struct shmw_seg {
	uint32_t ns;
	uint32_t shmid;
	uint32_t key;
	uint64_t size;
	/* holders: the mms that map it */
	struct shmw_mmst **mms;
	uint32_t nmms;
	uint32_t cap;
	UT_hash_handle hh;
};

/* One address space that holds at least one segment. Only the holdings it has are kept (no
 * bound but memory; most holders hold one), the first one inline. */
struct shmw_mmst {
	uint64_t mm;
	uint64_t version;
	uint64_t gen; /* snapshot generation that last saw it */
	uint32_t tgid;
	uint32_t uid;
	uint32_t flags;
	uint32_t nsegs;	  /* holdings: segs[0..nsegs) */
	uint32_t capsegs; /* 1: segs is &one */
	bool pid_indexed; /* is the by_pid entry for tgid (a newer mm may have taken it) */
	char comm[SHMW_COMM_LEN];
	struct shmw_procx x; /* cgroup, container, nspid of tgid: read on first report */
	struct shmw_mm_seg *segs;
	struct shmw_mm_seg one;
	UT_hash_handle hh;     /* by mm */
	UT_hash_handle hh_pid; /* by tgid (owner) */
};

/* A process using an mm it did not create (vfork child, CLONE_VM sibling). */
struct shmw_sharerst {
	uint32_t tgid;
	uint64_t mm;
	uint64_t since;
	uint32_t uid;
	uint64_t gen;
	char comm[SHMW_COMM_LEN];
	struct shmw_procx x; /* as for an mm's owner */
	UT_hash_handle hh;
};

struct shmw_state {
	struct shmw_seg *segs;	       /* by (ns, shmid) */
	struct shmw_mmst *mms;	       /* by mm */
	struct shmw_mmst *by_pid;      /* by owner tgid */
	struct shmw_sharerst *sharers; /* by tgid */
	uint64_t floor;		       /* events with version <= floor are already reflected */
	uint64_t gen;
	uint64_t nholdings; /* (mm, segment) pairs */
};

/* What a change did, for the event log and alerts. */
enum shmw_change {
	SHMW_CHG_NONE = 0,
	SHMW_CHG_ATTACH,
	SHMW_CHG_DETACH,
	SHMW_CHG_VMAS,
	SHMW_CHG_OWNER,
	SHMW_CHG_SHARE,
	SHMW_CHG_UNSHARE,
	SHMW_CHG_IDENT, /* a named or sharing process changed uid or name */
};

/* Called for each difference a snapshot finds (mm may be freed right after: copy what you
 * need). seg is NULL for owner/share changes. */
typedef void (*shmw_change_cb)(void *ctx, enum shmw_change chg, const struct shmw_mmst *mm,
			       const struct shmw_mm_seg *seg, uint32_t sharer_tgid);

void shmw_state_init(struct shmw_state *st);
void shmw_state_clear(struct shmw_state *st);

/*
 * Applies one ring-buffer event. Returns what it changed; SHMW_CHG_NONE for events that are
 * stale (already in a snapshot) or carry no holder change (rmid, overflow: the caller acts).
 */
enum shmw_change shmw_state_apply(struct shmw_state *st, const struct shmw_event *ev);

/* One address space as a snapshot of the BPF maps has it: the fields of struct shmw_mm that
 * user space uses, and its holdings (from the holds map) with their segments' sizes and keys
 * (segs map). Holdings with nvma 0 may be among them (staged by a walk): they hold nothing. */
struct shmw_snap_mm {
	uint64_t version;
	uint64_t born;
	uint32_t flags;
	uint32_t tgid;
	uint32_t uid;
	uint32_t nsegs;
	char comm[SHMW_COMM_LEN];
	const struct shmw_mm_seg *segs;
};

/*
 * Makes the state equal to a snapshot of the BPF maps taken when the version counter was
 * `version`, reporting each difference through cb. Records not yet seeded are skipped. how != 0:
 * holdings new to the state are kept (and reported) as got by `how` at `since`, not as the
 * snapshot has them.
 */
void shmw_state_sync(struct shmw_state *st, const uint64_t *mm_keys,
		     const struct shmw_snap_mm *recs, size_t nrecs, const uint32_t *sharer_tgids,
		     const struct shmw_sharer *sharers, size_t nsharers, uint64_t version,
		     uint32_t how, uint64_t since, shmw_change_cb cb, void *ctx);
/*
 * Makes one mm's holdings equal to its BPF record after a walk of that mm alone (rec NULL:
 * the record is gone; an unseeded record changes nothing).
 * Holdings new to the state are reported as got by `how` at `since` (boot ns). Sharers of
 * a live mm are left to their events.
 */
void shmw_state_sync_mm(struct shmw_state *st, uint64_t mm, const struct shmw_snap_mm *rec,
			uint32_t how, uint64_t since, shmw_change_cb cb, void *ctx);
struct shmw_seg *shmw_state_seg(const struct shmw_state *st, uint32_t ns, uint32_t shmid);
/* Namespaces in which a held segment has this shmid; returns the count (fills up to max). */
size_t shmw_state_namespaces_of(const struct shmw_state *st, uint32_t shmid, uint32_t *ns,
				size_t max);
/* The mm a process uses, as owner or sharer (*sharer set accordingly); NULL if none held. */
struct shmw_mmst *shmw_state_mm_of_pid(const struct shmw_state *st, uint32_t pid,
				       const struct shmw_sharerst **sharer);
/* The slot of a segment in an mm, or NULL. */
const struct shmw_mm_seg *shmw_mm_seg_of(const struct shmw_mmst *mm, uint32_t ns, uint32_t shmid);
/* Sharers of an mm, through cb; returns how many. */
size_t shmw_state_sharers_of(const struct shmw_state *st, uint64_t mm,
			     void (*cb)(void *ctx, const struct shmw_sharerst *sh), void *ctx);
/* The state's entry for an address space, or NULL when it holds nothing. */
const struct shmw_mmst *shmw_state_mm(const struct shmw_state *st, uint64_t mm);
/* A process using an mm it did not create, or NULL. */
const struct shmw_sharerst *shmw_state_sharer(const struct shmw_state *st, uint32_t tgid);
/* Whether some mm holds a segment of namespace ns. */
bool shmw_state_ns_held(const struct shmw_state *st, uint32_t ns);
/* Processes holding at least one segment: owners of the mms, and their sharers. */
size_t shmw_state_nholders(const struct shmw_state *st);
/* Holders (owners and sharers) whose comm is comm; returns the count (fills up to max). */
size_t shmw_state_pids_of_comm(const struct shmw_state *st, const char *comm, uint32_t *pids,
			       size_t max);
size_t shmw_state_nmms(const struct shmw_state *st);
size_t shmw_state_nsegs(const struct shmw_state *st);

#endif
