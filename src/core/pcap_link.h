/* sipgw - what a captured packet looks like on the link types sipgw writes:
 * LINUX_LAPD (177) for D-channel frames, raw IP (101) for SIP as UDP. Shared
 * by the PBX simulator's classic pcap and the gateway's pcapng trace.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_PCAP_LINK_H
#define SIPGW_CORE_PCAP_LINK_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define PCAP_LINKTYPE_RAW	 101	/* IPv4 or IPv6, told by the version nibble */
#define PCAP_LINKTYPE_LINUX_LAPD 177
#define PCAP_LAPD_HDR		 16	/* the sockaddr_pkt-style header of LINUX_LAPD */
#define PCAP_LAPD_FCS		 2	/* libpri's frames end in 2 FCS bytes; pcap carries none */
#define PCAP_UDP_HDR_MAX	 (40 + 8)	/* IPv6 + UDP */

/** A Q.921 frame as libpri exchanges it (len includes the 2 FCS bytes) as a
 * LINUX_LAPD packet: the 16-byte header (direction; network: the capturing
 * side is the network, which Wireshark needs to tell the C/R bit's meaning),
 * then the frame without its FCS. Its length, or 0 (too short, no room). */
size_t pcap_lapd_packet(uint8_t *out, size_t cap, int outgoing, int network,
			const uint8_t *frame, size_t len);
/** payload as a UDP datagram from src to dst (both AF_INET or both
 * AF_INET6) in an IP packet with correct checksums. Its length, or 0. */
size_t pcap_udp_packet(uint8_t *out, size_t cap, const struct sockaddr *src,
		       const struct sockaddr *dst, const void *payload, size_t len);

#endif
