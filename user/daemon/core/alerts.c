// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Lifecycle events and alerts, formatted for their channels (see alerts.h). */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include "alerts.h"
#include "jsonproto.h"
#include "procinfo.h"
#include "report.h"
#include "timefmt.h"

static const char *const life_names[] = {
    [SHMW_LIFE_CREATE] = "create",	   [SHMW_LIFE_RMID] = "rmid",
    [SHMW_LIFE_DESTROY] = "destroy",	   [SHMW_LIFE_LINGER] = "linger",
    [SHMW_LIFE_LINGER_END] = "linger_end", [SHMW_LIFE_ORPHAN] = "orphan",
};

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *real_time(uint64_t real_ns)
{
	char buf[40];

	if (!real_ns || shmw_fmt_rfc3339(buf, sizeof(buf), real_ns))
		return NULL;
	return json_object_new_string(buf);
}

static uint64_t secs_between(uint64_t from, uint64_t to)
{
	return to > from ? (to - from) / SHMW_NS_PER_SEC : 0;
}

static void add_actor(json_object *o, const char *prefix, const struct shmw_actor *a)
{
	char k[32], comm[SHMW_COMM_LEN + 1];

	memcpy(comm, a->comm, SHMW_COMM_LEN);
	comm[SHMW_COMM_LEN] = 0;
	snprintf(k, sizeof(k), "%spid", prefix);
	add(o, k, u64(a->pid));
	snprintf(k, sizeof(k), "%scomm", prefix);
	add(o, k, shmw_json_string(comm));
	snprintf(k, sizeof(k), "%suid", prefix);
	add(o, k, u64(a->uid));
	snprintf(k, sizeof(k), "%suser", prefix);
	add(o, k, shmw_json_string(shmw_user_name(a->uid)));
}

/* The fields every lifecycle object has. */
static json_object *base(const char *event, const struct shmw_lseg *s, uint64_t now)
{
	json_object *o = json_object_new_object();

	add(o, "time", real_time(now));
	add(o, "event", json_object_new_string(event));
	add(o, "ns", u64(s->ns));
	add(o, "shmid", u64((uint32_t)s->shmid));
	add(o, "key", u64(s->key));
	add(o, "size", u64(s->size));
	add(o, "generation", json_object_new_int64(s->generation));
	return o;
}

/* Holders named from live state (with cgroup and container), plus what an admin needs to act
 * on each. */
static json_object *holders_json(const struct shmw_state *st, const struct shmw_lseg *s)
{
	json_object *who = shmw_report_who(st, s->ns, s->shmid, NULL);
	json_object *holders = NULL;
	size_t n;

	json_object_object_get_ex(who, "holders", &holders);
	holders = json_object_get(holders); /* keep it past who */
	json_object_put(who);
	n = holders ? json_object_array_length(holders) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *h = json_object_array_get_idx(holders, i);
		uint32_t pid = (uint32_t)json_object_get_uint64(json_object_object_get(h, "pid"));
		char buf[4096];

		shmw_proc_exe(pid, buf, sizeof(buf));
		add(h, "exe", shmw_json_string(buf));
		shmw_proc_cmdline(pid, buf, sizeof(buf));
		add(h, "cmdline", shmw_json_string(buf));
	}
	return holders ? holders : json_object_new_array();
}

json_object *shmw_alerts_linger_json(const struct shmw_state *st, const struct shmw_lseg *s,
				     uint64_t now)
{
	json_object *o = base("linger", s, now);

	add(o, "dest_since", real_time(s->dest_since));
	add(o, "dest_for_s", u64(secs_between(s->dest_since, now)));
	add(o, "nattch", json_object_new_int64(s->nattch));
	if (s->rmid_known)
		add_actor(o, "rmid_", &s->remover);
	add(o, "repeat", u64(s->repeats ? s->repeats - 1 : 0)); /* the last alert sent */
	add(o, "holders", holders_json(st, s));
	return o;
}

json_object *shmw_alerts_orphan_json(const struct shmw_lseg *s, uint64_t now)
{
	json_object *o = base("orphan", s, now);
	char perms[8];

	snprintf(perms, sizeof(perms), "%04o", s->perms & 0777);
	add(o, "perms", json_object_new_string(perms));
	add(o, "uid", u64(s->uid));
	add(o, "user", shmw_json_string(shmw_user_name(s->uid)));
	add(o, "unheld_since", real_time(s->unheld_since));
	add(o, "unheld_for_s", u64(secs_between(s->unheld_since, now)));
	add(o, "cpid", u64((uint32_t)s->cpid));
	add(o, "lpid", u64((uint32_t)s->lpid));
	if (s->never_attached)
		add(o, "never_attached", json_object_new_boolean(1));
	if (s->creator_known) {
		char comm[SHMW_COMM_LEN + 1];

		memcpy(comm, s->creator.comm, SHMW_COMM_LEN);
		comm[SHMW_COMM_LEN] = 0;
		add(o, "creator_comm", shmw_json_string(comm));
	}
	return o;
}

/* "289 MB", "12 kB": a size people read at a glance in a log line. */
static void human(char *buf, size_t len, uint64_t b)
{
	static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB"};
	int u = 0;
	double v = (double)b;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.0f %s" : "%.0f %s", v, units[u]);
}

/* One readable line for journald/syslog, with structured fields (the holder's name and user as
 * it chose them: the log escapes them, log.h). */
static void journal_linger(struct shmw_alert *a, const struct shmw_lseg *s, uint64_t now)
{
	json_object *holders = json_object_object_get(a->obj, "holders");
	size_t n = holders ? json_object_array_length(holders) : 0;
	json_object *first = n ? json_object_array_get_idx(holders, 0) : NULL;
	char size[32], (*f)[320] = a->field_buf;
	size_t off;

	human(size, sizeof(size), s->size);
	off =
	    (size_t)snprintf(a->msg, sizeof(a->msg),
			     "shmid %d (%s) marked for removal %llu s ago is "
			     "still held by ",
			     s->shmid, size, (unsigned long long)secs_between(s->dest_since, now));
	if (!n)
		snprintf(a->msg + off, sizeof(a->msg) - off,
			 "%lld attachment(s) of unknown processes", (long long)s->nattch);
	for (size_t i = 0; i < n && off < sizeof(a->msg); i++) {
		json_object *h = json_object_array_get_idx(holders, i);

		off += (size_t)snprintf(a->msg + off, sizeof(a->msg) - off,
					"%spid %s (%s, user %s)", i ? ", " : "",
					json_object_get_string(json_object_object_get(h, "pid")),
					json_object_get_string(json_object_object_get(h, "comm")),
					json_object_get_string(json_object_object_get(h, "user")));
	}
	snprintf(f[0], 32, "SHMID=%d", s->shmid);
	snprintf(f[1], 32, "IPC_NS=%u", s->ns);
	snprintf(f[2], 32, "HOLDER_PID=%s",
		 first ? json_object_get_string(json_object_object_get(first, "pid")) : "");
	snprintf(f[3], 32, "DEST_FOR_S=%llu", (unsigned long long)secs_between(s->dest_since, now));
	snprintf(f[4], 64, "HOLDER_COMM=%s",
		 first ? json_object_get_string(json_object_object_get(first, "comm")) : "");
	snprintf(f[5], 300, "HOLDER_USER=%s",
		 first ? json_object_get_string(json_object_object_get(first, "user")) : "");
	for (int i = 0; i < 6; i++)
		a->fields[i] = f[i];
	a->prio = LOG_WARNING;
}

static void journal_orphan(struct shmw_alert *a, const struct shmw_lseg *s, uint64_t now)
{
	char size[32], last[64];

	human(size, sizeof(size), s->size);
	/* The kernel's lpid is 0 both for a segment nobody ever attached and for a last user in
	 * a pid namespace the daemon cannot see: the attach and detach times tell them apart. */
	if (s->never_attached)
		snprintf(last, sizeof(last), "never attached");
	else if (s->lpid)
		snprintf(last, sizeof(last), "last used by pid %d", s->lpid);
	else
		snprintf(last, sizeof(last), "last used by a process of another pid namespace");
	snprintf(a->msg, 512,
		 "shmid %d (%s, key 0x%08x) has had no holder for %llu s (created by pid %d, %s)",
		 s->shmid, size, s->key, (unsigned long long)secs_between(s->unheld_since, now),
		 s->cpid, last);
	snprintf(a->field_buf[0], 32, "SHMID=%d", s->shmid);
	snprintf(a->field_buf[1], 32, "IPC_NS=%u", s->ns);
	a->fields[0] = a->field_buf[0];
	a->fields[1] = a->field_buf[1];
	a->prio = LOG_WARNING;
}

/* The hook's environment: the alert is on its stdin, the essentials here. */
static void hook_env(struct shmw_alert *a, const struct shmw_lseg *s)
{
	char(*e)[64] = a->env_buf;

	snprintf(e[0], 64, "SHMWATCH_EVENT=%s", a->event);
	snprintf(e[1], 48, "SHMWATCH_SHMID=%d", s->shmid);
	snprintf(e[2], 48, "SHMWATCH_NS=%u", s->ns);
	snprintf(e[3], 48, "SHMWATCH_KEY=0x%08x", s->key);
	snprintf(e[4], 48, "SHMWATCH_SIZE=%llu", (unsigned long long)s->size);
	for (int i = 0; i < 5; i++)
		a->env[i] = e[i];
}

void shmw_alert_format(struct shmw_alert *a, const struct shmw_state *st, enum shmw_life_event ev,
		       const struct shmw_lseg *s, const struct shmw_life_info *info)
{
	json_object *o;

	memset(a, 0, sizeof(*a));
	a->event = life_names[ev];
	a->shmid = s->shmid;
	switch (ev) {
	case SHMW_LIFE_LINGER:
		o = shmw_alerts_linger_json(st, s, info->now);
		break;
	case SHMW_LIFE_ORPHAN:
		o = shmw_alerts_orphan_json(s, info->now);
		break;
	default:
		o = base(a->event, s, info->now);
		break;
	}
	switch (ev) {
	case SHMW_LIFE_CREATE: {
		char perms[8];

		add(o, "cause", json_object_new_string(info->cause_name));
		snprintf(perms, sizeof(perms), "%04o", s->perms & 0777);
		add(o, "perms", json_object_new_string(perms));
		if (s->creator_known) {
			add_actor(o, "", &s->creator);
		} else {
			add(o, "pid", u64(s->creator.pid));
			add(o, "comm", json_object_new_string(""));
			add(o, "uid", u64(s->creator.uid));
			add(o, "user", shmw_json_string(shmw_user_name(s->creator.uid)));
		}
		break;
	}
	case SHMW_LIFE_RMID:
		add(o, "cause", json_object_new_string("shmctl"));
		add_actor(o, "", info->by);
		add(o, "holders", u64(s->holders_at_rmid));
		break;
	case SHMW_LIFE_DESTROY:
		add(o, "cause",
		    json_object_new_string(info->cause_name ? info->cause_name
							    : shmw_cause_name(info->cause)));
		if (info->by)
			add_actor(o, "", info->by);
		if (s->created)
			add(o, "lived_s", u64(secs_between(s->created, info->now)));
		break;
	case SHMW_LIFE_LINGER_END:
		add(o, "reason", json_object_new_string(info->reason));
		add(o, "lingered_s", u64(secs_between(s->dest_since, info->now)));
		break;
	default:
		break;
	}
	a->obj = o;
	a->line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	a->admins_only =
	    ev == SHMW_LIFE_LINGER || ev == SHMW_LIFE_ORPHAN || ev == SHMW_LIFE_LINGER_END;
	a->uid = info->by ? info->by->uid : s->uid;
	if (ev == SHMW_LIFE_LINGER) {
		journal_linger(a, s, info->now);
		hook_env(a, s);
	} else if (ev == SHMW_LIFE_ORPHAN) {
		journal_orphan(a, s, info->now);
		hook_env(a, s);
	} else if (ev == SHMW_LIFE_LINGER_END) {
		snprintf(a->msg, sizeof(a->msg), "shmid %d: linger ended (%s)", s->shmid,
			 info->reason);
		a->prio = LOG_INFO;
		hook_env(a, s);
	}
}

void shmw_alert_free(struct shmw_alert *a)
{
	json_object_put(a->obj);
	a->obj = NULL;
	a->line = NULL;
}
