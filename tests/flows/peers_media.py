# What audio crossed, measured outside the programs: a Goertzel filter over a
# .wav a peer recorded, or over the G.711 RTP that a capture on lo saw.
# SPDX-License-Identifier: GPL-2.0-only
import math
import os
import struct
import subprocess
import time
import wave

import flowlib as fl
from peers_common import need


def is_tone(x, hz, rate=8000):
    """Is the block of samples x a tone at hz: above -40 dBFS, with most of its energy in
    a Goertzel filter at hz? (A full-scale sine has energy n*A^2/2 and Goertzel power
    (n*A/2)^2: the ratio below is 1 for a pure tone on the bin.)"""
    n = len(x)
    if not n:
        return False
    coef = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + coef * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coef * s1 * s2
    energy = sum(v * v for v in x)
    return energy > n * (32768 * 0.01) ** 2 / 2 and power / (energy * n / 2) > 0.5


def wav_blocks(path, hz, block_ms=20):
    """Per block of block_ms of a 16-bit PCM .wav (its first channel): a tone at hz?"""
    with wave.open(path, "rb") as w:
        rate, ch, sw = w.getframerate(), w.getnchannels(), w.getsampwidth()
        if sw != 2:
            raise fl.FlowError("%s: %d-byte samples, not 16-bit" % (path, sw))
        raw = w.readframes(w.getnframes())
    x = struct.unpack("<%dh" % (len(raw) // 2), raw)[::ch]
    n = rate * block_ms // 1000
    return [is_tone(x[i:i + n], hz, rate) for i in range(0, len(x) - n + 1, n)]


def tone_runs(blocks):
    """[(first block, length)] of the runs of True in blocks."""
    runs, start = [], None
    for i, b in enumerate(blocks + [False]):
        if b and start is None:
            start = i
        elif not b and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def _ulaw_table():
    # G.711 u-law expansion (ITU-T G.711 table 2a)
    out = []
    for b in range(256):
        u = ~b & 0xff
        t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4)
        out.append((0x84 - t) if u & 0x80 else (t - 0x84))
    return out


ULAW = _ulaw_table()


class RtpCapture(fl.Proc):
    """dumpcap on lo for the UDP packets to one port (a peer's RTP port), started before
    the call; .packets() (which ends the capture) are (CLOCK_MONOTONIC ms, RTP payload
    type, payload) and .tone_ms(hz) says which PCMU packets carry a tone at hz, so what
    crossed the wire to a peer compares with the simulators' and the peers' times.
    Needs the right to capture (root, or dumpcap's capabilities): FlowSkip without it."""

    def __init__(self, tb, name, port):
        need("dumpcap")
        need("tshark")
        self.pcap = os.path.join(tb.dir, name + ".pcapng")
        self.port = port
        super().__init__(name, ["dumpcap", "-i", "lo", "-f", "udp dst port %d" % port, "-w", self.pcap],
                         tb.dir)
        tb.procs.append(self)
        # dumpcap says "Capturing on 'Loopback: lo'" once the filter is on the socket
        try:
            self.wait_line(r"Capturing on", stream="err", timeout=10)
        except fl.FlowError:
            err = " ".join(self.errlines())
            if "ermission" in err or "not permitted" in err:
                raise fl.FlowSkip("no right to capture on lo: " + err)
            raise
        # pcap times are wall-clock; the simulators print CLOCK_MONOTONIC ms
        self.wall_to_mono = time.monotonic() - time.time()

    def packets(self):
        self.stop()
        r = subprocess.run(["tshark", "-n", "-r", self.pcap, "-d", "udp.port==%d,rtp" % self.port,
                            "-T", "fields", "-e", "frame.time_epoch", "-e", "rtp.p_type", "-e", "rtp.payload"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise fl.FlowError("tshark -r %s: %s" % (self.pcap, r.stderr.strip()))
        out = []
        for ln in r.stdout.splitlines():
            cols = ln.split("\t")
            if len(cols) < 3 or not cols[1]:
                continue
            out.append((int((float(cols[0]) + self.wall_to_mono) * 1000), int(cols[1]),
                        bytes.fromhex(cols[2].replace(":", ""))))
        return out

    def tone_ms(self, hz):
        """[(ms, True|False)] per PCMU packet: does its payload hold a tone at hz?"""
        return [(ms, is_tone([ULAW[b] for b in pl], hz)) for ms, pt, pl in self.packets() if pt == 0 and pl]
