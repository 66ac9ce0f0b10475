// Included by exactly one file of a fuzz target: replaces operator new[]/delete[] so that
// very large arrays are kept and handed out again instead of being mapped and unmapped on
// every input.
//
// Why: each RecordReader holds fast-cpp-csv-parser's io::LineReader, whose buffer is
// new char[3 << 24] (48 MiB). Under ASan every such allocation maps fresh memory and writes
// 6 MiB of shadow, twice: about 7 ms per input, which kept the targets near 100 runs/s.
// A kept block is poisoned while it sits in the pool, so use after delete[] is still an ASan
// report; overflows past its end hit the block's own redzone as before. Smaller arrays go
// to malloc (ASan's), so they keep every check except new[]/delete mismatch.
#pragma once

#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>

namespace funnel_fuzz {

inline constexpr std::size_t kBigArray = std::size_t{8} << 20;  // 8 MiB and up are kept
inline constexpr int kPoolSlots = 4;

struct PooledBlock {
  void* data = nullptr;
  std::size_t size = 0;
  bool in_use = false;
};

inline std::mutex& pool_mutex() {
  static std::mutex m;
  return m;
}
inline PooledBlock* pool() {
  static PooledBlock blocks[kPoolSlots];
  return blocks;
}

inline void* allocate_array(std::size_t size) {
  if (size >= kBigArray) {
    std::lock_guard<std::mutex> lock(pool_mutex());
    PooledBlock* blocks = pool();
    for (int i = 0; i < kPoolSlots; ++i) {
      if (!blocks[i].in_use && blocks[i].data != nullptr && blocks[i].size == size) {
        blocks[i].in_use = true;
        ASAN_UNPOISON_MEMORY_REGION(blocks[i].data, size);
        return blocks[i].data;
      }
    }
    for (int i = 0; i < kPoolSlots; ++i) {
      if (blocks[i].data == nullptr) {
        void* p = std::malloc(size);
        if (p == nullptr) throw std::bad_alloc();
        blocks[i] = PooledBlock{p, size, true};
        return p;
      }
    }
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

inline void free_array(void* p) noexcept {
  if (p == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(pool_mutex());
    PooledBlock* blocks = pool();
    for (int i = 0; i < kPoolSlots; ++i) {
      if (blocks[i].data == p && blocks[i].in_use) {
        blocks[i].in_use = false;
        ASAN_POISON_MEMORY_REGION(p, blocks[i].size);
        return;
      }
    }
  }
  std::free(p);
}

}  // namespace funnel_fuzz

void* operator new[](std::size_t size) { return funnel_fuzz::allocate_array(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return funnel_fuzz::allocate_array(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete[](void* p) noexcept { funnel_fuzz::free_array(p); }
void operator delete[](void* p, std::size_t) noexcept { funnel_fuzz::free_array(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { funnel_fuzz::free_array(p); }
