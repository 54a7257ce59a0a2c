#!/bin/sh
# Metrics: `shmwatch metrics` (the `metrics` request) and --metrics-file print the Prometheus
# text exposition; it is well formed (checked by an awk validator), the file is rewritten every
# --metrics-interval, and the gauges follow the kernel: segments by status (active, dest), the
# lingering segments after --linger-after, the orphans after --orphan-after.
# docs/protocol.md does not name the metrics, so the families are found by TYPE and name: the
# gauge whose name has "segment" with a status="active" sample, the gauge with "linger", the
# gauge with "orphan". The names found are printed in the check names.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MF=$T/m.prom

# prom_check: problems of the exposition text on stdin, one a line (nothing when it is valid):
# every sample "name{labels} value [timestamp]", HELP and TYPE before a family's samples, each
# family's samples together, counters named *_total.
prom_check() {
	awk '
	BEGIN {
		label = "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
		labels = "^[{](" label "(," label ")*,?)?[}]"
		num = "([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?"
		value = "^ [-+]?(" num "|NaN|Inf)( -?[0-9]+)?$"
	}
	function err(m) { print "line " NR ": " m ": " $0; bad = 1 }
	function family(n) {
		if (n in type) return n
		if (n ~ /_(bucket|sum|count)$/) {
			b = n; sub(/_(bucket|sum|count)$/, "", b)
			if (b in type && type[b] ~ /histogram|summary/) return b
		}
		return n
	}
	/^# HELP / {
		if (NF < 3) err("HELP without a name")
		if ($3 in seen) err("HELP after samples of " $3)
		if ($3 in help) err("second HELP for " $3)
		help[$3] = 1; next
	}
	/^# TYPE / {
		if (NF != 4) err("TYPE wants a name and a type")
		if ($3 in seen) err("TYPE after samples of " $3)
		if ($3 in type) err("second TYPE for " $3)
		if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) err("unknown type " $4)
		if ($4 == "counter" && $3 !~ /_total$/) err("counter not named *_total")
		type[$3] = $4; next
	}
	/^#/ { next }
	/^$/ { next }
	{
		if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { err("bad metric name"); next }
		name = substr($0, 1, RLENGTH); rest = substr($0, RLENGTH + 1)
		if (substr(rest, 1, 1) == "{") {
			if (!match(rest, labels)) {
				err("bad label set"); next
			}
			rest = substr(rest, RLENGTH + 1)
		}
		if (rest !~ value)
			err("bad value")
		f = family(name)
		if (!(f in type)) err("sample without TYPE")
		if (!(f in help)) err("sample without HELP")
		if (f != last && (f in seen)) err("samples of " f " not together")
		seen[f] = 1; last = f; nsamples++
	}
	END { if (!nsamples && !bad) print "no samples at all" }'
}

# valid FILE: FILE is non-empty exposition text ending in a newline, without problems.
valid() {
	[ -s "$1" ] || {
		echo "empty"
		return 1
	}
	_pc=$(prom_check <"$1")
	[ -z "$_pc" ] || {
		echo "$_pc"
		return 1
	}
	[ "$(tail -c 1 "$1" | wc -l | tr -d ' ')" = 1 ] || {
		echo "no newline at the end"
		return 1
	}
}

# mtext: the exposition from `shmwatch metrics` into $T/m.txt.
mtext() {
	sw metrics >"$T/m.txt" 2>"$T/m.err"
}

# family_of FILE TYPE PATTERN [LABEL]: the first family of TYPE whose name matches PATTERN and
# has a sample containing LABEL.
family_of() {
	awk -v t="$2" -v p="$3" -v l="${4:-}" '
		$1 == "#" && $2 == "TYPE" && $4 == t && $3 ~ p { cand[$3] = 1; order[++n] = $3; next }
		/^#/ { next }
		{ nm = $0; sub(/[{ ].*/, "", nm); if ((nm in cand) && (l == "" || index($0, l))) ok[nm] = 1 }
		END { for (i = 1; i <= n; i++) if (order[i] in ok) { print order[i]; exit } }' "$1"
}

# mval FILE NAME [LABEL]: the sum of NAME's samples (with LABEL, e.g. status="dest").
mval() {
	awk -v nm="$2" -v l="${3:-}" '
		/^#/ { next }
		{ s = $0; sub(/[{ ].*/, "", s) }
		s == nm && (l == "" || index($0, l)) { v += $NF; n++ }
		END { if (n) printf "%d\n", v; else print "no-sample" }' "$1"
}

# Kernel counts over every visible namespace: active, dest, dest+held, active+unheld.
kcount() {
	"$ORACLE" all | awk -v w="$1" '{
		dest = (int(substr($5, 1, length($5) - 3)) % 2) == 1
		if (w == "active" && !dest) n++
		if (w == "dest" && dest) n++
		if (w == "dest-held" && dest && $4 > 0) n++
		if (w == "unheld" && !dest && $4 == 0) n++
	} END { print n + 0 }'
}

# from_client NAME [LABEL] / from_file NAME [LABEL]: a value now.
from_client() {
	mtext || {
		echo "shmwatch metrics failed: $(cat "$T/m.err")"
		return 1
	}
	mval "$T/m.txt" "$@"
}
from_file() {
	cat "$MF" >"$T/mf.txt" 2>/dev/null || {
		echo "no $MF"
		return 1
	}
	valid "$T/mf.txt" >/dev/null || {
		echo "invalid file: $(valid "$T/mf.txt")"
		return 1
	}
	mval "$T/mf.txt" "$@"
}
# same_as_kernel WHAT SOURCE NAME [LABEL]: SOURCE's value equals the kernel's count WHAT.
same_as_kernel() {
	_sk_w=$1
	shift
	_sk_got=$("$@")
	_sk_want=$(kcount "$_sk_w")
	[ "$_sk_got" = "$_sk_want" ]
}
# check_gauge NAME WHAT NAME [LABEL]: polls until both the client and the file equal the kernel.
check_gauge() {
	_cg=$1
	_cgw=$2
	shift 2
	for _src in from_client from_file; do
		if poll "$((SHMW_WAIT + 3))" same_as_kernel "$_cgw" "$_src" "$@"; then
			pass "$_cg ($_src)"
		else
			fail "$_cg ($_src)" "want the kernel's $_cgw count: $_sk_want" "got: $_sk_got"
		fi
	done
}

# number NAME VALUE: VALUE (a metric read for later comparison) is a number, else FAIL and end.
number() {
	case $2 in
	'' | *[!0-9]*)
		fail "$1 is not a number" "$2"
		finish
		;;
	esac
}

start_daemon --metrics-file "$MF" --metrics-interval 1 --linger-after 2 --orphan-after 2 ||
	finish

# The client command and the request.
if mtext; then
	pass "shmwatch metrics exits 0"
else
	fail "shmwatch metrics fails (exit $?)" "$(cat "$T/m.err")"
fi
check_eq "shmwatch metrics: valid exposition text" "" valid "$T/m.txt"
json_ok() { sw --json metrics | "$JSONX" ok; }
check_eq "shmwatch --json metrics: ok" true json_ok
json_valid() { sw --json metrics | "$JSONX" text >"$T/mj.txt" && valid "$T/mj.txt"; }
check_eq "shmwatch --json metrics: the text is valid exposition text" "" json_valid

# The file: there within a few intervals, valid, replaced as a whole.
if poll 5 test -s "$MF"; then
	pass "--metrics-file written"
else
	fail "--metrics-file $MF not written within 5 s" "$(tail -n 5 "$T/daemon.log")"
fi
cat "$MF" >"$T/mf.txt" 2>/dev/null
check_eq "--metrics-file: valid exposition text" "" valid "$T/mf.txt"

SRC=$T/m.txt
[ -s "$SRC" ] || SRC=$T/mf.txt
SEGS=$(family_of "$SRC" gauge segment 'status="active"')
LING=$(family_of "$SRC" gauge linger)
ORPH=$(family_of "$SRC" gauge orphan)
check "a gauge of segments by status (found: ${SEGS:-none})" test -n "$SEGS"
check "a gauge of lingering segments (found: ${LING:-none})" test -n "$LING"
check "a gauge of orphans (found: ${ORPH:-none})" test -n "$ORPH"
if [ -z "$SEGS$LING$ORPH" ]; then
	fail "no metrics to follow: stopping here" "$(head -n 20 "$SRC" 2>/dev/null)"
	finish
fi

# N segments: two attached, one not.
A0=$(from_file "$SEGS" 'status="active"')
number "active segments in the file (A0)" "$A0"
hold m create "$(new_key)" 8192 attach create "$(new_key)" 8192 attach create "$(new_key)" 4096 ||
	finish
ID1=$(awk '$2 == "shmid" { print $3; exit }' "$T/m.out")
M=$(hpid m)
expect_kernel "kernel: the first segment held" "$ID1" 1 "$M"
check_gauge "$SEGS{status=\"active\"} = the kernel's active segments" active "$SEGS" \
	'status="active"'
A1=$(from_file "$SEGS" 'status="active"')
number "active segments in the file (A1)" "$A1"
check "--metrics-file rewritten: active segments went from $A0 to $A1" test "$A0" != "$A1"

# Marked while attached: dest, but not lingering before --linger-after.
L0=$(from_client "$LING")
number "lingering segments (L0)" "$L0"
hold r use "$ID1" rmid || finish
L1=$(from_client "$LING")
number "lingering segments (L1)" "$L1"
check "$LING right after the rmid: not counted yet ($L0 before, $L1 after)" test "$L0" = "$L1"
dest() { "$ORACLE" seg "$1" | awk '{ exit !($3 ~ /^1/) }'; }
check "kernel: the first segment is dest" dest "$ID1"
check_gauge "$SEGS{status=\"dest\"} = the kernel's dest segments" dest "$SEGS" \
	'status="dest"'

# Lingering after --linger-after 2; the unattached one an orphan after --orphan-after 2.
check_gauge "$LING = the kernel's held dest segments (after --linger-after)" dest-held "$LING"
check_gauge "$ORPH = the kernel's unheld segments (after --orphan-after)" unheld "$ORPH"

# All gone: back to the kernel's counts.
hend m || finish
expect_kernel "kernel: the dest segment went with its holder" "$ID1" gone ""
check_gauge "$SEGS{status=\"dest\"} back to the kernel's count" dest "$SEGS" 'status="dest"'
check_gauge "$LING back to the kernel's count" dest-held "$LING"
finish
