/* sipgw - dialled numbers as both protocols write them: a SIP user part
 * (RFC 3966 visual separators) and a Q.931 called party number.
 * SPDX-License-Identifier: GPL-2.0-only */
#include "core/number.h"

void number_strip_visual(char *out, size_t outlen, const char *in)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	for (; *in && o + 1 < outlen; in++) {
		char c = *in;

		/* RFC 3966 3: visual-separator and anything else is not dialled */
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '+' || c == '*' || c == '#')
			out[o++] = c;
	}
	out[o] = '\0';
}
