/* sipgw - a pcapng writer (draft-ietf-opsawg-pcapng): one section per file,
 * interfaces declared once and written into every file, enhanced packet
 * blocks with direction and comment, rotation by size.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PAD4(n) (((n) + 3u) & ~(size_t)3u)
/* Room for one block: an EPB of a full snaplen packet with its options. */
#define BLOCK_MAX (PCAPNG_SNAPLEN + 1024)
/* stdio's buffer: a packet is a memcpy, the disk sees 64 KiB writes. */
#define FILE_BUF (64 * 1024)

struct pcapng_if {
	uint16_t linktype;
	char *name, *descr;
};

struct pcapng {
	char *path;
	uint64_t max_bytes;
	unsigned files;
	char *appl;
	FILE *f;
	uint64_t bytes;		/* in the current file */
	unsigned file_pkts;	/* packets in the current file */
	unsigned started;	/* files started (1 + rotations) */
	struct pcapng_if ifs[PCAPNG_MAX_IFS];
	int n_ifs;
	uint8_t *block;		/* BLOCK_MAX bytes, one block being built */
};

/* A builder over a caller's buffer: once a write does not fit, ok is 0 and
 * stays 0, so each block is checked once, at its end. */
struct blk {
	uint8_t *buf;
	size_t cap, len;
	int ok;
};

static void put(struct blk *b, const void *p, size_t n)
{
	if (!b->ok || b->len + n > b->cap) {
		b->ok = 0;
		return;
	}
	if (n)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void put32(struct blk *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put16(struct blk *b, uint16_t v)
{
	put(b, &v, 2);
}

static void pad(struct blk *b)
{
	static const uint8_t zero[4];

	put(b, zero, PAD4(b->len) - b->len);
}

/* pcapng 3.5: code, length, value padded to 32 bits. */
static void opt(struct blk *b, uint16_t code, const void *v, size_t n)
{
	if (n > 0xffff) {
		b->ok = 0;
		return;
	}
	put16(b, code);
	put16(b, (uint16_t)n);
	put(b, v, n);
	pad(b);
}

static void opt_str(struct blk *b, uint16_t code, const char *s)
{
	if (s && *s)
		opt(b, code, s, strlen(s));
}

static void blk_begin(struct blk *b, uint8_t *buf, size_t cap, uint32_t type)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->ok = 1;
	put32(b, type);
	put32(b, 0);		/* total length, set at the end */
}

/* Close the block: its total length at both ends (pcapng 3.1). */
static size_t blk_end(struct blk *b, int has_opts)
{
	uint32_t total;

	if (has_opts) {
		put16(b, PCAPNG_OPT_END);
		put16(b, 0);
	}
	total = (uint32_t)(b->len + 4);
	put32(b, total);
	if (!b->ok)
		return 0;
	memcpy(b->buf + 4, &total, 4);
	return b->len;
}

size_t pcapng_block_shb(uint8_t *buf, size_t cap, const char *appl)
{
	struct blk b;
	struct utsname u;
	char os[sizeof(u.sysname) + sizeof(u.release) + 2] = "";
	int64_t section_len = -1;	/* not given: the file is written as it goes */

	if (!uname(&u))
		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
	blk_begin(&b, buf, cap, PCAPNG_SHB);
	put32(&b, PCAPNG_BOM);
	put16(&b, 1);
	put16(&b, 0);
	put(&b, &section_len, 8);
	opt_str(&b, PCAPNG_OPT_SHB_OS, os);
	opt_str(&b, PCAPNG_OPT_SHB_USERAPPL, appl);
	return blk_end(&b, 1);
}

size_t pcapng_block_idb(uint8_t *buf, size_t cap, uint16_t linktype, const char *name, const char *descr)
{
	struct blk b;
	uint8_t tsresol = 6;	/* microseconds: the default, said out loud */

	blk_begin(&b, buf, cap, PCAPNG_IDB);
	put16(&b, linktype);
	put16(&b, 0);
	put32(&b, PCAPNG_SNAPLEN);
	opt_str(&b, PCAPNG_OPT_IF_NAME, name);
	opt_str(&b, PCAPNG_OPT_IF_DESCR, descr);
	opt(&b, PCAPNG_OPT_IF_TSRESOL, &tsresol, 1);
	return blk_end(&b, 1);
}

size_t pcapng_block_epb(uint8_t *buf, size_t cap, uint32_t ifid, uint64_t ts_us, uint32_t flags,
			const void *data, size_t len, const char *comment)
{
	struct blk b;
	size_t caplen = len < PCAPNG_SNAPLEN ? len : PCAPNG_SNAPLEN;
	int has_opts = flags || (comment && *comment);

	if (len > UINT32_MAX)
		return 0;
	blk_begin(&b, buf, cap, PCAPNG_EPB);
	put32(&b, ifid);
	put32(&b, (uint32_t)(ts_us >> 32));
	put32(&b, (uint32_t)ts_us);
	put32(&b, (uint32_t)caplen);
	put32(&b, (uint32_t)len);
	put(&b, data, caplen);
	pad(&b);
	opt_str(&b, PCAPNG_OPT_COMMENT, comment);
	if (flags)
		opt(&b, PCAPNG_OPT_EPB_FLAGS, &flags, 4);
	return blk_end(&b, has_opts);
}

int pcapng_rotated_name(char *out, size_t outlen, const char *path, unsigned n)
{
	int w = n ? snprintf(out, outlen, "%s.%u", path, n) : snprintf(out, outlen, "%s", path);

	return w < 0 || (size_t)w >= outlen ? -ENAMETOOLONG : 0;
}

static int write_block(struct pcapng *pc, size_t n)
{
	if (!n)
		return -EMSGSIZE;
	if (fwrite(pc->block, n, 1, pc->f) != 1)
		return -(errno ? errno : EIO);
	pc->bytes += n;
	return 0;
}

static int write_idb(struct pcapng *pc, const struct pcapng_if *i)
{
	return write_block(pc, pcapng_block_idb(pc->block, BLOCK_MAX, i->linktype, i->name, i->descr));
}

/* Truncate path and write the section header and every interface so far. */
static int file_start(struct pcapng *pc)
{
	int rc;

	/* A trace holds numbers, names and digest answers: the gateway's user
	 * and group only; and never through a symbolic link someone left there. */
	int fd = open(pc->path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, PCAPNG_MODE);

	if (fd < 0)
		return -errno;
	pc->f = fdopen(fd, "wb");
	if (!pc->f) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	setvbuf(pc->f, NULL, _IOFBF, FILE_BUF);
	pc->bytes = 0;
	rc = write_block(pc, pcapng_block_shb(pc->block, BLOCK_MAX, pc->appl));
	for (int i = 0; !rc && i < pc->n_ifs; i++)
		rc = write_idb(pc, &pc->ifs[i]);
	pc->file_pkts = 0;
	pc->started++;
	return rc;
}

/* path.(K-2) -> path.(K-1), ..., path -> path.1, then a new path (the
 * numbering logrotate and Wireshark's ring buffer users know). */
static int rotate(struct pcapng *pc)
{
	char from[4096], to[4096];

	fclose(pc->f);		/* a write error here shows at the next fwrite */
	pc->f = NULL;
	for (unsigned n = pc->files > 1 ? pc->files - 1 : 0; n >= 1; n--) {
		if (pcapng_rotated_name(from, sizeof(from), pc->path, n - 1) ||
		    pcapng_rotated_name(to, sizeof(to), pc->path, n))
			return -ENAMETOOLONG;
		if (rename(from, to) && errno != ENOENT)
			return -errno;
	}
	return file_start(pc);
}

int pcapng_open(struct pcapng **pcp, const struct pcapng_params *p)
{
	struct pcapng *pc;
	int rc;

	if (!p->path || !*p->path)
		return -EINVAL;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->path = strdup(p->path);
	pc->appl = strdup(p->appl ? p->appl : "");
	pc->block = malloc(BLOCK_MAX);
	pc->max_bytes = p->max_bytes;
	pc->files = p->files;
	if (!pc->path || !pc->appl || !pc->block) {
		pcapng_close(pc);
		return -ENOMEM;
	}
	rc = file_start(pc);
	if (!rc)
		rc = pcapng_flush(pc);	/* a readable (empty) file from the start */
	if (rc) {
		pcapng_close(pc);
		return rc;
	}
	*pcp = pc;
	return 0;
}

int pcapng_interface(struct pcapng *pc, uint16_t linktype, const char *name, const char *descr)
{
	struct pcapng_if *i;
	int rc;

	if (pc->n_ifs >= PCAPNG_MAX_IFS)
		return -ENOSPC;
	i = &pc->ifs[pc->n_ifs];
	i->linktype = linktype;
	i->name = name ? strdup(name) : NULL;
	i->descr = descr ? strdup(descr) : NULL;
	if ((name && !i->name) || (descr && !i->descr)) {
		free(i->name);
		free(i->descr);
		return -ENOMEM;
	}
	/* pcapng 4.2: an IDB may come anywhere in the section before its packets */
	if (pc->f && (rc = write_idb(pc, i))) {
		free(i->name);
		free(i->descr);
		return rc;
	}
	return pc->n_ifs++;
}

int pcapng_packet(struct pcapng *pc, int ifid, uint64_t ts_us, uint32_t flags,
		  const void *data, size_t len, const char *comment)
{
	size_t n;
	int rc;

	if (ifid < 0 || ifid >= pc->n_ifs)
		return -EINVAL;
	n = pcapng_block_epb(pc->block, BLOCK_MAX, (uint32_t)ifid, ts_us, flags, data, len, comment);
	if (!n)
		return -EMSGSIZE;
	/* a file holds at least one packet, however small max_bytes is */
	if (pc->max_bytes && pc->file_pkts && pc->bytes + n > pc->max_bytes) {
		if ((rc = rotate(pc)))
			return rc;
		/* rotate() built the header blocks in pc->block: build the packet again */
		n = pcapng_block_epb(pc->block, BLOCK_MAX, (uint32_t)ifid, ts_us, flags, data, len, comment);
	}
	if (!pc->f)
		return -EBADF;
	if ((rc = write_block(pc, n)))
		return rc;
	pc->file_pkts++;
	return 0;
}

int pcapng_flush(struct pcapng *pc)
{
	if (!pc || !pc->f)
		return -EBADF;
	return fflush(pc->f) ? -errno : 0;
}

unsigned pcapng_file_count(const struct pcapng *pc)
{
	return pc->started;
}

uint64_t pcapng_file_bytes(const struct pcapng *pc)
{
	return pc->bytes;
}

void pcapng_close(struct pcapng *pc)
{
	if (!pc)
		return;
	if (pc->f)
		fclose(pc->f);
	for (int i = 0; i < pc->n_ifs; i++) {
		free(pc->ifs[i].name);
		free(pc->ifs[i].descr);
	}
	free(pc->block);
	free(pc->appl);
	free(pc->path);
	free(pc);
}
