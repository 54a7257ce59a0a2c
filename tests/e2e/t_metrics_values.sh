#!/bin/sh
# The metrics of a live daemon, by value (t_metrics checks the format and the segment gauges):
#  - one `metrics` answer is one moment, and the event log is in the order the daemon counted:
#    the sum of shmwatch_events_total is N, and the log's first N lines, counted by type, are
#    events_total by type; replayed, they give shmwatch_attachments and
#    shmwatch_holder_processes (owners and sharers); our own holders among them are as the
#    kernel has them (a sharer included: a CLONE_VM sibling); segments and segment_bytes are
#    the creates less the destroys of such lines;
#  - alerts_total equals events_total of the same alert; hooks started = finished + running;
#  - the counters that status has too are equal there (events lost, resyncs, rescans, map full,
#    mm_incomplete), start_time_seconds is status's started, clients are our own connections,
#    bpf_map_max_entries are --max-holders and --max-sharers, the oldest lingering age is at
#    least that of our own lingering segment;
#  - --metrics-file: mode 0644 even under umask 077; replaced whole each interval (another
#    inode, never a partial file: every read has the first and the last line of the
#    exposition); no temporary file left; a path that cannot be written is logged, not fatal.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MF=$T/m.prom
# The daemon under umask 077: the metrics file must still be world-readable. The log is read
# line by line against the counters: never rotated.
umask 077
start_daemon --log-max-bytes 0 --max-holders 5000 --max-sharers 300 --linger-after 1 \
	--metrics-file "$MF" --metrics-interval 1 --alert-exec 'cat >/dev/null' || finish
umask 022

# mget NAME [LABEL]: one sample of a saved exposition ($T/m.txt).
mget() {
	awk -v nm="$1" -v l="${2:-}" '/^#/ { next } { s = $1; sub(/[{].*/, "", s) }
		s == nm && (l == "" || index($1, l)) { print $2; exit }' "$T/m.txt"
}
msave() { sw metrics >"$T/m.txt"; }

# Our holders: a holder of 3 segments with a CLONE_VM sibling; one segment removed while held.
hold h create "$(new_key)" 4096 attach create "$(new_key)" 8192 attach \
	create "$(new_key)" 12288 attach clone-vm pause rmid || finish
H=$(hpid h)
SIB=$(hval h sibling)
echo "$SIB" >>"$T/pids"
ID=$(hval h shmid)
expect_kernel "kernel: the holder and its sibling hold the last segment" "$ID" 1 "$H $SIB"
check_who "who: owner and sharer" "$ID"

# counted N: "EVENT COUNT" of the log's first N lines, by the type the daemon counts (a holder
# line found by a resync counts as resync).
counted() {
	head -n "$1" "$T/events.jsonl" | "$JSONX" . event cause 2>/dev/null | awk '
		{ t = $1 }
		$2 == "resync" && $1 ~ /^(attach|detach|vmas|owner|share|unshare)$/ { t = "resync" }
		{ n[t]++ }
		END { for (t in n) print t, n[t] }' | sort
}
# from_metrics: "EVENT COUNT" of events_total, the non-zero ones.
from_metrics() {
	awk '/^shmwatch_events_total[{]/ { e = $1; sub(/.*event="/, "", e); sub(/".*/, "", e)
		if ($2 > 0) print e, $2 }' "$T/m.txt" | sort
}
# holders N: "ATTACHMENTS PROCESSES" of the log's first N lines replayed (tests/e2e/helpers/
# shmw-replay.c says how each line applies): holdings; address spaces holding something,
# plus the processes sharing one of them.
holders() {
	head -n "$1" "$T/events.jsonl" | "$JSONX" . event mm ns shmid vmas pid actor 2>/dev/null |
		awk '
		$1 == "attach" || $1 == "detach" || $1 == "vmas" { v[$2 " " $3 " " $4] = $5 }
		$1 == "share" { a = ($7 == "<none>") ? $6 : $7; sh[a] = $2 }
		$1 == "unshare" { a = ($7 == "<none>") ? $6 : $7; if (sh[a] == $2) delete sh[a] }
		$1 == "owner" { delete sh[$6] }
		END {
			for (k in v) if (v[k] > 0) { split(k, f, " "); h++; held[f[1]] = 1 }
			for (m in held) p++
			for (s in sh) if (sh[s] in held) p++
			print h + 0, p + 0
		}'
}
# ours N: "PID SHMID VMAS" of our holder and its sibling in the first N lines' replay.
ours() {
	head -n "$1" "$T/events.jsonl" | "$JSONX" . event pid shmid vmas actor mm 2>/dev/null |
		awk -v h="$H" -v s="$SIB" '
		$1 ~ /^(attach|detach|vmas)$/ && $2 == h { v[$3] = $4; mm = $6 }
		$1 == "share" && $5 == s { shared = $6 }
		END { for (k in v) if (v[k] > 0) { print h, k, v[k]; if (shared == mm) print s, k, v[k] } }' |
		sort -n
}
kernel_ours() {
	for _p in $H $SIB; do
		"$ORACLE" ps "$_p" | awk -v p="$_p" '{ print p, $2, $3 }'
	done | sort -n
}
msave || finish
N=$(awk '/^shmwatch_events_total[{]/ { n += $2 } END { print n }' "$T/m.txt")
check_eq "events_total by type: the log's first $N lines by type" "$(from_metrics)" counted "$N"
check_eq "attachments, holder_processes: the log's first $N lines replayed" \
	"$(mget shmwatch_attachments) $(mget shmwatch_holder_processes)" holders "$N"
check_eq "our holder and its sharer among them: as the kernel has them" "$(kernel_ours)" \
	ours "$N"

# Alerts: our segment removed while held lingers after 1 s; its linger alert ran the hook.
hcont h || finish
check_eq "kernel: the segment is dest" 1 sh -c "'$ORACLE' seg '$ID' | awk '{ print substr(\$3, 1, 1) }'"
check "log: our segment lingers (--linger-after 1)" poll "$SHMW_WAIT" ev_has linger "$ID"
msave || finish
check_eq "alerts_total{linger} = events_total{linger}" "$(mget shmwatch_events_total 'event="linger"')" \
	mget shmwatch_alerts_total 'alert="linger"'
check_eq "alerts_total{orphan} = events_total{orphan}" "$(mget shmwatch_events_total 'event="orphan"')" \
	mget shmwatch_alerts_total 'alert="orphan"'
hooks_add_up() {
	awk '/^shmwatch_alert_hooks_started_total / { s = $2 }
		/^shmwatch_alert_hooks_finished_total[{]/ { f += $2 }
		/^shmwatch_alert_hooks_running / { r = $2 }
		END { exit !(s > 0 && s == f + r) }' "$T/m.txt"
}
check "hooks: started ($(mget shmwatch_alert_hooks_started_total), our linger's among them) = finished + running" \
	hooks_add_up
RMID_AT=$(ev_field rmid "$ID" "" time)
older_than_ours() {
	msave || return 1
	_age=$(secs_between "$RMID_AT" "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)")
	num_in "$(mget shmwatch_lingering_oldest_seconds)" "$(echo "$_age" | awk '{ print $1 - 1.5 }')" 1e12
}
check "lingering_oldest_seconds is at least our segment's age since its rmid" older_than_ours

# Counters status has too: equal (they change rarely; polled to one moment).
same_counters() {
	msave || return 1
	_st=$(status_field events_lost resyncs rescans map_full mm_incomplete)
	_mt="$(mget shmwatch_events_lost_total) $(mget shmwatch_resyncs_total) $(mget shmwatch_rescans_total) $(mget shmwatch_bpf_map_full_total) $(mget shmwatch_mm_incomplete_total)"
	[ "$_st" = "$_mt" ]
}
check "events lost, resyncs, rescans, map full, incomplete counts: as status says" \
	poll "$SHMW_WAIT" same_counters
msave || finish
st_secs() { secs_of "$(status_field started)"; }
# status has microseconds, cut; the metric is a double (0.24 us apart at this size of number).
start_close() {
	awk -v a="$(st_secs)" -v b="$(mget shmwatch_start_time_seconds)" \
		'BEGIN { d = a - b; exit !(d <= 0.000002 && d >= -0.000002) }'
}
check "start_time_seconds is status's started ($(mget shmwatch_start_time_seconds))" start_close
check_eq "clients: the metrics request itself" 1 mget shmwatch_clients
check_eq "bpf_map_max_entries{mms}: --max-holders" 5000 mget shmwatch_bpf_map_max_entries 'map="mms"'
check_eq "bpf_map_max_entries{holds}: --max-holdings" 262144 mget shmwatch_bpf_map_max_entries 'map="holds"'
check_eq "bpf_map_max_entries{sharers}: --max-sharers" 300 mget shmwatch_bpf_map_max_entries 'map="sharers"'
# segments and segment_bytes (both statuses): the segments created and not destroyed in the
# log's first N lines of one answer (each segment the daemon learns of is a create line, each
# it forgets a destroy line). Status by status they follow the kernel's tables, which move with
# everyone's work: t_metrics compares them at quiet moments.
life_sums() {
	head -n "$1" "$T/events.jsonl" | "$JSONX" . event size 2>/dev/null | awk '
		$1 == "create" { n++; b += $2 } $1 == "destroy" { n--; b -= $2 }
		END { print n + 0, b + 0 }'
}
metric_sums() {
	awk '/^shmwatch_segments[{]/ { n += $2 } /^shmwatch_segment_bytes[{]/ { b += $2 }
		END { print n + 0, b + 0 }' "$T/m.txt"
}
msave || finish
N=$(awk '/^shmwatch_events_total[{]/ { n += $2 } END { print n }' "$T/m.txt")
check_eq "segments and segment_bytes: the log's first $N lines' creates less destroys" \
	"$(metric_sums)" life_sums "$N"
our_bytes() { # our segments (4096 + 8192 + 12288) are among them
	awk '$2 == "shmid" { print $3 }' "$T/h.out" | while read -r _s; do
		"$ORACLE" seg "$_s" | cut -d' ' -f4
	done | awk '{ b += $1 } END { print b + 0 }'
}
check_eq "kernel: our segments are 24576 bytes" 24576 our_bytes

# --metrics-file.
check_eq "--metrics-file: mode 0644 under umask 077" 0644 sh -c "'$ORACLE' file '$MF' | cut -d' ' -f1"
NLINES=$(wc -l <"$T/m.txt" | tr -d ' ')
FIRST=$(head -n 1 "$T/m.txt")
whole() { # whole FILE: the exposition's first and last lines, as many lines as the client's
	[ "$(head -n 1 "$1")" = "$FIRST" ] &&
		tail -n 1 "$1" | grep -q '^shmwatch_info{version=".*",mode="[a-z]*"} 1$' &&
		[ "$(wc -l <"$1" | tr -d ' ')" = "$NLINES" ]
}
INO0=$("$ORACLE" file "$MF" | cut -d' ' -f2)
inos=" $INO0 "
reads=0
bad=
deadline=$(($(now_cs) + 250))
while [ "$(now_cs)" -lt "$deadline" ]; do
	cat "$MF" >"$T/mf.read" 2>/dev/null
	if ! whole "$T/mf.read"; then
		bad=$T/mf.read
		break
	fi
	reads=$((reads + 1))
	i=$("$ORACLE" file "$MF" | cut -d' ' -f2)
	case $inos in *" $i "*) ;; *) inos="$inos$i " ;; esac
	sleep 0.01
done
if [ -z "$bad" ]; then
	pass "--metrics-file: $reads reads in 2.5 s, each the whole exposition"
else
	fail "--metrics-file: each read the whole exposition" "read $((reads + 1)):" \
		"$(head -n 3 "$bad")" "..." "$(tail -n 3 "$bad")"
fi
n_inos=$(echo "$inos" | wc -w | tr -d ' ')
check "--metrics-file: replaced by rename every second (inodes seen: $n_inos)" test "$n_inos" -ge 2
tmp_left() { for _f in "$MF".tmp.*; do [ -e "$_f" ] && return 0; done; return 1; }
kill -USR1 "$SIB" 2>/dev/null
hend h || finish
stop_daemon
no_tmp() { ! tmp_left; }
check "--metrics-file: no temporary file left ($MF.tmp.PID)" no_tmp

# A directory that does not exist: refused at start, naming it (only the default directories
# are made: a typo must not make a tree).
"$SHMWATCHD" --socket "$T/sock2" --log-file "$T/ev2.jsonl" --metrics-file "$T/no/such/dir/m.prom" \
	>"$T/daemon2.log" 2>&1
RC=$?
check_eq "--metrics-file in a missing directory: refused at start (exit 1)" 1 echo "$RC"
check "--metrics-file in a missing directory: the error names it" grep -q \
	"directory $T/no/such/dir does not exist" "$T/daemon2.log"
check "--metrics-file in a missing directory: nothing made" test ! -e "$T/no"
finish
