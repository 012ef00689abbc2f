/* fields.c - required and optional fields of request bodies. */
#include "fields.h"

#include <stdio.h>

#include "json.h"

int gw_field_string(json_t *body, const char *key, char **out, char *err, size_t errlen)
{
    const char *v = NULL;
    switch (pc_json_string(body, key, &v, err, errlen)) {
    case PC_FIELD_SET:
        *out = (char *)v;
        return 0;
    case PC_FIELD_ABSENT:
        snprintf(err, errlen, "field \"%s\" is required", key);
        return -1;
    case PC_FIELD_NULL:
        snprintf(err, errlen, "field \"%s\" must be a string", key);
        return -1;
    case PC_FIELD_INVALID:
    default:
        return -1;
    }
}

int gw_field_string_opt(json_t *body, const char *key, char **out, char *err, size_t errlen)
{
    const char *v = NULL;
    *out = NULL;
    switch (pc_json_string(body, key, &v, err, errlen)) {
    case PC_FIELD_SET:
        *out = (char *)v;
        return 0;
    case PC_FIELD_INVALID:
        return -1;
    default: /* absent or null: not given */
        return 0;
    }
}

int gw_field_id(json_t *body, const char *key, int64_t *out, char *err, size_t errlen)
{
    switch (pc_json_int(body, key, 1, GW_ID_MAX, out, err, errlen)) {
    case PC_FIELD_SET:
        return 0;
    case PC_FIELD_ABSENT:
        snprintf(err, errlen, "field \"%s\" is required", key);
        return -1;
    case PC_FIELD_NULL:
        snprintf(err, errlen, "field \"%s\" must be an integer from 1 to %lld", key,
                 (long long)GW_ID_MAX);
        return -1;
    case PC_FIELD_INVALID:
    default:
        return -1;
    }
}
