// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Answering client requests (see requests.h). Every answer first drains the ring buffer, so
 * it reflects every event the kernel had committed when the request arrived. */
#include <errno.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "alerts.h"
#include "daemon.h"
#include "eventlog.h"
#include "history.h"
#include "jsonproto.h"
#include "procinfo.h"
#include "report.h"
#include "requests.h"
#include "segtable.h"
#include "server.h"
#include "timefmt.h"

static void send_json(struct shmw_conn *c, json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *line = malloc(len + 1);

	if (line) {
		memcpy(line, s, len);
		line[len] = '\n';
		shmw_conn_send(c, line, len + 1);
		free(line);
	}
	json_object_put(o);
}

static void send_error(struct shmw_conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void send_error(struct shmw_conn *c, const char *code, const char *fmt, ...)
{
	char msg[512];
	char *line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line = shmw_error_line(code, msg);
	if (line) {
		shmw_conn_send(c, line, strlen(line));
		free(line);
	}
}

/* Non-admin clients see holders running as themselves; the others are counted, not named. */
static void filter_holders(struct shmw_conn *c, json_object *o)
{
	json_object *holders = json_object_object_get(o, "holders"), *kept;
	uint32_t uid = shmw_conn_uid(c), hidden = 0;

	if (shmw_conn_privileged(c) || !holders)
		return;
	kept = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(holders); i++) {
		json_object *h = json_object_array_get_idx(holders, i);

		if ((uint32_t)json_object_get_uint64(json_object_object_get(h, "uid")) == uid)
			json_object_array_add(kept, json_object_get(h));
		else
			hidden++;
	}
	json_object_object_add(o, "holders", kept);
	json_object_object_add(o, "hidden_holders", json_object_new_uint64(hidden));
	/* Who removed a segment is another process: named only when it is the client's own. */
	if (json_object_object_get_ex(o, "rmid_uid", NULL) &&
	    (uint32_t)json_object_get_uint64(json_object_object_get(o, "rmid_uid")) != uid) {
		json_object_object_del(o, "rmid_pid");
		json_object_object_del(o, "rmid_comm");
		json_object_object_del(o, "rmid_uid");
		json_object_object_del(o, "rmid_user");
	}
}

/* The IPC namespace of the client, from its pid at connect (SO_PEERCRED) and one stat of
 * /proc/PID/ns/ipc: not a scan. 0 when it cannot be told (no pid in our pid namespace, or the
 * process has gone). The daemon learns a way into that namespace on the way. */
static uint32_t caller_ns(struct shmw_conn *c)
{
	pid_t pid = shmw_conn_pid(c);
	char path[64];
	struct stat st;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
	if (stat(path, &st))
		return 0;
	shmw_ns_note((uint32_t)st.st_ino, (uint32_t)pid);
	return (uint32_t)st.st_ino;
}

/*
 * Which namespaces a who or ls looks in (shmwatch(1), "IPC namespaces"): the one asked for with
 * "ns", every one with "all_ns" (and, for admins, "container" without "ns": a container is a
 * selection of its own, and its namespace is seldom the caller's), else the caller's. Others than
 * the caller's are for root and the admin group only. Returns 0 with *all, or *ns; -1 after sending
 * the error.
 */
static int request_scope(struct shmw_conn *c, const struct shmw_request *r, bool *all, uint32_t *ns)
{
	bool priv = shmw_conn_privileged(c);
	uint32_t mine = caller_ns(c);

	*all = false;
	*ns = 0;
	if (r->has_ns) {
		if (!priv && r->ns != mine) {
			send_error(
			    c, "forbidden",
			    "IPC namespace %u is not yours: other namespaces are for root and "
			    "the admin group only",
			    r->ns);
			return -1;
		}
		*ns = r->ns;
		return 0;
	}
	if (r->all_ns || (r->container[0] && priv)) {
		if (!priv) {
			send_error(c, "forbidden",
				   "every IPC namespace: root and the admin group "
				   "only; others see their own");
			return -1;
		}
		*all = true;
		return 0;
	}
	if (!mine) {
		/* An admin outside our pid namespace still gets an answer: every namespace. */
		if (priv) {
			*all = true;
			return 0;
		}
		send_error(c, "forbidden",
			   "cannot tell your IPC namespace (pid %d not in the daemon's pid "
			   "namespace)",
			   (int)shmw_conn_pid(c));
		return -1;
	}
	*ns = mine;
	return 0;
}

/* Sends what a "lines" answer has so far (report.h). */
static void who_flush(void *arg, struct shmw_jbuf *b)
{
	shmw_conn_send(arg, b->p, b->len);
	b->len = 0;
}

/* The who answer, written directly (report.h): answers with thousands of holders. */
static void send_who(struct shmw_daemon *d, struct shmw_conn *c, const struct shmw_request *r,
		     uint32_t ns, const struct shmw_kseg *k)
{
	struct shmw_who_filter f = {
	    .all = shmw_conn_privileged(c),
	    .uid = shmw_conn_uid(c),
	    .container = r->container,
	    .rows = r->rows,
	    .lines = r->lines,
	    .flush = who_flush,
	    .flush_arg = c,
	};
	struct shmw_jbuf b = {0};

	shmw_report_who_line(&b, &d->state, ns, r->shmid, k, &f);
	if (b.oom)
		send_error(c, "internal", "out of memory");
	else
		shmw_conn_send(c, b.p, b.len);
	shmw_jbuf_free(&b);
}

static bool ns_listed(const uint32_t *v, size_t n, uint32_t ns)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == ns)
			return true;
	return false;
}

/* The shmid of the segment with key in namespace ns: -ENOENT when none has it. Marked
 * segments have key 0 in the kernel's table, so (as with ipcs) a key finds live ones only. */
static int shmid_of_key(uint32_t ns, uint32_t key, int32_t *shmid)
{
	struct shmw_kseg *v;
	size_t n;
	int ret = -ENOENT;

	if (shmw_segtable_read(ns, &v, &n))
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (v[i].key == key && !(v[i].perms & SHMW_SHM_DEST)) {
			*shmid = v[i].shmid;
			ret = 0;
			break;
		}
	free(v);
	return ret;
}

/* who --key: the shmid of that key in the request's scope; one namespace, or an ambiguity. */
static int who_key(struct shmw_conn *c, struct shmw_request *r, bool all, uint32_t ns)
{
	uint32_t *known = NULL, found_ns = 0;
	size_t nknown, nfound = 0;
	int32_t id, found = -1;

	if (r->key == 0) {
		send_error(c, "bad_request",
			   "key 0 is IPC_PRIVATE: every private segment has it; ask by shmid");
		return -1;
	}
	if (!all) {
		if (shmid_of_key(ns, r->key, &id)) {
			send_error(c, "no_such_segment",
				   "no segment with key 0x%08x in IPC namespace %u", r->key, ns);
			return -1;
		}
		r->shmid = id;
		r->has_ns = true;
		r->ns = ns;
		return 0;
	}
	nknown = shmw_ns_list(&known);
	for (size_t i = 0; i < nknown; i++)
		if (!shmid_of_key(known[i], r->key, &id)) {
			if (!nfound++) {
				found = id;
				found_ns = known[i];
			}
		}
	free(known);
	if (!nfound) {
		send_error(c, "no_such_segment", "no segment with key 0x%08x", r->key);
		return -1;
	}
	if (nfound > 1) {
		send_error(c, "ambiguous",
			   "key 0x%08x exists in %zu IPC namespaces; choose one with --ns", r->key,
			   nfound);
		return -1;
	}
	r->shmid = found;
	r->has_ns = true;
	r->ns = found_ns;
	return 0;
}

static void do_who(struct shmw_daemon *d, struct shmw_conn *c, const struct shmw_request *req)
{
	uint32_t *cands = NULL, *known = NULL, scope_ns;
	struct shmw_request rq = *req, *r = &rq;
	size_t ncands, nknown;
	struct shmw_kseg k;
	bool all;
	int ret;

	if (request_scope(c, r, &all, &scope_ns))
		return;
	if (r->has_key && who_key(c, r, all, scope_ns))
		return;
	if (!all) {
		r->has_ns = true;
		r->ns = scope_ns;
	}
	if (r->has_ns) {
		ret = shmw_segtable_find(r->ns, r->shmid, &k);
		if (ret && !shmw_state_seg(&d->state, r->ns, (uint32_t)r->shmid)) {
			send_error(c, "no_such_segment",
				   "no segment with shmid %d in IPC namespace %u", r->shmid, r->ns);
			return;
		}
		send_who(d, c, r, r->ns, ret ? NULL : &k);
		return;
	}
	/* Which namespaces have this shmid: the ones we see holders in, and the kernel tables
	 * of the namespaces we know a way into. */
	nknown = shmw_ns_list(&known);
	ncands = shmw_state_namespaces_of(&d->state, (uint32_t)r->shmid, NULL, 0);
	cands = malloc((ncands + nknown + 1) * sizeof(*cands));
	if (!cands || !known) {
		free(cands);
		free(known);
		send_error(c, "internal", "out of memory");
		return;
	}
	ncands = shmw_state_namespaces_of(&d->state, (uint32_t)r->shmid, cands, ncands);
	for (size_t i = 0; i < nknown; i++) {
		if (ns_listed(cands, ncands, known[i]))
			continue;
		if (shmw_segtable_find(known[i], r->shmid, &k) == 0)
			cands[ncands++] = known[i];
	}
	free(known);
	if (ncands == 0) {
		free(cands);
		send_error(c, "no_such_segment", "no segment with shmid %d", r->shmid);
		return;
	}
	if (ncands > 1) {
		json_object *o = json_object_new_object();
		json_object *arr = json_object_new_array();
		char msg[512];
		size_t off;

		off = (size_t)snprintf(msg, sizeof(msg),
				       "shmid %d exists in %zu IPC namespaces:", r->shmid, ncands);
		for (size_t i = 0; i < ncands; i++) {
			json_object_array_add(arr, json_object_new_uint64(cands[i]));
			if (off < sizeof(msg))
				off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s %u",
							i ? "," : "", cands[i]);
		}
		if (off < sizeof(msg))
			snprintf(msg + off, sizeof(msg) - off, "; choose one with --ns");
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "code", json_object_new_string("ambiguous"));
		json_object_object_add(o, "error", json_object_new_string(msg));
		json_object_object_add(o, "namespaces", arr);
		free(cands);
		send_json(c, o);
		return;
	}
	ret = shmw_segtable_find(cands[0], r->shmid, &k);
	send_who(d, c, r, cands[0], ret ? NULL : &k);
	free(cands);
}

/* One /proc/PID file for a process that holds nothing: not a scan. */
static bool proc_comm(uint32_t pid, char *comm, size_t len, uint32_t *uid)
{
	char path[64], buf[256];
	FILE *f;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "Name:\t", 6)) {
			snprintf(comm, len, "%.15s", buf + 6);
			comm[strcspn(comm, "\n")] = 0;
			ok = true;
		} else if (!strncmp(buf, "Uid:\t", 5)) {
			*uid = (uint32_t)strtoul(buf + 5, NULL, 10);
		} else if (!strncmp(buf, "Tgid:\t", 6) && strtoul(buf + 6, NULL, 10) != pid) {
			ok = false; /* a thread id, not a process */
			break;
		}
	}
	fclose(f);
	return ok;
}

/* Status comes from the kernel's table, one IPC_STAT per segment held. */
static void ps_status(json_object *o)
{
	struct shmw_kseg k;
	json_object *segs;

	segs = json_object_object_get(o, "segments");
	for (size_t i = 0; segs && i < json_object_array_length(segs); i++) {
		json_object *e = json_object_array_get_idx(segs, i);
		uint32_t ns = (uint32_t)json_object_get_uint64(json_object_object_get(e, "ns"));
		int32_t id = (int32_t)json_object_get_uint64(json_object_object_get(e, "shmid"));
		bool found = shmw_segtable_find(ns, id, &k) == 0;

		json_object_object_add(
		    e, "status",
		    json_object_new_string(found ? shmw_kseg_status(k.perms) : "gone"));
	}
}

/* ps -c NAME: every holder of that comm the client may see, one ps answer each. Processes that
 * hold nothing are not known by name (that would be a scan of /proc). */
static void do_ps_comm(struct shmw_daemon *d, struct shmw_conn *c, const struct shmw_request *r)
{
	size_t n = shmw_state_pids_of_comm(&d->state, r->comm, NULL, 0);
	uint32_t *pids = malloc((n ? n : 1) * sizeof(*pids));
	json_object *o, *arr;
	uint32_t hidden = 0;

	if (!pids) {
		send_error(c, "internal", "out of memory");
		return;
	}
	n = shmw_state_pids_of_comm(&d->state, r->comm, pids, n);
	o = json_object_new_object();
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct shmw_sharerst *sh;
		const struct shmw_mmst *m = shmw_state_mm_of_pid(&d->state, pids[i], &sh);
		json_object *p;

		if (!m)
			continue;
		if (!shmw_conn_privileged(c) && (sh ? sh->uid : m->uid) != shmw_conn_uid(c)) {
			hidden++;
			continue;
		}
		p = shmw_report_ps(&d->state, pids[i], "", 0);
		ps_status(p);
		json_object_object_del(p, "ok");
		json_object_array_add(arr, p);
	}
	free(pids);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "comm", shmw_json_string(r->comm));
	json_object_object_add(o, "processes", arr);
	if (!shmw_conn_privileged(c))
		json_object_object_add(o, "hidden_processes", json_object_new_uint64(hidden));
	send_json(c, o);
}

static void do_ps(struct shmw_daemon *d, struct shmw_conn *c, const struct shmw_request *r)
{
	const struct shmw_sharerst *sh;
	char comm[64] = "";
	json_object *o;
	uint32_t uid = 0;
	const struct shmw_mmst *m;

	if (r->comm[0]) {
		do_ps_comm(d, c, r);
		return;
	}
	m = shmw_state_mm_of_pid(&d->state, (uint32_t)r->pid, &sh);
	if (!m && !proc_comm((uint32_t)r->pid, comm, sizeof(comm), &uid)) {
		send_error(c, "no_such_process", "no process with pid %d", r->pid);
		return;
	}
	if (!shmw_conn_privileged(c) && (m ? (sh ? sh->uid : m->uid) : uid) != shmw_conn_uid(c)) {
		send_error(c, "forbidden", "pid %d runs as another user; ask as root", r->pid);
		return;
	}
	o = shmw_report_ps(&d->state, (uint32_t)r->pid, comm, uid);
	ps_status(o);
	send_json(c, o);
}

/* The caller's namespace first (ours when it has none), then by namespace and shmid. One
 * request is answered at a time, so a file-scope variable serves qsort. */
static uint32_t sort_first;

static int by_ns_shmid(const void *a, const void *b)
{
	const struct shmw_kseg *x = a, *y = b;
	uint32_t self = sort_first;

	if (x->ns != y->ns) {
		if (x->ns == self || y->ns == self)
			return x->ns == self ? -1 : 1;
		return x->ns < y->ns ? -1 : 1;
	}
	return x->shmid < y->shmid ? -1 : x->shmid > y->shmid;
}

/* ls --container: only segments held from that container, counting those holders. */
static void ls_in_container(struct shmw_daemon *d, json_object *o, const char *prefix)
{
	json_object *segs = json_object_object_get(o, "segments"), *kept = json_object_new_array();

	for (size_t i = 0; segs && i < json_object_array_length(segs); i++) {
		json_object *e = json_object_array_get_idx(segs, i);
		uint32_t ns = (uint32_t)json_object_get_uint64(json_object_object_get(e, "ns"));
		int32_t id = (int32_t)json_object_get_uint64(json_object_object_get(e, "shmid"));
		size_t n = shmw_report_ncontainer(&d->state, ns, id, prefix);

		if (!n)
			continue;
		json_object_object_add(e, "holders", json_object_new_uint64(n));
		json_object_array_add(kept, json_object_get(e));
	}
	json_object_object_add(o, "segments", kept);
}

/* ls --user: the segments whose owner is that user, by name or decimal uid. */
static bool owned_by(const struct shmw_kseg *k, const char *user)
{
	char *end;
	unsigned long uid;

	if (*user >= '0' && *user <= '9') {
		errno = 0;
		uid = strtoul(user, &end, 10);
		if (!*end && !errno)
			return uid == k->uid;
	}
	return !strcmp(shmw_user_name(k->uid), user);
}

/* ls: the creator's name where the lifecycle saw the shmget (lsipc's COMMAND column). */
static void ls_creators(struct shmw_daemon *d, json_object *o)
{
	json_object *segs = json_object_object_get(o, "segments");

	for (size_t i = 0; segs && i < json_object_array_length(segs); i++) {
		json_object *e = json_object_array_get_idx(segs, i);
		uint32_t ns = (uint32_t)json_object_get_uint64(json_object_object_get(e, "ns"));
		int32_t id = (int32_t)json_object_get_uint64(json_object_object_get(e, "shmid"));
		const struct shmw_lseg *l = shmw_life_find(&d->life, ns, id);
		char comm[SHMW_COMM_LEN + 1];

		if (!l || !l->creator_known || !l->creator.comm[0])
			continue;
		memcpy(comm, l->creator.comm, SHMW_COMM_LEN);
		comm[SHMW_COMM_LEN] = '\0';
		json_object_object_add(e, "creator_comm", shmw_json_string(comm));
	}
}

static void do_ls(struct shmw_daemon *d, struct shmw_conn *c, const struct shmw_request *req)
{
	json_object *o;
	uint32_t *nss, *used, scope_ns;
	struct shmw_request rq = *req, *r = &rq;
	struct shmw_kseg *all = NULL;
	size_t nns, nused = 0, nall = 0;
	bool every;

	if (request_scope(c, r, &every, &scope_ns))
		return;
	if (!every) {
		r->has_ns = true;
		r->ns = scope_ns;
	}
	nns = shmw_ns_list(&nss);
	used = malloc((nns + 1) * sizeof(*used));
	if (!nss || !used) {
		free(nss);
		free(used);
		send_error(c, "internal", "out of memory");
		return;
	}
	for (size_t i = 0; i < nns; i++) {
		struct shmw_kseg *v, *grown;
		size_t n;

		if (r->has_ns && nss[i] != r->ns)
			continue;
		if (shmw_segtable_read(nss[i], &v, &n))
			continue; /* nobody left in that namespace to enter it through */
		used[nused++] = nss[i];
		grown = realloc(all, (nall + n) * sizeof(*all) + 1);
		if (!grown) {
			free(v);
			free(all);
			free(nss);
			free(used);
			send_error(c, "internal", "out of memory");
			return;
		}
		all = grown;
		for (size_t j = 0; j < n; j++)
			if (!r->user[0] || owned_by(&v[j], r->user))
				all[nall++] = v[j];
		free(v);
	}
	/* Grouped by namespace, like ipcs within each. */
	sort_first = every ? caller_ns(c) : scope_ns;
	if (!sort_first)
		sort_first = shmw_ns_self();
	if (nall)
		qsort(all, nall, sizeof(*all), by_ns_shmid);
	o = shmw_report_ls(&d->state, all, nall, used, nused);
	free(all);
	free(nss);
	free(used);
	ls_creators(d, o);
	if (r->container[0])
		ls_in_container(d, o, r->container);
	send_json(c, o);
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static void do_status(struct shmw_daemon *d, struct shmw_conn *c)
{
	uint64_t st[SHMW_STAT_MAX] = {0};
	json_object *o = json_object_new_object();
	char started[40];

	shmw_bpf_stats(&d->bpf, st);
	shmw_fmt_rfc3339(started, sizeof(started), d->started_real);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "version", json_object_new_string(SHMW_VERSION));
	json_object_object_add(o, "pid", u64((uint64_t)getpid()));
	json_object_object_add(o, "mode", json_object_new_string(d->bpf.mode));
	json_object_object_add(o, "mode_reason", json_object_new_string(d->bpf.mode_reason));
	json_object_object_add(o, "started", json_object_new_string(started));
	json_object_object_add(o, "uptime_s",
			       u64((shmw_mono_ns() - d->started_mono) / SHMW_NS_PER_SEC));
	json_object_object_add(o, "events", u64(d->events));
	json_object_object_add(o, "events_logged", u64(d->pub.lines));
	json_object_object_add(o, "events_lost", u64(st[SHMW_STAT_LOST]));
	json_object_object_add(o, "map_full", u64(st[SHMW_STAT_MAP_FULL]));
	json_object_object_add(o, "mm_incomplete",
			       u64(st[SHMW_STAT_OVERFLOW] + st[SHMW_STAT_BUSY]));
	json_object_object_add(o, "seed_retries", u64(st[SHMW_STAT_SEED_RETRY]));
	json_object_object_add(o, "sharers_late", u64(st[SHMW_STAT_SHARERS_LATE]));
	json_object_object_add(o, "resyncs", u64(d->resyncs));
	json_object_object_add(o, "resync_passes", u64(d->resync_passes));
	json_object_object_add(o, "rescans", u64(d->rescans));
	json_object_object_add(o, "reconciles", u64(d->reconciles));
	/* One vocabulary with ls and the metrics (docs/protocol.md, "Counters"). */
	json_object_object_add(o, "attachments", u64(d->state.nholdings));
	json_object_object_add(o, "holder_processes", u64(shmw_state_nholders(&d->state)));
	json_object_object_add(o, "address_spaces", u64(shmw_state_nmms(&d->state)));
	json_object_object_add(o, "segments", u64(shmw_state_nsegs(&d->state)));
	json_object_object_add(o, "clients", u64(shmw_server_nclients(d->pub.server)));
	json_object_object_add(o, "clients_dropped", u64(shmw_server_dropped(d->pub.server)));
	{
		struct shmw_server_stats ss;

		shmw_server_stats(d->pub.server, &ss);
		json_object_object_add(o, "clients_refused", u64(ss.refused));
		json_object_object_add(o, "clients_timed_out", u64(ss.timed_out));
	}
	json_object_object_add(o, "log_file", json_object_new_string(d->opts.log_path));
	json_object_object_add(o, "log_errors", u64(shmw_eventlog_errors(d->pub.log)));
	json_object_object_add(o, "log_lines_cut", u64(shmw_eventlog_cuts(d->pub.log)));
	json_object_object_add(o, "log_compress_errors",
			       u64(shmw_eventlog_compress_errors(d->pub.log)));
	json_object_object_add(o, "socket", json_object_new_string(d->opts.socket_path));
	send_json(c, o);
}

static void do_events(struct shmw_daemon *d, struct shmw_conn *c, const struct shmw_request *r)
{
	static const char head[] = "{\"ok\":true,\"events\":[", tail[] = "]}\n";
	struct shmw_recent *rc = &d->pub.recent;
	bool all = shmw_conn_privileged(c);
	uint32_t uid = shmw_conn_uid(c), n = 0, first = rc->count;
	size_t len = sizeof(head) - 1 + sizeof(tail);
	char *out, *p;

	/* The last `last` lines this client may see, oldest first. */
	while (first > 0 && n < r->last) {
		first--;
		if (all || rc->audience[(rc->head + first) % rc->cap] == uid) {
			n++;
			len += strlen(rc->lines[(rc->head + first) % rc->cap]) + 1;
		}
	}
	/* The lines are JSON already: joined, not parsed again (a cheap answer to any `-n`). */
	out = malloc(len);
	if (!out) {
		send_error(c, "internal", "out of memory");
		return;
	}
	p = out + sizeof(head) - 1;
	memcpy(out, head, sizeof(head) - 1);
	for (uint32_t i = first, k = 0; i < rc->count; i++) {
		uint32_t at = (rc->head + i) % rc->cap;
		size_t l;

		if (!all && rc->audience[at] != uid)
			continue;
		if (k++)
			*p++ = ',';
		l = strlen(rc->lines[at]);
		memcpy(p, rc->lines[at], l);
		p += l;
	}
	memcpy(p, tail, sizeof(tail) - 1);
	p += sizeof(tail) - 1;
	shmw_conn_send(c, out, (size_t)(p - out));
	free(out);
	if (r->follow)
		shmw_conn_follow(c);
}

static int by_dest_since(const void *a, const void *b)
{
	const struct shmw_lseg *x = *(const struct shmw_lseg *const *)a;
	const struct shmw_lseg *y = *(const struct shmw_lseg *const *)b;

	return x->dest_since < y->dest_since ? -1 : x->dest_since > y->dest_since;
}

/* lingering (oldest first) or orphans. */
static void do_alerts(struct shmw_daemon *d, struct shmw_conn *c, bool lingering)
{
	size_t n = lingering ? shmw_life_lingering(&d->life, NULL, 0)
			     : shmw_life_orphans(&d->life, NULL, 0);
	const struct shmw_lseg **v = calloc(n ? n : 1, sizeof(*v));
	json_object *o, *arr;
	uint64_t now = shmw_now_real();

	if (!v) {
		send_error(c, "internal", "out of memory");
		return;
	}
	n = lingering ? shmw_life_lingering(&d->life, v, n) : shmw_life_orphans(&d->life, v, n);
	if (lingering)
		qsort(v, n, sizeof(*v), by_dest_since);
	o = json_object_new_object();
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *e = lingering ? shmw_alerts_linger_json(&d->state, v[i], now)
					   : shmw_alerts_orphan_json(v[i], now);

		filter_holders(c, e);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "segments", arr);
	free(v);
	send_json(c, o);
}

static void do_metrics(struct shmw_daemon *d, struct shmw_conn *c)
{
	char *text = shmw_daemon_metrics(d);
	json_object *o;

	if (!text) {
		send_error(c, "internal", "out of memory");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "text", json_object_new_string(text));
	free(text);
	send_json(c, o);
}

/* events with filters, history, who --at: queued for the history thread (history.h). */
static void do_on_disk(struct shmw_daemon *d, struct shmw_conn *c, const struct shmw_request *r)
{
	struct shmw_lq q;
	uint32_t scope_ns = 0;
	bool all = false;
	int e;

	if (!d->hist) {
		send_error(c, "unavailable",
			   "the event log is not a file (--log-file -): there is no past to read");
		return;
	}
	if (r->follow) {
		send_error(c, "bad_request",
			   "follow prints new events as they come: it takes no filters");
		return;
	}
	if (r->container[0]) {
		send_error(c, "bad_request", "container applies to live holders only, not with at");
		return;
	}
	/* who --at looks where the live who does: the caller's namespace, --ns, or every one
	 * (-A) with the old ambiguity answer. events and history filter by ns only when asked. */
	if (r->cmd == SHMW_CMD_WHO && request_scope(c, r, &all, &scope_ns))
		return;
	memset(&q, 0, sizeof(q));
	q.kind = r->cmd == SHMW_CMD_HISTORY ? SHMW_LQ_HISTORY
		 : r->cmd == SHMW_CMD_WHO   ? SHMW_LQ_WHO_AT
					    : SHMW_LQ_EVENTS;
	q.has_shmid = r->cmd != SHMW_CMD_EVENTS || r->has_shmid;
	q.shmid = (uint32_t)r->shmid;
	q.has_ns = r->cmd == SHMW_CMD_WHO ? !all : r->has_ns;
	q.ns = r->cmd == SHMW_CMD_WHO ? scope_ns : r->ns;
	q.has_key = r->has_key;
	q.key = r->key;
	q.has_pid = r->has_pid;
	q.pid = (uint32_t)r->pid;
	snprintf(q.event, sizeof(q.event), "%s", r->event);
	q.since = r->since;
	q.until = r->until;
	q.at = r->at;
	q.last = r->last;
	q.all = shmw_conn_privileged(c);
	q.uid = shmw_conn_uid(c);
	/* What was logged up to this request is on disk before the thread reads. */
	shmw_eventlog_flush(d->pub.log);
	e = shmw_history_submit(d->hist, c, &q);
	if (e == -EBUSY)
		send_error(c, "busy",
			   "%u questions about the past are being answered already; try again",
			   SHMW_HISTORY_QUEUE);
	else if (e < 0)
		send_error(c, "internal", "%s", strerror(-e));
}

void shmw_requests_handle(void *ctx, struct shmw_conn *c, const char *line, size_t len)
{
	struct shmw_daemon *d = ctx;
	struct shmw_request r;
	char err[256];

	/* Malformed requests count too: parsing them is work. */
	if (shmw_conn_rate_limited(c)) {
		send_error(c, "busy", "more than %u requests in a second; slow down",
			   SHMW_CONN_RATE);
		return;
	}
	if (shmw_request_parse(line, len, &r, err, sizeof(err))) {
		send_error(c, "bad_request", "%s", err);
		return;
	}
	if (r.cmd == SHMW_CMD_VERIFY && !shmw_conn_privileged(c)) {
		send_error(c, "forbidden",
			   "verify walks every process: root or the admin group only");
		return;
	}
	shmw_daemon_drain(d);
	if (shmw_request_on_disk(&r)) {
		do_on_disk(d, c, &r);
		return;
	}
	switch (r.cmd) {
	case SHMW_CMD_WHO:
		do_who(d, c, &r);
		break;
	case SHMW_CMD_PS:
		do_ps(d, c, &r);
		break;
	case SHMW_CMD_LS:
		do_ls(d, c, &r);
		break;
	case SHMW_CMD_STATUS:
		do_status(d, c);
		break;
	case SHMW_CMD_EVENTS:
		do_events(d, c, &r);
		break;
	case SHMW_CMD_LINGERING:
		do_alerts(d, c, true);
		break;
	case SHMW_CMD_ORPHANS:
		do_alerts(d, c, false);
		break;
	case SHMW_CMD_METRICS:
		do_metrics(d, c);
		break;
	case SHMW_CMD_VERIFY:
		send_json(c, shmw_daemon_verify(d));
		break;
	case SHMW_CMD_HISTORY:
		break; /* on disk, above */
	}
}
