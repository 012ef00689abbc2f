/* authn.c - bearer tokens: parse, cache, verify. */
#include "authn.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "auth_client.h"
#include "backend.h"
#include "clock.h"
#include "status.h"
#include "token_cache.h"

bool gw_bearer_parse(const char *header, const char **token, size_t *len)
{
    if (!header || strncasecmp(header, "Bearer", 6) != 0 || (header[6] != ' ' && header[6] != '\t'))
        return false;
    const char *t = header + 6;
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = 0;
    while (t[n] > 0x20 && t[n] < 0x7f) /* visible ASCII: b64token and then some */
        n++;
    const char *rest = t + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (n == 0 || n > GW_TOKEN_MAX || *rest != '\0')
        return false;
    *token = t;
    *len = n;
    return true;
}

int gw_authenticate(gw_request_t *req, char *tokbuf, gw_reply_t *out)
{
    const char *tok;
    size_t len;
    if (!gw_bearer_parse(gw_header(req, "Authorization"), &tok, &len)) {
        gw_reply_error(out, PC_UNAUTHENTICATED, "missing or malformed bearer token");
        return -1;
    }
    return gw_authenticate_token(req, tok, len, tokbuf, out);
}

int gw_authenticate_token(gw_request_t *req, const char *tok, size_t len, char *tokbuf,
                          gw_reply_t *out)
{
    if (len == 0 || len > GW_TOKEN_MAX) {
        gw_reply_error(out, PC_UNAUTHENTICATED, "invalid or expired token");
        return -1;
    }
    memcpy(tokbuf, tok, len);
    tokbuf[len] = '\0';
    req->token = tokbuf;
    crypto_hash_sha256(req->token_hash, (const unsigned char *)tokbuf, len);

    gw_token_cache_t *cache = req->ctx->tokens;
    int64_t user_id = 0;
    if (gw_token_cache_get(cache, req->token_hash, pc_mono_ms(), pc_now_us(), &user_id)) {
        req->caller_id = user_id;
        return 0;
    }

    uint64_t epoch = gw_token_cache_epoch(cache);
    pc_rpc_client_t *cli = gw_backend_client(req->ctx->backend, GW_SVC_AUTH);
    if (!cli) {
        gw_reply_error(out, PC_INTERNAL, "out of memory");
        return -1;
    }
    pc_rpc_opts_t opts = {.trace_id = req->trace_id};
    pc_rpc_reply_t rpc = {0};
    int64_t expires_us = 0;
    uint8_t hash[32];
    int status = auth_client_verify(cli, &opts, tokbuf, &user_id, &expires_us, hash, &rpc);
    int rc = -1;
    if (pc_status_is_success(status) && user_id > 0) {
        gw_token_cache_put(cache, req->token_hash, user_id, expires_us, epoch, pc_mono_ms(),
                           pc_now_us());
        req->caller_id = user_id;
        rc = 0;
    } else if (status >= 500 || status == PC_RATE_LIMITED) {
        gw_reply_from_rpc(out, &rpc); /* auth down or slow: 503/504, not the client's fault */
    } else {
        /* Any other refusal (unknown, expired, revoked, malformed) is a 401. */
        gw_reply_error(out, PC_UNAUTHENTICATED, "invalid or expired token");
    }
    pc_rpc_reply_clear(&rpc);
    return rc;
}
