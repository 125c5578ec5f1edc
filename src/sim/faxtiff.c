/* sipgw - sipgw-faxtiff: TIFF-F test pages for the fax flows (dsp/fax_tiff.c).
 *   sipgw-faxtiff make FILE PAGES     write PAGES test pages (G3 1-D)
 *   sipgw-faxtiff pages FILE          print how many pages FILE has
 *   sipgw-faxtiff compare SENT GOT    "same pages=N" (exit 0), or "differ
 *                                     page=K" (exit 1): size or pixels, as
 *                                     libtiff decodes both
 * SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/fax.h"

int main(int argc, char **argv)
{
	int rc;

	if (argc == 4 && !strcmp(argv[1], "make")) {
		rc = fax_tiff_make(argv[2], atoi(argv[3]));
		if (rc)
			fprintf(stderr, "sipgw-faxtiff: %s: %s\n", argv[2], strerror(-rc));
		return rc ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "pages")) {
		rc = fax_tiff_pages(argv[2]);
		if (rc < 0) {
			fprintf(stderr, "sipgw-faxtiff: %s: %s\n", argv[2], strerror(-rc));
			return 2;
		}
		printf("pages=%d\n", rc);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "compare")) {
		rc = fax_tiff_compare(argv[2], argv[3]);
		if (rc < 0) {
			fprintf(stderr, "sipgw-faxtiff: cannot read %s or %s\n", argv[2], argv[3]);
			return 2;
		}
		if (rc) {
			printf("differ page=%d\n", rc);
			return 1;
		}
		printf("same pages=%d\n", fax_tiff_pages(argv[2]));
		return 0;
	}
	fputs("usage: sipgw-faxtiff make FILE PAGES | pages FILE | compare SENT GOT\n", stderr);
	return 2;
}
