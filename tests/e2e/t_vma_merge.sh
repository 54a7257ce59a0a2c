#!/bin/sh
# A call that changes the flags of the first pages of a SysV VMA so that they match the VMA
# before it moves the boundary between the two instead of cutting a third VMA (the kernel merges
# when no VMA goes away, 6.7 on): nattch stays. mprotect of the first half, then of the page
# after it: 2 VMAs, not 3. Then mlock of the next page cuts (3), mlock of the last page merges
# nothing (the VMA would go: a SysV VMA has a close op): still 3. A fork copies them. shmwatch
# counted 3 and 4 (the difftest's mprotect after mprotect: a holder with a VMA too many).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 24576 attach mprotect-half pause mprotect-page 3 pause \
	mlock-page 4 pause mlock-page 5 pause fork || finish
ID=$(hval h shmid)
P=$(hpid h)
expect_kernel "first half read-only: 2 VMAs" "$ID" 2 "$P"
check_who "who: 2 VMAs" "$ID"
hcont h || finish
expect_kernel "page 3 read-only too: the boundary moved, still 2 VMAs" "$ID" 2 "$P"
check_who "who after the boundary moved" "$ID"
hcont h || finish
expect_kernel "page 4 locked: 3 VMAs" "$ID" 3 "$P"
check_who "who after page 4 was locked" "$ID"
hcont h || finish
expect_kernel "page 5 locked too: still 3 VMAs" "$ID" 3 "$P"
check_who "who after page 5 was locked" "$ID"
hcont h || finish
C=$(hval h child)
expect_kernel "a forked child copied the 3 VMAs" "$ID" 6 "$P $C"
check_who "who after the fork" "$ID"
check_ps "ps of the child" "$C"
finish
