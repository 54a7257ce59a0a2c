#!/bin/sh
# --mode: each mode this kernel runs counts right (shmat, fork, a split, exit, shmdt), and status,
# the metrics and the start-up log say which mode runs and why. Whether the kernel allows fentry
# is asked apart from the daemon (kernels/fentry-probe, its own programs): --mode fentry runs
# where it does, and elsewhere exits 1 naming the errno the kernel gave the probe (our 6.18
# hosts: EPERM at load); --mode auto runs fentry, or tracepoint with that refusal as its reason.
# Where fentry is refused, its counts are a SKIP. tracepoint mode is asked for by name and must say so.
# The default loads the programs in two instances of the object at once; SHMWATCH_ONE_LOAD=1 in
# one: both count right.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# counts_right MODE: a holder, its forked child, a split, the child's exit and a shmdt, each
# compared with the kernel.
counts_right() {
	hold "$1" create "$(new_key)" 12288 attach fork mprotect-half pause detach pause ||
		return 1
	_id=$(hval "$1" shmid)
	_p=$(hpid "$1")
	_c=$(hval "$1" child)
	expect_kernel "$1: kernel: parent (split in two) and child" "$_id" 3 "$_p $_c"
	check_who "$1: who after shmat, fork and a split" "$_id"
	check_eq "$1: child how is fork" fork who_holder_field "$_id" "$_c" how
	hcont "$1" "$_c" || return 1
	wait_until "$1: child $_c to exit" dead "$_c" || return 1
	expect_kernel "$1: kernel: child gone" "$_id" 2 "$_p"
	check_who "$1: who after the child's exit" "$_id"
	hcont "$1" || return 1
	expect_kernel "$1: kernel: detached" "$_id" 0 ""
	check_who "$1: who after shmdt" "$_id"
	check_log "$1: log: detach by shmdt" detach shmdt "$_p" "$_id"
	hcont "$1"
	hend "$1"
}

metrics_mode() {
	sw metrics | sed -n 's/^shmwatch_info{.*mode="\([a-z]*\)".*} 1$/\1/p'
}

# 0. What the kernel allows, asked independently of the daemon: kernels/fentry-probe loads and
# attaches an fentry program on each of ipc/shm.c's functions, alone. The daemon's fentry mode
# needs shm_mmap, shm_open and shm_close. KERNEL_FENTRY: allowed, or the errno name (EPERM, ...)
# of the first of them the kernel refused.
PROBE=
for p in "$SHMW_BUILD/kernels/fentry-probe" "$SHMW_BUILD/../kernels/fentry-probe"; do
	[ -x "$p" ] && PROBE=$p && break
done
if [ -z "$PROBE" ]; then
	fail "no kernels/fentry-probe next to $SHMW_BUILD (make tests-bin builds it): nothing to" \
		"compare the daemon's modes with"
	finish
fi
"$PROBE" >"$T/probe.out" 2>&1
KERNEL_FENTRY=$(awk '$1 ~ /^fentry\/(shm_mmap|shm_open|shm_close):$/ {
		n++; if ($2 != "ok:" && $2 != "ok" && err == "") {
			err = $NF; gsub(/[()]/, "", err); if (err !~ /^E[A-Z0-9]+$/) err = "unknown" } }
	END { if (n != 3) print "no-answer"; else if (err != "") print err; else print "allowed" }' \
	"$T/probe.out")
case $KERNEL_FENTRY in
allowed | E*) pass "kernel: fentry-probe: fentry on shm_mmap, shm_open, shm_close: $KERNEL_FENTRY" ;;
*)
	fail "kernel: fentry-probe answered nothing usable about shm_mmap, shm_open, shm_close" \
		"$(cat "$T/probe.out")"
	finish
	;;
esac

# 1. --mode fentry: runs where the kernel allows it; else refuses, naming the kernel's refusal
# (the errno the probe met), and leaves nothing behind.
"$SHMWATCHD" --mode fentry --socket "$T/sock" --log-file "$T/events.jsonl" >"$T/fentry.log" 2>&1 &
FP=$!
echo "$FP" >>"$T/pids"
up_or_gone() { sw status >/dev/null 2>&1 || dead "$FP"; }
poll "$(scaled 15)" up_or_gone
if sw status >/dev/null 2>&1; then
	DPID=$FP
	if [ "$KERNEL_FENTRY" = allowed ]; then
		pass "--mode fentry runs: the kernel allows fentry (fentry-probe)"
	else
		fail "--mode fentry runs, but the kernel refuses fentry (fentry-probe: $KERNEL_FENTRY)" \
			"$(cat "$T/probe.out")"
	fi
	check_eq "--mode fentry: status mode, reason" "fentry forced by --mode fentry" \
		status_field mode mode_reason
	check_eq "--mode fentry: metrics say fentry" fentry metrics_mode
	counts_right fentry
	stop_daemon
	rm -f "$T/events.jsonl"
else
	wait "$FP"
	FRC=$?
	if [ "$KERNEL_FENTRY" != allowed ]; then
		pass "--mode fentry refused: the kernel refuses fentry (fentry-probe: $KERNEL_FENTRY)"
	else
		fail "--mode fentry refused, but the kernel allows fentry (fentry-probe)" \
			"$(cat "$T/fentry.log")"
	fi
	check_eq "--mode fentry refused: exit status 1" 1 echo "$FRC"
	check "--mode fentry refused: the error says so" grep -q \
		'^shmwatchd: error: fentry mode refused by this kernel at [a-z]* (E[A-Z0-9]*): ' \
		"$T/fentry.log"
	REFUSED=$(sed -n 's/^shmwatchd: error: fentry mode refused by this kernel at [a-z]* (\(E[A-Z0-9]*\)): .*/\1/p' \
		"$T/fentry.log")
	check_eq "--mode fentry refused: the errno is the kernel's (fentry-probe)" "$KERNEL_FENTRY" \
		echo "$REFUSED"
	check "--mode fentry refused: nothing serves the socket" sh -c "! '$SHMWATCH' --socket \
		'$T/sock' status >/dev/null 2>&1"
	skip "fentry: counts not checked in fentry mode: this kernel refuses fentry ($KERNEL_FENTRY)"
fi

# 2. --mode auto: fentry where allowed, else tracepoint with the kernel's refusal as its reason.
start_daemon --mode auto || finish
if [ "$KERNEL_FENTRY" = allowed ]; then
	check_eq "--mode auto: fentry" "fentry" status_field mode
	check_eq "--mode auto: why" "the kernel allows fexit on shm_mmap, shm_open and shm_close" \
		status_field mode_reason
else
	check_eq "--mode auto: falls back to tracepoint" tracepoint status_field mode
	# Where the kernel refuses every fexit program (EPERM), a probe program says so without
	# trying ours (user/daemon/kern/loader.c fexit_refused); it must say what fentry-probe met.
	AT='at [a-z]*\( of a probe fexit program\)\?'
	reason_ok() { status_field mode_reason | grep -q "^fentry refused: E[A-Z0-9]* $AT\(\$\|; \)"; }
	check "--mode auto: the reason names the refusal ($(status_field mode_reason))" reason_ok
	refusal() { status_field mode_reason | sed -n 's/^fentry refused: \(E[A-Z0-9]*\) .*/\1/p'; }
	check_eq "--mode auto: the refusal is the kernel's (fentry-probe)" "$KERNEL_FENTRY" refusal
	check "--mode auto: so does the start-up log" grep -q \
		"BPF loaded: tracepoint mode (fentry refused: $KERNEL_FENTRY ${AT}[);]" "$T/daemon.log"
	check_eq "--mode auto: metrics say tracepoint" tracepoint metrics_mode
	check "--mode auto: the refusal is no libbpf warning" sh -c "! grep -q 'warning: libbpf' '$T/daemon.log'"
fi
counts_right auto
stop_daemon
rm -f "$T/events.jsonl"

# 3. --mode tracepoint: never tries fentry.
start_daemon --mode tracepoint || finish
check_eq "--mode tracepoint: status mode" tracepoint status_field mode
# Kernels without the VMA iterator (6.1) add how they count VMA changes after the reason.
forced_tp() { status_field mode_reason | grep -q '^forced by --mode tracepoint\($\|; \)'; }
check "--mode tracepoint: the reason says so ($(status_field mode_reason))" forced_tp
counts_right tracepoint
stop_daemon
rm -f "$T/events.jsonl"

# 4. The programs load in two instances at once by default (sections 2 and 3 counted with
# that), and in one with SHMWATCH_ONE_LOAD=1, which counts the same. The start-up log (-v) says
# which.
two_loads() { grep -c 'start-up: the second instance loaded' "$T/daemon.log"; }
start_daemon -v || finish
check_eq "by default: two loads at once (start-up log)" 1 two_loads
stop_daemon
rm -f "$T/events.jsonl"
SHMWATCH_ONE_LOAD=1
export SHMWATCH_ONE_LOAD
start_daemon -v || finish
unset SHMWATCH_ONE_LOAD
check_eq "SHMWATCH_ONE_LOAD=1: one load (start-up log)" 0 two_loads
counts_right one_load
stop_daemon

check_rc "--mode with an unknown name is a usage error" 2 "$SHMWATCHD" --mode kprobe
finish
