#include "dump_memory.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
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

// Take() runs on libuv's threads, Give() in finalizers on the main thread.
std::mutex mutex;
// Oldest first: Give() appends, Take() erases in place.
std::vector<Kept> kept;
Stats stats;

// Frees the `n` oldest blocks.
void FreeOldest(size_t n) {
  for (size_t i = 0; i < n; i++) {
    std::free(kept[i].block.data);
    stats.kept_bytes -= kept[i].block.capacity;
    stats.freed++;
  }
  kept.erase(kept.begin(), kept.begin() + n);
  stats.kept_blocks = kept.size();
}

void ExpireLocked(Clock::time_point now) {
  size_t idle = 0;
  while (idle < kept.size() && now - kept[idle].since > kMaxIdle) idle++;
  FreeOldest(idle);
}

// The smallest kept block of at least `min_bytes` and at most ReusedSlack more, other than `not_this`.
std::vector<Kept>::iterator BestFit(size_t min_bytes, std::vector<Kept>::iterator not_this) {
  size_t most = min_bytes + ReusedSlack(min_bytes);
  auto best = kept.end();
  for (auto it = kept.begin(); it != kept.end(); ++it) {
    size_t c = it->block.capacity;
    if (it != not_this && c >= min_bytes && c <= most && (best == kept.end() || c < best->block.capacity)) best = it;
  }
  return best;
}

}  // namespace

size_t ReusedSlack(size_t used) { return std::max(used * 3, size_t(1) << 20); }

bool Take(size_t first_bytes, size_t second_bytes, Block* first, Block* second) {
  std::lock_guard<std::mutex> lock(mutex);
  ExpireLocked(Clock::now());
  auto a = BestFit(first_bytes, kept.end());
  auto b = a == kept.end() ? kept.end() : BestFit(second_bytes, a);
  if (b == kept.end()) {
    stats.missed++;
    return false;
  }
  *first = a->block;
  *second = b->block;
  stats.kept_bytes -= first->capacity + second->capacity;
  // Erase the later position first, so that the earlier stays valid.
  kept.erase(std::max(a, b));
  kept.erase(std::min(a, b));
  stats.kept_blocks = kept.size();
  stats.taken++;
  return true;
}

void Lend() {
  std::lock_guard<std::mutex> lock(mutex);
  stats.lent_blocks++;
}

void Give(void* block) {
  size_t capacity = malloc_usable_size(block);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (stats.lent_blocks) stats.lent_blocks--;
    Clock::time_point now = Clock::now();
    ExpireLocked(now);
    if (capacity >= kMinBlockBytes && capacity <= kMaxBlockBytes) {
      // Room is made by freeing the oldest: the newest match the dumps being made now (a map
      // polled before another, of other sizes, would otherwise fill the bounds for 10 seconds).
      size_t oldest = 0, bytes = stats.kept_bytes;
      while (kept.size() - oldest >= kMaxKeptBlocks || bytes + capacity > kMaxKeptBytes) bytes -= kept[oldest++].block.capacity;
      FreeOldest(oldest);
      kept.push_back({{block, capacity}, now});
      stats.kept_bytes += capacity;
      stats.kept_blocks = kept.size();
      return;
    }
    stats.freed++;
  }
  std::free(block);
}

Stats Expire() {
  std::lock_guard<std::mutex> lock(mutex);
  ExpireLocked(Clock::now());
  return stats;
}

}  // namespace bpfscope::dump_memory
