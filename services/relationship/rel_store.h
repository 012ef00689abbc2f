/* rel_store.h - every SQL statement of pigeon-relationship (schema rel), and nothing else.
 *
 * All functions take the worker's connection and return PC_OK or the
 * status pc_db_query gave (PC_UNAVAILABLE, PC_DEADLINE_EXCEEDED, PC_CONFLICT,
 * PC_INTERNAL). Writes run inside the call's write transaction
 * (pc_call_begin_write); the handler takes rel_store_lock_pair first.
 * Times cross this boundary as microseconds since the epoch. */
#ifndef PIGEON_REL_STORE_H
#define PIGEON_REL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "rel_rules.h"

/* At most this many rows come back from a list (API.md's lists have no
 * paging; the newest rows win). */
#define REL_LIST_MAX 5000

/* One line of my contact list, before it meets pigeon-auth's user objects. */
typedef struct {
    int64_t peer_id;   /* the other user */
    rel_kind_t mine;   /* what I hold on them */
    rel_kind_t theirs; /* what they hold on me */
    char *remark;      /* my remark (malloc'd) or NULL */
    int64_t since_us;  /* my row's since; theirs for a follower */
} rel_contact_row_t;

/* One friend request row. */
typedef struct {
    int64_t id;         /* public request id */
    int64_t from_id;    /* sender */
    int64_t to_id;      /* target */
    char *message;      /* malloc'd or NULL */
    char *remark;       /* the sender's remark for after acceptance; malloc'd or NULL */
    char status[16];    /* "pending" | "accepted" | "declined" | "cancelled" */
    int64_t created_us; /* when it was sent */
} rel_request_row_t;

void rel_contact_rows_free(rel_contact_row_t *rows, size_t n);
void rel_request_row_clear(rel_request_row_t *row);
void rel_request_rows_free(rel_request_row_t *rows, size_t n);

/* Serialises every write about the pair {a, b} until the transaction ends
 * (pg_advisory_xact_lock on a hash of the ordered pair: a hash collision
 * only serialises two unrelated pairs a little). */
pc_status_t rel_store_lock_pair(pc_db_t *db, int64_t a, int64_t b);

/* Fills blocked_by_target, mine, my_pending and their_pending of *st (the
 * caller fills the rest) and, when they have a pending request to me, its id
 * into *their_request_id (else 0). */
pc_status_t rel_store_add_state(pc_db_t *db, int64_t me, int64_t target, rel_add_state_t *st,
                                int64_t *their_request_id);

/* What `owner` holds on `peer`. */
pc_status_t rel_store_get_kind(pc_db_t *db, int64_t owner, int64_t peer, rel_kind_t *kind);

/* Inserts or replaces owner's row on peer with `kind`; since becomes now.
 * remark NULL keeps the remark the row already had. The stored remark
 * (malloc'd or NULL) goes to *remark_out, the new since to *since_us. */
pc_status_t rel_store_put_contact(pc_db_t *db, int64_t owner, int64_t peer, rel_kind_t kind,
                                  const char *remark, char **remark_out, int64_t *since_us);

/* Deletes owner's row on peer and, when both_sides, peer's row on owner. */
pc_status_t rel_store_delete_contact(pc_db_t *db, int64_t owner, int64_t peer, bool both_sides);

/* Inserts a pending request; fills *out (PC_CONFLICT: one is already pending). */
pc_status_t rel_store_insert_request(pc_db_t *db, int64_t from, int64_t to, const char *message,
                                     const char *remark, rel_request_row_t *out);

/* Reads request `id` into *out; *found false when there is none. With
 * for_update the row stays locked until the transaction ends. */
pc_status_t rel_store_get_request(pc_db_t *db, int64_t id, bool for_update, rel_request_row_t *out,
                                  bool *found);

/* Moves a pending request to `status` ("accepted" | "declined" | "cancelled"),
 * recording who decided and when. *changed false when it was not pending. */
pc_status_t rel_store_finish_request(pc_db_t *db, int64_t id, const char *status,
                                     int64_t decided_by, bool *changed);

/* My contact list: my rows (with what the other side holds) and my
 * followers, newest first (since desc, then peer id desc). */
pc_status_t rel_store_list_contacts(pc_db_t *db, int64_t me, rel_contact_row_t **rows, size_t *n);

/* Pending requests to me (incoming) or from me, newest first. */
pc_status_t rel_store_list_requests(pc_db_t *db, int64_t me, bool incoming,
                                    rel_request_row_t **rows, size_t *n);

/* Has `owner` blocked `blocked`? */
pc_status_t rel_store_is_blocked(pc_db_t *db, int64_t owner, int64_t blocked, bool *yes);

/* Idempotent; *changed says whether a row was inserted / deleted. */
pc_status_t rel_store_block(pc_db_t *db, int64_t owner, int64_t blocked, bool *changed);
pc_status_t rel_store_unblock(pc_db_t *db, int64_t owner, int64_t blocked, bool *changed);

/* The users `owner` blocked, most recent first (malloc'd array). */
pc_status_t rel_store_list_blocks(pc_db_t *db, int64_t owner, int64_t **ids, size_t *n);

/* What may_message needs, in one statement of three primary-key probes. */
pc_status_t rel_store_may_message(pc_db_t *db, int64_t sender, int64_t recipient,
                                  bool *recipient_blocked_sender, rel_kind_t *sender_holds,
                                  rel_kind_t *recipient_holds);

#endif
