/* Range and If-None-Match parsing of the media downloads (media_http.h):
 * RFC 9110 14.1 for one range; everything else a download ignores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "media_http.h"

/* gw_range_parse on a 1000-byte file must say `want` and, for
 * GW_RANGE_OK, [first, last]. */
static void s_expect(const char *header, uint64_t size, gw_range_t want, uint64_t first,
                     uint64_t last)
{
    uint64_t f = 12345, l = 12345;
    gw_range_t got = gw_range_parse(header, size, &f, &l);
    if (got != want)
        fail_msg("\"%s\" on %llu bytes: %d, expected %d", header ? header : "(null)",
                 (unsigned long long)size, (int)got, (int)want);
    if (want == GW_RANGE_OK && (f != first || l != last))
        fail_msg("\"%s\": [%llu, %llu], expected [%llu, %llu]", header, (unsigned long long)f,
                 (unsigned long long)l, (unsigned long long)first, (unsigned long long)last);
}

static void test_the_three_forms(void **state)
{
    (void)state;
    s_expect("bytes=0-99", 1000, GW_RANGE_OK, 0, 99);       /* a-b */
    s_expect("bytes=500-", 1000, GW_RANGE_OK, 500, 999);    /* a- */
    s_expect("bytes=-200", 1000, GW_RANGE_OK, 800, 999);    /* -n: the last n */
    s_expect("bytes=0-0", 1000, GW_RANGE_OK, 0, 0);         /* one byte */
    s_expect("bytes=999-999", 1000, GW_RANGE_OK, 999, 999); /* the last byte */
    s_expect("BYTES=1-2", 1000, GW_RANGE_OK, 1, 2);         /* the unit is case-insensitive */
    s_expect(" bytes= 1-2 ", 1000, GW_RANGE_OK, 1, 2);      /* optional whitespace */
}

static void test_clamped_to_the_file(void **state)
{
    (void)state;
    s_expect("bytes=900-5000", 1000, GW_RANGE_OK, 900, 999); /* end past the file */
    s_expect("bytes=-5000", 1000, GW_RANGE_OK, 0, 999);      /* suffix longer than the file */
    s_expect("bytes=0-", 1, GW_RANGE_OK, 0, 0);
}

static void test_unsatisfiable(void **state)
{
    (void)state;
    s_expect("bytes=1000-", 1000, GW_RANGE_UNSATISFIABLE, 0, 0);     /* start at the end */
    s_expect("bytes=5000-6000", 1000, GW_RANGE_UNSATISFIABLE, 0, 0); /* start past the end */
    s_expect("bytes=-0", 1000, GW_RANGE_UNSATISFIABLE, 0, 0);        /* an empty suffix */
    s_expect("bytes=0-", 0, GW_RANGE_UNSATISFIABLE, 0, 0);           /* an empty file */
    s_expect("bytes=-5", 0, GW_RANGE_UNSATISFIABLE, 0, 0);
}

static void test_ignored(void **state)
{
    (void)state;
    static const char *const ignored[] = {
        "bytes=0-1,5-6",  /* several ranges: answered whole */
        "bytes=0-1, 5-6", /* likewise with a space */
        "items=0-1",      /* another unit */
        "bytes=",         /* nothing */
        "bytes=-",        /* neither end */
        "bytes=5",        /* no dash */
        "bytes=9-3",      /* last before first */
        "bytes=a-b",      /* garbage */
        "bytes=1-2x",     /* trailing garbage */
        "bytes=--5",      /* a negative start */
        "bytes=1 -2",     /* space inside the range */
        "bytes 0-1",      /* no '=' */
        "",
        "bytes=99999999999999999999-",  /* 20 digits: would overflow */
        "bytes=0-99999999999999999999", /* likewise at the end */
        "bytes=-99999999999999999999",  /* likewise as a suffix */
        "bytes=18446744073709551615-",  /* 2^64-1: too long to trust */
    };
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        s_expect(ignored[i], 1000, GW_RANGE_NONE, 0, 0);
    s_expect(NULL, 1000, GW_RANGE_NONE, 0, 0);
}

static void test_large_numbers(void **state)
{
    (void)state;
    /* 19 digits fit in uint64_t: a start far past any file is a 416, not
     * garbage. */
    s_expect("bytes=9999999999999999999-", 1000, GW_RANGE_UNSATISFIABLE, 0, 0);
    s_expect("bytes=0-9999999999999999999", 1000, GW_RANGE_OK, 0, 999);
    s_expect("bytes=-9999999999999999999", 1000, GW_RANGE_OK, 0, 999);
}

static void test_if_none_match(void **state)
{
    (void)state;
    const char *etag = "\"abc123\"";
    assert_true(gw_etag_matches("\"abc123\"", etag));
    assert_true(gw_etag_matches("*", etag));
    assert_true(gw_etag_matches("W/\"abc123\"", etag));
    assert_true(gw_etag_matches("\"x\", \"abc123\"", etag));
    assert_true(gw_etag_matches("\"a,b\",\"abc123\"", etag)); /* a comma inside a tag */
    assert_false(gw_etag_matches("\"abc12\"", etag));
    assert_false(gw_etag_matches("\"abc1234\"", etag));
    assert_false(gw_etag_matches("\"abc123", etag)); /* unterminated */
    assert_false(gw_etag_matches("W/", etag));
    assert_false(gw_etag_matches("", etag));
    assert_false(gw_etag_matches(" , ,", etag));
    assert_false(gw_etag_matches(NULL, etag));
    assert_false(gw_etag_matches("\"abc123\"", NULL));
}

static void test_body_limit(void **state)
{
    (void)state;
    assert_int_equal(gw_media_body_limit("POST", "/v1/media"), GW_MEDIA_MAX_BODY);
    assert_int_equal(gw_media_body_limit("GET", "/v1/media"), 0);
    assert_int_equal(gw_media_body_limit("POST", "/v1/media/1"), 0);
    assert_int_equal(gw_media_body_limit(NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_three_forms), cmocka_unit_test(test_clamped_to_the_file),
        cmocka_unit_test(test_unsatisfiable),   cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_large_numbers),   cmocka_unit_test(test_if_none_match),
        cmocka_unit_test(test_body_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
