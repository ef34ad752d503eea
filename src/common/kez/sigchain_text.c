/* The small pieces of sigchain_event.h: subjects, hashes, instants and the
 * wire form of the fields. */
#include <openssl/evp.h>
#include <string.h>

#include "common/kez/key_text.h"
#include "common/kez/sigchain_event.h"

#define HASH_PREFIX "sha256:"

int sigchain_instant_compare(struct sigchain_instant a, struct sigchain_instant b)
{
	if (a.seconds != b.seconds)
		return a.seconds < b.seconds ? -1 : 1;
	return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

const char *sigchain_op_name(enum sigchain_op op)
{
	switch (op) {
	case SIGCHAIN_OP_ADD: return "add";
	case SIGCHAIN_OP_REVOKE: return "revoke";
	case SIGCHAIN_OP_ROTATE: return "rotate";
	}
	return "?";
}

int sigchain_sha256(const void *data, size_t len, uint8_t out[SIGCHAIN_HASH_LEN])
{
	unsigned n = 0;
	if (EVP_Digest(data ? data : "", len, out, &n, EVP_sha256(), NULL) != 1 || n != SIGCHAIN_HASH_LEN)
		return -1;
	return 0;
}

void sigchain_hash_format(const uint8_t hash[SIGCHAIN_HASH_LEN], char out[SIGCHAIN_HASH_TEXT_LEN + 1])
{
	memcpy(out, HASH_PREFIX, sizeof HASH_PREFIX - 1);
	hex_encode(hash, SIGCHAIN_HASH_LEN, out + sizeof HASH_PREFIX - 1);
}

int sigchain_hash_parse(const char *s, size_t len, uint8_t hash[SIGCHAIN_HASH_LEN])
{
	const size_t prefix = sizeof HASH_PREFIX - 1;
	if (!s || len != SIGCHAIN_HASH_TEXT_LEN || memcmp(s, HASH_PREFIX, prefix) != 0)
		return -1;
	return hex_decode_lower(s + prefix, len - prefix, hash, SIGCHAIN_HASH_LEN);
}

/* --- subjects ---------------------------------------------------------------- */

/* Unicode's White_Space property (PropList.txt) and the Cc category. */
static bool is_space_or_control(uint32_t c)
{
	if (c <= 0x20 || (c >= 0x7f && c <= 0xa0))
		return true; /* Cc, and the spaces 0009–000D, 0020, 0085, 00A0 inside them */
	return c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* One UTF-8 sequence at s (n bytes left): its length, or 0 when it is not a
 * shortest-form scalar value. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (len == 0 || len > n || s[0] > 0xf4)
		return 0;
	uint32_t c = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (c < least[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool sigchain_subject_is_valid(const char *s, size_t len)
{
	const char *colon = s ? memchr(s, ':', len) : NULL;
	if (!colon)
		return false;
	size_t system = (size_t)(colon - s);
	if (system < 1 || system > SIGCHAIN_SUBJECT_MAX_SYSTEM || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < system; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	const unsigned char *id = (const unsigned char *)colon + 1;
	size_t left = len - system - 1, points = 0;
	while (left > 0) {
		uint32_t cp;
		size_t n = utf8_next(id, left, &cp);
		if (n == 0 || is_space_or_control(cp) || ++points > SIGCHAIN_SUBJECT_MAX_IDENTIFIER)
			return false;
		id += n;
		left -= n;
	}
	return points >= 1;
}

/* --- the wire form of the fields ------------------------------------------- */

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	return p + bytes;
}

static const uint8_t *get_be(const uint8_t *p, uint64_t *v, int bytes)
{
	*v = 0;
	for (int i = 0; i < bytes; i++)
		*v = *v << 8 | p[i];
	return p + bytes;
}

static uint8_t *put_bytes(uint8_t *p, const uint8_t *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

void sigchain_fields_encode(const struct sigchain_fields *f, uint8_t out[SIGCHAIN_FIELDS_WIRE_LEN])
{
	uint8_t *p = put_bytes(out, f->chain, 32);
	p = put_be(p, f->seq, 4);
	*p++ = f->has_prev ? 1 : 0;
	p = put_bytes(p, f->prev, SIGCHAIN_HASH_LEN);
	*p++ = (uint8_t)f->op;
	p = put_be(p, f->revoke_seq, 4);
	p = put_bytes(p, f->new_key, 32);
	p = put_be(p, (uint64_t)f->created_at.seconds, 8);
	p = put_be(p, (uint64_t)f->created_at.nanos, 4);
	p = put_bytes(p, f->signing_key, 32);
	(void)put_bytes(p, f->hash, SIGCHAIN_HASH_LEN);
}

int sigchain_fields_decode(const uint8_t in[SIGCHAIN_FIELDS_WIRE_LEN], struct sigchain_fields *f)
{
	uint64_t v;
	memset(f, 0, sizeof *f);
	const uint8_t *p = in;
	memcpy(f->chain, p, 32), p += 32;
	p = get_be(p, &v, 4);
	f->seq = (uint32_t)v;
	uint8_t has_prev = *p++;
	f->has_prev = has_prev == 1;
	memcpy(f->prev, p, SIGCHAIN_HASH_LEN), p += SIGCHAIN_HASH_LEN;
	uint8_t op = *p++;
	f->op = (enum sigchain_op)op;
	p = get_be(p, &v, 4);
	f->revoke_seq = (uint32_t)v;
	memcpy(f->new_key, p, 32), p += 32;
	p = get_be(p, &v, 8);
	f->created_at.seconds = (int64_t)v;
	p = get_be(p, &v, 4);
	f->created_at.nanos = (int32_t)v;
	memcpy(f->signing_key, p, 32), p += 32;
	memcpy(f->hash, p, SIGCHAIN_HASH_LEN);
	if (f->seq < 1 || f->seq > SIGCHAIN_MAX_SEQ || has_prev > 1 || f->has_prev != (f->seq > 1) ||
	    op < SIGCHAIN_OP_ADD || op > SIGCHAIN_OP_ROTATE || f->created_at.nanos < 0 ||
	    f->created_at.nanos > 999999999 ||
	    (f->op == SIGCHAIN_OP_REVOKE && (f->revoke_seq < 1 || f->revoke_seq > SIGCHAIN_MAX_SEQ + 1u)))
		return -1;
	return 0;
}
