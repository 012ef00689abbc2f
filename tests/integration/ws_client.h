/* ws_client.h - a small blocking WebSocket client for the integration tests.
 *
 * Connects to 127.0.0.1:<port>, does the RFC 6455 opening handshake (the
 * credential in an Authorization header or in the request target's query),
 * sends masked frames (or any raw bytes, for the malformed cases) and reads
 * the gateway's unmasked frames with a deadline. Every wait is bounded: a
 * test never hangs on a gateway that stays silent. */
#ifndef PIGEON_TEST_WS_CLIENT_H
#define PIGEON_TEST_WS_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int fd;               /* the TCP socket; -1 when closed */
    int http_status;      /* status of the handshake's answer (101 when upgraded) */
    char *http_headers;   /* the answer's header block (malloc'd) */
    char *http_body;      /* body of a refused handshake (malloc'd), else NULL */
    uint8_t *in;          /* bytes received and not parsed yet */
    size_t in_len;        /* bytes in in */
    size_t in_cap;        /* allocated bytes of in */
    int close_code;       /* code of the close frame received; 0 none yet, 1005 without a code */
    bool eof;             /* the gateway closed the TCP connection */
} wc_t;

typedef struct {
    uint8_t opcode;       /* 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong */
    bool fin;             /* FIN bit */
    bool masked;          /* MASK bit (a server must never set it) */
    uint8_t *data;        /* payload (malloc'd, NUL-terminated), freed by wc_frame_clear */
    size_t len;           /* payload bytes */
} wc_frame_t;

/* Connects and sends the handshake for `target` ("/v1/ws?ticket=..."), with
 * `Authorization: Bearer <token>` when token is not NULL. Returns the HTTP
 * status of the answer (101 when upgraded, after checking
 * Sec-WebSocket-Accept) or -1 when the connection or the answer failed. The
 * client is usable for frames only after 101; wc_close it in every case. */
int wc_open(wc_t *c, int port, const char *target, const char *token, int timeout_ms);
/* Same with the socket's receive buffer set to rcvbuf bytes before it
 * connects (0: the kernel's default), so that the kernel stops taking the
 * gateway's bytes early for a client that does not read. */
int wc_open_rcvbuf(wc_t *c, int port, const char *target, const char *token, int rcvbuf,
                   int timeout_ms);

/* Sends one frame: FIN + opcode, masked with a random key when mask is set. */
int wc_send_frame(wc_t *c, uint8_t first_byte, const void *payload, size_t len, bool mask);
/* A masked text frame. */
int wc_send_text(wc_t *c, const char *text);
/* Bytes as they are. */
int wc_send_raw(wc_t *c, const void *p, size_t n);

/* The next frame within timeout_ms: 1 with *f filled, 0 on timeout, -1 when
 * the connection ended (c->eof). A close frame sets c->close_code too. */
int wc_recv(wc_t *c, wc_frame_t *f, int timeout_ms);
void wc_frame_clear(wc_frame_t *f);

/* The next text frame parsed as a JSON object, skipping control frames
 * (answering pings); NULL on timeout, close or EOF. */
json_t *wc_recv_json(wc_t *c, int timeout_ms);
/* Text frames until one of `type` arrives (others are dropped); NULL when
 * none came in time. The caller decrefs. */
json_t *wc_expect_type(wc_t *c, const char *type, int timeout_ms);
/* Reads (dropping frames) until a close frame or EOF; returns the close
 * code (1005 for a close frame without one), 0 for EOF without a close
 * frame, -1 on timeout. */
int wc_wait_close(wc_t *c, int timeout_ms);

/* Closes the socket and frees everything; c may be reused by wc_open. */
void wc_close(wc_t *c);

#endif
