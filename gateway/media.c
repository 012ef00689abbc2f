/* media.c - REST handlers of API.md's "Media" (pigeon-media).
 *
 * Upload: the raw body (http.c collects up to 10 MiB for this route only)
 * goes to media.upload as is; the service judges the bytes, never the
 * Content-Type header.
 *
 * Download: who may read media M is decided here from three answers, asked
 * in order and only as far as needed: media.get (the uploader may), then
 * pigeon-router's msg.media_access (a reader of a message carrying M may),
 * then pigeon-auth's auth.avatar_in_use (anyone signed in may read an
 * avatar). Everyone else gets the same 404 as for an id that does not
 * exist. Bodies up to GW_MEDIA_CHUNK are read in the handler; larger ones
 * are streamed: libmicrohttpd's content-reader callback calls media.read
 * for GW_MEDIA_CHUNK bytes at a time, on the worker thread serving the
 * connection (so it uses that thread's own media client, backend.h), when
 * the socket has room. A download thus holds one chunk in memory, not the
 * file; the price is that the worker's other connections wait while a
 * chunk is fetched (one RPC of ~1 ms on loopback per 256 KiB). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "api_json.h"
#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "media_http.h"
#include "status.h"

#define S_NOT_FOUND "no such media"

static json_t *s_media(const ProtobufCMessage *m)
{
    return pc_api_media((const Pigeon__Media__Media *)m);
}

/* POST /v1/media: 201 media. */
void gw_h_upload_media(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Media__UploadRequest msg = PIGEON__MEDIA__UPLOAD_REQUEST__INIT;
    msg.data.data = (uint8_t *)req->body; /* protobuf-c only reads it */
    msg.data.len = req->body_len;
    gw_answer(req, GW_SVC_MEDIA, "media.upload", &msg.base, &pigeon__media__media__descriptor,
              s_media, out);
}

/* A yes/no answer from svc: 0 with *yes, or -1 with out filled. */
static int s_ask(gw_request_t *req, gw_service_t svc, const char *method, int64_t id, bool *yes,
                 gw_reply_t *out)
{
    ProtobufCMessage *resp = NULL;
    int status;
    if (svc == GW_SVC_ROUTER) {
        Pigeon__Msg__MediaAccessRequest m = PIGEON__MSG__MEDIA_ACCESS_REQUEST__INIT;
        m.media_id = id;
        status = gw_call(req, svc, method, &m.base, &pigeon__msg__media_access_reply__descriptor,
                         &resp, out);
        if (status >= 0)
            *yes = ((Pigeon__Msg__MediaAccessReply *)resp)->allowed;
    } else {
        Pigeon__Auth__AvatarInUseRequest m = PIGEON__AUTH__AVATAR_IN_USE_REQUEST__INIT;
        m.media_id = id;
        status = gw_call(req, svc, method, &m.base, &pigeon__auth__avatar_in_use_reply__descriptor,
                         &resp, out);
        if (status >= 0)
            *yes = ((Pigeon__Auth__AvatarInUseReply *)resp)->in_use;
    }
    if (resp)
        protobuf_c_message_free_unpacked(resp, NULL);
    return status < 0 ? -1 : 0;
}

/* The media of the path if the caller may read it: *media is the caller's
 * to free; -1 with out filled (404 for a stranger, as for no such id). */
static int s_authorize(gw_request_t *req, Pigeon__Media__Media **media, gw_reply_t *out)
{
    Pigeon__Media__GetRequest get = PIGEON__MEDIA__GET_REQUEST__INIT;
    get.id = req->path_id;
    ProtobufCMessage *resp = NULL;
    *media = NULL;
    if (gw_call(req, GW_SVC_MEDIA, "media.get", &get.base, &pigeon__media__media__descriptor, &resp,
                out) < 0)
        return -1;
    Pigeon__Media__Media *m = (Pigeon__Media__Media *)resp;
    bool ok = m->uploader_id == req->caller_id;
    if ((!ok && s_ask(req, GW_SVC_ROUTER, "msg.media_access", m->id, &ok, out) < 0) ||
        (!ok && s_ask(req, GW_SVC_AUTH, "auth.avatar_in_use", m->id, &ok, out) < 0)) {
        protobuf_c_message_free_unpacked(resp, NULL);
        return -1;
    }
    if (!ok) {
        protobuf_c_message_free_unpacked(resp, NULL);
        gw_reply_error(out, PC_NOT_FOUND, S_NOT_FOUND);
        return -1;
    }
    *media = m;
    return 0;
}

/* media.read of [offset, offset + length): the reply (the caller frees), or
 * NULL with out filled when out is given. */
static Pigeon__Media__ReadReply *s_read(gw_request_t *req, int64_t id, uint64_t offset,
                                        uint64_t length, gw_reply_t *out)
{
    Pigeon__Media__ReadRequest r = PIGEON__MEDIA__READ_REQUEST__INIT;
    r.id = id;
    r.has_offset = r.has_length = true;
    r.offset = (int64_t)offset;
    r.length = (int64_t)length;
    ProtobufCMessage *resp = NULL;
    if (gw_call(req, GW_SVC_MEDIA, "media.read", &r.base, &pigeon__media__read_reply__descriptor,
                &resp, out) < 0)
        return NULL;
    return (Pigeon__Media__ReadReply *)resp;
}

/* A download being streamed: the state of s_stream_read, freed by
 * s_stream_release when libmicrohttpd is done with the response. */
typedef struct {
    gw_ctx_t *ctx;                   /* the gateway's shared state */
    int64_t id;                      /* the media */
    int64_t caller_id;               /* who downloads (for the RPC envelope) */
    char trace_id[33];               /* the request's, for logs */
    uint64_t start;                  /* first byte of the body in the file */
    Pigeon__Media__ReadReply *chunk; /* the current chunk, NULL before the first */
} s_stream_t;

static ssize_t s_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    s_stream_t *s = cls;
    uint64_t at = s->start + pos; /* position in the file */
    Pigeon__Media__ReadReply *c = s->chunk;
    if (c == NULL || at < (uint64_t)c->offset || at >= (uint64_t)c->offset + c->data.len) {
        if (c)
            protobuf_c_message_free_unpacked(&c->base, NULL);
        s->chunk = NULL;
        /* Runs on the libmicrohttpd worker that serves this connection:
         * gw_call takes that thread's own media client. */
        gw_request_t req = {.ctx = s->ctx, .caller_id = s->caller_id, .trace_id = s->trace_id};
        gw_reply_t err = {0};
        s->chunk = c = s_read(&req, s->id, at, GW_MEDIA_CHUNK, &err);
        if (c == NULL || c->data.len == 0 || (uint64_t)c->offset != at) {
            pc_log(PC_LOG_WARN, s->trace_id,
                   "could not read media %" PRId64 " at %" PRIu64 ": status %d", s->id, at,
                   err.status);
            gw_reply_clear(&err);
            return MHD_CONTENT_READER_END_WITH_ERROR; /* libmicrohttpd closes the connection */
        }
    }
    size_t skip = (size_t)(at - (uint64_t)c->offset);
    size_t n = c->data.len - skip;
    if (n > max)
        n = max;
    memcpy(buf, c->data.data + skip, n);
    return (ssize_t)n;
}

static void s_stream_release(void *cls)
{
    s_stream_t *s = cls;
    if (s->chunk)
        protobuf_c_message_free_unpacked(&s->chunk->base, NULL);
    free(s);
}

/* The bytes [first, last] of m into out: read at once when small, else
 * streamed. */
static void s_body(gw_request_t *req, const Pigeon__Media__Media *m, uint64_t first, uint64_t last,
                   int status, gw_reply_t *out)
{
    uint64_t len = last - first + 1;
    if (len <= GW_MEDIA_CHUNK) {
        Pigeon__Media__ReadReply *c = s_read(req, m->id, first, len, out);
        if (c == NULL)
            return;
        out->body = malloc(c->data.len ? c->data.len : 1);
        if (out->body == NULL || c->data.len != len) {
            protobuf_c_message_free_unpacked(&c->base, NULL);
            gw_reply_error(out, PC_INTERNAL, "could not read the media");
            return;
        }
        memcpy(out->body, c->data.data, len);
        out->body_len = len;
        protobuf_c_message_free_unpacked(&c->base, NULL);
    } else {
        s_stream_t *s = calloc(1, sizeof *s);
        if (s == NULL) {
            gw_reply_error(out, PC_INTERNAL, "out of memory");
            return;
        }
        s->ctx = req->ctx;
        s->id = m->id;
        s->caller_id = req->caller_id;
        snprintf(s->trace_id, sizeof s->trace_id, "%s", req->trace_id ? req->trace_id : "");
        s->start = first;
        out->stream = (gw_stream_t){
            .size = len, .read = s_stream_read, .release = s_stream_release, .cls = s};
    }
    out->status = status;
    snprintf(out->type_buf, sizeof out->type_buf, "%s", m->mime);
    out->content_type = out->type_buf;
}

/* GET /v1/media/{id}: 200 / 206 bytes, 304 on a matching If-None-Match,
 * 416 for a range outside the file. */
void gw_h_get_media(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Media__Media *m = NULL;
    if (s_authorize(req, &m, out) < 0)
        return;
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s\"", m->sha256);
    uint64_t size = (uint64_t)m->size, first = 0, last = size ? size - 1 : 0;
    gw_reply_clear(out);
    if (gw_etag_matches(gw_header(req, "If-None-Match"), etag)) {
        gw_reply_empty(out, PC_NOT_MODIFIED);
    } else {
        switch (gw_range_parse(gw_header(req, "Range"), size, &first, &last)) {
        case GW_RANGE_UNSATISFIABLE:
            gw_reply_error(out, PC_RANGE_NOT_SATISFIABLE,
                           "the range is outside the file (%" PRIu64 " bytes)", size);
            gw_reply_header(out, "Content-Range", "bytes */%" PRIu64, size);
            break;
        case GW_RANGE_OK:
            s_body(req, m, first, last, PC_PARTIAL_CONTENT, out);
            if (out->status == PC_PARTIAL_CONTENT)
                gw_reply_header(out, "Content-Range", "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
                                first, last, size);
            break;
        case GW_RANGE_NONE:
        default:
            if (size == 0) { /* pigeon-media stores no empty file; be safe anyway */
                gw_reply_empty(out, PC_OK);
                break;
            }
            s_body(req, m, 0, size - 1, PC_OK, out);
            break;
        }
    }
    if (out->status == PC_OK || out->status == PC_PARTIAL_CONTENT ||
        out->status == PC_NOT_MODIFIED) {
        gw_reply_header(out, "ETag", "%s", etag);
        gw_reply_header(out, "Accept-Ranges", "bytes");
        /* Private: who may read it was just decided for this user. */
        gw_reply_header(out, "Cache-Control", "private, max-age=31536000, immutable");
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* GET /v1/media/{id}/thumbnail: a JPEG or PNG at most 320 px (images). */
void gw_h_media_thumbnail(gw_request_t *req, gw_reply_t *out)
{
    Pigeon__Media__Media *m = NULL;
    if (s_authorize(req, &m, out) < 0)
        return;
    Pigeon__Media__ThumbnailRequest t = PIGEON__MEDIA__THUMBNAIL_REQUEST__INIT;
    t.id = m->id;
    ProtobufCMessage *resp = NULL;
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s-thumb\"", m->sha256);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    if (gw_call(req, GW_SVC_MEDIA, "media.thumbnail", &t.base,
                &pigeon__media__thumbnail__descriptor, &resp, out) < 0)
        return;
    Pigeon__Media__Thumbnail *th = (Pigeon__Media__Thumbnail *)resp;
    gw_reply_clear(out);
    out->body = malloc(th->data.len ? th->data.len : 1);
    if (out->body == NULL) {
        gw_reply_error(out, PC_INTERNAL, "out of memory");
    } else {
        memcpy(out->body, th->data.data, th->data.len);
        out->body_len = th->data.len;
        out->status = PC_OK;
        snprintf(out->type_buf, sizeof out->type_buf, "%s", th->mime);
        out->content_type = out->type_buf;
        gw_reply_header(out, "ETag", "%s", etag);
        gw_reply_header(out, "Cache-Control", "private, max-age=31536000, immutable");
    }
    protobuf_c_message_free_unpacked(resp, NULL);
}
