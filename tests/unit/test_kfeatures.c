// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The refusal message names each missing kernel feature, and only those
 * (user/daemon/kern/kfeatures.c). */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "kfeatures.h"

int main(void)
{
	struct shmw_features f;
	char err[512];

	shmw_features_btf(&f, "/nonexistent/btf/vmlinux");
	CHECK_INT("missing BTF file gives ENOENT", f.btf_errno, ENOENT);
	f.ringbuf = 1;
	CHECK_INT("one thing missing", shmw_features_missing(&f, err, sizeof(err)), 1);
	CHECK("names the BTF path", strstr(err, "kernel BTF (/nonexistent/btf/vmlinux") != NULL);
	CHECK("says what provides BTF", strstr(err, "CONFIG_DEBUG_INFO_BTF") != NULL);
	CHECK("does not blame the ring buffer", strstr(err, "ring buffer") == NULL);

	f.ringbuf = 0;
	CHECK_INT("two things missing", shmw_features_missing(&f, err, sizeof(err)), 2);
	CHECK("names the ring buffer", strstr(err, "BPF ring buffer maps (Linux 5.8") != NULL);
	CHECK("still names BTF", strstr(err, "kernel BTF") != NULL);

	shmw_features_btf(&f, "/proc/self/status"); /* readable: stands in for the BTF file */
	CHECK_INT("readable BTF", f.btf_errno, 0);
	f.ringbuf = -EPERM;
	CHECK_INT("ring buffer probe refused", shmw_features_missing(&f, err, sizeof(err)), 1);
	CHECK("says why the probe failed", strstr(err, strerror(EPERM)) != NULL);
	CHECK("BTF is not blamed", strstr(err, "BTF") == NULL);

	f.ringbuf = 1;
	CHECK_INT("nothing missing", shmw_features_missing(&f, err, sizeof(err)), 0);
	CHECK_STR("no message", err, "");

	shmw_features_btf(&f, "/nonexistent");
	f.ringbuf = 0;
	CHECK_INT("tiny buffer still counts", shmw_features_missing(&f, err, 8), 2);
	CHECK_INT("tiny buffer is terminated", (long long)strlen(err), 7);
	return check_failed;
}
