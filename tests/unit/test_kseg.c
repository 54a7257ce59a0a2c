// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for shmw_kseg_parse (user/daemon/core/kseg.c): one data line of /proc/sysvipc/shm.
 * The lines below were captured from /proc/sysvipc/shm (Debian 12, Linux 6.1) after creating
 * segments with a small program: a key >= 0x80000000 (printed negative), IPC_PRIVATE, one
 * attached and then marked for destruction (key 0, perms 1640), one created by uid 3000/gid 2000
 * and then given to uid 4000/gid 5000 with IPC_SET. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "kseg.h"

static const char header[] =
    "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  "
    "cgid      atime      dtime      ctime                   rss                  swap\n";

/* ipcmk-style key 0x1234abcd, detached (dtime set), nattch 0. */
static const char line_detached[] =
    " 305441741          6   640                 12288 16205 16205      0     0     0     0     "
    "0 1795857734 1795857736 1795857734                     0                     0\n";

/* key 0xdeadbeef: printed as a signed int. */
static const char line_negkey[] =
    "-559038737         11   600                  4096 30434 30434      1     0     0     0     "
    "0 1795857793          0 1795857793                     0                     0\n";

/* IPC_PRIVATE, never attached: lpid 0, atime 0. */
static const char line_private[] =
    "         0         12   644                  5000 30434     0      0     0     0     0     "
    "0          0          0 1795857793                     0                     0\n";

/* Marked for destruction while attached twice: key reads 0, perms has 01000, rss 4096. */
static const char line_dest[] =
    "         0         13  1640               1048576 30434 30434      2     0     0     0     "
    "0 1795857793          0 1795857793                  4096                     0\n";

/* 8 GiB, key 0x7ffffffe, distinct owner and creator ids. */
static const char line_ids[] =
    "2147483646         57   660            8589934592 16646     0      0  4000  5000  3000  "
    "2000          0          0 1795858077                     0                     0\n";

/* Fills k with garbage, parses, returns the result. */
static int parse(const char *line, struct shmw_kseg *k)
{
	memset(k, 0xa5, sizeof(*k));
	return shmw_kseg_parse(line, k);
}

static void test_real_lines(void)
{
	struct shmw_kseg k;

	CHECK_INT("detached parses", parse(line_detached, &k), 0);
	CHECK_INT("detached key", k.key, 0x1234abcd);
	CHECK_INT("detached shmid", k.shmid, 6);
	CHECK_INT("detached perms octal", k.perms, 0640);
	CHECK_INT("detached size", k.size, 12288);
	CHECK_INT("detached cpid", k.cpid, 16205);
	CHECK_INT("detached lpid", k.lpid, 16205);
	CHECK_INT("detached nattch", k.nattch, 0);
	CHECK_INT("detached uid", k.uid, 0);
	CHECK_INT("detached gid", k.gid, 0);
	CHECK_INT("detached cuid", k.cuid, 0);
	CHECK_INT("detached cgid", k.cgid, 0);
	CHECK_INT("detached atime", k.atime, 1795857734);
	CHECK_INT("detached dtime", k.dtime, 1795857736);
	CHECK_INT("detached ctime", k.ctime, 1795857734);
	CHECK_INT("detached rss", k.rss, 0);
	CHECK_INT("detached swap", k.swap, 0);
	CHECK_INT("detached ns left 0 for the caller", k.ns, 0);
	CHECK("detached not dest", !(k.perms & SHMW_SHM_DEST));

	CHECK_INT("negative key parses", parse(line_negkey, &k), 0);
	CHECK_INT("negative key is 0xdeadbeef", k.key, 0xdeadbeefu);
	CHECK_INT("negative key shmid", k.shmid, 11);
	CHECK_INT("negative key perms", k.perms, 0600);
	CHECK_INT("negative key size", k.size, 4096);
	CHECK_INT("negative key nattch", k.nattch, 1);
	CHECK_INT("negative key dtime", k.dtime, 0);

	CHECK_INT("private parses", parse(line_private, &k), 0);
	CHECK_INT("private key 0", k.key, 0);
	CHECK_INT("private shmid", k.shmid, 12);
	CHECK_INT("private perms", k.perms, 0644);
	CHECK_INT("private size not page aligned", k.size, 5000);
	CHECK_INT("private lpid 0", k.lpid, 0);
	CHECK_INT("private atime 0", k.atime, 0);
	CHECK_INT("private ctime", k.ctime, 1795857793);
	CHECK("private not dest", !(k.perms & SHMW_SHM_DEST));

	CHECK_INT("dest parses", parse(line_dest, &k), 0);
	CHECK_INT("dest key 0", k.key, 0);
	CHECK_INT("dest shmid", k.shmid, 13);
	CHECK_INT("dest perms keep the dest bit", k.perms, 01640);
	CHECK("dest marked", (k.perms & SHMW_SHM_DEST) != 0);
	CHECK_INT("dest mode bits", k.perms & 0777, 0640);
	CHECK_INT("dest size", k.size, 1048576);
	CHECK_INT("dest nattch", k.nattch, 2);
	CHECK_INT("dest rss", k.rss, 4096);

	CHECK_INT("ids parses", parse(line_ids, &k), 0);
	CHECK_INT("ids key", k.key, 0x7ffffffe);
	CHECK_INT("ids shmid", k.shmid, 57);
	CHECK_INT("ids size above 4 GiB", k.size, 8589934592ull);
	CHECK_INT("ids uid", k.uid, 4000);
	CHECK_INT("ids gid", k.gid, 5000);
	CHECK_INT("ids cuid", k.cuid, 3000);
	CHECK_INT("ids cgid", k.cgid, 2000);
	CHECK_INT("ids cpid", k.cpid, 16646);
	CHECK_INT("ids perms", k.perms, 0660);
}

static void test_edge_lines(void)
{
	struct shmw_kseg k;

	/* The signed-int extremes of the key column. */
	CHECK_INT("key INT_MIN parses",
		  parse("-2147483648 3 600 4096 1 1 0 0 0 0 0 0 0 1 0 0\n", &k), 0);
	CHECK_INT("key INT_MIN is 0x80000000", k.key, 0x80000000u);
	CHECK_INT("key -1 parses", parse("-1 3 600 4096 1 1 0 0 0 0 0 0 0 1 0 0", &k), 0);
	CHECK_INT("key -1 is 0xffffffff", k.key, 0xffffffffu);
	CHECK_INT("key INT_MAX parses", parse("2147483647 3 600 4096 1 1 0 0 0 0 0 0 0 1 0 0", &k),
		  0);
	CHECK_INT("key INT_MAX", k.key, 0x7fffffffu);
	CHECK_INT("shmid 0 parses", parse("5 0 600 4096 1 1 0 0 0 0 0 0 0 1 0 0", &k), 0);
	CHECK_INT("shmid 0", k.shmid, 0);
	CHECK_INT("max shmid parses", parse("5 2147483647 600 4096 1 1 0 0 0 0 0 0 0 1 0 0", &k),
		  0);
	CHECK_INT("max shmid", k.shmid, 2147483647);

	/* Kernels before rss/swap were added print 14 columns. */
	CHECK_INT(
	    "14 columns parse",
	    parse(" 305441741          6   640                 12288 16205 16205      0     0 "
		  "    0     0     0 1795857734 1795857736 1795857734\n",
		  &k),
	    0);
	CHECK_INT("14 columns ctime", k.ctime, 1795857734);
	CHECK_INT("14 columns rss 0", k.rss, 0);
	CHECK_INT("14 columns swap 0", k.swap, 0);
	CHECK_INT("15 columns parse", parse("5 3 600 4096 1 1 0 0 0 0 0 0 0 1 77", &k), 0);
	CHECK_INT("15 columns rss", k.rss, 77);
	CHECK_INT("15 columns swap 0", k.swap, 0);
	/* Tabs and no trailing newline. */
	CHECK_INT("tabs parse",
		  parse("7\t8\t1600\t4096\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12", &k), 0);
	CHECK_INT("tabs key", k.key, 7);
	CHECK_INT("tabs perms", k.perms, 01600);
	CHECK_INT("tabs nattch", k.nattch, 3);
	CHECK_INT("tabs cgid", k.cgid, 7);
	CHECK_INT("tabs swap", k.swap, 12);
}

static void test_rejected(void)
{
	struct shmw_kseg k;

	CHECK_INT("header rejected", parse(header, &k), -EINVAL);
	CHECK_INT("empty rejected", parse("", &k), -EINVAL);
	CHECK_INT("newline rejected", parse("\n", &k), -EINVAL);
	CHECK_INT("blank rejected", parse("     \t  \n", &k), -EINVAL);
	CHECK_INT("garbage rejected", parse("hello world\n", &k), -EINVAL);
	CHECK_INT("binary garbage rejected", parse("\x01\x02\xff\xfe", &k), -EINVAL);
	CHECK_INT("word in perms rejected", parse("5 3 rw- 4096 1 1 0 0 0 0 0 0 0 1 0 0", &k),
		  -EINVAL);
	CHECK_INT("word in nattch rejected", parse("5 3 600 4096 1 1 many 0 0 0 0 0 0 1 0 0", &k),
		  -EINVAL);
	/* Short lines: a truncated read. */
	CHECK_INT(
	    "13 columns rejected",
	    parse(" 305441741          6   640                 12288 16205 16205      0     0 "
		  "    0     0     0 1795857734 1795857736\n",
		  &k),
	    -EINVAL);
	CHECK_INT("one column rejected", parse("305441741\n", &k), -EINVAL);
	CHECK_INT("two columns rejected", parse("305441741 6", &k), -EINVAL);
	CHECK_INT("half a real line rejected", parse("-559038737         11   600        ", &k),
		  -EINVAL);
	CHECK_INT("negative shmid rejected", parse("5 -3 600 4096 1 1 0 0 0 0 0 0 0 1 0 0", &k),
		  -EINVAL);
}

int main(void)
{
	test_real_lines();
	test_edge_lines();
	test_rejected();
	return CHECK_DONE();
}
