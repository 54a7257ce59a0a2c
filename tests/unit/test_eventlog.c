// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON Lines event log (user/daemon/eventlog.c): content, rotation, external rotation, errors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "eventlog.h"

static char dir[] = "/tmp/shmw-test-eventlog.XXXXXX";
static char errbuf[512];

/* The whole file as a string (caller frees), or NULL when it cannot be read. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return NULL;
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 4096);

			if (!nb)
				goto fail;
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static int write_str(struct shmw_eventlog *log, const char *s)
{
	return shmw_eventlog_write(log, s, strlen(s));
}

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Entries in directory d, without . and .. ; -1 if it cannot be read. */
static int count_entries(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	int n = 0;

	if (!dh)
		return -1;
	while ((de = readdir(dh)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dh);
	return n;
}

static void test_basic(void)
{
	char path[512], *got;
	struct shmw_eventlog *log;
	struct stat st;

	/* Two missing levels of parent directory: an error naming the directory, unless the
	 * caller asks for it to be made (the default path). */
	path_in(path, sizeof(path), "a/b/events.jsonl");
	errbuf[0] = '\0';
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("basic missing parents without MKDIR fail", log == NULL);
	shmw_eventlog_close(log);
	CHECK("basic missing parents: the message names the directory",
	      strstr(errbuf, "/a/b does not exist") != NULL);
	path_in(path, sizeof(path), "a");
	CHECK("basic missing parents: nothing made", access(path, F_OK) < 0);
	path_in(path, sizeof(path), "a/b/events.jsonl");
	log = shmw_eventlog_open(path, 0, 1, SHMW_EVENTLOG_MKDIR, errbuf, sizeof(errbuf));
	CHECK("basic open with missing parents (MKDIR)", log != NULL);
	if (!log) {
		printf("# %s\n", errbuf);
		return;
	}
	CHECK_STR("basic path", shmw_eventlog_path(log), path);
	path_in(path, sizeof(path), "a/b");
	CHECK("basic parent is a directory", stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT("basic parent mode", st.st_mode & 0777, 0755);

	CHECK_INT("basic write 1", write_str(log, "{\"n\":1}"), 0);
	CHECK_INT("basic write 2", write_str(log, "{\"n\":2,\"comm\":\"a b\"}"), 0);
	CHECK_INT("basic write empty", shmw_eventlog_write(log, "", 0), 0);
	CHECK_INT("basic write 3 (len)", shmw_eventlog_write(log, "{\"n\":3}XXXX", 7), 0);
	CHECK_INT("basic newline rejected", write_str(log, "{\"n\":4}\n{\"n\":5}"), -EINVAL);
	CHECK_INT("basic lines", shmw_eventlog_lines(log), 4);
	CHECK_INT("basic errors", shmw_eventlog_errors(log), 1);
	CHECK_INT("basic rotations", shmw_eventlog_rotations(log), 0);

	got = slurp(shmw_eventlog_path(log));
	CHECK_STR("basic content", got, "{\"n\":1}\n{\"n\":2,\"comm\":\"a b\"}\n\n{\"n\":3}\n");
	free(got);
	CHECK("basic file mode",
	      stat(shmw_eventlog_path(log), &st) == 0 && (st.st_mode & 0777) == 0640);

	/* O_CLOEXEC: the fd must not leak into the daemon's children. */
	{
		int found = 0;
		char fdpath[64], target[600];

		for (int fd = 3; fd < 1024; fd++) {
			ssize_t n;

			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
			n = readlink(fdpath, target, sizeof(target) - 1);
			if (n < 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, shmw_eventlog_path(log)) == 0) {
				int fl = fcntl(fd, F_GETFD);
				int st_fl = fcntl(fd, F_GETFL);

				found = 1;
				CHECK("basic fd is close-on-exec", fl >= 0 && (fl & FD_CLOEXEC));
				CHECK("basic fd is append-only", st_fl >= 0 && (st_fl & O_APPEND));
			}
		}
		CHECK("basic fd found", found);
	}
	shmw_eventlog_close(log);

	/* Reopening appends, it does not truncate. */
	path_in(path, sizeof(path), "a/b/events.jsonl");
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("basic reopen", log != NULL);
	if (log) {
		CHECK_INT("basic append", write_str(log, "{\"n\":6}"), 0);
		shmw_eventlog_close(log);
	}
	got = slurp(path);
	CHECK_STR("basic appended content", got,
		  "{\"n\":1}\n{\"n\":2,\"comm\":\"a b\"}\n\n{\"n\":3}\n{\"n\":6}\n");
	free(got);
}

/* 30-byte lines: {"n":NN,"pad":"xxxxxxxxxxxx"} */
static void line30(char *buf, size_t len, int n)
{
	snprintf(buf, len, "{\"n\":%02d,\"pad\":\"xxxxxxxxxxxxx\"}", n);
}

static void test_rotation(void)
{
	char rdir[512], path[600], p1[620], p2[620], p3[620], line[64], want[256];
	struct shmw_eventlog *log;
	char *got;

	path_in(rdir, sizeof(rdir), "rot");
	snprintf(path, sizeof(path), "%s/ev.jsonl", rdir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);

	line30(line, sizeof(line), 0);
	CHECK_INT("rotation line is 30 bytes", strlen(line), 30);

	/* 100 bytes hold three 31-byte lines; keep 2. */
	log = shmw_eventlog_open(path, 100, 2, SHMW_EVENTLOG_MKDIR, errbuf, sizeof(errbuf));
	CHECK("rotation open", log != NULL);
	if (!log) {
		printf("# %s\n", errbuf);
		return;
	}
	for (int i = 1; i <= 10; i++) {
		line30(line, sizeof(line), i);
		CHECK_INT("rotation write", write_str(log, line), 0);
	}
	/* 1-3 | 4-6 | 7-9 | 10: three rotations, the file of 1-3 dropped. */
	CHECK_INT("rotation count", shmw_eventlog_rotations(log), 3);
	CHECK_INT("rotation lines", shmw_eventlog_lines(log), 10);
	CHECK_INT("rotation errors", shmw_eventlog_errors(log), 0);
	CHECK_INT("rotation exactly 3 files", count_entries(rdir), 3);
	CHECK("rotation no path.3", access(p3, F_OK) < 0 && errno == ENOENT);

	const struct {
		const char *path;
		int first, last;
	} files[] = {{path, 10, 10}, {p1, 7, 9}, {p2, 4, 6}};
	for (size_t f = 0; f < 3; f++) {
		size_t off = 0;

		want[0] = '\0';
		for (int i = files[f].first; i <= files[f].last; i++) {
			line30(line, sizeof(line), i);
			off += (size_t)snprintf(want + off, sizeof(want) - off, "%s\n", line);
		}
		got = slurp(files[f].path);
		CHECK_STR("rotation file content", got, want);
		CHECK("rotation file within max", got && strlen(got) <= 100);
		free(got);
	}

	/* A line longer than max_bytes goes out alone, without rotating away empty files. */
	{
		char big[200];

		memset(big, 'y', sizeof(big) - 1);
		big[0] = '"';
		big[sizeof(big) - 2] = '"';
		big[sizeof(big) - 1] = '\0';
		CHECK_INT("rotation big line", write_str(log, big), 0);
		CHECK_INT("rotation big line rotated once", shmw_eventlog_rotations(log), 4);
		got = slurp(path);
		CHECK("rotation big line alone", got && strlen(got) == 200 && got[199] == '\n');
		free(got);
		line30(line, sizeof(line), 11);
		CHECK_INT("rotation after big line", write_str(log, line), 0);
		CHECK_INT("rotation after big line rotated", shmw_eventlog_rotations(log), 5);
		got = slurp(p1);
		CHECK("rotation big line moved to .1", got && strlen(got) == 200);
		free(got);
	}
	shmw_eventlog_close(log);

	/* A big first line into an empty file: no rotation of the empty file. */
	{
		char big[200];

		memset(big, 'z', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		path_in(rdir, sizeof(rdir), "rot-empty");
		snprintf(path, sizeof(path), "%s/ev.jsonl", rdir);
		log = shmw_eventlog_open(path, 100, 2, SHMW_EVENTLOG_MKDIR, errbuf, sizeof(errbuf));
		CHECK("rotation empty open", log != NULL);
		if (!log)
			return;
		CHECK_INT("rotation empty big write", write_str(log, big), 0);
		CHECK_INT("rotation empty no rotation", shmw_eventlog_rotations(log), 0);
		CHECK_INT("rotation empty one file", count_entries(rdir), 1);
		shmw_eventlog_close(log);
	}
}

static void test_external_rotation(void)
{
	char path[512], old[600];
	struct shmw_eventlog *log;
	char *got;

	path_in(path, sizeof(path), "ext.jsonl");
	snprintf(old, sizeof(old), "%s.old", path);
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("external open", log != NULL);
	if (!log)
		return;
	CHECK_INT("external write a", write_str(log, "\"a\""), 0);

	/* As logrotate does: rename, then (here) no signal. The log notices within ~1 s. */
	CHECK_INT("external rename", rename(path, old), 0);
	usleep(1100 * 1000);
	CHECK_INT("external write b", write_str(log, "\"b\""), 0);
	got = slurp(path);
	CHECK_STR("external new file after rename", got, "\"b\"\n");
	free(got);
	got = slurp(old);
	CHECK_STR("external old file kept", got, "\"a\"\n");
	free(got);

	/* Deleted, then noticed. */
	CHECK_INT("external unlink", unlink(path), 0);
	usleep(1100 * 1000);
	CHECK_INT("external write c", write_str(log, "\"c\""), 0);
	got = slurp(path);
	CHECK_STR("external new file after delete", got, "\"c\"\n");
	free(got);

	/* Explicit reopen (SIGHUP) takes effect at once. */
	CHECK_INT("external rename 2", rename(path, old), 0);
	CHECK_INT("external reopen", shmw_eventlog_reopen(log), 0);
	CHECK_INT("external write d", write_str(log, "\"d\""), 0);
	got = slurp(path);
	CHECK_STR("external new file after reopen", got, "\"d\"\n");
	free(got);
	CHECK_INT("external errors", shmw_eventlog_errors(log), 0);
	shmw_eventlog_close(log);
}

static void test_errors(void)
{
	char file[512], path[600];
	struct shmw_eventlog *log;
	int fd;

	/* A path through a regular file fails as root too (ENOTDIR, not a permission). */
	path_in(file, sizeof(file), "plainfile");
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK("errors make plain file", fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/events.jsonl", file);
	errbuf[0] = '\0';
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("errors open under a file fails", log == NULL);
	shmw_eventlog_close(log);
	CHECK("errors message names the path", strstr(errbuf, path) != NULL);
	CHECK("errors message has the reason", strstr(errbuf, "Not a directory") != NULL);

	snprintf(path, sizeof(path), "%s/sub/events.jsonl", file);
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("errors deep open under a file fails", log == NULL);
	shmw_eventlog_close(log);
	CHECK("errors deep message", strstr(errbuf, "Not a directory") != NULL);

	/* Permission: only meaningful when not root (root ignores directory modes). */
	if (geteuid() != 0) {
		char ro[512];

		path_in(ro, sizeof(ro), "readonly");
		CHECK("errors mkdir readonly", mkdir(ro, 0500) == 0);
		snprintf(path, sizeof(path), "%s/events.jsonl", ro);
		log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
		CHECK("errors readonly open fails", log == NULL);
		shmw_eventlog_close(log);
		CHECK_STR("errors readonly message",
			  strstr(errbuf, "Permission denied") ? "found" : errbuf, "found");
	}

	errbuf[0] = '\0';
	log = shmw_eventlog_open("", 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("errors empty path", log == NULL && errbuf[0] != '\0');
	path_in(path, sizeof(path), "keep0.jsonl");
	log = shmw_eventlog_open(path, 1000, 0, 0, errbuf, sizeof(errbuf));
	CHECK("errors keep 0 with rotation", log == NULL && strstr(errbuf, "keep") != NULL);

	/* A full disk: writes fail, are counted, and are not fatal. */
	log = shmw_eventlog_open("/dev/full", 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("errors open /dev/full", log != NULL);
	if (log) {
		CHECK_INT("errors full write 1", write_str(log, "{}"), -ENOSPC);
		CHECK_INT("errors full write 2", write_str(log, "{}"), -ENOSPC);
		CHECK_INT("errors full counted", shmw_eventlog_errors(log), 2);
		CHECK_INT("errors full lines", shmw_eventlog_lines(log), 0);
		shmw_eventlog_close(log);
	}
}

/* Another user who can write the directory plants a symlink at the log's path: never followed,
 * at open or at a reopen, and the target is left alone. */
static void test_symlink(void)
{
	char path[512], target[512], *got;
	struct shmw_eventlog *log;

	path_in(target, sizeof(target), "victim");
	path_in(path, sizeof(path), "link.jsonl");
	{
		int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		CHECK("symlink setup", fd >= 0 && write(fd, "precious\n", 9) == 9);
		if (fd >= 0)
			close(fd);
	}
	CHECK("symlink setup link", symlink(target, path) == 0);
	errbuf[0] = '\0';
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("symlink open refused", log == NULL);
	shmw_eventlog_close(log);
	CHECK("symlink the message says so", strstr(errbuf, "symbolic link") != NULL);
	CHECK("symlink the message names the path", strstr(errbuf, path) != NULL);
	got = slurp(target);
	CHECK_STR("symlink target untouched", got, "precious\n");
	free(got);

	/* Planted between two opens: the reopen is refused, writing goes on to the old file. */
	unlink(path);
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("symlink regular file opens", log != NULL);
	if (!log)
		return;
	CHECK_INT("symlink write before", write_str(log, "{\"n\":1}"), 0);
	unlink(path);
	CHECK("symlink planted", symlink(target, path) == 0);
	CHECK("symlink reopen refused", shmw_eventlog_reopen(log) < 0);
	CHECK_INT("symlink write after", write_str(log, "{\"n\":2}"), 0);
	shmw_eventlog_close(log);
	got = slurp(target);
	CHECK_STR("symlink target untouched after reopen", got, "precious\n");
	free(got);
	unlink(path);
	unlink(target);
}

/* A write that a full disk takes only in part: the file is cut back to its last whole line and
 * the cut is counted. RLIMIT_FSIZE makes any file system behave so (short write, then EFBIG),
 * without root. */
static void test_cut_back(void)
{
	char path[512], line[200], *got;
	struct shmw_eventlog *log;
	struct rlimit old, lim;
	struct sigaction ign = {.sa_handler = SIG_IGN}, oldxfsz;
	size_t len;

	path_in(path, sizeof(path), "full.jsonl");
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("cut open", log != NULL);
	if (!log)
		return;
	shmw_eventlog_buffer(log, 64 * 1024);
	memset(line, 'x', sizeof(line));
	memcpy(line, "{\"pad\":\"", 8);
	memcpy(line + sizeof(line) - 2, "\"}", 2);
	for (int i = 0; i < 20; i++)
		CHECK_INT("cut buffered write", shmw_eventlog_write(log, line, sizeof(line)), 0);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1000; /* 4 lines of 201 bytes and part of the 5th */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGXFSZ, &ign, &oldxfsz);
	setrlimit(RLIMIT_FSIZE, &lim);
	CHECK("cut flush fails", shmw_eventlog_flush(log) < 0);
	setrlimit(RLIMIT_FSIZE, &old);
	sigaction(SIGXFSZ, &oldxfsz, NULL);
	got = slurp(path);
	len = got ? strlen(got) : 0;
	CHECK_INT("cut back to 4 whole lines", len, 4 * 201);
	CHECK("cut the file ends with a newline", len && got[len - 1] == '\n');
	free(got);
	CHECK_INT("cut counted", shmw_eventlog_cuts(log), 1);
	CHECK_INT("cut lines written", shmw_eventlog_lines(log), 4);
	CHECK_INT("cut lines lost are errors", shmw_eventlog_errors(log), 16);
	/* Room again: whole lines follow, with no stray newline. */
	CHECK_INT("cut write after", write_str(log, "{\"n\":5}"), 0);
	CHECK_INT("cut flush after", shmw_eventlog_flush(log), 0);
	got = slurp(path);
	len = got ? strlen(got) : 0;
	CHECK_INT("cut then a whole line", len, 4 * 201 + 8);
	CHECK("cut the new line follows the last whole one",
	      got && len > 8 && !strcmp(got + len - 8, "{\"n\":5}\n") && got[len - 9] == '\n');
	free(got);
	shmw_eventlog_close(log);
	unlink(path);
}

static void test_stdout(void)
{
	struct shmw_eventlog *log;
	int pfd[2], saved;
	char buf[256];
	ssize_t n = -1;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	CHECK("stdout pipe", saved >= 0 && pipe(pfd) == 0);
	if (saved < 0)
		return;
	CHECK("stdout redirect", dup2(pfd[1], STDOUT_FILENO) == STDOUT_FILENO);
	log = shmw_eventlog_open("-", 10, 1, 0, errbuf, sizeof(errbuf));
	int w1 = log ? write_str(log, "{\"to\":\"stdout\"}") : -1;
	int w2 = log ? write_str(log, "{\"never\":\"rotated\"}") : -1;
	uint64_t rot = shmw_eventlog_rotations(log);

	shmw_eventlog_close(log); /* must not close stdout */
	int still_open = fcntl(STDOUT_FILENO, F_GETFD) >= 0;

	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(pfd[1]);
	n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	buf[n > 0 ? n : 0] = '\0';

	CHECK("stdout open", log != NULL);
	CHECK_INT("stdout write 1", w1, 0);
	CHECK_INT("stdout write 2", w2, 0);
	CHECK_INT("stdout no rotation", rot, 0);
	CHECK("stdout left open by close", still_open);
	CHECK_STR("stdout content", buf, "{\"to\":\"stdout\"}\n{\"never\":\"rotated\"}\n");
}

/* Batched writes (shmw_eventlog_buffer): held back until a flush, a full batch, a rotation,
 * a reopen or close; rotation still splits at the same lines as a write per line does. */
static void test_buffered(void)
{
	char path[512], old[600], p1[620], line[64], want[512];
	struct shmw_eventlog *log;
	char *got;

	path_in(path, sizeof(path), "buf.jsonl");
	snprintf(old, sizeof(old), "%s.old", path);
	log = shmw_eventlog_open(path, 0, 1, 0, errbuf, sizeof(errbuf));
	CHECK("buffered open", log != NULL);
	if (!log)
		return;
	shmw_eventlog_buffer(log, 100);
	CHECK_INT("buffered write a", write_str(log, "\"a\""), 0);
	CHECK_INT("buffered write b", write_str(log, "\"b\""), 0);
	got = slurp(path);
	CHECK_STR("buffered nothing written before the flush", got, "");
	free(got);
	CHECK_INT("buffered lines not counted before the flush", shmw_eventlog_lines(log), 0);
	CHECK_INT("buffered flush", shmw_eventlog_flush(log), 0);
	got = slurp(path);
	CHECK_STR("buffered content after the flush", got, "\"a\"\n\"b\"\n");
	free(got);
	CHECK_INT("buffered lines after the flush", shmw_eventlog_lines(log), 2);
	CHECK_INT("buffered empty flush", shmw_eventlog_flush(log), 0);

	/* A full batch goes out by itself: four 31-byte lines do not fit in 100 bytes. */
	for (int i = 1; i <= 4; i++) {
		line30(line, sizeof(line), i);
		write_str(log, line);
	}
	CHECK_INT("buffered full batch written", shmw_eventlog_lines(log), 5);
	/* A reopen writes what was held back to the old file first. */
	CHECK_INT("buffered rename", rename(path, old), 0);
	CHECK_INT("buffered reopen", shmw_eventlog_reopen(log), 0);
	got = slurp(old);
	CHECK("buffered old file complete", got && strlen(got) == 8 + 4 * 31);
	free(got);
	/* A line longer than the batch goes out at once. */
	{
		char big[150];

		memset(big, 'q', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		CHECK_INT("buffered big line", write_str(log, big), 0);
		got = slurp(path);
		CHECK("buffered big line written at once", got && strlen(got) == sizeof(big));
		free(got);
	}
	CHECK_INT("buffered write c", write_str(log, "\"c\""), 0);
	shmw_eventlog_close(log);
	got = slurp(path);
	CHECK("buffered close flushes", got && strstr(got, "\n\"c\"\n") != NULL);
	free(got);

	/* Rotation: the same files as test_rotation's write per line (100 bytes, keep 2). */
	path_in(path, sizeof(path), "bufrot.jsonl");
	snprintf(p1, sizeof(p1), "%s.1", path);
	log = shmw_eventlog_open(path, 100, 2, 0, errbuf, sizeof(errbuf));
	CHECK("buffered rotation open", log != NULL);
	if (!log)
		return;
	shmw_eventlog_buffer(log, 4096);
	for (int i = 1; i <= 8; i++) {
		line30(line, sizeof(line), i);
		write_str(log, line);
	}
	shmw_eventlog_flush(log);
	CHECK_INT("buffered rotation count", shmw_eventlog_rotations(log), 2);
	CHECK_INT("buffered rotation lines", shmw_eventlog_lines(log), 8);
	want[0] = 0;
	for (int i = 4, off = 0; i <= 6; i++) {
		line30(line, sizeof(line), i);
		off += snprintf(want + off, sizeof(want) - (size_t)off, "%s\n", line);
	}
	got = slurp(p1);
	CHECK_STR("buffered rotation .1 content", got, want);
	free(got);
	want[0] = 0;
	for (int i = 7, off = 0; i <= 8; i++) {
		line30(line, sizeof(line), i);
		off += snprintf(want + off, sizeof(want) - (size_t)off, "%s\n", line);
	}
	got = slurp(path);
	CHECK_STR("buffered rotation current content", got, want);
	free(got);
	shmw_eventlog_close(log);

	/* A failing device: the line fails at once, counted as an error. */
	log = shmw_eventlog_open("/dev/full", 0, 1, 0, errbuf, sizeof(errbuf));
	if (log) {
		/* /dev/full is no regular file: a write per line whatever the batch. */
		shmw_eventlog_buffer(log, 4096);
		CHECK_INT("buffered device write fails at once", write_str(log, "{}"), -ENOSPC);
		CHECK_INT("buffered device errors", shmw_eventlog_errors(log), 1);
		shmw_eventlog_close(log);
	}
}

/* rm -rf of the test directory (two levels are all we make). */
static void cleanup(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	char p[1024];

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			cleanup(p);
		else
			unlink(p);
	}
	closedir(dh);
	rmdir(d);
}

/* SHMW_EVENTLOG_GZIP: rotated files become path.N.gz with an index, the shift moves both, and
 * what the files hold is what was written, in order. */
static void test_rotation_gzip(void)
{
	char rdir[512], path[600], name[640], line[64], want[512];
	struct shmw_eventlog *log;
	char *got;

	path_in(rdir, sizeof(rdir), "rotgz");
	snprintf(path, sizeof(path), "%s/ev.jsonl", rdir);
	log = shmw_eventlog_open(path, 100, 3, SHMW_EVENTLOG_MKDIR | SHMW_EVENTLOG_GZIP, errbuf,
				 sizeof(errbuf));
	CHECK("gzip rotation open", log != NULL);
	if (!log)
		return;
	shmw_eventlog_compress_pending(log);
	for (int i = 1; i <= 13; i++) {
		line30(line, sizeof(line), i);
		CHECK_INT("gzip rotation write", write_str(log, line), 0);
	}
	shmw_eventlog_compress_wait(log);
	/* 1-3 | 4-6 | 7-9 | 10-12 | 13: four rotations, 1-3 dropped. */
	CHECK_INT("gzip rotation count", shmw_eventlog_rotations(log), 4);
	CHECK_INT("gzip rotation: no compression error", shmw_eventlog_compress_errors(log), 0);
	CHECK_INT("gzip rotation: the log, 3 .gz and 3 .idx", count_entries(rdir), 7);
	for (int n = 1; n <= 3; n++) {
		gzFile z;
		int len;
		size_t off = 0;

		snprintf(name, sizeof(name), "%s.%d", path, n);
		CHECK("gzip rotation: no plain rotated file", access(name, F_OK) < 0);
		snprintf(name, sizeof(name), "%s.%d.gz.idx", path, n);
		CHECK("gzip rotation: index there", access(name, F_OK) == 0);
		snprintf(name, sizeof(name), "%s.%d.gz", path, n);
		z = gzopen(name, "rb");
		CHECK("gzip rotation: .gz there", z != NULL);
		if (!z)
			continue;
		len = gzread(z, want, sizeof(want) - 1);
		gzclose(z);
		want[len > 0 ? len : 0] = 0;
		got = malloc(256);
		got[0] = 0;
		for (int i = 13 - 3 * n; i < 16 - 3 * n; i++) {
			line30(line, sizeof(line), i);
			off += (size_t)snprintf(got + off, 256 - off, "%s\n", line);
		}
		CHECK_STR("gzip rotation: content in order", want, got);
		free(got);
	}
	shmw_eventlog_close(log);
}

int main(void)
{
	umask(022);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_basic();
	test_rotation();
	test_rotation_gzip();
	test_external_rotation();
	test_errors();
	test_buffered();
	test_symlink();
	test_cut_back();
	test_stdout();
	cleanup(dir);
	return CHECK_DONE();
}
