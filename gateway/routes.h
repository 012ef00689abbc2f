/* routes.h - the REST route table and path matching. Pure, no I/O.
 *
 * A pattern is a path whose segments are literals, "{id}" or another
 * "{name}"; an {id} matches any one non-empty segment and is parsed by the
 * dispatcher (a bad one is 400, not 404, so clients learn the path exists).
 * Any other {name} (a string segment: {cid}, {mid}) matches any one
 * non-empty segment too; its handler reads and URL-decodes it from the path
 * (messages_map.h) and judges it. */
#ifndef PIGEON_GW_ROUTES_H
#define PIGEON_GW_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reply.h"
#include "request.h"

typedef void (*gw_handler_fn)(gw_request_t *req, gw_reply_t *out);

struct gw_route {
    const char *method;    /* "GET", "POST", "PATCH", "DELETE" */
    const char *pattern;   /* "/v1/users/{id}"; also the metrics label */
    gw_handler_fn handler; /* fills the reply */
    bool needs_auth;       /* a valid bearer token is required */
    bool idempotent_post;  /* POST that honours Idempotency-Key (not register/login) */
};

/* The whole table, in match order. */
const gw_route_t *gw_routes(size_t *count);

typedef enum {
    GW_MATCH_OK = 0,      /* *route set; *id_seg set to the first {id}, if any */
    GW_MATCH_NO_PATH,     /* no pattern matches the path */
    GW_MATCH_NO_METHOD,   /* a pattern matches the path, but not with this method */
} gw_match_t;

/* Finds the route for method and path in `table`. *id_seg and *id_len point into
 * path (the {id} segment) or are NULL/0. */
gw_match_t gw_route_match(const gw_route_t *table, size_t count, const char *method,
                          const char *path, const gw_route_t **route, const char **id_seg,
                          size_t *id_len);

/* The second {id} segment of `path` for `pattern` (the {uid} of
 * /v1/groups/{id}/members/{id}); false when the pattern has fewer than two,
 * or the path does not reach it. *seg points into path. */
bool gw_route_second_id(const char *pattern, const char *path, const char **seg, size_t *len);

/* A path id: decimal digits, no sign or leading zero, 1 <= id < 2^53.
 * Returns false for anything else. */
bool gw_parse_id(const char *s, size_t len, int64_t *out);

#endif
