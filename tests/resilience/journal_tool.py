"""journal_tool.py - damage a Weft journal on purpose (docs/journal.md).

  journal_tool.py find DIR RANK          print the .wj file of RANK
  journal_tool.py truncate-last WJ N     cut the file N bytes before the end
                                         of the last record of thread 0
  journal_tool.py flip WJ OFFSET         flip the low bit of byte OFFSET
"""
import os
import struct
import sys

HEADER = 4096
MAGIC = 0x4B4C4257


def header(path):
    with open(path, "rb") as f:
        h = f.read(1240)
    if h[:8] != b"WEFTJNL1":
        raise SystemExit("%s: not a journal" % path)
    block, slot, nslots = struct.unpack_from("<QQQ", h, 16)
    rank = struct.unpack_from("<i", h, 48)[0]
    return block, slot, nslots, rank


def last_block_end(path):
    block, slot, nslots, _ = header(path)
    best = None
    with open(path, "rb") as f:
        for s in range(nslots):
            f.seek(HEADER + s * slot)
            b = f.read(64)
            if len(b) < 64:
                break
            magic, thread, seq, used = struct.unpack_from("<IIQQ", b, 0)
            if magic == MAGIC and thread == 0 and (best is None or seq > best[0]):
                best = (seq, HEADER + s * slot + 64 + used)
    if best is None:
        raise SystemExit("%s: no block of thread 0" % path)
    return best[1]


def main(argv):
    cmd = argv[1]
    if cmd == "find":
        for n in sorted(os.listdir(argv[2])):
            p = os.path.join(argv[2], n)
            if n.endswith(".wj") and header(p)[3] == int(argv[3]):
                print(p)
                return 0
        return 1
    if cmd == "truncate-last":
        end = last_block_end(argv[2])
        os.truncate(argv[2], end - int(argv[3]))
        return 0
    if cmd == "flip":
        with open(argv[2], "r+b") as f:
            f.seek(int(argv[3]))
            b = f.read(1)
            f.seek(int(argv[3]))
            f.write(bytes([b[0] ^ 1]))
        return 0
    raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
