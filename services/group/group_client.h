/* group_client.h - typed calls to pigeon-group for other processes.
 *
 * For the router: grp.membership (may this user send to / read this group?),
 * grp.roster (the current members, cached by the router) and grp.changes
 * (the membership outbox, README.md "Outbox contract"). Each returns the
 * reply status; on success the unpacked reply is the caller's to free with
 * protobuf_c_message_free_unpacked; on failure `reply` keeps the error
 * message. Clear `reply` with pc_rpc_reply_clear in every case.
 *
 * After every commit of a membership change pigeon-group publishes
 * GroupNudge{change_id} on topic "grp/": a consumer then calls grp.changes. */
#ifndef PIGEON_GROUP_CLIENT_H
#define PIGEON_GROUP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "group.pb-c.h"
#include "rpc_client.h"

/* Topic of GroupNudge events. */
#define GROUP_NUDGE_TOPIC "grp/"

/* The group (also when dismissed) and the user's membership in it;
 * (*out)->group_exists false when there is no such group. */
int group_client_membership(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t group_id,
                            int64_t user_id, Pigeon__Grp__Membership **out, pc_rpc_reply_t *reply);

/* The current members of a group (PC_NOT_FOUND when there is none). */
int group_client_roster(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t group_id,
                        Pigeon__Grp__Roster **out, pc_rpc_reply_t *reply);

/* Membership changes with id > after_id, ascending, at most limit (1..1000). */
int group_client_changes(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t after_id,
                         int limit, Pigeon__Grp__ChangeList **out, pc_rpc_reply_t *reply);

/* Parses a "grp/" event payload; false when malformed. */
bool group_client_parse_nudge(const void *payload, size_t len, int64_t *change_id);

#endif
