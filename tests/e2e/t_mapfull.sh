#!/bin/sh
# The bounds of the BPF side, which are map sizes only (README.md, Staying right):
#  1. No bound per address space: one holding 70 segments is tracked whole (ps and who equal the
#     kernel, none of its counts left to a walk), so is its forked child, and both exits.
#  2. --max-holders: a map of address spaces sized just above what the rest of the machine
#     holds, then more holders of our segment than fit. The failed inserts are counted (status
#     map_full), the daemon says so, and once holders exit and there is room again, the walks
#     the full map caused leave `who` equal to the kernel, without a further change by the
#     holders that were left out.
#  3. --max-holdings: the (address space, segment) pairs the map can take, sized just above
#     what the rest of the machine holds, then one process attaching 40 more segments than fit:
#     counted, said, and once it detached enough, ps equals the kernel again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# delta_of FIELD BASE: status FIELD minus BASE.
delta_of() {
	echo $(($(status_field "$1") - $2))
}
positive() { [ "$("$@")" -gt 0 ]; }
# incomplete_of PID: how many times the daemon said it could not keep PID's counts.
incomplete_of() {
	grep -c "pid $1 (.*counts incomplete" "$T/daemon.log"
}

# 1. 70 segments in one address space, then a fork, then both exits.
start_daemon || finish
OPS=
i=0
while [ "$i" -lt 70 ]; do
	OPS="$OPS create $(new_key) 4096 attach"
	i=$((i + 1))
done
# shellcheck disable=SC2086
hold b $OPS pause detach detach detach detach detach detach pause fork || finish
B=$(hpid b)
FIRST=$(awk '$2 == "shmid" { print $3; exit }' "$T/b.out")
nsegs() { "$ORACLE" ps "$1" | wc -l | tr -d ' '; }
check_eq "kernel: $B maps 70 segments" 70 nsegs "$B"
check_ps "ps lists the 70 segments as the kernel has them" "$B"
check_who "who of the first segment" "$FIRST"
at_once check_eq "no count of $B left incomplete" 0 incomplete_of "$B"
hcont b || finish
check_eq "kernel: 6 detached: $B maps 64 segments" 64 nsegs "$B"
check_ps "ps after the detaches" "$B"
hcont b || finish
BC=$(hval b child)
check_eq "kernel: the forked child maps 64 segments" 64 nsegs "$BC"
check_ps "ps of the forked child" "$BC"
expect_kernel "kernel: the first segment held by both" "$FIRST" 2 "$B $BC"
check_who "who of the first segment after fork" "$FIRST"
hcont b "$BC" || finish
wait_until "the child $BC to exit" dead "$BC"
hend b || finish
expect_kernel "kernel: both exited" "$FIRST" 0 ""
check_who "who of the first segment after both exited" "$FIRST"
check_ps "ps of the exited holder" "$B"
OTHERS=$(status_field address_spaces)
stop_daemon

# 2. A map of address spaces that the machine's holders (OTHERS) nearly fill: 8 more fit; we
#    bring 16.
MAX=$((OTHERS + 8 < 16 ? 16 : OTHERS + 8))
rm -f "$T/events.jsonl"
start_daemon --max-holders "$MAX" || finish
F0=$(status_field map_full)
hold k0 create "$(new_key)" 8192 attach || finish
ID=$(hval k0 shmid)
# More holders of ID than fit, each its own address space.
N=$((MAX - OTHERS + 8))
ALL=$(hpid k0)
i=1
while [ "$i" -lt "$N" ]; do
	hold "k$i" use "$ID" attach || finish
	ALL="$ALL $(hpid "k$i")"
	i=$((i + 1))
done
expect_kernel "kernel: $N holders (the map has room for $MAX address spaces)" "$ID" "$N" "$ALL"
check "status: inserts into the full map counted (map_full +$(delta_of map_full "$F0"))" \
	poll "$SHMW_WAIT" positive delta_of map_full "$F0"
check "daemon log: it says the map is full and walks again" \
	poll "$SHMW_WAIT" grep -q 'BPF map full .*walking every process again; raise --max-holders' \
	"$T/daemon.log"
map_size() {
	sw metrics | awk '$1 == "shmwatch_bpf_map_max_entries{map=\"mms\"}" { print $2 }'
}
check_eq "metrics: the map's size is --max-holders" "$MAX" map_size
# All but the last two go: they were the last to come, the likeliest left out.
i=0
while [ "$i" -lt $((N - 2)) ]; do
	hend "k$i" || finish
	i=$((i + 1))
done
K1=$(hpid "k$((N - 2))")
K2=$(hpid "k$((N - 1))")
expect_kernel "kernel: two holders left" "$ID" 2 "$K1 $K2"
check_who "who: the two left, found by the walks once there was room" "$ID"
check_ps "ps of one of them" "$K2"
# Some of ours did not fit at first: the walks found them later, and logged their attach as a
# resync (the others' came by shmat). Each of the two left has its attach in the log.
by_walk() {
	log_about "$ID" | "$JSONX" . event cause 2>/dev/null | grep -c '^attach resync$'
}
check "log: some of our holders were left out at first and found by a walk ($(by_walk) attach lines by resync)" \
	poll "$SHMW_WAIT" positive by_walk
attached() { log_has attach shmat "$1" "$ID" || log_has attach resync "$1" "$ID"; }
check "log: the attach of $K1, one of the two left" attached "$K1"
check "log: the attach of $K2, the other" attached "$K2"
OTHERH=$(status_field attachments)
stop_daemon

# 3. A map of holdings that the machine's holdings (OTHERH) nearly fill: 30 more fit; one process
#    attaches 70 segments. Once it has detached 50, there is room for the 20 it keeps.
MAXH=$((OTHERH + 30 < 64 ? 64 : OTHERH + 30))
rm -f "$T/events.jsonl"
start_daemon --max-holdings "$MAXH" || finish
F0=$(status_field map_full)
OPS=
i=0
while [ "$i" -lt 70 ]; do
	OPS="$OPS create $(new_key) 4096 attach"
	i=$((i + 1))
done
DET=
i=0
while [ "$i" -lt 50 ]; do
	DET="$DET detach"
	i=$((i + 1))
done
# shellcheck disable=SC2086
hold h $OPS pause $DET || finish
H=$(hpid h)
check_eq "kernel: $H maps 70 segments" 70 nsegs "$H"
check "status: inserts into the full map counted (map_full +$(delta_of map_full "$F0"))" \
	poll "$SHMW_WAIT" positive delta_of map_full "$F0"
check "daemon log: it says the map is full" \
	poll "$SHMW_WAIT" grep -q 'BPF map full' "$T/daemon.log"
holdings_size() {
	sw metrics | awk '$1 == "shmwatch_bpf_map_max_entries{map=\"holds\"}" { print $2 }'
}
check_eq "metrics: the map's size is --max-holdings" "$MAXH" holdings_size
hcont h || finish
check_eq "kernel: 50 detached: $H maps 20" 20 nsegs "$H"
check_ps "ps: the 20 left, found by the walks once there was room" "$H"
finish
