// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Start-up walk, per-process walks and map snapshots (see seed.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "mapread.h"
#include "seed.h"

void shmw_snapshot_free(struct shmw_snapshot *s)
{
	free(s->keys);
	free(s->recs);
	free(s->slots);
	free(s->sharer_tgids);
	free(s->sharers);
	memset(s, 0, sizeof(*s));
}

/* A segs map row: its size and key, which holdings name only by (ns, shmid). */
struct seg_row {
	struct shmw_seg_key k;
	struct shmw_seg_val v;
};

static int seg_cmp(const void *a, const void *b)
{
	const struct shmw_seg_key *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return x->shmid < y->shmid ? -1 : x->shmid > y->shmid;
}

static void seg_fill(const struct seg_row *t, size_t n, struct shmw_mm_seg *g)
{
	struct shmw_seg_key k = {.ns = g->ns, .shmid = g->shmid};
	const struct seg_row *r = n ? bsearch(&k, t, n, sizeof(*t), seg_cmp) : NULL;

	if (r) {
		g->size = r->v.size;
		g->key = r->v.key;
	}
}

/* A holds map row with what sorts it: by mm, then by position in the mm's list (the order
 * the mm got them, as ps lists them). */
struct hold_row {
	struct shmw_hold_key k;
	struct shmw_hold v;
};

static int hold_cmp(const void *a, const void *b)
{
	const struct hold_row *x = a, *y = b;

	if (x->k.mm != y->k.mm)
		return x->k.mm < y->k.mm ? -1 : 1;
	return x->v.idx < y->v.idx ? -1 : x->v.idx > y->v.idx;
}

struct mm_row {
	uint64_t mm;
	struct shmw_mm v;
};

static int mm_cmp(const void *a, const void *b)
{
	const struct mm_row *x = a, *y = b;

	return x->mm < y->mm ? -1 : x->mm > y->mm;
}

/* Rows of a map as an array of (key, value) pairs of one struct, sorted with cmp. */
static int read_rows(int fd, size_t ks, size_t vs, size_t row,
		     int (*cmp)(const void *, const void *), void **out, size_t *n)
{
	struct shmw_map_rows r;
	char *rows;
	int ret = shmw_map_read_all(fd, ks, vs, &r);

	*out = NULL;
	*n = 0;
	if (ret)
		return ret;
	rows = malloc((r.n ? r.n : 1) * row);
	if (!rows) {
		shmw_map_rows_free(&r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r.n; i++) {
		memcpy(rows + i * row, (char *)r.keys + i * ks, ks);
		memcpy(rows + i * row + (row - vs), (char *)r.vals + i * vs, vs);
	}
	*n = r.n;
	shmw_map_rows_free(&r);
	if (*n && cmp)
		qsort(rows, *n, row, cmp);
	*out = rows;
	return 0;
}

_Static_assert(sizeof(struct seg_row) == sizeof(struct shmw_seg_key) + sizeof(struct shmw_seg_val),
	       "seg_row is key then value");
_Static_assert(sizeof(struct hold_row) == sizeof(struct shmw_hold_key) + sizeof(struct shmw_hold),
	       "hold_row is key then value");
_Static_assert(sizeof(struct mm_row) == 8 + sizeof(struct shmw_mm), "mm_row is key then value");

static void snap_rec_of(struct shmw_snap_mm *r, const struct shmw_mm *m)
{
	memset(r, 0, sizeof(*r));
	r->version = m->version;
	r->born = m->born;
	r->flags = m->flags;
	r->tgid = m->tgid;
	r->uid = m->uid;
	memcpy(r->comm, m->comm, SHMW_COMM_LEN);
}

int shmw_snapshot_take(struct shmw_bpf *b, struct shmw_snapshot *s)
{
	struct seg_row *segs = NULL;
	struct hold_row *holds = NULL;
	struct mm_row *mms = NULL;
	struct {
		uint32_t tgid;
		struct shmw_sharer v;
	} *shs = NULL;
	size_t nsegs = 0, nholds = 0, nmms = 0, nshs = 0, h = 0, nslots = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	s->version = shmw_bpf_version(b);
	ret =
	    read_rows(shmw_bpf_segs_fd(b), sizeof(struct shmw_seg_key), sizeof(struct shmw_seg_val),
		      sizeof(*segs), seg_cmp, (void **)&segs, &nsegs);
	if (!ret)
		ret = read_rows(shmw_bpf_mms_fd(b), 8, sizeof(struct shmw_mm), sizeof(*mms), mm_cmp,
				(void **)&mms, &nmms);
	if (!ret)
		ret = read_rows(shmw_bpf_holds_fd(b), sizeof(struct shmw_hold_key),
				sizeof(struct shmw_hold), sizeof(*holds), hold_cmp, (void **)&holds,
				&nholds);
	if (!ret)
		ret = read_rows(shmw_bpf_sharers_fd(b), 4, sizeof(struct shmw_sharer), sizeof(*shs),
				NULL, (void **)&shs, &nshs);
	if (ret)
		goto out;
	ret = -ENOMEM;
	s->keys = malloc((nmms ? nmms : 1) * sizeof(*s->keys));
	s->recs = calloc(nmms ? nmms : 1, sizeof(*s->recs));
	s->slots = malloc((nholds ? nholds : 1) * sizeof(*s->slots));
	s->sharer_tgids = malloc((nshs ? nshs : 1) * sizeof(*s->sharer_tgids));
	s->sharers = malloc((nshs ? nshs : 1) * sizeof(*s->sharers));
	if (!s->keys || !s->recs || !s->slots || !s->sharer_tgids || !s->sharers)
		goto out;
	/* Both sorted by mm: one pass joins the holdings to their records. */
	for (size_t i = 0; i < nmms; i++) {
		struct shmw_snap_mm *r = &s->recs[s->n];

		snap_rec_of(r, &mms[i].v);
		r->segs = s->slots + nslots;
		while (h < nholds && holds[h].k.mm < mms[i].mm)
			h++; /* its record went while we read: exit_mmap's events follow */
		for (; h < nholds && holds[h].k.mm == mms[i].mm; h++) {
			struct shmw_mm_seg *g = &s->slots[nslots];

			if (!holds[h].v.nvma)
				continue; /* staged by a walk, not held */
			memset(g, 0, sizeof(*g));
			g->since = holds[h].v.since;
			g->ns = holds[h].k.ns;
			g->shmid = holds[h].k.shmid;
			g->nvma = holds[h].v.nvma;
			g->how = holds[h].v.how;
			seg_fill(segs, nsegs, g);
			nslots++;
			r->nsegs++;
		}
		if (!(r->flags & SHMW_MM_SEEDED))
			s->unseeded++;
		s->keys[s->n++] = mms[i].mm;
	}
	/* Sharers of the mms that have a record: the others share an mm that holds nothing. */
	for (size_t i = 0; i < nshs; i++) {
		struct mm_row k = {.mm = shs[i].v.mm};

		if (!nmms || !bsearch(&k, mms, nmms, sizeof(*mms), mm_cmp))
			continue;
		s->sharer_tgids[s->nsharers] = shs[i].tgid;
		s->sharers[s->nsharers++] = shs[i].v;
	}
	ret = 0;
out:
	free(segs);
	free(holds);
	free(mms);
	free(shs);
	if (ret)
		shmw_snapshot_free(s);
	return ret;
}

int shmw_mm_read(struct shmw_bpf *b, uint64_t mm, struct shmw_mm_one *out)
{
	int lfd = shmw_bpf_list_fd(b), hfd = shmw_bpf_holds_fd(b), sfd = shmw_bpf_segs_fd(b);
	struct shmw_mm m;

	out->rec.nsegs = 0;
	out->rec.segs = out->segs;
	if (bpf_map_lookup_elem(shmw_bpf_mms_fd(b), &mm, &m))
		return -errno;
	snap_rec_of(&out->rec, &m);
	for (uint32_t i = 0; i < m.nsegs; i++) {
		struct shmw_list_key lk = {.mm = mm, .idx = i};
		struct shmw_list_val lv;
		struct shmw_hold_key hk;
		struct shmw_seg_key sk;
		struct shmw_seg_val sv;
		struct shmw_hold h;
		struct shmw_mm_seg *g;

		if (bpf_map_lookup_elem(lfd, &lk, &lv))
			continue; /* changing while we read: a later event or walk says */
		hk.mm = mm;
		hk.ns = lv.ns;
		hk.shmid = lv.shmid;
		if (bpf_map_lookup_elem(hfd, &hk, &h) || !h.nvma)
			continue;
		if (out->rec.nsegs == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 16;
			struct shmw_mm_seg *n = realloc(out->segs, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			out->segs = n;
			out->cap = cap;
		}
		g = &out->segs[out->rec.nsegs++];
		memset(g, 0, sizeof(*g));
		g->since = h.since;
		g->ns = lv.ns;
		g->shmid = lv.shmid;
		g->nvma = h.nvma;
		g->how = h.how;
		sk.ns = lv.ns;
		sk.shmid = lv.shmid;
		if (bpf_map_lookup_elem(sfd, &sk, &sv) == 0) {
			g->size = sv.size;
			g->key = sv.key;
		}
	}
	out->rec.segs = out->segs;
	return 0;
}

void shmw_mm_one_free(struct shmw_mm_one *o)
{
	free(o->segs);
	memset(o, 0, sizeof(*o));
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

size_t shmw_bpf_seed_segs(struct shmw_bpf *b, uint32_t ns, const struct shmw_kseg *v, size_t n)
{
	int fd = shmw_bpf_segs_fd(b);
	size_t full = 0;

	for (size_t i = 0; i < n; i++) {
		struct shmw_seg_key k = {.ns = ns, .shmid = (uint32_t)v[i].shmid};
		struct shmw_seg_val s = {.size = v[i].size, .key = v[i].key, .ctime = v[i].ctime};

		if (v[i].perms & SHMW_SHM_DEST)
			s.flags = SHMW_SEG_DEST;
		if (bpf_map_update_elem(fd, &k, &s, BPF_NOEXIST) && errno == E2BIG)
			full++;
	}
	return full;
}

size_t shmw_bpf_forget_ns(struct shmw_bpf *b, uint32_t ns)
{
	int fd = shmw_bpf_segs_fd(b);
	struct shmw_seg_key k, next, gone[256];
	size_t n, dropped = 0;

	/* A batch of keys first, its deletes after (a delete during get_next_key restarts the
	 * walk), then a walk from the start again until one finds none of ns (or deletes none:
	 * never a loop without end). */
	do {
		bool first = true;
		size_t before = dropped;

		n = 0;
		while (n < sizeof(gone) / sizeof(gone[0]) &&
		       bpf_map_get_next_key(fd, first ? NULL : &k, &next) == 0) {
			first = false;
			k = next;
			if (k.ns == ns)
				gone[n++] = k;
		}
		for (size_t i = 0; i < n; i++)
			dropped += bpf_map_delete_elem(fd, &gone[i]) == 0;
		if (dropped == before)
			break;
	} while (n == sizeof(gone) / sizeof(gone[0]));
	return dropped;
}

bool shmw_bpf_forget_seg(struct shmw_bpf *b, uint32_t ns, int32_t shmid, uint64_t size,
			 uint32_t key, int64_t gen)
{
	int fd = shmw_bpf_segs_fd(b);
	struct shmw_seg_key k = {.ns = ns, .shmid = (uint32_t)shmid};
	struct shmw_seg_val v;

	if (bpf_map_lookup_elem(fd, &k, &v))
		return false;
	/* Another segment made under the shmid since has another generation (or size or key);
	 * one still counted as mapped is not ours to judge. A create between this look and the
	 * delete loses its entry, which BPF makes again from the kernel at its first use
	 * (seg_ensure). */
	if (v.size != size || (v.key && key && v.key != key) || v.ctime > gen + 1 ||
	    v.ctime + 1 < gen || v.nvma || v.nmms)
		return false;
	return bpf_map_delete_elem(fd, &k) == 0;
}

int32_t shmw_bpf_seg_nvma(const struct shmw_bpf *b, uint32_t ns, uint32_t shmid)
{
	struct shmw_seg_key key = {ns, shmid};
	struct shmw_seg_val v = {0};

	bpf_map_lookup_elem(shmw_bpf_segs_fd(b), &key, &v);
	return v.nvma;
}

void shmw_bpf_map_entries(const struct shmw_bpf *b, uint64_t out[SHMW_MM_NMAPS])
{
	shmw_map_count(shmw_bpf_mms_fd(b), 8, sizeof(struct shmw_mm), &out[SHMW_MM_MMS]);
	shmw_map_count(shmw_bpf_holds_fd(b), sizeof(struct shmw_hold_key), sizeof(struct shmw_hold),
		       &out[SHMW_MM_HOLDS]);
	shmw_map_count(shmw_bpf_segs_fd(b), sizeof(struct shmw_seg_key),
		       sizeof(struct shmw_seg_val), &out[SHMW_MM_SEGS]);
	shmw_map_count(shmw_bpf_sharers_fd(b), 4, sizeof(struct shmw_sharer),
		       &out[SHMW_MM_SHARERS]);
}
