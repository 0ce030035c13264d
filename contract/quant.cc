#include "contract/quant.h"

namespace sasim {

std::string_view RoundingName(Rounding mode) {
  return mode == Rounding::kFloor ? "floor" : "nearest_even";
}

bool ParseRounding(std::string_view text, Rounding* mode) {
  if (text == "floor") {
    *mode = Rounding::kFloor;
    return true;
  }
  if (text == "nearest_even") {
    *mode = Rounding::kNearestEven;
    return true;
  }
  return false;
}

}  // namespace sasim
