/* json.c - request bodies in, JSON answers out (jansson). */
#include "json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "utf8.h"

/* Writes a client-facing message. Parser messages may quote the client's own
 * bytes, and snprintf may cut a character in two: anything that would not
 * be clean UTF-8 text becomes '?', so the reason can always go into a JSON
 * error body. */
static void s_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    unsigned char *p = (unsigned char *)err;
    size_t i = 0;
    while (p[i] != '\0') {
        if (p[i] >= 0x80) {
            size_t want = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2;
            size_t have = 1;
            while (have < want && p[i + have] != '\0')
                have++;
            if (have == want && pc_utf8_valid((const char *)p + i, want) &&
                !pc_utf8_has_control((const char *)p + i, want)) {
                i += want;
                continue;
            }
            p[i] = '?';
        } else if (p[i] < 0x20 || p[i] == 0x7f) {
            p[i] = '?';
        }
        i++;
    }
}

/* Nesting depth before parsing, so a "[[[[..." bomb never reaches the
 * recursive parser. Brackets inside strings do not count. O(len). */
static bool s_depth_ok(const char *buf, size_t len)
{
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > PC_JSON_MAX_DEPTH)
                return false;
        } else if (c == '}' || c == ']') {
            depth--; /* unbalanced input is the parser's to report */
        }
    }
    return true;
}

json_t *pc_json_parse_object(const char *buf, size_t len, char *err, size_t errlen)
{
    if (buf == NULL)
        len = 0;
    if (!s_depth_ok(buf, len)) {
        s_err(err, errlen, "body is nested deeper than %d levels", PC_JSON_MAX_DEPTH);
        return NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb(buf ? buf : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL) {
        s_err(err, errlen, "body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
              jerr.column);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        s_err(err, errlen, "body must be a JSON object");
        return NULL;
    }
    return v;
}

/* The value at key, or NULL when obj is not an object or lacks the key. */
static json_t *s_get(json_t *obj, const char *key)
{
    return json_is_object(obj) ? json_object_get(obj, key) : NULL;
}

pc_field_t pc_json_string(json_t *obj, const char *key, const char **out, char *err, size_t errlen)
{
    json_t *v = s_get(obj, key);
    if (v == NULL)
        return PC_FIELD_ABSENT;
    if (json_is_null(v))
        return PC_FIELD_NULL;
    if (!json_is_string(v)) {
        s_err(err, errlen, "field \"%s\" must be a string", key);
        return PC_FIELD_INVALID;
    }
    *out = json_string_value(v);
    return PC_FIELD_SET;
}

pc_field_t pc_json_int(json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
                       char *err, size_t errlen)
{
    json_t *v = s_get(obj, key);
    if (v == NULL)
        return PC_FIELD_ABSENT;
    if (json_is_null(v))
        return PC_FIELD_NULL;
    /* A JSON real such as 5.0 or 1e3 is refused: ids and counts are written
     * as integers, and accepting reals invites rounding surprises. */
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    if (!json_is_integer(v) || n < min || n > max) {
        if (min == INT64_MIN && max == INT64_MAX)
            s_err(err, errlen, "field \"%s\" must be an integer", key);
        else
            s_err(err, errlen, "field \"%s\" must be an integer from %" PRId64 " to %" PRId64, key,
                  min, max);
        return PC_FIELD_INVALID;
    }
    *out = (int64_t)n;
    return PC_FIELD_SET;
}

pc_field_t pc_json_bool(json_t *obj, const char *key, bool *out, char *err, size_t errlen)
{
    json_t *v = s_get(obj, key);
    if (v == NULL)
        return PC_FIELD_ABSENT;
    if (json_is_null(v))
        return PC_FIELD_NULL;
    if (!json_is_boolean(v)) {
        s_err(err, errlen, "field \"%s\" must be true or false", key);
        return PC_FIELD_INVALID;
    }
    *out = json_is_true(v);
    return PC_FIELD_SET;
}

char *pc_json_dump(const json_t *v)
{
    if (v == NULL)
        return NULL;
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

json_t *pc_json_time(int64_t us)
{
    char buf[40];
    pc_time_rfc3339(us, buf, sizeof buf);
    return json_string(buf);
}

size_t pc_json_quote(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            break;
        }
        if (esc) {
            out[o++] = esc[0];
            out[o++] = esc[1];
        } else if (c < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[c >> 4];
            out[o + 5] = hex[c & 15];
            o += 6;
        } else {
            out[o++] = (char)c; /* UTF-8 as it is: the caller has validated it */
        }
    }
    out[o++] = '"';
    return o;
}
