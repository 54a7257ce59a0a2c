// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* uid -> user name (user/daemon/core/procinfo.c): names, numbers for unknown uids, cache lifetime.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "procinfo.h"

#define UNUSED_UID 3999999u

static void test_container_id(void)
{
	static const char *const id =
	    "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
	static const struct {
		const char *cgroup;
		int found;
	} cases[] = {
	    {"/system.slice/docker-4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
	     ".scope",
	     1},
	    {"/docker/4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c", 1},
	    {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/"
	     "cri-containerd-4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c."
	     "scope",
	     1},
	    {"/machine.slice/"
	     "libpod-4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"
	     ".scope/container",
	     1},
	    {"/kubepods/besteffort/pod5678/"
	     "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
	     1},
	    {"/system.slice/postgresql@15-main.service", 0},
	    {"/user.slice/user-1000.slice/session-2.scope", 0},
	    {"/", 0},
	    /* 63 hex digits, or 64 inside a longer run: not an id. */
	    {"/docker/4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1", 0},
	    {"/docker/4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1cc", 0},
	};
	char got[65], label[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = shmw_container_id(cases[i].cgroup, got, sizeof(got));

		snprintf(label, sizeof(label), "container id case %zu found", i);
		CHECK_INT(label, r, cases[i].found);
		snprintf(label, sizeof(label), "container id case %zu value", i);
		CHECK_STR(label, got, cases[i].found ? id : "");
	}
	CHECK_INT("nspid of ourselves (no pid namespace)", shmw_proc_nspid((uint32_t)getpid()),
		  (uint32_t)getpid());
	CHECK_INT("nspid of no process", shmw_proc_nspid(3999999), 0);
}

int main(void)
{
	test_container_id();
	const char *root, *unknown, *again;
	char want[32];

	root = shmw_user_name(0);
	CHECK_STR("uid 0 is root", root, "root");

	/* The test only means something if the uid really has no passwd entry here. */
	if (getpwuid(UNUSED_UID)) {
		printf("FAIL uid %u unexpectedly exists on this system\n", UNUSED_UID);
		check_failed = 1;
	}
	unknown = shmw_user_name(UNUSED_UID);
	CHECK_STR("unused uid is its number", unknown, "3999999");
	CHECK_STR("uid 4294967295 is its number", shmw_user_name(4294967295u), "4294967295");

	/* Cached: the same string comes back. */
	CHECK("root cached", shmw_user_name(0) == root);
	CHECK("unknown cached", shmw_user_name(UNUSED_UID) == unknown);

	/* The current user, whoever runs the tests, agrees with getpwuid. */
	{
		struct passwd *pw = getpwuid(getuid());

		snprintf(want, sizeof(want), "%u", (unsigned)getuid());
		CHECK_STR("current user", shmw_user_name(getuid()), pw ? pw->pw_name : want);
	}

	/* Evictions: uids 256, 512, ... share root's slot in a 256-entry cache (and any sane
	 * cache is smaller than 5000 entries). The string handed out for root stays valid and
	 * unchanged until the cache is cleared, as procinfo.h promises. */
	for (uint32_t u = 256; u <= 256u * 5000; u += 256) {
		const char *n = shmw_user_name(UNUSED_UID + u);

		snprintf(want, sizeof(want), "%u", UNUSED_UID + u);
		if (strcmp(n, want) != 0) {
			CHECK_STR("evicting lookups", n, want);
			break;
		}
	}
	CHECK_STR("root string survives eviction", root, "root");
	CHECK_STR("unknown string survives eviction", unknown, "3999999");
	again = shmw_user_name(0);
	CHECK_STR("root after eviction", again, "root");
	CHECK("root after eviction is the same string", again == root);

	shmw_user_cache_clear();
	CHECK_STR("root after clear", shmw_user_name(0), "root");
	CHECK_STR("unknown after clear", shmw_user_name(UNUSED_UID), "3999999");
	shmw_user_cache_clear();
	return CHECK_DONE();
}
