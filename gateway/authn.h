/* authn.h - who is calling: bearer tokens, checked through pigeon-auth. */
#ifndef PIGEON_GW_AUTHN_H
#define PIGEON_GW_AUTHN_H

#include <stdbool.h>
#include <stddef.h>

#include "reply.h"
#include "request.h"

#define GW_TOKEN_MAX 512 /* longer than any token pigeon-auth issues */

/* "Bearer <token>" (scheme case-insensitive, RFC 6750): *token and *len point
 * into header. False for a missing, empty, over-long or malformed value. */
bool gw_bearer_parse(const char *header, const char **token, size_t *len);

/* Sets req->caller_id, req->token and req->token_hash from the
 * Authorization header: from the cache, else pigeon-auth's auth.verify.
 * Returns 0, or -1 with out filled (401, or 503/504 when auth is down).
 * tokbuf (GW_TOKEN_MAX + 1 bytes) holds the token req->token points to. */
int gw_authenticate(gw_request_t *req, char *tokbuf, gw_reply_t *out);

/* The same for a token given another way (WebSocket ?token=): tok[0..len). */
int gw_authenticate_token(gw_request_t *req, const char *tok, size_t len, char *tokbuf,
                          gw_reply_t *out);

#endif
