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
#include "group.pb-c.h"
#include "media.pb-c.h"
#include "relationship.pb-c.h"
#include "router.pb-c.h"

/* user: {"id","username","nickname","avatar_media_id"|null,"add_policy","created_at"} */
json_t *pc_api_user(const Pigeon__Auth__User *u);

/* contact: {"user","kind","remark"|null,"since"} */
json_t *pc_api_contact(const Pigeon__Rel__Contact *c);

/* friend_request: {"id","from","to","message"|null,"status","created_at"} */
json_t *pc_api_friend_request(const Pigeon__Rel__FriendRequest *r);

/* media: {"id","kind","mime","size","sha256","width"|null,"height"|null,
 * "duration_ms"|null,"created_at"} (uploader_id stays inside Pigeon). */
json_t *pc_api_media(const Pigeon__Media__Media *md);

/* message: {"id","conversation_id","seq","sender_id","kind","text"|null,"media"|null,
 * "client_msg_id"|null,"created_at","recalled"}. "media" is m->media (filled
 * by pigeon-router from pigeon-media for image/voice messages), null when
 * absent or recalled. */
json_t *pc_api_message(const Pigeon__Msg__Message *m);
/* The same object as compact JSON text (what pc_json_dump of
 * pc_api_message gives: that one is made from this), without building
 * jansson values: the send and push paths encode every message. malloc'd,
 * its length in *len; NULL on OOM or a NULL input. */
char *pc_api_message_text(const Pigeon__Msg__Message *m, size_t *len);
/* {"type":<type>,"message":<the message>}: a message event's frame. */
char *pc_api_message_frame(const char *type, const Pigeon__Msg__Message *m, size_t *len);

/* conversation: {"id","kind","peer"|null,"group"|null,"last_seq","read_seq",
 * "peer_read_seq"|null,"unread","last_message"|null,"updated_at"}. "group"
 * is null until pigeon-group exists. */
json_t *pc_api_conversation(const Pigeon__Msg__Conversation *c);

/* group: {"id","name","description"|null,"owner_id","join_policy","member_count","created_at"} */
json_t *pc_api_group(const Pigeon__Grp__Group *g);

/* member: {"user","role","joined_at","muted_until"|null} */
json_t *pc_api_member(const Pigeon__Grp__Member *m);

/* join_request: {"id","group_id","user","message"|null,"status","created_at"} */
json_t *pc_api_join_request(const Pigeon__Grp__JoinRequest *r);

/* A WebSocket event frame {"type": type, key: value} as compact JSON text,
 * ready to publish. Takes the reference to `value` in every case (so
 * pc_api_frame("contact", "contact", pc_api_contact(c)) leaks nothing).
 * The caller frees the result; NULL on OOM or a NULL value. */
char *pc_api_frame(const char *type, const char *key, json_t *value);

#endif
