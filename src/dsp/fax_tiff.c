/* sipgw - TIFF-F test pages for the fax tests: written and compared with
 * libtiff (TIFF 6.0 section 11, CCITT Group 3; RFC 3949's TIFF-F profile).
 * SPDX-License-Identifier: GPL-2.0-only */
#include "dsp/fax.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

/* T.4 A4 width at R8: 1728 pels; fine resolution 204 x 196 dpi. */
#define PAGE_WIDTH 1728
#define PAGE_ROWS 400		/* about 5 cm: short pages keep the tests quick */
#define PAGE_XRES 204.0f
#define PAGE_YRES 196.0f

/* Row y of page k: black bars whose width and place change with the page
 * and the row, so a page swapped, cut or shifted does not compare equal. */
static void page_row(uint8_t *row, int k, int y)
{
	memset(row, 0, PAGE_WIDTH / 8);
	for (int x = 0; x < PAGE_WIDTH; x++) {
		int band = (x / (16 + 8 * k) + y / (10 + 3 * k)) & 1;
		int frame = y < 8 || y >= PAGE_ROWS - 8 || x < 8 || x >= PAGE_WIDTH - 8;

		/* MINISWHITE: a 1 bit is black */
		if (frame || (band && (y / 50) % (k + 2)))
			row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
	}
}

int fax_tiff_make(const char *path, int pages)
{
	uint8_t row[PAGE_WIDTH / 8];
	TIFF *t;
	int rc = 0;

	if (pages < 1)
		return -EINVAL;
	t = TIFFOpen(path, "w");
	if (!t)
		return -EIO;
	for (int k = 0; k < pages && !rc; k++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, PAGE_WIDTH);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, PAGE_ROWS);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, 0);	/* 1-D (modified Huffman) */
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, PAGE_ROWS);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, PAGE_XRES);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, PAGE_YRES);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, k, pages);
		for (int y = 0; y < PAGE_ROWS && !rc; y++) {
			page_row(row, k, y);
			if (TIFFWriteScanline(t, row, (uint32_t)y, 0) < 0)
				rc = -EIO;
		}
		if (!rc && !TIFFWriteDirectory(t))
			rc = -EIO;
	}
	TIFFClose(t);
	return rc;
}

/* libtiff's warnings (unknown tags SpanDSP writes) are not errors here. */

static void quiet(const char *module, const char *fmt, va_list ap)
{
}

static TIFF *open_quiet(const char *path)
{
	TIFFSetWarningHandler(quiet);
	TIFFSetErrorHandler(quiet);	/* a missing file is our caller's to report */
	return TIFFOpen(path, "r");
}

int fax_tiff_pages(const char *path)
{
	TIFF *t = open_quiet(path);
	int n;

	if (!t)
		return -ENOENT;
	n = TIFFNumberOfDirectories(t);
	TIFFClose(t);
	return n;
}

/* Page k of each file (both positioned): 0 when equal. */
static int page_equal(TIFF *a, TIFF *b)
{
	uint32_t wa = 0, wb = 0, la = 0, lb = 0;
	uint16_t pa = PHOTOMETRIC_MINISWHITE, pb = PHOTOMETRIC_MINISWHITE;
	tmsize_t n;
	uint8_t *ra, *rb;
	int eq = 1;

	TIFFGetField(a, TIFFTAG_IMAGEWIDTH, &wa);
	TIFFGetField(b, TIFFTAG_IMAGEWIDTH, &wb);
	TIFFGetField(a, TIFFTAG_IMAGELENGTH, &la);
	TIFFGetField(b, TIFFTAG_IMAGELENGTH, &lb);
	TIFFGetField(a, TIFFTAG_PHOTOMETRIC, &pa);
	TIFFGetField(b, TIFFTAG_PHOTOMETRIC, &pb);
	if (wa != wb || la != lb || !wa || pa != pb)
		return 0;
	n = TIFFScanlineSize(a);
	if (n <= 0 || n != TIFFScanlineSize(b))
		return 0;
	ra = malloc((size_t)n);
	rb = malloc((size_t)n);
	for (uint32_t y = 0; eq && ra && rb && y < la; y++)
		eq = TIFFReadScanline(a, ra, y, 0) >= 0 && TIFFReadScanline(b, rb, y, 0) >= 0 &&
		     !memcmp(ra, rb, (size_t)n);
	if (!ra || !rb)
		eq = 0;
	free(ra);
	free(rb);
	return eq;
}

int fax_tiff_compare(const char *pa, const char *pb)
{
	TIFF *a = open_quiet(pa), *b = open_quiet(pb);
	int page = 1, rc = 0;

	if (!a || !b) {
		rc = -ENOENT;
		goto out;
	}
	for (;;) {
		if (!page_equal(a, b)) {
			rc = page;
			break;
		}
		int more_a = TIFFReadDirectory(a), more_b = TIFFReadDirectory(b);

		if (more_a != more_b) {
			rc = page + 1;	/* one has a page the other lacks */
			break;
		}
		if (!more_a)
			break;
		page++;
	}
out:
	if (a)
		TIFFClose(a);
	if (b)
		TIFFClose(b);
	return rc;
}
