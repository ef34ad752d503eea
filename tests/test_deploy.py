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
    """docker-compose config on a copy laid out as the repositories are: this
    one next to rust-sig-server (here an empty stand-in folder)."""
    top = make_temp_dir()
    os.makedirs(os.path.join(top, "rust-sig-server"))
    shutil.copytree(DEPLOY, os.path.join(top, "kez-chat-server", "deploy"))
    env = dict(os.environ, KEZ_NATS_ISSUER="A" * 56, KEZ_NATS_SERVICE="U" * 56)
    out = subprocess.run(["docker-compose", "-f", os.path.join(top, "kez-chat-server", "deploy", "docker-compose.yml"),
                          "config"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_compose_services_and_ports(compose):
    services = compose["services"]
    assert set(services) == {"chat-server", "nats", "sig-server"}
    def published(svc):
        return {int(p["published"]) if isinstance(p, dict) else int(str(p).split(":")[0])
                for p in services[svc]["ports"]}
    assert published("chat-server") == {6969}
    assert published("nats") == {4222, 8443, 8222}
    assert published("sig-server") == {7878}
    assert services["sig-server"]["build"]["dockerfile"].endswith("Dockerfile.sig-server")
    assert services["chat-server"]["environment"]["KEZ_CHAT_NATS_URL"] == "nats://nats:4222"


def test_compose_stack_natively(compose):
    """The compose file's nats and chat-server, as processes on loopback."""
    d = make_temp_dir()
    out = subprocess.run([KEZCTL, "nats-keys", "--out-dir", d], capture_output=True, text=True, check=True)
    keys = dict(re.findall(r"^(KEZ_NATS_\w+)=(\S+)$", out.stdout, re.M))
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    services = compose["services"]
    nats_port = free_port()
    conf = open(os.path.join(DEPLOY, "nats.conf")).read()
    conf = re.sub(r"^port: 4222", "port: %d" % nats_port, conf, flags=re.M)
    conf = re.sub(r"^http_port: 8222", "http_port: %d" % free_port(), conf, flags=re.M)
    conf = conf.replace("port: 8443", "port: %d" % free_port()).replace('"/data/jetstream"', '"%s/js"' % d)
    with open(os.path.join(d, "nats.conf"), "w") as f:
        f.write(conf)
    nats_env = {k: keys[k] for k in services["nats"]["environment"]}
    nats = subprocess.Popen([NATS_SERVER] + services["nats"]["command"][:1] + [os.path.join(d, "nats.conf")],
                            env=dict(os.environ, **nats_env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # the chat-server's environment, with compose's host names and mounts mapped to this machine
        env = {}
        for k, v in services["chat-server"]["environment"].items():
            v = str(v).replace("nats://nats:4222", "nats://127.0.0.1:%d" % nats_port).replace("/etc/kez-chat", d)
            env[k] = v
        s = Server(d, env=env)
        s.args = ["--bind", "127.0.0.1:0", "--db", os.path.join(d, "kez.db"), "--workers", "1"] + \
                 (["--user", "nobody"] if os.geteuid() == 0 else [])
        s.start()
        try:
            assert wait_for(lambda: "serving the NATS auth callout" in s.log(), 10 * SLOW), s.log()
            server = env["KEZ_CHAT_SERVER"]
            key = kc.new_key()
            body, _ = kc.make_envelope("composeuser", server=server, key=key)
            assert kc.register(s.port, body).status == 201
            seed = os.path.join(d, "user.seed")
            with open(seed, "w") as f:
                f.write(kc.user_seed_text(key) + "\n")
            r = subprocess.run([PROBE, "nats://127.0.0.1:%d" % nats_port, seed, "sub",
                                "kez.inbox.%s.x" % kc.key_text(key)[8:]], capture_output=True, text=True, timeout=30)
            assert "connected" in r.stdout and "async-error" not in r.stdout, r.stdout + s.log()
        finally:
            s.stop()
    finally:
        nats.send_signal(signal.SIGTERM)
        nats.wait(10)
