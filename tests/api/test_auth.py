#!/usr/bin/env python3
"""Sharing on a network: a non-loopback --host needs the access token that the
printed share link carries; the token moves into an HttpOnly, SameSite=Strict
cookie; --token and --no-auth; loopback serving needs no token but keeps the
Host check. 127.0.0.2 stands for a non-loopback address (it is not 127.0.0.1,
so traceview treats it as shared) without leaving this machine.

    test_auth.py TRACEVIEW TRACE
"""
import http.client, json, re, subprocess, sys, time

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok      " + what)
    else:
        failed += 1
        print("FAILED  %s %s" % (what, detail))


def start(tv, trace, *args):
    p = subprocess.Popen([tv, "serve", trace, "--port", "0"] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    line = ""
    while time.time() < deadline:
        line = p.stdout.readline()
        if "serving" in line:
            break
    m = re.search(r"http://([0-9.]+):(\d+)/(\?token=(\S+))?", line)
    if not m:
        p.kill()
        sys.exit("no share URL in %r" % line)
    return p, m.group(1), int(m.group(2)), m.group(4)


def stop(p):
    p.terminate()
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    return err


def get(host, port, path, headers=None):
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", path, headers=dict({"Host": "%s:%d" % (host, port)}, **(headers or {})))
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def main():
    tv, trace = sys.argv[1], sys.argv[2]
    # 1. a shared address: token required
    p, host, port, token = start(tv, trace, "--host", "127.0.0.2", "--quiet")
    try:
        check(host == "127.0.0.2" and token and len(token) >= 32,
              "a non-loopback --host prints a share URL with a random token", token)
        st, _, body = get(host, port, "/api/traces?token=" + token)
        tid = json.loads(body)["traces"][0]["id"] if st == 200 else "x"
        paths = ["/", "/static/index.html", "/static/app.js", "/api/traces",
                 "/api/traces/%s/meta" % tid, "/api/traces/%s/tile?track=0&level=20&index=0" % tid,
                 "/api/traces/%s/stats" % tid, "/api/traces/%s/flamegraph" % tid]
        for path in paths:
            st, h, body = get(host, port, path)
            check(st == 401, "no token: %s -> 401" % path, st)
            st, h, body = get(host, port, path, {"Cookie": "tv_token=0123456789abcdef0123456789abcdef"})
            check(st == 401, "wrong token cookie: %s -> 401" % path, st)
        st, h, body = get(host, port, "/api/traces")
        check("error" in json.loads(body), "API 401 answers are JSON errors", body[:80])
        st, h, body = get(host, port, "/")
        check(b"share link" in body, "the 401 page says how to get in", body[:80])
        st, h, body = get(host, port, "/?token=" + token)
        cookie = h.get("set-cookie", "")
        check(st == 303 and h.get("location") == "/", "the token link redirects to the address without it",
              (st, h.get("location")))
        check(("tv_token=" + token) in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie,
              "the token moves into an HttpOnly, SameSite=Strict cookie", cookie)
        for path in paths:
            st, _, _ = get(host, port, path, {"Cookie": "other=1; tv_token=" + token})
            check(st == 200, "with the cookie: %s -> 200" % path, st)
        st, _, _ = get(host, port, "/api/traces", {"Cookie": "tv_token=" + token, "Host": "teammate-name:1"})
        check(st == 200, "with the token, teammates may use any name for the host", st)
    finally:
        stop(p)
    # 2. a chosen token
    p, host, port, token = start(tv, trace, "--host", "127.0.0.2", "--token", "team-token-1234", "--quiet")
    try:
        check(token == "team-token-1234", "--token sets the token", token)
        st, _, _ = get(host, port, "/api/traces?token=team-token-1234")
        check(st == 200, "--token: the chosen token opens the API", st)
    finally:
        stop(p)
    # 3. --no-auth: open, with a warning
    p, host, port, token = start(tv, trace, "--host", "127.0.0.2", "--no-auth")
    try:
        check(token is None, "--no-auth prints no token", token)
        st, _, _ = get(host, port, "/api/traces")
        check(st == 200, "--no-auth: no token needed", st)
    finally:
        err = stop(p)
    check("--no-auth" in err and "warning" in err, "--no-auth warns", err[-200:])
    # 4. loopback: no token, Host check kept
    p, host, port, token = start(tv, trace, "--quiet")
    try:
        check(host == "127.0.0.1" and token is None, "loopback serving prints no token", token)
        st, _, _ = get(host, port, "/api/traces")
        check(st == 200, "loopback: no token needed", st)
        st, _, _ = get(host, port, "/api/traces", {"Host": "evil.example"})
        check(st == 403, "loopback: a foreign Host is still refused", st)
    finally:
        stop(p)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
