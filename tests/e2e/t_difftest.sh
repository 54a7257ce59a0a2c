#!/bin/sh
# Nothing is skipped and no check is expected to fail: every comparison below is strict.
#
# The differential random tester (issue #12). shmw-difftest runs random programs of System V
# shared memory operations (shmget, shmat in all its forms, shmdt, IPC_RMID, SHM_LOCK, IPC_SET,
# fork, vfork, posix_spawn, clone(CLONE_VM), threads, exec, exit, unshare and setns of IPC
# namespaces, mremap, mprotect, munmap, mmap(MAP_FIXED), madvise, mlock: its header lists them)
# in about SHMW_DIFFTEST_PROCS (50) processes at a time, thousands over the run, in our IPC
# namespace, SHMW_DIFFTEST_NAMESPACES (3) kept ones and those its workers make, for
# SHMW_DIFFTEST_SECONDS (20), then stops every process where it is. Then, for the segments it
# made (in our namespace, those it names; in its own namespaces, all), polled until they hold
# or SHMW_DIFFTEST_WAIT (15) seconds pass:
#  - who: for every such segment the kernel has, `who --json` equals the kernel (holders by
#    pid, VMAs each, which share an address space, nattch, key, size, perms, status);
#  - ps: for each of its processes, `ps --json` lists what the kernel shows it maps;
#  - ls: its rows of `ls --json` are the kernel's, and there are none for a segment the kernel
#    no longer has or a namespace that no longer exists;
#  - lingering (the daemon runs with --linger-after 1): exactly its segments marked for
#    destruction that are still held, with their holders;
#  - replaying the event log (shmw-replay) gives the holders who gives;
#  - the log's lifecycle lines follow the kernel's rules (shmw-lifecheck: create before any
#    holder line, rmid again only while held, destroy only at the rmid of an unheld segment or
#    the last release after it, or when shm_rmid_forced or the namespace's death says so,
#    nothing after it) and the segments alive in it are the kernel's;
#  - verify finds no difference about them; who and the replay still agree after it.
# Then the tester ends (its namespaces go with it): its segments leave ls and are destroyed in
# the log.
#
# Every mismatch is printed with both sides and the seed. SHMW_DIFFTEST_SEED=N runs the same
# programs again; the interleaving differs (and so does what follows the first difference).
# `make stress` runs it for 10 minutes (STRESS_DIFFTEST_SECONDS); under a sanitizer build the
# defaults are 10 s and 30 processes. Operations can be chosen (SHMW_DIFFTEST_OPS=create,attach,...
# or SHMW_DIFFTEST_NO_OPS=...: the names of the stats line) to find which ones a mismatch needs;
# the calls made are in difftest.trace (SHMW_DIFFTEST_TRACE=0: none).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

DIFFTEST=$SHMW_BUILD/tests/shmw-difftest
LIFECHECK=$SHMW_BUILD/tests/shmw-lifecheck
for _b in "$DIFFTEST" "$LIFECHECK"; do
	if [ ! -x "$_b" ]; then
		fail "missing binary $_b (build it first: make all tests-bin)"
		exit 1
	fi
done
# A sanitizer build (build-san) runs several times slower: less of it by default there.
if grep -q __asan_init "$SHMWATCHD" 2>/dev/null; then
	SECS=${SHMW_DIFFTEST_SECONDS:-10}
	PROCS=${SHMW_DIFFTEST_PROCS:-30}
else
	SECS=${SHMW_DIFFTEST_SECONDS:-20}
	PROCS=${SHMW_DIFFTEST_PROCS:-50}
fi
NSPACES=${SHMW_DIFFTEST_NAMESPACES:-3}
SEED=${SHMW_DIFFTEST_SEED:-0}
DWAIT=${SHMW_DIFFTEST_WAIT:-15}
# After the first look: the processes are still; what did not settle in DWAIT will not.
DWAIT2=$(((DWAIT + 2) / 3))
OUT=$T/difftest.out

# dfail NAME DETAIL...: a failure, with the seed that replays the run.
dfail() {
	_dfn=$1
	shift
	fail "$_dfn (seed $SEED: SHMW_DIFFTEST_SEED=$SEED replays the programs)" "$@"
}

# Never rotate the log: the replay and the lifecycle check read all of it. The daemon sees every
# process on the host, and on a busy one (other tests' load, 2 cores) its default ring (2 MiB)
# overflowed: a larger one, as a deployment under such load would use (docs/design.md, limits).
start_daemon --log-max-bytes 0 --linger-after 1 --ring-size 33554432 || finish

# The calls made, one a line (difftest.trace), to tie a mismatch to the calls behind it.
TRACE=
[ "${SHMW_DIFFTEST_TRACE:-1}" = 1 ] && TRACE="--trace $T/difftest.trace"
SAVED_HOLD=$HOLD
SAVED_WAIT=$SHMW_WAIT
HOLD=$DIFFTEST
SHMW_WAIT=$((SECS + 120))
# shellcheck disable=SC2086 # the operations, if any, are one word each
hold difftest --pids "$T/difftest.pids" --seconds "$SECS" --procs "$PROCS" \
	--namespaces "$NSPACES" --seed "$SEED" $TRACE ${SHMW_DIFFTEST_OPS:+--ops $SHMW_DIFFTEST_OPS} \
	${SHMW_DIFFTEST_NO_OPS:+--no-ops $SHMW_DIFFTEST_NO_OPS}
RUN_OK=$?
HOLD=$SAVED_HOLD
SHMW_WAIT=$SAVED_WAIT
SEED=$(hval difftest seed)
echo "NOTE $TEST_NAME: seed $SEED (SHMW_DIFFTEST_SEED=$SEED replays the programs)"
[ "$RUN_OK" = 0 ] || finish

# ---- what the tester made ------------------------------------------------------------------------

# flat LIST...: the words of newline-separated lists, on one line.
flat() {
	echo "$*" | tr '\n' ' '
}
dt_lines() { # dt_lines WORD: the tester's "SUP WORD ..." lines
	awk -v w="$1" '$2 == w' "$OUT"
}
OURNS=$(dt_lines ns | awk '$4 != "root" { print $3 }' | sort -un)
FORCED=$({
	dt_lines ns | awk '$5 == 1 { print $3 }'
	dt_lines nsforced | awk '{ print $3 }'
} | sort -un)
# A namespace made twice by inode died at least once (inodes are reused).
REUSED=$(dt_lines ns | awk '$4 == "new" { n[$3]++ } END { for (i in n) if (n[i] > 1) print i }')
# Our segments in our namespace: "SHMID CPID" (the namespace is shared: ids are recycled).
dt_lines shmid | awk -v ns="$SELF_NS" '$4 == ns { print $3, $7 }' | sort -un >"$T/rootsegs"
PIDS=$(cat "$T/difftest.pids")
NSEGS=$(dt_lines shmid | wc -l | tr -d ' ')
echo "NOTE $TEST_NAME: $(dt_lines procs | cut -d' ' -f3) processes, $(echo "$OURNS" | wc -w | tr -d ' ') namespaces of its own ($(echo "$FORCED" | wc -w | tr -d ' ') with shm_rmid_forced=1), $NSEGS segments, $(echo "$PIDS" | wc -w | tr -d ' ') processes parked"
echo "NOTE $TEST_NAME: calls made/failed:$(dt_lines stats | cut -d' ' -f3-)"

# Non-vacuous: every kind of operation happened, in hundreds of processes.
every_op() {
	dt_lines stats | tr ' ' '\n' | awk -F'[=/]' 'NF == 3 && $2 == 0 { print $1; bad = 1 }
		END { exit bad }'
}
check "the tester made every kind of call at least once with success" every_op
check "the tester ran hundreds of processes" test "$(dt_lines procs | cut -d' ' -f3)" -ge 100

# ns_of_proc PID: the IPC namespace of PID, through a thread when its main thread has exited.
ns_of_proc() {
	ns_of "$1" 2>/dev/null && return 0
	for _t in /proc/"$1"/task/*; do
		_nl=$(readlink "$_t/ns/ipc" 2>/dev/null) || continue
		_nl=${_nl#ipc:\[}
		echo "${_nl%\]}"
		return 0
	done
	return 1
}
# Our live namespaces: those our processes are in (a namespace of ours that lives has one: the
# tester's processes never leave the namespaces its workers make).
LIVE=$(for p in $PIDS; do ns_of_proc "$p"; done | sort -un |
	awk -v ours=" $(flat "$OURNS") " 'index(ours, " " $1 " ")')

# ---- the kernel --------------------------------------------------------------------------------

# k_dump: the kernel's view of our segments into $T/k.dump (shmw-oracle dump: "ns", "seg",
# "map" lines), keeping of our namespace only the segments we made (same creator); sets GONE (our
# namespaces that no longer exist) and FOREIGN (inodes of ours now another's namespace). Those in
# OTHERS (note_others) are in neither.
k_dump() {
	# Which of the ids we made in our namespace are ours still, or another's segment now.
	: >"$T/rootlive"
	: >"$T/rootforeign"
	awk -v rs="$T/rootsegs" 'FILENAME == rs { cpid[$1] = $2; next }
		FNR > 1 && ($2 in cpid) { print $2 >(cpid[$2] == $5 ? live : foreign) }' \
		live="$T/rootlive" foreign="$T/rootforeign" "$T/rootsegs" /proc/sysvipc/shm
	# shellcheck disable=SC2046
	"$ORACLE" dump $(for n in $LIVE; do printf ' --ns %s' "$n"; done) \
		$(awk -v ns="$SELF_NS" '{ printf " --seg %s:%s", ns, $1 }' "$T/rootlive") \
		>"$T/k.raw" 2>"$T/k.err"
	_kdrc=$?
	awk -v self="$SELF_NS" -v rs="$T/rootsegs" 'FILENAME == rs { cpid[$1] = $2; next }
		$1 == "seg" && $2 == self && cpid[$3] != $8 { drop[$3] = 1; next }
		($1 == "map") && $2 == self && ($3 in drop) { next }
		{ print }' "$T/rootsegs" "$T/k.raw" >"$T/k.dump"
	_vis=" $(awk '$1 == "ns" { printf "%s ", $2 }' "$T/k.dump")"
	GONE=$(for n in $OURNS; do case "$_vis $OTHERS " in *" $n "*) ;; *) echo "$n" ;; esac done)
	FOREIGN=$(for n in $OURNS; do
		case " $(flat "$LIVE") " in *" $n "*) continue ;; esac
		case $_vis in *" $n "*) echo "$n" ;; esac
	done)
	awk '$1 == "seg" { print $2, $3 }' "$T/k.dump" >"$T/ksegs"
	[ "$_kdrc" = 0 ]
}

# note_others: adds to OTHERS our namespaces that are gone and whose inode the log shows another's
# process in (inodes are reused): not ours to judge, from then on nor before (the log does not
# say when). k_dump leaves them out of GONE. Reads the log: called before each look at it.
OTHERS=
note_others() {
	[ -n "$GONE" ] || return 0
	# shellcheck disable=SC2046
	_no=$(grep -h -F $(for n in $GONE; do printf ' -e "ns":%s,' "$n"; done) $(log_files) |
		"$JSONX" . ns comm 2>/dev/null | awk '$2 != "shmw-difftest" && $2 != "" && $2 != "<none>" {
		print $1 }' | sort -u)
	[ -n "$_no" ] || return 0
	OTHERS=$(flat "$OTHERS" "$_no")
	k_dump
}

# ours_awk [FIELD]: keeps the lines on stdin whose fields 1 and 2 are a segment of ours: in a
# namespace of ours (live or gone; not one whose inode another's namespace has now), or made by
# us in ours: an id we made that no other segment has now, with our creator in FIELD if given.
ours_awk() {
	awk -v self="$SELF_NS" -v nss=" $(flat "$LIVE" "$GONE") " -v cpidf="${1:-0}" \
		-v rs="$T/rootsegs" -v rf="$T/rootforeign" '
		FILENAME == rs { cpid[$1] = $2; next }
		FILENAME == rf { foreign[$1] = 1; next }
		index(nss, " " $1 " ") { print; next }
		$1 == self && ($2 in cpid) && !($2 in foreign) &&
			(cpidf == 0 || cpid[$2] == $cpidf) { print }' "$T/rootsegs" "$T/rootforeign" -
}

# ---- the two sides, as blocks of text ---------------------------------------------------------------
# A block is a "== NAME" line and the lines after it; blocks_diff compares two files of blocks.

# same_file A B: the two files hold the same text.
same_file() {
	[ "$(cat "$1")" = "$(cat "$2")" ]
}

# blocks_diff LEFT LFILE RIGHT RFILE: prints each block that differs (both sides; at most 12)
# and how many differ; exit 1 if any does.
blocks_diff() {
	{
		echo "@@ 1"
		cat "$2"
		echo "@@ 2"
		cat "$4"
	} | awk -v l="$1" -v r="$3" '
	function show(s) { if (s == "") return "      (nothing)\n"; gsub(/\n/, "\n      ", s)
		return "      " substr(s, 1, length(s) - 6) }
	$1 == "@@" { side = $2; next }
	/^== / { name = substr($0, 4); if (!(name in seen)) { seen[name] = 1; order[++n] = name }
		next }
	{ text[side, name] = text[side, name] $0 "\n" }
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]
			if (text[1, k] == text[2, k]) continue
			if (++bad <= 12) printf "%s\n    %s:\n%s    %s:\n%s", k, l, show(text[1, k]), r,
				show(text[2, k])
		}
		if (bad) printf "%d of %d differ\n", bad, n
		exit bad > 0
	}'
}

# k_who: the kernel's who of each of our segments (k.dump), as _k_who writes it.
k_who() {
	awk "$_CANON_AWK"'
	$1 == "seg" { k = $2 " " $3; print k, 0, 0, "== who " k; print k, 0, 1, "rc=0"
		split(kseg($4, $5, $6, $7), a, "\n"); print k, 0, 2, a[1]; print k, 0, 3, a[2] }
	$1 == "map" { print $2, $3, 1, $4, holder($4, $5, $6) }' "$T/k.dump" |
		sort -k1,1n -k2,2n -k3,3n -k4,4n | cut -d' ' -f5-
}

# d_who: the same from `who --json` for each segment the kernel has; also "NS SHMID PID VMAS"
# rows of its holders in $T/dwho.rows (for the replay).
d_who() {
	: >"$T/dw.json"
	: >"$T/dw.ids"
	: >"$T/dwho.rows"
	while read -r _ns _id; do
		_o=$(sw --json who "$_id" --ns "$_ns" 2>/dev/null)
		_rc=$?
		[ -n "$_o" ] || _o='{"ok":false}'
		echo "$_o" >>"$T/dw.json"
		echo "$_rc $_ns $_id" >>"$T/dw.ids"
	done <"$T/ksegs"
	"$JSONX" . key key_now nattch size perms status 'len(holders)' <"$T/dw.json" >"$T/dw.segs"
	"$JSONX" 'holders[]' pid vmas mm <"$T/dw.json" >"$T/dw.holders"
	awk "$_CANON_AWK"'
	FILENAME ~ /dw.ids$/ { rc[FNR] = $1; k[FNR] = $2 " " $3; next }
	FILENAME ~ /dw.segs$/ { seg[FNR] = $0; n = FNR; next }
	{ hl[++nh] = $0 }
	END {
		h = 0
		for (i = 1; i <= n; i++) {
			print k[i], 0, 0, "== who " k[i]
			split(seg[i], f, " ")
			if (rc[i] != 0) {
				print k[i], 0, 1, (rc[i] == 1 ? "rc=1 (no such segment)" : "rc=" rc[i])
				continue
			}
			print k[i], 0, 1, "rc=0"
			print k[i], 0, 2, dseg(f[1], f[2], f[3], f[4], f[5], f[6])
			m = f[7] + 0
			for (j = 1; j <= m; j++) {
				split(hl[h + j], x, " ")
				# insertion by pid
				for (p = j; p > 1 && pid[p - 1] + 0 > x[1] + 0; p--) {
					pid[p] = pid[p - 1]; vm[p] = vm[p - 1]; mm[p] = mm[p - 1]
				}
				pid[p] = x[1]; vm[p] = x[2]; mm[p] = x[3]
			}
			h += m
			c = split(dholders(m, pid, vm, mm), lines, "\n")
			print k[i], 0, 3, lines[1]
			for (j = 2; j <= c; j++) {
				split(lines[j], x, " ")
				print k[i], 1, x[2], lines[j]
			}
			for (j = 1; j <= m; j++) {
				print k[i] " " pid[j] " " vm[j] >rows
				delete pid[j]
			}
		}
	}' rows="$T/dwho.rows" "$T/dw.ids" "$T/dw.segs" "$T/dw.holders" |
		sort -k1,1n -k2,2n -k3,3n -k4,4n | cut -d' ' -f5-
}

# k_ps / d_ps: what each of our processes maps, as _k_ps and _d_ps write it.
k_ps() {
	for _p in $PIDS; do
		echo "$_p 0 0 0 == ps $_p"
		if [ -d "/proc/$_p" ]; then
			echo "$_p 0 0 1 rc=0"
		else
			echo "$_p 0 0 1 rc=1 (no such process)"
		fi
	done
	awk "$_CANON_AWK"'$1 == "map" { print $4, 1, $2, $3, psrow($2, $3, $5) }' "$T/k.dump"
}
d_ps() {
	: >"$T/dp.json"
	for _p in $PIDS; do
		_o=$(sw --json ps "$_p" 2>/dev/null)
		[ -n "$_o" ] || _o='{"ok":false}'
		echo "$_o" >>"$T/dp.json"
	done
	"$JSONX" . ok code 'len(segments)' <"$T/dp.json" >"$T/dp.segs"
	"$JSONX" 'segments[]' ns shmid vmas <"$T/dp.json" >"$T/dp.rows"
	echo "$PIDS" >"$T/dp.pids"
	awk "$_CANON_AWK"'
	FILENAME ~ /dp.pids$/ { pid[++n] = $1; next }
	FILENAME ~ /dp.segs$/ { ok[FNR] = $1; code[FNR] = $2; len[FNR] = $3; next }
	{ row[++nr] = $0 }
	END {
		r = 0
		for (i = 1; i <= n; i++) {
			print pid[i], 0, 0, 0, "== ps " pid[i]
			print pid[i], 0, 0, 1, (ok[i] == "true" ? "rc=0" : code[i] == "no_such_process" ?
				"rc=1 (no such process)" : "error " code[i])
			for (j = 1; j <= len[i] + 0; j++) {
				split(row[r + j], x, " ")
				print pid[i], 1, x[1], x[2], psrow(x[1], x[2], x[3])
			}
			r += len[i]
		}
	}' "$T/dp.pids" "$T/dp.segs" "$T/dp.rows"
}
ps_sorted() {
	"$@" | sort -k1,1n -k2,2n -k3,3n -k4,4n | cut -d' ' -f5-
}

# k_ls / d_ls: our rows of ls, as _k_ls and _d_ls write them, one block each.
k_ls() {
	awk "$_CANON_AWK"'$1 == "map" { n[$2 " " $3]++ }
	$1 == "seg" { s[++ns] = $0 }
	END { for (i = 1; i <= ns; i++) { split(s[i], f, " ")
		print "== ls " f[2] " " f[3]; print kls(f[2], f[3], f[4], f[5], f[6], f[7],
		n[f[2] " " f[3]] + 0) } }' "$T/k.dump"
}
d_ls() {
	sw --json ls -A | "$JSONX" 'segments[]' ns shmid cpid key key_now nattch perms size status \
		holders | ours_awk 3 | awk "$_CANON_AWK"'{ print "== ls " $1 " " $2
		print dls($1, $2, $4, $5, $6, $7, $8, $9, $10) }'
}

# k_linger / d_linger: our segments marked for destruction and still held, with their holders.
k_linger() {
	awk '$1 == "map" { h[$2 " " $3] = h[$2 " " $3] " " $4 }
	$1 == "seg" && (int(substr($6, 1, length($6) - 3)) % 2) == 1 && $5 > 0 { s[++n] = $2 " " $3 }
	END { for (i = 1; i <= n; i++) print s[i] h[s[i]] }' "$T/k.dump" | sort -k1,1n -k2,2n | linger_blocks
}
d_linger() {
	sw --json lingering >"$T/dl.json"
	"$JSONX" 'segments[]' ns shmid 'len(holders)' <"$T/dl.json" >"$T/dl.segs"
	"$JSONX" 'segments[].holders[]' pid <"$T/dl.json" >"$T/dl.pids"
	awk 'FILENAME ~ /dl.segs$/ { s[FNR] = $0; n = FNR; next } { p[++np] = $1 }
	END { k = 0; for (i = 1; i <= n; i++) { split(s[i], f, " "); line = f[1] " " f[2]
		for (j = 1; j <= f[3]; j++) line = line " " p[k + j]; k += f[3]; print line } }' \
		"$T/dl.segs" "$T/dl.pids" | ours_awk | sort -k1,1n -k2,2n | linger_blocks
}
linger_blocks() { # "NS SHMID PID..." -> a block each, pids sorted
	while read -r _ns _id _rest; do
		echo "== lingering $_ns $_id"
		echo "holders $(echo "$_rest" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ *$//')"
	done
}

# r_who / r_replay: holders "PID VMAS" per segment, from who (d_who's rows) and from the log.
rows_blocks() {
	sort -k1,1n -k2,2n -k3,3n | awk '{ k = $1 " " $2; if (k != last) print "== holders " k
		last = k; print $3, $4 }'
}
r_replay() {
	# shellcheck disable=SC2046
	"$REPLAY" --with-ns $(log_files) 2>&1 | ours_awk | rows_blocks
}

# ---- at quiescence -------------------------------------------------------------------------------

# One look at both sides; 0 when who, ps, ls and lingering all agree.
look() {
	k_dump
	k_who >"$T/k.who"
	d_who >"$T/d.who"
	ps_sorted k_ps >"$T/k.ps"
	ps_sorted d_ps >"$T/d.ps"
	k_ls | awk '/^== / { k = $0; next } { print k "\t" $0 }' | sort | tr '\t' '\n' >"$T/k.ls"
	d_ls | awk '/^== / { k = $0; next } { print k "\t" $0 }' | sort | tr '\t' '\n' >"$T/d.ls"
	k_linger >"$T/k.linger"
	d_linger >"$T/d.linger"
	same_file "$T/k.who" "$T/d.who" && same_file "$T/k.ps" "$T/d.ps" &&
		same_file "$T/k.ls" "$T/d.ls" && same_file "$T/k.linger" "$T/d.linger"
}

# compare NAME WHAT: reports one comparison of the last look.
compare() {
	if _cd=$(blocks_diff kernel "$T/k.$2" shmwatch "$T/d.$2"); then
		pass "$1"
	else
		dfail "$1" "$_cd"
	fi
}

poll "$DWAIT" look
if ! k_dump; then
	dfail "kernel: the oracle attributes every mapping of our segments" "$(cat "$T/k.err")"
fi
echo "NOTE $TEST_NAME: at quiescence: $(wc -l <"$T/ksegs" | tr -d ' ') of its segments in the kernel, $(grep -c '^map' "$T/k.dump") holdings, $(echo "$LIVE" | wc -w | tr -d ' ') of its namespaces live, $(echo "$GONE" | wc -w | tr -d ' ') gone, $(echo "$FOREIGN" | wc -w | tr -d ' ') reused by others (seen so far), $(echo "$OTHERS" | wc -w | tr -d ' ') more found reused in the log"
check "kernel: its processes hold its segments at quiescence" test "$(grep -c '^map' "$T/k.dump")" -ge 20
MINNS=$((NSPACES + 1))
[ "$MINNS" -gt 3 ] && MINNS=3
check "kernel: its segments are in $MINNS namespaces or more" \
	test "$(awk '$1 == "seg" { print $2 }' "$T/k.dump" | sort -u | wc -l)" -ge "$MINNS"
compare "who equals the kernel for each of its segments" who
compare "ps equals the kernel for each of its processes" ps
compare "ls has exactly the kernel's rows of its segments" ls
compare "lingering lists exactly its dest segments still held, with their holders" linger

same_replay() {
	note_others
	rows_blocks <"$T/dwho.rows" >"$T/r.who"
	r_replay >"$T/r.replay"
	same_file "$T/r.who" "$T/r.replay"
}
check_replay_all() { # check_replay_all NAME
	d_who >/dev/null
	if poll "$DWAIT2" same_replay; then
		pass "$1"
	else
		dfail "$1" "$(blocks_diff who "$T/r.who" replay "$T/r.replay")"
	fi
}
check_replay_all "replaying the log gives who's holders of its segments"

# A record lost (ring full) is a line the log never has: a create, a destroy, a detach. The
# resync that follows repairs who, ps and ls (checked above), not the log's story of each life:
# the lifecycle checks below then fail, and this says why.
LOST=$(status_field events_lost)
check "the daemon lost no events (events_lost ${LOST:-unknown}: lost records leave the log's lifecycle lines incomplete)" \
	test "${LOST:-x}" = 0

# The lifecycle lines, with what the kernel has now for the end of each story.
lifecheck() { # lifecheck [--final]: runs shmw-lifecheck on the whole log
	_lcns=$(echo "$LIVE $GONE" | tr ' ' '\n' | sed '/^$/d')
	_died=$(echo "$REUSED $GONE" | tr ' ' '\n' | sed '/^$/d')
	[ "${1:-}" = --final ] && _died=$_lcns
	# shellcheck disable=SC2046
	"$LIFECHECK" $(for n in $_lcns; do printf ' --ns %s' "$n"; done) \
		$(awk -v ns="$SELF_NS" -v rf="$T/rootforeign" 'FILENAME == rf { f[$1] = 1; next }
			!($1 in f) { printf " --seg %s:%s", ns, $1 }' "$T/rootforeign" "$T/rootsegs") \
		$(for n in $FORCED; do printf ' --forced %s' "$n"; done) \
		$(for n in $_died; do printf ' --died %s' "$n"; done) \
		$(for n in $LIVE; do printf ' --alive %s' "$n"; done) \
		$(for n in $GONE; do printf ' --gone %s' "$n"; done) \
		--kernel "$T/k.dump" $(log_files) >"$T/lifecheck.out" 2>"$T/lifecheck.err"
}
life_ok() {
	k_dump
	note_others
	lifecheck "$@"
}
if poll "$DWAIT2" life_ok; then
	pass "the log's lifecycle lines of its segments follow the kernel's rules and end as the kernel"
else
	dfail "the log's lifecycle lines of its segments follow the kernel's rules and end as the kernel" \
		"$(cat "$T/lifecheck.err")" "$(head -n 40 "$T/lifecheck.out")" \
		"($(grep -c . "$T/lifecheck.out") lines in $T/lifecheck.out)"
fi
echo "NOTE $TEST_NAME: $(cat "$T/lifecheck.err")"
echo "NOTE $TEST_NAME: status $(status_field events events_lost resyncs rescans map_full overflows | awk '{
	printf "events=%s events_lost=%s resyncs=%s rescans=%s map_full=%s overflows=%s", $1, $2, $3, $4, $5, $6 }')"

verify_mine "after the run" "$(awk -v ns="$SELF_NS" -v rf="$T/rootforeign" 'FILENAME == rf {
	f[$1] = 1; next } !($1 in f) { printf "%s:%s ", ns, $1 }' "$T/rootforeign" "$T/rootsegs")" \
	"$(flat "$PIDS")" "$(flat "$LIVE" "$GONE")"
poll "$DWAIT2" look
compare "who equals the kernel after verify" who
check_replay_all "the replay still gives who's holders after verify"

# ---- the end ---------------------------------------------------------------------------------------

hend difftest || finish
gone_all() {
	for _p in $PIDS; do
		alive "$_p" && return 1
	done
	return 0
}
wait_until "the tester's processes to exit" gone_all
# Its namespaces die with their last process (an inode of ours seen after that is another's).
LIVE=
ours_gone() {
	k_dump
	[ -z "$FOREIGN" ]
}
poll "$DWAIT" ours_gone
# With its processes gone, no namespace of ours lives (one whose inode is seen again is
# another's), and ls must have none of its segments.
end_clean() {
	k_dump
	note_others
	d_ls >"$T/d.ls.end"
	[ ! -s "$T/d.ls.end" ]
}
if poll "$DWAIT" end_clean; then
	pass "after the tester: ls has none of its segments"
else
	dfail "after the tester: ls has none of its segments" \
		"still listed:" "$(head -n 30 "$T/d.ls.end")"
fi
if poll "$DWAIT2" life_ok --final; then
	pass "after the tester: the log destroyed each of its segments, by the rules"
else
	dfail "after the tester: the log destroyed each of its segments, by the rules" \
		"$(cat "$T/lifecheck.err")" "$(head -n 40 "$T/lifecheck.out")"
fi
finish
