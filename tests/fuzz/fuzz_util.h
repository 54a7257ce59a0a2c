/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): a property check that aborts (so
 * libFuzzer saves the input as a crash), a strict UTF-8 check and a strict JSON reader. */
#ifndef SHMW_FUZZ_UTIL_H
#define SHMW_FUZZ_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* For the checking code: its comparisons are not the code under test, and feeding them to
 * libFuzzer would only slow it down and steer it towards the checker. */
#define FUZZ_NOCOV __attribute__((no_sanitize("coverage")))

/* A violated property: print why and abort, so libFuzzer keeps the input as crash-*. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property violated: %s: ", __FILE__, __LINE__,      \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. This is what
 * RFC 8259 requires of JSON text exchanged between systems, so what strict readers (Python's
 * json on bytes, serde_json, json-c with JSON_TOKENER_VALIDATE_UTF8) insist on. */
FUZZ_NOCOV static inline bool fuzz_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* Parses s (len bytes, one optional trailing newline) as exactly one strict JSON value in
 * valid UTF-8; NULL, with the reason on stderr, if it is not. */
FUZZ_NOCOV static inline json_object *fuzz_json_parse(const char *s, size_t len)
{
	struct json_tokener *tok;
	json_object *obj;
	size_t end;

	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (memchr(s, '\n', len)) {
		fprintf(stderr, "fuzz_json_parse: newline inside the JSON line\n");
		return NULL;
	}
	if (!fuzz_utf8_valid(s, len)) {
		fprintf(stderr, "fuzz_json_parse: not valid UTF-8\n");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!obj || end != len) {
		fprintf(stderr, "fuzz_json_parse: %s at byte %zu of %zu\n",
			json_tokener_error_desc(json_tokener_get_error(tok)), end, len);
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* The member key of obj, which must exist and have type t. */
FUZZ_NOCOV static inline json_object *fuzz_json_member(json_object *obj, const char *key,
						       json_type t)
{
	json_object *v = NULL;

	FUZZ_CHECK(json_object_object_get_ex(obj, key, &v), "no member '%s'", key);
	FUZZ_CHECK(json_object_get_type(v) == t, "member '%s' has type %s, want %s", key,
		   json_type_to_name(json_object_get_type(v)), json_type_to_name(t));
	return v;
}
#endif
