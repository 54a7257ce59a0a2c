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
#endif
