/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* JSON for events and answers (docs/protocol.md), built from state and the kernel table. */
#ifndef SHMW_REPORT_H
#define SHMW_REPORT_H
#include <stdbool.h>
#include <json-c/json.h>
#include "jsonproto.h"
#include "kseg.h"
#include "state.h"

const char *shmw_event_name(uint32_t type);
const char *shmw_cause_name(uint32_t cause);

/* One event as a JSON object (docs/protocol.md "event"). */
json_object *shmw_report_event(const struct shmw_event *ev);
/* The event a snapshot difference stands for (cause: SHMW_CAUSE_SEED or _RESYNC). */
void shmw_event_from_change(struct shmw_event *ev, enum shmw_change chg, const struct shmw_mmst *mm,
			    const struct shmw_mm_seg *seg, uint32_t sharer_tgid, uint32_t cause,
			    uint64_t ts_boot);

/* who: k is the kernel's view (NULL if the kernel has no such segment). */
json_object *shmw_report_who(const struct shmw_state *st, uint32_t ns, int32_t shmid,
			     const struct shmw_kseg *k);
/* Which holders of a `who` answer a client sees. */
struct shmw_who_filter {
	bool all;	       /* an admin: every holder is named */
	uint32_t uid;	       /* otherwise only those running as uid; the rest are counted */
	const char *container; /* NULL or "": any; else only holders in a container whose id
				* starts with it */
	bool rows;	       /* holders as "rows" under "columns" instead of "holders" */
	bool lines;	       /* holders as text lines after the answer line (docs/protocol.md) */
	/* lines: b is handed to flush (which sends and empties it) whenever it holds chunk
	 * bytes (0: SHMW_WHO_CHUNK), so the client reads the first rows while the rest are
	 * written; NULL: everything stays in b. Not called once b is out of memory. */
	void (*flush)(void *arg, struct shmw_jbuf *b);
	void *flush_arg;
	size_t chunk;
};
#define SHMW_WHO_CHUNK (16u << 10)
/* The `who` answer line (newline included) appended to b: the text json-c would write for
 * shmw_report_who(st, ns, shmid, k) with the holders f lets through, then, for a client that
 * is not an admin, "hidden_holders". With f->rows, "holders" is replaced by "columns" and
 * "rows": one array per holder, the columns of the table only. With f->lines, the answer line
 * ends after "columns"; one text line per holder of those columns follows, then the line
 * {"lines":N} (with "hidden_holders"). Written directly: no tree, no /proc but the first look
 * at a holder (shmw_procx_get), ~0.3 us per holder. */
void shmw_report_who_line(struct shmw_jbuf *b, const struct shmw_state *st, uint32_t ns,
			  int32_t shmid, const struct shmw_kseg *k,
			  const struct shmw_who_filter *f);
/* How many holders of a segment run in a container whose id starts with prefix. */
size_t shmw_report_ncontainer(const struct shmw_state *st, uint32_t ns, int32_t shmid,
			      const char *prefix);
/* ps: comm/uid describe the process when it holds nothing (may be NULL/0). */
json_object *shmw_report_ps(const struct shmw_state *st, uint32_t pid, const char *comm,
			    uint32_t uid);
/* ls: every segment of the kernel tables read. */
json_object *shmw_report_ls(const struct shmw_state *st, const struct shmw_kseg *segs, size_t n,
			    const uint32_t *nss, size_t nns);
/* Processes holding a segment (owners and sharers of its mms). */
uint32_t shmw_report_nholders(const struct shmw_state *st, const struct shmw_seg *seg);
#endif
