/* reply.c - REST answers and API.md's error body. */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "status.h"
#include "utf8.h"

/* Error messages may quote client input (a path): keep them valid text. */
static json_t *s_text(const char *message)
{
    size_t len = strlen(message);
    if (pc_utf8_valid(message, len) && !pc_utf8_has_control(message, len))
        return json_string(message);
    char *copy = strdup(message);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    json_t *v = json_string(copy);
    free(copy);
    return v;
}

char *gw_error_body(int status, const char *message)
{
    json_t *msg = s_text(message ? message : "");
    json_t *root = json_pack("{s:{s:s,s:o?}}", "error", "code", pc_status_code(status),
                             "message", msg);
    char *out = NULL;
    if (root) {
        out = pc_json_dump(root);
        json_decref(root);
    }
    if (!out) /* out of memory: still answer something well-formed */
        out = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
    return out;
}

void gw_reply_clear(gw_reply_t *r)
{
    free(r->body);
    if (r->stream.read && r->stream.release)
        r->stream.release(r->stream.cls);
    memset(r, 0, sizeof *r);
}

void gw_reply_header(gw_reply_t *r, const char *name, const char *fmt, ...)
{
    for (size_t i = 0; i < GW_REPLY_HEADERS; i++) {
        if (r->headers[i].name)
            continue;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->headers[i].value, sizeof r->headers[i].value, fmt, ap);
        va_end(ap);
        r->headers[i].name = name;
        return;
    }
}

void gw_reply_error(gw_reply_t *r, int status, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    gw_reply_clear(r);
    r->status = status;
    r->body = gw_error_body(status, message);
    r->body_len = r->body ? strlen(r->body) : 0;
}

void gw_reply_json(gw_reply_t *r, int status, json_t *v)
{
    char *text = v ? pc_json_dump(v) : NULL;
    json_decref(v);
    gw_reply_text(r, status, text, text ? strlen(text) : 0);
}

void gw_reply_text(gw_reply_t *r, int status, char *text, size_t len)
{
    gw_reply_clear(r);
    if (!text) {
        gw_reply_error(r, PC_INTERNAL, "could not encode the answer");
        return;
    }
    r->status = status;
    r->body = text;
    r->body_len = len;
}

void gw_reply_empty(gw_reply_t *r, int status)
{
    gw_reply_clear(r);
    r->status = status;
}

void gw_reply_from_rpc(gw_reply_t *r, const pc_rpc_reply_t *rpc)
{
    int status = rpc->status;
    /* A status outside the model, or a "success" handed here, is our bug. */
    if (!pc_status_is_known(status) || pc_status_is_success(status))
        status = PC_INTERNAL;
    gw_reply_error(r, status, "%s",
                   rpc->error && rpc->error[0] ? rpc->error : pc_status_code(status));
    if (status == PC_RATE_LIMITED)
        r->retry_after_s = rpc->retry_after_s > 0 ? rpc->retry_after_s : 1;
}
