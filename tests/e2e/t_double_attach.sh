#!/bin/sh
# Two shmat calls of one segment in one process: one holder with vmas 2 (nattch 2); shmdt of one
# leaves vmas 1.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach attach pause detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)

expect_kernel "kernel: two attachments, one process" "$ID" 2 "$P"
check_who "who: one holder with 2 vmas" "$ID"
check_eq "holder vmas is 2" 2 who_holder_field "$ID" "$P" vmas
check_ps "ps: one segment, 2 vmas" "$P"

hcont h || finish
expect_kernel "kernel: one attachment left" "$ID" 1 "$P"
check_who "who after one shmdt" "$ID"
check_ps "ps after one shmdt" "$P"
check_ls "ls"
finish
