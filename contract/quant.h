// The arithmetic contract of docs/quantization.md, written once for all C++ code.
// The RTL's sa_requant implements the same rule; tests/rtl/requant_test.cc holds them equal.
#ifndef SASIM_CONTRACT_QUANT_H_
#define SASIM_CONTRACT_QUANT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace sasim {

enum class Rounding : uint8_t {
  kFloor = 0,        // arithmetic right shift (truncation toward minus infinity); the default
  kNearestEven = 1,  // round half to even, what PyTorch's quantized kernels do
};

inline constexpr int kMaxShift = 31;
inline constexpr int kActZeroPoint = 128;

// x - 128 for a uint8 activation: the hardware flips the MSB.
inline int32_t Centered(uint8_t x) { return static_cast<int32_t>(x) - kActZeroPoint; }

// int32 accumulation with two's-complement wrap, as the RTL's adders do.
inline int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// round_shift(r, shift) of the contract: floor or round-half-to-even division by 2^shift.
inline int64_t RoundShift(int32_t r, int shift, Rounding mode) {
  const int64_t value = r;
  const int64_t floor = value >> shift;  // arithmetic shift on a signed 64-bit value
  if (mode == Rounding::kFloor || shift == 0) return floor;
  // The bits shifted out: value - floor * 2^shift, always 0..2^shift-1 (a mask, since shifting a
  // negative value left is undefined behaviour).
  const int64_t rem = value & ((int64_t{1} << shift) - 1);
  const int64_t half = int64_t{1} << (shift - 1);
  const bool round_up = rem > half || (rem == half && (floor & 1) != 0);
  return floor + (round_up ? 1 : 0);
}

// acc -> uint8 output: optional ReLU, rounding shift, + zero point 128, clamp to 0..255.
inline uint8_t Requantize(int32_t acc, bool relu, int shift, Rounding mode) {
  const int32_t r = (relu && acc < 0) ? 0 : acc;
  const int64_t q = RoundShift(r, shift, mode) + kActZeroPoint;
  if (q < 0) return 0;
  if (q > 255) return 255;
  return static_cast<uint8_t>(q);
}

std::string_view RoundingName(Rounding mode);
// Parses "floor" or "nearest_even"; returns false for anything else.
bool ParseRounding(std::string_view text, Rounding* mode);

}  // namespace sasim

#endif  // SASIM_CONTRACT_QUANT_H_
