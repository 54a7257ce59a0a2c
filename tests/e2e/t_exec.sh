#!/bin/sh
# execve drops the exec'ing process's attachments while it lives on; a forked child that did not
# exec keeps its own.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach fork pause exec "$HOLD" --ready "$T/h.out" || finish
ID=$(hval h shmid)
P=$(hpid h)
C=$(hval h child)

expect_kernel "kernel: parent and child before exec" "$ID" 2 "$P $C"
check_who "who before exec" "$ID"

hcont h || finish
wait_until "exec'd image of $P to be ready" hhas h ready
expect_kernel "kernel: after exec only the child holds" "$ID" 1 "$C"
check "the exec'd process is alive" alive "$P"
check_who "who after exec" "$ID"
check_ps "ps of the exec'd process: holds nothing" "$P"
check_log "log: detach by exec" detach exec "$P" "$ID"
finish
