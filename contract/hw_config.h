// The hardware configuration: what configs/hw/*.yaml describes. Every key of those files is
// declared once, in HwKeys() (hw_config.cc): its type, unit, range, default, description and the
// HwConfig member it sets. The loader (host/config/hw_loader.cc) checks and fills by that table,
// reports render it with HwConfigFields(), and configs/README.md shows the same table (a unit
// test holds the two equal).
#ifndef SASIM_CONTRACT_HW_CONFIG_H_
#define SASIM_CONTRACT_HW_CONFIG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sasim {

// The defaults here are those of configs/hw/default.yaml, for code that builds a HwConfig
// without a file (tests, benches); a config file must give every required key of HwKeys().
struct HwConfig {
  std::string name = "default";
  int array_rows = 16;
  int array_cols = 16;                 // 4, 8, or a multiple of 16 (output words per drained row)
  uint32_t abuf_bytes = 64 * 1024;     // activation buffer
  uint32_t wbuf_bytes = 160 * 1024;    // weight buffer
  uint32_t obuf_bytes = 32 * 1024;     // output buffer
  uint32_t dram_latency_cycles = 60;   // first beat of a burst, after the request
  uint32_t dram_bytes_per_cycle = 16;  // sustained bandwidth, at most the bus width
  uint32_t dram_bus_bytes = 16;        // DMA beat: 16..64 bytes (1..4 buffer words)
  uint32_t dram_mib = 64;              // DRAM size
  double clock_mhz = 200.0;
  uint64_t watchdog_cycles = 100000;   // no progress for this long stops the simulation

  uint32_t abuf_words() const { return abuf_bytes / 16; }
  uint32_t wbuf_words() const { return wbuf_bytes / 16; }
  uint32_t obuf_words() const { return obuf_bytes / 16; }
  int pes() const { return array_rows * array_cols; }
};

enum class HwKeyType { kString, kInt, kNumber };

// One key of a hardware config file.
struct HwKey {
  using Member = std::variant<std::string HwConfig::*, int HwConfig::*, uint32_t HwConfig::*,
                              uint64_t HwConfig::*, double HwConfig::*>;
  const char* name;
  HwKeyType type;
  const char* unit;           // "" when the value has none
  double min;                 // kInt, kNumber: the accepted range, inclusive;
  double max;                 // kString: the length in bytes, min..max
  int64_t multiple_of;        // kInt: the value must be a multiple of this (1: any)
  const char* multiple_why;   // why, for the message ("" when multiple_of is 1)
  const char* default_value;  // as written in a file; nullptr: required
  const char* description;
  Member member;  // where the value goes
  int64_t scale;  // member units per file unit (KiB -> bytes: 1024)
  bool or_divisor = false;  // kInt: a divisor of multiple_of is accepted too
};

// Every key, in the order of configs/README.md and of reports.
const std::vector<HwKey>& HwKeys();

// "string", "int" or "number".
const char* HwKeyTypeName(HwKeyType type);

// The accepted range as configs/README.md shows it: "4..64, multiple of 4", "16", "1..5000",
// "1..64 characters".
std::string HwKeyRange(const HwKey& key);

// Stores a checked value, given in file units (an int of KiB is stored as bytes).
void SetHwKey(const HwKey& key, const std::string& value, HwConfig* hw);
void SetHwKey(const HwKey& key, int64_t value, HwConfig* hw);
void SetHwKey(const HwKey& key, double value, HwConfig* hw);

// A key's value in file units, as it would be written in a config file ("64" for abuf_kib).
std::string HwKeyValue(const HwKey& key, const HwConfig& hw);

// The hardware block of a report: every key of HwKeys() with its value, in file units.
std::vector<std::pair<std::string, std::string>> HwConfigFields(const HwConfig& hw);

// The RTL parameters of sa_top for this config, as Verilator -G flags:
// {"-GRows=16", "-GCols=16", "-GBeatWords=1", "-GAbufWords=4096", "-GWbufWords=10240",
//  "-GObufWords=2048"}.
std::vector<std::string> HwVerilatorParams(const HwConfig& hw);

}  // namespace sasim

#endif  // SASIM_CONTRACT_HW_CONFIG_H_
