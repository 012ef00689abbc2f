/* test_thumb.c - thumbnails with libvips: JPEG for opaque images, PNG when
 * there is alpha, never larger than the original or 320 px. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "fixtures.h"
#include "media_thumb.h"
#include "status.h"

static void s_expect_thumb(const char *file, int max_side, const char *mime, int w, int h)
{
    size_t len;
    unsigned char *data = fx_load(file, &len);
    media_thumb_row_t t;
    assert_int_equal(media_thumb_make(data, len, max_side, &t), PC_OK);
    assert_string_equal(t.mime, mime);
    assert_int_equal(t.width, w);
    assert_int_equal(t.height, h);
    assert_true(t.len > 8);
    media_thumb_row_clear(&t);
    free(data);
}

static void test_opaque_images_give_jpeg_and_alpha_gives_png(void **state)
{
    (void)state;
    s_expect_thumb("image.jpg", MEDIA_THUMB_MAX_SIDE, "image/jpeg", 64, 48); /* never enlarged */
    s_expect_thumb("image.jpg", 32, "image/jpeg", 32, 24);
    s_expect_thumb("alpha.png", 16, "image/png", 16, 12);
    s_expect_thumb("lossy.webp", 20, "image/jpeg", 20, 15);
    s_expect_thumb("image.gif", 320, "image/jpeg", 32, 16);
}

static void test_undecodable_bytes_are_unsupported(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = fx_load("image.jpg", &len);
    media_thumb_row_t t;
    /* the header survives, the entropy-coded data does not */
    assert_int_equal(media_thumb_make(data, len / 3, 320, &t), PC_UNSUPPORTED_MEDIA_TYPE);
    static const unsigned char junk[] = "not an image at all";
    assert_int_equal(media_thumb_make(junk, sizeof junk, 320, &t), PC_UNSUPPORTED_MEDIA_TYPE);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opaque_images_give_jpeg_and_alpha_gives_png),
        cmocka_unit_test(test_undecodable_bytes_are_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
