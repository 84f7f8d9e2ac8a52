"""Check `weft export --format eliot` output with Eliot's own parser.

usage: /usr/bin/python3 check_eliot.py FILE spmd|gen_trace|cut

Parses FILE (JSON lines) with eliot.parse.Parser and checks the tree it
rebuilds against the job that produced it (see test_profile.c's spmd()
and cut_values(), and gen_trace.c).  Exits 0 when everything holds, 1 with a message
otherwise.
"""
import json
import sys

from eliot.parse import Parser


def fail(msg):
    print("check_eliot: " + msg)
    sys.exit(1)


def parse(path):
    parser = Parser()
    done = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                msg = json.loads(line)
            except ValueError as e:
                fail("line %d is not JSON: %s" % (n, e))
            for key in ("task_uuid", "task_level", "timestamp"):
                if key not in msg:
                    fail("line %d lacks %s" % (n, key))
            completed, parser = parser.add(msg)
            done.extend(completed)
    return done, parser.incomplete_tasks()


def actions(node):
    return [c for c in node.children if hasattr(c, "action_type")]


def messages(node):
    return [c for c in node.children if not hasattr(c, "action_type")]


def check_solves(root, nranks):
    solves = actions(root)
    if [s.action_type for s in solves] != ["solve"] * nranks:
        fail("root children %r" % [s.action_type for s in solves])
    levels = [tuple(s.task_level.level) for s in solves]
    if len(set(levels)) != nranks:
        fail("continuations share task levels: %r" % levels)
    ranks = [s.start_message.contents["rank"] for s in solves]
    if ranks != list(range(nranks)):
        fail("solve ranks %r" % ranks)
    status = [s.status for s in solves]
    want = ["failed" if r == 2 else "succeeded" for r in range(nranks)]
    if status != want:
        fail("solve statuses %r" % status)
    failed = solves[2].end_message.contents
    if failed.get("reason") != "diverged" or "exception" not in failed:
        fail("failed solve end %r" % dict(failed))
    return solves


def main():
    path, mode = sys.argv[1], sys.argv[2]
    done, incomplete = parse(path)
    if mode == "spmd":
        if len(done) != 1 or incomplete:
            fail("%d complete, %d incomplete tasks" % (len(done), len(incomplete)))
        root = done[0].root()
        if root.action_type != "step" or root.status != "succeeded":
            fail("root %s %s" % (root.action_type, root.status))
        check_solves(root, 4)
        if [m.contents["message_type"] for m in messages(root)] != ["done"]:
            fail("root messages")
    elif mode == "gen_trace":
        if len(done) != 1 or len(incomplete) != 1:
            fail("%d complete, %d incomplete tasks" % (len(done), len(incomplete)))
        root = done[0].root()
        if root.action_type != "job" or root.start_message.contents["nranks"] != 4:
            fail("root %s" % root.action_type)
        for rank, solve in enumerate(check_solves(root, 4)):
            computes = actions(solve)
            args = [c.start_message.contents["arg"] for c in computes]
            want = [-12 if rank == 1 and i == 3 else i for i in range(5)]
            if args != want:
                fail("rank %d compute args %r" % (rank, args))
            results = [c.end_message.contents["result"] for c in computes]
            if results != [2 * a for a in want]:
                fail("rank %d results %r" % (rank, results))
            if len(messages(solve)) != 5:
                fail("rank %d progress messages" % rank)
            slow = max(computes, key=lambda c: c.end_time - c.start_time)
            if rank == 1 and slow.start_message.contents["arg"] != -12:
                fail("slowest compute of rank 1 is not arg -12")
            # rank 0's "history" was cut by libweft to string_max (4096)
            end = solve.end_message.contents
            if rank == 0:
                if end.get("history") != ("0123456789" * 410)[:4096]:
                    fail("rank 0 history %r" % end.get("history", "")[:20])
                if end.get("weft_cut") != ["history"]:
                    fail("rank 0 solve end %r" % end.get("weft_cut"))
            elif "weft_cut" in end or "history" in end:
                fail("rank %d solve end %r" % (rank, dict(end)))
        hang = incomplete[0].root()
        if hang.action_type != "hang" or hang.end_message is not None:
            fail("the unfinished action")
    elif mode == "cut":
        if len(done) != 2 or incomplete:
            fail("%d complete, %d incomplete tasks" % (len(done), len(incomplete)))
        # test_profile.c's cut_values(): a message lists its cut fields in
        # weft_cut, and the values are the text that was kept
        roots = sorted((t.root() for t in done),
                       key=lambda r: r.start_message.contents["path"])
        whole, cut = roots  # "/etc/hosts" sorts first
        start = cut.start_message.contents
        if start.get("path") != "/scratch/run1/aaaa":
            fail("cut input %r" % dict(start))
        if start.get("weft_cut") != ["path"]:
            fail("cut input not listed %r" % dict(start))
        if start.get("weft_user_weft_cut") != 1 or start.get("a,b") != 2:
            fail("renamed or quoted inputs %r" % dict(start))
        end = cut.end_message.contents
        if end.get("head") != "partial" or end.get("weft_cut") != ["head"]:
            fail("cut result %r" % dict(end))
        counts = end.get("counts")
        if counts["count"] != 5 or counts["head"] != [7, 8]:
            fail("array summary %r" % counts)
        for m in (whole.start_message, whole.end_message):
            if "weft_cut" in m.contents:
                fail("whole values marked cut %r" % dict(m.contents))
    else:
        fail("unknown mode " + mode)
    print("check_eliot: ok (%s)" % mode)


main()
