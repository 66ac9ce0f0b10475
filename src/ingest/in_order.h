// Work cut from one input, done on several threads, handed on in input order. Knows nothing
// of what the work is: ingest uses it for pieces of a CSV file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace funnel::ingest_detail {

/// Each worker runs on a thread of its own (the first on the caller's): `cut(item)` takes the
/// next item off the shared input under one lock (false: nothing is left; an exception is an
/// input error, raised in its turn); `parse(worker, item)` works on the item with no lock
/// held (keeping any error of its own inside the item); `emit(worker, item)` hands the
/// results on under a second lock, strictly in the order the items were cut. The first
/// failure in input order stops every worker and is rethrown here; nothing after it is
/// emitted, so the outcome is the one a single thread would reach. No item is cut more than
/// `ahead` items beyond the next to be emitted, so a slow turn does not fill memory with
/// parsed items.
template <class Item, class Worker, class Cut, class Parse, class Emit>
void run_in_order(const std::vector<Worker*>& workers, std::uint64_t ahead, Cut cut, Parse parse, Emit emit) {
  struct Slot {
    Item item;
    std::exception_ptr cut_error;
  };
  std::mutex cut_mutex, emit_mutex;
  std::condition_variable emitted;
  std::atomic<std::uint64_t> next_index{0}, next_emit{0};
  std::map<std::uint64_t, Slot> ready;
  std::exception_ptr failure;
  std::atomic<bool> stop{false};
  auto work = [&](Worker& worker) {
    try {
      for (;;) {
        Slot slot;
        std::uint64_t index;
        {
          std::unique_lock wait(emit_mutex);
          emitted.wait(wait, [&] { return next_index.load() - next_emit.load() < ahead || failure || stop.load(); });
        }
        {
          std::lock_guard lock(cut_mutex);
          if (stop.load()) return;
          try {
            if (!cut(slot.item)) return;
          } catch (...) {
            slot.cut_error = std::current_exception();
            stop = true;
          }
          index = next_index++;
        }
        if (!slot.cut_error) parse(worker, slot.item);
        std::lock_guard lock(emit_mutex);
        ready.emplace(index, std::move(slot));
        // The first failure in input order is the one reported: it is recorded before the
        // lock is let go, and nothing after it is handed on.
        for (auto it = ready.find(next_emit); !failure && it != ready.end(); it = ready.find(next_emit)) {
          Slot next = std::move(it->second);
          ready.erase(it);
          ++next_emit;
          try {
            if (next.cut_error) std::rethrow_exception(next.cut_error);
            emit(worker, next.item);
          } catch (...) {
            failure = std::current_exception();
            stop = true;
          }
        }
        emitted.notify_all();
        if (failure) return;
      }
    } catch (...) {
      std::lock_guard lock(emit_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
    emitted.notify_all();
  };
  std::vector<std::thread> others;
  for (std::size_t i = 1; i < workers.size(); ++i) others.emplace_back([&work, &workers, i] { work(*workers[i]); });
  work(*workers.front());
  for (std::thread& t : others) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace funnel::ingest_detail
