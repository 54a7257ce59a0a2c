#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shmwatch benchmark: shmwatch side by side with what people use today (lsof, grep of
# /proc/*/maps), in one run, alternating, on farms of real processes. Prints one table with
# ratios and PASS/MISS against the targets. See bench/README.md.
#
#   bench/run.sh OUTDIR          (make bench builds OUTDIR/bench/* first)
#
# Environment:
#   BENCH_SIZES="200 1000 3000"  farm sizes (processes; half of them hold segments)
#   BENCH_BIG=10000              holders of the large farm (memory, CPU, query at scale; 0: skip)
#   BENCH_REPS=4                 A/B pairs (daemon off/on) for the event-cost loops
#   BENCH_QUERIES=2000           requests per query-alone measurement
#   BENCH_WHO_REPS=30            runs of `true` and `shmwatch who X` per size
#   BENCH_LSOF_REPS=             runs of each lsof method (default 5, 3 from 2000 processes)
#   BENCH_IPCNS=host             where the farms' segments live: host (our IPC namespace, like a
#                                database on a host) or private (a namespace of their own: each
#                                query then costs the daemon a setns there and back)
#   BENCH_BPF_STATS=1            one more pass of the loops with kernel.bpf_stats_enabled=1 (restored
#                                after) for the time each BPF program takes per operation; 0: skip
#   BENCH_QUIET_WAIT=30          seconds to wait for other shmwatchd instances to go away and the
#                                CPUs to be less than 25% busy (then it runs anyway)
#   BENCH_KEEP=1                 keep the scratch directory (raw results, daemon logs)
#   BENCH_HISTORY_LINES=1000000  lines of the event log the history queries read (rotated at
#                                64 MiB, compressed, plus the live file; 0: skip)
#   BENCH_ONLY=history           only the history queries (no startup, loops or farms)
#
# Exit status: 0 when the benchmark ran (MISS lines are information), 1 when it broke or the
# methods disagree on who holds a segment, 2 on usage errors.

set -u
export LC_ALL=C

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUT=$(cd "$1" && pwd)
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SIZES=${BENCH_SIZES-200 1000 3000}
BIG=${BENCH_BIG:-10000}
REPS=${BENCH_REPS:-4}
QUERIES=${BENCH_QUERIES:-2000}
WHO_REPS=${BENCH_WHO_REPS:-30}
QUIET_WAIT=${BENCH_QUIET_WAIT:-30}
case ${BENCH_IPCNS:-host} in
host) FARM_NS=--host-ns ;;
private) FARM_NS= ;;
*)
	echo "bench: BENCH_IPCNS is host or private" >&2
	exit 2
	;;
esac
HIST_LINES=${BENCH_HISTORY_LINES:-1000000}
ONLY=${BENCH_ONLY:-}
case $ONLY in
'') ;;
history)
	SIZES=
	BIG=0
	;;
*)
	echo "bench: BENCH_ONLY is history (or unset)" >&2
	exit 2
	;;
esac
FARM=$OUT/bench/shmw-farm
SB=$OUT/bench/shmw-bench
FLOOR=$OUT/bench/shmw-floor
LOGGEN=$OUT/bench/shmw-loggen
DAEMON=$OUT/shmwatchd
CLIENT=$OUT/shmwatch

for f in "$FARM" "$SB" "$FLOOR" "$LOGGEN" "$DAEMON" "$CLIENT"; do
	[ -x "$f" ] || {
		echo "bench: $f is missing (make bench builds it)" >&2
		exit 2
	}
done
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (BPF, a private IPC namespace, /proc/PID/maps of every process)" >&2
	exit 1
fi
command -v lsof >/dev/null || {
	echo "bench: lsof is missing (scripts/install-deps.sh --bench, run by make bench, installs it)" >&2
	exit 1
}
if [ "$HIST_LINES" -gt 0 ]; then
	for t in jq zgrep zcat; do
		command -v "$t" >/dev/null || {
			echo "bench: $t is missing (scripts/install-deps.sh --bench installs it)" >&2
			exit 1
		}
	done
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/shmw-bench.XXXXXX") || exit 1
# Run copies: a rebuild of OUTDIR during the run (a shared tree) must not change what we measure.
mkdir "$T/bin" && cp "$DAEMON" "$CLIENT" "$FLOOR" "$T/bin/" || exit 1
FLOOR=$T/bin/shmw-floor
DAEMON=$T/bin/shmwatchd
CLIENT=$T/bin/shmwatch
cd "$T" || exit 1
SOCK=$T/sock
ROWS=$T/rows
: >"$ROWS"
DPID=
FPID=
FLPID=
DISAGREE=0
RESTORE=
T_START=$(date +%s)

log() { printf 'bench: %s\n' "$*" >&2; }

# ---- cleanup ----------------------------------------------------------------------------------

# stop_daemon [keep]: SIGTERM and wait; the event log goes too unless "keep" (a daemon started on
# an existing log replays it).
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
	[ "${1:-}" = keep ] || rm -f "$T"/events.jsonl*
}

# The empty programs of bench/floor.bpf.c (shmw-floor), attached while FLPID runs.
start_floor() {
	"$FLOOR" >"$T/floor.out" &
	FLPID=$!
	for _ in $(seq 1 500); do
		grep -q attached "$T/floor.out" 2>/dev/null && return 0
		kill -0 "$FLPID" 2>/dev/null || break
		sleep 0.01
	done
	die "shmw-floor did not attach its programs"
}

stop_floor() {
	[ -n "$FLPID" ] || return 0
	kill -TERM "$FLPID" 2>/dev/null
	wait "$FLPID" 2>/dev/null
	FLPID=
}

stop_farm() {
	[ -n "$FPID" ] || return 0
	kill -TERM "$FPID" 2>/dev/null
	wait "$FPID" 2>/dev/null
	FPID=
}

cleanup() {
	trap '' INT TERM HUP PIPE
	stop_daemon
	stop_floor
	stop_farm
	# Segments of a farm or loop that was killed (they remove their own otherwise).
	for k in $(seq 0 15); do ipcrm -M "$(printf '0x5348%02x%02x' "$k" "$k")" 2>/dev/null; done
	# Loop segments (keys 0x5348ff00-ff, by the loop's pid): those nobody has attached.
	for k in $(ipcs -m | awk '$1 ~ /^0x5348ff/ && $6 == 0 { print $1 }'); do
		ipcrm -M "$k" 2>/dev/null
	done
	if [ -n "$RESTORE" ]; then
		eval "$RESTORE"
		log "restored: $RESTORE"
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "scratch directory kept: $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM HUP
# Output into a closed pipe (make bench | head) must end the run through cleanup, not kill it.
trap 'exit 141' PIPE

die() {
	log "$*"
	exit 1
}

# ---- numbers ----------------------------------------------------------------------------------

# fmt_ns NS: a duration with a readable unit.
fmt_ns() {
	awk -v n="$1" 'BEGIN {
		if (n == "" || n == "-") { print "-"; exit }
		if (n >= 1e9) printf "%.2f s\n", n / 1e9
		else if (n >= 1e6) printf "%.2f ms\n", n / 1e6
		else if (n >= 1e3) printf "%.1f us\n", n / 1e3
		else printf "%d ns\n", n }'
}
fmt_bytes() {
	awk -v n="$1" 'BEGIN {
		if (n >= 1048576) printf "%.1f MiB\n", n / 1048576
		else if (n >= 1024) printf "%.1f KiB\n", n / 1024
		else printf "%d B\n", n }'
}
# ratio A B: A / B with 2 decimals (or more significant digits when large).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b <= 0) { print "-"; exit }
		r = a / b
		if (r >= 100) printf "%.0fx\n", r
		else if (r >= 10) printf "%.1fx\n", r
		else printf "%.2fx\n", r }'
}
# verdict VALUE OP LIMIT: PASS or MISS (OP is <, <=, >=, ==).
verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == "<" && v < l) || (op == "<=" && v <= l) || (op == ">=" && v >= l) ||
		     (op == "==" && v == l)
		print ok ? "PASS" : "MISS" }'
}
# median of the numbers on stdin (the mean of the middle two for an even count).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]
		else printf "%.12g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# row SECTION FIGURE N VALUE COMPARED RATIO TARGET RESULT
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"
}

# status FIELD...: sets ST to those fields of the daemon's status answer (dies if 3 tries fail:
# under event load a status request has been seen to get "connection reset").
STATUS_RETRIES=0
status() {
	for _ in 1 2 3; do
		ST=$("$SB" status "$SOCK" "$@") && return 0
		STATUS_RETRIES=$((STATUS_RETRIES + 1))
		sleep 0.2
	done
	die "status request failed 3 times"
}

# query SHMID [rows]: the query alone for one segment (with "rows": as `shmwatch who` asks it);
# sets Q_P50 Q_P99 Q_BYTES Q_N (dies on failure).
query() {
	local out
	out=$("$SB" query "$SOCK" "$1" 0 "$QUERIES" 3 ${2:+"$2"}) || die "query of shmid $1 failed"
	read -r Q_P50 _ Q_P99 _ Q_BYTES Q_N <<<"$out"
}

# cpu_per_100k: the daemon's CPU time per 100k events while a shmat+shmdt loop makes 400k of them
# (2 per iteration) in bursts of 20k that fit the ring buffer, so no loss and no resync is counted;
# sets CPU100K (ns) and CPU_EVENTS, CPU_LOST.
cpu_per_100k() {
	status events events_lost
	read -r ev0 lost0 <<<"$ST"
	c0=$(daemon_cpu_ticks)
	run_loop paced "shmat 10000 20 1 0 150" >/dev/null
	sleep 0.3
	status events events_lost
	read -r ev1 lost1 <<<"$ST"
	c1=$(daemon_cpu_ticks)
	CPU_EVENTS=$((ev1 - ev0))
	CPU_LOST=$((lost1 - lost0))
	CPU100K=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v e="$CPU_EVENTS" \
		'BEGIN { if (e) printf "%.0f", t / hz * 1e9 / e * 1e5 }')
}

# ---- daemon and farm --------------------------------------------------------------------------

# start_daemon: starts shmwatchd on the private socket and log file with default sizes; sets DPID
# and READY_NS (execve to the first successful `status` answer).
start_daemon() {
	# The poller reports through a FIFO: waiting costs no polling here while the daemon starts.
	rm -f "$T/ready" "$SOCK"
	mkfifo "$T/ready" || die "mkfifo"
	exec 7<>"$T/ready"
	"$SB" ready "$SOCK" "$T/ready" "$T/daemon.log" 30000 "$DAEMON" --socket "$SOCK" \
		--log-file "${LOGFILE:-$T/events.jsonl}" &
	DPID=$!
	READY_NS=
	read -r -t 40 -u 7 READY_NS
	exec 7<&-
	case $READY_NS in
	[0-9]*) return 0 ;;
	esac
	tail -5 "$T/daemon.log" >&2
	die "daemon did not become ready: ${READY_NS:-no answer from the readiness poller}"
}

# ready_times N COUNT: starts the daemon COUNT times (the last one keeps running), records the
# median readiness time for N processes.
ready_times() {
	: >"$T/ready.list"
	for i in $(seq 1 "$2"); do
		stop_daemon
		start_daemon
		echo "$READY_NS" >>"$T/ready.list"
	done
	READY_MED=$(median <"$T/ready.list")
}

# start_farm N [--one]: builds a farm and waits until every process holds its segments.
start_farm() {
	rm -f "$T/farm"
	"$FARM" -n "$1" ${2:+"$2"} $FARM_NS -o "$T/farm" &
	FPID=$!
	for _ in $(seq 1 1200); do
		[ -s "$T/farm" ] && break
		kill -0 "$FPID" 2>/dev/null || die "the farm of $1 processes could not be built"
		sleep 0.1
	done
	[ -s "$T/farm" ] || die "the farm of $1 processes was not ready after 120 s"
}

seg_id() { awk -v k="$1" '$1 == "seg" && $2 == k { print $3 }' "$T/farm"; }

# expected K: the pids the farm made hold segment K.
expected() {
	awk -v k="$1" '$1 == "holder" { for (i = 3; i <= NF; i++) if ($i == k) print $2 }' \
		"$T/farm" | sort -n
}

daemon_cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$DPID/stat"; }
daemon_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$DPID/status"; }
# RSS (kB) of the daemon's mappings of BPF maps: the ring buffer, whose data pages are mapped
# twice, counts twice its size.
daemon_bpfmap_kb() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { m = ($6 == "anon_inode:bpf-map") }
		m && $1 == "Rss:" { t += $2 } END { print t + 0 }' "/proc/$DPID/smaps"
}

# bpf_memlock: bytes of memlock of the maps used by the daemon's programs (bpftool), and how
# they split: "TOTAL name=bytes ...".
bpf_memlock() {
	progs=$(awk '$1 == "prog_id:" { print $2 }' /proc/"$DPID"/fdinfo/* 2>/dev/null | sort -u)
	maps=$(for p in $progs; do
		bpftool prog show id "$p" 2>/dev/null |
			awk '{ for (i = 1; i < NF; i++) if ($i == "map_ids") print $(i + 1) }'
	done | tr ',' '\n' | sort -un)
	for m in $maps; do
		bpftool map show id "$m" 2>/dev/null
	done | awk '
		/^[0-9]+:/ { for (i = 1; i < NF; i++) if ($i == "name") name = $(i + 1) }
		{ for (i = 1; i < NF; i++) if ($i == "memlock") { b = $(i + 1); sub(/B$/, "", b)
			total += b; parts = parts " " name "=" b } }
		END { print total + 0 parts }'
}

# Other shmwatchd instances (other people's tests) add their BPF programs to every loop, with
# or without ours: count their programs by the name of one of them.
foreign_daemons() {
	bpftool prog show 2>/dev/null | awk '$1 ~ /^[0-9]+:$/ && $4 == "on_exit_mmap"' | wc -l
}

# ---- checks: every method must find the same holders -----------------------------------------

# check_holders K LABEL: compares, for segment K, what the farm built with what each method says;
# sets NHOLD to the number of holders the farm made, DISAGREE=1 on any difference.
check_holders() {
	id=$(seg_id "$1")
	expected "$1" >"$T/h.expected"
	n=$(wc -l <"$T/h.expected")
	SHMWATCH_SOCKET=$SOCK "$CLIENT" who "$id" >"$T/who.out" 2>&1
	awk '$1 == "PID" { h = 1; next } h && $1 ~ /^[0-9]+$/ { print $1 }' "$T/who.out" |
		sort -n >"$T/h.who"
	"$SB" holders "$SOCK" "$id" 0 >"$T/h.client" 2>&1
	# lsof prints NODE = shmid and NAME = /SYSV<key> for SysV mappings: match both.
	for m in lsof lsofdel; do
		[ -f "$T/$m.out" ] || continue
		awk -v id="$id" '$NF ~ /^\/SYSV/ && $(NF - 1) == id { print $2 }' "$T/$m.out" |
			sort -un >"$T/h.$m"
	done
	grep -l -E " $id +/SYSV" /proc/[0-9]*/maps 2>/dev/null |
		awk -F/ '{ print $3 }' | sort -n >"$T/h.grep"
	# A farm process killed from outside (a pid-based reaper elsewhere) is not a disagreement.
	while read -r p; do
		kill -0 "$p" 2>/dev/null || die "farm process $p was killed from outside; run again"
	done <"$T/h.expected"
	for m in who client lsof lsofdel grep; do
		[ -f "$T/h.$m" ] || continue
		if ! cmp -s "$T/h.expected" "$T/h.$m"; then
			log "MISMATCH segment $1 (shmid $id), $2: $m finds $(wc -l <"$T/h.$m")" \
				"holders, the farm made $n; diff expected $m:"
			diff "$T/h.expected" "$T/h.$m" | head -10 >&2
			DISAGREE=1
		fi
	done
	rm -f "$T"/h.*
	NHOLD=$n
}

# ---- preflight --------------------------------------------------------------------------------

log "scratch directory $T"
nf=$(foreign_daemons)
# cpu_busy_pct: how busy the CPUs were over the last second (from /proc/stat).
cpu_busy_pct() {
	a=$(head -1 /proc/stat)
	sleep 1
	b=$(head -1 /proc/stat)
	printf '%s\n%s\n' "$a" "$b" | awk '{ idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i
		if (NR == 1) { i0 = idle; t0 = tot } else printf "%.0f\n", 100 * (1 - (idle - i0) / (tot - t0)) }'
}
busy() { # other shmwatchd instances, or CPUs more than 25% busy
	[ "$(foreign_daemons)" -gt 0 ] || [ "$(cpu_busy_pct)" -gt 25 ]
}
if busy && [ "$QUIET_WAIT" -gt 0 ]; then
	log "machine busy ($nf other shmwatchd instance(s), CPUs $(cpu_busy_pct)% busy);" \
		"waiting up to ${QUIET_WAIT}s for it to calm down"
	for _ in $(seq 1 "$((QUIET_WAIT / 2))"); do
		busy || break
		sleep 1
	done
	nf=$(foreign_daemons)
fi
FOREIGN_START=$nf
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_START=$(cpu_busy_pct)
HZ=$(getconf CLK_TCK)

# Limits for the large farm: pids (pid_max, threads-max, ulimit -u) and SysV ids (shmmni).
if [ "$BIG" -gt 0 ]; then
	set -- /proc/[0-9]*
	need=$(($# + BIG + 2000))
	pm=$(cat /proc/sys/kernel/pid_max)
	if [ "$pm" -lt "$need" ]; then
		RESTORE="echo $pm >/proc/sys/kernel/pid_max; $RESTORE"
		echo $((need * 2)) >/proc/sys/kernel/pid_max || die "cannot raise kernel.pid_max"
		log "kernel.pid_max $pm -> $((need * 2)) for the large farm (restored at the end)"
	fi
	tm=$(cat /proc/sys/kernel/threads-max)
	if [ "$tm" -lt "$need" ]; then
		RESTORE="echo $tm >/proc/sys/kernel/threads-max; $RESTORE"
		echo $((need * 2)) >/proc/sys/kernel/threads-max || die "cannot raise threads-max"
		log "kernel.threads-max $tm -> $((need * 2)) (restored at the end)"
	fi
	ul=$(ulimit -u)
	if [ "$ul" != unlimited ] && [ "$ul" -lt "$need" ]; then
		ulimit -u "$need" || die "ulimit -u $ul is too low for $BIG processes"
	fi
fi
[ "$(cat /proc/sys/kernel/shmmni)" -ge 16 ] || die "kernel.shmmni is below 16"

# ---- 1. startup without a farm, and the daemon's footprint with nothing to track -------------
# (BENCH_ONLY=history skips sections 1 and 2: not indented, to keep them readable as they were)
if [ "$ONLY" != history ]; then

log "startup with no farm"
ready_times 0 3
row startup "ready (execve to first status answer)" 0 "$(fmt_ns "$READY_MED")" "" "" "" ""
READY0=$READY_MED
HWM0_KB=$(daemon_kb VmHWM)
ANON0_KB=$(daemon_kb RssAnon)
RING0_KB=$(daemon_bpfmap_kb)
MEMLOCK0=$(bpf_memlock | cut -d' ' -f1)
stop_daemon

# ---- 2. event cost: tight loops, daemon off and on, alternating ------------------------------

# Loops: name, shmw-bench loop arguments.
LOOPS="shmat1:shmat 10000 5 1
shmat2:shmat 10000 5 2
fork:fork 1000 5 1
forkhold:forkhold 1000 5 1
forkhold1k:forkhold 300 5 1 1000"

# run_loop NAME ARGS: one shmw-bench loop; tried again once if it fails. On a shared machine a
# pid-based reaper (a test harness killing the pids it recorded, since reused by our forks) has
# been seen to SIGKILL a loop.
LOOP_RETRIES=0
run_loop() {
	# shellcheck disable=SC2086
	"$SB" loop $2 && return 0
	LOOP_RETRIES=$((LOOP_RETRIES + 1))
	log "loop $1 failed; running it again"
	# shellcheck disable=SC2086
	"$SB" loop $2 || die "loop $1 failed twice"
}

run_loops() { # COND (off|on|floor) PAIR
	while IFS=: read -r name args; do
		# The floor is measured for the loops whose hooks shmw-floor mirrors.
		if [ "$1" = floor ]; then
			case $name in shmat1 | shmat2 | fork) ;; *) continue ;; esac
		fi
		if [ "$1" = on ]; then
			status events events_lost
			read -r ev0 lost0 <<<"$ST"
			c0=$(daemon_cpu_ticks)
		fi
		run_loop "$name" "$args" >"$T/loop.out"
		awk '$1 == "round" { print $2, $3 }' "$T/loop.out" >"$T/loop.$name.$1.$2"
		if [ "$1" = on ]; then
			status events events_lost
			read -r ev1 lost1 <<<"$ST"
			c1=$(daemon_cpu_ticks)
			wall=$(awk '$1 == "wall" { print $2 }' "$T/loop.out")
			echo "$name $((ev1 - ev0)) $((lost1 - lost0)) $wall $((c1 - c0))" >>"$T/loop.events"
		fi
	done <<<"$LOOPS"
}

log "event cost: $REPS rounds of runs without the daemon, with it, and with empty programs"
rm -f "$T"/loop.*
for i in $(seq 1 "$REPS"); do
	if [ $((i % 2)) = 1 ]; then order="off on floor"; else order="floor on off"; fi
	for cond in $order; do
		if [ "$cond" = on ]; then start_daemon; fi
		if [ "$cond" = floor ]; then start_floor; fi
		run_loops "$cond" "$i"
		stop_daemon
		stop_floor
	done
done
[ -n "$(cat "$T"/loop.*.off.* 2>/dev/null)" ] || die "no loop results"
# add_loop_row NAME FIGURE [TARGET-RATIO]: per operation, the medians over every round with and
# without the daemon, of the loop's CPU time (user + system of the loop and its children: the
# BPF programs run in their context, being preempted by other load does not count) and of its
# wall-clock time. Each ratio is the median over the A/B pairs of each pair's on/off ratio (the
# range of the CPU ones follows), so drifting load from elsewhere cancels within a pair. The
# target is checked on the CPU-time ratio; the wall-clock ratio adds what the daemon's own CPU
# use costs the loop when they share the 2 CPUs.
col_median() { awk -v c="$1" '{ print $c }' | median; }
# COND (on, the default, or floor): the runs compared with those without the daemon.
add_loop_row() {
	cond=${4:-on}
	with="with"
	[ "$cond" = floor ] && with="with empty programs"
	off=$(cat "$T"/loop."$1".off.* | col_median 2)
	on=$(cat "$T"/loop."$1".$cond.* | col_median 2)
	for c in 1 2; do
		for i in $(seq 1 "$REPS"); do
			a=$(col_median "$c" <"$T/loop.$1.$cond.$i")
			b=$(col_median "$c" <"$T/loop.$1.off.$i")
			awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", a / b }'
		done >"$T/loop.$1.ratios.$cond.$c"
	done
	r=$(median <"$T/loop.$1.ratios.$cond.2")
	rw=$(median <"$T/loop.$1.ratios.$cond.1")
	range=$(sort -g "$T/loop.$1.ratios.$cond.2" | awk 'NR == 1 { lo = $1 } { hi = $1 }
		END { printf "%.2f-%.2f%s", lo, hi, (hi > lo * 1.25 ? " noisy" : "") }')
	what="$(ratio "$r" 1) cpu [$range], $(ratio "$rw" 1) wall"
	if [ -n "${3:-}" ]; then
		row "event cost" "$2" "" "$(fmt_ns "$on") cpu/op $with" "$(fmt_ns "$off") without" \
			"$what" "<= ${3}x" "$(verdict "$r" "<=" "$3")"
	else
		row "event cost" "$2" "" "$(fmt_ns "$on") cpu/op $with" "$(fmt_ns "$off") without" \
			"$what" "" ""
	fi
}
add_loop_row shmat1 "shmat+shmdt loop, 1 process" 1.25
add_loop_row shmat2 "shmat+shmdt loop, 2 processes" 1.25
add_loop_row fork "fork+exit, non-holder" 1.05
add_loop_row forkhold "fork+exit, holder of 1 segment" ""
add_loop_row forkhold1k "fork+exit, holder, 1000 VMAs" ""
# The floor of tracepoint mode: the same loops with programs that return at once on the hooks
# they reach (bench/floor.bpf.c): what the kernel's dispatch costs before any work of ours.
add_loop_row shmat1 "floor: shmat+shmdt, 1 process, empty programs" "" floor
add_loop_row shmat2 "floor: shmat+shmdt, 2 processes, empty programs" "" floor
add_loop_row fork "floor: fork+exit, non-holder, empty programs" "" floor
# Events lost over every loop; the highest event rate the loops reached, and where the losses were.
read -r LOST MAXRATE WHERE <<<"$(awk '{ lost += $3; l[$1] += $3; r = ($2 + $3) / ($4 / 1e9)
	if (r > max) max = r } END { w = ""; for (k in l) if (l[k]) w = w (w ? "," : "") k "=" l[k]
	printf "%d %.0f %s\n", lost, max, w ? w : "-" }' "$T/loop.events")"
row "event cost" "events lost, default ring (2 MiB)" "" "$LOST lost" \
	"peak $(awk -v r="$MAXRATE" 'BEGIN { printf "%.0fk", r / 1000 }') events/s; lost in: $WHERE" "" "0" \
	"$(verdict "$LOST" "==" 0)"
start_daemon
cpu_per_100k
CPU_SMALL=$CPU100K

# Where the in-kernel cost goes: run time of each of the daemon's BPF programs per operation of
# each loop (kernel.bpf_stats_enabled, a separate pass: the statistics cost a little themselves).
bpf_prog_stats() { # "ID NAME RUN_TIME_NS RUN_CNT" for each program the daemon holds
	# shellcheck disable=SC2013
	for p in $(awk '$1 == "prog_id:" { print $2 }' /proc/"$DPID"/fdinfo/* 2>/dev/null | sort -un); do
		bpftool prog show id "$p" 2>/dev/null | head -1
	done | awk '{ id = $1; sub(/:$/, "", id); t = c = 0
		for (i = 1; i < NF; i++) { if ($i == "name") n = $(i + 1)
			if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
		print id, n, t, c }'
}
if [ "${BENCH_BPF_STATS:-1}" = 1 ] && [ -r /proc/sys/kernel/bpf_stats_enabled ]; then
	log "BPF program run times per operation (kernel.bpf_stats_enabled for one pass)"
	old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
	RESTORE="echo $old_stats >/proc/sys/kernel/bpf_stats_enabled; $RESTORE"
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	while IFS=: read -r name args; do
		bpf_prog_stats >"$T/bpfstats.a"
		run_loop "$name" "$args" >/dev/null
		bpf_prog_stats >"$T/bpfstats.b"
		# Operations: OPS x ROUNDS x PROCS.
		# shellcheck disable=SC2086
		set -- $args
		ops=$(($2 * $3 * $4))
		case $name in
		shmat1) what="shmat+shmdt, 1 process" ;;
		shmat2) what="shmat+shmdt, 2 processes" ;;
		fork) what="fork+exit, non-holder" ;;
		forkhold) what="fork+exit, holder" ;;
		forkhold1k) what="fork+exit, holder, 1000 VMAs" ;;
		esac
		read -r total detail <<<"$(awk -v ops="$ops" 'NR == FNR { t[$1] = $3; next }
			{ d = ($3 - t[$1]) / ops; if (d > 0) { sum += d; by[$2] += d } }
			END { n = 0; for (k in by) if (by[k] >= sum * 0.05) {
					s[++n] = sprintf("%s %.1f us", k, by[k] / 1000); v[n] = by[k] }
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] > v[i]) {
					x = v[i]; v[i] = v[j]; v[j] = x; x = s[i]; s[i] = s[j]; s[j] = x }
				out = ""; for (i = 1; i <= n && i <= 3; i++) out = out (i > 1 ? ", " : "") s[i]
				printf "%.0f %s\n", sum, out }' "$T/bpfstats.a" "$T/bpfstats.b")"
		row "BPF programs (bpf_stats)" "BPF time per op: $what" "" \
			"$(fmt_ns "$total")" "$detail" "" "" ""
	done <<<"$LOOPS"
	echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled
fi
stop_daemon
row "event cost" "daemon CPU per 100k events, no farm" "" \
	"$(fmt_ns "$CPU_SMALL")" "$CPU_LOST of $CPU_EVENTS events lost" "" "" ""
fi

# ---- 3. query methods on farms of N processes --------------------------------------------------

for N in $SIZES; do
	log "farm of $N processes"
	start_farm "$N"
	ready_times "$N" 3
	if [ "$N" = 3000 ]; then
		row startup "ready (execve to first status answer)" "$N" "$(fmt_ns "$READY_MED")" \
			"$(fmt_ns "$READY0") with no farm" "" "< 100 ms" "$(verdict "$READY_MED" "<" 1e8)"
	else
		row startup "ready (execve to first status answer)" "$N" "$(fmt_ns "$READY_MED")" \
			"$(fmt_ns "$READY0") with no farm" "" "" ""
	fi

	X=$(seg_id 0)
	X1=$(seg_id 1)
	# The lsof runs for the check also warm the caches for the timed ones.
	lsof >"$T/lsof.out" 2>/dev/null
	lsof -n -w -b -d DEL >"$T/lsofdel.out" 2>/dev/null
	check_holders 0 "N=$N"
	nx=$NHOLD
	check_holders 1 "N=$N"
	n1=$NHOLD
	rm -f "$T/lsof.out" "$T/lsofdel.out"
	log "N=$N: segment $X has $nx holders, $X1 has $n1; methods agree: $([ $DISAGREE = 0 ] && echo yes || echo NO)"

	lr=${BENCH_LSOF_REPS:-$([ "$N" -ge 2000 ] && echo 3 || echo 5)}
	log "N=$N: timing (true and shmwatch who x$WHO_REPS, lsof x$lr, grep x10, alternating)"
	SHMWATCH_SOCKET=$SOCK "$SB" run \
		true "$WHO_REPS" "true" \
		who "$WHO_REPS" "$CLIENT who $X" \
		who1 "$WHO_REPS" "$CLIENT who $X1" \
		version "$WHO_REPS" "$CLIENT --version" \
		lsof "$lr" "lsof | egrep \"$X|COMMAND\"" \
		lsofdel "$lr" "lsof -n -w -b -d DEL" \
		grep 10 "grep -l -E ' $X +/SYSV' /proc/[0-9]*/maps" >"$T/run.$N" ||
		die "timing runs failed at N=$N"
	med() { awk -v n="$1" '$1 == n { print $3 }' "$T/run.$N"; }
	t_true=$(med true)
	t_who=$(med who)
	r=$(awk -v a="$t_who" -v b="$t_true" 'BEGIN { printf "%.3f", a / b }')
	row "who X (whole command)" "shmwatch who X ($nx holders) vs true" "$N" "$(fmt_ns "$t_who")" \
		"$(fmt_ns "$t_true") (true)" "$(ratio "$t_who" "$t_true")" "<= 1.5x" \
		"$(verdict "$r" "<=" 1.5)"
	t=$(med who1)
	r=$(awk -v a="$t" -v b="$t_true" 'BEGIN { printf "%.3f", a / b }')
	row "who X (whole command)" "shmwatch who X ($n1 holder) vs true" "$N" "$(fmt_ns "$t")" \
		"$(fmt_ns "$t_true") (true)" "$(ratio "$t" "$t_true")" "<= 1.5x" \
		"$(verdict "$r" "<=" 1.5)"
	t=$(med version)
	row "who X (whole command)" "shmwatch --version (start, no query) vs true" "$N" \
		"$(fmt_ns "$t")" "$(fmt_ns "$t_true") (true)" "$(ratio "$t" "$t_true")" "" ""
	t=$(med lsof)
	t1=$(med who1)
	row "who X (whole command)" 'lsof | egrep "X|COMMAND" vs shmwatch who X (1 holder)' "$N" \
		"$(fmt_ns "$t")" "$(fmt_ns "$t1") (shmwatch)" "$(ratio "$t" "$t1") slower" "" ""
	for m in lsof lsofdel grep; do
		t=$(med "$m")
		case $m in
		lsof) what='lsof | egrep "X|COMMAND"' ;;
		lsofdel) what='lsof -n -w -b -d DEL' ;;
		grep) what='grep -l /proc/[0-9]*/maps' ;;
		esac
		r=$(awk -v a="$t" -v b="$t_who" 'BEGIN { printf "%.3f", a / b }')
		if [ "$m" = lsof ] && [ "$N" = 3000 ]; then
			row "who X (whole command)" "$what vs shmwatch who X" "$N" "$(fmt_ns "$t")" \
				"$(fmt_ns "$t_who") (shmwatch)" "$(ratio "$t" "$t_who") slower" \
				">= 100x" "$(verdict "$r" ">=" 100)"
		else
			row "who X (whole command)" "$what vs shmwatch who X" "$N" "$(fmt_ns "$t")" \
				"$(fmt_ns "$t_who") (shmwatch)" "$(ratio "$t" "$t_who") slower" "" ""
		fi
	done

	for seg in 0 1; do
		id=$(seg_id $seg)
		query "$id"
		nh=$([ $seg = 0 ] && echo "$nx" || echo "$n1")
		row "query alone" "who round trip, $nh holder(s), $(fmt_bytes "$Q_BYTES") answer" "$N" \
			"p99 $(fmt_ns "$Q_P99")" "p50 $(fmt_ns "$Q_P50"), $Q_N requests" "" "" ""
	done

	# A restart (systemctl restart): the daemon replays the event log it finds.
	lines=$(cat "$T"/events.jsonl* 2>/dev/null | wc -l)
	stop_daemon keep
	start_daemon
	row startup "ready, restart replaying the log ($lines lines)" "$N" \
		"$(fmt_ns "$READY_NS")" "$(fmt_ns "$READY_MED") from scratch" \
		"$(ratio "$READY_NS" "$READY_MED")" "" ""
	stop_daemon
	stop_farm
done

# ---- 4. the large farm: 10k holders ----------------------------------------------------------

if [ "$BIG" -gt 0 ]; then
	log "large farm: $BIG holders of one segment each"
	start_farm "$BIG" --one
	ready_times "$BIG" 2
	row startup "ready (execve to first status answer)" "$BIG" "$(fmt_ns "$READY_MED")" \
		"$(fmt_ns "$READY0") with no farm" "" "" ""
	status attachments address_spaces
	read -r holders mms <<<"$ST"
	lsof -n -w -b -d DEL >"$T/lsofdel.out" 2>/dev/null
	check_holders 0 "N=$BIG"
	nx=$NHOLD
	check_holders 1 "N=$BIG"
	n1=$NHOLD
	rm -f "$T/lsofdel.out"
	log "N=$BIG: daemon status attachments=$holders address_spaces=$mms; segment 0 has $nx holders"
	for seg in 1 0; do
		id=$(seg_id $seg)
		query "$id"
		nh=$([ $seg = 0 ] && echo "$nx" || echo "$n1")
		row "query alone" "who round trip, $nh holder(s), $(fmt_bytes "$Q_BYTES") answer" "$BIG" \
			"p99 $(fmt_ns "$Q_P99")" "p50 $(fmt_ns "$Q_P50"), $Q_N requests" "" "< 200 us" \
			"$(verdict "$Q_P99" "<" 200000)"
	done
	query "$(seg_id 0)" rows
	row "query alone" "who round trip, rows form, $nx holder(s), $(fmt_bytes "$Q_BYTES") answer" \
		"$BIG" "p99 $(fmt_ns "$Q_P99")" "p50 $(fmt_ns "$Q_P50"), $Q_N requests" "" "" ""

	# Memory right after the start and the queries: the state of BIG holders.
	hwm=$(daemon_kb VmHWM)
	rss=$(daemon_kb VmRSS)
	anon=$(daemon_kb RssAnon)
	read -r memlock parts <<<"$(bpf_memlock)"
	row "daemon at $BIG holders" "peak RSS (VmHWM)" "$BIG" "$(fmt_bytes $((hwm * 1024)))" \
		"$(fmt_bytes $((HWM0_KB * 1024))) idle ($(fmt_bytes $((RING0_KB * 1024))) BPF mmaps); RSS now $(fmt_bytes $((rss * 1024)))" "" \
		"< 16 MiB" "$(verdict "$hwm" "<" 16384)"
	row "daemon at $BIG holders" "BPF maps (memlock, bpftool map show)" "$BIG" \
		"$(fmt_bytes "$memlock")" "$(fmt_bytes "$MEMLOCK0") with none" "" "" ""
	mms_part=$(tr ' ' '\n' <<<"$parts" | awk -F= '$1 == "mms" { print $2 }')
	# User space: the growth of anonymous memory (heap), which the BPF mmaps (file-backed, the
	# ring buffer counted twice) and the start-up peak in VmHWM do not blur. It includes the
	# bounded ring of recent event lines (--recent, 4096 by default), full after the seeding.
	per_user=$(((anon - ANON0_KB) * 1024 / BIG))
	per_bpf=$(((memlock - MEMLOCK0) / BIG))
	row "daemon at $BIG holders" "state per holder (RSS + BPF maps growth)" "$BIG" \
		"$((per_user + per_bpf)) B" "$per_user B user (RssAnon $(fmt_bytes $((ANON0_KB * 1024))) -> $(fmt_bytes $((anon * 1024)))), $per_bpf B BPF (mms $(fmt_bytes "${mms_part:-0}"))" \
		"" "< 1 KiB" "$(verdict $((per_user + per_bpf)) "<" 1024)"

	# Idle cost of tracking BIG holders: the daemon's CPU over 5 quiet seconds.
	c0=$(daemon_cpu_ticks)
	sleep 5
	c1=$(daemon_cpu_ticks)
	row "daemon at $BIG holders" "CPU while idle (5 s, no events)" "$BIG" \
		"$(awk -v t=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.1f%%", t / hz / 5 * 100 }')" \
		"" "" "" ""

	cpu_per_100k
	row "daemon at $BIG holders" "CPU per 100k events" \
		"$BIG" "$(fmt_ns "$CPU100K")" "$(fmt_ns "$CPU_SMALL") no farm; $CPU_LOST of $CPU_EVENTS lost" \
		"$(ratio "$CPU100K" "$CPU_SMALL")" "" ""
	# One unpaced loop: what a burst beyond the ring buffer does at this size.
	status events events_lost
	read -r ev0 lost0 <<<"$ST"
	run_loop unpaced "shmat 50000 4 1" >"$T/loop.out"
	status events events_lost
	read -r ev1 lost1 <<<"$ST"
	wall=$(awk '$1 == "wall" { print $2 }' "$T/loop.out")
	row "daemon at $BIG holders" "events lost, unpaced shmat+shmdt loop" "$BIG" \
		"$((lost1 - lost0)) lost" "of $((ev1 - ev0 + lost1 - lost0)) at $(awk -v e=$((ev1 - ev0 + lost1 - lost0)) \
		-v w="$wall" 'BEGIN { printf "%.0fk", e / (w / 1e9) / 1000 }') events/s" "" "" ""
	echo "bpf maps at $BIG holders: $parts" >"$T/bpf-maps"
	stop_daemon
	stop_farm
fi

# ---- 5. the past: history queries over a million log lines ----------------------------------

# A day of a busy host's log (bench/shmw-loggen.c): rotated every 64 MiB and compressed as the
# daemon does it, plus the live file. The daemon serves the queries from it; zgrep and jq read
# the same files for the same segment's lines. Every method must find the generator's count.
if [ "$HIST_LINES" -gt 0 ]; then
	log "history: writing and compressing a log of $HIST_LINES lines"
	mkdir "$T/hist" || die "mkdir $T/hist"
	"$LOGGEN" "$T/hist/events.jsonl" "$HIST_LINES" >"$T/hist/gen.out" || die "shmw-loggen failed"
	read -r _ HID HNS AT_HELD AT_DEST HN <<<"$(awk '$1 == "target"' "$T/hist/gen.out")"
	read -r _ BID _ AT_BUSY BN <<<"$(awk '$1 == "busy"' "$T/hist/gen.out")"
	HLINES=$(awk '$1 == "files" { print $(NF - 1) }' "$T/hist/gen.out")
	HFILES=$T/hist/events.jsonl # oldest first: events.jsonl.N.gz ... .1.gz, then the live file
	n=1
	while [ -f "$T/hist/events.jsonl.$n.gz" ]; do
		HFILES="$T/hist/events.jsonl.$n.gz $HFILES"
		n=$((n + 1))
	done
	nfiles=$(echo "$HFILES" | wc -w)
	gzbytes=$(cat "$T"/hist/events.jsonl.*.gz | wc -c)
	plainbytes=$(wc -c <"$T/hist/events.jsonl")
	LOGFILE=$T/hist/events.jsonl start_daemon
	# Every method finds the target's lines, all of them.
	n_hist=$("$CLIENT" --socket "$SOCK" --json history "$HID" --ns "$HNS" | wc -l)
	# shellcheck disable=SC2086 # HFILES: a list of paths without blanks
	n_zgrep=$(zgrep -h -F "\"shmid\":$HID," $HFILES | wc -l)
	# shellcheck disable=SC2086
	n_jq=$(zcat -f $HFILES | jq -c "select(.shmid == $HID)" | wc -l)
	if [ "$n_hist" != "$HN" ] || [ "$n_zgrep" != "$HN" ] || [ "$n_jq" != "$HN" ]; then
		log "MISMATCH history: the log has $HN lines of shmid $HID; shmwatch history" \
			"found $n_hist, zgrep $n_zgrep, jq $n_jq"
		DISAGREE=1
	fi
	n_busy=$("$CLIENT" --socket "$SOCK" --json history "$BID" --ns "$HNS" | wc -l)
	if [ "$n_busy" != "$BN" ]; then
		log "MISMATCH history: the log has $BN lines of shmid $BID; shmwatch history found $n_busy"
		DISAGREE=1
	fi
	busy_read=$("$CLIENT" --socket "$SOCK" --json who "$BID" --ns "$HNS" --at "$AT_BUSY" |
		jq -c '.read')
	held=$("$CLIENT" --socket "$SOCK" --json who "$HID" --ns "$HNS" --at "$AT_HELD" |
		jq -r '.holders | length')
	log "history: $HLINES lines in $nfiles files ($(fmt_bytes "$gzbytes") gz + $(fmt_bytes "$plainbytes") plain);" \
		"shmid $HID has $HN lines, $held holders at $AT_HELD"
	log "history: timing (shmwatch x10, zgrep x3, jq x1, alternating)"
	SHMWATCH_SOCKET=$SOCK "$SB" run \
		history 10 "$CLIENT history $HID --ns $HNS" \
		whoat 10 "$CLIENT who $HID --ns $HNS --at $AT_HELD" \
		whoat_dest 10 "$CLIENT who $HID --ns $HNS --at $AT_DEST" \
		busy_whoat 10 "$CLIENT who $BID --ns $HNS --at $AT_BUSY" \
		busy_history 5 "$CLIENT history $BID --ns $HNS" \
		evshmid 10 "$CLIENT events --shmid $HID --ns $HNS" \
		evrmid 3 "$CLIENT events --event rmid --since -2h" \
		zgrep 3 "zgrep -h -F '\"shmid\":$HID,' $HFILES" \
		jq 1 "zcat -f $HFILES | jq -c 'select(.shmid == $HID)'" >"$T/run.hist" ||
		die "history timing runs failed"
	hmed() { awk -v n="$1" '$1 == n { print $3 }' "$T/run.hist"; }
	sec="history ($HLINES log lines)"
	t_zgrep=$(hmed zgrep)
	t_jq=$(hmed jq)
	for m in history whoat whoat_dest evshmid busy_whoat busy_history; do
		t=$(hmed "$m")
		case $m in
		history) what="shmwatch history X ($HN lines)" ;;
		whoat) what="shmwatch who X --at (held by $held)" ;;
		whoat_dest) what="shmwatch who X --at (after its rmid)" ;;
		evshmid) what="shmwatch events --shmid X" ;;
		busy_whoat) what="shmwatch who B --at, B in every block (read $busy_read)" ;;
		busy_history) what="shmwatch history B ($BN lines, in every block)" ;;
		esac
		row "$sec" "$what" "$nfiles files" "$(fmt_ns "$t")" \
			"$(fmt_ns "$t_zgrep") zgrep, $(fmt_ns "$t_jq") jq" \
			"$(ratio "$t_zgrep" "$t") faster than zgrep" "< 0.5 s" "$(verdict "$t" "<" 5e8)"
	done
	t=$(hmed evrmid)
	row "$sec" "shmwatch events --event rmid --since -2h (no shmid: every block of the last 2 h)" \
		"$nfiles files" "$(fmt_ns "$t")" "" "" "" ""
	row "$sec" "zgrep -h shmid X, same files" "$nfiles files" "$(fmt_ns "$t_zgrep")" "" "" "" ""
	row "$sec" "zcat -f | jq select(.shmid == X), same files" "$nfiles files" "$(fmt_ns "$t_jq")" \
		"" "" "" ""
	stop_daemon
	unset LOGFILE
fi

# ---- 6. the table ------------------------------------------------------------------------------

FOREIGN_END=$(foreign_daemons)
echo
echo "shmwatch benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  kernel $(uname -r)  $(nproc) CPUs" \
	" commit $(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "CPUs ${BUSY_START}% busy before the start (load average $LOAD_START);" \
	"other shmwatchd instances: $FOREIGN_START at start, $FOREIGN_END at end; took" \
	"$(($(date +%s) - T_START)) s"
awk -F'\t' '
	BEGIN { h = "figure\tN\tmeasured\tcompared with\tratio\ttarget\tresult"
		n = split(h, hd, "\t"); for (i = 1; i <= n; i++) w[i] = length(hd[i]) }
	{ r[NR] = $0; sec[NR] = $1; for (i = 2; i <= NF; i++) if (length($i) > w[i - 1]) w[i - 1] = length($i) }
	function line(s,   f, i, k, out) { k = split(s, f, "\t"); out = ""
		for (i = 1; i <= k; i++) out = out sprintf("%-*s", w[i] + 2, f[i]); sub(/ +$/, "", out)
		print out }
	!($1 in seen) { seen[$1] = 1; order[++nsec] = $1 }
	END { line(h); tot = 0; for (i = 1; i <= n; i++) tot += w[i] + 2
		for (j = 1; j <= nsec; j++) {
			s = "== " order[j] " "; while (length(s) < tot - 2) s = s "="; print s
			for (i = 1; i <= NR; i++) if (sec[i] == order[j]) {
				k = index(r[i], "\t"); line(substr(r[i], k + 1)) } } }' "$ROWS"
echo
miss=$(awk -F'\t' '$8 == "MISS"' "$ROWS" | wc -l)
pass=$(awk -F'\t' '$8 == "PASS"' "$ROWS" | wc -l)
echo "targets: $pass PASS, $miss MISS"
if [ "${LOOP_RETRIES:-0}" -gt 0 ]; then
	echo "note: $LOOP_RETRIES loop(s) failed (killed from outside?) and were run again"
fi
if [ "$STATUS_RETRIES" -gt 0 ]; then
	echo "note: $STATUS_RETRIES status request(s) failed (e.g. connection reset) and were retried"
fi
if [ "$ONLY" != history ] && { [ "$FOREIGN_START" -gt 0 ] || [ "$FOREIGN_END" -gt 0 ]; }; then
	echo "note: other shmwatchd instances were attached: their BPF programs run in both the" \
		"'without' and the 'with' loops, so event-cost ratios are understated"
fi
if [ "$DISAGREE" != 0 ]; then
	echo "FAIL: the methods disagree on who holds a segment (see the MISMATCH lines above)"
	exit 1
fi
exit 0
