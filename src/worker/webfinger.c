#include "worker/webfinger.h"
#include "worker/percent.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#define SIGCHAIN_REL "https://kez.lat/rel/sigchain"

/* One query component, decoded. -1 when malformed or too long. */
static int decode_component(const char *s, size_t n, char *out, size_t cap)
{
	return percent_decode(s, n, true, out, cap) < 0 ? -1 : 0;
}

int webfinger_parse_query(const char *q, size_t len, struct webfinger_query *out)
{
	out->has_resource = false;
	out->resource[0] = '\0';
	out->n_rels = 0;
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && q[i] != '&')
			i++;
		size_t end = i++;
		if (end == start)
			continue;
		const char *eq = memchr(q + start, '=', end - start);
		size_t name_end = eq ? (size_t)(eq - q) : end;
		char name[16];
		if (decode_component(q + start, name_end - start, name, sizeof name) < 0)
			continue; /* a long unknown name is not ours to judge */
		const char *value = eq ? eq + 1 : q + end;
		size_t value_len = eq ? end - name_end - 1 : 0;
		if (strcmp(name, "resource") == 0) {
			if (out->has_resource)
				continue;
			if (decode_component(value, value_len, out->resource, sizeof out->resource) < 0)
				return -1;
			out->has_resource = true;
		} else if (strcmp(name, "rel") == 0) {
			if (out->n_rels >= WEBFINGER_MAX_RELS ||
			    decode_component(value, value_len, out->rels[out->n_rels], sizeof out->rels[0]) < 0)
				return -1;
			out->n_rels++;
		}
	}
	return 0;
}

bool webfinger_resource_handle(const char *resource, const char *server, char handle[HANDLE_MAX_LEN + 1],
			       size_t *handle_len)
{
	if (strncasecmp(resource, "acct:", 5) != 0)
		return false;
	const char *user = resource + 5;
	const char *at = strrchr(user, '@');
	if (!at || strchr(user, '@') != at || strcasecmp(at + 1, server) != 0)
		return false;
	size_t n = (size_t)(at - user);
	if (n > HANDLE_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		handle[i] = (char)tolower((unsigned char)user[i]);
	handle[n] = '\0';
	*handle_len = n;
	return handle_is_valid(handle, n);
}

static bool rel_wanted(const struct webfinger_query *q, const char *rel)
{
	if (q->n_rels == 0)
		return true;
	for (unsigned i = 0; i < q->n_rels; i++)
		if (strcmp(q->rels[i], rel) == 0)
			return true;
	return false;
}

int webfinger_render(struct buf *out, const char *handle, const char *server, const char *public_url,
		     const char *sigchain_url, const struct webfinger_query *q)
{
	char subject[512], profile[1024];
	snprintf(subject, sizeof subject, "acct:%s@%s", handle, server);
	snprintf(profile, sizeof profile, "%s/v1/u/%s", public_url, handle);
	json_t *links = json_array();
	if (rel_wanted(q, "self"))
		json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "rel", "self", "type",
						       "application/json", "href", profile));
	if (rel_wanted(q, SIGCHAIN_REL))
		json_array_append_new(links, json_pack("{s:s, s:s, s:s}", "rel", SIGCHAIN_REL, "type",
						       "application/json", "href", sigchain_url));
	json_t *jrd = json_pack("{s:s, s:[s], s:o}", "subject", subject, "aliases", profile, "links", links);
	if (!jrd)
		return -1;
	size_t need = json_dumpb(jrd, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = -1;
	if (need && buf_reserve(out, need) == 0) {
		out->len += json_dumpb(jrd, out->data + out->len, need, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = 0;
	}
	json_decref(jrd);
	return rc;
}
