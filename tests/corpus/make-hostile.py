#!/usr/bin/env python3
"""Writes hostile.jsonl: malformed and hostile requests, each with the status calltray must
answer. Run from anywhere; the output sits beside this script. Each line is one JSON object:
{"why": ..., "status": N, "request": "<raw HTTP request>"}."""
import json, os

GOOD = {"callid": "H1", "type": "incoming", "caller": "5145551212", "callee": "100"}
cases = []

def q(params):
    return "&".join(f"{k}={v}" for k, v in params)

def req(method, target, headers=(), body=b"", version="HTTP/1.1"):
    lines = [f"{method} {target} {version}", "Host: calltray.test", "Connection: close"]
    lines += list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head + body.decode("latin-1")

def add(why, status, method="GET", target="/init", headers=(), body=b"", version="HTTP/1.1"):
    cases.append({"why": why, "status": status, "request": req(method, target, headers, body, version)})

def with_param(name, value, path="/init"):
    params = [(k, (value if k == name else v)) for k, v in GOOD.items()]
    return f"{path}?{q(params)}"

# Bad percent-encoding and invalid UTF-8 in each parameter.
for name in ["callid", "type", "caller", "callee"]:
    for bad in ["%", "%4", "%zz", "%G1", "12%", "%%41"]:
        add(f"bad percent-encoding in {name}: {bad}", 400, target=with_param(name, bad))
    for bad in ["%ff", "%c3%28", "%e2%82", "%80", "%ed%a0%80"]:
        add(f"invalid UTF-8 in {name}: {bad}", 400, target=with_param(name, bad))
# Control, invisible and direction characters in ids and numbers.
for name in ["callid", "caller", "callee"]:
    for bad in ["%00", "%07", "%0a", "%0d", "%1b", "%7f", "%c2%85"]:
        add(f"control character {bad} in {name}", 400, target=with_param(name, "1" + bad + "2"))
    for bad in ["%E2%80%AE", "%E2%80%8B", "%E2%80%A8", "%E2%80%A9", "%EF%BB%BF", "%E2%81%A6", "%D8%9C", "%C2%AD"]:
        add(f"invisible or bidi character {bad} in {name}", 400, target=with_param(name, "514" + bad + "5551212"))
# Markup in numbers.
for name in ["caller", "callee"]:
    for bad in ["%3Cb%3E1%3C%2Fb%3E", "1%26amp%3B", "1%22", "1%27", "%3E1", "%3Ca+href%3D%27x%27%3E1"]:
        add(f"markup in {name}", 400, target=with_param(name, bad))
# Unknown directions.
for bad in ["sideways", "in", "out", "incomingx", "INCOMING%00", "1", "%20", "%E2%80%AEincoming", "incoming%0a"]:
    add(f"type {bad}", 400, target=with_param("type", bad))
# Durations.
for bad in ["-1", "1.5", "1e3", "0x10", "%2B5", "99999999999", "604801", "abc", "5%20s", "%E2%80%8B5", "-0"]:
    add(f"duration {bad}", 400, target=with_param("callid", "H1", "/ended") + f"&duration={bad}")
# Missing and empty parameters, on each path.
for path in ["/init", "/answered", "/ended"]:
    for name in ["callid", "type", "caller", "callee"]:
        params = [(k, v) for k, v in GOOD.items() if k != name]
        add(f"{name} missing on {path}", 400, target=f"{path}?{q(params)}")
    add(f"empty callid on {path}", 400, target=with_param("callid", "", path))
    add(f"blank type on {path}", 400, target=with_param("type", "+++", path))
    add(f"no parameters on {path}", 400, target=path)
# The same parameter twice with different values.
for name, other in [("callid", "H2"), ("type", "outgoing"), ("caller", "1"), ("callee", "101")]:
    add(f"{name} twice", 400, target=with_param("callid", "H1") + f"&{name}={other}")
add("a parameter with no name", 400, target=with_param("callid", "H1") + "&=x")
add("too many parameters", 400, target=with_param("callid", "H1") + "".join(f"&p{i}=1" for i in range(70)))
# Oversized values.
add("callid of 129 characters", 400, target=with_param("callid", "x" * 129))
add("callid of 2000 characters", 400, target=with_param("callid", "x" * 2000))
add("caller of 65 characters", 400, target=with_param("caller", "1" * 65))
add("callee of 500 characters", 400, target=with_param("callee", "1" * 500))
add("parameter name of 100 characters", 400, target=with_param("callid", "H1") + "&" + "n" * 100 + "=1")
add("extra value of 600 characters", 400, target=with_param("callid", "H1") + "&note=" + "v" * 600)
add("URL over 8 KiB", 414, target=with_param("callid", "H1") + "&pad=" + "p" * 9000)
# Methods.
for method in ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "get", "FOO"]:
    add(f"method {method} on a callback path", 405, method=method, target=with_param("callid", "H1"))
for method in ["POST", "PUT", "DELETE"]:
    add(f"method {method} on /health", 405, method=method, target="/health")
# Paths that are not callback paths.
for path in ["/", "/init/", "/INIT", "/init/../init", "//init", "/%69nit", "/health/", "/inits", "/ended.php",
             "/0123456789abcdef0123456789abcdef/init", "/admin", "/init;x", "/init%00", "/.env", "/init/extra",
             "*", "/..%2f..%2fetc%2fpasswd", "/answered/", "/%2e%2e/init", "/init#frag"]:
    add(f"path {path}", 404, target=path + "?" + q(GOOD.items()))
for method in ["PUT", "DELETE"]:
    add(f"{method} on an unknown path", 404, method=method, target="/nowhere")
# Bodies.
form = ["Content-Type: application/x-www-form-urlencoded"]
for ctype in ["application/json", "text/plain", "multipart/form-data; boundary=x", "application/xml", "text/html"]:
    add(f"body of type {ctype}", 415, method="POST", target="/init", headers=[f"Content-Type: {ctype}"], body=b"callid=H1")
add("a body with no content type", 415, method="POST", target="/init", body=b"callid=H1")
add("a body over 16 KiB", 413, method="POST", target="/init", headers=form, body=b"a=" + b"x" * 17000)
add("a declared body over 16 KiB", 413, method="POST", target="/init",
    headers=form + ["Content-Length: 999999999"])
add("invalid UTF-8 in a form body", 400, method="POST", target="/init", headers=form, body=b"callid=\xff\xfe")
add("bad percent-encoding in a form body", 400, method="POST", target="/init", headers=form,
    body=("&".join(f"{k}={v}" for k, v in GOOD.items()) + "&x=%zz").encode())
add("the body contradicts the query", 400, method="POST", target="/init?callid=H1", headers=form,
    body=b"callid=H2&type=incoming&caller=1&callee=100")
add("markup in a form body", 400, method="POST", target="/init", headers=form,
    body=b"callid=H1&type=incoming&caller=%3Cscript%3E&callee=100")
# Valid-looking requests that must still be accepted: the corpus is not only refusals.
add("extra parameters with markup are kept, not shown", 200, target=with_param("callid", "H1") + "&note=%3Cb%3Ehi%3C%2Fb%3E")
add("HTTP/1.0", 200, target=with_param("callid", "H3"), version="HTTP/1.0")
add("many headers", 200, target=with_param("callid", "H4"), headers=[f"X-Pad-{i}: {i}" for i in range(60)])
add("another extension", 200, target=with_param("callee", "200"))
add("an empty caller is a withheld number", 200, target=with_param("caller", ""))
add("unicode extra parameter", 200, target=with_param("callid", "H5") + "&nom=Andr%C3%A9+%F0%9F%93%9E")

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "hostile.jsonl"), "w", encoding="utf-8") as out:
    for case in cases:
        out.write(json.dumps(case, ensure_ascii=True) + "\n")
print(f"{len(cases)} cases")
