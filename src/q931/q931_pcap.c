/* sipgw - D-channel pcap writer (LINUX_LAPD). SPDX-License-Identifier: GPL-2.0-only */
#include "q931/q931_pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define PCAP_LINKTYPE_LINUX_LAPD 177
#define LAPD_ARPHRD	0x20fd	/* ARPHRD_LAPD */
#define LAPD_ETH_P	0x0030	/* ETH_P_LAPD */
#define PACKET_HOST	0	/* received */
#define PACKET_OUTGOING	4	/* sent */
#define LAPD_FCS	2	/* libpri's frames end in 2 FCS bytes; pcap carries none */

struct q931_pcap {
	FILE *f;
	int network;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int q931_pcap_open(struct q931_pcap **pcp, const char *path, int network)
{
	/* pcap 2.4, host byte order (the magic says which), snaplen 65535 */
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, PCAP_LINKTYPE_LINUX_LAPD };
	struct q931_pcap *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	pc->f = fopen(path, "wb");
	if (!pc->f) {
		int rc = -errno;
		free(pc);
		return rc;
	}
	pc->network = network;
	if (fwrite(&hdr, sizeof(hdr), 1, pc->f) != 1 || fflush(pc->f)) {
		int rc = -errno;
		q931_pcap_close(pc);
		return rc ? rc : -EIO;
	}
	*pcp = pc;
	return 0;
}

void q931_pcap_frame(struct q931_pcap *pc, int outgoing, const uint8_t *frame, size_t len)
{
	struct {
		uint32_t sec, usec, incl, orig;
	} rec;
	uint8_t sll[16] = { 0 };
	struct timeval tv;

	if (!pc || len <= LAPD_FCS)
		return;
	len -= LAPD_FCS;
	gettimeofday(&tv, NULL);
	rec.sec = (uint32_t)tv.tv_sec;
	rec.usec = (uint32_t)tv.tv_usec;
	rec.incl = rec.orig = (uint32_t)(sizeof(sll) + len);
	/* the LINUX_LAPD header: packet type, ARPHRD type, address length,
	 * address (its first byte: the capturing side is the network), protocol */
	put16(sll, outgoing ? PACKET_OUTGOING : PACKET_HOST);
	put16(sll + 2, LAPD_ARPHRD);
	put16(sll + 4, 1);
	sll[6] = (uint8_t)!!pc->network;
	put16(sll + 14, LAPD_ETH_P);
	if (fwrite(&rec, sizeof(rec), 1, pc->f) != 1 || fwrite(sll, sizeof(sll), 1, pc->f) != 1 ||
	    fwrite(frame, len, 1, pc->f) != 1)
		return;
	fflush(pc->f);
}

void q931_pcap_close(struct q931_pcap *pc)
{
	if (!pc)
		return;
	if (pc->f)
		fclose(pc->f);
	free(pc);
}
