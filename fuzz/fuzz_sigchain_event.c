/* Sigchain events on arbitrary bytes: the whole input as one event (rows
 * 3–13), and its lines as a chain (rows 15–19 over an in-memory head, as
 * kezctl show and verify-file check them). A parsed event's stored bytes
 * (JCS) parse again to the same fields and hash, and the fields survive
 * their wire form: what the writer receives is what the verifier checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kez/chain_verify.h"
#include "common/kez/sigchain_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trips(const struct sigchain_event *ev, enum api_error verified)
{
	uint8_t wire[SIGCHAIN_FIELDS_WIRE_LEN], wire2[SIGCHAIN_FIELDS_WIRE_LEN];
	struct sigchain_fields back;
	sigchain_fields_encode(&ev->f, wire);
	if (sigchain_fields_decode(wire, &back) < 0)
		abort();
	sigchain_fields_encode(&back, wire2);
	if (memcmp(wire, wire2, sizeof wire) != 0)
		abort();

	struct sigchain_parse_policy p = { .check_clock = false };
	struct sigchain_event again;
	char detail[256];
	sigchain_event_init(&again);
	if (sigchain_event_parse(ev->event_jcs.data, ev->event_jcs.len, &p, &again, detail, sizeof detail) != API_OK)
		abort();
	sigchain_fields_encode(&again.f, wire2);
	if (memcmp(wire, wire2, sizeof wire) != 0 || again.payload_jcs.len != ev->payload_jcs.len ||
	    memcmp(again.payload_jcs.data, ev->payload_jcs.data, ev->payload_jcs.len) != 0)
		abort();
	if (sigchain_event_verify(&again, detail, sizeof detail) != verified)
		abort();
	sigchain_event_free(&again);
}

static void one_event(const char *text, size_t size)
{
	/* the clock row too, at a fixed instant (2100-01-01): only a lead fails it */
	struct sigchain_parse_policy p = { .check_clock = true, .now = 4102444800 };
	struct sigchain_event ev;
	char detail[256];
	sigchain_event_init(&ev);
	enum api_error e = sigchain_event_parse(text, size, &p, &ev, detail, sizeof detail);
	if (e == API_OK) {
		enum api_error v = sigchain_event_verify(&ev, detail, sizeof detail);
		if (v != API_OK && v != API_INVALID_SIGNATURE)
			abort();
		check_round_trips(&ev, v);
	}
	sigchain_event_free(&ev);
}

static void as_chain(const char *text, size_t size)
{
	struct chain_verify v;
	struct sigchain_event ev;
	char detail[256];
	uint32_t accepted = 0;
	chain_verify_init(&v, NULL);
	sigchain_event_init(&ev);
	for (size_t at = 0; at < size;) {
		const char *end = memchr(text + at, '\n', size - at);
		size_t n = end ? (size_t)(end - (text + at)) : size - at;
		if (chain_verify_next(&v, text + at, n, &ev, detail, sizeof detail) != API_OK)
			break;
		accepted++;
		/* an accepted event extends the head by one, to its own hash */
		if (v.head.length != accepted || memcmp(v.head.head, ev.f.hash, SIGCHAIN_HASH_LEN) != 0)
			abort();
		if (ev.f.op == SIGCHAIN_OP_ADD && chain_verify_claim(&v, ev.f.seq) != CHAIN_CLAIM_ACTIVE)
			abort();
		at += n + 1;
	}
	sigchain_event_free(&ev);
	chain_verify_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_event((const char *)data, size);
	as_chain((const char *)data, size);
	return 0;
}
