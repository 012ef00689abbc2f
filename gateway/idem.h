/* idem.h - Idempotency-Key: a client's retry gets the first answer again.
 *
 * The services store (request id -> reply) for every write; the gateway
 * makes the request id of a keyed POST a function of (user, method, path,
 * key), so a retry carries the same id and gets the stored reply. Pure. */
#ifndef PIGEON_GW_IDEM_H
#define PIGEON_GW_IDEM_H

#include <stdbool.h>
#include <stdint.h>

#define GW_IDEM_KEY_MAX 64

/* API.md: 1-64 printable ASCII characters (0x20..0x7e). */
bool gw_idem_key_valid(const char *key);

/* out = hex of the first 16 bytes of SHA-256("<user_id> <method> <path> <key>"):
 * 32 hex chars and a NUL. The user id keeps keys per user; the path keeps
 * them per path (API.md). */
void gw_idem_request_id(int64_t user_id, const char *method, const char *path, const char *key,
                        char out[33]);

#endif
