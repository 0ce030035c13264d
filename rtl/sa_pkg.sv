// sa_pkg: types shared by the sasim RTL. The command encoding mirrors contract/isa.h.
package sa_pkg;

  // Rounding of the requantizer's right shift (docs/quantization.md).
  typedef enum logic {
    RoundFloor       = 1'b0,  // arithmetic shift: truncation toward minus infinity
    RoundNearestEven = 1'b1   // round half to even, as PyTorch's quantized kernels
  } round_mode_e;

  // Opcodes (word 0, bits 7:0).
  typedef enum logic [7:0] {
    OpEnd     = 8'd1,
    OpLoad    = 8'd2,
    OpStore   = 8'd3,
    OpCompute = 8'd4,
    OpSync    = 8'd5,
    OpSnap    = 8'd6
  } opcode_e;

  // A decoded COMPUTE command (docs/isa.md).
  typedef struct packed {
    logic               relu;
    round_mode_e        round;
    logic               pool;
    logic        [4:0]  shift;
    logic        [3:0]  kernel_h;
    logic        [3:0]  kernel_w;
    logic        [3:0]  stride;
    logic        [15:0] channels;
    logic        [15:0] in_width;
    logic        [15:0] in_rows;
    logic signed [15:0] y_off;
    logic signed [15:0] x_off;
    logic        [15:0] out_rows;
    logic        [15:0] out_width;
    logic        [15:0] abuf_base;
    logic        [15:0] wbuf_base;
    logic        [15:0] obuf_base;
    logic        [4:0]  n_valid;
  } compute_cmd_t;

  // Controller states, as reported in the CTRL_STATE CSR.
  typedef enum logic [2:0] {
    CtrlIdle     = 3'd0,
    CtrlFetch    = 3'd1,
    CtrlDispatch = 3'd2,
    CtrlSync     = 3'd3,
    CtrlDone     = 3'd4,
    CtrlError    = 3'd5
  } ctrl_state_e;

endpackage
