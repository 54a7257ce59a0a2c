// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Start-up walk, per-process walks and map snapshots (see seed.h). */
#include <errno.h>
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

int shmw_snapshot_take(struct shmw_bpf *b, struct shmw_snapshot *s)
{
	int mfd = shmw_bpf_mms_fd(b), sfd = shmw_bpf_sharers_fd(b);
	size_t kcap = 0, rcap = 0, tcap = 0, scap = 0, slcap = 0, nslots = 0;
	struct shmw_mm *rec = malloc(sizeof(*rec)); /* one whole record at a time */
	uint64_t key, next;
	uint32_t tkey, tnext;
	void *prev;

	memset(s, 0, sizeof(*s));
	if (!rec)
		return -ENOMEM;
	s->version = shmw_bpf_version(b);
	for (prev = NULL; bpf_map_get_next_key(mfd, prev, &next) == 0; prev = &key) {
		struct shmw_snap_mm *r;

		key = next;
		/* The entry may vanish between next_key and lookup (exit_mmap): skip it. */
		if (bpf_map_lookup_elem(mfd, &key, rec))
			continue;
		if (grow((void **)&s->keys, &kcap, s->n, sizeof(*s->keys)) ||
		    grow((void **)&s->recs, &rcap, s->n, sizeof(*s->recs)))
			goto nomem;
		r = &s->recs[s->n];
		shmw_snap_mm_of(r, rec);
		r->nsegs = 0;
		for (int j = 0; j < SHMW_MM_SEGS; j++) {
			if (!rec->segs[j].nvma)
				continue;
			if (grow((void **)&s->slots, &slcap, nslots, sizeof(*s->slots)))
				goto nomem;
			s->slots[nslots++] = rec->segs[j];
			r->nsegs++;
		}
		s->keys[s->n] = key;
		if (!(r->flags & SHMW_MM_SEEDED))
			s->unseeded++;
		s->n++;
	}
	/* Pointers only now: slots moved while it grew. */
	nslots = 0;
	for (size_t i = 0; i < s->n; i++) {
		s->recs[i].segs = s->slots + nslots;
		nslots += s->recs[i].nsegs;
	}
	free(rec);
	rec = NULL;
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
	free(rec);
	shmw_snapshot_free(s);
	return -ENOMEM;
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
