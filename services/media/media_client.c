/* media_client.c - typed calls to pigeon-media (see media_client.h). */
#include "media_client.h"

#include <stdlib.h>
#include <string.h>

int media_client_get(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t id,
                     Pigeon__Media__Media **media, pc_rpc_reply_t *reply)
{
    *media = NULL;
    Pigeon__Media__GetRequest req = PIGEON__MEDIA__GET_REQUEST__INIT;
    req.id = id;
    int status = pc_rpc_call(cli, opts, "media.get", &req.base, reply);
    if (!pc_status_is_success(status))
        return status;
    *media = (Pigeon__Media__Media *)pc_rpc_reply_unpack(reply, &pigeon__media__media__descriptor,
                                                         &status);
    return status;
}

int media_client_check(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const int64_t *ids,
                       size_t n, Pigeon__Media__CheckReply **out, pc_rpc_reply_t *reply)
{
    *out = NULL;
    Pigeon__Media__CheckRequest req = PIGEON__MEDIA__CHECK_REQUEST__INIT;
    req.n_ids = n;
    req.ids = (int64_t *)ids; /* protobuf-c's field is not const; it only reads */
    int status = pc_rpc_call(cli, opts, "media.check", &req.base, reply);
    if (!pc_status_is_success(status))
        return status;
    Pigeon__Media__CheckReply *r = (Pigeon__Media__CheckReply *)pc_rpc_reply_unpack(
        reply, &pigeon__media__check_reply__descriptor, &status);
    if (r != NULL && r->n_items != n) { /* one item per id, or the reply is broken */
        pigeon__media__check_reply__free_unpacked(r, NULL);
        r = NULL;
        status = PC_INTERNAL;
    }
    *out = r;
    return status;
}

/* Replaces reply's error message (the reply is ours to answer with). */
static int s_refuse(pc_rpc_reply_t *reply, int status, const char *message)
{
    free(reply->error);
    reply->error = strdup(message);
    reply->status = status;
    return status;
}

int media_client_require(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t id,
                         int64_t owner, const char *kind, Pigeon__Media__Media **media,
                         pc_rpc_reply_t *reply)
{
    *media = NULL;
    Pigeon__Media__CheckReply *r = NULL;
    int status = media_client_check(cli, opts, &id, 1, &r, reply);
    if (status != PC_OK)
        return status;
    Pigeon__Media__CheckItem *item = r->items[0];
    if (!item->exists || item->media == NULL || item->media->uploader_id != owner)
        status = s_refuse(reply, PC_NOT_FOUND, "no such media");
    else if (strcmp(item->media->kind, kind) != 0)
        status = s_refuse(reply, PC_INVALID_ARGUMENT,
                          strcmp(kind, "image") == 0 ? "the media is not an image"
                                                     : "the media is not a voice clip");
    if (status == PC_OK) {
        *media = item->media;
        item->media = NULL; /* moved to the caller */
    }
    pigeon__media__check_reply__free_unpacked(r, NULL);
    return status;
}
