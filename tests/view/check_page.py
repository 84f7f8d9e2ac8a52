"""check_page.py - loads pages written by `weft view` in headless Chromium
(DevTools protocol, cdp.py) and checks what they drew and how they answer
clicks and searches.

usage: check_page.py PAGE AGGREGATED_PAGE ACTIONS_CSV OUTDIR [PMPI_PAGE]

ACTIONS_CSV is `weft export --format csv` of the same log: the expected
lanes and actions come from it, not from the page.  Screenshots go to
OUTDIR.  PMPI_PAGE, a page of a libweft-pmpi log, must draw its MPI
messages as arrows.  Exit status 77 (ctest: skipped) when Chromium cannot start."""

import base64
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

page, agg_page, actions_csv, outdir = sys.argv[1:5]
pmpi_page = sys.argv[5] if len(sys.argv) > 5 else None
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


rows = list(csv.DictReader(open(actions_csv, encoding="utf-8")))
threads = {}
for r in rows:
    threads.setdefault(int(r["rank"]), set()).add(int(r["thread"]))
expected_lanes = []
for rank in sorted(threads):
    for t in sorted(threads[rank]):
        expected_lanes.append("rank %d" % rank if len(threads[rank]) == 1
                              else "rank %d · thread %d" % (rank, t))

try:
    b = cdp.Browser()
except cdp.CannotStart as e:
    print("SKIP: headless chromium cannot start: %s" % e)
    sys.exit(77)


def load(path):
    b.events = []
    b.call("Page.navigate", url="file://" + os.path.abspath(path))
    b.wait_event("Page.loadEventFired")
    return b.eval("typeof window.weftView")


def screenshot(name):
    shot = b.call("Page.captureScreenshot", format="png")
    out = os.path.join(outdir, name)
    with open(out, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print("screenshot: " + out)


try:
    b.call("Page.enable")
    b.call("Runtime.enable")
    b.call("Emulation.setDeviceMetricsOverride", width=1400, height=800,
           deviceScaleFactor=1, mobile=False)
    check(load(page) == "object", "the page set up window.weftView")
    errors = [e for e in b.events if e.get("method") ==
              "Runtime.exceptionThrown"]
    check(not errors, "no script error while loading (%s)" % errors[:1])

    # no field value escaped its JSON string
    check(b.eval("window.weftPwned === undefined"),
          "field values ran no script")
    check(b.eval("document.scripts.length") == 2,
          "the page has exactly its two script elements")
    check(b.eval("weftView.data.nodes[0].f.note") ==
          "</script><script>window.weftPwned=1</script><!--",
          "the </script> field value arrives intact as data")
    check(b.eval("weftView.data.nodes[0].f.big") == "9007199254740993",
          "an integer beyond 2^53 arrives with its exact digits")
    check("[7,9007199254740993]" in b.eval("weftView.data.nodes[0].f.ids"),
          "an integer array's elements beyond 2^53 keep their digits")

    # lanes and nodes
    lanes = b.eval("weftView.lanes()")
    check(lanes == expected_lanes,
          "lanes %s == expected %s" % (lanes, expected_lanes))
    data_nodes = b.eval("weftView.data.nodes.length")
    stats = b.eval("weftView.stats()")
    actions = b.eval("weftView.data.nodes.filter(n => n.k === 1).length")
    check(actions == len(rows),
          "%d actions on the page == %d in the CSV export" %
          (actions, len(rows)))
    check(stats["drawn"] == data_nodes,
          "drew all %d nodes (drew %d)" % (data_nodes, stats["drawn"]))
    cross = b.eval("weftView.data.nodes.filter(n => n.p >= 0 && "
                   "weftView.data.nodes[n.p].l !== n.l).length")
    check(cross >= len(threads) and stats["links"] == cross,
          "drew %d cross-lane causal links (expected %d)" %
          (stats["links"], cross))
    tree_rows = b.eval("document.querySelectorAll('#tree .row').length")
    check(tree_rows >= 1 + len(expected_lanes) - 1,
          "the tree shows the root and the continued solves (%d rows)" %
          tree_rows)
    screenshot("view.png")

    # a click on the slowest compute in the timeline shows its fields
    slow = max((r for r in rows if r["type"] == "compute"),
               key=lambda r: float(r["elapsed"]))
    idx = b.eval("weftView.data.nodes.findIndex(n => n.k === 1 && "
                 "weftView.data.types[n.t] === 'compute' && "
                 "weftView.data.lanes[n.l].rank === %s && n.f.arg === %s)"
                 % (slow["rank"], slow["in.arg"]))
    check(idx >= 0, "found the slowest compute (rank %s, arg %s) in the "
          "data" % (slow["rank"], slow["in.arg"]))
    pt = b.eval("weftView.pointOf(%d)" % idx)
    b.click(pt["x"], pt["y"])
    check(b.eval("weftView.selected()") == idx,
          "clicking the timeline at (%.0f, %.0f) selected node %d" %
          (pt["x"], pt["y"], idx))
    check(b.eval("weftView.treeSelected()") == idx,
          "the clicked action is selected in the tree too")
    details = b.eval("document.getElementById('details').innerText")
    want = ["compute", "arg\t" + slow["in.arg"],
            "result\t" + slow["out.result"], "succeeded"]
    check(all(w in details for w in want),
          "details show %s: %r" % (want, details))
    check(b.eval("document.querySelector('#tree .row.selected') && "
                 "document.querySelector('#tree .row.selected').dataset.i")
          == str(idx), "the selected tree row is the clicked action")
    screenshot("view-click.png")

    # pan and zoom: the wheel zooms about the pointer, a drag pans, "0"
    # fits the whole job again
    b.eval("window.dispatchEvent(new KeyboardEvent('keydown', {key: '0'}))")
    v0 = b.eval("({t0: weftView.view.t0, t1: weftView.view.t1})")
    c = b.eval("(() => { const r = document.getElementById('canvas')"
               ".getBoundingClientRect(); return {x: r.left + r.width * 0.6, "
               "y: r.top + r.height / 2, w: r.width}; })()")
    t_before = b.eval("weftView.timeAt(%f)" % c["x"])
    b.wheel(c["x"], c["y"], -400)
    v1 = b.eval("({t0: weftView.view.t0, t1: weftView.view.t1})")
    t_after = b.eval("weftView.timeAt(%f)" % c["x"])
    span0, span1 = v0["t1"] - v0["t0"], v1["t1"] - v1["t0"]
    check(span1 < span0 * 0.7,
          "the wheel zoomed in (%.0f ns shown, was %.0f)" % (span1, span0))
    check(v1["t0"] > v0["t0"] and v1["t1"] < v0["t1"] and
          abs(t_after - t_before) <= 1e-6 * span0 + 1,
          "zooming at 60%% of the width keeps the time under the pointer "
          "(%.0f ns before, %.0f after)" % (t_before, t_after))
    b.drag(c["x"], c["y"], c["x"] + 120, c["y"])
    v2 = b.eval("({t0: weftView.view.t0, t1: weftView.view.t1})")
    check(v2["t0"] < v1["t0"] and
          abs((v2["t1"] - v2["t0"]) - span1) < span1 * 1e-6,
          "dragging right moved the view earlier at the same zoom")
    screenshot("view-zoomed.png")
    b.eval("window.dispatchEvent(new KeyboardEvent('keydown', {key: '0'}))")
    v3 = b.eval("({t0: weftView.view.t0, t1: weftView.view.t1})")
    check(abs((v3["t1"] - v3["t0"]) - span0) < span0 * 1e-6,
          "\"0\" fits the whole job again")

    # a click on a tree row (the failed solve) selects it in the timeline
    fidx = b.eval("weftView.data.nodes.findIndex(n => n.s === 2)")
    check(fidx >= 0, "the failed action is on the page")
    r = b.eval("(() => { const e = weftView.rowOf(%d); "
               "e.scrollIntoView(); const b = e.getBoundingClientRect(); "
               "return {x: b.left + 40, y: b.top + b.height / 2}; })()"
               % fidx)
    b.click(r["x"], r["y"])
    check(b.eval("weftView.selected()") == fidx,
          "clicking its tree row selected the failed action")
    details = b.eval("document.getElementById('details').innerText")
    failed = [x for x in rows if x["status"] == "failed"][0]
    check(failed["reason"] in details and "code\t" + failed["code"] in
          details, "details show the failure reason as text: %r" % details)
    check(b.eval("window.weftPwned === undefined"),
          "the reason's markup ran nothing")

    # search
    progress = b.eval("weftView.data.nodes.filter(n => "
                      "weftView.data.types[n.t] === 'progress').length")
    b.eval("document.getElementById('search').focus()")
    b.call("Input.insertText", text="progress")
    got = b.eval("weftView.matches().length")
    check(got == progress and progress > 0,
          "searching 'progress' matches the %d progress messages (%d)" %
          (progress, got))
    b.call("Input.dispatchKeyEvent", type="keyDown", key="Enter",
           code="Enter", windowsVirtualKeyCode=13)
    check(b.eval("weftView.matches().indexOf(weftView.selected())") == 0,
          "Enter selects the first match")

    # colour by status
    b.eval("(() => { const s = document.getElementById('colour'); "
           "s.value = 'status'; s.dispatchEvent(new Event('change')); })()")
    check(b.eval("document.getElementById('legend').textContent"
                 ".includes('failed')"), "colour by status has its legend")
    screenshot("view-status.png")

    # the aggregated page
    check(load(agg_page) == "object", "the aggregated page set up")
    d = b.eval("({shown: weftView.data.shown, total: weftView.data.total, "
               "max: weftView.data.max, agg: weftView.data.agg.length, "
               "nodes: weftView.data.nodes.length, "
               "banner: document.getElementById('banner').hidden ? '' : "
               "document.getElementById('banner').textContent})")
    check(d["nodes"] == d["shown"] <= d["max"] < d["total"],
          "kept %d of %d nodes (limit %d)" % (d["shown"], d["total"],
                                              d["max"]))
    check("more than a page can show" in d["banner"],
          "the page says it is aggregated: %r" % d["banner"])
    stats = b.eval("weftView.stats()")
    check(d["agg"] > 0 and stats["agg"] == d["agg"],
          "drew %d summary bars" % stats["agg"])
    kept_slowest = b.eval("weftView.data.nodes.some(n => "
                          "weftView.data.types[n.t] === 'compute' && "
                          "weftView.data.lanes[n.l].rank === %s && "
                          "n.f.arg === %s)" % (slow["rank"], slow["in.arg"]))
    check(kept_slowest, "the slowest compute is kept")
    check(b.eval("weftView.data.nodes.every(n => n.p < 0 || "
                 "weftView.data.nodes[n.p] !== undefined)"),
          "every kept node's parent is kept")
    screenshot("view-aggregated.png")

    if pmpi_page:
        check(load(pmpi_page) == "object", "the libweft-pmpi page set up")
        pairs = b.eval("weftView.data.messages.length")
        right = b.eval("weftView.data.messages.filter(m => { "
                       "const d = weftView.data, s = d.nodes[m[0]], "
                       "r = d.nodes[m[1]]; return (d.types[r.t] === "
                       "'mpi:recv' || d.types[r.t] === 'MPI_Recv') && "
                       "s.f.peer === d.lanes[r.l].rank && "
                       "r.f.peer === d.lanes[s.l].rank && "
                       "s.f.tag === r.f.tag; }).length")
        stats = b.eval("weftView.stats()")
        check(pairs > 0 and right == pairs,
              "%d MPI messages pair a send with the matching receipt "
              "(%d right)" % (pairs, right))
        check(stats["messages"] == pairs,
              "drew %d of %d message arrows" % (stats["messages"], pairs))
        screenshot("view-pmpi.png")
finally:
    b.close()

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all page checks passed")
