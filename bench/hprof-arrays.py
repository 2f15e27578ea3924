#!/usr/bin/env python3
"""Sizes of the primitive arrays in an HPROF heap dump (jcmd GC.heap_dump), by type and length.

Usage: bench/hprof-arrays.py FILE.hprof [top-count]

jcmd's class histogram counts byte[] and char[] but cannot say which buffers they are; their lengths can
(8192 is a Tomcat or HttpCore default, 12288 Tomcat's request-head buffer with a 4 KB socket buffer, ...).
`BENCH_HEAP_DUMP=1 bench/run.sh --parts concurrency` writes the dumps of the held-streams part. The JDK has
no HPROF reader and heap analysers (Eclipse MAT, VisualVM) are interactive, so this reads the format
(the JDK's hprof binary format, "JAVA PROFILE 1.0.2") for this one question.
"""
import struct, sys, collections
f = open(sys.argv[1], 'rb')
header = b''
while True:
    c = f.read(1)
    if c == b'\0': break
idsize = struct.unpack('>I', f.read(4))[0]; f.read(8)
ID = '>Q' if idsize == 8 else '>I'
tsize = {2: idsize, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
tname = {4: 'boolean', 5: 'char', 6: 'float', 7: 'double', 8: 'byte', 9: 'short', 10: 'int', 11: 'long'}
arrays = collections.Counter(); total = collections.Counter()
def rid(b, o): return struct.unpack_from(ID, b, o)[0]
while True:
    h = f.read(9)
    if len(h) < 9: break
    tag, _, length = struct.unpack('>BII', h)
    body = f.read(length)
    if tag not in (0x0c, 0x1c): continue
    o = 0; n = len(body)
    while o < n:
        sub = body[o]; o += 1
        if sub == 0xff: o += idsize
        elif sub in (0x01,): o += 2 * idsize
        elif sub in (0x02, 0x03): o += idsize + 8
        elif sub == 0x04: o += idsize + 4
        elif sub in (0x05, 0x07): o += idsize
        elif sub == 0x06: o += idsize + 4
        elif sub == 0x08: o += idsize + 8
        elif sub == 0x20:
            o += idsize + 4 + 6 * idsize + 4
            cp = struct.unpack_from('>H', body, o)[0]; o += 2
            for _ in range(cp):
                o += 2; t = body[o]; o += 1 + tsize[t]
            sf = struct.unpack_from('>H', body, o)[0]; o += 2
            for _ in range(sf):
                o += idsize; t = body[o]; o += 1 + tsize[t]
            inf = struct.unpack_from('>H', body, o)[0]; o += 2
            o += inf * (idsize + 1)
        elif sub == 0x21:
            o += idsize + 4 + idsize
            l = struct.unpack_from('>I', body, o)[0]; o += 4 + l
        elif sub == 0x22:
            o += idsize + 4
            cnt = struct.unpack_from('>I', body, o)[0]; o += 4 + idsize + cnt * idsize
        elif sub == 0x23:
            o += idsize + 4
            cnt, t = struct.unpack_from('>IB', body, o); o += 5
            size = cnt * tsize[t]; o += size
            arrays[(tname[t], cnt)] += 1; total[(tname[t], cnt)] += size
        else:
            raise SystemExit('unknown sub-record %x at %d' % (sub, o))
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
for key, b in total.most_common(top):
    print('%-7s len %8d  x %7d  = %8.1f MB' % (key[0], key[1], arrays[key], b / 1048576))
