/* utf8.h - UTF-8 checks for text that comes from outside. Pure, no I/O. */
#ifndef PIGEON_UTF8_H
#define PIGEON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Strict RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool pc_utf8_valid(const char *s, size_t len);

/* Code points in a valid UTF-8 string of `len` bytes. */
size_t pc_utf8_count(const char *s, size_t len);

/* True if the valid UTF-8 string holds a control character (C0, DEL or C1). */
bool pc_utf8_has_control(const char *s, size_t len);

/* The shared rule for short human text (nicknames, group names): valid UTF-8,
 * min..max code points, no control characters. */
bool pc_utf8_text_ok(const char *s, size_t min_chars, size_t max_chars);

#endif
