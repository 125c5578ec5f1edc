/* sipgw - loopback span wire format (DESIGN.md "Loopback span").
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_HW_LOOPBACK_H
#define SIPGW_HW_LOOPBACK_H

/* D-channel: SOCK_SEQPACKET at PATH, one Q.921 frame + 2 FCS bytes each.
 * B-channels: SOCK_SEQPACKET at PATH "-b", 1 byte channel + 160 bytes G.711. */
#define LB_DCHAN_MAX 1024
#define LB_AUDIO_SAMPLES 160
#define LB_AUDIO_DGRAM (1 + LB_AUDIO_SAMPLES)
#define LB_AUDIO_SUFFIX "-b"

/** Connect to a span's D-channel (which = 0) or B-channel (which = 1) socket;
 * returns a non-blocking fd or -errno. For the far end (simulators, tests). */
int lb_connect(const char *path, int which);

#endif
