#!/usr/bin/env python3
# sipgw - writes the seed corpus of fuzz_q931 (tests/fuzz/corpus/q931): call
# ladders as the PBX would send them, in the input format fuzz_q931.c describes.
# Q.931 octets by hand from ITU-T Q.931 4.5 (bearer capability, channel
# identification, numbers, cause, progress, restart indicator).
# SPDX-License-Identifier: GPL-2.0-only
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'q931')

NI2, EURO, DMS, ATT4ESS, LUCENT, NI1, QSIG, EURO_T1 = range(8)

def span(cpe=0, e1=0, switch=NI2, hunt=0, refuse=0):
    return bytes([cpe | e1 << 1 | switch << 2 | hunt << 5 | refuse << 7])

def ie(tag, body):
    return bytes([tag, len(body)]) + body

def digits(s):
    return s.encode()

BEARER = ie(0x04, bytes([0x80, 0x90, 0xa2]))            # speech, 64 kbit/s circuit, mu-law
BEARER_A = ie(0x04, bytes([0x80, 0x90, 0xa3]))          # A-law

def chan(c, exclusive=1):
    return ie(0x18, bytes([0xa1 | exclusive << 3, 0x83, 0x80 | c]))

def called(n):
    return ie(0x70, bytes([0x81]) + digits(n))

def calling(n):
    return ie(0x6c, bytes([0x21, 0x81]) + digits(n))

def cause(c):
    return ie(0x08, bytes([0x81, 0x80 | c]))

def progress(pi):
    return ie(0x1e, bytes([0x81, 0x80 | pi]))

def display(s):
    return ie(0x28, s.encode())

def msg(cref, flag, mt, *ies):
    """Q.931 message: protocol discriminator 08, 2-octet call reference."""
    return bytes([0x08, 0x02, (flag << 7) | (cref >> 8), cref & 0xff, mt]) + b''.join(ies)

def q931(m):
    assert len(m) < 0xe0
    return bytes([len(m)]) + m

def raw(f):
    return bytes([0xe0, len(f)]) + f

def op(code, arg=0):
    return bytes([code, arg])

SETUP, PROCEEDING, ALERTING, PROGRESS, CONNECT, CONNECT_ACK = 0x05, 0x02, 0x01, 0x03, 0x07, 0x0f
DISCONNECT, RELEASE, RELEASE_COMPLETE, RESTART, STATUS, STATUS_ENQ = 0x45, 0x4d, 0x5a, 0x46, 0x7d, 0x75
INFORMATION, NOTIFY, FACILITY, SETUP_ACK = 0x7b, 0x6e, 0x62, 0x0d

def setup_in(cref=1, c=1, exclusive=1, bearer=BEARER, num='2001', extra=()):
    return q931(msg(cref, 0, SETUP, bearer, chan(c, exclusive), calling('5551000'), called(num), *extra))

def seeds():
    s = {}
    # B-1 from the PBX: SETUP, we alert and answer, CONNECT ACK, the PBX hangs up
    s['in-answer-disconnect'] = (span() + setup_in() + op(0xf1, 0) + op(0xf3, 0) +
                                 q931(msg(1, 0, CONNECT_ACK)) + q931(msg(1, 0, DISCONNECT, cause(16))) +
                                 q931(msg(1, 0, RELEASE_COMPLETE)))
    s['in-we-release'] = (span() + setup_in() + op(0xf1, 1) + op(0xf4, 17) +
                          q931(msg(1, 0, RELEASE, cause(16))))
    s['in-refused'] = span(refuse=1) + setup_in() + q931(msg(1, 0, RELEASE_COMPLETE, cause(1)))
    s['in-preferred-busy'] = (span() + setup_in(1, 1) + setup_in(2, 1, exclusive=0) +
                              setup_in(3, 1, exclusive=1))
    s['in-display-name'] = span(switch=DMS) + setup_in(extra=(display('User A'),))
    s['in-cpe'] = span(cpe=1) + setup_in() + op(0xf3, 0) + q931(msg(1, 0, DISCONNECT, cause(31)))
    s['in-e1-euro'] = (span(e1=1, switch=EURO) + setup_in(c=17, bearer=BEARER_A) + op(0xf2, 0) +
                       op(0xf3, 0) + q931(msg(1, 0, CONNECT_ACK)))
    # SIP -> PRI: our SETUP (cref 1 from libpri), the PBX answers with the flag set
    s['out-answer'] = (span() + op(0xf0, 1) + q931(msg(1, 1, PROCEEDING, chan(1))) +
                       q931(msg(1, 1, ALERTING)) + q931(msg(1, 1, CONNECT)) + op(0xf4, 16) +
                       q931(msg(1, 1, RELEASE)))
    s['out-inband'] = (span() + op(0xf0, 1) + q931(msg(1, 1, PROGRESS, progress(8))) +
                       q931(msg(1, 1, ALERTING, progress(8))) + q931(msg(1, 1, DISCONNECT, cause(17))) +
                       q931(msg(1, 1, RELEASE_COMPLETE)))
    s['out-other-chan'] = (span(cpe=1) + op(0xf0, 1) + q931(msg(1, 1, PROCEEDING, chan(5))) +
                           q931(msg(1, 1, CONNECT, chan(6))))
    s['out-refused-44'] = span(cpe=1) + op(0xf0, 1) + q931(msg(1, 1, RELEASE_COMPLETE, cause(44)))
    # glare (Q.931 5.7): our SETUP and the PBX's on B-channel 1
    s['glare-network'] = span() + op(0xf0, 1) + setup_in(1, 1, exclusive=1)
    s['glare-cpe'] = span(cpe=1) + op(0xf0, 1) + setup_in(1, 1, exclusive=1) + q931(msg(1, 1, RELEASE_COMPLETE, cause(44)))
    # the PBX goes away in a call and comes back
    s['pbx-gone'] = span() + setup_in() + op(0xf3, 0) + op(0xf5) + setup_in(2)
    # maintenance and odd messages
    s['restart-all'] = span() + q931(bytes([0x08, 0x02, 0x00, 0x00, RESTART]) + ie(0x79, b'\x87'))
    s['restart-chan'] = (span() + setup_in() + q931(bytes([0x08, 0x02, 0x00, 0x00, RESTART]) + chan(1) +
                                                    ie(0x79, b'\x80')))
    s['status-enquiry'] = (span() + setup_in() + q931(msg(1, 0, STATUS_ENQ)) +
                           q931(msg(1, 0, STATUS, cause(30), ie(0x14, b'\x0a'))))
    s['unknown-call-ref'] = (span() + q931(msg(9, 1, DISCONNECT, cause(16))) + q931(msg(9, 0, RELEASE)) +
                             q931(msg(9, 0, INFORMATION, called('5'))))
    s['notify-facility'] = (span(switch=QSIG) + setup_in() + q931(msg(1, 0, NOTIFY, ie(0x27, b'\xf9'))) +
                            q931(msg(1, 0, FACILITY, ie(0x1c, b'\x91\xa1\x06\x02\x01\x01\x02\x01\x00'))))
    s['overlap'] = (span(switch=EURO) + q931(msg(1, 0, SETUP, BEARER, chan(1), calling('5551000'))) +
                    q931(msg(1, 0, INFORMATION, called('2'))) + q931(msg(1, 0, INFORMATION, called('001'), b'\xa1')))
    # Q.921 itself: RR, REJ, a DISC, a FRMR, a bad address, then Q.931 again
    s['q921-frames'] = (span() + setup_in() + raw(b'\x02\x01\x01\x02') + raw(b'\x00\x01\x09\x00') +
                        raw(b'\x00\x01\x53') + raw(b'\x02\x01\x87\x00\x00\x00') + raw(b'\xfc\x01\x03') +
                        setup_in(2))
    s['many-calls'] = span(hunt=2) + b''.join(setup_in(k, 1, exclusive=0) for k in range(1, 6)) + \
        op(0xf0, 3) + op(0xf0, 4) + op(0xf4, 3)
    # timers: 0xf6 a lets (a + 1) * 250 ms pass for libpri
    def wait(seconds):
        return op(0xf6, int(seconds * 4) - 1)
    s['out-t303'] = span() + op(0xf0, 1) + wait(4.5) + wait(4.5) + wait(1)
    s['in-t305-t308'] = (span() + setup_in() + op(0xf1, 0) + op(0xf4, 16) + wait(31) +
                         wait(4.5) + wait(4.5))
    s['q921-t203-t200'] = span() + setup_in() + op(0xf3, 0) + wait(11) + wait(1.5) + wait(1.5) + wait(1.5) + wait(2)
    s['out-t310'] = span(cpe=1) + op(0xf0, 1) + q931(msg(1, 1, PROCEEDING, chan(1))) + wait(60) + wait(5)
    return s

def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    print(f'{len(seeds())} seeds in {OUT}', file=sys.stderr)

if __name__ == '__main__':
    main()
