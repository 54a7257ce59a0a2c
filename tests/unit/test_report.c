// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/daemon/core/report.c: the JSON of events and of who/ps/ls answers
 * (docs/protocol.md). Every object is printed and parsed back with json-c, then checked field by
 * field: field order is not part of the protocol. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "check.h"
#include "procinfo.h"
#include "report.h"
#include "timefmt.h"

#define NS1	4026531839u
#define NS2	4026532500u
#define NOFIELD (-999999)

#define SEC 1000000000ull

/* ---- JSON access ---- */

/* Prints o, frees it and returns the parse of the text (NULL if it does not parse). */
static json_object *roundtrip(json_object *o)
{
	json_object *p;

	if (!o)
		return NULL;
	p = json_tokener_parse(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return p;
}

static json_object *field(json_object *o, const char *k)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static bool has(json_object *o, const char *k)
{
	return o && json_object_object_get_ex(o, k, NULL);
}

/* Integer field, NOFIELD if missing or not an integer. */
static long long num(json_object *o, const char *k)
{
	json_object *v = field(o, k);

	if (!v || !json_object_is_type(v, json_type_int))
		return NOFIELD;
	return (long long)json_object_get_int64(v);
}

/* String field, NULL if missing or not a string. */
static const char *str(json_object *o, const char *k)
{
	json_object *v = field(o, k);

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool is_true(json_object *o, const char *k)
{
	json_object *v = field(o, k);

	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static size_t arr_len(json_object *o, const char *k)
{
	json_object *v = field(o, k);

	if (!v || !json_object_is_type(v, json_type_array))
		return (size_t)-1;
	return json_object_array_length(v);
}

static json_object *arr_at(json_object *o, const char *k, size_t i)
{
	json_object *v = field(o, k);

	if (!v || !json_object_is_type(v, json_type_array) || i >= json_object_array_length(v))
		return NULL;
	return json_object_array_get_idx(v, i);
}

/* The element of array k whose field "pid" is pid. */
static json_object *by_pid(json_object *o, const char *k, long long pid)
{
	size_t n = arr_len(o, k);

	for (size_t i = 0; n != (size_t)-1 && i < n; i++)
		if (num(arr_at(o, k, i), "pid") == pid)
			return arr_at(o, k, i);
	return NULL;
}

/* The element of array k with this ns and shmid. */
static json_object *by_seg(json_object *o, const char *k, uint32_t ns, uint32_t shmid)
{
	size_t n = arr_len(o, k);

	for (size_t i = 0; n != (size_t)-1 && i < n; i++) {
		json_object *e = arr_at(o, k, i);

		if (num(e, "ns") == ns && num(e, "shmid") == shmid)
			return e;
	}
	return NULL;
}

/* Does time field k name boot_ns (within 10 ms: the boot-to-real offset is read twice)? */
static bool time_is(json_object *o, const char *k, uint64_t boot_ns)
{
	const char *s = str(o, k);
	uint64_t got, want = shmw_boot_to_real(boot_ns);

	if (!s || s[strlen(s) - 1] != 'Z' || shmw_parse_rfc3339(s, &got))
		return false;
	return (got > want ? got - want : want - got) < 10000000ull;
}

/* ---- events ---- */

static struct shmw_event mkev(uint32_t type, uint32_t cause, uint64_t ts)
{
	struct shmw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts = ts;
	ev.version = 1;
	ev.type = type;
	ev.cause = cause;
	ev.mm = 0xffff888012345678ull;
	ev.ns = NS1;
	ev.shmid = 32769;
	ev.key = 0xdeadbeef;
	ev.size = 1048576;
	ev.since = ts;
	ev.nvma = 1;
	ev.pid = 4321;
	ev.actor = 4321;
	ev.uid = 0;
	ev.how = SHMW_CAUSE_SHMAT;
	strcpy(ev.comm, "holder");
	return ev;
}

static void test_event(void)
{
	uint64_t ts = 5 * SEC + 123456000;
	struct shmw_event ev = mkev(SHMW_EV_ATTACH, SHMW_CAUSE_SHMAT, ts);
	json_object *o = roundtrip(shmw_report_event(&ev));

	CHECK("event attach parses", o && json_object_is_type(o, json_type_object));
	CHECK_STR("event attach event", str(o, "event"), "attach");
	CHECK_STR("event attach cause", str(o, "cause"), "shmat");
	CHECK("event attach time", time_is(o, "time", ts));
	CHECK_INT("event attach ns", num(o, "ns"), NS1);
	CHECK_INT("event attach shmid", num(o, "shmid"), 32769);
	CHECK_INT("event attach key unsigned", num(o, "key"), 0xdeadbeefll);
	CHECK_INT("event attach size", num(o, "size"), 1048576);
	CHECK_INT("event attach pid", num(o, "pid"), 4321);
	CHECK_STR("event attach comm", str(o, "comm"), "holder");
	CHECK_INT("event attach uid", num(o, "uid"), 0);
	CHECK_STR("event attach user", str(o, "user"), "root");
	CHECK_INT("event attach vmas", num(o, "vmas"), 1);
	CHECK_STR("event attach mm", str(o, "mm"), "0xffff888012345678");
	CHECK("event attach no actor (actor == pid)", !has(o, "actor"));
	json_object_put(o);

	/* Fork: the parent is the actor; a uid without a name shows as a number. */
	ev = mkev(SHMW_EV_ATTACH, SHMW_CAUSE_FORK, ts);
	ev.actor = 4000;
	ev.uid = 4242;
	ev.nvma = 3;
	o = roundtrip(shmw_report_event(&ev));
	CHECK_STR("event fork cause", str(o, "cause"), "fork");
	CHECK_INT("event fork actor", num(o, "actor"), 4000);
	CHECK_INT("event fork pid", num(o, "pid"), 4321);
	CHECK_INT("event fork vmas", num(o, "vmas"), 3);
	CHECK_INT("event fork uid", num(o, "uid"), 4242);
	CHECK_STR("event fork user without name", str(o, "user"), "4242");
	json_object_put(o);

	ev = mkev(SHMW_EV_DETACH, SHMW_CAUSE_EXIT, ts);
	ev.nvma = 0;
	ev.actor = 0;
	o = roundtrip(shmw_report_event(&ev));
	CHECK_STR("event detach event", str(o, "event"), "detach");
	CHECK_STR("event detach cause", str(o, "cause"), "exit");
	CHECK_INT("event detach vmas 0", num(o, "vmas"), 0);
	CHECK_INT("event detach key", num(o, "key"), 0xdeadbeefll);
	CHECK_INT("event detach size", num(o, "size"), 1048576);
	CHECK("event detach no actor (actor 0)", !has(o, "actor"));
	json_object_put(o);

	/* A process names itself with any bytes (PR_SET_NAME): the line must stay UTF-8, so
	 * JSON. 16 bytes without a NUL, ending in a cut two-byte character. */
	ev = mkev(SHMW_EV_ATTACH, SHMW_CAUSE_SHMAT, ts);
	memcpy(ev.comm, "bad\xff\xc3\xa9xxxxxxxx\xc3", SHMW_COMM_LEN);
	o = roundtrip(shmw_report_event(&ev));
	CHECK_STR("event comm not UTF-8 is cleaned", str(o, "comm"),
		  "bad\xef\xbf\xbd\xc3\xa9xxxxxxxx\xef\xbf\xbd");
	json_object_put(o);

	/* RMID: pid is the remover; key and size are not reported. */
	ev = mkev(SHMW_EV_RMID, SHMW_CAUSE_SHMCTL, ts);
	o = roundtrip(shmw_report_event(&ev));
	CHECK_STR("event rmid event", str(o, "event"), "rmid");
	CHECK_STR("event rmid cause", str(o, "cause"), "shmctl");
	CHECK("event rmid no key", !has(o, "key"));
	CHECK("event rmid no size", !has(o, "size"));
	CHECK("event rmid no vmas", !has(o, "vmas"));
	CHECK("event rmid no mm", !has(o, "mm"));
	CHECK("event rmid no actor", !has(o, "actor"));
	CHECK_INT("event rmid shmid", num(o, "shmid"), 32769);
	CHECK_INT("event rmid ns", num(o, "ns"), NS1);
	CHECK_INT("event rmid pid", num(o, "pid"), 4321);
	CHECK_STR("event rmid comm", str(o, "comm"), "holder");
	json_object_put(o);

	/* A comm of exactly SHMW_COMM_LEN bytes has no NUL in the event. */
	ev = mkev(SHMW_EV_SHARE, SHMW_CAUSE_FORK, ts);
	memcpy(ev.comm, "0123456789abcdef", SHMW_COMM_LEN);
	ev.actor = 4322;
	o = roundtrip(shmw_report_event(&ev));
	CHECK_STR("event share event", str(o, "event"), "share");
	CHECK_STR("event full comm", str(o, "comm"), "0123456789abcdef");
	CHECK_INT("event share actor", num(o, "actor"), 4322);
	json_object_put(o);
}

static void test_names(void)
{
	static const char *const causes[SHMW_CAUSE_MAX] = {
	    [SHMW_CAUSE_NONE] = "none",	    [SHMW_CAUSE_SHMAT] = "shmat",
	    [SHMW_CAUSE_SHMDT] = "shmdt",   [SHMW_CAUSE_FORK] = "fork",
	    [SHMW_CAUSE_EXEC] = "exec",	    [SHMW_CAUSE_EXIT] = "exit",
	    [SHMW_CAUSE_MUNMAP] = "munmap", [SHMW_CAUSE_SPLIT] = "split",
	    [SHMW_CAUSE_SHMCTL] = "shmctl", [SHMW_CAUSE_SEED] = "seed",
	    [SHMW_CAUSE_RESYNC] = "resync", [SHMW_CAUSE_MREMAP] = "mremap",
	    [SHMW_CAUSE_SHMGET] = "shmget", [SHMW_CAUSE_SETUID] = "setuid",
	    [SHMW_CAUSE_RENAME] = "rename",
	};
	static const char *const events[] = {
	    [SHMW_EV_ATTACH] = "attach",   [SHMW_EV_DETACH] = "detach",
	    [SHMW_EV_VMAS] = "vmas",	   [SHMW_EV_RMID] = "rmid",
	    [SHMW_EV_OWNER] = "owner",	   [SHMW_EV_SHARE] = "share",
	    [SHMW_EV_UNSHARE] = "unshare", [SHMW_EV_OVERFLOW] = "overflow",
	};
	char name[64];

	for (uint32_t c = 0; c < SHMW_CAUSE_MAX; c++) {
		struct shmw_event ev = mkev(SHMW_EV_VMAS, c, SEC);
		json_object *o = roundtrip(shmw_report_event(&ev));

		snprintf(name, sizeof(name), "cause name %u", c);
		CHECK_STR(name, shmw_cause_name(c), causes[c]);
		snprintf(name, sizeof(name), "event cause field %u", c);
		CHECK_STR(name, str(o, "cause"), causes[c]);
		json_object_put(o);
	}
	CHECK_STR("cause name out of range", shmw_cause_name(SHMW_CAUSE_MAX), "unknown");
	CHECK_STR("cause name huge", shmw_cause_name(0xffffffffu), "unknown");
	for (uint32_t t = SHMW_EV_ATTACH; t <= SHMW_EV_OVERFLOW; t++) {
		snprintf(name, sizeof(name), "event name %u", t);
		CHECK_STR(name, shmw_event_name(t), events[t]);
	}
	CHECK_STR("event name 0", shmw_event_name(0), "unknown");
	CHECK_STR("event name create", shmw_event_name(SHMW_EV_CREATE), "create");
	CHECK_STR("event name rescan", shmw_event_name(SHMW_EV_RESCAN), "rescan");
	CHECK_STR("event name destroy", shmw_event_name(SHMW_EV_DESTROY), "destroy");
	CHECK_STR("event name ident", shmw_event_name(SHMW_EV_IDENT), "ident");
	CHECK_STR("event name past the last", shmw_event_name(SHMW_EV_TYPE_MAX), "unknown");
	CHECK_STR("event name huge", shmw_event_name(0xffffffffu), "unknown");
	{
		struct shmw_event ev = mkev(77, 55, SEC);
		json_object *o = roundtrip(shmw_report_event(&ev));

		CHECK_STR("event unknown type", str(o, "event"), "unknown");
		CHECK_STR("event unknown cause", str(o, "cause"), "unknown");
		json_object_put(o);
	}
}

static void test_event_from_change(void)
{
	struct shmw_mmst m;
	struct shmw_mm_seg s = {.size = 8192,
				.since = 3 * SEC,
				.ns = NS2,
				.shmid = 9,
				.key = 0x1234,
				.nvma = 2,
				.how = SHMW_CAUSE_SEED};
	struct shmw_event ev;

	memset(&m, 0, sizeof(m));
	m.mm = 0xabc000;
	m.tgid = 77;
	m.uid = 1000;
	strcpy(m.comm, "seeded");
	shmw_event_from_change(&ev, SHMW_CHG_ATTACH, &m, &s, 0, SHMW_CAUSE_SEED, 9 * SEC);
	CHECK_INT("from change attach type", ev.type, SHMW_EV_ATTACH);
	CHECK_INT("from change cause", ev.cause, SHMW_CAUSE_SEED);
	CHECK_INT("from change ts", ev.ts, 9 * SEC);
	CHECK_INT("from change mm", ev.mm, 0xabc000);
	CHECK_INT("from change pid", ev.pid, 77);
	CHECK_INT("from change uid", ev.uid, 1000);
	CHECK_STR("from change comm", ev.comm, "seeded");
	CHECK_INT("from change ns", ev.ns, NS2);
	CHECK_INT("from change shmid", ev.shmid, 9);
	CHECK_INT("from change key", ev.key, 0x1234);
	CHECK_INT("from change size", ev.size, 8192);
	CHECK_INT("from change nvma", ev.nvma, 2);
	CHECK_INT("from change since", ev.since, 3 * SEC);
	CHECK_INT("from change how", ev.how, SHMW_CAUSE_SEED);
	CHECK_INT("from change actor", ev.actor, 0);
	shmw_event_from_change(&ev, SHMW_CHG_DETACH, &m, &s, 0, SHMW_CAUSE_RESYNC, 1);
	CHECK_INT("from change detach", ev.type, SHMW_EV_DETACH);
	shmw_event_from_change(&ev, SHMW_CHG_VMAS, &m, &s, 0, SHMW_CAUSE_RESYNC, 1);
	CHECK_INT("from change vmas", ev.type, SHMW_EV_VMAS);
	shmw_event_from_change(&ev, SHMW_CHG_OWNER, &m, NULL, 0, SHMW_CAUSE_RESYNC, 1);
	CHECK_INT("from change owner", ev.type, SHMW_EV_OWNER);
	CHECK_INT("from change owner no seg", ev.shmid + ev.ns + ev.nvma, 0);
	/* A sharer of an mm the state no longer has. */
	shmw_event_from_change(&ev, SHMW_CHG_UNSHARE, NULL, NULL, 88, SHMW_CAUSE_RESYNC, 1);
	CHECK_INT("from change unshare", ev.type, SHMW_EV_UNSHARE);
	CHECK_INT("from change unshare actor", ev.actor, 88);
	CHECK_INT("from change unshare no mm", ev.mm, 0);
	CHECK_INT("from change unshare names the sharer", ev.pid, 88);
	shmw_event_from_change(&ev, SHMW_CHG_SHARE, &m, NULL, 89, SHMW_CAUSE_RESYNC, 1);
	CHECK_INT("from change share", ev.type, SHMW_EV_SHARE);
	CHECK_INT("from change share actor", ev.actor, 89);
	CHECK_INT("from change share pid", ev.pid, 77);
}

/* ---- who / ps / ls over one state ---- */

static struct shmw_state st;
static uint64_t version;

static void apply(uint32_t type, uint64_t mm, uint32_t pid, uint32_t uid, const char *comm,
		  uint32_t ns, uint32_t shmid, uint32_t key, uint32_t nvma, uint64_t since,
		  uint32_t how)
{
	struct shmw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.version = ++version;
	ev.ts = since;
	ev.type = type;
	ev.cause = how;
	ev.mm = mm;
	ev.ns = ns;
	ev.shmid = shmid;
	ev.key = key;
	ev.size = 8192;
	ev.since = since;
	ev.nvma = nvma;
	ev.pid = pid;
	ev.actor = pid;
	ev.uid = uid;
	ev.how = how;
	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	shmw_state_apply(&st, &ev);
}

static void add_sharer(uint64_t mm, uint32_t owner, uint32_t tgid, uint32_t uid, const char *comm,
		       uint64_t since)
{
	struct shmw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.version = ++version;
	ev.ts = since;
	ev.type = SHMW_EV_SHARE;
	ev.cause = SHMW_CAUSE_FORK;
	ev.mm = mm;
	ev.pid = owner;
	ev.actor = tgid;
	ev.uid = uid;
	snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
	shmw_state_apply(&st, &ev);
}

/*
 * NS1/5 (key 0xdeadbeef, now marked for destruction): mm A (pid 100, 2 VMAs, shmat) and
 * mm B (pid 200, 1 VMA, fork) with sharer 201 (vfork child).
 * NS1/6 (key 0x66): mm C (pid 300) with sharers 301 and 302.
 * NS2/5: nobody holds it (a colliding shmid in another namespace).
 */
static void build_state(void)
{
	shmw_state_init(&st);
	apply(SHMW_EV_ATTACH, 0xa000, 100, 0, "alpha", NS1, 5, 0xdeadbeef, 1, 10 * SEC,
	      SHMW_CAUSE_SHMAT);
	apply(SHMW_EV_VMAS, 0xa000, 100, 0, "alpha", NS1, 5, 0xdeadbeef, 2, 10 * SEC,
	      SHMW_CAUSE_SHMAT);
	apply(SHMW_EV_ATTACH, 0xb000, 200, 4242, "beta", NS1, 5, 0xdeadbeef, 1, 20 * SEC,
	      SHMW_CAUSE_FORK);
	add_sharer(0xb000, 200, 201, 4243, "beta-child", 30 * SEC);
	apply(SHMW_EV_ATTACH, 0xc000, 300, 0, "gamma", NS1, 6, 0x66, 1, 40 * SEC, SHMW_CAUSE_SHMAT);
	add_sharer(0xc000, 300, 301, 0, "gamma-t1", 5 * SEC); /* older than the attach */
	add_sharer(0xc000, 300, 302, 0, "gamma-t2", 50 * SEC);
}

static struct shmw_kseg kseg(uint32_t ns, int32_t shmid, uint32_t key, uint32_t perms,
			     int64_t nattch)
{
	struct shmw_kseg k;

	memset(&k, 0, sizeof(k));
	k.ns = ns;
	k.shmid = shmid;
	k.key = key;
	k.perms = perms;
	k.size = 12288;
	k.cpid = 100;
	k.lpid = 200;
	k.nattch = nattch;
	k.uid = 4242;
	k.gid = 4242;
	k.cuid = 0;
	k.cgid = 0;
	return k;
}

static void test_who(void)
{
	struct shmw_kseg k = kseg(NS1, 5, 0, 01640, 3);
	json_object *o, *h;
	long long vmas_a, vmas_b;

	o = roundtrip(shmw_report_who(&st, NS1, 5, &k));
	CHECK("who dest parses", o != NULL);
	CHECK("who dest ok", is_true(o, "ok"));
	CHECK_INT("who dest shmid", num(o, "shmid"), 5);
	CHECK_INT("who dest ns", num(o, "ns"), NS1);
	CHECK_INT("who dest key is the original", num(o, "key"), 0xdeadbeefll);
	CHECK_INT("who dest key_now 0", num(o, "key_now"), 0);
	CHECK_STR("who dest status", str(o, "status"), "dest");
	CHECK_STR("who dest perms without the dest bit", str(o, "perms"), "0640");
	CHECK_INT("who dest nattch", num(o, "nattch"), 3);
	CHECK_INT("who dest size from kernel", num(o, "size"), 12288);
	CHECK_INT("who dest uid", num(o, "uid"), 4242);
	CHECK_INT("who dest cuid", num(o, "cuid"), 0);
	CHECK_INT("who dest cpid", num(o, "cpid"), 100);
	CHECK_INT("who dest lpid", num(o, "lpid"), 200);
	CHECK_INT("who dest holders", arr_len(o, "holders"), 3);

	h = by_pid(o, "holders", 100);
	CHECK("who holder 100 present", h != NULL);
	CHECK_STR("who holder 100 role", str(h, "role"), "owner");
	CHECK_STR("who holder 100 comm", str(h, "comm"), "alpha");
	CHECK_INT("who holder 100 uid", num(h, "uid"), 0);
	CHECK_STR("who holder 100 user", str(h, "user"), "root");
	CHECK_INT("who holder 100 vmas", num(h, "vmas"), 2);
	CHECK_STR("who holder 100 how", str(h, "how"), "shmat");
	CHECK_STR("who holder 100 mm", str(h, "mm"), "0xa000");
	CHECK("who holder 100 since", time_is(h, "since", 10 * SEC));
	vmas_a = num(h, "vmas");

	h = by_pid(o, "holders", 200);
	CHECK_STR("who holder 200 role", str(h, "role"), "owner");
	CHECK_STR("who holder 200 how", str(h, "how"), "fork");
	CHECK_STR("who holder 200 user", str(h, "user"), "4242");
	CHECK_STR("who holder 200 mm", str(h, "mm"), "0xb000");
	CHECK_INT("who holder 200 vmas", num(h, "vmas"), 1);
	vmas_b = num(h, "vmas");

	h = by_pid(o, "holders", 201);
	CHECK("who sharer 201 present", h != NULL);
	CHECK_STR("who sharer 201 role", str(h, "role"), "sharer");
	CHECK_STR("who sharer 201 comm", str(h, "comm"), "beta-child");
	CHECK_INT("who sharer 201 uid", num(h, "uid"), 4243);
	CHECK_STR("who sharer 201 mm is the owner's", str(h, "mm"), "0xb000");
	CHECK_INT("who sharer 201 vmas are the mm's", num(h, "vmas"), 1);
	CHECK_STR("who sharer 201 how", str(h, "how"), "fork");
	CHECK("who sharer 201 since is when it joined", time_is(h, "since", 30 * SEC));
	CHECK("who no holder from another segment", !by_pid(o, "holders", 300));
	CHECK_INT("who vmas over distinct mm equal nattch", vmas_a + vmas_b, 3);
	json_object_put(o);

	/* The kernel no longer has it (removed after the last detach we have not seen yet). */
	o = roundtrip(shmw_report_who(&st, NS1, 5, NULL));
	CHECK("who gone ok", is_true(o, "ok"));
	CHECK_STR("who gone status", str(o, "status"), "gone");
	CHECK_INT("who gone nattch -1", num(o, "nattch"), -1);
	CHECK_INT("who gone key from state", num(o, "key"), 0xdeadbeefll);
	CHECK("who gone no key_now", !has(o, "key_now"));
	CHECK_INT("who gone size from state", num(o, "size"), 8192);
	CHECK("who gone no perms", !has(o, "perms"));
	CHECK("who gone no cpid", !has(o, "cpid"));
	CHECK_INT("who gone holders still listed", arr_len(o, "holders"), 3);
	json_object_put(o);

	/* Active, with sharers: one older than the attach (since is the attach), one newer. */
	k = kseg(NS1, 6, 0x66, 0600, 1);
	o = roundtrip(shmw_report_who(&st, NS1, 6, &k));
	CHECK_STR("who active status", str(o, "status"), "active");
	CHECK_STR("who active perms", str(o, "perms"), "0600");
	CHECK_INT("who active key", num(o, "key"), 0x66);
	CHECK("who active no key_now", !has(o, "key_now"));
	CHECK_INT("who active holders", arr_len(o, "holders"), 3);
	CHECK_STR("who active owner", str(by_pid(o, "holders", 300), "role"), "owner");
	CHECK_STR("who active sharer 301", str(by_pid(o, "holders", 301), "role"), "sharer");
	CHECK_STR("who active sharer 302", str(by_pid(o, "holders", 302), "role"), "sharer");
	CHECK("who sharer older than attach: since of attach",
	      time_is(by_pid(o, "holders", 301), "since", 40 * SEC));
	CHECK("who sharer newer than attach: its own since",
	      time_is(by_pid(o, "holders", 302), "since", 50 * SEC));
	json_object_put(o);

	/* Same shmid, other namespace, nobody holds it: not confused with NS1/5. */
	k = kseg(NS2, 5, 0x5, 0644, 0);
	o = roundtrip(shmw_report_who(&st, NS2, 5, &k));
	CHECK_INT("who unheld ns", num(o, "ns"), NS2);
	CHECK_INT("who unheld key from kernel", num(o, "key"), 5);
	CHECK("who unheld no key_now", !has(o, "key_now"));
	CHECK_INT("who unheld holders empty", arr_len(o, "holders"), 0);
	CHECK_STR("who unheld status", str(o, "status"), "active");
	CHECK_INT("who unheld nattch", num(o, "nattch"), 0);
	json_object_put(o);

	/* Neither the kernel nor the state has it. */
	o = roundtrip(shmw_report_who(&st, NS2, 77, NULL));
	CHECK_STR("who nothing status", str(o, "status"), "gone");
	CHECK_INT("who nothing key", num(o, "key"), 0);
	CHECK_INT("who nothing size", num(o, "size"), 0);
	CHECK_INT("who nothing holders", arr_len(o, "holders"), 0);
	json_object_put(o);
}

static void test_ps(void)
{
	json_object *o, *s;

	o = roundtrip(shmw_report_ps(&st, 201, "ignored", 9999));
	CHECK("ps sharer ok", is_true(o, "ok"));
	CHECK_INT("ps sharer pid", num(o, "pid"), 201);
	CHECK_STR("ps sharer comm is its own", str(o, "comm"), "beta-child");
	CHECK_INT("ps sharer uid is its own", num(o, "uid"), 4243);
	CHECK_STR("ps sharer user", str(o, "user"), "4243");
	CHECK_INT("ps sharer segments", arr_len(o, "segments"), 1);
	s = by_seg(o, "segments", NS1, 5);
	CHECK("ps sharer segment NS1/5", s != NULL);
	CHECK_STR("ps sharer role", str(s, "role"), "sharer");
	CHECK_STR("ps sharer mm", str(s, "mm"), "0xb000");
	CHECK_INT("ps sharer key", num(s, "key"), 0xdeadbeefll);
	CHECK_INT("ps sharer size", num(s, "size"), 8192);
	CHECK_INT("ps sharer vmas", num(s, "vmas"), 1);
	CHECK_STR("ps sharer how", str(s, "how"), "fork");
	CHECK("ps sharer since", time_is(s, "since", 30 * SEC));
	json_object_put(o);

	o = roundtrip(shmw_report_ps(&st, 301, NULL, 0));
	s = by_seg(o, "segments", NS1, 6);
	CHECK_STR("ps early sharer role", str(s, "role"), "sharer");
	CHECK("ps early sharer since is the attach", time_is(s, "since", 40 * SEC));
	json_object_put(o);

	o = roundtrip(shmw_report_ps(&st, 100, "ignored", 9999));
	CHECK_STR("ps owner comm", str(o, "comm"), "alpha");
	CHECK_INT("ps owner uid", num(o, "uid"), 0);
	CHECK_STR("ps owner user", str(o, "user"), "root");
	CHECK_INT("ps owner segments", arr_len(o, "segments"), 1);
	s = by_seg(o, "segments", NS1, 5);
	CHECK_STR("ps owner role", str(s, "role"), "owner");
	CHECK_INT("ps owner vmas", num(s, "vmas"), 2);
	CHECK_STR("ps owner how", str(s, "how"), "shmat");
	CHECK_STR("ps owner mm", str(s, "mm"), "0xa000");
	CHECK("ps owner since", time_is(s, "since", 10 * SEC));
	json_object_put(o);

	o = roundtrip(shmw_report_ps(&st, 999, "bash", 0));
	CHECK("ps non-holder ok", is_true(o, "ok"));
	CHECK_INT("ps non-holder pid", num(o, "pid"), 999);
	CHECK_STR("ps non-holder comm from caller", str(o, "comm"), "bash");
	CHECK_INT("ps non-holder uid from caller", num(o, "uid"), 0);
	CHECK_STR("ps non-holder user", str(o, "user"), "root");
	CHECK_INT("ps non-holder segments empty", arr_len(o, "segments"), 0);
	json_object_put(o);

	o = roundtrip(shmw_report_ps(&st, 998, NULL, 4242));
	CHECK_STR("ps non-holder NULL comm", str(o, "comm"), "");
	CHECK_STR("ps non-holder user by uid", str(o, "user"), "4242");
	CHECK_INT("ps non-holder NULL comm segments", arr_len(o, "segments"), 0);
	json_object_put(o);
}

static void test_ls(void)
{
	struct shmw_kseg ks[4] = {
	    kseg(NS1, 5, 0, 01640, 3),
	    kseg(NS1, 6, 0x66, 0600, 1),
	    kseg(NS2, 5, 0x5, 0644, 0),
	    kseg(NS1, 8, 0x88, 0666, 0),
	};
	uint32_t nss[2] = {NS1, NS2};
	json_object *o, *e;

	CHECK_INT("nholders NS1/5", shmw_report_nholders(&st, shmw_state_seg(&st, NS1, 5)), 3);
	CHECK_INT("nholders NS1/6", shmw_report_nholders(&st, shmw_state_seg(&st, NS1, 6)), 3);
	CHECK_INT("nholders NULL", shmw_report_nholders(&st, NULL), 0);

	o = roundtrip(shmw_report_ls(&st, ks, 4, nss, 2));
	CHECK("ls ok", is_true(o, "ok"));
	CHECK_INT("ls namespaces", arr_len(o, "namespaces"), 2);
	CHECK_INT("ls namespace 0", json_object_get_int64(arr_at(o, "namespaces", 0)), NS1);
	CHECK_INT("ls namespace 1", json_object_get_int64(arr_at(o, "namespaces", 1)), NS2);
	CHECK_INT("ls segments", arr_len(o, "segments"), 4);

	e = by_seg(o, "segments", NS1, 5);
	CHECK("ls NS1/5 present", e != NULL);
	CHECK_INT("ls NS1/5 holders: 2 owners + 1 sharer", num(e, "holders"), 3);
	CHECK_INT("ls NS1/5 key original", num(e, "key"), 0xdeadbeefll);
	CHECK_INT("ls NS1/5 key_now", num(e, "key_now"), 0);
	CHECK_STR("ls NS1/5 status", str(e, "status"), "dest");
	CHECK_STR("ls NS1/5 perms", str(e, "perms"), "0640");
	CHECK_INT("ls NS1/5 nattch", num(e, "nattch"), 3);
	CHECK_INT("ls NS1/5 size from kernel", num(e, "size"), 12288);
	CHECK_INT("ls NS1/5 uid", num(e, "uid"), 4242);
	CHECK_STR("ls NS1/5 user: named by the daemon (none: the number)", str(e, "user"), "4242");
	CHECK_INT("ls NS1/5 cpid", num(e, "cpid"), 100);
	CHECK_INT("ls NS1/5 lpid", num(e, "lpid"), 200);

	e = by_seg(o, "segments", NS1, 6);
	CHECK_INT("ls NS1/6 holders: 1 owner + 2 sharers", num(e, "holders"), 3);
	CHECK_STR("ls NS1/6 status", str(e, "status"), "active");
	CHECK("ls NS1/6 no key_now", !has(e, "key_now"));

	e = by_seg(o, "segments", NS2, 5);
	CHECK_INT("ls NS2/5 holders (colliding shmid)", num(e, "holders"), 0);
	CHECK_INT("ls NS2/5 key", num(e, "key"), 5);

	e = by_seg(o, "segments", NS1, 8);
	CHECK_INT("ls NS1/8 holders", num(e, "holders"), 0);
	CHECK_STR("ls NS1/8 perms", str(e, "perms"), "0666");
	json_object_put(o);

	o = roundtrip(shmw_report_ls(&st, NULL, 0, NULL, 0));
	CHECK_INT("ls empty segments", arr_len(o, "segments"), 0);
	CHECK_INT("ls empty namespaces", arr_len(o, "namespaces"), 0);
	json_object_put(o);
}

/* The text of a json-c object as the daemon sends it, with each "since" value blanked (the
 * two writers read the clocks at different moments: a microsecond may tick in between). */
static char *blank_since(const char *text)
{
	char *t = strdup(text), *p = t;

	while ((p = strstr(p, "\"since\":\""))) {
		p += 9;
		for (; *p && *p != '"'; p++)
			*p = 'T';
	}
	return t;
}

static char *who_text(uint32_t ns, int32_t shmid, const struct shmw_kseg *k,
		      const struct shmw_who_filter *f)
{
	struct shmw_jbuf b = {0};
	char *t;

	shmw_report_who_line(&b, &st, ns, shmid, k, f);
	shmw_jbuf_raw(&b, "", 1);
	t = b.oom ? NULL : blank_since(b.p);
	shmw_jbuf_free(&b);
	return t;
}

static char *tree_text(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);
	char *line = malloc(n + 2), *t;

	memcpy(line, s, n);
	memcpy(line + n, "\n", 2);
	t = blank_since(line);
	free(line);
	return t;
}

static json_object *who_parsed(uint32_t ns, int32_t shmid, const struct shmw_kseg *k,
			       const struct shmw_who_filter *f)
{
	char *t = who_text(ns, shmid, k, f);
	json_object *o = t ? json_tokener_parse(t) : NULL;

	free(t);
	return o;
}

/* A flush for "lines" answers: appends b to arg and empties it. */
static int flushes;

static void collect(void *arg, struct shmw_jbuf *b)
{
	shmw_jbuf_raw(arg, b->p, b->len);
	b->len = 0;
	flushes++;
}

/* The answer written directly is the text json-c writes for shmw_report_who, byte for byte. */
static void test_who_line(void)
{
	struct shmw_who_filter all = {.all = true};
	struct shmw_kseg k5 = kseg(NS1, 5, 0, 01640, 3), k6 = kseg(NS1, 6, 0x66, 0600, 1);
	const struct {
		uint32_t ns;
		int32_t shmid;
		const struct shmw_kseg *k;
		const char *name;
	} cases[] = {
	    {NS1, 5, &k5, "who line dest, key_now, sharer"}, {NS1, 5, NULL, "who line gone"},
	    {NS1, 6, &k6, "who line active, two sharers"},   {NS2, 77, NULL, "who line nothing"},
	    {NS1, 9, NULL, "who line comm needing escapes"},
	};

	/* A process names itself with any bytes: quotes, controls, invalid UTF-8. */
	apply(SHMW_EV_ATTACH, 0xd000, 400, 0, "q\"\\\x01\x7f\xff\xc3\xa9/x", NS1, 9, 0x99, 1,
	      60 * SEC, SHMW_CAUSE_SHMAT);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = shmw_report_who(&st, cases[i].ns, cases[i].shmid, cases[i].k);
		char *want = tree_text(o),
		     *got = who_text(cases[i].ns, cases[i].shmid, cases[i].k, &all);

		CHECK_STR(cases[i].name, got, want);
		free(want);
		free(got);
		json_object_put(o);
	}

	/* A client that is not an admin: only its own holders, the others counted. */
	{
		struct shmw_who_filter mine = {.all = false, .uid = 4242};
		json_object *o = who_parsed(NS1, 5, &k5, &mine);

		CHECK_INT("who line uid 4242: holders", arr_len(o, "holders"), 1);
		CHECK("who line uid 4242: its own", by_pid(o, "holders", 200) != NULL);
		CHECK_INT("who line uid 4242: hidden", num(o, "hidden_holders"), 2);
		json_object_put(o);
		mine.uid = 7;
		o = who_parsed(NS1, 6, &k6, &mine);
		CHECK_INT("who line uid 7: none", arr_len(o, "holders"), 0);
		CHECK_INT("who line uid 7: hidden", num(o, "hidden_holders"), 3);
		json_object_put(o);
	}
	/* Rows: the table's columns of the same holders, in the same order. */
	{
		struct shmw_who_filter rows = {.all = true, .rows = true};
		json_object *full = who_parsed(NS1, 5, &k5, &all);
		json_object *o = who_parsed(NS1, 5, &k5, &rows), *hs = field(full, "holders");
		json_object *rs = field(o, "rows");
		bool same =
		    rs && hs && json_object_array_length(rs) == json_object_array_length(hs);

		CHECK("who rows: no holders objects", !has(o, "holders"));
		CHECK_STR(
		    "who rows: columns",
		    json_object_to_json_string_ext(field(o, "columns"), JSON_C_TO_STRING_PLAIN),
		    "[\"pid\",\"user\",\"comm\",\"since\",\"how\",\"vmas\"]");
		CHECK_INT("who rows: header as without", num(o, "nattch"), num(full, "nattch"));
		for (size_t i = 0; same && i < json_object_array_length(rs); i++) {
			json_object *r = json_object_array_get_idx(rs, i);
			json_object *h = json_object_array_get_idx(hs, i);

			same = json_object_get_int64(json_object_array_get_idx(r, 0)) ==
				   num(h, "pid") &&
			       !strcmp(json_object_get_string(json_object_array_get_idx(r, 1)),
				       str(h, "user")) &&
			       !strcmp(json_object_get_string(json_object_array_get_idx(r, 2)),
				       str(h, "comm")) &&
			       !strcmp(json_object_get_string(json_object_array_get_idx(r, 4)),
				       str(h, "how")) &&
			       json_object_get_int64(json_object_array_get_idx(r, 5)) ==
				   num(h, "vmas");
		}
		CHECK("who rows: the holders' columns", same);
		json_object_put(o);
		json_object_put(full);
	}
	/* Lines: the answer line, one text row per holder with the rows' values, the count. */
	{
		struct shmw_who_filter rows = {.all = true, .rows = true};
		struct shmw_who_filter lines = {.all = true, .lines = true};
		json_object *ro = who_parsed(NS1, 5, &k5, &rows), *rs = field(ro, "rows");
		char *t = who_text(NS1, 5, &k5, &lines), *nl = t ? strchr(t, '\n') : NULL, *p;
		json_object *o, *end = NULL;
		bool same = rs != NULL;
		size_t n = 0;

		if (nl)
			*nl = '\0';
		o = t ? json_tokener_parse(t) : NULL;
		CHECK("who lines: answer line parses", o != NULL);
		CHECK("who lines: no holders, no rows", o && !has(o, "holders") && !has(o, "rows"));
		CHECK_STR(
		    "who lines: columns",
		    json_object_to_json_string_ext(field(o, "columns"), JSON_C_TO_STRING_PLAIN),
		    "[\"pid\",\"user\",\"comm\",\"since\",\"how\",\"vmas\"]");
		CHECK_INT("who lines: answer as with rows", num(o, "nattch"), num(ro, "nattch"));
		for (p = nl ? nl + 1 : NULL; same && p && *p && *p != '{'; n++) {
			json_object *r = json_object_array_get_idx(rs, n);
			char *e = strchr(p, '\n'), want[256];

			if (!r || !e) {
				same = false;
				break;
			}
			*e = '\0';
			snprintf(want, sizeof(want), "%" PRId64 "\t%s\t%s\t%s\t%s\t%" PRId64,
				 json_object_get_int64(json_object_array_get_idx(r, 0)),
				 json_object_get_string(json_object_array_get_idx(r, 1)),
				 json_object_get_string(json_object_array_get_idx(r, 2)),
				 json_object_get_string(json_object_array_get_idx(r, 3)),
				 json_object_get_string(json_object_array_get_idx(r, 4)),
				 json_object_get_int64(json_object_array_get_idx(r, 5)));
			same = !strcmp(p, want);
			if (!same)
				printf("  line %zu: \"%s\", want \"%s\"\n", n, p, want);
			p = e + 1;
		}
		CHECK("who lines: the rows' values, as text",
		      same && rs && n == json_object_array_length(rs) && n > 0);
		if (same && p && *p == '{') {
			char *e = strchr(p, '\n');

			if (e && !e[1]) {
				*e = '\0';
				end = json_tokener_parse(p);
			}
		}
		CHECK_INT("who lines: closing line with the count, last",
			  end ? num(end, "lines") : -1, (int64_t)n);
		json_object_put(end);
		json_object_put(o);
		json_object_put(ro);
		free(t);
	}
	/* Not an admin: the hidden holders are counted on the closing line. */
	{
		struct shmw_who_filter mine = {.uid = 4242, .lines = true};
		char *t = who_text(NS1, 5, &k5, &mine), *last = NULL;
		json_object *end;

		for (char *q = t; q && *q; q = strchr(q, '\n') + 1)
			last = q;
		end = last ? json_tokener_parse(last) : NULL;
		CHECK("who lines uid 4242: one row, two hidden",
		      end && num(end, "lines") == 1 && num(end, "hidden_holders") == 2);
		json_object_put(end);
		free(t);
	}
	/* Handed out in chunks as they fill, the same bytes in all. */
	{
		struct shmw_who_filter lines = {.all = true, .lines = true};
		struct shmw_jbuf sent = {0}, rest = {0};
		char *whole = who_text(NS1, 5, &k5, &lines);

		lines.flush = collect;
		lines.flush_arg = &sent;
		lines.chunk = 1;
		shmw_report_who_line(&rest, &st, NS1, 5, &k5, &lines);
		CHECK_INT("who lines: a flush per row", (int64_t)flushes, 3);
		shmw_jbuf_raw(&sent, rest.p, rest.len);
		shmw_jbuf_raw(&sent, "", 1);
		CHECK_STR("who lines: chunks make the same text", sent.oom ? NULL : sent.p, whole);
		shmw_jbuf_free(&sent);
		shmw_jbuf_free(&rest);
		free(whole);
	}
	/* No holder of these test pids runs in a container. */
	{
		struct shmw_who_filter c = {.all = true, .container = "ab"};
		json_object *o = who_parsed(NS1, 5, &k5, &c);

		CHECK_INT("who line container: none", arr_len(o, "holders"), 0);
		CHECK("who line container admin: no hidden count", !has(o, "hidden_holders"));
		json_object_put(o);
		CHECK_INT("ncontainer none", shmw_report_ncontainer(&st, NS1, 5, "ab"), 0);
	}
}

int main(void)
{
	test_event();
	test_names();
	test_event_from_change();
	build_state();
	test_who();
	test_ps();
	test_ls();
	test_who_line();
	shmw_state_clear(&st);
	shmw_user_cache_clear();
	return CHECK_DONE();
}
