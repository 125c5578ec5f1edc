/* sipgw - what ctl.c (the socket, the registry) and ctl_out.c (the output
 * model) share. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_CTL_INTERNAL_H
#define SIPGW_CORE_CTL_INTERNAL_H

#include <stddef.h>

#define CTL_MAX_COLS 24

enum ctl_block_kind { CTL_B_TEXT, CTL_B_KV, CTL_B_TABLE };

struct ctl_cell {
	char *s;
	int num;		/* a JSON number, not a string */
};

struct ctl_block {
	enum ctl_block_kind kind;
	char name[48];
	const char *cols[CTL_MAX_COLS];	/* TABLE: column names (the caller's strings) */
	int n_cols;
	struct ctl_cell *cells;		/* TABLE: row after row; KV: key, value, ... */
	size_t n_cells, cap_cells;
};

struct ctl_req {
	int json;
	struct ctl_block *blocks;
	size_t n_blocks, cap_blocks;
	long table;			/* index of the table ctl_cell fills (-1: none) */
	char *raw;
	size_t raw_len, cap_raw;
	char error[512];
	int oom;
};

/** The answer: "ok\n" + body, or "error\n" + the message (malloc'd). */
char *ctl_render(const struct ctl_req *req, int failed);
void ctl_req_clear(struct ctl_req *req);

#endif
