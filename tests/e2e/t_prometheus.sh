#!/bin/sh
# The Prometheus alert rules shipped in deploy/prometheus/shmwatch-rules.yml (docs/fleet.md,
# "Prometheus"): promtool accepts them (check rules), their unit tests pass (test rules,
# tests/prometheus/shmwatch-rules.test.yml: series in, alerts out), every alert of the file is
# tested there, and every shmwatch_ series and label value the rules name is one a running
# daemon exports (`shmwatch metrics`, which promtool also lints): a renamed metric would leave
# an alert that never fires, and promtool alone cannot see that.
# promtool is in Debian's prometheus package (scripts/install-deps.sh --test installs it).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$SHMW_E2E_DIR/../.." && pwd)
RULES=$ROOT/deploy/prometheus/shmwatch-rules.yml
RTEST=$ROOT/tests/prometheus/shmwatch-rules.test.yml

if ! command -v promtool >/dev/null 2>&1; then
	fail "promtool not found: install Debian's prometheus package (make test-deps)"
	finish
fi

if promtool check rules "$RULES" >"$T/check.out" 2>&1; then
	pass "promtool check rules: $(grep -o '[0-9]* rules found' "$T/check.out")"
else
	fail "promtool check rules $RULES" "$(cat "$T/check.out")"
fi
if promtool test rules "$RTEST" >"$T/test.out" 2>&1; then
	pass "promtool test rules: $(grep -c 'eval_time:' "$RTEST") evaluations of series in, alerts out"
else
	fail "promtool test rules $RTEST" "$(cat "$T/test.out")"
fi

# Every alert of the rules file is named in a test, and fires in one (an exp_labels block
# under its alertname): a rule that is only ever expected silent is not tested.
alerts=$(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$RULES")
if [ -z "$alerts" ]; then
	fail "no alert found in $RULES"
fi
for a in $alerts; do
	if awk -v a="$a" '/alertname:/ { cur = $2 } cur == a && /exp_labels:/ { n++ }
		END { exit !n }' "$RTEST"; then
		pass "alert $a is tested firing"
	else
		fail "alert $a has no test in which it fires ($RTEST)"
	fi
done

# The daemon's real exposition: promtool's lint, then every shmwatch_ selector of the rules'
# expressions (name and {label="value"} matchers) against it.
start_daemon || finish
if ! sw metrics >"$T/m.prom" 2>"$T/m.err" || ! [ -s "$T/m.prom" ]; then
	fail "shmwatch metrics" "$(cat "$T/m.err")"
	finish
fi
if promtool check metrics <"$T/m.prom" >"$T/lint.out" 2>&1; then
	pass "promtool check metrics: the daemon's exposition ($(grep -c '^# TYPE' "$T/m.prom") families) has no lint"
else
	fail "promtool check metrics on shmwatch metrics" "$(cat "$T/lint.out")"
fi
sels=$(sed -n 's/^ *expr: *//p' "$RULES" | grep -o 'shmwatch_[a-z0-9_]*\({[^}]*}\)\{0,1\}' | sort -u)
if [ -z "$sels" ]; then
	fail "no shmwatch_ series in the rules' expressions"
fi
for s in $sels; do
	name=${s%%\{*}
	if ! grep -q "^# TYPE $name " "$T/m.prom"; then
		fail "rules name $name, which the daemon does not export" \
			"exported: $(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$T/m.prom" | tr '\n' ' ')"
		continue
	fi
	missing=
	case $s in
	*\{*)
		# Each matcher k="v" (only = is used) must be on one of the family's samples.
		for m in $(echo "$s" | sed 's/^[^{]*{//; s/}$//' | tr ',' ' '); do
			grep -q "^$name{.*$m" "$T/m.prom" || missing="$missing $m"
		done
		;;
	esac
	if [ -n "$missing" ]; then
		fail "rules select $s: no sample of $name has$missing" "$(grep "^$name" "$T/m.prom")"
	else
		pass "rules' series $s is exported by the daemon"
	fi
done
finish
