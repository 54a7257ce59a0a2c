#!/bin/sh
# No fixed limit on IPC namespaces (issue #12, section 4, second finding): a Kubernetes node has
# an IPC namespace per pod. 500 processes (SHMW_IPCNS_COUNT), started at once, each make their
# own IPC namespace with one segment of a shmid of its own (20000 + its index, so that the
# oracle can tell them apart), attach it, mark it for destruction, and exit. For every one of
# them: ls and who --ns equal the kernel, the log has its create, attach, rmid, detach and
# destroy in the kernel's order, a linger alert names its one holder, lingering lists it, and
# the metrics count them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${SHMW_IPCNS_COUNT:-500}
BASE=20000

# k_rows: "NS SHMID nattch=N status=S holders=H" of our segments, from the kernel. The oracle
# reads every namespace; another session's namespaces may hold segments it cannot tell apart
# (exit 4): ours it can, by their shmids, and only ours are compared.
k_rows() {
	"$ORACLE" all 2>/dev/null | awk 'NR == FNR { mine[$1 " " $2] = 1; next }
		($1 " " $2) in mine {
		printf "%s %s nattch=%s status=%s holders=%s\n", $1, $2, $4,
			(int($5 / 1000) % 2) ? "dest" : "active", $7 }' "$T/mine" - | sort
}
# d_rows: the same from `shmwatch ls`.
d_rows() {
	sw --json ls -A | "$JSONX" 'segments[]' ns shmid nattch status holders |
		awk 'NR == FNR { mine[$1 " " $2] = 1; next } ($1 " " $2) in mine {
		printf "%s %s nattch=%s status=%s holders=%s\n", $1, $2, $3, $4, $5 }' "$T/mine" - |
		sort
}
same_rows() {
	k_rows >"$T/rows.k"
	d_rows >"$T/rows.d"
	[ "$(cat "$T/rows.k")" = "$(cat "$T/rows.d")" ]
}
# check_rows NAME WANT: polls until ls equals the kernel for our segments, and the kernel has
# WANT of them (0: none left).
check_rows() {
	if poll "$SHMW_WAIT" same_rows && [ "$(wc -l <"$T/rows.k" | tr -d ' ')" = "$2" ]; then
		pass "$1"
		return 0
	fi
	fail "$1" "kernel: $(wc -l <"$T/rows.k" | tr -d ' ') of our segments (want $2), ls: $(wc -l <"$T/rows.d" | tr -d ' '); first differences (< kernel, > ls):" \
		"$(diff "$T/rows.k" "$T/rows.d" | grep '^[<>]' | head -n 10)"
	return 1
}
# linger_rows: "NS SHMID HOLDER-PID NHOLDERS" of the first linger line about each of ours.
linger_rows() {
	awk '{ print "\"shmid\":" $2 "," }' "$T/mine" >"$T/linger.pat"
	log_files | while read -r _f; do grep -h -F -f "$T/linger.pat" "$_f"; done |
		grep -F '"event":"linger"' | "$JSONX" . ns shmid 'holders[0].pid' 'len(holders)' |
		awk 'NR == FNR { mine[$1 " " $2] = 1; next }
			($1 " " $2) in mine && !seen[$1 " " $2]++' "$T/mine" - | sort
}
want_linger_rows() { awk '{ print $1, $2, $3, 1 }' "$T/mine" | sort; }
same_lingers() { [ "$(linger_rows)" = "$(want_linger_rows)" ]; }
# lingering_rows: "NS SHMID HOLDER-PID NHOLDERS" that `shmwatch lingering` lists of ours.
lingering_rows() {
	_lj=$(sw_ok lingering) || { echo "$_lj"; return 1; }
	echo "$_lj" | "$JSONX" 'segments[]' ns shmid 'holders[0].pid' 'len(holders)' |
		awk 'NR == FNR { mine[$1 " " $2] = 1; next } ($1 " " $2) in mine' "$T/mine" - | sort
}
# metric NAME: the value of the sample NAME (with its labels) of `shmwatch metrics`. The metrics
# count every namespace's segments, others' too: what is checked is a lower bound, ours.
metric() {
	sw metrics | awk -v m="$1" '$1 == m { print $2; exit }'
}
metric_at_least() { # metric_at_least NAME MIN
	_mv=$(metric "$1")
	[ -n "$_mv" ] && [ "$_mv" -ge "$2" ] 2>/dev/null
}

start_daemon --linger-after 1 --realert 0 || finish

T0=$(now_cs)
hold f name nsmany fanout "$N" unshare-ipc next-id "$BASE+i" create "$(new_key)" 8192 attach \
	pause rmid pause exit || finish
all_at() { [ "$(hcount f "$1" "${2:-}")" = "$N" ]; }
if ! poll 60 all_at paused 1; then
	fail "$N processes in their own IPC namespaces: only $(hcount f paused 1) got there in 60 s" \
		"$(grep ' error ' "$T/f.out" | head -n 5)"
	finish
fi
T1=$(now_cs)
echo "NOTE $TEST_NAME: $N IPC namespaces, each with a segment held, in $(((T1 - T0) * 10)) ms"
# "NS SHMID PID" of each child's segment.
awk '$2 == "shmid" { print $4, $3, $1 }' "$T/f.out" | sort >"$T/mine"
check_eq "kernel: $N namespaces, one segment each" "$N $N" sh -c \
	"echo \$(cut -d' ' -f1 '$T/mine' | sort -u | wc -l) \$(wc -l <'$T/mine')"
check_eq "kernel: the shmids asked for" "$N" sh -c \
	"awk -v b=$BASE '\$2 >= b && \$2 < b + $N' '$T/mine' | wc -l | tr -d ' '"
if check_rows "ls: each of the $N segments, as the kernel has it (held, active)" "$N"; then
	T2=$(now_cs)
	echo "NOTE $TEST_NAME: ls complete $(((T2 - T1) * 10)) ms after the last namespace was made"
fi
for k in 1 65 "$N"; do
	# shellcheck disable=SC2046 # "NS SHMID PID" into $1 $2 $3
	set -- $(sed -n "${k}p" "$T/mine")
	at_once check_who "who --ns of the segment of namespace number $k" "$2" "$1"
done
awk '{ printf "%s %s create:shmget:%s attach:shmat:%s\n", $1, $2, $3, $3 }' "$T/mine" \
	>"$T/want.created"
check_seqs_ns "log: create and attach of each of the $N, in order" "$T/want.created"

# Each marks its segment for destruction, still holding it.
# shellcheck disable=SC2046 # one pid a word
kill -USR1 $(awk '$2 == "fanout-child" { print $3 }' "$T/f.out")
if ! poll 30 all_at paused 2; then
	fail "IPC_RMID in $N namespaces: only $(hcount f paused 2) did it in 30 s"
	finish
fi
check_rows "ls: each of the $N segments marked for destruction" "$N"
check "log: a linger alert for each of the $N, naming its holder alone" poll $((SHMW_WAIT * 2)) same_lingers
if ! same_lingers; then
	echo "NOTE $TEST_NAME: $(linger_rows | wc -l | tr -d ' ') of $N have a linger alert"
fi
same_lingering() {
	want_linger_rows >"$T/lingering.want"
	lingering_rows >"$T/lingering.got"
	[ "$(cat "$T/lingering.want")" = "$(cat "$T/lingering.got")" ]
}
if same_lingering; then
	pass "lingering: lists each of the $N, held by its process"
else
	fail "lingering: lists each of the $N, held by its process" \
		"lingering lists $(wc -l <"$T/lingering.got" | tr -d ' ') of them; first differences (< want, > lingering; NS SHMID PID NHOLDERS):" \
		"$(diff "$T/lingering.want" "$T/lingering.got" | grep '^[<>]' | head -n 10)"
fi
at_once check "metrics: at least $N lingering segments" metric_at_least \
	shmwatch_lingering_segments "$N"
at_once check "metrics: at least $N segments marked for destruction" metric_at_least \
	'shmwatch_segments{status="dest"}' "$N"

# Each exits: its segment goes with it, and its namespace.
# shellcheck disable=SC2046 # one pid a word
kill -USR1 $(awk '$2 == "fanout-child" { print $3 }' "$T/f.out")
if ! poll 30 all_at exiting; then
	fail "exit in $N namespaces: only $(hcount f exiting) exited in 30 s"
fi
kill -USR1 "$(hpid f)"
check_rows "ls: none of the $N is left" 0
awk '{ printf "%s %s create:shmget:%s attach:shmat:%s rmid:shmctl:%s detach:exit:%s destroy:exit:%s\n", $1, $2, $3, $3, $3, $3, $3 }' \
	"$T/mine" >"$T/want.life"
check_seqs_ns "log: each of the $N segments' lines, in the kernel's order" "$T/want.life"
ended() {
	awk '{ print "\"shmid\":" $2 "," }' "$T/mine" >"$T/end.pat"
	log_files | while read -r _f; do grep -h -F -f "$T/end.pat" "$_f"; done |
		grep -F '"event":"linger_end"' | "$JSONX" . ns shmid reason |
		awk 'NR == FNR { mine[$1 " " $2] = 1; next } ($1 " " $2) in mine && $3 == "destroyed"' \
			"$T/mine" - | wc -l | tr -d ' '
}
at_once check_eq "log: each alert ended, destroyed" "$N" ended
T3=$(now_cs)
echo "NOTE $TEST_NAME: $(((T3 - T0) / 100)) s in all"
finish
