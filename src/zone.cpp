#include "funnel/zone.h"

#include <chrono>

#include <date/tz.h>
#include <fmt/format.h>

#include "funnel/diagnostics.h"

namespace funnel {

struct Zone::Impl {
  const date::time_zone* zone;
};

Zone::Zone() = default;
Zone::~Zone() = default;
Zone::Zone(Zone&&) noexcept = default;
Zone& Zone::operator=(Zone&&) noexcept = default;

Zone::Zone(const std::string& name) : name_(name) {
  if (name == "UTC" || name == "utc" || name == "Z" || name == "Etc/UTC") return;
  try {
    impl_ = std::make_unique<Impl>(Impl{date::locate_zone(name)});
  } catch (const std::exception&) {
    std::vector<std::string> names;
    try {
      for (const auto& z : date::get_tzdb().zones) names.emplace_back(z.name());
    } catch (const std::exception&) {
    }
    throw Error(ExitCode::usage, fmt::format("--tz: unknown time zone '{}' (IANA names like Europe/Oslo "
                                             "or America/New_York){}",
                                             name, did_you_mean(name, names)));
  }
}

Timestamp Zone::to_utc(Timestamp local, LocalKind& kind) const {
  kind = LocalKind::unique;
  if (!impl_) return local;
  using namespace std::chrono;
  date::local_seconds wall{seconds{local}};
  date::local_info info = impl_->zone->get_info(wall);
  switch (info.result) {
    case date::local_info::unique:
      return local - info.first.offset.count();
    case date::local_info::nonexistent:
      // In the spring gap: use the offset before the jump, which lands the same distance
      // past the jump (02:30 in a 02:00->03:00 gap is read as 03:30).
      kind = LocalKind::gap;
      return local - info.first.offset.count();
    case date::local_info::ambiguous:
      kind = LocalKind::overlap;
      return local - info.first.offset.count();  // the first (earlier) occurrence
  }
  return local - info.first.offset.count();
}

Timestamp Zone::to_local(Timestamp utc) const {
  if (!impl_) return utc;
  using namespace std::chrono;
  date::sys_seconds instant{seconds{utc}};
  return utc + impl_->zone->get_info(instant).offset.count();
}

}  // namespace funnel
