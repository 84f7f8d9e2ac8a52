"""check_fault.py - checks a log of fault_app against its counters.

  check_fault.py EXPORT.jsonl COUNTS-DIR NRANKS [--complete] [--tree TREE]
                 [--victim R --mode MODE] [--torn R] [--refused R]

EXPORT.jsonl is `weft export -f eliot LOG`; COUNTS-DIR/<rank> holds the
last step the rank finished (int64, -1 when absent).  Checks, per rank:
each step and tick appears at most once (nothing recovered twice); every
step up to the counter is there with its tick and its end (nothing lost);
no step beyond counter + 1 (nothing invented: a rank cannot have logged
more).  --mode kill9|segv|abort|term-kill: the victim's interrupted step
(counter + 1) was logged before the failure and must be there, and the
tree marks it, its inner action and every rank's "run" unfinished, with
where it stopped; --mode usr1|none|closekill: the job ended (closekill:
all but closing the log) after its log
was closed early, every "run" succeeded.  --torn R: rank R's last record (the tick of its
interrupted step) was cut from its journal: it must be absent.
--refused R: rank R's journal was refused: only "nothing invented" holds.
"""
import json
import re
import struct
import sys


def counts(d, n):
    out = []
    for r in range(n):
        try:
            with open("%s/%d" % (d, r), "rb") as f:
                b = f.read(8)
            out.append(struct.unpack("<q", b)[0] if len(b) == 8 else -1)
        except OSError:
            out.append(-1)
    return out


def main(argv):
    path, cdir, n = argv[1], argv[2], int(argv[3])
    opts = argv[4:]

    def opt(name, default=None):
        return opts[opts.index(name) + 1] if name in opts else default

    victim = int(opt("--victim", -1))
    mode = opt("--mode", "")
    torn = int(opt("--torn", -1))
    refused = int(opt("--refused", -1))
    c = counts(cdir, n)
    steps = [[] for _ in range(n)]
    ticks = [[] for _ in range(n)]
    ends = [0] * n
    for line in open(path):
        e = json.loads(line)
        r = e["rank"]
        if e.get("action_type") == "step":
            if e["action_status"] == "started":
                steps[r].append(e["i"])
            elif e["action_status"] == "succeeded":
                ends[r] += 1
        elif e.get("message_type") == "tick":
            ticks[r].append(e["seq"])
    bad = []
    for r in range(n):
        s, t = sorted(steps[r]), sorted(ticks[r])
        if len(set(s)) != len(s) or len(set(t)) != len(t):
            bad.append("rank %d: a step or tick appears twice" % r)
        if s and s != list(range(len(s))):
            bad.append("rank %d: steps are not 0..k: %s" % (r, s[:5]))
        if s and s[-1] > c[r] + 1 or t and t[-1] > c[r] + 1:
            bad.append("rank %d: step %d logged but the rank only reached %d"
                       % (r, max(s[-1:] + t[-1:]), c[r] + 1))
        if r == refused:
            continue
        need = set(range(c[r] + 1))
        if not need <= set(s) or not need <= set(t) or ends[r] < c[r] + 1:
            lost = sorted(need - set(s))[:5] or sorted(need - set(t))[:5]
            bad.append("rank %d: counter %d but steps/ticks %s... or ends "
                       "(%d) missing" % (r, c[r], lost, ends[r]))
        if r == victim and mode in ("kill9", "segv", "abort", "term-kill"):
            if c[r] + 1 not in s:
                bad.append("rank %d: interrupted step %d is missing"
                           % (r, c[r] + 1))
            want_tick = r != torn
            if (c[r] + 1 in t) != want_tick:
                bad.append("rank %d: tick %d should be %s" %
                           (r, c[r] + 1, "there" if want_tick else "cut"))
    tree = opt("--tree")
    if tree:
        text = open(tree).read()
        for r in range(n):
            if r == refused:
                continue
            if mode in ("usr1", "none", "closekill"):
                if not re.search(r"run \[rank %d\].*succeeded" % r, text):
                    bad.append("tree: rank %d's run did not succeed" % r)
            elif not re.search(r"run \[rank %d\].*unfinished.*stopped on "
                               r"rank %d" % (r, r), text):
                bad.append("tree: rank %d's run is not unfinished" % r)
        if victim >= 0 and victim != refused and mode in (
                "kill9", "segv", "abort", "term-kill"):
            i = c[victim] + 1
            for what in ("step", "inner"):
                if not re.search(r"%s \(i: %d\) .*unfinished .*stopped on "
                                 r"rank %d at " % (what, i, victim), text):
                    bad.append("tree: %s %d of rank %d is not unfinished"
                               % (what, i, victim))
    for b in bad:
        print("check_fault:", b)
    print("check_fault: counters %s, steps %s" % (c, [len(s) for s in steps]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
