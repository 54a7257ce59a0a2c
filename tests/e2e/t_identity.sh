#!/bin/sh
# Who a holder is, at the time of the answer (issue #13, item 1): its effective uid and its name
# now, not when it attached.
#  - A root process that attaches while its effective uid is nobody's, then takes root back:
#    nobody is not shown it (it is counted hidden), root is shown it as root, with its name.
#  - A root process that drops to nobody for good after attaching: shown to nobody as its own,
#    to root as nobody's; `ps` of it answered for nobody.
#  - A holder that renames itself (prctl PR_SET_NAME) after attaching: who and ps give the new
#    name, and the log has an ident line saying so; a restart replays it.
# Every setup is proved on the kernel first (/proc/PID/status, /proc/PID/comm).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

NUID=65534
NGID=65534
# A socket the other user can reach, and a copy of the client it can run.
SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-ident.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir "$SD/bin" "$SD/run"
cp "$SHMWATCH" "$SD/bin/"
chmod 755 "$SD/bin" "$SD/bin/"*
NSW=$SD/bin/$(basename "$SHMWATCH")
SOCK=$SD/run/sock
# shellcheck disable=SC2154 # _id_rc is set by the trap itself
trap '_id_rc=$?; rm -rf "$SD"; (exit $_id_rc); _cleanup' EXIT

sw() {
	"$SHMWATCH" --socket "$SOCK" "$@"
}
nsw() {
	as_user "$NUID" "$NGID" "$NSW" --socket "$SOCK" "$@"
}

"$SHMWATCHD" --socket "$SOCK" --log-file "$T/events.jsonl" >"$T/daemon.log" 2>&1 &
await_daemon "$!" || finish

# euid_of PID: the effective uid the kernel has for PID.
euid_of() {
	awk '/^Uid:/ { print $3 }' "/proc/$1/status"
}
# holder_of CLIENT SHMID PID FIELD...: FIELDs of PID among the holders (CLIENT: sw or nsw).
holder_of() {
	_hc=$1
	_hs=$2
	_hp=$3
	shift 3
	"$_hc" --json who "$_hs" | "$JSONX" 'holders[]' pid "$@" |
		awk -v p="$_hp" '$1 == p { $1 = ""; sub(/^ /, ""); print; exit }'
}
hidden_of() {
	"${2:-sw}" --json who "$1" | "$JSONX" hidden_holders
}

# 1. Attached as nobody (effective), then root again.
K1=$(new_key)
hold a name borrowed create "$K1" 4096 set-mode 0666 setresuid 0 "$NUID" 0 attach \
	setresuid 0 0 0 || finish
ID1=$(hval a shmid)
A=$(hpid a)
expect_kernel "kernel: one holder" "$ID1" 1 "$A"
check_eq "kernel: it runs as root again" 0 euid_of "$A"
check_eq "root: the holder is root's now" "0 root" holder_of sw "$ID1" "$A" uid user
check_eq "nobody: not shown a root process that attached as nobody" "" holder_of nsw "$ID1" "$A" \
	uid
check_eq "nobody: counted as hidden" 1 hidden_of "$ID1" nsw

# 2. Attached as root, then nobody for good.
K2=$(new_key)
hold b name dropper create "$K2" 4096 attach setresuid "$NUID" "$NUID" "$NUID" || finish
ID2=$(hval b shmid)
B=$(hpid b)
expect_kernel "kernel: one holder" "$ID2" 1 "$B"
check_eq "kernel: it runs as nobody" "$NUID" euid_of "$B"
check_eq "root: the holder is nobody's now" "$NUID nobody" holder_of sw "$ID2" "$B" uid user
check_eq "nobody: shown its own process" "$NUID" holder_of nsw "$ID2" "$B" uid
check_eq "nobody: nothing hidden" 0 hidden_of "$ID2" nsw
check_rc "nobody: ps of it answered" 0 nsw ps "$B"
check_eq "log: an ident line after setresuid" "setuid $B $NUID" \
	sh -c "grep '\"event\":\"ident\"' '$T/events.jsonl' | '$JSONX' . cause pid uid |
		awk -v p='$B' '\$2 == p' | tail -n 1"

# 3. Renamed after attaching.
K3=$(new_key)
hold c name before create "$K3" 4096 attach name after || finish
ID3=$(hval c shmid)
C=$(hpid c)
expect_kernel "kernel: one holder" "$ID3" 1 "$C"
check_eq "kernel: its name is the new one" after cat "/proc/$C/comm"
check_eq "who: the new name" after holder_of sw "$ID3" "$C" comm
check_eq "ps: the new name" after sh -c "'$SHMWATCH' --socket '$SOCK' --json ps '$C' | '$JSONX' comm"
check_eq "log: an ident line with the new name" "rename $C after" \
	sh -c "grep '\"event\":\"ident\"' '$T/events.jsonl' | '$JSONX' . cause pid comm |
		awk -v p='$C' '\$2 == p' | tail -n 1"

# The log replays the identities: after a restart, who says the same without a walk's help.
kill -TERM "$DPID"
wait "$DPID"
"$SHMWATCHD" --socket "$SOCK" --log-file "$T/events.jsonl" >>"$T/daemon.log" 2>&1 &
DPID=$!
echo "$DPID" >>"$T/pids"
poll 15 sw status >/dev/null 2>&1 || fail "daemon not ready again"
check_eq "after a restart: the new name" after holder_of sw "$ID3" "$C" comm
check_eq "after a restart: nobody's process still nobody's" "$NUID nobody" \
	holder_of sw "$ID2" "$B" uid user
finish
