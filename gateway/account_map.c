/* account_map.c - account JSON <-> protobuf. */
#include "account_map.h"

#include "api_json.h"
#include "fields.h"
#include "json.h"

int gw_map_register(json_t *body, Pigeon__Auth__RegisterRequest *out, char *err, size_t errlen)
{
    pigeon__auth__register_request__init(out);
    if (gw_field_string(body, "username", &out->username, err, errlen) < 0 ||
        gw_field_string(body, "password", &out->password, err, errlen) < 0 ||
        gw_field_string(body, "nickname", &out->nickname, err, errlen) < 0)
        return -1;
    return 0;
}

int gw_map_login(json_t *body, Pigeon__Auth__LoginRequest *out, char *err, size_t errlen)
{
    pigeon__auth__login_request__init(out);
    if (gw_field_string(body, "username", &out->username, err, errlen) < 0 ||
        gw_field_string(body, "password", &out->password, err, errlen) < 0)
        return -1;
    /* absent or null: no device name */
    return gw_field_string_opt(body, "device", &out->device, err, errlen);
}

static void s_add_null(gw_patch_me_t *p, const char *name)
{
    p->nulls[p->msg.n_null_fields++] = (char *)name;
}

/* A string field of a PATCH: set, cleared (null) or left alone. */
static int s_patch_string(json_t *body, gw_patch_me_t *p, const char *key, char **out, char *err,
                          size_t errlen)
{
    const char *v = NULL;
    switch (pc_json_string(body, key, &v, err, errlen)) {
    case PC_FIELD_SET:
        *out = (char *)v;
        return 0;
    case PC_FIELD_NULL:
        s_add_null(p, key);
        return 0;
    case PC_FIELD_ABSENT:
        return 0;
    case PC_FIELD_INVALID:
    default:
        return -1;
    }
}

int gw_map_patch_me(json_t *body, gw_patch_me_t *out, char *err, size_t errlen)
{
    pigeon__auth__patch_me_request__init(&out->msg);
    out->msg.null_fields = out->nulls;
    out->msg.n_null_fields = 0;
    if (s_patch_string(body, out, "nickname", &out->msg.nickname, err, errlen) < 0)
        return -1;
    int64_t avatar = 0;
    switch (pc_json_int(body, "avatar_media_id", 1, GW_ID_MAX, &avatar, err, errlen)) {
    case PC_FIELD_SET:
        out->msg.has_avatar_media_id = 1;
        out->msg.avatar_media_id = avatar;
        break;
    case PC_FIELD_NULL:
        s_add_null(out, "avatar_media_id");
        break;
    case PC_FIELD_INVALID:
        return -1;
    default:
        break;
    }
    if (s_patch_string(body, out, "add_policy", &out->msg.add_policy, err, errlen) < 0)
        return -1;
    return 0;
}

/* One encoder for the user object across Pigeon (REST answers and events). */
json_t *gw_user_json(const Pigeon__Auth__User *u)
{
    return pc_api_user(u);
}

json_t *gw_session_json(const Pigeon__Auth__Session *s)
{
    if (!s->user)
        return NULL;
    return json_pack("{s:o?,s:s,s:o?}", "user", gw_user_json(s->user), "token",
                     s->token ? s->token : "", "expires_at", pc_json_time(s->expires_at_us));
}

json_t *gw_users_json(Pigeon__Auth__User *const *users, size_t n)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, gw_user_json(users[i])) < 0)
            goto fail;
    return arr;
fail:
    json_decref(arr);
    return NULL;
}

json_t *gw_user_list_json(const Pigeon__Auth__UserList *l, int with_cursor)
{
    json_t *users = gw_users_json(l->users, l->n_users);
    if (!users)
        return NULL;
    /* json_pack takes users, even on failure */
    if (with_cursor)
        return json_pack("{s:o,s:o}", "users", users, "next_cursor",
                         l->next_cursor ? json_string(l->next_cursor) : json_null());
    return json_pack("{s:o}", "users", users);
}
