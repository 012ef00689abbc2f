/* reply.h - what a REST handler answers, and API.md's error body.
 *
 * Every error leaves the gateway as {"error":{"code","message"}} with the
 * status of API.md's model; every JSON answer is compact UTF-8. */
#ifndef PIGEON_GW_REPLY_H
#define PIGEON_GW_REPLY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rpc_client.h"

/* A response header besides Content-Type and Retry-After (media: ETag,
 * Accept-Ranges, Content-Range). */
typedef struct {
    const char *name; /* static string; NULL: unused */
    char value[96];   /* its value */
} gw_header_t;

#define GW_REPLY_HEADERS 4

/* A body produced while it is sent (media downloads), instead of `body`:
 * libmicrohttpd calls `read` (its content-reader callback) on the worker
 * thread that serves the connection, whenever the socket can take more,
 * and `release` once, when the response is gone. */
typedef struct {
    uint64_t size;                                              /* bytes of the body */
    ssize_t (*read)(void *cls, uint64_t pos, char *buf, size_t max); /* NULL: no stream */
    void (*release)(void *cls);                                 /* frees cls */
    void *cls;                                                  /* the reader's state */
} gw_stream_t;

typedef struct {
    int status;               /* HTTP status (pc_status_t value) */
    char *body;               /* malloc'd body, NULL for none (204) */
    size_t body_len;          /* bytes in body */
    const char *content_type; /* static string or type_buf; NULL means JSON */
    unsigned retry_after_s;   /* > 0: send Retry-After (429) */
    char type_buf[64];        /* a Content-Type known only at run time (stored media) */
    gw_header_t headers[GW_REPLY_HEADERS]; /* extra headers; name NULL ends them */
    gw_stream_t stream;       /* stream.read set: the body comes from it (body is NULL) */
    const char *const *fixed_headers; /* static name, value, ..., NULL (static.c); or NULL */
} gw_reply_t;

#define GW_JSON_TYPE "application/json; charset=utf-8"

/* {"error":{"code":"<pc_status_code(status)>","message":"<message>"}}; bytes of
 * message that are not valid UTF-8 text become '?'. The caller frees. */
char *gw_error_body(int status, const char *message);

/* Replaces r with an error answer. */
void gw_reply_error(gw_reply_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replaces r with `v` serialised; takes the reference to v. */
void gw_reply_json(gw_reply_t *r, int status, json_t *v);

/* Replaces r with JSON text already encoded (malloc'd; taken over); NULL
 * (an encoder out of memory) answers 500. */
void gw_reply_text(gw_reply_t *r, int status, char *text, size_t len);

/* Replaces r with a body-less answer (204). */
void gw_reply_empty(gw_reply_t *r, int status);

/* Replaces r with a service's failure, status and message passed through
 * (503 unavailable, 504 deadline_exceeded, 429 with its Retry-After, ...). */
void gw_reply_from_rpc(gw_reply_t *r, const pc_rpc_reply_t *rpc);

/* Adds a header (name a static string; value copied, cut to fit). */
void gw_reply_header(gw_reply_t *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Frees the body (and the stream's state) and zeroes r. */
void gw_reply_clear(gw_reply_t *r);

#endif
