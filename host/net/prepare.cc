#include "host/net/prepare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/golden/golden.h"
#include "host/io/npy.h"
#include "host/net/random.h"

namespace sasim {
namespace {

// Target spread of a synthetic layer's accumulators, in output codes before the zero point.
constexpr double kTargetCodes = 40.0;

LayerStats Stats(const Layer& layer, const std::vector<uint8_t>& out) {
  size_t zero = 0, saturated = 0;
  for (uint8_t v : out) {
    zero += v == 128;
    saturated += v == 255 || (!layer.requant.relu && v == 0);
  }
  LayerStats s;
  s.zero_share = static_cast<double>(zero) / out.size();
  s.saturated_share = static_cast<double>(saturated) / out.size();
  return s;
}

LayerWeights SynthesizeWeights(const Layer& layer, const std::vector<uint8_t>& in, Mt19937& rng) {
  const ConvShape& s = layer.shape;
  double sum = 0, sq = 0;
  for (uint8_t v : in) {
    sum += Centered(v);
    sq += static_cast<double>(Centered(v)) * Centered(v);
  }
  const double mean = sum / in.size();
  const double rms = std::max(1.0, std::sqrt(sq / in.size()));
  const double target = kTargetCodes * std::ldexp(1.0, layer.requant.shift);
  const double sigma_w =
      std::clamp(target / (std::sqrt(static_cast<double>(s.reduction())) * rms), 0.6, 60.0);
  NormalDraws weight(rng, 0.0, sigma_w);  // std::normal_distribution's values (host/net/random.h)
  LayerWeights p;
  p.weights.resize(layer.weight_count());
  for (auto& w : p.weights) w = RoundToWeight(weight());
  // Biases center each channel's accumulator a little above zero, so ReLU keeps most outputs.
  NormalDraws offset(rng, 0.5 * target, 0.25 * target);
  p.bias.resize(s.out_channels);
  for (int k = 0; k < s.out_channels; ++k) {
    int64_t weight_sum = 0;  // exact, as the double sum of these small integers was
    for (int64_t i = 0; i < s.reduction(); ++i) weight_sum += p.weights[k * s.reduction() + i];
    const double b = offset() - mean * static_cast<double>(weight_sum);
    p.bias[k] = static_cast<int32_t>(std::clamp(b, -2e9, 2e9));
  }
  return p;
}

LayerWeights LoadWeights(const compiler::NetSpec& spec, const Layer& layer) {
  namespace fs = std::filesystem;
  const std::string wpath = (fs::path(spec.weights_dir) / (layer.name + ".weight.npy")).string();
  const std::string bpath = (fs::path(spec.weights_dir) / (layer.name + ".bias.npy")).string();
  for (const auto& p : {wpath, bpath}) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      throw InputError(
          fmt::format("{}:{}: key 'weights': layer '{}' needs {}, which does not "
                      "exist",
                      spec.path, spec.weights_line, layer.name, p));
    }
  }
  const NpyArray w = ReadNpy(wpath);
  std::vector<int64_t> expected;
  for (int d : layer.weight_shape()) expected.push_back(d);
  if (w.dtype != "i1") {
    throw InputError(fmt::format("{}: tensor '{}.weight' has dtype {}, expected int8", wpath,
                                 layer.name, w.dtype));
  }
  if (w.shape != expected) {
    throw InputError(fmt::format("{}: tensor '{}.weight' has shape {}, expected {}", wpath,
                                 layer.name, ShapeString(w.shape), ShapeString(expected)));
  }
  const NpyArray b = ReadNpy(bpath);
  if (b.dtype != "i4") {
    throw InputError(fmt::format("{}: tensor '{}.bias' has dtype {}, expected int32", bpath,
                                 layer.name, b.dtype));
  }
  if (b.shape != std::vector<int64_t>{layer.shape.out_channels}) {
    throw InputError(fmt::format("{}: tensor '{}.bias' has shape {}, expected ({},)", bpath,
                                 layer.name, ShapeString(b.shape), layer.shape.out_channels));
  }
  return LayerWeights{w.As<int8_t>(), b.As<int32_t>()};
}

}  // namespace

Network NetworkOf(const compiler::NetSpec& spec, std::vector<Layer> layers) {
  Network net;
  net.name = spec.name;
  net.input = {spec.input_channels, spec.input_height, spec.input_width};
  net.input_exp = spec.input_exp;
  net.layers = std::move(layers);
  return net;
}

int CalibratedShift(const Layer& layer, const std::vector<int32_t>& acc) {
  int64_t peak = 1;
  for (int32_t a : acc) {
    peak = std::max<int64_t>(peak, layer.requant.relu ? a : std::abs(int64_t{a}));
  }
  int shift = 0;
  while (shift < kMaxShift && (peak >> shift) > 127) ++shift;
  return shift;
}

PreparedNet PrepareNet(const compiler::NetSpec& spec, Network net, std::vector<uint8_t> input) {
  PreparedNet p;
  p.net = std::move(net);
  p.input = std::move(input);
  Mt19937 rng(spec.seed);               // std::mt19937's sequence
  std::set<std::string> given_out_exp;  // adds whose net file gives output_exp
  for (const auto& l : spec.layers) {
    if (l.type == "add" && l.output_exp) given_out_exp.insert(l.name);
  }
  for (size_t i = 0; i < p.net.layers.size(); ++i) {
    Layer& layer = p.net.layers[i];
    // Scales follow the producers (calibration may have changed a shift upstream).
    const auto exp_of = [&](int from) {
      return from == kNetworkInput ? p.net.input_exp
                                   : p.net.layers[from].out_exp.value_or(p.net.input_exp);
    };
    const int in_exp = exp_of(layer.inputs[0]);
    if (layer.has_weights()) {
      if (layer.out_exp) *layer.out_exp += in_exp - layer.in_exp;
    } else if (layer.kind == LayerKind::kAdd) {
      const int b_exp = exp_of(layer.inputs[1]);
      if (!given_out_exp.count(layer.name)) layer.out_exp = std::min(in_exp, b_exp) - 1;
      layer.in_exp_b = b_exp;
    } else {
      layer.out_exp = in_exp;
    }
    layer.in_exp = in_exp;
    std::vector<const std::vector<uint8_t>*> ins;
    for (int from : layer.inputs) ins.push_back(from == kNetworkInput ? &p.input : &p.golden[from]);
    const std::vector<uint8_t>& in = *ins[0];
    if (!layer.has_weights()) {
      p.net.weights.emplace_back();
    } else {
      p.net.weights.push_back(spec.synthetic ? SynthesizeWeights(layer, in, rng)
                                             : LoadWeights(spec, layer));
    }
    std::vector<int32_t> acc;
    std::vector<uint8_t> out;
    try {
      out = golden::Forward(layer, p.net.weights[i], ins, &acc);
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("{}:{}: layer '{}': {}", spec.path, layer.line, layer.name,
                                   e.what()));
    }
    LayerStats stats = Stats(layer, out);
    stats.configured_shift = layer.requant.shift;
    if (spec.synthetic && layer.has_weights() &&
        stats.zero_share + stats.saturated_share >= 0.5) {
      const int shift = CalibratedShift(layer, acc);
      if (shift != layer.requant.shift) {
        if (layer.out_exp) *layer.out_exp -= shift - layer.requant.shift;
        layer.requant.shift = shift;  // the one record every later stage reads
        out = golden::Forward(layer, p.net.weights[i], ins);
        const int configured = stats.configured_shift;
        stats = Stats(layer, out);
        stats.configured_shift = configured;
        stats.calibrated = true;
      }
    }
    p.golden.push_back(std::move(out));
    p.stats.push_back(stats);
  }
  return p;
}

}  // namespace sasim
