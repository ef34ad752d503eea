#include "common/nats/nats_jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/enc/base32.h"
#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/nats/nkeys.h"

static const char header_json[] = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";

/* nats jwt accepts "ed25519" too, but only for v1 tokens, which sign the
 * payload alone; nats-server 2.10 writes and expects v2, so v1 is refused. */
static int header_is_nkey_jwt(const char *part, size_t len)
{
	uint8_t text[256];
	int n = base64url_decode(part, len, text, sizeof text);
	if (n <= 0)
		return 0;
	json_t *header = json_loadb((const char *)text, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	const char *typ = json_string_value(json_object_get(header, "typ"));
	const char *alg = json_string_value(json_object_get(header, "alg"));
	int ok = typ && alg && strcasecmp(typ, "JWT") == 0 && strcasecmp(alg, "ed25519-nkey") == 0;
	json_decref(header);
	return ok;
}

static json_t *claims_of(const char *part, size_t len)
{
	size_t cap = len / 4 * 3 + 3;
	uint8_t *text = malloc(cap);
	if (!text)
		return NULL;
	int n = base64url_decode(part, len, text, cap);
	json_t *claims = n > 0 ? json_loadb((const char *)text, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	free(text);
	if (claims && !json_is_object(claims)) {
		json_decref(claims);
		claims = NULL;
	}
	return claims;
}

json_t *nats_jwt_decode(const char *jwt, size_t len, uint8_t issuer_prefix, uint8_t issuer[32], char *err,
			size_t errlen)
{
	if (!jwt || len > NATS_JWT_MAX) {
		snprintf(err, errlen, "the JWT is longer than %d bytes", NATS_JWT_MAX);
		return NULL;
	}
	const char *dot1 = memchr(jwt, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
	const char *end = jwt + len;
	if (!dot2 || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1))) {
		snprintf(err, errlen, "not a JWT (three parts separated by dots)");
		return NULL;
	}
	if (!header_is_nkey_jwt(jwt, (size_t)(dot1 - jwt))) {
		snprintf(err, errlen, "the JWT header is not {\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}");
		return NULL;
	}
	json_t *claims = claims_of(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!claims) {
		snprintf(err, errlen, "the JWT claims are not a base64url JSON object");
		return NULL;
	}
	uint8_t key[32], sig[ED25519_SIG_LEN];
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	if (!iss || nkey_decode_public(iss, strlen(iss), issuer_prefix, key) < 0) {
		snprintf(err, errlen, "the JWT issuer is not %s nkey (%c…)", issuer_prefix == NKEY_PREFIX_ACCOUNT ? "an" : "a",
			 nkey_prefix_letter(issuer_prefix));
	} else if (base64url_decode(dot2 + 1, (size_t)(end - dot2 - 1), sig, sizeof sig) != ED25519_SIG_LEN) {
		snprintf(err, errlen, "the JWT signature is not 64 bytes of base64url");
	} else if (!ed25519_verify(key, (const uint8_t *)jwt, (size_t)(dot2 - jwt), sig)) {
		snprintf(err, errlen, "the JWT signature does not verify");
	} else {
		if (issuer)
			memcpy(issuer, key, 32);
		return claims;
	}
	json_decref(claims);
	return NULL;
}

/* A string as Go's encoding/json writes it (HTML-safe escaping on). jansson
 * strings are valid UTF-8, so no byte needs replacing. */
static int append_go_string(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int rc = buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			rc = buf_putc(out, '\\') == 0 && buf_putc(out, (char)c) == 0 ? 0 : -1;
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			char e = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
			rc = buf_putc(out, '\\') == 0 && buf_putc(out, e) == 0 ? 0 : -1;
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			rc = buf_printf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
		} else if (c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			/* U+2028 and U+2029 */
			rc = buf_printf(out, "\\u202%c", p[2] == 0xa8 ? '8' : '9');
			p += 2;
		} else {
			rc = buf_putc(out, (char)c);
		}
	}
	return rc < 0 ? -1 : buf_putc(out, '"');
}

/* One standard claim, left out when absent, empty or 0 (Go's omitempty). */
static int append_standard_claim(struct buf *out, json_t *claims, const char *name, int is_string, int *first)
{
	json_t *v = json_object_get(claims, name);
	if (!v || json_is_null(v))
		return 0;
	if (is_string ? !json_is_string(v) : !json_is_integer(v))
		return -1;
	if (is_string ? json_string_length(v) == 0 : json_integer_value(v) == 0)
		return 0;
	if ((!*first && buf_putc(out, ',') < 0) || buf_printf(out, "\"%s\":", name) < 0)
		return -1;
	*first = 0;
	return is_string ? append_go_string(out, json_string_value(v))
			 : buf_printf(out, "%lld", (long long)json_integer_value(v));
}

int nats_jwt_set_jti(json_t *claims)
{
	static const struct {
		const char *name;
		int         is_string;
	} fields[] = { { "aud", 1 }, { "exp", 0 }, { "iat", 0 }, { "iss", 1 }, { "name", 1 }, { "nbf", 0 }, { "sub", 1 } };
	if (!json_is_object(claims))
		return -1;
	struct buf text;
	buf_init(&text, NATS_JWT_MAX);
	int first = 1, rc = buf_putc(&text, '{');
	for (size_t i = 0; rc == 0 && i < sizeof fields / sizeof fields[0]; i++)
		rc = append_standard_claim(&text, claims, fields[i].name, fields[i].is_string, &first);
	if (rc == 0)
		rc = buf_putc(&text, '}');
	uint8_t digest[32];
	unsigned digest_len = 0;
	char jti[NATS_JWT_JTI_LEN + 1];
	if (rc == 0 && (EVP_Digest(text.data, text.len, digest, &digest_len, EVP_sha512_256(), NULL) != 1 ||
			digest_len != sizeof digest || base32_encode(digest, sizeof digest, jti, sizeof jti) != NATS_JWT_JTI_LEN))
		rc = -1;
	buf_free(&text);
	if (rc == 0)
		rc = json_object_set_new(claims, "jti", json_string(jti));
	return rc < 0 ? -1 : 0;
}

int nats_jwt_signing_input(json_t *claims, struct buf *out)
{
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	if (!json_is_string(json_object_get(claims, "iss")) || !sub || !sub[0] || nats_jwt_set_jti(claims) < 0)
		return -1;
	char *payload = json_dumps(claims, JSON_COMPACT);
	if (!payload)
		return -1;
	size_t start = out->len;
	size_t payload_len = strlen(payload);
	int rc = -1;
	if (BASE64URL_ENCODED_LEN(sizeof header_json - 1) + 1 + BASE64URL_ENCODED_LEN(payload_len) +
		    1 + BASE64URL_ENCODED_LEN(ED25519_SIG_LEN) <= NATS_JWT_MAX &&
	    base64url_encode((const uint8_t *)header_json, sizeof header_json - 1, out) == 0 && buf_putc(out, '.') == 0 &&
	    base64url_encode((const uint8_t *)payload, payload_len, out) == 0)
		rc = 0;
	free(payload);
	if (rc < 0)
		out->len = start;
	return rc;
}

int nats_jwt_append_signature(struct buf *out, const uint8_t sig[64])
{
	size_t start = out->len;
	if (buf_putc(out, '.') == 0 && base64url_encode(sig, ED25519_SIG_LEN, out) == 0)
		return 0;
	out->len = start;
	return -1;
}

/* Whether `pub` is the nkey written in `iss`. */
static int pub_is_issuer(const uint8_t pub[32], const char *iss)
{
	uint8_t named[32];
	size_t len = iss ? strlen(iss) : 0;
	if (len != NKEY_PUBLIC_LEN)
		return 0;
	const char *letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	const char *at = strchr(letters, iss[0]);
	if (!at || *at == '\0' || nkey_decode_public(iss, len, (uint8_t)((at - letters) << 3), named) < 0)
		return 0;
	return memcmp(pub, named, 32) == 0;
}

int nats_jwt_encode_keypair(json_t *claims, const struct ed25519_keypair *kp, struct buf *out)
{
	if (!pub_is_issuer(kp->secret + ED25519_SEED_LEN, json_string_value(json_object_get(claims, "iss"))))
		return -1;
	size_t start = out->len;
	uint8_t sig[ED25519_SIG_LEN];
	if (nats_jwt_signing_input(claims, out) < 0)
		return -1;
	if (ed25519_keypair_sign(kp, (const uint8_t *)out->data + start, out->len - start, sig) < 0 ||
	    nats_jwt_append_signature(out, sig) < 0) {
		out->len = start;
		return -1;
	}
	return 0;
}

int nats_jwt_encode(json_t *claims, const uint8_t seed[32], struct buf *out)
{
	struct ed25519_keypair kp;
	int rc = ed25519_keypair_from_seed(&kp, seed) == 0 ? nats_jwt_encode_keypair(claims, &kp, out) : -1;
	ed25519_keypair_wipe(&kp);
	return rc;
}
