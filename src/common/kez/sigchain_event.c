#include "common/kez/sigchain_event.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/kez/ed25519.h"
#include "common/kez/jcs.h"
#include "common/kez/json_body.h"
#include "common/kez/key_text.h"
#include "common/kez/rfc3339.h"

#define EVENT_KIND   "sigchain_event"
#define PAYLOAD_TYPE "kez.sigchain.event"
#define ALGORITHM    "ed25519-sha512-jcs"


static bool string_is(const json_t *v, const char *want)
{
	size_t n = strlen(want);
	return json_is_string(v) && json_string_length(v) == n && memcmp(json_string_value(v), want, n) == 0;
}

/* A JSON integer: no fraction, no exponent. When every number had to be read
 * as a double (see json_body_load) an integral double is all that is left. */
static bool integer_of(const json_t *v, bool numbers_as_reals, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (!numbers_as_reals || !json_is_real(v))
		return false;
	double d = json_real_value(v);
	if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
		return false;
	*out = (int64_t)d;
	return true;
}

static enum api_error wrong_kind(const struct json_detail *d, const char *path, const char *want, const json_t *v)
{
	if (!v)
		return json_say(d, API_INVALID_ENVELOPE, "%s is missing; it must be %s", path, want);
	return json_say(d, API_INVALID_ENVELOPE, "%s must be %s, not %s", path, want, json_kind_of(v));
}

/* Exactly the members `names` (n of them): the event's hash must not depend
 * on anything the rules do not read. */
static enum api_error exact_members(const json_t *obj, const char *where, const char *const *names, size_t n,
				    const char *list, const struct json_detail *d)
{
	const char *name;
	json_t *value;
	json_object_foreach((json_t *)obj, name, value) {
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(name, names[i]) == 0;
		if (!known) {
			char q[JSON_QUOTE_MAX + 4];
			json_quote_bytes(name, strlen(name), true, q);
			return json_say(d, API_INVALID_ENVELOPE, "%s has a member \"%s\"; it must have exactly %s", where, q,
				   list);
		}
	}
	return API_OK;
}

/* --- row 4 ---------------------------------------------------------------- */

static enum api_error check_shape(json_t *root, bool reals, const struct json_detail *d)
{
	static const char *const top[] = { "kez", "payload", "signature" };
	static const char *const sig_members[] = { "alg", "key", "sig" };
	enum api_error e = exact_members(root, "the event", top, 3, "kez, payload and signature", d);
	if (e != API_OK)
		return e;
	json_t *kez = json_object_get(root, "kez");
	if (!string_is(kez, EVENT_KIND))
		return json_say(d, API_INVALID_ENVELOPE, "kez %s \"" EVENT_KIND "\"", kez ? "must be" : "is missing; it must be");
	json_t *payload = json_object_get(root, "payload"), *signature = json_object_get(root, "signature");
	if (!json_is_object(payload))
		return wrong_kind(d, "payload", "an object", payload);
	if (!json_is_object(signature))
		return wrong_kind(d, "signature", "an object", signature);
	e = exact_members(signature, "signature", sig_members, 3, "alg, key and sig", d);
	if (e != API_OK)
		return e;
	if (!string_is(json_object_get(payload, "type"), PAYLOAD_TYPE))
		return json_say(d, API_INVALID_ENVELOPE, "payload.type must be \"" PAYLOAD_TYPE "\"");
	int64_t n;
	if (!integer_of(json_object_get(payload, "version"), reals, &n) || n != 1)
		return json_say(d, API_INVALID_ENVELOPE, "payload.version must be the integer 1");
	static const char *const strings[] = { "chain", "op", "created_at" };
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(payload, strings[i]);
		if (!json_is_string(v)) {
			char path[32];
			snprintf(path, sizeof path, "payload.%s", strings[i]);
			return wrong_kind(d, path, "a string", v);
		}
	}
	json_t *seq = json_object_get(payload, "seq");
	if (!integer_of(seq, reals, &n) || n < 1 || n > SIGCHAIN_MAX_SEQ)
		return json_say(d, API_INVALID_ENVELOPE, "payload.seq must be an integer from 1 to %u (no fraction, no exponent)",
			   SIGCHAIN_MAX_SEQ);
	json_t *prev = json_object_get(payload, "prev");
	if (!json_is_null(prev) && !json_is_string(prev))
		return wrong_kind(d, "payload.prev", "null or a string", prev);
	json_t *body = json_object_get(payload, "body");
	if (!json_is_object(body))
		return wrong_kind(d, "payload.body", "an object", body);
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_object_get(signature, sig_members[i]);
		if (!json_is_string(v)) {
			char path[32];
			snprintf(path, sizeof path, "signature.%s", sig_members[i]);
			return wrong_kind(d, path, "a string", v);
		}
	}
	return API_OK;
}

/* --- rows 6 and 9: keys ---------------------------------------------------- */

/* 0, -1 not a key's text, -2 a point of small order. */
static int key_of(const json_t *s, uint8_t key[32])
{
	if (key_text_parse(json_string_value(s), json_string_length(s), key) < 0)
		return -1;
	return ed25519_is_small_order(key) ? -2 : 0;
}

static enum api_error say_bad_key(const struct json_detail *d, enum api_error e, const char *path, int why)
{
	if (why == -2)
		return json_say(d, e, "%s is a point of small order, not a usable public key", path);
	return json_say(d, e, "%s must be \"ed25519:\" followed by 64 lowercase hex digits", path);
}

/* --- row 9 ----------------------------------------------------------------- */

static enum api_error check_body(json_t *body, bool reals, struct sigchain_fields *f, const struct json_detail *d)
{
	char q[JSON_QUOTE_MAX + 4];
	if (f->op == SIGCHAIN_OP_ADD) {
		json_t *subject = json_object_get(body, "subject");
		if (!json_is_string(subject))
			return json_say(d, API_INVALID_EVENT, "an add's body.subject must be a string such as \"github:name\"");
		if (!sigchain_subject_is_valid(json_string_value(subject), json_string_length(subject))) {
			json_quote_string(subject, q);
			return json_say(d, API_INVALID_EVENT,
				   "body.subject \"%s\" is not system:identifier (system 1-32 of a-z, 0-9 and -, "
				   "starting with a letter; identifier 1-256 characters, no spaces or control "
				   "characters)", q);
		}
		return API_OK;
	}
	if (f->op == SIGCHAIN_OP_REVOKE) {
		int64_t n;
		if (!integer_of(json_object_get(body, "seq"), reals, &n) || n < 1)
			return json_say(d, API_INVALID_EVENT, "a revoke's body.seq must be an integer of at least 1 (no "
				   "fraction, no exponent)");
		f->revoke_seq = n > SIGCHAIN_MAX_SEQ ? SIGCHAIN_MAX_SEQ + 1u : (uint32_t)n;
		return API_OK;
	}
	json_t *new_key = json_object_get(body, "new_key");
	if (!json_is_string(new_key))
		return json_say(d, API_INVALID_EVENT, "a rotate's body.new_key must be a string \"ed25519:<64 hex>\"");
	int why = key_of(new_key, f->new_key);
	return why < 0 ? say_bad_key(d, API_INVALID_EVENT, "body.new_key", why) : API_OK;
}

/* --- rows 5 to 12 ------------------------------------------------------------ */

static enum api_error check_fields(json_t *root, bool reals, const struct sigchain_parse_policy *p,
				   struct sigchain_event *ev, const struct json_detail *d)
{
	char q[JSON_QUOTE_MAX + 4];
	struct sigchain_fields *f = &ev->f;
	json_t *payload = json_object_get(root, "payload"), *signature = json_object_get(root, "signature");
	json_t *chain = json_object_get(payload, "chain"), *op = json_object_get(payload, "op");
	json_t *created = json_object_get(payload, "created_at"), *prev = json_object_get(payload, "prev");
	json_t *alg = json_object_get(signature, "alg"), *key = json_object_get(signature, "key");

	/* 5 */
	if (!string_is(alg, ALGORITHM)) {
		json_quote_string(alg, q);
		return json_say(d, API_UNSUPPORTED_ALGORITHM, "signature.alg is \"%s\"; only \"" ALGORITHM "\" is supported", q);
	}

	/* 6 */
	uint8_t path_key[32];
	if (p->chain_hex && hex_decode_lower(p->chain_hex, p->chain_hex_len, path_key, sizeof path_key) < 0)
		return json_say(d, API_INVALID_KEY, "the path must name the chain by 64 lowercase hex digits");
	int why = key_of(chain, f->chain);
	if (why < 0)
		return say_bad_key(d, API_INVALID_KEY, "payload.chain", why);
	why = key_of(key, f->signing_key);
	if (why < 0)
		return say_bad_key(d, API_INVALID_KEY, "signature.key", why);

	/* 7 */
	if (p->chain_hex && memcmp(path_key, f->chain, sizeof path_key) != 0)
		return json_say(d, API_CHAIN_MISMATCH, "payload.chain must be ed25519:%.64s, the chain being appended to",
			   p->chain_hex);

	/* 8 */
	if (string_is(op, "add"))
		f->op = SIGCHAIN_OP_ADD;
	else if (string_is(op, "revoke"))
		f->op = SIGCHAIN_OP_REVOKE;
	else if (string_is(op, "rotate"))
		f->op = SIGCHAIN_OP_ROTATE;
	else {
		json_quote_string(op, q);
		return json_say(d, API_UNSUPPORTED_OP, "payload.op \"%s\" is not one of add, revoke and rotate", q);
	}

	/* 9 */
	int64_t seq;
	(void)integer_of(json_object_get(payload, "seq"), reals, &seq); /* row 4 made sure */
	f->seq = (uint32_t)seq;
	enum api_error e = check_body(json_object_get(payload, "body"), reals, f, d);
	if (e != API_OK)
		return e;

	/* 10 */
	f->has_prev = !json_is_null(prev);
	if (f->seq == 1 && f->has_prev)
		return json_say(d, API_INVALID_EVENT, "payload.prev must be null for seq 1");
	if (f->seq > 1 && !f->has_prev)
		return json_say(d, API_INVALID_EVENT, "payload.prev must be the hash of event %u, not null", f->seq - 1);
	if (f->has_prev && sigchain_hash_parse(json_string_value(prev), json_string_length(prev), f->prev) < 0)
		return json_say(d, API_INVALID_EVENT, "payload.prev must be \"sha256:\" followed by 64 lowercase hex digits");

	/* 11 */
	if (rfc3339_parse_ns(json_string_value(created), json_string_length(created), &f->created_at.seconds,
			     &f->created_at.nanos) < 0) {
		json_quote_string(created, q);
		return json_say(d, API_INVALID_TIMESTAMP,
			   "payload.created_at \"%s\" is not an RFC 3339 date-time such as 2026-12-01T10:00:00Z", q);
	}

	/* 12: no lower bound, events may be published long after */
	if (p->check_clock) {
		int64_t ahead = f->created_at.seconds - p->now;
		if (ahead > SIGCHAIN_MAX_AHEAD || (ahead == SIGCHAIN_MAX_AHEAD && f->created_at.nanos > 0))
			return json_say(d, API_FUTURE_TIMESTAMP,
				   "payload.created_at is %lld seconds ahead of the server's clock; the limit is %d",
				   (long long)ahead, SIGCHAIN_MAX_AHEAD);
	}
	return API_OK;
}

/* JCS of payload and event, the event's hash, the signature's bytes. */
static enum api_error canonical_forms(json_t *root, size_t body_len, struct sigchain_event *ev)
{
	/* Numbers may grow ("1e20" is written as 21 digits), strings never do:
	 * 6 times the body is more than any event needs. */
	size_t max = body_len < (SIZE_MAX - 64) / 6 ? 6 * body_len + 64 : SIZE_MAX;
	ev->payload_jcs.max = ev->event_jcs.max = max; /* a reused event keeps its memory */
	/* The event's members are exactly kez, payload and signature (row 4),
	 * which JCS orders so (k < p < s): its canonical form is put together
	 * around the payload's, made once. */
	struct buf *e = &ev->event_jcs;
	if (jcs_serialize(json_object_get(root, "payload"), &ev->payload_jcs) < 0 ||
	    buf_append_str(e, "{\"kez\":") < 0 || jcs_serialize(json_object_get(root, "kez"), e) < 0 ||
	    buf_append_str(e, ",\"payload\":") < 0 || buf_append(e, ev->payload_jcs.data, ev->payload_jcs.len) < 0 ||
	    buf_append_str(e, ",\"signature\":") < 0 || jcs_serialize(json_object_get(root, "signature"), e) < 0 ||
	    buf_putc(e, '}') < 0 || sigchain_sha256(e->data, e->len, ev->f.hash) < 0)
		return API_INTERNAL;
	json_t *sig = json_object_get(json_object_get(root, "signature"), "sig");
	ev->sig_ok_text = hex_decode_lower(json_string_value(sig), json_string_length(sig), ev->sig, sizeof ev->sig) == 0;
	return API_OK;
}

void sigchain_event_init(struct sigchain_event *ev)
{
	memset(ev, 0, sizeof *ev);
	buf_init(&ev->payload_jcs, 0);
	buf_init(&ev->event_jcs, 0);
}

void sigchain_event_free(struct sigchain_event *ev)
{
	buf_free(&ev->payload_jcs);
	buf_free(&ev->event_jcs);
}

enum api_error sigchain_event_parse(const char *body, size_t len, const struct sigchain_parse_policy *policy,
				    struct sigchain_event *ev, char *detail, size_t detail_len)
{
	const struct json_detail d = { detail, detail ? detail_len : 0 };
	if (d.cap)
		detail[0] = '\0';
	memset(&ev->f, 0, sizeof ev->f);
	ev->sig_ok_text = false;
	buf_reset(&ev->payload_jcs);
	buf_reset(&ev->event_jcs);

	/* 3 */
	bool reals;
	json_t *root = json_body_load(body, len, &reals, d.text, d.cap);
	if (!root)
		return API_MALFORMED_JSON;
	enum api_error e = check_shape(root, reals, &d);
	if (e == API_OK)
		e = check_fields(root, reals, policy, ev, &d);
	if (e == API_OK && (e = canonical_forms(root, len, ev)) != API_OK)
		json_say(&d, e, "the event could not be canonicalized");
	json_decref(root);
	return e;
}

enum api_error sigchain_event_verify(const struct sigchain_event *ev, char *detail, size_t detail_len)
{
	const struct json_detail d = { detail, detail ? detail_len : 0 };
	if (!ev->sig_ok_text)
		return json_say(&d, API_INVALID_SIGNATURE, "signature.sig must be 128 lowercase hex digits");
	if (!ed25519_verify(ev->f.signing_key, (const uint8_t *)ev->payload_jcs.data, ev->payload_jcs.len, ev->sig))
		return json_say(&d, API_INVALID_SIGNATURE, "the signature does not verify over the JCS form of the payload");
	if (d.cap)
		detail[0] = '\0';
	return API_OK;
}
