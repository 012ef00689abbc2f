/* router_handlers_group.c - group conversations in the handlers: who may
 * read and post (router_ranges.c decides), the group cache, sending to a
 * group, fan-out to the members.
 *
 * Authority: the router's own periods (msg.group_ranges, written by the
 * outbox consumer in seq order) decide what a user may read and whether a
 * send may take a seq, inside the send's transaction; pigeon-group's roster
 * (cached) answers the rest: 403 or 404 for outsiders, mute, roles, the
 * fan-out list. When the two disagree because a change is not applied yet,
 * the handler pumps the outbox once and asks again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "clock.h"
#include "group_client.h"
#include "log.h"
#include "router_handlers.h"
#include "router_outbox.h"
#include "router_store_group.h"

static void s_emit_call(void *arg, const char *topic, const char *frame, size_t len)
{
    pc_call_publish(arg, topic, frame, len);
}

void router_group_pump(pc_call_t *call)
{
    router_worker_t *w = pc_call_worker(call);
    pc_rpc_opts_t opts = pc_call_child_opts(call);
    int st = router_outbox_pump(pc_call_db(call), w->grp, &opts, router_of(call)->groups,
                                s_emit_call, call);
    if (st != PC_OK)
        pc_log(PC_LOG_WARN, pc_call_trace(call),
               "could not apply group membership changes (status %d)", st);
}

int router_group_info(pc_call_t *call, int64_t group_id, router_ginfo_t **out)
{
    router_t *r = router_of(call);
    uint64_t gen;
    *out = router_groups_get(r->groups, group_id, &gen);
    if (*out != NULL)
        return PC_OK;
    router_worker_t *w = pc_call_worker(call);
    pc_rpc_opts_t opts = pc_call_child_opts(call);
    pc_rpc_reply_t reply = {0};
    Pigeon__Grp__Roster *roster = NULL;
    Pigeon__Grp__Membership *about = NULL;
    int st = group_client_roster(w->grp, &opts, group_id, &roster, &reply);
    if (st == PC_NOT_FOUND) {
        pc_rpc_reply_clear(&reply);
        return PC_OK; /* no such group */
    }
    if (st == PC_OK) {
        pc_rpc_reply_clear(&reply);
        st = group_client_membership(w->grp, &opts, group_id, 0, &about, &reply);
    }
    if (st == PC_OK && (about->group == NULL || !about->group_exists))
        st = PC_NOT_FOUND; /* vanished between the two calls: treat as none */
    if (st != PC_OK) {
        if (roster)
            protobuf_c_message_free_unpacked(&roster->base, NULL);
        if (about)
            protobuf_c_message_free_unpacked(&about->base, NULL);
        if (st != PC_NOT_FOUND)
            st = router_remote_failed(call, st, &reply, "look up the group");
        else
            st = PC_OK;
        pc_rpc_reply_clear(&reply);
        return st;
    }
    pc_rpc_reply_clear(&reply);
    *out = router_groups_put(r->groups, roster, about, gen);
    return *out ? PC_OK : pc_call_error(call, PC_INTERNAL, "out of memory");
}

void router_group_release(pc_call_t *call, router_ginfo_t **info)
{
    router_ginfo_release(router_of(call)->groups, info);
}

static bool s_invite_only(const router_ginfo_t *i)
{
    return strcmp(i->about->group->join_policy, "invite_only") == 0;
}

/* 403 or 404 for a reader without any period in the group. */
static int s_outsider(pc_call_t *call, int64_t group_id)
{
    router_ginfo_t *info = NULL;
    int st = router_group_info(call, group_id, &info);
    if (st != PC_OK)
        return st;
    bool visible =
        info != NULL && router_group_visible(true, info->roster->dismissed, s_invite_only(info));
    router_group_release(call, &info);
    return visible ? pc_call_error(call, PC_FORBIDDEN, "you are not a member of this group")
                   : pc_call_error(call, PC_NOT_FOUND, "no such group");
}

int router_check_group(pc_call_t *call, int64_t group_id, int64_t me, router_ranges_t *rs)
{
    char cid[ROUTER_CID_MAX];
    snprintf(cid, sizeof cid, "g:%lld", (long long)group_id);
    pc_db_t *db = pc_call_db(call);
    int st = router_store_group_ranges(db, cid, me, rs);
    if (st == PC_OK && rs->n == 0) { /* maybe a join not applied yet */
        router_group_pump(call);
        st = router_store_group_ranges(db, cid, me, rs);
    }
    if (st != PC_OK)
        return pc_handler_store_failed(call, st, "read the group membership");
    return rs->n > 0 ? PC_OK : s_outsider(call, group_id);
}

bool router_group_may_read(pc_call_t *call, int64_t user, const char *cid, int64_t seq)
{
    router_ranges_t rs;
    if (router_store_group_ranges(pc_call_db(call), cid, user, &rs) != PC_OK)
        return false;
    return router_ranges_contains(&rs, seq);
}

void router_publish_group(pc_call_t *call, const char *type, const Pigeon__Msg__Message *m,
                          const router_ginfo_t *info, int64_t actor, const char *origin)
{
    size_t len;
    char *frame = router_message_event(pc_call_trace(call), type, m, &len);
    if (frame == NULL)
        return;
    char topic[32];
    /* One encoded frame, one publish per member: O(members). */
    for (size_t i = 0; info != NULL && i < info->roster->n_user_ids; i++) {
        int64_t u = info->roster->user_ids[i];
        if (u == actor)
            continue;
        snprintf(topic, sizeof topic, "u:%lld/", (long long)u);
        pc_call_publish(call, topic, frame, len);
    }
    snprintf(topic, sizeof topic, "u:%lld/", (long long)actor);
    pc_call_publish_except(call, topic, frame, len, origin);
    free(frame);
}

void router_publish_group_pub(pc_pub_sender_t *pub, const char *type, const Pigeon__Msg__Message *m,
                              const router_ginfo_t *info, int64_t actor, const char *origin)
{
    size_t len;
    char *frame = pub != NULL ? router_message_event(NULL, type, m, &len) : NULL;
    if (frame == NULL)
        return;
    /* One frame for every member, shared by reference: O(members) sends,
     * one copy of the bytes. */
    if (info != NULL)
        pc_pub_send_users(pub, info->roster->user_ids, info->roster->n_user_ids, actor, frame, len);
    char topic[32];
    snprintf(topic, sizeof topic, "u:%lld/", (long long)actor);
    pc_pub_send_except(pub, topic, frame, len, origin);
    free(frame);
}

/* PC_OK when me may post now (the roster says a member, not muted, the
 * group not dismissed); otherwise the answer given. *info on PC_OK. */
static int s_may_post(pc_call_t *call, int64_t me, int64_t group_id, router_ginfo_t **info)
{
    int st = router_group_info(call, group_id, info);
    if (st != PC_OK)
        return st;
    const char *role = NULL;
    int64_t muted = 0;
    bool exists = *info != NULL;
    bool member = exists && router_ginfo_member(*info, me, &role, &muted);
    if (exists && !member) { /* maybe a cached roster from before a join: apply it, once */
        router_group_release(call, info);
        router_group_pump(call);
        if ((st = router_group_info(call, group_id, info)) != PC_OK)
            return st;
        exists = *info != NULL;
        member = exists && router_ginfo_member(*info, me, &role, &muted);
    }
    bool was_member = false;
    if (!member) { /* a former member sees 403 even for an invite_only group */
        char cid[ROUTER_CID_MAX];
        router_ranges_t rs;
        snprintf(cid, sizeof cid, "g:%lld", (long long)group_id);
        if (router_store_group_ranges(pc_call_db(call), cid, me, &rs) == PC_OK)
            was_member = rs.n > 0;
    }
    router_gsend_t d = router_group_send_decide(exists, exists && (*info)->roster->dismissed,
                                                exists && s_invite_only(*info), member, was_member,
                                                muted, pc_now_us());
    if (d == ROUTER_GSEND_OK)
        return PC_OK;
    router_group_release(call, info);
    switch (d) {
    case ROUTER_GSEND_NO_GROUP:
        return pc_call_error(call, PC_NOT_FOUND, "no such group");
    case ROUTER_GSEND_DISMISSED:
        return pc_call_error(call, PC_FORBIDDEN, "the group was dismissed (read-only)");
    case ROUTER_GSEND_MUTED:
        return pc_call_error(call, PC_FORBIDDEN, "you are muted in this group");
    default:
        return pc_call_error(call, PC_FORBIDDEN, "you are not a member of this group");
    }
}

/* A group resend's event goes to every member again, like the first one (it
 * may have been lost with the first answer); when the roster cannot be had,
 * to the sender's devices only. */
typedef struct {
    int64_t me;         /* the sender */
    int64_t group_id;   /* the group */
    const char *origin; /* the sending socket, which gets the answer instead */
} s_group_t;

static void s_republish_group(pc_call_t *call, Pigeon__Msg__Message *m, void *arg)
{
    const s_group_t *g = arg;
    router_ginfo_t *info = NULL;
    /* A failed lookup answered an error, which the reply replaces. */
    if (router_group_info(call, g->group_id, &info) == PC_OK && info != NULL)
        router_publish_group(call, "message", m, info, g->me, g->origin);
    else
        router_publish_message(call, "message", m, g->me, 0, g->origin);
    router_group_release(call, &info);
}

static int s_resend(pc_call_t *call, int64_t me, const Pigeon__Msg__SendRequest *req,
                    const char *cid, bool *handled)
{
    s_group_t g = {.me = me, .group_id = req->to_group_id, .origin = req->origin};
    return router_resend(call, me, req, cid, s_republish_group, &g, handled);
}

/* Through the committer; *refused when the sender has no open period. */
static int s_store(pc_call_t *call, const router_send_row_t *send, router_msg_row_t *row,
                   const Pigeon__Msg__SendRequest *req, bool *inserted, bool *answered)
{
    *answered = false;
    int st =
        router_batch_submit(router_of(call)->batch, send, inserted, &row->seq, &row->created_us);
    if (st != PC_OK) {
        *answered = true;
        return pc_handler_store_failed(call, st, "store the message");
    }
    if (*inserted)
        return PC_OK;
    bool handled = false; /* a concurrent send with this client_msg_id won? */
    st = s_resend(call, send->sender, req, send->cid, &handled);
    *answered = handled;
    return st;
}

static void s_publish_group(const router_pending_t *p, pc_pub_sender_t *pub,
                            Pigeon__Msg__Message *m)
{
    router_publish_group_pub(pub, "message", m, p->info, p->row.sender, p->origin);
}

/* After the send's batch, on the committer's thread: publish to every
 * member, answer, free. Not inserted: a concurrent send with this
 * client_msg_id won (answered as a resend), or the send guard found no open
 * period - the membership ended after the worker saw it open: 403. */
static void s_gsent(void *arg, const router_batch_result_t *r)
{
    router_answer_sent(arg, r, s_publish_group, PC_FORBIDDEN, "you are not a member of this group");
}

/* Hands the send to the committer as a deferred call (s_gsent answers);
 * takes over media and info. PC_OK, or the answer given when out of memory. */
static int s_defer(pc_call_t *call, int64_t me, const char *cid,
                   const Pigeon__Msg__SendRequest *req, Pigeon__Media__Media **media,
                   router_ginfo_t **info)
{
    router_pending_t *p = router_pending_new(me, 0, cid, req, pc_call_request_id(call));
    pc_deferred_t *reply = p != NULL ? pc_call_defer(call) : NULL;
    if (reply == NULL) {
        free(p);
        return pc_call_error(call, PC_INTERNAL, "out of memory");
    }
    p->media = *media;
    *media = NULL;
    p->row.has_media = p->media != NULL;
    p->groups = router_of(call)->groups;
    p->info = *info;
    *info = NULL;
    p->reply = reply;
    router_batch_enqueue(router_of(call)->batch, &p->row, pc_deferred_deadline(reply), s_gsent, p);
    return PC_OK;
}

/* Is me's membership period open in the router's own ranges? (false on a
 * failed read: the synchronous path then decides). */
static bool s_open_period(pc_call_t *call, const char *cid, int64_t me)
{
    router_ranges_t rs;
    return router_store_group_ranges(pc_call_db(call), cid, me, &rs) == PC_OK &&
           router_ranges_open(&rs);
}

int router_group_send(pc_call_t *call, int64_t me, const Pigeon__Msg__SendRequest *req)
{
    char cid[ROUTER_CID_MAX];
    snprintf(cid, sizeof cid, "g:%lld", (long long)req->to_group_id);
    /* No resend lookup first: the committer's statement finds a stored
     * (sender, client_msg_id) and s_gsent_again answers it. A send refused
     * here looks first, so a resend still gets its 200 whatever the refusal
     * (the order of README.md). */
    bool handled = false;
    router_ginfo_t *info = NULL;
    Pigeon__Media__Media *media = NULL;
    int st = s_may_post(call, me, req->to_group_id, &info);
    if (st == PC_OK && req->has_media_id)
        st = router_media_require(call, me, req->kind, req->media_id, &media);
    if (st != PC_OK) {
        int again = s_resend(call, me, req, cid, &handled);
        st = handled ? again : st;
        goto done;
    }
    if (s_open_period(call, cid, me)) { /* the usual case: the worker is done with it */
        st = s_defer(call, me, cid, req, &media, &info);
        goto done;
    }
    /* The router has not applied the join yet: keep the worker, whose
     * connection and clients pump the outbox when the send guard refuses. */
    router_send_row_t send = {.sender = me,
                              .cid = cid,
                              .is_group = true,
                              .client_msg_id = req->client_msg_id,
                              .kind = req->kind,
                              .text = req->text,
                              .has_media = media != NULL,
                              .media_id = req->media_id,
                              .request_id = pc_call_request_id(call)};
    router_msg_row_t row = {
        .sender_id = me, .text = req->text, .client_msg_id = req->client_msg_id};
    bool inserted = false, answered = false;
    st = s_store(call, &send, &row, req, &inserted, &answered);
    if (!inserted && !answered) { /* pigeon-group says member; apply the join, once */
        router_group_pump(call);
        st = s_store(call, &send, &row, req, &inserted, &answered);
    }
    if (answered)
        goto done;
    if (!inserted) {
        st = pc_call_error(call, PC_FORBIDDEN, "you are not a member of this group");
        goto done;
    }
    snprintf(row.cid, sizeof row.cid, "%s", cid);
    snprintf(row.kind, sizeof row.kind, "%s", req->kind);
    row.has_media = send.has_media;
    row.media_id = send.media_id;
    char id[ROUTER_MSG_ID_MAX];
    Pigeon__Msg__Message m;
    router_msg_view(&row, &m, id); /* row borrows req's strings: not cleared */
    m.media = media;
    router_publish_group(call, "message", &m, info, me, req->origin);
    st = pc_call_reply(call, PC_CREATED, &m.base);
done:
    if (media != NULL)
        protobuf_c_message_free_unpacked(&media->base, NULL);
    router_group_release(call, &info);
    return st;
}
