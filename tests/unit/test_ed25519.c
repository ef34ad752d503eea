/* RFC 8032 §7.1 (Ed25519) test vectors, and signatures that must not verify. */
#include "common/kez/ed25519.h"
#include "unit.h"

/* TEST 1024's message: 1023 bytes. */
static const char test1024_message[] =
	"08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
	"e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
	"658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
	"7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
	"06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
	"3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
	"85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
	"502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
	"88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
	"eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
	"b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
	"e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
	"51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
	"cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
	"f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
	"984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
	"88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
	"43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
	"b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
	"0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
	"b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
	"c60c905c15fc910840b94c00a0b9d0";

struct vector {
	const char *name, *secret, *public, *message, *signature;
};

static const struct vector vectors[] = {
	{ "TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
	{ "TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
	  "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", test1024_message,
	  "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03" },
};

#define N_VECTORS (sizeof vectors / sizeof vectors[0])
#define MSG_MAX   1024

struct decoded {
	uint8_t seed[32], pub[32], sig[64], msg[MSG_MAX];
	size_t  msg_len;
};

static bool decode(const struct vector *v, struct decoded *d)
{
	memset(d, 0, sizeof *d); /* the byte past the message is read too */
	d->msg_len = strlen(v->message) / 2;
	return unit_hex(v->secret, d->seed, 32) == 32 && unit_hex(v->public, d->pub, 32) == 32 &&
	       unit_hex(v->signature, d->sig, 64) == 64 && unit_hex(v->message, d->msg, MSG_MAX) == d->msg_len;
}

UNIT_TEST(ed25519_rfc8032_vectors)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		struct decoded d;
		if (!decode(&vectors[i], &d))
			continue;
		uint8_t pub[32], sig[64];
		if (!CHECK(ed25519_public_key(d.seed, pub) == 0) || !CHECK_EQ_MEM(pub, d.pub, 32) ||
		    !CHECK(ed25519_sign(d.seed, d.msg, d.msg_len, sig) == 0) || !CHECK_EQ_MEM(sig, d.sig, 64) ||
		    !CHECK(ed25519_verify(d.pub, d.msg, d.msg_len, d.sig)))
			unit_fail(__FILE__, __LINE__, "%s (%zu-byte message) fails", vectors[i].name, d.msg_len);
	}
	struct decoded d;
	REQUIRE(decode(&vectors[3], &d));
	CHECK_EQ_INT(d.msg_len, 1023);
}

/* One flipped bit anywhere (message, R, S, key) and nothing verifies. */
UNIT_TEST(ed25519_tampered_inputs_fail)
{
	for (size_t i = 0; i < N_VECTORS; i++) {
		struct decoded d;
		if (!decode(&vectors[i], &d))
			continue;
		REQUIRE(ed25519_verify(d.pub, d.msg, d.msg_len, d.sig));
		for (size_t bit = 0; bit < 8 * d.msg_len; bit += d.msg_len > 64 ? 997 : 1) {
			d.msg[bit / 8] ^= (uint8_t)(1u << bit % 8);
			if (!CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, d.sig)))
				unit_fail(__FILE__, __LINE__, "%s: message bit %zu", vectors[i].name, bit);
			d.msg[bit / 8] ^= (uint8_t)(1u << bit % 8);
		}
		for (size_t bit = 0; bit < 512; bit += 7) { /* R is bits 0-255, S 256-511 */
			d.sig[bit / 8] ^= (uint8_t)(1u << bit % 8);
			if (!CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, d.sig)))
				unit_fail(__FILE__, __LINE__, "%s: signature bit %zu", vectors[i].name, bit);
			d.sig[bit / 8] ^= (uint8_t)(1u << bit % 8);
		}
		for (size_t bit = 0; bit < 256; bit += 5) {
			d.pub[bit / 8] ^= (uint8_t)(1u << bit % 8);
			if (!CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, d.sig)))
				unit_fail(__FILE__, __LINE__, "%s: key bit %zu", vectors[i].name, bit);
			d.pub[bit / 8] ^= (uint8_t)(1u << bit % 8);
		}
		/* one byte more or less of message */
		if (d.msg_len > 0)
			CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len - 1, d.sig));
		CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len + 1, d.sig));
		/* another vector's key */
		struct decoded other;
		if (decode(&vectors[(i + 1) % N_VECTORS], &other))
			CHECK(!ed25519_verify(other.pub, d.msg, d.msg_len, d.sig));
		CHECK(ed25519_verify(d.pub, d.msg, d.msg_len, d.sig)); /* restored intact */
	}
}

/* S + L encodes the same scalar as S (L = the group order), so it "works"
 * in the equation; RFC 8032 §5.1.7 requires refusing S >= L, or signatures
 * would be malleable. */
UNIT_TEST(ed25519_non_canonical_s_fails)
{
	static const uint8_t order[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
					   0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0, 0, 0, 0x10 };
	for (size_t i = 0; i < N_VECTORS; i++) {
		struct decoded d;
		if (!decode(&vectors[i], &d))
			continue;
		uint8_t big[64];
		memcpy(big, d.sig, 64);
		unsigned carry = 0;
		for (int b = 0; b < 32; b++) {
			unsigned s = big[32 + b] + order[b] + carry;
			big[32 + b] = (uint8_t)s;
			carry = s >> 8;
		}
		CHECK(carry == 0); /* S < L, so S + L still fits in 256 bits */
		CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, big));
		/* S = L exactly, and S with the top bits set */
		memcpy(big + 32, order, 32);
		CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, big));
		memcpy(big, d.sig, 64);
		big[63] |= 0xe0;
		CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, big));
	}
}

/* Degenerate inputs are refused, not crashed on. */
UNIT_TEST(ed25519_degenerate_inputs_fail)
{
	uint8_t zero_key[32] = { 0 }, zero_sig[64] = { 0 }, ones[64];
	memset(ones, 0xff, sizeof ones);
	struct decoded d;
	REQUIRE(decode(&vectors[1], &d));
	CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, zero_sig));
	CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, ones));
	CHECK(!ed25519_verify(zero_key, d.msg, d.msg_len, d.sig));
	CHECK(!ed25519_verify(ones, d.msg, d.msg_len, d.sig));
	CHECK(!ed25519_verify(zero_key, (const uint8_t *)"", 0, zero_sig));
}

UNIT_TEST(ed25519_generate_sign_verify)
{
	uint8_t seed[32], pub[32], sig[64], again[64];
	REQUIRE(ed25519_generate(seed, pub) == 0);
	const uint8_t msg[] = "kez";
	CHECK(ed25519_sign(seed, msg, 3, sig) == 0);
	CHECK(ed25519_sign(seed, msg, 3, again) == 0);
	CHECK_EQ_MEM(sig, again, 64); /* Ed25519 signing is deterministic */
	CHECK(ed25519_verify(pub, msg, 3, sig));
	uint8_t derived[32];
	CHECK(ed25519_public_key(seed, derived) == 0);
	CHECK_EQ_MEM(derived, pub, 32);
	uint8_t other_seed[32], other_pub[32];
	REQUIRE(ed25519_generate(other_seed, other_pub) == 0);
	CHECK(memcmp(seed, other_seed, 32) != 0);
	CHECK(memcmp(pub, other_pub, 32) != 0);
	CHECK(!ed25519_verify(other_pub, msg, 3, sig));
}

/* Many verifications in a row share one context: none may leak state into
 * the next (a failure followed by a success, and the other way round). */
UNIT_TEST(ed25519_reused_context_is_clean)
{
	struct decoded a, b;
	REQUIRE(decode(&vectors[0], &a) && decode(&vectors[2], &b));
	for (int round = 0; round < 200; round++) {
		bool good = round % 3 != 0;
		uint8_t sig[64];
		memcpy(sig, b.sig, 64);
		if (!good)
			sig[10] ^= 1;
		if (ed25519_verify(b.pub, b.msg, b.msg_len, sig) != good ||
		    !ed25519_verify(a.pub, a.msg, a.msg_len, a.sig)) {
			unit_fail(__FILE__, __LINE__, "round %d gave a wrong answer", round);
			break;
		}
	}
}

/* The small-order encodings: forged signatures (R = identity, S = 0) verify
 * under them for some messages, so they must be recognised and refused. */
UNIT_TEST(ed25519_small_order_keys)
{
	static const char *const small[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
		uint8_t key[32];
		unit_hex(small[i], key, 32);
		CHECK(ed25519_is_small_order(key));
	}
	uint8_t zero[32] = { 0 }, forged[64] = { 1 }, msg[2] = { 0, 7 };
	int forgeries = 0;
	for (int m = 0; m < 64; m++) {
		msg[0] = (uint8_t)m;
		forgeries += ed25519_verify(zero, msg, 2, forged);
	}
	/* The forgery (R = identity, S = 0) satisfies the verification equation
	 * under the identity key for every message; verify refuses it because it
	 * refuses small-order keys and small-order R itself. Envelopes still name
	 * such keys first (row 6, invalid_key). */
	CHECK(forgeries == 0);
	uint8_t identity[32] = { 1 }, identity_r_zero_s[64] = { 1 };
	for (int m = 0; m < 64; m++) {
		msg[0] = (uint8_t)m;
		if (!CHECK(!ed25519_verify(identity, msg, 2, identity_r_zero_s)))
			break;
	}
	for (int k = 0; k < 200; k++) {
		uint8_t seed[32], pub[32];
		CHECK(ed25519_generate(seed, pub) == 0);
		CHECK(!ed25519_is_small_order(pub));
	}
}

/* Malleability cases in the style of Wycheproof's EdDSA vectors: a valid
 * signature with R replaced by each small-order point encoding, and S
 * replaced by S + k*L for the multiples that still fit, never verifies. */
UNIT_TEST(ed25519_small_order_r_fails)
{
	static const char *const small_r[] = {
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0000000000000000000000000000000000000000000000000000000000000080",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	};
	for (size_t i = 0; i < N_VECTORS; i++) {
		struct decoded d;
		if (!decode(&vectors[i], &d))
			continue;
		for (size_t r = 0; r < sizeof small_r / sizeof small_r[0]; r++) {
			uint8_t sig[64];
			memcpy(sig, d.sig, 64);
			unit_hex(small_r[r], sig, 32);
			if (!CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, sig)))
				unit_fail(__FILE__, __LINE__, "%s: small-order R %zu verified", vectors[i].name, r);
			memset(sig + 32, 0, 32); /* and with S = 0 */
			CHECK(!ed25519_verify(d.pub, d.msg, d.msg_len, sig));
		}
	}
}

/* Each message length from 0 to 96 bytes verifies with its own signature
 * only: a signature is never valid for the message one byte shorter or
 * longer (the wrong-length cases of the EdDSA vectors). */
UNIT_TEST(ed25519_message_lengths)
{
	uint8_t seed[32], pub[32], msg[97];
	REQUIRE(ed25519_generate(seed, pub) == 0);
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (size_t n = 0; n + 1 < sizeof msg; n++) {
		uint8_t sig[64];
		REQUIRE(ed25519_sign(seed, msg, n, sig) == 0);
		if (!CHECK(ed25519_verify(pub, msg, n, sig)) || !CHECK(!ed25519_verify(pub, msg, n + 1, sig)) ||
		    (n > 0 && !CHECK(!ed25519_verify(pub, msg, n - 1, sig)))) {
			unit_fail(__FILE__, __LINE__, "length %zu", n);
			break;
		}
	}
}

/* A keypair expanded once signs exactly as the seed does. */
UNIT_TEST(ed25519_keypair_signs_like_seed)
{
	struct decoded d;
	REQUIRE(decode(&vectors[2], &d));
	struct ed25519_keypair kp;
	REQUIRE(ed25519_keypair_from_seed(&kp, d.seed) == 0);
	uint8_t sig[64];
	CHECK(ed25519_keypair_sign(&kp, d.msg, d.msg_len, sig) == 0);
	CHECK_EQ_MEM(sig, d.sig, 64);
	ed25519_keypair_wipe(&kp);
	uint8_t zero[sizeof kp.secret] = { 0 };
	CHECK_EQ_MEM(kp.secret, zero, sizeof zero);
}
