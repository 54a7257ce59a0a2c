#!/bin/sh
# Partial munmap: unmapping the last page keeps 1 VMA, a middle page makes 2, shmdt(start) then
# detaches both pieces. A holder unmapping piece by piece stays a holder until the last goes.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 16384 attach pause munmap-page 3 pause munmap-page 1 pause \
	detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)

expect_kernel "kernel: 4 pages attached" "$ID" 1 "$P"
check_who "who: whole attachment" "$ID"
hcont h || finish
expect_kernel "kernel: last page unmapped: still 1" "$ID" 1 "$P"
check_who "who after unmapping the last page" "$ID"
hcont h || finish
expect_kernel "kernel: middle page unmapped: 2 pieces" "$ID" 2 "$P"
check_who "who with 2 pieces" "$ID"
check_ps "ps with 2 pieces" "$P"
hcont h || finish
expect_kernel "kernel: shmdt(start) detached both pieces" "$ID" 0 ""
check_who "who after shmdt of a split attachment" "$ID"
check_log "log: detach by shmdt" detach shmdt "$P" "$ID"

hold u use "$ID" attach pause munmap-page 1 pause munmap-page 0 pause munmap-page 2 pause \
	munmap-page 3 pause || finish
U=$(hpid u)
expect_kernel "kernel: second holder attached" "$ID" 1 "$U"
hcont u || finish
expect_kernel "kernel: page 1 unmapped: 2 pieces" "$ID" 2 "$U"
check_who "who: pieces 0 and 2-3" "$ID"
hcont u || finish
expect_kernel "kernel: page 0 unmapped: 1 piece" "$ID" 1 "$U"
check_who "who: piece 2-3" "$ID"
hcont u || finish
expect_kernel "kernel: page 2 unmapped: still 1 piece" "$ID" 1 "$U"
check_who "who: piece 3" "$ID"
hcont u || finish
expect_kernel "kernel: last piece unmapped" "$ID" 0 ""
check_who "who after the last piece was unmapped" "$ID"
check_ps "ps after the last piece was unmapped" "$U"
check_log "log: detach by munmap" detach munmap "$U" "$ID"
finish
