// sa_pkg: types shared by the sasim RTL.
package sa_pkg;

  // Rounding of the requantizer's right shift (docs/quantization.md).
  typedef enum logic {
    RoundFloor       = 1'b0,  // arithmetic shift: truncation toward minus infinity
    RoundNearestEven = 1'b1   // round half to even, as PyTorch's quantized kernels
  } round_mode_e;

endpackage
