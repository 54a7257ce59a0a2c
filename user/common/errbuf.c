// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The caller's error buffer (errbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include "errbuf.h"

void shmw_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
