/* sipgw - unit tests: the pcapng writer (core/pcapng.h): each block's
 * length at both ends, options padded and ended, a packet's time, lengths
 * and direction; rotation by size into path, path.1 .. path.(K-1), each a
 * whole file; and the packets inside (core/pcap_link.h): LINUX_LAPD's
 * header, IPv4/IPv6 + UDP with checksums a receiver accepts.
 * SPDX-License-Identifier: GPL-2.0-only */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pcap_link.h"
#include "core/pcapng.h"
#include "core/trace.h"
#include "unit.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* Walk the options from p to the block's end (its trailing length): the
 * value of option code (copied into out, NUL-ended), its length, or -1;
 * *endedp says an opt_endofopt closed the list right before the trailer. */
static int find_opt(const uint8_t *p, const uint8_t *end, uint16_t code, char *out, size_t outlen,
		    int *endedp)
{
	int found = -1;

	*endedp = 0;
	while (p + 4 <= end) {
		uint16_t c = rd16(p), l = rd16(p + 2);
		if (c == PCAPNG_OPT_END) {
			*endedp = l == 0 && p + 4 == end;
			break;
		}
		if (p + 4 + ((l + 3u) & ~3u) > end)
			break;
		if (c == code && found < 0) {
			size_t n = l < outlen - 1 ? l : outlen - 1;
			memcpy(out, p + 4, n);
			out[n] = 0;
			found = l;
		}
		p += 4 + ((l + 3u) & ~3u);
	}
	return found;
}

static void test_shb(void)
{
	uint8_t b[512];
	char v[128];
	int ended;
	size_t n = pcapng_block_shb(b, sizeof(b), "sipgw test");

	CU_ASSERT_TRUE(n > 28);
	CU_ASSERT_EQUAL(n % 4, 0);
	CU_ASSERT_EQUAL(rd32(b), PCAPNG_SHB);
	CU_ASSERT_EQUAL(rd32(b + 4), n);
	CU_ASSERT_EQUAL(rd32(b + n - 4), n);
	CU_ASSERT_EQUAL(rd32(b + 8), PCAPNG_BOM);
	CU_ASSERT_EQUAL(rd16(b + 12), 1);
	CU_ASSERT_EQUAL(rd16(b + 14), 0);
	CU_ASSERT_EQUAL(find_opt(b + 24, b + n - 4, PCAPNG_OPT_SHB_USERAPPL, v, sizeof(v), &ended), 10);
	CU_ASSERT_STRING_EQUAL(v, "sipgw test");
	CU_ASSERT_TRUE(ended);
	CU_ASSERT_EQUAL(pcapng_block_shb(b, 20, "sipgw test"), 0);	/* no room: nothing */
}

static void test_idb(void)
{
	uint8_t b[512];
	char v[128];
	int ended;
	size_t n = pcapng_block_idb(b, sizeof(b), PCAP_LINKTYPE_LINUX_LAPD, "span1", "D-channel of span 1");

	CU_ASSERT_EQUAL(n % 4, 0);
	CU_ASSERT_EQUAL(rd32(b), PCAPNG_IDB);
	CU_ASSERT_EQUAL(rd32(b + 4), n);
	CU_ASSERT_EQUAL(rd32(b + n - 4), n);
	CU_ASSERT_EQUAL(rd16(b + 8), 177);
	CU_ASSERT_EQUAL(rd32(b + 12), PCAPNG_SNAPLEN);
	CU_ASSERT_EQUAL(find_opt(b + 16, b + n - 4, PCAPNG_OPT_IF_NAME, v, sizeof(v), &ended), 5);
	CU_ASSERT_STRING_EQUAL(v, "span1");
	CU_ASSERT_EQUAL(find_opt(b + 16, b + n - 4, PCAPNG_OPT_IF_DESCR, v, sizeof(v), &ended), 19);
	CU_ASSERT_EQUAL(find_opt(b + 16, b + n - 4, PCAPNG_OPT_IF_TSRESOL, v, sizeof(v), &ended), 1);
	CU_ASSERT_EQUAL(v[0], 6);
	CU_ASSERT_TRUE(ended);
}

static void test_epb(void)
{
	uint8_t b[512];
	char v[128];
	int ended;
	const char data[] = "abcde";	/* 5 bytes: padded to 8 */
	uint64_t ts = 1764627066123456ull;
	size_t n = pcapng_block_epb(b, sizeof(b), 3, ts, PCAPNG_DIR_OUT, data, 5, "span 1 <script>");

	CU_ASSERT_EQUAL(n % 4, 0);
	CU_ASSERT_EQUAL(rd32(b), PCAPNG_EPB);
	CU_ASSERT_EQUAL(rd32(b + 4), n);
	CU_ASSERT_EQUAL(rd32(b + n - 4), n);
	CU_ASSERT_EQUAL(rd32(b + 8), 3);
	CU_ASSERT_EQUAL(((uint64_t)rd32(b + 12) << 32 | rd32(b + 16)), ts);
	CU_ASSERT_EQUAL(rd32(b + 20), 5);
	CU_ASSERT_EQUAL(rd32(b + 24), 5);
	CU_ASSERT_EQUAL(memcmp(b + 28, "abcde\0\0\0", 8), 0);
	CU_ASSERT_EQUAL(find_opt(b + 36, b + n - 4, PCAPNG_OPT_EPB_FLAGS, v, sizeof(v), &ended), 4);
	CU_ASSERT_EQUAL(rd32((uint8_t *)v), PCAPNG_DIR_OUT);
	CU_ASSERT_EQUAL(find_opt(b + 36, b + n - 4, PCAPNG_OPT_COMMENT, v, sizeof(v), &ended), 15);
	CU_ASSERT_STRING_EQUAL(v, "span 1 <script>");
	CU_ASSERT_TRUE(ended);

	/* no flags, no comment: no options at all (not even opt_endofopt) */
	n = pcapng_block_epb(b, sizeof(b), 0, ts, 0, data, 4, NULL);
	CU_ASSERT_EQUAL(n, 28 + 4 + 4);
	CU_ASSERT_EQUAL(rd32(b + n - 4), n);
	/* a packet past the snaplen is cut, its original length kept */
	{
		size_t big = PCAPNG_SNAPLEN + 100;
		uint8_t *d = calloc(1, big), *bb = malloc(big + 256);
		n = pcapng_block_epb(bb, big + 256, 0, ts, 0, d, big, NULL);
		CU_ASSERT_EQUAL(rd32(bb + 20), PCAPNG_SNAPLEN);
		CU_ASSERT_EQUAL(rd32(bb + 24), big);
		CU_ASSERT_EQUAL(n, 28 + ((PCAPNG_SNAPLEN + 3) & ~3u) + 4);
		free(d);
		free(bb);
	}
}

static void test_rotated_name(void)
{
	char out[64];

	CU_ASSERT_EQUAL(pcapng_rotated_name(out, sizeof(out), "/var/log/sipgw/trace.pcapng", 0), 0);
	CU_ASSERT_STRING_EQUAL(out, "/var/log/sipgw/trace.pcapng");
	CU_ASSERT_EQUAL(pcapng_rotated_name(out, sizeof(out), "/var/log/sipgw/trace.pcapng", 3), 0);
	CU_ASSERT_STRING_EQUAL(out, "/var/log/sipgw/trace.pcapng.3");
	CU_ASSERT_EQUAL(pcapng_rotated_name(out, 10, "/var/log/sipgw/trace.pcapng", 1), -ENAMETOOLONG);
}

/* A whole file: blocks end to end, SHB first, each length twice; returns the
 * number of EPBs (-1 when the file is not well formed), *idbsp the IDBs. */
static int walk_file(const char *path, int *idbsp)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;
	int epbs = 0, first = 1;

	*idbsp = 0;
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size)
		size = -1;
	fclose(f);
	for (long off = 0; size >= 0 && off < size;) {
		uint32_t type, len;
		if (off + 12 > size)
			goto bad;
		type = rd32(buf + off);
		len = rd32(buf + off + 4);
		if (len < 12 || len % 4 || off + len > size || rd32(buf + off + len - 4) != len)
			goto bad;
		if (first != (type == PCAPNG_SHB))
			goto bad;
		first = 0;
		if (type == PCAPNG_IDB)
			(*idbsp)++;
		if (type == PCAPNG_EPB) {
			if (rd32(buf + off + 8) >= (uint32_t)*idbsp)
				goto bad;	/* a packet before its interface */
			epbs++;
		}
		off += len;
	}
	free(buf);
	return size > 0 ? epbs : -1;
bad:
	free(buf);
	return -1;
}

static void test_rotation(void)
{
	char dir[] = "/tmp/sipgw-pcapng-XXXXXX", path[128], name[160];
	struct pcapng_params p = { .path = path, .max_bytes = 4096, .files = 3, .appl = "unit" };
	struct pcapng *pc = NULL;
	uint8_t pkt[300];
	int idbs, total = 0, a, b2;
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.pcapng", dir);
	CU_ASSERT_EQUAL_FATAL(pcapng_open(&pc, &p), 0);
	a = pcapng_interface(pc, PCAP_LINKTYPE_LINUX_LAPD, "span1", NULL);
	b2 = pcapng_interface(pc, PCAP_LINKTYPE_RAW, "sip", NULL);
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(b2, 1);
	memset(pkt, 'x', sizeof(pkt));
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(pcapng_packet(pc, i % 2, 1000000ull * (unsigned)i, PCAPNG_DIR_IN, pkt,
					      sizeof(pkt), NULL), 0);
	CU_ASSERT_EQUAL(pcapng_packet(pc, 2, 0, 0, pkt, 1, NULL), -EINVAL);	/* no such interface */
	CU_ASSERT_TRUE(pcapng_file_count(pc) > 3);	/* rotated more often than it keeps */
	pcapng_close(pc);
	/* K files, each whole, under the limit, each with both interfaces */
	for (unsigned n = 0; n < 3; n++) {
		int e;
		pcapng_rotated_name(name, sizeof(name), path, n);
		CU_ASSERT_EQUAL(stat(name, &st), 0);
		CU_ASSERT_TRUE(st.st_size <= 4096);
		e = walk_file(name, &idbs);
		CU_ASSERT_TRUE(e > 0);
		CU_ASSERT_EQUAL(idbs, 2);
		total += e;
		unlink(name);
	}
	CU_ASSERT_TRUE(total < 100);	/* the oldest were dropped */
	pcapng_rotated_name(name, sizeof(name), path, 3);
	CU_ASSERT_NOT_EQUAL(stat(name, &st), 0);	/* never a K+1-th file */
	rmdir(dir);
}

/* An interface declared after packets is written where it is declared,
 * and into the next file's head. */
static void test_late_interface(void)
{
	char dir[] = "/tmp/sipgw-pcapng-XXXXXX", path[128], name[160];
	struct pcapng_params p = { .path = path, .max_bytes = 2000, .files = 2 };
	struct pcapng *pc = NULL;
	uint8_t pkt[200] = { 0 };
	struct stat st;
	int idbs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.pcapng", dir);
	CU_ASSERT_EQUAL_FATAL(pcapng_open(&pc, &p), 0);
	CU_ASSERT_EQUAL(walk_file(path, &idbs), 0);	/* readable at once, no packet yet */
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0007, 0);		/* others may not read a trace */
	{	/* a symbolic link planted where the trace goes is not followed */
		char link[160], victim[160];
		struct pcapng *pl = NULL;
		struct pcapng_params lp = { .path = link };
		snprintf(link, sizeof(link), "%s/link.pcapng", dir);
		snprintf(victim, sizeof(victim), "%s/victim", dir);
		fclose(fopen(victim, "w"));
		CU_ASSERT_EQUAL(symlink(victim, link), 0);
		CU_ASSERT_EQUAL(pcapng_open(&pl, &lp), -ELOOP);
		CU_ASSERT_EQUAL(stat(victim, &st), 0);
		CU_ASSERT_EQUAL(st.st_size, 0);
		unlink(link);
		unlink(victim);
	}
	CU_ASSERT_EQUAL(pcapng_interface(pc, PCAP_LINKTYPE_RAW, "sip", NULL), 0);
	CU_ASSERT_EQUAL(pcapng_packet(pc, 0, 1, 0, pkt, sizeof(pkt), NULL), 0);
	CU_ASSERT_EQUAL(pcapng_interface(pc, PCAP_LINKTYPE_LINUX_LAPD, "span2", NULL), 1);
	CU_ASSERT_EQUAL(pcapng_packet(pc, 1, 2, 0, pkt, sizeof(pkt), NULL), 0);
	CU_ASSERT_EQUAL(pcapng_flush(pc), 0);
	CU_ASSERT_EQUAL(walk_file(path, &idbs), 2);
	CU_ASSERT_EQUAL(idbs, 2);
	for (int i = 0; i < 20; i++)
		pcapng_packet(pc, 1, 3, 0, pkt, sizeof(pkt), NULL);
	pcapng_close(pc);
	CU_ASSERT_TRUE(walk_file(path, &idbs) > 0);
	CU_ASSERT_EQUAL(idbs, 2);
	unlink(path);
	pcapng_rotated_name(name, sizeof(name), path, 1);
	CU_ASSERT_TRUE(walk_file(name, &idbs) > 0);
	unlink(name);
	rmdir(dir);
}

static void test_lapd_packet(void)
{
	const uint8_t frame[] = { 0x00, 0x01, 0x00, 0x00, 0x08, 0x02, 0x00, 0x01, 0x05, 0xaa, 0xbb };
	uint8_t out[64];
	size_t n = pcap_lapd_packet(out, sizeof(out), 1, 1, frame, sizeof(frame));

	CU_ASSERT_EQUAL(n, 16 + sizeof(frame) - 2);		/* FCS left out */
	CU_ASSERT_EQUAL(out[0] << 8 | out[1], 4);		/* PACKET_OUTGOING */
	CU_ASSERT_EQUAL(out[2] << 8 | out[3], 0x20fd);		/* ARPHRD_LAPD */
	CU_ASSERT_EQUAL(out[6], 1);				/* we are the network */
	CU_ASSERT_EQUAL(out[14] << 8 | out[15], 0x0030);	/* ETH_P_LAPD */
	CU_ASSERT_EQUAL(memcmp(out + 16, frame, sizeof(frame) - 2), 0);
	n = pcap_lapd_packet(out, sizeof(out), 0, 0, frame, sizeof(frame));
	CU_ASSERT_EQUAL(out[0] << 8 | out[1], 0);		/* PACKET_HOST */
	CU_ASSERT_EQUAL(out[6], 0);
	CU_ASSERT_EQUAL(pcap_lapd_packet(out, sizeof(out), 0, 0, frame, 2), 0);	/* FCS only */
	CU_ASSERT_EQUAL(pcap_lapd_packet(out, 20, 0, 0, frame, sizeof(frame)), 0);	/* no room */
}

static unsigned csum(const uint8_t *p, size_t n, unsigned s)
{
	for (; n > 1; p += 2, n -= 2)
		s += (unsigned)p[0] << 8 | p[1];
	if (n)
		s += (unsigned)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void test_udp_packet(void)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(5060) };
	struct sockaddr_in d4 = { .sin_family = AF_INET, .sin_port = htons(5062) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(5060) };
	struct sockaddr_in6 d6 = { .sin6_family = AF_INET6, .sin6_port = htons(5999) };
	const char msg[] = "OPTIONS sip:x SIP/2.0\r\n\r\n!";	/* odd length */
	uint8_t out[256], ph[64];
	size_t n, len = strlen(msg);
	unsigned s;

	inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
	inet_pton(AF_INET, "192.0.2.7", &d4.sin_addr);
	n = pcap_udp_packet(out, sizeof(out), (void *)&s4, (void *)&d4, msg, len);
	CU_ASSERT_EQUAL(n, 28 + len);
	CU_ASSERT_EQUAL(out[0], 0x45);
	CU_ASSERT_EQUAL((size_t)(out[2] << 8 | out[3]), n);
	CU_ASSERT_EQUAL(out[9], 17);
	CU_ASSERT_EQUAL(csum(out, 20, 0), 0xffff);		/* the header sums to all ones */
	CU_ASSERT_EQUAL(out[20] << 8 | out[21], 5060);
	CU_ASSERT_EQUAL(out[22] << 8 | out[23], 5062);
	CU_ASSERT_EQUAL(memcmp(out + 28, msg, len), 0);
	memcpy(ph, out + 12, 8);				/* RFC 768 pseudo-header */
	ph[8] = 0, ph[9] = 17, ph[10] = (uint8_t)((8 + len) >> 8), ph[11] = (uint8_t)(8 + len);
	s = csum(ph, 12, 0);
	CU_ASSERT_EQUAL(csum(out + 20, 8 + len, s), 0xffff);

	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::5", &d6.sin6_addr);
	n = pcap_udp_packet(out, sizeof(out), (void *)&s6, (void *)&d6, msg, len);
	CU_ASSERT_EQUAL(n, 48 + len);
	CU_ASSERT_EQUAL(out[0] >> 4, 6);
	CU_ASSERT_EQUAL((size_t)(out[4] << 8 | out[5]), 8 + len);
	CU_ASSERT_EQUAL(out[6], 17);
	memcpy(ph, out + 8, 32);
	memset(ph + 32, 0, 8);
	ph[34] = (uint8_t)((8 + len) >> 8), ph[35] = (uint8_t)(8 + len), ph[39] = 17;
	s = csum(ph, 40, 0);
	CU_ASSERT_EQUAL(csum(out + 40, 8 + len, s), 0xffff);

	CU_ASSERT_EQUAL(pcap_udp_packet(out, sizeof(out), (void *)&s4, (void *)&d6, msg, len), 0);
	CU_ASSERT_EQUAL(pcap_udp_packet(out, 30, (void *)&s4, (void *)&d4, msg, len), 0);
}

/* The trace hub (core/trace.h): a LINUX_LAPD interface per span named after
 * it, made at the span's first frame; one raw-IP interface for SIP; each
 * packet on its interface with its direction; TCP said in the comment. */
static void test_trace_hub(void)
{
	char dir[] = "/tmp/sipgw-trace-XXXXXX", path[128];
	struct trace *t = NULL;
	const uint8_t frame[] = { 0x00, 0x01, 0x00, 0x00, 0x08, 0x02, 0x00, 0x01, 0x05, 0xaa, 0xbb };
	struct sockaddr_in l4 = { .sin_family = AF_INET, .sin_port = htons(5060) }, p4 = l4;
	struct sockaddr_in6 l6 = { .sin6_family = AF_INET6, .sin6_port = htons(5060) }, p6 = l6;
	const char *msg = "OPTIONS sip:x SIP/2.0\r\n\r\n";
	struct trace_q931 q = { .span = "span-b", .network = 1, .sent = 1, .frame = frame, .len = sizeof(frame),
				.label = "SETUP", .cref = 1, .chan = 1 };
	struct trace_sip s = { .sent = 0, .proto = "udp", .local = (void *)&l4, .peer = (void *)&p4, .text = msg,
			       .len = strlen(msg), .wire_len = strlen(msg), .call_id = "c", .label = "OPTIONS" };
	unsigned long packets, errors;
	uint8_t *buf;
	long size;
	FILE *f;
	char names[8][32] = { { 0 } };
	uint16_t types[8] = { 0 };
	int n_if = 0, n_pkt = 0, ifs_of[8], dirs[8], comments = 0;

	inet_pton(AF_INET, "127.0.0.1", &l4.sin_addr);
	inet_pton(AF_INET, "192.0.2.1", &p4.sin_addr);
	inet_pton(AF_INET6, "::1", &l6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::1", &p6.sin6_addr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.pcapng", dir);
	CU_ASSERT_EQUAL_FATAL(trace_alloc(&t, &(struct trace_params){ 0 }), 0);
	trace_q931(t, &q);				/* no capture yet: to the ladder only */
	CU_ASSERT_EQUAL_FATAL(trace_pcap_start(t, path, 0, 1), 0);
	CU_ASSERT_STRING_EQUAL(trace_pcap_path(t), path);
	trace_q931(t, &q);
	q.span = "span-a";
	q.sent = 0;
	trace_q931(t, &q);
	q.span = "span-b";
	trace_q931(t, &q);				/* its interface again */
	trace_sip(t, &s);
	s.sent = 1;
	s.proto = "tcp";
	s.local = (void *)&l6;
	s.peer = (void *)&p6;
	trace_sip(t, &s);
	trace_pcap_counts(t, &packets, &errors);
	CU_ASSERT_EQUAL(packets, 5);
	CU_ASSERT_EQUAL(errors, 0);
	trace_pcap_stop(t);
	{	/* started again on the file it writes: a new file, whole */
		char again[160];
		int idbs;
		snprintf(again, sizeof(again), "%s/again.pcapng", dir);
		CU_ASSERT_EQUAL(trace_pcap_start(t, again, 0, 1), 0);
		for (int i = 0; i < 50; i++)
			trace_q931(t, &q);
		CU_ASSERT_EQUAL(trace_pcap_start(t, again, 0, 1), 0);
		trace_q931(t, &q);
		trace_pcap_stop(t);
		CU_ASSERT_EQUAL(walk_file(again, &idbs), 1);
		CU_ASSERT_EQUAL(idbs, 2);
		unlink(again);
	}
	CU_ASSERT_PTR_NULL(trace_pcap_path(t));
	trace_free(t);

	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size);
	CU_ASSERT_EQUAL(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	for (long off = 0; off + 12 <= size;) {
		uint32_t type = rd32(buf + off), len = rd32(buf + off + 4);
		char v[64];
		int ended;
		if (len < 12 || off + len > size)
			break;
		if (type == PCAPNG_IDB && n_if < 8) {
			types[n_if] = rd16(buf + off + 8);
			find_opt(buf + off + 16, buf + off + len - 4, PCAPNG_OPT_IF_NAME, names[n_if],
				 sizeof(names[0]), &ended);
			n_if++;
		}
		if (type == PCAPNG_EPB && n_pkt < 8) {
			uint32_t caplen = rd32(buf + off + 20);
			const uint8_t *o = buf + off + 28 + ((caplen + 3) & ~3u);
			ifs_of[n_pkt] = (int)rd32(buf + off + 8);
			dirs[n_pkt] = find_opt(o, buf + off + len - 4, PCAPNG_OPT_EPB_FLAGS, v, sizeof(v), &ended) == 4 ?
				      (int)rd32((uint8_t *)v) : -1;
			if (find_opt(o, buf + off + len - 4, PCAPNG_OPT_COMMENT, v, sizeof(v), &ended) > 0 &&
			    !strcmp(v, "SIP over TCP, written as UDP"))
				comments++;
			n_pkt++;
		}
		off += len;
	}
	free(buf);
	CU_ASSERT_EQUAL(n_if, 3);
	CU_ASSERT_STRING_EQUAL(names[0], "sip");
	CU_ASSERT_EQUAL(types[0], PCAP_LINKTYPE_RAW);
	CU_ASSERT_STRING_EQUAL(names[1], "span-b");
	CU_ASSERT_EQUAL(types[1], PCAP_LINKTYPE_LINUX_LAPD);
	CU_ASSERT_STRING_EQUAL(names[2], "span-a");
	CU_ASSERT_EQUAL(n_pkt, 5);
	CU_ASSERT_EQUAL(ifs_of[0], 1);
	CU_ASSERT_EQUAL(dirs[0], PCAPNG_DIR_OUT);
	CU_ASSERT_EQUAL(ifs_of[1], 2);
	CU_ASSERT_EQUAL(dirs[1], PCAPNG_DIR_IN);
	CU_ASSERT_EQUAL(ifs_of[2], 1);
	CU_ASSERT_EQUAL(ifs_of[3], 0);
	CU_ASSERT_EQUAL(dirs[3], PCAPNG_DIR_IN);
	CU_ASSERT_EQUAL(ifs_of[4], 0);
	CU_ASSERT_EQUAL(dirs[4], PCAPNG_DIR_OUT);
	CU_ASSERT_EQUAL(comments, 1);
	unlink(path);
	rmdir(dir);
}

int suite_pcapng_add(void)
{
	static const CU_TestInfo tests[] = {
		{ "section header block: lengths, byte order, user application", test_shb },
		{ "interface block: link type, snaplen, name, tsresol", test_idb },
		{ "enhanced packet block: time, lengths, padding, flags, comment", test_epb },
		{ "rotation naming: path, path.1 ...", test_rotated_name },
		{ "rotation by size keeps K whole files, each with its interfaces", test_rotation },
		{ "an interface declared late: written where declared and after rotation", test_late_interface },
		{ "LINUX_LAPD packet: direction, network side, FCS left out", test_lapd_packet },
		{ "UDP in IPv4/IPv6: lengths and checksums", test_udp_packet },
		{ "trace hub: an interface per span, one for SIP, directions, TCP said", test_trace_hub },
		CU_TEST_INFO_NULL,
	};

	return unit_suite_add("pcapng", tests);
}
