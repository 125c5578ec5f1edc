/* sipgw - D-channel pcap writer (LINUX_LAPD). SPDX-License-Identifier: GPL-2.0-only */
#include "q931/q931_pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/pcap_link.h"

/* Q.921 5.9.3 N201: at most 260 octets of information, plus the header */
#define LAPD_FRAME_MAX 512

struct q931_pcap {
	FILE *f;
	int network;
};

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
	uint8_t pkt[PCAP_LAPD_HDR + LAPD_FRAME_MAX];
	struct timeval tv;
	size_t n;

	if (!pc || !(n = pcap_lapd_packet(pkt, sizeof(pkt), outgoing, pc->network, frame, len)))
		return;
	gettimeofday(&tv, NULL);
	rec.sec = (uint32_t)tv.tv_sec;
	rec.usec = (uint32_t)tv.tv_usec;
	rec.incl = rec.orig = (uint32_t)n;
	if (fwrite(&rec, sizeof(rec), 1, pc->f) != 1 || fwrite(pkt, n, 1, pc->f) != 1)
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
