#!/bin/sh
# Threads share the mm: one thread exiting changes nothing; exit_group drops the holder. A main
# thread that exits first (SYS_exit) leaves the process holding through its other threads.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach threads 3 pause thread-exit pause || finish
ID=$(hval h shmid)
P=$(hpid h)

expect_kernel "kernel: 4 threads, one holder" "$ID" 1 "$P"
check_who "who with 4 threads" "$ID"
hcont h || finish
expect_kernel "kernel: a thread exited, still held" "$ID" 1 "$P"
check_who "who after one thread exited" "$ID"
check_ps "ps after one thread exited" "$P"
hcont h || finish
hend h || finish
expect_kernel "kernel: exit_group, not held" "$ID" 0 ""
check_who "who after exit_group" "$ID"

hold l use "$ID" attach threads 2 leader-exit || finish
L=$(hpid l)
leader_gone() {
	[ -z "$(cat "/proc/$1/maps" 2>/dev/null)" ] && [ -d "/proc/$1/task" ]
}
wait_until "main thread of $L to exit" leader_gone "$L"
expect_kernel "kernel: main thread gone, threads still hold" "$ID" 1 "$L"
check_who "who names the process whose main thread exited" "$ID"
check_ps "ps of the process whose main thread exited" "$L"
hend l TERM || finish
expect_kernel "kernel: last threads killed" "$ID" 0 ""
check_who "who after the last threads died" "$ID"
finish
