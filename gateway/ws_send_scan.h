/* ws_send_scan.h - the usual `send` frame read without building JSON values.
 * Pure, no I/O.
 *
 * Almost every frame a client sends is a `send` in one plain shape:
 *   {"type":"send","to":{"user_id":7},"client_msg_id":"k1","kind":"text","text":"hi"}
 * in any member order and with any JSON whitespace. Parsing it with jansson
 * and freeing it again was the gateway's largest allocation work per message
 * (docs/BENCHMARKS.md). This scanner reads exactly that shape in one pass
 * and allocates nothing; anything else - other keys, escapes in a string, a
 * number that is not a plain id, a duplicate key, anything invalid - is
 * refused, and the caller hands the frame to the general reader
 * (gw_ws_cmd_decode, then gw_map_send), which judges it and words every
 * error. So what the scanner accepts, the general reader accepts too, with
 * the same values (tests/fuzz/fuzz_ws_send_scan.c checks both on the same
 * bytes). */
#ifndef PIGEON_GW_WS_SEND_SCAN_H
#define PIGEON_GW_WS_SEND_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the frame: a JSON string's contents without escapes. */
typedef struct {
    const char *p; /* NULL: absent (or null, for text) */
    size_t len;
} gw_span_t;

typedef struct {
    int64_t to_user_id;      /* 1..2^53-1, or 0 when the message goes to a group */
    int64_t to_group_id;     /* 1..2^53-1, or 0 when it goes to a user */
    int64_t media_id;        /* 0: absent or null */
    gw_span_t client_msg_id; /* always set */
    gw_span_t kind;          /* always set */
    gw_span_t text;          /* p NULL: absent or null */
} gw_ws_send_t;

/* True when text[0..len) is a `send` frame in the plain shape: *out then
 * points into text. False for anything else (the general reader's turn). */
bool gw_ws_send_scan(const char *text, size_t len, gw_ws_send_t *out);

#endif
