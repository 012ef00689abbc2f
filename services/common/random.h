/* random.h - identifiers from the system CSPRNG (libsodium). */
#ifndef PIGEON_RANDOM_H
#define PIGEON_RANDOM_H

#include <stddef.h>

/* Writes 2*nbytes lowercase hex chars and a NUL into out (size >= 2*nbytes+1). */
void pc_random_hex(char *out, size_t nbytes);

/* Lowercase hex of `len` bytes into out (size >= 2*len+1). */
void pc_hex_encode(const unsigned char *in, size_t len, char *out);

#endif
