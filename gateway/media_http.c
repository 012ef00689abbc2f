/* media_http.c - Range, If-None-Match and the upload limit (media_http.h). */
#include "media_http.h"

#include <string.h>
#include <strings.h>

size_t gw_media_body_limit(const char *method, const char *path)
{
    if (method && path && strcmp(method, "POST") == 0 && strcmp(path, "/v1/media") == 0)
        return GW_MEDIA_MAX_BODY;
    return 0;
}

/* Decimal digits at *p (at most 19, so no overflow); false when none. */
static bool s_number(const char **p, uint64_t *out)
{
    uint64_t v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        if (++n > 19)
            return false;
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++;
    }
    *out = v;
    return n > 0;
}

static const char *s_skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

gw_range_t gw_range_parse(const char *header, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (header == NULL)
        return GW_RANGE_NONE;
    const char *p = s_skip_ws(header);
    if (strncasecmp(p, "bytes=", 6) != 0)
        return GW_RANGE_NONE;
    p = s_skip_ws(p + 6);
    uint64_t a = 0, b = 0;
    bool has_a = s_number(&p, &a);
    if (*p++ != '-')
        return GW_RANGE_NONE;
    bool has_b = s_number(&p, &b);
    if (*s_skip_ws(p) != '\0' || (!has_a && !has_b) || (has_a && has_b && b < a))
        return GW_RANGE_NONE; /* several ranges or garbage: ignored */
    if (!has_a) { /* suffix: the last b bytes */
        if (b == 0 || size == 0)
            return GW_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return GW_RANGE_OK;
    }
    if (a >= size)
        return GW_RANGE_UNSATISFIABLE;
    *first = a;
    *last = has_b && b < size ? b : size - 1;
    return GW_RANGE_OK;
}

bool gw_etag_matches(const char *inm, const char *etag)
{
    if (inm == NULL || etag == NULL)
        return false;
    size_t elen = strlen(etag);
    const char *p = inm;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            return false;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = p;
        if (*end == '"') { /* a quoted entity tag: up to its closing quote */
            end = strchr(p + 1, '"');
            if (end == NULL)
                return false;
            end++;
        } else {
            while (*end && *end != ',')
                end++;
        }
        if ((size_t)(end - p) == elen && memcmp(p, etag, elen) == 0)
            return true;
        p = end;
    }
}
