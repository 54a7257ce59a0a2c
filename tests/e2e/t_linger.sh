#!/bin/sh
# The linger alert, the story shmwatch exists for: an instance (a holder and 4 forked children)
# marks its segment IPC_RMID while attached and shuts down, but one stray holder (comm python)
# keeps it. After --linger-after the daemon logs one `linger` naming exactly that holder, runs the
# --alert-exec hook with the same JSON, and `shmwatch lingering` lists it. When the stray exits
# the segment is destroyed (cause exit) and the alert ends (linger_end, reason destroyed).
# Then, with --realert, a linger of a segment marked before the daemon started repeats (repeat
# 0, 1, 2, ...) and has no rmid_* fields.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LINGER=2
# The hook: the alert from stdin and its SHMWATCH_* environment, into files of our own dir.
# $$ is the hook shell's pid: one pair of files per run. The .json appears last (mv).
HOOK="f='$T'/hook.\$\$; cat >\"\$f.tmp\"; env | grep '^SHMWATCH_' | sort >\"\$f.env\";"
HOOK="$HOOK mv \"\$f.tmp\" \"\$f.json\""
start_daemon --linger-after "$LINGER" --realert 0 --alert-exec "$HOOK" || finish

KEY=$(new_key)
hold inst name instance create "$KEY" 16384 attach fork fork fork fork pause rmid || finish
ID=$(hval inst shmid)
NS=$(hval inst shmid 4)
P=$(hpid inst)
KIDS=$(awk '$2 == "child" { printf "%s ", $3 }' "$T/inst.out")
hold stray name python use "$ID" attach || finish
S=$(hpid stray)
# The generation the segment was created with (when it was made, in ns).
wait_until "the create line of $ID" ev_has create "$ID"
GEN=$(ev_field create "$ID" "" generation)
expect_kernel "kernel: the instance (1 + 4 children) and the stray hold it" "$ID" 6 "$P $KIDS$S"
check_who "who: six holders" "$ID"
check_eq "who: the stray's comm is python" python who_holder_field "$ID" "$S" comm

# The instance marks it for destruction, then shuts down.
hcont inst || finish
dest() { "$ORACLE" seg "$1" | awk '{ exit !($3 ~ /^1/) }'; }
check "kernel: SHM_DEST after IPC_RMID" dest "$ID"
check_log "log: rmid by the instance" rmid shmctl "$P" "$ID"
check_eq "log: rmid names the remover and the 6 holders" "$P instance 0 $(user_of 0) 6" \
	ev_field rmid "$ID" "" pid comm uid user holders
# shellcheck disable=SC2086
kill -TERM $P $KIDS
for p in $P $KIDS; do
	wait_until "instance process $p to exit" dead "$p"
done
expect_kernel "kernel: only the stray holds the dest segment" "$ID" 1 "$S"
check_who "who: the stray alone" "$ID"
check_eq "who: status dest" dest who_field "$ID" status

# The alert: within --linger-after + 1 s of the rmid (the 1 s scaled by the load factor), not
# before.
LMAX=$(upper "$LINGER" 1)
if poll "$(scaled $((LINGER + 4)))" ev_has linger "$ID"; then
	pass "log: a linger event for $ID"
else
	fail "log: no linger event for $ID within $(scaled $((LINGER + 4))) s" \
		"$(log_mine "$ID" | tail -n 5)"
fi
# The events table names a linger alert's holders (the alert has no pid of its own): the
# stray alone, as the kernel says.
linger_row() {
	sw events --shmid "$ID" --ns "$NS" --event linger | awk 'NR == 2 { print $6, $7, $8 }'
}
check_eq "events table: the linger row names the holder's pid, comm and user" \
	"$S python $(user_of 0)" linger_row
RT=$(ev_field rmid "$ID" "" time)
LT=$(ev_field linger "$ID" "" time)
DT=$(secs_between "$RT" "$LT")
check "linger $LINGER..$LMAX s after the rmid (rmid $RT, linger $LT: $DT s)" \
	num_in "$DT" "$LINGER" "$LMAX"
check_eq "linger: segment, remover, repeat 0, one holder" \
	"$NS $(printf '%d' "$KEY") 16384 $GEN $P instance 0 $(user_of 0) 0 1" \
	ev_field linger "$ID" "" ns key size generation rmid_pid rmid_comm rmid_uid rmid_user repeat \
	'len(holders)'
check_eq "linger: the holder is the stray (pid, comm, uid, user, how, vmas, role)" \
	"$S python 0 $(user_of 0) shmat 1 owner" \
	ev_field linger "$ID" "" 'holders[0].pid' 'holders[0].comm' 'holders[0].uid' \
	'holders[0].user' 'holders[0].how' 'holders[0].vmas' 'holders[0].role'
check_eq "linger: the holder's exe" "$(readlink "/proc/$S/exe")" \
	ev_field linger "$ID" "" 'holders[0].exe'
check_eq "linger: the holder's cmdline" "$(proc_cmdline "$S")" \
	ev_field linger "$ID" "" 'holders[0].cmdline'
check_eq "linger: the holder's cgroup" "$(proc_cgroup "$S")" \
	ev_field linger "$ID" "" 'holders[0].cgroup'
attach_time() {
	log_mine "$ID" | "$JSONX" . event cause pid shmid time |
		awk -v p="$S" -v s="$ID" '$1 == "attach" && $2 == "shmat" && $3 == p && $4 == s {
			print $5; exit }'
}
DS=$(secs_between "$(attach_time)" "$(ev_field linger "$ID" "" 'holders[0].since')")
check "linger: holder since = its shmat event's time ($DS s apart)" num_in "$DS" -0.1 0.1
DS=$(secs_between "$RT" "$(ev_field linger "$ID" "" dest_since)")
check "linger: dest_since = the rmid's time ($DS s apart)" num_in "$DS" -0.1 0.1
check "linger: dest_for_s is $LINGER..$LMAX" \
	num_in "$(ev_field linger "$ID" "" dest_for_s)" "$LINGER" "$LMAX"

# shmwatch lingering lists it with that holder.
lingering_row() {
	_lj=$(sw_ok lingering) || { echo "$_lj"; return 1; }
	echo "$_lj" | "$JSONX" 'segments[]' shmid ns rmid_pid 'len(holders)' \
		'holders[0].pid' 'holders[0].comm' | awk -v s="$1" -v n="$2" '$1 == s && $2 == n'
}
check_eq "shmwatch lingering lists it, held by the stray" "$ID $NS $P 1 $S python" \
	lingering_row "$ID" "$NS"

# The hook got the same JSON on stdin, and SHMWATCH_* in its environment.
hook_files() { # hook_files EVENT SHMID: the hooks' .json files of that alert
	for _f in "$T"/hook.*.json; do
		[ -f "$_f" ] || continue
		[ "$("$JSONX" . event shmid <"$_f" 2>/dev/null)" = "$1 $2" ] && echo "$_f"
	done
}
has_hook() { [ -n "$(hook_files "$1" "$2")" ]; }
check "hook: ran for the linger alert" poll "$SHMW_WAIT" has_hook linger "$ID"
HF=$(hook_files linger "$ID" | head -n 1)
if [ -n "$HF" ]; then
	check_eq "hook: stdin is the logged linger line" "$(ev_lines linger "$ID" | "$JSONX" .)" \
		"$JSONX" . <"$HF"
	check_eq "hook: SHMWATCH_EVENT, _SHMID, _NS" \
		"SHMWATCH_EVENT=linger SHMWATCH_NS=$NS SHMWATCH_SHMID=$ID" \
		sh -c "grep -E '^SHMWATCH_(EVENT|SHMID|NS)=' '${HF%.json}.env' | sort | tr '\n' ' ' |
			sed 's/ \$//'"
fi

# --realert 0: one alert, however long it lingers (two more reconcile passes, at least 2 s).
wait_reconciles 2
check_eq "log: exactly one linger for $ID with --realert 0" 1 ev_count linger "$ID"

# The stray goes: destroyed by its exit, the alert ends.
hend stray || finish
expect_kernel "kernel: the segment went with the stray" "$ID" gone ""
check_log "log: destroy by the stray's exit" destroy exit "$S" "$ID"
check_eq "log: destroy names the stray" "python 0 $(user_of 0)" \
	ev_field destroy "$ID" "" comm uid user
check_eq "log: linger_end, reason destroyed" "destroyed" ev_field linger_end "$ID" "" reason
check "log: lingered_s >= $LINGER" \
	num_in "$(ev_field linger_end "$ID" "" lingered_s)" "$LINGER" 1000000
check "hook: ran for linger_end" poll "$SHMW_WAIT" has_hook linger_end "$ID"
HF=$(hook_files linger_end "$ID" | head -n 1)
if [ -n "$HF" ]; then
	check_eq "hook: SHMWATCH_EVENT=linger_end" "SHMWATCH_EVENT=linger_end" \
		grep '^SHMWATCH_EVENT=' "${HF%.json}.env"
fi
check_eq "shmwatch lingering no longer lists it" "" lingering_row "$ID" "$NS"
check_rc "who of the destroyed segment exits 1" 1 sw who "$ID"
check_eq "log: still exactly one linger for $ID" 1 ev_count linger "$ID"
hook_runs() { hook_files "$1" "$2" | wc -l | tr -d ' '; }
check_eq "hook: exactly one linger run for $ID" 1 hook_runs linger "$ID"

# --realert: a segment marked before the daemon started (no rmid_* then) lingers; the alert
# repeats every second with repeat 0, 1, 2, ...
stop_daemon
hold old name python create "$(new_key)" 8192 attach rmid || finish
ID2=$(hval old shmid)
O=$(hpid old)
expect_kernel "kernel: marked and held before the daemon starts" "$ID2" 1 "$O"
# The first run's files, kept apart (start_daemon writes daemon.log and events.jsonl anew).
mv "$T/daemon.log" "$T/daemon.run1.log"
for f in $(log_files); do mv "$f" "$T/run1.${f##*/}"; done
start_daemon --linger-after 1 --realert 1 || finish
check_eq "log: create cause seed for the marked segment" "seed $O" \
	ev_field create "$ID2" "" cause pid
three() { [ "$(ev_count linger "$ID2")" -ge 3 ]; }
if poll "$(scaled 8)" three; then
	pass "log: three linger alerts with --realert 1"
else
	fail "log: not three linger alerts for $ID2 within $(scaled 8) s" "$(ev_lines linger "$ID2")"
fi
repeats() { ev_lines linger "$ID2" | "$JSONX" . repeat | head -n 3 | tr '\n' ' ' | sed 's/ $//'; }
check_eq "linger: repeat 0, 1, 2" "0 1 2" repeats
check_eq "linger: no rmid_pid when marked before the daemon started" "<none> <none>" \
	ev_field linger "$ID2" "" rmid_pid rmid_comm
check_eq "linger: held by the python process" "$O python" \
	ev_field linger "$ID2" "" 'holders[0].pid' 'holders[0].comm'
ev_lines linger "$ID2" | "$JSONX" . time | head -n 3 >"$T/linger2.times"
T0=$(sed -n 1p "$T/linger2.times")
T1=$(sed -n 2p "$T/linger2.times")
T2=$(sed -n 3p "$T/linger2.times")
D1=$(secs_between "$T0" "$T1")
D2=$(secs_between "$T1" "$T2")
both_in() { num_in "$1" "$3" "$4" && num_in "$2" "$3" "$4"; }
check "linger: repeats 1 s apart, not less ($D1 s, $D2 s; at most $(upper 1 1))" both_in "$D1" "$D2" 1 \
	"$(upper 1 1)"
hend old || finish
expect_kernel "kernel: gone with its holder" "$ID2" gone ""
check_eq "log: linger_end destroyed" destroyed ev_field linger_end "$ID2" "" reason
N=$(ev_count linger "$ID2")
wait_reconciles 2
check_eq "log: no linger after linger_end" "$N" ev_count linger "$ID2"
finish
