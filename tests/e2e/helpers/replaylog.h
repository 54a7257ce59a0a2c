/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Replaying shmwatchd's event log: what shmw-replay (the holders it ends with) and
 * shmw-lifecheck (the segments' lifecycle along the way) share. Included once by each.
 *
 * replay_file() reads JSON Lines and applies each line to the holders, whatever its cause
 * (shmat, fork, exit, ..., seed, resync):
 *   attach, detach, vmas   the VMA count ("vmas") of segment (ns, shmid) in address space "mm";
 *                          0 ends the holding. The event's pid names the mm from then on.
 *   owner                  the mm is named by "pid" from now on; that pid is no longer a sharer.
 *   share                  process "actor" uses "mm" (vfork child, CLONE_VM sibling).
 *   unshare                process "actor" no longer uses "mm" (only if it used that one).
 *                          ("actor" absent: the actor is "pid", as the log writes it).
 * Other events (create, rmid, destroy, linger, ...) change no holder. After each line it calls
 * the caller's on_line (if any) with the parsed object. A line that is not a JSON object, or a
 * holder line without a field it needs, ends the program with exit 2 (file, line number and the
 * line on stderr).
 */
#ifndef SHMW_HELPER_REPLAYLOG_H
#define SHMW_HELPER_REPLAYLOG_H

#include <errno.h>
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

/* How many address spaces hold each segment, kept along. */
struct seg_key {
	uint64_t ns, shmid;
};

struct seg_count {
	struct seg_key k;
	uint64_t mms;
	UT_hash_handle hh;
};

static struct mmrec *mms;
static struct sharer *sharers;
static struct seg_count *seg_counts;

static const char *cur_file;
static unsigned long cur_line;

static void *xalloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror(HELPER_NAME);
		exit(2);
	}
	return p;
}

static void die_line(const char *why, const char *line)
{
	fprintf(stderr, HELPER_NAME ": %s:%lu: %s: %s\n", cur_file, cur_line, why, line);
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

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
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
	const char *s = get_str(o, "mm");
	char *end;

	if (!s)
		return -1;
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

/* The number of address spaces the log says hold (ns, shmid). */
static inline uint64_t seg_holders(uint64_t ns, uint64_t shmid)
{
	struct seg_key k = {ns, shmid};
	struct seg_count *c = NULL;

	HASH_FIND(hh, seg_counts, &k, sizeof(k), c);
	return c ? c->mms : 0;
}

static void count_holder(uint64_t ns, uint64_t shmid, int delta)
{
	struct seg_key k = {ns, shmid};
	struct seg_count *c = NULL;

	HASH_FIND(hh, seg_counts, &k, sizeof(k), c);
	if (!c) {
		c = xalloc(NULL, sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->k = k;
		HASH_ADD(hh, seg_counts, k, sizeof(c->k), c);
	}
	c->mms += delta;
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
			m->segs = xalloc(m->segs, m->cap * sizeof(*m->segs));
		}
		m->segs[m->nsegs++] = (struct seg_hold){ns, shmid, vmas};
		count_holder(ns, shmid, 1);
		return;
	}
	if (vmas) {
		m->segs[i].vmas = vmas;
	} else {
		m->segs[i] = m->segs[--m->nsegs];
		count_holder(ns, shmid, -1);
	}
}

static void apply(json_object *o, const char *event, const char *line)
{
	uint64_t mm, pid, ns, shmid, vmas, actor;
	struct mmrec *m;
	struct sharer *sh;

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
			m = xalloc(NULL, sizeof(*m));
			memset(m, 0, sizeof(*m));
			m->mm = mm;
			HASH_ADD(hh, mms, mm, sizeof(m->mm), m);
		}
		/* pid made mm: a process has one mm, so its entry as a sharer of another is stale
		 * (the daemon drops it the same way: user/daemon/core/state.c). */
		HASH_FIND(hh, sharers, &pid, sizeof(pid), sh);
		if (sh && sh->mm != mm) {
			HASH_DEL(sharers, sh);
			free(sh);
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
			sh = xalloc(NULL, sizeof(*sh));
			memset(sh, 0, sizeof(*sh));
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

typedef void (*on_line_fn)(json_object *o, const char *event, const char *line);

static void replay_file(FILE *f, const char *name, on_line_fn on_line)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	cur_file = name;
	cur_line = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		json_object *o;
		const char *event;

		cur_line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0)
			continue;
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object))
			die_line("not a JSON object", line);
		event = get_str(o, "event");
		if (!event)
			die_line("no \"event\"", line);
		apply(o, event, line);
		if (on_line)
			on_line(o, event, line);
		json_object_put(o);
	}
	free(line);
}

static void replay_free(void)
{
	struct mmrec *m, *mt;
	struct sharer *sh, *sht;
	struct seg_count *c, *ct;

	HASH_ITER(hh, mms, m, mt)
	mm_free(m);
	HASH_ITER(hh, sharers, sh, sht)
	{
		HASH_DEL(sharers, sh);
		free(sh);
	}
	HASH_ITER(hh, seg_counts, c, ct)
	{
		HASH_DEL(seg_counts, c);
		free(c);
	}
}

#endif
