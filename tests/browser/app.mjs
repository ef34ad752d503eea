// The test web app: one chat user in one page. Every step records its
// outcome in window.kez.results (read by the test) and in the list shown.
import { connect, nkeyAuthenticator, StringCodec } from "/vendor/nats.js";
import { createUser } from "/vendor/nkeys.mjs";
import canonicalize from "/vendor/canonicalize.js";

const params = new URLSearchParams(location.search);
const config = {
  handle: params.get("handle"),
  server: params.get("server"),
  api: params.get("api"),
  nats: params.get("nats"),
};
const results = {};
const sc = StringCodec();
const utf8 = (s) => new TextEncoder().encode(s);
const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
let user = null;   // { kp (nkeys), sign (tweetnacl), hex }
let chainUrl = null;
let sentEvent = null;
let nc = null;

const short = (hex) => hex.slice(0, 8) + "…";

// shown: a line a person can read; detail: everything, for the test
function record(step, ok, detail, shown) {
  results[step] = Object.assign({ ok }, detail);
  const li = document.createElement("li");
  li.className = ok ? "ok" : "fail";
  const name = document.createElement("span");
  name.className = "step";
  name.textContent = step + (ok ? " ✓ " : " ✗ ");
  li.append(name, shown === undefined ? JSON.stringify(detail) : shown);
  document.getElementById("steps").append(li);
  return results[step];
}

// Runs one step; a throw is recorded as that step's failure.
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    return record(name, false, { error: String(e && e.message || e) });
  }
}

function signed(kind, payload) {
  const sig = nacl.sign.detached(utf8(canonicalize(payload)), user.sign.secretKey);
  return { kez: kind, payload, signature: { alg: "ed25519-sha512-jcs", key: "ed25519:" + user.hex, sig: hexOf(sig) } };
}

async function sha256(text) {
  return "sha256:" + hexOf(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text))));
}

// A NATS user key (nkeys) whose raw seed is also the Ed25519 signing key
// (tweetnacl): one key for the registry, the sigchain and the broker.
const makeKey = () => step("key", async () => {
  const kp = createUser();
  const sign = nacl.sign.keyPair.fromSeed(kp.getRawSeed());
  user = { kp, sign, hex: hexOf(sign.publicKey) };
  const probe = utf8("same key?");
  const agree = kp.verify(probe, nacl.sign.detached(probe, sign.secretKey));
  document.getElementById("who").textContent = config.handle + "@" + config.server;
  return record("key", agree, { hex: user.hex, nkey: kp.getPublicKey() },
    "ed25519:" + short(user.hex) + " = nkey " + kp.getPublicKey().slice(0, 10) + "…");
});

const register = () => step("register", async () => {
  const envelope = signed("handle_registration", {
    type: "kez.chat.handle_registration", version: 1, handle: config.handle,
    primary: "ed25519:" + user.hex, server: config.server, created_at: now(),
  });
  const r = await fetch(config.api + "/v1/register", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(envelope),
  });
  const body = await r.json();
  chainUrl = body.sigchain_url || null;
  return record("register", r.status === 201, { status: r.status, type: r.type, record: body },
    "POST " + config.api + "/v1/register → " + r.status + " (" + r.type + ") " + (body.fqhn || body.error));
});

const appendAdd = (subject) => step("append", async () => {
  sentEvent = signed("sigchain_event", {
    type: "kez.sigchain.event", version: 1, chain: "ed25519:" + user.hex, seq: 1, prev: null,
    op: "add", created_at: now(), body: { subject },
  });
  const r = await fetch(chainUrl, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(sentEvent),
  });
  const answer = await r.json();
  return record("append", r.status === 201, { status: r.status, type: r.type, url: chainUrl, answer },
    "add " + subject + ": POST " + new URL(chainUrl).host + " → " + r.status + " (" + r.type + ") seq " + answer.seq);
});

const readChain = () => step("read", async () => {
  const r = await fetch(chainUrl);
  const doc = await r.json();
  const head = await sha256(canonicalize(sentEvent));
  const same = doc.events.length === 1 && canonicalize(doc.events[0]) === canonicalize(sentEvent);
  const ok = r.status === 200 && doc.length === 1 && doc.head === head && same;
  return record("read", ok, { status: r.status, length: doc.length, head: doc.head, expected_head: head, same_event: same },
    "GET → " + r.status + ", length " + doc.length + ", head " + (doc.head || "").slice(0, 15) + "… " + (doc.head === head ? "= ours" : "≠ ours " + head));
});

const connectNats = () => step("connect", async () => {
  nc = await connect({
    servers: config.nats, authenticator: nkeyAuthenticator(user.kp.getSeed()),
    inboxPrefix: "_INBOX." + user.hex, name: config.handle, timeout: 5000, reconnect: false,
  });
  await nc.flush();
  return record("connect", true, { server: nc.getServer(), inbox_prefix: "_INBOX." + user.hex },
    "ws://" + nc.getServer() + ", inbox prefix _INBOX." + short(user.hex));
});

// Own inbox: .hello is a message, .ping a request answered with pong:<data>.
const listen = () => step("listen", async () => {
  nc.subscribe("kez.inbox." + user.hex + ".>", {
    callback: (err, m) => {
      if (err) {
        record("inbox", false, { error: String(err) }, String(err));
      } else if (m.subject.endsWith(".hello")) {
        record("received", true, { subject: m.subject, data: sc.decode(m.data) },
          "\"" + sc.decode(m.data) + "\" on kez.inbox." + short(user.hex) + ".hello");
      } else if (m.subject.endsWith(".ping")) {
        const answer = "pong:" + sc.decode(m.data);
        const ok = m.respond(sc.encode(answer));
        record("answered", ok, { subject: m.subject, reply: m.reply, answer },
          "\"" + answer + "\" to " + m.reply.slice(0, 24) + "…");
      }
    },
  });
  await nc.flush();
  return record("listen", true, { subject: "kez.inbox." + user.hex + ".>" }, "kez.inbox." + short(user.hex) + ".>");
});

const hello = (peer, text) => step("hello", async () => {
  nc.publish("kez.inbox." + peer + ".hello", sc.encode(text));
  await nc.flush();
  return record("hello", true, { subject: "kez.inbox." + peer + ".hello", data: text },
    "\"" + text + "\" to kez.inbox." + short(peer) + ".hello");
});

const ping = (peer, text) => step("ping", async () => {
  const m = await nc.request("kez.inbox." + peer + ".ping", sc.encode(text), { timeout: 5000 });
  return record("ping", true, { answer: sc.decode(m.data) },
    "\"" + text + "\" to kez.inbox." + short(peer) + ".ping → \"" + sc.decode(m.data) + "\"");
});

// Another user's inbox is not ours to read: the broker must refuse.
const snoop = (peer) => step("snoop", async () => {
  const subject = "kez.inbox." + peer + ".>";
  const refused = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 3000);
    nc.subscribe(subject, { callback: (err) => { if (err) { clearTimeout(timer); resolve(String(err)); } } });
  });
  return record("snoop", refused !== null && /permission/i.test(refused), { subject, error: refused },
    "kez.inbox." + short(peer) + ".> refused: " + refused);
});

const close = () => step("close", async () => {
  await nc.drain();
  return record("close", true, {}, "drained");
});

document.getElementById("where").textContent = location.href;
window.kez = { config, results, makeKey, register, appendAdd, readChain, connectNats, listen, hello, ping, snoop, close,
  hex: () => user && user.hex };
