/* ws_buf.c - a WebSocket's byte queue, allocated only while it holds bytes. */
#include "ws_buf.h"

#include <stdlib.h>
#include <string.h>

/* Moves the held bytes to the front. */
static void s_compact(ws_buf_t *b)
{
    if (b->off == 0)
        return;
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
}

/* Capacity of at least want bytes: cap (first when 0), doubled, at most max
 * (but never below want). */
static size_t s_grown(size_t cap, size_t first, size_t want, size_t max)
{
    size_t c = cap ? cap : first;
    while (c < want)
        c *= 2;
    if (c > max)
        c = max;
    return c < want ? want : c;
}

static bool s_resize(ws_buf_t *b, size_t cap)
{
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        return false;
    b->data = d;
    b->cap = cap;
    return true;
}

bool ws_buf_append(ws_buf_t *b, const void *p, size_t n, size_t limit)
{
    if (n == 0)
        return true;
    size_t used = ws_buf_used(b);
    if (used + n > limit)
        return false;
    if (b->len + n > b->cap) {
        s_compact(b); /* reuse the consumed front before growing */
        if (used + n > b->cap && !s_resize(b, s_grown(b->cap, WS_BUF_APPEND_FIRST, used + n, limit)))
            return false;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

size_t ws_buf_reserve(ws_buf_t *b, size_t max_cap)
{
    if (b->len == b->cap)
        s_compact(b);
    if (b->len == b->cap) {
        if (b->cap >= max_cap || !s_resize(b, s_grown(b->cap, WS_BUF_FIRST, b->cap + 1, max_cap)))
            return 0;
    }
    return b->cap - b->len;
}

void ws_buf_consume(ws_buf_t *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        ws_buf_clear(b); /* empty: give the memory back */
}

void ws_buf_adopt(ws_buf_t *b, uint8_t **p, size_t n)
{
    ws_buf_clear(b);
    if (!*p || n == 0) {
        free(*p);
        *p = NULL;
        return;
    }
    b->data = *p;
    b->len = b->cap = n;
    *p = NULL;
}

void ws_buf_clear(ws_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->off = b->len = b->cap = 0;
}
