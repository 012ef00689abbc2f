/* dispatch.h - from a complete request to a reply, independent of HTTP I/O.
 *
 * Route, parse the path id, authenticate, settle the RPC request id
 * (Idempotency-Key), run the handler. */
#ifndef PIGEON_GW_DISPATCH_H
#define PIGEON_GW_DISPATCH_H

#include <jansson.h>
#include <stdint.h>

#include "backend.h"
#include "reply.h"
#include "request.h"
#include "rpc_client.h"

void gw_dispatch(gw_request_t *req, gw_reply_t *out);

/* The request body as a JSON object (req->body_json when set, else body parsed);
 * NULL with a 400 in out. The caller decrefs. */
json_t *gw_request_json(const gw_request_t *req, gw_reply_t *out);

/* Options for an RPC on behalf of req (request id, caller, trace). */
pc_rpc_opts_t gw_request_rpc_opts(const gw_request_t *req);

/* One RPC to svc on behalf of req. Returns the service's success status with
 * *resp unpacked (when desc is given; the caller frees it), or -1 with out
 * filled (the service's error passed through: 4xx, 503 when no instance is
 * live, 504 past the deadline; 500 for a malformed reply). */
int gw_call(gw_request_t *req, gw_service_t svc, const char *method, const ProtobufCMessage *msg,
            const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp, gw_reply_t *out);

/* What a handler makes of a reply body: a JSON value for the response. */
typedef json_t *(*gw_encode_fn)(const ProtobufCMessage *resp);

/* gw_call, then the service's own success status (201 for a create, 202 for
 * a pending request) with what `encode` makes of the reply unpacked as
 * `desc`; or the call's error. */
void gw_answer(gw_request_t *req, gw_service_t svc, const char *method, const ProtobufCMessage *msg,
               const ProtobufCMessageDescriptor *desc, gw_encode_fn encode, gw_reply_t *out);

/* gw_call of a method whose success has no body: 204, or the call's error. */
void gw_answer_empty(gw_request_t *req, gw_service_t svc, const char *method,
                     const ProtobufCMessage *msg, gw_reply_t *out);

/* A query parameter as text: *value NULL when absent; -1 with a 400 in out
 * when it is not valid UTF-8 or longer than GW_QUERY_MAX bytes (refused,
 * not truncated). */
#define GW_QUERY_MAX 1024
int gw_query_text(gw_request_t *req, const char *name, const char **value, gw_reply_t *out);

/* The "limit" of a search (API.md: an integer from 1 to 50): *limit 0 when
 * absent (the service's default); -1 with a 400 in out otherwise. */
#define GW_SEARCH_LIMIT_MAX 50
int gw_query_limit(gw_request_t *req, uint32_t *limit, gw_reply_t *out);

#endif
