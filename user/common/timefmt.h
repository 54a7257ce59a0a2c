/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Clocks, clock conversion and time formatting: RFC 3339 UTC for machines, local time for
 * people. The one clock helper of the daemon and the client. */
#ifndef SHMW_TIMEFMT_H
#define SHMW_TIMEFMT_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SHMW_NS_PER_SEC 1000000000ull
#define SHMW_NS_PER_MS	1000000ull
#define SHMW_NS_PER_US	1000ull

/* A clock (CLOCK_MONOTONIC, _COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME) in ns; 0 when it cannot be
 * read (never for these on any kernel BPF runs on) or reads before 1970. */
uint64_t shmw_clock_ns(clockid_t id);
/* CLOCK_MONOTONIC ns: intervals, deadlines, start-up phases. */
static inline uint64_t shmw_mono_ns(void)
{
	return shmw_clock_ns(CLOCK_MONOTONIC);
}
/* CLOCK_REALTIME - CLOCK_BOOTTIME ns now: it moves when the wall clock is set. */
int64_t shmw_realtime_offset(void);

/* CLOCK_BOOTTIME ns (what BPF's bpf_ktime_get_boot_ns() returns) to CLOCK_REALTIME ns. */
uint64_t shmw_boot_to_real(uint64_t boot_ns);
/* Now, CLOCK_REALTIME ns. */
uint64_t shmw_now_real(void);
/* "2026-11-28T09:03:57.123456Z"; returns 0, or -1 if buf is too small (needs 28 bytes). */
int shmw_fmt_rfc3339(char *buf, size_t len, uint64_t real_ns);
/* Parses what shmw_fmt_rfc3339 writes (also without fraction, or with a +hh:mm offset). */
int shmw_parse_rfc3339(const char *s, uint64_t *real_ns);
/* A time as people give it on the command line: RFC 3339 (as shmw_parse_rfc3339), "now",
 * "@SECONDS[.FRACTION]" since the epoch (date +%s), or relative to now_real_ns: "-30s",
 * "-10m", "-2h", "-3d", "-1w". Returns 0, or -1 for anything
 * else (and for a time before 1970). */
int shmw_parse_when(const char *s, uint64_t now_real_ns, uint64_t *real_ns);
/* Local time for tables: "2026-11-28 10:03:57"; returns 0 or -1. */
int shmw_fmt_local(char *buf, size_t len, uint64_t real_ns);
/* Age for tables: "42s", "7m03s", "5h02m", "3d04h". */
int shmw_fmt_age(char *buf, size_t len, uint64_t seconds);
#endif
