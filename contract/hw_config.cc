#include "contract/hw_config.h"

#include <type_traits>

#include <fmt/core.h>

namespace sasim {

const std::vector<HwKey>& HwKeys() {
  using T = HwKeyType;
  // name, type, unit, min, max, multiple of (why), default, description, member, scale
  static const std::vector<HwKey> keys = {
      {"name", T::kString, "", 1, 64, 1, "", nullptr, "name of the configuration, shown in reports",
       &HwConfig::name, 1},
      {"array_rows", T::kInt, "", 4, 128, 4, "a 2x2 pool window is 4 rows", nullptr,
       "array rows (output pixels per fold)", &HwConfig::array_rows, 1},
      {"array_cols", T::kInt, "", 4, 128, 16,
       "a drained row fills lanes of one 16-channel word, or whole words", nullptr,
       "array columns (output channels per fold)", &HwConfig::array_cols, 1, true},
      {"abuf_kib", T::kInt, "KiB", 1, 1024, 1, "", nullptr, "activation buffer",
       &HwConfig::abuf_bytes, 1024},
      {"wbuf_kib", T::kInt, "KiB", 1, 1024, 1, "", nullptr, "weight buffer", &HwConfig::wbuf_bytes,
       1024},
      {"obuf_kib", T::kInt, "KiB", 1, 1024, 1, "", nullptr, "output buffer", &HwConfig::obuf_bytes,
       1024},
      {"dram_latency_cycles", T::kInt, "cycles", 1, 10000, 1, "", nullptr,
       "cycles from a burst request to its first beat", &HwConfig::dram_latency_cycles, 1},
      {"dram_bytes_per_cycle", T::kInt, "bytes/cycle", 1, 64, 1, "", nullptr,
       "sustained DRAM bandwidth, at most dram_bus_bytes", &HwConfig::dram_bytes_per_cycle, 1},
      {"dram_bus_bytes", T::kInt, "bytes", 16, 64, 16, "whole 16-byte buffer words a beat", "16",
       "DRAM data bus (DMA beat) width", &HwConfig::dram_bus_bytes, 1},
      {"dram_mib", T::kInt, "MiB", 1, 1024, 1, "", "64", "DRAM size", &HwConfig::dram_mib, 1},
      {"clock_mhz", T::kNumber, "MHz", 1, 5000, 1, "", nullptr,
       "accelerator clock, for time and leakage", &HwConfig::clock_mhz, 1},
      {"watchdog_cycles", T::kInt, "cycles", 100, 1e9, 1, "", "100000",
       "cycles without progress before the simulation stops with an error",
       &HwConfig::watchdog_cycles, 1},
  };
  return keys;
}

const char* HwKeyTypeName(HwKeyType type) {
  switch (type) {
    case HwKeyType::kString:
      return "string";
    case HwKeyType::kInt:
      return "int";
    case HwKeyType::kNumber:
      return "number";
  }
  return "?";
}

std::string HwKeyRange(const HwKey& key) {
  const std::string lo = fmt::format("{}", key.min), hi = fmt::format("{}", key.max);
  if (key.type == HwKeyType::kString) return fmt::format("{}..{} characters", lo, hi);
  std::string range = key.min == key.max ? lo : lo + ".." + hi;
  if (key.multiple_of > 1) {
    range += fmt::format(key.or_divisor ? ", a multiple or divisor of {}" : ", multiple of {}",
                         key.multiple_of);
  }
  return range;
}

namespace {

// Applies `f` to the member the key sets (HwConfig or const HwConfig).
template <class H, class F>
void WithMember(const HwKey& key, H& hw, F f) {
  std::visit([&](auto member) { f(hw.*member); }, key.member);
}

}  // namespace

void SetHwKey(const HwKey& key, const std::string& value, HwConfig* hw) {
  WithMember(key, *hw, [&](auto& field) {
    using F = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<F, std::string>) field = value;
  });
}

void SetHwKey(const HwKey& key, int64_t value, HwConfig* hw) {
  WithMember(key, *hw, [&](auto& field) {
    using F = std::decay_t<decltype(field)>;
    if constexpr (std::is_arithmetic_v<F>) field = static_cast<F>(value * key.scale);
  });
}

void SetHwKey(const HwKey& key, double value, HwConfig* hw) {
  WithMember(key, *hw, [&](auto& field) {
    using F = std::decay_t<decltype(field)>;
    if constexpr (std::is_arithmetic_v<F>) field = static_cast<F>(value * key.scale);
  });
}

std::string HwKeyValue(const HwKey& key, const HwConfig& hw) {
  std::string text;
  WithMember(key, hw, [&](const auto& field) {
    using F = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<F, std::string>) {
      text = field;
    } else if constexpr (std::is_floating_point_v<F>) {
      text = fmt::format("{}", field / static_cast<double>(key.scale));
    } else {
      text = fmt::format("{}", field / static_cast<F>(key.scale));
    }
  });
  return text;
}

std::vector<std::pair<std::string, std::string>> HwConfigFields(const HwConfig& hw) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const HwKey& key : HwKeys()) fields.emplace_back(key.name, HwKeyValue(key, hw));
  return fields;
}

std::vector<std::string> HwVerilatorParams(const HwConfig& hw) {
  return {fmt::format("-GRows={}", hw.array_rows),
          fmt::format("-GCols={}", hw.array_cols),
          fmt::format("-GBeatWords={}", hw.dram_bus_bytes / 16),
          fmt::format("-GAbufWords={}", hw.abuf_words()),
          fmt::format("-GWbufWords={}", hw.wbuf_words()),
          fmt::format("-GObufWords={}", hw.obuf_words())};
}

}  // namespace sasim
