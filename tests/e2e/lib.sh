# shellcheck shell=sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared code of the end-to-end scenarios (tests/e2e/t_*.sh). POSIX sh: runs under dash and
# busybox ash, needs only sh, grep, sed, awk, sort, cat, kill, sleep, mktemp, tr, wc, cut, head,
# tail, readlink and the C helpers in tests/e2e/helpers/.
#
# A scenario:
#	. "$(dirname "$0")/lib.sh"
#	start_daemon || finish
#	hold h create "$(new_key)" 12288 attach
#	expect_kernel "one holder" "$(hval h shmid)" 1 "$(hpid h)"
#	check_who "who matches the kernel" "$(hval h shmid)"
#	finish
#
# Kernel truth is the oracle: check_who, check_ps and check_ls poll until what shmwatch says equals
# what shmw-oracle reads from /proc (maps, map_files, sysvipc/shm), and print both on a mismatch.
# expect_kernel asserts what the kernel itself must show (docs/design.md), so that a comparison
# can never pass on two empty sides by accident.
#
# A scenario owns what it made: the segments its shmw-hold processes created or used (their
# "PID shmid ID NS KEY SIZE" lines, owned_segs), in its own namespaces, and its processes. The
# host runs other workloads at the same time (containers with their own shmid 0, 1, 2, other
# daemons, tests/run.sh's SHMW_TEST_NOISE=1 load): every comparison is about owned things only
# (check_ls, log_mine), and a host-wide counter (events lost, the recent-events ring) is read as
# a delta over a baseline, or not at all.
#
# Setup checks are named "kernel: ..." (expect_kernel adds it): tests/run.sh counts them apart
# from the checks of shmwatch itself.
#
# Time: poll for conditions (poll, wait_until, wait_reconciles, wait_kernel_second_after). A
# time window's lower bound is asserted as it is; its upper bound, and every poll timeout, is
# scaled by the load factor tests/run.sh measured (scaled, upper).
#
# Environment: SHMW_BUILD (build dir, default ../../build), SHMW_TMP (an empty dir for this
# scenario's files, set by tests/run.sh; else one is made), SHMW_LOAD_FACTOR (set by
# tests/run.sh; 1 by default), SHMW_WAIT (poll timeout in s, 5 scaled by the load factor),
# SHMW_KEEP=1 keeps the scenario's dir.

set -u

SHMW_E2E_DIR=$(cd "$(dirname "$0")" && pwd)
SHMW_BUILD=${SHMW_BUILD:-$SHMW_E2E_DIR/../../build}
HOLD=$SHMW_BUILD/tests/shmw-hold
ORACLE=$SHMW_BUILD/tests/shmw-oracle
JSONX=$SHMW_BUILD/tests/shmw-json
ZCAT=$SHMW_BUILD/tests/shmw-zcat
SHMWATCH=$SHMW_BUILD/shmwatch
SHMWATCHD=$SHMW_BUILD/shmwatchd
TEST_NAME=$(basename "$0" .sh)
SHMW_LOAD_FACTOR=${SHMW_LOAD_FACTOR:-1}

# scaled SECONDS: SECONDS times the load factor, rounded up to a whole second (for poll
# timeouts and the like).
scaled() {
	awk -v s="$1" -v f="$SHMW_LOAD_FACTOR" 'BEGIN { v = s * (f < 1 ? 1 : f); i = int(v)
		if (i < v) i++; print i }'
}

# upper LOW SLACK: the upper bound of a time window that opens at LOW and, on a quiet machine,
# closes SLACK later: LOW + SLACK times the load factor (decimal). The lower bound LOW is not
# scaled: what must not happen early must not, however loaded the machine.
upper() {
	awk -v lo="$1" -v s="$2" -v f="$SHMW_LOAD_FACTOR" 'BEGIN { printf "%.2f\n", lo + s * (f < 1 ? 1 : f) }'
}

SHMW_WAIT=${SHMW_WAIT:-$(scaled 5)}

_npass=0
_nfail=0
_nskip=0
_log_shown=0
DPID=

# ---- results ----------------------------------------------------------------------------------

pass() {
	_npass=$((_npass + 1))
	echo "PASS $TEST_NAME: $1"
}

# fail WHAT [DETAIL...]: each DETAIL (may hold several lines) is printed indented.
fail() {
	_nfail=$((_nfail + 1))
	echo "FAIL $TEST_NAME: $1"
	shift
	for _l in "$@"; do
		printf '%s\n' "$_l" | sed 's/^/    /'
	done
}

skip() {
	_nskip=$((_nskip + 1))
	echo "SKIP $TEST_NAME: $1"
}

# finish: ends the scenario (the EXIT trap cleans up); exit 1 if anything failed.
finish() {
	if [ "$_nfail" -gt 0 ]; then
		exit 1
	fi
	exit 0
}

# check NAME CMD...: pass if CMD succeeds, else fail.
check() {
	_cn=$1
	shift
	if "$@"; then
		pass "$_cn"
	else
		fail "$_cn" "command failed: $*"
	fi
}

# ---- time and polling -------------------------------------------------------------------------

# Centiseconds since boot, without forking.
now_cs() {
	read -r _up _rest </proc/uptime
	_up=${_up%.*}${_up#*.}
	while :; do
		case $_up in
		0?*) _up=${_up#0} ;;
		*) break ;;
		esac
	done
	echo "$_up"
}

# poll SECONDS CMD...: runs CMD every 20 ms until it succeeds (0) or SECONDS pass (1).
poll() {
	_pdl=$(($(now_cs) + $1 * 100))
	shift
	while :; do
		if "$@"; then
			return 0
		fi
		if [ "$(now_cs)" -ge "$_pdl" ]; then
			return 1
		fi
		sleep 0.02
	done
}

# wait_until DESCRIPTION CMD...: poll with the default timeout; on timeout FAIL and return 1.
wait_until() {
	_wd=$1
	shift
	if poll "$SHMW_WAIT" "$@" >/dev/null 2>&1; then
		return 0
	fi
	fail "timed out after ${SHMW_WAIT}s waiting for: $_wd"
	return 1
}

# ---- scenario directory, cleanup --------------------------------------------------------------

if [ -n "${SHMW_TMP:-}" ]; then
	T=$SHMW_TMP
	mkdir -p "$T"
else
	T=$(mktemp -d "${TMPDIR:-/tmp}/shmw-e2e.XXXXXX") || exit 1
fi
: >>"$T/pids"

# The IPC namespace inode of a process (default: this shell).
ns_of() {
	_nl=$(readlink "/proc/${1:-self}/ns/ipc") || return 1
	_nl=${_nl#ipc:\[}
	echo "${_nl%\]}"
}
SELF_NS=$(ns_of self)

# reap DIR: kills every process a scenario in DIR started (SIGKILL) and removes the segments it
# created in our namespace (others die with their namespace). Used by the EXIT trap, and by
# tests/run.sh after a timeout.
reap() {
	_rd=$1
	# Processes: started ones, every pid that wrote a progress line, children and siblings.
	_rp=$(
		cat "$_rd/pids" 2>/dev/null
		cat "$_rd"/*.out 2>/dev/null | awk '
			{ print $1 }
			$2 == "child" || $2 == "sibling" || $2 == "vfork-child" { print $3 }'
	)
	for _p in $(echo "$_rp" | sort -un); do
		[ "$_p" -gt 1 ] 2>/dev/null && kill -KILL "$_p" 2>/dev/null
	done
	# Segments: "PID shmid ID NS KEY SIZE" lines in our namespace.
	cat "$_rd"/*.out 2>/dev/null | awk -v ns="$SELF_NS" '$2 == "shmid" && $4 == ns { print $3, $5 }' |
		sort -u | while read -r _id _key; do
		"$ORACLE" rmid "$_id" --key "$_key" || echo "reap: rmid $_id failed" >&2
	done
}

_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$DPID" ]; then
		stop_daemon >/dev/null 2>&1
	fi
	reap "$T"
	if [ "$_nfail" -gt 0 ] && [ "$_log_shown" = 0 ] && [ -s "$T/daemon.log" ]; then
		echo "    --- daemon.log (last 40 lines) ---"
		tail -n 40 "$T/daemon.log" | sed 's/^/    /'
	fi
	if [ "${SHMW_KEEP:-0}" = 1 ] || [ "$_nfail" -gt 0 ]; then
		echo "    (files kept in $T)"
	elif [ -z "${SHMW_TMP:-}" ]; then
		rm -rf "$T"
	fi
	if [ "$_nfail" -gt 0 ] && [ "$_rc" = 0 ]; then
		_rc=1
	fi
	exit "$_rc"
}

if [ "${SHMW_LIB_NOINIT:-0}" != 1 ]; then
	trap _cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP
	if [ "$(awk '/^Uid:/ { print $3 }' /proc/self/status)" != 0 ]; then
		if [ "${CI:-}" = true ]; then
			fail "needs root for BPF, and CI must run everything (CI=true)"
			exit 1
		fi
		skip "needs root for BPF"
		exit 0
	fi
	for _b in "$HOLD" "$ORACLE" "$JSONX" "$ZCAT" "$SHMWATCH" "$SHMWATCHD"; do
		if [ ! -x "$_b" ]; then
			fail "missing binary $_b (build it first: make all tests-bin)"
			exit 1
		fi
	done
fi

# ---- daemon -----------------------------------------------------------------------------------

# sw ARGS...: the client, talking to this scenario's daemon.
sw() {
	"$SHMWATCH" --socket "$T/sock" "$@"
}

# start_daemon [EXTRA-ARGS...]: starts shmwatchd on a private socket and log file; returns once
# `shmwatch status` answers (await_daemon).
start_daemon() {
	"$SHMWATCHD" --socket "$T/sock" --log-file "$T/events.jsonl" "$@" >"$T/daemon.log" 2>&1 &
	await_daemon "$!"
}

# await_daemon PID: for a shmwatchd the caller started with its output in $T/daemon.log. Makes
# it DPID (killed at the end) and returns once `sw status` (the caller's sw) answers. FAIL (with
# the daemon's output) if it exits or is not ready in 15 s.
await_daemon() {
	DPID=$1
	echo "$DPID" >>"$T/pids"
	_sd=$(($(now_cs) + 1500))
	while :; do
		if sw status >/dev/null 2>&1; then
			return 0
		fi
		if ! "$ORACLE" alive "$DPID"; then
			wait "$DPID"
			_src=$?
			DPID=
			_log_shown=1
			fail "daemon exited with status $_src before it was ready" \
				"$(sed 's/^/daemon.log: /' "$T/daemon.log")"
			return 1
		fi
		if [ "$(now_cs)" -ge "$_sd" ]; then
			_log_shown=1
			fail "daemon not ready after 15 s (shmwatch status never succeeded)" \
				"$(sed 's/^/daemon.log: /' "$T/daemon.log")"
			return 1
		fi
		sleep 0.02
	done
}

_daemon_gone() {
	! "$ORACLE" alive "$DPID"
}

# stop_daemon: SIGTERM, up to 5 s, then SIGKILL. Returns the daemon's exit status.
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	if ! poll 5 _daemon_gone; then
		echo "stop_daemon: no exit 5 s after SIGTERM, sending SIGKILL" >&2
		kill -KILL "$DPID" 2>/dev/null
	fi
	wait "$DPID"
	_sdrc=$?
	DPID=
	return "$_sdrc"
}

# ---- workload processes (shmw-hold) -----------------------------------------------------------

# Lines that mean "this process stopped to be looked at".
_STOPS='ready paused error exec exiting leader-exit vfork-child'

_stops_after() { # _stops_after NAME SKIP: how many stop lines follow line SKIP
	awk -v skip="$2" -v stops=" $_STOPS " 'NR > skip && index(stops, " " $2 " ") { n++ }
		END { print n + 0 }' "$T/$1.out"
}

_has_stop_after() {
	[ "$(_stops_after "$1" "$2")" -gt 0 ]
}

_hold_error() {
	if grep -q '^[0-9]* error ' "$T/$1.out"; then
		fail "$1: shmw-hold failed" "$(grep '^[0-9]* error ' "$T/$1.out")" \
			"$(cat "$T/$1.log" 2>/dev/null)"
		return 0
	fi
	return 1
}

# hold NAME OP...: starts shmw-hold with progress in $T/NAME.out and waits until it stops (all
# ops done, a pause, an exec, a vfork child waiting, or an error). Returns 1 on error/timeout.
hold() {
	_hn=$1
	shift
	: >"$T/$_hn.out"
	"$HOLD" --ready "$T/$_hn.out" "$@" >"$T/$_hn.log" 2>&1 &
	echo "$!" >>"$T/pids"
	echo "$!" >"$T/$_hn.pid"
	wait_until "$_hn ($*) to start" _has_stop_after "$_hn" 0 || return 1
	! _hold_error "$_hn"
}

# hcont NAME [PID]: SIGUSR1 to PID (default NAME's main process): continues a pause, ends a
# "ready" or forked/vfork child. Waits for the next stop line of NAME's file.
hcont() {
	_hn=$1
	_hp=${2:-$(hpid "$1")}
	_hl=$(wc -l <"$T/$_hn.out")
	kill -USR1 "$_hp" || {
		fail "$_hn: cannot signal $_hp"
		return 1
	}
	wait_until "$_hn to go on after SIGUSR1 to $_hp" _has_stop_after "$_hn" "$_hl" || return 1
	! _hold_error "$_hn"
}

# hpid NAME: the main pid of NAME (as written by shmw-hold itself).
hpid() {
	cat "$T/$1.pid"
}

# hval NAME TAG [FIELD]: field FIELD (default 3) of the last "PID TAG ..." line of NAME.
hval() {
	awk -v t="$2" -v f="${3:-3}" '$2 == t { v = $f } END { print v }' "$T/$1.out"
}

# hhas NAME TAG [VALUE]: NAME wrote a TAG line (with VALUE in field 3).
hhas() {
	awk -v t="$2" -v v="${3:-}" '$2 == t && (v == "" || $3 == v) { f = 1 } END { exit !f }' \
		"$T/$1.out"
}

# alive PID: exists and is not a zombie.
alive() {
	"$ORACLE" alive "$1"
}

dead() {
	! "$ORACLE" alive "$1"
}

# new_key: a key no segment in our namespace has (0x5357xxxx). The sequence lives in a file, as
# new_key mostly runs in a command substitution (a subshell).
new_key() {
	_key_seq=$(cat "$T/keyseq" 2>/dev/null || echo 0)
	while :; do
		_key_seq=$((_key_seq + 1))
		_k=$((0x53570000 + ($$ * 64 + _key_seq) % 65536))
		if ! awk -v k="$_k" 'NR > 1 && ($1 == k || $1 + 4294967296 == k) { f = 1 }
			END { exit !f }' /proc/sysvipc/shm; then
			echo "$_key_seq" >"$T/keyseq"
			printf '0x%08x\n' "$_k"
			return 0
		fi
	done
}

# need_sleep: SLEEP (sleep on PATH) and SLEEP_EXE (the file it runs), for scenarios that exec it
# and wait for the exec with exe_is; a scenario fails without one.
need_sleep() {
	SLEEP=$(command -v sleep) || {
		fail "no sleep on PATH"
		finish
	}
	SLEEP_EXE=$(readlink -f "$SLEEP")
}

# exe_is PID PATH: PID runs PATH now (it has exec'd).
exe_is() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ]; }

# ---- kernel truth -----------------------------------------------------------------------------

# The canonical text of what each side says, the same for both (awk functions, put in front of
# the awk programs below, and of t_difftest's, which compares hundreds of segments at once):
#   kseg / dseg:  "seg key=KEY nattch=N size=BYTES perms=PPP status=active|dest", KEY "-" when
#                 dest (the kernel says 0 then); kseg adds "vmasum=NATTCH" (the kernel's count)
#   dholders:     "vmasum=N" (vmas summed over distinct address spaces), then
#   holder:       "holder PID vmas=N mm=GROUP", GROUP the smallest pid sharing that address space
#   kls / dls:    "NS SHMID key=KEY nattch=N perms=PPP size=BYTES status=S holders=N" (ls)
#   psrow:        "segment ns=NS shmid=SHMID vmas=N" (ps)
# Kernel perms are the mode in octal (1640: 0640 + SHM_DEST); shmwatch's are "0640" plus status.
_CANON_AWK='
function kdest(perms) { return (int(substr(perms, 1, length(perms) - 3)) % 2) == 1 }
# SHM_DEST is mode bit 01000, SHM_LOCKED 02000 (perms is octal in /proc/sysvipc/shm)
function klocked(perms) { return (int(int(substr(perms, 1, length(perms) - 3)) / 2) % 2) == 1 }
function kstatus(perms,    s) {
	s = kdest(perms) ? "dest" : ""
	if (klocked(perms)) s = s (s == "" ? "" : ",") "locked"
	return s == "" ? "active" : s
}
function kseg(key, nattch, perms, size,    dest) {
	dest = kdest(perms)
	return sprintf("seg key=%s nattch=%s size=%s perms=%s status=%s\nvmasum=%s", \
		(dest ? "-" : key), nattch, size, substr(perms, length(perms) - 2), \
		kstatus(perms), nattch)
}
function dkey(key, key_now, status) {
	if (status ~ /^dest/) return "-"
	return (key_now == "<none>") ? key : key_now
}
function dperms(perms) { return length(perms) == 4 ? substr(perms, 2) : perms }
function dseg(key, key_now, nattch, size, perms, status) {
	return sprintf("seg key=%s nattch=%s size=%s perms=%s status=%s", \
		dkey(key, key_now, status), nattch, size, dperms(perms), status)
}
function holder(pid, vmas, group) { return sprintf("holder %s vmas=%s mm=%s", pid, vmas, group) }
# n holders in pid[], vmas[], mm[], sorted by pid
function dholders(n, pid, vmas, mm,    i, grp, sum, out) {
	for (i = 1; i <= n; i++)
		if (!(mm[i] in grp)) { grp[mm[i]] = pid[i]; sum += vmas[i] }
	out = sprintf("vmasum=%d", sum)
	for (i = 1; i <= n; i++)
		out = out "\n" holder(pid[i], vmas[i], grp[mm[i]])
	return out
}
function kls(ns, id, key, nattch, perms, size, holders,    dest) {
	dest = kdest(perms)
	return sprintf("%s %s key=%s nattch=%s perms=%s size=%s status=%s holders=%s", ns, id, \
		(dest ? "-" : key), nattch, substr(perms, length(perms) - 2), size, \
		kstatus(perms), holders)
}
function dls(ns, id, key, key_now, nattch, perms, size, status, holders) {
	return sprintf("%s %s key=%s nattch=%s perms=%s size=%s status=%s holders=%s", ns, id, \
		dkey(key, key_now, status), nattch, dperms(perms), size, status, holders)
}
function psrow(ns, id, vmas) { return sprintf("segment ns=%s shmid=%s vmas=%s", ns, id, vmas) }
'

# _k_who SHMID [NS]: canonical text of the kernel's view of one segment.
_k_who() {
	if ! _ks=$("$ORACLE" seg "$1" ${2:+--ns "$2"}); then
		echo "rc=1 (no such segment)"
		return
	fi
	echo "rc=0"
	echo "$_ks" | awk "$_CANON_AWK"'{ print kseg($1, $2, $3, $4) }'
	"$ORACLE" holders "$1" ${2:+--ns "$2"} --vmas | sort -n |
		awk "$_CANON_AWK"'{ print holder($1, $2, $3) }'
}

# _d_who SHMID [NS]: the same text from `shmwatch who --json`.
_d_who() {
	_dj=$(sw --json who "$1" --ns "${2:-$SELF_NS}" 2>"$T/who.err")
	_drc=$?
	if [ "$_drc" != 0 ]; then
		if [ "$_drc" = 1 ]; then
			echo "rc=1 (no such segment)"
		else
			echo "rc=$_drc $(cat "$T/who.err")"
		fi
		return
	fi
	echo "rc=0"
	_dseg=$(echo "$_dj" | "$JSONX" . key key_now nattch size perms status) || {
		echo "invalid json: $_dj"
		return
	}
	echo "$_dseg" | awk "$_CANON_AWK"'{ print dseg($1, $2, $3, $4, $5, $6) }'
	echo "$_dj" | "$JSONX" 'holders[]' pid vmas mm | sort -n |
		awk "$_CANON_AWK"'{ pid[NR] = $1; vmas[NR] = $2; mm[NR] = $3 }
		END { print dholders(NR, pid, vmas, mm) }'
}

_same_who() {
	_cw_k=$(_k_who "$1" "${2:-}")
	_cw_d=$(_d_who "$1" "${2:-}")
	[ "$_cw_k" = "$_cw_d" ]
}

_show_sides() { # _show_sides KERNEL-TEXT SHMWATCH-TEXT
	echo "kernel:"
	echo "$1" | sed 's/^/  /'
	echo "shmwatch:"
	echo "$2" | sed 's/^/  /'
}

# (who_field, who_holder_field and check_who ask for SHMID in NS, default our namespace, always
# with --ns: without it, who answers in the caller's namespace, which is ours too.)
# check_who NAME SHMID [NS]: polls until `shmwatch who` equals the kernel (same holder pids with
# the same VMA counts and the same address-space grouping; vmas summed over distinct mm equals
# the kernel's nattch; key, nattch, size, perms and dest status equal /proc/sysvipc/shm).
check_who() {
	_cwn=$1
	shift
	if poll "$SHMW_WAIT" _same_who "$@"; then
		pass "$_cwn"
		return 0
	fi
	_same_who "$@"
	fail "$_cwn (who $*)" "$(_show_sides "$_cw_k" "$_cw_d")"
	return 1
}

# expect_kernel NAME SHMID NATTCH "PID..." [NS]: polls until the kernel itself shows NATTCH and
# exactly these holder pids (NATTCH "gone" = no such segment). Proves the scenario set up what it
# meant to, so that the comparisons with shmwatch are not vacuous. A setup check: its NAME starts
# with "kernel:" (added when missing), which tests/run.sh counts apart.
_kernel_is() {
	if [ "$2" = gone ]; then
		_ke_got=$("$ORACLE" seg "$1" ${4:+--ns "$4"}) && return 1
		_ke_got="gone"
		return 0
	fi
	_ke_got=$("$ORACLE" seg "$1" ${4:+--ns "$4"} | cut -d' ' -f2)
	_ke_pids=$("$ORACLE" holders "$1" ${4:+--ns "$4"} | tr '\n' ' ')
	_ke_got="nattch=$_ke_got holders=${_ke_pids% }"
	[ "$_ke_got" = "nattch=$2 holders=$(echo "$3" | tr ' ' '\n' | sort -n | tr '\n' ' ' |
		sed 's/ *$//')" ]
}

expect_kernel() {
	_ekn=$1
	case $_ekn in
	*kernel:*) ;;
	*) _ekn="kernel: $_ekn" ;;
	esac
	if poll "$SHMW_WAIT" _kernel_is "$2" "$3" "$4" "${5:-}"; then
		pass "$_ekn"
		return 0
	fi
	_kernel_is "$2" "$3" "$4" "${5:-}"
	fail "$_ekn: kernel state (test setup or docs/design.md wrong)" "want nattch=$3 holders=$4" \
		"got  $_ke_got"
	return 1
}

# twin_segments: two segments with one shmid, as on a container host. Holder r creates one
# (key KR, 12288 bytes) in our namespace and attaches it; holder n attaches it too, unshares its
# IPC namespace and there creates one (key KN, 20480 bytes) under the same shmid and attaches
# it. They differ in key and size so that the oracle can tell their mappings apart. Sets KR, KN,
# ID, ROOTNS, R, N and NS, and checks that the kernel shows exactly that.
twin_segments() {
	KR=$(new_key)
	KN=$(new_key)
	hold r create "$KR" 12288 attach || return 1
	ID=$(hval r shmid)
	ROOTNS=$(hval r shmid 4)
	R=$(hpid r)
	hold n use "$ID" attach unshare-ipc next-id "$ID" create "$KN" 20480 attach || return 1
	N=$(hpid n)
	NS=$(hval n ns)
	check_eq "kernel: the new namespace's segment got shmid $ID" "$ID $NS" \
		echo "$(hval n shmid)" "$(hval n shmid 4)"
	check "kernel: the namespaces differ" test "$NS" != "$ROOTNS"
	expect_kernel "kernel: our segment held by both" "$ID" 2 "$R $N" "$ROOTNS"
	expect_kernel "kernel: the new namespace's segment held by the unshared process" "$ID" 1 \
		"$N" "$NS"
}

# bpf_segs FIELD...: the FIELDs (of bpftool's "formatted" entry: key.ns, value.file, ...) of
# every entry of this daemon's BPF segments map, a line each. The map is found by the fds the
# daemon holds (several may be the same map), not by name: other daemons have one too. Needs
# bpftool.
bpf_segs() {
	_bs_n=$#
	for _x in "$@"; do
		set -- "$@" "formatted.$_x"
	done
	shift "$_bs_n"
	for _f in /proc/"$DPID"/fdinfo/*; do
		awk '$1 == "map_id:" { print $2 }' "$_f" 2>/dev/null
	done | sort -u | while read -r _id; do
		bpftool map show id "$_id" 2>/dev/null | grep -q " name segs " || continue
		bpftool -j map dump id "$_id" | "$JSONX" '[]' "$@"
	done
}

# ---- ps and ls --------------------------------------------------------------------------------

_k_ps() {
	_kp=$("$ORACLE" ps "$1")
	_kprc=$?
	if [ "$_kprc" = 1 ]; then
		echo "rc=1 (no such process)"
		return
	fi
	echo "rc=$_kprc"
	echo "$_kp" | sort -n | awk "$_CANON_AWK"'NF { print psrow($1, $2, $3) }'
}

_d_ps() {
	_dj=$(sw --json ps "$1" 2>"$T/ps.err")
	_drc=$?
	if [ "$_drc" != 0 ]; then
		if [ "$_drc" = 1 ]; then
			echo "rc=1 (no such process)"
		else
			echo "rc=$_drc $(cat "$T/ps.err")"
		fi
		return
	fi
	echo "rc=0"
	echo "$_dj" | "$JSONX" 'segments[]' ns shmid vmas | sort -n |
		awk "$_CANON_AWK"'NF { print psrow($1, $2, $3) }'
}

_same_ps() {
	_cp_k=$(_k_ps "$1")
	_cp_d=$(_d_ps "$1")
	[ "$_cp_k" = "$_cp_d" ]
}

# check_ps NAME PID: polls until `shmwatch ps PID` lists the segments (ns, shmid, vmas) that the
# kernel shows in PID's maps (or both say there is no such process). For a process that holds
# nothing this compares two empty lists, which a daemon that tracks nothing passes too: pair it
# with a check of shmwatch that is not empty (check_who of a segment someone holds, or check_log
# of the event that took the segment away).
check_ps() {
	if poll "$SHMW_WAIT" _same_ps "$2"; then
		pass "$1"
		return 0
	fi
	_same_ps "$2"
	fail "$1 (ps $2)" "$(_show_sides "$_cp_k" "$_cp_d")"
	return 1
}

# owned_segs: "NS SHMID KEY SIZE" (KEY decimal, 0 when only ever seen IPC_PRIVATE or marked) of
# every segment this scenario's shmw-hold processes created or used, from their progress files
# ($T/*.out): the segments the scenario owns. One line per (NS, SHMID).
owned_segs() {
	cat "$T"/*.out 2>/dev/null | awk '$2 == "shmid" && NF == 6 { print $4, $3, $5, $6 }' |
		while read -r _on _oi _ok _os; do
			echo "$_on $_oi $(printf '%d' "$_ok") $_os"
		done | awk '{ k = $1 " " $2; if (!(k in size)) { order[++n] = k; size[k] = $4 }
			if ($3 != 0 && !(k in key)) key[k] = $3 }
		END { for (i = 1; i <= n; i++) print order[i], (order[i] in key) ? key[order[i]] : 0,
			size[order[i]] }'
}

# _owned_filter OWNED-FILE: rows "NS SHMID KEY SIZE REST..." on stdin that are owned segments:
# the same (NS, SHMID), size and key (a key that reads 0 - marked, or IPC_PRIVATE - matches any)
# as owned_segs says; printed without KEY and SIZE's order changed (NS SHMID KEY SIZE REST).
_owned_filter() {
	awk 'NR == FNR { key[$1 " " $2] = $3; size[$1 " " $2] = $4; next }
		{ k = $1 " " $2 }
		(k in key) && size[k] == $4 && ($3 == key[k] || $3 == 0 || key[k] == 0)' "$1" -
}

# Rows "ns shmid key nattch perms size status holders" of the owned segments, from the kernel
# (one reading of /proc, with the oracle's attribution of every mapping).
_k_ls() {
	"$ORACLE" all 2>"$T/oracle.err" | awk '{ print $1, $2, $3, $6, $4, $5, $7 }' |
		_owned_filter "$T/ls.owned" |
		awk "$_CANON_AWK"'{ print kls($1, $2, $3, $5, $6, $4, $7) }' | sort
}

# The same rows from `shmwatch ls --json -A`: key is the key the segment was created with. (-A:
# a scenario's segments may be in several namespaces; ls alone answers in ours.)
_d_ls() {
	_dj=$(sw --json ls -A 2>"$T/ls.err") || {
		echo "rc=$? $(cat "$T/ls.err")"
		return
	}
	echo "$_dj" | "$JSONX" 'segments[]' ns shmid key size key_now nattch perms status holders |
		_owned_filter "$T/ls.owned" |
		awk "$_CANON_AWK"'{ print dls($1, $2, $3, $5, $6, $7, $4, $8, $9) }' | sort
}

_same_ls() {
	_cl_k=$(_k_ls)
	_cl_d=$(_d_ls)
	[ "$_cl_k" = "$_cl_d" ]
}

# check_ls NAME: polls until `shmwatch ls` shows the segments this scenario owns (owned_segs)
# exactly as the kernel has them: the same ones (none missing, none left over), with the same
# key, nattch, perms, size, status and number of holders. Other segments on the host (other
# namespaces, other workloads) are not compared: shmwatch's view of them is checked by nothing
# here. FAIL when the scenario owns no segment (nothing to compare).
check_ls() {
	owned_segs >"$T/ls.owned"
	if [ ! -s "$T/ls.owned" ]; then
		fail "$1 (ls): the scenario owns no segment to compare (no shmid line in $T/*.out)"
		return 1
	fi
	if poll "$SHMW_WAIT" _same_ls; then
		pass "$1 ($(grep -c . "$T/ls.owned") segments of ours)"
		return 0
	fi
	_same_ls
	fail "$1 (ls, the segments of ours: NS SHMID KEY SIZE $(tr '\n' ';' <"$T/ls.owned"))" \
		"$(_show_sides "$_cl_k" "$_cl_d")" "$(sed 's/^/oracle: /' "$T/oracle.err")"
	return 1
}

# ---- single fields ----------------------------------------------------------------------------

# who_holder_field SHMID PID FIELD [NS]: FIELD of PID's element in who SHMID's holders.
who_holder_field() {
	sw --json who "$1" --ns "${4:-$SELF_NS}" | "$JSONX" 'holders[]' pid "$3" |
		awk -v p="$2" '$1 == p { $1 = ""; sub(/^ /, ""); print; exit }'
}

_field_is() { # _field_is WANT CMD...
	_fw=$1
	shift
	_fgot=$("$@" 2>&1)
	[ "$_fgot" = "$_fw" ]
}

# check_eq NAME WANT CMD...: polls until CMD prints exactly WANT.
check_eq() {
	_cen=$1
	_cew=$2
	shift 2
	if poll "$SHMW_WAIT" _field_is "$_cew" "$@"; then
		pass "$_cen"
		return 0
	fi
	_field_is "$_cew" "$@"
	fail "$_cen" "want: $_cew" "got:  $_fgot" "from: $*"
	return 1
}

# check_rc NAME WANT CMD...: CMD exits with status WANT (run once: for client error paths).
check_rc() {
	_crn=$1
	_crw=$2
	shift 2
	_crout=$("$@" 2>&1)
	_crrc=$?
	if [ "$_crrc" = "$_crw" ]; then
		pass "$_crn"
		return 0
	fi
	fail "$_crn" "want exit $_crw, got $_crrc from: $*" "output: $_crout"
	return 1
}

# who_field SHMID FIELD [NS]: one top-level field of `shmwatch who`.
who_field() {
	sw --json who "$1" --ns "${3:-$SELF_NS}" | "$JSONX" "$2"
}

# hend NAME [SIGNAL]: ends NAME's main process (default SIGUSR1: a clean exit(0)), waits until it
# is gone and reaps it.
hend() {
	_hep=$(hpid "$1")
	kill "-${2:-USR1}" "$_hep" || {
		fail "$1: cannot signal $_hep"
		return 1
	}
	wait_until "$1 ($_hep) to exit" dead "$_hep" || return 1
	wait "$_hep" 2>/dev/null
	return 0
}

# at_once CMD...: runs a check_* command with no polling (one look).
at_once() {
	_ao=$SHMW_WAIT
	SHMW_WAIT=0
	"$@"
	_aorc=$?
	SHMW_WAIT=$_ao
	return "$_aorc"
}

# need TOOL PACKAGE: TOOL is on PATH; else FAIL in CI (where scripts/install-deps.sh installed
# PACKAGE) or SKIP, and return 1.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		fail "$1 is missing: package $2 (scripts/install-deps.sh installs it)"
	else
		skip "$1 is missing: install package $2 (scripts/install-deps.sh)"
	fi
	return 1
}

# same NAME WANT GOT: pass if the two texts are equal, else fail showing both.
same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
		return 0
	fi
	fail "$1" "want:" "$2" "got:" "$3"
	return 1
}

# ---- the event log ----------------------------------------------------------------------------

# log_has EVENT CAUSE PID SHMID [ACTOR] [SOURCE]: the daemon's log file (SOURCE "log", default)
# or `shmwatch --json events -n 10000` (SOURCE "client") has such an event: all the recent lines
# the daemon keeps (--recent, 4096 by default), since it sees every process on the host and the
# ring of recent lines is shared with every other workload's events.
log_has() {
	if [ "${6:-log}" = client ]; then
		sw --json events -n 10000 >"$T/events.client" 2>&1 || return 1
		_lf=$T/events.client
	else
		log_about "$4" >"$T/events.sel"
		_lf=$T/events.sel
	fi
	[ -s "$_lf" ] || return 1
	"$JSONX" . event cause pid shmid actor <"$_lf" | awk -v e="$1" -v c="$2" -v p="$3" \
		-v s="$4" -v a="${5:-}" '$1 == e && $2 == c && $3 == p && $4 == s &&
		(a == "" || $5 == a) { f = 1 } END { exit !f }'
}

# check_log NAME EVENT CAUSE PID SHMID [ACTOR] [SOURCE]: polls for log_has.
check_log() {
	_cln=$1
	shift
	if poll "$SHMW_WAIT" log_has "$@"; then
		pass "$_cln"
		return 0
	fi
	if [ "${6:-log}" = client ]; then
		_clf=$T/events.client
	else
		_clf=$T/events.sel # the log's lines about that shmid
	fi
	fail "$_cln" "want event=$1 cause=$2 pid=$3 shmid=$4${5:+ actor=$5} in $_clf; it has:" \
		"$(tail -n 20 "$_clf" 2>&1)"
	return 1
}

# status_field FIELD...: fields of `shmwatch status --json`, space-separated.
status_field() {
	sw --json status | "$JSONX" . "$@"
}

# ---- lifecycle events and alerts --------------------------------------------------------------

# log_files: the event log and its rotated files (--log-max-bytes, --log-keep), oldest first, as
# plain files: a compressed one (events.jsonl.N.gz) is listed as its text, decompressed afresh
# into $T/unz/ (rotation renames them: a copy by name would go stale).
log_files() {
	for _n in 9 8 7 6 5 4 3 2 1; do
		if [ -f "$T/events.jsonl.$_n.gz" ]; then
			mkdir -p "$T/unz"
			"$ZCAT" "$T/events.jsonl.$_n.gz" >"$T/unz/events.jsonl.$_n" &&
				echo "$T/unz/events.jsonl.$_n"
		elif [ -f "$T/events.jsonl.$_n" ]; then
			echo "$T/events.jsonl.$_n"
		fi
	done
	[ -f "$T/events.jsonl" ] && echo "$T/events.jsonl"
}

# log_about SHMID: the lines of the log (rotated files too, in order) about SHMID. A busy machine
# can fill a log quickly: reading every line each poll would be slow, and miss rotated ones
# (grep -F: busybox grep -E takes seconds for 200 MB).
log_about() {
	log_files | while read -r _lf; do
		grep -h -F -e "\"shmid\":$1," -e "\"shmid\":$1}" -e "\"shmid\": $1," "$_lf"
	done
}

# ns_since NS: when this scenario made namespace NS (the latest shmw-hold "ns NS SINCE" line of its
# files, RFC 3339 UTC), or nothing for a namespace it did not make. A namespace's inode is reused
# once the namespace is gone (containers come and go all the time): the log's lines about NS from
# before SINCE are about an earlier namespace with that number.
ns_since() {
	cat "$T"/*.out 2>/dev/null | awk -v n="$1" '$2 == "ns" && $3 == n && NF >= 4 { s = $4 }
		END { print s }'
}

# log_mine SHMID [NS]: the log's lines (rotated files too, in order) about SHMID in NS (default:
# our namespace), since the scenario made NS (ns_since). A shmid alone is not ours: small ones
# recur in every IPC namespace (each container has a shmid 0), and the daemon logs every
# namespace.
log_mine() {
	log_about "$1" >"$T/log_mine.sel"
	[ -s "$T/log_mine.sel" ] || return 0
	_lmn=${2:-$SELF_NS}
	"$JSONX" . shmid ns time <"$T/log_mine.sel" 2>/dev/null |
		awk -v s="$1" -v n="$_lmn" -v t="$(ns_since "$_lmn")" \
			'$1 == s && $2 == n && $3 >= t { print NR }' >"$T/log_mine.nr"
	awk 'NR == FNR { want[$1] = 1; next } FNR in want' "$T/log_mine.nr" "$T/log_mine.sel"
}

# ev_lines EVENT SHMID [NS]: the log's lines of EVENT (create, rmid, destroy, linger, linger_end,
# orphan, or any other) about SHMID in NS (default: our namespace), in order, since the scenario
# made NS (ns_since).
ev_lines() {
	log_about "$2" >"$T/ev_lines.sel"
	[ -s "$T/ev_lines.sel" ] || return 0
	_eln=${3:-$SELF_NS}
	"$JSONX" . event shmid ns time <"$T/ev_lines.sel" 2>/dev/null |
		awk -v e="$1" -v s="$2" -v n="$_eln" -v t="$(ns_since "$_eln")" \
			'$1 == e && $2 == s && $3 == n && $4 >= t { print NR }' >"$T/ev_lines.nr"
	awk 'NR == FNR { want[$1] = 1; next } FNR in want' "$T/ev_lines.nr" "$T/ev_lines.sel"
}

# ev_count EVENT SHMID [NS]: how many such lines.
ev_count() {
	ev_lines "$@" | wc -l | tr -d ' '
}

# ev_has EVENT SHMID [NS]: at least one such line.
ev_has() {
	[ "$(ev_count "$@")" -gt 0 ]
}

# ev_field EVENT SHMID NS FIELD...: FIELDs (shmw-json paths) of the first such line ("" for our
# namespace).
ev_field() {
	_efe=$1
	_efs=$2
	_efn=${3:-$SELF_NS}
	shift 3
	_efl=$(ev_lines "$_efe" "$_efs" "$_efn" | head -n 1)
	if [ -z "$_efl" ]; then
		echo "(no $_efe event for shmid $_efs in namespace $_efn)"
		return 1
	fi
	echo "$_efl" | "$JSONX" . "$@"
}

# secs_of TIME...: RFC 3339 UTC times ("2026-11-28T09:03:57.123456Z") as seconds since the
# epoch with microseconds, one a line.
secs_of() {
	for _so in "$@"; do echo "$_so"; done | awk '
	{
		if ($0 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9](\.[0-9]+)?Z$/) {
			print "bad-time:" $0
			next
		}
		y = substr($0, 1, 4) + 0; m = substr($0, 6, 2) + 0; d = substr($0, 9, 2) + 0
		hh = substr($0, 12, 2) + 0; mi = substr($0, 15, 2) + 0; ss = substr($0, 18) + 0
		# days from 1970-01-01 (civil calendar, as in days_from_civil)
		if (m <= 2) y--
		era = int(y / 400); yoe = y - era * 400
		doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
		doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
		days = era * 146097 + doe - 719468
		printf "%.6f\n", days * 86400 + hh * 3600 + mi * 60 + ss
	}'
}

# secs_between FROM TO: TO - FROM in seconds (RFC 3339 times), with microseconds.
secs_between() {
	secs_of "$1" "$2" | awk 'NR == 1 { a = $1 } NR == 2 { b = $1 }
		END { if (a ~ /^bad/ || b ~ /^bad/ || NR != 2) print "bad-time"; else printf "%.6f\n", b - a }'
}

# num_in X LO HI: LO <= X <= HI (decimal numbers).
num_in() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x ~ /^-?[0-9]+(\.[0-9]+)?$/ &&
		x + 0 >= lo + 0 && x + 0 <= hi + 0) }'
}

# let_time_pass SECONDS: for checks that something does NOT happen: they need time to pass.
# Prefer wait_reconciles, which waits for the daemon to have looked.
let_time_pass() {
	poll "$1" false
	return 0
}

# wait_reconciles N: waits until the daemon has finished N more passes over the kernel's segment
# tables (status reconciles, every 2 s; the lifecycle alerts are looked at on the same tick) than
# when called: N = 2 is a whole pass that began after the call, and at least 2 s. For checks that
# something does NOT happen. FAIL if the count does not grow within 4 s a pass (scaled).
_reconciles_ge() {
	[ "$(status_field reconciles 2>/dev/null)" -ge "$1" ] 2>/dev/null
}
wait_reconciles() {
	_wr0=$(status_field reconciles 2>/dev/null)
	case $_wr0 in
	'' | *[!0-9]*)
		fail "status reconciles is not a number: '$_wr0'"
		return 1
		;;
	esac
	if poll "$(scaled $((4 * $1)))" _reconciles_ge $((_wr0 + $1)); then
		return 0
	fi
	fail "the daemon did not finish $1 reconcile passes in $(scaled $((4 * $1))) s (from $_wr0)"
	return 1
}

# kernel_secs: the kernel's coarse realtime seconds, the clock of shm_ctime (shmw-oracle ksecs):
# it turns up to a tick after `date +%s` does.
kernel_secs() {
	"$ORACLE" ksecs
}

# wait_kernel_second_after SECONDS: waits until the kernel's clock of shm_ctime has passed that
# second, so that a segment created (or changed) now gets a later shm_ctime.
_kernel_after() {
	[ "$(kernel_secs)" -gt "$1" ]
}
wait_kernel_second_after() {
	wait_until "the kernel's clock (shm_ctime's) to pass second $1" _kernel_after "$1"
}

# proc_cmdline PID: /proc/PID/cmdline with its NULs as spaces (as shmwatchd reports it).
proc_cmdline() {
	tr '\000' ' ' <"/proc/$1/cmdline" | sed 's/ *$//'
}

# proc_cgroup PID: the cgroup v2 path of PID (the "0::" line of /proc/PID/cgroup).
proc_cgroup() {
	sed -n 's/^0:://p' "/proc/$1/cgroup"
}

# user_of UID: the user name of UID, from /etc/passwd.
user_of() {
	awk -F: -v u="$1" '$3 == u { print $1; exit }' /etc/passwd
}

# kseg_col SHMID COLUMN [NS]: a column of /proc/sysvipc/shm for SHMID in NS (default: our
# namespace) (key, shmid, perms, size, cpid, lpid, nattch, uid, gid, cuid, cgid, atime, dtime,
# ctime).
kseg_col() {
	if [ -n "${3:-}" ] && [ "$3" != "$SELF_NS" ]; then
		"$ORACLE" col "$1" "$2" --ns "$3"
		return
	fi
	awk -v s="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$2 == s { print $(col[c]); exit }' /proc/sysvipc/shm
}

# sw_ok ARGS...: `shmwatch --json ARGS` when it succeeds with "ok":true; else prints why (so that
# a check comparing with an empty list can never pass on a failed request) and returns 1.
sw_ok() {
	_swo=$(sw --json "$@" 2>&1)
	_swrc=$?
	if [ "$_swrc" != 0 ] || [ "$(echo "$_swo" | "$JSONX" ok 2>/dev/null)" != true ]; then
		echo "shmwatch $* failed (exit $_swrc): $_swo"
		return 1
	fi
	echo "$_swo"
}

# ---- the order of a segment's lines -----------------------------------------------------------

# first_shmid NAME: the first segment NAME created or used (hval gives the last).
first_shmid() {
	awk '$2 == "shmid" { print $3; exit }' "$T/$1.out"
}

# hcount NAME TAG [VALUE]: how many TAG lines (with VALUE in field 3) NAME's processes wrote
# (after fanout: one for each child that got there).
hcount() {
	awk -v t="$2" -v v="${3:-}" '$2 == t && (v == "" || $3 == v) { n++ } END { print n + 0 }' \
		"$T/$1.out"
}

# life SHMID [NS]: the lifecycle events of SHMID, in log order, on one line.
life() {
	log_mine "$1" "${2:-}" | "$JSONX" . event shmid ns | awk -v s="$1" -v n="${2:-$SELF_NS}" '
		$2 == s && $3 == n && ($1 == "create" || $1 == "rmid" || $1 == "destroy" ||
		$1 == "linger" || $1 == "linger_end" || $1 == "orphan") { printf "%s%s", sep, $1; sep = " " }'
}

# SEQ_SKIP: the events seq_lines leaves out by default: alerts, which the daemon raises on its
# own clock, not steps of the kernel's.
SEQ_SKIP="linger linger_end orphan"

# seq_pairs PAIRFILE [SKIP]: for each segment "NS SHMID" of PAIRFILE (its first two fields) that
# the log has lines about, one line "NS SHMID TOKEN...": a TOKEN EVENT:CAUSE:PID for each of
# those lines, in log order (rotated files first; "-" for a field the line has not). EVENTs in
# SKIP (a space-separated list; default $SEQ_SKIP, "" for none) are left out. One pass over the
# log, however many segments: scenarios check hundreds.
seq_pairs() {
	awk '{ print "\"shmid\":" $2 ","; print "\"shmid\":" $2 "}"; print "\"shmid\": " $2 "," }' \
		"$1" >"$T/seq.pat"
	log_files | while read -r _sf; do
		grep -h -F -f "$T/seq.pat" "$_sf"
	done >"$T/seq.sel"
	[ -s "$T/seq.sel" ] || return 0
	"$JSONX" . ns shmid event cause pid <"$T/seq.sel" | awk -v skip=" ${2-$SEQ_SKIP} " '
		NR == FNR { want[$1 " " $2] = 1; next }
		!(($1 " " $2) in want) || index(skip, " " $3 " ") { next }
		{
			k = $1 " " $2
			c = ($4 == "<none>") ? "-" : $4; p = ($5 == "<none>") ? "-" : $5
			if (!(k in s)) order[n++] = k
			s[k] = s[k] " " $3 ":" c ":" p
		}
		END { for (i = 0; i < n; i++) print order[i] s[order[i]] }' "$1" -
}

# seq_lines NS IDFILE [SKIP]: seq_pairs for the shmids of IDFILE (first field) in namespace NS,
# as "SHMID TOKEN..." lines.
seq_lines() {
	awk -v ns="$1" '{ print ns, $1 }' "$2" >"$T/seq.pairs"
	seq_pairs "$T/seq.pairs" "${3-$SEQ_SKIP}" | cut -d' ' -f2-
}

# seq_of SHMID [NS] [SKIP]: the tokens of one segment (seq_lines), on one line.
seq_of() {
	echo "$1" >"$T/seq.one"
	seq_lines "${2:-$SELF_NS}" "$T/seq.one" "${3-$SEQ_SKIP}" | awk '{ $1 = ""; sub(/^ /, ""); print }'
}

# check_seq NAME WANT SHMID [NS] [SKIP]: polls until the log's lines about the segment are exactly
# WANT, in that order: "create:shmget:PID attach:shmat:PID rmid:shmctl:PID ...", the kernel's
# order of what happened to it, each line with its cause and the process it names (the remover
# for rmid, the releaser for destroy).
check_seq() {
	_csn=$1
	_csw=$2
	shift 2
	check_eq "$_csn" "$_csw" seq_of "$@"
}

# _seqs_ok WANTFILE [SKIP]: every segment of WANTFILE ("NS SHMID TOKEN..." lines) has exactly
# those lines; leaves the differences in $T/seqs.diff ("NS SHMID<TAB>WANT<TAB>GOT" lines).
_seqs_ok() {
	seq_pairs "$1" "${2-$SEQ_SKIP}" >"$T/seqs.got"
	awk 'NR == FNR { k = $1 " " $2; $1 = $2 = ""; sub(/^ +/, ""); got[k] = $0; next }
		{ k = $1 " " $2; $1 = $2 = ""; sub(/^ +/, ""); g = (k in got) ? got[k] : "(no lines)"
		  if (g != $0) printf "%s\t%s\t%s\n", k, $0, g }' "$T/seqs.got" "$1" >"$T/seqs.diff"
	[ ! -s "$T/seqs.diff" ]
}

# check_seqs_ns NAME WANTFILE [SKIP]: check_seq for many segments at once, in any namespaces:
# WANTFILE has one line "NS SHMID TOKEN..." per segment. On failure: how many differ, and the
# first 5 (want, got).
check_seqs_ns() {
	_cssn=$1
	shift
	if poll "$SHMW_WAIT" _seqs_ok "$@"; then
		pass "$_cssn"
		return 0
	fi
	_seqs_ok "$@"
	fail "$_cssn" "$(wc -l <"$T/seqs.diff" | tr -d ' ') of $(wc -l <"$1" | tr -d ' ') segments differ; the first ones:" \
		"$(head -n 5 "$T/seqs.diff" | awk -F '\t' '{ printf "ns, shmid %s\n  want: %s\n  got:  %s\n", $1, $2, $3 }')"
	return 1
}

# check_seqs NAME NS WANTFILE [SKIP]: check_seqs_ns for segments of one namespace: WANTFILE has
# one line "SHMID TOKEN..." per segment.
check_seqs() {
	awk -v ns="$2" '{ print ns, $0 }' "$3" >"$T/seqs.want"
	check_seqs_ns "$1" "$T/seqs.want" "${4-$SEQ_SKIP}"
}

# kseg_left IDFILE: how many of the shmids of IDFILE (first field) our namespace's
# /proc/sysvipc/shm still lists (the kernel's own table: no mapping to attribute).
kseg_left() {
	awk 'NR == FNR { id[$1] = 1; next } FNR > 1 && ($2 in id) { n++ } END { print n + 0 }' \
		"$1" /proc/sysvipc/shm
}
