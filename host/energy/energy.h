// The energy model: RTL counters x a picojoule table (configs/energy/*.yaml). Nothing is
// estimated where a counter exists: MACs, zero-operand MACs, buffer word accesses, DRAM bytes,
// requantizations and pooled outputs all come from the hardware (docs/energy.md).
#ifndef SASIM_HOST_ENERGY_ENERGY_H_
#define SASIM_HOST_ENERGY_ENERGY_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "contract/hw_config.h"
#include "contract/counters.h"

namespace sasim {

struct EnergyTable {
  std::string name;
  std::string path;
  double fp32_mult_pj = 0, fp32_add_pj = 0;
  double int32_add_pj = 0, int8_mult_pj = 0, int8_add_pj = 0, shift_pj = 0;
  std::optional<double> mac_pj;        // else int8_mult + int32_add
  std::optional<double> gated_mac_pj;  // a MAC with a zero operand, when the PE gates it
  std::map<double, double> sram_pj_per_64bit_by_kib;  // Horowitz-style, interpolated
  std::optional<double> sram_pj_per_byte;             // flat, per 8-bit element
  double dram_pj_per_byte = 0;
  double leakage_uw = 0;

  double MacPj() const { return mac_pj.value_or(int8_mult_pj + int32_add_pj); }
  // Energy of one byte moved to or from a buffer of `bytes` capacity.
  double SramPjPerByte(uint32_t bytes) const;
};

// Energy of one layer (or a total), by component, in pJ.
struct Energy {
  double mac = 0, requant = 0, pool = 0;
  double sram_act = 0, sram_weight = 0, sram_out = 0;
  double dram = 0, leakage = 0;
  double fp32_equivalent = 0;  // the same MACs as FP32 multiply + add
  double total() const {
    return mac + requant + pool + sram_act + sram_weight + sram_out + dram + leakage;
  }
  // The arithmetic alone, to set beside fp32_equivalent (which has no memory either).
  double compute() const { return mac + requant + pool; }
  Energy& operator+=(const Energy& o);
  std::vector<std::pair<std::string, double>> Components() const;
};

Energy ComputeEnergy(const EnergyTable& table, const HwConfig& hw, const Counters& counters);

}  // namespace sasim

#endif  // SASIM_HOST_ENERGY_ENERGY_H_
