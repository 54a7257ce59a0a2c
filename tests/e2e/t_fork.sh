#!/bin/sh
# A forked child inherits the attachment (how "fork", its own mm); its exit drops it again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach fork || finish
ID=$(hval h shmid)
P=$(hpid h)
C=$(hval h child)

expect_kernel "kernel: parent and child hold it" "$ID" 2 "$P $C"
check_who "who: parent and child, separate mm" "$ID"
check_eq "parent how is shmat" shmat who_holder_field "$ID" "$P" how
check_eq "child how is fork" fork who_holder_field "$ID" "$C" how
check_ps "ps parent" "$P"
check_ps "ps child" "$C"
check_log "log: attach by fork for the child, actor the parent" attach fork "$C" "$ID" "$P"

hcont h "$C" || finish
wait_until "child $C to exit" dead "$C"
expect_kernel "kernel: child gone" "$ID" 1 "$P"
check_who "who after the child exited" "$ID"
check_log "log: detach by exit for the child" detach exit "$C" "$ID"
check_ls "ls"
finish
