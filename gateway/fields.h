/* fields.h - typed fields of request bodies, shared by the *_map.c mappers. Pure.
 *
 * On top of json.h's getters, these settle what "required" and "optional"
 * mean for the gateway: a required field that is absent is "is required",
 * null or of a wrong type is "must be ..."; an optional one may be absent or
 * null (both: not given). On failure they return -1 with API.md's 400
 * message in err. Strings are borrowed from the JSON object. */
#ifndef PIGEON_GW_FIELDS_H
#define PIGEON_GW_FIELDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define GW_ID_MAX (((int64_t)1 << 53) - 1) /* API.md: ids are JSON numbers below 2^53 */

int gw_field_string(json_t *body, const char *key, char **out, char *err, size_t errlen);
/* *out stays NULL when absent or null. */
int gw_field_string_opt(json_t *body, const char *key, char **out, char *err, size_t errlen);
/* An id: an integer 1..GW_ID_MAX. */
int gw_field_id(json_t *body, const char *key, int64_t *out, char *err, size_t errlen);

#endif
