/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Learning state from the kernel instead of from events: the start-up walk, walks of single
 * processes, and snapshots of the BPF maps that the user-space state is synced to.
 */
#ifndef SHMW_SEED_H
#define SHMW_SEED_H
#include <stddef.h>
#include <stdint.h>
#include "kseg.h"
#include "loader.h"
#include "metrics.h"
#include "state.h"

/* The maps, joined as they are read: each record with its holdings (slots), with their
 * segments' sizes and keys from the segs map. */
struct shmw_snapshot {
	uint64_t version; /* version counter read before the maps */
	uint64_t *keys;
	struct shmw_snap_mm *recs; /* recs[i].segs point into slots */
	size_t n;
	struct shmw_mm_seg *slots;
	uint32_t *sharer_tgids;
	struct shmw_sharer *sharers;
	size_t nsharers;
	size_t unseeded; /* records whose walk raced with a change */
};

/*
 * Walks every task with seeding on, then walks again each process whose walk raced with a
 * change, up to `retries` times. Returns how many address spaces are still not exact (the
 * caller retries them later), or -errno.
 */
int shmw_seed_all(struct shmw_bpf *b, int retries);
/* Walks the given processes again (after an overflow or a suspected miss). */
int shmw_seed_pids(struct shmw_bpf *b, const uint32_t *pids, size_t n);
/* One address space read from the maps: its record and holdings (rec.segs points into segs,
 * a buffer kept across reads). */
struct shmw_mm_one {
	struct shmw_snap_mm rec;
	struct shmw_mm_seg *segs;
	size_t cap;
};

/* Reads the record of one mm with its holdings and their segments' sizes and keys. Returns
 * 0, or -ENOENT when it has none. */
int shmw_mm_read(struct shmw_bpf *b, uint64_t mm, struct shmw_mm_one *out);
void shmw_mm_one_free(struct shmw_mm_one *o);
/* Reads the maps. Returns 0 or -errno; free with shmw_snapshot_free. */
int shmw_snapshot_take(struct shmw_bpf *b, struct shmw_snapshot *s);
void shmw_snapshot_free(struct shmw_snapshot *s);

/* The segments of a kernel table as the BPF side's segment entries (those it has are kept), so
 * that a later shmget of one is known for a lookup and not taken for a creation. Their
 * identity (the shm file) the BPF side learns at first sight. Returns how many did not fit
 * (the segs map is full). */
size_t shmw_bpf_seed_segs(struct shmw_bpf *b, uint32_t ns, const struct shmw_kseg *v, size_t n);
/* Drops the BPF side's entries of the segments of IPC namespace ns, which the kernel freed with
 * it: nothing BPF sees ends them (there is no system call). Returns how many it dropped. */
size_t shmw_bpf_forget_ns(struct shmw_bpf *b, uint32_t ns);
/* Drops BPF's entry of a segment the kernel freed unseen (gen: its shm_ctime, seconds), if
 * the entry is still that segment's and counts no mapping: true when it did. */
bool shmw_bpf_forget_seg(struct shmw_bpf *b, uint32_t ns, int32_t shmid, uint64_t size,
			 uint32_t key, int64_t gen);
/* VMAs the BPF side counts for a segment (its segs entry; 0 without one), for diagnosis. */
int32_t shmw_bpf_seg_nvma(const struct shmw_bpf *b, uint32_t ns, uint32_t shmid);
/* Entries of the maps whose fill level the metrics show, by enum shmw_metrics_map. */
void shmw_bpf_map_entries(const struct shmw_bpf *b, uint64_t out[SHMW_MM_NMAPS]);
#endif
