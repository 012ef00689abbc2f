/* router_sent.c - the answer of a deferred msg.send once its batch is done,
 * on the committer's thread, for direct and group sends alike (see
 * router_handlers.h): the store's failure, the resend answer when the
 * committer found the client id stored, or 201 with the new message; the
 * event goes out before the answer. */
#include <stdio.h>

#include "router_batch.h"
#include "router_handlers.h"

/* The resend answer of router_resend, on the committer's connection. The
 * media is the one this request proved (same media_id), or none once the
 * stored message was recalled. */
static void s_answer_again(const router_sent_t *x, const router_batch_result_t *r)
{
    const router_send_row_t *s = x->row;
    router_msg_row_t row;
    bool found = false, same_request = false;
    int st = router_store_find_client(r->db, s->sender, s->client_msg_id, s->request_id, &row,
                                      &found, &same_request);
    if (st != PC_OK) {
        pc_deferred_error(x->reply, st == PC_DEADLINE_EXCEEDED ? st : PC_UNAVAILABLE,
                          "could not look up the client_msg_id: the database is not available");
        return;
    }
    if (!found) {
        pc_deferred_error(x->reply, x->none_status, "%s", x->none_message);
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
        pc_deferred_error(x->reply, PC_CONFLICT,
                          "client_msg_id was already used for a different message");
    } else {
        char id[ROUTER_MSG_ID_MAX];
        Pigeon__Msg__Message m;
        router_msg_view(&row, &m, id);
        m.media = row.has_media && !row.recalled ? x->media : NULL;
        x->publish(x->arg, r->pub, &m);
        pc_deferred_reply(x->reply, same_request ? PC_CREATED : PC_OK, &m.base);
    }
    router_msg_row_clear(&row);
}

void router_answer_sent(const router_sent_t *x, const router_batch_result_t *r)
{
    const router_send_row_t *s = x->row;
    if (r->status == PC_DEADLINE_EXCEEDED) {
        pc_deferred_error(x->reply, PC_DEADLINE_EXCEEDED, "the message was not stored in time");
    } else if (r->status != PC_OK) {
        pc_deferred_error(x->reply, r->status == PC_UNAVAILABLE ? r->status : PC_INTERNAL,
                          r->status == PC_UNAVAILABLE
                              ? "could not store the message: the database is not available"
                              : "could not store the message");
    } else if (!r->inserted) {
        s_answer_again(x, r);
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
        m.media = x->media;
        x->publish(x->arg, r->pub, &m);
        pc_deferred_reply(x->reply, PC_CREATED, &m.base);
    }
}
