#!/usr/bin/env python3
"""The code's shape, read from the source (nothing is built), as docs/architecture.md
states it. Fails on:
  - an import cycle between the top-level modules of a crate (A -> B when a file of A
    names `crate::B`): the direction is routes -> services -> stores / the WeCom client
    / the outbox -> db, clock;
  - a test function with a bare early `return;` (it would report ok without running:
    a test for one database is #[ignore]d with the reason instead);
  - a source file over 500 lines (split it by what its parts are)."""
import json
import os
import re
import subprocess
import sys

top = sys.argv[1] if len(sys.argv) > 1 else '.'
meta = json.loads(subprocess.run(
    ['cargo', 'metadata', '--no-deps', '--format-version', '1', '--offline'],
    cwd=top, capture_output=True, text=True, check=True).stdout)


def rust_files(root):
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith('.rs'):
                yield os.path.join(d, f)


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


failures, notes = [], []
for package in meta['packages']:
    base = os.path.dirname(package['manifest_path'])
    src, graph = os.path.join(base, 'src'), {}
    for f in rust_files(src) if os.path.isdir(src) else []:
        text = open(f, encoding='utf-8').read()
        lines = text.count('\n') + 1
        if lines > 500:
            failures.append('%s: %d lines (over 500)' % (os.path.relpath(f, top), lines))
        head = os.path.relpath(f, src).split(os.sep)[0]
        head = head[:-3] if head.endswith('.rs') else head
        if head in ('lib', 'main', 'bin'):
            continue
        for ref in re.findall(r'\bcrate::([a-z_][a-z0-9_]*)', text):
            if ref != head:
                graph.setdefault(head, set()).add(ref)
    for comp in cycles(graph):
        failures.append('%s: import cycle %s' % (package['name'], ' <-> '.join(comp)))
    tests = os.path.join(base, 'tests')
    for f in rust_files(tests) if os.path.isdir(tests) else []:
        text = open(f, encoding='utf-8').read()
        for m in re.finditer(r'#\[(?:tokio::|actix_web::|actix_rt::)?test[^\]]*\]\s*(?:#\[[^\]]*\]\s*)*'
                             r'(?:pub\s+)?(?:async\s+)?fn\s+(\w+)[^{]*\{', text):
            body, depth, i = text[m.end():], 1, 0
            while i < len(body) and depth:
                depth += {'{': 1, '}': -1}.get(body[i], 0)
                i += 1
            if re.search(r'\breturn\s*;', body[:i]):
                failures.append('%s::%s returns early and reports ok without running'
                                % (os.path.relpath(f, top), m.group(1)))

for n in notes:
    print('note: ' + n)
for f in failures:
    print('FAIL: ' + f)
print('shape: %d problems (import cycles, early returns, files over 500 lines)' % len(failures))
sys.exit(1 if failures else 0)
