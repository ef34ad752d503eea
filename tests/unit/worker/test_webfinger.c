/* WebFinger: query decoding, resource matching and the JRD. */
#include "worker/webfinger.h"
#include "../unit.h"

/* Large: one shared query keeps the cases' stacks small. */
static struct webfinger_query q;

static int parse(const char *query)
{
	memset(&q, 0x5a, sizeof q); /* stale content must not leak through */
	return webfinger_parse_query(query, strlen(query), &q);
}

UNIT_TEST(webfinger_query_decodes_resource)
{
	REQUIRE(parse("resource=acct%3Atudisco%40kez.lat") == 0);
	CHECK(q.has_resource);
	CHECK_EQ_STR(q.resource, "acct:tudisco@kez.lat");
	CHECK_EQ_INT(q.n_rels, 0);

	REQUIRE(parse("resource=acct:tudisco@kez.lat") == 0);
	CHECK_EQ_STR(q.resource, "acct:tudisco@kez.lat");

	/* every byte escaped, in either case of hex digit */
	REQUIRE(parse("resource=%61%63%63%74%3a%74%75%44%49%53%43%4F%40%6b%65%7a%2E%6c%61%74") == 0);
	CHECK_EQ_STR(q.resource, "acct:tuDISCO@kez.lat");

	/* '+' is a space; an escaped '+' is a plus */
	REQUIRE(parse("resource=a+b%2Bc") == 0);
	CHECK_EQ_STR(q.resource, "a b+c");

	/* names are decoded too */
	REQUIRE(parse("%72esource=acct:x@y") == 0);
	CHECK(q.has_resource);
	CHECK_EQ_STR(q.resource, "acct:x@y");
}

UNIT_TEST(webfinger_query_first_resource_wins)
{
	REQUIRE(parse("resource=acct:first@kez.lat&resource=acct:second@kez.lat") == 0);
	CHECK_EQ_STR(q.resource, "acct:first@kez.lat");
	/* an empty resource is as good as none: a later one still counts */
	REQUIRE(parse("resource=&resource=acct:second@kez.lat") == 0);
	CHECK(q.has_resource);
	CHECK_EQ_STR(q.resource, "acct:second@kez.lat");
	/* a later resource is not looked at beyond its escapes */
	char query[2200] = "resource=acct:a@b&resource=";
	memset(query + strlen(query), 'x', 2000);
	query[sizeof query - 1] = '\0';
	REQUIRE(parse(query) == 0);
	CHECK_EQ_STR(q.resource, "acct:a@b");
}

UNIT_TEST(webfinger_query_missing_resource)
{
	static const char *const queries[] = {
		"", "&", "&&&", "rel=self", "resources=acct:a@kez.lat", "Resource=acct:a@kez.lat",
		"resource", "resource=", "xresource=acct:a@b", "resource%3Dacct:a@b",
	};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		CHECK_EQ_INT(parse(queries[i]), 0);
		if (!CHECK(!q.has_resource))
			unit_fail(__FILE__, __LINE__, "for query \"%s\"", queries[i]);
	}
}

UNIT_TEST(webfinger_query_collects_every_rel)
{
	REQUIRE(parse("rel=self&resource=acct:a@kez.lat&x=1&rel=https%3A%2F%2Fkez.lat%2Frel%2Fsigchain&rel=") == 0);
	CHECK(q.has_resource);
	CHECK_EQ_STR(q.resource, "acct:a@kez.lat");
	REQUIRE(CHECK_EQ_INT(q.n_rels, 3));
	CHECK_EQ_STR(q.rels[0], "self");
	CHECK_EQ_STR(q.rels[1], "https://kez.lat/rel/sigchain");
	CHECK_EQ_STR(q.rels[2], "");

	/* exactly the maximum is fine; one more is refused */
	char query[512] = "";
	for (int i = 0; i < WEBFINGER_MAX_RELS; i++)
		strcat(query, "rel=r&");
	REQUIRE(parse(query) == 0);
	CHECK_EQ_INT(q.n_rels, WEBFINGER_MAX_RELS);
	strcat(query, "rel=r");
	CHECK_EQ_INT(parse(query), -1);
}

UNIT_TEST(webfinger_query_malformed)
{
	static const char *const queries[] = {
		"resource=acct%3",         /* escape cut short */
		"resource=acct%",          /* escape cut short */
		"resource=%zz",            /* not hex */
		"resource=%4",             /* one digit */
		"resource=%00",            /* a NUL */
		"resource=a%00b",          /* a NUL inside */
		"rel=%0",                  /* in a rel */
		"rel=se%00lf",             /* a NUL in a rel */
		"foo=%g1&resource=acct:a@b", /* even in a parameter otherwise ignored */
		"resource=acct:a@b&%zz=1", /* even in a name */
	};
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
		if (!CHECK_EQ_INT(parse(queries[i]), -1))
			unit_fail(__FILE__, __LINE__, "for query \"%s\"", queries[i]);
}

UNIT_TEST(webfinger_query_value_lengths)
{
	/* 1023 decoded bytes fit the resource, 1024 do not */
	static char query[4096];
	strcpy(query, "resource=");
	memset(query + 9, 'a', 1023);
	query[9 + 1023] = '\0';
	REQUIRE(parse(query) == 0);
	CHECK_EQ_INT(strlen(q.resource), 1023);
	strcat(query, "a");
	CHECK_EQ_INT(parse(query), -1);
	/* the limit is on the decoded value: 1023 escapes are 1023 bytes */
	strcpy(query, "resource=");
	for (int i = 0; i < 1023; i++)
		strcat(query, "%41");
	REQUIRE(parse(query) == 0);
	CHECK_EQ_INT(strlen(q.resource), 1023);

	/* 511 bytes fit a rel, 512 do not */
	strcpy(query, "rel=");
	memset(query + 4, 'r', 511);
	query[4 + 511] = '\0';
	REQUIRE(parse(query) == 0);
	CHECK_EQ_INT(strlen(q.rels[0]), 511);
	strcat(query, "r");
	CHECK_EQ_INT(parse(query), -1);

	/* a long name that is none of ours is ignored */
	strcpy(query, "resource=acct:a@b&");
	memset(query + strlen(query), 'n', 3000);
	query[strlen("resource=acct:a@b&") + 3000] = '\0';
	REQUIRE(parse(query) == 0);
	CHECK_EQ_STR(q.resource, "acct:a@b");
}

UNIT_TEST(webfinger_query_respects_length)
{
	/* only the given bytes count: the rest of the string is another request's */
	const char *raw = "resource=acct:abc@kez.lat&rel=self";
	memset(&q, 0, sizeof q);
	REQUIRE(webfinger_parse_query(raw, strlen("resource=acct:abc@kez.lat"), &q) == 0);
	CHECK_EQ_STR(q.resource, "acct:abc@kez.lat");
	CHECK_EQ_INT(q.n_rels, 0);
	REQUIRE(webfinger_parse_query(raw, strlen("resource=acct:ab"), &q) == 0);
	CHECK_EQ_STR(q.resource, "acct:ab");
	/* an escape cut by the length is broken */
	CHECK_EQ_INT(webfinger_parse_query("resource=%41", strlen("resource=%4"), &q), -1);
}

/* --- resource matching --- */

static bool match(const char *resource, const char *server, char handle[HANDLE_MAX_LEN + 1])
{
	size_t len = 999;
	bool ok = webfinger_resource_handle(resource, server, handle, &len);
	if (ok && len != strlen(handle)) {
		unit_fail(__FILE__, __LINE__, "length %zu for handle \"%s\"", len, handle);
		return false;
	}
	return ok;
}

UNIT_TEST(webfinger_resource_matches)
{
	char handle[HANDLE_MAX_LEN + 1];
	REQUIRE(match("acct:tudisco@kez.lat", "kez.lat", handle));
	CHECK_EQ_STR(handle, "tudisco");
	/* the host in any case; the handle folded to lowercase */
	REQUIRE(match("acct:TuDisco@KEZ.Lat", "kez.lat", handle));
	CHECK_EQ_STR(handle, "tudisco");
	REQUIRE(match("acct:tudisco@kez.lat", "Kez.LAT", handle));
	CHECK_EQ_STR(handle, "tudisco");
	/* the scheme is case-insensitive (RFC 3986 §3.1) */
	REQUIRE(match("ACCT:a_b-c@kez.lat", "kez.lat", handle));
	CHECK_EQ_STR(handle, "a_b-c");
	REQUIRE(match("acct:abcdefghijklmnopqrstuvwxyz012345@kez.lat", "kez.lat", handle));
	CHECK_EQ_STR(handle, "abcdefghijklmnopqrstuvwxyz012345");
}

UNIT_TEST(webfinger_resource_refused)
{
	static const char *const resources[] = {
		"acct:tudisco@other.host",        /* wrong host */
		"acct:tudisco@kez.lat.evil",      /* host with a suffix */
		"acct:tudisco@kez.la",            /* host cut short */
		"acct:tudisco@kez.lat.",          /* trailing dot */
		"acct:tudisco@",                  /* no host */
		"acct:tudisco",                   /* no @ */
		"acct:kez.lat",                   /* no @ */
		"acct:a@b@kez.lat",               /* extra @ */
		"acct:tudisco@kez.lat@kez.lat",   /* extra @ */
		"mailto:tudisco@kez.lat",         /* not acct: */
		"https://kez.lat/v1/u/tudisco",   /* not acct: */
		"tudisco@kez.lat",                /* no scheme */
		"acct :tudisco@kez.lat",
		"",
		"acct:",
		"acct:@kez.lat",                  /* empty handle */
		"acct:ab@kez.lat",                /* too short */
		"acct:abcdefghijklmnopqrstuvwxyz0123456@kez.lat", /* 33 */
		"acct:_abc@kez.lat",              /* not a handle */
		"acct:tu disco@kez.lat",
		"acct:tu.disco@kez.lat",
		"acct:tudisco%40kez.lat",         /* still encoded: no @ */
		"acct:t\xc3\xbc" "disco@kez.lat",  /* not ASCII */
	};
	for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
		char handle[HANDLE_MAX_LEN + 1];
		if (!CHECK(!match(resources[i], "kez.lat", handle)))
			unit_fail(__FILE__, __LINE__, "for resource \"%s\"", resources[i]);
	}
}

/* --- the JRD --- */

#define KEY_HEX  "2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12"
#define SIGCHAIN "http://localhost:7878/v1/sigchains/ed25519/" KEY_HEX
#define SUBJECT_AND_ALIASES \
	"{\"subject\":\"acct:tudisco@kez.lat\",\"aliases\":[\"https://kez.lat/v1/u/tudisco\"],"
#define SELF_LINK \
	"{\"rel\":\"self\",\"type\":\"application/json\",\"href\":\"https://kez.lat/v1/u/tudisco\"}"
#define SIGCHAIN_LINK \
	"{\"rel\":\"https://kez.lat/rel/sigchain\",\"type\":\"application/json\",\"href\":\"" SIGCHAIN "\"}"

/* Renders into a fresh buffer; the text, NUL-terminated, or NULL. */
static char *render(struct buf *b, const char *query, const char *public_url, const char *sigchain)
{
	buf_init(b, 64 * 1024);
	if (parse(query) < 0) {
		unit_fail(__FILE__, __LINE__, "test query \"%s\" does not parse", query);
		return NULL;
	}
	if (webfinger_render(b, "tudisco", "kez.lat", public_url, sigchain, &q) < 0 || buf_putc(b, '\0') < 0)
		return NULL;
	return b->data;
}

UNIT_TEST(webfinger_render_full)
{
	struct buf b;
	CHECK_EQ_STR(render(&b, "resource=acct:tudisco@kez.lat", "https://kez.lat", SIGCHAIN),
		     SUBJECT_AND_ALIASES "\"links\":[" SELF_LINK "," SIGCHAIN_LINK "]}");
	buf_free(&b);
}

UNIT_TEST(webfinger_render_rel_filter)
{
	struct buf b;
	CHECK_EQ_STR(render(&b, "resource=x&rel=self", "https://kez.lat", SIGCHAIN),
		     SUBJECT_AND_ALIASES "\"links\":[" SELF_LINK "]}");
	buf_free(&b);
	CHECK_EQ_STR(render(&b, "rel=https%3A%2F%2Fkez.lat%2Frel%2Fsigchain", "https://kez.lat", SIGCHAIN),
		     SUBJECT_AND_ALIASES "\"links\":[" SIGCHAIN_LINK "]}");
	buf_free(&b);
	/* both asked for, in the other order: the links keep their own order */
	CHECK_EQ_STR(render(&b, "rel=https://kez.lat/rel/sigchain&rel=self", "https://kez.lat", SIGCHAIN),
		     SUBJECT_AND_ALIASES "\"links\":[" SELF_LINK "," SIGCHAIN_LINK "]}");
	buf_free(&b);
	/* an unknown rel leaves no links, but subject and aliases stay */
	CHECK_EQ_STR(render(&b, "rel=http://webfinger.net/rel/avatar", "https://kez.lat", SIGCHAIN),
		     SUBJECT_AND_ALIASES "\"links\":[]}");
	buf_free(&b);
	/* rels compare exactly */
	CHECK_EQ_STR(render(&b, "rel=SELF", "https://kez.lat", SIGCHAIN), SUBJECT_AND_ALIASES "\"links\":[]}");
	buf_free(&b);
}

UNIT_TEST(webfinger_render_escapes_operator_strings)
{
	struct buf b;
	CHECK_EQ_STR(render(&b, "", "https://ex.org/a\"b\\c", "http://s/\x01"),
		     "{\"subject\":\"acct:tudisco@kez.lat\",\"aliases\":[\"https://ex.org/a\\\"b\\\\c/v1/u/tudisco\"],"
		     "\"links\":[{\"rel\":\"self\",\"type\":\"application/json\","
		     "\"href\":\"https://ex.org/a\\\"b\\\\c/v1/u/tudisco\"},"
		     "{\"rel\":\"https://kez.lat/rel/sigchain\",\"type\":\"application/json\",\"href\":\"http://s/\\u0001\"}]}");
	buf_free(&b);
	/* a URL far longer than any fixed buffer is kept whole */
	static char long_url[6000];
	strcpy(long_url, "https://");
	memset(long_url + 8, 'h', sizeof long_url - 9);
	char *text = render(&b, "rel=self", long_url, SIGCHAIN);
	CHECK(text && strstr(text, long_url) && strstr(text, "hhh/v1/u/tudisco\"}]}"));
	buf_free(&b);
}

UNIT_TEST(webfinger_render_failures)
{
	/* not UTF-8 */
	struct buf b;
	CHECK(render(&b, "", "https://k\xffz.lat", SIGCHAIN) == NULL);
	buf_free(&b);
	/* past the buffer's limit: nothing appended */
	memset(&q, 0, sizeof q);
	buf_init(&b, 64);
	REQUIRE(buf_append_str(&b, "HTTP head ") == 0);
	CHECK_EQ_INT(webfinger_render(&b, "tudisco", "kez.lat", "https://kez.lat", SIGCHAIN, &q), -1);
	CHECK_EQ_INT(b.len, strlen("HTTP head "));
	buf_free(&b);
	/* appends after what is there */
	buf_init(&b, 4096);
	REQUIRE(buf_append_str(&b, "HEAD|") == 0);
	REQUIRE(webfinger_render(&b, "tudisco", "kez.lat", "https://kez.lat", SIGCHAIN, &q) == 0);
	REQUIRE(buf_putc(&b, '\0') == 0);
	CHECK_EQ_STR(b.data, "HEAD|" SUBJECT_AND_ALIASES "\"links\":[" SELF_LINK "," SIGCHAIN_LINK "]}");
	buf_free(&b);
}
