/*
 * cidr.h - network allowlists: space-separated IPv4 and IPv6 CIDR blocks
 * ("10.0.0.0/8 2001:db8::/32 192.0.2.7"), and matching an address.
 */
#ifndef GH_CIDR_H
#define GH_CIDR_H

#include <stdbool.h>

/* Every word is an address or address/prefix of the right length. */
bool	cidr_list_valid(const char *list);
/* `addr` (numeric, as inet_ntop writes it) is inside one of the blocks. */
bool	cidr_list_match(const char *list, const char *addr);

#endif
