/* media_probe_voice.c - WAV, Ogg/Opus and AMR: their durations come from the
 * container alone.
 *
 *   WAV: RIFF/WAVE chunks; "fmt " gives the byte rate, "data" the size;
 *        duration = data bytes / byte rate (a data size past the end of the
 *        file, as streaming writers leave it, counts only what is there).
 *   Ogg/Opus: the first page carries OpusHead (pre-skip); the granule
 *        position of the last complete page of that stream counts 48 kHz
 *        samples: duration = (granule - pre-skip) / 48000.
 *   AMR: "#!AMR\n" (narrow band) or "#!AMR-WB\n", then frames whose size
 *        follows from the frame type in their first byte; 20 ms each.
 * Each walk is O(len) with a constant cost per chunk, page or frame. */
#include "media_probe_int.h"

static bool s_voice(media_info_t *info, const char *mime, int64_t duration_ms)
{
    info->kind = MEDIA_KIND_VOICE;
    info->mime = mime;
    info->duration_ms = duration_ms;
    return true;
}

bool mp_probe_wav(const uint8_t *data, size_t len, media_info_t *info)
{
    if (!mp_is(data, len, 0, "RIFF", 4) || !mp_is(data, len, 8, "WAVE", 4))
        return false;
    uint32_t byte_rate = 0;
    size_t off = 12;
    while (mp_has(len, off, 8)) {
        const uint8_t *c = data + off;
        uint32_t clen = mp_le32(c + 4);
        size_t body = off + 8;
        if (memcmp(c, "fmt ", 4) == 0) {
            if (clen < 16 || !mp_has(len, body, 16))
                return false;
            uint32_t channels = mp_le16(data + body + 2), rate = mp_le32(data + body + 4);
            byte_rate = mp_le32(data + body + 8);
            if (channels == 0 || rate == 0 || byte_rate == 0)
                return false;
        } else if (memcmp(c, "data", 4) == 0) {
            if (byte_rate == 0) /* no fmt chunk before the samples */
                return false;
            uint64_t present = len - body;
            uint64_t bytes = clen < present ? clen : present;
            return s_voice(info, "audio/wav", mp_samples_ms(bytes, byte_rate));
        }
        if (!mp_has(len, body, clen))
            return false;
        off = body + clen + (clen & 1); /* chunks are padded to even sizes */
    }
    return false;
}

/* One Ogg page header at off: its total size, granule and serial. */
typedef struct {
    size_t size;      /* header + segment table + body */
    size_t body;      /* offset of the body */
    uint64_t granule; /* granule position (all ones: no packet ends here) */
    uint32_t serial;  /* logical stream */
    uint8_t flags;    /* 0x02 beginning of stream */
} s_ogg_page_t;

static bool s_ogg_page(const uint8_t *data, size_t len, size_t off, s_ogg_page_t *pg)
{
    if (!mp_has(len, off, 27) || memcmp(data + off, "OggS", 4) != 0 || data[off + 4] != 0)
        return false;
    size_t nseg = data[off + 26];
    if (!mp_has(len, off + 27, nseg))
        return false;
    size_t body_len = 0;
    for (size_t i = 0; i < nseg; i++)
        body_len += data[off + 27 + i];
    pg->body = off + 27 + nseg;
    if (!mp_has(len, pg->body, body_len))
        return false;
    pg->size = 27 + nseg + body_len;
    pg->granule = mp_le64(data + off + 6);
    pg->serial = mp_le32(data + off + 14);
    pg->flags = data[off + 5];
    return true;
}

bool mp_probe_ogg_opus(const uint8_t *data, size_t len, media_info_t *info)
{
    s_ogg_page_t first;
    if (!s_ogg_page(data, len, 0, &first) || !(first.flags & 0x02))
        return false;
    /* OpusHead: magic (8), version (1), channels (1), pre-skip (2), rate (4)... */
    const uint8_t *head = data + first.body;
    if (first.size - first.body < 19 || memcmp(head, "OpusHead", 8) != 0)
        return false;
    if ((head[8] & 0xf0) != 0 || head[9] == 0) /* major version 0, >= 1 channel */
        return false;
    uint64_t pre_skip = mp_le16(head + 10);
    uint64_t last = 0;
    size_t off = first.size;
    s_ogg_page_t pg;
    /* A truncated last page simply ends the walk. */
    while (s_ogg_page(data, len, off, &pg)) {
        if (pg.serial == first.serial && pg.granule != UINT64_MAX)
            last = pg.granule;
        off += pg.size;
    }
    uint64_t samples = last > pre_skip ? last - pre_skip : 0;
    return s_voice(info, "audio/ogg", mp_samples_ms(samples, 48000));
}

/* Frame sizes in bytes, including the one-byte frame header, by frame type
 * (3GPP TS 26.101 / 26.201; types 9..15 are SID-less or NO_DATA: 1 byte). */
static const uint8_t s_amr_nb[16] = {13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1};
static const uint8_t s_amr_wb[16] = {18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1};

bool mp_probe_amr(const uint8_t *data, size_t len, media_info_t *info)
{
    const uint8_t *sizes;
    size_t off;
    const char *mime;
    if (mp_is(data, len, 0, "#!AMR\n", 6)) {
        sizes = s_amr_nb, off = 6, mime = "audio/amr";
    } else if (mp_is(data, len, 0, "#!AMR-WB\n", 9)) {
        sizes = s_amr_wb, off = 9, mime = "audio/amr-wb";
    } else {
        return false;
    }
    uint64_t frames = 0;
    while (off < len) {
        uint8_t h = data[off];
        if (h & 0x83) /* the F bit and the padding bits are zero in files */
            break;
        size_t n = sizes[(h >> 3) & 0x0f];
        if (!mp_has(len, off, n))
            break;
        off += n;
        frames++;
    }
    if (frames > (uint64_t)INT64_MAX / 20)
        return false;
    return s_voice(info, mime, (int64_t)frames * 20);
}
