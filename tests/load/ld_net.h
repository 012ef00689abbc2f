/* ld_net.h - the load generator's network layer: one epoll loop, many
 * non-blocking TCP connections to one gateway, each either an HTTP/1.1
 * keep-alive client (one request in flight) or a WebSocket client.
 *
 * Single-threaded: every callback runs inside ld_loop_poll(). Connections
 * live until the loop is destroyed (a closed one is only marked dead), so a
 * pointer held by a scenario never dangles. Cost: one struct and a 2 KiB
 * input buffer per connection, growing only when a response is larger. */
#ifndef PIGEON_LD_NET_H
#define PIGEON_LD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ld_loop ld_loop_t;
typedef struct ld_conn ld_conn_t;

/* A whole HTTP response; status 0 when the connection failed before it came.
 * body is NUL-terminated and valid only during the call. */
typedef void(ld_http_fn)(ld_conn_t *c, int status, const char *body, size_t len, void *arg);
/* A WebSocket text message (NUL-terminated, valid during the call); text is
 * NULL once when the socket closes or the upgrade fails. */
typedef void(ld_ws_fn)(ld_conn_t *c, const char *text, size_t len, void *arg);

/* Microseconds on the monotonic clock. */
uint64_t ld_now_us(void);

/* host must be a loopback address (127.0.0.0/8); NULL and a message in err
 * otherwise. */
ld_loop_t *ld_loop_new(const char *host, int port, char *err, size_t errlen);
void ld_loop_destroy(ld_loop_t **loop_p);
/* Waits up to timeout_ms for I/O and runs the callbacks. -1 on an epoll error. */
int ld_loop_poll(ld_loop_t *loop, int timeout_ms);
/* Connections currently open (not dead). */
size_t ld_loop_open_conns(const ld_loop_t *loop);

/* Starts a connection; tag is the caller's (a user index). NULL when no
 * socket could be made (out of descriptors). */
ld_conn_t *ld_conn_open(ld_loop_t *loop, int tag);
int ld_conn_tag(const ld_conn_t *c);
bool ld_conn_dead(const ld_conn_t *c);
/* True while an HTTP request waits for its answer. */
bool ld_conn_busy(const ld_conn_t *c);
void ld_conn_close(ld_conn_t *c);

/* Sends one request (token and body may be NULL; a body is sent as JSON).
 * -1 when the connection is dead, busy or a WebSocket. */
int ld_http_request(ld_conn_t *c, const char *method, const char *path, const char *token,
                    const char *body, ld_http_fn *cb, void *arg);

/* Upgrades the connection to a WebSocket on /v1/ws with the token in the
 * Authorization header; every text message then goes to cb. */
int ld_ws_upgrade(ld_conn_t *c, const char *token, ld_ws_fn *cb, void *arg);
/* Sends one masked text frame. -1 when the socket is not open. */
int ld_ws_send(ld_conn_t *c, const char *text, size_t len);
bool ld_ws_open(const ld_conn_t *c);
/* Where a connection is: "connecting", "http", "upgrading" (request sent,
 * no 101 yet), "open" or "closed". */
const char *ld_conn_stage(const ld_conn_t *c);

/* Client frame encoding, exposed for the unit test: writes the frame header
 * for a masked payload of len bytes into out (at least 14 bytes) and returns
 * its length; the payload that follows must be XORed with mask. */
size_t ld_ws_client_header(uint8_t *out, uint8_t opcode, size_t len, const uint8_t mask[4]);

#endif
