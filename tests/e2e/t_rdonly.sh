#!/bin/sh
# SHM_RDONLY attachments are holders like any other.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold a create "$(new_key)" 12288 attach ro || finish
ID=$(hval a shmid)
A=$(hpid a)
hold b use "$ID" attach ro attach || finish
B=$(hpid b)

expect_kernel "kernel: three attachments, two processes" "$ID" 3 "$A $B"
sysv_perms() { # sysv_perms ID PID: the permissions of PID's mappings of ID, sorted
	awk -v id="$1" '$5 == id && $6 ~ /^\/SYSV/ { print $2 }' "/proc/$2/maps" | sort | tr '\n' ' '
}
check_eq "kernel: the ro attachment maps r--s" "r--s " sysv_perms "$ID" "$A"
check_eq "kernel: ro and rw attachments" "r--s rw-s " sysv_perms "$ID" "$B"
check_who "who: read-only holders" "$ID"
check_ps "ps of the read-only holder" "$A"
check_ps "ps of the mixed holder" "$B"
finish
