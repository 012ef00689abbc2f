/* envelope.h - the bytes of one RPC between Pigeon processes, and the
 * ZeroMQ context every Pigeon socket lives in.
 *
 * A request travels as one packed pigeon.Request frame, its answer as one
 * packed pigeon.Reply frame (proto/envelope.proto). Everything read here comes
 * from a socket, so sizes are checked before unpacking and fields are
 * validated after; nothing asserts on what arrives. Whoever unpacks frees,
 * once. */
#ifndef PIGEON_ENVELOPE_H
#define PIGEON_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

/* Largest envelope accepted: a 10 MiB media upload plus its fields. Also the
 * ZMQ_MAXMSGSIZE of RPC frontends (a larger message drops the connection). */
#define PC_ENVELOPE_MAX_BYTES (16u * 1024u * 1024u)

/* Request ids are 32 lowercase hex chars when Pigeon makes them; anything of
 * 1..64 printable ASCII characters is accepted from the wire. */
#define PC_REQUEST_ID_MAX 64
#define PC_METHOD_MAX 128

/* The process-wide ZeroMQ context (created on first use, never terminated,
 * so exit never waits on a socket some thread forgot). Every Pigeon socket is
 * made from it, which is what lets inproc:// endpoints find each other. */
void *pc_zmq_context(void);

/* Packs into a malloc'd buffer; NULL on OOM or when larger than
 * PC_ENVELOPE_MAX_BYTES. *len gets the size. */
uint8_t *pc_envelope_pack_request(const Pigeon__Request *req, size_t *len);
uint8_t *pc_envelope_pack_reply(const Pigeon__Reply *rep, size_t *len);

/* Unpacks and validates; NULL for empty, oversize, malformed or invalid
 * input (bad request id, empty method). Free with the matching _free. */
Pigeon__Request *pc_envelope_unpack_request(const uint8_t *data, size_t len);
Pigeon__Reply *pc_envelope_unpack_reply(const uint8_t *data, size_t len);
void pc_envelope_free_request(Pigeon__Request **req);
void pc_envelope_free_reply(Pigeon__Reply **rep);

/* Builds and packs a reply in one step. error and body may be NULL. */
uint8_t *pc_envelope_build_reply(const char *request_id, int status, const char *error,
                                 const uint8_t *body, size_t body_len, unsigned retry_after_s,
                                 size_t *len);

/* True for 1..PC_REQUEST_ID_MAX printable ASCII characters (no spaces). */
bool pc_envelope_valid_id(const char *id);

#endif
