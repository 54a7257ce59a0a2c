/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel symbol addresses asked of the kernel by a BPF syscall program (bpf/ksym.bpf.c). */
#ifndef SHMW_KSYM_BPF_H
#define SHMW_KSYM_BPF_H
#include <stddef.h>
#include "kallsyms.h"

/* Looks up the symbols whose err is -ENOENT (at most 4), setting addr and err as shmw_ksyms
 * does. Returns 0, or -errno when the lookup cannot run here (kernels before 5.16): then the
 * caller reads /proc/kallsyms. */
int shmw_ksyms_bpf(struct shmw_ksym *syms, size_t n);
#endif
