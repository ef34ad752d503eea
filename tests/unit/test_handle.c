/* Handle rules (check 9) and the reserved list (check 10). */
#include <unistd.h>

#include "common/kez/handle.h"
#include "unit.h"

#define VALID(s) handle_is_valid(s, strlen(s))

UNIT_TEST(handle_length_limits)
{
	CHECK(!VALID(""));
	CHECK(!VALID("a"));
	CHECK(!VALID("ab"));                                 /* 2 */
	CHECK(VALID("abc"));                                 /* 3 */
	CHECK(VALID("abcdefghijklmnopqrstuvwxyz012345"));    /* 32 */
	CHECK(!VALID("abcdefghijklmnopqrstuvwxyz0123456"));  /* 33 */
	/* the length given counts, not the NUL */
	CHECK(handle_is_valid("abcdef", 3));
	CHECK(!handle_is_valid("abcdef", 2));
	CHECK(!handle_is_valid(NULL, 0));
}

UNIT_TEST(handle_characters)
{
	CHECK(VALID("tudisco"));
	CHECK(VALID("0day"));
	CHECK(VALID("123"));
	CHECK(VALID("a_b-c"));
	CHECK(VALID("ab-"));
	CHECK(VALID("ab_"));
	CHECK(VALID("a--"));
	CHECK(VALID("z9_"));
	CHECK(!VALID("_abc"));
	CHECK(!VALID("-abc"));
	/* no lowercasing here: the caller decides (register refuses capitals) */
	CHECK(!VALID("Alice"));
	CHECK(!VALID("alicE"));
	CHECK(!VALID("ALICE"));
	CHECK(!VALID("al ice"));
	CHECK(!VALID("al.ice"));
	CHECK(!VALID("alice@kez"));
	CHECK(!VALID("ali+ce"));
	CHECK(!VALID("al/ice"));
	CHECK(!VALID("alice\n"));
	CHECK(!VALID(" alice"));
	CHECK(!VALID("\xc3\xa9t\xc3\xa9"));  /* été */
	CHECK(!VALID("ab\xc3\xa9"));
	CHECK(!handle_is_valid("abc\0d", 5)); /* a NUL inside */
	/* every byte outside the alphabet, in the middle of a valid handle */
	for (int c = 0; c < 256; c++) {
		char h[4] = { 'a', (char)c, 'b', 0 };
		bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
		if (handle_is_valid(h, 3) != allowed)
			unit_fail(__FILE__, __LINE__, "byte 0x%02x in the middle: %s", c, allowed ? "refused" : "accepted");
		char first[4] = { (char)c, 'a', 'b', 0 };
		bool first_allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (handle_is_valid(first, 3) != first_allowed)
			unit_fail(__FILE__, __LINE__, "byte 0x%02x first: %s", c, first_allowed ? "refused" : "accepted");
	}
}

static const char *const builtin[] = {
	"admin", "administrator", "root", "system", "sys", "support", "help", "info", "abuse",
	"postmaster", "hostmaster", "webmaster", "security", "noreply", "no-reply", "kez", "kezchat",
	"api", "www", "mail", "nats", "server", "null", "undefined", "anonymous", "moderator", "mod",
	"staff", "official", "everyone",
};

UNIT_TEST(handle_reserved_builtin)
{
	struct reserved_list list;
	REQUIRE(reserved_list_init(&list) == 0);
	CHECK_EQ_INT(list.count, sizeof builtin / sizeof builtin[0]);
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
		if (!reserved_list_contains(&list, builtin[i], strlen(builtin[i])))
			unit_fail(__FILE__, __LINE__, "'%s' is not reserved", builtin[i]);
		/* each is itself a valid handle, or reserving it would mean nothing */
		if (strlen(builtin[i]) >= HANDLE_MIN_LEN && !VALID(builtin[i]))
			unit_fail(__FILE__, __LINE__, "'%s' is not a valid handle", builtin[i]);
	}
	for (size_t i = 1; i < list.count; i++)
		CHECK(strcmp(list.names[i - 1], list.names[i]) < 0); /* sorted, no duplicates */
	CHECK(!reserved_list_contains(&list, "alice", 5));
	CHECK(!reserved_list_contains(&list, "admins", 6));
	CHECK(!reserved_list_contains(&list, "adm", 3));
	CHECK(!reserved_list_contains(&list, "Admin", 5)); /* callers pass the lowercase form */
	CHECK(!reserved_list_contains(&list, "admin\0x", 7));
	CHECK(reserved_list_contains(&list, "adminx", 5)); /* the length given counts */
	CHECK(!reserved_list_contains(&list, "", 0));
	CHECK(!reserved_list_contains(&list, "abcdefghijklmnopqrstuvwxyz0123456789", 36));
	reserved_list_free(&list);
	CHECK(list.names == NULL && list.count == 0);
	CHECK(!reserved_list_contains(&list, "admin", 5)); /* a freed list holds nothing */
}

/* Writes `text` (len bytes) to a fresh temporary file; its path in `path`. */
static bool temp_file(char path[64], const char *text, size_t len)
{
	snprintf(path, 64, "/tmp/kez-reserved-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return false;
	bool ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok;
}

/* Loads `text` into a list that starts with the built-in names. */
static int load_text(struct reserved_list *list, const char *text, size_t len, char *err, size_t errlen)
{
	char path[64];
	if (reserved_list_init(list) < 0 || !temp_file(path, text, len))
		return -2;
	int rc = reserved_list_load(list, path, err, errlen);
	unlink(path);
	return rc;
}

UNIT_TEST(handle_reserved_file_format)
{
	static const char text[] = "# operator additions\nblocked\n  Spaced  \n\n\t\nother # trailing comment\r\n"
				   "crlf\r\nADMIN\nadmin\nblocked\n###\n  # indented comment\nlast-line-no-newline";
	struct reserved_list list;
	char err[256] = "";
	CHECK(load_text(&list, text, sizeof text - 1, err, sizeof err) == 0);
	CHECK_EQ_STR(err, "");
	const char *added[] = { "blocked", "spaced", "other", "crlf", "last-line-no-newline", "admin", "root" };
	for (size_t i = 0; i < sizeof added / sizeof added[0]; i++)
		if (!reserved_list_contains(&list, added[i], strlen(added[i])))
			unit_fail(__FILE__, __LINE__, "'%s' is not reserved", added[i]);
	CHECK(!reserved_list_contains(&list, "Spaced", 6));
	CHECK(!reserved_list_contains(&list, "operator", 8)); /* words of a comment */
	/* duplicates (of the file's own names and of the built-ins) are kept once */
	CHECK_EQ_INT(list.count, sizeof builtin / sizeof builtin[0] + 5);
	for (size_t i = 1; i < list.count; i++)
		CHECK(strcmp(list.names[i - 1], list.names[i]) < 0);
	reserved_list_free(&list);

	CHECK(load_text(&list, "", 0, err, sizeof err) == 0); /* an empty file adds nothing */
	CHECK_EQ_INT(list.count, sizeof builtin / sizeof builtin[0]);
	reserved_list_free(&list);
}

UNIT_TEST(handle_reserved_file_errors)
{
	struct reserved_list list;
	char err[256];
	const size_t n_builtin = sizeof builtin / sizeof builtin[0];

	static const char bad_name[] = "fine\nnot valid!\nlater\n";
	CHECK(load_text(&list, bad_name, sizeof bad_name - 1, err, sizeof err) == -1);
	CHECK(strstr(err, "line 2") != NULL);
	CHECK(strstr(err, "not valid!") != NULL);
	/* a failed load adds nothing at all, and the list still works */
	CHECK_EQ_INT(list.count, n_builtin);
	CHECK(!reserved_list_contains(&list, "fine", 4));
	CHECK(reserved_list_contains(&list, "admin", 5));
	reserved_list_free(&list);

	static const char too_short[] = "ok-name\nab\n";
	CHECK(load_text(&list, too_short, sizeof too_short - 1, err, sizeof err) == -1);
	CHECK(strstr(err, "line 2") != NULL);
	reserved_list_free(&list);

	/* a NUL byte inside a name makes it invalid, and the message shows no control bytes */
	static const char with_nul[] = "abc\0def\n";
	CHECK(load_text(&list, with_nul, sizeof with_nul - 1, err, sizeof err) == -1);
	CHECK(strstr(err, "line 1") != NULL);
	for (const char *p = err; *p; p++)
		CHECK(*p >= 0x20 && *p < 0x7f);
	reserved_list_free(&list);

	static const char utf8[] = "caf\xc3\xa9\n";
	CHECK(load_text(&list, utf8, sizeof utf8 - 1, err, sizeof err) == -1);
	reserved_list_free(&list);

	CHECK(reserved_list_init(&list) == 0);
	CHECK(reserved_list_load(&list, "/nonexistent/reserved.txt", err, sizeof err) == -1);
	CHECK(strstr(err, "cannot open") != NULL);
	CHECK(reserved_list_load(&list, "/", err, sizeof err) == -1); /* a directory: a read error */
	CHECK_EQ_INT(list.count, n_builtin);
	reserved_list_free(&list);
}

/* A line may hold 1024 bytes (without its newline), not one more. */
UNIT_TEST(handle_reserved_file_line_limit)
{
	enum { LIMIT = 1024 };
	char text[LIMIT + 64];
	struct reserved_list list;
	char err[256];

	/* exactly 1024 bytes: spaces around a name */
	memset(text, ' ', LIMIT);
	memcpy(text + 100, "padded", 6);
	text[LIMIT] = '\n';
	memcpy(text + LIMIT + 1, "next\n", 5);
	CHECK(load_text(&list, text, LIMIT + 6, err, sizeof err) == 0);
	CHECK(reserved_list_contains(&list, "padded", 6));
	CHECK(reserved_list_contains(&list, "next", 4));
	reserved_list_free(&list);

	/* 1024 bytes at the end of the file, without a newline */
	CHECK(load_text(&list, text, LIMIT, err, sizeof err) == 0);
	CHECK(reserved_list_contains(&list, "padded", 6));
	reserved_list_free(&list);

	/* 1025 bytes: an error, even though it is only a comment */
	text[0] = '#';
	text[LIMIT] = ' ';
	text[LIMIT + 1] = '\n';
	CHECK(load_text(&list, text, LIMIT + 2, err, sizeof err) == -1);
	CHECK(strstr(err, "line 1") != NULL && strstr(err, "1024") != NULL);
	reserved_list_free(&list);

	/* the long line is the third */
	char longer[LIMIT + 64];
	memcpy(longer, "aaa\nbbb\n", 8);
	memset(longer + 8, 'c', LIMIT + 1);
	CHECK(load_text(&list, longer, 8 + LIMIT + 1, err, sizeof err) == -1);
	CHECK(strstr(err, "line 3") != NULL);
	reserved_list_free(&list);
}

/* Many operator names: all found, in one sorted list. */
UNIT_TEST(handle_reserved_file_many_names)
{
	enum { COUNT = 5000 };
	char *text = malloc(COUNT * 16);
	REQUIRE(text != NULL);
	size_t len = 0;
	for (int i = COUNT - 1; i >= 0; i--)
		len += (size_t)snprintf(text + len, 16, "name%05d\n", i);
	struct reserved_list list;
	char err[256];
	CHECK(load_text(&list, text, len, err, sizeof err) == 0);
	CHECK_EQ_INT(list.count, COUNT + sizeof builtin / sizeof builtin[0]);
	char name[16];
	for (int i = 0; i < COUNT; i += 7) {
		snprintf(name, sizeof name, "name%05d", i);
		if (!reserved_list_contains(&list, name, strlen(name))) {
			unit_fail(__FILE__, __LINE__, "'%s' missing", name);
			break;
		}
	}
	CHECK(!reserved_list_contains(&list, "name99999", 9));
	reserved_list_free(&list);
	free(text);
}
