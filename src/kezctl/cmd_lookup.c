/* kezctl lookup and kezctl webfinger: the two read-only queries. */
#include <stdio.h>
#include <string.h>

#include "kezctl/api_call.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/http_client.h"

static int run_lookup(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_URL, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (!a.positional || !a.positional[0])
		return usage_error("lookup: a HANDLE is needed");

	struct buf url;
	buf_init(&url, API_MAX_URL);
	int status;
	if (buf_append(&url, a.url, a.url_len) < 0 || buf_append_str(&url, "/v1/u/") < 0 ||
	    http_escape(a.positional, &url) < 0 || buf_putc(&url, '\0') < 0)
		status = usage_error("lookup: the URL would be longer than %d bytes", API_MAX_URL);
	else
		status = api_call(url.data, NULL, 0, 200);
	buf_free(&url);
	return status;
}

const struct command command_lookup = {
	.name = "lookup",
	.synopsis = "lookup HANDLE [--url URL]",
	.description = "      Print the record of HANDLE (GET URL/v1/u/HANDLE).\n",
	.uses_network = true,
	.run = run_lookup,
};

static int run_webfinger(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_URL, OPT_REL, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	/* "acct:" is accepted too, as people copy the subject of a JRD. */
	const char *account = a.positional;
	if (account && strncmp(account, "acct:", 5) == 0)
		account += 5;
	const char *at = account ? strrchr(account, '@') : NULL;
	if (!at || at == account || at[1] == '\0')
		return usage_error("webfinger: HANDLE@DOMAIN is needed");

	struct buf url;
	buf_init(&url, API_MAX_URL);
	bool ok = buf_append(&url, a.url, a.url_len) == 0 &&
		  buf_append_str(&url, "/.well-known/webfinger?resource=acct%3A") == 0 &&
		  http_escape(account, &url) == 0;
	for (int i = 0; ok && i < a.n_rels; i++)
		ok = buf_append_str(&url, "&rel=") == 0 && http_escape(a.rels[i], &url) == 0;
	int status;
	if (!ok || buf_putc(&url, '\0') < 0)
		status = usage_error("webfinger: the URL would be longer than %d bytes", API_MAX_URL);
	else
		status = api_call(url.data, NULL, 0, 200);
	buf_free(&url);
	return status;
}

const struct command command_webfinger = {
	.name = "webfinger",
	.synopsis = "webfinger HANDLE@DOMAIN [--url URL] [--rel REL]...",
	.description = "      Print the WebFinger document (JRD) of acct:HANDLE@DOMAIN; each --rel keeps\n"
		       "      only the links of that relation.\n",
	.uses_network = true,
	.run = run_webfinger,
};
