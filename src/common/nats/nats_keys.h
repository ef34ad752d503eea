/* The NATS seeds the configuration names, read once by the master before any
 * child starts. Each child keeps only the seeds its role uses (the service
 * seed: the nats client; the issuer and curve seeds: the verifier) and wipes
 * the rest. */
#ifndef KEZ_NATS_KEYS_H
#define KEZ_NATS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config/config.h"
#include "common/nats/nkeys.h"

struct nats_keys {
	bool    has_service;
	uint8_t service_seed[NKEY_KEY_LEN];  /* the callout service's user seed */
	bool    has_issuer;
	uint8_t issuer_seed[NKEY_KEY_LEN];   /* signs grants */
	char    issuer_public[NKEY_PUBLIC_LEN + 1];
	bool    has_xkey;
	uint8_t xkey_seed[NKEY_KEY_LEN];     /* opens and seals callout messages */
};

/* Reads every seed file `cfg` names. 0, or -1 with the flag at fault in
 * *flag and the reason in err; nothing is left in `k` then. */
int  nats_keys_load(struct nats_keys *k, const struct config *cfg, const char **flag, char *err, size_t errlen);
/* Wipes the service seed unless keep_service, the issuer and curve seeds
 * unless keep_signing (public parts and has_* flags stay). */
void nats_keys_keep(struct nats_keys *k, bool keep_service, bool keep_signing);

#endif
