#!/bin/sh
# `make run` as a user types it (README, "Quick start"):
#  - it installs only what building and running need: scripts/install-deps.sh's run set has none
#    of the test-only packages, `make test` installs those too (checked on the lists, --list,
#    and on the commands make would run, make -n: nothing is installed here);
#  - ARGS reach the daemon as written: a hook with $SHMWATCH_EVENT in single quotes, passed
#    through `make run ARGS=...`, is in the daemon's argv intact and, when a segment of ours
#    lingers, runs and writes the event's name and shmid (make used to expand "$S" away).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$SHMW_E2E_DIR/../.." && pwd)
DEPS=$ROOT/scripts/install-deps.sh

# ---- the packages -----------------------------------------------------------------------------
run_set=$("$DEPS" --list | tr '\n' ' ')
test_set=$("$DEPS" --list --test | tr '\n' ' ')
bench_set=$("$DEPS" --list --bench | tr '\n' ' ')
if [ -z "$run_set" ]; then
	fail "install-deps.sh --list printed nothing"
fi
in_set() { case " $2" in *" $1 "*) return 0 ;; esac; return 1; }
bad=
for p in valgrind systemd man-db mandoc lsof jq libclang-rt-14-dev postgresql-15 prometheus podman \
	busybox-static logrotate; do
	in_set "$p" "$run_set" && bad="$bad $p"
done
if [ -z "$bad" ]; then
	pass "make run's packages have no test-only one: $run_set"
else
	fail "make run would install test-only packages:$bad" "run set: $run_set"
fi
missing=
for p in $run_set libclang-rt-14-dev valgrind systemd man-db mandoc postgresql-15 prometheus \
	podman busybox-static; do
	in_set "$p" "$test_set" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	pass "make test's packages are make run's and the tests' own"
else
	fail "make test would not install:$missing" "test set: $test_set"
fi
check "make bench's packages include lsof" in_set lsof "$bench_set"
check "make bench's packages include jq" in_set jq "$bench_set"
# shellcheck disable=SC2016 # expanded by the inner shell
check_eq "make run installs with install-deps.sh alone" "./scripts/install-deps.sh" \
	sh -c 'make -C "$1" -n --no-print-directory run 2>/dev/null | grep -m1 install-deps' sh "$ROOT"
# shellcheck disable=SC2016 # expanded by the inner shell
check_eq "make test installs with install-deps.sh --test" "./scripts/install-deps.sh --test" \
	sh -c 'make -C "$1" -n --no-print-directory test 2>/dev/null | grep -m1 install-deps' sh "$ROOT"

# ---- ARGS with a hook -------------------------------------------------------------------------
# What `make run ARGS="--alert-exec 'echo \$SHMWATCH_EVENT ...'"` gives make.
# shellcheck disable=SC2016 # the hook's own variables, for its shell
HOOK='echo "$SHMWATCH_EVENT $SHMWATCH_SHMID" >>'"$T/hook.out"
ARGS="--socket $T/sock --log-file $T/events.jsonl --linger-after 1 --realert 0 --alert-exec '$HOOK'"
make -C "$ROOT" --no-print-directory -s run OUTPUT="$SHMW_BUILD" ARGS="$ARGS" \
	>"$T/daemon.log" 2>&1 &
MPID=$!
echo "$MPID" >>"$T/pids"
if ! poll "$(scaled 30)" sw status >/dev/null 2>&1; then
	_log_shown=1
	fail "make run: the daemon did not answer in $(scaled 30) s" "$(sed 's/^/make run: /' "$T/daemon.log")"
	finish
fi
DPID=$(sw --json status | "$JSONX" pid)
echo "$DPID" >>"$T/pids"
# shellcheck disable=SC2016 # expanded by the inner shell
check_eq "the daemon's --alert-exec is the hook as written" "$HOOK" \
	sh -c 'tr "\0" "\n" <"/proc/$1/cmdline" | grep -A1 -x -- --alert-exec | tail -n 1' sh "$DPID"

hold h create "$(new_key)" 4096 attach rmid || finish
id=$(hval h shmid)
expect_kernel "$id removed and still held" "$id" 1 "$(hpid h)"
# shellcheck disable=SC2016 # expanded by the inner shell
check_eq "the hook ran with \$SHMWATCH_EVENT and \$SHMWATCH_SHMID" "linger $id" \
	sh -c 'grep -m1 -x "linger $2" "$1" 2>/dev/null' sh "$T/hook.out" "$id"
stop_daemon
wait "$MPID" 2>/dev/null
finish
