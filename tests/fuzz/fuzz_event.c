// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: ring-buffer records and map snapshots into the daemon's state.
 *
 * The input is a program of steps; each starts with an opcode byte:
 *   raw event      the next sizeof(struct shmw_event) bytes as one record, any field value
 *                  (types and causes out of range, huge nvma, comm without NUL, any version);
 *   compact event  a record built from a few bytes, its mm, segment, pid and version drawn
 *                  from small pools so that events meet the same holders again;
 *   fill           one mm attaching FILL_SEGS or more distinct segments (no bound per mm);
 *   sync           a snapshot of the BPF maps built from the next bytes (unique keys, as a
 *                  BPF hash map has), applied with shmw_state_sync;
 *   query          who/ps/ls/namespaces/mm_of_pid answers over the current state.
 * Each event goes through shmw_state_apply like shmw_daemon_on_sample does, and through
 * shmw_report_event; each snapshot difference through shmw_event_from_change and
 * shmw_report_event like the daemon's on_change. After every step the state is walked again:
 * nholdings, the segment index and the pid index must agree with what the mms hold, and the
 * uthash tables must be sound. The JSON must be strict (valid UTF-8) and carry the event's
 * numbers, and the daemon's direct formatter (evline) must print the same bytes as json-c.
 * shmw_state_clear at the end: LeakSanitizer reports anything left behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HASH_DEBUG 1 /* HASH_FSCK (uthash's own consistency walk) below */
#include "fuzz_util.h"
#include "evline.h"
#include "procinfo.h"
#include "report.h"
#include "state.h"

#undef HASH_OOPS
#define HASH_OOPS(...)                                                                             \
	do {                                                                                       \
		fprintf(stderr, __VA_ARGS__);                                                      \
		abort();                                                                           \
	} while (0)

#define NS_A 4026531839u
#define NS_B 4026532500u

struct src {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct src *s)
{
	if (!s->n)
		return 0;
	s->n--;
	return *s->p++;
}

static uint32_t take32(struct src *s)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)take8(s) << (8 * i);
	return v;
}

static uint64_t take64(struct src *s)
{
	return (uint64_t)take32(s) | (uint64_t)take32(s) << 32;
}

static void take_bytes(struct src *s, void *dst, size_t len)
{
	size_t n = len < s->n ? len : s->n;

	memset(dst, 0, len);
	memcpy(dst, s->p, n);
	s->p += n;
	s->n -= n;
}

/* ---- value pools: mostly small and shared, sometimes anything ---- */

static uint64_t pick_mm(struct src *s)
{
	uint8_t b = take8(s);

	if (b == 0xff)
		return take64(s);
	return 0xffff888100000000ull + (uint64_t)(b % 8) * 0x1000;
}

static uint32_t pick_ns(struct src *s)
{
	uint8_t b = take8(s);

	switch (b % 8) {
	case 6:
		return 0;
	case 7:
		return take32(s);
	default:
		return b & 1 ? NS_B : NS_A;
	}
}

static uint32_t pick_shmid(struct src *s)
{
	uint8_t b = take8(s);

	return b >= 0xf0 ? take32(s) : b % 24;
}

static uint32_t pick_pid(struct src *s)
{
	uint8_t b = take8(s);

	return b == 0xff ? take32(s) : 100 + b % 8;
}

static uint32_t pick_nvma(struct src *s)
{
	uint8_t b = take8(s);

	if (b >= 0xf8)
		return UINT32_MAX - (b & 7);
	if (b >= 0xf0)
		return take32(s);
	return b % 4;
}

static uint32_t pick_uid(struct src *s)
{
	uint8_t b = take8(s);

	switch (b % 8) {
	case 0:
		return 0;
	case 1:
		return 65534;
	case 2:
		return take32(s);
	default:
		return 1000 + b % 3;
	}
}

static void pick_comm(struct src *s, char *comm)
{
	uint8_t b = take8(s);

	if (b % 4 == 0) {
		take_bytes(s, comm, SHMW_COMM_LEN); /* anything, NUL or not */
		return;
	}
	memset(comm, 0, SHMW_COMM_LEN);
	snprintf(comm, SHMW_COMM_LEN, "proc%u", b % 16);
}

/* The global version counter: mostly forward, sometimes standing, back, or far ahead. */
static uint64_t version;

static uint64_t next_version(struct src *s)
{
	uint8_t b = take8(s);

	if (b < 200)
		version += 1;
	else if (b < 220)
		; /* same version again */
	else if (b < 250)
		return version > (uint64_t)(b - 219) ? version - (b - 219) : 0;
	else if (b < 255)
		version += (uint64_t)1 << (b - 200);
	else
		return take64(s);
	return version;
}

/* ---- the state and its invariants ---- */

static struct shmw_state st;

FUZZ_NOCOV static struct shmw_mmst *find_mm(uint64_t mm)
{
	struct shmw_mmst *m = NULL;

	HASH_FIND(hh, st.mms, &mm, sizeof(mm), m);
	return m;
}

/* The checker's own lookups (shmw_mm_seg_of is under test, and instrumented). */
FUZZ_NOCOV static const struct shmw_mm_seg *slot_of(const struct shmw_mmst *m, uint32_t ns,
						    uint32_t shmid)
{
	for (uint32_t i = 0; i < m->nsegs; i++)
		if (m->segs[i].nvma && m->segs[i].ns == ns && m->segs[i].shmid == shmid)
			return &m->segs[i];
	return NULL;
}

FUZZ_NOCOV static uint32_t held_nvma(uint64_t mm, uint32_t ns, uint32_t shmid)
{
	const struct shmw_mmst *m = find_mm(mm);
	const struct shmw_mm_seg *s = m ? slot_of(m, ns, shmid) : NULL;

	return s ? s->nvma : 0;
}

FUZZ_NOCOV static void check_invariants(const char *step)
{
	struct shmw_mmst *m, *mt;
	struct shmw_seg *seg, *segt;
	struct shmw_sharerst *sh, *sht;
	uint64_t slots = 0, listed = 0;
	size_t indexed = 0, n;

	HASH_FSCK(hh, st.mms, "mms");
	HASH_FSCK(hh, st.segs, "segs");
	HASH_FSCK(hh, st.sharers, "sharers");

	n = 0;
	HASH_ITER(hh, st.mms, m, mt)
	{
		int held = 0;

		n++;
		FUZZ_CHECK(find_mm(m->mm) == m, "%s: mm 0x%llx not found by its key", step,
			   (unsigned long long)m->mm);
		for (uint32_t i = 0; i < m->nsegs; i++) {
			const struct shmw_mm_seg *s = &m->segs[i];
			uint32_t times = 0;

			FUZZ_CHECK(s->nvma, "%s: mm 0x%llx keeps a free slot", step,
				   (unsigned long long)m->mm);
			held++;
			slots++;
			seg = shmw_state_seg(&st, s->ns, s->shmid);
			FUZZ_CHECK(seg, "%s: mm 0x%llx holds %u/%u, which is not in the index",
				   step, (unsigned long long)m->mm, s->ns, s->shmid);
			for (uint32_t k = 0; k < seg->nmms; k++)
				times += seg->mms[k] == m;
			FUZZ_CHECK(times == 1, "%s: mm 0x%llx listed %u times under %u/%u", step,
				   (unsigned long long)m->mm, times, s->ns, s->shmid);
			FUZZ_CHECK(slot_of(m, s->ns, s->shmid) == s,
				   "%s: mm 0x%llx holds %u/%u in two slots", step,
				   (unsigned long long)m->mm, s->ns, s->shmid);
		}
		FUZZ_CHECK(held > 0, "%s: empty mm 0x%llx kept", step, (unsigned long long)m->mm);
		FUZZ_CHECK(memchr(m->comm, '\0', SHMW_COMM_LEN), "%s: comm not terminated", step);
		if (m->pid_indexed) {
			struct shmw_mmst *p = NULL;

			indexed++;
			HASH_FIND(hh_pid, st.by_pid, &m->tgid, sizeof(m->tgid), p);
			FUZZ_CHECK(p == m, "%s: mm 0x%llx pid_indexed, but pid %u finds %p", step,
				   (unsigned long long)m->mm, m->tgid, (void *)p);
		}
	}
	FUZZ_CHECK(n == shmw_state_nmms(&st), "%s: %zu mms walked, %zu counted", step, n,
		   shmw_state_nmms(&st));

	n = 0;
	HASH_ITER(hh, st.segs, seg, segt)
	{
		n++;
		FUZZ_CHECK(shmw_state_seg(&st, seg->ns, seg->shmid) == seg,
			   "%s: segment %u/%u not found by its key", step, seg->ns, seg->shmid);
		FUZZ_CHECK(seg->nmms >= 1, "%s: segment %u/%u has no holder", step, seg->ns,
			   seg->shmid);
		FUZZ_CHECK(seg->nmms <= seg->cap, "%s: segment %u/%u: %u holders, room for %u",
			   step, seg->ns, seg->shmid, seg->nmms, seg->cap);
		for (uint32_t i = 0; i < seg->nmms; i++) {
			const struct shmw_mmst *hm = seg->mms[i];

			listed++;
			FUZZ_CHECK(find_mm(hm->mm) == hm, "%s: segment %u/%u lists a freed mm",
				   step, seg->ns, seg->shmid);
			FUZZ_CHECK(slot_of(hm, seg->ns, seg->shmid),
				   "%s: segment %u/%u lists mm 0x%llx, which does not hold it",
				   step, seg->ns, seg->shmid, (unsigned long long)hm->mm);
		}
	}
	FUZZ_CHECK(n == shmw_state_nsegs(&st), "%s: %zu segments walked, %zu counted", step, n,
		   shmw_state_nsegs(&st));
	FUZZ_CHECK(st.nholdings == slots, "%s: nholdings %llu, held slots %llu", step,
		   (unsigned long long)st.nholdings, (unsigned long long)slots);
	FUZZ_CHECK(st.nholdings == listed, "%s: nholdings %llu, index entries %llu", step,
		   (unsigned long long)st.nholdings, (unsigned long long)listed);

	/* The pid index holds exactly the mms marked pid_indexed, each under its own tgid. */
	n = 0;
	HASH_ITER(hh_pid, st.by_pid, m, mt)
	{
		n++;
		FUZZ_CHECK(m->pid_indexed, "%s: pid %u indexed, mm not marked", step, m->tgid);
		FUZZ_CHECK(find_mm(m->mm) == m, "%s: pid %u indexes a freed mm", step, m->tgid);
	}
	FUZZ_CHECK(n == HASH_CNT(hh_pid, st.by_pid) && n == indexed,
		   "%s: pid index has %zu entries, %u counted, %zu mms marked", step, n,
		   HASH_CNT(hh_pid, st.by_pid), indexed);

	n = 0;
	HASH_ITER(hh, st.sharers, sh, sht)
	{
		struct shmw_sharerst *f = NULL;

		n++;
		HASH_FIND(hh, st.sharers, &sh->tgid, sizeof(sh->tgid), f);
		FUZZ_CHECK(f == sh, "%s: sharer %u not found by its key", step, sh->tgid);
		FUZZ_CHECK(memchr(sh->comm, '\0', SHMW_COMM_LEN), "%s: sharer comm not terminated",
			   step);
	}
	FUZZ_CHECK(n == HASH_CNT(hh, st.sharers), "%s: sharers", step);
}

/* ---- JSON ---- */

FUZZ_NOCOV static uint64_t json_u64(json_object *obj, const char *key)
{
	json_object *v = fuzz_json_member(obj, key, json_type_int);

	return json_object_get_uint64(v);
}

/* shmw_report_event(ev) as the daemon publishes it: strict JSON carrying the event. */
FUZZ_NOCOV static void check_event_json(const struct shmw_event *ev)
{
	json_object *o = shmw_report_event(ev), *back;
	const char *s;

	FUZZ_CHECK(o, "shmw_report_event returned NULL");
	s = json_object_to_json_string_ext(o,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	FUZZ_CHECK(s, "cannot serialize the event");
	back = fuzz_json_parse(s, strlen(s));
	FUZZ_CHECK(back, "event JSON is not strict JSON: %s", s);
	FUZZ_CHECK(strcmp(json_object_get_string(fuzz_json_member(back, "event", json_type_string)),
			  shmw_event_name(ev->type)) == 0,
		   "event name");
	FUZZ_CHECK(strcmp(json_object_get_string(fuzz_json_member(back, "cause", json_type_string)),
			  shmw_cause_name(ev->cause)) == 0,
		   "cause name");
	if (ev->type == SHMW_EV_IDENT) {
		/* Who a process is now: no segment, and only the json-c form (evline declines). */
		FUZZ_CHECK(json_u64(back, "pid") == ev->pid, "ident pid");
		FUZZ_CHECK(json_u64(back, "uid") == ev->uid, "ident uid");
		fuzz_json_member(back, "mm", json_type_string);
		{
			char line[SHMW_EVLINE_MAX];

			FUZZ_CHECK(!shmw_evline_format(line, sizeof(line), ev),
				   "evline formats an ident line");
		}
		json_object_put(back);
		json_object_put(o);
		return;
	}
	FUZZ_CHECK(json_u64(back, "ns") == ev->ns, "ns");
	FUZZ_CHECK(json_u64(back, "shmid") == ev->shmid, "shmid");
	FUZZ_CHECK(json_u64(back, "pid") == ev->pid, "pid");
	FUZZ_CHECK(json_u64(back, "uid") == ev->uid, "uid");
	fuzz_json_member(back, "comm", json_type_string);
	fuzz_json_member(back, "user", json_type_string);
	if (ev->type != SHMW_EV_RMID) {
		FUZZ_CHECK(json_u64(back, "key") == ev->key, "key");
		FUZZ_CHECK(json_u64(back, "size") == ev->size, "size");
		FUZZ_CHECK(json_u64(back, "vmas") == ev->nvma, "vmas");
		fuzz_json_member(back, "mm", json_type_string);
	}
	if (ev->ts)
		fuzz_json_member(back, "time", json_type_string);
	{
		/* The daemon's direct formatter prints the same bytes. The time is read from the
		 * clocks at each call and may differ by a microsecond: compared from "event" on. */
		char line[SHMW_EVLINE_MAX];
		size_t n = shmw_evline_format(line, sizeof(line), ev);
		const char *a = strstr(line, ",\"event\":"), *b = strstr(s, ",\"event\":");

		FUZZ_CHECK(n == strlen(s), "evline length %zu, json-c %zu: %s", n, strlen(s), s);
		FUZZ_CHECK(a && b && a - line == b - s && strcmp(a, b) == 0,
			   "evline differs from json-c:\n%s\n%s", line, s);
	}
	json_object_put(back);
	json_object_put(o);
}

/* Any answer object: strict JSON once serialized. */
FUZZ_NOCOV static void check_answer_json(json_object *o, const char *what)
{
	const char *s;
	json_object *back;

	FUZZ_CHECK(o, "%s: NULL", what);
	s = json_object_to_json_string_ext(o,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	back = fuzz_json_parse(s, strlen(s));
	FUZZ_CHECK(back, "%s: not strict JSON: %s", what, s);
	json_object_put(back);
	json_object_put(o);
}

/* ---- steps ---- */

/* What shmw_state_apply returned must match what changed (shmw_daemon_on_sample publishes
 * the event, and runs the segment lifecycle, on that answer alone). */
static void apply(const struct shmw_event *ev, bool full_check)
{
	bool holder =
	    ev->type == SHMW_EV_ATTACH || ev->type == SHMW_EV_DETACH || ev->type == SHMW_EV_VMAS;
	uint32_t before = held_nvma(ev->mm, ev->ns, ev->shmid), after;
	uint64_t holdings = st.nholdings;
	enum shmw_change chg;

	chg = shmw_state_apply(&st, ev);
	after = held_nvma(ev->mm, ev->ns, ev->shmid);
	switch (chg) {
	case SHMW_CHG_NONE:
		if (holder)
			FUZZ_CHECK(after == before, "no change reported, nvma %u -> %u", before,
				   after);
		break;
	case SHMW_CHG_ATTACH:
		FUZZ_CHECK(holder, "attach from event type %u", ev->type);
		FUZZ_CHECK(before == 0 && after == ev->nvma && after,
			   "attach reported, nvma %u -> %u (event says %u)", before, after,
			   ev->nvma);
		FUZZ_CHECK(st.nholdings == holdings + 1, "attach: nholdings %llu -> %llu",
			   (unsigned long long)holdings, (unsigned long long)st.nholdings);
		break;
	case SHMW_CHG_DETACH:
		FUZZ_CHECK(holder, "detach from event type %u", ev->type);
		FUZZ_CHECK(before && !after && !ev->nvma, "detach reported, nvma %u -> %u", before,
			   after);
		FUZZ_CHECK(st.nholdings + 1 == holdings, "detach: nholdings %llu -> %llu",
			   (unsigned long long)holdings, (unsigned long long)st.nholdings);
		break;
	case SHMW_CHG_VMAS:
		FUZZ_CHECK(holder, "vmas from event type %u", ev->type);
		FUZZ_CHECK(before && after == ev->nvma && before != after,
			   "vmas reported, nvma %u -> %u (event says %u)", before, after, ev->nvma);
		FUZZ_CHECK(st.nholdings == holdings, "vmas: nholdings %llu -> %llu",
			   (unsigned long long)holdings, (unsigned long long)st.nholdings);
		break;
	case SHMW_CHG_OWNER:
		FUZZ_CHECK(ev->type == SHMW_EV_OWNER, "owner from event type %u", ev->type);
		FUZZ_CHECK(find_mm(ev->mm) && find_mm(ev->mm)->tgid == ev->pid, "owner not set");
		break;
	case SHMW_CHG_SHARE:
	case SHMW_CHG_UNSHARE:
		FUZZ_CHECK(ev->type == SHMW_EV_SHARE || ev->type == SHMW_EV_UNSHARE,
			   "share change from event type %u", ev->type);
		break;
	default:
		FUZZ_CHECK(0, "unknown change %d", (int)chg);
	}
	if (!full_check)
		return;
	check_event_json(ev);
	check_invariants("apply");
}

static void step_raw(struct src *s)
{
	struct shmw_event ev;

	take_bytes(s, &ev, sizeof(ev)); /* the ring-buffer record, byte for byte */
	apply(&ev, true);
}

static void step_compact(struct src *s)
{
	struct shmw_event ev;
	uint8_t t = take8(s);

	memset(&ev, 0, sizeof(ev));
	ev.type = t < 250 ? t % 11u : take32(s); /* 0 and 10 are out of range */
	ev.cause = take8(s) % 14u;
	ev.version = next_version(s);
	ev.ts = take8(s) == 0xff ? take64(s) : 1000000000ull * version;
	ev.mm = pick_mm(s);
	ev.ns = pick_ns(s);
	ev.shmid = pick_shmid(s);
	ev.key = 0x5000 + ev.shmid;
	ev.size = 4096ull * (ev.shmid + 1);
	ev.since = ev.ts;
	ev.nvma = pick_nvma(s);
	ev.pid = pick_pid(s);
	ev.actor = take8(s) % 2 ? ev.pid : pick_pid(s);
	ev.uid = pick_uid(s);
	ev.how = take8(s) % 14u;
	pick_comm(s, ev.comm);
	apply(&ev, true);
}

/* More distinct segments than any fixed number of slots would hold. */
#define FILL_SEGS 70

static void step_fill(struct src *s)
{
	struct shmw_event ev;
	uint32_t n = FILL_SEGS + take8(s) % 4;
	uint32_t base = take8(s) % 32;

	memset(&ev, 0, sizeof(ev));
	ev.type = SHMW_EV_ATTACH;
	ev.cause = SHMW_CAUSE_SHMAT;
	ev.mm = pick_mm(s);
	ev.ns = NS_A;
	ev.pid = pick_pid(s);
	ev.uid = 1000;
	ev.nvma = 1;
	strcpy(ev.comm, "filler");
	for (uint32_t i = 0; i < n; i++) {
		ev.version = ++version;
		ev.ts = 1000000000ull * version;
		ev.shmid = base + i;
		/* The walk of the whole state after the last one only: this step is one step. */
		apply(&ev, i + 1 == n);
	}
}

/* ---- snapshots ---- */

#define MAX_RECS    6
#define MAX_SHARERS 4
#define REC_SEGS    80 /* holdings a snapshot's record can have here */

/* A record of a snapshot and its holdings (free ones, nvma 0, may sit between). */
struct fuzz_rec {
	struct shmw_snap_mm snap;
	struct shmw_mm_seg segs[REC_SEGS];
};

struct snapshot {
	uint64_t keys[MAX_RECS];
	struct fuzz_rec recs[MAX_RECS];
	size_t nrecs;
	uint32_t sharer_tgids[MAX_SHARERS];
	struct shmw_sharer sharers[MAX_SHARERS];
	size_t nsharers;
	uint64_t version;
};

static struct snapshot snap;

static void on_change(void *ctx, enum shmw_change chg, const struct shmw_mmst *mm,
		      const struct shmw_mm_seg *seg, uint32_t sharer_tgid)
{
	struct shmw_event ev;

	(void)ctx;
	switch (chg) {
	case SHMW_CHG_ATTACH:
	case SHMW_CHG_DETACH:
	case SHMW_CHG_VMAS:
		FUZZ_CHECK(mm && seg, "holder change %d without mm or segment", (int)chg);
		FUZZ_CHECK((chg == SHMW_CHG_DETACH) == (seg->nvma == 0), "change %d with nvma %u",
			   (int)chg, seg->nvma);
		break;
	case SHMW_CHG_OWNER:
		FUZZ_CHECK(mm && !seg, "owner change without mm");
		break;
	case SHMW_CHG_SHARE:
	case SHMW_CHG_UNSHARE:
		FUZZ_CHECK(!seg, "share change with a segment");
		break;
	default:
		FUZZ_CHECK(0, "unknown change %d", (int)chg);
	}
	/* What the daemon's on_change publishes. */
	shmw_event_from_change(&ev, chg, mm, seg, sharer_tgid, SHMW_CAUSE_RESYNC, 1000);
	check_event_json(&ev);
}

static void build_record(struct src *s, struct fuzz_rec *fr)
{
	struct shmw_snap_mm *r = &fr->snap;
	uint8_t b = take8(s);

	memset(fr, 0, sizeof(*fr));
	r->nsegs = REC_SEGS;
	r->flags = (b % 8 ? SHMW_MM_SEEDED : 0) | ((b >> 3) & (SHMW_MM_OVERFLOW | SHMW_MM_EXITING));
	r->version = next_version(s);
	r->tgid = pick_pid(s);
	r->uid = pick_uid(s);
	pick_comm(s, r->comm);
	if ((b >> 6) == 3) {
		/* Many segments in one mm: more than a fixed number of slots would hold. */
		uint32_t base = take8(s) % 32;

		for (int j = 0; j < REC_SEGS; j++) {
			fr->segs[j].ns = NS_A;
			fr->segs[j].shmid = base + (uint32_t)j;
			fr->segs[j].nvma = 1;
			fr->segs[j].how = SHMW_CAUSE_SEED;
		}
		return;
	}
	for (int n = take8(s) % 6; n > 0; n--) {
		struct shmw_mm_seg *g = &fr->segs[take8(s) % REC_SEGS];

		g->ns = pick_ns(s);
		g->shmid = pick_shmid(s);
		g->key = 0x5000 + g->shmid;
		g->size = 4096ull * (g->shmid + 1);
		g->since = 1000;
		g->nvma = pick_nvma(s);
		g->how = take8(s) % 14u;
	}
}

/* After shmw_state_sync: the state is the snapshot (seeded records with something held, the
 * sharers, the floor). Each record's slots may name a segment twice: the last one counts. */
FUZZ_NOCOV static void check_synced(void)
{
	size_t expected_mms = 0;

	for (size_t i = 0; i < snap.nrecs; i++) {
		const struct shmw_snap_mm *r = &snap.recs[i].snap;
		const struct shmw_mm_seg *segs = snap.recs[i].segs;
		const struct shmw_mmst *m = find_mm(snap.keys[i]);
		int want = 0, have = 0;

		for (int j = 0; j < REC_SEGS; j++) {
			const struct shmw_mm_seg *g = &segs[j];
			bool later = false;

			if (!g->nvma)
				continue;
			for (int k = j + 1; k < REC_SEGS; k++)
				later |= segs[k].nvma && segs[k].ns == g->ns &&
					 segs[k].shmid == g->shmid;
			if (later)
				continue;
			want++;
			if (!(r->flags & SHMW_MM_SEEDED))
				continue;
			FUZZ_CHECK(m, "sync: mm 0x%llx of the snapshot missing",
				   (unsigned long long)snap.keys[i]);
			FUZZ_CHECK(held_nvma(snap.keys[i], g->ns, g->shmid) == g->nvma,
				   "sync: mm 0x%llx holds %u VMAs of %u/%u, snapshot says %u",
				   (unsigned long long)snap.keys[i],
				   held_nvma(snap.keys[i], g->ns, g->shmid), g->ns, g->shmid,
				   g->nvma);
		}
		if (!(r->flags & SHMW_MM_SEEDED) || !want) {
			FUZZ_CHECK(!m, "sync: mm 0x%llx kept (seeded %d, %d segments in snapshot)",
				   (unsigned long long)snap.keys[i], !!(r->flags & SHMW_MM_SEEDED),
				   want);
			continue;
		}
		expected_mms++;
		for (uint32_t j = 0; j < m->nsegs; j++)
			have += m->segs[j].nvma != 0;
		FUZZ_CHECK(have == want, "sync: mm 0x%llx holds %d segments, snapshot has %d",
			   (unsigned long long)snap.keys[i], have, want);
		FUZZ_CHECK(m->tgid == r->tgid && m->version == r->version && m->flags == r->flags,
			   "sync: mm 0x%llx owner/version/flags differ from the snapshot",
			   (unsigned long long)snap.keys[i]);
	}
	FUZZ_CHECK(shmw_state_nmms(&st) == expected_mms, "sync: %zu mms, snapshot has %zu",
		   shmw_state_nmms(&st), expected_mms);
	FUZZ_CHECK(HASH_CNT(hh, st.sharers) == snap.nsharers, "sync: %u sharers, snapshot has %zu",
		   HASH_CNT(hh, st.sharers), snap.nsharers);
	for (size_t i = 0; i < snap.nsharers; i++) {
		const struct shmw_sharerst *sh = NULL;

		HASH_FIND(hh, st.sharers, &snap.sharer_tgids[i], sizeof(uint32_t), sh);
		FUZZ_CHECK(sh && sh->mm == snap.sharers[i].mm, "sync: sharer %u differs",
			   snap.sharer_tgids[i]);
	}
	FUZZ_CHECK(st.floor == snap.version, "sync: floor %llu, snapshot version %llu",
		   (unsigned long long)st.floor, (unsigned long long)snap.version);
}

static void step_sync(struct src *s)
{
	size_t want_recs = take8(s) % (MAX_RECS + 1);
	size_t want_sharers = take8(s) % (MAX_SHARERS + 1);

	memset(&snap, 0, sizeof(snap));
	for (size_t i = 0; i < want_recs; i++) {
		uint64_t key = pick_mm(s);
		bool dup = false;

		for (size_t k = 0; k < snap.nrecs; k++)
			dup |= snap.keys[k] == key;
		if (dup)
			continue; /* a BPF hash map has each key once */
		snap.keys[snap.nrecs] = key;
		build_record(s, &snap.recs[snap.nrecs]);
		snap.nrecs++;
	}
	for (size_t i = 0; i < want_sharers; i++) {
		uint32_t tgid = pick_pid(s);
		struct shmw_sharer *sh = &snap.sharers[snap.nsharers];
		bool dup = false;

		for (size_t k = 0; k < snap.nsharers; k++)
			dup |= snap.sharer_tgids[k] == tgid;
		if (dup)
			continue;
		snap.sharer_tgids[snap.nsharers] = tgid;
		memset(sh, 0, sizeof(*sh));
		sh->mm = pick_mm(s);
		sh->since = 2000;
		sh->uid = pick_uid(s);
		pick_comm(s, sh->comm);
		snap.nsharers++;
	}
	/* The counter when the maps were read: at least what the records carry, in practice. */
	snap.version = next_version(s);
	{
		struct shmw_snap_mm v[MAX_RECS];

		for (size_t i = 0; i < snap.nrecs; i++) {
			v[i] = snap.recs[i].snap;
			v[i].segs = snap.recs[i].segs;
		}
		shmw_state_sync(&st, snap.keys, v, snap.nrecs, snap.sharer_tgids, snap.sharers,
				snap.nsharers, snap.version, 0, 0, on_change, NULL);
	}
	check_invariants("sync");
	check_synced();
}

/* ---- queries over the state (what requests.c answers with) ---- */

static void step_query(struct src *s)
{
	uint32_t ns = pick_ns(s), shmid = pick_shmid(s), pid = pick_pid(s);
	const struct shmw_sharerst *sh;
	const struct shmw_seg *seg = shmw_state_seg(&st, ns, shmid);
	struct shmw_kseg k;
	uint32_t nss[4];
	size_t n;

	n = shmw_state_namespaces_of(&st, shmid, nss, 4);
	FUZZ_CHECK(!seg || n >= 1, "namespaces_of misses a held segment");
	FUZZ_CHECK(shmw_report_nholders(&st, seg) >= (seg ? seg->nmms : 0), "nholders");
	shmw_state_mm_of_pid(&st, pid, &sh);
	check_answer_json(shmw_report_who(&st, ns, (int32_t)(shmid & INT32_MAX), NULL), "who");
	check_answer_json(shmw_report_ps(&st, pid, NULL, 0), "ps");

	/* With the kernel's view of the segment (what shmw_kseg_parse or IPC_STAT gave). */
	memset(&k, 0, sizeof(k));
	k.ns = ns;
	k.shmid = (int32_t)(shmid & INT32_MAX);
	k.key = take8(s) % 2 ? 0x5000 + shmid : take32(s);
	k.perms = take32(s);
	k.size = take64(s);
	k.nattch = (int64_t)take64(s);
	k.cpid = (int32_t)take32(s);
	k.lpid = (int32_t)take32(s);
	k.uid = pick_uid(s);
	check_answer_json(shmw_report_who(&st, ns, k.shmid, &k), "who with kernel view");
	check_answer_json(shmw_report_ls(&st, &k, 1, nss, n < 4 ? n : 4), "ls");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = {data, size};

	shmw_state_init(&st);
	version = 0;
	while (s.n) {
		uint8_t op = take8(&s) % 16;

		if (op < 10)
			step_compact(&s);
		else if (op < 12)
			step_raw(&s);
		else if (op < 14)
			step_sync(&s);
		else if (op < 15)
			step_fill(&s);
		else
			step_query(&s);
	}
	shmw_state_clear(&st);
	FUZZ_CHECK(!st.mms && !st.segs && !st.by_pid && !st.sharers && !st.nholdings,
		   "clear left something");
	shmw_user_cache_clear(); /* the uid cache interns names: keep runs independent */
	return 0;
}
