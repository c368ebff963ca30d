#!/usr/bin/env python3
"""The index cache (docs/cli.md, "Index cache"): answers from a cached index
equal answers from indexing; damaged, truncated or stale cache files are
rebuilt, never trusted; --no-cache writes nothing; `index` then `info` hits.

    test_cache.py TRACEVIEW GEN_TRACE TRACE...

Every run uses its own temporary cache directory (XDG_CACHE_HOME and
--cache-dir), so nothing depends on what earlier runs left behind.
"""
import json, os, shutil, subprocess, sys, tempfile, time

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

        # serve: the option is accepted (the API suite covers serving).
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
