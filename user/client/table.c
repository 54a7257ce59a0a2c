// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Human output of shmwatch: see table.h. */
#include "table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "columns.h"
#include "escape.h"
#include "timefmt.h"

#define COL_GAP	  2  /* spaces between columns */
#define MAX_COLS  19 /* SHMW_COLS_MAX */
#define MAX_SHOWN (MAX_COLS * 2)
#define OUT_BATCH (8u << 10) /* bytes of lines written at once */
#define CELL_MAX  64	     /* room for any formatted number or time; strings are copied whole */

struct col {
	const char *head;
	bool right; /* numbers are right-aligned, like ps(1) */
	size_t min; /* fixed minimum width, for streamed rows */
};

/* A table collects rows first, so widths can come from the content. Cells live in one arena
 * with their display widths: a malloc per cell and measuring each twice cost more than
 * everything else in printing a table of thousands of holders. */
struct cell {
	uint32_t off;	/* into arena, NUL-terminated */
	uint16_t len;	/* CELL_LONG: measure it */
	uint16_t width; /* CELL_LONG: measure it */
};
#define CELL_LONG UINT16_MAX /* small cells: thousands of rows are less memory to fault in */

struct tbl {
	const struct col *cols;
	size_t ncols;
	uint8_t order[MAX_SHOWN]; /* the columns shown, in order */
	size_t norder;
	bool raw;	    /* -r: one space apart, no padding, blanks in cells as \x20 */
	struct cell *cells; /* nrows * ncols */
	size_t nrows, caprows;
	char *arena;
	size_t alen, acap;
	size_t width[MAX_COLS]; /* the widest cell of each column */
	size_t bytes[MAX_COLS]; /* and the longest in bytes */
	bool nomem;		/* sticky: callers add rows without checking each one */
};

/* Display width: UTF-8 continuation bytes take no column (close enough for comm/user). */
static size_t disp_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* comm, user names, command lines are chosen by whoever runs the process: escaped as the
 * daemon's log lines escape them (escape.h), so that none can send escape sequences to a
 * terminal or break the line structure, and a name reads the same in both. */
static char *escaped_dup(const char *s)
{
	size_t n, need;
	char *d;

	s = s ? s : "-";
	n = strlen(s);
	need = shmw_escape(NULL, 0, s, n, 0);
	d = malloc(need + 1);
	if (d)
		shmw_escape(d, need + 1, s, n, 0);
	return d;
}

/* hide: per column, NULL: all shown, in their order. */
static void tbl_init(struct tbl *t, const struct col *cols, size_t ncols, const bool *hide)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
	t->nomem = ncols > MAX_COLS; /* reported as EINVAL by tbl_print */
	for (size_t c = 0; c < ncols && c < MAX_COLS; c++)
		if (!hide || !hide[c])
			t->order[t->norder++] = (uint8_t)c;
}

/* The columns of a selection (-o) instead; the NS column of a default one only when ns. */
static void tbl_select(struct tbl *t, const struct shmw_colsel *sel, size_t ns_col, bool ns)
{
	t->norder = 0;
	for (size_t i = 0; i < sel->n && t->norder < MAX_SHOWN; i++) {
		if (sel->auto_ns && sel->col[i] == ns_col && !ns)
			continue;
		if (sel->col[i] < t->ncols)
			t->order[t->norder++] = sel->col[i];
	}
}

static void tbl_free(struct tbl *t)
{
	free(t->cells);
	free(t->arena);
	t->cells = NULL;
	t->arena = NULL;
	t->nrows = t->caprows = t->alen = t->acap = 0;
}

static bool tbl_grow_rows(struct tbl *t, size_t rows)
{
	struct cell *nc;

	if (rows <= t->caprows)
		return true;
	nc = reallocarray(t->cells, rows * t->ncols, sizeof(*nc));
	if (!nc)
		return false;
	t->cells = nc;
	t->caprows = rows;
	return true;
}

static bool tbl_grow_arena(struct tbl *t, size_t bytes)
{
	char *na;

	if (bytes <= t->acap)
		return true;
	if (bytes > UINT32_MAX) /* offsets are 32-bit: 4 GiB of table is not for people */
		return false;
	na = realloc(t->arena, bytes);
	if (!na)
		return false;
	t->arena = na;
	t->acap = bytes;
	return true;
}

/* Room for rows rows of about bytes bytes in all, when the caller knows; only saves copies. */
static void tbl_reserve(struct tbl *t, size_t rows, size_t bytes)
{
	if (!t->nomem && (!tbl_grow_rows(t, rows) || !tbl_grow_arena(t, bytes)))
		t->nomem = true;
}

/* Whether s holds only bytes 0x20..0x7e but the backslash, whose width is their number and
 * which need no escaping: the common case, tested 8 bytes at a time (hasless/haszero of "Bit
 * Twiddling Hacks": exact as to whether any byte matches). */
static bool printable_ascii(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t acc = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, del, bsl;

		memcpy(&x, s + i, 8);
		del = x ^ (ones * 0x7f);
		bsl = x ^ (ones * '\\');
		acc |= x | ((x - ones * 0x20) & ~x) | ((del - ones) & ~del) | ((bsl - ones) & ~bsl);
	}
	if (acc & highs)
		return false;
	for (; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '\\')
			return false;
	return true;
}

/* Adds one row of ncols strings (copied; NULL is "-") of lens bytes (NULL: measured here), those
 * the caller knows to be printable ASCII marked in plain (NULL: none). On ENOMEM the table
 * remembers and drops the row. */
static void tbl_add_n(struct tbl *t, const char *const *vals, const size_t *lens, const bool *plain)
{
	struct cell *row;
	size_t alen = t->alen;

	if (t->nomem)
		return;
	if (t->nrows == t->caprows && !tbl_grow_rows(t, t->caprows ? t->caprows * 2 : 16)) {
		t->nomem = true;
		return;
	}
	row = t->cells + t->nrows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++) {
		const unsigned char *s = (const unsigned char *)(vals[c] ? vals[c] : "-");
		size_t n = vals[c] && lens ? lens[c] : strlen((const char *)s), w = 0;
		bool as_is = (plain && plain[c]) || printable_ascii(s, n);
		size_t out = as_is ? n : shmw_escape(NULL, 0, (const char *)s, n, 0);
		char *d;

		if (t->acap - alen < out + 1 &&
		    !tbl_grow_arena(t, (t->acap > out ? t->acap : out + 1) * 2 + 4096)) {
			t->nomem = true;
			return;
		}
		d = t->arena + alen;
		if (as_is) {
			memcpy(d, s, n);
			d[n] = '\0';
			w = n;
		} else {
			shmw_escape(d, out + 1, (const char *)s, n, 0);
			for (size_t i = 0; i < out; i++)
				w += ((unsigned char)d[i] & 0xc0) != 0x80;
		}
		if (t->raw && memchr(d, ' ', out)) {
			/* lsipc -r writes a blank in a cell as \x20: one space is the separator. */
			size_t blanks = 0, grown;

			for (size_t i = 0; i < out; i++)
				blanks += d[i] == ' ';
			grown = out + 3 * blanks;
			if (t->acap - alen < grown + 1 &&
			    !tbl_grow_arena(t, (t->acap + grown) * 2)) {
				t->nomem = true;
				return;
			}
			d = t->arena + alen;
			d[grown] = '\0';
			w += 3 * blanks;
			for (size_t i = out; i-- > 0;) {
				if (d[i] == ' ') {
					blanks--;
					memcpy(d + i + 3 * blanks, "\\x20", 4);
				} else {
					d[i + 3 * blanks] = d[i];
				}
			}
			out = grown;
		}
		n = out;
		row[c].off = (uint32_t)alen;
		row[c].len = n < CELL_LONG && w < CELL_LONG ? (uint16_t)n : CELL_LONG;
		row[c].width = n < CELL_LONG && w < CELL_LONG ? (uint16_t)w : CELL_LONG;
		if (w > t->width[c])
			t->width[c] = w;
		if (n > t->bytes[c])
			t->bytes[c] = n;
		alen += n + 1;
	}
	t->alen = alen;
	t->nrows++;
}

static void tbl_add(struct tbl *t, const char *const *vals)
{
	tbl_add_n(t, vals, NULL, NULL);
}

/* One line at line (room for every shown width, the gaps and the newline); returns its end. The
 * lines go out in batches: a stdio call per cell and per run of blanks was most of the time of
 * a long table. Raw: cells one space apart, no padding. */
static char *print_row(const struct tbl *t, const size_t *width, const char *const *strs,
		       const size_t *lens, const size_t *widths, char *line)
{
	size_t gap = t->raw ? 1 : COL_GAP;
	char *p = line;

	for (size_t k = 0; k < t->norder; k++) {
		size_t c = t->order[k], n, pad;
		bool last = k + 1 == t->norder;

		if (k) {
			memset(p, ' ', gap);
			p += gap;
		}
		n = lens[c];
		pad = t->raw ? 0 : width[c] > widths[c] ? width[c] - widths[c] : 0;
		if (t->cols[c].right) {
			memset(p, ' ', pad);
			p += pad;
		}
		memcpy(p, strs[c], n);
		p += n;
		if (!t->cols[c].right && !last) { /* no trailing blanks */
			memset(p, ' ', pad);
			p += pad;
		}
	}
	*p++ = '\n';
	return p;
}

/* Prints and frees the table. */
static int tbl_print(FILE *out, struct tbl *t, bool headers)
{
	const char *strs[MAX_COLS];
	size_t width[MAX_COLS], widths[MAX_COLS], lens[MAX_COLS], linelen = 1, bufsize;
	char *buf, *p;
	int ret = 0;

	if (t->nomem) {
		errno = t->ncols > MAX_COLS ? EINVAL : ENOMEM;
		tbl_free(t);
		return -1;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		strs[c] = t->cols[c].head;
		lens[c] = strlen(strs[c]);
		widths[c] = disp_width(strs[c]);
		width[c] = t->cols[c].min;
		if (headers && widths[c] > width[c])
			width[c] = widths[c];
		if (t->width[c] > width[c])
			width[c] = t->width[c];
	}
	for (size_t k = 0; k < t->norder; k++) {
		size_t c = t->order[k];

		/* A cell's bytes and its padding (at most the column's width). */
		linelen += COL_GAP + width[c] + (t->bytes[c] > lens[c] ? t->bytes[c] : lens[c]);
	}
	bufsize = linelen + OUT_BATCH;
	buf = malloc(bufsize);
	if (!buf) {
		tbl_free(t);
		errno = ENOMEM;
		return -1;
	}
	p = buf;
	if (headers)
		p = print_row(t, width, strs, lens, widths, p);
	for (size_t r = 0; r < t->nrows; r++) {
		const struct cell *row = t->cells + r * t->ncols;

		for (size_t c = 0; c < t->ncols; c++) {
			strs[c] = t->arena + row[c].off;
			lens[c] = row[c].len;
			widths[c] = row[c].width;
			if (lens[c] == CELL_LONG) {
				lens[c] = strlen(strs[c]);
				widths[c] = disp_width(strs[c]);
			}
		}
		if ((size_t)(buf + bufsize - p) < linelen) {
			fwrite(buf, 1, (size_t)(p - buf), out);
			p = buf;
		}
		p = print_row(t, width, strs, lens, widths, p);
	}
	fwrite(buf, 1, (size_t)(p - buf), out);
	free(buf);
	tbl_free(t);
	if (ferror(out)) {
		ret = -1;
		if (!errno)
			errno = EIO;
	}
	return ret;
}

int shmw_fmt_size(char *buf, size_t len, uint64_t bytes, bool human)
{
	static const char units[] = "BKMGTPE";
	uint64_t whole = bytes, tenths = 0;
	unsigned int exp = 0;
	int n;

	if (!human) {
		n = snprintf(buf, len, "%" PRIu64, bytes);
		return n > 0 && (size_t)n < len ? 0 : -1;
	}
	while (exp < 6 && bytes >> (10 * (exp + 1)))
		exp++;
	if (exp) {
		uint64_t unit = 1ULL << (10 * exp);
		uint64_t rem = bytes & (unit - 1);

		whole = bytes >> (10 * exp);
		/* One decimal, rounded half up; ipcs --human rounds the same way. rem < 2^60,
		 * so rem * 10 cannot overflow. */
		tenths = (rem * 10 + unit / 2) >> (10 * exp);
		if (tenths == 10) {
			whole++;
			tenths = 0;
		}
		/* ipcs would print "1024K" here; the next unit reads better. */
		if (whole == 1024 && exp < 6) {
			whole = 1;
			exp++;
		}
	}
	if (tenths)
		n = snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", whole, tenths, units[exp]);
	else
		n = snprintf(buf, len, "%" PRIu64 "%c", whole, units[exp]);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* ---- reading answer fields ---- */

static json_object *field(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_get_ex(obj, key, &v);
	return v;
}

static bool get_int(json_object *obj, const char *key, int64_t *v)
{
	json_object *f = field(obj, key);

	if (!f || !json_object_is_type(f, json_type_int))
		return false;
	*v = json_object_get_int64(f);
	return true;
}

static const char *str_of(json_object *f)
{
	if (!f || !json_object_is_type(f, json_type_string))
		return "-";
	return json_object_get_string(f);
}

static const char *get_str(json_object *obj, const char *key)
{
	return str_of(field(obj, key));
}

static size_t array_len(json_object *arr)
{
	return arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

static const char *int_of(char *buf, json_object *f)
{
	if (!f || !json_object_is_type(f, json_type_int))
		return "-";
	snprintf(buf, CELL_MAX, "%" PRId64, json_object_get_int64(f));
	return buf;
}

static const char *fmt_int(char *buf, json_object *obj, const char *key)
{
	return int_of(buf, field(obj, key));
}

/* nattch is -1 when the kernel could not be asked. */
static const char *fmt_nattch(char *buf, json_object *obj)
{
	int64_t v;

	if (get_int(obj, "nattch", &v) && v < 0)
		return "?";
	return fmt_int(buf, obj, "nattch");
}

/* key_t is a signed int in the kernel; IPC tools print it as 32-bit hex. */
static const char *fmt_key(char *buf, json_object *obj)
{
	int64_t v;

	if (!get_int(obj, "key", &v))
		return "-";
	snprintf(buf, CELL_MAX, "0x%08" PRIx32, (uint32_t)v);
	return buf;
}

static const char *fmt_size_field(char *buf, json_object *obj, const char *key, bool human)
{
	int64_t v;

	if (!get_int(obj, key, &v) || v < 0 || shmw_fmt_size(buf, CELL_MAX, (uint64_t)v, human))
		return "-";
	return buf;
}

/* RFC 3339 from the daemon to local time; an unparsable time is shown as it came. */
static const char *time_of(char *buf, json_object *f)
{
	const char *s = str_of(f);
	uint64_t ns;

	if (shmw_parse_rfc3339(s, &ns) || shmw_fmt_local(buf, CELL_MAX, ns))
		return s;
	return buf;
}

static const char *fmt_time(char *buf, json_object *obj, const char *key)
{
	return time_of(buf, field(obj, key));
}

/* The daemon names users (it looks them up once, with the host's NSS: a static client cannot);
 * an older daemon's ls gives only the uid, shown as the number. */
static const char *fmt_owner(char *buf, json_object *obj)
{
	if (field(obj, "user"))
		return get_str(obj, "user");
	return fmt_int(buf, obj, "uid");
}

/* Whether the elements of arr lie in more than one IPC namespace. */
static bool many_ns(json_object *arr)
{
	int64_t first = 0, ns;
	bool have = false;

	for (size_t i = 0; i < array_len(arr); i++) {
		if (!get_int(json_object_array_get_idx(arr, i), "ns", &ns))
			continue;
		if (have && ns != first)
			return true;
		first = ns;
		have = true;
	}
	return false;
}

static int check_out(FILE *out)
{
	if (!ferror(out))
		return 0;
	if (!errno)
		errno = EIO;
	return -1;
}

/* A summary line above a table: it carries comm and user too, so it is sanitized as well. */
static int print_summary(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int print_summary(FILE *out, const char *fmt, ...)
{
	char *line, *safe;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0) {
		errno = ENOMEM;
		return -1;
	}
	safe = escaped_dup(line);
	free(line);
	if (!safe) {
		errno = ENOMEM;
		return -1;
	}
	fprintf(out, "%s\n", safe);
	free(safe);
	return check_out(out);
}

/* ---- who ---- */

static void view_cols(enum shmw_view v, struct col *out);
static void view_select(struct tbl *t, enum shmw_view v, const struct shmw_table_opts *o,
			size_t ns_col, bool ns);

/* After the holders of a client that is not an admin: how many it was not shown, instead of an
 * empty table under "nattch N" (the header row goes when no holder is shown). */
static int who_print(FILE *out, struct tbl *t, int64_t hidden, const struct shmw_table_opts *o)
{
	bool none = t->nrows == 0;

	if (hidden > 0 && none && !o->no_headers) {
		tbl_free(t);
	} else if (tbl_print(out, t, !o->no_headers)) {
		return -1;
	}
	if (hidden > 0 && !o->no_headers)
		fprintf(out, "%" PRId64 " holder%s not shown: other users\n", hidden,
			hidden == 1 ? "" : "s");
	return check_out(out);
}

static const struct col who_cols[] = {
    {"PID", true, 0},	 {"USER", false, 0}, {"COMM", false, 0},
    {"SINCE", false, 0}, {"HOW", false, 0},  {"VMAS", true, 0},
};

static void who_init(struct tbl *t, const struct shmw_table_opts *o)
{
	tbl_init(t, who_cols, SHMW_WHO_NCOLS, NULL);
	view_select(t, SHMW_VIEW_WHO, o, SIZE_MAX, false);
}

/* who asked with "rows": one array per holder, its columns named by "columns" (any order,
 * unknown ones ignored, missing ones "-"): a fraction of the parsing of holder objects. */
static int who_rows(FILE *out, json_object *ans, struct tbl *t, int64_t hidden,
		    const struct shmw_table_opts *o)
{
	static const char *const names[6] = {"pid", "user", "comm", "since", "how", "vmas"};
	json_object *cols = field(ans, "columns"), *rows = field(ans, "rows");
	int at[6] = {-1, -1, -1, -1, -1, -1};
	char b[3][CELL_MAX];

	for (size_t c = 0; c < array_len(cols) && c < INT32_MAX; c++)
		for (int k = 0; k < 6; k++)
			if (!strcmp(str_of(json_object_array_get_idx(cols, c)), names[k]))
				at[k] = (int)c;
	for (size_t i = 0; i < array_len(rows); i++) {
		json_object *r = json_object_array_get_idx(rows, i), *v[6];
		const char *row[6];

		for (int k = 0; k < 6; k++)
			v[k] = at[k] >= 0 && array_len(r) > (size_t)at[k]
				   ? json_object_array_get_idx(r, (size_t)at[k])
				   : NULL;
		row[0] = int_of(b[0], v[0]);
		row[1] = str_of(v[1]);
		row[2] = str_of(v[2]);
		row[3] = time_of(b[1], v[3]);
		row[4] = str_of(v[4]);
		row[5] = int_of(b[2], v[5]);
		tbl_add(t, row);
	}
	return who_print(out, t, hidden, o);
}

int shmw_table_who(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *holders = field(ans, "holders");
	char b[5][CELL_MAX];
	int64_t hidden;
	struct tbl t;

	if (!o->no_headers && print_summary(out, "shmid %s  key %s  size %s  status %s  nattch %s",
					    fmt_int(b[0], ans, "shmid"), fmt_key(b[1], ans),
					    fmt_size_field(b[2], ans, "size", o->human),
					    get_str(ans, "status"), fmt_nattch(b[3], ans)))
		return -1;
	who_init(&t, o);
	if (!get_int(ans, "hidden_holders", &hidden))
		hidden = 0;
	if (!holders && field(ans, "rows"))
		return who_rows(out, ans, &t, hidden, o);
	for (size_t i = 0; i < array_len(holders); i++) {
		json_object *h = json_object_array_get_idx(holders, i);
		const char *row[6] = {
		    fmt_int(b[0], h, "pid"),	get_str(h, "user"), get_str(h, "comm"),
		    fmt_time(b[1], h, "since"), get_str(h, "how"),  fmt_int(b[2], h, "vmas"),
		};

		tbl_add(&t, row);
	}
	return who_print(out, &t, hidden, o);
}

/* who asked with "lines": the holders as text rows after the answer (docs/protocol.md). */

/* Local times by the second, a few remembered: holders attach in bursts, and localtime_r is
 * as costly as the rest of a row. Exact: each second is converted on its own. */
#define LOCAL_CACHE 16

struct local_cache {
	struct {
		bool valid;
		uint64_t sec;
		char s[20];
	} e[LOCAL_CACHE];
	bool last_valid; /* the last time parsed: its text up to the seconds */
	char last[19];
	uint64_t last_sec;
};

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* s of len bytes. */
static const char *local_time(struct local_cache *lc, const char *s, size_t len)
{
	uint64_t ns, sec;
	size_t i;

	/* What the daemon writes, "YYYY-MM-DDThh:mm:ss.uuuuuuZ", with the seconds of the last
	 * time parsed: the same second, no need to parse it again. */
	if (lc->last_valid && len == 27 && !memcmp(s, lc->last, 19) && s[19] == '.' &&
	    all_digits(s + 20, 6) && s[26] == 'Z')
		return lc->e[lc->last_sec % LOCAL_CACHE].s;
	if (shmw_parse_rfc3339(s, &ns))
		return s; /* as time_of: an unparsable time is shown as it came */
	sec = ns / SHMW_NS_PER_SEC;
	i = sec % LOCAL_CACHE;
	if (lc->e[i].valid && lc->e[i].sec == sec)
		return lc->e[i].s;
	if (shmw_fmt_local(lc->e[i].s, sizeof(lc->e[i].s), ns)) {
		lc->e[i].valid = lc->last_valid = false;
		return s;
	}
	lc->e[i].valid = true;
	lc->e[i].sec = sec;
	/* Only the shape above is taken as its seconds, and only when its offset is Z. */
	lc->last_valid = len == 27 && s[26] == 'Z';
	if (lc->last_valid) {
		memcpy(lc->last, s, 19);
		lc->last_sec = sec;
	}
	return lc->e[i].s;
}

/* \xHH back to its byte, in place; a backslash starting anything else stays. */
static void unescape(char *s)
{
	static const signed char hexval[256] = {
	    ['0'] = 1,	['1'] = 2,  ['2'] = 3,	['3'] = 4,  ['4'] = 5,	['5'] = 6,
	    ['6'] = 7,	['7'] = 8,  ['8'] = 9,	['9'] = 10, ['a'] = 11, ['b'] = 12,
	    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	};
	char *d = strchr(s, '\\');

	if (!d)
		return;
	for (s = d; *s; s++) {
		/* Short-circuit: s[3] is read only when s[2] is a digit, so never past the NUL. */
		if (s[0] == '\\' && s[1] == 'x' && hexval[(unsigned char)s[2]] &&
		    hexval[(unsigned char)s[3]]) {
			*d++ = (char)((hexval[(unsigned char)s[2]] - 1) << 4 |
				      (hexval[(unsigned char)s[3]] - 1));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* An integer column: the digits as they came when they are what "%" PRId64 would print, else
 * the number reprinted, or "-" when it is none (as int_of for a value that is no integer). */
static const char *int_cell(char *buf, const char *s)
{
	const char *p = s + (*s == '-');
	size_t n = 0;
	char *end;
	long long v;

	while (p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0 || p[n])
		return "-";
	if (n < 19 && (p[0] != '0' || n == 1) && (p == s || p[0] != '0'))
		return s;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return "-";
	snprintf(buf, CELL_MAX, "%lld", v);
	return buf;
}

#define LINE_FIELDS 32 /* later columns are ignored */

int shmw_table_who_lines(FILE *out, json_object *ans, shmw_table_line_fn next, void *arg,
			 const struct shmw_table_opts *o)
{
	static const char *const names[6] = {"pid", "user", "comm", "since", "how", "vmas"};
	json_object *cols = field(ans, "columns");
	int at[6] = {-1, -1, -1, -1, -1, -1};
	struct local_cache lc = {0};
	char b[5][CELL_MAX];
	int64_t hint;
	struct tbl t;

	for (size_t c = 0; c < array_len(cols) && c < LINE_FIELDS; c++)
		for (int k = 0; k < 6; k++)
			if (!strcmp(str_of(json_object_array_get_idx(cols, c)), names[k]))
				at[k] = (int)c;
	who_init(&t, o);
	/* The kernel's nattch is about the number of rows to come: room for them at once, ~60
	 * bytes each (a wrong guess only costs memory up to this bound, or copies). */
	if (get_int(ans, "nattch", &hint) && hint > 0)
		tbl_reserve(&t, hint < 65536 ? (size_t)hint : 65536,
			    (hint < 65536 ? (size_t)hint : 65536) * 64);
	/* Every row is read before anything is printed: a connection lost in the middle leaves
	 * no half table. */
	for (;;) {
		char *line, *f[LINE_FIELDS];
		const char *v[6], *row[6];
		size_t len, nf = 0, flen[LINE_FIELDS], vlen[6], rlen[6];
		bool plain[6], escaped;

		int got = next(arg, &line, &len);

		if (got > 0)
			break;
		if (got < 0) {
			tbl_free(&t);
			return SHMW_TABLE_ESOURCE;
		}
		escaped = memchr(line, '\\', len) != NULL;
		for (char *p = line, *end = line + len; nf < LINE_FIELDS;) {
			char *tab = memchr(p, '\t', (size_t)(end - p));

			f[nf] = p;
			flen[nf++] = (size_t)((tab ? tab : end) - p);
			if (!tab)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		for (int k = 0; k < 6; k++) {
			v[k] = at[k] >= 0 && (size_t)at[k] < nf ? f[at[k]] : NULL;
			vlen[k] = v[k] ? flen[at[k]] : 0;
			plain[k] = !v[k];
			if (v[k] && escaped) {
				unescape(f[at[k]]);
				vlen[k] = strlen(v[k]);
			}
		}
		row[0] = v[0] ? int_cell(b[0], v[0]) : "-";
		row[1] = v[1];
		row[2] = v[2];
		row[3] = v[3] ? local_time(&lc, v[3], vlen[3]) : "-";
		row[4] = v[4];
		row[5] = v[5] ? int_cell(b[1], v[5]) : "-";
		/* Cells that are the field itself keep its length; the others are measured. What
		 * int_cell and local_time make is ASCII digits and punctuation; a time shown as it
		 * came is the field itself. */
		for (int k = 0; k < 6; k++) {
			rlen[k] = row[k] == v[k] ? vlen[k] : strlen(row[k]);
			if (row[k] != v[k])
				plain[k] = true;
		}
		tbl_add_n(&t, row, rlen, plain);
	}
	if (!o->no_headers && print_summary(out, "shmid %s  key %s  size %s  status %s  nattch %s",
					    fmt_int(b[0], ans, "shmid"), fmt_key(b[1], ans),
					    fmt_size_field(b[2], ans, "size", o->human),
					    get_str(ans, "status"), fmt_nattch(b[3], ans))) {
		tbl_free(&t);
		return -1;
	}
	return who_print(out, &t, o->hidden ? *o->hidden : 0, o);
}

/* ---- ps ---- */

static void view_cols(enum shmw_view v, struct col *out);
static void view_select(struct tbl *t, enum shmw_view v, const struct shmw_table_opts *o,
			size_t ns_col, bool ns);

/* One process: its summary line, then its segments. */
static int ps_one(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *segs = field(ans, "segments");
	struct col cols[SHMW_PS_NCOLS];
	char b[SHMW_PS_NCOLS][CELL_MAX];
	struct tbl t;

	if (!o->no_headers &&
	    print_summary(out, "pid %s  comm %s  user %s", fmt_int(b[0], ans, "pid"),
			  get_str(ans, "comm"), get_str(ans, "user")))
		return -1;
	view_cols(SHMW_VIEW_PS, cols);
	tbl_init(&t, cols, SHMW_PS_NCOLS, NULL);
	view_select(&t, SHMW_VIEW_PS, o, SHMW_PS_NS, many_ns(segs));
	for (size_t i = 0; i < array_len(segs); i++) {
		json_object *s = json_object_array_get_idx(segs, i);
		const char *row[SHMW_PS_NCOLS] = {
		    [SHMW_PS_NS] = fmt_int(b[SHMW_PS_NS], s, "ns"),
		    [SHMW_PS_SHMID] = fmt_int(b[SHMW_PS_SHMID], s, "shmid"),
		    [SHMW_PS_KEY] = fmt_key(b[SHMW_PS_KEY], s),
		    [SHMW_PS_SIZE] = fmt_size_field(b[SHMW_PS_SIZE], s, "size", o->human),
		    [SHMW_PS_STATUS] = get_str(s, "status"),
		    [SHMW_PS_SINCE] = fmt_time(b[SHMW_PS_SINCE], s, "since"),
		    [SHMW_PS_HOW] = get_str(s, "how"),
		    [SHMW_PS_VMAS] = fmt_int(b[SHMW_PS_VMAS], s, "vmas"),
		};

		tbl_add(&t, row);
	}
	return tbl_print(out, &t, !o->no_headers);
}

int shmw_table_ps(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *procs = field(ans, "processes");
	int64_t hidden;

	/* ps -c NAME: one block per process, blank lines apart. */
	if (!procs)
		return ps_one(out, ans, o);
	for (size_t i = 0; i < array_len(procs); i++)
		if ((i && !o->no_headers && fputc('\n', out) == EOF) ||
		    ps_one(out, json_object_array_get_idx(procs, i), o))
			return -1;
	if (!o->no_headers && !array_len(procs) &&
	    print_summary(out, "no process named %s holds a segment", get_str(ans, "comm")))
		return -1;
	if (!o->no_headers && get_int(ans, "hidden_processes", &hidden) && hidden > 0)
		fprintf(out, "%" PRId64 " process%s not shown: other users\n", hidden,
			hidden == 1 ? "" : "es");
	return check_out(out);
}

/* ---- ls ---- */

/* The struct col of a view's columns (columns.h). */
static void view_cols(enum shmw_view v, struct col *out)
{
	const struct shmw_coldef *defs;
	size_t n;

	defs = shmw_cols_of(v, &n);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct col){defs[i].name, defs[i].right, 0};
}

/* The columns a view shows: o->cols, else its default; ns: the answer spans namespaces. */
static void view_select(struct tbl *t, enum shmw_view v, const struct shmw_table_opts *o,
			size_t ns_col, bool ns)
{
	struct shmw_colsel def;

	if (!o->cols || o->cols->n == 0)
		shmw_cols_default(v, false, &def);
	tbl_select(t, o->cols && o->cols->n ? o->cols : &def, ns_col, ns);
	t->raw = o->raw;
}

int shmw_table_ls(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *segs = field(ans, "segments");
	struct col cols[SHMW_LS_NCOLS];
	char b[SHMW_LS_NCOLS][CELL_MAX];
	struct tbl t;

	view_cols(SHMW_VIEW_LS, cols);
	tbl_init(&t, cols, SHMW_LS_NCOLS, NULL);
	view_select(&t, SHMW_VIEW_LS, o, SHMW_LS_NS,
		    array_len(field(ans, "namespaces")) > 1 || many_ns(segs));
	for (size_t i = 0; i < array_len(segs); i++) {
		json_object *s = json_object_array_get_idx(segs, i);
		const char *row[SHMW_LS_NCOLS] = {
		    [SHMW_LS_NS] = fmt_int(b[SHMW_LS_NS], s, "ns"),
		    [SHMW_LS_KEY] = fmt_key(b[SHMW_LS_KEY], s),
		    [SHMW_LS_ID] = fmt_int(b[SHMW_LS_ID], s, "shmid"),
		    [SHMW_LS_OWNER] = fmt_owner(b[SHMW_LS_OWNER], s),
		    [SHMW_LS_PERMS] = get_str(s, "perms"),
		    [SHMW_LS_SIZE] = fmt_size_field(b[SHMW_LS_SIZE], s, "size", o->human),
		    [SHMW_LS_NATTCH] = fmt_nattch(b[SHMW_LS_NATTCH], s),
		    [SHMW_LS_HOLDERS] = fmt_int(b[SHMW_LS_HOLDERS], s, "holders"),
		    [SHMW_LS_STATUS] = get_str(s, "status"),
		    [SHMW_LS_UID] = fmt_int(b[SHMW_LS_UID], s, "uid"),
		    [SHMW_LS_USER] = get_str(s, "user"),
		    [SHMW_LS_CUID] = fmt_int(b[SHMW_LS_CUID], s, "cuid"),
		    [SHMW_LS_CUSER] = get_str(s, "cuser"),
		    [SHMW_LS_CPID] = fmt_int(b[SHMW_LS_CPID], s, "cpid"),
		    [SHMW_LS_LPID] = fmt_int(b[SHMW_LS_LPID], s, "lpid"),
		    [SHMW_LS_ATTACH] = fmt_time(b[SHMW_LS_ATTACH], s, "atime"),
		    [SHMW_LS_DETACH] = fmt_time(b[SHMW_LS_DETACH], s, "dtime"),
		    [SHMW_LS_CTIME] = fmt_time(b[SHMW_LS_CTIME], s, "ctime"),
		    [SHMW_LS_COMMAND] = get_str(s, "creator_comm"),
		};

		tbl_add(&t, row);
	}
	return tbl_print(out, &t, !o->no_headers);
}

/* ---- status ---- */

/* A value for people: times local, uptime with its age, strings bare, the rest as JSON. */
static const char *status_value(char *buf, json_object *ans, const char *key, json_object *v)
{
	int64_t n;

	if (!strcmp(key, "started"))
		return fmt_time(buf, ans, key);
	if (!strcmp(key, "uptime_s") && get_int(ans, key, &n) && n >= 0) {
		char age[32];

		if (!shmw_fmt_age(age, sizeof(age), (uint64_t)n)) {
			snprintf(buf, CELL_MAX, "%" PRId64 " (%s)", n, age);
			return buf;
		}
	}
	if (!v)
		return "-";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

int shmw_table_status(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	size_t width = 0;
	char buf[CELL_MAX];

	(void)o; /* "name: value" lines have no column headers to drop */
	if (!ans || !json_object_is_type(ans, json_type_object))
		return 0;
	json_object_object_foreach(ans, k1, v1)
	{
		(void)v1;
		if (strcmp(k1, "ok") && strlen(k1) + 1 > width)
			width = strlen(k1) + 1;
	}
	json_object_object_foreach(ans, key, val)
	{
		char *safe;

		if (!strcmp(key, "ok"))
			continue;
		safe = escaped_dup(status_value(buf, ans, key, val));
		if (!safe) {
			errno = ENOMEM;
			return -1;
		}
		fprintf(out, "%s:%*s%s\n", key, (int)(width - strlen(key)), "", safe);
		free(safe);
	}
	return check_out(out);
}

/* ---- lingering ---- */

/* Seconds as an age ("1m02s"), like status' uptime. */
static const char *fmt_age_field(char *buf, json_object *obj, const char *key)
{
	int64_t v;

	if (!get_int(obj, key, &v) || v < 0 || shmw_fmt_age(buf, CELL_MAX, (uint64_t)v))
		return "-";
	return buf;
}

/* What to run again or look for: the command line, else (kernel thread, zombie, or a process
 * that cleared its arguments) the executable. */
static const char *holder_command(json_object *h)
{
	const char *cmd = get_str(h, "cmdline");

	if (strcmp(cmd, "-") && *cmd)
		return cmd;
	cmd = get_str(h, "exe");
	return *cmd ? cmd : "-";
}

static const struct col linger_cols[] = {
    {"SHMID", true, 0},	 {"PID", true, 0},  {"USER", false, 0},	       {"COMM", false, 0},
    {"SINCE", false, 0}, {"HOW", false, 0}, {"EXE/CMDLINE", false, 0},
};

/* The holders of one lingering segment into t (SHMID first, shown only when flat). */
static void add_linger_holders(struct tbl *t, json_object *seg)
{
	json_object *holders = field(seg, "holders");
	char b[3][CELL_MAX];

	for (size_t i = 0; i < array_len(holders); i++) {
		json_object *h = json_object_array_get_idx(holders, i);
		const char *row[7] = {
		    fmt_int(b[0], seg, "shmid"), fmt_int(b[1], h, "pid"),    get_str(h, "user"),
		    get_str(h, "comm"),		 fmt_time(b[2], h, "since"), get_str(h, "how"),
		    holder_command(h),
		};

		tbl_add(t, row);
	}
}

/* "shmid N  key K  size S  dest for AGE (since T)  removed by pid P (comm)". */
static int linger_summary(FILE *out, json_object *seg, bool show_ns, bool human)
{
	char b[6][CELL_MAX], ns[CELL_MAX + 8] = "", since[CELL_MAX + 16] = "",
					   by[2 * CELL_MAX + 32];
	const char *comm;

	if (show_ns)
		snprintf(ns, sizeof(ns), "  ns %s", fmt_int(b[0], seg, "ns"));
	if (field(seg, "dest_since"))
		snprintf(since, sizeof(since), " (since %s)", fmt_time(b[1], seg, "dest_since"));
	/* rmid_* is absent when the IPC_RMID came before the daemon started. */
	if (field(seg, "rmid_pid")) {
		comm = get_str(seg, "rmid_comm");
		snprintf(by, sizeof(by), "removed by pid %s (%s)", fmt_int(b[2], seg, "rmid_pid"),
			 *comm ? comm : "?");
	} else {
		snprintf(by, sizeof(by), "removed before shmwatchd started");
	}
	return print_summary(out, "shmid %s%s  key %s  size %s  dest for %s%s  %s",
			     fmt_int(b[3], seg, "shmid"), ns, fmt_key(b[4], seg),
			     fmt_size_field(b[5], seg, "size", human),
			     fmt_age_field(b[0], seg, "dest_for_s"), since, by);
}

int shmw_table_lingering(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *segs = field(ans, "segments");
	bool show_ns = many_ns(segs);
	bool hide[7] = {true};
	struct tbl t;

	if (o->no_headers) {
		hide[0] = false;
		tbl_init(&t, linger_cols, 7, hide);
		t.raw = o->raw;
		for (size_t i = 0; i < array_len(segs); i++)
			add_linger_holders(&t, json_object_array_get_idx(segs, i));
		return tbl_print(out, &t, false);
	}
	if (!array_len(segs)) {
		fputs("no lingering segments\n", out);
		return check_out(out);
	}
	for (size_t i = 0; i < array_len(segs); i++) {
		json_object *seg = json_object_array_get_idx(segs, i);
		int64_t nattch;

		if ((i && fputc('\n', out) == EOF) || linger_summary(out, seg, show_ns, o->human))
			return -1;
		if (!array_len(field(seg, "holders"))) {
			/* Attached by processes shmwatch never saw (it may have lost events). */
			if (get_int(seg, "nattch", &nattch) && nattch > 0)
				fprintf(out, "no holder known to shmwatchd (nattch %" PRId64 ")\n",
					nattch);
			else
				fputs("no holder known to shmwatchd\n", out);
			if (check_out(out))
				return -1;
			continue;
		}
		tbl_init(&t, linger_cols, 7, hide);
		t.raw = o->raw;
		add_linger_holders(&t, seg);
		if (tbl_print(out, &t, true))
			return -1;
	}
	return 0;
}

/* ---- orphans ---- */

static const struct col orphan_cols[] = {
    {"NS", true, 0},	     {"KEY", false, 0},	  {"SHMID", true, 0},
    {"OWNER", false, 0},     {"PERMS", false, 0}, {"BYTES", true, 0},
    {"UNHELD-FOR", true, 0}, {"CPID", true, 0},	  {"LPID", true, 0},
};

int shmw_table_orphans(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *segs = field(ans, "segments");
	struct col cols[9];
	bool hide[9] = {!many_ns(segs)};
	char b[8][CELL_MAX];
	struct tbl t;

	memcpy(cols, orphan_cols, sizeof(cols));
	if (o->human)
		cols[5].head = "SIZE"; /* as in ls */
	tbl_init(&t, cols, 9, hide);
	t.raw = o->raw;
	for (size_t i = 0; i < array_len(segs); i++) {
		json_object *s = json_object_array_get_idx(segs, i);
		const char *row[9] = {
		    fmt_int(b[0], s, "ns"),
		    fmt_key(b[1], s),
		    fmt_int(b[2], s, "shmid"),
		    fmt_owner(b[7], s),
		    get_str(s, "perms"),
		    fmt_size_field(b[3], s, "size", o->human),
		    fmt_age_field(b[4], s, "unheld_for_s"),
		    fmt_int(b[5], s, "cpid"),
		    fmt_int(b[6], s, "lpid"),
		};

		tbl_add(&t, row);
	}
	return tbl_print(out, &t, !o->no_headers);
}

/* ---- events ---- */

/* Minimum widths for streamed lines: local time, longest event/cause names, 10-digit shmid,
 * 7-digit pid (pid_max is at most 4194304), 15-byte comm, an 8-letter user name. */
static const struct col ev_cols[] = {
    {"TIME", false, 19}, {"EVENT", false, 7}, {"CAUSE", false, 7}, {"SHMID", true, 10},
    {"PID", true, 7},	 {"COMM", false, 15}, {"USER", false, 8},
};

/* A linger line names no pid of its own but its holders: their pids, commands and users,
 * joined by commas (into b, each at most CELL_MAX). */
static void linger_who(json_object *ev, char b[3][CELL_MAX], const char *row[3])
{
	json_object *hs = field(ev, "holders");
	size_t off[3] = {0, 0, 0};
	char num[CELL_MAX];

	for (int k = 0; k < 3; k++)
		b[k][0] = 0;
	for (size_t i = 0; i < array_len(hs); i++) {
		json_object *h = json_object_array_get_idx(hs, i);
		const char *v[3] = {fmt_int(num, h, "pid"), get_str(h, "comm"), get_str(h, "user")};

		for (int k = 0; k < 3; k++)
			if (off[k] < CELL_MAX)
				off[k] += (size_t)snprintf(b[k] + off[k], CELL_MAX - off[k], "%s%s",
							   i ? "," : "", v[k]);
	}
	for (int k = 0; k < 3; k++)
		row[k] = array_len(hs) ? b[k] : "-";
}

/* with_ns: the NS column (history: instead of SHMID); with_shmid: SHMID as well. */
static void add_event_cols(struct tbl *t, json_object *ev, bool with_ns, bool with_shmid)
{
	char b[4][CELL_MAX], w[3][CELL_MAX];
	const char *who[3] = {fmt_int(b[2], ev, "pid"), get_str(ev, "comm"), get_str(ev, "user")};
	const char *row[8];
	size_t n = 0;

	if (!field(ev, "pid") && field(ev, "holders"))
		linger_who(ev, w, who);
	row[n++] = fmt_time(b[0], ev, "time");
	row[n++] = get_str(ev, "event");
	row[n++] = get_str(ev, "cause");
	if (with_ns)
		row[n++] = fmt_int(b[1], ev, "ns");
	if (with_shmid)
		row[n++] = fmt_int(b[3], ev, "shmid");
	row[n++] = who[0];
	row[n++] = who[1];
	row[n++] = who[2];
	tbl_add(t, row);
}

static void add_event(struct tbl *t, json_object *ev)
{
	add_event_cols(t, ev, false, true);
}

int shmw_table_events(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *evs = field(ans, "events");
	/* An answer from the log ("matched") about several IPC namespaces: a shmid alone does
	 * not say which segment, so an NS column too. */
	bool with_ns = field(ans, "matched") && many_ns(evs);
	struct col cols[8];
	size_t n = 0;
	struct tbl t;

	if (field(ans, "matched") && !array_len(evs) && !o->no_headers) {
		fputs("no matching events in the event log\n", out);
		return check_out(out);
	}

	/* A batch is aligned on its content, so drop the minimum widths of the stream. */
	for (size_t c = 0; c < 7; c++) {
		if (c == 3 && with_ns)
			cols[n++] = (struct col){"NS", true, 0};
		cols[n] = ev_cols[c];
		cols[n++].min = 0;
	}
	tbl_init(&t, cols, n, NULL);
	t.raw = o->raw;
	for (size_t i = 0; i < array_len(evs); i++)
		add_event_cols(&t, json_object_array_get_idx(evs, i), with_ns, true);
	return tbl_print(out, &t, !o->no_headers);
}

int shmw_table_event_header(FILE *out, const struct shmw_table_opts *o)
{
	struct tbl t;

	if (o->no_headers)
		return 0;
	tbl_init(&t, ev_cols, 7, NULL);
	t.raw = o->raw;
	return tbl_print(out, &t, true);
}

int shmw_table_event_line(FILE *out, json_object *ev, const struct shmw_table_opts *o)
{
	struct tbl t;

	tbl_init(&t, ev_cols, 7, NULL);
	t.raw = o->raw;
	add_event(&t, ev);
	return tbl_print(out, &t, false);
}

/* ---- history, who --at ---- */

int shmw_table_history(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *evs = field(ans, "events");
	bool with_ns = array_len(field(ans, "namespaces")) > 1;
	struct col cols[7];
	char b[CELL_MAX];
	struct tbl t;

	memcpy(cols, ev_cols, sizeof(cols));
	for (size_t c = 0; c < 7; c++)
		cols[c].min = 0;
	/* One segment: the shmid column says which namespace instead, when there are several
	 * (a shmid is per IPC namespace). */
	if (with_ns)
		cols[3].head = "NS";
	if (!o->no_headers && print_summary(out, "shmid %s: %zu events from the event log%s",
					    fmt_int(b, ans, "shmid"), array_len(evs),
					    with_ns ? ", in several IPC namespaces" : "") < 0)
		return -1;
	tbl_init(&t, cols, 7, NULL);
	t.raw = o->raw;
	for (size_t i = 0; i < array_len(evs); i++)
		add_event_cols(&t, json_object_array_get_idx(evs, i), with_ns, !with_ns);
	return tbl_print(out, &t, !o->no_headers);
}

/* "created 2026-12-07 18:00:00 by pid 12 (comm, user)" and the like, from prefix_* fields. */
static int actor_line(FILE *out, json_object *ans, const char *what, const char *prefix)
{
	char k[4][40], b[2][CELL_MAX];

	snprintf(k[0], sizeof(k[0]), "%stime", prefix);
	snprintf(k[1], sizeof(k[1]), "%spid", prefix);
	snprintf(k[2], sizeof(k[2]), "%scomm", prefix);
	snprintf(k[3], sizeof(k[3]), "%suser", prefix);
	if (!field(ans, k[1]))
		return 0;
	return print_summary(out, "  %s %s by pid %s (%s, user %s)", what,
			     fmt_time(b[0], ans, k[0]), fmt_int(b[1], ans, k[1]),
			     get_str(ans, k[2]), get_str(ans, k[3]));
}

int shmw_table_who_at(FILE *out, json_object *ans, const struct shmw_table_opts *o)
{
	json_object *hs = field(ans, "holders");
	char b[8][CELL_MAX];
	int64_t hidden = 0;
	struct tbl t;

	if (!o->no_headers) {
		if (print_summary(out,
				  "shmid %s  ns %s  key %s  size %s  status %s  at %s (from the "
				  "event log)",
				  fmt_int(b[0], ans, "shmid"), fmt_int(b[1], ans, "ns"),
				  fmt_key(b[2], ans), fmt_size_field(b[3], ans, "size", o->human),
				  get_str(ans, "status"), fmt_time(b[4], ans, "at")) < 0 ||
		    actor_line(out, ans, "created", "created_") < 0 ||
		    actor_line(out, ans, "removed (IPC_RMID)", "rmid_") < 0)
			return -1;
		if (field(ans, "destroyed") &&
		    print_summary(out, "  destroyed %s (%s)", fmt_time(b[5], ans, "destroyed"),
				  get_str(ans, "destroy_cause")) < 0)
			return -1;
		if (get_int(ans, "hidden_holders", &hidden) && hidden > 0 &&
		    print_summary(out, "  %lld holders not shown: other users", (long long)hidden) <
			0)
			return -1;
		if (!array_len(hs)) {
			fputs(hidden > 0 ? "" : "no holders then\n", out);
			return check_out(out);
		}
	}
	who_init(&t, o);
	for (size_t i = 0; i < array_len(hs); i++) {
		json_object *h = json_object_array_get_idx(hs, i);
		const char *row[6] = {
		    fmt_int(b[0], h, "pid"),	get_str(h, "user"), get_str(h, "comm"),
		    fmt_time(b[1], h, "since"), get_str(h, "how"),  fmt_int(b[2], h, "vmas"),
		};

		tbl_add(&t, row);
	}
	return tbl_print(out, &t, !o->no_headers);
}

int shmw_table_verify(FILE *out, json_object *answer, const struct shmw_table_opts *o)
{
	json_object *diffs = json_object_object_get(answer, "differences");
	size_t n = diffs ? json_object_array_length(diffs) : 0;

	(void)o;
	if (!n)
		return fprintf(out, "no differences: the state matches the kernel\n") < 0 ? -1 : 0;
	if (fprintf(out, "%zu differences with the kernel (repaired where a walk could):\n", n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(diffs, i);
		const char *ev = json_object_get_string(json_object_object_get(d, "event"));
		int r;

		if (ev && !strcmp(ev, "nattch"))
			r = fprintf(out, "  shmid %s (ns %s): kernel nattch %s, traced %s\n",
				    json_object_get_string(json_object_object_get(d, "shmid")),
				    json_object_get_string(json_object_object_get(d, "ns")),
				    json_object_get_string(json_object_object_get(d, "kernel")),
				    json_object_get_string(json_object_object_get(d, "traced")));
		else
			r = fprintf(out, "  %s: pid %s (%s) shmid %s vmas %s\n", ev ? ev : "?",
				    json_object_get_string(json_object_object_get(d, "pid")),
				    json_object_get_string(json_object_object_get(d, "comm")),
				    json_object_get_string(json_object_object_get(d, "shmid")),
				    json_object_get_string(json_object_object_get(d, "vmas")));
		if (r < 0)
			return -1;
	}
	return 0;
}
