/* rpc_client.h - calling a service: one DEALER per live instance.
 *
 * A pc_rpc_client_t belongs to one thread (it owns ZeroMQ sockets). It keeps
 * a DEALER connected to every live instance of its target service (from the
 * registry; ZMQ_IMMEDIATE=1, heartbeats 500 ms / 1500 ms, small HWMs,
 * reconnect interval capped low) and picks one round robin per call.
 *
 * A call sends one Envelope Request with ZMQ_DONTWAIT; an instance whose
 * DEALER cannot take it (not connected) is skipped. With no live instance the
 * call answers PC_UNAVAILABLE at once. When the chosen instance does not
 * answer within its share of the deadline, the same request (same request id:
 * writes are idempotent) goes to a different instance; with no answer by the
 * deadline the call answers PC_DEADLINE_EXCEEDED. Late replies to earlier
 * calls are recognised by request id and dropped. */
#ifndef PIGEON_RPC_CLIENT_H
#define PIGEON_RPC_CLIENT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "status.h"

typedef struct pc_rpc_client pc_rpc_client_t;

/* Per-call options. Zeroed fields take defaults. */
typedef struct {
    const char *request_id; /* 32 hex chars; NULL: a fresh random one */
    int64_t caller_id;      /* authenticated user, 0: none */
    const char *trace_id;   /* NULL: a fresh one */
    int deadline_ms;        /* total budget incl. retries; 0: the client's default */
} pc_rpc_opts_t;

/* A reply as received. */
typedef struct {
    int status;            /* pc_status_t value */
    char *error;           /* malloc'd error message or NULL */
    uint8_t *body;         /* malloc'd body bytes or NULL */
    size_t body_len;
    unsigned retry_after_s;
} pc_rpc_reply_t;

/* `service` is the registry name ("auth"). default_deadline_ms > 0. */
pc_rpc_client_t *pc_rpc_client_new(pc_registry_t *reg, const char *service, int default_deadline_ms);
void pc_rpc_client_destroy(pc_rpc_client_t **cli);

/* Calls `method` with `req` (NULL: empty body). Always fills *reply (the
 * status is also returned): transport failures become PC_UNAVAILABLE or
 * PC_DEADLINE_EXCEEDED replies with a message. Free with pc_rpc_reply_clear. */
int pc_rpc_call(pc_rpc_client_t *cli, const pc_rpc_opts_t *opts, const char *method,
                const ProtobufCMessage *req, pc_rpc_reply_t *reply);

void pc_rpc_reply_clear(pc_rpc_reply_t *reply);

/* Unpacks reply->body with `desc`; NULL (and *status = PC_INTERNAL) if the
 * body is missing or malformed. Free with protobuf_c_message_free_unpacked. */
ProtobufCMessage *pc_rpc_reply_unpack(const pc_rpc_reply_t *reply,
                                      const ProtobufCMessageDescriptor *desc, int *status);

/* Number of instances this client currently has a DEALER for (after refresh). */
size_t pc_rpc_client_instances(pc_rpc_client_t *cli);

#endif
