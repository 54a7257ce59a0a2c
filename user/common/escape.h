/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Text for people from bytes other people chose (a process name, a command line, a path):
 * the one escaping function of the daemon's log lines, the journal fields and the client's
 * tables, so that a name shows the same everywhere and none can split a line, move a cursor or
 * recolour a terminal.
 *
 * Escaped: C0 controls (\n \r \t, the others \xNN: ESC is \x1b), DEL (\x7f), the backslash
 * itself (\\, so that an escape always reads back to one byte), bytes that do not form valid
 * UTF-8 (overlong forms, surrogates and code points past U+10FFFF included: \xNN each), and
 * valid UTF-8 for characters that act on the text rather than show (C1 controls U+0080-U+009F,
 * which some terminals take as CSI; U+2028/U+2029 line and paragraph separators; the bidi
 * formatting characters U+200E, U+200F, U+202A-U+202E, U+2066-U+2069): each byte as \xNN.
 * Everything else, valid UTF-8 included, is kept as it is.
 */
#ifndef SHMW_ESCAPE_H
#define SHMW_ESCAPE_H
#include <stdbool.h>
#include <stddef.h>

#define SHMW_ESC_QUOTE 1u /* also escape '"' as \" (a value inside double quotes) */
#define SHMW_ESC_MAX   4  /* bytes of output per byte of input, at most */

/* Writes s (n bytes; NULL is "") escaped to dst, at most dstlen - 1 bytes and a NUL (when
 * dstlen > 0), never ending inside an escape or a UTF-8 sequence. Returns the length the
 * whole escaped text has (without the NUL), as snprintf does: dst was big enough if it is
 * less than dstlen. dst may be NULL with dstlen 0 to measure. */
size_t shmw_escape(char *dst, size_t dstlen, const char *s, size_t n, unsigned flags);
/* Whether shmw_escape would change s. */
bool shmw_escape_needed(const char *s, size_t n, unsigned flags);
#endif
