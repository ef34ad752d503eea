/* Attestations: the MAC is over exactly the documented encoding, changes
 * with every field and the key, and nothing verifies without the key. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/proc/attest.h"
#include "unit.h"

static void fixed_key(struct attest_key *k, uint8_t fill)
{
	memset(k->bytes, fill, sizeof k->bytes);
	k->set = true;
}

UNIT_TEST(attest_insert_encoding)
{
	struct attest_key k;
	fixed_key(&k, 0x42);
	uint8_t primary[32];
	for (int i = 0; i < 32; i++)
		primary[i] = (uint8_t)i;
	/* len8(label) || label || be32(5) || "alice" || be32(32) || key, by hand */
	uint8_t input[128];
	size_t at = 0;
	const char label[] = "kez registry insert v1";
	input[at++] = (uint8_t)(sizeof label - 1);
	memcpy(input + at, label, sizeof label - 1);
	at += sizeof label - 1;
	memcpy(input + at, "\0\0\0\5alice", 9);
	at += 9;
	memcpy(input + at, "\0\0\0\x20", 4);
	at += 4;
	memcpy(input + at, primary, 32);
	at += 32;
	uint8_t want[32];
	unsigned int want_len = 0;
	REQUIRE(HMAC(EVP_sha256(), k.bytes, 32, input, at, want, &want_len) != NULL && want_len == 32);
	uint8_t mac[ATTEST_MAC_LEN];
	REQUIRE(attest_insert_mac(&k, "alice", 5, primary, mac) == 0);
	CHECK_EQ_MEM(mac, want, 32);
	CHECK(attest_insert_check(&k, "alice", 5, primary, mac));
}

UNIT_TEST(attest_insert_binds_every_field)
{
	struct attest_key k, other;
	fixed_key(&k, 1);
	fixed_key(&other, 2);
	uint8_t primary[32] = { 9 }, mac[ATTEST_MAC_LEN];
	REQUIRE(attest_insert_mac(&k, "alice", 5, primary, mac) == 0);
	CHECK(attest_insert_check(&k, "alice", 5, primary, mac));
	CHECK(!attest_insert_check(&k, "alicf", 5, primary, mac));  /* another handle */
	CHECK(!attest_insert_check(&k, "alice", 4, primary, mac));  /* a prefix of it */
	CHECK(!attest_insert_check(&k, "admin", 5, primary, mac));
	primary[31] ^= 1;
	CHECK(!attest_insert_check(&k, "alice", 5, primary, mac));  /* another key */
	primary[31] ^= 1;
	CHECK(!attest_insert_check(&other, "alice", 5, primary, mac)); /* another attestation key */
	for (int bit = 0; bit < 8 * ATTEST_MAC_LEN; bit += 37) {
		mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK(!attest_insert_check(&k, "alice", 5, primary, mac));
		mac[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	uint8_t zero[ATTEST_MAC_LEN] = { 0 };
	CHECK(!attest_insert_check(&k, "alice", 5, primary, zero));
	/* the same statement, the same MAC: a re-sent insert carries it again */
	uint8_t again[ATTEST_MAC_LEN];
	REQUIRE(attest_insert_mac(&k, "alice", 5, primary, again) == 0);
	CHECK_EQ_MEM(again, mac, ATTEST_MAC_LEN);
}

UNIT_TEST(attest_fields_are_length_prefixed)
{
	struct attest_key k;
	fixed_key(&k, 7);
	uint8_t bytes[40];
	memset(bytes, 'a', sizeof bytes);
	/* moving a byte from one field to the next changes the statement */
	uint8_t a[ATTEST_MAC_LEN], b[ATTEST_MAC_LEN];
	const struct attest_field fa[2] = { { bytes, 4 }, { bytes, 32 } };
	const struct attest_field fb[2] = { { bytes, 5 }, { bytes, 31 } };
	REQUIRE(attest_mac(&k, ATTEST_REGISTRY_INSERT, fa, 2, a) == 0);
	REQUIRE(attest_mac(&k, ATTEST_REGISTRY_INSERT, fb, 2, b) == 0);
	CHECK(memcmp(a, b, sizeof a) != 0);
	/* a kind takes its own number of fields, and the encoding is bounded */
	CHECK(attest_mac(&k, ATTEST_REGISTRY_INSERT, fa, 1, a) < 0);
	CHECK(attest_mac(&k, ATTEST_KIND_COUNT, fa, 2, a) < 0);
	/* longer than any IPC body: refused before a byte of it is read */
	const struct attest_field huge[2] = { { bytes, (size_t)64 * 1024 + 1 }, { bytes, 32 } };
	CHECK(attest_mac(&k, ATTEST_REGISTRY_INSERT, huge, 2, a) < 0);
	CHECK(!attest_check(&k, ATTEST_REGISTRY_INSERT, huge, 2, a));
}

UNIT_TEST(attest_without_a_key)
{
	struct attest_key k;
	REQUIRE(attest_key_generate(&k) == 0);
	CHECK(k.set);
	struct attest_key k2;
	REQUIRE(attest_key_generate(&k2) == 0);
	CHECK(memcmp(k.bytes, k2.bytes, sizeof k.bytes) != 0);
	CHECK_EQ_INT(attest_self_test(&k), 0);
	uint8_t primary[32] = { 1 }, mac[ATTEST_MAC_LEN];
	REQUIRE(attest_insert_mac(&k, "bob", 3, primary, mac) == 0);
	attest_key_wipe(&k);
	CHECK(!k.set);
	uint8_t zero[ATTEST_KEY_LEN] = { 0 };
	CHECK_EQ_MEM(k.bytes, zero, sizeof zero);
	/* a wiped key makes nothing and accepts nothing, not even its old MACs */
	CHECK(attest_insert_mac(&k, "bob", 3, primary, mac) < 0);
	CHECK(!attest_insert_check(&k, "bob", 3, primary, mac));
	CHECK(attest_self_test(&k) < 0);
	CHECK(attest_self_test(NULL) < 0);
	attest_key_wipe(&k2);
}

/* Appends: the MAC binds the fields and the stored bytes, and no insert MAC
 * passes as an append (nor the other way round). */
UNIT_TEST(attest_append_binds_fields_and_bytes)
{
	struct attest_key k;
	fixed_key(&k, 9);
	uint8_t fields[182], mac[ATTEST_MAC_LEN];
	memset(fields, 3, sizeof fields);
	const char event[] = "{\"kez\":\"sigchain_event\"}";
	REQUIRE(attest_append_mac(&k, fields, sizeof fields, event, sizeof event - 1, mac) == 0);
	CHECK(attest_append_check(&k, fields, sizeof fields, event, sizeof event - 1, mac));
	fields[100] ^= 1;
	CHECK(!attest_append_check(&k, fields, sizeof fields, event, sizeof event - 1, mac));
	fields[100] ^= 1;
	CHECK(!attest_append_check(&k, fields, sizeof fields, event, sizeof event - 2, mac));
	/* a long event (most of an IPC body) streams through */
	static uint8_t big[60000];
	REQUIRE(attest_append_mac(&k, fields, sizeof fields, big, sizeof big, mac) == 0);
	CHECK(attest_append_check(&k, fields, sizeof fields, big, sizeof big, mac));
	big[59999] = 1;
	CHECK(!attest_append_check(&k, fields, sizeof fields, big, sizeof big, mac));
	/* kinds are separated by their labels */
	uint8_t insert_mac[ATTEST_MAC_LEN];
	REQUIRE(attest_insert_mac(&k, (const char *)fields, 32, fields, insert_mac) == 0);
	const struct attest_field same[2] = { { fields, 32 }, { fields, 32 } };
	CHECK(!attest_check(&k, ATTEST_SIGCHAIN_APPEND, same, 2, insert_mac));
}
