#!/bin/sh
# Holders that exist before the daemon starts are known as soon as it answers (how "seed"):
# a split attachment, a forked child, CLONE_VM siblings. Changes after that are tracked.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

hold a create "$(new_key)" 12288 attach fork mprotect-half || finish
ID=$(hval a shmid)
A=$(hpid a)
AC=$(hval a child)
hold b use "$ID" attach clone-vm || finish
B=$(hpid b)
BS=$(hval b sibling)
echo "$BS" >>"$T/pids"
expect_kernel "kernel: holders before the daemon" "$ID" 4 "$A $AC $B $BS"

start_daemon || finish
at_once check_who "who at once after start" "$ID"
at_once check_ps "ps at once: split parent" "$A"
at_once check_ps "ps at once: CLONE_VM sibling" "$BS"
at_once check_ls "ls at once"
# The table (its rows come as text lines after the answer, docs/protocol.md) shows what --json
# says, holder by holder in the same order: PID USER COMM, HOW VMAS (SINCE is local time).
table_is_json() {
	sw who "$1" >"$T/who.table" && sw --json who "$1" >"$T/who.json" || return 1
	awk 'NR > 2 { print $1, $2, $3, $6, $7 }' "$T/who.table" >"$T/who.t"
	"$JSONX" 'holders[]' pid user comm how vmas <"$T/who.json" >"$T/who.j" || return 1
	[ "$(wc -l <"$T/who.t")" -eq 4 ] && cmp -s "$T/who.t" "$T/who.j"
}
check "who table rows are the --json holders" table_is_json "$ID"
for p in $A $AC $B $BS; do
	at_once check_eq "holder $p how is seed" seed who_holder_field "$ID" "$p" how
done
check_log "log: attach by seed" attach seed "$A" "$ID"

hcont a "$AC" || finish
wait_until "child $AC to exit" dead "$AC"
expect_kernel "kernel: seeded child exited" "$ID" 3 "$A $B $BS"
check_who "who after a seeded holder exited" "$ID"
hend b || finish
expect_kernel "kernel: original of the CLONE_VM pair exited" "$ID" 3 "$A $BS"
check_who "who names the seeded sibling" "$ID"

# A restarted daemon knows them again at once.
stop_daemon
start_daemon || finish
at_once check_who "who at once after a restart" "$ID"
at_once check_eq "how is seed after a restart" seed who_holder_field "$ID" "$BS" how
at_once check_ls "ls at once after a restart"
finish
