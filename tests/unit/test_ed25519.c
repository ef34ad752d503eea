/* RFC 8032 §7.1 test vectors, and signatures that must not verify. */
#include "common/ed25519.h"
#include "unit.h"

struct vector {
	const char *secret, *public, *message, *signature;
};

static const struct vector vectors[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

UNIT_TEST(ed25519_rfc8032_vectors)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		uint8_t seed[32], pub[32], want_pub[32], msg[16], want_sig[64], sig[64];
		unit_hex_to_bytes(vectors[i].secret, seed, 32);
		unit_hex_to_bytes(vectors[i].public, want_pub, 32);
		size_t n = unit_hex_to_bytes(vectors[i].message, msg, sizeof msg);
		unit_hex_to_bytes(vectors[i].signature, want_sig, 64);
		CHECK(ed25519_public_key(seed, pub) == 0);
		CHECK(memcmp(pub, want_pub, 32) == 0);
		CHECK(ed25519_sign(seed, msg, n, sig) == 0);
		CHECK(memcmp(sig, want_sig, 64) == 0);
		CHECK(ed25519_verify(want_pub, msg, n, want_sig));
	}
}

UNIT_TEST(ed25519_tampered_signatures_fail)
{
	const struct vector *v = &vectors[2];
	uint8_t pub[32], msg[2], sig[64];
	unit_hex_to_bytes(v->public, pub, 32);
	unit_hex_to_bytes(v->message, msg, 2);
	unit_hex_to_bytes(v->signature, sig, 64);
	CHECK(ed25519_verify(pub, msg, 2, sig));
	msg[0] ^= 1;
	CHECK(!ed25519_verify(pub, msg, 2, sig));
	msg[0] ^= 1;
	sig[5] ^= 0x40;
	CHECK(!ed25519_verify(pub, msg, 2, sig));
	sig[5] ^= 0x40;
	pub[31] ^= 1;
	CHECK(!ed25519_verify(pub, msg, 2, sig));
	pub[31] ^= 1;
	CHECK(!ed25519_verify(pub, msg, 1, sig)); /* truncated message */
	/* S >= L (the group order) is not canonical and must be refused:
	 * S + L encodes the same scalar. */
	static const uint8_t order[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
					   0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0, 0, 0, 0x10 };
	uint8_t big[64];
	memcpy(big, sig, 64);
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		unsigned s = big[32 + i] + order[i] + carry;
		big[32 + i] = (uint8_t)s;
		carry = s >> 8;
	}
	CHECK(!ed25519_verify(pub, msg, 2, big));
}

UNIT_TEST(ed25519_generate_sign_verify)
{
	uint8_t seed[32], pub[32], sig[64];
	CHECK(ed25519_generate(seed, pub) == 0);
	const uint8_t msg[] = "kez";
	CHECK(ed25519_sign(seed, msg, 3, sig) == 0);
	CHECK(ed25519_verify(pub, msg, 3, sig));
	uint8_t other_seed[32], other_pub[32];
	CHECK(ed25519_generate(other_seed, other_pub) == 0);
	CHECK(memcmp(pub, other_pub, 32) != 0);
	CHECK(!ed25519_verify(other_pub, msg, 3, sig));
}
