#!/bin/sh
# A clone(CLONE_VM) sibling shares the mm: when the original exits the sibling still holds and
# who names it; when the sibling exits nobody holds.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach clone-vm || finish
ID=$(hval h shmid)
P=$(hpid h)
S=$(hval h sibling)
echo "$S" >>"$T/pids"

expect_kernel "kernel: original and sibling, one mm" "$ID" 1 "$P $S"
check_who "who: original and sibling share one mm" "$ID"
check_eq "original role owner" owner who_holder_field "$ID" "$P" role

hend h || finish
expect_kernel "kernel: original exited, sibling holds, nattch 1" "$ID" 1 "$S"
check_who "who names the sibling" "$ID"
check_eq "sibling is now the owner" owner who_holder_field "$ID" "$S" role
check_ps "ps of the sibling" "$S"
check_ps "ps of the exited original" "$P"

kill -USR1 "$S"
wait_until "sibling $S to exit" dead "$S"
expect_kernel "kernel: sibling exited, nobody holds" "$ID" 0 ""
check_who "who after the sibling exited" "$ID"
finish
