// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel symbol addresses from /proc/kallsyms (see kallsyms.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "kallsyms.h"

int shmw_ksym_addr(const char *path, const char *name, uint64_t *addr)
{
	char line[512], sym[256], type;
	uint64_t a;
	FILE *f = fopen(path, "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* "ffffffff81a6c600 t shm_mmap" (module symbols add "\t[mod]") */
		if (sscanf(line, "%" SCNx64 " %c %255s", &a, &type, sym) != 3)
			continue;
		if (strcmp(sym, name) != 0)
			continue;
		if (type != 't' && type != 'T')
			continue;
		*addr = a;
		ret = a ? 0 : -EPERM;
		break;
	}
	fclose(f);
	return ret;
}
