#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

#include "funnel/lead_path.h"

using namespace funnel;

namespace {
constexpr Timestamp day = 86400;
}

TEST_SUITE("lead_path") {
  TEST_CASE("interning gives each id one index, across table growth") {
    LeadStore store(3);
    for (int i = 0; i < 5000; ++i) CHECK(store.intern("lead-" + std::to_string(i)) == static_cast<std::uint32_t>(i));
    for (int i = 0; i < 5000; i += 7) CHECK(store.intern("lead-" + std::to_string(i)) == static_cast<std::uint32_t>(i));
    CHECK(store.size() == 5000);
    CHECK(store.id(4321) == "lead-4321");
  }

  TEST_CASE("an id table sized up front: as big as the leads asked for need, and it grows past them") {
    LeadStore sized(3), plain(3);
    sized.expect_leads(200000);  // 2^18 slots hold 183,500 at 70%: 2^19
    // Equal leads make equal records: the stores then differ by their tables only.
    auto table_gap = [&] { return static_cast<long>(sized.memory_bytes()) - static_cast<long>(plain.memory_bytes()); };
    CHECK(table_gap() == 4 * ((1L << 19) - (1L << 10)));
    auto name = [](int i) { return fmt::format("L{}", 1000000 + i); };
    auto add = [&](int from, int to) {
      for (int i = from; i < to; ++i) {
        REQUIRE(sized.intern(name(i)) == static_cast<std::uint32_t>(i));
        REQUIRE(plain.intern(name(i)) == static_cast<std::uint32_t>(i));
      }
    };
    add(0, 150000);
    sized.expect_leads(1000000);                          // too late: the table is in use and stays as it is
    CHECK(table_gap() == 4 * ((1L << 19) - (1L << 18)));  // the plain table grew to 2^18, the sized one did not move
    add(150000, 300000);
    CHECK(table_gap() == 0);  // both at 2^19 now
    add(300000, 400000);      // past 70% of 2^19: the sized table grows too
    CHECK(table_gap() == 0);
    for (int i = 0; i < 400000; i += 101) {
      CAPTURE(i);
      CHECK(sized.find(name(i)) == static_cast<std::uint32_t>(i));
      CHECK(sized.id(static_cast<std::uint32_t>(i)) == name(i));
    }
    CHECK(!sized.find(name(400000)));
  }

  TEST_CASE("records keep their values while the store grows past its first 64K leads (mremap)") {
    LeadStore store(3);
    constexpr std::uint32_t n = 200000;
    auto name = [](std::uint32_t i) { return std::to_string(i) + "-L"; };
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint32_t lead = store.intern(name(i));
      store.add(lead, static_cast<int>(i % 3), 1700000000 + i);
    }
    CHECK(store.size() == n);
    CHECK(!store.find(name(n)));
    for (std::uint32_t i = 0; i < n; i += 997) {
      CAPTURE(i);
      CHECK(store.id(i) == name(i));
      CHECK(store.find(name(i)) == i);  // the id table was rebuilt from the ids on every growth
      CHECK(store.seen(i) == 1u << (i % 3));
      CHECK(store.first(i, static_cast<int>(i % 3)) == 1700000000 + i);
      CHECK(store.last_activity(i) == 1700000000 + i);
    }
  }

  TEST_CASE(
      "ids of every length up to 40 bytes: kept in the record as far as it has room, apart beyond; never confused") {
    // Ids that share their first 15 bytes, differ only in length, or only in the last byte,
    // interned one at a time and in batches (with the hashes a reading thread computes).
    // The first batch fits the record's room for ids (7, 11 or 15 bytes): each is tried.
    std::vector<std::string> ids;
    for (std::size_t n = 0; n <= 40; ++n) {
      ids.push_back(std::string(n, 'x'));
      if (n > 0) ids.push_back(std::string(n - 1, 'x') + 'y');
      ids.push_back("prefix-123456789" + std::string(n, '0'));
    }
    for (std::string first : {"", "abc", "abcdefg", "abcdefgh", "abcdefghijk", "abcdefghijkl", "0123456789abcdef"}) {
      CAPTURE(first);
      std::vector<std::string> all{first};
      for (const auto& id : ids) {
        if (id != first) all.push_back(id);
      }
      std::vector<std::string_view> views(all.begin(), all.end());
      std::vector<LeadStore::HashedId> hashes, same;
      for (auto id : views) hashes.push_back(LeadStore::hash(id));
      // Every id with one and the same hash: each lookup must compare the ids themselves.
      for (auto h : hashes) same.push_back({0x9E3779B97F4A7C15ULL, h.digits});
      std::vector<std::uint32_t> leads(all.size());
      for (bool colliding : {false, true}) {
        CAPTURE(colliding);
        const LeadStore::HashedId* h = colliding ? same.data() : hashes.data();
        LeadStore store(3, LeadStore::Keep{false, false});
        store.intern_batch(views.data(), h, 1, leads.data());  // the first batch: one id
        for (std::size_t i = 1; i < all.size(); ++i) {
          if (colliding) {
            store.intern_batch(views.data() + i, h + i, 1, leads.data() + i);
          } else {
            leads[i] = store.intern(all[i]);
          }
          store.add(leads[i], static_cast<int>(i % 3), 1700000000 + static_cast<Timestamp>(i));
        }
        for (std::size_t i = 0; i < all.size(); ++i) CHECK(leads[i] == static_cast<std::uint32_t>(i));
        CHECK(store.size() == all.size());
        store.intern_batch(views.data(), h, views.size(), leads.data());  // all again, in one batch
        for (std::size_t i = 0; i < all.size(); ++i) {
          CAPTURE(all[i]);
          CHECK(leads[i] == static_cast<std::uint32_t>(i));
          CHECK(store.id(static_cast<std::uint32_t>(i)) == all[i]);
          if (!colliding) CHECK(store.find(all[i]) == static_cast<std::uint32_t>(i));
          if (i > 0)
            CHECK(store.first(static_cast<std::uint32_t>(i), static_cast<int>(i % 3)) ==
                  1700000000 + static_cast<Timestamp>(i));
        }
        CHECK(store.size() == all.size());
        if (!colliding) {
          CHECK(!store.find(std::string(41, 'x')));
          CHECK(!store.find("prefix-12345678"));
        }
      }
    }
  }

  TEST_CASE("a regression keeps the furthest stage reached") {
    LeadStore store(5);
    auto a = store.intern("A");
    store.add(a, 0, 1 * day);
    store.add(a, 1, 2 * day);
    store.add(a, 2, 3 * day);
    store.add(a, 1, 5 * day);  // back to stage 1 after stage 2
    auto p = reconstruct_path(store, a, CountMode::cumulative, 5 * day, 30 * day);
    CHECK(p.furthest == 2);
    CHECK(p.regression);
    CHECK_FALSE(p.inversion);
    CHECK(p.skipped == 0);
    CHECK(p.entry == 1 * day);
  }

  TEST_CASE("a skipped stage is passed in cumulative mode and stops ordered mode") {
    LeadStore store(5);
    auto a = store.intern("A");
    store.add(a, 0, 1 * day);
    store.add(a, 2, 2 * day);
    CHECK(reconstruct_path(store, a, CountMode::cumulative, 2 * day, 30 * day).furthest == 2);
    CHECK(reconstruct_path(store, a, CountMode::cumulative, 2 * day, 30 * day).skipped == 1);
    auto ordered = reconstruct_path(store, a, CountMode::ordered, 2 * day, 30 * day);
    CHECK(ordered.furthest == 0);
    CHECK(ordered.order_broken);
  }

  TEST_CASE("an inversion stops ordered mode; an unknown time does not") {
    LeadStore store(3);
    auto a = store.intern("A");
    store.add(a, 0, 5 * day);
    store.add(a, 1, 3 * day);  // stage 1 stamped before stage 0
    store.add(a, 2, 9 * day);
    auto p = reconstruct_path(store, a, CountMode::ordered, 9 * day, 30 * day);
    CHECK(p.inversion);
    CHECK(p.furthest == 0);
    auto b = store.intern("B");
    store.add(b, 0, 1 * day);
    store.add(b, 1, kNoTime);
    store.add(b, 2, 2 * day);
    CHECK(reconstruct_path(store, b, CountMode::ordered, 9 * day, 30 * day).furthest == 2);
  }

  TEST_CASE("status: won beats lost, lost beats stalled, stalled needs more than --stale of quiet") {
    constexpr int lost = -1;
    LeadStore store(3);
    auto won = store.intern("won");
    store.add(won, 0, 0);
    store.add(won, 2, day);
    store.add(won, lost, day);
    auto dead = store.intern("dead");
    store.add(dead, 0, 0);
    store.add(dead, lost, day);
    auto quiet = store.intern("quiet");
    store.add(quiet, 1, 0);
    auto busy = store.intern("busy");
    store.add(busy, 0, 0);
    store.add(busy, 1, 70 * day);
    const Timestamp as_of = 100 * day;
    const std::int64_t stale = 30 * day;
    CHECK(reconstruct_path(store, won, CountMode::cumulative, as_of, stale).status == LeadStatus::won);
    CHECK(reconstruct_path(store, won, CountMode::cumulative, as_of, stale).lost_evidence);
    CHECK(reconstruct_path(store, dead, CountMode::cumulative, as_of, stale).status == LeadStatus::lost);
    CHECK(reconstruct_path(store, quiet, CountMode::cumulative, as_of, stale).status == LeadStatus::stalled);
    // 100 - 70 = 30 days of quiet is not more than 30 days: still open.
    CHECK(reconstruct_path(store, busy, CountMode::cumulative, as_of, stale).status == LeadStatus::open);
    CHECK(reconstruct_path(store, busy, CountMode::cumulative, as_of + 1, stale).status == LeadStatus::stalled);
  }

  TEST_CASE("status without a kept activity time: the quiet is measured from the latest stage time, repeats included") {
    for (bool kept : {false, true}) {
      CAPTURE(kept);
      LeadStore store(3, LeadStore::Keep{false, kept});
      CHECK(store.keeps_activity() == kept);
      auto again = store.intern("again");  // entered stage 0 twice: its last time is the later one
      store.add(again, 0, 10 * day);
      store.add(again, 0, 75 * day);
      store.add(again, 1, 40 * day);
      auto early = store.intern("early");
      store.add(early, 1, 60 * day);
      store.add(early, 0, 65 * day);  // out of order: the latest time is a lower stage's
      const Timestamp as_of = 100 * day;
      CHECK(store.last_activity(again) == 75 * day);
      CHECK(store.last_activity(early) == 65 * day);
      CHECK(reconstruct_path(store, again, CountMode::cumulative, as_of, 25 * day).status == LeadStatus::open);
      CHECK(reconstruct_path(store, again, CountMode::cumulative, as_of, 24 * day).status == LeadStatus::stalled);
      CHECK(reconstruct_path(store, early, CountMode::cumulative, as_of, 35 * day).status == LeadStatus::open);
      CHECK(reconstruct_path(store, early, CountMode::cumulative, as_of, 34 * day).status == LeadStatus::stalled);
    }
  }

  TEST_CASE("repeats count rows for a stage already entered; first and last keep the extremes") {
    LeadStore store(2);
    auto a = store.intern("A");
    store.add(a, 1, 9 * day);
    store.add(a, 1, 2 * day);
    store.add(a, 1, 5 * day);
    CHECK(store.repeats(a) == 2);
    CHECK(store.first(a, 1) == 2 * day);
    CHECK(store.last(a, 1) == 9 * day);
    CHECK(store.first(a, 0) == kNoTime);
    CHECK(store.last_activity(a) == 9 * day);
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("times more than 68 years from 2000 are kept exactly") {
    LeadStore store(2);
    auto a = store.intern("A");
    const Timestamp y1900 = -2208988800, y2200 = 7258118400, y2024 = 1704067200;
    store.add(a, 0, y2024);
    store.add(a, 0, y1900);
    store.add(a, 1, y2200);
    CHECK(store.first(a, 0) == y1900);
    CHECK(store.last(a, 0) == y2024);
    CHECK(store.first(a, 1) == y2200);
    CHECK(store.last_activity(a) == y2200);
    CHECK(store.latest() == y2200);
    auto b = store.intern("B");  // a neighbour is not disturbed
    store.add(b, 1, y2024);
    CHECK(store.first(b, 1) == y2024);
    CHECK(store.first(a, 1) == y2200);
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("last touch: the latest row with a segment value; untimed and empty rows never win over one") {
    const std::vector<std::string> labels{"(none)", "ads", "web"};
    LeadStore store(2);
    store.set_last_touch(true);
    auto a = store.intern("A");
    store.touch(a, 1, false, 3 * day, labels);
    store.touch(a, 2, false, 5 * day, labels);  // later: wins
    store.touch(a, 1, false, 4 * day, labels);  // earlier than the kept one: ignored
    store.touch(a, 0, true, 9 * day, labels);   // empty: ignored however late
    store.touch(a, 1, false, kNoTime, labels);  // no time: loses to a timed row
    CHECK(store.segment(a) == 2);
    auto b = store.intern("B");
    store.touch(b, 2, false, 2 * day, labels);
    store.touch(b, 1, false, 2 * day, labels);  // same time: "ads" sorts first
    CHECK(store.segment(b) == 1);
    auto c = store.intern("C");
    store.touch(c, 0, true, day, labels);
    store.touch(c, 2, false, -400 * 365 * day, labels);  // far before 2000: still a value
    CHECK(store.segment(c) == 2);
  }
  TEST_CASE("first touch: the earliest row with a segment value; an empty cell never replaces one") {
    const std::vector<std::string> labels{"(none)", "ads", "web"};
    LeadStore store(2);
    auto a = store.intern("A");
    store.touch(a, 0, true, 1 * day, labels);   // empty, earliest
    store.touch(a, 2, false, 5 * day, labels);  // first value: taken despite being later
    store.touch(a, 1, false, 3 * day, labels);  // an earlier value wins
    store.touch(a, 0, true, 0, labels);         // empty: ignored
    CHECK(store.segment(a) == 1);
    auto b = store.intern("B");
    store.touch(b, 0, true, 2 * day, labels);
    CHECK(store.segment(b) == 0);  // never a value: (none)
    auto c = store.intern("C");
    store.touch(c, 2, false, day, labels);
    store.touch(c, 1, false, day, labels);  // same time: "ads" sorts first
    CHECK(store.segment(c) == 1);
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("exact duplicates and conflicting repeats are told apart") {
    LeadStore store(2);
    auto a = store.intern("A");
    store.add(a, 1, 5 * day);
    store.add(a, 1, 5 * day);  // exact duplicate
    store.add(a, 1, 9 * day);  // another time: conflicting
    store.add(a, 1, 9 * day);  // now equal to the last time: exact
    auto b = store.intern("B");
    store.add(b, 0, kNoTime);
    store.add(b, 0, kNoTime);  // again without a time: exact
    CHECK(store.exact_duplicates() == 3);
    CHECK(store.conflicting_repeats() == 1);
    CHECK(store.repeats(a) == 3);
    CHECK(store.first(a, 1) == 5 * day);
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("last times: kept apart once a stage is entered again at another time, right for every stage") {
    // A store as `funnel report` builds it: no segment, no activity word.
    LeadStore store(3, LeadStore::Keep{false, false});
    auto a = store.intern("A");
    store.add(a, 0, 1 * day);
    store.add(a, 1, 5 * day);
    store.add(a, 1, 5 * day);  // exact: the last time is still the first
    CHECK(store.last(a, 1) == 5 * day);
    store.add(a, 1, 9 * day);  // another time: the lead now has last times
    store.add(a, 1, 3 * day);
    store.add(a, 2, 7 * day);  // first seen after that: its last time too
    store.add(a, 2, kNoTime);
    Timestamp first[3], last[3];
    store.times(a, first, last);
    CHECK(first[0] == 1 * day);
    CHECK(last[0] == 1 * day);
    CHECK(first[1] == 3 * day);
    CHECK(last[1] == 9 * day);
    CHECK(first[2] == 7 * day);
    CHECK(last[2] == 7 * day);
    CHECK(store.last(a, 2) == 7 * day);
    CHECK(store.last_activity(a) == 9 * day);
    CHECK(store.exact_duplicates() == 1);
    CHECK(store.conflicting_repeats() == 3);
    CHECK(store.repeats(a) == 4);
    CHECK(store.segment(a) == 0);
    // A regression: stage 1 again (day 9) after stage 2 (day 7).
    CHECK(reconstruct_path(store, a, CountMode::cumulative, 9 * day, 30 * day).regression);

    auto b = store.intern("B");  // untimed, then timed: one time, no last times needed
    store.add(b, 0, kNoTime);
    store.add(b, 0, 4 * day);
    CHECK(store.first(b, 0) == 4 * day);
    CHECK(store.last(b, 0) == 4 * day);
    CHECK(store.last(b, 1) == kNoTime);
    CHECK(store.last_activity(b) == 4 * day);

    auto c = store.intern("C");  // lost: its latest row time was not kept
    store.add(c, 0, 1 * day);
    store.add(c, -1, 2 * day);
    CHECK_THROWS(store.last_activity(c));
    CHECK_THROWS(store.touch(c, 0, false, day, {"(none)"}));
    LeadStore kept(3);
    auto k = kept.intern("C");
    kept.add(k, 0, 1 * day);
    kept.add(k, -1, 2 * day);
    CHECK(kept.last_activity(k) == 2 * day);
  }

  TEST_CASE("last times beyond 32 bits: copied exactly when a lead starts keeping them") {
    LeadStore store(2, LeadStore::Keep{false, false});
    const Timestamp y2200 = 7258118400, y2300 = 10413792000, y2024 = 1704067200;
    auto a = store.intern("A");
    store.add(a, 0, y2200);
    store.add(a, 1, y2300);
    store.add(a, 0, y2024);  // earlier: y2200 becomes the last time, copied from the first
    store.add(a, 1, y2200);
    CHECK(store.first(a, 0) == y2024);
    CHECK(store.last(a, 0) == y2200);
    CHECK(store.first(a, 1) == y2200);
    CHECK(store.last(a, 1) == y2300);
    CHECK(store.last_activity(a) == y2300);
    auto b = store.intern("B");
    store.add(b, 1, y2024);
    store.add(b, 1, y2024 + day);
    CHECK(store.last(b, 1) == y2024 + day);
    CHECK(store.last(a, 0) == y2200);
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("after the id table is freed the leads keep their ids and times; lookups fail loudly") {
    LeadStore store(2);
    auto a = store.intern("A");
    store.add(a, 1, 3 * day);
    store.release_index();
    CHECK(store.id(a) == "A");
    CHECK(store.first(a, 1) == 3 * day);
    CHECK_THROWS(store.find("A"));
    CHECK_THROWS(store.intern("B"));
    std::string_view id = "B";
    LeadStore::HashedId hash = LeadStore::hash(id);
    std::uint32_t lead = 0;
    CHECK_THROWS(store.intern_batch(&id, &hash, 1, &lead));
    CHECK(store.size() == 1);
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE(
      "with up to 8 stages the segment shares the counts word; segments from 65,535 and repeats from 31 are kept "
      "beside it") {
    std::vector<std::string> labels;
    for (int i = 0; i < 70000; ++i) labels.push_back(fmt::format("s{:05}", i));  // byte order = index order
    LeadStore store(5, LeadStore::Keep{true, false});
    auto a = store.intern("A"), b = store.intern("B"), c = store.intern("C");
    store.touch(a, 69999, false, 10 * day, labels);
    store.touch(b, 65535, false, 10 * day, labels);
    store.touch(c, 65534, false, 10 * day, labels);
    CHECK(store.segment(a) == 69999);
    CHECK(store.segment(b) == 65535);
    CHECK(store.segment(c) == 65534);
    store.add(a, 2, 3 * day);
    for (int i = 0; i < 40; ++i) store.add(a, 2, 3 * day);  // 40 exact repeats
    store.add(a, -1, 4 * day);
    store.touch(a, 5, false, 5 * day, labels);  // earlier: back into the word
    CHECK(store.segment(a) == 5);
    CHECK(store.repeats(a) == 40);
    CHECK(store.seen(a) == 4u);
    CHECK(store.lost(a));
    store.touch(a, 69998, false, 1 * day, labels);  // earlier still: beside the word again
    CHECK(store.segment(a) == 69998);
    CHECK(store.repeats(a) == 40);
    CHECK(store.seen(a) == 4u);
    store.touch(a, 7, false, 9 * day, labels);  // later: no change
    CHECK(store.segment(a) == 69998);
    CHECK(store.repeats(b) == 0);
    CHECK(store.seen(b) == 0);
    CHECK(store.segment(b) == 65535);
    CHECK(store.segment(c) == 65534);
    CHECK_FALSE(store.lost(c));
  }

  TEST_CASE("stage bits, repeats and flags share a word up to 8 stages; repeats saturate") {
    for (int stages : {1, 8, 9, 32}) {
      CAPTURE(stages);
      LeadStore store(stages, LeadStore::Keep{true, false});
      const std::vector<std::string> labels{"(none)", "ads"};
      auto a = store.intern("A");
      const int top = stages - 1;
      store.add(a, top, 5 * day);
      store.add(a, 0, 1 * day);
      store.touch(a, 1, false, 1 * day, labels);
      const std::uint32_t limit = stages <= 8 ? (1u << 21) - 1 : (1u << 29) - 1;
      const std::uint32_t rows = stages <= 8 ? limit + 3 : 70000;
      for (std::uint32_t i = 0; i < rows; ++i) store.add(a, top, 5 * day);
      store.add(a, top, 6 * day);  // another time: the lead keeps last times
      store.add(a, -1, 7 * day);
      CHECK(store.repeats(a) == std::min(rows + 1, limit));
      CHECK(store.seen(a) == ((1u << top) | 1u));
      CHECK(store.lost(a));
      CHECK(store.segment(a) == 1);
      CHECK(store.first(a, top) == (top == 0 ? 1 * day : 5 * day));
      CHECK(store.last(a, top) == 6 * day);
      CHECK(store.id(a) == "A");
      auto b = store.intern("B");  // the neighbour is untouched
      CHECK(store.seen(b) == 0);
      CHECK(store.repeats(b) == 0);
      CHECK_FALSE(store.lost(b));
    }
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("ids of a prefix and digits are packed in 8 bytes: exact, leading zeros kept, never confused") {
    const std::vector<std::string> ids{"L000012345",
                                       "L12345",
                                       "L0000012345",
                                       "L000012346",
                                       "l000012345",
                                       "12345678",
                                       "012345678",
                                       "0012345678",
                                       "00000000",
                                       "000000000000000",
                                       "0000000000000000",
                                       "999999999999999",
                                       "1000000000000000",
                                       "ABCDEFGH123",
                                       "ABCDEFGHI123",
                                       "ABCDEFG1234",
                                       "OPP-1234567",
                                       "opp-1234567",
                                       "\xc3\xa9-12345678",
                                       "12a345678",
                                       "L00001234X",
                                       "L00001234 ",
                                       " L00001234",
                                       "L-0000001",
                                       "L--000001",
                                       "",
                                       "7",
                                       "L1"};
    for (bool batch : {false, true}) {
      for (bool colliding : {false, true}) {
        CAPTURE(batch);
        CAPTURE(colliding);
        LeadStore store(2, LeadStore::Keep{false, false});
        std::vector<std::string_view> views(ids.begin(), ids.end());
        std::vector<LeadStore::HashedId> hashes;
        for (auto id : views)
          hashes.push_back(colliding ? LeadStore::HashedId{42, LeadStore::hash(id).digits} : LeadStore::hash(id));
        std::vector<std::uint32_t> leads(ids.size());
        // The first batch (the first id) fits the record's room to 7 bytes: packed ids fit it.
        store.intern_batch(views.data(), hashes.data(), 1, leads.data());
        if (batch) {
          store.intern_batch(views.data() + 1, hashes.data() + 1, ids.size() - 1, leads.data() + 1);
        } else {
          for (std::size_t i = 1; i < ids.size(); ++i)
            store.intern_batch(views.data() + i, hashes.data() + i, 1, leads.data() + i);
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
          CAPTURE(ids[i]);
          CHECK(leads[i] == i);
          CHECK(store.id(static_cast<std::uint32_t>(i)) == ids[i]);
          if (!colliding) CHECK(store.find(ids[i]) == static_cast<std::uint32_t>(i));
        }
        std::reverse(views.begin(), views.end());
        std::reverse(hashes.begin(), hashes.end());
        store.intern_batch(views.data(), hashes.data(), views.size(), leads.data());
        for (std::size_t i = 0; i < ids.size(); ++i) CHECK(store.id(leads[i]) == views[i]);
        CHECK(store.size() == ids.size());
      }
    }
  }

  TEST_CASE("an id's digits: 1 to 15 trailing digits after a prefix of up to 8 bytes, read 8 bytes at a time") {
    // The reference, one byte at a time from the end.
    auto expected = [](const std::string& id) -> std::uint64_t {
      std::size_t count = 0;
      while (count < id.size() && id[id.size() - 1 - count] >= '0' && id[id.size() - 1 - count] <= '9') ++count;
      if (count == 0 || count > 15 || id.size() - count > 8) return 0;
      return (std::stoull(id.substr(id.size() - count)) << 4) | count;
    };
    std::vector<std::string> ids;
    const std::string digits = "9876543210123456789";
    for (std::string prefix :
         {"", "L", "OPP-", "ABCDEFG", "ABCDEFGH", "ABCDEFGHI", "\xc3\xa9", "/", ":", "`", "\x7f"}) {
      for (std::size_t count = 0; count <= 18; ++count) {
        for (std::size_t start : {std::size_t{0}, std::size_t{1}}) {
          std::string id = prefix + digits.substr(start, count);
          ids.push_back(id);
          ids.push_back(id + "x");  // no trailing digits
          std::string zeros = prefix + std::string(count, '0');
          ids.push_back(zeros);
          if (count > 0) {
            zeros.back() = '1';
            ids.push_back(zeros);
          }
        }
      }
    }
    for (const auto& id : ids) {
      CAPTURE(id);
      CHECK(LeadStore::hash(id).digits == expected(id));
    }
    CHECK(LeadStore::hash("L000012345").digits == ((std::uint64_t{12345} << 4) | 9));
    CHECK(LeadStore::hash("999999999999999").digits == ((std::uint64_t{999999999999999} << 4) | 15));
    CHECK(LeadStore::hash("1000000000000000").digits == 0);  // 16 digits
  }

  TEST_CASE("packed ids: past 239 prefixes the others are kept whole; through table growth") {
    LeadStore store(2, LeadStore::Keep{false, false});
    std::vector<std::string> ids;
    // Growth hashes the stored ids again, from the packed digits where there are some:
    // every form (packed, short ids that split or not, long ids) must hash as it did.
    for (std::string id : {"P0-0000001", "L1", "7", "abc", "x-y-z-0000000000000001", "no digits at all here"})
      ids.push_back(id);
    for (int p = 0; p < 300; ++p) {
      for (int i = 0; i < 5; ++i) {
        std::string id = "P";
        id += std::to_string(p);
        id += '-';
        id += std::to_string(1000000 + i);
        ids.push_back(id);
      }
    }
    for (int i = 0; i < 100000; ++i) {
      std::string digits = std::to_string(i);
      std::string id(10 - digits.size(), '0');
      id[0] = 'L';
      id += digits;
      ids.push_back(id);
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      std::string_view id = ids[i];
      LeadStore::HashedId hash = LeadStore::hash(id);
      std::uint32_t lead = 0;
      store.intern_batch(&id, &hash, 1, &lead);
      REQUIRE(lead == i);
    }
    CHECK(store.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); i += 7) {
      CAPTURE(ids[i]);
      CHECK(store.id(static_cast<std::uint32_t>(i)) == ids[i]);
      CHECK(store.find(ids[i]) == static_cast<std::uint32_t>(i));
    }
    CHECK(!store.find("P299-1000005"));
    CHECK(!store.find("L00000000"));
    CHECK(!store.find("L0000000000"));
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("last times of many leads, found again after their index grew") {
    LeadStore store(3, LeadStore::Keep{false, false});
    constexpr std::uint32_t n = 20000;
    for (std::uint32_t i = 0; i < n; ++i) {
      auto lead = store.intern("lead-" + std::to_string(i));
      store.add(lead, 0, 1700000000 + i);
      if (i % 3 != 0) store.add(lead, 0, 1700000000 + 2 * i + 1);  // two of three leads get last times
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      CAPTURE(i);
      CHECK(store.first(i, 0) == 1700000000 + i);
      CHECK(store.last(i, 0) == (i % 3 != 0 ? 1700000000 + 2 * i + 1 : 1700000000 + i));
    }
  }
}

TEST_SUITE("lead_path") {
  TEST_CASE("a stage a snapshot row implies is never a repeat, before or after a row naming it") {
    // home, search, payment. A: home, then search (implying home again). B: search (implying
    // home), then home named. C: home named twice, the one true repeat. D: payment twice,
    // each implying home and search: one repeat (payment), not three.
    for (bool far : {false, true}) {
      CAPTURE(far);
      LeadStore store(3);
      if (far) store.add(store.intern("far"), 0, Timestamp{1} << 40);  // times beyond 32 bits: the slow path
      auto a = store.intern("A"), b = store.intern("B"), c = store.intern("C"), d = store.intern("D");
      store.add(a, 0, kNoTime);
      store.add(a, 1, kNoTime);
      store.add(a, 0, kNoTime, true);
      store.add(b, 1, kNoTime);
      store.add(b, 0, kNoTime, true);
      store.add(b, 0, 5 * day);  // named after it was implied: its first evidence, with a time
      store.add(c, 0, kNoTime);
      store.add(c, 0, kNoTime);
      for (int row = 0; row < 2; ++row) {
        store.add(d, 2, kNoTime);
        store.add(d, 0, kNoTime, true);
        store.add(d, 1, kNoTime, true);
      }
      CHECK(store.repeats(a) == 0);
      CHECK(store.repeats(b) == 0);
      CHECK(store.first(b, 0) == 5 * day);
      CHECK(store.repeats(c) == 1);
      CHECK(store.repeats(d) == 1);
      CHECK(store.entered(d, 0));
      CHECK(store.entered(d, 1));
      CHECK(store.first(d, 0) == kNoTime);
      CHECK(store.exact_duplicates() == 2);  // C's second home, D's second payment
    }
  }

  TEST_CASE("--lost-after: a lead quiet for longer than it is lost; won and timeless leads are not") {
    LeadStore store(2);
    auto quiet = store.intern("quiet"), recent = store.intern("recent"), won = store.intern("won"),
         timeless = store.intern("timeless");
    store.add(quiet, 0, 0);
    store.add(recent, 0, 40 * day);
    store.add(won, 0, 0);
    store.add(won, 1, day);
    store.add(timeless, 0, kNoTime);
    const Timestamp as_of = 100 * day;
    auto path = [&](std::uint32_t lead, std::int64_t lost_after) {
      return reconstruct_path(store, lead, CountMode::cumulative, as_of, 30 * day, 0, lost_after);
    };
    // quiet: 100 days > 60: lost by inactivity; recent: 60 days is not more than 60: stalled.
    CHECK(path(quiet, 60 * day).status == LeadStatus::lost);
    CHECK(path(quiet, 60 * day).lost_by_inactivity);
    CHECK_FALSE(path(quiet, 60 * day).lost_evidence);
    CHECK(path(quiet, 0).status == LeadStatus::stalled);
    CHECK(path(recent, 60 * day).status == LeadStatus::stalled);
    CHECK(path(won, 60 * day).status == LeadStatus::won);
    CHECK(path(timeless, 60 * day).status == LeadStatus::open);
  }
}
