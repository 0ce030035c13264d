// Waveform windows: what sim_run asks the Verilated core to dump, and what it dumped.
#ifndef SASIM_SIM_TRACE_H_
#define SASIM_SIM_TRACE_H_

#include <cstdint>
#include <string>

namespace sasim {

// A waveform window: by cycles of the run, or by a range of command indices (a layer).
struct TraceRequest {
  std::string path;            // VCD file
  int depth = 99;              // hierarchy levels (Verilator's trace depth)
  bool by_command = false;
  uint64_t first_cycle = 0, end_cycle = 0;  // run cycles [first, end)
  uint32_t first_command = 0, end_command = 0;
};

struct TraceResult {
  bool written = false;
  uint64_t first_cycle = 0;    // run cycle where the dump opened
  uint64_t cycles = 0;         // cycles it covers
};

}  // namespace sasim

#endif  // SASIM_SIM_TRACE_H_
