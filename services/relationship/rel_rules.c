/* rel_rules.c - the Contacts rules of API.md as pure decisions (see rel_rules.h). */
#include "rel_rules.h"

#include <string.h>

#include "status.h"
#include "utf8.h"

int rel_mode_parse(const char *text)
{
    if (text == NULL)
        return 0;
    if (strcmp(text, "one_way") == 0)
        return REL_MODE_ONE_WAY;
    if (strcmp(text, "two_way") == 0)
        return REL_MODE_TWO_WAY;
    return 0;
}

int rel_direction_incoming(const char *text)
{
    if (text == NULL || strcmp(text, "incoming") == 0)
        return 1;
    if (strcmp(text, "outgoing") == 0)
        return 0;
    return -1;
}

rel_kind_t rel_kind_parse(const char *text)
{
    if (text == NULL)
        return REL_NONE;
    if (strcmp(text, "one_way") == 0)
        return REL_ONE_WAY;
    if (strcmp(text, "friend") == 0)
        return REL_FRIEND;
    return REL_NONE;
}

const char *rel_kind_name(rel_kind_t kind)
{
    switch (kind) {
    case REL_ONE_WAY:
        return "one_way";
    case REL_FRIEND:
        return "friend";
    case REL_NONE:
    default:
        return NULL;
    }
}

bool rel_text_ok(const char *text, unsigned max_chars)
{
    if (text == NULL)
        return true;
    return pc_utf8_text_ok(text, 0, max_chars);
}

rel_add_outcome_t rel_decide_add(rel_mode_t mode, const rel_add_state_t *st)
{
    if (st->self)
        return REL_ADD_SELF;
    if (!st->target_exists)
        return REL_ADD_NO_TARGET;
    /* Before anything that depends on our history: a blocked user learns
     * nothing beyond this one refusal. */
    if (st->blocked_by_target)
        return REL_ADD_BLOCKED;
    if (st->mine == REL_FRIEND)
        return REL_ADD_ALREADY_FRIEND;
    if (mode == REL_MODE_ONE_WAY) {
        if (st->mine == REL_ONE_WAY)
            return REL_ADD_ALREADY_ONE_WAY;
        if (!st->target_open)
            return REL_ADD_NEEDS_APPROVAL;
        return REL_ADD_MAKE_ONE_WAY;
    }
    /* two_way: holding them one_way already is fine, the request upgrades it.
     * Their one_way add of me does not count; only their pending request does. */
    if (st->my_pending)
        return REL_ADD_ALREADY_PENDING;
    if (st->their_pending)
        return REL_ADD_ACCEPT_THEIRS;
    return REL_ADD_MAKE_REQUEST;
}

int rel_add_status(rel_add_outcome_t out)
{
    switch (out) {
    case REL_ADD_SELF:
        return PC_INVALID_ARGUMENT;
    case REL_ADD_NO_TARGET:
        return PC_NOT_FOUND;
    case REL_ADD_BLOCKED:
    case REL_ADD_NEEDS_APPROVAL:
        return PC_FORBIDDEN;
    case REL_ADD_ALREADY_FRIEND:
    case REL_ADD_ALREADY_ONE_WAY:
    case REL_ADD_ALREADY_PENDING:
        return PC_CONFLICT;
    case REL_ADD_MAKE_ONE_WAY:
    case REL_ADD_ACCEPT_THEIRS:
        return PC_CREATED;
    case REL_ADD_MAKE_REQUEST:
        return PC_ACCEPTED;
    }
    return PC_INTERNAL;
}

const char *rel_add_message(rel_add_outcome_t out)
{
    switch (out) {
    case REL_ADD_SELF:
        return "cannot add yourself";
    case REL_ADD_NO_TARGET:
        return "user not found";
    case REL_ADD_BLOCKED:
        return "cannot add this user";
    case REL_ADD_NEEDS_APPROVAL:
        return "cannot add this user one_way: they accept two_way requests only";
    case REL_ADD_ALREADY_FRIEND:
        return "already friends";
    case REL_ADD_ALREADY_ONE_WAY:
        return "already a contact";
    case REL_ADD_ALREADY_PENDING:
        return "a request to this user is already pending";
    default:
        return NULL;
    }
}

rel_request_outcome_t rel_decide_request(rel_request_action_t action, int64_t caller,
                                         const rel_request_state_t *st)
{
    if (!st->exists)
        return REL_REQ_NOT_FOUND;
    int64_t actor = action == REL_ACT_CANCEL ? st->from_id : st->to_id;
    if (caller != actor)
        return REL_REQ_NOT_FOUND;
    if (!st->pending)
        return REL_REQ_NOT_PENDING;
    /* A block stops relationships from the blocked side: the target of a
     * request cannot turn it into a friendship once its sender blocked them.
     * Declining stays possible (it only tidies their list). */
    if (action == REL_ACT_ACCEPT && st->sender_blocked_target)
        return REL_REQ_BLOCKED;
    return REL_REQ_PROCEED;
}

int rel_request_status(rel_request_outcome_t out)
{
    switch (out) {
    case REL_REQ_NOT_FOUND:
        return PC_NOT_FOUND;
    case REL_REQ_NOT_PENDING:
        return PC_CONFLICT;
    case REL_REQ_BLOCKED:
        return PC_FORBIDDEN;
    case REL_REQ_PROCEED:
        return 0;
    }
    return PC_INTERNAL;
}

const char *rel_request_message(rel_request_outcome_t out)
{
    switch (out) {
    case REL_REQ_NOT_FOUND:
        return "friend request not found";
    case REL_REQ_NOT_PENDING:
        return "friend request already decided";
    case REL_REQ_BLOCKED:
        return "cannot accept this request";
    default:
        return NULL;
    }
}

rel_remove_outcome_t rel_decide_remove(rel_kind_t mine)
{
    switch (mine) {
    case REL_ONE_WAY:
        return REL_REMOVE_ONE_WAY;
    case REL_FRIEND:
        return REL_REMOVE_FRIENDSHIP;
    case REL_NONE:
    default:
        return REL_REMOVE_NOTHING;
    }
}

rel_show_t rel_contact_view(rel_kind_t mine, rel_kind_t theirs)
{
    if (mine == REL_FRIEND)
        return REL_SHOW_FRIEND;
    if (mine == REL_ONE_WAY)
        return REL_SHOW_ONE_WAY;
    if (theirs == REL_ONE_WAY)
        return REL_SHOW_FOLLOWER;
    /* A lone friend row on their side cannot happen (friend rows come in
     * pairs); showing nothing is the safe reading. */
    return REL_SHOW_NONE;
}

const char *rel_show_name(rel_show_t show)
{
    switch (show) {
    case REL_SHOW_FRIEND:
        return "friend";
    case REL_SHOW_ONE_WAY:
        return "one_way";
    case REL_SHOW_FOLLOWER:
        return "follower";
    case REL_SHOW_NONE:
    default:
        return NULL;
    }
}

bool rel_may_message(bool recipient_blocked_sender, rel_kind_t sender_holds,
                     rel_kind_t recipient_holds)
{
    if (recipient_blocked_sender)
        return false;
    /* A friendship is a friend row on both sides, so either probe finds it. */
    return sender_holds != REL_NONE || recipient_holds != REL_NONE;
}
