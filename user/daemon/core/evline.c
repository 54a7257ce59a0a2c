// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The holder event line without a json-c object (see evline.h). Names that are not plain
 * printable ASCII (rare: a process may name itself with any bytes) go through json-c after
 * all, so escaping and UTF-8 cleaning stay exactly those of every other answer. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "evline.h"
#include "jsonproto.h"
#include "procinfo.h"
#include "report.h"
#include "timefmt.h"

struct out {
	char *p;
	char *end;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || (size_t)(o->end - o->p) < n) {
		o->full = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char d[20];
	int i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10));
	put(o, d + i, sizeof(d) - (size_t)i);
}

/* A JSON string value, quoted: as json-c prints shmw_json_string(s). */
static void put_str(struct out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	json_object *j;

	for (; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			break;
	if (!*p) {
		put(o, "\"", 1);
		put(o, s, (size_t)(p - (const unsigned char *)s));
		put(o, "\"", 1);
		return;
	}
	j = shmw_json_string(s);
	if (!j) {
		o->full = true;
		return;
	}
	puts_(o, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

size_t shmw_evline_format(char *buf, size_t len, const struct shmw_event *ev)
{
	struct out o = {.p = buf, .end = buf + (len ? len - 1 : 0)};
	char comm[SHMW_COMM_LEN + 1], t[40], mm[24];

	if (!len)
		return 0;
	if (ev->type == SHMW_EV_IDENT)
		return 0; /* rare, and of another shape: shmw_report_event writes it */
	memcpy(comm, ev->comm, SHMW_COMM_LEN);
	comm[SHMW_COMM_LEN] = 0;
	puts_(&o, "{\"time\":");
	if (ev->ts && !shmw_fmt_rfc3339(t, sizeof(t), shmw_boot_to_real(ev->ts))) {
		put(&o, "\"", 1);
		puts_(&o, t);
		put(&o, "\"", 1);
	} else {
		puts_(&o, "null");
	}
	puts_(&o, ",\"event\":\"");
	puts_(&o, shmw_event_name(ev->type));
	puts_(&o, "\",\"cause\":\"");
	puts_(&o, shmw_cause_name(ev->cause));
	puts_(&o, "\",\"ns\":");
	put_u64(&o, ev->ns);
	puts_(&o, ",\"shmid\":");
	put_u64(&o, ev->shmid);
	if (ev->type != SHMW_EV_RMID) {
		puts_(&o, ",\"key\":");
		put_u64(&o, ev->key);
		puts_(&o, ",\"size\":");
		put_u64(&o, ev->size);
	}
	puts_(&o, ",\"pid\":");
	put_u64(&o, ev->pid);
	puts_(&o, ",\"comm\":");
	put_str(&o, comm);
	puts_(&o, ",\"uid\":");
	put_u64(&o, ev->uid);
	puts_(&o, ",\"user\":");
	put_str(&o, shmw_user_name(ev->uid));
	if (ev->type != SHMW_EV_RMID) {
		puts_(&o, ",\"vmas\":");
		put_u64(&o, ev->nvma);
		snprintf(mm, sizeof(mm), "0x%llx", (unsigned long long)ev->mm);
		puts_(&o, ",\"mm\":\"");
		puts_(&o, mm);
		put(&o, "\"", 1);
	}
	if (ev->actor && ev->actor != ev->pid) {
		puts_(&o, ",\"actor\":");
		put_u64(&o, ev->actor);
	}
	put(&o, "}", 1);
	if (o.full)
		return 0;
	*o.p = 0;
	return (size_t)(o.p - buf);
}
