// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Start-up walk, per-process walks and map snapshots (see seed.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "seed.h"

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
	void *np;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

void shmw_snapshot_free(struct shmw_snapshot *s)
{
	free(s->keys);
	free(s->recs);
	free(s->slots);
	free(s->sharer_tgids);
	free(s->sharers);
	memset(s, 0, sizeof(*s));
}

/* Size and key of each segment in the segs map, sorted by (ns, shmid): a slot names only its
 * segment. */
struct seg_tab {
	struct seg_row {
		struct shmw_seg_key k;
		struct shmw_seg_val v;
	} * rows;
	size_t n;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct shmw_seg_key *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return x->shmid < y->shmid ? -1 : x->shmid > y->shmid;
}

static int seg_tab_read(int fd, struct seg_tab *t)
{
	struct shmw_seg_key key, next;
	size_t cap = 0;
	void *prev;

	memset(t, 0, sizeof(*t));
	for (prev = NULL; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &key) {
		key = next;
		if (grow((void **)&t->rows, &cap, t->n, sizeof(*t->rows)))
			return -ENOMEM;
		t->rows[t->n].k = key;
		if (bpf_map_lookup_elem(fd, &key, &t->rows[t->n].v) == 0)
			t->n++;
	}
	if (t->n)
		qsort(t->rows, t->n, sizeof(*t->rows), seg_cmp);
	return 0;
}

/* Gives slot g its segment's size and key: from t, else from the map (attached after t was
 * read); 0 when the segment is gone from both (its last holder left while we read: the
 * detach event that follows corrects the state). */
static void seg_fill(const struct seg_tab *t, int fd, struct shmw_mm_seg *g)
{
	struct shmw_seg_key k = {.ns = g->ns, .shmid = g->shmid};
	const struct seg_row *r = t ? bsearch(&k, t->rows, t->n, sizeof(*t->rows), seg_cmp) : NULL;
	struct shmw_seg_val v;

	if (!r && bpf_map_lookup_elem(fd, &k, &v) == 0) {
		g->size = v.size;
		g->key = v.key;
	} else if (r) {
		g->size = r->v.size;
		g->key = r->v.key;
	}
}

static void slot_to_seg(struct shmw_mm_seg *g, const struct shmw_mm_slot *s)
{
	g->since = s->since;
	g->ns = s->ns;
	g->shmid = s->shmid;
	g->nvma = s->nvma;
	g->how = s->how;
}

/* out = the mms record rec of mm, with its mms_big slots and the segments' sizes and keys. */
static void rec_fill(struct shmw_bpf *b, const struct seg_tab *t, uint64_t mm,
		     const struct shmw_mm *rec, struct shmw_mm_rec *out)
{
	struct shmw_mm_big big;
	int sfd = shmw_bpf_segs_fd(b);

	memset(out, 0, sizeof(*out));
	out->version = rec->version;
	out->born = rec->born;
	out->flags = rec->flags;
	out->tgid = rec->tgid;
	out->uid = rec->uid;
	memcpy(out->comm, rec->comm, SHMW_COMM_LEN);
	for (int i = 0; i < SHMW_MM_INLINE; i++)
		slot_to_seg(&out->segs[i], &rec->segs[i]);
	/* Gone meanwhile: so is the record, which a later event or snapshot says. */
	if ((rec->flags & SHMW_MM_BIG) &&
	    bpf_map_lookup_elem(shmw_bpf_mms_big_fd(b), &mm, &big) == 0)
		for (int i = 0; i < SHMW_MM_SEGS - SHMW_MM_INLINE; i++)
			slot_to_seg(&out->segs[SHMW_MM_INLINE + i], &big.segs[i]);
	for (int i = 0; i < SHMW_MM_SEGS; i++)
		if (out->segs[i].nvma)
			seg_fill(t, sfd, &out->segs[i]);
}

int shmw_mm_read(struct shmw_bpf *b, uint64_t mm, struct shmw_mm_rec *out)
{
	struct shmw_mm rec;

	if (bpf_map_lookup_elem(shmw_bpf_mms_fd(b), &mm, &rec))
		return -errno;
	rec_fill(b, NULL, mm, &rec, out);
	return 0;
}

/* The mms map read in batches: one syscall per MM_BATCH records instead of two per record (a
 * tenth of the start-up's map reading at 3000 holders). Kernels or maps that refuse batches are
 * read key by key. */
#define MM_BATCH 256

struct mm_batch {
	int fd;
	bool by_key;   /* the batch call failed (not ENOENT): key by key from here */
	bool done;     /* the last batch came */
	bool started;  /* token is valid */
	__u64 token;   /* the kernel's position (a bucket index for hash maps) */
	uint32_t n, i; /* records in the buffer, next one to hand out */
	uint64_t *keys;
	struct shmw_mm *vals;
	uint64_t prev; /* key by key: the last key handed out */
	bool have_prev;
};

static int mm_batch_open(struct mm_batch *mb, int fd)
{
	memset(mb, 0, sizeof(*mb));
	mb->fd = fd;
	mb->keys = malloc(MM_BATCH * sizeof(*mb->keys));
	mb->vals = malloc(MM_BATCH * sizeof(*mb->vals));
	return mb->keys && mb->vals ? 0 : -ENOMEM;
}

static void mm_batch_close(struct mm_batch *mb)
{
	free(mb->keys);
	free(mb->vals);
	mb->keys = NULL;
	mb->vals = NULL;
}

/* Next record: 1 (key and rec filled), 0 at the end. */
static int mm_batch_next(struct mm_batch *mb, uint64_t *key, struct shmw_mm *rec)
{
	while (!mb->by_key && mb->i == mb->n) {
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = MM_BATCH;
		__u64 out = 0;
		int r;

		if (mb->done)
			return 0;
		r = bpf_map_lookup_batch(mb->fd, mb->started ? &mb->token : NULL, &out, mb->keys,
					 mb->vals, &count, &opts);
		if (r && errno != ENOENT) {
			if (mb->started) /* part read: key by key would hand out some twice */
				return -errno;
			mb->by_key = true;
			break;
		}
		mb->done = r != 0; /* ENOENT: this batch is the last */
		mb->token = out;
		mb->started = true;
		mb->n = count;
		mb->i = 0;
	}
	if (!mb->by_key) {
		*key = mb->keys[mb->i];
		*rec = mb->vals[mb->i++];
		return 1;
	}
	for (;;) {
		uint64_t next;

		if (bpf_map_get_next_key(mb->fd, mb->have_prev ? &mb->prev : NULL, &next))
			return 0;
		mb->prev = next;
		mb->have_prev = true;
		/* The entry may vanish between next_key and lookup (exit_mmap): skip it. */
		if (bpf_map_lookup_elem(mb->fd, &next, rec) == 0) {
			*key = next;
			return 1;
		}
	}
}

int shmw_snapshot_take(struct shmw_bpf *b, struct shmw_snapshot *s)
{
	int mfd = shmw_bpf_mms_fd(b), sfd = shmw_bpf_sharers_fd(b);
	size_t kcap = 0, rcap = 0, tcap = 0, scap = 0, slcap = 0, nslots = 0;
	struct shmw_mm_rec *full = malloc(sizeof(*full)); /* one whole record at a time */
	struct mm_batch batch = {0};
	struct seg_tab segs = {0};
	struct shmw_mm rec;
	uint64_t key = 0;
	uint32_t tkey, tnext;
	void *prev;
	int ret, err = -ENOMEM;

	memset(s, 0, sizeof(*s));
	if (!full)
		return -ENOMEM;
	s->version = shmw_bpf_version(b);
	if (seg_tab_read(shmw_bpf_segs_fd(b), &segs))
		goto nomem;
	if (mm_batch_open(&batch, mfd))
		goto nomem;
	while ((ret = mm_batch_next(&batch, &key, &rec)) > 0) {
		struct shmw_snap_mm *r;

		if (grow((void **)&s->keys, &kcap, s->n, sizeof(*s->keys)) ||
		    grow((void **)&s->recs, &rcap, s->n, sizeof(*s->recs)))
			goto nomem;
		rec_fill(b, &segs, key, &rec, full);
		r = &s->recs[s->n];
		shmw_snap_mm_of(r, full);
		r->nsegs = 0;
		for (int j = 0; j < SHMW_MM_SEGS; j++) {
			if (!full->segs[j].nvma)
				continue;
			if (grow((void **)&s->slots, &slcap, nslots, sizeof(*s->slots)))
				goto nomem;
			s->slots[nslots++] = full->segs[j];
			r->nsegs++;
		}
		s->keys[s->n] = key;
		if (!(r->flags & SHMW_MM_SEEDED))
			s->unseeded++;
		s->n++;
	}
	if (ret < 0) {
		err = ret;
		goto nomem;
	}
	mm_batch_close(&batch);
	/* Pointers only now: slots moved while it grew. */
	nslots = 0;
	for (size_t i = 0; i < s->n; i++) {
		s->recs[i].segs = s->slots + nslots;
		nslots += s->recs[i].nsegs;
	}
	free(full);
	full = NULL;
	free(segs.rows);
	segs.rows = NULL;
	for (prev = NULL; bpf_map_get_next_key(sfd, prev, &tnext) == 0; prev = &tkey) {
		tkey = tnext;
		if (grow((void **)&s->sharer_tgids, &tcap, s->nsharers, sizeof(uint32_t)) ||
		    grow((void **)&s->sharers, &scap, s->nsharers, sizeof(*s->sharers)))
			goto nomem;
		if (bpf_map_lookup_elem(sfd, &tkey, &s->sharers[s->nsharers]))
			continue;
		s->sharer_tgids[s->nsharers++] = tkey;
	}
	return 0;
nomem:
	free(full);
	mm_batch_close(&batch);
	free(segs.rows);
	shmw_snapshot_free(s);
	return err;
}

int shmw_seed_pids(struct shmw_bpf *b, const uint32_t *pids, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		int r = shmw_bpf_walk(b, (pid_t)pids[i]);

		/* ENOENT/ESRCH: the process is gone; exit_mmap has dropped its mm. */
		if (r && r != -ENOENT && r != -ESRCH && !ret)
			ret = r;
	}
	return ret;
}

/* pids of records whose walk raced; returns how many (and fills up to max). */
static size_t unseeded_pids(struct shmw_bpf *b, uint32_t **pids)
{
	struct shmw_snapshot s;
	size_t n = 0;

	*pids = NULL;
	if (shmw_snapshot_take(b, &s))
		return 0;
	if (s.unseeded) {
		*pids = calloc(s.unseeded, sizeof(uint32_t));
		for (size_t i = 0; *pids && i < s.n; i++)
			if (!(s.recs[i].flags & SHMW_MM_SEEDED) && s.recs[i].tgid)
				(*pids)[n++] = s.recs[i].tgid;
	}
	shmw_snapshot_free(&s);
	return n;
}

int shmw_seed_all(struct shmw_bpf *b, int retries)
{
	uint32_t *pids;
	size_t n;
	int ret;

	shmw_bpf_set_seeding(b, true);
	ret = shmw_bpf_walk(b, 0);
	shmw_bpf_set_seeding(b, false);
	if (ret)
		return ret;
	for (int round = 0; round <= retries; round++) {
		n = unseeded_pids(b, &pids);
		if (!n || round == retries) {
			free(pids);
			return (int)n;
		}
		log_debug("seed: %zu address spaces changed while walked; walking them again", n);
		ret = shmw_seed_pids(b, pids, n);
		free(pids);
		if (ret)
			return ret;
	}
	return 0;
}
