/* contacts_map.h - contacts JSON <-> pigeon.rel protobuf. Pure, no I/O.
 *
 * Like account_map.h: types are checked strictly ("user_id": "5" is 400),
 * required fields are required, unknown ones ignored, and the values
 * (text lengths, whether the user exists) are pigeon-relationship's to
 * judge. Strings in the messages are borrowed from the JSON object, which
 * must outlive them. On failure the mappers return -1 with API.md's 400
 * message in err. */
#ifndef PIGEON_GW_CONTACTS_MAP_H
#define PIGEON_GW_CONTACTS_MAP_H

#include <jansson.h>
#include <stddef.h>

#include "relationship.pb-c.h"

/* POST /v1/contacts: {"user_id", "mode": "one_way"|"two_way", "message"?, "remark"?};
 * message and remark may be strings, null or absent (null = absent). */
int gw_map_add_contact(json_t *body, Pigeon__Rel__AddRequest *out, char *err, size_t errlen);

/* POST /v1/blocks: {"user_id"}. */
int gw_map_block(json_t *body, Pigeon__Rel__UserIdRequest *out, char *err, size_t errlen);

/* Answers; NULL only when out of memory. */
/* {"contact"} or {"request"}, whichever the reply holds. */
json_t *gw_add_reply_json(const Pigeon__Rel__AddReply *r);
/* {"contacts":[contact, ...]} */
json_t *gw_contact_list_json(const Pigeon__Rel__ContactList *l);
/* {"requests":[friend_request, ...]} */
json_t *gw_request_list_json(const Pigeon__Rel__FriendRequestList *l);
/* {"users":[user, ...]} */
json_t *gw_block_list_json(const Pigeon__Rel__BlockList *l);

#endif
