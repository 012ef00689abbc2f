/* status.c - names and classes of API.md's error model. */
#include "status.h"

const char *pc_status_code(int status)
{
    switch (status) {
    case PC_OK:
    case PC_CREATED:
    case PC_ACCEPTED:
    case PC_NO_CONTENT:
    case PC_PARTIAL_CONTENT:
    case PC_NOT_MODIFIED:
        return "ok";
    case PC_INVALID_ARGUMENT:
        return "invalid_argument";
    case PC_UNAUTHENTICATED:
        return "unauthenticated";
    case PC_FORBIDDEN:
        return "forbidden";
    case PC_NOT_FOUND:
        return "not_found";
    case PC_CONFLICT:
        return "conflict";
    case PC_PAYLOAD_TOO_LARGE:
        return "payload_too_large";
    case PC_UNSUPPORTED_MEDIA_TYPE:
        return "unsupported_media_type";
    case PC_RANGE_NOT_SATISFIABLE:
        return "range_not_satisfiable";
    case PC_RATE_LIMITED:
        return "rate_limited";
    case PC_UNAVAILABLE:
        return "unavailable";
    case PC_DEADLINE_EXCEEDED:
        return "deadline_exceeded";
    case PC_INTERNAL:
    default:
        return "internal";
    }
}

bool pc_status_is_known(int status)
{
    switch (status) {
    case PC_OK:
    case PC_CREATED:
    case PC_ACCEPTED:
    case PC_NO_CONTENT:
    case PC_PARTIAL_CONTENT:
    case PC_NOT_MODIFIED:
    case PC_INVALID_ARGUMENT:
    case PC_UNAUTHENTICATED:
    case PC_FORBIDDEN:
    case PC_NOT_FOUND:
    case PC_CONFLICT:
    case PC_PAYLOAD_TOO_LARGE:
    case PC_UNSUPPORTED_MEDIA_TYPE:
    case PC_RANGE_NOT_SATISFIABLE:
    case PC_RATE_LIMITED:
    case PC_INTERNAL:
    case PC_UNAVAILABLE:
    case PC_DEADLINE_EXCEEDED:
        return true;
    default:
        return false;
    }
}

bool pc_status_is_success(int status)
{
    return (status >= 200 && status < 300) || status == PC_NOT_MODIFIED;
}

bool pc_status_is_replayable(int status)
{
    if (pc_status_is_success(status))
        return true;
    return status >= 400 && status < 500 && status != PC_RATE_LIMITED;
}
