"""log_items - the items of a Weft log's segment as h5py sees them, for
bad_input.sh to damage one and to say which file row `weft` must name.

A segment's items are its /events rows and, in format 2.0, its leaf rows of
/actions, in the order of its /order bits (bit i of the segment's bytes set:
item i is the next leaf row); their payloads follow one another in /payload
from payload_start, each padded to 8 bytes, a leaf row's of its schema's
size (8 bytes per scalar field, 1 per bool: docs/format.md sections 4-5).
This walks the file independently of tools/reader.c, so the rows and bytes
it gives check the reader's.
"""
import numpy as np


def leaf_sizes(f, c):
    """{(rank, schema id): payload bytes} of every schema."""
    fields = f["schema_fields"][: c["schema_fields"]]["type"]
    return {(int(s["rank"]), int(s["id"])): int(sum(
        1 if t == 4 else 8
        for t in fields[s["fields_off"]: s["fields_off"] + s["nfields"]]))
        for s in f["schemas"][: c["schemas"]]}


def segment_items(f, c, k):
    """Segment row k's items, as arrays indexed by item: leaf (bool), row
    (of /events, or of /actions when leaf), schema (as the row has it),
    size (payload bytes) and pay (its first /payload byte)."""
    s = f["segments"][k]
    ne, nl = int(s["event_count"]), int(s["leaf_count"])
    n = ne + nl
    leaf = np.zeros(n, dtype=bool)
    if nl:
        o = int(s["order_start"])
        bits = f["order"][o: o + (n + 7) // 8]
        leaf = np.unpackbits(bits, bitorder="little")[:n].astype(bool)
    assert int(leaf.sum()) == nl, "the /order bits do not count the leaf rows"
    es, ls = int(s["event_start"]), int(s["leaf_start"])
    ev = f["events"][es: es + ne]
    row = np.empty(n, dtype=np.int64)
    schema = np.empty(n, dtype=np.int64)
    size = np.empty(n, dtype=np.int64)
    row[~leaf] = es + np.arange(ne)
    schema[~leaf] = ev["schema"]
    size[~leaf] = ev["size"]
    if nl:
        sizes = leaf_sizes(f, c)
        acts = f["actions"][ls: ls + nl]["schema"]
        row[leaf] = ls + np.arange(nl)
        schema[leaf] = acts
        size[leaf] = [sizes[(int(s["rank"]), int(a))] for a in acts]
    pad = (size + 7) & ~7
    pay = int(s["payload_start"]) + np.concatenate(([0], np.cumsum(pad)[:-1]))
    return dict(leaf=leaf, row=row, schema=schema, size=size, pay=pay)


def segment_text(f, k):
    s = f["segments"][k]
    return "segment of rank %d thread %d epoch %d" % (
        s["rank"], s["thread"], s["epoch"])


def item_text(items, i):
    """How `weft` names item i: its file row, schema, /payload bytes."""
    what = "'/actions' leaf row" if items["leaf"][i] else "'/events' row"
    a, n = int(items["pay"][i]), int(items["size"][i])
    pay = "'/payload' bytes %d..%d" % (a, a + n) if n else "no payload"
    return "%s %d (schema %d, %s)" % (what, items["row"][i],
                                      items["schema"][i], pay)


def where(f, c, k, i):
    """The start of `weft`'s error line for item i of segment k."""
    return segment_text(f, k) + ": " + item_text(segment_items(f, c, k), i)


def find_event_row(f, c, row):
    """(segment, item) of /events row `row`."""
    segs = f["segments"][: c["segments"]]
    k = next(k for k, s in enumerate(segs) if
             s["event_start"] <= row < s["event_start"] + s["event_count"])
    items = segment_items(f, c, k)
    i = int(np.flatnonzero(~items["leaf"] & (items["row"] == row))[0])
    return k, i


def sizes_exceed(f, c, k):
    """`weft`'s line for segment k whose items need more payload bytes than
    its payload_bytes: the first item whose payload runs past them."""
    s = f["segments"][k]
    items = segment_items(f, c, k)
    pb, ps = int(s["payload_bytes"]), int(s["payload_start"])
    ends = np.cumsum((items["size"] + 7) & ~7)
    i = int(np.flatnonzero(ends > pb)[0])
    return "%s: record sizes exceed its %d payload bytes ('/payload' bytes " \
        "%d..%d): %s runs past them" % (segment_text(f, k), pb, ps, ps + pb,
                                        item_text(items, i))
