#!/usr/bin/env python3
"""An attack pass against a running gateway on loopback (./gateway up, or any local instance): hostile requests of the
kinds the hardening issue lists, bounded (a few hundred requests), each with the answer it must get. Prints a table and
exits 1 if anything was accepted that must be refused, or answered 5xx. Usage: attack_pass.py [base-url] [keys.json]"""
import base64, hashlib, hmac, json, os, socket, sys, time, urllib.request, urllib.error

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:7071"
KEYS = json.load(open(sys.argv[2] if len(sys.argv) > 2 else "data/demo/keys.json"))
SPEC_A = open("data/demo/settlement-A.json", encoding="utf-8").read()
results, bad = [], 0

def nid(p): return f"{p}-{os.urandom(8).hex()}"

def body_a(id_, change=None):
    o = json.loads(SPEC_A.replace("__ID__", id_))
    if change: change(o)
    return o

def sign(method, target, data, key="k-H440300001", secret=None):
    ts, n = str(int(time.time())), os.urandom(16).hex()
    msg = f"{method}\n{target}\n{ts}\n{n}\n{hashlib.sha256(data).hexdigest()}".encode()
    sig = base64.b64encode(hmac.new((secret or KEYS[key]).encode(), msg, hashlib.sha256).digest()).decode()
    return {"X-Gateway-Key-Id": key, "X-Gateway-Timestamp": ts, "X-Gateway-Nonce": n, "X-Gateway-Signature": sig}

def raw(method, target, data=b"", headers=None, sign_target=None, signed=True):
    """Sends the request line exactly as given (no client-side normalisation)."""
    h = {"Host": BASE.split("//")[1], "Connection": "close"}
    if signed: h.update(sign(method, sign_target or target, data))
    h.update(headers or {})
    if data or method == "POST": h.setdefault("Content-Length", str(len(data)))
    host, port = BASE.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall((f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode() + data)
        resp = b""
        while chunk := s.recv(65536): resp += chunk
    head, _, rest = resp.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest.decode("utf-8", "replace")

def check(what, status, text, allowed):
    global bad
    ok = status in allowed
    internal = any(x in text for x in ("Gateway.", "System.", "Newtonsoft", "Exception", "RequestId"))
    if not ok or internal or status >= 500: bad += 1
    results.append((what, status, "ok" if ok and not internal else ("LEAK " if internal else "") + "UNEXPECTED"))

def submit(what, obj_or_bytes, allowed, ctype="application/json", **kw):
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes, ensure_ascii=False).encode()
    s, t = raw("POST", "/api/v1/settlements", data, {"Content-Type": ctype, **kw.pop("headers", {})}, **kw)
    check(what, s, t, allowed)

def setp(path, value):
    def f(o):
        cur = o
        for k in path[:-1]: cur = cur[k]
        cur[path[-1]] = value
    return f

R400, R415, R422 = {400}, {415}, {422}
# 1. types coerced
for v in (12345678, True, 1.5, None, [], {}): submit(f"hospitalSettlementId={v!r}", body_a("x", setp(["hospitalSettlementId"], v)), R400 | (R422 if v is None else set()))
for v in (123, True): submit(f"memberId={v!r}", body_a(nid("t"), setp(["member", "memberId"], v)), R400)
for v in (1, 123, "true", 0, "false", None): submit(f"emergency={v!r}", body_a(nid("t"), setp(["encounter", "emergency"], v)), R400)
for v in (123, "true", 1): submit(f"trial={v!r}", body_a(nid("t"), setp(["trial"], v)), R400)
for k, v in (("itemCode", True), ("itemCode", 1), ("lineNo", "1"), ("lineNo", 1.5), ("lineNo", 1e30), ("name", 5)):
    submit(f"line {k}={v!r}", body_a(nid("t"), lambda o, k=k, v=v: o["encounter"]["lines"][0].__setitem__(k, v)), R400)
# 2. implausible
for a, d in (("1996-05-01", "2026-05-09"), ("0001-01-01", "0001-01-02"), ("2026-05-09", "2026-05-01"), ("1899-12-31", "1900-01-02"), ("2026-05-01", "2099-01-01")):
    submit(f"stay {a}..{d}", body_a(nid("d"), lambda o, a=a, d=d: o["encounter"].update(admissionDate=a, dischargeDate=d)), R422)
submit("special outpatient with two dates", body_a(nid("d"), lambda o: o["encounter"].update(encounterType="specialOutpatient", specialDiseaseCode="I10", visitDate="2026-05-09")), R422)
submit("inpatient with a visitDate", body_a(nid("d"), lambda o: o["encounter"].update(visitDate="2026-05-09")), R422)
for dx in ("I21.9' OR 1=1--", "I21.9\u0000", "<script>", "i21.9", "I2", "I21.9" + "0" * 30, "../../etc"):
    submit(f"diagnosis {dx!r}", body_a(nid("dx"), setp(["encounter", "diagnoses"], [dx])), R400 | R422)
for k, v in (("lineNo", -5), ("lineNo", 0), ("lineNo", 100000), ("quantity", "0.0000000000000000000000000001"), ("quantity", "-1"), ("amount", "250.001"), ("unitPrice", "-1"), ("quantity", "1e3")):
    submit(f"line {k}={v}", body_a(nid("l"), lambda o, k=k, v=v: o["encounter"]["lines"][0].__setitem__(k, v)), R400 | R422)
# 3. a caller failing its own settlement
for n in (100_000, 5_000, 300, 21):
    submit(f"specialDiseaseCode of {n} chars", body_a(nid("sd"), setp(["encounter", "specialDiseaseCode"], "A" * n)), R400 | R422)
submit("name of 10,000 chars", body_a(nid("nm"), lambda o: o["encounter"]["lines"][0].__setitem__("name", "名" * 10000)), R400 | R422)
submit("25 diagnoses", body_a(nid("dx"), setp(["encounter", "diagnoses"], [f"I21.{i}" for i in range(25)])), R422)
# 4. encodings
good = json.dumps(body_a(nid("e")), ensure_ascii=False).encode()
bad_utf8 = good.replace(b"Aspirin", b"Asp\xc3\x28rin")
submit("invalid UTF-8 in a name", bad_utf8, R415)
submit("UTF-16 body", json.dumps(body_a(nid("e"))).encode("utf-16-le"), R415)
submit("UTF-16 with BOM", json.dumps(body_a(nid("e"))).encode("utf-16"), R415)
submit("UTF-8 BOM", b"\xef\xbb\xbf" + good, R415)
for ct in ("application/jsonpx", "application/json-seq", "text/json", "text/plain", "application/json; charset=latin1", "application/json;charset=utf-8;x=1", ""):
    submit(f"content type {ct!r}", json.dumps(body_a(nid("ct"))).encode(), R415 | ({411} if ct == "" else set()), ctype=ct)
dup = good.replace(b'"amount": "250.00"', b'"amount": "1.00", "amount": "250.00"')
submit("duplicate key (amount 1.00 then 250.00)", dup, R400)
submit("duplicate top-level key", b'{"hospitalSettlementId":"a","hospitalSettlementId":"b"}', R400)
submit("comment in JSON", good.replace(b"{", b"{/*x*/", 1), R400)
submit("trailing garbage", good + b"xyz", R400)
submit("deep nesting", b"[" * 3000 + b"]" * 3000, R400)
submit("NaN amount", good.replace(b'"250.00"', b"NaN"), R400)
# 5. internals on the wire
for what, data in (("[]", b"[]"), ("lines {}", json.dumps(body_a(nid("i"), setp(["encounter", "lines"], {}))).encode()), ("null", b"null"), ("42", b"42"), ('"s"', b'"s"'), ("unknown field", json.dumps(body_a(nid("i"), setp(["x"], 1))).encode())):
    submit(f"body {what}", data, R400)
# 6. SSRF
for url in ("http://127.0.0.1:18765/cb", "https://127.0.0.1/", "https://localhost/", "https://169.254.169.254/latest/meta-data/", "https://[::1]/", "https://10.1.2.3/",
            "https://192.168.0.1/", "https://100.64.0.1/", "https://0.0.0.0/", "https://0x7f.1/", "https://2130706433/", "https://evil.example.com/", "http://his.szph.example.cn/",
            "https://his.szph.example.cn:22/", "https://his.szph.example.cn@evil.example.com/", "file:///etc/passwd", "gopher://x/"):
    submit(f"callbackUrl {url}", body_a(nid("cb"), setp(["callbackUrl"], url)), R422)
# 7. signing
data = json.dumps(body_a(nid("sg"))).encode()
s, t = raw("POST", "/api/v1/settlement%73", data, {"Content-Type": "application/json"}, sign_target="/api/v1/settlements"); check("path %73 signed as decoded", s, t, R400)
s, t = raw("POST", "/api/v1/settlement%73", data, {"Content-Type": "application/json"}); check("path %73 signed as sent", s, t, R400)
s, t = raw("POST", "/api/v1//settlements", data, {"Content-Type": "application/json"}); check("double slash", s, t, {400, 404})
s, t = raw("POST", "/api/v1/./settlements", data, {"Content-Type": "application/json"}); check("dot segment", s, t, {400, 404})
s, t = raw("GET", "/api/v1/settlements?from=2026-05-01&to=2026-05-31&x=%7e"); check("query with lower-case/needless escape", s, t, R400)
s, t = raw("GET", "/api/v1/settlements?from=2026-05-01&to=2026-05-31"); check("canonical query signed as sent", s, t, {200})
s, t = raw("POST", "/api/v1/settlements", data, {"Content-Type": "application/json"}, signed=False); check("unsigned", s, t, {401})
# 8. forged queue messages, internal routes
forged = json.dumps({"schemaVersion": 1, "kind": "cancel", "settlementId": "H440300001~x"}).encode()
for m, path in (("POST", "/api/internal/dispatch"), ("POST", "/admin/host/queues/eval-requests-511300/wake"), ("GET", "/admin/host/queues"), ("POST", "/EvaluateHome511300"), ("POST", "/ApplyReply")):
    s, t = raw(m, path, forged if m == "POST" else b"", {"Content-Type": "application/json"}, signed=False); check(f"{m} {path} unsigned", s, t, {401, 404, 405})
# 9. health
s, t = raw("GET", "/api/v1/health", signed=False); check("health says only up/down", s, t if t.strip() in ('{"status":"up"}', '{"status":"down"}') else "UNEXPECTED BODY", {200, 503})
s, t = raw("GET", "/api/v1/diagnostics", signed=False); check("diagnostics unauthenticated", s, t, {401})

width = max(len(r[0]) for r in results)
for what, status, verdict in results: print(f"{what:<{width}}  {status}  {verdict}")
print(f"{len(results)} requests, {bad} unexpected")
sys.exit(1 if bad else 0)
