#!/bin/sh
# An mremap move keeps the VMA count (2 attachments stay 2); shmdt at the new address works.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach attach pause mremap-move pause detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)

expect_kernel "kernel: two attachments" "$ID" 2 "$P"
check_who "who before the move" "$ID"
hcont h || finish
NEW=$(hval h moved 4)
maps_at() { # maps_at PID ADDR ID: a SysV mapping of ID starts at ADDR
	awk -v a="${2#0x}" -v id="$3" 'index($1, a "-") == 1 && $5 == id { f = 1 }
		END { exit !f }' "/proc/$1/maps"
}
check "kernel: the attachment moved to $NEW" maps_at "$P" "$NEW" "$ID"
expect_kernel "kernel: still 2 after the move" "$ID" 2 "$P"
check_who "who after mremap" "$ID"
hcont h || finish
expect_kernel "kernel: shmdt at the new address" "$ID" 1 "$P"
check_who "who after shmdt of the moved attachment" "$ID"
check_ps "ps" "$P"
finish
