// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus exposition (user/daemon/core/metrics.c), read back by a small parser of text
 * format 0.0.4 written here, and its atomic file replacement. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "metrics.h"

/* ---- a strict reader of the text format ---- */

#define MAX_SERIES   256
#define MAX_FAMILIES 64

struct series {
	char *key; /* name{l1="v1",l2="v2"} with labels sorted and values unescaped */
	double value;
};

struct family {
	char name[128];
	char type[16];
	bool help, has_type, samples, closed;
};

struct expo {
	struct series s[MAX_SERIES];
	size_t ns;
	struct family f[MAX_FAMILIES];
	size_t nf;
	char err[256];
};

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Length of the metric name at s ([a-zA-Z_:][a-zA-Z0-9_:]*), 0 if none. */
static size_t name_len(const char *s)
{
	size_t n = 0;

	while (name_char(s[n], n == 0))
		n++;
	return n;
}

/* Prometheus names we emit are snake_case: lower case, digits, underscores. */
static bool snake(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return n > 0;
}

static struct family *fam(struct expo *e, const char *name, size_t n, bool create)
{
	for (size_t i = 0; i < e->nf; i++)
		if (strlen(e->f[i].name) == n && !strncmp(e->f[i].name, name, n))
			return &e->f[i];
	if (!create || e->nf == MAX_FAMILIES || n >= sizeof(e->f[0].name))
		return NULL;
	memset(&e->f[e->nf], 0, sizeof(e->f[0]));
	memcpy(e->f[e->nf].name, name, n);
	return &e->f[e->nf++];
}

static bool value_ok(const char *s, double *v)
{
	char *end;

	if (!strcmp(s, "NaN")) {
		*v = NAN;
		return true;
	}
	if (!strcmp(s, "+Inf") || !strcmp(s, "-Inf")) {
		*v = s[0] == '+' ? INFINITY : -INFINITY;
		return true;
	}
	/* strtod also takes "nan", "inf" and hex: the format does not. */
	if (!*s || strpbrk(s, "nNiIxX"))
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !*end && errno != ERANGE;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

#define FAIL_PARSE(...)                                                                            \
	do {                                                                                       \
		snprintf(e->err, sizeof(e->err), __VA_ARGS__);                                     \
		return -1;                                                                         \
	} while (0)

/* One sample line: name[{labels}] value. */
static int parse_sample(struct expo *e, const char *line, struct family **last)
{
	size_t n = name_len(line), nl = 0;
	const char *p = line + n;
	char labels[16][300], key[1024], vbuf[64];
	struct family *f;
	double v;
	size_t k;

	if (!n)
		FAIL_PARSE("bad metric name in: %.200s", line);
	if (!snake(line, n) || strncmp(line, "shmwatch_", 9))
		FAIL_PARSE("name not shmwatch_ snake_case: %.*s", (int)n, line);
	f = fam(e, line, n, false);
	if (!f || !f->help || !f->has_type)
		FAIL_PARSE("sample before HELP and TYPE: %.*s", (int)n, line);
	if (f->closed || (*last && *last != f && f->samples))
		FAIL_PARSE("samples of %s not in one group", f->name);
	if (*last && *last != f)
		(*last)->closed = true;
	*last = f;
	f->samples = true;
	if (!strcmp(f->type, "counter") != (n > 6 && !strncmp(line + n - 6, "_total", 6)))
		FAIL_PARSE("%s: counters and only counters end in _total", f->name);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t ln = name_len(p);
			char val[256];
			size_t vi = 0;

			if (!ln || !snake(p, ln) || (ln >= 2 && p[0] == '_' && p[1] == '_'))
				FAIL_PARSE("bad label name in: %.200s", line);
			if (p[ln] != '=' || p[ln + 1] != '"')
				FAIL_PARSE("label without =\" in: %.200s", line);
			snprintf(val, sizeof(val), "%.*s=\"", (int)ln, p);
			vi = strlen(val);
			p += ln + 2;
			while (*p != '"') {
				char c = *p;

				if (!c)
					FAIL_PARSE("unterminated label value in: %.200s", line);
				if (c == '\\') {
					p++;
					if (*p == 'n')
						c = '\n';
					else if (*p == '\\' || *p == '"')
						c = *p;
					else
						FAIL_PARSE("bad escape \\%c in: %.200s", *p, line);
				}
				if (vi + 2 >= sizeof(val))
					FAIL_PARSE("label value too long");
				val[vi++] = c;
				p++;
			}
			val[vi++] = '"';
			val[vi] = '\0';
			p++;
			if (nl == 16)
				FAIL_PARSE("too many labels");
			memcpy(labels[nl++], val, vi + 1);
			if (*p == ',')
				p++;
			else if (*p != '}')
				FAIL_PARSE("expected , or } in: %.200s", line);
		}
		p++;
	}
	if (*p != ' ')
		FAIL_PARSE("no blank before the value in: %.200s", line);
	p++;
	/* value, then an optional timestamp (we never write one). */
	k = strcspn(p, " ");
	if (k >= sizeof(vbuf) || p[k])
		FAIL_PARSE("value, or a timestamp we do not write, in: %.200s", line);
	memcpy(vbuf, p, k);
	vbuf[k] = '\0';
	if (!value_ok(vbuf, &v))
		FAIL_PARSE("value does not parse as a float: %.200s", line);

	qsort(labels, nl, sizeof(labels[0]), cmp_str);
	snprintf(key, sizeof(key), "%.*s", (int)n, line);
	if (nl)
		strcat(key, "{");
	for (size_t i = 0; i < nl; i++) {
		for (size_t j = 0; j < i; j++)
			if (strcspn(labels[i], "=") == strcspn(labels[j], "=") &&
			    !strncmp(labels[i], labels[j], strcspn(labels[i], "=")))
				FAIL_PARSE("label repeated in: %.200s", line);
		if (strlen(key) + strlen(labels[i]) + 3 < sizeof(key)) {
			if (i)
				strcat(key, ",");
			strcat(key, labels[i]);
		}
	}
	if (nl)
		strcat(key, "}");
	for (size_t i = 0; i < e->ns; i++)
		if (!strcmp(e->s[i].key, key))
			FAIL_PARSE("duplicate series %.200s", key);
	if (e->ns == MAX_SERIES)
		FAIL_PARSE("too many series");
	e->s[e->ns].key = strdup(key);
	e->s[e->ns].value = v;
	e->ns++;
	return 0;
}

/* # HELP name text / # TYPE name type; other comments are allowed and ignored. */
static int parse_comment(struct expo *e, const char *line)
{
	bool help = !strncmp(line, "# HELP ", 7), type = !strncmp(line, "# TYPE ", 7);
	const char *p = line + 7;
	size_t n = name_len(p);
	struct family *f;

	if (!help && !type)
		return 0;
	if (!n || (p[n] != ' ' && p[n] != '\0'))
		FAIL_PARSE("bad name in: %.200s", line);
	f = fam(e, p, n, true);
	if (!f)
		FAIL_PARSE("too many families");
	if (f->samples)
		FAIL_PARSE("%s after samples of %s", help ? "HELP" : "TYPE", f->name);
	if (help) {
		if (f->help)
			FAIL_PARSE("second HELP for %s", f->name);
		if (p[n] != ' ' || !p[n + 1])
			FAIL_PARSE("empty HELP for %s", f->name);
		for (const char *h = p + n + 1; *h; h++)
			if (*h == '\\' && h[1] != '\\' && h[1] != 'n')
				FAIL_PARSE("bad escape in HELP of %s", f->name);
			else if (*h == '\\')
				h++;
		f->help = true;
		return 0;
	}
	if (f->has_type)
		FAIL_PARSE("second TYPE for %s", f->name);
	if (p[n] != ' ')
		FAIL_PARSE("TYPE without a type: %.200s", line);
	p += n + 1;
	if (strcmp(p, "counter") && strcmp(p, "gauge") && strcmp(p, "untyped") &&
	    strcmp(p, "summary") && strcmp(p, "histogram"))
		FAIL_PARSE("unknown type '%s'", p);
	snprintf(f->type, sizeof(f->type), "%s", p);
	f->has_type = true;
	return 0;
}

static void expo_free(struct expo *e)
{
	for (size_t i = 0; i < e->ns; i++)
		free(e->s[i].key);
	e->ns = 0;
}

/* Returns 0, or -1 with e->err. */
static int expo_parse(struct expo *e, const char *text)
{
	struct family *last = NULL;
	const char *p = text;

	memset(e, 0, sizeof(*e));
	if (!text || !*text)
		FAIL_PARSE("empty");
	if (text[strlen(text) - 1] != '\n')
		FAIL_PARSE("last line not newline-terminated");
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p);
		char line[2048];
		int r;

		if (len >= sizeof(line))
			FAIL_PARSE("line too long");
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (!len)
			continue;
		r = line[0] == '#' ? parse_comment(e, line) : parse_sample(e, line, &last);
		if (r)
			return -1;
	}
	for (size_t i = 0; i < e->nf; i++)
		if (!e->f[i].samples)
			FAIL_PARSE("family %s has no samples", e->f[i].name);
	return 0;
}

/* The value of one series (key as built above), NAN when missing. */
static double get(const struct expo *e, const char *key)
{
	for (size_t i = 0; i < e->ns; i++)
		if (!strcmp(e->s[i].key, key))
			return e->s[i].value;
	return NAN;
}

static size_t count_prefix(const struct expo *e, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < e->ns; i++)
		n += !strncmp(e->s[i].key, prefix, strlen(prefix));
	return n;
}

/* ---- tests ---- */

static void fill(struct shmw_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->segments[SHMW_MS_ACTIVE] = 7;
	m->segments[SHMW_MS_DEST] = 2;
	m->segment_bytes[SHMW_MS_ACTIVE] = 303038464;
	m->segment_bytes[SHMW_MS_DEST] = 4096;
	m->attachments = 12;
	m->holder_processes = 9;
	m->lingering = 1;
	m->lingering_oldest_s = 62.5;
	m->orphans = 3;
	m->map_entries[SHMW_MM_MMS] = 40;
	m->map_max_entries[SHMW_MM_MMS] = 16384;
	m->map_entries[SHMW_MM_SHARERS] = 2;
	m->map_max_entries[SHMW_MM_SHARERS] = 4096;
	m->map_entries[SHMW_MM_HOLDS] = 3;
	m->map_max_entries[SHMW_MM_HOLDS] = 262144;
	m->map_entries[SHMW_MM_SEGS] = 7;
	m->map_max_entries[SHMW_MM_SEGS] = 65536;
	m->namespaces = 9;
	m->clients = 1;
	for (int i = 0; i < SHMW_ME_NEVENTS; i++)
		m->events[i] = 100 + (uint64_t)i;
	m->events_lost = UINT64_MAX;
	m->resyncs = 4;
	m->map_full = 5;
	m->mm_incomplete = 6;
	m->alerts[SHMW_MA_LINGER] = 3;
	m->alerts[SHMW_MA_LINGER_END] = 2;
	m->alerts[SHMW_MA_ORPHAN] = 1;
	m->hooks = (struct shmw_hook_stats){.started = 6,
					    .succeeded = 3,
					    .failed = 1,
					    .timed_out = 1,
					    .dropped = 2,
					    .spawn_errors = 1,
					    .running = 1,
					    .queued = 4};
	m->log_errors = 17;
	m->log_cuts = 2;
	m->start_time_s = 1764320400.25;
	/* A version with every character the format escapes in a label value. */
	m->version = "0.1.0 \"q\" \\b\nn";
	m->mode = "fentry";
}

static void test_render(void)
{
	struct shmw_metrics m;
	struct expo e;
	char *text;
	static const char *const evs[] = {"attach",  "detach", "vmas",	     "rmid",   "create",
					  "destroy", "linger", "linger_end", "orphan", "resync",
					  "owner",   "share",  "unshare"};

	fill(&m);
	text = shmw_metrics_render(&m);
	CHECK("render returns text", text != NULL);
	if (!text)
		return;
	if (expo_parse(&e, text)) {
		printf("FAIL render parses: %s\n", e.err);
		check_failed = 1;
		free(text);
		expo_free(&e);
		return;
	}
	printf("PASS render parses (%zu families, %zu series)\n", e.nf, e.ns);
	CHECK_INT("segments active", get(&e, "shmwatch_segments{status=\"active\"}"), 7);
	CHECK_INT("segments dest", get(&e, "shmwatch_segments{status=\"dest\"}"), 2);
	CHECK_INT("bytes active", get(&e, "shmwatch_segment_bytes{status=\"active\"}"), 303038464);
	CHECK_INT("bytes dest", get(&e, "shmwatch_segment_bytes{status=\"dest\"}"), 4096);
	CHECK_INT("attachments", get(&e, "shmwatch_attachments"), 12);
	CHECK_INT("holder processes", get(&e, "shmwatch_holder_processes"), 9);
	CHECK_INT("lingering", get(&e, "shmwatch_lingering_segments"), 1);
	CHECK("oldest linger 62.5 s", get(&e, "shmwatch_lingering_oldest_seconds") == 62.5);
	CHECK("oldest linger printed short", strstr(text, "\nshmwatch_lingering_oldest_seconds "
							  "62.5\n") != NULL);
	CHECK_INT("orphans", get(&e, "shmwatch_orphan_segments"), 3);
	for (int i = 0; i < SHMW_ME_NEVENTS; i++) {
		char key[128], name[64];

		snprintf(key, sizeof(key), "shmwatch_events_total{event=\"%s\"}", evs[i]);
		snprintf(name, sizeof(name), "events %s", evs[i]);
		CHECK_INT(name, get(&e, key), 100 + i);
	}
	CHECK_INT("events: one series per type", count_prefix(&e, "shmwatch_events_total{"),
		  SHMW_ME_NEVENTS);
	CHECK("events lost uint64 max",
	      get(&e, "shmwatch_events_lost_total") == 18446744073709551615.0);
	CHECK("events lost printed exactly",
	      strstr(text, "\nshmwatch_events_lost_total 18446744073709551615\n") != NULL);
	CHECK_INT("resyncs", get(&e, "shmwatch_resyncs_total"), 4);
	CHECK_INT("map full", get(&e, "shmwatch_bpf_map_full_total"), 5);
	CHECK_INT("incomplete counts", get(&e, "shmwatch_mm_incomplete_total"), 6);
	CHECK_INT("namespaces", get(&e, "shmwatch_ipc_namespaces"), 9);
	CHECK_INT("map mms entries", get(&e, "shmwatch_bpf_map_entries{map=\"mms\"}"), 40);
	CHECK_INT("map mms max", get(&e, "shmwatch_bpf_map_max_entries{map=\"mms\"}"), 16384);
	CHECK_INT("map sharers entries", get(&e, "shmwatch_bpf_map_entries{map=\"sharers\"}"), 2);
	CHECK_INT("map sharers max", get(&e, "shmwatch_bpf_map_max_entries{map=\"sharers\"}"),
		  4096);
	CHECK_INT("map holds entries", get(&e, "shmwatch_bpf_map_entries{map=\"holds\"}"), 3);
	CHECK_INT("map holds max", get(&e, "shmwatch_bpf_map_max_entries{map=\"holds\"}"), 262144);
	CHECK_INT("map segs entries", get(&e, "shmwatch_bpf_map_entries{map=\"segs\"}"), 7);
	CHECK_INT("map segs max", get(&e, "shmwatch_bpf_map_max_entries{map=\"segs\"}"), 65536);
	CHECK_INT("clients", get(&e, "shmwatch_clients"), 1);
	CHECK_INT("alerts linger", get(&e, "shmwatch_alerts_total{alert=\"linger\"}"), 3);
	CHECK_INT("alerts linger_end", get(&e, "shmwatch_alerts_total{alert=\"linger_end\"}"), 2);
	CHECK_INT("alerts orphan", get(&e, "shmwatch_alerts_total{alert=\"orphan\"}"), 1);
	CHECK_INT("hooks started", get(&e, "shmwatch_alert_hooks_started_total"), 6);
	CHECK_INT("hooks success",
		  get(&e, "shmwatch_alert_hooks_finished_total{result=\"success\"}"), 3);
	CHECK_INT("hooks failure",
		  get(&e, "shmwatch_alert_hooks_finished_total{result=\"failure\"}"), 1);
	CHECK_INT("hooks timeout",
		  get(&e, "shmwatch_alert_hooks_finished_total{result=\"timeout\"}"), 1);
	CHECK_INT("hooks dropped", get(&e, "shmwatch_alert_hooks_dropped_total"), 2);
	CHECK_INT("hooks queued", get(&e, "shmwatch_alert_hooks_queued"), 4);
	CHECK_INT("hooks spawn errors", get(&e, "shmwatch_alert_hooks_spawn_errors_total"), 1);
	CHECK_INT("hooks running", get(&e, "shmwatch_alert_hooks_running"), 1);
	CHECK_INT("log write errors", get(&e, "shmwatch_log_write_errors_total"), 17);
	CHECK_INT("log partial lines cut", get(&e, "shmwatch_log_partial_lines_cut_total"), 2);
	CHECK("start time", get(&e, "shmwatch_start_time_seconds") == 1764320400.25);
	CHECK("start time printed whole",
	      strstr(text, "\nshmwatch_start_time_seconds 1764320400.25\n") != NULL);
	/* The parser unescaped the label value: it must be the version exactly. */
	CHECK_INT("info escaped and unescaped",
		  get(&e, "shmwatch_info{mode=\"fentry\",version=\"0.1.0 \"q\" \\b\nn\"}"), 1);
	CHECK("info escapes in the text",
	      strstr(text, "version=\"0.1.0 \\\"q\\\" \\\\b\\nn\"") != NULL);
	CHECK("types: counter", strstr(text, "# TYPE shmwatch_events_total counter\n") != NULL);
	CHECK("types: gauge", strstr(text, "# TYPE shmwatch_segments gauge\n") != NULL);
	expo_free(&e);
	free(text);

	/* Special values, and a struct of zeros (a daemon just started) renders too. */
	memset(&m, 0, sizeof(m));
	m.lingering_oldest_s = NAN;
	m.start_time_s = INFINITY;
	text = shmw_metrics_render(&m);
	CHECK("render zeros", text && !expo_parse(&e, text));
	CHECK("NaN spelled NaN", text && strstr(text, "shmwatch_lingering_oldest_seconds NaN\n"));
	CHECK("Inf spelled +Inf", text && strstr(text, "shmwatch_start_time_seconds +Inf\n"));
	CHECK("NULL version is empty", text && strstr(text, "{version=\"\",mode=\"\"} 1\n"));
	CHECK_INT("zeros: events present", count_prefix(&e, "shmwatch_events_total{"),
		  SHMW_ME_NEVENTS);
	expo_free(&e);
	free(text);
	CHECK("render NULL", shmw_metrics_render(NULL) == NULL && errno == EINVAL);

	memset(&m, 0, sizeof(m));
	m.start_time_s = 1764320400;
	m.lingering_oldest_s = 0.1;
	text = shmw_metrics_render(&m);
	CHECK("whole seconds in plain digits",
	      text && strstr(text, "\nshmwatch_start_time_seconds 1764320400\n"));
	CHECK("0.1 printed short",
	      text && strstr(text, "\nshmwatch_lingering_oldest_seconds 0.1\n"));
	free(text);
}

/* The reader must be able to fail: feed it what it must refuse. */
static void test_parser_refuses(void)
{
	static const struct {
		const char *name, *text;
	} bad[] = {
	    {"no TYPE", "# HELP shmwatch_a x\nshmwatch_a 1\n"},
	    {"no HELP", "# TYPE shmwatch_a gauge\nshmwatch_a 1\n"},
	    {"counter without _total", "# HELP shmwatch_a x\n# TYPE shmwatch_a counter\n"
				       "shmwatch_a 1\n"},
	    {"gauge with _total", "# HELP shmwatch_a_total x\n# TYPE shmwatch_a_total gauge\n"
				  "shmwatch_a_total 1\n"},
	    {"duplicate series", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\n"
				 "shmwatch_a{l=\"1\"} 1\nshmwatch_a{l=\"1\"} 2\n"},
	    {"bad value", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\nshmwatch_a 1x\n"},
	    {"nan lower case", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\nshmwatch_a nan\n"},
	    {"raw quote in label", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\n"
				   "shmwatch_a{l=\"a\"b\"} 1\n"},
	    {"bad escape", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\n"
			   "shmwatch_a{l=\"a\\tb\"} 1\n"},
	    {"bad name", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\nshmwatch-a 1\n"},
	    {"camel case", "# HELP shmwatch_A x\n# TYPE shmwatch_A gauge\nshmwatch_A 1\n"},
	    {"split group", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\n# HELP shmwatch_b x\n"
			    "# TYPE shmwatch_b gauge\nshmwatch_a{l=\"1\"} 1\nshmwatch_b 1\n"
			    "shmwatch_a{l=\"2\"} 1\n"},
	    {"TYPE after samples", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\nshmwatch_a 1\n"
				   "# TYPE shmwatch_a gauge\n"},
	    {"no newline at end", "# HELP shmwatch_a x\n# TYPE shmwatch_a gauge\nshmwatch_a 1"},
	};
	struct expo e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[96];
		int r = expo_parse(&e, bad[i].text);

		snprintf(name, sizeof(name), "parser refuses: %s", bad[i].name);
		CHECK(name, r == -1);
		expo_free(&e);
	}
	CHECK_INT("parser accepts a good one",
		  expo_parse(&e, "# HELP shmwatch_a x \\\\ \\n\n# TYPE shmwatch_a gauge\n"
				 "shmwatch_a{l=\"a\\\"b\\\\c\\nd\",k=\"\"} -1.5e3\n"),
		  0);
	CHECK("parser unescapes", get(&e, "shmwatch_a{k=\"\",l=\"a\"b\\c\nd\"}") == -1500);
	expo_free(&e);
}

static char dir[64];

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *s = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (cap - n < 4096) {
			char *ns = realloc(s, cap + 65536);

			if (!ns) {
				free(s);
				fclose(f);
				return NULL;
			}
			s = ns;
			cap += 65536;
		}
		r = fread(s + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	s[n] = '\0';
	return s;
}

/* Entries in dir other than "." and ".."; *tmp those that look like our temp files. */
static int entries(int *tmp)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	*tmp = 0;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		*tmp += strstr(de->d_name, ".tmp.") != NULL;
	}
	if (d)
		closedir(d);
	return n;
}

/* Only the target left: one entry, no temp file. */
static bool only_target(void)
{
	int tmp, n = entries(&tmp);

	return n == 1 && tmp == 0;
}

static void test_write_file(void)
{
	char path[128], sub[128];
	struct shmw_metrics m;
	char *a, *b, *got;
	struct stat st;
	mode_t old;

	snprintf(path, sizeof(path), "%s/shmwatch.prom", dir);
	fill(&m);
	a = shmw_metrics_render(&m);
	m.events[SHMW_ME_ATTACH] = 123456789;
	m.version = "a much longer version string, so the two files differ in size too";
	b = shmw_metrics_render(&m);
	if (!a || !b) {
		CHECK("write setup", false);
		free(a);
		free(b);
		return;
	}

	old = umask(077); /* the daemon's umask may be strict; the file must still be 0644 */
	CHECK_INT("write new file", shmw_metrics_write_file(path, a), 0);
	umask(old);
	got = slurp(path);
	CHECK("write content whole", got && !strcmp(got, a));
	free(got);
	CHECK("write mode 0644", stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK("write leaves no temp file", only_target());
	CHECK_INT("write replaces", shmw_metrics_write_file(path, b), 0);
	got = slurp(path);
	CHECK("write replaced content whole", got && !strcmp(got, b));
	free(got);
	CHECK("replace leaves no temp file", only_target());

	/* Failures leave the target alone and no temp file behind. */
	snprintf(sub, sizeof(sub), "%s/d", dir);
	mkdir(sub, 0755);
	CHECK_INT("write over a directory fails", shmw_metrics_write_file(sub, a), -EISDIR);
	rmdir(sub);
	CHECK("failed write leaves no temp file", only_target());
	snprintf(sub, sizeof(sub), "%s/nodir/x.prom", dir);
	CHECK_INT("write into a missing directory", shmw_metrics_write_file(sub, a), -ENOENT);
	CHECK_INT("write bad args", shmw_metrics_write_file("", a), -EINVAL);

	/* Symlinks: at the temp name, never followed; at the path, refused by the start-up check
	 * (a rename would replace it, not follow it). */
	{
		char tmp[200], target[160], err[256] = "";

		snprintf(target, sizeof(target), "%s/victim", dir);
		snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
		CHECK("symlink setup", symlink(target, tmp) == 0);
		CHECK_INT("a symlink at the temp name: refused", shmw_metrics_write_file(path, a),
			  -ELOOP);
		CHECK("a symlink at the temp name: its target not made", access(target, F_OK) < 0);
		unlink(tmp);
		CHECK_INT("check an ordinary path", shmw_metrics_check_path(path, err, sizeof(err)),
			  0);
		unlink(path);
		CHECK("symlink setup 2", symlink(target, path) == 0);
		CHECK_INT("check a symlink: refused",
			  shmw_metrics_check_path(path, err, sizeof(err)), -ELOOP);
		CHECK("check a symlink: the reason says so", strstr(err, "symbolic link") != NULL);
		unlink(path);
		CHECK_INT("check a missing directory",
			  shmw_metrics_check_path(sub, err, sizeof(err)), -ENOENT);
		CHECK("check a missing directory: named",
		      strstr(err, "/nodir does not exist") != NULL);
		CHECK_INT("check a bare file name (the cwd)",
			  shmw_metrics_check_path("x.prom", err, sizeof(err)), 0);
		CHECK_INT("write again", shmw_metrics_write_file(path, a), 0);
	}

	/* A reader racing a writer sees one whole file or the other, never a mix or a part. */
	{
		pid_t w = fork();
		int torn = 0, reads = 0, status = 0;

		if (w == 0) {
			for (int i = 0; i < 300; i++)
				if (shmw_metrics_write_file(path, i % 2 ? a : b))
					_exit(1);
			_exit(0);
		}
		while (w > 0 && waitpid(w, &status, WNOHANG) == 0) {
			got = slurp(path);
			reads++;
			if (!got || (strcmp(got, a) && strcmp(got, b)))
				torn++;
			free(got);
		}
		printf("     %d reads during 300 rewrites\n", reads);
		CHECK("concurrent writer ok", w > 0 && WIFEXITED(status) && !WEXITSTATUS(status));
		CHECK_INT("concurrent reads never torn", torn, 0);
		CHECK("concurrent leaves no temp file", only_target());
	}
	unlink(path);
	free(a);
	free(b);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s", "/tmp/shmw-metrics.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_render();
	test_parser_refuses();
	test_write_file();
	rmdir(dir);
	return CHECK_DONE();
}
