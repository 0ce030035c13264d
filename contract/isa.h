// The accelerator's command encoding and CSR map: written once here, mirrored by rtl/sa_pkg.sv
// (tests/rtl/isa_pkg_test.cc holds the two equal) and documented in docs/isa.md. A command is
// 8 little-endian 32-bit words (two 16-byte DRAM beats); word 0 holds the opcode in bits 7:0.
#ifndef SASIM_CONTRACT_ISA_H_
#define SASIM_CONTRACT_ISA_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "contract/quant.h"

namespace sasim::isa {

inline constexpr int kCommandWords = 8;
inline constexpr int kCommandBytes = kCommandWords * 4;
inline constexpr int kWordBytes = 16;  // SRAM word = DRAM beat = 16 channels of one pixel
// Array columns: 4 or 8 (a drained row fills lanes of one output word), or a multiple of 16 up
// to this (whole words).
inline constexpr int kMaxArrayCols = 128;
// The DMA engine: LOAD/STORE/SNAPSHOT jobs wait in a queue of kDmaQueueDepth while it has
// kDmaSlots jobs in flight, so a DMA job is dispatched while up to kDmaQueueDepth + kDmaSlots - 1
// earlier ones are unfinished (docs/isa.md).
inline constexpr int kDmaQueueDepth = 8;
// The controller fetches the command stream kFetchCommands at a time into a FIFO of
// kFifoCommands, so it may read up to kFifoCommands + kFetchCommands commands past END.
inline constexpr int kFetchCommands = 8;
inline constexpr int kFifoCommands = 32;
inline constexpr int kDmaSlots = 2;
using CommandWords = std::array<uint32_t, kCommandWords>;

enum class Opcode : uint8_t {
  kEnd = 1,      // all work done: set DONE, raise the interrupt, stop
  kLoad = 2,     // DRAM -> activation or weight buffer (2-D transfer)
  kStore = 3,    // output buffer -> DRAM (2-D transfer)
  kCompute = 4,  // one conv/linear tile (all folds of one 16-channel output block)
  kSync = 5,     // wait until the DMA and compute engines have finished given job counts
  kSnapshot = 6, // DMA job: write all counters, as they are at dispatch, to DRAM
  kVector = 7,   // compute-engine job: one pooling or element-wise pass (no array)
};

enum class Buffer : uint8_t { kAct = 0, kWeight = 1, kOut = 2, kCounters = 3 };

// LOAD / STORE: `rows` rows of `row_words` 16-byte words.
struct Transfer {
  Buffer buffer = Buffer::kAct;
  uint32_t dram_addr = 0;    // bytes, 16-byte aligned
  uint32_t dram_stride = 0;  // bytes between rows, 16-byte aligned
  uint32_t sram_addr = 0;    // words
  uint32_t sram_stride = 0;  // words between rows
  uint32_t row_words = 0;
  uint32_t rows = 0;
};

// COMPUTE: out[e][f][n] = requant(bias[n] + sum over (c, ky, kx) of
//   (act[c][e*stride + ky + y_off][f*stride + kx + x_off] - 128) * w[k(c, ky, kx)][n])
// for e < out_rows, f < out_width, n < n_valid; taps outside 0..in_rows-1 / 0..in_width-1 are
// padding (code 128). The activation buffer holds channel blocks of 16: word
// abuf_base + (c/16 * in_rows + y) * in_width + x. The weight buffer holds 4 bias words
// (16 int32) at wbuf_base, then one word of 16 weights per reduction step k, in the order
// c-block, ky, kx, channel within block. Outputs go to obuf_base + e' * out_width' + f'
// (pooled coordinates and sizes when pool is set; pixels are then visited window by window).
// Partial sums: a reduction too long for the weight buffer runs as several COMPUTEs over
// consecutive ranges of k, each covering one fold (out_rows * out_width <= array rows). acc_out
// keeps the PEs' int32 sums in the array instead of draining them (more steps follow); acc_in
// starts from those sums instead of the biases. The sums then see the same additions, in the
// same order, as one long COMPUTE would give them.
struct Compute {
  bool relu = false;
  Rounding rounding = Rounding::kFloor;  // kFloor or kNearestEven
  bool pool = false;
  bool acc_in = false;   // continue the sums the previous COMPUTE kept (no bias)
  bool acc_out = false;  // keep the sums in the PEs: no drain, no output
  uint32_t shift = 0;
  uint32_t kernel_h = 1;
  uint32_t kernel_w = 1;
  uint32_t stride = 1;
  uint32_t channels = 1;
  uint32_t in_width = 1;
  uint32_t in_rows = 1;
  int32_t y_off = 0;
  int32_t x_off = 0;
  uint32_t out_rows = 1;
  uint32_t out_width = 1;
  uint32_t abuf_base = 0;
  uint32_t wbuf_base = 0;
  uint32_t obuf_base = 0;
  uint32_t obuf_stride = 0;  // words between the 16-channel blocks of a wide array's outputs
  uint32_t lane_off = 0;     // a narrow array's first output lane in the word (lane_off + cols
                             // <= 16)
  uint32_t n_valid = 16;     // output channels (array columns) computed: 1..kMaxArrayCols
};

// VECTOR: one pass over 16-channel words of the activation buffer into the output buffer,
// channel block by channel block, output pixel by output pixel (raster order), one buffer read
// per cycle. Input word of block b, pixel (y, x): a_base + (b * in_rows + y) * in_width + x
// (b_base likewise, same shape); output word o_base + (b * out_rows + e) * out_width + f.
//   kMaxPool: lane-wise maximum over the taps (y, x) = (e*stride + ky + y_off, f*stride + kx +
//     x_off), ky < kernel_h, kx < kernel_w; taps outside 0..in_rows-1 x 0..in_width-1 are
//     skipped (padding never wins). kernel 1x1 with relu is a ReLU layer.
//   kAvgPool: the same taps (all inside), mean of the codes rounded half to even
//     (AverageCodesByReciprocal with recip = AvgReciprocal(kernel_h * kernel_w)).
//   kAdd: AddRequantize(a, b) lane by lane with a_shift, b_shift, out_shift (quant.h); kernel,
//     stride and offsets unused (1, 1, 0, 0); out = in shape.
// relu: the output is at least 128 (ReLU on the code).
enum class VectorOp : uint8_t { kMaxPool = 0, kAvgPool = 1, kAdd = 2 };
const char* VectorOpName(VectorOp op);

struct Vector {
  VectorOp op = VectorOp::kMaxPool;
  bool relu = false;
  uint32_t out_shift = 0;  // add: 0..31
  uint32_t a_shift = 0;    // add: 0..15
  uint32_t b_shift = 0;    // add: 0..15
  uint32_t stride = 1;     // 1..255
  uint32_t kernel_h = 1;   // 1..255
  uint32_t kernel_w = 1;   // 1..255
  uint32_t channel_blocks = 1;
  uint32_t in_rows = 1;
  uint32_t in_width = 1;
  uint32_t out_rows = 1;
  uint32_t out_width = 1;
  uint32_t a_base = 0;
  uint32_t b_base = 0;
  uint32_t o_base = 0;
  int32_t y_off = 0;
  int32_t x_off = 0;
  uint32_t recip = 0;  // avg: AvgReciprocal(kernel_h * kernel_w)
};

struct Sync {
  uint32_t dma_jobs = 0;      // wait until this many LOAD/STORE jobs have completed
  uint32_t compute_jobs = 0;  // and this many compute-engine jobs (COMPUTE and VECTOR)
};

CommandWords EncodeEnd();
CommandWords EncodeTransfer(Opcode op, const Transfer& t);
CommandWords EncodeCompute(const Compute& c);
CommandWords EncodeVector(const Vector& v);
CommandWords EncodeSync(const Sync& s);
// SNAPSHOT writes kSnapshotBytes at dram_addr: counter i as a little-endian uint64 at 8 * i.
CommandWords EncodeSnapshot(uint32_t dram_addr);
uint32_t DecodeSnapshotAddr(const CommandWords& w);

Opcode DecodeOpcode(const CommandWords& w);
Transfer DecodeTransfer(const CommandWords& w);
Compute DecodeCompute(const CommandWords& w);
Vector DecodeVector(const CommandWords& w);
Sync DecodeSync(const CommandWords& w);
// One line, for error messages and traces: "COMPUTE c=64 w=16 ...".
std::string Describe(const CommandWords& w);

// Throws std::invalid_argument naming the field when a value does not fit its encoding.
void Validate(const Transfer& t);
void Validate(const Compute& c);
void Validate(const Vector& v);

// ---- CSR map (byte offsets on the MMIO port; 32-bit registers) ----
namespace csr {
inline constexpr uint32_t kId = 0x00;          // RO 0x5341534d "SASM"
inline constexpr uint32_t kConfig = 0x04;      // RO rows[7:0] cols[15:8]
inline constexpr uint32_t kCtrl = 0x08;        // W bit0 start (self-clearing)
inline constexpr uint32_t kStatus = 0x0c;      // RO bit0 busy, bit1 done, bit2 error
inline constexpr uint32_t kIrqEnable = 0x10;   // RW bit0 done interrupt
inline constexpr uint32_t kIrqStatus = 0x14;   // RW1C bit0 done
inline constexpr uint32_t kCmdBase = 0x18;     // RW command stream address (bytes)
inline constexpr uint32_t kCmdIndex = 0x1c;    // RO index of the command being executed
inline constexpr uint32_t kCtrlState = 0x20;   // RO controller state (CtrlState)
inline constexpr uint32_t kLastOpcode = 0x24;  // RO opcode of the command being executed
inline constexpr uint32_t kCounterBase = 0x40; // RO 64-bit counters, lo word then hi word
inline constexpr uint32_t kIdValue = 0x5341534d;
}  // namespace csr

enum class CtrlState : uint8_t { kIdle = 0, kFetch = 1, kDispatch = 2, kSync = 3, kDone = 4,
                                 kError = 5 };
std::string CtrlStateName(uint32_t state);

// Performance counters, in CSR order (counter i at kCounterBase + 8 * i).
enum class Counter : uint8_t {
  kCycles = 0,          // cycles from start to END
  kBusyCycles,          // cycles the compute engine was working (feeding or draining)
  kStallLoad,           // compute idle, controller waiting for a LOAD (data not yet on chip)
  kStallStore,          // compute idle, controller waiting for a STORE (buffer not yet free)
  kStallFetch,          // compute idle, controller waiting for commands to arrive
  kMacs,                // MACs fired on valid (pixel, channel) pairs
  kMacsZero,            // of those, MACs with a zero operand (activation 128 or weight 0)
  kAbufReads,           // activation buffer word reads
  kAbufWrites,          // activation buffer word writes
  kWbufReads,           // weight buffer word reads (bias words included)
  kWbufWrites,          // weight buffer word writes
  kObufReads,           // output buffer word reads
  kObufWrites,          // output buffer word writes
  kDramReadBytes,       // bytes of tensors and weights read from DRAM (LOAD)
  kDramWriteBytes,      // bytes written to DRAM
  kRequantOps,          // results requantized
  kPoolOps,             // outputs of the drain path's 2x2 pool (one per channel per window)
  kCommands,            // commands executed
  kCmdFetchBytes,       // bytes of command stream fetched (ahead-fetch past END included)
  kIssueCycles,         // cycles the compute engine fed the array (steps and fold bubbles)
  kVecOps,              // VECTOR lane operations: 16 per activation word read (compare or add)
  kAccWraps,            // PE accumulation steps whose int32 sum wrapped (docs/isa.md)
  kCount
};
inline constexpr int kNumCounters = static_cast<int>(Counter::kCount);
// A SNAPSHOT writes kSnapshotCounters little-endian uint64 slots: slot i holds counter i, except
// that the slot of stall_fetch holds acc_wraps (the last counter). stall_fetch is derived on the
// host: every running cycle is exactly one of busy, stall_load, stall_store or stall_fetch, so
// stall_fetch = cycles - busy - stall_load - stall_store. 21 slots: 11 beats (168 bytes and 8
// of padding). With 22 counters the derived slot saves no beat any more (22 slots would be 11
// beats too); the layout is kept as it is.
inline constexpr int kSnapshotCounters = kNumCounters - 1;
inline constexpr int kSnapshotBeats = (kSnapshotCounters * 8 + 15) / 16;
static_assert(static_cast<int>(Counter::kAccWraps) == kNumCounters - 1,
              "acc_wraps is the last counter: it takes the derived stall_fetch's snapshot slot");
inline constexpr int kSnapshotBytes = kSnapshotBeats * 16;
const char* CounterName(Counter c);

// Serializes commands to little-endian bytes for DRAM.
std::vector<uint8_t> CommandBytes(const std::vector<CommandWords>& commands);

}  // namespace sasim::isa

#endif  // SASIM_CONTRACT_ISA_H_
