/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names for numbers: uid to user name, cached (getpwuid_r is slow and may hit NSS). */
#ifndef SHMW_PROCINFO_H
#define SHMW_PROCINFO_H
#include <stddef.h>
#include <stdint.h>

/* The user name for uid, or the decimal uid when it has none. Never NULL; the returned
 * string lives until shmw_user_cache_clear(). */
const char *shmw_user_name(uint32_t uid);
void shmw_user_cache_clear(void);

/* Details of one process for alerts: one /proc/PID file each, never a scan. Each writes
 * "" when the process is gone or the file unreadable, and returns 0 or -errno. */
int shmw_proc_exe(uint32_t pid, char *buf, size_t len);
/* argv joined by spaces, control characters replaced. */
int shmw_proc_cmdline(uint32_t pid, char *buf, size_t len);
/* The cgroup v2 path ("0::/system.slice/x.service"), or the first line for cgroup v1. */
int shmw_proc_cgroup(uint32_t pid, char *buf, size_t len);
#endif
