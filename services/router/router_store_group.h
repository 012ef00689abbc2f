/* router_store_group.h - the SQL of group conversations (the rest of the
 * store is router_store.h): membership periods, the outbox cursor, applying
 * one membership change, the send guard. Same conventions: each function
 * runs on the connection it is given, inside the caller's transaction. */
#ifndef PIGEON_ROUTER_STORE_GROUP_H
#define PIGEON_ROUTER_STORE_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "router_ranges.h"

/* The user's periods in a group conversation (the newest ROUTER_RANGES_MAX),
 * ascending. */
int router_store_group_ranges(pc_db_t *db, const char *cid, int64_t user, router_ranges_t *out);

/* The consumer's cursor, row-locked until the transaction ends. */
int router_store_group_cursor_lock(pc_db_t *db, int64_t *last_change_id);
/* The cursor without a lock. */
int router_store_group_cursor_get(pc_db_t *db, int64_t *last_change_id);
int router_store_group_cursor_set(pc_db_t *db, int64_t last_change_id);

/* One membership change as the consumer applies it. */
typedef struct {
    int64_t id;               /* change id */
    int64_t group_id;         /* the group */
    const char *kind;         /* created | joined | left | ... */
    int64_t actor_id;         /* who acted */
    const int64_t *user_ids;  /* whom it is about */
    size_t n_users;           /* entries in user_ids */
    const char *system_text;  /* NULL: no system message */
} router_change_t;

/* Inside the caller's transaction: appends the change's system message to
 * g:<group_id> (creating the conversation with the first one), opens or
 * closes the periods it implies, sets the read positions (router_ranges.h)
 * and moves the actor's read position to it. *seq the message's seq (0 when
 * none). 3 to 6 statements, each set-based over user_ids. */
int router_store_group_apply(pc_db_t *db, const router_change_t *c, int64_t *seq);

/* Who may read the message at seq: every user whose period holds it - the
 * members, a user who joined with it, and one whose membership it ended.
 * *users malloc'd (NULL when none), ascending. One index range scan,
 * O(periods of the group). */
int router_store_group_audience(pc_db_t *db, const char *cid, int64_t seq, int64_t **users,
                                size_t *n);

/* Inside a send's transaction: locks the group conversation row (so the
 * check cannot race a membership change taking the next seq) and says
 * whether sender has an open period. */
int router_store_group_may_post(pc_db_t *db, const char *cid, int64_t sender, bool *ok);

#endif
