/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Minimal unit-test checks. Each check prints "PASS name" or "FAIL name: why"; tests/run.sh
 * counts those lines. A test binary exits 1 if any check failed. */
#ifndef SHMW_CHECK_H
#define SHMW_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed;

#define CHECK(name, cond)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("PASS %s\n", name);                                                 \
		} else {                                                                           \
			printf("FAIL %s: %s:%d: %s\n", name, __FILE__, __LINE__, #cond);           \
			check_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_STR(name, got, want)                                                                 \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                                             \
			printf("PASS %s\n", name);                                                 \
		} else {                                                                           \
			printf("FAIL %s: %s:%d: got \"%s\", want \"%s\"\n", name, __FILE__,        \
			       __LINE__, g_ ? g_ : "(null)", w_ ? w_ : "(null)");                  \
			check_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_INT(name, got, want)                                                                 \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (g_ == w_) {                                                                    \
			printf("PASS %s\n", name);                                                 \
		} else {                                                                           \
			printf("FAIL %s: %s:%d: got %lld, want %lld\n", name, __FILE__, __LINE__,  \
			       g_, w_);                                                            \
			check_failed = 1;                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_DONE() (check_failed ? 1 : 0)

/* The load factor tests/run.sh measured (SHMW_LOAD_FACTOR, at least 1): the upper bounds of time
 * windows are scaled by it; lower bounds never are. */
static inline double check_load_factor(void)
{
	const char *s = getenv("SHMW_LOAD_FACTOR");
	double f = s ? strtod(s, NULL) : 1.0;

	return f > 1.0 ? f : 1.0;
}
#endif
