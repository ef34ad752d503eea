/* The content-type table of the static files. */
#include "worker/mime_types.h"
#include "../unit.h"

UNIT_TEST(mime_types_known_extensions)
{
	static const struct {
		const char *name;
		const char *type;
	} cases[] = {
		{ "index.html", "text/html; charset=utf-8" },
		{ "old.htm", "text/html; charset=utf-8" },
		{ "app.js", "text/javascript; charset=utf-8" },
		{ "mod.mjs", "text/javascript; charset=utf-8" },
		{ "style.css", "text/css; charset=utf-8" },
		{ "data.json", "application/json" },
		{ "app.js.map", "application/json" },
		{ "site.webmanifest", "application/manifest+json" },
		{ "logo.svg", "image/svg+xml" },
		{ "a.png", "image/png" },
		{ "b.jpg", "image/jpeg" },
		{ "b.jpeg", "image/jpeg" },
		{ "c.gif", "image/gif" },
		{ "d.webp", "image/webp" },
		{ "e.avif", "image/avif" },
		{ "favicon.ico", "image/x-icon" },
		{ "font.woff2", "font/woff2" },
		{ "font.woff", "font/woff" },
		{ "font.ttf", "font/ttf" },
		{ "mod.wasm", "application/wasm" },
		{ "notes.txt", "text/plain; charset=utf-8" },
		{ "feed.xml", "application/xml" },
		{ "paper.pdf", "application/pdf" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_EQ_STR(mime_type_for(cases[i].name), cases[i].type);
}

UNIT_TEST(mime_types_case_insensitive)
{
	CHECK_EQ_STR(mime_type_for("APP.JS"), "text/javascript; charset=utf-8");
	CHECK_EQ_STR(mime_type_for("Logo.Svg"), "image/svg+xml");
	CHECK_EQ_STR(mime_type_for("font.WOFF2"), "font/woff2");
	CHECK_EQ_STR(mime_type_for("INDEX.HTML"), "text/html; charset=utf-8");
}

UNIT_TEST(mime_types_unknown_is_octet_stream)
{
	CHECK_EQ_STR(mime_type_for("big.bin"), "application/octet-stream");
	CHECK_EQ_STR(mime_type_for("README"), "application/octet-stream");
	CHECK_EQ_STR(mime_type_for("file."), "application/octet-stream");
	CHECK_EQ_STR(mime_type_for(""), "application/octet-stream");
	/* the last extension decides */
	CHECK_EQ_STR(mime_type_for("archive.tar.gz"), "application/octet-stream");
	CHECK_EQ_STR(mime_type_for("page.html.gz"), "application/octet-stream");
	/* a near miss is no match */
	CHECK_EQ_STR(mime_type_for("x.jss"), "application/octet-stream");
	CHECK_EQ_STR(mime_type_for("x.j"), "application/octet-stream");
	/* a dot in a folder name is not the file's extension */
	CHECK_EQ_STR(mime_type_for("v1.2/LICENSE"), "application/octet-stream");
	CHECK_EQ_STR(mime_type_for("assets/app.css"), "text/css; charset=utf-8");
}
