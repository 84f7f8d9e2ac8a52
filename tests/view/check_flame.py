"""check_flame.py - checks `weft flame` against `weft export --format csv`
of the same log (tests/view/gen_view.c).

usage: check_flame.py SVG FOLDED_ALL FOLDED_RANK RANK ACTIONS_CSV

The SVG must be well-formed XML with a titled frame per path; folded
stacks give self time in ns, so a leaf path ("...;compute") sums to the
elapsed time of those actions, and everything one rank did sums to the
elapsed time of its outermost actions on that rank."""

import csv
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal

svg, folded_all, folded_rank, rank, actions_csv = sys.argv[1:6]
rank = int(rank)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def ns(s):
    return int(Decimal(s) * 1000000000)


def folded(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        stack, value = line.rstrip("\n").rsplit(" ", 1)
        check(stack not in out, "one line per path: " + stack)
        out[stack] = int(value)
    return out


rows = list(csv.DictReader(open(actions_csv, encoding="utf-8")))
fa, fr = folded(folded_all), folded(folded_rank)


def elapsed(pred):
    return sum(ns(r["elapsed"]) for r in rows if pred(r))


compute_all = elapsed(lambda r: r["type"] == "compute")
compute_rank = elapsed(lambda r: r["type"] == "compute" and
                       int(r["rank"]) == rank)
check(fa.get("job;solve;compute") == compute_all,
      "job;solve;compute = %s ns, the compute actions' elapsed sum %d" %
      (fa.get("job;solve;compute"), compute_all))
check(fr.get("job;solve;compute") == compute_rank,
      "rank %d: job;solve;compute = %s ns, its computes' sum %d" %
      (rank, fr.get("job;solve;compute"), compute_rank))
solve_rank = elapsed(lambda r: r["type"] == "solve" and int(r["rank"]) == rank)
check(sum(fr.values()) == solve_rank,
      "rank %d: the folded stacks add up to its solve, %d ns (got %d)" %
      (rank, solve_rank, sum(fr.values())))
check(all(not k.startswith("job;") or k.split(";")[0] == "job" for k in fa),
      "every path starts at a task root")
check('job;solve;io<write>&"flush"' in fa,
      "the type with XML specials has its path")

tree = ET.parse(svg)  # raises on malformed XML
root = tree.getroot()
check(root.tag == "{http://www.w3.org/2000/svg}svg", "the root is <svg>")
ns_svg = {"s": "http://www.w3.org/2000/svg"}
frames = {}
for g in root.iterfind(".//s:g", ns_svg):
    title = g.find("s:title", ns_svg)
    rect = g.find("s:rect", ns_svg)
    if title is None or rect is None:
        continue
    frames[title.text.split("\n")[0]] = float(rect.get("width"))
want = ["all", "job", "job;solve", "job;solve;compute",
        'job;solve;io<write>&"flush"']
check(all(w in frames for w in want),
      "frames %s are drawn (have %s)" % (want, sorted(frames)))
total = sum(fa.values())
for path in ("job;solve", "job;solve;compute"):
    incl = sum(v for k, v in fa.items() if k == path or
               k.startswith(path + ";"))
    if path in frames:
        check(abs(frames[path] / frames["all"] - incl / total) < 0.01,
              "width of %s is its inclusive share %.3f" %
              (path, incl / total))
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all flame checks passed")
