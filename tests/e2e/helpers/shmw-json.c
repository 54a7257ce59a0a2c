/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-json: a tiny JSON extractor for the end-to-end tests (which run in busybox sh: no jq).
 *
 *   shmw-json PATH [FIELD...] < input
 *
 * The input holds one or more JSON values (JSON Lines works). PATH is applied to each:
 *   .          the value itself          a.b       member b of member a
 *   a[N]       element N of array a      a[]       every element of array a (one result each)
 *   len(PATH)  the number of elements (array or object) or characters (string)
 * Each result prints on its own line: strings raw, numbers and true/false/null as JSON, arrays
 * and objects as compact JSON. With FIELDs, each result prints as one line of its FIELDs
 * (paths relative to the result, len(...) allowed) separated by single spaces; a missing field
 * prints "<none>".
 *
 * Exit 0 when PATH matched something in every input value (an empty a[] counts as matched),
 * 1 when a plain path (no FIELDs) is missing, 2 on invalid JSON, 3 on usage errors.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int missing;

static void print_scalar(FILE *out, struct json_object *v)
{
	if (!v)
		fputs("null", out);
	else if (json_object_is_type(v, json_type_string))
		fputs(json_object_get_string(v), out);
	else
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), out);
}

typedef void (*emit_fn)(struct json_object *v, void *ctx);

/* Walks path from v, calling emit for each result. Returns 0, or -1 if a step is missing. */
static int walk(struct json_object *v, const char *path, emit_fn emit, void *ctx)
{
	while (*path == '.')
		path++;
	if (!*path) {
		emit(v, ctx);
		return 0;
	}
	if (*path == '[') {
		const char *close = strchr(path, ']');
		char *end;
		long idx;

		if (!close || !json_object_is_type(v, json_type_array))
			return -1;
		if (close == path + 1) { /* [] */
			size_t n = json_object_array_length(v);
			int rc = 0;

			for (size_t i = 0; i < n; i++)
				if (walk(json_object_array_get_idx(v, i), close + 1, emit, ctx) < 0)
					rc = -1;
			return rc;
		}
		idx = strtol(path + 1, &end, 10);
		if (end != close || idx < 0 || (size_t)idx >= json_object_array_length(v))
			return -1;
		return walk(json_object_array_get_idx(v, idx), close + 1, emit, ctx);
	}
	{
		size_t n = strcspn(path, ".[");
		char key[256];
		struct json_object *child;

		if (n >= sizeof(key) || !json_object_is_type(v, json_type_object))
			return -1;
		memcpy(key, path, n);
		key[n] = 0;
		if (!json_object_object_get_ex(v, key, &child))
			return -1;
		return walk(child, path + n, emit, ctx);
	}
}

struct row_ctx {
	char **fields;
	int nfields;
};

static void emit_plain(struct json_object *v, void *ctx)
{
	(void)ctx;
	print_scalar(stdout, v);
	putchar('\n');
}

struct first_ctx {
	int found;
	struct json_object *v; /* NULL for JSON null */
};

static void emit_first(struct json_object *v, void *ctx)
{
	struct first_ctx *f = ctx;

	if (!f->found) {
		f->found = 1;
		f->v = v;
	}
}

/* The length of an array or object (elements) or string (characters); -1 for other types. */
static long length_of(struct json_object *v)
{
	if (json_object_is_type(v, json_type_array))
		return (long)json_object_array_length(v);
	if (json_object_is_type(v, json_type_object))
		return json_object_object_length(v);
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string_len(v);
	return -1;
}

/* "len(PATH)" -> PATH in inner; returns 1 if path is such a call. */
static int is_len_call(const char *path, char *inner, size_t innerlen)
{
	size_t plen = strlen(path);

	if (plen <= 5 || strncmp(path, "len(", 4) != 0 || path[plen - 1] != ')' ||
	    plen - 5 >= innerlen)
		return 0;
	memcpy(inner, path + 4, plen - 5);
	inner[plen - 5] = 0;
	return 1;
}

static void emit_row(struct json_object *v, void *ctx)
{
	struct row_ctx *r = ctx;

	for (int i = 0; i < r->nfields; i++) {
		struct first_ctx f = {0, NULL};
		char inner[512];
		int len_call = is_len_call(r->fields[i], inner, sizeof(inner));

		if (i)
			putchar(' ');
		if (walk(v, len_call ? inner : r->fields[i], emit_first, &f) < 0 || !f.found ||
		    (len_call && length_of(f.v) < 0))
			fputs("<none>", stdout);
		else if (len_call)
			printf("%ld", length_of(f.v));
		else
			print_scalar(stdout, f.v);
	}
	putchar('\n');
}

struct len_ctx {
	int found;
};

static void emit_len(struct json_object *v, void *ctx)
{
	struct len_ctx *l = ctx;
	long n = length_of(v);

	l->found = 1;
	if (n < 0)
		missing = 1;
	else
		printf("%ld\n", n);
}

static void apply(struct json_object *v, const char *path, char **fields, int nfields)
{
	char inner[512];

	if (is_len_call(path, inner, sizeof(inner))) {
		struct len_ctx l = {0};

		if (walk(v, inner, emit_len, &l) < 0 || !l.found)
			missing = 1;
		return;
	}
	if (nfields) {
		struct row_ctx r = {fields, nfields};

		if (walk(v, path, emit_row, &r) < 0)
			missing = 1;
		return;
	}
	if (walk(v, path, emit_plain, NULL) < 0)
		missing = 1;
}

int main(int argc, char **argv)
{
	struct json_tokener *tok;
	char *buf = NULL;
	size_t len = 0, cap = 0, off = 0;
	int nvalues = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: shmw-json PATH [FIELD...] < json\n");
		return 3;
	}
	for (;;) {
		size_t n;

		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf) {
				fprintf(stderr, "shmw-json: out of memory\n");
				return 3;
			}
		}
		n = fread(buf + len, 1, cap - len - 1, stdin);
		if (n == 0)
			break;
		len += n;
	}
	if (!buf)
		buf = calloc(1, 1);
	buf[len] = 0;
	tok = json_tokener_new();
	while (off < len) {
		struct json_object *v;
		enum json_tokener_error err;

		/* Skip whitespace between values. */
		while (off < len && strchr(" \t\r\n", buf[off]))
			off++;
		if (off >= len)
			break;
		json_tokener_reset(tok);
		/* The length includes the final NUL so that a number at the very end ends. */
		v = json_tokener_parse_ex(tok, buf + off, (int)(len - off + 1));
		err = json_tokener_get_error(tok);
		if (err != json_tokener_success) {
			if (err == json_tokener_continue)
				fprintf(stderr, "shmw-json: truncated JSON at byte %zu\n", off);
			else
				fprintf(stderr, "shmw-json: invalid JSON at byte %zu: %s\n",
					off + json_tokener_get_parse_end(tok),
					json_tokener_error_desc(err));
			return 2;
		}
		off += json_tokener_get_parse_end(tok);
		apply(v, argv[1], argv + 2, argc - 2);
		json_object_put(v);
		nvalues++;
	}
	json_tokener_free(tok);
	free(buf);
	if (nvalues == 0) {
		fprintf(stderr, "shmw-json: no JSON value in the input\n");
		return 2;
	}
	fflush(stdout);
	return missing ? 1 : 0;
}
