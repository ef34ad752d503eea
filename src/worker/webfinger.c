#include "worker/webfinger.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "worker/percent.h"

#define ACCT_SCHEME     "acct:"
#define ACCT_SCHEME_LEN (sizeof ACCT_SCHEME - 1)

/* Every '%' starts an escape of two hex digits. Checked over the whole
 * query so that a broken one is an error even in a parameter we ignore. */
static bool escapes_well_formed(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
			return false;
		i += 2;
	}
	return true;
}

/* The parameter names we act on. A name that does not decode into this
 * little buffer (too long, a NUL) is none of them. */
static bool name_is(const char *s, size_t n, const char *want)
{
	char name[sizeof "resource"];
	return percent_decode(s, n, true, name, sizeof name) >= 0 && strcmp(name, want) == 0;
}

int webfinger_parse_query(const char *q, size_t len, struct webfinger_query *out)
{
	out->has_resource = false;
	out->resource[0] = '\0';
	out->n_rels = 0;
	if (!escapes_well_formed(q, len))
		return -1;
	for (size_t i = 0; i < len;) {
		size_t start = i;
		while (i < len && q[i] != '&')
			i++;
		size_t end = i++;
		const char *eq = memchr(q + start, '=', end - start);
		size_t name_len = eq ? (size_t)(eq - (q + start)) : end - start;
		const char *value = eq ? eq + 1 : q + end;
		size_t value_len = (size_t)(q + end - value);
		if (name_is(q + start, name_len, "resource")) {
			if (out->has_resource)
				continue;
			ssize_t n = percent_decode(value, value_len, true, out->resource, sizeof out->resource);
			if (n < 0)
				return -1;
			out->has_resource = n > 0;
		} else if (name_is(q + start, name_len, "rel")) {
			if (out->n_rels == WEBFINGER_MAX_RELS ||
			    percent_decode(value, value_len, true, out->rels[out->n_rels], sizeof out->rels[0]) < 0)
				return -1;
			out->n_rels++;
		}
	}
	return 0;
}

bool webfinger_resource_handle(const char *resource, const char *server, char handle[HANDLE_MAX_LEN + 1],
			       size_t *handle_len)
{
	if (strncasecmp(resource, ACCT_SCHEME, ACCT_SCHEME_LEN) != 0)
		return false;
	const char *user = resource + ACCT_SCHEME_LEN;
	const char *at = strchr(user, '@');
	if (!at || strchr(at + 1, '@') || strcasecmp(at + 1, server) != 0)
		return false;
	size_t n = (size_t)(at - user);
	if (n > HANDLE_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		handle[i] = (char)tolower((unsigned char)user[i]);
	handle[n] = '\0';
	if (!handle_is_valid(handle, n))
		return false;
	*handle_len = n;
	return true;
}

static bool rel_wanted(const struct webfinger_query *q, const char *rel)
{
	if (!q || q->n_rels == 0)
		return true;
	for (unsigned i = 0; i < q->n_rels; i++)
		if (strcmp(q->rels[i], rel) == 0)
			return true;
	return false;
}

/* Appends the serialized JSON to out. 0, or -1. */
static int dump_into(struct buf *out, const json_t *json)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	size_t need = json_dumpb(json, NULL, 0, flags);
	if (need == 0 || buf_reserve(out, need) < 0)
		return -1;
	if (json_dumpb(json, out->data + out->len, need, flags) != need)
		return -1;
	out->len += need;
	return 0;
}

int webfinger_render(struct buf *out, const char *handle, const char *server, const char *public_url,
		     const char *sigchain_url, const struct webfinger_query *q)
{
	/* jansson builds the strings ("s++" concatenates) and escapes them:
	 * the URLs come from the operator, unbounded and unescaped. */
	json_t *links = json_array();
	if (!links)
		return -1;
	int rc = -1;
	json_t *jrd = NULL;
	if (rel_wanted(q, "self") &&
	    json_array_append_new(links, json_pack("{s:s, s:s, s:s++}", "rel", "self", "type", "application/json",
						   "href", public_url, "/v1/u/", handle)) < 0)
		goto done;
	if (rel_wanted(q, WEBFINGER_REL_SIGCHAIN) &&
	    json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "rel", WEBFINGER_REL_SIGCHAIN, "type",
						   "application/json", "href", sigchain_url)) < 0)
		goto done;
	jrd = json_pack("{s:s+++, s:[s++], s:O}", "subject", ACCT_SCHEME, handle, "@", server, "aliases", public_url,
			"/v1/u/", handle, "links", links);
	if (jrd)
		rc = dump_into(out, jrd);
done:
	json_decref(jrd);
	json_decref(links);
	return rc;
}
