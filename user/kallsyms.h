/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel symbol addresses from /proc/kallsyms. */
#ifndef SHMW_KALLSYMS_H
#define SHMW_KALLSYMS_H
#include <stdint.h>

/* Address of a text symbol. Returns 0, -ENOENT if absent, -EPERM if the kernel hides
 * addresses from us (kptr_restrict: all zero), or -errno if the file cannot be read. */
int shmw_ksym_addr(const char *path, const char *name, uint64_t *addr);
#endif
