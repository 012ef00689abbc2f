/* media_probe_mp4.c - AAC/M4A: an ISO base media file (MP4) with a sound
 * track and no video track.
 *
 * A box walk from the top: "ftyp" must come first with an audio-capable
 * brand; "moov" is found wherever it is (before or after "mdat", which is
 * skipped by its size). Duration: the movie header (mvhd duration /
 * timescale), else the sound track's media header (mdhd); fragmented files
 * whose headers say 0 store null. Depth is bounded (moov/trak/mdia = 3);
 * O(number of boxes). */
#include "media_probe_int.h"

#define S_MAX_DEPTH 4

typedef struct {
    bool ftyp;             /* a first ftyp box with an accepted brand */
    bool sound;            /* a track whose handler is "soun" */
    bool video;            /* a track whose handler is "vide" */
    int64_t movie_ms;      /* from mvhd, -1 when absent or 0 */
    int64_t track_ms;      /* from the current track's mdhd, -1 when absent */
    int64_t sound_ms;      /* from the mdhd of the first sound track */
} s_mp4_t;

static bool s_brand_ok(const uint8_t *b)
{
    static const char *const brands[] = {"M4A ", "M4B ", "mp42", "mp41", "isom", "iso2",
                                         "iso5", "iso6", "dash", "M4V "};
    for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
        if (memcmp(b, brands[i], 4) == 0)
            return true;
    return false;
}

/* mvhd and mdhd share their start: version/flags (4), then for version 0
 * creation (4), modification (4), timescale (4), duration (4); for
 * version 1 the times and the duration are 8 bytes. */
static int64_t s_header_ms(const uint8_t *p, uint64_t n)
{
    if (n < 4)
        return -1;
    uint64_t scale, duration;
    if (p[0] == 1) {
        if (n < 4 + 8 + 8 + 4 + 8)
            return -1;
        scale = mp_be32(p + 20);
        duration = mp_be64(p + 24);
        if (duration == UINT64_MAX)
            return -1;
    } else {
        if (n < 4 + 4 + 4 + 4 + 4)
            return -1;
        scale = mp_be32(p + 12);
        duration = mp_be32(p + 16);
        if (duration == UINT32_MAX)
            return -1;
    }
    if (scale == 0 || duration == 0)
        return -1;
    return mp_samples_ms(duration, scale);
}

static void s_walk(const uint8_t *data, size_t start, size_t end, int depth, s_mp4_t *m)
{
    size_t off = start;
    while (mp_has(end, off, 8)) {
        uint64_t size = mp_be32(data + off);
        const uint8_t *type = data + off + 4;
        size_t hdr = 8;
        if (size == 1) {
            if (!mp_has(end, off, 16))
                return;
            size = mp_be64(data + off + 8);
            hdr = 16;
        } else if (size == 0) {
            size = end - off; /* to the end of the enclosing box */
        }
        if (size < hdr || size > end - off)
            return; /* truncated or lying: stop here */
        const uint8_t *body = data + off + hdr;
        uint64_t n = size - hdr;
        if (depth == 0 && off == start) {
            m->ftyp = memcmp(type, "ftyp", 4) == 0 && n >= 8 && s_brand_ok(body);
            for (uint64_t i = 8; !m->ftyp && memcmp(type, "ftyp", 4) == 0 && i + 4 <= n; i += 4)
                m->ftyp = s_brand_ok(body + i); /* compatible brands */
            if (!m->ftyp)
                return;
        }
        bool moov = memcmp(type, "moov", 4) == 0, trak = memcmp(type, "trak", 4) == 0;
        if (trak)
            m->track_ms = -1;
        if ((moov || trak || memcmp(type, "mdia", 4) == 0) && depth < S_MAX_DEPTH) {
            s_walk(data, off + hdr, off + (size_t)size, depth + 1, m);
        } else if (memcmp(type, "mvhd", 4) == 0) {
            m->movie_ms = s_header_ms(body, n);
        } else if (memcmp(type, "mdhd", 4) == 0) {
            m->track_ms = s_header_ms(body, n);
        } else if (memcmp(type, "hdlr", 4) == 0 && n >= 12) {
            /* version/flags (4), pre_defined (4), handler_type (4) */
            if (memcmp(body + 8, "soun", 4) == 0) {
                if (!m->sound)
                    m->sound_ms = m->track_ms;
                m->sound = true;
            } else if (memcmp(body + 8, "vide", 4) == 0) {
                m->video = true;
            }
        }
        off += (size_t)size;
    }
}

bool mp_probe_mp4(const uint8_t *data, size_t len, media_info_t *info)
{
    if (!mp_is(data, len, 4, "ftyp", 4))
        return false;
    s_mp4_t m = {.movie_ms = -1, .track_ms = -1, .sound_ms = -1};
    s_walk(data, 0, len, 0, &m);
    if (!m.ftyp || !m.sound || m.video)
        return false;
    info->kind = MEDIA_KIND_VOICE;
    info->mime = "audio/mp4";
    info->duration_ms = m.movie_ms >= 0 ? m.movie_ms : m.sound_ms;
    return true;
}
