/* groups_map.h - groups JSON <-> pigeon.grp protobuf. Pure, no I/O.
 *
 * Like contacts_map.h: types are checked strictly ("user_id": "5" is 400,
 * "user_ids": [0] is 400), required fields are required, unknown ones
 * ignored, and the values (name length, roles a caller may set, who may
 * join) are pigeon-group's to judge. In a PATCH an absent field stays and a
 * null one is named in null_fields; pigeon-group answers 400 for those that
 * cannot be empty (name, join_policy, role). Strings in the messages are
 * borrowed from the JSON object, which must outlive them. On failure the
 * mappers return -1 with API.md's 400 message in err. */
#ifndef PIGEON_GW_GROUPS_MAP_H
#define PIGEON_GW_GROUPS_MAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "group.pb-c.h"

/* At most this many ids in "member_ids" / "user_ids" (pigeon-group's cap). */
#define GW_GROUP_IDS_MAX 100

/* POST /v1/groups: {"name", "description"?, "join_policy"?, "member_ids"?}. */
typedef struct {
    Pigeon__Grp__CreateRequest msg; /* what is sent */
    int64_t ids[GW_GROUP_IDS_MAX];  /* msg.member_ids points here */
} gw_create_group_t;
int gw_map_create_group(json_t *body, gw_create_group_t *out, char *err, size_t errlen);

/* PATCH /v1/groups/{gid}: {"name"?, "description"?, "join_policy"?}. */
typedef struct {
    Pigeon__Grp__PatchRequest msg; /* what is sent */
    char *nulls[3];                /* msg.null_fields points here */
} gw_patch_group_t;
int gw_map_patch_group(json_t *body, int64_t group_id, gw_patch_group_t *out, char *err,
                       size_t errlen);

/* POST /v1/groups/{gid}/members: {"user_ids": [1..100 positive integers]}. */
typedef struct {
    Pigeon__Grp__AddMembersRequest msg; /* what is sent */
    int64_t ids[GW_GROUP_IDS_MAX];      /* msg.user_ids points here */
} gw_add_members_t;
int gw_map_add_members(json_t *body, int64_t group_id, gw_add_members_t *out, char *err,
                       size_t errlen);

/* PATCH /v1/groups/{gid}/members/{uid}: {"role"?, "muted_until"?}; muted_until
 * is an RFC 3339 string or null (unmute). */
typedef struct {
    Pigeon__Grp__SetMemberRequest msg; /* what is sent */
    char *nulls[2];                    /* msg.null_fields points here */
} gw_set_member_t;
int gw_map_set_member(json_t *body, int64_t group_id, int64_t user_id, gw_set_member_t *out,
                      char *err, size_t errlen);

/* POST /v1/groups/{gid}/transfer: {"user_id"}. */
int gw_map_transfer(json_t *body, int64_t group_id, Pigeon__Grp__MemberRequest *out, char *err,
                    size_t errlen);

/* POST /v1/groups/{gid}/join: {"message"?} (string, null or absent). */
int gw_map_join(json_t *body, int64_t group_id, Pigeon__Grp__JoinRequestBody *out, char *err,
                size_t errlen);

/* An RFC 3339 date-time ("2026-11-25T20:39:03Z", "...03.5+08:00") as
 * microseconds since the epoch, UTC. Fractions beyond microseconds are
 * truncated. False for anything else (also years outside 1970..9999). */
bool gw_parse_rfc3339(const char *s, int64_t *us);

/* Answers; NULL only when out of memory (or a malformed reply). */
/* {"groups":[group, ...]} plus "next_cursor" (string or null) when with_cursor. */
json_t *gw_group_list_json(const Pigeon__Grp__GroupList *l, bool with_cursor);
/* {"members":[member, ...]} */
json_t *gw_member_list_json(const Pigeon__Grp__MemberList *l);
/* {"requests":[join_request, ...]} */
json_t *gw_join_request_list_json(const Pigeon__Grp__JoinRequestList *l);
/* member (open join) or join_request (approval), whichever the reply holds. */
json_t *gw_join_reply_json(const Pigeon__Grp__JoinReply *r);

#endif
