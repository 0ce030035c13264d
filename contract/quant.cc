#include "contract/quant.h"

namespace sasim {

std::string_view RoundingName(Rounding mode) {
  switch (mode) {
    case Rounding::kFloor: return "floor";
    case Rounding::kNearestEven: return "nearest_even";
    case Rounding::kHalfAway: return "half_away";
  }
  return "invalid";
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
  if (text == "half_away") {
    *mode = Rounding::kHalfAway;
    return true;
  }
  return false;
}

bool AddShiftsFor(int a_exp, int b_exp, int out_exp, AddShifts* shifts) {
  // Work in units of 2^-m, m the finest of the three scales: every operand shift is then a left
  // shift and only the result needs rounding.
  const int m = a_exp > b_exp ? a_exp : b_exp;
  const int unit = out_exp > m ? out_exp : m;
  AddShifts s;
  s.a_shift = unit - a_exp;
  s.b_shift = unit - b_exp;
  s.out_shift = unit - out_exp;
  if (s.a_shift > kMaxAddAlign || s.b_shift > kMaxAddAlign || s.out_shift > kMaxShift) {
    return false;
  }
  *shifts = s;
  return true;
}

}  // namespace sasim
