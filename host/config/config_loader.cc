#include "host/config/config_loader.h"

#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include <fmt/core.h>

#include "host/config/yaml_reader.h"

namespace sasim {
namespace {

using config::Fail;
using config::KeyReader;
using config::LineOf;
using config::Shown;

// The longest `weights` path accepted.
constexpr size_t kMaxPathLength = 4096;

std::vector<config::KeyDefault> Defaults(const std::vector<KeySpec>& keys) {
  std::vector<config::KeyDefault> defaults;
  for (const KeySpec& spec : keys) defaults.push_back({spec.name, spec.default_value});
  return defaults;
}

Rounding RoundingKey(const KeyReader& r, const char* key) {
  const std::string text = r.Scalar(key);
  Rounding mode;
  if (!ParseRounding(text, &mode)) {
    r.Bad(key, fmt::format("'{}' is not a rounding mode (floor, nearest_even, half_away)",
                           Shown(text)));
  }
  return mode;
}

void ReadInput(const std::string& path, const YAML::Node& input, compiler::NetSpec* net) {
  const KeyReader in(path, input, Defaults(NetInputKeys()));
  const YAML::Node& shape = in.Node("shape");
  net->input_line = in.Line("shape");
  if (!shape.IsSequence() || shape.size() != 3) {
    Fail(path, net->input_line, "input.shape", "expected [C, H, W]");
  }
  int* dims[] = {&net->input_channels, &net->input_height, &net->input_width};
  int i = 0;
  for (const YAML::Node& item : shape) {
    int64_t v = 0;
    if (!item.IsScalar() || !config::ParseInt(item.Scalar(), &v)) {
      Fail(path, net->input_line, "input.shape", "expected three integers");
    }
    if (v < 1 || v > 4096) {
      Fail(path, net->input_line, "input.shape", fmt::format("size {} is outside 1..4096", v));
    }
    *dims[i++] = static_cast<int>(v);
  }
  net->input_exp = static_cast<int>(in.Int("scale_exp", 0, 31));
}

// The layer's `type`, read before the layer's keys (which depend on it).
std::string LayerType(const std::string& path, const YAML::Node& layer) {
  for (const auto& item : layer) {
    if (!item.first.IsScalar() || item.first.Scalar() != "type") continue;
    const YAML::Node& node = item.second;
    if (node.IsNull()) Fail(path, LineOf(node), "type", "no value given");
    if (!node.IsScalar()) Fail(path, LineOf(node), "type", "expected a single value");
    const std::string type = node.Scalar();
    if (LayerKeys(type).empty()) {
      Fail(path, LineOf(node), "type",
           fmt::format("unknown layer type '{}' (known: conv2d, linear, relu, maxpool, avgpool, "
                       "adaptive_avgpool, add, flatten)",
                       Shown(type)));
    }
    return type;
  }
  Fail(path, LineOf(layer), "type", "missing (required)");
}

compiler::LayerSpec ReadLayer(const std::string& path, const YAML::Node& node, int* name_line) {
  if (!node.IsMap()) Fail(path, LineOf(node), "layers", "each layer is a mapping");
  compiler::LayerSpec l;
  l.type = LayerType(path, node);
  l.line = LineOf(node);
  const KeyReader r(path, node, Defaults(LayerKeys(l.type)));
  l.name = r.Name("name");
  *name_line = r.Line("name");
  if (l.name == compiler::kInputName) {
    r.Bad("name", fmt::format("'{}' names the network input in `inputs`; choose another name",
                              compiler::kInputName));
  }
  if (r.Has("inputs")) {
    const YAML::Node& list = r.Node("inputs");
    l.inputs_line = r.Line("inputs");
    if (!list.IsSequence() || list.size() == 0 || list.size() > 2) {
      r.Bad("inputs", "expected a list of one or two layer names");
    }
    for (const YAML::Node& item : list) {
      if (!item.IsScalar() || item.Scalar().empty() || item.Scalar().size() > 255) {
        r.Bad("inputs", "expected layer names");
      }
      l.inputs.push_back(item.Scalar());
    }
  }
  if (l.type == "conv2d") {
    l.out_channels = static_cast<int>(r.Int("out_channels", 1, 65535));
    l.kernel = static_cast<int>(r.Int("kernel", 1, 15));
    l.stride = static_cast<int>(r.Int("stride", 1, 15));
    l.padding = static_cast<int>(r.Int("padding", 0, 14));
  } else if (l.type == "linear") {
    l.out_features = static_cast<int>(r.Int("out_features", 1, 65535));
  } else if (l.type == "maxpool" || l.type == "avgpool") {
    l.pool_kernel = static_cast<int>(r.Int("kernel", 1, 255));
    if (r.Has("stride")) l.pool_stride = static_cast<int>(r.Int("stride", 1, 255));
    if (l.type == "maxpool") l.pool_padding = static_cast<int>(r.Int("padding", 0, 127));
  } else if (l.type == "adaptive_avgpool") {
    l.output_size = static_cast<int>(r.Int("output_size", 1, 255));
  } else if (l.type == "add") {
    if (r.Has("output_exp")) l.output_exp = static_cast<int>(r.Int("output_exp", -64, 64));
  }
  if (l.type == "conv2d" || l.type == "linear") {
    if (r.Has("shift")) l.shift = static_cast<int>(r.Int("shift", -1000, 1000));
    if (r.Has("weight_exp")) l.weight_exp = static_cast<int>(r.Int("weight_exp", -64, 64));
    if (r.Has("output_exp")) l.output_exp = static_cast<int>(r.Int("output_exp", -64, 64));
    if (r.Has("rounding")) l.rounding = RoundingKey(r, "rounding");
  }
  return l;
}

compiler::NetSpec ReadNet(const std::string& path, const YAML::Node& root) {
  const KeyReader top(path, root, Defaults(NetKeys()));
  compiler::NetSpec net;
  net.path = path;
  net.name = top.Name("name");
  ReadInput(path, top.Node("input"), &net);
  if (top.Has("rounding")) net.rounding = RoundingKey(top, "rounding");
  const std::string weights = top.Text("weights", 1, kMaxPathLength);
  net.weights_line = top.Line("weights");
  net.seed = static_cast<uint32_t>(top.Int("seed", 0, 0xffffffff));
  if (weights != "synthetic") {
    namespace fs = std::filesystem;
    fs::path dir(weights);
    if (dir.is_relative()) dir = fs::path(path).parent_path() / dir;
    std::error_code ec;  // a path too long, a symlink loop: not a directory either
    if (!fs::is_directory(dir, ec)) {
      top.Bad("weights",
              fmt::format("'{}' is neither 'synthetic' nor a directory", Shown(weights)));
    }
    net.synthetic = false;
    net.weights_dir = dir.string();
  }
  if (top.Has("reference")) {
    namespace fs = std::filesystem;
    const std::string ref = top.Text("reference", 1, kMaxPathLength);
    fs::path dir(ref);
    if (dir.is_relative()) dir = fs::path(path).parent_path() / dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      top.Bad("reference", fmt::format("'{}' is not a directory", Shown(ref)));
    }
    net.reference_dir = dir.string();
    net.reference_line = top.Line("reference");
  }
  const YAML::Node& layers = top.Node("layers");
  if (!layers.IsSequence() || layers.size() == 0) {
    top.Bad("layers", "expected a list of layers");
  }
  if (layers.size() > static_cast<size_t>(limits::kMaxNetEntries)) {
    top.Bad("layers", fmt::format("{} layers, more than the {} a net may have", layers.size(),
                                  limits::kMaxNetEntries));
  }
  std::set<std::string> names;
  for (const YAML::Node& node : layers) {
    int name_line = 0;
    compiler::LayerSpec l = ReadLayer(path, node, &name_line);
    if (!names.insert(l.name).second) {
      Fail(path, name_line, "name", fmt::format("layer name '{}' is used twice", l.name));
    }
    net.layers.push_back(std::move(l));
  }
  return net;
}

EnergyTable ReadEnergyTable(const std::string& path, const YAML::Node& root) {
  const KeyReader r(path, root, Defaults(EnergyTableKeys()));
  EnergyTable t;
  t.path = path;
  t.name = r.Text("name", 1, 64);
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
    const char* key = "sram_pj_per_64bit_by_kib";
    const YAML::Node& m = r.Node(key);
    if (!m.IsMap() || m.size() == 0) r.Bad(key, "expected a mapping {KiB: pJ, ...}");
    for (const auto& item : m) {
      double kib = 0, pj = 0;
      if (!item.first.IsScalar() || !item.second.IsScalar() ||
          !config::ParseNumber(item.first.Scalar(), &kib) ||
          !config::ParseNumber(item.second.Scalar(), &pj)) {
        Fail(path, LineOf(item.first), key, "expected numbers KiB: pJ");
      }
      if (!(kib > 0) || !(pj > 0)) {
        Fail(path, LineOf(item.first), key, "sizes and energies must be > 0");
      }
      if (kib > 1e9 || pj > kMax) {
        Fail(path, LineOf(item.first), key,
             fmt::format("sizes are at most 1e9 KiB and energies at most {} pJ", kMax));
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

// Runs a reader on a parsed file; the readers check every node before converting it, and this
// turns anything yaml-cpp might still throw into an InputError naming the file.
template <class F>
auto Guarded(const std::string& path, F read) {
  try {
    return read();
  } catch (const YAML::Exception& e) {
    Fail(path, e.mark.is_null() ? 0 : e.mark.line + 1, "", Shown(e.msg, 200));
  }
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
      {"reference", "string", "",
       "a directory (relative to this file) with PyTorch's outputs for one input: input.npy "
       "(uint8 [C, H, W]) and <layer>.npy for every layer; `--input reference` runs that input "
       "and checks every layer against them too (tools/export_torch.py writes it)"},
      {"layers", "list", nullptr, "the layers, in topological order (docs/networks.md)"},
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
                             "conv2d, linear, relu, maxpool, avgpool, adaptive_avgpool, add or "
                             "flatten"};
  static const KeySpec kInputs{"inputs", "list", "",
                               "names of the layers it reads ('input': the network input); "
                               "default: the layer before it"};
  static const KeySpec kShift{"shift", "int", "", "right shift c_x + c_w - c_y, 0..31"};
  static const KeySpec kWexp{"weight_exp", "int", "", "weight scale exponent c_w (with output_exp)"};
  static const KeySpec kOexp{"output_exp", "int", "", "output scale exponent c_y (with weight_exp)"};
  static const KeySpec kRound{"rounding", "string", "", "floor or nearest_even (else the net's)"};
  static const std::map<std::string, std::vector<KeySpec>> keys = {
      {"conv2d",
       {kName, kType, kInputs, {"out_channels", "int", nullptr, "output channels"},
        {"kernel", "int", nullptr, "square kernel size, 1..15"},
        {"stride", "int", "1", "stride, 1..15"},
        {"padding", "int", "0", "zero padding (the zero point), smaller than the kernel"},
        kShift, kWexp, kOexp, kRound}},
      {"linear",
       {kName, kType, kInputs, {"out_features", "int", nullptr, "output features"}, kShift, kWexp,
        kOexp, kRound}},
      {"relu", {kName, kType, kInputs}},
      {"maxpool",
       {kName, kType, kInputs, {"kernel", "int", "2", "square window, 1..255"},
        {"stride", "int", "", "stride, 1..255 (default: the kernel)"},
        {"padding", "int", "0", "padding, at most half the kernel; never the maximum"}}},
      {"avgpool",
       {kName, kType, kInputs, {"kernel", "int", "2", "square window, 1..255"},
        {"stride", "int", "", "stride, 1..255 (default: the kernel)"}}},
      {"adaptive_avgpool",
       {kName, kType, kInputs,
        {"output_size", "int", "1", "output rows and columns (1: global average pool)"}}},
      {"add",
       {kName, kType, kInputs,
        {"output_exp", "int", "",
         "output scale exponent (default: one less than the coarser input's)"}}},
      {"flatten", {kName, kType, kInputs}},
  };
  static const std::vector<KeySpec> none;
  const auto it = keys.find(type);
  return it == keys.end() ? none : it->second;
}

compiler::NetSpec LoadNet(const std::string& path) {
  const YAML::Node root = config::LoadYamlFile(path, "net file");
  return Guarded(path, [&] { return ReadNet(path, root); });
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
  const YAML::Node root = config::LoadYamlFile(path, "energy table");
  return Guarded(path, [&] { return ReadEnergyTable(path, root); });
}

}  // namespace sasim
