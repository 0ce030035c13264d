#include "host/golden/golden.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sasim::golden {
namespace {

void CheckSize(const char* what, size_t got, int64_t expected) {
  if (static_cast<int64_t>(got) != expected) {
    throw std::invalid_argument(std::string("golden: ") + what + " has " + std::to_string(got) +
                                " elements, expected " + std::to_string(expected));
  }
}

}  // namespace

std::vector<int32_t> Conv2dAccByTaps(const ConvShape& s, const std::vector<uint8_t>& input,
                                     const std::vector<int8_t>& weights,
                                     const std::vector<int32_t>& bias) {
  CheckSize("conv input", input.size(), int64_t{s.in_channels} * s.in_height * s.in_width);
  CheckSize("conv weights", weights.size(), s.reduction() * s.out_channels);
  CheckSize("conv bias", bias.size(), s.out_channels);
  const int out_h = s.out_height();
  const int out_w = s.out_width();
  const size_t plane = static_cast<size_t>(out_h) * out_w;
  // Centered input once; accumulate whole output planes tap by tap (unsigned: wraps mod 2^32,
  // the contract, and lets the compiler vectorize the inner loop).
  std::vector<int32_t> centered(input.size());
  for (size_t i = 0; i < input.size(); ++i) centered[i] = Centered(input[i]);
  std::vector<uint32_t> acc(static_cast<size_t>(s.out_channels) * plane);
  for (int k = 0; k < s.out_channels; ++k) {
    uint32_t* out = &acc[k * plane];
    std::fill(out, out + plane, static_cast<uint32_t>(bias[k]));
    for (int c = 0; c < s.in_channels; ++c) {
      const int32_t* in = &centered[static_cast<size_t>(c) * s.in_height * s.in_width];
      for (int r = 0; r < s.kernel_h; ++r) {
        for (int q = 0; q < s.kernel_w; ++q) {
          const int32_t w = weights[((static_cast<size_t>(k) * s.in_channels + c) * s.kernel_h +
                                     r) * s.kernel_w + q];
          if (w == 0) continue;
          // Output columns whose tap lands inside the image (padding contributes 0).
          int f_lo = 0;
          while (f_lo < out_w && f_lo * s.stride + q - s.padding < 0) ++f_lo;
          int f_hi = out_w;
          while (f_hi > f_lo && (f_hi - 1) * s.stride + q - s.padding >= s.in_width) --f_hi;
          for (int e = 0; e < out_h; ++e) {
            const int y = e * s.stride + r - s.padding;
            if (y < 0 || y >= s.in_height) continue;
            const int32_t* row = in + static_cast<size_t>(y) * s.in_width + q - s.padding;
            uint32_t* o = out + static_cast<size_t>(e) * out_w;
            for (int f = f_lo; f < f_hi; ++f) {
              o[f] += static_cast<uint32_t>(w * row[f * s.stride]);
            }
          }
        }
      }
    }
  }
  return std::vector<int32_t>(acc.begin(), acc.end());
}

std::vector<int32_t> Conv2dAcc(const ConvShape& s, const std::vector<uint8_t>& input,
                               const std::vector<int8_t>& weights,
                               const std::vector<int32_t>& bias) {
  const int64_t reduction = s.reduction();
  // Each product is at most 2^14 in magnitude: a dot product of fewer than 2^17 of them fits an
  // int32 exactly; the bias is then added modulo 2^32 (the contract's wrap).
  if (reduction >= (int64_t{1} << 17)) return Conv2dAccByTaps(s, input, weights, bias);
  CheckSize("conv input", input.size(), int64_t{s.in_channels} * s.in_height * s.in_width);
  CheckSize("conv weights", weights.size(), reduction * s.out_channels);
  CheckSize("conv bias", bias.size(), s.out_channels);
  const int out_h = s.out_height();
  const int out_w = s.out_width();
  const size_t plane = static_cast<size_t>(out_h) * out_w;
  const size_t j_count = static_cast<size_t>(reduction);
  // The reduction of each output pixel as one int16 row (im2col, padding taps 0), built for a
  // tile of pixels at a time (memory O(tile x reduction)), and the weights as int16 rows: each
  // output is a dot product the compiler vectorizes (pmaddwd).
  const std::vector<int16_t> w16(weights.begin(), weights.end());
  std::vector<int32_t> acc(static_cast<size_t>(s.out_channels) * plane);
  constexpr size_t kPixelTile = 32;  // a tile's rows stay in cache across output channels
  std::vector<int16_t> cols(kPixelTile * j_count);
  for (size_t p0 = 0; p0 < plane; p0 += kPixelTile) {
    const size_t p1 = std::min(plane, p0 + kPixelTile);
    for (size_t p = p0; p < p1; ++p) {
      const int e = static_cast<int>(p / out_w), f = static_cast<int>(p % out_w);
      int16_t* col = &cols[(p - p0) * j_count];
      for (int c = 0; c < s.in_channels; ++c) {
        const uint8_t* in = &input[static_cast<size_t>(c) * s.in_height * s.in_width];
        for (int r = 0; r < s.kernel_h; ++r) {
          const int y = e * s.stride + r - s.padding;
          for (int q = 0; q < s.kernel_w; ++q) {
            const int x = f * s.stride + q - s.padding;
            const bool inside = y >= 0 && y < s.in_height && x >= 0 && x < s.in_width;
            *col++ =
                inside ? static_cast<int16_t>(Centered(in[static_cast<size_t>(y) * s.in_width + x]))
                       : 0;
          }
        }
      }
    }
    for (int k = 0; k < s.out_channels; ++k) {
      const int16_t* w = &w16[static_cast<size_t>(k) * j_count];
      for (size_t p = p0; p < p1; ++p) {
        const int16_t* col = &cols[(p - p0) * j_count];
        int32_t dot = 0;
        for (size_t j = 0; j < j_count; ++j) dot += int32_t{w[j]} * col[j];
        acc[static_cast<size_t>(k) * plane + p] =
            static_cast<int32_t>(static_cast<uint32_t>(bias[k]) + static_cast<uint32_t>(dot));
      }
    }
  }
  return acc;
}

std::vector<uint8_t> RequantizeAll(const std::vector<int32_t>& acc, const RequantParams& rq) {
  std::vector<uint8_t> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) {
    out[i] = Requantize(acc[i], rq.relu, rq.shift, rq.rounding);
  }
  return out;
}

std::vector<uint8_t> Conv2d(const ConvShape& shape, const std::vector<uint8_t>& input,
                            const std::vector<int8_t>& weights, const std::vector<int32_t>& bias,
                            const RequantParams& requant) {
  return RequantizeAll(Conv2dAcc(shape, input, weights, bias), requant);
}

std::vector<int32_t> LinearAcc(int in_features, int out_features,
                               const std::vector<uint8_t>& input,
                               const std::vector<int8_t>& weights,
                               const std::vector<int32_t>& bias) {
  CheckSize("linear input", input.size(), in_features);
  CheckSize("linear weights", weights.size(), int64_t{in_features} * out_features);
  CheckSize("linear bias", bias.size(), out_features);
  std::vector<int32_t> out(out_features);
  for (int o = 0; o < out_features; ++o) {
    int32_t acc = bias[o];
    for (int i = 0; i < in_features; ++i) {
      acc = WrapAdd(acc, Centered(input[i]) *
                             int32_t{weights[static_cast<size_t>(o) * in_features + i]});
    }
    out[o] = acc;
  }
  return out;
}

std::vector<uint8_t> Linear(int in_features, int out_features, const std::vector<uint8_t>& input,
                            const std::vector<int8_t>& weights, const std::vector<int32_t>& bias,
                            const RequantParams& requant) {
  return RequantizeAll(LinearAcc(in_features, out_features, input, weights, bias), requant);
}

std::vector<int32_t> GemmAcc(int m, int n, int k, const std::vector<uint8_t>& a,
                             const std::vector<int8_t>& b, const std::vector<int32_t>& bias) {
  CheckSize("gemm A", a.size(), int64_t{m} * k);
  CheckSize("gemm B", b.size(), int64_t{k} * n);
  CheckSize("gemm bias", bias.size(), n);
  std::vector<int32_t> c(static_cast<size_t>(m) * n);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      int32_t acc = bias[j];
      for (int t = 0; t < k; ++t) {
        acc = WrapAdd(acc, Centered(a[static_cast<size_t>(i) * k + t]) *
                               int32_t{b[static_cast<size_t>(t) * n + j]});
      }
      c[static_cast<size_t>(i) * n + j] = acc;
    }
  }
  return c;
}

std::vector<uint8_t> MaxPool2d(int channels, int height, int width, int window, int stride,
                               const std::vector<uint8_t>& input) {
  CheckSize("maxpool input", input.size(), int64_t{channels} * height * width);
  if (window < 1 || stride < 1 || window > height || window > width) {
    throw std::invalid_argument("golden: maxpool window " + std::to_string(window) +
                                " does not fit " + std::to_string(height) + "x" +
                                std::to_string(width));
  }
  return MaxPool(ConvShape{channels, height, width, channels, window, window, stride, 0}, input);
}

std::vector<uint8_t> MaxPool(const ConvShape& s, const std::vector<uint8_t>& input) {
  CheckSize("maxpool input", input.size(), s.input().elements());
  const int out_h = s.out_height(), out_w = s.out_width();
  std::vector<uint8_t> out(static_cast<size_t>(s.in_channels) * out_h * out_w);
  for (int c = 0; c < s.in_channels; ++c) {
    for (int e = 0; e < out_h; ++e) {
      for (int f = 0; f < out_w; ++f) {
        uint8_t best = 0;
        for (int ky = 0; ky < s.kernel_h; ++ky) {
          const int y = e * s.stride + ky - s.padding;
          if (y < 0 || y >= s.in_height) continue;
          for (int kx = 0; kx < s.kernel_w; ++kx) {
            const int x = f * s.stride + kx - s.padding;
            if (x < 0 || x >= s.in_width) continue;
            best = std::max(best, input[(static_cast<size_t>(c) * s.in_height + y) * s.in_width +
                                        x]);
          }
        }
        out[(static_cast<size_t>(c) * out_h + e) * out_w + f] = best;
      }
    }
  }
  return out;
}

std::vector<uint8_t> AvgPool(const ConvShape& s, const std::vector<uint8_t>& input) {
  CheckSize("avgpool input", input.size(), s.input().elements());
  if (s.padding != 0) throw std::invalid_argument("golden: average pool with padding");
  const int out_h = s.out_height(), out_w = s.out_width();
  const uint32_t n = static_cast<uint32_t>(s.kernel_h) * s.kernel_w;
  std::vector<uint8_t> out(static_cast<size_t>(s.in_channels) * out_h * out_w);
  for (int c = 0; c < s.in_channels; ++c) {
    for (int e = 0; e < out_h; ++e) {
      for (int f = 0; f < out_w; ++f) {
        uint32_t sum = 0;
        for (int ky = 0; ky < s.kernel_h; ++ky) {
          const uint8_t* row =
              &input[(static_cast<size_t>(c) * s.in_height + e * s.stride + ky) * s.in_width +
                     f * s.stride];
          for (int kx = 0; kx < s.kernel_w; ++kx) sum += row[kx];
        }
        out[(static_cast<size_t>(c) * out_h + e) * out_w + f] = AverageCodes(sum, n);
      }
    }
  }
  return out;
}

std::vector<uint8_t> Add(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b,
                         const AddShifts& shifts, bool relu) {
  CheckSize("add input b", b.size(), static_cast<int64_t>(a.size()));
  std::vector<uint8_t> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = AddRequantize(a[i], b[i], shifts, relu);
  return out;
}

AddShifts AddShiftsOf(const Layer& layer) {
  AddShifts shifts;
  if (!layer.out_exp || !AddShiftsFor(layer.in_exp, layer.in_exp_b, *layer.out_exp, &shifts)) {
    throw std::invalid_argument(
        "add '" + layer.name + "': scale exponents " + std::to_string(layer.in_exp) + " + " +
        std::to_string(layer.in_exp_b) + " -> " +
        (layer.out_exp ? std::to_string(*layer.out_exp) : std::string("?")) +
        " need operand shifts of at most " + std::to_string(kMaxAddAlign) +
        " and a result shift of at most " + std::to_string(kMaxShift));
  }
  return shifts;
}

std::vector<uint8_t> Forward(const Layer& layer, const LayerWeights& params,
                             const std::vector<const std::vector<uint8_t>*>& inputs,
                             std::vector<int32_t>* acc) {
  const size_t wanted = layer.kind == LayerKind::kAdd ? 2 : 1;
  if (inputs.size() != wanted) {
    throw std::invalid_argument("golden: layer " + layer.name + " takes " +
                                std::to_string(wanted) + " input(s)");
  }
  const std::vector<uint8_t>& input = *inputs[0];
  switch (layer.kind) {
    case LayerKind::kConv2d:
    case LayerKind::kLinear:
      break;
    case LayerKind::kAdd:
      CheckSize("add input a", input.size(), layer.in_shape().elements());
      return Add(input, *inputs[1], AddShiftsOf(layer), layer.requant.relu);
    case LayerKind::kMaxPool:
    case LayerKind::kRelu:
    case LayerKind::kAvgPool: {
      std::vector<uint8_t> out = layer.kind == LayerKind::kAvgPool ? AvgPool(layer.shape, input)
                                                                   : MaxPool(layer.shape, input);
      if (layer.requant.relu) {  // ReLU on the code
        for (uint8_t& v : out) v = std::max<uint8_t>(v, kActZeroPoint);
      }
      return out;
    }
  }
  std::vector<int32_t> sums = Conv2dAcc(layer.shape, input, params.weights, params.bias);
  std::vector<uint8_t> out = RequantizeAll(sums, layer.requant);
  if (layer.pool.enabled) {
    out = MaxPool2d(layer.shape.out_channels, layer.shape.out_height(), layer.shape.out_width(),
                    layer.pool.kernel, layer.pool.stride, out);
  }
  if (acc) *acc = std::move(sums);
  return out;
}

std::vector<uint8_t> Forward(const Layer& layer, const LayerWeights& params,
                             const std::vector<uint8_t>& input, std::vector<int32_t>* acc) {
  return Forward(layer, params, std::vector<const std::vector<uint8_t>*>{&input}, acc);
}

std::vector<std::vector<uint8_t>> ForwardNet(const std::vector<Layer>& layers,
                                             const std::vector<LayerWeights>& params,
                                             const std::vector<uint8_t>& input) {
  std::vector<std::vector<uint8_t>> outs;
  outs.reserve(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<const std::vector<uint8_t>*> ins;
    for (int from : layers[i].inputs) {
      if (from >= static_cast<int>(i) || from < kNetworkInput) {
        throw std::invalid_argument("golden: layer " + layers[i].name + " reads a later layer");
      }
      ins.push_back(from == kNetworkInput ? &input : &outs[from]);
    }
    outs.push_back(Forward(layers[i], params[i], ins));
  }
  return outs;
}

}  // namespace sasim::golden
