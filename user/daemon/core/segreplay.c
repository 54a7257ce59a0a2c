// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Segments' state replayed from log lines, and its checkpoints (see segreplay.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "segreplay.h"

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

static void actor_of(json_object *o, uint64_t t, struct shmw_ractor *a)
{
	a->known = true;
	a->time = t;
	a->pid = (uint32_t)jnum(o, "pid");
	a->uid = (uint32_t)jnum(o, "uid");
	copy(a->comm, sizeof(a->comm), jstr(o, "comm"));
	copy(a->user, sizeof(a->user), jstr(o, "user"));
}

static void clear_holders(struct shmw_rseg *s)
{
	struct shmw_rholder *h, *tmp;

	HASH_ITER(hh, s->holders, h, tmp)
	{
		HASH_DEL(s->holders, h);
		free(h);
	}
}

struct shmw_rseg *shmw_rsegs_find(struct shmw_rsegs *segs, uint32_t ns, uint32_t shmid)
{
	uint64_t id = (uint64_t)ns << 32 | shmid;
	struct shmw_rseg *s;

	HASH_FIND(hh, segs->map, &id, sizeof(id), s);
	return s;
}

static struct shmw_rseg *seg_of(struct shmw_rsegs *segs, uint32_t ns, uint32_t shmid)
{
	struct shmw_rseg *s = shmw_rsegs_find(segs, ns, shmid);

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = (uint64_t)ns << 32 | shmid;
	s->ns = ns;
	s->shmid = shmid;
	HASH_ADD(hh, segs->map, id, sizeof(s->id), s);
	return s;
}

static void forget(struct shmw_rsegs *segs, struct shmw_rseg *s)
{
	clear_holders(s);
	HASH_DEL(segs->map, s);
	free(s);
}

/* Holders are address spaces (mm), as in the daemon. */
int shmw_rsegs_apply(struct shmw_rsegs *segs, const char *line, size_t len, uint64_t t)
{
	json_object *o;
	const char *ev, *mm;
	struct shmw_rseg *s;
	struct shmw_rholder *h = NULL;
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
	if (!ev || !json_object_object_get_ex(o, "shmid", NULL))
		goto out;
	s = seg_of(segs, (uint32_t)jnum(o, "ns"), (uint32_t)jnum(o, "shmid"));
	if (!s) {
		json_object_put(o);
		return -ENOMEM;
	}
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
		if (segs->forget_gone)
			forget(segs, s);
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

void shmw_rsegs_free(struct shmw_rsegs *segs)
{
	struct shmw_rseg *s, *tmp;

	HASH_ITER(hh, segs->map, s, tmp)
	{
		forget(segs, s);
	}
}

static void put_actor(struct shmw_jbuf *b, const struct shmw_ractor *a)
{
	if (!a->known) {
		shmw_jbuf_lit(b, "null");
		return;
	}
	shmw_jbuf_lit(b, "[");
	shmw_jbuf_u64(b, a->time);
	shmw_jbuf_lit(b, ",");
	shmw_jbuf_u64(b, a->pid);
	shmw_jbuf_lit(b, ",");
	shmw_jbuf_u64(b, a->uid);
	shmw_jbuf_lit(b, ",");
	shmw_jbuf_str(b, a->comm);
	shmw_jbuf_lit(b, ",");
	shmw_jbuf_str(b, a->user);
	shmw_jbuf_lit(b, "]");
}

static int by_id(const void *x, const void *y)
{
	const struct shmw_rseg *a = *(const struct shmw_rseg *const *)x;
	const struct shmw_rseg *b = *(const struct shmw_rseg *const *)y;
	uint64_t ka = (uint64_t)a->shmid << 32 | a->ns, kb = (uint64_t)b->shmid << 32 | b->ns;

	return ka < kb ? -1 : ka > kb;
}

void shmw_rsegs_write(const struct shmw_rsegs *segs, struct shmw_jbuf *b)
{
	size_t n = HASH_COUNT(segs->map), k = 0;
	struct shmw_rseg **v = calloc(n + 1, sizeof(*v)), *s, *tmp;

	if (!v) {
		b->oom = true;
		return;
	}
	HASH_ITER(hh, segs->map, s, tmp)
	{
		if (s->exists && !s->gone)
			v[k++] = s;
	}
	qsort(v, k, sizeof(*v), by_id);
	for (size_t i = 0; i < k; i++) {
		struct shmw_rholder *h, *htmp;
		bool first = true;

		s = v[i];
		shmw_jbuf_u64(b, s->shmid);
		shmw_jbuf_lit(b, " ");
		shmw_jbuf_u64(b, s->ns);
		shmw_jbuf_lit(b, " {\"dest\":");
		shmw_jbuf_u64(b, s->dest);
		shmw_jbuf_lit(b, ",\"key\":");
		shmw_jbuf_u64(b, s->key);
		shmw_jbuf_lit(b, ",\"size\":");
		shmw_jbuf_u64(b, s->size);
		shmw_jbuf_lit(b, ",\"generation\":");
		shmw_jbuf_i64(b, s->generation);
		shmw_jbuf_lit(b, ",\"created\":");
		put_actor(b, &s->created);
		shmw_jbuf_lit(b, ",\"removed\":");
		put_actor(b, &s->removed);
		shmw_jbuf_lit(b, ",\"holders\":[");
		HASH_ITER(hh, s->holders, h, htmp)
		{
			if (!first)
				shmw_jbuf_lit(b, ",");
			shmw_jbuf_lit(b, "[");
			first = false;
			shmw_jbuf_str(b, h->mm);
			shmw_jbuf_lit(b, ",");
			shmw_jbuf_u64(b, h->pid);
			shmw_jbuf_lit(b, ",");
			shmw_jbuf_u64(b, h->uid);
			shmw_jbuf_lit(b, ",");
			shmw_jbuf_u64(b, h->vmas);
			shmw_jbuf_lit(b, ",");
			shmw_jbuf_str(b, h->comm);
			shmw_jbuf_lit(b, ",");
			shmw_jbuf_str(b, h->user);
			shmw_jbuf_lit(b, ",");
			shmw_jbuf_u64(b, h->since);
			shmw_jbuf_lit(b, ",");
			shmw_jbuf_str(b, h->how);
			shmw_jbuf_lit(b, "]");
		}
		shmw_jbuf_lit(b, "]}\n");
	}
	free(v);
}

static const char *idx_str(json_object *a, size_t i)
{
	json_object *v = json_object_array_get_idx(a, i);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static uint64_t idx_num(json_object *a, size_t i)
{
	json_object *v = json_object_array_get_idx(a, i);

	return v ? json_object_get_uint64(v) : 0;
}

static void load_actor(json_object *a, struct shmw_ractor *r)
{
	memset(r, 0, sizeof(*r));
	if (!a || !json_object_is_type(a, json_type_array) || json_object_array_length(a) < 5)
		return;
	r->known = true;
	r->time = idx_num(a, 0);
	r->pid = (uint32_t)idx_num(a, 1);
	r->uid = (uint32_t)idx_num(a, 2);
	copy(r->comm, sizeof(r->comm), idx_str(a, 3));
	copy(r->user, sizeof(r->user), idx_str(a, 4));
}

int shmw_rsegs_load(struct shmw_rsegs *segs, const char *line, size_t len)
{
	unsigned long shmid, ns;
	const char *p = line, *end = line + len;
	char *e;
	json_object *o, *hs, *v;
	struct shmw_rseg *s;

	errno = 0;
	shmid = strtoul(p, &e, 10);
	if (e == p || *e != ' ' || shmid > UINT32_MAX)
		return -EINVAL;
	p = e + 1;
	ns = strtoul(p, &e, 10);
	if (e == p || *e != ' ' || ns > UINT32_MAX || e + 1 >= end)
		return -EINVAL;
	p = e + 1;
	{
		json_tokener *tok = json_tokener_new();

		if (!tok)
			return -ENOMEM;
		o = json_tokener_parse_ex(tok, p, (int)(end - p));
		json_tokener_free(tok);
	}
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EINVAL;
	}
	s = seg_of(segs, (uint32_t)ns, (uint32_t)shmid);
	if (!s) {
		json_object_put(o);
		return -ENOMEM;
	}
	clear_holders(s);
	s->exists = true;
	s->gone = false;
	s->dest = jnum(o, "dest") != 0;
	s->key = jnum(o, "key");
	s->size = jnum(o, "size");
	s->generation = (int64_t)jnum(o, "generation");
	load_actor(json_object_object_get_ex(o, "created", &v) ? v : NULL, &s->created);
	load_actor(json_object_object_get_ex(o, "removed", &v) ? v : NULL, &s->removed);
	if (json_object_object_get_ex(o, "holders", &hs) &&
	    json_object_is_type(hs, json_type_array))
		for (size_t i = 0; i < json_object_array_length(hs); i++) {
			json_object *a = json_object_array_get_idx(hs, i);
			struct shmw_rholder *h;

			if (!json_object_is_type(a, json_type_array) ||
			    json_object_array_length(a) < 8)
				continue;
			h = calloc(1, sizeof(*h));
			if (!h) {
				json_object_put(o);
				return -ENOMEM;
			}
			copy(h->mm, sizeof(h->mm), idx_str(a, 0));
			h->pid = (uint32_t)idx_num(a, 1);
			h->uid = (uint32_t)idx_num(a, 2);
			h->vmas = (uint32_t)idx_num(a, 3);
			copy(h->comm, sizeof(h->comm), idx_str(a, 4));
			copy(h->user, sizeof(h->user), idx_str(a, 5));
			h->since = idx_num(a, 6);
			copy(h->how, sizeof(h->how), idx_str(a, 7));
			HASH_ADD_STR(s->holders, mm, h);
		}
	json_object_put(o);
	return 0;
}
