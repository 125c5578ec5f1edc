/* sipgw - what a captured packet looks like on the link types sipgw writes:
 * LINUX_LAPD (177) for D-channel frames, raw IP (101) for SIP as UDP.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/pcap_link.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define LAPD_ARPHRD	0x20fd	/* ARPHRD_LAPD */
#define LAPD_ETH_P	0x0030	/* ETH_P_LAPD */
#define PACKET_HOST	0	/* received */
#define PACKET_OUTGOING	4	/* sent */
#define IPV4_HDR	20
#define IPV6_HDR	40
#define UDP_HDR		8
#define TRACE_IP_TTL		64
#define IP_PROTO_UDP	17

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t pcap_lapd_packet(uint8_t *out, size_t cap, int outgoing, int network,
			const uint8_t *frame, size_t len)
{
	if (len <= PCAP_LAPD_FCS)
		return 0;
	len -= PCAP_LAPD_FCS;
	if (PCAP_LAPD_HDR + len > cap)
		return 0;
	/* packet type, ARPHRD type, address length, address (its first byte:
	 * the capturing side is the network), protocol */
	memset(out, 0, PCAP_LAPD_HDR);
	be16(out, outgoing ? PACKET_OUTGOING : PACKET_HOST);
	be16(out + 2, LAPD_ARPHRD);
	be16(out + 4, 1);
	out[6] = (uint8_t)!!network;
	be16(out + 14, LAPD_ETH_P);
	memcpy(out + PCAP_LAPD_HDR, frame, len);
	return PCAP_LAPD_HDR + len;
}

/* RFC 1071: the ones' complement sum, folded. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t pcap_udp_packet(uint8_t *out, size_t cap, const struct sockaddr *src,
		       const struct sockaddr *dst, const void *payload, size_t len)
{
	size_t udp_len = UDP_HDR + len, iphl;
	const uint8_t *sa, *da;
	size_t alen;
	unsigned sport, dport;
	uint8_t *udp;
	uint32_t s;
	uint16_t ck;

	if (src->sa_family != dst->sa_family || udp_len > 0xffff)
		return 0;
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)src, *d4 = (const void *)dst;
		sa = (const uint8_t *)&s4->sin_addr;
		da = (const uint8_t *)&d4->sin_addr;
		alen = 4;
		sport = ntohs(s4->sin_port);
		dport = ntohs(d4->sin_port);
		iphl = IPV4_HDR;
	} else if (src->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)src, *d6 = (const void *)dst;
		sa = (const uint8_t *)&s6->sin6_addr;
		da = (const uint8_t *)&d6->sin6_addr;
		alen = 16;
		sport = ntohs(s6->sin6_port);
		dport = ntohs(d6->sin6_port);
		iphl = IPV6_HDR;
	} else {
		return 0;
	}
	if (iphl + udp_len > cap || (iphl == IPV4_HDR && iphl + udp_len > 0xffff))
		return 0;
	memset(out, 0, iphl + UDP_HDR);
	if (iphl == IPV4_HDR) {
		out[0] = 0x45;			/* RFC 791: version 4, 5 words */
		be16(out + 2, (unsigned)(iphl + udp_len));
		be16(out + 6, 0x4000);		/* DF: a datagram, never fragmented here */
		out[8] = TRACE_IP_TTL;
		out[9] = IP_PROTO_UDP;
		memcpy(out + 12, sa, 4);
		memcpy(out + 16, da, 4);
		ck = fold(sum16(0, out, IPV4_HDR));
		be16(out + 10, ck);
	} else {
		out[0] = 0x60;			/* RFC 8200: version 6 */
		be16(out + 4, (unsigned)udp_len);
		out[6] = IP_PROTO_UDP;
		out[7] = TRACE_IP_TTL;
		memcpy(out + 8, sa, 16);
		memcpy(out + 24, da, 16);
	}
	udp = out + iphl;
	be16(udp, sport);
	be16(udp + 2, dport);
	be16(udp + 4, (unsigned)udp_len);
	memcpy(udp + UDP_HDR, payload, len);
	/* RFC 768 / RFC 8200 8.1: the sum over the pseudo-header and the datagram */
	s = sum16(0, sa, alen);
	s = sum16(s, da, alen);
	s += IP_PROTO_UDP + (uint32_t)udp_len;
	s = sum16(s, udp, udp_len);
	ck = fold(s);
	be16(udp + 6, ck ? ck : 0xffff);	/* 0 would mean "no checksum" */
	return iphl + udp_len;
}
