/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Segments' state replayed from event log lines: for each (IPC namespace, shmid), whether it
 * exists, is marked for destruction or gone, who created and removed it, and its holders
 * (address spaces, with the pid, name and user their last line gave them). `who --at` replays
 * one segment's lines (logquery.h); the compression of a rotated file replays every line and
 * writes the state at its end as a checkpoint in the file's index (logset.h), from which a
 * later `who --at` starts instead of from the oldest file.
 */
#ifndef SHMW_SEGREPLAY_H
#define SHMW_SEGREPLAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>
#include "jsonproto.h"

struct shmw_rholder {
	char mm[24];
	uint32_t pid, uid, vmas;
	char comm[64], user[64], how[16];
	uint64_t since;
	UT_hash_handle hh;
};

struct shmw_ractor {
	bool known;
	uint64_t time;
	uint32_t pid, uid;
	char comm[64], user[64];
};

struct shmw_rseg {
	uint64_t id; /* ns << 32 | shmid */
	uint32_t ns, shmid;
	bool exists, dest, gone;
	uint64_t key, size;
	int64_t generation;
	struct shmw_ractor created, removed;
	uint64_t destroyed;
	char destroy_cause[16];
	struct shmw_rholder *holders;
	UT_hash_handle hh;
};

struct shmw_rsegs {
	struct shmw_rseg *map;
	bool forget_gone; /* drop a segment at its destroy (a checkpoint keeps only the living) */
};

/* Applies one log line (time t, CLOCK_REALTIME ns) to the segment it names. Lines that are not
 * JSON objects, or name no segment, change nothing. Returns 0 or -ENOMEM. */
int shmw_rsegs_apply(struct shmw_rsegs *s, const char *line, size_t len, uint64_t t);
/* The segment (ns, shmid), or NULL. */
struct shmw_rseg *shmw_rsegs_find(struct shmw_rsegs *s, uint32_t ns, uint32_t shmid);
void shmw_rsegs_free(struct shmw_rsegs *s);
/* The living segments as checkpoint lines ("SHMID NS {json}\n", shmids ascending). */
void shmw_rsegs_write(const struct shmw_rsegs *s, struct shmw_jbuf *b);
/* Loads one checkpoint line (without its newline). Returns 0, -EINVAL for a line that is not
 * one, -ENOMEM. */
int shmw_rsegs_load(struct shmw_rsegs *s, const char *line, size_t len);
#endif
