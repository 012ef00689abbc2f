/* media_probe.h - what a file is, judged from its bytes alone.
 *
 * media_probe() reads only headers and container structure: it never
 * decodes pixels or audio, allocates nothing and reads nothing outside
 * [data, data + len), so it is safe on any input (tests/fuzz/fuzz_media_probe.c).
 * Accepted: images JPEG, PNG, GIF, WebP (width and height from the header);
 * voice Ogg/Opus, WebM/Opus, MP3, AAC (ADTS) and M4A, AMR, WAV (duration
 * from the container). Anything else is MEDIA_PROBE_UNSUPPORTED (415). */
#ifndef PIGEON_MEDIA_PROBE_H
#define PIGEON_MEDIA_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* API.md's limits per kind (413 above them). */
#define MEDIA_IMAGE_MAX_BYTES (10u * 1024u * 1024u)
#define MEDIA_VOICE_MAX_BYTES (5u * 1024u * 1024u)
/* Default PIGEON_MEDIA_MAX_PIXELS: above it an image is a decompression bomb. */
#define MEDIA_DEFAULT_MAX_PIXELS 50000000ull

typedef enum {
    MEDIA_KIND_NONE = 0, /* not accepted */
    MEDIA_KIND_IMAGE,
    MEDIA_KIND_VOICE,
} media_kind_t;

typedef enum {
    MEDIA_PROBE_OK = 0,
    MEDIA_PROBE_UNSUPPORTED, /* not an accepted format, or a broken header */
} media_probe_result_t;

typedef struct {
    media_kind_t kind;   /* image or voice */
    const char *mime;    /* static string: "image/png", "audio/ogg", ... */
    uint32_t width;      /* images: pixels; 0 for voice */
    uint32_t height;     /* images: pixels; 0 for voice */
    int64_t duration_ms; /* voice: milliseconds, -1 when the file does not say */
} media_info_t;

/* Fills *info (zeroed first) or answers MEDIA_PROBE_UNSUPPORTED. */
media_probe_result_t media_probe(const uint8_t *data, size_t len, media_info_t *info);

/* "image" / "voice" (NULL for MEDIA_KIND_NONE), and back (NONE when unknown). */
const char *media_kind_name(media_kind_t kind);
media_kind_t media_kind_parse(const char *name);

/* The most bytes API.md accepts for `kind` (0 for NONE). */
size_t media_kind_max_bytes(media_kind_t kind);

/* True when an image's pixel count is within max_pixels (always true for
 * voice). Checked before anything decodes the image: a small file that
 * claims 100000 x 100000 pixels would need 30 GB to decode. */
bool media_pixels_ok(const media_info_t *info, uint64_t max_pixels);

#endif
