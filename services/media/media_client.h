/* media_client.h - typed calls to pigeon-media for other processes.
 *
 * For pigeon-router (an image or voice message's media_id: it must exist,
 * be the sender's and be of the message's kind; the message carries the
 * Media object) and pigeon-auth (an avatar must be an image the user
 * uploaded). Each returns the reply status; on failure `reply` keeps the
 * error message for the caller to pass on. Clear `reply` with
 * pc_rpc_reply_clear in every case. */
#ifndef PIGEON_MEDIA_CLIENT_H
#define PIGEON_MEDIA_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "media.pb-c.h"
#include "rpc_client.h"

/* media.get: *media is the caller's (protobuf_c_message_free_unpacked). */
int media_client_get(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t id,
                     Pigeon__Media__Media **media, pc_rpc_reply_t *reply);

/* media.check for 1..100 ids: *out holds one item per id, in order
 * (pigeon__media__check_reply__free_unpacked). */
int media_client_check(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const int64_t *ids,
                       size_t n, Pigeon__Media__CheckReply **out, pc_rpc_reply_t *reply);

/* API.md's rule for media named in a message or as an avatar, in one call:
 * PC_OK with *media (the caller's) when `id` exists, was uploaded by
 * `owner` and is of `kind` ("image" | "voice"); PC_NOT_FOUND when it does
 * not exist or is someone else's; PC_INVALID_ARGUMENT when it is of the
 * other kind; or the call's failure. On failure reply->error says why. */
int media_client_require(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, int64_t id,
                         int64_t owner, const char *kind, Pigeon__Media__Media **media,
                         pc_rpc_reply_t *reply);

#endif
