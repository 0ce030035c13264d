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

// Whether a counter depends on timing (cycles, stalls, command prefetch). Every other counter
// is the same on every device that runs the same program: the functional device included.
inline bool DependsOnTiming(isa::Counter which) {
  using isa::Counter;
  return which == Counter::kCycles || which == Counter::kBusyCycles ||
         which == Counter::kStallLoad || which == Counter::kStallStore ||
         which == Counter::kStallFetch || which == Counter::kCmdFetchBytes ||
         which == Counter::kIssueCycles;
}

// Counters accumulated between two snapshots: later - earlier, counter by counter.
inline Counters Delta(const Counters& later, const Counters& earlier) {
  Counters d{};
  for (int k = 0; k < isa::kNumCounters; ++k) d[k] = later[k] - earlier[k];
  return d;
}

// The counters a SNAPSHOT wrote to DRAM (isa::kSnapshotBytes at `bytes`; layout in isa.h).
inline Counters CountersFromSnapshot(const uint8_t* bytes) {
  using isa::Counter;
  Counters c{};
  for (int slot = 0; slot < isa::kSnapshotCounters; ++slot) {
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= static_cast<uint64_t>(bytes[8 * slot + b]) << (8 * b);
    const bool moved = slot == static_cast<int>(Counter::kStallFetch);
    c[moved ? static_cast<int>(Counter::kAccWraps) : slot] = v;
  }
  c[static_cast<int>(Counter::kStallFetch)] =
      Get(c, Counter::kCycles) - Get(c, Counter::kBusyCycles) - Get(c, Counter::kStallLoad) -
      Get(c, Counter::kStallStore);
  return c;
}

// The snapshot bytes of `c` (isa::kSnapshotBytes at `bytes`), as the RTL writes them.
inline void SnapshotFromCounters(const Counters& c, uint8_t* bytes) {
  using isa::Counter;
  for (int i = 0; i < isa::kSnapshotBytes; ++i) bytes[i] = 0;
  for (int slot = 0; slot < isa::kSnapshotCounters; ++slot) {
    const bool moved = slot == static_cast<int>(Counter::kStallFetch);
    const uint64_t v = c[moved ? static_cast<int>(Counter::kAccWraps) : slot];
    for (int b = 0; b < 8; ++b) bytes[8 * slot + b] = static_cast<uint8_t>(v >> (8 * b));
  }
}

}  // namespace sasim

#endif  // SASIM_CONTRACT_COUNTERS_H_
