/* rel_handlers.h - the RPC methods of pigeon-relationship and what they share.
 *
 * Every handler: validate -> authorize (envelope caller) -> store -> publish
 * -> reply. The handlers hold no SQL (rel_store.c) and no rule (rel_rules.c). */
#ifndef PIGEON_REL_HANDLERS_H
#define PIGEON_REL_HANDLERS_H

#include <stdint.h>

#include "auth_client.h"
#include "handler.h"
#include "rel_store.h"
#include "relationship.pb-c.h"
#include "rpc_server.h"

/* rel_handlers.c: contacts */
int rel_h_add(pc_call_t *call);
int rel_h_list_contacts(pc_call_t *call);
int rel_h_remove(pc_call_t *call);

/* rel_handlers_requests.c: friend requests */
int rel_h_list_requests(pc_call_t *call);
int rel_h_accept(pc_call_t *call);
int rel_h_decline(pc_call_t *call);
int rel_h_cancel(pc_call_t *call);

/* rel_handlers_blocks.c: blocks and the questions other services ask */
int rel_h_block(pc_call_t *call);
int rel_h_unblock(pc_call_t *call);
int rel_h_list_blocks(pc_call_t *call);
int rel_h_may_message(pc_call_t *call);
int rel_h_is_contact(pc_call_t *call);

/* --- shared helpers (rel_users.c) --- */

/* Users from pigeon-auth, looked up by id. */
typedef auth_client_users_t rel_users_t;

/* Fetches the users named in ids (duplicates and ids <= 0 ignored; unknown
 * ones are left out), in batches. On failure answers the call (503/504 as
 * pigeon-auth's transport gave them, else 500) and returns that status;
 * PC_OK otherwise with *out set. */
int rel_users_fetch(pc_call_t *call, const int64_t *ids, size_t n, rel_users_t **out);
/* The user with that id, or NULL; borrowed from `users`. */
Pigeon__Auth__User *rel_users_get(const rel_users_t *users, int64_t id);
void rel_users_destroy(rel_users_t **users);

/* --- friendship (rel_handlers_requests.c) --- */

/* Inside the write transaction with the pair locked: accepts pending request
 * `r` on behalf of its target and writes both friend rows. `remark` is the
 * target's own remark (NULL keeps what they had); the sender gets the remark
 * stored with the request. Publishes a contact frame to each side and the
 * change event. Fills *view, the contact the target sees (user borrowed from
 * `users`, remark malloc'd: free view->remark). Returns PC_OK, 409 when the
 * request was no longer pending (answered), or a store status (answered). */
int rel_make_friends(pc_call_t *call, const rel_request_row_t *r, const rel_users_t *users,
                     const char *remark, Pigeon__Rel__Contact *view);

/* --- events (rel_events.c), queued for after the commit --- */

/* {"type":"contact","contact":c} to u:<owner>/. */
void rel_publish_contact(pc_call_t *call, int64_t owner, const Pigeon__Rel__Contact *c);
/* {"type":"friend_request","request":r} to u:<user>/ for each user (n <= 2), encoded once. */
void rel_publish_request(pc_call_t *call, const Pigeon__Rel__FriendRequest *r, const int64_t *users,
                         size_t n);
/* {"type":"contact_removed","user_id":peer} to u:<owner>/. */
void rel_publish_removed(pc_call_t *call, int64_t owner, int64_t peer);
/* RelChanged{a<b} on "rel/": something between a and b changed. */
void rel_publish_changed(pc_call_t *call, int64_t a, int64_t b);

#endif
