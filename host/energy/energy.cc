#include "host/energy/energy.h"

#include <cmath>

namespace sasim {

using isa::Counter;

double EnergyTable::SramPjPerByte(uint32_t bytes) const {
  if (sram_pj_per_byte) return *sram_pj_per_byte;
  if (sram_pj_per_64bit_by_kib.empty()) return 0.0;
  const double kib = bytes / 1024.0;
  if (sram_pj_per_64bit_by_kib.size() == 1) return sram_pj_per_64bit_by_kib.begin()->second / 8;
  // Log-log line through the two table points around `kib` (the end segments extend outward).
  auto hi = sram_pj_per_64bit_by_kib.lower_bound(kib);
  if (hi == sram_pj_per_64bit_by_kib.begin()) ++hi;
  if (hi == sram_pj_per_64bit_by_kib.end()) --hi;
  auto lo = std::prev(hi);
  const double t = std::log(kib / lo->first) / std::log(hi->first / lo->first);
  const double pj = std::exp(std::log(lo->second) + t * (std::log(hi->second) -
                                                         std::log(lo->second)));
  return pj / 8.0;
}

Energy& Energy::operator+=(const Energy& o) {
  mac += o.mac;
  requant += o.requant;
  pool += o.pool;
  sram_act += o.sram_act;
  sram_weight += o.sram_weight;
  sram_out += o.sram_out;
  dram += o.dram;
  leakage += o.leakage;
  fp32_equivalent += o.fp32_equivalent;
  return *this;
}

std::vector<std::pair<std::string, double>> Energy::Components() const {
  return {{"mac", mac},           {"requant", requant},         {"pool", pool},
          {"sram_act", sram_act}, {"sram_weight", sram_weight}, {"sram_out", sram_out},
          {"dram", dram},         {"leakage", leakage}};
}

Energy ComputeEnergy(const EnergyTable& t, const HwConfig& hw, const Counters& n) {
  Energy e;
  const double macs = static_cast<double>(Get(n, Counter::kMacs));
  const double zero = static_cast<double>(Get(n, Counter::kMacsZero));
  e.mac = (macs - zero) * t.MacPj() + zero * t.gated_mac_pj.value_or(t.MacPj());
  e.requant = Get(n, Counter::kRequantOps) * t.shift_pj;
  // A 2x2 max is three compares, each priced as an 8-bit add.
  // The drain path's 2x2 pool: three compares per output; the vector unit: one 8-bit add or
  // compare per lane operation (max, average sum, element-wise add).
  e.pool = (Get(n, Counter::kPoolOps) * 3.0 + Get(n, Counter::kVecOps)) * t.int8_add_pj;
  auto words = [&](Counter r, Counter w) {
    return 16.0 * static_cast<double>(Get(n, r) + Get(n, w));
  };
  e.sram_act = words(Counter::kAbufReads, Counter::kAbufWrites) * t.SramPjPerByte(hw.abuf_bytes);
  e.sram_weight =
      words(Counter::kWbufReads, Counter::kWbufWrites) * t.SramPjPerByte(hw.wbuf_bytes);
  e.sram_out = words(Counter::kObufReads, Counter::kObufWrites) * t.SramPjPerByte(hw.obuf_bytes);
  e.dram = static_cast<double>(Get(n, Counter::kDramReadBytes) +
                               Get(n, Counter::kDramWriteBytes) +
                               Get(n, Counter::kCmdFetchBytes)) * t.dram_pj_per_byte;
  // Static power over the simulated time: uW x s = 1e-6 J = 1e6 pJ.
  const double seconds = Get(n, Counter::kCycles) / (hw.clock_mhz * 1e6);
  e.leakage = t.leakage_uw * seconds * 1e6;
  e.fp32_equivalent = macs * (t.fp32_mult_pj + t.fp32_add_pj);
  return e;
}

}  // namespace sasim
