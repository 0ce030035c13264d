// Preparing a network for a run: the fused layers get their weights (from .npy files or
// synthetic), and the golden model computes every layer's reference output on the input.
// Synthetic weights are scaled to the layer's shift so outputs spread over the uint8 range; if
// a layer still ends up mostly at 128 or 255 it is calibrated (power-of-two observer: the shift
// is chosen from the layer's largest accumulator) and the report says so.
#ifndef SASIM_HOST_NET_PREPARE_H_
#define SASIM_HOST_NET_PREPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/layer_compiler.h"
#include "compiler/net_ir.h"

namespace sasim {

struct PreparedLayer {
  compiler::FusedLayer fused;
  compiler::ConvLayer conv;           // shape, requant, pool, weights (OIHW), bias
  std::vector<uint8_t> golden;        // reference output, CHW
  double zero_share = 0.0;            // outputs at the zero point 128 (ReLU cut them)
  double saturated_share = 0.0;       // outputs at 255 (or 0 without ReLU)
  bool calibrated = false;
  int configured_shift = 0;           // the net file's shift, before calibration
};

struct PreparedNet {
  std::string name;
  std::vector<uint8_t> input;         // CHW uint8
  std::vector<PreparedLayer> layers;
};

// The default input: a deterministic synthetic image (smooth gradients plus noise).
std::vector<uint8_t> SyntheticImage(int channels, int height, int width, uint32_t seed);

// Loads an input image: .npy (uint8 CHW, or float CHW quantized with the input scale) or a
// CIFAR-10 binary batch (.bin) with a record index. Throws InputError naming the file.
std::vector<uint8_t> LoadInputImage(const std::string& path, int index, const compiler::NetSpec&);

// Every layer's golden output for another input, with the prepared weights and shifts.
std::vector<std::vector<uint8_t>> GoldenForward(const PreparedNet& net,
                                                const std::vector<uint8_t>& input);

// A set of images: an .npy of N x C x H x W (uint8 codes, or float quantized with the input
// scale) with labels from an .npy of N integers, or a CIFAR-10 binary batch (labels inside).
struct Dataset {
  std::vector<std::vector<uint8_t>> images;
  std::vector<int> labels;  // empty when unknown
};
Dataset LoadDataset(const std::string& path, const std::string& labels_path, int limit,
                    const compiler::NetSpec& net);

PreparedNet PrepareNet(const compiler::NetSpec& net,
                       const std::vector<compiler::FusedLayer>& fused,
                       std::vector<uint8_t> input);

}  // namespace sasim

#endif  // SASIM_HOST_NET_PREPARE_H_
