// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Lifecycle events to their channels (see alerts.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "alert_exec.h"
#include "alerts.h"
#include "daemon.h"
#include "jsonproto.h"
#include "log.h"
#include "procinfo.h"
#include "report.h"
#include "server.h"
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
static json_object *holders_json(struct shmw_daemon *d, const struct shmw_lseg *s)
{
	json_object *who = shmw_report_who(&d->state, s->ns, s->shmid, NULL);
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

json_object *shmw_alerts_linger_json(struct shmw_daemon *d, const struct shmw_lseg *s, uint64_t now)
{
	json_object *o = base("linger", s, now);

	add(o, "dest_since", real_time(s->dest_since));
	add(o, "dest_for_s", u64(secs_between(s->dest_since, now)));
	add(o, "nattch", json_object_new_int64(s->nattch));
	if (s->rmid_known)
		add_actor(o, "rmid_", &s->remover);
	add(o, "repeat", u64(s->repeats ? s->repeats - 1 : 0)); /* the last alert sent */
	add(o, "holders", holders_json(d, s));
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

/* One readable line for journald/syslog, with structured fields. */
static void journal_linger(const struct shmw_lseg *s, json_object *alert, uint64_t now)
{
	json_object *holders = json_object_object_get(alert, "holders");
	size_t n = holders ? json_object_array_length(holders) : 0;
	char msg[1024], size[32], f_shmid[32], f_ns[32], f_pid[32], f_age[32];
	char f_comm[64], f_user[300];
	const char *fields[] = {f_shmid, f_ns, f_pid, f_age, f_comm, f_user, NULL};
	json_object *first = n ? json_object_array_get_idx(holders, 0) : NULL;
	size_t off;

	human(size, sizeof(size), s->size);
	off =
	    (size_t)snprintf(msg, sizeof(msg),
			     "shmid %d (%s) marked for removal %llu s ago is "
			     "still held by ",
			     s->shmid, size, (unsigned long long)secs_between(s->dest_since, now));
	if (!n)
		snprintf(msg + off, sizeof(msg) - off, "%lld attachment(s) of unknown processes",
			 (long long)s->nattch);
	for (size_t i = 0; i < n && off < sizeof(msg); i++) {
		json_object *h = json_object_array_get_idx(holders, i);

		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%spid %s (%s, user %s)",
					i ? ", " : "",
					json_object_get_string(json_object_object_get(h, "pid")),
					json_object_get_string(json_object_object_get(h, "comm")),
					json_object_get_string(json_object_object_get(h, "user")));
	}
	snprintf(f_shmid, sizeof(f_shmid), "SHMID=%d", s->shmid);
	snprintf(f_ns, sizeof(f_ns), "IPC_NS=%u", s->ns);
	snprintf(f_pid, sizeof(f_pid), "HOLDER_PID=%s",
		 first ? json_object_get_string(json_object_object_get(first, "pid")) : "");
	/* The holder's name and user as it chose them: the log escapes them (log.h). */
	snprintf(f_comm, sizeof(f_comm), "HOLDER_COMM=%s",
		 first ? json_object_get_string(json_object_object_get(first, "comm")) : "");
	snprintf(f_user, sizeof(f_user), "HOLDER_USER=%s",
		 first ? json_object_get_string(json_object_object_get(first, "user")) : "");
	snprintf(f_age, sizeof(f_age), "DEST_FOR_S=%llu",
		 (unsigned long long)secs_between(s->dest_since, now));
	shmw_log_fields(LOG_WARNING, msg, fields);
}

static void journal_orphan(const struct shmw_lseg *s, uint64_t now)
{
	char msg[512], size[32], f_shmid[32], f_ns[32];
	const char *fields[3] = {f_shmid, f_ns, NULL};

	human(size, sizeof(size), s->size);
	snprintf(msg, sizeof(msg),
		 "shmid %d (%s, key 0x%08x) has had no holder for %llu s (created by pid %d, last "
		 "used by pid %d)",
		 s->shmid, size, s->key, (unsigned long long)secs_between(s->unheld_since, now),
		 s->cpid, s->lpid);
	snprintf(f_shmid, sizeof(f_shmid), "SHMID=%d", s->shmid);
	snprintf(f_ns, sizeof(f_ns), "IPC_NS=%u", s->ns);
	shmw_log_fields(LOG_WARNING, msg, fields);
}

/* Reports what shmw_hooks_run() did with an alert. Drops come in floods (thousands of
 * segments lingering at once): counted (shmwatch_alert_hooks_dropped_total) and logged at most
 * once a minute. One daemon, one hook runner: the limit is kept here. */
static void hook_result(struct shmw_daemon *d, const struct shmw_lseg *s, int ret)
{
	static struct shmw_log_limit drops;
	uint64_t skipped;

	if (ret == -EBUSY) {
		if (shmw_log_limited(&drops, &skipped))
			log_warn(
			    "--alert-exec: every hook slot is taken and the queue is full "
			    "(--alert-queue %u): alert for shmid %d dropped (%llu more dropped "
			    "before; counted in shmwatch_alert_hooks_dropped_total, logged at "
			    "most once a minute)",
			    d->opts.alert_queue, s->shmid, (unsigned long long)skipped);
		return;
	}
	if (ret < 0)
		log_warn("--alert-exec for shmid %d not run: %s", s->shmid, strerror(-ret));
}

/* Runs the hook with the alert on stdin and the essentials in the environment. */
static void hook(struct shmw_daemon *d, const char *event, const struct shmw_lseg *s,
		 const char *json)
{
	char e_ev[64], e_id[48], e_ns[48], e_key[48], e_size[48];
	const char *env[] = {e_ev, e_id, e_ns, e_key, e_size, NULL};
	int ret;

	if (!d->hooks)
		return;
	snprintf(e_ev, sizeof(e_ev), "SHMWATCH_EVENT=%s", event);
	snprintf(e_id, sizeof(e_id), "SHMWATCH_SHMID=%d", s->shmid);
	snprintf(e_ns, sizeof(e_ns), "SHMWATCH_NS=%u", s->ns);
	snprintf(e_key, sizeof(e_key), "SHMWATCH_KEY=0x%08x", s->key);
	snprintf(e_size, sizeof(e_size), "SHMWATCH_SIZE=%llu", (unsigned long long)s->size);
	ret = shmw_hooks_run(d->hooks, json, strlen(json), env);
	hook_result(d, s, ret);
}

void shmw_alerts_on_life(void *ctx, enum shmw_life_event ev, const struct shmw_lseg *s,
			 const struct shmw_life_info *info)
{
	struct shmw_daemon *d = ctx;
	const char *name = life_names[ev];
	json_object *o;

	switch (ev) {
	case SHMW_LIFE_LINGER:
		o = shmw_alerts_linger_json(d, s, info->now);
		break;
	case SHMW_LIFE_ORPHAN:
		o = shmw_alerts_orphan_json(s, info->now);
		break;
	default:
		o = base(name, s, info->now);
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
	{
		const char *line = json_object_to_json_string_ext(
		    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

		/* An alert names other users' processes: admins only. Lifecycle events concern
		 * whoever acted, or the segment's owner. */
		uint32_t audience =
		    ev == SHMW_LIFE_LINGER || ev == SHMW_LIFE_ORPHAN || ev == SHMW_LIFE_LINGER_END
			? SHMW_AUDIENCE_ADMIN
		    : info->by ? info->by->uid
			       : s->uid;

		shmw_daemon_publish(d, name, line, audience);
		if (ev == SHMW_LIFE_LINGER) {
			journal_linger(s, o, info->now);
			hook(d, name, s, line);
		} else if (ev == SHMW_LIFE_ORPHAN) {
			journal_orphan(s, info->now);
			hook(d, name, s, line);
		} else if (ev == SHMW_LIFE_LINGER_END) {
			log_info("shmid %d: linger ended (%s)", s->shmid, info->reason);
			hook(d, name, s, line);
		}
	}
	json_object_put(o);
}
