#!/bin/sh
# A short libFuzzer run of each target in tests/fuzz/ (CONTRIBUTING.md, "Fuzzing") over its seed
# corpus: PASS per target, or FAIL with the saved crash/leak/timeout input and the report.
# shmw-test: unprivileged (no BPF, no root: tests/run.sh runs it for any user)
#
# Environment: SHMW_BUILD (build dir; the fuzzers go to SHMW_BUILD/fuzz), SHMW_TMP (scratch dir,
# kept by tests/run.sh when something failed), SHMW_FUZZ_SECONDS (per target, default 10).
# Missing clang or libFuzzer runtime is a FAIL, not a skip: scripts/install-deps.sh installs them.

set -u

TEST_NAME=t_fuzz
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SHMW_BUILD:-$ROOT/build}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
T=${SHMW_TMP:-$(mktemp -d "${TMPDIR:-/tmp}/shmw-fuzz.XXXXXX")}
SECS=${SHMW_FUZZ_SECONDS:-10}
TARGETS="request event sysvipc"
nfail=0

fail() {
	nfail=$((nfail + 1))
	echo "FAIL $TEST_NAME: $1"
	shift
	for _l in "$@"; do
		printf '%s\n' "$_l" | sed 's/^/    /'
	done
}

# The toolchain first, so that a missing package is named as such and not as a build error.
if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
	fail "clang not found: install it (scripts/install-deps.sh)"
	exit 1
fi
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }\n' \
	>"$T/probe.c"
if ! "${FUZZ_CC:-clang}" -fsanitize=fuzzer,address,undefined "$T/probe.c" -o "$T/probe" \
	>"$T/probe.log" 2>&1; then
	fail "clang cannot link a libFuzzer target: the fuzzer runtime (libclang_rt.fuzzer, Debian package libclang-rt-14-dev) is missing; scripts/install-deps.sh installs it" \
		"$(tail -5 "$T/probe.log")"
	exit 1
fi

# make is a no-op when the fuzzers are up to date.
if ! make -C "$ROOT" --no-print-directory -j2 fuzz OUTPUT="$BUILD" >"$T/build.log" 2>&1; then
	fail "make fuzz failed (log: $T/build.log)" "$(tail -20 "$T/build.log")"
	exit 1
fi

for t in $TARGETS; do
	bin=$BUILD/fuzz/fuzz_$t
	seeds=$ROOT/tests/fuzz/corpus/$t
	work=$T/corpus_$t
	log=$T/fuzz_$t.log
	dict=
	[ -f "$ROOT/tests/fuzz/$t.dict" ] && dict=-dict=$ROOT/tests/fuzz/$t.dict
	mkdir -p "$work" "$T/artifacts"
	# New inputs go to the scratch corpus (listed first); the committed seeds are only read.
	# shellcheck disable=SC2086 # $dict is one word or none
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$T/artifacts/fuzz_$t-" $dict "$work" "$seeds" >"$log" 2>&1 </dev/null
	rc=$?
	found=
	for a in "$T/artifacts/fuzz_$t-"*; do
		[ -e "$a" ] && found="$found $a"
	done
	if [ "$rc" = 0 ] && [ -z "$found" ]; then
		stats=$(grep -a 'DONE' "$log" | tail -1 | sed 's/^#\([0-9]*\)[[:space:]]*DONE[[:space:]]*/\1 runs, /; s/ lim:.*//')
		echo "PASS $TEST_NAME: fuzz_$t ${SECS}s without a crash, leak or timeout ($stats)"
	else
		fail "fuzz_$t: exit status $rc; reproduce with: $bin${found:- (no input saved)}" \
			"$(grep -a -m1 -A12 'ERROR\|property violated\|runtime error' "$log")" \
			"full log: $log"
	fi
done

[ "$nfail" = 0 ]
