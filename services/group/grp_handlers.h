/* grp_handlers.h - the RPC methods of pigeon-group and what they share.
 *
 * Every handler: validate -> authorize (envelope caller) -> store -> publish
 * -> reply. The handlers hold no SQL (grp_store*.c) and no rule (grp_rules.c).
 * Writes follow one order: nested calls (pigeon-auth, pigeon-relationship)
 * first, so no transaction is held open across a network call; then
 * pc_call_begin_write, the group row lock, a fresh read, the rule, the store,
 * the outbox row, the reply; events go out after the commit. */
#ifndef PIGEON_GRP_HANDLERS_H
#define PIGEON_GRP_HANDLERS_H

#include <jansson.h>
#include <stdint.h>

#include "auth_client.h"
#include "group.pb-c.h"
#include "grp_rules.h"
#include "grp_store.h"
#include "handler.h"
#include "rpc_server.h"

/* grp_handlers.c: the group itself */
int grp_h_create(pc_call_t *call);
int grp_h_get(pc_call_t *call);
int grp_h_patch(pc_call_t *call);
int grp_h_dismiss(pc_call_t *call);
int grp_h_mine(pc_call_t *call);
int grp_h_search(pc_call_t *call);

/* grp_handlers_members.c: members and roles */
int grp_h_members(pc_call_t *call);
int grp_h_add_members(pc_call_t *call);
int grp_h_set_member(pc_call_t *call);
int grp_h_remove_member(pc_call_t *call);
int grp_h_transfer(pc_call_t *call);

/* grp_handlers_join.c: joining and join requests */
int grp_h_join(pc_call_t *call);
int grp_h_join_requests(pc_call_t *call);
int grp_h_approve(pc_call_t *call);
int grp_h_reject(pc_call_t *call);

/* grp_handlers_feed.c: for the router */
int grp_h_membership(pc_call_t *call);
int grp_h_roster(pc_call_t *call);
int grp_h_changes(pc_call_t *call);

/* --- shared helpers (grp_common.c) --- */

/* Users from pigeon-auth, looked up by id. */
typedef auth_client_users_t grp_users_t;
/* Fetches the users named in ids (duplicates and ids <= 0 ignored; unknown
 * ones left out), in batches of 500. On failure answers the call (503/504
 * passed on, else 500) and returns that status; PC_OK with *out otherwise. */
int grp_users_fetch(pc_call_t *call, const int64_t *ids, size_t n, grp_users_t **out);
/* The user with that id, or NULL; borrowed from `users`. */
Pigeon__Auth__User *grp_users_get(const grp_users_t *users, int64_t id);
void grp_users_destroy(grp_users_t **users);

/* Asks pigeon-relationship whether each of ids is a contact of `me`
 * (friend or one_way). PC_OK when all are; otherwise answers the call (403
 * naming the first that is not, or the transport status) and returns it. */
int grp_require_contacts(pc_call_t *call, int64_t me, const int64_t *ids, size_t n);

/* A group as the caller sees it. */
typedef struct {
    grp_group_row_t group; /* the row (cleared when it does not exist) */
    grp_member_row_t me;   /* the caller's member row (role NONE if not a member) */
    grp_view_t view;       /* for grp_gate */
} grp_ctx_t;

/* Reads group `id` (locked FOR UPDATE when lock) and the caller's member row,
 * then applies grp_gate(need). PC_OK, or the refusal / store failure already
 * answered. Clear ctx with grp_ctx_clear in every case. */
int grp_ctx_load(pc_call_t *call, int64_t id, int64_t me, bool lock, grp_need_t need,
                 grp_ctx_t *ctx);
void grp_ctx_clear(grp_ctx_t *ctx);

/* The protobuf view of a row; strings borrowed from the row. */
void grp_group_pb(const grp_group_row_t *row, Pigeon__Grp__Group *out);
/* A member: the user borrowed, the rest copied. */
void grp_member_pb(const grp_member_row_t *row, Pigeon__Auth__User *user, Pigeon__Grp__Member *out);

/* Writes the outbox row of a change (system text per grp_system_text) and
 * queues the "grp/" nudge for after the commit. PC_OK or the store status
 * (answered). */
int grp_record_change(pc_call_t *call, int64_t group, const char *kind, int64_t actor,
                      const int64_t *users, size_t n, const char *role, bool added);

/* --- events (grp_events.c), queued for after the commit --- */

/* {"type":"group","event":event,"group":g, ...extra's keys} to u:<id>/ of
 * each of `to` (encoded once). Takes the reference to `extra` (may be NULL). */
void grp_publish(pc_call_t *call, const int64_t *to, size_t n, const char *event,
                 const Pigeon__Grp__Group *g, json_t *extra);
/* The same to every current member of the group (read in the transaction),
 * plus `also` when it is not 0 (a member who just left or was removed). */
void grp_publish_members(pc_call_t *call, int64_t group, int64_t also, const char *event,
                         const Pigeon__Grp__Group *g, json_t *extra);
/* "grp/" nudge with the newest change id. */
void grp_publish_nudge(pc_call_t *call, int64_t change_id);

#endif
