// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Dropping capabilities after load (see privs.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "privs.h"

static const cap_value_t keep[] = {CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_IPC_OWNER};
#define NKEEP (sizeof(keep) / sizeof(keep[0]))

static int fail(char *err, size_t errlen, const char *what)
{
	int e = errno;

	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -e;
}

static bool kept(cap_value_t c)
{
	for (size_t i = 0; i < NKEEP; i++)
		if (keep[i] == c)
			return true;
	return false;
}

int shmw_drop_privileges(char *err, size_t errlen)
{
	cap_t caps;
	int ret = 0;

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which goes next. Without
	 * CAP_SETPCAP (a service manager already bounded us) the bounding set stays as given. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (kept(c) || !CAP_IS_SUPPORTED(c))
			continue;
		if (cap_drop_bound(c) && errno != EINVAL) {
			if (errno == EPERM)
				break;
			return fail(err, errlen, "cannot drop from the capability bounding set");
		}
	}
	caps = cap_init(); /* all clear */
	if (!caps)
		return fail(err, errlen, "cap_init");
	if (cap_set_flag(caps, CAP_EFFECTIVE, NKEEP, keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_PERMITTED, NKEEP, keep, CAP_SET) || cap_set_proc(caps))
		ret = fail(err, errlen, "cannot set capabilities");
	cap_free(caps);
	if (ret)
		return ret;
	if (cap_reset_ambient() && errno != EINVAL)
		return fail(err, errlen, "cannot clear ambient capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail(err, errlen, "cannot set no_new_privs");
	return 0;
}
