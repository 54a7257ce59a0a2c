#!/bin/sh
# The event log and `shmwatch events`: shmat, shmdt and IPC_RMID appear with the right pid,
# shmid and cause, in order.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# events -n reads the ring of recent lines, which every workload on the host shares: keep as many
# as one request can ask for (10000; the default keeps 4096).
start_daemon --recent 10000 || finish
# A follower connected first must see the events live (-n 0: no history).
BASE=$(status_field clients)
sw --json events -f -n 0 >"$T/follow" 2>"$T/follow.err" &
FOLLOW=$!
echo "$FOLLOW" >>"$T/pids"
follower_connected() { [ "$(status_field clients)" -gt "$BASE" ]; }
wait_until "the follower to be connected (status clients > $BASE)" follower_connected
KEY=$(new_key)
hold h create "$KEY" 12288 attach pause detach pause rmid || finish
ID=$(hval h shmid)
P=$(hpid h)
NS=$(hval h shmid 4)
expect_kernel "kernel: attached" "$ID" 1 "$P"
check_log "log file: attach by shmat" attach shmat "$P" "$ID"
hcont h || finish
expect_kernel "kernel: detached" "$ID" 0 ""
check_log "log file: detach by shmdt" detach shmdt "$P" "$ID"
check_log "events -n (the recent lines): attach by shmat" attach shmat "$P" "$ID" "" client
check_log "events -n (the recent lines): detach by shmdt" detach shmdt "$P" "$ID" "" client
follow_has() {
	"$JSONX" . event cause pid shmid <"$T/follow" 2>/dev/null |
		grep -qx "$1 $2 $P $ID"
}
check "events -f: attach by shmat streamed" poll "$SHMW_WAIT" follow_has attach shmat
check "events -f: detach by shmdt streamed" poll "$SHMW_WAIT" follow_has detach shmdt
hcont h || finish
expect_kernel "kernel: IPC_RMID of an unattached segment destroys it" "$ID" gone ""
check_log "log file: rmid by shmctl" rmid shmctl "$P" "$ID"
check "events -f: rmid streamed" poll "$SHMW_WAIT" follow_has rmid shmctl
kill "$FOLLOW"

# The attach line describes the segment as the kernel did. (The log's lines about this shmid in
# our namespace: a container's segment may have the same shmid.)
attach_line() {
	log_mine "$ID" | "$JSONX" . event cause pid shmid ns key size vmas |
		awk -v p="$P" -v s="$ID" '$1 == "attach" && $3 == p && $4 == s { print; exit }'
}
check_eq "log file: attach line fields" \
	"attach shmat $P $ID $NS $(printf '%d' "$KEY") 12288 1" attach_line
order() {
	log_mine "$ID" | "$JSONX" . event pid shmid |
		awk -v p="$P" -v s="$ID" '$2 == p && $3 == s { printf "%s ", $1 }'
}
# The holder created the segment (create by shmget) and removed it unattached (destroy, cause
# rmid): its whole life is in the log, in order.
check_eq "log file: create, attach, detach, rmid, destroy in order" \
	"create attach detach rmid destroy " order
destroy_cause() {
	log_mine "$ID" | "$JSONX" . event cause shmid |
		awk -v s="$ID" '$1 == "destroy" && $3 == s { print $2 }'
}
check_eq "log file: destroyed by the rmid" "rmid" destroy_cause
# Every line: valid JSON (shmw-json exits 0) with an RFC 3339 UTC time. The log has lines of other
# workloads too: all of them are the daemon's, all must be valid. The daemon is stopped first: the
# log grows with the host's events while it runs.
stop_daemon
"$JSONX" time <"$T/events.jsonl" >"$T/times" 2>"$T/times.err"
JRC=$?
check_eq "every log line is valid JSON (shmw-json exits 0)" "0 " echo "$JRC $(cat "$T/times.err")"
check_eq "every log line has a time" "$(grep -c . "$T/events.jsonl")" \
	sh -c "grep -c '^....-..-..T..:..:..\.......Z\$' '$T/times'"
finish
