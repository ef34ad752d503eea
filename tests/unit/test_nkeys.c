/* nkeys text forms (common/nkeys.h). The key pairs come from the nkeys
 * README and nats-server's tests (auth_callout_test.go, configs/one.creds);
 * the raw bytes of each were worked out independently of this code. */
#include <fcntl.h>
#include <unistd.h>

#include "common/kez/ed25519.h"
#include "common/nats/nkeys.h"
#include "unit.h"

static const struct {
	const char *seed, *public_key, *seed_hex, *key_hex;
	uint8_t     prefix;
} pairs[] = {
	{ "SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY",
	  "UD466L6EBCM3YY5HEGHJANNTN4LSKTSUXTH7RILHCKEQMQHTBNLHJJXT",
	  "ac44f543a24bd7e4a66613d0ebfb68c3bd8097e0c1d3669a296223ab1b5d71f3",
	  "f9ef2fc40899bc63a7218e9035b36f17254e54bccff8a16712890640f30b5674", NKEY_PREFIX_USER },
	{ "SAANDLKMXL6CUS3CP52WIXBEDN6YJ545GDKC65U5JZPPV6WH6ESWUA6YAI",
	  "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA",
	  "d1ad4cbafc2a4b627f75645c241b7d84f79d30d42f769d4e5efafac7f1256a03",
	  "5275baac7838247a3d52da67078692da8c7d0ea3c091730568d70aa1c1c40d4b", NKEY_PREFIX_ACCOUNT },
	{ "SUAPCDMU5TSHHLWUUZSOUABJXP2GXRCZVEOVWPSVM5XRSXYGQMRRFDYNMY",
	  "UDCIBGGGHCJBQPOO4SCJJBHZDR37NQGGCIWMNG2DDAKJ6WMKBMAKXIMO",
	  "f10d94ece473aed4a664ea0029bbf46bc459a91d5b3e55676f195f068323128f",
	  "c48098c63892183dcee4849484f91c77f6c0c6122cc69b4318149f598a0b00ab", NKEY_PREFIX_USER },
};

UNIT_TEST(nkeys_crc16_xmodem_check_value)
{
	/* The catalogue check value of CRC-16/XMODEM. */
	CHECK_EQ_INT(nkey_crc16((const uint8_t *)"123456789", 9), 0x31c3);
	CHECK_EQ_INT(nkey_crc16(NULL, 0), 0);
}

UNIT_TEST(nkeys_known_pairs)
{
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		uint8_t want_seed[32], want_key[32], seed[32], key[32], prefix = 0xff;
		REQUIRE(unit_hex(pairs[i].seed_hex, want_seed, 32) == 32);
		REQUIRE(unit_hex(pairs[i].key_hex, want_key, 32) == 32);

		CHECK_EQ_INT(nkey_decode_seed(pairs[i].seed, strlen(pairs[i].seed), &prefix, seed), 0);
		CHECK_EQ_INT(prefix, pairs[i].prefix);
		CHECK_EQ_MEM(seed, want_seed, 32);
		CHECK_EQ_INT(nkey_decode_public(pairs[i].public_key, NKEY_PUBLIC_LEN, pairs[i].prefix, key), 0);
		CHECK_EQ_MEM(key, want_key, 32);

		/* the seed's Ed25519 public key is the one written in the pair */
		uint8_t derived[32];
		REQUIRE(ed25519_public_key(want_seed, derived) == 0);
		CHECK_EQ_MEM(derived, want_key, 32);

		char text[NKEY_SEED_LEN + 1];
		CHECK_EQ_INT(nkey_encode_seed(pairs[i].prefix, want_seed, text), 0);
		CHECK_EQ_STR(text, pairs[i].seed);
		char pub[NKEY_PUBLIC_LEN + 1];
		nkey_encode_public(pairs[i].prefix, want_key, pub);
		CHECK_EQ_STR(pub, pairs[i].public_key);
	}
}

UNIT_TEST(nkeys_every_kind_round_trips)
{
	static const struct {
		uint8_t prefix;
		char    letter;
	} kinds[] = { { NKEY_PREFIX_USER, 'U' },     { NKEY_PREFIX_ACCOUNT, 'A' }, { NKEY_PREFIX_SERVER, 'N' },
		      { NKEY_PREFIX_OPERATOR, 'O' }, { NKEY_PREFIX_CURVE, 'X' },   { NKEY_PREFIX_CLUSTER, 'C' } };
	uint8_t key[32];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(255 - i * 3);
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		char pub[NKEY_PUBLIC_LEN + 1], seed_text[NKEY_SEED_LEN + 1];
		nkey_encode_public(kinds[k].prefix, key, pub);
		CHECK_EQ_INT(strlen(pub), NKEY_PUBLIC_LEN);
		CHECK_EQ_INT(pub[0], kinds[k].letter);
		CHECK_EQ_INT(nkey_prefix_letter(kinds[k].prefix), kinds[k].letter);
		uint8_t back[32], prefix = 0xff;
		CHECK_EQ_INT(nkey_decode_public(pub, NKEY_PUBLIC_LEN, kinds[k].prefix, back), 0);
		CHECK_EQ_MEM(back, key, 32);
		REQUIRE(nkey_encode_seed(kinds[k].prefix, key, seed_text) == 0);
		CHECK_EQ_INT(strlen(seed_text), NKEY_SEED_LEN);
		CHECK_EQ_INT(seed_text[0], 'S');
		CHECK_EQ_INT(seed_text[1], kinds[k].letter);
		CHECK_EQ_INT(nkey_decode_seed(seed_text, NKEY_SEED_LEN, &prefix, back), 0);
		CHECK_EQ_INT(prefix, kinds[k].prefix);
		CHECK_EQ_MEM(back, key, 32);
	}
	char text[NKEY_SEED_LEN + 1];
	CHECK_EQ_INT(nkey_encode_seed(NKEY_PREFIX_SEED, key, text), -1);
	CHECK_EQ_STR(text, "");
	CHECK_EQ_INT(nkey_encode_seed(25 << 3, key, text), -1);
}

/* Changes character i of s to the next one of the alphabet. */
static void bump(char *s, size_t i)
{
	s[i] = s[i] == 'Z' ? '2' : s[i] == '7' ? 'A' : (char)(s[i] + 1);
}

UNIT_TEST(nkeys_refuses_damaged_or_other_keys)
{
	const char *user = pairs[0].public_key, *seed = pairs[0].seed;
	uint8_t key[32], prefix;
	/* the right text of the wrong kind */
	CHECK_EQ_INT(nkey_decode_public(user, NKEY_PUBLIC_LEN, NKEY_PREFIX_ACCOUNT, key), -1);
	CHECK_EQ_INT(nkey_decode_public(user, NKEY_PUBLIC_LEN, NKEY_PREFIX_SERVER, key), -1);
	CHECK_EQ_INT(nkey_decode_public(pairs[1].public_key, NKEY_PUBLIC_LEN, NKEY_PREFIX_USER, key), -1);
	/* a seed is not a public key, nor the reverse */
	CHECK_EQ_INT(nkey_decode_public(seed, NKEY_SEED_LEN, NKEY_PREFIX_USER, key), -1);
	CHECK_EQ_INT(nkey_decode_seed(user, NKEY_PUBLIC_LEN, &prefix, key), -1);
	/* every single changed character breaks the checksum (or the kind) */
	for (size_t i = 0; i < NKEY_PUBLIC_LEN; i++) {
		char copy[NKEY_PUBLIC_LEN + 1];
		memcpy(copy, user, sizeof copy);
		bump(copy, i);
		if (nkey_decode_public(copy, NKEY_PUBLIC_LEN, NKEY_PREFIX_USER, key) == 0)
			unit_fail(__FILE__, __LINE__, "accepted %s (character %zu changed)", copy, i);
	}
	for (size_t i = 0; i < NKEY_SEED_LEN; i++) {
		char copy[NKEY_SEED_LEN + 1];
		memcpy(copy, seed, sizeof copy);
		bump(copy, i);
		if (nkey_decode_seed(copy, NKEY_SEED_LEN, &prefix, key) == 0)
			unit_fail(__FILE__, __LINE__, "accepted %s (character %zu changed)", copy, i);
	}
	/* a valid CRC over a wrong length, lowercase, cut or lengthened text */
	char lower[NKEY_PUBLIC_LEN + 1];
	for (size_t i = 0; i <= NKEY_PUBLIC_LEN; i++)
		lower[i] = (char)(user[i] >= 'A' && user[i] <= 'Z' ? user[i] + 32 : user[i]);
	CHECK_EQ_INT(nkey_decode_public(lower, NKEY_PUBLIC_LEN, NKEY_PREFIX_USER, key), -1);
	CHECK_EQ_INT(nkey_decode_public(user, NKEY_PUBLIC_LEN - 1, NKEY_PREFIX_USER, key), -1);
	char longer[NKEY_PUBLIC_LEN + 2];
	memcpy(longer, user, NKEY_PUBLIC_LEN);
	memcpy(longer + NKEY_PUBLIC_LEN, "A", 2);
	CHECK_EQ_INT(nkey_decode_public(longer, NKEY_PUBLIC_LEN + 1, NKEY_PREFIX_USER, key), -1);
	CHECK_EQ_INT(nkey_decode_public(NULL, 0, NKEY_PREFIX_USER, key), -1);
	CHECK_EQ_INT(nkey_decode_seed(NULL, 0, &prefix, key), -1);
}

/* A public key of an unknown kind with a correct checksum. */
UNIT_TEST(nkeys_refuses_unknown_kinds)
{
	uint8_t key[32] = { 1, 2, 3 }, back[32], prefix;
	char pub[NKEY_PUBLIC_LEN + 1];
	nkey_encode_public(25 << 3, key, pub); /* 'Z' */
	CHECK_EQ_INT(pub[0], 'Z');
	CHECK_EQ_INT(nkey_decode_public(pub, NKEY_PUBLIC_LEN, 25 << 3, back), -1);
	nkey_encode_public(NKEY_PREFIX_SEED, key, pub); /* a seed prefix where a kind goes */
	CHECK_EQ_INT(nkey_decode_public(pub, NKEY_PUBLIC_LEN, NKEY_PREFIX_SEED, back), -1);
	CHECK_EQ_INT(nkey_prefix_letter(25 << 3), '?');
	CHECK_EQ_INT(nkey_decode_seed(pub, NKEY_PUBLIC_LEN, &prefix, back), -1);
}

struct tmp_file {
	char path[64];
};

static bool tmp_file_write(struct tmp_file *t, const char *text, size_t len)
{
	snprintf(t->path, sizeof t->path, "/tmp/kez-nkey-XXXXXX");
	int fd = mkstemp(t->path);
	if (fd < 0)
		return false;
	bool ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok;
}

/* nsc writes .creds files like this one (nats-server's configs/one.creds). */
static const char creds[] =
	"-----BEGIN NATS USER JWT-----\n"
	"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJHRUNQVEpISE1TM01DTUtMVFBHWUdBTzQ1R1E2TjZRUFlXUTRHUExBRUIzM1ZDUkpOUlZRIiwiaWF0IjoxNjE2MjQ3MjMyLCJpc3MiOiJBQlZSWktKNlo3TklNUElZSlJDSEVZRlJVTzdFTk42TldPS1FERkxGREZWUFNNMzZVUFgyVUNQUCIsIm5hbWUiOiJvbmUiLCJzdWIiOiJVRENJQkdHR0hDSkJRUE9PNFNDSkpCSFpEUjM3TlFHR0NJV01ORzJEREFLSjZXTUtCTUFLWElNTyIsIm5hdHMiOnsicHViIjp7fSwic3ViIjp7fSwic3VicyI6LTEsImRhdGEiOi0xLCJwYXlsb2FkIjotMSwidHlwZSI6InVzZXIiLCJ2ZXJzaW9uIjoyfX0.VLhSDtGZEF_jdvgmhgkdISXAt5wFMMZxxwm5w8UrsnlM1hkUvtxBlTe4IP0xJIf4xf8JOR2Bmf73xUGJKUZECQ\n"
	"------END NATS USER JWT------\n"
	"\n"
	"************************* IMPORTANT *************************\n"
	"NKEY Seed printed below can be used to sign and prove identity.\n"
	"NKEYs are sensitive and should be treated as secrets.\n"
	"\n"
	"-----BEGIN USER NKEY SEED-----\n"
	"SUAPCDMU5TSHHLWUUZSOUABJXP2GXRCZVEOVWPSVM5XRSXYGQMRRFDYNMY\n"
	"------END USER NKEY SEED------\n"
	"\n"
	"*************************************************************\n";

UNIT_TEST(nkeys_seed_file_forms)
{
	const struct {
		const char *text;
		size_t      pair;
	} files[] = {
		{ "SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY", 0 },
		{ "SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY\n", 0 },
		{ "  \tSAANDLKMXL6CUS3CP52WIXBEDN6YJ545GDKC65U5JZPPV6WH6ESWUA6YAI \r\n\n", 1 },
		{ "# issuer\r\nSTRAY TEXT\r\nSAANDLKMXL6CUS3CP52WIXBEDN6YJ545GDKC65U5JZPPV6WH6ESWUA6YAI\r\n", 1 },
		/* a damaged seed line first: the next good one counts */
		{ "SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZZ\n"
		  "SUAPCDMU5TSHHLWUUZSOUABJXP2GXRCZVEOVWPSVM5XRSXYGQMRRFDYNMY\n", 2 },
		{ creds, 2 },
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		struct tmp_file t;
		REQUIRE(tmp_file_write(&t, files[i].text, strlen(files[i].text)));
		uint8_t seed[32], want[32], prefix = 0xff;
		char err[200] = "";
		unit_hex(pairs[files[i].pair].seed_hex, want, 32);
		if (CHECK_EQ_INT(nkey_seed_file_read(t.path, &prefix, seed, err, sizeof err), 0)) {
			CHECK_EQ_INT(prefix, pairs[files[i].pair].prefix);
			CHECK_EQ_MEM(seed, want, 32);
		} else {
			unit_fail(__FILE__, __LINE__, "file %zu: %s", i, err);
		}
		memset(seed, 0, sizeof seed);
		CHECK_EQ_INT(nkey_read_seed_file(t.path, pairs[files[i].pair].prefix, seed, err, sizeof err), 0);
		CHECK_EQ_MEM(seed, want, 32);
		unlink(t.path);
	}
}

UNIT_TEST(nkeys_seed_file_refusals)
{
	uint8_t seed[32], prefix;
	char err[200] = "";
	const char *no_seed[] = {
		"",
		"\n\n",
		"UD466L6EBCM3YY5HEGHJANNTN4LSKTSUXTH7RILHCKEQMQHTBNLHJJXT\n", /* a public key */
		"xSUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY\n", /* not at the line's start */
		"SUAKYRHVIOREXV7EUZTBHUHL7NUMHPMAS7QMDU3GTIUWEI5LDNOXD43IZY SUAK\n",
		"suakyrhviorexv7euztbhuhl7numhpmas7qmdu3gtiuwei5ldnoxd43izy\n",
	};
	for (size_t i = 0; i < sizeof no_seed / sizeof no_seed[0]; i++) {
		struct tmp_file t;
		REQUIRE(tmp_file_write(&t, no_seed[i], strlen(no_seed[i])));
		err[0] = '\0';
		CHECK_EQ_INT(nkey_seed_file_read(t.path, &prefix, seed, err, sizeof err), -1);
		CHECK(strstr(err, "no nkey seed") != NULL);
		unlink(t.path);
	}
	/* the wrong kind for the caller */
	struct tmp_file t;
	REQUIRE(tmp_file_write(&t, pairs[0].seed, NKEY_SEED_LEN));
	CHECK_EQ_INT(nkey_read_seed_file(t.path, NKEY_PREFIX_ACCOUNT, seed, err, sizeof err), -1);
	CHECK(strstr(err, "SU") != NULL && strstr(err, "SA") != NULL);
	unlink(t.path);
	/* missing, a directory, too large */
	CHECK_EQ_INT(nkey_seed_file_read("/nonexistent/kez/seed.nk", &prefix, seed, err, sizeof err), -1);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK_EQ_INT(nkey_seed_file_read("/tmp", &prefix, seed, err, sizeof err), -1);
	static char big[NKEY_SEED_FILE_MAX + 100];
	memset(big, '\n', sizeof big);
	memcpy(big + sizeof big - 60, pairs[0].seed, NKEY_SEED_LEN);
	REQUIRE(tmp_file_write(&t, big, sizeof big));
	CHECK_EQ_INT(nkey_seed_file_read(t.path, &prefix, seed, err, sizeof err), -1);
	CHECK(strstr(err, "larger") != NULL);
	unlink(t.path);
}
