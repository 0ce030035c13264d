#include "contract/layer.h"

namespace sasim {

std::string_view LayerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv2d:
      return "conv2d";
    case LayerKind::kLinear:
      return "linear";
  }
  return "?";
}

std::vector<int> Layer::weight_shape() const {
  if (kind == LayerKind::kLinear) {
    return {shape.out_channels, static_cast<int>(shape.reduction())};
  }
  return {shape.out_channels, shape.in_channels, shape.kernel_h, shape.kernel_w};
}

}  // namespace sasim
