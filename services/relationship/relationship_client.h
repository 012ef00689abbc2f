/* relationship_client.h - typed calls to pigeon-relationship for other processes.
 *
 * For the router (may_message, on every direct message) and the group service
 * (is_contact, when members are named). Each returns the reply status; on
 * failure `reply` keeps the error message for the caller to pass on. Clear
 * `reply` with pc_rpc_reply_clear in every case.
 *
 * Callers that cache answers subscribe to "rel/" on pigeon-relationship's
 * publishers: a RelChanged{a, b} event (proto/relationship.proto) means
 * every cached answer about the pair {a, b} is stale. */
#ifndef PIGEON_RELATIONSHIP_CLIENT_H
#define PIGEON_RELATIONSHIP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "relationship.pb-c.h"
#include "rpc_client.h"

/* Topic of RelChanged events. */
#define RELATIONSHIP_CHANGED_TOPIC "rel/"

/* May `sender` send a direct message to `recipient`? (API.md: the recipient
 * has not blocked the sender, and they are friends or either holds the
 * other one_way.) */
int relationship_client_may_message(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t sender,
                                    int64_t recipient, bool *allowed, pc_rpc_reply_t *reply);

/* Does `owner` hold `peer` as a friend or a one_way contact? */
int relationship_client_is_contact(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t owner,
                                   int64_t peer, bool *is_contact, pc_rpc_reply_t *reply);

/* Parses a "rel/" event payload into the ordered pair; false when malformed. */
bool relationship_client_parse_changed(const void *payload, size_t len, int64_t *a, int64_t *b);

#endif
