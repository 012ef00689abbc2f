/* auth_validate.c - the rules for what pigeon-auth accepts. */
#include "auth_validate.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static bool s_fail(char *err, size_t errlen, const char *msg)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s", msg);
    return false;
}

static bool s_username_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static unsigned char s_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

bool auth_validate_username(const char *in, char out[AUTH_USERNAME_MAX + 1], char *err,
                            size_t errlen)
{
    static const char *const msg =
        "username must be 3 to 32 characters of a-z, 0-9, '_', '.' or '-'";
    if (in == NULL)
        return s_fail(err, errlen, "username is required");
    size_t len = strlen(in);
    if (len < AUTH_USERNAME_MIN || len > AUTH_USERNAME_MAX)
        return s_fail(err, errlen, msg);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s_lower((unsigned char)in[i]);
        if (!s_username_char(c))
            return s_fail(err, errlen, msg);
        out[i] = (char)c;
    }
    out[len] = '\0';
    return true;
}

bool auth_validate_nickname(const char *s, char *err, size_t errlen)
{
    if (s == NULL)
        return s_fail(err, errlen, "nickname is required");
    if (!pc_utf8_text_ok(s, 1, AUTH_NICKNAME_MAX_CHARS))
        return s_fail(
            err, errlen,
            "nickname must be 1 to 64 characters of valid UTF-8 without control characters");
    return true;
}

bool auth_validate_password(const char *s, char *err, size_t errlen)
{
    if (s == NULL)
        return s_fail(err, errlen, "password is required");
    size_t len = strlen(s);
    if (len < AUTH_PASSWORD_MIN || len > AUTH_PASSWORD_MAX)
        return s_fail(err, errlen, "password must be 8 to 128 bytes");
    return true;
}

bool auth_validate_login_password(const char *s, char *err, size_t errlen)
{
    if (s == NULL || s[0] == '\0')
        return s_fail(err, errlen, "password is required");
    if (strlen(s) > AUTH_PASSWORD_MAX)
        return s_fail(err, errlen, "password must be at most 128 bytes");
    return true;
}

bool auth_validate_add_policy(const char *s, char *err, size_t errlen)
{
    if (s != NULL && (strcmp(s, "open") == 0 || strcmp(s, "approval") == 0))
        return true;
    return s_fail(err, errlen, "add_policy must be \"open\" or \"approval\"");
}

bool auth_validate_device(const char *s, char *err, size_t errlen)
{
    if (s == NULL)
        return true;
    if (!pc_utf8_text_ok(s, 1, AUTH_DEVICE_MAX_CHARS))
        return s_fail(
            err, errlen,
            "device must be 1 to 128 characters of valid UTF-8 without control characters");
    return true;
}

bool auth_validate_search_q(const char *q, char *err, size_t errlen)
{
    if (q == NULL || q[0] == '\0')
        return s_fail(err, errlen, "q must not be empty");
    if (!pc_utf8_text_ok(q, 1, AUTH_SEARCH_Q_MAX_CHARS))
        return s_fail(err, errlen,
                      "q must be 1 to 64 characters of valid UTF-8 without control characters");
    return true;
}

bool auth_validate_search_limit(bool has_limit, uint32_t limit, uint32_t *out, char *err,
                                size_t errlen)
{
    if (!has_limit) {
        *out = AUTH_SEARCH_LIMIT_DEFAULT;
        return true;
    }
    if (limit < 1 || limit > AUTH_SEARCH_LIMIT_MAX)
        return s_fail(err, errlen, "limit must be from 1 to 50");
    *out = limit;
    return true;
}

void auth_cursor_encode(const char *username, char out[AUTH_CURSOR_SIZE])
{
    size_t len = strlen(username);
    if (len > AUTH_USERNAME_MAX)
        len = AUTH_USERNAME_MAX; /* never happens for stored usernames */
    sodium_bin2base64(out, AUTH_CURSOR_SIZE, (const unsigned char *)username, len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool auth_cursor_decode(const char *cursor, char out[AUTH_USERNAME_MAX + 1])
{
    unsigned char raw[AUTH_USERNAME_MAX + 1];
    size_t raw_len = 0;
    const char *end = NULL;
    if (cursor == NULL || strlen(cursor) >= AUTH_CURSOR_SIZE)
        return false;
    if (sodium_base642bin(raw, sizeof raw - 1, cursor, strlen(cursor), NULL, &raw_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end == NULL || *end != '\0')
        return false;
    raw[raw_len] = '\0';
    char lowered[AUTH_USERNAME_MAX + 1];
    if (memchr(raw, '\0', raw_len) != NULL ||
        !auth_validate_username((const char *)raw, lowered, NULL, 0) ||
        strcmp(lowered, (const char *)raw) != 0)
        return false;
    memcpy(out, lowered, raw_len + 1);
    return true;
}

char *auth_like_pattern(const char *s, const char *before, const char *after, bool lower)
{
    size_t len = strlen(s), blen = strlen(before), alen = strlen(after);
    char *out = malloc(blen + 2 * len + alen + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    memcpy(p, before, blen);
    p += blen;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' || c == '_' || c == '\\')
            *p++ = '\\';
        *p++ = (char)(lower ? s_lower(c) : c);
    }
    memcpy(p, after, alen);
    p += alen;
    *p = '\0';
    return out;
}
