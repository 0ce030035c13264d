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
  kNearestEven = 1,  // round half to even, what PyTorch's quantized conv/linear kernels do
  kHalfAway = 2,     // round half away from zero: PyTorch's (qnnpack) quantized add, add_relu
};

inline constexpr int kMaxShift = 31;
inline constexpr int kActZeroPoint = 128;

// x - 128 for a uint8 activation: the hardware flips the MSB.
inline int32_t Centered(uint8_t x) { return static_cast<int32_t>(x) - kActZeroPoint; }

// int32 accumulation with two's-complement wrap, as the RTL's adders do.
inline int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// round_shift(r, shift) of the contract: division by 2^shift, rounded as `mode` says.
inline int64_t RoundShift(int32_t r, int shift, Rounding mode) {
  const int64_t value = r;
  const int64_t floor = value >> shift;  // arithmetic shift on a signed 64-bit value
  if (mode == Rounding::kFloor || shift == 0) return floor;
  // The bits shifted out: value - floor * 2^shift, always 0..2^shift-1 (a mask, since shifting a
  // negative value left is undefined behaviour).
  const int64_t rem = value & ((int64_t{1} << shift) - 1);
  const int64_t half = int64_t{1} << (shift - 1);
  bool round_up = rem > half;
  if (rem == half) round_up = mode == Rounding::kHalfAway ? value >= 0 : (floor & 1) != 0;
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

// ---- Element-wise add (docs/quantization.md) ----
// a (scale 2^-a_exp) + b (scale 2^-b_exp) into scale 2^-out_exp, all with zero point 128: the
// exact sum ((a-128) << a_shift) + ((b-128) << b_shift) in units of the finer input scale (or of
// the output scale, when that is finer still), then round_shift by out_shift, half away from
// zero, optional ReLU, + 128, clamp.
struct AddShifts {
  int a_shift = 0;    // 0..kMaxAddAlign
  int b_shift = 0;    // 0..kMaxAddAlign
  int out_shift = 0;  // 0..kMaxShift
};
inline constexpr int kMaxAddAlign = 15;
// The shifts for the given exponents; false when they do not fit the hardware's ranges.
bool AddShiftsFor(int a_exp, int b_exp, int out_exp, AddShifts* shifts);
inline uint8_t AddRequantize(uint8_t a, uint8_t b, const AddShifts& s, bool relu) {
  const int32_t sum = Centered(a) * (int32_t{1} << s.a_shift) +
                      Centered(b) * (int32_t{1} << s.b_shift);
  return Requantize(sum, relu, s.out_shift, Rounding::kHalfAway);
}

// ---- Average pool (docs/quantization.md) ----
// The mean of n uint8 codes, rounded half to even (what PyTorch's quantized average pools do on
// the codes; input and output share scale and zero point). Exact, for the golden model.
inline uint8_t AverageCodes(uint32_t sum, uint32_t n) {
  uint32_t q = sum / n;
  const uint32_t rem = sum - q * n;
  if (2 * rem > n || (2 * rem == n && (q & 1) != 0)) ++q;
  return static_cast<uint8_t>(q > 255 ? 255 : q);
}
inline constexpr uint32_t kMaxAvgCount = 255 * 255;  // taps of one window (kernel <= 255x255)
// What the hardware multiplies by instead of dividing: floor((2^32 - 1) / n), 1 <= n.
inline uint32_t AvgReciprocal(uint32_t n) { return 0xffffffffu / n; }
// The hardware's division (rtl/sa_vec.sv): q0 = (sum * recip) >> 32 is floor(sum / n) or one
// less for every sum < 2^31; one correction step and the half-to-even rule follow. Equal to
// AverageCodes for sum <= 255 * n (tests/unit/quant_test.cc).
inline uint8_t AverageCodesByReciprocal(uint32_t sum, uint32_t n, uint32_t recip) {
  uint32_t q = static_cast<uint32_t>((uint64_t{sum} * recip) >> 32);
  uint32_t rem = sum - q * n;
  if (rem >= n) {
    ++q;
    rem -= n;
  }
  if (2 * rem > n || (2 * rem == n && (q & 1) != 0)) ++q;
  return static_cast<uint8_t>(q > 255 ? 255 : q);
}

std::string_view RoundingName(Rounding mode);
// Parses "floor", "nearest_even" or "half_away"; returns false for anything else.
bool ParseRounding(std::string_view text, Rounding* mode);

}  // namespace sasim

#endif  // SASIM_CONTRACT_QUANT_H_
