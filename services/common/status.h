/* status.h - API.md's error model, shared by every process.
 *
 * The numbers are the HTTP statuses the gateway answers with, so a reply's
 * status travels unchanged from a service to the client. */
#ifndef PIGEON_STATUS_H
#define PIGEON_STATUS_H

#include <stdbool.h>

typedef enum {
    PC_OK = 200,
    PC_CREATED = 201,
    PC_ACCEPTED = 202,
    PC_NO_CONTENT = 204,
    PC_PARTIAL_CONTENT = 206,
    PC_NOT_MODIFIED = 304,
    PC_INVALID_ARGUMENT = 400,
    PC_UNAUTHENTICATED = 401,
    PC_FORBIDDEN = 403,
    PC_NOT_FOUND = 404,
    PC_CONFLICT = 409,
    PC_PAYLOAD_TOO_LARGE = 413,
    PC_UNSUPPORTED_MEDIA_TYPE = 415,
    PC_RANGE_NOT_SATISFIABLE = 416,
    PC_RATE_LIMITED = 429,
    PC_INTERNAL = 500,
    PC_UNAVAILABLE = 503,
    PC_DEADLINE_EXCEEDED = 504,
} pc_status_t;

/* "invalid_argument", "not_found", ...; "ok" for successes; "internal" for
 * numbers outside the model. Never NULL. */
const char *pc_status_code(int status);

/* True for 2xx and 304. */
bool pc_status_is_success(int status);

/* True for what an idempotent write records and replays: successes and 4xx
 * except 429 (API.md: 5xx and 429 are never replayed). */
bool pc_status_is_replayable(int status);

/* True when `status` is one of the values above. */
bool pc_status_is_known(int status);

#endif
