// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * shmwatch kernel side: the live map of SysV shared memory attachers, and the segments'
 * lifecycle, sent to user space in one ordered ring buffer (docs/design.md).
 *
 * One translation unit in layers, each using only what the ones before it define:
 *   common  constants, configuration, the ring buffer and emit(), counters
 *   vma     recognising and counting SysV VMAs (walks, lookups, probes)
 *   segs    segments: the kernel's own table, identity, create/rmid/destroy
 *   holds   address spaces and their holdings (per mm and segment, no fixed bound), sharers
 *   fentry  fentry mode: counting at ipc/shm.c's own counting points
 *   procs   fork, exec, exit, the end of an address space, uid and name changes
 *   calls   the system calls: VMA-changing ones by range, shmat, shmget, shmctl
 *   seed    walks of every task, and the IPC namespaces with a process in each
 * Functions that many paths call are global (__noinline, not static): the verifier checks a
 * global function once, instead of once per call site and loop state.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "shmwatch_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "common.bpf.h"
#include "vma.bpf.h"
#include "segs.bpf.h"
#include "holds.bpf.h"
#include "fentry.bpf.h"
#include "procs.bpf.h"
#include "calls.bpf.h"
#include "seed.bpf.h"
