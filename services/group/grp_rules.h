/* grp_rules.h - API.md's Groups rules as pure decisions, no I/O.
 *
 * A handler reads the group and the roles involved (under the group's row
 * lock for writes, see grp_store.h), asks one of these functions, and carries
 * out the answer. Every rule lives here so unit tests check each outcome
 * without a database (tests/unit/group/test_rules.c).
 *
 * Limits (code points; valid UTF-8, no control characters):
 *   name         1..GRP_NAME_MAX_CHARS
 *   description  0..GRP_DESCRIPTION_MAX_CHARS (empty: null)
 *   join message 0..GRP_MESSAGE_MAX_CHARS     (empty: null) */
#ifndef PIGEON_GRP_RULES_H
#define PIGEON_GRP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRP_NAME_MAX_CHARS 64
#define GRP_DESCRIPTION_MAX_CHARS 500
#define GRP_MESSAGE_MAX_CHARS 200
#define GRP_MAX_MEMBERS 2000 /* members per group, the owner included */
#define GRP_MAX_NAMED 100    /* member_ids / user_ids per call */
#define GRP_SEARCH_MAX 50    /* search page size: 1..50, default 20 */
#define GRP_SEARCH_DEFAULT 20

typedef enum {
    GRP_ROLE_NONE = 0, /* not a member */
    GRP_ROLE_MEMBER,
    GRP_ROLE_ADMIN,
    GRP_ROLE_OWNER,
} grp_role_t;

typedef enum {
    GRP_POLICY_INVALID = 0,
    GRP_POLICY_OPEN,
    GRP_POLICY_APPROVAL,
    GRP_POLICY_INVITE_ONLY,
} grp_policy_t;

/* "owner"/"admin"/"member" -> role; GRP_ROLE_NONE for anything else or NULL. */
grp_role_t grp_role_parse(const char *text);
/* "owner"/"admin"/"member"; NULL for GRP_ROLE_NONE. */
const char *grp_role_name(grp_role_t role);
/* "open"/"approval"/"invite_only" -> policy; GRP_POLICY_INVALID otherwise. */
grp_policy_t grp_policy_parse(const char *text);
const char *grp_policy_name(grp_policy_t policy);

/* True when optional text fits: NULL or 0..max characters of valid UTF-8
 * without control characters. */
bool grp_text_ok(const char *text, unsigned max_chars);

/* What a call needs of its caller. */
typedef enum {
    GRP_NEED_VISIBLE = 0, /* see the group: anyone for open/approval, members for invite_only */
    GRP_NEED_MEMBER,      /* members list and the like */
    GRP_NEED_ADMIN,       /* owner or admin */
    GRP_NEED_OWNER,       /* the owner */
} grp_need_t;

/* The group as one caller sees it. */
typedef struct {
    bool exists;         /* the row exists */
    bool dismissed;      /* dismissed_at is set: the group accepts nothing */
    grp_policy_t policy; /* its join policy */
    grp_role_t role;     /* the caller's role, GRP_ROLE_NONE if not a member */
} grp_view_t;

/* 200, or the refusal: 404 for a missing or dismissed group and for a
 * non-member of an invite_only group (they may not know it exists); 403 for
 * anything else the caller may see but not do. */
int grp_gate(const grp_view_t *v, grp_need_t need);
/* The client-facing message of a refusal by grp_gate. */
const char *grp_gate_message(const grp_view_t *v, grp_need_t need);

/* What an actor may do to another member (or to themselves). Each returns
 * 200 or the refusal status; *why gets the client-facing message. */

/* PATCH role: only the owner sets roles; the new role is "admin" or
 * "member" ("owner" is a transfer: 400); the target must be a member (404);
 * the owner's own role cannot change (409: transfer instead). */
int grp_may_set_role(grp_role_t actor, grp_role_t target, bool self, grp_role_t new_role,
                     const char **why);

/* PATCH muted_until: owner or admin; an admin may not mute an admin or the
 * owner (403), nobody mutes the owner (403); the target must be a member (404). */
int grp_may_mute(grp_role_t actor, grp_role_t target, const char **why);

/* What DELETE /members/{uid} does. */
typedef enum {
    GRP_REMOVE_REFUSED = 0, /* see the status */
    GRP_REMOVE_LEAVE,       /* the caller leaves */
    GRP_REMOVE_KICK,        /* the caller removes another member */
} grp_remove_t;

/* Yourself: leave (the owner must transfer first: 409; not a member: 404).
 * Another: owner or admin (else 403); the target must be a member (404); an
 * admin may not remove an admin or the owner (403). */
grp_remove_t grp_decide_remove(grp_role_t actor, grp_role_t target, bool self, int *status,
                               const char **why);

/* Transfer: the caller is the owner (checked by grp_gate); the target is
 * another member (yourself: 400; not a member: 404). */
int grp_may_transfer(grp_role_t target, bool self, const char **why);

/* What POST /join does. */
typedef enum {
    GRP_JOIN_REFUSED = 0, /* see the status */
    GRP_JOIN_NOW,         /* open: 200 member */
    GRP_JOIN_REQUEST,     /* approval: 202 join_request */
} grp_join_t;

/* Order: missing/dismissed 404; already a member 409; invite_only 404;
 * a pending request 409; full 409; then by policy. */
grp_join_t grp_decide_join(const grp_view_t *v, bool pending, int member_count, int *status,
                           const char **why);

/* Approve / reject: the request must belong to the group (404) and be pending
 * (409: already decided); approving a user who became a member meanwhile
 * decides the request but adds nobody (409); a full group is 409. */
int grp_may_decide(bool belongs, bool pending, bool approve, bool already_member, int member_count,
                   const char **why);

/* The text of the system message for a change (a compact JSON object,
 * API.md: {"event":"member_joined","user_id":7}), or NULL when the kind
 * adds none (muted, updated). The caller frees it. Kinds and texts:
 *   created   {"event":"group_created","user_ids":[...]}   (every initial member)
 *   joined    {"event":"member_joined","user_id":N}         (one)
 *             {"event":"members_added","user_ids":[...]}    (added by an owner/admin)
 *   left      {"event":"member_left","user_id":N}
 *   removed   {"event":"member_removed","user_id":N}
 *   role      {"event":"role_changed","user_id":N,"role":"admin"}
 *   transfer  {"event":"owner_transferred","user_id":new,"previous_owner_id":old}
 *   dismissed {"event":"group_dismissed"} */
char *grp_system_text(const char *kind, int64_t actor, const int64_t *users, size_t n,
                      const char *role, bool added);

/* Search paging: the cursor is the (member_count, id) of the last group of a
 * page. Parses one into *count, *id (false when malformed); formats one into
 * out (32 bytes always suffice). */
bool grp_cursor_parse(const char *text, int64_t *count, int64_t *id);
void grp_cursor_format(int64_t count, int64_t id, char *out, size_t size);

#endif
