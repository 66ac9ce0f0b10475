#include "funnel/inspect.h"

namespace funnel {

int inspect(const ReportOptions&, std::istream*, std::ostream& out, bool) {
  out << "inspect: not implemented yet\n";
  return 70;
}

}  // namespace funnel
