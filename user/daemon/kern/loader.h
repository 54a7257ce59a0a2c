/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Opening, sizing, loading and attaching the BPF side; one cleanup path. */
#ifndef SHMW_LOADER_H
#define SHMW_LOADER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "shmwatch_abi.h"

/* Only kern/ talks to libbpf: its types are opaque here. */
struct shmwatch; /* the skeleton */
struct ring_buffer;
struct bpf_link;

/* Called with each ring-buffer record (libbpf's ring_buffer_sample_fn). */
typedef int (*shmw_sample_fn)(void *ctx, void *data, size_t size);

/* Tracepoint mode's links: the entry and exit of each VMA call (loader.c asserts it). */
#define SHMW_MAX_LINKS 32

/* How attachments are counted (docs/kernels.md, "Modes"). */
enum shmw_mode {
	SHMW_MODE_AUTO = 0,   /* fentry where the kernel allows it, else tracepoint */
	SHMW_MODE_FENTRY,     /* fentry/fexit on ipc/shm.c's counting points, or fail */
	SHMW_MODE_TRACEPOINT, /* syscall tracepoints and VMA-range recounts */
};

const char *shmw_mode_name(enum shmw_mode m);
/* 0 and *m set, or -EINVAL for a name that is none of "auto", "fentry", "tracepoint". */
int shmw_mode_parse(const char *s, enum shmw_mode *m);

struct shmw_bpf_opts {
	enum shmw_mode mode;
	uint32_t max_mms;      /* address spaces holding segments */
	uint32_t max_holdings; /* (address space, segment) pairs */
	uint32_t max_segs;     /* segments known, held or not */
	uint32_t max_sharers;  /* vfork children / CLONE_VM siblings of holders */
	uint32_t ring_bytes;   /* ring buffer size, power of two */
};

struct shmw_bpf {
	struct shmwatch *skel; /* owns the maps; most programs */
	struct shmwatch *twin; /* the programs loaded at the same time (loader.c); or NULL */
	struct ring_buffer *rb;
	struct bpf_link *iter_all; /* the seeding walk over every task */
	struct bpf_link *iter_ns;  /* the namespace walk over every process */
	const char *mode;	   /* "fentry" or "tracepoint" */
	char mode_reason[128]; /* why that mode: "forced by --mode ...", "fentry refused: EPERM at
				  load" */
	uint64_t shm_mmap_addr;
	bool rescans; /* VMA changes are counted by walks on request (no VMA iterator) */
	uint64_t shm_close_addr;
	struct bpf_link *links[SHMW_MAX_LINKS]; /* programs attached to more than their section's */
	size_t nlinks;
};

/* Loads and attaches everything; on failure returns -errno with a reason in err and leaves
 * nothing behind. Events go to sample_cb(ctx, data, size). */
int shmw_bpf_start(struct shmw_bpf *b, const struct shmw_bpf_opts *opts, shmw_sample_fn sample_cb,
		   void *ctx, char *err, size_t errlen);
void shmw_bpf_stop(struct shmw_bpf *b);
/* The ring buffer's epoll fd, for the event loop. */
int shmw_bpf_ring_fd(const struct shmw_bpf *b);
/* Hands the records waiting in the ring buffer to sample_cb. Returns how many, or -errno
 * (-EAGAIN: sample_cb asked to stop for now). */
int shmw_bpf_consume(struct shmw_bpf *b);

/* Sums the per-CPU counters (enum shmw_stat). */
int shmw_bpf_stats(const struct shmw_bpf *b, uint64_t out[SHMW_STAT_MAX]);
void shmw_bpf_set_seeding(struct shmw_bpf *b, bool on);
uint64_t shmw_bpf_version(const struct shmw_bpf *b);
/* Runs the seeding iterator over every task (pid 0) or one process. */
int shmw_bpf_walk(struct shmw_bpf *b, pid_t pid);
int shmw_bpf_mms_fd(const struct shmw_bpf *b);
int shmw_bpf_sharers_fd(const struct shmw_bpf *b);
int shmw_bpf_holds_fd(const struct shmw_bpf *b);
int shmw_bpf_list_fd(const struct shmw_bpf *b);
/* CLOCK_REALTIME - CLOCK_BOOTTIME, for the BPF side (which has no realtime clock). */
void shmw_bpf_set_realtime_offset(struct shmw_bpf *b, int64_t off);
/* The processes and their IPC namespaces (ns_only: one namespace's only). Returns 0 and an
 * array to free, or -errno. */
int shmw_bpf_ns_walk(struct shmw_bpf *b, uint32_t ns_only, struct shmw_ns_row **rows, size_t *n);
int shmw_bpf_segs_fd(const struct shmw_bpf *b);
#endif
