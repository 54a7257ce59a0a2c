#!/bin/sh
# A segment in another IPC namespace with the same shmid as one in ours: who without --ns answers
# in the caller's namespace, who -A is ambiguous (exit 2); with --ns each answers its own holders. A process that unshared keeps its
# attachment from the old namespace. The two segments differ in key and size so that the
# oracle can attribute every mapping (see shmw-oracle.c).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
twin_segments || finish

check_eq "who $ID without --ns: the caller's namespace" "$ROOTNS" sh -c \
	"'$SHMWATCH' --socket '$T/sock' --json who '$ID' | '$JSONX' . ns"
check_rc "who $ID -A exits 2" 2 sw who "$ID" -A
# The message names both namespaces and the way out; the JSON answer has code "ambiguous".
names_both() { sw who -A "$1" 2>&1 | grep "$2" | grep "$3" | grep -q -- --ns; }
check "who $ID -A names both namespaces and --ns" names_both "$ID" "$ROOTNS" "$NS"
amb_json() { sw --json who -A "$1" 2>/dev/null | "$JSONX" . code 'len(namespaces)'; }
check_eq "who --json: code ambiguous, 2 namespaces" "ambiguous 2" amb_json "$ID"
check_who "who --ns root" "$ID" "$ROOTNS"
check_who "who --ns child" "$ID" "$NS"
check_ps "ps of the unshared process: one segment in each namespace" "$N"
check_ps "ps of the root holder" "$R"
check_ls "ls with both namespaces"
check_rc "who --ns of a namespace without that shmid exits 1" 1 sw who "$ID" --ns 1

hend n || finish
expect_kernel "kernel: root segment after the unshared process exited" "$ID" 1 "$R" "$ROOTNS"
check_who "who --ns root after the unshared process exited" "$ID" "$ROOTNS"
finish
