/* media_probe_int.h - shared by the media_probe_*.c parsers, nothing else.
 *
 * Bounds-checked readers over untrusted bytes: every read names the offset
 * and the length it needs, and a read that would pass the end answers false
 * instead of touching memory. */
#ifndef PIGEON_MEDIA_PROBE_INT_H
#define PIGEON_MEDIA_PROBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media_probe.h"

/* True when [off, off + n) lies inside a buffer of len bytes. */
static inline bool mp_has(size_t len, size_t off, size_t n)
{
    return off <= len && n <= len - off;
}

static inline uint32_t mp_be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t mp_be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t mp_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t mp_be64(const uint8_t *p)
{
    return (uint64_t)mp_be32(p) << 32 | mp_be32(p + 4);
}

static inline uint32_t mp_le16(const uint8_t *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

static inline uint32_t mp_le24(const uint8_t *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint32_t mp_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t mp_le64(const uint8_t *p)
{
    return (uint64_t)mp_le32(p + 4) << 32 | mp_le32(p);
}

/* True when the buffer holds `magic` (n bytes) at off. */
static inline bool mp_is(const uint8_t *data, size_t len, size_t off, const char *magic, size_t n)
{
    return mp_has(len, off, n) && memcmp(data + off, magic, n) == 0;
}

/* Images (media_probe_image.c). */
bool mp_probe_png(const uint8_t *data, size_t len, media_info_t *info);
bool mp_probe_jpeg(const uint8_t *data, size_t len, media_info_t *info);
bool mp_probe_gif(const uint8_t *data, size_t len, media_info_t *info);
bool mp_probe_webp(const uint8_t *data, size_t len, media_info_t *info);

/* Voice (media_probe_voice.c, media_probe_mpeg.c, media_probe_webm.c, media_probe_mp4.c). */
bool mp_probe_wav(const uint8_t *data, size_t len, media_info_t *info);
bool mp_probe_ogg_opus(const uint8_t *data, size_t len, media_info_t *info);
bool mp_probe_amr(const uint8_t *data, size_t len, media_info_t *info);
bool mp_probe_mpeg_audio(const uint8_t *data, size_t len, media_info_t *info); /* MP3, ADTS */
bool mp_probe_webm(const uint8_t *data, size_t len, media_info_t *info);
bool mp_probe_mp4(const uint8_t *data, size_t len, media_info_t *info);

/* ms from a count of samples at `rate` Hz, saturating instead of overflowing. */
int64_t mp_samples_ms(uint64_t samples, uint64_t rate);

#endif
