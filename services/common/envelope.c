/* envelope.c - packing and checked unpacking of RPC envelopes. */
#include "envelope.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static void *s_context;
static pthread_once_t s_context_once = PTHREAD_ONCE_INIT;

static void s_context_make(void)
{
    s_context = zmq_ctx_new();
}

void *pc_zmq_context(void)
{
    pthread_once(&s_context_once, s_context_make);
    return s_context;
}

bool pc_envelope_valid_id(const char *id)
{
    if (!id || !*id)
        return false;
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        if (n >= PC_REQUEST_ID_MAX || *p <= ' ' || *p > '~')
            return false;
    }
    return true;
}

static bool s_valid_method(const char *m)
{
    if (!m || !*m)
        return false;
    size_t n = 0;
    for (const char *p = m; *p; p++, n++) {
        if (n >= PC_METHOD_MAX || *p <= ' ' || *p > '~')
            return false;
    }
    return true;
}

static uint8_t *s_pack(const ProtobufCMessage *msg, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    *len = 0;
    if (n > PC_ENVELOPE_MAX_BYTES)
        return NULL;
    /* +1: malloc(0) may answer NULL, and an empty message is valid. */
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return NULL;
    *len = protobuf_c_message_pack(msg, buf);
    return buf;
}

uint8_t *pc_envelope_pack_request(const Pigeon__Request *req, size_t *len)
{
    return s_pack(&req->base, len);
}

uint8_t *pc_envelope_pack_reply(const Pigeon__Reply *rep, size_t *len)
{
    return s_pack(&rep->base, len);
}

Pigeon__Request *pc_envelope_unpack_request(const uint8_t *data, size_t len)
{
    if (!data || len == 0 || len > PC_ENVELOPE_MAX_BYTES)
        return NULL;
    Pigeon__Request *req = pigeon__request__unpack(NULL, len, data);
    if (!req)
        return NULL;
    if (!pc_envelope_valid_id(req->request_id) || !s_valid_method(req->method) ||
        (req->has_body && req->body.len > 0 && !req->body.data)) {
        pigeon__request__free_unpacked(req, NULL);
        return NULL;
    }
    return req;
}

Pigeon__Reply *pc_envelope_unpack_reply(const uint8_t *data, size_t len)
{
    if (!data || len == 0 || len > PC_ENVELOPE_MAX_BYTES)
        return NULL;
    Pigeon__Reply *rep = pigeon__reply__unpack(NULL, len, data);
    if (!rep)
        return NULL;
    if (!pc_envelope_valid_id(rep->request_id)) {
        pigeon__reply__free_unpacked(rep, NULL);
        return NULL;
    }
    return rep;
}

void pc_envelope_free_request(Pigeon__Request **req)
{
    if (req && *req) {
        pigeon__request__free_unpacked(*req, NULL);
        *req = NULL;
    }
}

void pc_envelope_free_reply(Pigeon__Reply **rep)
{
    if (rep && *rep) {
        pigeon__reply__free_unpacked(*rep, NULL);
        *rep = NULL;
    }
}

uint8_t *pc_envelope_build_reply(const char *request_id, int status, const char *error,
                                 const uint8_t *body, size_t body_len, unsigned retry_after_s,
                                 size_t *len)
{
    Pigeon__Reply rep = PIGEON__REPLY__INIT;
    rep.request_id = (char *)(request_id ? request_id : "");
    rep.status = (uint32_t)status;
    rep.error_message = (char *)error;
    if (body) {
        rep.has_body = 1;
        rep.body.data = (uint8_t *)body;
        rep.body.len = body_len;
    }
    if (retry_after_s) {
        rep.has_retry_after_s = 1;
        rep.retry_after_s = retry_after_s;
    }
    return pc_envelope_pack_reply(&rep, len);
}
