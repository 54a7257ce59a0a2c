/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The JSON Lines event log, with size-based rotation (path, path.1, ... path.N). */
#ifndef SHMW_EVENTLOG_H
#define SHMW_EVENTLOG_H
#include <stddef.h>
#include <stdint.h>

struct shmw_eventlog;

#define SHMW_EVENTLOG_KEEP_MAX 1000 /* upper bound for keep */

#define SHMW_EVENTLOG_MKDIR 1u /* create missing parent directories (mode 0755) */
/* Compress rotated files to path.N.gz with an index (logset.h), in a thread of the log's own:
 * the rotation itself only renames. */
#define SHMW_EVENTLOG_GZIP 2u

/* path "-" writes to stdout and never rotates. A symlink as the last component of path is
 * refused (opened with O_NOFOLLOW, at start and at every reopen). The parent directory is
 * created only with SHMW_EVENTLOG_MKDIR (for the default path): otherwise a missing one is an
 * error that names it. max_bytes 0 disables rotation; keep is how many rotated files to keep
 * (1 to SHMW_EVENTLOG_KEEP_MAX; ignored when max_bytes is 0). The file is created with mode
 * 0640. Returns NULL with a reason in err (e.g. "cannot open /x/y: Permission denied"). */
struct shmw_eventlog *shmw_eventlog_open(const char *path, uint64_t max_bytes, unsigned keep,
					 unsigned flags, char *err, size_t errlen);
/* Appends line and a newline (line must not contain one); rotates first if the file would
 * grow past max_bytes. Returns 0 or -errno; a failed write is counted, never fatal, and on a
 * regular file leaves whole lines only (what a full disk took of a line is cut back). With
 * buffering on, a write failure shows in the errors count only, when the batch is flushed. */
int shmw_eventlog_write(struct shmw_eventlog *log, const char *line, size_t len);
/* Holds up to bytes of lines back and writes them in one go (0: a write per line, the
 * default). Only for regular files; pipes and sockets always get a write per line. Whoever
 * turns it on flushes at the end of each batch of events, so nothing stays unwritten while
 * the daemon waits. */
void shmw_eventlog_buffer(struct shmw_eventlog *log, size_t bytes);
/* Writes the lines held back. Returns 0 or -errno (lines that failed are counted as errors). */
int shmw_eventlog_flush(struct shmw_eventlog *log);
/* Opens the path afresh now (e.g. on SIGHUP from a logrotate postrotate script), after
 * writing what was held back to the old file; writes
 * also notice a renamed or deleted file by themselves within about a second. Returns 0 or
 * -errno (the old file stays in use). No-op for "-". */
int shmw_eventlog_reopen(struct shmw_eventlog *log);
/* Lines written (not counting those held back), write errors and rotations so far. */
uint64_t shmw_eventlog_lines(const struct shmw_eventlog *log);
uint64_t shmw_eventlog_errors(const struct shmw_eventlog *log);
uint64_t shmw_eventlog_rotations(const struct shmw_eventlog *log);
/* Writes that stopped inside a line (a full disk) and were cut back to the last whole line: a
 * regular file never keeps half a line. The lines lost are counted in the errors. */
uint64_t shmw_eventlog_cuts(const struct shmw_eventlog *log);
const char *shmw_eventlog_path(const struct shmw_eventlog *log);
void shmw_eventlog_close(struct shmw_eventlog *log);
/* Compresses, in that thread, rotated files left plain (a daemon stopped mid-way). Threads
 * keep the capabilities of their creator: call it once privileges are dropped. */
void shmw_eventlog_compress_pending(struct shmw_eventlog *log);
/* Waits until rotated files are compressed (tests; close does it too). */
void shmw_eventlog_compress_wait(struct shmw_eventlog *log);
/* Compressions that failed: their file stays plain, and every reader reads it. */
uint64_t shmw_eventlog_compress_errors(const struct shmw_eventlog *log);
/* Held around opening the log's files for reading (logset.h), so that no rotation or end of
 * a compression renames one in between. */
void shmw_eventlog_lock_set(void);
void shmw_eventlog_unlock_set(void);
#endif
