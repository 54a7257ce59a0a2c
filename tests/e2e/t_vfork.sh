#!/bin/sh
# A vfork child shares its parent's mm: both are named (same mm, vmas 1, nattch stays 1); after
# the child's _exit only the parent holds.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach vfork || finish
ID=$(hval h shmid)
P=$(hpid h)
V=$(hval h vfork-child)

expect_kernel "kernel: vfork child maps it, nattch stays 1" "$ID" 1 "$P $V"
check_who "who: parent and vfork child share one mm" "$ID"
check_eq "parent role owner" owner who_holder_field "$ID" "$P" role
check_eq "vfork child role sharer" sharer who_holder_field "$ID" "$V" role
check_ps "ps of the vfork child" "$V"

hcont h "$V" || finish
wait_until "vfork child $V to exit" dead "$V"
expect_kernel "kernel: after _exit, parent only, nattch 1" "$ID" 1 "$P"
check_who "who after the vfork child exited" "$ID"
check_eq "parent role owner after" owner who_holder_field "$ID" "$P" role

# posix_spawn-style: the vfork child execs at once; the parent keeps holding, the child does not.
hold e use "$ID" attach vfork-exec "$HOLD" --ready "$T/e.out" || finish
E=$(hpid e)
EC=$(hval e vfork-exec)
wait_until "the exec'd vfork child to be ready" hhas e ready
expect_kernel "kernel: the exec'd vfork child holds nothing" "$ID" 2 "$P $E"
check_who "who after vfork+exec" "$ID"
check_ps "ps of the exec'd vfork child" "$EC"
finish
