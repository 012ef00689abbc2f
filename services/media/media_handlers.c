/* media_handlers.c - pigeon-media's methods: validate -> store -> reply.
 *
 * Access is not decided here (see proto/media.proto): media.upload acts for
 * the envelope's caller; the reads answer whoever asks, because only the
 * services that asked (the gateway after asking pigeon-router, pigeon-auth
 * for avatars) know who may see what. */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "media.pb-c.h"
#include "media_handlers.h"
#include "media_probe.h"
#include "media_service.h"
#include "media_store.h"
#include "media_thumb.h"

static media_service_t *s_svc(pc_call_t *call)
{
    const pc_service_ctx_t *ctx = pc_call_service(call);
    return ctx->arg;
}

/* API.md's media object over a row (strings borrowed from it). */
static void s_media(const media_row_t *row, Pigeon__Media__Media *m)
{
    pigeon__media__media__init(m);
    m->id = row->id;
    m->kind = (char *)row->kind;
    m->mime = (char *)row->mime;
    m->size = row->size;
    m->sha256 = (char *)row->sha256;
    m->has_width = row->width > 0;
    m->width = row->width;
    m->has_height = row->height > 0;
    m->height = row->height;
    m->has_duration_ms = row->duration_ms >= 0;
    m->duration_ms = row->duration_ms;
    m->created_at_us = row->created_us;
    m->uploader_id = row->uploader_id;
}

/* The row of a requested id: PC_OK, or the status already answered (400/404/5xx). */
static int s_lookup(pc_call_t *call, int64_t id, media_row_t *row)
{
    if (id <= 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "id must be a positive integer");
    bool found = false;
    int st = media_store_get(pc_call_db(call), id, row, &found);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the media");
    if (!found)
        return pc_call_error(call, PC_NOT_FOUND, "no such media");
    return PC_OK;
}

/* Probe, limits, then the blob (once) and the object row, in one write. */
static int s_upload(pc_call_t *call, media_service_t *svc, int64_t me)
{
    Pigeon__Media__UploadRequest *req =
        pc_call_unpack(call, &pigeon__media__upload_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    const uint8_t *data = req->data.data;
    size_t len = req->data.len;
    if (len > MEDIA_IMAGE_MAX_BYTES)
        return pc_call_error(call, PC_PAYLOAD_TOO_LARGE, "media may be at most 10 MiB");
    media_info_t info;
    if (media_probe(data, len, &info) != MEDIA_PROBE_OK)
        return pc_call_error(call, PC_UNSUPPORTED_MEDIA_TYPE,
                             "not an accepted image (JPEG, PNG, GIF, WebP) or voice clip "
                             "(Ogg/Opus, WebM/Opus, MP3, AAC/M4A, AMR, WAV)");
    if (!media_pixels_ok(&info, svc->cfg.max_pixels))
        return pc_call_error(call, PC_UNSUPPORTED_MEDIA_TYPE,
                             "the image has %" PRIu32 " x %" PRIu32
                             " pixels; at most %" PRIu64 " pixels are accepted",
                             info.width, info.height, svc->cfg.max_pixels);
    if (len > media_kind_max_bytes(info.kind))
        return pc_call_error(call, PC_PAYLOAD_TOO_LARGE, "a voice clip may be at most 5 MiB");

    media_row_t row = {.uploader_id = me, .size = (int64_t)len,
                       .width = (int32_t)info.width, .height = (int32_t)info.height,
                       .duration_ms = info.duration_ms};
    snprintf(row.kind, sizeof row.kind, "%s", media_kind_name(info.kind));
    snprintf(row.mime, sizeof row.mime, "%s", info.mime);
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(row.sha256, sizeof row.sha256, digest, sizeof digest);

    pc_db_t *db = pc_call_db(call);
    bool stored = false;
    int64_t stored_size = 0;
    int st = pc_call_begin_write(call);
    if (st == PC_OK) /* the same bytes again: only a new object row */
        st = media_blob_exists(&svc->blobs, db, row.sha256, &stored, &stored_size);
    if (st == PC_OK && !stored)
        st = media_blob_put(&svc->blobs, db, row.sha256, data, len);
    if (st == PC_OK)
        st = media_store_insert(db, &row);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "store the media");
    Pigeon__Media__Media m;
    s_media(&row, &m);
    return pc_call_reply(call, PC_CREATED, &m.base);
}

int media_h_upload(pc_call_t *call)
{
    int64_t me = pc_call_caller(call);
    if (me <= 0)
        return pc_call_error(call, PC_UNAUTHENTICATED, "sign in to upload media");
    media_service_t *svc = s_svc(call);
    /* Counted before the body is unpacked: each upload holds its bytes
     * several times over (envelope, unpacked copy, libpq's buffer). */
    if (atomic_fetch_add(&svc->inflight, 1) >= svc->cfg.max_inflight) {
        atomic_fetch_sub(&svc->inflight, 1);
        return pc_call_error(call, PC_UNAVAILABLE, "too many uploads in progress; retry shortly");
    }
    int st = s_upload(call, svc, me);
    atomic_fetch_sub(&svc->inflight, 1);
    return st;
}

int media_h_get(pc_call_t *call)
{
    Pigeon__Media__GetRequest *req = pc_call_unpack(call, &pigeon__media__get_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    media_row_t row;
    int st = s_lookup(call, req->id, &row);
    if (st != PC_OK)
        return st;
    Pigeon__Media__Media m;
    s_media(&row, &m);
    return pc_call_reply(call, PC_OK, &m.base);
}

int media_h_read(pc_call_t *call)
{
    Pigeon__Media__ReadRequest *req =
        pc_call_unpack(call, &pigeon__media__read_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    int64_t offset = req->has_offset ? req->offset : 0;
    int64_t want = req->has_length && req->length > 0 ? req->length : MEDIA_READ_CHUNK_MAX;
    if (offset < 0 || (req->has_length && req->length < 0))
        return pc_call_error(call, PC_INVALID_ARGUMENT, "offset and length must not be negative");
    media_row_t row;
    int st = s_lookup(call, req->id, &row);
    if (st != PC_OK)
        return st;
    if (offset >= row.size)
        return pc_call_error(call, PC_RANGE_NOT_SATISFIABLE,
                             "offset %" PRId64 " is past the end (%" PRId64 " bytes)", offset,
                             row.size);
    if (want > MEDIA_READ_CHUNK_MAX)
        want = MEDIA_READ_CHUNK_MAX;
    if (want > row.size - offset)
        want = row.size - offset;
    uint8_t *bytes = NULL;
    size_t n = 0;
    st = media_blob_get_range(&s_svc(call)->blobs, pc_call_db(call), row.sha256, offset,
                              (size_t)want, &bytes, &n);
    if (st == PC_NOT_FOUND)
        return pc_call_error(call, PC_INTERNAL, "the bytes of media %" PRId64 " are missing",
                             row.id);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the media");
    Pigeon__Media__ReadReply reply = PIGEON__MEDIA__READ_REPLY__INIT;
    reply.data.data = bytes;
    reply.data.len = n;
    reply.offset = offset;
    reply.size = row.size;
    reply.mime = row.mime;
    reply.sha256 = row.sha256;
    st = pc_call_reply(call, PC_OK, &reply.base);
    free(bytes);
    return st;
}

/* Makes and keeps the thumbnail of an image that has none yet. Two first
 * requests at once may both make one; the first stored wins. */
static int s_make_thumb(pc_call_t *call, const media_row_t *row, media_thumb_row_t *thumb)
{
    uint8_t *bytes = NULL;
    size_t n = 0;
    pc_db_t *db = pc_call_db(call);
    int st = media_blob_get_range(&s_svc(call)->blobs, db, row->sha256, 0, (size_t)row->size,
                                  &bytes, &n);
    if (st != PC_OK)
        return st == PC_NOT_FOUND ? pc_call_error(call, PC_INTERNAL, "the image bytes are missing")
                                  : pc_handler_store_failed(call, st, "read the image");
    st = media_thumb_make(bytes, n, MEDIA_THUMB_MAX_SIDE, thumb);
    free(bytes);
    if (st == PC_UNSUPPORTED_MEDIA_TYPE)
        return pc_call_error(call, st, "the image cannot be decoded");
    if (st != PC_OK)
        return pc_call_error(call, PC_INTERNAL, "could not make the thumbnail");
    st = media_store_put_thumb(db, row->sha256, thumb);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "keep the thumbnail");
    return PC_OK;
}

int media_h_thumbnail(pc_call_t *call)
{
    Pigeon__Media__ThumbnailRequest *req =
        pc_call_unpack(call, &pigeon__media__thumbnail_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    media_row_t row;
    int st = s_lookup(call, req->id, &row);
    if (st != PC_OK)
        return st;
    if (strcmp(row.kind, "image") != 0)
        return pc_call_error(call, PC_NOT_FOUND, "a voice clip has no thumbnail");
    media_thumb_row_t thumb;
    bool found = false;
    st = media_store_get_thumb(pc_call_db(call), row.sha256, &thumb, &found);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the thumbnail");
    if (!found && (st = s_make_thumb(call, &row, &thumb)) != PC_OK)
        return st;
    Pigeon__Media__Thumbnail reply = PIGEON__MEDIA__THUMBNAIL__INIT;
    reply.data.data = thumb.data;
    reply.data.len = thumb.len;
    reply.mime = thumb.mime;
    reply.width = thumb.width;
    reply.height = thumb.height;
    st = pc_call_reply(call, PC_OK, &reply.base);
    media_thumb_row_clear(&thumb);
    return st;
}

int media_h_check(pc_call_t *call)
{
    Pigeon__Media__CheckRequest *req =
        pc_call_unpack(call, &pigeon__media__check_request__descriptor);
    if (req == NULL)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
    size_t n = req->n_ids;
    if (n == 0 || n > MEDIA_CHECK_MAX_IDS)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "ids must hold 1 to %d media ids",
                             MEDIA_CHECK_MAX_IDS);
    media_row_t *rows = NULL;
    size_t count = 0;
    int st = media_store_get_many(pc_call_db(call), req->ids, n, &rows, &count);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the media");
    Pigeon__Media__CheckItem *items = calloc(n, sizeof *items);
    Pigeon__Media__CheckItem **ptrs = calloc(n, sizeof *ptrs);
    Pigeon__Media__Media *media = calloc(n, sizeof *media);
    if (items == NULL || ptrs == NULL || media == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    /* O(n * count), n <= 100. */
    for (size_t i = 0; i < n; i++) {
        pigeon__media__check_item__init(&items[i]);
        items[i].id = req->ids[i];
        for (size_t j = 0; j < count; j++)
            if (rows[j].id == req->ids[i]) {
                s_media(&rows[j], &media[i]);
                items[i].exists = true;
                items[i].media = &media[i];
                break;
            }
        ptrs[i] = &items[i];
    }
    Pigeon__Media__CheckReply reply = PIGEON__MEDIA__CHECK_REPLY__INIT;
    reply.n_items = n;
    reply.items = ptrs;
    st = pc_call_reply(call, PC_OK, &reply.base);
done:
    free(items);
    free(ptrs);
    free(media);
    free(rows);
    return st;
}
