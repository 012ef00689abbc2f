/* api_json.c - API.md's objects as JSON (see api_json.h).
 *
 * json_pack's "o" steals its reference even when packing fails, and "o?" /
 * "s?" turn a NULL into JSON null, so each encoder is one call with no
 * cleanup path of its own. */
#include "api_json.h"

#include <stdlib.h>

#include "json.h"

json_t *pc_api_user(const Pigeon__Auth__User *u)
{
    if (u == NULL)
        return NULL;
    json_t *avatar = u->has_avatar_media_id ? json_integer(u->avatar_media_id) : NULL;
    return json_pack("{s:I, s:s, s:s, s:o?, s:s, s:o}", "id", (json_int_t)u->id, "username",
                     u->username, "nickname", u->nickname, "avatar_media_id", avatar, "add_policy",
                     u->add_policy, "created_at", pc_json_time(u->created_at_us));
}

json_t *pc_api_contact(const Pigeon__Rel__Contact *c)
{
    if (c == NULL || c->user == NULL)
        return NULL;
    return json_pack("{s:o, s:s, s:s?, s:o}", "user", pc_api_user(c->user), "kind", c->kind,
                     "remark", c->remark, "since", pc_json_time(c->since_us));
}

json_t *pc_api_friend_request(const Pigeon__Rel__FriendRequest *r)
{
    if (r == NULL || r->from == NULL || r->to == NULL)
        return NULL;
    return json_pack("{s:I, s:o, s:o, s:s?, s:s, s:o}", "id", (json_int_t)r->id, "from",
                     pc_api_user(r->from), "to", pc_api_user(r->to), "message", r->message,
                     "status", r->status, "created_at", pc_json_time(r->created_at_us));
}

char *pc_api_frame(const char *type, const char *key, json_t *value)
{
    if (value == NULL)
        return NULL;
    json_t *frame = json_pack("{s:s, s:o}", "type", type, key, value);
    if (frame == NULL)
        return NULL;
    char *text = pc_json_dump(frame);
    json_decref(frame);
    return text;
}
