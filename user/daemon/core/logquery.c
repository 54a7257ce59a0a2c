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
#include "segreplay.h"
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

struct run {
	const struct shmw_lq *q;
	struct shmw_lq_stats *st;
	struct kept kept;
	uint32_t nss[64];
	size_t nns;
	bool more_ns; /* more namespaces than nss holds (named as many) */
	struct shmw_rsegs segs;
	struct shmw_logtime_cache tc;
	int err;
	/* --key: the segments seen with that key, whose later lines match whatever key they
	 * carry (after IPC_RMID the kernel's key, and so a holder line's, is 0) */
	uint64_t *keyed;
	size_t nkeyed, capkeyed;
};

/* Whether the line is of a segment with the key asked: its own key, or a segment that had it
 * (until a create gives the shmid to another segment). */
static bool key_matches(struct run *r, const char *line, size_t len)
{
	uint64_t key = UINT64_MAX, shmid, ns = 0, id;
	char ev[16];
	bool has_key = shmw_logline_u64(line, len, "\"key\":", &key);
	size_t i;

	if (!shmw_logline_u64(line, len, "\"shmid\":", &shmid))
		return has_key && key == r->q->key;
	shmw_logline_u64(line, len, "\"ns\":", &ns);
	id = ns << 32 | shmid;
	for (i = 0; i < r->nkeyed && r->keyed[i] != id; i++)
		;
	if (has_key && key == r->q->key) {
		if (i == r->nkeyed) {
			if (r->nkeyed == r->capkeyed) {
				size_t cap = r->capkeyed ? r->capkeyed * 2 : 16;
				uint64_t *n = realloc(r->keyed, cap * sizeof(*n));

				if (!n)
					return true; /* this line still matches; later ones by key
							only */
				r->keyed = n;
				r->capkeyed = cap;
			}
			r->keyed[r->nkeyed++] = id;
		}
		return true;
	}
	if (i == r->nkeyed)
		return false;
	/* Another segment created under that shmid: no longer the one with the key. */
	if (shmw_logline_str(line, len, "\"event\":", ev, sizeof(ev)) && !strcmp(ev, "create")) {
		r->keyed[i] = r->keyed[--r->nkeyed];
		return false;
	}
	return true;
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
	if (q->has_key && !key_matches(r, line, len))
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
		return shmw_rsegs_apply(&r->segs, line, len, t);
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
	if (st->checkpoint)
		shmw_jbuf_lit(b, ",\"checkpoint\":true");
	shmw_jbuf_lit(b, "}}\n");
}

/* ,"PREFIXname": */
static void put_key(struct shmw_jbuf *b, const char *prefix, const char *name)
{
	char k[40];

	snprintf(k, sizeof(k), ",\"%s%s\":", prefix, name);
	shmw_jbuf_raw(b, k, strlen(k));
}

static void put_actor(struct shmw_jbuf *b, const char *prefix, const struct shmw_ractor *a)
{
	put_key(b, prefix, "time");
	shmw_jbuf_time(b, a->time);
	put_key(b, prefix, "pid");
	shmw_jbuf_u64(b, a->pid);
	put_key(b, prefix, "comm");
	shmw_jbuf_str(b, a->comm);
	put_key(b, prefix, "uid");
	shmw_jbuf_u64(b, a->uid);
	put_key(b, prefix, "user");
	shmw_jbuf_str(b, a->user);
}

static int by_pid(const void *a, const void *b)
{
	const struct shmw_rholder *x = *(const struct shmw_rholder *const *)a;
	const struct shmw_rholder *y = *(const struct shmw_rholder *const *)b;

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
	struct shmw_rseg *pick = NULL, *s;
	size_t nknown = 0, nexist = 0;
	struct shmw_rholder *h, *tmp, **v;
	char t[40], msg[256];
	uint32_t hidden = 0;
	size_t n = 0;

	for (s = r->segs.map; s; s = s->hh.next) {
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
	for (s = r->segs.map; s; s = s->hh.next)
		if (nknown == 1 || (nexist == 1 && s->exists))
			pick = s;
	if (!pick) {
		size_t off = (size_t)snprintf(msg, sizeof(msg),
					      "shmid %u was in %zu IPC namespaces at %s:", q->shmid,
					      nexist ? nexist : nknown, t);

		for (s = r->segs.map; s && off < sizeof(msg); s = s->hh.next)
			if (s->exists || !nexist)
				off += (size_t)snprintf(msg + off, sizeof(msg) - off, " %u", s->ns);
		if (off < sizeof(msg))
			snprintf(msg + off, sizeof(msg) - off, "; choose one with --ns");
		error_answer(b, "ambiguous", msg);
		shmw_jbuf_lit(b, ",\"namespaces\":[");
		n = 0;
		for (s = r->segs.map; s; s = s->hh.next)
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
	size_t first = 0;

	/* who --at: from the newest complete checkpoint before the time asked, if any, rather
	 * than from the oldest file (logset.h). */
	for (size_t i = ls->n; q->kind == SHMW_LQ_WHO_AT && i-- > 0;) {
		uint64_t tmax;
		bool complete;

		if (!shmw_logfile_checkpoint(&ls->f[i], &tmax, &complete) || !complete ||
		    tmax > q->at)
			continue;
		ret = shmw_logfile_checkpoint_load(&ls->f[i], q->shmid, !q->has_ns, q->ns, &r.segs);
		first = i + 1;
		r.st->checkpoint = true;
		break;
	}
	for (size_t i = first; i < ls->n && !ret; i++) {
		r.st->files++;
		ret = shmw_logfile_read(&ls->f[i], &sel, on_line, &r, &r.st->blocks);
	}
	/* A checkpoint holds the living segments only: one destroyed before it (status "gone"
	 * then) is looked for in the files before it (those after named none of its lines). */
	if (!ret && r.st->checkpoint && !r.segs.map) {
		r.st->checkpoint = false;
		for (size_t i = 0; i < first && !ret; i++) {
			r.st->files++;
			ret = shmw_logfile_read(&ls->f[i], &sel, on_line, &r, &r.st->blocks);
		}
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
	free(r.keyed);
	shmw_rsegs_free(&r.segs);
	return ret;
}
