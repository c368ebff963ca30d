#!/usr/bin/env python3
"""Compressed input: the gzip and lz4 versions of a trace give the same index
as the plain file; a truncated stream loads its valid prefix with a warning; a
corrupt stream is an error (exit 1) naming the file. Compressed copies are
made here, at test time (python's gzip, the lz4 command).

    check_compressed.py TRACEVIEW TRACE...
"""
import gzip, json, os, shutil, subprocess, sys, tempfile

failed = passed = 0


def check(ok, what, detail=""):
    global failed, passed
    if ok:
        passed += 1
        print("ok      " + what)
    else:
        failed += 1
        print("FAILED  %s %s" % (what, detail))


def run(tv, args, env):
    return subprocess.run([tv] + args, capture_output=True, text=True, env=env, timeout=300)


def index_view(tv, path, env):
    """info --json without what legitimately differs, and the full summary."""
    info = json.loads(run(tv, ["info", path, "--json", "--quiet"], env).stdout)
    for k in ("file", "bytes", "compression", "bytes_uncompressed", "index", "warnings", "cache"):
        info.pop(k, None)
    summ = json.loads(run(tv, ["summary", path, "--json", "--top", "0", "--quiet"], env).stdout)
    summ.pop("file", None)
    return info, summ


def main():
    tv, traces = sys.argv[1], sys.argv[2:]
    work = tempfile.mkdtemp(prefix="tv-compressed-")
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
    have_lz4 = shutil.which("lz4") is not None
    try:
        for src in traces:
            base = os.path.join(work, os.path.basename(src))
            if src.endswith(".gz"):
                plain = base[:-3]
                with gzip.open(src, "rb") as f, open(plain, "wb") as o:
                    shutil.copyfileobj(f, o)
            else:
                plain = base
                shutil.copy(src, plain)
            want = index_view(tv, plain, env)
            gz = plain + ".gz"
            with open(plain, "rb") as f, gzip.open(gz, "wb", compresslevel=6) as o:
                shutil.copyfileobj(f, o)
            name = os.path.basename(plain)
            check(index_view(tv, gz, env) == want, "gzip copy of %s indexes the same" % name)
            check(index_view(tv, gz, env) == want, "gzip copy of %s again (from the cache)" % name)
            info = json.loads(run(tv, ["info", gz, "--json", "--quiet"], env).stdout)
            check(info.get("compression") == "gzip" and
                  info.get("bytes_uncompressed") == os.path.getsize(plain) and
                  info.get("bytes") == os.path.getsize(gz),
                  "info --json reports compression and sizes for %s" % name, info.get("compression"))
            if have_lz4:
                l4 = plain + ".lz4"
                subprocess.run(["lz4", "-q", "-f", plain, l4], check=True)
                check(index_view(tv, l4, env) == want, "lz4 copy of %s indexes the same" % name)
            # A gzip stream cut in half: the valid prefix loads, with a warning.
            cut = plain + ".cut.gz"
            with open(gz, "rb") as f:
                data = f.read()
            with open(cut, "wb") as o:
                o.write(data[: len(data) // 2])
            r = run(tv, ["info", cut, "--json"], env)
            ok = r.returncode == 0 and "ends early" in r.stderr
            info = json.loads(r.stdout) if r.returncode == 0 else {}
            check(ok and info.get("truncated") is True and 0 < info.get("events", 0) < want[0]["events"],
                  "a gzip cut in half loads its prefix with a warning (%s)" % name, r.stderr[-300:])
            # Corrupt data in the middle: an error that names the file.
            bad = plain + ".bad.gz"
            mid = len(data) // 2
            with open(bad, "wb") as o:
                o.write(data[:mid] + bytes(b ^ 0x5A for b in data[mid:mid + 64]) + data[mid + 64:])
            r = run(tv, ["info", bad], env)
            check(r.returncode == 1 and bad in r.stderr and ("gzip" in r.stderr or "byte" in r.stderr),
                  "corrupt gzip data is an error naming the file (%s)" % name, (r.returncode, r.stderr[-300:]))
        if not have_lz4:
            print("skipped lz4 checks: the lz4 command is missing")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
