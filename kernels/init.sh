#!/bin/busybox sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# /init of the test-kernels guest (packed by kernels/mkinitramfs.sh, booted by kernels/run.sh).
# Mounts what shmwatchd and tests/e2e/lib.sh need, then on the serial console:
#   1. preflight: shmwatchd -v alone until it is ready or exits; every line of its log as
#      "SHMW-DAEMON| ..." and one "SHMW-PREFLIGHT ok|failed ..." line
#      and, if it failed, kernels/load-probe: "SHMW-LOAD| load/PROG: ok|failed: ..." and the end
#      of each refused program's verifier log
#   2. kernels/fentry-probe: "SHMW-FENTRY| fentry/FN: ok|load failed: ...|attach failed: ..."
#   3. each scenario of /shmw/scenarios through tests/run.sh: its output as is, then
#      "SHMW-SCENARIO NAME cs=CENTISECONDS passed=N failed=N skipped=N"
#   4. "SHMW-RESULT release=... mode=... daemon=... passed=N failed=N skipped=N"
# and powers off. Kernel command line: shmw.mode=NAME (the label of this run), shmw.args=A,B
# (extra daemon arguments of the mode, commas for spaces), shmw.timeout=S (SHMW_TEST_TIMEOUT),
# shmw.wait=S (SHMW_WAIT), shmw.load=F (SHMW_LOAD_FACTOR, 20 by default), shmw.keep=1 (print
# the files of failed scenarios too).

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root TMPDIR=/tmp

mkdir -p /proc /sys /dev /tmp /run /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname shmw-guest
ip link set lo up 2>/dev/null
# shellcheck disable=SC3045 # busybox ash has it
ulimit -l unlimited 2>/dev/null # 6.1 still charges BPF maps to RLIMIT_MEMLOCK without memcg

MODE=tracepoint
MODE_ARGS=
TIMEOUT=
WAIT=
KEEP=0
LOADF=
# shellcheck disable=SC2013 # words, not lines
for w in $(cat /proc/cmdline); do
	case $w in
	shmw.mode=*) MODE=${w#shmw.mode=} ;;
	shmw.args=*) MODE_ARGS=$(echo "${w#shmw.args=}" | tr ',' ' ') ;;
	shmw.timeout=*) TIMEOUT=${w#shmw.timeout=} ;;
	shmw.wait=*) WAIT=${w#shmw.wait=} ;;
	shmw.keep=*) KEEP=${w#shmw.keep=} ;;
	shmw.load=*) LOADF=${w#shmw.load=} ;;
	esac
done
[ -n "$TIMEOUT" ] && export SHMW_TEST_TIMEOUT="$TIMEOUT"
[ -n "$WAIT" ] && export SHMW_WAIT="$WAIT"
# The load factor, once for the guest: tests/run.sh would measure it before every scenario, and
# under TCG its fixed loop takes some 30 s (over a hundred times the host's) to say what is
# known: the cap, 20 (shmw.load=F sets another).
export SHMW_LOAD_FACTOR="${LOADF:-20}"

B=/shmw/build
# A mode's daemon arguments go in front of each scenario's own: a wrapper under the same name.
if [ -n "$MODE_ARGS" ]; then
	mv $B/shmwatchd $B/shmwatchd.real
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$B/shmwatchd.real" "$MODE_ARGS" >$B/shmwatchd
	chmod 755 $B/shmwatchd
fi

cs() {
	read -r _up _rest </proc/uptime
	echo "${_up%.*}${_up#*.}" | sed 's/^0*//; s/^$/0/'
}

echo "SHMW-BEGIN release=$(uname -r) mode=$MODE args=$MODE_ARGS cpus=$(nproc)"

# 1. preflight
D=/tmp/preflight
mkdir -p $D
$B/shmwatchd -v --socket $D/sock --log-file $D/events.jsonl >$D/log 2>&1 &
dpid=$!
t0=$(cs)
pre=failed
while :; do
	if $B/shmwatch --socket $D/sock status >/dev/null 2>&1; then
		pre=ok
		break
	fi
	kill -0 $dpid 2>/dev/null || break
	[ $(($(cs) - t0)) -gt 12000 ] && break
	sleep 0.1
done
t1=$(cs)
kill -TERM $dpid 2>/dev/null
wait $dpid
drc=$?
sed 's/^/SHMW-DAEMON| /' $D/log
DMODE=$(sed -n 's/.*BPF loaded: \([^ ]*\) mode.*/\1/p' $D/log | head -n 1)
echo "SHMW-PREFLIGHT $pre cs=$((t1 - t0)) exit=$drc daemon=${DMODE:-none}"

# 1b. when the daemon did not start: which of its programs the verifier refuses, and why
if [ "$pre" != ok ] && [ -x /shmw/kernels/load-probe ]; then
	/shmw/kernels/load-probe -n 40 2>&1 | sed 's/^/SHMW-LOAD| /'
fi

# 2. fentry probe
if [ -x /shmw/kernels/fentry-probe ]; then
	/shmw/kernels/fentry-probe >/tmp/fentry.out 2>&1 || /shmw/kernels/fentry-probe -v >/tmp/fentry.v 2>&1
	sed 's/^/SHMW-FENTRY| /' /tmp/fentry.out
	[ -s /tmp/fentry.v ] && grep -v '^fentry/' /tmp/fentry.v | sed 's/^/SHMW-FENTRY-V| /'
fi

# 3. scenarios
passed=0
failed=0
skipped=0
# shellcheck disable=SC2013 # one name a line
for name in $(cat /shmw/scenarios); do
	t0=$(cs)
	sh /shmw/tests/run.sh $B e2e "$name" >/tmp/scenario.out 2>&1
	t1=$(cs)
	last=$(tail -n 1 /tmp/scenario.out)
	grep -v '^[0-9]* passed, [0-9]* failed' /tmp/scenario.out
	np=$(echo "$last" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	nf=$(echo "$last" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	ns=$(echo "$last" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	if [ -z "$np" ] || [ -z "$nf" ]; then
		echo "FAIL $name: tests/run.sh ended without a summary line"
		np=0 nf=1
	fi
	if [ "$KEEP" = 1 ] && [ "$nf" != 0 ]; then
		for f in /tmp/shmw-run.*/"$name"/*; do
			[ -f "$f" ] || continue
			echo "    --- $f"
			tail -n 60 "$f" | sed 's/^/    /'
		done
	fi
	rm -rf /tmp/shmw-run.*
	passed=$((passed + np))
	failed=$((failed + nf))
	skipped=$((skipped + ${ns:-0}))
	echo "SHMW-SCENARIO $name cs=$((t1 - t0)) passed=$np failed=$nf skipped=${ns:-0}"
done

echo "SHMW-RESULT release=$(uname -r) mode=$MODE daemon=${DMODE:-none} passed=$passed failed=$failed skipped=$skipped"
sync
poweroff -f
