// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON for events and answers (see report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jsonproto.h"
#include "procinfo.h"
#include "report.h"
#include "timefmt.h"

static const char *const event_names[] = {
    [SHMW_EV_ATTACH] = "attach",   [SHMW_EV_DETACH] = "detach",	    [SHMW_EV_VMAS] = "vmas",
    [SHMW_EV_RMID] = "rmid",	   [SHMW_EV_OWNER] = "owner",	    [SHMW_EV_SHARE] = "share",
    [SHMW_EV_UNSHARE] = "unshare", [SHMW_EV_OVERFLOW] = "overflow", [SHMW_EV_CREATE] = "create",
    [SHMW_EV_RESCAN] = "rescan",   [SHMW_EV_DESTROY] = "destroy",   [SHMW_EV_IDENT] = "ident",
};

static const char *const cause_names[] = {
    [SHMW_CAUSE_NONE] = "none",	    [SHMW_CAUSE_SHMAT] = "shmat",   [SHMW_CAUSE_SHMDT] = "shmdt",
    [SHMW_CAUSE_FORK] = "fork",	    [SHMW_CAUSE_EXEC] = "exec",	    [SHMW_CAUSE_EXIT] = "exit",
    [SHMW_CAUSE_MUNMAP] = "munmap", [SHMW_CAUSE_SPLIT] = "split",   [SHMW_CAUSE_SHMCTL] = "shmctl",
    [SHMW_CAUSE_SEED] = "seed",	    [SHMW_CAUSE_RESYNC] = "resync", [SHMW_CAUSE_MREMAP] = "mremap",
    [SHMW_CAUSE_SHMGET] = "shmget", [SHMW_CAUSE_SETUID] = "setuid", [SHMW_CAUSE_RENAME] = "rename",
};

const char *shmw_event_name(uint32_t type)
{
	if (type < sizeof(event_names) / sizeof(event_names[0]) && event_names[type])
		return event_names[type];
	return "unknown";
}

const char *shmw_cause_name(uint32_t cause)
{
	if (cause < sizeof(cause_names) / sizeof(cause_names[0]) && cause_names[cause])
		return cause_names[cause];
	return "unknown";
}

static json_object *time_json(uint64_t boot_ns)
{
	char buf[40];

	if (!boot_ns || shmw_fmt_rfc3339(buf, sizeof(buf), shmw_boot_to_real(boot_ns)))
		return NULL;
	return json_object_new_string(buf);
}

static json_object *mm_json(uint64_t mm)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)mm);
	return json_object_new_string(buf);
}

static void add(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* comm and user names are not ours: a process names itself (prctl PR_SET_NAME) with any
 * bytes, so they go through shmw_json_string to keep every line valid UTF-8. */
json_object *shmw_report_event(const struct shmw_event *ev)
{
	json_object *o = json_object_new_object();
	char comm[SHMW_COMM_LEN + 1];

	memcpy(comm, ev->comm, SHMW_COMM_LEN);
	comm[SHMW_COMM_LEN] = 0;
	add(o, "time", time_json(ev->ts));
	add(o, "event", json_object_new_string(shmw_event_name(ev->type)));
	add(o, "cause", json_object_new_string(shmw_cause_name(ev->cause)));
	if (ev->type == SHMW_EV_IDENT) {
		/* Who a process named for an address space (or sharing one) is now. */
		add(o, "pid", u64(ev->pid));
		add(o, "comm", shmw_json_string(comm));
		add(o, "uid", u64(ev->uid));
		add(o, "user", shmw_json_string(shmw_user_name(ev->uid)));
		add(o, "mm", mm_json(ev->mm));
		if (ev->flags & SHMW_EVF_SHARER)
			add(o, "sharer", json_object_new_boolean(1));
		return o;
	}
	add(o, "ns", u64(ev->ns));
	add(o, "shmid", u64(ev->shmid));
	if (ev->type != SHMW_EV_RMID) {
		add(o, "key", u64(ev->key));
		add(o, "size", u64(ev->size));
	}
	add(o, "pid", u64(ev->pid));
	add(o, "comm", shmw_json_string(comm));
	add(o, "uid", u64(ev->uid));
	add(o, "user", shmw_json_string(shmw_user_name(ev->uid)));
	if (ev->type != SHMW_EV_RMID) {
		add(o, "vmas", u64(ev->nvma));
		add(o, "mm", mm_json(ev->mm));
	}
	if (ev->actor && ev->actor != ev->pid)
		add(o, "actor", u64(ev->actor));
	return o;
}

void shmw_event_from_change(struct shmw_event *ev, enum shmw_change chg, const struct shmw_mmst *mm,
			    const struct shmw_mm_seg *seg, uint32_t sharer_tgid, uint32_t cause,
			    uint64_t ts_boot)
{
	static const uint32_t types[] = {
	    [SHMW_CHG_ATTACH] = SHMW_EV_ATTACH, [SHMW_CHG_DETACH] = SHMW_EV_DETACH,
	    [SHMW_CHG_VMAS] = SHMW_EV_VMAS,	[SHMW_CHG_OWNER] = SHMW_EV_OWNER,
	    [SHMW_CHG_SHARE] = SHMW_EV_SHARE,	[SHMW_CHG_UNSHARE] = SHMW_EV_UNSHARE,
	};

	memset(ev, 0, sizeof(*ev));
	ev->ts = ts_boot;
	ev->type = chg < sizeof(types) / sizeof(types[0]) ? types[chg] : 0;
	ev->cause = cause;
	ev->actor = sharer_tgid;
	if (mm) {
		ev->mm = mm->mm;
		ev->pid = mm->tgid;
		ev->uid = mm->uid;
		memcpy(ev->comm, mm->comm, SHMW_COMM_LEN);
	} else {
		ev->pid = sharer_tgid; /* a sharer of an mm we no longer hold: name the sharer */
	}
	if (seg) {
		ev->ns = seg->ns;
		ev->shmid = seg->shmid;
		ev->key = seg->key;
		ev->size = seg->size;
		ev->nvma = seg->nvma;
		ev->since = seg->since;
		ev->how = seg->how;
	}
}

/* Where a holder runs: read from /proc once per holder and kept with it (the pointer to
 * the cache is the only thing a report changes in the state). */
static void add_procx(json_object *h, uint32_t pid, struct shmw_procx *cache)
{
	const struct shmw_procx *x = shmw_procx_get(pid, cache);

	/* A cgroup path is named by whoever made the cgroup (delegated subtrees: any user) and
	 * may be cut inside a character at sizeof(cgroup). */
	json_object_object_add(h, "cgroup", shmw_json_string(x->cgroup));
	if (x->container[0])
		json_object_object_add(h, "container", json_object_new_string(x->container));
	if (x->nspid && x->nspid != pid)
		json_object_object_add(h, "nspid", json_object_new_uint64(x->nspid));
}

static json_object *holder_json(uint32_t pid, const char *comm, uint32_t uid, uint64_t since,
				uint32_t how, uint32_t nvma, uint64_t mm, const char *role,
				struct shmw_procx *cache)
{
	json_object *h = json_object_new_object();

	add(h, "pid", u64(pid));
	add(h, "comm", shmw_json_string(comm));
	add(h, "uid", u64(uid));
	add(h, "user", shmw_json_string(shmw_user_name(uid)));
	add(h, "since", time_json(since));
	add(h, "how", json_object_new_string(shmw_cause_name(how)));
	add(h, "vmas", u64(nvma));
	add(h, "mm", mm_json(mm));
	add(h, "role", json_object_new_string(role));
	add_procx(h, pid, cache);
	return h;
}

struct sharer_ctx {
	json_object *arr;
	const struct shmw_mm_seg *slot;
	uint32_t n;
};

static void add_sharer(void *p, const struct shmw_sharerst *sh)
{
	struct sharer_ctx *c = p;
	uint64_t since = sh->since > c->slot->since ? sh->since : c->slot->since;

	if (c->arr)
		json_object_array_add(c->arr, holder_json(sh->tgid, sh->comm, sh->uid, since,
							  c->slot->how, c->slot->nvma, sh->mm,
							  "sharer", (struct shmw_procx *)&sh->x));
	c->n++;
}

static void count_sharer(void *p, const struct shmw_sharerst *sh)
{
	(void)sh;
	((struct sharer_ctx *)p)->n++;
}

uint32_t shmw_report_nholders(const struct shmw_state *st, const struct shmw_seg *seg)
{
	struct sharer_ctx c = {0};

	if (!seg)
		return 0;
	for (uint32_t i = 0; i < seg->nmms; i++)
		shmw_state_sharers_of(st, seg->mms[i]->mm, count_sharer, &c);
	return seg->nmms + c.n;
}

static const char *status_of(const struct shmw_kseg *k)
{
	return k ? shmw_kseg_status(k->perms) : "gone";
}

static void perms_json(json_object *o, uint32_t perms)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%04o", perms & 0777);
	add(o, "perms", json_object_new_string(buf));
}

json_object *shmw_report_who(const struct shmw_state *st, uint32_t ns, int32_t shmid,
			     const struct shmw_kseg *k)
{
	const struct shmw_seg *seg = shmw_state_seg(st, ns, (uint32_t)shmid);
	json_object *o = json_object_new_object();
	json_object *holders = json_object_new_array();
	uint32_t key = seg ? seg->key : k ? k->key : 0;

	add(o, "ok", json_object_new_boolean(1));
	add(o, "shmid", u64((uint32_t)shmid));
	add(o, "ns", u64(ns));
	add(o, "key", u64(key));
	if (k && k->key != key)
		add(o, "key_now", u64(k->key));
	add(o, "size", u64(k ? k->size : seg ? seg->size : 0));
	add(o, "status", json_object_new_string(status_of(k)));
	add(o, "nattch", json_object_new_int64(k ? k->nattch : -1));
	if (k) {
		perms_json(o, k->perms);
		add(o, "uid", u64(k->uid));
		add(o, "cuid", u64(k->cuid));
		add(o, "cpid", u64((uint32_t)k->cpid));
		add(o, "lpid", u64((uint32_t)k->lpid));
	}
	for (uint32_t i = 0; seg && i < seg->nmms; i++) {
		const struct shmw_mmst *m = seg->mms[i];
		const struct shmw_mm_seg *slot = shmw_mm_seg_of(m, ns, (uint32_t)shmid);
		struct sharer_ctx c = {.arr = holders, .slot = slot};

		if (!slot)
			continue;
		json_object_array_add(holders, holder_json(m->tgid, m->comm, m->uid, slot->since,
							   slot->how, slot->nvma, m->mm, "owner",
							   (struct shmw_procx *)&m->x));
		shmw_state_sharers_of(st, m->mm, add_sharer, &c);
	}
	add(o, "holders", holders);
	return o;
}

json_object *shmw_report_ps(const struct shmw_state *st, uint32_t pid, const char *comm,
			    uint32_t uid)
{
	const struct shmw_sharerst *sh = NULL;
	const struct shmw_mmst *m = shmw_state_mm_of_pid(st, pid, &sh);
	json_object *o = json_object_new_object();
	json_object *segs = json_object_new_array();

	if (m) {
		comm = sh ? sh->comm : m->comm;
		uid = sh ? sh->uid : m->uid;
	}
	add(o, "ok", json_object_new_boolean(1));
	add(o, "pid", u64(pid));
	add(o, "comm", shmw_json_string(comm));
	add(o, "uid", u64(uid));
	add(o, "user", shmw_json_string(shmw_user_name(uid)));
	if (m) {
		add_procx(o, pid, sh ? (struct shmw_procx *)&sh->x : (struct shmw_procx *)&m->x);
	} else {
		struct shmw_procx x = {0};

		add_procx(o, pid, &x);
		shmw_procx_release(&x);
	}
	for (uint32_t i = 0; m && i < m->nsegs; i++) {
		const struct shmw_mm_seg *s = &m->segs[i];
		json_object *e = json_object_new_object();

		add(e, "shmid", u64(s->shmid));
		add(e, "ns", u64(s->ns));
		add(e, "key", u64(s->key));
		add(e, "size", u64(s->size));
		add(e, "since", time_json(sh && sh->since > s->since ? sh->since : s->since));
		add(e, "how", json_object_new_string(shmw_cause_name(s->how)));
		add(e, "vmas", u64(s->nvma));
		add(e, "mm", mm_json(m->mm));
		add(e, "role", json_object_new_string(sh ? "sharer" : "owner"));
		json_object_array_add(segs, e);
	}
	add(o, "segments", segs);
	return o;
}

static void ls_time(json_object *e, const char *key, int64_t sec)
{
	char buf[40];

	if (sec > 0 && !shmw_fmt_rfc3339(buf, sizeof(buf), (uint64_t)sec * SHMW_NS_PER_SEC))
		add(e, key, json_object_new_string(buf));
}

json_object *shmw_report_ls(const struct shmw_state *st, const struct shmw_kseg *segs, size_t n,
			    const uint32_t *nss, size_t nns)
{
	json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();
	json_object *ns_arr = json_object_new_array();

	add(o, "ok", json_object_new_boolean(1));
	for (size_t i = 0; i < nns; i++)
		json_object_array_add(ns_arr, u64(nss[i]));
	add(o, "namespaces", ns_arr);
	for (size_t i = 0; i < n; i++) {
		const struct shmw_kseg *k = &segs[i];
		const struct shmw_seg *seg = shmw_state_seg(st, k->ns, (uint32_t)k->shmid);
		json_object *e = json_object_new_object();
		uint32_t key = seg ? seg->key : k->key;

		add(e, "ns", u64(k->ns));
		add(e, "shmid", u64((uint32_t)k->shmid));
		add(e, "key", u64(key));
		if (k->key != key)
			add(e, "key_now", u64(k->key));
		add(e, "size", u64(k->size));
		perms_json(e, k->perms);
		add(e, "status", json_object_new_string(status_of(k)));
		add(e, "nattch", json_object_new_int64(k->nattch));
		add(e, "holders", u64(shmw_report_nholders(st, seg)));
		add(e, "uid", u64(k->uid));
		add(e, "user", shmw_json_string(shmw_user_name(k->uid)));
		add(e, "cuid", u64(k->cuid));
		add(e, "cuser", shmw_json_string(shmw_user_name(k->cuid)));
		add(e, "cpid", u64((uint32_t)k->cpid));
		add(e, "lpid", u64((uint32_t)k->lpid));
		/* The kernel's times (ipcs -t), whole seconds; left out while never set (0). */
		ls_time(e, "atime", k->atime);
		ls_time(e, "dtime", k->dtime);
		ls_time(e, "ctime", k->ctime);
		json_object_array_add(arr, e);
	}
	add(o, "segments", arr);
	return o;
}

/* ---- who, written directly (see report.h) ---- */

/* shmw_boot_to_real with the clocks read once per answer, not once per holder. */
struct clocks {
	uint64_t real, boot;
	/* The last time written (quoted) and its second: holders that attached in the same
	 * second (a pool starting up) need only the microseconds written again. */
	uint64_t sec;
	char text[30];
};

static void clocks_now(struct clocks *c)
{
	c->real = shmw_clock_ns(CLOCK_REALTIME);
	c->boot = shmw_clock_ns(CLOCK_BOOTTIME);
}

/* Quoted, or bare for text rows (where "unknown" is "-"). */
static void put_time(struct shmw_jbuf *b, struct clocks *c, uint64_t boot_ns, bool bare)
{
	uint64_t off = c->real - c->boot, real, sec;
	uint32_t usec;

	if (!boot_ns) {
		if (bare)
			shmw_jbuf_lit(b, "-");
		else
			shmw_jbuf_lit(b, "null");
		return;
	}
	real = c->real < c->boot ? 0 : boot_ns > UINT64_MAX - off ? UINT64_MAX : boot_ns + off;
	sec = real / SHMW_NS_PER_SEC;
	if (!c->text[0] || sec != c->sec) {
		shmw_fmt_time_quoted(c->text, real);
		c->sec = sec;
	} else {
		usec = (uint32_t)(real % SHMW_NS_PER_SEC / SHMW_NS_PER_US);
		for (int i = 26; i >= 21; i--, usec /= 10)
			c->text[i] = (char)('0' + usec % 10);
	}
	if (bare)
		shmw_jbuf_raw(b, c->text + 1, 27);
	else
		shmw_jbuf_raw(b, c->text, 29);
}

static void put_hex(struct shmw_jbuf *b, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[20];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = hex[v & 0xf];
		v >>= 4;
	} while (v);
	shmw_jbuf_lit(b, "\"0x");
	shmw_jbuf_raw(b, tmp + sizeof(tmp) - n, n);
	shmw_jbuf_lit(b, "\"");
}

/* The holders of a `who` answer asked with "rows" (docs/protocol.md). */
#define WHO_COLUMNS "[\"pid\",\"user\",\"comm\",\"since\",\"how\",\"vmas\"]"

struct who_out {
	struct shmw_jbuf *b;
	const struct shmw_who_filter *f;
	struct clocks clk;
	uint32_t shown, hidden;
	size_t plen;
	uint32_t last_uid; /* the user name of the last uid written, looked up once per run */
	const char *last_user;
};

/* One holder, if the filter lets it through. */
static void who_holder(struct who_out *w, uint32_t pid, const char *comm, uint32_t uid,
		       uint64_t since, const struct shmw_mm_seg *slot, uint64_t mm,
		       const char *role, struct shmw_procx *cache)
{
	struct shmw_jbuf *b = w->b;
	const struct shmw_procx *x = NULL;

	if (w->plen) {
		x = shmw_procx_get(pid, cache);
		if (!x->container[0] || strncmp(x->container, w->f->container, w->plen))
			return;
	}
	if (!w->f->all && uid != w->f->uid) {
		w->hidden++;
		return;
	}
	if (!w->last_user || uid != w->last_uid) {
		w->last_uid = uid;
		w->last_user = shmw_user_name(uid);
	}
	if (w->shown++ && !w->f->lines)
		shmw_jbuf_lit(b, ",");
	if (w->f->lines) {
		/* WHO_COLUMNS again, as one text line (docs/protocol.md). */
		shmw_jbuf_u64(b, pid);
		shmw_jbuf_lit(b, "\t");
		shmw_jbuf_tsv(b, w->last_user);
		shmw_jbuf_lit(b, "\t");
		shmw_jbuf_tsv(b, comm);
		shmw_jbuf_lit(b, "\t");
		put_time(b, &w->clk, since, true);
		shmw_jbuf_lit(b, "\t");
		shmw_jbuf_raw(b, shmw_cause_name(slot->how), strlen(shmw_cause_name(slot->how)));
		shmw_jbuf_lit(b, "\t");
		shmw_jbuf_u64(b, slot->nvma);
		shmw_jbuf_lit(b, "\n");
		if (w->f->flush && b->len >= (w->f->chunk ? w->f->chunk : SHMW_WHO_CHUNK) &&
		    !b->oom)
			w->f->flush(w->f->flush_arg, b);
		return;
	}
	if (w->f->rows) {
		/* WHO_COLUMNS: what the table shows, and no /proc read for it. */
		shmw_jbuf_lit(b, "[");
		shmw_jbuf_u64(b, pid);
		shmw_jbuf_lit(b, ",");
		shmw_jbuf_str(b, w->last_user);
		shmw_jbuf_lit(b, ",");
		shmw_jbuf_str(b, comm);
		shmw_jbuf_lit(b, ",");
		put_time(b, &w->clk, since, false);
		shmw_jbuf_lit(b, ",\"");
		shmw_jbuf_raw(b, shmw_cause_name(slot->how), strlen(shmw_cause_name(slot->how)));
		shmw_jbuf_lit(b, "\",");
		shmw_jbuf_u64(b, slot->nvma);
		shmw_jbuf_lit(b, "]");
		return;
	}
	if (!x)
		x = shmw_procx_get(pid, cache);
	shmw_jbuf_lit(b, "{\"pid\":");
	shmw_jbuf_u64(b, pid);
	shmw_jbuf_lit(b, ",\"comm\":");
	shmw_jbuf_str(b, comm);
	shmw_jbuf_lit(b, ",\"uid\":");
	shmw_jbuf_u64(b, uid);
	shmw_jbuf_lit(b, ",\"user\":");
	shmw_jbuf_str(b, w->last_user);
	shmw_jbuf_lit(b, ",\"since\":");
	put_time(b, &w->clk, since, false);
	shmw_jbuf_lit(b, ",\"how\":\"");
	shmw_jbuf_raw(b, shmw_cause_name(slot->how), strlen(shmw_cause_name(slot->how)));
	shmw_jbuf_lit(b, "\",\"vmas\":");
	shmw_jbuf_u64(b, slot->nvma);
	shmw_jbuf_lit(b, ",\"mm\":");
	put_hex(b, mm);
	shmw_jbuf_lit(b, ",\"role\":\"");
	shmw_jbuf_raw(b, role, strlen(role));
	shmw_jbuf_lit(b, "\",\"cgroup\":");
	shmw_jbuf_str(b, x->cgroup);
	if (x->container[0]) {
		shmw_jbuf_lit(b, ",\"container\":\"");
		shmw_jbuf_raw(b, x->container, strlen(x->container));
		shmw_jbuf_lit(b, "\"");
	}
	if (x->nspid && x->nspid != pid) {
		shmw_jbuf_lit(b, ",\"nspid\":");
		shmw_jbuf_u64(b, x->nspid);
	}
	shmw_jbuf_lit(b, "}");
}

#define PREFETCH_AHEAD 8

/* Every holder of seg in the order shmw_report_who lists them: each owner, then its
 * sharers. */
static void who_holders(struct who_out *w, const struct shmw_state *st, const struct shmw_seg *seg)
{
	for (uint32_t i = 0; seg && i < seg->nmms; i++) {
		struct shmw_mmst *m = seg->mms[i];
		const struct shmw_mm_seg *slot;
		struct shmw_sharerst *sh, *tmp;

		/* The mms lie all over the heap, and waiting for each in turn (its struct, then
		 * its slots) was most of the time of a long answer: ask for them ahead, the
		 * struct PREFETCH_AHEAD mms ahead, its slots (their address is in it) half as far.
		 */
		if (i + PREFETCH_AHEAD < seg->nmms) {
			__builtin_prefetch(seg->mms[i + PREFETCH_AHEAD]);
			__builtin_prefetch(&seg->mms[i + PREFETCH_AHEAD]->segs);
		}
		if (i + PREFETCH_AHEAD / 2 < seg->nmms)
			__builtin_prefetch(seg->mms[i + PREFETCH_AHEAD / 2]->segs);
		slot = shmw_mm_seg_of(m, seg->ns, seg->shmid);

		if (!slot)
			continue;
		who_holder(w, m->tgid, m->comm, m->uid, slot->since, slot, m->mm, "owner", &m->x);
		/* Sharers are few (vfork children until exec, CLONE_VM siblings). */
		HASH_ITER(hh, st->sharers, sh, tmp)
		{
			if (sh->mm != m->mm)
				continue;
			who_holder(w, sh->tgid, sh->comm, sh->uid,
				   sh->since > slot->since ? sh->since : slot->since, slot, sh->mm,
				   "sharer", &sh->x);
		}
	}
}

/* The rest of a "lines" answer: the rows after the answer line, their number after them. The
 * answer line goes first so that the client can read rows while the rest are written. */
static void who_lines(struct who_out *w, const struct shmw_state *st, const struct shmw_seg *seg)
{
	struct shmw_jbuf *b = w->b;

	shmw_jbuf_lit(b, ",\"columns\":" WHO_COLUMNS "}\n");
	who_holders(w, st, seg);
	shmw_jbuf_lit(b, "{\"lines\":");
	shmw_jbuf_u64(b, w->shown);
	if (!w->f->all) {
		shmw_jbuf_lit(b, ",\"hidden_holders\":");
		shmw_jbuf_u64(b, w->hidden);
	}
	shmw_jbuf_lit(b, "}\n");
}

void shmw_report_who_line(struct shmw_jbuf *b, const struct shmw_state *st, uint32_t ns,
			  int32_t shmid, const struct shmw_kseg *k, const struct shmw_who_filter *f)
{
	const struct shmw_seg *seg = shmw_state_seg(st, ns, (uint32_t)shmid);
	uint32_t key = seg ? seg->key : k ? k->key : 0;
	struct who_out w = {.b = b, .f = f};
	char perms[8];

	clocks_now(&w.clk);
	w.plen = f->container ? strlen(f->container) : 0;
	shmw_jbuf_lit(b, "{\"ok\":true,\"shmid\":");
	shmw_jbuf_u64(b, (uint32_t)shmid);
	shmw_jbuf_lit(b, ",\"ns\":");
	shmw_jbuf_u64(b, ns);
	shmw_jbuf_lit(b, ",\"key\":");
	shmw_jbuf_u64(b, key);
	if (k && k->key != key) {
		shmw_jbuf_lit(b, ",\"key_now\":");
		shmw_jbuf_u64(b, k->key);
	}
	shmw_jbuf_lit(b, ",\"size\":");
	shmw_jbuf_u64(b, k ? k->size : seg ? seg->size : 0);
	shmw_jbuf_lit(b, ",\"status\":\"");
	shmw_jbuf_raw(b, status_of(k), strlen(status_of(k)));
	shmw_jbuf_lit(b, "\",\"nattch\":");
	shmw_jbuf_i64(b, k ? k->nattch : -1);
	if (k) {
		snprintf(perms, sizeof(perms), "%04o", k->perms & 0777);
		shmw_jbuf_lit(b, ",\"perms\":\"");
		shmw_jbuf_raw(b, perms, strlen(perms));
		shmw_jbuf_lit(b, "\",\"uid\":");
		shmw_jbuf_u64(b, k->uid);
		shmw_jbuf_lit(b, ",\"cuid\":");
		shmw_jbuf_u64(b, k->cuid);
		shmw_jbuf_lit(b, ",\"cpid\":");
		shmw_jbuf_u64(b, (uint32_t)k->cpid);
		shmw_jbuf_lit(b, ",\"lpid\":");
		shmw_jbuf_u64(b, (uint32_t)k->lpid);
	}
	if (f->lines) {
		who_lines(&w, st, seg);
		return;
	}
	if (f->rows)
		shmw_jbuf_lit(b, ",\"columns\":" WHO_COLUMNS ",\"rows\":[");
	else
		shmw_jbuf_lit(b, ",\"holders\":[");
	who_holders(&w, st, seg);
	shmw_jbuf_lit(b, "]");
	if (!f->all) {
		shmw_jbuf_lit(b, ",\"hidden_holders\":");
		shmw_jbuf_u64(b, w.hidden);
	}
	shmw_jbuf_lit(b, "}\n");
}

size_t shmw_report_ncontainer(const struct shmw_state *st, uint32_t ns, int32_t shmid,
			      const char *prefix)
{
	struct shmw_who_filter f = {.all = true, .container = prefix};
	struct shmw_jbuf b = {0};
	struct who_out w = {.b = &b, .f = &f, .plen = strlen(prefix)};

	who_holders(&w, st, shmw_state_seg(st, ns, (uint32_t)shmid));
	shmw_jbuf_free(&b);
	return w.shown;
}
