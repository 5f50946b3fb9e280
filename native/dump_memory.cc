#include "dump_memory.h"

#include <malloc.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace bpfscope::dump_memory {

namespace {

using Clock = std::chrono::steady_clock;

// V8 collects dropped external memory about every 64 MiB of it: enough to serve the dumps made
// between two collections.
constexpr size_t kMaxKeptBytes = size_t(64) << 20;
constexpr size_t kMaxKeptBlocks = 1024;
// Smaller blocks come from malloc's arenas. 32 MiB holds the values of a million 24-byte entries;
// a pair of larger blocks would not fit the bounds.
constexpr size_t kMinBlockBytes = size_t(16) << 10;
constexpr size_t kMaxBlockBytes = size_t(32) << 20;
constexpr auto kMaxIdle = std::chrono::seconds(10);

struct Kept {
  Block block;
  Clock::time_point since;
};

// Take() runs where dumps run (libuv's threads, the main thread for dumpSync), Give() in finalizers
// on the main thread. Never destroyed: a dump still running on libuv's pool while the process
// exits must not find the mutex gone.
struct State {
  std::mutex mutex;
  std::vector<Kept> kept;  // oldest first: Give() appends, Take() erases in place
  Stats stats;
  // Blocks for the freeing thread (FreeElsewhere), under their own mutex: a free must not wait
  // for a Take() scanning the kept blocks, nor a Take() for a free.
  std::mutex doomed_mutex;
  std::condition_variable doomed_ready;
  std::vector<void*> doomed;
  std::thread freeing;  // started at the first block to free; joined by the last Detach()
  // Environments attached (Attach/Detach), and which freeing thread is current: a thread whose
  // generation is past exits.
  size_t environments = 0;
  uint64_t generation = 0;
};
State& state = *new State;

// Takes the `n` oldest blocks out, for the caller to hand to FreeElsewhere once the mutex is
// released.
void DropOldest(size_t n, std::vector<void*>& doomed) {
  for (size_t i = 0; i < n; i++) {
    doomed.push_back(state.kept[i].block.data);
    state.stats.kept_bytes -= state.kept[i].block.capacity;
    state.stats.freed++;
  }
  state.kept.erase(state.kept.begin(), state.kept.begin() + n);
}

void DropIdle(Clock::time_point now, std::vector<void*>& doomed) {
  size_t idle = 0;
  while (idle < state.kept.size() && now - state.kept[idle].since > kMaxIdle) idle++;
  DropOldest(idle, doomed);
}

void FreeLoop(uint64_t generation) {
  // Named as top -H and ps -L show it; prctl, since pthread_setname_np needs glibc 2.34's symbol.
  prctl(PR_SET_NAME, "bpfscope-free");
  std::vector<void*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(state.doomed_mutex);
      state.doomed_ready.wait(lock, [&] { return !state.doomed.empty() || state.generation != generation; });
      if (state.doomed.empty()) return;
      batch.swap(state.doomed);
    }
    for (void* block : batch) std::free(block);
    batch.clear();
  }
}

// Frees blocks on a thread of their own. Give() runs in finalizers on the main thread, where the
// munmaps of a few collected dumps of tens of MiB held the event loop: dropping dumps of a 49 MB
// map, its longest delay was 27-42 ms with the frees there and 19-25 ms without. Where no thread
// can be started (RLIMIT_NPROC), or none may be (no environment is attached), the caller frees them.
void FreeElsewhere(std::vector<void*>& blocks) {
  if (blocks.empty()) return;
  bool handed = false;
  {
    std::lock_guard<std::mutex> lock(state.doomed_mutex);
    if (!state.freeing.joinable() && state.environments > 0) {
      try {
        state.freeing = std::thread(FreeLoop, state.generation);
      } catch (const std::system_error&) {
        // No thread: the caller frees them, below.
      }
    }
    if (state.freeing.joinable()) {
      state.doomed.insert(state.doomed.end(), blocks.begin(), blocks.end());
      handed = true;
    }
  }
  if (handed) {
    state.doomed_ready.notify_one();
    return;
  }
  for (void* block : blocks) std::free(block);
}

// The smallest kept block of at least `min_bytes` and at most ReusedSlack more, other than
// `not_this`; of blocks that size, the newest. A poller's dumps are all one size: taking the
// newest leaves the oldest untaken, to be freed once idle, when fewer dumps are made than V8
// gave back, rather than cycling every kept block.
std::vector<Kept>::iterator BestFit(size_t min_bytes, std::vector<Kept>::iterator not_this) {
  size_t most = min_bytes + ReusedSlack(min_bytes);
  auto best = state.kept.end();
  for (auto it = state.kept.begin(); it != state.kept.end(); ++it) {
    size_t c = it->block.capacity;
    if (it != not_this && c >= min_bytes && c <= most && (best == state.kept.end() || c <= best->block.capacity)) best = it;
  }
  return best;
}

bool Attached() {
  std::lock_guard<std::mutex> lock(state.doomed_mutex);
  return state.environments > 0;
}

}  // namespace

void Attach() {
  std::lock_guard<std::mutex> lock(state.doomed_mutex);
  state.environments++;
}

void Detach() {
  std::thread freeing;
  {
    std::lock_guard<std::mutex> lock(state.doomed_mutex);
    if (--state.environments == 0) {
      state.generation++;
      freeing = std::move(state.freeing);
    }
  }
  state.doomed_ready.notify_all();
  // It frees what it was handed, then exits.
  if (freeing.joinable()) freeing.join();
  // The kept blocks go too, whether environments remain or not. When none does, nothing is left to
  // take them (a reloaded addon starts with a state of its own). When some do, the blocks include
  // what this environment's dumps gave back as it ended (their finalizers run before this), and
  // the timer that would have freed them after 10 seconds (src/maps.ts tidyDumpMemory) was this
  // environment's: the others run one only while they make dumps, so up to 64 MiB stayed for good.
  std::vector<void*> doomed;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    DropOldest(state.kept.size(), doomed);
  }
  for (void* block : doomed) std::free(block);
}

size_t ReusedSlack(size_t used) { return std::max(used * 3, size_t(1) << 20); }

bool Take(size_t first_bytes, size_t second_bytes, Block* first, Block* second) {
  std::vector<void*> doomed;
  bool taken = false;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    DropIdle(Clock::now(), doomed);
    auto end = state.kept.end();
    auto a = BestFit(first_bytes, end);
    auto b = a == end ? end : BestFit(second_bytes, a);
    if (b == end) {
      state.stats.missed++;
    } else {
      *first = a->block;
      *second = b->block;
      state.stats.kept_bytes -= first->capacity + second->capacity;
      // Erase the later position first, so that the earlier stays valid.
      state.kept.erase(std::max(a, b));
      state.kept.erase(std::min(a, b));
      state.stats.taken++;
      taken = true;
    }
  }
  FreeElsewhere(doomed);
  return taken;
}

void Lend() {
  std::lock_guard<std::mutex> lock(state.mutex);
  state.stats.lent_blocks++;
}

void Give(void* block) {
  size_t capacity = malloc_usable_size(block);
  std::vector<void*> doomed;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.stats.lent_blocks) state.stats.lent_blocks--;
    Clock::time_point now = Clock::now();
    DropIdle(now, doomed);
    if (capacity >= kMinBlockBytes && capacity <= kMaxBlockBytes && Attached()) {
      // Room is made by freeing the oldest: the newest match the dumps being made now (a map
      // polled before another, of other sizes, would otherwise fill the bounds for 10 seconds).
      size_t oldest = 0, bytes = state.stats.kept_bytes;
      while (state.kept.size() - oldest >= kMaxKeptBlocks || bytes + capacity > kMaxKeptBytes) bytes -= state.kept[oldest++].block.capacity;
      DropOldest(oldest, doomed);
      state.kept.push_back({{block, capacity}, now});
      state.stats.kept_bytes += capacity;
    } else {
      state.stats.freed++;
      doomed.push_back(block);
    }
  }
  FreeElsewhere(doomed);
}

Stats Expire() {
  std::vector<void*> doomed;
  Stats stats;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    DropIdle(Clock::now(), doomed);
    stats = state.stats;
    stats.kept_blocks = state.kept.size();
  }
  FreeElsewhere(doomed);
  return stats;
}

}  // namespace bpfscope::dump_memory
