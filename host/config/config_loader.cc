#include "host/config/config_loader.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include "contract/errors.h"

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
    return Default(key);
  }

  YAML::Node Default(const char* key) const {
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
  bool Has(const char* key) const { return static_cast<bool>(root_[key]); }
  int Line(const char* key) const {
    const YAML::Node n = root_[key];
    return (n ? n.Mark() : root_.Mark()).line + 1;
  }

  [[noreturn]] void Bad(const char* key, const std::string& why) const {
    Fail(path_, root_[key] ? root_[key].Mark() : root_.Mark(), key, why);
  }

 private:
  std::string path_;
  YAML::Node root_;
  const std::vector<KeySpec>& keys_;
};

}  // namespace

namespace {

// A sub-mapping (input, one layer) checked against its own key table.
YAML::Node Mapping(const std::string& path, const YAML::Node& parent, const char* key) {
  const YAML::Node node = parent[key];
  if (!node) Fail(path, parent.Mark(), key, "missing (required)");
  return node;
}

Rounding ParseRoundingKey(const std::string& path, const YAML::Node& node, const char* key) {
  Rounding mode;
  if (!ParseRounding(node.as<std::string>(), &mode)) {
    Fail(path, node.Mark(), key, fmt::format("'{}' is not a rounding mode (floor, nearest_even)",
                                             node.as<std::string>()));
  }
  return mode;
}

}  // namespace

const std::vector<KeySpec>& NetKeys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", nullptr, "name of the network; reports go to runs/<name>/"},
      {"input", "mapping", nullptr, "the input tensor: shape and scale_exp"},
      {"rounding", "string", "floor", "default rounding of every layer: floor or nearest_even"},
      {"weights", "string", nullptr,
       "'synthetic', or a directory (relative to this file) with <layer>.weight.npy (int8, "
       "OIHW or [out, in]) and <layer>.bias.npy (int32, [out])"},
      {"seed", "int", "1", "seed of the synthetic weights and input"},
      {"layers", "list", nullptr, "the layers, in order"},
  };
  return keys;
}

const std::vector<KeySpec>& NetInputKeys() {
  static const std::vector<KeySpec> keys = {
      {"shape", "list", nullptr, "[C, H, W] of the input image"},
      {"scale_exp", "int", "0", "input scale exponent c_x: real value = 2^-c_x (x - 128)"},
  };
  return keys;
}

const std::vector<KeySpec>& LayerKeys(const std::string& type) {
  static const KeySpec kName{"name", "string", nullptr, "layer name (unique)"};
  static const KeySpec kType{"type", "string", nullptr,
                             "conv2d, linear, relu, maxpool or flatten"};
  static const KeySpec kShift{"shift", "int", "", "right shift c_x + c_w - c_y, 0..31"};
  static const KeySpec kWexp{"weight_exp", "int", "", "weight scale exponent c_w (with output_exp)"};
  static const KeySpec kOexp{"output_exp", "int", "", "output scale exponent c_y (with weight_exp)"};
  static const KeySpec kRound{"rounding", "string", "", "floor or nearest_even (else the net's)"};
  static const std::map<std::string, std::vector<KeySpec>> keys = {
      {"conv2d",
       {kName, kType, {"out_channels", "int", nullptr, "output channels"},
        {"kernel", "int", nullptr, "square kernel size, 1..15"},
        {"stride", "int", "1", "stride, 1..15"},
        {"padding", "int", "0", "zero padding (the zero point), smaller than the kernel"},
        kShift, kWexp, kOexp, kRound}},
      {"linear",
       {kName, kType, {"out_features", "int", nullptr, "output features"}, kShift, kWexp, kOexp,
        kRound}},
      {"relu", {kName, kType}},
      {"maxpool",
       {kName, kType, {"kernel", "int", "2", "window: 2 only"},
        {"stride", "int", "2", "stride: 2 only"}}},
      {"flatten", {kName, kType}},
  };
  static const std::vector<KeySpec> none;
  const auto it = keys.find(type);
  return it == keys.end() ? none : it->second;
}

compiler::NetSpec LoadNet(const std::string& path) {
  const YAML::Node root = LoadYaml(path);
  const KeyReader top(path, root, NetKeys());
  compiler::NetSpec net;
  net.path = path;
  net.name = top.String("name");
  const YAML::Node input = Mapping(path, root, "input");
  const KeyReader in(path, input, NetInputKeys());
  const YAML::Node shape = Mapping(path, input, "shape");
  net.input_line = shape.Mark().line + 1;
  if (!shape.IsSequence() || shape.size() != 3) {
    Fail(path, shape.Mark(), "input.shape", "expected [C, H, W]");
  }
  int* dims[] = {&net.input_channels, &net.input_height, &net.input_width};
  for (size_t i = 0; i < 3; ++i) {
    try {
      *dims[i] = shape[i].as<int>();
    } catch (const YAML::Exception&) {
      Fail(path, shape.Mark(), "input.shape", "expected three integers");
    }
    if (*dims[i] < 1 || *dims[i] > 4096) {
      Fail(path, shape.Mark(), "input.shape", fmt::format("size {} is outside 1..4096", *dims[i]));
    }
  }
  net.input_exp = static_cast<int>(in.Int("scale_exp", 0, 31));
  if (top.Has("rounding")) net.rounding = ParseRoundingKey(path, root["rounding"], "rounding");
  const std::string weights = top.String("weights");
  net.weights_line = top.Line("weights");
  net.seed = static_cast<uint32_t>(top.Int("seed", 0, 0xffffffff));
  if (weights != "synthetic") {
    namespace fs = std::filesystem;
    fs::path dir(weights);
    if (dir.is_relative()) dir = fs::path(path).parent_path() / dir;
    if (!fs::is_directory(dir)) {
      Fail(path, root["weights"].Mark(), "weights",
           fmt::format("'{}' is neither 'synthetic' nor a directory", weights));
    }
    net.synthetic = false;
    net.weights_dir = dir.string();
  }
  const YAML::Node layers = Mapping(path, root, "layers");
  if (!layers.IsSequence() || layers.size() == 0) {
    Fail(path, layers.Mark(), "layers", "expected a list of layers");
  }
  std::set<std::string> names;
  for (const YAML::Node& node : layers) {
    if (!node.IsMap()) Fail(path, node.Mark(), "layers", "each layer is a mapping");
    const YAML::Node type_node = node["type"];
    if (!type_node) Fail(path, node.Mark(), "type", "missing (required)");
    compiler::LayerSpec l;
    l.type = type_node.as<std::string>();
    l.line = node.Mark().line + 1;
    const auto& keys = LayerKeys(l.type);
    if (keys.empty()) {
      Fail(path, type_node.Mark(), "type",
           fmt::format("unknown layer type '{}' (known: conv2d, linear, relu, maxpool, flatten)",
                       l.type));
    }
    const KeyReader r(path, node, keys);
    l.name = r.String("name");
    if (!names.insert(l.name).second) {
      Fail(path, node["name"].Mark(), "name", fmt::format("layer name '{}' is used twice",
                                                          l.name));
    }
    if (l.type == "conv2d") {
      l.out_channels = static_cast<int>(r.Int("out_channels", 1, 65535));
      l.kernel = static_cast<int>(r.Int("kernel", 1, 15));
      l.stride = static_cast<int>(r.Int("stride", 1, 15));
      l.padding = static_cast<int>(r.Int("padding", 0, 14));
    } else if (l.type == "linear") {
      l.out_features = static_cast<int>(r.Int("out_features", 1, 65535));
    } else if (l.type == "maxpool") {
      l.pool_kernel = static_cast<int>(r.Int("kernel", 1, 15));
      l.pool_stride = static_cast<int>(r.Int("stride", 1, 15));
    }
    if (l.type == "conv2d" || l.type == "linear") {
      if (r.Has("shift")) l.shift = static_cast<int>(r.Int("shift", -1000, 1000));
      if (r.Has("weight_exp")) l.weight_exp = static_cast<int>(r.Int("weight_exp", -64, 64));
      if (r.Has("output_exp")) l.output_exp = static_cast<int>(r.Int("output_exp", -64, 64));
      if (r.Has("rounding")) l.rounding = ParseRoundingKey(path, node["rounding"], "rounding");
    }
    net.layers.push_back(l);
  }
  return net;
}

const std::vector<KeySpec>& EnergyTableKeys() {
  static const std::vector<KeySpec> keys = {
      {"name", "string", nullptr, "name of the table, shown in reports"},
      {"fp32_mult_pj", "number", "0", "FP32 multiply (for the FP32 comparison)"},
      {"fp32_add_pj", "number", "0", "FP32 add (for the FP32 comparison)"},
      {"int32_add_pj", "number", "0", "INT32 add: the accumulator"},
      {"int8_mult_pj", "number", "0", "INT8 multiply"},
      {"int8_add_pj", "number", "0", "INT8 add; a max-pool compare costs one"},
      {"shift_pj", "number", "0", "a shift: one per requantized output"},
      {"mac_pj", "number", "", "one MAC, when the table gives it whole (else mult + add)"},
      {"gated_mac_pj", "number", "", "a MAC with a zero operand, when the PE gates it"},
      {"sram_pj_per_64bit_by_kib", "mapping", "",
       "SRAM energy per 64-bit access by size in KiB, interpolated log-log"},
      {"sram_pj_per_byte", "number", "", "SRAM energy per byte, any size"},
      {"dram_pj_per_64bit", "number", "", "DRAM energy per 64-bit access"},
      {"dram_pj_per_byte", "number", "", "DRAM energy per byte"},
      {"leakage_uw", "number", "0", "static power in uW, times the simulated time"},
  };
  return keys;
}

EnergyTable LoadEnergyTable(const std::string& path) {
  const YAML::Node root = LoadYaml(path);
  const KeyReader r(path, root, EnergyTableKeys());
  EnergyTable t;
  t.path = path;
  t.name = r.String("name");
  constexpr double kMax = 1e7;
  t.fp32_mult_pj = r.Number("fp32_mult_pj", 0, kMax);
  t.fp32_add_pj = r.Number("fp32_add_pj", 0, kMax);
  t.int32_add_pj = r.Number("int32_add_pj", 0, kMax);
  t.int8_mult_pj = r.Number("int8_mult_pj", 0, kMax);
  t.int8_add_pj = r.Number("int8_add_pj", 0, kMax);
  t.shift_pj = r.Number("shift_pj", 0, kMax);
  if (r.Has("mac_pj")) t.mac_pj = r.Number("mac_pj", 0, kMax);
  if (r.Has("gated_mac_pj")) t.gated_mac_pj = r.Number("gated_mac_pj", 0, kMax);
  if (r.Has("sram_pj_per_64bit_by_kib") && r.Has("sram_pj_per_byte")) {
    r.Bad("sram_pj_per_byte", "give sram_pj_per_byte or sram_pj_per_64bit_by_kib, not both");
  }
  if (r.Has("sram_pj_per_64bit_by_kib")) {
    const YAML::Node m = root["sram_pj_per_64bit_by_kib"];
    if (!m.IsMap() || m.size() == 0) {
      Fail(path, m.Mark(), "sram_pj_per_64bit_by_kib", "expected a mapping {KiB: pJ, ...}");
    }
    for (const auto& item : m) {
      double kib = 0, pj = 0;
      try {
        kib = item.first.as<double>();
        pj = item.second.as<double>();
      } catch (const YAML::Exception&) {
        Fail(path, item.first.Mark(), "sram_pj_per_64bit_by_kib", "expected numbers KiB: pJ");
      }
      if (!(kib > 0) || !(pj > 0)) {
        Fail(path, item.first.Mark(), "sram_pj_per_64bit_by_kib", "sizes and energies must be > 0");
      }
      t.sram_pj_per_64bit_by_kib[kib] = pj;
    }
  }
  if (r.Has("sram_pj_per_byte")) t.sram_pj_per_byte = r.Number("sram_pj_per_byte", 0, kMax);
  if (r.Has("dram_pj_per_64bit") && r.Has("dram_pj_per_byte")) {
    r.Bad("dram_pj_per_byte", "give dram_pj_per_byte or dram_pj_per_64bit, not both");
  }
  if (r.Has("dram_pj_per_64bit")) t.dram_pj_per_byte = r.Number("dram_pj_per_64bit", 0, kMax) / 8;
  if (r.Has("dram_pj_per_byte")) t.dram_pj_per_byte = r.Number("dram_pj_per_byte", 0, kMax);
  t.leakage_uw = r.Number("leakage_uw", 0, kMax);
  return t;
}

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
