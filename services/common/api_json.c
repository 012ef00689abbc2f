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

json_t *pc_api_media(const Pigeon__Media__Media *md)
{
    if (md == NULL)
        return NULL;
    json_t *width = md->has_width ? json_integer(md->width) : NULL;
    json_t *height = md->has_height ? json_integer(md->height) : NULL;
    json_t *duration = md->has_duration_ms ? json_integer(md->duration_ms) : NULL;
    return json_pack("{s:I, s:s, s:s, s:I, s:s, s:o?, s:o?, s:o?, s:o}", "id", (json_int_t)md->id,
                     "kind", md->kind, "mime", md->mime, "size", (json_int_t)md->size, "sha256",
                     md->sha256, "width", width, "height", height, "duration_ms", duration,
                     "created_at", pc_json_time(md->created_at_us));
}

json_t *pc_api_message(const Pigeon__Msg__Message *m)
{
    if (m == NULL)
        return NULL;
    json_t *media = m->media != NULL && !m->recalled ? pc_api_media(m->media) : NULL;
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s?, s:o?, s:s?, s:o, s:b}", "id", m->id,
                     "conversation_id", m->conversation_id, "seq", (json_int_t)m->seq,
                     "sender_id", (json_int_t)m->sender_id, "kind", m->kind, "text", m->text,
                     "media", media, "client_msg_id", m->client_msg_id, "created_at",
                     pc_json_time(m->created_at_us), "recalled", (int)m->recalled);
}

json_t *pc_api_conversation(const Pigeon__Msg__Conversation *c)
{
    if (c == NULL)
        return NULL;
    json_t *peer = c->peer ? pc_api_user(c->peer) : NULL;
    json_t *peer_read = c->has_peer_read_seq ? json_integer(c->peer_read_seq) : NULL;
    json_t *last = c->last_message ? pc_api_message(c->last_message) : NULL;
    json_t *group = c->group ? pc_api_group(c->group) : NULL;
    return json_pack("{s:s, s:s, s:o?, s:o?, s:I, s:I, s:o?, s:I, s:o?, s:o}", "id", c->id, "kind",
                     c->kind, "peer", peer, "group", group, "last_seq", (json_int_t)c->last_seq,
                     "read_seq", (json_int_t)c->read_seq, "peer_read_seq", peer_read, "unread",
                     (json_int_t)c->unread, "last_message", last, "updated_at",
                     pc_json_time(c->updated_at_us));
}

json_t *pc_api_group(const Pigeon__Grp__Group *g)
{
    if (g == NULL)
        return NULL;
    return json_pack("{s:I, s:s, s:s?, s:I, s:s, s:i, s:o}", "id", (json_int_t)g->id, "name",
                     g->name, "description", g->description, "owner_id", (json_int_t)g->owner_id,
                     "join_policy", g->join_policy, "member_count", (int)g->member_count,
                     "created_at", pc_json_time(g->created_at_us));
}

json_t *pc_api_member(const Pigeon__Grp__Member *m)
{
    if (m == NULL || m->user == NULL)
        return NULL;
    json_t *muted = m->has_muted_until_us ? pc_json_time(m->muted_until_us) : NULL;
    return json_pack("{s:o, s:s, s:o, s:o?}", "user", pc_api_user(m->user), "role", m->role,
                     "joined_at", pc_json_time(m->joined_at_us), "muted_until", muted);
}

json_t *pc_api_join_request(const Pigeon__Grp__JoinRequest *r)
{
    if (r == NULL || r->user == NULL)
        return NULL;
    return json_pack("{s:I, s:I, s:o, s:s?, s:s, s:o}", "id", (json_int_t)r->id, "group_id",
                     (json_int_t)r->group_id, "user", pc_api_user(r->user), "message", r->message,
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
