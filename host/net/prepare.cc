#include "host/net/prepare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/golden/golden.h"
#include "host/io/npy.h"

namespace sasim {
namespace {

// Target spread of a synthetic layer's accumulators, in output codes before the zero point.
constexpr double kTargetCodes = 40.0;

void Stats(PreparedLayer* l) {
  size_t zero = 0, saturated = 0;
  for (uint8_t v : l->golden) {
    zero += v == 128;
    saturated += v == 255 || (!l->conv.requant.relu && v == 0);
  }
  l->zero_share = static_cast<double>(zero) / l->golden.size();
  l->saturated_share = static_cast<double>(saturated) / l->golden.size();
}

std::vector<uint8_t> Forward(const compiler::ConvLayer& conv, const std::vector<uint8_t>& in,
                             std::vector<int32_t>* acc_out) {
  std::vector<int32_t> acc = golden::Conv2dAcc(conv.shape, in, conv.weights, conv.bias);
  std::vector<uint8_t> out = golden::RequantizeAll(acc, conv.requant);
  if (conv.pool) {
    out = golden::MaxPool2d(conv.shape.out_channels, conv.shape.out_height(),
                            conv.shape.out_width(), 2, 2, out);
  }
  if (acc_out) *acc_out = std::move(acc);
  return out;
}

void SynthesizeWeights(compiler::ConvLayer* conv, const std::vector<uint8_t>& in,
                       std::mt19937& rng) {
  const ConvShape& s = conv->shape;
  double sum = 0, sq = 0;
  for (uint8_t v : in) {
    sum += Centered(v);
    sq += static_cast<double>(Centered(v)) * Centered(v);
  }
  const double mean = sum / in.size();
  const double rms = std::max(1.0, std::sqrt(sq / in.size()));
  const double target = kTargetCodes * std::ldexp(1.0, conv->requant.shift);
  const double sigma_w =
      std::clamp(target / (std::sqrt(static_cast<double>(s.reduction())) * rms), 0.6, 60.0);
  std::normal_distribution<double> weight(0.0, sigma_w);
  conv->weights.resize(static_cast<size_t>(s.reduction()) * s.out_channels);
  for (auto& w : conv->weights) w = static_cast<int8_t>(std::clamp(std::round(weight(rng)),
                                                                   -127.0, 127.0));
  // Biases center each channel's accumulator a little above zero, so ReLU keeps most outputs.
  std::normal_distribution<double> offset(0.5 * target, 0.25 * target);
  conv->bias.resize(s.out_channels);
  for (int k = 0; k < s.out_channels; ++k) {
    double weight_sum = 0;
    for (int64_t i = 0; i < s.reduction(); ++i) weight_sum += conv->weights[k * s.reduction() + i];
    const double b = offset(rng) - mean * weight_sum;
    conv->bias[k] = static_cast<int32_t>(std::clamp(b, -2e9, 2e9));
  }
}

void LoadWeights(const compiler::NetSpec& net, const compiler::FusedLayer& f,
                 compiler::ConvLayer* conv) {
  namespace fs = std::filesystem;
  const std::string wpath = (fs::path(net.weights_dir) / (f.name + ".weight.npy")).string();
  const std::string bpath = (fs::path(net.weights_dir) / (f.name + ".bias.npy")).string();
  for (const auto& p : {wpath, bpath}) {
    if (!fs::exists(p)) {
      throw InputError(fmt::format("{}:{}: key 'weights': layer '{}' needs {}, which does not "
                                   "exist", net.path, net.weights_line, f.name, p));
    }
  }
  const NpyArray w = ReadNpy(wpath);
  std::vector<int64_t> expected;
  for (int d : f.weight_shape()) expected.push_back(d);
  if (w.dtype != "i1") {
    throw InputError(fmt::format("{}: tensor '{}.weight' has dtype {}, expected int8", wpath,
                                 f.name, w.dtype));
  }
  if (w.shape != expected) {
    throw InputError(fmt::format("{}: tensor '{}.weight' has shape {}, expected {}", wpath,
                                 f.name, ShapeString(w.shape), ShapeString(expected)));
  }
  const NpyArray b = ReadNpy(bpath);
  if (b.dtype != "i4") {
    throw InputError(fmt::format("{}: tensor '{}.bias' has dtype {}, expected int32", bpath,
                                 f.name, b.dtype));
  }
  if (b.shape != std::vector<int64_t>{f.out_channels()}) {
    throw InputError(fmt::format("{}: tensor '{}.bias' has shape {}, expected ({},)", bpath,
                                 f.name, ShapeString(b.shape), f.out_channels()));
  }
  conv->weights = w.As<int8_t>();
  conv->bias = b.As<int32_t>();
}

}  // namespace

std::vector<uint8_t> SyntheticImage(int channels, int height, int width, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 20.0);
  std::uniform_real_distribution<double> phase(0.0, 6.283);
  std::vector<uint8_t> img(static_cast<size_t>(channels) * height * width);
  for (int c = 0; c < channels; ++c) {
    const double px = phase(rng), py = phase(rng);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const double v = 128 + 70 * std::sin(px + 6.0 * x / width) * std::cos(py + 5.0 * y /
                                                                             height) + noise(rng);
        img[(static_cast<size_t>(c) * height + y) * width + x] =
            static_cast<uint8_t>(std::clamp(std::round(v), 0.0, 255.0));
      }
    }
  }
  return img;
}

std::vector<uint8_t> LoadInputImage(const std::string& path, int index,
                                    const compiler::NetSpec& net) {
  const int64_t c = net.input_channels, h = net.input_height, w = net.input_width;
  const size_t elements = static_cast<size_t>(c * h * w);
  if (path.size() > 4 && path.substr(path.size() - 4) == ".bin") {
    // CIFAR-10 binary batch: records of 1 label byte + 3072 bytes (R, G, B planes of 32x32).
    constexpr size_t kRecord = 1 + 3 * 32 * 32;
    if (c != 3 || h != 32 || w != 32) {
      throw InputError(fmt::format("{}: a CIFAR-10 image is 3x32x32, the net '{}' takes {}x{}x{}",
                                   path, net.name, c, h, w));
    }
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw InputError(fmt::format("{}: cannot open file", path));
    const auto size = static_cast<size_t>(in.tellg());
    if (size == 0 || size % kRecord != 0) {
      throw InputError(fmt::format("{}: {} bytes is not a CIFAR-10 batch (records of {} bytes)",
                                   path, size, kRecord));
    }
    const size_t records = size / kRecord;
    if (index < 0 || static_cast<size_t>(index) >= records) {
      throw InputError(fmt::format("{}: image index {} is outside 0..{}", path, index,
                                   records - 1));
    }
    std::vector<uint8_t> img(elements);
    in.seekg(static_cast<std::streamoff>(index * kRecord + 1));
    in.read(reinterpret_cast<char*>(img.data()), static_cast<std::streamsize>(elements));
    return img;
  }
  const NpyArray a = ReadNpy(path);
  const std::vector<int64_t> chw{c, h, w};
  if (a.shape != chw) {
    throw InputError(fmt::format("{}: input has shape {}, the net '{}' takes {}", path,
                                 ShapeString(a.shape), net.name, ShapeString(chw)));
  }
  if (a.dtype == "u1") return a.As<uint8_t>();
  if (a.dtype == "f4" || a.dtype == "f8") {
    // Real values: quantize with the input scale 2^-scale_exp, round half to even.
    std::vector<uint8_t> img(elements);
    const auto real = a.As<double>();
    for (size_t i = 0; i < elements; ++i) {
      const double q = std::nearbyint(std::ldexp(real[i], net.input_exp)) + 128;
      img[i] = static_cast<uint8_t>(std::clamp(q, 0.0, 255.0));
    }
    return img;
  }
  throw InputError(fmt::format("{}: input dtype {} not supported (uint8 or float CHW)", path,
                               a.dtype));
}

std::vector<std::vector<uint8_t>> GoldenForward(const PreparedNet& net,
                                                const std::vector<uint8_t>& input) {
  std::vector<std::vector<uint8_t>> outs;
  const std::vector<uint8_t>* in = &input;
  for (const auto& l : net.layers) {
    outs.push_back(Forward(l.conv, *in, nullptr));
    in = &outs.back();
  }
  return outs;
}

Dataset LoadDataset(const std::string& path, const std::string& labels_path, int limit,
                    const compiler::NetSpec& net) {
  Dataset d;
  const int64_t c = net.input_channels, h = net.input_height, w = net.input_width;
  const size_t elements = static_cast<size_t>(c * h * w);
  if (path.size() > 4 && path.substr(path.size() - 4) == ".bin") {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw InputError(fmt::format("{}: cannot open file", path));
    const auto records = static_cast<int>(static_cast<size_t>(in.tellg()) / (1 + 3 * 32 * 32));
    for (int i = 0; i < records && (limit <= 0 || i < limit); ++i) {
      d.images.push_back(LoadInputImage(path, i, net));
      in.seekg(static_cast<std::streamoff>(i) * (1 + 3 * 32 * 32));
      d.labels.push_back(in.get());
    }
    return d;
  }
  const NpyArray a = ReadNpy(path);
  if (a.shape.size() != 4 || a.shape[1] != c || a.shape[2] != h || a.shape[3] != w) {
    throw InputError(fmt::format("{}: dataset has shape {}, the net '{}' takes (N, {}, {}, {})",
                                 path, ShapeString(a.shape), net.name, c, h, w));
  }
  const int64_t n = limit > 0 ? std::min<int64_t>(limit, a.shape[0]) : a.shape[0];
  const auto values = a.As<double>();
  for (int64_t i = 0; i < n; ++i) {
    std::vector<uint8_t> img(elements);
    for (size_t j = 0; j < elements; ++j) {
      const double v = values[static_cast<size_t>(i) * elements + j];
      img[j] = a.dtype == "u1" ? static_cast<uint8_t>(v)
                               : static_cast<uint8_t>(std::clamp(
                                     std::nearbyint(std::ldexp(v, net.input_exp)) + 128, 0.0,
                                     255.0));
    }
    d.images.push_back(std::move(img));
  }
  if (!labels_path.empty()) {
    const NpyArray l = ReadNpy(labels_path);
    if (l.shape.size() != 1 || l.shape[0] < n) {
      throw InputError(fmt::format("{}: labels have shape {}, need ({},)", labels_path,
                                   ShapeString(l.shape), a.shape[0]));
    }
    const auto labels = l.As<int32_t>();
    d.labels.assign(labels.begin(), labels.begin() + n);
  }
  return d;
}

PreparedNet PrepareNet(const compiler::NetSpec& net,
                       const std::vector<compiler::FusedLayer>& fused,
                       std::vector<uint8_t> input) {
  PreparedNet p;
  p.name = net.name;
  p.input = std::move(input);
  std::mt19937 rng(net.seed);
  const std::vector<uint8_t>* in = &p.input;
  for (const auto& f : fused) {
    PreparedLayer l;
    l.fused = f;
    l.conv.name = f.name;
    l.conv.shape = f.shape;
    l.conv.requant = f.requant;
    l.conv.pool = f.pool;
    l.configured_shift = f.requant.shift;
    if (net.synthetic) {
      SynthesizeWeights(&l.conv, *in, rng);
    } else {
      LoadWeights(net, f, &l.conv);
    }
    std::vector<int32_t> acc;
    l.golden = Forward(l.conv, *in, &acc);
    Stats(&l);
    if (net.synthetic && l.zero_share + l.saturated_share >= 0.5) {
      // Power-of-two observer: the smallest shift that keeps the largest accumulator in range.
      int32_t peak = 1;
      for (int32_t a : acc) peak = std::max(peak, l.conv.requant.relu ? a : std::abs(a));
      int shift = 0;
      while (shift < kMaxShift && (static_cast<int64_t>(peak) >> shift) > 127) ++shift;
      if (shift != l.conv.requant.shift) {
        l.conv.requant.shift = shift;
        l.fused.requant.shift = shift;
        l.calibrated = true;
        l.golden = Forward(l.conv, *in, nullptr);
        Stats(&l);
      }
    }
    p.layers.push_back(std::move(l));
    in = &p.layers.back().golden;
  }
  return p;
}

}  // namespace sasim
