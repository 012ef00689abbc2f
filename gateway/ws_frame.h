/* ws_frame.h - RFC 6455 framing, the opening handshake's key, SHA-1. Pure, no I/O.
 *
 * The reader takes bytes as they arrive from a client and turns them into
 * whole messages and control frames: masking is required, reserved bits and
 * unknown opcodes are protocol errors, control frames are unfragmented and
 * at most 125 bytes, fragments are joined (with control frames allowed
 * between them), a message may be at most `max` bytes (else 1009) and a text
 * message must be valid UTF-8 across its fragments (else 1007, noticed as
 * soon as the bad byte arrives). Server frames are written unmasked. */
#ifndef PIGEON_GW_WS_FRAME_H
#define PIGEON_GW_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* Close codes Pigeon sends (RFC 6455 7.4.1, plus one of the 4000-4999 range). */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,    /* the gateway stops */
    WS_CLOSE_PROTOCOL = 1002,      /* a framing rule was broken */
    WS_CLOSE_UNSUPPORTED = 1003,   /* unused: binary is refused as an error frame */
    WS_CLOSE_NO_STATUS = 1005,     /* received close without a code; never sent */
    WS_CLOSE_BAD_DATA = 1007,      /* text that is not UTF-8 */
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,       /* message over the limit */
    WS_CLOSE_INTERNAL = 1011,
    WS_CLOSE_TRY_AGAIN = 1013,     /* the client does not read fast enough */
    WS_CLOSE_REVOKED = 4001,       /* the socket's token was revoked (logout) */
};

#define WS_CONTROL_MAX 125   /* payload bytes of a control frame */
#define WS_HEADER_MAX 14     /* longest client frame header (64-bit length + mask) */

/* Incremental UTF-8 validator (rejects overlongs, surrogates, > U+10FFFF). */
typedef struct {
    uint8_t need; /* continuation bytes still expected */
    uint8_t lo;   /* allowed range of the next continuation byte */
    uint8_t hi;
} ws_utf8_t;

/* Feeds bytes; false at the first invalid one. A message is complete and
 * valid when every byte was accepted and ws_utf8_done() holds. */
bool ws_utf8_feed(ws_utf8_t *u, const uint8_t *p, size_t n);
static inline bool ws_utf8_done(const ws_utf8_t *u)
{
    return u->need == 0;
}

typedef enum {
    WS_EV_NONE = 0, /* need more bytes */
    WS_EV_TEXT,     /* a whole text message (valid UTF-8) */
    WS_EV_BINARY,   /* a whole binary message */
    WS_EV_PING,     /* data: the payload to echo in a pong */
    WS_EV_PONG,
    WS_EV_CLOSE,    /* code: the peer's code (1005 when none); data: reason */
    WS_EV_ERROR,    /* code: the close code to answer with; data: reason text */
} ws_ev_kind_t;

typedef struct {
    ws_ev_kind_t kind;   /* what happened */
    const uint8_t *data; /* payload; valid until the next ws_reader_next or reset */
    size_t len;          /* bytes in data */
    uint16_t code;       /* close code (CLOSE, ERROR) */
} ws_event_t;

/* State between frames: a fragmented message being joined. */
typedef struct {
    size_t max;       /* largest message accepted (bytes) */
    uint8_t opcode;   /* TEXT or BINARY while a fragmented message is open, else 0 */
    uint8_t *msg;     /* joined fragments (malloc'd; freed by the call after the message) */
    size_t len;       /* bytes in msg */
    size_t cap;       /* allocated bytes of msg */
    ws_utf8_t utf8;   /* validator state of the open text message */
    bool failed;      /* an error was returned: nothing more is read */
} ws_reader_t;

void ws_reader_init(ws_reader_t *r, size_t max);
void ws_reader_clear(ws_reader_t *r);

/* Reads at most one frame from buf[0..len). Returns the bytes consumed
 * (0 when the frame is not complete yet: call again with more) and sets
 * *ev. Masked payloads are unmasked in place, so buf is written. A frame
 * needs at most WS_HEADER_MAX + max bytes of buffer; a header announcing
 * more is refused (1009) before its payload arrives. After WS_EV_ERROR the
 * connection must be closed with ev->code. */
size_t ws_reader_next(ws_reader_t *r, uint8_t *buf, size_t len, ws_event_t *ev);

/* Server frame header (FIN set, unmasked) for a payload of len bytes into
 * out (at least 10 bytes). Returns the header length. */
size_t ws_frame_header(uint8_t *out, uint8_t opcode, size_t len);

/* A whole server frame: header + payload, malloc'd; its length in *out_len. */
uint8_t *ws_frame_encode(uint8_t opcode, const void *payload, size_t len, size_t *out_len);

/* Close frame payload: 2-byte code + reason (cut to fit 125 bytes, at a
 * UTF-8 boundary). Returns its length (at most WS_CONTROL_MAX). */
size_t ws_close_payload(uint8_t out[WS_CONTROL_MAX], uint16_t code, const char *reason);

/* True for a code a peer may send in a close frame. */
bool ws_close_code_valid(uint16_t code);

/* SHA-1 (FIPS 180-4), for the handshake only: never for anything secret. */
void ws_sha1(const void *data, size_t len, uint8_t out[20]);

/* Sec-WebSocket-Key must be base64 of 16 bytes (24 characters). */
bool ws_key_valid(const char *key);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)), 28 characters + NUL. */
void ws_accept_key(const char *key, char out[29]);

#endif
