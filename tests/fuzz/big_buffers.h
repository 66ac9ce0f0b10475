// Included by exactly one file of a fuzz target: replaces operator new[]/delete[] so that
// very large arrays are kept and handed out again instead of being mapped and unmapped on
// every input.
//
// Why: each RecordReader used to hold fast-cpp-csv-parser's io::LineReader, whose buffer was
// new char[3 << 24] (48 MiB); the line layer now uses strings of one block, so this is a guard
// for any big array a change brings back. Under ASan every such allocation maps fresh memory and writes
// 6 MiB of shadow, twice: about 7 ms per input, which kept the targets near 100 runs/s.
// A kept block is poisoned while it sits in the pool, so use after delete[] is still an ASan
// report; overflows past its end hit the block's own redzone as before. Smaller arrays go
// to malloc (ASan's), so they keep every check except new[]/delete mismatch.
//
// Every block handed out starts with kFilled bytes of FUNNEL_FUZZ_STALE_BYTE (default 0, what
// a fresh mapping holds in a real run), so what the previous input left there cannot change
// the next run: results stay reproducible. FUNNEL_FUZZ_STALE_BYTE=10 fills them with '\n'
// instead, which shows any read of buffer bytes past the data (see tests/fuzz/README.md).
#pragma once

#include <sanitizer/asan_interface.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace funnel_fuzz {

inline constexpr std::size_t kBigArray = std::size_t{8} << 20;  // 8 MiB and up are kept
inline constexpr int kPoolSlots = 4;
inline constexpr std::size_t kFilled = std::size_t{64} << 10;  // far beyond any fuzz input

inline int stale_byte() {
  static const int value = [] {
    const char* text = std::getenv("FUNNEL_FUZZ_STALE_BYTE");
    return text == nullptr ? 0 : std::atoi(text) & 0xFF;
  }();
  return value;
}

inline void* fill_start(void* block, std::size_t size) {
  std::memset(block, stale_byte(), size < kFilled ? size : kFilled);
  return block;
}

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
        return fill_start(blocks[i].data, size);
      }
    }
    for (int i = 0; i < kPoolSlots; ++i) {
      if (blocks[i].data == nullptr) {
        void* p = std::malloc(size);
        if (p == nullptr) throw std::bad_alloc();
        blocks[i] = PooledBlock{p, size, true};
        return fill_start(p, size);
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
