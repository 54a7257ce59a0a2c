#!/bin/sh
# Segment lifecycle events: create (cause seed for a segment older than the daemon, shmget with
# the creator otherwise), rmid, destroy (cause rmid when nobody held it, shmdt when the last
# holder of a marked segment detaches); IPC_SET (which sets shm_ctime) keeps the segment. In
# private IPC namespaces (the host's sysctls are never touched): a shmid reused by a new segment
# is a new segment (another generation, active, no rmid state carried over), and with
# kernel.shm_rmid_forced the last detach destroys a segment that was never marked.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A segment that exists before the daemon starts: create, cause seed, creator from the kernel.
K0=$(new_key)
hold seed name seeder create "$K0" 8192 || finish
ID0=$(hval seed shmid)
S0=$(hpid seed)
expect_kernel "kernel: an unattached segment before the daemon" "$ID0" 0 ""
start_daemon --linger-after 1 || finish
check_eq "log: create cause seed, creator = the kernel's cpid" \
	"seed $(kseg_col "$ID0" cpid) 0 $(user_of 0) 0640 $(printf '%d' "$K0") 8192" \
	ev_field create "$ID0" "" cause pid uid user perms key size
check_eq "log: seed create names the creator, alive, by its name" "seeder" \
	ev_field create "$ID0" "" comm
check_eq "log: seed generation = the kernel's shm_ctime (whole seconds, in ns)" \
	"$(kseg_col "$ID0" ctime)000000000" ev_field create "$ID0" "" generation
check_eq "log: the creator pid is the seeding process" "$S0" ev_field create "$ID0" "" pid

# shmget: create names the creator; IPC_RMID of an unattached segment destroys it at once.
K1=$(new_key)
hold c name maker create "$K1" 8192 pause rmid || finish
ID1=$(hval c shmid)
C=$(hpid c)
check_eq "log: create cause shmget by the creator" \
	"shmget $C maker 0 $(user_of 0) 0640 $(printf '%d' "$K1") 8192" \
	ev_field create "$ID1" "" cause pid comm uid user perms key size
# made_in GEN CTIME: generation GEN (ns) is a moment after shm_ctime CTIME (the kernel's coarse
# seconds): in that second or the next.
made_in() {
	awk -v g="$1" -v c="$2" 'BEGIN { s = int(g / 1000000000); exit !(g ~ /^[0-9]+$/ && (s == c || s == c + 1)) }'
}
check "log: create generation = when it was made, in ns (shm_ctime's second)" \
	made_in "$(ev_field create "$ID1" "" generation)" "$(kseg_col "$ID1" ctime)"
hcont c || finish
expect_kernel "kernel: IPC_RMID of an unattached segment destroys it" "$ID1" gone ""
check_eq "log: rmid by the creator, no holders" "shmctl $C maker 0" \
	ev_field rmid "$ID1" "" cause pid comm holders
check_eq "log: destroy cause rmid, by the remover" "rmid $C maker" \
	ev_field destroy "$ID1" "" cause pid comm
check "log: destroy has lived_s" num_in "$(ev_field destroy "$ID1" "" lived_s)" 0 60
check_eq "log: create, rmid, destroy in order" "create rmid destroy" life "$ID1"

# The last shmdt of a marked segment destroys it: cause shmdt, that pid.
K2=$(new_key)
hold d name lastone create "$K2" 12288 attach pause rmid pause detach || finish
ID2=$(hval d shmid)
D=$(hpid d)
hold e use "$ID2" attach || finish
E=$(hpid e)
expect_kernel "kernel: two holders" "$ID2" 2 "$D $E"
hcont d || finish
check_eq "log: rmid with 2 holders" "$D 2" ev_field rmid "$ID2" "" pid holders
hend e || finish
expect_kernel "kernel: the marked segment has one holder left" "$ID2" 1 "$D"
check_who "who: the last holder of the marked segment" "$ID2"
check_eq "log: no destroy while a holder is left" 0 ev_count destroy "$ID2"
hcont d || finish
expect_kernel "kernel: destroyed by the last shmdt" "$ID2" gone ""
check_log "log: destroy by shmdt of the last holder" destroy shmdt "$D" "$ID2"
check_eq "log: destroy names it" "shmdt lastone 0 $(user_of 0)" \
	ev_field destroy "$ID2" "" cause comm uid user
# --linger-after 1: it was held for a while after the rmid, so a linger may be among these.
life_core() { life "$@" | sed 's/ linger_end//; s/ linger//g'; }
check_eq "log: create, rmid, destroy in order" "create rmid destroy" life_core "$ID2"

# shmctl(IPC_SET) (a chmod) makes the kernel set shm_ctime anew, so the generation the segment was
# created with no longer matches shm_ctime: it is still the same segment, not a destroy and a
# create.
K3=$(new_key)
hold s name chmodder create "$K3" 8192 attach pause set-mode 0600 || finish
ID3=$(hval s shmid)
S3=$(hpid s)
check "log: create of the segment to chmod" poll "$SHMW_WAIT" ev_has create "$ID3"
G3=$(kseg_col "$ID3" ctime)
# IPC_SET in a later second of the kernel's own clock (shm_ctime's: coarse, behind `date`).
wait_kernel_second_after "$G3" || finish
hcont s || finish
check "kernel: IPC_SET set shm_ctime anew (was $G3, now $(kseg_col "$ID3" ctime))" \
	test "$(kseg_col "$ID3" ctime)" -gt "$G3"
expect_kernel "kernel: still held after IPC_SET" "$ID3" 1 "$S3"
check_eq "who: perms 0600 after IPC_SET" 0600 who_field "$ID3" perms
# A whole reconcile pass (it compares the generation with shm_ctime) after the IPC_SET.
wait_reconciles 2
check_eq "log: IPC_SET: no destroy of the live segment" 0 ev_count destroy "$ID3"
check_eq "log: IPC_SET: no second create" 1 ev_count create "$ID3"
check_who "who after IPC_SET" "$ID3"
hend s || finish

# shmid reuse in a private namespace: the first segment is marked and destroyed, a second one
# gets the same shmid (shm_next_id) at once: another generation (when each was made, in ns).
RID=4242
hold n name reuser unshare-ipc next-id "$RID" create "$(new_key)" 8192 attach rmid pause detach \
	pause next-id "$RID" create "$(new_key)" 12288 attach || finish
N=$(hpid n)
NSN=$(hval n ns)
check_eq "kernel: the first segment got shmid $RID" "$RID" first_shmid n
check_eq "log: create in the private namespace" "shmget $N reuser" \
	ev_field create "$RID" "$NSN" cause pid comm
check_eq "who --ns: the first segment is dest" dest who_field "$RID" status "$NSN"
check "log: the first create's generation = when it was made, in ns (shm_ctime's second)" \
	made_in "$(ev_field create "$RID" "$NSN" generation)" "$(kseg_col "$RID" ctime "$NSN")"
hcont n || finish
expect_kernel "kernel: the first segment is gone" "$RID" gone "" "$NSN"
check_log "log: destroy of the first segment by shmdt" destroy shmdt "$N" "$RID"
G1=$(ev_field create "$RID" "$NSN" generation)
hcont n || finish
sec_shmid() { awk '$2 == "shmid" { n++; if (n == 2) print $3, $4 }' "$T/n.out"; }
check_eq "kernel: the second segment got shmid $RID too" "$RID $NSN" sec_shmid
expect_kernel "kernel: the second segment is held" "$RID" 1 "$N" "$NSN"
two_creates() { [ "$(ev_count create "$RID" "$NSN")" = 2 ]; }
check "log: a second create for shmid $RID" poll "$SHMW_WAIT" two_creates
gen2() { ev_lines create "$RID" "$NSN" | sed -n 2p | "$JSONX" . cause pid size generation; }
G2=$(gen2 | cut -d' ' -f4)
check_eq "log: the second create: shmget by the reuser, its size" "shmget $N 12288 $G2" gen2
check "log: the second create's generation = when it was made, in ns (shm_ctime's second)" \
	made_in "$G2" "$(kseg_col "$RID" ctime "$NSN")"
check "log: the second create has another generation ($G1, then $G2)" test "$G2" != "$G1"
check_who "who --ns: the new segment" "$RID" "$NSN"
check_eq "who --ns: the new segment is active" active who_field "$RID" status "$NSN"
check_eq "who --ns: no key_now (not marked)" "<none>" sh -c \
	"'$SHMWATCH' --socket '$T/sock' --json who '$RID' --ns '$NSN' | '$JSONX' . key_now"
# Nothing more happens: a whole reconcile pass (and the alerts' ticks) after the checks above.
wait_reconciles 2
check_eq "log: create, rmid, destroy, create: nothing more (no linger, rmid, destroy)" \
	"create rmid destroy create" life_core "$RID" "$NSN"
# (The first segment may have lingered, if the checks above took over a second.)
new_lingers() {
	ev_lines linger "$RID" "$NSN" >"$T/lingers"
	[ -s "$T/lingers" ] || {
		echo 0
		return
	}
	"$JSONX" . generation <"$T/lingers" | grep -c "^$G2\$"
}
check_eq "log: no linger for the new segment" 0 new_lingers
lingering_ids() {
	_lj=$(sw_ok lingering) || { echo "$_lj"; return 1; }
	echo "$_lj" | "$JSONX" 'segments[]' ns shmid | grep -c "^$NSN $RID\$"
}
check_eq "shmwatch lingering does not list the new segment" 0 lingering_ids
hend n || finish

# kernel.shm_rmid_forced=1 in a private namespace: the last detach destroys a segment nobody
# marked; an unattached one goes with its creator.
hold f name forced unshare-ipc rmid-forced 1 create "$(new_key)" 8192 attach \
	create "$(new_key)" 4096 pause detach pause exit || finish
F=$(hpid f)
NSF=$(hval f ns)
FID1=$(first_shmid f)
FID2=$(hval f shmid)
expect_kernel "kernel: the attached segment" "$FID1" 1 "$F" "$NSF"
expect_kernel "kernel: the unattached segment" "$FID2" 0 "" "$NSF"
created_both() { echo "$(ev_count create "$FID1" "$NSF") $(ev_count create "$FID2" "$NSF")"; }
check_eq "log: both created" "1 1" created_both
hcont f || finish
expect_kernel "kernel: shm_rmid_forced: the last detach destroyed it" "$FID1" gone "" "$NSF"
check "log: destroy of the forced segment" poll "$SHMW_WAIT" ev_has destroy "$FID1" "$NSF"
FC=$(ev_field destroy "$FID1" "$NSF" cause pid)
case $FC in
"shmdt $F") pass "log: forced destroy: cause shmdt by the detaching process" ;;
vanished*) pass "log: forced destroy: cause vanished (documented for shm_rmid_forced)" ;;
*) fail "log: forced destroy: cause is neither shmdt by $F nor vanished" "got: $FC" ;;
esac
check_eq "log: no rmid for the forced segment" 0 ev_count rmid "$FID1" "$NSF"
check_rc "who --ns of the forced segment exits 1" 1 sw who "$FID1" --ns "$NSF"
hcont f || finish
wait_until "the forced-namespace process to exit" dead "$F"
check "log: destroy of the unattached segment after its creator exited" \
	poll "$SHMW_WAIT" ev_has destroy "$FID2" "$NSF"
check_eq "log: its cause is vanished" vanished ev_field destroy "$FID2" "$NSF" cause
finish
