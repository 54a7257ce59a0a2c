#!/bin/sh
# IPC_RMID while attached: status "dest", key_now 0, the original key kept, holders still named;
# the segment goes with the last holder, then who exits 1.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
KEY=$(new_key)
hold h create "$KEY" 12288 attach fork pause rmid || finish
ID=$(hval h shmid)
P=$(hpid h)
C=$(hval h child)

expect_kernel "kernel: two holders" "$ID" 2 "$P $C"
check_who "who before IPC_RMID" "$ID"
hcont h || finish
dest() { "$ORACLE" seg "$1" | awk '{ exit !($1 == 0 && $3 ~ /^1/) }'; }
check "kernel: key 0 and SHM_DEST after IPC_RMID" dest "$ID"
expect_kernel "kernel: still attached after IPC_RMID" "$ID" 2 "$P $C"
check_who "who after IPC_RMID" "$ID"
check_eq "who status dest" dest who_field "$ID" status
check_eq "who key is the original key" "$(printf '%d' "$KEY")" who_field "$ID" key
check_eq "who key_now is 0" 0 who_field "$ID" key_now
check_ls "ls shows it dest"
check_log "log: rmid by shmctl" rmid shmctl "$P" "$ID"

hcont h "$C" || finish
wait_until "child $C to exit" dead "$C"
expect_kernel "kernel: one holder left" "$ID" 1 "$P"
check_who "who: the remaining holder of a dest segment" "$ID"

hend h || finish
expect_kernel "kernel: segment destroyed with its last holder" "$ID" gone ""
check_who "who: segment gone" "$ID"
check_rc "who of the destroyed segment exits 1" 1 sw who "$ID"
check_ls "ls without it"
finish
