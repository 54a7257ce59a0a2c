#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bench/bpfcost.sh: a focused measurement of the kernel side and start-up, quicker than
# `make bench` (run as root after `make all bench-bin`):
#   - ready time (execve to the first status answer), REPS starts, median;
#   - per loop kind (shmat, fork, forkhold): CPU ns/op without and with the daemon, REPS
#     pairs (median of each loop's rounds, then median over pairs), and BPF ns/op per program
#     from the run-time stats of this daemon's programs only (found in its fdinfo).
# Run-time stats are enabled with BPF_ENABLE_STATS (an fd held while we run), not the sysctl,
# so runs of `make bench` elsewhere are not disturbed.
#
#   bench/bpfcost.sh [REPS [OPS [KINDS]]]     defaults: 5 20000 "shmat fork forkhold"
set -eu

REPS=${1:-5}
OPS=${2:-20000}
KINDS=${3:-shmat fork forkhold}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$ROOT/build} # BUILD=DIR measures another build (a baseline)
T=$(mktemp -d /tmp/shmw-bpfcost.XXXXXX)
SOCK=$T/sock
DPID=

cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

cp "$B/shmwatchd" "$B/bench/shmw-bench" "$T/"

# Holds BPF_ENABLE_STATS(RUN_TIME) open until killed.
cat >"$T/statson.c" <<'EOF'
#include <bpf/bpf.h>
#include <unistd.h>
int main(void) { if (bpf_enable_stats(BPF_STATS_RUN_TIME) < 0) return 1; pause(); return 0; }
EOF
cc -O2 -o "$T/statson" "$T/statson.c" -lbpf
"$T/statson" &
SPID=$!

median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

start_daemon() {
	rm -f "$T/ready" "$SOCK"
	"$T/shmw-bench" ready "$SOCK" "$T/ready" "$T/daemon.log" 30000 "$T/shmwatchd" \
		--socket "$SOCK" --log-file "$T/events.jsonl" &
	DPID=$!
	for _ in $(seq 1 3000); do
		[ -s "$T/ready" ] && break
		sleep 0.01
	done
	case $(cat "$T/ready") in
	[0-9]*) ;;
	*) echo "daemon not ready: $(cat "$T/ready")" >&2; tail -5 "$T/daemon.log" >&2; exit 1 ;;
	esac
}

stop_daemon() {
	kill "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=
}

# prog_stats: "name run_time_ns run_cnt" for every program of the daemon.
prog_stats() {
	for p in $(awk '$1 == "prog_id:" { print $2 }' /proc/"$DPID"/fdinfo/* 2>/dev/null |
		sort -u); do
		bpftool prog show id "$p" -j
		echo
	done | jq -r '"\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

# loop_cpu KIND: median CPU ns/op over the rounds of one loop.
loop_cpu() {
	# A private IPC namespace: the loop's fixed keys would collide with other runs.
	unshare --ipc "$T/shmw-bench" loop "$1" "$2" 5 1 | awk '$1 == "round" { print $3 }' | median
}

ops_of() { case $1 in shmat) echo "$OPS" ;; *) echo $((OPS / 20)) ;; esac; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); other BPF programs named on_exit_mmap:" \
	"$(bpftool prog show 2>/dev/null | awk '$4 == "on_exit_mmap"' | wc -l)"

: >"$T/ready.list"
for _ in $(seq 1 "$REPS"); do
	start_daemon
	cat "$T/ready" >>"$T/ready.list"
	stop_daemon
done
echo "ready ms median $(median <"$T/ready.list" | awk '{ printf "%.1f", $1 / 1e6 }')" \
	"(all: $(sort -n "$T/ready.list" | awk '{ printf "%.0f ", $1 / 1e6 }'))"

for k in $KINDS; do
	n=$(ops_of "$k")
	: >"$T/off"
	: >"$T/on"
	: >"$T/ratio"
	: >"$T/bpf"
	for r in $(seq 1 "$REPS"); do
		# Without the daemon, then with it (its programs attached only then), the order
		# flipped every pair so that drift in the machine's load cancels out.
		[ $((r % 2)) = 1 ] && off=$(loop_cpu "$k" "$n")
		start_daemon
		prog_stats >"$T/s0"
		on=$(loop_cpu "$k" "$n")
		prog_stats >"$T/s1"
		stop_daemon
		[ $((r % 2)) = 0 ] && off=$(loop_cpu "$k" "$n")
		echo "$off" >>"$T/off"
		echo "$on" >>"$T/on"
		echo "$on $off" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$T/ratio"
		# Per program: ns per run (time / runs; the least disturbed by other processes that
		# run the same programs meanwhile), and runs per loop op (5 rounds of n ops).
		awk -v ops=$((n * 5)) 'NR == FNR { t[$1] = $2; c[$1] = $3; next }
			{ d = $2 - t[$1]; r = $3 - c[$1]
			  if (d > 0 && r > 0) printf "%s %.0f %.2f\n", $1, d / r, r / ops }' \
			"$T/s0" "$T/s1" >>"$T/bpf"
	done
	printf '%-9s cpu ns/op without %s with %s ratio median %s (pairs: %s)\n' "$k" \
		"$(median <"$T/off")" "$(median <"$T/on")" "$(median <"$T/ratio")" \
		"$(tr '\n' ' ' <"$T/ratio")"
	# Median per program over the pairs; programs that ran less than once per 10 ops are
	# other processes' work, not the loop's.
	awk '{ s[$1] = s[$1] " " $2; r[$1] = r[$1] " " $3 } END { for (p in s) print p, s[p], "/", r[p] }' \
		"$T/bpf" | while read -r line; do
		name=${line%% *}
		vals=${line#* }
		runs=${vals#*/ }
		vals=${vals%%/*}
		echo "$name $(echo $vals | tr ' ' '\n' | median) $(echo $runs | tr ' ' '\n' | median)"
	done | awk '$3 >= 0.1' | sort -k2,2nr | awk '{ t += $2 * $3; l = l sprintf(" %s=%d(x%.1f)", $1, $2, $3) }
		END { printf "          BPF ns/op %d; ns per run:%s\n", t, l }'
done
