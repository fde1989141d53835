// SPDX-License-Identifier: MIT
/*
 * toa-doctor lab "reader": a real TOA reader in the kernel, modelled on how Alibaba Cloud CDN's
 * eBPF TOA works (aliyun/alibabacloud-cdn-tool-toa toa-ebpf/toa-kern.c: toa_parse, toa_peername4,
 * toa_peername6; loaded by toa-ebpf/load.sh onto a cgroup in `multi` mode). Written for this
 * project; it is not that program.
 *
 *   sock_ops toa_read      TCP_LISTEN_CB: in "syn-or-ack" mode, ask the kernel to keep the SYN
 *                          (TCP_SAVE_SYN). PASSIVE_ESTABLISHED_CB (the packet that creates the
 *                          child socket, normally the handshake ACK): look for an accepted
 *                          (kind, length) first in the saved SYN (syn-or-ack mode only), then in
 *                          that packet (it wins, as in the CDN program); keep the address in
 *                          socket storage.
 *   cgroup/getpeername4/6  return the stored address (and port when the variant has one).
 *
 * The walk is the one the Alibaba-derived modules share (reference 1.4): stop at EOL, skip NOP,
 * stop at a length < 2 or past the end, first (kind, length) in the table wins. bpf_load_hdr_opt
 * is not used for the search: for kinds 253/254 it only finds an option whose first two data bytes
 * match a given "magic" (RFC 6994), and in a TOA those bytes are the client port.
 * Like the CDN program, a kind-254 option whose data starts 0xF989 on the SYN is a TCP Fast Open
 * cookie and is ignored.
 *
 * Configuration, map `toa_rd_cfg` (one entry): mode (0 reads the packet that creates the socket,
 * 1 reads the SYN or that packet) and a (kind, length) -> layout table of the accepted variants
 * (a table rather than a list keeps the verifier's work per option constant).
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define SOL_TCP 6
#define TCP_SAVE_SYN 27

#define MODE_ACK 0
#define MODE_SYN_OR_ACK 1

/* layouts of the address inside the option (offsets from the kind byte) */
#define L_PORT_V4 1 /* kind len port(2) ipv4(4) ...: 200/8, 254/8, 253/8, 254/16, 252/20 */
#define L_PORT_V6 2 /* kind len port(2) ipv6(16): 253/20, 254/20 */
#define L_VER_V4 3  /* kind len version ipv4(4): 28/7 */
#define L_VER_V6 4  /* kind len version ipv6(16): 28/19 */

#define OPTS 40
#define LENS 41 /* option lengths 0..40 */
#define TABLE (256 * LENS)

/* layout[kind * 41 + length]: the layout of an accepted (kind, length), 0 when not accepted */
struct toa_rd_cfg {
	__u8 mode;
	__u8 pad[3];
	__u8 layout[TABLE];
};

struct toa_rd_val {
	__u8 family; /* 0 none, 4, 6 */
	__u8 has_port;
	__be16 port;
	__be32 addr[4];
	__u8 from_syn;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct toa_rd_cfg);
} toa_rd_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct toa_rd_val);
} toa_rd_sk SEC(".maps");

/* 0 from SYN, 1 from the creating packet, 2 none found, 3 rewritten v4, 4 rewritten v6 */
#define ST_SYN 0
#define ST_ACK 1
#define ST_NONE 2
#define ST_GET4 3
#define ST_GET6 4
#define ST_N 8

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_N);
	__type(key, __u32);
	__type(value, __u64);
} toa_rd_stats SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&toa_rd_stats, &i);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/*
 * Option bytes copied to a per-CPU scratch buffer; n of them valid. indexed by a __u8 (+ a small constant),
 * so every index the walk computes is in bounds for the verifier without a mask.
 */
struct opts {
	__u8 b[64];
	__u32 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct opts);
} toa_rd_scratch SEC(".maps");

/*
 * One bounds-checked read. The empty asm makes the index opaque to the compiler, so the check is
 * emitted on the very register used for the access (otherwise clang drops it as "already known"
 * and the verifier, which does not follow the earlier check, rejects the program).
 */
static __always_inline int byte_at(struct opts *o, __u32 i)
{
	asm volatile("" : "+r"(i));
	if (i >= OPTS)
		return -1;
	return o->b[i];
}

static __always_inline int layout_of(struct toa_rd_cfg *c, int kind, int len)
{
	__u32 i = kind * LENS + len;
	asm volatile("" : "+r"(i));
	if (i >= TABLE)
		return 0;
	return c->layout[i];
}

/*
 * The walk visits byte positions 0..39 in order with a constant index per (unrolled) step and a
 * count of bytes still to skip, so every access has a constant offset and the verifier's state
 * per step is small (the shape the CDN program's search_toa_option uses too). A walk that jumps
 * from option to option with a variable index exceeds the verifier's budget. A global
 * (non-static) function is verified once on its own, not once per call site and path.
 */
__noinline int toa_rd_walk(struct opts *o, struct toa_rd_cfg *c, int syn)
{
	if (!o || !c)
		return -1;
	__u32 n = o->n;
	__u32 skip = 0;

	for (__u32 p = 0; p < OPTS; p++) {
		if (p >= n)
			break;
		if (skip) {
			skip--;
			continue;
		}
		__u8 kind = o->b[p];
		if (kind == 0)
			break; /* EOL: the list ends */
		if (kind == 1)
			continue;
		if (p + 1 >= n)
			break;
		__u8 len = o->b[p + 1];
		if (len < 2 || p + len > n)
			break; /* broken option: everything after it is unreadable */
		int l = layout_of(c, kind, len);
		/* TFO cookie in experimental option 254 (magic 0xF989) on a SYN is not a TOA */
		if (l && p + 3 < OPTS && !(syn && kind == 254 && len >= 4 && o->b[p + 2] == 0xf9 &&
					   o->b[p + 3] == 0x89)) {
			return p | (l << 8); /* first match wins */
		}
		skip = len - 1;
	}
	return -1;
}

static __always_inline void copy_out(struct opts *o, __u32 from, __u8 *to, int n)
{
	for (int k = 0; k < 16; k++) {
		if (k >= n)
			break;
		int b = byte_at(o, from + k);
		to[k] = b < 0 ? 0 : b;
	}
}

__noinline int toa_rd_take(struct opts *o, int at, int layout, struct toa_rd_val *v)
{
	if (!o || !v)
		return 0;
	switch (layout) {
	case L_PORT_V4:
		v->family = 4;
		v->has_port = 1;
		copy_out(o, at + 2, (__u8 *)&v->port, 2);
		copy_out(o, at + 4, (__u8 *)v->addr, 4);
		break;
	case L_PORT_V6:
		v->family = 6;
		v->has_port = 1;
		copy_out(o, at + 2, (__u8 *)&v->port, 2);
		copy_out(o, at + 4, (__u8 *)v->addr, 16);
		break;
	case L_VER_V4:
		v->family = 4;
		copy_out(o, at + 3, (__u8 *)v->addr, 4);
		break;
	case L_VER_V6:
		v->family = 6;
		copy_out(o, at + 3, (__u8 *)v->addr, 16);
		break;
	}
	return 1;
}

static __always_inline int lookup(struct opts *o, struct toa_rd_cfg *c, int syn,
				  struct toa_rd_val *v)
{
	int r = toa_rd_walk(o, c, syn);
	if (r < 0)
		return 0;
	return toa_rd_take(o, r & 0xff, r >> 8, v);
}

SEC("sockops")
int toa_read(struct bpf_sock_ops *skops)
{
	struct toa_rd_cfg *c;
	__u32 zero = 0;
	int one = 1;

	c = bpf_map_lookup_elem(&toa_rd_cfg, &zero);
	if (!c)
		return 1;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		if (c->mode == MODE_SYN_OR_ACK)
			bpf_setsockopt(skops, SOL_TCP, TCP_SAVE_SYN, &one, sizeof(one));
		return 1;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB: {
		struct toa_rd_val found = {};
		struct opts *o = bpf_map_lookup_elem(&toa_rd_scratch, &zero);
		int got = 0;
		if (!o)
			return 1;
		if (c->mode == MODE_SYN_OR_ACK) {
			__u8 syn[60];
			long n = bpf_getsockopt(skops, SOL_TCP, TCP_BPF_SYN, syn, sizeof(syn));
			if (n > 20) {
				__u32 hl = (syn[12] >> 4) * 4;
				if (hl > n)
					hl = n;
				o->n = hl > 20 ? hl - 20 : 0;
				for (int k = 0; k < OPTS; k++)
					o->b[k] = syn[20 + k];
				if (lookup(o, c, 1, &found)) {
					found.from_syn = 1;
					got = 1;
				}
			}
		}
		/* the packet that creates the socket: skb_data covers its TCP header */
		__u8 *d = (__u8 *)(long)skops->skb_data;
		__u8 *e = (__u8 *)(long)skops->skb_data_end;
		o->n = 0;
		if (d + 20 <= e) {
			__u32 hl = (d[12] >> 4) * 4;
			__u32 k;
			for (k = 0; k < OPTS; k++) {
				if (20 + k >= hl || d + 20 + k + 1 > e)
					break;
				o->b[k] = d[20 + k];
			}
			o->n = k;
			struct toa_rd_val ack = {};
			if (lookup(o, c, 0, &ack)) {
				found = ack;
				got = 1;
			}
		}
		if (!got) {
			count(ST_NONE);
			return 1;
		}
		count(found.from_syn ? ST_SYN : ST_ACK);
		struct bpf_sock *sk = skops->sk;
		if (!sk)
			return 1;
		struct toa_rd_val *v = bpf_sk_storage_get(&toa_rd_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (v)
			*v = found;
		return 1;
	}
	default:
		return 1;
	}
}

SEC("cgroup/getpeername4")
int toa_peer4(struct bpf_sock_addr *ctx)
{
	struct toa_rd_val *v;
	if (!ctx->sk)
		return 1;
	v = bpf_sk_storage_get(&toa_rd_sk, ctx->sk, 0, 0);
	/* an IPv6 client cannot be shown in a sockaddr_in: leave it (NAT64 needs another API) */
	if (!v || v->family != 4)
		return 1;
	ctx->user_ip4 = v->addr[0];
	if (v->has_port)
		ctx->user_port = v->port;
	count(ST_GET4);
	return 1;
}

SEC("cgroup/getpeername6")
int toa_peer6(struct bpf_sock_addr *ctx)
{
	struct toa_rd_val *v;
	if (!ctx->sk)
		return 1;
	v = bpf_sk_storage_get(&toa_rd_sk, ctx->sk, 0, 0);
	if (!v || v->family == 0)
		return 1;
	if (v->family == 6) {
		ctx->user_ip6[0] = v->addr[0];
		ctx->user_ip6[1] = v->addr[1];
		ctx->user_ip6[2] = v->addr[2];
		ctx->user_ip6[3] = v->addr[3];
	} else {
		/* IPv4 client on a dual-stack (::) listener: ::ffff:a.b.c.d */
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = v->addr[0];
	}
	if (v->has_port)
		ctx->user_port = v->port;
	count(ST_GET6);
	return 1;
}
