/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel symbol addresses from /proc/kallsyms. */
#ifndef SHMW_KALLSYMS_H
#define SHMW_KALLSYMS_H
#include <stddef.h>
#include <stdint.h>

/* One text symbol to look up: name in, addr and err out. err is 0, -ENOENT if absent, or
 * -EPERM if the kernel hides addresses from us (kptr_restrict: all zero). */
struct shmw_ksym {
	const char *name;
	uint64_t addr;
	int err;
};

/* Looks up n symbols in one pass over the file, which stops once all are found (the file
 * has over 100k lines and the kernel formats each as it is read). Returns 0, or -errno if
 * the file cannot be read. */
int shmw_ksyms(const char *path, struct shmw_ksym *syms, size_t n);
#endif
