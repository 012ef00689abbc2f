/* proxy.c - trusted proxies and X-Forwarded-For. */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    gw_addr_t net;  /* network address */
    int prefix;     /* leading bits that must match */
} gw_cidr_t;

struct gw_proxies {
    gw_cidr_t *nets; /* trusted networks */
    size_t count;    /* entries in nets */
};

static const uint8_t s_v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void s_normalize(gw_addr_t *a)
{
    if (a->family == AF_INET6 && memcmp(a->b, s_v4_mapped, 12) == 0) {
        memmove(a->b, a->b + 12, 4);
        memset(a->b + 4, 0, 12);
        a->family = AF_INET;
    }
}

bool gw_addr_parse(const char *text, size_t len, gw_addr_t *out)
{
    char buf[64];
    while (len > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *s = buf;
    if (s[0] == '[') { /* "[v6]" or "[v6]:port" */
        char *close = strchr(s, ']');
        if (!close || (close[1] != '\0' && close[1] != ':'))
            return false;
        *close = '\0';
        s++;
    } else {
        char *colon = strchr(s, ':');
        if (colon && !strchr(colon + 1, ':')) /* one colon: "v4:port" */
            *colon = '\0';
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, s, out->b) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, out->b) == 1) {
        out->family = AF_INET6;
        s_normalize(out);
        return true;
    }
    return false;
}

bool gw_addr_from_sockaddr(const struct sockaddr *sa, gw_addr_t *out)
{
    memset(out, 0, sizeof *out);
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        out->family = AF_INET;
        memcpy(out->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        out->family = AF_INET6;
        memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        s_normalize(out);
        return true;
    }
    return false;
}

void gw_addr_format(const gw_addr_t *a, char *out, size_t size)
{
    if (!inet_ntop(a->family, a->b, out, (socklen_t)size))
        snprintf(out, size, "unknown");
}

static bool s_parse_cidr(const char *text, size_t len, gw_cidr_t *out)
{
    const char *slash = memchr(text, '/', len);
    size_t alen = slash ? (size_t)(slash - text) : len;
    if (!gw_addr_parse(text, alen, &out->net))
        return false;
    int max = out->net.family == AF_INET ? 32 : 128;
    out->prefix = max;
    if (slash) {
        char digits[8];
        size_t dlen = len - alen - 1;
        if (dlen == 0 || dlen >= sizeof digits)
            return false;
        memcpy(digits, slash + 1, dlen);
        digits[dlen] = '\0';
        char *end;
        long v = strtol(digits, &end, 10);
        if (*end != '\0' || v < 0)
            return false;
        /* "::ffff:10.0.0.0/104" was normalized to IPv4: shift the prefix too. */
        if (out->net.family == AF_INET && memchr(text, ':', alen) && v >= 96)
            v -= 96;
        if (v > max)
            return false;
        out->prefix = (int)v;
    }
    return true;
}

gw_proxies_t *gw_proxies_parse(const char *list, char *err, size_t errlen)
{
    gw_proxies_t *p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    if (!list || !*list)
        return p;
    size_t cap = 1;
    for (const char *c = list; *c; c++)
        cap += *c == ',';
    p->nets = calloc(cap, sizeof *p->nets);
    if (!p->nets)
        goto oom;
    const char *s = list;
    for (;;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len > 0 && !s_parse_cidr(s, len, &p->nets[p->count++])) {
            snprintf(err, errlen,
                     "PIGEON_TRUSTED_PROXIES must list IP addresses or CIDRs, not \"%.*s\"",
                     (int)(len > 64 ? 64 : len), s);
            gw_proxies_destroy(&p);
            return NULL;
        }
        if (!end)
            break;
        s = end + 1;
    }
    return p;
oom:
    snprintf(err, errlen, "out of memory");
    gw_proxies_destroy(&p);
    return NULL;
}

void gw_proxies_destroy(gw_proxies_t **pp)
{
    if (!pp || !*pp)
        return;
    free((*pp)->nets);
    free(*pp);
    *pp = NULL;
}

static bool s_in(const gw_cidr_t *n, const gw_addr_t *a)
{
    if (n->net.family != a->family)
        return false;
    int full = n->prefix / 8, rest = n->prefix % 8;
    if (memcmp(n->net.b, a->b, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (n->net.b[full] & mask) == (a->b[full] & mask);
}

bool gw_proxies_trusts(const gw_proxies_t *p, const gw_addr_t *a)
{
    for (size_t i = 0; p && i < p->count; i++)
        if (s_in(&p->nets[i], a))
            return true;
    return false;
}

void gw_client_ip(const gw_proxies_t *p, const gw_addr_t *peer, const char *xff, char *out,
                  size_t size)
{
    gw_addr_t client = *peer;
    if (xff && gw_proxies_trusts(p, peer)) {
        /* Walk right to left; stop at the first hop we do not trust. An entry
         * that is not an address ends the walk: the last trusted hop is then
         * the best we know. O(length of the header), which MHD bounds. */
        const char *end = xff + strlen(xff);
        while (end > xff) {
            const char *start = end;
            while (start > xff && start[-1] != ',')
                start--;
            gw_addr_t hop;
            if (!gw_addr_parse(start, (size_t)(end - start), &hop)) {
                bool blank = true;
                for (const char *c = start; c < end; c++)
                    blank = blank && (*c == ' ' || *c == '\t');
                if (!blank)
                    break;
            } else {
                client = hop;
                if (!gw_proxies_trusts(p, &hop))
                    break;
            }
            end = start > xff ? start - 1 : xff;
        }
    }
    gw_addr_format(&client, out, size);
}
