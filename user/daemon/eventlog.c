// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON Lines event log. Design points:
 * - Whole lines per write(2) on an O_APPEND descriptor, so a reader (tail -f, a log shipper)
 *   never sees half a line and concurrent appenders do not interleave inside one. By default
 *   one write per line; with shmw_eventlog_buffer() a regular file gets lines in batches (a
 *   write per line was most of a busy daemon's time), written out by shmw_eventlog_flush(),
 *   before a rotation or reopen, when the batch is full, and on close. Pipes and sockets keep
 *   a write per line: their reader may stall, and a line must go out whole or not at all.
 * - Failures are counted and reported once per streak in the diagnostic log; the daemon keeps
 *   tracing when the disk is full. A write that stops inside a line (a full disk takes what fits)
 *   is cut back to the last whole line, so the file never holds half a line (see flush()).
 * - The path is opened without following a symlink in its last component: whoever can write the
 *   directory must not redirect our appends to another file. Its directory is created only when
 *   the caller says so (the default /var/log/shmwatch): a mistyped path fails instead.
 * - Size rotation of our own (path -> path.1 -> ... -> path.keep), and tolerance of external
 *   rotation (logrotate renaming or deleting the file): see check_external().
 * - With SHMW_EVENTLOG_GZIP, a rotated file is compressed to path.N.gz with its index
 *   (logset.h) by a thread of its own, so the loop only renames: see compress_start(). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "eventlog.h"
#include "log.h"
#include "logset.h"
#include "timefmt.h"

/* How often the path is compared with the open file (see check_external()). */
#define CHECK_INTERVAL_NS SHMW_NS_PER_SEC
/* After a failed rotation or reopen, wait before trying again instead of on every line. */
#define RETRY_INTERVAL_NS SHMW_NS_PER_SEC
/* Longest time one write may wait for a slow pipe or socket reader to finish a line it has
 * started; after that the line is left cut (see torn). */
#define PARTIAL_WAIT_MS 200
/* Event logs say which processes use which segments: readable by the daemon's group only. */
#define LOG_MODE 0640
/* zlib's level for rotated files (docs/design.md, "The event log on disk"): the default. */
#define GZIP_LEVEL 6

/* Held while files of the log are renamed (rotation, the end of a compression) and while a
 * reader opens the set, so that a reader never misses or doubles a file. */
static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;

struct shmw_eventlog {
	char *path;
	int fd;
	bool is_stdout; /* "-": never rotated, reopened or closed */
	bool regular;	/* fd is a regular file: writes go to the page cache, never wait */
	bool is_sock;
	bool torn;	   /* the last line was cut short: start the next one with a newline */
	bool failing;	   /* inside a streak of failed writes (reported once) */
	bool open_failing; /* inside a streak of failed reopens (reported once) */
	bool mkdir;	   /* SHMW_EVENTLOG_MKDIR */
	bool gzip;	   /* SHMW_EVENTLOG_GZIP */
	bool zrunning;	   /* zthread started and not joined yet */
	pthread_t zthread;
	uint64_t zerrors; /* compressions that failed (the plain file stays, readable) */
	uint64_t max_bytes;
	unsigned keep;
	uint64_t size; /* bytes in the file, as far as we know */
	dev_t dev;
	ino_t ino;
	uint64_t next_check_ns;	 /* CLOCK_MONOTONIC_COARSE */
	uint64_t next_rotate_ns; /* no rotation attempt before this, after a failure */
	uint64_t lines, errors, rotations;
	uint64_t cuts; /* writes that stopped inside a line, cut back to the last whole one */
	/* Lines not written yet, at buf + 1; buf[0] is room for the newline that ends a cut
	 * line (torn) in front of them. */
	char *buf;
	size_t cap;
	size_t plen;	 /* bytes pending at buf + 1 */
	uint64_t plines; /* lines pending */
	size_t batch;	 /* shmw_eventlog_buffer(): most bytes held back; 0 = a write per line */
};

static int flush(struct shmw_eventlog *log);

/* COARSE: read from the vDSO without a syscall and precise to a few ms, plenty for
 * once-a-second checks. */
static uint64_t now_ns(void)
{
	return shmw_clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* mkdir -p of path's parent directory, mode 0755. Returns 0 or -errno with the directory that
 * could not be made in err. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	char *slash;
	size_t n = strlen(path);

	if (n >= sizeof(dir)) {
		shmw_seterr(err, errlen, "cannot open %s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	memcpy(dir, path, n + 1);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0; /* the cwd or /, both exist */
	*slash = '\0';
	/* Each prefix in turn, from the top; EEXIST is fine for every one of them (when a prefix
	 * exists but is not a directory, the next mkdir or the open says ENOTDIR). */
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			shmw_seterr(err, errlen, "cannot create directory %s: %s", dir,
				    strerror(e));
			return -e;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* The directory part of path ("." when there is none). */
static void dir_of(char *dir, size_t len, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Opens (creating) log->path and returns the fd, or -errno with the reason in err. */
static int open_path(struct shmw_eventlog *log, struct stat *st, char *err, size_t errlen)
{
	const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
	char dir[PATH_MAX];
	struct stat lst;
	int fd = open(log->path, flags, LOG_MODE);

	/* The directory usually exists: try the open first, mkdir only when it says so. */
	if (fd < 0 && errno == ENOENT && log->mkdir) {
		int r = make_parents(log->path, err, errlen);

		if (r < 0)
			return r;
		fd = open(log->path, flags, LOG_MODE);
	}
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP && lstat(log->path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			shmw_seterr(err, errlen,
				    "cannot open %s: it is a symbolic link, not followed (give the "
				    "file's own path)",
				    log->path);
		} else if (e == ENOENT) {
			dir_of(dir, sizeof(dir), log->path);
			if (stat(dir, &lst) < 0 && errno == ENOENT)
				shmw_seterr(err, errlen,
					    "cannot open %s: directory %s does not exist (only the "
					    "default directory is created)",
					    log->path, dir);
			else
				shmw_seterr(err, errlen, "cannot open %s: %s", log->path,
					    strerror(e));
		} else {
			shmw_seterr(err, errlen, "cannot open %s: %s", log->path, strerror(e));
		}
		return -e;
	}
	if (fstat(fd, st) < 0) {
		int e = errno;

		shmw_seterr(err, errlen, "cannot stat %s: %s", log->path, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

static void adopt(struct shmw_eventlog *log, int fd, const struct stat *st)
{
	if (log->fd >= 0 && !log->is_stdout)
		close(log->fd); /* O_WRONLY on a local file: nothing to report from close */
	log->fd = fd;
	log->dev = st->st_dev;
	log->ino = st->st_ino;
	log->size = (uint64_t)st->st_size;
	log->regular = S_ISREG(st->st_mode);
	log->is_sock = S_ISSOCK(st->st_mode);
	/* A new file must not start with the newline that ends a cut line in the old one. */
	log->torn = false;
}

/* Replaces the fd with a fresh open of the path; on failure keeps writing to the old fd (an
 * event in a renamed file beats a lost one) and counts an error. */
static int reopen(struct shmw_eventlog *log)
{
	char err[PATH_MAX + 128];
	struct stat st;
	int fd;

	flush(log); /* lines logged before the reopen belong to the old file */
	fd = open_path(log, &st, err, sizeof(err));

	if (fd < 0) {
		log->errors++;
		/* Once a streak: the path is looked at every second (check_external). */
		if (!log->open_failing)
			log_warn("event log: %s; still writing to the file opened before "
				 "(further failures to reopen are not logged)",
				 err);
		log->open_failing = true;
		return fd;
	}
	if (log->open_failing)
		log_info("event log: %s reopened", log->path);
	log->open_failing = false;
	adopt(log, fd, &st);
	return 0;
}

/* logrotate (without copytruncate) renames or deletes the file and, at best, signals us; if we
 * kept the old fd every later event would go to path.1 or to a deleted inode. So the path is
 * compared with the open file, at most once per CHECK_INTERVAL_NS rather than on each line: a
 * stat(2) is a full path lookup, a busy tracer writes thousands of lines a second, and a
 * rename by logrotate is rare. The cost of the interval is that lines written within it after
 * an external rename land in the renamed file (they are not lost; logrotate's delaycompress is
 * the usual setup), or, after a delete, in the deleted one (lost: up to a second). The check
 * also refreshes the size, which another writer or copytruncate may have changed. */
static void check_external(struct shmw_eventlog *log, uint64_t now)
{
	struct stat st;

	if (log->is_stdout || now < log->next_check_ns)
		return;
	log->next_check_ns = now + CHECK_INTERVAL_NS;
	/* lstat: a symlink put in place of the file is not our file (open_path refuses it). */
	if (lstat(log->path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			reopen(log);
		return; /* EACCES, EIO...: keep the fd we have */
	}
	if (st.st_dev != log->dev || st.st_ino != log->ino) {
		reopen(log);
		return;
	}
	log->size = (uint64_t)st.st_size;
}

/* path.N + suffix into buf; 0 or -ENAMETOOLONG. */
static int numbered(char *buf, size_t len, const char *path, unsigned n, const char *suffix)
{
	int r = snprintf(buf, len, "%s.%u%s", path, n, suffix);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* The compression thread: every rotated file still plain (path.N, N from keep down to 1:
 * the one rotate() just made, and what a daemon stopped mid-way left) to path.N.gz. */
static void *compress_main(void *arg)
{
	struct shmw_eventlog *log = arg;
	char src[PATH_MAX], dst[PATH_MAX], prev[PATH_MAX], err[PATH_MAX + 128];

	/* Oldest first: each file's checkpoint builds on the one before (logset.h). */
	for (unsigned n = log->keep; n >= 1; n--) {
		struct stat st;

		if (numbered(src, sizeof(src), log->path, n, "") ||
		    numbered(dst, sizeof(dst), log->path, n, ".gz") ||
		    numbered(prev, sizeof(prev), log->path, n + 1, "") || lstat(src, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (lstat(dst, &st) == 0) {
			/* Renamed into place, then stopped before removing the plain one. */
			unlink(src);
			continue;
		}
		if (shmw_logset_compress(src, dst, GZIP_LEVEL, prev, &set_lock, err, sizeof(err)) <
		    0) {
			__atomic_add_fetch(&log->zerrors, 1, __ATOMIC_RELAXED);
			log_warn("event log: %s (the file stays as it is, and is read as it is)",
				 err);
		}
	}
	return NULL;
}

/* Waits for the compression thread: before the next rotation renames what it works on. The
 * loop waits only when a file fills faster than the one before it compresses. */
static void compress_wait(struct shmw_eventlog *log)
{
	if (!log->zrunning)
		return;
	pthread_join(log->zthread, NULL);
	log->zrunning = false;
}

static void compress_start(struct shmw_eventlog *log)
{
	int r;

	if (!log->gzip || log->zrunning)
		return;
	r = pthread_create(&log->zthread, NULL, compress_main, log);
	if (r) {
		log->zerrors++;
		log_warn("event log: cannot start compressing rotated files: %s", strerror(r));
		return;
	}
	log->zrunning = true;
}

/* One step of the shift: path.from + suffix -> path.to + suffix (from 0: path itself). When
 * the source is missing the target goes too, so that the set moves up exactly. */
static int shift(struct shmw_eventlog *log, unsigned from, unsigned to, const char *suffix, char *f,
		 char *t)
{
	int r = numbered(t, PATH_MAX, log->path, to, suffix);

	if (!r && from)
		r = numbered(f, PATH_MAX, log->path, from, suffix);
	else if (!r)
		snprintf(f, PATH_MAX, "%s", log->path);
	if (r)
		return r;
	if (rename(f, t) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	if (unlink(t) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* path.(keep-1) -> path.keep, ..., path -> path.1 (rename replaces, so the old path.keep is
 * dropped), then a new path; each N as its .gz, its .gz.idx and its plain file. A failure
 * anywhere stops the shift rather than overwrite a file that has not moved on yet; writing
 * continues to the current fd. */
static int rotate(struct shmw_eventlog *log, uint64_t now)
{
	static const char *const suffixes[] = {".gz", ".gz.idx", ""};
	char from[PATH_MAX], to[PATH_MAX];
	int r = 0;

	if (now < log->next_rotate_ns)
		return -EAGAIN;
	flush(log); /* what was logged before belongs to the file that is rotated */
	compress_wait(log);
	pthread_mutex_lock(&set_lock);
	for (unsigned i = log->keep; i >= 1 && !r; i--)
		for (size_t s = 0; s < 3 && !r; s++)
			if (i > 1 || !suffixes[s][0])
				r = shift(log, i - 1, i, suffixes[s], from, to);
	pthread_mutex_unlock(&set_lock);
	if (r) {
		log->errors++;
		log->next_rotate_ns = now + RETRY_INTERVAL_NS;
		log_warn("event log: cannot rotate %s to %s: %s", from, to, strerror(-r));
		return r;
	}
	log->rotations++;
	r = reopen(log);
	if (r < 0) {
		/* Still writing to path.1 through the old fd; retry soon. */
		log->next_rotate_ns = now + RETRY_INTERVAL_NS;
		log->next_check_ns = now;
	}
	compress_start(log);
	return r;
}

/* Waits up to ms for fd to take more data: 1 when it will, 0 when it will not yet, -EPIPE when
 * nobody reads it any more. The last is told apart so that a pipe without a reader is never
 * written to: that write would raise SIGPIPE, which kills a daemon that does not ignore it. */
static int wait_writable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r > 0 && (p.revents & (POLLERR | POLLHUP)))
		return -EPIPE;
	return r > 0 && (p.revents & POLLOUT) ? 1 : 0;
}

/* Writes buf completely, or as much as the fd takes without stalling the caller. Returns 0 or
 * -errno; *done is the number of bytes that went out.
 *
 * A regular file never waits for a reader (the page cache takes the data), so it gets plain
 * write(2) calls. stdout may be a pipe, a terminal or a socket (systemd's journal stream),
 * whose reader can stall: we write only when poll(2) says the fd is writable, which for a pipe
 * means at least PIPE_BUF bytes of room, so any line up to PIPE_BUF goes out at once and
 * atomically; a socket gets MSG_DONTWAIT (and MSG_NOSIGNAL: a gone reader is an error to count,
 * not a SIGPIPE). When not writable the line is dropped and counted (-EAGAIN). */
static int write_line(struct shmw_eventlog *log, const char *buf, size_t len, size_t *done)
{
	*done = 0;
	if (!log->regular) {
		int w = wait_writable(log->fd, 0);

		if (w <= 0)
			return w < 0 ? w : -EAGAIN;
	}
	while (*done < len) {
		ssize_t w;

		if (log->is_sock)
			w = send(log->fd, buf + *done, len - *done, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			w = write(log->fd, buf + *done, len - *done);
		if (w > 0) {
			*done += (size_t)w;
			continue;
		}
		if (w == 0)
			return -EIO; /* write(2) of > 0 bytes returning 0: treat as an error */
		if (errno == EINTR)
			continue;
		/* A line half out: give the reader a little time to take the rest, since a cut
		 * line spoils the next one too (see torn). */
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && *done > 0 &&
		    wait_writable(log->fd, PARTIAL_WAIT_MS) > 0)
			continue;
		return -errno;
	}
	return 0;
}

static int grow(struct shmw_eventlog *log, size_t need)
{
	size_t cap = log->cap ? log->cap : 1024;
	char *b;

	if (need <= log->cap)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	b = realloc(log->buf, cap);
	if (!b)
		return -ENOMEM;
	log->buf = b;
	log->cap = cap;
	return 0;
}

/* Lines among the first n bytes of the batch at buf + 1. */
static uint64_t lines_in(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *nl;

	while (n && (nl = memchr(p, '\n', n))) {
		k++;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	return k;
}

/* After a write of a regular file that failed having written done bytes of p: cuts the file
 * back to the end of the last whole line among them (a full disk takes what fits, often part of
 * a line, which would spoil that line and the next for every reader). Returns the bytes that
 * stay; done when nothing was cut or the cut failed (then torn starts the next line afresh). */
static size_t cut_back(struct shmw_eventlog *log, const char *p, size_t done)
{
	size_t whole = done;
	off_t end;

	while (whole > 0 && p[whole - 1] != '\n')
		whole--;
	if (whole == done)
		return done;
	/* With O_APPEND the offset is just past what this write appended. */
	end = lseek(log->fd, 0, SEEK_CUR);
	if (end < (off_t)(done - whole) || ftruncate(log->fd, end - (off_t)(done - whole)) < 0)
		return done;
	log->cuts++;
	return whole;
}

/* Writes the pending lines. On a failure, the lines that did not go out whole are dropped
 * and counted as errors. */
static int flush(struct shmw_eventlog *log)
{
	size_t off, done;
	uint64_t out;
	int r;

	if (!log->plen)
		return 0;
	off = log->torn ? 0 : 1;
	log->buf[0] = '\n';
	r = write_line(log, log->buf + off, log->plen + 1 - off, &done);
	if (r < 0 && done > 0 && log->regular)
		done = cut_back(log, log->buf + off, done);
	log->size += done;
	/* Cut only if it stopped inside a line: when just the leading newline went out, the
	 * old fragment is terminated and the file ends cleanly again. */
	if (done > 0)
		log->torn = r < 0 && log->buf[off + done - 1] != '\n';
	out = r < 0 ? lines_in(log->buf + 1, off + done > 1 ? off + done - 1 : 0) : log->plines;
	log->lines += out;
	log->errors += log->plines - out;
	log->plen = 0;
	log->plines = 0;
	if (r < 0) {
		if (!log->failing)
			log_warn("event log %s: write failed: %s (counting further failures "
				 "silently)",
				 log->path, strerror(-r));
		log->failing = true;
		return r;
	}
	if (log->failing) {
		log_info("event log %s: writing again (%llu failures so far)", log->path,
			 (unsigned long long)log->errors);
		log->failing = false;
	}
	return 0;
}

int shmw_eventlog_write(struct shmw_eventlog *log, const char *line, size_t len)
{
	uint64_t now;
	size_t batch;

	if (!log)
		return -EINVAL;
	/* A newline inside would split one event in two lines, neither of them valid JSON. A
	 * caller's bug rather than a failing disk: counted, but no warning streak. */
	if ((!line && len) || (len && memchr(line, '\n', len))) {
		log->errors++;
		log_debug("event log %s: line with a newline dropped", log->path);
		return -EINVAL;
	}

	now = now_ns();
	check_external(log, now);
	/* size > 0: a line longer than max_bytes still goes out, alone in its file, rather than
	 * rotating away an empty file on every write. Rotating first also means a cut line left
	 * in the old file needs no newline in the new one (adopt() clears torn). */
	if (!log->is_stdout && log->max_bytes && log->size + log->plen > 0 &&
	    log->size + log->plen + len + 1 + log->torn > log->max_bytes)
		rotate(log, now); /* failure counted inside; the line still goes out */

	/* Pipes and sockets: a write per line (see the top of this file). */
	batch = log->regular ? log->batch : 0;
	if (log->plen && log->plen + len + 1 > batch)
		flush(log);
	if (len > SIZE_MAX - 2 - log->plen || grow(log, 1 + log->plen + len + 1) < 0) {
		log->errors++;
		return -ENOMEM;
	}
	memcpy(log->buf + 1 + log->plen, line, len);
	log->buf[1 + log->plen + len] = '\n';
	log->plen += len + 1;
	log->plines++;
	if (log->plen <= batch)
		return 0;
	return flush(log);
}

int shmw_eventlog_flush(struct shmw_eventlog *log)
{
	return log ? flush(log) : -EINVAL;
}

void shmw_eventlog_buffer(struct shmw_eventlog *log, size_t bytes)
{
	if (!log)
		return;
	if (bytes < log->batch)
		flush(log);
	log->batch = bytes;
}

struct shmw_eventlog *shmw_eventlog_open(const char *path, uint64_t max_bytes, unsigned keep,
					 unsigned flags, char *err, size_t errlen)
{
	struct shmw_eventlog *log;
	struct stat st;
	int fd;

	if (!path || !*path) {
		shmw_seterr(err, errlen, "no event log path");
		return NULL;
	}
	/* The upper bound keeps one rotation (keep renames) short. */
	if (max_bytes && (keep < 1 || keep > SHMW_EVENTLOG_KEEP_MAX)) {
		shmw_seterr(err, errlen, "event log rotation needs keep from 1 to %u",
			    SHMW_EVENTLOG_KEEP_MAX);
		return NULL;
	}
	/* Room for ".N.gz.idx.tmp" in rotate() and the compression. */
	if (strlen(path) + sizeof(".4294967295.gz.idx.tmp") > PATH_MAX) {
		shmw_seterr(err, errlen, "cannot open %s: %s", path, strerror(ENAMETOOLONG));
		return NULL;
	}
	log = calloc(1, sizeof(*log));
	if (!log || !(log->path = strdup(path))) {
		free(log);
		shmw_seterr(err, errlen, "out of memory");
		return NULL;
	}
	log->fd = -1;
	log->mkdir = flags & SHMW_EVENTLOG_MKDIR;
	log->gzip = (flags & SHMW_EVENTLOG_GZIP) && max_bytes;
	log->max_bytes = max_bytes;
	log->keep = keep;
	if (strcmp(path, "-") == 0) {
		if (fstat(STDOUT_FILENO, &st) < 0) {
			shmw_seterr(err, errlen, "cannot use stdout: %s", strerror(errno));
			goto fail;
		}
		log->is_stdout = true;
		adopt(log, STDOUT_FILENO, &st);
		log->size = 0;
		return log;
	}
	fd = open_path(log, &st, err, errlen);
	if (fd < 0)
		goto fail;
	adopt(log, fd, &st);
	log->next_check_ns = now_ns() + CHECK_INTERVAL_NS;
	return log;
fail:
	free(log->path);
	free(log);
	return NULL;
}

int shmw_eventlog_reopen(struct shmw_eventlog *log)
{
	if (!log)
		return -EINVAL;
	if (log->is_stdout)
		return 0;
	log->next_check_ns = now_ns() + CHECK_INTERVAL_NS;
	return reopen(log);
}

uint64_t shmw_eventlog_lines(const struct shmw_eventlog *log)
{
	return log ? log->lines : 0;
}

uint64_t shmw_eventlog_errors(const struct shmw_eventlog *log)
{
	return log ? log->errors : 0;
}

uint64_t shmw_eventlog_cuts(const struct shmw_eventlog *log)
{
	return log ? log->cuts : 0;
}

uint64_t shmw_eventlog_rotations(const struct shmw_eventlog *log)
{
	return log ? log->rotations : 0;
}

const char *shmw_eventlog_path(const struct shmw_eventlog *log)
{
	return log ? log->path : NULL;
}

void shmw_eventlog_close(struct shmw_eventlog *log)
{
	if (!log)
		return;
	flush(log);
	compress_wait(log);
	if (log->fd >= 0 && !log->is_stdout)
		close(log->fd);
	free(log->buf);
	free(log->path);
	free(log);
}

void shmw_eventlog_compress_pending(struct shmw_eventlog *log)
{
	if (log && !log->is_stdout)
		compress_start(log);
}

void shmw_eventlog_compress_wait(struct shmw_eventlog *log)
{
	if (log)
		compress_wait(log);
}

uint64_t shmw_eventlog_compress_errors(const struct shmw_eventlog *log)
{
	return log ? __atomic_load_n(&log->zerrors, __ATOMIC_RELAXED) : 0;
}

void shmw_eventlog_lock_set(void)
{
	pthread_mutex_lock(&set_lock);
}

void shmw_eventlog_unlock_set(void)
{
	pthread_mutex_unlock(&set_lock);
}
