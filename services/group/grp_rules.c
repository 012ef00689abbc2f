/* grp_rules.c - API.md's Groups rules as pure decisions (see grp_rules.h). */
#include "grp_rules.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "status.h"
#include "utf8.h"

grp_role_t grp_role_parse(const char *text)
{
    if (text == NULL)
        return GRP_ROLE_NONE;
    if (strcmp(text, "owner") == 0)
        return GRP_ROLE_OWNER;
    if (strcmp(text, "admin") == 0)
        return GRP_ROLE_ADMIN;
    if (strcmp(text, "member") == 0)
        return GRP_ROLE_MEMBER;
    return GRP_ROLE_NONE;
}

const char *grp_role_name(grp_role_t role)
{
    switch (role) {
    case GRP_ROLE_OWNER:
        return "owner";
    case GRP_ROLE_ADMIN:
        return "admin";
    case GRP_ROLE_MEMBER:
        return "member";
    default:
        return NULL;
    }
}

grp_policy_t grp_policy_parse(const char *text)
{
    if (text == NULL)
        return GRP_POLICY_INVALID;
    if (strcmp(text, "open") == 0)
        return GRP_POLICY_OPEN;
    if (strcmp(text, "approval") == 0)
        return GRP_POLICY_APPROVAL;
    if (strcmp(text, "invite_only") == 0)
        return GRP_POLICY_INVITE_ONLY;
    return GRP_POLICY_INVALID;
}

const char *grp_policy_name(grp_policy_t policy)
{
    switch (policy) {
    case GRP_POLICY_OPEN:
        return "open";
    case GRP_POLICY_APPROVAL:
        return "approval";
    case GRP_POLICY_INVITE_ONLY:
        return "invite_only";
    default:
        return NULL;
    }
}

bool grp_text_ok(const char *text, unsigned max_chars)
{
    return text == NULL || pc_utf8_text_ok(text, 0, max_chars);
}

int grp_gate(const grp_view_t *v, grp_need_t need)
{
    if (!v->exists || v->dismissed)
        return PC_NOT_FOUND;
    if (v->role == GRP_ROLE_NONE && v->policy == GRP_POLICY_INVITE_ONLY)
        return PC_NOT_FOUND;
    switch (need) {
    case GRP_NEED_VISIBLE:
        return PC_OK;
    case GRP_NEED_MEMBER:
        return v->role != GRP_ROLE_NONE ? PC_OK : PC_FORBIDDEN;
    case GRP_NEED_ADMIN:
        return v->role >= GRP_ROLE_ADMIN ? PC_OK : PC_FORBIDDEN;
    case GRP_NEED_OWNER:
        return v->role == GRP_ROLE_OWNER ? PC_OK : PC_FORBIDDEN;
    }
    return PC_FORBIDDEN;
}

const char *grp_gate_message(const grp_view_t *v, grp_need_t need)
{
    if (grp_gate(v, need) == PC_NOT_FOUND)
        return "group not found";
    if (v->role == GRP_ROLE_NONE)
        return "not a member of this group";
    return need == GRP_NEED_OWNER ? "only the owner may do this"
                                  : "only the owner or an admin may do this";
}

int grp_may_set_role(grp_role_t actor, grp_role_t target, bool self, grp_role_t new_role,
                     const char **why)
{
    if (new_role == GRP_ROLE_OWNER) {
        *why = "role must be \"admin\" or \"member\"; ownership moves by transfer";
        return PC_INVALID_ARGUMENT;
    }
    if (new_role == GRP_ROLE_NONE) {
        *why = "role must be \"admin\" or \"member\"";
        return PC_INVALID_ARGUMENT;
    }
    if (actor != GRP_ROLE_OWNER) {
        *why = "only the owner sets roles";
        return PC_FORBIDDEN;
    }
    if (target == GRP_ROLE_NONE) {
        *why = "member not found";
        return PC_NOT_FOUND;
    }
    if (self || target == GRP_ROLE_OWNER) {
        *why = "the owner's role changes only by a transfer";
        return PC_CONFLICT;
    }
    *why = NULL;
    return PC_OK;
}

int grp_may_mute(grp_role_t actor, grp_role_t target, const char **why)
{
    if (actor < GRP_ROLE_ADMIN) {
        *why = "only the owner or an admin may mute";
        return PC_FORBIDDEN;
    }
    if (target == GRP_ROLE_NONE) {
        *why = "member not found";
        return PC_NOT_FOUND;
    }
    if (target == GRP_ROLE_OWNER) {
        *why = "the owner cannot be muted";
        return PC_FORBIDDEN;
    }
    if (actor == GRP_ROLE_ADMIN && target == GRP_ROLE_ADMIN) {
        *why = "an admin cannot mute another admin";
        return PC_FORBIDDEN;
    }
    *why = NULL;
    return PC_OK;
}

grp_remove_t grp_decide_remove(grp_role_t actor, grp_role_t target, bool self, int *status,
                               const char **why)
{
    *why = NULL;
    *status = PC_OK;
    if (self) {
        if (actor == GRP_ROLE_NONE) {
            *status = PC_NOT_FOUND;
            *why = "member not found";
            return GRP_REMOVE_REFUSED;
        }
        if (actor == GRP_ROLE_OWNER) {
            *status = PC_CONFLICT;
            *why = "the owner must transfer ownership before leaving";
            return GRP_REMOVE_REFUSED;
        }
        return GRP_REMOVE_LEAVE;
    }
    if (actor < GRP_ROLE_ADMIN) {
        *status = PC_FORBIDDEN;
        *why = "only the owner or an admin may remove members";
    } else if (target == GRP_ROLE_NONE) {
        *status = PC_NOT_FOUND;
        *why = "member not found";
    } else if (target == GRP_ROLE_OWNER || (actor == GRP_ROLE_ADMIN && target == GRP_ROLE_ADMIN)) {
        *status = PC_FORBIDDEN;
        *why = "an admin cannot remove another admin or the owner";
    }
    return *status == PC_OK ? GRP_REMOVE_KICK : GRP_REMOVE_REFUSED;
}

int grp_may_transfer(grp_role_t target, bool self, const char **why)
{
    if (self) {
        *why = "you already own this group";
        return PC_INVALID_ARGUMENT;
    }
    if (target == GRP_ROLE_NONE) {
        *why = "member not found";
        return PC_NOT_FOUND;
    }
    *why = NULL;
    return PC_OK;
}

grp_join_t grp_decide_join(const grp_view_t *v, bool pending, int member_count, int *status,
                           const char **why)
{
    *status = PC_OK;
    *why = NULL;
    if (!v->exists || v->dismissed) {
        *status = PC_NOT_FOUND;
        *why = "group not found";
    } else if (v->role != GRP_ROLE_NONE) {
        *status = PC_CONFLICT;
        *why = "already a member of this group";
    } else if (v->policy == GRP_POLICY_INVITE_ONLY) {
        *status = PC_NOT_FOUND;
        *why = "group not found";
    } else if (pending) {
        *status = PC_CONFLICT;
        *why = "a join request is already pending";
    } else if (member_count >= GRP_MAX_MEMBERS) {
        *status = PC_CONFLICT;
        *why = "the group is full";
    }
    if (*status != PC_OK)
        return GRP_JOIN_REFUSED;
    return v->policy == GRP_POLICY_OPEN ? GRP_JOIN_NOW : GRP_JOIN_REQUEST;
}

int grp_may_decide(bool belongs, bool pending, bool approve, bool already_member, int member_count,
                   const char **why)
{
    *why = NULL;
    if (!belongs) {
        *why = "join request not found";
        return PC_NOT_FOUND;
    }
    if (!pending) {
        *why = "join request already decided";
        return PC_CONFLICT;
    }
    if (approve && already_member) {
        *why = "already a member of this group";
        return PC_CONFLICT;
    }
    if (approve && member_count >= GRP_MAX_MEMBERS) {
        *why = "the group is full";
        return PC_CONFLICT;
    }
    return PC_OK;
}

static json_t *s_ids(const int64_t *users, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_integer(users[i]));
    return a;
}

char *grp_system_text(const char *kind, int64_t actor, const int64_t *users, size_t n,
                      const char *role, bool added)
{
    json_t *o = NULL;
    int64_t first = n > 0 ? users[0] : 0;
    if (strcmp(kind, "created") == 0)
        o = json_pack("{s:s, s:o}", "event", "group_created", "user_ids", s_ids(users, n));
    else if (strcmp(kind, "joined") == 0 && (added || n != 1))
        o = json_pack("{s:s, s:o}", "event", "members_added", "user_ids", s_ids(users, n));
    else if (strcmp(kind, "joined") == 0)
        o = json_pack("{s:s, s:I}", "event", "member_joined", "user_id", (json_int_t)first);
    else if (strcmp(kind, "left") == 0)
        o = json_pack("{s:s, s:I}", "event", "member_left", "user_id", (json_int_t)first);
    else if (strcmp(kind, "removed") == 0)
        o = json_pack("{s:s, s:I}", "event", "member_removed", "user_id", (json_int_t)first);
    else if (strcmp(kind, "role") == 0)
        o = json_pack("{s:s, s:I, s:s}", "event", "role_changed", "user_id", (json_int_t)first,
                      "role", role ? role : "member");
    else if (strcmp(kind, "transfer") == 0)
        o = json_pack("{s:s, s:I, s:I}", "event", "owner_transferred", "user_id", (json_int_t)first,
                      "previous_owner_id", (json_int_t)actor);
    else if (strcmp(kind, "dismissed") == 0)
        o = json_pack("{s:s}", "event", "group_dismissed");
    if (o == NULL)
        return NULL;
    char *text = pc_json_dump(o);
    json_decref(o);
    return text;
}

bool grp_cursor_parse(const char *text, int64_t *count, int64_t *id)
{
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return false;
    char *end = NULL;
    errno = 0;
    long long c = strtoll(text, &end, 10);
    if (errno != 0 || *end != '.' || c < 0 || c > INT32_MAX)
        return false;
    const char *rest = end + 1;
    if (rest[0] < '0' || rest[0] > '9')
        return false;
    long long i = strtoll(rest, &end, 10);
    if (errno != 0 || *end != '\0' || i <= 0)
        return false;
    *count = c;
    *id = i;
    return true;
}

void grp_cursor_format(int64_t count, int64_t id, char *out, size_t size)
{
    snprintf(out, size, "%" PRId64 ".%" PRId64, count, id);
}
