/* test_probe_image.c - media_probe() on images: the accepted formats on
 * real files, then broken, truncated and bomb headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "fixtures.h"
#include "media_probe.h"

static void s_expect_image(const char *file, const char *mime, uint32_t w, uint32_t h)
{
    size_t len;
    unsigned char *data = fx_load(file, &len);
    media_info_t info;
    assert_int_equal(media_probe(data, len, &info), MEDIA_PROBE_OK);
    assert_int_equal(info.kind, MEDIA_KIND_IMAGE);
    assert_string_equal(info.mime, mime);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
    assert_int_equal(info.duration_ms, -1);
    assert_true(media_pixels_ok(&info, MEDIA_DEFAULT_MAX_PIXELS));
    free(data);
}

static void test_each_image_format_gives_its_mime_and_size(void **state)
{
    (void)state;
    s_expect_image("alpha.png", "image/png", 64, 48);
    s_expect_image("image.jpg", "image/jpeg", 64, 48);
    s_expect_image("progressive.jpg", "image/jpeg", 64, 48);
    s_expect_image("image.gif", "image/gif", 32, 16);
    s_expect_image("lossy.webp", "image/webp", 40, 30);    /* VP8 */
    s_expect_image("lossless.webp", "image/webp", 40, 30); /* VP8L */
    s_expect_image("alpha.webp", "image/webp", 64, 48);    /* VP8X */
}

/* A PNG signature and IHDR claiming w x h (CRC not checked: not needed). */
static size_t s_png_header(unsigned char *b, uint32_t w, uint32_t h)
{
    memcpy(b, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    for (int i = 0; i < 4; i++) {
        b[16 + i] = (unsigned char)(w >> (24 - 8 * i));
        b[20 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    memcpy(b + 24, "\x08\x06\0\0\0" "\0\0\0\0", 9);
    return 33;
}

static void test_a_png_claiming_100000_squared_pixels_is_a_bomb(void **state)
{
    (void)state;
    unsigned char b[64];
    size_t n = s_png_header(b, 100000, 100000);
    media_info_t info;
    assert_int_equal(media_probe(b, n, &info), MEDIA_PROBE_OK);
    assert_false(media_pixels_ok(&info, MEDIA_DEFAULT_MAX_PIXELS));
    n = s_png_header(b, 7000, 7000); /* 49 megapixels: allowed */
    assert_int_equal(media_probe(b, n, &info), MEDIA_PROBE_OK);
    assert_true(media_pixels_ok(&info, MEDIA_DEFAULT_MAX_PIXELS));
}

static void test_zero_and_oversized_dimensions_are_unsupported(void **state)
{
    (void)state;
    unsigned char b[64];
    media_info_t info;
    assert_int_equal(media_probe(b, s_png_header(b, 0, 10), &info), MEDIA_PROBE_UNSUPPORTED);
    assert_int_equal(media_probe(b, s_png_header(b, 0x80000000u, 1), &info),
                     MEDIA_PROBE_UNSUPPORTED);
    /* JPEG whose SOF0 says height 0 (a DNL marker would follow) */
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00,
                                         0x00, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00};
    assert_int_equal(media_probe(jpeg, sizeof jpeg, &info), MEDIA_PROBE_UNSUPPORTED);
}

static void test_text_and_other_formats_are_unsupported(void **state)
{
    (void)state;
    media_info_t info;
    const char *texts[] = {"hello, world", "<svg xmlns='http://www.w3.org/2000/svg'/>",
                           "%PDF-1.7\n", "BM\x36\0\0\0\0\0\0\0", "II*\0\x08\0\0\0"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_int_equal(media_probe((const uint8_t *)texts[i], strlen(texts[i]), &info),
                         MEDIA_PROBE_UNSUPPORTED);
    assert_int_equal(media_probe(NULL, 0, &info), MEDIA_PROBE_UNSUPPORTED);
    assert_null(info.mime);
}

static void test_truncated_headers_are_unsupported(void **state)
{
    (void)state;
    /* Cut inside each file's header: nothing to report, nothing read past the cut. */
    const struct {
        const char *file;
        size_t header; /* bytes needed to know the size */
    } cases[] = {{"alpha.png", 24}, {"image.gif", 13}, {"lossy.webp", 30},
                 {"lossless.webp", 25}, {"alpha.webp", 30}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        unsigned char *data = fx_load(cases[i].file, &len);
        for (size_t cut = 0; cut < cases[i].header; cut++) {
            unsigned char *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
            memcpy(copy, data, cut);
            media_info_t info;
            assert_int_equal(media_probe(copy, cut, &info), MEDIA_PROBE_UNSUPPORTED);
            free(copy);
        }
        free(data);
    }
}

static void test_every_prefix_and_corruption_is_safe(void **state)
{
    (void)state;
    const char *files[] = {"alpha.png", "image.jpg", "progressive.jpg", "image.gif",
                           "lossy.webp", "lossless.webp", "alpha.webp"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        unsigned char *data = fx_load(files[f], &len);
        for (size_t cut = 0; cut <= len; cut++) {
            unsigned char *copy = malloc(cut ? cut : 1);
            memcpy(copy, data, cut);
            media_info_t info;
            if (media_probe(copy, cut, &info) == MEDIA_PROBE_OK)
                assert_true(info.width > 0 && info.height > 0);
            free(copy);
        }
        for (size_t at = 0; at < len && at < 256; at++) {
            const unsigned char flips[] = {0x00, 0xff, 0x80, 0x01};
            for (size_t k = 0; k < sizeof flips; k++) {
                unsigned char saved = data[at];
                data[at] = flips[k];
                media_info_t info;
                (void)media_probe(data, len, &info);
                data[at] = saved;
            }
        }
        free(data);
    }
}

static void test_a_jpeg_with_a_scan_before_its_frame_is_unsupported(void **state)
{
    (void)state;
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9};
    media_info_t info;
    assert_int_equal(media_probe(jpeg, sizeof jpeg, &info), MEDIA_PROBE_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_image_format_gives_its_mime_and_size),
        cmocka_unit_test(test_a_png_claiming_100000_squared_pixels_is_a_bomb),
        cmocka_unit_test(test_zero_and_oversized_dimensions_are_unsupported),
        cmocka_unit_test(test_text_and_other_formats_are_unsupported),
        cmocka_unit_test(test_truncated_headers_are_unsupported),
        cmocka_unit_test(test_every_prefix_and_corruption_is_safe),
        cmocka_unit_test(test_a_jpeg_with_a_scan_before_its_frame_is_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
