#!/bin/sh
# What another user may do with shmwatchd, with a real unprivileged user (uid/gid 65534, no
# supplementary groups, no capabilities, through setpriv):
#  - the socket is 0666 in a root-owned directory nobody else can write; the event log is 0640;
#  - the daemon keeps only CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_IPC_OWNER (effective, permitted
#    and bounding sets exactly 0x288000), no ambient or inheritable ones, and has no_new_privs;
#  - as that user: `who` of a segment root holds shows no holder and counts them in
#    hidden_holders; `who` of the user's own segment names the user's process (and hides root's);
#    `ps` of a root process is refused ("forbidden", exit 4), of its own process answered;
#    `events` (recent and followed) carries only the user's own events; `verify` is refused;
#    `lingering` hides root's holders and root's remover;
#  - with --admin-group set to a (temporary) group the user is in, the user sees everything, and
#    without that group, under the same daemon, still only its own.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

NUID=65534
NGID=65534
if ! command -v setpriv >/dev/null 2>&1; then
	skip "setpriv (util-linux) is needed to run as another user"
	exit 0
fi

# A directory the other user can reach: the socket's parent (made by the daemon) and the
# other user's progress files. $T itself (tests/run.sh's scratch dir) is root's alone.
SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-sec.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir "$SD/nb" "$SD/bin"
# The socket's directory: the daemon makes only its default one (/run/shmwatch).
mkdir -m 755 "$SD/run"
chown "$NUID:$NGID" "$SD/nb"
# Copies of the binaries the other user runs (the build tree may be in a private home).
cp "$SHMWATCH" "$HOLD" "$SD/bin/"
chmod 755 "$SD/bin" "$SD/bin/"*
NSW=$SD/bin/$(basename "$SHMWATCH")
NHOLD_REAL=$SD/bin/$(basename "$HOLD")
SOCK=$SD/run/sock
ADMIN_GROUP=

_sec_cleanup() {
	if [ -n "$ADMIN_GROUP" ]; then
		groupdel "$ADMIN_GROUP" 2>/dev/null || echo "t_security: groupdel $ADMIN_GROUP failed" >&2
	fi
	rm -rf "$SD"
}
# shellcheck disable=SC2154 # _sec_rc is set by the trap itself
trap '_sec_rc=$?; _sec_cleanup; (exit $_sec_rc); _cleanup' EXIT

# This scenario's daemon listens on $SOCK.
sw() {
	"$SHMWATCH" --socket "$SOCK" "$@"
}

# nsw ARGS...: the client as the other user (GROUPS: supplementary groups, default none).
nsw() {
	if [ -n "${NGROUPS:-}" ]; then
		as_user "$NUID" "$NGID" --groups "$NGROUPS" "$NSW" --socket "$SOCK" "$@"
	else
		as_user "$NUID" "$NGID" "$NSW" --socket "$SOCK" "$@"
	fi
}

# The ring of recent events (events -n) is shared with every workload on the host: a large one
# keeps this scenario's events in it while it runs.
start_daemon_sec() {
	"$SHMWATCHD" --socket "$SOCK" --log-file "$T/events.jsonl" --recent 100000 "$@" >"$T/daemon.log" 2>&1 &
	await_daemon "$!" || return 1
}

# nhold NAME OP...: `hold` as the other user (progress file in $SD/nb, linked from $T).
# shellcheck disable=SC2016 # $2, $f, $@: for the wrapper script
printf '#!/bin/sh\nf=$2\nshift 2\nexec setpriv --reuid=%s --regid=%s --clear-groups --inh-caps=-all --bounding-set=-all -- "%s" --ready "%s/nb/$(basename "$f")" "$@"\n' \
	"$NUID" "$NGID" "$NHOLD_REAL" "$SD" >"$SD/bin/nhold"
chmod 755 "$SD/bin/nhold"
nhold() {
	: >"$SD/nb/$1.out"
	chown "$NUID:$NGID" "$SD/nb/$1.out"
	ln -sf "$SD/nb/$1.out" "$T/$1.out"
	_nh_saved=$HOLD
	HOLD=$SD/bin/nhold
	hold "$@"
	_nh_rc=$?
	HOLD=$_nh_saved
	return "$_nh_rc"
}

# json_field JSON PATH...: fields of a JSON text.
json_field() {
	_jf=$1
	shift
	echo "$_jf" | "$JSONX" . "$@"
}

# --linger-after 1: a removed, held segment is listed by `lingering` a second later.
start_daemon_sec --linger-after 1 || finish

# ---- the socket, the log, the daemon's privileges ----------------------------------------------
check_eq "socket mode 0666, owned by root" "666 0 0" stat -c '%a %u %g' "$SOCK"
check_eq "socket directory: root's, mode 0755" "755 0 0" stat -c '%a %u %g' "$SD/run"
no_write() { ! as_user "$NUID" "$NGID" sh -c ": >'$SD/run/x'" 2>/dev/null; }
check "the other user cannot create files next to the socket" no_write
check_eq "event log mode 0640 (not world-readable)" "640" stat -c '%a' "$T/events.jsonl"
no_read_log() { ! as_user "$NUID" "$NGID" sh -c "cat '$T/events.jsonl'" >/dev/null 2>&1; }
check "the other user cannot read the event log" no_read_log

capf() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$DPID/status"; }
for f in CapEff CapPrm CapBnd; do
	check_eq "daemon $f is exactly CAP_SYS_ADMIN|CAP_SYS_PTRACE|CAP_IPC_OWNER" \
		0000000000288000 capf "$f"
done
check_eq "daemon CapAmb is empty" 0000000000000000 capf CapAmb
check_eq "daemon CapInh is empty" 0000000000000000 capf CapInh
check_eq "daemon NoNewPrivs is 1" 1 capf NoNewPrivs
# Bits: 1 DAC_OVERRIDE, 12 NET_ADMIN, 16 SYS_MODULE, 38 PERFMON, 39 BPF, 21 SYS_ADMIN (kept).
no_dangerous_caps() {
	for _f in CapEff CapPrm CapBnd; do
		_v=$(capf "$_f")
		for _bit in 1 12 16 38 39; do
			[ $((0x$_v >> _bit & 1)) = 0 ] || return 1
		done
	done
}
check "daemon has none of CAP_DAC_OVERRIDE, CAP_NET_ADMIN, CAP_SYS_MODULE, CAP_PERFMON, CAP_BPF" \
	no_dangerous_caps

# ---- what the other user sees ------------------------------------------------------------------
hold r create "$(new_key)" 8192 attach fork || finish
RID=$(hval r shmid)
R=$(hpid r)
RC=$(hval r child)
nhold n create "$(new_key)" 8192 attach || finish
NID=$(hval n shmid)
N=$(hpid n)
check_eq "the other user's holder runs as $NUID" "$NUID" sh -c "awk '/^Uid:/ { print \$2 }' /proc/$N/status"
hold ra use "$NID" attach || finish # root holds the other user's segment too
RA=$(hpid ra)
expect_kernel "kernel: root's segment held by two root processes" "$RID" 2 "$R $RC"
expect_kernel "kernel: the other user's segment held by it and by root" "$NID" 2 "$N $RA"
check_who "who (as root) of root's segment" "$RID"
check_who "who (as root) of the other user's segment" "$NID"

nwho() { nsw --json who "$1" | "$JSONX" . 'len(holders)' hidden_holders; }
check_eq "as the other user: who of root's segment has no holder, 2 hidden" "0 2" nwho "$RID"
nwho_pids() { nsw --json who "$1" | "$JSONX" 'holders[]' pid uid | sort -n | tr '\n' ' '; }
check_eq "as the other user: who of its own segment names its process only" "$N $NUID " \
	nwho_pids "$NID"
check_eq "as the other user: who of its own segment hides root's holder" "1 1" nwho "$NID"
# (The client must answer: a failed request would name no one either.)
no_root_pid_in_table() {
	_nt=$(nsw who "$RID" 2>&1) || return 1
	[ -n "$_nt" ] && ! echo "$_nt" | grep -qw -e "$R" -e "$RC"
}
check "as the other user: the who table does not name root's processes" no_root_pid_in_table

check_rc "as the other user: ps of root's holder exits 4" 4 nsw ps "$R"
nps_code() { nsw --json ps "$1" 2>/dev/null | "$JSONX" code; }
check_eq "as the other user: ps of root's holder answers code forbidden" forbidden nps_code "$R"
check_eq "as the other user: ps of a root process holding nothing is forbidden too" forbidden \
	nps_code "$$"
nps_own() { nsw --json ps "$N" | "$JSONX" 'segments[]' shmid | tr '\n' ' '; }
check_eq "as the other user: ps of its own holder lists its segment" "$NID " nps_own
check_rc "as the other user: ps of its own holder exits 0" 0 nsw ps "$N"

check_rc "as the other user: verify exits 4" 4 nsw verify
nverify_code() { nsw --json verify 2>/dev/null | "$JSONX" code; }
check_eq "as the other user: verify answers code forbidden" forbidden nverify_code

# events: recent ones are the user's only; so are followed ones.
nsw --json events -f -n 0 >"$T/nfollow.out" 2>"$T/nfollow.err" &
NF=$!
echo "$NF" >>"$T/pids"
hold r2 use "$RID" attach || finish # a root event while the user follows
nhold n2 use "$NID" attach || finish # and one of the user's
N2=$(hpid n2)
check_log "log: root's new holder" attach shmat "$(hpid r2)" "$RID"
check_log "log: the other user's new holder" attach shmat "$N2" "$NID"
followed_own() { grep -q "\"pid\": \?${N2}[,}]" "$T/nfollow.out"; }
check_poll "as the other user: events -f streams its own attach" 5 followed_own
only_own() { # FILE: every event line has uid $NUID (and there is at least one)
	[ -s "$1" ] && "$JSONX" . uid <"$1" | awk -v u="$NUID" '$1 != u { bad = 1 } END { exit bad }'
}
check "as the other user: events -f streamed only its own events" only_own "$T/nfollow.out"
kill "$NF" 2>/dev/null
wait "$NF" 2>/dev/null
# (The recent-events ring is shared by everyone: another workload's events soon push out ours.)
nsw --json events -n 10000 >"$T/nevents.out" 2>&1
has_own_attach() { "$JSONX" . event pid <"$T/nevents.out" | grep -q "^attach $N2\$"; }
check "as the other user: events -n lists its own latest attach" has_own_attach
check "as the other user: events -n lists only its own events" only_own "$T/nevents.out"
no_root_in_events() { ! grep -q -e "\"pid\": \?${R}[,}]" -e "\"pid\": \?${RA}[,}]" "$T/nevents.out"; }
check "as the other user: no event of root's holders, even on its own segment" no_root_in_events

# lingering: root removes its segment while holding it.
hold rl create "$(new_key)" 8192 attach rmid || finish
LID=$(hval rl shmid)
rl_listed() { sw --json lingering | "$JSONX" 'segments[]' shmid | grep -qx "$LID"; }
if poll "$SHMW_WAIT" rl_listed; then
	nlinger() {
		nsw --json lingering >"$T/nlinger.json" || return 1
		"$JSONX" 'segments[]' shmid 'len(holders)' hidden_holders <"$T/nlinger.json" |
			awk -v s="$LID" '$1 == s { print $2, $3 }'
	}
	check_eq "as the other user: lingering hides root's holder" "0 1" nlinger
	check_eq "as root: lingering names the holder" "1 <none>" sh -c "$SHMWATCH --socket '$SOCK' --json lingering |
		'$JSONX' 'segments[]' shmid 'len(holders)' hidden_holders | awk '\$1 == $LID { print \$2, \$3 }'"
	# shmwatchd --help: "other users see only their own processes (others are counted, not
	# named)"; the remover is root's process too.
	no_remover() { ! "$JSONX" 'segments[]' shmid rmid_pid <"$T/nlinger.json" | grep -qx "$LID $(hpid rl)"; }
	check "as the other user: lingering does not name root's process that removed the segment" \
		no_remover
else
	fail "lingering (as root) lists the removed, held segment $LID within ${SHMW_WAIT}s"
fi

# ---- --admin-group -----------------------------------------------------------------------------
if command -v groupadd >/dev/null 2>&1 && command -v getent >/dev/null 2>&1; then
	ADMIN_GROUP=shmwt$$
	if groupadd "$ADMIN_GROUP"; then
		AGID=$(getent group "$ADMIN_GROUP" | cut -d: -f3)
		stop_daemon
		start_daemon_sec --admin-group "$ADMIN_GROUP" || finish
		R2=$(hpid r2)
		check_eq "admin group: the other user without the group still sees 0 of root's holders" \
			"0 3" nwho "$RID"
		NGROUPS=$AGID
		# shellcheck disable=SC2046
		check_eq "admin group: as a member, who of root's segment names every holder" \
			"$(printf '%s 0 ' $(echo "$R $RC $R2" | tr ' ' '\n' | sort -n))" nwho_pids "$RID"
		check_eq "admin group: as a member, nothing hidden" "3 <none>" nwho "$RID"
		check_rc "admin group: as a member, ps of root's holder exits 0" 0 nsw ps "$R"
		member_verify() {
			nsw verify >/dev/null 2>&1
			_mv=$?
			[ "$_mv" = 0 ] || [ "$_mv" = 5 ]
		}
		check "admin group: as a member, verify is allowed (exit 0 or 5)" member_verify
		hold r3 use "$RID" attach || finish
		R3=$(hpid r3)
		check_log "log: root's holder under the admin-group daemon" attach shmat "$R3" "$RID"
		sees_root_event() { nsw --json events -n 10000 | grep -q "\"pid\": \?${R3}[,}]"; }
		check_poll "admin group: as a member, events lists root's events" 5 sees_root_event
		NGROUPS=
		# (The request must succeed: a refused one shows no event either. The user's own events
		# may have left the recent ring under a foreign load, so an empty answer is fine.)
		not_root_event() {
			_ne=$(nsw --json events -n 10000 2>&1) || return 1
			! echo "$_ne" | grep -q "\"pid\": \?${R3}[,}]"
		}
		check "admin group: without the group, root's events stay hidden" not_root_event
	else
		ADMIN_GROUP=
		skip "groupadd failed: the --admin-group checks need a temporary group"
	fi
else
	skip "groupadd/getent missing: the --admin-group checks need a temporary group"
fi
finish
