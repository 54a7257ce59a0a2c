/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Parsing the values of shmwatch's arguments: pure functions, unit-tested (test_columns.c). */
#ifndef SHMW_ARGS_H
#define SHMW_ARGS_H
#include <stdbool.h>
#include <stdint.h>

/* Decimal only, so "010" is not octal and "0x10" is refused; no sign, no blanks. */
bool shmw_parse_num(const char *s, long long min, long long max, long long *out);

/* A System V key as ipcrm -M takes one: "0x" and hex digits, or decimal (a negative one, as
 * some tools print key_t, from -2147483648). Returns false for anything else or out of 32 bits. */
bool shmw_parse_key(const char *s, uint32_t *key);

/* A user for ls --user: a name (as useradd allows: letters, digits, '.', '_', '-', and a
 * trailing '$') or a decimal uid, at most 64 bytes. */
bool shmw_valid_user(const char *s);
#endif
