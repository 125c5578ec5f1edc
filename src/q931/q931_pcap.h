/* sipgw - D-channel frames as a pcap file Wireshark reads: link type 177
 * (LINUX_LAPD), each Q.921 frame after a 16-byte header that says its
 * direction and which side sent it. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_Q931_PCAP_H
#define SIPGW_Q931_PCAP_H

#include <stddef.h>
#include <stdint.h>

struct q931_pcap;

/** Create (truncate) path and write the pcap file header. network: we are the
 * network side (Wireshark tells user from network by it). 0 or -errno. */
int q931_pcap_open(struct q931_pcap **pcp, const char *path, int network);
/** One Q.921 frame as libpri exchanges it: len includes the 2 FCS bytes,
 * which the file leaves out. outgoing: we sent it. Flushed at once, so a
 * killed program leaves a readable file. */
void q931_pcap_frame(struct q931_pcap *pc, int outgoing, const uint8_t *frame, size_t len);
void q931_pcap_close(struct q931_pcap *pc);

#endif
