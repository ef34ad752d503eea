"""The write and admission side of `make bench` (bench.py calls it): every
verification the verifier does, measured with --verifier-threads 1 and with
its default (one thread per usable CPU) side by side in one run --
registrations, sigchain appends, GET of a 100-event chain against nginx
serving the same bytes, growth to many chains, and a NATS connect storm
through the auth callout against a real nats-server 2.10."""
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

from bench import (BUILD, KEZCTL, ROOT, WINDOW_MARGIN_S, Server, entries, get_rate, log, nginx_requests,
                   registration_rate, sample_openssl_verify, start_nginx, warn_ran_out, wrk, wrk_window)

sys.path.insert(0, os.path.join(ROOT, "tests"))
import kez_client as kc  # noqa: E402  (the tests' own client: keys, envelopes, nkeys)

NATS_SERVER = os.path.join(ROOT, "tools", "nats", "usr", "sbin", "nats-server")
NATS_STORM = os.path.join(BUILD, "nats-storm")


def make_events(work, tag, chains, per_chain, parts=2):
    """Event streams <base>.0 .. <base>.<parts-1>: each part its own chains,
    round-robin, made in parallel."""
    base = os.path.join(work, "ev-" + tag)
    procs = [subprocess.Popen([KEZCTL, "events", str(per_chain), "--chains", str(max(1, chains // parts))],
                              stdout=open("%s.%d" % (base, i), "w")) for i in range(parts)]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("kezctl events failed")
    return base


def drop(base, parts=2):
    for i in range(parts):
        os.unlink("%s.%d" % (base, i))


def append_rate(server, work, tag, seconds, expected=14000):
    """Appends/s over `seconds` inside a wrk run (wrk_window): 256 fresh
    chains (128 per wrk thread, more than its 32 connections, so that an
    event's predecessor is always stored before it is sent); durable =
    events the registry gained (every 201 is sent after its commit is
    synced). The events table also holds each chain's head, written with
    its first event: the 256 chains' first events are the run's first
    requests, sent before the window opens, so the window counts events
    only."""
    per_chain = max(10, int(expected * (seconds + WINDOW_MARGIN_S + 1) * 1.3 / 256))
    base = make_events(work, tag, 256, per_chain)
    r = wrk_window("http://127.0.0.1:%d" % server.port, "post.lua", seconds, {"KEZ_BENCH_BODIES": base},
                   lambda: entries(server.db, "chain_events"))
    drop(base)
    warn_ran_out(r, tag)
    return r


def fill_chains(server, work, tag, chains, per_chain=10):
    """`chains` chains of `per_chain` events through the API, in batches
    posted by wrk (each batch inside the timestamp window)."""
    done, stored = 0, 0
    batch = 20000
    while done < chains:
        n = min(batch, chains - done)
        base = make_events(work, "%s%d" % (tag, done), n, per_chain)
        wrk("http://127.0.0.1:%d" % server.port, "post.lua", max(5, n * per_chain // 5000),
            {"KEZ_BENCH_BODIES": base}, connections=64)
        drop(base)
        done += n
        stored = entries(server.db, "chain_events")
        log("  chains %d/%d (%d events and heads stored so far)" % (done, chains, stored))
    return stored


def hundred_event_chains(server, work, tag, count=100):
    """`count` chains of exactly 100 events; returns their paths."""
    base = make_events(work, tag, count, 100)
    wrk("http://127.0.0.1:%d" % server.port, "post.lua", 10, {"KEZ_BENCH_BODIES": base}, connections=16)
    paths = set()
    for i in range(2):
        with open("%s.%d" % (base, i)) as f:
            for line in f:
                paths.add("/v1/sigchains/ed25519/" + re.search(r'"chain":"ed25519:([0-9a-f]+)"', line).group(1))
    drop(base)
    full = []
    for p in sorted(paths):
        r = kc.request(server.port, "GET", p)
        if r.status == 200 and r.json()["length"] == 100:
            full.append((p, r.body))
    return full


def chain_get(port, count, work, paths, seconds, name):
    path_file = os.path.join(work, name)
    with open(path_file, "w") as f:
        f.write("\n".join(paths))
    return get_rate(port, count, {"KEZ_BENCH_PATHS": path_file}, seconds)


# --- NATS connect storm -------------------------------------------------------

class NatsStack:
    """nats-server with deploy/nats.conf; kez-chat-server as its callout."""

    def __init__(self, work):
        from bench import free_port
        self.dir = os.path.join(work, "nats")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.makedirs(os.path.join(self.dir, "keys"), exist_ok=True)
        # the seeds, and the public keys as the include deploy/nats.conf reads
        out = subprocess.run([KEZCTL, "nats-keys", "--out-dir", self.dir, "--nats-conf",
                              os.path.join(self.dir, "keys", "nats-keys.conf")], capture_output=True, text=True,
                             check=True)
        self.values = dict(re.findall(r"^(KEZ_NATS_\w+)=(\S+)$", out.stdout, re.M))
        for f in ("issuer.nk", "service.nk", "xkey.nk"):
            os.chmod(os.path.join(self.dir, f), 0o644)
        self.port = free_port()
        conf = open(os.path.join(ROOT, "deploy", "nats.conf")).read()
        conf = re.sub(r"^port: 4222", "port: %d" % self.port, conf, flags=re.M)
        conf = re.sub(r"^http_port: 8222", "http_port: %d" % free_port(), conf, flags=re.M)
        conf = conf.replace("port: 8443", "port: %d" % free_port())
        conf = conf.replace('"/data/jetstream"', '"%s/js"' % self.dir)
        path = os.path.join(self.dir, "nats.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.log = open(os.path.join(self.dir, "nats.log"), "wb")
        self.proc = subprocess.Popen([NATS_SERVER, "-c", path], env=dict(os.environ, **self.values),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        self.kez = None

    def start_kez(self, threads, binary=None):
        args = ["--nats-url", "nats://127.0.0.1:%d" % self.port, "--nats-seed", os.path.join(self.dir, "service.nk"),
                "--nats-issuer-seed", os.path.join(self.dir, "issuer.nk")]
        if threads:
            args += ["--verifier-threads", str(threads)]
        self.kez = Server(os.path.dirname(self.dir), "nats", extra=args, log_level="info", binary=binary,
                          metrics=binary is None)
        deadline = time.time() + 10
        while "serving the NATS auth callout" not in open(self.kez.log.name, errors="replace").read():
            if time.time() > deadline:
                raise SystemExit("the callout did not start; see " + self.kez.log.name)
            time.sleep(0.05)
        return self.kez

    def stop_kez(self):
        self.kez.stop()
        self.kez = None

    def stop(self):
        if self.kez:
            self.stop_kez()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        self.log.close()


def register_users(port, n, seed_file):
    """`n` registered users; their seeds, one hex line each, in seed_file
    (what nats-storm reads)."""
    import http.client
    from cryptography.hazmat.primitives import serialization
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    with open(seed_file, "w") as f:
        for i in range(n):
            key = kc.new_key()
            body, _ = kc.make_envelope("storm%d" % i, server="kez.bench", key=key)
            conn.request("POST", "/v1/register", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 201:
                raise SystemExit("registering storm user %d: %d" % (i, r.status))
            f.write(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                      serialization.NoEncryption()).hex() + "\n")
    conn.close()


def sqlite_rows(path):
    """Rows committed to the peer's handles table (WAL: the read takes no
    lock the writer waits for)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("SELECT count(*) FROM handles").fetchone()[0]
    finally:
        db.close()


def peer_rounds(work, binary, seconds, rounds):
    """Registrations against another server of the same API (KEZ_BENCH_PEER:
    its binary, taking --bind, --db, --server and --user as this one does),
    rounds alternating with this one; durable = rows its handles table
    gained per second over the window of wrk_window, as for this one."""
    from bench import DOMAIN, free_port, make_envelopes
    import urllib.request
    out = {"kez": [], "peer": []}
    for r in range(rounds):
        s = Server(work, "peer-kez%d" % r)
        log("registrations beside the peer, round %d: kez-chat-server ..." % (r + 1))
        out["kez"].append(registration_rate(s, work, "pk%d" % r, seconds, expected_rate=20000)["durable_per_s"])
        s.stop()
        os.unlink(s.db)
        d = os.path.join(work, "peer%d" % r)
        os.makedirs(d)
        os.chmod(d, 0o777)  # the peer opens its database after it drops to --user
        port = free_port()
        args = [binary, "--bind", "127.0.0.1:%d" % port, "--db", os.path.join(d, "peer.db"), "--server", DOMAIN]
        if os.geteuid() == 0:
            args += ["--user", "nobody"]
        log_file = open(os.path.join(d, "peer.log"), "wb")
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log_file)
        try:
            deadline = time.time() + 10
            while True:
                try:
                    urllib.request.urlopen("http://127.0.0.1:%d/v1/healthz" % port, timeout=1).read()
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise SystemExit("the peer did not start; see " + log_file.name)
                    time.sleep(0.05)
            log("registrations beside the peer, round %d: the peer ..." % (r + 1))
            base = make_envelopes(work, "pp%d" % r, int(10000 * (seconds + WINDOW_MARGIN_S + 1) * 1.3))
            res = wrk_window("http://127.0.0.1:%d" % port, "post.lua", seconds, {"KEZ_BENCH_BODIES": base},
                             lambda: sqlite_rows(os.path.join(d, "peer.db")))
            drop(base)
            warn_ran_out(res, "pp%d" % r)
            out["peer"].append(res["durable_per_s"])
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            log_file.close()
        log("  kez %.0f/s, peer %.0f/s" % (out["kez"][-1], out["peer"][-1]))
    out["name"] = os.environ.get("KEZ_BENCH_PEER_NAME") or binary
    return out


# The last commit before the verification work (libsodium, the thread pool,
# batched callouts, the expanded issuer key): the storm's "before".
PREVIOUS_COMMIT = "48eae85b2a9090dd7fca6a486db397bf3b07d412"


def build_previous(work):
    """That commit's server, built from the repository's history into
    `work`; None (and why) when the history or the build is not there."""
    src = os.path.join(work, "previous")
    try:
        archive = subprocess.run(["git", "-C", ROOT, "archive", PREVIOUS_COMMIT], capture_output=True,
                                 check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None, "commit %s is not in this checkout's history" % PREVIOUS_COMMIT[:7]
    os.makedirs(src, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    from bench import CPUS
    r = subprocess.run(["make", "-C", src, "-j%d" % CPUS, "build/release/kez-chat-server"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return None, "commit %s did not build: %s" % (PREVIOUS_COMMIT[:7], r.stderr.strip()[-300:])
    return os.path.join(src, "build", "release", "kez-chat-server"), None


STORM_VARIANTS = ("previous", "1", "default")


def connect_storm(work, n_users, rounds, results):
    """{variant: [(seconds, admitted), ...]}: `n_users` connecting at once,
    against the server before the verification work, with
    --verifier-threads 1 and with the default; rounds alternate."""
    previous, why = build_previous(work)
    if why:
        log("  no previous build: " + why)
        results["storm_previous_missing"] = why
    stack = NatsStack(work)
    seeds = os.path.join(work, "storm-seeds")
    out = {v: [] for v in STORM_VARIANTS}
    try:
        kez = stack.start_kez(1)
        register_users(kez.port, n_users, seeds)
        stack.stop_kez()
        for r in range(rounds):
            for variant in STORM_VARIANTS:
                if variant == "previous" and not previous:
                    continue
                stack.start_kez(1 if variant == "1" else 0, binary=previous if variant == "previous" else None)
                prof = None
                if variant == "default" and r == 0:
                    prof = perf_start(os.path.join(work, "perf-storm.data"), 1, None)
                elapsed, admitted = storm(seeds, stack.port)
                if prof:
                    results.setdefault("profiles", {})["connect storm: the whole machine (default threads), by process"] = \
                        perf_top(prof, os.path.join(work, "perf-storm.data"), "comm,dso")
                out[variant].append((elapsed, admitted))
                log("  storm round %d, %s: %d of %d admitted in %.2f s" % (r + 1, variant, admitted, n_users, elapsed))
                stack.stop_kez()
    finally:
        stack.stop()
    return out


def storm(seed_file, port):
    """(seconds until every client had its answer, how many were admitted):
    nats-storm, a raw NATS client per user, all connecting at once."""
    out = subprocess.run([NATS_STORM, "127.0.0.1", str(port), seed_file, "60"], capture_output=True, text=True,
                         timeout=120)
    m = re.search(r"admitted (\d+) of (\d+) in ([\d.]+) seconds", out.stdout)
    if not m:
        raise SystemExit("nats-storm: " + out.stdout + out.stderr)
    return float(m.group(3)), int(m.group(1))


# --- profiles -------------------------------------------------------------------

def perf_start(out, seconds, pid=None):
    """perf record (CPU clock: no hardware counters here) for `seconds`, of
    one process or of the whole machine; None without perf."""
    import shutil
    if not shutil.which("perf"):
        return None
    target = ["-p", str(pid)] if pid else ["-a"]
    return subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-o", out] + target +
                            ["--", "sleep", str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def perf_top(proc, out, sort, limit=14):
    """The leading lines of `perf report` for a finished perf_start."""
    if proc is None:
        return []
    proc.wait(60)
    r = subprocess.run(["perf", "report", "-i", out, "--stdio", "--no-children", "-g", "none", "--sort", sort,
                        "--percent-limit", "1.5"], capture_output=True, text=True)
    return [l.rstrip() for l in r.stdout.splitlines() if l.strip() and not l.startswith("#")][:limit]


# --- the whole write side -----------------------------------------------------

def run(work, seconds, quick, results):
    # registrations, --verifier-threads 1 against the default, fresh
    # registries, rounds alternating (the machine's other load moves)
    reg = {1: [], 0: []}
    for rnd in range(2 if quick else 3):
        for threads in (1, 0):
            s = Server(work, "reg%d-%d" % (threads, rnd), extra=["--verifier-threads", str(threads)] if threads else [])
            log("registrations, round %d, verifier threads %s ..." % (rnd + 1, threads or "default"))
            prof = []

            def profile():
                # the verifier alone, from the moment the measured window opens
                prof.append(perf_start(os.path.join(work, "perf-reg.data"), max(2, seconds - 2),
                                       s.processes()["verifier"]))
            r = registration_rate(s, work, "v%d" % threads, seconds, expected_rate=20000,
                                  on_start=profile if threads == 0 and rnd == 0 else None)
            if prof and prof[0]:
                results.setdefault("profiles", {})["registration: the verifier (default threads), by library"] = \
                    perf_top(prof[0], os.path.join(work, "perf-reg.data"), "dso")
            reg[threads].append({k: v for k, v in r.items() if k != "raw"})
            log("  %.0f durable registrations/s" % r["durable_per_s"])
            if threads == 0:
                results["verifier_tasks"] = len(os.listdir("/proc/%d/task" % s.processes()["verifier"]))
            s.stop()
            os.unlink(s.db)
        sample_openssl_verify(results)
    results["reg_threads"] = reg
    peer = os.environ.get("KEZ_BENCH_PEER")
    if peer:
        results["peer"] = peer_rounds(work, peer, seconds, 2 if quick else 3)

    # sigchain appends and chain GETs on a small registry and on a grown one,
    # both servers up at once and measured in alternating rounds (with
    # registrations on the small one), so that the machine's drift falls on
    # both sides of every ratio alike
    grow = 10000 if quick else 100000
    small = Server(work, "chains-small", extra=["--serve", "registry,sigchain"])
    grown = Server(work, "chains-grown", extra=["--serve", "registry,sigchain"])
    log("growth: filling %d chains of 10 events ..." % grow)
    fill_chains(grown, work, "grow", grow)
    full = {"small": hundred_event_chains(small, work, "hsmall"), "grown": hundred_event_chains(grown, work, "hgrown")}
    paths = {k: [p for p, _ in v] for k, v in full.items()}
    # nginx serves the very bytes the small server sent, under the same paths
    root = os.path.join(work, "www-chains")
    for p, body in full["small"]:
        f = os.path.join(root, p.lstrip("/"))
        os.makedirs(os.path.dirname(f), exist_ok=True)
        with open(f, "wb") as out:
            out.write(body)
    for d, _, _ in os.walk(root):
        os.chmod(d, 0o755)
    os.sync()  # the fill's and the files' pages go to disk before the rounds, not during them
    nginx, nport = start_nginx(work, root)
    servers = {"small": small, "grown": grown}
    rounds = {"registrations": [], "small": [], "grown": [], "nginx": []}
    for r in range(2 if quick else 3):
        log("chains, round %d: registrations, appends (small, grown), GETs (small, nginx, grown) ..." % (r + 1))
        rg = registration_rate(small, work, "cr%d" % r, seconds)
        rounds["registrations"].append(rg["durable_per_s"])
        for label in ("small", "grown"):
            ap = append_rate(servers[label], work, "a%s%d" % (label, r), seconds)
            rounds[label].append({"appends_per_s": ap["durable_per_s"], "append_p99": ap["p99"],
                                  "append_non2xx": ap["non2xx"]})
        for label in ("small", "nginx", "grown"):
            port = nport if label == "nginx" else servers[label].port
            count = (lambda: nginx_requests(nport)) if label == "nginx" else servers[label].answered_200
            g = chain_get(port, count, work, paths["grown" if label == "grown" else "small"], seconds,
                          "paths-" + label)
            if label == "nginx":
                rounds["nginx"].append({"get_rps": g["rps"], "get_p99": g["p99"]})
            else:
                rounds[label][-1].update({"get_rps": g["rps"], "get_p99": g["p99"]})
        log("  registrations %.0f/s; appends %.0f/s small, %.0f/s grown; GETs %.0f/s small, %.0f/s nginx, "
            "%.0f/s grown" % (rg["durable_per_s"], rounds["small"][-1]["appends_per_s"],
                               rounds["grown"][-1]["appends_per_s"], rounds["small"][-1]["get_rps"],
                               rounds["nginx"][-1]["get_rps"], rounds["grown"][-1]["get_rps"]))
    nginx.send_signal(signal.SIGQUIT)
    nginx.wait(10)
    mean = lambda xs, k: sum(x[k] or 0 for x in xs) / len(xs)
    chains = {"registrations_per_s": sum(rounds["registrations"]) / len(rounds["registrations"]),
              "registration_rounds": rounds["registrations"], "nginx_rounds": rounds["nginx"]}
    for label in ("small", "grown"):
        xs = rounds[label]
        chains[label] = {k: mean(xs, k) for k in ("appends_per_s", "append_p99", "get_rps", "get_p99")}
        chains[label].update({"rounds": xs, "append_non2xx": sum(x["append_non2xx"] for x in xs),
                              "chains_100": len(full[label]), "grow": grow if label == "grown" else 0,
                              "body_bytes": len(full[label][0][1]) if full[label] else 0,
                              "db_bytes": os.path.getsize(servers[label].db)})
        servers[label].stop()
        os.unlink(servers[label].db)
    chains["nginx_rps"] = mean(rounds["nginx"], "get_rps")
    results["chains"] = chains

    # the connect storm
    if os.path.exists(NATS_SERVER):
        log("NATS connect storm, %d users ..." % 2000)
        results["storm"] = connect_storm(work, 2000, 2 if quick else 3, results)
    else:
        log("no nats-server 2.10 at %s: run tools/fetch-nats-server.sh; storm skipped" % NATS_SERVER)


def best(xs):
    return min(xs) if xs else None


def report(r, w, fmt):
    rounds = r["reg_threads"]
    mean = lambda xs, k: sum(x[k] or 0 for x in xs) / len(xs)
    reg = {t: {k: mean(rounds[t], k) for k in ("durable_per_s", "p50", "p99")} for t in rounds}
    verify = r["openssl_verify_per_s"]
    one, dflt = reg[1]["durable_per_s"], reg[0]["durable_per_s"]
    w("## Verification threads: registrations, `--verifier-threads 1` against the default")
    w("")
    w("Fresh registries, wrk -t2 -c64 posting `kezctl envelopes`, durable = entries added per second (each 201 is "
      "sent after its LMDB commit is synced). The default is one verification thread per usable CPU (the "
      "verifier had %s tasks: its loop thread, which verifies too, and the other verification threads)." % r.get("verifier_tasks", "?"))
    w("")
    w("| verifier threads | durable registrations/s (mean of %d rounds: each) | p50 ms | p99 ms | / `openssl speed ed25519` verify/s (%.0f, 1 core) | target |" % (len(rounds[1]), verify))
    w("|---|---|---|---|---|---|")
    each = lambda t: ", ".join("%.0f" % x["durable_per_s"] for x in rounds[t])
    w("| 1 | %.0f (%s) | %s | %s | %.2f× | |" % (one, each(1), fmt(reg[1]["p50"]), fmt(reg[1]["p99"]), one / verify))
    w("| default | %.0f (%s) | %s | %s | **%.2f×** | ≥ 1.5× |" % (dflt, each(0), fmt(reg[0]["p50"]), fmt(reg[0]["p99"]),
                                                           dflt / verify))
    w("")
    w("default / 1 thread: **%.2f×**." % (dflt / one if one else 0))
    w("")
    pr = r.get("peer")
    if pr:
        k, p = sum(pr["kez"]) / len(pr["kez"]), sum(pr["peer"]) / len(pr["peer"])
        w("## Registrations beside a peer server (`KEZ_BENCH_PEER`)")
        w("")
        w("%s, serving the same API, started on a fresh database; the same wrk script (wrk -t2 -c64) and fresh "
          "`kezctl envelopes`, rounds alternating with this server (default threads, fresh registry); durable = "
          "rows its handles table gained a second for the peer, entries added for this one." % pr["name"])
        w("")
        w("| round | kez-chat-server /s | peer /s |")
        w("|---|---|---|")
        for i, (a, b) in enumerate(zip(pr["kez"], pr["peer"])):
            w("| %d | %.0f | %.0f |" % (i + 1, a, b))
        w("")
        w("kez-chat-server / peer: **%.2f×**." % (k / p if p else 0))
        w("")
    c = r["chains"]
    small, grown = c["small"], c["grown"]
    reg_c = c["registrations_per_s"]
    n_rounds = len(small["rounds"])
    w("## Sigchain appends and chain reads (`--serve registry,sigchain`, default threads)")
    w("")
    w("Two servers up at once, a small registry and one grown to %d chains of 10 events, measured in %d "
      "alternating rounds: registrations on the small one (wrk -t2 -c64, `kezctl envelopes`), appends on each "
      "(wrk -t2 -c64 posting `kezctl events` streams, 256 fresh chains, round-robin), then GETs of its 99 chains "
      "of 100 events (%d-byte bodies, random, wrk -t2 -c100) on the small one, on nginx serving the identical "
      "bytes saved from it under the same paths, and on the grown one. Durable = registry entries added "
      "(handles, chain events) a second, each 201 sent after its commit is synced." % (grown["grow"], n_rounds, small["body_bytes"]))
    w("")
    w("| round | registrations/s | appends/s small | appends/s grown | GET/s small | GET/s nginx | GET/s grown |")
    w("|---|---|---|---|---|---|---|")
    for i in range(n_rounds):
        a, b, n = small["rounds"][i], grown["rounds"][i], c["nginx_rounds"][i]
        w("| %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |" % (
            i + 1, c["registration_rounds"][i], a["appends_per_s"], b["appends_per_s"], a["get_rps"], n["get_rps"],
            b["get_rps"]))
    w("")
    w("| (means) | value | compared with | ratio | target |")
    w("|---|---|---|---|---|")
    w("| durable appends/s | %.0f (p99 %s ms) | registrations/s %.0f | **%.2f×** | ≥ 0.8× |" % (
        small["appends_per_s"], fmt(small["append_p99"]), reg_c, small["appends_per_s"] / reg_c if reg_c else 0))
    w("| chain GET requests/s | %.0f (p99 %s ms) | nginx %.0f | **%.2f×** | ≥ 1.0× |" % (
        small["get_rps"], fmt(small["get_p99"]), c["nginx_rps"], small["get_rps"] / c["nginx_rps"] if c["nginx_rps"] else 0))
    w("| appends/s, grown | %.0f | small %.0f | **%.2f×** | ≥ 0.9× |" % (
        grown["appends_per_s"], small["appends_per_s"],
        grown["appends_per_s"] / small["appends_per_s"] if small["appends_per_s"] else 0))
    w("| chain GET requests/s, grown | %.0f | small %.0f | **%.2f×** | ≥ 0.9× |" % (
        grown["get_rps"], small["get_rps"], grown["get_rps"] / small["get_rps"] if small["get_rps"] else 0))
    w("")
    w("Registry files: small %.0f MiB, grown %.0f MiB. Appends refused (an event whose predecessor had not "
      "committed yet when it came, 409): %d small, %d grown." % (
          small["db_bytes"] / 1048576, grown["db_bytes"] / 1048576, small["append_non2xx"], grown["append_non2xx"]))
    w("")
    st = r.get("storm")
    if st:
        w("## NATS connect storm: 2000 registered users at once, through the auth callout")
        w("")
        w("nats-server 2.10 (deploy/nats.conf, xkey on) on loopback, kez-chat-server as its callout. "
          "`nats-storm` (bench/nats_storm.c) opens every user's connection at once, each reads INFO, signs the "
          "nonce, sends CONNECT and PING and waits for PONG; the time is until the last one has its answer, all "
          "staying connected. Rounds alternate between the server as it was before the verification work "
          "(commit %s: OpenSSL's Ed25519, one verification at a time, one callout at a time, built from this "
          "repository's history), this one with `--verifier-threads 1`, and this one with the default."
          % PREVIOUS_COMMIT[:7])
        w("")
        w("| server | round: seconds (admitted of 2000) | best s | connects/s |")
        w("|---|---|---|---|")
        names = {"previous": "before (%s)" % PREVIOUS_COMMIT[:7], "1": "now, 1 verification thread",
                 "default": "now, default threads"}
        for v in STORM_VARIANTS:
            xs = st.get(v) or []
            if xs:
                b = best([x[0] for x in xs])
                w("| %s | %s | %.2f | %.0f |" % (names[v], ", ".join("%.2f (%d)" % x for x in xs), b,
                                                2000 / b if b else 0))
        w("")
        if r.get("storm_previous_missing"):
            w("No \"before\" rounds: %s." % r["storm_previous_missing"])
        elif st.get("previous") and st.get("default"):
            bp, bd = best([x[0] for x in st["previous"]]), best([x[0] for x in st["default"]])
            w("before / now (default) time: **%.2f×** (target ≥ 2×); the build before admitted %s; now every "
              "one admitted: %s." % (bp / bd, " / ".join(str(x[1]) for x in st["previous"]),
                                     "yes" if all(x[1] == 2000 for v in ("1", "default") for x in st[v]) else "**no**"))
        w("")
    for title, lines in sorted(r.get("profiles", {}).items()):
        w("### Profile, %s" % title)
        w("")
        w("```")
        for line in lines:
            w(line)
        w("```")
        w("")
