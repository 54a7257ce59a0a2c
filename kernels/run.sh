#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# make test-kernels: boots Debian's kernels under qemu with the static build and runs e2e
# scenarios in each guest (docs/kernels.md, "Other kernels").
#
#   kernels/run.sh OUTDIR          OUTDIR: a static build (make static: build-static)
#
# One line per kernel and mode, then "N passed, N failed"; exit 1 if anything failed (a guest
# that never reports counts as one failure). FAIL lines are shown with their details; the whole
# serial console of each guest is kept in OUTDIR/kernels/logs/RELEASE-MODE.log and each
# scenario's time in RELEASE-MODE.times.
#
# Environment:
#   KERNELS="6.1 6.12"        series to boot (Debian's newest of each; kernels/fetch.sh)
#   KERNEL_MODES=             modes for every kernel, each NAME or NAME:ARG,ARG (daemon
#                             arguments for it; a bare auto, fentry or tracepoint gets
#                             --mode=NAME); empty: each series' own (default_modes below)
#   KERNEL_SCENARIOS=         names (t_fork ...); empty: kernels/default-scenarios; "all": every
#                             tests/e2e/t_*.sh except those in kernels/host-only-scenarios
#   KERNEL_CACHE=build/kernels, KERNEL_TIMEOUT=900 (s per guest), KERNEL_MEM=1024 (MiB),
#   KERNEL_SMP=2, KERNEL_ACCEL=tcg (default) or kvm, KERNEL_TCG_THREAD=single (default) or multi,
#   KERNEL_JOBS=2 (guests at once), KERNEL_WAIT=15 (SHMW_WAIT in the guest: TCG is slow),
#   KERNEL_TEST_TIMEOUT= (SHMW_TEST_TIMEOUT in the guest, default 120),
#   KERNEL_VERBOSE=1          stream each guest's console and print every scenario's time
#   KERNEL_KEEP=1             print the scratch files of failed scenarios into the log
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUTDIR=$(cd "$1" 2>/dev/null && pwd) || {
	echo "kernels/run.sh: no build directory $1 (make static)" >&2
	exit 2
}
CACHE=${KERNEL_CACHE:-build/kernels}
case $CACHE in /*) ;; *) CACHE=$TOP/$CACHE ;; esac
SERIES=${KERNELS:-6.1 6.12}
MODES=${KERNEL_MODES:-}
SCEN=${KERNEL_SCENARIOS:-}
TIMEOUT=${KERNEL_TIMEOUT:-900}
VERBOSE=${KERNEL_VERBOSE:-0}
LOGDIR=$OUTDIR/kernels/logs
mkdir -p "$LOGDIR"

# Scenarios: comments and blank lines in the lists are ignored.
list_of() { sed 's/#.*//' "$1" | tr -s ' \t' '\n' | grep -v '^$'; }
case $SCEN in
"") SCEN=$(list_of "$TOP/kernels/default-scenarios") ;;
all)
	host_only=" $(list_of "$TOP/kernels/host-only-scenarios" | tr '\n' ' ')"
	SCEN=$(for t in "$TOP"/tests/e2e/t_*.sh; do
		n=$(basename "$t" .sh)
		case $host_only in *" $n "*) ;; *) echo "$n" ;; esac
	done)
	;;
esac
# shellcheck disable=SC2086,SC2116 # one line of names
SCEN=$(echo $SCEN)

# TCG unless asked: our machines have a /dev/kvm, but nested KVM fails there (qemu aborts on
# MSR 0x10a with -cpu host; with its default cpu the guest hangs after a KVM internal error).
# One TCG thread for all vCPUs by default: with a thread per vCPU (KERNEL_TCG_THREAD=multi), a
# 6.12 guest once died of "Oops: int3" in syscall_trace_enter, where the kernel had just patched
# a tracepoint's static branch (the daemon attaching or detaching): a vCPU still ran the
# transient int3 of text_poke_bp. That is TCG's cross-vCPU code modification, not the kernel.
case ${KERNEL_ACCEL:-tcg} in
kvm) ACCEL="-accel kvm -cpu host" ;;
*) ACCEL="-accel tcg,thread=${KERNEL_TCG_THREAD:-single}" ;;
esac

# shellcheck disable=SC2086 # a list
kernels=$("$TOP/kernels/fetch.sh" "$CACHE" $SERIES) || {
	echo "kernels/run.sh: could not get every kernel series ($SERIES)" >&2
	[ -n "$kernels" ] || exit 1
}
INITRD=$OUTDIR/kernels/initramfs.cpio
# shellcheck disable=SC2086
"$TOP/kernels/mkinitramfs.sh" "$OUTDIR" "$INITRD" $SCEN || exit 1

now() { date +%s; }

total_pass=0
total_fail=0
total_skip=0
missing=$(for s in $SERIES; do echo "$kernels" | grep -q "^$s " || echo "$s"; done)
for s in $missing; do
	echo "kernel $s: not available (see fetch: messages above)"
	total_fail=$((total_fail + 1))
done

# show_failures LOG [BRIEF]: every FAIL line of LOG, the first ones with up to 12 detail lines
# each, 40 detail lines in all (none with BRIEF=1: the daemon did not start, and
# show_preflight said why).
show_failures() {
	awk -v brief="${2:-0}" '
		/^FAIL / { print "  " $0; detail = (brief || budget >= 40) ? 0 : 12; next }
		/^    / && detail > 0 { print "  " $0; detail--; budget++; next }
		{ detail = 0 }' "$1"
}

# show_preflight LOG: why the daemon did not start: its own words (not the debug lines, which
# hold whole verifier logs) and what kernels/load-probe found, program by
# program: the refused ones grouped by the verifier's last word (the whole logs are in LOG).
show_preflight() {
	sed -n 's/^SHMW-DAEMON| //p' "$1" | grep '^shmwatchd: \(warning\|error\):' |
		grep -v 'LOAD LOG --' | sed 's/^/  daemon: /'
	sed -n 's/^SHMW-LOAD| //p' "$1" | awk '
		function done_prog() {
			if (name == "") return
			key = err (kf0 ? " (after an unresolved kfunc call: call #0)" : "")
			if (!(key in progs)) order[nkeys++] = key
			progs[key] = progs[key] (progs[key] == "" ? "" : " ") name
			name = ""
		}
		/^load\/[^ ]*: ok/ { done_prog(); nok++; nall++; next }
		/^load\/all: failed/ { done_prog(); nall++; allerr = $0; next }
		/^load\/[^ ]*: failed/ {
			done_prog(); nall++
			name = $1; sub(/^load\//, "", name); sub(/:$/, "", name)
			err = $0; sub(/^[^ ]* failed: /, "", err); sub(/, log [0-9]* bytes$/, "", err)
			kf0 = 0; next
		}
		/^  \| / {
			l = $0; sub(/^  \| /, "", l)
			if (l ~ /call #0$/) kf0 = 1
			if (l !~ /^processed [0-9]+ insns/ && l !~ /^[0-9]+: / && l !~ /^;/) err = l
			next
		}
		END {
			done_prog()
			if (nall == 0) exit
			printf "  load-probe: %d of %d programs load alone; refused:\n", nok, nall - 1
			for (k = 0; k < nkeys; k++) {
				n = split(progs[order[k]], a, " ")
				printf "    %d: %s: %s\n", n, order[k], progs[order[k]]
			}
			if (allerr != "") print "    " allerr
		}'
}

# default_modes SERIES: the daemon modes a series is tested in. 6.1: tracepoint, the path of
# kernels before 6.16 with probes at the syscall (6.1 allows fentry too; KERNEL_MODES="tracepoint
# fentry" runs both). 6.12: fentry, the mode this series' users get from --mode auto; its
# tracepoint mode is the host's path plus the pre-6.16 exit order that 6.1 covers, and t_modes
# still starts it there and checks its counts. Two guests, one per host CPU: the run fits CI's
# time (KERNEL_MODES="tracepoint fentry" adds 6.12's tracepoint guest).
default_modes() {
	case $1 in
	6.1) echo tracepoint ;;
	*) echo fentry ;;
	esac
}

# run_guest KDIR MODESPEC OUT: boots KDIR's kernel in mode MODESPEC; writes the report block to
# OUT and "PASSED FAILED SKIPPED" to OUT.n.
run_guest() {
	kdir=$1
	m=$2
	out=$3
	release=$(cat "$kdir/release")
	mode=${m%%:*}
	margs=
	if [ "$mode" != "$m" ]; then
		margs=${m#*:}
	else
		case $mode in auto | fentry | tracepoint) margs="--mode=$mode" ;; esac
	fi
	log=$LOGDIR/$release-$mode.log
	append="console=ttyS0 panic=-1 loglevel=5 shmw.mode=$mode shmw.wait=${KERNEL_WAIT:-15}"
	[ -n "$margs" ] && append="$append shmw.args=$margs"
	[ -n "${KERNEL_TEST_TIMEOUT:-}" ] && append="$append shmw.timeout=$KERNEL_TEST_TIMEOUT"
	[ "${KERNEL_KEEP:-0}" = 1 ] && append="$append shmw.keep=1"
	: >"$log.raw"
	tailpid=
	if [ "$VERBOSE" = 1 ]; then
		tail -f "$log.raw" | sed "s/^/[$release $mode] /" &
		tailpid=$!
	fi
	t0=$(now)
	# shellcheck disable=SC2086
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 $ACCEL -m "${KERNEL_MEM:-1024}" \
		-smp "${KERNEL_SMP:-2}" -display none -monitor none -serial "file:$log.raw" \
		-no-reboot -net none -kernel "$kdir/vmlinuz" -initrd "$INITRD" \
		-append "$append" </dev/null >"$log.qemu" 2>&1
	qrc=$?
	t1=$(now)
	[ -n "$tailpid" ] && kill "$tailpid" 2>/dev/null
	tr -d '\r' <"$log.raw" >"$log"
	cat "$log.qemu" >>"$log"
	rm -f "$log.raw" "$log.qemu"
	sed -n 's/^SHMW-SCENARIO \([^ ]*\) cs=\([0-9]*\) passed=\([0-9]*\) failed=\([0-9]*\).*/\1 \2 \3 \4/p' \
		"$log" | awk '{ printf "%-20s %7.1f s  %s passed, %s failed\n", $1, $2 / 100, $3, $4 }' \
		>"$LOGDIR/$release-$mode.times"
	res=$(grep '^SHMW-RESULT ' "$log" | tail -n 1)
	pre=$(grep '^SHMW-PREFLIGHT ' "$log" | tail -n 1)
	fent=$(grep -c '^SHMW-FENTRY| fentry/.*: ok' "$log")
	fall=$(grep -c '^SHMW-FENTRY| fentry/' "$log")
	exitmm=$(sed -n 's/^SHMW-FENTRY| tp_btf\/sched_process_exit: task->mm \([a-zA-Z]*\).*/\1/p' "$log")
	dmode=$(echo "$pre" | sed -n 's/.* daemon=\([^ ]*\).*/\1/p')
	why=
	if [ -n "$res" ]; then
		p=$(echo "$res" | sed -n 's/.* passed=\([0-9]*\).*/\1/p')
		f=$(echo "$res" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
		sk=$(echo "$res" | sed -n 's/.* skipped=\([0-9]*\).*/\1/p')
	else
		p=$(grep -c '^PASS ' "$log")
		f=$(($(grep -c '^FAIL ' "$log") + 1))
		sk=$(grep -c '^SKIP ' "$log")
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			why="guest killed after $TIMEOUT s"
		elif grep -q 'Kernel panic' "$log"; then
			why="kernel panic"
		else
			why="guest ended without a result (qemu exit $qrc)"
		fi
	fi
	if [ -z "$dmode" ] || [ "$dmode" = none ]; then
		extra="daemon did not start"
	else
		extra="daemon: $dmode"
	fi
	[ "$fall" -gt 0 ] && extra="$extra; fentry probe $fent/$fall ok"
	[ -n "$exitmm" ] && extra="$extra; exit tracepoint sees mm: $( [ "$exitmm" = set ] && echo yes || echo no)"
	skn=
	[ "${sk:-0}" -gt 0 ] && skn=", $sk skipped"
	{
		echo "kernel $release $mode: $p passed, $f failed$skn ($extra; $((t1 - t0)) s)${why:+: $why}"
		brief=0
		case $pre in
		"SHMW-PREFLIGHT ok"*) ;;
		*)
			show_preflight "$log"
			brief=1
			;;
		esac
		if [ "$fent" != "$fall" ]; then
			grep '^SHMW-FENTRY| fentry/' "$log" | grep -v ': ok' | sed 's/^SHMW-FENTRY| /  /'
		fi
		show_failures "$log" "$brief"
		[ "$VERBOSE" = 1 ] && sed 's/^/  /' "$LOGDIR/$release-$mode.times"
		[ "$f" != 0 ] && echo "  (console: $log)"
	} >"$out"
	echo "$p $f ${sk:-0}" >"$out.n"
}

# The guests, KERNEL_JOBS (2) at a time: a TCG guest running these scenarios keeps a host CPU
# less than half busy (they mostly wait), so two at once take little longer than one.
JOBS=${KERNEL_JOBS:-2}
i=0
batch=
nbatch=0
finish_batch() {
	wait
	for j in $batch; do
		cat "$LOGDIR/.job$j"
		read -r p f sk <"$LOGDIR/.job$j.n"
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
		total_skip=$((total_skip + sk))
		rm -f "$LOGDIR/.job$j" "$LOGDIR/.job$j.n"
	done
	batch=
	nbatch=0
}
for sk in $(echo "$kernels" | tr ' ' '='); do
	kdir=${sk#*=}
	for m in ${MODES:-$(default_modes "${sk%%=*}")}; do
		i=$((i + 1))
		run_guest "$kdir" "$m" "$LOGDIR/.job$i" &
		batch="$batch $i"
		nbatch=$((nbatch + 1))
		[ "$nbatch" -ge "$JOBS" ] && finish_batch
	done
done
[ -n "$batch" ] && finish_batch

if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" = 0 ]
