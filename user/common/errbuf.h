/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The caller's error buffer: functions that can fail for reasons a person should read take
 * (char *err, size_t errlen) and write one line there; either may be NULL/0 (the caller does
 * not want it).
 */
#ifndef SHMW_ERRBUF_H
#define SHMW_ERRBUF_H
#include <stddef.h>

void shmw_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
