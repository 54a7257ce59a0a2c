#!/bin/sh
# --mode: each mode this kernel runs counts right (shmat, fork, a split, exit, shmdt), and status,
# the metrics and the start-up log say which mode runs and why. Whether the kernel allows fentry
# is what --mode fentry does: it runs in fentry mode, or exits 1 saying that the kernel refused
# it (our 6.18 hosts: EPERM at load). --mode auto must then agree: fentry, or tracepoint with
# the refusal as its reason. tracepoint mode is asked for by name and must say so.
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

# 1. --mode fentry: runs, or refuses with a clear error and leaves nothing behind.
"$SHMWATCHD" --mode fentry --socket "$T/sock" --log-file "$T/events.jsonl" >"$T/fentry.log" 2>&1 &
FP=$!
echo "$FP" >>"$T/pids"
up_or_gone() { sw status >/dev/null 2>&1 || dead "$FP"; }
poll 15 up_or_gone
if sw status >/dev/null 2>&1; then
	FENTRY=allowed
	DPID=$FP
	pass "--mode fentry: the kernel allows fentry"
	check_eq "--mode fentry: status mode, reason" "fentry forced by --mode fentry" \
		status_field mode mode_reason
	check_eq "--mode fentry: metrics say fentry" fentry metrics_mode
	counts_right fentry
	stop_daemon
	rm -f "$T/events.jsonl"
else
	FENTRY=refused
	wait "$FP"
	check_eq "--mode fentry refused: exit status 1" 1 echo $?
	check "--mode fentry refused: the error says so" grep -q \
		'^shmwatchd: error: fentry mode refused by this kernel at [a-z]* (E[A-Z0-9]*): ' \
		"$T/fentry.log"
	REFUSED=$(sed -n 's/^shmwatchd: error: fentry mode refused by this kernel at [a-z]* (\(E[A-Z0-9]*\)): .*/\1/p' \
		"$T/fentry.log")
	check "--mode fentry refused: nothing serves the socket" sh -c "! '$SHMWATCH' --socket \
		'$T/sock' status >/dev/null 2>&1"
fi

# 2. --mode auto: fentry where allowed, else tracepoint with the refusal as its reason.
start_daemon --mode auto || finish
if [ "$FENTRY" = allowed ]; then
	check_eq "--mode auto: fentry" "fentry" status_field mode
	check_eq "--mode auto: why" "the kernel allows fexit on shm_mmap, shm_open and shm_close" \
		status_field mode_reason
else
	check_eq "--mode auto: falls back to tracepoint" tracepoint status_field mode
	# Where the kernel refuses every fexit program (EPERM), a probe program says so without
	# trying ours (user/daemon/kern/loader.c fexit_refused); it must predict what --mode fentry met.
	AT='at [a-z]*\( of a probe fexit program\)\?'
	reason_ok() { status_field mode_reason | grep -q "^fentry refused: E[A-Z0-9]* $AT\(\$\|; \)"; }
	check "--mode auto: the reason names the refusal ($(status_field mode_reason))" reason_ok
	refusal() { status_field mode_reason | sed -n 's/^fentry refused: \(E[A-Z0-9]*\) .*/\1/p'; }
	check_eq "--mode auto: the refusal is the one --mode fentry met" "$REFUSED" refusal
	check "--mode auto: so does the start-up log" grep -q \
		"BPF loaded: tracepoint mode (fentry refused: E[A-Z0-9]* $AT[);]" "$T/daemon.log"
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

check_rc "--mode with an unknown name is a usage error" 2 "$SHMWATCHD" --mode kprobe
finish
