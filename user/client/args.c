// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Argument values: see args.h. */
#include "args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool shmw_parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool shmw_parse_key(const char *s, uint32_t *key)
{
	unsigned long long v;
	long long n;
	char *end;

	if (!s)
		return false;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
		/* strtoull would take a sign or blanks after the 0x: only hex digits here. */
		if (!s[2] || strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2) ||
		    strlen(s + 2) > 8)
			return false;
		errno = 0;
		v = strtoull(s + 2, &end, 16);
		if (errno || *end)
			return false;
		*key = (uint32_t)v;
		return true;
	}
	if (s[0] == '-') {
		if (!shmw_parse_num(s + 1, 1, 2147483648LL, &n))
			return false;
		*key = (uint32_t)(int32_t)(-n);
		return true;
	}
	if (!shmw_parse_num(s, 0, UINT32_MAX, &n))
		return false;
	*key = (uint32_t)n;
	return true;
}

bool shmw_valid_user(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || (c == '$' && i == n - 1)))
			return false;
	}
	return true;
}
