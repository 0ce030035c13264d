// The SystemC 2.3 / TLM-2.0 virtual platform: a host CPU thread that runs the runtime, an
// interconnect, a DRAM target with the channel timing model, and the Verilated sa_top wrapped as
// an sc_module (MMIO target socket, DMA initiator socket, interrupt event).
//
// The accelerator's thread clocks the Verilated core in plain C++ and synchronizes with SystemC
// time only every `quantum` cycles, when the interrupt rises, or when its DMA crosses the
// interconnect (a TLM transaction carries its time offset, so DRAM timing stays cycle-exact).
//
// SystemC elaborates once per process: construct one Platform and call Run once.
#ifndef SASIM_SIM_PLATFORM_H_
#define SASIM_SIM_PLATFORM_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "contract/hw_config.h"
#include "host/runtime/hal.h"
#include "sim/trace.h"

namespace sasim {

struct PlatformStats {
  uint64_t accel_cycles = 0;        // cycles the core was clocked
  uint64_t dram_read_bytes = 0;     // all initiators
  uint64_t dram_write_bytes = 0;
  uint64_t tlm_transactions = 0;    // through the interconnect
  uint64_t time_syncs = 0;          // waits of the accelerator thread on SystemC time
  double simulated_seconds = 0.0;   // SystemC time at the end
};

class Platform {
 public:
  static constexpr uint32_t kMmioBase = 0x40000000;
  static constexpr uint64_t kDefaultQuantum = 20000;

  explicit Platform(const HwConfig& hw, uint64_t quantum_cycles = kDefaultQuantum);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Runs `host_program` on the host thread until it returns; rethrows what it throws.
  void Run(const std::function<void(Hal&)>& host_program);
  PlatformStats stats() const;
  // Asks for a waveform window (before Run).
  void SetTrace(const TraceRequest& request);
  TraceResult trace_result() const;

 private:
  struct Modules;
  std::unique_ptr<Modules> modules_;
};

}  // namespace sasim

#endif  // SASIM_SIM_PLATFORM_H_
