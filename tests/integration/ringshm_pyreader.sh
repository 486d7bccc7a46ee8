#!/bin/bash
# ringshm_pyreader.sh RING [T | --registry]: an independent reader of the ring format, written from
# docs/ring-format.md alone (Python, no feedcap code), used by test_ringshm's conformance test.
#
# Prints one line per record from the oldest held (or, with T, from the first record with
# ts_ns >= T, found through the chunk index): "type seq pos ts cap_len wire_len port flags
# crc32", then "lost N" (sequence gaps). Refuses a bad file like the doc says: exit 3 with a
# message. Reads a ring whose producer has stopped (a static file), so it needs no fences.
set -euo pipefail
exec python3 - "$@" <<'PY'
import mmap, os, struct, sys, zlib

path = sys.argv[1]
if len(sys.argv) > 2 and sys.argv[2] == "--registry":
    # Section 7: the live slots of FILE.readers, "name pid pos delivered lost_records
    # write_errors blocked last_errno last_error_ns last_error".
    regpath = os.path.realpath(path) + ".readers"
    for attempt in range(1000):
        with open(regpath, "rb") as f:
            reg = f.read()
        if len(reg) < 64 or reg[0:8] != b"FCREGS01":
            print(f"{path}.readers: not a registry", file=sys.stderr); sys.exit(3)
        magic, version, nslots, slot_size = struct.unpack_from("<QIII", reg, 0)
        if version != 2:
            print(f"{path}.readers: registry layout version {version}, not 2", file=sys.stderr)
            sys.exit(3)
        if slot_size != 256 or nslots != 64 or len(reg) < 64 + nslots * slot_size:
            print(f"{path}.readers: not a registry", file=sys.stderr); sys.exit(3)
        # err_seq odd: a writer is between two stores of its status; read again
        if all(struct.unpack_from("<I", reg, 64 + 256 * i + 116)[0] % 2 == 0
               for i in range(nslots)):
            break
    for i in range(nslots):
        off = 64 + 256 * i
        pid, pos, delivered, lost = struct.unpack_from("<QQQQ", reg, off)
        name = reg[off + 64:off + 96].split(b"\0")[0].decode()
        errors, err_ns, err_no, _seq, blocked = struct.unpack_from("<QQIII", reg, off + 96)
        text = reg[off + 128:off + 224].split(b"\0")[0].decode()
        if pid:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            print(name, pid, pos, delivered, lost, errors, blocked, err_no, err_ns, text)
    sys.exit(0)
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
if size < 3904:
    print(f"{path}: truncated header", file=sys.stderr); sys.exit(3)
m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)

def u64(off): return struct.unpack_from("<Q", m, off)[0]
def u32(off): return struct.unpack_from("<I", m, off)[0]

if m[0:8] != b"FCRING01":
    print(f"{path}: not a ring", file=sys.stderr); sys.exit(3)
if u32(8) != 1:
    print(f"{path}: version {u32(8)}", file=sys.stderr); sys.exit(3)
file_size, ctl_size, capacity = u64(16), u64(24), u64(32)
chunk, nchunks, align, hdr_size = u32(40), u32(44), u32(48), u32(52)
pow2 = lambda v: v and not (v & (v - 1))
if not (pow2(chunk) and chunk >= 65536 and pow2(capacity) and capacity >= 2 * chunk
        and nchunks == capacity // chunk and align == 32 and hdr_size == 32
        and ctl_size % (2 << 20) == 0 and ctl_size >= 3904 + 16 * nchunks
        and file_size == ctl_size + capacity and file_size <= size):
    print(f"{path}: bad geometry", file=sys.stderr); sys.exit(3)
claim, head, next_seq = u64(128), u64(136), u64(144)

def rec_size(cap): return (32 + cap + 31) & ~31

def header(p):
    pos, ts, seq, cap, wire, port, typ, flags = struct.unpack_from(
        "<QQQHHBBH", m, ctl_size + (p & (capacity - 1)))
    return pos, ts, seq, cap, wire, port, typ, flags

oldest = claim - capacity if claim > capacity else 0
start = oldest
if len(sys.argv) > 2:
    t = int(sys.argv[2])
    lo, hi = oldest // chunk, (head - 1) // chunk
    ans = lo
    while lo <= hi:
        mid = (lo + hi) // 2
        cp, first = struct.unpack_from("<QQ", m, 3904 + 16 * (mid % nchunks))
        if cp != mid * chunk or first < t:
            ans, lo = mid, mid + 1
        else:
            hi = mid - 1
    start = ans * chunk
else:
    t = 0

p, expect, lost = start, None, 0
while p < head:
    pos, ts, seq, cap, wire, port, typ, flags = header(p)
    if pos != p or typ not in (1, 2, 3, 4, 5):
        print(f"{path}: corrupt record at {p}", file=sys.stderr); sys.exit(3)
    if typ == 2:
        p = (p | (chunk - 1)) + 1
        continue
    size_ = rec_size(cap)
    if (p % chunk) + size_ > chunk or p + size_ > head:
        print(f"{path}: corrupt record at {p}", file=sys.stderr); sys.exit(3)
    if ts >= t:
        if expect is not None and seq > expect:
            lost += seq - expect
        expect = seq + 1
        off = ctl_size + (p & (capacity - 1)) + 32
        print(typ, seq, pos, ts, cap, wire, port, flags, zlib.crc32(m[off:off + cap]))
        t = 0  # from the first match on, every record
    p += size_
print("lost", lost)
PY
