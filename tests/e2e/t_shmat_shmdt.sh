#!/bin/sh
# shmat makes the process a holder (how "shmat"); shmdt of its only attachment drops it while the
# segment stays; an exited process is unknown to ps.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach pause detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)

expect_kernel "kernel: attached once" "$ID" 1 "$P"
check_who "who after shmat" "$ID"
check_eq "holder how is shmat" shmat who_holder_field "$ID" "$P" how
check_eq "holder comm" shmw-hold who_holder_field "$ID" "$P" comm
check_eq "holder uid" 0 who_holder_field "$ID" "$P" uid
check_eq "who status active" active who_field "$ID" status
check_ps "ps after shmat" "$P"
check_ls "ls after shmat"

hcont h || finish
expect_kernel "kernel: detached, segment stays" "$ID" 0 ""
check_who "who after shmdt" "$ID"
# (Two empty lists: the log must say why - the detach by shmdt of that process.)
check_log "log: detach by shmdt" detach shmdt "$P" "$ID"
check_ps "ps after shmdt: holds nothing" "$P"
check_eq "ps after shmdt: empty segments" 0 sh -c "'$SHMWATCH' --socket '$T/sock' --json ps $P |
	'$JSONX' 'len(segments)'"
check_ls "ls after shmdt"

hcont h || finish
hend h || finish
check_ps "ps of an exited process: no such process" "$P"
check_rc "ps of an exited process exits 1" 1 sw ps "$P"
finish
