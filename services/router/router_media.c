/* router_media.c - image and voice messages: the media they name, the media
 * object they carry, and msg.media_access.
 *
 * pigeon-media knows who uploaded what; pigeon-router knows which messages
 * carry which media (msg.media_refs) and who may read them. So "may user X
 * download media M?" is asked here by the gateway (DESIGN.md call graph),
 * and pigeon-media is asked only "does M exist, whose, what kind?". */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "media_client.h"
#include "router_handlers.h"

/* media.check takes at most this many ids per call. */
#define S_CHECK_MAX 100
/* msg.media_access looks at this many messages carrying one media id in the
 * caller's conversations; one readable message is enough. */
#define S_REFS_MAX 64

int router_media_require(pc_call_t *call, int64_t me, const char *kind, int64_t media_id,
                         Pigeon__Media__Media **media)
{
    router_worker_t *w = pc_call_worker(call);
    pc_rpc_opts_t opts = pc_call_child_opts(call);
    pc_rpc_reply_t reply = {0};
    int st = media_client_require(w->media, &opts, media_id, me, kind, media, &reply);
    if (st == PC_NOT_FOUND)
        st = pc_call_error(call, PC_NOT_FOUND, "no such media (media_id must be one you uploaded)");
    else if (st == PC_INVALID_ARGUMENT)
        st = pc_call_error(call, PC_INVALID_ARGUMENT, "media_id is not %s %s",
                           strcmp(kind, "image") == 0 ? "an" : "a", kind);
    else if (st != PC_OK)
        st = router_remote_failed(call, st, &reply, "check the media");
    pc_rpc_reply_clear(&reply);
    return st;
}

int router_media_attach(pc_call_t *call, Pigeon__Msg__Message *const *msgs, size_t n,
                        router_media_hold_t *hold)
{
    memset(hold, 0, sizeof *hold);
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        if (msgs[i] != NULL && msgs[i]->has_media_id && !msgs[i]->recalled)
            want++;
    if (want == 0)
        return PC_OK;
    size_t calls = (want + S_CHECK_MAX - 1) / S_CHECK_MAX;
    hold->replies = calloc(calls, sizeof *hold->replies);
    int64_t *ids = calloc(want < S_CHECK_MAX ? want : S_CHECK_MAX, sizeof *ids);
    size_t *where = calloc(want < S_CHECK_MAX ? want : S_CHECK_MAX, sizeof *where);
    int st = PC_OK;
    if (hold->replies == NULL || ids == NULL || where == NULL) {
        st = pc_call_error(call, PC_INTERNAL, "out of memory");
        goto done;
    }
    router_worker_t *w = pc_call_worker(call);
    size_t i = 0;
    while (i < n) {
        size_t k = 0;
        for (; i < n && k < S_CHECK_MAX; i++)
            if (msgs[i] != NULL && msgs[i]->has_media_id && !msgs[i]->recalled) {
                ids[k] = msgs[i]->media_id;
                where[k++] = i;
            }
        if (k == 0)
            break;
        pc_rpc_opts_t opts = pc_call_child_opts(call);
        pc_rpc_reply_t reply = {0};
        Pigeon__Media__CheckReply *cr = NULL;
        st = media_client_check(w->media, &opts, ids, k, &cr, &reply);
        if (st != PC_OK) {
            st = router_remote_failed(call, st, &reply, "look up the media of the messages");
            pc_rpc_reply_clear(&reply);
            goto done;
        }
        pc_rpc_reply_clear(&reply);
        hold->replies[hold->n++] = cr;
        for (size_t j = 0; j < k; j++) /* one item per id, in order (media_client.h) */
            if (cr->items[j]->exists)
                msgs[where[j]]->media = cr->items[j]->media;
    }
done:
    free(where);
    free(ids);
    if (st != PC_OK)
        router_media_release(hold);
    return st;
}

void router_media_release(router_media_hold_t *hold)
{
    for (size_t i = 0; hold->replies != NULL && i < hold->n; i++)
        pigeon__media__check_reply__free_unpacked(hold->replies[i], NULL);
    free(hold->replies);
    memset(hold, 0, sizeof *hold);
}

/* The one place that says whether `user` may read message (cid, seq).
 * Direct conversations: one of the two users. Groups: the seq lies inside
 * one of the user's membership periods (router_group_may_read). */
bool router_may_read_message(pc_call_t *call, int64_t user, const char *cid, int64_t seq)
{
    router_cid_t c;
    if (!router_cid_parse(cid, &c))
        return false;
    if (c.kind == ROUTER_DIRECT)
        return router_cid_has_user(&c, user);
    return router_group_may_read(call, user, cid, seq);
}

int router_h_media_access(pc_call_t *call)
{
    int64_t me;
    int st;
    Pigeon__Msg__MediaAccessRequest *req =
        pc_handler_request(call, &pigeon__msg__media_access_request__descriptor, &me, &st);
    if (req == NULL)
        return st;
    if (req->media_id <= 0)
        return pc_call_error(call, PC_INVALID_ARGUMENT, "media_id must be a positive integer");
    router_media_ref_t refs[S_REFS_MAX];
    size_t n = 0;
    st = router_store_media_refs(pc_call_db(call), req->media_id, me, refs, S_REFS_MAX, &n);
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "look up the messages carrying the media");
    Pigeon__Msg__MediaAccessReply out = PIGEON__MSG__MEDIA_ACCESS_REPLY__INIT;
    for (size_t i = 0; i < n && !out.allowed; i++)
        out.allowed = router_may_read_message(call, me, refs[i].cid, refs[i].seq);
    return pc_call_reply(call, PC_OK, &out.base);
}
