#!/bin/sh
# Text that another user chose never reaches the daemon's lines for people raw: as uid 65534
# (through setpriv), a process whose name, executable path and command line hold a newline,
# ESC sequences, CR and bytes that are not UTF-8 holds a segment it removed. Then:
#  - its linger alert on stderr is one line, with the name escaped (\n, \x1b, \r) as the client's
#    tables show it, and its HOLDER_COMM= field escaped the same way;
#  - every line of the daemon's stderr is valid UTF-8 without control bytes (shmw-text check),
#    start-up lines too: the event log path given here has ESC, a newline and byte 0xff;
#  - `shmwatch who` and `shmwatch lingering` (tables, as root) show the same escapes and nothing
#    raw; the event log stays JSON with every byte valid UTF-8.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

NUID=65534
TEXT=$SHMW_BUILD/tests/shmw-text
if ! command -v setpriv >/dev/null 2>&1; then
	skip "setpriv (util-linux) is needed to run as another user"
	exit 0
fi
[ -x "$TEXT" ] || {
	fail "missing binary $TEXT (build it first: make all tests-bin)"
	exit 1
}

ESC=$(printf '\033')
SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-esc.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir -m 777 "$SD/nb"
mkdir -m 755 "$SD/bin"
# The other user's program: shmw-hold under a name with ESC and a newline in it.
WEIRD_EXE="$SD/bin/h${ESC}[31m
x"
cp "$HOLD" "$WEIRD_EXE"
chmod 755 "$WEIRD_EXE"
# comm (15 bytes at most): newline, a clear-screen sequence, CR, byte 0xff, then x.
NAME=$(printf '\n\033[2J\r\377x')
# The progress file is kept in $T for reap (the other user's directory goes first).
# shellcheck disable=SC2154 # _es_rc is set by the trap itself
trap '_es_rc=$?; rm -f "$T/w.out"; cp "$SD/nb/w.out" "$T/" 2>/dev/null; rm -rf "$SD"; (exit $_es_rc); _cleanup' EXIT

# The event log path: ESC, a newline and 0xff (start-up lines name it).
LOG="$T/ev${ESC}[1m
$(printf '\377').jsonl"
"$SHMWATCHD" --socket "$T/sock" --log-file "$LOG" --linger-after 1 --realert 0 \
	>"$T/daemon.log" 2>&1 &
await_daemon "$!" || finish
check "setup: the event log exists under its odd name" test -s "$LOG"
ready_line_escaped() {
	grep -F 'ready: ' "$T/daemon.log" | grep -q -F 'ev\x1b[1m\n\xff.jsonl'
}
check_poll "start-up line: the log path with its ESC, newline and 0xff escaped" 5 ready_line_escaped

: >"$SD/nb/w.out"
chmod 666 "$SD/nb/w.out"
ln -s "$SD/nb/w.out" "$T/w.out"
(as_user_exec "$NUID" "$NUID" "$WEIRD_EXE" --ready "$SD/nb/w.out" name "$NAME" create private \
	4096 attach rmid) >"$T/w.log" 2>&1 &
echo "$!" >>"$T/pids"
wait_until "the other user's holder" grep -q ' rmid ' "$SD/nb/w.out" || finish
ID=$(hval w shmid)
W=$(awk '$2 == "start" { print $1; exit }' "$SD/nb/w.out")
check_eq "setup: the holder runs as $NUID" "$NUID" sh -c "awk '/^Uid:/ { print \$2 }' /proc/$W/status"
comm_raw() { od -An -c "/proc/$W/comm" | tr -s ' ' | sed 's/^ //'; }
check_eq "setup: its comm has the newline, ESC, CR and 0xff" '\n 033 [ 2 J \r 377 x \n' comm_raw
expect_kernel "kernel: the segment is held by it" "$ID" 1 "$W"

# In the JSON the invalid byte is U+FFFD already; the alert line comes from there.
FFFD=$(printf '\357\277\275')
WANT_COMM="\\n\\x1b[2J\\r${FFFD}x"
linger_lines() { grep -F "shmid $ID (" "$T/daemon.log" | grep -F 'marked for removal'; }
has_linger() { [ -n "$(linger_lines)" ]; }
check_poll "the linger alert is on stderr" 10 has_linger
check_eq "the linger alert is one line, from the shmid to its last field" 1 sh -c \
	"grep -F 'shmid $ID (' '$T/daemon.log' | grep -F 'marked for removal' | grep -c -F DEST_FOR_S="
check "the alert line names the holder with its name escaped" sh -c \
	"grep -F 'shmid $ID (' '$T/daemon.log' | grep -q -F 'pid $W ($WANT_COMM, user '"
check "its HOLDER_COMM field is escaped the same way" sh -c \
	"grep -F 'shmid $ID (' '$T/daemon.log' | grep -q -F 'HOLDER_COMM=$WANT_COMM'"
no_line_starts_with_payload() { ! grep -q -e '^\[2J' -e "^${ESC}" "$T/daemon.log"; }
check "no line of stderr starts with what followed the newline" no_line_starts_with_payload
check "every line on stderr is safe text (shmw-text check)" "$TEXT" check "$T/daemon.log"

# The client's tables escape the same way.
sw who "$ID" >"$T/who.txt" 2>&1
check "who table (as root): the comm escaped as in the alert" grep -q -F "$WANT_COMM" "$T/who.txt"
check "who table: safe text" "$TEXT" check "$T/who.txt"
sw lingering >"$T/lingering.txt" 2>&1
check "lingering table: the command line's ESC escaped" grep -q -F '\x1b[2J' "$T/lingering.txt"
check "lingering table: safe text" "$TEXT" check "$T/lingering.txt"
check "the event log: every line valid UTF-8 without control bytes" "$TEXT" check "$LOG"
check "the event log's linger event is JSON" sh -c \
	"grep -F '\"event\":\"linger\"' '$LOG' | '$JSONX' . event | grep -qx linger"
finish
