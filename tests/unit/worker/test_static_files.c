/* Static files: resolution beneath the web dir, the SPA fallback, validators.
 * Each case builds a small web dir under /tmp and removes it afterwards. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker/static_files.h"
#include "../unit.h"

#define INDEX_BODY  "<!doctype html><title>app</title>"
#define APP_BODY    "console.log(1)"
#define NOTES_BODY  "hi"
#define DOCS_BODY   "<p>docs</p>"
#define CSS_BODY    "p{}"
#define SECRET_BODY "outside"

struct fixture {
	char               dir[64];  /* holds web/ and, beside it, secret.txt */
	char               web[128];
	struct static_site site;
};

static bool write_file(const char *dir, const char *name, const char *body)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return false;
	size_t n = strlen(body);
	bool ok = write(fd, body, n) == (ssize_t)n;
	return close(fd) == 0 && ok;
}

static bool make_dir(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return mkdir(path, 0755) == 0;
}

static bool make_link(const char *target, const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return symlink(target, path) == 0;
}

static bool fixture_open(struct fixture *f)
{
	f->site.root_fd = -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/kez-static-XXXXXX");
	if (!mkdtemp(f->dir)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		f->dir[0] = '\0';
		return false;
	}
	snprintf(f->web, sizeof f->web, "%s/web", f->dir);
	char abs_secret[256], abs_notes[256], fifo[256];
	snprintf(abs_secret, sizeof abs_secret, "%s/secret.txt", f->dir);
	snprintf(abs_notes, sizeof abs_notes, "%s/notes.txt", f->web);
	snprintf(fifo, sizeof fifo, "%s/pipe", f->web);
	bool ok = make_dir(f->dir, "web") && write_file(f->dir, "secret.txt", SECRET_BODY) &&
		  write_file(f->web, "index.html", INDEX_BODY) && write_file(f->web, "app.js", APP_BODY) &&
		  write_file(f->web, "notes.txt", NOTES_BODY) && write_file(f->web, "space name.txt", "spaced") &&
		  write_file(f->web, "plus+sign.txt", "plus") && make_dir(f->web, "docs") &&
		  write_file(f->web, "docs/index.html", DOCS_BODY) && make_dir(f->web, "assets") &&
		  make_dir(f->web, "assets/deep") && write_file(f->web, "assets/deep/file.css", CSS_BODY) &&
		  write_file(f->web, ".env", "SECRET=1") && make_dir(f->web, ".git") &&
		  write_file(f->web, ".git/config", "[core]") && make_dir(f->web, "emptydir") &&
		  make_dir(f->web, "v1.2") && mkfifo(fifo, 0644) == 0 &&
		  make_link("../secret.txt", f->web, "escape.txt") && make_link(abs_secret, f->web, "abs_escape.txt") &&
		  make_link("/etc", f->web, "etcdir") && make_link("notes.txt", f->web, "inside_rel.txt") &&
		  make_link(abs_notes, f->web, "inside_abs.txt") && make_link("docs", f->web, "linkdir") &&
		  make_link("../notes.txt", f->web, "assets/up.txt") && make_link("loop", f->web, "loop") &&
		  make_link("nowhere", f->web, "dangling") && make_link("/proc/self/root", f->web, "magic");
	char err[256] = "";
	if (ok && static_site_open(&f->site, f->web, err, sizeof err) < 0) {
		unit_fail(__FILE__, __LINE__, "static_site_open: %s", err);
		ok = false;
	}
	if (!ok)
		unit_fail(__FILE__, __LINE__, "cannot build the test web dir under %s: %s", f->dir, strerror(errno));
	return ok;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

static void fixture_close(struct fixture *f)
{
	static_site_close(&f->site);
	CHECK_EQ_INT(f->site.root_fd, -1);
	if (f->dir[0] && nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		unit_fail(__FILE__, __LINE__, "cannot remove %s", f->dir);
}

static int open_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* What a lookup should give: the body of the file served (NULL: 404), and
 * for a file whether it is no-cache. */
struct expectation {
	const char *path;
	const char *body;
	bool        no_cache;
};

/* Checks one lookup; false with the reason in `why`. */
static bool lookup_is(const struct static_site *s, const char *path, size_t len, const struct expectation *e,
		      char *why, size_t whylen)
{
	struct static_file f;
	enum api_error rc = static_lookup(s, path, len, &f);
	if (!e->body) {
		if (rc == API_NOT_FOUND)
			return true;
		if (rc == API_OK)
			close(f.fd);
		snprintf(why, whylen, "%s: expected 404, got %d", e->path, (int)rc);
		return false;
	}
	if (rc != API_OK) {
		snprintf(why, whylen, "%s: expected \"%s\", got %d", e->path, e->body, (int)rc);
		return false;
	}
	char got[256];
	ssize_t n = pread(f.fd, got, sizeof got - 1, 0);
	close(f.fd);
	got[n > 0 ? n : 0] = '\0';
	if (n < 0 || strcmp(got, e->body) != 0 || f.size != n) {
		snprintf(why, whylen, "%s: expected \"%s\", got \"%s\" (size %lld)", e->path, e->body, got,
			 (long long)f.size);
		return false;
	}
	if (f.no_cache != e->no_cache) {
		snprintf(why, whylen, "%s: no_cache is %d", e->path, f.no_cache);
		return false;
	}
	return true;
}

/* Runs a table; each miss is reported through `report` and counted. */
static unsigned run_table(const struct static_site *s, const struct expectation *t, size_t n,
			  void (*report)(const char *why))
{
	unsigned misses = 0;
	for (size_t i = 0; i < n; i++) {
		char why[512];
		if (!lookup_is(s, t[i].path, strlen(t[i].path), &t[i], why, sizeof why)) {
			report(why);
			misses++;
		}
	}
	return misses;
}

static void report_failure(const char *why)
{
	unit_fail(__FILE__, __LINE__, "%s", why);
}

#define RUN_TABLE(f, table) run_table(&(f)->site, table, sizeof table / sizeof table[0], report_failure)

static const struct expectation traversal_cases[] = {
	{ "/../etc/passwd", NULL, false },
	{ "/..", NULL, false },
	{ "/.", NULL, false },
	{ "/%2e%2e/x", NULL, false },
	{ "/%2e%2e/%2e%2e/etc/passwd", NULL, false },
	{ "/a/%2E%2E/%2e%2e/etc/passwd", NULL, false },
	{ "/docs/../index.html", NULL, false },     /* even when it would stay inside */
	{ "/docs/./index.html", NULL, false },
	{ "/docs/..", NULL, false },
	{ "/docs/...", NULL, false },
	{ "/..%2f..%2fetc%2fpasswd", NULL, false }, /* an encoded slash splits segments */
	{ "/docs%2f..%2f.env", NULL, false },
	{ "/%2e", NULL, false },
	{ "/.env", NULL, false },
	{ "/%2eenv", NULL, false },
	{ "/.git/config", NULL, false },
	{ "/.git", NULL, false },
	{ "/docs/../.env", NULL, false },
	{ "/x%00.js", NULL, false },                /* a decoded NUL */
	{ "/%00", NULL, false },
	{ "/bad%zz", NULL, false },                 /* bad escapes */
	{ "/bad%2", NULL, false },
	{ "/bad%", NULL, false },
	{ "/app.js%", NULL, false },
};

UNIT_TEST(static_traversal_and_dotfiles)
{
	struct fixture f = { 0 };
	if (fixture_open(&f)) {
		int fds = open_fd_count();
		RUN_TABLE(&f, traversal_cases);
		CHECK_EQ_INT(open_fd_count(), fds);
	}
	fixture_close(&f);
}

static const struct expectation file_cases[] = {
	{ "/", INDEX_BODY, true },
	{ "/index.html", INDEX_BODY, true },
	{ "/app.js", APP_BODY, false },
	{ "/notes.txt", NOTES_BODY, false },
	{ "/assets/deep/file.css", CSS_BODY, false },
	{ "/assets//deep///file.css", CSS_BODY, false }, /* empty segments are nothing */
	{ "//app.js", APP_BODY, false },
	{ "/assets%2fdeep%2Ffile.css", CSS_BODY, false }, /* decoded, then the same rules */
	{ "/%61pp.js", APP_BODY, false },
	{ "/space%20name.txt", "spaced", false },
	{ "/plus+sign.txt", "plus", false },             /* '+' is a plus in a path */
	{ "/plus%2Bsign.txt", "plus", false },
	{ "/app.js/", NULL, false },                     /* a file is no folder */
	{ "/index.html/", NULL, false },
	{ "/pipe", NULL, false },                        /* not a regular file, and no hang */
	{ "/loop", NULL, false },                        /* a symlink loop is refused, not the app */
};

UNIT_TEST(static_files_served)
{
	struct fixture f = { 0 };
	if (fixture_open(&f)) {
		int fds = open_fd_count();
		alarm(20); /* a FIFO opened for reading would block for ever */
		RUN_TABLE(&f, file_cases);
		alarm(0);
		CHECK_EQ_INT(open_fd_count(), fds);
	}
	fixture_close(&f);
}

static const struct expectation symlink_cases[] = {
	{ "/escape.txt", NULL, false },     /* relative, pointing out */
	{ "/abs_escape.txt", NULL, false }, /* absolute, pointing out */
	{ "/etcdir/passwd", NULL, false },  /* a folder outside */
	{ "/etcdir", NULL, false },         /* refused, not the app */
	{ "/etcdir/", NULL, false },
	{ "/magic", NULL, false },          /* a /proc magic link */
	{ "/magic/etc/passwd", NULL, false },
	{ "/inside_rel.txt", NOTES_BODY, false },
	{ "/inside_abs.txt", NOTES_BODY, false }, /* absolute, but inside */
	{ "/assets/up.txt", NOTES_BODY, false },  /* "..", but it stays inside */
	{ "/linkdir/", DOCS_BODY, true },
	{ "/linkdir/index.html", DOCS_BODY, true },
};

UNIT_TEST(static_symlinks)
{
	struct fixture f = { 0 };
	if (fixture_open(&f)) {
		int fds = open_fd_count();
		RUN_TABLE(&f, symlink_cases);
		CHECK_EQ_INT(open_fd_count(), fds);
	}
	fixture_close(&f);
}

static const struct expectation spa_cases[] = {
	{ "/chat", INDEX_BODY, true },
	{ "/chat/", INDEX_BODY, true },
	{ "/chat/room/42", INDEX_BODY, true },
	{ "/settings/profile", INDEX_BODY, true },
	{ "/app.js/more", INDEX_BODY, true },  /* under a file: missing, no extension */
	{ "/dangling", INDEX_BODY, true },     /* a symlink to nothing is nothing */
	{ "/emptydir", INDEX_BODY, true },     /* a folder without index.html is missing */
	{ "/emptydir/", INDEX_BODY, true },
	{ "/docs", DOCS_BODY, true },          /* a folder's own index.html */
	{ "/docs/", DOCS_BODY, true },
	{ "/docs//", DOCS_BODY, true },
	{ "/docs/index.html", DOCS_BODY, true },
	{ "/missing.js", NULL, false },        /* a missing asset is 404 */
	{ "/assets/nothing.css", NULL, false },
	{ "/x.png", NULL, false },
	{ "/chat/room.v2", NULL, false },
	{ "/v1.2", NULL, false },              /* a folder without index, with a dot */
	{ "/v1.2/", NULL, false },
	{ "/emptydir/x.js", NULL, false },
};

UNIT_TEST(static_spa_fallback_and_directories)
{
	struct fixture f = { 0 };
	if (fixture_open(&f)) {
		int fds = open_fd_count();
		RUN_TABLE(&f, spa_cases);
		CHECK_EQ_INT(open_fd_count(), fds);
	}
	fixture_close(&f);
}

UNIT_TEST(static_spa_fallback_needs_index)
{
	struct fixture f = { 0 };
	if (fixture_open(&f)) {
		char index[256];
		snprintf(index, sizeof index, "%s/index.html", f.web);
		REQUIRE(unlink(index) == 0);
		static const struct expectation cases[] = {
			{ "/", NULL, false }, { "/chat", NULL, false }, { "/app.js", APP_BODY, false },
		};
		RUN_TABLE(&f, cases);
	}
	fixture_close(&f);
}

UNIT_TEST(static_odd_requests)
{
	struct fixture f = { 0 };
	if (fixture_open(&f)) {
		struct static_file out;
		CHECK_EQ_INT(static_lookup(&f.site, "", 0, &out), API_NOT_FOUND);
		CHECK_EQ_INT(static_lookup(&f.site, "app.js", 6, &out), API_NOT_FOUND); /* not from the root */
		CHECK_EQ_INT(static_lookup(&f.site, "*", 1, &out), API_NOT_FOUND);
		CHECK_EQ_INT(static_lookup(&f.site, "/app.js\0x", 9, &out), API_NOT_FOUND); /* a raw NUL */

		/* only `len` bytes count */
		struct expectation app = { "/app.js", APP_BODY, false };
		char why[512];
		if (!lookup_is(&f.site, "/app.jsXYZ", 7, &app, why, sizeof why))
			unit_fail(__FILE__, __LINE__, "%s", why);

		/* 4096 bytes are looked at (here: missing, no extension, so the
		 * app); one more is refused outright */
		static char path[4098];
		for (size_t i = 0; i < 4096; i += 2)
			memcpy(path + i, "/a", 2);
		struct expectation app_route = { "/a/a/.../a (4096)", INDEX_BODY, true };
		if (!lookup_is(&f.site, path, 4096, &app_route, why, sizeof why))
			unit_fail(__FILE__, __LINE__, "%s", why);
		memcpy(path + 4096, "/a", 2);
		CHECK_EQ_INT(static_lookup(&f.site, path, 4097, &out), API_NOT_FOUND);

		/* a name longer than the file system allows is refused */
		path[0] = '/';
		memset(path + 1, 'n', 300);
		CHECK_EQ_INT(static_lookup(&f.site, path, 301, &out), API_NOT_FOUND);
	}
	fixture_close(&f);
}

UNIT_TEST(static_mime_and_etag)
{
	struct fixture f = { 0 };
	if (!fixture_open(&f)) {
		fixture_close(&f);
		return;
	}
	struct static_file a, b;
	REQUIRE(static_lookup(&f.site, "/app.js", 7, &a) == API_OK);
	close(a.fd);
	CHECK_EQ_STR(a.mime, "text/javascript; charset=utf-8");
	CHECK(!a.no_cache);
	size_t n = strlen(a.etag);
	CHECK(n > 2 && a.etag[0] == '"' && a.etag[n - 1] == '"');
	CHECK(strchr(a.etag + 1, '"') == a.etag + n - 1); /* one quoted tag, nothing else */

	/* stable while the file is */
	REQUIRE(static_lookup(&f.site, "/%61pp.js", 9, &b) == API_OK);
	close(b.fd);
	CHECK_EQ_STR(b.etag, a.etag);

	/* the type follows the name asked for; index.html and the app are HTML */
	REQUIRE(static_lookup(&f.site, "/inside_abs.txt", 15, &b) == API_OK);
	close(b.fd);
	CHECK_EQ_STR(b.mime, "text/plain; charset=utf-8");
	struct static_file root, route, docs;
	REQUIRE(static_lookup(&f.site, "/", 1, &root) == API_OK);
	close(root.fd);
	REQUIRE(static_lookup(&f.site, "/chat/room", 10, &route) == API_OK);
	close(route.fd);
	REQUIRE(static_lookup(&f.site, "/docs", 5, &docs) == API_OK);
	close(docs.fd);
	CHECK_EQ_STR(root.mime, "text/html; charset=utf-8");
	CHECK_EQ_STR(route.mime, "text/html; charset=utf-8");
	CHECK_EQ_STR(docs.mime, "text/html; charset=utf-8");
	CHECK_EQ_STR(route.etag, root.etag); /* the same file, the same validator */
	CHECK(strcmp(docs.etag, root.etag) != 0);
	CHECK_EQ_INT(root.size, strlen(INDEX_BODY));

	/* a new size changes it */
	REQUIRE(write_file(f.web, "app.js", APP_BODY "//"));
	REQUIRE(static_lookup(&f.site, "/app.js", 7, &b) == API_OK);
	close(b.fd);
	CHECK(strcmp(b.etag, a.etag) != 0);
	CHECK_EQ_INT(b.size, strlen(APP_BODY "//"));

	/* same size, same modification time, another file (replaced by a
	 * rename): the inode changes it */
	char path[256], tmp[256];
	snprintf(path, sizeof path, "%s/app.js", f.web);
	snprintf(tmp, sizeof tmp, "%s/app.js.new", f.web);
	struct stat st;
	REQUIRE(stat(path, &st) == 0);
	REQUIRE(write_file(f.web, "app.js.new", APP_BODY "/*"));
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	REQUIRE(utimensat(AT_FDCWD, tmp, times, 0) == 0);
	REQUIRE(rename(tmp, path) == 0);
	struct static_file c;
	REQUIRE(static_lookup(&f.site, "/app.js", 7, &c) == API_OK);
	close(c.fd);
	CHECK(strcmp(c.etag, b.etag) != 0);
	CHECK_EQ_INT(c.size, b.size);

	/* a new modification time alone changes it */
	struct timespec later[2] = { st.st_atim, { st.st_mtim.tv_sec, (st.st_mtim.tv_nsec + 1) % 1000000000L } };
	REQUIRE(utimensat(AT_FDCWD, path, later, 0) == 0);
	struct static_file d;
	REQUIRE(static_lookup(&f.site, "/app.js", 7, &d) == API_OK);
	close(d.fd);
	CHECK(strcmp(d.etag, c.etag) != 0);
	fixture_close(&f);
}

UNIT_TEST(static_site_open_errors)
{
	struct static_site s;
	char err[256] = "";
	CHECK_EQ_INT(static_site_open(&s, "/nonexistent/kez-web", err, sizeof err), -1);
	CHECK_EQ_INT(s.root_fd, -1);
	CHECK(strstr(err, "/nonexistent/kez-web") != NULL);
	err[0] = '\0';
	CHECK_EQ_INT(static_site_open(&s, "/etc/hostname", err, sizeof err), -1); /* not a folder */
	CHECK_EQ_INT(s.root_fd, -1);
	CHECK(err[0] != '\0');
	static_site_close(&s); /* harmless after a failed open */

	/* a relative or roundabout name is kept canonical */
	struct fixture f = { 0 };
	if (fixture_open(&f)) {
		char roundabout[256];
		snprintf(roundabout, sizeof roundabout, "%s/web/../web/", f.dir);
		struct static_site s2;
		REQUIRE(static_site_open(&s2, roundabout, err, sizeof err) == 0);
		char real[4096];
		REQUIRE(realpath(f.web, real) != NULL);
		CHECK_EQ_STR(s2.root, real);
		static_site_close(&s2);
	}
	fixture_close(&f);
}

/* --- the fallback for kernels (or seccomp filters) without openat2 --- */

static void report_to_stderr(const char *why)
{
	fprintf(stderr, "    (without openat2) %s\n", why);
}

/* In a child whose openat2 fails with ENOSYS, as under the worker's own
 * seccomp filter: every table must give the same answers. */
UNIT_TEST(static_without_openat2)
{
	struct fixture f = { 0 };
	if (!fixture_open(&f)) {
		fixture_close(&f);
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) < 0 ||
		    seccomp_load(ctx) < 0)
			_exit(100);
		struct open_how how = { .flags = O_RDONLY };
		if (syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how) >= 0 || errno != ENOSYS)
			_exit(101);
		alarm(20);
		unsigned misses = 0;
		for (int round = 0; round < 2; round++) { /* the second with the ENOSYS remembered */
			misses += run_table(&f.site, traversal_cases, sizeof traversal_cases / sizeof traversal_cases[0],
					    report_to_stderr);
			misses += run_table(&f.site, file_cases, sizeof file_cases / sizeof file_cases[0],
					    report_to_stderr);
			misses += run_table(&f.site, symlink_cases, sizeof symlink_cases / sizeof symlink_cases[0],
					    report_to_stderr);
			misses += run_table(&f.site, spa_cases, sizeof spa_cases / sizeof spa_cases[0], report_to_stderr);
		}
		_exit(misses > 99 ? 99 : (int)misses);
	}
	REQUIRE(pid > 0);
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (!CHECK(WIFEXITED(status)))
		unit_fail(__FILE__, __LINE__, "the child died of signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) >= 100)
		unit_fail(__FILE__, __LINE__, "could not install the seccomp filter (%d)", WEXITSTATUS(status));
	else
		CHECK_EQ_INT(WEXITSTATUS(status), 0); /* lookups that went wrong, listed on stderr */
	fixture_close(&f);
}

/* --- If-None-Match --- */

#define TAG "\"5f3-1a2b3c-42\""

static bool inm(const char *header, const char *etag)
{
	return static_etag_matches(header, strlen(header), etag);
}

UNIT_TEST(static_etag_matching)
{
	CHECK(inm(TAG, TAG));
	CHECK(inm("*", TAG));
	CHECK(inm(" * ", TAG));
	CHECK(inm("W/" TAG, TAG)); /* weak comparison */
	CHECK(inm("\"other\", " TAG, TAG));
	CHECK(inm("\"other\",W/" TAG, TAG));
	CHECK(inm("\"a\" ,\t\"b\",  " TAG " , \"c\"", TAG));
	CHECK(inm(",," TAG ",,", TAG));
	CHECK(inm("\"a,b\", " TAG, TAG));       /* a comma inside a tag */
	CHECK(inm("\"x,y\"", "\"x,y\""));
	CHECK(inm(TAG, "W/" TAG));              /* a weak tag of ours, too */

	CHECK(!inm("", TAG));
	CHECK(!inm("\"other\"", TAG));
	CHECK(!inm("\"5f3-1a2b3c-4\"", TAG));   /* a prefix */
	CHECK(!inm("\"5f3-1a2b3c-421\"", TAG)); /* longer */
	CHECK(!inm("5f3-1a2b3c-42", TAG));      /* unquoted */
	CHECK(!inm("\"5f3-1a2b3c-42", TAG));    /* unterminated */
	CHECK(!inm("w/" TAG "x", TAG) && !inm("W/ " TAG "x", TAG));
	CHECK(!inm("\"x\"", "\"x,y\""));
	CHECK(!inm("\"a,b\"", "\"b\""));

	/* only `len` bytes count */
	CHECK(!static_etag_matches(TAG, strlen(TAG) - 1, TAG));
	CHECK(static_etag_matches(TAG ", junk", strlen(TAG), TAG));
	CHECK(!static_etag_matches("*", 0, TAG));
}
