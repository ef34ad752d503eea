#include "common/proc/attest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

/* Statements are a few fixed fields: a bounded stack buffer holds any. */
#define ATTEST_INPUT_MAX 512

static const struct {
	const char *label;
	size_t      fields;
} kinds[ATTEST_KIND_COUNT] = {
	[ATTEST_REGISTRY_INSERT] = { "kez registry insert v1", 2 },
};

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
}

static size_t encode(enum attest_kind kind, const struct attest_field *fields, size_t n, uint8_t *out)
{
	const char *label = kinds[kind].label;
	size_t label_len = strlen(label), at = 0;
	out[at++] = (uint8_t)label_len;
	memcpy(out + at, label, label_len);
	at += label_len;
	for (size_t i = 0; i < n; i++) {
		if (at > ATTEST_INPUT_MAX - 4 || fields[i].len > ATTEST_INPUT_MAX - 4 - at)
			return 0;
		uint32_t len = (uint32_t)fields[i].len;
		out[at++] = (uint8_t)(len >> 24);
		out[at++] = (uint8_t)(len >> 16);
		out[at++] = (uint8_t)(len >> 8);
		out[at++] = (uint8_t)len;
		if (len)
			memcpy(out + at, fields[i].data, len);
		at += len;
	}
	return at;
}

int attest_mac(const struct attest_key *k, enum attest_kind kind, const struct attest_field *fields, size_t n,
	       uint8_t mac[ATTEST_MAC_LEN])
{
	if (!k || !k->set || (unsigned)kind >= ATTEST_KIND_COUNT || n != kinds[kind].fields)
		return -1;
	uint8_t input[ATTEST_INPUT_MAX];
	size_t len = encode(kind, fields, n, input);
	if (len == 0)
		return -1;
	unsigned int mac_len = 0;
	int ok = HMAC(EVP_sha256(), k->bytes, (int)sizeof k->bytes, input, len, mac, &mac_len) != NULL &&
		 mac_len == ATTEST_MAC_LEN;
	OPENSSL_cleanse(input, len);
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
