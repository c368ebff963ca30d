#!/usr/bin/env python3
"""Runs one data-driven reader case against the traceview binary.

    run_case.py TRACEVIEW CASE_DIR

A case directory holds:
  input.json         the trace (any bytes; the name is fixed, the reader must
                     detect the format from content)
  args               optional, one line: the subcommand and its options, e.g.
                     `info --json`; default `summary --csv --group-by name --top 0`.
                     Split with shell rules (shlex). The runner executes
                     `TRACEVIEW <subcommand> input.json <rest>` with the case
                     directory as working directory, so the file is named
                     `input.json` in messages.
  expected           optional: exact expected standard output
  expected_info.json optional: a JSON value that standard output, parsed as
                     JSON, must contain (deep subset: objects may have more
                     keys, lists must have the same length and match element by
                     element). Works for any command printing JSON.
  expected_stderr    optional: every non-empty line must appear as a substring
                     of standard error
  expected_exit      optional: the exit code, default 0

Prints what differs and exits 1 on failure, 0 on success. Standard library only.
"""
import difflib
import json
import os
import shlex
import subprocess
import sys

DEFAULT_ARGS = "summary --csv --group-by name --top 0"
TIMEOUT_S = 60


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8")


def show(s, limit=4000):
    """Text for a report; long output is cut."""
    if len(s) > limit:
        return s[:limit] + "\n... (%d more characters)" % (len(s) - limit)
    return s


def subset_diffs(exp, act, path="$"):
    """Differences between an expected subset and the actual JSON value."""
    out = []
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            return ["%s: expected an object, got %s" % (path, json.dumps(act)[:200])]
        for k, v in exp.items():
            if k not in act:
                out.append("%s: missing key %r" % (path, k))
            else:
                out.extend(subset_diffs(v, act[k], "%s.%s" % (path, k)))
        return out
    if isinstance(exp, list):
        if not isinstance(act, list):
            return ["%s: expected a list, got %s" % (path, json.dumps(act)[:200])]
        if len(exp) != len(act):
            out.append("%s: expected %d elements, got %d: %s" %
                       (path, len(exp), len(act), json.dumps(act)[:600]))
            return out
        for i, (e, a) in enumerate(zip(exp, act)):
            out.extend(subset_diffs(e, a, "%s[%d]" % (path, i)))
        return out
    # scalars: bool is not a number, null only equals null
    if isinstance(exp, bool) or isinstance(act, bool) or exp is None or act is None:
        ok = exp is act or (type(exp) is type(act) and exp == act)
    elif isinstance(exp, (int, float)) and isinstance(act, (int, float)):
        if isinstance(exp, float) or isinstance(act, float):
            ok = abs(exp - act) <= 1e-9 * max(1.0, abs(exp))
        else:
            ok = exp == act
    else:
        ok = type(exp) is type(act) and exp == act
    if not ok:
        out.append("%s: expected %s, got %s" % (path, json.dumps(exp), json.dumps(act)))
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    tv = os.path.abspath(sys.argv[1])
    case = os.path.abspath(sys.argv[2])
    name = os.path.basename(case.rstrip("/"))

    def opt(fname):
        p = os.path.join(case, fname)
        return p if os.path.exists(p) else None

    if not opt("input.json"):
        print("FAIL %s: no input.json in %s" % (name, case))
        return 1
    args_line = DEFAULT_ARGS
    if opt("args"):
        line = read_text(opt("args")).strip()
        if line:
            args_line = line
    words = shlex.split(args_line)
    cmd = [tv, words[0], "input.json"] + words[1:]
    exp_exit = int(read_text(opt("expected_exit")).strip()) if opt("expected_exit") else 0

    try:
        proc = subprocess.run(cmd, cwd=case, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print("FAIL %s: timed out after %d s: %s" % (name, TIMEOUT_S, shlex.join(cmd)))
        return 1
    stdout_b, stderr_b = proc.stdout, proc.stderr
    stdout = stdout_b.decode("utf-8", errors="backslashreplace")
    stderr = stderr_b.decode("utf-8", errors="backslashreplace")

    failures = []
    if proc.returncode < 0:
        failures.append("killed by signal %d (crash)" % -proc.returncode)
    elif proc.returncode != exp_exit:
        failures.append("exit code %d, expected %d" % (proc.returncode, exp_exit))

    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        if marker in stderr:
            failures.append("sanitizer report on stderr (%s)" % marker)

    if opt("expected"):
        with open(opt("expected"), "rb") as f:
            exp_b = f.read()
        if exp_b != stdout_b:
            exp_t = exp_b.decode("utf-8", errors="backslashreplace")
            diff = difflib.unified_diff(
                exp_t.splitlines(keepends=True), stdout.splitlines(keepends=True),
                "expected", "actual stdout")
            lines = ["stdout differs from `expected`:"]
            for d in diff:
                lines.append("  " + repr(d)[1:-1] if d.startswith(("+", "-", " ")) and
                             not d.startswith(("+++", "---")) else "  " + d.rstrip("\n"))
            failures.append("\n".join(lines))

    if opt("expected_info.json"):
        exp_json = json.loads(read_text(opt("expected_info.json")))
        try:
            act_json = json.loads(stdout)
        except ValueError as e:
            failures.append("stdout is not JSON (%s):\n%s" % (e, show(stdout)))
        else:
            d = subset_diffs(exp_json, act_json)
            if d:
                failures.append("JSON output does not contain expected_info.json:\n  " +
                                "\n  ".join(d))

    if opt("expected_stderr"):
        for line in read_text(opt("expected_stderr")).splitlines():
            if line.strip() and line not in stderr:
                failures.append("stderr lacks %r" % line)

    if failures:
        print("FAIL %s" % name)
        print("command: (cd %s && %s)" % (shlex.quote(case), shlex.join(cmd)))
        for f in failures:
            print("- " + f)
        print("--- stdout (%d bytes) ---\n%s" % (len(stdout_b), show(stdout)))
        print("--- stderr (%d bytes) ---\n%s" % (len(stderr_b), show(stderr)))
        return 1
    print("ok %s (exit %d)" % (name, proc.returncode))
    if stderr:
        print("stderr: " + show(stderr, 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
