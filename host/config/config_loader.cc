#include "host/config/config_loader.h"

#include <fstream>
#include <set>

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include "host/common/errors.h"

namespace sasim {
namespace {

[[noreturn]] void Fail(const std::string& path, const YAML::Mark& mark, const std::string& key,
                       const std::string& why) {
  const int line = mark.is_null() ? 0 : mark.line + 1;
  if (key.empty()) throw InputError(fmt::format("{}:{}: {}", path, line, why));
  throw InputError(fmt::format("{}:{}: key '{}': {}", path, line, key, why));
}

YAML::Node LoadYaml(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open file", path));
  try {
    return YAML::Load(in);
  } catch (const YAML::Exception& e) {
    Fail(path, e.mark, "", "not valid YAML: " + e.msg);
  }
}

// Reads a mapping against a key table: refuses unknown keys and missing required ones.
class KeyReader {
 public:
  KeyReader(std::string path, const YAML::Node& root, const std::vector<KeySpec>& keys)
      : path_(std::move(path)), root_(root), keys_(keys) {
    if (!root.IsMap()) Fail(path_, root.Mark(), "", "expected a mapping of keys to values");
    for (const auto& item : root) {
      const std::string key = item.first.as<std::string>();
      bool known = false;
      for (const auto& spec : keys_) known |= key == spec.name;
      if (!known) {
        std::string names;
        for (const auto& spec : keys_) names += std::string(names.empty() ? "" : ", ") + spec.name;
        Fail(path_, item.first.Mark(), key, "unknown key (known keys: " + names + ")");
      }
    }
  }

  YAML::Node Get(const char* key) const {
    const YAML::Node node = root_[key];
    if (node) {
      if (!node.IsScalar()) Fail(path_, node.Mark(), key, "expected a single value");
      return node;
    }
    for (const auto& spec : keys_) {
      if (std::string(spec.name) == key && spec.default_value != nullptr) {
        return YAML::Node(spec.default_value);
      }
    }
    Fail(path_, root_.Mark(), key, "missing (required)");
  }

  int64_t Int(const char* key, int64_t lo, int64_t hi) const {
    const YAML::Node node = Get(key);
    int64_t v = 0;
    try {
      v = node.as<int64_t>();
    } catch (const YAML::Exception&) {
      Fail(path_, node.Mark(), key, fmt::format("expected an integer, got '{}'", node.Scalar()));
    }
    if (v < lo || v > hi) {
      Fail(path_, node.Mark(), key, fmt::format("{} is outside {}..{}", v, lo, hi));
    }
    return v;
  }

  double Number(const char* key, double lo, double hi) const {
    const YAML::Node node = Get(key);
    double v = 0;
    try {
      v = node.as<double>();
    } catch (const YAML::Exception&) {
      Fail(path_, node.Mark(), key, fmt::format("expected a number, got '{}'", node.Scalar()));
    }
    if (!(v >= lo && v <= hi)) {
      Fail(path_, node.Mark(), key, fmt::format("{} is outside {}..{}", v, lo, hi));
    }
    return v;
  }

  std::string String(const char* key) const { return Get(key).as<std::string>(); }

  [[noreturn]] void Bad(const char* key, const std::string& why) const {
    Fail(path_, root_[key] ? root_[key].Mark() : root_.Mark(), key, why);
  }

 private:
  std::string path_;
  YAML::Node root_;
  const std::vector<KeySpec>& keys_;
};

}  // namespace

const std::vector<KeySpec>& HwConfigKeys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", nullptr, "name of the configuration, shown in reports"},
      {"array_rows", "int", nullptr,
       "systolic array rows (output pixels per fold), 4..64, a multiple of 4"},
      {"array_cols", "int", nullptr,
       "systolic array columns (output channels per fold); the RTL supports 16"},
      {"abuf_kib", "int", nullptr, "activation buffer size in KiB, 1..1024"},
      {"wbuf_kib", "int", nullptr, "weight buffer size in KiB, 1..1024"},
      {"obuf_kib", "int", nullptr, "output buffer size in KiB, 1..1024"},
      {"dram_latency_cycles", "int", nullptr,
       "cycles from a burst request to its first beat, 1..10000"},
      {"dram_bytes_per_cycle", "int", nullptr,
       "sustained DRAM bandwidth in bytes per accelerator cycle, 1..16 (the bus is 16 bytes)"},
      {"dram_mib", "int", "64", "DRAM size in MiB, 1..1024"},
      {"clock_mhz", "number", nullptr, "accelerator clock in MHz, for time and leakage"},
      {"watchdog_cycles", "int", "100000",
       "cycles without progress after which the simulation stops with an error"},
  };
  return keys;
}

HwConfig LoadHwConfig(const std::string& path) {
  const YAML::Node root = LoadYaml(path);
  const KeyReader r(path, root, HwConfigKeys());
  HwConfig hw;
  hw.name = r.String("name");
  hw.array_rows = static_cast<int>(r.Int("array_rows", 4, 64));
  if (hw.array_rows % 4 != 0) {
    r.Bad("array_rows", fmt::format("{} is not a multiple of 4 (a 2x2 pool window is 4 rows)",
                                    hw.array_rows));
  }
  hw.array_cols = static_cast<int>(r.Int("array_cols", 16, 16));
  hw.abuf_bytes = static_cast<uint32_t>(r.Int("abuf_kib", 1, 1024)) * 1024;
  hw.wbuf_bytes = static_cast<uint32_t>(r.Int("wbuf_kib", 1, 1024)) * 1024;
  hw.obuf_bytes = static_cast<uint32_t>(r.Int("obuf_kib", 1, 1024)) * 1024;
  hw.dram_latency_cycles = static_cast<uint32_t>(r.Int("dram_latency_cycles", 1, 10000));
  hw.dram_bytes_per_cycle = static_cast<uint32_t>(r.Int("dram_bytes_per_cycle", 1, 16));
  hw.dram_mib = static_cast<uint32_t>(r.Int("dram_mib", 1, 1024));
  hw.clock_mhz = r.Number("clock_mhz", 1.0, 5000.0);
  hw.watchdog_cycles = static_cast<uint64_t>(r.Int("watchdog_cycles", 100, 1000000000));
  return hw;
}

}  // namespace sasim
