/* api_json.h - API.md's objects as JSON, from the protobuf messages services exchange.
 *
 * Shared by the gateway (REST answers) and by every service that publishes
 * WebSocket frames (events are encoded once, by the publisher), so an object
 * looks the same wherever it appears. Ids are JSON integers, times RFC 3339
 * strings (pc_json_time), an absent optional field is null. Pure, no I/O.
 *
 * Each encoder returns a new reference (NULL only on OOM or a NULL input). */
#ifndef PIGEON_API_JSON_H
#define PIGEON_API_JSON_H

#include <jansson.h>

#include "auth.pb-c.h"
#include "relationship.pb-c.h"

/* user: {"id","username","nickname","avatar_media_id"|null,"add_policy","created_at"} */
json_t *pc_api_user(const Pigeon__Auth__User *u);

/* contact: {"user","kind","remark"|null,"since"} */
json_t *pc_api_contact(const Pigeon__Rel__Contact *c);

/* friend_request: {"id","from","to","message"|null,"status","created_at"} */
json_t *pc_api_friend_request(const Pigeon__Rel__FriendRequest *r);

/* A WebSocket event frame {"type": type, key: value} as compact JSON text,
 * ready to publish. Takes the reference to `value` in every case (so
 * pc_api_frame("contact", "contact", pc_api_contact(c)) leaks nothing).
 * The caller frees the result; NULL on OOM or a NULL value. */
char *pc_api_frame(const char *type, const char *key, json_t *value);

#endif
