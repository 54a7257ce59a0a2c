// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel symbol addresses without reading /proc/kallsyms: the kernel formats that file line by
 * line as it is read (tens of ms to reach shm_mmap), while this asks its own symbol table
 * (bpf_kallsyms_lookup_name, syscall programs, 5.16+). User space fills names and lens, runs
 * the program once (BPF_PROG_RUN) and reads addrs and errs (user/daemon/kern/ksym_bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define KSYM_MAX 4
#define KSYM_LEN 48

char names[KSYM_MAX][KSYM_LEN] = {};
__u32 lens[KSYM_MAX] = {}; /* strlen + 1: the helper wants the NUL as the last byte */
__u64 addrs[KSYM_MAX] = {};
long errs[KSYM_MAX] = {};

SEC("syscall")
int lookup(void *ctx)
{
	int i;

	for (i = 0; i < KSYM_MAX; i++) {
		__u32 len = lens[i];

		if (len < 2 || len > KSYM_LEN) {
			errs[i] = -22; /* EINVAL */
			continue;
		}
		errs[i] = bpf_kallsyms_lookup_name(names[i], len, 0, &addrs[i]);
	}
	return 0;
}
