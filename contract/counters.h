// A snapshot of the accelerator's performance counters, in isa::Counter order. Produced by every
// device (RTL, functional), read by the runtime, the energy model and the reports.
#ifndef SASIM_CONTRACT_COUNTERS_H_
#define SASIM_CONTRACT_COUNTERS_H_

#include <array>
#include <cstdint>

#include "contract/isa.h"

namespace sasim {

using Counters = std::array<uint64_t, isa::kNumCounters>;

inline uint64_t Get(const Counters& c, isa::Counter which) {
  return c[static_cast<int>(which)];
}

// Counters accumulated between two snapshots: later - earlier, counter by counter.
inline Counters Delta(const Counters& later, const Counters& earlier) {
  Counters d{};
  for (int k = 0; k < isa::kNumCounters; ++k) d[k] = later[k] - earlier[k];
  return d;
}

}  // namespace sasim

#endif  // SASIM_CONTRACT_COUNTERS_H_
