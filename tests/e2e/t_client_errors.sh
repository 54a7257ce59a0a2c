#!/bin/sh
# Client exit codes: 1 no such segment/process, 2 usage, 3 daemon unreachable (with a hint).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
check_rc "status works" 0 sw status

# An id and a pid the kernel does not have.
BADID=2147483000
while "$ORACLE" seg "$BADID" >/dev/null; do BADID=$((BADID + 1)); done
check_rc "who of an unknown shmid exits 1" 1 sw who "$BADID"
check_rc "who --json of an unknown shmid exits 1" 1 sw --json who "$BADID"
BADPID=$(($(cat /proc/sys/kernel/pid_max) - 1))
while [ -e "/proc/$BADPID" ]; do BADPID=$((BADPID - 1)); done
check_rc "ps of an unknown pid exits 1" 1 sw ps "$BADPID"

check_rc "no command exits 2" 2 sw
check_rc "unknown command exits 2" 2 sw frobnicate
check_rc "who without SHMID exits 2" 2 sw who
check_rc "who with a non-numeric SHMID exits 2" 2 sw who abc
check_rc "who with a negative SHMID exits 2" 2 sw who -5
check_rc "who with a SHMID over INT_MAX exits 2" 2 sw who 2147483648
check_rc "who --ns without a value exits 2" 2 sw who 1 --ns
check_rc "ps without PID exits 2" 2 sw ps
check_rc "ps 0 exits 2" 2 sw ps 0
check_rc "events -n 10001 exits 2" 2 sw events -n 10001
check_rc "unknown option exits 2" 2 sw --frobnicate status

check_rc "unreachable socket exits 3" 3 "$SHMWATCH" --socket "$T/nosock" status
hint() { "$SHMWATCH" --socket "$T/nosock" status 2>&1 | grep "$T/nosock" | grep -q .; }
check "unreachable: the message names the socket" hint
hint2() { "$SHMWATCH" --socket "$T/nosock" status 2>&1 | grep -qi 'start\|running'; }
check "unreachable: the message has a hint" hint2
: >"$T/notasocket"
check_rc "a plain file as socket exits 3" 3 "$SHMWATCH" --socket "$T/notasocket" status

stop_daemon
DRC=$?
if [ "$DRC" = 0 ]; then
	pass "daemon exits 0 on SIGTERM"
else
	fail "daemon exits 0 on SIGTERM" "exit status $DRC"
fi
check_rc "stopped daemon: exits 3" 3 sw status
finish
