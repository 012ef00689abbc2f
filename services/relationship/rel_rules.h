/* rel_rules.h - the Contacts rules of API.md as pure decisions, no I/O.
 *
 * A handler reads the current state of a pair (under the pair lock, see
 * rel_store.h), asks one of these functions what the call does, and then
 * carries that out. Every rule lives here so unit tests can check each
 * outcome without a database.
 *
 * Text limits (code points; valid UTF-8, no control characters; an empty
 * string means "none" and is stored as null):
 *   request message  0..REL_MESSAGE_MAX_CHARS  (a short greeting)
 *   remark           0..REL_REMARK_MAX_CHARS   (like a nickname, API.md's 64) */
#ifndef PIGEON_REL_RULES_H
#define PIGEON_REL_RULES_H

#include <stdbool.h>
#include <stdint.h>

#define REL_MESSAGE_MAX_CHARS 200
#define REL_REMARK_MAX_CHARS 64

/* What one user holds on another (one row of rel.contacts). */
typedef enum {
    REL_NONE = 0, /* no row */
    REL_ONE_WAY,  /* "one_way" */
    REL_FRIEND,   /* "friend" (the other side holds a friend row too) */
} rel_kind_t;

typedef enum { REL_MODE_ONE_WAY = 1, REL_MODE_TWO_WAY } rel_mode_t;

/* "one_way"/"two_way" -> mode; 0 for anything else (including NULL). */
int rel_mode_parse(const char *text);

/* "incoming" -> 1, "outgoing" -> 0, NULL (absent) -> 1; -1 for anything else. */
int rel_direction_incoming(const char *text);

/* "one_way"/"friend" -> kind; REL_NONE for NULL or anything else. */
rel_kind_t rel_kind_parse(const char *text);
/* Stored name of a kind ("one_way", "friend"); NULL for REL_NONE. */
const char *rel_kind_name(rel_kind_t kind);

/* True when optional text fits: NULL or 0..max_chars characters of valid
 * UTF-8 without control characters. */
bool rel_text_ok(const char *text, unsigned max_chars);

/* --- rel.add --- */

/* Everything rel.add depends on, seen from the caller ("me") towards the target. */
typedef struct {
    bool self;              /* the target is me */
    bool target_exists;     /* pigeon-auth knows the target */
    bool target_open;       /* the target's add_policy is "open" */
    bool blocked_by_target; /* the target has blocked me */
    rel_kind_t mine;        /* what I hold on the target */
    bool my_pending;        /* I have a pending request to the target */
    bool their_pending;     /* the target has a pending request to me */
} rel_add_state_t;

typedef enum {
    REL_ADD_SELF = 1,        /* 400: cannot add yourself */
    REL_ADD_NO_TARGET,       /* 404 */
    REL_ADD_BLOCKED,         /* 403, worded like any other refusal */
    REL_ADD_NEEDS_APPROVAL,  /* 403: one_way to an "approval" user */
    REL_ADD_ALREADY_FRIEND,  /* 409 */
    REL_ADD_ALREADY_ONE_WAY, /* 409: one_way of someone I already one_way-added */
    REL_ADD_ALREADY_PENDING, /* 409: a second pending request to the same person */
    REL_ADD_MAKE_ONE_WAY,    /* 201: store my one_way row */
    REL_ADD_MAKE_REQUEST,    /* 202: store a pending request */
    REL_ADD_ACCEPT_THEIRS,   /* 201: accept their pending request: friends now */
} rel_add_outcome_t;

/* Order of the checks: self, existence, block, then what already exists
 * (409 before the policy's 403, so a re-add of someone who later switched to
 * "approval" still says "already a contact"), then the policy. */
rel_add_outcome_t rel_decide_add(rel_mode_t mode, const rel_add_state_t *st);

/* The reply status of an outcome (400/403/404/409/201/202) and, for the
 * refusals, the client-facing message (NULL for successes). A block is
 * worded like any refusal: nothing else tells the user they were blocked. */
int rel_add_status(rel_add_outcome_t out);
const char *rel_add_message(rel_add_outcome_t out);

/* --- rel.accept / rel.decline / rel.cancel --- */

typedef enum { REL_ACT_ACCEPT = 1, REL_ACT_DECLINE, REL_ACT_CANCEL } rel_request_action_t;

typedef enum {
    REL_REQ_NOT_FOUND = 1, /* 404: no such request, or the caller may not act on it */
    REL_REQ_NOT_PENDING,   /* 409: already accepted, declined or cancelled */
    REL_REQ_BLOCKED,       /* 403: accepting a request whose sender has since blocked me */
    REL_REQ_PROCEED,       /* carry out the action */
} rel_request_outcome_t;

/* A request as the rules see it. */
typedef struct {
    bool exists;                /* a request with that id exists */
    int64_t from_id;            /* sender */
    int64_t to_id;              /* target */
    bool pending;               /* status is 'pending' */
    bool sender_blocked_target; /* from_id has blocked to_id */
} rel_request_state_t;

/* Only the target accepts or declines, only the sender cancels; anyone else
 * is told 404 before anything about the request's state. */
rel_request_outcome_t rel_decide_request(rel_request_action_t action, int64_t caller,
                                         const rel_request_state_t *st);

/* 404/409/403 for the refusals (message as above), 0 for REL_REQ_PROCEED. */
int rel_request_status(rel_request_outcome_t out);
const char *rel_request_message(rel_request_outcome_t out);

/* --- rel.remove --- */

typedef enum {
    REL_REMOVE_NOTHING = 1, /* 404: nobody, a follower, or myself */
    REL_REMOVE_ONE_WAY,     /* delete my one_way row */
    REL_REMOVE_FRIENDSHIP,  /* delete both friend rows */
} rel_remove_outcome_t;

rel_remove_outcome_t rel_decide_remove(rel_kind_t mine);

/* --- what the contact list shows --- */

typedef enum {
    REL_SHOW_NONE = 0, /* not in my list */
    REL_SHOW_FRIEND,   /* "friend" */
    REL_SHOW_ONE_WAY,  /* "one_way": I added them (whatever they hold on me) */
    REL_SHOW_FOLLOWER, /* "follower": they added me one_way and I hold nothing */
} rel_show_t;

rel_show_t rel_contact_view(rel_kind_t mine, rel_kind_t theirs);
/* "friend" / "one_way" / "follower"; NULL for REL_SHOW_NONE. */
const char *rel_show_name(rel_show_t show);

/* --- may_message --- */

/* API.md: B has not blocked A and (friends, or A holds B one_way, or B holds
 * A one_way). sender_holds / recipient_holds: what each holds on the other. */
bool rel_may_message(bool recipient_blocked_sender, rel_kind_t sender_holds,
                     rel_kind_t recipient_holds);

#endif
