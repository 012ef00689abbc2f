/* router_store.h - every SQL statement of pigeon-router, and nothing else.
 *
 * Each function runs on the connection it is given, inside whatever
 * transaction the caller holds, and returns a pc_status_t. Rows come back
 * owned by the caller (router_msg_row_clear / router_conv_rows_free). */
#ifndef PIGEON_ROUTER_STORE_H
#define PIGEON_ROUTER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "router_rules.h"

/* One stored message. */
typedef struct {
    char cid[ROUTER_CID_MAX]; /* conversation id */
    int64_t seq;              /* per-conversation sequence number */
    int64_t sender_id;        /* who sent it (who acted, for system messages) */
    char kind[8];             /* "text" | "image" | "voice" | "system" */
    char *text;               /* malloc'd, NULL when none (recalled, media) */
    bool has_media;           /* media_id is set */
    int64_t media_id;         /* pigeon-media id */
    char *client_msg_id;      /* malloc'd, NULL for system messages */
    int64_t created_us;       /* microseconds since the epoch */
    bool recalled;            /* recalled by its sender */
} router_msg_row_t;

void router_msg_row_clear(router_msg_row_t *row);
void router_msg_rows_free(router_msg_row_t *rows, size_t n);

/* One line of "my conversations". */
typedef struct {
    char cid[ROUTER_CID_MAX]; /* conversation id */
    bool is_group;            /* kind "group" */
    int64_t last_seq;         /* newest seq */
    int64_t read_seq;         /* the caller's read position */
    bool has_peer_read;       /* direct: the peer's row exists */
    int64_t peer_read_seq;    /* the peer's read position */
    int64_t unread;           /* countable messages after read_seq */
    int64_t updated_us;       /* time of the newest message */
    bool has_last;            /* last is filled */
    router_msg_row_t last;    /* the newest message */
} router_conv_row_t;

void router_conv_rows_free(router_conv_row_t *rows, size_t n);

/* A send as the committer stores it. */
typedef struct {
    int64_t sender;            /* caller */
    int64_t recipient;         /* the other user of the direct conversation; 0 for a group */
    const char *cid;           /* "d:<a>:<b>" or "g:<group_id>" */
    bool is_group;             /* a group: stored only while sender has an open period */
    const char *client_msg_id; /* idempotency key, per sender */
    const char *request_id;    /* RPC request id of this send (may be NULL) */
    const char *kind;          /* "text" | "image" | "voice" */
    const char *text;          /* may be NULL */
    bool has_media;            /* media_id is set */
    int64_t media_id;          /* pigeon-media id */
} router_send_row_t;

/* The stored message of (sender, client_msg_id), *found false when none;
 * *same_request true when it was stored by a call with this request id. */
int router_store_find_client(pc_db_t *db, int64_t sender, const char *client_msg_id,
                             const char *request_id, router_msg_row_t *row, bool *found,
                             bool *same_request);

/* One send inside the committer's transaction (group sends; a batch of
 * direct ones is router_store_insert_direct): takes the conversation's next
 * seq and stores the message, its client id, the sender's read position
 * (answering means having read) and, for a new direct conversation, both
 * members. *inserted false (and nothing written, no seq taken) when
 * (sender, client_msg_id) is already stored - also by a concurrent
 * transaction, which this waits for - and, for a group, when the sender is
 * not a member (router_store_group.h). 4 statements (5 for a group, one
 * more with media). */
int router_store_insert_send(pc_db_t *db, const router_send_row_t *s, bool *inserted, int64_t *seq,
                             int64_t *created_us);

/* What the batch statement says about one send. */
typedef struct {
    bool inserted;      /* false: (sender, client_msg_id) is stored already, no seq taken */
    int64_t seq;        /* its seq, when inserted */
    int64_t created_us; /* its created_at, when inserted */
} router_send_result_t;

/* Stores a whole batch of direct sends (recipient > 0, not is_group) in ONE
 * prepared statement, inside the caller's transaction or as its own: each
 * conversation's seqs taken at once (contiguous, in the order of s within
 * the conversation), the messages, their client ids, media references and
 * the read positions (as router_store_insert_send). s must be sorted by
 * conversation id (strcmp) so concurrent batches lock conversations in the
 * same order. A send whose (sender, client_msg_id) is stored already, or
 * repeats an earlier one of s, takes no seq: out[i].inserted false. A
 * concurrent transaction storing one of the client ids first makes it fail
 * with PC_CONFLICT and store nothing: retry the batch. Cost: one round
 * trip.
 * all_new: the batch is taken to hold no stored client id, and the check
 * is left out; a resend among them fails the batch with PC_CONFLICT (retry
 * without all_new). This statement's plan does not depend on table sizes,
 * so it suits a connection with pc_db_use_generic_plans. */
int router_store_insert_direct(pc_db_t *db, const router_send_row_t *const *s, size_t n,
                               bool all_new, router_send_result_t *out);

/* Appends a system message (kind "system", no client id, not counted as
 * unread) to an existing conversation and moves the actor's read position
 * to it; fills *row. */
int router_store_append_system(pc_db_t *db, const char *cid, int64_t actor, const char *text,
                               router_msg_row_t *row);

/* Up to limit + 1 messages of one page (see router_page_t), ascending. With
 * viewer > 0 (groups) only the seqs inside the viewer's periods count. */
int router_store_history(pc_db_t *db, const char *cid, const router_page_t *page, int64_t viewer,
                         router_msg_row_t **rows, size_t *n);

/* The user's conversations, newest first, at most ROUTER_CONV_LIST_MAX. A
 * former group member's line stops at the end of their last period
 * (members.visible_to): last_seq, unread, last message and time.
 * Cost: one index range scan of the user's memberships plus a sort of them
 * in memory - fine for thousands of conversations per user. */
#define ROUTER_CONV_LIST_MAX 1000
int router_store_conversations(pc_db_t *db, int64_t user, router_conv_row_t **rows, size_t *n);

/* The user's read position and the conversation's last_seq, row-locked for
 * a read mark; *found false when the user has no row (empty conversation). */
int router_store_read_state(pc_db_t *db, int64_t user, const char *cid, int64_t *read_seq,
                            int64_t *last_seq, bool *found);
/* Sets the user's read position to seq (<= last_seq, checked by the caller). */
int router_store_set_read(pc_db_t *db, int64_t user, const char *cid, int64_t seq);

/* One message, row-locked when for_update; *age_s its age by the database
 * clock. */
int router_store_get_message(pc_db_t *db, const char *cid, int64_t seq, bool for_update,
                             router_msg_row_t *row, double *age_s, bool *found);
/* Marks a message recalled and clears its text and media (and its
 * msg.media_refs row). */
int router_store_recall(pc_db_t *db, const char *cid, int64_t seq);

/* A message that carries some media (msg.media_refs). */
typedef struct {
    char cid[ROUTER_CID_MAX]; /* its conversation */
    int64_t seq;              /* its seq there */
} router_media_ref_t;

/* Up to max messages carrying media_id in conversations where `user` has a
 * membership row (msg.members), ordered; the caller still decides whether
 * the user may read each one (router_may_read_message). One primary-key
 * range scan of media_refs joined to members by primary key. */
int router_store_media_refs(pc_db_t *db, int64_t media_id, int64_t user, router_media_ref_t *refs,
                            size_t max, size_t *n);

#endif
