/* account_map.h - account JSON <-> pigeon.auth protobuf. Pure, no I/O.
 *
 * Request mappers check types strictly ("username": 5 is 400), require the
 * required fields and ignore unknown ones; the service checks the values
 * (lengths, characters). Strings in the messages are borrowed from the JSON
 * object, which must outlive them. On failure they return -1 with API.md's
 * 400 message in err. */
#ifndef PIGEON_GW_ACCOUNT_MAP_H
#define PIGEON_GW_ACCOUNT_MAP_H

#include <jansson.h>
#include <stddef.h>

#include "auth.pb-c.h"

int gw_map_register(json_t *body, Pigeon__Auth__RegisterRequest *out, char *err, size_t errlen);
int gw_map_login(json_t *body, Pigeon__Auth__LoginRequest *out, char *err, size_t errlen);

/* PATCH /v1/me: absent = unchanged; null = named in null_fields (storage for
 * those names is inside the struct). */
typedef struct {
    Pigeon__Auth__PatchMeRequest msg; /* what is sent */
    char *nulls[3];                   /* msg.null_fields points here */
} gw_patch_me_t;
int gw_map_patch_me(json_t *body, gw_patch_me_t *out, char *err, size_t errlen);

/* API.md's user object. NULL only when out of memory. */
json_t *gw_user_json(const Pigeon__Auth__User *u);
/* {"user","token","expires_at"} */
json_t *gw_session_json(const Pigeon__Auth__Session *s);
/* [user, ...]; NULL only when out of memory. */
json_t *gw_users_json(Pigeon__Auth__User *const *users, size_t n);
/* {"users":[...]} plus "next_cursor" (string or null) when with_cursor. */
json_t *gw_user_list_json(const Pigeon__Auth__UserList *l, int with_cursor);

#endif
