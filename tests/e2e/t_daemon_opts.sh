#!/bin/sh
# Daemon options and signals that no other scenario covers (shmwatchd(8)):
#  1. --verbose: debug lines (libbpf's messages, the start-up phases); none without it.
#  2. SIGTERM and SIGINT: exit status 0 and the socket removed.
#  3. --recent N: `shmwatch events -n` gives the last N lines, the log's last N; --recent 0
#     keeps none (while the log and events -f still get every event).
#  4. --max-sharers: more CLONE_VM siblings of a holder than the sharers map holds. The failed
#     inserts are counted (map_full) and the daemon walks again; once siblings exit and there
#     is room, who names every process of that address space, as the kernel does.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# 1. --verbose.
start_daemon || finish
stop_daemon
cp "$T/daemon.log" "$T/quiet.log"
check_eq "without -v: no debug line" 0 grep -c ': debug: ' "$T/quiet.log"
check "without -v: the info lines (BPF loaded, ready)" grep -q ': info: ready: ' "$T/quiet.log"
start_daemon -v || finish
check "-v: libbpf's messages at debug level" grep -q ': debug: libbpf: ' "$T/daemon.log"
check "-v: the start-up phases" grep -q ': debug: start-up: seeded after [0-9.]* ms' \
	"$T/daemon.log"

# 2. SIGTERM: exit 0, the socket removed.
check "the socket exists while it runs" test -S "$T/sock"
stop_daemon
check_eq "SIGTERM: exit status 0" 0 echo $?
check "SIGTERM: the socket is removed" test ! -e "$T/sock"
check "SIGTERM: it said so" grep -q 'Terminated: shutting down' "$T/daemon.log"
start_daemon || finish
kill -INT "$DPID"
wait_until "the daemon to exit on SIGINT" dead "$DPID"
wait "$DPID"
check_eq "SIGINT: exit status 0" 0 echo $?
DPID=
check "SIGINT: the socket is removed" test ! -e "$T/sock"

# 3. --recent 5: events -n 100 gives 5, the newest 5 lines of the log when it answered. Other
#    processes' events keep coming, so the log is read before the request (its last line then,
#    L0) and after it: the 5 must be 5 consecutive lines of the log, the last of them at or
#    after L0.
start_daemon --recent 5 || finish
hold r create "$(new_key)" 4096 attach storm 10 || finish
recent() { sw --json events -n 100 | "$JSONX" . time event pid; } # one event a line
tep() { "$JSONX" . time event pid 2>/dev/null; }
newest_of_log() {
	_l0=$(tail -n 1 "$T/events.jsonl" | tep)
	_ra=$(recent)
	tep <"$T/events.jsonl" >"$T/log.tep"
	[ "$(echo "$_ra" | wc -l | tr -d ' ')" = 5 ] &&
		awk -v r="$_ra" -v l0="$_l0" 'BEGIN { n = split(r, want, "\n") }
		{ line[NR] = $0; if ($0 == l0) p0 = NR }
		END {
			for (i = 1; i + n - 1 <= NR; i++) {
				ok = 1
				for (k = 1; k <= n; k++)
					if (line[i + k - 1] != want[k]) { ok = 0; break }
				if (ok) exit !(i + n - 1 >= p0)
			}
			exit 1
		}' "$T/log.tep"
}
if poll "$SHMW_WAIT" newest_of_log; then
	pass "--recent 5: events -n 100 gives 5 lines, the newest of the log"
else
	fail "--recent 5: events -n 100 gives 5 lines, the newest of the log" "events:" "$_ra" \
		"log's last line before the request: $_l0" "log's last 5 now:" "$(tail -n 5 "$T/log.tep")"
fi
check "--recent 5: the log has more ($(wc -l <"$T/events.jsonl" | tr -d ' ') lines)" \
	test "$(wc -l <"$T/events.jsonl")" -gt 5
hend r || finish
stop_daemon

# --recent 0: nothing kept; the log and a follower still get the events.
rm -f "$T/events.jsonl"
start_daemon --recent 0 || finish
"$SHMWATCH" --socket "$T/sock" --json events -f >"$T/follow.out" 2>&1 &
FOL=$!
echo "$FOL" >>"$T/pids"
two_clients() { [ "$(status_field clients)" -ge 2 ]; }
wait_until "the follower to connect" two_clients
hold z create "$(new_key)" 4096 attach || finish
Z=$(hpid z)
check_log "--recent 0: the log has z's attach" attach shmat "$Z" "$(hval z shmid)"
followed() { grep -q "\"pid\":$Z," "$T/follow.out"; }
check "--recent 0: events -f streams it" poll "$SHMW_WAIT" followed
nrecent() { sw --json events -n 10 | wc -l | tr -d ' '; }
check_eq "--recent 0: events -n 10 gives none" 0 nrecent
kill "$FOL"
wait "$FOL" 2>/dev/null
hend z || finish
stop_daemon

# 4. --max-sharers 16 (the least it takes): a holder with 20 CLONE_VM siblings.
rm -f "$T/events.jsonl"
start_daemon --max-sharers 16 || finish
F0=$(status_field map_full)
OPS=
i=0
while [ "$i" -lt 20 ]; do
	OPS="$OPS clone-vm"
	i=$((i + 1))
done
# shellcheck disable=SC2086
hold s create "$(new_key)" 8192 attach $OPS || finish
ID=$(hval s shmid)
S=$(hpid s)
SIBS=$(awk '$2 == "sibling" { printf "%s%s", sep, $3; sep = " " }' "$T/s.out")
expect_kernel "kernel: the holder and its 20 siblings" "$ID" 1 "$S $SIBS"
more_full() { [ "$(status_field map_full)" -gt "$F0" ]; }
check "status: inserts into the full sharers map counted" poll "$SHMW_WAIT" more_full
check "daemon log: the map is full, raise --max-sharers" poll "$SHMW_WAIT" grep -q \
	'BPF map full .*walking every process again; raise --max-holders/--max-sharers' \
	"$T/daemon.log"
sharers_known() { sw --json who "$ID" | "$JSONX" 'holders[]' pid | wc -l | tr -d ' '; }
check "while the map is full who names fewer than the kernel's 21 ($(sharers_known))" \
	test "$(sharers_known)" -lt 21
# 10 siblings go: room for the others.
n=0
for sib in $SIBS; do
	[ "$n" -ge 10 ] && break
	kill -USR1 "$sib"
	wait_until "sibling $sib to exit" dead "$sib"
	n=$((n + 1))
done
LEFT=$(echo "$SIBS" | tr ' ' '\n' | sed -n '11,$p' | tr '\n' ' ' | sed 's/ $//')
expect_kernel "kernel: the holder and 10 siblings left" "$ID" 1 "$S $LEFT"
check_who "who names them all once there is room" "$ID"
check_eq "a sibling's role is sharer" sharer who_holder_field "$ID" "$(echo "$LEFT" | cut -d' ' -f10)" role
finish
