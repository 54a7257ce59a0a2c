#!/bin/sh
# The past, from the event log on disk (README.md "The past"; shmwatch(1) events, history,
# who --at), compared with what this scenario did and with the kernel while it did it:
#  1. A's segment: A creates and attaches, B attaches (the kernel shows both), A detaches and
#     removes it (IPC_RMID; the kernel shows B alone, status dest), B exits (the kernel frees
#     it). `history` lists exactly that, in that order, with the pids that did it; `who --at`
#     before the create (nothing), at B's attach (A and B, status ok), at A's detach (B, ok:
#     before the rmid), at the rmid (B, dest, removed by A), after the destroy (gone, by exit).
#  2. Each filter of `events`: --shmid, --key (hex and decimal), --pid, --event, --since,
#     --until (RFC 3339, relative and @epoch), alone and together, against the same truth.
#  3. A storm of another segment's events rotates the log (--log-max-bytes 64K) until A's
#     lines are in a compressed file (events.jsonl.N.gz, with its index): history, who --at and
#     the filters give the same answers, read across the rotation from the .gz files.
#  4. A user other than root and the admin group (uid 65534) sees only its own: its segment's
#     history, not root's (no_such_segment), no root event through the filters, and root's
#     holders at a time counted as hidden.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

NUID=65534
NGID=65534
# The other user reaches the socket in a directory of its own (T is root's alone).
SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-hist.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir -m 755 "$SD/run" "$SD/bin"
mkdir "$SD/nb"
chown "$NUID:$NGID" "$SD/nb"
cp "$SHMWATCH" "$HOLD" "$SD/bin/"
chmod 755 "$SD/bin/"*
trap '_h_rc=$?; rm -rf "$SD"; (exit $_h_rc); _cleanup' EXIT
SOCK=$SD/run/sock
sw() { "$SHMWATCH" --socket "$SOCK" "$@"; }
nsw() { "$SHMW_BUILD/tests/shmw-runas" "$NUID" "$NGID" "$SD/bin/shmwatch" --socket "$SOCK" "$@"; }

# Files of 256 kB: the storm below fills more than one; other workloads on the host (the daemon
# logs every process) may fill many more, hence room for a thousand.
"$SHMWATCHD" --socket "$SOCK" --log-file "$T/events.jsonl" --log-max-bytes 256K \
	--log-keep 1000 --ring-size 16M >"$T/daemon.log" 2>&1 &
await_daemon "$!" || finish

# as_lines CMD...: CMD's JSON lines (events, history) as "EVENT PID" lines, in their order;
# nothing for none; the error if CMD fails.
as_lines() {
	_al=$("$@" 2>&1) || {
		echo "failed: $_al"
		return 1
	}
	[ -z "$_al" ] || echo "$_al" | "$JSONX" . event pid
}
# ev ARGS...: `events --json ARGS` as "EVENT PID" lines (the log's own order).
ev() {
	as_lines sw --json events "$@"
}
# hist ID: `history --json ID` as "EVENT PID" lines.
hist() {
	as_lines sw --json history "$1" --ns "$SELF_NS"
}
# at_who ID TIME: `who --at` as "STATUS [RMID-PID] : HOLDER-PIDS" (sorted).
at_who() {
	_aw=$(sw --json who "$1" --ns "$SELF_NS" --at "$2") || {
		echo "who --at $2 failed: $_aw"
		return 1
	}
	printf '%s %s :%s\n' "$(echo "$_aw" | "$JSONX" status)" \
		"$(echo "$_aw" | "$JSONX" rmid_pid 2>/dev/null)" \
		"$(echo "$_aw" | "$JSONX" 'holders[]' pid | sort -n | awk '{ printf " %s", $1 }')"
}
# t_of EVENT PID: the time of that line of A's segment, from history.
t_of() {
	sw --json history "$ID" --ns "$SELF_NS" | "$JSONX" . event pid time |
		awk -v e="$1" -v p="$2" '$1 == e && $2 == p { print $3; exit }'
}

# ---- 1. one segment's life ----
KEY=$(new_key)
hold a create "$KEY" 4096 attach pause detach rmid || finish
A=$(hpid a)
ID=$(hval a shmid)
hold b use "$ID" attach || finish
B=$(hpid b)
expect_kernel "A and B hold it" "$ID" 2 "$A $B"
hcont a || finish
expect_kernel "B alone holds it after A's detach and rmid" "$ID" 1 "$B"
kernel_dest() { case $(kseg_col "$ID" perms) in 1??? | 3???) return 0 ;; esac; return 1; }
check "kernel: the segment is marked for destruction (SHM_DEST)" kernel_dest
hend b || finish
freed() { [ -z "$(kseg_col "$ID" shmid)" ]; }
wait_until "the kernel to free shmid $ID" freed
# B's exit is logged as its detach and the destroy: wait for the destroy line.
destroyed() { [ -n "$(ev --shmid "$ID" --ns "$SELF_NS" --event destroy)" ]; }
wait_until "the destroy of $ID in the log" destroyed

WANT_LIFE="create $A
attach $A
attach $B
detach $A
rmid $A
detach $B
destroy $B"
check_eq "history: create, attaches, detaches, rmid, destroy in order, by whom" "$WANT_LIFE" hist "$ID"
destroy_cause() {
	sw --json history "$ID" --ns "$SELF_NS" | "$JSONX" . event cause |
		awk '$1 == "destroy" { print $2 }'
}
check_eq "history: the destroy says what freed it (exit)" exit destroy_cause
table_has() { # table_has PATTERN CMD...: CMD's table output has a line matching PATTERN
	_tp=$1
	shift
	"$@" | grep -q "$_tp"
}
check "history table names the segment" table_has "^shmid $ID: 7 events" sw history "$ID" --ns "$SELF_NS"

T_CREATE=$(t_of create "$A")
T_BATT=$(t_of attach "$B")
T_ADET=$(t_of detach "$A")
T_RMID=$(t_of rmid "$A")
T_DESTROY=$(t_of destroy "$B")
BEFORE=$(secs_of "$T_CREATE" | awk '{ printf "@%.6f\n", $1 - 0.5 }')
check_rc "who --at before the create: no such segment then (exit 1)" 1 \
	sw who "$ID" --ns "$SELF_NS" --at "$BEFORE"
check_eq "who --at B's attach: A and B hold it, status ok" "ok  : $A $B" at_who "$ID" "$T_BATT"
check_eq "who --at A's detach (before the rmid): B, status ok" "ok  : $B" at_who "$ID" "$T_ADET"
check_eq "who --at the rmid: B, status dest, removed by A" "dest $A : $B" at_who "$ID" "$T_RMID"
check_eq "who --at the destroy: gone, nobody" "gone $A :" at_who "$ID" "$T_DESTROY"
check_eq "who --at -0s (now): gone, nobody" "gone $A :" at_who "$ID" -0s
check "who --at table says where it comes from" table_has "from the event log" \
	sw who "$ID" --ns "$SELF_NS" --at "$T_BATT"
# As the live who: the caller's namespace without --ns; -o and -n as for the live table;
# a key names a live segment, so not with --at.
at_ns() { sw --json who "$ID" --at "$T_BATT" | "$JSONX" ns; }
check_eq "who --at without --ns: the caller's IPC namespace" "$SELF_NS" at_ns
at_pids() { sw who "$ID" --ns "$SELF_NS" --at "$T_BATT" -o PID -n | tr -d ' '; }
check_eq "who --at -o PID -n: the holders' pids alone" "$(printf '%s\n' "$A" "$B" | sort -n)" at_pids
check_rc "who --key --at: usage error (exit 2)" 2 sw who --key "$KEY" --at "$T_BATT"

# ---- 2. the filters ----
filters() {
	check_eq "$1events --shmid: the segment's 7 lines" "$WANT_LIFE" ev --shmid "$ID" --ns "$SELF_NS"
	check_eq "$1events --shmid --event attach: A then B" "attach $A
attach $B" ev --shmid "$ID" --event attach --ns "$SELF_NS"
	check_eq "$1events --key (hex) --event attach: A then B" "attach $A
attach $B" ev --key "$KEY" --event attach --ns "$SELF_NS"
	check_eq "$1events --key: all 7 lines (after the rmid, the kernel's key is 0)" "$WANT_LIFE" \
		ev --key "$KEY" --ns "$SELF_NS"
	check_eq "$1events --key (decimal) --event create: A" "create $A" \
		ev --key "$(printf '%d' "$KEY")" --event create --ns "$SELF_NS"
	check_eq "$1events --pid B --shmid: B's attach, detach and the destroy its exit caused" \
		"attach $B
detach $B
destroy $B" ev --pid "$B" --shmid "$ID"
	check_eq "$1events --event rmid --pid A: A's rmid" "rmid $A" ev --event rmid --pid "$A"
	check_eq "$1events --shmid --since the rmid: the rmid and after" "rmid $A
detach $B
destroy $B" ev --shmid "$ID" --ns "$SELF_NS" --since "$T_RMID"
	check_eq "$1events --shmid --until B's attach: up to it" "create $A
attach $A
attach $B" ev --shmid "$ID" --ns "$SELF_NS" --until "$T_BATT"
	check_eq "$1events --shmid --since B's attach --until A's detach" "attach $B
detach $A" ev --shmid "$ID" --ns "$SELF_NS" --since "$T_BATT" --until "$T_ADET"
	check_eq "$1events --shmid --since -1h (relative): all 7" "$WANT_LIFE" \
		ev --shmid "$ID" --ns "$SELF_NS" --since -1h
	check_eq "$1events --shmid --until before the create (@epoch): none" "" \
		ev --shmid "$ID" --ns "$SELF_NS" --until "$BEFORE"
}
filters ""
check_rc "events --since garbage: usage error (exit 2)" 2 sw events --since yesterday
check_rc "events --event nonsense: usage error (exit 2)" 2 sw events --event nonsense
check_rc "events --key 0xzz: usage error (exit 2)" 2 sw events --key 0xzz
check_rc "events -f with a filter: usage error (exit 2)" 2 sw events -f --shmid 1
check_rc "history of a shmid the log never saw: exit 1" 1 sw history 2147483647

# ---- 3. across a rotation into .gz ----
# L lives through the rotations, held by two processes: who --at now, replayed from a rotated
# file's checkpoint and the lines after it, must name what the kernel shows.
hold l create "$(new_key)" 4096 attach || finish
LID=$(hval l shmid)
L1=$(hpid l)
hold l2 use "$LID" attach || finish
L2=$(hpid l2)
expect_kernel "L held by two processes" "$LID" 2 "$L1 $L2"
hold s create "$(new_key)" 4096 attach storm 600 || finish
in_gz() {
	for _g in "$T"/events.jsonl.*.gz; do
		[ -f "$_g" ] && "$ZCAT" "$_g" | grep -q -F "\"shmid\":$ID,\"key\":$(printf '%d' "$KEY")," && return 0
	done
	return 1
}
wait_until "A's create line in a compressed rotated file" in_gz
indexed() { # every compressed file has its index
	for _g in "$T"/events.jsonl.*.gz; do [ -f "$_g.idx" ] || return 1; done
}
no_plain() { # no rotated file left uncompressed (the last one is compressed in the background)
	for _p in "$T"/events.jsonl.[0-9]*; do
		case $_p in *.gz | *.gz.idx) ;; *) [ -f "$_p" ] && return 1 ;; esac
	done
	return 0
}
check "every compressed rotated file has its index" poll "$SHMW_WAIT" indexed
check "no rotated file is left uncompressed" poll "$SHMW_WAIT" no_plain
check_eq "status: no rotated file failed to compress" 0 status_field log_compress_errors
check_eq "after rotation: history the same, read from .gz" "$WANT_LIFE" hist "$ID"
check_eq "after rotation: who --at B's attach the same" "ok  : $A $B" at_who "$ID" "$T_BATT"
check_eq "after rotation: who --at the rmid the same" "dest $A : $B" at_who "$ID" "$T_RMID"
filters "after rotation: "
l_now() { # holders of L now from the log, and whether a checkpoint was used
	_ln=$(sw --json who "$LID" --ns "$SELF_NS" --at -0s) || return 1
	echo "$(echo "$_ln" | "$JSONX" 'holders[]' pid | sort -n | tr '\n' ' ')$(echo "$_ln" | "$JSONX" read.checkpoint 2>/dev/null)"
}
L_WANT="$(printf '%s\n%s\n' "$L1" "$L2" | sort -n | tr '\n' ' ')true"
check_eq "who --at now of L, held through the rotations: the kernel's holders, from a checkpoint" \
	"$L_WANT" l_now
hend s || finish
hend l2 || finish
hend l || finish

# ---- 4. a user other than root and the admin group ----
printf '#!/bin/sh\nf=$2\nshift 2\nexec "%s" %s %s "%s" --ready "%s/nb/$(basename "$f")" "$@"\n' \
	"$SHMW_BUILD/tests/shmw-runas" "$NUID" "$NGID" "$SD/bin/$(basename "$HOLD")" "$SD" >"$SD/bin/nhold"
chmod 755 "$SD/bin/nhold"
: >"$SD/nb/n.out"
chown "$NUID:$NGID" "$SD/nb/n.out"
ln -sf "$SD/nb/n.out" "$T/n.out"
_saved=$HOLD
HOLD=$SD/bin/nhold
hold n create "$(new_key)" 4096 attach || finish
HOLD=$_saved
N=$(hpid n)
NID=$(hval n shmid)
hold r use "$NID" attach || finish # root holds the other user's segment too
R=$(hpid r)
expect_kernel "the other user and root hold its segment" "$NID" 2 "$N $R"
r_attached() { [ -n "$(ev --shmid "$NID" --pid "$R" --event attach)" ]; }
wait_until "r's attach in the log" r_attached
T_R=$(sw --json events --shmid "$NID" --pid "$R" --event attach | "$JSONX" . time | head -n 1)
nev() { # nev ARGS...: the other user's `--json ARGS` as "EVENT PID"
	as_lines nsw --json "$@"
}
check_eq "non-admin: history of its own segment shows only its own lines" "create $N
attach $N" nev history "$NID"
check_rc "non-admin: history of root's segment: no_such_segment (exit 1)" 1 nsw history "$ID"
check_eq "non-admin: events --shmid of root's segment: none" "" nev events --shmid "$ID"
check_eq "non-admin: events --pid of root's process: none" "" nev events --pid "$R"
check_eq "non-admin: events --shmid of its own segment: its own lines only" "create $N
attach $N" nev events --shmid "$NID"
at_holders() { # at_holders CLIENT: holder pids, then hidden_holders, of who --at T_R
	_ah=$("$1" --json who "$NID" --at "$T_R")
	echo "$(echo "$_ah" | "$JSONX" 'holders[]' pid | sort -n | tr '\n' ' ')/$(echo "$_ah" | "$JSONX" hidden_holders)"
}
check_eq "non-admin: who --at names its own holder, counts root's as hidden" "$N /1" at_holders nsw
check_eq "admin: who --at names both" "$N $R /0" at_holders sw
hend r || finish
hend n || finish
check "the daemon is still running" alive "$DPID"
finish
