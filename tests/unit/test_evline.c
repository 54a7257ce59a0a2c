// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The direct event line (user/daemon/core/evline.c) is byte for byte json-c's rendering of
 * shmw_report_event(), the documented format: for every event type and cause, odd comms,
 * missing times, actors, and for random records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "evline.h"
#include "report.h"

static int mismatches, compared;

/* The boot-to-wall-clock offset is read at each call and may move by a microsecond between
 * two renderings of the same event: the times must both be absent or both be times, and the
 * rest must be equal byte for byte. */
static void blank_time(char *s)
{
	static const char head[] = "{\"time\":\"";
	size_t t = sizeof("2026-11-28T11:59:52.700241Z") - 1;

	if (strncmp(s, head, sizeof(head) - 1) == 0 && strlen(s) > sizeof(head) - 1 + t &&
	    s[sizeof(head) - 1 + t - 1] == 'Z' && s[sizeof(head) - 1 + t] == '"')
		memset(s + sizeof(head) - 1, 'T', t);
}

static void same(const char *name, const struct shmw_event *ev)
{
	char buf[SHMW_EVLINE_MAX], want[SHMW_EVLINE_MAX];
	json_object *o = shmw_report_event(ev);
	size_t n = shmw_evline_format(buf, sizeof(buf), ev);

	snprintf(want, sizeof(want), "%s",
		 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	blank_time(buf);
	blank_time(want);
	compared++;
	if (n != strlen(want) || strcmp(buf, want) != 0) {
		if (mismatches++ < 5)
			printf("# %s:\n#  got  %s\n#  want %s\n", name, n ? buf : "(0)", want);
	}
	json_object_put(o);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}

static void test_fixed(void)
{
	static const char *const comms[] = {
	    "shmw-chaos",	"",	 "a b",		 "quote\"x",	"back\\slash", "sl/ash",
	    "tab\there",	"nl\nx", "\x01\x1f\x7f", "caf\xc3\xa9", "bad\xff\xfe", "\xe2\x82",
	    "0123456789abcdef",
	};
	struct shmw_event ev;

	mismatches = compared = 0;
	for (uint32_t type = 0; type <= 10; type++)
		for (uint32_t cause = 0; cause <= SHMW_CAUSE_MAX; cause++) {
			memset(&ev, 0, sizeof(ev));
			ev.type = type;
			ev.cause = cause;
			ev.ts = type & 1 ? 0 : 123456789012345ull;
			ev.ns = 4026531839u;
			ev.shmid = type * 1000 + cause;
			ev.key = 0xdeadbeef;
			ev.size = 1ull << 40;
			ev.pid = 4194304;
			ev.actor = cause & 1 ? ev.pid : cause;
			ev.uid = cause == 3 ? 4294967295u : 0;
			ev.nvma = cause;
			ev.mm = 0xffff88810006b200ull;
			snprintf(ev.comm, sizeof(ev.comm), "%s", "worker");
			same("type x cause", &ev);
		}
	for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = SHMW_EV_ATTACH;
		ev.cause = SHMW_CAUSE_SHMAT;
		ev.ts = 1;
		memcpy(ev.comm, comms[i], strnlen(comms[i], sizeof(ev.comm)));
		same(comms[i], &ev);
	}
	/* A comm filling all 16 bytes, no NUL. */
	memset(&ev, 0, sizeof(ev));
	memset(ev.comm, 'x', sizeof(ev.comm));
	ev.type = SHMW_EV_DETACH;
	same("comm without NUL", &ev);
	CHECK_INT("evline: fixed events equal json-c's lines", mismatches, 0);
	CHECK("evline: fixed events compared", compared > 100);
}

static void test_random(void)
{
	struct shmw_event ev;

	mismatches = compared = 0;
	for (int i = 0; i < 20000; i++) {
		uint64_t r = rnd();

		for (size_t k = 0; k < sizeof(ev); k += 8) {
			uint64_t v = rnd();

			memcpy((char *)&ev + k, &v, sizeof(ev) - k < 8 ? sizeof(ev) - k : 8);
		}
		/* Mostly real types and causes, and uids the name cache can answer quickly. */
		if (r & 1)
			ev.type %= 10;
		if (r & 2)
			ev.cause %= SHMW_CAUSE_MAX;
		ev.uid = r & 4 ? (uint32_t)(r >> 8) % 3 : ev.uid % 70000;
		if (r & 8)
			ev.actor = ev.pid;
		if (r & 16)
			ev.ts %= 1000000000000000ull;
		same("random", &ev);
	}
	CHECK_INT("evline: random records equal json-c's lines", mismatches, 0);
}

static void test_small_buffer(void)
{
	struct shmw_event ev = {.type = SHMW_EV_ATTACH, .ts = 5, .pid = 1};
	char buf[64];

	memset(buf, 'Z', sizeof(buf));
	CHECK_INT("evline: too small a buffer gives 0", shmw_evline_format(buf, 40, &ev), 0);
	CHECK("evline: nothing written past the given length", buf[40] == 'Z');
	CHECK_INT("evline: empty buffer gives 0", shmw_evline_format(buf, 0, &ev), 0);
}

int main(void)
{
	test_fixed();
	test_random();
	test_small_buffer();
	return check_failed;
}
