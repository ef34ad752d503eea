/* kezctl's key files and other secret files.
 *
 * A key file is exactly one line, "ed25519-seed:" followed by the 32-byte
 * Ed25519 private seed in 64 lowercase hex digits, and a newline (which may
 * be missing); nothing else is accepted. It is created with mode 0600. */
#ifndef KEZCTL_KEYFILE_H
#define KEZCTL_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYFILE_PREFIX  "ed25519-seed:"
#define KEYFILE_DEFAULT "kez.key"
#define KEYFILE_ERR_LEN 4352 /* room for a path and a reason */

/* Writes `text` to a new file of mode 0600. Without `force` an existing
 * path is refused (O_EXCL); with it the file is written beside the path
 * and renamed over it, so a failure never leaves the old key half
 * overwritten. Nothing is left behind on failure. 0, or -1 with a reason
 * in err. */
int secret_file_write(const char *path, const char *text, size_t len, bool force, char *err, size_t errlen);

/* Writes a key file holding `seed`. 0, or -1 with a reason in err. */
int keyfile_write(const char *path, const uint8_t seed[32], bool force, char *err, size_t errlen);

/* Reads a key file; warns on stderr when others may read it. 0, or -1 with
 * a reason in err. */
int keyfile_read(const char *path, uint8_t seed[32], char *err, size_t errlen);

#endif
