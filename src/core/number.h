/* sipgw - dialled numbers as both protocols write them. SPDX-License-Identifier: GPL-2.0-only */
#ifndef SIPGW_CORE_NUMBER_H
#define SIPGW_CORE_NUMBER_H

#include <stddef.h>

/** Copy in without RFC 3966 visual separators ("-", ".", "(", ")") and spaces,
 * keeping only digits, '+', '*', '#' and letters; out is always terminated. */
void number_strip_visual(char *out, size_t outlen, const char *in);

#endif
