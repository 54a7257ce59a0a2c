// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of tracepoint mode's event cost: programs that return at once, on the hooks the
 * bench's loops reach in shmwatchd (the shmat and shmdt syscall tracepoints, fork, exec, exit,
 * exit_mmap). A loop run with these attached costs what the kernel's tracepoint and BPF
 * dispatch cost before any of shmwatch's own work (bench/README.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tracepoint/syscalls/sys_enter_shmat")
int floor_enter_shmat(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_shmat")
int floor_exit_shmat(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_shmdt")
int floor_enter_shmdt(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_shmdt")
int floor_exit_shmdt(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int floor_fork(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int floor_exec(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int floor_exit(void *ctx)
{
	return 0;
}

SEC("tp_btf/exit_mmap")
int floor_exit_mmap(void *ctx)
{
	return 0;
}
