/* router_handlers.h - the RPC methods of pigeon-router and what they share.
 *
 * Every handler: validate -> authorize (envelope caller) -> store -> publish
 * -> reply. The handlers hold no SQL (router_store.c) and no rule
 * (router_rules.c). */
#ifndef PIGEON_ROUTER_HANDLERS_H
#define PIGEON_ROUTER_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "handler.h"
#include "pubsub.h"
#include "router.pb-c.h"
#include "router_batch.h"
#include "router_groups.h"
#include "router_ranges.h"
#include "router_rules.h"
#include "router_service.h"
#include "router_store.h"
#include "rpc_server.h"

/* router_handlers.c: sending */
int router_h_send(pc_call_t *call);
/* msg.send on the RPC broker's thread (pc_method_t.fast): a direct text
 * send whose permission is cached as allowed, while the committer has room;
 * declines everything else to router_h_send. */
int router_h_send_fast(pc_call_t *call);

/* router_handlers_read.c: reading and changing what is stored */
int router_h_conversations(pc_call_t *call);
int router_h_history(pc_call_t *call);
int router_h_read(pc_call_t *call);
int router_h_recall(pc_call_t *call);

/* router_media.c: image and voice messages, media access */
int router_h_media_access(pc_call_t *call);

/* Media objects fetched for a reply; they must outlive it. */
typedef struct {
    Pigeon__Media__CheckReply **replies; /* media.check answers (owned) */
    size_t n;                            /* entries in replies */
} router_media_hold_t;

/* A send's media_id: PC_OK with *media (the caller's,
 * protobuf_c_message_free_unpacked) when it exists, is me's and of `kind`;
 * otherwise the answer given: 404 missing or someone else's, 400 the other
 * kind, 503/504 pigeon-media unreachable or slow. */
int router_media_require(pc_call_t *call, int64_t me, const char *kind, int64_t media_id,
                         Pigeon__Media__Media **media);
/* Fills msgs[i]->media for every message with a media_id that is not
 * recalled, in batches of 100 (media.check); the objects live in *hold until
 * router_media_release. PC_OK, or the answer given (503/504/500). */
int router_media_attach(pc_call_t *call, Pigeon__Msg__Message *const *msgs, size_t n,
                        router_media_hold_t *hold);
void router_media_release(router_media_hold_t *hold);
/* May `user` read message (cid, seq)? Direct: one of its two users; groups:
 * seq inside one of the user's membership periods. */
bool router_may_read_message(pc_call_t *call, int64_t user, const char *cid, int64_t seq);

/* --- groups (router_handlers_group.c) --- */

/* msg.send to a group, after s_validate: resend, may post, store, fan-out. */
/* How a resend's event goes out again (direct: both users; group: members). */
typedef void (*router_republish_fn)(pc_call_t *call, Pigeon__Msg__Message *m, void *arg);

/* The stored message of (me, client_msg_id), for direct and group sends:
 * 200 with it and its event again (republish) when the request says the
 * same, 409 when not; a retry of the very call that stored it (same request
 * id, from an Idempotency-Key) gets the first answer, 201, as API.md
 * promises. *handled false when nothing is stored yet. */
int router_resend(pc_call_t *call, int64_t me, const Pigeon__Msg__SendRequest *req, const char *cid,
                  router_republish_fn republish, void *arg, bool *handled);

int router_group_send(pc_call_t *call, int64_t me, const Pigeon__Msg__SendRequest *req);

/* --- a send handed to the committer, and its answer (router_sent.c) --- */

/* A send waiting for its batch: what the committer's thread needs to
 * publish and answer it (the request is freed when the handler returns).
 * One allocation: the strings follow the struct. */
typedef struct {
    router_send_row_t row;       /* what the committer stores; points into the copies */
    char cid[ROUTER_CID_MAX];    /* conversation id */
    const char *origin;          /* the sending socket's tag, or NULL */
    Pigeon__Media__Media *media; /* the media object of an image/voice message (owned) */
    router_groups_t *groups;     /* group sends: the cache info belongs to */
    router_ginfo_t *info;        /* group sends: the roster of the fan-out (one reference) */
    pc_deferred_t *reply;        /* the deferred call */
} router_pending_t;

/* A copy of the send of req from me in conversation cid (to: the
 * recipient, 0 for a group); NULL when out of memory. */
router_pending_t *router_pending_new(int64_t me, int64_t to, const char *cid,
                                     const Pigeon__Msg__SendRequest *req, const char *request_id);
/* Frees p with its media and its roster reference. */
void router_pending_free(router_pending_t *p);

/* Publishes m (the new message, or the stored one of a resend) on the
 * committer's sender: direct, to both users; group, to the members. */
typedef void (*router_sent_publish_fn)(const router_pending_t *p, pc_pub_sender_t *pub,
                                       Pigeon__Msg__Message *m);

/* On the committer's thread, after p's batch: answers the store's failure
 * (504 not tried in time, 503, 500), the resend answer when the committer
 * found the client id stored (200 / 201 for the same request id / 409, as
 * router_resend; none_status with none_message when no stored message
 * holds it), or 201 with the new message, its event published first. Then
 * frees p. */
void router_answer_sent(router_pending_t *p, const router_batch_result_t *r,
                        router_sent_publish_fn publish, int none_status, const char *none_message);
/* Read access to g:<group_id>: PC_OK with the caller's periods in *rs (at
 * least one), or the answer given: 403 a visible group, 404 otherwise. */
int router_check_group(pc_call_t *call, int64_t group_id, int64_t me, router_ranges_t *rs);
/* May user see message seq of the group conversation cid? */
bool router_group_may_read(pc_call_t *call, int64_t user, const char *cid, int64_t seq);
/* The cached group (a reference to release), NULL when there is no such
 * group; PC_OK, or the answer given (503/504/500). */
int router_group_info(pc_call_t *call, int64_t group_id, router_ginfo_t **out);
void router_group_release(pc_call_t *call, router_ginfo_t **info);
/* Applies pending membership changes now (failures are logged only). */
void router_group_pump(pc_call_t *call);
/* {"type": type, "message": m} to every member of info (NULL: none) and to
 * u:<actor>/ except origin; encoded once. */
void router_publish_group(pc_call_t *call, const char *type, const Pigeon__Msg__Message *m,
                          const router_ginfo_t *info, int64_t actor, const char *origin);
/* The same from a thread of the router's own (the committer), through its
 * publisher sender; pub NULL drops the events. */
void router_publish_group_pub(pc_pub_sender_t *pub, const char *type, const Pigeon__Msg__Message *m,
                              const router_ginfo_t *info, int64_t actor, const char *origin);

/* --- shared helpers (router_events.c) --- */

/* The process state. */
router_t *router_of(pc_call_t *call);
/* Answers a failed nested call: 503/504 pass through, anything else is 500. */
int router_remote_failed(pc_call_t *call, int status, const pc_rpc_reply_t *reply,
                         const char *what);

/* A conversation id from a request: PC_OK with *c filled, or the answer
 * given: 400 malformed, 404 a direct conversation `me` is not part of; for a
 * group, router_check_group's answer (403 / 404 for non-members). */
int router_check_cid(pc_call_t *call, const char *cid, int64_t me, router_cid_t *c);

/* API.md's message from a stored row; pointers borrow from row and from
 * idbuf (ROUTER_MSG_ID_MAX bytes), which must outlive m. */
void router_msg_view(const router_msg_row_t *row, Pigeon__Msg__Message *m, char *idbuf);

/* --- events, queued for after the commit (sent at once outside one) --- */

/* {"type": type, "message": m} encoded once, its length in *len; NULL
 * (logged under trace, which may be NULL) when it cannot be. Freed by the
 * caller. */
char *router_message_event(const char *trace, const char *type, const Pigeon__Msg__Message *m,
                           size_t *len);
/* {"type": type, "message": m} to u:<other>/ and to u:<actor>/ except the
 * socket tagged origin (may be NULL); encoded once. */
void router_publish_message(pc_call_t *call, const char *type, const Pigeon__Msg__Message *m,
                            int64_t actor, int64_t other, const char *origin);
/* The same from a thread without a call (the committer), through its own
 * sender (NULL: dropped); published at once. */
void router_publish_message_pub(pc_pub_sender_t *pub, const char *type,
                                const Pigeon__Msg__Message *m, int64_t actor, int64_t other,
                                const char *origin);
/* {"type":"receipt",...} to u:<peer>/ and to u:<reader>/ except origin. */
void router_publish_receipt(pc_call_t *call, const char *cid, int64_t reader, int64_t read_seq,
                            int64_t peer, const char *origin);

#endif
