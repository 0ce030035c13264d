#include "host/config/hw_loader.h"

#include <fmt/core.h>

#include "host/config/yaml_reader.h"

namespace sasim {

HwConfig LoadHwConfig(const std::string& path) {
  const YAML::Node root = config::LoadYamlFile(path, "hw config");
  std::vector<config::KeyDefault> defaults;
  for (const HwKey& key : HwKeys()) defaults.push_back({key.name, key.default_value});
  try {
    const config::KeyReader r(path, root, defaults);
    HwConfig hw;
    for (const HwKey& key : HwKeys()) {
      switch (key.type) {
        case HwKeyType::kString:
          SetHwKey(key,
                   r.Text(key.name, static_cast<size_t>(key.min), static_cast<size_t>(key.max)),
                   &hw);
          break;
        case HwKeyType::kInt: {
          const int64_t v =
              r.Int(key.name, static_cast<int64_t>(key.min), static_cast<int64_t>(key.max));
          if (v % key.multiple_of != 0 && !(key.or_divisor && key.multiple_of % v == 0)) {
            r.Bad(key.name, fmt::format("{} is not a multiple {}of {} ({})", v,
                                        key.or_divisor ? "or a divisor " : "", key.multiple_of,
                                        key.multiple_why));
          }
          SetHwKey(key, v, &hw);
          break;
        }
        case HwKeyType::kNumber:
          SetHwKey(key, r.Number(key.name, key.min, key.max), &hw);
          break;
      }
    }
    if (hw.dram_bytes_per_cycle > hw.dram_bus_bytes) {
      r.Bad("dram_bytes_per_cycle", fmt::format("{} is more than the {}-byte bus (dram_bus_bytes)",
                                                hw.dram_bytes_per_cycle, hw.dram_bus_bytes));
    }
    return hw;
  } catch (const YAML::Exception& e) {
    // The reader checks every node before it converts one; this is a safety net.
    config::Fail(path, e.mark.is_null() ? 0 : e.mark.line + 1, "", config::Shown(e.msg, 200));
  }
}

}  // namespace sasim
