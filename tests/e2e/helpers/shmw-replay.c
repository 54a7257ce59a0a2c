/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-replay: rebuilds who holds which segment from shmwatchd's event log alone, for the
 * end-to-end tests: the log is meant to be a complete history, so replaying it from the start
 * must give exactly the holders `shmwatch who` reports.
 *
 *   shmw-replay [--ns INUM] [--shmid ID]... [FILE...]
 *
 * Reads JSON Lines (the FILEs in order, rotated ones first, or stdin) and applies:
 *   attach, detach, vmas   the VMA count ("vmas") of segment (ns, shmid) in address space "mm";
 *                          0 ends the holding. The event's pid names the mm from then on.
 *   owner                  the mm is named by "pid" from now on; that pid is no longer a sharer.
 *   share                  process "actor" uses "mm" (vfork child, CLONE_VM sibling).
 *   unshare                process "actor" no longer uses "mm" (only if it used that one).
 *                          ("actor" absent: the actor is "pid", as the log writes it).
 * whatever their cause (shmat, fork, exit, ..., seed, resync). Other events (create, rmid,
 * destroy, linger, ...) do not change holders and are skipped.
 *
 * Prints the final holders as "PID SHMID VMAS" lines, sorted: for each mm holding a segment
 * its named pid and every process sharing it, as `who` lists owners and sharers. --ns and
 * --shmid (repeatable) restrict the output (not the replay). Exit 0; 2 when a line is not a
 * JSON object or an attach/detach/vmas/owner/share/unshare line lacks a field it needs (the
 * line number and the line go to stderr); 3 on usage errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct seg_hold {
	uint64_t ns;
	uint64_t shmid;
	uint64_t vmas;
};

struct mmrec {
	uint64_t mm;
	uint64_t owner;
	struct seg_hold *segs;
	size_t nsegs, cap;
	UT_hash_handle hh;
};

struct sharer {
	uint64_t pid;
	uint64_t mm;
	UT_hash_handle hh;
};

static struct mmrec *mms;
static struct sharer *sharers;

static uint64_t want_ns;
static int has_ns;
static uint64_t *want_ids;
static size_t nwant_ids;

static const char *cur_file;
static unsigned long cur_line;

static void die_line(const char *why, const char *line)
{
	fprintf(stderr, "shmw-replay: %s:%lu: %s: %s\n", cur_file, cur_line, why, line);
	exit(2);
}

static int get_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	errno = 0;
	*out = json_object_get_uint64(v);
	return errno ? -1 : 0;
}

/* The log leaves "actor" out when it is "pid" (an unshare of an mm nobody holds any more
 * names the sharer as pid). */
static int get_actor(json_object *o, uint64_t *out)
{
	json_object *v;

	if (json_object_object_get_ex(o, "actor", &v))
		return get_u64(o, "actor", out);
	return get_u64(o, "pid", out);
}

/* "mm" is a hex string such as "0xffff88811c0dcb00". */
static int get_mm(json_object *o, uint64_t *out)
{
	json_object *v;
	const char *s;
	char *end;

	if (!json_object_object_get_ex(o, "mm", &v) || !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	errno = 0;
	*out = strtoull(s, &end, 16);
	return (errno || end == s || *end) ? -1 : 0;
}

static struct mmrec *mm_find(uint64_t mm)
{
	struct mmrec *m = NULL;

	HASH_FIND(hh, mms, &mm, sizeof(mm), m);
	return m;
}

static void mm_free(struct mmrec *m)
{
	HASH_DEL(mms, m);
	free(m->segs);
	free(m);
}

static void set_vmas(struct mmrec *m, uint64_t ns, uint64_t shmid, uint64_t vmas)
{
	size_t i;

	for (i = 0; i < m->nsegs; i++)
		if (m->segs[i].ns == ns && m->segs[i].shmid == shmid)
			break;
	if (i == m->nsegs) {
		if (!vmas)
			return;
		if (m->nsegs == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 4;
			m->segs = realloc(m->segs, m->cap * sizeof(*m->segs));
			if (!m->segs) {
				perror("shmw-replay");
				exit(2);
			}
		}
		m->segs[m->nsegs++] = (struct seg_hold){ns, shmid, vmas};
		return;
	}
	if (vmas)
		m->segs[i].vmas = vmas;
	else
		m->segs[i] = m->segs[--m->nsegs];
}

static void apply(json_object *o, const char *line)
{
	json_object *ev;
	const char *event;
	uint64_t mm, pid, ns, shmid, vmas, actor;
	struct mmrec *m;
	struct sharer *sh;

	if (!json_object_object_get_ex(o, "event", &ev) ||
	    !json_object_is_type(ev, json_type_string))
		die_line("no \"event\"", line);
	event = json_object_get_string(ev);
	if (!strcmp(event, "attach") || !strcmp(event, "detach") || !strcmp(event, "vmas")) {
		if (get_mm(o, &mm) || get_u64(o, "pid", &pid) || get_u64(o, "ns", &ns) ||
		    get_u64(o, "shmid", &shmid) || get_u64(o, "vmas", &vmas))
			die_line("attach/detach/vmas without mm, pid, ns, shmid or vmas", line);
		if (!strcmp(event, "detach") && vmas)
			die_line("detach with vmas > 0", line);
		if (!strcmp(event, "attach") && !vmas)
			die_line("attach with vmas 0", line);
		m = mm_find(mm);
		if (!m) {
			if (!vmas)
				return;
			m = calloc(1, sizeof(*m));
			if (!m) {
				perror("shmw-replay");
				exit(2);
			}
			m->mm = mm;
			HASH_ADD(hh, mms, mm, sizeof(m->mm), m);
		}
		m->owner = pid;
		set_vmas(m, ns, shmid, vmas);
		if (!m->nsegs)
			mm_free(m);
	} else if (!strcmp(event, "owner")) {
		if (get_mm(o, &mm) || get_u64(o, "pid", &pid))
			die_line("owner without mm or pid", line);
		m = mm_find(mm);
		if (m)
			m->owner = pid;
		HASH_FIND(hh, sharers, &pid, sizeof(pid), sh);
		if (sh) {
			HASH_DEL(sharers, sh);
			free(sh);
		}
	} else if (!strcmp(event, "share")) {
		if (get_mm(o, &mm) || get_actor(o, &actor))
			die_line("share without mm or actor", line);
		HASH_FIND(hh, sharers, &actor, sizeof(actor), sh);
		if (!sh) {
			sh = calloc(1, sizeof(*sh));
			if (!sh) {
				perror("shmw-replay");
				exit(2);
			}
			sh->pid = actor;
			HASH_ADD(hh, sharers, pid, sizeof(sh->pid), sh);
		}
		sh->mm = mm;
	} else if (!strcmp(event, "unshare")) {
		if (get_mm(o, &mm) || get_actor(o, &actor))
			die_line("unshare without mm or actor", line);
		HASH_FIND(hh, sharers, &actor, sizeof(actor), sh);
		if (sh && sh->mm == mm) {
			HASH_DEL(sharers, sh);
			free(sh);
		}
	}
	/* create, rmid, destroy, linger, linger_end, orphan, ...: no holder changes. */
}

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
	uint64_t pid, shmid, vmas;
};

static int by_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->shmid != y->shmid)
		return x->shmid < y->shmid ? -1 : 1;
	return x->vmas < y->vmas ? -1 : x->vmas > y->vmas;
}

static void replay(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	cur_line = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		json_object *o;

		cur_line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0)
			continue;
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object))
			die_line("not a JSON object", line);
		apply(o, line);
		json_object_put(o);
	}
	free(line);
}

int main(int argc, char **argv)
{
	struct row *rows = NULL;
	size_t nrows = 0, cap = 0;
	int i, nfiles = 0;
	struct mmrec *m, *mt;
	struct sharer *sh, *sht;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ns") && i + 1 < argc) {
			want_ns = strtoull(argv[++i], NULL, 10);
			has_ns = 1;
		} else if (!strcmp(argv[i], "--shmid") && i + 1 < argc) {
			want_ids = realloc(want_ids, (nwant_ids + 1) * sizeof(*want_ids));
			if (!want_ids)
				return 3;
			want_ids[nwant_ids++] = strtoull(argv[++i], NULL, 10);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"usage: shmw-replay [--ns INUM] [--shmid ID]... [FILE...]\n");
			return 3;
		} else {
			FILE *f = fopen(argv[i], "re");

			if (!f) {
				fprintf(stderr, "shmw-replay: %s: %s\n", argv[i], strerror(errno));
				return 3;
			}
			cur_file = argv[i];
			replay(f);
			fclose(f);
			nfiles++;
		}
	}
	if (!nfiles) {
		cur_file = "<stdin>";
		replay(stdin);
	}
	HASH_ITER(hh, mms, m, mt)
	{
		for (size_t k = 0; k < m->nsegs; k++) {
			const struct seg_hold *s = &m->segs[k];

			if (!wanted(s))
				continue;
			if (nrows + 1 >= cap) {
				cap = cap ? cap * 2 : 256;
				rows = realloc(rows, cap * sizeof(*rows));
				if (!rows)
					return 2;
			}
			rows[nrows++] = (struct row){m->owner, s->shmid, s->vmas};
			HASH_ITER(hh, sharers, sh, sht)
			{
				if (sh->mm != m->mm)
					continue;
				if (nrows + 1 >= cap) {
					cap *= 2;
					rows = realloc(rows, cap * sizeof(*rows));
					if (!rows)
						return 2;
				}
				rows[nrows++] = (struct row){sh->pid, s->shmid, s->vmas};
			}
		}
	}
	if (nrows)
		qsort(rows, nrows, sizeof(*rows), by_row);
	for (size_t k = 0; k < nrows; k++)
		printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", rows[k].pid, rows[k].shmid,
		       rows[k].vmas);
	free(rows);
	HASH_ITER(hh, mms, m, mt)
	mm_free(m);
	HASH_ITER(hh, sharers, sh, sht)
	{
		HASH_DEL(sharers, sh);
		free(sh);
	}
	free(want_ids);
	return fflush(stdout) ? 2 : 0;
}
