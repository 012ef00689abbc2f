/* test_probe_voice.c - media_probe() on voice clips: each accepted format
 * on a real one-second (WAV: half-second) file, with its duration read
 * from the container; then broken and truncated ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h> /* after the headers it needs */

#include "fixtures.h"
#include "media_probe.h"

/* End of the first box (ftyp) of an MP4 file. */
static size_t mp4_ftyp_end(const unsigned char *b)
{
    return (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3];
}

/* Durations as ffprobe reports them for the fixtures, +- tolerance ms. */
static void s_expect_voice(const char *file, const char *mime, int64_t ms, int64_t tolerance)
{
    size_t len;
    unsigned char *data = fx_load(file, &len);
    media_info_t info;
    assert_int_equal(media_probe(data, len, &info), MEDIA_PROBE_OK);
    assert_int_equal(info.kind, MEDIA_KIND_VOICE);
    assert_string_equal(info.mime, mime);
    assert_int_equal(info.width, 0);
    assert_in_range(info.duration_ms, ms - tolerance, ms + tolerance);
    assert_true(len <= media_kind_max_bytes(MEDIA_KIND_VOICE));
    free(data);
}

static void test_each_voice_format_gives_its_mime_and_duration(void **state)
{
    (void)state;
    s_expect_voice("voice.wav", "audio/wav", 500, 0);
    s_expect_voice("voice.opus", "audio/ogg", 1000, 0);   /* granule - pre-skip */
    s_expect_voice("voice.webm", "audio/webm", 1008, 0);  /* Info/Duration */
    s_expect_voice("cbr.mp3", "audio/mpeg", 1080, 0);     /* frame walk */
    s_expect_voice("vbr.mp3", "audio/mpeg", 1071, 0);     /* ID3v2 + Xing frame count */
    s_expect_voice("voice.aac", "audio/aac", 1024, 0);    /* ADTS frames */
    s_expect_voice("voice.m4a", "audio/mp4", 1000, 0);    /* mvhd */
}

static void test_browser_webm_without_duration_uses_the_last_block(void **state)
{
    (void)state;
    /* Written like MediaRecorder's: unknown-size Segment and Clusters, no Duration. */
    s_expect_voice("voice-no-duration.webm", "audio/webm", 1000, 30);
}

/* "#!AMR\n" + n frames of type 7 (12.2 kbit/s: 1 + 31 bytes). */
static unsigned char *s_amr(size_t frames, size_t *len)
{
    *len = 6 + frames * 32;
    unsigned char *b = calloc(1, *len);
    memcpy(b, "#!AMR\n", 6);
    for (size_t i = 0; i < frames; i++)
        b[6 + i * 32] = 7 << 3 | 0x04; /* FT 7, quality bit */
    return b;
}

static void test_amr_is_20_ms_per_frame(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = s_amr(50, &len);
    media_info_t info;
    assert_int_equal(media_probe(b, len, &info), MEDIA_PROBE_OK);
    assert_string_equal(info.mime, "audio/amr");
    assert_int_equal(info.duration_ms, 1000);
    /* a cut last frame does not count */
    assert_int_equal(media_probe(b, len - 5, &info), MEDIA_PROBE_OK);
    assert_int_equal(info.duration_ms, 980);
    free(b);
    static const unsigned char wb[] = "#!AMR-WB\n\x08" "0123456789abcdefg"; /* FT 1: 24 bytes */
    assert_int_equal(media_probe(wb, 9 + 24, &info), MEDIA_PROBE_OK);
    assert_string_equal(info.mime, "audio/amr-wb");
    assert_int_equal(info.duration_ms, 20);
}

static void test_broken_voice_headers_are_unsupported(void **state)
{
    (void)state;
    size_t len;
    media_info_t info;
    /* Ogg that is not Opus (Vorbis, say) */
    unsigned char *ogg = fx_load("voice.opus", &len);
    unsigned char *head = memmem(ogg, len, "OpusHead", 8);
    assert_non_null(head);
    memcpy(head, "\x01vorbis\0", 8);
    assert_int_equal(media_probe(ogg, len, &info), MEDIA_PROBE_UNSUPPORTED);
    free(ogg);
    /* WebM whose track is not Opus */
    unsigned char *webm = fx_load("voice.webm", &len);
    unsigned char *codec = memmem(webm, len, "A_OPUS", 6);
    assert_non_null(codec);
    memcpy(codec, "A_OPUX", 6);
    assert_int_equal(media_probe(webm, len, &info), MEDIA_PROBE_UNSUPPORTED);
    free(webm);
    /* WAV whose data comes before its fmt chunk */
    static const unsigned char wav[] = "RIFF\x24\0\0\0WAVEdata\x04\0\0\0abcd";
    assert_int_equal(media_probe(wav, sizeof wav - 1, &info), MEDIA_PROBE_UNSUPPORTED);
    /* M4A whose ftyp brand is unknown */
    unsigned char *m4a = fx_load("voice.m4a", &len);
    memcpy(m4a + 8, "qt  ", 4);
    for (size_t i = 16; i + 4 <= mp4_ftyp_end(m4a); i += 4)
        memcpy(m4a + i, "qt  ", 4);
    assert_int_equal(media_probe(m4a, len, &info), MEDIA_PROBE_UNSUPPORTED);
    free(m4a);
    /* one lone MP3 frame header followed by garbage */
    static const unsigned char mp3[] = {0xff, 0xfb, 0x90, 0x64, 0, 0, 0, 0, 'x', 'y', 'z'};
    assert_int_equal(media_probe(mp3, sizeof mp3, &info), MEDIA_PROBE_UNSUPPORTED);
}

static void test_every_prefix_and_corruption_is_safe(void **state)
{
    (void)state;
    const char *files[] = {"voice.wav", "voice.opus", "voice.webm", "voice-no-duration.webm",
                           "cbr.mp3",   "vbr.mp3",    "voice.aac",  "voice.m4a"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        unsigned char *data = fx_load(files[f], &len);
        for (size_t cut = 0; cut <= len; cut++) {
            unsigned char *copy = malloc(cut ? cut : 1); /* exact size: ASan sees overreads */
            memcpy(copy, data, cut);
            media_info_t info;
            if (media_probe(copy, cut, &info) == MEDIA_PROBE_OK)
                assert_true(info.duration_ms >= -1);
            if (cut < 12) /* no container says anything in fewer bytes */
                assert_int_equal(media_probe(copy, cut, &info), MEDIA_PROBE_UNSUPPORTED);
            free(copy);
        }
        for (size_t at = 0; at < len && at < 512; at++) {
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_voice_format_gives_its_mime_and_duration),
        cmocka_unit_test(test_browser_webm_without_duration_uses_the_last_block),
        cmocka_unit_test(test_amr_is_20_ms_per_frame),
        cmocka_unit_test(test_broken_voice_headers_are_unsupported),
        cmocka_unit_test(test_every_prefix_and_corruption_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
