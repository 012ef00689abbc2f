/* messages_map.h - messages JSON <-> pigeon.msg protobuf, and the string
 * segments of message paths. Pure, no I/O.
 *
 * Like contacts_map.h: types are checked strictly ("seq": "5" is 400),
 * required fields are required, unknown ones ignored (a WebSocket "send"
 * frame's "type" among them), and the values (client_msg_id characters,
 * text length, who may message whom) are pigeon-router's to judge. Strings
 * in the messages are borrowed from the JSON object, which must outlive
 * them. On failure the mappers return -1 with API.md's 400 message in err. */
#ifndef PIGEON_GW_MESSAGES_MAP_H
#define PIGEON_GW_MESSAGES_MAP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "reply.h"
#include "router.pb-c.h"

/* POST /v1/messages: {"to": {"user_id"} | {"group_id"}, "client_msg_id", "kind",
 * "text"?, "media_id"?}; text and media_id may be null or absent. */
int gw_map_send(json_t *body, Pigeon__Msg__SendRequest *out, char *err, size_t errlen);

/* Replaces out with the message object (API.md) as the answer. */
void gw_reply_message(gw_reply_t *out, int status, const Pigeon__Msg__Message *m);

/* POST /v1/conversations/{cid}/read: {"seq"}, an integer 0..2^53-1. */
int gw_map_read(json_t *body, int64_t *seq, char *err, size_t errlen);

/* The segment of `path` between `prefix` and `suffix` (e.g.
 * "/v1/conversations/" and "/read"), URL-decoded into out. -1 when the path
 * has another shape, the segment is empty or longer than size - 1 bytes, or
 * its %-escapes are bad or decode to '/' or NUL. */
int gw_path_segment(const char *path, const char *prefix, const char *suffix, char *out,
                    size_t size);

/* A query value as an integer 0..2^53-1 (decimal digits only). */
int gw_parse_seq(const char *s, int64_t *out);

/* Answers; NULL only when out of memory. */
/* {"conversations":[conversation, ...]} */
json_t *gw_conversation_list_json(const Pigeon__Msg__ConversationList *l);
/* {"messages":[message, ...], "has_more"} */
json_t *gw_history_json(const Pigeon__Msg__History *h);

#endif
