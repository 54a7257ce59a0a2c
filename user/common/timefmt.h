/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Clock conversion and time formatting: RFC 3339 UTC for machines, local time for people. */
#ifndef SHMW_TIMEFMT_H
#define SHMW_TIMEFMT_H
#include <stddef.h>
#include <stdint.h>

/* CLOCK_BOOTTIME ns (what BPF's bpf_ktime_get_boot_ns() returns) to CLOCK_REALTIME ns. */
uint64_t shmw_boot_to_real(uint64_t boot_ns);
/* Now, CLOCK_REALTIME ns. */
uint64_t shmw_now_real(void);
/* "2026-11-28T09:03:57.123456Z"; returns 0, or -1 if buf is too small (needs 28 bytes). */
int shmw_fmt_rfc3339(char *buf, size_t len, uint64_t real_ns);
/* Parses what shmw_fmt_rfc3339 writes (also without fraction, or with a +hh:mm offset). */
int shmw_parse_rfc3339(const char *s, uint64_t *real_ns);
/* Local time for tables: "2026-11-28 10:03:57"; returns 0 or -1. */
int shmw_fmt_local(char *buf, size_t len, uint64_t real_ns);
/* Age for tables: "42s", "7m03s", "5h02m", "3d04h". */
int shmw_fmt_age(char *buf, size_t len, uint64_t seconds);
#endif
