/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-replay: rebuilds who holds which segment from shmwatchd's event log alone, for the
 * end-to-end tests: the log is meant to be a complete history, so replaying it from the start
 * must give exactly the holders `shmwatch who` reports.
 *
 *   shmw-replay [--ns INUM] [--shmid ID]... [--with-ns] [FILE...]
 *
 * Reads JSON Lines (the FILEs in order, rotated ones first, or stdin) and applies the holder
 * lines (attach, detach, vmas, owner, share, unshare: replaylog.h says how).
 *
 * Prints the final holders as "PID SHMID VMAS" lines, sorted: for each mm holding a segment
 * its named pid and every process sharing it, as `who` lists owners and sharers. With
 * --with-ns, "NS SHMID PID VMAS" lines (sorted too) for segments of several namespaces. --ns
 * and --shmid (repeatable) restrict the output (not the replay). Exit 0; 2 when a line is not a
 * JSON object or an attach/detach/vmas/owner/share/unshare line lacks a field it needs (the
 * line number and the line go to stderr); 3 on usage errors.
 */
#include <inttypes.h>

#define HELPER_NAME "shmw-replay"
#include "replaylog.h"

static uint64_t want_ns;
static int has_ns;
static uint64_t *want_ids;
static size_t nwant_ids;

static int wanted(const struct seg_hold *s)
{
	if (has_ns && s->ns != want_ns)
		return 0;
	if (!nwant_ids)
		return 1;
	for (size_t i = 0; i < nwant_ids; i++)
		if (want_ids[i] == s->shmid)
			return 1;
	return 0;
}

struct row {
	uint64_t ns, pid, shmid, vmas;
};

static int by_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->shmid != y->shmid)
		return x->shmid < y->shmid ? -1 : 1;
	return x->vmas < y->vmas ? -1 : x->vmas > y->vmas;
}

static int by_ns_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	if (x->shmid != y->shmid)
		return x->shmid < y->shmid ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->vmas < y->vmas ? -1 : x->vmas > y->vmas;
}

static struct row *rows;
static size_t nrows, caprows;

static void add_row(uint64_t ns, uint64_t pid, uint64_t shmid, uint64_t vmas)
{
	if (nrows == caprows) {
		caprows = caprows ? caprows * 2 : 256;
		rows = xalloc(rows, caprows * sizeof(*rows));
	}
	rows[nrows++] = (struct row){ns, pid, shmid, vmas};
}

int main(int argc, char **argv)
{
	int i, nfiles = 0, with_ns = 0;
	struct mmrec *m, *mt;
	struct sharer *sh, *sht;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ns") && i + 1 < argc) {
			want_ns = strtoull(argv[++i], NULL, 10);
			has_ns = 1;
		} else if (!strcmp(argv[i], "--shmid") && i + 1 < argc) {
			want_ids = xalloc(want_ids, (nwant_ids + 1) * sizeof(*want_ids));
			want_ids[nwant_ids++] = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--with-ns")) {
			with_ns = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"usage: shmw-replay [--ns INUM] [--shmid ID]... [--with-ns] "
				"[FILE...]\n");
			return 3;
		} else {
			FILE *f = fopen(argv[i], "re");

			if (!f) {
				fprintf(stderr, "shmw-replay: %s: %s\n", argv[i], strerror(errno));
				return 3;
			}
			replay_file(f, argv[i], NULL);
			fclose(f);
			nfiles++;
		}
	}
	if (!nfiles)
		replay_file(stdin, "<stdin>", NULL);
	HASH_ITER(hh, mms, m, mt)
	{
		for (size_t k = 0; k < m->nsegs; k++) {
			const struct seg_hold *s = &m->segs[k];

			if (!wanted(s))
				continue;
			add_row(with_ns ? s->ns : 0, m->owner, s->shmid, s->vmas);
			HASH_ITER(hh, sharers, sh, sht)
			{
				if (sh->mm == m->mm)
					add_row(with_ns ? s->ns : 0, sh->pid, s->shmid, s->vmas);
			}
		}
	}
	if (nrows)
		qsort(rows, nrows, sizeof(*rows), with_ns ? by_ns_row : by_row);
	for (size_t k = 0; k < nrows; k++) {
		if (with_ns)
			printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", rows[k].ns,
			       rows[k].shmid, rows[k].pid, rows[k].vmas);
		else
			printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", rows[k].pid, rows[k].shmid,
			       rows[k].vmas);
	}
	free(rows);
	replay_free();
	free(want_ids);
	return fflush(stdout) ? 2 : 0;
}
