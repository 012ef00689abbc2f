/* handler.c - steps every service's handlers share (see handler.h). */
#include "handler.h"

#include "status.h"

int64_t pc_handler_caller(pc_call_t *call)
{
    int64_t caller = pc_call_caller(call);
    if (caller <= 0) {
        pc_call_error(call, PC_UNAUTHENTICATED, "authentication required");
        return 0;
    }
    return caller;
}

void *pc_handler_request(pc_call_t *call, const ProtobufCMessageDescriptor *desc, int64_t *me,
                         int *st)
{
    /* The caller first: an anonymous call is told 401, never 400. */
    *me = pc_handler_caller(call);
    if (*me == 0) {
        *st = PC_UNAUTHENTICATED;
        return NULL;
    }
    void *req = pc_call_unpack(call, desc);
    if (req == NULL) {
        *st = pc_call_error(call, PC_INVALID_ARGUMENT, "malformed request");
        return NULL;
    }
    *st = PC_OK;
    return req;
}

int pc_handler_store_failed(pc_call_t *call, int status, const char *what)
{
    switch (status) {
    case PC_UNAVAILABLE:
        return pc_call_error(call, status, "could not %s: the database is unavailable", what);
    case PC_DEADLINE_EXCEEDED:
        return pc_call_error(call, status, "could not %s in time", what);
    default:
        return pc_call_error(call, PC_INTERNAL, "could not %s", what);
    }
}
