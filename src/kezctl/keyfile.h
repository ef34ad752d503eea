/* kezctl's key files: one line "ed25519-seed:<64 lowercase hex>", mode 0600. */
#ifndef KEZCTL_KEYFILE_H
#define KEZCTL_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYFILE_PREFIX "ed25519-seed:"

/* Writes a new key file (refusing to replace one unless `force`). 0, or -1
 * with a reason in err. */
int keyfile_write(const char *path, const uint8_t seed[32], bool force, char *err, size_t errlen);
/* Reads a key file. 0, or -1 with a reason in err. */
int keyfile_read(const char *path, uint8_t seed[32], char *err, size_t errlen);

#endif
