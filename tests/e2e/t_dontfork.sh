#!/bin/sh
# MADV_DONTFORK: a forked child inherits nothing. MADV_DOFORK on half: the parent's VMA splits
# (vmas 2) and the child gets the one half (nattch 3).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold a create "$(new_key)" 12288 attach dontfork fork || finish
ID=$(hval a shmid)
A=$(hpid a)
AC=$(hval a child)

expect_kernel "kernel: DONTFORK child holds nothing" "$ID" 1 "$A"
check_who "who: only the parent" "$ID"
check_ps "ps of the DONTFORK child: nothing" "$AC"
check_ps "ps of the parent" "$A"

hold b create "$(new_key)" 16384 attach dontfork dofork-half fork || finish
ID2=$(hval b shmid)
B=$(hpid b)
BC=$(hval b child)
expect_kernel "kernel: DOFORK half: 2 + 1 VMAs" "$ID2" 3 "$B $BC"
check_who "who: parent vmas 2, child vmas 1" "$ID2"
check_ps "ps of the DOFORK child" "$BC"
check_ls "ls"
finish
