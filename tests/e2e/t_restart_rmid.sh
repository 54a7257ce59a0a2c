#!/bin/sh
# A restart forgets nothing the log knows (issue #12, section 5). A segment marked for
# destruction by one process lingers, held by another, while the daemon is stopped for 3 s and
# started again on the same log. The new daemon's replay must restore the removal: lingering and
# its alerts give the time of the IPC_RMID (dest_since, and an age counted from it, not from
# the restart), the remover (rmid_pid, rmid_comm), the segment's key (the kernel reads 0 after
# IPC_RMID) and its generation; the table names the remover. No segment the log knows gets a
# second create line (cause seed) from the new daemon, and each segment's lines, both daemons'
# together, are exactly its life.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# now_rfc3339: the realtime clock as the log writes its times; whole seconds where date has no
# %N (busybox).
now_rfc3339() {
	_nr=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ 2>/dev/null)
	case $_nr in
	*N* | "") date -u "+%Y-%m-%dT%H:%M:%S.000000Z" ;;
	*) echo "$_nr" ;;
	esac
}
# lingering_of SHMID FIELD...: fields of SHMID's entry (our namespace) in `shmwatch lingering`.
lingering_of() {
	_ls=$1
	shift
	_lj=$(sw_ok lingering) || { echo "$_lj"; return 1; }
	echo "$_lj" | "$JSONX" 'segments[]' ns shmid "$@" |
		awk -v n="$SELF_NS" -v s="$_ls" '$1 == n && $2 == s { $1 = $2 = ""; sub(/^ +/, ""); print }'
}
# near SECONDS A B: the times A and B (RFC 3339) are at most SECONDS apart.
near() {
	_nd=$(secs_between "$2" "$3")
	num_in "$_nd" "-$1" "$1"
}

start_daemon --linger-after 1 --realert 0 --log-max-bytes 0 || finish
K=$(new_key)
K2=$(new_key)
hold h name holder create "$K" 16384 attach || finish
ID=$(hval h shmid)
H=$(hpid h)
hold a name keeper create "$K2" 8192 attach || finish
ID2=$(hval a shmid)
A=$(hpid a)
hold r name remover use "$ID" rmid || finish
R=$(hpid r)
expect_kernel "kernel: marked, held by the holder" "$ID" 1 "$H"
check "log: the first daemon's linger alert" poll "$SHMW_WAIT" ev_has linger "$ID"
check_eq "log: rmid by the remover" "$R remover" ev_field rmid "$ID" "" pid comm
RT=$(ev_field rmid "$ID" "" time)
G=$(ev_field create "$ID" "" generation)
KD=$(printf '%d' "$K")

# Stopped for 3 s, then started again on the same log.
stop_daemon
NLINES=$(wc -l <"$T/events.jsonl" | tr -d ' ')
mv "$T/daemon.log" "$T/daemon.1.log"
let_time_pass 3
start_daemon --linger-after 1 --realert 0 --log-max-bytes 0 || finish
at_once check_who "who after the restart" "$ID"
at_once check_eq "who: the original key, key_now 0, dest" "$KD 0 dest" \
	sh -c "'$SHMWATCH' --socket '$T/sock' --json who $ID | '$JSONX' . key key_now status"

# The removal, as lingering tells it after the restart.
check_eq "lingering: remover, key and generation restored" "$R remover $KD $G" \
	lingering_of "$ID" rmid_pid rmid_comm key generation
DS=$(lingering_of "$ID" dest_since)
check "lingering: dest_since is the IPC_RMID's time $RT (got $DS)" near 0.001 "$RT" "$DS"
DF=$(lingering_of "$ID" dest_for_s)
SINCE=$(secs_between "$RT" "$(now_rfc3339)")
check "lingering: dest_for_s $DF counts from the IPC_RMID, $SINCE s ago" \
	num_in "$DF" "$(echo "$SINCE" | awk '{ printf "%d", $1 - 1.5 }')" \
	"$(echo "$SINCE" | awk '{ printf "%d", $1 + 1.5 }')"
check_eq "lingering (table): names the remover" "removed by pid $R (remover)" \
	sh -c "'$SHMWATCH' --socket '$T/sock' lingering | grep 'shmid $ID ' | grep -o 'removed [^)]*)'"

# The new daemon's linger alerts, if it raises any, tell the same.
tail -n "+$((NLINES + 1))" "$T/events.jsonl" | grep -F -e "\"shmid\":$ID," >"$T/new.lines"
grep -F '"event":"linger"' "$T/new.lines" >"$T/new.lingers"
if [ -s "$T/new.lingers" ]; then
	check_eq "linger after the restart: remover, key, generation" "$R remover $KD $G" \
		sh -c "head -n 1 '$T/new.lingers' | '$JSONX' . rmid_pid rmid_comm key generation"
	LDS=$(head -n 1 "$T/new.lingers" | "$JSONX" . dest_since)
	check "linger after the restart: dest_since is the IPC_RMID's time (got $LDS)" \
		near 0.001 "$RT" "$LDS"
	LT=$(head -n 1 "$T/new.lingers" | "$JSONX" . time)
	LF=$(head -n 1 "$T/new.lingers" | "$JSONX" . dest_for_s)
	LSINCE=$(secs_between "$RT" "$LT")
	check "linger after the restart: dest_for_s $LF counts from the IPC_RMID ($LSINCE s)" \
		num_in "$LF" "$(echo "$LSINCE" | awk '{ printf "%d", $1 - 1 }')" \
		"$(echo "$LSINCE" | awk '{ printf "%d", $1 + 1 }')"
else
	echo "NOTE $TEST_NAME: the new daemon raised no linger alert for $ID (it may know the old one)"
fi

# Nothing the log knew is created again.
at_once check_eq "log: one create of the removed segment, both daemons together" 1 \
	ev_count create "$ID"
at_once check_eq "log: one create of the active segment, both daemons together" 1 \
	ev_count create "$ID2"
at_once check_seq "log: the active segment's lines" "create:shmget:$A attach:shmat:$A" "$ID2"

# The holder exits: the lingering segment is destroyed, with the generation it was created with.
hend h || finish
expect_kernel "kernel: destroyed by the holder's exit" "$ID" gone ""
check_seq "log: the removed segment's lines, both daemons together" \
	"create:shmget:$H attach:shmat:$H rmid:shmctl:$R detach:exit:$H destroy:exit:$H" "$ID"
at_once check_eq "log: destroy and linger_end carry the generation" "$G $G" \
	sh -c "echo \$(tail -n +$((NLINES + 1)) '$T/events.jsonl' | grep -F '\"shmid\":$ID,' |
		grep -F -e '\"event\":\"destroy\"' -e '\"event\":\"linger_end\"' | '$JSONX' . generation)"
finish
