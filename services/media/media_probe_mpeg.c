/* media_probe_mpeg.c - MPEG audio: MP3 (MPEG-1/2/2.5 Layer III) and AAC in
 * ADTS frames, after any ID3v2 tags.
 *
 * The 11-bit frame sync is a weak signature, so a stream is accepted only
 * when a valid frame header is followed by another one (or by the end of
 * the file). Duration: for MP3 the frame count of a Xing/Info or VBRI header
 * when there is one (VBR files), else a walk over every frame header,
 * summing samples (1152 per MPEG-1 frame, 576 per MPEG-2/2.5 frame; 1024 per
 * AAC raw data block). O(len / frame size) header reads. */
#include "media_probe_int.h"

/* How far past the ID3 tags a first frame is searched for (padding, junk). */
#define S_SYNC_SCAN 4096

typedef struct {
    size_t size;      /* whole frame in bytes */
    uint32_t rate;    /* sample rate in Hz */
    uint32_t samples; /* samples per channel in this frame */
    uint8_t version;  /* MP3: 0 = 2.5, 2 = MPEG-2, 3 = MPEG-1; ADTS: 0 */
    bool mono;        /* MP3: single channel (side info size) */
} s_frame_t;

static const uint16_t s_kbps_v1[16] = {0,   32,  40,  48,  56,  64,  80, 96,
                                       112, 128, 160, 192, 224, 256, 320, 0};
static const uint16_t s_kbps_v2[16] = {0,  8,  16, 24,  32,  40,  48,  56,
                                       64, 80, 96, 112, 128, 144, 160, 0};
static const uint32_t s_rates_v1[3] = {44100, 48000, 32000};
static const uint32_t s_adts_rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                          22050, 16000, 12000, 11025, 8000,  7350};

/* MP3: Layer III frame header (4 bytes) at p. */
static bool s_mp3_header(const uint8_t *p, s_frame_t *f)
{
    if (p[0] != 0xff || (p[1] & 0xe0) != 0xe0)
        return false;
    uint8_t version = (p[1] >> 3) & 3, layer = (p[1] >> 1) & 3;
    uint8_t br = p[2] >> 4, sr = (p[2] >> 2) & 3, pad = (p[2] >> 1) & 1;
    if (version == 1 || layer != 1 || br == 0 || br == 15 || sr == 3)
        return false;
    uint32_t kbps = version == 3 ? s_kbps_v1[br] : s_kbps_v2[br];
    uint32_t rate = s_rates_v1[sr] >> (version == 3 ? 0 : version == 2 ? 1 : 2);
    f->version = version;
    f->rate = rate;
    f->samples = version == 3 ? 1152 : 576;
    f->size = (version == 3 ? 144000u : 72000u) * kbps / rate + pad;
    f->mono = (p[3] >> 6) == 3;
    return true;
}

/* AAC ADTS header (7 bytes) at p: sync 0xFFF, layer 00. */
static bool s_adts_header(const uint8_t *p, s_frame_t *f)
{
    if (p[0] != 0xff || (p[1] & 0xf6) != 0xf0)
        return false;
    uint8_t sr = (p[2] >> 2) & 0x0f;
    size_t size = (size_t)(p[3] & 3) << 11 | (size_t)p[4] << 3 | p[5] >> 5;
    size_t hdr = (p[1] & 1) ? 7 : 9; /* protection_absent, else a CRC follows */
    if (sr >= 13 || size < hdr)
        return false;
    f->version = 0;
    f->rate = s_adts_rates[sr];
    f->samples = 1024u * ((p[6] & 3) + 1u);
    f->size = size;
    f->mono = false;
    return true;
}

typedef bool (*s_header_fn)(const uint8_t *p, s_frame_t *f);

static bool s_frame_at(const uint8_t *data, size_t len, size_t off, s_header_fn hdr, s_frame_t *f)
{
    return mp_has(len, off, 7) && hdr(data + off, f) && f->size > 0;
}

/* True when a frame at off is followed by a like frame or by the end. */
static bool s_synced(const uint8_t *data, size_t len, size_t off, s_header_fn hdr)
{
    s_frame_t a, b;
    if (!s_frame_at(data, len, off, hdr, &a) || !mp_has(len, off, a.size))
        return false;
    size_t next = off + a.size;
    if (next == len)
        return true;
    return s_frame_at(data, len, next, hdr, &b) && b.rate == a.rate && b.version == a.version;
}

/* Bytes of ID3v2 tags at the start (several may follow each other). */
static size_t s_skip_id3(const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (mp_is(data, len, off, "ID3", 3) && mp_has(len, off, 10)) {
        const uint8_t *h = data + off;
        if (h[3] == 0xff || h[4] == 0xff || ((h[6] | h[7] | h[8] | h[9]) & 0x80))
            break;
        size_t size = (size_t)h[6] << 21 | (size_t)h[7] << 14 | (size_t)h[8] << 7 | h[9];
        size += 10 + ((h[5] & 0x10) ? 10 : 0); /* header, footer */
        if (!mp_has(len, off, size))
            break;
        off += size;
    }
    return off;
}

/* MP3 VBR headers in the first frame: frames count, or 0 when absent. */
static uint64_t s_vbr_frames(const uint8_t *data, size_t len, size_t off, const s_frame_t *f)
{
    size_t side = f->version == 3 ? (f->mono ? 17 : 32) : (f->mono ? 9 : 17);
    size_t x = off + 4 + side;
    if (mp_is(data, len, x, "Xing", 4) || mp_is(data, len, x, "Info", 4)) {
        if (mp_has(len, x, 12) && (mp_be32(data + x + 4) & 1))
            return mp_be32(data + x + 8);
        return 0;
    }
    size_t v = off + 4 + 32;
    if (mp_is(data, len, v, "VBRI", 4) && mp_has(len, v, 18))
        return mp_be32(data + v + 14);
    return 0;
}

/* Sums samples over consecutive frames like the first one. */
static uint64_t s_walk(const uint8_t *data, size_t len, size_t off, s_header_fn hdr,
                       const s_frame_t *first)
{
    uint64_t samples = 0;
    s_frame_t f;
    while (s_frame_at(data, len, off, hdr, &f) && f.rate == first->rate &&
           f.version == first->version && mp_has(len, off, f.size)) {
        samples += f.samples;
        off += f.size;
    }
    return samples;
}

bool mp_probe_mpeg_audio(const uint8_t *data, size_t len, media_info_t *info)
{
    size_t start = s_skip_id3(data, len);
    size_t end = len - start > S_SYNC_SCAN ? start + S_SYNC_SCAN : len;
    for (size_t off = start; off < end; off++) {
        if (data[off] != 0xff)
            continue;
        s_frame_t f = {0};
        if (s_synced(data, len, off, s_mp3_header) &&
            s_frame_at(data, len, off, s_mp3_header, &f)) {
            uint64_t frames = s_vbr_frames(data, len, off, &f);
            uint64_t samples = frames ? frames * f.samples : s_walk(data, len, off, s_mp3_header, &f);
            info->kind = MEDIA_KIND_VOICE;
            info->mime = "audio/mpeg";
            info->duration_ms = mp_samples_ms(samples, f.rate);
            return true;
        }
        if (s_synced(data, len, off, s_adts_header) &&
            s_frame_at(data, len, off, s_adts_header, &f)) {
            info->kind = MEDIA_KIND_VOICE;
            info->mime = "audio/aac";
            info->duration_ms = mp_samples_ms(s_walk(data, len, off, s_adts_header, &f), f.rate);
            return true;
        }
    }
    return false;
}
