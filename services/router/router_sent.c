/* router_sent.c - the answer of a deferred msg.send once its batch is done,
 * on the committer's thread, for direct and group sends alike (see
 * router_handlers.h): the store's failure, the resend answer when the
 * committer found the client id stored, or 201 with the new message; the
 * event goes out before the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_batch.h"
#include "router_handlers.h"

static char *s_put(char **at, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *out = memcpy(*at, s, n);
    *at += n;
    return out;
}

router_pending_t *router_pending_new(int64_t me, int64_t to, const char *cid,
                                     const Pigeon__Msg__SendRequest *req, const char *request_id)
{
    const char *strs[] = {req->client_msg_id, req->kind, req->text, request_id, req->origin};
    size_t extra = 0;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        extra += strs[i] ? strlen(strs[i]) + 1 : 0;
    router_pending_t *p = calloc(1, sizeof *p + extra);
    if (p == NULL)
        return NULL;
    char *at = (char *)(p + 1);
    snprintf(p->cid, sizeof p->cid, "%s", cid);
    p->row = (router_send_row_t){.sender = me,
                                 .recipient = to,
                                 .cid = p->cid,
                                 .is_group = to == 0,
                                 .client_msg_id = s_put(&at, req->client_msg_id),
                                 .kind = s_put(&at, req->kind),
                                 .text = s_put(&at, req->text),
                                 .has_media = req->has_media_id,
                                 .media_id = req->media_id,
                                 .request_id = s_put(&at, request_id)};
    p->origin = s_put(&at, req->origin);
    return p;
}

void router_pending_free(router_pending_t *p)
{
    if (p == NULL)
        return;
    if (p->media != NULL)
        protobuf_c_message_free_unpacked(&p->media->base, NULL);
    if (p->info != NULL)
        router_ginfo_release(p->groups, &p->info);
    free(p);
}

/* The resend answer of router_resend, on the committer's connection. The
 * media is the one this request proved (same media_id), or none once the
 * stored message was recalled. */
static void s_answer_again(router_pending_t *p, const router_batch_result_t *r,
                           router_sent_publish_fn publish, int none_status,
                           const char *none_message)
{
    const router_send_row_t *s = &p->row;
    router_msg_row_t row;
    bool found = false, same_request = false;
    int st = router_store_find_client(r->db, s->sender, s->client_msg_id, s->request_id, &row,
                                      &found, &same_request);
    if (st != PC_OK) {
        pc_deferred_error(&p->reply, st == PC_DEADLINE_EXCEEDED ? st : PC_UNAVAILABLE,
                          "could not look up the client_msg_id: the database is not available");
        return;
    }
    if (!found) {
        pc_deferred_error(&p->reply, none_status, "%s", none_message);
        return;
    }
    router_send_key_t stored = {.cid = row.cid,
                                .kind = row.kind,
                                .text = row.text,
                                .has_media = row.has_media,
                                .media_id = row.media_id},
                      sent = {.cid = s->cid,
                              .kind = s->kind,
                              .text = s->text,
                              .has_media = s->has_media,
                              .media_id = s->media_id};
    if (!router_resend_same(&stored, row.recalled, &sent)) {
        pc_deferred_error(&p->reply, PC_CONFLICT,
                          "client_msg_id was already used for a different message");
    } else {
        char id[ROUTER_MSG_ID_MAX];
        Pigeon__Msg__Message m;
        router_msg_view(&row, &m, id);
        m.media = row.has_media && !row.recalled ? p->media : NULL;
        publish(p, r->pub, &m);
        pc_deferred_reply(&p->reply, same_request ? PC_CREATED : PC_OK, &m.base);
    }
    router_msg_row_clear(&row);
}

void router_answer_sent(router_pending_t *p, const router_batch_result_t *r,
                        router_sent_publish_fn publish, int none_status, const char *none_message)
{
    const router_send_row_t *s = &p->row;
    if (r->status == PC_DEADLINE_EXCEEDED) {
        pc_deferred_error(&p->reply, PC_DEADLINE_EXCEEDED, "the message was not stored in time");
    } else if (r->status != PC_OK) {
        pc_deferred_error(&p->reply, r->status == PC_UNAVAILABLE ? r->status : PC_INTERNAL,
                          r->status == PC_UNAVAILABLE
                              ? "could not store the message: the database is not available"
                              : "could not store the message");
    } else if (!r->inserted) {
        s_answer_again(p, r, publish, none_status, none_message);
    } else {
        router_msg_row_t row = {.seq = r->seq,
                                .sender_id = s->sender,
                                .text = (char *)s->text,
                                .has_media = s->has_media,
                                .media_id = s->media_id,
                                .client_msg_id = (char *)s->client_msg_id,
                                .created_us = r->created_us};
        snprintf(row.cid, sizeof row.cid, "%s", s->cid);
        snprintf(row.kind, sizeof row.kind, "%s", s->kind);
        char id[ROUTER_MSG_ID_MAX];
        Pigeon__Msg__Message m;
        router_msg_view(&row, &m, id); /* row borrows the send's strings: not cleared */
        m.media = p->media;
        publish(p, r->pub, &m);
        pc_deferred_reply(&p->reply, PC_CREATED, &m.base);
    }
    router_pending_free(p);
}
