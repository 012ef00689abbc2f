/* media_calls.h - API.md "Media" calls shared by test_media*.c.
 *
 * Header-only (static inline), like messages_calls.h, on which it builds.
 * Fixtures are the small real files in tests/fixtures/media, found beside
 * this source file. */
#ifndef PIGEON_TEST_MEDIA_CALLS_H
#define PIGEON_TEST_MEDIA_CALLS_H

#include "messages_calls.h"

static const char *const md_services[] = {"auth", "relationship", "router", "media", NULL};

#define MD_MIB (1024u * 1024u)

/* tests/fixtures/media/<name>, malloc'd; *len its size. Fails the test when missing. */
static inline unsigned char *md_fixture(const char *name, size_t *len)
{
    char path[1024];
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    snprintf(path, sizeof path, "%.*s/../fixtures/media/%s", slash ? (int)(slash - here) : 1,
             slash ? here : ".", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("missing fixture %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        fail_msg("could not read fixture %s", path);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A valid JPEG of `size` bytes: image.jpg followed by filler after its end
 * marker (the probe reads headers; decoders stop at EOI). malloc'd. */
static inline unsigned char *md_big_jpeg(size_t size)
{
    size_t n;
    unsigned char *jpg = md_fixture("image.jpg", &n);
    unsigned char *buf = malloc(size);
    if (buf == NULL || size < n)
        fail_msg("md_big_jpeg: out of memory");
    memcpy(buf, jpg, n);
    for (size_t i = n; i < size; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    free(jpg);
    return buf;
}

/* POST /v1/media with raw bytes and an optional Content-Type. */
static inline h_resp_t md_upload(const h_system_t *sys, const ct_user_t *u, const void *data,
                                 size_t len, const char *content_type)
{
    char ct[128];
    snprintf(ct, sizeof ct, "Content-Type: %s",
             content_type ? content_type : "application/octet-stream");
    const char *headers[] = {ct, NULL};
    return h_http_raw(sys, "POST", "/v1/media", u->token, data, len, headers);
}

/* An upload that must answer 201; returns the media id. */
static inline int64_t md_upload_ok(const h_system_t *sys, const ct_user_t *u, const char *fixture)
{
    size_t len;
    unsigned char *data = md_fixture(fixture, &len);
    h_resp_t r = md_upload(sys, u, data, len, NULL);
    h_expect_status(&r, 201);
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    h_resp_free(&r);
    free(data);
    return id;
}

/* GET /v1/media/<id><suffix> with optional extra headers. */
static inline h_resp_t md_get(const h_system_t *sys, const ct_user_t *u, int64_t id,
                              const char *suffix, const char *const *headers)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/media/%" PRId64 "%s", id, suffix ? suffix : "");
    return h_http_raw(sys, "GET", path, u->token, NULL, 0, headers);
}

/* POST /v1/messages of kind image/voice carrying media_id. */
static inline h_resp_t md_send(const h_system_t *sys, const ct_user_t *from, int64_t to,
                               const char *kind, int64_t media_id)
{
    char cmid[64];
    static unsigned counter;
    snprintf(cmid, sizeof cmid, "m-%u-%ld", __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST),
             (long)random());
    json_t *body = json_pack("{s:{s:I}, s:s, s:s, s:I}", "to", "user_id", (json_int_t)to,
                             "client_msg_id", cmid, "kind", kind, "media_id",
                             (json_int_t)media_id);
    return h_call(sys, "POST", "/v1/messages", from->token, body);
}

/* Width and height of a PNG or JPEG (baseline or progressive); false when
 * neither. */
static inline bool md_image_size(const unsigned char *p, size_t n, int *w, int *h)
{
    if (n >= 24 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) {
        *w = (p[16] << 24) | (p[17] << 16) | (p[18] << 8) | p[19];
        *h = (p[20] << 24) | (p[21] << 16) | (p[22] << 8) | p[23];
        return true;
    }
    if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
        return false;
    size_t i = 2;
    while (i + 9 < n) {
        if (p[i] != 0xff)
            return false;
        unsigned char m = p[i + 1];
        size_t seglen = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            *h = (p[i + 5] << 8) | p[i + 6];
            *w = (p[i + 7] << 8) | p[i + 8];
            return true;
        }
        i += 2 + seglen;
    }
    return false;
}

#endif
