#!/bin/sh
# The orphan alert (--orphan-after 1): a segment never attached, and one attached then detached,
# each get one `orphan` event once nobody has held them for a second, with the kernel's cpid and
# lpid; `shmwatch orphans` lists them until someone attaches again. Segments that are held, or
# marked for destruction, are never orphans.
# The kernel keeps shm_ctime and shm_dtime in whole seconds, so the segments are created (and
# detached) 900 ms into a second: an alert timed from those seconds would come 0.1 s after the
# fact instead of 1 s. The held segment is created 500 ms into a second and attached 400 ms
# later: a daemon that learns of the attach late would call it an orphan.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

AFTER=1
start_daemon --orphan-after "$AFTER" || finish

# Unheld for 0.4 s after its creation, then held; held and marked: never orphans.
hold b name keeper at-ms 500 create "$(new_key)" 8192 at-ms 900 attach || finish
T_B=$(now_cs)
IDB=$(hval b shmid)
B=$(hpid b)
hold d create "$(new_key)" 8192 attach rmid || finish
IDD=$(hval d shmid)
D=$(hpid d)
expect_kernel "kernel: held segment" "$IDB" 1 "$B"
expect_kernel "kernel: held, marked segment" "$IDD" 1 "$D"

# Never attached.
KA=$(new_key)
hold a name orphmaker at-ms 900 create "$KA" 4096 || finish
IDA=$(hval a shmid)
A=$(hpid a)
expect_kernel "kernel: never attached" "$IDA" 0 ""
# Attached, then detached.
hold c name detacher create "$(new_key)" 12288 attach pause at-ms 900 detach || finish
IDC=$(hval c shmid)
C=$(hpid c)
hcont c || finish
expect_kernel "kernel: detached" "$IDC" 0 ""
check_log "log: detach by shmdt" detach shmdt "$C" "$IDC"

if poll "$(scaled 8)" ev_has orphan "$IDA"; then
	pass "log: orphan event for the never-attached segment"
else
	fail "log: no orphan event for $IDA within $(scaled 8) s" "$(log_mine "$IDA")"
fi
if poll "$(scaled 8)" ev_has orphan "$IDC"; then
	pass "log: orphan event for the detached segment"
else
	fail "log: no orphan event for $IDC within $(scaled 8) s" "$(log_mine "$IDC")"
fi

# Fields: the kernel's cpid/lpid (/proc/sysvipc/shm columns), the owner, the creator's comm.
check_eq "orphan (never attached): cpid, lpid as the kernel has them" \
	"$(kseg_col "$IDA" cpid) $(kseg_col "$IDA" lpid)" ev_field orphan "$IDA" "" cpid lpid
check_eq "orphan (never attached): cpid is the creator, lpid 0" "$A 0" \
	ev_field orphan "$IDA" "" cpid lpid
check_eq "orphan (never attached): segment, owner, perms, creator_comm" \
	"$(printf '%d' "$KA") 4096 $(ev_field create "$IDA" "" generation) 0 $(user_of 0) 0640 orphmaker" \
	ev_field orphan "$IDA" "" key size generation uid user perms creator_comm
check_eq "orphan (detached): cpid, lpid as the kernel has them" \
	"$(kseg_col "$IDC" cpid) $(kseg_col "$IDC" lpid)" ev_field orphan "$IDC" "" cpid lpid
check_eq "orphan (detached): cpid and lpid are the detacher" "$C $C" \
	ev_field orphan "$IDC" "" cpid lpid
# lpid 0 is no pid: the kernel's attach and detach times say the segment was never attached.
check_eq "orphan (never attached): never_attached true" true ev_field orphan "$IDA" "" never_attached
msg_has() { grep -F "shmid $1 " "$T/daemon.log" | grep -q -F "$2"; }
check "orphan (never attached): the message says so, not 'pid 0'" msg_has "$IDA" \
	"(created by pid $A, never attached)"
check "orphan (detached): the message names the last user" msg_has "$IDC" \
	"(created by pid $C, last used by pid $C)"
no_pid0() { ! grep -q 'last used by pid 0)' "$T/daemon.log"; }
check "no orphan message says 'last used by pid 0'" no_pid0
check_eq "orphan (detached): creator_comm" detacher ev_field orphan "$IDC" "" creator_comm
for id in $IDA $IDC; do
	check "orphan $id: unheld_for_s >= $AFTER" \
		num_in "$(ev_field orphan "$id" "" unheld_for_s)" "$AFTER" 60
	U=$(secs_between "$(ev_field orphan "$id" "" unheld_since)" "$(ev_field orphan "$id" "" time)")
	check "orphan $id: time - unheld_since >= $AFTER s (got $U)" num_in "$U" "$AFTER" 60
done
# Not early: a full --orphan-after after the create / the detach, as the log itself says; and
# within 3 s more on a quiet machine (scaled by the load factor).
OMAX=$(upper "$AFTER" 3)
TA=$(secs_between "$(ev_field create "$IDA" "" time)" "$(ev_field orphan "$IDA" "" time)")
check "orphan (never attached) $AFTER..$OMAX s after its create (got $TA s)" \
	num_in "$TA" "$AFTER" "$OMAX"
detach_time() {
	log_mine "$IDC" | "$JSONX" . event cause pid shmid time |
		awk -v p="$C" -v s="$IDC" '$1 == "detach" && $3 == p && $4 == s { print $5; exit }'
}
TC=$(secs_between "$(detach_time)" "$(ev_field orphan "$IDC" "" time)")
check "orphan (detached) $AFTER..$OMAX s after the shmdt (got $TC s)" \
	num_in "$TC" "$AFTER" "$OMAX"

# shmwatch orphans lists both, and only those of ours.
orphan_rows() {
	_oj=$(sw_ok orphans) || {
		echo "$_oj"
		return 1
	}
	echo "$_oj" | "$JSONX" 'segments[]' ns shmid cpid lpid | awk -v n="$SELF_NS" \
		-v ids=" $IDA $IDB $IDC $IDD " '$1 == n && index(ids, " " $2 " ") { print $2, $3, $4 }' |
		sort -n | tr '\n' ' ' | sed 's/ $//'
}
want_rows() { # want_rows ID...: the rows orphan_rows should print
	for _w in "$@"; do echo "$_w $(kseg_col "$_w" cpid) $(kseg_col "$_w" lpid)"; done |
		sort -n | tr '\n' ' ' | sed 's/ $//'
}
check_eq "shmwatch orphans: the two, with the kernel's cpid and lpid" \
	"$(want_rows "$IDA" "$IDC")" orphan_rows

# Held and marked segments: no orphan even once the orphan clock has run out for them (strictly:
# --orphan-after after the held one was created) and a whole reconcile pass came after.
old_enough() { [ "$(now_cs)" -ge $((T_B + AFTER * 100)) ]; }
wait_until "--orphan-after ($AFTER s) to pass since the held segment was created" old_enough
wait_reconciles 2
check_eq "log: no orphan for the held segment" 0 ev_count orphan "$IDB"
check_eq "log: no orphan for the held, marked segment" 0 ev_count orphan "$IDD"
one_each() { echo "$(ev_count orphan "$IDA") $(ev_count orphan "$IDC")"; }
check_eq "log: one orphan each (no repeats)" "1 1" one_each

# Attaching again: no longer an orphan.
hold c2 use "$IDC" attach || finish
expect_kernel "kernel: attached again" "$IDC" 1 "$(hpid c2)"
check_eq "shmwatch orphans: attached again, only the never-attached one is left" \
	"$(want_rows "$IDA")" orphan_rows

# Marked for destruction while nobody holds it: gone at once, and off the list.
hold rm use "$IDA" rmid || finish
expect_kernel "kernel: the orphan removed" "$IDA" gone ""
check_eq "shmwatch orphans: empty of ours" "" orphan_rows
finish
