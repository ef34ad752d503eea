"""The whole chat flow in a real browser: Debian's Chromium, headless, driven
by playwright-core (tests/browser/drive.mjs), loads the test web app
(tests/browser/) from the chat-server's --web-dir. Two users register across
origins, one appends to its sigchain on a separate sig-server, and both talk
over nats-server 2.10's WebSocket through the auth callout. The npm packages
are installed into build/browser-npm (kept between runs) and vendored into
the served folder. The screenshot is build/test-artifacts/browser-chat.png."""
import json
import os
import re
import shutil
import signal
import subprocess

import pytest

import kez_client as kc
from conftest import ROOT, SLOW, Server, free_port, make_temp_dir, wait_for
from test_nats import NATS_SERVER, make_keys, write_conf

APP = os.path.join(ROOT, "tests", "browser")
NPM_DIR = os.path.join(ROOT, "build", "browser-npm")
ARTIFACTS = os.path.join(ROOT, "build", "test-artifacts")
CHROMIUM = "/usr/bin/chromium"
# what the page imports, from the packages tests/browser/package.json pins
VENDOR = {
    "nats.js": "nats.ws/esm/nats.js",
    "nkeys.mjs": "nkeys.js/nkeys.mjs",
    "canonicalize.js": "canonicalize/lib/canonicalize.js",
    "nacl-fast.js": "tweetnacl/nacl-fast.js",
}
APP_FILES = ("index.html", "app.mjs", "app.css")


def npm_install():
    """node_modules in build/browser-npm for the pinned package.json and its
    lockfile (`npm ci`: every package's sha512 checked); reused while both
    are unchanged. The lockfile names no registry (regenerate it with
    `npm install --package-lock-only --omit-lockfile-registry-resolved`)."""
    for tool in ("node", "npm"):
        assert shutil.which(tool), "%s is not installed (make deps installs nodejs and npm)" % tool
    want = {name: open(os.path.join(APP, name)).read() for name in ("package.json", "package-lock.json")}
    stamp = os.path.join(NPM_DIR, "installed-package.json")
    stamp_text = want["package.json"] + want["package-lock.json"]
    if os.path.exists(stamp) and open(stamp).read() == stamp_text and \
            all(os.path.exists(os.path.join(NPM_DIR, "node_modules", p)) for p in VENDOR.values()):
        return
    os.makedirs(NPM_DIR, exist_ok=True)
    for name, text in want.items():
        with open(os.path.join(NPM_DIR, name), "w") as f:
            f.write(text)
    try:
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error",
                            "--cache", os.path.join(NPM_DIR, ".npm-cache")],
                           cwd=NPM_DIR, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail("npm ci of tests/browser/package.json did not finish in 300 s")
    if r.returncode != 0:
        pytest.fail("npm ci of tests/browser/package.json failed (exit %d):\n%s%s"
                    % (r.returncode, r.stdout, r.stderr))
    with open(stamp, "w") as f:
        f.write(stamp_text)


def vendored_site(directory):
    """The web folder the chat-server serves: the app and its libraries."""
    web = os.path.join(directory, "web")
    os.makedirs(os.path.join(web, "vendor"))
    for name in APP_FILES:
        shutil.copy(os.path.join(APP, name), web)
    for name, source in VENDOR.items():
        shutil.copy(os.path.join(NPM_DIR, "node_modules", source), os.path.join(web, "vendor", name))
    for root, dirs, files in os.walk(directory):
        os.chmod(root, 0o755)  # the workers run as nobody
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return web


class BrowserStack:
    """nats-server (deploy/nats.conf, WebSocket on), a sig-server
    (--serve sigchain) and a chat-server (--serve registry, the callout,
    --web-dir), as the compose stack runs them."""

    def __init__(self):
        self.dir = make_temp_dir()
        values = make_keys(self.dir)
        self.nats_port, self.ws_port = free_port(), free_port()
        deploy_conf = open(os.path.join(ROOT, "deploy", "nats.conf")).read()
        assert "no_tls: true" in deploy_conf and "websocket {" in deploy_conf
        path = write_conf(self.dir, self.nats_port, self.ws_port, loopback=True)
        self.nats_log_path = os.path.join(self.dir, "nats.log")
        self.nats_log = open(self.nats_log_path, "wb")
        self.nats = subprocess.Popen([NATS_SERVER, "-c", path], env=dict(os.environ, **values),
                                     stdout=self.nats_log, stderr=subprocess.STDOUT)
        assert wait_for(lambda: "Listening for websocket clients" in self.nats_log_text()
                        and "Server is ready" in self.nats_log_text(), 10), self.nats_log_text()
        self.sig = Server(make_temp_dir(), ["--serve", "sigchain"]).start()
        web = vendored_site(self.dir)
        self.chat = Server(self.dir, [
            "--serve", "registry", "--web-dir", web,
            "--sig-server-url", "http://127.0.0.1:%d" % self.sig.port,
            "--nats-url", "nats://127.0.0.1:%d" % self.nats_port,
            "--nats-seed", os.path.join(self.dir, "service.nk"),
            "--nats-issuer-seed", os.path.join(self.dir, "issuer.nk")]).start()
        assert wait_for(lambda: "serving the NATS auth callout" in self.chat.log(), 10 * SLOW), self.chat.log()

    def nats_log_text(self):
        with open(self.nats_log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        self.chat.stop()
        self.sig.stop()
        self.nats.send_signal(signal.SIGTERM)
        self.nats.wait(10)
        self.nats_log.close()


@pytest.fixture(scope="module")
def stack():
    assert os.path.exists(NATS_SERVER), "run tools/fetch-nats-server.sh (make test does)"
    assert os.path.exists(CHROMIUM), "Debian's chromium is not installed (make deps installs it)"
    npm_install()
    s = BrowserStack()
    yield s
    s.stop()


def test_the_app_is_served(stack):
    port = stack.chat.port
    index = open(os.path.join(APP, "index.html"), "rb").read()
    r = kc.get(port, "/")
    assert r.status == 200 and r.body == index and r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"].startswith('"')
    assert kc.get(port, "/", headers={"If-None-Match": r.headers["etag"]}).status == 304
    deep = kc.get(port, "/chat/room/1")
    assert deep.status == 200 and deep.body == index, deep
    for path in ("/app.mjs", "/vendor/nats.js", "/vendor/nkeys.mjs", "/vendor/canonicalize.js", "/vendor/nacl-fast.js"):
        r = kc.get(port, path)
        assert r.status == 200 and r.headers["content-type"].startswith("text/javascript"), (path, r)
        assert r.headers["etag"].startswith('"'), (path, r)
    assert kc.get(port, "/vendor/missing.js").status == 404
    # the preflights the page's cross-origin POSTs need
    for p, path in ((port, "/v1/register"), (stack.sig.port, "/v1/sigchains/ed25519/" + "ab" * 32)):
        r = kc.request(p, "OPTIONS", path, headers={"Origin": "http://localhost:%d" % port,
                                                     "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "content-type"})
        assert r.status == 204 and "POST" in r.headers["access-control-allow-methods"], (path, r)
        assert r.headers["access-control-allow-origin"] == "*", (path, r)


def drive(stack):
    """Runs tests/browser/drive.mjs; returns what it printed, parsed."""
    shutil.copy(os.path.join(APP, "drive.mjs"), NPM_DIR)  # beside its node_modules
    os.makedirs(ARTIFACTS, exist_ok=True)
    origin = "http://localhost:%d" % stack.chat.port  # the page's origin; the APIs are on 127.0.0.1
    query = "server=kez.test&api=http://127.0.0.1:%d&nats=ws://127.0.0.1:%d" % (stack.chat.port, stack.ws_port)
    cfg = {
        "chromium": CHROMIUM, "userDataDir": os.path.join(make_temp_dir(), "profile"),
        "urlA": origin + "/?handle=browsera&" + query,
        "urlB": origin + "/chat/room/1?handle=browserb&" + query,  # a deep link: the SPA fallback
        "subject": "github:browsera", "hello": "hello from a", "ping": "are you there",
        "screenshot": os.path.join(ARTIFACTS, "browser-chat.png"),
    }
    path = os.path.join(stack.dir, "drive.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    if os.path.exists(cfg["screenshot"]):
        os.unlink(cfg["screenshot"])
    r = subprocess.run(["node", os.path.join(NPM_DIR, "drive.mjs"), path], capture_output=True, text=True,
                       timeout=60 * SLOW, env=dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1"))
    assert r.returncode == 0 and r.stdout.strip(), "drive.mjs exit %d:\n%s\n%s" % (r.returncode, r.stdout, r.stderr)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert os.path.getsize(cfg["screenshot"]) > 10000, "no screenshot"
    return cfg, out


def test_chat_flow_in_chromium(stack):
    cfg, out = drive(stack)
    report = json.dumps(out, indent=1)
    assert not out["errors"], report
    a, b = out["pages"]["a"], out["pages"]["b"]
    for name in ("key", "register", "append", "read", "connect", "hello", "ping", "close"):
        assert a.get(name, {}).get("ok") is True, (name, report)
    for name in ("key", "register", "connect", "listen", "received", "answered", "snoop", "close"):
        assert b.get(name, {}).get("ok") is True, (name, report)
    a_hex, b_hex = a["key"]["hex"], b["key"]["hex"]
    assert re.fullmatch(r"[0-9a-f]{64}", a_hex) and a_hex != b_hex

    # registrations crossed origins (a CORS response) and were stored
    for page, handle, key in ((a, "browsera", a_hex), (b, "browserb", b_hex)):
        assert page["register"]["status"] == 201 and page["register"]["type"] == "cors", report
        rec = kc.get(stack.chat.port, "/v1/u/" + handle).json()
        assert rec["primary"] == "ed25519:" + key
        assert rec["sigchain_url"] == "http://127.0.0.1:%d/v1/sigchains/ed25519/%s" % (stack.sig.port, key)

    # A's chain on the sig-server: one add, its head as the page computed it
    assert a["append"]["status"] == 201 and a["append"]["type"] == "cors"
    assert a["append"]["answer"]["seq"] == 1 and a["append"]["answer"]["length"] == 1
    assert a["read"]["length"] == 1 and a["read"]["same_event"] is True
    assert a["read"]["head"] == a["read"]["expected_head"] == a["append"]["answer"]["head"]
    chain = kc.get(stack.sig.port, "/v1/sigchains/ed25519/" + a_hex).json()
    assert chain["length"] == 1 and chain["head"] == a["read"]["head"]
    assert chain["events"][0]["payload"]["body"] == {"subject": cfg["subject"]}

    # NATS over WebSocket, each key let in by the callout
    for page in (a, b):
        assert page["connect"]["server"] == "127.0.0.1:%d" % stack.ws_port, report
    log = stack.chat.log()
    assert "NATS access granted to browsera" in log and "NATS access granted to browserb" in log, log
    assert b["received"] == {"ok": True, "subject": "kez.inbox.%s.hello" % b_hex, "data": cfg["hello"]}
    assert b["answered"]["subject"] == "kez.inbox.%s.ping" % b_hex
    assert b["answered"]["reply"].startswith("_INBOX.%s." % a_hex), b["answered"]
    assert a["ping"]["answer"] == "pong:" + cfg["ping"]
    assert b["snoop"]["subject"] == "kez.inbox.%s.>" % a_hex and "ermission" in b["snoop"]["error"]

    # what the browser fetched: the app and its modules with their types
    served = {r["url"]: r for r in out["responses"] if r["page"] == "b"}
    base = "http://localhost:%d" % stack.chat.port
    assert served[cfg["urlB"]]["status"] == 200 and served[cfg["urlB"]]["type"].startswith("text/html")
    for path in ("/app.mjs", "/vendor/nats.js", "/vendor/nkeys.mjs", "/vendor/canonicalize.js"):
        assert served[base + path]["type"].startswith("text/javascript") and served[base + path]["etag"], path
