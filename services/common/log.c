/* log.c - one JSON object a line on stderr.
 *
 * The settings below are the one piece of mutable global state Pigeon allows:
 * written once by pc_log_init before any thread starts, then only read. Each
 * line is built in a stack buffer and handed to a single write(2) (stdio is
 * bypassed), so lines from concurrent threads do not interleave. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "utf8.h"

#define S_MSG_MAX 4096  /* longer messages are cut; no event needs more */
#define S_LINE_MAX 8192 /* whole line, after escaping */

static char s_service[32] = "pigeon";            /* "auth", "gateway", ... */
static char s_instance[64] = "";                 /* "<hostname>-<pid>" */
static pc_log_level_t s_min_level = PC_LOG_INFO; /* lower levels are dropped */

static const char *const s_level_names[] = {"debug", "info", "warn", "error"};

void pc_log_init(const char *service, const char *instance, pc_log_level_t min_level)
{
    snprintf(s_service, sizeof s_service, "%s", service ? service : "pigeon");
    snprintf(s_instance, sizeof s_instance, "%s", instance ? instance : "");
    s_min_level = min_level;
}

int pc_log_level_parse(const char *text)
{
    if (text == NULL)
        return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(text, s_level_names[i]) == 0)
            return i;
    return -1;
}

/* Output buffer that refuses to overflow: once full, further text is dropped
 * and `cut` remembers that the line was shortened. */
typedef struct {
    char *buf;   /* the line */
    size_t size; /* capacity, keeping room for the closing `"}\n` */
    size_t len;  /* bytes used */
    int cut;     /* set once something did not fit */
} s_out_t;

static void s_put(s_out_t *o, const char *s, size_t n)
{
    if (o->cut || o->len + n > o->size) {
        o->cut = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void s_puts(s_out_t *o, const char *s)
{
    s_put(o, s, strlen(s));
}

/* Length of the UTF-8 sequence a lead byte announces (0: not a lead byte). */
static size_t s_seq_len(unsigned char b)
{
    if (b >= 0xc2 && b <= 0xdf)
        return 2;
    if (b >= 0xe0 && b <= 0xef)
        return 3;
    if (b >= 0xf0 && b <= 0xf4)
        return 4;
    return 0;
}

/* Appends s as the inside of a JSON string. Invalid UTF-8 becomes U+FFFD so
 * that a log line stays valid JSON whatever a message quotes. */
static void s_put_escaped(s_out_t *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len && !o->cut) {
        unsigned char c = p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            s_put(o, esc, 2);
            i++;
        } else if (c == '\n') {
            s_puts(o, "\\n");
            i++;
        } else if (c == '\r') {
            s_puts(o, "\\r");
            i++;
        } else if (c == '\t') {
            s_puts(o, "\\t");
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            s_put(o, esc, 6);
            i++;
        } else if (c < 0x80) {
            s_put(o, (const char *)p + i, 1);
            i++;
        } else {
            size_t n = s_seq_len(c);
            if (n > 0 && i + n <= len && pc_utf8_valid((const char *)p + i, n)) {
                s_put(o, (const char *)p + i, n);
                i += n;
            } else {
                s_puts(o, "\\ufffd");
                i++;
            }
        }
    }
}

static void s_put_field(s_out_t *o, const char *key, const char *value)
{
    s_puts(o, ",\"");
    s_puts(o, key);
    s_puts(o, "\":\"");
    s_put_escaped(o, value);
    s_puts(o, "\"");
}

static void s_write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report a failing stderr */
        }
        buf += n;
        len -= (size_t)n;
    }
}

void pc_log(pc_log_level_t level, const char *trace_id, const char *fmt, ...)
{
    if (level < s_min_level)
        return;
    if (level > PC_LOG_ERROR)
        level = PC_LOG_ERROR;
    int saved_errno = errno; /* callers often log and then inspect errno */

    char msg[S_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(msg, sizeof msg, "(unformattable log message)");

    char line[S_LINE_MAX];
    const char *tail = "\"}\n";
    const char *cut_tail = "...\"}\n";
    s_out_t o = {line, sizeof line - strlen(cut_tail), 0, 0};

    char when[32];
    pc_time_rfc3339(pc_now_us(), when, sizeof when);
    s_puts(&o, "{\"time\":\"");
    s_puts(&o, when);
    s_puts(&o, "\"");
    s_put_field(&o, "level", s_level_names[level]);
    s_put_field(&o, "service", s_service);
    s_put_field(&o, "instance", s_instance);
    if (trace_id != NULL)
        s_put_field(&o, "trace", trace_id);
    s_puts(&o, ",\"msg\":\"");
    s_put_escaped(&o, msg);

    /* A cut line still closes its string and object: readers keep parsing. */
    int cut = o.cut || (size_t)n >= sizeof msg;
    const char *end = cut ? cut_tail : tail;
    memcpy(line + o.len, end, strlen(end));
    o.len += strlen(end);
    s_write_all(line, o.len);
    errno = saved_errno;
}
