// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * shmw-loggen: a busy host's event log, for the history benchmark (bench/README.md).
 *
 *   shmw-loggen PATH LINES [MAX_BYTES]
 *
 * Writes LINES lines in shmwatchd's own format (evline.c, alerts.c) to PATH, rotated every
 * MAX_BYTES (default 64 MiB, shmwatchd's default) into PATH.N and then compressed with the
 * daemon's own code (logset.h) into PATH.N.gz with their indexes: what a daemon writing for a
 * day leaves. Thousands of segments come and go (create, attaches and detaches by fork, exit,
 * shmdt, rmid, destroy), a few hundred alive at a time, in an IPC namespace no host has
 * (4026599999), so a daemon that replays the live file finds none of it in the kernel. Every
 * holder has left and every segment is destroyed by the last line: a replay leaves nothing.
 *
 * One segment, the target, lives through almost all of it: created at 5%, attached and
 * detached by 40 processes spread over the log, removed at 90% and destroyed at 95%. Another,
 * the busy one, is in every block: created at 1% and held by its creator, attached by a new
 * process and detached by the one before every 300 lines (a database's backends), removed and
 * destroyed at the end. The last lines on stdout name them, with times (@epoch) to ask at:
 *   target SHMID NS AT_HELD AT_DEST LINES_OF_TARGET
 *   busy SHMID NS AT_HELD LINES_OF_BUSY
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logset.h"
#include "timefmt.h"

#define NS	   4026599999u
#define ALIVE	   300	   /* segments alive at once */
#define STEP_US	   80000u  /* 80 ms between lines: a million lines is a day */
#define TARGET_ID  9999999 /* no other segment gets this shmid */
#define TARGET_PID 700000
#define BUSY_ID	   9999998
#define BUSY_PID   800000
#define BUSY_EVERY 300 /* lines between the busy segment's attaches */

struct seg {
	uint32_t shmid, key;
	uint32_t pids[4];
	int nheld; /* holders attached (pids[0..nheld)) */
	int stage; /* 0 created, 1..4 attaching, 5.. detaching, then rmid, destroy */
};

static FILE *out;
static char *path;
static uint64_t max_bytes, written, now_us;
static unsigned rotated;
static uint64_t lines, target_lines, busy_lines;

static void rotate(void)
{
	char to[4096];

	fclose(out);
	/* Shift as the daemon does: the newest rotated file is .1. */
	for (unsigned n = rotated; n >= 1; n--) {
		char from[4096];

		snprintf(from, sizeof(from), "%s.%u", path, n);
		snprintf(to, sizeof(to), "%s.%u", path, n + 1);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", path);
	rename(path, to);
	rotated++;
	out = fopen(path, "w");
	written = 0;
}

static void emit(const char *line, uint32_t shmid)
{
	size_t n = strlen(line);

	if (written + n + 1 > max_bytes)
		rotate();
	fputs(line, out);
	fputc('\n', out);
	written += n + 1;
	lines++;
	if (shmid == TARGET_ID)
		target_lines++;
	if (shmid == BUSY_ID)
		busy_lines++;
	now_us += STEP_US;
}

static uint64_t t0_ns;

static void ts(char *buf, size_t len)
{
	shmw_fmt_rfc3339(buf, len, t0_ns + now_us * SHMW_NS_PER_US);
}

static void holder(const char *ev, const char *cause, const struct seg *s, uint32_t pid)
{
	char t[40], line[512];

	ts(t, sizeof(t));
	snprintf(line, sizeof(line),
		 "{\"time\":\"%s\",\"event\":\"%s\",\"cause\":\"%s\",\"ns\":%u,\"shmid\":%u,"
		 "\"key\":%u,\"size\":12288,\"pid\":%u,\"comm\":\"postgres\",\"uid\":104,"
		 "\"user\":\"postgres\",\"vmas\":%d,\"mm\":\"0xffff8881%08x\"}",
		 t, ev, cause, NS, s->shmid, s->key, pid, strcmp(ev, "detach") ? 1 : 0, pid);
	emit(line, s->shmid);
}

static void life(const char *ev, const char *cause, const struct seg *s, uint32_t pid)
{
	char t[40], line[512];

	ts(t, sizeof(t));
	snprintf(
	    line, sizeof(line),
	    "{\"time\":\"%s\",\"event\":\"%s\",\"ns\":%u,\"shmid\":%u,\"key\":%u,\"size\":12288,"
	    "\"generation\":%llu,\"cause\":\"%s\",\"pid\":%u,\"comm\":\"postgres\",\"uid\":104,"
	    "\"user\":\"postgres\"}",
	    t, ev, NS, s->shmid, s->key, (unsigned long long)(t0_ns / 1000 + s->shmid), cause, pid);
	emit(line, s->shmid);
}

/* One step of a segment's life; returns 1 when it is destroyed. */
static int step(struct seg *s, uint32_t *next_pid)
{
	static const char *const how[] = {"shmat", "fork", "fork", "shmat"};
	static const char *const gone[] = {"shmdt", "exit", "exit", "exec"};

	if (s->stage == 0) {
		life("create", "shmget", s, s->pids[0]);
	} else if (s->stage <= 4) {
		s->pids[s->stage - 1] = (*next_pid)++;
		holder("attach", how[s->stage - 1], s, s->pids[s->stage - 1]);
		s->nheld++;
	} else if (s->stage <= 8) {
		holder("detach", gone[s->stage - 5], s, s->pids[s->stage - 5]);
		s->nheld--;
	} else if (s->stage == 9) {
		life("rmid", "shmctl", s, s->pids[0]);
	} else {
		life("destroy", "rmid", s, s->pids[0]);
		return 1;
	}
	s->stage++;
	return 0;
}

int main(int argc, char **argv)
{
	struct seg segs[ALIVE], target = {.shmid = TARGET_ID, .key = 0x5157aa01};
	struct seg busy = {.shmid = BUSY_ID, .key = 0x5157bb01, .pids = {BUSY_PID}};
	uint32_t busy_pid = BUSY_PID + 1;
	uint64_t busy_next = 0, at_busy = 0;
	int bstage = 0;
	uint32_t next_id = 1000000, next_pid = 100000, target_pids[40];
	uint64_t total, at_held = 0, at_dest = 0, seed = 42;
	int tstage = 0, nt = 0;
	char err[4096];

	if (argc < 3 || argc > 4) {
		fputs("usage: shmw-loggen PATH LINES [MAX_BYTES]\n", stderr);
		return 2;
	}
	path = argv[1];
	total = strtoull(argv[2], NULL, 10);
	max_bytes = argc == 4 ? strtoull(argv[3], NULL, 10) : 64ull << 20;
	if (total < 1000 || max_bytes < 4096) {
		fputs("shmw-loggen: LINES >= 1000, MAX_BYTES >= 4096\n", stderr);
		return 2;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return 1;
	}
	/* A day ending now. */
	t0_ns = shmw_now_real() - total * STEP_US * SHMW_NS_PER_US;
	for (int i = 0; i < ALIVE; i++)
		segs[i] = (struct seg){
		    .shmid = next_id++, .key = 0x51570000u + (uint32_t)i, .pids = {next_pid++}};
	/* The other segments' lines, with the target's at its fixed points; the tail closes
	 * every segment still open, so the log ends with nothing held. */
	while (lines < total - ALIVE * 11) {
		uint64_t pct = lines * 1000 / total;

		if (tstage == 0 && pct >= 50) {
			target.pids[0] = TARGET_PID;
			life("create", "shmget", &target, TARGET_PID);
			tstage = 1;
		} else if (tstage == 1 && nt < 40 && pct >= 60 + (uint64_t)nt * 20) {
			/* Attach k, and detach k - 3: up to 4 holders at any time. */
			struct seg s = target;

			target_pids[nt] = TARGET_PID + 1 + (uint32_t)nt;
			holder("attach", "shmat", &s, target_pids[nt]);
			if (nt >= 3)
				holder("detach", "shmdt", &s, target_pids[nt - 3]);
			if (nt == 20)
				at_held = t0_ns + now_us * SHMW_NS_PER_US;
			nt++;
		} else if (tstage == 1 && nt == 40 && pct >= 900) {
			life("rmid", "shmctl", &target, TARGET_PID);
			at_dest = t0_ns + now_us * SHMW_NS_PER_US;
			tstage = 2;
		} else if (tstage == 2 && pct >= 950) {
			for (int k = 37; k < 40; k++)
				holder("detach", "exit", &target, target_pids[k]);
			life("destroy", "exit", &target, target_pids[39]);
			tstage = 3;
		}
		if (bstage == 0 && pct >= 10) {
			life("create", "shmget", &busy, BUSY_PID);
			holder("attach", "shmat", &busy, BUSY_PID);
			busy_next = lines + BUSY_EVERY;
			bstage = 1;
		} else if (bstage == 1 && lines >= busy_next && pct < 980) {
			holder("attach", "fork", &busy, busy_pid);
			if (busy_pid > BUSY_PID + 1)
				holder("detach", "exit", &busy, busy_pid - 1);
			busy_pid++;
			busy_next = lines + BUSY_EVERY;
			if (!at_busy && pct >= 800)
				at_busy = t0_ns + now_us * SHMW_NS_PER_US;
		} else if (bstage == 1 && pct >= 980) {
			life("rmid", "shmctl", &busy, BUSY_PID);
			holder("detach", "exit", &busy, busy_pid - 1);
			holder("detach", "exit", &busy, BUSY_PID);
			life("destroy", "exit", &busy, BUSY_PID);
			bstage = 2;
		}
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		struct seg *s = &segs[(seed >> 33) % ALIVE];

		if (step(s, &next_pid))
			*s = (struct seg){.shmid = next_id++, .key = s->key, .pids = {next_pid++}};
	}
	for (int i = 0; i < ALIVE; i++)
		while (!step(&segs[i], &next_pid))
			;
	if (tstage != 3 || bstage != 2) {
		fputs("shmw-loggen: too few lines for the target's life (LINES >= 100000)\n",
		      stderr);
		return 1;
	}
	fclose(out);
	/* Every rotated file compressed as the daemon does it, oldest first. */
	for (unsigned n = rotated; n >= 1; n--) {
		char src[4096], dst[4096], prev[4096];

		snprintf(src, sizeof(src), "%s.%u", path, n);
		snprintf(dst, sizeof(dst), "%s.%u.gz", path, n);
		snprintf(prev, sizeof(prev), "%s.%u", path, n + 1);
		if (shmw_logset_compress(src, dst, 6, prev, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "shmw-loggen: %s\n", err);
			return 1;
		}
	}
	printf("files %u compressed + 1 plain, %llu lines\n", rotated, (unsigned long long)lines);
	printf("target %u %u @%llu.%09llu @%llu.%09llu %llu\n", TARGET_ID, NS,
	       (unsigned long long)(at_held / SHMW_NS_PER_SEC),
	       (unsigned long long)(at_held % SHMW_NS_PER_SEC),
	       (unsigned long long)(at_dest / SHMW_NS_PER_SEC),
	       (unsigned long long)(at_dest % SHMW_NS_PER_SEC), (unsigned long long)target_lines);
	printf("busy %u %u @%llu.%09llu %llu\n", BUSY_ID, NS,
	       (unsigned long long)(at_busy / SHMW_NS_PER_SEC),
	       (unsigned long long)(at_busy % SHMW_NS_PER_SEC), (unsigned long long)busy_lines);
	return 0;
}
