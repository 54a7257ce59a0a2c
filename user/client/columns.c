// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Table columns and -o lists: see columns.h. */
#include "errbuf.h"
#include "columns.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>

static const struct shmw_coldef ls_cols[SHMW_LS_NCOLS] = {
    [SHMW_LS_NS] = {"NS", NULL, true, "IPC namespace (inode of /proc/PID/ns/ipc)"},
    [SHMW_LS_KEY] = {"KEY", NULL, false, "key the segment was created with"},
    [SHMW_LS_ID] = {"ID", "SHMID", true, "shmid"},
    [SHMW_LS_OWNER] = {"OWNER", NULL, false, "owner's user name, or uid"},
    [SHMW_LS_PERMS] = {"PERMS", NULL, false, "permissions (octal)"},
    [SHMW_LS_SIZE] = {"SIZE", "BYTES", true, "size (human unless -b)"},
    [SHMW_LS_NATTCH] = {"NATTCH", NULL, true, "attachments, as the kernel counts them"},
    [SHMW_LS_HOLDERS] = {"HOLDERS", NULL, true, "processes shmwatch sees holding it"},
    [SHMW_LS_STATUS] = {"STATUS", NULL, false, "active, dest (removed, still held), locked"},
    [SHMW_LS_UID] = {"UID", NULL, true, "owner's uid"},
    [SHMW_LS_USER] = {"USER", NULL, false, "owner's user name"},
    [SHMW_LS_CUID] = {"CUID", NULL, true, "creator's uid"},
    [SHMW_LS_CUSER] = {"CUSER", NULL, false, "creator's user name"},
    [SHMW_LS_CPID] = {"CPID", NULL, true, "pid of the creator"},
    [SHMW_LS_LPID] = {"LPID", NULL, true, "pid of the last shmat or shmdt"},
    [SHMW_LS_ATTACH] = {"ATTACH", "ATIME", false, "time of the last shmat"},
    [SHMW_LS_DETACH] = {"DETACH", "DTIME", false, "time of the last shmdt"},
    [SHMW_LS_CTIME] = {"CTIME", NULL, false, "time of the last change (create, IPC_SET)"},
    [SHMW_LS_COMMAND] = {"COMMAND", NULL, false, "creator's name (comm), if shmwatchd saw it"},
};

static const struct shmw_coldef who_cols[SHMW_WHO_NCOLS] = {
    [SHMW_WHO_PID] = {"PID", NULL, true, "process id"},
    [SHMW_WHO_USER] = {"USER", NULL, false, "its effective user"},
    [SHMW_WHO_COMM] = {"COMM", "COMMAND", false, "its name (comm)"},
    [SHMW_WHO_SINCE] = {"SINCE", NULL, false, "when it came to hold the segment"},
    [SHMW_WHO_HOW] = {"HOW", NULL, false, "shmat, fork, seed (held at start), resync"},
    [SHMW_WHO_VMAS] = {"VMAS", NULL, true, "its mappings of the segment"},
};

static const struct shmw_coldef ps_cols[SHMW_PS_NCOLS] = {
    [SHMW_PS_NS] = {"NS", NULL, true, "IPC namespace"},
    [SHMW_PS_SHMID] = {"SHMID", "ID", true, "shmid"},
    [SHMW_PS_KEY] = {"KEY", NULL, false, "key"},
    [SHMW_PS_SIZE] = {"SIZE", "BYTES", true, "size (human unless -b)"},
    [SHMW_PS_STATUS] = {"STATUS", NULL, false, "active, dest, locked, gone"},
    [SHMW_PS_SINCE] = {"SINCE", NULL, false, "when the process came to hold it"},
    [SHMW_PS_HOW] = {"HOW", NULL, false, "shmat, fork, seed, resync"},
    [SHMW_PS_VMAS] = {"VMAS", NULL, true, "its mappings of the segment"},
};

static const char *const view_names[SHMW_NVIEWS] = {"ls", "who", "ps"};

const struct shmw_coldef *shmw_cols_of(enum shmw_view v, size_t *n)
{
	switch (v) {
	case SHMW_VIEW_WHO:
		*n = SHMW_WHO_NCOLS;
		return who_cols;
	case SHMW_VIEW_PS:
		*n = SHMW_PS_NCOLS;
		return ps_cols;
	case SHMW_VIEW_LS:
	default:
		*n = SHMW_LS_NCOLS;
		return ls_cols;
	}
}

void shmw_cols_default(enum shmw_view v, bool times, struct shmw_colsel *out)
{
	static const uint8_t ls_def[] = {SHMW_LS_NS,	 SHMW_LS_KEY,	  SHMW_LS_ID,
					 SHMW_LS_OWNER,	 SHMW_LS_PERMS,	  SHMW_LS_SIZE,
					 SHMW_LS_NATTCH, SHMW_LS_HOLDERS, SHMW_LS_STATUS};
	static const uint8_t ls_times[] = {SHMW_LS_ATTACH, SHMW_LS_DETACH, SHMW_LS_CTIME};
	size_t n;

	memset(out, 0, sizeof(*out));
	out->auto_ns = v != SHMW_VIEW_WHO;
	if (v == SHMW_VIEW_LS) {
		memcpy(out->col, ls_def, sizeof(ls_def));
		out->n = sizeof(ls_def);
		if (times) {
			memcpy(out->col + out->n, ls_times, sizeof(ls_times));
			out->n += sizeof(ls_times);
		}
		return;
	}
	shmw_cols_of(v, &n);
	for (size_t i = 0; i < n; i++)
		out->col[out->n++] = (uint8_t)i;
}

/* "KEY, ID, ..." of a view, for messages. */
static void names_of(enum shmw_view v, char *buf, size_t len)
{
	const struct shmw_coldef *defs;
	size_t n, off = 0;

	defs = shmw_cols_of(v, &n);
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", defs[i].name);
}

static int col_by_name(enum shmw_view v, const char *s, size_t len)
{
	const struct shmw_coldef *defs;
	size_t n;

	defs = shmw_cols_of(v, &n);
	for (size_t i = 0; i < n; i++) {
		if (strlen(defs[i].name) == len && !strncasecmp(defs[i].name, s, len))
			return (int)i;
		if (defs[i].alias && strlen(defs[i].alias) == len &&
		    !strncasecmp(defs[i].alias, s, len))
			return (int)i;
	}
	return -1;
}

int shmw_cols_parse(enum shmw_view v, const char *list, bool times, struct shmw_colsel *out,
		    char *err, size_t errlen)
{
	char names[256];
	const char *p = list;

	memset(out, 0, sizeof(*out));
	if (*p == '+') {
		shmw_cols_default(v, times, out);
		p++;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		int c;

		if (len == 0) {
			shmw_seterr(err, errlen, "empty column name in '%s'", list);
			return -1;
		}
		c = col_by_name(v, p, len);
		if (c < 0) {
			names_of(v, names, sizeof(names));
			shmw_seterr(err, errlen, "unknown column '%.*s' for %s (%s)", (int)len, p,
				    view_names[v], names);
			return -1;
		}
		if (out->n == sizeof(out->col)) {
			shmw_seterr(err, errlen, "more than %zu columns in '%s'", sizeof(out->col),
				    list);
			return -1;
		}
		out->col[out->n++] = (uint8_t)c;
		if (!p[len])
			break;
		p += len + 1;
	}
	return 0;
}

int shmw_cols_help(FILE *out)
{
	for (int v = 0; v < SHMW_NVIEWS; v++) {
		const struct shmw_coldef *defs;
		size_t n;

		defs = shmw_cols_of((enum shmw_view)v, &n);
		fprintf(out, "%s%s columns:\n", v ? "\n" : "", view_names[v]);
		for (size_t i = 0; i < n; i++) {
			char name[32];

			snprintf(name, sizeof(name), "%s%s%s", defs[i].name,
				 defs[i].alias ? ", " : "", defs[i].alias ? defs[i].alias : "");
			fprintf(out, "  %-16s %s\n", name, defs[i].help);
		}
	}
	return ferror(out) ? -1 : 0;
}
