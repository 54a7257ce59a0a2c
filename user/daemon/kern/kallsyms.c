// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel symbol addresses from /proc/kallsyms (see kallsyms.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"

int shmw_ksyms(const char *path, struct shmw_ksym *syms, size_t n)
{
	char line[512], *name, *end;
	size_t left = n;
	uint64_t a;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		syms[i].err = -ENOENT;
	while (left && fgets(line, sizeof(line), f)) {
		/* "ffffffff81a6c600 t shm_mmap" (module symbols add "\t[mod]"): split by hand,
		 * sscanf per line is most of the time of a whole-file read. */
		a = strtoull(line, &end, 16);
		if (end[0] != ' ' || (end[1] != 't' && end[1] != 'T') || end[2] != ' ')
			continue;
		name = end + 3;
		name[strcspn(name, " \t\n")] = 0;
		for (size_t i = 0; i < n; i++) {
			if (syms[i].err != -ENOENT || strcmp(name, syms[i].name) != 0)
				continue;
			syms[i].addr = a;
			syms[i].err = a ? 0 : -EPERM;
			left--;
		}
	}
	fclose(f);
	return 0;
}
