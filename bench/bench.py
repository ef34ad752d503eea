#!/usr/bin/env python3
"""kez-chat-server benchmark: wrk against the server and, in the same run,
against nginx serving the same response bytes; registrations against this
machine's single-core Ed25519 verify rate; growth from 1 000 to 1 000 000
handles; memory of every process. Prints the table and writes RESULTS.md.

Everything runs on loopback with bounded durations. Usage (from the repo):
    make bench            # or: python3 bench/bench.py [--quick]
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("KEZ_BUILD", "build/release"))
SERVER = os.path.join(BUILD, "kez-chat-server")
KEZCTL = os.path.join(BUILD, "kezctl")
BENCH = os.path.join(ROOT, "bench")
DOMAIN = "kez.bench"
CPUS = os.cpu_count() or 1


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rss_kib(pid):
    """(total RSS, RSS without file-backed pages such as the LMDB map) in KiB."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[k] = int(v.split()[0])
    return fields.get("VmRSS", 0), fields.get("RssAnon", 0) + fields.get("RssShmem", 0)


class Server:
    def __init__(self, work, name, extra=(), log_level="warn", binary=None, metrics=True):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.db = os.path.join(self.dir, "kez.db")
        self.port = free_port()
        args = [binary or SERVER, "--bind", "127.0.0.1:%d" % self.port, "--db", self.db, "--server", DOMAIN,
                "--log", log_level, "--map-size", "4096"]
        # the answers it counts time the GET rates (get_rate); off for a
        # build from before --metrics-bind
        self.metrics_port = free_port() if metrics else None
        if metrics:
            args += ["--metrics-bind", "127.0.0.1:%d" % self.metrics_port]
        args += list(extra)
        if os.geteuid() == 0:
            args += ["--user", "nobody"]
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(args, stderr=self.log, stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                import urllib.request
                urllib.request.urlopen("http://127.0.0.1:%d/v1/healthz" % self.port, timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not start; see " + self.log.name)

    def processes(self):
        out = {"master": self.proc.pid}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = open("/proc/%s/stat" % entry).read()
                    if int(stat[stat.rindex(")") + 2:].split()[1]) == self.proc.pid:
                        title = open("/proc/%s/cmdline" % entry, "rb").read().split(b"\0")[0].decode()
                        out[title.replace("kez-chat-server: ", "")] = int(entry)
                except (OSError, ValueError):
                    pass
        return out

    def answered_200(self):
        """200 answers sent so far, every route (kez_http_requests_total)."""
        import urllib.request
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.metrics_port, timeout=10).read().decode()
        return sum(int(n) for n in re.findall(r'^kez_http_requests_total\{[^}]*status="200"\} (\d+)$', text, re.M))

    def memory(self):
        return {name: rss_kib(pid) for name, pid in sorted(self.processes().items())}

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.log.close()


def entries(db, table="handles"):
    """Entries of one of the registry's tables, read from the LMDB file."""
    out = run(["mdb_stat", "-n", "-s", table, db]).stdout
    return int(re.search(r"Entries: (\d+)", out).group(1))


def wrk_command(url, script, seconds, connections, threads):
    return ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency",
            "-s", os.path.join(BENCH, script), url]


def wrk(url, script, seconds, env, connections=100, threads=2):
    e = dict(os.environ, **env)
    out = subprocess.run(wrk_command(url, script, seconds, connections, threads), capture_output=True, text=True,
                         env=e, timeout=seconds + 120).stdout
    return parse_wrk(out)


def parse_wrk(out):
    def ms(label):
        m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), out, re.M)
        if not m:
            return None
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    ran_out = re.search(r"kez-ran-out: (\d+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms("50%"), "p99": ms("99%"),
            "ran_out": int(ran_out.group(1)) if ran_out else 0,
            "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "", "raw": out}


# wrk runs each thread's Lua init() in turn in its main thread, and a thread
# starts sending as soon as its own init is done: with post.lua's bodies
# formatted in init, thread 1 sent alone for most of a second while the
# main thread formatted thread 2's, and a count over wrk's whole life
# divided by its -d came out 16 % too high in a run sampled to see it
# (bench/NOTES.md). So the count is taken over a window inside the run
# instead: from SETTLE_S after all threads exist to `seconds` later, with
# wrk running on 1.5 s past it.
SETTLE_S = 0.5
WINDOW_NOTE = ("Every rate below is counted by the server over a window of the run's length inside its wrk run, "
               "opened half a second after every wrk thread is sending (bench/NOTES.md, \"Counting inside a "
               "window\"): durable writes from the registry's tables (the peer's from its SQLite table), GETs "
               "from this server's `kez_http_requests_total` and nginx's `stub_status`.")
WINDOW_MARGIN_S = 2  # whole seconds of wrk's run outside the window (SETTLE_S + the tail)


def wrk_window(url, script, seconds, env, count, connections=64, threads=2, on_start=None):
    """wrk for `seconds` + WINDOW_MARGIN_S; returns its summary with
    "durable_per_s": what count() (the durable total) gained per second over
    the `seconds`-long window once every wrk thread is sending."""
    e = dict(os.environ, **env)
    proc = subprocess.Popen(wrk_command(url, script, seconds + WINDOW_MARGIN_S, connections, threads),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=e)
    try:
        deadline = time.monotonic() + 120
        while len(os.listdir("/proc/%d/task" % proc.pid)) < threads + 1:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("wrk did not start its threads")
            time.sleep(0.01)
        time.sleep(SETTLE_S)
        t0, c0 = timed(count)
        if on_start:
            on_start()
        time.sleep(max(0.0, t0 + seconds - time.monotonic()))
        t1, c1 = timed(count)
        out = proc.communicate(timeout=seconds + 120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    r = parse_wrk(out)
    r["durable_per_s"] = (c1 - c0) / (t1 - t0)
    return r


def timed(count):
    """(the moment, count()): the moment halfway through the call."""
    a = time.monotonic()
    c = count()
    return (a + time.monotonic()) / 2, c


def nginx_requests(port):
    """Requests nginx has handled so far (stub_status; each look counts itself)."""
    import urllib.request
    text = urllib.request.urlopen("http://127.0.0.1:%d/nginx_status" % port, timeout=10).read().decode()
    return int(re.search(r"^\s*\d+\s+\d+\s+(\d+)\s*$", text, re.M).group(1))


def get_rate(port, count, script_env, seconds, connections=100):
    """GETs/s by get_paths.lua over the window of wrk_window, counted by the
    server itself (count: Server.answered_200, or nginx_requests of the
    port); "rps" is that rate, "wrk_rps" wrk's own figure for its whole run."""
    r = wrk_window("http://127.0.0.1:%d" % port, "get_paths.lua", seconds, script_env, count,
                   connections=connections)
    r["wrk_rps"], r["rps"] = r["rps"], r["durable_per_s"]
    return r


def warn_ran_out(r, tag):
    if r["ran_out"]:
        log("  warning: run %s used up its bodies before the end: its rate is a floor" % tag)


def make_envelopes(work, prefix, count, parts=2):
    """Envelope files <base>.0 .. <base>.<parts-1>, made in parallel, fresh."""
    base = os.path.join(work, "env-" + prefix)
    per = (count + parts - 1) // parts
    procs = [subprocess.Popen([KEZCTL, "envelopes", str(per), "--server", DOMAIN, "--prefix", "%s%dx" % (prefix, i)],
                              stdout=open("%s.%d" % (base, i), "w")) for i in range(parts)]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("kezctl envelopes failed")
    return base


def fill(server, work, prefix, count):
    """Registers `count` handles through the public API (batches stay well
    inside the 300 s timestamp window)."""
    done = 0
    batch = 200000
    while done < count:
        n = min(batch, count - done)
        base = make_envelopes(work, "%s%d" % (prefix, done // batch), n)
        # long enough to drain the batch at a few thousand per second
        wrk("http://127.0.0.1:%d" % server.port, "post.lua", max(5, n // 2500), {"KEZ_BENCH_BODIES": base},
            connections=64)
        done += n
        for i in range(2):
            os.unlink("%s.%d" % (base, i))
        log("  filled %d/%d (%d in the registry)" % (done, count, entries(server.db)))
    return entries(server.db)


def handles_of(server):
    """Names of the registered handles (read-only scan)."""
    out = run(["mdb_dump", "-n", "-p", "-s", "handles", server.db]).stdout
    names = []
    lines = out.split("HEADER=END\n", 1)[1].splitlines()
    for i in range(0, len(lines) - 1, 2):
        if lines[i].startswith(" "):
            names.append(lines[i][1:])
    return names


def registration_rate(server, work, tag, seconds, expected_rate=16000, on_start=None):
    """Durable registrations/s over `seconds` inside a wrk run (wrk_window):
    entries the registry's handles table gained (each 201 is sent after
    its commit is synced)."""
    base = make_envelopes(work, tag, int(expected_rate * (seconds + WINDOW_MARGIN_S + 1) * 1.3))
    r = wrk_window("http://127.0.0.1:%d" % server.port, "post.lua", seconds, {"KEZ_BENCH_BODIES": base},
                   lambda: entries(server.db), on_start=on_start)
    for i in range(2):
        os.unlink("%s.%d" % (base, i))
    warn_ran_out(r, tag)
    return r


def write_nginx_files(work, server, names):
    root = os.path.join(work, "www", "v1", "u")
    os.makedirs(root, exist_ok=True)
    # One dump of the whole registry gives every record; render them the way
    # the server does by asking it once per handle would take too long for
    # 100 000 handles, so fetch over one keep-alive connection.
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for name in names:
        conn.request("GET", "/v1/u/" + name)
        body = conn.getresponse().read()
        with open(os.path.join(root, name), "wb") as f:
            f.write(body)
    conn.close()
    for d in (os.path.join(work, "www"), os.path.join(work, "www", "v1"), root):
        os.chmod(d, 0o755)
    return os.path.join(work, "www")


def start_nginx(work, root):
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write("""%s
worker_processes %d;
pid %s/nginx.pid;
error_log %s/nginx-error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/json;
    client_body_temp_path %s/tmp;
    proxy_temp_path %s/tmp;
    fastcgi_temp_path %s/tmp;
    uwsgi_temp_path %s/tmp;
    scgi_temp_path %s/tmp;
    server {
        listen 127.0.0.1:%d;
        root %s;
        add_header Access-Control-Allow-Origin *;
        location = /nginx_status { stub_status; }
    }
}
""" % (user, CPUS, work, work, work, work, work, work, work, port, root))
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, port


def sample_openssl_verify(results):
    """One more `openssl speed ed25519` verify rate, taken between the rounds
    (this machine's speed drifts); the ratios use the mean of all taken."""
    xs = results.setdefault("openssl_verify_samples", [])
    xs.append(openssl_verify_rate())
    results["openssl_verify_per_s"] = sum(xs) / len(xs)


def openssl_verify_rate():
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "ed25519"], check=True, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    m = re.search(r"Ed25519\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", out)
    return float(m.group(2))


def ed25519_rates():
    """{(implementation, operation): per-core rate} from build/*/ed25519-speed."""
    out = run([os.path.join(BUILD, "ed25519-speed"), "3"]).stdout
    return {(impl, op): float(n) for impl, op, n in re.findall(r"^(\S+) (verify|sign) ([\d.]+)$", out, re.M)}


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def fmt(v, unit=""):
    return "—" if v is None else ("%.0f%s" % (v, unit) if v >= 100 else "%.2f%s" % (v, unit))


def main():
    import bench_writes  # it imports this module: loaded once this one is
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="short runs and a 100 000-handle top instead of 1 000 000")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--writes-only", action="store_true", help="only the verification and write side (bench_writes.py)")
    args = ap.parse_args()
    seconds = 5 if args.quick else args.seconds
    big = 100000 if args.quick else 1000000
    for tool in ("wrk", "nginx", "mdb_stat", "openssl"):
        if not shutil.which(tool):
            raise SystemExit("missing %s: run 'make bench' (it installs what it needs as root)" % tool)
    work = tempfile.mkdtemp(prefix="kez-bench-")
    os.chmod(work, 0o755)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "commit": run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip(),
               "machine": "%s, %d CPUs, %s, kernel %s" % (platform.machine(), CPUS, cpu_model(), platform.release()),
               "seconds": seconds, "load": os.getloadavg()}
    try:
        log("openssl speed ed25519 (single core) ...")
        sample_openssl_verify(results)
        log("Ed25519 per core: OpenSSL and libsodium side by side ...")
        results["ed25519"] = ed25519_rates()
        if args.writes_only:
            bench_writes.run(work, seconds, args.quick, results)
            return report(results)

        # --- 100 000 handles: lookups against nginx -------------------------
        s = Server(work, "main")
        results["memory_rest"] = s.memory()
        log("filling 100 000 handles ...")
        fill(s, work, "h", 100000)
        names = handles_of(s)
        log("writing %d files for nginx ..." % len(names))
        root = write_nginx_files(work, s, names)
        # the 100 000 files' pages go to disk now, not during the rounds
        os.sync()
        time.sleep(2)
        nginx, nginx_port = start_nginx(work, root)
        results["handles"] = len(names)
        # every handle is <prefix><batch>x<part>x<i>: the Lua script needs a
        # dense range, so it reads the names from a file instead
        with open(os.path.join(work, "names.txt"), "w") as f:
            f.write("\n".join(names))
        rounds = []
        for r in range(args.rounds):
            for target, port in (("kez", s.port), ("nginx", nginx_port)):
                count = s.answered_200 if target == "kez" else (lambda: nginx_requests(nginx_port))
                res = get_rate(port, count, {"KEZ_BENCH_PATHS": os.path.join(work, "names.txt"),
                                             "KEZ_BENCH_PREFIX": "/v1/u/"}, seconds)
                res["target"] = target
                res["round"] = r + 1
                rounds.append(res)
                log("  round %d %-5s %9.0f req/s  p50 %s ms  p99 %s ms  non-2xx %d %s" % (
                    r + 1, target, res["rps"], fmt(res["p50"]), fmt(res["p99"]), res["non2xx"], res["socket_errors"]))
                if target == "kez":
                    results.setdefault("memory_load", s.memory())
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(10)
        results["lookup_rounds"] = [{k: v for k, v in x.items() if k != "raw"} for x in rounds]

        # --- registrations at 100 000 --------------------------------------
        # Each round is followed at once by its own `openssl speed` sample:
        # this machine's speed drifts within minutes, and a ratio is only as
        # good as the two figures being taken in the same conditions.
        log("registrations ...")
        results["registration_rounds"] = []
        for rnd in range(args.rounds):
            reg = registration_rate(s, work, "r%d" % rnd, seconds)
            sample_openssl_verify(results)
            reg = {k: v for k, v in reg.items() if k != "raw"}
            reg["openssl_verify_per_s"] = results["openssl_verify_samples"][-1]
            results["registration_rounds"].append(reg)
            log("  round %d: %.0f durable registrations/s (p50 %s ms, p99 %s ms), openssl verify %.0f/s" % (
                rnd + 1, reg["durable_per_s"], fmt(reg["p50"]), fmt(reg["p99"]), reg["openssl_verify_per_s"]))
        s.stop()

        # --- growth: 1 000 and `big` handles, both up, rounds alternating ---
        growth, servers = {}, {}
        for size in (1000, big):
            g = servers[size] = Server(work, "growth%d" % size)
            log("growth: filling %d handles ..." % size)
            fill(g, work, "g%d" % size, size)
            with open(os.path.join(work, "gnames%d.txt" % size), "w") as f:
                f.write("\n".join(handles_of(g)))
            growth[size] = {"handles": entries(g.db), "rounds": []}
        os.sync()
        for rnd in range(2):
            for size, g in servers.items():
                lk = get_rate(g.port, g.answered_200, {"KEZ_BENCH_PATHS": os.path.join(work, "gnames%d.txt" % size),
                                                       "KEZ_BENCH_PREFIX": "/v1/u/"}, seconds)
                rg = registration_rate(g, work, "q%d-%d" % (size, rnd), seconds)
                growth[size]["rounds"].append((lk["rps"], lk["p99"], rg["durable_per_s"]))
                log("  %d handles, round %d: %.0f lookups/s, %.0f registrations/s" % (
                    size, rnd + 1, lk["rps"], rg["durable_per_s"]))
        for size, g in servers.items():
            xs = growth[size]["rounds"]
            growth[size].update({"lookup_rps": sum(x[0] for x in xs) / len(xs),
                                 "lookup_p99": sum(x[1] or 0 for x in xs) / len(xs),
                                 "registrations_per_s": sum(x[2] for x in xs) / len(xs), "memory": g.memory(),
                                 "db_bytes": os.path.getsize(g.db)})
            g.stop()
            os.unlink(g.db)
        results["growth"] = growth
        bench_writes.run(work, seconds, args.quick, results)
    finally:
        subprocess.run(["rm", "-rf", work])
    if not args.writes_only:
        report(results)


def report(r):
    import bench_writes
    if "lookup_rounds" not in r:  # --writes-only: printed, RESULTS.md left as it is
        lines = []
        bench_writes.report(r, lines.append, fmt)
        print("\n".join(lines))
        return
    kez = [x for x in r["lookup_rounds"] if x["target"] == "kez"]
    ngx = [x for x in r["lookup_rounds"] if x["target"] == "nginx"]
    avg = lambda xs, k: sum(x[k] for x in xs) / len(xs)
    kez_rps, ngx_rps = avg(kez, "rps"), avg(ngx, "rps")
    kez_p99, ngx_p99 = avg(kez, "p99"), avg(ngx, "p99")
    kez_p50, ngx_p50 = avg(kez, "p50"), avg(ngx, "p50")
    g = r["growth"]
    sizes = sorted(g, key=int)
    small, big = g[sizes[0]], g[sizes[-1]]
    lines = []
    w = lines.append
    w("# Benchmark results")
    w("")
    w("Made by `make bench` (bench/bench.py): wrk on loopback, %d s a run, server and reference "
      "measured in the same run." % r["seconds"])
    w("")
    w("- date: %s" % r["date"])
    w("- machine: %s" % r["machine"])
    w("- load average at the start: %.2f %.2f %.2f (other work on the machine shares its cores)" % tuple(r["load"]))
    w("- commit: %s" % r["commit"])
    w("")
    w(WINDOW_NOTE)
    w("")
    w("## Lookups: `GET /v1/u/:handle`, %d handles, random existing handles" % r["handles"])
    w("")
    w("wrk -t2 -c100; nginx serves the identical response bytes as static files under the same paths "
      "(%d worker processes, access log off, sendfile on); rounds alternate." % CPUS)
    w("")
    w("| round | target | requests/s | p50 ms | p99 ms |")
    w("|---|---|---|---|---|")
    for x in r["lookup_rounds"]:
        w("| %d | %s | %.0f | %s | %s |" % (x["round"], x["target"], x["rps"], fmt(x["p50"]), fmt(x["p99"])))
    w("")
    w("| | kez-chat-server | nginx | ratio (kez/nginx) | target |")
    w("|---|---|---|---|---|")
    w("| requests/s (mean) | %.0f | %.0f | **%.2f×** | ≥ 1.5× |" % (kez_rps, ngx_rps, kez_rps / ngx_rps))
    w("| p50 ms (mean) | %s | %s | %.2f× | |" % (fmt(kez_p50), fmt(ngx_p50), kez_p50 / ngx_p50))
    w("| p99 ms (mean) | %s | %s | **%.2f×** | ≤ 2× |" % (fmt(kez_p99), fmt(ngx_p99), kez_p99 / ngx_p99))
    w("")
    ed = r["ed25519"]
    w("## Ed25519 implementations (one core, same process, same 180-byte message)")
    w("")
    w("`build/release/ed25519-speed`: OpenSSL 3 EVP (a key object per verification, as a server must) and "
      "libsodium (`crypto_sign_ed25519_verify_detached` / `_detached`). The project uses the faster one "
      "behind `common/kez/ed25519.h`.")
    w("")
    w("| operation | OpenSSL /s | libsodium /s | libsodium / OpenSSL |")
    w("|---|---|---|---|")
    for op in ("verify", "sign"):
        o, n = ed[("openssl", op)], ed[("libsodium", op)]
        w("| %s | %.0f | %.0f | **%.2f×** |" % (op, o, n, n / o))
    w("")
    w("## Registrations: `POST /v1/register`")
    w("")
    w("wrk -t2 -c64 posting pre-generated envelopes (`kezctl envelopes`, fresh keys) to the server of the "
      "lookups (%d handles); durable = registry entries added (each 201 is sent after its LMDB commit is "
      "synced) per second. Each round is followed at once by an `openssl speed ed25519` verify "
      "measurement (one core): the reference of that round." % r["handles"])
    w("")
    w("| round | durable registrations/s | p50 ms | p99 ms | `openssl speed ed25519` verify/s (1 core) | ratio |")
    w("|---|---|---|---|---|---|")
    rr = r["registration_rounds"]
    for i, x in enumerate(rr):
        w("| %d | %.0f | %s | %s | %.0f | %.2f× |" % (i + 1, x["durable_per_s"], fmt(x["p50"]), fmt(x["p99"]),
                                                 x["openssl_verify_per_s"],
                                                 x["durable_per_s"] / x["openssl_verify_per_s"]))
    reg_mean = sum(x["durable_per_s"] for x in rr) / len(rr)
    ssl_mean = sum(x["openssl_verify_per_s"] for x in rr) / len(rr)
    w("")
    w("| (means) | durable registrations/s | `openssl speed ed25519` verify/s | ratio | target |")
    w("|---|---|---|---|---|")
    w("| %d rounds | %.0f | %.0f | **%.2f×** | ≥ 1.5× |" % (len(rr), reg_mean, ssl_mean, reg_mean / ssl_mean))
    w("")
    xs = r.get("openssl_verify_samples", [])
    w("The ratios of the sections below use the mean of all %d `openssl speed` measurements of this run "
      "(%s)." % (len(xs), ", ".join("%.0f" % x for x in xs)))
    w("")
    bench_writes.report(r, w, fmt)
    w("## Growth")
    w("")
    w("Two servers up at once, filled through the API to the handles below; %d alternating rounds of lookups "
      "(random registered handles, wrk -t2 -c100) and registrations (fresh envelopes, wrk -t2 -c64) on each; "
      "means of the rounds (each in brackets)." % len(small["rounds"]))
    w("")
    w("| handles | lookups/s | lookup p99 ms | registrations/s | registry file |")
    w("|---|---|---|---|---|")
    for s in sizes:
        x = g[s]
        w("| %d | %.0f (%s) | %s | %.0f (%s) | %.0f MiB |" % (
            x["handles"], x["lookup_rps"], ", ".join("%.0f" % y[0] for y in x["rounds"]), fmt(x["lookup_p99"]),
            x["registrations_per_s"], ", ".join("%.0f" % y[2] for y in x["rounds"]), x["db_bytes"] / 1048576))
    w("")
    w("| ratio %s / %s handles | lookups **%.2f×** (target ≥ 0.9×) | registrations **%.2f×** (target ≥ 0.8×) |" % (
        sizes[-1], sizes[0], big["lookup_rps"] / small["lookup_rps"],
        big["registrations_per_s"] / small["registrations_per_s"]))
    w("|---|---|---|")
    w("")
    w("## Memory (RSS, KiB)")
    w("")
    w("\"private\" leaves out file-backed pages (the shared LMDB map and the binary); target: worker ≤ 8 MiB.")
    w("")
    w("| process | at rest: total / private | under lookup load: total / private | %s handles: total / private |" % sizes[-1])
    w("|---|---|---|---|")
    for name in r["memory_rest"]:
        a = r["memory_rest"][name]
        b = r["memory_load"].get(name, (0, 0))
        c = big["memory"].get(name, (0, 0))
        w("| %s | %d / %d | %d / %d | %d / %d |" % (name, a[0], a[1], b[0], b[1], c[0], c[1]))
    w("")
    text = "\n".join(lines) + "\n"
    notes = os.path.join(BENCH, "NOTES.md")
    if os.path.exists(notes):
        text += "\n" + open(notes).read()
    with open(os.path.join(BENCH, "RESULTS.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
