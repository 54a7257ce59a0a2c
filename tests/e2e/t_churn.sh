#!/bin/sh
# 100 processes at once attach, split, fork a grandchild that exits, detach or exit (their parent
# does not hold the segment meanwhile, and attaches it afterwards). Then shmwatch agrees with the
# kernel, and its log has one attach by shmat and one detach (shmdt or exit, as each child did)
# per child, one attach by fork and one detach by exit per grandchild (when the host's ring lost
# nothing meanwhile: else the log, replayed, gives the holders `who` gives).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=100
start_daemon || finish
# events_lost counts the whole host's events the ring buffer dropped: another workload can make
# it grow. The exact log below holds only when nothing was lost while we churned; otherwise the
# log is checked as a replay (the resync lines repair what was lost).
LOST0=$(status_field events_lost)
hold h create "$(new_key)" 12288 churn "$N" attach || finish
ID=$(hval h shmid)
P=$(hpid h)

churned() { echo "$(hval h churned 3) $(hval h churned 4)"; }
check_eq "kernel: every churn child did its steps" "$N 0" churned
expect_kernel "kernel: only the parent holds after the churn" "$ID" 1 "$P"
check_who "who after the churn" "$ID"
check_ls "ls after the churn"
LOST=$(($(status_field events_lost) - LOST0))

awk '$2 == "churn-child" { print $3 }' "$T/h.out" | sort -n >"$T/kids"
awk '$2 == "churn-child" { print $3, ((n++ % 3) == 0 ? "shmdt" : "exit") }' "$T/h.out" |
	sort -n >"$T/kids.detach"
check_eq "kernel: $N churn children recorded" "$N" sh -c "wc -l <'$T/kids' | tr -d ' '"

log_rows() { # pid event cause, for this segment (in our namespace) and not the parent
	log_mine "$ID" | "$JSONX" . pid event cause |
		awk -v p="$P" '$1 != p { print $1, $2, $3 }'
}
kids_attached() { log_rows | awk '$2 == "attach" && $3 == "shmat" { print $1 }' | sort -n; }
kids_detached() {
	log_rows | awk 'NR == FNR { k[$1] = 1; next } k[$1] && $2 == "detach" { print $1, $3 }' \
		"$T/kids" - | sort -n
}
grandkids() { # attach by fork, and detach by exit, of pids that are not children
	log_rows | awk 'NR == FNR { k[$1] = 1; next } !k[$1] && ($2 " " $3 == "attach fork" ||
		$2 " " $3 == "detach exit") { n[$2]++ } END { print n["attach"] + 0, n["detach"] + 0 }' \
		"$T/kids" -
}
other_rows() { # anything else about other pids, except VMA-count changes
	log_rows | awk 'NR == FNR { k[$1] = 1; next } !($2 == "vmas") &&
		!(k[$1] && ($2 " " $3 == "attach shmat" || $2 == "detach")) &&
		!(!k[$1] && ($2 " " $3 == "attach fork" || $2 " " $3 == "detach exit"))' "$T/kids" -
}
if [ "$LOST" = 0 ]; then
	check_eq "log: one attach by shmat per churn child" "$(cat "$T/kids")" kids_attached
	check_eq "log: one detach per churn child, shmdt or exit as it did" \
		"$(cat "$T/kids.detach")" kids_detached
	check_eq "log: one attach by fork and one detach by exit per grandchild" "$N $N" grandkids
	check_eq "log: no other attach/detach for this segment" "" other_rows
else
	echo "NOTE $TEST_NAME: the host's ring lost $LOST events during the churn (another workload):" \
		"the log is checked by replaying it, not line by line"
	# shellcheck source=lib_robust.sh
	. "$(dirname "$0")/lib_robust.sh"
	check_replay "log: replayed (resyncs included), it gives the holders who gives" "$ID"
fi
finish
