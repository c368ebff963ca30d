#!/usr/bin/env python3
"""Checks traceview against an independent Python reading of one sampled
profile: `perf script` text or folded stacks.

    check_samples.py TRACEVIEW CORPUS_FILE WORKDIR
    check_samples.py --dump CORPUS_FILE          (print Python's view only)

gzip files are read with Python's gzip module (traceview decompresses them
itself). The format is told by content as docs/cli.md says: a sample header
followed by an indented address line is perf script, anything else folded.

Python's reading, written from docs/cli.md, not from the C code:
  perf script: a sample is a header `COMM PID[/TID] [CPU] [TIME:] [PERIOD]
    EVENT:` and its frames, leaf first, `ADDR SYMBOL[+0xOFF] (DSO)`; one
    number is both pid and tid. Every sample weighs 1 and is sample_ns wide,
    sample_ns being the lower median of the positive gaps between a thread's
    consecutive samples (1 ms when there is none, or when the file has no
    times).
  folded: `frame;frame COUNT` lines; `#` and `//` comments; a stack's weight
    is its count, 1 ns per unit.
Compared:
  info --json: format, samples, weight, has_timeline, per-thread samples
    (perf: pid, tid, name = first comm);
  summary --json --group-by name --no-demangle: the set of names, and every
    name's self_ns = (weight of the stacks whose leaf it is) x sample_ns, and
    the top-level self_ns;
  flamegraph --folded: total weight, and each merged stack's value =
    (weight of the identical stacks) x sample_ns. traceview demangles frame
    labels there; stacks holding a mangled-looking frame (_Z..., _R..., __Z...)
    are counted but only checked through the totals;
  a truncated copy (cut inside a frame line near the middle) must warn, say
    "truncated": true, and hold exactly the complete samples before the cut.
Exit 0 when everything matches, 1 otherwise.
"""
import collections
import gzip
import json
import os
import re
import subprocess
import sys

MAX_DIFFS = 20
NO_TS_STEP_NS = 1000000
DEFAULT_SAMPLE_NS = 1000000

HDR = re.compile(r'^(?P<comm>\S.*?)\s+(?P<pid>\d+)(?:/(?P<tid>\d+))?\s+'
                 r'(?:\[(?P<cpu>\d+)\]\s+)?(?:(?P<ts>\d+\.\d+):\s+)?(?:\d+\s+)?\S*:(?:\s|$)')
FRAME = re.compile(r'^[ \t]+([0-9a-fA-F]+)(?:[ \t]+(.*?))?[ \t]*$')
DSO = re.compile(r'^(.*?)[ \t]+\(([^()]*)\)$')
MANGLED = re.compile(r'^(_Z|__Z|_R)')


def load_bytes(path):
    with open(path, 'rb') as f:
        head = f.read(2)
    opener = gzip.open if head == b'\x1f\x8b' else open
    with opener(path, 'rb') as f:
        return f.read()


def is_perf(data):
    lines = data[:65536].decode('utf-8', 'replace').split('\n')
    for i, line in enumerate(lines):
        if not line.strip() or line.startswith('#'):
            continue
        return bool(HDR.match(line)) and i + 1 < len(lines) and bool(FRAME.match(lines[i + 1]))
    return False


def ns_of(ts):
    sec, frac = ts.split('.')
    return int(sec) * 10**9 + int((frac + '000000000')[:9])


def frame_name(text):
    text = text or ''
    m = DSO.match(text)
    sym = m.group(1) if m else text
    if m is None and text.startswith('(') and text.endswith(')'):
        sym = ''
    sym = re.sub(r'\+0x[0-9a-fA-F]+$', '', sym).strip()
    return sym or '[unknown]'


def parse_perf(text):
    """[(pid, tid, comm, ts_ns or None, frames root first)] and bad count"""
    samples, cur, bad = [], None, 0
    for line in text.split('\n'):
        line = line.rstrip('\r')
        if not line.strip():
            cur = None
            continue
        if line.startswith('#'):
            continue
        if line[0] in ' \t':
            if cur is None:
                continue
            m = FRAME.match(line)
            if not m:
                bad += 1
                samples.pop()
                cur = None
                continue
            cur[4].insert(0, frame_name(m.group(2)))
            continue
        m = HDR.match(line)
        if not m:
            bad += 1
            cur = None
            continue
        pid = int(m.group('pid'))
        tid = int(m.group('tid')) if m.group('tid') else pid
        ts = ns_of(m.group('ts')) if m.group('ts') else None
        cur = [pid, tid, m.group('comm'), ts, []]
        samples.append(cur)
    return samples, bad


def perf_view(samples):
    timed = [s for s in samples if s[3] is not None]
    no_times = not timed
    if no_times:
        for i, s in enumerate(samples):
            s[3] = i * NO_TS_STEP_NS
        sample_ns = NO_TS_STEP_NS
    else:
        samples = timed
        by_thread = collections.defaultdict(list)
        for s in samples:
            by_thread[(s[0], s[1])].append(s[3])
        gaps = []
        for ts in by_thread.values():
            ts.sort()
            gaps += [b - a for a, b in zip(ts, ts[1:]) if b > a]
        gaps.sort()
        sample_ns = gaps[(len(gaps) - 1) // 2] if gaps else DEFAULT_SAMPLE_NS
    threads = collections.OrderedDict()
    for s in samples:
        t = threads.setdefault((s[0], s[1]), {'pid': s[0], 'tid': s[1], 'name': s[2], 'samples': 0})
        t['samples'] += 1
    stacks = [(tuple(s[4]), 1) for s in samples]
    return {'format': 'perf-script', 'samples': len(samples), 'weight': len(samples),
            'has_timeline': not no_times, 'sample_ns': sample_ns,
            'threads': sorted(threads.values(), key=lambda t: (t['pid'], t['tid'])),
            'stacks': stacks}


def decode_folded(data):
    if data[:2] in (b'\xff\xfe', b'\xfe\xff'):
        return data.decode('utf-16')
    if data[:3] == b'\xef\xbb\xbf':
        data = data[3:]
    return data.decode('utf-8', 'surrogateescape')


FOLDED = re.compile(r'^(.*?)[ \t]+(\d{1,18})$')


def parse_folded(text):
    stacks = []
    for line in text.split('\n'):
        line = line.rstrip('\r').strip(' \t')
        if not line or line.startswith('#') or line.startswith('//'):
            continue
        m = FOLDED.match(line)
        if not m or not m.group(1).strip(' \t'):
            continue
        count = int(m.group(2))
        if count:
            stacks.append((tuple(m.group(1).strip(' \t').split(';')), count))
    return stacks


def folded_view(stacks):
    return {'format': 'folded', 'samples': len(stacks), 'weight': sum(c for _, c in stacks),
            'has_timeline': False, 'sample_ns': 1,
            'threads': [{'pid': 1, 'tid': 1, 'samples': len(stacks)}], 'stacks': stacks}


def view_of(data, perf):
    if perf:
        samples, _ = parse_perf(data.decode('utf-8', 'surrogateescape'))
        return perf_view(samples)
    return folded_view(parse_folded(decode_folded(data)))


def run(tv, args, diffs, what):
    p = subprocess.run([tv] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    err = p.stderr.decode('utf-8', 'replace')
    for marker in ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'):
        if marker in err:
            diffs.append('%s: sanitizer report: %s' % (what, err[:2000]))
    if p.returncode != 0:
        diffs.append('%s: exit %d: %s' % (what, p.returncode, err[:500]))
        return None
    return p.stdout.decode('utf-8', 'surrogateescape')


LABEL_MAX = 2047  # flame.c cuts frame labels at 2047 bytes


def label(name):
    if name == '':
        return '(no name)'
    b = name.encode('utf-8', 'surrogateescape')[:LABEL_MAX]
    name = b.decode('utf-8', 'surrogateescape')
    return name.replace(';', ',').replace('\n', ' ').replace('\r', ' ')


def check_info(info, view, diffs, what):
    for k in ('format', 'samples', 'weight', 'has_timeline'):
        if info.get(k) != view[k]:
            diffs.append('%s: %s is %r, expected %r' % (what, k, info.get(k), view[k]))
    tv_threads = sorted(({'pid': t['pid'], 'tid': t['tid'], 'name': t.get('name'),
                          'samples': t.get('samples')} for t in info['threads']),
                        key=lambda t: (t['pid'], t['tid']))
    if len(tv_threads) != len(view['threads']):
        diffs.append('%s: %d threads, expected %d' % (what, len(tv_threads), len(view['threads'])))
    for a, e in zip(tv_threads, view['threads']):
        for k, v in e.items():
            if a.get(k) != v:
                diffs.append('%s: thread %s:%s %s is %r, expected %r' %
                             (what, e['pid'], e['tid'], k, a.get(k), v))


def check(tv, path, workdir):
    diffs = []
    data = load_bytes(path)
    perf = is_perf(data)
    view = view_of(data, perf)
    sns = view['sample_ns']
    print('python: %s, %d samples, weight %d, %d threads, sample_ns %d' %
          (view['format'], view['samples'], view['weight'], len(view['threads']), sns))

    out = run(tv, ['info', path, '--json', '--quiet'], diffs, 'info')
    if out is not None:
        check_info(json.loads(out), view, diffs, 'info')

    leaf_self = collections.Counter()
    names = set()
    for frames, w in view['stacks']:
        names.update(frames)
        if frames:
            leaf_self[frames[-1]] += w * sns
    out = run(tv, ['summary', path, '--json', '--group-by', 'name', '--no-demangle', '--quiet'],
              diffs, 'summary')
    if out is not None:
        s = json.loads(out)
        rows = {r['key']: r for r in s['rows']}
        want = {n if n else '(no name)' for n in names}
        if set(rows) != want:
            diffs.append('summary: names differ: only traceview %s; only python %s' %
                         (sorted(set(rows) - want)[:5], sorted(want - set(rows))[:5]))
        total = sum(leaf_self.values())
        if s['self_ns'] != total:
            diffs.append('summary: self_ns %d, expected %d' % (s['self_ns'], total))
        n = 0
        for name, r in rows.items():
            exp = leaf_self.get('' if name == '(no name)' else name, 0)
            if r['self_ns'] != exp and n < MAX_DIFFS:
                n += 1
                diffs.append('summary: %r self_ns %d, expected %d' % (name, r['self_ns'], exp))

    merged = collections.Counter()
    for frames, w in view['stacks']:
        if frames:
            merged[frames] += w * sns
    out = run(tv, ['flamegraph', path, '--folded', '--quiet'], diffs, 'flamegraph')
    if out is not None:
        got = {}
        for line in out.split('\n'):
            if line:
                st, _, v = line.rpartition(' ')
                got[st] = got.get(st, 0) + int(v)
        tot_got, tot_exp = sum(got.values()), sum(merged.values())
        if tot_got != tot_exp:
            diffs.append('flamegraph: total %d, expected %d' % (tot_got, tot_exp))
        exact = skipped = n = 0
        for frames, v in merged.items():
            if any(MANGLED.match(f) for f in frames):
                skipped += 1
                continue
            exact += 1
            key = ';'.join(label(f) for f in frames)
            if got.get(key) != v and n < MAX_DIFFS:
                n += 1
                diffs.append('flamegraph: %r is %r, expected %d' % (key[:300], got.get(key), v))
        if len(got) > len(merged):
            diffs.append('flamegraph: %d stacks, python has %d' % (len(got), len(merged)))
        print('flamegraph: %d stacks checked exactly, %d with mangled frames checked by totals'
              % (exact, skipped))

    # Truncated copy: cut inside a frame line (perf) or a stack line (folded)
    # near the middle; only the complete samples before it count.
    text_data = data if data[:2] not in (b'\xff\xfe', b'\xfe\xff') else None
    if text_data is not None and len(view['stacks']) >= 2:
        mid = len(text_data) // 2
        if perf:
            cut = text_data.find(b'\n\t', mid)
            cut = text_data.find(b'\n ', mid) if cut < 0 else cut
            if cut > 0:
                cut += 4
        else:
            cut = text_data.find(b'\n', mid) + 1
            while 0 < cut < len(text_data) and text_data[cut:cut + 1] in (b'#', b'\n', b'/'):
                cut = text_data.find(b'\n', cut) + 1
            if cut > 0:
                semi = text_data.find(b';', cut)
                cut = semi if 0 < semi < text_data.find(b'\n', cut) else cut + 1
        if 0 < cut < len(text_data) and view_of(text_data[:cut], perf)['samples'] >= 2:
            prefix = text_data[:cut]
            os.makedirs(workdir, exist_ok=True)
            tpath = os.path.join(workdir, os.path.basename(path).replace('.gz', '') + '.cut')
            with open(tpath, 'wb') as f:
                f.write(prefix)
            if perf:
                samples, _ = parse_perf(prefix.decode('utf-8', 'surrogateescape'))
                samples = samples[:-1]  # the cut one
                tview = perf_view(samples)
            else:
                last_nl = prefix.rfind(b'\n') + 1
                tview = folded_view(parse_folded(decode_folded(prefix[:last_nl])))
            out = run(tv, ['info', tpath, '--json'], diffs, 'truncated info')
            if out is not None:
                info = json.loads(out)
                check_info(info, tview, diffs, 'truncated')
                if info.get('truncated') is not True:
                    diffs.append('truncated: "truncated" is %r' % info.get('truncated'))
                if not info.get('warnings'):
                    diffs.append('truncated: no warning')
            print('truncated copy at byte %d: python %d samples' % (cut, tview['samples']))

    for d in diffs[:MAX_DIFFS * 4]:
        print('DIFF ' + d)
    print('%s: %s' % (path, 'ok' if not diffs else '%d differences' % len(diffs)))
    return 0 if not diffs else 1


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--dump':
        data = load_bytes(sys.argv[2])
        v = view_of(data, is_perf(data))
        v.pop('stacks')
        print(json.dumps(v, indent=1))
        return 0
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    return check(os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3])


if __name__ == '__main__':
    sys.exit(main())
