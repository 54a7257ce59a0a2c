// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * make test-kernels: can this kernel load and attach fentry programs on ipc/shm.c's functions?
 * One program per function, each counting its calls; kernels/fentry-probe.c loads them one at
 * a time and drives a shmget/shmat/mprotect/IPC_RMID/shmdt sequence that calls every one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 hits[5] = {};

#define PROBE(idx, fn)                                                                             \
	SEC("fentry/" #fn)                                                                         \
	int probe_##fn(__u64 *ctx)                                                                 \
	{                                                                                          \
		(void)ctx;                                                                         \
		__sync_fetch_and_add(&hits[idx], 1);                                               \
		return 0;                                                                          \
	}

PROBE(0, shm_open)
PROBE(1, shm_close)
PROBE(2, shm_mmap)
PROBE(3, do_shmat)
PROBE(4, shm_destroy)

/* Not fentry: does tp_btf/sched_process_exit still see the exiting task's mm? (Before 6.16 the
 * tracepoint fires after exit_mm() has cleared task->mm.) 1: mm set, 2: mm NULL. */
__u32 parent_tgid = 0;
__u32 exit_mm_seen = 0;

SEC("tp_btf/sched_process_exit")
int BPF_PROG(probe_exit, struct task_struct *task)
{
	if (parent_tgid && task->real_parent->tgid == parent_tgid)
		exit_mm_seen = task->mm ? 1 : 2;
	return 0;
}
