/* proxy.h - the client's address, through trusted reverse proxies. Pure, no I/O.
 *
 * X-Forwarded-For is believed only when the socket peer is a trusted proxy
 * (PIGEON_TRUSTED_PROXIES: comma-separated IPv4/IPv6 addresses or CIDRs).
 * Then the list is walked from the right, skipping trusted hops; the first
 * untrusted address is the client. Everything left of it was written by the
 * client itself and may be forged, so it is never looked at. */
#ifndef PIGEON_GW_PROXY_H
#define PIGEON_GW_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
    int family;     /* AF_INET or AF_INET6 */
    uint8_t b[16];  /* address bytes (4 used for AF_INET) */
} gw_addr_t;

typedef struct gw_proxies gw_proxies_t;

/* NULL or "" gives an empty set (nothing trusted). NULL with a reason in
 * err on a malformed entry. */
gw_proxies_t *gw_proxies_parse(const char *list, char *err, size_t errlen);
void gw_proxies_destroy(gw_proxies_t **p);

/* Parses "1.2.3.4", "::1", "[::1]", "1.2.3.4:80", "[::1]:80"; IPv4-mapped
 * IPv6 addresses become IPv4. */
bool gw_addr_parse(const char *text, size_t len, gw_addr_t *out);
bool gw_addr_from_sockaddr(const struct sockaddr *sa, gw_addr_t *out);
/* Canonical text ("1.2.3.4", "2001:db8::1") into out (>= 46 bytes). */
void gw_addr_format(const gw_addr_t *a, char *out, size_t size);

bool gw_proxies_trusts(const gw_proxies_t *p, const gw_addr_t *a);

/* The client's address as text into out (>= 46 bytes). xff is every
 * X-Forwarded-For header of the request joined with ',' (NULL if none). */
void gw_client_ip(const gw_proxies_t *p, const gw_addr_t *peer, const char *xff, char *out,
                  size_t size);

#endif
