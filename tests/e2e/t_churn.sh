#!/bin/sh
# 100 processes at once attach, split, fork a grandchild that exits, detach or exit (their parent
# does not hold the segment meanwhile, and attaches it afterwards). Then shmwatch agrees with the
# kernel, lost no event, and its log has one attach by shmat and one detach (shmdt or exit, as
# each child did) per child, one attach by fork and one detach by exit per grandchild.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=100
start_daemon || finish
hold h create "$(new_key)" 12288 churn "$N" attach || finish
ID=$(hval h shmid)
P=$(hpid h)

churned() { echo "$(hval h churned 3) $(hval h churned 4)"; }
check_eq "every churn child did its steps" "$N 0" churned
expect_kernel "kernel: only the parent holds after the churn" "$ID" 1 "$P"
check_who "who after the churn" "$ID"
check_ls "ls after the churn"
check_eq "status: no event lost" 0 status_field events_lost

awk '$2 == "churn-child" { print $3 }' "$T/h.out" | sort -n >"$T/kids"
awk '$2 == "churn-child" { print $3, ((n++ % 3) == 0 ? "shmdt" : "exit") }' "$T/h.out" |
	sort -n >"$T/kids.detach"
check_eq "$N churn children recorded" "$N" sh -c "wc -l <'$T/kids' | tr -d ' '"

log_rows() { # pid event cause, for this segment and not the parent
	"$JSONX" . pid event cause shmid <"$T/events.jsonl" |
		awk -v id="$ID" -v p="$P" '$4 == id && $1 != p { print $1, $2, $3 }'
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
check_eq "log: one attach by shmat per churn child" "$(cat "$T/kids")" kids_attached
check_eq "log: one detach per churn child, shmdt or exit as it did" "$(cat "$T/kids.detach")" \
	kids_detached
check_eq "log: one attach by fork and one detach by exit per grandchild" "$N $N" grandkids
check_eq "log: no other attach/detach for this segment" "" other_rows
finish
