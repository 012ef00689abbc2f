/* media_probe_webm.c - WebM with an Opus audio track (what browsers'
 * MediaRecorder writes for voice notes).
 *
 * An EBML walk that descends into the master elements it needs (Segment,
 * Info, Tracks, TrackEntry, Cluster, BlockGroup) and skips every other
 * element by its size. Descending instead of skipping is also what makes
 * MediaRecorder's "unknown size" Segment and Clusters work: their children
 * simply follow. Duration: Info/Duration (in TimecodeScale units) when
 * present; else the largest block timecode (Cluster Timecode + the block's
 * relative timecode), i.e. the start of the last block. Accepted only with
 * DocType "webm", an A_OPUS track and no video track. O(len). */
#include <math.h>

#include "media_probe_int.h"

enum {
    S_EBML = 0x1a45dfa3,
    S_DOCTYPE = 0x4282,
    S_SEGMENT = 0x18538067,
    S_INFO = 0x1549a966,
    S_TIMECODE_SCALE = 0x2ad7b1,
    S_DURATION = 0x4489,
    S_TRACKS = 0x1654ae6b,
    S_TRACK_ENTRY = 0xae,
    S_TRACK_TYPE = 0x83,
    S_CODEC_ID = 0x86,
    S_CLUSTER = 0x1f43b675,
    S_CLUSTER_TIMECODE = 0xe7,
    S_BLOCK_GROUP = 0xa0,
    S_BLOCK = 0xa1,
    S_SIMPLE_BLOCK = 0xa3,
};

typedef struct {
    bool ebml;           /* the file starts with an EBML header */
    bool webm;           /* DocType "webm" */
    bool opus;           /* a track with CodecID A_OPUS */
    bool video;          /* a video track (TrackType 1): not a voice clip */
    uint64_t scale;      /* TimecodeScale in ns, default 1 ms */
    double duration;     /* Info/Duration in scale units, < 0 when absent */
    uint64_t cluster_tc; /* the current Cluster's Timecode */
    int64_t last_tc;     /* largest block timecode seen, -1 before any */
} s_webm_t;

/* An EBML variable-size integer at off: its width and value. As an
 * element id the marker bit stays (ids are written that way); as a size it
 * is removed, and all value bits set means "unknown". */
static bool s_vint(const uint8_t *d, size_t len, size_t off, bool id, size_t *width,
                   uint64_t *value, bool *unknown)
{
    if (!mp_has(len, off, 1) || d[off] == 0)
        return false;
    size_t w = 1;
    while (!(d[off] & (0x80 >> (w - 1))))
        w++;
    if (w > (id ? 4u : 8u) || !mp_has(len, off, w))
        return false;
    uint64_t v = id ? d[off] : d[off] & (0xffu >> w);
    bool ones = v == (0xffu >> w);
    for (size_t i = 1; i < w; i++) {
        v = v << 8 | d[off + i];
        ones = ones && d[off + i] == 0xff;
    }
    *width = w;
    *value = v;
    if (unknown)
        *unknown = !id && ones;
    return true;
}

static uint64_t s_uint(const uint8_t *p, uint64_t n)
{
    uint64_t v = 0;
    for (uint64_t i = 0; i < n && i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static double s_float(const uint8_t *p, uint64_t n)
{
    if (n == 4) {
        uint32_t bits = mp_be32(p);
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    if (n == 8) {
        uint64_t bits = mp_be64(p);
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    return -1;
}

static bool s_descends(uint64_t id)
{
    return id == S_EBML || id == S_SEGMENT || id == S_INFO || id == S_TRACKS ||
           id == S_TRACK_ENTRY || id == S_CLUSTER || id == S_BLOCK_GROUP;
}

/* One leaf element's payload p (n bytes, all present). */
static void s_leaf(s_webm_t *w, uint64_t id, const uint8_t *p, uint64_t n)
{
    switch (id) {
    case S_DOCTYPE:
        w->webm = n >= 4 && memcmp(p, "webm", 4) == 0 && (n == 4 || p[4] == 0);
        break;
    case S_TIMECODE_SCALE:
        w->scale = s_uint(p, n);
        break;
    case S_DURATION:
        w->duration = s_float(p, n);
        break;
    case S_TRACK_TYPE:
        if (s_uint(p, n) == 1)
            w->video = true;
        break;
    case S_CODEC_ID:
        if (n >= 6 && memcmp(p, "A_OPUS", 6) == 0 && (n == 6 || p[6] == 0))
            w->opus = true;
        break;
    case S_CLUSTER_TIMECODE:
        w->cluster_tc = s_uint(p, n);
        break;
    case S_BLOCK:
    case S_SIMPLE_BLOCK: {
        size_t tw;
        uint64_t track;
        if (!s_vint(p, n, 0, false, &tw, &track, NULL) || !mp_has(n, tw, 2))
            break;
        int16_t rel = (int16_t)mp_be16(p + tw);
        int64_t tc = (int64_t)(w->cluster_tc & 0x3fffffffffffull) + rel;
        if (tc > w->last_tc)
            w->last_tc = tc;
        break;
    }
    default:
        break;
    }
}

static int64_t s_ms(double units, uint64_t scale_ns)
{
    double ms = units * (double)scale_ns / 1e6;
    if (!isfinite(ms) || ms < 0 || ms > 1e15)
        return -1;
    return (int64_t)llround(ms);
}

bool mp_probe_webm(const uint8_t *data, size_t len, media_info_t *info)
{
    if (!mp_is(data, len, 0, "\x1a\x45\xdf\xa3", 4))
        return false;
    s_webm_t w = {.scale = 1000000, .duration = -1, .last_tc = -1, .ebml = true};
    size_t off = 0;
    while (off < len) {
        size_t iw, sw;
        uint64_t id, size;
        bool unknown;
        if (!s_vint(data, len, off, true, &iw, &id, NULL) ||
            !s_vint(data, len, off + iw, false, &sw, &size, &unknown))
            break;
        off += iw + sw;
        if (s_descends(id))
            continue; /* its children follow, whatever its size says */
        if (unknown || !mp_has(len, off, size))
            break; /* truncated: what was read so far stands */
        s_leaf(&w, id, data + off, size);
        off += size;
    }
    if (!w.ebml || !w.webm || !w.opus || w.video || w.scale == 0)
        return false;
    info->kind = MEDIA_KIND_VOICE;
    info->mime = "audio/webm";
    info->duration_ms = w.duration > 0 ? s_ms(w.duration, w.scale)
                        : w.last_tc >= 0 ? s_ms((double)w.last_tc, w.scale)
                                         : -1;
    return true;
}
