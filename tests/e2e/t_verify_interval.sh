#!/bin/sh
# --verify-interval: every N seconds the daemon walks every process again and repairs what
# differs (README.md, Staying right); 0 leaves it to `shmwatch verify`.
# The difference to repair is a real one: madvise through io_uring (IORING_OP_MADVISE) cuts a
# SysV VMA without the madvise syscall, which tracepoint mode cannot see (fentry mode counts it
# in shm_open as it happens). So in tracepoint mode `who` says 1 VMA where the kernel has 3
# until a walk; with --verify-interval 1 that is within about a second, logged as a resync line,
# and the daemon's log names the periodic verify; with --verify-interval 0 nothing repairs it
# (2 s) until `shmwatch verify`, which lists it and exits 5. Where io_uring is switched off
# (kernel.io_uring_disabled) the kernel refuses the call: then only the periodic runs are checked.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# verifies: how many periodic or requested verify walks the daemon has logged.
verifies() {
	grep -c 'resync (verify)' "$T/daemon.log"
}
at_least() { # at_least N CMD...: CMD prints a number >= N
	_al=$1
	shift
	[ "$("$@")" -ge "$_al" ]
}
# cut_by H: how H's holding got its last count: "event cause vmas".
cut_by() {
	log_about "$(hval "$1" shmid)" | "$JSONX" . pid event cause vmas |
		awk -v p="$(hpid "$1")" '$1 == p && $2 ~ /^(attach|detach|vmas)$/ { l = $2 " " $3 " " $4 }
			END { print l }'
}
# uring_cut H: continues H through its io_uring madvise; prints 3 (cut) or 1 (refused).
uring_cut() {
	hcont "$1" >/dev/null || return 1
	if hhas "$1" refused; then
		echo 1
	else
		echo 3
	fi
}

# 1. --verify-interval 1.
start_daemon --verify-interval 1 || finish
MODE=$(status_field mode)
hold h create "$(new_key)" 16384 attach pause uring-madvise-page 1 random || finish
ID=$(hval h shmid)
H=$(hpid h)
expect_kernel "kernel: one VMA" "$ID" 1 "$H"
check_who "who before the io_uring madvise" "$ID"
N=$(uring_cut h) || finish
if [ "$N" = 1 ]; then
	pass "io_uring refused by this kernel ($(hval h refused 4)): no cut to repair"
fi
expect_kernel "kernel: io_uring madvise of page 1: nattch $N" "$ID" "$N" "$H"
# The repair takes up to an interval plus a tick: within SHMW_WAIT (5 s).
check_who "who equals the kernel again within the interval" "$ID"
check_ps "ps too" "$H"
if [ "$N" = 3 ] && [ "$MODE" = tracepoint ]; then
	check_eq "log: the cut came as a resync line (a walk found it)" "vmas resync 3" cut_by h
	check "daemon log: the periodic verify repaired it" \
		grep -q 'resync (verify): [0-9]* differences repaired' "$T/daemon.log"
elif [ "$N" = 3 ]; then
	check_eq "log: fentry mode saw the cut as it happened" "vmas split 3" cut_by h
fi
V0=$(verifies)
check "the periodic verify runs every second (2 more runs after $V0)" \
	poll 4 at_least "$((V0 + 2))" verifies
hend h || finish
stop_daemon

# 2. --verify-interval 0: no periodic walk; `shmwatch verify` does it.
start_daemon --verify-interval 0 || finish
hold g create "$(new_key)" 16384 attach pause uring-madvise-page 1 random || finish
ID=$(hval g shmid)
G=$(hpid g)
expect_kernel "interval 0: kernel: one VMA" "$ID" 1 "$G"
check_who "interval 0: who before the io_uring madvise" "$ID"
N=$(uring_cut g) || finish
expect_kernel "interval 0: kernel: io_uring madvise of page 1: nattch $N" "$ID" "$N" "$G"
let_time_pass 2
check_eq "interval 0: no verify ran in 2 s" 0 verifies
if [ "$N" = 3 ] && [ "$MODE" = tracepoint ]; then
	# The blind spot the interval exists for (README.md, Staying right).
	check_eq "interval 0: tracepoint mode did not see the io_uring cut: who still says 1 VMA" \
		1 who_holder_field "$ID" "$G" vmas
	check_rc "shmwatch verify finds the difference: exit 5" 5 sw verify
	check_eq "verify: it was repaired with a resync line" "vmas resync 3" cut_by g
else
	check_rc "shmwatch verify: nothing to repair here: exit 0" 0 sw verify
fi
check_who "interval 0: who after shmwatch verify" "$ID"
check_ps "interval 0: ps after shmwatch verify" "$G"
finish
