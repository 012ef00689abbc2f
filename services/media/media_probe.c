/* media_probe.c - the single entry point over the format parsers, and the
 * image formats: PNG (IHDR), JPEG (SOFn marker), GIF (logical screen), WebP
 * (VP8 / VP8L / VP8X). Each parser answers true only for a well-formed
 * header with non-zero dimensions. O(header), except JPEG: a marker walk
 * over the segments before the frame header, O(len) at worst. */
#include <string.h>

#include "media_probe_int.h"

typedef bool (*s_parser_fn)(const uint8_t *data, size_t len, media_info_t *info);

/* Tried in order; each checks its own magic first, so the order only
 * matters for MPEG audio, whose 11-bit frame sync is the weakest signature
 * (it goes last). */
static const s_parser_fn s_parsers[] = {
    mp_probe_png,  mp_probe_jpeg,       mp_probe_gif, mp_probe_webp,
    mp_probe_wav,  mp_probe_ogg_opus,   mp_probe_amr, mp_probe_webm,
    mp_probe_mp4,  mp_probe_mpeg_audio,
};

media_probe_result_t media_probe(const uint8_t *data, size_t len, media_info_t *info)
{
    memset(info, 0, sizeof *info);
    info->duration_ms = -1;
    if (data == NULL || len == 0)
        return MEDIA_PROBE_UNSUPPORTED;
    for (size_t i = 0; i < sizeof s_parsers / sizeof s_parsers[0]; i++) {
        media_info_t got = {.duration_ms = -1};
        if (s_parsers[i](data, len, &got)) {
            *info = got;
            return MEDIA_PROBE_OK;
        }
    }
    return MEDIA_PROBE_UNSUPPORTED;
}

const char *media_kind_name(media_kind_t kind)
{
    switch (kind) {
    case MEDIA_KIND_IMAGE:
        return "image";
    case MEDIA_KIND_VOICE:
        return "voice";
    default:
        return NULL;
    }
}

media_kind_t media_kind_parse(const char *name)
{
    if (name != NULL && strcmp(name, "image") == 0)
        return MEDIA_KIND_IMAGE;
    if (name != NULL && strcmp(name, "voice") == 0)
        return MEDIA_KIND_VOICE;
    return MEDIA_KIND_NONE;
}

size_t media_kind_max_bytes(media_kind_t kind)
{
    switch (kind) {
    case MEDIA_KIND_IMAGE:
        return MEDIA_IMAGE_MAX_BYTES;
    case MEDIA_KIND_VOICE:
        return MEDIA_VOICE_MAX_BYTES;
    default:
        return 0;
    }
}

bool media_pixels_ok(const media_info_t *info, uint64_t max_pixels)
{
    if (info->kind != MEDIA_KIND_IMAGE)
        return true;
    return (uint64_t)info->width * info->height <= max_pixels; /* both < 2^32: no overflow */
}

int64_t mp_samples_ms(uint64_t samples, uint64_t rate)
{
    if (rate == 0)
        return -1;
    uint64_t s = samples / rate, rest = samples % rate;
    if (s > (uint64_t)INT64_MAX / 1000 - 1)
        return INT64_MAX;
    return (int64_t)(s * 1000 + rest * 1000 / rate);
}

static bool s_image(media_info_t *info, const char *mime, uint32_t w, uint32_t h)
{
    if (w == 0 || h == 0)
        return false;
    info->kind = MEDIA_KIND_IMAGE;
    info->mime = mime;
    info->width = w;
    info->height = h;
    return true;
}

/* PNG: 8-byte signature, then the IHDR chunk (length 13) comes first. */
bool mp_probe_png(const uint8_t *data, size_t len, media_info_t *info)
{
    static const char sig[] = "\x89PNG\r\n\x1a\n";
    if (!mp_is(data, len, 0, sig, 8) || !mp_has(len, 8, 8 + 13))
        return false;
    if (mp_be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0)
        return false;
    uint32_t w = mp_be32(data + 16), h = mp_be32(data + 20);
    if (w > 0x7fffffffu || h > 0x7fffffffu) /* the PNG spec's limit */
        return false;
    return s_image(info, "image/png", w, h);
}

/* A start-of-frame marker: C0..CF except DHT (C4), JPG (C8) and DAC (CC). */
static bool s_is_sof(uint8_t m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* JPEG: SOI, then segments until a SOFn, whose payload is precision (1),
 * height (2), width (2). A scan (SOS) before any SOFn is broken. */
bool mp_probe_jpeg(const uint8_t *data, size_t len, media_info_t *info)
{
    if (!mp_is(data, len, 0, "\xff\xd8\xff", 3))
        return false;
    size_t off = 2;
    for (;;) {
        if (!mp_has(len, off, 2) || data[off] != 0xff)
            return false;
        while (mp_has(len, off + 1, 1) && data[off + 1] == 0xff) /* fill bytes */
            off++;
        if (!mp_has(len, off, 2))
            return false;
        uint8_t m = data[off + 1];
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) { /* no length */
            off += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda || m == 0xd8 || m == 0x00)
            return false; /* end of image, a scan, a nested SOI: no frame header */
        if (!mp_has(len, off + 2, 2))
            return false;
        uint32_t seglen = mp_be16(data + off + 2);
        if (seglen < 2 || !mp_has(len, off + 2, seglen))
            return false;
        if (s_is_sof(m)) {
            if (seglen < 8)
                return false;
            uint32_t h = mp_be16(data + off + 5), w = mp_be16(data + off + 7);
            return s_image(info, "image/jpeg", w, h); /* h == 0 (DNL) is refused */
        }
        off += 2 + seglen;
    }
}

/* GIF: "GIF87a" / "GIF89a", then the logical screen width and height (LE). */
bool mp_probe_gif(const uint8_t *data, size_t len, media_info_t *info)
{
    if (!(mp_is(data, len, 0, "GIF87a", 6) || mp_is(data, len, 0, "GIF89a", 6)))
        return false;
    if (!mp_has(len, 0, 13))
        return false;
    return s_image(info, "image/gif", mp_le16(data + 6), mp_le16(data + 8));
}

/* WebP: RIFF....WEBP and a first chunk of VP8 (lossy: key frame start code,
 * 14-bit sizes), VP8L (lossless: signature 0x2f, 14-bit sizes minus one) or
 * VP8X (extended: 24-bit canvas sizes minus one). */
bool mp_probe_webp(const uint8_t *data, size_t len, media_info_t *info)
{
    if (!mp_is(data, len, 0, "RIFF", 4) || !mp_is(data, len, 8, "WEBP", 4) ||
        !mp_has(len, 12, 8))
        return false;
    const uint8_t *chunk = data + 12;
    uint32_t clen = mp_le32(chunk + 4);
    const uint8_t *p = chunk + 8;
    size_t off = 20;
    if (memcmp(chunk, "VP8 ", 4) == 0) {
        if (clen < 10 || !mp_has(len, off, 10) || memcmp(p + 3, "\x9d\x01\x2a", 3) != 0)
            return false;
        if (p[0] & 1) /* not a key frame */
            return false;
        return s_image(info, "image/webp", mp_le16(p + 6) & 0x3fff, mp_le16(p + 8) & 0x3fff);
    }
    if (memcmp(chunk, "VP8L", 4) == 0) {
        if (clen < 5 || !mp_has(len, off, 5) || p[0] != 0x2f)
            return false;
        uint32_t bits = mp_le32(p + 1);
        if (bits >> 29 != 0) /* version must be 0 */
            return false;
        return s_image(info, "image/webp", (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
    }
    if (memcmp(chunk, "VP8X", 4) == 0) {
        if (clen < 10 || !mp_has(len, off, 10))
            return false;
        return s_image(info, "image/webp", mp_le24(p + 4) + 1, mp_le24(p + 7) + 1);
    }
    return false;
}
