/* api_json.c - API.md's objects as JSON (see api_json.h).
 *
 * json_pack's "o" steals its reference even when packing fails, and "o?" /
 * "s?" turn a NULL into JSON null, so each encoder is one call with no
 * cleanup path of its own. */
#include "api_json.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "utf8.h"

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

/* --- messages, straight to text ------------------------------------------ */

typedef struct {
    char *p;  /* malloc'd, large enough for everything put (sized first) */
    size_t n; /* bytes put */
} s_out_t;

static void s_put(s_out_t *o, const char *s, size_t len)
{
    memcpy(o->p + o->n, s, len);
    o->n += len;
}

#define S_PUT(o, lit) s_put((o), (lit), sizeof(lit) - 1)

static void s_put_quoted(s_out_t *o, const char *s)
{
    if (s == NULL)
        S_PUT(o, "null");
    else
        o->n += pc_json_quote(s, o->p + o->n);
}

static void s_put_i64(s_out_t *o, int64_t v)
{
    char digits[20];
    size_t k = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        digits[k++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        o->p[o->n++] = '-';
    while (k > 0)
        o->p[o->n++] = digits[--k];
}

/* What s takes quoted (NULL: null); SIZE_MAX when it is not valid UTF-8,
 * which JSON cannot carry (jansson's encoders refuse it too). */
static size_t s_quoted_max(const char *s)
{
    if (s == NULL)
        return 4;
    size_t n = strlen(s);
    return pc_utf8_valid(s, n) ? 6 * n + 2 : SIZE_MAX;
}

/* head, the message object, tail: the message is encoded on every send and
 * every push, and building it as jansson values first (an allocation per
 * field, printf for every number) cost more than all the rest of an ack. */
static char *s_message_text(const char *head, const Pigeon__Msg__Message *m, const char *tail,
                            size_t *len)
{
    if (m == NULL || m->id == NULL || m->conversation_id == NULL || m->kind == NULL)
        return NULL;
    char *media = NULL;
    if (m->media != NULL && !m->recalled) { /* rare: image and voice */
        json_t *v = pc_api_media(m->media);
        media = v ? pc_json_dump(v) : NULL;
        json_decref(v);
        if (media == NULL)
            return NULL;
    }
    char when[40];
    pc_time_rfc3339(m->created_at_us, when, sizeof when);
    const char *strs[] = {m->id, m->conversation_id, m->kind, m->text, m->client_msg_id};
    size_t cap = strlen(head) + strlen(tail) + 192 + strlen(when) + (media ? strlen(media) : 4);
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        size_t q = s_quoted_max(strs[i]);
        cap = q == SIZE_MAX || cap == SIZE_MAX ? SIZE_MAX : cap + q;
    }
    s_out_t o = {cap == SIZE_MAX ? NULL : malloc(cap), 0};
    if (o.p == NULL) {
        free(media);
        return NULL;
    }
    s_put(&o, head, strlen(head));
    S_PUT(&o, "{\"id\":");
    s_put_quoted(&o, m->id);
    S_PUT(&o, ",\"conversation_id\":");
    s_put_quoted(&o, m->conversation_id);
    S_PUT(&o, ",\"seq\":");
    s_put_i64(&o, m->seq);
    S_PUT(&o, ",\"sender_id\":");
    s_put_i64(&o, m->sender_id);
    S_PUT(&o, ",\"kind\":");
    s_put_quoted(&o, m->kind);
    S_PUT(&o, ",\"text\":");
    s_put_quoted(&o, m->text);
    S_PUT(&o, ",\"media\":");
    if (media)
        s_put(&o, media, strlen(media));
    else
        S_PUT(&o, "null");
    S_PUT(&o, ",\"client_msg_id\":");
    s_put_quoted(&o, m->client_msg_id);
    S_PUT(&o, ",\"created_at\":");
    s_put_quoted(&o, when);
    if (m->recalled)
        S_PUT(&o, ",\"recalled\":true}");
    else
        S_PUT(&o, ",\"recalled\":false}");
    s_put(&o, tail, strlen(tail));
    o.p[o.n] = '\0';
    free(media);
    *len = o.n;
    return o.p;
}

char *pc_api_message_text(const Pigeon__Msg__Message *m, size_t *len)
{
    return s_message_text("", m, "", len);
}

char *pc_api_message_frame(const char *type, const Pigeon__Msg__Message *m, size_t *len)
{
    char head[160]; /* {"type":<type quoted>,"message": */
    size_t tlen = type ? strlen(type) : 0;
    if (type == NULL || 6 * tlen + 2 + 21 > sizeof head)
        return NULL;
    size_t n = sizeof "{\"type\":" - 1;
    memcpy(head, "{\"type\":", n);
    n += pc_json_quote(type, head + n);
    memcpy(head + n, ",\"message\":", sizeof ",\"message\":");
    return s_message_text(head, m, "}", len);
}

json_t *pc_api_message(const Pigeon__Msg__Message *m)
{
    size_t len = 0;
    char *text = pc_api_message_text(m, &len);
    json_t *v = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    return v;
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
