#include "worker/mime_types.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *ext;
	const char *type;
} table[] = {
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
	const char *dot = strrchr(slash ? slash : filename, '.');
	if (dot)
		for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
			if (strcasecmp(dot + 1, table[i].ext) == 0)
				return table[i].type;
	return "application/octet-stream";
}
