/* sipgw - a pcapng writer (draft-ietf-opsawg-pcapng): one section per file,
 * interfaces declared once and written into every file, enhanced packet
 * blocks with direction and comment, rotation by size.
 * SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_PCAPNG_H
#define SIPGW_CORE_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

/* pcapng 4.3 epb_flags bits 0-1: the packet's direction */
#define PCAPNG_DIR_IN	1u
#define PCAPNG_DIR_OUT	2u

/* Block types (pcapng 11.1) and option codes this writer uses. */
#define PCAPNG_SHB		0x0a0d0d0au
#define PCAPNG_IDB		0x00000001u
#define PCAPNG_EPB		0x00000006u
#define PCAPNG_BOM		0x1a2b3c4du
#define PCAPNG_OPT_END		0
#define PCAPNG_OPT_COMMENT	1
#define PCAPNG_OPT_SHB_OS	3
#define PCAPNG_OPT_SHB_USERAPPL	4
#define PCAPNG_OPT_IF_NAME	2
#define PCAPNG_OPT_IF_DESCR	3
#define PCAPNG_OPT_IF_TSRESOL	9
#define PCAPNG_OPT_EPB_FLAGS	2

#define PCAPNG_MAX_IFS	160	/* a D-channel each of up to 128 spans, the SIP side's */
#define PCAPNG_MODE	0640	/* the files' permissions (before the umask) */
#define PCAPNG_SNAPLEN	65535

struct pcapng;

struct pcapng_params {
	const char *path;
	uint64_t max_bytes;	/* start the next file before one passes this; 0 = never */
	unsigned files;		/* path, path.1 .. path.(files-1); 0 or 1: path alone, started over */
	const char *appl;	/* shb_userappl, e.g. "sipgw 1.0" */
};

/** Create (truncate) p->path and write its section header. 0 or -errno. */
int pcapng_open(struct pcapng **pcp, const struct pcapng_params *p);
/** Declare an interface (written into the current file now, and into each
 * file rotation starts). name/descr may be NULL. Its id (>= 0) or -errno. */
int pcapng_interface(struct pcapng *pc, uint16_t linktype, const char *name, const char *descr);
/** One packet, time ts_us (microseconds since the epoch), flags PCAPNG_DIR_*
 * or 0, comment NULL or shown by Wireshark as the packet's comment. A
 * buffered write: on disk at pcapng_flush(). 0 or -errno. */
int pcapng_packet(struct pcapng *pc, int ifid, uint64_t ts_us, uint32_t flags,
		  const void *data, size_t len, const char *comment);
/** Write out what is buffered. 0 or -errno. */
int pcapng_flush(struct pcapng *pc);
/** Flush and close; NULL is fine. */
void pcapng_close(struct pcapng *pc);
/** Files started so far (1 + rotations), bytes in the current one. */
unsigned pcapng_file_count(const struct pcapng *pc);
uint64_t pcapng_file_bytes(const struct pcapng *pc);

/* The pure parts, for tests: each builds one block into buf (cap bytes) and
 * returns its length (a multiple of 4), or 0 when it does not fit. */
size_t pcapng_block_shb(uint8_t *buf, size_t cap, const char *appl);
size_t pcapng_block_idb(uint8_t *buf, size_t cap, uint16_t linktype, const char *name, const char *descr);
size_t pcapng_block_epb(uint8_t *buf, size_t cap, uint32_t ifid, uint64_t ts_us, uint32_t flags,
			const void *data, size_t len, const char *comment);
/** The name of the n-th file back: n 0 is path itself, n >= 1 "path.n".
 * 0 or -ENAMETOOLONG. */
int pcapng_rotated_name(char *out, size_t outlen, const char *path, unsigned n);

#endif
