/* test_json.c - request bodies: what is accepted, what is refused and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

static json_t *s_parse(const char *text, char *err, size_t errlen)
{
    return pc_json_parse_object(text, strlen(text), err, errlen);
}

/* Expects `text` refused with a reason starting with `prefix`. */
static void s_refused(const char *text, size_t len, const char *prefix)
{
    char err[256] = "";
    json_t *v = pc_json_parse_object(text, len, err, sizeof err);
    if (v != NULL) {
        json_decref(v);
        fail_msg("accepted: %.60s", text);
    }
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("reason \"%s\" does not start with \"%s\"", err, prefix);
    /* The reason goes into an error body: it must be clean UTF-8 text. */
    assert_true(pc_utf8_valid(err, strlen(err)));
    assert_false(pc_utf8_has_control(err, strlen(err)));
}

static void test_register_body(void **state)
{
    char err[256] = "";
    json_t *body = s_parse("{\"username\":\"alice\",\"password\":\"correct horse\","
                           "\"nickname\":\"Alice \xe5\xb0\x8f\",\"limit\":20,\"remember\":true}",
                           err, sizeof err);
    assert_non_null(body);

    const char *username = NULL;
    assert_int_equal(pc_json_string(body, "username", &username, err, sizeof err), PC_FIELD_SET);
    assert_string_equal(username, "alice");
    int64_t limit = 0;
    assert_int_equal(pc_json_int(body, "limit", 1, 50, &limit, err, sizeof err), PC_FIELD_SET);
    assert_int_equal(limit, 20);
    bool remember = false;
    assert_int_equal(pc_json_bool(body, "remember", &remember, err, sizeof err), PC_FIELD_SET);
    assert_true(remember);
    assert_int_equal(pc_json_string(body, "device", &username, err, sizeof err), PC_FIELD_ABSENT);
    json_decref(body);
}

static void test_not_json(void **state)
{
    s_refused("", 0, "body is not valid JSON: ");
    s_refused("{", 1, "body is not valid JSON: ");
    s_refused("{\"a\":1,}", 8, "body is not valid JSON: ");
    s_refused("{'a':1}", 7, "body is not valid JSON: ");
    s_refused("{\"a\":1} x", 9, "body is not valid JSON: "); /* trailing garbage */
    s_refused("{\"a\":1}{}", 9, "body is not valid JSON: ");
    s_refused("{\"a\":NaN}", 9, "body is not valid JSON: ");
}

static void test_not_an_object(void **state)
{
    s_refused("[]", 2, "body must be a JSON object");
    s_refused("[{\"a\":1}]", 9, "body must be a JSON object");
    /* jansson refuses bare scalars without JSON_DECODE_ANY */
    s_refused("42", 2, "body is not valid JSON: ");
}

static void test_duplicate_keys_are_malformed(void **state)
{
    s_refused("{\"user_id\":1,\"user_id\":2}", 25, "body is not valid JSON: ");
}

static void test_bad_text_is_refused(void **state)
{
    static const char bad_bytes[] = "{\"name\":\"a\xff\"}";
    s_refused(bad_bytes, sizeof bad_bytes - 1, "body is not valid JSON: ");
    static const char overlong[] = "{\"name\":\"\xc0\xaf\"}";
    s_refused(overlong, sizeof overlong - 1, "body is not valid JSON: ");
    static const char surrogate_bytes[] = "{\"name\":\"\xed\xa0\x80\"}";
    s_refused(surrogate_bytes, sizeof surrogate_bytes - 1, "body is not valid JSON: ");
    s_refused("{\"name\":\"a\\u0000b\"}", 19, "body is not valid JSON: ");
    s_refused("{\"name\":\"\\ud800\"}", 17, "body is not valid JSON: ");
    s_refused("{\"name\":\"\\udc00x\"}", 18, "body is not valid JSON: ");
    static const char nul_byte[] = "{\"a\":1}\0";
    s_refused(nul_byte, sizeof nul_byte - 1, "body is not valid JSON: ");
    static const char raw_newline[] = "{\"a\":\"x\ny\"}";
    s_refused(raw_newline, sizeof raw_newline - 1, "body is not valid JSON: ");
}

static void test_escaped_pair_is_fine(void **state)
{
    char err[256] = "";
    json_t *v = s_parse("{\"name\":\"\\ud83d\\udc26\"}", err, sizeof err);
    assert_non_null(v);
    const char *name = NULL;
    assert_int_equal(pc_json_string(v, "name", &name, err, sizeof err), PC_FIELD_SET);
    assert_string_equal(name, "\xf0\x9f\x90\xa6");
    json_decref(v);
}

static char *s_nested(int depth, const char *open, const char *close, const char *inner)
{
    size_t len =
        strlen("{\"a\":") + (size_t)depth * (strlen(open) + strlen(close)) + strlen(inner) + 2;
    char *text = malloc(len);
    assert_non_null(text);
    strcpy(text, "{\"a\":");
    for (int i = 0; i < depth; i++)
        strcat(text, open);
    strcat(text, inner);
    for (int i = 0; i < depth; i++)
        strcat(text, close);
    strcat(text, "}");
    return text;
}

static void test_depth_limit(void **state)
{
    char err[256] = "";
    /* The object itself is level 1: 15 more arrays make 16, the limit. */
    char *ok = s_nested(PC_JSON_MAX_DEPTH - 1, "[", "]", "1");
    json_t *v = s_parse(ok, err, sizeof err);
    assert_non_null(v);
    json_decref(v);
    free(ok);

    char *deep = s_nested(PC_JSON_MAX_DEPTH, "[", "]", "1");
    s_refused(deep, strlen(deep), "body is nested deeper than 16 levels");
    free(deep);

    /* A bomb far deeper than any stack would like, and unterminated. */
    size_t n = 1000000;
    char *bomb = malloc(n);
    assert_non_null(bomb);
    memset(bomb, '[', n);
    bomb[0] = '{';
    s_refused(bomb, n, "body is nested deeper than 16 levels");
    free(bomb);
}

static void test_brackets_inside_strings_do_not_count(void **state)
{
    char err[256] = "";
    char *text = s_nested(0, "", "", "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[[[[[[\"");
    json_t *v = s_parse(text, err, sizeof err);
    free(text);
    assert_non_null(v);
    json_decref(v);
}

static void test_getters_wrong_types(void **state)
{
    char err[256] = "";
    json_t *v =
        s_parse("{\"username\":5,\"limit\":\"20\",\"flag\":1,\"gone\":null}", err, sizeof err);
    assert_non_null(v);
    const char *s = NULL;
    assert_int_equal(pc_json_string(v, "username", &s, err, sizeof err), PC_FIELD_INVALID);
    assert_string_equal(err, "field \"username\" must be a string");
    int64_t n = 0;
    assert_int_equal(pc_json_int(v, "limit", 1, 50, &n, err, sizeof err), PC_FIELD_INVALID);
    assert_string_equal(err, "field \"limit\" must be an integer from 1 to 50");
    bool b = false;
    assert_int_equal(pc_json_bool(v, "flag", &b, err, sizeof err), PC_FIELD_INVALID);
    assert_non_null(strstr(err, "\"flag\""));
    assert_int_equal(pc_json_string(v, "gone", &s, err, sizeof err), PC_FIELD_NULL);
    assert_int_equal(pc_json_int(v, "gone", 1, 50, &n, err, sizeof err), PC_FIELD_NULL);
    assert_int_equal(pc_json_bool(v, "gone", &b, err, sizeof err), PC_FIELD_NULL);
    assert_int_equal(pc_json_bool(v, "missing", &b, err, sizeof err), PC_FIELD_ABSENT);
    json_decref(v);
}

static void test_int_ranges_and_reals(void **state)
{
    char err[256] = "";
    json_t *v = s_parse("{\"zero\":0,\"big\":51,\"real\":5.0,\"exp\":1e1,\"neg\":-1,"
                        "\"max\":9007199254740991}",
                        err, sizeof err);
    assert_non_null(v);
    int64_t n = -7;
    assert_int_equal(pc_json_int(v, "zero", 1, 50, &n, err, sizeof err), PC_FIELD_INVALID);
    assert_int_equal(n, -7); /* untouched on error */
    assert_int_equal(pc_json_int(v, "big", 1, 50, &n, err, sizeof err), PC_FIELD_INVALID);
    assert_int_equal(pc_json_int(v, "real", 1, 50, &n, err, sizeof err), PC_FIELD_INVALID);
    assert_string_equal(err, "field \"real\" must be an integer from 1 to 50");
    assert_int_equal(pc_json_int(v, "exp", 1, 50, &n, err, sizeof err), PC_FIELD_INVALID);
    assert_int_equal(pc_json_int(v, "neg", -1, 0, &n, err, sizeof err), PC_FIELD_SET);
    assert_int_equal(n, -1);
    assert_int_equal(pc_json_int(v, "max", 1, INT64_C(9007199254740991), &n, err, sizeof err),
                     PC_FIELD_SET);
    assert_int_equal(n, INT64_C(9007199254740991));
    assert_int_equal(pc_json_int(v, "zero", INT64_MIN, INT64_MAX, &n, err, sizeof err),
                     PC_FIELD_SET);
    json_decref(v);

    /* Too big for any integer at all. */
    s_refused("{\"id\":99999999999999999999999}", 30, "body is not valid JSON: ");
}

static void test_dump_and_time(void **state)
{
    json_t *v = json_pack("{s:s, s:o}", "nickname", "\xe5\xb0\x8f\xe6\x98\x8e", "created_at",
                          pc_json_time(INT64_C(1795639143123456)));
    assert_non_null(v);
    char *text = pc_json_dump(v);
    assert_string_equal(text, "{\"nickname\":\"\xe5\xb0\x8f\xe6\x98\x8e\","
                              "\"created_at\":\"2026-11-25T20:39:03.123Z\"}");
    free(text);
    json_decref(v);

    json_t *n = json_integer(7);
    text = pc_json_dump(n);
    assert_string_equal(text, "7");
    free(text);
    json_decref(n);
}

static void test_json_quote_matches_jansson(void **state)
{
    (void)state;
    char in[2] = {0, 0}, out[16];
    for (int c = 1; c < 0x80; c++) {
        in[0] = (char)c;
        size_t n = pc_json_quote(in, out);
        json_t *v = json_string(in);
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_int_equal(n, strlen(want));
        assert_memory_equal(out, want, n);
        free(want);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_body),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_duplicate_keys_are_malformed),
        cmocka_unit_test(test_bad_text_is_refused),
        cmocka_unit_test(test_escaped_pair_is_fine),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_brackets_inside_strings_do_not_count),
        cmocka_unit_test(test_getters_wrong_types),
        cmocka_unit_test(test_int_ranges_and_reals),
        cmocka_unit_test(test_dump_and_time),
        cmocka_unit_test(test_json_quote_matches_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
