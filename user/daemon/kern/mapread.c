// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading a whole BPF hash map (see mapread.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "mapread.h"

/* Entries one batch call asks for: the start-up's map reading at 3000 holders fell to a tenth
 * of key-by-key's. */
#define BATCH 256

static int room(struct shmw_map_rows *r, size_t *cap, size_t need, size_t ks, size_t vs)
{
	size_t ncap = *cap ? *cap : BATCH;
	void *k, *v;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	k = realloc(r->keys, ncap * ks);
	if (!k)
		return -ENOMEM;
	r->keys = k;
	v = realloc(r->vals, ncap * vs);
	if (!v)
		return -ENOMEM;
	r->vals = v;
	*cap = ncap;
	return 0;
}

/* Where the next entries go: after those read when they are kept, else over the last batch
 * (counting needs no more room than one batch). */
static size_t at(const struct shmw_map_rows *r, bool keep)
{
	return keep ? r->n : 0;
}

static int read_by_key(int fd, size_t ks, size_t vs, struct shmw_map_rows *r, size_t *cap,
		       bool keep)
{
	unsigned char prev[64], next[64];
	bool have_prev = false;

	if (ks > sizeof(prev))
		return -EINVAL;
	while (bpf_map_get_next_key(fd, have_prev ? prev : NULL, next) == 0) {
		memcpy(prev, next, ks);
		have_prev = true;
		if (room(r, cap, at(r, keep) + 1, ks, vs))
			return -ENOMEM;
		/* The entry may go between next_key and lookup: skip it. */
		if (bpf_map_lookup_elem(fd, next, (char *)r->vals + at(r, keep) * vs) == 0) {
			memcpy((char *)r->keys + at(r, keep) * ks, next, ks);
			r->n++;
		}
	}
	return 0;
}

/* Reads every entry into r (keep), or only counts them in r->n. */
static int read_map(int fd, size_t ks, size_t vs, struct shmw_map_rows *r, bool keep)
{
	uint64_t token = 0, out = 0;
	bool started = false;
	size_t cap = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	for (;;) {
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = BATCH;

		if (room(r, &cap, at(r, keep) + BATCH, ks, vs)) {
			ret = -ENOMEM;
			goto fail;
		}
		ret = bpf_map_lookup_batch(fd, started ? &token : NULL, &out,
					   (char *)r->keys + at(r, keep) * ks,
					   (char *)r->vals + at(r, keep) * vs, &count, &opts);
		if (ret && errno != ENOENT) {
			if (started) { /* part read: key by key would return some twice */
				ret = -errno;
				goto fail;
			}
			ret = read_by_key(fd, ks, vs, r, &cap, keep);
			if (ret)
				goto fail;
			return 0;
		}
		r->n += count;
		if (ret) /* ENOENT: that batch was the last */
			return 0;
		token = out;
		started = true;
	}
fail:
	shmw_map_rows_free(r);
	return ret;
}

int shmw_map_read_all(int fd, size_t ks, size_t vs, struct shmw_map_rows *r)
{
	return read_map(fd, ks, vs, r, true);
}

int shmw_map_count(int fd, size_t ks, size_t vs, uint64_t *n)
{
	struct shmw_map_rows r;
	int ret = read_map(fd, ks, vs, &r, false);

	*n = ret ? 0 : r.n;
	shmw_map_rows_free(&r);
	return ret;
}

void shmw_map_rows_free(struct shmw_map_rows *r)
{
	free(r->keys);
	free(r->vals);
	memset(r, 0, sizeof(*r));
}
