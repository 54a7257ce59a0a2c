#!/bin/sh
# Metrics: `shmwatch metrics` (the `metrics` request) and --metrics-file print the Prometheus
# text exposition; it is well formed (checked by an awk validator), the file is rewritten every
# --metrics-interval, and the gauges (segments by status, lingering segments, orphans) equal the
# daemon's own lists of those (ls, lingering, orphans), in which this scenario's segments are as
# the kernel has them: active, dest after IPC_RMID, lingering after --linger-after, an orphan
# after --orphan-after. The gauges count the whole host, which other workloads change at any
# time: they are compared with lists read just before and after them, never with a count of
# what this scenario made.
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

# The gauges count every segment on the host, and other workloads (containers, other daemons'
# tests) change those counts at any time: what this scenario can check is that each gauge equals
# the daemon's own list of the same things (ls by status, lingering, orphans), and, apart, that
# its own segments are in those lists as the kernel says (check_ls, listed).
# n_ls STATUS / n_list CMD: how many segments of that status `ls` lists / CMD lists.
n_ls() {
	_nl=$(sw_ok ls -A) || return 1
	# (grep -c exits 1 when it counts 0: a count of none is an answer too)
	echo "$_nl" | "$JSONX" 'segments[]' status | { grep -c "^$1\$" || :; }
}
n_list() {
	_nl=$(sw_ok "$1") || return 1
	echo "$_nl" | "$JSONX" 'len(segments)'
}
# same_as_list SOURCE NAME LABEL COUNT...: SOURCE's value of NAME{LABEL} equals COUNT's output,
# both read twice in a row alike (nothing changed in between).
same_as_list() {
	_sl_src=$1
	_sl_nm=$2
	_sl_lb=$3
	shift 3
	_sl_got="(not read: $* failed)"
	_sl_want=$("$@") || return 1
	_sl_got=$("$_sl_src" "$_sl_nm" "$_sl_lb")
	[ "$_sl_got" = "$_sl_want" ] && [ "$("$@")" = "$_sl_want" ]
}
# check_gauge NAME GAUGE LABEL COUNT...: polls until the client's GAUGE{LABEL} equals what COUNT
# says (read before and after it: nothing changed in between); then the file: a rewrite of it
# (a new inode) after one read of the client and before another that agrees must have their value.
# inode: the file's inode (a rewrite renames a new file over it).
inode() { stat -c %i "$MF" 2>/dev/null; }
_inode_not() { [ "$(inode)" != "$1" ]; }
_file_bracket() {
	# The daemon answers and rewrites the file in one thread: a file renamed after v0 was answered
	# (its inode read after v0) was computed after v0 too.
	_fb_v0=$(from_client "$1" "$2")
	_fb_i=$(inode)
	poll "$(scaled 3)" _inode_not "$_fb_i" || return 1
	_fb_vf=$(from_file "$1" "$2")
	_fb_v1=$(from_client "$1" "$2")
	[ "$_fb_v0" = "$_fb_v1" ]
}
check_gauge() {
	_cg=$1
	_cgn=$2
	_cgl=$3
	shift 3
	if poll "$(scaled $((SHMW_WAIT + 3)))" same_as_list from_client "$_cgn" "$_cgl" "$@"; then
		pass "$_cg (shmwatch metrics)"
	else
		fail "$_cg (shmwatch metrics)" "want what $* says: $_sl_want" "got: $_sl_got"
	fi
	if ! poll "$(scaled $((SHMW_WAIT + 3)))" _file_bracket "$_cgn" "$_cgl"; then
		fail "$_cg (--metrics-file): no rewrite of the file between two equal client reads" \
			"last: client $_fb_v0, file $_fb_vf, client $_fb_v1"
	elif [ "$_fb_vf" = "$_fb_v0" ]; then
		pass "$_cg (--metrics-file, as the client said before and after its rewrite)"
	else
		fail "$_cg (--metrics-file)" "the client said $_fb_v0 before and after" \
			"the file rewritten in between says $_fb_vf"
	fi
}
# listed CMD SHMID: CMD's list (ls, lingering, orphans) has SHMID of our namespace.
listed() {
	_li=$(sw_ok "$1") || return 1
	echo "$_li" | "$JSONX" 'segments[]' ns shmid | grep -qx "$SELF_NS $2"
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

# The file: there within a few intervals, valid, replaced as a whole every interval (a rename:
# a new inode each time).
if poll "$(scaled 5)" test -s "$MF"; then
	pass "--metrics-file written"
else
	fail "--metrics-file $MF not written within $(scaled 5) s" "$(tail -n 5 "$T/daemon.log")"
fi
cat "$MF" >"$T/mf.txt" 2>/dev/null
check_eq "--metrics-file: valid exposition text" "" valid "$T/mf.txt"
check "--metrics-file replaced within 2 intervals (--metrics-interval 1)" \
	poll "$(scaled 2)" _inode_not "$(inode)"

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

# Three segments of ours: two attached, one not.
hold m create "$(new_key)" 8192 attach create "$(new_key)" 8192 attach create "$(new_key)" 4096 ||
	finish
ID1=$(awk '$2 == "shmid" { print $3; exit }' "$T/m.out")
ID3=$(hval m shmid)
M=$(hpid m)
expect_kernel "kernel: the first segment held" "$ID1" 1 "$M"
expect_kernel "kernel: the third segment not held" "$ID3" 0 ""
check_ls "ls: our three segments"
check_gauge "$SEGS{status=\"active\"} = the active segments ls lists" "$SEGS" 'status="active"' \
	n_ls active

# Marked while attached: dest, but not lingering before --linger-after (2 s: strictly).
T_RMID=$(now_cs)
hold r use "$ID1" rmid || finish
if listed lingering "$ID1"; then
	fail "lingering lists $ID1 right after its rmid (--linger-after 2)" "$(sw lingering 2>&1)"
elif [ $(($(now_cs) - T_RMID)) -lt 200 ]; then
	pass "lingering does not list $ID1 right after its rmid"
else
	fail "lingering right after the rmid: the check came $(($(now_cs) - T_RMID))0 ms after it"
fi
dest() { "$ORACLE" seg "$1" | awk '{ exit !($3 ~ /^1/) }'; }
check "kernel: the first segment is dest" dest "$ID1"
check_eq "ls: the first segment is dest" dest who_field "$ID1" status
check_gauge "$SEGS{status=\"dest\"} = the dest segments ls lists" "$SEGS" 'status="dest"' \
	n_ls dest

# Lingering after --linger-after 2; the unattached one an orphan after --orphan-after 2.
check "lingering lists the first segment after --linger-after" \
	poll "$(scaled $((SHMW_WAIT + 2)))" listed lingering "$ID1"
check_gauge "$LING = the segments lingering lists" "$LING" "" n_list lingering
check "orphans lists the unattached segment after --orphan-after" \
	poll "$(scaled $((SHMW_WAIT + 2)))" listed orphans "$ID3"
check_gauge "$ORPH = the segments orphans lists" "$ORPH" "" n_list orphans

# All gone: off the lists, and the gauges still equal them.
hend m || finish
expect_kernel "kernel: the dest segment went with its holder" "$ID1" gone ""
not_listed() { ! listed "$@" && sw_ok "$1" >/dev/null; }
check "lingering no longer lists the first segment" poll "$SHMW_WAIT" not_listed lingering "$ID1"
check_ls "ls after the holder's exit"
check_gauge "$SEGS{status=\"dest\"} = the dest segments ls lists, after" "$SEGS" \
	'status="dest"' n_ls dest
check_gauge "$LING = the segments lingering lists, after" "$LING" "" n_list lingering
finish
