#!/usr/bin/env python3
# make-iec104-corpus.py: regenerates the seed corpora of the iec104 fuzz targets (run from any dir).
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def i_frame(ns, nr, asdu):
    return bytes([0x68, len(asdu) + 4, (ns << 1) & 0xFE, ns >> 7, (nr << 1) & 0xFE, nr >> 7]) + asdu


def u_frame(c1):
    return bytes([0x68, 4, c1, 0, 0, 0])


def s_frame(nr):
    return bytes([0x68, 4, 1, 0, (nr << 1) & 0xFE, nr >> 7])


def asdu(ti, vsq, cot, body, ca=1):
    return bytes([ti, vsq, cot, 0]) + struct.pack('<H', ca) + body


IOA0 = b'\x00\x00\x00'
TIME = bytes.fromhex('3412051 5D50B1A'.replace(' ', ''))


def file_op(op, fields, cot):
    return asdu(210, 1, cot, IOA0 + bytes([2, op]) + fields)


def name(text):
    return bytes([len(text)]) + text.encode()


def segment(file_id, seg, follow, data):
    return struct.pack('<IIB', file_id, seg, follow) + data + bytes([sum(data) & 0xFF])


# Requests a master sends (what an outstation receives).
requests = [
    asdu(100, 1, 6, IOA0 + b'\x14'),
    asdu(103, 1, 6, IOA0 + TIME),
    asdu(103, 1, 5, IOA0 + bytes(7)),
    asdu(202, 10, 6, b'\x00\x00' + b''.join(struct.pack('<I', 0x8001 + i)[:3] for i in range(10))),
    asdu(202, 0, 6, b'\x00\x00'),
    asdu(203, 1, 6, b'\x00\x00\x80' + b'\x20\x80\x00\x26\x04' + struct.pack('<f', 10.5)),
    asdu(203, 0, 6, b'\x00\x00\x00'),
    asdu(203, 0, 8, b'\x00\x00\x40'),
    asdu(211, 1, 6, IOA0 + b'\x80'),
    file_op(7, name('UpdateProgram.bin') + struct.pack('<II', 0, 300), 6),
    file_op(9, segment(0, 0, 1, bytes(range(200))), 5),
    file_op(9, segment(0, 200, 0, bytes(100)), 5),
    file_op(1, struct.pack('<I', 0) + name('HISTORY/SOE') + bytes(15), 5),
    file_op(3, name('soe.msg'), 6),
    file_op(6, segment(0x41, 400, 0, b'')[:-1], 5),
    asdu(211, 1, 6, IOA0 + b'\x00'),
    asdu(211, 1, 8, IOA0 + b'\x00'),
    asdu(105, 1, 6, IOA0 + b'\x01'),
    asdu(45, 1, 6, b'\x01\x60\x00\x81'),
]

# Replies a terminal sends (what a master receives).
replies = [
    asdu(100, 1, 7, IOA0 + b'\x14'),
    asdu(1, 0x82, 20, b'\x01\x00\x00\x01\x00'),
    asdu(3, 1, 20, b'\x10\x00\x00\x02'),
    asdu(9, 1, 20, b'\x05\x40\x00\x00\x40\x00'),
    asdu(11, 1, 20, b'\x06\x40\x00\x2e\xfb\x00'),
    asdu(13, 0x82, 20, bytes.fromhex('0140000080 5C43000000244100'.replace(' ', ''))),
    asdu(30, 1, 3, b'\x01\x00\x00\x01' + TIME),
    asdu(31, 1, 3, b'\x10\x00\x00\x02' + TIME),
    asdu(36, 1, 3, b'\x01\x40\x00' + struct.pack('<f', 220.5) + b'\x00' + TIME),
    asdu(100, 1, 10, IOA0 + b'\x14'),
    asdu(202, 2, 7, b'\x00\x00\x00' + b'\x05\x80\x00\x04\x05V2.01'
         + b'\x09\x80\x00\x04\x07DTU0001'),
    asdu(202, 1, 7, b'\x00\x00\x01' + b'\x01\x80\x00\x04\x03DTU'),
    asdu(203, 1, 7, b'\x00\x00\x80' + b'\x20\x80\x00\x26\x04' + struct.pack('<f', 10.5)),
    asdu(103, 1, 5, IOA0 + TIME),
    asdu(211, 1, 7, IOA0 + b'\x80'),
    file_op(8, b'\x00' + name('UpdateProgram.bin') + struct.pack('<II', 0, 600), 7),
    file_op(10, struct.pack('<IIB', 0, 400, 0), 5),
    file_op(10, struct.pack('<IIB', 0, 200, 2), 7),
    file_op(2, b'\x00' + struct.pack('<I', 0) + b'\x00\x01' + name('soe.msg') + b'\x02'
            + struct.pack('<I', 100) + TIME, 5),
    file_op(4, b'\x00' + name('soe.msg') + struct.pack('<II', 0x41, 3), 7),
    file_op(5, segment(0x41, 0, 0, b'abc'), 5),
    asdu(202, 1, 0x6F, b'\x00\x00'),
    asdu(70, 1, 4, IOA0 + b'\x00'),
    asdu(105, 1, 7, IOA0 + b'\x01'),
]


def stream(first_u, items):
    out = u_frame(first_u)
    for ns, item in enumerate(items):
        out += i_frame(ns, 0, item)
    return out


def write(directory, files):
    path = os.path.join(HERE, 'corpus', directory)
    os.makedirs(path, exist_ok=True)
    for file_name, data in files.items():
        with open(os.path.join(path, file_name), 'wb') as f:
            f.write(data)


decoder = {}
for i, item in enumerate(requests + replies):
    decoder['apdu-%02d' % i] = i_frame(i, 3, item)
decoder['u-frames'] = b''.join(u_frame(c) for c in (7, 0x0B, 0x13, 0x23, 0x43, 0x83)) + s_frame(9)
decoder['stream'] = stream(0x0B, replies)
decoder['bad-length'] = b'\x68\xff\x00\x00\x00\x00'
decoder['bad-start'] = b'\x16\x04\x07\x00\x00\x00'
decoder['truncated-float'] = i_frame(0, 0, asdu(13, 2, 20, b'\x01\x40\x00\x00\x00'))
write('iec104-decoder', decoder)

link = {}
# Outstation role (byte 0 odd): STARTDT act, then each request in order, cut at several places.
for cut in (0, 7, 50, 255):
    link['outstation-%d' % cut] = bytes([1, cut, 10]) + stream(0x07, requests)
link['outstation-acks'] = bytes([1, 20, 80]) + u_frame(0x07) + i_frame(0, 0, requests[9]) + \
    s_frame(1) + i_frame(1, 1, requests[10]) + u_frame(0x43)
link['outstation-bad-seq'] = bytes([1, 0, 0]) + u_frame(0x07) + i_frame(5, 0, requests[0])
# Master role (byte 0 even, bits 1-3 the request): STARTDT con, then terminal replies.
for request in range(8):
    link['master-%d' % request] = bytes([request << 1, 6, 30]) + stream(0x0B, replies)
link['master-testfr'] = bytes([0, 6, 255]) + u_frame(0x0B) + u_frame(0x43) + u_frame(0x83)
write('iec104-link', link)
