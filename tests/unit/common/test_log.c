/* test_log.c - every log line is one valid JSON object, whatever the message holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Runs pc_log with stderr sent to a temporary file and returns what was written. */
static char *s_capture(pc_log_level_t level, const char *trace, const char *msg)
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    pc_log(level, trace, "%s", msg);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);

    fseek(tmp, 0, SEEK_END);
    long len = ftell(tmp);
    rewind(tmp);
    char *out = calloc(1, (size_t)len + 1);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)len, tmp), (size_t)len);
    fclose(tmp);
    return out;
}

/* Parses one captured line: exactly one object and one trailing newline. */
static json_t *s_line(const char *text)
{
    size_t len = strlen(text);
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n');
    assert_null(memchr(text, '\n', len - 1));
    json_error_t jerr;
    json_t *v = json_loadb(text, len - 1, 0, &jerr);
    if (v == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, text);
    return v;
}

static void test_info_line(void **state)
{
    pc_log_init("auth", "host-42", PC_LOG_INFO);
    char *text = s_capture(PC_LOG_INFO, "t-1234", "could not connect to database \"pigeon\"");
    json_t *v = s_line(text);
    assert_string_equal(json_string_value(json_object_get(v, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(v, "service")), "auth");
    assert_string_equal(json_string_value(json_object_get(v, "instance")), "host-42");
    assert_string_equal(json_string_value(json_object_get(v, "trace")), "t-1234");
    assert_string_equal(json_string_value(json_object_get(v, "msg")),
                        "could not connect to database \"pigeon\"");
    const char *when = json_string_value(json_object_get(v, "time"));
    assert_non_null(when);
    assert_int_equal(strlen(when), 24);
    assert_int_equal(when[23], 'Z');
    json_decref(v);
    free(text);
}

static void test_no_trace_field_without_trace(void **state)
{
    pc_log_init("auth", "host-42", PC_LOG_DEBUG);
    char *text = s_capture(PC_LOG_WARN, NULL, "plain");
    json_t *v = s_line(text);
    assert_null(json_object_get(v, "trace"));
    assert_string_equal(json_string_value(json_object_get(v, "level")), "warn");
    json_decref(v);
    free(text);
}

static void test_escaping(void **state)
{
    pc_log_init("auth", "host-42", PC_LOG_DEBUG);
    const char *msg = "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f "
                      "\xe4\xb8\xad bad \xff\xc0 end";
    char *text = s_capture(PC_LOG_ERROR, "tr\"ace", msg);
    json_t *v = s_line(text);
    assert_string_equal(json_string_value(json_object_get(v, "msg")),
                        "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f "
                        "\xe4\xb8\xad bad \xef\xbf\xbd\xef\xbf\xbd end");
    assert_string_equal(json_string_value(json_object_get(v, "trace")), "tr\"ace");
    json_decref(v);
    free(text);
}

static void test_long_message_is_cut_but_valid(void **state)
{
    pc_log_init("auth", "host-42", PC_LOG_DEBUG);
    char *msg = malloc(20001);
    assert_non_null(msg);
    memset(msg, '"', 20000); /* every byte doubles when escaped */
    msg[20000] = '\0';
    char *text = s_capture(PC_LOG_INFO, NULL, msg);
    json_t *v = s_line(text);
    const char *got = json_string_value(json_object_get(v, "msg"));
    assert_non_null(got);
    assert_true(strlen(got) < 20000);
    assert_string_equal(got + strlen(got) - 3, "...");
    json_decref(v);
    free(text);
    free(msg);
}

static void test_levels(void **state)
{
    assert_int_equal(pc_log_level_parse("debug"), PC_LOG_DEBUG);
    assert_int_equal(pc_log_level_parse("info"), PC_LOG_INFO);
    assert_int_equal(pc_log_level_parse("warn"), PC_LOG_WARN);
    assert_int_equal(pc_log_level_parse("error"), PC_LOG_ERROR);
    assert_int_equal(pc_log_level_parse("INFO"), -1);
    assert_int_equal(pc_log_level_parse(""), -1);
    assert_int_equal(pc_log_level_parse(NULL), -1);

    pc_log_init("auth", "host-42", PC_LOG_WARN);
    char *text = s_capture(PC_LOG_INFO, NULL, "dropped");
    assert_string_equal(text, "");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_line), cmocka_unit_test(test_no_trace_field_without_trace),
        cmocka_unit_test(test_escaping),  cmocka_unit_test(test_long_message_is_cut_but_valid),
        cmocka_unit_test(test_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
