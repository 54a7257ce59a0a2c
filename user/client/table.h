/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Human output of shmwatch, in the manner of ipcs(1): columns as wide as their content, sizes
 * optionally human-readable, times in local time. Every function takes a daemon answer as
 * parsed by json-c (docs/protocol.md) and writes to out. Missing or mistyped fields print as
 * "-" rather than failing: a newer daemon must not break an older client's tables.
 *
 * All return 0, or -1 with errno set (ENOMEM, or the write error of out).
 */
#ifndef SHMW_TABLE_H
#define SHMW_TABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

struct shmw_colsel;

struct shmw_table_opts {
	bool no_headers; /* -n: no column headers, no summary line, no "not shown" line */
	bool human;	 /* sizes as 4K, 289M, 1.5G (like lsipc; -b: bytes) */
	bool raw;	 /* -r: columns one space apart, unaligned, blanks in cells as \x20 */
	/* ls, who, ps: the columns (-o; columns.h), NULL or empty: the default */
	const struct shmw_colsel *cols;
	/* who "lines": where the number of holders not shown will be once the rows are read
	 * (NULL: none) */
	const int64_t *hidden;
};

/* bytes as a decimal number, or (human) in powers of 1024 with at most one decimal: 0B, 1023B,
 * 1K, 1.5K, 289M, 1.5G. Returns 0, or -1 if buf is too small (24 bytes always suffice). */
int shmw_fmt_size(char *buf, size_t len, uint64_t bytes, bool human);

/* `who`: "shmid N  key 0x...  size S  status S  nattch N", then PID USER COMM SINCE HOW VMAS,
 * then "N holders not shown: other users" when the daemon hid some (no header row when it
 * hid all). */
int shmw_table_who(FILE *out, json_object *answer, const struct shmw_table_opts *o);
/* `who` asked with "lines" (docs/protocol.md): the same table from answer, the answer line,
 * and the text rows after it, which next gives one by one (in place, writable): it returns 0
 * with a row, 1 after the last, or -1 when it cannot. All rows are read before anything is
 * printed. Returns as the others, or SHMW_TABLE_ESOURCE when next failed (the caller knows
 * why). */
typedef int (*shmw_table_line_fn)(void *arg, char **line, size_t *len);
#define SHMW_TABLE_ESOURCE (-2)
int shmw_table_who_lines(FILE *out, json_object *answer, shmw_table_line_fn next, void *arg,
			 const struct shmw_table_opts *o);
/* `ps`: "pid N  comm S  user S", then [NS] SHMID KEY SIZE STATUS SINCE HOW VMAS (NS only when
 * the segments come from more than one IPC namespace); `ps -c` ("processes"): one such block
 * per process. */
int shmw_table_ps(FILE *out, json_object *answer, const struct shmw_table_opts *o);
/* `ls`: [NS] KEY ID OWNER PERMS SIZE NATTCH HOLDERS STATUS, or the columns of o->cols; the
 * default's NS only when the answer spans more than one IPC namespace. */
int shmw_table_ls(FILE *out, json_object *answer, const struct shmw_table_opts *o);
/* `status`: one "name: value" line per field ("ok" left out), values aligned. */
int shmw_table_status(FILE *out, json_object *answer, const struct shmw_table_opts *o);
/* `events -n N`: the answer's "events" array as TIME EVENT CAUSE SHMID PID COMM USER. */
int shmw_table_events(FILE *out, json_object *answer, const struct shmw_table_opts *o);

/* `lingering`: one block per segment, blocks apart by a blank line:
 *   shmid N  key 0x...  size S  dest for AGE (since TIME)  removed by pid N (comm)
 * then its holders as PID USER COMM SINCE HOW EXE/CMDLINE (the command line, or the executable
 * when the command line is empty). An "ns N" goes after the shmid when the segments come from
 * more than one IPC namespace. With no_headers, for scripts: one table of all holders, SHMID
 * PID USER COMM SINCE HOW EXE/CMDLINE, without headers. No segment: "no lingering segments"
 * (nothing with no_headers). */
int shmw_table_lingering(FILE *out, json_object *answer, const struct shmw_table_opts *o);
/* `orphans`: [NS] KEY SHMID OWNER PERMS BYTES|SIZE UNHELD-FOR CPID LPID; NS only when the
 * segments come from more than one IPC namespace. */
int shmw_table_orphans(FILE *out, json_object *answer, const struct shmw_table_opts *o);

/* `events -f`: widths cannot come from content not yet seen, so the stream uses fixed minimum
 * widths (wider values push the line out). The header is printed unless o->no_headers. */
int shmw_table_event_header(FILE *out, const struct shmw_table_opts *o);
int shmw_table_event_line(FILE *out, json_object *event, const struct shmw_table_opts *o);
/* verify: "no differences", or one line per difference. */
/* history: one segment's events from the log, oldest first, with a summary line. */
int shmw_table_history(FILE *out, json_object *answer, const struct shmw_table_opts *o);
/* who --at: the segment's status and holders then, from the log. */
int shmw_table_who_at(FILE *out, json_object *answer, const struct shmw_table_opts *o);
int shmw_table_verify(FILE *out, json_object *answer, const struct shmw_table_opts *o);
#endif
