/* media_http.h - the HTTP rules of API.md's "Media" routes. Pure, no I/O.
 *
 * The body limit of POST /v1/media (http.c asks before reading a byte),
 * Range and If-None-Match parsing for GET /v1/media/{id}, and the sizes the
 * download streaming works with (media.c). */
#ifndef PIGEON_GW_MEDIA_HTTP_H
#define PIGEON_GW_MEDIA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest upload (images; pigeon-media applies 5 MiB to voice). */
#define GW_MEDIA_MAX_BODY (10u * 1024u * 1024u)
/* Bytes asked of media.read per call while streaming a download (the
 * service allows up to 4 MiB): one such chunk is what a download holds in
 * the gateway's memory, besides libmicrohttpd's GW_MEDIA_BLOCK buffer. */
#define GW_MEDIA_CHUNK (256u * 1024u)
/* libmicrohttpd's buffer per streamed response. */
#define GW_MEDIA_BLOCK (64u * 1024u)

/* The body limit of (method, path) when it is POST /v1/media, else 0 (the
 * JSON limit applies). */
size_t gw_media_body_limit(const char *method, const char *path);

typedef enum {
    GW_RANGE_NONE = 0,      /* no usable Range: answer 200 with everything */
    GW_RANGE_OK,            /* one satisfiable range: 206 with [*first, *last] */
    GW_RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes * / size */
} gw_range_t;

/* RFC 9110 14.1 for one range of a file of `size` bytes: "bytes=a-b",
 * "bytes=a-" or "bytes=-n" (last n bytes; more than size: everything).
 * *first and *last are inclusive. A header that is not one well-formed
 * bytes range (several ranges, another unit, garbage) is ignored, as the
 * RFC allows: GW_RANGE_NONE. */
gw_range_t gw_range_parse(const char *header, uint64_t size, uint64_t *first, uint64_t *last);

/* If-None-Match against our strong ETag (`"<sha256>"`, quotes included):
 * true for "*" or a list naming it (weak "W/" forms compare equal, RFC 9110
 * 13.1.2). */
bool gw_etag_matches(const char *if_none_match, const char *etag);

#endif
