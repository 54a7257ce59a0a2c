#!/bin/sh
# The walks older kernels need (no open-coded VMA iterator before 6.7: the BPF side asks the
# daemon to walk one address space after a call it cannot count), forced here on any kernel with
# SHMWATCH_NO_VMA_ITER=1. Splits, partial unmaps, fork and shmdt stay exact, and each change is
# logged with its own cause and actor, not as a resync.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export SHMWATCH_NO_VMA_ITER=1
start_daemon || finish
check "daemon says VMA changes are recounted by walks" \
	grep -q "tracepoint mode (.*recounted by walks" "$T/daemon.log"
R0=$(status_field rescans)

hold h create "$(new_key)" 16384 attach pause mprotect-page 1 pause munmap-page 3 pause fork \
	pause detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)
expect_kernel "kernel: one VMA" "$ID" 1 "$P"
check_who "who before the split" "$ID"
hcont h || finish
expect_kernel "kernel: mprotect of page 1: 3 VMAs" "$ID" 3 "$P"
check_who "who after a 3-way split" "$ID"
check_log "log: vmas by split" vmas split "$P" "$ID"
hcont h || finish
expect_kernel "kernel: page 3 unmapped: still 3 VMAs" "$ID" 3 "$P"
check_who "who after unmapping the last page" "$ID"
hcont h || finish
C=$(hval h child)
expect_kernel "kernel: fork copied the 3 pieces" "$ID" 6 "$P $C"
check_who "who after fork" "$ID"
check_ps "ps of the child" "$C"
check_eq "child how is fork" fork who_holder_field "$ID" "$C" how
check_log "log: attach by fork for the child, actor the parent" attach fork "$C" "$ID" "$P"
hcont h || finish
expect_kernel "kernel: shmdt(start) detached the parent's pieces" "$ID" 3 "$C"
check_who "who after shmdt" "$ID"
check_log "log: detach by shmdt" detach shmdt "$P" "$ID"

hold d create "$(new_key)" 12288 attach dontfork fork || finish
ID2=$(hval d shmid)
D=$(hpid d)
DC=$(hval d child)
expect_kernel "kernel: DONTFORK child holds nothing" "$ID2" 1 "$D"
check_who "who: only the DONTFORK parent" "$ID2"
check_ps "ps of the DONTFORK child: nothing" "$DC"

no_resync() { ! log_about "$1" | grep -q '"resync"'; }
check "no change of the first segment was logged as a resync" no_resync "$ID"
check "no change of the second segment was logged as a resync" no_resync "$ID2"
R1=$(status_field rescans)
check "status counts the walks ($R0 before, $R1 after)" [ "$R1" -gt "$R0" ]
check_ls "ls"
finish
