/*
 * cidr.h - network allowlists: space-separated IPv4 and IPv6 CIDR blocks
 * ("10.0.0.0/8 2001:db8::/32 192.0.2.7"), and matching an address.
 */
#ifndef GH_CIDR_H
#define GH_CIDR_H

#include <stdbool.h>
#include <stddef.h>

/* Every word is an address or address/prefix of the right length. */
bool	cidr_list_valid(const char *list);
/* `addr` (numeric, as inet_ntop writes it) is inside one of the blocks. */
bool	cidr_list_match(const char *list, const char *addr);

/*
 * The network an address belongs to for anomaly rules: IPv4 /24, IPv6 /48
 * (an IPv4-mapped IPv6 address counts as IPv4), e.g. "192.0.2.0/24".
 */
bool	cidr_network_of(const char *addr, char *out, size_t outsz);

#endif
