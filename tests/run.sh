#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs shmwatch's tests and prints a closing line "N passed, N failed" (", N skipped" when some
# were skipped). Exit 1 if anything failed. POSIX sh: also runs under busybox.
#
#   tests/run.sh OUTDIR [unit|e2e|all] [NAME...]
#
# unit: every OUTDIR/tests/test_* binary. It prints "PASS name" / "FAIL name: why" lines; each
#	line counts. A non-zero exit (or a crash) without a FAIL line counts as one failure, and so
#	does a binary that checked nothing.
# e2e:	every tests/e2e/t_*.sh (or only the NAMEs given), each in its own scratch dir with a
#	timeout (SHMW_TEST_TIMEOUT, 120 s). Scenarios print PASS/FAIL/SKIP lines (tests/e2e/lib.sh).
#	Not root: each scenario counts as one skip ("needs root for BPF"), except those with a line
#	"# shmw-test: unprivileged" (no BPF: t_fuzz.sh). A scenario that exits
#	non-zero without a FAIL line, or prints no result at all, counts as one failure.
#	A scenario with a line "# shmw-test: explicit" runs only when named (a full run counts it as
#	skipped): one that is written to its final strictness but not enabled yet.
#	SHMW_KEEP=1 keeps every scratch dir (failed ones are always kept). In CI (CI=true) a run that is
#	not root fails instead of skipping: BPF is what these tests are about.
#
# The summary counts apart the passes of checks of a scenario's own setup (names starting with
# "kernel:", or "WORD: kernel:"; expect_kernel: what the kernel shows, not what shmwatch says).
#
# SHMW_LOAD_FACTOR (measured here once when unset, printed): how much slower than a quiet machine
#	this one runs now; scenarios scale the upper bounds of time windows and poll timeouts by it.
# SHMW_TEST_NOISE=1: the e2e scenarios run alongside a foreign load that lasts the whole run
#	(tests/e2e/noise.sh: foreign IPC namespaces holding small shmids, a process attaching and
#	detaching in a loop, another shmwatchd): a scenario that compares more than it owns fails.

set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 OUTDIR [unit|e2e|all] [NAME...]" >&2
	exit 2
fi
OUTDIR=$(cd "$1" 2>/dev/null && pwd) || {
	echo "run.sh: no build directory $1" >&2
	exit 2
}
WHAT=${2:-all}
if [ $# -ge 2 ]; then shift 2; else shift 1; fi
case $WHAT in
unit | e2e | all) ;;
*)
	echo "usage: $0 OUTDIR [unit|e2e|all] [NAME...]" >&2
	exit 2
	;;
esac
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${SHMW_TEST_TIMEOUT:-120}

passed=0
failed=0
skipped=0
setup=0
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/shmw-run.XXXXXX") || exit 2

# count FILE: adds FILE's PASS/FAIL/SKIP lines to the totals; sets nl_fail, nl_any.
count() {
	nl_pass=$(grep -c '^PASS ' "$1")
	nl_fail=$(grep -c '^FAIL ' "$1")
	nl_skip=$(grep -c '^SKIP ' "$1")
	nl_setup=$(grep -c -e '^PASS [^ ]*: kernel:' -e '^PASS [^ ]*: [^ :]*: kernel:' "$1")
	passed=$((passed + nl_pass))
	failed=$((failed + nl_fail))
	skipped=$((skipped + nl_skip))
	setup=$((setup + nl_setup))
}

# run_limited OUTFILE CMD...: runs CMD with output to OUTFILE and a watchdog that sends SIGTERM
# after TIMEOUT s (then SIGKILL 10 s later). Sets rc and timed_out.
run_limited() {
	rl_out=$1
	shift
	rm -f "$RUN_DIR/timeout"
	"$@" >"$rl_out" 2>&1 </dev/null &
	rl_pid=$!
	(
		n=0
		while [ "$n" -lt "$TIMEOUT" ]; do
			sleep 1
			kill -0 "$rl_pid" 2>/dev/null || exit 0
			n=$((n + 1))
		done
		: >"$RUN_DIR/timeout"
		kill -TERM "$rl_pid" 2>/dev/null
		n=0
		while [ "$n" -lt 10 ]; do
			sleep 1
			kill -0 "$rl_pid" 2>/dev/null || exit 0
			n=$((n + 1))
		done
		kill -KILL "$rl_pid" 2>/dev/null
	) &
	rl_wd=$!
	wait "$rl_pid"
	rc=$?
	kill "$rl_wd" 2>/dev/null
	wait "$rl_wd" 2>/dev/null
	timed_out=0
	[ -e "$RUN_DIR/timeout" ] && timed_out=1
}

run_unit() {
	found=0
	for bin in "$OUTDIR"/tests/test_*; do
		[ -x "$bin" ] || continue
		found=1
		name=$(basename "$bin")
		out=$RUN_DIR/$name.out
		run_limited "$out" "$bin"
		if [ "$timed_out" = 1 ]; then
			echo "FAIL $name: timed out after $TIMEOUT s" >>"$out"
		elif [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$out"; then
			if [ "$rc" -gt 128 ]; then
				echo "FAIL $name: killed by signal $((rc - 128)) without a FAIL line" >>"$out"
			else
				echo "FAIL $name: exit status $rc without a FAIL line" >>"$out"
			fi
		elif [ "$rc" = 0 ] && ! grep -q '^PASS \|^FAIL ' "$out"; then
			echo "FAIL $name: ran no checks" >>"$out"
		fi
		cat "$out"
		count "$out"
	done
	if [ "$found" = 0 ]; then
		echo "FAIL unit: no test binaries in $OUTDIR/tests (build them: make tests-bin)"
		failed=$((failed + 1))
	fi
}

# reap_scenario DIR: after a timeout, kill what the scenario left and remove its segments.
reap_scenario() {
	(
		SHMW_LIB_NOINIT=1
		SHMW_BUILD=$OUTDIR
		SHMW_TMP=$1
		# lib.sh takes its own dir from $0; it only defines functions with SHMW_LIB_NOINIT.
		# shellcheck source=e2e/lib.sh
		. "$TESTS_DIR/e2e/lib.sh"
		if [ -s "$1/daemon.pid" ]; then
			kill -KILL "$(cat "$1/daemon.pid")" 2>/dev/null
		fi
		reap "$1"
	)
}

run_e2e() {
	uid=$(awk '/^Uid:/ { print $3 }' /proc/self/status)
	found=0
	for t in "$TESTS_DIR"/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		if [ $# -gt 0 ]; then
			sel=0
			for want in "$@"; do
				[ "$want" = "$name" ] || [ "$want" = "$name.sh" ] && sel=1
			done
			[ "$sel" = 1 ] || continue
		elif grep -q '^# shmw-test: explicit' "$t"; then
			echo "SKIP $name: runs only when named (# shmw-test: explicit in $name.sh)"
			skipped=$((skipped + 1))
			continue
		fi
		found=1
		if [ "$uid" != 0 ] && ! grep -q '^# shmw-test: unprivileged' "$t"; then
			if [ "${CI:-}" = true ]; then
				echo "FAIL $name: needs root for BPF (uid $uid), and CI must run everything"
				failed=$((failed + 1))
			else
				echo "SKIP $name: needs root for BPF (uid $uid)"
				skipped=$((skipped + 1))
			fi
			continue
		fi
		dir=$RUN_DIR/$name
		mkdir -p "$dir"
		out=$dir/output
		echo "--- $name"
		run_limited "$out" env SHMW_BUILD="$OUTDIR" SHMW_TMP="$dir" \
			SHMW_LOAD_FACTOR="$SHMW_LOAD_FACTOR" sh "$t"
		if [ "$timed_out" = 1 ]; then
			reap_scenario "$dir"
			echo "FAIL $name: timed out after $TIMEOUT s (files in $dir)" >>"$out"
		elif [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$out"; then
			echo "FAIL $name: exit status $rc without a FAIL line" >>"$out"
		elif ! grep -q '^PASS \|^FAIL \|^SKIP ' "$out"; then
			echo "FAIL $name: printed no result" >>"$out"
		fi
		cat "$out"
		count "$out"
		if [ "$nl_fail" = 0 ] && [ "${SHMW_KEEP:-0}" != 1 ]; then
			rm -rf "$dir"
		fi
	done
	if [ "$found" = 0 ]; then
		echo "FAIL e2e: no scenario matched in $TESTS_DIR/e2e"
		failed=$((failed + 1))
	fi
}

# measure_load: the load factor: a fixed awk loop's wall time over the smaller of its CPU time
# (how long it would take alone: contention) and the time it takes on a quiet development
# machine (LOAD_REF_CS: a slower machine counts too), at least 1, at most 20.
LOAD_REF_CS=22
measure_load() {
	_ml0=$(awk '{ print int($1 * 100) }' /proc/uptime)
	# times: the CPU time of this subshell's children (the awk), user and system.
	_mlt=$(
		awk 'BEGIN { for (i = 0; i < 4000000; i++) s += i % 7; if (s < 0) print s }'
		times
	)
	_ml1=$(awk '{ print int($1 * 100) }' /proc/uptime)
	echo "$_mlt" | awk -v wall=$((_ml1 - _ml0)) -v ref="$LOAD_REF_CS" '
		function cs(t, m) { gsub(/[s ]/, "", t); m = index(t, "m")
			return (m ? substr(t, 1, m - 1) * 6000 + substr(t, m + 1) * 100 : t * 100) }
		NR == 2 { cpu = cs($1) + cs($2) }
		END { base = (cpu >= 1 && cpu < ref) ? cpu : ref; f = wall / base
			if (f < 1) f = 1; if (f > 20) f = 20
			printf "%.1f %d %d\n", f, wall, cpu }'
}

if [ -z "${SHMW_LOAD_FACTOR:-}" ]; then
	_ml=$(measure_load)
	SHMW_LOAD_FACTOR=$(echo "$_ml" | cut -d" " -f1)
	echo "load factor $SHMW_LOAD_FACTOR (a fixed loop took $(echo "$_ml" | cut -d" " -f2) cs, $(echo "$_ml" |
		cut -d" " -f3) cs of CPU; $LOAD_REF_CS cs on a quiet machine)"
else
	echo "load factor $SHMW_LOAD_FACTOR (SHMW_LOAD_FACTOR)"
fi
export SHMW_LOAD_FACTOR

# The noise load (SHMW_TEST_NOISE=1), for the e2e scenarios.
NOISE=
noise_start() {
	[ "${SHMW_TEST_NOISE:-0}" = 1 ] || return 0
	if [ "$(awk '/^Uid:/ { print $3 }' /proc/self/status)" != 0 ]; then
		echo "noise: off (needs root)"
		return 0
	fi
	if sh "$TESTS_DIR/e2e/noise.sh" start "$RUN_DIR/noise" "$OUTDIR"; then
		NOISE=$RUN_DIR/noise
		echo "noise: on (5 foreign IPC namespaces holding shmids 0, 1, 2..., a process attaching and detaching every 20 ms, another shmwatchd)"
	else
		echo "FAIL noise: the noise load did not start (SHMW_TEST_NOISE=1)"
		failed=$((failed + 1))
	fi
}
noise_stop() {
	[ -n "$NOISE" ] || return 0
	sh "$TESTS_DIR/e2e/noise.sh" stop "$NOISE"
	rm -rf "$NOISE"
	NOISE=
}
trap 'noise_stop' EXIT
trap 'noise_stop; exit 130' INT
trap 'noise_stop; exit 143' TERM

case $WHAT in
unit) run_unit ;;
e2e)
	noise_start
	run_e2e "$@"
	;;
all)
	run_unit
	noise_start
	run_e2e "$@"
	;;
esac
noise_stop

rm -f "$RUN_DIR"/*.out "$RUN_DIR/timeout"
rmdir "$RUN_DIR" 2>/dev/null || echo "(scratch files of failed scenarios kept in $RUN_DIR)"
if [ "$setup" -gt 0 ]; then
	echo "of the $passed passes, $setup checked a scenario's own setup (kernel: ...) and $((passed - setup)) checked shmwatch"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
