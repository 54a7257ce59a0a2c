/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The holder event line (docs/protocol.md "event"), formatted straight into a buffer: the
 * daemon's per-event path, where building a json-c object for each of thousands of events a
 * second cost more than the tracing. Byte for byte what json-c prints for
 * shmw_report_event() with JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE (the unit
 * test and the event fuzzer compare the two).
 */
#ifndef SHMW_EVLINE_H
#define SHMW_EVLINE_H
#include <stddef.h>
#include "shmwatch_abi.h"

#define SHMW_EVLINE_MAX 4096 /* enough for any line: comm and user names are bounded */

/* Writes the line (no newline) and a NUL into buf; returns its length, or 0 when it does not
 * fit in len bytes. */
size_t shmw_evline_format(char *buf, size_t len, const struct shmw_event *ev);
#endif
