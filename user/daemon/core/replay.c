// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Rebuilding the holder state from the event log (see replay.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include "replay.h"
#include "timefmt.h"

static const struct {
	const char *name;
	uint32_t type;
} types[] = {
    {"attach", SHMW_EV_ATTACH}, {"detach", SHMW_EV_DETACH}, {"vmas", SHMW_EV_VMAS},
    {"owner", SHMW_EV_OWNER},	{"share", SHMW_EV_SHARE},   {"unshare", SHMW_EV_UNSHARE},
    {"ident", SHMW_EV_IDENT},
};

static const char *const causes[SHMW_CAUSE_MAX] = {
    [SHMW_CAUSE_NONE] = "none",	    [SHMW_CAUSE_SHMAT] = "shmat",   [SHMW_CAUSE_SHMDT] = "shmdt",
    [SHMW_CAUSE_FORK] = "fork",	    [SHMW_CAUSE_EXEC] = "exec",	    [SHMW_CAUSE_EXIT] = "exit",
    [SHMW_CAUSE_MUNMAP] = "munmap", [SHMW_CAUSE_SPLIT] = "split",   [SHMW_CAUSE_SHMCTL] = "shmctl",
    [SHMW_CAUSE_SEED] = "seed",	    [SHMW_CAUSE_RESYNC] = "resync", [SHMW_CAUSE_MREMAP] = "mremap",
    [SHMW_CAUSE_SHMGET] = "shmget", [SHMW_CAUSE_SETUID] = "setuid", [SHMW_CAUSE_RENAME] = "rename",
};

static uint64_t num(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	return json_object_get_uint64(v);
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Wall-clock time of a log line, as the boot-clock ns the state keeps. */
static uint64_t boot_ns_of(const char *t)
{
	uint64_t real, booted = shmw_boot_to_real(0); /* wall-clock time of the boot */

	if (!t || shmw_parse_rfc3339(t, &real))
		return 0;
	return real > booted ? real - booted : 0;
}

/* A perms string ("0640") as the number. */
static uint32_t perms_of(const char *p)
{
	return p ? (uint32_t)strtoul(p, NULL, 8) : 0;
}

static void actor_of(json_object *o, struct shmw_actor *a)
{
	const char *comm = str(o, "comm");

	memset(a, 0, sizeof(*a));
	a->pid = (uint32_t)num(o, "pid");
	a->uid = (uint32_t)num(o, "uid");
	if (comm)
		snprintf(a->comm, sizeof(a->comm), "%s", comm);
}

/* One lifecycle line (create, rmid, destroy) into the registry; true if it was one. */
static bool replay_life(json_object *o, struct shmw_life *life)
{
	const char *event = str(o, "event");
	uint32_t ns = (uint32_t)num(o, "ns");
	int32_t shmid = (int32_t)num(o, "shmid");
	uint64_t when = 0;
	struct shmw_lseg s, *cur;

	if (!event || !life)
		return false;
	{
		const char *t = str(o, "time");

		if (!t || shmw_parse_rfc3339(t, &when))
			when = 0;
	}
	if (!strcmp(event, "create")) {
		memset(&s, 0, sizeof(s));
		s.ns = ns;
		s.shmid = shmid;
		s.generation = (int64_t)num(o, "generation");
		s.key = (uint32_t)num(o, "key");
		s.size = num(o, "size");
		s.perms = perms_of(str(o, "perms")) & 0777;
		actor_of(o, &s.creator);
		s.creator_known = s.creator.comm[0] != 0;
		s.uid = s.creator.uid;
		s.cpid = (int32_t)s.creator.pid;
		s.created = when;
		shmw_life_restore(life, &s);
		return true;
	}
	cur = shmw_life_find(life, ns, shmid);
	if (!strcmp(event, "rmid")) {
		if (!cur)
			return false;
		s = *cur;
		s.dest = true;
		s.dest_since = when;
		s.rmid_known = true;
		actor_of(o, &s.remover);
		s.holders_at_rmid = (uint32_t)num(o, "holders");
		shmw_life_restore(life, &s);
		return true;
	}
	if (!strcmp(event, "destroy")) {
		shmw_life_forget(life, ns, shmid);
		return true;
	}
	return false;
}

static json_object *parse(const char *line, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, line, (int)len);
	json_tokener_free(tok);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* A holder event line (attach, detach, vmas, owner, share, unshare, ident) as a ring record. */
static bool event_of(json_object *o, struct shmw_event *ev)
{
	const char *event, *cause, *mm, *comm;

	memset(ev, 0, sizeof(*ev));
	event = str(o, "event");
	cause = str(o, "cause");
	mm = str(o, "mm");
	if (!event || !mm)
		return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(event, types[i].name))
			ev->type = types[i].type;
	if (!ev->type)
		return false;
	for (uint32_t c = 0; cause && c < SHMW_CAUSE_MAX; c++)
		if (causes[c] && !strcmp(cause, causes[c]))
			ev->cause = c;
	ev->mm = strtoull(mm, NULL, 16);
	ev->ts = boot_ns_of(str(o, "time"));
	ev->ns = (uint32_t)num(o, "ns");
	ev->shmid = (uint32_t)num(o, "shmid");
	ev->key = (uint32_t)num(o, "key");
	ev->size = num(o, "size");
	ev->pid = (uint32_t)num(o, "pid");
	ev->actor = (uint32_t)num(o, "actor");
	ev->uid = (uint32_t)num(o, "uid");
	ev->nvma = (uint32_t)num(o, "vmas");
	/* The line of the first attach carries when and how the holder got it. */
	ev->since = ev->ts;
	ev->how = ev->cause;
	comm = str(o, "comm");
	if (comm)
		snprintf(ev->comm, sizeof(ev->comm), "%s", comm);
	/* The log leaves actor out when it is pid: a share or unshare of an mm that holds
	 * nothing names the sharer as pid. */
	if ((ev->type == SHMW_EV_SHARE || ev->type == SHMW_EV_UNSHARE) && !ev->actor)
		ev->actor = ev->pid;
	if (ev->type == SHMW_EV_SHARE && !ev->actor)
		return false;
	if (ev->type == SHMW_EV_IDENT) {
		json_object *v;

		if (json_object_object_get_ex(o, "sharer", &v) && json_object_get_boolean(v))
			ev->flags = SHMW_EVF_SHARER;
	}
	return ev->mm != 0;
}

bool shmw_replay_line(const char *line, size_t len, struct shmw_event *ev)
{
	json_object *o = parse(line, len);
	bool ok;

	memset(ev, 0, sizeof(*ev));
	if (!o)
		return false;
	ok = event_of(o, ev);
	json_object_put(o);
	return ok;
}

long shmw_replay_file(const char *path, struct shmw_state *st, struct shmw_life *life)
{
	/* Only a regular file holds what a predecessor logged: a device (/dev/full reads zeros
	 * forever), a FIFO or a terminal would hang the start-up, or read someone else's data.
	 * O_NONBLOCK: opening a FIFO to read blocks until a writer comes. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct shmw_mmst *m, *tmp;
	struct stat sb;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long applied = 0;
	uint64_t version = 0;
	FILE *f;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return 0;
	}
	f = fdopen(fd, "r");
	if (!f) {
		int e = errno;

		close(fd);
		return -e;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		struct shmw_event ev;
		json_object *o = parse(line, (size_t)n);
		bool is_event;

		if (!o)
			continue;
		if (replay_life(o, life)) {
			json_object_put(o);
			applied++;
			continue;
		}
		is_event = event_of(o, &ev);
		json_object_put(o);
		if (!is_event)
			continue;
		/* A later attach of the same holding keeps the first one's since/how. */
		if (ev.type != SHMW_EV_ATTACH) {
			struct shmw_mmst *cur = NULL;

			HASH_FIND(hh, st->mms, &ev.mm, sizeof(ev.mm), cur);
			if (cur) {
				const struct shmw_mm_seg *s = shmw_mm_seg_of(cur, ev.ns, ev.shmid);

				if (s) {
					ev.since = s->since;
					ev.how = s->how;
				}
			}
		}
		ev.version = ++version;
		if (shmw_state_apply(st, &ev) != SHMW_CHG_NONE)
			applied++;
	}
	free(line);
	fclose(f);
	/* The new daemon's BPF versions start again from 1. */
	HASH_ITER(hh, st->mms, m, tmp)
	{
		m->version = 0;
	}
	st->floor = 0;
	return applied;
}
