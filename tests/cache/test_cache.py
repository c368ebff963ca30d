#!/usr/bin/env python3
"""The index cache (docs/cli.md, "Index cache"): answers from a cached index
equal answers from indexing; damaged, truncated or stale cache files are
rebuilt, never trusted; --no-cache writes nothing; `index` then `info` hits.
`serve`: tiles served from a cache file (LOD pyramids loaded) equal tiles
from indexing, byte for byte; a first open is served before its cache file
is written (in the background, after ready); SIGINT during that save leaves
no file behind; a --watch re-index is cached the same way.

    test_cache.py TRACEVIEW GEN_TRACE TRACE...

Every run uses its own temporary cache directory (XDG_CACHE_HOME and
--cache-dir), so nothing depends on what earlier runs left behind.
"""
import http.client, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time

failed = passed = 0


def check(ok, what, detail=""):
    global failed, passed
    if ok:
        passed += 1
        print("ok      " + what)
    else:
        failed += 1
        print("FAILED  %s %s" % (what, detail))


class Tv:
    def __init__(self, tv, env):
        self.tv, self.env = tv, env

    def run(self, args, check_rc=True):
        p = subprocess.run([self.tv] + args, capture_output=True, text=True, env=self.env,
                           timeout=300)
        if check_rc and p.returncode != 0:
            raise RuntimeError("%s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def info(self, path, *extra):
        return json.loads(self.run(["info", path, "--json", "--quiet"] + list(extra)).stdout)

    def answers(self, path, *extra):
        """everything the cache must reproduce: info (minus timings and the
        cache block), summary by name, the folded flame graph"""
        info = self.info(path, *extra)
        cache = info.pop("cache")
        info.pop("index")
        summ = json.loads(self.run(["summary", path, "--json", "--group-by", "name", "--top",
                                    "0", "--quiet"] + list(extra)).stdout)
        folded = self.run(["flamegraph", path, "--folded", "--quiet"] + list(extra)).stdout
        return cache, (info, summ, folded)


def files_in(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def round_trip(tv, path, cache_dir):
    name = os.path.basename(path)
    before = files_in(cache_dir)
    tmp_before = files_in(tv.env["TMPDIR"])
    _, plain = tv.answers(path, "--no-cache")
    check(files_in(cache_dir) == before and files_in(tv.env["TMPDIR"]) == tmp_before,
          name + ": --no-cache writes nothing", files_in(cache_dir))
    c1, first = tv.answers(path)   # info misses and saves; summary, flamegraph hit
    c2, second = tv.answers(path)  # every command hits
    check(not c1["hit"] and c1["path"] and os.path.exists(c1["path"]),
          name + ": first open indexes and saves", c1)
    check(c2["hit"] and c2["path"] == c1["path"], name + ": second open hits", c2)
    for what, a, b, c in zip(("info", "summary", "flamegraph --folded"), plain, first, second):
        check(a == b == c, "%s: %s equal with and without the cache" % (name, what))
    # Warnings (e.g. a truncated trace) are replayed from the cache.
    e1 = tv.run(["info", path, "--no-cache"]).stderr
    e2 = tv.run(["info", path]).stderr
    check(e1 == e2, name + ": the same warnings from the cache", (e1, e2))
    return c1["path"], plain


def expect_rebuild(tv, path, plain, what):
    c, got = tv.answers(path)
    check(not c["hit"], what + ": rebuilt (cache.hit false)", c)
    check(got == plain, what + ": correct answers after the rebuild")
    c, _ = tv.answers(path)
    check(c["hit"], what + ": the rewritten cache hits again", c)


# ---- serve: tiles from the cache, saving after ready, shutdown, --watch

class Server:
    """`traceview serve` on a free loopback port; ready when it prints its
    "serving" line (the trace is indexed and served)."""

    def __init__(self, tv, trace, *args, env=None):
        self.p = subprocess.Popen([tv.tv, "serve", trace, "--port", "0"] + list(args),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=dict(tv.env, **(env or {})))
        self.port = None
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.p.stdout.readline()
            if not line:
                break
            m = re.search(r"serving .* at http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
        self.err = []
        threading.Thread(target=self.p.stdout.read, daemon=True).start()
        threading.Thread(target=lambda: self.err.append(self.p.stderr.read()), daemon=True).start()
        if self.port is None:
            self.p.kill()
            raise RuntimeError("serve did not start")
        st, traces = self.get("/api/traces")
        self.id = json.loads(traces)["traces"][0]["id"]

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self, sig=signal.SIGINT):
        t0 = time.time()
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        return rc, time.time() - t0


def tile_paths(srv):
    """every track's tiles at several levels (a few indexes each), /meta and
    /overview"""
    base = "/api/traces/%s" % srv.id
    st, body = srv.get(base + "/meta")
    meta = json.loads(body)
    paths = [base + "/meta", base + "/overview?buckets=512"]
    top = meta["max_level"]
    for proc in meta["processes"]:
        for t in proc["tracks"]:
            for level in range(top, max(-1, top - 24), -3):
                n = min(4, (meta["duration_ns"] >> (level + 8)) + 1)
                for i in range(n):
                    paths.append(base + "/tile?track=%d&level=%d&index=%d" % (t["track"], level, i))
    return paths


def wait_for(cond, secs):
    deadline = time.time() + secs
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def serve_checks(tv, work, gen, local):
    cache = os.path.join(work, "serve-cache")
    xdg = {"XDG_CACHE_HOME": os.path.join(work, "serve-xdg")}

    # Tiles (and meta, overview) served from a cache file, pyramids loaded,
    # equal tiles served from a fresh index, byte for byte.
    for path in (local[-1], local[2]):
        name = os.path.basename(path)
        srv = Server(tv, path, "--no-cache", env=xdg)
        paths = tile_paths(srv)
        fresh = [srv.get(q) for q in paths]
        srv.stop()
        tv.run(["index", path, "--cache-dir", cache, "--quiet"])
        srv = Server(tv, path, "--cache-dir", cache, env=xdg)
        cached = [srv.get(q) for q in paths]
        srv.stop()
        check(len(paths) > 20 and all(st == 200 for st, _ in fresh),
              "%s: %d tiles served from a fresh index" % (name, len(paths)))
        bad = [q for q, a, b in zip(paths, fresh, cached) if a != b]
        check(not bad, "%s: tiles from the cache (pyramids loaded) equal tiles from indexing, "
              "byte for byte" % name, bad[:3])

    # A first open is served before its cache file is written; the file
    # comes later, whole (never a partial file under the final name).
    first = os.path.join(work, "serve-first.json")
    shutil.copyfile(local[-1], first)
    before = files_in(cache)
    srv = Server(tv, first, "--cache-dir", cache, env={"TRACEVIEW_TEST_SAVE_DELAY_MS": "1500"})
    new = [f for f in files_in(cache) if f not in before]
    check(not [f for f in new if f.endswith(".tvidx")],
          "serve is ready before the cache file is written", new)
    st, _ = srv.get("/api/traces/%s/tile?track=0&level=30&index=0" % srv.id)
    check(st == 200, "tiles answer while the cache is being saved", st)
    saved = lambda: [f for f in files_in(cache) if f not in before]
    check(wait_for(lambda: any(f.endswith(".tvidx") for f in saved()) and
                   not any(f.endswith(".tmp") for f in saved()), 60),
          "the cache file is written after the trace is served", saved())
    rc, _ = srv.stop()
    check(rc == 0, "serve stops cleanly after a background save", rc)
    c = tv.info(first, "--cache-dir", cache)["cache"]
    check(c["hit"], "the cache written in the background hits", c)

    # Stopped during the background save: abandoned, its temporary file
    # removed, no cache file.
    second = os.path.join(work, "serve-second.json")
    shutil.copyfile(local[-1], second)
    before = files_in(cache)
    srv = Server(tv, second, "--cache-dir", cache, env={"TRACEVIEW_TEST_SAVE_DELAY_MS": "60000"})
    check(wait_for(lambda: any(f.endswith(".tmp") for f in files_in(cache) if f not in before), 30),
          "a background save writes a temporary file first")
    rc, secs = srv.stop()
    left = [f for f in files_in(cache) if f not in before]
    check(rc == 0 and secs < 10, "SIGINT during a background save stops at once", (rc, secs))
    check(not left, "SIGINT abandons the save: no temporary file, no cache file", left)

    # --watch: a re-indexed file is served first, then cached the same way.
    watched = os.path.join(work, "serve-watched.json")
    shutil.copyfile(local[-1], watched)
    srv = Server(tv, watched, "--watch", "--cache-dir", cache)
    cfile = lambda: [f for f in files_in(cache) if f not in before and f.endswith(".tvidx")]
    check(wait_for(lambda: len(cfile()) == 1, 60), "--watch: the first index is cached", cfile())
    first_stat = os.stat(os.path.join(cache, cfile()[0]))
    nxt = os.path.join(work, "serve-next.json")
    subprocess.run([gen, "--events", "20000", "--seed", "11", "-o", nxt], check=True,
                   capture_output=True, timeout=60)
    os.rename(nxt, watched)
    gen2 = lambda: json.loads(srv.get("/api/traces/%s/meta" % srv.id)[1])["generation"] == 2
    check(wait_for(gen2, 60), "--watch: the rewritten file is re-indexed")
    changed = lambda: (os.path.exists(os.path.join(cache, cfile()[0])) and
                       os.stat(os.path.join(cache, cfile()[0])).st_mtime_ns != first_stat.st_mtime_ns)
    check(wait_for(changed, 60), "--watch: the re-index is cached after it is served")
    rc, _ = srv.stop()
    c = tv.info(watched, "--cache-dir", cache)["cache"]
    check(rc == 0 and c["hit"], "--watch: the re-indexed file's cache hits", c)


def main():
    tv_bin, gen, traces = sys.argv[1], sys.argv[2], sys.argv[3:]
    work = tempfile.mkdtemp(prefix="tv-cache-")
    cache_dir = os.path.join(work, "xdg", "traceview")
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "xdg"),
               TMPDIR=os.path.join(work, "tmp"))
    os.makedirs(env["TMPDIR"])
    env.pop("TRACEVIEW_THREADS", None)
    tv = Tv(tv_bin, env)
    try:
        gen_path = os.path.join(work, "gen.json")
        subprocess.run([gen, "--events", "200000", "--seed", "7", "-o", gen_path], check=True,
                       capture_output=True, timeout=120)
        local = []
        for src in traces + [gen_path]:
            dst = os.path.join(work, "t-" + os.path.basename(src))
            if src != gen_path:
                shutil.copyfile(src, dst)
            else:
                os.rename(src, dst)
            local.append(dst)
        # A trace cut in the middle: truncated flag and warning come back.
        cut = os.path.join(work, "t-cut.json")
        with open(local[0], "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[:len(data) * 3 // 5])
        local.insert(1, cut)
        kept = {}
        for p in local:
            kept[p] = round_trip(tv, p, cache_dir)

        # Damage: one byte flipped in the middle, the tail cut, the header hit.
        target = local[-1]
        cfile, plain = kept[target]
        size = os.path.getsize(cfile)
        for what, damage in (
                ("a flipped byte in the payload", lambda b: b[:len(b) // 2] +
                 bytes([b[len(b) // 2] ^ 0x40]) + b[len(b) // 2 + 1:]),
                ("a flipped byte in the last chunk", lambda b: b[:-3] + bytes([b[-3] ^ 1]) + b[-2:]),
                ("a flipped byte in the header", lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:]),
                ("a truncated cache file", lambda b: b[:len(b) * 2 // 3]),
                ("a cache file cut to 10 bytes", lambda b: b[:10]),
                ("extra bytes after the cache", lambda b: b + b"\0" * 100),
                ("an empty cache file", lambda b: b"")):
            with open(cfile, "rb") as f:
                data = f.read()
            with open(cfile, "wb") as f:
                f.write(damage(data))
            expect_rebuild(tv, target, plain, what)
        check(os.path.getsize(cfile) == size, "the rebuilt cache file has its size again")

        # A changed trace: new content and mtime; then same size, same mtime.
        small = local[0]
        cfile_small, plain_small = kept[small]
        with open(small, "rb") as f:
            orig = f.read()
        st = os.stat(small)
        gen2 = os.path.join(work, "gen2.json")
        subprocess.run([gen, "--events", "3000", "--seed", "9", "-o", gen2], check=True,
                       capture_output=True, timeout=60)
        shutil.copyfile(gen2, small)
        _, plain2 = tv.answers(small, "--no-cache")
        expect_rebuild(tv, small, plain2, "a rewritten trace (touch + new content)")
        # Same size and same mtime, different bytes near the start: only the
        # content hash can tell.
        shutil.copyfile(gen2, small)
        with open(small, "rb") as f:
            b = bytearray(f.read())
        st2 = os.stat(small)
        i = b.index(b'"ts":') + 5
        while not chr(b[i]).isdigit():
            i += 1
        b[i] = ord("1") if b[i] != ord("1") else ord("2")
        with open(small, "wb") as f:
            f.write(b)
        os.utime(small, ns=(st2.st_atime_ns, st2.st_mtime_ns))
        check(os.path.getsize(small) == st2.st_size and os.stat(small).st_mtime_ns ==
              st2.st_mtime_ns, "same size and mtime after the edit")
        _, plain3 = tv.answers(small, "--no-cache")
        check(plain3 != plain2, "the edit changes the answers")
        expect_rebuild(tv, small, plain3, "same size and mtime, different content")
        with open(small, "wb") as f:
            f.write(orig)
        os.utime(small, ns=(st.st_atime_ns, st.st_mtime_ns))

        # `index` builds the cache; `info` then hits, in another directory.
        other = os.path.join(work, "other-cache")
        p = tv.run(["index", local[-1], "--cache-dir", other, "--quiet"])
        written = files_in(other)
        check(len(written) == 1 and written[0].endswith(".tvidx") and
              os.path.join(other, written[0]) in p.stdout, "index says where the cache went",
              p.stdout)
        check("indexed in" in p.stdout and "saved" in p.stdout, "index says how long it took",
              p.stdout)
        c = tv.info(local[-1], "--cache-dir", other)["cache"]
        check(c["hit"] and c["load_seconds"] > 0, "info after index hits", c)
        p = tv.run(["index", local[-1], "--cache-dir", other, "--quiet"])
        check("already cached" in p.stdout, "index again reuses the cache", p.stdout)
        txt = tv.run(["info", local[-1], "--cache-dir", other]).stdout
        check("loaded from the cache" in txt, "info text says the index came from the cache")
        txt = tv.run(["info", local[-1], "--no-cache"]).stdout
        check("not cached" in txt, "info text says --no-cache")
        before = files_in(other)
        tv.run(["info", local[-1], "--cache-dir", other, "--no-cache"])
        tv.run(["summary", local[-1], "--cache-dir", other, "--no-cache", "--quiet"])
        check(files_in(other) == before, "--no-cache with --cache-dir writes nothing")

        # An unwritable cache directory only warns.
        ro = os.path.join(work, "ro")
        os.makedirs(ro)
        os.chmod(ro, 0o500)
        if os.geteuid() != 0:  # root writes anyway
            p = tv.run(["info", local[0], "--cache-dir", ro, "--json"])
            check("could not save the index cache" in p.stderr, "an unwritable cache warns",
                  p.stderr)
        os.chmod(ro, 0o700)
        blocker = os.path.join(work, "not-a-dir")
        open(blocker, "w").close()
        p = tv.run(["info", local[0], "--cache-dir", blocker, "--json", "--quiet"])
        check(p.returncode == 0 and json.loads(p.stdout)["cache"]["hit"] is False,
              "a cache dir that is a file: still answers")

        # Bounded: at most 8 index files are kept.
        many = os.path.join(work, "many")
        for k in range(11):
            cp = os.path.join(work, "copy%d.json" % k)
            shutil.copyfile(local[0], cp)
            tv.run(["info", cp, "--cache-dir", many, "--quiet"])
            time.sleep(0.01)
        n = len([f for f in files_in(many) if f.endswith(".tvidx")])
        check(n == 8, "the cache keeps the 8 newest index files", n)
        c = tv.info(os.path.join(work, "copy10.json"), "--cache-dir", many)["cache"]
        check(c["hit"], "the newest one is kept", c)

        serve_checks(tv, work, gen, local)

        # serve: the options are accepted.
        p = tv.run(["serve", "--help"])
        check("--no-cache" in p.stdout and "--cache-dir" in p.stdout, "serve --help lists the options")
        p = tv.run(["info", "--cache-dir"], check_rc=False)
        check(p.returncode == 2, "--cache-dir without a value is a usage error", p.returncode)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
