/* reply.h - what a REST handler answers, and API.md's error body.
 *
 * Every error leaves the gateway as {"error":{"code","message"}} with the
 * status of API.md's model; every JSON answer is compact UTF-8. */
#ifndef PIGEON_GW_REPLY_H
#define PIGEON_GW_REPLY_H

#include <jansson.h>
#include <stddef.h>

#include "rpc_client.h"

typedef struct {
    int status;               /* HTTP status (pc_status_t value) */
    char *body;               /* malloc'd body, NULL for none (204) */
    size_t body_len;          /* bytes in body */
    const char *content_type; /* static string; NULL means JSON */
    unsigned retry_after_s;   /* > 0: send Retry-After (429) */
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

/* Replaces r with a body-less answer (204). */
void gw_reply_empty(gw_reply_t *r, int status);

/* Replaces r with a service's failure, status and message passed through
 * (503 unavailable, 504 deadline_exceeded, 429 with its Retry-After, ...). */
void gw_reply_from_rpc(gw_reply_t *r, const pc_rpc_reply_t *rpc);

/* Frees the body and zeroes r. */
void gw_reply_clear(gw_reply_t *r);

#endif
