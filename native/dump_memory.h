// The memory of dropped map dumps, kept for the next dumps to fill.
//
// A dump the caller drops is freed only when V8 collects it, which for external memory happens
// after tens of MiB of it (a 10,000-entry map: 160 to 300 dumps). Until then each dump takes fresh
// memory, and fresh memory is not cheap: the kernel faults in and zeroes every page, and in a VM
// the hypervisor may add its own cost to each page's first use. In this one (a PVM guest, whose
// hypervisor shadows the guest's page tables) a fresh page cost 11 µs when user code first wrote
// it, and 400 KiB of fresh memory 0.4–1 ms, as much as the 10,000-entry dump written into it. So a
// collected dump's buffers are kept here, and the next dump of a map of about that size takes
// them: resident pages, no fault, no zeroing.
//
// Kept memory is bounded (64 MiB, 1,024 blocks of 16 KiB to 32 MiB; past that the oldest go) and
// short-lived: a block no dump took within 10 seconds is freed (src/maps.ts asks for that every 10
// seconds while any dump memory is kept or lent out).
//
// What is freed, is freed on a thread of its own ("bpfscope-free"), not in the finalizer or the
// dump that let it go: freeing a block of tens of MiB is an munmap of milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bpfscope::dump_memory {

// Unused bytes a buffer that will be filled again may keep: three times the bytes used, or 1 MiB.
// Packed::Trim leaves a reused buffer that much room to grow, and Take() hands out a block with
// at most that much more than asked for.
size_t ReusedSlack(size_t used);

// A kept block: malloc'd memory (realloc() and free() work on it) of `capacity` usable bytes.
struct Block {
  void* data = nullptr;
  size_t capacity = 0;
};

// Two kept blocks, one of at least `first_bytes` and one of at least `second_bytes` (a dump's keys
// and values), each the smallest there is with at most ReusedSlack more than asked; both or none.
bool Take(size_t first_bytes, size_t second_bytes, Block* first, Block* second);

// A block handed to JS as a dump's Buffer: counted until its finalizer gives it back.
void Lend();

// A dump Buffer's memory, from its finalizer: kept for Take() when it fits the bounds, else freed.
void Give(void* block);

struct Stats {
  size_t kept_blocks = 0, kept_bytes = 0, lent_blocks = 0;
  uint64_t taken = 0, missed = 0, freed = 0;
};

// Frees the blocks kept longer than the idle limit, and says what is left.
Stats Expire();

// Each environment that loads the addon (addon.h Addon) attaches while it lives. Node unloads the
// addon when the last environment that loaded it exits (a worker_thread's, when the main thread
// never loaded it), and the freeing thread, running the addon's code, must be gone by then: the
// last Detach() joins it. Every Detach() frees every kept block: those of an environment that
// ends have no timer left to free them. Blocks given back while no environment is attached
// (finalizers that run after it) are freed on the spot.
void Attach();
void Detach();

}  // namespace bpfscope::dump_memory
