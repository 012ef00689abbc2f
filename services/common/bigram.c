/* bigram.c - code point bigrams for substring search (see bigram.h).
 *
 * Cost: O(n) to fold and O(n * g) to split, with g the grams found so far
 * (the dedup is a linear scan): names are at most 64 code points, so at most
 * 64 grams, which is cheaper than any hash. */
#include "bigram.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Decodes one code point of valid UTF-8 at *p and advances *p. */
static uint32_t s_decode(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t cp;
    size_t n;
    if (s[0] < 0x80) {
        cp = s[0];
        n = 1;
    } else if (s[0] < 0xE0) {
        cp = s[0] & 0x1F;
        n = 2;
    } else if (s[0] < 0xF0) {
        cp = s[0] & 0x0F;
        n = 3;
    } else {
        cp = s[0] & 0x07;
        n = 4;
    }
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3F);
    *p = s + n;
    return cp;
}

/* Encodes cp into out (room for 4 bytes); returns the byte count. */
static size_t s_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* In [lo, hi], upper case sits on even (or odd, `odd`) code points, its lower case right after. */
static bool s_pair(uint32_t cp, uint32_t lo, uint32_t hi, bool odd)
{
    return cp >= lo && cp <= hi && (cp & 1u) == (odd ? 1u : 0u);
}

/* Simple one-to-one lower case for the scripts listed in bigram.h. */
static uint32_t s_lower(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) /* Latin-1 */
        return cp + 32;
    if (cp == 0x130) /* İ */
        return 'i';
    if (cp == 0x178) /* Ÿ */
        return 0xFF;
    if (s_pair(cp, 0x100, 0x137, false) || s_pair(cp, 0x139, 0x148, true) ||
        s_pair(cp, 0x14A, 0x177, false) || s_pair(cp, 0x179, 0x17E, true))
        return cp + 1; /* Latin Extended-A */
    if (cp == 0x386)   /* Greek with tonos */
        return 0x3AC;
    if (cp >= 0x388 && cp <= 0x38A)
        return cp + 37;
    if (cp == 0x38C)
        return 0x3CC;
    if (cp == 0x38E || cp == 0x38F)
        return cp + 63;
    if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) /* Greek */
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F) /* Cyrillic Ѐ..Џ */
        return cp + 80;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (s_pair(cp, 0x460, 0x481, false) || s_pair(cp, 0x48A, 0x4BF, false))
        return cp + 1;
    if (s_pair(cp, 0x1E00, 0x1E95, false) || s_pair(cp, 0x1EA0, 0x1EFF, false))
        return cp + 1;                /* Latin Extended Additional (Vietnamese) */
    if (cp >= 0xFF21 && cp <= 0xFF3A) /* full-width Ａ..Ｚ */
        return cp + 32;
    return cp;
}

char *pc_bigram_fold(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    if (!pc_utf8_valid(s, len))
        return NULL;
    /* Every mapping above keeps the UTF-8 length or shortens it (İ -> i). */
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t o = 0;
    while (p < end)
        o += s_encode(s_lower(s_decode(&p)), out + o);
    out[o] = '\0';
    return out;
}

/* Appends gram [g, g+n) to the list when it is not there yet. */
static void s_add(char *list, size_t *used, size_t *count, const char *g, size_t n)
{
    const char *p = list, *end = list + *used;
    while (p < end) {
        const char *sep = memchr(p, PC_BIGRAM_SEP, (size_t)(end - p));
        size_t len = sep ? (size_t)(sep - p) : (size_t)(end - p);
        if (len == n && memcmp(p, g, n) == 0)
            return;
        p += len + 1;
    }
    if (*used > 0)
        list[(*used)++] = PC_BIGRAM_SEP;
    memcpy(list + *used, g, n);
    *used += n;
    list[*used] = '\0';
    (*count)++;
}

char *pc_bigram_grams(const char *folded, bool with_tail, size_t *count)
{
    *count = 0;
    if (folded == NULL)
        return NULL;
    size_t len = strlen(folded);
    if (!pc_utf8_valid(folded, len))
        return NULL;
    /* Each code point is in at most two bigrams and the tail: 3 copies, plus separators. */
    char *list = malloc(3 * len + len + 2);
    if (list == NULL)
        return NULL;
    list[0] = '\0';
    size_t used = 0;
    const unsigned char *p = (const unsigned char *)folded, *end = p + len;
    const unsigned char *prev = NULL;
    while (p < end) {
        const unsigned char *here = p;
        s_decode(&p);
        if (prev != NULL)
            s_add(list, &used, count, (const char *)prev, (size_t)(p - prev));
        prev = here;
    }
    if (with_tail && prev != NULL)
        s_add(list, &used, count, (const char *)prev, (size_t)(end - prev));
    return list;
}

bool pc_bigram_prefix_end(const char *c, char *out, size_t size)
{
    if (c == NULL || c[0] == '\0')
        return false;
    size_t len = strlen(c);
    if (!pc_utf8_valid(c, len) || pc_utf8_count(c, len) != 1)
        return false;
    const unsigned char *p = (const unsigned char *)c;
    uint32_t cp = s_decode(&p);
    if (cp >= 0x10FFFF)
        return false;
    uint32_t next = cp + 1 == 0xD800 ? 0xE000 : cp + 1; /* no surrogates */
    char buf[4];
    size_t n = s_encode(next, buf);
    if (size < n + 1)
        return false;
    memcpy(out, buf, n);
    out[n] = '\0';
    return true;
}

/* How far gram i stands from the nearest one already picked (n when none). */
static size_t s_spread(size_t i, const bool *chosen, size_t n)
{
    size_t best = n;
    for (size_t j = 0; j < n; j++) {
        size_t d = i > j ? i - j : j - i;
        if (chosen[j] && d < best)
            best = d;
    }
    return best;
}

size_t pc_bigram_pick(const int64_t *counts, size_t n, size_t max, int64_t alone_below,
                      size_t *picked)
{
    bool chosen[PC_BIGRAM_PICK_MAX_GRAMS] = {false};
    size_t k = 0;
    if (n > PC_BIGRAM_PICK_MAX_GRAMS)
        n = PC_BIGRAM_PICK_MAX_GRAMS;
    for (size_t i = 0; i < n; i++)
        if (counts[i] == 0)
            return 0;
    while (k < max && k < n) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (chosen[i])
                continue;
            if (best == n || counts[i] < counts[best] ||
                (counts[i] == counts[best] && s_spread(i, chosen, n) > s_spread(best, chosen, n)))
                best = i;
        }
        chosen[best] = true;
        picked[k++] = best;
        if (k == 1 && counts[best] < alone_below)
            break;
    }
    return k;
}
