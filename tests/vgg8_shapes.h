// The layer shapes of the course VGG-8 (docs/networks.md), with the course's shifts.
#ifndef SASIM_TESTS_VGG8_SHAPES_H_
#define SASIM_TESTS_VGG8_SHAPES_H_

#include <vector>

#include "tests/layer_cases.h"

namespace sasim::testcases {

inline std::vector<LayerCase> Vgg8ShapeCases() {
  const Rounding kF = Rounding::kFloor;
  std::vector<LayerCase> cases;
  cases.push_back(MakeCase("conv1", {3, 32, 32, 64, 3, 3, 1, 1}, true, true, kF, 101));
  cases.push_back(MakeCase("conv2", {64, 16, 16, 192, 3, 3, 1, 1}, true, true, kF, 102));
  cases.push_back(MakeCase("conv3", {192, 8, 8, 384, 3, 3, 1, 1}, true, false, kF, 103));
  cases.push_back(MakeCase("conv4", {384, 8, 8, 256, 3, 3, 1, 1}, true, false, kF, 104));
  cases.push_back(MakeCase("conv5", {256, 8, 8, 256, 3, 3, 1, 1}, true, true, kF, 105));
  cases.push_back(MakeCase("fc6", {4096, 1, 1, 256, 1, 1, 1, 0}, true, false, kF, 106));
  cases.push_back(MakeCase("fc7", {256, 1, 1, 128, 1, 1, 1, 0}, true, false, kF, 107));
  cases.push_back(MakeCase("fc8", {128, 1, 1, 10, 1, 1, 1, 0}, false, false, kF, 108));
  return cases;
}

}  // namespace sasim::testcases

#endif  // SASIM_TESTS_VGG8_SHAPES_H_
