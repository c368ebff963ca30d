#!/usr/bin/env python3
"""bench_mem.py: run a command, report its wall time and memory as JSON.

    bench_mem.py [--out FILE] [--stdout FILE] [--interval S] -- COMMAND [ARGS...]

Samples /proc/PID/status of the child every --interval seconds (default
0.005) and, after it exits, prints (or writes to --out) one JSON object:

  wall_s          wall time from fork to exit (time.perf_counter)
  rc              the exit status
  vmhwm_kib       peak resident set size (getrusage ru_maxrss of the child
                  = the kernel's VmHWM): anonymous memory plus the pages of
                  the mapped trace that were read
  rss_anon_kib    largest sampled RssAnon: the process's own memory (heap,
                  thread stacks, index), i.e. what it holds beyond the shared
                  file mapping
  rss_file_kib    largest sampled RssFile: mapped file pages (the trace,
                  shared libraries); they live in the page cache and are
                  shared with every other reader of the file
  samples         how many samples were taken
  cpu_s           the command's CPU time (user + system, its children included)
  other_cores     CPU used by every other process on the machine during the
                  run, in cores (busy time in /proc/stat minus cpu_s, over
                  wall_s): how noisy the measurement was

Sampling costs a few hundred microseconds of one core per 100 samples;
a peak shorter than the interval can be missed (vmhwm_kib cannot).
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("RssAnon", "RssFile", "VmHWM"):
                    out[k] = int(v.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def machine_busy_s():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out")
    ap.add_argument("--stdout", help="the command's standard output goes here (default /dev/null)")
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    out = open(a.stdout or os.devnull, "wb")
    m0 = machine_busy_s()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out)
    anon = filep = hwm = samples = 0
    while True:
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        s = status(p.pid)
        if s:
            samples += 1
            anon = max(anon, s.get("RssAnon", 0))
            filep = max(filep, s.get("RssFile", 0))
            hwm = max(hwm, s.get("VmHWM", 0))
        time.sleep(a.interval)
    wall = time.perf_counter() - t0
    busy = machine_busy_s() - m0
    cpu = ru.ru_utime + ru.ru_stime
    out.close()
    rc = os.waitstatus_to_exitcode(st)
    res = {"wall_s": wall, "rc": rc, "vmhwm_kib": max(hwm, ru.ru_maxrss), "rss_anon_kib": anon,
           "rss_file_kib": filep, "samples": samples, "cpu_s": cpu,
           "other_cores": max(0.0, (busy - cpu) / wall) if wall > 0 else 0.0}
    text = json.dumps(res)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    sys.exit(rc)


if __name__ == "__main__":
    main()
