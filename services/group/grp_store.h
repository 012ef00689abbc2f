/* grp_store.h - every SQL statement of pigeon-group (schema grp), and nothing else.
 *
 * All functions take the worker's connection and return PC_OK or the status
 * pc_db_query gave (PC_UNAVAILABLE, PC_DEADLINE_EXCEEDED, PC_CONFLICT,
 * PC_INTERNAL). Writes run inside the call's write transaction
 * (pc_call_begin_write); membership writes lock the group row first
 * (grp_store_get_group with for_update). Times cross this boundary as
 * microseconds since the epoch; 0 stands for SQL NULL in optional times. */
#ifndef PIGEON_GRP_STORE_H
#define PIGEON_GRP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "grp_rules.h"

/* Lists with no paging in API.md return at most this many rows. */
#define GRP_LIST_MAX 5000

/* One row of grp.groups. */
typedef struct {
    int64_t id;           /* public group id */
    char *name;           /* malloc'd */
    char *description;    /* malloc'd or NULL */
    int64_t owner_id;     /* the owner */
    grp_policy_t policy;  /* join policy */
    int32_t member_count; /* exact, kept in the membership transactions */
    int64_t created_us;   /* creation time */
    int64_t dismissed_us; /* dismissal time, 0: live */
} grp_group_row_t;

/* One row of grp.members. */
typedef struct {
    int64_t user_id;        /* the member */
    grp_role_t role;        /* owner / admin / member */
    int64_t joined_us;      /* when they joined */
    int64_t muted_until_us; /* 0: not muted */
} grp_member_row_t;

/* One row of grp.join_requests. */
typedef struct {
    int64_t id;         /* public request id */
    int64_t group_id;   /* the group asked */
    int64_t user_id;    /* who asks */
    char *message;      /* malloc'd or NULL */
    char status[16];    /* "pending" | "approved" | "rejected" */
    int64_t created_us; /* when it was made */
} grp_request_row_t;

/* One row of the outbox grp.membership_changes. */
typedef struct {
    int64_t id;        /* outbox order */
    int64_t group_id;  /* the group */
    char kind[16];     /* created | joined | ... (grp_rules.h) */
    int64_t actor_id;  /* who acted */
    int64_t *user_ids; /* malloc'd, n_users entries */
    size_t n_users;    /* entries in user_ids */
    char *role;        /* malloc'd or NULL */
    char *system_text; /* malloc'd or NULL */
    int64_t at_us;     /* when it was written */
} grp_change_row_t;

void grp_group_row_clear(grp_group_row_t *row);
void grp_group_rows_free(grp_group_row_t *rows, size_t n);
void grp_request_row_clear(grp_request_row_t *row);
void grp_request_rows_free(grp_request_row_t *rows, size_t n);
void grp_change_rows_free(grp_change_row_t *rows, size_t n);

/* --- groups (grp_store.c) --- */

/* Group `id` into *out; *found false when there is none. for_update locks
 * the row until the transaction ends (every membership write does this first). */
pc_status_t grp_store_get_group(pc_db_t *db, int64_t id, bool for_update, grp_group_row_t *out,
                                bool *found);

/* Inserts a group (member_count 0) and its search grams (`grams`: the
 * PC_BIGRAM_SEP-joined list of pc_bigram_grams(name_key, true)). */
pc_status_t grp_store_create_group(pc_db_t *db, const char *name, const char *name_key,
                                   const char *grams, const char *description, grp_policy_t policy,
                                   int64_t owner, grp_group_row_t *out);

/* Updates what is given: name (with name_key and grams) when name != NULL;
 * the description when set_description (description NULL clears it); the
 * policy unless GRP_POLICY_INVALID. Fills *out with the new row. */
pc_status_t grp_store_update_group(pc_db_t *db, int64_t id, const char *name, const char *name_key,
                                   const char *grams, bool set_description, const char *description,
                                   grp_policy_t policy, grp_group_row_t *out);

/* Marks the group dismissed, drops its pending join requests (rejected) and
 * its search grams. Members stay (the router's history needs them). */
pc_status_t grp_store_dismiss(pc_db_t *db, int64_t id, int64_t actor);

/* Live groups `user` is a member of, newest membership first. */
pc_status_t grp_store_my_groups(pc_db_t *db, int64_t user, grp_group_row_t **rows, size_t *n);

/* --- members (grp_store.c) --- */

/* The member row of (group, user); *found false when not a member. */
pc_status_t grp_store_get_member(pc_db_t *db, int64_t group, int64_t user, grp_member_row_t *out,
                                 bool *found);

/* Adds a member with `role` unless already one (*added false then) and
 * keeps member_count exact. Fills *out with the member's row either way. */
pc_status_t grp_store_add_member(pc_db_t *db, int64_t group, int64_t user, grp_role_t role,
                                 bool *added, grp_member_row_t *out);

/* Removes a member; member_count follows. *removed false when not a member. */
pc_status_t grp_store_remove_member(pc_db_t *db, int64_t group, int64_t user, bool *removed);

/* Sets a member's role / mute (muted_until_us 0 clears); fills *out. */
pc_status_t grp_store_set_role(pc_db_t *db, int64_t group, int64_t user, grp_role_t role,
                               grp_member_row_t *out);
pc_status_t grp_store_set_mute(pc_db_t *db, int64_t group, int64_t user, int64_t muted_until_us,
                               grp_member_row_t *out);

/* Makes `to` the owner and the old owner `from` an admin; updates owner_id. */
pc_status_t grp_store_transfer(pc_db_t *db, int64_t group, int64_t from, int64_t to);

/* Members (owner, admins, members; each by joined_at), at most GRP_MAX_MEMBERS. */
pc_status_t grp_store_list_members(pc_db_t *db, int64_t group, grp_member_row_t **rows, size_t *n);

/* User ids of the members (all, or only owner and admins), ascending. */
pc_status_t grp_store_member_ids(pc_db_t *db, int64_t group, bool admins_only, int64_t **ids,
                                 size_t *n);

/* --- join requests (grp_store_more.c) --- */

/* Inserts a pending request (PC_CONFLICT: one is already pending). */
pc_status_t grp_store_insert_request(pc_db_t *db, int64_t group, int64_t user, const char *message,
                                     grp_request_row_t *out);
/* Is a request of (group, user) pending? */
pc_status_t grp_store_has_pending(pc_db_t *db, int64_t group, int64_t user, bool *pending);
/* Request `id` into *out; *found false when there is none. for_update locks it. */
pc_status_t grp_store_get_request(pc_db_t *db, int64_t id, bool for_update, grp_request_row_t *out,
                                  bool *found);
/* Moves a pending request to "approved" / "rejected"; *changed false when it was not pending. */
pc_status_t grp_store_finish_request(pc_db_t *db, int64_t id, const char *status,
                                     int64_t decided_by, bool *changed);
/* Pending requests of a group, oldest first, at most GRP_LIST_MAX. */
pc_status_t grp_store_list_requests(pc_db_t *db, int64_t group, grp_request_row_t **rows,
                                    size_t *n);

/* --- the outbox (grp_store_more.c) --- */

/* Appends a change; its id goes to *id. Takes the outbox's transaction-scoped
 * advisory lock first, so ids become visible in order (README: "Outbox
 * contract"); call it as the last statement of the change. */
pc_status_t grp_store_add_change(pc_db_t *db, int64_t group, const char *kind, int64_t actor,
                                 const int64_t *users, size_t n, const char *role,
                                 const char *system_text, int64_t *id);
/* Changes with id > after_id, ascending, at most `limit`. */
pc_status_t grp_store_changes(pc_db_t *db, int64_t after_id, int limit, grp_change_row_t **rows,
                              size_t *n);
/* The newest change id of a group (0: none). */
pc_status_t grp_store_last_change(pc_db_t *db, int64_t group, int64_t *id);

/* --- search (grp_store_more.c) --- */

/* Listed groups (live, not invite_only) whose name_key holds `q_key`, by
 * member_count desc then id, after the cursor (after_count, after_id; pass
 * INT64_MAX, 0 for the first page), at most `limit` rows. `grams` is the
 * PC_BIGRAM_SEP-joined pc_bigram_grams(q_key, false) with n_grams entries;
 * with n_grams == 0 (one-character query) `prefix_end` bounds the prefix
 * range of grams starting with q_key (pc_bigram_prefix_end). */
pc_status_t grp_store_search(pc_db_t *db, const char *q_key, const char *grams, size_t n_grams,
                             const char *prefix_end, int64_t after_count, int64_t after_id,
                             int limit, grp_group_row_t **rows, size_t *n);

#endif
