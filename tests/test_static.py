"""The placeholder page, and --web-dir static serving."""
import os
import time

import pytest

import kez_client as kc
from conftest import Server, make_temp_dir


def test_placeholder_page(port):
    for path in ("/", "/index.html"):
        r = kc.get(port, path)
        assert r.status == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        text = r.body.decode()
        assert "kez-chat-server" in text and "kez.test" in text and "0.1.0" in text
    r = kc.get(port, "/other")
    assert r.status == 404 and kc.error_of(r) == "not_found"


FILES = {
    "index.html": b"<!doctype html><title>app</title>",
    "app.js": b"console.log(1)", "mod.mjs": b"export {}", "style.css": b"body{}", "data.json": b"{}",
    "logo.svg": b"<svg/>", "a.png": b"\x89PNG", "b.jpg": b"\xff\xd8", "c.webp": b"RIFF", "favicon.ico": b"\0\0",
    "font.woff2": b"wOF2", "mod.wasm": b"\0asm", "notes.txt": b"hi", "app.js.map": b"{}",
    "docs/index.html": b"<p>docs</p>", "assets/deep/file.css": b"p{}",
    ".env": b"SECRET=1", ".git/config": b"[core]",
}
TYPES = {
    "/app.js": "text/javascript", "/mod.mjs": "text/javascript", "/style.css": "text/css",
    "/data.json": "application/json", "/logo.svg": "image/svg+xml", "/a.png": "image/png",
    "/b.jpg": "image/jpeg", "/c.webp": "image/webp", "/favicon.ico": "image/", "/font.woff2": "font/woff2",
    "/mod.wasm": "application/wasm", "/notes.txt": "text/plain", "/app.js.map": "application/json",
    "/index.html": "text/html",
}


@pytest.fixture(scope="module")
def site():
    d = make_temp_dir()
    web = os.path.join(d, "web")
    for name, data in FILES.items():
        p = os.path.join(web, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    secret = os.path.join(d, "secret.txt")
    with open(secret, "w") as f:
        f.write("outside")
    os.symlink(secret, os.path.join(web, "escape.txt"))
    os.symlink(os.path.join(web, "notes.txt"), os.path.join(web, "inside.txt"))
    os.symlink("/etc", os.path.join(web, "etcdir"))
    for root, dirs, files in os.walk(d):
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    s = Server(d, ["--web-dir", web]).start()
    yield s
    s.stop()


def test_root_is_index(site):
    r = kc.get(site.port, "/")
    assert r.status == 200 and r.body == FILES["index.html"]
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path,ctype", sorted(TYPES.items()))
def test_mime_types(site, path, ctype):
    r = kc.get(site.port, path)
    assert r.status == 200 and r.body == FILES[path[1:]]
    assert r.headers["content-type"].startswith(ctype)
    assert r.headers["content-length"] == str(len(r.body))


def test_directory_index_and_nested(site):
    assert kc.get(site.port, "/docs/").body == FILES["docs/index.html"]
    assert kc.get(site.port, "/docs").body == FILES["docs/index.html"]
    assert kc.get(site.port, "/assets/deep/file.css").body == FILES["assets/deep/file.css"]
    assert kc.get(site.port, "/assets//deep/./file.css").status == 404


def test_etag_and_304(site):
    r = kc.get(site.port, "/app.js")
    etag = r.headers["etag"]
    assert etag.startswith('"')
    for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
        again = kc.get(site.port, "/app.js", headers={"If-None-Match": inm})
        assert again.status == 304 and again.body == b""
        assert again.headers["etag"] == etag
    assert kc.get(site.port, "/app.js", headers={"If-None-Match": '"other"'}).status == 200


def test_spa_fallback(site):
    for path in ("/chat", "/chat/room/42", "/settings/profile"):
        r = kc.get(site.port, path)
        assert r.status == 200 and r.body == FILES["index.html"], path
        assert r.headers["cache-control"] == "no-cache"


def test_missing_file_with_extension_is_404(site):
    for path in ("/missing.js", "/assets/nothing.css", "/x.png"):
        r = kc.get(site.port, path)
        assert r.status == 404 and kc.error_of(r) == "not_found"


@pytest.mark.parametrize("path", [
    "/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/a/%2E%2E/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
    "/.env", "/.git/config", "/%2eenv", "/escape.txt", "/etcdir/passwd", "/docs/../.env", "/x%00.js",
])
def test_traversal_and_dotfiles_are_404(site, path):
    r, = kc.raw_http(site.port, b"GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path.encode(),
                     must_close=False)
    assert r.status == 404, (path, r.body)
    assert b"SECRET" not in r.body and b"outside" not in r.body and b"root:" not in r.body


def test_symlink_inside_is_served(site):
    r = kc.get(site.port, "/inside.txt")
    assert r.status == 200 and r.body == FILES["notes.txt"]


def test_api_paths_never_fall_back(site):
    for path in ("/v1/nope", "/.well-known/nope", "/internal/nope", "/v1"):
        r = kc.get(site.port, path)
        assert r.status == 404 and kc.error_of(r) == "not_found", path


def test_304_for_index_and_head(site):
    r = kc.get(site.port, "/")
    etag = r.headers["etag"]
    again = kc.get(site.port, "/index.html", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b"" and again.headers["etag"] == etag
    head = kc.request(site.port, "HEAD", "/app.js", headers={"If-None-Match": kc.get(site.port, "/app.js").headers["etag"]})
    assert head.status == 304 and head.body == b""


def test_etag_changes_with_content(site):
    path = os.path.join(os.path.dirname(site.db), "web", "changing.txt")
    with open(path, "w") as f:
        f.write("one")
    os.chmod(path, 0o644)
    first = kc.get(site.port, "/changing.txt")
    assert first.status == 200 and first.body == b"one"
    time.sleep(1.1)  # a new modification second as well as a new size
    with open(path, "w") as f:
        f.write("two!")
    second = kc.get(site.port, "/changing.txt")
    assert second.status == 200 and second.body == b"two!"
    assert second.headers["etag"] != first.headers["etag"]
    assert kc.get(site.port, "/changing.txt", headers={"If-None-Match": first.headers["etag"]}).status == 200


@pytest.mark.parametrize("method,path", [("POST", "/app.js"), ("PUT", "/"), ("DELETE", "/chat/room")])
def test_wrong_method_on_static_is_405(site, method, path):
    r = kc.request(site.port, method, path)
    assert r.status == 405 and kc.error_of(r) == "method_not_allowed"
    assert r.headers["allow"] == "GET, HEAD"


def test_head_on_file(site):
    r = kc.request(site.port, "HEAD", "/app.js")
    assert r.status == 200 and r.body == b"" and r.headers["content-length"] == str(len(FILES["app.js"]))


def test_large_file(site, tmp_path):
    big = os.urandom(3 * 1024 * 1024 + 17)
    path = os.path.join(os.path.dirname(site.db), "web", "big.bin")
    with open(path, "wb") as f:
        f.write(big)
    os.chmod(path, 0o644)
    r = kc.get(site.port, "/big.bin")
    assert r.status == 200 and r.body == big
    assert r.headers["content-type"] == "application/octet-stream"
