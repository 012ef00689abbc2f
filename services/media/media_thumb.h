/* media_thumb.h - thumbnails with libvips.
 *
 * libvips is started once per process (media_thumb_init, thread-safe,
 * idempotent) with its operation cache off (a thumbnail is made once and
 * then read from the database, so caching decoded images would only hold
 * memory), one libvips worker thread per operation (the service's own
 * worker pool is the parallelism), and its untrusted loaders blocked
 * (only the well-kept JPEG, PNG, GIF and WebP loaders run on client bytes).
 * Images reach libvips only after media_probe() and media_pixels_ok(). */
#ifndef PIGEON_MEDIA_THUMB_H
#define PIGEON_MEDIA_THUMB_H

#include <stddef.h>
#include <stdint.h>

#include "media_store.h"

/* Longest side of a thumbnail in pixels (API.md). */
#define MEDIA_THUMB_MAX_SIDE 320

/* Starts libvips; 0, or -1 (logged) when it cannot start. */
int media_thumb_init(void);

/* A thumbnail of the image in data: at most max_side on its longer side,
 * never enlarged, EXIF orientation applied; JPEG (quality 80, metadata
 * stripped), or PNG when the image has an alpha channel (JPEG has none).
 * PC_OK with *out filled (clear with media_thumb_row_clear),
 * PC_UNSUPPORTED_MEDIA_TYPE when libvips cannot decode it, PC_INTERNAL. */
int media_thumb_make(const uint8_t *data, size_t len, int max_side, media_thumb_row_t *out);

#endif
