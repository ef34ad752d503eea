#include "common/proc/attest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

/* The longest field: a sigchain event's canonical bytes fit one IPC body. */
#define ATTEST_FIELD_MAX (64u * 1024u)

static const struct {
	const char *label;
	size_t      fields;
} kinds[ATTEST_KIND_COUNT] = {
	[ATTEST_REGISTRY_INSERT] = { "kez registry insert v1", 2 },
	[ATTEST_SIGCHAIN_APPEND] = { "kez sigchain append v1", 2 },
};

/* HMAC-SHA256 keyed once and copied for each statement: fetching HMAC and
 * SHA-256 and keying them anew took longer than the MAC itself. One key is
 * kept (a process attests under one); attest_key_wipe drops it too. */
static struct {
	pthread_mutex_t lock;
	uint8_t         key[ATTEST_KEY_LEN];
	EVP_MAC_CTX    *keyed; /* NULL: none yet */
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void cache_drop_locked(void)
{
	EVP_MAC_CTX_free(cache.keyed);
	cache.keyed = NULL;
	OPENSSL_cleanse(cache.key, sizeof cache.key);
}

static EVP_MAC_CTX *keyed_new(const uint8_t key[ATTEST_KEY_LEN])
{
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	EVP_MAC_free(hmac); /* the context keeps its own reference */
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0), OSSL_PARAM_construct_end() };
	if (ctx && !EVP_MAC_init(ctx, key, ATTEST_KEY_LEN, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* A fresh context keyed with k, to feed and finish; NULL when libcrypto fails. */
static EVP_MAC_CTX *keyed_copy(const struct attest_key *k)
{
	pthread_mutex_lock(&cache.lock);
	if (!cache.keyed || CRYPTO_memcmp(cache.key, k->bytes, sizeof cache.key) != 0) {
		cache_drop_locked();
		cache.keyed = keyed_new(k->bytes);
		if (cache.keyed)
			memcpy(cache.key, k->bytes, sizeof cache.key);
	}
	EVP_MAC_CTX *ctx = cache.keyed ? EVP_MAC_CTX_dup(cache.keyed) : NULL;
	pthread_mutex_unlock(&cache.lock);
	return ctx;
}

int attest_key_generate(struct attest_key *k)
{
	k->set = false;
	if (RAND_bytes(k->bytes, sizeof k->bytes) != 1)
		return -1;
	k->set = true;
	return 0;
}

void attest_key_wipe(struct attest_key *k)
{
	OPENSSL_cleanse(k->bytes, sizeof k->bytes);
	k->set = false;
	pthread_mutex_lock(&cache.lock);
	cache_drop_locked();
	pthread_mutex_unlock(&cache.lock);
}

/* The statement fed to the MAC piece by piece: len8(label) || label, then
 * be32(len) || bytes per field. Streaming keeps a sigchain event's bytes
 * (up to an IPC body) out of any fixed buffer. */
static int feed(EVP_MAC_CTX *ctx, enum attest_kind kind, const struct attest_field *fields, size_t n)
{
	const char *label = kinds[kind].label;
	uint8_t label_len = (uint8_t)strlen(label);
	if (!EVP_MAC_update(ctx, &label_len, 1) || !EVP_MAC_update(ctx, (const unsigned char *)label, label_len))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (fields[i].len > ATTEST_FIELD_MAX)
			return -1;
		uint32_t len = (uint32_t)fields[i].len;
		const uint8_t be[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
		if (!EVP_MAC_update(ctx, be, sizeof be) || (len && !EVP_MAC_update(ctx, fields[i].data, len)))
			return -1;
	}
	return 0;
}

int attest_mac(const struct attest_key *k, enum attest_kind kind, const struct attest_field *fields, size_t n,
	       uint8_t mac[ATTEST_MAC_LEN])
{
	if (!k || !k->set || (unsigned)kind >= ATTEST_KIND_COUNT || n != kinds[kind].fields)
		return -1;
	EVP_MAC_CTX *ctx = keyed_copy(k);
	size_t out_len = 0;
	int ok = ctx && feed(ctx, kind, fields, n) == 0 && EVP_MAC_final(ctx, mac, &out_len, ATTEST_MAC_LEN) &&
		 out_len == ATTEST_MAC_LEN;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -1;
}

bool attest_check(const struct attest_key *k, enum attest_kind kind, const struct attest_field *fields, size_t n,
		  const uint8_t mac[ATTEST_MAC_LEN])
{
	uint8_t want[ATTEST_MAC_LEN];
	if (attest_mac(k, kind, fields, n, want) < 0)
		return false;
	bool same = CRYPTO_memcmp(want, mac, sizeof want) == 0;
	OPENSSL_cleanse(want, sizeof want);
	return same;
}

int attest_insert_mac(const struct attest_key *k, const char *handle, size_t handle_len, const uint8_t primary[32],
		      uint8_t mac[ATTEST_MAC_LEN])
{
	const struct attest_field f[2] = { { handle, handle_len }, { primary, 32 } };
	return attest_mac(k, ATTEST_REGISTRY_INSERT, f, 2, mac);
}

bool attest_insert_check(const struct attest_key *k, const char *handle, size_t handle_len,
			 const uint8_t primary[32], const uint8_t mac[ATTEST_MAC_LEN])
{
	const struct attest_field f[2] = { { handle, handle_len }, { primary, 32 } };
	return attest_check(k, ATTEST_REGISTRY_INSERT, f, 2, mac);
}

int attest_self_test(const struct attest_key *k)
{
	static const uint8_t zero_key[32];
	uint8_t mac[ATTEST_MAC_LEN];
	if (attest_insert_mac(k, "selftest", 8, zero_key, mac) < 0 ||
	    !attest_insert_check(k, "selftest", 8, zero_key, mac))
		return -1;
	mac[0] ^= 1;
	return attest_insert_check(k, "selftest", 8, zero_key, mac) ? -1 : 0;
}

int attest_append_mac(const struct attest_key *k, const uint8_t *fields, size_t fields_len, const void *event,
		      size_t event_len, uint8_t mac[ATTEST_MAC_LEN])
{
	const struct attest_field f[2] = { { fields, fields_len }, { event, event_len } };
	return attest_mac(k, ATTEST_SIGCHAIN_APPEND, f, 2, mac);
}

bool attest_append_check(const struct attest_key *k, const uint8_t *fields, size_t fields_len, const void *event,
			 size_t event_len, const uint8_t mac[ATTEST_MAC_LEN])
{
	const struct attest_field f[2] = { { fields, fields_len }, { event, event_len } };
	return attest_check(k, ATTEST_SIGCHAIN_APPEND, f, 2, mac);
}
