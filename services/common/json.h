/* json.h - request bodies in, JSON answers out (jansson).
 *
 * jansson rejects invalid and overlong UTF-8, \u0000, lone surrogates and
 * trailing garbage; on top of that a body is limited in size and depth and
 * must be an object. The field getters give API.md's 400 messages. */
#ifndef PIGEON_JSON_H
#define PIGEON_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_JSON_MAX_BODY (64 * 1024) /* API.md: a JSON body may be at most 64 KiB */
#define PC_JSON_MAX_DEPTH 16

/* Parses an object body. NULL with a client-facing reason in err when it is
 * not JSON, nested deeper than PC_JSON_MAX_DEPTH, or not an object.
 * (Size is checked by the caller before reading, to answer 413.) */
json_t *pc_json_parse_object(const char *buf, size_t len, char *err, size_t errlen);

/* What a getter found. */
typedef enum {
    PC_FIELD_ABSENT = 0, /* key missing */
    PC_FIELD_NULL,       /* key present with null */
    PC_FIELD_SET,        /* present with the right type: *out is set */
    PC_FIELD_INVALID,    /* present with a wrong type or out of range: err says why */
} pc_field_t;

/* String field; *out borrowed from obj. */
pc_field_t pc_json_string(json_t *obj, const char *key, const char **out, char *err, size_t errlen);
/* Integer field in [min, max] (JSON numbers with no fraction only). */
pc_field_t pc_json_int(json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
                       char *err, size_t errlen);
pc_field_t pc_json_bool(json_t *obj, const char *key, bool *out, char *err, size_t errlen);

/* Serialises compactly (JSON_COMPACT, UTF-8 kept as is); the caller frees. */
char *pc_json_dump(const json_t *v);

/* RFC 3339 string value for microseconds since the epoch. */
json_t *pc_json_time(int64_t us);

/* s (valid UTF-8) as a JSON string literal, quotes included, escaped
 * exactly as pc_json_dump escapes it, into out (6 * strlen(s) + 2 bytes
 * suffice). Returns the bytes written, no NUL. */
size_t pc_json_quote(const char *s, char *out);

#endif
