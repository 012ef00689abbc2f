/* clock.c - wall and monotonic time, and RFC 3339 formatting. */
#include "clock.h"

#include <string.h>
#include <time.h>

int64_t pc_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t pc_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The civil date of day `days` since 1970-01-01 (proleptic Gregorian):
 * the era arithmetic of H. Hinnant's civil_from_days. Pure arithmetic,
 * unlike gmtime_r, which takes glibc's time zone lock. */
static void s_civil(int64_t days, int64_t *y, int *m, int *d)
{
    days += 719468; /* from 0000-03-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;                                   /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], from March */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static char *s_digits(char *p, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void pc_time_rfc3339(int64_t us, char *buf, size_t size)
{
    if (size == 0)
        return;
    /* Floor division, so times before 1970 still get a 0..999 ms part. */
    int64_t secs = us / 1000000;
    int64_t rem = us % 1000000;
    if (rem < 0) {
        rem += 1000000;
        secs -= 1;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int64_t y;
    int m, d;
    s_civil(days, &y, &m, &d);
    /* RFC 3339 years have four digits: clamp what lies outside. */
    if (y < 0) {
        y = 0, m = 1, d = 1, sod = 0, rem = 0;
    } else if (y > 9999) {
        y = 9999, m = 12, d = 31, sod = 86399, rem = 999999;
    }
    char out[25], *p = out; /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
    p = s_digits(p, y, 4);
    *p++ = '-';
    p = s_digits(p, m, 2);
    *p++ = '-';
    p = s_digits(p, d, 2);
    *p++ = 'T';
    p = s_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = s_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = s_digits(p, sod % 60, 2);
    *p++ = '.';
    p = s_digits(p, rem / 1000, 3);
    *p++ = 'Z';
    *p = '\0';
    size_t n = (size_t)(p - out) < size ? (size_t)(p - out) : size - 1;
    memcpy(buf, out, n);
    buf[n] = '\0';
}
