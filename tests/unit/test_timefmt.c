// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/common/timefmt.c: RFC 3339 both ways, local time, ages, boot->real. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "timefmt.h"

#define NS 1000000000ULL

/* 2026-11-28T09:03:57Z, the example in docs/protocol.md. */
#define EXAMPLE_S 1795856637ULL

static const char *fmt3339(uint64_t ns)
{
	static char buf[64];

	if (shmw_fmt_rfc3339(buf, sizeof(buf), ns))
		return "(error)";
	return buf;
}

static void test_fmt_rfc3339(void)
{
	char small[28];

	CHECK_STR("rfc3339 epoch", fmt3339(0), "1970-01-01T00:00:00.000000Z");
	CHECK_STR("rfc3339 example", fmt3339(EXAMPLE_S * NS + 123456789),
		  "2026-11-28T09:03:57.123456Z");
	/* Microseconds are truncated, never rounded up into the next second. */
	CHECK_STR("rfc3339 truncates", fmt3339(EXAMPLE_S * NS + 999999999),
		  "2026-11-28T09:03:57.999999Z");
	CHECK_STR("rfc3339 leap day", fmt3339(1709251199ULL * NS), "2024-02-29T23:59:59.000000Z");
	CHECK_STR("rfc3339 uint64 max", fmt3339(UINT64_MAX), "2554-07-21T23:34:33.709551Z");
	CHECK_INT("rfc3339 28 bytes fit", shmw_fmt_rfc3339(small, 28, EXAMPLE_S * NS), 0);
	CHECK_INT("rfc3339 27 bytes refused", shmw_fmt_rfc3339(small, 27, EXAMPLE_S * NS), -1);
}

static int64_t parsed(const char *s)
{
	uint64_t ns = 12345;

	if (shmw_parse_rfc3339(s, &ns))
		return -1;
	return (int64_t)ns;
}

static void test_parse_rfc3339(void)
{
	const uint64_t samples[] = {0,
				    1,
				    999,
				    1000,
				    EXAMPLE_S * NS + 123456000,
				    1709251199ULL * NS + 1000,
				    951782400ULL * NS, /* 2000-02-29 */
				    4102444800ULL * NS - 1000 /* 2099-12-31T23:59:59.999999 */};
	int roundtrip_ok = 1;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		uint64_t want = samples[i] / 1000 * 1000, got = 0;
		char buf[32];

		if (shmw_fmt_rfc3339(buf, sizeof(buf), samples[i]) ||
		    shmw_parse_rfc3339(buf, &got) || got != want) {
			printf("# round trip of %llu failed: %s -> %llu\n",
			       (unsigned long long)samples[i], buf, (unsigned long long)got);
			roundtrip_ok = 0;
		}
	}
	CHECK("rfc3339 round trip", roundtrip_ok);

	CHECK_INT("parse example", parsed("2026-11-28T09:03:57.123456Z"),
		  EXAMPLE_S * NS + 123456000);
	CHECK_INT("parse no fraction", parsed("2026-11-28T09:03:57Z"), EXAMPLE_S * NS);
	CHECK_INT("parse nanoseconds", parsed("2026-11-28T09:03:57.000000001Z"),
		  EXAMPLE_S * NS + 1);
	CHECK_INT("parse drops sub-ns digits", parsed("2026-11-28T09:03:57.0000000019Z"),
		  EXAMPLE_S * NS + 1);
	CHECK_INT("parse +01:00", parsed("2026-11-28T10:03:57+01:00"), EXAMPLE_S * NS);
	CHECK_INT("parse -05:30", parsed("2026-11-28T03:33:57.5-05:30"),
		  EXAMPLE_S * NS + 500000000);
	CHECK_INT("parse lower case t/z", parsed("2026-11-28t09:03:57z"), EXAMPLE_S * NS);
	CHECK_INT("parse leap second", parsed("2026-11-28T09:03:60Z"), (EXAMPLE_S + 3) * NS);
}

/* INT64 cannot hold UINT64_MAX, so the top of the range is checked on its own. */
static void test_parse_limits(void)
{
	uint64_t ns = 0;

	CHECK_INT("parse uint64 max ok", shmw_parse_rfc3339("2554-07-21T23:34:33.709551615Z", &ns),
		  0);
	CHECK("parse uint64 max value", ns == UINT64_MAX);
	CHECK_INT("parse 1 ns past uint64", parsed("2554-07-21T23:34:33.709551616Z"), -1);
	CHECK_INT("parse year 9999 overflows", parsed("9999-12-31T23:59:59Z"), -1);
	CHECK_INT("parse before epoch", parsed("1969-12-31T23:59:59Z"), -1);
	CHECK_INT("parse epoch via offset", parsed("1970-01-01T01:00:00+01:00"), 0);
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
	    "",
	    "garbage",
	    "2026-11-28",
	    "2026-11-28T09:03:57",	  /* no zone */
	    "2026-11-28T09:03:57.Z",	  /* empty fraction */
	    "2026-11-28T09:03:57Zjunk",	  /* trailing bytes */
	    " 2026-11-28T09:03:57Z",	  /* leading blank */
	    "2026-11-28T09:03:57 Z",	  /* blank before the zone */
	    "26-11-28T09:03:57Z",	  /* two-digit year */
	    "2026-1-28T09:03:57Z",	  /* one-digit month */
	    "2026-13-01T00:00:00Z",	  /* month 13 */
	    "2026-00-01T00:00:00Z",	  /* month 0 */
	    "2026-11-00T00:00:00Z",	  /* day 0 */
	    "2026-11-31T00:00:00Z",	  /* November has 30 days */
	    "2026-02-29T00:00:00Z",	  /* 2026 is no leap year */
	    "2100-02-29T00:00:00Z",	  /* nor is 2100 */
	    "2026-11-28T24:00:00Z",	  /* hour 24 */
	    "2026-11-28T09:60:00Z",	  /* minute 60 */
	    "2026-11-28T09:03:61Z",	  /* second 61 */
	    "2026-11-28T09:03:57+24:00",  /* offset hour 24 */
	    "2026-11-28T09:03:57+01",	  /* offset without minutes */
	    "2026-11-28T09:03:57+0100",	  /* offset without colon */
	    "2026-11-28T09:03:57.12a456Z" /* letter in the fraction */
	};
	uint64_t ns;
	int rejected = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ns = 777;
		if (shmw_parse_rfc3339(bad[i], &ns) == -1 && ns == 777)
			rejected++;
		else
			printf("# accepted \"%s\"\n", bad[i]);
	}
	CHECK_INT("parse rejects garbage", rejected, sizeof(bad) / sizeof(bad[0]));
	CHECK_INT("parse NULL", shmw_parse_rfc3339(NULL, &ns), -1);
	CHECK_INT("parse leap day 2000", parsed("2000-02-29T00:00:00Z"), 951782400ULL * NS);
}

static const char *local(uint64_t ns)
{
	static char buf[64];

	if (shmw_fmt_local(buf, sizeof(buf), ns))
		return "(error)";
	return buf;
}

static void test_fmt_local(void)
{
	char buf[20];

	/* POSIX TZ strings need no tzdata on the machine. */
	setenv("TZ", "UTC0", 1);
	tzset();
	CHECK_STR("local UTC", local(EXAMPLE_S * NS + 999999999), "2026-11-28 09:03:57");
	setenv("TZ", "CET-1", 1);
	tzset();
	CHECK_STR("local CET", local(EXAMPLE_S * NS), "2026-11-28 10:03:57");
	setenv("TZ", "EST5", 1);
	tzset();
	CHECK_STR("local EST crosses midnight", local(1795824000ULL * NS), "2026-11-27 19:00:00");
	CHECK_INT("local 20 bytes fit", shmw_fmt_local(buf, 20, 0), 0);
	CHECK_INT("local 19 bytes refused", shmw_fmt_local(buf, 19, 0), -1);
	setenv("TZ", "UTC0", 1);
	tzset();
}

static const char *age(uint64_t s)
{
	static char buf[32];

	if (shmw_fmt_age(buf, sizeof(buf), s))
		return "(error)";
	return buf;
}

static void test_fmt_age(void)
{
	char buf[6]; /* "1h00m" and its NUL */

	CHECK_STR("age 0", age(0), "0s");
	CHECK_STR("age 59", age(59), "59s");
	CHECK_STR("age 60", age(60), "1m00s");
	CHECK_STR("age 423", age(423), "7m03s");
	CHECK_STR("age 3599", age(3599), "59m59s");
	CHECK_STR("age 3600", age(3600), "1h00m");
	CHECK_STR("age 5h02m", age(5 * 3600 + 2 * 60 + 59), "5h02m");
	CHECK_STR("age 86399", age(86399), "23h59m");
	CHECK_STR("age 86400", age(86400), "1d00h");
	CHECK_STR("age 3d04h", age(3 * 86400 + 4 * 3600 + 3599), "3d04h");
	CHECK_STR("age 1000 days", age(1000ULL * 86400), "1000d00h");
	CHECK_INT("age fits", shmw_fmt_age(buf, sizeof(buf), 3600), 0);
	CHECK_INT("age too small", shmw_fmt_age(buf, sizeof(buf), 3599), -1);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void test_boot_to_real(void)
{
	/* Each conversion reads both clocks itself: a preemption between its two reads (on a
	 * loaded machine) shifts it by that long. So each property is tried up to 20 times and
	 * holds if it held once within 1 ms, the other reads bracketing the conversion's; a wrong
	 * conversion (no offset, or a wrong one) fails every time. */
	int matches = 0, distances = 0, tries;

	for (tries = 0; tries < 20 && !(matches && distances); tries++) {
		uint64_t r0 = clock_ns(CLOCK_REALTIME);
		uint64_t boot = clock_ns(CLOCK_BOOTTIME);
		uint64_t r1 = clock_ns(CLOCK_REALTIME);
		uint64_t conv = shmw_boot_to_real(boot);
		uint64_t r2 = clock_ns(CLOCK_REALTIME);
		int64_t span =
		    (int64_t)(shmw_boot_to_real(boot + 3 * NS) - shmw_boot_to_real(boot));

		/* boot was read between r0 and r1; the conversion's offset between r1 and r2. */
		matches |= conv + 1000000ULL >= r0 && conv <= r1 + 1000000ULL && r2 >= r1;
		distances |= llabs(span - (int64_t)(3 * NS)) < 1000000LL;
	}
	printf("     boot_to_real: %d tries\n", tries);
	CHECK("boot_to_real matches realtime (within 1 ms, once in 20 tries)", matches);
	CHECK("boot_to_real keeps distances (within 1 ms, once in 20 tries)", distances);
	{
		uint64_t r0 = clock_ns(CLOCK_REALTIME);
		uint64_t now = shmw_now_real();
		uint64_t r1 = clock_ns(CLOCK_REALTIME);

		CHECK("now_real is after 2020", now > 1577836800ULL * NS);
		CHECK("now_real is realtime (read between two reads of it)",
		      r0 <= now && now <= r1);
	}
}

/* The command line's TIME: RFC 3339, "now", @SECONDS, and -N{s,m,h,d,w} before now. */
static void test_parse_when(void)
{
	const uint64_t now = 1796668000ull * SHMW_NS_PER_SEC + 123456789;
	static const struct {
		const char *s;
		uint64_t back_s; /* seconds before now */
	} rel[] = {{"-0s", 0},	    {"-30s", 30},    {"-10m", 600}, {"-2h", 7200},
		   {"-3d", 259200}, {"-1w", 604800}, {"-90m", 5400}};
	static const char *const bad[] = {
	    "",
	    "-",
	    "-10",
	    "10m",
	    "-10x",
	    "-10mm",
	    "- 10m",
	    "-1.5h",
	    "@",
	    "@1.",
	    "@x",
	    "@1x",
	    "@-1",
	    "@1.1234567890",
	    "yesterday",
	    "2026-12-07",
	    "-99999999999999999d",
	    "now ",
	    "Now",
	    NULL,
	};
	uint64_t t;

	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char name[64];

		t = 0;
		snprintf(name, sizeof(name), "when %s", rel[i].s);
		CHECK_INT(name, shmw_parse_when(rel[i].s, now, &t), 0);
		CHECK(name, t == now - rel[i].back_s * SHMW_NS_PER_SEC);
	}
	CHECK_INT("when now", shmw_parse_when("now", now, &t), 0);
	CHECK("when now value", t == now);
	CHECK_INT("when rfc3339", shmw_parse_when("2026-12-07T18:00:00.5Z", now, &t), 0);
	CHECK("when rfc3339 value", t == 1796666400ull * SHMW_NS_PER_SEC + 500000000);
	CHECK_INT("when rfc3339 offset", shmw_parse_when("2026-12-07T19:00:00+01:00", now, &t), 0);
	CHECK("when rfc3339 offset value", t == 1796666400ull * SHMW_NS_PER_SEC);
	CHECK_INT("when @epoch", shmw_parse_when("@1796666400", now, &t), 0);
	CHECK("when @epoch value", t == 1796666400ull * SHMW_NS_PER_SEC);
	CHECK_INT("when @epoch.frac", shmw_parse_when("@1796666400.000001", now, &t), 0);
	CHECK("when @epoch.frac value", t == 1796666400ull * SHMW_NS_PER_SEC + 1000);
	CHECK_INT("when before 1970", shmw_parse_when("-100w", 1000, &t), -1);
	for (size_t i = 0; bad[i]; i++) {
		char name[80];

		t = 777;
		snprintf(name, sizeof(name), "when rejects '%s'", bad[i]);
		CHECK(name, shmw_parse_when(bad[i], now, &t) == -1 && t == 777);
	}
	CHECK_INT("when NULL", shmw_parse_when(NULL, now, &t), -1);
}

int main(void)
{
	test_parse_when();
	test_fmt_rfc3339();
	test_parse_rfc3339();
	test_parse_limits();
	test_parse_rejects();
	test_fmt_local();
	test_fmt_age();
	test_boot_to_real();
	return CHECK_DONE();
}
