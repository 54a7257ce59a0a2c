#!/bin/sh
# mremap on the older kernels' path (no open-coded VMA iterator before 6.7; forced here with
# SHMWATCH_NO_VMA_ITER=1): BPF cannot follow a move, so every mremap of an address space that
# holds segments makes the daemon walk that address space (README.md, Requirements) and log
# what changed with cause mremap. Steps: two attachments, the second moved whole (same count;
# shmdt at its new address then detaches it), then page 1 of the first moved alone (3 pieces),
# then shmdt of the first: the moved page is no longer where shmdt looks, and stays.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export SHMWATCH_NO_VMA_ITER=1
start_daemon --mode tracepoint || finish
check "daemon says VMA changes are recounted by walks" \
	grep -q "tracepoint mode (.*recounted by walks" "$T/daemon.log"

hold h create "$(new_key)" 16384 attach attach pause mremap-move pause detach pause \
	mremap-page 1 pause detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)
expect_kernel "kernel: two attachments" "$ID" 2 "$P"
check_who "who: two attachments" "$ID"

# rescans: status's count of the walks BPF asked for.
rescans() { status_field rescans; }
more_than() { [ "$(rescans)" -gt "$1" ]; }
# changes: the log's "event cause vmas" lines of P about ID, in order.
changes() {
	log_about "$ID" | "$JSONX" . pid event cause vmas |
		awk -v p="$P" '$1 == p && $2 ~ /^(attach|detach|vmas)$/ { print $2, $3, $4 }'
}

R=$(rescans)
hcont h || finish
NEW=$(hval h moved 4)
maps_at() { # maps_at ADDR: a SysV mapping of ID starts at ADDR in P
	awk -v a="${1#0x}" -v id="$ID" 'index($1, a "-") == 1 && $5 == id { f = 1 }
		END { exit !f }' "/proc/$P/maps"
}
check "kernel: the second attachment moved to $NEW" maps_at "$NEW"
expect_kernel "kernel: still 2 after the move" "$ID" 2 "$P"
check "the move was walked (rescans went up from $R)" poll "$SHMW_WAIT" more_than "$R"
check_who "who after the move" "$ID"
check_ps "ps after the move" "$P"
check_eq "log: the move changed no count: no line" "attach shmat 1
vmas shmat 2" changes

# shmdt at the new address: the daemon's record of where the attachment is must follow.
hcont h || finish
expect_kernel "kernel: shmdt at the new address" "$ID" 1 "$P"
check_who "who after shmdt of the moved attachment" "$ID"
last_change() { changes | tail -n 1; }
check_eq "log: the moved attachment detached by shmdt" "vmas shmdt 1" last_change

# Page 1 of the first attachment moved alone: 3 pieces, logged as cause mremap.
R=$(rescans)
hcont h || finish
expect_kernel "kernel: page 1 moved out: 3 pieces" "$ID" 3 "$P"
check "the one-page move was walked (rescans went up from $R)" poll "$SHMW_WAIT" more_than "$R"
check_who "who after moving page 1" "$ID"
check_ps "ps after moving page 1" "$P"
check_eq "log: 3 VMAs by mremap" "vmas mremap 3" last_change

# shmdt(start) removes the pieces whose page offset matches their place from start; the moved
# page is elsewhere and stays attached.
hcont h || finish
expect_kernel "kernel: shmdt left the moved page" "$ID" 1 "$P"
check_who "who after shmdt left the moved page" "$ID"
check_eq "log: 1 VMA left by shmdt" "vmas shmdt 1" last_change
no_resync() { ! log_about "$ID" | grep -q '"resync"'; }
check "no change was logged as a resync" no_resync
finish
