// A program as clang compiles one (test/kernel/xlated.test.ts dumps it against bpftool prog dump
// xlated): a map lookup the verifier turns into a call of the hash map's own lookup, a global
// variable (a map value), a tail call (a helper call that keeps its id), a static and a global
// function (calls within the program, with BTF prototypes), a kfunc call (by BTF id), bpf_loop
// with a callback (a function's address loaded; the verifier inlines the loop), and source lines
// for all of it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned long long counter_t;

extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, counter_t);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jumps SEC(".maps");

counter_t total;

static __attribute__((noinline)) counter_t bump(counter_t *value, counter_t by)
{
	if (!value)
		return 0;
	__sync_fetch_and_add(value, by);
	return *value;
}

__attribute__((noinline)) int classify(struct __sk_buff *skb, const int threshold)
{
	return skb ? skb->len > (unsigned int)threshold : 0;
}

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
	__u32 key = skb->len & 15;
	counter_t *value = bpf_map_lookup_elem(&counts, &key);

	total += 1;
	bpf_tail_call(skb, &jumps, 0);
	return bump(value, bpf_ktime_get_ns() & 1) > 100 + classify(skb, 64);
}

SEC("socket")
int bpfs_xl_second(struct __sk_buff *skb)
{
	return classify(skb, 128);
}

SEC("tc")
int bpfs_xl_kfunc(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;

	return bpf_dynptr_from_skb(skb, 0, &ptr);
}

static long add_index(__u32 index, void *sum)
{
	*(__u64 *)sum += index;
	return 0;
}

SEC("socket")
int bpfs_xl_loop(struct __sk_buff *skb)
{
	__u64 sum = 0;

	bpf_loop(skb->len & 7, add_index, &sum, 0);
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
