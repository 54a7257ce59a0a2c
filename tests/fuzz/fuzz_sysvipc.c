// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: shmw_kseg_parse, the reader of /proc/sysvipc/shm data lines.
 *
 * The input is split into lines the way read_table() in user/daemon/kern/segtable.c sees them
 * (fgets into 512 bytes: longer lines arrive in pieces), each parsed on its own. A line that parses
 * has a non-negative shmid, and printing the result back in the kernel's column order parses to the
 * same struct (nothing is half-read or read from the wrong column). */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kseg.h"

#define LINE_MAX_READ 512 /* read_table()'s line buffer */

static bool kseg_equal(const struct shmw_kseg *a, const struct shmw_kseg *b)
{
	return a->ns == b->ns && a->shmid == b->shmid && a->key == b->key && a->perms == b->perms &&
	       a->size == b->size && a->cpid == b->cpid && a->lpid == b->lpid &&
	       a->nattch == b->nattch && a->uid == b->uid && a->gid == b->gid &&
	       a->cuid == b->cuid && a->cgid == b->cgid && a->atime == b->atime &&
	       a->dtime == b->dtime && a->ctime == b->ctime && a->rss == b->rss &&
	       a->swap == b->swap;
}

static void parse_one(const char *line)
{
	struct shmw_kseg k, k2;
	char out[LINE_MAX_READ];
	int r, n;

	memset(&k, 0xa5, sizeof(k));
	r = shmw_kseg_parse(line, &k);
	FUZZ_CHECK(r == 0 || r == -22, "parse returned %d", r);
	if (r)
		return;
	FUZZ_CHECK(k.shmid >= 0, "negative shmid %d accepted", k.shmid);
	FUZZ_CHECK(k.ns == 0, "ns set by the parser");
	/* The kernel's format (ipc/shm.c sysvipc_shm_proc_show), key signed as it prints it. */
	n = snprintf(out, sizeof(out),
		     "%10d %10d  %4o %21" PRIu64 " %5d %5d  %5" PRId64 " %5u %5u %5u %5u %10" PRId64
		     " %10" PRId64 " %10" PRId64 " %21" PRIu64 " %21" PRIu64 "\n",
		     (int32_t)k.key, k.shmid, k.perms, k.size, k.cpid, k.lpid, k.nattch, k.uid,
		     k.gid, k.cuid, k.cgid, k.atime, k.dtime, k.ctime, k.rss, k.swap);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(out), "reprint too long");
	FUZZ_CHECK(shmw_kseg_parse(out, &k2) == 0, "reprinted line does not parse: %s", out);
	FUZZ_CHECK(kseg_equal(&k, &k2), "reprint changed the segment: %s / %s", line, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *all, *line;
	size_t off = 0;

	/* The whole input as one string first (cut at a NUL, as a C string is). */
	all = malloc(size + 1);
	if (!all)
		return 0;
	memcpy(all, data, size);
	all[size] = '\0';
	parse_one(all);
	free(all);

	/* Then line by line, in exact-size buffers, as fgets would hand them over. */
	while (off < size) {
		size_t n = 0;

		while (off + n < size && n < LINE_MAX_READ - 1) {
			n++;
			if (data[off + n - 1] == '\n')
				break;
		}
		line = malloc(n + 1);
		if (!line)
			return 0;
		memcpy(line, data + off, n);
		line[n] = '\0';
		parse_one(line);
		free(line);
		off += n;
	}
	return 0;
}
