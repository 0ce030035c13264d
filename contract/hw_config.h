// The hardware configuration: what configs/hw/*.yaml describes (docs/config.md).
#ifndef SASIM_CONTRACT_HW_CONFIG_H_
#define SASIM_CONTRACT_HW_CONFIG_H_

#include <cstdint>
#include <string>

namespace sasim {

struct HwConfig {
  std::string name = "default";
  int array_rows = 16;
  int array_cols = 16;                 // the RTL's channel block: 16 only, for now
  uint32_t abuf_bytes = 64 * 1024;     // activation buffer
  uint32_t wbuf_bytes = 160 * 1024;    // weight buffer
  uint32_t obuf_bytes = 32 * 1024;     // output buffer
  uint32_t dram_latency_cycles = 60;   // first beat of a burst, after the request
  uint32_t dram_bytes_per_cycle = 16;  // sustained bandwidth, at most the 16-byte bus
  uint32_t dram_mib = 64;              // DRAM size
  double clock_mhz = 200.0;
  uint64_t watchdog_cycles = 100000;   // no progress for this long stops the simulation

  uint32_t abuf_words() const { return abuf_bytes / 16; }
  uint32_t wbuf_words() const { return wbuf_bytes / 16; }
  uint32_t obuf_words() const { return obuf_bytes / 16; }
  int pes() const { return array_rows * array_cols; }
};

}  // namespace sasim

#endif  // SASIM_CONTRACT_HW_CONFIG_H_
