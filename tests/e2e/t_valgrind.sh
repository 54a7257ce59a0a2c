#!/bin/sh
# The daemon under valgrind's memcheck for a short scenario: attach, detach, fork, vfork, exec,
# exit, IPC_RMID, every request (a malformed one and a follower that hangs up too), a verify; then
# SIGTERM. The daemon must still be right (who equals the kernel), exit 0 (not valgrind's 99),
# and memcheck must report no error and no definitely lost block.
#
# Memcheck's model of bpf(2) is incomplete (valgrind 3.19): it takes the kernel's writes on a
# per-CPU map lookup for one CPU's worth (tests/e2e/valgrind/shmw-vgshim.c, preloaded, tells it
# the rest was written too), and checks union bpf_attr fields that libbpf does not pass
# (tests/e2e/valgrind/shmwatchd.supp suppresses those, for calls libbpf makes only). Nothing else
# is suppressed. Needs valgrind (scripts/install-deps.sh installs it); skipped for a sanitizer
# build (build-san: ASan and memcheck cannot run together).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

VG_DIR=$SHMW_E2E_DIR/valgrind
SHIM=$SHMW_BUILD/tests/libshmw-vgshim.so
if ! command -v valgrind >/dev/null 2>&1; then
	skip "valgrind is not installed (scripts/install-deps.sh installs it)"
	exit 0
fi
if grep -q __asan_init "$SHMWATCHD" 2>/dev/null; then
	skip "$SHMWATCHD is built with ASan (SANITIZE=1): memcheck cannot run it"
	exit 0
fi
if [ ! -f "$SHIM" ]; then
	fail "missing $SHIM (build it: make tests-bin)"
	finish
fi

# The daemon runs slowly under memcheck, and it sees every event of the host: longer waits, and
# a client that waits longer than its default 5 s for an answer.
SHMW_WAIT=$(scaled 20)
sw() {
	"$SHMWATCH" --socket "$T/sock" --timeout "$(scaled 30)" "$@"
}
LD_PRELOAD=$SHIM valgrind --leak-check=full --error-exitcode=99 --errors-for-leak-kinds=definite \
	--track-origins=yes --num-callers=30 --suppressions="$VG_DIR/shmwatchd.supp" \
	--log-file="$T/valgrind.log" \
	"$SHMWATCHD" --socket "$T/sock" --log-file "$T/events.jsonl" --linger-after 1 \
	>"$T/daemon.log" 2>&1 &
DPID=$!
echo "$DPID" >>"$T/pids"
if ! poll 90 sw status >/dev/null 2>&1; then
	_log_shown=1
	fail "daemon under valgrind not ready in 90 s" "$(tail -n 20 "$T/daemon.log")" \
		"$(tail -n 30 "$T/valgrind.log")"
	finish
fi
pass "the daemon starts under valgrind"

hold a create "$(new_key)" 12288 attach fork mprotect-half || finish
ID=$(hval a shmid)
A=$(hpid a)
AC=$(hval a child)
hold b use "$ID" attach attach detach || finish
hold v use "$ID" attach vfork || finish
hold e use "$ID" attach exec "$HOLD" use "$ID" || finish
expect_kernel "kernel: holders" "$ID" 5 "$A $AC $(hpid b) $(hpid v) $(hval v vfork-child)"
check_who "who equals the kernel under valgrind" "$ID"
check_ps "ps equals the kernel under valgrind" "$A"
hcont v "$(hval v vfork-child)" || finish
hend b || finish
hcont a "$AC" || finish
hold r use "$ID" rmid || finish
expect_kernel "kernel: after exits" "$ID" 3 "$A $(hpid v)"
check_who "who after exits, and the segment removed" "$ID"

# Every request, a bad one, and a follower that hangs up.
for c in ls status lingering orphans metrics "events -n 50" "ps $A" "who $ID"; do
	# shellcheck disable=SC2086
	check_rc "request $c answered" 0 sw $c
done
printf '{"cmd":\n{"cmd":"status","x":1}\n{"cmd":"status"}\n' >"$T/req"
check "malformed requests answered" sh -c "'$CLIENTS' lines '$T/sock' <'$T/req' >'$T/ans'"
"$SHMWATCH" --socket "$T/sock" --json events -f -n 5 >"$T/follow.out" 2>&1 &
F=$!
echo "$F" >>"$T/pids"
hold c use "$ID" attach || finish
kill "$F" 2>/dev/null
wait "$F" 2>/dev/null
check_poll "a lingering segment is listed" 20 sh -c "'$SHMWATCH' --socket '$T/sock' --json lingering | grep -q '\"shmid\": \?${ID}[,}]'"
VRC=0
# verify walks every process on the host (other workloads' too), under memcheck: not a matter of
# seconds here.
sw --timeout "$(scaled 120)" verify >"$T/verify.out" 2>&1 || VRC=$?
check "verify answered under valgrind (exit 0 or 5)" test "$VRC" = 0 -o "$VRC" = 5
hend a || finish
hend v || finish
hend c || finish
expect_kernel "kernel: segment gone" "$ID" gone ""
check_who "who of the destroyed segment" "$ID"

# SIGTERM; memcheck's leak check runs at exit, which takes a while.
kill -TERM "$DPID"
if poll 90 _daemon_gone; then
	wait "$DPID"
	VG_RC=$?
	DPID=
	check_eq "the daemon under valgrind exits 0 after SIGTERM (99: memcheck found errors)" 0 \
		echo "$VG_RC"
else
	fail "the daemon under valgrind exits within 90 s of SIGTERM"
	kill -KILL "$DPID"
	finish
fi
vg_errors() { sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$T/valgrind.log" | tail -n 1; }
check_eq "memcheck: ERROR SUMMARY 0 errors" 0 vg_errors
no_definite() {
	grep -q 'All heap blocks were freed' "$T/valgrind.log" ||
		grep -q 'definitely lost: 0 bytes in 0 blocks' "$T/valgrind.log"
}
check "memcheck: no block definitely lost" no_definite
no_invalid() { ! grep -q 'Invalid \(read\|write\|free\)\|Mismatched free\|uninitialised' "$T/valgrind.log"; }
check "memcheck: no invalid access, bad free or use of uninitialised memory" no_invalid
if [ "$_nfail" -gt 0 ]; then
	echo "    --- valgrind.log (errors) ---"
	grep -v 'unhandled eBPF' "$T/valgrind.log" | grep -A 25 '^==[0-9]*== [A-Z][a-z]' | head -n 120 |
		sed 's/^/    /'
fi
finish
