// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Request parsing and formatting (user/common/jsonproto.c) against docs/protocol.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "jsonproto.h"
#include "timefmt.h"

static struct shmw_request req;
static char err[256];

/* Parses s (strlen) into req/err; returns the parser's result. */
static int parse(const char *s)
{
	memset(&req, 0xa5, sizeof(req)); /* garbage, so unset fields show */
	err[0] = '\0';
	return shmw_request_parse(s, strlen(s), &req, err, sizeof(err));
}

/* Expects s to be rejected with an error containing want. */
static void reject(const char *name, const char *s, const char *want)
{
	char label[128];

	snprintf(label, sizeof(label), "%s rejected", name);
	CHECK_INT(label, parse(s), -1);
	snprintf(label, sizeof(label), "%s error", name);
	if (strstr(err, want)) {
		printf("PASS %s\n", label);
	} else {
		printf("FAIL %s: error \"%s\" lacks \"%s\"\n", label, err, want);
		check_failed = 1;
	}
}

static void test_valid(void)
{
	CHECK_INT("who parses", parse("{\"cmd\":\"who\",\"shmid\":5}"), 0);
	CHECK_INT("who cmd", req.cmd, SHMW_CMD_WHO);
	CHECK_INT("who shmid", req.shmid, 5);
	CHECK("who has_ns false", !req.has_ns);

	CHECK_INT("who ns parses", parse("{\"cmd\":\"who\",\"shmid\":0,\"ns\":4026531839}\n"), 0);
	CHECK_INT("who ns shmid 0", req.shmid, 0);
	CHECK("who ns has_ns", req.has_ns);
	CHECK_INT("who ns value", req.ns, 4026531839u);

	CHECK_INT("who bounds", parse("{\"ns\":4294967295,\"shmid\":2147483647,\"cmd\":\"who\"}"),
		  0);
	CHECK_INT("who max shmid", req.shmid, 2147483647);
	CHECK_INT("who max ns", req.ns, 4294967295u);

	CHECK_INT("ps parses", parse("  { \"cmd\" : \"ps\" , \"pid\" : 1 }  \r\n"), 0);
	CHECK_INT("ps cmd", req.cmd, SHMW_CMD_PS);
	CHECK_INT("ps pid", req.pid, 1);

	CHECK_INT("ls parses", parse("{\"cmd\":\"ls\"}"), 0);
	CHECK_INT("ls cmd", req.cmd, SHMW_CMD_LS);
	CHECK_INT("status parses", parse("{\"cmd\":\"status\"}"), 0);
	CHECK_INT("status cmd", req.cmd, SHMW_CMD_STATUS);

	CHECK_INT("events default parses", parse("{\"cmd\":\"events\"}"), 0);
	CHECK_INT("events default cmd", req.cmd, SHMW_CMD_EVENTS);
	CHECK_INT("events default last", req.last, 0);
	CHECK("events default follow", !req.follow);
	CHECK_INT("events parses", parse("{\"cmd\":\"events\",\"last\":10000,\"follow\":true}"), 0);
	CHECK_INT("events last", req.last, 10000);
	CHECK("events follow", req.follow);

	CHECK_INT("lingering parses", parse("{\"cmd\":\"lingering\"}"), 0);
	CHECK_INT("lingering cmd", req.cmd, SHMW_CMD_LINGERING);
	CHECK_INT("orphans parses", parse(" {\"cmd\":\"orphans\"}\n"), 0);
	CHECK_INT("orphans cmd", req.cmd, SHMW_CMD_ORPHANS);
	CHECK_INT("metrics parses", parse("{\"cmd\":\"metrics\"}"), 0);
	CHECK_INT("metrics cmd", req.cmd, SHMW_CMD_METRICS);

	/* len, not the NUL, ends the request: a caller's buffer may hold more after it. */
	const char two[] = "{\"cmd\":\"ls\"}\n{\"cmd\":\"status\"}\n";
	CHECK_INT("len bounds the line", shmw_request_parse(two, 13, &req, err, sizeof(err)), 0);
	CHECK_INT("len bounds the line cmd", req.cmd, SHMW_CMD_LS);
}

static void test_names(void)
{
	CHECK_STR("name who", shmw_cmd_name(SHMW_CMD_WHO), "who");
	CHECK_STR("name ps", shmw_cmd_name(SHMW_CMD_PS), "ps");
	CHECK_STR("name ls", shmw_cmd_name(SHMW_CMD_LS), "ls");
	CHECK_STR("name status", shmw_cmd_name(SHMW_CMD_STATUS), "status");
	CHECK_STR("name events", shmw_cmd_name(SHMW_CMD_EVENTS), "events");
	CHECK_STR("name lingering", shmw_cmd_name(SHMW_CMD_LINGERING), "lingering");
	CHECK_STR("name orphans", shmw_cmd_name(SHMW_CMD_ORPHANS), "orphans");
	CHECK_STR("name metrics", shmw_cmd_name(SHMW_CMD_METRICS), "metrics");
	CHECK_STR("name verify", shmw_cmd_name(SHMW_CMD_VERIFY), "verify");
	CHECK_STR("name unknown", shmw_cmd_name((enum shmw_cmd)99), "unknown");
	for (enum shmw_cmd c = SHMW_CMD_WHO; c <= SHMW_CMD_VERIFY; c++)
		CHECK_INT("by name: each name gives its command",
			  shmw_cmd_by_name(shmw_cmd_name(c)), c);
	CHECK_INT("by name: unknown", shmw_cmd_by_name("shmdi"), 0);
	CHECK_INT("by name: no prefixes", shmw_cmd_by_name("wh"), 0);
	{
		char list[128], small[8];

		shmw_cmd_names(list, sizeof(list));
		CHECK_STR(
		    "names: every command in order", list,
		    "who, ps, ls, status, events, lingering, orphans, metrics, verify, history");
		shmw_cmd_names(small, sizeof(small));
		CHECK_STR("names: cut to the buffer", small, "who, ps");
	}
}

/* format -> parse gives back the same request, and the line is one newline-terminated line. */
static void round_trip(const char *name, const struct shmw_request *in)
{
	char label[128];
	char *line = shmw_request_format(in);
	struct shmw_request out;
	size_t n = line ? strlen(line) : 0;

	snprintf(label, sizeof(label), "round trip %s formats", name);
	CHECK(label, line != NULL);
	if (!line)
		return;
	snprintf(label, sizeof(label), "round trip %s one line", name);
	CHECK(label, n > 0 && line[n - 1] == '\n' && memchr(line, '\n', n - 1) == NULL);
	snprintf(label, sizeof(label), "round trip %s parses", name);
	CHECK_INT(label, shmw_request_parse(line, n, &out, err, sizeof(err)), 0);
	snprintf(label, sizeof(label), "round trip %s equal", name);
	CHECK(
	    label,
	    out.cmd == in->cmd &&
		(in->cmd != SHMW_CMD_WHO || (out.shmid == in->shmid && out.has_ns == in->has_ns &&
					     (!in->has_ns || out.ns == in->ns))) &&
		(in->cmd != SHMW_CMD_PS || out.pid == in->pid) &&
		(in->cmd != SHMW_CMD_EVENTS || (out.last == in->last && out.follow == in->follow)));
	free(line);
}

static void test_format(void)
{
	struct shmw_request r;
	char *line;

	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_WHO;
	r.shmid = 42;
	line = shmw_request_format(&r);
	CHECK_STR("format who", line, "{\"cmd\":\"who\",\"shmid\":42}\n");
	free(line);
	round_trip("who", &r);
	r.has_ns = true;
	r.ns = 4026531839u;
	round_trip("who ns", &r);

	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_PS;
	r.pid = 2147483647;
	round_trip("ps", &r);

	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_LS;
	line = shmw_request_format(&r);
	CHECK_STR("format ls", line, "{\"cmd\":\"ls\"}\n");
	free(line);
	round_trip("ls", &r);
	r.cmd = SHMW_CMD_STATUS;
	round_trip("status", &r);

	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_EVENTS;
	r.last = 25;
	r.follow = true;
	line = shmw_request_format(&r);
	CHECK_STR("format events", line, "{\"cmd\":\"events\",\"last\":25,\"follow\":true}\n");
	free(line);
	round_trip("events", &r);

	/* The commands without arguments send nothing but cmd, whatever else req holds. */
	{
		static const struct {
			enum shmw_cmd cmd;
			const char *name, *line;
		} bare[] = {
		    {SHMW_CMD_LINGERING, "lingering", "{\"cmd\":\"lingering\"}\n"},
		    {SHMW_CMD_ORPHANS, "orphans", "{\"cmd\":\"orphans\"}\n"},
		    {SHMW_CMD_METRICS, "metrics", "{\"cmd\":\"metrics\"}\n"},
		    {SHMW_CMD_VERIFY, "verify", "{\"cmd\":\"verify\"}\n"},
		};

		for (size_t i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
			char label[64];

			memset(&r, 0, sizeof(r));
			r.cmd = bare[i].cmd;
			r.shmid = 5;
			r.pid = 7;
			r.last = 3;
			r.follow = true;
			line = shmw_request_format(&r);
			snprintf(label, sizeof(label), "format %s", bare[i].name);
			CHECK_STR(label, line, bare[i].line);
			free(line);
			round_trip(bare[i].name, &r);
		}
	}

	r.cmd = (enum shmw_cmd)0;
	CHECK("format bad cmd", shmw_request_format(&r) == NULL);
	r.cmd = (enum shmw_cmd)(SHMW_CMD_HISTORY + 1);
	CHECK("format cmd past the last", shmw_request_format(&r) == NULL);
}

static void test_error_line(void)
{
	char *line = shmw_error_line("bad_request", "field 'pid' must be \"an\" integer\n");

	CHECK_STR("error line", line,
		  "{\"ok\":false,\"code\":\"bad_request\",\"error\":\"field 'pid' must be "
		  "\\\"an\\\" integer\\n\"}\n");
	free(line);
	line = shmw_error_line("no_such_segment", "no segment 7");
	CHECK_STR("error line simple", line,
		  "{\"ok\":false,\"code\":\"no_such_segment\",\"error\":\"no segment 7\"}\n");
	free(line);

	/* JSON must be UTF-8: bytes that are not (here a character cut by %.32s, a stray byte,
	 * a surrogate) become U+FFFD; valid characters pass unchanged. */
	line = shmw_error_line("bad_request", "cut '\xc3' \xff \xed\xa0\x80 \xc3\xa9");
	CHECK_STR("error line not UTF-8 is cleaned", line,
		  "{\"ok\":false,\"code\":\"bad_request\",\"error\":\"cut '\xef\xbf\xbd' "
		  "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xc3\xa9\"}\n");
	free(line);
}

static void test_reject(void)
{
	const char *shmid_range = "field 'shmid' must be an integer from 0 to 2147483647";

	/* Syntax and shape. */
	reject("empty", "", "empty request");
	reject("blank", "  \n", "empty request");
	reject("array", "[{\"cmd\":\"ls\"}]", "must be a JSON object");
	reject("string", "\"ls\"", "must be a JSON object");
	reject("number", "5", "must be a JSON object");
	reject("truncated", "{\"cmd\":\"ls\"", "not valid JSON");
	reject("trailing comma", "{\"cmd\":\"ls\",}", "not valid JSON");
	reject("single quotes", "{'cmd':'ls'}", "not valid JSON");
	reject("unquoted key", "{cmd:\"ls\"}", "not valid JSON");
	reject("trailing garbage", "{\"cmd\":\"ls\"}x", "unexpected data after the JSON object");
	reject("second object", "{\"cmd\":\"ls\"} {\"cmd\":\"status\"}",
	       "unexpected data after the JSON object");
	reject("bad utf-8", "{\"cmd\":\"ls\xff\"}", "not valid JSON");
	reject("raw control char", "{\"cmd\":\"l\ts\"}", "control character");
	reject("duplicate field", "{\"cmd\":\"ps\",\"pid\":1,\"pid\":2}", "duplicate field");
	reject("duplicate cmd", "{\"cmd\":\"ls\",\"cmd\":\"status\"}", "duplicate field");

	/* NUL: raw (only visible through len) and escaped. */
	{
		const char raw[] = "{\"cmd\":\"ls\"}\0junk";

		CHECK_INT("raw NUL rejected",
			  shmw_request_parse(raw, sizeof(raw) - 1, &req, err, sizeof(err)), -1);
		CHECK("raw NUL error", strstr(err, "NUL") != NULL);
	}
	reject("escaped NUL in key", "{\"cmd\":\"who\",\"shmid\\u0000x\":1}", "NUL");
	reject("escaped NUL in value", "{\"cmd\":\"ls\\u0000\"}", "NUL");

	/* Size: 4096 bytes including the newline is the limit. */
	{
		char *big = malloc(SHMW_REQ_MAX + 16);
		size_t n;

		CHECK("big alloc", big != NULL);
		if (big) {
			/* {"cmd":"ls","x":"aaaa..."} padded to exactly n bytes. */
			for (n = SHMW_REQ_MAX - 1; n <= SHMW_REQ_MAX; n++) {
				size_t pad = n - strlen("{\"cmd\":\"ls\",\"x\":\"\"}");

				strcpy(big, "{\"cmd\":\"ls\",\"x\":\"");
				memset(big + strlen(big), 'a', pad);
				strcpy(big + n - 2, "\"}");
				CHECK_INT("big length", strlen(big), n);
				CHECK_INT(n == SHMW_REQ_MAX - 1 ? "4095+newline not too long"
								: "4096+newline too long",
					  parse(big), -1);
				CHECK(n == SHMW_REQ_MAX - 1 ? "4095+newline error is the field"
							    : "4096+newline error is the size",
				      strstr(err, n == SHMW_REQ_MAX - 1
						      ? "unknown field 'x'"
						      : "longer than 4096") != NULL);
			}
			/* 4095 bytes and its newline: 4096 in all, accepted. */
			memset(big, ' ', SHMW_REQ_MAX);
			memcpy(big, "{\"cmd\":\"ls\"}", 12);
			big[SHMW_REQ_MAX - 1] = '\n';
			big[SHMW_REQ_MAX] = '\0';
			CHECK_INT("4096 with newline accepted",
				  shmw_request_parse(big, SHMW_REQ_MAX, &req, err, sizeof(err)), 0);
			free(big);
		}
		/* Huge: a megabyte. */
		size_t huge = 1 << 20;
		char *h = malloc(huge + 1);

		CHECK("huge alloc", h != NULL);
		if (h) {
			memset(h, '[', huge);
			h[huge] = '\0';
			CHECK_INT("huge rejected", parse(h), -1);
			CHECK("huge error", strstr(err, "longer than 4096") != NULL);
			free(h);
		}
	}
	reject("deep nesting", "{\"cmd\":\"ls\",\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
	       "not valid JSON");

	/* cmd. */
	reject("no cmd", "{\"shmid\":5}", "missing field 'cmd'");
	reject("cmd number", "{\"cmd\":5}", "field 'cmd' must be a string");
	reject("cmd null", "{\"cmd\":null}", "field 'cmd' must be a string");
	reject("unknown cmd", "{\"cmd\":\"kill\"}", "unknown cmd 'kill'");
	reject("cmd case", "{\"cmd\":\"WHO\",\"shmid\":1}", "unknown cmd 'WHO'");

	/* Fields. */
	reject("unknown field", "{\"cmd\":\"who\",\"shmid\":5,\"shmdi\":5}",
	       "unknown field 'shmdi'");
	reject("field of another cmd", "{\"cmd\":\"ls\",\"pid\":5}",
	       "field 'pid' is not allowed with cmd 'ls'");
	reject("who without shmid", "{\"cmd\":\"who\"}", "cmd 'who' requires field 'shmid'");
	reject("who with only ns", "{\"cmd\":\"who\",\"ns\":5}", "requires field 'shmid'");
	reject("ps without pid", "{\"cmd\":\"ps\"}", "cmd 'ps' requires field 'pid'");
	reject("lingering with shmid", "{\"cmd\":\"lingering\",\"shmid\":5}",
	       "field 'shmid' is not allowed with cmd 'lingering'");
	reject("orphans with last", "{\"cmd\":\"orphans\",\"last\":5}",
	       "field 'last' is not allowed with cmd 'orphans'");
	reject("metrics with follow", "{\"cmd\":\"metrics\",\"follow\":true}",
	       "field 'follow' is not allowed with cmd 'metrics'");
	reject("metrics unknown field", "{\"cmd\":\"metrics\",\"format\":\"text\"}",
	       "unknown field 'format'");
	reject("unknown cmd lists the new ones", "{\"cmd\":\"linger\"}",
	       "unknown cmd 'linger' (want who, ps, ls, status, events, lingering, orphans, "
	       "metrics, verify or history)");
	reject("cmd case lingering", "{\"cmd\":\"Lingering\"}", "unknown cmd 'Lingering'");

	/* Types and ranges. */
	reject("shmid string", "{\"cmd\":\"who\",\"shmid\":\"5\"}", shmid_range);
	reject("shmid double", "{\"cmd\":\"who\",\"shmid\":1e3}", shmid_range);
	reject("shmid 5.0", "{\"cmd\":\"who\",\"shmid\":5.0}", shmid_range);
	reject("shmid negative", "{\"cmd\":\"who\",\"shmid\":-1}", shmid_range);
	reject("shmid 2^31", "{\"cmd\":\"who\",\"shmid\":2147483648}", shmid_range);
	reject("shmid int64 overflow", "{\"cmd\":\"who\",\"shmid\":99999999999999999999}",
	       shmid_range);
	reject("shmid uint64 max", "{\"cmd\":\"who\",\"shmid\":18446744073709551615}", shmid_range);
	reject("shmid 2^64 + 5", "{\"cmd\":\"who\",\"shmid\":18446744073709551621}", shmid_range);
	reject("shmid negative overflow", "{\"cmd\":\"who\",\"shmid\":-99999999999999999999}",
	       shmid_range);
	reject("shmid object", "{\"cmd\":\"who\",\"shmid\":{\"id\":5}}", shmid_range);
	reject("shmid array", "{\"cmd\":\"who\",\"shmid\":[5]}", shmid_range);
	reject("shmid bool", "{\"cmd\":\"who\",\"shmid\":true}", shmid_range);
	reject("shmid null", "{\"cmd\":\"who\",\"shmid\":null}", shmid_range);
	reject("shmid NaN", "{\"cmd\":\"who\",\"shmid\":NaN}", shmid_range);
	reject("ns 0", "{\"cmd\":\"who\",\"shmid\":1,\"ns\":0}",
	       "field 'ns' must be an integer from 1 to 4294967295");
	reject("ns 2^32", "{\"cmd\":\"who\",\"shmid\":1,\"ns\":4294967296}",
	       "field 'ns' must be an integer from 1 to 4294967295");
	reject("pid 0", "{\"cmd\":\"ps\",\"pid\":0}",
	       "field 'pid' must be an integer from 1 to 2147483647");
	reject("pid 2^31", "{\"cmd\":\"ps\",\"pid\":2147483648}",
	       "field 'pid' must be an integer from 1 to 2147483647");
	reject("last 10001", "{\"cmd\":\"events\",\"last\":10001}",
	       "field 'last' must be an integer from 0 to 10000");
	reject("last -1", "{\"cmd\":\"events\",\"last\":-1}",
	       "field 'last' must be an integer from 0 to 10000");
	reject("follow number", "{\"cmd\":\"events\",\"follow\":1}",
	       "field 'follow' must be true or false");
	reject("follow string", "{\"cmd\":\"events\",\"follow\":\"true\"}",
	       "field 'follow' must be true or false");

	/* Bad arguments. */
	CHECK_INT("NULL line", shmw_request_parse(NULL, 0, &req, err, sizeof(err)), -1);
	CHECK_INT("NULL err buffer", shmw_request_parse("{}", 2, &req, NULL, 0), -1);
}

static void test_container_field(void)
{
	static const char who[] = "{\"cmd\":\"who\",\"shmid\":5,\"container\":\"4f1c\"}";
	static const char ls[] = "{\"cmd\":\"ls\",\"ns\":7,\"container\":\"ab\"}";
	struct shmw_request r;
	char err[256], *line;

	CHECK_INT("who with container parses",
		  shmw_request_parse(who, sizeof(who) - 1, &r, err, sizeof(err)), 0);
	CHECK_STR("container kept", r.container, "4f1c");
	CHECK_INT("ls with ns and container parses",
		  shmw_request_parse(ls, sizeof(ls) - 1, &r, err, sizeof(err)), 0);
	CHECK("ls ns kept", r.has_ns && r.ns == 7);
	line = shmw_request_format(&r);
	CHECK_STR("ls with filters formats", line,
		  "{\"cmd\":\"ls\",\"ns\":7,\"container\":\"ab\"}\n");
	free(line);
	reject("upper-case container", "{\"cmd\":\"ls\",\"container\":\"AB\"}",
	       "field 'container' must be 1 to 64 lower-case hex digits");
	reject("non-hex container", "{\"cmd\":\"ls\",\"container\":\"xyz\"}",
	       "field 'container' must be 1 to 64 lower-case hex digits");
	reject("numeric container", "{\"cmd\":\"ls\",\"container\":12}",
	       "field 'container' must be 1 to 64 lower-case hex digits");
	reject("container with ps", "{\"cmd\":\"ps\",\"pid\":1,\"container\":\"ab\"}",
	       "field 'container' is not allowed with cmd 'ps'");
}

/* shmw_jbuf_str writes what json-c writes for shmw_json_string, byte for byte. */
static void check_str_same(const char *name, const char *in)
{
	struct json_object *o = shmw_json_string(in);
	const char *want = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	struct shmw_jbuf b = {0};

	shmw_jbuf_str(&b, in);
	shmw_jbuf_raw(&b, "", 1);
	CHECK_STR(name, b.oom ? NULL : b.p, want);
	shmw_jbuf_free(&b);
	json_object_put(o);
}

static void test_rows_field(void)
{
	struct shmw_request r;
	char err[256], *line;

	CHECK("rows: accepted for who",
	      shmw_request_parse("{\"cmd\":\"who\",\"shmid\":1,\"rows\":true}",
				 strlen("{\"cmd\":\"who\",\"shmid\":1,\"rows\":true}"), &r, err,
				 sizeof(err)) == 0 &&
		  r.rows);
	CHECK("rows: false",
	      shmw_request_parse("{\"cmd\":\"who\",\"shmid\":1,\"rows\":false}",
				 strlen("{\"cmd\":\"who\",\"shmid\":1,\"rows\":false}"), &r, err,
				 sizeof(err)) == 0 &&
		  !r.rows);
	CHECK("rows: must be a boolean",
	      shmw_request_parse("{\"cmd\":\"who\",\"shmid\":1,\"rows\":1}",
				 strlen("{\"cmd\":\"who\",\"shmid\":1,\"rows\":1}"), &r, err,
				 sizeof(err)) < 0);
	CHECK("rows: not for ps",
	      shmw_request_parse("{\"cmd\":\"ps\",\"pid\":1,\"rows\":true}",
				 strlen("{\"cmd\":\"ps\",\"pid\":1,\"rows\":true}"), &r, err,
				 sizeof(err)) < 0);
	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_WHO;
	r.shmid = 3;
	r.rows = true;
	line = shmw_request_format(&r);
	CHECK_STR("rows: formatted", line, "{\"cmd\":\"who\",\"shmid\":3,\"rows\":true}\n");
	free(line);
}

static void test_lines_field(void)
{
	struct shmw_request r;
	char err[256], *line;
	const char *ok = "{\"cmd\":\"who\",\"shmid\":1,\"lines\":true}";

	CHECK("lines: accepted for who",
	      shmw_request_parse(ok, strlen(ok), &r, err, sizeof(err)) == 0 && r.lines && !r.rows);
	CHECK("lines: must be a boolean",
	      shmw_request_parse("{\"cmd\":\"who\",\"shmid\":1,\"lines\":1}",
				 strlen("{\"cmd\":\"who\",\"shmid\":1,\"lines\":1}"), &r, err,
				 sizeof(err)) < 0);
	CHECK("lines: not for ls", shmw_request_parse("{\"cmd\":\"ls\",\"lines\":true}",
						      strlen("{\"cmd\":\"ls\",\"lines\":true}"), &r,
						      err, sizeof(err)) < 0);
	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_WHO;
	r.shmid = 3;
	r.lines = true;
	line = shmw_request_format(&r);
	CHECK_STR("lines: formatted", line, "{\"cmd\":\"who\",\"shmid\":3,\"lines\":true}\n");
	free(line);
}

static const char *tsv(const char *in)
{
	static struct shmw_jbuf b;

	shmw_jbuf_free(&b);
	memset(&b, 0, sizeof(b));
	shmw_jbuf_tsv(&b, in);
	shmw_jbuf_raw(&b, "", 1);
	return b.oom ? NULL : b.p;
}

/* Text row values: no tab, newline or other control byte survives, a backslash is escaped,
 * bytes starting no UTF-8 sequence become U+FFFD as in JSON strings. */
static void test_jbuf_tsv(void)
{
	char all[256];
	int bad = 0;

	CHECK_STR("tsv plain", tsv("postgres: writer"), "postgres: writer");
	CHECK_STR("tsv NULL", tsv(NULL), "");
	CHECK_STR("tsv controls", tsv("a\tb\nc\rd\x1b\x7f"), "a\\x09b\\x0ac\\x0dd\\x1b\x7f");
	CHECK_STR("tsv backslash", tsv("x\\x41"), "x\\x5cx41");
	CHECK_STR("tsv UTF-8 kept", tsv("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
	CHECK_STR("tsv invalid UTF-8",
		  tsv("a\xff"
		      "b\xc3"),
		  "a\xef\xbf\xbd"
		  "b\xef\xbf\xbd");
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	for (const char *p = tsv(all); p && *p; p++)
		bad += (unsigned char)*p < 0x20;
	CHECK_INT("tsv: no control byte out of 255", bad, 0);
}

static void test_jbuf(void)
{
	char in[8], name[64];
	int bad = 0;
	struct shmw_jbuf b = {0};

	/* Every byte alone, and in the middle of text. */
	for (int c = 1; c < 256; c++) {
		struct json_object *o;
		struct shmw_jbuf one = {0};

		snprintf(in, sizeof(in), "a%cb", c);
		o = shmw_json_string(in);
		shmw_jbuf_str(&one, in);
		shmw_jbuf_raw(&one, "", 1);
		if (one.oom || strcmp(one.p, json_object_to_json_string_ext(
						 o, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE))) {
			printf("  (byte 0x%02x differs)\n", c);
			bad++;
		}
		shmw_jbuf_free(&one);
		json_object_put(o);
	}
	CHECK_INT("jbuf_str: every byte as json-c writes it", bad, 0);
	check_str_same("jbuf_str empty", "");
	check_str_same("jbuf_str NULL", NULL);
	check_str_same("jbuf_str plain", "postgres: checkpointer");
	check_str_same("jbuf_str escapes", "\"q\" \\ / \b\f\n\r\t\x1f\x7f");
	check_str_same("jbuf_str UTF-8 kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	check_str_same("jbuf_str invalid UTF-8 replaced",
		       "\xff\xc3(\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf");
	check_str_same("jbuf_str cut sequence at the end", "ab\xe2\x82");

	/* Times: what shmw_fmt_rfc3339 writes, over 600 years in uneven steps. */
	bad = 0;
	for (uint64_t t = 0; t < UINT64_MAX - 7777777777777777ull;
	     t += 7777777777777777ull + (t % 1000003)) {
		char want[40];

		b.len = 0;
		shmw_jbuf_time(&b, t);
		if (shmw_fmt_rfc3339(want, sizeof(want), t) || b.oom || b.len != strlen(want) + 2 ||
		    b.p[0] != '"' || memcmp(b.p + 1, want, b.len - 2) || b.p[b.len - 1] != '"') {
			if (bad++ < 3)
				printf("  (time %llu: %.*s, want %s)\n", (unsigned long long)t,
				       (int)b.len, b.p, want);
		}
	}
	b.len = 0;
	shmw_jbuf_time(&b, UINT64_MAX);
	snprintf(name, sizeof(name), "%.*s", (int)b.len, b.p);
	CHECK_INT("jbuf_time matches shmw_fmt_rfc3339", bad, 0);
	CHECK_STR("jbuf_time end of uint64", name, "\"2554-07-21T23:34:33.709551Z\"");
	b.len = 0;
	shmw_jbuf_u64(&b, 0);
	shmw_jbuf_lit(&b, " ");
	shmw_jbuf_u64(&b, UINT64_MAX);
	shmw_jbuf_lit(&b, " ");
	shmw_jbuf_i64(&b, -1);
	shmw_jbuf_lit(&b, " ");
	shmw_jbuf_i64(&b, INT64_MIN);
	shmw_jbuf_raw(&b, "", 1);
	CHECK_STR("jbuf numbers", b.p, "0 18446744073709551615 -1 -9223372036854775808");
	shmw_jbuf_free(&b);
}

/* The past: events filters, history, who --at (docs/protocol.md). */
static void test_past_fields(void)
{
	struct shmw_request r, out;
	char *line;

	CHECK_INT("events filters parse",
		  parse("{\"cmd\":\"events\",\"last\":5,\"shmid\":0,\"ns\":7,\"key\":4294967295,"
			"\"pid\":9,\"event\":\"linger_end\",\"since\":\"2026-12-07T18:00:00Z\","
			"\"until\":\"2026-12-07T19:00:00.5+01:00\"}"),
		  0);
	CHECK("events filters values",
	      req.has_shmid && req.shmid == 0 && req.has_ns && req.ns == 7 && req.has_key &&
		  req.key == UINT32_MAX && req.has_pid && req.pid == 9 &&
		  !strcmp(req.event, "linger_end") && req.since == 1796666400ull * 1000000000ull &&
		  req.until == 1796666400ull * 1000000000ull + 500000000ull);
	CHECK("events filters: on disk", shmw_request_on_disk(&req));
	CHECK_INT("events plain parses", parse("{\"cmd\":\"events\",\"last\":5}"), 0);
	CHECK("events plain: the recent lines", !shmw_request_on_disk(&req));
	CHECK_INT("history parses", parse("{\"cmd\":\"history\",\"shmid\":5}"), 0);
	CHECK("history: on disk", req.cmd == SHMW_CMD_HISTORY && shmw_request_on_disk(&req));
	CHECK_INT("who at parses",
		  parse("{\"cmd\":\"who\",\"shmid\":5,\"at\":\"2026-12-07T18:00:00Z\"}"), 0);
	CHECK("who at: on disk", req.has_at && shmw_request_on_disk(&req));
	reject("history without shmid", "{\"cmd\":\"history\"}", "requires field 'shmid'");
	reject("history with pid", "{\"cmd\":\"history\",\"shmid\":1,\"pid\":2}",
	       "field 'pid' is not allowed with cmd 'history'");
	reject("event upper case", "{\"cmd\":\"events\",\"event\":\"Attach\"}", "event name");
	reject("event too long", "{\"cmd\":\"events\",\"event\":\"abcdefghijklmnop\"}",
	       "event name");
	reject("event number", "{\"cmd\":\"events\",\"event\":5}", "event name");
	reject("since relative", "{\"cmd\":\"events\",\"since\":\"-10m\"}", "RFC 3339");
	reject("since number", "{\"cmd\":\"events\",\"since\":5}", "RFC 3339");
	reject("at with ls", "{\"cmd\":\"ls\",\"at\":\"2026-12-07T18:00:00Z\"}",
	       "field 'at' is not allowed with cmd 'ls'");
	reject("key negative", "{\"cmd\":\"events\",\"key\":-1}", "field 'key'");
	reject("who at by key", "{\"cmd\":\"who\",\"key\":1,\"at\":\"2026-12-07T18:00:00Z\"}",
	       "fields 'at' and 'key' exclude each other");
	CHECK_INT(
	    "who at every namespace parses",
	    parse("{\"cmd\":\"who\",\"shmid\":5,\"all_ns\":true,\"at\":\"2026-12-07T18:00:00Z\"}"),
	    0);
	CHECK("who at every namespace", req.all_ns && req.has_at && shmw_request_on_disk(&req));

	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_EVENTS;
	r.last = 10000;
	r.has_shmid = true;
	r.shmid = 3;
	r.has_key = true;
	r.key = 0x1234;
	snprintf(r.event, sizeof(r.event), "rmid");
	r.since = 1796666400ull * 1000000000ull + 123456000ull;
	line = shmw_request_format(&r);
	CHECK("events filters format", line != NULL);
	CHECK_INT("events filters round trip",
		  line ? shmw_request_parse(line, strlen(line), &out, err, sizeof(err)) : -1, 0);
	CHECK("events filters round trip equal",
	      out.has_shmid && out.shmid == 3 && out.has_key && out.key == 0x1234 &&
		  !strcmp(out.event, "rmid") && out.since == r.since && !out.until && !out.has_pid);
	free(line);
	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_WHO;
	r.shmid = 8;
	r.has_at = true;
	r.at = 1796666400ull * 1000000000ull;
	line = shmw_request_format(&r);
	CHECK("who at round trip",
	      line && !shmw_request_parse(line, strlen(line), &out, err, sizeof(err)) &&
		  out.has_at && out.at == r.at && out.shmid == 8);
	free(line);
}

/* Issue 15's fields: all_ns, key, user, comm. */
static void test_issue15_fields(void)
{
	struct shmw_request r;
	char *line;

	CHECK_INT("who key parses", parse("{\"cmd\":\"who\",\"key\":4294967295}"), 0);
	CHECK("who key: has_key, the value", req.has_key && req.key == 4294967295u);
	CHECK_INT("who all_ns parses", parse("{\"cmd\":\"who\",\"shmid\":1,\"all_ns\":true}"), 0);
	CHECK("who all_ns", req.all_ns && !req.has_key);
	CHECK_INT("all_ns false with ns", parse("{\"cmd\":\"ls\",\"ns\":5,\"all_ns\":false}"), 0);
	CHECK_INT("ls user parses", parse("{\"cmd\":\"ls\",\"user\":\"postgres\",\"all_ns\":true}"),
		  0);
	CHECK_STR("ls user", req.user, "postgres");
	CHECK_INT("ps comm parses", parse("{\"cmd\":\"ps\",\"comm\":\"postgres: wal\"}"), 0);
	CHECK_STR("ps comm", req.comm, "postgres: wal");
	CHECK_INT("ps comm: no pid", req.pid, 0);
	reject("who with shmid and key", "{\"cmd\":\"who\",\"shmid\":1,\"key\":2}",
	       "only one of the fields 'shmid' and 'key'");
	reject("ps with pid and comm", "{\"cmd\":\"ps\",\"pid\":1,\"comm\":\"x\"}",
	       "only one of the fields 'pid' and 'comm'");
	reject("ps with neither", "{\"cmd\":\"ps\"}", "cmd 'ps' requires field 'pid'");
	reject("ns and all_ns", "{\"cmd\":\"ls\",\"ns\":5,\"all_ns\":true}",
	       "'ns' and 'all_ns' exclude each other");
	reject("key too large", "{\"cmd\":\"who\",\"key\":4294967296}",
	       "field 'key' must be an integer from 0 to 4294967295");
	reject("key negative", "{\"cmd\":\"who\",\"key\":-1}", "field 'key' must be");
	reject("comm too long", "{\"cmd\":\"ps\",\"comm\":\"0123456789abcdef\"}",
	       "field 'comm' must be 1 to 15 bytes");
	reject("comm empty", "{\"cmd\":\"ps\",\"comm\":\"\"}", "field 'comm' must be");
	reject("user with a control byte", "{\"cmd\":\"ls\",\"user\":\"a\\nb\"}",
	       "field 'user' must be 1 to 64 bytes without control characters");
	reject("user is a string", "{\"cmd\":\"ls\",\"user\":0}", "field 'user' must be");
	reject("all_ns with status", "{\"cmd\":\"status\",\"all_ns\":true}",
	       "field 'all_ns' is not allowed with cmd 'status'");
	reject("key with ls", "{\"cmd\":\"ls\",\"key\":1}", "not allowed with cmd 'ls'");

	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_WHO;
	r.has_key = true;
	r.key = 0x52e2c1;
	r.all_ns = true;
	line = shmw_request_format(&r);
	CHECK_STR("format who --key -A", line,
		  "{\"cmd\":\"who\",\"key\":5432001,\"all_ns\":true}\n");
	free(line);
	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_LS;
	snprintf(r.user, sizeof(r.user), "pg");
	line = shmw_request_format(&r);
	CHECK_STR("format ls --user", line, "{\"cmd\":\"ls\",\"user\":\"pg\"}\n");
	free(line);
	memset(&r, 0, sizeof(r));
	r.cmd = SHMW_CMD_PS;
	snprintf(r.comm, sizeof(r.comm), "postgres");
	line = shmw_request_format(&r);
	CHECK_STR("format ps -c", line, "{\"cmd\":\"ps\",\"comm\":\"postgres\"}\n");
	free(line);
}

int main(void)
{
	test_past_fields();
	test_issue15_fields();
	test_container_field();
	test_valid();
	test_names();
	test_format();
	test_error_line();
	test_reject();
	test_jbuf();
	test_rows_field();
	test_lines_field();
	test_jbuf_tsv();
	return CHECK_DONE();
}
