// Preparing a network for a run: the fused layers (contract/layer.h) get their weights (from
// .npy files or synthetic), synthetic layers are calibrated, and the golden model computes every
// layer's reference output on the input.
//
// Synthetic weights are scaled to the layer's shift so outputs spread over the uint8 range; if a
// layer still ends up mostly at 128 or 255, calibration (a power-of-two observer: the shift is
// chosen from the layer's largest accumulator) changes the layer's shift, in the one layer
// record, and the report says so.
#ifndef SASIM_HOST_NET_PREPARE_H_
#define SASIM_HOST_NET_PREPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/net_ir.h"
#include "contract/layer.h"
#include "host/net/input.h"

namespace sasim {

// A network ready to compile: layers in order, weights[i] of layers[i], held once.
struct Network {
  std::string name;
  std::string path;  // the net file, for messages
  TensorShape input;
  int input_exp = 0;  // s_x = 2^-input_exp
  std::vector<Layer> layers;
  std::vector<LayerWeights> weights;
  InputFormat input_format() const { return {name, input, input_exp}; }
};

// What preparation found about layer i on the prepared input.
struct LayerStats {
  double zero_share = 0.0;       // outputs at the zero point 128 (ReLU cut them)
  double saturated_share = 0.0;  // outputs at 255 (or 0 without ReLU)
  bool calibrated = false;       // the shift was changed by calibration
  int configured_shift = 0;      // the net file's shift, before calibration
};

struct PreparedNet {
  Network net;
  std::vector<uint8_t> input;                // CHW uint8
  std::vector<std::vector<uint8_t>> golden;  // every layer's reference output on `input`
  std::vector<LayerStats> stats;
};

// The network of a net file: its fused layers, no weights yet.
Network NetworkOf(const compiler::NetSpec& spec, std::vector<Layer> layers);

// Loads the weights (.npy) or synthesizes and calibrates them (seeded by spec.seed), then
// computes the golden reference on `input`. Throws InputError naming the file for bad weights.
PreparedNet PrepareNet(const compiler::NetSpec& spec, Network net, std::vector<uint8_t> input);

// The calibration step for one layer: the smallest shift that keeps its largest accumulator
// within the uint8 output range (a power-of-two min/max observer).
int CalibratedShift(const Layer& layer, const std::vector<int32_t>& acc);

}  // namespace sasim

#endif  // SASIM_HOST_NET_PREPARE_H_
