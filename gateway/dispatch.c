/* dispatch.c - routing, authentication and request ids for every REST call. */
#include "dispatch.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "authn.h"
#include "idem.h"
#include "json.h"
#include "random.h"
#include "routes.h"
#include "static.h"
#include "status.h"
#include "utf8.h"

/* Copies at most 200 bytes of a client path, as printable ASCII, for messages. */
static void s_safe_path(const char *path, char *out, size_t size)
{
    size_t i = 0;
    for (; path && path[i] && i + 1 < size && i < 200; i++) {
        unsigned char c = (unsigned char)path[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[i] = '\0';
}

/* Request id of the RPCs this request makes. */
static int s_request_id(gw_request_t *req, gw_reply_t *out)
{
    const char *key = NULL;
    if (req->route->idempotent_post && req->caller_id > 0)
        key = gw_header(req, "Idempotency-Key");
    if (!key) {
        pc_random_hex(req->request_id, 16);
        return 0;
    }
    if (!gw_idem_key_valid(key)) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "Idempotency-Key must be 1 to %d printable ASCII characters",
                       GW_IDEM_KEY_MAX);
        return -1;
    }
    gw_idem_request_id(req->caller_id, req->method, req->path, key, req->request_id);
    return 0;
}

void gw_dispatch(gw_request_t *req, gw_reply_t *out)
{
    size_t count;
    const gw_route_t *table = gw_routes(&count);
    const char *id_seg;
    size_t id_len;
    char tokbuf[GW_TOKEN_MAX + 1];
    char safe[256];

    switch (gw_route_match(table, count, req->method, req->path, &req->route, &id_seg, &id_len)) {
    case GW_MATCH_OK:
        break;
    case GW_MATCH_NO_METHOD:
        /* HTTP would say 405, but API.md's error model has no such code and
         * clients handle exactly the statuses it lists: a method a path does
         * not serve is, to them, a route that does not exist. */
    case GW_MATCH_NO_PATH:
    default:
        /* Not an API route: maybe a file of the web client (GET/HEAD). */
        if (req->ctx && gw_static_serve(req->ctx->web, req->method, req->path,
                                        gw_header(req, "If-None-Match"), out))
            return;
        s_safe_path(req->path, safe, sizeof safe);
        gw_reply_error(out, PC_NOT_FOUND, "no route for %s %s", req->method, safe);
        return;
    }
    if (id_seg && !gw_parse_id(id_seg, id_len, &req->path_id)) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "id in the path must be a positive integer below 2^53");
        return;
    }
    if (gw_route_second_id(req->route->pattern, req->path, &id_seg, &id_len) &&
        !gw_parse_id(id_seg, id_len, &req->path_id2)) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "id in the path must be a positive integer below 2^53");
        return;
    }
    if (req->route->needs_auth && gw_authenticate(req, tokbuf, out) < 0)
        return;
    if (s_request_id(req, out) < 0)
        return;
    req->route->handler(req, out);
    /* tokbuf dies here: the handler was the last user of req->token. */
    req->token = NULL;
}

json_t *gw_request_json(const gw_request_t *req, gw_reply_t *out)
{
    char err[256] = "";
    if (req->body_json) /* a WebSocket frame, parsed (and size-checked) by its loop */
        return json_incref(req->body_json);
    if (req->body_len > PC_JSON_MAX_BODY) { /* http.c refuses these earlier */
        gw_reply_error(out, PC_PAYLOAD_TOO_LARGE, "request body is larger than %d bytes",
                       PC_JSON_MAX_BODY);
        return NULL;
    }
    json_t *obj = pc_json_parse_object(req->body ? req->body : "", req->body_len, err, sizeof err);
    if (!obj)
        gw_reply_error(out, PC_INVALID_ARGUMENT, "%s", err[0] ? err : "invalid JSON body");
    return obj;
}

pc_rpc_opts_t gw_request_rpc_opts(const gw_request_t *req)
{
    pc_rpc_opts_t o = {
        .request_id = req->request_id[0] ? req->request_id : NULL,
        .caller_id = req->caller_id,
        .trace_id = req->trace_id,
        .deadline_ms = 0,
    };
    return o;
}

int gw_call(gw_request_t *req, gw_service_t svc, const char *method, const ProtobufCMessage *msg,
            const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp, gw_reply_t *out)
{
    pc_rpc_client_t *cli = gw_backend_client(req->ctx->backend, svc);
    if (!cli) {
        gw_reply_error(out, PC_INTERNAL, "out of memory");
        return -1;
    }
    pc_rpc_opts_t opts = gw_request_rpc_opts(req);
    pc_rpc_reply_t rpc = {0};
    int status = pc_rpc_call(cli, &opts, method, msg, &rpc);
    int rc = -1;
    if (!pc_status_is_success(status)) {
        gw_reply_from_rpc(out, &rpc);
        goto done;
    }
    if (desc) {
        int st = PC_INTERNAL;
        *resp = pc_rpc_reply_unpack(&rpc, desc, &st);
        if (!*resp) {
            gw_reply_error(out, PC_INTERNAL, "malformed reply from pigeon-%s",
                           gw_service_name(svc));
            goto done;
        }
    }
    rc = status;
done:
    pc_rpc_reply_clear(&rpc);
    return rc;
}

void gw_answer(gw_request_t *req, gw_service_t svc, const char *method, const ProtobufCMessage *msg,
               const ProtobufCMessageDescriptor *desc, gw_encode_fn encode, gw_reply_t *out)
{
    ProtobufCMessage *resp = NULL;
    int status = gw_call(req, svc, method, msg, desc, &resp, out);
    if (status < 0)
        return;
    gw_reply_json(out, status, encode(resp));
    protobuf_c_message_free_unpacked(resp, NULL);
}

void gw_answer_empty(gw_request_t *req, gw_service_t svc, const char *method,
                     const ProtobufCMessage *msg, gw_reply_t *out)
{
    if (gw_call(req, svc, method, msg, NULL, NULL, out) >= 0)
        gw_reply_empty(out, PC_NO_CONTENT);
}

int gw_query_text(gw_request_t *req, const char *name, const char **value, gw_reply_t *out)
{
    *value = gw_query(req, name);
    if (!*value)
        return 0;
    size_t len = strlen(*value);
    if (len > GW_QUERY_MAX || !pc_utf8_valid(*value, len)) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "query parameter \"%s\" must be valid UTF-8 of at most %d bytes", name,
                       GW_QUERY_MAX);
        return -1;
    }
    return 0;
}

int gw_query_limit(gw_request_t *req, uint32_t *limit, gw_reply_t *out)
{
    const char *v = gw_query(req, "limit");
    *limit = 0;
    if (!v)
        return 0;
    size_t len = strlen(v);
    unsigned n = 0;
    bool ok = len >= 1 && len <= 2;
    for (size_t i = 0; ok && i < len; i++) {
        ok = v[i] >= '0' && v[i] <= '9';
        n = n * 10 + (unsigned)(v[i] - '0');
    }
    if (!ok || n < 1 || n > GW_SEARCH_LIMIT_MAX) {
        gw_reply_error(out, PC_INVALID_ARGUMENT,
                       "query parameter \"limit\" must be an integer from 1 to %d",
                       GW_SEARCH_LIMIT_MAX);
        return -1;
    }
    *limit = n;
    return 0;
}
