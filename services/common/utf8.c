/* utf8.c - strict UTF-8 checks (RFC 3629). Pure, no I/O. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* Decodes one code point at s[0..len). Returns its length in bytes (1..4)
 * and the value in *cp, or 0 when the bytes there are not valid UTF-8. */
static size_t s_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    size_t n;
    uint32_t min;
    uint32_t v;
    if (b0 >= 0xc2 && b0 <= 0xdf) { /* 0xc0, 0xc1 could only start overlong forms */
        n = 2;
        min = 0x80;
        v = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        n = 3;
        min = 0x800;
        v = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) { /* 0xf5.. would exceed U+10FFFF */
        n = 4;
        min = 0x10000;
        v = b0 & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

bool pc_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_decode(p + i, len - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t pc_utf8_count(const char *s, size_t len)
{
    /* Every byte that is not a continuation byte starts a code point. */
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            count++;
    return count;
}

bool pc_utf8_has_control(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_decode(p + i, len - i, &cp);
        if (n == 0)
            return true; /* not valid: treat as unsafe rather than guess */
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
            return true;
        i += n;
    }
    return false;
}

bool pc_utf8_text_ok(const char *s, size_t min_chars, size_t max_chars)
{
    if (s == NULL)
        return false;
    size_t len = strlen(s);
    if (!pc_utf8_valid(s, len) || pc_utf8_has_control(s, len))
        return false;
    size_t chars = pc_utf8_count(s, len);
    return chars >= min_chars && chars <= max_chars;
}
