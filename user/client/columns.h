/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The columns of the tables that `-o, --output LIST` selects from (ls, who, ps), named as
 * lsipc -m names them where the meaning is the same, and parsing such a list. No I/O but the
 * --help list; unit-tested (tests/unit/test_columns.c).
 */
#ifndef SHMW_COLUMNS_H
#define SHMW_COLUMNS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum shmw_view {
	SHMW_VIEW_LS,
	SHMW_VIEW_WHO,
	SHMW_VIEW_PS,
	SHMW_NVIEWS,
};

/* ls: one segment a row. */
enum shmw_ls_col {
	SHMW_LS_NS,
	SHMW_LS_KEY,
	SHMW_LS_ID,
	SHMW_LS_OWNER,
	SHMW_LS_PERMS,
	SHMW_LS_SIZE,
	SHMW_LS_NATTCH,
	SHMW_LS_HOLDERS,
	SHMW_LS_STATUS,
	SHMW_LS_UID,
	SHMW_LS_USER,
	SHMW_LS_CUID,
	SHMW_LS_CUSER,
	SHMW_LS_CPID,
	SHMW_LS_LPID,
	SHMW_LS_ATTACH,
	SHMW_LS_DETACH,
	SHMW_LS_CTIME,
	SHMW_LS_COMMAND,
	SHMW_LS_NCOLS,
};

/* who: one holder a row. */
enum shmw_who_col {
	SHMW_WHO_PID,
	SHMW_WHO_USER,
	SHMW_WHO_COMM,
	SHMW_WHO_SINCE,
	SHMW_WHO_HOW,
	SHMW_WHO_VMAS,
	SHMW_WHO_NCOLS,
};

/* ps: one held segment a row. */
enum shmw_ps_col {
	SHMW_PS_NS,
	SHMW_PS_SHMID,
	SHMW_PS_KEY,
	SHMW_PS_SIZE,
	SHMW_PS_STATUS,
	SHMW_PS_SINCE,
	SHMW_PS_HOW,
	SHMW_PS_VMAS,
	SHMW_PS_NCOLS,
};

#define SHMW_COLS_MAX 19 /* the most columns of a view (ls) */

struct shmw_coldef {
	const char *name;  /* the header, and the name in LIST */
	const char *alias; /* another name LIST accepts (NULL: none) */
	bool right;	   /* numbers are right-aligned */
	const char *help;
};

/* The columns of a view, indexed by its enum; *n their number. */
const struct shmw_coldef *shmw_cols_of(enum shmw_view v, size_t *n);

/* A selection: the columns to show, in order. auto_ns: the default's NS column, shown only when
 * the answer spans several IPC namespaces. */
struct shmw_colsel {
	uint8_t col[SHMW_COLS_MAX * 2];
	size_t n;
	bool auto_ns;
};

/* The default columns of a view (times: ls -t, with ATTACH, DETACH and CTIME). */
void shmw_cols_default(enum shmw_view v, bool times, struct shmw_colsel *out);

/*
 * Parses LIST (comma-separated column names, case-insensitive; "+LIST" appends to the default)
 * for view v into out. Returns 0, or -1 with a reason in err ("unknown column 'FOO' (ls: KEY,
 * ID, ...)", an empty name, too many).
 */
int shmw_cols_parse(enum shmw_view v, const char *list, bool times, struct shmw_colsel *out,
		    char *err, size_t errlen);

/* The --list text: every view's columns with their meaning. Returns 0 or -1 (write error). */
int shmw_cols_help(FILE *out);
#endif
