/* ws_buf.h - a WebSocket's byte queue (input or output). Pure, no I/O.
 *
 * An idle socket should cost as little as possible: a buffer holds no
 * memory while it is empty. It is allocated when bytes must wait (a frame
 * the kernel did not take at once, a partial client frame), grows by
 * doubling from WS_BUF_FIRST up to a bound the caller gives, and is freed
 * as soon as its last byte is consumed. With 10,000 idle sockets that is
 * 10,000 x 0 bytes instead of 10,000 x 4 KiB. */
#ifndef PIGEON_GW_WS_BUF_H
#define PIGEON_GW_WS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_BUF_FIRST 4096 /* first allocation of ws_buf_reserve (room for a recv) */
/* First allocation of ws_buf_append: an ack and a push (about 450 bytes
 * each). Below glibc's 1 KiB large-bin bound it comes from the per-thread
 * cache or a small bin; 4 KiB went to the large bins, which first merge
 * every small free chunk (malloc_consolidate) - for every frame sent. */
#define WS_BUF_APPEND_FIRST 1000

typedef struct {
    uint8_t *data; /* malloc'd; NULL while empty */
    size_t off;    /* first byte not consumed yet */
    size_t len;    /* end of the bytes held (data[off..len)) */
    size_t cap;    /* allocated bytes of data (0 while NULL) */
} ws_buf_t;

/* Bytes held. */
static inline size_t ws_buf_used(const ws_buf_t *b)
{
    return b->len - b->off;
}

/* The bytes held: ws_buf_used() of them from here (NULL while empty). */
static inline uint8_t *ws_buf_head(const ws_buf_t *b)
{
    return b->data ? b->data + b->off : NULL;
}

/* Appends n bytes unless that would hold more than limit bytes. False
 * when over the limit or out of memory (nothing appended then). */
bool ws_buf_append(ws_buf_t *b, const void *p, size_t n, size_t limit);

/* Makes room at the end for at least one byte (compacting first, then
 * growing to at most max_cap bytes of allocation). Returns the free bytes
 * at ws_buf_tail(), or 0 when max_cap is reached or memory is short. */
size_t ws_buf_reserve(ws_buf_t *b, size_t max_cap);

/* Where the next bytes go after ws_buf_reserve(); ws_buf_commit() them. */
static inline uint8_t *ws_buf_tail(const ws_buf_t *b)
{
    return b->data + b->len;
}

/* n bytes were written at ws_buf_tail(). */
static inline void ws_buf_commit(ws_buf_t *b, size_t n)
{
    b->len += n;
}

/* Drops n bytes from the front (n <= ws_buf_used); frees the memory when
 * nothing is left. */
void ws_buf_consume(ws_buf_t *b, size_t n);

/* Takes a malloc'd block of n bytes as the content (b must be empty). */
void ws_buf_adopt(ws_buf_t *b, uint8_t **p, size_t n);

/* Frees the memory; b is empty and reusable afterwards. */
void ws_buf_clear(ws_buf_t *b);

#endif
