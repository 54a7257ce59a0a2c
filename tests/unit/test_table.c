// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/client/table.c: alignment, human sizes, headers, NS column, hostile strings.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <json-c/json.h>

#include "check.h"
#include "columns.h"
#include "table.h"

typedef int (*table_fn)(FILE *, json_object *, const struct shmw_table_opts *);

/* Runs fn on the JSON text with options o and returns what it printed (static buffer, replaced
 * each call). */
static const char *render_o(table_fn fn, const char *json, const struct shmw_table_opts *o)
{
	static char *out;
	json_object *obj = json_tokener_parse(json);
	size_t len;
	FILE *f;
	int ret;

	free(out);
	out = NULL;
	if (!obj)
		return "(bad test JSON)";
	f = open_memstream(&out, &len);
	if (!f) {
		json_object_put(obj);
		return "(open_memstream failed)";
	}
	ret = fn(f, obj, o);
	fclose(f);
	json_object_put(obj);
	return ret ? "(table function failed)" : out;
}

/* render_o with only the headers and sizes options. */
static const char *render(table_fn fn, const char *json, bool no_headers, bool human)
{
	struct shmw_table_opts o = {.no_headers = no_headers, .human = human};

	return render_o(fn, json, &o);
}

static const char *size(uint64_t bytes, bool human)
{
	static char buf[32];

	if (shmw_fmt_size(buf, sizeof(buf), bytes, human))
		return "(error)";
	return buf;
}

static void test_sizes(void)
{
	char small[4];

	CHECK_STR("size bytes", size(303038464, false), "303038464");
	CHECK_STR("size 0", size(0, true), "0B");
	CHECK_STR("size 1023", size(1023, true), "1023B");
	CHECK_STR("size 1024", size(1024, true), "1K");
	CHECK_STR("size 1075 rounds down", size(1075, true), "1K"); /* 1.0498K */
	CHECK_STR("size 1076 rounds up", size(1076, true), "1.1K"); /* 1.0508K */
	CHECK_STR("size 1536", size(1536, true), "1.5K");
	CHECK_STR("size 4096", size(4096, true), "4K");
	CHECK_STR("size 2047", size(2047, true), "2K"); /* 1.999K */
	CHECK_STR("size 1048575 rolls over to M", size(1048575, true), "1M");
	CHECK_STR("size 1048576", size(1048576, true), "1M");
	CHECK_STR("size 16K, as lsipc prints 16384", size(16384, true), "16K");
	CHECK_STR("size 1.5M, as lsipc prints 1572864", size(1572864, true), "1.5M");
	CHECK_STR("size 289M", size(303038464, true), "289M");
	CHECK_STR("size 1.5G", size(1610612736, true), "1.5G");
	CHECK_STR("size 1G - 1", size((1ULL << 30) - 1, true), "1G");
	CHECK_STR("size 1T", size(1ULL << 40, true), "1T");
	CHECK_STR("size uint64 max", size(UINT64_MAX, true), "16E");
	CHECK_INT("size buffer too small", shmw_fmt_size(small, sizeof(small), 1536, true), -1);
	CHECK_INT("size buffer just fits", shmw_fmt_size(small, sizeof(small), 1024, true), 0);
}

/* Two holders whose user and comm are longer than the headers. */
static const char who_json[] =
    "{\"ok\":true,\"shmid\":393216,\"ns\":4026531839,\"key\":305441741,\"size\":303038464,"
    "\"status\":\"dest\",\"key_now\":0,\"nattch\":1,\"perms\":\"0640\",\"uid\":0,\"cuid\":0,"
    "\"cpid\":1,\"lpid\":1,\"holders\":["
    "{\"pid\":1234,\"comm\":\"postgres\",\"uid\":1000,\"user\":\"pg\","
    "\"since\":\"2026-11-28T09:03:57.123456Z\",\"how\":\"shmat\",\"vmas\":2,\"mm\":\"a\","
    "\"role\":\"owner\"},"
    "{\"pid\":4194304,\"comm\":\"a-very-long-com\",\"uid\":1001,\"user\":\"verylongusername\","
    "\"since\":\"2026-11-28T10:00:00.000000Z\",\"how\":\"fork\",\"vmas\":12,\"mm\":\"b\","
    "\"role\":\"owner\"}]}";

static void test_who(void)
{
	CHECK_STR("who table", render(shmw_table_who, who_json, false, true),
		  "shmid 393216  key 0x1234abcd  size 289M  status dest  nattch 1\n"
		  "    PID  USER              COMM             SINCE                HOW    VMAS\n"
		  "   1234  pg                postgres         2026-11-28 09:03:57  shmat     2\n"
		  "4194304  verylongusername  a-very-long-com  2026-11-28 10:00:00  fork     12\n");
	{
		const char *want =
		    "shmid 393216  key 0x1234abcd  size 303038464  status dest  nattch 1\n";

		CHECK("who bytes without -h",
		      !strncmp(render(shmw_table_who, who_json, false, false), want, strlen(want)));
	}
	CHECK_STR("who no headers", render(shmw_table_who, who_json, true, false),
		  "   1234  pg                postgres         2026-11-28 09:03:57  shmat   2\n"
		  "4194304  verylongusername  a-very-long-com  2026-11-28 10:00:00  fork   12\n");
	CHECK_STR("who no holders",
		  render(shmw_table_who,
			 "{\"ok\":true,\"shmid\":5,\"key\":0,\"size\":100,\"status\":\"active\","
			 "\"nattch\":-1,\"holders\":[]}",
			 false, false),
		  "shmid 5  key 0x00000000  size 100  status active  nattch ?\n"
		  "PID  USER  COMM  SINCE  HOW  VMAS\n");
}

/* who asked with "rows": the same table from arrays; columns found by name, in any order. */
static void test_who_rows(void)
{
	CHECK_STR(
	    "who rows table",
	    render(shmw_table_who,
		   "{\"ok\":true,\"shmid\":393216,\"ns\":4026531839,\"key\":305441741,"
		   "\"size\":303038464,\"status\":\"dest\",\"key_now\":0,\"nattch\":1,"
		   "\"columns\":[\"pid\",\"user\",\"comm\",\"since\",\"how\",\"vmas\"],\"rows\":["
		   "[1234,\"pg\",\"postgres\",\"2026-11-28T09:03:57.123456Z\",\"shmat\",2],"
		   "[4194304,\"verylongusername\",\"a-very-long-com\","
		   "\"2026-11-28T10:00:00.000000Z\",\"fork\",12]]}",
		   false, true),
	    "shmid 393216  key 0x1234abcd  size 289M  status dest  nattch 1\n"
	    "    PID  USER              COMM             SINCE                HOW    VMAS\n"
	    "   1234  pg                postgres         2026-11-28 09:03:57  shmat     2\n"
	    "4194304  verylongusername  a-very-long-com  2026-11-28 10:00:00  fork     12\n");
	CHECK_STR("who rows: other order, unknown and missing columns, short rows",
		  render(shmw_table_who,
			 "{\"ok\":true,\"columns\":[\"vmas\",\"new\",\"pid\",\"comm\"],"
			 "\"rows\":[[3,\"x\",7,\"ev\\u001bl\"],[4],\"junk\"]}",
			 true, false),
		  "7  -  ev\\x1bl  -  -  3\n"
		  "-  -  -        -  -  4\n"
		  "-  -  -        -  -  -\n");
}

/* The text rows of a who "lines" answer, given one by one from a copy of text. */
struct lines_src {
	char *buf, *p;
	size_t given, fail_at; /* fail_at: the source fails at that row (0: never) */
};

static int next_row(void *arg, char **line, size_t *len)
{
	struct lines_src *src = arg;
	char *nl;

	if (++src->given == src->fail_at)
		return -1;
	if (!src->p || !(nl = strchr(src->p, '\n')))
		return 1;
	*nl = '\0';
	*line = src->p;
	*len = (size_t)(nl - src->p);
	src->p = nl + 1;
	return 0;
}

/* Runs shmw_table_who_lines on the header JSON and the rows text. */
static const char *render_lines(const char *header, const char *rows, bool no_headers, bool human,
				size_t fail_at, int *ret)
{
	static char *out;
	struct shmw_table_opts o = {.no_headers = no_headers, .human = human};
	struct lines_src src = {.fail_at = fail_at};
	json_object *obj = json_tokener_parse(header);
	size_t len;
	FILE *f;

	free(out);
	out = NULL;
	if (!obj)
		return "(bad test JSON)";
	src.buf = src.p = strdup(rows);
	f = open_memstream(&out, &len);
	if (!f || !src.buf) {
		json_object_put(obj);
		free(src.buf);
		return "(setup failed)";
	}
	*ret = shmw_table_who_lines(f, obj, next_row, &src, &o);
	fclose(f);
	json_object_put(obj);
	free(src.buf);
	return *ret ? "(table function failed)" : out;
}

static const char lines_header[] =
    "{\"ok\":true,\"shmid\":393216,\"ns\":4026531839,\"key\":305441741,"
    "\"size\":303038464,\"status\":\"dest\",\"key_now\":0,\"nattch\":1,"
    "\"columns\":[\"pid\",\"user\",\"comm\",\"since\",\"how\",\"vmas\"]}";

/* who asked with "lines": the same table from text rows; escapes decoded, then escaped again
 * for the terminal (escape.h: a backslash shows doubled). */
static void test_who_lines(void)
{
	int ret = 0;

	CHECK_STR("who lines table",
		  render_lines(lines_header,
			       "1234\tpg\tpostgres\t2026-11-28T09:03:57.123456Z\tshmat\t2\n"
			       "4194304\tverylongusername\ta-very-long-com\t"
			       "2026-11-28T10:00:00.000000Z\tfork\t12\n",
			       false, true, 0, &ret),
		  "shmid 393216  key 0x1234abcd  size 289M  status dest  nattch 1\n"
		  "    PID  USER              COMM             SINCE                HOW    VMAS\n"
		  "   1234  pg                postgres         2026-11-28 09:03:57  shmat     2\n"
		  "4194304  verylongusername  a-very-long-com  2026-11-28 10:00:00  fork     12\n");
	CHECK_STR("who lines: other order, unknown and missing columns, short rows",
		  render_lines("{\"ok\":true,\"columns\":[\"vmas\",\"new\",\"pid\",\"comm\"],"
			       "}",
			       "3\tx\t7\tev\\x1bl\n4\n\n", true, false, 0, &ret),
		  "7  -  ev\\x1bl  -  -  3\n"
		  "-  -  -        -  -  4\n"
		  "-  -  -        -  -  -\n");
	CHECK_STR("who lines: escapes, tabs and newlines in comm, UTF-8, odd values",
		  render_lines(lines_header,
			       "07\tu\\x5cv\ta\\x09b\\x0ac\\x7fd\t-\tshmat\t-0\n"
			       "-5\t\xc3\xa9t\xc3\xa9\tx\\\\y\\xZZ\\x4\tnot a time\tfork\t1x\n",
			       true, false, 0, &ret),
		  " 7  u\\\\v  a\\tb\\nc\\x7fd     -           shmat  0\n"
		  "-5  \xc3\xa9t\xc3\xa9   x\\\\\\\\y\\\\xZZ\\\\x4  not a time  fork   -\n");
	CHECK_STR("who lines: no holders",
		  render_lines("{\"ok\":true,\"shmid\":5,\"key\":0,\"size\":100,\"status\":"
			       "\"active\",\"nattch\":-1,\"columns\":[\"pid\"]}",
			       "", false, false, 0, &ret),
		  "shmid 5  key 0x00000000  size 100  status active  nattch ?\n"
		  "PID  USER  COMM  SINCE  HOW  VMAS\n");
	render_lines(lines_header, "1\tu\tc\t-\tshmat\t1\n2\tu\tc\t-\tshmat\t1\n", false, false, 2,
		     &ret);
	CHECK_INT("who lines: a failing source is reported as such", ret, SHMW_TABLE_ESOURCE);
}

/* Many holders, every form: "holders" objects, "rows" arrays and "lines" text print the same
 * bytes, with times across a day change (one cached second must not leak into the next). */
static void test_who_many(void)
{
	const char *head = "{\"ok\":true,\"shmid\":7,\"key\":1,\"size\":4096,\"status\":\"active\","
			   "\"nattch\":3000,";
	char *holders = NULL, *rows = NULL, *lines = NULL, *want = NULL;
	size_t hl, rl, ll;
	FILE *h = open_memstream(&holders, &hl), *r = open_memstream(&rows, &rl),
	     *l = open_memstream(&lines, &ll);
	int ret = 0;

	if (!h || !r || !l) {
		CHECK("who many: setup", false);
		return;
	}
	fprintf(h, "%s\"holders\":[", head);
	fprintf(r,
		"%s\"columns\":[\"pid\",\"user\",\"comm\",\"since\",\"how\",\"vmas\"],\"rows\":[",
		head);
	for (int i = 0; i < 3000; i++) {
		/* 86395 + i / 7: seconds on both sides of midnight, several rows each. */
		unsigned s = 1764288000u + 86395 + (unsigned)i / 7, us = (unsigned)i * 37 % 1000000;
		time_t t = (time_t)s;
		struct tm tm;
		char since[64], comm[32], user[16];
		const char *how = i % 3 ? "shmat" : "fork";

		gmtime_r(&t, &tm);
		snprintf(since, sizeof(since), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, us);
		snprintf(comm, sizeof(comm), "worker-%d", i * 7919 % 100000);
		snprintf(user, sizeof(user), "u%d", i % 11 ? 1000 : 42);
		fprintf(h,
			"%s{\"pid\":%d,\"comm\":\"%s\",\"user\":\"%s\",\"since\":\"%s\","
			"\"how\":\"%s\",\"vmas\":%d}",
			i ? "," : "", 100 + i * 13, comm, user, since, how, 1 + i % 5 * i);
		fprintf(r, "%s[%d,\"%s\",\"%s\",\"%s\",\"%s\",%d]", i ? "," : "", 100 + i * 13,
			user, comm, since, how, 1 + i % 5 * i);
		fprintf(l, "%d\t%s\t%s\t%s\t%s\t%d\n", 100 + i * 13, user, comm, since, how,
			1 + i % 5 * i);
	}
	fputs("]}", h);
	fputs("]}", r);
	fclose(h);
	fclose(r);
	fclose(l);
	want = strdup(render(shmw_table_who, holders, false, false));
	{
		size_t nl = 0;

		for (const char *c = want; c && *c; c++)
			nl += *c == '\n';
		CHECK(
		    "who many: the holders table has every row, across midnight",
		    nl == 3002 &&
			strstr(want, "\n  100  u42    worker-0      2025-11-28 23:59:55  fork ") &&
			strstr(want, "2025-11-28 23:59:59") && strstr(want, "2025-11-29 00:00:00"));
	}
	CHECK_STR("who many: rows as holders", render(shmw_table_who, rows, false, false),
		  want ? want : "");
	{
		char *hdr = NULL;

		if (asprintf(
			&hdr,
			"%s\"columns\":[\"pid\",\"user\",\"comm\",\"since\",\"how\",\"vmas\"]}",
			head) < 0)
			hdr = NULL;
		CHECK_STR("who many: lines as holders",
			  hdr ? render_lines(hdr, lines, false, false, 0, &ret) : "(oom)",
			  want ? want : "");
		free(hdr);
	}
	free(want);
	free(holders);
	free(rows);
	free(lines);
}

/* A comm is whatever the process chose: escape sequences must not reach the terminal (they
 * show escaped, as in the daemon's log lines), and missing fields must not crash or shift
 * columns. */
static void test_hostile_and_missing(void)
{
	CHECK_STR("who escapes comm",
		  render(shmw_table_who,
			 "{\"ok\":true,\"shmid\":5,\"key\":1,\"size\":1,\"status\":\"active\","
			 "\"nattch\":1,\"holders\":[{\"pid\":7,\"comm\":\"ev\\u001b[2Jl\\nx\","
			 "\"user\":\"u\",\"since\":\"not a time\",\"how\":\"shmat\",\"vmas\":1}]}",
			 true, false),
		  "7  u  ev\\x1b[2Jl\\nx  not a time  shmat  1\n");
	CHECK_STR(
	    "who missing fields",
	    render(shmw_table_who, "{\"ok\":true,\"holders\":[{\"pid\":\"7\"}]}", false, false),
	    "shmid -  key -  size -  status -  nattch -\n"
	    "PID  USER  COMM  SINCE  HOW  VMAS\n"
	    "  -  -     -     -      -       -\n");
}

static const char ls_one_ns[] =
    "{\"ok\":true,\"namespaces\":[4026531839],\"segments\":["
    "{\"ns\":4026531839,\"shmid\":0,\"key\":-1,\"size\":1536,\"perms\":\"0600\","
    "\"status\":\"active\",\"nattch\":-1,\"holders\":0,\"uid\":0,\"user\":\"root\",\"cpid\":1,"
    "\"lpid\":2},"
    "{\"ns\":4026531839,\"shmid\":393216,\"key\":305441741,\"size\":303038464,"
    "\"perms\":\"0640\",\"status\":\"dest\",\"nattch\":12,\"holders\":12,\"uid\":0,"
    "\"user\":\"postgres\",\"cpid\":1,\"lpid\":2}]}";

static const char ls_two_ns[] =
    "{\"ok\":true,\"namespaces\":[4026531839,4026532500],\"segments\":["
    "{\"ns\":4026531839,\"shmid\":0,\"key\":1,\"size\":4096,\"perms\":\"0600\","
    "\"status\":\"active\",\"nattch\":1,\"holders\":1,\"uid\":0,\"user\":\"root\",\"cpid\":1,"
    "\"lpid\":2},"
    "{\"ns\":4026532500,\"shmid\":0,\"key\":2,\"size\":4096,\"perms\":\"0600\","
    "\"status\":\"active\",\"nattch\":1,\"holders\":1,\"uid\":0,\"user\":\"root\",\"cpid\":1,"
    "\"lpid\":2}]}";

static void test_ls(void)
{
	CHECK_STR("ls one namespace", render(shmw_table_ls, ls_one_ns, false, false),
		  "KEY             ID  OWNER     PERMS       SIZE  NATTCH  HOLDERS  STATUS\n"
		  "0xffffffff       0  root      0600        1536       ?        0  active\n"
		  "0x1234abcd  393216  postgres  0640   303038464      12       12  dest\n");
	CHECK_STR("ls human", render(shmw_table_ls, ls_one_ns, false, true),
		  "KEY             ID  OWNER     PERMS  SIZE  NATTCH  HOLDERS  STATUS\n"
		  "0xffffffff       0  root      0600   1.5K       ?        0  active\n"
		  "0x1234abcd  393216  postgres  0640   289M      12       12  dest\n");
	CHECK_STR("ls two namespaces", render(shmw_table_ls, ls_two_ns, false, false),
		  "        NS  KEY         ID  OWNER  PERMS  SIZE  NATTCH  HOLDERS  STATUS\n"
		  "4026531839  0x00000001   0  root   0600   4096       1        1  active\n"
		  "4026532500  0x00000002   0  root   0600   4096       1        1  active\n");
	CHECK_STR("ls no headers", render(shmw_table_ls, ls_two_ns, true, false),
		  "4026531839  0x00000001  0  root  0600  4096  1  1  active\n"
		  "4026532500  0x00000002  0  root  0600  4096  1  1  active\n");
	/* The daemon knows two namespaces; the one with segments is named, to tell which. */
	CHECK_STR("ls two namespaces known, one used",
		  render(shmw_table_ls,
			 "{\"ok\":true,\"namespaces\":[1,2],\"segments\":[{\"ns\":2,\"shmid\":9}]}",
			 false, false),
		  "NS  KEY  ID  OWNER  PERMS  SIZE  NATTCH  HOLDERS  STATUS\n"
		  " 2  -     9  -      -         -       -        -  -\n");
	/* The owner as the daemon names it; an older daemon's uid alone, as the number. */
	CHECK_STR("ls owner",
		  render(shmw_table_ls,
			 "{\"ok\":true,\"namespaces\":[1],\"segments\":[{\"shmid\":1,\"uid\":0,"
			 "\"user\":\"root\"},{\"shmid\":2,\"uid\":3999999},{\"shmid\":3,"
			 "\"uid\":0,\"user\":\"root\"}]}",
			 true, false),
		  "-  1  root     -  -  -  -  -\n"
		  "-  2  3999999  -  -  -  -  -\n"
		  "-  3  root     -  -  -  -  -\n");
	/* Two namespaces in the segments count even when "namespaces" is missing. */
	CHECK_STR(
	    "ls namespaces from segments",
	    render(shmw_table_ls,
		   "{\"ok\":true,\"segments\":[{\"ns\":1,\"shmid\":1},{\"ns\":2,\"shmid\":2}]}",
		   true, false),
	    "1  -  1  -  -  -  -  -  -\n"
	    "2  -  2  -  -  -  -  -  -\n");
	CHECK_STR(
	    "ls empty",
	    render(shmw_table_ls, "{\"ok\":true,\"namespaces\":[1],\"segments\":[]}", false, false),
	    "KEY  ID  OWNER  PERMS  SIZE  NATTCH  HOLDERS  STATUS\n");
}

static void test_ps(void)
{
	const char *one =
	    "{\"ok\":true,\"pid\":1234,\"comm\":\"postgres\",\"uid\":1000,\"user\":\"pg\","
	    "\"segments\":[{\"shmid\":393216,\"ns\":7,\"key\":305441741,\"size\":4096,"
	    "\"status\":\"active\",\"since\":\"2026-11-28T09:03:57.5Z\",\"how\":\"seed\","
	    "\"vmas\":1,\"mm\":\"a\",\"role\":\"owner\"},{\"shmid\":3,\"ns\":7,\"key\":0,"
	    "\"size\":1610612736,\"status\":\"dest\",\"since\":\"2026-11-28T09:03:58Z\","
	    "\"how\":\"shmat\",\"vmas\":10,\"mm\":\"a\",\"role\":\"owner\"}]}";
	const char *two =
	    "{\"ok\":true,\"pid\":1,\"comm\":\"x\",\"user\":\"root\",\"segments\":["
	    "{\"shmid\":1,\"ns\":7,\"key\":1,\"size\":1,\"status\":\"active\",\"since\":\"-\","
	    "\"how\":\"seed\",\"vmas\":1},{\"shmid\":1,\"ns\":8,\"key\":1,\"size\":1,"
	    "\"status\":\"active\",\"since\":\"-\",\"how\":\"seed\",\"vmas\":1}]}";

	CHECK_STR("ps table", render(shmw_table_ps, one, false, true),
		  "pid 1234  comm postgres  user pg\n"
		  " SHMID  KEY         SIZE  STATUS  SINCE                HOW    VMAS\n"
		  "393216  0x1234abcd    4K  active  2026-11-28 09:03:57  seed      1\n"
		  "     3  0x00000000  1.5G  dest    2026-11-28 09:03:58  shmat    10\n");
	CHECK_STR("ps NS column when namespaces differ", render(shmw_table_ps, two, true, false),
		  "7  1  0x00000001  1  active  -  seed  1\n"
		  "8  1  0x00000001  1  active  -  seed  1\n");
	CHECK_STR("ps nothing held",
		  render(shmw_table_ps, "{\"ok\":true,\"pid\":9,\"comm\":\"sh\",\"segments\":[]}",
			 true, false),
		  "");
}

static void test_status(void)
{
	CHECK_STR("status lines",
		  render(shmw_table_status,
			 "{\"ok\":true,\"version\":\"0.1.0\",\"mode\":\"fentry\",\"started\":"
			 "\"2026-11-28T09:00:00.000000Z\",\"uptime_s\":3725,\"events_lost\":0,"
			 "\"log_file\":null,\"extra\":[1,2]}",
			 false, false),
		  "version:     0.1.0\n"
		  "mode:        fentry\n"
		  "started:     2026-11-28 09:00:00\n"
		  "uptime_s:    3725 (1h02m)\n"
		  "events_lost: 0\n"
		  "log_file:    -\n"
		  "extra:       [1,2]\n");
}

static const char events_json[] =
    "{\"ok\":true,\"events\":["
    "{\"time\":\"2026-11-28T09:03:57.123456Z\",\"event\":\"attach\",\"cause\":\"shmat\","
    "\"ns\":1,\"shmid\":393216,\"key\":1,\"size\":1,\"pid\":1234,\"comm\":\"postgres\","
    "\"uid\":0,\"user\":\"root\",\"vmas\":1,\"mm\":\"a\"},"
    "{\"time\":\"2026-11-28T09:04:00Z\",\"event\":\"unshare\",\"cause\":\"exit\","
    "\"ns\":1,\"shmid\":5,\"key\":1,\"size\":1,\"pid\":77,\"comm\":\"w\","
    "\"uid\":1000,\"user\":\"someone_long\",\"vmas\":1,\"mm\":\"a\"}]}";

/* The stream cannot measure its content first: header and lines share fixed widths. */
static const char *stream(const char *json, bool no_headers)
{
	static char *out;
	struct shmw_table_opts o = {.no_headers = no_headers};
	json_object *evs = json_tokener_parse(json), *arr;
	size_t len;
	FILE *f;
	int ret;

	free(out);
	out = NULL;
	if (!evs || !json_object_object_get_ex(evs, "events", &arr))
		return "(bad test JSON)";
	f = open_memstream(&out, &len);
	if (!f)
		return "(open_memstream failed)";
	ret = shmw_table_event_header(f, &o);
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		ret |= shmw_table_event_line(f, json_object_array_get_idx(arr, i), &o);
	fclose(f);
	json_object_put(evs);
	return ret ? "(table function failed)" : out;
}

/* A linger line has no pid of its own: the row names its holders (issue 15). */
static const char linger_ev_json[] =
    "{\"ok\":true,\"events\":["
    "{\"time\":\"2026-11-28T09:05:00Z\",\"event\":\"linger\",\"ns\":1,\"shmid\":7,"
    "\"holders\":[{\"pid\":11,\"comm\":\"pg\",\"user\":\"postgres\"},"
    "{\"pid\":12,\"comm\":\"pg2\",\"user\":\"root\"}]},"
    "{\"time\":\"2026-11-28T09:06:00Z\",\"event\":\"linger\",\"ns\":1,\"shmid\":8,"
    "\"holders\":[]}]}";

static const char history_json[] =
    "{\"ok\":true,\"shmid\":7,\"namespaces\":[1,2],\"events\":["
    "{\"time\":\"2026-11-28T09:03:57Z\",\"event\":\"create\",\"cause\":\"shmget\","
    "\"ns\":1,\"shmid\":7,\"pid\":10,\"comm\":\"a\",\"user\":\"root\"},"
    "{\"time\":\"2026-11-28T09:03:58Z\",\"event\":\"create\",\"cause\":\"shmget\","
    "\"ns\":2,\"shmid\":7,\"pid\":20,\"comm\":\"b\",\"user\":\"root\"}],"
    "\"matched\":2,\"omitted\":0}";

static const char who_at_json[] =
    "{\"ok\":true,\"at\":\"2026-11-28T09:10:00Z\",\"ns\":1,\"shmid\":7,\"key\":4660,"
    "\"size\":4096,\"status\":\"dest\",\"generation\":1,"
    "\"created_time\":\"2026-11-28T09:03:57Z\",\"created_pid\":10,\"created_comm\":\"a\","
    "\"created_uid\":0,\"created_user\":\"root\","
    "\"rmid_time\":\"2026-11-28T09:05:00Z\",\"rmid_pid\":10,\"rmid_comm\":\"a\","
    "\"rmid_uid\":0,\"rmid_user\":\"root\","
    "\"holders\":[{\"pid\":11,\"comm\":\"pg\",\"uid\":0,\"user\":\"root\",\"vmas\":1,"
    "\"since\":\"2026-11-28T09:04:00Z\",\"how\":\"shmat\",\"mm\":\"0x1\"}],"
    "\"hidden_holders\":2}";

static const char events_ns_json[] =
    "{\"ok\":true,\"matched\":2,\"omitted\":0,\"events\":["
    "{\"time\":\"2026-11-28T09:03:57Z\",\"event\":\"create\",\"cause\":\"shmget\","
    "\"ns\":1,\"shmid\":7,\"pid\":10,\"comm\":\"a\",\"user\":\"root\"},"
    "{\"time\":\"2026-11-28T09:03:58Z\",\"event\":\"create\",\"cause\":\"shmget\","
    "\"ns\":2,\"shmid\":7,\"pid\":20,\"comm\":\"b\",\"user\":\"root\"}]}";

static void test_past(void)
{
	CHECK_STR(
	    "events from the log, none matching",
	    render(shmw_table_events, "{\"ok\":true,\"events\":[],\"matched\":0}", false, false),
	    "no matching events in the event log\n");
	CHECK_STR("events from the log in several namespaces: an NS column",
		  render(shmw_table_events, events_ns_json, false, false),
		  "TIME                 EVENT   CAUSE   NS  SHMID  PID  COMM  USER\n"
		  "2026-11-28 09:03:57  create  shmget   1      7   10  a     root\n"
		  "2026-11-28 09:03:58  create  shmget   2      7   20  b     root\n");
	CHECK_STR("events: linger rows name the holders",
		  render(shmw_table_events, linger_ev_json, false, false),
		  "TIME                 EVENT   CAUSE  SHMID    PID  COMM    USER\n"
		  "2026-11-28 09:05:00  linger  -          7  11,12  pg,pg2  postgres,root\n"
		  "2026-11-28 09:06:00  linger  -          8      -  -       -\n");
	CHECK_STR("history: several namespaces, named",
		  render(shmw_table_history, history_json, false, false),
		  "shmid 7: 2 events from the event log, in several IPC namespaces\n"
		  "TIME                 EVENT   CAUSE   NS  PID  COMM  USER\n"
		  "2026-11-28 09:03:57  create  shmget   1   10  a     root\n"
		  "2026-11-28 09:03:58  create  shmget   2   20  b     root\n");
	CHECK_STR("who --at", render(shmw_table_who_at, who_at_json, false, false),
		  "shmid 7  ns 1  key 0x00001234  size 4096  status dest  at 2026-11-28 09:10:00 "
		  "(from the event log)\n"
		  "  created 2026-11-28 09:03:57 by pid 10 (a, user root)\n"
		  "  removed (IPC_RMID) 2026-11-28 09:05:00 by pid 10 (a, user root)\n"
		  "  2 holders not shown: other users\n"
		  "PID  USER  COMM  SINCE                HOW    VMAS\n"
		  " 11  root  pg    2026-11-28 09:04:00  shmat     1\n");
}

static void test_events(void)
{
	CHECK_STR("events batch", render(shmw_table_events, events_json, false, false),
		  "TIME                 EVENT    CAUSE   SHMID   PID  COMM      USER\n"
		  "2026-11-28 09:03:57  attach   shmat  393216  1234  postgres  root\n"
		  "2026-11-28 09:04:00  unshare  exit        5    77  w         someone_long\n");
	CHECK_STR(
	    "events stream", stream(events_json, false),
	    "TIME                 EVENT    CAUSE         SHMID      PID  COMM             USER\n"
	    "2026-11-28 09:03:57  attach   shmat        393216     1234  postgres         root\n"
	    "2026-11-28 09:04:00  unshare  exit              5       77  w                "
	    "someone_long\n");
	CHECK_STR(
	    "events stream no headers", stream(events_json, true),
	    "2026-11-28 09:03:57  attach   shmat        393216     1234  postgres         root\n"
	    "2026-11-28 09:04:00  unshare  exit              5       77  w                "
	    "someone_long\n");
}

/* Two lingering segments: one removed while the daemon ran, with two holders (one whose
 * command line is empty, so its executable stands in), one removed before it started and held
 * by processes it never saw. */
static const char linger_json[] =
    "{\"ok\":true,\"segments\":["
    "{\"ns\":4026531839,\"shmid\":393216,\"key\":305441741,\"size\":303038464,"
    "\"generation\":1764320000,\"dest_since\":\"2026-11-28T09:03:57.123456Z\","
    "\"dest_for_s\":62,\"nattch\":2,\"rmid_pid\":4242,\"rmid_comm\":\"psql\","
    "\"rmid_uid\":0,\"rmid_user\":\"root\",\"repeat\":0,\"holders\":["
    "{\"pid\":1234,\"comm\":\"postgres\",\"uid\":1000,\"user\":\"pg\","
    "\"since\":\"2026-11-28T09:00:00Z\",\"how\":\"shmat\",\"vmas\":1,\"mm\":\"a\","
    "\"role\":\"owner\",\"exe\":\"/usr/lib/postgresql/15/bin/postgres\","
    "\"cmdline\":\"postgres -D /var/lib/postgresql/15/main\",\"cgroup\":\"/system.slice\"},"
    "{\"pid\":77,\"comm\":\"w\",\"uid\":1001,\"user\":\"someone\","
    "\"since\":\"2026-11-28T09:01:00Z\",\"how\":\"fork\",\"vmas\":1,\"mm\":\"b\","
    "\"role\":\"owner\",\"exe\":\"/usr/bin/w\",\"cmdline\":\"\",\"cgroup\":\"/\"}]},"
    "{\"ns\":4026531839,\"shmid\":5,\"key\":0,\"size\":4096,\"generation\":1,"
    "\"dest_for_s\":3725,\"nattch\":1,\"repeat\":3,\"holders\":[]}]}";

static void test_lingering(void)
{
	CHECK_STR(
	    "lingering blocks", render(shmw_table_lingering, linger_json, false, true),
	    "shmid 393216  key 0x1234abcd  size 289M  dest for 1m02s (since 2026-11-28 09:03:57)  "
	    "removed by pid 4242 (psql)\n"
	    " PID  USER     COMM      SINCE                HOW    EXE/CMDLINE\n"
	    "1234  pg       postgres  2026-11-28 09:00:00  shmat  postgres -D "
	    "/var/lib/postgresql/15/main\n"
	    "  77  someone  w         2026-11-28 09:01:00  fork   /usr/bin/w\n"
	    "\n"
	    "shmid 5  key 0x00000000  size 4K  dest for 1h02m  removed before shmwatchd started\n"
	    "no holder known to shmwatchd (nattch 1)\n");
	{
		const char *want = "shmid 393216  key 0x1234abcd  size 303038464  dest for";

		CHECK("lingering bytes without -h",
		      !strncmp(render(shmw_table_lingering, linger_json, false, false), want,
			       strlen(want)));
	}
	/* For scripts: every holder on one line with its shmid, nothing else. */
	CHECK_STR("lingering no headers", render(shmw_table_lingering, linger_json, true, false),
		  "393216  1234  pg       postgres  2026-11-28 09:00:00  shmat  postgres -D "
		  "/var/lib/postgresql/15/main\n"
		  "393216    77  someone  w         2026-11-28 09:01:00  fork   /usr/bin/w\n");
	CHECK_STR("lingering none",
		  render(shmw_table_lingering, "{\"ok\":true,\"segments\":[]}", false, false),
		  "no lingering segments\n");
	CHECK_STR("lingering none no headers",
		  render(shmw_table_lingering, "{\"ok\":true,\"segments\":[]}", true, false), "");
	/* Segments from two namespaces: the ns tells equal shmids apart. */
	CHECK_STR("lingering two namespaces",
		  render(shmw_table_lingering,
			 "{\"ok\":true,\"segments\":[{\"ns\":7,\"shmid\":1,\"key\":1,"
			 "\"size\":1,\"dest_for_s\":1,\"holders\":[]},{\"ns\":8,\"shmid\":1,"
			 "\"key\":1,\"size\":1,\"dest_for_s\":2,\"holders\":[]}]}",
			 false, false),
		  "shmid 1  ns 7  key 0x00000001  size 1  dest for 1s  removed before shmwatchd "
		  "started\n"
		  "no holder known to shmwatchd\n"
		  "\n"
		  "shmid 1  ns 8  key 0x00000001  size 1  dest for 2s  removed before shmwatchd "
		  "started\n"
		  "no holder known to shmwatchd\n");
	/* Names and command lines come from other users' processes: no escape sequences, no
	 * line breaks; and nothing missing may crash or shift a column. */
	CHECK_STR("lingering hostile and missing",
		  render(shmw_table_lingering,
			 "{\"ok\":true,\"segments\":[{\"rmid_pid\":9,\"rmid_comm\":"
			 "\"x\\u001b[2J\",\"holders\":[{\"pid\":3,\"cmdline\":\"a\\nb\\u001bc\"},"
			 "{\"cmdline\":7}]}]}",
			 false, false),
		  "shmid -  key -  size -  dest for -  removed by pid 9 (x\\x1b[2J)\n"
		  "PID  USER  COMM  SINCE  HOW  EXE/CMDLINE\n"
		  "  3  -     -     -      -    a\\nb\\x1bc\n"
		  "  -  -     -     -      -    -\n");
}

static const char orphans_json[] =
    "{\"ok\":true,\"segments\":["
    "{\"ns\":4026531839,\"shmid\":32769,\"key\":305441742,\"size\":1536,\"perms\":\"0600\","
    "\"uid\":0,\"user\":\"postgres\",\"generation\":1,"
    "\"unheld_since\":\"2026-11-27T08:00:00Z\",\"unheld_for_s\":90061,\"cpid\":4000,"
    "\"lpid\":4001,\"creator_comm\":\"loader\"},"
    "{\"ns\":4026531839,\"shmid\":2,\"key\":-1,\"size\":303038464,\"perms\":\"0640\","
    "\"uid\":3999999,\"unheld_for_s\":42,\"cpid\":1,\"lpid\":0}]}";

static void test_orphans(void)
{
	CHECK_STR("orphans table", render(shmw_table_orphans, orphans_json, false, false),
		  "KEY         SHMID  OWNER     PERMS      BYTES  UNHELD-FOR  CPID  LPID\n"
		  "0x1234abce  32769  postgres  0600        1536       1d01h  4000  4001\n"
		  "0xffffffff      2  3999999   0640   303038464         42s     1     0\n");
	CHECK_STR("orphans human", render(shmw_table_orphans, orphans_json, false, true),
		  "KEY         SHMID  OWNER     PERMS  SIZE  UNHELD-FOR  CPID  LPID\n"
		  "0x1234abce  32769  postgres  0600   1.5K       1d01h  4000  4001\n"
		  "0xffffffff      2  3999999   0640   289M         42s     1     0\n");
	CHECK_STR("orphans no headers", render(shmw_table_orphans, orphans_json, true, false),
		  "0x1234abce  32769  postgres  0600       1536  1d01h  4000  4001\n"
		  "0xffffffff      2  3999999   0640  303038464    42s     1     0\n");
	CHECK_STR(
	    "orphans two namespaces",
	    render(shmw_table_orphans,
		   "{\"ok\":true,\"segments\":[{\"ns\":7,\"shmid\":1,\"uid\":0,\"user\":\"root\"},"
		   "{\"ns\":8,\"shmid\":1,\"uid\":0,\"user\":\"root\",\"unheld_for_s\":-5}]}",
		   true, false),
	    "7  -  1  root  -  -  -  -  -\n"
	    "8  -  1  root  -  -  -  -  -\n");
	CHECK_STR("orphans none",
		  render(shmw_table_orphans, "{\"ok\":true,\"segments\":[]}", false, false),
		  "KEY  SHMID  OWNER  PERMS  BYTES  UNHELD-FOR  CPID  LPID\n");
}

/* A table written to a stream that fails must say so. */
static void test_write_error(void)
{
	struct shmw_table_opts o = {0};
	json_object *obj = json_tokener_parse(ls_one_ns);
	FILE *f = fopen("/dev/full", "w");

	if (!f || !obj) {
		CHECK("write error setup", false);
		json_object_put(obj);
		return;
	}
	setvbuf(f, NULL, _IONBF, 0); /* fail on the write, not at fclose */
	CHECK_INT("write error reported", shmw_table_ls(f, obj, &o), -1);
	fclose(f);
	json_object_put(obj);

	obj = json_tokener_parse(linger_json);
	f = fopen("/dev/full", "w");
	if (!f || !obj) {
		CHECK("write error lingering setup", false);
	} else {
		setvbuf(f, NULL, _IONBF, 0);
		CHECK_INT("write error lingering", shmw_table_lingering(f, obj, &o), -1);
	}
	if (f)
		fclose(f);
	json_object_put(obj);
}

/* -o, -r and the "not shown" line (issue 15). */
static void test_lsipc_options(void)
{
	const char *ls =
	    "{\"ok\":true,\"namespaces\":[1],\"segments\":[{\"ns\":1,\"shmid\":7,"
	    "\"key\":1,\"size\":16384,\"perms\":\"0600\",\"status\":\"active\","
	    "\"nattch\":2,\"holders\":1,\"uid\":0,\"user\":\"root\",\"cuid\":1000,"
	    "\"cuser\":\"a b\",\"cpid\":5,\"lpid\":6,\"atime\":\"2026-11-28T09:03:57Z\"}]}";
	struct shmw_table_opts o = {.human = true};
	struct shmw_colsel sel;
	char err[256];
	int64_t hidden = 2;
	int ret = 0;

	shmw_cols_parse(SHMW_VIEW_LS, "SIZE,ID,CUSER,ATTACH,DETACH,CPID", false, &sel, err,
			sizeof(err));
	o.cols = &sel;
	CHECK_STR("ls -o: those columns, in that order", render_o(shmw_table_ls, ls, &o),
		  "SIZE  ID  CUSER  ATTACH               DETACH  CPID\n"
		  " 16K   7  a b    2026-11-28 09:03:57  -          5\n");
	o.raw = true;
	CHECK_STR("ls -o -r: one space apart, a blank in a value as \\x20",
		  render_o(shmw_table_ls, ls, &o),
		  "SIZE ID CUSER ATTACH DETACH CPID\n"
		  "16K 7 a\\x20b 2026-11-28\\x2009:03:57 - 5\n");
	o.raw = false;
	o.human = false;
	o.no_headers = true;
	CHECK_STR("ls -o -b -n", render_o(shmw_table_ls, ls, &o),
		  "16384  7  a b  2026-11-28 09:03:57  -  5\n");
	shmw_cols_parse(SHMW_VIEW_LS, "NS,ID", false, &sel, err, sizeof(err));
	CHECK_STR("ls -o NS: shown with one namespace too", render_o(shmw_table_ls, ls, &o),
		  "1  7\n");

	o = (struct shmw_table_opts){.human = true};
	CHECK_STR("who of a non-admin: the hidden count instead of an empty table",
		  render_o(shmw_table_who,
			   "{\"ok\":true,\"shmid\":7,\"key\":1,\"size\":16384,\"status\":"
			   "\"active\",\"nattch\":2,\"holders\":[],\"hidden_holders\":2}",
			   &o),
		  "shmid 7  key 0x00000001  size 16K  status active  nattch 2\n"
		  "2 holders not shown: other users\n");
	CHECK_STR("who of a non-admin: its own holder, then the count",
		  render_o(shmw_table_who,
			   "{\"ok\":true,\"shmid\":7,\"key\":1,\"size\":16384,\"status\":"
			   "\"active\",\"nattch\":2,\"holders\":[{\"pid\":9,\"user\":\"me\","
			   "\"comm\":\"x\",\"how\":\"shmat\",\"vmas\":1}],\"hidden_holders\":1}",
			   &o),
		  "shmid 7  key 0x00000001  size 16K  status active  nattch 2\n"
		  "PID  USER  COMM  SINCE  HOW    VMAS\n"
		  "  9  me    x     -      shmat     1\n"
		  "1 holder not shown: other users\n");
	o.no_headers = true;
	CHECK_STR("who -n: no count line",
		  render_o(shmw_table_who,
			   "{\"ok\":true,\"shmid\":7,\"nattch\":2,\"holders\":[],"
			   "\"hidden_holders\":2}",
			   &o),
		  "");
	o.no_headers = false;
	o.hidden = &hidden;
	{
		static const char hdr[] = "{\"ok\":true,\"shmid\":7,\"key\":1,\"size\":1,"
					  "\"status\":\"active\",\"nattch\":2,\"columns\":[\"pid\","
					  "\"user\",\"comm\",\"since\",\"how\",\"vmas\"]}";
		json_object *obj = json_tokener_parse(hdr);
		struct lines_src src = {0};
		char *out = NULL;
		size_t len;
		FILE *f = open_memstream(&out, &len);

		src.buf = src.p = strdup("");
		ret = shmw_table_who_lines(f, obj, next_row, &src, &o);
		fclose(f);
		CHECK_STR("who lines of a non-admin: the count from the closing line",
			  ret ? "(failed)" : out,
			  "shmid 7  key 0x00000001  size 1B  status active  nattch 2\n"
			  "2 holders not shown: other users\n");
		free(out);
		free(src.buf);
		json_object_put(obj);
	}
	o.hidden = NULL;
	shmw_cols_parse(SHMW_VIEW_WHO, "VMAS,PID", false, &sel, err, sizeof(err));
	o.cols = &sel;
	CHECK_STR("who -o VMAS,PID",
		  render_o(shmw_table_who,
			   "{\"ok\":true,\"shmid\":7,\"key\":1,\"size\":1,\"status\":\"a\","
			   "\"nattch\":1,\"holders\":[{\"pid\":9,\"vmas\":1}]}",
			   &o),
		  "shmid 7  key 0x00000001  size 1B  status a  nattch 1\n"
		  "VMAS  PID\n"
		  "   1    9\n");
	o.cols = NULL;
	CHECK_STR("ps -c: a block per process, and the hidden ones counted",
		  render_o(shmw_table_ps,
			   "{\"ok\":true,\"comm\":\"pg\",\"processes\":[{\"pid\":1,\"comm\":"
			   "\"pg\",\"user\":\"u\",\"segments\":[{\"shmid\":3,\"ns\":7,\"key\":1,"
			   "\"size\":1,\"status\":\"active\",\"how\":\"shmat\",\"vmas\":1}]},"
			   "{\"pid\":2,\"comm\":\"pg\",\"user\":\"u\",\"segments\":[]}],"
			   "\"hidden_processes\":1}",
			   &o),
		  "pid 1  comm pg  user u\n"
		  "SHMID  KEY         SIZE  STATUS  SINCE  HOW    VMAS\n"
		  "    3  0x00000001    1B  active  -      shmat     1\n"
		  "\n"
		  "pid 2  comm pg  user u\n"
		  "SHMID  KEY  SIZE  STATUS  SINCE  HOW  VMAS\n"
		  "1 process not shown: other users\n");
	CHECK_STR("ps -c of a name nobody holding",
		  render_o(shmw_table_ps, "{\"ok\":true,\"comm\":\"zz\",\"processes\":[]}", &o),
		  "no process named zz holds a segment\n");
}

int main(void)
{
	/* Times in the expected tables are UTC; a POSIX TZ string needs no tzdata. */
	setenv("TZ", "UTC0", 1);
	test_past();
	tzset();
	test_sizes();
	test_who();
	test_who_rows();
	test_who_lines();
	test_who_many();
	test_hostile_and_missing();
	test_ls();
	test_ps();
	test_status();
	test_events();
	test_lingering();
	test_orphans();
	test_write_error();
	test_lsipc_options();
	return CHECK_DONE();
}
