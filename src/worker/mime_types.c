#include "worker/mime_types.h"

#include <string.h>
#include <strings.h>

#define MIME_DEFAULT "application/octet-stream"

/* Text types say their charset: browsers would otherwise guess, and a
 * guessed charset for a script is a classic source of mojibake. */
static const struct {
	const char *ext;
	const char *type;
} mime_table[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/x-icon" },
	{ "woff2", "font/woff2" },
	{ "woff", "font/woff" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "wasm", "application/wasm" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "pdf", "application/pdf" },
};

const char *mime_type_for(const char *filename)
{
	const char *slash = strrchr(filename, '/');
	const char *base = slash ? slash + 1 : filename;
	const char *dot = strrchr(base, '.');
	if (!dot || dot[1] == '\0')
		return MIME_DEFAULT;
	for (size_t i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
		if (strcasecmp(dot + 1, mime_table[i].ext) == 0)
			return mime_table[i].type;
	return MIME_DEFAULT;
}
