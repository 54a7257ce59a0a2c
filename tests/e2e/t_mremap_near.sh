#!/bin/sh
# mremap(MREMAP_FIXED) of a page of an attachment onto another page of the same attachment, and
# onto the hole just before it: the range the call moves from and the one it moves to reach the
# same VMAs (BPF walks both, and the VMA on either side of each), and each VMA counts once.
# shmwatch counted VMAs in both ranges twice (the difftest's mremap_move next to its source).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 24576 attach pause mremap-page-to 1 4 pause munmap-page 0 pause \
	mremap-page-to 3 0 pause fork || finish
ID=$(hval h shmid)
P=$(hpid h)
expect_kernel "one VMA of 6 pages" "$ID" 1 "$P"
check_who "who: 1 VMA" "$ID"
hcont h || finish
expect_kernel "page 1 moved onto page 4: 0, 2-3, 4 (page 1's), 5" "$ID" 4 "$P"
check_who "who after page 1 moved onto page 4" "$ID"
hcont h || finish
expect_kernel "page 0 unmapped: 2-3, 4, 5" "$ID" 3 "$P"
check_who "who after page 0 was unmapped" "$ID"
hcont h || finish
expect_kernel "page 3 moved onto the hole of page 0: 0 (page 3's), 2, 4, 5" "$ID" 4 "$P"
check_who "who after page 3 moved before the attachment" "$ID"
hcont h || finish
C=$(hval h child)
expect_kernel "a forked child copied the 4 VMAs" "$ID" 8 "$P $C"
check_who "who after the fork" "$ID"
check_ps "ps of the child" "$C"

# The page moved lands right before what is left of the attachment: the VMA after the
# destination is the source's VMA.
hold g create "$(new_key)" 32768 attach munmap-page 0 munmap-page 1 pause mremap-page-to 5 1 \
	pause || finish
ID=$(hval g shmid)
P=$(hpid g)
expect_kernel "pages 0-1 unmapped: one VMA, pages 2-7" "$ID" 1 "$P"
check_who "who: pages 2-7" "$ID"
hcont g || finish
expect_kernel "page 5 moved onto page 1: 1 (page 5's), 2-4, 6-7" "$ID" 3 "$P"
check_who "who after page 5 moved next to its VMA" "$ID"
check_ps "ps after page 5 moved next to its VMA" "$P"
finish
