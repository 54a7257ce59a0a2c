#!/bin/sh
# Holders leave by exit(0), by the exit op, by a child's exit and by kill -9.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold a create "$(new_key)" 12288 attach fork || finish
ID=$(hval a shmid)
A=$(hpid a)
AC=$(hval a child)
hold b use "$ID" attach || finish
B=$(hpid b)
hold c use "$ID" attach attach pause exit || finish
C=$(hpid c)

expect_kernel "kernel: four holders" "$ID" 5 "$A $AC $B $C"
check_who "who with four holders" "$ID"

hcont a "$AC" || finish
wait_until "child $AC to exit" dead "$AC"
expect_kernel "kernel: forked child exited" "$ID" 4 "$A $B $C"
check_who "who after the child's exit" "$ID"

hend b KILL || finish
expect_kernel "kernel: kill -9" "$ID" 3 "$A $C"
check_who "who after kill -9" "$ID"
check_ps "ps of the killed process: no such process" "$B"
check_log "log: detach by exit for the killed process" detach exit "$B" "$ID"

hcont c || finish
wait_until "$C to exit" dead "$C"
wait "$C" 2>/dev/null
expect_kernel "kernel: exit with 2 attachments" "$ID" 1 "$A"
check_who "who after exit() with 2 attachments" "$ID"

hend a || finish
expect_kernel "kernel: last holder exited" "$ID" 0 ""
check_who "who after the last exit" "$ID"
check_ls "ls"
finish
