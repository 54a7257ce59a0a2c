// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Clock conversion and time formatting: RFC 3339 UTC for machines, local time for people. */
#include "timefmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t shmw_clock_ns(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for the clocks used here on any kernel BPF runs on; 0 is "unknown". */
	if (clock_gettime(id, &ts) || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * SHMW_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

int64_t shmw_realtime_offset(void)
{
	return (int64_t)(shmw_clock_ns(CLOCK_REALTIME) - shmw_clock_ns(CLOCK_BOOTTIME));
}

/*
 * The offset is read on every call, not cached for good: it changes when the wall clock is
 * stepped (NTP, settimeofday), and two vDSO clock reads cost less than being wrong for the
 * rest of the daemon's life. But a new reading replaces the one in use only when it moved by
 * more than OFFSET_SLACK_NS: two readings differ by microseconds (the clocks are read one
 * after the other), and times go through this both ways (a `since` logged by one daemon is
 * replayed by the next), so a jittering offset would move them by a microsecond or two on
 * each trip. BOOTTIME keeps counting during suspend, like REALTIME, so the offset does not
 * drift across a suspend.
 */
#define OFFSET_SLACK_NS 1000000ULL

uint64_t shmw_boot_to_real(uint64_t boot_ns)
{
	static uint64_t offset;
	static bool have_offset;
	uint64_t real = shmw_clock_ns(CLOCK_REALTIME);
	uint64_t boot = shmw_clock_ns(CLOCK_BOOTTIME);

	if (real < boot) /* wall clock set before the boot: no meaningful answer */
		return 0;
	if (!have_offset || real - boot > offset + OFFSET_SLACK_NS ||
	    real - boot + OFFSET_SLACK_NS < offset) {
		offset = real - boot;
		have_offset = true;
	}
	if (boot_ns > UINT64_MAX - offset)
		return UINT64_MAX;
	return boot_ns + offset;
}

uint64_t shmw_now_real(void)
{
	return shmw_clock_ns(CLOCK_REALTIME);
}

int shmw_fmt_rfc3339(char *buf, size_t len, uint64_t real_ns)
{
	time_t sec = (time_t)(real_ns / SHMW_NS_PER_SEC);
	unsigned int usec = (unsigned int)(real_ns % SHMW_NS_PER_SEC / SHMW_NS_PER_US);
	struct tm tm;
	int n;

	if (!buf || len < 28 || !gmtime_r(&sec, &tm))
		return -1;
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Exactly ndigits decimal digits at *s; advances *s. */
static bool take_digits(const char **s, int ndigits, int *out)
{
	int v = 0;

	for (int i = 0; i < ndigits; i++) {
		char c = (*s)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*s += ndigits;
	*out = v;
	return true;
}

static bool take_char(const char **s, const char *allowed)
{
	if (**s == '\0' || !strchr(allowed, **s))
		return false;
	(*s)++;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); pure,
 * unlike timegm(), which consults nothing but is not in POSIX. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ".ddd..." : 1 or more digits; digits past nanoseconds are dropped, not rounded. */
static bool take_fraction(const char **s, uint64_t *ns)
{
	uint64_t scale = SHMW_NS_PER_SEC / 10;
	const char *p = *s;

	*ns = 0;
	if (*p != '.')
		return true;
	p++;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		*ns += (uint64_t)(*p - '0') * scale;
		scale /= 10;
	}
	*s = p;
	return true;
}

/* "Z" or "+hh:mm" / "-hh:mm": seconds to subtract to get UTC. */
static bool take_offset(const char **s, int64_t *off)
{
	int sign, hh, mm;

	if (take_char(s, "Zz")) {
		*off = 0;
		return true;
	}
	if (**s != '+' && **s != '-')
		return false;
	sign = **s == '-' ? -1 : 1;
	(*s)++;
	if (!take_digits(s, 2, &hh) || !take_char(s, ":") || !take_digits(s, 2, &mm) || hh > 23 ||
	    mm > 59)
		return false;
	*off = sign * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

int shmw_parse_rfc3339(const char *s, uint64_t *real_ns)
{
	int y, mo, d, h, mi, sec;
	uint64_t frac;
	int64_t off, t;

	if (!s || !real_ns)
		return -1;
	if (!take_digits(&s, 4, &y) || !take_char(&s, "-") || !take_digits(&s, 2, &mo) ||
	    !take_char(&s, "-") || !take_digits(&s, 2, &d) || !take_char(&s, "Tt ") ||
	    !take_digits(&s, 2, &h) || !take_char(&s, ":") || !take_digits(&s, 2, &mi) ||
	    !take_char(&s, ":") || !take_digits(&s, 2, &sec) || !take_fraction(&s, &frac) ||
	    !take_offset(&s, &off) || *s != '\0')
		return -1;
	/* Second 60 is a leap second (RFC 3339 allows it); it lands on the next second. */
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t < 0 || (uint64_t)t > (UINT64_MAX - frac) / SHMW_NS_PER_SEC)
		return -1;
	*real_ns = (uint64_t)t * SHMW_NS_PER_SEC + frac;
	return 0;
}

/* 0..99 as two digits (tm fields are in range: seconds go to 60 at most). */
static void put_2digits(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

int shmw_fmt_local(char *buf, size_t len, uint64_t real_ns)
{
	time_t sec = (time_t)(real_ns / SHMW_NS_PER_SEC);
	struct tm tm;

	if (!buf || len == 0 || !localtime_r(&sec, &tm))
		return -1;
	/* By hand for 4-digit years, what strftime writes: it cost as much as localtime_r. */
	if (tm.tm_year >= 1000 - 1900 && tm.tm_year <= 9999 - 1900 && len >= 20) {
		memcpy(buf, "0000-00-00 00:00:00", 20);
		put_2digits(buf, (tm.tm_year + 1900) / 100);
		put_2digits(buf + 2, (tm.tm_year + 1900) % 100);
		put_2digits(buf + 5, tm.tm_mon + 1);
		put_2digits(buf + 8, tm.tm_mday);
		put_2digits(buf + 11, tm.tm_hour);
		put_2digits(buf + 14, tm.tm_min);
		put_2digits(buf + 17, tm.tm_sec);
		return 0;
	}
	/* strftime returns 0 when the result does not fit (the result is never empty here). */
	return strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) ? 0 : -1;
}

int shmw_fmt_age(char *buf, size_t len, uint64_t seconds)
{
	int n;

	if (!buf || len == 0)
		return -1;
	if (seconds < 60)
		n = snprintf(buf, len, "%us", (unsigned int)seconds);
	else if (seconds < 3600)
		n = snprintf(buf, len, "%um%02us", (unsigned int)(seconds / 60),
			     (unsigned int)(seconds % 60));
	else if (seconds < 86400)
		n = snprintf(buf, len, "%uh%02um", (unsigned int)(seconds / 3600),
			     (unsigned int)(seconds % 3600 / 60));
	else
		n = snprintf(buf, len, "%llud%02uh", (unsigned long long)(seconds / 86400),
			     (unsigned int)(seconds % 86400 / 3600));
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int shmw_parse_when(const char *s, uint64_t now_real_ns, uint64_t *real_ns)
{
	static const struct {
		char unit;
		uint64_t secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	uint64_t n = 0, secs = 0;
	const char *p;

	if (!s || !real_ns)
		return -1;
	if (!strcmp(s, "now")) {
		*real_ns = now_real_ns;
		return 0;
	}
	if (*s == '@') {
		/* Seconds since the epoch, as date +%s (and date -d @S) write them, with up to 9
		 * digits of fraction. */
		uint64_t sec = 0, frac = 0, scale = SHMW_NS_PER_SEC;

		for (p = s + 1; *p >= '0' && *p <= '9'; p++) {
			if (sec > (UINT64_MAX / SHMW_NS_PER_SEC - 9) / 10)
				return -1;
			sec = sec * 10 + (uint64_t)(*p - '0');
		}
		if (p == s + 1)
			return -1;
		if (*p == '.') {
			if (p[1] < '0' || p[1] > '9')
				return -1;
			for (p++; *p >= '0' && *p <= '9'; p++) {
				if (scale == 1)
					return -1;
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
		}
		if (*p)
			return -1;
		*real_ns = sec * SHMW_NS_PER_SEC + frac;
		return 0;
	}
	if (*s != '-')
		return shmw_parse_rfc3339(s, real_ns);
	/* -N followed by one unit: "-10m", "-2h", "-3d". */
	for (p = s + 1; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == s + 1 || !p[0] || p[1])
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].unit == *p)
			secs = units[i].secs;
	if (!secs || n > UINT64_MAX / secs / SHMW_NS_PER_SEC ||
	    n * secs * SHMW_NS_PER_SEC > now_real_ns)
		return -1;
	*real_ns = now_real_ns - n * secs * SHMW_NS_PER_SEC;
	return 0;
}
