#!/bin/sh
# The process that made an address space execs while a clone(CLONE_VM) sibling still uses it:
# the sibling holds on and is named for it (it is no sharer any more); the exec'd process holds
# only what its new image attaches. Then the sibling exits: it holds nothing, nobody names it.
# shmwatch kept naming the exec'd process for the old address space, with the sibling as its
# sharer (the difftest's clone_vm then exec).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold s create "$(new_key)" 12288 || finish
ID=$(hval s shmid)
hold h use "$ID" attach clone-vm attach exec "$HOLD" --ready "$T/h.out" use "$ID" attach ||
	finish
P=$(hpid h)
S=$(hval h sibling)
echo "$S" >>"$T/pids"
wait_until "exec'd image of $P to be ready" hhas h ready || finish

expect_kernel "kernel: the sibling holds the old address space, the exec'd image its own" \
	"$ID" 3 "$P $S"
check_who "who: the sibling and the exec'd process, each its own address space" "$ID"
check_eq "the sibling is the owner now" owner who_holder_field "$ID" "$S" role
check_ps "ps of the sibling" "$S"
check_ps "ps of the exec'd process" "$P"

kill -USR1 "$S"
wait_until "sibling $S to exit" dead "$S"
expect_kernel "kernel: the sibling exited, the exec'd image holds" "$ID" 1 "$P"
check_who "who after the sibling exited" "$ID"
check_ps "ps of the exec'd process after the sibling exited" "$P"
finish
