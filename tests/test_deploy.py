"""The three ways to deploy: the systemd unit's hardening score, the Docker
files, and the compose stack — checked with docker-compose config and run
natively (nats-server 2.10 + this server, the compose file's configuration
and environment), with a client authenticating through the callout."""
import os
import re
import shutil
import signal
import subprocess

import pytest
import yaml

import kez_client as kc
from conftest import ROOT, SLOW, Server, make_temp_dir, wait_for
from test_nats import KEZCTL, NATS_SERVER, PROBE, free_port

DEPLOY = os.path.join(ROOT, "deploy")


def test_systemd_unit_exposure_at_most_2():
    out = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                          os.path.join(DEPLOY, "kez-chat-server.service")], capture_output=True, text=True)
    m = re.search(r"Overall exposure level for kez-chat-server.service: ([\d.]+)", out.stdout)
    assert m, out.stdout + out.stderr
    assert float(m.group(1)) <= 2.0, out.stdout


def test_dockerfile_is_multistage_nonroot_with_healthcheck():
    text = open(os.path.join(DEPLOY, "Dockerfile")).read()
    assert len(re.findall(r"^FROM ", text, re.M)) == 2
    assert re.search(r"^FROM debian:bookworm-slim", text, re.M)
    assert re.search(r"^USER kez-chat", text, re.M)
    assert re.search(r"^VOLUME /var/lib/kez-chat", text, re.M)
    assert "HEALTHCHECK" in text and "/v1/healthz" in text


@pytest.fixture(scope="module")
def compose():
    """docker-compose config on a fresh copy of the repository's deploy
    folder, with no environment set: the stack needs no step before it."""
    top = make_temp_dir()
    shutil.copytree(DEPLOY, os.path.join(top, "deploy"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEZ_", "COMPOSE_"))}
    out = subprocess.run(["docker-compose", "-f", os.path.join(top, "deploy", "docker-compose.yml"), "config"],
                         capture_output=True, text=True, env=env, cwd=os.path.join(top, "deploy"))
    assert out.returncode == 0, out.stderr
    assert "WARNING" not in out.stderr, out.stderr
    return yaml.safe_load(out.stdout)


def test_compose_services_and_ports(compose):
    services = compose["services"]
    assert set(services) == {"keys", "chat-server", "nats", "sig-server"}
    def published(svc):
        return {int(p["published"]) if isinstance(p, dict) else int(str(p).split(":")[0])
                for p in services[svc].get("ports", [])}
    assert published("chat-server") == {6969}
    assert published("nats") == {4222, 8443, 8222}
    assert published("sig-server") == {7878}
    assert published("keys") == set()
    # one image, built from this repository, for every service but nats
    for svc in ("keys", "chat-server", "sig-server"):
        build = services[svc]["build"]
        assert build["dockerfile"] == "deploy/Dockerfile", build
        assert os.path.basename(build["context"].rstrip("/")) != "rust-sig-server"
    assert services["sig-server"]["environment"]["KEZ_CHAT_SERVE"] == "sigchain"
    assert services["chat-server"]["environment"]["KEZ_CHAT_SERVE"] == "registry"
    assert services["chat-server"]["environment"]["KEZ_CHAT_NATS_URL"] == "nats://nats:4222"
    assert services["chat-server"]["environment"]["KEZ_CHAT_SIG_SERVER_URL"].endswith(":7878")


def test_compose_secrets_stay_in_their_volume(compose):
    """The seeds' volume is mounted by the key maker and the chat server only;
    nats sees just the public include."""
    services = compose["services"]
    def mounts(svc):
        return {v["source"] if isinstance(v, dict) else v.split(":")[0]: v for v in services[svc].get("volumes", [])}
    holders = {svc for svc in services if "kez-secrets" in mounts(svc)}
    assert holders == {"keys", "chat-server"}, holders
    assert "nats-keys" in mounts("nats") and "nats-keys" in mounts("keys")
    assert services["chat-server"]["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    assert services["nats"]["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    assert "include \"keys/nats-keys.conf\"" in open(os.path.join(DEPLOY, "nats.conf")).read()


def first_start_keys(services, secrets, nats_dir):
    """The compose file's one-shot key step, run natively with its own
    arguments and its volumes mapped to folders here."""
    cmd = list(services["keys"]["entrypoint"])
    assert cmd[0] == "/usr/local/bin/kezctl"
    cmd = [KEZCTL] + [a.replace("/etc/kez-chat", secrets).replace("/var/lib/kez-chat-nats-keys", nats_dir)
                      for a in cmd[1:]]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r


def test_compose_key_step_reuses_keys_on_second_start(compose):
    secrets, public = make_temp_dir(), make_temp_dir()
    first_start_keys(compose["services"], secrets, public)
    seeds = {f: open(os.path.join(secrets, f)).read() for f in ("issuer.nk", "service.nk", "xkey.nk")}
    conf = open(os.path.join(public, "nats-keys.conf")).read()
    for f in seeds:
        assert os.stat(os.path.join(secrets, f)).st_mode & 0o077 == 0
        assert seeds[f].strip() not in conf
    first_start_keys(compose["services"], secrets, public)
    assert {f: open(os.path.join(secrets, f)).read() for f in seeds} == seeds
    assert open(os.path.join(public, "nats-keys.conf")).read() == conf


def test_compose_stack_natively(compose):
    """The compose file's keys, nats, chat-server and sig-server, as processes
    on loopback with the compose file's commands and environment; a record's
    sigchain_url leads to a chain appended on the sig-server."""
    import sigchain_client as sc
    d = make_temp_dir()
    services = compose["services"]
    secrets = os.path.join(d, "secrets")
    os.makedirs(os.path.join(d, "keys"))
    os.makedirs(secrets)
    first_start_keys(services, secrets, os.path.join(d, "keys"))
    for f in os.listdir(secrets):
        os.chmod(os.path.join(secrets, f), 0o644)  # the children run as nobody here
    nats_port = free_port()
    conf = open(os.path.join(DEPLOY, "nats.conf")).read()
    conf = re.sub(r"^port: 4222", "port: %d" % nats_port, conf, flags=re.M)
    conf = re.sub(r"^http_port: 8222", "http_port: %d" % free_port(), conf, flags=re.M)
    conf = conf.replace("port: 8443", "port: %d" % free_port()).replace('"/data/jetstream"', '"%s/js"' % d)
    with open(os.path.join(d, "nats.conf"), "w") as f:
        f.write(conf)
    nats = subprocess.Popen([NATS_SERVER] + services["nats"]["command"][:1] + [os.path.join(d, "nats.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = []
    try:
        sig_port = free_port()
        def env_of(svc):
            env = {}
            for k, v in services[svc]["environment"].items():
                v = str(v).replace("nats://nats:4222", "nats://127.0.0.1:%d" % nats_port)
                v = v.replace("/etc/kez-chat", secrets).replace("/var/lib/kez-chat", d)
                v = v.replace("0.0.0.0:7878", "127.0.0.1:%d" % sig_port)
                v = v.replace("http://localhost:7878", "http://127.0.0.1:%d" % sig_port)
                env[k] = v
            return env
        sig = Server(d, env=env_of("sig-server"))
        sig.log_path = os.path.join(d, "sig-server.log")
        sig.args = ["--workers", "1"] + (["--user", "nobody"] if os.geteuid() == 0 else [])
        sig.start()
        started.append(sig)
        assert sig.port == sig_port
        chat_env = env_of("chat-server")
        s = Server(d, env=chat_env)
        s.args = ["--bind", "127.0.0.1:0", "--db", os.path.join(d, "kez.db"), "--workers", "1"] + \
                 (["--user", "nobody"] if os.geteuid() == 0 else [])
        s.start()
        started.append(s)
        assert wait_for(lambda: "serving the NATS auth callout" in s.log(), 10 * SLOW), s.log()
        server = chat_env["KEZ_CHAT_SERVER"]
        key = kc.new_key()
        body, _ = kc.make_envelope("composeuser", server=server, key=key)
        assert kc.register(s.port, body).status == 201
        # the record points at the sig-server; a chain appended there is found through it
        url = kc.get(s.port, "/v1/u/composeuser").json()["sigchain_url"]
        prefix = "http://127.0.0.1:%d" % sig_port
        assert url.startswith(prefix + "/v1/sigchains/ed25519/"), url
        chain = sc.Chain(key)
        sc.append(sig_port, chain, chain.add("github:composeuser"))
        doc = kc.get(sig_port, url[len(prefix):]).json()
        assert doc["length"] == 1 and sc.verify_chain(chain.hex, doc["events"])[0] == {1: "github:composeuser"}
        # the sig-server serves no registry, the chat-server no chains
        assert kc.get(sig_port, "/v1/u/composeuser").status == 404
        assert kc.get(s.port, url[len(prefix):]).status == 404
        seed = os.path.join(d, "user.seed")
        with open(seed, "w") as f:
            f.write(kc.user_seed_text(key) + "\n")
        r = subprocess.run([PROBE, "nats://127.0.0.1:%d" % nats_port, seed, "sub",
                            "kez.inbox.%s.x" % kc.key_text(key)[8:]], capture_output=True, text=True, timeout=30)
        assert "connected" in r.stdout and "async-error" not in r.stdout, r.stdout + s.log()
    finally:
        for x in started:
            x.stop()
        nats.send_signal(signal.SIGTERM)
        nats.wait(10)
