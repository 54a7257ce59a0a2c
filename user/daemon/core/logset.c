// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The event log's files, compression and index (see logset.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "errbuf.h"
#include "logset.h"
#include "segreplay.h"
#include "timefmt.h"

#define IDX_MAGIC	  "SHMWIDX2"
#define IDX_CKPT	  1u /* the index holds a checkpoint: the segments living at the file's end */
#define IDX_CKPT_COMPLETE 2u /* ... built on the previous file's complete one, or on nothing */
#define READ_CHUNK	  (256u << 10)
/* An index bigger than this is not ours (a 1 GiB log has ~8k blocks: well under a MiB). */
#define IDX_MAX (256u << 20)

struct idx_hdr {
	char magic[8];
	uint64_t gz_ino, gz_size;
	uint32_t nblocks, nkeys, nrefs, flags;
	uint64_t tmax;	   /* the file's last time */
	uint64_t ckpt_len; /* bytes of checkpoint lines after the refs (segreplay.h) */
};

struct idx_block {
	uint64_t coff;
	uint32_t clen, ulen;
	uint64_t tmin, tmax;
};

struct idx_key {
	uint32_t shmid, ns, first, n; /* refs[first .. first + n) are its blocks, ascending */
};

_Static_assert(sizeof(struct idx_hdr) == 56, "index header layout");
_Static_assert(sizeof(struct idx_block) == 32, "index block layout");
_Static_assert(sizeof(struct idx_key) == 16, "index key layout");

struct shmw_logidx {
	char *mem;
	const struct idx_hdr *h;
	const struct idx_block *blocks;
	const struct idx_key *keys;
	const uint32_t *refs;
	const char *ckpt;
};

/* ---- reading fields of a line ---- */

bool shmw_logline_u64(const char *line, size_t len, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);
	const char *p = memmem(line, len, key, kl), *end = line + len;
	uint64_t x = 0;

	if (!p)
		return false;
	p += kl;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9')
		x = x * 10 + (uint64_t)(*p++ - '0');
	*v = x;
	return true;
}

bool shmw_logline_str(const char *line, size_t len, const char *key, char *buf, size_t buflen)
{
	size_t kl = strlen(key);
	const char *p = memmem(line, len, key, kl), *end = line + len, *q;

	if (!p || !buflen)
		return false;
	p += kl;
	if (p >= end || *p != '"')
		return false;
	p++;
	for (q = p; q < end && *q != '"'; q++)
		if (*q == '\\')
			q++;
	if (q >= end || (size_t)(q - p) >= buflen)
		return false;
	memcpy(buf, p, (size_t)(q - p));
	buf[q - p] = 0;
	return true;
}

bool shmw_logline_time(const char *line, size_t len, uint64_t *t, struct shmw_logtime_cache *c)
{
	static const char key[] = "\"time\":\"";
	const char *p = memmem(line, len < 64 ? len : 64, key, sizeof(key) - 1), *end = line + len;
	char buf[64];
	const char *q;

	if (!p)
		return false;
	p += sizeof(key) - 1;
	q = memchr(p, '"', (size_t)(end - p));
	if (!q || q - p >= (long)sizeof(buf))
		return false;
	/* Our own form, "YYYY-MM-DDTHH:MM:SS.ffffffZ": the second from the cache, then the
	 * fraction; anything else the whole way. */
	if (c && q - p == 27 && p[19] == '.' && p[26] == 'Z') {
		uint64_t frac = 0;

		for (int i = 20; i < 26; i++) {
			if (p[i] < '0' || p[i] > '9')
				goto slow;
			frac = frac * 10 + (uint64_t)(p[i] - '0');
		}
		if (!c->sec[0] || memcmp(c->sec, p, 19)) {
			memcpy(buf, p, 19);
			memcpy(buf + 19, "Z", 2);
			if (shmw_parse_rfc3339(buf, &c->base))
				goto slow;
			memcpy(c->sec, p, 19);
			c->sec[19] = 0;
		}
		*t = c->base + frac * SHMW_NS_PER_US;
		return true;
	}
slow:
	memcpy(buf, p, (size_t)(q - p));
	buf[q - p] = 0;
	return shmw_parse_rfc3339(buf, t) == 0;
}

/* ---- the set of files ---- */

static int add_file(struct shmw_logset *ls, const char *name, bool gz)
{
	struct shmw_logfile *f;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A regular file only: a FIFO or a device would hang or never end. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	f = &ls->f[ls->n];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name) {
		close(fd);
		return -ENOMEM;
	}
	f->fd = fd;
	f->gz = gz;
	ls->n++;
	return 1;
}

static struct shmw_logidx *idx_load(const char *name, int gzfd)
{
	struct shmw_logidx *x;
	struct idx_hdr h;
	struct stat st, gst;
	uint64_t need;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(h) ||
	    st.st_size > IDX_MAX || fstat(gzfd, &gst) < 0 ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, IDX_MAGIC, 8) ||
	    h.gz_ino != (uint64_t)gst.st_ino || h.gz_size != (uint64_t)gst.st_size)
		goto bad;
	need = sizeof(h) + (uint64_t)h.nblocks * sizeof(struct idx_block) +
	       (uint64_t)h.nkeys * sizeof(struct idx_key) + (uint64_t)h.nrefs * 4;
	if (h.ckpt_len > IDX_MAX || need + h.ckpt_len != (uint64_t)st.st_size)
		goto bad;
	need += h.ckpt_len;
	if (need != (uint64_t)st.st_size)
		goto bad;
	x = calloc(1, sizeof(*x));
	if (!x || !(x->mem = malloc(need)) || pread(fd, x->mem, need, 0) != (ssize_t)need) {
		if (x)
			free(x->mem);
		free(x);
		goto bad;
	}
	close(fd);
	x->h = (const struct idx_hdr *)x->mem;
	x->blocks = (const struct idx_block *)(x->mem + sizeof(h));
	x->keys = (const struct idx_key *)(x->blocks + h.nblocks);
	x->refs = (const uint32_t *)(x->keys + h.nkeys);
	x->ckpt = (const char *)(x->refs + h.nrefs);
	if (h.ckpt_len && x->ckpt[h.ckpt_len - 1] != '\n')
		goto bad_x;
	for (uint32_t i = 0; i < h.nkeys; i++)
		if ((uint64_t)x->keys[i].first + x->keys[i].n > h.nrefs)
			goto bad_x;
	for (uint32_t i = 0; i < h.nrefs; i++)
		if (x->refs[i] >= h.nblocks)
			goto bad_x;
	for (uint32_t i = 0; i < h.nblocks; i++)
		if (x->blocks[i].coff + x->blocks[i].clen > h.gz_size)
			goto bad_x;
	return x;
bad_x:
	free(x->mem);
	free(x);
	return NULL;
bad:
	close(fd);
	return NULL;
}

int shmw_logset_open(struct shmw_logset *ls, const char *path)
{
	char name[PATH_MAX];
	int r = 0;
	unsigned top = 0;

	memset(ls, 0, sizeof(*ls));
	ls->f = calloc(SHMW_LOGSET_FILES_MAX, sizeof(*ls->f));
	if (!ls->f)
		return -ENOMEM;
	/* The highest N present: rotation shifts files up one by one, so they are consecutive. */
	for (unsigned n = 1; n < SHMW_LOGSET_FILES_MAX; n++) {
		struct stat st;

		snprintf(name, sizeof(name), "%s.%u.gz", path, n);
		if (lstat(name, &st) == 0) {
			top = n;
			continue;
		}
		snprintf(name, sizeof(name), "%s.%u", path, n);
		if (lstat(name, &st) == 0) {
			top = n;
			continue;
		}
		break;
	}
	for (unsigned n = top; n >= 1 && r >= 0; n--) {
		snprintf(name, sizeof(name), "%s.%u.gz", path, n);
		r = add_file(ls, name, true);
		if (r > 0) {
			struct shmw_logfile *f = &ls->f[ls->n - 1];

			snprintf(name, sizeof(name), "%s.%u.gz.idx", path, n);
			f->idx = idx_load(name, f->fd);
			continue;
		}
		if (r < 0)
			break;
		snprintf(name, sizeof(name), "%s.%u", path, n);
		r = add_file(ls, name, false);
	}
	if (r >= 0)
		r = add_file(ls, path, false);
	if (r < 0) {
		shmw_logset_close(ls);
		return r;
	}
	return 0;
}

void shmw_logset_close(struct shmw_logset *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		close(ls->f[i].fd);
		free(ls->f[i].name);
		if (ls->f[i].idx)
			free(ls->f[i].idx->mem);
		free(ls->f[i].idx);
	}
	free(ls->f);
	memset(ls, 0, sizeof(*ls));
}

/* ---- reading ---- */

/* Calls fn on each whole line of buf[0..len); returns the bytes consumed (up to the last
 * newline; all of it when last), or -1 - what fn returned when it stopped. With a needle
 * ("\"shmid\":N"), only on the lines that hold it, found with one memmem per occurrence rather
 * than one per line: a segment's lines are a few in a block of hundreds. */
static long lines_of(const char *buf, size_t len, bool last, const char *needle, size_t nlen,
		     shmw_logline_fn fn, void *arg, int *stop)
{
	size_t off = 0, end = len;

	if (!last) {
		const char *nl = memrchr(buf, '\n', len);

		end = nl ? (size_t)(nl - buf) + 1 : 0;
	}
	while (off < end) {
		const char *start = buf + off, *nl;
		size_t l;

		if (needle) {
			const char *p = memmem(buf + off, end - off, needle, nlen), *ls;

			if (!p)
				break;
			nl = memchr(p, '\n', (size_t)(buf + end - p));
			/* "shmid":12 is not "shmid":123 */
			if (p + nlen < buf + end && p[nlen] >= '0' && p[nlen] <= '9') {
				off = nl ? (size_t)(nl - buf) + 1 : end;
				continue;
			}
			ls = memrchr(buf + off, '\n', (size_t)(p - buf - off));
			start = ls ? ls + 1 : buf + off;
		} else {
			nl = memchr(start, '\n', end - off);
		}
		l = nl ? (size_t)(nl - start) : (size_t)(buf + end - start);
		if (l) {
			int r = fn(arg, start, l);

			if (r) {
				*stop = r;
				return -1;
			}
		}
		off = (size_t)(start - buf) + l + (nl ? 1 : 0);
	}
	return (long)end;
}

/* The needle for sel's segment, or NULL. */
static const char *needle_of(const struct shmw_logsel *sel, char *buf, size_t len, size_t *nlen)
{
	if (!sel || !sel->by_seg)
		return NULL;
	*nlen = (size_t)snprintf(buf, len, "\"shmid\":%u", sel->shmid);
	return buf;
}

/* The whole file through zlib (which reads a plain file as it is). */
static int read_whole(const struct shmw_logfile *f, const struct shmw_logsel *sel,
		      shmw_logline_fn fn, void *arg)
{
	char nbuf[32];
	size_t nlen = 0;
	const char *needle = needle_of(sel, nbuf, sizeof(nbuf), &nlen);
	int fd = dup(f->fd), stop = 0, r = 0;
	size_t cap = READ_CHUNK, have = 0;
	char *buf = malloc(cap);
	gzFile z;

	if (fd < 0 || !buf || lseek(fd, 0, SEEK_SET) < 0) {
		r = -errno ? -errno : -ENOMEM;
		if (fd >= 0)
			close(fd);
		free(buf);
		return r;
	}
	z = gzdopen(fd, "rb");
	if (!z) {
		close(fd);
		free(buf);
		return -ENOMEM;
	}
	gzbuffer(z, READ_CHUNK);
	for (;;) {
		int n;
		long used;

		if (cap - have < READ_CHUNK / 2) {
			/* A line longer than what is buffered: room for more of it. */
			char *b = realloc(buf, cap * 2);

			if (!b) {
				r = -ENOMEM;
				break;
			}
			buf = b;
			cap *= 2;
		}
		n = gzread(z, buf + have, (unsigned)(cap - have));
		if (n < 0) {
			r = -EBADMSG;
			break;
		}
		have += (size_t)n;
		used = lines_of(buf, have, n == 0, needle, nlen, fn, arg, &stop);
		if (used < 0) {
			r = stop;
			break;
		}
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
		if (n == 0)
			break;
	}
	gzclose_r(z);
	free(buf);
	return r;
}

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The blocks of x that sel wants, ascending, in *out (caller frees); their number or -ENOMEM. */
static long select_blocks(const struct shmw_logidx *x, const struct shmw_logsel *sel,
			  uint32_t **out)
{
	uint32_t nb = x->h->nblocks, *v;
	size_t n = 0;

	*out = NULL;
	if (!sel->by_seg) {
		v = malloc((nb ? nb : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (uint32_t i = 0; i < nb; i++)
			v[n++] = i;
	} else {
		/* Keys are sorted by shmid then ns: find the first of this shmid. */
		size_t lo = 0, hi = x->h->nkeys, total = 0, k;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (x->keys[mid].shmid < sel->shmid)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (k = lo; k < x->h->nkeys && x->keys[k].shmid == sel->shmid; k++)
			if (sel->any_ns || x->keys[k].ns == sel->ns)
				total += x->keys[k].n;
		v = malloc((total ? total : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (k = lo; k < x->h->nkeys && x->keys[k].shmid == sel->shmid; k++)
			if (sel->any_ns || x->keys[k].ns == sel->ns)
				for (uint32_t j = 0; j < x->keys[k].n; j++)
					v[n++] = x->refs[x->keys[k].first + j];
		qsort(v, n, sizeof(*v), by_u32);
	}
	/* Unique, and within the time range. */
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct idx_block *b = &x->blocks[v[i]];

		if (m && v[m - 1] == v[i])
			continue;
		if (b->tmax < sel->tmin || b->tmin > sel->tmax)
			continue;
		v[m++] = v[i];
	}
	*out = v;
	return (long)m;
}

static int read_blocks(const struct shmw_logfile *f, const struct shmw_logsel *sel,
		       shmw_logline_fn fn, void *arg, uint64_t *blocks)
{
	const struct shmw_logidx *x = f->idx;
	char nbuf[32];
	size_t nlen = 0;
	const char *needle = needle_of(sel, nbuf, sizeof(nbuf), &nlen);
	uint32_t *v;
	long n = select_blocks(x, sel, &v);
	char *in = NULL, *out = NULL;
	size_t incap = 0, outcap = 0;
	z_stream zs;
	int r = 0, stop = 0;

	if (n < 0)
		return (int)n;
	memset(&zs, 0, sizeof(zs));
	/* Raw deflate, past the member's 10-byte header: our members have no optional header
	 * fields, and skipping the CRC-32 of every block read was a fifth of a query's time (the
	 * length is still checked; zcat checks the CRC). */
	if (inflateInit2(&zs, -15) != Z_OK) {
		free(v);
		return -ENOMEM;
	}
	for (long i = 0; i < n && !r; i++) {
		const struct idx_block *b = &x->blocks[v[i]];

		if (b->clen > incap || (size_t)b->ulen + 1 > outcap) {
			char *ni = b->clen > incap ? realloc(in, b->clen) : in;

			if (ni)
				in = ni, incap = b->clen > incap ? b->clen : incap;
			char *no = (size_t)b->ulen + 1 > outcap ? realloc(out, b->ulen + 1) : out;

			if (no)
				out = no,
				outcap = (size_t)b->ulen + 1 > outcap ? b->ulen + 1 : outcap;
			if (!ni || !no) {
				r = -ENOMEM;
				break;
			}
		}
		if (pread(f->fd, in, b->clen, (off_t)b->coff) != (ssize_t)b->clen) {
			r = -EBADMSG;
			break;
		}
		/* 1f 8b, deflate, no flags: the header deflate() writes for windowBits 31. */
		if (b->clen < 18 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b ||
		    in[2] != 8 || in[3] != 0) {
			r = -EBADMSG;
			break;
		}
		inflateReset(&zs);
		zs.next_in = (unsigned char *)in + 10;
		zs.avail_in = b->clen - 10;
		zs.next_out = (unsigned char *)out;
		zs.avail_out = (unsigned)outcap;
		if (inflate(&zs, Z_FINISH) != Z_STREAM_END || zs.total_out != b->ulen) {
			r = -EBADMSG;
			break;
		}
		if (blocks)
			(*blocks)++;
		if (lines_of(out, b->ulen, true, needle, nlen, fn, arg, &stop) < 0)
			r = stop;
	}
	inflateEnd(&zs);
	free(in);
	free(out);
	free(v);
	return r;
}

int shmw_logfile_read(const struct shmw_logfile *f, const struct shmw_logsel *sel,
		      shmw_logline_fn fn, void *arg, uint64_t *blocks)
{
	if (f->idx)
		return read_blocks(f, sel, fn, arg, blocks);
	return read_whole(f, sel, fn, arg);
}

/* ---- compressing, and the index ---- */

struct triple {
	uint32_t shmid, ns, block;
};

static int by_triple(const void *a, const void *b)
{
	const struct triple *x = a, *y = b;

	if (x->shmid != y->shmid)
		return x->shmid < y->shmid ? -1 : 1;
	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return x->block < y->block ? -1 : x->block > y->block;
}

struct builder {
	struct idx_block *blocks;
	size_t nblocks, capb;
	struct triple *t;
	size_t nt, capt;
	struct shmw_logtime_cache tc;
	uint64_t tmax;
	struct shmw_rsegs *segs; /* the checkpoint being built (NULL: none) */
};

static int note_line(struct builder *b, const char *line, size_t len, struct idx_block *blk)
{
	uint64_t shmid, ns = 0, t;

	bool timed = shmw_logline_time(line, len, &t, &b->tc);

	if (timed) {
		if (t < blk->tmin)
			blk->tmin = t;
		if (t > blk->tmax || blk->tmax == UINT64_MAX)
			blk->tmax = t;
		if (t > b->tmax)
			b->tmax = t;
	}
	if (!shmw_logline_u64(line, len, "\"shmid\":", &shmid))
		return 0;
	if (b->segs && shmw_rsegs_apply(b->segs, line, len, timed ? t : b->tmax) < 0)
		return -ENOMEM;
	shmw_logline_u64(line, len, "\"ns\":", &ns);
	if (b->nt && b->t[b->nt - 1].shmid == shmid && b->t[b->nt - 1].ns == ns &&
	    b->t[b->nt - 1].block == b->nblocks)
		return 0;
	if (b->nt == b->capt) {
		size_t cap = b->capt ? b->capt * 2 : 4096;
		struct triple *n = realloc(b->t, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->t = n;
		b->capt = cap;
	}
	b->t[b->nt++] = (struct triple){(uint32_t)shmid, (uint32_t)ns, (uint32_t)b->nblocks};
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_index(int fd, struct builder *b, const struct stat *gz, uint32_t flags,
		       const struct shmw_jbuf *ckpt)
{
	struct idx_hdr h = {.magic = IDX_MAGIC};
	struct idx_key *keys = NULL;
	uint32_t *refs = NULL;
	size_t nk = 0;
	int r;

	/* IDX_MAGIC fills magic[8] exactly; the initializer drops its NUL. */
	memcpy(h.magic, IDX_MAGIC, 8);
	if (b->nt)
		qsort(b->t, b->nt, sizeof(*b->t), by_triple);
	keys = malloc((b->nt ? b->nt : 1) * sizeof(*keys));
	refs = malloc((b->nt ? b->nt : 1) * sizeof(*refs));
	if (!keys || !refs) {
		free(keys);
		free(refs);
		return -ENOMEM;
	}
	size_t nr = 0;

	for (size_t i = 0; i < b->nt; i++) {
		const struct triple *t = &b->t[i];

		if (!nk || keys[nk - 1].shmid != t->shmid || keys[nk - 1].ns != t->ns)
			keys[nk++] = (struct idx_key){t->shmid, t->ns, (uint32_t)nr, 0};
		if (keys[nk - 1].n && refs[nr - 1] == t->block)
			continue;
		refs[nr++] = t->block;
		keys[nk - 1].n++;
	}
	h.gz_ino = (uint64_t)gz->st_ino;
	h.gz_size = (uint64_t)gz->st_size;
	h.nblocks = (uint32_t)b->nblocks;
	h.nkeys = (uint32_t)nk;
	h.nrefs = (uint32_t)nr;
	h.flags = flags;
	h.tmax = b->tmax;
	h.ckpt_len = ckpt ? ckpt->len : 0;
	r = write_all(fd, &h, sizeof(h));
	if (!r)
		r = write_all(fd, b->blocks, b->nblocks * sizeof(*b->blocks));
	if (!r)
		r = write_all(fd, keys, nk * sizeof(*keys));
	if (!r)
		r = write_all(fd, refs, nr * sizeof(*refs));
	if (!r && ckpt && ckpt->len)
		r = write_all(fd, ckpt->p, ckpt->len);
	free(keys);
	free(refs);
	return r;
}

/* Deflates buf[0..len) as one gzip member onto fd; records the block. */
static int put_block(int fd, z_stream *zs, struct builder *b, struct idx_block *blk,
		     const char *buf, size_t len, uint64_t *off, unsigned char **out,
		     size_t *outcap)
{
	size_t bound = deflateBound(zs, len) + 64;
	int r;

	if (bound > *outcap) {
		unsigned char *n = realloc(*out, bound);

		if (!n)
			return -ENOMEM;
		*out = n;
		*outcap = bound;
	}
	deflateReset(zs);
	zs->next_in = (unsigned char *)buf;
	zs->avail_in = (unsigned)len;
	zs->next_out = *out;
	zs->avail_out = (unsigned)*outcap;
	if (deflate(zs, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	r = write_all(fd, *out, zs->total_out);
	if (r)
		return r;
	if (b->nblocks == b->capb) {
		size_t cap = b->capb ? b->capb * 2 : 256;
		struct idx_block *n = realloc(b->blocks, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->blocks = n;
		b->capb = cap;
	}
	blk->coff = *off;
	blk->clen = (uint32_t)zs->total_out;
	blk->ulen = (uint32_t)len;
	if (blk->tmax == UINT64_MAX && blk->tmin == UINT64_MAX)
		blk->tmin = 0; /* no line had a time: never skipped by time */
	b->blocks[b->nblocks++] = *blk;
	*off += zs->total_out;
	return 0;
}

/* The state at the start of the file after prev: prev's checkpoint loaded into segs. Returns
 * whether that start is complete: prev's checkpoint was, or there is no prev at all. */
static bool base_state(const char *prev, struct shmw_rsegs *segs)
{
	char gz[PATH_MAX], idx[PATH_MAX];
	struct shmw_logidx *x;
	struct stat st;
	bool ok = false;
	int fd;

	if (snprintf(gz, sizeof(gz), "%s.gz", prev) >= (int)sizeof(gz) ||
	    snprintf(idx, sizeof(idx), "%s.gz.idx", prev) >= (int)sizeof(idx))
		return false;
	fd = open(gz, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT && lstat(prev, &st) < 0 && errno == ENOENT;
	x = idx_load(idx, fd);
	close(fd);
	if (x && (x->h->flags & IDX_CKPT_COMPLETE)) {
		const char *p = x->ckpt, *end = x->ckpt + x->h->ckpt_len;

		ok = true;
		while (p < end && ok) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			ok = shmw_rsegs_load(segs, p, (size_t)(nl - p)) == 0;
			p = nl + 1;
		}
	}
	if (x)
		free(x->mem);
	free(x);
	return ok;
}

int shmw_logset_compress(const char *src, const char *dst, int level, const char *prev,
			 pthread_mutex_t *lock, char *err, size_t errlen)
{
	struct shmw_rsegs segs = {.forget_gone = true};
	struct shmw_jbuf ckpt = {0};
	uint32_t flags = 0;
	char tmp[PATH_MAX], itmp[PATH_MAX], idx[PATH_MAX];
	int in = -1, out = -1, iout = -1, r = 0;
	char *buf = NULL;
	unsigned char *zbuf = NULL;
	size_t cap = 2 * SHMW_LOGSET_BLOCK, have = 0, zcap = 0, want = SHMW_LOGSET_BLOCK;
	uint64_t off = 0;
	struct builder b;
	struct stat st;
	z_stream zs;
	bool zinit = false;

	memset(&b, 0, sizeof(b));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= (int)sizeof(tmp) ||
	    snprintf(idx, sizeof(idx), "%s.idx", dst) >= (int)sizeof(idx) ||
	    snprintf(itmp, sizeof(itmp), "%s.idx.tmp", dst) >= (int)sizeof(itmp)) {
		shmw_seterr(err, errlen, "cannot compress %s: %s", src, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = in < 0 ? -errno : -EINVAL;
		shmw_seterr(err, errlen, "cannot read %s: %s", src, strerror(-r));
		goto out;
	}
	/* Readable by the daemon's group, as the log itself (eventlog.c). */
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	iout =
	    out < 0 ? -1 : open(itmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (out < 0 || iout < 0) {
		r = -errno;
		shmw_seterr(err, errlen, "cannot create %s: %s", out < 0 ? tmp : itmp,
			    strerror(-r));
		goto out;
	}
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		r = -ENOMEM;
		shmw_seterr(err, errlen, "cannot compress %s: out of memory", src);
		goto out;
	}
	zinit = true;
	if (prev) {
		/* The checkpoint: the state after prev, carried through this file's lines. */
		flags = IDX_CKPT | (base_state(prev, &segs) ? IDX_CKPT_COMPLETE : 0);
		b.segs = &segs;
	}
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		shmw_seterr(err, errlen, "cannot compress %s: out of memory", src);
		goto out;
	}
	/* Blocks of whole lines: read, cut at the last newline before SHMW_LOGSET_BLOCK (or
	 * after it, for a longer line), deflate, keep the rest for the next block. */
	for (bool eof = false; !eof || have;) {
		ssize_t n = 0;

		if (!eof && have < want) {
			if (cap - have < SHMW_LOGSET_BLOCK) {
				char *nb = realloc(buf, cap * 2);

				if (!nb) {
					r = -ENOMEM;
					break;
				}
				buf = nb;
				cap *= 2;
			}
			n = read(in, buf + have, cap - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = -errno;
				break;
			}
			eof = n == 0;
			have += (size_t)n;
			if (!eof && have < want)
				continue;
		}
		if (!have)
			break;
		size_t cut = have < SHMW_LOGSET_BLOCK ? have : SHMW_LOGSET_BLOCK;
		struct idx_block blk = {.tmin = UINT64_MAX, .tmax = UINT64_MAX};

		while (cut > 0 && buf[cut - 1] != '\n')
			cut--;
		if (!cut) {
			/* One line longer than a block: up to its newline, or all at the end. */
			const char *nl = memchr(buf, '\n', have);

			if (!nl && !eof) {
				want = have + SHMW_LOGSET_BLOCK; /* read more of it */
				continue;
			}
			cut = nl ? (size_t)(nl - buf) + 1 : have;
		}
		for (size_t o = 0; o < cut;) {
			const char *nl = memchr(buf + o, '\n', cut - o);
			size_t l = nl ? (size_t)(nl - buf - o) : cut - o;

			if (l && (r = note_line(&b, buf + o, l, &blk)))
				break;
			o += l + 1;
		}
		if (r)
			break;
		r = put_block(out, &zs, &b, &blk, buf, cut, &off, &zbuf, &zcap);
		if (r)
			break;
		memmove(buf, buf + cut, have - cut);
		have -= cut;
		want = SHMW_LOGSET_BLOCK;
	}
	if (r) {
		shmw_seterr(err, errlen, "cannot compress %s: %s", src, strerror(-r));
		goto out;
	}
	if (b.segs) {
		shmw_rsegs_write(&segs, &ckpt);
		if (ckpt.oom) {
			r = -ENOMEM;
			shmw_seterr(err, errlen, "cannot compress %s: out of memory", src);
			goto out;
		}
	}
	if (fstat(out, &st) < 0 || (r = write_index(iout, &b, &st, flags, &ckpt)) < 0) {
		r = r ? r : -errno;
		shmw_seterr(err, errlen, "cannot write %s: %s", itmp, strerror(-r));
		goto out;
	}
	if (close(out) < 0 || close(iout) < 0) {
		out = iout = -1;
		r = -errno;
		shmw_seterr(err, errlen, "cannot write %s: %s", tmp, strerror(-r));
		goto out;
	}
	out = iout = -1;
	/* Into place together: a reader opening the set (under lock) sees either the plain
	 * file or the compressed one with its index, never neither. */
	if (lock)
		pthread_mutex_lock(lock);
	if (rename(tmp, dst) < 0 || rename(itmp, idx) < 0) {
		r = -errno;
		shmw_seterr(err, errlen, "cannot rename %s to %s: %s", tmp, dst, strerror(-r));
	} else if (unlink(src) < 0) {
		r = -errno;
		shmw_seterr(err, errlen, "cannot remove %s: %s", src, strerror(-r));
	}
	if (lock)
		pthread_mutex_unlock(lock);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (iout >= 0)
		close(iout);
	if (r) {
		unlink(tmp);
		unlink(itmp);
	}
	if (zinit)
		deflateEnd(&zs);
	free(buf);
	free(zbuf);
	free(b.blocks);
	free(b.t);
	shmw_rsegs_free(&segs);
	shmw_jbuf_free(&ckpt);
	return r;
}

bool shmw_logfile_checkpoint(const struct shmw_logfile *f, uint64_t *tmax, bool *complete)
{
	if (!f->idx || !(f->idx->h->flags & IDX_CKPT))
		return false;
	*tmax = f->idx->h->tmax;
	*complete = (f->idx->h->flags & IDX_CKPT_COMPLETE) != 0;
	return true;
}

int shmw_logfile_checkpoint_load(const struct shmw_logfile *f, uint32_t shmid, bool any_ns,
				 uint32_t ns, struct shmw_rsegs *segs)
{
	const char *p, *end;
	int r = 0;

	if (!f->idx || !(f->idx->h->flags & IDX_CKPT))
		return -ENOENT;
	p = f->idx->ckpt;
	end = p + f->idx->h->ckpt_len;
	/* Lines start "SHMID NS ": read the two numbers, parse only the lines wanted. */
	while (p < end && !r) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e;
		unsigned long id = strtoul(p, &e, 10), n = 0;

		if (*e == ' ')
			n = strtoul(e + 1, &e, 10);
		if (id == shmid && (any_ns || n == ns))
			r = shmw_rsegs_load(segs, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return r;
}
