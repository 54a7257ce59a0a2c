/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Segment lifecycle: created, marked for destruction, gone; and the two alerts the tool
 * exists for: a segment marked for destruction that lingers because someone still holds it,
 * and an orphan nobody has held for long. Pure logic: the daemon feeds it what the kernel
 * says (struct shmw_kseg, or NULL for "no such segment") and what the tracer saw, with the
 * time; it reports lifecycle events through a callback.
 */
#ifndef SHMW_LIFECYCLE_H
#define SHMW_LIFECYCLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>
#include "shmwatch_abi.h"
#include "kseg.h"
#include "timefmt.h"

/* Who did something: a pid with its name, as the tracer saw it. */
struct shmw_actor {
	uint32_t pid;
	uint32_t uid;
	char comm[SHMW_COMM_LEN];
};

struct shmw_lseg {
	uint32_t ns;
	int32_t shmid;
	int64_t generation; /* when it was made, ns since the epoch (whole seconds for segments
			     * older than the daemon): tells apart segments reusing a shmid */
	uint32_t key;	    /* as created (the kernel reports 0 once marked) */
	uint64_t size;
	uint32_t perms;
	uint32_t uid;
	int32_t cpid, lpid;
	bool never_attached; /* the kernel has no attach or detach time: lpid 0 says nothing */
	int64_t nattch;
	uint64_t created; /* realtime ns (0: before we started) */
	bool creator_known;
	struct shmw_actor creator;
	bool locked; /* SHM_LOCK: its pages are pinned in memory */
	bool dest;
	uint64_t dest_since; /* realtime ns when marked (or first seen marked) */
	bool rmid_known;
	struct shmw_actor remover;
	uint32_t holders_at_rmid;
	bool lingering;	  /* a linger alert is active */
	uint32_t repeats; /* linger alerts sent in this episode */
	uint64_t next_alert;
	uint64_t unheld_since;	/* realtime ns; 0 while held */
	uint64_t absorbed;	/* realtime ns the kernel's table was last read into it */
	uint64_t missing_since; /* realtime ns when a reconcile first missed it; 0: listed */
	bool orphan_reported;
	uint64_t seen; /* reconcile pass that last saw it */
	UT_hash_handle hh;
};

enum shmw_life_event {
	SHMW_LIFE_CREATE = 1,
	SHMW_LIFE_RMID,
	SHMW_LIFE_DESTROY,
	SHMW_LIFE_LINGER,
	SHMW_LIFE_LINGER_END,
	SHMW_LIFE_ORPHAN,
};

/* Details of an event; fields not relevant to it are zero. */
struct shmw_life_info {
	uint32_t cause;		     /* create: SEED/SHMGET-ish; destroy: what released it */
	const char *cause_name;	     /* overrides cause ("vanished", "rmid", "shmget") */
	const struct shmw_actor *by; /* creator, remover or releaser, when known */
	uint64_t now;
	const char *reason; /* linger_end: "destroyed" or "released" */
	/* destroy: the kernel's table lost it and no event said why (kernel.shm_rmid_forced at
	 * its creator's exit): BPF saw no end either and still has its entry. */
	bool unseen;
};

typedef void (*shmw_life_cb)(void *ctx, enum shmw_life_event ev, const struct shmw_lseg *seg,
			     const struct shmw_life_info *info);

struct shmw_life_opts {
	uint64_t linger_after; /* ns; 0: no linger alerts */
	uint64_t realert;      /* ns; 0: alert once */
	uint64_t orphan_after; /* ns; 0: no orphan alerts */
};

struct shmw_life {
	struct shmw_lseg *segs;
	struct shmw_life_opts opts;
	shmw_life_cb cb;
	void *ctx;
	/* The name of a live process (the creator of a segment found in the kernel's table), into
	 * buf (SHMW_COMM_LEN bytes); false when it has gone. NULL: never known. */
	bool (*comm_of)(void *ctx, uint32_t pid, char *buf);
	uint64_t pass;
	/* The last drain left records in the ring: what the kernel's table lacks may still have
	 * its event on the way, so nothing is called vanished yet (set by the daemon). */
	bool behind;
	/* counters, for status and metrics */
	uint64_t created, destroyed, lingers, orphans;
};

void shmw_life_init(struct shmw_life *l, const struct shmw_life_opts *o, shmw_life_cb cb,
		    void *ctx);
void shmw_life_clear(struct shmw_life *l);
struct shmw_lseg *shmw_life_find(const struct shmw_life *l, uint32_t ns, int32_t shmid);

/* The kernel's table of one namespace (all of it): creates what is new (cause `seed` when
 * `startup`), notices what vanished, follows shmid reuse. */
void shmw_life_reconcile(struct shmw_life *l, uint32_t ns, const struct shmw_kseg *k, size_t n,
			 bool startup, uint64_t now);
/*
 * What the BPF side saw, in the kernel's order (docs/design.md, "Lifecycle"). k describes the
 * segment as the event does (shmid, key, size, perms, ctime as its generation); the kernel's
 * table may no longer have it when the event is read.
 */
/* shmget created it. An older segment under its shmid that we still had is gone. */
void shmw_life_created(struct shmw_life *l, uint32_t ns, const struct shmw_kseg *k,
		       const struct shmw_actor *by, uint64_t now);
/* shmctl(IPC_RMID) marked it; holders: address spaces holding it then. */
void shmw_life_rmid(struct shmw_life *l, uint32_t ns, const struct shmw_kseg *k,
		    const struct shmw_actor *by, uint32_t holders, uint64_t now);
/* The kernel freed it: cause (or cause_name), by what the releaser did. */
void shmw_life_destroyed(struct shmw_life *l, uint32_t ns, int32_t shmid, uint32_t cause,
			 const char *cause_name, const struct shmw_actor *by, uint64_t now);
/* The last holder we knew of let go, and the segment stays. */
void shmw_life_released(struct shmw_life *l, uint32_t ns, int32_t shmid, uint64_t now);
/* A segment as the event log knew it (replay at start-up): kept without a report. */
void shmw_life_restore(struct shmw_life *l, const struct shmw_lseg *s);
/* The event log says it was destroyed: forgotten without a report. */
void shmw_life_forget(struct shmw_life *l, uint32_t ns, int32_t shmid);
/* Someone attached (traced): it is held, by nattch VMAs as far as we know. */
void shmw_life_held(struct shmw_life *l, uint32_t ns, int32_t shmid, int64_t nattch);
/* A fresh kernel view of one segment outside any event (NULL: gone; called vanished by
 * shmw_life_tick after a grace with the ring drained, unless its event comes first). */
void shmw_life_update(struct shmw_life *l, uint32_t ns, int32_t shmid, const struct shmw_kseg *k,
		      uint64_t now);
/* Time passes: raises linger and orphan alerts that are due. */
void shmw_life_tick(struct shmw_life *l, uint64_t now);

/* Lingering and orphaned segments, for the `lingering` and `orphans` answers. */
size_t shmw_life_lingering(const struct shmw_life *l, const struct shmw_lseg **out, size_t max);
size_t shmw_life_orphans(const struct shmw_life *l, const struct shmw_lseg **out, size_t max);

/* A segment by its kernel ids. */
struct shmw_lseg_id {
	uint32_t ns;
	int32_t shmid;
};
/* Segments marked for destruction (few, and what the linger alert is about); returns the count
 * (fills up to max). */
size_t shmw_life_marked(const struct shmw_life *l, struct shmw_lseg_id *out, size_t max);
/* The namespaces of the segments known, each once, in a malloc'd array (NULL without
 * memory); returns the count. */
size_t shmw_life_namespaces(const struct shmw_life *l, uint32_t **out);

/* What the metrics show of the segments known now. */
struct shmw_life_totals {
	uint64_t segments[2];	  /* by status: [0] active, [1] marked for destruction */
	uint64_t bytes[2];	  /* their sizes */
	uint64_t lingering;	  /* a linger alert is active */
	uint64_t lingering_since; /* realtime ns the oldest of those was marked */
	uint64_t orphans;	  /* reported as orphans, not marked */
};
void shmw_life_totals(const struct shmw_life *l, struct shmw_life_totals *t);
#endif
