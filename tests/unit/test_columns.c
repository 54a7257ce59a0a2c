// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/client/columns.c (-o lists) and user/client/args.c (keys, users, pids). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "args.h"
#include "check.h"
#include "columns.h"

/* The selection as "NAME,NAME", or the error text. */
static const char *sel(enum shmw_view v, const char *list)
{
	static char buf[512];
	const struct shmw_coldef *defs;
	struct shmw_colsel s;
	size_t n, off = 0;

	if (shmw_cols_parse(v, list, false, &s, buf, sizeof(buf)))
		return buf;
	defs = shmw_cols_of(v, &n);
	buf[0] = '\0';
	for (size_t i = 0; i < s.n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "",
					s.col[i] < n ? defs[s.col[i]].name : "?");
	return buf;
}

static void test_cols(void)
{
	struct shmw_colsel s;
	char err[256];

	CHECK_STR("lsipc names", sel(SHMW_VIEW_LS, "KEY,ID,OWNER,PERMS,SIZE,NATTCH,STATUS"),
		  "KEY,ID,OWNER,PERMS,SIZE,NATTCH,STATUS");
	CHECK_STR("times and creators",
		  sel(SHMW_VIEW_LS, "CTIME,ATTACH,DETACH,CPID,LPID,CUSER,COMMAND"),
		  "CTIME,ATTACH,DETACH,CPID,LPID,CUSER,COMMAND");
	CHECK_STR("case does not matter", sel(SHMW_VIEW_LS, "key,Id,holders,ns"),
		  "KEY,ID,HOLDERS,NS");
	CHECK_STR("aliases", sel(SHMW_VIEW_LS, "SHMID,BYTES,ATIME,DTIME"), "ID,SIZE,ATTACH,DETACH");
	CHECK_STR("a column twice is shown twice", sel(SHMW_VIEW_LS, "ID,ID"), "ID,ID");
	CHECK_STR("who columns", sel(SHMW_VIEW_WHO, "PID,COMMAND,VMAS"), "PID,COMM,VMAS");
	CHECK_STR("ps columns", sel(SHMW_VIEW_PS, "ID,SHMID,SINCE"), "SHMID,SHMID,SINCE");
	CHECK_STR("+LIST adds to the default", sel(SHMW_VIEW_LS, "+CPID"),
		  "NS,KEY,ID,OWNER,PERMS,SIZE,NATTCH,HOLDERS,STATUS,CPID");
	CHECK("unknown column names the view and its columns",
	      strstr(sel(SHMW_VIEW_LS, "KEY,FOO"), "unknown column 'FOO' for ls (NS, KEY, ID,") !=
		  NULL);
	CHECK("a who column is not an ls one",
	      strstr(sel(SHMW_VIEW_LS, "PID"), "unknown column 'PID'") != NULL);
	CHECK("an ls column is not a who one",
	      strstr(sel(SHMW_VIEW_WHO, "NATTCH"), "unknown column 'NATTCH' for who") != NULL);
	CHECK("empty list", strstr(sel(SHMW_VIEW_LS, ""), "empty column name") != NULL);
	CHECK("empty name between commas",
	      strstr(sel(SHMW_VIEW_LS, "KEY,,ID"), "empty column name") != NULL);
	CHECK("trailing comma", strstr(sel(SHMW_VIEW_LS, "KEY,"), "empty column name") != NULL);
	CHECK("a prefix is no name", strstr(sel(SHMW_VIEW_LS, "KE"), "unknown column") != NULL);
	CHECK(
	    "too many columns",
	    strstr(sel(SHMW_VIEW_LS, "ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,"
				     "ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID,ID"),
		   "more than 38 columns") != NULL);
	shmw_cols_default(SHMW_VIEW_LS, false, &s);
	CHECK("ls default: 9 columns, NS shown only across namespaces", s.n == 9 && s.auto_ns);
	shmw_cols_default(SHMW_VIEW_LS, true, &s);
	CHECK_INT("ls -t: 3 more", s.n, 12);
	CHECK_INT("ls -t: ends with CTIME", s.col[s.n - 1], SHMW_LS_CTIME);
	shmw_cols_default(SHMW_VIEW_WHO, false, &s);
	CHECK("who default: all 6, no NS", s.n == SHMW_WHO_NCOLS && !s.auto_ns);
	CHECK_INT("+LIST with -t keeps the times",
		  shmw_cols_parse(SHMW_VIEW_LS, "+UID", true, &s, err, sizeof(err)) == 0 ? s.n : 0,
		  13);
	CHECK("an explicit list shows NS always",
	      shmw_cols_parse(SHMW_VIEW_LS, "NS,ID", false, &s, err, sizeof(err)) == 0 &&
		  !s.auto_ns);
}

static void test_keys(void)
{
	uint32_t k = 1;

	CHECK("0x hex", shmw_parse_key("0x0052e2c1", &k) && k == 0x0052e2c1);
	CHECK("0X and upper case", shmw_parse_key("0XDEADBEEF", &k) && k == 0xdeadbeef);
	CHECK("decimal", shmw_parse_key("5432001", &k) && k == 5432001);
	CHECK("decimal 0 (IPC_PRIVATE: the daemon refuses it)", shmw_parse_key("0", &k) && k == 0);
	CHECK("largest", shmw_parse_key("4294967295", &k) && k == 0xffffffffu);
	CHECK("negative, as key_t prints", shmw_parse_key("-1", &k) && k == 0xffffffffu);
	CHECK("most negative", shmw_parse_key("-2147483648", &k) && k == 0x80000000u);
	CHECK("too large", !shmw_parse_key("4294967296", &k));
	CHECK("too negative", !shmw_parse_key("-2147483649", &k));
	CHECK("9 hex digits", !shmw_parse_key("0x100000000", &k));
	CHECK("0x alone", !shmw_parse_key("0x", &k));
	CHECK("not hex", !shmw_parse_key("0xzz", &k));
	CHECK("sign after 0x", !shmw_parse_key("0x-1", &k));
	CHECK("blank", !shmw_parse_key(" 1", &k));
	CHECK("trailing junk", !shmw_parse_key("12abc", &k));
	CHECK("empty", !shmw_parse_key("", &k));
	CHECK("-0 is no key", !shmw_parse_key("-0", &k));
}

static void test_users_and_nums(void)
{
	long long v;

	CHECK("user name", shmw_valid_user("postgres"));
	CHECK("uid", shmw_valid_user("1000"));
	CHECK("machine account", shmw_valid_user("host$"));
	CHECK("dots, dashes, underscores", shmw_valid_user("a.b-c_d"));
	CHECK("no leading dash", !shmw_valid_user("-x"));
	CHECK("no blank", !shmw_valid_user("a b"));
	CHECK("no $ inside", !shmw_valid_user("a$b"));
	CHECK("not empty", !shmw_valid_user(""));
	CHECK(
	    "65 bytes is too long",
	    !shmw_valid_user("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK("num", shmw_parse_num("42", 1, 100, &v) && v == 42);
	CHECK("num: no octal surprise", shmw_parse_num("010", 0, 100, &v) && v == 10);
	CHECK("num: no hex", !shmw_parse_num("0x10", 0, 100, &v));
	CHECK("num: no sign", !shmw_parse_num("-1", -5, 100, &v));
	CHECK("num: range", !shmw_parse_num("101", 0, 100, &v));
}

int main(void)
{
	test_cols();
	test_keys();
	test_users_and_nums();
	return CHECK_DONE();
}
