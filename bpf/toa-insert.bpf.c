// SPDX-License-Identifier: MIT
/*
 * toa-doctor lab/probe "inserter": a sock_ops program that makes the kernel write a TOA into the
 * client's own packets, the way a full-NAT load balancer would, on connections made from the
 * cgroup it is attached to.
 *
 * How (Linux >= 5.10, "BPF TCP header options", net/ipv4/tcp_output.c bpf_skops_hdr_opt_len /
 * bpf_skops_write_hdr_opt, net/core/filter.c bpf_sock_ops_reserve_hdr_opt / _store_hdr_opt):
 *   TCP_CONNECT_CB        turn on BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG before the SYN leaves
 *   HDR_OPT_LEN_CB        decide from the outgoing packet (SYN / pure ACK / data) whether this
 *                         packet gets the option; reserve the bytes
 *   WRITE_HDR_OPT_CB      store the option(s); the kernel pads the rest with NOPs
 *
 * What is written comes from map `toa_ins_cfg` (key: the client's local port; key 0 is the default
 * for every other connection): up to two option blobs, each `kind, length, data...` exactly as the
 * LB would put it on the wire, plus which packets carry it. "Until the server speaks" (the LVS/DPVS
 * rule ack_seq == first-data seq) is modelled with bytes_received == 0.
 *
 * Limits of the helper, which shape the lab's scenarios: bpf_store_hdr_opt refuses EOL and NOP
 * kinds, refuses a second option of the same kind (same 2-byte "magic" for 253/254), and checks
 * the list written so far, so a broken list *before* the TOA cannot be built here; a one-byte
 * option (length field 1) can be stored, but only as the last thing in the list.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define PKT_SYN 1
#define PKT_ACK 2
#define PKT_DATA 4

#define MODE_NORMAL 0
/* fill the option area with one filler option so the TOA has no room (LB: "no TCP header room") */
#define MODE_NOROOM 1

#define TCPHDR_SYN 0x02

#define BLOB 40
#define FILLER_KIND 78 /* unassigned by IANA: a stand-in for options that use up the space */

struct toa_ins_cfg {
	__u8 packets; /* PKT_* bits */
	__u8 mode;    /* MODE_* */
	__u8 nblobs;  /* 0..2 */
	__u8 pad;
	__u8 blob[2][BLOB]; /* blob[i][0] = kind, blob[i][1] = length the kernel copies */
};

/* counters: 0 SYNs written, 1 ACKs written, 2 data written, 3 no room, 4 store errors */
#define ST_SYN 0
#define ST_ACK 1
#define ST_DATA 2
#define ST_NOROOM 3
#define ST_ERR 4
#define ST_N 8

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct toa_ins_cfg);
} toa_ins_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_N);
	__type(key, __u32);
	__type(value, __u64);
} toa_ins_stats SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&toa_ins_stats, &i);
	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline struct toa_ins_cfg *cfg_for(struct bpf_sock_ops *skops)
{
	__u32 key = skops->local_port;
	struct toa_ins_cfg *c = bpf_map_lookup_elem(&toa_ins_cfg, &key);
	if (c)
		return c;
	key = 0;
	return bpf_map_lookup_elem(&toa_ins_cfg, &key);
}

/* which PKT_* the outgoing packet is, 0 when it must not carry the option */
static __always_inline int packet_class(struct bpf_sock_ops *skops, __u32 payload)
{
	if (skops->args[0] & BPF_WRITE_HDR_TCP_CURRENT_MSS)
		return PKT_DATA; /* MSS sizing: count the option if data segments carry it */
	if (skops->skb_tcp_flags & TCPHDR_SYN)
		return PKT_SYN;
	if (skops->bytes_received > 0)
		return 0; /* the server has spoken: an LB stops adding the option */
	return payload ? PKT_DATA : PKT_ACK;
}

static __always_inline __u32 blob_len(struct toa_ins_cfg *c, int i)
{
	__u32 l = c->blob[i][1];
	return l > BLOB ? BLOB : l;
}

SEC("sockops")
int toa_insert(struct bpf_sock_ops *skops)
{
	struct toa_ins_cfg *c;
	__u8 filler[BLOB] = {};
	int cls;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		if (cfg_for(skops))
			bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
							 BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
		return 1;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB: {
		c = cfg_for(skops);
		if (!c)
			return 1;
		/* before the header is written skb_len is the payload only */
		cls = packet_class(skops, skops->skb_len);
		if (!(c->packets & cls))
			return 1;
		if (c->mode == MODE_NOROOM) {
			/* the remaining space is not visible to the program: take the largest that fits */
			for (__u32 n = BLOB; n >= 4; n -= 4)
				if (bpf_reserve_hdr_opt(skops, n, 0) == 0)
					break;
			return 1;
		}
		__u32 want = 0;
		if (c->nblobs > 0)
			want += blob_len(c, 0);
		if (c->nblobs > 1)
			want += blob_len(c, 1);
		if (want >= 2 && bpf_reserve_hdr_opt(skops, want, 0) != 0 &&
		    !(skops->args[0] & BPF_WRITE_HDR_TCP_CURRENT_MSS))
			count(ST_NOROOM);
		return 1;
	}
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB: {
		/* only called when HDR_OPT_LEN_CB reserved bytes for this very packet */
		c = cfg_for(skops);
		if (!c)
			return 1;
		__u32 flags = skops->skb_tcp_flags;
		__u32 st = (flags & TCPHDR_SYN) ? ST_SYN : ST_ACK;
		/* skb_len now includes the TCP header: data = more than the header */
		void *d = (void *)(long)skops->skb_data;
		void *e = (void *)(long)skops->skb_data_end;
		if (d + 13 <= e) {
			__u32 doff = (((__u8 *)d)[12] >> 4) * 4;
			if (!(flags & TCPHDR_SYN) && skops->skb_len > doff)
				st = ST_DATA;
		}
		if (c->mode == MODE_NOROOM) {
			/* one filler option over the whole reserved space */
			filler[0] = FILLER_KIND;
			for (__u32 n = BLOB; n >= 2; n--) {
				filler[1] = n;
				if (bpf_store_hdr_opt(skops, filler, sizeof(filler), 0) == 0)
					break;
			}
			/* the TOA itself: no room left, as on a full header */
			if (c->nblobs > 0 && bpf_store_hdr_opt(skops, c->blob[0], BLOB, 0) != 0)
				count(ST_NOROOM);
			return 1;
		}
		int ok = 1;
		if (c->nblobs > 0 && bpf_store_hdr_opt(skops, c->blob[0], BLOB, 0) != 0)
			ok = 0;
		if (c->nblobs > 1 && bpf_store_hdr_opt(skops, c->blob[1], BLOB, 0) != 0)
			ok = 0;
		count(ok ? st : ST_ERR);
		return 1;
	}
	default:
		return 1;
	}
}
