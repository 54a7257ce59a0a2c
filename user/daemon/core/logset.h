/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event log on disk as a set of files, oldest first: path.N.gz ... path.1.gz, path (and a
 * rotated file not compressed yet, path.N, plain). Reading any of them, compressing a rotated
 * one, and the side index that lets a query for one segment read only the parts of a
 * compressed file that name it (docs/design.md, "The event log on disk").
 *
 * A compressed file is a series of gzip members, one per block of whole lines of about
 * SHMW_LOGSET_BLOCK bytes: gzip, zcat and zgrep read it as one stream, and each block can be
 * inflated alone from its offset. Its index, path.N.gz.idx, lists per block the offset, the
 * sizes, the first and last line's time, per segment (shmid, IPC namespace) the blocks whose
 * lines name it, and a checkpoint: the segments living at the file's end with their holders. An
 * index that does not match its file (another inode or size) is ignored: the file is then read
 * whole.
 */
#ifndef SHMW_LOGSET_H
#define SHMW_LOGSET_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHMW_LOGSET_BLOCK     (128u << 10) /* uncompressed bytes per gzip member (about) */
#define SHMW_LOGSET_FILES_MAX 1001	   /* path and path.1 .. path.1000 (--log-keep's bound) */

struct shmw_logidx;

struct shmw_logfile {
	char *name;
	int fd;
	bool gz;		 /* a .gz name (plain files are read through zlib as well) */
	struct shmw_logidx *idx; /* NULL: no valid index, read whole */
};

struct shmw_logset {
	struct shmw_logfile *f; /* oldest first; the live file last */
	size_t n;
};

/* Opens every file of the log at path (which may be missing, then n is 0). For each N the .gz
 * is taken when it exists, else the plain file. Returns 0 or -errno. */
int shmw_logset_open(struct shmw_logset *ls, const char *path);
void shmw_logset_close(struct shmw_logset *ls);

/* What to read of a file: lines that may name a segment and fall in a time range. */
struct shmw_logsel {
	bool by_seg; /* only blocks naming shmid (in ns, or in any when any_ns) */
	bool any_ns;
	uint32_t ns, shmid;
	uint64_t tmin, tmax; /* CLOCK_REALTIME ns; blocks wholly outside are skipped */
};

/* Called with each line (no newline) read; returns 0 to go on, non-zero to stop (returned). */
typedef int (*shmw_logline_fn)(void *arg, const char *line, size_t len);

/* Reads the lines of f that sel may want, in order: with an index, only the blocks it
 * selects; else every line (the caller filters). Returns 0, what fn returned, or -errno
 * (-EBADMSG for a corrupt compressed block). *blocks (may be NULL) counts blocks inflated. */
int shmw_logfile_read(const struct shmw_logfile *f, const struct shmw_logsel *sel,
		      shmw_logline_fn fn, void *arg, uint64_t *blocks);

/* Compresses the plain file src into dst (path.N.gz) and writes dst's index (dst + ".idx"),
 * both through temporary names; then, holding lock (may be NULL), renames them into place and
 * removes src. level: zlib's 1..9. With prev (the file before src without suffix: path.N+1),
 * the index also gets a checkpoint: the segments living at the end of src, with their holders,
 * replayed from prev's checkpoint on ("complete" when prev had a complete one, or when there is
 * no prev at all). Returns 0 or -errno with the reason in err. */
int shmw_logset_compress(const char *src, const char *dst, int level, const char *prev,
			 pthread_mutex_t *lock, char *err, size_t errlen);

struct shmw_rsegs;
/* Whether f's index has a checkpoint; then its last line's time and whether it is complete
 * (sums up every file before it). */
bool shmw_logfile_checkpoint(const struct shmw_logfile *f, uint64_t *tmax, bool *complete);
/* Loads f's checkpoint of shmid (in ns, or in any when any_ns) into segs. 0 or -errno. */
int shmw_logfile_checkpoint_load(const struct shmw_logfile *f, uint32_t shmid, bool any_ns,
				 uint32_t ns, struct shmw_rsegs *segs);

/* Cheap field readers for our own log lines (no JSON parse): the first "key": in the line,
 * where key is given with its quotes and colon ("\"shmid\":"). A string value inside a line
 * cannot contain such a key: its quotes are escaped. */
bool shmw_logline_u64(const char *line, size_t len, const char *key, uint64_t *v);
/* The string value of key, unescaped only as far as copying it raw (our event names, causes),
 * into buf; false when absent or longer than len - 1. */
bool shmw_logline_str(const char *line, size_t len, const char *key, char *buf, size_t buflen);
/* The line's "time" as CLOCK_REALTIME ns; false when it has none. cache (may be NULL) keeps
 * the last second parsed: most lines share it. */
struct shmw_logtime_cache {
	char sec[20]; /* "2026-12-07T18:00:00" */
	uint64_t base;
};
bool shmw_logline_time(const char *line, size_t len, uint64_t *t, struct shmw_logtime_cache *c);
#endif
