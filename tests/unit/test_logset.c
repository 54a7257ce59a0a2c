// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The event log on disk (user/daemon/core/logset.c, logquery.c): compression into gzip members
 * with an index, reading back whole or by segment and time, an index that does not match its
 * file, and the queries (events filters, history, who --at, who may see what). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>
#include <zlib.h>

#include "check.h"
#include "logquery.h"
#include "logset.h"
#include "timefmt.h"

static char dir[] = "/tmp/shmw-test-logset.XXXXXX";
static char path[256];

#define T0 1796666400ull /* 2026-12-07T18:00:00Z */

static void fmt_time(char *buf, size_t len, uint64_t us)
{
	shmw_fmt_rfc3339(buf, len, T0 * SHMW_NS_PER_SEC + us * SHMW_NS_PER_US);
}

/* A holder line as the daemon writes it (evline.c's shape). */
static int holder_line(char *buf, size_t len, uint64_t us, const char *ev, uint32_t shmid,
		       uint32_t pid, uint32_t uid, const char *mm)
{
	char t[40];

	fmt_time(t, sizeof(t), us);
	return snprintf(
	    buf, len,
	    "{\"time\":\"%s\",\"event\":\"%s\",\"cause\":\"shmat\",\"ns\":7,\"shmid\":%u,"
	    "\"key\":%u,\"size\":4096,\"pid\":%u,\"comm\":\"p%u\",\"uid\":%u,\"user\":\"u%u\","
	    "\"vmas\":1,\"mm\":\"%s\"}\n",
	    t, ev, shmid, shmid + 1000, pid, pid, uid, uid, mm);
}

static int life_line(char *buf, size_t len, uint64_t us, const char *ev, uint32_t shmid,
		     uint32_t pid, uint32_t uid, const char *cause)
{
	char t[40];

	fmt_time(t, sizeof(t), us);
	return snprintf(
	    buf, len,
	    "{\"time\":\"%s\",\"event\":\"%s\",\"ns\":7,\"shmid\":%u,\"key\":%u,\"size\":"
	    "4096,\"generation\":1,\"cause\":\"%s\",\"pid\":%u,\"comm\":\"p%u\",\"uid\":%u,"
	    "\"user\":\"u%u\"}\n",
	    t, ev, shmid, shmid + 1000, cause, pid, pid, uid, uid);
}

static char *slurp_gz(const char *name, size_t *len)
{
	gzFile z = gzopen(name, "rb");
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);
	int r;

	if (!z || !b)
		return NULL;
	while ((r = gzread(z, b + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap)
			b = realloc(b, cap *= 2);
	}
	gzclose(z);
	*len = n;
	return b;
}

struct counter {
	uint32_t shmid;
	size_t lines, of_shmid;
	uint64_t last_t;
	bool ordered;
	struct shmw_logtime_cache tc;
};

static int count_line(void *arg, const char *line, size_t len)
{
	struct counter *c = arg;
	uint64_t v, t;

	c->lines++;
	if (shmw_logline_u64(line, len, "\"shmid\":", &v) && v == c->shmid)
		c->of_shmid++;
	if (shmw_logline_time(line, len, &t, &c->tc)) {
		if (t < c->last_t)
			c->ordered = false;
		c->last_t = t;
	}
	return 0;
}

/* 20000 lines about 100 segments, times ascending; segment 42 only in the first and last few
 * hundred lines. Returns the bytes written. */
static size_t write_log(const char *name)
{
	FILE *f = fopen(name, "w");
	char line[512];
	size_t total = 0;

	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t shmid = i % 100;
		char mm[24];

		if (shmid == 42 && i > 300 && i < 19700)
			shmid = 43;
		snprintf(mm, sizeof(mm), "0xffff%u", i % 7);
		total +=
		    (size_t)holder_line(line, sizeof(line), i * 1000ull,
					i % 2 ? "detach" : "attach", shmid, 100 + i % 7, 0, mm);
		fputs(line, f);
	}
	fclose(f);
	return total;
}

static void test_compress_and_read(void)
{
	char src[300], gz[300], idx[300];
	struct shmw_logset ls;
	struct stat st;
	size_t glen, want = 0;
	char *orig, *back;
	FILE *f;
	char err[512] = "";
	uint64_t blocks = 0;

	snprintf(src, sizeof(src), "%s.1", path);
	snprintf(gz, sizeof(gz), "%s.1.gz", path);
	snprintf(idx, sizeof(idx), "%s.1.gz.idx", path);
	want = write_log(src);
	orig = malloc(want + 1);
	f = fopen(src, "r");
	CHECK("read original", fread(orig, 1, want, f) == want);
	fclose(f);
	CHECK_INT("compress", shmw_logset_compress(src, gz, 6, NULL, NULL, err, sizeof(err)), 0);
	CHECK_STR("compress no error", err, "");
	CHECK("compress removed the plain file", access(src, F_OK) < 0 && errno == ENOENT);
	CHECK("compress wrote the index", access(idx, F_OK) == 0);
	{
		char tmp[320];

		snprintf(tmp, sizeof(tmp), "%s.tmp", gz);
		CHECK("compress: no temporary file left", access(tmp, F_OK) < 0);
		snprintf(tmp, sizeof(tmp), "%s.idx.tmp", gz);
		CHECK("compress: no temporary index left", access(tmp, F_OK) < 0);
	}
	stat(gz, &st);
	CHECK_INT("compressed file mode", st.st_mode & 0777, 0640);
	back = slurp_gz(gz, &glen);
	CHECK("zlib reads every member back as the original",
	      back && glen == want && !memcmp(back, orig, want));
	free(back);
	free(orig);

	/* The live file beside it. */
	f = fopen(path, "w");
	fputs("{\"time\":\"2026-12-07T18:10:00.000000Z\",\"event\":\"attach\",\"ns\":7,"
	      "\"shmid\":42,\"pid\":5,\"uid\":0,\"mm\":\"0x1\"}\n",
	      f);
	fclose(f);
	CHECK_INT("open the set", shmw_logset_open(&ls, path), 0);
	CHECK_INT("set: the .gz and the live file", ls.n, 2);
	CHECK("set: the .gz first, indexed", ls.n == 2 && ls.f[0].gz && ls.f[0].idx);
	CHECK("set: the live file last, not indexed", ls.n == 2 && !ls.f[1].gz && !ls.f[1].idx);

	struct counter c = {.shmid = 42, .ordered = true};
	struct shmw_logsel all = {.tmax = UINT64_MAX};

	CHECK_INT("read all", shmw_logfile_read(&ls.f[0], &all, count_line, &c, &blocks), 0);
	CHECK_INT("read all: every line", c.lines, 20000);
	CHECK("read all: in order", c.ordered);
	CHECK("read all: several blocks", blocks > 3);

	uint64_t nblocks = blocks;
	struct counter s = {.shmid = 42, .ordered = true};
	struct shmw_logsel seg = {.by_seg = true, .ns = 7, .shmid = 42, .tmax = UINT64_MAX};

	blocks = 0;
	CHECK_INT("read shmid 42", shmw_logfile_read(&ls.f[0], &seg, count_line, &s, &blocks), 0);
	CHECK_INT("read shmid 42: all its lines", s.of_shmid, 6);
	CHECK_INT("read shmid 42: no other line reaches the caller", s.lines, 6);
	CHECK("read shmid 42: only the blocks naming it", blocks >= 1 && blocks < nblocks);
	seg.ns = 8;
	s = (struct counter){.shmid = 42};
	blocks = 0;
	shmw_logfile_read(&ls.f[0], &seg, count_line, &s, &blocks);
	CHECK_INT("read shmid 42 in another namespace: no block", blocks, 0);
	seg.any_ns = true;
	s = (struct counter){.shmid = 42};
	shmw_logfile_read(&ls.f[0], &seg, count_line, &s, NULL);
	CHECK_INT("read shmid 42 in any namespace", s.of_shmid, 6);
	seg.shmid = 4;
	s = (struct counter){.shmid = 4};
	shmw_logfile_read(&ls.f[0], &seg, count_line, &s, NULL);
	CHECK_INT("read shmid 4: its 200 lines, not 40's or 41's", s.lines, 200);
	CHECK_INT("read shmid 4: each of them names it", s.of_shmid, 200);
	seg.shmid = 42;

	/* Time: lines i * 1 ms; a window of 100 ms reads a block or two, not all. */
	struct shmw_logsel win = {.tmin = (T0 + 10) * SHMW_NS_PER_SEC,
				  .tmax = (T0 + 10) * SHMW_NS_PER_SEC + 100 * SHMW_NS_PER_MS};

	s = (struct counter){.shmid = 1};
	blocks = 0;
	shmw_logfile_read(&ls.f[0], &win, count_line, &s, &blocks);
	CHECK("read a time window: few blocks", blocks >= 1 && blocks <= 2);
	shmw_logset_close(&ls);

	/* An index that does not match its file (another size): ignored, the file read whole. */
	int fd = open(gz, O_WRONLY | O_APPEND);

	CHECK("append to gz", fd >= 0 && write(fd, "", 0) == 0);
	close(fd);
	{
		/* An empty gzip member at the end: still valid gzip, another size. */
		gzFile z = gzopen(gz, "ab");

		gzclose(z);
	}
	CHECK_INT("open the set again", shmw_logset_open(&ls, path), 0);
	CHECK("a stale index is ignored", ls.n == 2 && !ls.f[0].idx);
	s = (struct counter){.shmid = 42};
	shmw_logfile_read(&ls.f[0], &seg, count_line, &s, NULL);
	CHECK_INT("without the index: only lines naming shmid 42 reach the caller", s.lines, 6);
	CHECK_INT("without the index: shmid 42's lines all there", s.of_shmid, 6);
	/* shmid 4 is in every 100th line, through every chunk read; 40..49 are not it. */
	seg.shmid = 4;
	s = (struct counter){.shmid = 4};
	shmw_logfile_read(&ls.f[0], &seg, count_line, &s, NULL);
	CHECK_INT("without the index: shmid 4's 200 lines, not 40's or 41's", s.lines, 200);
	CHECK_INT("without the index: each of them names shmid 4", s.of_shmid, 200);
	seg.shmid = 42;
	shmw_logset_close(&ls);
	unlink(gz);
	unlink(idx);
	unlink(path);
}

/* A line longer than a block, and a last line without its newline. */
static void test_long_line(void)
{
	char src[300], gz[300], idx[300], err[256];
	size_t big = 3 * SHMW_LOGSET_BLOCK, len;
	char *line = malloc(big + 200), *back;
	FILE *f;

	snprintf(src, sizeof(src), "%s.2", path);
	snprintf(gz, sizeof(gz), "%s.2.gz", path);
	snprintf(idx, sizeof(idx), "%s.2.gz.idx", path);
	f = fopen(src, "w");
	fputs("{\"time\":\"2026-12-07T18:00:00.000000Z\",\"event\":\"x\",\"shmid\":1}\n", f);
	memset(line, 'a', big);
	line[big] = 0;
	fprintf(f, "{\"time\":\"2026-12-07T18:00:01.000000Z\",\"shmid\":2,\"pad\":\"%s\"}\n", line);
	fputs("{\"time\":\"2026-12-07T18:00:02.000000Z\",\"event\":\"y\",\"shmid\":3}", f);
	fclose(f);
	struct stat st;

	stat(src, &st);
	CHECK_INT("long line: compress",
		  shmw_logset_compress(src, gz, 1, NULL, NULL, err, sizeof(err)), 0);
	back = slurp_gz(gz, &len);
	CHECK("long line: all back", back && len == (size_t)st.st_size);
	CHECK("long line: the last line without newline kept",
	      back && len > 3 && !memcmp(back + len - 3, ":3}", 3));
	free(back);
	free(line);
	unlink(gz);
	unlink(idx);
}

/* ---- queries ---- */

static json_object *run(const struct shmw_lq *q)
{
	struct shmw_logset ls;
	struct shmw_jbuf b = {0};
	json_object *o = NULL;

	if (shmw_logset_open(&ls, path) == 0) {
		if (shmw_lq_run(&ls, q, &b, NULL) == 0 && b.p) {
			b.p[b.len - 1] = 0;
			o = json_tokener_parse(b.p);
		}
		shmw_logset_close(&ls);
	}
	shmw_jbuf_free(&b);
	return o;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

/* "event pid,event pid,..." of an answer's events. */
static void events_of(json_object *o, char *buf, size_t len)
{
	json_object *evs = json_object_object_get(o, "events");
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; evs && i < json_object_array_length(evs) && off < len; i++) {
		json_object *e = json_object_array_get_idx(evs, i);

		off += (size_t)snprintf(buf + off, len - off, "%s%s %s", i ? "," : "",
					jstr(e, "event"), jstr(e, "pid"));
	}
}

static void holders_of(json_object *o, char *buf, size_t len)
{
	json_object *hs = json_object_object_get(o, "holders");
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; hs && i < json_object_array_length(hs) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					jstr(json_object_array_get_idx(hs, i), "pid"));
}

static void test_queries(void)
{
	char src[300], gz[300], err[256], buf[512], got[512];
	FILE *f;
	json_object *o;

	/* Segment 5: created by 10 (uid 0), attached by 10 and 11 (uid 1000), 10 detaches and
	 * removes it, 11's exit frees it. Then a new segment 5 (the id reused) by 12. Other
	 * segments in between, and the first half in a rotated file. */
	snprintf(src, sizeof(src), "%s.1", path);
	snprintf(gz, sizeof(gz), "%s.1.gz", path);
	f = fopen(src, "w");
	life_line(buf, sizeof(buf), 1000000, "create", 5, 10, 0, "shmget");
	fputs(buf, f);
	holder_line(buf, sizeof(buf), 2000000, "attach", 5, 10, 0, "0xa");
	fputs(buf, f);
	holder_line(buf, sizeof(buf), 2500000, "attach", 6, 13, 0, "0xc");
	fputs(buf, f);
	life_line(buf, sizeof(buf), 2600000, "create", 9, 14, 0, "shmget");
	fputs(buf, f);
	life_line(buf, sizeof(buf), 2700000, "destroy", 9, 14, 0, "rmid");
	fputs(buf, f);
	holder_line(buf, sizeof(buf), 3000000, "attach", 5, 11, 1000, "0xb");
	fputs(buf, f);
	fclose(f);
	{
		char prev[300];

		snprintf(prev, sizeof(prev), "%s.2", path);
		CHECK_INT("queries: compress",
			  shmw_logset_compress(src, gz, 6, prev, NULL, err, sizeof(err)), 0);
	}
	f = fopen(path, "w");
	holder_line(buf, sizeof(buf), 4000000, "detach", 5, 10, 0, "0xa");
	fputs(buf, f);
	life_line(buf, sizeof(buf), 5000000, "rmid", 5, 10, 0, "shmctl");
	fputs(buf, f);
	fputs("{\"time\":\"2026-12-07T18:00:05.500000Z\",\"event\":\"linger\",\"ns\":7,\"shmid\":5,"
	      "\"holders\":[{\"pid\":11,\"comm\":\"p11\",\"uid\":1000}]}\n",
	      f);
	/* After IPC_RMID the kernel's key is 0 (IPC_PRIVATE): so is the holder line's. */
	fputs("{\"time\":\"2026-12-07T18:00:06.000000Z\",\"event\":\"detach\",\"cause\":\"exit\","
	      "\"ns\":7,\"shmid\":5,\"key\":0,\"size\":4096,\"pid\":11,\"comm\":\"p11\","
	      "\"uid\":1000,\"user\":\"u1000\",\"vmas\":0,\"mm\":\"0xb\"}\n",
	      f);
	life_line(buf, sizeof(buf), 6000001, "destroy", 5, 11, 1000, "exit");
	fputs(buf, f);
	life_line(buf, sizeof(buf), 8000000, "create", 5, 12, 0, "shmget");
	fputs(buf, f);
	fputs("not json at all\n", f);
	fclose(f);

	struct shmw_lq h = {
	    .kind = SHMW_LQ_HISTORY, .has_shmid = true, .shmid = 5, .last = 100, .all = true};

	o = run(&h);
	events_of(o, got, sizeof(got));
	CHECK_STR("history: in order, across the .gz and the live file", got,
		  "create 10,attach 10,attach 11,detach 10,rmid 10,linger ,detach 11,destroy 11,"
		  "create 12");
	CHECK_STR("history: no line of another shmid (9 came between)", jstr(o, "matched"), "9");
	CHECK_STR("history: matched", jstr(o, "matched"), "9");
	json_object_put(o);
	h.last = 2;
	o = run(&h);
	events_of(o, got, sizeof(got));
	CHECK_STR("history -n 2: the last two", got, "destroy 11,create 12");
	CHECK_STR("history -n 2: the others counted", jstr(o, "omitted"), "7");
	json_object_put(o);
	h.last = 100;
	h.all = false;
	h.uid = 1000;
	o = run(&h);
	events_of(o, got, sizeof(got));
	CHECK_STR("history as uid 1000: its own lines only (no alert)", got,
		  "attach 11,detach 11,destroy 11");
	json_object_put(o);
	h.uid = 2000;
	o = run(&h);
	CHECK_STR("history as uid 2000: nothing it may see", jstr(o, "code"), "no_such_segment");
	json_object_put(o);

	struct shmw_lq e = {.kind = SHMW_LQ_EVENTS, .last = 100, .all = true};

	e.has_pid = true;
	e.pid = 11;
	o = run(&e);
	events_of(o, got, sizeof(got));
	CHECK_STR("events --pid 11: its lines and the alert naming it", got,
		  "attach 11,linger ,detach 11,destroy 11");
	json_object_put(o);
	e.has_pid = false;
	snprintf(e.event, sizeof(e.event), "attach");
	o = run(&e);
	events_of(o, got, sizeof(got));
	CHECK_STR("events --event attach", got, "attach 10,attach 13,attach 11");
	json_object_put(o);
	e.event[0] = 0;
	e.has_key = true;
	e.key = 1006;
	o = run(&e);
	events_of(o, got, sizeof(got));
	CHECK_STR("events --key", got, "attach 13");
	json_object_put(o);
	e.key = 1005;
	o = run(&e);
	events_of(o, got, sizeof(got));
	CHECK_STR("events --key: the segment's lines, those with key 0 after its rmid too", got,
		  "create 10,attach 10,attach 11,detach 10,rmid 10,linger ,detach 11,destroy 11,"
		  "create 12");
	json_object_put(o);
	e.has_key = false;
	e.since = (T0 + 4) * SHMW_NS_PER_SEC;
	e.until = (T0 + 6) * SHMW_NS_PER_SEC;
	o = run(&e);
	events_of(o, got, sizeof(got));
	CHECK_STR("events --since --until", got, "detach 10,rmid 10,linger ,detach 11");
	json_object_put(o);

	struct shmw_lq w = {.kind = SHMW_LQ_WHO_AT, .has_shmid = true, .shmid = 5, .all = true};

	w.at = T0 * SHMW_NS_PER_SEC;
	o = run(&w);
	CHECK_STR("who --at before the create: none", jstr(o, "code"), "no_such_segment");
	json_object_put(o);
	w.at = (T0 + 3) * SHMW_NS_PER_SEC;
	o = run(&w);
	holders_of(o, got, sizeof(got));
	CHECK_STR("who --at 3 s: 10 and 11", got, "10,11");
	CHECK_STR("who --at 3 s: ok", jstr(o, "status"), "ok");
	CHECK_STR("who --at 3 s: created by 10", jstr(o, "created_pid"), "10");
	CHECK_STR("who --at 3 s: since of 11",
		  jstr(json_object_array_get_idx(json_object_object_get(o, "holders"), 1), "since"),
		  "2026-12-07T18:00:03.000000Z");
	json_object_put(o);
	w.at = (T0 + 2) * SHMW_NS_PER_SEC + 500 * SHMW_NS_PER_MS;
	o = run(&w);
	holders_of(o, got, sizeof(got));
	CHECK_STR("who --at 2.5 s (before the checkpoint's end): 10", got, "10");
	CHECK("who --at 2.5 s: read from the oldest file, no checkpoint",
	      !json_object_object_get(json_object_object_get(o, "read"), "checkpoint"));
	json_object_put(o);
	w.at = (T0 + 5) * SHMW_NS_PER_SEC;
	o = run(&w);
	CHECK("who --at 5 s: started from the checkpoint of the .gz",
	      json_object_get_boolean(
		  json_object_object_get(json_object_object_get(o, "read"), "checkpoint")));
	CHECK_STR("who --at 5 s: 11, attached before the checkpoint's end",
		  jstr(json_object_array_get_idx(json_object_object_get(o, "holders"), 0), "pid"),
		  "11");
	CHECK_STR("who --at 5 s: its since, kept by the checkpoint",
		  jstr(json_object_array_get_idx(json_object_object_get(o, "holders"), 0), "since"),
		  "2026-12-07T18:00:03.000000Z");
	json_object_put(o);
	{
		struct shmw_lq g = {.kind = SHMW_LQ_WHO_AT,
				    .has_shmid = true,
				    .shmid = 9,
				    .all = true,
				    .at = (T0 + 4) * SHMW_NS_PER_SEC};

		o = run(&g);
		CHECK_STR("who --at of a segment destroyed before the checkpoint: gone",
			  jstr(o, "status"), "gone");
		CHECK_STR("who --at of a segment destroyed before the checkpoint: created by 14",
			  jstr(o, "created_pid"), "14");
		json_object_put(o);
	}
	w.at = (T0 + 5) * SHMW_NS_PER_SEC;
	o = run(&w);
	holders_of(o, got, sizeof(got));
	CHECK_STR("who --at the rmid: 11", got, "11");
	CHECK_STR("who --at the rmid: dest", jstr(o, "status"), "dest");
	CHECK_STR("who --at the rmid: removed by 10", jstr(o, "rmid_pid"), "10");
	json_object_put(o);
	w.at = (T0 + 7) * SHMW_NS_PER_SEC;
	o = run(&w);
	CHECK_STR("who --at after the destroy: gone", jstr(o, "status"), "gone");
	CHECK_STR("who --at after the destroy: by exit", jstr(o, "destroy_cause"), "exit");
	json_object_put(o);
	w.at = (T0 + 9) * SHMW_NS_PER_SEC;
	o = run(&w);
	CHECK_STR("who --at the new segment 5: ok again", jstr(o, "status"), "ok");
	CHECK_STR("who --at the new segment 5: created by 12", jstr(o, "created_pid"), "12");
	CHECK("who --at the new segment 5: no rmid of the old one",
	      !json_object_object_get(o, "rmid_pid"));
	json_object_put(o);
	w.at = (T0 + 3) * SHMW_NS_PER_SEC;
	w.all = false;
	w.uid = 1000;
	o = run(&w);
	holders_of(o, got, sizeof(got));
	CHECK_STR("who --at as uid 1000: its own holder", got, "11");
	CHECK_STR("who --at as uid 1000: the other hidden", jstr(o, "hidden_holders"), "1");
	json_object_put(o);
	w.has_ns = true;
	w.ns = 8;
	o = run(&w);
	CHECK_STR("who --at in another namespace: none", jstr(o, "code"), "no_such_segment");
	json_object_put(o);
	unlink(gz);
	snprintf(gz, sizeof(gz), "%s.1.gz.idx", path);
	unlink(gz);
	unlink(path);
}

/* A checkpoint is complete only on a complete one, or on nothing. */
static void test_checkpoint_chain(void)
{
	char base[300], p3[320], p2[320], g2[320], p1[320], g1[320], line[512], err[256];
	struct shmw_logset ls;
	uint64_t tmax;
	bool complete = true;
	FILE *f;

	snprintf(base, sizeof(base), "%s/chain.jsonl", dir);
	snprintf(p3, sizeof(p3), "%s.3", base);
	snprintf(p2, sizeof(p2), "%s.2", base);
	snprintf(g2, sizeof(g2), "%s.2.gz", base);
	snprintf(p1, sizeof(p1), "%s.1", base);
	snprintf(g1, sizeof(g1), "%s.1.gz", base);
	holder_line(line, sizeof(line), 1000, "attach", 3, 30, 0, "0x30");
	f = fopen(p3, "w"); /* a plain file before: what it holds is not in any checkpoint */
	fputs(line, f);
	fclose(f);
	f = fopen(p2, "w");
	holder_line(line, sizeof(line), 2000, "attach", 4, 40, 0, "0x40");
	fputs(line, f);
	fclose(f);
	CHECK_INT("chain: compress .2", shmw_logset_compress(p2, g2, 6, p3, NULL, err, sizeof(err)),
		  0);
	f = fopen(p1, "w");
	holder_line(line, sizeof(line), 3000, "detach", 4, 40, 0, "0x40");
	fputs(line, f);
	fclose(f);
	CHECK_INT("chain: compress .1", shmw_logset_compress(p1, g1, 6, p2, NULL, err, sizeof(err)),
		  0);
	f = fopen(base, "w");
	fclose(f);
	CHECK_INT("chain: open", shmw_logset_open(&ls, base), 0);
	CHECK_INT("chain: plain .3, .2.gz, .1.gz, live", ls.n, 4);
	CHECK("chain: .2.gz has a checkpoint, incomplete (a plain file before it)",
	      ls.n == 4 && shmw_logfile_checkpoint(&ls.f[1], &tmax, &complete) && !complete);
	CHECK("chain: .1.gz's, on an incomplete one, incomplete too",
	      ls.n == 4 && shmw_logfile_checkpoint(&ls.f[2], &tmax, &complete) && !complete);
	shmw_logset_close(&ls);
	unlink(p3);
	unlink(g2);
	unlink(g1);
	snprintf(line, sizeof(line), "%s.idx", g2);
	unlink(line);
	snprintf(line, sizeof(line), "%s.idx", g1);
	unlink(line);
	unlink(base);
}

static void test_audience(void)
{
	static const char *const lines[] = {
	    "{\"event\":\"attach\",\"uid\":1000,\"pid\":1}",
	    "{\"event\":\"linger\",\"holders\":[{\"uid\":1000}]}",
	    "{\"event\":\"orphan\",\"uid\":1000}",
	    "{\"event\":\"destroy\",\"cause\":\"vanished\"}",
	    "{\"event\":\"create\",\"comm\":\"\\\"uid\\\":7\",\"uid\":0}",
	};
	const uint32_t want[] = {1000, UINT32_MAX, UINT32_MAX, UINT32_MAX, 0};

	for (size_t i = 0; i < 5; i++) {
		char name[64];

		snprintf(name, sizeof(name), "audience of line %zu", i);
		CHECK(name, shmw_lq_audience(lines[i], strlen(lines[i])) == want[i]);
	}
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	test_compress_and_read();
	test_long_line();
	test_queries();
	test_checkpoint_chain();
	test_audience();
	rmdir(dir);
	return CHECK_DONE();
}
