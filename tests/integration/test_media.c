/* test_media.c - API.md "Media" through the gateway, against real
 * pigeon-auth, pigeon-relationship, pigeon-router, pigeon-media and
 * pigeon-gateway processes on a fresh database.
 *
 * The first test shows normal use (a photo sent in a message and downloaded
 * by the friend); the later ones walk the rules: accepted formats, what is
 * refused (415, 413), downloads (headers, ETag, Range), thumbnails, who may
 * download, image/voice messages, avatars, recall. The in-flight limit
 * (503) is in test_media_inflight.c. Every test uses fresh users. */
#include "media_calls.h"

static h_system_t s_sys;

static int s_setup(void **state)
{
    (void)state;
    h_system_start(&s_sys, md_services, ct_env);
    mc_wait_router(&s_sys);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_system_stop(&s_sys);
    return 0;
}

static void s_expect_header(const h_resp_t *r, const char *name, const char *value)
{
    char *v = h_resp_header(r, name);
    if (v == NULL || strcmp(v, value) != 0)
        fail_msg("header %s: \"%s\", expected \"%s\"", name, v ? v : "(none)", value);
    free(v);
}

static void test_photo_in_a_message(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    size_t len;
    unsigned char *jpg = md_fixture("image.jpg", &len);
    h_resp_t r = md_upload(&s_sys, &ann, jpg, len, "image/jpeg");
    h_expect_status(&r, 201);
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    h_resp_free(&r);

    /* Ben may not see it before Ann sends it to him. */
    r = md_get(&s_sys, &ben, id, NULL, NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);

    r = md_send(&s_sys, &ann, ben.id, "image", id);
    h_expect_status(&r, 201);
    json_t *media = json_object_get(r.json, "media");
    assert_int_equal(json_integer_value(json_object_get(media, "id")), id);
    assert_string_equal(json_string_value(json_object_get(media, "kind")), "image");
    assert_true(json_is_null(json_object_get(r.json, "text")));
    h_resp_free(&r);

    r = md_get(&s_sys, &ben, id, NULL, NULL);
    h_expect_status(&r, 200);
    assert_int_equal(r.body_len, len);
    assert_memory_equal(r.body, jpg, len);
    s_expect_header(&r, "Content-Type", "image/jpeg");
    h_resp_free(&r);
    r = md_get(&s_sys, &ben, id, "/thumbnail", NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
    free(jpg);
}

typedef struct {
    const char *file;  /* fixture */
    const char *kind;  /* "image" | "voice" */
    const char *mime;  /* detected */
    bool has_duration; /* voice: duration_ms known */
} s_format_t;

static void test_each_accepted_format(void **state)
{
    (void)state;
    static const s_format_t formats[] = {
        {"image.jpg", "image", "image/jpeg", false},
        {"progressive.jpg", "image", "image/jpeg", false},
        {"alpha.png", "image", "image/png", false},
        {"image.gif", "image", "image/gif", false},
        {"lossy.webp", "image", "image/webp", false},
        {"lossless.webp", "image", "image/webp", false},
        {"voice.opus", "voice", "audio/ogg", true},
        {"voice.webm", "voice", "audio/webm", true},
        {"voice-no-duration.webm", "voice", "audio/webm", true},
        {"cbr.mp3", "voice", "audio/mpeg", true},
        {"vbr.mp3", "voice", "audio/mpeg", true},
        {"voice.aac", "voice", "audio/aac", true},
        {"voice.m4a", "voice", "audio/mp4", true},
        {"voice.wav", "voice", "audio/wav", true},
    };
    ct_user_t ann = ct_user(&s_sys, "ann");
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        const s_format_t *f = &formats[i];
        size_t len;
        unsigned char *data = md_fixture(f->file, &len);
        h_resp_t r = md_upload(&s_sys, &ann, data, len, "application/octet-stream");
        if (r.status != 201)
            fail_msg("%s: %ld %s", f->file, r.status, r.body);
        json_t *m = r.json;
        static const char *const keys[] = {"id",    "kind",   "mime",        "size",      "sha256",
                                           "width", "height", "duration_ms", "created_at"};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (!json_object_get(m, keys[k]))
                fail_msg("%s: media has no \"%s\"", f->file, keys[k]);
        assert_int_equal(json_object_size(m), 9);
        assert_string_equal(json_string_value(json_object_get(m, "kind")), f->kind);
        assert_string_equal(json_string_value(json_object_get(m, "mime")), f->mime);
        assert_int_equal(json_integer_value(json_object_get(m, "size")), len);
        assert_int_equal(strlen(json_string_value(json_object_get(m, "sha256"))), 64);
        bool image = strcmp(f->kind, "image") == 0;
        assert_true(image == json_is_integer(json_object_get(m, "width")));
        assert_true(image == json_is_integer(json_object_get(m, "height")));
        if (f->has_duration)
            assert_true(json_integer_value(json_object_get(m, "duration_ms")) > 0);
        else
            assert_true(json_is_null(json_object_get(m, "duration_ms")));
        assert_true(h_is_rfc3339_utc(json_string_value(json_object_get(m, "created_at"))));
        h_resp_free(&r);
        free(data);
    }
}

static void test_same_bytes_twice(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann");
    size_t len;
    unsigned char *png = md_fixture("alpha.png", &len);
    h_resp_t a = md_upload(&s_sys, &ann, png, len, "image/png");
    h_resp_t b = md_upload(&s_sys, &ann, png, len, "image/png");
    h_expect_status(&a, 201);
    h_expect_status(&b, 201);
    assert_int_not_equal(json_integer_value(json_object_get(a.json, "id")),
                         json_integer_value(json_object_get(b.json, "id")));
    assert_string_equal(json_string_value(json_object_get(a.json, "sha256")),
                        json_string_value(json_object_get(b.json, "sha256")));
    h_resp_free(&a);
    h_resp_free(&b);
    free(png);
}

static void test_refused_uploads(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann");
    const char text[] = "this is plain text, not a picture\n";
    h_resp_t r = md_upload(&s_sys, &ann, text, sizeof text - 1, "image/png");
    h_expect_error(&r, 415, "unsupported_media_type");
    h_resp_free(&r);

    /* A PNG header claiming 100000 x 100000 pixels: a decompression bomb. */
    unsigned char bomb[64] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                              'I', 'H', 'D', 'R', 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0,
                              8, 6, 0, 0, 0};
    r = md_upload(&s_sys, &ann, bomb, sizeof bomb, "image/png");
    h_expect_error(&r, 415, "unsupported_media_type");
    h_resp_free(&r);

    /* The header lies: the stored type is what the bytes are. */
    size_t len;
    unsigned char *png = md_fixture("alpha.png", &len);
    r = md_upload(&s_sys, &ann, png, len, "audio/mpeg");
    h_expect_status(&r, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "mime")), "image/png");
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    h_resp_free(&r);
    r = md_get(&s_sys, &ann, id, NULL, NULL);
    s_expect_header(&r, "Content-Type", "image/png");
    h_resp_free(&r);
    free(png);

    /* 10 MiB + 1: refused by its Content-Length, and while streaming. */
    size_t big = 10 * MD_MIB + 1;
    unsigned char *data = md_big_jpeg(big);
    r = md_upload(&s_sys, &ann, data, big, "image/jpeg");
    h_expect_error(&r, 413, "payload_too_large");
    h_resp_free(&r);
    const char *chunked[] = {"Content-Type: image/jpeg", "Transfer-Encoding: chunked", NULL};
    r = h_http_raw(&s_sys, "POST", "/v1/media", ann.token, data, big, chunked);
    h_expect_error(&r, 413, "payload_too_large");
    h_resp_free(&r);
    /* Exactly 10 MiB is an image pigeon-media takes. */
    r = md_upload(&s_sys, &ann, data, big - 1, "image/jpeg");
    h_expect_status(&r, 201);
    h_resp_free(&r);
    free(data);
}

static void test_download_headers_etag_range(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann");
    size_t size = 1 * MD_MIB + 12345; /* several chunks: streamed */
    unsigned char *data = md_big_jpeg(size);
    h_resp_t r = md_upload(&s_sys, &ann, data, size, NULL);
    h_expect_status(&r, 201);
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    char etag[80], len_text[32];
    snprintf(etag, sizeof etag, "\"%s\"", json_string_value(json_object_get(r.json, "sha256")));
    h_resp_free(&r);

    r = md_get(&s_sys, &ann, id, NULL, NULL);
    h_expect_status(&r, 200);
    assert_int_equal(r.body_len, size);
    assert_memory_equal(r.body, data, size);
    s_expect_header(&r, "Content-Type", "image/jpeg");
    s_expect_header(&r, "ETag", etag);
    s_expect_header(&r, "Accept-Ranges", "bytes");
    snprintf(len_text, sizeof len_text, "%zu", size);
    s_expect_header(&r, "Content-Length", len_text);
    h_resp_free(&r);

    char inm[100];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *h304[] = {inm, NULL};
    r = md_get(&s_sys, &ann, id, NULL, h304);
    h_expect_status(&r, 304);
    assert_int_equal(r.body_len, 0);
    s_expect_header(&r, "ETag", etag);
    h_resp_free(&r);

    /* bytes=a-b, a-, -n */
    struct {
        const char *range;
        size_t first, last;
    } cases[] = {
        {"Range: bytes=0-99", 0, 99},
        {"Range: bytes=1000-", 1000, size - 1},
        {"Range: bytes=-500", size - 500, size - 1},
        {"Range: bytes=300000-900000", 300000, 900000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *hr[] = {cases[i].range, NULL};
        r = md_get(&s_sys, &ann, id, NULL, hr);
        h_expect_status(&r, 206);
        size_t n = cases[i].last - cases[i].first + 1;
        assert_int_equal(r.body_len, n);
        assert_memory_equal(r.body, data + cases[i].first, n);
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %zu-%zu/%zu", cases[i].first, cases[i].last, size);
        s_expect_header(&r, "Content-Range", cr);
        h_resp_free(&r);
    }
    const char *bad[] = {"Range: bytes=99999999-", NULL};
    r = md_get(&s_sys, &ann, id, NULL, bad);
    h_expect_error(&r, 416, "range_not_satisfiable");
    char star[64];
    snprintf(star, sizeof star, "bytes */%zu", size);
    s_expect_header(&r, "Content-Range", star);
    h_resp_free(&r);
    free(data);
}

static void test_thumbnails(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann");
    static const char *const images[] = {"image.jpg", "alpha.png", "image.gif", "lossy.webp"};
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++) {
        int64_t id = md_upload_ok(&s_sys, &ann, images[i]);
        h_resp_t r = md_get(&s_sys, &ann, id, "/thumbnail", NULL);
        h_expect_status(&r, 200);
        int w = 0, h = 0;
        if (!md_image_size((const unsigned char *)r.body, r.body_len, &w, &h))
            fail_msg("%s: the thumbnail is neither JPEG nor PNG", images[i]);
        assert_true(w >= 1 && h >= 1 && w <= 320 && h <= 320);
        char *type = h_resp_header(&r, "Content-Type");
        assert_true(type && (strcmp(type, "image/jpeg") == 0 || strcmp(type, "image/png") == 0));
        free(type);
        h_resp_free(&r);
    }
    int64_t voice = md_upload_ok(&s_sys, &ann, "voice.opus");
    h_resp_t r = md_get(&s_sys, &ann, voice, "/thumbnail", NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
}

static void test_strangers_see_nothing(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), eve = ct_user(&s_sys, "eve");
    int64_t id = md_upload_ok(&s_sys, &ann, "image.jpg");
    h_resp_t r = md_get(&s_sys, &eve, id, NULL, NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
    r = md_get(&s_sys, &eve, id, "/thumbnail", NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
    r = md_get(&s_sys, &eve, id + 100000, NULL, NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
    r = h_http_raw(&s_sys, "GET", "/v1/media/1", NULL, NULL, 0, NULL);
    h_expect_error(&r, 401, "unauthenticated");
    h_resp_free(&r);
}

static void test_media_messages(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_befriend(&s_sys, &ann, &ben);
    int64_t image = md_upload_ok(&s_sys, &ann, "image.jpg");
    int64_t voice = md_upload_ok(&s_sys, &ann, "voice.opus");
    int64_t bens = md_upload_ok(&s_sys, &ben, "alpha.png");

    h_resp_t r = md_send(&s_sys, &ann, ben.id, "voice", image);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    r = md_send(&s_sys, &ann, ben.id, "image", voice);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    r = md_send(&s_sys, &ann, ben.id, "image", bens);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
    r = md_send(&s_sys, &ann, ben.id, "image", 9007199254740000);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
    /* No media_id, or a caption: 400. */
    json_t *body = json_pack("{s:{s:I}, s:s, s:s}", "to", "user_id", (json_int_t)ben.id,
                             "client_msg_id", "no-media", "kind", "image");
    r = h_call(&s_sys, "POST", "/v1/messages", ann.token, body);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);
    body = json_pack("{s:{s:I}, s:s, s:s, s:I, s:s}", "to", "user_id", (json_int_t)ben.id,
                     "client_msg_id", "caption", "kind", "image", "media_id", (json_int_t)image,
                     "text", "look");
    r = h_call(&s_sys, "POST", "/v1/messages", ann.token, body);
    h_expect_error(&r, 400, "invalid_argument");
    h_resp_free(&r);

    r = md_send(&s_sys, &ann, ben.id, "voice", voice);
    h_expect_status(&r, 201);
    char voice_msg[64];
    snprintf(voice_msg, sizeof voice_msg, "%s", json_string_value(json_object_get(r.json, "id")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "media"), "kind")), "voice");
    h_resp_free(&r);
    r = md_send(&s_sys, &ann, ben.id, "image", image);
    h_expect_status(&r, 201);
    h_resp_free(&r);

    /* History and the conversation list carry the media objects. */
    char cid[64];
    mc_cid(&ann, &ben, cid, sizeof cid);
    r = mc_history(&s_sys, &ben, cid, NULL, 200, NULL);
    json_t *list = json_object_get(r.json, "messages");
    assert_int_equal(json_array_size(list), 2);
    json_t *m0 = json_array_get(list, 0), *m1 = json_array_get(list, 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m0, "media"), "id")),
                     voice);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m1, "media"), "id")),
                     image);
    assert_true(json_is_integer(json_object_get(json_object_get(m0, "media"), "duration_ms")));
    h_resp_free(&r);
    json_t *c = mc_conversation(&s_sys, &ben, cid);
    json_t *last = json_object_get(c, "last_message");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(last, "media"), "id")),
                     image);
    json_decref(c);

    /* Ben downloads the voice clip; after its recall he no longer may. */
    r = md_get(&s_sys, &ben, voice, NULL, NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
    r = mc_recall(&s_sys, &ann, voice_msg, 200, NULL);
    assert_true(json_is_null(json_object_get(r.json, "media")));
    assert_true(json_is_true(json_object_get(r.json, "recalled")));
    h_resp_free(&r);
    r = mc_history(&s_sys, &ben, cid, "?after_seq=0&limit=1", 200, NULL);
    assert_true(json_is_null(json_object_get(json_array_get(json_object_get(r.json, "messages"), 0),
                                             "media")));
    h_resp_free(&r);
    r = md_get(&s_sys, &ben, voice, NULL, NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
    /* Ann still may: she uploaded it. */
    r = md_get(&s_sys, &ann, voice, NULL, NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
}

static void test_avatars(void **state)
{
    (void)state;
    ct_user_t ann = ct_user(&s_sys, "ann"), ben = ct_user(&s_sys, "ben");
    ct_user_t eve = ct_user(&s_sys, "eve");
    int64_t image = md_upload_ok(&s_sys, &ann, "alpha.png");
    int64_t voice = md_upload_ok(&s_sys, &ann, "voice.wav");
    int64_t bens = md_upload_ok(&s_sys, &ben, "image.jpg");

    h_resp_t r = md_get(&s_sys, &eve, image, NULL, NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);

    ct_check(&s_sys, "PATCH", "/v1/me", ann.token,
             json_pack("{s:I}", "avatar_media_id", (json_int_t)voice), 400, "invalid_argument");
    ct_check(&s_sys, "PATCH", "/v1/me", ann.token,
             json_pack("{s:I}", "avatar_media_id", (json_int_t)bens), 404, "not_found");
    r = ct_expect(&s_sys, "PATCH", "/v1/me", ann.token,
                  json_pack("{s:I}", "avatar_media_id", (json_int_t)image), 200, NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "avatar_media_id")), image);
    h_resp_free(&r);

    /* Any signed-in user may download an avatar. */
    r = md_get(&s_sys, &eve, image, NULL, NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
    r = md_get(&s_sys, &eve, image, "/thumbnail", NULL);
    h_expect_status(&r, 200);
    h_resp_free(&r);
    /* Cleared, it is private again. */
    ct_check(&s_sys, "PATCH", "/v1/me", ann.token, json_pack("{s:n}", "avatar_media_id"), 200,
             NULL);
    r = md_get(&s_sys, &eve, image, NULL, NULL);
    h_expect_error(&r, 404, "not_found");
    h_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_in_a_message),
        cmocka_unit_test(test_each_accepted_format),
        cmocka_unit_test(test_same_bytes_twice),
        cmocka_unit_test(test_refused_uploads),
        cmocka_unit_test(test_download_headers_etag_range),
        cmocka_unit_test(test_thumbnails),
        cmocka_unit_test(test_strangers_see_nothing),
        cmocka_unit_test(test_media_messages),
        cmocka_unit_test(test_avatars),
    };
    return h_finish(cmocka_run_group_tests(tests, s_setup, s_teardown));
}
