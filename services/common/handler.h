/* handler.h - steps every service's handlers share.
 *
 * Most methods need an authenticated caller, and every store failure is
 * answered the same way: 503 when PostgreSQL is out of reach, 504 when the
 * deadline ran out, 500 for anything else (the details go to the log, not
 * to the client). */
#ifndef PIGEON_HANDLER_H
#define PIGEON_HANDLER_H

#include <stdint.h>

#include "rpc_server.h"

/* The caller's user id; 0 after answering 401 when the call carries none. */
int64_t pc_handler_caller(pc_call_t *call);

/* The caller's request, unpacked with `desc` and owned by the call, with
 * *me set to the caller and *st to PC_OK; NULL after answering 401 (no
 * caller) or 400 (a malformed body), with the status to return in *st. */
void *pc_handler_request(pc_call_t *call, const ProtobufCMessageDescriptor *desc, int64_t *me,
                         int *st);

/* Answers a failed store step ("could not <what>") and returns the status
 * sent: PC_UNAVAILABLE and PC_DEADLINE_EXCEEDED as they are, PC_INTERNAL
 * for anything else. */
int pc_handler_store_failed(pc_call_t *call, int status, const char *what);

#endif
