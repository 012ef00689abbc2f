/* auth_validate.h - the rules for what pigeon-auth accepts. Pure, no I/O.
 *
 * Each check returns true when the value is acceptable; otherwise it writes
 * a client-facing reason naming the field into err (for a 400 answer). */
#ifndef PIGEON_AUTH_VALIDATE_H
#define PIGEON_AUTH_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_USERNAME_MIN 3
#define AUTH_USERNAME_MAX 32
#define AUTH_NICKNAME_MAX_CHARS 64
#define AUTH_NICKNAME_MAX_BYTES (AUTH_NICKNAME_MAX_CHARS * 4)
#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 128
#define AUTH_SEARCH_Q_MAX_CHARS 64 /* no username or nickname is longer */
#define AUTH_SEARCH_LIMIT_DEFAULT 20
#define AUTH_SEARCH_LIMIT_MAX 50
#define AUTH_DEVICE_MAX_CHARS 128
#define AUTH_GET_USERS_MAX 1000 /* ids in one auth.get_users batch */
/* base64url without padding of a username: 4 chars per 3 bytes, plus NUL. */
#define AUTH_CURSOR_SIZE (((AUTH_USERNAME_MAX + 2) / 3) * 4 + 1)

/* Username: 3-32 of a-z 0-9 _ . - in any case. `out` receives the
 * lower-case form, which is how usernames are stored and compared. */
bool auth_validate_username(const char *in, char out[AUTH_USERNAME_MAX + 1], char *err,
                            size_t errlen);

/* Nickname: 1-64 code points of valid UTF-8, no control characters. */
bool auth_validate_nickname(const char *s, char *err, size_t errlen);

/* Password at register: 8-128 bytes. */
bool auth_validate_password(const char *s, char *err, size_t errlen);

/* Password at login: 1-128 bytes (a rule made stricter later must not lock
 * out accounts created under the old one). */
bool auth_validate_login_password(const char *s, char *err, size_t errlen);

/* "open" or "approval". */
bool auth_validate_add_policy(const char *s, char *err, size_t errlen);

/* Device label at login: absent, or up to 128 code points without control characters. */
bool auth_validate_device(const char *s, char *err, size_t errlen);

/* Search text: 1-64 code points, no control characters. */
bool auth_validate_search_q(const char *q, char *err, size_t errlen);

/* Page size: absent -> 20; otherwise 1..50. */
bool auth_validate_search_limit(bool has_limit, uint32_t limit, uint32_t *out, char *err,
                                size_t errlen);

/* Search cursor: base64url (no padding) of the last username of a page. */
void auth_cursor_encode(const char *username, char out[AUTH_CURSOR_SIZE]);
/* True when `cursor` decodes to a well-formed lower-case username, written to out. */
bool auth_cursor_decode(const char *cursor, char out[AUTH_USERNAME_MAX + 1]);

/* Copies s into a new string with LIKE's metacharacters (% _ \) escaped by
 * a backslash, between `before` and `after` (e.g. "" and "%" for a prefix).
 * ASCII letters are lower-cased when `lower` is set. NULL on OOM. */
char *auth_like_pattern(const char *s, const char *before, const char *after, bool lower);

#endif
