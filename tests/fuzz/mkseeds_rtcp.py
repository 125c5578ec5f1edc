#!/usr/bin/env python3
# sipgw - writes the seed corpus of fuzz_rtcp (tests/fuzz/corpus/rtcp):
# compound RTCP packets as phones and gateways send them, octets by hand
# from RFC 3550 6.4-6.6 (SR, RR, SDES, BYE), RFC 3550 A.2 (padding on the
# last packet) and an APP / XR packet (RFC 3611) to be skipped.
# SPDX-License-Identifier: GPL-2.0-only
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'rtcp')


def hdr(count, pt, body, pad=0):
    length = (4 + len(body) + pad) // 4 - 1
    b0 = 0x80 | (0x20 if pad else 0) | count
    out = struct.pack('!BBH', b0, pt, length) + body
    if pad:
        out += bytes(pad - 1) + bytes([pad])
    return out


def rb(ssrc, fraction, lost, ext_max, jitter, lsr=0, dlsr=0):
    return struct.pack('!II', ssrc, (fraction << 24) | (lost & 0xffffff)) + \
        struct.pack('!IIII', ext_max, jitter, lsr, dlsr)


def sr(ssrc, blocks=(), ntp=0xe8a1b2c3d4e5f607, rtp_ts=160000, pkts=500, octets=80000):
    body = struct.pack('!IQIII', ssrc, ntp, rtp_ts, pkts, octets) + b''.join(blocks)
    return hdr(len(blocks), 200, body)


def rr(ssrc, blocks=()):
    return hdr(len(blocks), 201, struct.pack('!I', ssrc) + b''.join(blocks))


def sdes(ssrc, items):
    chunk = struct.pack('!I', ssrc)
    for t, v in items:
        chunk += bytes([t, len(v)]) + v
    chunk += b'\0'
    chunk += bytes(-len(chunk) % 4)
    return hdr(1, 202, chunk)


def bye(ssrcs, reason=b''):
    body = b''.join(struct.pack('!I', s) for s in ssrcs)
    if reason:
        r = bytes([len(reason)]) + reason
        body += r + bytes(-len(r) % 4)
    return hdr(len(ssrcs), 203, body)


SEEDS = {
    'sr-sdes': sr(0x11111111, [rb(0x22222222, 25, 100, 0x1000a, 80, 0xb7052000, 0x54000)]) +
               sdes(0x11111111, [(1, b'phone@127.0.0.1')]),
    'rr-empty': rr(0x33333333) + sdes(0x33333333, [(1, b'abcd')]),
    'rr-two-blocks': rr(7, [rb(1, 0, 0, 9, 0), rb(2, 255, -5, 0xffffffff, 1 << 20)]) +
                     sdes(7, [(1, b'x' * 16), (2, b'Phone user'), (6, b'sipgw-phone')]),
    'sr-bye-reason': sr(5, []) + sdes(5, [(1, b'cname')]) + bye([5, 6], b'call ended'),
    'rr-bye-padded': rr(9) + sdes(9, [(1, b'c')]) +
                     hdr(1, 203, struct.pack('!I', 9), pad=4),
    'rr-app-xr': rr(10) + sdes(10, [(1, b'app')]) +
                 hdr(1, 204, struct.pack('!I', 10) + b'name' + b'data1234') +
                 hdr(0, 207, struct.pack('!I', 10) + struct.pack('!BBH', 4, 0, 2) + bytes(8)),
    'sdes-two-chunks': rr(11) + hdr(2, 202, struct.pack('!I', 11) + b'\x01\x03abc' + b'\0\0' +
                                     struct.pack('!I', 12) + b'\x01\x02de' + b'\0\0'),
    'truncated-sr': sr(13, [rb(1, 2, 3, 4, 5)])[:40],
    'sdes-first': sdes(14, [(1, b'first')]) + rr(14),
}

if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    print(f'{len(SEEDS)} seeds in {OUT}')
