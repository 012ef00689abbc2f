/* api_helpers.c - see api_helpers.h. */
#include "api_helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Sends body (a JSON value, stolen; NULL for none). */
h_resp_t h_call(const h_system_t *sys, const char *method, const char *path, const char *token,
                json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    h_resp_t r = h_http(sys, method, path, token, text, NULL);
    free(text);
    return r;
}

void h_expect_status(const h_resp_t *r, long status)
{
    if (r->status != status)
        fail_msg("expected %ld, got %ld: %.500s", status, r->status, r->body);
}

/* "2024-05-01T12:00:00Z" or with fractional seconds; UTC ("Z" or "+00:00"). */
bool h_is_rfc3339_utc(const char *s)
{
    if (!s)
        return false;
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    }
    const char *p = s + strlen(shape);
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return strcmp(p, "Z") == 0 || strcmp(p, "+00:00") == 0;
}

/* A user object as API.md shows it. nickname may be NULL (not checked). */
void h_check_user(json_t *user, const char *username, const char *nickname)
{
    assert_true(json_is_object(user));
    json_t *id = json_object_get(user, "id");
    assert_true(json_is_integer(id));
    assert_true(json_integer_value(id) > 0);
    assert_true(json_integer_value(id) < (1LL << 53));
    assert_string_equal(json_string_value(json_object_get(user, "username")), username);
    if (nickname)
        assert_string_equal(json_string_value(json_object_get(user, "nickname")), nickname);
    else
        assert_true(json_is_string(json_object_get(user, "nickname")));
    json_t *avatar = json_object_get(user, "avatar_media_id");
    assert_non_null(avatar); /* present, null or a number */
    assert_true(json_is_null(avatar) || json_is_integer(avatar));
    const char *policy = json_string_value(json_object_get(user, "add_policy"));
    assert_non_null(policy);
    assert_true(strcmp(policy, "open") == 0 || strcmp(policy, "approval") == 0);
    assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(user, "created_at"))));
    /* Nothing secret leaks into a user object. */
    const char *key;
    json_t *value;
    json_object_foreach(user, key, value)
    {
        assert_null(strstr(key, "password"));
        assert_null(strstr(key, "token"));
        assert_null(strstr(key, "hash"));
    }
}

/* A string of n copies of `unit`. Caller frees. */
char *h_repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *out = malloc(len * n + 1);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * len, unit, len);
    out[len * n] = '\0';
    return out;
}
