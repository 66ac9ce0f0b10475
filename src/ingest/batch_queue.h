// A bounded hand-off of batches between one producing thread and one consuming thread.
// Knows nothing of what a batch holds.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace funnel::ingest_detail {

/// Batches between the reading thread and the applying thread: a few in flight, the rest
/// recycled, so memory stays bounded whatever the input size.
template <class Batch>
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t depth) {
    for (std::size_t i = 0; i < depth; ++i) {
      pool_.push_back(std::make_unique<Batch>());
      free_.push_back(pool_.back().get());
    }
  }
  Batch* take_free() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !free_.empty() || cancelled_; });
    if (cancelled_) return nullptr;
    Batch* b = free_.front();
    free_.pop_front();
    return b;
  }
  void push_full(Batch* b) {
    std::lock_guard lock(mutex_);
    full_.push_back(b);
    changed_.notify_all();
  }
  /// Null when the reader is done and every batch has been taken.
  Batch* take_full() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !full_.empty() || done_; });
    if (full_.empty()) return nullptr;
    Batch* b = full_.front();
    full_.pop_front();
    return b;
  }
  void give_back(Batch* b) {
    std::lock_guard lock(mutex_);
    free_.push_back(b);
    changed_.notify_all();
  }
  void finish() {
    std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }
  void cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    changed_.notify_all();
  }

 private:
  std::vector<std::unique_ptr<Batch>> pool_;
  std::deque<Batch*> free_, full_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false, cancelled_ = false;
};

}  // namespace funnel::ingest_detail
