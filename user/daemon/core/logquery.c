// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Queries over the event log on disk (see logquery.h). Lines are chosen by cheap field reads
 * (logset.h); only the few lines `who --at` replays are parsed as JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <uthash.h>

#include "logquery.h"
#include "timefmt.h"

uint32_t shmw_lq_audience(const char *line, size_t len)
{
	char ev[16];
	uint64_t uid;

	if (!shmw_logline_str(line, len, "\"event\":", ev, sizeof(ev)) || !strcmp(ev, "linger") ||
	    !strcmp(ev, "linger_end") || !strcmp(ev, "orphan"))
		return UINT32_MAX;
	if (!shmw_logline_u64(line, len, "\"uid\":", &uid) || uid >= UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)uid;
}

/* Any "pid": in the line equal to pid (a linger line names its holders'). */
static bool names_pid(const char *line, size_t len, uint32_t pid)
{
	static const char key[] = "\"pid\":";
	const char *p = line, *end = line + len;

	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		uint64_t v = 0;

		p += sizeof(key) - 1;
		if (p >= end || *p < '0' || *p > '9')
			continue;
		while (p < end && *p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p++ - '0');
		if (v == pid)
			return true;
	}
	return false;
}

/* ---- the newest lines that match, within a count and a byte budget ---- */

struct kept {
	char **lines;
	size_t *lens;
	uint32_t cap, head, n;
	size_t bytes;
	uint64_t matched, omitted;
};

static int keep_line(struct kept *k, const char *line, size_t len)
{
	char *c;

	k->matched++;
	if (!k->cap) {
		k->omitted++;
		return 0;
	}
	c = malloc(len);
	if (!c)
		return -ENOMEM;
	memcpy(c, line, len);
	if (k->n == k->cap) {
		k->bytes -= k->lens[k->head];
		free(k->lines[k->head]);
		k->lines[k->head] = c;
		k->lens[k->head] = len;
		k->head = (k->head + 1) % k->cap;
		k->omitted++;
	} else {
		uint32_t at = (k->head + k->n) % k->cap;

		k->lines[at] = c;
		k->lens[at] = len;
		k->n++;
	}
	k->bytes += len + 1;
	/* Oldest out first while over the byte budget. */
	while (k->n > 1 && k->bytes > SHMW_LQ_BYTES_MAX) {
		k->bytes -= k->lens[k->head] + 1;
		free(k->lines[k->head]);
		k->head = (k->head + 1) % k->cap;
		k->n--;
		k->omitted++;
	}
	return 0;
}

static void kept_free(struct kept *k)
{
	for (uint32_t i = 0; i < k->n; i++)
		free(k->lines[(k->head + i) % k->cap]);
	free(k->lines);
	free(k->lens);
}

/* ---- who --at: one segment's state, replayed ---- */

struct holder {
	char mm[24];
	uint32_t pid, uid, vmas;
	char comm[64], user[64], how[16];
	uint64_t since;
	UT_hash_handle hh;
};

struct actor {
	bool known;
	uint64_t time;
	uint32_t pid, uid;
	char comm[64], user[64];
};

struct segst {
	uint32_t ns;
	bool exists, dest, gone;
	uint64_t key, size;
	int64_t generation;
	struct actor created, removed;
	uint64_t destroyed;
	char destroy_cause[16];
	struct holder *holders;
	struct segst *next;
};

struct run {
	const struct shmw_lq *q;
	struct shmw_lq_stats *st;
	struct kept kept;
	uint32_t nss[64];
	size_t nns;
	bool more_ns; /* more namespaces than nss holds (named as many) */
	struct segst *segs;
	struct shmw_logtime_cache tc;
	int err;
};

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static uint64_t jnum(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_uint64(v) : 0;
}

static void copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

static void actor_of(json_object *o, uint64_t t, struct actor *a)
{
	a->known = true;
	a->time = t;
	a->pid = (uint32_t)jnum(o, "pid");
	a->uid = (uint32_t)jnum(o, "uid");
	copy(a->comm, sizeof(a->comm), jstr(o, "comm"));
	copy(a->user, sizeof(a->user), jstr(o, "user"));
}

static void clear_holders(struct segst *s)
{
	struct holder *h, *tmp;

	HASH_ITER(hh, s->holders, h, tmp)
	{
		HASH_DEL(s->holders, h);
		free(h);
	}
}

static struct segst *seg_of(struct run *r, uint32_t ns)
{
	struct segst *s;

	for (s = r->segs; s; s = s->next)
		if (s->ns == ns)
			return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ns = ns;
	s->next = r->segs;
	r->segs = s;
	return s;
}

/* One line of the segment, in order. Holders are address spaces (mm), as in the daemon. */
static int replay(struct run *r, const char *line, size_t len, uint64_t t)
{
	json_object *o;
	const char *ev, *mm;
	struct segst *s;
	struct holder *h = NULL;
	enum json_tokener_error jerr;

	{
		json_tokener *tok = json_tokener_new();

		if (!tok)
			return -ENOMEM;
		o = json_tokener_parse_ex(tok, line, (int)len);
		jerr = json_tokener_get_error(tok);
		json_tokener_free(tok);
	}
	if (!o || jerr != json_tokener_success || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return 0; /* not ours: skipped like any reader would */
	}
	ev = jstr(o, "event");
	s = seg_of(r, (uint32_t)jnum(o, "ns"));
	if (!s) {
		json_object_put(o);
		return -ENOMEM;
	}
	if (!ev)
		goto out;
	if (!strcmp(ev, "create")) {
		/* A new segment under this shmid: what came before was another one. */
		clear_holders(s);
		memset(&s->removed, 0, sizeof(s->removed));
		s->exists = true;
		s->dest = s->gone = false;
		s->destroyed = 0;
		s->destroy_cause[0] = 0;
		actor_of(o, t, &s->created);
		s->key = jnum(o, "key");
		s->size = jnum(o, "size");
		s->generation = (int64_t)jnum(o, "generation");
		goto out;
	}
	if (!strcmp(ev, "rmid")) {
		s->exists = true;
		s->dest = true;
		actor_of(o, t, &s->removed);
		goto out;
	}
	if (!strcmp(ev, "destroy")) {
		clear_holders(s);
		s->exists = false;
		s->gone = true;
		s->destroyed = t;
		copy(s->destroy_cause, sizeof(s->destroy_cause), jstr(o, "cause"));
		goto out;
	}
	mm = jstr(o, "mm");
	if (!mm)
		goto out; /* alerts: they change nothing */
	if (s->gone) {
		/* Holder lines after a destroy without a create in between: a segment the log
		 * has seen only through them (seed). */
		s->gone = false;
		s->destroyed = 0;
	}
	s->exists = true;
	if (!s->key)
		s->key = jnum(o, "key");
	if (!s->size)
		s->size = jnum(o, "size");
	HASH_FIND_STR(s->holders, mm, h);
	if (!strcmp(ev, "detach")) {
		if (h) {
			HASH_DEL(s->holders, h);
			free(h);
		}
		goto out;
	}
	if (!strcmp(ev, "share") || !strcmp(ev, "unshare"))
		goto out; /* sharers of an mm: not kept here (docs/design.md) */
	if (!h) {
		if (strcmp(ev, "attach"))
			goto out; /* vmas, owner, ident of an mm we never saw attach */
		h = calloc(1, sizeof(*h));
		if (!h) {
			json_object_put(o);
			return -ENOMEM;
		}
		copy(h->mm, sizeof(h->mm), mm);
		h->since = t;
		copy(h->how, sizeof(h->how), jstr(o, "cause"));
		HASH_ADD_STR(s->holders, mm, h);
	}
	if (!strcmp(ev, "attach") || !strcmp(ev, "vmas"))
		h->vmas = (uint32_t)jnum(o, "vmas");
	if (!strcmp(ev, "ident")) {
		json_object *sh;

		if (json_object_object_get_ex(o, "sharer", &sh) && json_object_get_boolean(sh))
			goto out;
	}
	h->pid = (uint32_t)jnum(o, "pid");
	h->uid = (uint32_t)jnum(o, "uid");
	copy(h->comm, sizeof(h->comm), jstr(o, "comm"));
	copy(h->user, sizeof(h->user), jstr(o, "user"));
out:
	json_object_put(o);
	return 0;
}

static void note_ns(struct run *r, uint32_t ns)
{
	for (size_t i = 0; i < r->nns; i++)
		if (r->nss[i] == ns)
			return;
	if (r->nns < sizeof(r->nss) / sizeof(r->nss[0]))
		r->nss[r->nns++] = ns;
	else
		r->more_ns = true;
}

static int on_line(void *arg, const char *line, size_t len)
{
	struct run *r = arg;
	const struct shmw_lq *q = r->q;
	uint64_t v, t = 0;
	bool timed;
	char ev[16];

	if (q->cancel && *q->cancel)
		return -ECANCELED;
	r->st->lines++;
	if (q->has_shmid && (!shmw_logline_u64(line, len, "\"shmid\":", &v) || v != q->shmid))
		return 0;
	if (q->has_ns && (!shmw_logline_u64(line, len, "\"ns\":", &v) || v != q->ns))
		return 0;
	if (q->has_key && (!shmw_logline_u64(line, len, "\"key\":", &v) || v != q->key))
		return 0;
	if (q->event[0] &&
	    (!shmw_logline_str(line, len, "\"event\":", ev, sizeof(ev)) || strcmp(ev, q->event)))
		return 0;
	if (q->has_pid && !names_pid(line, len, q->pid))
		return 0;
	timed = shmw_logline_time(line, len, &t, &r->tc);
	if (q->kind == SHMW_LQ_WHO_AT) {
		/* Who held it then: every line of the segment up to then, whoever may see it (the
		 * holders are filtered afterwards, as the live `who` does). */
		if (timed && t > q->at)
			return 0;
		return replay(r, line, len, t);
	}
	if (q->since && (!timed || t < q->since))
		return 0;
	if (q->until && (!timed || t > q->until))
		return 0;
	if (!q->all && shmw_lq_audience(line, len) != q->uid)
		return 0;
	if (q->kind == SHMW_LQ_HISTORY && shmw_logline_u64(line, len, "\"ns\":", &v))
		note_ns(r, (uint32_t)v);
	return keep_line(&r->kept, line, len);
}

static void put_lines(struct shmw_jbuf *b, const struct kept *k)
{
	shmw_jbuf_lit(b, "\"events\":[");
	for (uint32_t i = 0; i < k->n; i++) {
		uint32_t at = (k->head + i) % k->cap;

		if (i)
			shmw_jbuf_lit(b, ",");
		shmw_jbuf_raw(b, k->lines[at], k->lens[at]);
	}
	shmw_jbuf_lit(b, "],\"matched\":");
	shmw_jbuf_u64(b, k->matched);
	shmw_jbuf_lit(b, ",\"omitted\":");
	shmw_jbuf_u64(b, k->omitted);
}

static void put_stats(struct shmw_jbuf *b, const struct shmw_lq_stats *st)
{
	shmw_jbuf_lit(b, ",\"read\":{\"files\":");
	shmw_jbuf_u64(b, st->files);
	shmw_jbuf_lit(b, ",\"blocks\":");
	shmw_jbuf_u64(b, st->blocks);
	shmw_jbuf_lit(b, ",\"lines\":");
	shmw_jbuf_u64(b, st->lines);
	shmw_jbuf_lit(b, "}}\n");
}

static void put_actor(struct shmw_jbuf *b, const char *prefix, const struct actor *a)
{
	char k[40];

	snprintf(k, sizeof(k), ",\"%stime\":", prefix);
	shmw_jbuf_raw(b, k, strlen(k));
	shmw_jbuf_time(b, a->time);
	snprintf(k, sizeof(k), ",\"%spid\":", prefix);
	shmw_jbuf_raw(b, k, strlen(k));
	shmw_jbuf_u64(b, a->pid);
	snprintf(k, sizeof(k), ",\"%scomm\":", prefix);
	shmw_jbuf_raw(b, k, strlen(k));
	shmw_jbuf_str(b, a->comm);
	snprintf(k, sizeof(k), ",\"%suid\":", prefix);
	shmw_jbuf_raw(b, k, strlen(k));
	shmw_jbuf_u64(b, a->uid);
	snprintf(k, sizeof(k), ",\"%suser\":", prefix);
	shmw_jbuf_raw(b, k, strlen(k));
	shmw_jbuf_str(b, a->user);
}

static int by_pid(const void *a, const void *b)
{
	const struct holder *x = *(const struct holder *const *)a;
	const struct holder *y = *(const struct holder *const *)b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void error_answer(struct shmw_jbuf *b, const char *code, const char *msg)
{
	shmw_jbuf_lit(b, "{\"ok\":false,\"code\":");
	shmw_jbuf_str(b, code);
	shmw_jbuf_lit(b, ",\"error\":");
	shmw_jbuf_str(b, msg);
}

static int who_at_answer(struct run *r, struct shmw_jbuf *b)
{
	const struct shmw_lq *q = r->q;
	struct segst *pick = NULL, *s;
	size_t nknown = 0, nexist = 0;
	struct holder *h, *tmp, **v;
	char t[40], msg[256];
	uint32_t hidden = 0;
	size_t n = 0;

	for (s = r->segs; s; s = s->next) {
		nknown++;
		if (s->exists)
			nexist++;
	}
	shmw_fmt_rfc3339(t, sizeof(t), q->at);
	if (!nknown) {
		snprintf(msg, sizeof(msg), "the event log has no line about shmid %u%s up to %s",
			 q->shmid, q->has_ns ? " in that IPC namespace" : "", t);
		error_answer(b, "no_such_segment", msg);
		shmw_jbuf_lit(b, "}\n");
		return 0;
	}
	for (s = r->segs; s; s = s->next)
		if (nknown == 1 || (nexist == 1 && s->exists))
			pick = s;
	if (!pick) {
		size_t off = (size_t)snprintf(msg, sizeof(msg),
					      "shmid %u was in %zu IPC namespaces at %s:", q->shmid,
					      nexist ? nexist : nknown, t);

		for (s = r->segs; s && off < sizeof(msg); s = s->next)
			if (s->exists || !nexist)
				off += (size_t)snprintf(msg + off, sizeof(msg) - off, " %u", s->ns);
		if (off < sizeof(msg))
			snprintf(msg + off, sizeof(msg) - off, "; choose one with --ns");
		error_answer(b, "ambiguous", msg);
		shmw_jbuf_lit(b, ",\"namespaces\":[");
		n = 0;
		for (s = r->segs; s; s = s->next)
			if (s->exists || !nexist) {
				if (n++)
					shmw_jbuf_lit(b, ",");
				shmw_jbuf_u64(b, s->ns);
			}
		shmw_jbuf_lit(b, "]}\n");
		return 0;
	}
	s = pick;
	shmw_jbuf_lit(b, "{\"ok\":true,\"at\":");
	shmw_jbuf_time(b, q->at);
	shmw_jbuf_lit(b, ",\"ns\":");
	shmw_jbuf_u64(b, s->ns);
	shmw_jbuf_lit(b, ",\"shmid\":");
	shmw_jbuf_u64(b, q->shmid);
	shmw_jbuf_lit(b, ",\"key\":");
	shmw_jbuf_u64(b, s->key);
	shmw_jbuf_lit(b, ",\"size\":");
	shmw_jbuf_u64(b, s->size);
	shmw_jbuf_lit(b, ",\"status\":");
	shmw_jbuf_str(b, s->gone ? "gone" : s->dest ? "dest" : "ok");
	if (s->created.known) {
		shmw_jbuf_lit(b, ",\"generation\":");
		shmw_jbuf_i64(b, s->generation);
		put_actor(b, "created_", &s->created);
	}
	if (s->removed.known && (q->all || s->removed.uid == q->uid))
		put_actor(b, "rmid_", &s->removed);
	if (s->gone) {
		shmw_jbuf_lit(b, ",\"destroyed\":");
		shmw_jbuf_time(b, s->destroyed);
		shmw_jbuf_lit(b, ",\"destroy_cause\":");
		shmw_jbuf_str(b, s->destroy_cause);
	}
	v = calloc(HASH_COUNT(s->holders) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	HASH_ITER(hh, s->holders, h, tmp)
	{
		if (q->all || h->uid == q->uid)
			v[n++] = h;
		else
			hidden++;
	}
	qsort(v, n, sizeof(*v), by_pid);
	shmw_jbuf_lit(b, ",\"holders\":[");
	for (size_t i = 0; i < n; i++) {
		h = v[i];
		if (i)
			shmw_jbuf_lit(b, ",");
		shmw_jbuf_lit(b, "{\"pid\":");
		shmw_jbuf_u64(b, h->pid);
		shmw_jbuf_lit(b, ",\"comm\":");
		shmw_jbuf_str(b, h->comm);
		shmw_jbuf_lit(b, ",\"uid\":");
		shmw_jbuf_u64(b, h->uid);
		shmw_jbuf_lit(b, ",\"user\":");
		shmw_jbuf_str(b, h->user);
		shmw_jbuf_lit(b, ",\"vmas\":");
		shmw_jbuf_u64(b, h->vmas);
		shmw_jbuf_lit(b, ",\"since\":");
		shmw_jbuf_time(b, h->since);
		shmw_jbuf_lit(b, ",\"how\":");
		shmw_jbuf_str(b, h->how);
		shmw_jbuf_lit(b, ",\"mm\":");
		shmw_jbuf_str(b, h->mm);
		shmw_jbuf_lit(b, "}");
	}
	free(v);
	shmw_jbuf_lit(b, "],\"hidden_holders\":");
	shmw_jbuf_u64(b, hidden);
	put_stats(b, r->st);
	return 0;
}

int shmw_lq_run(const struct shmw_logset *ls, const struct shmw_lq *q, struct shmw_jbuf *out,
		struct shmw_lq_stats *st)
{
	struct shmw_lq_stats local = {0};
	struct run r = {.q = q, .st = st ? st : &local};
	struct shmw_logsel sel = {
	    .by_seg = q->has_shmid,
	    .any_ns = !q->has_ns,
	    .ns = q->ns,
	    .shmid = q->shmid,
	    .tmin = q->kind == SHMW_LQ_WHO_AT ? 0 : q->since,
	    .tmax = q->kind == SHMW_LQ_WHO_AT ? q->at
		    : q->until		      ? q->until
					      : UINT64_MAX,
	};
	int ret = 0;

	memset(r.st, 0, sizeof(*r.st));
	if (q->kind != SHMW_LQ_WHO_AT && q->last) {
		r.kept.cap = q->last;
		r.kept.lines = calloc(q->last, sizeof(char *));
		r.kept.lens = calloc(q->last, sizeof(size_t));
		if (!r.kept.lines || !r.kept.lens) {
			kept_free(&r.kept);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < ls->n && !ret; i++) {
		r.st->files++;
		ret = shmw_logfile_read(&ls->f[i], &sel, on_line, &r, &r.st->blocks);
	}
	if (!ret) {
		switch (q->kind) {
		case SHMW_LQ_EVENTS:
			shmw_jbuf_lit(out, "{\"ok\":true,");
			put_lines(out, &r.kept);
			put_stats(out, r.st);
			break;
		case SHMW_LQ_HISTORY:
			if (!r.kept.matched) {
				char msg[160];

				snprintf(msg, sizeof(msg),
					 "the event log has no line about shmid %u%s that you may "
					 "see",
					 q->shmid, q->has_ns ? " in that IPC namespace" : "");
				error_answer(out, "no_such_segment", msg);
				shmw_jbuf_lit(out, "}\n");
				break;
			}
			shmw_jbuf_lit(out, "{\"ok\":true,\"shmid\":");
			shmw_jbuf_u64(out, q->shmid);
			shmw_jbuf_lit(out, ",\"namespaces\":[");
			for (size_t i = 0; i < r.nns; i++) {
				if (i)
					shmw_jbuf_lit(out, ",");
				shmw_jbuf_u64(out, r.nss[i]);
			}
			shmw_jbuf_lit(out, "],");
			put_lines(out, &r.kept);
			put_stats(out, r.st);
			break;
		case SHMW_LQ_WHO_AT:
			ret = who_at_answer(&r, out);
			break;
		}
		if (out->oom)
			ret = -ENOMEM;
	}
	kept_free(&r.kept);
	while (r.segs) {
		struct segst *s = r.segs;

		r.segs = s->next;
		clear_holders(s);
		free(s);
	}
	return ret;
}
